#!/usr/bin/env python3
"""What a write that changes nothing costs, at concurrency 1, against freshly started eddy builds (durable writes).

  failed condition  PutItem with ConditionExpression attribute_not_exists(pk) on an existing item (400
                    ConditionalCheckFailedException)
  unchanged put     PutItem of an item equal to the stored one
  get               GetItem of the same item, for comparison (reads never wait for an fsync)

Each request goes over one keep-alive HTTP connection (unsigned: eddy's default --auth off accepts it); the time is
from sending the request to having read the whole response. With several binaries the rounds alternate between them,
so drift on a shared machine hits them alike.

Usage: python3 benches/noop_writes.py [--bin NAME=PATH ...] [--rounds 2] [--requests 2000]
Prints a markdown table (docs/benchmarks.md quotes it).
"""
import argparse
import http.client
import json
import time

from eddybench import builds, start_eddy

TABLE = "noop"



class Client:
    def __init__(self, endpoint):
        host, port = endpoint.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port))

    def call(self, op, body):
        self.conn.request("POST", "/", json.dumps(body), {"X-Amz-Target": f"DynamoDB_20120810.{op}",
                                                          "Content-Type": "application/x-amz-json-1.0"})
        response = self.conn.getresponse()
        return response.status, response.read()

    def latencies(self, op, body, status, n):
        out = []
        for _ in range(n):
            start = time.perf_counter()
            got, data = self.call(op, body)
            out.append((time.perf_counter() - start) * 1e3)
            if got != status:
                raise SystemExit(f"{op} answered {got} {data!r}, expected {status}")
        return sorted(out)


CASES = [
    ("failed condition", "PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}},
                                     "ConditionExpression": "attribute_not_exists(pk)"}, 400),
    ("unchanged put", "PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "v": {"S": "x"}}}, 200),
    ("get", "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}, 200),
]


def measure(binary, requests):
    proc, endpoint = start_eddy(binary)
    try:
        client = Client(endpoint)
        client.call("CreateTable", {"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
                                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
        client.call("PutItem", CASES[1][2])
        return {name: client.latencies(op, body, status, requests) for name, op, body, status in CASES}
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", action="append", default=[],
                        help="NAME=PATH of an eddy binary (repeatable; default: this=target/release/eddy)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    bins = builds(args.bin)
    print("| build | round | " + " | ".join(f"{name} p50 / p90 ms" for name, *_ in CASES) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in CASES) + " |")
    for round_ in range(1, args.rounds + 1):
        for name, path in bins:
            result = measure(path, args.requests)
            cells = [f"{lat[len(lat) // 2]:.3f} / {lat[len(lat) * 9 // 10]:.3f}" for lat in result.values()]
            print(f"| {name} | {round_} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
