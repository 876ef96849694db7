"""End-to-end tests of IAM and STS: every API eddy implements through the AWS CLI and boto3, IAM's error codes,
the AWS managed policies, the guide's execution-role steps (role, trust policy, inline policy with the four
stream actions, managed policy attach) with the checks Lambda makes at CreateFunction and at
Create/UpdateEventSourceMapping, function credentials in `--auth iam` mode, and durability across kill -9."""
import io
import json
import os
import subprocess
import uuid
import zipfile

import boto3
import botocore.config
import pytest

from conftest import Eddy, create_table, error_of, wait_for

ROOT_KEY = "AKIAEDDYROOTEXAMPLE1"
ROOT_SECRET = "eddy-root-secret/EXAMPLEKEY+0123456789ab"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
DDB_EXEC = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
BASIC_EXEC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def client(eddy, service, key="test", secret="test", token=None):
    return boto3.client(
        service, endpoint_url=eddy.endpoint, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token,
        config=botocore.config.Config(retries={"max_attempts": 0}, read_timeout=30))


def aws(eddy, *args, key="test", secret="test", check=True):
    """The AWS CLI against eddy with the given keys; parsed JSON output (or the CompletedProcess if !check)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="")
    env.pop("AWS_SESSION_TOKEN", None)
    proc = subprocess.run(["aws", "--endpoint-url", eddy.endpoint, "--output", "json", *args],
                          capture_output=True, text=True, env=env, timeout=60)
    if not check:
        return proc
    assert proc.returncode == 0, f"aws {' '.join(args)} failed: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def policy(actions, resource="*", effect="Allow"):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": effect, "Action": actions, "Resource": resource}]})


def zip_files(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


WRITER = """
import boto3

def handler(event, context):
    ddb = boto3.client("dynamodb")
    try:
        ddb.put_item(TableName=event["table"], Item={"pk": {"S": event["key"]}})
        return {"ok": True}
    except Exception as e:
        error = getattr(e, "response", {}).get("Error", {})
        return {"ok": False, "code": error.get("Code"), "message": error.get("Message", str(e))}
"""


def create_function(lam, name, role, files=None, **kwargs):
    return lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=role,
                               Code={"ZipFile": zip_files(files or {"app.py": WRITER})}, Timeout=20, **kwargs)


def invoke(lam, name, payload):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    return r, json.loads(r["Payload"].read() or b"null")


@pytest.fixture
def iam(eddy):
    return client(eddy, "iam")


# ---- roles, policies, users with the AWS CLI and boto3 ------------------------------------------------------------


def test_roles_with_the_aws_cli(eddy, tmp_path):
    name = uid("role")
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(LAMBDA_TRUST))
    created = aws(eddy, "iam", "create-role", "--role-name", name, "--path", "/service-role/",
                  "--assume-role-policy-document", f"file://{trust}", "--description", "stream consumer")["Role"]
    assert created["Arn"] == f"arn:aws:iam::000000000000:role/service-role/{name}"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["AssumeRolePolicyDocument"] == LAMBDA_TRUST, "the CLI decodes the URL-encoded document"
    assert "Description" not in created, "CreateRole's answer leaves it out, as AWS's does"
    got = aws(eddy, "iam", "get-role", "--role-name", name)["Role"]
    assert got["MaxSessionDuration"] == 3600 and got["Description"] == "stream consumer"
    assert name in [r["RoleName"] for r in aws(eddy, "iam", "list-roles", "--path-prefix", "/service-role/")["Roles"]]

    streams = tmp_path / "streams.json"
    streams.write_text(policy(STREAM_ACTIONS))
    aws(eddy, "iam", "put-role-policy", "--role-name", name, "--policy-name", "streams",
        "--policy-document", f"file://{streams}")
    assert aws(eddy, "iam", "get-role-policy", "--role-name", name, "--policy-name", "streams")["PolicyDocument"] \
        == json.loads(policy(STREAM_ACTIONS))
    assert aws(eddy, "iam", "list-role-policies", "--role-name", name)["PolicyNames"] == ["streams"]
    aws(eddy, "iam", "attach-role-policy", "--role-name", name, "--policy-arn", BASIC_EXEC)
    attached = aws(eddy, "iam", "list-attached-role-policies", "--role-name", name)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC_EXEC}]

    ec2 = dict(LAMBDA_TRUST, Statement=[dict(LAMBDA_TRUST["Statement"][0], Principal={"Service": "ec2.amazonaws.com"})])
    trust.write_text(json.dumps(ec2))
    aws(eddy, "iam", "update-assume-role-policy", "--role-name", name, "--policy-document", f"file://{trust}")
    assert aws(eddy, "iam", "get-role", "--role-name", name)["Role"]["AssumeRolePolicyDocument"] == ec2

    refused = aws(eddy, "iam", "delete-role", "--role-name", name, check=False)
    assert refused.returncode != 0 and "(DeleteConflict)" in refused.stderr
    aws(eddy, "iam", "detach-role-policy", "--role-name", name, "--policy-arn", BASIC_EXEC)
    aws(eddy, "iam", "delete-role-policy", "--role-name", name, "--policy-name", "streams")
    aws(eddy, "iam", "delete-role", "--role-name", name)
    gone = aws(eddy, "iam", "get-role", "--role-name", name, check=False)
    assert "(NoSuchEntity)" in gone.stderr and f"The role with name {name} cannot be found." in gone.stderr


def test_iam_errors_carry_iams_codes_and_messages(iam):
    name = uid("err")
    with pytest.raises(Exception) as e:
        iam.get_role(RoleName=name)
    assert error_of(e) == ("NoSuchEntity", f"The role with name {name} cannot be found.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    with pytest.raises(Exception) as e:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    assert error_of(e) == ("EntityAlreadyExists", f"Role with name {name.upper()} already exists.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(Exception) as e:
        iam.put_role_policy(RoleName=name, PolicyName="p",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}))
    assert error_of(e) == ("MalformedPolicyDocument", "Policy statement must contain actions.")
    with pytest.raises(Exception) as e:
        iam.create_policy(PolicyName=uid("old"), PolicyDocument=json.dumps(
            {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    assert error_of(e) == ("MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater.")
    with pytest.raises(Exception) as e:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy(["dynamodb:GetItem"], "table/x"))
    assert error_of(e) == ("MalformedPolicyDocument", 'Resource table/x must be in ARN format or "*".')
    with pytest.raises(Exception) as e:
        iam.create_role(RoleName=uid("t"), AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::000000000000:user/nobody"}}]}))
    assert error_of(e) == ("MalformedPolicyDocument",
                           'Invalid principal in policy: "AWS":"arn:aws:iam::000000000000:user/nobody"')
    with pytest.raises(Exception) as e:
        iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccessNope")
    assert error_of(e) == ("NoSuchEntity",
                           "Policy arn:aws:iam::aws:policy/ReadOnlyAccessNope does not exist or is not attachable.")
    bad = client_without_validation(iam)
    with pytest.raises(Exception) as e:
        bad.get_role(RoleName="bad name!")
    code, message = error_of(e)
    assert code == "ValidationError"
    assert message.startswith("1 validation error detected: Value 'bad name!' at 'roleName' failed to satisfy")
    with pytest.raises(Exception) as e:
        iam.delete_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert error_of(e)[0] == "UnmodifiableEntity"
    with pytest.raises(Exception) as e:
        iam.get_account_summary()
    assert error_of(e) == ("InvalidAction", "Could not find operation GetAccountSummary for version 2010-05-08")
    iam.delete_role(RoleName=name)


def client_without_validation(c):
    return boto3.client("iam", endpoint_url=c.meta.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 0}, parameter_validation=False))


def test_the_aws_managed_policies_have_their_real_documents(iam):
    expected = {
        DDB_EXEC: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                   "dynamodb:ListStreams", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        BASIC_EXEC: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
            "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "logs:CreateLogGroup",
            "logs:CreateLogStream", "logs:PutLogEvents"],
        "arn:aws:iam::aws:policy/AdministratorAccess": "*",
    }
    listed = {p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert listed == set(expected)
    for arn, actions in expected.items():
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        assert p["DefaultVersionId"] == "v1" and p["IsAttachable"] is True
        doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
        assert doc["Statement"][0]["Action"] == actions and doc["Statement"][0]["Resource"] == "*"


def test_customer_policies_and_versions(iam):
    name = uid("pol")
    created = iam.create_policy(PolicyName=name, Path="/app/", PolicyDocument=policy(["sqs:SendMessage"]),
                                Description="dlq writer")["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::000000000000:policy/app/{name}"
    assert created["PolicyId"].startswith("ANPA") and created["DefaultVersionId"] == "v1"
    # The description is GetPolicy's alone (moto's AWS-verified tests).
    assert "Description" not in created
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "dlq writer"
    with pytest.raises(Exception) as e:
        iam.create_policy(PolicyName=name, PolicyDocument=policy(["sqs:SendMessage"]))
    assert error_of(e) == ("EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.")
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(["sns:Publish"]), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["Action"] == ["sqs:SendMessage"]
    with pytest.raises(Exception) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert error_of(e) == ("DeleteConflict", "Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    # IAM does not repeat a refused version id (AWS-recorded).
    with pytest.raises(Exception) as e:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="wrong_version_id")
    assert error_of(e) == ("ValidationError", "1 validation error detected: Value at 'versionId' failed to satisfy "
                           "constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    role = uid("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert arn in [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]
    with pytest.raises(Exception) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(e)[0] == "DeleteConflict"
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(Exception) as e:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(e) == ("NoSuchEntity", f"Policy {arn} was not found.")
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(Exception) as e:
        iam.get_policy(PolicyArn=arn)
    assert error_of(e) == ("NoSuchEntity", f"Policy {arn} was not found.")
    iam.delete_role(RoleName=role)


def test_users_access_keys_and_user_policies(eddy, iam):
    name = uid("user")
    tags = [{"Key": "team", "Value": "ops"}]
    user = iam.create_user(UserName=name, Path="/ops/", Tags=tags)["User"]
    assert user["Arn"] == f"arn:aws:iam::000000000000:user/ops/{name}" and user["UserId"].startswith("AIDA")
    assert user["Tags"] == tags
    assert iam.get_user(UserName=name)["User"]["Tags"] == tags
    listed_users = [u for u in iam.list_users(PathPrefix="/ops/")["Users"] if u["UserName"] == name]
    # A listing leaves the tags out, as AWS's do (moto's AWS-verified tests).
    assert len(listed_users) == 1 and "Tags" not in listed_users[0]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]] and "SecretAccessKey" not in listed[0]
    iam.create_access_key(UserName=name)
    with pytest.raises(Exception) as e:
        iam.create_access_key(UserName=name)
    assert error_of(e)[0] == "LimitExceeded"
    # The user's own key names the user, even with authentication off.
    me = client(eddy, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert me["Arn"] == user["Arn"] and me["UserId"] == user["UserId"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=policy(["dynamodb:GetItem"]))
    assert iam.get_user_policy(UserName=name, PolicyName="read")["PolicyDocument"]["Statement"][0]["Action"] \
        == ["dynamodb:GetItem"]
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["read"]
    iam.attach_user_policy(UserName=name, PolicyArn=BASIC_EXEC)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]] == [BASIC_EXEC]
    with pytest.raises(Exception) as e:
        iam.delete_user(UserName=name)
    assert error_of(e) == ("DeleteConflict", "Cannot delete entity, must delete access keys first.")
    for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    iam.detach_user_policy(UserName=name, PolicyArn=BASIC_EXEC)
    iam.delete_user_policy(UserName=name, PolicyName="read")
    iam.delete_user(UserName=name)
    with pytest.raises(Exception) as e:
        iam.get_user(UserName=name)
    assert error_of(e) == ("NoSuchEntity", f"The user with name {name} cannot be found.")


def test_sts_caller_identity_and_assume_role(eddy, iam):
    sts = client(eddy, "sts")
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    assert aws(eddy, "sts", "get-caller-identity")["Account"] == "000000000000"
    role = uid("assumable")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                       "Action": "sts:AssumeRole"}]}), MaxSessionDuration=7200)
    arn = f"arn:aws:iam::000000000000:role/{role}"
    out = sts.assume_role(RoleArn=arn, RoleSessionName="session-1", DurationSeconds=7200)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{role}/session-1"
    who = client(eddy, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).get_caller_identity()
    assert who["Arn"] == out["AssumedRoleUser"]["Arn"] and who["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    with pytest.raises(Exception) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s2", DurationSeconds=7201)
    assert error_of(e) == ("ValidationError",
                           "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    lambda_only = uid("lambda-only")
    iam.create_role(RoleName=lambda_only, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    with pytest.raises(Exception) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::000000000000:role/{lambda_only}", RoleSessionName="s3")
    assert error_of(e) == ("AccessDenied", "User: arn:aws:iam::000000000000:root is not authorized to perform: "
                           f"sts:AssumeRole on resource: arn:aws:iam::000000000000:role/{lambda_only}")
    with pytest.raises(Exception) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s4", ExternalId="external-1")
    assert error_of(e)[0] == "ValidationError", "unimplemented members are refused, not ignored"


# ---- the checks Lambda makes ----------------------------------------------------------------------------------------


def test_create_function_needs_a_role_lambda_can_assume(eddy, iam):
    lam = client(eddy, "lambda")
    role = uid("ec2-role")
    ec2_trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(ec2_trust))
    arn = f"arn:aws:iam::000000000000:role/{role}"
    with pytest.raises(Exception) as e:
        create_function(lam, uid("fn"), arn)
    assert error_of(e) == ("InvalidParameterValueException",
                           "The role defined for the function cannot be assumed by Lambda.")
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(LAMBDA_TRUST))
    name = uid("fn")
    assert create_function(lam, name, arn)["Role"] == arn, "a role created moments before is usable at once"
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(ec2_trust))
    with pytest.raises(Exception) as e:
        lam.update_function_configuration(FunctionName=name, Role=arn)
    assert error_of(e)[1] == "The role defined for the function cannot be assumed by Lambda."
    # With authentication off, a role eddy's IAM has never seen is accepted as before.
    assert create_function(lam, uid("fn"), "arn:aws:iam::000000000000:role/lambda-role")


def test_the_guides_role_steps_and_the_mapping_checks(eddy, tmp_path):
    """The guide's execution-role steps with the AWS CLI: a mapping is refused while the role lacks one stream
    action and accepted once the policy is fixed; an on-failure destination is refused without SendMessage."""
    ddb = eddy.client()
    table = uid("orders")
    create_table(ddb, table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    stream = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    role = uid("consumer")
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(LAMBDA_TRUST))
    role_arn = aws(eddy, "iam", "create-role", "--role-name", role,
                   "--assume-role-policy-document", f"file://{trust}")["Role"]["Arn"]
    three = tmp_path / "three.json"
    three.write_text(policy(STREAM_ACTIONS[:3], stream))
    aws(eddy, "iam", "put-role-policy", "--role-name", role, "--policy-name", "stream-read",
        "--policy-document", f"file://{three}")
    package = tmp_path / "fn.zip"
    package.write_bytes(zip_files({"app.py": "def handler(e, c):\n    return len(e['Records'])\n"}))
    fn = uid("consumer-fn")
    aws(eddy, "lambda", "create-function", "--function-name", fn, "--runtime", "python3.12", "--handler",
        "app.handler", "--role", role_arn, "--zip-file", f"fileb://{package}")
    refused = aws(eddy, "lambda", "create-event-source-mapping", "--function-name", fn, "--event-source-arn", stream,
                  "--starting-position", "LATEST", check=False)
    assert refused.returncode != 0
    assert "(InvalidParameterValueException)" in refused.stderr
    assert (f"Cannot access stream {stream}. Please ensure the role can perform the GetRecords, GetShardIterator, "
            "DescribeStream, and ListStreams Actions on your stream in IAM.") in refused.stderr

    four = tmp_path / "four.json"
    four.write_text(policy(STREAM_ACTIONS, stream))
    aws(eddy, "iam", "put-role-policy", "--role-name", role, "--policy-name", "stream-read",
        "--policy-document", f"file://{four}")
    mapping = aws(eddy, "lambda", "create-event-source-mapping", "--function-name", fn, "--event-source-arn",
                  stream, "--starting-position", "LATEST")
    assert mapping["State"] == "Creating"

    sqs = eddy.client("sqs")
    dlq_url = sqs.create_queue(QueueName=uid("dlq"))["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    destination = json.dumps({"OnFailure": {"Destination": dlq}})
    refused = aws(eddy, "lambda", "update-event-source-mapping", "--uuid", mapping["UUID"],
                  "--destination-config", destination, check=False)
    assert "(InvalidParameterValueException)" in refused.stderr
    assert "The provided execution role does not have permissions to call SendMessage on SQS" in refused.stderr
    send = tmp_path / "send.json"
    send.write_text(policy(["sqs:SendMessage"], dlq))
    aws(eddy, "iam", "put-role-policy", "--role-name", role, "--policy-name", "dlq",
        "--policy-document", f"file://{send}")
    updated = aws(eddy, "lambda", "update-event-source-mapping", "--uuid", mapping["UUID"],
                  "--destination-config", destination)
    assert updated["DestinationConfig"]["OnFailure"]["Destination"] == dlq

    # The managed-policy route of the guide: a role with AWSLambdaDynamoDBExecutionRole attached reads streams.
    managed_role = uid("managed")
    managed_arn = aws(eddy, "iam", "create-role", "--role-name", managed_role,
                      "--assume-role-policy-document", f"file://{trust}")["Role"]["Arn"]
    fn2 = uid("managed-fn")
    aws(eddy, "lambda", "create-function", "--function-name", fn2, "--runtime", "python3.12", "--handler",
        "app.handler", "--role", managed_arn, "--zip-file", f"fileb://{package}")
    refused = aws(eddy, "lambda", "create-event-source-mapping", "--function-name", fn2, "--event-source-arn",
                  stream, "--starting-position", "TRIM_HORIZON", check=False)
    assert "Cannot access stream" in refused.stderr
    aws(eddy, "iam", "attach-role-policy", "--role-name", managed_role, "--policy-arn", DDB_EXEC)
    assert aws(eddy, "lambda", "create-event-source-mapping", "--function-name", fn2, "--event-source-arn", stream,
               "--starting-position", "TRIM_HORIZON")["EventSourceArn"] == stream
    ddb.put_item(TableName=table, Item={"pk": {"S": "delivered"}})
    logs = eddy.client("logs")

    def invoked():
        try:
            return logs.describe_log_streams(logGroupName=f"/aws/lambda/{fn2}").get("logStreams")
        except logs.exceptions.ResourceNotFoundException:
            return None  # the log group appears with the first invocation

    wait_for(invoked, timeout=30, message="the mapping to invoke its function")


# ---- iam mode: what a handler may do is what its role allows --------------------------------------------------------


@pytest.fixture(scope="module")
def iam_eddy():
    server = Eddy(in_memory=True, extra_args=["--auth", "iam", "--root-access-key", ROOT_KEY,
                                              "--root-secret-key", ROOT_SECRET]).start()
    yield server
    server.stop()


def writer_setup(server, fn):
    """A table, a role with only the basic execution policy, and function `fn` running as that role."""
    root = lambda service: client(server, service, ROOT_KEY, ROOT_SECRET)  # noqa: E731
    iam, lam, ddb = root("iam"), root("lambda"), root("dynamodb")
    table = uid("writes")
    create_table(ddb, table)
    role = uid("writer")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=BASIC_EXEC)
    create_function(lam, fn, role_arn)
    return iam, lam, ddb, table, role


def test_a_one_character_function_gets_lambdas_session_name(iam_eddy):
    # A session name has at least two characters; Lambda names this one `M@lambda_function` (AWS-recorded).
    _, lam, _, table, role = writer_setup(iam_eddy, "M")
    r, body = invoke(lam, "M", {"table": table, "key": "k"})
    assert "FunctionError" not in r, body
    assert f"assumed-role/{role}/M@lambda_function is not authorized" in body["message"]


def test_a_handler_is_denied_a_write_its_role_lacks_then_allowed(iam_eddy):
    fn = uid("writer-fn")
    iam, lam, ddb, table, role = writer_setup(iam_eddy, fn)
    table_arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}"
    r, body = invoke(lam, fn, {"table": table, "key": "first"})
    assert "FunctionError" not in r, body
    assert body == {"ok": False, "code": "AccessDeniedException", "message":
                    f"User: arn:aws:sts::000000000000:assumed-role/{role}/{fn} is not authorized to perform: "
                    f"dynamodb:PutItem on resource: {table_arn} because no identity-based policy allows the "
                    "dynamodb:PutItem action"}
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "first"}})
    iam.put_role_policy(RoleName=role, PolicyName="write", PolicyDocument=policy(["dynamodb:PutItem"], table_arn))
    r, body = invoke(lam, fn, {"table": table, "key": "second"})
    assert body == {"ok": True}, "the same warm environment is allowed once the policy allows it"
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "second"}})["Item"]["pk"] == {"S": "second"}
    other = uid("other")
    create_table(ddb, other)
    r, body = invoke(lam, fn, {"table": other, "key": "x"})
    assert body["code"] == "AccessDeniedException", "the policy names one table only"
    iam.put_role_policy(RoleName=role, PolicyName="deny", PolicyDocument=policy(["dynamodb:*"], "*", "Deny"))
    r, body = invoke(lam, fn, {"table": table, "key": "third"})
    assert body["message"].endswith("with an explicit deny in an identity-based policy")


def test_in_iam_mode_create_function_also_refuses_unknown_roles(iam_eddy):
    lam = client(iam_eddy, "lambda", ROOT_KEY, ROOT_SECRET)
    with pytest.raises(Exception) as e:
        create_function(lam, uid("fn"), "arn:aws:iam::000000000000:role/never-created")
    assert error_of(e) == ("InvalidParameterValueException",
                           "The role defined for the function cannot be assumed by Lambda.")


def test_a_user_needs_iam_pass_role_to_create_a_function(iam_eddy):
    root_iam = client(iam_eddy, "iam", ROOT_KEY, ROOT_SECRET)
    user = uid("deployer")
    root_iam.create_user(UserName=user)
    key = root_iam.create_access_key(UserName=user)["AccessKey"]
    role_arn = root_iam.create_role(RoleName=uid("fnrole"),
                                    AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    root_iam.put_user_policy(UserName=user, PolicyName="lambda", PolicyDocument=policy(["lambda:*"]))
    lam = client(iam_eddy, "lambda", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(Exception) as e:
        create_function(lam, uid("fn"), role_arn)
    code, message = error_of(e)
    assert code == "AccessDeniedException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert message == (f"User: arn:aws:iam::000000000000:user/{user} is not authorized to perform: iam:PassRole on "
                       f"resource: {role_arn} because no identity-based policy allows the iam:PassRole action")
    root_iam.put_user_policy(UserName=user, PolicyName="pass", PolicyDocument=policy(["iam:PassRole"], role_arn))
    assert create_function(lam, uid("fn"), role_arn)["Role"] == role_arn


# ---- durability -----------------------------------------------------------------------------------------------------


def test_iam_survives_kill_9(tmp_path):
    args = ["--auth", "sigv4", "--root-access-key", ROOT_KEY, "--root-secret-key", ROOT_SECRET]
    server = Eddy(data_dir=str(tmp_path / "data"), extra_args=args).start()
    try:
        iam = client(server, "iam", ROOT_KEY, ROOT_SECRET)
        role_arn = iam.create_role(RoleName="durable", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": "arn:aws:iam::000000000000:root"}}]}))[
            "Role"]["Arn"]
        iam.put_role_policy(RoleName="durable", PolicyName="inline", PolicyDocument=policy(STREAM_ACTIONS))
        arn = iam.create_policy(PolicyName="durable", PolicyDocument=policy(["sqs:SendMessage"]))["Policy"]["Arn"]
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(["sns:Publish"]), SetAsDefault=True)
        iam.attach_role_policy(RoleName="durable", PolicyArn=arn)
        iam.create_user(UserName="keeper")
        key = iam.create_access_key(UserName="keeper")["AccessKey"]
        creds = client(server, "sts", ROOT_KEY, ROOT_SECRET).assume_role(
            RoleArn=role_arn, RoleSessionName="before-crash")["Credentials"]
        server.kill()
        server = Eddy(data_dir=str(tmp_path / "data"), extra_args=args).start()
        iam = client(server, "iam", ROOT_KEY, ROOT_SECRET)
        assert iam.get_role(RoleName="durable")["Role"]["Arn"] == role_arn
        assert iam.list_role_policies(RoleName="durable")["PolicyNames"] == ["inline"]
        assert iam.list_attached_role_policies(RoleName="durable")["AttachedPolicies"][0]["PolicyArn"] == arn
        assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
        assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="keeper")["AccessKeyMetadata"]] \
            == [key["AccessKeyId"]]
        assert client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()["Arn"] \
            == "arn:aws:iam::000000000000:user/keeper", "the user's key still signs"
        session = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        assert session.get_caller_identity()["Arn"].endswith("assumed-role/durable/before-crash"), \
            "session tokens verify after a restart"
    finally:
        server.kill()
