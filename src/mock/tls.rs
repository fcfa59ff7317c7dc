//! mock: HTTPS for the mock — because tccli and every SDK speak only HTTPS by default, a team can
//! point them at the mock unchanged. Either a certificate the user provides, or one made at
//! start: a fresh local CA (written out as PEM for `NODE_EXTRA_CA_CERTS`, the Python SDK's
//! `certification`, certifi's bundle, or any client's CA option) signs a server certificate for
//! `localhost`, `127.0.0.1`, `::1` and any extra names asked for.
//!
//! The generated CA's private key never leaves memory and is dropped once the server certificate
//! is signed: trusting the CA file lets a client trust this one mock run and nothing else anyone
//! could sign later.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The names every generated server certificate carries.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long a generated certificate is valid (it is made anew at every start).
const VALIDITY_DAYS: i64 = 90;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate the local CA or certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("`{name}` is not a DNS name or IP address for the certificate")]
    BadName { name: String },
    #[error("cannot read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("the certificate and key are not usable together: {0}")]
    Rustls(#[from] rustls::Error),
}

/// TLS for the mock's listener: the server configuration, and the CA that signed its
/// certificate when it was generated.
#[derive(Clone)]
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// PEM of the generated local CA; `None` for a certificate the user gave.
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("generated_ca", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A fresh local CA and a server certificate it signs for [`LOOPBACK_NAMES`] and `extra`.
    pub fn generate(extra: &[String]) -> Result<Self, TlsError> {
        let names = certificate_names(extra)?;
        let now = time::OffsetDateTime::now_utc();
        // A day of slack covers a client clock slightly behind the mock's.
        let not_before = now - time::Duration::days(1);
        let not_after = now + time::Duration::days(VALIDITY_DAYS);

        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name
            .push(DnType::CommonName, "car-conformance mock local CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = not_before;
        ca.not_after = not_after;
        let ca = CertifiedIssuer::self_signed(ca, ca_key)?;

        let server_key = KeyPair::generate()?;
        let mut server = CertificateParams::new(names)?;
        server
            .distinguished_name
            .push(DnType::CommonName, "car-conformance mock");
        server.is_ca = IsCa::ExplicitNoCa;
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        // Strict verifiers (Python 3.13's default context) want the issuer's key identifier.
        server.use_authority_key_identifier_extension = true;
        server.not_before = not_before;
        server.not_after = not_after;
        let server_cert = server.signed_by(&server_key, &ca)?;

        let key = PrivateKeyDer::try_from(server_key.serialize_der())
            .map_err(|detail| rcgen::Error::PemError(detail.to_owned()))?;
        let config = server_config(vec![server_cert.der().clone()], key)?;
        Ok(Self {
            config,
            ca_pem: Some(ca.pem()),
        })
    }

    /// The user's certificate chain and private key, both PEM files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let read_error = |path: &Path, detail: String| TlsError::Read {
            path: path.to_owned(),
            detail,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| read_error(cert, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_error(cert, e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: cert.to_owned(),
            });
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read_error(key, e.to_string()))?;
        Ok(Self {
            config: server_config(chain, key)?,
            ca_pem: None,
        })
    }
}

/// The loopback names plus `extra`, each checked and without duplicates.
fn certificate_names(extra: &[String]) -> Result<Vec<String>, TlsError> {
    let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
    for name in extra {
        let name = name.trim();
        let is_ip = name.parse::<std::net::IpAddr>().is_ok();
        let is_dns = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*')
            });
        if !is_ip && !is_dns {
            return Err(TlsError::BadName {
                name: name.chars().take(80).collect(),
            });
        }
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// rustls with the ring provider (the one reqwest already brings), HTTP/1.1 only.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_deduplicated() {
        let names = certificate_names(&["mock.test".into(), "LOCALHOST".into()]).unwrap();
        assert_eq!(names, ["localhost", "127.0.0.1", "::1", "mock.test"]);
        assert!(certificate_names(&["10.0.0.7".into()]).is_ok());
        for bad in ["", "a b", "evil\n.test", "x..y"] {
            assert!(
                matches!(
                    certificate_names(&[bad.into()]),
                    Err(TlsError::BadName { .. })
                ),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn a_generated_certificate_comes_with_its_ca() {
        let tls = ServerTls::generate(&["mock.test".into()]).unwrap();
        let pem = tls.ca_pem.as_deref().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert!(!pem.contains("PRIVATE KEY"));
        assert_eq!(tls.config.alpn_protocols, [b"http/1.1".to_vec()]);
    }

    #[test]
    fn files_that_are_missing_or_empty_are_named() {
        let dir = std::env::temp_dir().join(format!("car-mock-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a pem\n").unwrap();
        let missing = dir.join("missing.pem");
        let error = ServerTls::from_files(&missing, &missing).unwrap_err();
        assert!(error.to_string().contains("missing.pem"), "{error}");
        let error = ServerTls::from_files(&empty, &empty).unwrap_err();
        assert!(matches!(error, TlsError::NoCertificate { .. }), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
