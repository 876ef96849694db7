"""Item operations and DynamoDB's data rules: keys, types, numbers, sets, sizes, return values, capacity,
batches and transactions, with the exact error types and messages."""
import base64
import decimal

import boto3.dynamodb.types
import pytest
from botocore.exceptions import ClientError

from conftest import create_table, error_of


@pytest.fixture
def table(ddb, table_name):
    create_table(ddb, table_name)
    return table_name


@pytest.fixture
def ranged(ddb, table_name):
    create_table(ddb, table_name, range_key=("sk", "N"))
    return table_name


def put_error(ddb, table, item):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item=item)
    return error_of(e)


def test_put_get_delete(ddb, table):
    item = {"pk": {"S": "a"}, "s": {"S": "text"}, "n": {"N": "42"}, "b": {"B": b"\x00\x01"},
            "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01", b"\x02"]},
            "m": {"M": {"inner": {"L": [{"NULL": True}, {"BOOL": False}]}}}, "empty": {"S": ""}}
    ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    assert got["b"] == {"B": b"\x00\x01"}
    assert set(got["ss"]["SS"]) == {"x", "y"}
    assert set(got["ns"]["NS"]) == {"1", "2.5"}
    assert got["m"] == item["m"]
    assert got["empty"] == {"S": ""}
    old = ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")["Attributes"]
    assert old["s"] == {"S": "text"}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_numbers_are_returned_in_canonical_form(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "a": {"N": "1.50"}, "b": {"N": "1E+2"}, "c": {"N": "-0.000"},
                                        "d": {"N": "0.00012300"}, "e": {"N": "12345678901234567890123456789012345678"}})
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "n"}})["Item"]
    assert [got[k]["N"] for k in "abcde"] == ["1.5", "100", "0", "0.000123", "12345678901234567890123456789012345678"]


@pytest.mark.parametrize("number,message", [
    ("abc", "The parameter cannot be converted to a numeric value: abc"),
    ("1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("1e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("123456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number"),
])
def test_invalid_numbers(ddb, table, number, message):
    # PutItem reports a bad value inside the validation envelope (AWS, 2026-10).
    assert put_error(ddb, table, {"pk": {"S": "x"}, "n": {"N": number}}) == (
        "ValidationException", "1 validation error detected: " + message)


def test_number_ordering_in_sort_keys(ddb, ranged):
    values = ["-1e10", "-5", "-0.5", "0", "0.25", "1", "2", "10", "1e20"]
    for v in reversed(values):
        ddb.put_item(TableName=ranged, Item={"pk": {"S": "p"}, "sk": {"N": v}})
    items = ddb.scan(TableName=ranged)["Items"]
    got = [decimal.Decimal(i["sk"]["N"]) for i in items]
    assert got == sorted(decimal.Decimal(v) for v in values)


@pytest.mark.parametrize("value,message", [
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                           "supported datatypes"),
    ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
    ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
    ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
    ({"SS": ["a", "a"]}, 'One or more parameter values were invalid: Input collection ["a", "a"] contains duplicates.'),
    ({"NULL": False}, "One or more parameter values were invalid: Null attribute value types must have the value of true"),
])
def test_invalid_attribute_values(ddb, table, value, message):
    assert put_error(ddb, table, {"pk": {"S": "x"}, "v": value}) == (
        "ValidationException", "1 validation error detected: " + message)


def test_key_rules(ddb, table):
    assert put_error(ddb, table, {"other": {"S": "x"}}) == (
        "ValidationException", "One or more parameter values were invalid: Missing the key pk in the item")
    assert put_error(ddb, table, {"pk": {"N": "1"}}) == (
        "ValidationException", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
    # DynamoDB words the empty key differently for a whole item and for a Key parameter.
    assert put_error(ddb, table, {"pk": {"S": ""}}) == (
        "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute "
                               "cannot contain an empty string value. Key: pk")
    for key in ({"pk": {"N": "1"}}, {"pk": {"S": "a"}, "extra": {"S": "b"}}, {"nope": {"S": "a"}}):
        with pytest.raises(ClientError) as e:
            ddb.get_item(TableName=table, Key=key)
        assert error_of(e) == ("ValidationException", "The provided key element does not match the schema")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table, Key={"pk": {"S": ""}})
    # As DynamoDB words it for a Key parameter (checked against AWS in 2026).
    assert error_of(e) == ("ValidationException", "One or more parameter values are not valid. The AttributeValue for "
                                                  "a key attribute cannot contain an empty string value. Key: pk")


def test_key_size_limits(ddb, table):
    assert put_error(ddb, table, {"pk": {"S": "x" * 2049}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
    ddb.put_item(TableName=table, Item={"pk": {"S": "x" * 2048}})
    # A Query for a partition key value no item could have is refused too (an AWS answer to a Query, quoted in a
    # public issue thread).
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x" * 2049}})
    assert error_of(e) == (
        "ValidationException",
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
    assert ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "x" * 2048}})["Count"] == 1


def test_item_size_limit(ddb, table):
    # 400 KB counts attribute names and values.
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "d": {"S": "x" * (400 * 1024 - 4)}})
    assert put_error(ddb, table, {"pk": {"S": "a"}, "d": {"S": "x" * (400 * 1024 - 3)}}) == (
        "ValidationException", "Item size has exceeded the maximum allowed size")
    # Checked before the table is looked up, as the request's own fault; so is a ReturnValues PutItem cannot have.
    too_big = {"pk": {"S": "a"}, "d": {"S": "x" * (400 * 1024)}}
    assert put_error(ddb, "no-such-table", too_big) == (
        "ValidationException", "Item size has exceeded the maximum allowed size")
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={"no-such-table": [{"PutRequest": {"Item": too_big}}]})
    assert error_of(e) == ("ValidationException", "Item size has exceeded the maximum allowed size")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="no-such-table", Item={"pk": {"S": "a"}}, ReturnValues="ALL_NEW")
    assert error_of(e) == ("ValidationException", "1 validation error detected: ReturnValues can only be ALL_OLD or NONE")


def test_an_update_that_only_removes_does_not_create_a_missing_item(eddy, ddb, table_name):
    # DynamoDB leaves a missing item missing when every action takes something away (REMOVE, DELETE from a set,
    # a legacy DELETE with or without a Value), but creates it for any other update, even an empty one
    # (Alternator's suite, run against AWS). Nothing is written, so no stream record either.
    create_table(ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})

    def exists(key):
        return "Item" in ddb.get_item(TableName=table_name, Key={"pk": {"S": key}}, ConsistentRead=True)

    # Nor are its paths looked at: `REMOVE x.y` is a fault on an item without `x`, not on a missing item.
    answer = ddb.update_item(TableName=table_name, Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE x, y.z, w[0]",
                             ReturnValues="ALL_NEW", ReturnConsumedCapacity="TOTAL")
    assert "Attributes" not in answer
    assert answer["ConsumedCapacity"]["CapacityUnits"] == 1.0
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "b"}}, UpdateExpression="DELETE s :v",
                    ExpressionAttributeValues={":v": {"SS": ["q"]}})
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "c"}}, AttributeUpdates={"x": {"Action": "DELETE"}})
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "d"}},
                    AttributeUpdates={"x": {"Action": "DELETE", "Value": {"NS": ["4"]}}})
    ddb.transact_write_items(TransactItems=[{"Update": {
        "TableName": table_name, "Key": {"pk": {"S": "e"}}, "UpdateExpression": "REMOVE x"}}])
    assert not any(exists(k) for k in "abcde")
    # Any other update creates the item: an empty one, or a REMOVE beside a SET.
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "f"}}, AttributeUpdates={})
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "g"}}, UpdateExpression="REMOVE x SET y = :y",
                    ExpressionAttributeValues={":y": {"N": "1"}})
    assert exists("f") and exists("g")
    # On an existing item a REMOVE writes as always.
    assert ddb.update_item(TableName=table_name, Key={"pk": {"S": "g"}}, UpdateExpression="REMOVE y",
                           ReturnValues="ALL_NEW")["Attributes"] == {"pk": {"S": "g"}}
    streams = eddy.client("dynamodbstreams")
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "f"), ("INSERT", "g"), ("MODIFY", "g")]


def test_update_item_is_charged_for_its_statement(ddb, table):
    # A standalone UpdateItem is held to max(finished item, statement charge) <= 409,600, the charge being 3 for the
    # update plus, per clause, 19 + target + value for SET, 1 + target for REMOVE (AWS, us-east-1 among 22 regions,
    # 2026-10). At a one-byte key the charge binds: the finished item may be 19 bytes short of the limit.
    too_big = "Item size to update has exceeded the maximum allowed size"
    limit = 400 * 1024

    def update(key, padding, **kwargs):
        expression = kwargs.pop("expression", "SET b = :pad")
        values = {":pad": {"S": "x" * padding}, **kwargs.pop("values", {})}
        return ddb.update_item(TableName=table, Key={"pk": {"S": key}}, UpdateExpression=expression,
                               ExpressionAttributeValues=values, **kwargs)

    def refused(key, padding, **kwargs):
        with pytest.raises(ClientError) as e:
            update(key, padding, **kwargs)
        return error_of(e)

    ceiling = limit - (3 + 19 + 1)  # the padding one SET of `b` may carry
    update("K", ceiling)
    assert item_size_of(ddb.get_item(TableName=table, Key={"pk": {"S": "K"}})["Item"]) == limit - 19
    assert refused("L", ceiling + 1) == ("ValidationException", too_big)
    # A second SET costs 19 more, however little it writes; a REMOVE 1 + its path.
    assert refused("M", ceiling - 19 - 1 - 1 + 1, expression="SET b = :pad, c = :c", values={":c": {"S": "y"}}) == (
        "ValidationException", too_big)
    update("M", ceiling - 19 - 1 - 1, expression="SET b = :pad, c = :c", values={":c": {"S": "y"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "N"}, "r": {"S": "z"}})
    assert refused("N", ceiling - 2 + 1, expression="SET b = :pad REMOVE r") == ("ValidationException", too_big)
    update("N", ceiling - 2, expression="SET b = :pad REMOVE r")
    # The charge is checked before the condition.
    assert refused("O", ceiling + 1, ConditionExpression="attribute_exists(nope)") == ("ValidationException", too_big)
    # Legacy AttributeUpdates and transactions are sized by the finished item alone.
    padding = limit - len("pk") - 1 - len("b")
    ddb.update_item(TableName=table, Key={"pk": {"S": "P"}},
                    AttributeUpdates={"b": {"Action": "PUT", "Value": {"S": "x" * padding}}})
    ddb.transact_write_items(TransactItems=[{"Update": {
        "TableName": table, "Key": {"pk": {"S": "Q"}}, "UpdateExpression": "SET b = :pad",
        "ExpressionAttributeValues": {":pad": {"S": "x" * padding}}}}])
    for key in "PQ":
        assert item_size_of(ddb.get_item(TableName=table, Key={"pk": {"S": key}})["Item"]) == limit


def item_size_of(item):
    """DynamoDB's size of an item of string attributes."""
    return sum(len(name.encode()) + len(value["S"].encode()) for name, value in item.items())


def test_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="no-such-table", Item={"pk": {"S": "a"}})
    assert error_of(e) == ("ResourceNotFoundException", "Requested resource not found")


def test_return_values_rules(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "r"}, "v": {"N": "1"}})
    out = ddb.put_item(TableName=table, Item={"pk": {"S": "r"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {"pk": {"S": "r"}, "v": {"N": "1"}}
    assert "Attributes" not in ddb.put_item(TableName=table, Item={"pk": {"S": "new"}}, ReturnValues="ALL_OLD")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"pk": {"S": "r"}}, ReturnValues="ALL_NEW")
    assert error_of(e) == ("ValidationException", "1 validation error detected: ReturnValues can only be ALL_OLD or NONE")


def test_consumed_capacity(ddb, table):
    out = ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "d": {"S": "x" * 1500}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 2.0}
    out = ddb.get_item(TableName=table, Key={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 0.5}
    out = ddb.get_item(TableName=table, Key={"pk": {"S": "c"}}, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}


def test_item_count_is_reported(ddb, table):
    for i in range(3):
        ddb.put_item(TableName=table, Item={"pk": {"S": str(i)}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "0"}})
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 2


def test_overwriting_puts_count_sizes_and_capacity_exactly(ddb, table):
    # A put with no condition on a table without indexes, TTL or stream replaces the stored item without
    # decoding it; sizes, counts and capacity must still come out as for any other put.
    def put(item):
        return ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]

    def stats():
        desc = ddb.describe_table(TableName=table)["Table"]
        return desc["ItemCount"], desc["TableSizeBytes"]

    big = {"pk": {"S": "a"}, "payload": {"S": "x" * 1500}, "n": {"N": "-12.5"},
           "m": {"M": {"l": {"L": [{"N": "1"}, {"BOOL": True}]}}}, "ss": {"SS": ["p", "q"]}}
    big_size = 2 + 1 + 7 + 1500 + 1 + 4 + 1 + (3 + 1 + 1 + (3 + 2 + 2 + 1)) + 2 + 2
    assert put(big)["CapacityUnits"] == 2.0
    assert stats() == (1, big_size)
    small = {"pk": {"S": "a"}, "v": {"N": "7"}}
    # Replacing an item costs the larger of the two sizes.
    assert put(small)["CapacityUnits"] == 2.0
    assert stats() == (1, 2 + 1 + 1 + 2)
    # Putting the same item again changes nothing.
    assert put(small)["CapacityUnits"] == 1.0
    assert stats() == (1, 6)
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == small
    put({"pk": {"S": "b"}})
    assert stats() == (2, 6 + 3)


def test_blind_deletes_and_batch_writes_count_sizes_and_capacity_exactly(ddb, table):
    # Deletes without a condition, and batch writes, on a table without indexes, TTL or stream also replace the
    # stored item without decoding it; sizes, counts and capacity must come out as for any other write.
    def stats():
        desc = ddb.describe_table(TableName=table)["Table"]
        return desc["ItemCount"], desc["TableSizeBytes"]

    def batch(requests):
        out = ddb.batch_write_item(RequestItems={table: requests}, ReturnConsumedCapacity="TOTAL")
        assert out["UnprocessedItems"] == {}
        return out["ConsumedCapacity"]

    big = {"pk": {"S": "a"}, "payload": {"S": "x" * 1500}}  # 3 + 1507 bytes: 2 write units
    small = {"pk": {"S": "b"}}
    assert batch([{"PutRequest": {"Item": big}}, {"PutRequest": {"Item": small}}]) == [
        {"TableName": table, "CapacityUnits": 3.0}]
    assert stats() == (2, 1510 + 3)
    # An unchanged put, a delete of an item and a delete of a missing one.
    assert batch([{"PutRequest": {"Item": big}}, {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}},
                  {"DeleteRequest": {"Key": {"pk": {"S": "missing"}}}}]) == [
        {"TableName": table, "CapacityUnits": 4.0}]
    assert stats() == (1, 1510)
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == big
    out = ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 2.0}
    assert "Attributes" not in out
    assert stats() == (0, 0)
    out = ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_batch_write_and_get(ddb, table):
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(25)]})
    out = ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": f"b{i}"}} for i in range(30)]}})
    assert len(out["Responses"][table]) == 25
    assert out["UnprocessedKeys"] == {}
    out = ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": {"pk": {"S": f"b{i}"}}}} for i in range(5)]},
                               ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {}
    assert out["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 5.0}]
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 20


def test_batch_validation(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "d"}}}}] * 2})
    assert error_of(e) == ("ValidationException", "Provided list of item keys contains duplicates")
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": str(i)}} for i in range(101)]}})
    assert error_of(e)[0] == "ValidationException"
    # A map's value breaking its constraints is reported for the whole map, with every constraint listed.
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(26)]})
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith(f"1 validation error detected: Value '{{{table}=[WriteRequest(putRequest=PutRequest(")
    assert message.endswith("' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
                            "[Member must have length less than or equal to 25, Member must have length greater than "
                            "or equal to 1]")
    # A bad request anywhere in a batch means nothing is written.
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "ok"}}}},
                                                   {"PutRequest": {"Item": {"pk": {"N": "1"}}}}]})
    # Unlike PutItem, a batch names a put's missing or mistyped key a key mismatch.
    assert error_of(e) == ("ValidationException", "The provided key element does not match the schema")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "ok"}})
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"other": {"S": "x"}}}}]})
    assert error_of(e) == ("ValidationException", "The provided key element does not match the schema")


def test_transact_write_is_atomic_and_idempotent(ddb, table):
    items = [{"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}"}}}} for i in range(3)]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    ddb.delete_item(TableName=table, Key={"pk": {"S": "t0"}})
    # Same token, same request: not executed again.
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "t0"}})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=items[:1], ClientRequestToken="token-1")
    assert error_of(e)[0] == "IdempotentParameterMismatchException"
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[items[0], items[0]])
    assert error_of(e) == ("ValidationException", "Transaction request cannot include multiple operations on one item")


def test_a_transaction_replayed_with_its_token_reports_reading_what_it_wrote(ddb, table):
    # paritysuite transactWrite (eu-west-2): a ~1.5 KB put costs 4 write units, its same-token replay 2 read units.
    item = {"Put": {"TableName": table, "Item": {"pk": {"S": "replayed"}, "big": {"S": "x" * 1536}}}}

    def consumed():
        out = ddb.transact_write_items(TransactItems=[item], ClientRequestToken="replay-token",
                                       ReturnConsumedCapacity="INDEXES")
        return out["ConsumedCapacity"][0]

    first = consumed()
    assert (first["WriteCapacityUnits"], first.get("ReadCapacityUnits")) == (4.0, None)
    replay = consumed()
    assert (replay["TableName"], replay["CapacityUnits"], replay["ReadCapacityUnits"]) == (table, 2.0, 2.0)
    assert "WriteCapacityUnits" not in replay


def test_transact_get_answers_an_item_its_projection_leaves_empty_as_missing(ddb, table):
    for pk in ["p1", "p2"]:
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "actual": {"S": "v"}})
    out = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": "p1"}},
                                                         "ProjectionExpression": "nothing_here"}},
                                                {"Get": {"TableName": table, "Key": {"pk": {"S": "p2"}},
                                                         "ProjectionExpression": "actual"}}])
    assert out["Responses"] == [{}, {"Item": {"actual": {"S": "v"}}}]


def test_transact_get(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "g1"}, "v": {"S": "one"}})
    out = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": "g1"}}}},
                                                {"Get": {"TableName": table, "Key": {"pk": {"S": "missing"}}}}])
    assert out["Responses"] == [{"Item": {"pk": {"S": "g1"}, "v": {"S": "one"}}}, {}]
    # A bad table name is placed in the request.
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": "g1"}}}},
                                              {"Get": {"TableName": "no such!", "Key": {"pk": {"S": "g1"}}}}])
    assert error_of(e) == ("ValidationException", "1 validation error detected: Value 'no such!' at "
                                                  "'transactItems.2.member.get.tableName' failed to satisfy constraint: "
                                                  "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "ab", "Item": {"pk": {"S": "x"}}}}])
    assert error_of(e)[1] == ("1 validation error detected: Value 'ab' at 'transactItems.1.member.put.tableName' failed "
                              "to satisfy constraint: Member must have length greater than or equal to 3")


def test_parallel_scan_segments_partition_the_table(ddb, table):
    keys = {f"k{i}" for i in range(200)}
    for batch in range(0, 200, 25):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}}
                                                   for i in range(batch, batch + 25)]})
    seen = []
    for segment in range(4):
        seen += [i["pk"]["S"] for i in ddb.scan(TableName=table, Segment=segment, TotalSegments=4)["Items"]]
    assert sorted(seen) == sorted(keys)
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table, Segment=4, TotalSegments=4)
    assert error_of(e) == ("ValidationException", "The Segment parameter is zero-based and must be less than parameter "
                                                  "TotalSegments")
    # A segment resumes only from its own keys.
    first = ddb.scan(TableName=table, Segment=1, TotalSegments=4, Limit=1)
    assert first["LastEvaluatedKey"]
    resumed = ddb.scan(TableName=table, Segment=1, TotalSegments=4, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert first["Items"][0] not in resumed["Items"]
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table, Segment=0, TotalSegments=4, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert error_of(e) == ("ValidationException", "The provided starting key is invalid: Invalid ExclusiveStartKey. "
                                                  "Please use ExclusiveStartKey with correct Segment. TotalSegments: 4 "
                                                  "Segment: 0")


# The orders and segments below are those of dynalite's tests, which were run against DynamoDB itself.
def test_scan_returns_string_keys_in_dynamodb_order(ddb, table):
    keys = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "aardman", "hello", "zapf", "äáöü"]
    for key in keys:
        ddb.put_item(TableName=table, Item={"pk": {"S": key}})
    assert [i["pk"]["S"] for i in ddb.scan(TableName=table)["Items"]] == [
        "2", "8", "9", "1", "6", "hello", "0", "5", "4", "äáöü", "aardman", "7", "3", "zapf"]


def test_scan_returns_number_keys_in_dynamodb_order(ddb, table_name):
    create_table(ddb, table_name, hash_key=("pk", "N"))
    for key in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-0.09", "999.9", "0.012345", "-999.9"]:
        ddb.put_item(TableName=table_name, Item={"pk": {"N": key}})
    assert [i["pk"]["N"] for i in ddb.scan(TableName=table_name)["Items"]] == [
        "7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6", "1", "0", "0.012345", "5"]


def test_parallel_scan_puts_items_in_dynamodb_segments(ddb, table):
    for key in ["3635", "228", "1668", "3435"]:
        ddb.put_item(TableName=table, Item={"pk": {"S": key}})

    def segment(n):
        return sorted(i["pk"]["S"] for i in ddb.scan(TableName=table, Segment=n, TotalSegments=4096)["Items"])

    assert (segment(0), segment(1), segment(2), segment(4)) == (["228", "3635"], ["1668"], [], ["3435"])


def test_index_entries_with_equal_keys_come_in_dynamodb_order(ddb, table_name):
    create_table(ddb, table_name, range_key=("sk", "S"), extra_attributes=[("c", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "byc", "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    items = {"item": ("a", "a"), "item2": ("b", "b"), "item3": ("c", "e"), "item4": ("c", "d"), "item6": ("d", "a"),
             "item7": ("e", "a")}
    names = {keys: name for name, keys in items.items()}
    for pk, sk in items.values():
        ddb.put_item(TableName=table_name, Item={"pk": {"S": pk}, "sk": {"S": sk}, "c": {"S": "same"}})

    def query(**kwargs):
        page = ddb.query(TableName=table_name, IndexName="byc", KeyConditionExpression="c = :c",
                         ExpressionAttributeValues={":c": {"S": "same"}}, **kwargs)
        return [names[(i["pk"]["S"], i["sk"]["S"])] for i in page["Items"]], page.get("LastEvaluatedKey")

    order, last = query(Limit=4)
    assert order == ["item2", "item", "item3", "item7"]
    assert last == {"pk": {"S": "e"}, "sk": {"S": "a"}, "c": {"S": "same"}}
    assert query(ScanIndexForward=False, Limit=4)[0] == ["item4", "item6", "item7", "item3"]
    assert query(ExclusiveStartKey={"pk": {"S": "c"}, "sk": {"S": "e"}, "c": {"S": "same"}}, Limit=2)[0] == [
        "item7", "item6"]


def create_kind_lsi_table(ddb, name, projection):
    """A table of `pk` and `sk` (strings) with an LSI `by-kind` on `kind`."""
    create_table(ddb, name, range_key=("sk", "S"), extra_attributes=[("kind", "S")],
                 LocalSecondaryIndexes=[{"IndexName": "by-kind",
                                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                       {"AttributeName": "kind", "KeyType": "RANGE"}],
                                         "Projection": {"ProjectionType": projection}}])


def test_lsi_entries_with_equal_keys_come_in_base_sort_key_order(ddb, table_name):
    # An LSI lives in its table's partition: ties go by the table's sort key (ExtendDB's dual-target tests, run
    # against DynamoDB, page them so, forwards and backwards).
    create_kind_lsi_table(ddb, table_name, "ALL")
    for sk in ["task3", "task1", "task5", "task2", "task4"]:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "user1"}, "sk": {"S": sk}, "kind": {"S": "EXPORT"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "user1"}, "sk": {"S": "task0"}, "kind": {"S": "IMPORT"}})

    def pages(forward):
        seen, start = [], {}
        while True:
            page = ddb.query(TableName=table_name, IndexName="by-kind", Limit=2, ScanIndexForward=forward,
                             KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "user1"}},
                             **start)
            seen += [i["sk"]["S"] for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return seen
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    assert pages(True) == ["task1", "task2", "task3", "task4", "task5", "task0"]
    assert pages(False) == ["task0", "task5", "task4", "task3", "task2", "task1"]


def test_a_local_index_query_for_an_oversized_partition_key_is_refused(ddb, table_name):
    # A local index shares its table's partition key, and its limit.
    create_kind_lsi_table(ddb, table_name, "ALL")
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=table_name, IndexName="by-kind", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "x" * 2049}})
    assert error_of(e) == (
        "ValidationException",
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")


def test_item_collection_metrics_of_every_write(ddb, table_name, table):
    lsi_table = table_name + "-lsi"
    # On a table with an LSI, ReturnItemCollectionMetrics=SIZE reports each written item collection: one for a
    # single-item write, a list per table for BatchWriteItem and TransactWriteItems (DynamoDB's API reference);
    # a table without one reports none.
    create_kind_lsi_table(ddb, lsi_table, "KEYS_ONLY")

    def collection(pk):
        return {"ItemCollectionKey": {"pk": {"S": pk}}, "SizeEstimateRangeGB": [0.0, 1.0]}

    put = ddb.put_item(TableName=lsi_table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}},
                       ReturnItemCollectionMetrics="SIZE")
    assert put["ItemCollectionMetrics"] == collection("a")
    batch = ddb.batch_write_item(ReturnItemCollectionMetrics="SIZE", RequestItems={
        lsi_table: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
                     {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "2"}}}},
                     {"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}}],
        table: [{"PutRequest": {"Item": {"pk": {"S": "no-lsi"}}}}]})
    assert batch["ItemCollectionMetrics"] == {lsi_table: [collection("b"), collection("a")]}
    transaction = ddb.transact_write_items(ReturnItemCollectionMetrics="SIZE", TransactItems=[
        {"Put": {"TableName": lsi_table, "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}}}},
        {"Update": {"TableName": lsi_table, "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET kind = :k", "ExpressionAttributeValues": {":k": {"S": "x"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "no-lsi"}},
                            "ConditionExpression": "attribute_exists(pk)"}}])
    assert transaction["ItemCollectionMetrics"] == {lsi_table: [collection("c"), collection("b")]}
    assert "ItemCollectionMetrics" not in ddb.batch_write_item(RequestItems={
        lsi_table: [{"PutRequest": {"Item": {"pk": {"S": "d"}, "sk": {"S": "1"}}}}]})


def test_an_lsis_tie_order_survives_a_restart(fresh_eddy, table_name):
    ddb = fresh_eddy.client()
    create_kind_lsi_table(ddb, table_name, "KEYS_ONLY")

    def put(sk):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "u"}, "sk": {"S": sk}, "kind": {"S": "same"}})

    for sk in ["c", "a", "e"]:
        put(sk)
    fresh_eddy.kill()
    fresh_eddy.start()
    ddb = fresh_eddy.client()
    for sk in ["d", "b"]:
        put(sk)
    page = ddb.query(TableName=table_name, IndexName="by-kind", KeyConditionExpression="pk = :pk",
                     ExpressionAttributeValues={":pk": {"S": "u"}})
    assert [i["sk"]["S"] for i in page["Items"]] == ["a", "b", "c", "d", "e"]


def test_scan_pages_with_limit_and_start_key(ddb, table):
    for i in range(10):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i}"}})
    seen, start = [], None
    while True:
        kwargs = {"TableName": table, "Limit": 3}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(**kwargs)
        seen += [i["pk"]["S"] for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(seen) == sorted(f"p{i}" for i in range(10))
    assert len(seen) == 10


def test_scan_stops_at_one_megabyte(ddb, table):
    blob = "x" * 100_000
    for i in range(15):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"big{i}"}, "d": {"S": blob}})
    page = ddb.scan(TableName=table)
    assert page["Count"] < 15
    assert "LastEvaluatedKey" in page
    rest = ddb.scan(TableName=table, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert page["Count"] + rest["Count"] == 15


def test_cli_put_and_get(eddy, table_name):
    eddy.aws("dynamodb", "create-table", "--table-name", table_name,
             "--attribute-definitions", "AttributeName=pk,AttributeType=S",
             "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    eddy.aws("dynamodb", "put-item", "--table-name", table_name, "--item", '{"pk":{"S":"cli"},"n":{"N":"7"}}')
    out = eddy.aws("dynamodb", "get-item", "--table-name", table_name, "--key", '{"pk":{"S":"cli"}}')
    assert out["Item"] == {"pk": {"S": "cli"}, "n": {"N": "7"}}
    proc = eddy.aws("dynamodb", "put-item", "--table-name", table_name, "--item", '{"pk":{"N":"1"}}', check=False)
    assert proc.returncode != 0
    assert "Type mismatch for key pk expected: S actual: N" in proc.stderr


def test_high_level_resource_api_round_trips_python_types(eddy, table_name):
    resource = __import__("boto3").resource("dynamodb", endpoint_url=eddy.endpoint, region_name="us-east-1",
                                            aws_access_key_id="test", aws_secret_access_key="test")
    create_table(eddy.client(), table_name)
    t = resource.Table(table_name)
    t.put_item(Item={"pk": "r", "price": decimal.Decimal("19.99"), "tags": {"a", "b"}, "nested": {"l": [1, "two"]}})
    got = t.get_item(Key={"pk": "r"})["Item"]
    assert got["price"] == decimal.Decimal("19.99")
    assert got["tags"] == {"a", "b"}
    assert got["nested"] == {"l": [decimal.Decimal(1), "two"]}


def test_nesting_limit(ddb, table):
    def nested(levels):
        value = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"a": value}}
        return value

    message = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
               "supported limit")
    ddb.put_item(TableName=table, Item={"pk": {"S": "deep"}, "v": nested(31)})
    # PutItem reports it inside the validation envelope, a batch bare (AWS, 2026-10).
    assert put_error(ddb, table, {"pk": {"S": "deeper"}, "v": nested(32)}) == (
        "ValidationException", "1 validation error detected: " + message)
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "deeper"}, "v": nested(32)}}}]})
    assert error_of(e) == ("ValidationException", message)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "deeper"}})


def test_an_empty_index_key_is_refused_naming_its_type(ddb, table_name):
    gsis = [{"IndexName": name, "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}} for name, attr in [("by-s", "s"), ("by-b", "b")]]
    create_table(ddb, table_name, extra_attributes=[("s", "S"), ("b", "B")], GlobalSecondaryIndexes=gsis)
    prefix = ("One or more parameter values are not valid. A value specified for a secondary index key is not "
              "supported. The AttributeValue for a key attribute cannot contain an empty ")
    for attr, value, message in [("s", {"S": ""}, "string value. IndexName: by-s, IndexKey: s"),
                                 ("b", {"B": b""}, "binary value. IndexName: by-b, IndexKey: b")]:
        with pytest.raises(ClientError) as e:
            ddb.put_item(TableName=table_name, Item={"pk": {"S": "k"}, attr: value})
        assert error_of(e) == ("ValidationException", prefix + message)
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "k"}})


CANCELLED_BY_VALIDATION = ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                           "[None, ValidationError]")


def reasons_of(excinfo):
    return [(r["Code"], r.get("Message")) for r in excinfo.value.response["CancellationReasons"]]


def test_transactions_cancel_for_mismatched_keys_and_refuse_empty_values(ddb, table_name):
    """As DynamoDB answers (checked against AWS in 2026): a key or index key of the wrong type cancels the
    transaction with a ValidationError reason for its item; an empty key value refuses the whole request."""
    gsi = {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "KEYS_ONLY"}}
    create_table(ddb, table_name, extra_attributes=[("g", "S")], GlobalSecondaryIndexes=[gsi])
    fine = {"Put": {"TableName": table_name, "Item": {"pk": {"S": "fine"}}}}
    cases = [
        ({"Put": {"TableName": table_name, "Item": {"pk": {"N": "5"}}}},
         "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        ({"Put": {"TableName": table_name, "Item": {"pk": {"S": "a"}, "g": {"N": "5"}}}},
         "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N "
         "IndexName: by-g"),
        ({"Update": {"TableName": table_name, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET g = :v",
                     "ExpressionAttributeValues": {":v": {"N": "5"}}}},
         "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N "
         "IndexName: by-g"),
        ({"Delete": {"TableName": table_name, "Key": {"pk": {"N": "5"}}}},
         "The provided key element does not match the schema"),
    ]
    for action, message in cases:
        with pytest.raises(ClientError) as e:
            ddb.transact_write_items(TransactItems=[fine, action])
        assert error_of(e) == ("TransactionCanceledException", CANCELLED_BY_VALIDATION)
        assert reasons_of(e) == [("None", None), ("ValidationError", message)]
    # Only the first mismatch is named; DynamoDB looks no further, so a failing condition is not reported either.
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            cases[0][0], {"Put": {"TableName": table_name, "Item": {"pk": {"N": "6"}}}},
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": "c"}}, "ConditionExpression": "attribute_exists(pk)"}}])
    assert reasons_of(e) == [("ValidationError", cases[0][1]), ("None", None), ("None", None)]
    refused = [
        ({"Delete": {"TableName": table_name, "Key": {"pk": {"S": ""}}}},
         "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
         "string value. Key: pk"),
        ({"Update": {"TableName": table_name, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET g = :v",
                     "ExpressionAttributeValues": {":v": {"S": ""}}}},
         "One or more parameter values are not valid. The update expression attempted to update a secondary index "
         "key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty "
         "string value."),
    ]
    for action, message in refused:
        with pytest.raises(ClientError) as e:
            ddb.transact_write_items(TransactItems=[fine, action])
        assert error_of(e) == ("ValidationException", message)
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table_name, Key={"pk": {"S": "a"}}, UpdateExpression="SET g = :v",
                        ExpressionAttributeValues={":v": {"S": ""}})
    assert error_of(e) == ("ValidationException", refused[1][1])
    assert ddb.scan(TableName=table_name)["Count"] == 0


def test_a_transaction_carries_at_most_4_mb(ddb, table_name):
    create_table(ddb, table_name)
    big = "x" * 350_000
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": f"k{i}"}, "v": {"S": big}}}} for i in range(12)])
    assert error_of(e)[0] == "ValidationException"
    assert ddb.scan(TableName=table_name, Select="COUNT")["Count"] == 0


def test_transact_get_cancels_for_a_key_that_does_not_fit_and_refuses_repeats(ddb, table_name):
    create_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table_name, "Key": {"pk": {"S": "a"}}}},
                                              {"Get": {"TableName": table_name, "Key": {}}}])
    assert error_of(e) == ("TransactionCanceledException", CANCELLED_BY_VALIDATION)
    assert reasons_of(e) == [("None", None), ("ValidationError", "The provided key element does not match the schema")]
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table_name, "Key": {"pk": {"S": "a"}}}}] * 2)
    assert error_of(e) == ("ValidationException", "Transaction request cannot include multiple operations on one item")


def test_only_transactions_name_read_and_write_units(ddb, table_name):
    """DynamoDB reports ReadCapacityUnits / WriteCapacityUnits besides CapacityUnits for transactions only."""
    create_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
    got = ddb.get_item(TableName=table_name, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="INDEXES")
    assert got["ConsumedCapacity"] == {"TableName": table_name, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
    read = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table_name, "Key": {"pk": {"S": "a"}}}}],
                                  ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert read == [{"TableName": table_name, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0,
                     "Table": {"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}}]
    written = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table_name, "Item": {"pk": {"S": "b"}}}}],
                                       ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert written == [{"TableName": table_name, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}]


def test_batch_get_does_not_mix_projection_styles_across_tables(ddb, table_name):
    create_table(ddb, table_name)
    other = table_name + "-2"
    create_table(ddb, other)
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={
            table_name: {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "pk"},
            other: {"Keys": [{"pk": {"S": "b"}}], "AttributesToGet": ["pk"]}})
    assert error_of(e) == ("ValidationException", "Can not use both expression and non-expression parameters in the "
                           "same request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                           "{ProjectionExpression}")


def test_legacy_filters_compare_booleans(ddb, table_name):
    create_table(ddb, table_name, range_key=("sk", "S"))
    for sk, flag in [("a", True), ("b", False)]:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"S": sk}, "flag": {"BOOL": flag}})
    out = ddb.query(TableName=table_name,
                    KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
                    QueryFilter={"flag": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["a"]
    out = ddb.scan(TableName=table_name,
                   ScanFilter={"flag": {"ComparisonOperator": "NE", "AttributeValueList": [{"BOOL": True}]}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["b"]


def test_all_projected_attributes_needs_an_index(ddb, table_name):
    create_table(ddb, table_name)
    message = "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table_name, Select="ALL_PROJECTED_ATTRIBUTES")
    assert error_of(e) == ("ValidationException", message)
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=table_name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}},
                  Select="ALL_PROJECTED_ATTRIBUTES")
    assert error_of(e) == ("ValidationException", message)


def test_batch_table_names_are_held_to_the_name_rules(eddy):
    ddb = eddy.client(validate=False)
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]})
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '{t=")
    assert message.endswith("at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: "
                            "[Member must have length less than or equal to 255, Member must have length greater "
                            "than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")


@pytest.mark.parametrize("number,message", [
    ("0e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("0e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("1e9223372036854775808", "The parameter cannot be converted to a numeric value: 1e9223372036854775808"),
])
def test_number_exponents_as_dynamodb_checks_them(ddb, table_name, number, message):
    create_table(ddb, table_name)
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "n": {"N": number}})
    assert error_of(e) == ("ValidationException", "1 validation error detected: " + message)


def test_a_transaction_item_needs_an_action(eddy, table_name):
    ddb = eddy.client(validate=False)
    create_table(ddb, table_name)
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{}])
    assert error_of(e) == ("ValidationException",
                           "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")
