#!/usr/bin/env bash
# tocsin failure drill, full form (issue #5): single-node VictoriaMetrics, three clustered Alertmanager peers and
# three replicas of the ruler under test, all on 127.0.0.1, through five phases: settle, a rolling SIGKILL restart
# of every replica, a rolling SIGKILL restart of every Alertmanager peer, a 2.5-minute VictoriaMetrics outage, and a
# restart of every replica during a second outage. tocsin and Debian's vmalert run side by side (separate stacks);
# the figures per phase and tocsin's verdict against the issue's goals are printed at the end (see docs/ha.md).
#
# Usage: scripts/drill.sh [--short] [--release] [--tocsin-only] [--timeline]
#   --short        the CI form (about 3 minutes) instead of the full form (about 14 minutes)
#   --release      build and drill a release tocsin (default: the debug build the tests use)
#   --tocsin-only  skip vmalert
#   --timeline     print every notification the receiver got
# Environment (seconds unless noted), passed through to the harness: DRILL_INTERVAL, DRILL_OUTAGE, DRILL_RECOVERY,
# DRILL_SETTLE, DRILL_RESTART_GAP, DRILL_FLAP_PERIOD, DRILL_HOLD_FOR, DRILL_GROUP_WAIT, DRILL_GROUP_INTERVAL,
# DRILL_REPEAT_INTERVAL, DRILL_PEER_TIMEOUT; DRILL_OUTAGE_READS=0 for an outage of remote write only (vminsert down,
# queries work); DRILL_TOCSIN_FLAGS / DRILL_VMALERT_FLAGS: extra flags for every replica (for tocsin they replace the
# default '-remoteWrite.queuePath={dir}/remote-write-queue'), with {dir} (the replica's
# own directory, kept across restarts), {replica} (0-2), {peers} (the other replicas' URLs, comma-separated), {vm}
# (the datasource URL, also for remote read) and {rw} (the remote-write URL) replaced, e.g.
#   DRILL_TOCSIN_FLAGS='-remoteWrite.queuePath={dir}/queue -replica.peers={peers}' scripts/drill.sh
# Needs /usr/bin/victoria-metrics, /usr/bin/prometheus-alertmanager and /usr/bin/vmalert (Debian packages
# victoria-metrics and prometheus-alertmanager) and cargo. Exit status: 0 when every goal marked "expected to hold
# now" holds for tocsin.
set -euo pipefail

test_name=drill_full
profile=()
while [ $# -gt 0 ]; do
    case "$1" in
        --short) test_name=drill_short; shift ;;
        --release) profile=(--release); shift ;;
        --tocsin-only) export DRILL_RULERS=tocsin; shift ;;
        --timeline) export DRILL_TIMELINE=1; shift ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

for bin in /usr/bin/victoria-metrics /usr/bin/prometheus-alertmanager /usr/bin/vmalert; do
    [ -x "$bin" ] || { echo "missing $bin (apt-get install victoria-metrics prometheus-alertmanager)" >&2; exit 1; }
done
command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }

cd "$(dirname "$0")/.."
exec cargo test "${profile[@]}" --test drill "$test_name" -- --exact --include-ignored --nocapture
