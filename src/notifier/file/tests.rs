//! The `-notifier.config` reader: every supported field, vmalert's defaults, and every problem reported with its
//! file, line, column and field path.

use super::*;

fn parse_ok(text: &str) -> NotifierFileConfig {
    parse("n.yml", text, Path::new("/etc/tocsin")).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(text: &str) -> Vec<String> {
    parse("n.yml", text, Path::new("/etc/tocsin"))
        .expect_err("invalid")
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn reads_every_supported_field() {
    let cfg = parse_ok(
        r#"
scheme: https
path_prefix: /am
timeout: 5s
basic_auth: {username: u, password_file: pw}
tls_config: {ca_file: /ca.pem, insecure_skip_verify: true}
headers: ["X-Scope: team-a"]
static_configs:
  - targets: [am-0:9093, "http://am-1:9093/x/api/v2/alerts"]
    bearer_token: tok
    alert_relabel_configs:
      - {source_labels: [severity], regex: debug, action: drop}
dns_sd_configs:
  - names: [_web._tcp.am.monitoring.svc]
  - names: [am.monitoring.svc]
    type: A
    port: 9093
relabel_configs:
  - {source_labels: [__meta_dns_name], target_label: dns}
alert_relabel_configs:
  - {regex: replica, action: labeldrop}
"#,
    );
    assert_eq!(cfg.scheme, "https");
    assert_eq!(cfg.path_prefix, "/am");
    assert_eq!(cfg.timeout, Duration::from_secs(5));
    assert_eq!(
        cfg.http.auth,
        Some(Auth::Basic {
            username: Secret::Value("u".to_string()),
            password: Some(Secret::File(PathBuf::from("/etc/tocsin/pw"))),
        })
    );
    let tls = cfg.http.tls.clone().expect("tls");
    assert_eq!(tls.ca_file, Some(PathBuf::from("/ca.pem")));
    assert!(tls.insecure_skip_verify);
    assert_eq!(
        cfg.http.headers,
        Some(vec![("X-Scope".to_string(), "team-a".to_string())])
    );
    let sc = &cfg.static_configs[0];
    assert_eq!(sc.targets.len(), 2);
    assert_eq!(
        sc.http.auth,
        Some(Auth::Bearer(Secret::Value("tok".to_string())))
    );
    // The static config's bearer token wins; TLS and headers come from the globals.
    let merged = sc.http.or(&cfg.http);
    assert_eq!(merged.auth, sc.http.auth);
    assert_eq!(merged.tls, cfg.http.tls);
    assert_eq!(sc.alert_relabel.len(), 1);
    assert_eq!(cfg.dns_sd_configs.len(), 2);
    assert_eq!(cfg.dns_sd_configs[0].kind, DnsKind::Srv);
    assert_eq!(
        (cfg.dns_sd_configs[1].kind, cfg.dns_sd_configs[1].port),
        (DnsKind::A, Some(9093))
    );
    assert_eq!(cfg.relabel.len(), 1);
    assert_eq!(cfg.alert_relabel.len(), 1);
}

#[test]
fn defaults_match_vmalert() {
    let cfg = parse_ok("static_configs: [{targets: [am:9093]}]\n");
    assert_eq!(cfg.scheme, "http");
    assert_eq!(cfg.timeout, DEFAULT_SEND_TIMEOUT);
    assert!(cfg.http.auth.is_none());
}

#[test]
fn authorization_with_a_custom_type() {
    let cfg = parse_ok(
        "authorization: {type: Token, credentials_file: tok}\nstatic_configs: [{targets: [a:1]}]\n",
    );
    assert_eq!(
        cfg.http.auth,
        Some(Auth::Scheme {
            scheme: "Token".to_string(),
            credentials: Secret::File(PathBuf::from("/etc/tocsin/tok")),
        })
    );
}

#[test]
fn every_problem_is_reported_with_line_and_field() {
    let got = errors(
        r#"static_configs:
  - targets: [a:1]
    bearer_tokn: x
dns_sd_configs:
  - names: [am.svc]
    type: A
alert_relabel_configs:
  - action: keep_if_equal
  - source_labels: [a]
    target_label: 1bad
consul_sd_configs: []
bearer_token: a
basic_auth: {username: u}
"#,
    );
    let want = [
        "n.yml:3:5: static_configs[0].bearer_tokn: unknown field \"bearer_tokn\" in static config; did you mean \"bearer_token\"?",
        "n.yml:5:5: dns_sd_configs[0].port: `port` is required for A and AAAA lookups",
        "n.yml:8:13: alert_relabel_configs[0].action: relabel action \"keep_if_equal\" is a VictoriaMetrics extension",
        "n.yml:10:19: alert_relabel_configs[1].target_label: \"1bad\" is invalid 'target_label' for replace action",
        "n.yml:11:20: consul_sd_configs: consul_sd_configs is not supported by tocsin",
        "n.yml:13:13: basic_auth: at most one of authorization, basic_auth, bearer_token and bearer_token_file may be set; got bearer_token and basic_auth",
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for w in want {
        assert!(
            got.iter().any(|g| g.starts_with(w)),
            "missing {w:?} in {got:#?}"
        );
    }
}

#[test]
fn header_errors_do_not_show_the_value() {
    let got = errors("headers: [\"secret-value-without-colon\"]\n");
    assert_eq!(got.len(), 1);
    assert!(!got[0].contains("secret-value"), "{}", got[0]);
    assert!(got[0].starts_with("n.yml:1:11: headers[0]:"), "{}", got[0]);
}

#[test]
fn yaml_syntax_errors_have_positions() {
    let got = errors("static_configs: [\n");
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("n.yml:"), "{}", got[0]);
}
