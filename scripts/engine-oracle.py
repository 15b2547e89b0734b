#!/usr/bin/env python3
"""Builds tests/data/engine/cases.yaml: expected PromQL instant-query results computed by promtool 2.42.

Reads the case table scripts/engine-oracle-cases.yaml (fixtures of input series in promtool notation, and
expressions with evaluation times), writes one promtool unit-test file in which every case is its own test group
with a deliberately wrong `exp_samples`, runs `promtool test rules`, and parses the `got:` (or `err:`) that promtool
prints for each case. The result, with the series expanded to explicit samples, is what tests/engine_oracle.rs
compares tocsin's engine against.

Usage: scripts/engine-oracle.py [--promtool PATH] [--cases FILE] [--out FILE]
Needs: python3 with PyYAML, promtool 2.42 (Debian package `prometheus`).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRONG_VALUE = -987654.321  # no case may legitimately produce this sample, so every case "fails" and prints got:

DUR_RE = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
DUR_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}


def duration_ms(s):
    s = str(s)
    pos, total = 0, 0
    for m in DUR_RE.finditer(s):
        if m.start() != pos:
            raise ValueError(f"bad duration {s!r}")
        total += int(m.group(1)) * DUR_MS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s:
        raise ValueError(f"bad duration {s!r}")
    return total


NUM = r"(?:[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|Inf|NaN|inf|nan)"
ITEM_RE = re.compile(
    rf"^(?P<a>stale|[+-]?{NUM})(?:(?P<b>[+-]{NUM})?x(?P<n>[0-9]+))?$"
)


def expand_values(text):
    """promtool series notation -> list of floats or None (missing) or 'stale', one per interval."""
    out = []
    for item in text.split():
        if item == "_":
            out.append(None)
            continue
        m = re.fullmatch(r"_x([0-9]+)", item)
        if m:
            out.extend([None] * int(m.group(1)))
            continue
        m = ITEM_RE.match(item)
        if not m:
            raise ValueError(f"cannot expand series item {item!r}")
        a, b, n = m.group("a"), m.group("b"), m.group("n")
        if a == "stale":
            if b:
                raise ValueError("stale cannot have an increment")
            out.extend(["stale"] * (int(n) + 1 if n else 1))
            continue
        v = float(a)
        if n is None:
            out.append(v)
            continue
        inc = float(b) if b else 0.0
        for _ in range(int(n) + 1):  # cumulative addition, as promtool's parser does
            out.append(v)
            v += inc
    return out


def parse_quoted(s, i):
    """Parses a Go-quoted string starting at s[i] == '"'; returns (value, index after the closing quote)."""
    assert s[i] == '"', s[i:]
    i += 1
    out = []
    esc = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    while s[i] != '"':
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            if n in esc:
                out.append(esc[n])
                i += 2
            elif n == "x":
                out.append(chr(int(s[i + 2 : i + 4], 16)))
                i += 4
            elif n == "u":
                out.append(chr(int(s[i + 2 : i + 6], 16)))
                i += 6
            else:
                raise ValueError(f"unknown escape in {s!r}")
        else:
            out.append(c)
            i += 1
    return "".join(out), i + 1


def parse_labels(s, i=0):
    """Parses `{a="b", c="d"}` at s[i]; returns (dict, index after '}')."""
    assert s[i] == "{", s[i:]
    i += 1
    labels = {}
    while True:
        while s[i] in " ,":
            i += 1
        if s[i] == "}":
            return labels, i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        name = m.group(0)
        i = m.end()
        assert s[i] == "=", s[i:]
        value, i = parse_quoted(s, i + 1)
        labels[name] = value


def parse_series_selector(text):
    """promtool input `name{a="b"}` or `{__name__="x"}` -> label dict."""
    text = text.strip()
    m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text)
    labels = {}
    i = 0
    if m:
        labels["__name__"] = m.group(0)
        i = m.end()
    if i < len(text):
        more, i = parse_labels(text, i)
        labels.update(more)
    return labels


def go_float(text):
    """A value printed by promtool (Go 'E' format, +Inf, NaN) -> Python repr (round-trips in Rust)."""
    return repr(float(text))


def parse_got(line):
    """`{a="b"} 1E+00, {} NaN` -> [{'labels':..., 'value':...}], or [] for `nil`."""
    line = line.strip()
    if line == "nil":
        return []
    out, i = [], 0
    while i < len(line):
        labels, i = parse_labels(line, i)
        m = re.compile(r" ([^,\s]+)").match(line, i)
        out.append({"labels": labels, "value": go_float(m.group(1))})
        i = m.end()
        if line.startswith(", ", i):
            i += 2
    return out


def load_cases(path):
    with open(path) as f:
        table = yaml.safe_load(f)
    fixtures = {}
    for name, fx in table["fixtures"].items():
        interval = duration_ms(fx.get("interval", "1m"))
        series = []
        for sel, values in fx["series"]:
            pts = []
            for k, v in enumerate(expand_values(str(values))):
                if v is None:
                    continue
                pts.append(f"{k * interval}={'stale' if v == 'stale' else repr(v)}")
            series.append(
                {"promtool": f"{sel} {values}", "labels": parse_series_selector(sel), "points": " ".join(pts)}
            )
        fixtures[name] = {"interval": fx.get("interval", "1m"), "series": series}
    cases = []
    for group in table["cases"]:
        for expr in group["exprs"]:
            extra = {}
            if isinstance(expr, dict):
                extra = {k: v for k, v in expr.items() if k in ("divergence", "tocsin_expr")}
                expr = expr["expr"]
            if "holt_winters(" in expr and "tocsin_expr" not in extra:
                extra = {
                    "tocsin_expr": expr.replace("holt_winters(", "double_exponential_smoothing("),
                    "divergence": "promql-parser 0.11 only knows the Prometheus 3 name double_exponential_smoothing",
                }
            eval_interval = duration_ms(table.get("evaluation_interval", "1m"))
            for t in group["times"]:
                ms = duration_ms(t)
                case = {
                    "fixture": group["fixture"],
                    "expr": expr,
                    "eval_time": str(t),
                    "eval_time_ms": ms,
                    # promtool appends input samples lazily, up to the last evaluation step at or before eval_time.
                    "samples_till_ms": ms // eval_interval * eval_interval,
                }
                case.update(extra)
                cases.append(case)
    return table, fixtures, cases


def promtool_file(table, cases):
    groups = []
    for i, c in enumerate(cases):
        fx = table["fixtures"][c["fixture"]]
        groups.append(
            {
                "name": f"case-{i}",
                "interval": fx.get("interval", "1m"),
                "input_series": [{"series": s, "values": str(v)} for s, v in fx["series"]],
                "promql_expr_test": [
                    {
                        "expr": c["expr"],
                        "eval_time": c["eval_time"],
                        "exp_samples": [{"labels": '{__name__="tocsin_oracle_wrong"}', "value": WRONG_VALUE}],
                    }
                ],
            }
        )
    return {"evaluation_interval": table.get("evaluation_interval", "1m"), "tests": groups}


def run_promtool(promtool, doc):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "oracle_test.yml")
        with open(path, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False, width=10_000)
        proc = subprocess.run([promtool, "test", "rules", path], capture_output=True, text=True, check=False)
    return proc.stdout + proc.stderr


def parse_output(text, cases):
    blocks = re.split(r"\n(?=    expr: \")", "\n" + text)
    blocks = [b for b in blocks if b.startswith('    expr: "')]
    if len(blocks) != len(cases):
        sys.exit(f"promtool printed {len(blocks)} results for {len(cases)} cases:\n{text[:3000]}")
    for case, block in zip(cases, blocks):
        first = block.split("\n", 1)[0]
        m = re.match(r'    expr: (".*"), time: (\S+?)(?:,$|, err: )', first)
        got_expr = yaml.safe_load(m.group(1))  # a Go %q string is a valid YAML double-quoted scalar
        if got_expr != case["expr"]:
            sys.exit(f"promtool output out of order: {got_expr!r} vs {case['expr']!r}")
        if ", err: " in first:
            case["error"] = block.split(", err: ", 1)[1].rstrip("\n")
            continue
        got = re.search(r"^        got: (.*)$", block, re.M)
        case["samples"] = parse_got(got.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--promtool", default="promtool")
    ap.add_argument("--cases", default=os.path.join(ROOT, "scripts", "engine-oracle-cases.yaml"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "engine", "cases.yaml"))
    ap.add_argument("--runs", type=int, default=4, help="promtool runs, to detect order-dependent results")
    args = ap.parse_args()
    version = subprocess.run([args.promtool, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    if "version 2.42." not in version:
        sys.exit(f"need promtool 2.42, got: {version}")
    table, fixtures, cases = load_cases(args.cases)
    doc = promtool_file(table, cases)
    parse_output(run_promtool(args.promtool, doc), cases)
    # promtool creates series in Go map order, so results that depend on series order (ties in topk, which pair a
    # duplicate-match error names) vary between runs; such cases are marked and only their size is compared.
    for _ in range(args.runs - 1):
        again = [dict(c) for c in cases]
        parse_output(run_promtool(args.promtool, doc), again)
        for c, a in zip(cases, again):
            if (c.get("samples"), c.get("error")) != (a.get("samples"), a.get("error")):
                c["unstable"] = True
    for c in cases:
        c["source"] = "promtool-2.42"
    header = (
        "# Generated by scripts/engine-oracle.py from scripts/engine-oracle-cases.yaml; do not edit.\n"
        f"# Expected values: {version.strip()} (`promtool test rules`, instant queries).\n"
    )
    with open(args.out, "w") as f:
        f.write(header)
        yaml.safe_dump(
            {"fixtures": fixtures, "cases": cases}, f, sort_keys=False, width=10_000, allow_unicode=True
        )
    print(f"wrote {len(cases)} cases to {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
