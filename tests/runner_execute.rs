//! One case executed against a mock through the library: cleanup always runs (the mock is left
//! with no lock and no session), a failed step stops the steps after it, captures flow into later
//! steps, and every failure of a step is collected.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use car_conformance::case::catalogue::Catalogue;
use car_conformance::case::{Case, CaseSpec, Level};
use car_conformance::check::SchemaSet;
use car_conformance::check::levels::CheckLevels;
use car_conformance::check::snapshot::{Snapshots, UpdateMode};
use car_conformance::mock::{self, MockConfig};
use car_conformance::outcome::{Failure, FailureKind, Status};
use car_conformance::plan::Planned;
use car_conformance::run::execute::{Shared, execute};
use car_conformance::send::request::Endpoint;
use car_conformance::send::{Client, ClientConfig};
use car_conformance::sign::Credentials;

fn shared(url: &str) -> Shared {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Shared {
        client: Client::new(ClientConfig::default()).unwrap(),
        schemas: SchemaSet::load(&root.join("schemas"), []).unwrap(),
        check_levels: CheckLevels::default(),
        snapshots: Snapshots {
            dir: std::env::temp_dir().join("car-runner-execute-snapshots"),
            suffix: "mock".into(),
            mode: UpdateMode::No,
        },
        endpoint: Endpoint {
            url: url::Url::parse(url).unwrap(),
            credentials: Credentials::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY),
            region: None,
        },
        project_id: "cap-test".into(),
        client_session: car_conformance::plan::DEFAULT_CLIENT_SESSION.into(),
        client_ip: "203.0.113.10".into(),
        run_id: "testrun0".into(),
        guard: Default::default(),
    }
}

fn planned(case: Value) -> Planned {
    let spec: CaseSpec = serde_json::from_value(case).unwrap();
    Planned {
        case: Case {
            id: format!("test/{}", spec.name),
            file: PathBuf::from("test.json"),
            pointer: "/cases/0".into(),
            spec,
            mock: None,
        },
        skip: None,
        ordinal: 7,
    }
}

const APPLY: &str = "ApplyConcurrent";

fn lock_step() -> Value {
    json!({"action": APPLY,
           "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ProjectId": "{{project_id}}"},
           "expect": {"success": true}})
}

fn create_step(expect: Value) -> Value {
    json!({"action": "CreateSession",
           "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ClientSession": "c"},
           "expect": expect})
}

async fn start() -> mock::MockHandle {
    mock::start(MockConfig::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_runs_after_a_failed_step_and_later_steps_are_not_sent() {
    let mock = start().await;
    let shared = shared(&mock.url());
    let case = planned(json!({
        "name": "fails-in-the-middle", "title": "t", "level": "must", "source": "s", "covers": ["x"],
        "steps": [
            lock_step(),
            create_step(json!({"code": "FailedOperation.SlowDown", "content_type": "text/plain"})),
            create_step(json!({"success": true}))
        ],
        "cleanup": [{"action": "DestroySession", "params": {"UserId": "{{user_id}}"}}]
    }));
    let outcome = execute(&shared, &case).await;
    assert_eq!(outcome.status, Status::Failed);
    // Both failed checks of step 2 are reported, each pointing at its exchange.
    let kinds: Vec<&FailureKind> = outcome.failures.iter().map(|f| &f.kind).collect();
    assert!(
        matches!(
            kinds[..],
            [FailureKind::ContentType { .. }, FailureKind::Outcome { .. }]
        ),
        "{kinds:?}"
    );
    assert!(outcome.failures.iter().all(|f| f.exchange == Some(1)));
    // Step 3 was not sent; the cleanup was.
    let labels: Vec<String> = outcome
        .exchanges
        .iter()
        .map(|e| format!("{}", e.step))
        .collect();
    assert_eq!(
        labels,
        [
            "step 1 (ApplyConcurrent)",
            "step 2 (CreateSession)",
            "cleanup step 1 (DestroySession)"
        ]
    );
    assert_eq!(outcome.notes, ["steps 3–3 not sent: step 2 failed"]);
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );
    // The UserId is derived from the run id and the case's ordinal.
    assert!(
        outcome.exchanges[0]
            .request
            .body
            .text
            .contains("carconf-testrun0-007")
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_flow_into_later_steps_and_missing_ones_stop_the_case() {
    let mock = start().await;
    let shared = shared(&mock.url());
    let case = planned(json!({
        "name": "captures", "title": "t", "level": "must", "source": "s", "covers": ["x"],
        "steps": [
            lock_step(),
            create_step(json!({"success": true, "capture": {"rid": "/Response/RequestId", "none": "/Response/Nope"}})),
            {"action": "DestroySession", "params": {"UserId": "{{user_id}}"},
             "headers": {"X-TC-TraceId": "{{capture.rid}}"}, "expect": {"success": true}}
        ],
        "cleanup": [{"action": "DestroySession", "params": {"UserId": "{{user_id}}", "X": "{{capture.none}}"}}]
    }));
    let outcome = execute(&shared, &case).await;
    let kinds: Vec<&FailureKind> = outcome.failures.iter().map(|f| &f.kind).collect();
    assert!(
        matches!(&kinds[..], [FailureKind::Capture { name, .. }, FailureKind::NotSent { .. }] if name == "none"),
        "{kinds:?}"
    );
    // The capture that worked was not used (step 3 was stopped), the cleanup could not be
    // built, and the runner's own cleanup destroyed the session.
    assert_eq!(outcome.exchanges.len(), 3);
    assert_eq!(outcome.exchanges[2].step.label, "runner cleanup");
    assert!(mock.live().sessions.is_empty());
    // A capture flows into a later step's header.
    let case = planned(json!({
        "name": "trace", "title": "t", "level": "must", "source": "s", "covers": ["x"],
        "steps": [
            lock_step(),
            create_step(json!({"success": true, "capture": {"rid": "/Response/RequestId"}})),
            {"action": "DestroySession", "params": {"UserId": "{{user_id}}"},
             "headers": {"X-TC-TraceId": "{{capture.rid}}"}, "expect": {"success": true}}
        ]
    }));
    let outcome = execute(&shared, &case).await;
    assert_eq!(outcome.status, Status::Passed, "{:?}", outcome.failures);
    let rid =
        serde_json::from_str::<Value>(&outcome.exchanges[1].response.as_ref().unwrap().body.text)
            .unwrap()["Response"]["RequestId"]
            .as_str()
            .unwrap()
            .to_owned();
    let sent = &outcome.exchanges[2].request.headers;
    assert!(sent.contains(&("X-TC-TraceId".to_owned(), rid)), "{sent:?}");
    assert!(mock.live().sessions.is_empty());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_with_its_own_mock_configuration_gets_its_own_mock() {
    // The shared endpoint points nowhere: only the case's own mock can answer.
    let shared = shared("http://127.0.0.1:9");
    let mut case = planned(json!({
        "name": "own-mock", "title": "t", "level": "should", "source": "s", "covers": ["x"],
        "requires": {"mock": {"concurrency_quota": 0}},
        "steps": [{"action": APPLY,
                   "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ProjectId": "{{project_id}}"},
                   "expect": {"code": "ResourceNotFound.NoIdle"}}]
    }));
    case.case.mock = Some(MockConfig {
        concurrency_quota: 0,
        ..MockConfig::default()
    });
    let outcome = execute(&shared, &case).await;
    assert_eq!(outcome.status, Status::Passed, "{:?}", outcome.failures);
    assert!(!outcome.exchanges[0].request.url.contains(":9/"));
}

/// The runner's shared state with the default checks' levels read from the real catalogue.
fn shared_with_levels(url: &str, schemas: &[&str]) -> Shared {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let text = std::fs::read_to_string(root.join("catalogue.json")).unwrap();
    let catalogue = Catalogue::parse(&text, &root.join("catalogue.json")).unwrap();
    Shared {
        check_levels: CheckLevels::from_catalogue(&catalogue),
        schemas: SchemaSet::load(&root, schemas.iter().copied()).unwrap(),
        ..shared(url)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_check_fails_at_its_own_rule_s_level_never_above_the_case_s() {
    // Answers served as text/html: the Content-Type rule is `should`, so a `must` case about
    // LockTimeout fails at `should`, not `must`; the right code keeps the case's own check quiet.
    let config = MockConfig {
        defect: Some("content-type-html".into()),
        ..MockConfig::default()
    };
    let mock = mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let shared = shared_with_levels(&mock.url(), &[]);
    let case = planned(json!({
        "name": "lock", "title": "t", "level": "must", "source": "s", "covers": ["x"],
        "steps": [create_step(json!({"code": "FailedOperation.LockTimeout", "schema": "none"}))]
    }));
    let outcome = execute(&shared, &case).await;
    let levels: Vec<(Level, &FailureKind)> = outcome
        .failures
        .iter()
        .map(|f| (f.level, &f.kind))
        .collect();
    assert!(
        matches!(
            levels[..],
            [(Level::Should, FailureKind::ContentType { .. })]
        ),
        "{levels:?}"
    );
    assert_eq!(outcome.failing_level(), Some(Level::Should));
    assert!(outcome.fails_run());
    // An info case stays at info whatever its checks' rules say.
    let info = planned(json!({
        "name": "lock-info", "title": "t", "level": "info", "source": "s", "covers": ["x"],
        "steps": [create_step(json!({"code": "FailedOperation.LockTimeout", "schema": "none"}))]
    }));
    let outcome = execute(&shared, &info).await;
    assert_eq!(outcome.failing_level(), Some(Level::Info));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_that_is_no_uuid_fails_a_must_case_at_info_only() {
    let config = MockConfig {
        variants: vec!["request-id-opaque".into()],
        ..MockConfig::default()
    };
    let mock = mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let schema = "response.request-id-uuid.schema.json";
    let shared = shared_with_levels(&mock.url(), &[schema]);
    let case = planned(json!({
        "name": "shape", "title": "t", "level": "must", "source": "s", "covers": ["x"],
        "steps": [create_step(json!({"code": "FailedOperation.LockTimeout", "schema": schema}))]
    }));
    let outcome = execute(&shared, &case).await;
    assert_eq!(outcome.status, Status::Failed);
    assert!(
        matches!(
            outcome.failures[..],
            [Failure {
                level: Level::Info,
                kind: FailureKind::Schema { .. },
                ..
            }]
        ),
        "{:?}",
        outcome.failures
    );
    assert!(!outcome.fails_run(), "a RequestId shape never fails a run");
    mock.shutdown().await;
}
