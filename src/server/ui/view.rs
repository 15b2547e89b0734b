//! Pieces every page's view model shares: the page frame (title, navigation), times shown both absolute and
//! relative, label lists, Go-style numbers and the query string of a filtered page. Pure: plain data for the
//! templates, no IO, no HTML (the templates escape everything they print).

use serde::Serialize;

/// What every page template receives: the frame around the page's own `body`.
#[derive(Debug, Serialize)]
pub struct Page<T: Serialize> {
    pub title: String,
    pub nav: Vec<NavItem>,
    /// When the page was rendered, for the footer.
    pub rendered_at: String,
    pub body: T,
}

/// One entry of the top navigation.
#[derive(Debug, Serialize)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// The pages in the navigation bar; `Section::None` marks none of them current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Groups,
    Alerts,
    Notifiers,
    Peers,
    Objects,
    None,
}

impl<T: Serialize> Page<T> {
    pub fn new(
        title: impl Into<String>,
        prefix: &str,
        section: Section,
        now_ms: i64,
        body: T,
    ) -> Self {
        let item = |path: &str, label, s| NavItem {
            href: format!("{prefix}/vmalert/{path}"),
            label,
            current: section == s,
        };
        Page {
            title: title.into(),
            nav: vec![
                item("groups", "Groups", Section::Groups),
                item("alerts", "Alerts", Section::Alerts),
                item("notifiers", "Notifiers", Section::Notifiers),
                item("peers", "Delivered", Section::Peers),
                item("objects", "Objects", Section::Objects),
            ],
            rendered_at: utc(now_ms),
            body,
        }
    }
}

/// A point in time as the UI shows it: UTC, and how long ago.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct When {
    /// `2026-11-25 06:12:09 UTC`.
    pub utc: String,
    /// `12s ago`, `3m4s ago`, `in 5s`.
    pub ago: String,
}

impl When {
    pub fn at(ms: i64, now_ms: i64) -> When {
        When {
            utc: utc(ms),
            ago: ago(now_ms - ms),
        }
    }

    pub fn maybe(ms: Option<i64>, now_ms: i64) -> Option<When> {
        ms.map(|ms| When::at(ms, now_ms))
    }
}

/// `2026-11-25 06:12:09 UTC`; millisecond timestamps outside chrono's range print as the raw number.
pub fn utc(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => format!("{ms} ms"),
    }
}

/// A duration in milliseconds as `1h2m3s ago`, `450ms ago`, `in 5s`.
pub fn ago(delta_ms: i64) -> String {
    if delta_ms < 0 {
        return format!("in {}", span(delta_ms.unsigned_abs()));
    }
    format!("{} ago", span(delta_ms.unsigned_abs()))
}

/// `1h2m3s`, `4m`, `450ms`, `0s`: the largest units only, seconds at most.
pub fn span(ms: u64) -> String {
    if ms < 1000 {
        return if ms == 0 {
            "0s".to_string()
        } else {
            format!("{ms}ms")
        };
    }
    let s = ms / 1000;
    let (d, h, m, s) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// A label or annotation for display.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pair {
    pub name: String,
    pub value: String,
}

pub fn pairs<K: AsRef<str>, V: AsRef<str>>(labels: impl IntoIterator<Item = (K, V)>) -> Vec<Pair> {
    labels
        .into_iter()
        .map(|(name, value)| Pair {
            name: name.as_ref().to_string(),
            value: value.as_ref().to_string(),
        })
        .collect()
}

/// A sample value as vmalert shows it (Go's `%v`).
pub fn value(v: f64) -> String {
    crate::template::fmt::go_float_v(v)
}

/// One choice of a filter's `<select>`.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub fn choices(options: &[(&'static str, &'static str)], current: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|&(value, label)| Choice {
            value,
            label,
            selected: value == current,
        })
        .collect()
}

/// Percent-encodes a query-string value (unreserved characters kept), for links that carry a filter.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Case-insensitive substring match; an empty needle matches everything.
pub fn contains(haystack: &str, needle_lower: &str) -> bool {
    needle_lower.is_empty() || haystack.to_lowercase().contains(needle_lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_times() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(450), "450ms");
        assert_eq!(span(3_723_000), "1h2m3s");
        assert_eq!(span(240_000), "4m");
        assert_eq!(ago(5_000), "5s ago");
        assert_eq!(ago(-5_000), "in 5s");
        assert_eq!(utc(1_700_049_600_000), "2023-11-15 12:00:00 UTC");
        assert_eq!(encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");
        assert_eq!(value(0.1), "0.1");
        assert_eq!(value(1e21), "1e+21");
    }
}
