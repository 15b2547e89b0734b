#!/usr/bin/env python3
"""Benchmark: run the promtool unit-test corpus (tests/promtool/**/*.test.yml) with `tocsin test` and
`promtool test rules`, both as one process over all files and as one process per file.

Each mode runs REPEAT times; the script reports the median wall time and the largest peak RSS (through GNU time) of
each tool, and tocsin's ratios to promtool. Files that need the template executor (tests/promtool/templates/) are
left out unless --templates is given.

Usage: scripts/bench-unittest.py [--repeat N] [--tocsin PATH] [--templates]
Build tocsin first: cargo build --release
"""
import argparse, glob, os, shutil, statistics, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def run(cmd, cwd):
    """Runs cmd once; returns (wall seconds, peak RSS in KiB, exit code). See scripts/benchlib.py."""
    wall, rss, _cpu, code = benchlib.run(cmd, cwd)
    return wall, rss, code


def measure(label, cmds, cwd, repeat):
    """Runs every command of cmds in turn, REPEAT times; returns (median total wall, largest peak RSS)."""
    walls, rss = [], 0
    for _ in range(repeat):
        total = 0.0
        for cmd in cmds:
            wall, peak, code = run(cmd, cwd)
            if code != 0:
                sys.exit(f"{label} failed with exit code {code}: {' '.join(cmd)}")
            total += wall
            rss = max(rss, peak)
        walls.append(total)
    return statistics.median(walls), rss


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--tocsin", default=os.path.join(root, "target", "release", "tocsin"))
    ap.add_argument("--templates", action="store_true", help="include tests/promtool/templates/")
    args = ap.parse_args()
    if not shutil.which("promtool"):
        sys.exit("promtool not found: run scripts/test.sh once (it installs Debian's prometheus package)")
    if not os.path.exists(args.tocsin):
        sys.exit(f"{args.tocsin} not found: run cargo build --release")
    corpus = os.path.join(root, "tests", "promtool")
    files = sorted(
        os.path.relpath(p, corpus)
        for p in glob.glob(os.path.join(corpus, "**", "*.test.yml"), recursive=True)
    )
    if not args.templates:
        files = [f for f in files if not f.startswith("templates" + os.sep)]
    cases = sum(open(os.path.join(corpus, f)).read().count("eval_time:") for f in files)

    modes = {
        "tocsin test, one process": [[args.tocsin, "test", "--coverage=false"] + files],
        "promtool, one process": [["promtool", "test", "rules"] + files],
        "tocsin test, per file": [[args.tocsin, "test", "--coverage=false", f] for f in files],
        "promtool, per file": [["promtool", "test", "rules", f] for f in files],
    }
    results = {label: measure(label, cmds, corpus, args.repeat) for label, cmds in modes.items()}

    print(f"corpus: {len(files)} test files, {cases} cases; {args.repeat} runs each")
    print(f"{'mode':<28} {'median wall':>12} {'peak RSS':>10}")
    for label, (wall, rss) in results.items():
        print(f"{label:<28} {wall*1000:>9.1f} ms {rss/1024:>7.1f} MiB")
    for kind in ("one process", "per file"):
        tw, tr = results[f"tocsin test, {kind}"]
        pw, pr = results[f"promtool, {kind}"]
        print(f"tocsin / promtool ({kind}): wall {tw/pw:.3f}x ({pw/tw:.1f}x faster), RSS {tr/pr:.3f}x")


if __name__ == "__main__":
    main()
