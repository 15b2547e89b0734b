#!/usr/bin/env python3
"""Benchmark: run the promtool unit-test corpus (tests/promtool/**/*.test.yml) with `tocsin test` and
`promtool test rules`, both as one process over all files and as one process per file.

Each mode runs REPEAT times, the tools interleaved run by run so that both see the same load. Wall time and CPU time
(user + sys, from the kernel's rusage of the child, microsecond resolution) are taken on a plain child of this
script; peak RSS in one extra run through GNU time (see scripts/benchlib.py). The script reports medians, tocsin's
ratios to promtool, the load average before and after, and, per process, what an empty process (/bin/true) costs
through the same harness: that floor is part of every per-file figure of both tools.

With --callgrind it also counts the instructions tocsin executes over the per-file mode (valgrind's callgrind;
repeatable to a few hundred instructions whatever the load). promtool cannot be counted: valgrind does not run Go
binaries.

Files that need the template executor (tests/promtool/templates/) are left out unless --templates is given.

Usage: scripts/bench-unittest.py [--repeat N] [--tocsin PATH] [--templates] [--callgrind]
Build tocsin first: cargo build --release
"""
import argparse, glob, os, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def run_direct(cmd, cwd):
    """Runs cmd once as a plain child; returns (wall seconds, CPU seconds user+sys, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def one_pass(label, cmds, cwd):
    """Runs every command of cmds once; returns (total wall, total CPU)."""
    wall = cpu = 0.0
    for cmd in cmds:
        w, c, code = run_direct(cmd, cwd)
        if code != 0:
            sys.exit(f"{label} failed with exit code {code}: {' '.join(cmd)}")
        wall += w
        cpu += c
    return wall, cpu


def peak_rss(label, cmds, cwd):
    """Largest peak RSS (KiB) over one run of every command, through GNU time."""
    rss = 0
    for cmd in cmds:
        _wall, peak, _cpu, code = benchlib.run(cmd, cwd)
        if code != 0:
            sys.exit(f"{label} failed with exit code {code}: {' '.join(cmd)}")
        rss = max(rss, peak)
    return rss


def callgrind_total(cmds, cwd):
    """Instructions executed over every command of cmds (callgrind's `I refs`)."""
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, cmd in enumerate(cmds):
            out = os.path.join(tmp, f"cg.{i}")
            proc = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd,
                cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
            refs = [line for line in proc.stderr.splitlines() if "I   refs:" in line]
            if proc.returncode != 0 or not refs:
                sys.exit(f"callgrind failed on {' '.join(cmd)}:\n{proc.stderr}")
            total += int(refs[-1].split()[-1].replace(",", ""))
    return total


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--tocsin", default=os.path.join(root, "target", "release", "tocsin"))
    ap.add_argument("--templates", action="store_true", help="include tests/promtool/templates/")
    ap.add_argument("--callgrind", action="store_true", help="also count tocsin's instructions (per-file mode)")
    ap.add_argument("--baseline", help="another tocsin binary (say, an older build) measured in the same runs")
    args = ap.parse_args()
    if not shutil.which("promtool"):
        sys.exit("promtool not found: run scripts/test.sh once (it installs Debian's prometheus package)")
    if not os.path.exists(args.tocsin):
        sys.exit(f"{args.tocsin} not found: run cargo build --release")
    tocsin = os.path.abspath(args.tocsin)
    corpus = os.path.join(root, "tests", "promtool")
    files = sorted(
        os.path.relpath(p, corpus)
        for p in glob.glob(os.path.join(corpus, "**", "*.test.yml"), recursive=True)
    )
    if not args.templates:
        files = [f for f in files if not f.startswith("templates" + os.sep)]
    cases = sum(open(os.path.join(corpus, f)).read().count("eval_time:") for f in files)

    modes = {
        "tocsin test, one process": [[tocsin, "test", "--coverage=false"] + files],
        "promtool, one process": [["promtool", "test", "rules"] + files],
        "tocsin test, per file": [[tocsin, "test", "--coverage=false", f] for f in files],
        "promtool, per file": [["promtool", "test", "rules", f] for f in files],
        "empty process, per file": [["/bin/true", f] for f in files],
    }
    if args.baseline:
        base = os.path.abspath(args.baseline)
        modes["baseline tocsin, one process"] = [[base, "test", "--coverage=false"] + files]
        modes["baseline tocsin, per file"] = [[base, "test", "--coverage=false", f] for f in files]
    load_before = os.getloadavg()
    samples = {label: ([], []) for label in modes}
    for _ in range(args.repeat):
        for label, cmds in modes.items():
            wall, cpu = one_pass(label, cmds, corpus)
            samples[label][0].append(wall)
            samples[label][1].append(cpu)
    rss = {label: peak_rss(label, cmds, corpus) for label, cmds in modes.items()}
    load_after = os.getloadavg()
    results = {
        label: (statistics.median(w), statistics.median(c), rss[label])
        for label, (w, c) in samples.items()
    }

    print(f"corpus: {len(files)} test files, {cases} cases; {args.repeat} runs each, tools interleaved")
    print("load average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}; {} CPUs".format(
        *load_before, *load_after, os.cpu_count()))
    print(f"{'mode':<28} {'median wall':>12} {'median CPU':>12} {'peak RSS':>10}")
    for label, (wall, cpu, peak) in results.items():
        print(f"{label:<28} {wall*1000:>9.1f} ms {cpu*1000:>9.1f} ms {peak/1024:>6.1f} MiB")
    for kind in ("one process", "per file"):
        tw, tc, tr = results[f"tocsin test, {kind}"]
        pw, pc, pr = results[f"promtool, {kind}"]
        print(f"tocsin / promtool ({kind}): wall {tw/pw:.3f}x ({pw/tw:.1f}x faster), "
              f"CPU {tc/pc:.3f}x ({pc/tc:.1f}x less), RSS {tr/pr:.3f}x")
    if args.baseline:
        for kind in ("one process", "per file"):
            tw, tc, _ = results[f"tocsin test, {kind}"]
            bw, bc, _ = results[f"baseline tocsin, {kind}"]
            print(f"tocsin / baseline ({kind}): wall {tw/bw:.3f}x, CPU {tc/bc:.3f}x")
    fw, fc, _ = results["empty process, per file"]
    print(f"harness floor per process (/bin/true): wall {fw/len(files)*1000:.2f} ms, CPU {fc/len(files)*1000:.2f} ms")
    if args.callgrind:
        if not shutil.which("valgrind"):
            sys.exit("valgrind not found: apt-get install valgrind")
        for label in ("tocsin test, per file", "baseline tocsin, per file"):
            if label in modes:
                n = callgrind_total(modes[label], corpus)
                print(f"{label}, callgrind: {n:,} instructions ({n/len(files):,.0f} per process)")


if __name__ == "__main__":
    main()
