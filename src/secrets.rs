//! Credentials on the wire and out of sight, shared by every HTTP client (datasource, remote write, notifier): the
//! basic-auth encoding, scrubbing known secrets from text before it is shown, and the TLS settings each client
//! takes from its `-*.tls*` flags. Pure: no IO (TLS files are read by the client that is built from them).

use std::path::PathBuf;

/// TLS to one HTTP peer, from a `-<prefix>.tlsCAFile`, `.tlsCertFile`, `.tlsKeyFile`, `.tlsServerName` and
/// `.tlsInsecureSkipVerify` family of flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM roots trusted instead of the built-in ones.
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key, PEM (both or neither).
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// The name the server certificate is verified against, when it differs from the URL's host.
    pub server_name: Option<String>,
    /// Do not verify the server certificate.
    pub insecure_skip_verify: bool,
}

/// What a hidden secret is replaced with.
pub const MASK: &str = "<secret>";

/// `Basic base64(user:password)`, the `Authorization` value for basic auth.
pub fn basic_authorization(user: &str, password: &str) -> String {
    format!("Basic {}", basic_token(user, password))
}

/// `base64(user:password)`: also a secret, since it decodes to the password.
pub fn basic_token(user: &str, password: &str) -> String {
    base64(format!("{user}:{password}").as_bytes())
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Replaces every occurrence of each secret in `text` with `mask` (a server or proxy may echo the request back).
/// Empty secrets are skipped.
pub fn scrub_with(text: &str, secrets: &[String], mask: &str) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), mask);
        }
    }
    out
}

/// [`scrub_with`] using [`MASK`].
pub fn scrub(text: &str, secrets: &[String]) -> String {
    scrub_with(text, secrets, MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn scrubbing_hides_every_occurrence() {
        let secrets = vec!["hunter2".to_string(), String::new()];
        assert_eq!(
            scrub("pw hunter2 and hunter2!", &secrets),
            "pw <secret> and <secret>!"
        );
        assert_eq!(
            scrub_with("x hunter2", &secrets, "<redacted>"),
            "x <redacted>"
        );
    }
}
