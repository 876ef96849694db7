#!/usr/bin/env python3
"""Extracts the request-validation part of botocore's service models into compact JSON files that
eddy-server embeds (crates/eddy-server/models/<service>.json): for every operation, its input shape, and for
every shape reachable from an input, its type and constraints (required members, lengths, ranges, enums,
patterns). Documentation is dropped.

Services that speak the AWS query protocol (SNS, IAM, STS, and SQS, whose current model is JSON but which still answers
query requests from older SDKs) also keep what the query codec needs: each operation's output shape and result
wrapper, and for every member, list and map the names and flattening the query protocol serializes them with.
SQS's JSON model no longer carries its query-era names (`Attribute.1.Name`, `SendMessageBatchRequestEntry.1.Id`,
`<Message>` …); they are restored from `SQS_QUERY_NAMES` below, which records the query model SQS published
before it moved to JSON. Re-run after upgrading botocore:

    python3 tools/gen_models.py
"""
import gzip
import json
import os

import botocore

DATA = os.path.join(os.path.dirname(botocore.__file__), "data")
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "eddy-server", "models")

SERVICES = {
    "dynamodb": ("dynamodb", "2012-08-10", False),
    "dynamodbstreams": ("dynamodbstreams", "2012-08-10", False),
    "sqs": ("sqs", "2012-11-05", True),
    "sns": ("sns", "2010-03-31", True),
    "lambda": ("lambda", "2015-03-31", False),
    "logs": ("logs", "2014-03-28", False),
    "iam": ("iam", "2010-05-08", True),
    "sts": ("sts", "2011-06-15", True),
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
        "ListTags", "TagResource", "UntagResource", "AddPermission", "RemovePermission", "GetPolicy",
        "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig", "GetFunctionEventInvokeConfig",
        "DeleteFunctionEventInvokeConfig", "ListFunctionEventInvokeConfigs",
        "PutFunctionRecursionConfig", "GetFunctionRecursionConfig",
    },
    "logs": {"DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents", "DeleteLogGroup"},
    # IAM: roles with trust and inline policies, customer managed policies with versions, attachments, users
    # with access keys and policies. Everything else IAM has is refused as an unknown action.
    "iam": {
        "CreateRole", "GetRole", "ListRoles", "DeleteRole", "UpdateAssumeRolePolicy",
        "PutRolePolicy", "GetRolePolicy", "ListRolePolicies", "DeleteRolePolicy",
        "CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy",
        "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion",
        "SetDefaultPolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies",
        "CreateUser", "GetUser", "ListUsers", "DeleteUser",
        "CreateAccessKey", "DeleteAccessKey", "ListAccessKeys",
        "PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy",
        "AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies",
    },
    "sts": {"GetCallerIdentity", "AssumeRole"},
}

# The query-protocol names of SQS (from its query model, 2012-11-05, before the switch to JSON). Keys are shape
# names; "name" is a shape-level locationName, "member"/"key"/"value" the locationName of a list's member or a
# map's key and value, "members" per-member locationNames.
SQS_QUERY_NAMES = {
    "AWSAccountIdList": {"member": "AWSAccountId"},
    "ActionNameList": {"member": "ActionName"},
    "AttributeNameList": {"member": "AttributeName"},
    "BatchResultErrorEntryList": {"member": "BatchResultErrorEntry"},
    "BinaryList": {"member": "BinaryListValue"},
    "ChangeMessageVisibilityBatchRequestEntryList": {"member": "ChangeMessageVisibilityBatchRequestEntry"},
    "ChangeMessageVisibilityBatchResultEntryList": {"member": "ChangeMessageVisibilityBatchResultEntry"},
    "CreateQueueRequest": {"members": {"Attributes": "Attribute", "tags": "Tag"}},
    "DeleteMessageBatchRequestEntryList": {"member": "DeleteMessageBatchRequestEntry"},
    "DeleteMessageBatchResultEntryList": {"member": "DeleteMessageBatchResultEntry"},
    "GetQueueAttributesResult": {"members": {"Attributes": "Attribute"}},
    "ListQueueTagsResult": {"members": {"Tags": "Tag"}},
    "Message": {"members": {"Attributes": "Attribute", "MessageAttributes": "MessageAttribute"}},
    "MessageAttributeNameList": {"member": "MessageAttributeName"},
    "MessageAttributeValue": {"members": {"StringListValues": "StringListValue", "BinaryListValues": "BinaryListValue"}},
    "MessageBodyAttributeMap": {"key": "Name", "value": "Value"},
    "MessageBodySystemAttributeMap": {"key": "Name", "value": "Value"},
    "MessageList": {"member": "Message"},
    "MessageSystemAttributeMap": {"name": "Attribute", "key": "Name", "value": "Value"},
    "MessageSystemAttributeValue": {"members": {"StringListValues": "StringListValue", "BinaryListValues": "BinaryListValue"}},
    "QueueAttributeMap": {"name": "Attribute", "key": "Name", "value": "Value"},
    "QueueUrlList": {"member": "QueueUrl"},
    "SendMessageBatchRequest": {"members": {"Entries": "SendMessageBatchRequestEntry"}},
    "DeleteMessageBatchRequest": {"members": {"Entries": "DeleteMessageBatchRequestEntry"}},
    "ChangeMessageVisibilityBatchRequest": {"members": {"Entries": "ChangeMessageVisibilityBatchRequestEntry"}},
    "SendMessageBatchRequestEntry": {"members": {"MessageAttributes": "MessageAttribute", "MessageSystemAttributes": "MessageSystemAttribute"}},
    "SendMessageBatchRequestEntryList": {"member": "SendMessageBatchRequestEntry"},
    "SendMessageBatchResultEntryList": {"member": "SendMessageBatchResultEntry"},
    "SendMessageRequest": {"members": {"MessageAttributes": "MessageAttribute", "MessageSystemAttributes": "MessageSystemAttribute"}},
    "SetQueueAttributesRequest": {"members": {"Attributes": "Attribute"}},
    "StringList": {"member": "StringListValue"},
    "TagKeyList": {"member": "TagKey"},
    "TagMap": {"name": "Tag", "key": "Key", "value": "Value"},
}

# Shapes whose content is checked by the typed codec rather than by the model walk (recursive values).
OPAQUE = {"AttributeValue"}


def load(service, version):
    path = os.path.join(DATA, service, version, "service-2.json")
    if os.path.exists(path):
        return json.load(open(path))
    return json.load(gzip.open(path + ".gz"))


def apply_query_names(model, names):
    """Writes the query-era locationNames back into a JSON model."""
    shapes = model["shapes"]
    for shape_name, spec in names.items():
        shape = shapes.get(shape_name)
        if shape is None:
            continue
        if "name" in spec:
            shape["locationName"] = spec["name"]
        if "member" in spec:
            shape["member"]["locationName"] = spec["member"]
        if "key" in spec:
            shape["key"]["locationName"] = spec["key"]
        if "value" in spec:
            shape["value"]["locationName"] = spec["value"]
        for member, location in spec.get("members", {}).items():
            if member in shape.get("members", {}):
                shape["members"][member]["locationName"] = location


def compact_shape(name, shape, shapes, query, enums=True):
    out = {"t": shape["type"]}
    if name in OPAQUE:
        out["t"] = "opaque"
        return out
    for key, short in (("min", "min"), ("max", "max"), ("pattern", "p"), ("enum", "e")):
        if key == "enum" and not enums:
            continue
        if key in shape:
            out[short] = shape[key]
    if shape["type"] == "structure":
        if query:
            # [member, shape, JSON name (none: the member name), query/XML name, flattened]: the query name and
            # flattening of a member are its reference's traits over its target shape's, as botocore resolves them.
            members = []
            for m, spec in shape.get("members", {}).items():
                target = shapes[spec["shape"]]
                query_name = spec.get("locationName") or target.get("locationName") or m
                flattened = bool(spec.get("flattened") or target.get("flattened"))
                members.append([m, spec["shape"], None, query_name, flattened])
            out["m"] = members
        else:
            out["m"] = [[m, spec["shape"], spec.get("locationName")] for m, spec in shape.get("members", {}).items()]
        if shape.get("required"):
            out["r"] = shape["required"]
    elif shape["type"] == "list":
        out["i"] = shape["member"]["shape"]
        if query and shape["member"].get("locationName"):
            out["in"] = shape["member"]["locationName"]
    elif shape["type"] == "map":
        out["k"] = shape["key"]["shape"]
        out["v"] = shape["value"]["shape"]
        if query:
            out["kn"] = shape["key"].get("locationName", "key")
            out["vn"] = shape["value"].get("locationName", "value")
    return out


def extract(service, version, query, only=None):
    model = load(service, version)
    if service == "sqs":
        apply_query_names(model, SQS_QUERY_NAMES)
    shapes = model["shapes"]
    keep = {}
    stack = []
    operations = {}
    outputs = {}
    for op, spec in sorted(model["operations"].items()):
        if only is not None and op not in only:
            continue
        if "input" in spec:
            operations[op] = spec["input"]["shape"]
            stack.append(spec["input"]["shape"])
        if query and "output" in spec:
            # [output shape, result wrapper element]; SQS's JSON model dropped the wrappers, which are
            # always `<Operation>Result` in the query protocol.
            wrapper = spec["output"].get("resultWrapper") or op + "Result"
            outputs[op] = [spec["output"]["shape"], wrapper]
            stack.append(spec["output"]["shape"])
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        shape = shapes[name]
        # SQS's enums are documentation only: the service checks attribute names itself, with its own errors
        # (ReceiveMessage's AttributeNames even takes message attributes its enum does not list).
        keep[name] = compact_shape(name, shape, shapes, query, enums=service != "sqs")
        if keep[name]["t"] == "opaque":
            continue
        if shape["type"] == "structure":
            stack.extend(m["shape"] for m in shape.get("members", {}).values())
        elif shape["type"] == "list":
            stack.append(shape["member"]["shape"])
        elif shape["type"] == "map":
            stack.extend([shape["key"]["shape"], shape["value"]["shape"]])
    out = {"operations": operations, "shapes": dict(sorted(keep.items()))}
    if query:
        out["outputs"] = outputs
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for out_name, (service, version, query) in SERVICES.items():
        data = extract(service, version, query, ONLY.get(out_name))
        path = os.path.join(OUT, out_name + ".json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"), sort_keys=False)
            f.write("\n")
        print(f"{path}: {len(data['operations'])} operations, {len(data['shapes'])} shapes")


if __name__ == "__main__":
    main()
