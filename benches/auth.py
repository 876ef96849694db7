#!/usr/bin/env python3
"""What authentication costs: durable PutItem throughput and latency with `--auth off`, `--auth sigv4` and
`--auth iam`, against freshly started release eddies (one per mode, each on its own data directory).

  off    eddy-load signs with `test`/`test`; nothing is verified.
  sigv4  eddy-load signs with the root keys; every signature is verified (signing keys cached).
  iam    eddy-load signs with an IAM user's access key whose inline policy allows `dynamodb:*` on the table (and
         denies `dynamodb:DeleteTable` everywhere): every request is verified and then authorized by evaluating
         the user's policies (the root would skip evaluation).

Rounds alternate between the modes, so drift on a shared machine hits all alike; each row is the best round. With
`--pin` (the default when `taskset` exists) servers run on CPU 1 and eddy-load on CPU 0, as benches/peers.sh does.

Usage: python3 benches/auth.py [--bin target/release/eddy] [--load target/release/eddy-load] [--rounds 3]
       [--seconds 10] [--concurrency 32,1] [--no-pin]
Prints a markdown table (docs/benchmarks.md quotes it).
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile

import boto3
import botocore.config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ROOT_KEY = "AKIAEDDYBENCHROOT001"
ROOT_SECRET = "eddy-bench-root-secret-0123456789abcdef"
TABLE = "load"
MODES = ("off", "sigv4", "iam")


def pinned(cpu, args, pin):
    return ["taskset", "-c", str(cpu), *args] if pin else args


def start_eddy(binary, mode, pin):
    data = tempfile.mkdtemp(prefix=f"eddy-bench-auth-{mode}-")
    args = [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--log-level", "error",
            "--auth", mode, "--root-access-key", ROOT_KEY, "--root-secret-key", ROOT_SECRET]
    proc = subprocess.Popen(pinned(1, args, pin), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("eddy ready on "):
        raise SystemExit(f"eddy --auth {mode} did not start: {line!r}")
    return proc, line.strip().removeprefix("eddy ready on "), data


def keys_for(mode, endpoint):
    """The keys eddy-load signs with in a mode."""
    if mode == "off":
        return "test", "test"
    if mode == "sigv4":
        return ROOT_KEY, ROOT_SECRET
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ROOT_KEY,
                       aws_secret_access_key=ROOT_SECRET, config=botocore.config.Config(retries={"max_attempts": 0}))
    iam.create_user(UserName="loader")
    iam.put_user_policy(UserName="loader", PolicyName="table", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*",
             "Resource": f"arn:aws:dynamodb:*:000000000000:table/{TABLE}"},
            {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="loader")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def load(tool, endpoint, keys, concurrency, seconds, pin):
    args = [tool, "--endpoint", endpoint, "--table", TABLE, "--create-table", "--mix", "put=100",
            "-c", str(concurrency), "-d", f"{seconds}s", "--warmup", "2s", "--keys", "10000", "--item-size", "100",
            "--json"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1])
    out = subprocess.run(pinned(0, args, pin), check=True, capture_output=True, text=True, env=env).stdout
    report = json.loads(out)
    if report["total"]["errors"]:
        raise SystemExit(f"eddy-load saw errors: {report['errors']}")
    return report["total"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, "target/release/eddy"))
    parser.add_argument("--load", default=os.path.join(ROOT, "target/release/eddy-load"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", default="32,1")
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    pin = not args.no_pin and shutil.which("taskset") is not None
    levels = [int(c) for c in args.concurrency.split(",")]
    servers = {mode: start_eddy(args.bin, mode, pin) for mode in MODES}
    try:
        keys = {mode: keys_for(mode, servers[mode][1]) for mode in MODES}
        best = {}
        for _ in range(args.rounds):
            for c in levels:
                for mode in MODES:
                    total = load(args.load, servers[mode][1], keys[mode], c, args.seconds, pin)
                    if (mode, c) not in best or total["ops_per_sec"] > best[(mode, c)]["ops_per_sec"]:
                        best[(mode, c)] = total
    finally:
        for proc, _, data in servers.values():
            proc.kill()
            proc.wait()
            shutil.rmtree(data, ignore_errors=True)
    print("| mode | concurrency | PutItem ops/s (best) | vs off | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for c in levels:
        base = best[("off", c)]["ops_per_sec"]
        for mode in MODES:
            t = best[(mode, c)]
            lat = t["latency_ms"]
            print(f"| `{mode}` | {c} | {t['ops_per_sec']:.0f} | {t['ops_per_sec'] / base:.2f}x | "
                  f"{lat['p50']:.3f} | {lat['p99']:.3f} |")


if __name__ == "__main__":
    main()
