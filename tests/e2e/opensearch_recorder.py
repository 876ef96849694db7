"""A stand-in for OpenSearch in tests and in the product-search-sync demo: a small HTTP server that speaks the part
of OpenSearch's document API the example's handlers use, keeps every document in memory and records what
arrived. It is not OpenSearch: no search engine, no analysis, no shards, no persistence.

Speaks: `GET /` (cluster info), `PUT|HEAD|DELETE /<index>` (create with `mappings`, exists, delete),
`PUT|POST /<index>/_doc/<id>`, `POST /<index>/_doc`, `GET|DELETE /<index>/_doc/<id>`, `POST|PUT /_bulk` and
`/<index>/_bulk` (`index`, `create`, `delete` actions; NDJSON), `GET|POST /<index>/_search` (every document,
`size` and `from`, sorted by id) and `GET /<index>/_count`. Documents are checked against the index's mapping the
way OpenSearch checks them with its defaults (numbers and booleans coerced from strings, objects where objects are
mapped, `dynamic: strict`); a document that does not fit is refused with OpenSearch's `mapper_parsing_exception`
(or `strict_dynamic_mapping_exception`) shape, status 400. Unmapped fields are mapped dynamically from their
first value, as OpenSearch does.

For tests: `GET /_recorder/requests` lists every request received (method, path, status, bulk items);
`POST /_recorder/faults {"rejectRequests": N}` makes the next N write requests fail as a whole with OpenSearch's
429 `rejected_execution_exception` (an overloaded cluster).

Run: `python3 opensearch_recorder.py [--port 9200]`; prints `opensearch-recorder ready on http://127.0.0.1:PORT`.
"""
import argparse
import json
import re
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NUMBER_TYPES = {"long", "integer", "short", "byte", "unsigned_long"}
FLOAT_TYPES = {"float", "double", "half_float", "scaled_float"}
STRING_TYPES = {"text", "keyword", "match_only_text", "wildcard", "constant_keyword"}


class MappingError(Exception):
    """A document that does not fit the mapping: `error` is OpenSearch's error object."""

    def __init__(self, error):
        super().__init__(error["reason"])
        self.error = error


def preview(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={preview(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_failure(path, ftype, doc_id, value, cause):
    reason = (f"failed to parse field [{path}] of type [{ftype}] in document with id '{doc_id}'. "
              f"Preview of field's value: '{preview(value)}'")
    return MappingError({"type": "mapper_parsing_exception", "reason": reason, "caused_by": cause})


def number_cause(value):
    return {"type": "number_format_exception", "reason": f'For input string: "{preview(value)}"'}


def check_value(path, mapping, value, doc_id):
    """Raises MappingError when `value` cannot be indexed as `mapping`; returns mapping updates for objects."""
    if value is None:
        return
    if isinstance(value, list):
        for v in value:
            check_value(path, mapping, v, doc_id)
        return
    ftype = mapping.get("type", "object" if "properties" in mapping else None)
    if ftype in ("object", "nested"):
        if not isinstance(value, dict):
            raise MappingError({
                "type": "mapper_parsing_exception",
                "reason": f"object mapping for [{path}] tried to parse field [{path.split('.')[-1]}] as object, "
                          f"but found a concrete value"})
        check_object(path + ".", mapping, value, doc_id, mapping.get("dynamic"))
        return
    if isinstance(value, dict):
        raise parse_failure(path, ftype, doc_id, value, {
            "type": "illegal_state_exception",
            "reason": f"Can't get text on a START_OBJECT at 1:{len(path) + 2}"})
    if ftype in NUMBER_TYPES or ftype in FLOAT_TYPES:
        if isinstance(value, bool):
            raise parse_failure(path, ftype, doc_id, value, {
                "type": "json_parse_exception", "reason": "Current token (VALUE_TRUE) not numeric"})
        if isinstance(value, str):
            try:
                float(value.strip())
            except ValueError:
                raise parse_failure(path, ftype, doc_id, value, number_cause(value)) from None
    elif ftype == "boolean":
        if not (isinstance(value, bool) or value in ("true", "false", "")):
            raise parse_failure(path, ftype, doc_id, value, {
                "type": "illegal_argument_exception",
                "reason": f"Failed to parse value [{preview(value)}] as only [true] or [false] are allowed."})


def dynamic_mapping(value):
    """The mapping OpenSearch's dynamic mapping gives a field from its first value (None: nothing to map yet)."""
    if isinstance(value, list):
        for v in value:
            m = dynamic_mapping(v)
            if m:
                return m
        return None
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if isinstance(value, dict):
        return {"properties": {}}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def check_object(prefix, mapping, obj, doc_id, dynamic):
    props = mapping.setdefault("properties", {})
    for key, value in obj.items():
        path = prefix + key
        field = props.get(key)
        if field is None:
            mode = str(dynamic if dynamic is not None else "true").lower()
            if mode == "strict":
                raise MappingError({
                    "type": "strict_dynamic_mapping_exception",
                    "reason": f"mapping set to strict, dynamic introduction of [{key}] within "
                              f"[{prefix[:-1] or '_doc'}] is not allowed"})
            if mode == "false":
                continue
            field = dynamic_mapping(value)
            if field is None:
                continue
            props[key] = field
        check_value(path, field, value, doc_id)


class Index:
    def __init__(self, name, mappings=None):
        self.name = name
        self.mappings = json.loads(json.dumps(mappings or {}))
        self.docs = {}  # id -> {"_source", "_version", "_seq_no"}
        self.seq_no = 0

    def put(self, doc_id, source, op_type="index"):
        """Indexes a document; returns (status, result body without _index)."""
        if not isinstance(source, dict):
            raise MappingError({"type": "mapper_parsing_exception", "reason": "failed to parse",
                                "caused_by": {"type": "not_x_content_exception",
                                              "reason": "Compressor detection can only be called on some "
                                                        "xcontent bytes or compressed xcontent bytes"}})
        existing = self.docs.get(doc_id)
        if op_type == "create" and existing is not None:
            return 409, {"_id": doc_id, "status": 409, "error": {
                "type": "version_conflict_engine_exception",
                "reason": f"[{doc_id}]: version conflict, document already exists (current version "
                          f"[{existing['_version']}])", "index": self.name}}
        # Check against a copy: a refused document must not change the mapping.
        trial = json.loads(json.dumps(self.mappings))
        check_object("", trial, source, doc_id, trial.get("dynamic"))
        self.mappings = trial
        version = existing["_version"] + 1 if existing else 1
        self.docs[doc_id] = {"_source": source, "_version": version, "_seq_no": self.seq_no}
        self.seq_no += 1
        result = "updated" if existing else "created"
        return (200 if existing else 201), self._meta(doc_id, version, result)

    def delete(self, doc_id):
        existing = self.docs.pop(doc_id, None)
        version = existing["_version"] + 1 if existing else 1
        self.seq_no += 1
        return (200 if existing else 404), self._meta(doc_id, version, "deleted" if existing else "not_found")

    def _meta(self, doc_id, version, result):
        return {"_index": self.name, "_id": doc_id, "_version": version, "result": result,
                "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": self.seq_no,
                "_primary_term": 1}


class Recorder:
    def __init__(self):
        self.lock = threading.RLock()
        self.indices = {}
        self.requests = []
        self.reject_requests = 0

    def index(self, name, create=True):
        if name not in self.indices and create:
            self.indices[name] = Index(name)
        return self.indices.get(name)


def error_body(status, error):
    return {"error": {"root_cause": [{k: v for k, v in error.items() if k != "caused_by"}], **error},
            "status": status}


def no_such_index(name):
    return error_body(404, {"type": "index_not_found_exception", "reason": f"no such index [{name}]",
                            "index": name, "resource.type": "index_or_alias", "resource.id": name})


NAME = re.compile(r"^[^_/][^/]*$")


class Handler(BaseHTTPRequestHandler):
    server_version = "opensearch-recorder"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def rec(self):
        return self.server.recorder

    def send(self, status, body, items=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/_recorder"):
            with self.rec.lock:
                self.rec.requests.append({"method": self.command, "path": path, "status": status,
                                          "items": items})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        raw = self.body()
        try:
            self.dispatch(self.command, parts, query, raw)
        except json.JSONDecodeError as e:
            self.send(400, error_body(400, {"type": "parse_exception", "reason": f"request body is not JSON: {e}"}))

    def overloaded(self):
        """Consumes one injected fault, if any: the request is refused as a whole."""
        with self.rec.lock:
            if self.rec.reject_requests <= 0:
                return False
            self.rec.reject_requests -= 1
        self.send(429, error_body(429, {
            "type": "rejected_execution_exception",
            "reason": "rejected execution of coordinating operation [shard_detail=[products][0][P], "
                      "shard_coordinating_and_primary_bytes=0, shard_operation_bytes=0, shard_max_coordinating_"
                      "and_primary_bytes=0]"}))
        return True

    def dispatch(self, method, parts, query, raw):
        rec = self.rec
        if parts[:1] == ["_recorder"]:
            return self.control(method, parts[1:], raw)
        if not parts:
            if method in ("GET", "HEAD"):
                return self.send(200, {
                    "name": "opensearch-recorder", "cluster_name": "opensearch-recorder",
                    "cluster_uuid": "recorder", "version": {
                        "distribution": "opensearch", "number": "2.17.0", "build_type": "recorder",
                        "lucene_version": "9.11.1", "minimum_wire_compatibility_version": "7.10.0",
                        "minimum_index_compatibility_version": "7.0.0"},
                    "tagline": "The OpenSearch Project: https://opensearch.org/"})
        elif parts == ["_bulk"] or (len(parts) == 2 and parts[1] == "_bulk"):
            if method in ("POST", "PUT"):
                if self.overloaded():
                    return None
                return self.bulk(parts[0] if len(parts) == 2 else None, raw)
        elif len(parts) == 1 and NAME.match(parts[0]):
            return self.index_api(method, parts[0], raw)
        elif len(parts) == 2 and parts[1] in ("_search", "_count") and method in ("GET", "POST"):
            return self.search(parts[0], parts[1], query, raw)
        elif len(parts) in (2, 3) and parts[1] == "_doc":
            return self.doc_api(method, parts[0], parts[2] if len(parts) == 3 else None, query, raw)
        return self.send(405 if parts else 400, error_body(405, {
            "type": "illegal_argument_exception",
            "reason": f"Incorrect HTTP method for uri [{self.path}] and method [{method}]"}))

    def control(self, method, parts, raw):
        rec = self.rec
        if parts == ["requests"] and method == "GET":
            with rec.lock:
                return self.send(200, {"requests": list(rec.requests)})
        if parts == ["faults"] and method == "POST":
            body = json.loads(raw or b"{}")
            with rec.lock:
                rec.reject_requests = int(body.get("rejectRequests", 0))
            return self.send(200, {"rejectRequests": rec.reject_requests})
        if parts == ["reset"] and method == "POST":
            with rec.lock:
                rec.indices.clear()
                rec.requests.clear()
                rec.reject_requests = 0
            return self.send(200, {})
        return self.send(404, {"error": "unknown recorder path"})

    def index_api(self, method, name, raw):
        rec = self.rec
        with rec.lock:
            exists = name in rec.indices
            if method == "HEAD":
                return self.send(200 if exists else 404, {})
            if method == "PUT":
                if exists:
                    return self.send(400, error_body(400, {
                        "type": "resource_already_exists_exception",
                        "reason": f"index [{name}/recorder] already exists", "index": name}))
                body = json.loads(raw or b"{}")
                rec.indices[name] = Index(name, body.get("mappings"))
                return self.send(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
            if method == "DELETE":
                if not exists:
                    return self.send(404, no_such_index(name))
                del rec.indices[name]
                return self.send(200, {"acknowledged": True})
            if method == "GET":
                if not exists:
                    return self.send(404, no_such_index(name))
                return self.send(200, {name: {"mappings": rec.indices[name].mappings}})
        return self.send(405, {"error": "method not allowed"})

    def doc_api(self, method, name, doc_id, query, raw):
        rec = self.rec
        if method in ("PUT", "POST"):
            if self.overloaded():
                return None
            source = json.loads(raw or b"null")
            doc_id = doc_id or uuid.uuid4().hex[:20]
            with rec.lock:
                try:
                    status, meta = rec.index(name).put(doc_id, source, query.get("op_type", "index"))
                except MappingError as e:
                    return self.send(400, error_body(400, e.error))
            if status == 409:
                return self.send(409, error_body(409, meta["error"]))
            return self.send(status, meta)
        if doc_id is None:
            return self.send(405, {"error": "method not allowed"})
        if method == "DELETE":
            if self.overloaded():
                return None
            with rec.lock:
                status, meta = rec.index(name).delete(doc_id)
            return self.send(status, meta)
        if method == "GET":
            with rec.lock:
                index = rec.index(name, create=False)
                if index is None:
                    return self.send(404, no_such_index(name))
                doc = index.docs.get(doc_id)
                if doc is None:
                    return self.send(404, {"_index": name, "_id": doc_id, "found": False})
                return self.send(200, {"_index": name, "_id": doc_id, "_version": doc["_version"],
                                       "_seq_no": doc["_seq_no"], "_primary_term": 1, "found": True,
                                       "_source": doc["_source"]})
        return self.send(405, {"error": "method not allowed"})

    def bulk(self, default_index, raw):
        lines = [line for line in raw.decode().split("\n") if line.strip()]
        items, errors, i = [], False, 0
        with self.rec.lock:
            while i < len(lines):
                action = json.loads(lines[i])
                i += 1
                (op, meta), = action.items()
                name = meta.get("_index", default_index)
                doc_id = meta.get("_id")
                if op in ("index", "create"):
                    source = json.loads(lines[i])
                    i += 1
                    doc_id = doc_id or uuid.uuid4().hex[:20]
                    try:
                        status, result = self.rec.index(name).put(doc_id, source, op)
                    except MappingError as e:
                        status, result = 400, {"_index": name, "_id": doc_id, "status": 400, "error": e.error}
                elif op == "delete":
                    status, result = self.rec.index(name).delete(doc_id)
                else:
                    if op == "update":
                        i += 1
                    status, result = 400, {"_index": name, "_id": doc_id, "status": 400, "error": {
                        "type": "illegal_argument_exception",
                        "reason": f"the recorder does not implement the [{op}] bulk action"}}
                result = {"_index": name, **result, "status": status}
                errors = errors or status >= 300 and not (op == "delete" and status == 404)
                items.append({op: result})
        self.send(200, {"took": 1, "errors": errors, "items": items}, items=len(items))

    def search(self, name, what, query, raw):
        with self.rec.lock:
            index = self.rec.index(name, create=False)
            if index is None:
                return self.send(404, no_such_index(name))
            docs = sorted(index.docs.items())
        if what == "_count":
            return self.send(200, {"count": len(docs), "_shards": {"total": 1, "successful": 1, "skipped": 0,
                                                                   "failed": 0}})
        body = json.loads(raw or b"{}")
        size = int(query.get("size", body.get("size", 10)))
        start = int(query.get("from", body.get("from", 0)))
        hits = [{"_index": name, "_id": k, "_score": 1.0, "_source": d["_source"]}
                for k, d in docs[start:start + size]]
        return self.send(200, {"took": 1, "timed_out": False,
                               "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                               "hits": {"total": {"value": len(docs), "relation": "eq"}, "max_score": 1.0,
                                        "hits": hits}})


def serve(port=0, host="127.0.0.1"):
    """Starts a recorder in a background thread; returns the server (`.endpoint`, `.shutdown()`)."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.recorder = Recorder()
    server.endpoint = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.recorder = Recorder()
    print(f"opensearch-recorder ready on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
