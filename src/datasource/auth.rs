//! Resolves the `Authorization` header from basic-auth or bearer settings, reading credential files on every
//! request as vmalert does (so rotated files take effect without a restart).
//!
//! Must not log or return credential values: errors name the file, never its contents.

use super::settings::{BearerToken, DatasourceSettings, SettingsError};
use std::path::Path;

/// The resolved header value, plus the secret strings it contains (to scrub from any message).
#[derive(Default)]
pub struct Resolved {
    pub authorization: Option<String>,
    pub secrets: Vec<String>,
}

/// Reads what is needed and builds the `Authorization` value, if any.
pub async fn resolve(settings: &DatasourceSettings) -> Result<Resolved, SettingsError> {
    if let Some(b) = &settings.basic_auth {
        let user = match &b.username_file {
            Some(p) => read_trimmed(p, "-datasource.basicAuth.usernameFile").await?,
            None => b.username.clone(),
        };
        let pass = match (&b.password, &b.password_file) {
            (_, Some(p)) => read_trimmed(p, "-datasource.basicAuth.passwordFile").await?,
            (Some(s), None) => s.expose().to_string(),
            (None, None) => String::new(),
        };
        let token = basic_token(&user, &pass);
        let header = format!("Basic {token}");
        let mut secrets = vec![token];
        if !pass.is_empty() {
            secrets.push(pass);
        }
        return Ok(Resolved {
            authorization: Some(header),
            secrets,
        });
    }
    if let Some(t) = &settings.bearer {
        let token = match t {
            BearerToken::Token(s) => s.expose().to_string(),
            BearerToken::File(p) => read_trimmed(p, "-datasource.bearerTokenFile").await?,
        };
        let header = format!("Bearer {token}");
        return Ok(Resolved {
            authorization: Some(header),
            secrets: vec![token],
        });
    }
    Ok(Resolved::default())
}

/// Reads a credential file with trailing whitespace removed (vmalert's `ReadPasswordFromFileOrHTTP`).
async fn read_trimmed(path: &Path, what: &'static str) -> Result<String, SettingsError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| SettingsError::File {
            what,
            path: path.to_path_buf(),
            reason: e.kind().to_string(),
        })?;
    Ok(text.trim_end().to_string())
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    crate::secrets::basic_authorization(user, password)
}

/// `base64(user:password)`.
pub fn basic_token(user: &str, password: &str) -> String {
    crate::secrets::basic_token(user, password)
}
