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
    format!("Basic {}", basic_token(user, password))
}

/// `base64(user:password)`.
pub fn basic_token(user: &str, password: &str) -> String {
    base64(format!("{user}:{password}").as_bytes())
}

/// Standard base64 with padding.
fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
