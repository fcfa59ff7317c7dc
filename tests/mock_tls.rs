//! The mock over HTTPS, as a client that trusts only the mock's CA sees it: a generated CA and
//! certificate (in-process and through `car-conformance mock --tls`), a certificate the user
//! gives, and the refusals a client without the CA or speaking plain HTTP meets.

mod common;

use car_conformance::mock::{self, MockConfig, ServeOptions, ServerTls};
use serde_json::Value;

use common::call::{signed, test_pair};
use common::mock::{Process, any_port};
use common::temp_dir;

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
    let credentials = test_pair();
    let (_, request) = signed(client, url, "DescribeConcurrentCount", "{}", &credentials);
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
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let dir = temp_dir("mock-tls-files");
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

#[tokio::test]
async fn mock_tls_prints_the_url_and_writes_the_ca() {
    let dir = temp_dir("mock-tls-cli");
    let ca_path = dir.join("ca.pem");
    let ca_arg = ca_path.to_str().unwrap();
    let mut served = Process::start(&["--tls", "--tls-ca-out", ca_arg]);
    assert!(served.before.is_empty(), "{:?}", served.before);
    let url = served.url.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let second = served.next_line();
    assert_eq!(second, format!("ca certificate {}", ca_path.display()));

    let ca = std::fs::read_to_string(&ca_path).unwrap();
    let answer = describe(&client_trusting(&ca), &url).await.unwrap();
    assert!(answer["Response"]["Error"].is_null(), "{answer}");
    let _ = std::fs::remove_dir_all(&dir);
}
