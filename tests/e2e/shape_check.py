"""Strict answers: every successful answer botocore parses during the end-to-end tests is also checked against the
service's model more strictly than botocore reads it — a member the model does not have, a JSON value of the wrong
type (a timestamp as text where the protocol sends epoch seconds, a number as text, an integer with a fraction), an
enum value the model does not list, an XML element out of place or a leaf that does not parse. botocore lets many of
these through; other SDKs (JavaScript, Rust, Go, Java) reject them. `install()` patches botocore's JSON, REST-JSON
and query (XML) parsers; `take()` hands over and clears what was found."""
import base64
import binascii
import datetime
import json
import threading
import xml.etree.ElementTree as ET

import botocore.endpoint
import botocore.parsers

_found = []
_lock = threading.Lock()
_operation = threading.local()


def take():
    """The violations found since the last call, as readable lines."""
    with _lock:
        found, _found[:] = list(_found), []
    return found


def _report(path, problem, value=None):
    service, op = getattr(_operation, "name", ("?", "?"))
    line = f"{service}.{op} {path}: {problem}" + ("" if value is None else f" ({str(value)[:120]!r})")
    with _lock:
        _found.append(line)


# ---- JSON protocols -----------------------------------------------------------------------------------------------

def check_json(shape, value, path="$"):
    kind = shape.type_name
    if value is None:
        _report(path, "null")
    elif kind == "structure":
        if not isinstance(value, dict):
            return _report(path, f"expected an object for {shape.name}", value)
        for key, member_value in value.items():
            if key not in shape.members:
                _report(f"{path}.{key}", f"not a member of {shape.name}", member_value)
            else:
                check_json(shape.members[key], member_value, f"{path}.{key}")
    elif kind == "list":
        if not isinstance(value, list):
            return _report(path, "expected a list", value)
        for i, item in enumerate(value):
            check_json(shape.member, item, f"{path}[{i}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return _report(path, "expected a map", value)
        for key, item in value.items():
            check_json(shape.key, key, f"{path}{{key}}")
            check_json(shape.value, item, f"{path}{{{key}}}")
    elif kind == "string":
        if not isinstance(value, str):
            _report(path, "expected a string", value)
        elif shape.enum and value not in shape.enum:
            _report(path, f"not in the enum {shape.name}", value)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            _report(path, f"expected an {kind}", value)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _report(path, f"expected a {kind}", value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            _report(path, "expected a boolean", value)
    elif kind == "timestamp":
        if shape.serialization.get("timestampFormat") in ("iso8601", "rfc822"):
            if not isinstance(value, str):
                _report(path, "expected a timestamp as text", value)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            _report(path, "expected epoch seconds", value)
    elif kind == "blob":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            _report(path, "expected base64", value)


def _json_body(response):
    """The parsed body, or None for an empty or streamed one (Invoke's payload is the function's)."""
    body = response.get("body") or b""
    if not isinstance(body, (bytes, str)) or not body.strip():
        return None
    return json.loads(body)


def _checked_json(original):
    def parse(self, response, shape):
        if shape is not None and response.get("status_code", 500) < 300:
            try:
                document = _json_body(response)
            except ValueError:
                _report("$", "the body is not JSON", response.get("body"))
            else:
                if document is not None:
                    check_json(shape, document)
        return original(self, response, shape)
    return parse


def _checked_rest_json(original):
    def parse(self, response, shape):
        if shape is not None and response.get("status_code", 500) < 300:
            payload = shape.serialization.get("payload")
            try:
                document = _json_body(response)
            except ValueError:
                document = None
                if not payload:
                    _report("$", "the body is not JSON", response.get("body"))
            if payload:
                member = shape.members[payload]
                if member.type_name == "structure" and document is not None:
                    check_json(member, document, f"$.{payload}")
            elif document is not None:
                body_members = {k: m for k, m in shape.members.items() if not m.serialization.get("location")}
                for key, value in document.items():
                    if key not in body_members:
                        _report(f"$.{key}", f"not a member of {shape.name}", value)
                    else:
                        check_json(body_members[key], value, f"$.{key}")
        return original(self, response, shape)
    return parse


# ---- the query protocol (XML) -------------------------------------------------------------------------------------

def _tag(element):
    return element.tag.split("}", 1)[-1]


def check_xml(shape, node, path):
    kind = shape.type_name
    if kind == "structure":
        members = {m.serialization.get("name", name): m for name, m in shape.members.items()}
        for child in node:
            if _tag(child) not in members:
                _report(f"{path}.{_tag(child)}", f"not a member of {shape.name}")
            else:
                check_xml(members[_tag(child)], child, f"{path}.{_tag(child)}")
    elif kind == "list":
        if shape.serialization.get("flattened"):
            return check_xml(shape.member, node, path)
        entry = shape.member.serialization.get("name", "member")
        for i, child in enumerate(node):
            if _tag(child) != entry:
                _report(f"{path}[{i}]", f"a list entry named {_tag(child)}, not {entry}")
            check_xml(shape.member, child, f"{path}[{i}]")
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        for entry in [node] if shape.serialization.get("flattened") else list(node):
            for child in entry:
                if _tag(child) == key_name:
                    check_xml(shape.key, child, f"{path}{{key}}")
                elif _tag(child) == value_name:
                    check_xml(shape.value, child, f"{path}{{value}}")
                else:
                    _report(path, f"a map entry with {_tag(child)}")
    else:
        text = node.text or ""
        if len(node):
            _report(path, f"a {kind} with child elements")
        try:
            if kind in ("integer", "long"):
                int(text)
            elif kind in ("float", "double"):
                float(text)
            elif kind == "timestamp":
                datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            _report(path, f"expected a {kind}", text)
        if kind == "boolean" and text not in ("true", "false"):
            _report(path, "expected true or false", text)
        if kind == "string" and shape.enum and text not in shape.enum:
            _report(path, f"not in the enum {shape.name}", text)


def _checked_query(original):
    def parse(self, response, shape):
        if shape is not None and response.get("status_code", 500) < 300:
            _, op = getattr(_operation, "name", ("?", "?"))
            try:
                root = ET.fromstring(response["body"])
            except ET.ParseError:
                _report("$", "the body is not XML", response.get("body"))
            else:
                if _tag(root) != f"{op}Response":
                    _report("$", f"the root element is {_tag(root)}")
                wrapper = shape.serialization.get("resultWrapper")
                for child in root:
                    if _tag(child) == wrapper:
                        check_xml(shape, child, f"$.{wrapper}")
                    elif _tag(child) != "ResponseMetadata":
                        _report(f"$.{_tag(child)}", "not part of the answer")
        return original(self, response, shape)
    return parse


def install():
    """Checks every answer botocore parses from now on (idempotent)."""
    if getattr(botocore.parsers, "_eddy_shape_check", False):
        return
    botocore.parsers._eddy_shape_check = True
    botocore.parsers.JSONParser.parse = _checked_json(botocore.parsers.JSONParser.parse)
    botocore.parsers.RestJSONParser.parse = _checked_rest_json(botocore.parsers.RestJSONParser.parse)
    botocore.parsers.QueryParser.parse = _checked_query(botocore.parsers.QueryParser.parse)
    get_response = botocore.endpoint.Endpoint._do_get_response

    def named(self, request, operation_model, context):
        _operation.name = (operation_model.service_model.service_name, operation_model.name)
        return get_response(self, request, operation_model, context)

    botocore.endpoint.Endpoint._do_get_response = named
