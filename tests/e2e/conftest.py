"""End-to-end test harness: starts the real `eddy` binary on a free port and drives it with boto3 and the AWS
CLI. Nothing of eddy is mocked. Waiting is always on a condition with a deadline, never a bare sleep."""
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid

import boto3
import botocore.config
from botocore.exceptions import ClientError
import pytest
import requests

import shape_check

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

shape_check.install()


@pytest.fixture(autouse=True)
def answers_match_the_models():
    """Every answer a test parsed with botocore matched its service model strictly (see shape_check)."""
    shape_check.take()
    yield
    found = shape_check.take()
    assert not found, "answers that do not match the service model:\n" + "\n".join(found[:20])
EDDY_BIN = os.environ.get("EDDY_BIN", os.path.join(ROOT, "target", "debug", "eddy"))


def wait_for(condition, timeout=10.0, interval=0.01, message="condition"):
    """Polls `condition` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class Eddy:
    """One eddy process. `start()` waits for the ready line, which names the port."""

    def __init__(self, data_dir=None, in_memory=False, extra_args=(), one_cpu=None):
        self.data_dir = data_dir
        self.in_memory = in_memory
        self.extra_args = list(extra_args)
        # Confined to one CPU, eddy runs one runtime worker, which then syncs writes itself as it goes idle.
        # (EDDY_TEST_ONE_CPU=1 confines every eddy of the run.)
        self.one_cpu = os.environ.get("EDDY_TEST_ONE_CPU") == "1" if one_cpu is None else one_cpu
        self.proc = None
        self.endpoint = None

    def start(self, timeout=15.0):
        args = [EDDY_BIN, "serve", "--listen", "127.0.0.1:0", "--log-level", "warn"]
        if self.in_memory:
            args.append("--in-memory")
        else:
            args += ["--data-dir", self.data_dir]
        args += self.extra_args
        confine = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if self.one_cpu else None
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=confine)
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()
        if not line.startswith("eddy ready on "):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise AssertionError(f"eddy did not start: {line!r} {err}")
        self.endpoint = line.strip().removeprefix("eddy ready on ")
        wait_for(lambda: requests.get(self.endpoint + "/_eddy/health", timeout=1).status_code == 200,
                 timeout=max(0.1, deadline - time.monotonic()), message="health")
        return self

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)

    def stop(self):
        self.kill(signal.SIGTERM)

    def client(self, service="dynamodb", region="us-east-1", validate=True, **kwargs):
        """A boto3 client for this eddy. `validate=False` turns off botocore's client-side parameter checks, so
        tests can send what only a hand-written client would send."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=kwargs.pop("key", "test"),
            aws_secret_access_key="test",
            config=botocore.config.Config(retries={"max_attempts": 0}, read_timeout=30,
                                          parameter_validation=validate),
            **kwargs,
        )

    def control(self, method, path, body=None):
        r = requests.request(method, self.endpoint + path, json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def aws(self, *args, check=True):
        """Runs the AWS CLI against this eddy; returns parsed JSON output (or the CompletedProcess if !check)."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
                   AWS_PAGER="")
        proc = subprocess.run(["aws", "--endpoint-url", self.endpoint, "--output", "json", *args],
                              capture_output=True, text=True, env=env, timeout=60)
        if not check:
            return proc
        if proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {proc.stderr}")
        return json.loads(proc.stdout) if proc.stdout.strip() else {}


@pytest.fixture(scope="session")
def eddy():
    """A shared in-memory eddy for tests that only need their own tables."""
    server = Eddy(in_memory=True).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_eddy(tmp_path):
    """A durable eddy of the test's own, on a temporary data dir; tests may kill and restart it."""
    server = Eddy(data_dir=str(tmp_path / "data")).start()
    yield server
    server.kill()


@pytest.fixture
def ddb(eddy):
    return eddy.client()


@pytest.fixture
def table_name():
    return "t-" + uuid.uuid4().hex[:12]


def create_table(client, name, hash_key=("pk", "S"), range_key=None, **kwargs):
    attrs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    extra_attrs = kwargs.pop("extra_attributes", [])
    for n, t in extra_attrs:
        attrs.append({"AttributeName": n, "AttributeType": t})
    kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    return client.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=schema, **kwargs)


def nested_map(depth):
    """A string leaf wrapped in `depth` single-key maps (`depth` attribute levels below the attribute)."""
    value = {"S": "leaf"}
    for _ in range(depth):
        value = {"M": {"n": value}}
    return value


def error_of(excinfo):
    """(code, message) of a botocore ClientError."""
    e = excinfo.value.response["Error"]
    return e["Code"], e.get("Message", "")


def refusal(call, **kwargs):
    """(code, message) of the ClientError `call(**kwargs)` must raise."""
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error_of(e)


def validation_refusal(call, **kwargs):
    """The message of the ValidationException `call(**kwargs)` must raise."""
    code, message = refusal(call, **kwargs)
    assert code == "ValidationException", message
    return message
