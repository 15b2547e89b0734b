//! `tocsin run`, the real binary, against real victoria-metrics 1.79 and a two-peer prometheus-alertmanager 0.25
//! cluster on loopback. Expected values come from the data these tests write and from vmalert's documented
//! behaviour (`/work/shared/reference/vmalert.md` §2-§3), never from tocsin's own output.

mod peers;

use peers::{AmCluster, Exported, FakeAm, Gate, Proc, Vm, now_ms, parse_rfc3339_ms, poll};
use std::collections::BTreeMap;
use std::time::Duration;

const INTERVAL_MS: i64 = 2000;

const RULES: &str = r#"
groups:
  - name: e2e
    interval: 2s
    rules:
      - record: job:demo_value:sum
        expr: sum by (job) (demo_value)
      - alert: DemoHigh
        expr: demo_value > 2
        for: 4s
        labels:
          severity: page
        annotations:
          summary: "demo value is {{ $value }}"
          series: "{{ query \"demo_value\" | len }} demo series"
"#;

/// `demo_value` for instances a (3: above the threshold) and b (1: below), one point a second for the last 20 s.
fn seed_text(now: i64, a: f64) -> String {
    let mut s = String::new();
    for i in 0..20 {
        let t = now - 20_000 + i * 1000;
        s.push_str(&format!(
            "demo_value{{job=\"api\",instance=\"a\"}} {a} {t}\n"
        ));
        s.push_str(&format!("demo_value{{job=\"api\",instance=\"b\"}} 1 {t}\n"));
    }
    s
}

fn base_args(rules: &std::path::Path, datasource: &str) -> Vec<String> {
    vec![
        "run".to_string(),
        format!("-rule={}", rules.display()),
        format!("-datasource.url={datasource}"),
        "-rule.evalDelay=0s".to_string(),
        "-remoteWrite.flushInterval=200ms".to_string(),
        "-httpListenAddr=127.0.0.1:0".to_string(),
    ]
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn find<'a>(series: &'a [Exported], want: &BTreeMap<String, String>) -> Option<&'a Exported> {
    series.iter().find(|s| &s.labels == want)
}

fn stop_gracefully(p: &mut Proc) {
    let code = p.terminate(Duration::from_secs(15));
    assert_eq!(
        code,
        Some(0),
        "exit status after SIGTERM; log:\n{}",
        p.log()
    );
}

/// Recording results, ALERTS / ALERTS_FOR_STATE, delivery to both clustered peers, and delivery of the resolve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_alerts_and_resolves_against_vm_and_an_alertmanager_cluster() {
    let (vm, am) = tokio::join!(Vm::start(&[]), AmCluster::start());
    let seeded_at = now_ms();
    vm.seed(&seed_text(seeded_at, 3.0), "demo_value", seeded_at, 2)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let mut args = base_args(&rules, &vm.url());
    args.push(format!("-remoteWrite.url={}", vm.url()));
    for u in am.urls() {
        args.push(format!("-notifier.url={u}"));
    }
    let started = now_ms();
    let mut tocsin = peers::tocsin("tocsin", &args);

    // The alert reaches both peers, firing.
    let mut seen = Vec::new();
    for peer in &am.peers {
        let a = poll(Duration::from_secs(20), "DemoHigh in a peer", || async {
            peer.alerts_named("DemoHigh").await.into_iter().next()
        })
        .await;
        seen.push((now_ms(), a));
    }
    let want_labels = serde_json::json!({
        "alertname": "DemoHigh", "alertgroup": "e2e", "instance": "a", "job": "api", "severity": "page",
    });
    let starts_at = parse_rfc3339_ms(seen[0].1["startsAt"].as_str().expect("startsAt"));
    for (observed, a) in &seen {
        assert_eq!(a["labels"], want_labels, "labels in {a}");
        assert_eq!(a["status"]["state"], "active", "{a}");
        // `query` in a template asks the datasource: both instances of demo_value.
        assert_eq!(a["annotations"]["series"], "2 demo series", "{a}");
        assert_eq!(
            parse_rfc3339_ms(a["startsAt"].as_str().expect("startsAt")),
            starts_at,
            "both peers hold the same startsAt"
        );
        // endsAt = send time + 4 × interval; the send happened at most one interval (plus slack) before we looked.
        let ends_at = parse_rfc3339_ms(a["endsAt"].as_str().expect("endsAt"));
        let ahead = ends_at - observed;
        assert!(
            (4 * INTERVAL_MS - INTERVAL_MS - 1500..=4 * INTERVAL_MS + 500).contains(&ahead),
            "endsAt {ahead} ms after observation, want about 4 × {INTERVAL_MS}: {a}"
        );
    }
    // Firing transition: aligned query time, `for` (4 s) after the first pending evaluation.
    assert_eq!(starts_at % INTERVAL_MS, 0, "startsAt {starts_at} aligned");
    assert!(
        starts_at >= started - INTERVAL_MS + 4000 && starts_at <= started + 4 * INTERVAL_MS + 4000,
        "startsAt {starts_at} vs tocsin start {started}"
    );

    // Recording rule: sum over the seeded series (3 + 1), labels of the `by`, aligned timestamps.
    let rec = vm
        .wait_export(
            "job:demo_value:sum",
            Duration::from_secs(10),
            "3 recorded points",
            |s| s.len() == 1 && s[0].points.len() >= 3,
        )
        .await;
    assert_eq!(
        rec[0].labels,
        labels(&[("__name__", "job:demo_value:sum"), ("job", "api")])
    );
    for (t, v) in &rec[0].points {
        assert_eq!(*v, Some(4.0), "recorded value at {t}");
        assert_eq!(
            t % INTERVAL_MS,
            0,
            "recorded timestamp {t} is an aligned query time"
        );
        assert!(
            *t >= started - INTERVAL_MS && *t <= now_ms(),
            "timestamp {t} in the run"
        );
    }

    // ALERTS / ALERTS_FOR_STATE as vmalert writes them: pending from the first evaluation (ActiveAt), a staleness
    // marker on ALERTS{pending} at the firing transition, ALERTS{firing} from there on.
    let alert_labels = [
        ("alertgroup", "e2e"),
        ("alertname", "DemoHigh"),
        ("instance", "a"),
        ("job", "api"),
        ("severity", "page"),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut l = labels(&alert_labels);
        l.extend(labels(extra));
        l
    };
    let pending_l = with(&[("__name__", "ALERTS"), ("alertstate", "pending")]);
    let firing_l = with(&[("__name__", "ALERTS"), ("alertstate", "firing")]);
    let for_state_l = with(&[("__name__", "ALERTS_FOR_STATE")]);
    let series = vm
        .wait_export(
            "{__name__=~\"ALERTS|ALERTS_FOR_STATE\"}",
            Duration::from_secs(10),
            "ALERTS series",
            |s| find(s, &firing_l).is_some_and(|f| f.points.len() >= 2),
        )
        .await;
    let pending =
        find(&series, &pending_l).unwrap_or_else(|| panic!("pending series in {series:?}"));
    let active_at = pending.points[0].0;
    assert_eq!(
        starts_at - active_at,
        4000,
        "firing 4 s (for) after pending: {pending:?}"
    );
    assert_eq!(
        pending.points,
        vec![
            (active_at, Some(1.0)),
            (active_at + 2000, Some(1.0)),
            (starts_at, None)
        ],
        "ALERTS{{pending}}: 1, 1, then StaleNaN at the firing transition"
    );
    let firing = find(&series, &firing_l).expect("firing series");
    assert_eq!(firing.points[0], (starts_at, Some(1.0)), "{firing:?}");
    assert!(
        firing.points.iter().all(|(_, v)| *v == Some(1.0)),
        "{firing:?}"
    );
    let for_state = find(&series, &for_state_l).expect("ALERTS_FOR_STATE series");
    assert_eq!(for_state.points[0].0, active_at);
    assert!(
        for_state
            .points
            .iter()
            .all(|(_, v)| *v == Some((active_at / 1000) as f64)),
        "ALERTS_FOR_STATE holds ActiveAt in seconds ({}): {for_state:?}",
        active_at / 1000
    );
    assert_eq!(series.len(), 3, "no other ALERTS series: {series:?}");

    // The data changes: instance a drops to 0. The resolve reaches both peers long before the last endsAt.
    let mut last_ends = 0;
    for peer in &am.peers {
        for a in peer.alerts_named("DemoHigh").await {
            last_ends = last_ends.max(parse_rfc3339_ms(a["endsAt"].as_str().expect("endsAt")));
        }
    }
    let changed = now_ms();
    vm.import(&format!(
        "demo_value{{job=\"api\",instance=\"a\"}} 0 {changed}\n"
    ))
    .await;
    for peer in &am.peers {
        poll(
            Duration::from_secs(20),
            "DemoHigh resolved in a peer",
            || async { peer.alerts_named("DemoHigh").await.is_empty().then_some(()) },
        )
        .await;
    }
    let gone = now_ms();
    assert!(
        gone + 1000 < last_ends.max(changed + 4 * INTERVAL_MS),
        "resolved at {gone}, only {} ms before the endsAt {last_ends} a silent expiry would give",
        last_ends - gone
    );
    // Staleness markers on ALERTS{firing} and ALERTS_FOR_STATE once resolved.
    let after = vm
        .wait_export(
            "{__name__=~\"ALERTS|ALERTS_FOR_STATE\"}",
            Duration::from_secs(10),
            "staleness markers after the resolve",
            |s| {
                [&firing_l, &for_state_l].iter().all(|l| {
                    find(s, l).is_some_and(|x| x.points.last().is_some_and(|p| p.1.is_none()))
                })
            },
        )
        .await;
    let firing = find(&after, &firing_l).expect("firing");
    let resolved_ts = firing.points.last().expect("last").0;
    assert!(
        resolved_ts >= changed - INTERVAL_MS,
        "marker at {resolved_ts}"
    );
    assert_eq!(
        find(&after, &for_state_l)
            .expect("for state")
            .points
            .last()
            .expect("last")
            .0,
        resolved_ts
    );
    stop_gracefully(&mut tocsin);
}

/// While the datasource answers 503 the alert keeps its state: no resolve is sent, and after recovery the same
/// alert (same startsAt) is firing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasource_errors_leave_alert_state_unchanged() {
    let vm = Vm::start(&[]).await;
    let seeded_at = now_ms();
    vm.seed(&seed_text(seeded_at, 3.0), "demo_value", seeded_at, 2)
        .await;
    // Keep instance a above the threshold for the whole test.
    let mut future = String::new();
    for i in 1..=60 {
        future.push_str(&format!(
            "demo_value{{job=\"api\",instance=\"a\"}} 3 {}\n",
            seeded_at + i * 1000
        ));
    }
    vm.import(&future).await;
    let gate = Gate::start(vm.url()).await;
    let am = FakeAm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(
        dir.path(),
        "rules.yml",
        "groups:\n  - name: ds\n    interval: 2s\n    rules:\n      - alert: DemoHigh\n        expr: demo_value > 2\n",
    );
    let mut args = base_args(&rules, &gate.url());
    args.push(format!("-notifier.url={}", am.url()));
    // vmalert's behaviour: no hold, no outage alert.
    args.push("-rule.holdOnError=0".to_string());
    args.push("-rule.datasourceAlert=false".to_string());
    let mut tocsin = peers::tocsin("tocsin", &args);

    let first = poll(Duration::from_secs(15), "firing alert sent", || async {
        am.alerts().into_iter().next()
    })
    .await;
    let starts_at = first.1["startsAt"].as_str().expect("startsAt").to_string();
    gate.set_open(false);
    let closed_at = now_ms();
    poll(Duration::from_secs(15), "three refused queries", || async {
        (gate.answered().iter().filter(|(_, s)| *s == 503).count() >= 3).then_some(())
    })
    .await;
    gate.set_open(true);
    let opened_at = now_ms();
    let after = poll(
        Duration::from_secs(15),
        "alert sent after recovery",
        || async { am.alerts().into_iter().find(|(t, _)| *t > opened_at + 200) },
    )
    .await;
    stop_gracefully(&mut tocsin);

    assert_eq!(
        after.1["startsAt"], starts_at,
        "same firing alert after the outage: {}",
        after.1
    );
    for (received, a) in am.alerts() {
        let ends = parse_rfc3339_ms(a["endsAt"].as_str().expect("endsAt"));
        assert!(
            ends > received,
            "a resolve (endsAt {ends} <= receipt {received}) was sent: {a}"
        );
        assert_eq!(a["startsAt"], starts_at, "{a}");
    }
    let during: Vec<_> = am
        .alerts()
        .into_iter()
        .filter(|(t, _)| *t > closed_at + INTERVAL_MS + 500 && *t < opened_at)
        .collect();
    assert!(
        during.is_empty(),
        "vmalert sends nothing for a rule whose query failed; sent during the outage: {during:?}"
    );
}

/// Two replicas with identical flags (each writing to its own VictoriaMetrics) write identical timestamps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_write_identical_timestamps() {
    let (vm, vm_a, vm_b) = tokio::join!(Vm::start(&[]), Vm::start(&[]), Vm::start(&[]));
    let seeded_at = now_ms();
    let mut text = seed_text(seeded_at, 3.0);
    for i in 1..=60 {
        text.push_str(&format!(
            "demo_value{{job=\"api\",instance=\"a\"}} 3 {}\ndemo_value{{job=\"api\",instance=\"b\"}} 1 {}\n",
            seeded_at + i * 1000,
            seeded_at + i * 1000
        ));
    }
    vm.seed(&text, "demo_value", seeded_at, 2).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    // Notifications do not matter here: a closed port.
    let closed = format!("http://127.0.0.1:{}", peers::free_port());
    let replica = |name: &str, write: &Vm| {
        let mut args = base_args(&rules, &vm.url());
        args.retain(|a| !a.starts_with("-httpListenAddr"));
        args.push(format!("-remoteWrite.url={}", write.url()));
        args.push(format!("-notifier.url={closed}"));
        args.push("-httpListenAddr=127.0.0.1:0".to_string());
        peers::tocsin(name, &args)
    };
    let mut a = replica("tocsin-a", &vm_a);
    // Start the second replica at an unrelated moment.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut b = replica("tocsin-b", &vm_b);
    let selector = "{__name__=~\"job:demo_value:sum|ALERTS|ALERTS_FOR_STATE\"}";
    // Recording, ALERTS{pending}, ALERTS{firing}, ALERTS_FOR_STATE; a few points past the firing transition.
    let enough = |s: &[Exported]| {
        s.len() >= 4
            && s.iter()
                .filter(|x| x.labels.get("alertstate").is_none_or(|v| v != "pending"))
                .all(|x| x.points.len() >= 4)
    };
    vm_a.wait_export(selector, Duration::from_secs(20), "replica a", enough)
        .await;
    vm_b.wait_export(selector, Duration::from_secs(20), "replica b", enough)
        .await;
    stop_gracefully(&mut a);
    stop_gracefully(&mut b);
    let got_a = vm_a.export(selector).await;
    let got_b = vm_b.export(selector).await;
    let names = |s: &[Exported]| s.iter().map(|x| x.labels.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&got_a),
        names(&got_b),
        "same series from both replicas"
    );
    for (sa, sb) in got_a.iter().zip(&got_b) {
        let ta: Vec<i64> = sa.points.iter().map(|p| p.0).collect();
        let tb: Vec<i64> = sb.points.iter().map(|p| p.0).collect();
        let lo = ta[0].max(tb[0]);
        let hi = ta[ta.len() - 1].min(tb[tb.len() - 1]);
        let window = |t: &[i64]| {
            t.iter()
                .copied()
                .filter(|x| (lo..=hi).contains(x))
                .collect::<Vec<_>>()
        };
        assert!(
            window(&ta).len() >= 2,
            "overlap too short for {:?}: {ta:?} / {tb:?}",
            sa.labels
        );
        assert_eq!(window(&ta), window(&tb), "timestamps of {:?}", sa.labels);
        assert!(ta.iter().all(|t| t % INTERVAL_MS == 0), "aligned: {ta:?}");
    }
}

/// vmalert's startup refusals: exit non-zero, naming the problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_refusals_name_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recording = peers::write_file(
        dir.path(),
        "rec.yml",
        "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n",
    );
    let alerting = peers::write_file(
        dir.path(),
        "alert.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n",
    );
    let bad = peers::write_file(
        dir.path(),
        "bad.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        foo: 1\n",
    );
    let ds = "-datasource.url=http://127.0.0.1:1".to_string();
    for (rules, extra, want) in [
        (&recording, vec![], "-remoteWrite.url"),
        (&alerting, vec![], "-notifier.url"),
        (
            &bad,
            vec!["-notifier.url=http://127.0.0.1:1".to_string()],
            "bad.yml",
        ),
    ] {
        let mut args = vec![
            "run".to_string(),
            format!("-rule={}", rules.display()),
            ds.clone(),
        ];
        args.extend(extra);
        let mut p = peers::tocsin("tocsin", &args);
        let (code, log) = p.wait_exit(Duration::from_secs(10));
        assert!(
            code.is_some_and(|c| c != 0),
            "{args:?}: exit {code:?}, want non-zero; log:\n{log}"
        );
        assert!(
            log.contains(want),
            "{args:?}: message should name {want:?}:\n{log}"
        );
    }
}

/// Credentials given by flag never reach tocsin's log, even when every request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_from_flags_never_reach_the_log() {
    let gate = Gate::start("http://127.0.0.1:1".to_string()).await;
    gate.set_open(false);
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let secret = "Sup3r-S3cret-Pw";
    let closed = format!("http://127.0.0.1:{}", peers::free_port());
    let mut args = base_args(&rules, &gate.url());
    args.extend([
        "-datasource.basicAuth.username=reader".to_string(),
        format!("-datasource.basicAuth.password={secret}"),
        format!("-remoteWrite.url={closed}"),
        "-remoteWrite.basicAuth.username=writer".to_string(),
        format!("-remoteWrite.basicAuth.password={secret}-rw"),
        "-remoteWrite.retryMinInterval=100ms".to_string(),
        format!("-notifier.url={closed}"),
        format!("-notifier.basicAuth.password={secret}-am"),
    ]);
    let mut tocsin = peers::tocsin("tocsin", &args);
    let answered = poll(Duration::from_secs(15), "refused queries", || async {
        let a = gate.answered();
        (a.len() >= 2).then_some(a)
    })
    .await;
    // The password was used: the gate saw it in the Authorization header.
    let auth = answered[0]
        .0
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(
        auth.starts_with("Basic "),
        "datasource auth header: {auth:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await; // let remote write and notifier fail and log
    stop_gracefully(&mut tocsin);
    let log = tocsin.log();
    assert!(
        log.contains("evaluation failed") || log.contains("503"),
        "the failures are logged:\n{log}"
    );
    let encoded = auth.trim_start_matches("Basic ").to_string();
    for needle in [secret, encoded.as_str()] {
        assert!(!log.contains(needle), "{needle:?} in the log:\n{log}");
    }
}

/// vmalert 1.79 refuses a rule file whose expression does not parse (`sum(up`: "bad prometheus expr"); tocsin warns
/// that it is "sent to the datasource as MetricsQL unchecked" and runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_refuses_an_expression_vmalert_cannot_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = peers::write_file(
        dir.path(),
        "bad.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(up\n",
    );
    let args = vec![
        "run".to_string(),
        format!("-rule={}", bad.display()),
        "-datasource.url=http://127.0.0.1:1".to_string(),
        "-notifier.url=http://127.0.0.1:1".to_string(),
    ];
    let mut p = peers::tocsin("tocsin", &args);
    let (code, log) = p.wait_exit(Duration::from_secs(10));
    assert!(code.is_some_and(|c| c != 0), "exit {code:?}; log:\n{log}");
    assert!(log.contains("bad.yml"), "{log}");
}

/// Credentials in URLs (`http://user:password@host`) are masked too: vmalert logs such URLs with the password
/// hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_urls_never_reach_the_log() {
    let gate = Gate::start("http://127.0.0.1:1".to_string()).await;
    gate.set_open(false);
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let secret = "Url-S3cret-Pw";
    let ds = format!("http://reader:{secret}@{}", gate.addr);
    let closed = peers::free_port();
    let mut args = base_args(&rules, &ds);
    args.extend([
        format!("-remoteWrite.url=http://writer:{secret}@127.0.0.1:{closed}"),
        "-remoteWrite.retryMinInterval=100ms".to_string(),
        format!("-notifier.url=http://am:{secret}@127.0.0.1:{closed}"),
    ]);
    let mut tocsin = peers::tocsin("tocsin", &args);
    poll(Duration::from_secs(15), "refused queries", || async {
        (gate.answered().len() >= 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop_gracefully(&mut tocsin);
    let log = tocsin.log();
    assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
}

/// A rule file with one group `group` (interval 1 s) holding the `DemoHigh` alert, with `for` when given; the
/// directory lives as long as the returned guard.
fn demo_rule_file(group: &str, for_: Option<&str>) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let for_line = for_
        .map(|f| format!("        for: {f}\n"))
        .unwrap_or_default();
    let text = format!(
        "groups:\n  - name: {group}\n    interval: 1s\n    rules:\n      - alert: DemoHigh\n        expr: demo_value > 2\n{for_line}"
    );
    let rules = peers::write_file(dir.path(), "rules.yml", &text);
    (dir, rules)
}

/// Seeds instance a above the threshold for the next `secs` seconds too, so the condition holds throughout.
async fn seed_firing(vm: &Vm, secs: i64) -> i64 {
    let seeded_at = now_ms();
    vm.seed(&seed_text(seeded_at, 3.0), "demo_value", seeded_at, 2)
        .await;
    let mut future = String::new();
    for i in 1..=secs {
        future.push_str(&format!(
            "demo_value{{job=\"api\",instance=\"a\"}} 3 {}\n",
            seeded_at + i * 1000
        ));
    }
    vm.import(&future).await;
    seeded_at
}

fn named<'a>(
    alerts: &'a [(i64, serde_json::Value)],
    name: &str,
) -> Vec<&'a (i64, serde_json::Value)> {
    alerts
        .iter()
        .filter(|(_, a)| a["labels"]["alertname"] == name)
        .collect()
}

fn is_resolve(received: i64, a: &serde_json::Value) -> bool {
    parse_rfc3339_ms(a["endsAt"].as_str().expect("endsAt")) <= received
}

/// With the default `-rule.holdOnError`, a datasource outage keeps the firing alert alive in Alertmanager (re-sent
/// with a future endsAt, never resolved) and raises `TocsinDatasourceUnreachable`, resolved after recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_datasource_outage_holds_firing_alerts_and_raises_the_outage_alert() {
    let vm = Vm::start(&[]).await;
    seed_firing(&vm, 90).await;
    let gate = Gate::start(vm.url()).await;
    let am = FakeAm::start().await;
    let (_dir, rules) = demo_rule_file("ds", None);
    let mut args = base_args(&rules, &gate.url());
    args.push(format!("-notifier.url={}", am.url()));
    let mut tocsin = peers::tocsin("tocsin", &args);
    poll(Duration::from_secs(15), "firing alert sent", || async {
        am.alerts().into_iter().next()
    })
    .await;
    gate.set_open(false);
    let closed_at = now_ms();
    // Outage of 6 s: longer than 4 × interval, after which vmalert's alert would have expired in Alertmanager.
    let outage = poll(Duration::from_secs(15), "outage alert sent", || async {
        named(&am.alerts(), "TocsinDatasourceUnreachable")
            .first()
            .map(|(_, a)| a.clone())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(6000)).await;
    gate.set_open(true);
    let opened_at = now_ms();
    poll(Duration::from_secs(15), "outage alert resolved", || async {
        named(&am.alerts(), "TocsinDatasourceUnreachable")
            .iter()
            .find(|(t, a)| *t > opened_at && is_resolve(*t, a))
            .map(|_| ())
    })
    .await;
    stop_gracefully(&mut tocsin);

    assert_eq!(outage["labels"]["alertgroup"], "ds", "{outage}");
    assert_eq!(outage["labels"]["severity"], "critical", "{outage}");
    assert!(
        outage["labels"]["datasource"]
            .as_str()
            .is_some_and(|d| d.starts_with(&gate.url())),
        "{outage}"
    );
    let all = am.alerts();
    let demo = named(&all, "DemoHigh");
    assert!(
        demo.iter().all(|(t, a)| !is_resolve(*t, a)),
        "DemoHigh was never resolved"
    );
    // Held: re-sent during the outage, each time with endsAt in the future.
    let held = demo
        .iter()
        .filter(|(t, _)| *t > closed_at + 4 * 1000 && *t < opened_at)
        .count();
    assert!(held >= 1, "DemoHigh re-sent during the outage: {demo:?}");
}

/// SIGHUP reloads: a broken file changes nothing; a changed annotation keeps the firing alert (same startsAt, never
/// resolved); a changed expression resolves the old alert at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reload_keeps_state_and_a_bad_reload_changes_nothing() {
    let vm = Vm::start(&[]).await;
    seed_firing(&vm, 90).await;
    let am = FakeAm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = |summary: &str, expr: &str| {
        format!(
            "groups:\n  - name: rl\n    interval: 1s\n    rules:\n      - alert: DemoHigh\n        expr: {expr}\n        for: 2s\n        annotations:\n          summary: {summary}\n"
        )
    };
    let rules = peers::write_file(dir.path(), "rules.yml", &rule("one", "demo_value > 2"));
    let mut args = base_args(&rules, &vm.url());
    args.push(format!("-notifier.url={}", am.url()));
    let mut tocsin = peers::tocsin("tocsin", &args);
    let first = poll(Duration::from_secs(15), "firing alert sent", || async {
        am.alerts().into_iter().next()
    })
    .await;
    let starts_at = first.1["startsAt"].clone();

    std::fs::write(
        &rules,
        "groups:\n  - name: rl\n    rules:\n      - alert: X\n        expr: up\n        bogus: 1\n",
    )
    .expect("write");
    peers::sighup(&tocsin);
    poll(Duration::from_secs(10), "bad reload logged", || async {
        tocsin.log().contains("reload failed").then_some(())
    })
    .await;
    let log = tocsin.log();
    assert!(log.contains("rules.yml:6"), "names file and line: {log}");
    assert!(log.contains("bogus"), "names the field: {log}");
    // A template that does not parse fails the reload too.
    std::fs::write(&rules, rule("\"{{ .Labels.x \"", "demo_value > 2")).expect("write");
    peers::sighup(&tocsin);
    poll(Duration::from_secs(10), "bad template refused", || async {
        (tocsin.log().matches("reload failed").count() >= 2).then_some(())
    })
    .await;
    let log = tocsin.log();
    assert!(
        log.contains("annotations.summary"),
        "names the field: {log}"
    );

    std::fs::write(&rules, rule("two", "demo_value > 2")).expect("write");
    peers::sighup(&tocsin);
    let reloaded_at = poll(Duration::from_secs(10), "good reload", || async {
        tocsin.log().contains("configuration reloaded").then(now_ms)
    })
    .await;
    let after = poll(Duration::from_secs(10), "new annotation sent", || async {
        am.alerts()
            .into_iter()
            .find(|(t, a)| *t > reloaded_at && a["annotations"]["summary"] == "two")
    })
    .await;
    assert_eq!(after.1["startsAt"], starts_at, "same alert, same startsAt");
    assert!(
        am.alerts().iter().all(|(t, a)| !is_resolve(*t, a)),
        "no resolve after an unchanged identity"
    );

    std::fs::write(&rules, rule("two", "demo_value > 2.5")).expect("write");
    peers::sighup(&tocsin);
    let changed_at = poll(Duration::from_secs(10), "second reload", || async {
        (tocsin.log().matches("configuration reloaded").count() >= 2).then(now_ms)
    })
    .await;
    poll(
        Duration::from_secs(5),
        "old alert resolved at once",
        || async {
            am.alerts()
                .iter()
                .find(|(t, a)| *t + 1500 >= changed_at && is_resolve(*t, a))
                .map(|_| ())
        },
    )
    .await;
    stop_gracefully(&mut tocsin);
}

/// After SIGKILL and restart with `-remoteRead.url`, an alert that had been active for longer than `for` fires at
/// the first evaluation instead of going through `for` again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_restores_for_state_from_remote_read() {
    let vm = Vm::start(&[]).await;
    seed_firing(&vm, 120).await;
    let am = FakeAm::start().await;
    let (_dir, rules) = demo_rule_file("rs", Some("8s"));
    let mut args = base_args(&rules, &vm.url());
    args.push(format!("-notifier.url={}", am.url()));
    args.push(format!("-remoteWrite.url={}", vm.url()));
    args.push(format!("-remoteRead.url={}", vm.url()));
    let mut first = peers::tocsin("tocsin-1", &args);
    let fired = poll(Duration::from_secs(30), "firing alert sent", || async {
        am.alerts().into_iter().next()
    })
    .await;
    // Let ALERTS_FOR_STATE reach VictoriaMetrics and become searchable.
    tokio::time::sleep(Duration::from_secs(3)).await;
    first.kill();
    let restarted_at = now_ms();
    let mut second = peers::tocsin("tocsin-2", &args);
    let again = poll(
        Duration::from_secs(20),
        "alert sent after restart",
        || async { am.alerts().into_iter().find(|(t, _)| *t > restarted_at) },
    )
    .await;
    stop_gracefully(&mut second);
    assert!(
        again.0 - restarted_at < 6000,
        "fired {} ms after the restart, before `for` (8 s) could elapse again; log: {}",
        again.0 - restarted_at,
        second.log()
    );
    assert!(
        second.log().contains("read back from remote read"),
        "{}",
        second.log()
    );
    let _ = fired;
}

/// The HTTP server of `tocsin run`: ready once groups run; `/-/reload` (behind its key) runs the reload and answers
/// its outcome, a bad file changing nothing and showing in `/metrics`; a good one shows in `/api/v1/rules`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_reload_readiness_and_metrics() {
    let vm = Vm::start(&[]).await;
    seed_firing(&vm, 60).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = |name: &str| {
        format!(
            "groups:\n  - name: hr\n    interval: 1s\n    rules:\n      - alert: {name}\n        expr: demo_value > 2\n"
        )
    };
    let rules = peers::write_file(dir.path(), "rules.yml", &rule("First"));
    let port = peers::free_port();
    let mut args = base_args(&rules, &vm.url());
    args.retain(|a| !a.starts_with("-httpListenAddr"));
    args.push(format!("-httpListenAddr=127.0.0.1:{port}"));
    args.push("-reloadAuthKey=rk".to_string());
    args.push(format!(
        "-notifier.url=http://127.0.0.1:{}",
        peers::free_port()
    ));
    let mut tocsin = peers::tocsin("tocsin", &args);
    let base = format!("http://127.0.0.1:{port}");
    let c = peers::client();
    let get = |path: &str| {
        let r = c.get(format!("{base}{path}")).send();
        async move {
            match r.await {
                Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                Err(_) => (0, String::new()),
            }
        }
    };
    poll(Duration::from_secs(15), "ready", || async {
        (get("/-/ready").await.0 == 200).then_some(())
    })
    .await;
    let names = |body: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        v["data"]["groups"][0]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(names(&get("/api/v1/rules").await.1), vec!["First"]);

    assert_eq!(get("/-/reload").await.0, 401, "the key is required");
    std::fs::write(
        &rules,
        "groups:\n  - name: hr\n    rules:\n      - alert: X\n        expr: up\n        bogus: 1\n",
    )
    .expect("write");
    let (status, body) = get("/-/reload?authKey=rk").await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("bogus"), "the error names the field: {body}");
    assert_eq!(
        names(&get("/api/v1/rules").await.1),
        vec!["First"],
        "nothing changed"
    );
    let metrics = get("/metrics").await.1;
    assert!(
        metrics
            .lines()
            .any(|l| l == "vmalert_config_last_reload_successful 0"),
        "{metrics}"
    );

    std::fs::write(&rules, rule("Second")).expect("write");
    let (status, body) = get("/-/reload?authKey=rk").await;
    assert_eq!(status, 200, "{body}");
    poll(Duration::from_secs(10), "new rule listed", || async {
        (names(&get("/api/v1/rules").await.1) == vec!["Second"]).then_some(())
    })
    .await;
    let metrics = get("/metrics").await.1;
    assert!(
        metrics
            .lines()
            .any(|l| l == "vmalert_config_last_reload_successful 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vmalert_iteration_total{group=\"hr\""),
        "{metrics}"
    );
    stop_gracefully(&mut tocsin);
}

/// A replica started with `-replica.peers` while the datasource is down takes the firing alert from its live sibling
/// and keeps it alive in Alertmanager (firing, same startsAt) instead of waiting for the datasource; the state
/// endpoint refuses a caller without the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_replica_takes_firing_alerts_from_a_sibling_during_an_outage() {
    let vm = Vm::start(&[]).await;
    seed_firing(&vm, 120).await;
    let gate = Gate::start(vm.url()).await;
    let am_a = FakeAm::start().await;
    let am_b = FakeAm::start().await;
    let (_dir, rules) = demo_rule_file("sib", Some("5s"));
    let args = |am: &FakeAm, port: u16| {
        vec![
            "run".to_string(),
            format!("-rule={}", rules.display()),
            format!("-datasource.url={}", gate.url()),
            "-rule.evalDelay=0s".to_string(),
            format!("-notifier.url={}", am.url()),
            format!("-httpListenAddr=127.0.0.1:{port}"),
            "-replica.authKey=s3cret".to_string(),
        ]
    };
    let (mut a, port_a) = peers::tocsin_listening("replica-a", |port| args(&am_a, port)).await;
    let fired = poll(Duration::from_secs(20), "A fires", || async {
        am_a.alerts().into_iter().next()
    })
    .await;
    let starts_at = fired.1["startsAt"].clone();
    let state_url = format!("http://127.0.0.1:{port_a}/tocsin/api/v1/state");
    let refused = peers::client().get(&state_url).send().await.expect("GET");
    assert_eq!(refused.status().as_u16(), 401, "the state needs the key");

    gate.set_open(false);
    let mut b_args = args(&am_b, 0);
    b_args.push(format!("-replica.peers=http://127.0.0.1:{port_a}"));
    let started = now_ms();
    let mut b = peers::tocsin("replica-b", &b_args);
    let held = poll(
        Duration::from_secs(15),
        "B sends the restored alert",
        || async { am_b.alerts().into_iter().next() },
    )
    .await;
    assert!(
        held.0 - started < 5000,
        "B sent it {} ms after start, during the outage; log: {}",
        held.0 - started,
        b.log()
    );
    assert_eq!(
        held.1["startsAt"], starts_at,
        "the sibling's startsAt: {}",
        held.1
    );
    assert!(!is_resolve(held.0, &held.1), "{}", held.1);
    assert!(b.log().contains("taken from a sibling"), "{}", b.log());
    gate.set_open(true);
    stop_gracefully(&mut b);
    stop_gracefully(&mut a);
}
