#!/usr/bin/env python3
"""Compares the `products` table with the `products` index: prints how many products each holds and which
differ (missing from the index, left over in it, or with other content). Numbers are compared as numbers and
sets as sets (the index holds a set as an array). Exit status 0 when they match.

    python3 index_status.py --endpoint http://127.0.0.1:4566 --opensearch http://127.0.0.1:9200
    python3 index_status.py ... --wait 60 --except p-0999    # wait until they match, but for p-0999
"""
import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal

import boto3
from boto3.dynamodb.types import Binary


def comparable(value, like=None):
    """`value` (from the table, or from the index when `like` is the table's value) in a comparable form."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).normalize()
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode()
    if isinstance(value, dict):
        return {k: comparable(v, like.get(k) if isinstance(like, dict) else None) for k, v in value.items()}
    if isinstance(value, (set, frozenset)) or isinstance(like, (set, frozenset)):
        return sorted((comparable(v) for v in value), key=lambda v: (str(type(v)), v))
    if isinstance(value, list):
        return [comparable(v, like[i] if isinstance(like, list) and i < len(like) else None)
                for i, v in enumerate(value)]
    return value


def table_items(endpoint, region):
    table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=region,
                           aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                           aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test")).Table("products")
    items, kwargs = {}, {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            items[item["productId"]] = item
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def index_documents(opensearch):
    url = opensearch.rstrip("/") + "/products/_search?size=10000"
    request = urllib.request.Request(url, data=b'{"query": {"match_all": {}}}',
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            hits = json.load(r)["hits"]["hits"]
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return {}
        raise
    return {h["_id"]: h["_source"] for h in hits}


def differences(items, docs, skip):
    missing = sorted(k for k in items if k not in docs and k not in skip)
    extra = sorted(k for k in docs if k not in items and k not in skip)
    other = sorted(k for k in items if k in docs and k not in skip
                   and comparable(items[k]) != comparable(docs[k], items[k]))
    return missing, extra, other


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("EDDY_ENDPOINT", "http://127.0.0.1:4566"))
    parser.add_argument("--opensearch", default=os.environ.get("OPENSEARCH_ENDPOINT", "http://127.0.0.1:9200"))
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the two to match")
    parser.add_argument("--except", dest="skip", action="append", default=[], help="a productId to leave out")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        items, docs = table_items(args.endpoint, args.region), index_documents(args.opensearch)
        missing, extra, other = differences(items, docs, set(args.skip))
        if not (missing or extra or other) or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    print(f"table: {len(items)} products; index: {len(docs)} documents", end="")
    if args.skip:
        print(f" (leaving out {', '.join(args.skip)})", end="")
    if not (missing or extra or other):
        print(": in sync")
        return 0
    print(": NOT in sync")
    for label, ids in (("missing from the index", missing), ("left in the index", extra),
                       ("different in the index", other)):
        if ids:
            print(f"  {label}: {', '.join(ids[:20])}{' …' if len(ids) > 20 else ''}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
