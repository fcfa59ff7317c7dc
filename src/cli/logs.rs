//! cli: the run's diagnostic log — `tracing` events on stderr, filtered by `RUST_LOG` (only
//! warnings unless asked), every event scrubbed of secrets ([`crate::redact::scrub`]) on its way
//! out, whatever its level or origin (ours, hyper's, reqwest's). At `RUST_LOG=debug` each signed
//! request shows its canonical request and string to sign — what a vendor compares with its own
//! to find a signature mismatch — and never the key or the signature.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the log subscriber (once; later calls do nothing) and the scrubbing panic hook.
pub fn init() {
    init_with_default("warn");
}

/// [`init`] with `default` as the filter when `RUST_LOG` is unset or invalid (the mock command
/// shows its request log by default).
pub fn init_with_default(default: &str) {
    crate::redact::install_panic_hook();
    let (filter, problem) = match EnvFilter::try_from_default_env() {
        Ok(filter) => (filter, None),
        Err(error) => {
            let problem = std::env::var("RUST_LOG")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|value| {
                    format!("RUST_LOG=`{value}` is not a log filter ({error}); using `{default}`")
                });
            (EnvFilter::new(default), problem)
        }
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Scrubbed::default())
        // No colours: every control character an event carries is escaped below, since target
        // text (a header, a Code) reaches trace logs, and ESC in it must not act on a terminal.
        .with_ansi(false)
        .try_init()
        .is_ok();
    if installed && let Some(problem) = problem {
        tracing::warn!("{problem}");
    }
}

/// Writes each event to stderr (or memory, for tests) after scrubbing it: the formatter hands
/// over one whole event per writer, so a secret is never split across two writes.
#[derive(Default, Clone)]
struct Scrubbed {
    memory: Option<Arc<Mutex<Vec<u8>>>>,
}

impl<'a> MakeWriter<'a> for Scrubbed {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer {
            event: Vec::new(),
            memory: self.memory.clone(),
        }
    }
}

struct EventBuffer {
    event: Vec<u8>,
    memory: Option<Arc<Mutex<Vec<u8>>>>,
}

impl Write for EventBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.event.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.event.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.event);
        let scrubbed = crate::redact::scrub(&text);
        let clean = crate::redact::for_terminal(&scrubbed);
        match &self.memory {
            Some(memory) => memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(clean.as_bytes()),
            None => {
                let _ = std::io::stderr().lock().write_all(clean.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_is_scrubbed_on_its_way_out() {
        crate::redact::remember_secret("logs-test-secret-key-value");
        let signature = "3c".repeat(32);
        crate::redact::remember_signature(&signature);
        let memory = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Scrubbed {
                memory: Some(Arc::clone(&memory)),
            })
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(key = "logs-test-secret-key-value", "a careless event");
            tracing::trace!(code = "Bad\u{1b}]0;owned\u{7}", "hostile text");
            tracing::debug!(header = %format!("Authorization: x, Signature={signature}"));
            crate::send::request::log_signed_request(
                "CreateSession",
                "h",
                "POST\n/\n",
                "TC3-HMAC-SHA256\n1\n",
            );
        });
        let text = String::from_utf8(memory.lock().unwrap().clone()).unwrap();
        assert!(text.contains("a careless event"), "{text}");
        assert!(!text.contains("logs-test-secret-key-value"), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(!text.contains(&signature), "{text}");
        assert!(
            text.contains("string_to_sign=\"TC3-HMAC-SHA256\\n1\\n\""),
            "{text}"
        );
    }
}
