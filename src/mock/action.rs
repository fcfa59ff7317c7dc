//! mock: the CAR actions the mock serves, by their `X-TC-Action` names.

/// An action of CAR 2022-01-10 that the mock implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    ApplyConcurrent,
    CreateSession,
    DestroySession,
    DescribeConcurrentCount,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::ApplyConcurrent,
        Action::CreateSession,
        Action::DestroySession,
        Action::DescribeConcurrentCount,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::ApplyConcurrent => "ApplyConcurrent",
            Action::CreateSession => "CreateSession",
            Action::DestroySession => "DestroySession",
            Action::DescribeConcurrentCount => "DescribeConcurrentCount",
        }
    }

    /// The action named exactly `name` (names are case-sensitive, as on the cloud).
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
        assert_eq!(Action::from_name("createsession"), None);
        assert_eq!(Action::from_name(""), None);
    }
}
