//! mock: injected faults — configured error codes answered instead of the business layer, for
//! the next N calls of an action or with a probability (seeded, so runs repeat exactly). This is
//! how cases reach codes no request can provoke (InternalError, FailedOperation.ProcessTimeout…).

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::action::Action;
use super::config::Fault;
use super::messages::ApiError;

/// The RNG seed: fixed, so a probability fault hits the same calls on every run.
pub const FAULT_SEED: u64 = 0x00ca_5e55_10f0;

#[derive(Debug)]
pub struct Faults {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    faults: Vec<Fault>,
    /// Calls left per fault (`None`: unlimited).
    remaining: Vec<Option<u32>>,
    rng: StdRng,
}

impl Faults {
    pub fn new(faults: &[Fault]) -> Self {
        Self {
            inner: Mutex::new(Inner {
                remaining: faults.iter().map(|f| f.times).collect(),
                faults: faults.to_vec(),
                rng: StdRng::seed_from_u64(FAULT_SEED),
            }),
        }
    }

    /// The error to inject into this call of `action`, if any: the first matching fault that
    /// has calls left and (when it has a probability) wins its draw.
    pub fn pick(&self, action: Action) -> Option<ApiError> {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if inner.faults.is_empty() {
            return None;
        }
        let Inner {
            faults,
            remaining,
            rng,
        } = &mut *inner;
        for (fault, left) in faults.iter().zip(remaining.iter_mut()) {
            if !fault.matches(action) || *left == Some(0) {
                continue;
            }
            if let Some(p) = fault.probability
                && rng.random::<f64>() >= p
            {
                continue;
            }
            if let Some(n) = left {
                *n -= 1;
            }
            return Some(match &fault.message {
                Some(message) => ApiError::with_message(&fault.code, message),
                None => ApiError::code(&fault.code),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(action: &str, code: &str, times: Option<u32>, probability: Option<f64>) -> Fault {
        Fault {
            action: action.into(),
            code: code.into(),
            message: None,
            times,
            probability,
        }
    }

    #[test]
    fn a_counted_fault_hits_the_next_calls_of_its_action_only() {
        let faults = Faults::new(&[fault("CreateSession", "InternalError", Some(2), None)]);
        assert!(faults.pick(Action::ApplyConcurrent).is_none());
        assert_eq!(
            faults.pick(Action::CreateSession).unwrap().code,
            "InternalError"
        );
        assert_eq!(
            faults.pick(Action::CreateSession).unwrap().code,
            "InternalError"
        );
        assert!(faults.pick(Action::CreateSession).is_none());
    }

    #[test]
    fn an_uncounted_fault_for_every_action_always_hits_with_its_message() {
        let mut f = fault("*", "OperationDenied", None, None);
        f.message = Some("denied by test".into());
        let faults = Faults::new(&[f]);
        for action in Action::ALL {
            let error = faults.pick(action).unwrap();
            assert_eq!(error.code, "OperationDenied");
            assert_eq!(error.en, "denied by test");
        }
    }

    #[test]
    fn a_probability_fault_is_deterministic_and_roughly_right() {
        let draw = || {
            let faults =
                Faults::new(&[fault("CreateSession", "FailedOperation", None, Some(0.25))]);
            (0..400)
                .map(|_| faults.pick(Action::CreateSession).is_some())
                .collect::<Vec<_>>()
        };
        let first = draw();
        assert_eq!(first, draw());
        let hits = first.iter().filter(|hit| **hit).count();
        assert!((60..=140).contains(&hits), "{hits} hits of 400 at p=0.25");
        let never = Faults::new(&[fault("CreateSession", "FailedOperation", None, Some(0.0))]);
        assert!((0..100).all(|_| never.pick(Action::CreateSession).is_none()));
    }
}
