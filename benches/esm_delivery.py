#!/usr/bin/env python3
"""Event source mapping delivery: latency and throughput, against a freshly started eddy (release build).

  latency     A warm Node.js handler behind a mapping with BatchSize 1 and no batching window. N sequential
              PutItems; for each, the time from the PutItem's acknowledgement (the client has read the whole
              response) to the handler's start (the first statement of the handler, read from the wall clock with
              `performance.timeOrigin + performance.now()`). Client and handler run on the same machine, so the two
              clocks are the same clock. A sample can be negative: eddy wakes the mapping on the commit, which can
              reach the handler before the HTTP response reaches the client.
  throughput  R items are written first (BatchWriteItem, 25 per request), then a mapping with BatchSize 1000 and
              TRIM_HORIZON is created for a no-op Node.js handler that reports each batch's size. Records/s is R over
              the time from the handler's first start to its last return (the pipeline running flat out), and also
              over the time from CreateEventSourceMapping to the last return (cold start included).

Usage: python3 benches/esm_delivery.py [--bin target/release/eddy] [--latency 2000] [--records 200000]
       [--fsync] (durable writes; the default uses --no-fsync so the disk does not dominate the latency figure)
Prints a markdown table (docs/benchmarks.md quotes it).
"""
import argparse
import concurrent.futures
import http.client
import io
import json
import os
import sys
import tempfile
import time
import zipfile

import boto3
import botocore.config

from eddybench import start_eddy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ROLE = "arn:aws:iam::000000000000:role/bench"

LATENCY_HANDLER = """
const fs = require('fs');
const fd = fs.openSync(process.env.OUT, 'a');
exports.handler = async (event) => {
  const started = performance.timeOrigin + performance.now();
  let lines = '';
  for (const r of event.Records) lines += r.dynamodb.Keys.id.S + ' ' + started + '\\n';
  fs.writeSync(fd, lines);
  return null;
};
"""

THROUGHPUT_HANDLER = """
const fs = require('fs');
const fd = fs.openSync(process.env.OUT, 'a');
exports.handler = async (event) => {
  const started = performance.timeOrigin + performance.now();
  fs.writeSync(fd, event.Records.length + ' ' + started + ' ' + (performance.timeOrigin + performance.now()) + '\\n');
  return null;
};
"""


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]



def clients(endpoint):
    cfg = botocore.config.Config(retries={"max_attempts": 0}, read_timeout=60)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test", config=cfg)
    return boto3.client("dynamodb", **kw), boto3.client("lambda", **kw)


def package(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.js", source)
    return buf.getvalue()


def setup(ddb, lam, name, handler, out):
    stream = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": package(handler)}, MemorySize=1024, Timeout=60,
                        Environment={"Variables": {"OUT": out}})
    return stream


class Raw:
    """A keep-alive HTTP connection speaking DynamoDB's JSON protocol, so the client adds little to the loop."""

    def __init__(self, endpoint):
        host, port = endpoint.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port))

    def call(self, op, body):
        self.conn.request("POST", "/", body=json.dumps(body), headers={
            "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise SystemExit(f"{op} failed: {r.status} {data[:300]!r}")
        return data


def wait_file(path, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            text = f.read()
        found = predicate(text)
        if found is not None:
            return found
        time.sleep(0.0002)
    raise SystemExit(f"timed out waiting on {path}")


def latency(endpoint, ddb, lam, n):
    out = tempfile.mktemp(prefix="eddy-esm-lat-")
    open(out, "w").close()
    stream = setup(ddb, lam, "lat", LATENCY_HANDLER, out)
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="lat", StartingPosition="LATEST",
                                    BatchSize=1, MaximumBatchingWindowInSeconds=0)
    raw = Raw(endpoint)
    offset = 0

    def handler_start(key):
        def find(text):
            for line in text[offset:].splitlines():
                k, _, t = line.partition(" ")
                if k == key:
                    return float(t) / 1000.0
            return None
        return find

    # Warm up: the mapping's first poll and the handler's cold start are not what this measures.
    for i in range(50):
        key = f"warm{i}"
        raw.call("PutItem", {"TableName": "lat", "Item": {"id": {"S": key}}})
        wait_file(out, handler_start(key))
    samples = []
    for i in range(n):
        key = f"k{i}"
        offset = os.path.getsize(out)
        raw.call("PutItem", {"TableName": "lat", "Item": {"id": {"S": key}, "n": {"N": str(i)}}})
        acked = time.time()
        started = wait_file(out, handler_start(key))
        samples.append((started - acked) * 1000.0)
    return samples


def write_items(endpoint, table, count):
    def batch(start):
        raw = Raw(endpoint)
        for b in range(start, min(start + 5000, count), 25):
            items = [{"PutRequest": {"Item": {"id": {"S": f"i{j}"}, "v": {"N": str(j)},
                                              "payload": {"S": "x" * 64}}}}
                     for j in range(b, min(b + 25, count))]
            raw.call("BatchWriteItem", {"RequestItems": {table: items}})

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(batch, range(0, count, 5000)))


def throughput(endpoint, ddb, lam, records):
    out = tempfile.mktemp(prefix="eddy-esm-thr-")
    open(out, "w").close()
    stream = setup(ddb, lam, "thr", THROUGHPUT_HANDLER, out)
    write_items(endpoint, "thr", records)
    created = time.time()
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="thr", StartingPosition="TRIM_HORIZON",
                                    BatchSize=1000, MaximumBatchingWindowInSeconds=0)

    def done(text):
        rows = [line.split() for line in text.splitlines()]
        return rows if sum(int(r[0]) for r in rows) >= records else None

    rows = wait_file(out, done, timeout=600)
    first_start = min(float(r[1]) for r in rows) / 1000.0
    last_end = max(float(r[2]) for r in rows) / 1000.0
    return records / (last_end - first_start), records / (last_end - created), len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "eddy"))
    ap.add_argument("--latency", type=int, default=2000)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--fsync", action="store_true")
    args = ap.parse_args()
    proc, endpoint = start_eddy(args.bin, *([] if args.fsync else ["--no-fsync"]))
    try:
        ddb, lam = clients(endpoint)
        rows = []
        if args.latency:
            s = latency(endpoint, ddb, lam, args.latency)
            rows.append(f"| PutItem ack → handler start, BatchSize 1, window 0 ({len(s)} puts) | "
                        f"p50 {pct(s, 50):.2f} ms, p99 {pct(s, 99):.2f} ms, max {max(s):.2f} ms |")
        if args.records:
            flat, overall, batches = throughput(endpoint, ddb, lam, args.records)
            rows.append(f"| Delivery, BatchSize 1000, no-op Node.js handler ({args.records} records, {batches} "
                        f"invokes) | {flat:,.0f} records/s (first handler start → last return); "
                        f"{overall:,.0f} records/s including mapping creation and cold start |")
        mode = "durable (fsync)" if args.fsync else "--no-fsync"
        print(f"| ESM delivery ({mode}) | figure |\n|---|---|")
        print("\n".join(rows))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
