"""Lambda end to end: functions created with the AWS CLI and boto3 from real zip packages (Node.js CommonJS and ES
modules, Python, Rust built with lambda_runtime) run as native processes behind eddy's Runtime API. Checks payloads,
errors and their JSON, timeouts, crashes, environment variables, SDK calls from handlers reaching eddy, warm reuse,
throttling, Event invokes and their retries, logs read back with `aws logs`, versions and aliases, and that
functions and code survive a restart."""
import base64
import concurrent.futures
import io
import json
import os
import shutil
import subprocess
import uuid
import zipfile

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ROOT, Eddy, create_table, wait_for

FUNCTIONS = os.path.join(os.path.dirname(__file__), "functions")
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
JS_NODE_MODULES = os.path.join(os.path.dirname(__file__), "js", "node_modules")


def zip_dir(name, extra=None):
    """A zip package of tests/e2e/functions/<name> (file modes kept), plus `extra` {arcname: path}."""
    buf = io.BytesIO()
    base = os.path.join(FUNCTIONS, name)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, _, files in os.walk(base):
            for f in sorted(files):
                if f.endswith(".pyc"):
                    continue
                full = os.path.join(dirpath, f)
                z.write(full, os.path.relpath(full, base))
        for arcname, path in (extra or {}).items():
            z.write(path, arcname)
    return buf.getvalue()


def zip_files(files):
    """A zip package from {name: text}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def fname(prefix="fn"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def lam(eddy):
    return eddy.client("lambda")


@pytest.fixture(scope="module")
def logs(eddy):
    return eddy.client("logs")


def create(lam, name, package, runtime="nodejs20.x", handler="index.handler", **kwargs):
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                               Code={"ZipFile": package}, **kwargs)


def invoke(lam, name, payload=None, **kwargs):
    """Invokes; returns (response, decoded JSON payload or raw text)."""
    args = {"FunctionName": name, **kwargs}
    if payload is not None:
        args["Payload"] = json.dumps(payload).encode()
    r = lam.invoke(**args)
    raw = r["Payload"].read() if "Payload" in r else b""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode()
    return r, body


def log_messages(logs, name, pattern=None):
    args = {"logGroupName": f"/aws/lambda/{name}"}
    if pattern:
        args["filterPattern"] = pattern
    try:
        return [e["message"] for e in logs.filter_log_events(**args)["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


@pytest.fixture(scope="module")
def node_fn(lam):
    name = fname("node")
    create(lam, name, zip_dir("node-cjs"), Environment={"Variables": {"GREETING": "hello", "EMPTY": ""}},
           MemorySize=256, Timeout=5)
    return name


@pytest.fixture(scope="module")
def py_fn(lam):
    name = fname("py")
    create(lam, name, zip_dir("python-app"), runtime="python3.12", handler="app.handler",
           Environment={"Variables": {"GREETING": "bonjour"}}, Timeout=10)
    return name


# ---- the control plane ------------------------------------------------------------------------------------------


def test_cli_creates_gets_lists_and_deletes_a_function(eddy, tmp_path):
    name = fname("cli")
    package = tmp_path / "fn.zip"
    package.write_bytes(zip_dir("node-cjs"))
    created = eddy.aws("lambda", "create-function", "--function-name", name, "--runtime", "nodejs22.x",
                       "--role", ROLE, "--handler", "index.handler", "--zip-file", f"fileb://{package}",
                       "--description", "made by the CLI", "--timeout", "7")
    assert created["FunctionName"] == name
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["Timeout"] == 7 and created["MemorySize"] == 128
    assert created["Version"] == "$LATEST" and created["PackageType"] == "Zip"
    assert created["CodeSize"] == package.stat().st_size
    import hashlib
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    assert created["LastModified"].endswith("+0000")
    got = eddy.aws("lambda", "get-function", "--function-name", name)
    assert got["Configuration"]["Description"] == "made by the CLI"
    assert got["Code"]["RepositoryType"] == "S3"
    import requests
    assert requests.get(got["Code"]["Location"], timeout=5).content == package.read_bytes()
    listed = eddy.aws("lambda", "list-functions")
    assert name in [f["FunctionName"] for f in listed["Functions"]]
    out = tmp_path / "out.json"
    result = eddy.aws("lambda", "invoke", "--function-name", name, "--payload", '{"hello": "cli"}', str(out))
    assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert json.loads(out.read_text())["echo"] == {"hello": "cli"}
    eddy.aws("lambda", "delete-function", "--function-name", name)
    proc = eddy.aws("lambda", "get-function", "--function-name", name, check=False)
    assert proc.returncode != 0 and "ResourceNotFoundException" in proc.stderr
    assert f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}" in proc.stderr


def test_duplicate_names_conflict_and_bad_requests_get_aws_messages(eddy, lam):
    name = fname("dup")
    create(lam, name, zip_dir("node-cjs"))
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        create(lam, name, zip_dir("node-cjs"))
    assert e.value.response["Error"]["Message"] == f"Function already exist: {name}"
    raw = eddy.client("lambda", validate=False)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName=fname(), Runtime="nodejs20.x", Role="r1", Handler="index.handler",
                            Code={"ZipFile": zip_dir("node-cjs")})
    err = e.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert err["Message"].startswith("1 validation error detected: Value 'r1' at 'role' failed to satisfy "
                                     "constraint: Member must satisfy regular expression pattern")
    with pytest.raises(raw.exceptions.ClientError) as e:
        create(raw, "x" * 65, zip_dir("node-cjs"))
    assert "Member must have length less than or equal to 64" in e.value.response["Error"]["Message"]
    with pytest.raises(raw.exceptions.ClientError) as e:
        create(raw, fname(), zip_dir("node-cjs"), Timeout=901)
    assert "at 'timeout' failed to satisfy constraint" in e.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, fname(), b"this is not a zip")
    assert "Could not unzip uploaded file" in e.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, fname(), zip_dir("node-cjs"), Environment={"Variables": {"AWS_REGION": "x"}})
    assert "Reserved keys used in this request: AWS_REGION" in e.value.response["Error"]["Message"]
    # Over 4 KB of variables: AWS quotes them as the request gave them, in its order (AWS-recorded).
    big = {"SMALL_VAR": "ok", "LARGE_VAR": "x" * 4064}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, fname(), zip_dir("node-cjs"), Environment={"Variables": big})
    assert e.value.response["Error"]["Message"] == (
        "Lambda was unable to configure your environment variables because the environment variables you have "
        "provided exceeded the 4KB limit. String measured: " + json.dumps(big, separators=(",", ":")))
    # Lambda names a list's bad member at the list, with `Member must not be null` (AWS-recorded).
    with pytest.raises(raw.exceptions.ClientError) as e:
        create(raw, fname(), zip_dir("node-cjs"), Architectures=["X86_64"])
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must "
        "satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
    lam.publish_version(FunctionName=name)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_alias(FunctionName=name, Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}})
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to "
        "satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, "
        "Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, "
        "Member must not be null]")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST",
                         RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    body = e.value.response
    assert body["Error"]["Message"] == "$LATEST is not supported for an alias pointing to more than 1 version"
    assert "Type" not in body, "AWS-recorded: this fault has no Type"


@pytest.mark.parametrize("runtime", ["java21", "dotnet8", "ruby3.3"])
def test_runtimes_that_cannot_run_natively_are_refused(lam, runtime):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(lam, fname(), zip_dir("node-cjs"), runtime=runtime, handler="x.y")
    assert runtime in e.value.response["Error"]["Message"]


def test_container_images_are_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=fname(), Role=ROLE, PackageType="Image",
                            Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:latest"})
    assert "Image" in e.value.response["Error"]["Message"]


def test_oversized_code_and_requests_are_refused_in_aws_words(eddy):
    """A zip over 50 MB, and a CreateFunction request over Lambda's 70 167 211 bytes (AWS-recorded texts)."""
    def create(zip_b64):
        body = json.dumps({"FunctionName": fname("big"), "Runtime": "python3.12", "Role": ROLE,
                           "Handler": "app.handler", "Code": {"ZipFile": zip_b64}})
        return requests.post(eddy.endpoint + "/2015-03-31/functions", data=body, timeout=120,
                             headers={"Content-Type": "application/json"})

    r = create(base64.b64encode(bytes(52_428_801)).decode())
    assert r.status_code == 413
    assert r.headers["x-amzn-ErrorType"].startswith("RequestEntityTooLargeException")
    assert r.json()["message"] == "Zipped size must be smaller than 52428800 bytes"
    r = create("A" * 80_000_000)
    assert r.status_code == 413
    assert r.headers["x-amzn-ErrorType"].startswith("RequestEntityTooLargeException")
    assert r.json()["message"] == "Request must be smaller than 70167211 bytes for the CreateFunction operation"


def test_printed_lines_are_events_with_their_newlines(lam, logs):
    # AWS-recorded: print("\nmulti\nline\nstring\nanother\rline\n") gives four events, each with its newline,
    # the carriage return kept; log records stay one event each (the [ERROR] one without a final newline).
    name = fname("printer")
    source = ("def handler(event, context):\n"
              "    print('\\nmulti\\nline\\nstring\\nanother\\rline\\n')\n"
              "    raise ValueError('boom')\n")
    create(lam, name, zip_files({"app.py": source}), runtime="python3.12", handler="app.handler")
    r, _ = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled"
    def lines():
        got = [m for m in log_messages(logs, name) if not m.startswith(("INIT_START", "START", "END", "REPORT"))]
        return got if any(m.startswith("[ERROR]") for m in got) else None

    messages = wait_for(lines, message="the lines and the error record")
    assert messages[:4] == ["multi\n", "line\n", "string\n", "another\rline\n"]
    assert messages[4].startswith("[ERROR] ValueError: boom\nTraceback (most recent call last):\n\u00a0\u00a0File ")
    assert not messages[4].endswith("\n")


# ---- payloads, context, handler forms ----------------------------------------------------------------------------


def test_node_commonjs_handler_gets_payload_and_context(lam, node_fn):
    r, body = invoke(lam, node_fn, {"n": 1, "nested": {"list": [1, 2]}})
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert r["ExecutedVersion"] == "$LATEST"
    assert body["echo"] == {"n": 1, "nested": {"list": [1, 2]}}
    assert body["requestId"] == r["ResponseMetadata"]["RequestId"]
    assert body["functionName"] == node_fn and body["functionVersion"] == "$LATEST"
    assert body["invokedFunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{node_fn}"
    assert body["memoryLimitInMB"] == "256"
    assert body["logGroupName"] == f"/aws/lambda/{node_fn}"
    assert body["logStreamName"].split("]")[0].endswith("[$LATEST")
    assert 0 < body["remaining"] <= 5000


def test_node_handler_forms(lam, node_fn):
    name = fname("forms")
    create(lam, name, zip_dir("node-cjs"), handler="index.callback")
    _, body = invoke(lam, name, {})
    assert body == {"callback": True, "timerPending": True}
    lam.update_function_configuration(FunctionName=name, Handler="index.nested.deeper.handler")
    assert invoke(lam, name, {})[1] == "nested handler"
    lam.update_function_configuration(FunctionName=name, Handler="index.noWait")
    assert invoke(lam, name, {})[1] == "answered early"


def test_node_es_module_handler(lam):
    name = fname("esm")
    create(lam, name, zip_dir("node-esm"), handler="app.handler")
    r, body = invoke(lam, name, {"word": "esm"})
    assert body["esm"] is True and body["shouted"] == "ESM!"
    assert body["requestId"] == r["ResponseMetadata"]["RequestId"]


def test_python_handler_gets_payload_and_context(lam, py_fn):
    r, body = invoke(lam, py_fn, {"a": [1, 2, {"b": None}]})
    assert "FunctionError" not in r
    assert body["echo"] == {"a": [1, 2, {"b": None}]}
    assert body["request_id"] == r["ResponseMetadata"]["RequestId"]
    assert body["function_name"] == py_fn and body["memory_limit_in_mb"] == "128"
    assert body["invoked_function_arn"].endswith(f":function:{py_fn}")
    assert 0 < body["remaining"] <= 10000


def test_python_nested_module_handler(lam):
    name = fname("pymod")
    create(lam, name, zip_dir("python-app"), runtime="python3.13", handler="pkg/mod.fn")
    assert invoke(lam, name, {})[1] == {"nested": True}


def test_empty_and_invalid_payloads(lam, node_fn):
    _, body = invoke(lam, node_fn)
    assert body["echo"] == {}
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as e:
        lam.invoke(FunctionName=node_fn, Payload=b"{not json")
    assert e.value.response["Error"]["Message"].startswith("Could not parse request body into json")


def test_client_context_reaches_the_handler(lam, node_fn):
    cc = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    _, body = invoke(lam, node_fn, {}, ClientContext=cc)
    assert body["clientContext"] == {"custom": {"k": "v"}}


# ---- errors --------------------------------------------------------------------------------------------------------


def test_node_errors_are_returned_as_aws_error_json(lam, node_fn):
    r, body = invoke(lam, node_fn, {"action": "throw", "detail": "x"})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError"
    assert body["errorMessage"] == "bad input: x"
    assert body["trace"][0] == "TypeError: bad input: x"
    assert any("index.js" in line for line in body["trace"])
    _, body = invoke(lam, node_fn, {"action": "throwString"})
    assert body == {"errorType": "string", "errorMessage": "a plain string", "trace": []}


def test_python_errors_are_returned_as_aws_error_json(lam, py_fn):
    r, body = invoke(lam, py_fn, {"action": "raise"})
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "intentional failure"
    assert body["requestId"] == r["ResponseMetadata"]["RequestId"]
    assert any('app.py", line' in frame and 'raise ValueError("intentional failure")' in frame
               for frame in body["stackTrace"])
    _, body = invoke(lam, py_fn, {"action": "unserializable"})
    assert body["errorType"] == "Runtime.MarshalError"
    assert body["errorMessage"].startswith("Unable to marshal response: Object of type object is not JSON")


@pytest.mark.parametrize("runtime,handler,files,error_type,message", [
    ("nodejs20.x", "index.missing", {"index.js": "exports.handler = async () => 1;"},
     "Runtime.HandlerNotFound", "index.missing is undefined or not exported"),
    ("nodejs20.x", "nothere.handler", {"index.js": "exports.handler = async () => 1;"},
     "Runtime.ImportModuleError", "Error: Cannot find module 'nothere'"),
    ("nodejs20.x", "index.handler", {"index.js": "exports.handler = async () => {"},
     "Runtime.UserCodeSyntaxError", "SyntaxError"),
    ("nodejs20.x", "index", {"index.js": "exports.handler = async () => 1;"},
     "Runtime.MalformedHandlerName", "Bad handler"),
    ("python3.12", "app.missing", {"app.py": "def handler(e, c):\n    return 1\n"},
     "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"),
    ("python3.12", "nothere.handler", {"app.py": "x = 1\n"},
     "Runtime.ImportModuleError", "Unable to import module 'nothere': No module named 'nothere'"),
    ("python3.12", "app.handler", {"app.py": "def handler(e, c)\n    return 1\n"},
     "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
])
def test_init_errors_fail_the_invocation_like_aws(lam, runtime, handler, files, error_type, message):
    name = fname("init")
    create(lam, name, zip_files(files), runtime=runtime, handler=handler)
    r, body = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert message in body["errorMessage"], body


def test_timeouts_kill_the_process_and_report_aws_message(lam, logs):
    name = fname("timeout")
    create(lam, name, zip_dir("node-cjs"), Timeout=1)
    _, first = invoke(lam, name, {})
    r, body = invoke(lam, name, {"action": "sleep", "ms": 5000})
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    request_id = r["ResponseMetadata"]["RequestId"]
    assert body["errorMessage"] == f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"
    # The environment was killed: the next invocation starts a new process.
    _, after = invoke(lam, name, {})
    assert after["pid"] != first["pid"]
    messages = wait_for(lambda: [m for m in log_messages(logs, name) if "Task timed out" in m], message="log")
    assert messages[0].endswith(f"{request_id} Task timed out after 1.00 seconds")
    reports = [m for m in log_messages(logs, name) if m.startswith(f"REPORT RequestId: {request_id}")]
    assert "Status: timeout" in reports[0]


def test_a_crash_is_a_runtime_exit_error(lam, node_fn):
    r, body = invoke(lam, node_fn, {"action": "exit"})
    assert r["FunctionError"] == "Unhandled"
    request_id = r["ResponseMetadata"]["RequestId"]
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3"}
    assert "FunctionError" not in invoke(lam, node_fn, {})[0]


def zip_with_modes(files):
    """A zip package from {name: (text, unix mode)}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, (text, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, text)
    return buf.getvalue()


@pytest.mark.parametrize("runtime,handler,source", [
    ("python3.12", "app.handler", ("app.py", "import os\ndef handler(event, context):\n"
                                             "    return {'wrapped': os.environ.get('WRAPPED')}\n")),
    ("nodejs20.x", "index.handler", ("index.js", "exports.handler = async () => ({wrapped: process.env.WRAPPED});")),
])
def test_exec_wrapper_scripts_start_managed_runtimes(lam, runtime, handler, source):
    # As AWS's bootstraps do: the wrapper gets the runtime's command line and execs it.
    package = zip_with_modes({source[0]: (source[1], 0o644),
                              "wrapper.sh": ("#!/bin/sh\nexport WRAPPED=yes\nexec \"$@\"\n", 0o755)})
    name = fname("wrapped")
    # eddy's task root stands in for /var/task.
    create(lam, name, package, runtime=runtime, handler=handler,
           Environment={"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/wrapper.sh"}})
    r, body = invoke(lam, name, {})
    assert "FunctionError" not in r and body == {"wrapped": "yes"}
    # A wrapper that does not exist fails the start, as on AWS.
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {
        "AWS_LAMBDA_EXEC_WRAPPER": "/idontexist.sh"}})
    r, body = invoke(lam, name, {})
    request_id = r["ResponseMetadata"]["RequestId"]
    assert r["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 127"}


def test_responses_over_6_mb_fail_as_on_aws(lam, node_fn):
    r, body = invoke(lam, node_fn, {"action": "big"})
    assert r["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                    "errorType": "Function.ResponseSizeTooLarge"}
    with pytest.raises(lam.exceptions.RequestTooLargeException):
        lam.invoke(FunctionName=node_fn, Payload=b'"' + b"y" * (6 * 1024 * 1024 + 10) + b'"')


def test_unknown_functions_versions_and_aliases_are_not_found(lam, node_fn):
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName="no-such-function-here")
    # Invoke names $LATEST when no qualifier was given (AWS-recorded, 2025).
    assert e.value.response["Error"]["Message"] == \
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function-here:$LATEST"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName=node_fn, Qualifier="77")
    assert e.value.response["Error"]["Message"].endswith(f"function:{node_fn}:77")


# ---- the environment a handler sees --------------------------------------------------------------------------------


def test_environment_variables(eddy, lam, node_fn):
    _, body = invoke(lam, node_fn, {"action": "env"})
    env = body["env"]
    assert env["_HANDLER"] == "index.handler"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == node_fn
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{node_fn}"
    assert "/[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert env["AWS_ENDPOINT_URL"] == eddy.endpoint
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert env["TZ"] == ":UTC" and env["LANG"] == "en_US.UTF-8"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert env["GREETING"] == "hello" and env["EMPTY"] == ""
    assert body["cwd"] == env["LAMBDA_TASK_ROOT"]
    assert os.path.isfile(os.path.join(env["LAMBDA_TASK_ROOT"], "index.js"))
    # AWS-recorded for nodejs18.x/20.x: SHLVL 0, and no AWS_NODEJS_CONNECTION_REUSE_ENABLED (SDK v3 reuses anyway).
    assert env["SHLVL"] == "0" and env["AWS_NODEJS_CONNECTION_REUSE_ENABLED"] is None


def test_python_environment_as_on_aws(lam):
    """AWS-recorded for python3.11/3.12: PYTHONPATH is the runtime's directory, SHLVL 0, no
    PYTHONDONTWRITEBYTECODE; and nothing is compiled into the (on AWS read-only) code directory."""
    name = fname("pyenv")
    create(lam, name, zip_files({
        "helper.py": "VALUE = 1\n",
        "app.py": "import os, sys, helper\n"
                  "def handler(e, c):\n"
                  "    root = os.environ['LAMBDA_TASK_ROOT']\n"
                  "    keys = ['PYTHONPATH', 'LAMBDA_RUNTIME_DIR', 'SHLVL', 'PYTHONDONTWRITEBYTECODE']\n"
                  "    return {'env': {k: os.environ.get(k) for k in keys},\n"
                  "            'pycache': os.path.exists(os.path.join(root, '__pycache__'))}\n",
    }), runtime="python3.12", handler="app.handler")
    r, body = invoke(lam, name, {})
    assert "FunctionError" not in r, body
    env = body["env"]
    assert env["PYTHONPATH"] == env["LAMBDA_RUNTIME_DIR"] and env["SHLVL"] == "0"
    assert env["PYTHONDONTWRITEBYTECODE"] is None
    assert body["pycache"] is False


def test_configuration_changes_replace_warm_environments(lam):
    name = fname("cfg")
    create(lam, name, zip_dir("python-app"), runtime="python3.12", handler="app.handler",
           Environment={"Variables": {"GREETING": "one"}})
    first = invoke(lam, name, {})[1]
    assert invoke(lam, name, {})[1]["pid"] == first["pid"], "warm environments are reused"
    assert invoke(lam, name, {"action": "env"})[1]["GREETING"] == "one"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"GREETING": "two"}})
    assert invoke(lam, name, {"action": "env"})[1]["GREETING"] == "two"
    assert invoke(lam, name, {})[1]["pid"] != first["pid"]
    lam.update_function_code(FunctionName=name, ZipFile=zip_files(
        {"app.py": "def handler(e, c):\n    return 'new code'\n"}))
    assert invoke(lam, name, {})[1] == "new code"


def test_sdk_calls_from_handlers_reach_eddy(eddy, lam, ddb, table_name, py_fn):
    create_table(ddb, table_name)
    r, body = invoke(lam, py_fn, {"action": "sdk", "table": table_name, "key": "from-python"})
    assert "FunctionError" not in r, body
    assert body == {"stored": "python handler", "region": "us-east-1"}
    item = ddb.get_item(TableName=table_name, Key={"pk": {"S": "from-python"}})["Item"]
    assert item["from"] == {"S": "python handler"}
    if not os.path.isdir(os.path.join(JS_NODE_MODULES, "@aws-sdk", "client-dynamodb")):
        pytest.skip("the AWS SDK for JavaScript is not installed (tests/e2e/js)")
    name = fname("nodesdk")
    create(lam, name, zip_dir("node-sdk"), Timeout=20, Environment={"Variables": {"NODE_PATH": JS_NODE_MODULES}})
    r, body = invoke(lam, name, {"table": table_name, "key": "from-node"})
    assert "FunctionError" not in r, body
    assert body == {"stored": "node handler"}
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "from-node"}})["Item"]["from"] == {"S": "node handler"}


NODE_SDK_ESM = """
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async (event) => {
  await client.send(new PutItemCommand({ TableName: event.table, Item: { pk: { S: event.key } } }));
  return 'stored';
};
"""
NODE_SDK_CJS = NODE_SDK_ESM.replace(
    "import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';",
    "const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');",
).replace("export const handler", "exports.handler")


def test_packages_the_runtime_provides_come_from_eddys_flags(tmp_path):
    """AWS's Node.js runtimes provide the AWS SDK for JavaScript v3 and its Python runtimes boto3: a handler that
    imports them without shipping them works there. eddy's --lambda-node-modules and --lambda-python-path name
    the directories that stand in for them, for ES modules and CommonJS alike; restarted without the flag, the
    same handler fails to import, as on a runtime that lacks the package."""
    if not os.path.isdir(os.path.join(JS_NODE_MODULES, "@aws-sdk", "client-dynamodb")):
        pytest.skip("the AWS SDK for JavaScript is not installed (tests/e2e/js)")
    provided = tmp_path / "site"
    provided.mkdir()
    (provided / "provided_pkg.py").write_text("ORIGIN = 'provided by eddy'\n")
    data = str(tmp_path / "data")
    server = Eddy(data_dir=data, extra_args=[
        "--lambda-node-modules", JS_NODE_MODULES, "--lambda-python-path", str(provided)]).start()
    try:
        lam, ddb = server.client("lambda"), server.client("dynamodb")
        create_table(ddb, "provided")
        for kind, files in (("esm", {"index.mjs": NODE_SDK_ESM}), ("cjs", {"index.js": NODE_SDK_CJS})):
            create(lam, kind, zip_files(files), Timeout=20)
            r, body = invoke(lam, kind, {"table": "provided", "key": kind})
            assert "FunctionError" not in r, body
            assert ddb.get_item(TableName="provided", Key={"pk": {"S": kind}}).get("Item") == {"pk": {"S": kind}}
        create(lam, "py", zip_files({"app.py": "import provided_pkg\ndef handler(e, c):\n    return provided_pkg.ORIGIN\n"}),
               runtime="python3.12", handler="app.handler")
        assert invoke(lam, "py", {})[1] == "provided by eddy"
    finally:
        server.stop()
    server = Eddy(data_dir=data).start()
    try:
        r, body = invoke(server.client("lambda"), "esm", {"table": "provided", "key": "again"})
        assert r.get("FunctionError") == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError", body
    finally:
        server.stop()


JS_FORWARDER = """
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  if (event.fail) throw new Error('asked to fail');
  for (const r of event.Records ?? []) {
    const body = JSON.stringify({ pk: r.dynamodb.Keys.pk.S, eventName: r.eventName });
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: body }));
  }
  if (event.Records) return { batchItemFailures: [] };
  return event.ping === undefined ? {} : { pong: event.ping };
};
"""


def test_the_aws_sdk_for_javascript_drives_lambda_mappings_sqs_sns_and_logs(tmp_path):
    """Every call through the AWS SDK for JavaScript v3 (tests/e2e/js/services_calls.mjs), whose parsers and
    checks (SQS's MD5s among them) read eddy's answers; its handler forwards stream records with the SDK eddy
    provides to Node.js functions."""
    if not os.path.isdir(os.path.join(JS_NODE_MODULES, "@aws-sdk", "client-sqs")):
        pytest.skip("the AWS SDK for JavaScript is not installed (tests/e2e/js)")
    package = tmp_path / "forwarder.zip"
    package.write_bytes(zip_files({"index.mjs": JS_FORWARDER}))
    server = Eddy(in_memory=True, extra_args=["--lambda-node-modules", JS_NODE_MODULES]).start()
    try:
        proc = subprocess.run(["node", "services_calls.mjs", server.endpoint, str(package)],
                              cwd=os.path.dirname(JS_NODE_MODULES), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.strip().splitlines()[-1] == "ok"
    finally:
        server.stop()


def test_a_package_nobody_provides_fails_the_import_as_on_aws(lam):
    for files, message in (
        ({"index.mjs": NODE_SDK_ESM}, "Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@aws-sdk/client-dynamodb'"),
        ({"index.js": NODE_SDK_CJS}, "Error: Cannot find module '@aws-sdk/client-dynamodb'\nRequire stack:\n- "),
    ):
        name = fname("noprov")
        create(lam, name, zip_files(files))
        r, body = invoke(lam, name, {})
        assert r["FunctionError"] == "Unhandled"
        assert body["errorType"] == "Runtime.ImportModuleError"
        assert body["errorMessage"].startswith(message), body["errorMessage"]
        if "Require stack" in message:
            # The stack names the handler's file, then the runtime that required it (AWS: /var/runtime/index.mjs).
            stack = body["errorMessage"].split("Require stack:\n")[1].split("\n")
            assert [os.path.basename(line) for line in stack] == ["index.js", "bootstrap.mjs"], stack


# ---- resource-based policies -------------------------------------------------------------------------------------


def test_permissions_are_kept_per_qualifier_and_written_as_aws_writes_them(fresh_eddy):
    """AddPermission, GetPolicy and RemovePermission as AWS recorded them (LocalStack's AWS-validated snapshots,
    2023): statements in AWS's key order, one policy per function, version and alias, the RevisionId of what the
    policy belongs to, AWS's faults — and durable across a restart. The AWS CLI adds one of them."""
    lam = fresh_eddy.client("lambda")
    create(lam, "pf", zip_files({"index.py": "def handler(e, c):\n    return 1\n"}), runtime="python3.12",
           handler="index.handler")
    arn = "arn:aws:lambda:us-east-1:000000000000:function:pf"
    s3 = dict(Action="lambda:InvokeFunction", StatementId="s3", Principal="s3.amazonaws.com")

    def fault(call, **kwargs):
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    assert fault(lam.get_policy, FunctionName="pf") == (
        "ResourceNotFoundException", "The resource you requested does not exist.")
    assert fault(lam.remove_permission, FunctionName="pf", StatementId="s3") == (
        "ResourceNotFoundException", "No policy is associated with the given resource.")
    assert fault(lam.add_permission, FunctionName="pf:x", Qualifier="42", **s3) == (
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.")
    assert fault(lam.add_permission, FunctionName="pf", Qualifier="$LATEST", **s3) == (
        "InvalidParameterValueException", "We currently do not support adding policies for $LATEST.")
    assert fault(lam.add_permission, FunctionName="pf", **dict(s3, Principal="invalid.nonaws.com")) == (
        "InvalidParameterValueException",
        "The provided principal was invalid. Please check the principal and try again.")
    assert fault(lam.add_permission, FunctionName="nope", **s3) == (
        "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope")
    assert fault(lam.add_permission, FunctionName="pf:live", **s3) == (
        "ResourceNotFoundException", f"Cannot find alias arn: {arn}:live")
    assert fault(lam.add_permission, FunctionName="pf", Qualifier="42", **s3) == (
        "ResourceNotFoundException", f"Function not found: {arn}:42")
    assert fault(lam.remove_permission, FunctionName="nope", StatementId="s3") == (
        "ResourceNotFoundException", "No policy found for: arn:aws:lambda:us-east-1:000000000000:function:nope")

    statement = lam.add_permission(FunctionName="pf", SourceArn="arn:aws:s3:::bucket", SourceAccount="111111111111",
                                   **s3)
    assert statement["ResponseMetadata"]["HTTPStatusCode"] == 201 and "RevisionId" not in statement
    assert statement["Statement"] == (
        '{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",'
        f'"Resource":"{arn}","Condition":{{"StringEquals":{{"AWS:SourceAccount":"111111111111"}},'
        '"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}')
    assert fault(lam.add_permission, FunctionName="pf", **s3) == (
        "ResourceConflictException",
        "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing "
        "statement.")
    assert fault(lam.add_permission, FunctionName="pf", RevisionId="stale",
                 **dict(s3, StatementId="other")) == (
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id")
    revision = lam.get_function(FunctionName="pf")["Configuration"]["RevisionId"]
    account = fresh_eddy.aws("lambda", "add-permission", "--function-name", "pf", "--statement-id", "acct",
                             "--action", "lambda:GetFunction", "--principal", "111111111111",
                             "--revision-id", revision)
    assert json.loads(account["Statement"])["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    policy = lam.get_policy(FunctionName="pf")
    assert policy["RevisionId"] == lam.get_function(FunctionName="pf")["Configuration"]["RevisionId"] != revision
    document = json.loads(policy["Policy"])
    assert list(document) == ["Version", "Id", "Statement"] and document["Id"] == "default"
    assert [st["Sid"] for st in document["Statement"]] == ["s3", "acct"]

    # A version and an alias have policies of their own; publishing copies nothing; the same Sid may recur.
    lam.publish_version(FunctionName="pf")
    alias = lam.create_alias(FunctionName="pf", Name="live", FunctionVersion="1")
    assert fault(lam.get_policy, FunctionName="pf", Qualifier="1")[0] == "ResourceNotFoundException"
    on_version = json.loads(lam.add_permission(FunctionName="pf", Qualifier="1", **s3)["Statement"])
    assert on_version["Resource"] == f"{arn}:1"
    lam.add_permission(FunctionName="pf:live", RevisionId=alias["RevisionId"], **dict(s3, Principal="*"))
    on_alias = lam.get_policy(FunctionName="pf", Qualifier="live")
    assert on_alias["RevisionId"] == lam.get_alias(FunctionName="pf", Name="live")["RevisionId"] != alias["RevisionId"]
    assert json.loads(on_alias["Policy"])["Statement"][0]["Principal"] == "*"
    assert [st["Sid"] for st in json.loads(lam.get_policy(FunctionName="pf")["Policy"])["Statement"]] == ["s3", "acct"]

    fresh_eddy.kill()  # SIGKILL: acknowledged policy changes are durable
    fresh_eddy.start()
    lam = fresh_eddy.client("lambda")
    assert fault(lam.remove_permission, FunctionName="pf", StatementId="nope") == (
        "ResourceNotFoundException", "Statement nope is not found in resource policy.")
    for sid in ["s3", "acct"]:
        assert lam.remove_permission(FunctionName="pf", StatementId=sid)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert fault(lam.get_policy, FunctionName="pf")[1] == "The resource you requested does not exist."
    assert json.loads(lam.get_policy(FunctionName="pf", Qualifier="1")["Policy"])["Statement"][0]["Sid"] == "s3"
    lam.delete_alias(FunctionName="pf", Name="live")
    lam.create_alias(FunctionName="pf", Name="live", FunctionVersion="1")
    assert fault(lam.get_policy, FunctionName="pf", Qualifier="live")[0] == "ResourceNotFoundException"


# ---- concurrency ---------------------------------------------------------------------------------------------------


def test_reserved_concurrency_throttles(lam, logs):
    name = fname("reserved")
    create(lam, name, zip_dir("node-cjs"), Timeout=10)
    assert lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)[
        "ReservedConcurrentExecutions"] == 0
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(lam.exceptions.TooManyRequestsException) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    err = e.value.response
    assert err["Error"]["Message"] == "Rate Exceeded."
    assert err["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    # AWS-recorded: a concurrency throttle has no Retry-After header (botocore would answer retryAfterSeconds).
    assert "retryAfterSeconds" not in err and "retry-after" not in err["ResponseMetadata"]["HTTPHeaders"]
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(invoke, lam, name, {"action": "sleep", "ms": 3000})
        wait_for(lambda: any("got event" in m for m in log_messages(logs, name)), message="slow started")
        with pytest.raises(lam.exceptions.TooManyRequestsException):
            lam.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in slow.result()[0]
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert "FunctionError" not in invoke(lam, name, {})[0]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    assert "below its minimum value of [100]" in e.value.response["Error"]["Message"]
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000


def test_total_code_size_counts_latest_and_every_published_version():
    """AWS-recorded: a create adds the zip once; UpdateFunctionCode of the same zip with Publish adds it again (the
    new version); a configuration update adds nothing, and publishing it adds the code once more."""
    server = Eddy(in_memory=True).start()
    try:
        lam = server.client("lambda")
        total = lambda: lam.get_account_settings()["AccountUsage"]["TotalCodeSize"]  # noqa: E731
        package = zip_files({"app.py": "def handler(e, c):\n    return 1\n"})
        assert total() == 0
        create(lam, "sized", package, runtime="python3.12", handler="app.handler")
        assert total() == len(package)
        lam.update_function_code(FunctionName="sized", ZipFile=package, Publish=True)
        assert total() == 2 * len(package)
        lam.update_function_configuration(FunctionName="sized", Description="changed")
        assert total() == 2 * len(package)
        lam.publish_version(FunctionName="sized")
        assert total() == 3 * len(package)
        lam.delete_function(FunctionName="sized", Qualifier="1")
        assert total() == 2 * len(package)
    finally:
        server.stop()


def test_account_concurrency_limit_throttles(tmp_path):
    server = Eddy(in_memory=True, extra_args=["--lambda-concurrency", "1"]).start()
    try:
        lam = server.client("lambda")
        name = fname("acct")
        create(lam, name, zip_dir("node-cjs"), Timeout=10)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            slow = pool.submit(invoke, lam, name, {"action": "sleep", "ms": 3000})
            wait_for(lambda: any("got event" in m for m in log_messages(server.client("logs"), name)),
                     message="slow started")
            with pytest.raises(lam.exceptions.TooManyRequestsException) as e:
                lam.invoke(FunctionName=name, Payload=b"{}")
            assert e.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
            assert "FunctionError" not in slow.result()[0]
    finally:
        server.stop()


def test_one_hundred_concurrent_invocations_run_on_one_hundred_environments(eddy, lam, logs, tmp_path):
    name = fname("hundred")
    create(lam, name, zip_dir("node-cjs"), Timeout=120)
    barrier = tmp_path / "go"
    import boto3
    import botocore.config
    client = boto3.client("lambda", endpoint_url=eddy.endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test",
                          config=botocore.config.Config(retries={"max_attempts": 0}, read_timeout=180,
                                                        max_pool_connections=100))
    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        futures = [pool.submit(invoke, client, name, {"action": "waitFile", "path": str(barrier)})
                   for _ in range(100)]
        # Every invocation is running (each holds its environment) before any may finish.
        wait_for(lambda: len([m for m in log_messages(logs, name) if m.startswith("START")]) == 100
                 and len([m for m in log_messages(logs, name) if "got event" in m]) == 100,
                 timeout=120, interval=0.2, message="100 invocations running at once")
        barrier.write_text("go")
        results = [f.result(timeout=120) for f in futures]
    assert all("FunctionError" not in r for r, _ in results), [b for r, b in results if "FunctionError" in r][:3]
    assert len({body["pid"] for _, body in results}) == 100


# ---- asynchronous invocations --------------------------------------------------------------------------------------


def test_event_invokes_run_in_the_background(lam, logs, node_fn):
    marker = uuid.uuid4().hex
    r = lam.invoke(FunctionName=node_fn, InvocationType="Event", Payload=json.dumps({"marker": marker}).encode())
    assert r["StatusCode"] == 202
    assert r["Payload"].read() == b""
    request_id = r["ResponseMetadata"]["RequestId"]
    wait_for(lambda: any(marker in m and request_id in m for m in log_messages(logs, node_fn)), timeout=20,
             message="the event's log line")
    r = lam.invoke(FunctionName=node_fn, InvocationType="DryRun")
    assert r["StatusCode"] == 204


def test_failed_event_invokes_are_retried_twice(tmp_path):
    server = Eddy(in_memory=True).start()
    try:
        lam, logs = server.client("lambda"), server.client("logs")
        name = fname("retry")
        create(lam, name, zip_dir("node-cjs"))
        server.control("POST", "/_eddy/clock", {"paused": True})
        r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"action": "throw", "detail": "async"}')
        request_id = r["ResponseMetadata"]["RequestId"]

        def attempts():
            return len([m for m in log_messages(logs, name) if m.startswith(f"START RequestId: {request_id}")])

        def waiting_after(n):
            """The event, once `n` attempts have failed and the next is scheduled."""
            events = server.control("GET", "/_eddy/lambda/metrics")["events"]
            return [e for e in events if e["requestId"] == request_id and e["attempts"] == n
                    and e["nextAttemptMs"] is not None]

        now = server.control("GET", "/_eddy/clock")["now"]
        [event] = wait_for(lambda: waiting_after(1), timeout=20, message="the first attempt to fail")
        assert attempts() == 1 and event["nextAttemptMs"] == now + 60_000
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 59})
        assert attempts() == 1
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 1})
        [event] = wait_for(lambda: waiting_after(2), timeout=20, message="the first retry, a minute later")
        assert attempts() == 2 and event["nextAttemptMs"] == now + 60_000 + 120_000
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 120})
        wait_for(lambda: attempts() == 3, timeout=20, message="the second retry, two minutes later")
        wait_for(lambda: server.control("GET", "/_eddy/lambda/metrics")["pendingEvents"] == 0, timeout=20,
                 message="the event to be dropped")
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 600})
        assert attempts() == 3
    finally:
        server.stop()


ASYNC_HANDLER = (
    "import json\n"
    "def handler(event, context):\n"
    "    print('EVENT ' + json.dumps(event))\n"
    "    if event.get('fail'):\n"
    "        raise Exception('intentional failure')\n"
    "    return {'ok': event}\n"
)


def test_event_invoke_configs_as_aws_recorded_them(eddy, lam):
    """Put replaces, Update merges, FunctionArn names $LATEST, DestinationConfig is always there, one configuration
    per qualifier, and AWS's faults (LocalStack's AWS-validated snapshots, 2023–2024)."""
    name = fname("eic")
    create(lam, name, zip_files({"index.py": ASYNC_HANDLER}), runtime="python3.12", handler="index.handler")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]

    def fault(call, **kwargs):
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    put = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert put["FunctionArn"] == f"{arn}:$LATEST" and put["MaximumRetryAttempts"] == 0
    assert "MaximumEventAgeInSeconds" not in put and put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    put = lam.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=60)
    assert "MaximumRetryAttempts" not in put and put["MaximumEventAgeInSeconds"] == 60
    updated = lam.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 60)
    got = lam.get_function_event_invoke_config(FunctionName=name, Qualifier="$LATEST")
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
        k: v for k, v in updated.items() if k != "ResponseMetadata"}
    lam.publish_version(FunctionName=name)
    assert fault(lam.get_function_event_invoke_config, FunctionName=name, Qualifier="1") == (
        "ResourceNotFoundException", f"The function {arn}:1 doesn't have an EventInvokeConfig")
    assert lam.put_function_event_invoke_config(FunctionName=f"{name}:1", MaximumEventAgeInSeconds=120)[
        "FunctionArn"] == f"{arn}:1"
    first = lam.list_function_event_invoke_configs(FunctionName=name, MaxItems=1)
    assert [c["FunctionArn"] for c in first["FunctionEventInvokeConfigs"]] == [f"{arn}:$LATEST"]
    rest = lam.list_function_event_invoke_configs(FunctionName=name, Marker=first["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionEventInvokeConfigs"]] == [f"{arn}:1"] and "NextMarker" not in rest
    assert lam.delete_function_event_invoke_config(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert fault(lam.update_function_event_invoke_config, FunctionName=name, MaximumRetryAttempts=1) == (
        "ResourceNotFoundException", f"The function {arn}:$LATEST doesn't have an EventInvokeConfig")
    assert fault(lam.put_function_event_invoke_config, FunctionName="nope") == (
        "InvalidParameterValueException", "You must specify at least one of error handling or destination setting.")
    assert fault(lam.put_function_event_invoke_config, FunctionName="nope", MaximumRetryAttempts=1) == (
        "ResourceNotFoundException", "The function doesn't exist.")
    on_success = lambda destination: {"OnSuccess": {"Destination": destination}}  # noqa: E731
    assert fault(lam.put_function_event_invoke_config, FunctionName=name, DestinationConfig=on_success(arn)) == (
        "InvalidParameterValueException", "You can't specify the function as a destination for itself.")
    missing = arn.replace(name, "nope")
    assert fault(lam.put_function_event_invoke_config, FunctionName=name, DestinationConfig=on_success(missing)) == (
        "InvalidParameterValueException", f"The destination ARN {missing} is invalid.")
    role = "arn:aws:iam::000000000000:role/x"
    assert fault(lam.put_function_event_invoke_config, FunctionName=name, DestinationConfig=on_success(role)) == (
        "InvalidParameterValueException",
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={role}), onFailure=null) "
        "is invalid.")


def test_asynchronous_invocations_reach_their_destinations(tmp_path):
    """Success and failure records (AWS's record, in AWS's key order) reach an SQS queue, an SNS topic and another
    function; retries follow MaximumRetryAttempts and stop early at MaximumEventAgeInSeconds, by the server clock."""
    server = Eddy(in_memory=True).start()
    try:
        lam, sqs, sns, logs = (server.client(s) for s in ("lambda", "sqs", "sns", "logs"))
        create(lam, "async-fn", zip_files({"index.py": ASYNC_HANDLER}), runtime="python3.12", handler="index.handler")
        create(lam, "sink-fn", zip_files({"index.py": ASYNC_HANDLER}), runtime="python3.12", handler="index.handler")
        arn = lam.get_function(FunctionName="async-fn")["Configuration"]["FunctionArn"]
        queue = sqs.create_queue(QueueName="async-dest")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        topic = sns.create_topic(Name="async-topic")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        server.control("POST", "/_eddy/clock", {"paused": True})

        def next_record():
            def one():
                messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
                for m in messages:
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
                return messages[0]["Body"] if messages else None
            return wait_for(one, timeout=30, message="a destination record")

        lam.put_function_event_invoke_config(FunctionName="async-fn", MaximumRetryAttempts=0, DestinationConfig={
            "OnSuccess": {"Destination": queue_arn}, "OnFailure": {"Destination": topic}})
        request_id = lam.invoke(FunctionName="async-fn", InvocationType="Event",
                                Payload=b'{"n": 1}')["ResponseMetadata"]["RequestId"]
        body = next_record()
        assert body.startswith('{"version":"1.0","timestamp":"')
        record = json.loads(body)
        assert list(record) == ["version", "timestamp", "requestContext", "requestPayload", "responseContext",
                                "responsePayload"]
        assert record["requestContext"] == {"requestId": request_id, "functionArn": f"{arn}:$LATEST",
                                            "condition": "Success", "approximateInvokeCount": 1}
        assert record["requestPayload"] == {"n": 1} and record["responsePayload"] == {"ok": {"n": 1}}
        assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}

        lam.invoke(FunctionName="async-fn", InvocationType="Event", Payload=b'{"fail": 1}')
        record = json.loads(next_record())  # through the topic
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 1
        assert record["responseContext"]["functionError"] == "Unhandled"
        assert record["responsePayload"]["errorMessage"] == "intentional failure"

        # Default retries: three attempts, a minute and then two minutes apart, then the on-failure record.
        lam.put_function_event_invoke_config(FunctionName="async-fn", DestinationConfig={
            "OnFailure": {"Destination": queue_arn}})
        lam.invoke(FunctionName="async-fn", InvocationType="Event", Payload=b'{"fail": 2}')
        pending = lambda n: [e for e in server.control("GET", "/_eddy/lambda/metrics")["events"]  # noqa: E731
                             if e["attempts"] == n and e["nextAttemptMs"] is not None]
        wait_for(lambda: pending(1), timeout=20, message="the first attempt to fail")
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 60})
        wait_for(lambda: pending(2), timeout=20, message="the first retry to fail")
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 120})
        record = json.loads(next_record())
        assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
            "RetriesExhausted", 3)

        # A maximum age of 60 s: the retry due a minute later is not made (AWS-recorded); of 90 s, one retry is.
        lam.update_function_event_invoke_config(FunctionName="async-fn", MaximumEventAgeInSeconds=60)
        lam.invoke(FunctionName="async-fn", InvocationType="Event", Payload=b'{"fail": 3}')
        record = json.loads(next_record())
        assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
            "EventAgeExceeded", 1)
        lam.update_function_event_invoke_config(FunctionName="async-fn", MaximumEventAgeInSeconds=90)
        lam.invoke(FunctionName="async-fn", InvocationType="Event", Payload=b'{"fail": 4}')
        wait_for(lambda: pending(1), timeout=20, message="the first attempt to fail")
        server.control("POST", "/_eddy/clock", {"advanceSeconds": 60})
        record = json.loads(next_record())
        assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
            "EventAgeExceeded", 2)

        # Another function as the destination: the record is its event.
        lam.put_function_event_invoke_config(FunctionName="async-fn", DestinationConfig={
            "OnSuccess": {"Destination": lam.get_function(FunctionName="sink-fn")["Configuration"]["FunctionArn"]}})
        lam.invoke(FunctionName="async-fn", InvocationType="Event", Payload=b'{"to": "sink"}')
        printed = wait_for(lambda: [m for m in log_messages(logs, "sink-fn") if m.startswith("EVENT ")], timeout=30,
                           message="the sink function to run")
        record = json.loads(printed[0].removeprefix("EVENT "))
        assert record["requestContext"]["condition"] == "Success" and record["requestPayload"] == {"to": "sink"}
    finally:
        server.stop()


def test_functions_that_are_each_others_destinations_stop_after_16_hops():
    """Two functions naming each other as on-success destinations would invoke each other forever; as AWS's
    recursive loop detection does, the chain stops after 16 invocations that follow the first."""
    server = Eddy(in_memory=True).start()
    try:
        lam, logs = server.client("lambda"), server.client("logs")
        package = zip_files({"index.py": "def handler(e, c):\n    print('HOP')\n    return 'ok'\n"})
        arns = {}
        for name in ("ping", "pong"):
            create(lam, name, package, runtime="python3.12", handler="index.handler")
            arns[name] = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        for name, other in (("ping", "pong"), ("pong", "ping")):
            lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={
                "OnSuccess": {"Destination": arns[other]}})
        lam.invoke(FunctionName="ping", InvocationType="Event", Payload=b"{}")
        hops = lambda: sum(  # noqa: E731
            len([m for m in log_messages(logs, name) if m.startswith("HOP")]) for name in ("ping", "pong"))
        wait_for(lambda: hops() >= 17, timeout=60, message="the loop to run")
        wait_for(lambda: server.control("GET", "/_eddy/lambda/metrics")["pendingEvents"] == 0, timeout=30,
                 message="the loop to stop")
        assert hops() == 17
        # PutFunctionRecursionConfig: `Allow` lets ping go on; pong (the default, Terminate) still stops it.
        assert lam.get_function_recursion_config(FunctionName="ping")["RecursiveLoop"] == "Terminate"
        assert lam.put_function_recursion_config(FunctionName="ping", RecursiveLoop="Allow")[
            "RecursiveLoop"] == "Allow"
        assert lam.get_function_recursion_config(FunctionName="ping")["RecursiveLoop"] == "Allow"
        with pytest.raises(ClientError) as e:
            server.client("lambda", validate=False).put_function_recursion_config(
                FunctionName="ping", RecursiveLoop="Sometimes")
        assert e.value.response["Error"]["Code"] == "ValidationException"
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_function_recursion_config(FunctionName="nope")
        lam.invoke(FunctionName="ping", InvocationType="Event", Payload=b"{}")
        wait_for(lambda: hops() >= 17 + 18, timeout=60, message="the allowed loop to run")
        wait_for(lambda: server.control("GET", "/_eddy/lambda/metrics")["pendingEvents"] == 0, timeout=30,
                 message="pong to stop it")
        assert hops() == 17 + 18
    finally:
        server.stop()


def test_failed_events_go_to_the_dead_letter_queue_as_aws_sends_them(tmp_path):
    """DeadLetterConfig: the event as it was sent, with RequestID, ErrorCode (a Number, 200) and the function's
    ErrorMessage as message attributes (AWS-recorded), to an SQS queue or, through an SNS topic, in its envelope."""
    server = Eddy(in_memory=True).start()
    try:
        lam, sqs, sns = (server.client(s) for s in ("lambda", "sqs", "sns"))
        queue = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            create(lam, "dlq-fn", zip_files({"index.py": ASYNC_HANDLER}), runtime="python3.12",
                   handler="index.handler", DeadLetterConfig={"TargetArn": queue_arn + "-missing"})
        created = create(lam, "dlq-fn", zip_files({"index.py": ASYNC_HANDLER}), runtime="python3.12",
                         handler="index.handler", DeadLetterConfig={"TargetArn": queue_arn})
        assert created["DeadLetterConfig"] == {"TargetArn": queue_arn}
        lam.put_function_event_invoke_config(FunctionName="dlq-fn", MaximumRetryAttempts=0)
        sent = b'{"fail": 1,  "kept": "as sent"}'
        request_id = lam.invoke(FunctionName="dlq-fn", InvocationType="Event",
                                Payload=sent)["ResponseMetadata"]["RequestId"]

        def one_message():
            messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1,
                                           MessageAttributeNames=["All"]).get("Messages", [])
            for m in messages:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
            return messages[0] if messages else None

        message = wait_for(one_message, timeout=30, message="the dead-letter message")
        assert message["Body"] == sent.decode()
        assert message["MessageAttributes"] == {
            "RequestID": {"DataType": "String", "StringValue": request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": "intentional failure"},
        }
        # `{}` changes nothing (AWS-recorded); a topic replaces the queue; an empty TargetArn removes it.
        kept = lam.update_function_configuration(FunctionName="dlq-fn", DeadLetterConfig={})
        assert kept["DeadLetterConfig"] == {"TargetArn": queue_arn}
        topic = sns.create_topic(Name="dlq-topic")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        lam.update_function_configuration(FunctionName="dlq-fn", DeadLetterConfig={"TargetArn": topic})
        lam.invoke(FunctionName="dlq-fn", InvocationType="Event", Payload=b'{"fail": 2}')
        envelope = json.loads(wait_for(one_message, timeout=30, message="the topic's dead letter")["Body"])
        assert envelope["Message"] == '{"fail": 2}'
        assert envelope["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "200"}
        removed = lam.update_function_configuration(FunctionName="dlq-fn", DeadLetterConfig={"TargetArn": ""})
        assert "DeadLetterConfig" not in removed
    finally:
        server.stop()


# ---- logs ----------------------------------------------------------------------------------------------------------


def test_logs_are_read_back_with_the_aws_cli(eddy, lam, node_fn):
    r, _ = invoke(lam, node_fn, {"action": "multiline"}, LogType="Tail")
    request_id = r["ResponseMetadata"]["RequestId"]
    tail = base64.b64decode(r["LogResult"]).decode()
    lines = tail.splitlines()
    assert f"START RequestId: {request_id} Version: $LATEST" in lines
    assert f"END RequestId: {request_id}" in lines
    report = [line for line in lines if line.startswith(f"REPORT RequestId: {request_id}")][0]
    for part in ("\tDuration: ", " ms\tBilled Duration: ", " ms\tMemory Size: 256 MB\tMax Memory Used: "):
        assert part in report
    group = f"/aws/lambda/{node_fn}"
    groups = eddy.aws("logs", "describe-log-groups", "--log-group-name-prefix", group)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group]
    assert (groups[0]["logGroupClass"], groups[0]["deletionProtectionEnabled"]) == ("STANDARD", False)
    streams = eddy.aws("logs", "describe-log-streams", "--log-group-name", group, "--order-by", "LastEventTime",
                       "--descending")["logStreams"]
    assert streams and all("/[$LATEST]" in s["logStreamName"] for s in streams)
    events = eddy.aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern",
                      f'"{request_id}"')["events"]
    messages = [e["message"] for e in events]
    assert f"START RequestId: {request_id} Version: $LATEST\n" in messages, "platform lines end with a newline"
    info = [m for m in messages if m.endswith("first line\nsecond line")][0]
    ts, rid, level, _ = info.split("\t", 3)
    assert rid == request_id and level == "INFO" and ts.endswith("Z")
    assert any(m.split("\t")[2:] == ["ERROR", "an error line"] for m in messages if m.count("\t") == 3)
    stream = [e["logStreamName"] for e in events][0]
    got = eddy.aws("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream,
                   "--start-from-head")
    assert any(e["message"].startswith("INIT_START") for e in got["events"])
    # Contradicting members are refused in AWS's words (AWS-recorded codes).
    bad = eddy.aws("logs", "describe-log-groups", "--log-group-name-prefix", group, "--log-group-name-pattern", "x",
                   check=False)
    assert "InvalidParameterException" in bad.stderr and "prefix and LogGroup name pattern are mutually" in bad.stderr
    bad = eddy.aws("logs", "describe-log-streams", "--log-group-name", group, "--log-group-identifier", group,
                   check=False)
    assert "ValidationException" in bad.stderr and "LogGroup name and LogGroup ARN are mutually" in bad.stderr
    assert got["nextForwardToken"].startswith("f/") and got["nextBackwardToken"].startswith("b/")


def follow_log_events(logs, group, state):
    """One polling round of AWS CLI v2's `aws logs tail --follow` (awscli/customizations/logs/tail.py): FilterLogEvents
    with `interleaved` and `startTime` set to the newest timestamp seen so far, pages followed through nextToken, and
    events already seen at that timestamp dropped by eventId. Returns the new messages."""
    kwargs = {"logGroupName": group, "interleaved": True}
    if state["seen"]:
        kwargs["startTime"] = max(state["seen"])
    new = []
    while True:
        page = logs.filter_log_events(**kwargs)
        for e in page["events"]:
            ids = state["seen"].setdefault(e["timestamp"], set())
            if e["eventId"] not in ids:
                ids.add(e["eventId"])
                new.append(e["message"])
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    newest = max(state["seen"], default=None)
    state["seen"] = {newest: state["seen"][newest]} if newest is not None else {}
    return new


def test_logs_tail_follow_sees_each_line_once(lam, logs, node_fn):
    """`aws logs tail --follow` is CLI v2 (not installed here); this replays its polling loop against eddy."""
    group = f"/aws/lambda/{node_fn}"
    state, everything = {"seen": {}}, []

    def follow_until_report_of(rid):
        def poll():
            everything.extend(follow_log_events(logs, group, state))
            return any(m.startswith(f"REPORT RequestId: {rid}") for m in everything)
        wait_for(poll, message=f"the REPORT line of {rid}")

    rid1 = invoke(lam, node_fn, {"action": "echo"})[0]["ResponseMetadata"]["RequestId"]
    follow_until_report_of(rid1)
    rid2 = invoke(lam, node_fn, {"action": "echo"})[0]["ResponseMetadata"]["RequestId"]
    follow_until_report_of(rid2)
    for rid in (rid1, rid2):
        for kind in ("START", "END", "REPORT"):
            lines = [m for m in everything if m.startswith(f"{kind} RequestId: {rid}")]
            assert len(lines) == 1, (kind, rid, lines)


def test_python_logging_uses_the_managed_runtime_format(lam, logs, py_fn):
    r, _ = invoke(lam, py_fn, {"action": "log"})
    request_id = r["ResponseMetadata"]["RequestId"]
    messages = wait_for(lambda: [m for m in log_messages(logs, py_fn) if request_id in m and "via logging" in m],
                        message="logging lines")
    level, ts, rid, text = messages[0].split("\t")
    assert (level, rid, text) == ("[INFO]", request_id, "info via logging")
    assert ts.endswith("Z") and "T" in ts
    r, _ = invoke(lam, py_fn, {"action": "raise"})
    request_id = r["ResponseMetadata"]["RequestId"]
    error = [m for m in log_messages(logs, py_fn) if m.startswith("[ERROR] ValueError: intentional failure")]
    assert error and "Traceback (most recent call last):" in error[-1]


# ---- versions and aliases ------------------------------------------------------------------------------------------


def test_versions_and_aliases(lam):
    name = fname("ver")
    create(lam, name, zip_files({"app.py": "def handler(e, c):\n    return 'v1'\n"}), runtime="python3.11",
           handler="app.handler", Publish=True)
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert versions[1]["FunctionArn"].endswith(f":function:{name}:1")
    v2_zip = zip_files({"app.py": "def handler(e, c):\n    return 'v2'\n"})
    lam.update_function_code(FunctionName=name, ZipFile=v2_zip)
    v2 = lam.publish_version(FunctionName=name, Description="second")
    assert v2["Version"] == "2" and v2["Description"] == "second"
    assert lam.publish_version(FunctionName=name)["Version"] == "2", "nothing changed: no new version"
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert alias["AliasArn"].endswith(f":function:{name}:live")
    r, body = invoke(lam, name, {}, Qualifier="live")
    assert body == "v1" and r["ExecutedVersion"] == "1"
    r, body = invoke(lam, f"{name}:2", {})
    assert body == "v2" and r["ExecutedVersion"] == "2"
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert invoke(lam, name, {}, Qualifier="live")[1] == "v2"
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "2"
    assert lam.get_function(FunctionName=name, Qualifier="1")["Configuration"]["Version"] == "1"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_function(FunctionName=name, Qualifier="2")
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_alias(FunctionName=name, Name="live")
    lam.delete_function(FunctionName=name, Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "2"]
    # Code uploaded again, the same bytes: the next PublishVersion makes a version all the same (moto's
    # AWS-verified tests); with nothing updated since, it answers that version again.
    same = lam.update_function_code(FunctionName=name, ZipFile=v2_zip)
    assert same["CodeSha256"] == v2["CodeSha256"]
    wait_for(lambda: lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful",
             message="the update")
    assert lam.publish_version(FunctionName=name)["Version"] == "3"
    assert lam.publish_version(FunctionName=name)["Version"] == "3"



def test_function_tags_through_the_tagging_api_and_get_function(eddy, lam):
    name = fname("tags")
    arn = create(lam, name, zip_dir("node-cjs"), Tags={"team": "search"})["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "search"}
    eddy.aws("lambda", "tag-resource", "--resource", arn, "--tags", "env=prod,owner=ana")
    lam.untag_resource(Resource=arn, TagKeys=["team", "not-there"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "prod", "owner": "ana"}
    assert lam.get_function(FunctionName=name)["Tags"] == {"env": "prod", "owner": "ana"}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.tag_resource(Resource=f"{arn}:$LATEST", Tags={"a": "b"})
    assert e.value.response["Error"]["Message"] == (
        "Tags on function aliases and versions are not supported. Please specify a function ARN.")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.list_tags(Resource=f"{arn}-gone")
    assert e.value.response["Error"]["Message"] == f"Function not found: {arn}-gone"
    raw = eddy.client("lambda", validate=False)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.list_tags(Resource="arn:aws:s3:::bucket")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "failed to satisfy constraint: Member must satisfy regular expression pattern" in (
        e.value.response["Error"]["Message"])
    # Tagging gives $LATEST a new RevisionId, as on AWS, so optimistic locking sees it.
    before = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    lam.tag_resource(Resource=arn, Tags={"x": "y"})
    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] != before
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Description="d", RevisionId=before)
    assert e.value.response["Error"]["Code"] == "PreconditionFailedException"
    # At most 50 tags; an empty map is refused (AWS's texts).
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "InvalidParameterValueException", "Number of tags exceeds resource tag limit.")
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn, Tags={})
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "InvalidParameterValueException", "An error occurred and the request cannot be processed.")

# ---- durability ----------------------------------------------------------------------------------------------------


def test_functions_and_code_survive_a_restart(fresh_eddy):
    lam = fresh_eddy.client("lambda")
    name = fname("durable")
    create(lam, name, zip_dir("node-cjs"), Environment={"Variables": {"GREETING": "persisted"}}, Publish=True)
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert "FunctionError" not in invoke(lam, name, {})[0]
    fresh_eddy.kill()
    fresh_eddy.start()
    lam = fresh_eddy.client("lambda")
    config = lam.get_function_configuration(FunctionName=name)
    assert config["Environment"]["Variables"]["GREETING"] == "persisted"
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    r, body = invoke(lam, name, {"action": "env"}, Qualifier="prod")
    assert "FunctionError" not in r and r["ExecutedVersion"] == "1"
    assert body["env"]["GREETING"] == "persisted"


# ---- Rust ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rust_bootstrap():
    """Builds tests/e2e/functions/rust-echo (lambda_runtime) once; cached under target/e2e-functions."""
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    crate = os.path.join(FUNCTIONS, "rust-echo")
    target = os.path.join(ROOT, "target", "e2e-functions")
    proc = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=crate,
                          env=dict(os.environ, CARGO_TARGET_DIR=target), capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    return os.path.join(target, "release", "rust-echo")


def test_rust_lambda_runtime_handler(eddy, lam, logs, rust_bootstrap, tmp_path):
    name = fname("rust")
    package = tmp_path / "rust.zip"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(rust_bootstrap, "bootstrap")
    eddy.aws("lambda", "create-function", "--function-name", name, "--runtime", "provided.al2023", "--role", ROLE,
             "--handler", "bootstrap", "--zip-file", f"fileb://{package}", "--environment",
             "Variables={GREETING=from-rust}")
    r, body = invoke(lam, name, {"hello": "rust"})
    assert "FunctionError" not in r, body
    assert body["echo"] == {"hello": "rust"}
    assert body["request_id"] == r["ResponseMetadata"]["RequestId"]
    assert body["function_arn"].endswith(f":function:{name}")
    assert body["deadline_in_future"] is True
    assert body["function_name"] == name and body["greeting"] == "from-rust"
    r, body = invoke(lam, name, {"fail": "rust says no"})
    assert r["FunctionError"] == "Unhandled"
    assert body["errorMessage"] == "rust says no"
    wait_for(lambda: any("rust handler got" in m for m in log_messages(logs, name)), message="rust log line")
