//! The mock over HTTPS, as a client that trusts only the mock's CA sees it: a generated CA and
//! certificate (in-process and through `car-conformance mock --tls`), a certificate the user
//! gives, and the refusals a client without the CA or speaking plain HTTP meets.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use car_conformance::mock::{self, MockConfig, ServeOptions, ServerTls};
use car_conformance::sign::{Credentials, SignRequest, sign};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_car-conformance");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A client that trusts `ca_pem` and no public root, as a test pointed at the mock would be.
fn client_trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .no_proxy()
        .build()
        .unwrap()
}

/// A signed DescribeConcurrentCount to `url` (whose host part is signed as the Host).
async fn describe(client: &reqwest::Client, url: &str) -> Result<Value, reqwest::Error> {
    let host = url.split("://").nth(1).unwrap().trim_end_matches('/');
    let credentials = Credentials::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY);
    let body = b"{}";
    let signed = sign(&SignRequest::post_json(
        host,
        "DescribeConcurrentCount",
        body,
        now(),
        &credentials,
    ))
    .unwrap();
    let mut request = client.post(url).body(body.to_vec());
    for (name, value) in &signed.headers {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    let response = request.send().await?;
    Ok(serde_json::from_slice(&response.bytes().await?).unwrap())
}

#[tokio::test]
async fn a_generated_ca_is_all_a_client_needs() {
    let tls = ServerTls::generate(&[]).unwrap();
    let ca = tls.ca_pem.clone().unwrap();
    let options = ServeOptions {
        tls: Some(tls),
        ..ServeOptions::default()
    };
    let handle = mock::start_with(MockConfig::default(), any_port(), options)
        .await
        .unwrap();
    let url = handle.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let answer = describe(&client_trusting(&ca), &url).await.unwrap();
    assert!(
        answer["Response"]["Error"].is_null(),
        "the mock refused a correct request over HTTPS: {answer}"
    );
    // The certificate names localhost too, so a client may address the mock either way.
    let by_name = url.replace("127.0.0.1", "localhost");
    let answer = describe(&client_trusting(&ca), &by_name).await.unwrap();
    assert!(answer["Response"]["Error"].is_null(), "{answer}");

    // Another run's CA (or none) is not trusted: the certificate is verified, not waved through.
    let stranger = ServerTls::generate(&[]).unwrap().ca_pem.unwrap();
    let error = describe(&client_trusting(&stranger), &url)
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    // Plain HTTP to the TLS port gets no API answer.
    let plain = url.replace("https://", "http://");
    assert!(describe(&client_trusting(&ca), &plain).await.is_err());
    handle.shutdown().await;
}

#[tokio::test]
async fn a_certificate_the_user_gives_is_served() {
    // The user's own CA and certificate, made here the way any tool would make them.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("car-mock-tls-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();

    let tls = ServerTls::from_files(&cert_path, &key_path).unwrap();
    assert!(tls.ca_pem.is_none());
    let options = ServeOptions {
        tls: Some(tls),
        ..ServeOptions::default()
    };
    let handle = mock::start_with(MockConfig::default(), any_port(), options)
        .await
        .unwrap();
    let answer = describe(&client_trusting(&ca.pem()), &handle.url())
        .await
        .unwrap();
    assert!(answer["Response"]["Error"].is_null(), "{answer}");
    handle.shutdown().await;

    // A key that does not belong to the certificate is refused before anything listens.
    let other = rcgen::KeyPair::generate().unwrap();
    std::fs::write(&key_path, other.serialize_pem()).unwrap();
    assert!(ServerTls::from_files(&cert_path, &key_path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A started mock process, killed if a test fails before it is stopped.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn mock_tls_prints_the_url_and_writes_the_ca() {
    let dir = std::env::temp_dir().join(format!("car-mock-tls-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("ca.pem");
    let mut child = Command::new(BIN)
        .args(["mock", "--listen", "127.0.0.1:0", "--tls", "--tls-ca-out"])
        .arg(&ca_path)
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _running = Running(Some(child));
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.strip_prefix("listening on ").unwrap().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{first}");
    let second = lines.next().unwrap().unwrap();
    assert_eq!(second, format!("ca certificate {}", ca_path.display()));

    let ca = std::fs::read_to_string(&ca_path).unwrap();
    let answer = describe(&client_trusting(&ca), &url).await.unwrap();
    assert!(answer["Response"]["Error"].is_null(), "{answer}");
    let _ = std::fs::remove_dir_all(&dir);
}
