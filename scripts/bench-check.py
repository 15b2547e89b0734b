#!/usr/bin/env python3
"""Benchmark: check the whole shared rule corpus with tocsin, promtool and vmalert -dryRun in one run.

Each tool checks the same files in one process (the files all three accept, so that nobody stops early), REPEAT
times; the script reports the median wall time, the median and largest peak RSS of each, and tocsin's ratios.

Usage: scripts/bench-check.py [--repeat N] [--corpus DIR] [--tocsin PATH]
Build tocsin first: cargo build --release
"""
import argparse, csv, os, resource, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

def run(cmd, cwd):
    """Runs cmd once; returns (wall seconds, peak RSS in KiB, exit code). See scripts/benchlib.py."""
    wall, rss, _cpu, code = benchlib.run(cmd, cwd)
    return wall, rss, code

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", default=os.path.join(root, "..", "shared", "corpus"))
    ap.add_argument("--tocsin", default=os.path.join(root, "target", "release", "tocsin"))
    args = ap.parse_args()
    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        corpus = "/work/shared/corpus"
    for tool in ("promtool", "vmalert"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: run scripts/test.sh once (it installs Debian's prometheus and victoria-metrics)")
    if not os.path.exists(args.tocsin):
        sys.exit(f"{args.tocsin} not found: run cargo build --release")

    files = []
    with open(os.path.join(corpus, "verdicts.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["promtool"] == "accept" and row["vmalert"] == "accept":
                files.append(row["file"])
    # Copy into one directory so every tool sees the same relative paths.
    work = tempfile.mkdtemp(prefix="tocsin-bench-")
    names = []
    for rel in files:
        name = rel.replace("/", "__")
        shutil.copy(os.path.join(corpus, rel), os.path.join(work, name))
        names.append(name)
    rules = sum(open(os.path.join(work, n)).read().count("expr:") for n in names)

    tools = {
        "tocsin check": [args.tocsin, "check", "--lint=none"] + names,
        "promtool check rules": ["promtool", "check", "rules", "--lint=none"] + names,
        "vmalert -dryRun": ["vmalert", "-dryRun"] + [f"-rule={n}" for n in names],
    }
    results = {}
    for label, cmd in tools.items():
        walls, peaks = [], []
        for _ in range(args.repeat):
            wall, peak, code = run(cmd, work)
            if code != 0:
                sys.exit(f"{label} failed with exit code {code} on the benchmark set")
            walls.append(wall)
            peaks.append(peak)
        results[label] = (statistics.median(walls), statistics.median(peaks), max(peaks))
    shutil.rmtree(work)

    print(f"corpus: {len(names)} files accepted by all three tools, about {rules} rules; {args.repeat} runs each")
    print(f"{'tool':<22} {'median wall':>12} {'median peak RSS':>16} {'max peak RSS':>13}")
    for label, (wall, rss, rss_max) in results.items():
        print(f"{label:<22} {wall*1000:>9.1f} ms {rss/1024:>12.1f} MiB {rss_max/1024:>9.1f} MiB")
    tw, tr, tmax = results["tocsin check"]
    for other in ("promtool check rules", "vmalert -dryRun"):
        ow, orss, omax = results[other]
        print(f"tocsin / {other}: wall {tw/ow:.3f}x, RSS {tr/orss:.3f}x (median), {tmax/omax:.3f}x (max)")

if __name__ == "__main__":
    main()
