"""Requests carrying values nested far past DynamoDB's 32-level limit, and what DynamoDB reports when something
else is wrong as well. The cases and answers are the paritysuite's deepRequests file (captured in eu-west-2 and
us-east-1, 2026-10-09; the Scan and transaction cases in ten regions): every table is absent, so each answer comes
before the table is looked up. Past about 62 levels (a body nested deeper than 128 JSON levels) the single-item
operations answer in older forms: enum faults in the older constraint wording, custom messages bare. eddy reads
such bodies too (up to 512 JSON levels; deeper ones are refused unread with the nesting error)."""
import requests

from conftest import nested_map, validation_refusal

NEST = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
        "supported limit")
XOR_OLDER = ("1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: "
             "Member must satisfy enum value set: [OR, AND]")
RV_OLDER = ("1 validation error detected: Value 'BOGUS' at 'returnValues' failed to satisfy constraint: Member must "
            "satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
SYNTAX = 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"'
EMPTY_NAME = "Empty attribute name"
ABSENT = "deep_order_absent"


def nest_for_key(key):
    return f"ExpressionAttributeValues contains invalid value: {NEST} for key {key}"


def s(text):
    return {"S": text}


def key(pk):
    return {"pk": pk, "sk": s("1")}


def test_legacy_conditions_past_the_second_limit_report_the_older_enum_wording_first(ddb):
    expected = {"a": {"Value": nested_map(100)}, "b": {"Exists": False}}
    assert validation_refusal(ddb.put_item, TableName=ABSENT, Item=key(s("a")), Expected=expected,
                   ConditionalOperator="XOR") == XOR_OLDER
    assert validation_refusal(ddb.update_item, TableName=ABSENT, Key=key(s("a")), Expected=expected, ConditionalOperator="XOR",
                   AttributeUpdates={"x": {"Action": "PUT", "Value": s("1")}}) == XOR_OLDER
    # Regions split here between the two answers (seven of ten give the depth).
    assert validation_refusal(ddb.scan, TableName=ABSENT, ConditionalOperator="AND",
                   ScanFilter={"a": {"ComparisonOperator": "EQ", "AttributeValueList": [nested_map(40)]}}) in (
        NEST, "ConditionalOperator can only be used when Filter or Expected has two or more elements")


def test_a_transaction_reports_the_first_fault_of_its_actions_in_request_order(ddb):
    def first_fault(*actions):
        return validation_refusal(ddb.transact_write_items, TransactItems=list(actions))

    def put(item, **extra):
        return {"Put": {"TableName": ABSENT, "Item": item, **extra}}

    def check(pk, **extra):
        return {"ConditionCheck": {"TableName": ABSENT, "Key": key(pk), **extra}}

    unused = {"Update": {"TableName": ABSENT, "Key": key(s("a")), "UpdateExpression": "SET a = :v",
                         "ExpressionAttributeValues": {":v": s("x"), ":u": s("y")}}}
    empty_name = put({**key(s("a")), "": s("x")})
    assert first_fault(put({**key(s("b")), "d": nested_map(40)}), empty_name) == NEST
    assert first_fault(empty_name, put({**key(s("b")), "d": nested_map(100)})) == EMPTY_NAME
    assert first_fault(put({**key(s("a")), "": s("x"), "d": nested_map(100)})) == EMPTY_NAME
    assert first_fault(put({**key(s("a")), "d": nested_map(100), "": s("x")})) == EMPTY_NAME
    assert first_fault(put({**key(s("a")), "m": {"M": {"": s("x")}}, "d": nested_map(40)})) == NEST
    assert first_fault(empty_name, check(s("b"), ConditionExpression="d = :deep",
                                         ExpressionAttributeValues={":deep": nested_map(100)})) == EMPTY_NAME
    assert first_fault(check(s("b"), ConditionExpression="d = :deep", ExpressionAttributeValues={":deep": nested_map(40)}),
                       empty_name) in (nest_for_key(":deep"), NEST)
    assert first_fault({"Update": {"TableName": ABSENT, "Key": key(s("a")), "UpdateExpression": "SET d = :deep",
                                   "ExpressionAttributeValues": {":deep": nested_map(40)}}},
                       empty_name) in (nest_for_key(":deep"), NEST)
    syntax = put(key(s("a")), ConditionExpression="a = = b")
    assert first_fault({"Delete": {"TableName": ABSENT, "Key": key(nested_map(40))}}, syntax) == NEST
    assert first_fault(check(nested_map(40), ConditionExpression="attribute_exists(a)"), unused) == NEST
    assert first_fault(syntax, {"Delete": {"TableName": ABSENT, "Key": key(nested_map(100))}}) == SYNTAX
    assert first_fault({"Delete": {"TableName": ABSENT, "Key": key(nested_map(100)),
                                   "ConditionExpression": "a = = b"}}) == SYNTAX
    oversized = "a = :v" + " AND a = :v" * 373
    assert first_fault({"Delete": {"TableName": ABSENT, "Key": key(nested_map(100)), "ConditionExpression": oversized,
                                   "ExpressionAttributeValues": {":v": s("x")}}}) == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4109")
    long_update = "SET " + ", ".join(f"a{i} = :v" for i in range(500))
    assert first_fault({"Update": {"TableName": ABSENT, "Key": key(s("a")), "UpdateExpression": long_update,
                                   "ExpressionAttributeValues": {":v": s("x")}}},
                       check(nested_map(100), ConditionExpression="attribute_exists(a)")) == (
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;")
    assert first_fault(unused, check(nested_map(100), ConditionExpression="attribute_exists(a)")) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}")


def test_delete_item_past_the_second_limit_checks_return_values_first_in_the_older_form(ddb):
    def condition(depth):
        return {"ConditionExpression": "#d = :deep", "ExpressionAttributeNames": {"#d": "d"},
                "ExpressionAttributeValues": {":deep": nested_map(depth)}}

    assert validation_refusal(ddb.delete_item, TableName=ABSENT, Key=key(s("a")), ReturnValues="BOGUS",
                   **condition(63)) == RV_OLDER
    assert validation_refusal(ddb.delete_item, TableName=ABSENT, Key=key(s("a")), ReturnValues="BOGUS",
                   Expected={"d": {"Value": nested_map(63)}}) == RV_OLDER
    assert validation_refusal(ddb.delete_item, TableName=ABSENT, Key=key(nested_map(100)), ReturnValues="BOGUS") == RV_OLDER
    assert validation_refusal(ddb.delete_item, TableName=ABSENT, Key=key(s("a")), ReturnValues="UPDATED_NEW",
                   **condition(100)) == "ReturnValues can only be ALL_OLD or NONE"


def test_single_item_writes_answer_bare_past_the_second_limit_and_enveloped_before_it(ddb, table_name):
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk",
                                                                                    "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    for depth, expected in [(62, "1 validation error detected: " + NEST), (63, NEST), (100, NEST)]:
        assert validation_refusal(ddb.put_item, TableName=table_name, Item={"pk": s("a"), "d": nested_map(depth)}) == expected, depth
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": s("a")})


def raw(eddy, operation, body):
    response = requests.post(eddy.endpoint + "/", data=body, timeout=30, headers={
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"})
    payload = response.json()
    return response.status_code, payload["__type"].split("#")[-1], payload.get("message") or payload.get("Message")


def deep_put_body(table, depth):
    return '{"TableName":"%s","Item":{"pk":{"S":"a"},"d":%s{"S":"x"}%s}}' % (
        table, '{"M":{"n":' * depth, "}}" * depth)


def test_bodies_of_any_depth_get_the_nesting_error_and_never_harm_the_server(eddy, ddb, table_name):
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk",
                                                                                    "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    # A PutItem of 254 levels is read (its body is 511 JSON levels deep); 255 and far beyond are refused unread.
    for depth in [254, 255, 200_000]:
        for operation in ["PutItem", "BatchWriteItem", "TransactWriteItems"]:
            body = deep_put_body(table_name, depth)
            if operation == "BatchWriteItem":
                body = '{"RequestItems":{"%s":[{"PutRequest":%s}]}}' % (table_name, body.replace(
                    '"TableName":"%s",' % table_name, ""))
            elif operation == "TransactWriteItems":
                body = '{"TransactItems":[{"Put":%s}]}' % body
            assert raw(eddy, operation, body) == (400, "ValidationException", NEST), (operation, depth)
    # Malformed JSON stays a SerializationException however deep it gets before it breaks.
    status, kind, _ = raw(eddy, "PutItem", "[" * 300)
    assert (status, kind) == (400, "SerializationException")
    assert ddb.describe_table(TableName=table_name)["Table"]["ItemCount"] == 0
    assert requests.get(eddy.endpoint + "/_eddy/health", timeout=5).status_code == 200
