"""A stream-consumer handler for the event-source-mapping tests (the twin of esm-node/index.js).

It appends what it received to the JSON-lines file named by ESM_LOG (one `start` line when it begins, one `end`
line with the batch when it is done) and behaves as the JSON file named by ESM_CONTROL (read at every invocation)
and the records themselves ask:

- a record whose NewImage has `behave` = "error" / "partial" fails the invocation / is reported in
  `batchItemFailures`; "error:K" / "partial:K" do so only for the record's first K deliveries;
- control `fail`: raise; `respond`: return that JSON as is; `barrier` N: wait (at most `barrierMs`) until N
  invocations have started; `sleepMs`: sleep before answering; `omitImages`: log sequence numbers only;
- tumbling windows: the returned `state` counts the records and lists their sequence numbers (`noState`: answer
  without `state`; `bigStateBytes`: pad the state)."""
import json
import os
import time


def _lines(path):
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


def _append(path, obj):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(obj) + "\n").encode())
    finally:
        os.close(fd)


def _control():
    path = os.environ.get("ESM_CONTROL")
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, TypeError, ValueError):
        return {}


def _pk(record):
    keys = record["dynamodb"].get("Keys", {})
    value = keys.get("pk", {})
    return value.get("S", value.get("N"))


def _fails(behave, delivered_before, kind):
    if not behave:
        return False
    if behave == kind:
        return True
    if behave.startswith(kind + ":"):
        return delivered_before < int(behave.split(":", 1)[1])
    return False


def handler(event, context):
    log = os.environ["ESM_LOG"]
    control = _control()
    t0 = time.time()
    _append(log, {"phase": "start", "rid": context.aws_request_id})
    saw = None
    if control.get("barrier"):
        deadline = time.monotonic() + control.get("barrierMs", 8000) / 1000
        while True:
            saw = sum(1 for line in _lines(log) if line.get("phase") == "start")
            if saw >= control["barrier"] or time.monotonic() > deadline:
                break
            time.sleep(0.01)
    if control.get("sleepMs"):
        time.sleep(control["sleepMs"] / 1000)
    records = event.get("Records", [])
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    previous = {}
    for line in _lines(log):
        for s in line.get("seqs", []) if line.get("phase") == "end" else []:
            previous[s] = previous.get(s, 0) + 1
    error = False
    failures = []
    for r, seq in zip(records, seqs):
        behave = r["dynamodb"].get("NewImage", {}).get("behave", {}).get("S")
        if _fails(behave, previous.get(seq, 0), "error"):
            error = True
        if _fails(behave, previous.get(seq, 0), "partial"):
            failures.append({"itemIdentifier": seq})
    entry = {
        "phase": "end", "rid": context.aws_request_id, "fn": context.function_name, "runtime": "python",
        "t0": t0, "t1": time.time(), "sawStarts": saw, "seqs": seqs, "pks": [_pk(r) for r in records],
        "names": [r["eventName"] for r in records], "bytes": len(json.dumps(event)),
        "extra": {k: v for k, v in event.items() if k != "Records"},
    }
    if not control.get("omitImages"):
        entry["records"] = records
    _append(log, entry)
    if control.get("fail") or error:
        raise RuntimeError("handler failed on purpose")
    if "respond" in control:
        return control["respond"]
    if "window" in event:
        if control.get("noState"):
            return {"batchItemFailures": failures}
        state = dict(event.get("state") or {})
        state["count"] = state.get("count", 0) + len(records)
        state["seqs"] = state.get("seqs", []) + seqs
        if control.get("bigStateBytes"):
            state["pad"] = "x" * control["bigStateBytes"]
        else:
            state.pop("pad", None)
        return {"state": state, "batchItemFailures": failures}
    return {"batchItemFailures": failures}
