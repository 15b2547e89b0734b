//! Differential: Debian's vmalert 1.79.5 writes a recording rule's result to the same fake receiver tocsin writes
//! to. The protocol headers must match, and tocsin's encoder must produce the same series for the same sample.

mod common_rw;

use common_rw::{FakeReceiver, VictoriaMetrics, eventually};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tocsin::remotewrite::to_write_request;
use tocsin::rule::{Labels, Sample};

const VMALERT: &str = "/usr/bin/vmalert";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SIGKILL on Unix.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vmalert_and_tocsin_agree_on_the_wire() {
    let vm = VictoriaMetrics::start().await;
    let fake = FakeReceiver::start(&[], None).await;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "groups:\n- name: rw\n  interval: 1s\n  rules:\n  - record: rw_vmalert_diff\n    expr: vector(0.25)\n    labels:\n      zone: eu\n      Team: infra\n      b_label: x\n",
    )
    .unwrap();
    let _vmalert = Killed(
        Command::new(VMALERT)
            .arg(format!("-rule={}", rules.display()))
            .arg(format!("-datasource.url={}", vm.url))
            .arg(format!("-remoteWrite.url={}", fake.url()))
            .arg("-remoteWrite.flushInterval=100ms")
            .arg(format!("-notifier.url=http://127.0.0.1:{}", free_port()))
            .arg(format!("-httpListenAddr=127.0.0.1:{}", free_port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {VMALERT}: {e}")),
    );

    let request = eventually(
        Duration::from_secs(30),
        "a request from vmalert",
        || async {
            fake.requests().into_iter().find(|r| {
                r.decode()
                    .timeseries
                    .iter()
                    .any(|t| t.labels.iter().any(|l| l.value == "rw_vmalert_diff"))
            })
        },
    )
    .await;

    for header in [
        "content-encoding",
        "content-type",
        "x-prometheus-remote-write-version",
    ] {
        let ours = match header {
            "content-encoding" => "snappy",
            "content-type" => "application/x-protobuf",
            _ => "0.1.0",
        };
        assert_eq!(request.header(header), Some(ours), "{header}");
    }
    assert_eq!(request.path, "/api/v1/write");

    let theirs = request
        .decode()
        .timeseries
        .into_iter()
        .find(|t| t.labels.iter().any(|l| l.value == "rw_vmalert_diff"))
        .unwrap();
    println!("vmalert sent labels {:?}", theirs.labels);
    let labels: Labels = theirs
        .labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    let sample = Sample {
        labels: labels.into(),
        value: theirs.samples[0].value,
        timestamp_ms: theirs.samples[0].timestamp,
    };
    let ours = to_write_request(&[sample]).timeseries.remove(0);
    assert_eq!(ours.samples, theirs.samples);
    assert_eq!(theirs.samples[0].value, 0.25);
    assert_eq!(ours.labels, theirs.labels, "same labels in the same order");
}
