#!/usr/bin/env python3
"""Server CPU per BatchWriteItem: 25 puts that overwrite existing items (each with a string, a number and a nested
map), at concurrency 1, against freshly started eddy builds (durable writes). The figure is the server process's
user + system time (from /proc/<pid>/stat) over N batches, divided by N, so it counts the fsync's CPU too. With
several binaries the rounds alternate between them. The server runs on CPU 1 and this client on CPU 0 when
`taskset` is available.

Usage: python3 benches/batch_write_cpu.py [--bin NAME=PATH ...] [--rounds 2] [--batches 3000]
"""
import argparse
import http.client
import json
import os

from eddybench import builds, start_eddy

TABLE = "batch"
KEYS = 2000
TICKS = os.sysconf("SC_CLK_TCK")



def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(binary, batches):
    proc, endpoint = start_eddy(binary, cpu=1)
    try:
        host, port = endpoint.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port))

        def call(op, body):
            conn.request("POST", "/", json.dumps(body), {"X-Amz-Target": f"DynamoDB_20120810.{op}",
                                                         "Content-Type": "application/x-amz-json-1.0"})
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise SystemExit(f"{op} answered {response.status} {data!r}")

        def batch(i):
            call("BatchWriteItem", {"RequestItems": {TABLE: [{"PutRequest": {"Item": {
                "pk": {"S": f"k{(i * 25 + j) % KEYS}"}, "v": {"S": f"{i}" + "x" * 100}, "n": {"N": str(i)},
                "m": {"M": {"a": {"L": [{"N": "1"}, {"S": "z"}]}}}}}} for j in range(25)]}})

        call("CreateTable", {"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
                             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
        for i in range(KEYS // 25 * 2):  # every key exists before the measured batches
            batch(i)
        start = cpu_seconds(proc.pid)
        for i in range(batches):
            batch(i)
        return (cpu_seconds(proc.pid) - start) / batches * 1e6
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", action="append", default=[],
                        help="NAME=PATH of an eddy binary (repeatable; default: this=target/release/eddy)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batches", type=int, default=3000)
    args = parser.parse_args()
    bins = builds(args.bin)
    print("| build | round | server CPU per batch of 25 overwriting puts (µs) |")
    print("| --- | ---: | ---: |")
    for round_ in range(1, args.rounds + 1):
        for name, path in bins:
            print(f"| {name} | {round_} | {measure(path, args.batches):.0f} |", flush=True)


if __name__ == "__main__":
    main()
