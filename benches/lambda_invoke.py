#!/usr/bin/env python3
"""Lambda invoke latency through the Invoke API, against a running or freshly started eddy.

Measures, for a no-op Node.js handler (`exports.handler = async () => null`):
  warm  N sequential invocations over one keep-alive connection. For each: the round trip seen by the client,
        and the handler's own time (the REPORT line's Duration: from delivering the event to the runtime until its
        answer arrives, which includes the runtime's own Runtime API calls, as on AWS). eddy's overhead = round trip
        - Duration - the same client's round trip to a do-nothing eddy endpoint (GET /_eddy/health), so neither
        the Python client nor the HTTP stack of the loopback round trip is counted as eddy's.
  cold  M invocations that each start a new environment (each of a new function). eddy's share of a start = cold round trip - the first invocation's Duration - the interpreter's own
        start-up - the health round trip,
        measured as the time from starting the same bootstrap standalone (same interpreter, a trivial handler) until
        its first `next` request arrives at a bare socket.

Usage: python3 benches/lambda_invoke.py [--bin target/release/eddy] [--warm 2000] [--cold 20]
Prints a markdown table (docs/benchmarks.md quotes it).
"""
import argparse
import base64
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import zipfile

from eddybench import start_eddy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Client:
    def __init__(self, host, port):
        self.conn = http.client.HTTPConnection(host, port)

    def call(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "eddy"))
    ap.add_argument("--warm", type=int, default=2000)
    ap.add_argument("--cold", type=int, default=20)
    args = ap.parse_args()

    proc, endpoint = start_eddy(args.bin, "--no-fsync")
    addr = endpoint.removeprefix("http://")
    host, port = addr.rsplit(":", 1)
    c = Client(host, int(port))
    try:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("index.js", "exports.handler = async () => null;\n")
        spec = {"FunctionName": "bench-noop", "Runtime": "nodejs20.x", "Handler": "index.handler",
                "Role": "arn:aws:iam::000000000000:role/bench",
                "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}
        status, _, body = c.call("POST", "/2015-03-31/functions", json.dumps(spec))
        assert status == 201, body
        path = "/2015-03-31/functions/bench-noop/invocations"
        tail = {"X-Amz-Log-Type": "Tail"}

        def invoke():
            nonlocal path
            t0 = time.perf_counter()
            status, headers, body = c.call("POST", path, b"{}", tail)
            rtt = (time.perf_counter() - t0) * 1000
            assert status == 200 and "x-amz-function-error" not in headers, body
            log = base64.b64decode(headers["x-amz-log-result"]).decode()
            report = [line for line in log.splitlines() if line.startswith("REPORT")][0]
            duration = float(report.split("Duration: ")[1].split(" ms")[0])
            init = float(report.split("Init Duration: ")[1].split(" ms")[0]) if "Init Duration" in report else None
            return rtt, duration, init

        for _ in range(200):
            invoke()
        health = []
        for _ in range(args.warm):
            t0 = time.perf_counter()
            c.call("GET", "/_eddy/health")
            health.append((time.perf_counter() - t0) * 1000)
        warm = [invoke() for _ in range(args.warm)]
        rtts = [w[0] for w in warm]
        durations = [w[1] for w in warm]
        overhead = [w[0] - w[1] for w in warm]
        base = statistics.median(health)

        # Cold starts: each on a function of its own (nothing is being stopped meanwhile).
        colds = []
        for i in range(args.cold):
            spec["FunctionName"] = f"bench-cold-{i}"
            status, _, body = c.call("POST", "/2015-03-31/functions", json.dumps(spec))
            assert status == 201, body
            path = f"/2015-03-31/functions/bench-cold-{i}/invocations"
            colds.append(invoke())
        # The bootstrap standalone: same interpreter, same program, a trivial handler, until its first `next`.
        runtime_dir, task_root = next(proc_env_dirs(c))
        standalone = []
        node = subprocess.run(["node", "-p", "process.execPath"], capture_output=True, text=True).stdout.strip()
        for _ in range(args.cold):
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            env = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % listener.getsockname()[1],
                   "_HANDLER": "index.handler", "LAMBDA_TASK_ROOT": task_root, "PATH": os.environ.get("PATH", "")}
            t0 = time.perf_counter()
            child = subprocess.Popen([node, os.path.join(runtime_dir, "bootstrap.mjs")], env=env, cwd=task_root,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            conn, _ = listener.accept()
            conn.recv(4096)  # the `next` request
            standalone.append((time.perf_counter() - t0) * 1000)
            child.kill()
            child.wait()
            conn.close()
            listener.close()
        cold_rtt = statistics.median(c[0] for c in colds)
        cold_duration = statistics.median(c[1] for c in colds)
        interp = statistics.median(standalone)
        inits = [c[2] for c in colds if c[2] is not None]

        print("| measure | p50 | p90 | p99 |")
        print("|---|---|---|---|")
        print(f"| warm invoke round trip (client) | {pct(rtts, 50):.3f} ms | {pct(rtts, 90):.3f} ms | {pct(rtts, 99):.3f} ms |")
        print(f"| handler Duration (REPORT) | {pct(durations, 50):.3f} ms | {pct(durations, 90):.3f} ms | {pct(durations, 99):.3f} ms |")
        print(f"| client round trip to GET /_eddy/health | {pct(health, 50):.3f} ms | {pct(health, 90):.3f} ms | {pct(health, 99):.3f} ms |")
        print(f"| **eddy overhead** (round trip - Duration - health round trip) | **{pct(overhead, 50) - base:.3f} ms** | {pct(overhead, 90) - base:.3f} ms | {pct(overhead, 99) - base:.3f} ms |")
        print(f"| cold invoke round trip | {cold_rtt:.1f} ms | | |")
        print(f"| first invocation's Duration (REPORT) | {cold_duration:.1f} ms | | |")
        print(f"| Init Duration (REPORT: spawn to first `next`) | {statistics.median(inits):.1f} ms | | |")
        print(f"| the bootstrap standalone, start to first `next` (interpreter start-up) | {interp:.1f} ms | | |")
        print(f"| **eddy's share of a start** (cold round trip - Duration - standalone - health round trip) | **{cold_rtt - cold_duration - interp - base:.1f} ms** | | |")
        print(f"\n{args.warm} warm and {args.cold} cold invocations, node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def proc_env_dirs(c):
    """(LAMBDA_RUNTIME_DIR, LAMBDA_TASK_ROOT) as a handler sees them, from a throwaway function."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.js", "exports.handler = async () => [process.env.LAMBDA_RUNTIME_DIR, "
                               "process.env.LAMBDA_TASK_ROOT];\n")
    spec = {"FunctionName": "bench-dirs", "Runtime": "nodejs20.x", "Handler": "index.handler",
            "Role": "arn:aws:iam::000000000000:role/bench",
            "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}
    c.call("POST", "/2015-03-31/functions", json.dumps(spec))
    _, _, body = c.call("POST", "/2015-03-31/functions/bench-dirs/invocations", b"{}")
    yield tuple(json.loads(body))


if __name__ == "__main__":
    main()
