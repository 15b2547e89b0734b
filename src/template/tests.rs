//! Unit tests of the public template API: parse-checks worded as promtool and vmalert word them.

use super::*;

fn prom(text: &str) -> Result<(), String> {
    check_alert_template("X", text, TemplateDialect::Prometheus).map_err(|e| e.to_string())
}

fn vm(text: &str) -> Result<(), String> {
    check_alert_template("X", text, TemplateDialect::Vmalert).map_err(|e| e.to_string())
}

#[test]
fn accepts_valid_templates() {
    for t in [
        "plain text",
        "{{ $labels.instance }} is {{ $value | humanize }}",
        "{{ range $i, $v := $labels }}{{ $i }}={{ $v }}{{ else }}none{{ end }}",
        "{{ if eq 1 2 }}a{{ else if gt 3 2 }}b{{ else }}c{{ end }}",
        "{{ with query \"up\" }}{{ . | first | value }}{{ end }}",
        "{{- /* comment */ -}} x",
        "{{ define \"t\" }}T{{ end }}{{ template \"t\" . }}",
        "{{ range . }}{{ break }}{{ continue }}{{ end }}",
        "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
        "{{ printf \"%d\" (len $labels) }}",
        "{{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ -1.5 }} {{ nil | print }} {{ true }} {{ `raw` }}",
    ] {
        assert_eq!(prom(t), Ok(()), "{t}");
    }
}

#[test]
fn reports_errors_as_go_does() {
    for (t, want) in [
        ("{{ }}", "template: __alert_X:1: missing value for command"),
        (
            "{{ unknown|query }}",
            "template: __alert_X:1: function \"unknown\" not defined",
        ),
        (
            "{{ $expr }}",
            "template: __alert_X:1: undefined variable \"$expr\"",
        ),
        ("{{ if 1 }}", "template: __alert_X:1: unexpected EOF"),
        ("a\n{{ .x", "template: __alert_X:2: unclosed action"),
        ("{{ end }}", "template: __alert_X:1: unexpected {{end}}"),
        ("{{ else }}", "template: __alert_X:1: unexpected {{else}}"),
        (
            "{{ break }}",
            "template: __alert_X:1: {{break}} outside {{range}}",
        ),
        (
            "{{ \"abc }}",
            "template: __alert_X:1: unterminated quoted string",
        ),
        (
            "{{ 3x }}",
            "template: __alert_X:1: bad number syntax: \"3x\"",
        ),
        ("{{ (1 }}", "template: __alert_X:1: unclosed left paren"),
        (
            "{{ 1) }}",
            "template: __alert_X:1: unexpected \")\" in command",
        ),
        (
            "{{ .a | 1 }}",
            "template: __alert_X:1: non executable command in pipeline stage 2",
        ),
        (
            "{{ range $a, $b, $c := . }}{{ end }}",
            "template: __alert_X:1: too many declarations in range",
        ),
        ("{{/* x ", "template: __alert_X:1: unclosed comment"),
        (
            "{{ template . }}",
            "template: __alert_X:1: unexpected <.> in template clause",
        ),
        (
            "{{ if 1 }}{{ else if }}{{ end }}",
            "template: __alert_X:1: missing value for if",
        ),
        (
            "{{ range 1 }}{{ else if 1 }}{{ end }}",
            "template: __alert_X:1: unexpected <if> in input",
        ),
        (
            "{{ nil.x }}",
            "template: __alert_X:1: unexpected . after term \"nil\"",
        ),
        (
            "{{ 1.x }}",
            "template: __alert_X:1: bad number syntax: \"1.x\"",
        ),
        (
            "{{ 9999999999999999999999 }}",
            "template: __alert_X:1: integer overflow: \"9999999999999999999999\"",
        ),
        (
            "{{ 1e400 }}",
            "template: __alert_X:1: illegal number syntax: \"1e400\"",
        ),
        ("{{ \"\\q\" }}", "template: __alert_X:1: invalid syntax"),
        (
            "{{ .a, }}",
            "template: __alert_X:1: unexpected \",\" in operand",
        ),
        (
            "{{ @ }}",
            "template: __alert_X:1: unexpected \"@\" in command",
        ),
        ("{{ :a }}", "template: __alert_X:1: expected :="),
        (
            "{{ $x.a := 1 }}",
            "template: __alert_X:1: undefined variable \"$x\"",
        ),
    ] {
        assert_eq!(prom(t), Err(want.to_string()), "{t}");
    }
}

#[test]
fn dialects_differ_in_variables_and_functions() {
    assert_eq!(
        vm("{{ $expr }} {{ $alertID }} {{ $activeAt }} {{ jsonEscape \"a\" }}"),
        Ok(())
    );
    assert_eq!(
        vm("{{ }}"),
        Err("template: :1: missing value for command".into())
    );
    assert_eq!(
        prom("{{ jsonEscape \"a\" }}"),
        Err("template: __alert_X:1: function \"jsonEscape\" not defined".into())
    );
    assert_eq!(
        vm("{{ graphLink \"a\" }}"),
        Err("template: :1: function \"graphLink\" not defined".into())
    );
}

#[test]
fn parse_errors_carry_position_in_user_text() {
    let e = check_alert_template("X", "ok\n  {{ nope }}", TemplateDialect::Prometheus).unwrap_err();
    match e {
        TemplateError::Parse { line, column, .. } => assert_eq!((line, column), (2, 6)),
        other => panic!("unexpected {other:?}"),
    }
    let e = check_alert_template("X", "{{ nope }}", TemplateDialect::Prometheus).unwrap_err();
    match e {
        TemplateError::Parse { line, column, .. } => assert_eq!((line, column), (1, 4)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn defined_templates_are_usable() {
    let set = TemplateSet::parse(
        &[("t.tmpl", "{{ define \"hello\" }}hi {{ . }}{{ end }}")],
        TemplateDialect::Vmalert,
    )
    .unwrap();
    assert_eq!(set.names(), vec!["hello".to_string(), "t.tmpl".to_string()]);
    assert!(
        check_alert_template_with(
            "X",
            "{{ template \"hello\" . }}",
            TemplateDialect::Vmalert,
            &set
        )
        .is_ok()
    );
    let bad = TemplateSet::parse(
        &[("t.tmpl", "{{ define \"x\" }}")],
        TemplateDialect::Vmalert,
    );
    assert!(bad.is_err());
}

fn render(dialect: TemplateDialect, text: &str, data: &AlertTemplateData) -> String {
    let t = Template::parse_alert("X", text, dialect, &TemplateSet::default()).unwrap();
    t.render_annotation(
        data,
        &RenderContext {
            external_url: "http://prom:9090/p",
            ..Default::default()
        },
    )
}

#[test]
fn renders_alert_data() {
    let mut d = AlertTemplateData {
        value: 1234567.0,
        ..Default::default()
    };
    d.labels.insert("instance".into(), "host:9100".into());
    d.labels.insert("job".into(), "node".into());
    let p = TemplateDialect::Prometheus;
    assert_eq!(
        render(
            p,
            "{{ $labels.instance }} {{ $value }} {{ .Value | humanize }}",
            &d
        ),
        "host:9100 1.234567e+06 1.235M"
    );
    assert_eq!(
        render(
            p,
            "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
            &d
        ),
        "instance=host:9100;job=node;"
    );
    assert_eq!(
        render(p, "{{ $labels.missing }}|{{ index $labels \"job\" }}", &d),
        "|node"
    );
    assert_eq!(
        render(p, "{{ if gt $value 10.0 }}big{{ else }}small{{ end }}", &d),
        "big"
    );
    assert_eq!(
        render(p, "{{ printf \"%.2f %s\" $value \"x\" }}", &d),
        "1234567.00 x"
    );
    assert_eq!(
        render(p, "{{ externalURL }} {{ pathPrefix }}", &d),
        "http://prom:9090/p /p"
    );
    assert_eq!(
        render(p, "{{ eq $value 1 }}", &d),
        "<error expanding template: error executing template __alert_X: template: __alert_X:1:115: executing \"__alert_X\" at <eq $value 1>: error calling eq: incompatible types for comparison>"
    );
    assert_eq!(
        render(
            p,
            "{{ define \"a\" }}[{{ . }}]{{ end }}{{ template \"a\" $labels.job }}",
            &d
        ),
        "[node]"
    );
    assert_eq!(
        render(
            p,
            "{{ range $i, $e := args 1 2 3 }}{{ if eq $i \"arg1\" }}{{ continue }}{{ end }}{{ $e }}{{ end }}",
            &d
        ),
        "13"
    );
}

#[test]
fn deep_and_explosive_templates_stop_with_errors() {
    let deep = "{{ ".to_string() + &"(".repeat(5000) + "1" + &")".repeat(5000) + " }}";
    let e = check_alert_template("X", &deep, TemplateDialect::Prometheus).unwrap_err();
    assert!(
        e.to_string().ends_with("max expression depth exceeded"),
        "{e}"
    );
    let nested_ifs = "{{ if 1 }}".repeat(5000) + &"{{ end }}".repeat(5000);
    assert!(check_alert_template("X", &nested_ifs, TemplateDialect::Prometheus).is_err());
    let mut doubling = String::new();
    for i in 0..40 {
        doubling += &format!(
            "{{{{ define \"t{i}\" }}}}{{{{ template \"t{}\" }}}}{{{{ template \"t{}\" }}}}{{{{ end }}}}",
            i + 1,
            i + 1
        );
    }
    doubling += "{{ define \"t40\" }}x{{ end }}{{ template \"t0\" }}";
    let out = render(
        TemplateDialect::Prometheus,
        &doubling,
        &AlertTemplateData::default(),
    );
    assert!(out.contains("exceeded the execution budget"), "{out}");
    let recursive = "{{ define \"r\" }}{{ template \"r\" }}{{ end }}{{ template \"r\" }}";
    let out = render(
        TemplateDialect::Prometheus,
        recursive,
        &AlertTemplateData::default(),
    );
    assert!(
        out.contains("exceeded maximum template depth (100)"),
        "{out}"
    );
}

#[test]
fn compiled_templates_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<TemplateSet>();
    assert_send_sync::<TemplateError>();
}

#[test]
fn prepared_data_renders_like_plain_data() {
    let mut d = AlertTemplateData {
        value: 0.5,
        ..Default::default()
    };
    d.labels.insert("job".into(), "api".into());
    let ctx = RenderContext::default();
    for dialect in [TemplateDialect::Prometheus, TemplateDialect::Vmalert] {
        let text = "{{ $labels.job }} {{ $value | humanizePercentage }}";
        let t = Template::parse_alert("X", text, dialect, &TemplateSet::default()).unwrap();
        let prepared = d.prepare(TemplateDialect::Prometheus);
        assert_eq!(t.render_prepared(&prepared, &ctx), t.render(&d, &ctx));
        assert_eq!(t.render(&d, &ctx).unwrap(), "api 50%");
    }
}
