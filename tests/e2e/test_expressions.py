"""Expressions end to end: conditions, updates, key conditions, filters, projections, the legacy parameters,
and DynamoDB's validation messages for each — through boto3 against the real server."""
import pytest
from botocore.exceptions import ClientError

from conftest import create_table, error_of
from test_streams import read_all, streams_client


@pytest.fixture
def table(ddb, table_name):
    create_table(ddb, table_name)
    return table_name


@pytest.fixture
def ranged(ddb, table_name):
    create_table(ddb, table_name, range_key=("sk", "N"))
    for sk in range(10):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"N": str(sk)}, "odd": {"BOOL": sk % 2 == 1},
                                                 "name": {"S": f"item-{sk}"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "other"}, "sk": {"N": "1"}})
    return table_name


def failure(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error_of(e)


def test_condition_expression_guards_writes(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "v": {"N": "1"}},
                 ConditionExpression="attribute_not_exists(pk)")
    code, message = failure(ddb.put_item, TableName=table, Item={"pk": {"S": "c"}, "v": {"N": "2"}},
                            ConditionExpression="attribute_not_exists(pk)")
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "v": {"N": "2"}},
                     ConditionExpression="v = :one", ExpressionAttributeValues={":one": {"N": "5"}},
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"] == {"pk": {"S": "c"}, "v": {"N": "1"}}
    # With the item as without it, DynamoDB spells the member `message` (since 2026; LocalStack's 2024 recording
    # had `Message`), so botocore puts it at the top level too.
    assert e.value.response["Error"]["Message"] == "The conditional request failed"
    assert e.value.response["message"] == "The conditional request failed"
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "v": {"N": "2"}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert e.value.response["message"] == "The conditional request failed"
    ddb.delete_item(TableName=table, Key={"pk": {"S": "c"}}, ConditionExpression="v = :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "c"}})


def test_failed_condition_writes_no_stream_record(eddy, table_name):
    ddb = eddy.client()
    arn = create_table(ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})[
        "TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "x"}})
    with pytest.raises(ClientError):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "x"}, "a": {"S": "b"}},
                     ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError):
        ddb.update_item(TableName=table_name, Key={"pk": {"S": "x"}}, UpdateExpression="SET a = :v",
                        ConditionExpression="attribute_exists(nope)", ExpressionAttributeValues={":v": {"S": "v"}})
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "x"}}, UpdateExpression="REMOVE nothing_here")
    assert [r["eventName"] for r in read_all(streams_client(eddy), arn)] == ["INSERT"]


def test_update_expression_clauses_and_return_values(ddb, table):
    out = ddb.update_item(
        TableName=table, Key={"pk": {"S": "u"}},
        UpdateExpression="SET n = :one, l = :list, m = :map, s = :s ADD hits :five, tags :tags",
        ExpressionAttributeValues={":one": {"N": "1"}, ":list": {"L": [{"S": "a"}]}, ":map": {"M": {"x": {"N": "1"}}},
                                   ":s": {"S": "text"}, ":five": {"N": "5"}, ":tags": {"SS": ["a", "b"]}},
        ReturnValues="ALL_NEW")["Attributes"]
    assert out["hits"] == {"N": "5"} and out["n"] == {"N": "1"}
    out = ddb.update_item(
        TableName=table, Key={"pk": {"S": "u"}},
        UpdateExpression="SET n = n + :two, l = list_append(l, :more), m.y = :y, fresh = if_not_exists(fresh, :d) "
                         "REMOVE s DELETE tags :a",
        ExpressionAttributeValues={":two": {"N": "2"}, ":more": {"L": [{"S": "b"}]}, ":y": {"S": "why"},
                                   ":d": {"S": "default"}, ":a": {"SS": ["a"]}},
        ReturnValues="UPDATED_NEW")["Attributes"]
    assert out == {"n": {"N": "3"}, "l": {"L": [{"S": "a"}, {"S": "b"}]}, "m": {"M": {"y": {"S": "why"}}},
                   "fresh": {"S": "default"}, "tags": {"SS": ["b"]}}
    old = ddb.update_item(TableName=table, Key={"pk": {"S": "u"}}, UpdateExpression="SET n = :ten",
                          ExpressionAttributeValues={":ten": {"N": "10"}}, ReturnValues="UPDATED_OLD")["Attributes"]
    assert old == {"n": {"N": "3"}}
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "u"}})["Item"]
    assert "s" not in item and item["m"]["M"] == {"x": {"N": "1"}, "y": {"S": "why"}}


def test_update_errors(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "e"}, "s": {"S": "str"}})
    assert failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET pk = :v",
                   ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    assert failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET s = s + :n",
                   ExpressionAttributeValues={":n": {"N": "1"}}) == (
        "ValidationException", "An operand in the update expression has an incorrect data type")
    assert failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET a.b = :n",
                   ExpressionAttributeValues={":n": {"N": "1"}}) == (
        "ValidationException", "The document path provided in the update expression is invalid for update")
    assert failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET a = :n",
                   ExpressionAttributeValues={":n": {"N": "1"}, ":unused": {"N": "2"}}) == (
        "ValidationException",
        "1 validation error detected: Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")
    assert failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET #a = :n",
                   ExpressionAttributeValues={":n": {"N": "1"}}) == (
        "ValidationException",
        "1 validation error detected: "
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #a")
    code, message = failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET name = :n",
                            ExpressionAttributeValues={":n": {"N": "1"}})
    assert message == ("1 validation error detected: "
                       "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name")
    code, message = failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET a = ",
                            ExpressionAttributeValues={":n": {"N": "1"}})
    assert code == "ValidationException"
    assert message.startswith('1 validation error detected: Invalid UpdateExpression: Syntax error; token: "<EOF>"')
    assert failure(ddb.update_item, TableName=table, Key={"pk": {"S": "e"}}, UpdateExpression="SET a = :n",
                   ExpressionAttributeValues={":n": {"SS": []}}) == (
        "ValidationException",
        # The single-item writes report a bad value as such, enveloped, not as a bad ExpressionAttributeValues
        # entry (AWS, 2026-10).
        "1 validation error detected: One or more parameter values were invalid: An string set  may not be empty")


def test_condition_expression_errors(ddb, table):
    assert failure(ddb.put_item, TableName=table, Item={"pk": {"S": "x"}}, ConditionExpression="foo(a)") == (
        "ValidationException", "1 validation error detected: Invalid ConditionExpression: Invalid function name; function: foo")
    assert failure(ddb.put_item, TableName=table, Item={"pk": {"S": "x"}}, ConditionExpression="begins_with(a)") == (
        "ValidationException",
        "1 validation error detected: "
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: begins_with, number of operands: 1")
    assert failure(ddb.put_item, TableName=table, Item={"pk": {"S": "x"}}, ConditionExpression="a = :v") == (
        "ValidationException",
        "1 validation error detected: "
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
        "attribute value: :v")
    assert failure(ddb.put_item, TableName=table, Item={"pk": {"S": "x"}}, ConditionExpression="a = b",
                   ExpressionAttributeNames={"#unused": "x"}) == (
        "ValidationException",
        "1 validation error detected: Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}")
    assert failure(ddb.put_item, TableName=table, Item={"pk": {"S": "x"}}, ConditionExpression="a = b",
                   Expected={"a": {"Exists": False}}) == (
        "ValidationException",
        "1 validation error detected: "
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")


def test_condition_functions_and_operators(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "f"}, "s": {"S": "hello world"}, "n": {"N": "5"},
                                        "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}, {"S": "x"}]},
                                        "m": {"M": {"deep": {"M": {"v": {"N": "3"}}}}}})
    ok = [
        "begins_with(s, :hello)", "contains(s, :world)", "contains(ss, :a)", "size(l) = :two", "size(s) > :five",
        "attribute_type(n, :N)", "n BETWEEN :one AND :ten", "n IN (:one, :five)", "m.deep.v = :three",
        "l[1] = :x", "NOT n = :one", "n > :one AND (s = :nope OR attribute_type(ss, :SS))", "attribute_exists(m.deep)",
    ]
    values = {":hello": {"S": "hello"}, ":world": {"S": "world"}, ":a": {"S": "a"}, ":two": {"N": "2"},
              ":five": {"N": "5"}, ":N": {"S": "N"}, ":one": {"N": "1"}, ":ten": {"N": "10"}, ":three": {"N": "3"},
              ":x": {"S": "x"}, ":nope": {"S": "nope"}, ":SS": {"S": "SS"}}
    for expr in ok:
        used = {k: v for k, v in values.items() if k in expr.replace("(", " ").replace(")", " ").replace(",", " ").split()}
        ddb.update_item(TableName=table, Key={"pk": {"S": "f"}}, UpdateExpression="SET touched = :one",
                        ConditionExpression=expr, ExpressionAttributeValues={**used, ":one": values[":one"]})
    code, _ = failure(ddb.update_item, TableName=table, Key={"pk": {"S": "f"}}, UpdateExpression="SET touched = :one",
                      ConditionExpression="n < :one", ExpressionAttributeValues={":one": {"N": "1"}})
    assert code == "ConditionalCheckFailedException"


def test_query_key_conditions_order_and_paging(ddb, ranged):
    def sks(**kwargs):
        out = ddb.query(TableName=ranged, **kwargs)
        return [int(i["sk"]["N"]) for i in out["Items"]], out

    got, _ = sks(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    assert got == list(range(10))
    got, _ = sks(KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "3"}, ":b": {"N": "6"}}, ScanIndexForward=False)
    assert got == [6, 5, 4, 3]
    got, _ = sks(KeyConditionExpression="pk = :p AND sk > :a", ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "7"}})
    assert got == [8, 9]
    got, out = sks(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Limit=4)
    assert got == [0, 1, 2, 3] and out["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "3"}}
    got, _ = sks(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Limit=4,
                 ExclusiveStartKey=out["LastEvaluatedKey"])
    assert got == [4, 5, 6, 7]
    got, out = sks(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                   FilterExpression="odd = :t", ExpressionAttributeNames=None or {}, ) if False else sks(
        KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
        ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}})
    assert got == [1, 3, 5, 7, 9] and out["Count"] == 5 and out["ScannedCount"] == 10
    out = ddb.query(TableName=ranged, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                    ProjectionExpression="#n", ExpressionAttributeNames={"#n": "name"}, Limit=2)
    assert out["Items"] == [{"name": {"S": "item-0"}}, {"name": {"S": "item-1"}}]
    out = ddb.query(TableName=ranged, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                    Select="COUNT")
    assert out["Count"] == 10 and "Items" not in out


def test_query_key_condition_errors(ddb, ranged):
    assert failure(ddb.query, TableName=ranged, KeyConditionExpression="sk = :a",
                   ExpressionAttributeValues={":a": {"N": "1"}}) == (
        "ValidationException", "Query condition missed key schema element: pk")
    code, message = failure(ddb.query, TableName=ranged, KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"N": "1"}})
    assert code == "ValidationException"
    assert message == "One or more parameter values were invalid: Condition parameter type does not match schema type"
    code, _ = failure(ddb.query, TableName=ranged, KeyConditionExpression="pk = :p OR sk = :a",
                      ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}})
    assert code == "ValidationException"


def test_query_filter_may_not_name_the_key_it_reads(ddb, table_name):
    """DynamoDB refuses a Query filter on the key of what it reads (those belong in the key condition); Scan may."""
    create_table(ddb, table_name, range_key=("sk", "N"), extra_attributes=[("email", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-email",
                                          "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"N": "1"}, "email": {"S": "e"}})
    on_table = {"TableName": table_name, "KeyConditionExpression": "pk = :p"}
    assert failure(ddb.query, **on_table, FilterExpression="sk > :z",
                   ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}}) == (
        "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")
    # Through a name placeholder and with both keys: the hash key is the one named.
    assert failure(ddb.query, **on_table, FilterExpression="sk > :z OR attribute_exists(#k)",
                   ExpressionAttributeNames={"#k": "pk"},
                   ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}}) == (
        "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk")
    assert failure(ddb.query, TableName=table_name,
                   KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
                   QueryFilter={"sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]}}) == (
        "ValidationException", "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk")
    assert failure(ddb.query, TableName=table_name, IndexName="by-email", KeyConditionExpression="email = :e",
                   FilterExpression="begins_with(email, :e)", ExpressionAttributeValues={":e": {"S": "e"}}) == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: email")
    # A filter on other attributes, and a Scan's filter on the key, are fine.
    out = ddb.query(TableName=table_name, KeyConditionExpression="pk = :p", FilterExpression="email = :e",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":e": {"S": "e"}})
    assert out["Count"] == 1
    assert ddb.scan(TableName=table_name, FilterExpression="sk > :z",
                    ExpressionAttributeValues={":z": {"N": "0"}})["Count"] == 1


def test_query_start_key_must_lie_where_the_key_condition_reads(ddb, ranged):
    def start_key_error(condition, values, start):
        return failure(ddb.query, TableName=ranged, KeyConditionExpression=condition,
                       ExpressionAttributeValues=values, ExclusiveStartKey=start)

    p_after_2 = ("pk = :p AND sk > :two", {":p": {"S": "p"}, ":two": {"N": "2"}})
    # Outside the sort-key condition: refused, even when the partition differs too.
    for start in ({"pk": {"S": "p"}, "sk": {"N": "0"}}, {"pk": {"S": "p"}, "sk": {"N": "2"}},
                  {"pk": {"S": "other"}, "sk": {"N": "1"}}):
        assert start_key_error(*p_after_2, start) == (
            "ValidationException", "The provided starting key does not match the range key predicate")
    # Inside the sort-key condition but in another partition.
    assert start_key_error(*p_after_2, {"pk": {"S": "other"}, "sk": {"N": "5"}}) == (
        "ValidationException", "The query can return at most one row and cannot be restarted")
    # A start key missing an attribute, or of the wrong type, or with a bad value.
    assert start_key_error("pk = :p", {":p": {"S": "p"}}, {"pk": {"S": "p"}}) == (
        "ValidationException", "The provided starting key is invalid")
    assert start_key_error("pk = :p", {":p": {"S": "p"}}, {"pk": {"S": "p"}, "sk": {"S": "1"}}) == (
        "ValidationException", "The provided key element does not match the schema")
    assert start_key_error("pk = :p", {":p": {"S": "p"}}, {"pk": {"S": "p"}, "sk": {"NS": []}}) == (
        "ValidationException",
        # An empty number set is reported as itself, not as a bad start key (dynoxide's recorded rule).
        "One or more parameter values were invalid: An number set  may not be empty")
    # Without a sort-key condition, another partition is outside the query.
    assert start_key_error("pk = :p", {":p": {"S": "p"}}, {"pk": {"S": "other"}, "sk": {"N": "1"}}) == (
        "ValidationException", "The provided starting key is outside query boundaries based on provided conditions")
    # A start key inside the condition resumes after it, both ways.
    out = ddb.query(TableName=ranged, KeyConditionExpression=p_after_2[0], ExpressionAttributeValues=p_after_2[1],
                    ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "6"}})
    assert [int(i["sk"]["N"]) for i in out["Items"]] == [7, 8, 9]
    out = ddb.query(TableName=ranged, KeyConditionExpression=p_after_2[0], ExpressionAttributeValues=p_after_2[1],
                    ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "6"}}, ScanIndexForward=False)
    assert [int(i["sk"]["N"]) for i in out["Items"]] == [5, 4, 3]


def test_reads_may_not_reach_into_key_attributes(ddb, ranged):
    scalars = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: "
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    assert failure(ddb.get_item, TableName=ranged, Key=key, ProjectionExpression="pk.x") == (
        "ValidationException", scalars + "pk")
    assert failure(ddb.scan, TableName=ranged, ProjectionExpression="#n, sk[0]",
                   ExpressionAttributeNames={"#n": "name"}) == ("ValidationException", scalars + "sk")
    assert failure(ddb.scan, TableName=ranged, FilterExpression="attribute_exists(pk.x)") == (
        "ValidationException", scalars + "pk")
    assert failure(ddb.query, TableName=ranged, KeyConditionExpression="pk = :p", ProjectionExpression="sk.x",
                   ExpressionAttributeValues={":p": {"S": "p"}}) == ("ValidationException", scalars + "sk")
    # A Query filter on a key attribute is refused as such, nested or not.
    assert failure(ddb.query, TableName=ranged, KeyConditionExpression="pk = :p", FilterExpression="sk[1] = :p",
                   ExpressionAttributeValues={":p": {"S": "p"}}) == (
        "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")


def test_scan_filters_and_projection(ddb, ranged):
    out = ddb.scan(TableName=ranged, FilterExpression="begins_with(#n, :i) AND sk >= :five",
                   ExpressionAttributeNames={"#n": "name"},
                   ExpressionAttributeValues={":i": {"S": "item-"}, ":five": {"N": "5"}},
                   ProjectionExpression="sk")
    assert sorted(int(i["sk"]["N"]) for i in out["Items"]) == [5, 6, 7, 8, 9]
    assert all(set(i) == {"sk"} for i in out["Items"])
    assert out["ScannedCount"] == 11


def test_global_and_local_secondary_index_queries(ddb, table_name):
    create_table(
        ddb, table_name, range_key=("sk", "S"), extra_attributes=[("email", "S"), ("score", "N")],
        GlobalSecondaryIndexes=[{"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        LocalSecondaryIndexes=[{"IndexName": "by-score", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                         {"AttributeName": "score", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["label"]}}])
    for i, score in enumerate([30, 10, 20]):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "u"}, "sk": {"S": f"s{i}"}, "score": {"N": str(score)},
                                                 "email": {"S": f"user{i}@x"}, "label": {"S": f"L{i}"},
                                                 "secret": {"S": "hidden"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "u"}, "sk": {"S": "sparse"}})
    out = ddb.query(TableName=table_name, IndexName="by-email", KeyConditionExpression="email = :e",
                    ExpressionAttributeValues={":e": {"S": "user1@x"}})
    assert out["Items"] == [{"pk": {"S": "u"}, "sk": {"S": "s1"}, "email": {"S": "user1@x"}}]
    out = ddb.query(TableName=table_name, IndexName="by-score", KeyConditionExpression="pk = :u",
                    ExpressionAttributeValues={":u": {"S": "u"}})
    assert [i["score"]["N"] for i in out["Items"]] == ["10", "20", "30"]
    assert all("secret" not in i and "label" in i for i in out["Items"])
    out = ddb.query(TableName=table_name, IndexName="by-score", KeyConditionExpression="pk = :u",
                    ExpressionAttributeValues={":u": {"S": "u"}}, Select="ALL_ATTRIBUTES", Limit=1)
    assert out["Items"][0]["secret"] == {"S": "hidden"}
    assert out["LastEvaluatedKey"] == {"pk": {"S": "u"}, "sk": {"S": "s1"}, "score": {"N": "10"}}
    assert failure(ddb.query, TableName=table_name, IndexName="by-email", KeyConditionExpression="email = :e",
                   ExpressionAttributeValues={":e": {"S": "user1@x"}}, ConsistentRead=True) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")
    code, message = failure(ddb.query, TableName=table_name, IndexName="by-email", KeyConditionExpression="email = :e",
                            ExpressionAttributeValues={":e": {"S": "user1@x"}}, Select="ALL_ATTRIBUTES")
    assert message == ("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for "
                       "global secondary index by-email because its projection type is not ALL")
    # Index key attributes must have the index's type.
    assert failure(ddb.put_item, TableName=table_name, Item={"pk": {"S": "u"}, "sk": {"S": "bad"}, "email": {"N": "1"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for Index Key email Expected: S Actual: N "
        "IndexName: by-email")


def test_updates_must_keep_index_keys_typed(ddb, table_name):
    create_table(ddb, table_name, extra_attributes=[("email", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-email",
                                          "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    key = {"pk": {"S": "u"}}
    ddb.put_item(TableName=table_name, Item={**key, "n": {"N": "1"}, "email": {"S": "e"}})
    mismatch = ("ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key email "
                                       "Expected: S Actual: N IndexName: by-email")
    # A value known from the request is refused as a type mismatch, before any path check…
    assert failure(ddb.update_item, TableName=table_name, Key=key, UpdateExpression="SET email = :n",
                   ExpressionAttributeValues={":n": {"N": "1"}}) == mismatch
    assert failure(ddb.update_item, TableName=table_name, Key=key, UpdateExpression="SET email = n + :n, email2 = email",
                   ExpressionAttributeValues={":n": {"N": "1"}}) == mismatch
    # …one taken from the item only once the update has run.
    assert failure(ddb.update_item, TableName=table_name, Key=key, UpdateExpression="SET email = n") == (
        "ValidationException", "The update expression attempted to update the secondary index key to unsupported type")
    assert ddb.get_item(TableName=table_name, Key=key)["Item"]["email"] == {"S": "e"}


def test_legacy_parameters(ddb, ranged):
    out = ddb.query(TableName=ranged, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "2"}]}},
        QueryFilter={"name": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "item-0"}, {"S": "item-2"}]}},
        AttributesToGet=["sk"])
    assert out["Items"] == [{"sk": {"N": "0"}}, {"sk": {"N": "2"}}]
    out = ddb.scan(TableName=ranged, ScanFilter={"sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "7"}]},
                                                 "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
                   ConditionalOperator="AND")
    assert sorted(int(i["sk"]["N"]) for i in out["Items"]) == [8, 9]
    ddb.put_item(TableName=ranged, Item={"pk": {"S": "x"}, "sk": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    code, _ = failure(ddb.put_item, TableName=ranged, Item={"pk": {"S": "x"}, "sk": {"N": "1"}},
                      Expected={"pk": {"Exists": False}})
    assert code == "ConditionalCheckFailedException"
    ddb.update_item(TableName=ranged, Key={"pk": {"S": "x"}, "sk": {"N": "1"}},
                    AttributeUpdates={"count": {"Action": "ADD", "Value": {"N": "2"}},
                                      "label": {"Action": "PUT", "Value": {"S": "legacy"}}})
    item = ddb.get_item(TableName=ranged, Key={"pk": {"S": "x"}, "sk": {"N": "1"}}, AttributesToGet=["count", "label"])
    assert item["Item"] == {"count": {"N": "2"}, "label": {"S": "legacy"}}
    assert failure(ddb.put_item, TableName=ranged, Item={"pk": {"S": "y"}, "sk": {"N": "1"}},
                   Expected={"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "1"}, {"S": "2"}]}}) == (
        "ValidationException",
        "1 validation error detected: "
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator")


def test_conditional_operator_needs_two_or_more_conditions(ddb, ranged):
    without = "ConditionalOperator cannot be used without Filter or Expected"
    one = "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    condition = {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}
    assert failure(ddb.scan, TableName=ranged, ConditionalOperator="AND") == ("ValidationException", without)
    assert failure(ddb.scan, TableName=ranged, ConditionalOperator="OR", ScanFilter={"a": condition}) == (
        "ValidationException", one)
    # Before a Query's missing key condition.
    assert failure(ddb.query, TableName=ranged, ConditionalOperator="AND") == ("ValidationException", without)
    # The single-item writes report it in the validation envelope, and write nothing.
    item = {"pk": {"S": "c"}, "sk": {"N": "1"}}
    assert failure(ddb.put_item, TableName=ranged, Item=item, ConditionalOperator="AND",
                   Expected={"a": condition}) == ("ValidationException", "1 validation error detected: " + one)
    assert "Item" not in ddb.get_item(TableName=ranged, Key=item)


def test_transaction_cancellation_reasons(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "b"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "a"}}, "ConditionExpression": "v = :two",
                                "ExpressionAttributeValues": {":two": {"N": "2"}},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "c"}}, "UpdateExpression": "SET x = :x",
                        "ExpressionAttributeValues": {":x": {"S": "x"}}}},
        ])
    err = e.value.response
    assert err["Error"]["Code"] == "TransactionCanceledException"
    assert err["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                                       "[None, ConditionalCheckFailed, None]")
    reasons = err["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Message"] == "The conditional request failed"
    assert reasons[1]["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "b"}}), "nothing of a cancelled transaction"
    ddb.transact_write_items(TransactItems=[
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "a"}}, "ConditionExpression": "v = :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Update": {"TableName": table, "Key": {"pk": {"S": "c"}}, "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "x"}}}},
    ])
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "c"}})["Item"]["x"] == {"S": "x"}


def test_cli_query_with_expressions(eddy, ranged):
    out = eddy.aws("dynamodb", "query", "--table-name", ranged, "--key-condition-expression", "pk = :p AND sk < :s",
                   "--expression-attribute-values", '{":p":{"S":"p"},":s":{"N":"3"}}')
    assert [i["sk"]["N"] for i in out["Items"]] == ["0", "1", "2"]
    proc = eddy.aws("dynamodb", "put-item", "--table-name", ranged, "--item", '{"pk":{"S":"p"},"sk":{"N":"1"}}',
                    "--condition-expression", "attribute_not_exists(pk)", check=False)
    assert proc.returncode != 0 and "ConditionalCheckFailedException" in proc.stderr


def test_what_alternators_suite_found_dynamodb_answers(ddb, table):
    """Answers ScyllaDB's Alternator suite asserts of DynamoDB (it runs against AWS)."""
    key = {"pk": {"S": "k"}}
    ddb.put_item(TableName=table, Item={**key, "l": {"L": [{"N": "1"}]}, "m": {"M": {"x": {"S": "y"}}},
                                        "s": {"S": "hello"}})
    # A document path has at most 32 levels; a projection of 33 is refused.
    deep = "a" + ".b" * 31
    assert "Item" in ddb.get_item(TableName=table, Key=key, ProjectionExpression=deep)
    assert failure(ddb.get_item, TableName=table, Key=key, ProjectionExpression=deep + ".b") == (
        "ValidationException",
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33")
    # An update's functions are not allowed in a condition, nor a condition's in an update (the single-item
    # writes wrap such faults in their envelope).
    assert failure(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET z = :v",
                   ConditionExpression="if_not_exists(s, s) = :v", ExpressionAttributeValues={":v": {"N": "1"}}) == (
        "ValidationException",
        "1 validation error detected: "
        "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists")
    assert failure(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET z = size(s)") == (
        "ValidationException",
        "1 validation error detected: "
        "Invalid UpdateExpression: The function is not allowed in an update expression; function: size")
    # list_append takes an if_not_exists, but not another list_append.
    lists = {":a": {"L": [{"S": "a"}]}, ":b": {"L": [{"S": "b"}]}}
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET n = list_append(if_not_exists(n, :a), :b)",
                    ExpressionAttributeValues=lists)
    assert failure(ddb.update_item, TableName=table, Key=key,
                   UpdateExpression="SET n = list_append(list_append(:a, :b), :a)", ExpressionAttributeValues=lists) == (
        "ValidationException", "1 validation error detected: Invalid UpdateExpression: The function is not allowed to "
                               "be used this way in an expression; function: list_append")
    # Arithmetic that needs more than 38 digits is an overflow in DynamoDB's words.
    assert failure(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET z = :a + :b",
                   ExpressionAttributeValues={":a": {"N": "1e50"}, ":b": {"N": "1"}}) == (
        "ValidationException",
        "Number overflow. Attempting to store a number with magnitude larger than supported range")
    # Legacy filters compare lists and maps with EQ and NE.
    for name, value in [("l", {"L": [{"N": "1"}]}), ("m", {"M": {"x": {"S": "y"}}})]:
        found = ddb.scan(TableName=table, ScanFilter={name: {"ComparisonOperator": "EQ", "AttributeValueList": [value]}})
        assert found["Count"] == 1
        other = ddb.scan(TableName=table, ScanFilter={name: {"ComparisonOperator": "NE", "AttributeValueList": [value]}})
        assert other["Count"] == 0
    # Expected's NOT_CONTAINS fails on a missing attribute (unlike `NOT contains(…)`), and Expected checks its
    # values' types as the filters do.
    assert failure(ddb.update_item, TableName=table, Key=key, AttributeUpdates={"z": {"Value": {"N": "1"}}},
                   Expected={"q": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"N": "1"}]}}) == (
        "ConditionalCheckFailedException", "The conditional request failed")
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET z = :v", ConditionExpression="NOT contains(q, :v)",
                    ExpressionAttributeValues={":v": {"N": "1"}})
    assert failure(ddb.update_item, TableName=table, Key=key, AttributeUpdates={"z": {"Value": {"N": "1"}}},
                   Expected={"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"L": [{"N": "1"}]}]}}) == (
        "ValidationException", "1 validation error detected: "
        "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for L AttributeValue type")


def test_an_expression_holds_300_operators_however_deep(ddb, table):
    # DynamoDB's limit is 300 operators (comparisons, AND, OR, NOT, BETWEEN, IN, + and -; not parentheses):
    # `a<b or (a<b or (…))` nested 149 deep passes, 454 deep is refused at the 301st (Alternator's suite, run
    # against AWS). The deep one is parsed on the server's runtime stack, in the debug build too.
    key = {"pk": {"S": "ops"}}
    ddb.put_item(TableName=table, Item={**key, "a": {"N": "1"}, "b": {"N": "2"}})

    def nested(depth):
        return "a<b " + "or (a<b " * depth + ")" * depth

    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET z = :v", ConditionExpression=nested(149),
                    ExpressionAttributeValues={":v": {"N": "1"}})
    assert ddb.get_item(TableName=table, Key=key)["Item"]["z"] == {"N": "1"}
    for condition in [nested(454), "not " * 1000 + "a<b"]:
        assert failure(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET z = :v",
                       ConditionExpression=condition, ExpressionAttributeValues={":v": {"N": "2"}}) == (
            "ValidationException", "1 validation error detected: Invalid ConditionExpression: "
                                   "The expression contains too many operators; operator count: 301")
    assert ddb.get_item(TableName=table, Key=key)["Item"]["z"] == {"N": "1"}
