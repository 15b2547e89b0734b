//! API comparison: Debian's vmalert 1.79.5 and tocsin, started with the same command line on the same rule file
//! against the same VictoriaMetrics data, answer every API; the responses must agree in field names, types and
//! nesting, and in values where they are deterministic. Every difference must be one of the deliberate ones
//! listed in `docs/api.md` (the table between the `api-diff` markers), and every listed difference must still
//! occur: the list is checked both ways.

mod peers;

use peers::{Proc, Vm, now_ms};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const RULES: &str = r#"
groups:
  - name: api
    interval: 2s
    rules:
      - record: job:demo_value:sum
        expr: sum by (job) (demo_value)
        labels:
          team: infra
      - alert: DemoHigh
        expr: demo_value > 2
        labels:
          severity: warning
        annotations:
          summary: static text
          description: "value {{ $value }} on {{ $labels.instance }}"
      - alert: DemoSlow
        expr: demo_value > 4
        for: 10m
        labels:
          severity: page
      - alert: DemoNever
        expr: demo_value > 100
      - alert: DemoBroken
        expr: label_replace(demo_value, "instance", "x", "", "")
  - name: second
    interval: 3s
    concurrency: 2
    rules:
      - alert: SecondHigh
        expr: demo_value{instance="a"} > 1
"#;

/// One documented difference: `(endpoint, field, kind)`.
type Diff = (String, String, String);

/// The rows of the table between `<!-- api-diff:begin -->` and `<!-- api-diff:end -->` in docs/api.md.
fn documented() -> BTreeSet<Diff> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md"))
        .expect("docs/api.md");
    let start = text.find("<!-- api-diff:begin -->").expect("begin marker");
    let end = text.find("<!-- api-diff:end -->").expect("end marker");
    text[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            (cells[1].clone(), cells[2].clone(), cells[3].clone())
        })
        .collect()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field path with its type. Arrays collapse to `[]`; `labels` and `annotations` are maps with free keys
/// (`{}`).
fn shape(v: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    let path = if path.is_empty() { "." } else { path };
    out.entry(path.to_string())
        .or_default()
        .insert(type_name(v));
    match v {
        Value::Array(items) => {
            for i in items {
                shape(i, &format!("{path}[]"), out);
            }
        }
        Value::Object(map) => {
            let free = path.ends_with("labels") || path.ends_with("annotations");
            for (k, val) in map {
                let key = if free { "{}" } else { k.as_str() };
                let p = if path == "." {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                shape(val, &p, out);
            }
        }
        _ => {}
    }
}

/// Shape differences of one endpoint.
fn shape_diffs(endpoint: &str, t: &Value, v: &Value, out: &mut BTreeSet<Diff>) {
    let (mut ts, mut vs) = (BTreeMap::new(), BTreeMap::new());
    shape(t, "", &mut ts);
    shape(v, "", &mut vs);
    for (p, types) in &ts {
        match vs.get(p) {
            None => {
                out.insert((endpoint.into(), p.clone(), "added".into()));
            }
            Some(vt) if vt != types => {
                out.insert((endpoint.into(), p.clone(), "type".into()));
            }
            Some(_) => {}
        }
    }
    for p in vs.keys().filter(|p| !ts.contains_key(*p)) {
        out.insert((endpoint.into(), p.clone(), "missing".into()));
    }
}

/// Value differences of the deterministic fields of two objects.
fn value_diffs(
    endpoint: &str,
    prefix: &str,
    t: &Value,
    v: &Value,
    fields: &[&str],
    out: &mut BTreeSet<Diff>,
) {
    for f in fields {
        if t.get(f) != v.get(f) {
            eprintln!(
                "{endpoint} {prefix}.{f}: tocsin {:?} vmalert {:?}",
                t.get(f),
                v.get(f)
            );
            out.insert((endpoint.into(), format!("{prefix}.{f}"), "value".into()));
        }
    }
}

const GROUP_FIELDS: &[&str] = &["name", "interval", "type", "id", "file", "concurrency"];
const RULE_FIELDS: &[&str] = &[
    "state",
    "name",
    "query",
    "duration",
    "labels",
    "annotations",
    "health",
    "type",
    "datasourceType",
    "lastSamples",
    "id",
    "group_id",
];
const ALERT_FIELDS: &[&str] = &[
    "state",
    "name",
    "value",
    "labels",
    "annotations",
    "id",
    "rule_id",
    "group_id",
    "expression",
    "source",
    "restored",
];

fn by_key<'a>(items: &'a Value, key: &str) -> BTreeMap<String, &'a Value> {
    items
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| (i[key].as_str().unwrap_or_default().to_string(), i))
                .collect()
        })
        .unwrap_or_default()
}

fn compare_groups(endpoint: &str, t: &Value, v: &Value, out: &mut BTreeSet<Diff>) {
    let (tg, vg) = (
        by_key(&t["data"]["groups"], "name"),
        by_key(&v["data"]["groups"], "name"),
    );
    assert_eq!(
        tg.keys().collect::<Vec<_>>(),
        vg.keys().collect::<Vec<_>>(),
        "{endpoint}: groups"
    );
    for (name, tgroup) in &tg {
        let vgroup = vg[name];
        value_diffs(endpoint, "data.groups[]", tgroup, vgroup, GROUP_FIELDS, out);
        let (tr, vr) = (
            by_key(&tgroup["rules"], "name"),
            by_key(&vgroup["rules"], "name"),
        );
        assert_eq!(
            tr.keys().collect::<Vec<_>>(),
            vr.keys().collect::<Vec<_>>(),
            "{endpoint}: rules of {name}"
        );
        // Rules in file order, as vmalert lists them.
        let order = |g: &Value| -> Vec<String> {
            g["rules"]
                .as_array()
                .expect("rules")
                .iter()
                .map(|r| r["name"].as_str().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(
            order(tgroup),
            order(vgroup),
            "{endpoint}: rule order of {name}"
        );
        for (rname, trule) in &tr {
            let vrule = vr[rname];
            value_diffs(
                endpoint,
                "data.groups[].rules[]",
                trule,
                vrule,
                RULE_FIELDS,
                out,
            );
            assert_eq!(
                trule["lastError"].as_str().is_some_and(str::is_empty),
                vrule["lastError"].as_str().is_some_and(str::is_empty),
                "{endpoint}: lastError of {rname}"
            );
            compare_alerts(
                endpoint,
                "data.groups[].rules[].alerts[]",
                &trule["alerts"],
                &vrule["alerts"],
                out,
            );
        }
    }
}

fn compare_alerts(endpoint: &str, prefix: &str, t: &Value, v: &Value, out: &mut BTreeSet<Diff>) {
    let (ta, va) = (by_key(t, "id"), by_key(v, "id"));
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        va.keys().collect::<Vec<_>>(),
        "{endpoint}: alert IDs"
    );
    // `/api/v1/alerts` is ordered by ID as text in both; within a rule vmalert follows Go's random map order.
    if !prefix.starts_with("data.alerts") {
        for (id, talert) in &ta {
            value_diffs(endpoint, prefix, talert, va[id], ALERT_FIELDS, out);
        }
        return;
    }
    let ids = |x: &Value| -> Vec<String> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .map(|i| i["id"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(ids(t), ids(v), "{endpoint}: alert order");
    for (id, talert) in &ta {
        value_diffs(endpoint, prefix, talert, va[id], ALERT_FIELDS, out);
    }
}

/// Metric name → label names, for the `vmalert_*` families.
fn metric_labels(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("vmalert_") && !l.starts_with("vmalert_http"))
    {
        let (series, _) = line.rsplit_once(' ').expect("value");
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let names = labels
            .trim_end_matches('}')
            .split(',')
            .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.trim().to_string()))
            .filter(|k| k != "quantile");
        out.entry(name.to_string()).or_default().extend(names);
    }
    out
}

struct Tool {
    name: &'static str,
    base: String,
    _proc: Proc,
}

impl Tool {
    async fn get(&self, path: &str) -> (u16, String) {
        // A tool still starting up answers nothing: status 0.
        match peers::client()
            .get(format!("{}{path}", self.base))
            .send()
            .await
        {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        }
    }

    async fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{} {path}: {body}", self.name);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{} {path}: {e}: {body}", self.name))
    }
}

fn start(name: &'static str, args: &[String]) -> Tool {
    let port = peers::free_port();
    let mut args = args.to_vec();
    args.push(format!("-httpListenAddr=127.0.0.1:{port}"));
    let proc = if name == "tocsin" {
        // vmalert's command line as is: no subcommand.
        peers::tocsin("tocsin", &args)
    } else {
        Proc::spawn(
            "vmalert",
            peers::VMALERT,
            &args,
            tempfile::tempdir().expect("tempdir"),
        )
    };
    Tool {
        name,
        base: format!("http://127.0.0.1:{port}"),
        _proc: proc,
    }
}

fn alert_count(v: &Value) -> usize {
    v["data"]["alerts"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_answers_as_vmalert_does_except_documented_differences() {
    let vm = Vm::start(&[]).await;
    let now = now_ms();
    let mut text = String::new();
    // tocsin queries 30 s in the past by default (-rule.evalDelay), vmalert 1.79 at the tick: cover both.
    for i in -90..180 {
        let t = now + i * 1000;
        text.push_str(&format!("demo_value{{job=\"api\",instance=\"a\"}} 3 {t}\n"));
        text.push_str(&format!("demo_value{{job=\"api\",instance=\"b\"}} 5 {t}\n"));
    }
    vm.seed(&text, "demo_value", now - 30_000, 2).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let args = vec![
        format!("-rule={}", rules.display()),
        format!("-datasource.url={}", vm.url()),
        format!("-remoteWrite.url={}", vm.url()),
        format!("-notifier.url=http://127.0.0.1:{}", peers::free_port()),
        "-external.url=http://alerting.example".to_string(),
        "-external.label=cluster=test".to_string(),
    ];
    let tocsin = start("tocsin", &args);
    let vmalert = start("vmalert", &args);

    // Both have evaluated every group: 2 DemoHigh + 1 DemoSlow + 1 SecondHigh alerts, and the rules have run.
    for tool in [&tocsin, &vmalert] {
        peers::poll(
            Duration::from_secs(30),
            &format!("{} alerts", tool.name),
            || async {
                let (status, body) = tool.get("/api/v1/alerts").await;
                let v: Value = serde_json::from_str(&body).ok()?;
                (status == 200 && alert_count(&v) == 4).then_some(())
            },
        )
        .await;
        peers::poll(
            Duration::from_secs(30),
            &format!("{} rules evaluated", tool.name),
            || async {
                let v: Value = serde_json::from_str(&tool.get("/api/v1/rules").await.1).ok()?;
                let all = v["data"]["groups"]
                    .as_array()?
                    .iter()
                    .flat_map(|g| g["rules"].as_array().into_iter().flatten());
                all.clone()
                    .all(|r| r["lastEvaluation"] != "0001-01-01T00:00:00Z")
                    .then_some(())
            },
        )
        .await;
    }

    let mut found: BTreeSet<Diff> = BTreeSet::new();

    // /api/v1/rules, bare and under /vmalert.
    for path in ["/api/v1/rules", "/vmalert/api/v1/rules"] {
        let (t, v) = (tocsin.json(path).await, vmalert.json(path).await);
        shape_diffs("/api/v1/rules", &t, &v, &mut found);
        compare_groups("/api/v1/rules", &t, &v, &mut found);
    }

    // /api/v1/alerts.
    let (t, v) = (
        tocsin.json("/api/v1/alerts").await,
        vmalert.json("/api/v1/alerts").await,
    );
    shape_diffs("/api/v1/alerts", &t, &v, &mut found);
    compare_alerts(
        "/api/v1/alerts",
        "data.alerts[]",
        &t["data"]["alerts"],
        &v["data"]["alerts"],
        &mut found,
    );

    // /api/v1/alert for the same alert, each tool with its own group ID.
    let pick = |v: &Value| -> (String, String) {
        let a = &v["data"]["alerts"][0];
        (
            a["group_id"].as_str().expect("group_id").to_string(),
            a["id"].as_str().expect("id").to_string(),
        )
    };
    let ((tg, ta), (vg, va)) = (pick(&t), pick(&v));
    assert_eq!(ta, va, "same first alert");
    for prefix in ["", "/vmalert"] {
        let t1 = tocsin
            .json(&format!(
                "{prefix}/api/v1/alert?group_id={tg}&alert_id={ta}"
            ))
            .await;
        let v1 = vmalert
            .json(&format!(
                "{prefix}/api/v1/alert?group_id={vg}&alert_id={va}"
            ))
            .await;
        shape_diffs("/api/v1/alert", &t1, &v1, &mut found);
        value_diffs("/api/v1/alert", "alert", &t1, &v1, ALERT_FIELDS, &mut found);
    }

    // Status codes: probes, errors, and the endpoints 1.79 does not have.
    let rule_id = t["data"]["alerts"][0]["rule_id"]
        .as_str()
        .expect("rule_id")
        .to_string();
    let status_paths = [
        "/health".to_string(),
        "/-/healthy".to_string(),
        "/-/ready".to_string(),
        "/metrics".to_string(),
        "/flags".to_string(),
        "/api/v1/alert?group_id=1&alert_id=1".to_string(),
        "/api/v1/alert?group_id=x&alert_id=1".to_string(),
        "/api/v1/alert?alert_id=1".to_string(),
        "/api/v1/no-such-path".to_string(),
        "/api/v1/notifiers".to_string(),
        "/vmalert/api/v1/notifiers".to_string(),
        format!("/api/v1/group?group_id={tg}"),
        format!("/api/v1/rule?group_id={tg}&rule_id={rule_id}"),
    ];
    for path in &status_paths {
        let (ts, _) = tocsin.get(path).await;
        let (vs, _) = vmalert.get(&path.replace(&tg, &vg)).await;
        if ts != vs {
            eprintln!("{path}: tocsin {ts} vmalert {vs}");
            let endpoint = path.split('?').next().unwrap_or(path);
            let endpoint = if endpoint.starts_with("/api/v1/alert") {
                path.as_str()
            } else {
                endpoint
            };
            found.insert((
                endpoint.to_string(),
                "HTTP status".into(),
                format!("status {ts} vs {vs}"),
            ));
        }
    }

    // /metrics: every vmalert_* family vmalert shows exists in tocsin with (at least) its labels.
    let (tm, vm_metrics) = (
        metric_labels(&tocsin.get("/metrics").await.1),
        metric_labels(&vmalert.get("/metrics").await.1),
    );
    for (name, labels) in &vm_metrics {
        match tm.get(name) {
            None => {
                found.insert(("/metrics".into(), name.clone(), "missing".into()));
            }
            Some(tl) => {
                for l in labels.difference(tl) {
                    found.insert((
                        "/metrics".into(),
                        format!("{name}{{{l}}}"),
                        "missing".into(),
                    ));
                }
                for l in tl.difference(labels) {
                    found.insert(("/metrics".into(), format!("{name}{{{l}}}"), "added".into()));
                }
            }
        }
    }
    for name in tm.keys().filter(|n| !vm_metrics.contains_key(*n)) {
        found.insert(("/metrics".into(), name.clone(), "added".into()));
    }

    // /flags: the same flags, values equal except where documented.
    let flags = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (tf, vf) = (
        flags(&tocsin.get("/flags").await.1),
        flags(&vmalert.get("/flags").await.1),
    );
    assert_eq!(
        tf.keys().collect::<Vec<_>>(),
        vf.keys().collect::<Vec<_>>(),
        "/flags names"
    );
    // The listen addresses differ by construction.
    for (k, v) in tf.iter().filter(|(k, _)| *k != "-httpListenAddr") {
        if vf[k] != *v {
            eprintln!("/flags {k}: tocsin {v} vmalert {}", vf[k]);
            found.insert(("/flags".into(), k.clone(), "value".into()));
        }
    }

    let listed = documented();
    let unlisted: Vec<&Diff> = found.difference(&listed).collect();
    let stale: Vec<&Diff> = listed.difference(&found).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "differences not in docs/api.md:\n{}\nlisted in docs/api.md but not seen:\n{}",
        unlisted
            .iter()
            .map(|(e, f, k)| format!("| `{e}` | `{f}` | `{k}` | |"))
            .collect::<Vec<_>>()
            .join("\n"),
        stale
            .iter()
            .map(|(e, f, k)| format!("| `{e}` | `{f}` | `{k}` | |"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}
