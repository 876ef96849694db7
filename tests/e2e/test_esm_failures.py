"""Event source mappings, failures: partial batch responses rewinding to the lowest failed record, malformed
responses failing the whole batch, bisection isolating a poison record, MaximumRetryAttempts and
MaximumRecordAgeInSeconds ending the retries with AWS's invocation record in SQS and through SNS, throttles and
a deleted function retried without spending the budget, a poison record blocking only its own lane, and the
metrics of all this. Time-based behaviour runs on the server clock of a private eddy."""
import json
import re
from datetime import datetime, timezone

import pytest

from conftest import Eddy, wait_for
from esm_support import Rig, metric, stream_records, unique


@pytest.fixture
def private():
    server = Eddy(in_memory=True).start()
    yield server
    server.stop()


def make_queue(server):
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def drain(sqs, url, n, timeout=10):
    """Receives until `n` messages arrived (without long polls: private eddies may have a paused clock)."""
    got = []

    def more():
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(got) >= n

    wait_for(more, timeout=timeout, message=f"{n} destination messages (have {len(got)})")
    return got


def queue_is_empty(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def iso_seconds(epoch_s):
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_batch_info(rig, records):
    first, last = records[0], records[-1]
    return {
        "shardId": first[2],
        "startSequenceNumber": first[0],
        "endSequenceNumber": last[0],
        "approximateArrivalOfFirstRecord": iso_seconds(first[1]),
        "approximateArrivalOfLastRecord": iso_seconds(last[1]),
        "batchSize": len(records),
        "streamArn": rig.stream_arn,
    }


def check_timestamp(record, low_ms, high_ms):
    ts = record.pop("timestamp")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts), ts
    ms = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000
    assert low_ms - 1 <= ms <= high_ms + 1


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_partial_batch_failure_rewinds_to_the_lowest_failed_record(eddy, tmp_path, runtime):
    rig = Rig(eddy, tmp_path, runtime)
    # r1 and r3 fail on their first delivery only; the response names r3 first, r1 second.
    rig.put_many([("r0", {}), ("r1", {"behave": "partial:1"}), ("r2", {}), ("r3", {"behave": "partial:1"}),
                  ("r4", {})])
    uuid_ = rig.map(StartingPosition="TRIM_HORIZON", BatchSize=5,
                    FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    rig.wait_batches(2)
    seqs = rig.stream_seqs()
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == seqs[-1], message="checkpoint at the end")
    batches = rig.batches()
    # Records before the lowest failed one are not redelivered; it and everything after it are.
    assert [b["pks"] for b in batches] == [["r0", "r1", "r2", "r3", "r4"], ["r1", "r2", "r3", "r4"]]
    assert batches[1]["seqs"] == seqs[1:]


def test_partial_failure_with_bisection_splits_at_the_failed_record(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node")
    rig.put_many([("r0", {}), ("r1", {}), ("r2", {"behave": "partial:1"}), ("r3", {})])
    rig.map(StartingPosition="TRIM_HORIZON", BatchSize=4, BisectBatchOnFunctionError=True,
            FunctionResponseTypes=["ReportBatchItemFailures"])
    rig.wait_delivered(4)
    wait_for(lambda: len(rig.batches()) >= 2, message="the retry")
    assert [b["pks"] for b in rig.batches()] == [["r0", "r1", "r2", "r3"], ["r2", "r3"]]


# An empty list is success too (AWS-recorded), a non-empty one is malformed.
SUCCESS_RESPONSES = [None, {}, [], {"batchItemFailures": []}, {"batchItemFailures": None}]
MALFORMED_RESPONSES = [
    {"batchItemFailures": [{"itemIdentifier": ""}]},
    {"batchItemFailures": [{"itemIdentifier": None}]},
    {"batchItemFailures": [{"foo": 1}]},
    {"batchItemFailures": [{"itemIdentifier": "123"}]},
    {"batchItemFailures": "everything"},
    "a string",
    [1, 2],
]


def test_malformed_partial_responses_fail_the_whole_batch_and_empty_ones_succeed(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    sqs, url, queue_arn = make_queue(eddy)
    uuid_ = rig.map(FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=0,
                    DestinationConfig={"OnFailure": {"Destination": queue_arn}})["UUID"]
    failed = []
    for i, response in enumerate(SUCCESS_RESPONSES + MALFORMED_RESPONSES):
        rig.control(respond=response)
        rig.put(f"m{i}")
        last = rig.stream_seqs()[-1]
        wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == last, message=f"response {response!r}")
        if response in MALFORMED_RESPONSES:
            failed.append(last)
    # Each malformed response failed its batch (no retries allowed, so it went to the destination at once); the
    # well-formed empty responses were successes.
    messages = drain(sqs, url, len(failed))
    infos = [json.loads(m["Body"])["DDBStreamBatchInfo"] for m in messages]
    assert sorted(i["startSequenceNumber"] for i in infos) == sorted(failed)
    assert all(i["endSequenceNumber"] == i["startSequenceNumber"] and i["batchSize"] == 1 for i in infos)
    assert len(rig.batches()) == len(SUCCESS_RESPONSES + MALFORMED_RESPONSES)
    assert queue_is_empty(sqs, url)


def test_bisection_isolates_a_poison_record_and_sends_only_it_to_the_destination(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node")
    sqs, url, queue_arn = make_queue(eddy)
    rig.put_many([(f"b{i}", {"behave": "error"} if i == 5 else {}) for i in range(8)])
    rig.map(StartingPosition="TRIM_HORIZON", BatchSize=8, BisectBatchOnFunctionError=True, MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    # Users read their dead letters with the AWS CLI.
    received = wait_for(lambda: eddy.aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5",
                                         "--attribute-names", "All").get("Messages"), message="the dead letter")
    [message] = received
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    wait_for(lambda: any(b["pks"] == ["b6", "b7"] for b in rig.batches()), message="the last half")
    b = [f"b{i}" for i in range(8)]
    # Halves are processed in order without spending retries; the lone poison record is retried once, then
    # discarded, and its neighbours all succeed.
    assert [x["pks"] for x in rig.batches()] == [b, b[:4], b[4:], b[4:6], ["b4"], ["b5"], ["b5"], b[6:]]
    record = json.loads(message["Body"])
    records = stream_records(rig)
    assert record["DDBStreamBatchInfo"] == expected_batch_info(rig, [records[5]])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["requestId"] == rig.batches()[6]["rid"]


def test_retry_exhaustion_sends_aws_invocation_record_to_sqs_and_counts_it(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node")
    sqs, url, queue_arn = make_queue(eddy)
    rig.control(fail=True)
    rig.put_many([(f"x{i}", {}) for i in range(3)])
    before = eddy.control("GET", "/_eddy/clock")["now"]
    uuid_ = rig.map(StartingPosition="TRIM_HORIZON", BatchSize=3, MaximumRetryAttempts=2,
                    DestinationConfig={"OnFailure": {"Destination": queue_arn}},
                    MetricsConfig={"Metrics": ["EventCount"]})["UUID"]
    [message] = drain(sqs, url, 1)
    after = eddy.control("GET", "/_eddy/clock")["now"]
    batches = rig.batches()
    assert [len(b["seqs"]) for b in batches] == [3, 3, 3]
    record = json.loads(message["Body"])
    check_timestamp(record, before, after)
    assert record == {
        "requestContext": {
            "requestId": batches[-1]["rid"],
            "functionArn": rig.function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "DDBStreamBatchInfo": expected_batch_info(rig, stream_records(rig)),
    }
    assert list(json.loads(message["Body"])) == ["requestContext", "responseContext", "version", "timestamp",
                                                 "DDBStreamBatchInfo"]
    # Processing goes on after the discarded batch.
    rig.control()
    rig.put("after")
    wait_for(lambda: rig.delivered_pks()[-1:] == ["after"], message="the next record")
    # metrics.md's worked example: 3 records, BatchSize 3, MaximumRetryAttempts 2, always failing, SQS OnFailure.
    fn = {"function_name": rig.function}
    m = {"event_source_mapping_uuid": uuid_}
    # The handler records "after" before its invocation completes and is counted: wait for the count.
    wait_for(lambda: (metric(eddy, "eddy_lambda_invocations_total", **fn),
                      metric(eddy, "eddy_esm_invoked_events_total", **m)) == (4, 10),
             message="the last invocation to be counted")
    assert metric(eddy, "eddy_lambda_errors_total", **fn) == 3
    assert metric(eddy, "eddy_esm_polled_events_total", **m) == 4
    assert metric(eddy, "eddy_esm_failed_invoke_events_total", **m) == 9
    assert metric(eddy, "eddy_esm_on_failure_destination_delivered_events_total", **m) == 3
    assert metric(eddy, "eddy_esm_dropped_events_total", **m) == 0
    assert metric(eddy, "eddy_lambda_duration_milliseconds_total", **fn) > 0
    wait_for(lambda: rig.lam.get_event_source_mapping(UUID=uuid_)["LastProcessingResult"] == "OK",
             message="the last batch's result")


def test_record_age_ends_retries_and_the_record_reaches_sqs_through_sns(private, tmp_path):
    rig = Rig(private, tmp_path, "python")
    sns = private.client("sns")
    sqs, url, queue_arn = make_queue(private)
    topic = sns.create_topic(Name=unique("dest"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    rig.clock(paused=True)
    rig.control(fail=True)
    uuid_ = rig.map(MaximumRecordAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": topic}})["UUID"]
    rig.put("aging")
    rig.wait_batches(1)
    # The clock stands still: the retry waits for its back-off, visible in the explain view.
    shard = wait_for(lambda: (s := rig.explain(uuid_)["shards"][0])["retries"] == 1 and s, message="a retry due")
    now = private.control("GET", "/_eddy/clock")["now"]
    assert shard["nextAttemptAt"] > now and shard["inFlight"] == 0 and shard["checkpoint"] is None
    assert shard["lastResult"] == "PROBLEM: Function call failed" and "failed on purpose" in shard["lastError"]
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["LastProcessingResult"] == "PROBLEM: Function call failed"
    rig.clock(advanceSeconds=61)
    [message] = drain(sqs, url, 1)
    envelope = json.loads(message["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert {"MessageId", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL"} <= set(
        envelope)
    record = json.loads(envelope["Message"])
    check_timestamp(record, now + 61_000, now + 61_000)
    # Aged out: no responseContext; the one invocation made is counted.
    assert record == {
        "requestContext": {"requestId": rig.batches()[0]["rid"], "functionArn": rig.function_arn,
                           "condition": "RecordAgeExceeded", "approximateInvokeCount": 1},
        "version": "1.0",
        "DDBStreamBatchInfo": expected_batch_info(rig, stream_records(rig)),
    }
    assert len(rig.batches()) == 1
    seq = rig.stream_seqs()[0]
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == seq, message="checkpoint past the record")


def test_records_too_old_when_read_are_discarded_without_an_invocation(private, tmp_path):
    rig = Rig(private, tmp_path, "node")
    sqs, url, queue_arn = make_queue(private)
    rig.clock(paused=True)
    rig.put_many([("old-1", {}), ("old-2", {})])
    rig.clock(advanceSeconds=120)
    rig.put("young")
    rig.map(StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=60,
            DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    [message] = drain(sqs, url, 1)
    rig.wait_delivered(1)
    assert rig.delivered_pks() == ["young"]
    record = json.loads(message["Body"])
    assert "responseContext" not in record
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["DDBStreamBatchInfo"] == expected_batch_info(rig, stream_records(rig)[:2])


def test_throttles_retry_without_spending_the_retry_budget(private, tmp_path):
    rig = Rig(private, tmp_path, "python")
    sqs, url, queue_arn = make_queue(private)
    rig.clock(paused=True)
    rig.lam.put_function_concurrency(FunctionName=rig.function, ReservedConcurrentExecutions=0)
    uuid_ = rig.map(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}})["UUID"]
    rig.put("throttled")
    shard = wait_for(lambda: (s := rig.explain(uuid_)["shards"][0])["lastResult"] and s, message="a throttle")
    assert shard["lastResult"] == "PROBLEM: Lambda function throttled" and shard["nextAttemptAt"]
    # Several throttled attempts, none of them spending the (zero) retry budget.
    rig.clock(advanceSeconds=1)
    wait_for(lambda: metric(private, "eddy_lambda_throttles_total", function_name=rig.function) >= 2,
             message="a second throttle")
    rig.lam.delete_function_concurrency(FunctionName=rig.function)
    rig.clock(advanceSeconds=60)
    rig.wait_delivered(1)
    assert rig.delivered_pks() == ["throttled"]
    assert queue_is_empty(sqs, url)
    # The mapping counts an invocation when its result comes back, a moment after the handler's own effect.
    wait_for(lambda: metric(private, "eddy_lambda_invocations_total", function_name=rig.function) >= 1,
             message="the invocation to be counted")
    assert metric(private, "eddy_lambda_invocations_total", function_name=rig.function) == 1


def test_a_deleted_function_is_an_invocation_error_until_it_exists_again(private, tmp_path):
    rig = Rig(private, tmp_path, "node")
    sqs, url, queue_arn = make_queue(private)
    rig.clock(paused=True)
    uuid_ = rig.map(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}})["UUID"]
    rig.lam.delete_function(FunctionName=rig.function)
    rig.put("waiting")
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["lastResult"] == "PROBLEM: Function not found",
             message="function not found")
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["State"] == "Enabled"
    # The same name again: the mapping (bound to the function ARN) delivers the record it kept.
    from esm_support import ROLE, zip_dir
    rig.lam.create_function(FunctionName=rig.function, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                            Code={"ZipFile": zip_dir("esm-node")},
                            Environment={"Variables": {"ESM_LOG": rig.log, "ESM_CONTROL": rig.control_path}})
    rig.clock(advanceSeconds=60)
    rig.wait_delivered(1)
    assert rig.delivered_pks() == ["waiting"]
    assert queue_is_empty(sqs, url)


def test_a_failing_batch_blocks_only_its_own_lane(private, tmp_path):
    rig = Rig(private, tmp_path, "python")
    rig.clock(paused=True)
    rig.map(ParallelizationFactor=10, BatchSize=1)
    rig.put("poison", behave="error:1", v=1)
    rig.wait_batches(1)
    others = [f"o{i:02d}" for i in range(30)]
    rig.put_many([(k, {"v": 1}) for k in others])
    rig.put("poison", v=2)
    # Other lanes flow while the poison's lane waits for its retry (the clock stands still).
    wait_for(lambda: len(set(rig.delivered_pks()) & set(others)) >= 20, message="other lanes")
    assert rig.delivered_pks().count("poison") == 1
    rig.clock(advanceSeconds=1)
    wait_for(lambda: rig.delivered_pks().count("poison") == 3 and set(others) <= set(rig.delivered_pks()),
             message="everything")
    poison = [r["dynamodb"]["NewImage"]["v"]["N"] for b in rig.batches() for r in b["records"]
              if r["dynamodb"]["Keys"]["pk"]["S"] == "poison"]
    assert poison == ["1", "1", "2"]


def test_a_failed_destination_delivery_is_counted_and_processing_goes_on(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    sqs, url, queue_arn = make_queue(eddy)
    rig.control(fail=True)
    uuid_ = rig.map(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}},
                    MetricsConfig={"Metrics": ["EventCount"]})["UUID"]
    sqs.delete_queue(QueueUrl=url)
    rig.put("lost")
    seq = rig.stream_seqs()[0]
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == seq, message="the record discarded")
    assert metric(eddy, "eddy_lambda_destination_delivery_failures_total", function_name=rig.function) == 1
    assert metric(eddy, "eddy_esm_dropped_events_total", event_source_mapping_uuid=uuid_) == 1
    assert metric(eddy, "eddy_esm_on_failure_destination_delivered_events_total",
                  event_source_mapping_uuid=uuid_) == 0
    assert "on-failure destination" in rig.explain(uuid_)["shards"][0]["lastError"]


def test_with_the_defaults_a_failing_batch_retries_until_its_records_leave_the_stream(private, tmp_path):
    rig = Rig(private, tmp_path, "node")
    sqs, url, queue_arn = make_queue(private)
    rig.clock(paused=True)
    rig.control(fail=True)
    uuid_ = rig.map(DestinationConfig={"OnFailure": {"Destination": queue_arn}},
                    MetricsConfig={"Metrics": ["EventCount"]})["UUID"]
    rig.put("doomed")
    rig.wait_batches(1)
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["retries"] == 1, message="a retry due")
    # A day later the record has left the stream (24 h retention): it is gone, not dead-lettered, and the
    # shard moves on.
    rig.control()
    rig.clock(advanceSeconds=24 * 3600 + 60)
    rig.put("next")
    wait_for(lambda: rig.delivered_pks()[-1:] == ["next"], message="the next record")
    assert rig.delivered_pks() == ["doomed", "next"]
    assert queue_is_empty(sqs, url)
    assert metric(private, "eddy_esm_dropped_events_total", event_source_mapping_uuid=uuid_) == 0


def test_an_exhausted_partial_failure_dead_letters_the_failed_suffix_with_a_null_function_error(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python")
    sqs, url, queue_arn = make_queue(eddy)
    rig.put_many([("p0", {}), ("p1", {}), ("p2", {"behave": "partial"})])
    rig.map(StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=1,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    [message] = drain(sqs, url, 1)
    assert [b["pks"] for b in rig.batches()] == [["p0", "p1", "p2"], ["p2"]]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": None}
    assert record["DDBStreamBatchInfo"] == expected_batch_info(rig, stream_records(rig)[2:])


def test_without_report_batch_item_failures_the_response_body_is_ignored(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "node")
    rig.control(respond={"batchItemFailures": [{"itemIdentifier": ""}]})
    uuid_ = rig.map(MaximumRetryAttempts=0)["UUID"]
    rig.put("ignored")
    seq = rig.stream_seqs()[0]
    wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == seq, message="the record done")
    assert rig.explain(uuid_)["shards"][0]["lastResult"] == "OK"
    assert len(rig.batches()) == 1


def test_a_timeout_is_a_function_error(eddy, tmp_path):
    rig = Rig(eddy, tmp_path, "python", timeout=1)
    sqs, url, queue_arn = make_queue(eddy)
    rig.control(sleepMs=1500)
    rig.map(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    rig.put("slow")
    [message] = drain(sqs, url, 1)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert rig.batches() == []  # the handler never got to log its end
    assert len(rig.starts()) == 1
