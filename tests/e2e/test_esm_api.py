"""Event source mappings, the API: Create/Get/List/Update/Delete with boto3 and the AWS CLI, Lambda's response
shape and status codes, every range and default, the validation errors of CreateEventSourceMapping, refusals
of what eddy does not implement, the state machine, the explain view and the metric names."""
import json

import pytest
import requests

from conftest import error_of, wait_for
from esm_support import Rig, metrics_text, unique


@pytest.fixture
def rig(eddy, tmp_path):
    return Rig(eddy, tmp_path, "python")


@pytest.fixture
def raw(eddy):
    """A Lambda client without botocore's parameter validation: sends what only a hand-written client would."""
    return eddy.client("lambda", validate=False)


DEFAULT_KEYS = {
    "UUID", "EventSourceMappingArn", "StartingPosition", "BatchSize", "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor", "EventSourceArn", "FunctionArn", "LastModified", "LastProcessingResult", "State",
    "StateTransitionReason", "DestinationConfig", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
    "MaximumRetryAttempts", "TumblingWindowInSeconds", "FunctionResponseTypes",
}


def body_of(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_create_answers_202_with_the_whole_configuration_and_defaults(rig):
    out = rig.map(StartingPosition="TRIM_HORIZON")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    got = body_of(out)
    assert set(got) == DEFAULT_KEYS
    uuid_ = got["UUID"]
    assert got["EventSourceMappingArn"] == f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{uuid_}"
    assert got["State"] == "Creating"
    assert got["StateTransitionReason"] == "User action"
    assert got["LastProcessingResult"] == "No records processed"
    assert got["StartingPosition"] == "TRIM_HORIZON"
    assert got["EventSourceArn"] == rig.stream_arn
    assert got["FunctionArn"] == rig.function_arn
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"], got["ParallelizationFactor"]) == (100, 0, 1)
    assert (got["MaximumRecordAgeInSeconds"], got["MaximumRetryAttempts"]) == (-1, -1)
    assert got["BisectBatchOnFunctionError"] is False
    assert got["TumblingWindowInSeconds"] == 0
    assert got["FunctionResponseTypes"] == []
    assert got["DestinationConfig"] == {"OnFailure": {}}

    fetched = rig.lam.get_event_source_mapping(UUID=uuid_)
    assert fetched["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert fetched["State"] == "Enabled"
    assert fetched["LastModified"] == got["LastModified"]
    # LastModified is epoch seconds on the wire (boto3 turns it into a datetime).
    raw = requests.get(f"{rig.server.endpoint}/2015-03-31/event-source-mappings/{uuid_}", timeout=5).json()
    assert isinstance(raw["LastModified"], float) and raw["LastModified"] > 1.6e9


def test_every_setting_is_stored_and_echoed(rig, eddy):
    sqs = eddy.client("sqs")
    queue = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({"eventName": ["INSERT"]})
    out = rig.map(BatchSize=10000, MaximumBatchingWindowInSeconds=300, ParallelizationFactor=10,
                  BisectBatchOnFunctionError=True, MaximumRetryAttempts=10000, MaximumRecordAgeInSeconds=604800,
                  TumblingWindowInSeconds=900, FunctionResponseTypes=["ReportBatchItemFailures"],
                  DestinationConfig={"OnFailure": {"Destination": queue_arn}},
                  FilterCriteria={"Filters": [{"Pattern": pattern}]}, MetricsConfig={"Metrics": ["EventCount"]},
                  Enabled=False)
    got = rig.lam.get_event_source_mapping(UUID=out["UUID"])
    assert got["State"] == "Disabled"
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"], got["ParallelizationFactor"]) == (10000, 300, 10)
    assert got["BisectBatchOnFunctionError"] is True
    assert (got["MaximumRetryAttempts"], got["MaximumRecordAgeInSeconds"]) == (10000, 604800)
    assert got["TumblingWindowInSeconds"] == 900
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["DestinationConfig"] == {"OnFailure": {"Destination": queue_arn}}
    assert got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert got["MetricsConfig"] == {"Metrics": ["EventCount"]}
    # The lower bounds are accepted too.
    low = rig.lam.update_event_source_mapping(UUID=out["UUID"], BatchSize=1, MaximumBatchingWindowInSeconds=0,
                                              ParallelizationFactor=1, MaximumRetryAttempts=0,
                                              MaximumRecordAgeInSeconds=60, TumblingWindowInSeconds=0)
    assert (low["BatchSize"], low["ParallelizationFactor"], low["MaximumRetryAttempts"]) == (1, 1, 0)
    assert low["MaximumRecordAgeInSeconds"] == 60



def test_tags_given_at_creation_are_listed_changed_and_removed_through_the_tagging_api(rig, eddy):
    out = rig.map(Tags={"team": "search", "env": "dev"})
    arn = out["EventSourceMappingArn"]
    assert arn == f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{out['UUID']}"
    assert rig.lam.list_tags(Resource=arn)["Tags"] == {"team": "search", "env": "dev"}
    rig.lam.tag_resource(Resource=arn, Tags={"env": "prod", "owner": "ana"})
    rig.lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert rig.lam.list_tags(Resource=arn)["Tags"] == {"env": "prod", "owner": "ana"}
    assert eddy.aws("lambda", "list-tags", "--resource", arn)["Tags"] == {"env": "prod", "owner": "ana"}
    gone = arn[:-12] + "000000000000"
    with pytest.raises(rig.lam.exceptions.ResourceNotFoundException) as e:
        rig.lam.list_tags(Resource=gone)
    assert e.value.response["Error"]["Message"] == "The resource you requested does not exist."

RANGE_CASES = [
    ("BatchSize", 0, "batchSize", "greater than or equal to 1"),
    ("BatchSize", 10001, "batchSize", "less than or equal to 10000"),
    ("MaximumBatchingWindowInSeconds", -1, "maximumBatchingWindowInSeconds", "greater than or equal to 0"),
    ("MaximumBatchingWindowInSeconds", 301, "maximumBatchingWindowInSeconds", "less than or equal to 300"),
    ("ParallelizationFactor", 0, "parallelizationFactor", "greater than or equal to 1"),
    ("ParallelizationFactor", 11, "parallelizationFactor", "less than or equal to 10"),
    ("MaximumRetryAttempts", -2, "maximumRetryAttempts", "greater than or equal to -1"),
    ("MaximumRetryAttempts", 10001, "maximumRetryAttempts", "less than or equal to 10000"),
    ("MaximumRecordAgeInSeconds", -2, "maximumRecordAgeInSeconds", "greater than or equal to -1"),
    ("MaximumRecordAgeInSeconds", 604801, "maximumRecordAgeInSeconds", "less than or equal to 604800"),
    ("TumblingWindowInSeconds", -1, "tumblingWindowInSeconds", "greater than or equal to 0"),
    ("TumblingWindowInSeconds", 901, "tumblingWindowInSeconds", "less than or equal to 900"),
]


@pytest.mark.parametrize("param,value,member,bound", RANGE_CASES)
def test_out_of_range_numbers_are_validation_errors_on_create_and_update(rig, raw, param, value, member, bound):
    expected = ("ValidationException",
                f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                f"Member must have value {bound}")
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_event_source_mapping(EventSourceArn=rig.stream_arn, FunctionName=rig.function,
                                        StartingPosition="LATEST", **{param: value})
    assert error_of(e) == expected
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    uuid_ = rig.map()["UUID"]
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.update_event_source_mapping(UUID=uuid_, **{param: value})
    assert error_of(e) == expected
    assert rig.lam.list_event_source_mappings(EventSourceArn=rig.stream_arn)["EventSourceMappings"][0]["UUID"] == uuid_


def test_record_age_below_sixty_seconds_is_refused(rig, raw):
    for age in (0, 59):
        with pytest.raises(raw.exceptions.InvalidParameterValueException) as e:
            raw.create_event_source_mapping(EventSourceArn=rig.stream_arn, FunctionName=rig.function,
                                            StartingPosition="LATEST", MaximumRecordAgeInSeconds=age)
        assert error_of(e) == ("InvalidParameterValueException",
                               "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
                               "(inclusive)")


def test_create_validation_errors(rig, raw, eddy):
    arn = rig.stream_arn

    def refused(**kwargs):
        args = {"EventSourceArn": arn, "FunctionName": rig.function, "StartingPosition": "LATEST", **kwargs}
        args = {k: v for k, v in args.items() if v is not None}
        with pytest.raises(raw.exceptions.ClientError) as e:
            raw.create_event_source_mapping(**args)
        return error_of(e) + (e.value.response["ResponseMetadata"]["HTTPStatusCode"],)

    assert refused(StartingPosition=None) == (
        "InvalidParameterValueException", "1 validation error detected: Value null at 'startingPosition' failed "
        "to satisfy constraint: Member must not be null.", 400)
    assert refused(StartingPosition="SOMETIME") == (
        "ValidationException", "1 validation error detected: Value 'SOMETIME' at 'startingPosition' failed to "
        "satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]", 400)
    assert refused(StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=1700000000) == (
        "InvalidParameterValueException", f"Unsupported starting position for arn type: {arn}", 400)
    assert refused(StartingPosition="AT_TIMESTAMP") == (
        "InvalidParameterValueException", f"Unsupported starting position for arn type: {arn}", 400)
    assert refused(StartingPosition="LATEST", StartingPositionTimestamp=1700000000) == (
        "InvalidParameterValueException", "Timestamp only valid with StartingPosition AT_TIMESTAMP", 400)
    missing = arn.rsplit("/", 1)[0] + "/2001-01-01T00:00:00.000"
    assert refused(EventSourceArn=missing) == ("InvalidParameterValueException", f"Stream not found: {missing}", 400)
    assert refused(EventSourceArn=None) == ("InvalidParameterValueException", "Unrecognized event source.", 400)
    assert refused(FunctionName=None) == (
        "ValidationException", "1 validation error detected: Value null at 'functionName' failed to satisfy "
        "constraint: Member must not be null", 400)
    queue_arn = f"arn:aws:sqs:us-east-1:000000000000:{unique('q')}"
    code, message, status = refused(EventSourceArn=queue_arn, StartingPosition=None)
    assert (code, status) == ("InvalidParameterValueException", 400) and "Amazon SQS" in message
    # For other sources AWS checks the starting position's enum and the function first (AWS-recorded).
    assert refused(EventSourceArn=queue_arn, FunctionName=unique("nope")) == (
        "InvalidParameterValueException", "Function does not exist", 400)
    assert refused(EventSourceArn=queue_arn, StartingPosition="0")[0] == "ValidationException"
    assert refused(FunctionName=unique("nope")) == ("InvalidParameterValueException", "Function does not exist",
                                                    400)
    for pattern in ["not json", "[1, 2]", json.dumps({"eventName": "INSERT"}),
                    json.dumps({"eventName": [{"bogus-operator": 1}]})]:
        assert refused(FilterCriteria={"Filters": [{"Pattern": pattern}]}) == (
            "InvalidParameterValueException", "Invalid filter pattern definition.", 400), pattern
    sqs = eddy.client("sqs")
    queue = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert refused(DestinationConfig={"OnSuccess": {"Destination": queue_arn}}) == (
        "InvalidParameterValueException",
        "Unsupported DestinationConfig parameter for given event source mapping type.", 400)
    code, message, status = refused(DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::my-bucket"}})
    assert (code, status) == ("InvalidParameterValueException", 400) and "S3" in message
    code, message, status = refused(
        DestinationConfig={"OnFailure": {"Destination": queue_arn.rsplit(":", 1)[0] + ":missing-queue"}})
    assert (code, status) == ("InvalidParameterValueException", 400) and "missing-queue" in message
    assert refused(FunctionResponseTypes=["Everything"]) == (
        "ValidationException", "1 validation error detected: Value '[Everything]' at 'functionResponseTypes' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[ReportBatchItemFailures], Member must not be null]", 400)
    assert refused(MetricsConfig={"Metrics": ["KafkaMetrics"]})[0] == "InvalidParameterValueException"
    # Parameters of other event sources are refused by name, never accepted and ignored.
    for param, value in [("Queues", ["q"]), ("Topics", ["t"]), ("ScalingConfig", {"MaximumConcurrency": 2}),
                         ("SourceAccessConfigurations", [{"Type": "BASIC_AUTH", "URI": "arn:x"}]),
                         ("SelfManagedEventSource", {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["h:9092"]}}),
                         ("AmazonManagedKafkaEventSourceConfig", {"ConsumerGroupId": "g"}),
                         ("SelfManagedKafkaEventSourceConfig", {"ConsumerGroupId": "g"}),
                         ("DocumentDBEventSourceConfig", {"DatabaseName": "d"}),
                         ("ProvisionedPollerConfig", {"MinimumPollers": 1}),
                         ("LoggingConfig", {"SystemLogLevel": "INFO"})]:
        code, message, status = refused(**{param: value})
        assert (code, status) == ("InvalidParameterValueException", 400) and param in message, param
    assert rig.lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []


def test_a_second_mapping_of_the_same_stream_and_function_is_a_conflict(rig):
    first = rig.map()["UUID"]
    with pytest.raises(rig.lam.exceptions.ResourceConflictException) as e:
        rig.map(StartingPosition="TRIM_HORIZON")
    assert error_of(e) == (
        "ResourceConflictException",
        f'The event source arn (" {rig.stream_arn} ") and function (" {rig.function} ") provided mapping already '
        f"exists. Please update or delete the existing mapping with UUID {first}")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    # Another function on the same stream is fine.
    other = rig.make_function("node")
    assert rig.map(FunctionName=other)["FunctionArn"].endswith(f":function:{other}")


def test_error_bodies_carry_lambdas_headers(rig):
    r = requests.get(f"{rig.server.endpoint}/2015-03-31/event-source-mappings/{unique('x')}", timeout=5)
    assert r.status_code == 404
    assert r.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert r.json() == {"Type": "User", "Message": "The resource you requested does not exist."}
    r = requests.post(f"{rig.server.endpoint}/2015-03-31/event-source-mappings", timeout=5,
                      json={"EventSourceArn": rig.stream_arn, "FunctionName": rig.function})
    assert r.status_code == 400
    assert r.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"
    assert r.json()["Type"] == "User" and "startingPosition" in r.json()["message"]


def test_state_machine_update_and_delete(rig):
    uuid_ = rig.map()["UUID"]
    out = rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=False)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202 and out["State"] == "Disabling"
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
    out = rig.lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    assert out["State"] == "Enabling"
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["State"] == "Enabled"
    out = rig.lam.update_event_source_mapping(UUID=uuid_, BatchSize=7)
    assert out["State"] == "Updating" and out["BatchSize"] == 7
    got = rig.lam.get_event_source_mapping(UUID=uuid_)
    assert got["State"] == "Enabled" and got["BatchSize"] == 7 and got["StateTransitionReason"] == "User action"
    assert got["StartingPosition"] == "LATEST"

    # DestinationConfig as Get echoes it is refused on update; "" clears a destination.
    with pytest.raises(rig.lam.exceptions.InvalidParameterValueException) as e:
        rig.lam.update_event_source_mapping(UUID=uuid_, DestinationConfig={"OnFailure": {}})
    assert error_of(e)[1] == "The Destination field is required for an OnFailure configuration."
    topic = rig.server.client("sns").create_topic(Name=unique("dest"))["TopicArn"]
    out = rig.lam.update_event_source_mapping(UUID=uuid_, DestinationConfig={"OnFailure": {"Destination": topic}})
    assert out["DestinationConfig"] == {"OnFailure": {"Destination": topic}}
    out = rig.lam.update_event_source_mapping(UUID=uuid_, DestinationConfig={"OnFailure": {"Destination": ""}})
    assert out["DestinationConfig"] == {"OnFailure": {}}
    # FilterCriteria {} removes the filters.
    pattern = json.dumps({"eventName": ["REMOVE"]})
    out = rig.lam.update_event_source_mapping(UUID=uuid_, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert out["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    out = rig.lam.update_event_source_mapping(UUID=uuid_, FilterCriteria={})
    assert "FilterCriteria" not in out
    with pytest.raises(rig.lam.exceptions.InvalidParameterValueException) as e:
        rig.lam.update_event_source_mapping(UUID=uuid_, FunctionName=unique("gone"))
    assert error_of(e)[1] == "Function does not exist"
    with pytest.raises(rig.lam.exceptions.InvalidParameterValueException) as e:
        rig.lam.update_event_source_mapping(UUID=uuid_, DestinationConfig={"OnSuccess": {"Destination": topic}})
    assert error_of(e)[1] == "Unsupported DestinationConfig parameter for given event source mapping type."

    out = rig.lam.delete_event_source_mapping(UUID=uuid_)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202 and out["State"] == "Deleting"
    for call in (rig.lam.get_event_source_mapping, rig.lam.delete_event_source_mapping,
                 lambda UUID: rig.lam.update_event_source_mapping(UUID=UUID, BatchSize=2)):
        with pytest.raises(rig.lam.exceptions.ResourceNotFoundException) as e:
            call(UUID=uuid_)
        assert error_of(e) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    assert rig.lam.list_event_source_mappings(EventSourceArn=rig.stream_arn)["EventSourceMappings"] == []


def test_function_names_in_every_form_and_qualifiers(rig):
    rig.lam.publish_version(FunctionName=rig.function)
    rig.lam.create_alias(FunctionName=rig.function, Name="live", FunctionVersion="1")
    by_arn = rig.map(FunctionName=rig.function_arn)
    assert by_arn["FunctionArn"] == rig.function_arn
    rig.lam.delete_event_source_mapping(UUID=by_arn["UUID"])
    aliased = rig.map(FunctionName=f"{rig.function}:live")
    assert aliased["FunctionArn"] == rig.function_arn + ":live"
    partial = rig.map(FunctionName=f"000000000000:function:{rig.function}")
    assert partial["FunctionArn"] == rig.function_arn
    listed = rig.lam.list_event_source_mappings(FunctionName=rig.function)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [partial["UUID"]]


def test_list_filters_and_pages(rig):
    tables = [rig.make_table() for _ in range(3)]
    other = rig.make_function("node")
    uuids = set()
    for _, stream in tables:
        uuids.add(rig.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=rig.function,
                                                      StartingPosition="LATEST")["UUID"])
    side = rig.lam.create_event_source_mapping(EventSourceArn=tables[0][1], FunctionName=other,
                                               StartingPosition="LATEST")["UUID"]
    by_function = rig.lam.list_event_source_mappings(FunctionName=rig.function)["EventSourceMappings"]
    assert {m["UUID"] for m in by_function} == uuids
    by_source = rig.lam.list_event_source_mappings(EventSourceArn=tables[0][1])["EventSourceMappings"]
    assert len(by_source) == 2 and side in {m["UUID"] for m in by_source}
    both = rig.lam.list_event_source_mappings(EventSourceArn=tables[0][1], FunctionName=other)
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [side]
    assert set(both["EventSourceMappings"][0]) == DEFAULT_KEYS

    seen, marker, pages = [], None, 0
    while True:
        args = {"FunctionName": rig.function, "MaxItems": 1}
        if marker:
            args["Marker"] = marker
        page = rig.lam.list_event_source_mappings(**args)
        pages += 1
        seen += [m["UUID"] for m in page["EventSourceMappings"]]
        assert len(page["EventSourceMappings"]) <= 1
        marker = page.get("NextMarker")
        if not marker:
            break
    assert sorted(seen) == sorted(uuids) and pages == 3
    paginated = rig.lam.get_paginator("list_event_source_mappings").paginate(
        FunctionName=rig.function, PaginationConfig={"PageSize": 2})
    assert sorted(m["UUID"] for p in paginated for m in p["EventSourceMappings"]) == sorted(uuids)
    raw = rig.server.client("lambda", validate=False)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.list_event_source_mappings(MaxItems=0)
    assert error_of(e)[0] == "ValidationException"


def test_deleting_the_function_leaves_the_mapping(rig):
    uuid_ = rig.map()["UUID"]
    rig.lam.delete_function(FunctionName=rig.function)
    got = rig.lam.get_event_source_mapping(UUID=uuid_)
    assert got["State"] == "Enabled" and got["FunctionArn"] == rig.function_arn
    rig.put("after-delete")
    # The invocation fails as an invocation error: the mapping reports it and keeps the record.
    wait_for(lambda: rig.explain(uuid_)["shards"] and rig.explain(uuid_)["shards"][0]["lastResult"]
             not in (None, "OK"), message="a failed invocation")
    shard = rig.explain(uuid_)["shards"][0]
    assert shard["lastResult"].startswith("PROBLEM") and shard["checkpoint"] is None
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["LastProcessingResult"].startswith("PROBLEM")
    rig.lam.delete_event_source_mapping(UUID=uuid_)


def test_the_aws_cli_creates_lists_updates_and_deletes(rig, eddy):
    created = eddy.aws("lambda", "create-event-source-mapping", "--function-name", rig.function,
                       "--event-source-arn", rig.stream_arn, "--starting-position", "TRIM_HORIZON",
                       "--batch-size", "5", "--maximum-retry-attempts", "2", "--bisect-batch-on-function-error",
                       "--function-response-types", "ReportBatchItemFailures")
    uuid_ = created["UUID"]
    assert created["State"] == "Creating" and created["BatchSize"] == 5
    assert created["MaximumRetryAttempts"] == 2 and created["BisectBatchOnFunctionError"] is True
    listed = eddy.aws("lambda", "list-event-source-mappings", "--function-name", rig.function)
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [uuid_]
    updated = eddy.aws("lambda", "update-event-source-mapping", "--uuid", uuid_, "--no-enabled", "--batch-size", "9")
    assert updated["State"] == "Disabling" and updated["BatchSize"] == 9
    assert rig.lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
    deleted = eddy.aws("lambda", "delete-event-source-mapping", "--uuid", uuid_)
    assert deleted["State"] == "Deleting"
    # (Each CLI run costs a second or more of start-up: the other commands are covered with boto3 above.)
    with pytest.raises(rig.lam.exceptions.ResourceNotFoundException):
        rig.lam.get_event_source_mapping(UUID=uuid_)


def test_explain_and_metric_names(rig):
    # Records of another table do not make a checkpoint: nothing of this shard is done yet.
    other, _ = rig.make_table()
    rig.put("elsewhere", table=other)
    uuid_ = rig.map(MetricsConfig={"Metrics": ["EventCount"]})["UUID"]
    fresh = wait_for(lambda: (v := rig.explain(uuid_))["shards"] and v, message="the shard")
    assert fresh["shards"][0]["checkpoint"] is None
    rig.put("a")
    rig.wait_delivered(1)
    view = wait_for(lambda: (v := rig.explain(uuid_))["shards"] and v["shards"][0]["checkpoint"] and v,
                    message="a checkpoint")
    assert view["UUID"] == uuid_ and view["State"] == "Enabled"
    shard = view["shards"][0]
    assert set(shard) >= {"shardId", "parentShardId", "checkpoint", "lag", "inFlight", "retries", "nextAttemptAt",
                          "lastResult", "lastError"}
    assert shard["checkpoint"] == rig.delivered()[-1]
    assert shard["parentShardId"] is None and shard["inFlight"] == 0 and shard["retries"] == 0
    assert shard["lag"] == 0 and shard["nextAttemptAt"] is None and shard["lastResult"] == "OK"
    streams = rig.server.client("dynamodbstreams")
    ids = [s["ShardId"] for s in streams.describe_stream(StreamArn=rig.stream_arn)["StreamDescription"]["Shards"]]
    assert shard["shardId"] in ids
    r = requests.get(f"{rig.server.endpoint}/_eddy/event-source-mappings/{unique('none')}", timeout=5)
    assert r.status_code == 404

    text = metrics_text(rig.server)
    for name in ["eddy_lambda_invocations_total", "eddy_lambda_errors_total", "eddy_lambda_throttles_total",
                 "eddy_lambda_duration_milliseconds_total", "eddy_lambda_concurrent_executions",
                 "eddy_lambda_iterator_age_milliseconds", "eddy_lambda_destination_delivery_failures_total",
                 "eddy_esm_polled_events_total", "eddy_esm_filtered_out_events_total",
                 "eddy_esm_invoked_events_total", "eddy_esm_failed_invoke_events_total",
                 "eddy_esm_dropped_events_total", "eddy_esm_on_failure_destination_delivered_events_total"]:
        assert f"# TYPE {name} " in text, name
    assert f'eddy_lambda_invocations_total{{function_name="{rig.function}"}} 1' in text
    assert f'eddy_esm_invoked_events_total{{event_source_mapping_uuid="{uuid_}"}} 1' in text
    assert f'eddy_esm_polled_events_total{{event_source_mapping_uuid="{uuid_}"}} 1' in text
