#!/usr/bin/env python3
"""Writes product changes to the `products` table: a deterministic mix of inserts (PutItem of a new product),
modifies (UpdateItem of price, stock, tags, nested attributes, lists) and deletes (DeleteItem), some of them
re-inserting deleted products. The same seed always gives the same changes; `--start`/`--stop` write a slice of
them, so a run can be split around other writes. Items use every type the sync must carry: strings, numbers
(decimals and integers), string and number sets, maps, lists, booleans and nulls.

    python3 changes.py --endpoint http://127.0.0.1:4566 --stop 300
"""
import argparse
import random
from decimal import Decimal

import boto3

TABLE = "products"
COLOURS = ["red", "green", "blue", "black", "white", "teal"]
TAGS = ["new", "sale", "eco", "bestseller", "gift", "limited", "outdoor", "kids"]
WORDS = ["lamp", "chair", "kettle", "backpack", "mug", "jacket", "tent", "speaker", "clock", "blanket"]
SIZES = ["S", "M", "L", "XL"]


def product_id(n):
    return f"p-{n:04d}"


def new_product(rng, pid):
    word = rng.choice(WORDS)
    item = {
        "productId": pid,
        "name": f"{rng.choice(COLOURS).title()} {word}",
        "description": f"A {word} that does what a {word} does, and does it well.",
        "price": Decimal(rng.randint(199, 99999)) / 100,
        "stock": rng.randint(0, 500),
        "tags": set(rng.sample(TAGS, rng.randint(1, 3))),
        "ratings": {Decimal(r) for r in rng.sample(range(1, 6), rng.randint(1, 3))},
        "attributes": {"colour": rng.choice(COLOURS), "weightKg": Decimal(rng.randint(1, 5000)) / 1000},
        "variants": [{"sku": f"{pid}-{s}", "size": s} for s in rng.sample(SIZES, rng.randint(1, 3))],
        "active": rng.random() < 0.9,
        "discontinuedAt": None,
    }
    return item


def changes(count, seed=7, products=80):
    """The first `count` changes for `seed`: a list of (kind, productId, request) where request is the boto3
    Table method's keyword arguments."""
    rng = random.Random(seed)
    live = set()
    out = []
    for _ in range(count):
        n = rng.randint(1, products)
        pid = product_id(n)
        roll = rng.random()
        if pid not in live:
            out.append(("INSERT", pid, {"method": "put_item", "Item": new_product(rng, pid)}))
            live.add(pid)
        elif roll < 0.15:
            out.append(("REMOVE", pid, {"method": "delete_item", "Key": {"productId": pid}}))
            live.discard(pid)
        elif roll < 0.45:
            out.append(("MODIFY", pid, {
                "method": "update_item", "Key": {"productId": pid},
                "UpdateExpression": "SET price = :p, stock = :s",
                "ExpressionAttributeValues": {":p": Decimal(rng.randint(199, 99999)) / 100,
                                              ":s": rng.randint(0, 500)}}))
        elif roll < 0.65:
            out.append(("MODIFY", pid, {
                "method": "update_item", "Key": {"productId": pid},
                "UpdateExpression": "ADD tags :t SET attributes.colour = :c",
                "ExpressionAttributeValues": {":t": {rng.choice(TAGS)}, ":c": rng.choice(COLOURS)}}))
        elif roll < 0.8:
            size = rng.choice(SIZES)
            out.append(("MODIFY", pid, {
                "method": "update_item", "Key": {"productId": pid},
                "UpdateExpression": "SET variants = list_append(variants, :v), active = :a",
                "ExpressionAttributeValues": {":v": [{"sku": f"{pid}-{size}{rng.randint(1, 9)}", "size": size}],
                                              ":a": rng.random() < 0.8}}))
        else:
            out.append(("MODIFY", pid, {"method": "put_item", "Item": new_product(rng, pid)}))
    return out


def apply(table, change):
    kind, pid, request = change
    request = dict(request)
    getattr(table, request.pop("method"))(**request)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--stop", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    table = boto3.resource("dynamodb", endpoint_url=args.endpoint, region_name=args.region,
                           aws_access_key_id="test", aws_secret_access_key="test").Table(TABLE)
    counts = {"INSERT": 0, "MODIFY": 0, "REMOVE": 0}
    for change in changes(args.stop, args.seed)[args.start:]:
        apply(table, change)
        counts[change[0]] += 1
    print(f"wrote {sum(counts.values())} changes: {counts['INSERT']} inserts, {counts['MODIFY']} modifies, "
          f"{counts['REMOVE']} deletes")


if __name__ == "__main__":
    main()
