//! Target building as vmalert's `parseLabels`, and DNS discovery against a tiny DNS responder on 127.0.0.1 (UDP)
//! written here: it answers SRV and A questions from a table the test changes, or SERVFAIL.

use super::*;
use crate::notifier::peer::QueueSettings;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

fn cfg(text: &str) -> NotifierFileConfig {
    file::parse("n.yml", text, Path::new("/etc")).unwrap_or_else(|e| panic!("{e}"))
}

fn urls(targets: &[Target]) -> Vec<String> {
    targets.iter().map(|t| t.settings.url.clone()).collect()
}

#[test]
fn static_targets_become_urls_as_vmalert_builds_them() {
    let c = cfg(r#"
path_prefix: /prefix/
static_configs:
  - targets: [am-0:9093, am-1, "https://am-2/own/path", "http://am-3:80"]
"#);
    assert_eq!(
        urls(&static_targets(&c).expect("targets")),
        vec![
            "http://am-0:9093/prefix/api/v2/alerts",
            "http://am-1:80/prefix/api/v2/alerts",
            "https://am-2:443/own/path",
            "http://am-3:80/prefix/api/v2/alerts",
        ]
    );
    assert!(
        static_targets(&c)
            .expect("t")
            .iter()
            .all(|t| t.settings.exact_endpoint)
    );
}

#[test]
fn target_relabeling_sees_the_special_and_meta_labels() {
    let c = cfg(r#"
scheme: https
dns_sd_configs: [{names: [x]}]
relabel_configs:
  - {source_labels: [__meta_dns_srv_record_target], regex: "skip.*", action: drop}
  - {source_labels: [__meta_dns_name], target_label: __alerts_path__, replacement: "/$1/api/v2/alerts"}
  - {source_labels: [__meta_dns_srv_record_target], target_label: pod}
"#);
    let meta = dns_labels("am.svc", "am-0.am.svc", 9093);
    let t = target_from("am-0.am.svc:9093", &meta, &c, &c.http, &Arc::default())
        .expect("ok")
        .expect("kept");
    assert_eq!(
        t.settings.url,
        "https://am-0.am.svc:9093/am.svc/api/v2/alerts"
    );
    // Meta labels are gone; the label made from one stays.
    assert_eq!(t.labels.get("pod").map(String::as_str), Some("am-0.am.svc"));
    assert!(!t.labels.keys().any(|k| k.starts_with("__meta_")));
    let dropped = dns_labels("am.svc", "skip-me", 9093);
    assert!(
        target_from("skip-me:9093", &dropped, &c, &c.http, &Arc::default())
            .expect("ok")
            .is_none()
    );
}

#[test]
fn alerts_path_joins_like_go() {
    assert_eq!(alerts_path(""), "/api/v2/alerts");
    assert_eq!(alerts_path("/a//b/"), "/a/b/api/v2/alerts");
    assert_eq!(alerts_path("a/../b"), "/b/api/v2/alerts");
}

/// What the fake DNS server answers.
#[derive(Clone, Default)]
struct Zone {
    srv: Vec<(String, u16, String)>,
    a: Vec<(String, [u8; 4])>,
    fail: bool,
}

fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in name.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// Answers one DNS query from `zone`.
fn answer(query: &[u8], zone: &Zone) -> Option<Vec<u8>> {
    let mut i = 12;
    let mut labels = Vec::new();
    while *query.get(i)? != 0 {
        let len = query[i] as usize;
        labels.push(String::from_utf8_lossy(query.get(i + 1..i + 1 + len)?).to_lowercase());
        i += 1 + len;
    }
    let qend = i + 5;
    let qtype = u16::from_be_bytes([*query.get(i + 1)?, *query.get(i + 2)?]);
    let name = labels.join(".");
    let mut answers: Vec<(u16, Vec<u8>)> = Vec::new();
    if qtype == 33 {
        for (n, port, target) in &zone.srv {
            if *n == name {
                let mut rdata = vec![0, 10, 0, 5];
                rdata.extend_from_slice(&port.to_be_bytes());
                encode_name(target, &mut rdata);
                answers.push((33, rdata));
            }
        }
    } else if qtype == 1 {
        for (n, ip) in &zone.a {
            if *n == name {
                answers.push((1, ip.to_vec()));
            }
        }
    }
    let known = zone.srv.iter().any(|(n, ..)| *n == name) || zone.a.iter().any(|(n, _)| *n == name);
    let rcode = if zone.fail {
        2
    } else if known {
        0
    } else {
        3
    };
    let mut out = Vec::new();
    out.extend_from_slice(&query[0..2]);
    out.push(0x84 | (query[2] & 0x01));
    out.push(0x80 | rcode);
    out.extend_from_slice(&[0, 1]);
    let n = if zone.fail { 0 } else { answers.len() as u16 };
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(query.get(12..qend)?);
    if !zone.fail {
        for (t, rdata) in answers {
            out.extend_from_slice(&[0xc0, 0x0c]);
            out.extend_from_slice(&t.to_be_bytes());
            out.extend_from_slice(&[0, 1, 0, 0, 0, 1]);
            out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(&rdata);
        }
    }
    Some(out)
}

/// Serves `zone` on a UDP port; counts the SERVFAIL answers it gave.
async fn dns_server(
    zone: Arc<Mutex<Zone>>,
) -> (SocketAddr, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = sock.local_addr().expect("addr");
    let failures = Arc::new(AtomicUsize::new(0));
    let counted = failures.clone();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let z = zone.lock().expect("lock").clone();
            if z.fail {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(reply) = answer(&buf[..n], &z) {
                let _ = sock.send_to(&reply, from).await;
            }
        }
    });
    (addr, failures, task)
}

async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..100 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok(), "timed out: {what}");
}

#[tokio::test]
async fn srv_and_a_discovery_refreshes_and_keeps_targets_on_failure() {
    let zone = Arc::new(Mutex::new(Zone {
        srv: vec![
            (
                "_web._tcp.am.test".to_string(),
                9093,
                "am-0.am.test.".to_string(),
            ),
            (
                "_web._tcp.am.test".to_string(),
                9094,
                "am-1.am.test.".to_string(),
            ),
        ],
        a: vec![("am.test".to_string(), [127, 0, 0, 7])],
        fail: false,
    }));
    let (server, failures, _task) = dns_server(zone.clone()).await;
    let options = DiscoveryOptions {
        dns_interval: Duration::from_millis(100),
        dns_servers: vec![server],
        ..DiscoveryOptions::default()
    };
    let resolver = DnsResolver::new(&options.dns_servers).expect("resolver");
    let srv = resolver
        .lookup("_web._tcp.am.test", DnsKind::Srv, None)
        .await
        .expect("srv");
    assert_eq!(srv.len(), 2);
    assert_eq!(
        srv[0],
        dns_labels("_web._tcp.am.test", "am-0.am.test", 9093)
    );
    assert_eq!(
        resolver
            .lookup("am.test", DnsKind::A, Some(9093))
            .await
            .expect("a"),
        vec![dns_labels("am.test", "127.0.0.7", 9093)]
    );
    assert_eq!(
        resolver.lookup("nope.test", DnsKind::A, Some(1)).await,
        Ok(Vec::new())
    );

    let c = cfg(r#"
static_configs: [{targets: ["127.0.0.1:1"]}]
dns_sd_configs:
  - names: [_web._tcp.am.test]
  - {names: [am.test], type: A, port: 9093}
"#);
    let n = Notifier::empty(QueueSettings::default());
    let report = n.apply_config(c, &options).await.expect("apply");
    assert_eq!(report.added.len(), 4, "{report:?}");
    let addrs =
        |n: &Notifier| -> Vec<String> { n.peers().iter().map(|p| p.addr.clone()).collect() };
    assert_eq!(
        addrs(&n),
        vec![
            "http://127.0.0.1:1/api/v2/alerts",
            "http://am-0.am.test:9093/api/v2/alerts",
            "http://am-1.am.test:9094/api/v2/alerts",
            "http://127.0.0.7:9093/api/v2/alerts",
        ]
    );
    // A pod goes away: the next refresh removes its peer.
    zone.lock().expect("lock").srv.pop();
    wait_until("am-1 removed", || addrs(&n).len() == 3).await;
    // The DNS server fails: the targets found before stay.
    zone.lock().expect("lock").fail = true;
    // Two refreshes' worth of failed lookups (two names each, retried by the resolver) have been answered.
    wait_until("failed lookups", || failures.load(Ordering::SeqCst) >= 4).await;
    assert_eq!(addrs(&n).len(), 3);
    // Recovery with a new pod.
    {
        let mut z = zone.lock().expect("lock");
        z.fail = false;
        z.srv.push((
            "_web._tcp.am.test".to_string(),
            9095,
            "am-2.am.test.".to_string(),
        ));
    }
    wait_until("am-2 added", || {
        addrs(&n).iter().any(|a| a.contains("am-2"))
    })
    .await;
    let report = n.shutdown(Duration::from_millis(10)).await;
    assert_eq!(report.undelivered.len(), 4);
}

#[tokio::test]
async fn reload_from_a_file_keeps_unchanged_peers_and_rejects_bad_files() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("notifier.yml");
    std::fs::write(
        &path,
        "static_configs: [{targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]}]\n",
    )
    .expect("write");
    let n = Notifier::empty(QueueSettings::default());
    let options = DiscoveryOptions::default();
    n.reload(&path, &options).await.expect("first load");
    std::fs::write(
        &path,
        "static_configs: [{targets: [\"127.0.0.1:2\", \"127.0.0.1:3\"]}]\n",
    )
    .expect("write");
    let r = n.reload(&path, &options).await.expect("reload");
    assert_eq!(r.kept, vec!["http://127.0.0.1:2/api/v2/alerts"]);
    assert_eq!(r.added, vec!["http://127.0.0.1:3/api/v2/alerts"]);
    assert_eq!(
        r.removed,
        vec![("http://127.0.0.1:1/api/v2/alerts".to_string(), 0)]
    );
    std::fs::write(&path, "static_configs: [{targets: [a:1]}]\nbogus: 1\n").expect("write");
    let e = n.reload(&path, &options).await.expect_err("bad file");
    assert!(
        e.to_string()
            .contains("notifier.yml:2:1: bogus: unknown field"),
        "{e}"
    );
    assert_eq!(n.peers().len(), 2);
    // The same address twice (once as a URL): the second is skipped and reported.
    std::fs::write(
        &path,
        "static_configs: [{targets: [\"127.0.0.1:2\", \"http://127.0.0.1:2/api/v2/alerts\"]}]\n",
    )
    .expect("write");
    let r = n.reload(&path, &options).await.expect("reload");
    assert_eq!(r.duplicates, vec!["http://127.0.0.1:2/api/v2/alerts"]);
    assert_eq!(n.peers().len(), 1);
}
