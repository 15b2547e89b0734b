//! `tocsin run -notifier.config=FILE`, the real binary: static targets with global and per-target alert relabeling
//! reach a recording fake Alertmanager while another target is a closed port, and a bad file stops startup with
//! the file, line and field of the problem.

mod peers;

use peers::{FakeAm, Vm, free_port, poll};
use std::time::Duration;

const RULES: &str = "groups:\n  - name: cfg\n    interval: 1s\n    rules:\n      - alert: FromConfigFile\n        expr: vector(1)\n        labels:\n          replica: r1\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_static_targets_with_relabeling_despite_a_dead_one() {
    let vm = Vm::start(&[]).await;
    let am = FakeAm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let config = format!(
        r#"timeout: 2s
alert_relabel_configs:
  - {{regex: replica, action: labeldrop}}
  - {{target_label: origin, replacement: config-file}}
static_configs:
  - targets: ["127.0.0.1:{closed}"]
  - targets: ["{live}"]
    alert_relabel_configs:
      - {{source_labels: [origin], target_label: peer, replacement: "live-$1"}}
"#,
        closed = free_port(),
        live = am.addr,
    );
    let cfg = peers::write_file(dir.path(), "notifier.yml", &config);
    let args = vec![
        "run".to_string(),
        format!("-rule={}", rules.display()),
        format!("-datasource.url={}", vm.url()),
        format!("-notifier.config={}", cfg.display()),
        "-rule.evalDelay=0s".to_string(),
        "-httpListenAddr=127.0.0.1:0".to_string(),
    ];
    let mut tocsin = peers::tocsin("tocsin", &args);
    let (_, alert) = poll(
        Duration::from_secs(20),
        "alert at the live target",
        || async { am.alerts().into_iter().next() },
    )
    .await;
    let labels = &alert["labels"];
    assert_eq!(labels["alertname"], "FromConfigFile", "{alert}");
    assert_eq!(labels["origin"], "config-file", "{alert}");
    assert_eq!(labels["peer"], "live-config-file", "{alert}");
    assert!(labels.get("replica").is_none(), "{alert}");
    // Refreshes keep arriving while the other target refuses every connection.
    poll(Duration::from_secs(10), "three sends", || async {
        (am.alerts().len() >= 3).then_some(())
    })
    .await;
    let code = tocsin.terminate(Duration::from_secs(20));
    assert_eq!(code, Some(0), "log:\n{}", tocsin.log());
    let log = tocsin.log();
    assert!(log.contains("will retry"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_notifier_config_stops_startup_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let cfg = peers::write_file(
        dir.path(),
        "notifier.yml",
        "static_configs:\n  - targets: [a:1]\n    alert_relabel_configs:\n      - action: hashmod\n        target_label: x\n",
    );
    let args = vec![
        "run".to_string(),
        format!("-rule={}", rules.display()),
        "-datasource.url=http://127.0.0.1:1".to_string(),
        format!("-notifier.config={}", cfg.display()),
        "-httpListenAddr=127.0.0.1:0".to_string(),
    ];
    let mut tocsin = peers::tocsin("tocsin", &args);
    let (code, log) = tocsin.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("notifier.yml:4:9: static_configs[0].alert_relabel_configs[0].modulus: relabel configuration for hashmod requires non-zero modulus"),
        "{log}"
    );
}

/// SIGHUP re-reads `-notifier.config`: a broken file keeps the old targets (and the rules); a good one moves
/// alerts to the new target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_notifier_config_and_a_broken_one_changes_nothing() {
    let vm = Vm::start(&[]).await;
    let first = FakeAm::start().await;
    let second = FakeAm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let target =
        |addr: std::net::SocketAddr| format!("static_configs:\n  - targets: [\"{addr}\"]\n");
    let cfg = peers::write_file(dir.path(), "notifier.yml", &target(first.addr));
    let args = vec![
        "run".to_string(),
        format!("-rule={}", rules.display()),
        format!("-datasource.url={}", vm.url()),
        format!("-notifier.config={}", cfg.display()),
        "-rule.evalDelay=0s".to_string(),
        "-httpListenAddr=127.0.0.1:0".to_string(),
    ];
    let mut tocsin = peers::tocsin("tocsin", &args);
    poll(
        Duration::from_secs(20),
        "alert at the first target",
        || async { first.alerts().into_iter().next() },
    )
    .await;
    std::fs::write(
        &cfg,
        "static_configs:\n  - targets: [\"x\"]\n    bogus: 1\n",
    )
    .expect("write");
    peers::sighup(&tocsin);
    poll(Duration::from_secs(10), "bad reload logged", || async {
        tocsin.log().contains("reload failed").then_some(())
    })
    .await;
    let log = tocsin.log();
    assert!(log.contains("notifier.yml:3"), "names file and line: {log}");
    let before = first.alerts().len();
    poll(
        Duration::from_secs(10),
        "first target still served",
        || async { (first.alerts().len() > before).then_some(()) },
    )
    .await;

    std::fs::write(&cfg, target(second.addr)).expect("write");
    peers::sighup(&tocsin);
    poll(
        Duration::from_secs(10),
        "alert at the second target",
        || async { second.alerts().into_iter().next() },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = first.alerts().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        first.alerts().len(),
        settled,
        "the old target gets nothing more"
    );
    let code = tocsin.terminate(Duration::from_secs(20));
    assert_eq!(code, Some(0), "log:\n{}", tocsin.log());
}
