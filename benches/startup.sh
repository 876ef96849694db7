#!/usr/bin/env bash
# Measures eddy's start-up (process start to the ready line) and idle memory (RSS one second after ready):
# in memory, on a new data directory (created at start) and on an existing one, over 10 starts each.
# Prints markdown rows: mode | median | max | median idle RSS.
# Usage: benches/startup.sh [path/to/eddy]   (default: target/release/eddy; build it with cargo build --release)
set -euo pipefail
EDDY="${1:-$(dirname "$0")/../target/release/eddy}"
python3 - "$EDDY" <<'PY'
import os, subprocess, sys, tempfile, time
eddy = sys.argv[1]
reused = tempfile.mkdtemp(prefix="eddy-startup-")
for label, extra in (("in memory", ["--in-memory"]), ("new data dir", None), ("existing data dir", ["--data-dir", reused])):
    times, rss = [], []
    for _ in range(10):
        args = extra or ["--data-dir", tempfile.mkdtemp(prefix="eddy-startup-")]
        began = time.perf_counter()
        p = subprocess.Popen([eddy, "serve", "--listen", "127.0.0.1:0", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        times.append((time.perf_counter() - began) * 1000)
        assert line.startswith("eddy ready on"), line
        time.sleep(1)
        with open(f"/proc/{p.pid}/status") as f:
            rss.append(int(next(l for l in f if l.startswith("VmRSS")).split()[1]) / 1024)
        p.kill(); p.wait()
    times.sort(); rss.sort()
    print(f"| {label} | {times[len(times)//2]:.1f} ms | {times[-1]:.1f} ms | {rss[len(rss)//2]:.1f} MB |")
PY
