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
