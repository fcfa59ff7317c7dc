//! `car-conformance mock`'s log as a team debugging its own signer reads it: one line per
//! request on stderr, and for a refused signature the mock's canonical request and string to
//! sign — equal to what a correct signer computes, and never the key or a signature.

mod common;

use std::io::Read;
use std::process::Stdio;

use car_conformance::mock;
use car_conformance::sign::{Credentials, Signed};

use common::bin;
use common::call::{signed, test_pair};
use common::mock::Process;

async fn send(url: &str, credentials: &Credentials, body: &str) -> (Signed, String) {
    let client = reqwest::Client::new();
    let (signed, request) = signed(&client, url, "ApplyConcurrent", body, credentials);
    let answer = request.send().await.unwrap().text().await.unwrap();
    (signed, answer)
}

#[tokio::test]
async fn each_request_is_logged_and_a_refused_signature_explained() {
    let mut command = bin();
    command.stderr(Stdio::piped());
    let mut mock = Process::start_command(command, &[]);
    let mut stderr = mock.take_stderr();
    let url = mock.url.clone();

    let good = test_pair();
    let body = r#"{"UserId":"log-user","UserIp":"203.0.113.7","ProjectId":"cap-1"}"#;
    let (_, answer) = send(&url, &good, body).await;
    assert!(!answer.contains("\"Error\""), "{answer}");
    let wrong_key = "carconformanceTESTsecretKEY00000X";
    let wrong = Credentials::new(mock::TEST_SECRET_ID, wrong_key);
    let hostile =
        r#"{"UserId":"evil\u001b[2J\nINFO forged","UserIp":"203.0.113.7","ProjectId":"cap-1"}"#;
    let (refused, answer) = send(&url, &wrong, hostile).await;
    assert!(answer.contains("AuthFailure.SignatureFailure"), "{answer}");

    mock.kill();
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    let requests: Vec<&str> = log.lines().filter(|l| l.contains("mock::access")).collect();
    assert_eq!(requests.len(), 2, "one line per request:\n{log}");
    assert!(
        requests[0].contains("action=ApplyConcurrent user_id=log-user outcome=\"ok\" ms="),
        "{log}"
    );
    assert!(
        requests[1].contains("outcome=\"AuthFailure.SignatureFailure\""),
        "{log}"
    );
    assert!(
        requests[1].contains("user_id=evil\\u{1b}[2J\\u{a}INFO forged"),
        "{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "raw control characters in the log:\n{log}"
    );

    let explained: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("mock::explain"))
        .collect();
    assert_eq!(explained.len(), 1, "{log}");
    // The mock computed what the (wrong-keyed) signer computed: the team diffs these two texts.
    assert!(
        explained[0].contains(&format!("{:?}", refused.canonical_request)),
        "{log}"
    );
    assert!(
        explained[0].contains(&format!("{:?}", refused.string_to_sign)),
        "{log}"
    );
    for secret in [mock::TEST_SECRET_KEY, wrong_key, refused.signature.as_str()] {
        assert!(!log.contains(secret), "a secret in the log:\n{log}");
    }
}
