#!/usr/bin/env python3
"""tocsin run vs vmalert 1.79: CPU seconds and peak RSS for the same 2,000 rules.

One single-node VictoriaMetrics on 127.0.0.1 holds the data: for each of 1,000 alerting and 1,000 recording rules,
10 series of its own (20,000 series). Each tool runs the same rule file (20 groups of 100 rules, interval
--interval) for --cycles evaluations of every group, writing to that VictoriaMetrics under its own external label
and notifying an in-process sink that counts alerts. The tools run one after the other, so that they do not compete
for the CPU. CPU (user+sys) comes from os.wait4's rusage after a SIGTERM, peak RSS from /proc/PID/status VmHWM just before it.
Each tool's executable is dropped from the page cache before it starts (see `evict`).

Usage: scripts/bench-run.py [--tocsin target/release/tocsin] [--vmalert /usr/bin/vmalert]
                            [--interval 5] [--cycles 12] [--json]
"""

import argparse
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import fetch, free_port, wait_until  # noqa: E402

RULES_PER_KIND = 1000
SERIES_PER_RULE = 10
RULES_PER_GROUP = 100






def rules_yaml(interval):
    out = ["groups:"]
    for kind in ("alert", "record"):
        for g in range(RULES_PER_KIND // RULES_PER_GROUP):
            out += [f"  - name: bench-{kind}-{g}", f"    interval: {interval}s", "    rules:"]
            for r in range(g * RULES_PER_GROUP, (g + 1) * RULES_PER_GROUP):
                if kind == "alert":
                    out += [
                        f"      - alert: BenchAlert{r}",
                        f'        expr: bench_alert_input{{rule="{r}"}} > 50',
                        "        labels:",
                        "          severity: warning",
                        "        annotations:",
                        "          summary: bench alert",
                    ]
                else:
                    out += [
                        "      - record: bench:recorded:sum",
                        f'        expr: sum by (rule, instance) (bench_record_input{{rule="{r}"}})',
                    ]
    return "\n".join(out) + "\n"


def seed_text(now_ms):
    lines = []
    for t in (now_ms - 20_000, now_ms - 10_000, now_ms):
        for r in range(RULES_PER_KIND):
            for i in range(SERIES_PER_RULE):
                # Instances 6..9 are above 50: 4 firing alerts per alerting rule.
                lines.append(f'bench_alert_input{{rule="{r}",instance="{i}"}} {i * 10} {t}')
                lines.append(f'bench_record_input{{rule="{r}",instance="{i}"}} {i} {t}')
    return "\n".join(lines) + "\n"


class Sink(http.server.BaseHTTPRequestHandler):
    alerts = 0
    posts = 0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            n = len(json.loads(body))
        except ValueError:
            n = 0
        with Sink.lock:
            Sink.alerts += n
            Sink.posts += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def evict(path):
    """Drops the file's pages from the page cache, so that the tool starts as on a freshly scheduled pod: how much of
    an executable is resident depends on how much of it is cached (the kernel maps cached pages around every page
    touched), so both tools start from the same, cold, state."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_tool(name, cmd, seconds, log_path):
    """Starts cmd, lets it run `seconds`, SIGTERMs it; returns (cpu seconds, peak RSS MiB, exit status, wall)."""
    evict(cmd[0])
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    time.sleep(seconds)
    if p.poll() is not None:
        sys.exit(f"{name} exited early; see {log_path}")
    # Peak RSS from the process's own high-water mark: os.wait4's ru_maxrss would also count the copy of this
    # Python interpreter the child was forked as before it exec'd the tool (a floor of about 14 MiB).
    with open(f"/proc/{p.pid}/status") as status_file:
        hwm_kib = next((int(line.split()[1]) for line in status_file if line.startswith("VmHWM:")), 0)
    os.kill(p.pid, signal.SIGTERM)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, hwm_kib / 1024.0, p.returncode, time.monotonic() - started


def count(vm_url, query):
    q = urllib.parse.urlencode({"query": query, "nocache": "1"})
    res = json.loads(fetch(f"{vm_url}/api/v1/query?{q}"))["data"]["result"]
    return int(float(res[0]["value"][1])) if res else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--tocsin", default=os.path.join(root, "target/release/tocsin"))
    ap.add_argument("--vmalert", default="/usr/bin/vmalert")
    ap.add_argument("--victoria-metrics", default="/usr/bin/victoria-metrics")
    ap.add_argument("--interval", type=int, default=5)
    ap.add_argument("--cycles", type=int, default=12)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    for b in (a.tocsin, a.vmalert, a.victoria_metrics):
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            sys.exit(f"not an executable: {b}")

    work = tempfile.mkdtemp(prefix="bench-run.")
    vm_port = free_port()
    vm_url = f"http://127.0.0.1:{vm_port}"
    vm = subprocess.Popen(
        [a.victoria_metrics, f"-httpListenAddr=127.0.0.1:{vm_port}", f"-storageDataPath={work}/vm",
         "-retentionPeriod=1d", "-search.latencyOffset=1s", "-loggerLevel=WARN"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_url = f"http://127.0.0.1:{sink.server_address[1]}"
    results = {}
    try:
        wait_until("victoria-metrics", lambda: fetch(f"{vm_url}/health") is not None)
        now_ms = int(time.time() * 1000)
        fetch(f"{vm_url}/api/v1/import/prometheus", seed_text(now_ms).encode())
        fetch(f"{vm_url}/internal/force_flush")
        total = RULES_PER_KIND * SERIES_PER_RULE
        wait_until("seeded series", lambda: count(vm_url, "count(bench_alert_input) + count(bench_record_input)")
                   == 2 * total)
        rules = os.path.join(work, "rules.yml")
        with open(rules, "w") as f:
            f.write(rules_yaml(a.interval))
        # Every group starts within one interval (vmalert's start spread), then runs `cycles` evaluations.
        seconds = (a.cycles + 1) * a.interval
        for name in ("tocsin", "vmalert"):
            common = [f"-rule={rules}", f"-datasource.url={vm_url}", f"-remoteWrite.url={vm_url}",
                      f"-notifier.url={sink_url}", f"-external.label=tool={name}",
                      f"-httpListenAddr=127.0.0.1:{free_port()}", "-loggerLevel=WARN"]
            cmd = [a.tocsin, "run", *common, "-rule.evalDelay=0s"] if name == "tocsin" else [a.vmalert, *common]
            with Sink.lock:
                Sink.alerts = Sink.posts = 0
            cpu, rss, code, wall = run_tool(name, cmd, seconds, os.path.join(work, f"{name}.log"))
            fetch(f"{vm_url}/internal/force_flush")
            time.sleep(2)
            recorded = count(vm_url, f'count(bench:recorded:sum{{tool="{name}"}})')
            firing = count(vm_url, f'count(ALERTS{{tool="{name}",alertstate="firing"}})')
            results[name] = {"cpu_seconds": round(cpu, 2), "peak_rss_mib": round(rss, 1), "exit": code,
                             "wall_seconds": round(wall, 1), "recorded_series": recorded,
                             "firing_alert_series": firing, "alerts_sent": Sink.alerts,
                             "alert_posts": Sink.posts}
    finally:
        sink.shutdown()
        vm.kill()
        vm.wait()
        if results and all(r["exit"] == 0 for r in results.values()):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)

    t, v = results["tocsin"], results["vmalert"]
    ratios = {"cpu": round(t["cpu_seconds"] / v["cpu_seconds"], 3) if v["cpu_seconds"] else None,
              "rss": round(t["peak_rss_mib"] / v["peak_rss_mib"], 3) if v["peak_rss_mib"] else None}
    if a.json:
        print(json.dumps({"interval_s": a.interval, "cycles": a.cycles, "rules": 2 * RULES_PER_KIND,
                          "series_per_rule": SERIES_PER_RULE, "results": results, "tocsin_over_vmalert": ratios},
                         indent=2))
        return
    print(f"{2 * RULES_PER_KIND} rules ({RULES_PER_KIND} alerting, {RULES_PER_KIND} recording, "
          f"{SERIES_PER_RULE} series each), interval {a.interval}s, {a.cycles} cycles, run one after the other\n")
    print(f"{'':10} {'CPU s':>8} {'peak RSS MiB':>13} {'recorded':>9} {'firing':>7} {'alerts sent':>12} {'exit':>5}")
    for name in ("tocsin", "vmalert"):
        r = results[name]
        print(f"{name:10} {r['cpu_seconds']:>8} {r['peak_rss_mib']:>13} {r['recorded_series']:>9} "
              f"{r['firing_alert_series']:>7} {r['alerts_sent']:>12} {r['exit']:>5}")
    print(f"\ntocsin / vmalert: CPU {ratios['cpu']}x, peak RSS {ratios['rss']}x (goal: at most 0.5x on both)")


if __name__ == "__main__":
    main()
