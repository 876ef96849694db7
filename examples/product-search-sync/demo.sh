#!/usr/bin/env bash
# The guide's product catalogue → search index sync, end to end, in one command: builds eddy, starts it (in
# memory) and an OpenSearch stand-in (tests/e2e/opensearch_recorder.py: it speaks OpenSearch's document API, it
# is not OpenSearch), runs the guide's walkthrough (walkthrough.sh), writes a few hundred product changes with a
# product the index refuses among them, and prints what reached the index, the dead letter, the mapping's
# explain view and the function's complaints. Everything it starts is stopped when it ends.
#
#   ./examples/product-search-sync/demo.sh              # the Node.js handler
#   HANDLER=rust ./examples/product-search-sync/demo.sh # the Rust handler
#
# Needs: a Rust toolchain, Python 3 with boto3, the AWS CLI, Node.js/npm (for the Node.js handler), curl.
# EDDY_BIN=path uses an eddy already built instead of `cargo build --release`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export HANDLER="${HANDLER:-node}"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
POISON=p-0999

banner() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
# Reads JSON on stdin and runs the Python statement $1 with it as `d` (pretty: `print(pretty(d))`).
pyjson() {
  python3 -c "import json, sys
pretty = lambda v: json.dumps(v, indent=2)
compact = lambda v: json.dumps(v, separators=(',', ':'))
d = json.load(sys.stdin)
$1"
}

if [ -z "${EDDY_BIN:-}" ]; then
  banner "Building eddy (cargo build --release; a few minutes the first time)"
  (cd "$root" && cargo build --release --quiet -p eddy)
  EDDY_BIN="$root/target/release/eddy"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server in the background (recording its pid for cleanup, so not in a subshell) and sets `url` to
# the URL of its ready line ("... ready on URL").
start_server() {
  local name="$1"; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 300); do
    if grep -q ' ready on ' "$work/$name.out" 2>/dev/null; then
      url="$(sed -n 's/.* ready on //p' "$work/$name.out" | head -1)"
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$work/$name.err" >&2
  return 1
}

banner "Starting eddy and the OpenSearch stand-in"
start_server eddy "$EDDY_BIN" serve --in-memory --listen 127.0.0.1:0
EDDY="$url"
start_server opensearch python3 "$root/tests/e2e/opensearch_recorder.py" --port 0
OPENSEARCH="$url"
export EDDY_ENDPOINT="$EDDY" OPENSEARCH_ENDPOINT="$OPENSEARCH"
echo "eddy:                 $EDDY"
echo "OpenSearch stand-in:  $OPENSEARCH (not OpenSearch: it records what arrives, checks it against the mapping)"
E=(--endpoint-url "$EDDY")

banner "The index, with an explicit mapping (price is a number)"
show "curl -XPUT \$OPENSEARCH_ENDPOINT/products -d @index-mapping.json"
curl -sf -XPUT "$OPENSEARCH/products" -H 'Content-Type: application/json' --data-binary @"$here/index-mapping.json"
echo

banner "The guide's walkthrough (walkthrough.sh, $HANDLER handler)"
BUILD_DIR="$work/build" "$here/walkthrough.sh" >"$work/walkthrough.env" 2> >(sed 's/^/  /' >&2)
# shellcheck disable=SC1091
source "$work/walkthrough.env"

banner "Writing product changes"
echo "The index refuses the first bulk request it gets (429, as an overloaded cluster does): that batch fails"
echo "as a whole, and Lambda bisects it."
curl -sf -XPOST "$OPENSEARCH/_recorder/faults" -d '{"rejectRequests": 1}' >/dev/null
python3 "$here/changes.py" --endpoint "$EDDY" --stop 150
echo "A product whose price is a string; the index maps price as a number and will refuse it:"
ITEM="{\"productId\":{\"S\":\"$POISON\"},\"name\":{\"S\":\"Mystery box\"},\"price\":{\"S\":\"call us\"}}"
show "aws dynamodb put-item --table-name products --item '$ITEM'"
aws "${E[@]}" dynamodb put-item --table-name products --item "$ITEM"
python3 "$here/changes.py" --endpoint "$EDDY" --start 150 --stop 300

banner "The dead letter (after the partial batch responses' 3 retries)"
show "aws sqs receive-message --queue-url $QUEUE_URL --wait-time-seconds 20"
message=""
for _ in $(seq 6); do
  message="$(aws "${E[@]}" sqs receive-message --queue-url "$QUEUE_URL" --wait-time-seconds 20 \
    --query 'Messages[0].Body' --output text)"
  [ "$message" != None ] && [ -n "$message" ] && break
done
[ "$message" != None ] && [ -n "$message" ] || { echo "no dead letter arrived" >&2; exit 1; }
pyjson 'print(pretty(d))' <<<"$message"
SHARD="$(pyjson 'print(d["DDBStreamBatchInfo"]["shardId"])' <<<"$message")"
START="$(pyjson 'print(d["DDBStreamBatchInfo"]["startSequenceNumber"])' <<<"$message")"
echo "The first record of the discarded batch, read back from the stream:"
show "aws dynamodbstreams get-shard-iterator --stream-arn \$STREAM_ARN --shard-id $SHARD --shard-iterator-type AT_SEQUENCE_NUMBER --sequence-number $START"
IT="$(aws "${E[@]}" dynamodbstreams get-shard-iterator --stream-arn "$STREAM_ARN" --shard-id "$SHARD" \
  --shard-iterator-type AT_SEQUENCE_NUMBER --sequence-number "$START" --query ShardIterator --output text)"
aws "${E[@]}" dynamodbstreams get-records --shard-iterator "$IT" --limit 1 \
  --query 'Records[0].{eventName:eventName,Keys:dynamodb.Keys,NewImage:dynamodb.NewImage,SequenceNumber:dynamodb.SequenceNumber}'

banner "What reached the index"
python3 "$here/index_status.py" --wait 60 --except "$POISON" || exit 1
FIRST="$(curl -sf "$OPENSEARCH/products/_search?size=1" | pyjson 'print(d["hits"]["hits"][0]["_id"])')"
echo "One product as the index holds it: numbers are numbers, the string and number sets (tags, ratings) are"
echo "arrays, the map (attributes) an object, the list of maps (variants) an array of objects:"
show "curl \$OPENSEARCH_ENDPOINT/products/_doc/$FIRST"
curl -sf "$OPENSEARCH/products/_doc/$FIRST" | pyjson 'print(compact(d["_source"]))'
echo "Fixing the refused product; its change syncs like any other:"
show "aws dynamodb update-item --table-name products --key '{\"productId\":{\"S\":\"$POISON\"}}' --update-expression 'SET price = :p' --expression-attribute-values '{\":p\":{\"N\":\"9.99\"}}'"
aws "${E[@]}" dynamodb update-item --table-name products --key "{\"productId\":{\"S\":\"$POISON\"}}" \
  --update-expression 'SET price = :p' --expression-attribute-values '{":p":{"N":"9.99"}}'
python3 "$here/index_status.py" --wait 60 || exit 1
show "curl \$OPENSEARCH_ENDPOINT/products/_doc/$POISON"
curl -sf "$OPENSEARCH/products/_doc/$POISON" | pyjson 'print(compact(d["_source"]))'
curl -sf "$OPENSEARCH/_recorder/requests" | pyjson '
bulk = [r for r in d["requests"] if r["path"] == "/_bulk"]
refused = sum(r["status"] == 429 for r in bulk)
carried = sum(r["items"] or 0 for r in bulk)
print(f"bulk requests: {len(bulk)} ({refused} refused as a whole with 429), operations carried: {carried} "
      "(more than the changes: retried and redelivered records)")'

banner "The mapping's explain view"
show "curl \$EDDY_ENDPOINT/_eddy/event-source-mappings/$MAPPING_UUID"
curl -sf "$EDDY/_eddy/event-source-mappings/$MAPPING_UUID" | pyjson 'print(pretty(d))'

banner "What the function logged"
show "aws logs filter-log-events --log-group-name /aws/lambda/$FUNCTION --filter-pattern '\"batch of\"'"
aws "${E[@]}" logs filter-log-events --log-group-name "/aws/lambda/$FUNCTION" --filter-pattern '"batch of"' \
  --query 'events[].message' --output json >"$work/batches.json"
python3 - "$work/batches.json" <<'PY'
import json, re, sys
# Each invocation logs "batch of N records, SequenceNumber FIRST..LAST: OUTCOME".
batches = []
for message in json.load(open(sys.argv[1])):
    m = re.search(r"batch of (\d+) records, SequenceNumber (\d+)\.\.(\d+): (.*)", message)
    if m:
        batches.append((int(m[1]), m[2], m[3], m[4].strip()))
show = lambda b: print(f"  {b[0]:3d} records {b[1]}..{b[2]}: {b[3]}")
print(f"{len(batches)} invocations in all (five lanes: ParallelizationFactor 5).")
refused = next((b for b in batches if "refused" in b[3]), None)
if refused:
    print("Bisection: the batch the overloaded index refused as a whole, then its two halves:")
    show(refused)
    after = batches[batches.index(refused) + 1:]
    first = next((b for b in after if b[1] == refused[1] and b[0] < refused[0]), None)
    second = next((b for b in after if first and b[2] == refused[2] and b[0] == refused[0] - first[0]), None)
    for half in (first, second):
        if half:
            show(half)
failed = [b for b in batches if re.search(r", [1-9]\d* failed$", b[3])]
print("The batches that held the refused product: each reported it (a partial batch response) and the next")
print("attempt started at it; after the last retry the rest of the batch went to the dead-letter queue:")
for b in failed[:8]:
    show(b)
PY
show "aws logs filter-log-events --log-group-name /aws/lambda/$FUNCTION --filter-pattern '\"Failed to sync\"'"
aws "${E[@]}" logs filter-log-events --log-group-name "/aws/lambda/$FUNCTION" --filter-pattern '"Failed to sync"' \
  --query 'events[0].message' --output text | sed -E 's/^[^ ]*Z\t[^\t]*\t[A-Z]+\t//' | cut -c1-240

banner "Done"
echo "300 product changes and a refused product went through the stream, the mapping and the $HANDLER handler;"
echo "the index matches the table. The refused product waited in the dead-letter queue until it was fixed."
