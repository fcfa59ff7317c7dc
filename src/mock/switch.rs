//! mock: the mock as its server runs it — the current [`App`] and its configuration behind
//! locks, so the control interface can reset the state or switch faults, the defect, allowed
//! variants and limits between two requests without a restart. A request runs to its end on the
//! App it started with; the next one sees the switch.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use bytes::Bytes;

use super::app::{App, RequestView};
use super::config::{ConfigError, MockConfig};
use super::server::Handler;
use super::state::{LiveState, StateView};

/// Why a new configuration was refused (the running one stays).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SwitchError {
    #[error("invalid mock configuration: {0}")]
    Invalid(ConfigError),
    #[error("`{0}` is fixed when the mock starts; restart it to change it")]
    FixedAtStart(&'static str),
}

/// The running mock: swapped whole on a reset, rebuilt keeping its state on a switch.
#[derive(Debug)]
pub struct Switchable {
    current: RwLock<Arc<App>>,
    /// Also serialises control operations, so two switches never interleave.
    config: Mutex<MockConfig>,
}

impl Switchable {
    pub fn new(config: MockConfig) -> Self {
        Self {
            current: RwLock::new(Arc::new(App::new(&config))),
            config: Mutex::new(config),
        }
    }

    fn config_guard(&self) -> MutexGuard<'_, MockConfig> {
        self.config.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The App answering requests now.
    pub fn app(&self) -> Arc<App> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, app: App) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(app);
    }

    /// The configuration in force (credentials are never serialised).
    pub fn config(&self) -> MockConfig {
        self.config_guard().clone()
    }

    /// Live locks and sessions by UserId.
    pub fn live(&self) -> LiveState {
        self.app().live()
    }

    /// Locks, sessions and rooms.
    pub fn view(&self) -> StateView {
        self.app().view()
    }

    /// Back to the state of a fresh start with the configuration in force: no locks, sessions
    /// or rooms, faults re-armed, rate windows empty.
    pub fn reset(&self) {
        let config = self.config_guard();
        self.replace(App::new(&config));
    }

    /// Answers as `next` says from the next request on, keeping locks, sessions and rooms.
    /// Keys and the server's time limits cannot change at run time.
    pub fn reconfigure(&self, mut next: MockConfig) -> Result<(), SwitchError> {
        let mut config = self.config_guard();
        next.credentials = config.credentials.clone();
        if next.header_timeout_ms != config.header_timeout_ms {
            return Err(SwitchError::FixedAtStart("header_timeout_ms"));
        }
        if next.body_timeout_ms != config.body_timeout_ms {
            return Err(SwitchError::FixedAtStart("body_timeout_ms"));
        }
        next.validate().map_err(SwitchError::Invalid)?;
        let app = self.app().reconfigured(&next);
        self.replace(app);
        *config = next;
        Ok(())
    }
}

impl Handler for Switchable {
    fn body_limit(&self, method: &http::Method) -> usize {
        self.app().body_limit(method)
    }

    fn before_body(&self, head: &http::request::Parts) -> super::server::BeforeBody {
        self.app().before_body(head)
    }

    fn handle<'a>(
        &'a self,
        request: RequestView<'a>,
    ) -> impl Future<Output = http::Response<Bytes>> + Send + 'a {
        let app = self.app();
        async move { app.handle(request).await }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::Fault;

    #[test]
    fn a_switch_keeps_state_and_a_reset_clears_it() {
        let mock = Switchable::new(MockConfig::default());
        let before = mock.app();
        // Business state through the App's own path is covered by tests/mock_control.rs; here
        // the state is shared, so a lock taken on the old App is seen by the new one.
        let mut config = mock.config();
        config.faults = vec![Fault::parse("CreateSession=InternalError:1").unwrap()];
        mock.reconfigure(config).unwrap();
        assert!(!Arc::ptr_eq(&before, &mock.app()));
        assert_eq!(mock.config().faults.len(), 1);
        mock.reset();
        assert!(mock.view().locks.is_empty());
        assert_eq!(
            mock.config().faults.len(),
            1,
            "a reset keeps the configuration"
        );
    }

    #[test]
    fn a_bad_or_fixed_setting_is_refused_and_nothing_changes() {
        let mock = Switchable::new(MockConfig::default());
        let mut config = mock.config();
        config.defect = Some("no-such-defect".into());
        assert!(matches!(
            mock.reconfigure(config),
            Err(SwitchError::Invalid(_))
        ));
        let mut config = mock.config();
        config.header_timeout_ms += 1;
        assert_eq!(
            mock.reconfigure(config),
            Err(SwitchError::FixedAtStart("header_timeout_ms"))
        );
        assert_eq!(mock.config(), MockConfig::default());
    }
}
