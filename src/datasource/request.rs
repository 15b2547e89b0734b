//! Builds the instant-query request exactly as vmalert does (`app/vmalert/datasource/client.go` and
//! `client_prom.go`): method, URL, query string and headers. Pure: sends nothing and reads no files; the
//! `Authorization` value is resolved by the caller and handed in.

use super::InstantQuery;
use super::settings::{DatasourceSettings, SettingsError, canonical_header_key};
use reqwest::Url;
use std::collections::BTreeMap;

/// The parsed `-datasource.url`: the base without credentials or query, its own query parameters, and the
/// credentials it carried (sent as basic auth, as Go's HTTP client does).
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Scheme, host, port and path (one trailing `/` removed); no userinfo, no query.
    pub base: Url,
    /// The URL's query parameters, decoded, in order.
    pub params: Vec<(String, String)>,
    /// Percent-decoded `user:password` from the URL.
    pub userinfo: Option<(String, String)>,
}

impl Endpoint {
    pub fn parse(settings: &DatasourceSettings) -> Result<Self, SettingsError> {
        let mut url = Url::parse(&settings.url).map_err(|e| SettingsError::Url(e.to_string()))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(SettingsError::Url(format!(
                "unsupported scheme {:?}; want http or https",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(SettingsError::Url("missing host".into()));
        }
        let userinfo = (!url.username().is_empty() || url.password().is_some()).then(|| {
            (
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or("")),
            )
        });
        // Cannot fail for http(s) URLs, which always have a host.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let params = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        url.set_fragment(None);
        // vmalert trims one trailing slash from the URL before appending paths.
        let path = url
            .path()
            .strip_suffix('/')
            .unwrap_or(url.path())
            .to_string();
        url.set_path(&path);
        Ok(Endpoint {
            base: url,
            params,
            userinfo,
        })
    }

    /// The URL without userinfo or query, for error messages: `http://vmselect:8481/select/0/prometheus/api/v1/query`.
    pub fn redacted_query_url(&self, settings: &DatasourceSettings) -> String {
        let mut url = self.base.clone();
        url.set_path(&query_path(settings, self));
        url.to_string()
    }
}

/// One request ready to send: always `POST` with an empty body.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRequest {
    pub url: String,
    /// In the order they are set; names as vmalert sets them (Go canonical form).
    pub headers: Vec<(String, String)>,
}

fn query_path(settings: &DatasourceSettings, endpoint: &Endpoint) -> String {
    let mut path = endpoint
        .base
        .path()
        .strip_suffix('/')
        .unwrap_or(endpoint.base.path())
        .to_string();
    if settings.append_type_prefix {
        path.push_str("/prometheus");
    }
    if !settings.disable_path_append {
        path.push_str("/api/v1/query");
    }
    path
}

/// Builds the request vmalert would send for `query`. `authorization` is the resolved `Authorization` value from
/// basic auth or a bearer token, if any.
///
/// Parameters, as in vmalert: start from the URL's own; set `time` (RFC3339, UTC, whole seconds) and `step`
/// (`-datasource.queryStep` in whole seconds, or the group interval when that is zero; none with
/// `-datasource.disableStepParam`); then `nocache`, `round_digits` and the group `params` (group wins), each key
/// replacing the URL's values for it; finally `query`. Keys are sorted and values escaped as Go's
/// `url.Values.Encode` does.
///
/// Headers, as in vmalert: `Content-Type: application/json`, then `-datasource.headers`, then `Authorization`, then
/// the group `headers`, later ones replacing earlier ones of the same name; credentials from the URL only when no
/// `Authorization` was set.
pub fn build(
    settings: &DatasourceSettings,
    endpoint: &Endpoint,
    query: &InstantQuery<'_>,
    authorization: Option<&str>,
) -> PreparedRequest {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &endpoint.params {
        params.entry(k.clone()).or_default().push(v.clone());
    }
    params.insert("time".into(), vec![rfc3339_seconds(query.time_ms)]);
    if !settings.disable_step_param {
        let step_secs = if settings.query_step.as_secs() > 0 {
            Some(settings.query_step.as_secs() as i64)
        } else if query.interval_ms > 0 {
            Some(query.interval_ms / 1000)
        } else {
            None
        };
        if let Some(s) = step_secs {
            params.insert("step".into(), vec![format!("{s}s")]);
        }
    }
    // Extra parameters (vmalert's `extraParams`): flags first, group params replacing them key by key.
    let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if settings.nocache {
        extra.insert("nocache".into(), vec!["1".into()]);
    }
    if settings.round_digits > 0 {
        extra.insert(
            "round_digits".into(),
            vec![settings.round_digits.to_string()],
        );
    }
    let mut replaced = Vec::new();
    for (k, v) in query.params {
        if !replaced.contains(k) {
            extra.remove(k);
            replaced.push(k.clone());
        }
        extra.entry(k.clone()).or_default().push(v.clone());
    }
    for (k, vs) in extra {
        params.insert(k, vs);
    }
    params.insert("query".into(), vec![query.expr.to_string()]);

    let mut url = endpoint.base.clone();
    url.set_path(&query_path(settings, endpoint));
    let encoded = encode_params(&params);
    url.set_query(Some(&encoded));

    let mut headers: Vec<(String, String)> = Vec::new();
    set_header(&mut headers, "Content-Type", "application/json");
    for (k, v) in &settings.headers {
        set_header(&mut headers, k, v);
    }
    if let Some(a) = authorization {
        set_header(&mut headers, "Authorization", a);
    }
    for (k, v) in query.headers {
        set_header(&mut headers, k, v);
    }
    if let Some((user, pass)) = &endpoint.userinfo
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        set_header(
            &mut headers,
            "Authorization",
            &super::auth::basic(user, pass),
        );
    }
    PreparedRequest {
        url: url.to_string(),
        headers,
    }
}

/// Go's `Header.Set`: canonicalises `name`, replaces every value of it (case-insensitively), keeping the first
/// position.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    let name = &canonical_header_key(name);
    if let Some(pos) = headers
        .iter()
        .position(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        headers[pos].1 = value.to_string();
        headers.retain({
            let mut seen = 0;
            move |(k, _)| {
                if k.eq_ignore_ascii_case(name) {
                    seen += 1;
                    seen == 1
                } else {
                    true
                }
            }
        });
    } else {
        headers.push((name.to_string(), value.to_string()));
    }
}

/// Go's `url.Values.Encode`: keys sorted, `key=value` joined by `&`, escaped with `url.QueryEscape`.
pub fn encode_params(params: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::new();
    for (k, vs) in params {
        for v in vs {
            if !out.is_empty() {
                out.push('&');
            }
            query_escape(k, &mut out);
            out.push('=');
            query_escape(v, &mut out);
        }
    }
    out
}

/// Go's `url.QueryEscape`: unreserved bytes (`A-Z a-z 0-9 - _ . ~`) kept, space as `+`, the rest `%XX`.
fn query_escape(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's `time.Format(time.RFC3339)` for a UTC instant: `2006-01-02T15:04:05Z`, fractions of a second dropped.
pub fn rfc3339_seconds(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
