"""Helpers of the event-source-mapping suites: a `Rig` of one table with a stream, one real handler (Node.js or
Python, tests/e2e/functions/esm-*) that logs every batch it receives to a file, and the mapping between them.
The handler's behaviour is steered by a control file and by a `behave` attribute on the items (see
functions/esm-python/handler.py)."""
import io
import json
import os
import re
import uuid
import zipfile

from conftest import create_table, wait_for

FUNCTIONS = os.path.join(os.path.dirname(__file__), "functions")
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
RUNTIMES = {
    "python": ("python3.12", "handler.handler", "esm-python"),
    "node": ("nodejs20.x", "index.handler", "esm-node"),
}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def zip_dir(name):
    buf = io.BytesIO()
    base = os.path.join(FUNCTIONS, name)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, _, files in os.walk(base):
            for f in sorted(files):
                if not f.endswith(".pyc"):
                    full = os.path.join(dirpath, f)
                    z.write(full, os.path.relpath(full, base))
    return buf.getvalue()


def read_lines(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    return out


class Rig:
    """A table with a stream, a handler that logs what it gets, and helpers to map, write and observe."""

    def __init__(self, server, tmp_path, runtime="python", view="NEW_AND_OLD_IMAGES", timeout=10, table=True):
        self.server = server
        self.ddb = server.client()
        self.lam = server.client("lambda")
        self.tmp = tmp_path
        self.runtime = runtime
        tag = uuid.uuid4().hex[:10]
        self.log = str(tmp_path / f"esm-{tag}.log")
        self.control_path = str(tmp_path / f"esm-{tag}.control.json")
        self.function = self.make_function(runtime, timeout=timeout)
        self.function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function}"
        self.table = None
        self.stream_arn = None
        if table:
            self.table, self.stream_arn = self.make_table(view=view)

    def make_function(self, runtime, timeout=10, log=None, control=None):
        rt, handler, package = RUNTIMES[runtime]
        name = unique(f"esm-{runtime}")
        self.lam.create_function(
            FunctionName=name, Runtime=rt, Role=ROLE, Handler=handler, Code={"ZipFile": zip_dir(package)},
            Timeout=timeout,
            Environment={"Variables": {"ESM_LOG": log or self.log, "ESM_CONTROL": control or self.control_path}})
        return name

    def make_table(self, name=None, view="NEW_AND_OLD_IMAGES", **kwargs):
        name = name or unique("esm")
        out = create_table(self.ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
                           **kwargs)
        return name, out["TableDescription"]["LatestStreamArn"]

    def control(self, **settings):
        """Replaces the handler's control file atomically."""
        tmp = self.control_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(settings, f)
        os.replace(tmp, self.control_path)

    def map(self, **kwargs):
        args = {"EventSourceArn": self.stream_arn, "FunctionName": self.function, "StartingPosition": "LATEST"}
        args.update(kwargs)
        out = self.lam.create_event_source_mapping(**args)
        self.uuid = out["UUID"]
        return out

    def put(self, pk, table=None, **attrs):
        item = {"pk": {"S": pk}}
        for k, v in attrs.items():
            item[k] = {"N": str(v)} if isinstance(v, (int, float)) and not isinstance(v, bool) else {"S": str(v)}
        self.ddb.put_item(TableName=table or self.table, Item=item)

    def put_many(self, items, table=None):
        """Writes items one after another (each its own stream record, in order)."""
        for pk, attrs in items:
            self.put(pk, table=table, **attrs)

    def batches(self):
        """Every finished invocation the handler logged, in order of completion."""
        return [line for line in read_lines(self.log) if line.get("phase") == "end"]

    def starts(self):
        return [line for line in read_lines(self.log) if line.get("phase") == "start"]

    def delivered(self):
        """Sequence numbers in delivery order, duplicates included."""
        return [s for b in self.batches() for s in b["seqs"]]

    def delivered_pks(self):
        return [p for b in self.batches() for p in b["pks"]]

    def wait_batches(self, n, timeout=15):
        return wait_for(lambda: len(self.batches()) >= n and self.batches(), timeout=timeout,
                        message=f"{n} batches (have {len(self.batches())})")

    def wait_delivered(self, n, timeout=15):
        return wait_for(lambda: len(set(self.delivered())) >= n and self.batches(), timeout=timeout,
                        message=f"{n} distinct records delivered (have {len(set(self.delivered()))})")

    def explain(self, uuid_=None):
        return self.server.control("GET", f"/_eddy/event-source-mappings/{uuid_ or self.uuid}")

    def stream_seqs(self):
        """Every record's sequence number in the table's stream, in stream order."""
        streams = self.server.client("dynamodbstreams")
        out = []
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            it = streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard["ShardId"],
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                page = streams.get_records(ShardIterator=it, Limit=1000)
                out += [r["dynamodb"]["SequenceNumber"] for r in page["Records"]]
                if not page["Records"]:
                    break
                it = page.get("NextShardIterator")
        return out

    def clock(self, **body):
        return self.server.control("POST", "/_eddy/clock", body)


def stream_records(rig):
    """(SequenceNumber, ApproximateCreationDateTime epoch seconds, shard id) of every stream record."""
    streams = rig.server.client("dynamodbstreams")
    out = []
    for shard in streams.describe_stream(StreamArn=rig.stream_arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=rig.stream_arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for r in streams.get_records(ShardIterator=it)["Records"]:
            out.append((r["dynamodb"]["SequenceNumber"], int(r["dynamodb"]["ApproximateCreationDateTime"].timestamp()),
                        shard["ShardId"]))
    return out


def metric(server, name, **labels):
    """The value of a Prometheus sample at /_eddy/metrics (0 if absent)."""
    import requests

    text = requests.get(server.endpoint + "/_eddy/metrics", timeout=5).text
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:]+)\{([^}]*)\} (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return 0.0


def metrics_text(server):
    import requests

    return requests.get(server.endpoint + "/_eddy/metrics", timeout=5).text
