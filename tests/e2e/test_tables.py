"""Table lifecycle through boto3 and the AWS CLI: create, describe, list, update, delete, indexes, TTL, tags,
and the validation errors DynamoDB gives for each."""
import pytest
from botocore.exceptions import ClientError

from conftest import create_table, error_of


def test_create_describe_delete_round_trip(ddb, table_name):
    out = create_table(ddb, table_name, range_key=("sk", "N"))["TableDescription"]
    assert out["TableStatus"] == "ACTIVE"
    assert out["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert out["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert out["TableArn"].endswith(f":table/{table_name}")
    desc = ddb.describe_table(TableName=table_name)["Table"]
    assert desc["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"},
                                            {"AttributeName": "sk", "AttributeType": "N"}]
    assert desc["ItemCount"] == 0
    ddb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0, "MaxAttempts": 1})
    deleted = ddb.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
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


def test_key_schema_validation_messages(ddb, table_name):
    def attempt(**kwargs):
        with pytest.raises(ClientError) as e:
            ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", **kwargs)
        return error_of(e)

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
    assert error_of(e) == ("ValidationException", f"1 validation error detected: Table '{table_name}' can't be deleted "
                                                  "while DeletionProtectionEnabled is set to True")
    ddb.update_table(TableName=table_name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=table_name)


def test_recreated_table_does_not_see_old_items(ddb, table_name):
    create_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "old"}})
    ddb.delete_table(TableName=table_name)
    create_table(ddb, table_name)
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "old"}})
    assert ddb.scan(TableName=table_name)["Count"] == 0


def test_time_to_live_settings(ddb, table_name):
    create_table(ddb, table_name)
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    out = ddb.update_time_to_live(TableName=table_name,
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "x"})
    assert error_of(e) == ("ValidationException", "TimeToLive is already enabled")


def test_tags(ddb, table_name):
    arn = create_table(ddb, table_name, Tags=[{"Key": "team", "Value": "search"}])["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "search")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]


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
])
def test_invalid_tags_are_refused_as_dynamodb_does(eddy, table_name, call, message):
    ddb = eddy.client(validate=False)
    arn = create_table(ddb, table_name)["TableDescription"]["TableArn"]
    with pytest.raises(ClientError) as e:
        call(ddb, arn)
    assert error_of(e) == ("ValidationException", message)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


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
