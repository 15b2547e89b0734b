//! URL and host functions: `stripPort`, `stripDomain`, `graphLink`, `tableLink`, `pathPrefix`, and Go's
//! `url.QueryEscape` / `url.PathEscape` (`urlquery`, vmalert's `queryEscape` and `pathEscape`).

fn escape(s: &str, keep: impl Fn(u8) -> bool, space_plus: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || keep(b) {
            out.push(b as char);
        } else if b == b' ' && space_plus {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    escape(s, |_| false, true)
}

/// Go's `url.PathEscape`.
pub fn path_escape(s: &str) -> String {
    escape(
        s,
        |b| matches!(b, b'$' | b'&' | b'+' | b':' | b'=' | b'@'),
        false,
    )
}

/// Go's `net.SplitHostPort`, `None` where Go returns an error.
fn split_host_port(hp: &str) -> Option<(&str, &str)> {
    let i = hp.rfind(':')?;
    let host = if let Some(rest) = hp.strip_prefix('[') {
        let j = rest.find(']')? + 1;
        if j + 1 != i {
            return None;
        }
        &hp[1..j]
    } else {
        let h = &hp[..i];
        if h.contains(':') {
            return None;
        }
        h
    };
    let port = &hp[i + 1..];
    if host.contains(['[', ']']) || port.contains(['[', ']']) {
        return None;
    }
    Some((host, port))
}

/// Prometheus's `stripPort`.
pub fn strip_port(hp: &str) -> String {
    match split_host_port(hp) {
        Some((h, _)) => h.to_string(),
        None => hp.to_string(),
    }
}

/// Prometheus's `stripDomain`: `foo.bar:1234` → `foo:1234`; IP addresses unchanged.
pub fn strip_domain(hp: &str) -> String {
    let (host, port) = split_host_port(hp).unwrap_or((hp, ""));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return hp.to_string();
    }
    let host = host.split('.').next().unwrap_or("");
    if port.is_empty() {
        return host.to_string();
    }
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Prometheus's `graphLink` (`tab` 0) and `tableLink` (`tab` 1).
pub fn graph_link(expr: &str, tab: u8) -> String {
    format!("/graph?g0.expr={}&g0.tab={tab}", query_escape(expr))
}

/// The path of a URL (`url.URL.Path`), what `pathPrefix` returns.
pub fn path_of(url: &str) -> String {
    let after_scheme = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => return url.split(['?', '#']).next().unwrap_or("").to_string(),
    };
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..]
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_urls() {
        assert_eq!(strip_port("foo.bar:1234"), "foo.bar");
        assert_eq!(strip_port("[::1]:80"), "::1");
        assert_eq!(strip_domain("foo.bar:1234"), "foo:1234");
        assert_eq!(strip_domain("10.0.0.1:9100"), "10.0.0.1:9100");
        assert_eq!(query_escape("a b&c/d"), "a+b%26c%2Fd");
        assert_eq!(path_escape("a b/c"), "a%20b%2Fc");
        assert_eq!(path_of("http://host:9090/prom/x?y"), "/prom/x");
    }
}
