"""Hostile input: thousands of mutated requests for every DynamoDB and DynamoDB Streams operation, sent raw to
one eddy that holds a table with indexes, a stream and TTL, and then for the SQS, SNS, IAM, STS, Lambda and
event-source-mapping APIs and eddy's own control API. Every answer must be a well-formed answer (2xx, or 4xx with
the protocol's error body): never a 5xx, a dropped connection or a dead server. Deterministic (a fixed seed per
round), so a failure reproduces; the failing request is in the assertion message."""
import copy
import json
import os
import random

import pytest
import requests

from conftest import Eddy

TABLE = "fuzzed"
DYNAMODB = "DynamoDB_20120810"
STREAMS = "DynamoDBStreams_20120810"

# Values a mutation puts somewhere in a request: wrong types, limits, odd text, odd attribute values, nesting.
SCALARS = [
    None, True, False, 0, -1, 1, 7, 2 ** 31, 2 ** 63, -(2 ** 63) - 1, 10 ** 40, 1e308, 0.5, -0.0,
    "", "a", "pk", "sk", "gs", "x" * 5000, "\u0000", "é😀", "#n", ":v", ":missing", "#missing",
    "1e126", "1e-131", "-0", "NaN", "Infinity", "0x10", "1" * 39, TABLE, "ALL_NEW", "UPDATED_OLD", "INDEXES",
    "COUNT", "SPECIFIC_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "gsi", "lsi", "NEW_IMAGE", "TRIM_HORIZON", "AFTER_SEQUENCE_NUMBER",
    "arn:aws:dynamodb:us-east-1:000000000000:table/fuzzed", "a = :v", "SET #n = :v", "attribute_exists(",
    "size(a[999999999999]) > :v", "a.b[1].c", "((((((((((", "pk = :v AND sk BETWEEN :v AND :v",
    "begins_with(sk, :v)", "REMOVE a[0], a[1]", "ADD s :v DELETE s :v", "SET a = list_append(a, :v)",
    "SET a = if_not_exists(a, :v) + :v", "#n IN (:v, :v)", "attribute_type(a, :v)", "contains(a, :v)",
]
ATTRIBUTE_VALUES = [
    {}, {"S": "a"}, {"N": "1"}, {"N": "abc"}, {"N": "1e126"}, {"N": "-1.5"}, {"B": "AAEC"}, {"B": "!!"},
    {"SS": []}, {"SS": ["a", "a"]}, {"NS": ["1", "01"]}, {"BS": ["AA=="]}, {"L": []}, {"M": {}},
    {"NULL": False}, {"NULL": True}, {"BOOL": True}, {"S": "a", "N": "1"}, {"M": {"k": {"S": ""}}},
    {"L": [{"N": "1"}, {"S": "x"}]}, {"S": "x" * 2049},
]


def nested(depth, kind):
    value = {"S": "leaf"}
    for _ in range(depth):
        value = {"L": [value]} if kind == "L" else {"M": {"k": value}}
    return value


def random_value(rng):
    roll = rng.random()
    if roll < 0.45:
        return copy.deepcopy(rng.choice(SCALARS))
    if roll < 0.8:
        return copy.deepcopy(rng.choice(ATTRIBUTE_VALUES))
    if roll < 0.9:
        return nested(rng.choice([3, 40, 200]), rng.choice("LM"))
    return [copy.deepcopy(rng.choice(SCALARS)) for _ in range(rng.randint(0, 3))]


def containers(node, out):
    """Every dict and list inside `node`, the root included."""
    if isinstance(node, (dict, list)):
        out.append(node)
        for child in (node.values() if isinstance(node, dict) else node):
            containers(child, out)
    return out


def mutate(request, rng):
    """One structural mutation of a request (in place): replace, drop or add a member, or wrap a value."""
    target = rng.choice(containers(request, []))
    keys = list(target.keys()) if isinstance(target, dict) else list(range(len(target)))
    action = rng.random()
    if not keys or action < 0.15:
        if isinstance(target, dict):
            target[rng.choice(["pk", "sk", "gs", "Unknown", "Limit", "Key", "Item", ":v", "#n", ""])] = \
                random_value(rng)
        else:
            target.append(random_value(rng))
        return
    key = rng.choice(keys)
    if action < 0.3:
        del target[key]
    elif action < 0.4:
        target[key] = [target[key]] if rng.random() < 0.5 else {"S": target[key]}
    else:
        target[key] = random_value(rng)


def raw_body(request, rng):
    """The request as JSON text, now and then damaged as text (cut short, a byte changed, a member doubled)."""
    text = json.dumps(request)
    roll = rng.random()
    if roll < 0.05 and text:
        return text[: rng.randrange(len(text))]
    if roll < 0.1 and text:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(['"', "{", "]", ",", "\\", "\\ud800", "\x00", "9e999"]) + text[i + 1:]
    if roll < 0.13 and len(text) > 2:
        return text[:-1] + ', "TableName": "' + TABLE + '", "TableName": 5}'
    return text


def base_requests(stream_arn, iterator):
    key = {"pk": {"S": "p1"}, "sk": {"N": "1"}}
    item = {**key, "gs": {"S": "g1"}, "ls": {"N": "3"}, "a": {"L": [{"N": "1"}, {"M": {"b": {"S": "c"}}}]},
            "s": {"SS": ["x", "y"]}, "ttl": {"N": "4000000000"}}
    names = {"#n": "a"}
    values = {":v": {"N": "1"}}
    return [
        (DYNAMODB, "PutItem", {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(#n) OR #n <> :v",
                               "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
                               "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "INDEXES"}),
        (DYNAMODB, "PutItem", {"TableName": TABLE, "Item": item, "Expected": {"a": {"Exists": False}}}),
        (DYNAMODB, "GetItem", {"TableName": TABLE, "Key": key, "ProjectionExpression": "#n[1].b, s",
                               "ExpressionAttributeNames": names, "ConsistentRead": True}),
        (DYNAMODB, "GetItem", {"TableName": TABLE, "Key": key, "AttributesToGet": ["a", "s"]}),
        (DYNAMODB, "UpdateItem", {"TableName": TABLE, "Key": key,
                                  "UpdateExpression": "SET #n[0] = #n[0] + :v, z = if_not_exists(z, :v) REMOVE q ADD c :v",
                                  "ConditionExpression": "size(#n) > :v", "ExpressionAttributeNames": names,
                                  "ExpressionAttributeValues": values, "ReturnValues": "UPDATED_NEW",
                                  "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
        (DYNAMODB, "UpdateItem", {"TableName": TABLE, "Key": key,
                                  "AttributeUpdates": {"c": {"Action": "ADD", "Value": {"N": "2"}}}}),
        (DYNAMODB, "DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "gone"}, "sk": {"N": "9"}},
                                  "ConditionExpression": "attribute_exists(pk)"}),
        (DYNAMODB, "Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                             "FilterExpression": "contains(s, :x)", "ExpressionAttributeValues": {
                                 ":p": {"S": "p1"}, ":a": {"N": "0"}, ":b": {"N": "9"}, ":x": {"S": "x"}},
                             "Limit": 2, "ScanIndexForward": False, "ExclusiveStartKey": key}),
        (DYNAMODB, "Query", {"TableName": TABLE, "IndexName": "gsi", "KeyConditions": {
            "gs": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "g1"}]}}, "Select": "ALL_PROJECTED_ATTRIBUTES"}),
        (DYNAMODB, "Query", {"TableName": TABLE, "IndexName": "lsi", "KeyConditionExpression": "pk = :p AND ls > :a",
                             "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"N": "0"}}, "Select": "COUNT"}),
        (DYNAMODB, "Scan", {"TableName": TABLE, "Segment": 1, "TotalSegments": 3, "Limit": 5,
                            "ScanFilter": {"a": {"ComparisonOperator": "NOT_NULL"}, "b": {"ComparisonOperator": "NULL"}},
                            "ConditionalOperator": "OR"}),
        (DYNAMODB, "Scan", {"TableName": TABLE, "IndexName": "gsi", "FilterExpression": "attribute_type(gs, :t)",
                            "ExpressionAttributeValues": {":t": {"S": "S"}}, "ExclusiveStartKey": {**key, "gs": {"S": "g1"}}}),
        (DYNAMODB, "BatchGetItem", {"RequestItems": {TABLE: {"Keys": [key, {"pk": {"S": "p2"}, "sk": {"N": "2"}}],
                                                             "ProjectionExpression": "pk, a[0]"}},
                                    "ReturnConsumedCapacity": "TOTAL"}),
        (DYNAMODB, "BatchWriteItem", {"RequestItems": {TABLE: [
            {"PutRequest": {"Item": {**item, "pk": {"S": "p2"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "p3"}, "sk": {"N": "3"}}}}]}}),
        (DYNAMODB, "TransactWriteItems", {"TransactItems": [
            {"ConditionCheck": {"TableName": TABLE, "Key": key, "ConditionExpression": "attribute_exists(pk)"}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "p4"}, "sk": {"N": "4"}},
                        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": values}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "p5"}, "sk": {"N": "5"}}}}],
            "ClientRequestToken": "token-1"}),
        (DYNAMODB, "TransactGetItems", {"TransactItems": [{"Get": {"TableName": TABLE, "Key": key,
                                                                   "ProjectionExpression": "s"}}]}),
        (DYNAMODB, "DescribeTable", {"TableName": TABLE}),
        (DYNAMODB, "ListTables", {"Limit": 3, "ExclusiveStartTableName": "a"}),
        (DYNAMODB, "UpdateTable", {"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
                                   "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"}],
                                   "GlobalSecondaryIndexUpdates": [{"Create": {
                                       "IndexName": "hgsi", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}}]}),
        (DYNAMODB, "CreateTable", {"TableName": "other", "AttributeDefinitions": [
            {"AttributeName": "k", "AttributeType": "B"}], "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}}),
        (DYNAMODB, "DeleteTable", {"TableName": "never-created"}),
        (DYNAMODB, "UpdateTimeToLive", {"TableName": TABLE, "TimeToLiveSpecification": {
            "Enabled": True, "AttributeName": "ttl"}}),
        (DYNAMODB, "DescribeTimeToLive", {"TableName": TABLE}),
        (DYNAMODB, "TagResource", {"ResourceArn": f"arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}",
                                   "Tags": [{"Key": "k", "Value": "v"}]}),
        (DYNAMODB, "UntagResource", {"ResourceArn": f"arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}",
                                     "TagKeys": ["k"]}),
        (DYNAMODB, "ListTagsOfResource", {"ResourceArn": f"arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}"}),
        (DYNAMODB, "DescribeLimits", {}),
        (DYNAMODB, "DescribeEndpoints", {}),
        (STREAMS, "ListStreams", {"TableName": TABLE, "Limit": 2}),
        (STREAMS, "DescribeStream", {"StreamArn": stream_arn, "Limit": 10}),
        (STREAMS, "GetShardIterator", {"StreamArn": stream_arn, "ShardId": "shardId-00000000000000000000-00000000",
                                       "ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": "1"}),
        (STREAMS, "GetRecords", {"ShardIterator": iterator, "Limit": 5}),
    ]


@pytest.fixture(scope="module")
def target():
    server = Eddy(in_memory=True).start()
    ddb = server.client()
    created = ddb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in [("pk", "S"), ("sk", "N"), ("gs", "S"), ("ls", "N")]],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "gs", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                {"AttributeName": "ls", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        DeletionProtectionEnabled=True)  # mutated DeleteTable requests name it too
    stream_arn = created["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "p1"}, "sk": {"N": "1"}, "gs": {"S": "g1"}, "ls": {"N": "3"}})
    streams = server.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    yield server, base_requests(stream_arn, iterator)
    server.stop()


def send(session, endpoint, service, op, body):
    return session.post(endpoint + "/", data=body.encode("utf-8", "surrogatepass"), timeout=30, headers={
        "X-Amz-Target": f"{service}.{op}", "Content-Type": "application/x-amz-json-1.0"})


# Six rounds in the suite; `EDDY_FUZZ_ROUNDS=500` for a longer hunt.
@pytest.mark.parametrize("seed", range(int(os.environ.get("EDDY_FUZZ_ROUNDS", "6"))))
def test_mutated_requests_get_aws_shaped_answers_and_never_break_the_server(target, seed):
    server, bases = target
    rng = random.Random(seed)
    session = requests.Session()
    statuses = {}
    for _ in range(400):
        service, op, base = rng.choice(bases)
        request = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            mutate(request, rng)
        body = raw_body(request, rng)
        what = f"{service}.{op} {body[:2000]}"
        try:
            r = send(session, server.endpoint, service, op, body)
        except requests.RequestException as e:
            raise AssertionError(f"no answer ({e}) to {what}") from None
        assert r.status_code < 500, f"{r.status_code} {r.text[:500]} for {what}"
        if r.status_code >= 400:
            assert "__type" in r.json(), f"{r.status_code} {r.text[:500]} for {what}"
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    # Most mutations are refused, but some land: the requests reached past the parser.
    assert statuses.get(400, 0) > 100 and statuses.get(200, 0) > 10, statuses
    assert requests.get(server.endpoint + "/_eddy/health", timeout=5).json() == {"status": "ok"}
    got = server.client().get_item(TableName="fuzzed", Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200


# ---------------------------------------------------------------------------------------------- other services

QUERY_STRINGS = [
    "", "x", "-1", "0", "1", "99999999999999999999", "1.5", "true", "%", "%ZZ", "é😀", "\u0000", "x" * 3000,
    "arn:aws:sns:us-east-1:000000000000:fz", "arn:aws:sqs:us-east-1:000000000000:fz", "sqs", "lambda", "http",
    "arn:aws:iam::000000000000:role/fz", '{"Version":"2012-10-17","Statement":[]}', "{", "[]", "All", "RawMessageDelivery",
    "String", "Number", "Binary", "String.Array",
]


def mutate_form(form, rng):
    """One mutation of a query-protocol request (a flat map of strings)."""
    roll = rng.random()
    if roll < 0.2 or not form:
        form[rng.choice(["Attributes.entry.9.key", "MessageAttributes.entry.1.Value.DataType", "Tags.member.1.Key",
                         "Version", "Unknown", "MaxItems", "Marker", "NextToken"])] = rng.choice(QUERY_STRINGS)
        return
    key = rng.choice(list(form))
    if roll < 0.35 and key != "Action":
        del form[key]
    else:
        form[key] = rng.choice(QUERY_STRINGS)


LAMBDA_NAMES = ["nope", "", "x" * 200, "%", "%ZZ", "..", "arn:aws:lambda:us-east-1:000000000000:function:nope",
                "nope:1", "nope:$LATEST", "é", "00000000-0000-0000-0000-000000000000"]


@pytest.fixture(scope="module")
def services():
    server = Eddy(in_memory=True).start()
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName="fz")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="kept")
    sns = server.client("sns")
    topic = sns.create_topic(Name="fz")["TopicArn"]
    ddb = server.client()
    stream = ddb.create_table(
        TableName="fzt", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]["LatestStreamArn"]
    yield server, queue_url, topic, stream
    server.stop()


def other_bases(queue_url, topic, stream):
    """(kind, operation or path, body): kind is `sqs` (JSON), `query` (form), or an HTTP method (REST)."""
    message_attributes = {"a": {"DataType": "String", "StringValue": "x"},
                          "b": {"DataType": "Binary", "BinaryValue": "AAE="}}
    return [
        ("sqs", "CreateQueue", {"QueueName": "fz2", "Attributes": {"VisibilityTimeout": "30", "DelaySeconds": "0",
                                                                   "RedrivePolicy": '{"maxReceiveCount":"2"}'},
                                "tags": {"a": "b"}}),
        ("sqs", "SendMessage", {"QueueUrl": queue_url, "MessageBody": "hi", "DelaySeconds": 0,
                                "MessageAttributes": message_attributes,
                                "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String",
                                                                               "StringValue": "Root=1"}}}),
        ("sqs", "SendMessageBatch", {"QueueUrl": queue_url, "Entries": [
            {"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b", "DelaySeconds": 1}]}),
        ("sqs", "ReceiveMessage", {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0,
                                   "AttributeNames": ["All"], "MessageAttributeNames": ["All"],
                                   "VisibilityTimeout": 0}),
        ("sqs", "DeleteMessage", {"QueueUrl": queue_url, "ReceiptHandle": "bogus"}),
        ("sqs", "ChangeMessageVisibility", {"QueueUrl": queue_url, "ReceiptHandle": "bogus", "VisibilityTimeout": 5}),
        ("sqs", "DeleteMessageBatch", {"QueueUrl": queue_url, "Entries": [{"Id": "1", "ReceiptHandle": "bogus"}]}),
        ("sqs", "GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": ["All"]}),
        ("sqs", "SetQueueAttributes", {"QueueUrl": queue_url, "Attributes": {"MaximumMessageSize": "2048"}}),
        ("sqs", "GetQueueUrl", {"QueueName": "fz"}),
        ("sqs", "ListQueues", {"QueueNamePrefix": "f", "MaxResults": 5}),
        ("sqs", "TagQueue", {"QueueUrl": queue_url, "Tags": {"k": "v"}}),
        ("sqs", "ListQueueTags", {"QueueUrl": queue_url}),
        ("query", "Publish", {"Action": "Publish", "TopicArn": topic, "Message": "m", "Subject": "s",
                              "MessageAttributes.entry.1.Name": "a",
                              "MessageAttributes.entry.1.Value.DataType": "String",
                              "MessageAttributes.entry.1.Value.StringValue": "x"}),
        ("query", "Subscribe", {"Action": "Subscribe", "TopicArn": topic, "Protocol": "sqs",
                                "Endpoint": "arn:aws:sqs:us-east-1:000000000000:fz",
                                "Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"}),
        ("query", "SetTopicAttributes", {"Action": "SetTopicAttributes", "TopicArn": topic,
                                         "AttributeName": "DisplayName", "AttributeValue": "d"}),
        ("query", "ListSubscriptionsByTopic", {"Action": "ListSubscriptionsByTopic", "TopicArn": topic}),
        ("query", "CreateTopic", {"Action": "CreateTopic", "Name": "fz3", "Tags.member.1.Key": "k",
                                  "Tags.member.1.Value": "v"}),
        ("query", "CreateRole", {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "fz",
                                 "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                                             '"Principal":{"Service":"lambda.amazonaws.com"},'
                                                             '"Action":"sts:AssumeRole"}]}'}),
        ("query", "PutRolePolicy", {"Action": "PutRolePolicy", "Version": "2010-05-08", "RoleName": "fz",
                                    "PolicyName": "p", "PolicyDocument": '{"Version":"2012-10-17","Statement":['
                                                                         '{"Effect":"Allow","Action":"*","Resource":"*"}]}'}),
        ("query", "GetRole", {"Action": "GetRole", "Version": "2010-05-08", "RoleName": "fz"}),
        ("query", "ListRoles", {"Action": "ListRoles", "Version": "2010-05-08", "MaxItems": "2"}),
        ("query", "AssumeRole", {"Action": "AssumeRole", "Version": "2011-06-15",
                                 "RoleArn": "arn:aws:iam::000000000000:role/fz", "RoleSessionName": "s",
                                 "DurationSeconds": "900"}),
        ("query", "GetCallerIdentity", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
        ("GET", "/2015-03-31/functions/{name}", None),
        ("GET", "/2015-03-31/functions?MaxItems=2&Marker={name}", None),
        ("POST", "/2015-03-31/functions", {"FunctionName": "fz", "Runtime": "python3.11", "Handler": "h.handler",
                                           "Role": "arn:aws:iam::000000000000:role/fz", "Timeout": 3,
                                           "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
                                           "Environment": {"Variables": {"A": "b"}}}),
        ("POST", "/2015-03-31/functions/{name}/invocations", {"any": "event"}),
        ("PUT", "/2015-03-31/functions/{name}/configuration", {"Timeout": 5, "MemorySize": 128}),
        ("PUT", "/2017-10-31/functions/{name}/concurrency", {"ReservedConcurrentExecutions": 1}),
        ("POST", "/2015-03-31/functions/{name}/aliases", {"Name": "live", "FunctionVersion": "1"}),
        ("POST", "/2015-03-31/functions/{name}/policy", {
            "StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com",
            "SourceArn": "arn:aws:s3:::b", "SourceAccount": "000000000000", "RevisionId": "r"}),
        ("GET", "/2015-03-31/functions/{name}/policy?Qualifier={name}", None),
        ("DELETE", "/2015-03-31/functions/{name}/policy/{name}", None),
        ("PUT", "/2019-09-25/functions/{name}/event-invoke-config", {
            "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60,
            "DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:fz"},
                                  "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:x"}}}),
        ("POST", "/2019-09-25/functions/{name}/event-invoke-config?Qualifier={name}", {"MaximumRetryAttempts": 0}),
        ("GET", "/2019-09-25/functions/{name}/event-invoke-config/list?MaxItems=1&Marker={name}", None),
        ("DELETE", "/2019-09-25/functions/{name}/event-invoke-config", None),
        ("PUT", "/2024-08-31/functions/{name}/recursion-config", {"RecursiveLoop": "Allow"}),
        ("GET", "/2024-08-31/functions/{name}/recursion-config", None),
        ("POST", "/2015-03-31/event-source-mappings/", {
            "FunctionName": "{name}", "EventSourceArn": stream, "StartingPosition": "TRIM_HORIZON", "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 0, "ParallelizationFactor": 2, "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 1, "MaximumRecordAgeInSeconds": 60, "TumblingWindowInSeconds": 30,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "FilterCriteria": {"Filters": [{"Pattern": '{"eventName":["INSERT"]}'}]},
            "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:fz"}}}),
        ("GET", "/2015-03-31/event-source-mappings/?EventSourceArn=" + stream + "&MaxItems=1", None),
        ("GET", "/2015-03-31/event-source-mappings/{name}", None),
        ("PUT", "/2015-03-31/event-source-mappings/{name}", {"BatchSize": 5, "Enabled": False}),
        ("DELETE", "/2015-03-31/event-source-mappings/{name}", None),
        ("GET", "/_eddy/event-source-mappings/{name}", None),
        ("POST", "/_eddy/clock", {"paused": True, "advanceSeconds": 1}),
        ("POST", "/_eddy/ttl/sweep", {}),
    ]


def send_other(session, endpoint, kind, op, body):
    if kind == "sqs":
        return session.post(endpoint + "/", data=body.encode("utf-8", "surrogatepass"), timeout=30, headers={
            "X-Amz-Target": f"AmazonSQS.{op}", "Content-Type": "application/x-amz-json-1.0"})
    if kind == "query":
        return session.post(endpoint + "/", data=body, timeout=30,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    return session.request(kind, endpoint + op, data=None if body is None else body.encode("utf-8", "surrogatepass"),
                           timeout=30, headers={"Content-Type": "application/json"})


def other_request(base, rng):
    """A mutated request: (kind, operation or path, body text)."""
    kind, op, body = base
    body = copy.deepcopy(body)
    if kind == "query":
        for _ in range(rng.randint(1, 3)):
            mutate_form(body, rng)
        return kind, op, requests.models.RequestEncodingMixin._encode_params(body)
    if "{name}" in op or (body is not None and "{name}" in json.dumps(body)):
        name = rng.choice(LAMBDA_NAMES)
        op = op.replace("{name}", requests.utils.quote(name, safe="") if rng.random() < 0.7 else name)
        if body is not None:
            body = json.loads(json.dumps(body).replace("{name}", json.dumps(name)[1:-1]))
    if body is None:
        return kind, op, None
    for _ in range(rng.randint(1, 3)):
        mutate(body, rng)
    if op == "ReceiveMessage" and isinstance(body, dict) and "WaitTimeSeconds" in body:
        body["WaitTimeSeconds"] = 0  # a mutated long poll would only make the round slow
    if op == "/_eddy/clock" and isinstance(body, dict):
        body["paused"] = True  # an unpaused clock would let mappings and retries run on their own
    return kind, op, raw_body(body, rng)


@pytest.mark.parametrize("seed", range(int(os.environ.get("EDDY_FUZZ_ROUNDS", "6"))))
def test_other_apis_answer_mutated_requests_without_breaking(services, seed):
    server, queue_url, topic, stream = services
    bases = other_bases(queue_url, topic, stream)
    rng = random.Random(1000 + seed)
    session = requests.Session()
    statuses = {}
    previous = None
    for _ in range(300):
        kind, op, body = other_request(rng.choice(bases), rng)
        what = f"{kind} {op} {(body or '')[:2000]} (after {previous})"
        previous = f"{kind} {op} {(body or '')[:2000]}"
        try:
            r = send_other(session, server.endpoint, kind, op, body)
        except requests.RequestException as e:
            raise AssertionError(f"no answer ({e}) to {what}") from None
        assert r.status_code < 500, f"{r.status_code} {r.text[:500]} for {what}"
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    assert sum(n for status, n in statuses.items() if status < 300) > 10, statuses
    assert requests.get(server.endpoint + "/_eddy/health", timeout=5).json() == {"status": "ok"}
    messages = server.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    assert "ApproximateNumberOfMessages" in messages["Attributes"]
