#!/usr/bin/env bash
# Runs the same eddy-load workloads against eddy's peers and prints a
# markdown table:
#   null     eddy-null-server: a do-nothing hyper server, the HTTP ceiling
#   null-fsync  the same server made durable (`--fsync-dir`): it appends each
#            body to a zero-filled journal and answers after a group-commit
#            fdatasync, held back while busy as eddy's is (1 ms at most) and run
#            by its idle runtime thread (--sync-on-idle) as a one-worker eddy's
#            is — the ceiling of any server that makes each write durable here
#   dynalite dynalite (Node, in memory), installed with npm into benches/.peers/
#   moto     moto_server (Python); `pip install 'moto[server]'` if missing
#   eddy     only when EDDY_BIN points at a built eddy binary
#
# Workloads, each against a fresh server of each kind:
#   put c1    PutItem only, concurrency 1
#   put c32   PutItem only, concurrency 32
#   mix c32   put=50,get=40,query=10 at concurrency 32, after a prefill of every key
#
# Usage: benches/peers.sh            (from anywhere; builds eddy-load --release)
# Knobs (environment):
#   PEERS="null null-fsync dynalite moto eddy"  which servers, in order (eddy needs EDDY_BIN)
#   EDDY_BIN=path/to/eddy             include eddy: `$EDDY_BIN serve --listen ... --data-dir ...`
#   DURATION=10s WARMUP=2s            measured time and warmup of each run
#   KEYS=10000 ITEM_SIZE=100          key space and payload bytes
#   THREADS=1                         eddy-load runtime threads
#   REPEAT=1                          rounds; each row shows the run with the best ops/s
#   QUIET=1                           before each run, wait (up to 2 min) until the machine is idle
#   PIN=1                             pin the server to CPU 1 and the client to CPU 0 (taskset)
#   OUT=benches/.peers/results-DATE   where raw JSON results and server logs go
#   EDDY_LOAD_BIN=path                use this eddy-load instead of building one
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS_DIR="$ROOT/benches/.peers"
PEERS="${PEERS:-null null-fsync dynalite moto${EDDY_BIN:+ eddy}}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
KEYS="${KEYS:-10000}"
ITEM_SIZE="${ITEM_SIZE:-100}"
THREADS="${THREADS:-1}"
PIN="${PIN:-1}"
OUT="${OUT:-$PEERS_DIR/results-$(date -u +%Y%m%dT%H%M%SZ)}"
BASE_PORT="${BASE_PORT:-4599}"
REPEAT="${REPEAT:-1}"
QUIET="${QUIET:-1}"

mkdir -p "$PEERS_DIR" "$OUT"

log() { printf '%s\n' "$*" >&2; }

if [[ "$PIN" == 1 ]] && command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
  SERVER_PIN=(taskset -c 1)
  CLIENT_PIN=(taskset -c 0)
  PIN_NOTE="server pinned to CPU 1, client to CPU 0"
else
  SERVER_PIN=()
  CLIENT_PIN=()
  PIN_NOTE="not pinned"
fi

# --- tools ------------------------------------------------------------------

if [[ -n "${EDDY_LOAD_BIN:-}" ]]; then
  LOAD="$EDDY_LOAD_BIN"
  NULL_SERVER="${NULL_SERVER_BIN:-$(dirname "$LOAD")/eddy-null-server}"
else
  log "building eddy-load (release)..."
  (cd "$ROOT" && cargo build --release -q -p eddy-load)
  TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"
  LOAD="$TARGET_DIR/release/eddy-load"
  NULL_SERVER="$TARGET_DIR/release/eddy-null-server"
fi

need_dynalite() {
  if [[ ! -f "$PEERS_DIR/node_modules/dynalite/cli.js" ]]; then
    log "installing dynalite into $PEERS_DIR ..."
    (cd "$PEERS_DIR" && npm install --no-audit --no-fund --silent dynalite >&2)
  fi
}

need_moto() {
  if ! command -v moto_server >/dev/null; then
    log "installing moto[server] ..."
    python3 -m pip install --quiet 'moto[server]' >&2
  fi
}

# --- servers ----------------------------------------------------------------

SERVER_PID=""
DATA_DIR=""

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [[ -n "$DATA_DIR" ]]; then
    rm -rf "$DATA_DIR"
    DATA_DIR=""
  fi
}
trap stop_server EXIT INT TERM

# Waits until `curl ARGS` gets an HTTP status matching $1 (a regex).
wait_http() {
  local want="$1"
  shift
  for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server died; see its log"
      return 1
    fi
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" || true)"
    if [[ "$code" =~ $want ]]; then
      return 0
    fi
    sleep 0.1
  done
  log "server did not come up"
  return 1
}

# Starts server $1 on port $2 in the background; sets SERVER_PID.
start_server() {
  local peer="$1" port="$2" logf="$OUT/$1.$3.log"
  case "$peer" in
    null)
      "${SERVER_PIN[@]}" "$NULL_SERVER" --listen "127.0.0.1:$port" >"$logf" 2>&1 &
      SERVER_PID=$!
      wait_http '^200$' -X POST "http://127.0.0.1:$port/"
      ;;
    null-fsync)
      DATA_DIR="$(mktemp -d)"
      "${SERVER_PIN[@]}" "$NULL_SERVER" --listen "127.0.0.1:$port" --fsync-dir "$DATA_DIR" \
        --hold-while-busy --sync-on-idle --commit-delay-us 1000 >"$logf" 2>&1 &
      SERVER_PID=$!
      wait_http '^200$' -X POST "http://127.0.0.1:$port/"
      ;;
    dynalite)
      "${SERVER_PIN[@]}" node "$PEERS_DIR/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" >"$logf" 2>&1 &
      SERVER_PID=$!
      wait_http '^[1-5][0-9][0-9]$' -X POST "http://127.0.0.1:$port/"
      ;;
    moto)
      "${SERVER_PIN[@]}" moto_server -H 127.0.0.1 -p "$port" >"$logf" 2>&1 &
      SERVER_PID=$!
      wait_http '^[1-5][0-9][0-9]$' -X POST "http://127.0.0.1:$port/"
      ;;
    eddy)
      [[ -n "${EDDY_BIN:-}" ]] || { log "eddy needs EDDY_BIN"; return 1; }
      DATA_DIR="$(mktemp -d)"
      "${SERVER_PIN[@]}" "$EDDY_BIN" serve --listen "127.0.0.1:$port" --data-dir "$DATA_DIR" >"$logf" 2>&1 &
      SERVER_PID=$!
      wait_http '^200$' "http://127.0.0.1:$port/_eddy/health"
      ;;
    *)
      log "unknown peer $peer"
      return 1
      ;;
  esac
}

port_of() {
  case "$1" in
    null) echo "$BASE_PORT" ;;
    null-fsync) echo $((BASE_PORT + 1)) ;;
    moto) echo $((BASE_PORT + 2)) ;;
    dynalite) echo $((BASE_PORT + 3)) ;;
    eddy) echo $((BASE_PORT + 4)) ;;
  esac
}

# --- runs -------------------------------------------------------------------

# CPU busy over one second, in percent of all cores (from /proc/stat).
cpu_busy() {
  local a b
  read -r -a a < <(head -n 1 /proc/stat)
  sleep 1
  read -r -a b < <(head -n 1 /proc/stat)
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(((total - idle) * 100 / (total > 0 ? total : 1)))
}

# With QUIET=1, waits (up to 120 s) until the machine is idle, so that other
# work on it does not skew a run.
wait_quiet() {
  [[ "$QUIET" == 1 ]] || return 0
  local busy
  for _ in $(seq 1 60); do
    busy="$(cpu_busy)"
    if [[ "$busy" -le 10 ]]; then
      return 0
    fi
    log "   machine busy (${busy}% CPU), waiting..."
    sleep 1
  done
  log "   machine still busy (${busy}% CPU); running anyway"
}

# The workloads: name, concurrency, mix, extra eddy-load args.
WORKLOADS=(
  "put c1|1|put=100|"
  "put c32|32|put=100|"
  "mix c32|32|put=50,get=40,query=10|--prefill"
)

# run PEER NAME CONCURRENCY MIX ROUND [extra eddy-load args...]
# Starts a fresh server, runs eddy-load into $OUT/PEER.SLUG.ROUND.json, stops it.
run() {
  local peer="$1" name="$2" conc="$3" mix="$4" round="$5"
  shift 5
  local port slug="${name// /-}"
  port="$(port_of "$peer")"
  local base="$OUT/$peer.$slug.$round"
  wait_quiet
  start_server "$peer" "$port" "$slug.$round"
  local create=(--create-table)
  [[ "$peer" == null* ]] && create=()
  log "== round $round: $peer: $name (concurrency $conc, mix $mix)"
  local cmd=("$LOAD" --endpoint "http://127.0.0.1:$port" --table load "${create[@]}"
    --concurrency "$conc" --duration "$DURATION" --warmup "$WARMUP" --mix "$mix"
    --keys "$KEYS" --item-size "$ITEM_SIZE" --threads "$THREADS" --timeout 10s --json "$@")
  log "   ${cmd[*]}"
  if ! "${CLIENT_PIN[@]}" "${cmd[@]}" >"$base.json" 2>"$base.stderr"; then
    log "   failed: $(tail -n 1 "$base.stderr")"
    mv "$base.json" "$base.failed.json"
  fi
  stop_server
}

for peer in $PEERS; do
  case "$peer" in
    dynalite) need_dynalite ;;
    moto) need_moto ;;
  esac
done

# Rounds interleave the servers, so that a noisy moment hits them alike.
for round in $(seq 1 "$REPEAT"); do
  for peer in $PEERS; do
    for w in "${WORKLOADS[@]}"; do
      IFS='|' read -r name conc mix extra <<<"$w"
      # shellcheck disable=SC2086 # extra is a word list
      run "$peer" "$name" "$conc" "$mix" "$round" $extra
    done
  done
done

# One row per server and workload: the run with the best ops/s (other work
# on the machine can only slow a run down), and the range over the rounds.
ROWS=()
for peer in $PEERS; do
  for w in "${WORKLOADS[@]}"; do
    IFS='|' read -r name conc _ _ <<<"$w"
    slug="${name// /-}"
    shopt -s nullglob
    runs=("$OUT/$peer.$slug".[0-9]*.json)
    shopt -u nullglob
    runs=("${runs[@]/*.failed.json/}")
    mapfile -t runs < <(printf '%s\n' "${runs[@]}" | sed '/^$/d')
    if [[ ${#runs[@]} -eq 0 ]]; then
      why="$(tail -q -n 1 "$OUT/$peer.$slug".*.stderr 2>/dev/null | tail -n 1 | tr '|' '/')"
      ROWS+=("| $peer | $name | $conc | failed | | | | | | ${why:-see $OUT} |")
      continue
    fi
    best="$(jq -r '[.total.ops_per_sec, input_filename] | @tsv' "${runs[@]}" |
      sort -n | tail -n 1 | cut -f 2)"
    cp "$best" "$OUT/$peer.$slug.json"
    range="$(jq -s -r 'map(.total.ops_per_sec | round) | "\(min)–\(max)"' "${runs[@]}")"
    ROWS+=("$(jq -r --arg peer "$peer" --arg name "$name" --arg range "$range" --arg n "${#runs[@]}" '
      def errs: if (.errors | length) == 0 then "0"
                else [.errors | to_entries[] | "\(.key) \(.value)"] | join(", ") end;
      "| \($peer) | \($name) | \(.concurrency) | \(.total.ops_per_sec | round) | \($range) (\($n)) | \(.total.latency_ms.p50) | \(.total.latency_ms.p99) | \(.total.latency_ms.p999) | \(.total.latency_ms.max) | \(errs) |"
    ' "$best")")
  done
done

cat <<EOF

$(date -u +%Y-%m-%d) on $(nproc) cores ($PIN_NOTE); each run: a fresh server, ${WARMUP} warmup + ${DURATION} measured, $REPEAT round(s) (each row shows the best run), keys $KEYS, item $ITEM_SIZE B, client threads $THREADS.
Raw results: $OUT

| server | workload | concurrency | ops/s (best) | ops/s range (runs) | p50 ms | p99 ms | p99.9 ms | max ms | errors |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
EOF
printf '%s\n' "${ROWS[@]}"

# The mix, op by op.
MIX_ROWS=()
for peer in $PEERS; do
  json="$OUT/$peer.mix-c32.json"
  [[ -s "$json" ]] || continue
  MIX_ROWS+=("$(jq -r --arg peer "$peer" '
    .ops | to_entries[] |
    "| \($peer) | \(.key) | \(.value.ops_per_sec | round) | \(.value.latency_ms.p50) | \(.value.latency_ms.p99) | \(.value.errors) |"
  ' "$json")")
done
if [[ ${#MIX_ROWS[@]} -gt 0 ]]; then
  cat <<EOF

mix c32 by op (the best run):

| server | op | ops/s | p50 ms | p99 ms | errors |
| --- | --- | ---: | ---: | ---: | ---: |
EOF
  printf '%s\n' "${MIX_ROWS[@]}"
fi
