//! cli: the TLS flags of `car-conformance mock` — `--tls` (a generated local CA and certificate,
//! the CA written where clients can be pointed at it) or `--tls-cert`/`--tls-key` (the user's
//! own) — and the lines that tell the user how to trust the generated CA.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::mock::{ServerTls, TlsError};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS with a certificate for localhost, 127.0.0.1 and ::1 signed by a local CA made
    /// at start (its PEM is written to --tls-ca-out).
    #[arg(long)]
    tls: bool,
    /// Another DNS name or IP address for the generated certificate (repeatable).
    #[arg(long = "tls-name", value_name = "NAME", requires = "tls")]
    tls_names: Vec<String>,
    /// Where to write the generated CA's certificate (default: the temporary directory,
    /// car-conformance-mock-PORT-ca.pem).
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_ca_out: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM) instead of a generated one.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// Why the CA certificate could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the CA certificate to {path}: {source}")]
pub struct WriteCaError {
    path: PathBuf,
    source: std::io::Error,
}

impl TlsArgs {
    /// The TLS the flags ask for; `None` for plain HTTP.
    pub fn server_tls(&self) -> Result<Option<ServerTls>, TlsError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => ServerTls::from_files(cert, key).map(Some),
            _ if self.tls => ServerTls::generate(&self.tls_names).map(Some),
            _ => Ok(None),
        }
    }

    /// Writes a generated CA (if any) for the mock listening on `addr`; the path written.
    pub fn write_ca(
        &self,
        tls: &ServerTls,
        addr: SocketAddr,
    ) -> Result<Option<PathBuf>, WriteCaError> {
        let Some(pem) = &tls.ca_pem else {
            return Ok(None);
        };
        let path = self.tls_ca_out.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("car-conformance-mock-{}-ca.pem", addr.port()))
        });
        write_file(&path, pem)
            .map(|()| Some(path.clone()))
            .map_err(|source| WriteCaError { path, source })
    }
}

/// Written whole under a temporary name, then renamed: a client started at the same moment
/// never reads half a certificate.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}

/// How to make each official client trust the CA at `path` (for stderr).
pub fn trust_hint(path: &Path) -> String {
    let path = path.display();
    format!(
        "trust the mock's CA {path}: NODE_EXTRA_CA_CERTS={path} (Node.js SDK), \
         HttpProfile.certification (Python SDK), certifi's bundle (tccli), \
         REQUESTS_CA_BUNDLE (plain requests), or your client's CA-file option"
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        tls: TlsArgs,
    }

    fn parse(line: &[&str]) -> Result<TlsArgs, clap::Error> {
        let mut argv = vec!["mock"];
        argv.extend_from_slice(line);
        Wrapper::try_parse_from(argv).map(|w| w.tls)
    }

    #[test]
    fn plain_http_is_the_default() {
        assert!(parse(&[]).unwrap().server_tls().unwrap().is_none());
    }

    #[test]
    fn flags_that_need_each_other_are_refused_alone() {
        assert!(parse(&["--tls-name", "x.test"]).is_err());
        assert!(parse(&["--tls-cert", "c.pem"]).is_err());
        assert!(parse(&["--tls-key", "k.pem"]).is_err());
        assert!(parse(&["--tls", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).is_err());
        assert!(parse(&["--tls", "--tls-name", "x.test", "--tls-name", "10.0.0.1"]).is_ok());
    }

    #[test]
    fn the_generated_ca_is_written_where_asked() {
        let dir = std::env::temp_dir().join(format!("car-mock-tls-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("ca.pem");
        let args = parse(&["--tls", "--tls-ca-out", out.to_str().unwrap()]).unwrap();
        let tls = args.server_tls().unwrap().unwrap();
        let written = args.write_ca(&tls, "127.0.0.1:9".parse().unwrap()).unwrap();
        assert_eq!(written.as_deref(), Some(out.as_path()));
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(Some(text.as_str()), tls.ca_pem.as_deref());
        assert!(trust_hint(&out).contains("NODE_EXTRA_CA_CERTS="));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
