"""Shared by the benchmark scripts: run one command and measure it.

Peak RSS is read through GNU time (/usr/bin/time), not from os.wait4 on a child of Python: a child forked from
Python starts as a copy of the interpreter, and the kernel's peak-RSS figure keeps that copy's size even after the
exec, which put a floor of about 15 MiB under every measurement. GNU time forks a small C process instead.
"""
import os, shutil, subprocess, sys, tempfile, time

GNU_TIME = "/usr/bin/time"


def run(cmd, cwd):
    """Runs cmd once; returns (wall seconds, peak RSS in KiB, CPU seconds user+sys, exit code)."""
    if not os.path.exists(GNU_TIME):
        sys.exit("/usr/bin/time not found: apt-get install time")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        start = time.perf_counter()
        proc = subprocess.run(
            [GNU_TIME, "-f", "%M %U %S", "-o", out.name, "--quiet"] + list(cmd),
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        fields = out.read().split()
    rss, user, system = (int(fields[-3]), float(fields[-2]), float(fields[-1])) if len(fields) >= 3 else (0, 0.0, 0.0)
    return wall, rss, user + system, proc.returncode


def free_port():
    """A loopback port that was free a moment ago."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, data=None, timeout=60):
    """The body of a GET (or a POST of `data`)."""
    import urllib.request
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=timeout) as r:
        return r.read()


def wait_until(what, check, limit=60.0, every=0.2):
    """Calls `check` until it returns true; exits the script naming `what` after `limit` seconds."""
    import sys
    import time
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError):
            pass
        time.sleep(every)
    sys.exit(f"timed out waiting for {what}")
