#!/usr/bin/env bash
# tocsin demo, all on 127.0.0.1: single-node VictoriaMetrics scraping itself, a second small VictoriaMetrics (the
# "victim" target), and both Alertmanagers; two clustered Alertmanager peers; two tocsin replicas (identical flags)
# running rules-examples/*.yml and the demo rules written below. After a while the script kills the victim,
# DemoTargetDown (`up == 0`, for 10s) fires, and the script shows the alert in both Alertmanagers. Everything stops, by PID, on
# Ctrl-C or after --duration seconds.
#
# Usage: scripts/demo.sh [--duration SECONDS] [--kill-after SECONDS] [--no-build]
# On a fresh Debian machine run it as root: it installs victoria-metrics, prometheus-alertmanager, curl and jq with
# apt-get when missing. Rust (cargo) must be installed (https://rustup.rs). Ports: DEMO_PORT_BASE (default 18400)
# to DEMO_PORT_BASE+96. TOCSIN_BIN (with --no-build) runs another tocsin binary.
set -euo pipefail

duration=120
kill_after=20
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --kill-after) kill_after="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
base="${DEMO_PORT_BASE:-18400}"
vm_port=$((base + 28))          # 18428: VictoriaMetrics (datasource, remote write, scraper)
victim_port=$((base + 29))      # 18429: the victim VictoriaMetrics
am_ports=($((base + 93)) $((base + 94)))        # web
am_cluster=($((base + 95)) $((base + 96)))      # gossip
tocsin_ports=($((base + 80)) $((base + 81)))

say() { printf '\n== %s\n' "$*"; }
# A sleep that a signal interrupts at once (bash runs traps only between foreground commands).
nap_pid=""
nap() { sleep "$1" & nap_pid=$!; wait "$nap_pid" || true; }

# 1. Dependencies.
missing=()
command -v victoria-metrics >/dev/null || missing+=(victoria-metrics)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing ${missing[*]}: run as root (apt-get install) or install them" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
# Debian's packages start system services on the default ports; the demo uses its own ports, so they do not clash.

# 2. Build.
tocsin="${TOCSIN_BIN:-$root/target/release/tocsin}"
if [ "$build" = 1 ]; then
    command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
    say "building tocsin (cargo build --release)"
    (cd "$root" && cargo build --release)
fi
[ -x "$tocsin" ] || { echo "no $tocsin: build it or drop --no-build" >&2; exit 1; }

work="$(mktemp -d /tmp/tocsin-demo.XXXXXX)"
pids=()
cleanup() {
    trap - EXIT INT TERM
    say "stopping (logs kept in $work)"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    # Alertmanager takes ~10 s to leave the mesh on SIGTERM: wait a little, then SIGKILL what is left.
    for _ in $(seq 1 30); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}" $nap_pid; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}" $nap_pid; do wait "$pid" 2>/dev/null || true; done
    echo "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # name, command...
    local name="$1"; shift
    "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    echo "started $name (pid $!)"
}

wait_http() { # url, what
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "$2 did not answer at $1; log tail:" >&2
    tail -n 20 "$work"/*.log >&2
    exit 1
}

# 3. Peers.
cat >"$work/scrape.yml" <<EOF
global:
  scrape_interval: 5s
scrape_configs:
  - job_name: victoriametrics
    static_configs: [{targets: ["127.0.0.1:$vm_port"]}]
  - job_name: victim
    static_configs: [{targets: ["127.0.0.1:$victim_port"]}]
  - job_name: alertmanager
    static_configs: [{targets: ["127.0.0.1:${am_ports[0]}", "127.0.0.1:${am_ports[1]}"]}]
EOF
# The demo's own rules, kept out of rules-examples/ (whose file list tests pin): short intervals, for a demo.
cat >"$work/demo-rules.yml" <<'EOF'
groups:
  - name: demo
    interval: 5s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: DemoTargetDown
        expr: up == 0
        for: 10s
        labels:
          severity: warning
        annotations:
          summary: '{{ $labels.job }} target {{ $labels.instance }} is down'
EOF
cat >"$work/alertmanager.yml" <<'EOF'
route:
  receiver: "null"
  group_wait: 5s
receivers:
  - name: "null"
EOF

say "starting VictoriaMetrics, the victim, two Alertmanagers"
start victoria-metrics victoria-metrics -httpListenAddr="127.0.0.1:$vm_port" -storageDataPath="$work/vm" \
    -retentionPeriod=1d -search.latencyOffset=1s -dedup.minScrapeInterval=1ms -promscrape.config="$work/scrape.yml"
start victim victoria-metrics -httpListenAddr="127.0.0.1:$victim_port" -storageDataPath="$work/victim" -retentionPeriod=1d
for i in 0 1; do
    other=$((1 - i))
    start "alertmanager-$i" prometheus-alertmanager --config.file="$work/alertmanager.yml" \
        --storage.path="$work/am$i" --web.listen-address="127.0.0.1:${am_ports[$i]}" \
        --cluster.listen-address="127.0.0.1:${am_cluster[$i]}" \
        --cluster.advertise-address="127.0.0.1:${am_cluster[$i]}" \
        --cluster.peer="127.0.0.1:${am_cluster[$other]}"
done
wait_http "http://127.0.0.1:$vm_port/health" VictoriaMetrics
wait_http "http://127.0.0.1:$victim_port/health" "the victim"
for p in "${am_ports[@]}"; do wait_http "http://127.0.0.1:$p/-/ready" "Alertmanager $p"; done

say "starting two tocsin replicas on rules-examples/*.yml"
for i in 0 1; do
    start "tocsin-$i" "$tocsin" run \
        -rule="$root/rules-examples/*.yml" -rule="$work/demo-rules.yml" \
        -datasource.url="http://127.0.0.1:$vm_port" \
        -remoteWrite.url="http://127.0.0.1:$vm_port" \
        -notifier.url="http://127.0.0.1:${am_ports[0]}" -notifier.url="http://127.0.0.1:${am_ports[1]}" \
        -rule.evalDelay=0s -httpListenAddr="127.0.0.1:${tocsin_ports[$i]}" \
        -external.url="http://127.0.0.1:${tocsin_ports[$i]}"
done
sleep 1
for i in 0 1; do
    kill -0 "${pids[$((4 + i))]}" 2>/dev/null || { echo "tocsin-$i exited:"; cat "$work/tocsin-$i.log"; exit 1; }
done

cat <<EOF

Open:
  VictoriaMetrics UI   http://127.0.0.1:$vm_port/vmui   (try: up, job:up:sum, ALERTS)
  scrape targets       http://127.0.0.1:$vm_port/targets
  Alertmanager 1       http://127.0.0.1:${am_ports[0]}
  Alertmanager 2       http://127.0.0.1:${am_ports[1]}
  logs                 $work
EOF

t0=$(date +%s)
say "waiting ${kill_after}s, then killing the victim (pid ${pids[1]})"
nap "$kill_after"
curl -fsS "http://127.0.0.1:$vm_port/api/v1/query?query=up" \
    | jq -r '.data.result[] | "  up{job=\"\(.metric.job)\",instance=\"\(.metric.instance)\"} \(.value[1])"'
kill -KILL "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
echo "victim killed at $(date -u +%H:%M:%S)"

say "waiting for DemoTargetDown in both Alertmanagers"
deadline=$((t0 + duration))
shown=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    found=0
    for p in "${am_ports[@]}"; do
        n=$(curl -fsS "http://127.0.0.1:$p/api/v2/alerts?filter=alertname%3D%22DemoTargetDown%22" | jq length)
        [ "${n:-0}" -gt 0 ] && found=$((found + 1))
    done
    if [ $found = 2 ]; then
        for p in "${am_ports[@]}"; do
            echo "Alertmanager 127.0.0.1:$p, GET /api/v2/alerts (at $(date -u +%H:%M:%S)):"
            curl -fsS "http://127.0.0.1:$p/api/v2/alerts?filter=alertname%3D%22DemoTargetDown%22" \
                | jq -c '.[] | {labels, state: .status.state, startsAt, endsAt}'
        done
        shown=1
        break
    fi
    nap 1
done
[ $shown = 1 ] || { echo "DemoTargetDown did not reach both Alertmanagers within --duration"; exit 1; }

say "series tocsin wrote (queried 5 s later)"
nap 5
curl -fsS "http://127.0.0.1:$vm_port/api/v1/query?query=job:up:sum" \
    | jq -r '.data.result[] | "  job:up:sum{job=\"\(.metric.job)\"} \(.value[1])"'
curl -fsS "http://127.0.0.1:$vm_port/api/v1/query?query=ALERTS%7Balertname%3D%22DemoTargetDown%22%7D" \
    | jq -r '.data.result[] | "  ALERTS{alertname=\"\(.metric.alertname)\",alertstate=\"\(.metric.alertstate)\",job=\"\(.metric.job)\"} \(.value[1])"'

left=$((deadline - $(date +%s)))
if [ "$left" -gt 0 ]; then
    say "running for ${left}s more (Ctrl-C stops everything)"
    nap "$left"
fi
