//! Byte-for-byte tests of the request body. Every expected string is written out from vmalert's template
//! (`app/vmalert/notifier/alertmanager_request.qtpl:12-33`, stripspace applied as in the generated
//! `alertmanager_request.qtpl.go:37-112`), quicktemplate's escaping (`quicktemplate/jsonstring.go:47-58`) and Go's
//! `time.RFC3339Nano` layout, not from this builder's output.

use super::*;
use crate::rule::AlertState;
use crate::rule::labels::from_pairs;

// 2023-11-14T22:13:20Z
const T0: i64 = 1_700_000_000_000;

fn firing(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Alert {
    Alert {
        id: 7,
        labels: from_pairs(labels).into(),
        annotations: from_pairs(annotations).into(),
        state: AlertState::Firing,
        value: 1.0,
        active_at: T0 - 60_000,
        fired_at: Some(T0),
        resolved_at: None,
        keep_firing_since: None,
        last_sent: Default::default(),
        restored: false,
    }
}

fn source() -> DefaultAlertSource {
    DefaultAlertSource {
        external_url: "http://vmalert:8880".to_string(),
    }
}

fn body(alerts: &[&Alert], now_ms: i64, resolve_after_ms: i64, source: &dyn AlertSource) -> String {
    let ctx = PayloadContext {
        now_ms,
        resolve_after_ms,
        group_id: 42,
        source,
    };
    let payload = build(alerts, &ctx);
    assert_eq!(payload.alerts, alerts.len());
    String::from_utf8(payload.body.to_vec()).expect("utf-8 body")
}

#[test]
fn firing_alert() {
    let a = firing(
        &[
            ("alertname", "HighLoad"),
            ("job", "node"),
            ("instance", "a:9100"),
        ],
        &[("summary", "load is high")],
    );
    // endsAt = now (T0 + 60.5 s) + 4 × 60 s = 22:18:20.5
    let got = body(&[&a], T0 + 60_500, 240_000, &source());
    let want = concat!(
        r#"[{"startsAt":"2023-11-14T22:13:20Z","#,
        r#""generatorURL":"http://vmalert:8880/vmalert/alert?group_id=42&alert_id=7","#,
        r#""endsAt":"2023-11-14T22:18:20.5Z","#,
        r#""labels": {"alertname":"HighLoad","instance":"a:9100","job":"node"},"#,
        r#""annotations": {"summary":"load is high"}}]"#
    );
    assert_eq!(got, want);
}

#[test]
fn resolved_alert_ends_at_its_resolve_time() {
    let mut a = firing(&[("alertname", "Down")], &[]);
    a.state = AlertState::Inactive;
    a.resolved_at = Some(T0 + 120_120);
    // now and resolve_after do not matter once resolved; startsAt stays the firing time.
    let got = body(&[&a], T0 + 500_000, 240_000, &source());
    let want = concat!(
        r#"[{"startsAt":"2023-11-14T22:13:20Z","#,
        r#""generatorURL":"http://vmalert:8880/vmalert/alert?group_id=42&alert_id=7","#,
        r#""endsAt":"2023-11-14T22:15:20.12Z","#,
        r#""labels": {"alertname":"Down"},"annotations": {}}]"#
    );
    assert_eq!(got, want);
}

#[test]
fn batch_of_two_is_comma_joined_in_the_given_order() {
    let a = firing(&[("alertname", "B")], &[("x", "1")]);
    let mut b = firing(&[("alertname", "A")], &[]);
    b.id = 8;
    b.fired_at = Some(T0 + 1);
    let got = body(&[&a, &b], T0, 1_000, &source());
    let want = concat!(
        r#"[{"startsAt":"2023-11-14T22:13:20Z","#,
        r#""generatorURL":"http://vmalert:8880/vmalert/alert?group_id=42&alert_id=7","#,
        r#""endsAt":"2023-11-14T22:13:21Z","labels": {"alertname":"B"},"annotations": {"x":"1"}},"#,
        r#"{"startsAt":"2023-11-14T22:13:20.001Z","#,
        r#""generatorURL":"http://vmalert:8880/vmalert/alert?group_id=42&alert_id=8","#,
        r#""endsAt":"2023-11-14T22:13:21Z","labels": {"alertname":"A"},"annotations": {}}]"#
    );
    assert_eq!(got, want);
}

#[test]
fn empty_batch() {
    assert_eq!(body(&[], T0, 0, &source()), "[]");
}

#[test]
fn generator_url_variants() {
    let a = firing(&[("alertname", "A")], &[]);
    let url = |s: &dyn AlertSource| {
        let b = body(&[&a], T0, 0, s);
        let v: serde_json::Value = serde_json::from_str(&b).expect("json");
        v[0]["generatorURL"].as_str().expect("string").to_string()
    };
    // A path prefix is kept, and a trailing slash is not trimmed (vmalert formats the *url.URL with %s).
    let prefixed = DefaultAlertSource {
        external_url: "https://alerts.example.com/team-a/".to_string(),
    };
    assert_eq!(
        url(&prefixed),
        "https://alerts.example.com/team-a//vmalert/alert?group_id=42&alert_id=7"
    );
    // -external.alert.source: "<external url>/<rendered template>", escaped as a JSON string.
    let external = ExternalAlertSource {
        external_url: "http://grafana".to_string(),
        template: "explore?left=['{{ $labels.alertname }}']".to_string(),
        render: Box::new(|group, alert| {
            Ok(format!(
                "explore?left=['{}']&g={group}",
                &alert.labels["alertname"]
            ))
        }),
    };
    assert_eq!(url(&external), "http://grafana/explore?left=['A']&g=42");
    let raw = body(&[&a], T0, 0, &external);
    assert!(
        raw.contains(r#""generatorURL":"http://grafana/explore?left=[\u0027A\u0027]&g=42","#),
        "{raw}"
    );
    // A template that fails to render is sent as its raw text.
    let failing = ExternalAlertSource {
        render: Box::new(|_, _| Err("boom".to_string())),
        ..external
    };
    assert_eq!(
        url(&failing),
        "http://grafana/explore?left=['{{ $labels.alertname }}']"
    );
    // Any function can give the whole URL.
    let custom = |group: u64, alert: &Alert| format!("https://x/{group}/{}", alert.id);
    assert_eq!(url(&custom), "https://x/42/7");
}

#[test]
fn labels_are_sanitised_sorted_and_empty_values_dropped() {
    let a = firing(
        &[
            ("alertname", "A"),
            ("zone", ""),
            ("a:b", "colon"),
            ("9lives", "digit"),
            ("x-y", "loses"),
            ("x_y", "wins"),
            ("ü", "umlaut"),
        ],
        &[],
    );
    let got = body(&[&a], T0, 0, &source());
    let want = concat!(
        r#""labels": {"_":"umlaut","_9lives":"digit","a_b":"colon","alertname":"A","x_y":"wins"},"#,
        r#""annotations": {}}]"#
    );
    assert!(got.ends_with(want), "{got}");
}

#[test]
fn annotations_with_unicode_quotes_and_control_characters() {
    let a = firing(
        &[("alertname", "A")],
        &[
            ("summary", "température ≥ 30 °C 🔥 on \"rack-1\""),
            ("description", "it's <b>hot</b> & rising\n\tline 2 \\ end"),
            ("controls", "\u{1}\u{8}\u{c}\r\u{1f}\u{7f}"),
            ("runbook-url", "https://wiki/x"),
            ("empty", ""),
        ],
    );
    let got = body(&[&a], T0, 0, &source());
    let want = concat!(
        r#""annotations": {"#,
        r#""controls":"\u0001\b\f\r\u001f"#,
        "\u{7f}",
        r#"","#,
        r#""description":"it\u0027s \u003cb>hot\u003c/b> & rising\n\tline 2 \\ end","#,
        r#""empty":"","#,
        r#""runbook_url":"https://wiki/x","#,
        r#""summary":"température ≥ 30 °C 🔥 on \"rack-1\""}}]"#
    );
    assert!(got.ends_with(want), "{got}");
    // And it is JSON that decodes back to the original text.
    let v: serde_json::Value = serde_json::from_str(&got).expect("json");
    assert_eq!(
        v[0]["annotations"]["description"],
        "it's <b>hot</b> & rising\n\tline 2 \\ end"
    );
    assert_eq!(
        v[0]["annotations"]["controls"],
        "\u{1}\u{8}\u{c}\r\u{1f}\u{7f}"
    );
}

#[test]
fn label_values_are_escaped_too() {
    let a = firing(&[("alertname", "A"), ("path", "C:\\dir\\\"x\"")], &[]);
    let got = body(&[&a], T0, 0, &source());
    assert!(
        got.contains(r#""labels": {"alertname":"A","path":"C:\\dir\\\"x\""}"#),
        "{got}"
    );
}

#[test]
fn missing_fired_at_falls_back_to_active_at() {
    let mut a = firing(&[("alertname", "A")], &[]);
    a.fired_at = None;
    let got = body(&[&a], T0, 0, &source());
    assert!(
        got.starts_with(r#"[{"startsAt":"2023-11-14T22:12:20Z","#),
        "{got}"
    );
}

#[test]
fn go_rfc3339nano_formatting() {
    for (ms, want) in [
        (0, "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (10, "1970-01-01T00:00:00.01Z"),
        (100, "1970-01-01T00:00:00.1Z"),
        (999, "1970-01-01T00:00:00.999Z"),
        (120, "1970-01-01T00:00:00.12Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (T0, "2023-11-14T22:13:20Z"),
        (951_782_400_000, "2000-02-29T00:00:00Z"),
        (253_402_300_799_000, "9999-12-31T23:59:59Z"),
    ] {
        assert_eq!(format_time(ms), want, "{ms}");
    }
}

#[test]
fn resolve_duration() {
    // (interval, resendDelay, maxResolveDuration) → 4 × max(interval, resendDelay), capped when the cap is > 0.
    for (interval, resend, max, want) in [
        (60_000, 0, 0, 240_000),
        (60_000, 120_000, 0, 480_000),
        (60_000, 0, 90_000, 90_000),
        (60_000, 0, 300_000, 240_000),
        (15_000, 15_000, 0, 60_000),
    ] {
        assert_eq!(resolve_after_ms(interval, resend, max), want);
    }
}

#[test]
fn name_sanitising() {
    for (name, want) in [
        ("job", "job"),
        ("__name__", "__name__"),
        ("a:b", "a_b"),
        ("a.b-c/d", "a_b_c_d"),
        ("1st", "_1st"),
        ("Ω", "_"),
    ] {
        assert_eq!(sanitize_name(name), want, "{name}");
    }
}

/// The first request Debian's vmalert 1.79.5 POSTed for this rule (captured on a recording server, 2026-11-25):
///
/// ```yaml
/// - alert: CapTest
///   expr: vector(1)
///   labels: {job: node, severity: "it's"}
///   annotations:
///     summary: "it's <b>hot</b> & \"q\" température 🔥"
///     description: "line1\nline2\ttab\bbs"
/// ```
/// with `-external.url=http://ext:8880`, group `g1` (interval 2s).
const VMALERT_1_79_5_CAPTURE: &str = concat!(
    r#"[{"startsAt":"2026-11-25T04:15:37.887832298Z","#,
    r#""generatorURL":"http://ext:8880/vmalert/api/v1/alert?group_id=17409925928168291588&alert_id=16264190860043741908","#,
    r#""endsAt":"2026-11-25T04:15:45.887832298Z","#,
    r#""labels": {"alertname":"CapTest","alertgroup":"g1","alertname":"CapTest","job":"node","severity":"it\u0027s"},"#,
    r#""annotations": {"summary":"it\u0027s \u003cb>hot\u003c/b> & \"q\" température 🔥","description":"line1\nline2\ttab\u0008bs"}}]"#
);

#[test]
fn differs_from_a_vmalert_1_79_5_capture_only_where_documented() {
    // 2026-11-25T04:15:37.887Z
    let fired = 1_795_580_137_887;
    let mut a = firing(
        &[
            ("alertname", "CapTest"),
            ("alertgroup", "g1"),
            ("job", "node"),
            ("severity", "it's"),
        ],
        &[
            ("summary", "it's <b>hot</b> & \"q\" température 🔥"),
            ("description", "line1\nline2\ttab\u{8}bs"),
        ],
    );
    a.id = 16_264_190_860_043_741_908;
    a.fired_at = Some(fired);
    let src = DefaultAlertSource {
        external_url: "http://ext:8880".to_string(),
    };
    let ctx = PayloadContext {
        now_ms: fired,
        resolve_after_ms: 8_000,
        group_id: 17_409_925_928_168_291_588,
        source: &src,
    };
    let ours = String::from_utf8(build(&[&a], &ctx).body.to_vec()).expect("utf-8");

    // The documented differences, applied to the capture:
    let theirs = VMALERT_1_79_5_CAPTURE
        // 1. tocsin keeps millisecond timestamps (vmalert 1.79.5 sends its wall clock's nanoseconds);
        .replace(".887832298Z", ".887Z")
        // 2. the generator URL path of current vmalert (`/vmalert/alert`), not 1.79.5's JSON API path;
        .replace("/vmalert/api/v1/alert?", "/vmalert/alert?")
        // 3. `alertname` once (1.79.5 writes it first and again among the sorted labels);
        .replace(r#"{"alertname":"CapTest","alertgroup""#, r#"{"alertgroup""#)
        // 4. backspace as `\b` (current quicktemplate), not `\u0008`.
        .replace(r"\u0008", r"\b");
    // 5. Annotations in name order (vmalert ranges over a Go map: random order).
    let split = |s: &str| -> (String, serde_json::Value) {
        let at = s.find(r#""annotations": "#).expect("annotations");
        let v: serde_json::Value = serde_json::from_str(s).expect("json");
        (s[..at].to_string(), v[0]["annotations"].clone())
    };
    let (ours_head, ours_ann) = split(&ours);
    let (theirs_head, theirs_ann) = split(&theirs);
    assert_eq!(ours_head, theirs_head);
    assert_eq!(ours_ann, theirs_ann);
    assert!(
        ours.ends_with(concat!(
            r#""annotations": {"description":"line1\nline2\ttab\bbs","#,
            r#""summary":"it\u0027s \u003cb>hot\u003c/b> & \"q\" température 🔥"}}]"#
        )),
        "{ours}"
    );
}
