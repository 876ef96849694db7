"""Event source mappings, delivery: real Node.js and Python handlers receive a table's stream records as
Lambda's DynamoDB event — batch sizes, the 6 MB payload cut, the batching window on the server clock, LATEST and
TRIM_HORIZON, ParallelizationFactor lanes in flight together with per-key order, filters on DynamoDB-typed
values, tumbling windows, disable/enable resuming from the checkpoint, and a re-created table."""
import json

import pytest

from conftest import Eddy, wait_for
from esm_support import Rig, metric


@pytest.fixture
def private():
    """An eddy of the test's own: tests that steer the server clock must not steer everyone's."""
    server = Eddy(in_memory=True).start()
    yield server
    server.stop()


def raw_stream_records(rig):
    """The stream's records as GetRecords returns them, with ApproximateCreationDateTime as the epoch seconds
    of the wire (boto3 turns it into a datetime)."""
    streams = rig.server.client("dynamodbstreams")
    out = []
    for shard in streams.describe_stream(StreamArn=rig.stream_arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=rig.stream_arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for r in streams.get_records(ShardIterator=it)["Records"]:
            r["dynamodb"]["ApproximateCreationDateTime"] = int(r["dynamodb"]["ApproximateCreationDateTime"].timestamp())
            out.append(r)
    return out


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_trim_horizon_batches_of_batch_size_carry_lambdas_event(eddy, tmp_path, runtime):
    rig = Rig(eddy, tmp_path, runtime)
    rig.put_many([(f"k{i}", {"n": i}) for i in range(7)])
    rig.ddb.update_item(TableName=rig.table, Key={"pk": {"S": "k1"}}, UpdateExpression="SET n = :n",
                        ExpressionAttributeValues={":n": {"N": "100"}})
    rig.ddb.delete_item(TableName=rig.table, Key={"pk": {"S": "k2"}})
    rig.map(StartingPosition="TRIM_HORIZON", BatchSize=3)
    batches = rig.wait_batches(3)
    assert [len(b["seqs"]) for b in batches] == [3, 3, 3]
    stream = raw_stream_records(rig)
    assert rig.delivered() == [r["dynamodb"]["SequenceNumber"] for r in stream]
    assert [n for b in batches for n in b["names"]] == ["INSERT"] * 7 + ["MODIFY", "REMOVE"]
    delivered = [r for b in batches for r in b["records"]]
    for got, want in zip(delivered, stream):
        # Lambda's record is the GetRecords record plus the stream ARN.
        assert got == {**want, "eventSourceARN": rig.stream_arn}
    modify = delivered[7]
    assert modify["dynamodb"]["OldImage"] == {"pk": {"S": "k1"}, "n": {"N": "1"}}
    assert modify["dynamodb"]["NewImage"] == {"pk": {"S": "k1"}, "n": {"N": "100"}}
    assert delivered[8]["dynamodb"]["OldImage"]["pk"] == {"S": "k2"} and "NewImage" not in delivered[8]["dynamodb"]
    # Members in Lambda's order, as a handler printing the event sees them.
    assert list(delivered[0]) == ["eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                                  "eventSourceARN"]
    for r in delivered:
        assert (r["eventSource"], r["eventVersion"], r["awsRegion"]) == ("aws:dynamodb", "1.1", "us-east-1")
        # A JSON number with a fraction, as AWS sends it (a Python handler gets a float; JavaScript prints it whole).
        assert isinstance(r["dynamodb"]["ApproximateCreationDateTime"], float if runtime == "python" else int)
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert all(b["extra"] == {} for b in batches)


def test_a_batch_larger_than_one_read_of_the_stream(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node")
    rig.control(omitImages=True)
    items = [{"PutRequest": {"Item": {"pk": {"S": f"many-{i:04d}"}}}} for i in range(1100)]
    for i in range(0, len(items), 25):
        rig.ddb.batch_write_item(RequestItems={rig.table: items[i:i + 25]})
    # GetRecords returns at most 1000 records; a batch of up to 10000 gathers several reads.
    rig.map(StartingPosition="TRIM_HORIZON", BatchSize=10000)
    rig.wait_delivered(1100)
    assert [len(b["seqs"]) for b in rig.batches()] == [1100]
    assert rig.delivered() == rig.stream_seqs()


def test_latest_sees_only_records_written_after_the_mapping(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node")
    rig.put_many([("before-1", {}), ("before-2", {})])
    rig.map(StartingPosition="LATEST")
    other = Rig(eddy, tmp_path, "python", table=False)
    other.table, other.stream_arn = rig.table, rig.stream_arn
    other.map(StartingPosition="TRIM_HORIZON")
    rig.put_many([("after-1", {}), ("after-2", {})])
    rig.wait_delivered(2)
    other.wait_delivered(4)
    assert sorted(rig.delivered_pks()) == ["after-1", "after-2"]
    assert other.delivered_pks() == ["before-1", "before-2", "after-1", "after-2"]


def test_the_payload_is_cut_at_six_megabytes(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    rig.control(omitImages=True)
    blob = "x" * (350 * 1024)
    for i in range(20):
        rig.ddb.put_item(TableName=rig.table, Item={"pk": {"S": f"big-{i:02d}"}, "blob": {"S": blob}})
    rig.map(StartingPosition="TRIM_HORIZON", BatchSize=100)
    rig.wait_delivered(20, timeout=30)
    batches = rig.batches()
    assert [len(b["seqs"]) for b in batches] == [17, 3]
    limit = 6 * 1024 * 1024
    assert all(b["bytes"] <= limit for b in batches)
    # One more record would not have fitted into the first batch.
    per_record = (batches[0]["bytes"] - len('{"Records":[]}')) / 17
    assert batches[0]["bytes"] + per_record > limit
    assert rig.delivered_pks() == [f"big-{i:02d}" for i in range(20)]


def test_batching_window_counts_from_the_first_record_on_the_server_clock(private, tmp_path):
    rig = Rig(private, tmp_path, "python")
    rig.clock(paused=True)
    rig.map(BatchSize=5, MaximumBatchingWindowInSeconds=10)
    rig.put("w1")
    rig.clock(advanceSeconds=6)
    rig.put("w2")
    rig.clock(advanceSeconds=3.9)
    rig.put("w3")
    assert rig.batches() == []
    # 10 s after the first record (not after the last) the batch goes, with everything that arrived meanwhile.
    rig.clock(advanceMs=100)
    rig.wait_batches(1)
    assert rig.batches()[0]["pks"] == ["w1", "w2", "w3"]
    # IteratorAge: the age of the batch's last record when the batch was sent (the clock stood still since).
    assert metric(private, "eddy_lambda_iterator_age_milliseconds", function_name=rig.function) == 100
    # A full batch does not wait for the window.
    rig.put_many([(f"f{i}", {}) for i in range(5)])
    rig.wait_batches(2)
    assert rig.batches()[1]["pks"] == [f"f{i}" for i in range(5)]
    # A lone record waits for the whole window.
    rig.put("lone")
    rig.clock(advanceSeconds=9)
    rig.put("lone-2")
    assert len(rig.batches()) == 2
    rig.clock(advanceSeconds=1)
    rig.wait_batches(3)
    assert rig.batches()[2]["pks"] == ["lone", "lone-2"]


def test_parallelization_factor_runs_ten_lanes_at_once_keeping_per_key_order(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node", timeout=20)
    keys = [f"p{i:03d}" for i in range(200)]
    for version in range(3):
        items = [{"PutRequest": {"Item": {"pk": {"S": k}, "v": {"N": str(version)}}}} for k in keys]
        for i in range(0, len(items), 25):
            rig.ddb.batch_write_item(RequestItems={rig.table: items[i:i + 25]})
    # Each invocation waits until ten have started: only lanes really in flight together get past it quickly.
    rig.control(barrier=10, barrierMs=10000, omitImages=True)
    rig.map(StartingPosition="TRIM_HORIZON", BatchSize=20, ParallelizationFactor=10)
    rig.wait_delivered(600, timeout=60)
    batches = rig.batches()
    first_wave = sorted(batches, key=lambda b: b["t0"])[:10]
    assert all(b["sawStarts"] >= 10 for b in first_wave), [b["sawStarts"] for b in first_wave]
    # Never more than ParallelizationFactor batches of the shard overlap (the handlers' clocks have millisecond
    # resolution, so an end and a start at the same instant do not count as overlapping).
    edges = sorted([(b["t0"], 1) for b in batches] + [(b["t1"], -1) for b in batches], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, d in edges:
        running += d
        peak = max(peak, running)
    assert peak <= 10
    assert len(rig.delivered()) == 600 and len(set(rig.delivered())) == 600
    wait_for(lambda: metric(eddy, "eddy_lambda_concurrent_executions", function_name=rig.function) == 0,
             message="no invocation left in flight")
    assert metric(eddy, "eddy_lambda_invocations_total", function_name=rig.function) == len(batches)
    # Per key, versions arrive in order; every key stays in one lane (its batches never interleave).
    versions = {}
    for b in sorted(batches, key=lambda b: b["t0"]):
        for seq, pk in zip(b["seqs"], b["pks"]):
            versions.setdefault(pk, []).append(seq)
    assert set(versions) == set(keys)
    for pk, seqs in versions.items():
        assert seqs == sorted(seqs, key=int), pk
        assert len(seqs) == 3


def put_item(rig, item):
    rig.ddb.put_item(TableName=rig.table, Item=item)


def test_filters_on_typed_values_drop_records_advance_the_checkpoint_and_are_counted(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    def on_image(attrs):
        return json.dumps({"dynamodb": {"NewImage": attrs}})

    patterns = [
        on_image({"status": {"S": ["DONE"]}}),
        on_image({"name": {"S": [{"prefix": "pre-"}]}}),
        on_image({"file": {"S": [{"suffix": ".png"}]}}),
        on_image({"who": {"S": [{"equals-ignore-case": "alice"}]}}),
        on_image({"kind": {"S": [{"anything-but": ["skip", "ignore"]}]}, "flag": {"BOOL": [True]}}),
        json.dumps({"dynamodb": {"Keys": {"pk": {"S": [{"wildcard": "w-*-x"}]}}}}),
        json.dumps({"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"NewImage": {"tier": {"S": ["gold"]}}}},
                            {"dynamodb": {"NewImage": {"vip": {"S": [{"exists": True}]}}}}]}),
        json.dumps({"dynamodb": {"ApproximateCreationDateTime": [{"numeric": [">", 1000000000]}],
                                 "NewImage": {"num": {"N": ["42"]}}}}),
        # `exists` sees leaves only: an attribute's {"S": ...} is not one, so `untyped` counts as absent even when
        # the item has it (AWS-recorded); `absent` is written with its type.
        on_image({"mark": {"S": ["m"]}, "absent": {"S": [{"exists": False}]}, "untyped": [{"exists": False}]}),
        # Never matches: without the type wrapper, and `numeric` on an N value (a string in the event).
        json.dumps({"$or": [{"dynamodb": {"NewImage": {"plain": ["x"]}}},
                            {"dynamodb": {"NewImage": {"num": {"N": [{"numeric": ["=", 43]}]}}}}]}),
    ]
    uuid_ = rig.map(FilterCriteria={"Filters": [{"Pattern": p} for p in patterns]},
                    MetricsConfig={"Metrics": ["EventCount"]})["UUID"]
    S = lambda v: {"S": v}  # noqa: E731
    cases = [
        ({"pk": S("f01"), "status": S("DONE")}, True),
        ({"pk": S("f02"), "status": S("done")}, False),
        ({"pk": S("f03"), "name": S("pre-x")}, True),
        ({"pk": S("f04"), "name": S("xpre-")}, False),
        ({"pk": S("f05"), "file": S("cat.png")}, True),
        ({"pk": S("f06"), "file": S("cat.png.txt")}, False),
        ({"pk": S("f07"), "who": S("ALICE")}, True),
        ({"pk": S("f08"), "kind": S("keep"), "flag": {"BOOL": True}}, True),
        ({"pk": S("f09"), "kind": S("skip"), "flag": {"BOOL": True}}, False),
        ({"pk": S("f10"), "kind": S("keep"), "flag": {"BOOL": False}}, False),
        ({"pk": S("w-1-x")}, True),
        ({"pk": S("w-1-y")}, False),
        ({"pk": S("f11"), "tier": S("gold")}, True),
        ({"pk": S("f12"), "vip": S("1")}, True),
        ({"pk": S("f13"), "num": {"N": "42"}}, True),
        ({"pk": S("f14"), "num": {"N": "43"}}, False),
        ({"pk": S("f15"), "mark": S("m")}, True),
        ({"pk": S("f16"), "mark": S("m"), "absent": S("here")}, False),
        ({"pk": S("f17"), "plain": S("x")}, False),
        ({"pk": S("f18"), "mark": S("m"), "untyped": S("present")}, True),
    ]
    for item, _ in cases:
        put_item(rig, item)
    rig.ddb.delete_item(TableName=rig.table, Key={"pk": S("f02")})
    put_item(rig, {"pk": S("zz-last"), "status": S("nope")})
    expected = [item["pk"]["S"] for item, match in cases if match] + ["f02"]
    rig.wait_delivered(len(expected))
    all_seqs = rig.stream_seqs()
    # The last record was filtered out, yet the checkpoint moved past it.
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == all_seqs[-1], message="checkpoint at end")
    assert rig.delivered_pks() == expected
    assert rig.batches()[-1]["names"][-1] == "REMOVE"
    labels = {"event_source_mapping_uuid": uuid_}
    assert metric(rig.server, "eddy_esm_filtered_out_events_total", **labels) == len(all_seqs) - len(expected)
    assert metric(rig.server, "eddy_esm_polled_events_total", **labels) == len(all_seqs)
    assert metric(rig.server, "eddy_esm_invoked_events_total", **labels) == len(expected)


def test_tumbling_window_state_is_carried_and_finished_on_the_server_clock(private, tmp_path):
    rig = Rig(private, tmp_path, "node")
    rig.clock(paused=True)
    now = private.control("GET", "/_eddy/clock")["now"]
    # Start well inside a window so the writes below share it.
    rig.clock(advanceMs=(60_000 - now % 60_000) + 5_000)
    start_ms = private.control("GET", "/_eddy/clock")["now"] // 60_000 * 60_000
    rig.map(TumblingWindowInSeconds=60, BatchSize=2)
    rig.put_many([(f"t{i}", {}) for i in range(5)])
    wait_for(lambda: sum(len(b["seqs"]) for b in rig.batches()) >= 5, message="window records")
    batches = rig.batches()
    assert not any(b["extra"]["isFinalInvokeForWindow"] for b in batches)
    from datetime import datetime, timezone

    def iso(ms):
        return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    window = {"start": iso(start_ms), "end": iso(start_ms + 60_000)}
    seen = []
    for b in batches:
        extra = b["extra"]
        assert list(extra) == ["window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow",
                               "isWindowTerminatedEarly"]
        assert extra["window"] == window
        assert extra["shardId"] and extra["eventSourceARN"] == rig.stream_arn
        assert extra["isWindowTerminatedEarly"] is False
        # The state is what the previous invocation of this window returned.
        assert extra["state"] == ({} if not seen else {"count": len(seen), "seqs": seen})
        seen = seen + b["seqs"]
    # The window ends by the server clock: a final invocation carries the whole state.
    rig.clock(advanceSeconds=60)
    final = wait_for(lambda: [b for b in rig.batches() if b["extra"]["isFinalInvokeForWindow"]],
                     message="the final invocation")[0]
    assert final["seqs"] == [] and final["extra"]["window"] == window
    assert final["extra"]["state"] == {"count": 5, "seqs": seen}
    assert seen == rig.stream_seqs()
    # A record of the next window starts with a fresh state.
    rig.put("next")
    nxt = wait_for(lambda: [b for b in rig.batches() if b["pks"] == ["next"]], message="next window")[0]
    assert nxt["extra"]["state"] == {}
    assert nxt["extra"]["window"] == {"start": iso(start_ms + 60_000), "end": iso(start_ms + 120_000)}


def test_a_state_over_one_megabyte_terminates_the_window_early(private, tmp_path):
    rig = Rig(private, tmp_path, "node")
    rig.clock(paused=True)
    now = private.control("GET", "/_eddy/clock")["now"]
    rig.clock(advanceMs=(60_000 - now % 60_000) + 5_000)
    rig.control(bigStateBytes=1_100_000, omitImages=True)
    rig.map(TumblingWindowInSeconds=60, BatchSize=1)
    rig.put("e0")
    early = wait_for(lambda: [b for b in rig.batches() if b["extra"]["isFinalInvokeForWindow"]],
                     message="the early final invocation")[0]
    first = rig.batches()[0]
    # The invocation that let the state outgrow 1 MB is followed by a final one flagged as terminated early,
    # carrying that state; the window then goes on with a fresh state.
    assert first["pks"] == ["e0"] and first["extra"]["isWindowTerminatedEarly"] is False
    assert early["seqs"] == [] and early["extra"]["isWindowTerminatedEarly"] is True
    assert early["extra"]["state"]["count"] == 1 and len(early["extra"]["state"]["pad"]) == 1_100_000
    rig.control(omitImages=True)
    rig.put("e1")
    after = wait_for(lambda: [b for b in rig.batches() if b["pks"] == ["e1"]], message="the next record")[0]
    assert after["extra"]["state"] == {} and after["extra"]["window"] == first["extra"]["window"]
    rig.clock(advanceSeconds=60)
    final = wait_for(lambda: [b for b in rig.batches() if b["extra"]["isFinalInvokeForWindow"]
                              and not b["extra"]["isWindowTerminatedEarly"]], message="the window's end")[0]
    assert final["extra"]["state"] == {"count": 1, "seqs": [after["seqs"][0]]}


def test_a_window_response_without_state_fails_the_invocation(private, tmp_path):
    rig = Rig(private, tmp_path, "python")
    rig.control(noState=True)
    uuid_ = rig.map(TumblingWindowInSeconds=30, MaximumRetryAttempts=0)["UUID"]
    rig.put("s1")
    rig.wait_batches(1)
    # With no retries allowed the failed batch is discarded: the checkpoint passes it, after one invocation.
    seq = rig.stream_seqs()[0]
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == seq, message="the record discarded")
    shard = rig.explain(uuid_)["shards"][0]
    assert shard["lastResult"] == "PROBLEM: Function call failed"
    assert rig.delivered() == [seq]


def test_disable_keeps_the_checkpoint_and_enable_resumes_after_it(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    uuid_ = rig.map(StartingPosition="TRIM_HORIZON")["UUID"]
    rig.put_many([(f"a{i}", {}) for i in range(3)])
    rig.wait_delivered(3)
    rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=False)
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
    rig.put_many([(f"b{i}", {}) for i in range(3)])
    view = rig.explain(uuid_)
    assert view["State"] == "Disabled"
    assert len(rig.delivered()) == 3
    rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    rig.wait_delivered(6)
    rig.put("c0")
    rig.wait_delivered(7)
    # Nothing redelivered, nothing skipped, in order.
    assert rig.delivered_pks() == ["a0", "a1", "a2", "b0", "b1", "b2", "c0"]
    assert rig.delivered() == rig.stream_seqs()


def test_a_recreated_table_has_a_new_stream_the_old_mapping_never_reads(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    old_stream = rig.stream_arn
    old = rig.map(StartingPosition="TRIM_HORIZON")["UUID"]
    rig.put("old-1")
    rig.wait_delivered(1)
    rig.ddb.delete_table(TableName=rig.table)
    wait_for(lambda: rig.table not in rig.ddb.list_tables()["TableNames"], message="table deleted")
    _, new_stream = rig.make_table(name=rig.table)
    assert new_stream != old_stream
    # A second function maps the new stream; the first keeps its mapping of the old one.
    fresh = Rig(eddy, tmp_path, "node", table=False)
    fresh.table, fresh.stream_arn = rig.table, new_stream
    fresh.map(StartingPosition="TRIM_HORIZON")
    rig.put_many([("new-1", {}), ("new-2", {})])
    fresh.wait_delivered(2)
    assert fresh.delivered_pks() == ["new-1", "new-2"]
    assert rig.lam.get_event_source_mapping(UUID=old)["EventSourceArn"] == old_stream
    assert rig.delivered_pks() == ["old-1"]
    # Even a mapping of the same function on the new stream is a new mapping, not the old one.
    newer = rig.lam.create_event_source_mapping(EventSourceArn=new_stream, FunctionName=rig.function,
                                                 StartingPosition="TRIM_HORIZON")["UUID"]
    rig.wait_delivered(3)
    assert rig.delivered_pks() == ["old-1", "new-1", "new-2"]
    assert newer != old


def test_parent_shards_are_finished_before_their_children(eddy, tmp_path):
    from esm_support import stream_records

    rig = Rig(eddy, tmp_path, "node")
    uuid_ = rig.map(StartingPosition="TRIM_HORIZON", BatchSize=3, Enabled=False)["UUID"]
    keys = [f"s{i}" for i in range(8)]
    rig.put_many([(k, {"v": 0}) for k in keys])
    rolled = eddy.control("POST", "/_eddy/streams/rollover", {"StreamArn": rig.stream_arn, "children": 2})
    [parent] = rolled["closedShards"]
    assert len(rolled["openedShards"]) == 2
    rig.put_many([(k, {"v": 1}) for k in keys])
    rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    rig.wait_delivered(16)
    records = stream_records(rig)
    parent_seqs = {s for s, _, shard in records if shard == parent}
    assert len(parent_seqs) == 8
    batches = rig.batches()
    assert all(set(b["seqs"]) <= parent_seqs or not set(b["seqs"]) & parent_seqs for b in batches)
    parent_done = max(b["t1"] for b in batches if set(b["seqs"]) <= parent_seqs)
    assert all(b["t0"] >= parent_done for b in batches if not set(b["seqs"]) & parent_seqs)
    for k in keys:
        versions = [r["dynamodb"]["NewImage"]["v"]["N"] for b in batches for r in b["records"]
                    if r["dynamodb"]["Keys"]["pk"]["S"] == k]
        assert versions == ["0", "1"], k
    view = wait_for(lambda: (v := rig.explain(uuid_)) and len(v["shards"]) == 3 and v, message="three shards")
    by_id = {s["shardId"]: s for s in view["shards"]}
    assert by_id[parent]["parentShardId"] is None
    assert {s["parentShardId"] for sid, s in by_id.items() if sid != parent} == {parent}


def test_an_update_applies_to_the_records_still_to_come(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    uuid_ = rig.map(StartingPosition="TRIM_HORIZON", BatchSize=10, Enabled=False)["UUID"]
    rig.put_many([(f"u{i}", {}) for i in range(4)])
    other = Rig(eddy, tmp_path, "node", table=False)
    out = rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=True, BatchSize=2, FunctionName=other.function)
    assert out["FunctionArn"] == other.function_arn and out["State"] == "Enabling"
    other.wait_delivered(4)
    assert [b["pks"] for b in other.batches()] == [["u0", "u1"], ["u2", "u3"]]
    assert rig.batches() == []


def test_disabling_and_deleting_do_not_wait_for_a_running_handler(eddy, tmp_path):
    import time

    rig = Rig(eddy, tmp_path, "python", timeout=30)
    rig.control(sleepMs=2500)
    uuid_ = rig.map()["UUID"]
    rig.put("slow-1")
    wait_for(lambda: rig.starts(), message="the handler running")
    started = time.monotonic()
    assert rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=False)["State"] == "Disabling"
    rig.put("slow-2")
    rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    assert time.monotonic() - started < 1.5
    rig.control()
    # The batch in flight completes and is not delivered again; the record written meanwhile follows.
    rig.wait_delivered(2)
    assert rig.delivered_pks() == ["slow-1", "slow-2"]
    rig.control(sleepMs=2500)
    rig.put("slow-3")
    wait_for(lambda: len(rig.starts()) == 3, message="the third invocation")
    started = time.monotonic()
    assert rig.lam.delete_event_source_mapping(UUID=uuid_)["State"] == "Deleting"
    assert time.monotonic() - started < 1.5
    with pytest.raises(rig.lam.exceptions.ResourceNotFoundException):
        rig.lam.get_event_source_mapping(UUID=uuid_)
