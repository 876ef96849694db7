#!/usr/bin/env bash
# Measures eddy's restart on a large data directory: fills one with KEYS items (eddy-load's prefill, ITEM_SIZE bytes
# of payload each), then restarts it ROUNDS times after a clean stop (SIGTERM) and ROUNDS times after a SIGKILL in
# the middle of writes at concurrency 32, and prints for each kind the median and max time from process start to
# the ready line, the median RSS one second after ready, and every round's time in order; it checks that a sample
# of items is there after each restart.
# Usage: benches/restart.sh [path/to/eddy]   (default: target/release/eddy; needs target/release/eddy-load too)
# Knobs: KEYS=1000000 ITEM_SIZE=200 ROUNDS=5 PORT=4632
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EDDY="${1:-$ROOT/target/release/eddy}"
LOAD="${EDDY_LOAD_BIN:-$ROOT/target/release/eddy-load}"
python3 - "$EDDY" "$LOAD" "${KEYS:-1000000}" "${ITEM_SIZE:-200}" "${ROUNDS:-5}" "${PORT:-4632}" <<'PY'
import json, os, signal, subprocess, sys, tempfile, time
import boto3
from botocore.config import Config

eddy, load, keys, item_size, rounds, port = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
endpoint = f"http://127.0.0.1:{port}"
data = tempfile.mkdtemp(prefix="eddy-restart-")
ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                   aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}))


def start():
    began = time.perf_counter()
    p = subprocess.Popen([eddy, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    assert line.startswith("eddy ready on"), line
    return p, (time.perf_counter() - began) * 1000


def rss_mb(p):
    with open(f"/proc/{p.pid}/status") as f:
        return int(next(l for l in f if l.startswith("VmRSS")).split()[1]) / 1024


def run_load(*extra):
    return subprocess.run([load, "--endpoint", endpoint, "--table", "load", "--keys", str(keys),
                           "--item-size", str(item_size), "--mix", "put=100", "--warmup", "0s", *extra],
                          capture_output=True, text=True)


def sample_present():
    for key in (0, keys // 2, keys - 1):
        item = {"pk": {"S": f"p{key // 10}"}, "sk": {"N": str(key % 10)}}
        assert "Item" in ddb.get_item(TableName="load", Key=item, ConsistentRead=True), key


def du_mb():
    total = 0
    for dirpath, _, files in os.walk(data):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total / 1e6


p, _ = start()
began = time.perf_counter()
out = run_load("--create-table", "--prefill", "--requests", "1")
assert out.returncode == 0, out.stderr
print(f"filled {keys} items of {item_size} B in {time.perf_counter() - began:.0f} s; data dir {du_mb():.0f} MB")
sample_present()
p.send_signal(signal.SIGTERM)
p.wait()
for kind in ("after a clean stop", "after SIGKILL during writes"):
    times, rss = [], []
    for _ in range(rounds):
        p, ms = start()
        times.append(ms)
        time.sleep(1)
        rss.append(rss_mb(p))
        sample_present()
        if kind.startswith("after a clean"):
            p.send_signal(signal.SIGTERM)
            p.wait()
        else:
            writer = subprocess.Popen([load, "--endpoint", endpoint, "--table", "load", "--keys", str(keys),
                                       "--item-size", str(item_size), "--mix", "put=100", "--warmup", "0s",
                                       "--duration", "30s"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(3)
            p.kill()
            p.wait()
            writer.kill()
            writer.wait()
    in_order = ", ".join(f"{t:.0f}" for t in times)
    times.sort()
    rss.sort()
    print(f"| {kind} | {times[len(times) // 2]:.1f} ms | {times[-1]:.1f} ms | {rss[len(rss) // 2]:.1f} MB | "
          f"{in_order} ms |")
print(f"data dir at the end: {du_mb():.0f} MB")
PY
