#!/usr/bin/env python3
"""Writes generated promtool unit-test files into tests/promtool/generated/, with expectations taken from promtool.

Each spec below names input series, a rule file (optional), expressions and alert names, and evaluation times. The
script first writes the file with a deliberately wrong expectation for every case, runs `promtool test rules`,
reads what promtool got from its failure text, and writes the final file with those results as expectations.
Cases whose result holds NaN are dropped (NaN never equals NaN in promtool's comparison). tocsin is never consulted:
the differential test then checks that tocsin agrees.

Usage: scripts/unittest-corpus-gen.py   (needs promtool 2.42 on PATH)
"""
import os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "promtool", "generated")

COUNTERS = [
    ('req_total{job="a", code="200"}', "0+60x30"),
    ('req_total{job="a", code="500"}', "0+6x10 60+12x19"),
    ('req_total{job="b", code="200"}', "0+30x5 10+30x24"),
    ('req_total{job="b", code="500"}', "_x5 0+1x24"),
]
GAUGES = [
    ('temp{room="kitchen", floor="1"}', "20 21 22 23 22 21 20 19 18 17 18 19 20 21 22 23 24 25 26 27"),
    ('temp{room="hall", floor="1"}', "15x9 16x9"),
    ('temp{room="attic", floor="2"}', "30 -5 12.5 _ _ 8 1e2 3 3 3 stale 4 5 6 7 8 9 10 11 12"),
]
MATH_SERIES = [
    ('v{k="pos"}', "0.5 1.5 2.5 -0.5 -1.5 10 100 1000 0.001 3"),
    ('v{k="neg"}', "-0.25 -2 -3.75 4 -5 -100 0 1 2 3"),
]

SPECS = {
    "counters": {
        "series": COUNTERS,
        "interval": "1m",
        "times": ["1m", "2m", "5m", "10m", "11m", "12m", "20m", "29m"],
        "exprs": [
            "rate(req_total[5m])",
            "increase(req_total[5m])",
            "sum by (job) (rate(req_total[2m]))",
            "sum by (code) (increase(req_total[10m]))",
            "irate(req_total[3m])",
            "resets(req_total[30m])",
            "changes(req_total[30m])",
            "delta(req_total[4m])",
        ],
    },
    "gauges": {
        "series": GAUGES,
        "interval": "1m",
        "times": ["0m", "3m", "4m", "9m", "10m", "15m", "19m"],
        "exprs": [
            "temp",
            "avg_over_time(temp[5m])",
            "max_over_time(temp[3m]) - min_over_time(temp[3m])",
            "quantile_over_time(0.9, temp[10m])",
            "stddev_over_time(temp[4m])",
            "predict_linear(temp[5m], 600)",
            "deriv(temp[3m])",
            "temp > bool 20",
            "clamp(temp, 16, 25)",
            "sort_desc(temp)",
            "avg by (floor) (temp)",
            "count(temp > 18)",
            "absent(temp{room=\"garage\"})",
        ],
    },
    "math": {
        "series": MATH_SERIES,
        "interval": "1m",
        "times": ["0m", "1m", "2m", "3m", "4m", "5m", "6m", "8m", "9m"],
        "exprs": [
            "abs(v)", "ceil(v)", "floor(v)", "round(v)", "round(v, 0.25)", "sgn(v)", "clamp_min(v, 0)",
            "clamp_max(v, 1)", "sqrt(abs(v))", "v * 2 - 1", "v ^ 2", "v % 0.75", "-v",
        ],
    },
    "labels": {
        "series": [
            ('svc_info{instance="web-01.eu:8080", team="a"}', "1x10"),
            ('svc_info{instance="db-02.us:5432", team="b"}', "1x10"),
            ('svc_up{instance="web-01.eu:8080"}', "1 1 0 0 1 1 1 0 1 1 1"),
            ('svc_up{instance="db-02.us:5432"}', "1x10"),
        ],
        "interval": "1m",
        "times": ["0m", "2m", "7m", "10m"],
        "exprs": [
            'label_replace(svc_info, "host", "$1", "instance", "([^.]+)\\\\..*")',
            'label_replace(svc_info, "region", "$2", "instance", "[^.]+\\\\.([a-z]+)(.*)")',
            'label_join(svc_info, "key", "/", "team", "instance")',
            "svc_up * on (instance) group_left (team) svc_info",
            "sum by (team) (svc_up * on (instance) group_left (team) svc_info)",
            "svc_up == 0",
            "count_values(\"state\", svc_up)",
        ],
    },
    "alerts_many": {
        "series": [
            ('node_load1{instance="n1"}', "0.5 2 4 4 4 4 1 1 4 4 4 4 4"),
            ('node_load1{instance="n2"}', "4x12"),
            ('node_load1{instance="n3"}', "0x4 8x8"),
            ('node_cpus{instance="n1"}', "2x12"),
            ('node_cpus{instance="n2"}', "8x12"),
            ('node_cpus{instance="n3"}', "1x12"),
        ],
        "rules": """groups:
  - name: load
    rules:
      - record: instance:load_per_cpu:ratio
        expr: node_load1 / node_cpus
      - alert: LoadHigh
        expr: instance:load_per_cpu:ratio > 1
        for: 2m
        labels:
          severity: warning
        annotations:
          summary: load is high
      - alert: LoadCritical
        expr: instance:load_per_cpu:ratio > 4
        labels:
          severity: critical
  - name: meta
    rules:
      - alert: ManyHosts
        expr: count(ALERTS{alertname="LoadHigh", alertstate="firing"}) > 1
""",
        "order": ["load", "meta"],
        "interval": "1m",
        "times": ["0m", "1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "10m", "11m", "12m"],
        "alerts": ["LoadHigh", "LoadCritical", "ManyHosts"],
        "exprs": ["instance:load_per_cpu:ratio", "ALERTS", "ALERTS_FOR_STATE"],
    },

    "staleness": {
        "series": [
            ('job_up{job="a"}', "1 1 1 stale 1 1 _x6 1"),
            ('job_up{job="b"}', "1 _ _ _ _ _ _ 1 1 1 1 1"),
        ],
        "rules": """groups:
  - name: copy
    rules:
      - record: job:up:copy
        expr: job_up
      - record: job:up:count
        expr: count(job:up:copy)
      - alert: JobMissing
        expr: absent(job:up:copy{job="a"})
        labels:
          severity: warning
""",
        "interval": "1m",
        "times": ["0m", "2m", "3m", "4m", "5m", "6m", "7m", "10m", "11m", "12m"],
        "alerts": ["JobMissing"],
        "exprs": ["job:up:copy", "job:up:count", "job_up", "count_over_time(job:up:copy[3m])"],
    },
    "offsets": {
        "series": [('pts{s="1"}', "0+1x30"), ('pts{s="2"}', "100-2x30")],
        "interval": "30s",
        "eval_interval": "30s",
        "times": ["0m", "1m", "2m30s", "5m", "7m30s", "10m"],
        "exprs": [
            "pts offset 1m",
            "pts offset 2m30s",
            "pts @ 60",
            "pts @ 300 offset 1m",
            "rate(pts[1m] offset 1m)",
            "pts - pts offset 1m",
            "timestamp(pts offset 30s)",
            "max_over_time(pts[2m:30s])",
        ],
    },
    "for_durations": {
        "series": [
            ('errors{svc="a"}', "0 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5"),
            ('errors{svc="b"}', "5 5 5 0 5 5 5 5 5 5 0 5 5 5 5 5"),
            ('errors{svc="c"}', "_ _ 5 5 5 _ _ _ _ _ _ 5 5 5 5 5"),
        ],
        "rules": """groups:
  - name: durations
    rules:
      - alert: Errors0
        expr: errors > 1
      - alert: Errors2m
        expr: errors > 1
        for: 2m
      - alert: Errors5m
        expr: errors > 1
        for: 5m
        labels:
          tier: slow
      - alert: ErrorsKeep
        expr: errors > 1
        for: 1m
        keep_firing_for: 2m
""",
        "interval": "1m",
        "times": ["0m", "1m", "2m", "3m", "4m", "5m", "6m", "8m", "10m", "11m", "12m", "15m"],
        "alerts": ["Errors0", "Errors2m", "Errors5m", "ErrorsKeep"],
        "exprs": ["count by (alertname, alertstate) (ALERTS)"],
    },
    "histograms": {
        "series": [
            ('lat_bucket{job="api", le="0.05"}', "0+5x20"),
            ('lat_bucket{job="api", le="0.1"}', "0+8x20"),
            ('lat_bucket{job="api", le="0.5"}', "0+9x20"),
            ('lat_bucket{job="api", le="+Inf"}', "0+10x20"),
            ('lat_bucket{job="web", le="1"}', "0+1x20"),
            ('lat_bucket{job="web", le="+Inf"}', "0+4x20"),
            ('lat_count{job="api"}', "0+10x20"),
            ('lat_sum{job="api"}', "0+0.7x20"),
        ],
        "interval": "1m",
        "times": ["2m", "5m", "10m", "20m"],
        "exprs": [
            "histogram_quantile(0.5, rate(lat_bucket[5m]))",
            "histogram_quantile(0.9, rate(lat_bucket[5m]))",
            "histogram_quantile(0.99, sum by (le) (rate(lat_bucket[5m])))",
            "histogram_quantile(0, rate(lat_bucket[5m]))",
            "histogram_quantile(1, rate(lat_bucket[5m]))",
            "rate(lat_sum[5m]) / rate(lat_count[5m])",
            "sum by (job) (rate(lat_bucket{le=\"+Inf\"}[5m]))",
        ],
    },
}

GOT_EXPR = re.compile(r'^    expr: "(?P<expr>(?:[^"\\]|\\.)*)", time: (?P<time>\S+),\n        exp: .*\n        got: (?P<got>.*)$', re.M)
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def go_unquote(s):
    return s.encode().decode("unicode_escape")


def parse_samples(text):
    """`{a="b"} 1E+00, {} 2E+00` -> [(labels dict, value string)]."""
    if text == "nil":
        return []
    out = []
    for m in re.finditer(r'\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\} (\S+?)(?:,|$)', text):
        labels = {k: go_unquote(v) for k, v in LABEL.findall(m.group(1))}
        out.append((labels, m.group(2)))
    return out


def yaml_str(s):
    return "'" + s.replace("'", "''") + "'"


def series_notation(labels):
    name = labels.pop("__name__", "")
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner or not name else name


def write_file(path, spec, expr_results, alert_results, rules_name):
    lines = [f"# Generated by scripts/unittest-corpus-gen.py; expectations are promtool 2.42's results."]
    lines.append(f"rule_files: [{rules_name}]" if rules_name else "rule_files: []")
    if spec.get("eval_interval"):
        lines.append(f"evaluation_interval: {spec['eval_interval']}")
    if spec.get("order"):
        lines.append("group_eval_order: [" + ", ".join(spec["order"]) + "]")
    lines += ["tests:", f"  - name: {os.path.basename(path)[:-len('.test.yml')]}", f"    interval: {spec['interval']}", "    input_series:"]
    for s, v in spec["series"]:
        lines += [f"      - series: {yaml_str(s)}", f"        values: {yaml_str(v)}"]
    if alert_results:
        lines.append("    alert_rule_test:")
        for (name, t), alerts in alert_results:
            lines += [f"      - eval_time: {t}", f"        alertname: {name}"]
            if not alerts:
                lines.append("        exp_alerts: []")
                continue
            lines.append("        exp_alerts:")
            for labels, ann in alerts:
                labels = {k: v for k, v in labels.items() if k != "alertname"}
                lab = ", ".join(f"{k}: {yaml_str(v)}" for k, v in labels.items())
                an = ", ".join(f"{k}: {yaml_str(v)}" for k, v in ann.items())
                lines.append(f"          - exp_labels: {{{lab}}}")
                if an:
                    lines.append(f"            exp_annotations: {{{an}}}")
    if expr_results:
        lines.append("    promql_expr_test:")
        for (expr, t), samples in expr_results:
            lines += [f"      - expr: {yaml_str(expr)}", f"        eval_time: {t}"]
            if not samples:
                lines.append("        exp_samples: []")
                continue
            lines.append("        exp_samples:")
            for labels, v in samples:
                val = {"+Inf": ".inf", "-Inf": "-.inf"}.get(v, v)
                lines.append(f"          - {{labels: {yaml_str(series_notation(dict(labels)))}, value: {val}}}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_promtool(path):
    p = subprocess.run(["promtool", "test", "rules", os.path.basename(path)], cwd=os.path.dirname(path),
                       capture_output=True, text=True)
    return p.returncode, p.stderr


def parse_alert_blocks(err):
    """Alert failures -> {(alertname, time): [(labels, annotations)]} from the `got:` lists."""
    out = {}
    for m in re.finditer(r'    alertname: (\S+), time: (\S+), \n        exp:.*?, \n        got:(\[\]|\[\n.*?\n            \])', err, re.S):
        alerts = []
        for block in re.finditer(r'Labels:\{(.*?)\}\n\s+Annotations:\{(.*?)\}', m.group(3)):
            alerts.append(({k: go_unquote(v) for k, v in LABEL.findall(block.group(1))},
                           {k: go_unquote(v) for k, v in LABEL.findall(block.group(2))}))
        out[(m.group(1), m.group(2))] = alerts
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, spec in SPECS.items():
        path = os.path.join(OUT, f"{name}.test.yml")
        rules_name = None
        if spec.get("rules"):
            rules_name = f"{name}.rules.yml"
            with open(os.path.join(OUT, rules_name), "w") as f:
                f.write(spec["rules"])
        wrong_samples = [({"__name__": "wrong"}, "-12345")]
        cases = [(e, t) for e in spec.get("exprs", []) for t in spec["times"]]
        alerts = [(a, t) for a in spec.get("alerts", []) for t in spec["times"]]
        write_file(path, spec, [(c, wrong_samples) for c in cases],
                   [(a, [({"wrong": "yes"}, {})]) for a in alerts], rules_name)
        code, err = run_promtool(path)
        if code != 1:
            sys.exit(f"{name}: promtool exit {code}:\n{err}")
        got = {}
        for m in GOT_EXPR.finditer(err):
            got[(go_unquote(m.group("expr")), m.group("time"))] = parse_samples(m.group("got"))
        got_alerts = parse_alert_blocks(err)
        expr_results = []
        for expr, t in cases:
            key_t = "0s" if t == "0m" else t
            samples = got.get((expr, key_t))
            if samples is None:
                sys.exit(f"{name}: no promtool result for {expr!r} at {t}:\n{err[:2000]}")
            if any(v == "NaN" for _, v in samples):
                continue
            expr_results.append(((expr, t), samples))
        alert_results = []
        for a, t in alerts:
            key_t = "0s" if t == "0m" else t
            if (a, key_t) not in got_alerts:
                sys.exit(f"{name}: no promtool alerts for {a} at {t}")
            alert_results.append(((a, t), got_alerts[(a, key_t)]))
        write_file(path, spec, expr_results, alert_results, rules_name)
        code, err = run_promtool(path)
        if code != 0:
            sys.exit(f"{name}: the generated file fails in promtool:\n{err[:3000]}")
        print(f"{name}: {len(expr_results)} expression and {len(alert_results)} alert cases")


if __name__ == "__main__":
    main()
