//! plan: each action's documented time budget — the only latencies the suite may judge — and
//! the request timeouts derived from them. An action whose page documents no timeout is timed
//! and reported, never judged, and still gets a bounded request timeout.

use std::time::Duration;

/// One action's documented timeout, with the sentence and page that give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub action: &'static str,
    pub budget: Duration,
    pub quote: &'static str,
    pub source: &'static str,
}

/// Every documented budget of the actions the suite sends. DestroySession's and
/// DescribeConcurrentCount's pages state a rate limit and no timeout.
pub const BUDGETS: &[Budget] = &[
    Budget {
        action: "CreateSession",
        budget: Duration::from_secs(5),
        quote: "This API is used to create a session. The timeout period of the API is 5 seconds.",
        source: "https://www.tencentcloud.com/document/api/1158/49968",
    },
    Budget {
        action: "ApplyConcurrent",
        budget: Duration::from_secs(20),
        quote: "This API is used to request concurrency quota. The timeout period of the API is 20 seconds.",
        source: "https://www.tencentcloud.com/document/api/1158/49969",
    },
];

/// How long past its budget a request may run before the runner gives up on it: the budget is
/// the server's, the margin covers the network and a loaded client.
pub const MARGIN: Duration = Duration::from_secs(1);

/// The documented budget of `action`, if its page gives one.
pub fn of(action: &str) -> Option<&'static Budget> {
    BUDGETS.iter().find(|b| b.action == action)
}

/// The longest documented budget: what an action without one is allowed before it times out
/// (reported, not judged), so a slow but working target never loses an answer.
pub fn longest() -> Duration {
    BUDGETS
        .iter()
        .map(|b| b.budget)
        .max()
        .unwrap_or(Duration::from_secs(5))
}

/// The request timeout for `action` when none is given on the command line: its budget (or the
/// longest documented one) plus [`MARGIN`], and at least `latency` when a step allows more.
pub fn request_timeout(action: &str, latency: Option<Duration>) -> Duration {
    let budget = of(action).map_or_else(longest, |b| b.budget);
    budget.max(latency.unwrap_or_default()) + MARGIN
}

/// The latency a step's answer is judged against: the step's own `latency_ms`, else the action's
/// documented budget; `None` means timed and reported, not judged.
pub fn judged_latency(action: &str, latency_ms: Option<u64>) -> Option<Duration> {
    latency_ms
        .map(Duration::from_millis)
        .or_else(|| of(action).map(|b| b.budget))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_actions_have_their_budgets_others_none() {
        assert_eq!(of("CreateSession").unwrap().budget, Duration::from_secs(5));
        assert_eq!(
            of("ApplyConcurrent").unwrap().budget,
            Duration::from_secs(20)
        );
        assert!(of("DestroySession").is_none());
        assert!(of("DescribeConcurrentCount").is_none());
        for budget in BUDGETS {
            assert!(budget.quote.contains("timeout period"));
            assert!(budget.source.starts_with("https://www.tencentcloud.com/"));
        }
    }

    #[test]
    fn timeouts_derive_from_budgets() {
        assert_eq!(
            request_timeout("CreateSession", None),
            Duration::from_secs(6)
        );
        assert_eq!(
            request_timeout("ApplyConcurrent", None),
            Duration::from_secs(21)
        );
        assert_eq!(
            request_timeout("DestroySession", None),
            Duration::from_secs(21)
        );
        let allowed = Some(Duration::from_secs(8));
        assert_eq!(
            request_timeout("CreateSession", allowed),
            Duration::from_secs(9)
        );
    }

    #[test]
    fn only_documented_or_stated_latencies_are_judged() {
        assert_eq!(
            judged_latency("CreateSession", None),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            judged_latency("ApplyConcurrent", None),
            Some(Duration::from_secs(20))
        );
        assert_eq!(judged_latency("DestroySession", None), None);
        assert_eq!(
            judged_latency("DestroySession", Some(100)),
            Some(Duration::from_millis(100))
        );
    }
}
