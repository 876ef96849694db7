#!/usr/bin/env bash
# A/B of server builds on durable PutItem at concurrency 32: alternates fresh servers of each build (and the
# do-nothing server as "null") for ROUNDS rounds, so that a noisy moment on the machine hits them alike, and
# prints for each run ops/s and the server's CPU per request (user and system µs, from /proc/<pid>/stat).
# The server is pinned to CPU 1 and eddy-load to CPU 0, as in peers.sh (PIN=0: neither is pinned).
#
# Usage: benches/ab.sh ROUNDS NAME=EDDY_BINARY... [null] [null-fsync]
#   e.g. benches/ab.sh 3 null before=/tmp/eddy-before after=target/release/eddy
# `null-fsync` is the do-nothing server made durable (`eddy-null-server --fsync-dir`): the ceiling of a server
# that does nothing but a group-commit fdatasync of each request body, held back while busy (1 ms at most) and
# run by the idle runtime thread, as eddy's is; the same settings as in peers.sh.
# Knobs: N=250000 requests per run, CONC=32, PIN=1, EDDY_LOAD_BIN, NULL_SERVER_BIN (default: target/release/).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:?usage: benches/ab.sh ROUNDS NAME=BINARY... [null]}"
shift
LOAD="${EDDY_LOAD_BIN:-$ROOT/target/release/eddy-load}"
NULL="${NULL_SERVER_BIN:-$ROOT/target/release/eddy-null-server}"
N="${N:-250000}"
CONC="${CONC:-32}"
PORT="${PORT:-4620}"
if [[ "${PIN:-1}" == 1 ]]; then
  SERVER_PIN=(taskset -c 1)
  CLIENT_PIN=(taskset -c 0)
else
  SERVER_PIN=()
  CLIENT_PIN=()
fi

cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
per_request_us() { echo "scale=2; ($2 - $1) * 1000000 / $(getconf CLK_TCK) / $N" | bc; }

for round in $(seq 1 "$ROUNDS"); do
  for spec in "$@"; do
    name="${spec%%=*}"
    bin="${spec#*=}"
    data=""
    if [[ "$name" == null || "$name" == null-fsync ]]; then
      sync_args=()
      if [[ "$name" == null-fsync ]]; then
        data="$(mktemp -d)"
        sync_args=(--fsync-dir "$data" --hold-while-busy --sync-on-idle --commit-delay-us 1000)
      fi
      "${SERVER_PIN[@]}" "$NULL" --listen "127.0.0.1:$PORT" "${sync_args[@]}" >/dev/null 2>&1 &
      pid=$!
      create=()
      until curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/"; do sleep 0.05; done
    else
      data="$(mktemp -d)"
      "${SERVER_PIN[@]}" "$bin" serve --listen "127.0.0.1:$PORT" --data-dir "$data" >/dev/null 2>&1 &
      pid=$!
      until curl -sf -o /dev/null "http://127.0.0.1:$PORT/_eddy/health"; do
        kill -0 "$pid" 2>/dev/null || { echo "$name: the server exited before it was ready" >&2; exit 1; }
        sleep 0.05
      done
      create=(--create-table)
    fi
    read -r u0 s0 < <(cpu_ticks "$pid")
    out="$("${CLIENT_PIN[@]}" "$LOAD" --endpoint "http://127.0.0.1:$PORT" --table load "${create[@]}" \
      --concurrency "$CONC" --requests "$N" --warmup 0s --mix put=100 --keys 10000 --item-size 100 --json 2>/dev/null)"
    read -r u1 s1 < <(cpu_ticks "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null
    [[ -n "$data" ]] && rm -rf "$data"
    echo "round $round  $name  ops/s $(echo "$out" | jq -r '.total.ops_per_sec')  user µs/req $(per_request_us "$u0" "$u1")  system µs/req $(per_request_us "$s0" "$s1")"
  done
done
