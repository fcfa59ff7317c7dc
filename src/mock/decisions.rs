//! mock: every decision the mock makes, by name. The gateway, the parameter table and the
//! business state ask [`Checks::on`] before refusing a request, so a named defect (a realistic way
//! an implementation gets the contract wrong) can switch exactly one decision off.

use super::params::ParamRule;

/// One decision that can refuse a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// GET and POST only (`UnsupportedProtocol`).
    Method,
    /// X-TC-Action, X-TC-Version and X-TC-Timestamp present (`MissingParameter`).
    RequiredHeaders,
    /// X-TC-Version is 2022-01-10 (`NoSuchVersion`).
    Version,
    /// Request size limits (`RequestSizeLimitExceeded`).
    Size,
    /// The TC3 signature (`AuthFailure.*`); off, any Authorization is accepted.
    Signature,
    /// The timestamp window (`AuthFailure.SignatureExpire`); off, any timestamp is in time.
    TimestampWindow,
    /// A POST body is a JSON object (`InvalidParameter.JsonParseError`); off, it counts as `{}`.
    JsonBody,
    /// One rule of the parameter table.
    Param(ParamRule),
    /// One rule of the parameter table for one parameter only (e.g. `Required` of `UserIp`);
    /// not in [`Check::ALL`], which lists the rules as a whole.
    ParamOf(ParamRule, &'static str),
    /// The per-SecretId, per-action rate limit (`RequestLimitExceeded`).
    RateLimit,
    /// Requests for a UserId being stopped (`UnsupportedOperation.Stopping`).
    Stopping,
    /// A second request while CreateSession runs (`FailedOperation.SlowDown`).
    SlowDown,
    /// CreateSession needs a live lock (`FailedOperation.LockTimeout`).
    LockRequired,
    /// Locks plus sessions within the quota (`ResourceNotFound.NoIdle`).
    Quota,
    /// A room's host is a Player (`InvalidParameterValue`).
    HostIsPlayer,
    /// A guest joins an existing, running room (`ResourceNotFound.SessionNotFound`).
    RoomExists,
    /// Players and Viewers per room within their limits (`LimitExceeded.Role`).
    RoleLimit,
}

impl Check {
    /// Every check, in the order a request meets them.
    pub const ALL: [Check; 22] = [
        Check::Method,
        Check::RequiredHeaders,
        Check::Version,
        Check::Size,
        Check::Signature,
        Check::TimestampWindow,
        Check::JsonBody,
        Check::Param(ParamRule::Required),
        Check::Param(ParamRule::Type),
        Check::Param(ParamRule::Enum),
        Check::Param(ParamRule::Value),
        Check::Param(ParamRule::ClientSession),
        Check::Param(ParamRule::RoleNeedsHost),
        Check::Param(ParamRule::Unknown),
        Check::RateLimit,
        Check::Stopping,
        Check::SlowDown,
        Check::LockRequired,
        Check::Quota,
        Check::HostIsPlayer,
        Check::RoomExists,
        Check::RoleLimit,
    ];
}

/// The checks in force: all of them, less those switched off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    off: Vec<Check>,
}

impl Checks {
    /// Every check on: the documented behaviour.
    pub fn all() -> Self {
        Self::default()
    }

    /// These checks, with `check` switched off.
    pub fn without(mut self, check: Check) -> Self {
        if !self.off.contains(&check) {
            self.off.push(check);
        }
        self
    }

    pub fn on(&self, check: Check) -> bool {
        !self.off.contains(&check)
    }

    /// Whether parameter rule `rule` applies to the parameter `name`: the rule is on as a whole
    /// and not switched off for that parameter alone.
    pub fn param_on(&self, rule: ParamRule, name: &str) -> bool {
        self.on(Check::Param(rule))
            && !self
                .off
                .iter()
                .any(|c| matches!(c, Check::ParamOf(r, n) if *r == rule && *n == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_checks_are_on_until_switched_off() {
        let checks = Checks::all();
        assert!(Check::ALL.iter().all(|c| checks.on(*c)));
        let checks = checks.without(Check::Quota).without(Check::Quota);
        assert!(!checks.on(Check::Quota));
        assert_eq!(Check::ALL.iter().filter(|c| !checks.on(**c)).count(), 1);
    }

    #[test]
    fn a_parameter_rule_can_be_switched_off_for_one_parameter() {
        let checks = Checks::all().without(Check::ParamOf(ParamRule::Required, "UserIp"));
        assert!(!checks.param_on(ParamRule::Required, "UserIp"));
        assert!(checks.param_on(ParamRule::Required, "UserId"));
        assert!(checks.param_on(ParamRule::Type, "UserIp"));
        assert!(Check::ALL.iter().all(|c| checks.on(*c)));
        let checks = Checks::all().without(Check::Param(ParamRule::Enum));
        assert!(!checks.param_on(ParamRule::Enum, "Role"));
    }

    #[test]
    fn the_list_of_checks_has_no_duplicates() {
        for check in Check::ALL {
            assert_eq!(Check::ALL.iter().filter(|c| **c == check).count(), 1);
        }
    }
}
