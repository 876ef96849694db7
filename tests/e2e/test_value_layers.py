"""How DynamoDB words a request's own faults, operation by operation, as AWS answered in 2026-10 (eu-west-2 and
us-east-1, and four regions for the value checks).

DynamoDB checks attribute values in one of two layers. The current one (PutItem, UpdateItem, DeleteItem, GetItem,
BatchGetItem, Query) reads an exponent as a 64-bit integer, names an empty number, quotes a repeated set's members
and reports a bad expression value as itself; the older one (BatchWriteItem, the transactions, Scan) reads numbers as
Java's BigDecimal, prints set members as sent and wraps a bad expression value in "ExpressionAttributeValues contains
invalid value: … for key :v". PutItem, UpdateItem and DeleteItem also put every fault of the request's own content
inside the "1 validation error detected: " envelope; the reads report theirs bare. A few constraints have moved to
AWS's newer validation framework, which names the member without echoing its value."""
import base64

import pytest
from botocore.exceptions import ClientError

from conftest import create_table, error_of, nested_map, validation_refusal

ENVELOPE = "1 validation error detected: "
INVALID = "One or more parameter values were invalid: "
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"

# Four malformed numbers and each layer's answer to them.
SHAPES = ["abc", "", "1e126", "1e2147483647"]
CURRENT = [f"{NOT_NUMERIC}: abc", f"{NOT_NUMERIC}: ", OVERFLOW, OVERFLOW]
OLDER = [f"{NOT_NUMERIC}: abc", NOT_NUMERIC, OVERFLOW, UNDERFLOW]

# Sets with a repeat, sent out of order, and each layer's answer.
DUPLICATES = [
    {"SS": ["b", "a", "b"]},
    {"BS": [base64.b64decode("/w=="), base64.b64decode("AA=="), base64.b64decode("AA==")]},
    {"NS": ["2", "1", "2"]},
]
DUPLICATES_CURRENT = [
    f'{INVALID}Input collection ["a", "b", "b"] contains duplicates.',
    f'{INVALID}Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.',
    f"{INVALID}Input collection contains duplicates.",
]
DUPLICATES_OLDER = [
    f"{INVALID}Input collection [b, a, b] contains duplicates.",
    f"{INVALID}Input collection [/w==, AA==, AA==]of type BS contains duplicates.",
    "Input collection contains duplicates",
]


def S(text):
    return {"S": text}


def N(text):
    return {"N": text}


@pytest.fixture
def table(ddb, table_name):
    create_table(ddb, table_name)
    return table_name


def enveloped(messages):
    return [ENVELOPE + m for m in messages]


def wrapped(messages, placeholder):
    return [f"ExpressionAttributeValues contains invalid value: {m} for key {placeholder}" for m in messages]


def test_single_item_writes_envelope_every_malformed_number(ddb, table):
    cases = [
        ("1e99999999999", OVERFLOW), ("-1e99999999999", OVERFLOW), ("1e-99999999999", UNDERFLOW),
        ("1e2147483648", OVERFLOW), ("1e2147483647", OVERFLOW), ("1e-2147483648", UNDERFLOW),
        ("1e9223372036854775808", f"{NOT_NUMERIC}: 1e9223372036854775808"),
        (" 1", f"{NOT_NUMERIC}:  1"), ("1.2.3", f"{NOT_NUMERIC}: 1.2.3"), ("NaN", f"{NOT_NUMERIC}: NaN"),
        ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
    ]
    got = [validation_refusal(ddb.put_item, TableName=table, Item={"pk": S("n"), "n": N(n)}) for n, _ in cases]
    assert got == enveloped(m for _, m in cases)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S("n")})


def test_single_item_writes_word_numbers_in_the_current_layer_wherever_they_sit(ddb, table):
    def each(call, make):
        return [validation_refusal(call, **make(shape)) for shape in SHAPES]

    want = enveloped(CURRENT)
    assert each(ddb.put_item, lambda v: {"TableName": table, "Item": {"pk": S("n"), "n": {"NS": ["1", v]}}}) == want
    assert each(ddb.put_item, lambda v: {"TableName": table,
                                         "Item": {"pk": S("n"), "n": {"M": {"x": {"L": [N(v)]}}}}}) == want
    assert each(ddb.put_item, lambda v: {"TableName": table, "Item": {"pk": S("n")},
                                         "ConditionExpression": "attribute_not_exists(pk) OR n = :v",
                                         "ExpressionAttributeValues": {":v": N(v)}}) == want
    assert each(ddb.put_item, lambda v: {"TableName": table, "Item": {"pk": S("n")},
                                         "Expected": {"n": {"Value": N(v)}}}) == want
    assert each(ddb.update_item, lambda v: {"TableName": table, "Key": {"pk": S("n")}, "UpdateExpression": "SET n = :v",
                                            "ExpressionAttributeValues": {":v": N(v)}}) == want
    assert each(ddb.update_item, lambda v: {"TableName": table, "Key": {"pk": S("n")},
                                            "AttributeUpdates": {"n": {"Action": "PUT", "Value": N(v)}}}) == want
    assert each(ddb.update_item, lambda v: {"TableName": table, "Key": {"pk": N(v)}, "UpdateExpression": "SET n = :o",
                                            "ExpressionAttributeValues": {":o": N("1")}}) == want
    assert each(ddb.delete_item, lambda v: {"TableName": table, "Key": {"pk": S("n")}, "ConditionExpression": "n = :v",
                                            "ExpressionAttributeValues": {":v": N(v)}}) == want
    assert each(ddb.delete_item, lambda v: {"TableName": table, "Key": {"pk": N(v)}}) == want
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S("n")})


def test_reads_word_numbers_in_the_current_layer_bare(ddb, table):
    def each(call, make):
        return [validation_refusal(call, **make(shape)) for shape in SHAPES]

    assert each(ddb.get_item, lambda v: {"TableName": table, "Key": {"pk": N(v)}}) == CURRENT
    assert each(ddb.batch_get_item, lambda v: {"RequestItems": {table: {"Keys": [{"pk": N(v)}]}}}) == CURRENT
    assert each(ddb.query, lambda v: {"TableName": table, "KeyConditionExpression": "pk = :p",
                                      "FilterExpression": "n = :v",
                                      "ExpressionAttributeValues": {":p": S("q"), ":v": N(v)}}) == CURRENT


def test_batch_writes_transactions_and_scan_word_numbers_in_the_older_layer(ddb, table):
    def each(call, make):
        return [validation_refusal(call, **make(shape)) for shape in SHAPES]

    assert each(ddb.batch_write_item, lambda v: {
        "RequestItems": {table: [{"PutRequest": {"Item": {"pk": S("n"), "n": N(v)}}}]}}) == OLDER
    assert each(ddb.transact_write_items, lambda v: {
        "TransactItems": [{"Put": {"TableName": table, "Item": {"pk": S("n"), "n": N(v)}}}]}) == OLDER
    assert each(ddb.transact_write_items, lambda v: {"TransactItems": [{"Update": {
        "TableName": table, "Key": {"pk": S("n")}, "UpdateExpression": "SET n = :v",
        "ExpressionAttributeValues": {":v": N(v)}}}]}) == wrapped(OLDER, ":v")
    assert each(ddb.transact_get_items, lambda v: {
        "TransactItems": [{"Get": {"TableName": table, "Key": {"pk": N(v)}}}]}) == OLDER
    assert each(ddb.scan, lambda v: {"TableName": table, "FilterExpression": "n = :v",
                                     "ExpressionAttributeValues": {":v": N(v)}}) == wrapped(OLDER, ":v")


def test_repeated_set_members_by_operation(ddb, table):
    def each(call, make):
        return [validation_refusal(call, **make(d)) for d in DUPLICATES]

    want = enveloped(DUPLICATES_CURRENT)
    assert each(ddb.put_item, lambda d: {"TableName": table, "Item": {"pk": S("d"), "s": d}}) == want
    assert each(ddb.put_item, lambda d: {"TableName": table, "Item": {"pk": S("d")},
                                         "ConditionExpression": "attribute_not_exists(pk) OR s = :t",
                                         "ExpressionAttributeValues": {":t": d}}) == want
    assert each(ddb.update_item, lambda d: {"TableName": table, "Key": {"pk": S("d")},
                                            "AttributeUpdates": {"s": {"Action": "PUT", "Value": d}}}) == want
    assert each(ddb.delete_item, lambda d: {"TableName": table, "Key": {"pk": d}}) == want
    assert each(ddb.get_item, lambda d: {"TableName": table, "Key": {"pk": d}}) == DUPLICATES_CURRENT
    assert each(ddb.query, lambda d: {"TableName": table, "KeyConditionExpression": "pk = :p",
                                      "ExpressionAttributeValues": {":p": S("d")},
                                      "ExclusiveStartKey": {"pk": d}}) == DUPLICATES_CURRENT
    assert each(ddb.query, lambda d: {
        "TableName": table, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("d")]}},
        "QueryFilter": {"s": {"ComparisonOperator": "EQ", "AttributeValueList": [d]}}}) == DUPLICATES_CURRENT
    assert each(ddb.batch_write_item, lambda d: {
        "RequestItems": {table: [{"DeleteRequest": {"Key": {"pk": d}}}]}}) == DUPLICATES_OLDER
    assert each(ddb.transact_write_items, lambda d: {"TransactItems": [{"ConditionCheck": {
        "TableName": table, "Key": {"pk": S("d")}, "ConditionExpression": "s = :t",
        "ExpressionAttributeValues": {":t": d}}}]}) == wrapped(DUPLICATES_OLDER, ":t")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S("d")})


@pytest.mark.parametrize("call", ["put_item", "delete_item"])
def test_single_item_writes_envelope_their_request_checks(ddb, table, call):
    target = {"Item": {"pk": S("e")}} if call == "put_item" else {"Key": {"pk": S("e")}}

    def message(**kwargs):
        return validation_refusal(getattr(ddb, call), TableName=table, **target, **kwargs)

    condition = {"ConditionExpression": "attribute_exists(a)"}
    assert message(ExpressionAttributeValues={":v": S("x")}) == (
        ENVELOPE + "ExpressionAttributeValues can only be specified when using expressions")
    assert message(Expected={"a": {"Exists": False}}, ExpressionAttributeNames={"#a": "a"}) == (
        ENVELOPE + "ExpressionAttributeNames can only be specified when using expressions")
    assert message(**condition, ExpressionAttributeValues={}) == ENVELOPE + "ExpressionAttributeValues must not be empty"
    assert message(**condition, ExpressionAttributeNames={}) == ENVELOPE + "ExpressionAttributeNames must not be empty"
    assert message(ConditionExpression="") == ENVELOPE + "Invalid ConditionExpression: The expression can not be empty;"
    assert message(ReturnValues="UPDATED_NEW") == ENVELOPE + "ReturnValues can only be ALL_OLD or NONE"
    assert [message(Expected=e) for e in [
        {"a": {"Exists": True}},
        {"a": {"Exists": False, "Value": S("x")}},
        {"a": {"Value": S("x"), "ComparisonOperator": "EQ", "AttributeValueList": [S("x")]}},
        {"a": {"ComparisonOperator": "EQ"}},
        {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [S("x")]}},
    ]] == enveloped(INVALID + m for m in [
        "Value must be provided when Exists is true for Attribute: a",
        "Value cannot be used when Exists is false for Attribute: a",
        "Value and AttributeValueList cannot be used together for Attribute: a",
        "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
    ])


def test_update_envelopes_its_request_checks_but_not_its_table_checks(ddb, table):
    assert validation_refusal(ddb.update_item, TableName=table, Key={"pk": S("u")}, UpdateExpression="SET b = :w",
                   ConditionExpression="a = :v", ExpressionAttributeValues={":w": S("x")}) == (
        ENVELOPE + "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
                   "attribute value: :v")
    assert validation_refusal(ddb.update_item, TableName=table, Key={"pk": S("u")}, UpdateExpression="SET pk = :v",
                   ExpressionAttributeValues={":v": S("x")}) == (
        INVALID + "Cannot update attribute pk. This attribute is part of the key")
    # The reads keep the old wording, naming the missing expression.
    assert validation_refusal(ddb.scan, TableName=table, ExpressionAttributeValues={":v": S("x")}) == (
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null")


def test_key_condition_operands_no_key_could_match(ddb, table_name):
    create_table(ddb, table_name, range_key=("sk", "N"))

    def message(expression, values):
        return validation_refusal(ddb.query, TableName=table_name, KeyConditionExpression=expression,
                       ExpressionAttributeValues=values)

    def operand(operator, kind):
        return ("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                f"operator or function: {operator}, operand type: {kind}")

    p = {":p": S("q")}
    assert message("pk = :p AND sk < :v", {**p, ":v": {"BOOL": True}}) == operand("<", "BOOL")
    assert message("pk = :p AND :v >= sk", {**p, ":v": {"BOOL": True}}) == operand(">=", "BOOL")
    assert message("pk = :p AND sk BETWEEN :a AND :b", {**p, ":a": {"BOOL": False}, ":b": {"BOOL": True}}) == (
        operand("BETWEEN", "BOOL"))
    assert message("pk = :p AND begins_with(sk, :v)", {**p, ":v": N("1")}) == operand("begins_with", "N")
    # A key type that is merely not the attribute's fails the schema check instead.
    schema = INVALID + "Condition parameter type does not match schema type"
    assert message("pk = :p AND sk = :v", {**p, ":v": {"BOOL": True}}) == schema
    assert message("pk = :p AND begins_with(sk, :v)", {**p, ":v": S("a")}) == schema
    assert message("pk = :p AND sk > :a AND sk < :b", {**p, ":a": N("1"), ":b": N("5")}) == (
        "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key")
    assert message("pk = :p AND sk > :a AND extra = :b", {**p, ":a": N("1"), ":b": N("5")}) == (
        "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)")
    # Operand types are checked before the table is looked up.
    assert validation_refusal(ddb.query, TableName="no-such-table", KeyConditionExpression="pk = :p AND sk < :v",
                   ExpressionAttributeValues={**p, ":v": {"BOOL": True}}) == operand("<", "BOOL")


def test_constraints_the_newer_validation_framework_words_without_the_value(eddy, table):
    ddb = eddy.client(validate=False)
    failed = ENVELOPE + "Value at '{}' failed to satisfy constraint: Member must have {}"
    assert validation_refusal(ddb.query, TableName=table, KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": S("q")}, Limit=0) == (
        failed.format("Limit", "value greater than or equal to 1"))
    # Scan has not moved: it still echoes the value under the lower-case member name.
    assert validation_refusal(ddb.scan, TableName=table, Limit=0) == (
        ENVELOPE + "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
    assert validation_refusal(ddb.batch_get_item, RequestItems={}) == (
        failed.format("RequestItems", "length greater than or equal to 1"))
    # BatchWriteItem had not moved in us-east-1 (2026-10): its own sentence, bare.
    assert validation_refusal(ddb.batch_write_item, RequestItems={}) == "The requestItems parameter is required for BatchWriteItem"
    assert validation_refusal(ddb.batch_get_item, RequestItems={table: {"Keys": []}}) == (
        failed.format(f"RequestItems.{table}.member.Keys", "length greater than or equal to 1"))
    keys = [{"pk": S(f"k{i}")} for i in range(101)]
    assert validation_refusal(ddb.batch_get_item, RequestItems={table: {"Keys": keys}}) == (
        failed.format(f"RequestItems.{table}.member.Keys", "length less than or equal to 100"))


def test_batch_get_echoes_a_misnamed_table_as_json(eddy):
    ddb = eddy.client(validate=False)
    constraint = ("failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than "
                  "or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular "
                  "expression pattern: [a-zA-Z0-9_.-]+]")
    assert validation_refusal(ddb.batch_get_item, RequestItems={"bad!name": {"Keys": [{"pk": S("a")}]}}) == (
        ENVELOPE + """Value '{"bad!name":{"Keys":[{"pk":{"S":"a"}}]}}' at 'requestItems' """ + constraint)
    # BatchWriteItem has not moved: Java's toString of the request.
    assert validation_refusal(ddb.batch_write_item, RequestItems={"bad!name": [{"PutRequest": {"Item": {"pk": S("x")}}}]}) == (
        ENVELOPE + """Value '{bad!name=[WriteRequest(putRequest=PutRequest(item={pk={"S":"x"}}))]}' at 'requestItems' """
        + constraint)
    # With another constraint broken, BatchGetItem joins the two; BatchWriteItem reports the other alone.
    bogus = ("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value "
             "set: [INDEXES, TOTAL, NONE]")
    assert validation_refusal(ddb.batch_get_item, RequestItems={"bad!name": {"Keys": [{"pk": S("a")}]}},
                   ReturnConsumedCapacity="BOGUS") == (
        """2 validation errors detected: Value '{"bad!name":{"Keys":[{"pk":{"S":"a"}}]}}' at 'requestItems' """
        + constraint + "; " + bogus)
    assert validation_refusal(ddb.batch_write_item, RequestItems={"bad!name": [{"PutRequest": {"Item": {"pk": S("x")}}}]},
                   ReturnConsumedCapacity="BOGUS") == ENVELOPE + bogus


NEST = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"


def test_empty_attribute_names_are_refused_before_the_table_is_looked_up(ddb, table):
    assert validation_refusal(ddb.put_item, TableName=table, Item={"pk": S("e"), "": S("x")}) == ENVELOPE + "Empty attribute name"
    assert validation_refusal(ddb.batch_write_item, RequestItems={"no-such-table": [
        {"PutRequest": {"Item": {"pk": S("e"), "": S("x")}}}]}) == "Empty attribute name"
    assert validation_refusal(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "no-such-table", "Item": {"pk": S("e"), "": S("x")}}}]) == "Empty attribute name"
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": S("e")})


def test_a_transaction_checks_its_actions_one_at_a_time_before_any_table(ddb, table):
    def message(*items):
        return validation_refusal(ddb.transact_write_items, TransactItems=list(items))

    absent = "no-such-table"
    # The first action's fault wins, whatever the later one's is, and before the absent table is noticed.
    assert message({"Put": {"TableName": absent, "Item": {"pk": S("b"), "d": nested_map(40)}}},
                   {"Put": {"TableName": absent, "Item": {"pk": S("a"), "": S("x")}}}) == NEST
    assert message({"Delete": {"TableName": absent, "Key": {"pk": nested_map(40)}}},
                   {"Put": {"TableName": absent, "Item": {"pk": S("a")}, "ConditionExpression": "a = = b"}}) == NEST
    assert message({"Put": {"TableName": absent, "Item": {"pk": S("a")}, "ConditionExpression": "a = = b"}},
                   {"Delete": {"TableName": absent, "Key": {"pk": nested_map(40)}}}) == (
        'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"')
    # An expression value may be a level deeper than an item's attribute; past that it is refused up front.
    condition = {"TableName": table, "Key": {"pk": S("c")}, "ConditionExpression": "d = :deep"}
    assert message({"ConditionCheck": {**condition, "ExpressionAttributeValues": {":deep": nested_map(33)}}}) == (
        f"ExpressionAttributeValues contains invalid value: {NEST} for key :deep")
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {**condition, "ExpressionAttributeValues": {":deep": nested_map(32)}}}])
    assert e.value.response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]
    # Written into the item, the same value is too deep: the update cancels, in the short form of the message.
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Update": {
            "TableName": table, "Key": {"pk": S("c")}, "UpdateExpression": "SET d = :deep",
            "ExpressionAttributeValues": {":deep": nested_map(32)}}}])
    assert e.value.response["CancellationReasons"] == [
        {"Code": "ValidationError", "Message": "Nesting Levels have exceeded supported limits"}]


def test_single_item_writes_refuse_too_deep_an_expression_value_in_the_envelope(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("u")})
    values = {":t": S("y"), ":deep": nested_map(32)}
    assert validation_refusal(ddb.update_item, TableName=table, Key={"pk": S("u")}, UpdateExpression="SET touched = :t",
                   ConditionExpression="d = :deep", ExpressionAttributeValues=values) == ENVELOPE + NEST
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key={"pk": S("u")}, UpdateExpression="SET touched = :t",
                        ConditionExpression="d = :deep", ExpressionAttributeValues={":t": S("y"), ":deep": nested_map(31)})
    assert error_of(e)[0] == "ConditionalCheckFailedException"


def test_a_legacy_condition_value_nested_too_deep_is_refused_first(ddb, table):
    # Before the condition's own faults, as us-east-1 answers (conformance suite, 2026-10).
    assert validation_refusal(ddb.scan, TableName=table, ConditionalOperator="AND", ScanFilter={
        "a": {"ComparisonOperator": "EQ", "AttributeValueList": [nested_map(40)]}}) == NEST
    assert validation_refusal(ddb.put_item, TableName=table, Item={"pk": S("x")},
                   Expected={"a": {"Value": nested_map(32)}}) == ENVELOPE + NEST
