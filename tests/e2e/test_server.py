"""The server shell: readiness, health, protocol details botocore relies on, unknown operations, the clock."""
import binascii
import re
import json
import os
import subprocess

import botocore.session
import pytest
import requests
from botocore.exceptions import ClientError

import shape_check
from conftest import EDDY_BIN, Eddy, error_of


def test_the_shape_check_catches_what_botocore_lets_through():
    """The strict check every test runs after itself (conftest) does find the faults it is there for."""
    model = botocore.session.get_session().get_service_model("dynamodb")
    shape_check.take()
    shape_check.check_json(model.operation_model("DescribeTable").output_shape, {"Table": {
        "CreationDateTime": "2026-11-29T00:00:00Z", "ItemCount": 1.5, "TableStatus": "READY", "Extra": 1}})
    found = shape_check.take()
    assert [line.split(" ", 1)[1].split(":")[0] for line in found] == [
        "$.Table.CreationDateTime", "$.Table.ItemCount", "$.Table.TableStatus", "$.Table.Extra"], found


def test_health_answers_ok(eddy):
    r = requests.get(eddy.endpoint + "/_eddy/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_get_of_the_root_is_dynamodbs_health_check(eddy):
    # DynamoDB answers an unsigned GET of its root with this body, trailing space included (dynalite's suite,
    # run against AWS); other paths are not found (Alternator's suite, run against AWS).
    r = requests.get(eddy.endpoint + "/")
    assert r.status_code == 200
    assert r.text == "healthy: dynamodb.us-east-1.amazonaws.com "
    assert int(r.headers["x-amz-crc32"]) == binascii.crc32(r.content)
    assert r.headers["content-length"] == str(len(r.text))
    assert re.fullmatch(r"[0-9A-Z]{52}", r.headers["x-amzn-RequestId"])
    for path in ["/abc", "/-", "/index.htm", "/health"]:
        assert 400 <= requests.get(eddy.endpoint + path).status_code <= 404


def test_every_response_has_request_id_and_correct_crc32(eddy):
    r = requests.post(eddy.endpoint + "/", data="{}", headers={
        "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 200
    assert len(r.headers["x-amzn-RequestId"]) == 52
    assert int(r.headers["x-amz-crc32"]) == binascii.crc32(r.content)
    err = requests.post(eddy.endpoint + "/", data="{}", headers={
        "X-Amz-Target": "DynamoDB_20120810.DescribeTable", "Content-Type": "application/x-amz-json-1.0"})
    assert err.status_code == 400
    assert int(err.headers["x-amz-crc32"]) == binascii.crc32(err.content)
    assert err.json()["__type"] == "com.amazon.coral.validate#ValidationException"
    # The other services answer with lower-case UUIDs, as AWS's do.
    sqs = eddy.client("sqs")
    rid = sqs.list_queues()["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", rid), rid
    lam = eddy.client("lambda")
    assert re.fullmatch(r"[0-9a-f-]{36}", lam.list_functions()["ResponseMetadata"]["RequestId"])


@pytest.mark.parametrize("op", ["ExecuteStatement", "CreateBackup", "ExportTableToPointInTime", "NoSuchThing"])
def test_unimplemented_operations_get_unknown_operation(eddy, op):
    r = requests.post(eddy.endpoint + "/", data="{}", headers={
        "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 400
    assert r.json() == {"__type": "com.amazon.coral.service#UnknownOperationException"}


def test_partiql_through_boto3_is_refused(ddb):
    with pytest.raises(ClientError) as e:
        ddb.execute_statement(Statement="SELECT * FROM x")
    assert error_of(e)[0] == "UnknownOperationException"


@pytest.mark.parametrize("op,body,message", [
    ("DescribeTable", {"TableName": 5}, "NUMBER_VALUE cannot be converted to String"),
    ("DescribeTable", {"TableName": True}, "TRUE_VALUE cannot be converted to String"),
    ("DescribeTable", {"TableName": 3.5}, "DECIMAL_VALUE cannot be converted to String"),
    ("DescribeTable", {"TableName": []}, "Unrecognized collection type class java.lang.String"),
    ("DescribeTable", {"TableName": {}}, "Start of structure or map found where not expected"),
    ("Scan", {"TableName": "abc", "Limit": "x"}, "STRING_VALUE cannot be converted to Integer"),
    ("Scan", {"TableName": "abc", "ConsistentRead": "yes"}, "Unexpected token received from parser"),
    ("Scan", {"TableName": "abc", "AttributesToGet": "a"}, "Unexpected field type"),
    ("Scan", {"TableName": "abc", "ExclusiveStartKey": []},
     "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"),
    # Inside an item: checked before the request's other rules (here, the missing TableName).
    ("PutItem", {"Item": {"a": 23}}, "Unexpected value type in payload"),
    ("PutItem", {"Item": {"a": []}}, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"),
    ("PutItem", {"Item": {"a": {"S": False}}}, "FALSE_VALUE cannot be converted to String"),
    ("PutItem", {"Item": {"a": {"L": [{"BOOL": "true"}]}}}, "Unexpected token received from parser"),
    ("PutItem", {"Item": {"a": {"SS": {}}}}, "Start of structure or map found where not expected"),
    ("PutItem", {"Item": {"a": {"M": 1}}}, "Unexpected field type"),
    ("PutItem", {"Item": {"a": {"B": 5}}}, "only base-64-encoded strings are convertible to bytes"),
    ("PutItem", {"Item": {"a": {"B": "abcde"}}}, "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ("UpdateItem", {"Key": {"a": {"S": "x"}}, "Expected": {"a": {"Value": 1}}}, "Unexpected field type"),
])
def test_serialization_errors_for_wrong_json_types(eddy, op, body, message):
    r = requests.post(eddy.endpoint + "/", data=json.dumps(body), headers={
        "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 400
    assert r.json() == {"__type": "com.amazon.coral.service#SerializationException", "Message": message}


def test_region_comes_from_the_credential_scope(eddy, table_name):
    east = eddy.client(region="us-east-1")
    west = eddy.client(region="eu-west-1")
    from conftest import create_table
    create_table(west, table_name)
    assert table_name in west.list_tables()["TableNames"]
    assert table_name not in east.list_tables()["TableNames"]
    desc = west.describe_table(TableName=table_name)["Table"]
    assert desc["TableArn"] == f"arn:aws:dynamodb:eu-west-1:000000000000:table/{table_name}"


def test_twelve_digit_access_key_selects_the_account(eddy, table_name):
    from conftest import create_table
    other = eddy.client(key="111122223333")
    create_table(other, table_name)
    assert other.describe_table(TableName=table_name)["Table"]["TableArn"].startswith(
        "arn:aws:dynamodb:us-east-1:111122223333:table/")
    assert table_name not in eddy.client().list_tables()["TableNames"]


def test_clock_can_be_paused_and_advanced(fresh_eddy):
    before = fresh_eddy.control("GET", "/_eddy/clock")
    assert before["paused"] is False
    paused = fresh_eddy.control("POST", "/_eddy/clock", {"paused": True})
    assert paused["paused"] is True
    advanced = fresh_eddy.control("POST", "/_eddy/clock", {"advanceSeconds": 86400})
    assert advanced["now"] == paused["now"] + 86_400_000
    assert fresh_eddy.control("GET", "/_eddy/clock")["now"] == advanced["now"]
    r = requests.post(fresh_eddy.endpoint + "/_eddy/clock", json={"advanceSeconds": -5})
    assert r.status_code == 400
    # Past the year 9999, or by more than any integer holds: refused, and nothing changes (not even `paused`).
    for change in [{"advanceSeconds": 1e300}, {"advanceMs": 2 ** 63 - 1, "advanceSeconds": 1},
                   {"advanceMs": 2 ** 63 - 1, "paused": False}]:
        r = requests.post(fresh_eddy.endpoint + "/_eddy/clock", json=change)
        assert (r.status_code, r.json()) == (400, {"error": "the clock cannot be advanced past 9999-12-31T23:59:59.999Z"})
    assert fresh_eddy.control("GET", "/_eddy/clock") == advanced
    last = fresh_eddy.control("POST", "/_eddy/clock", {"advanceMs": 253_402_300_799_999 - advanced["now"]})
    assert last["now"] == 253_402_300_799_999
    fresh_eddy.aws("dynamodb", "list-tables")


def test_an_answer_that_leaves_the_body_unread_closes_the_connection(eddy):
    session = requests.Session()
    r = session.post(eddy.endpoint + "/_eddy/ttl/sweep", data=b'{"ignored": true}' * 1000)
    assert r.status_code == 200
    assert r.headers["Connection"] == "close"
    # The client was told, so its next request goes out on a new connection and is answered.
    assert session.get(eddy.endpoint + "/_eddy/health").json() == {"status": "ok"}
    r = session.post(eddy.endpoint + "/_eddy/ttl/sweep")
    assert "Connection" not in r.headers


def test_second_process_on_same_data_dir_is_refused(fresh_eddy):
    proc = subprocess.run([EDDY_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", fresh_eddy.data_dir],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "in use by another eddy process" in proc.stderr


def test_flags_can_come_from_environment(tmp_path):
    env = dict(os.environ, EDDY_IN_MEMORY="true", EDDY_LISTEN="127.0.0.1:0")
    proc = subprocess.Popen([EDDY_BIN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.startswith("eddy ready on http://127.0.0.1:")
        assert not (tmp_path / ".eddy").exists(), "in-memory mode must not create a data dir"
    finally:
        proc.kill()
        proc.wait()


def test_sigterm_shuts_down_cleanly_and_keeps_data(fresh_eddy, table_name):
    from conftest import create_table
    ddb = fresh_eddy.client()
    create_table(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "kept"}})
    fresh_eddy.stop()
    assert fresh_eddy.proc.returncode == 0
    again = Eddy(data_dir=fresh_eddy.data_dir).start()
    try:
        assert again.client().get_item(TableName=table_name, Key={"pk": {"S": "kept"}})["Item"] == {"pk": {"S": "kept"}}
    finally:
        again.kill()


def test_browsers_get_cors_answers(eddy):
    """A browser's preflight is answered for any origin, and its calls carry the CORS headers."""
    r = requests.options(eddy.endpoint + "/", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,authorization"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "POST"
    assert r.headers["access-control-allow-headers"] == "content-type,x-amz-target,authorization"
    assert r.headers["access-control-max-age"] == "172800"
    assert "x-amzn-RequestId" in r.headers["access-control-expose-headers"]
    r = requests.post(eddy.endpoint + "/", data="{}", headers={
        "Origin": "http://localhost:3000", "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 200 and "TableNames" in r.json()
    assert r.headers["access-control-allow-origin"] == "*"
    assert "x-amzn-RequestId" in r.headers["access-control-expose-headers"]
    # Without an Origin, no CORS headers.
    r = requests.post(eddy.endpoint + "/", data="{}", headers={
        "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"})
    assert "access-control-allow-origin" not in r.headers


def test_control_sub_commands_steer_a_running_eddy():
    """`eddy clock …`, `eddy ttl-sweep` and `eddy streams …` call the control API of the eddy at --endpoint (or
    EDDY_ENDPOINT) and print its answer; a refusal is an exit status of 1 with the reason."""
    server = Eddy(in_memory=True).start()
    try:
        def eddy_cli(*args, check=True):
            proc = subprocess.run([EDDY_BIN, *args], capture_output=True, text=True, timeout=30,
                                  env=dict(os.environ, EDDY_ENDPOINT=server.endpoint))
            if check:
                assert proc.returncode == 0, proc.stderr
                return json.loads(proc.stdout)
            return proc

        paused = eddy_cli("clock", "pause")
        assert paused["paused"] is True
        assert eddy_cli("clock", "advance", "24h")["now"] == paused["now"] + 86_400_000
        ddb = server.client()
        ddb.create_table(TableName="ctl", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        ddb.update_time_to_live(TableName="ctl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        expires = (paused["now"] + 86_400_000) // 1000 + 60
        ddb.put_item(TableName="ctl", Item={"pk": {"S": "a"}, "exp": {"N": str(expires)}})
        assert eddy_cli("ttl-sweep") == {"deleted": 0}
        eddy_cli("clock", "advance", "2m", "--endpoint", server.endpoint)
        assert eddy_cli("ttl-sweep") == {"deleted": 1}
        stream = ddb.describe_table(TableName="ctl")["Table"]["LatestStreamArn"]
        rolled = eddy_cli("streams", "rollover", stream, "--children", "2")
        assert len(rolled["closedShards"]) == 1 and len(rolled["openedShards"]) == 2
        assert eddy_cli("clock", "resume")["paused"] is False
        refused = eddy_cli("streams", "rollover", stream + "-nope", check=False)
        assert refused.returncode == 1 and "not found" in refused.stderr
        unreachable = eddy_cli("clock", "show", "--endpoint", "http://127.0.0.1:9", check=False)
        assert unreachable.returncode == 1 and "cannot reach eddy" in unreachable.stderr
    finally:
        server.stop()



def test_dynamodb_takes_gzip_requests_and_compresses_large_answers(eddy, table_name):
    """As Alternator's suite finds DynamoDB doing: a gzip request body is read (several members too), any other
    Content-Encoding or a body that does not inflate is an internal error that runs nothing, and an answer over
    4 KiB is compressed as Accept-Encoding asks, its x-amz-crc32 covering the compressed bytes."""
    import gzip
    import http.client
    import zlib
    from conftest import create_table
    create_table(eddy.client(), table_name)
    host = eddy.endpoint.removeprefix("http://")

    def post(op, body, **headers):
        connection = http.client.HTTPConnection(host, timeout=10)
        connection.request("POST", "/", body=body, headers={
            "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0", **headers})
        response = connection.getresponse()
        answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        connection.close()
        return answer

    def put(key, value):
        return json.dumps({"TableName": table_name, "Item": {"pk": {"S": key}, "v": {"S": value}}}).encode()

    half = len(put("a", "x" * 5000)) // 2
    status, headers, _ = post("PutItem", gzip.compress(put("a", "x" * 5000)[:half]) +
                              gzip.compress(put("a", "x" * 5000)[half:]), **{"Content-Encoding": "gzip"})
    assert status == 200 and headers["server"] == "Server"
    for body, coding in [(put("b", "y"), "gzip"), (put("b", "y"), "br"), (gzip.compress(put("b", "y"))[:-1], "gzip"),
                         (b"", "gzip")]:
        status, headers, answer = post("PutItem", body, **{"Content-Encoding": coding})
        assert status == 500 and json.loads(answer)["__type"].endswith("#InternalServerError")
    get = json.dumps({"TableName": table_name, "Key": {"pk": {"S": "a"}}}).encode()
    for accept, coding, inflate in [("gzip", "gzip", gzip.decompress), ("br, deflate", "deflate", zlib.decompress)]:
        status, headers, answer = post("GetItem", get, **{"Accept-Encoding": accept})
        assert headers["content-encoding"] == coding
        assert int(headers["x-amz-crc32"]) == binascii.crc32(answer)
        assert json.loads(inflate(answer))["Item"]["v"]["S"] == "x" * 5000
    # Small answers, and clients that accept no supported coding, get plain JSON.
    for body, accept in [(get.replace(b'"a"', b'"none"'), "gzip"), (get, "identity, br")]:
        status, headers, answer = post("GetItem", body, **{"Accept-Encoding": accept})
        assert "content-encoding" not in headers and int(headers["x-amz-crc32"]) == binascii.crc32(answer)
        json.loads(answer)
    assert "Item" not in eddy.client().get_item(TableName=table_name, Key={"pk": {"S": "b"}})


def test_a_dynamodb_request_over_16_mb_is_refused_with_413(eddy, table_name):
    # DynamoDB's request limit (Alternator's suite, run against AWS): 17 MB of whitespace in a PutItem is a 413,
    # sent with a Content-Length or chunked; just under 16 MiB is read.
    from conftest import create_table
    create_table(eddy.client(), table_name)
    headers = {"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"}

    def body(padding):
        return '{"TableName": "' + table_name + '", ' + " " * padding + '"Item": {"pk": {"S": "big"}}}'

    assert requests.post(eddy.endpoint + "/", data=body(17 * 1024 * 1024), headers=headers).status_code == 413
    chunks = iter([body(17 * 1024 * 1024).encode()])
    assert requests.post(eddy.endpoint + "/", data=chunks, headers=headers).status_code == 413
    assert "Item" not in eddy.client().get_item(TableName=table_name, Key={"pk": {"S": "big"}})
    assert requests.post(eddy.endpoint + "/", data=body(16 * 1024 * 1024 - 200), headers=headers).status_code == 200
    assert "Item" in eddy.client().get_item(TableName=table_name, Key={"pk": {"S": "big"}})
