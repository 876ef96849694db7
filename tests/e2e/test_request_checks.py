"""Checks DynamoDB makes of a request's own content, as verified against AWS by ExtendDB's dual-target tests (2026):
ordering comparisons with values that cannot be ordered, expression sizes, placeholder maps, repeated batch keys,
null set members, COUNT with a projection, and transactions' keys over their size limit."""
import json

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import create_table, error_of, refusal


@pytest.fixture
def table(ddb, table_name):
    create_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "n": {"N": "5"}, "flag": {"BOOL": True}})
    return table_name


def operand(kind, operator, type_name):
    return ("ValidationException", f"Invalid {kind}: Incorrect operand type for operator or function; "
                                   f"operator or function: {operator}, operand type: {type_name}")


def test_a_value_that_cannot_be_ordered_is_refused_in_an_ordering_comparison(ddb, table):
    item = {"pk": {"S": "p"}, "n": {"N": "5"}}
    for value, type_name in [({"BOOL": True}, "BOOL"), ({"NULL": True}, "NULL"), ({"SS": ["a"]}, "SS"),
                             ({"L": []}, "L"), ({"M": {}}, "M")]:
        assert refusal(ddb.put_item, TableName=table, Item=item, ConditionExpression="n > :v",
                       ExpressionAttributeValues={":v": value}) == (
            operand("ConditionExpression", ">", type_name)[0],
            "1 validation error detected: " + operand("ConditionExpression", ">", type_name)[1])
    # Up front, whether or not the comparison would be evaluated, and in filters.
    assert refusal(ddb.scan, TableName=table, FilterExpression="attribute_exists(zz) AND n BETWEEN :v AND :v",
                   ExpressionAttributeValues={":v": {"BOOL": True}}) == operand("FilterExpression", "BETWEEN", "BOOL")
    # A transaction refuses it outright rather than cancelling.
    assert refusal(ddb.transact_write_items, TransactItems=[{"ConditionCheck": {
        "TableName": table, "Key": {"pk": {"S": "p"}}, "ConditionExpression": ":v <= n",
        "ExpressionAttributeValues": {":v": {"BOOL": True}}}}]) == operand("ConditionExpression", "<=", "BOOL")
    # A stored value that cannot be ordered just compares false; equality takes any type.
    assert refusal(ddb.put_item, TableName=table, Item=item, ConditionExpression="flag > :zero",
                   ExpressionAttributeValues={":zero": {"N": "0"}})[0] == "ConditionalCheckFailedException"
    ddb.put_item(TableName=table, Item=item, ConditionExpression="n <> :v", ExpressionAttributeValues={":v": {"BOOL": True}})


def test_only_conditions_and_filters_name_their_size_when_too_large(ddb, table):
    projection = ", ".join(f"a{i}" for i in range(900))
    assert len(projection) > 4096
    assert refusal(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression=projection) == (
        "ValidationException", "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;")
    condition = " OR ".join(f"a{i} = :v" for i in range(500))
    _, message = refusal(ddb.scan, TableName=table, FilterExpression=condition,
                            ExpressionAttributeValues={":v": {"S": "x"}})
    assert message == ("Invalid FilterExpression: Expression size has exceeded the maximum allowed size; "
                       f"expression size: {len(condition)}")


def test_placeholder_maps_keys_and_names(ddb, table):
    assert refusal(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression="#a",
                   ExpressionAttributeNames={"#" + "a" * 255: "foo"}) == (
        "ValidationException", "ExpressionAttributeNames contains invalid key: The expression attribute map contains "
                               "a key that is too long; size of key: 256")
    assert refusal(ddb.get_item, TableName=table, Key={"pk": {"S": "p"}}, ProjectionExpression="#a",
                   ExpressionAttributeNames={"#a": ""}) == (
        "ValidationException", "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a")
    assert refusal(ddb.scan, TableName=table, FilterExpression="foo = :v",
                   ExpressionAttributeValues={":" + "a" * 255: {"S": "x"}}) == (
        "ValidationException", "ExpressionAttributeValues contains invalid key: The expression attribute map contains "
                               "a key that is too long;")
    # A transaction's Put, Delete or Get without expressions ignores its placeholder maps.
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "t"}},
                                                     "ExpressionAttributeNames": {"#n": "foo"},
                                                     "ExpressionAttributeValues": {":v": {"N": "1"}}}}])
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": "t"}},
                                                         "ExpressionAttributeNames": {"#n": "foo"}}}])
    assert got["Responses"][0]["Item"] == {"pk": {"S": "t"}}


def test_repeated_batch_keys_are_refused_before_the_table_is_looked_up(ddb):
    key = {"pk": {"S": "a"}}
    assert refusal(ddb.batch_get_item, RequestItems={"no-such-table": {"Keys": [key, key]}}) == (
        "ValidationException", "Provided list of item keys contains duplicates")


def test_a_null_between_bound_is_an_operand_type_error_before_the_bounds_are_compared(ddb, table):
    # moto's AWS-verified tests: one NULL bound is named as such, not as a type mismatch with the other bound.
    for low, high in [({"NULL": True}, {"N": "100"}), ({"N": "1"}, {"NULL": True})]:
        assert refusal(ddb.scan, TableName=table, FilterExpression="n BETWEEN :lo AND :hi",
                       ExpressionAttributeValues={":lo": low, ":hi": high}) == operand(
            "FilterExpression", "BETWEEN", "NULL")


def test_a_projection_with_a_select_that_is_not_specific_attributes(ddb, table):
    # Query and Scan word these alike since late October 2026 (moto's AWS-verified tests); Scan's were bare before.
    for select, chosen in [("COUNT", "only the Count"), ("ALL_ATTRIBUTES", "ALL_ATTRIBUTES")]:
        for param, projection in [("ProjectionExpression", {"ProjectionExpression": "pk"}),
                                  ("AttributesToGet", {"AttributesToGet": ["pk"]})]:
            expected = ("ValidationException",
                        f"1 validation error detected: Cannot specify the {param} when choosing to get {chosen}")
            assert refusal(ddb.scan, TableName=table, Select=select, **projection) == expected
            assert refusal(ddb.query, TableName=table, KeyConditions={
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
                Select=select, **projection) == expected


def test_a_null_set_member_is_a_validation_error(eddy, table):
    # boto3 will not send a null member, so the body is posted as is.
    body = {"TableName": table, "Item": {"pk": {"S": "n"}, "s": {"SS": ["a", None]}}}
    reply = requests.post(eddy.endpoint, data=json.dumps(body), headers={
        "X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    assert reply.status_code == 400
    assert reply.json()["__type"].endswith("#ValidationException")
    assert reply.json()["message"] == ("1 validation error detected: One or more parameter values were invalid: "
                                       "An string set may not have a null string as a member")


def test_a_transaction_key_over_its_size_limit_cancels(ddb, table):
    key = {"pk": {"S": "a" * 2049}}
    for call, items in [(ddb.transact_write_items, [{"Put": {"TableName": table, "Item": key}}]),
                        (ddb.transact_write_items, [{"Delete": {"TableName": table, "Key": key}}]),
                        (ddb.transact_get_items, [{"Get": {"TableName": table, "Key": key}}])]:
        with pytest.raises(ClientError) as e:
            call(TransactItems=items)
        assert error_of(e)[0] == "TransactionCanceledException"
        assert e.value.response["CancellationReasons"] == [{
            "Code": "ValidationError",
            "Message": "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size "
                       "limit of2048 bytes"}]


def test_an_index_arn_is_not_a_table_name(ddb, table):
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    assert ddb.get_item(TableName=arn, Key={"pk": {"S": "p"}})["Item"]["n"] == {"N": "5"}
    code, _ = refusal(ddb.get_item, TableName=f"{arn}/index/some-index", Key={"pk": {"S": "p"}})
    assert code == "ValidationException"


def test_a_table_named_by_its_arn_is_echoed_as_named(ddb, table):
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    got = ddb.get_item(TableName=arn, Key={"pk": {"S": "p"}}, ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["TableName"] == arn
    got = ddb.query(TableName=arn, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                    ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["TableName"] == arn
    got = ddb.batch_get_item(RequestItems={arn: {"Keys": [{"pk": {"S": "p"}}]}}, ReturnConsumedCapacity="TOTAL")
    assert list(got["Responses"]) == [arn] and got["Responses"][arn][0]["n"] == {"N": "5"}
    assert [c["TableName"] for c in got["ConsumedCapacity"]] == [arn]
    got = ddb.batch_write_item(RequestItems={arn: [{"PutRequest": {"Item": {"pk": {"S": "w"}}}}]},
                               ReturnConsumedCapacity="TOTAL")
    assert [c["TableName"] for c in got["ConsumedCapacity"]] == [arn]
    # By name, by name.
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "p"}}, ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["TableName"] == table


def test_single_item_writes_run_the_newer_checks_once_their_required_members_are_there(eddy):
    # us-east-1 as the paritysuite registry records it (2026-10-07; every region but eu-south-2 and me-central-1).
    ddb = eddy.client(validate=False)
    generic = ("1 validation error detected: Failed to satisfy constraint: Member must satisfy enum value set: "
               "[ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATE_NEW, NONE]")
    assert refusal(ddb.update_item, TableName="absent_table", Key={"pk": {"S": "a"}}, ReturnValues="INVALID",
                   ReturnConsumedCapacity="INVALID") == ("ValidationException", generic)
    assert refusal(ddb.delete_item, TableName="absent_table", Key={"pk": {"S": "a"}},
                   ReturnValues="BOGUS") == ("ValidationException", generic)
    empty_name = ("1 validation error detected: Value at 'TableName' failed to satisfy constraint: Member must have "
                  "length greater than or equal to 1")
    assert refusal(ddb.put_item, TableName="", Item={}, ReturnValues="INVALID") == ("ValidationException", empty_name)
    assert refusal(ddb.update_item, TableName="", Key={}) == ("ValidationException", empty_name)
    # PutItem words it so too, but lists it among its other faults (eu-west-2 names the other two, 2026-06).
    assert refusal(ddb.put_item, TableName="absent_table", Item={"pk": {"S": "a"}}, ReturnValues="INVALID") == (
        "ValidationException", generic)
    code, message = refusal(ddb.put_item, TableName="absent_table", Item={"pk": {"S": "a"}}, ReturnValues="INVALID",
                            ReturnConsumedCapacity="INVALID", ReturnItemCollectionMetrics="INVALID")
    assert message.startswith("3 validation errors detected: ") and generic[len("1 validation error detected: "):] in (
        message) and "'returnConsumedCapacity'" in message and "'returnItemCollectionMetrics'" in message
    # Without a required member the older checks list every fault, member by member (test_tables.py has UpdateItem).
    code, message = refusal(ddb.delete_item, TableName="", ReturnValues="BOGUS")
    assert (code, message.split(":")[0]) == ("ValidationException", "3 validation errors detected")
    assert "Value 'BOGUS' at 'returnValues'" in message
    # DeleteItem, like PutItem, lists it with its other faults (paritysuite validation-ordering/deleteItem).
    _, message = refusal(ddb.delete_item, TableName="absent_table", Key={"pk": {"S": "a"}}, ReturnValues="BOGUS",
                         ReturnConsumedCapacity="BOGUS")
    assert message.startswith("2 validation errors detected: ") and "'returnConsumedCapacity'" in message
    assert generic[len("1 validation error detected: "):] in message
    _, message = refusal(ddb.put_item, TableName="absent_table", ReturnValues="INVALID")
    assert message.startswith("2 validation errors detected: Value 'INVALID' at 'returnValues'")


def test_specific_attributes_without_a_projection_is_refused_in_the_envelope(ddb, table):
    expected = ("ValidationException", "1 validation error detected: Must specify the AttributesToGet or "
                                       "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    assert refusal(ddb.scan, TableName=table, Select="SPECIFIC_ATTRIBUTES") == expected
    assert refusal(ddb.query, TableName=table, Select="SPECIFIC_ATTRIBUTES", KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "p"}}) == expected


def test_control_plane_calls_without_a_table_name_say_so_first(eddy):
    for operation in ["CreateTable", "DeleteTable", "DescribeTable", "DescribeTimeToLive", "UpdateTable"]:
        response = requests.post(eddy.endpoint + "/", data=json.dumps({"BillingMode": "BOGUS"}), timeout=10, headers={
            "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"})
        assert (response.status_code, response.json()["message"]) == (
            400, "The parameter 'TableName' is required but was not present in the request"), operation


def test_an_unknown_conditional_operator_beside_two_conditions_gets_the_newer_form(eddy):
    # us-east-1 and eu-west-2, 2026-10-09 (paritysuite): bare for Query, on its own ahead of an unknown Select.
    ddb = eddy.client(validate=False)
    newer = "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]"
    two_nulls = {"b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}}
    assert refusal(ddb.query, TableName="absent_table", ConditionalOperator="XOR", Select="BOGUS",
                   KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                   QueryFilter=two_nulls) == ("ValidationException", newer)
    assert refusal(ddb.put_item, TableName="absent_table", Item={"pk": {"S": "a"}}, ConditionalOperator="XOR",
                   Expected={"a": {"Exists": False}, "b": {"Exists": False}}) == (
        "ValidationException", "1 validation error detected: " + newer)
    # Without the Key, the older checks join it to the missing member.
    assert refusal(ddb.update_item, TableName="absent_table", ConditionalOperator="XOR",
                   AttributeUpdates={"x": {"Action": "PUT", "Value": {"S": "1"}}},
                   Expected={"a": {"Exists": False}, "b": {"Exists": False}}) == (
        "ValidationException", "2 validation errors detected: Value 'XOR' at 'conditionalOperator' failed to satisfy "
                               "constraint: Member must satisfy enum value set: [OR, AND]; Value null at 'key' failed "
                               "to satisfy constraint: Member must not be null")
