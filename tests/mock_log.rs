//! `car-conformance mock`'s log as a team debugging its own signer reads it: one line per
//! request on stderr, and for a refused signature the mock's canonical request and string to
//! sign — equal to what a correct signer computes, and never the key or a signature.

use std::io::Read;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use car_conformance::mock;
use car_conformance::sign::{Credentials, SignRequest, Signed, sign};

const BIN: &str = env!("CARGO_BIN_EXE_car-conformance");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn send(url: &str, credentials: &Credentials, body: &str) -> (Signed, String) {
    let host = url.trim_start_matches("http://");
    let signed = sign(&SignRequest::post_json(
        host,
        "ApplyConcurrent",
        body.as_bytes(),
        now(),
        credentials,
    ))
    .unwrap();
    let mut request = reqwest::Client::new().post(url).body(body.to_owned());
    for (name, value) in &signed.headers {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.unwrap().text().await.unwrap();
    (signed, answer)
}

#[tokio::test]
async fn each_request_is_logged_and_a_refused_signature_explained() {
    let mut child = Command::new(BIN)
        .args(["mock", "--listen", "127.0.0.1:0"])
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let good = Credentials::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY);
    let body = r#"{"UserId":"log-user","UserIp":"203.0.113.7","ProjectId":"cap-1"}"#;
    let (_, answer) = send(&url, &good, body).await;
    assert!(!answer.contains("\"Error\""), "{answer}");
    let wrong_key = "carconformanceTESTsecretKEY00000X";
    let wrong = Credentials::new(mock::TEST_SECRET_ID, wrong_key);
    let hostile =
        r#"{"UserId":"evil\u001b[2J\nINFO forged","UserIp":"203.0.113.7","ProjectId":"cap-1"}"#;
    let (refused, answer) = send(&url, &wrong, hostile).await;
    assert!(answer.contains("AuthFailure.SignatureFailure"), "{answer}");

    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
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
