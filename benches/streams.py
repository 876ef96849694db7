#!/usr/bin/env python3
"""What a stream costs, against a freshly started eddy (release build, durable writes).

  write cost  eddy-load PutItem at concurrency 32 (100-byte items) into a table without a stream and into one with a
              NEW_AND_OLD_IMAGES stream, in alternating rounds on the same server (so drift on a shared machine
              hits both alike). The ratio of the best rounds is the stream's cost; the target is at most 1.3x.
  GetRecords  1,000 records (100-byte items) read with one GetRecords (Limit 1000) over HTTP on a keep-alive
              connection: the time from sending the request to having read the whole response, N times, each with
              a fresh TRIM_HORIZON iterator. The target is under 5 ms.

Usage: python3 benches/streams.py [--bin target/release/eddy] [--load target/release/eddy-load] [--rounds 3]
       [--seconds 5] [--reads 200]
Prints a markdown table (docs/benchmarks.md quotes it).
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time

from eddybench import start_eddy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]



def load(tool, endpoint, table, seconds, stream):
    args = [tool, "--endpoint", endpoint, "--table", table, "--create-table", "--mix", "put=100", "-c", "32",
            "-d", f"{seconds}s", "--warmup", "1s", "--json"]
    if stream:
        args += ["--stream-view-type", "NEW_AND_OLD_IMAGES"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ops_per_second(report):
    """Successful ops/s of an eddy-load JSON report (failing requests make the figure meaningless)."""
    if report["total"]["errors"]:
        raise SystemExit(f"eddy-load saw errors: {report['errors']}")
    return report["total"]["ops_per_sec"]


class Raw:
    def __init__(self, endpoint):
        host, port = endpoint.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port))

    def call(self, target, body):
        self.conn.request("POST", "/", body=json.dumps(body), headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise SystemExit(f"{target} failed: {r.status} {data[:300]!r}")
        return data


def get_records_times(endpoint, reads):
    raw = Raw(endpoint)
    ddb = "DynamoDB_20120810."
    streams = "DynamoDBStreams_20120810."
    arn = json.loads(raw.call(ddb + "CreateTable", {
        "TableName": "reads", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }))["TableDescription"]["LatestStreamArn"]
    for start in range(0, 1000, 25):
        raw.call(ddb + "BatchWriteItem", {"RequestItems": {"reads": [
            {"PutRequest": {"Item": {"id": {"S": f"item{i:04d}"}, "payload": {"S": "x" * 100}}}}
            for i in range(start, start + 25)]}})
    shard = json.loads(raw.call(streams + "DescribeStream", {"StreamArn": arn}))["StreamDescription"]["Shards"][0]
    times = []
    for _ in range(reads):
        iterator = json.loads(raw.call(streams + "GetShardIterator", {
            "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
        body = {"ShardIterator": iterator, "Limit": 1000}
        started = time.perf_counter()
        data = raw.call(streams + "GetRecords", body)
        times.append((time.perf_counter() - started) * 1000.0)
        count = len(json.loads(data)["Records"])
        if count != 1000:
            raise SystemExit(f"GetRecords returned {count} records")
    return times, len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "eddy"))
    ap.add_argument("--load", default=os.path.join(ROOT, "target", "release", "eddy-load"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--reads", type=int, default=200)
    args = ap.parse_args()
    proc, endpoint = start_eddy(args.bin)
    try:
        plain, streamed = [], []
        for _ in range(args.rounds):
            plain.append(ops_per_second(load(args.load, endpoint, "plain", args.seconds, False)))
            streamed.append(ops_per_second(load(args.load, endpoint, "streamed", args.seconds, True)))
        times, size = get_records_times(endpoint, args.reads)
        print("| measure | figure |\n|---|---|")
        print(f"| durable PutItem c32, no stream (best of {args.rounds}) | {max(plain):,.0f} ops/s "
              f"(rounds: {', '.join(f'{x:,.0f}' for x in plain)}) |")
        print(f"| durable PutItem c32, NEW_AND_OLD_IMAGES stream (best of {args.rounds}) | {max(streamed):,.0f} ops/s "
              f"(rounds: {', '.join(f'{x:,.0f}' for x in streamed)}) |")
        print(f"| cost of the stream (best without / best with) | {max(plain) / max(streamed):.2f}x |")
        print(f"| GetRecords of 1,000 records ({size:,} bytes) over HTTP, {len(times)} reads | "
              f"p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms |")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
