"""The guide's walkthrough end to end (examples/product-search-sync): the walkthrough script sets up the stream,
role, function, mapping and dead-letter queue on a fresh eddy with the AWS CLI; a few hundred product changes
flow through the stream and the mapping into the real handler (Node.js and Rust), which keeps an index in an
OpenSearch stand-in (tests/e2e/opensearch_recorder.py) in sync. Checks that the index ends equal to the table,
through an overloaded index (a refused bulk request: the batch fails and is bisected) and a product the index
refuses (a partial batch response, retries, then the dead-letter queue with its DDBStreamBatchInfo), and that the
demo script a new user runs prints what it promises."""
import importlib.util
import json
import os
import shutil
import subprocess
from decimal import Decimal

import boto3
import pytest
import requests
from boto3.dynamodb.types import TypeDeserializer

from conftest import EDDY_BIN, ROOT, Eddy, wait_for
import opensearch_recorder

EXAMPLE = os.path.join(ROOT, "examples", "product-search-sync")
POISON = "p-0999"
with open(os.path.join(EXAMPLE, "index-mapping.json")) as f:
    INDEX_MAPPING = json.load(f)


def load_changes():
    spec = importlib.util.spec_from_file_location("guide_changes", os.path.join(EXAMPLE, "changes.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


changes = load_changes()


def cli_env(**extra):
    return dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
                AWS_PAGER="", **extra)


def build_dir(tmp_path_factory, handler):
    return str(tmp_path_factory.mktemp(f"build-{handler}"))


@pytest.fixture
def recorder():
    server = opensearch_recorder.serve()
    yield server
    server.shutdown()


def run_walkthrough(eddy, recorder, handler, build):
    env = cli_env(EDDY_ENDPOINT=eddy.endpoint, OPENSEARCH_ENDPOINT=recorder.endpoint, HANDLER=handler,
                  BUILD_DIR=build,
                  CARGO_TARGET_DIR=os.path.join(ROOT, "target", "e2e-functions"))
    proc = subprocess.run([os.path.join(EXAMPLE, "walkthrough.sh")], env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    # The script shows the guide's commands as it runs them.
    assert "$ aws lambda create-event-source-mapping" in proc.stderr
    assert "--batch-size 50 --maximum-batching-window-in-seconds 5 --parallelization-factor 5" in proc.stderr
    assert "$ aws iam put-role-policy" in proc.stderr
    return out


def plain(value):
    """A value of the table (boto3's types) or of the index (JSON) in one comparable form: numbers as Decimal,
    sets and lists of scalars sorted (the index holds sets as arrays, in no particular order)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (set, list, tuple)):
        items = [plain(v) for v in value]
        if all(not isinstance(v, (dict, list)) for v in items) and isinstance(value, (set, frozenset)):
            return sorted(items, key=lambda v: (str(type(v)), v))
        return items
    raise TypeError(type(value))


def table_content(eddy):
    ddb = eddy.client()
    deserialize = TypeDeserializer().deserialize
    items, kwargs = {}, {}
    while True:
        page = ddb.scan(TableName="products", ConsistentRead=True, **kwargs)
        for raw in page["Items"]:
            item = {k: deserialize(v) for k, v in raw.items()}
            items[item["productId"]] = plain(item)
        if "LastEvaluatedKey" not in page:
            return items
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


SET_FIELDS = ("tags", "ratings")


def index_content(recorder):
    r = requests.get(recorder.endpoint + "/products/_search", params={"size": 10000}, timeout=10)
    if r.status_code == 404:
        return {}
    docs = {}
    for hit in r.json()["hits"]["hits"]:
        doc = plain(hit["_source"])
        for field in SET_FIELDS:
            if isinstance(doc.get(field), list):
                doc[field] = sorted(doc[field], key=lambda v: (str(type(v)), v))
        docs[hit["_id"]] = doc
    return docs


def stream_records(eddy, stream_arn):
    """Every record of the stream, per shard, in order."""
    streams = eddy.client("dynamodbstreams")
    out = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = streams.get_records(ShardIterator=it)
            out += [(shard["ShardId"], r) for r in page["Records"]]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


def receive_dead_letters(eddy, queue_url):
    out = eddy.aws("sqs", "receive-message", "--queue-url", queue_url, "--max-number-of-messages", "10",
                   "--wait-time-seconds", "1")
    return out.get("Messages", [])


@pytest.mark.parametrize("handler", ["node", "rust"])
def test_walkthrough_keeps_the_index_in_sync(handler, recorder, tmp_path_factory):
    if handler == "rust" and shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    if handler == "node" and shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    eddy = Eddy(in_memory=True).start()
    try:
        check_walkthrough(eddy, recorder, handler, build_dir(tmp_path_factory, handler))
    finally:
        eddy.stop()


def check_walkthrough(eddy, recorder, handler, build):
    assert requests.put(recorder.endpoint + "/products", json=INDEX_MAPPING, timeout=10).status_code == 200
    setup = run_walkthrough(eddy, recorder, handler, build)
    stream_arn, uuid, queue_url = setup["STREAM_ARN"], setup["MAPPING_UUID"], setup["QUEUE_URL"]
    mapping = eddy.aws("lambda", "get-event-source-mapping", "--uuid", uuid)
    assert mapping["BatchSize"] == 50 and mapping["MaximumBatchingWindowInSeconds"] == 5
    assert mapping["ParallelizationFactor"] == 5 and mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == setup["DLQ_ARN"]

    # The index is overloaded for the first bulk request: that batch fails as a whole and is bisected.
    requests.post(recorder.endpoint + "/_recorder/faults", json={"rejectRequests": 1}, timeout=10)
    table = boto3.resource("dynamodb", endpoint_url=eddy.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test").Table("products")
    plan = changes.changes(300)
    for change in plan[:150]:
        changes.apply(table, change)
    # A product the index refuses: its price is a string, the index maps price as a number.
    eddy.aws("dynamodb", "put-item", "--table-name", "products", "--item",
             json.dumps({"productId": {"S": POISON}, "name": {"S": "Mystery box"}, "price": {"S": "call us"}}))
    for change in plan[150:]:
        changes.apply(table, change)
    kinds = {kind for kind, _, _ in plan}
    assert kinds == {"INSERT", "MODIFY", "REMOVE"}

    # The poisoned product reaches the dead-letter queue after the partial batch responses' retries.
    dead = wait_for(lambda: receive_dead_letters(eddy, queue_url), timeout=120, interval=0.2,
                    message="the dead letter")
    assert len(dead) == 1
    letter = json.loads(dead[0]["Body"])
    records = stream_records(eddy, stream_arn)
    poison = [(shard, r) for shard, r in records
              if r["dynamodb"]["Keys"]["productId"]["S"] == POISON]
    assert len(poison) == 1
    poison_shard, poison_record = poison[0]
    info = letter["DDBStreamBatchInfo"]
    assert info["streamArn"] == stream_arn
    assert info["shardId"] == poison_shard
    # The retries resumed at the poisoned record (the lowest reported failure): the discarded batch starts there.
    assert info["startSequenceNumber"] == poison_record["dynamodb"]["SequenceNumber"]
    in_range = [r for shard, r in records if shard == poison_shard
                and int(info["startSequenceNumber"]) <= int(r["dynamodb"]["SequenceNumber"])
                <= int(info["endSequenceNumber"])]
    assert 1 <= info["batchSize"] <= len(in_range)
    assert letter["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert letter["requestContext"]["functionArn"].endswith(":function:product-opensearch-sync")
    assert letter["requestContext"]["approximateInvokeCount"] == 4  # the first attempt and 3 retries
    assert letter["responseContext"]["statusCode"] == 200  # a partial batch response, not an error

    # Every other product arrived, through the bisected batch, the retries and the redeliveries after the
    # poisoned record: the index equals the table, but for the product it refused.
    def in_sync_but_poison():
        index, content = index_content(recorder), table_content(eddy)
        content.pop(POISON)
        return index == content and index
    wait_for(in_sync_but_poison, timeout=60, interval=0.2, message="the index to match the table")
    assert POISON not in index_content(recorder)
    log = requests.get(recorder.endpoint + "/_recorder/requests", timeout=10).json()["requests"]
    bulks = [r for r in log if r["path"] == "/_bulk"]
    # Up to ParallelizationFactor (5) bulk requests are in flight at once, and the recorder logs each one when it
    # answers it: the refused request is among the first five logged, not necessarily the first.
    statuses = [r["status"] for r in bulks]
    assert statuses.count(429) == 1 and 429 in statuses[:5], statuses
    assert all(status in (200, 429) for status in statuses), statuses
    delivered = sum(r["items"] or 0 for r in bulks)
    assert delivered > len(records)  # some records came more than once

    # Fixing the product syncs it: now the index equals the table entirely, and nothing else was dead-lettered.
    eddy.aws("dynamodb", "update-item", "--table-name", "products", "--key",
             json.dumps({"productId": {"S": POISON}}), "--update-expression", "SET price = :p",
             "--expression-attribute-values", json.dumps({":p": {"N": "9.99"}}))
    wait_for(lambda: index_content(recorder) == table_content(eddy), timeout=60, interval=0.2,
             message="the fixed product in the index")
    assert index_content(recorder)[POISON]["price"] == Decimal("9.99")
    assert receive_dead_letters(eddy, queue_url) == []

    explain = eddy.control("GET", f"/_eddy/event-source-mappings/{uuid}")
    assert explain["State"] == "Enabled"
    assert all(s["inFlight"] == 0 and s["retries"] == 0 for s in explain["shards"])


def test_demo_prints_the_index_the_dead_letter_and_the_explain_view():
    """The one command of the README's tutorial, as a new user runs it (with the eddy already built)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    proc = subprocess.run([os.path.join(EXAMPLE, "demo.sh")], env=dict(os.environ, EDDY_BIN=EDDY_BIN),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    # The dead letter, read back with the AWS CLI, names the refused product's record.
    letter = json.loads(out[out.index("{", out.index("aws sqs receive-message")):out.index("The first record")])
    assert letter["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert letter["DDBStreamBatchInfo"]["batchSize"] >= 1
    assert '"S": "p-0999"' in out and '"S": "call us"' in out
    assert "(leaving out p-0999): in sync" in out
    assert "index: " in out and "documents: in sync" in out
    assert "1 refused as a whole with 429" in out
    assert '"LastProcessingResult": "OK"' in out  # the explain view
    assert "mapper_parsing_exception" in out  # the function's log
    # The function's log, summarised: the refused batch and its two halves, then the poisoned product's batches.
    bisection = out[out.index("Bisection:"):out.index("The batches that held")].splitlines()[1:]
    assert len(bisection) == 3 and "429 rejected_execution_exception" in bisection[0]
    sizes = [int(line.split()[0]) for line in bisection]
    assert sizes[1] + sizes[2] == sizes[0]
    start = out.index("The batches that held")
    held = out[start:out.index("$ aws logs", start)].splitlines()[2:]
    # The first attempt and 3 retries, each reporting the poisoned record.
    assert len(held) == 4 and all(line.endswith(" 1 failed") for line in held)
    assert out.rstrip().endswith("until it was fixed.")
    # It stops what it started: eddy and the stand-in no longer answer.
    urls = [line.split()[-1] for line in out.splitlines() if line.startswith("eddy: ")]
    urls += [line.split()[2] for line in out.splitlines() if line.startswith("OpenSearch stand-in: ")]
    assert len(urls) == 2 and all(url.startswith("http://127.0.0.1:") for url in urls)
    for url in urls:
        wait_for(lambda: not answers(url), timeout=10, interval=0.1, message=f"{url} to stop")


def answers(url):
    try:
        requests.get(url, timeout=2)
        return True
    except requests.ConnectionError:
        return False
