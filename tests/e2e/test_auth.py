"""End-to-end tests of signed requests: `--auth sigv4` and `--auth iam` reject bad signatures, unknown keys,
expired timestamps, replays outside the five-minute window and expired session tokens with AWS's errors in each
protocol (DynamoDB and Logs JSON, SQS JSON and query, SNS, IAM and STS query, Lambda REST); presigned query-string
requests; AccessDenied per protocol in iam mode; malformed Authorization headers never crash or hang the server;
a second SigV4 implementation (the AWS SDK for JavaScript) is accepted; eddy refuses to listen on a non-loopback
address without authentication unless told to."""
import datetime
import html
import json
import os
import re
import shutil
import subprocess
import uuid

import boto3
import botocore.auth
import botocore.config
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import EDDY_BIN, Eddy, error_of, wait_for

ROOT_KEY = "AKIAEDDYROOTEXAMPLE2"
ROOT_SECRET = "eddy-root-secret/ANOTHEREXAMPLEKEY+0123"
AUTH_ARGS = ["--root-access-key", ROOT_KEY, "--root-secret-key", ROOT_SECRET]
JS_DIR = os.path.join(os.path.dirname(__file__), "js")

# (protocol, signing service, method, path, headers, body)
PROTOCOLS = {
    "dynamodb": ("dynamodb", "POST", "/", {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                          "Content-Type": "application/x-amz-json-1.0"}, b"{}"),
    "logs": ("logs", "POST", "/", {"X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                                   "Content-Type": "application/x-amz-json-1.1"}, b"{}"),
    "sqs-json": ("sqs", "POST", "/", {"X-Amz-Target": "AmazonSQS.ListQueues",
                                      "Content-Type": "application/x-amz-json-1.0"}, b"{}"),
    "sqs-query": ("sqs", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
                  b"Action=ListQueues&Version=2012-11-05"),
    "sns": ("sns", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
            b"Action=ListTopics&Version=2010-03-31"),
    "iam": ("iam", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
            b"Action=ListRoles&Version=2010-05-08"),
    "sts": ("sts", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
            b"Action=GetCallerIdentity&Version=2011-06-15"),
    "lambda": ("lambda", "GET", "/2015-03-31/functions/", {}, b""),
}

# The error code and HTTP status each protocol answers with.
EXPECTED = {
    "bad-signature": {"dynamodb": ("InvalidSignatureException", 400), "logs": ("InvalidSignatureException", 400),
                      "sqs-json": ("SignatureDoesNotMatch", 403), "sqs-query": ("SignatureDoesNotMatch", 403),
                      "sns": ("SignatureDoesNotMatch", 403), "iam": ("SignatureDoesNotMatch", 403),
                      "sts": ("SignatureDoesNotMatch", 403), "lambda": ("InvalidSignatureException", 403)},
    "unknown-key": {"dynamodb": ("UnrecognizedClientException", 400), "logs": ("UnrecognizedClientException", 400),
                    "sqs-json": ("InvalidClientTokenId", 403), "sqs-query": ("InvalidClientTokenId", 403),
                    "sns": ("InvalidClientTokenId", 403), "iam": ("InvalidClientTokenId", 403),
                    "sts": ("InvalidClientTokenId", 403), "lambda": ("UnrecognizedClientException", 403)},
    "unsigned": {"dynamodb": ("MissingAuthenticationTokenException", 400),
                 "logs": ("MissingAuthenticationTokenException", 400),
                 "sqs-json": ("MissingAuthenticationToken", 403), "sqs-query": ("MissingAuthenticationToken", 403),
                 "sns": ("MissingAuthenticationToken", 403), "iam": ("MissingAuthenticationToken", 403),
                 "sts": ("MissingAuthenticationToken", 403), "lambda": ("MissingAuthenticationTokenException", 403)},
    "expired-token": {"dynamodb": ("ExpiredTokenException", 400), "sqs-query": ("ExpiredToken", 403),
                      "sts": ("ExpiredToken", 403), "lambda": ("ExpiredTokenException", 403)},
}


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def iam_eddy():
    server = Eddy(in_memory=True, extra_args=["--auth", "iam", *AUTH_ARGS]).start()
    yield server
    server.stop()


@pytest.fixture
def own_eddy():
    """An eddy of the test's own, whose clock the test may move."""
    server = Eddy(in_memory=True, extra_args=["--auth", "iam", *AUTH_ARGS]).start()
    yield server
    server.stop()


def client(eddy, service, key=ROOT_KEY, secret=ROOT_SECRET, token=None):
    return boto3.client(service, endpoint_url=eddy.endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=botocore.config.Config(retries={"max_attempts": 0}, read_timeout=30))


def wall_time():
    """Now by the wall clock, which SigV4 dates are judged by (clients sign with their own clocks)."""
    return datetime.datetime.now(tz=datetime.timezone.utc)


def control(eddy, method, path, body=None, key=ROOT_KEY, secret=ROOT_SECRET):
    """A control-API request signed with SigV4 (any service name in the scope), as auth modes require."""
    data = json.dumps(body).encode() if body is not None else b""
    req = AWSRequest(method=method, url=eddy.endpoint + path, data=data,
                     headers={"Content-Type": "application/json"} if body is not None else {})
    botocore.auth.SigV4Auth(Credentials(key, secret), "eddy", "us-east-1").add_auth(req)
    return send(req.prepare())


def advance(eddy, seconds):
    r = control(eddy, "POST", "/_eddy/clock", {"advanceSeconds": seconds})
    assert r.status_code == 200, r.text


def sign(eddy, protocol, key=ROOT_KEY, secret=ROOT_SECRET, token=None, at=None):
    """A request of `protocol` signed by botocore's SigV4 signer (at `at`, a datetime, if given)."""
    service, method, path, headers, body = PROTOCOLS[protocol]
    req = AWSRequest(method=method, url=eddy.endpoint + path, data=body, headers=dict(headers))
    signer = botocore.auth.SigV4Auth(Credentials(key, secret, token), service, "us-east-1")
    if at is None:
        signer.add_auth(req)
    else:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: at.replace(tzinfo=None)
        try:
            signer.add_auth(req)
        finally:
            botocore.auth.get_current_datetime = original
    return req.prepare()


def send(prepared, headers=None):
    h = dict(prepared.headers)
    h.update(headers or {})
    return requests.request(prepared.method, prepared.url, headers=h, data=prepared.body, timeout=10)


def code_of(protocol, response):
    """The error code as an SDK reads it from this protocol's error shape."""
    if protocol == "lambda":
        return response.headers.get("x-amzn-errortype")
    if protocol == "sqs-json":
        return response.headers.get("x-amzn-query-error", "").split(";")[0]
    if protocol in ("dynamodb", "logs"):
        return response.json()["__type"].split("#")[-1]
    match = re.search(r"<Code>([^<]*)</Code>", response.text)
    return match and match.group(1)


def message_of(protocol, response):
    if protocol in ("sqs-query", "sns", "iam", "sts"):
        match = re.search(r"<Message>([^<]*)</Message>", response.text, re.S)
        return match and html.unescape(match.group(1))
    body = response.json()
    return body.get("message") or body.get("Message")


def check(kind, protocol, response):
    code, status = EXPECTED[kind][protocol]
    assert (code_of(protocol, response), response.status_code) == (code, status), response.text


# ---- authentication errors per protocol -----------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_good_signatures_pass_and_bad_ones_fail_per_protocol(iam_eddy, protocol):
    assert send(sign(iam_eddy, protocol)).status_code == 200
    bad = send(sign(iam_eddy, protocol, secret="not-the-secret"))
    check("bad-signature", protocol, bad)
    assert message_of(protocol, bad).startswith(
        "The request signature we calculated does not match the signature you provided.")
    check("unknown-key", protocol, send(sign(iam_eddy, protocol, key="AKIANOSUCHKEYEXAMPLE")))
    assert "The security token included in the request is invalid" in message_of(
        protocol, send(sign(iam_eddy, protocol, key="AKIANOSUCHKEYEXAMPLE")))
    service, method, path, headers, body = PROTOCOLS[protocol]
    unsigned = requests.request(method, iam_eddy.endpoint + path, headers=headers, data=body, timeout=10)
    check("unsigned", protocol, unsigned)
    assert message_of(protocol, unsigned) == (
        "Missing Authentication Token" if protocol == "lambda" else "Request is missing Authentication Token")


@pytest.mark.parametrize("protocol", ["dynamodb", "sqs-query", "iam", "lambda"])
def test_expired_and_future_timestamps_are_refused(iam_eddy, protocol):
    now = wall_time()
    stale = send(sign(iam_eddy, protocol, at=now - datetime.timedelta(minutes=10)))
    check("bad-signature", protocol, stale)
    assert re.match(r"Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)",
                    message_of(protocol, stale)), message_of(protocol, stale)
    future = send(sign(iam_eddy, protocol, at=now + datetime.timedelta(minutes=10)))
    check("bad-signature", protocol, future)
    assert message_of(protocol, future).startswith("Signature not yet current:")
    assert send(sign(iam_eddy, protocol, at=now - datetime.timedelta(minutes=4))).status_code == 200, \
        "within the five-minute skew a request is accepted"


def test_header_components_may_be_space_separated_and_the_clock_is_checked_before_the_scope(iam_eddy):
    """As Alternator's suite finds DynamoDB (run against AWS): `Credential=… SignedHeaders=… Signature=…` separated
    by spaces or by commas alone is read, and an old request whose scope is wrong too is `Signature expired`."""
    prepared = sign(iam_eddy, "dynamodb")
    algorithm, rest = prepared.headers["Authorization"].split(" ", 1)
    for separator in [" ", ","]:
        joined = separator.join(part.strip() for part in rest.split(","))
        assert send(prepared, {"Authorization": f"{algorithm} {joined}"}).status_code == 200
    service, method, path, headers, body = PROTOCOLS["dynamodb"]
    for date, fault in [("20170101T010101Z", "Signature expired"), ("30200101T010101Z", "Signature not yet current")]:
        stale = requests.post(iam_eddy.endpoint + path, data=body, timeout=10, headers={**headers,
            "X-Amz-Date": date, "Authorization": "AWS4-HMAC-SHA256 Credential=alternator/2/3/4/aws4_request "
                                                 "SignedHeaders=x-amz-date;host Signature=123"})
        check("bad-signature", "dynamodb", stale)
        assert message_of("dynamodb", stale).startswith(fault), stale.text


def test_a_replay_outside_the_skew_window_is_refused(iam_eddy):
    # Requests captured 4 min 57 s after they were signed: replays are accepted for three more seconds of wall
    # time, then refused.
    signed_at = wall_time() - datetime.timedelta(minutes=4, seconds=57)
    captured = {p: sign(iam_eddy, p, at=signed_at) for p in ("dynamodb", "sts", "lambda")}
    for protocol, prepared in captured.items():
        assert send(prepared).status_code == 200, f"{protocol}: a replay within the window is accepted"
        assert send(prepared).status_code == 200, f"{protocol}: ... as often as it is sent"
    for protocol, prepared in captured.items():
        def refused():
            r = send(prepared)
            return [r] if r.status_code != 200 else None  # a list: a 4xx Response is falsy

        [replay] = wait_for(refused, timeout=15, interval=0.2, message=f"the {protocol} replay to leave the window")
        check("bad-signature", protocol, replay)
        assert message_of(protocol, replay).startswith("Signature expired:")


def test_advancing_the_server_clock_does_not_break_signed_requests(own_eddy):
    """SigV4 dates are judged by the wall clock: a test that jumps eddy's clock a day ahead (retention, TTL) or
    pauses it still talks to eddy with SDK clients that sign with the real time."""
    ddb = client(own_eddy, "dynamodb")
    assert control(own_eddy, "POST", "/_eddy/clock", {"paused": True}).json()["paused"] is True
    advance(own_eddy, 90000)
    assert ddb.list_tables()["TableNames"] == []
    assert client(own_eddy, "sts").get_caller_identity()["Account"] == "000000000000"
    stale = send(sign(own_eddy, "dynamodb", at=wall_time() - datetime.timedelta(minutes=6)))
    check("bad-signature", "dynamodb", stale)


def test_the_control_api_needs_the_root_keys_when_authentication_is_on(iam_eddy):
    assert requests.get(iam_eddy.endpoint + "/_eddy/health", timeout=5).status_code == 200, "probes stay open"
    for method, path, body in [("GET", "/_eddy/clock", None), ("POST", "/_eddy/clock", {"advanceSeconds": 1}),
                               ("POST", "/_eddy/streams/trim", None), ("GET", "/_eddy/metrics", None)]:
        unsigned = requests.request(method, iam_eddy.endpoint + path, json=body, timeout=5)
        assert unsigned.status_code == 403, (path, unsigned.text)
        assert unsigned.json() == {"error": "Request is missing Authentication Token",
                                   "code": "MissingAuthenticationTokenException"}
    before = control(iam_eddy, "GET", "/_eddy/clock").json()["now"]
    wrong = control(iam_eddy, "POST", "/_eddy/clock", {"advanceSeconds": 3600}, secret="not-the-secret")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "InvalidSignatureException")
    iam = client(iam_eddy, "iam")
    user = uid("admin")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = control(iam_eddy, "POST", "/_eddy/clock", {"advanceSeconds": 3600}, key["AccessKeyId"],
                      key["SecretAccessKey"])
    assert as_user.status_code == 403 and as_user.json() == {
        "error": f"arn:aws:iam::000000000000:user/{user} may not use the control API (/_eddy): sign with the root keys",
        "code": "AccessDeniedException"}
    assert control(iam_eddy, "GET", "/_eddy/clock").json()["now"] - before < 3_600_000, "nothing was advanced"
    assert control(iam_eddy, "GET", "/_eddy/metrics").status_code == 200


def test_expired_session_tokens_are_refused(own_eddy):
    iam = client(own_eddy, "iam")
    arn = iam.create_role(RoleName="short", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": "arn:aws:iam::000000000000:root"}}]}))[
        "Role"]["Arn"]
    creds = client(own_eddy, "sts").assume_role(RoleArn=arn, RoleSessionName="brief", DurationSeconds=900)[
        "Credentials"]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert send(sign(own_eddy, "sts", *session)).status_code == 200
    advance(own_eddy, 901)  # sessions expire by the server clock
    for protocol in EXPECTED["expired-token"]:
        response = send(sign(own_eddy, protocol, *session))
        check("expired-token", protocol, response)
        assert message_of(protocol, response) == "The security token included in the request is expired"
    forged = send(sign(own_eddy, "dynamodb", creds["AccessKeyId"], creds["SecretAccessKey"], "EDDY1.Zm9v.YmFy"))
    check("unknown-key", "dynamodb", forged)


def test_sdk_clients_see_aws_error_codes(iam_eddy):
    for service, call in [("dynamodb", "list_tables"), ("sqs", "list_queues"), ("sns", "list_topics"),
                          ("iam", "list_roles"), ("sts", "get_caller_identity"), ("lambda", "list_functions")]:
        with pytest.raises(Exception) as e:
            getattr(client(iam_eddy, service, secret="wrong"), call)()
        code = error_of(e)[0]
        assert code in ("InvalidSignatureException", "SignatureDoesNotMatch"), (service, code)
        with pytest.raises(Exception) as e:
            getattr(client(iam_eddy, service, key="AKIANOSUCHKEYEXAMPLE"), call)()
        assert error_of(e)[0] in ("UnrecognizedClientException", "InvalidClientTokenId"), service


def test_presigned_query_string_requests(iam_eddy):
    sts = client(iam_eddy, "sts")
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    assert "X-Amz-Signature=" in url and "Authorization" not in url
    ok = requests.get(url, timeout=5)
    assert ok.status_code == 200 and "<Arn>arn:aws:iam::000000000000:root</Arn>" in ok.text
    tampered = re.sub(r"X-Amz-Signature=([0-9a-f])", lambda m: "X-Amz-Signature=" + ("0" if m.group(1) != "0" else "1"),
                      url)
    bad = requests.get(tampered, timeout=5)
    assert (bad.status_code, code_of("sts", bad)) == (403, "SignatureDoesNotMatch")
    posted_as_get = requests.get(sts.generate_presigned_url("get_caller_identity", Params={}), timeout=5)
    assert code_of("sts", posted_as_get) == "SignatureDoesNotMatch", "a URL presigned for POST is not valid for GET"
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: (wall_time() - datetime.timedelta(seconds=61)).replace(tzinfo=None)
    try:
        presigned_61s_ago = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60,
                                                       HttpMethod="GET")
    finally:
        botocore.auth.get_current_datetime = original
    expired = requests.get(presigned_61s_ago, timeout=5)
    assert (expired.status_code, code_of("sts", expired)) == (403, "SignatureDoesNotMatch")
    assert message_of("sts", expired).startswith("Signature expired:")
    assert message_of("sts", expired).endswith(" - 60 sec.)"), "a presigned URL lasts X-Amz-Expires seconds"


def test_malformed_authorization_headers_never_crash_or_hang(iam_eddy):
    amz_date = wall_time().strftime("%Y%m%dT%H%M%SZ")
    cred = f"Credential={ROOT_KEY}/{amz_date[:8]}/us-east-1/dynamodb/aws4_request"
    headers = [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential",
        "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
        f"AWS4-HMAC-SHA256 {cred}",
        f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, Signature=",
        f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=, Signature=00",
        f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=x-amz-date, Signature=00",
        f"AWS4-HMAC-SHA25 {cred}, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=////, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/g, SignedHeaders=host, Signature=00",
        f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;;;;, Signature={'f' * 64}",
        f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, Signature={'z' * 10000}",
        "AWS4-HMAC-SHA256 " + ",".join(["Credential=x"] * 2000),
        "Bearer token",
        "AWS AKIDEXAMPLE:signature",
        "",
        "=,=,=",
    ]
    for value in headers:
        for date in (amz_date, "not-a-date", None):
            h = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
                 "Authorization": value}
            if date:
                h["X-Amz-Date"] = date
            r = requests.post(iam_eddy.endpoint + "/", headers=h, data=b"{}", timeout=5)
            assert r.status_code == 400, (value, date, r.text)
            assert r.json()["__type"].split("#")[1] in (
                "MissingAuthenticationTokenException", "IncompleteSignatureException", "InvalidSignatureException",
                "UnrecognizedClientException"), (value, r.text)
    # Raw bytes that are not valid header text, on every protocol's path.
    for path, extra in [("/", {}), ("/2015-03-31/functions/", {}),
                        ("/", {"Content-Type": "application/x-www-form-urlencoded"})]:
        r = requests.post(iam_eddy.endpoint + path, headers={"Authorization": b"AWS4-HMAC-SHA256 \xff\xfe", **extra},
                          data=b"Action=ListRoles", timeout=5)
        assert 400 <= r.status_code < 500
    r = requests.get(iam_eddy.endpoint + "/?Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256", timeout=5)
    assert (r.status_code, code_of("sts", r)) == (400, "IncompleteSignature")
    assert message_of("sts", r).startswith("AWS query-string parameters must include 'X-Amz-Algorithm'")
    assert requests.get(iam_eddy.endpoint + "/_eddy/health", timeout=5).status_code == 200
    assert client(iam_eddy, "dynamodb").list_tables()["TableNames"] is not None


# ---- authorization in iam mode --------------------------------------------------------------------------------------


def test_access_denied_per_protocol(iam_eddy):
    iam = client(iam_eddy, "iam")
    user = uid("nobody")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    arn = f"arn:aws:iam::000000000000:user/{user}"
    expected = {
        "dynamodb": ("AccessDeniedException", 400, "dynamodb:ListTables", "*"),
        "logs": ("AccessDeniedException", 400, "logs:DescribeLogGroups", "*"),
        "sqs-json": ("AccessDenied", 403, "sqs:listqueues", "*"),
        "sqs-query": ("AccessDenied", 403, "sqs:listqueues", "*"),
        "sns": ("AuthorizationError", 403, "SNS:ListTopics", "*"),
        "iam": ("AccessDenied", 403, "iam:ListRoles", "*"),
        "lambda": ("AccessDeniedException", 403, "lambda:ListFunctions", "*"),
    }
    for protocol, (code, status, action, resource) in expected.items():
        r = send(sign(iam_eddy, protocol, *creds))
        assert (code_of(protocol, r), r.status_code) == (code, status), (protocol, r.text)
        assert message_of(protocol, r) == (f"User: {arn} is not authorized to perform: {action} on resource: "
                                           f"{resource} because no identity-based policy allows the {action} action")
    assert send(sign(iam_eddy, "sts", *creds)).status_code == 200, "GetCallerIdentity needs no permission"
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    for protocol in expected:
        assert send(sign(iam_eddy, protocol, *creds)).status_code == 200, protocol
    iam.put_user_policy(UserName=user, PolicyName="no-queues", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}))
    denied = send(sign(iam_eddy, "sqs-query", *creds))
    assert message_of("sqs-query", denied) == (f"User: {arn} is not authorized to perform: sqs:listqueues on "
                                               "resource: * with an explicit deny in an identity-based policy")


def test_resources_are_named_by_arn(iam_eddy):
    root = lambda s: client(iam_eddy, s)  # noqa: E731
    table = uid("t")
    root("dynamodb").create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    queue_url = root("sqs").create_queue(QueueName=uid("q"))["QueueUrl"]
    queue_arn = root("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    user = uid("reader")
    iam = root("iam")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    table_arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}"
    iam.put_user_policy(UserName=user, PolicyName="one-table", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": table_arn},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}]}))
    ddb = client(iam_eddy, "dynamodb", key["AccessKeyId"], key["SecretAccessKey"])
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    with pytest.raises(Exception) as e:
        ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    assert error_of(e)[1].endswith("because no identity-based policy allows the dynamodb:DeleteItem action")
    sqs = client(iam_eddy, "sqs", key["AccessKeyId"], key["SecretAccessKey"])
    sqs.send_message(QueueUrl=queue_url, MessageBody="allowed")
    with pytest.raises(Exception) as e:
        sqs.receive_message(QueueUrl=queue_url)
    assert error_of(e) == ("AccessDenied", f"User: arn:aws:iam::000000000000:user/{user} is not authorized to "
                           f"perform: sqs:receivemessage on resource: {queue_arn} because no identity-based policy "
                           "allows the sqs:receivemessage action")


def test_sigv4_mode_verifies_signatures_but_authorizes_nothing():
    server = Eddy(in_memory=True, extra_args=["--auth", "sigv4", *AUTH_ARGS]).start()
    try:
        iam = client(server, "iam")
        iam.create_user(UserName="anyone")
        key = iam.create_access_key(UserName="anyone")["AccessKey"]
        ddb = client(server, "dynamodb", key["AccessKeyId"], key["SecretAccessKey"])
        assert ddb.list_tables()["TableNames"] == [], "no policy is needed in sigv4 mode"
        with pytest.raises(Exception) as e:
            client(server, "dynamodb", key["AccessKeyId"], "wrong").list_tables()
        assert error_of(e)[0] == "InvalidSignatureException"
    finally:
        server.stop()


# ---- a second SigV4 implementation ----------------------------------------------------------------------------------


def test_the_aws_sdk_for_javascript_signs_requests_eddy_accepts(iam_eddy):
    if not shutil.which("node") or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-iam")):
        pytest.skip("the AWS SDK for JavaScript is not installed (tests/e2e/js: npm ci)")
    role = uid("js-role")
    proc = subprocess.run(["node", os.path.join(JS_DIR, "signed_calls.mjs"), iam_eddy.endpoint, ROOT_KEY,
                           ROOT_SECRET, role], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["identity"] == "arn:aws:iam::000000000000:root"
    assert out["role"] == f"arn:aws:iam::000000000000:role/{role}"
    assert out["listed"] is True
    assert out["tablesIsArray"] is True
    assert out["assumed"] == f"arn:aws:sts::000000000000:assumed-role/{role}/js-session"
    assert out["sessionDenied"] == "AccessDeniedException"
    assert out["badSecret"] == "SignatureDoesNotMatch"
    assert out["unknownKey"] == "UnrecognizedClientException"
    # The role the JavaScript SDK created is the same role boto3 sees.
    assert client(iam_eddy, "iam").get_role(RoleName=role)["Role"]["Arn"] == out["role"]


# ---- listening without authentication -------------------------------------------------------------------------------


def start_public(args):
    """Starts eddy on all interfaces (the harness always listens on loopback); answers (process, endpoint)."""
    proc = subprocess.Popen([EDDY_BIN, "serve", "--in-memory", "--listen", "0.0.0.0:0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("eddy ready on "), proc.stderr.read()
    port = line.strip().rsplit(":", 1)[1]
    return proc, f"http://127.0.0.1:{port}"


def start_refused(args):
    proc = subprocess.run([EDDY_BIN, "serve", "--in-memory", *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    return proc.stderr


def test_eddy_refuses_to_listen_publicly_without_authentication():
    message = start_refused(["--listen", "0.0.0.0:0"])
    assert "refusing to listen on 0.0.0.0:0 with --auth off" in message and "--allow-unauthenticated" in message
    assert "--root-access-key" in start_refused(["--listen", "127.0.0.1:0", "--auth", "iam"])
    assert "both" in start_refused(["--listen", "127.0.0.1:0", "--root-access-key", "AKIAONLYONEOFTHETWO0"])
    for args in (["--allow-unauthenticated"], ["--auth", "sigv4", *AUTH_ARGS]):
        proc, endpoint = start_public(args)
        try:
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ROOT_KEY,
                               aws_secret_access_key=ROOT_SECRET)
            assert sts.get_caller_identity()["Account"] == "000000000000"
        finally:
            proc.kill()
            proc.wait(timeout=15)
