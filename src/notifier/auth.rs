//! Credentials for one Alertmanager, and keeping them out of sight: the `Authorization` header (basic auth, bearer
//! token, or the URL's user info), secret files read at every send, URL redaction for display, and scrubbing of
//! secrets from text that is about to be shown. Knows nothing about alerts.

use super::config::{Auth, Secret};
use reqwest::header::HeaderValue;

/// An `Authorization` header and the secrets it carries.
pub(super) struct Credentials {
    pub header: HeaderValue,
    /// The password or token, and the encoded basic-auth pair: what must never appear in an error.
    pub secrets: Vec<String>,
}

/// The `Authorization` header for `auth`; the URL's user info (`from_url`) is used only when `auth` is `None`.
/// Errors are about reading secret files and say which file, never what it holds.
pub(super) async fn authorization(
    auth: &Auth,
    from_url: Option<&(String, String)>,
) -> Result<Option<Credentials>, String> {
    let (value, secrets) = match auth {
        Auth::Bearer(token) => {
            let token = read_secret(token).await?;
            (format!("Bearer {token}"), vec![token])
        }
        Auth::Scheme {
            scheme,
            credentials,
        } => {
            let c = read_secret(credentials).await?;
            (format!("{scheme} {c}"), vec![c])
        }
        Auth::Basic { username, password } => {
            let user = read_secret(username).await?;
            let pass = match password {
                Some(p) => read_secret(p).await?,
                None => String::new(),
            };
            basic(&user, &pass)
        }
        Auth::None => match from_url {
            Some((user, pass)) => basic(user, pass),
            None => return Ok(None),
        },
    };
    let mut header = HeaderValue::from_str(&value)
        .map_err(|_| "credentials are not a valid header value".to_string())?;
    header.set_sensitive(true);
    Ok(Some(Credentials { header, secrets }))
}

/// The basic auth header value, and the secrets it carries (the password, and the encoded pair).
fn basic(user: &str, pass: &str) -> (String, Vec<String>) {
    let encoded = crate::secrets::basic_token(user, pass);
    (format!("Basic {encoded}"), vec![pass.to_string(), encoded])
}

/// The secret's value; a file is read now and trimmed, so a rotated token is picked up at the next send.
async fn read_secret(secret: &Secret) -> Result<String, String> {
    match secret {
        Secret::Value(v) => Ok(v.clone()),
        Secret::File(path) => tokio::fs::read_to_string(path)
            .await
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("{}: {e}", path.display())),
    }
}

/// Replaces every occurrence of a secret in `text` (a proxy may echo the request). Secrets shorter than three
/// characters are left alone: replacing them would mangle the text without hiding anything.
pub(super) fn scrub(text: &str, secrets: &[String]) -> String {
    let long: Vec<String> = secrets.iter().filter(|s| s.len() >= 3).cloned().collect();
    crate::secrets::scrub_with(text, &long, "<redacted>")
}

/// The URL with its user info replaced by `<redacted>` and without a trailing `/`, for display. Unparseable input
/// is shown from its last `@` on.
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let had_user_info = !u.username().is_empty() || u.password().is_some();
            let _ = u.set_username("");
            let _ = u.set_password(None);
            let shown = u.to_string().trim_end_matches('/').to_string();
            match shown.split_once("://") {
                Some((scheme, rest)) if had_user_info => format!("{scheme}://<redacted>@{rest}"),
                _ => shown,
            }
        }
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("<redacted>@{host}"),
            None => url.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact("http://user:pass@am:9093/prefix"),
            "http://<redacted>@am:9093/prefix"
        );
        assert_eq!(redact("http://am:9093"), "http://am:9093");
        assert_eq!(redact("not a url user:pw@x"), "<redacted>@x");
    }

    #[test]
    fn scrubbing() {
        assert_eq!(
            scrub("echo Basic x hunter2!", &["hunter2".to_string()]),
            "echo Basic x <redacted>!"
        );
    }

    #[tokio::test]
    async fn url_user_info_only_without_explicit_auth() {
        let from_url = ("u".to_string(), "from-url".to_string());
        let bearer = Auth::Bearer(Secret::Value("tok".to_string()));
        let c = authorization(&bearer, Some(&from_url))
            .await
            .expect("ok")
            .expect("some");
        assert_eq!(c.header.to_str().expect("ascii"), "Bearer tok");
        assert!(c.header.is_sensitive());
        let c = authorization(&Auth::None, Some(&from_url))
            .await
            .expect("ok")
            .expect("some");
        // base64("u:from-url")
        assert_eq!(c.header.to_str().expect("ascii"), "Basic dTpmcm9tLXVybA==");
        assert!(c.secrets.contains(&"from-url".to_string()));
        assert!(
            authorization(&Auth::None, None)
                .await
                .expect("ok")
                .is_none()
        );
    }
}
