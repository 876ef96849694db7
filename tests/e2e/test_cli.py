"""Every DynamoDB operation eddy implements, driven through the AWS CLI (botocore's CLI serializers, parameter
shorthand and error printing), with a failing case for each family."""
import json



def test_every_operation_through_the_cli(eddy, table_name):
    aws = eddy.aws
    arn = aws("dynamodb", "create-table", "--table-name", table_name,
              "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
              "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
              "--billing-mode", "PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    aws("dynamodb", "put-item", "--table-name", table_name, "--item", '{"pk":{"S":"a"},"sk":{"N":"1"},"n":{"N":"5"}}')
    out = aws("dynamodb", "update-item", "--table-name", table_name, "--key", '{"pk":{"S":"a"},"sk":{"N":"1"}}',
              "--update-expression", "SET n = n + :one", "--expression-attribute-values", '{":one":{"N":"1"}}',
              "--return-values", "UPDATED_NEW")
    assert out["Attributes"] == {"n": {"N": "6"}}
    aws("dynamodb", "batch-write-item", "--request-items", json.dumps({table_name: [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(3)]}))
    got = aws("dynamodb", "batch-get-item", "--request-items", json.dumps({table_name: {"Keys": [
        {"pk": {"S": "b"}, "sk": {"N": "0"}}, {"pk": {"S": "a"}, "sk": {"N": "1"}}]}}))
    assert len(got["Responses"][table_name]) == 2
    scanned = aws("dynamodb", "scan", "--table-name", table_name, "--filter-expression", "pk = :b",
                  "--expression-attribute-values", '{":b":{"S":"b"}}')
    assert scanned["Count"] == 3
    aws("dynamodb", "transact-write-items", "--transact-items", json.dumps([
        {"Put": {"TableName": table_name, "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}}}},
        {"Delete": {"TableName": table_name, "Key": {"pk": {"S": "b"}, "sk": {"N": "0"}}}}]))
    got = aws("dynamodb", "transact-get-items", "--transact-items", json.dumps([
        {"Get": {"TableName": table_name, "Key": {"pk": {"S": "t"}, "sk": {"N": "1"}}}}]))
    assert got["Responses"] == [{"Item": {"pk": {"S": "t"}, "sk": {"N": "1"}}}]
    aws("dynamodb", "delete-item", "--table-name", table_name, "--key", '{"pk":{"S":"t"},"sk":{"N":"1"}}')
    aws("dynamodb", "update-time-to-live", "--table-name", table_name,
        "--time-to-live-specification", "Enabled=true,AttributeName=exp")
    assert aws("dynamodb", "describe-time-to-live", "--table-name", table_name)["TimeToLiveDescription"][
        "TimeToLiveStatus"] == "ENABLED"
    aws("dynamodb", "tag-resource", "--resource-arn", arn, "--tags", "Key=team,Value=search")
    assert aws("dynamodb", "list-tags-of-resource", "--resource-arn", arn)["Tags"] == [{"Key": "team", "Value": "search"}]
    aws("dynamodb", "untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert aws("dynamodb", "list-tags-of-resource", "--resource-arn", arn)["Tags"] == []
    assert aws("dynamodb", "describe-limits")["AccountMaxReadCapacityUnits"] == 80000
    assert aws("dynamodb", "describe-endpoints")["Endpoints"][0]["CachePeriodInMinutes"] == 1440
    out = aws("dynamodb", "update-table", "--table-name", table_name,
              "--attribute-definitions", "AttributeName=n,AttributeType=N",
              "--global-secondary-index-updates",
              json.dumps([{"Create": {"IndexName": "by-n", "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
                                      "Projection": {"ProjectionType": "ALL"}}}]))
    assert out["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-n"
    q = aws("dynamodb", "query", "--table-name", table_name, "--index-name", "by-n",
            "--key-condition-expression", "n = :six", "--expression-attribute-values", '{":six":{"N":"6"}}')
    assert [i["pk"]["S"] for i in q["Items"]] == ["a"]


def test_cli_error_cases_print_aws_errors(eddy, table_name, tmp_path):
    aws = eddy.aws
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"pk": {"S": "x"}, "big": {"S": "x" * 410000}}))
    aws("dynamodb", "create-table", "--table-name", table_name,
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    cases = [
        (["put-item", "--table-name", table_name, "--item", f"file://{big}"],
         "ValidationException", "Item size has exceeded the maximum allowed size"),
        (["put-item", "--table-name", table_name, "--item", '{"pk":{"S":"x"}}', "--condition-expression",
          "attribute_exists(pk) AND"], "ValidationException", "Invalid ConditionExpression: Syntax error"),
        (["update-item", "--table-name", table_name, "--key", '{"pk":{"S":"x"}}', "--update-expression",
          "SET a = :v", "--condition-expression", "attribute_exists(pk)", "--expression-attribute-values",
          '{":v":{"S":"v"}}'], "ConditionalCheckFailedException", "The conditional request failed"),
        (["get-item", "--table-name", table_name, "--key", '{"pk":{"N":"1"}}'],
         "ValidationException", "The provided key element does not match the schema"),
        (["transact-write-items", "--transact-items", json.dumps([
            {"ConditionCheck": {"TableName": table_name, "Key": {"pk": {"S": "none"}},
                                "ConditionExpression": "attribute_exists(pk)"}}])],
         "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific "
                                         "reasons [ConditionalCheckFailed]"),
    ]
    for args, code, message in cases:
        proc = aws("dynamodb", *args, check=False)
        assert proc.returncode != 0, args
        assert f"({code})" in proc.stderr, proc.stderr
        assert message in proc.stderr, proc.stderr
