//! Differential: Debian's vmalert (`/usr/bin/vmalert`, 1.79.5) and tocsin query recording fake datasources with the
//! same settings; the requests must match. Known, documented differences are normalised away: the `time` format
//! (1.79.5 sends unix seconds, current vmalert and tocsin RFC3339), `User-Agent`, `Accept-Encoding`, `Accept`
//! (reqwest always adds `Accept: */*`) and `Host` (the fakes listen on different ports).

mod common_vm;

use common_vm::fake::{Fake, Recorded, Reply};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tocsin::datasource::{
    BasicAuth, BearerToken, DatasourceSettings, HttpQuerier, InstantQuery, Querier, Secret,
};

const VMALERT: &str = "/usr/bin/vmalert";
const EMPTY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs vmalert with `flags` and one group (`interval`, `params` YAML) against a fake; returns its first request.
async fn vmalert_request(
    flags: &[String],
    url_path_query: &str,
    interval: &str,
    params_yaml: &str,
) -> Recorded {
    let fake = Fake::start(vec![Reply::Respond(200, EMPTY.into())]).await;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        format!(
            "groups:\n  - name: g\n    interval: {interval}\n{params_yaml}    rules:\n      - alert: A\n        expr: 'up{{job=\"node\"}} > 0'\n"
        ),
    )
    .unwrap();
    let child = Command::new(VMALERT)
        .arg(format!("-rule={}", rules.display()))
        .arg(format!("-datasource.url={}", fake.url(url_path_query)))
        .arg(format!(
            "-notifier.url=http://127.0.0.1:{}",
            common_vm::free_port()
        ))
        .arg(format!(
            "-httpListenAddr=127.0.0.1:{}",
            common_vm::free_port()
        ))
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vmalert");
    let _guard = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(r) = fake.requests().into_iter().next() {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "vmalert sent no query within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn tocsin_request(
    mut s: DatasourceSettings,
    url_path_query: &str,
    interval_ms: i64,
    params: &[(String, String)],
) -> Recorded {
    let fake = Fake::start(vec![Reply::Respond(200, EMPTY.into())]).await;
    s.url = fake.url(url_path_query);
    HttpQuerier::new(s)
        .unwrap()
        .query(InstantQuery {
            expr: r#"up{job="node"} > 0"#,
            time_ms: 1_700_000_000_000,
            interval_ms,
            params,
            headers: &[],
        })
        .await
        .expect("query");
    fake.requests().remove(0)
}

/// Method, path, query string without `time`, and headers without the normalised ones, sorted.
fn normalise(r: &Recorded) -> (String, Vec<(String, String)>) {
    let line = r.request_line.replace('\r', "");
    let (method_target, _) = line.rsplit_once(' ').unwrap();
    let (path, query) = method_target.split_once('?').unwrap_or((method_target, ""));
    let query: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("time="))
        .collect();
    assert!(r.request_line.contains("time="), "{}", r.request_line);
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| {
            !["user-agent", "accept-encoding", "accept", "host"]
                .contains(&k.to_ascii_lowercase().as_str())
        })
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    headers.sort();
    (format!("{path}?{}", query.join("&")), headers)
}

#[tokio::test]
async fn requests_match_vmalert() {
    if !Path::new(VMALERT).exists() {
        eprintln!("skipping: {VMALERT} not installed");
        return;
    }
    // A tenant path with its own parameter, overridden by a group param; basic auth; an explicit query step.
    let params_yaml = "    params:\n      nocache: [\"1\"]\n      extra_label: [\"c=d\"]\n";
    let flags = [
        "-datasource.basicAuth.username=alice",
        "-datasource.basicAuth.password=s3cret",
        "-datasource.queryStep=15s",
    ]
    .map(String::from);
    let path = "/select/0/prometheus?extra_label=a%3Db&x=y";
    let theirs = vmalert_request(&flags, path, "1s", params_yaml);
    let mut s = DatasourceSettings::new("");
    s.basic_auth = Some(BasicAuth {
        username: "alice".into(),
        password: Some(Secret::new("s3cret")),
        ..Default::default()
    });
    s.query_step = Duration::from_secs(15);
    let params = vec![
        ("nocache".to_string(), "1".to_string()),
        ("extra_label".to_string(), "c=d".to_string()),
    ];
    let ours = tocsin_request(s, path, 1_000, &params);
    let (theirs, ours) = tokio::join!(theirs, ours);
    assert_eq!(normalise(&ours), normalise(&theirs));

    // The /prometheus prefix, a bearer token, and the step taken from the group interval.
    let flags = [
        "-datasource.appendTypePrefix",
        "-datasource.bearerToken=t0k",
        "-datasource.queryStep=0",
    ]
    .map(String::from);
    let theirs = vmalert_request(&flags, "", "2s", "");
    let mut s = DatasourceSettings::new("");
    s.append_type_prefix = true;
    s.bearer = Some(BearerToken::Token(Secret::new("t0k")));
    s.query_step = Duration::ZERO;
    let ours = tocsin_request(s, "", 2_000, &[]);
    let (theirs, ours) = tokio::join!(theirs, ours);
    assert_eq!(normalise(&ours), normalise(&theirs));
}
