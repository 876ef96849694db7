"""DynamoDB Streams end to end: capture by every write path, view types, identity and lifecycle, shards and
lineage, iterators and their expiry, retention and trimming — time driven through the server clock."""
import pytest
from botocore.exceptions import ClientError

from conftest import Eddy, create_table, error_of

VIEW = "NEW_AND_OLD_IMAGES"


def streams_client(server):
    return server.client("dynamodbstreams")


def stream_table(ddb, name, view=VIEW, **kwargs):
    out = create_table(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **kwargs)
    return out["TableDescription"]["LatestStreamArn"]


def read_all(streams, arn, shard_id=None, iterator_type="TRIM_HORIZON"):
    """Reads a shard (the first one by default) until the end of what is there; returns the records."""
    if shard_id is None:
        shard_id = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=iterator_type)["ShardIterator"]
    records = []
    while it:
        out = streams.get_records(ShardIterator=it)
        records += out["Records"]
        if not out["Records"]:
            break
        it = out.get("NextShardIterator")
    return records


def test_every_write_path_produces_the_right_record(eddy, table_name):
    ddb, streams = eddy.client(), streams_client(eddy)
    arn = stream_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})          # INSERT
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})          # identical: none
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"N": "2"}})          # MODIFY
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "b"}})                          # INSERT (key only)
    ddb.delete_item(TableName=table_name, Key={"pk": {"S": "missing"}})                    # none
    ddb.delete_item(TableName=table_name, Key={"pk": {"S": "a"}})                          # REMOVE
    ddb.batch_write_item(RequestItems={table_name: [{"PutRequest": {"Item": {"pk": {"S": "c"}}}},
                                                    {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}}]})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table_name, "Item": {"pk": {"S": "d"}}}},
                                            {"Delete": {"TableName": table_name, "Key": {"pk": {"S": "c"}}}}])
    records = read_all(streams, arn)
    summary = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records]
    assert summary == [("INSERT", "a"), ("MODIFY", "a"), ("INSERT", "b"), ("REMOVE", "a"),
                       ("INSERT", "c"), ("REMOVE", "b"), ("INSERT", "d"), ("REMOVE", "c")]
    modify = records[1]
    assert modify["dynamodb"]["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert modify["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    assert "NewImage" not in records[3]["dynamodb"] and records[3]["dynamodb"]["OldImage"]["v"] == {"N": "2"}
    assert "OldImage" not in records[0]["dynamodb"]
    assert records[2]["dynamodb"]["NewImage"] == {"pk": {"S": "b"}}
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for r in records:
        assert r["eventVersion"] == "1.1"
        assert r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == "us-east-1"
        assert len(r["eventID"]) == 32 and int(r["eventID"], 16) >= 0
        assert r["dynamodb"]["SizeBytes"] > 0
        assert r["dynamodb"]["StreamViewType"] == VIEW
        assert "userIdentity" not in r
    assert len({r["eventID"] for r in records}) == len(records)


@pytest.mark.parametrize("view,has_new,has_old", [
    ("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True), ("NEW_AND_OLD_IMAGES", True, True)])
def test_view_types_shape_the_images(eddy, table_name, view, has_new, has_old):
    ddb, streams = eddy.client(), streams_client(eddy)
    arn = stream_table(ddb, table_name, view=view)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "k"}, "v": {"N": "1"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "k"}, "v": {"N": "2"}})
    modify = read_all(streams, arn)[1]["dynamodb"]
    assert modify["Keys"] == {"pk": {"S": "k"}}
    assert ("NewImage" in modify) == has_new
    assert ("OldImage" in modify) == has_old
    assert modify["StreamViewType"] == view


def test_stream_specification_errors(ddb, table_name):
    create_table(ddb, table_name)

    def attempt(spec):
        with pytest.raises(ClientError) as e:
            ddb.update_table(TableName=table_name, StreamSpecification=spec)
        return error_of(e)

    assert attempt({"StreamEnabled": True}) == (
        "ValidationException",
        "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")
    assert attempt({"StreamEnabled": False}) == (
        "ValidationException", f"Table has no stream to disable: TableName: {table_name}")
    ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert attempt({"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}) == (
        "ValidationException", f"Table already has an enabled stream: TableName: {table_name}")
    assert attempt({"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"}) == (
        "ValidationException",
        "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")
    code, message = attempt({"StreamEnabled": True, "StreamViewType": "Fisk"})
    assert code == "ValidationException"


def test_disable_and_reenable_mint_a_new_stream(eddy, table_name):
    ddb, streams = eddy.client(), streams_client(eddy)
    first = stream_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "1"}})
    out = ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert "StreamSpecification" not in out
    assert out["LatestStreamArn"] == first
    desc = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert desc["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in desc["Shards"])
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "2"}})  # no stream: no record anywhere
    out = ddb.update_table(TableName=table_name,
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    second = out["LatestStreamArn"]
    assert second != first
    assert out["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "3"}})
    old_records = read_all(streams, first)
    new_records = read_all(streams, second)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in old_records] == ["1"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in new_records] == ["3"]
    assert int(new_records[0]["dynamodb"]["SequenceNumber"]) > int(old_records[0]["dynamodb"]["SequenceNumber"])
    listed = streams.list_streams(TableName=table_name)["Streams"]
    assert [s["StreamArn"] for s in listed] == [first, second]


def test_deleted_table_stream_stays_readable_and_recreated_table_gets_a_new_one(eddy, table_name):
    ddb, streams = eddy.client(), streams_client(eddy)
    first = stream_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "before"}})
    ddb.delete_table(TableName=table_name)
    assert streams.describe_stream(StreamArn=first)["StreamDescription"]["StreamStatus"] == "DISABLED"
    second = stream_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "after"}})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, first)] == ["before"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, second)] == ["after"]
    arns = [s["StreamArn"] for s in streams.list_streams(TableName=table_name)["Streams"]]
    assert arns == [first, second]


def test_list_streams_paging_and_limits(eddy, table_name):
    ddb, streams = eddy.client(), streams_client(eddy)
    for i in range(3):
        stream_table(ddb, f"{table_name}-{i}")
    page = streams.list_streams(Limit=1)
    assert len(page["Streams"]) == 1 and "LastEvaluatedStreamArn" in page
    nxt = streams.list_streams(Limit=1, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])
    assert nxt["Streams"][0]["StreamArn"] != page["Streams"][0]["StreamArn"]
    with pytest.raises(ClientError) as e:
        eddy.client("dynamodbstreams", validate=False).list_streams(Limit=0)
    assert error_of(e)[0] == "ValidationException"
    # DynamoDB's page holds at most 100 streams, and it refuses a larger Limit (the model has no bound).
    with pytest.raises(ClientError) as e:
        eddy.client("dynamodbstreams", validate=False).list_streams(Limit=101)
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100",
    )
    assert "Streams" in streams.list_streams(Limit=100)
    assert streams.list_streams(TableName="no-such-table-here")["Streams"] == []


def test_describe_unknown_and_malformed_streams(eddy, table_name):
    streams = streams_client(eddy)
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}/stream/2020-01-01T00:00:00.000"
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=arn)
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found")
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn="not-an-arn-at-all-but-long-enough-to-pass-len")
    assert error_of(e)[0] == "ValidationException"


def test_iterator_types_and_their_validation(eddy, table_name):
    ddb, streams = eddy.client(), streams_client(eddy)
    arn = stream_table(ddb, table_name)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{i}"}})
    records = read_all(streams, arn)
    second_seq = records[1]["dynamodb"]["SequenceNumber"]

    def keys(iterator):
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=iterator)["Records"]]

    at = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    SequenceNumber=second_seq)["ShardIterator"]
    after = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                       SequenceNumber=second_seq)["ShardIterator"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    assert keys(at) == ["k1", "k2"]
    assert keys(after) == ["k2"]
    assert keys(latest) == []
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "k3"}})
    assert keys(latest) == ["k3"], "a LATEST iterator sees writes made after it was taken"
    out = streams.get_records(ShardIterator=latest, Limit=1)
    assert len(out["Records"]) == 1 and out["NextShardIterator"]

    def attempt(**kwargs):
        with pytest.raises(ClientError) as e:
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **kwargs)
        return error_of(e)[0]

    assert attempt(ShardIteratorType="AT_SEQUENCE_NUMBER") == "ValidationException"
    assert attempt(ShardIteratorType="LATEST", SequenceNumber=second_seq) == "ValidationException"
    assert attempt(ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber="12345678901234567890x") == "ValidationException"
    assert attempt(ShardIteratorType="SOMEWHERE") == "ValidationException"
    with pytest.raises(ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                   ShardIteratorType="LATEST")
    # AWS's words for a shard that is not (or no longer) there, as production logs quote them.
    assert error_of(e) == ("ResourceNotFoundException", "Requested resource not found: Shard does not exist")
    raw = eddy.client("dynamodbstreams", validate=False)
    for bad_limit in (0, 1001):
        with pytest.raises(ClientError) as e:
            raw.get_records(ShardIterator=latest, Limit=bad_limit)
        assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        streams.get_records(ShardIterator="garbage")
    assert error_of(e)[0] == "ValidationException"


def test_rollover_lineage_and_end_of_closed_shard(eddy, table_name):
    ddb, streams = eddy.client(), streams_client(eddy)
    arn = stream_table(ddb, table_name)
    parent = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    for i in range(5):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"before{i}"}})
    out = eddy.control("POST", "/_eddy/streams/rollover", {"StreamArn": arn, "children": 2})
    assert out["closedShards"] == [parent] and len(out["openedShards"]) == 2
    for i in range(40):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"after{i}"}})
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert shards[0]["ShardId"] == parent
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    children = [s for s in shards if s.get("ParentShardId") == parent]
    assert len(children) == 2 and all("EndingSequenceNumber" not in c["SequenceNumberRange"] for c in children)
    filtered = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": parent})
    assert sorted(s["ShardId"] for s in filtered["StreamDescription"]["Shards"]) == sorted(c["ShardId"] for c in children)
    # The closed parent is read to its end: the last page has no NextShardIterator.
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=parent, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = streams.get_records(ShardIterator=it)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in out["Records"]] == [f"before{i}" for i in range(5)]
    assert "NextShardIterator" not in out
    after = []
    for child in children:
        after += [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn, child["ShardId"])]
    assert sorted(after) == sorted(f"after{i}" for i in range(40))
    # Paging shards.
    page = streams.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]
    assert len(page["Shards"]) == 1 and page["LastEvaluatedShardId"] == parent


def test_per_key_order_within_one_shard_across_many_shards(tmp_path, table_name):
    server = Eddy(data_dir=str(tmp_path / "d"), extra_args=["--stream-shards", "4"]).start()
    try:
        ddb, streams = server.client(), streams_client(server)
        arn = stream_table(ddb, table_name)
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) == 4
        for round_ in range(5):
            for key in range(20):
                ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{key}"}, "round": {"N": str(round_)}})
        owner = {}
        for shard in shards:
            for r in read_all(streams, arn, shard["ShardId"]):
                key = r["dynamodb"]["Keys"]["pk"]["S"]
                assert owner.setdefault(key, shard["ShardId"]) == shard["ShardId"], "one key, one shard"
                owner.setdefault(("rounds", key), []).append(int(r["dynamodb"]["NewImage"]["round"]["N"]))
        for key in range(20):
            assert owner[("rounds", f"k{key}")] == [0, 1, 2, 3, 4]
        assert len({v for k, v in owner.items() if isinstance(k, str)}) > 1, "keys spread over shards"
    finally:
        server.kill()


def test_iterators_expire_after_fifteen_minutes(fresh_eddy, table_name):
    ddb, streams = fresh_eddy.client(), streams_client(fresh_eddy)
    arn = stream_table(ddb, table_name)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    fresh_eddy.control("POST", "/_eddy/clock", {"paused": True})
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 14 * 60})
    streams.get_records(ShardIterator=it)  # still valid, and reusable
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 2 * 60})
    with pytest.raises(ClientError) as e:
        streams.get_records(ShardIterator=it)
    assert error_of(e)[0] == "ExpiredIteratorException"


def test_retention_trims_records_and_frees_them(fresh_eddy, table_name):
    ddb, streams = fresh_eddy.client(), streams_client(fresh_eddy)
    arn = stream_table(ddb, table_name)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    fresh_eddy.control("POST", "/_eddy/clock", {"paused": True})
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"old{i}"}})
    old = read_all(streams, arn)
    first_seq = old[0]["dynamodb"]["SequenceNumber"]
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 23 * 3600})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "new"}})
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 2 * 3600})
    with pytest.raises(ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                   SequenceNumber=first_seq)
    assert error_of(e) == ("TrimmedDataAccessException", "The data you are trying to access has been trimmed")
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)] == ["new"]
    trimmed = fresh_eddy.control("POST", "/_eddy/streams/trim")
    assert trimmed["trimmed"] in (0, 3)  # the background trimmer may have got there first
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)] == ["new"]


def test_disabled_stream_disappears_after_retention(fresh_eddy, table_name):
    ddb, streams = fresh_eddy.client(), streams_client(fresh_eddy)
    arn = stream_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "x"}})
    fresh_eddy.control("POST", "/_eddy/clock", {"paused": True})
    ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 25 * 3600})
    fresh_eddy.control("POST", "/_eddy/streams/trim")
    assert streams.list_streams(TableName=table_name)["Streams"] == []
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=arn)
    assert error_of(e)[0] == "ResourceNotFoundException"


def test_ttl_deletes_carry_the_service_identity(fresh_eddy, table_name):
    ddb, streams = fresh_eddy.client(), streams_client(fresh_eddy)
    arn = stream_table(ddb, table_name)
    ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = fresh_eddy.control("POST", "/_eddy/clock", {"paused": True})["now"] // 1000
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "soon"}, "exp": {"N": str(now + 60)}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "later"}, "exp": {"N": str(now + 3600)}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "never"}, "exp": {"S": "not a number"}})
    assert fresh_eddy.control("POST", "/_eddy/ttl/sweep") == {"deleted": 0}
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 120})
    assert fresh_eddy.control("POST", "/_eddy/ttl/sweep") == {"deleted": 1}
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "soon"}})
    assert "Item" in ddb.get_item(TableName=table_name, Key={"pk": {"S": "later"}})
    removes = [r for r in read_all(streams, arn) if r["eventName"] == "REMOVE"]
    assert len(removes) == 1
    assert removes[0]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert removes[0]["dynamodb"]["OldImage"]["pk"] == {"S": "soon"}


def test_sequence_numbers_keep_increasing_across_restart_and_recreation(tmp_path, table_name):
    data = str(tmp_path / "d")
    server = Eddy(data_dir=data).start()
    ddb = server.client()
    arn = stream_table(ddb, table_name)
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"a{i}"}})
    before = [int(r["dynamodb"]["SequenceNumber"]) for r in read_all(streams_client(server), arn)]
    server.kill()
    server = Eddy(data_dir=data).start()
    try:
        ddb = server.client()
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "b"}})
        after_restart = [int(r["dynamodb"]["SequenceNumber"]) for r in read_all(streams_client(server), arn)]
        assert after_restart[:3] == before and after_restart[3] > before[-1]
        ddb.delete_table(TableName=table_name)
        arn2 = stream_table(ddb, table_name)
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "c"}})
        recreated = [int(r["dynamodb"]["SequenceNumber"]) for r in read_all(streams_client(server), arn2)]
        assert recreated[0] > after_restart[-1]
    finally:
        server.kill()


def test_aws_sdk_for_javascript_consumer_follows_lineage(tmp_path, table_name):
    """A consumer built only on @aws-sdk/client-dynamodb-streams reads across two rollovers (one a split) and
    sees every change exactly once, each key's changes in order."""
    import json
    import os
    import subprocess
    js_dir = os.path.join(os.path.dirname(__file__), "js")
    if not os.path.isdir(os.path.join(js_dir, "node_modules", "@aws-sdk", "client-dynamodb-streams")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=js_dir, check=True, timeout=300)
    server = Eddy(data_dir=str(tmp_path / "d"), extra_args=["--stream-shards", "2"]).start()
    try:
        ddb = server.client()
        arn = stream_table(ddb, table_name)
        expected = []

        def write_round(n):
            for key in range(10):
                ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{key}"}, "v": {"N": str(n)}})
                expected.append((f"k{key}", str(n)))

        write_round(1)
        server.control("POST", "/_eddy/streams/rollover", {"StreamArn": arn, "children": 2})
        write_round(2)
        server.control("POST", "/_eddy/streams/rollover", {"StreamArn": arn})
        write_round(3)
        proc = subprocess.run(["node", "stream_consumer.mjs", server.endpoint, arn, str(len(expected))],
                              cwd=js_dir, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        seen = [json.loads(line) for line in proc.stdout.splitlines()]
        assert len(seen) == len(expected), "no record missed or duplicated"
        assert sorted((r["key"], r["version"]) for r in seen) == sorted(expected)
        for key in range(10):
            versions = [r["version"] for r in seen if r["key"] == f"k{key}"]
            assert versions == ["1", "2", "3"], f"k{key} in order across shards"
        assert len({r["shard"] for r in seen}) >= 4, "records came from parents and children"
    finally:
        server.kill()


def test_cli_reads_a_stream(eddy, table_name):
    eddy.aws("dynamodb", "create-table", "--table-name", table_name,
             "--attribute-definitions", "AttributeName=pk,AttributeType=S",
             "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
             "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES")
    eddy.aws("dynamodb", "put-item", "--table-name", table_name, "--item", '{"pk":{"S":"cli"}}')
    arn = eddy.aws("dynamodb", "describe-table", "--table-name", table_name)["Table"]["LatestStreamArn"]
    assert [s["StreamArn"] for s in eddy.aws("dynamodbstreams", "list-streams", "--table-name", table_name)["Streams"]] == [arn]
    shard = eddy.aws("dynamodbstreams", "describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = eddy.aws("dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                  "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    records = eddy.aws("dynamodbstreams", "get-records", "--shard-iterator", it)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in records] == [("INSERT", {"pk": {"S": "cli"}})]
    proc = eddy.aws("dynamodb", "update-table", "--table-name", table_name, "--stream-specification",
                    "StreamEnabled=true,StreamViewType=KEYS_ONLY", check=False)
    assert proc.returncode != 0 and f"Table already has an enabled stream: TableName: {table_name}" in proc.stderr
