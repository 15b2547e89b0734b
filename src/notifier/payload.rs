//! The Alertmanager API v2 request body: a pure function of the alerts to send, the send time and a few settings.
//!
//! The layout follows vmalert's `amRequest` template byte for byte (field order, the space after `"labels":` and
//! `"annotations":`, quicktemplate's string escaping, Go's `time.RFC3339Nano`), so that a capture of tocsin's
//! requests diffs cleanly against vmalert's. Where vmalert would send something Alertmanager rejects, the builder
//! repairs it instead (see [`sanitize_name`]); `docs/notifier.md` lists every such difference.
//!
//! Knows nothing about evaluation (it is handed finished [`Alert`]s) and nothing about HTTP.

use crate::rule::{Alert, Labels};
use bytes::Bytes;
use std::collections::BTreeMap;

/// Where an alert's `generatorURL` points.
pub trait AlertSource: Send + Sync {
    /// The `generatorURL` for `alert` of the group with ID `group_id`.
    fn generator_url(&self, group_id: u64, alert: &Alert) -> String;
}

/// vmalert's default source link: `<-external.url>/vmalert/alert?group_id=<group id>&alert_id=<alert id>`
/// (`app/vmalert/notifier/init.go:78`). The external URL is used as given; a trailing `/` is not trimmed, as in
/// vmalert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultAlertSource {
    pub external_url: String,
}

impl AlertSource for DefaultAlertSource {
    fn generator_url(&self, group_id: u64, alert: &Alert) -> String {
        format!(
            "{}/vmalert/alert?group_id={}&alert_id={}",
            self.external_url, group_id, alert.id
        )
    }
}

/// Renders one alert's `-external.alert.source` template: `Ok(text)`, or `Err(message)`.
pub type RenderSource = dyn Fn(u64, &Alert) -> Result<String, String> + Send + Sync;

/// vmalert's `-external.alert.source`: `<-external.url>/<rendered template>` (`app/vmalert/notifier/init.go:91-102`).
/// When rendering fails, the error is logged and the template's raw text is used, as vmalert does. The template
/// engine lives elsewhere: the caller supplies `render`.
pub struct ExternalAlertSource {
    pub external_url: String,
    /// The template text, used verbatim when rendering fails.
    pub template: String,
    pub render: Box<RenderSource>,
}

impl AlertSource for ExternalAlertSource {
    fn generator_url(&self, group_id: u64, alert: &Alert) -> String {
        let rendered = (self.render)(group_id, alert).unwrap_or_else(|e| {
            tracing::warn!(group_id, alert_id = alert.id, error = %e, "cannot render -external.alert.source");
            self.template.clone()
        });
        format!("{}/{}", self.external_url, rendered)
    }
}

/// Any function of (group ID, alert) gives the whole `generatorURL` (for callers with their own scheme).
impl<F> AlertSource for F
where
    F: Fn(u64, &Alert) -> String + Send + Sync,
{
    fn generator_url(&self, group_id: u64, alert: &Alert) -> String {
        self(group_id, alert)
    }
}

/// What a batch needs besides the alerts.
#[derive(Clone, Copy)]
pub struct PayloadContext<'a> {
    /// The send time, milliseconds since the Unix epoch (vmalert uses the wall clock at send time, not the
    /// evaluation timestamp).
    pub now_ms: i64,
    /// How long a firing alert stays firing in Alertmanager without a refresh; see [`resolve_after_ms`].
    pub resolve_after_ms: i64,
    /// The ID of the group the alerts belong to.
    pub group_id: u64,
    pub source: &'a dyn AlertSource,
}

/// One built request body and the number of alerts in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The JSON array to POST; cheap to clone for every peer.
    pub body: Bytes,
    pub alerts: usize,
}

/// vmalert's resolve duration (`getResolveDuration`, `app/vmalert/rule/group.go:700`):
/// `4 × max(group interval, -rule.resendDelay)`, capped by `-rule.maxResolveDuration` when that is > 0.
pub fn resolve_after_ms(group_interval_ms: i64, resend_delay_ms: i64, max_resolve_ms: i64) -> i64 {
    let resolve = group_interval_ms.max(resend_delay_ms).saturating_mul(4);
    if max_resolve_ms > 0 && resolve > max_resolve_ms {
        max_resolve_ms
    } else {
        resolve
    }
}

/// The `startsAt` of an alert: the time it started firing. A firing or resolved alert always has one; should it be
/// missing (an alert restored without its transition), the time it became active is the closest truth.
pub fn starts_at_ms(alert: &Alert) -> i64 {
    alert.fired_at.unwrap_or(alert.active_at)
}

/// Builds the body of `POST /api/v2/alerts` for `alerts`, in the given order. Pending alerts should not be passed
/// (the rule never offers them); they are sent as given if they are.
///
/// Layout, from vmalert's `app/vmalert/notifier/alertmanager_request.qtpl:12-33` (as generated into
/// `alertmanager_request.qtpl.go`, `{% stripspace %}` applied): per alert
/// `{"startsAt":…,"generatorURL":…,"endsAt":…,"labels": {…},"annotations": {…}}`, alerts joined by `,`, inside
/// `[` `]`, no whitespace other than the space after `"labels":` and `"annotations":`.
pub fn build(alerts: &[&Alert], ctx: &PayloadContext<'_>) -> Payload {
    let mut out = String::with_capacity(256 * alerts.len() + 2);
    out.push('[');
    for (i, alert) in alerts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_alert(&mut out, alert, alert.labels.iter(), ctx);
    }
    out.push(']');
    Payload {
        body: Bytes::from(out),
        alerts: alerts.len(),
    }
}

/// One element of the array [`build`] writes, with `labels` in place of the alert's own (the alert's labels after
/// alert relabeling); `build(&[a], ctx)` is `[` + `alert_object(a, a.labels.iter(), ctx)` + `]`.
pub fn alert_object<'a>(alert: &Alert, labels: impl Pairs<'a>, ctx: &PayloadContext<'_>) -> String {
    let mut out = String::with_capacity(512);
    push_alert(&mut out, alert, labels, ctx);
    // The object may wait in a peer's queue for a while: keep only the bytes it uses.
    out.shrink_to_fit();
    out
}

/// Label pairs in name order, walked twice by [`sanitize_labels`].
pub trait Pairs<'a>: Iterator<Item = (&'a str, &'a str)> + Clone {}

impl<'a, I: Iterator<Item = (&'a str, &'a str)> + Clone> Pairs<'a> for I {}

fn push_alert<'a>(
    out: &mut String,
    alert: &Alert,
    labels: impl Pairs<'a>,
    ctx: &PayloadContext<'_>,
) {
    out.push_str("{\"startsAt\":");
    push_json_string(out, &format_time(starts_at_ms(alert)));
    out.push_str(",\"generatorURL\":");
    push_json_string(out, &ctx.source.generator_url(ctx.group_id, alert));
    out.push_str(",\"endsAt\":");
    push_json_string(
        out,
        &format_time(alert.ends_at(ctx.now_ms, ctx.resolve_after_ms)),
    );
    out.push_str(",\"labels\": {");
    push_map(out, &sanitize_labels(labels, true));
    out.push_str("},\"annotations\": {");
    push_map(out, &sanitize_labels(alert.annotations.iter(), false));
    out.push_str("}}");
}

/// The label set as Alertmanager will see it: names sanitised, empty values left out (what alert relabeling
/// works on).
pub fn sent_labels<'a>(labels: impl Pairs<'a>) -> Labels {
    sanitize_labels(labels, true)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

fn push_map(out: &mut String, map: &BTreeMap<String, &str>) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, k);
        out.push(':');
        push_json_string(out, v);
    }
}

/// Label or annotation names made acceptable to Alertmanager, sorted by name (byte order, as Go's `sort` on
/// strings). With `drop_empty`, empty values are left out (Alertmanager drops them on receipt anyway). When two
/// names sanitise to the same one, the name that needed no change wins; among changed names the first in byte
/// order wins.
fn sanitize_labels<'a>(labels: impl Pairs<'a>, drop_empty: bool) -> BTreeMap<String, &'a str> {
    let mut out: BTreeMap<String, &str> = BTreeMap::new();
    let kept = labels.filter(|(k, v)| !k.is_empty() && (!drop_empty || !v.is_empty()));
    for (k, v) in kept.clone() {
        if sanitize_name(k) == k {
            out.insert(k.to_string(), v);
        }
    }
    for (k, v) in kept {
        let name = sanitize_name(k);
        if name != k {
            out.entry(name).or_insert(v);
        }
    }
    out
}

/// Makes `name` a valid Alertmanager 0.25 label or annotation name (`[a-zA-Z_][a-zA-Z0-9_]*`): every other
/// character becomes `_`, and a leading digit gets a `_` in front. vmalert replaces only `[^a-zA-Z0-9_:]`
/// (`SanitizeMetricName`, `app/vmalert/notifier/alert.go:209`) and leaves annotation names alone, so a `:` in a
/// label name, or a `-` in an annotation name, makes Alertmanager reject the alert with a 400.
pub fn sanitize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    out
}

/// Appends `s` as a JSON string, escaped exactly as quicktemplate's `{%q= %}` does
/// (`vendor/github.com/valyala/quicktemplate/jsonstring.go:47-58`): `\n \r \t \b \f \" \\` by name, `<` and `'` as
/// `\u003c` / `\u0027`, every other byte below 0x20 as `\u00xx` (lower-case hex); everything else, non-ASCII
/// included, verbatim.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            '\'' => out.push_str("\\u0027"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Formats a millisecond timestamp as Go's `time.Time.Format(time.RFC3339Nano)` does for a UTC time:
/// `2006-01-02T15:04:05.999999999Z07:00`, i.e. the fraction with trailing zeros trimmed (and left out when zero),
/// and `Z` for UTC. tocsin always sends UTC; vmalert sends its local zone's offset, which is UTC in the usual
/// container.
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let Some(t) = chrono::DateTime::from_timestamp(secs, 0) else {
        // Out of chrono's range (±262,000 years): no real alert gets here; send the epoch rather than fail a batch.
        return "1970-01-01T00:00:00Z".to_string();
    };
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if millis != 0 {
        let frac = format!("{millis:03}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests;
