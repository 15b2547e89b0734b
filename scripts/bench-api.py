#!/usr/bin/env python3
"""HTTP API load test: wrk against /api/v1/rules of tocsin and of vmalert 1.79, 10,000 rules loaded in each.

One single-node VictoriaMetrics on 127.0.0.1 holds two series, demo_value{instance="a"} = 3 and {instance="b"} = 5.
The rule file has 100 groups of 100 alerting rules (interval --interval); every tenth rule fires for instance a,
the rest never match, so each tool holds 1,000 firing alerts and /api/v1/rules is a realistic, large answer
(several MB). Both tools run at once, from the same command line, pointed at that VictoriaMetrics and at a closed
notifier port; once both list all 1,000 alerts, wrk loads one tool, then the other, then the first again (--rounds),
so that neither always gets the quieter slot. Figures: requests/s and p99 latency per round, their medians, and
tocsin/vmalert ratios. wrk is Debian's package (installed with apt-get when missing, if run as root).

Usage: scripts/bench-api.py [--tocsin target/release/tocsin] [--vmalert /usr/bin/vmalert] [--duration 15]
                            [--connections 4] [--threads 1] [--rounds 3] [--interval 60] [--json]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import functools  # noqa: E402
import benchlib  # noqa: E402
from benchlib import fetch, free_port  # noqa: E402

# Loading 10,000 rules takes a while: wait longer than the other benchmarks do.
wait_until = functools.partial(benchlib.wait_until, limit=180.0, every=0.5)

GROUPS = 100
RULES_PER_GROUP = 100
FIRING_EVERY = 10






def rules_yaml(interval):
    out = ["groups:"]
    for g in range(GROUPS):
        out.append(f"  - name: group-{g:03d}")
        out.append(f"    interval: {interval}s")
        out.append("    rules:")
        for r in range(RULES_PER_GROUP):
            n = g * RULES_PER_GROUP + r
            threshold = 2 if n % FIRING_EVERY == 0 else 100
            out.append(f"      - alert: Alert{n:05d}")
            out.append(f'        expr: demo_value{{instance="a"}} > {threshold}')
            out.append("        labels:")
            out.append(f"          severity: {'page' if n % 2 else 'warning'}")
            out.append(f'          team: "team-{n % 37}"')
            out.append("        annotations:")
            out.append(f'          summary: "rule {n} on {{{{ $labels.instance }}}} is {{{{ $value }}}}"')
            out.append('          runbook: "https://runbooks.example/alerts/demo"')
    return "\n".join(out) + "\n"


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")


def parse_wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, float(m.group(1)) * scale, int(errors.group(1)) if errors else 0


def run_wrk(url, args):
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s",
         "--latency", url],
        check=True, capture_output=True, text=True).stdout
    return parse_wrk(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tocsin", default="target/release/tocsin")
    p.add_argument("--vmalert", default="/usr/bin/vmalert")
    p.add_argument("--victoria-metrics", default="/usr/bin/victoria-metrics")
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--interval", type=int, default=60)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    ensure_wrk()
    for exe in (args.tocsin, args.vmalert, args.victoria_metrics):
        if not os.path.exists(exe):
            sys.exit(f"{exe} not found")

    procs = []
    work = tempfile.mkdtemp(prefix="bench-api-")
    try:
        vm_port = free_port()
        vm = f"http://127.0.0.1:{vm_port}"
        procs.append(subprocess.Popen(
            [args.victoria_metrics, f"-httpListenAddr=127.0.0.1:{vm_port}",
             f"-storageDataPath={work}/vm", "-retentionPeriod=1d", "-search.latencyOffset=1s",
             "-loggerLevel=ERROR"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_until("victoria-metrics", lambda: fetch(f"{vm}/health") == b"OK")
        now = int(time.time() * 1000)
        lines = []
        for i in range(-120, 3600, 10):
            t = now + i * 1000
            lines.append(f'demo_value{{job="bench",instance="a"}} 3 {t}')
            lines.append(f'demo_value{{job="bench",instance="b"}} 5 {t}')
        fetch(f"{vm}/api/v1/import/prometheus", "\n".join(lines).encode())
        fetch(f"{vm}/internal/force_flush")
        wait_until("data visible", lambda: b'"a"' in fetch(
            f"{vm}/api/v1/query?query=demo_value&nocache=1&time={now / 1000 - 30}"))
        rules = os.path.join(work, "rules.yml")
        with open(rules, "w") as f:
            f.write(rules_yaml(args.interval))

        common = [f"-rule={rules}", f"-datasource.url={vm}", f"-notifier.url=http://127.0.0.1:{free_port()}",
                  "-loggerLevel=ERROR"]
        urls = {}
        for name, exe in (("tocsin", args.tocsin), ("vmalert", args.vmalert)):
            port = free_port()
            procs.append(subprocess.Popen([exe] + common + [f"-httpListenAddr=127.0.0.1:{port}"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            urls[name] = f"http://127.0.0.1:{port}"
        want = GROUPS * RULES_PER_GROUP // FIRING_EVERY
        for name, base in urls.items():
            wait_until(f"{name}: {want} alerts",
                       lambda: len(json.loads(fetch(f"{base}/api/v1/alerts"))["data"]["alerts"]) == want,
                       limit=3 * args.interval + 120)
        sizes = {n: len(fetch(f"{b}/api/v1/rules")) for n, b in urls.items()}

        rounds = {"tocsin": [], "vmalert": []}
        order = ["tocsin", "vmalert"]
        for r in range(args.rounds):
            for name in (order if r % 2 == 0 else order[::-1]):
                rounds[name].append(run_wrk(f"{urls[name]}/api/v1/rules", args))
        load = os.getloadavg()[0]
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)

    med = {n: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v),
               sum(x[2] for x in v)) for n, v in rounds.items()}
    result = {
        "rules": GROUPS * RULES_PER_GROUP, "firing_alerts": want, "response_bytes": sizes,
        "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                "rounds": args.rounds},
        "rounds": rounds,
        "median": {n: {"requests_per_s": m[0], "p99_ms": m[1], "non_2xx": m[2]} for n, m in med.items()},
        "ratio_requests_per_s": med["tocsin"][0] / med["vmalert"][0],
        "ratio_p99": med["tocsin"][1] / med["vmalert"][1],
        "load_average_1m": load,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['rules']} rules, {want} firing alerts; /api/v1/rules is "
          f"{sizes['tocsin'] / 1e6:.1f} MB (tocsin), {sizes['vmalert'] / 1e6:.1f} MB (vmalert)")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds, medians:")
    for n, m in med.items():
        runs = ", ".join(f"{x[0]:.1f}" for x in rounds[n])
        print(f"  {n:8} {m[0]:8.1f} req/s  p99 {m[1]:8.1f} ms  non-2xx {m[2]}  (req/s per round: {runs})")
    print(f"tocsin/vmalert: requests/s {result['ratio_requests_per_s']:.2f}x, p99 {result['ratio_p99']:.2f}x; "
          f"load average {load:.1f}")


if __name__ == "__main__":
    main()
