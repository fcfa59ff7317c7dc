//! report: the run's diagnostic log — `tracing` events on stderr, filtered by `RUST_LOG` (only
//! warnings unless asked), every event scrubbed of secrets ([`crate::redact::scrub`]) on its way
//! out, whatever its level or origin (ours, hyper's, reqwest's). At `RUST_LOG=debug` each signed
//! request shows its canonical request and string to sign — what a vendor compares with its own
//! to find a signature mismatch — and never the key or the signature.

use std::io::{IsTerminal, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The target of the signing events, for `RUST_LOG=car_conformance::sign=debug`.
pub const SIGN_TARGET: &str = "car_conformance::sign";

/// Installs the log subscriber (once; later calls do nothing) and the scrubbing panic hook.
pub fn init() {
    crate::redact::install_panic_hook();
    let (filter, problem) = match EnvFilter::try_from_default_env() {
        Ok(filter) => (filter, None),
        Err(error) => {
            let problem = std::env::var("RUST_LOG")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|value| {
                    format!("RUST_LOG=`{value}` is not a log filter ({error}); using `warn`")
                });
            (EnvFilter::new("warn"), problem)
        }
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Scrubbed)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .is_ok();
    if installed && let Some(problem) = problem {
        tracing::warn!("{problem}");
    }
}

/// Logs one signed request: the pieces a vendor needs to reproduce the signature.
pub fn signed_request(action: &str, host: &str, canonical_request: &str, string_to_sign: &str) {
    tracing::debug!(
        target: SIGN_TARGET,
        action,
        host,
        canonical_request = ?canonical_request,
        string_to_sign = ?string_to_sign,
        "signed request"
    );
}

/// Writes each event to stderr after scrubbing it (the formatter hands over one whole event per
/// writer, so a secret is never split across two writes).
struct Scrubbed;

impl<'a> MakeWriter<'a> for Scrubbed {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer(Vec::new())
    }
}

struct EventBuffer(Vec<u8>);

impl Write for EventBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.0);
        let clean = crate::redact::scrub(&text);
        let _ = std::io::stderr().lock().write_all(clean.as_bytes());
    }
}
