//! Applies `-datasource.tls*` settings to the HTTP client builder: CA roots, a client certificate and insecure
//! mode. Reads the PEM files once, when the client is built.
//!
//! Must not put file contents (keys) into errors.

use super::settings::{SettingsError, TlsSettings};
use reqwest::{Certificate, ClientBuilder, Identity};
use std::path::Path;

pub fn apply(
    mut builder: ClientBuilder,
    tls: &TlsSettings,
) -> Result<ClientBuilder, SettingsError> {
    if let Some(ca) = &tls.ca_file {
        let pem = read(ca, "-datasource.tlsCAFile")?;
        let certs = Certificate::from_pem_bundle(&pem)
            .map_err(|e| SettingsError::Tls(format!("cannot parse CA file {ca:?}: {e}")))?;
        if certs.is_empty() {
            return Err(SettingsError::Tls(format!(
                "no certificates in CA file {ca:?}"
            )));
        }
        builder = builder.tls_certs_only(certs);
    }
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let mut pem = read(cert, "-datasource.tlsCertFile")?;
            pem.push(b'\n');
            pem.extend(read(key, "-datasource.tlsKeyFile")?);
            let id = Identity::from_pem(&pem).map_err(|_| {
                SettingsError::Tls(format!(
                    "cannot load client certificate {cert:?} with key {key:?}"
                ))
            })?;
            builder = builder.identity(id);
        }
        (None, None) => {}
        _ => {
            return Err(SettingsError::Tls(
                "-datasource.tlsCertFile and -datasource.tlsKeyFile must be set together".into(),
            ));
        }
    }
    if tls.insecure_skip_verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, SettingsError> {
    std::fs::read(path).map_err(|e| SettingsError::File {
        what,
        path: path.to_path_buf(),
        reason: e.kind().to_string(),
    })
}

/// `-datasource.tlsServerName` the way Go's `tls.Config.ServerName` behaves: the TLS handshake (SNI and certificate
/// verification) uses the configured name while the connection still goes to the URL's host. reqwest takes the
/// TLS name from the request URL, so the querier puts the server name in the URL, sends the original `Host`
/// header, and this resolver maps the server name back to the URL's host.
pub struct ServerNameResolver {
    pub server_name: String,
    /// The URL's host (a name or an IP literal, without brackets).
    pub real_host: String,
}

impl reqwest::dns::Resolve for ServerNameResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let target = if name.as_str().eq_ignore_ascii_case(&self.server_name) {
            self.real_host.clone()
        } else {
            name.as_str().to_string()
        };
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = match target.parse::<std::net::IpAddr>() {
                Ok(ip) => vec![std::net::SocketAddr::new(ip, 0)],
                Err(_) => tokio::net::lookup_host((target.as_str(), 0))
                    .await?
                    .collect(),
            };
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
