"""Table lifecycle through boto3 and the AWS CLI: create, describe, list, update, delete, indexes, TTL, tags,
and the validation errors DynamoDB gives for each."""
import json

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import create_table, error_of


def test_create_describe_delete_round_trip(ddb, table_name):
    out = create_table(ddb, table_name, range_key=("sk", "N"))["TableDescription"]
    assert out["TableStatus"] == "ACTIVE"
    assert out["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    # CreateTable's summary has the mode alone; DescribeTable adds when it became on-demand (AWS-recorded).
    assert out["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST"}
    assert out["TableArn"].endswith(f":table/{table_name}")
    desc = ddb.describe_table(TableName=table_name)["Table"]
    assert desc["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] == out["CreationDateTime"]
    assert desc["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"},
                                            {"AttributeName": "sk", "AttributeType": "N"}]
    assert desc["ItemCount"] == 0
    ddb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0, "MaxAttempts": 1})
    deleted = ddb.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    # DeleteTable describes less than DescribeTable: no schema, definitions, creation time or indexes
    # (Alternator's suite, run against AWS).
    assert sorted(deleted) == ["BillingModeSummary", "ItemCount", "ProvisionedThroughput", "TableArn", "TableId",
                               "TableName", "TableSizeBytes", "TableStatus"]
    assert deleted["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] == out["CreationDateTime"]
    assert deleted["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                                "WriteCapacityUnits": 0}
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=table_name)
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: Table: {table_name} not found")


def test_table_arn_is_accepted_as_table_name(ddb, table_name):
    arn = create_table(ddb, table_name)["TableDescription"]["TableArn"]
    assert ddb.describe_table(TableName=arn)["Table"]["TableName"] == table_name
    ddb.put_item(TableName=arn, Item={"pk": {"S": "x"}})
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "x"}})["Item"]["pk"] == {"S": "x"}


def test_creating_an_existing_table_is_resource_in_use(ddb, table_name):
    create_table(ddb, table_name)
    with pytest.raises(ClientError) as e:
        create_table(ddb, table_name)
    assert error_of(e) == ("ResourceInUseException", f"Table already exists: {table_name}")


@pytest.mark.parametrize("name,message", [
    ("ab", "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
           "Member must have length greater than or equal to 3"),
    ("bad name!", "1 validation error detected: Value 'bad name!' at 'tableName' failed to satisfy constraint: "
                  "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
])
def test_table_name_constraints(ddb, name, message):
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert error_of(e) == ("ValidationException", message)


def test_a_bad_table_name_is_reported_with_the_requests_other_constraint_errors(eddy):
    ddb = eddy.client(validate=False)
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName="x!", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[])
    # Member by member in the order of AWS's Java HashMap of CreateTable's members: keySchema before tableName.
    assert error_of(e) == ("ValidationException",
                           "3 validation errors detected: "
                           "Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater "
                           "than or equal to 1; Value 'x!' at 'tableName' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 3; Value 'x!' at 'tableName' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def test_constraint_errors_are_listed_in_the_order_of_awss_java_front_end(eddy, table_name):
    # As AWS answered in eu-west-2 and us-east-1, 2026-10 (a Java HashMap of the request's members decides it).
    ddb = eddy.client(validate=False)
    short = "Value '{}' at '{}.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3"
    lsi = {"IndexName": "aa", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                             {"AttributeName": "lr", "KeyType": "RANGE"}],
           "Projection": {"ProjectionType": "ALL"}}
    gsi = {"IndexName": "zz", "KeySchema": [{"AttributeName": "gh", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         LocalSecondaryIndexes=[lsi], GlobalSecondaryIndexes=[gsi])
    assert error_of(e) == ("ValidationException", "2 validation errors detected: " + short.format(
        "zz", "globalSecondaryIndexes") + "; " + short.format("aa", "localSecondaryIndexes"))
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName="", UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"S": "x"}},
                        ReturnConsumedCapacity="INVALID", ReturnValues="INVALID")
    assert error_of(e) == ("ValidationException", "4 validation errors detected: "
                           "Value 'INVALID' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [INDEXES, TOTAL, NONE]; "
                           "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater "
                           "than or equal to 1; "
                           "Value 'INVALID' at 'returnValues' failed to satisfy constraint: Member must satisfy enum "
                           "value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; "
                           "Value null at 'key' failed to satisfy constraint: Member must not be null")
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(ClientRequestToken="t" * 37, ReturnConsumedCapacity="BOGUS", TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"pk": {"S": "a"}}}}])
    assert error_of(e) == ("ValidationException", "2 validation errors detected: "
                           f"Value '{'t' * 37}' at 'clientRequestToken' failed to satisfy constraint: Member must have "
                           "length less than or equal to 36; "
                           "Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [INDEXES, TOTAL, NONE]")


def test_key_schema_validation_messages(ddb, table_name):
    def attempt(**kwargs):
        with pytest.raises(ClientError) as e:
            ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", **kwargs)
        return error_of(e)

    # Optional in today's model, but DynamoDB still wants both (recorded against AWS, 2026-10-08).
    assert attempt(KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}]) == (
        "ValidationException", "1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy "
                               "constraint: Member must not be null")
    assert attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}]) == (
        "ValidationException", "1 validation error detected: Value null at 'keySchema' failed to satisfy "
                               "constraint: Member must not be null")
    assert attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "b", "KeyType": "HASH"}]) == (
        "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [b], AttributeDefinitions: [a]")
    assert attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                         {"AttributeName": "b", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}]) == (
        "ValidationException",
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
        "number of attributes defined in AttributeDefinitions")
    assert attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                         {"AttributeName": "b", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"}, {"AttributeName": "b", "KeyType": "HASH"}]) == (
        "ValidationException", "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    assert attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "RANGE"}]) == (
        "ValidationException", "Invalid KeySchema: Some index key attribute have no definition")
    assert attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                         {"AttributeName": "b", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "RANGE"}]) == (
        "ValidationException", "Both the Hash Key and the Range Key element in the KeySchema have the same name")
    code, message = attempt(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "X"}],
                            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    assert code == "ValidationException"
    assert message == ("1 validation error detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' "
                       "failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]")


def test_billing_mode_rules(ddb, table_name):
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    assert error_of(e) == ("ValidationException",
                           "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must "
                           "both be specified when BillingMode is PROVISIONED")
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified" in error_of(e)[1]
    out = ddb.create_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                           ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})["TableDescription"]
    assert out["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert out["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert "BillingModeSummary" not in out
    updated = ddb.update_table(TableName=table_name, BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert updated["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_list_tables_pages(ddb):
    prefix = "lt-" + __import__("uuid").uuid4().hex[:6]
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        create_table(ddb, n)
    seen = []
    start = None
    while True:
        kwargs = {"Limit": 2}
        if start:
            kwargs["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kwargs)
        seen += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert [n for n in seen if n.startswith(prefix)] == sorted(names)
    paginated = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 3})
                 for n in p["TableNames"]]
    assert [n for n in paginated if n.startswith(prefix)] == sorted(names)


def test_secondary_indexes_are_described(ddb, table_name):
    out = create_table(
        ddb, table_name, range_key=("sk", "S"), extra_attributes=[("gpk", "S"), ("lsk", "N")],
        GlobalSecondaryIndexes=[{"IndexName": "by-gpk", "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
        LocalSecondaryIndexes=[{"IndexName": "by-lsk", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                       {"AttributeName": "lsk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )["TableDescription"]
    gsi = out["GlobalSecondaryIndexes"][0]
    assert gsi["IndexName"] == "by-gpk"
    assert gsi["IndexStatus"] == "ACTIVE"
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    assert gsi["IndexArn"].endswith(f"table/{table_name}/index/by-gpk")
    lsi = out["LocalSecondaryIndexes"][0]
    assert lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_lsi_needs_table_range_key(ddb, table_name):
    with pytest.raises(ClientError) as e:
        create_table(ddb, table_name, extra_attributes=[("lsk", "N")],
                     LocalSecondaryIndexes=[{"IndexName": "idx", "KeySchema": [
                         {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                         "Projection": {"ProjectionType": "ALL"}}])
    assert error_of(e) == ("ValidationException",
                           "One or more parameter values were invalid: Table KeySchema does not have a range key, "
                           "which is required when specifying a LocalSecondaryIndex")


def test_gsi_added_later_is_backfilled_and_removable(ddb, table_name):
    create_table(ddb, table_name)
    for i in range(5):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"k{i}"}, "color": {"S": "red" if i % 2 else "blue"}})
    out = ddb.update_table(
        TableName=table_name, AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-color",
                                                 "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}}])["TableDescription"]
    assert [g["IndexName"] for g in out["GlobalSecondaryIndexes"]] == ["by-color"]
    scanned = ddb.scan(TableName=table_name, IndexName="by-color")["Items"]
    assert sorted(i["pk"]["S"] for i in scanned) == [f"k{i}" for i in range(5)]
    out = ddb.update_table(TableName=table_name,
                           GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-color"}}])["TableDescription"]
    assert "GlobalSecondaryIndexes" not in out
    assert out["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table_name, IndexName="by-color")
    assert error_of(e) == ("ValidationException", "The table does not have the specified index: by-color")


def test_a_new_gsi_takes_its_key_types_from_the_requests_definitions_only(ddb, table_name):
    # paritysuite updateTable/gsi (AWS-verified): a GSI keyed on a table attribute must define it again in the
    # request; definitions the new index does not use are ignored, a conflicting one too.
    create_table(ddb, table_name, range_key=("sk", "S"))

    def add_index(definitions, key_schema, name):
        return ddb.update_table(TableName=table_name, AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": t} for n, t in definitions],
            GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": name, "KeySchema": [
                {"AttributeName": n, "KeyType": k} for n, k in key_schema], "Projection": {"ProjectionType": "KEYS_ONLY"}}}])

    with pytest.raises(ClientError) as e:
        add_index([("g3", "S")], [("pk", "HASH"), ("g3", "RANGE")], "shared-pk")
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid: Some index key "
                                                  "attributes are not defined in AttributeDefinitions. Keys: [pk, g3], "
                                                  "AttributeDefinitions: [g3]")
    out = add_index([("pk", "N"), ("gsiPk", "S")], [("gsiPk", "HASH")], "redeclared")["TableDescription"]
    assert sorted((d["AttributeName"], d["AttributeType"]) for d in out["AttributeDefinitions"]) == [
        ("gsiPk", "S"), ("pk", "S"), ("sk", "S")]
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "still-a-string"}, "sk": {"S": "1"}, "gsiPk": {"S": "g"}})
    assert ddb.query(TableName=table_name, IndexName="redeclared", KeyConditionExpression="gsiPk = :g",
                     ExpressionAttributeValues={":g": {"S": "g"}})["Count"] == 1


def test_update_table_needs_a_change(ddb, table_name):
    create_table(ddb, table_name)
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name)
    assert error_of(e)[0] == "ValidationException"
    assert error_of(e)[1].startswith("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled")


def test_deletion_protection_blocks_delete(ddb, table_name):
    create_table(ddb, table_name, DeletionProtectionEnabled=True)
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=table_name)
    assert error_of(e) == ("ValidationException", "Resource cannot be deleted as it is currently protected against "
                                                  "deletion. Disable deletion protection first.")
    assert ddb.describe_table(TableName=table_name)["Table"]["TableStatus"] == "ACTIVE"
    ddb.update_table(TableName=table_name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=table_name)


def test_recreated_table_does_not_see_old_items(ddb, table_name):
    create_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "old"}})
    ddb.delete_table(TableName=table_name)
    create_table(ddb, table_name)
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "old"}})
    assert ddb.scan(TableName=table_name)["Count"] == 0


def test_time_to_live_settings(fresh_eddy, table_name):
    ddb = fresh_eddy.client()
    create_table(ddb, table_name)
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    out = ddb.update_time_to_live(TableName=table_name,
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}

    def refused(enabled, attribute):
        with pytest.raises(ClientError) as e:
            ddb.update_time_to_live(TableName=table_name,
                                    TimeToLiveSpecification={"Enabled": enabled, "AttributeName": attribute})
        return error_of(e)

    # Checks of the current setting come first, then DynamoDB's one change per hour.
    assert refused(True, "x") == ("ValidationException", "TimeToLive is active on a different AttributeName: "
                                                         "current AttributeName is expires")
    assert refused(True, "expires") == ("ValidationException", "TimeToLive is already enabled")
    too_soon = ("ValidationException", "Time to live has been modified multiple times within a fixed interval")
    assert refused(False, "expires") == too_soon
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 3599})
    assert refused(False, "expires") == too_soon
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 1})
    ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    assert refused(False, "x") == ("ValidationException", "TimeToLive is already disabled")
    assert refused(True, "expires") == too_soon
    # The time of the last change survives a restart.
    fresh_eddy.kill()
    fresh_eddy.start()
    ddb = fresh_eddy.client()
    assert refused(True, "other") == too_soon


def test_tags(ddb, table_name):
    arn = create_table(ddb, table_name, Tags=[{"Key": "team", "Value": "search"}])["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "search")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    # Both answer with an empty body, not `{}` (Alternator's suite, run against AWS).
    for op, body in [("TagResource", {"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "v"}]}),
                     ("UntagResource", {"ResourceArn": arn, "TagKeys": ["k"]})]:
        answer = requests.post(ddb.meta.endpoint_url, data=json.dumps(body), headers={
            "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0"})
        assert answer.status_code == 200 and answer.content == b"" and answer.headers["x-amz-crc32"] == "0"


# As DynamoDB answered these (recorded against AWS in October 2026): tags are checked by the operation, not as
# constraints of the model.
@pytest.mark.parametrize("call,message", [
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{}]), "The Tag Key provided is invalid, Key: null"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "k"}]),
     "The Tag Value provided is invalid, Value: null"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Value": "v"}]), "The Tag Key provided is invalid, Key: null"),
    (lambda c, arn: c.untag_resource(ResourceArn=arn, TagKeys=[""]), "The Tag Key provided is invalid, Key: "),
    (lambda c, arn: c.untag_resource(ResourceArn=arn, TagKeys=[]), "Atleast one Tag Key needs to be provided as Input."),
    (lambda c, arn: c.create_table(TableName=arn.split("/")[-1] + "-2", BillingMode="PAY_PER_REQUEST",
                                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], Tags=[{}]),
     "The Tag Key provided is invalid, Key: null"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[]), "Atleast one Tag needs to be provided as Input."),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:team", "Value": "v"}]),
     "Tag Key cannot be prefixed with aws:, Key: aws:team"),
    (lambda c, arn: c.untag_resource(ResourceArn=arn, TagKeys=["AWS:team"]),
     "Tag Key cannot be prefixed with aws:, Key: AWS:team"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "k" * 129, "Value": "v"}]),
     "The Tag Key provided is invalid, Key: " + "k" * 129),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v" * 257}]),
     "The Tag Value provided is invalid, Value: " + "v" * 257),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "bad#char", "Value": "v"}]),
     "The Tag Key provided is invalid, Key: bad#char"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "ok", "Value": "v"}, {"Key": "dup", "Value": "1"},
                                                          {"Key": "dup", "Value": "2"}]),
     "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
     "Number of Tags exceed the current limit for the provided ResourceArn"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn.split("/")[-1], Tags=[{"Key": "k", "Value": "v"}]),
     "One or more parameter values were invalid: ARNs must start with 'arn:': {name}"),
    (lambda c, arn: c.tag_resource(ResourceArn=arn + "/index/gsi1", Tags=[{"Key": "k", "Value": "v"}]),
     "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. "
     "Provided resource arn: {arn}/index/gsi1"),
])
def test_invalid_tags_are_refused_as_dynamodb_does(eddy, table_name, call, message):
    ddb = eddy.client(validate=False)
    arn = create_table(ddb, table_name)["TableDescription"]["TableArn"]
    with pytest.raises(ClientError) as e:
        call(ddb, arn)
    assert error_of(e) == ("ValidationException", message.format(arn=arn, name=table_name))
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


def test_tag_limit_counts_the_tags_a_table_already_has(ddb, table_name):
    arn = create_table(ddb, table_name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])[
        "TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "changed"}])
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_of(e) == ("ValidationException", "Number of Tags exceed the current limit for the provided ResourceArn")
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert len(tags) == 50 and tags["k0"] == "changed"
    missing = arn.replace(table_name, table_name + "-missing")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=missing)
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {missing} not found")


def test_tag_apis_deny_another_accounts_arn_before_looking_at_its_region(ddb, table_name):
    arn = create_table(ddb, table_name)["TableDescription"]["TableArn"]
    elsewhere = arn.replace(":us-east-1:", ":eu-west-2:")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=elsewhere.replace(":000000000000:", ":123456789012:"))
    assert error_of(e)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=elsewhere)
    assert error_of(e) == ("ValidationException", f"Invalid TableArn: Invalid ResourceArn provided as input {elsewhere}")


def test_describe_lists_attribute_definitions_and_included_attributes_by_name(ddb, table_name):
    create_table(ddb, table_name, hash_key=("zone", "S"), range_key=("at", "N"), extra_attributes=[("Color", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-color",
                                          "KeySchema": [{"AttributeName": "Color", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "INCLUDE",
                                                         "NonKeyAttributes": ["size", "Name", "b"]}}])
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert [d["AttributeName"] for d in table["AttributeDefinitions"]] == ["Color", "at", "zone"]
    assert table["GlobalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"] == ["Name", "b", "size"]


def test_create_table_messages_for_definitions_streams_and_index_throughput(ddb, table_name):
    def attempt(**kwargs):
        kwargs.setdefault("AttributeDefinitions", [{"AttributeName": "pk", "AttributeType": "S"}])
        kwargs.setdefault("KeySchema", [{"AttributeName": "pk", "KeyType": "HASH"}])
        kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        with pytest.raises(ClientError) as e:
            ddb.create_table(TableName=table_name, **kwargs)
        return error_of(e)

    gsi = {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    with_g = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
    units = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    invalid = "One or more parameter values were invalid: "
    assert attempt(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "pk", "AttributeType": "N"}]) == (
        "ValidationException", "Attribute Name is duplicated: pk")
    assert attempt(StreamSpecification={"StreamEnabled": True}) == (
        "ValidationException", invalid + "Table is being created with a stream enabled, UpdateViewType is required")
    assert attempt(StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}) == (
        "ValidationException",
        invalid + "Table is being created with a stream disabled, UpdateViewType should not be specified")
    assert attempt(AttributeDefinitions=with_g, BillingMode="PROVISIONED", ProvisionedThroughput=units,
                   GlobalSecondaryIndexes=[gsi]) == (
        "ValidationException", invalid + "ProvisionedThroughput is not specified for index: by-g")
    assert attempt(AttributeDefinitions=with_g, GlobalSecondaryIndexes=[dict(gsi, ProvisionedThroughput=units)]) == (
        "ValidationException",
        invalid + "ProvisionedThroughput should not be specified for index: by-g when BillingMode is PAY_PER_REQUEST")
    three = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
             {"AttributeName": "x", "AttributeType": "S"}]
    assert attempt(AttributeDefinitions=three, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                          {"AttributeName": "sk", "KeyType": "RANGE"},
                                                          {"AttributeName": "x", "KeyType": "RANGE"}]) == (
        "ValidationException",
        "1 validation error detected: Value '[KeySchemaElement(attributeName=pk, keyType=HASH), "
        "KeySchemaElement(attributeName=sk, keyType=RANGE), KeySchemaElement(attributeName=x, keyType=RANGE)]' at "
        "'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")
    wide = dict(gsi, KeySchema=[{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "x", "KeyType": "RANGE"}])
    # A multi-attribute GSI key (test_multi_attribute_gsi.py) is checked against the definitions as any key is.
    assert attempt(AttributeDefinitions=with_g, GlobalSecondaryIndexes=[wide]) == (
        "ValidationException", invalid + "Some index key attributes are not defined in AttributeDefinitions. "
                                         "Keys: [g, pk, x], AttributeDefinitions: [pk, g]")
    include = dict(gsi, Projection={"ProjectionType": "INCLUDE"})
    assert attempt(AttributeDefinitions=with_g, GlobalSecondaryIndexes=[include]) == (
        "ValidationException", invalid + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    include = dict(gsi, Projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b", "a"]})
    assert attempt(AttributeDefinitions=with_g, GlobalSecondaryIndexes=[include]) == (
        "ValidationException", invalid + "Duplicate element in NonKeyAttributes: a")
    assert table_name not in ddb.list_tables()["TableNames"]


UNITS = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
G_DEF = [{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "h", "AttributeType": "S"}]


def new_gsi(name, attribute="h", **extra):
    return {"Create": dict({"IndexName": name, "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}, **extra)}


INVALID = "One or more parameter values were invalid: "
NOTHING_TO_UPDATE = ("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                     "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, "
                     "ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, "
                     "WarmThroughput or TableClass is required")


# As DynamoDB answered these (recorded against AWS in October 2026): what one UpdateTable may combine, and how it
# names the index it cannot change. Each is refused whole: the table is as it was.
@pytest.mark.parametrize("update,error", [
    ({}, ("ValidationException", NOTHING_TO_UPDATE)),
    ({"GlobalSecondaryIndexUpdates": []}, ("ValidationException", NOTHING_TO_UPDATE)),
    ({"GlobalSecondaryIndexUpdates": [], "DeletionProtectionEnabled": True},
     ("ValidationException", INVALID + "List of GlobalSecondaryIndexUpdates is empty")),
    ({"DeletionProtectionEnabled": True, "TableClass": "STANDARD_INFREQUENT_ACCESS"},
     ("ValidationException", INVALID + "TableClass modification must be the only operation in the request")),
    ({"DeletionProtectionEnabled": True, "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}},
     ("ValidationException", INVALID + "DeletionProtection modification must be the only operation in the request")),
    ({"DeletionProtectionEnabled": True, "AttributeDefinitions": G_DEF, "GlobalSecondaryIndexUpdates": [new_gsi("gsi2")]},
     ("ValidationException", INVALID + "DeletionProtection modification must be the only operation in the request")),
    ({"ProvisionedThroughput": UNITS, "AttributeDefinitions": G_DEF,
      "GlobalSecondaryIndexUpdates": [new_gsi("gsi2", ProvisionedThroughput=UNITS)]},
     ("ValidationException", INVALID + "You cannot create or delete index while updating table IOPS")),
    ({"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
      "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "gsi1"}}]},
     ("ValidationException", INVALID + "You cannot create or delete index while changing stream status")),
    ({"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}, "ProvisionedThroughput": UNITS},
     ("ValidationException", INVALID + "You cannot modify stream status while updating table IOPS")),
    ({"GlobalSecondaryIndexUpdates": [{}]},
     ("ValidationException", INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                                       "GlobalSecondaryIndexUpdate.Delete must not be null")),
    ({"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "gsi1", "ProvisionedThroughput": UNITS},
                                       "Delete": {"IndexName": "gsi1"}}]},
     ("ValidationException", INVALID + "Only one global secondary index action is allowed per "
                                       "GlobalSecondaryIndexUpdate object")),
    ({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "gsi1"}}, new_gsi("gsi1")], "AttributeDefinitions": G_DEF},
     ("ValidationException", INVALID + "Only one global secondary index update per index is allowed simultaneously. "
                                       "Index: gsi1")),
    ({"GlobalSecondaryIndexUpdates": [new_gsi("gsi2"), new_gsi("gsi3")], "AttributeDefinitions": G_DEF},
     ("LimitExceededException",
      "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")),
    ({"GlobalSecondaryIndexUpdates": [new_gsi("lsi1")], "AttributeDefinitions": G_DEF},
     ("ValidationException", "Attempting to create an index which already exists")),
    ({"GlobalSecondaryIndexUpdates": [new_gsi("gsi2", "g")]},
     ("ValidationException", INVALID + "AttributeDefinitions is not specified for index: gsi2")),
    ({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "lsi1"}}]},
     ("ValidationException", "Cannot delete an index that is not a GlobalSecondaryIndex: lsi1")),
    ({"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "lsi1", "ProvisionedThroughput": UNITS}}]},
     ("ValidationException", "Cannot update an index that is not a GlobalSecondaryIndex: lsi1")),
    ({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "ghost"}}]},
     ("ResourceNotFoundException", "Requested resource not found: Index ghost for table {table}")),
    ({"GlobalSecondaryIndexUpdates": [new_gsi("gsi2", ProvisionedThroughput=UNITS)], "AttributeDefinitions": G_DEF},
     ("ValidationException", INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: "
                                       "gsi2 when BillingMode is PAY_PER_REQUEST")),
    ({"BillingMode": "PROVISIONED"},
     ("ValidationException", INVALID + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED")),
    ({"BillingMode": "PROVISIONED", "ProvisionedThroughput": UNITS},
     ("ValidationException", INVALID + "ProvisionedThroughput must be specified for index: gsi1")),
])
def test_update_table_combinations_and_index_faults(ddb, table_name, update, error):
    create_table(ddb, table_name, range_key=("sk", "S"), extra_attributes=[("g", "S"), ("l", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}],
                 LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                           {"AttributeName": "l", "KeyType": "RANGE"}],
                                         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    before = ddb.describe_table(TableName=table_name)["Table"]
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, **update)
    assert error_of(e) == (error[0], error[1].format(table=table_name))
    after = ddb.describe_table(TableName=table_name)["Table"]
    assert after == before


def test_provisioned_index_throughput_must_change_and_new_indexes_need_it(ddb, table_name):
    create_table(ddb, table_name, extra_attributes=[("g", "S")], BillingMode="PROVISIONED",
                 ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
                 GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"},
                                          "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "gsi1", "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}}])
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.startswith("The provisioned throughput for the index gsi1 will not change. The requested value "
                              "equals the current value. Current ReadCapacityUnits provisioned for index gsi1: 2. "
                              "Requested ReadCapacityUnits: 2. Current WriteCapacityUnits")
    ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "gsi1", "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}}}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, AttributeDefinitions=G_DEF,
                         GlobalSecondaryIndexUpdates=[new_gsi("gsi2")])
    assert error_of(e) == ("ValidationException",
                           INVALID + "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: gsi2")
    index = ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
    assert [(i["IndexName"], i["ProvisionedThroughput"]["WriteCapacityUnits"]) for i in index] == [("gsi1", 3)]


def test_switching_to_provisioned_needs_throughput_for_every_index(ddb, table_name):
    create_table(ddb, table_name, extra_attributes=[("g", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    table = ddb.update_table(TableName=table_name, BillingMode="PROVISIONED", ProvisionedThroughput=UNITS,
                             GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gsi1",
                                                                      "ProvisionedThroughput": UNITS}}])
    table = table["TableDescription"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 1


def test_table_class(ddb, table_name):
    create_table(ddb, table_name)
    # STANDARD on a table that never had a class changes nothing, as on DynamoDB (recorded October 2026).
    out = ddb.update_table(TableName=table_name, TableClass="STANDARD")["TableDescription"]
    assert "TableClassSummary" not in out
    out = ddb.update_table(TableName=table_name, TableClass="STANDARD_INFREQUENT_ACCESS")["TableDescription"]
    assert out["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    # Once a change is done, DescribeTable dates it (Alternator's suite, run against AWS); UpdateTable's answer,
    # given while the change is under way, does not.
    assert "LastUpdateDateTime" in ddb.describe_table(TableName=table_name)["Table"]["TableClassSummary"]
    out = ddb.update_table(TableName=table_name, TableClass="STANDARD")["TableDescription"]
    assert out["TableClassSummary"] == {"TableClass": "STANDARD"}
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["TableClassSummary"]["TableClass"] == "STANDARD"


def test_on_demand_throughput_is_recorded_reported_and_checked(ddb, table_name):
    """OnDemandThroughput as DynamoDB takes it (recorded against AWS, October 2026); eddy never throttles."""
    gsi = {"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}, "OnDemandThroughput": {"MaxReadRequestUnits": 50}}
    create_table(ddb, table_name, extra_attributes=[("g", "S")], GlobalSecondaryIndexes=[gsi],
                 OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}
    assert table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {"MaxReadRequestUnits": 50,
                                                                         "MaxWriteRequestUnits": -1}
    out = ddb.update_table(TableName=table_name, OnDemandThroughput={"MaxReadRequestUnits": 20,
                                                                     "MaxWriteRequestUnits": 15})
    assert out["TableDescription"]["OnDemandThroughput"] == {"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}
    ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "gsi1", "OnDemandThroughput": {"MaxReadRequestUnits": 5000, "MaxWriteRequestUnits": 5000}}}])
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {"MaxReadRequestUnits": 5000,
                                                                         "MaxWriteRequestUnits": 5000}

    def refused(**update):
        with pytest.raises(ClientError) as e:
            ddb.update_table(TableName=table_name, **update)
        return error_of(e)

    assert refused(OnDemandThroughput={"MaxReadRequestUnits": 0}) == (
        "ValidationException", INVALID + "Requested MaxReadRequestUnits for OnDemandThroughput for table is outside "
                                         "of valid range")
    assert refused(OnDemandThroughput={"MaxReadRequestUnits": 3},
                   StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}) == (
        "ValidationException", INVALID + "OnDemandThroughput can only be combined with BillingMode in an UpdateTable "
                                         "request")
    ddb.update_table(TableName=table_name, OnDemandThroughput={"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1})
    assert "OnDemandThroughput" not in ddb.describe_table(TableName=table_name)["Table"]
    # A switch to provisioned billing drops the indexes' limits; provisioned tables take none.
    ddb.update_table(TableName=table_name, BillingMode="PROVISIONED", ProvisionedThroughput=UNITS,
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gsi1", "ProvisionedThroughput": UNITS}}])
    assert "OnDemandThroughput" not in ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]
    assert refused(OnDemandThroughput={"MaxWriteRequestUnits": 3}) == (
        "ValidationException", INVALID + "MaxWriteRequestUnits for OnDemandThroughput cannot be specified when the "
                                         "table BillingMode is PROVISIONED")


def warm(read, write):
    return {"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write, "Status": "ACTIVE"}


def test_warm_throughput_is_reported_as_dynamodb_reports_it_and_never_drops(ddb, table_name):
    """As recorded against AWS (October 2026): on demand, 12 000 reads and 4 000 writes a second; provisioned, the
    capacity units, and never lower than before."""
    gsi = {"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    created = create_table(ddb, table_name, extra_attributes=[("g", "S")], GlobalSecondaryIndexes=[gsi])
    assert created["TableDescription"]["WarmThroughput"] == warm(12000, 4000)
    assert "WarmThroughput" not in created["TableDescription"]["GlobalSecondaryIndexes"][0]
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["WarmThroughput"] == warm(12000, 4000)
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == warm(12000, 4000)

    other = table_name + "-p"
    create_table(ddb, other, extra_attributes=[("g", "S")], BillingMode="PROVISIONED",
                 ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                 GlobalSecondaryIndexes=[dict(gsi, ProvisionedThroughput={"ReadCapacityUnits": 1,
                                                                          "WriteCapacityUnits": 1})])
    table = ddb.describe_table(TableName=other)["Table"]
    assert table["WarmThroughput"] == warm(5, 5)
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == warm(1, 1)
    for units in [(13000, 4500), (1, 1)]:
        ddb.update_table(TableName=other, GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "gsi1", "ProvisionedThroughput": {"ReadCapacityUnits": units[0],
                                                           "WriteCapacityUnits": units[1]}}}])
    table = ddb.describe_table(TableName=other)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == warm(13000, 4500)
    assert table["WarmThroughput"] == warm(5, 5)


def test_warm_throughput_can_be_raised_and_never_lowered(ddb, table_name):
    """WarmThroughput on CreateTable and UpdateTable, recorded and reported (eddy never throttles), as Alternator's
    suite finds DynamoDB: a rate left out keeps the table's, neither may be under 12 000 / 4 000 or under what the
    table has; an UpdateTable with only WarmThroughput is a change."""
    created = create_table(ddb, table_name, WarmThroughput={"ReadUnitsPerSecond": 12240})["TableDescription"]
    assert created["WarmThroughput"] == warm(12240, 4000)
    assert ddb.describe_table(TableName=table_name)["Table"]["WarmThroughput"] == warm(12240, 4000)
    ddb.update_table(TableName=table_name, WarmThroughput={"ReadUnitsPerSecond": 12240, "WriteUnitsPerSecond": 4080})
    assert ddb.describe_table(TableName=table_name)["Table"]["WarmThroughput"] == warm(12240, 4080)
    for asked, fault in [({"ReadUnitsPerSecond": 11999}, "ReadUnitsPerSecond of WarmThroughput 11999 is lower than "
                                                         "the minimum of 12000"),
                         ({"WriteUnitsPerSecond": 4040}, "WriteUnitsPerSecond of WarmThroughput 4040 is lower than "
                                                         "current WarmThroughput 4080")]:
        with pytest.raises(ClientError) as e:
            ddb.update_table(TableName=table_name, WarmThroughput=asked)
        assert error_of(e) == ("ValidationException", INVALID + fault)
    assert ddb.describe_table(TableName=table_name)["Table"]["WarmThroughput"] == warm(12240, 4080)
    # A GSI's warm throughput follows the same rules, on CreateTable and through an index Update alone.
    gsi = {"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}, "WarmThroughput": {"ReadUnitsPerSecond": 12240}}
    other = table_name + "-i"
    create_table(ddb, other, extra_attributes=[("g", "S")], GlobalSecondaryIndexes=[gsi])
    index = ddb.describe_table(TableName=other)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["WarmThroughput"] == warm(12240, 4000)
    ddb.update_table(TableName=other, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "gsi1", "WarmThroughput": {"WriteUnitsPerSecond": 4080}}}])
    index = ddb.describe_table(TableName=other)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["WarmThroughput"] == warm(12240, 4080)
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=other, GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "gsi1", "WarmThroughput": {"ReadUnitsPerSecond": 12000}}}])
    assert error_of(e) == ("ValidationException", INVALID + "ReadUnitsPerSecond of WarmThroughput 12000 is lower "
                                                            "than current WarmThroughput 12240")


def test_a_gsi_update_must_change_something(ddb, table_name):
    create_table(ddb, table_name, extra_attributes=[("g", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gsi1"}}])
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid: The only Updates for "
                           "index: gsi1 when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, "
                           "WarmThroughput")
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "ghost", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: Index ghost for table {table_name}")


def test_describe_limits_and_endpoints(ddb):
    limits = ddb.describe_limits()
    assert limits["TableMaxWriteCapacityUnits"] == 40000
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints[0]["CachePeriodInMinutes"] == 1440


def test_cli_table_lifecycle(eddy, table_name):
    out = eddy.aws("dynamodb", "create-table", "--table-name", table_name,
                   "--attribute-definitions", "AttributeName=id,AttributeType=S",
                   "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    assert out["TableDescription"]["TableName"] == table_name
    eddy.aws("dynamodb", "wait", "table-exists", "--table-name", table_name)
    assert table_name in eddy.aws("dynamodb", "list-tables")["TableNames"]
    eddy.aws("dynamodb", "delete-table", "--table-name", table_name)
    proc = eddy.aws("dynamodb", "describe-table", "--table-name", table_name, check=False)
    assert proc.returncode != 0
    assert "ResourceNotFoundException" in proc.stderr


def test_throughput_changes_are_dated_and_counted(fresh_eddy, table_name):
    """LastIncreaseDateTime, LastDecreaseDateTime and NumberOfDecreasesToday, for the table and its GSIs, by the
    server clock; they survive a restart, and the count starts again on a later (UTC) day."""
    ddb = fresh_eddy.client()
    throughput = lambda r, w: {"ReadCapacityUnits": r, "WriteCapacityUnits": w}  # noqa: E731
    ddb.create_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                                                 {"AttributeName": "g", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}], ProvisionedThroughput=throughput(5, 5),
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"},
                                              "ProvisionedThroughput": throughput(5, 5)}])
    fresh_eddy.control("POST", "/_eddy/clock", {"paused": True})
    created = ddb.describe_table(TableName=table_name)["Table"]["ProvisionedThroughput"]
    assert created == {**throughput(5, 5), "NumberOfDecreasesToday": 0}
    up = ddb.update_table(TableName=table_name, ProvisionedThroughput=throughput(10, 10))["TableDescription"]
    increased_at = up["ProvisionedThroughput"]["LastIncreaseDateTime"]
    assert "LastDecreaseDateTime" not in up["ProvisionedThroughput"]
    now = fresh_eddy.control("GET", "/_eddy/clock")["now"] / 1000
    assert abs(increased_at.timestamp() - now) < 1
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 60})
    down = ddb.update_table(TableName=table_name, ProvisionedThroughput=throughput(2, 10))["TableDescription"]
    assert down["ProvisionedThroughput"]["LastIncreaseDateTime"] == increased_at
    assert down["ProvisionedThroughput"]["LastDecreaseDateTime"].timestamp() - increased_at.timestamp() == 60
    assert down["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 1
    index = ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by-g", "ProvisionedThroughput": throughput(1, 1)}}])["TableDescription"]
    gsi = index["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    assert gsi["NumberOfDecreasesToday"] == 1 and "LastDecreaseDateTime" in gsi and "LastIncreaseDateTime" not in gsi
    fresh_eddy.stop()
    fresh_eddy.start()
    ddb = fresh_eddy.client()
    assert ddb.describe_table(TableName=table_name)["Table"]["ProvisionedThroughput"]["LastDecreaseDateTime"] == (
        down["ProvisionedThroughput"]["LastDecreaseDateTime"])
    # Two days on (whatever the time of day was), no decrease was today.
    fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 2 * 86400})
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    assert table["ProvisionedThroughput"]["LastIncreaseDateTime"] == increased_at
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0


def test_index_item_counts_and_sizes_are_live_and_survive_a_restart(fresh_eddy, table_name):
    """An index's ItemCount and IndexSizeBytes count its entries (sparse: only items with its key) and their
    projected size; a GSI added later is counted as it is backfilled; the counters survive a kill -9."""
    ddb = fresh_eddy.client()
    create_table(ddb, table_name, range_key=("sk", "S"), extra_attributes=[("g", "S"), ("l", "N")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}],
                 LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                            {"AttributeName": "l", "KeyType": "RANGE"}],
                                         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i in range(6):
        item = {"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "x": {"S": "y" * 100}, "c": {"S": "red"}}
        if i < 4:
            item["g"] = {"S": f"g{i}"}
        if i % 2 == 0:
            item["l"] = {"N": str(i)}
        ddb.put_item(TableName=table_name, Item=item)
    ddb.update_item(TableName=table_name, Key={"pk": {"S": "p"}, "sk": {"S": "s0"}}, UpdateExpression="REMOVE g")

    def counts():
        table = ddb.describe_table(TableName=table_name)["Table"]
        indexes = table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", [])
        return table, {i["IndexName"]: (i["ItemCount"], i["IndexSizeBytes"]) for i in indexes}

    table, before = counts()
    # by-g (ALL) holds s1..s3 whole: each is pk 3 + sk 4 + x 101 + c 4 + g 3 bytes, and s2 has l (1 + 2 bytes).
    assert before["by-g"] == (3, 3 * 115 + 3)
    # by-l (KEYS_ONLY) holds s0, s2, s4: pk, sk and l (1 + 1 byte for 0, 1 + 2 for another one-digit number).
    assert before["by-l"] == (3, 3 * (3 + 4) + 2 + 3 + 3)
    assert table["ItemCount"] == 6
    ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "c", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-c",
                                                              "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}],
                                                              "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    _, after = counts()
    assert after["by-c"] == (6, 6 * (3 + 4 + 4))
    fresh_eddy.kill()
    fresh_eddy.start()
    ddb = fresh_eddy.client()
    assert counts()[1] == after
    ddb.delete_item(TableName=table_name, Key={"pk": {"S": "p"}, "sk": {"S": "s1"}})
    ddb.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-c"}}])
    assert counts()[1] == {"by-g": (2, 2 * 115 + 3), "by-l": (3, 29)}


def test_global_indexes_hold_what_dynamodb_lets_them(ddb, table_name):
    """Index rules Alternator's suite finds on AWS: index keys have a table key's size limits, an index added
    later leaves out items it could not hold, a query of a global index may not ask for (or filter on) what it does
    not project, and an index may not give an attribute a second type."""
    gsi = {"IndexName": "by-x", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}
    create_table(ddb, table_name, extra_attributes=[("x", "S")], GlobalSecondaryIndexes=[gsi])
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "big"}, "x": {"S": "a" * 2049}})
    # In DynamoDB's words for an index key (AWS answers quoted in public issue threads).
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid: Size limit exceeded "
                           "for Index Key x Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: by-x")
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "edge"}, "x": {"S": "a" * 2048}})
    # Items written before an index exists: empty and oversized key values are left out of it.
    for key, value in [("ok", {"S": "fine"}), ("empty", {"S": ""}), ("long", {"S": "y" * 1025}),
                       ("short", {"S": "y" * 1024})]:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": key}, "y": value, "a": {"S": "A"}, "b": {"S": "B"}})
    ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                                 {"AttributeName": "y", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by-pk-y", "Projection": {"ProjectionType": "KEYS_ONLY"},
                         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "y", "KeyType": "RANGE"}]}}])
    indexed = ddb.scan(TableName=table_name, IndexName="by-pk-y")["Items"]
    assert sorted(i["pk"]["S"] for i in indexed) == ["ok", "short"]
    # A global index cannot fetch from the table: asking for, or filtering on, what it lacks is refused.
    query = {"TableName": table_name, "IndexName": "by-x", "KeyConditionExpression": "x = :x",
             "ExpressionAttributeValues": {":x": {"S": "a" * 2048}}}
    assert ddb.query(**query, ProjectionExpression="a, pk")["Count"] == 1
    with pytest.raises(ClientError) as e:
        ddb.query(**query, ProjectionExpression="b, a, c")
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid: "
                           "Global secondary index by-x does not project [b, c]")
    with pytest.raises(ClientError) as e:
        ddb.query(**query, FilterExpression="b = :x")
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid: "
                           "Secondary index by-x does not project one or more filter attributes: [b]")
    # An attribute keeps its type across indexes.
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=table_name, AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[{"Create": {
                             "IndexName": "by-x-number", "Projection": {"ProjectionType": "ALL"},
                             "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]}}])
    assert error_of(e) == ("ValidationException", "One or more parameter values were invalid: Attributes cannot be "
                           "redefined. Please check that your attribute has the same type as previously defined. "
                           "Existing schema: Schema:[SchemaElement: key{x:S:HASH}] "
                           "New schema: Schema:[SchemaElement: key{x:N:HASH}]")


def test_an_unknown_table_class_is_refused_in_dynamodbs_words(eddy, ddb, table_name):
    # DynamoDB checks TableClass in its handler, case-sensitively, not as a model enumeration (Alternator's
    # suite, run against AWS).
    message = ("Invalid table-class parameter provided. Please try again with a valid table-class value: "
               "[STANDARD, STANDARD_INFREQUENT_ACCESS].")
    loose = eddy.client(validate=False)
    with pytest.raises(ClientError) as e:
        create_table(loose, table_name, TableClass="standard")
    assert error_of(e) == ("ValidationException", message)
    create_table(ddb, table_name, TableClass="STANDARD")
    with pytest.raises(ClientError) as e:
        loose.update_table(TableName=table_name, TableClass="junk")
    assert error_of(e) == ("ValidationException", message)
    assert ddb.describe_table(TableName=table_name)["Table"]["TableClassSummary"] == {"TableClass": "STANDARD"}
    # A change of class is dated; a class given at creation is not.
    ddb.update_table(TableName=table_name, TableClass="STANDARD_INFREQUENT_ACCESS")
    summary = ddb.describe_table(TableName=table_name)["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS" and "LastUpdateDateTime" in summary
