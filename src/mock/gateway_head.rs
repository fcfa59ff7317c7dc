//! mock: what the gateway can decide from a request's head alone, before the server reads its
//! body. A TC3 request whose headers already fail a check (method, common headers, action,
//! version, announced size, Authorization shape and algorithm, credential scope, known SecretId,
//! signed Host and Content-Type, the 5-minute window) is answered without its body being read, so
//! slow uploads with a bad key hold no memory. The checks are the gateway's own steps, in its order, on an empty
//! body: a request refused here gets the same answer the whole gateway gives it, whatever its body.
//!
//! Not decided here: the signature itself and the token check that `verify` runs after it, unless
//! the payload is `UNSIGNED-PAYLOAD`. Signature v1 requests carry
//! their credentials in the parameters (a form POST: in the body), so they are read instead,
//! under v1's own 1 MB limit.

use std::time::Instant;

use super::{Gateway, Incoming, Pass, STEPS, address, v1};
use crate::mock::decisions::Check;
use crate::sign::{Received, VerifyPolicy, verify_head};

/// What the head says about reading the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// A signature v1 request: its parameters are the body (POST) or the query (GET).
    V1,
    /// Refused whatever the body: answer without reading it.
    Refused,
    /// Nothing in the head refuses it: read the body and run every check.
    Read,
}

impl Gateway {
    /// Runs the gateway's checks that need no body on `request` (whose `body` is ignored and
    /// `body_len` is the announced length, 0 when none is announced).
    pub fn head(&self, request: &Incoming<'_>, now_unix: i64, now: Instant) -> Head {
        let request = Incoming {
            body: &[],
            ..*request
        };
        if v1::applies(self, &request) {
            return Head::V1;
        }
        let mut pass = Pass {
            gateway: self,
            request: &request,
            now_unix,
            now,
            action: None,
            secret_id: None,
            params: None,
        };
        for step in STEPS.iter().take_while(|step| step.name != "signature") {
            if step.check.is_none_or(|check| self.checks.on(check))
                && (step.run)(&mut pass).is_err()
            {
                return Head::Refused;
            }
        }
        if self.signature_refused(&request, now_unix) {
            Head::Refused
        } else {
            Head::Read
        }
    }

    /// The header part of the signature step; a defect that bends the signature check is left
    /// to the whole gateway.
    fn signature_refused(&self, request: &Incoming<'_>, now_unix: i64) -> bool {
        if !self.checks.on(Check::Signature) || self.signature_flaw.is_some() {
            return false;
        }
        let lookup = |secret_id: &str| self.keys.get(secret_id).cloned();
        let policy = VerifyPolicy {
            now: now_unix,
            window_secs: if self.checks.on(Check::TimestampWindow) {
                self.window_secs
            } else {
                i64::MAX
            },
            service: address::accepted_service(request.headers),
            scope_date: None,
        };
        let unsigned_payload = request
            .header("x-tc-content-sha256")
            .is_some_and(|value| value.trim() == crate::sign::UNSIGNED_PAYLOAD);
        if unsigned_payload {
            // The body is not signed: the whole verification reads only the head.
            let received = Received {
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                body: &[],
            };
            return address::verify_at_address(&received, &lookup, &policy, &self.cache).is_err();
        }
        verify_head(request.headers, &lookup, &policy).is_err()
    }
}
