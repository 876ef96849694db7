#!/usr/bin/env python3
"""Extracts the request-validation part of botocore's service models into compact JSON files that
eddy-server embeds (crates/eddy-server/models/<service>.json): for every operation, its input shape, and for
every shape reachable from an input, its type and constraints (required members, lengths, ranges, enums,
patterns). Documentation and output shapes are dropped. Re-run after upgrading botocore:

    python3 tools/gen_models.py
"""
import gzip
import json
import os

import botocore

DATA = os.path.join(os.path.dirname(botocore.__file__), "data")
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "eddy-server", "models")

SERVICES = {
    "dynamodb": ("dynamodb", "2012-08-10"),
    "dynamodbstreams": ("dynamodbstreams", "2012-08-10"),
    "lambda": ("lambda", "2015-03-31"),
    "logs": ("logs", "2014-03-28"),
}

# Only these operations are extracted for services eddy implements in part (their models are large). For the
# REST-JSON Lambda API, members bound to the URI, query string or headers keep their wire name (locationName),
# and eddy-server validates one object holding body, path, query and header members together.
ONLY = {
    "lambda": {
        "CreateFunction", "GetFunction", "GetFunctionConfiguration", "ListFunctions", "UpdateFunctionCode",
        "UpdateFunctionConfiguration", "DeleteFunction", "PublishVersion", "ListVersionsByFunction",
        "CreateAlias", "GetAlias", "UpdateAlias", "DeleteAlias", "ListAliases", "Invoke",
        "PutFunctionConcurrency", "GetFunctionConcurrency", "DeleteFunctionConcurrency", "GetAccountSettings",
    },
    "logs": {"DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents", "DeleteLogGroup"},
}

# Shapes whose content is checked by the typed codec rather than by the model walk (recursive values).
OPAQUE = {"AttributeValue"}


def load(service, version):
    path = os.path.join(DATA, service, version, "service-2.json")
    if os.path.exists(path):
        return json.load(open(path))
    return json.load(gzip.open(path + ".gz"))


def compact_shape(name, shape):
    out = {"t": shape["type"]}
    if name in OPAQUE:
        out["t"] = "opaque"
        return out
    for key, short in (("min", "min"), ("max", "max"), ("pattern", "p"), ("enum", "e")):
        if key in shape:
            out[short] = shape[key]
    if shape["type"] == "structure":
        out["m"] = [[m, spec["shape"], spec.get("locationName")] for m, spec in shape.get("members", {}).items()]
        if shape.get("required"):
            out["r"] = shape["required"]
    elif shape["type"] == "list":
        out["i"] = shape["member"]["shape"]
    elif shape["type"] == "map":
        out["k"] = shape["key"]["shape"]
        out["v"] = shape["value"]["shape"]
    return out


def extract(service, version, only=None):
    model = load(service, version)
    shapes = model["shapes"]
    keep = {}
    stack = []
    operations = {}
    for op, spec in sorted(model["operations"].items()):
        if only is not None and op not in only:
            continue
        if "input" in spec:
            operations[op] = spec["input"]["shape"]
            stack.append(spec["input"]["shape"])
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        shape = shapes[name]
        keep[name] = compact_shape(name, shape)
        if keep[name]["t"] == "opaque":
            continue
        if shape["type"] == "structure":
            stack.extend(m["shape"] for m in shape.get("members", {}).values())
        elif shape["type"] == "list":
            stack.append(shape["member"]["shape"])
        elif shape["type"] == "map":
            stack.extend([shape["key"]["shape"], shape["value"]["shape"]])
    return {"operations": operations, "shapes": dict(sorted(keep.items()))}


def main():
    os.makedirs(OUT, exist_ok=True)
    for out_name, (service, version) in SERVICES.items():
        data = extract(service, version, ONLY.get(out_name))
        path = os.path.join(OUT, out_name + ".json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"), sort_keys=False)
            f.write("\n")
        print(f"{path}: {len(data['operations'])} operations, {len(data['shapes'])} shapes")


if __name__ == "__main__":
    main()
