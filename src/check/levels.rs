//! check: the level each failed check fails at. The default checks every step runs (HTTP
//! status, Content-Type, RequestId shape, envelope schema, latency) enforce catalogue rules of
//! their own, so they carry those rules' levels; the checks a case states itself (its outcome,
//! tally, snapshot, captures) carry the case's. A failure counts at the lower of the case's level
//! and its check's: a `must` case about LockTimeout fails `must` only when the code is wrong.

use crate::case::Level;
use crate::case::catalogue::Catalogue;
use crate::outcome::{FailureKind, SchemaViolation};

/// Catalogue rules the default checks enforce.
pub const STATUS_SUCCESS: &str = "response.http-status.success";
pub const STATUS_ERROR: &str = "response.http-status.error";
pub const CONTENT_TYPE: &str = "response.content-type";
pub const ENVELOPE: &str = "response.envelope";
pub const REQUEST_ID_SHAPE: &str = "response.request-id.uuid";
pub const LATENCY: &str = "response.latency";

/// The levels of the default checks, read from the catalogue (a rule it lacks leaves its check
/// at the case's level).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckLevels {
    levels: Vec<(&'static str, Level)>,
}

impl CheckLevels {
    pub fn from_catalogue(catalogue: &Catalogue) -> Self {
        let levels = [
            STATUS_SUCCESS,
            STATUS_ERROR,
            CONTENT_TYPE,
            ENVELOPE,
            REQUEST_ID_SHAPE,
            LATENCY,
        ]
        .into_iter()
        .filter_map(|id| catalogue.item(id).map(|item| (id, item.level)))
        .collect();
        Self { levels }
    }

    fn level(&self, rule: &str) -> Option<Level> {
        self.levels
            .iter()
            .find(|(id, _)| *id == rule)
            .map(|(_, level)| *level)
    }

    /// The rule a failed default check enforces (`None`: the case's own check).
    pub fn rule_of(kind: &FailureKind, expects_success: bool) -> Option<&'static str> {
        match kind {
            FailureKind::Status { .. } if expects_success => Some(STATUS_SUCCESS),
            FailureKind::Status { .. } => Some(STATUS_ERROR),
            FailureKind::ContentType { .. } => Some(CONTENT_TYPE),
            FailureKind::Latency { .. } => Some(LATENCY),
            FailureKind::Schema { violations, .. } => {
                // The strictest rule among the violations: only a RequestId that breaks
                // nothing but its pattern is a shape matter.
                if violations.iter().all(is_request_id_shape) {
                    Some(REQUEST_ID_SHAPE)
                } else {
                    Some(ENVELOPE)
                }
            }
            _ => None,
        }
    }

    /// The level `kind` fails at in a case of `case_level`: the lower of the two.
    pub fn failing_level(
        &self,
        case_level: Level,
        kind: &FailureKind,
        expects_success: bool,
    ) -> Level {
        let check = Self::rule_of(kind, expects_success).and_then(|rule| self.level(rule));
        check.map_or(case_level, |check| lower(case_level, check))
    }
}

fn is_request_id_shape(violation: &SchemaViolation) -> bool {
    violation.instance_path == "/Response/RequestId"
        && (violation.schema_path.ends_with("/pattern")
            || violation.schema_path.ends_with("/format"))
}

/// The lower (less binding) of two levels: `info` below `should` below `must`.
pub fn lower(a: Level, b: Level) -> Level {
    // `Level` orders must < should < info.
    a.max(b)
}

/// The strictest of `levels` (`None` when there are none).
pub fn strictest(levels: impl IntoIterator<Item = Level>) -> Option<Level> {
    levels.into_iter().min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/catalogue.json"),
        )
        .unwrap();
        Catalogue::parse(&text, std::path::Path::new("catalogue.json")).unwrap()
    }

    fn violation(path: &str, schema: &str) -> SchemaViolation {
        SchemaViolation {
            instance_path: path.into(),
            schema_path: schema.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn levels_order_and_lowering() {
        assert_eq!(lower(Level::Must, Level::Should), Level::Should);
        assert_eq!(lower(Level::Info, Level::Must), Level::Info);
        assert_eq!(lower(Level::Must, Level::Must), Level::Must);
        assert_eq!(strictest([Level::Info, Level::Should]), Some(Level::Should));
        assert_eq!(strictest([]), None);
    }

    #[test]
    fn default_checks_carry_their_rule_s_level_case_checks_the_case_s() {
        let levels = CheckLevels::from_catalogue(&catalogue());
        let content_type = FailureKind::ContentType {
            expected: "application/json".into(),
            actual: Some("text/html".into()),
        };
        let rule = catalogue().item(CONTENT_TYPE).unwrap().level;
        assert_eq!(
            levels.failing_level(Level::Must, &content_type, true),
            lower(Level::Must, rule)
        );
        let outcome = FailureKind::Outcome {
            expected: "FailedOperation.LockTimeout".into(),
            actual: "success".into(),
        };
        assert_eq!(
            levels.failing_level(Level::Must, &outcome, false),
            Level::Must
        );
        assert_eq!(
            levels.failing_level(Level::Info, &content_type, true),
            Level::Info
        );
        let empty = CheckLevels::default();
        assert_eq!(
            empty.failing_level(Level::Must, &content_type, true),
            Level::Must
        );
    }

    #[test]
    fn a_schema_failure_is_a_request_id_shape_matter_only_when_nothing_else_broke() {
        let shape = violation(
            "/Response/RequestId",
            "/properties/Response/properties/RequestId/pattern",
        );
        let envelope = violation("/Response", "/properties/Response/required");
        let kind = |v: Vec<SchemaViolation>| FailureKind::Schema {
            schema: "s".into(),
            violations: v,
        };
        assert_eq!(
            CheckLevels::rule_of(&kind(vec![shape.clone()]), true),
            Some(REQUEST_ID_SHAPE)
        );
        assert_eq!(
            CheckLevels::rule_of(&kind(vec![shape, envelope]), true),
            Some(ENVELOPE)
        );
        let status = FailureKind::Status {
            expected: 200,
            actual: 400,
        };
        assert_eq!(CheckLevels::rule_of(&status, false), Some(STATUS_ERROR));
    }
}
