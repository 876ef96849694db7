"""Global secondary indexes whose key has several partition and sort key attributes (multi-attribute keys, up to
four of each). The first test replays the paritysuite's AWS-verified file (eu-central-1, us-east-1 and eu-west-2,
October 2026): items sort by the RANGE attributes one after another, an item missing a key attribute is not in the
index, a key condition is an equality on every HASH attribute and on a gap-free run of RANGE attributes of which
only the last may carry a range condition, in any order, and a page's LastEvaluatedKey carries every key."""
import pytest

from conftest import refusal


def key_schema(hashes, ranges=()):
    return ([{"AttributeName": n, "KeyType": "HASH"} for n in hashes]
            + [{"AttributeName": n, "KeyType": "RANGE"} for n in ranges])


def create(ddb, name, definitions, hashes, ranges=(), projection=None):
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in definitions],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema(hashes, ranges),
                                 "Projection": projection or {"ProjectionType": "ALL"}}])


@pytest.fixture
def tournament(ddb, table_name):
    create(ddb, table_name, [(n, "S") for n in ["pk", "h", "a", "b", "c", "d"]], ["h"], ["a", "b", "c", "d"])
    rows = [("p1", "T", "live", "b", "r1"), ("p2", "T", "live", "a", "r2"), ("p3", "T", "live", "a", "r1"),
            ("p4", "T", "draft", "c", "r1"), ("p5", "F", "live", "a", "r0"), ("p6", "T", "live", None, "r1")]
    for pk, a, b, c, d in rows:
        item = {"pk": pk, "h": "o1", "a": a, "b": b, "c": c, "d": d}
        ddb.put_item(TableName=table_name, Item={k: {"S": v} for k, v in item.items() if v is not None})
    return table_name


VALUES = {":h": "o1", ":a": "T", ":b": "live", ":c": "a", ":d": "r", ":x": "r1", ":y": "r1"}


def query(ddb, table, condition, **extra):
    used = {k: {"S": v} for k, v in VALUES.items() if k in condition}
    return ddb.query(TableName=table, IndexName="gsi", KeyConditionExpression=condition,
                     ExpressionAttributeValues=used, **extra)


def pks(page):
    return [item["pk"]["S"] for item in page["Items"]]


def test_queries_read_a_prefix_of_the_sort_attributes_as_aws_does(ddb, tournament):
    expectations = [
        ("h = :h", {}, ["p5", "p4", "p3", "p2", "p1"]),
        ("h = :h AND a = :a", {}, ["p4", "p3", "p2", "p1"]),
        ("h = :h AND a = :a", {"ScanIndexForward": False}, ["p1", "p2", "p3", "p4"]),
        ("h = :h AND a = :a AND b = :b", {}, ["p3", "p2", "p1"]),
        ("h = :h AND a = :a AND b = :b AND c = :c", {}, ["p3", "p2"]),
        ("h = :h AND a = :a AND b = :b AND c > :c", {}, ["p1"]),
        ("h = :h AND a = :a AND b = :b AND c = :c AND begins_with(d, :d)", {}, ["p3", "p2"]),
        ("h = :h AND a = :a AND b = :b AND c = :c AND d BETWEEN :x AND :y", {}, ["p3"]),
        ("h = :h AND a = :a AND b < :b", {}, ["p4"]),
        ("b = :b AND h = :h AND a = :a", {}, ["p3", "p2", "p1"]),
    ]
    for condition, extra, expected in expectations:
        assert pks(query(ddb, tournament, condition, **extra)) == expected, condition


def test_a_page_carries_every_key_attribute_and_the_next_page_continues_it(ddb, tournament):
    first = query(ddb, tournament, "h = :h AND a = :a", Limit=2)
    assert pks(first) == ["p4", "p3"]
    assert sorted(first["LastEvaluatedKey"]) == ["a", "b", "c", "d", "h", "pk"]
    rest = query(ddb, tournament, "h = :h AND a = :a", ExclusiveStartKey=first["LastEvaluatedKey"])
    assert pks(rest) == ["p2", "p1"]
    backwards = query(ddb, tournament, "h = :h AND a = :a AND b = :b", Limit=1, ScanIndexForward=False)
    assert pks(backwards) == ["p1"]
    assert pks(query(ddb, tournament, "h = :h AND a = :a AND b = :b", ScanIndexForward=False,
                     ExclusiveStartKey=backwards["LastEvaluatedKey"])) == ["p2", "p3"]
    # A start key outside the sort-key equalities is refused, as one outside a range condition is.
    outside = dict(first["LastEvaluatedKey"], b={"S": "draft"})
    assert refusal(query, ddb=ddb, table=tournament, condition="h = :h AND a = :a AND b = :b",
                   ExclusiveStartKey=outside) == (
        "ValidationException", "The provided starting key does not match the range key predicate")


def test_legacy_key_conditions_take_as_many_conditions_as_the_key_has(ddb, tournament):
    # Legacy KeyConditions are counted against the index's key as an expression's are (moto's AWS-verified tests);
    # a key of one partition and one sort attribute still takes two at most, in the legacy words.
    def eq(value):
        return {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": value}]}
    page = ddb.query(TableName=tournament, IndexName="gsi", KeyConditions={
        "h": eq("o1"), "a": eq("T"), "b": eq("live"),
        "c": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}})
    assert pks(page) == ["p1"]
    assert refusal(ddb.query, TableName=tournament, KeyConditions={"pk": eq("p1"), "h": eq("o1"), "a": eq("T")}) == (
        "ValidationException", "Conditions can be of length 1 or 2 only")


def test_a_gap_or_a_range_condition_before_the_last_attribute_is_refused(ddb, tournament):
    def message(before, after):
        return ("ValidationException", f"RANGE key attributes {before} must have equality conditions specified in "
                                       f"the query because a condition is present on key attribute {after}")
    assert refusal(query, ddb=ddb, table=tournament, condition="h = :h AND a = :a AND c = :c") == message("b", "c")
    assert refusal(query, ddb=ddb, table=tournament,
                   condition="h = :h AND a = :a AND b > :b AND c = :c") == message("b", "c")
    assert refusal(query, ddb=ddb, table=tournament, condition="h = :h AND b = :b") == message("a", "b")
    # Not recorded from AWS: every attribute lacking its equality is named.
    assert refusal(query, ddb=ddb, table=tournament, condition="h = :h AND c = :c") == message("a, b", "c")


def test_every_partition_attribute_needs_an_equality(ddb, table_name):
    create(ddb, table_name, [("pk", "S"), ("tenant", "S"), ("year", "N"), ("month", "N"), ("day", "N")],
           ["tenant", "year"], ["month", "day"])
    for pk, tenant, year, month, day in [("a", "t1", 2026, 11, 3), ("b", "t1", 2026, 2, 10), ("c", "t1", 2026, 11, 1),
                                         ("d", "t1", 2025, 11, 1), ("e", "t2", 2026, 11, 1), ("f", "t1", 2026, 10, 30)]:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": pk}, "tenant": {"S": tenant}, "year": {"N": str(year)},
                                                 "month": {"N": str(month)}, "day": {"N": str(day)}})
    # Missing one sort attribute: not in the index.
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "g"}, "tenant": {"S": "t1"}, "year": {"N": "2026"},
                                             "month": {"N": "1"}})

    def ask(condition, **values):
        return ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression=condition,
                         ExpressionAttributeValues={f":{k}": ({"N": str(v)} if isinstance(v, int) else {"S": v})
                                                    for k, v in values.items()})

    # Numbers sort numerically within each attribute (2 before 10 and 11).
    page = ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression="tenant = :t AND #y = :y",
                     ExpressionAttributeNames={"#y": "year"},
                     ExpressionAttributeValues={":t": {"S": "t1"}, ":y": {"N": "2026"}})
    assert pks(page) == ["b", "f", "c", "a"]
    assert ddb.scan(TableName=table_name, IndexName="gsi")["Count"] == 6
    page = ddb.query(TableName=table_name, IndexName="gsi",
                     KeyConditionExpression="tenant = :t AND #y = :y AND #m = :m AND #d >= :d",
                     ExpressionAttributeNames={"#y": "year", "#m": "month", "#d": "day"},
                     ExpressionAttributeValues={":t": {"S": "t1"}, ":y": {"N": "2026"}, ":m": {"N": "11"},
                                                ":d": {"N": "2"}})
    assert pks(page) == ["a"]
    assert refusal(ask, condition="tenant = :t", t="t1") == (
        "ValidationException", "Query condition missed key schema element: year")
    assert refusal(ddb.query, TableName=table_name, IndexName="gsi",
                   KeyConditionExpression="tenant = :t AND #y > :y", ExpressionAttributeNames={"#y": "year"},
                   ExpressionAttributeValues={":t": {"S": "t1"}, ":y": {"N": "2025"}}) == (
        "ValidationException", "Query key condition not supported")
    assert refusal(ddb.query, TableName=table_name, IndexName="gsi",
                   KeyConditionExpression="tenant = :t AND #y = :y", ExpressionAttributeNames={"#y": "year"},
                   ExpressionAttributeValues={":t": {"S": "t1"}, ":y": {"S": "2026"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Condition parameter type does not match schema type")
    # A write giving a key attribute of the index the wrong type is refused, naming the attribute and index.
    assert refusal(ddb.put_item, TableName=table_name,
                   Item={"pk": {"S": "h"}, "tenant": {"S": "t1"}, "year": {"S": "2026"}}) == (
        "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key year "
                               "Expected: N Actual: S IndexName: gsi")


def test_describe_lists_the_key_in_order_and_keys_only_projects_every_key(ddb, table_name):
    create(ddb, table_name, [("pk", "S"), ("x", "S"), ("y", "B"), ("z", "N")], ["x", "y"], ["z"],
           projection={"ProjectionType": "KEYS_ONLY"})
    index = ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["KeySchema"] == key_schema(["x", "y"], ["z"])
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "1"}, "x": {"S": "x"}, "y": {"B": b"\x01"},
                                             "z": {"N": "7"}, "other": {"S": "not projected"}})
    page = ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression="x = :x AND y = :y",
                     ExpressionAttributeValues={":x": {"S": "x"}, ":y": {"B": b"\x01"}})
    assert page["Items"] == [{"pk": {"S": "1"}, "x": {"S": "x"}, "y": {"B": b"\x01"}, "z": {"N": "7"}}]


def test_key_schemas_aws_would_not_take_are_refused(ddb, table_name):
    defs = [{"AttributeName": n, "AttributeType": "S"} for n in ["pk", "a", "b", "c", "d", "e"]]

    def attempt(schema, lsi=False):
        extra = ({"LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": schema,
                                             "Projection": {"ProjectionType": "ALL"}}]} if lsi else
                 {"GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": schema,
                                              "Projection": {"ProjectionType": "ALL"}}]})
        table_key = key_schema(["pk"], ["a"] if lsi else [])
        return refusal(ddb.create_table, TableName=table_name, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=defs, KeySchema=table_key, **extra)

    assert attempt(key_schema(["a", "b", "c", "d", "e"])) == (
        "ValidationException", "Invalid KeySchema: A global secondary index key can have at most 4 HASH "
                               "KeySchemaElements, but 5 were given")
    assert attempt(key_schema(["pk"], ["a", "b", "c", "d", "e"])) == (
        "ValidationException", "Invalid KeySchema: A global secondary index key can have at most 4 RANGE "
                               "KeySchemaElements, but 5 were given")
    assert attempt(key_schema(["a"], ["b"]) + key_schema(["c"])) == (
        "ValidationException",
        "Invalid KeySchema: Every HASH KeySchemaElement must come before the RANGE KeySchemaElements")
    assert attempt(key_schema(["a", "b"], ["a"])) == (
        "ValidationException", "Invalid KeySchema: The attribute a is named by more than one KeySchemaElement")
    assert attempt(key_schema([], ["a", "b", "c"])) == (
        "ValidationException", "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    # A local secondary index keeps its two elements, refused as a constraint of the request.
    code, message = attempt(key_schema(["pk"], ["a", "b"]), lsi=True)
    assert (code, message.split(" failed to satisfy")[1]) == (
        "ValidationException", " constraint: Member must have length less than or equal to 2")
    assert ddb.list_tables()["TableNames"].count(table_name) == 0


def test_an_index_added_later_is_backfilled_and_survives_a_restart(fresh_eddy, table_name):
    ddb = fresh_eddy.client()
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=key_schema(["pk"]))
    for i, (region, rank) in enumerate([("eu", 3), ("us", 1), ("eu", 1), ("eu", 2)]):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"m{i}"}, "game": {"S": "g"}, "region": {"S": region},
                                                 "rank": {"N": str(rank)}})
    ddb.update_table(TableName=table_name, AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "game", "AttributeType": "S"},
        {"AttributeName": "region", "AttributeType": "S"}, {"AttributeName": "rank", "AttributeType": "N"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "gsi", "KeySchema": key_schema(["game", "region"],
                                                                                             ["rank"]),
                                                 "Projection": {"ProjectionType": "ALL"}}}])

    def ranked(client):
        page = client.query(TableName=table_name, IndexName="gsi", KeyConditionExpression="game = :g AND #r = :r",
                            ExpressionAttributeNames={"#r": "region"},
                            ExpressionAttributeValues={":g": {"S": "g"}, ":r": {"S": "eu"}})
        return pks(page)

    assert ranked(ddb) == ["m2", "m3", "m0"]
    fresh_eddy.kill()
    fresh_eddy.start()
    ddb = fresh_eddy.client()
    index = ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["KeySchema"] == key_schema(["game", "region"], ["rank"])
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "m9"}, "game": {"S": "g"}, "region": {"S": "eu"},
                                             "rank": {"N": "0"}})
    assert ranked(ddb) == ["m9", "m2", "m3", "m0"]


def test_the_cli_creates_and_queries_a_multi_attribute_index(eddy, table_name):
    eddy.aws("dynamodb", "create-table", "--table-name", table_name, "--billing-mode", "PAY_PER_REQUEST",
             "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=a,AttributeType=S",
             "AttributeName=b,AttributeType=S", "AttributeName=c,AttributeType=N",
             "--key-schema", "AttributeName=pk,KeyType=HASH",
             "--global-secondary-indexes",
             '[{"IndexName":"gsi","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},'
             '{"AttributeName":"b","KeyType":"HASH"},{"AttributeName":"c","KeyType":"RANGE"}],'
             '"Projection":{"ProjectionType":"ALL"}}]')
    for pk, c in [("x", "2"), ("y", "1")]:
        eddy.aws("dynamodb", "put-item", "--table-name", table_name, "--item",
                 f'{{"pk":{{"S":"{pk}"}},"a":{{"S":"A"}},"b":{{"S":"B"}},"c":{{"N":"{c}"}}}}')
    out = eddy.aws("dynamodb", "query", "--table-name", table_name, "--index-name", "gsi",
                   "--key-condition-expression", "a = :a AND b = :b",
                   "--expression-attribute-values", '{":a":{"S":"A"},":b":{"S":"B"}}')
    assert [i["pk"]["S"] for i in out["Items"]] == ["y", "x"]


def test_random_key_conditions_read_what_a_plain_filter_of_the_items_reads(ddb, table_name):
    """A model check: for a fixed seed, key conditions of every shape (equalities on a run of RANGE attributes and
    any condition on the last one), in both directions and page sizes, read exactly the indexed items a plain
    filter selects, in the order of their RANGE values."""
    import random
    from decimal import Decimal

    create(ddb, table_name, [("pk", "S"), ("h1", "S"), ("h2", "N"), ("a", "S"), ("b", "N"), ("c", "B")],
           ["h1", "h2"], ["a", "b", "c"])
    rng = random.Random(20261129)
    items = []
    for i in range(120):
        item = {"pk": {"S": f"p{i}"}, "h1": {"S": rng.choice("xy")}, "h2": {"N": str(rng.randint(-1, 1))},
                "a": {"S": rng.choice(["w", "x", "xy", "y"])}, "b": {"N": str(rng.randint(-2, 2))},
                "c": {"B": bytes([rng.randint(0, 2)])}}
        if rng.random() < 0.1:
            del item[rng.choice(["a", "b", "c"])]
        ddb.put_item(TableName=table_name, Item=item)
        items.append(item)

    def plain(value):
        kind, raw = next(iter(value.items()))
        return Decimal(raw) if kind == "N" else raw

    random_value = {"a": lambda: {"S": rng.choice(["w", "x", "xy", "y", "z"])},
                    "b": lambda: {"N": str(rng.randint(-3, 3))}, "c": lambda: {"B": bytes([rng.randint(0, 3)])}}
    tests = {"=": lambda x, v, _: x == v, "<": lambda x, v, _: x < v, "<=": lambda x, v, _: x <= v,
             ">": lambda x, v, _: x > v, ">=": lambda x, v, _: x >= v, "BETWEEN": lambda x, lo, hi: lo <= x <= hi,
             "begins_with": lambda x, v, _: x.startswith(v)}
    total = 0
    for _ in range(150):
        h1, h2 = rng.choice("xy"), str(rng.randint(-1, 1))
        clauses, values, checks = ["h1 = :h1", "h2 = :h2"], {":h1": {"S": h1}, ":h2": {"N": h2}}, []
        named = ["a", "b", "c"][:rng.randint(0, 3)]
        for position, name in enumerate(named):
            op = rng.choice(list(tests)) if position == len(named) - 1 else "="
            if op == "begins_with" and name == "b":
                op = "="
            low, high = random_value[name](), random_value[name]()
            if op == "BETWEEN" and plain(low) > plain(high):
                low, high = high, low
            values[f":{name}"] = low
            if op == "BETWEEN":
                values[f":{name}2"] = high
                clauses.append(f"{name} BETWEEN :{name} AND :{name}2")
            elif op == "begins_with":
                clauses.append(f"begins_with({name}, :{name})")
            else:
                clauses.append(f"{name} {op} :{name}")
            checks.append((name, tests[op], plain(low), plain(high)))
        rng.shuffle(clauses)
        forward, limit = rng.random() < 0.5, rng.choice([None, 1, 3, 10])
        read, start = [], {}
        while True:
            page = ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression=" AND ".join(clauses),
                             ExpressionAttributeValues=values, ScanIndexForward=forward,
                             **({"Limit": limit} if limit else {}), **start)
            read += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        expected = [i for i in items if all(k in i for k in "abc") and i["h1"]["S"] == h1
                    and i["h2"]["N"] == h2 and all(test(plain(i[n]), lo, hi) for n, test, lo, hi in checks)]
        assert sorted(i["pk"]["S"] for i in read) == sorted(i["pk"]["S"] for i in expected), clauses
        order = [tuple(plain(i[n]) for n in "abc") for i in read]
        assert order == sorted(order, reverse=not forward), clauses
        total += len(read)
    assert total > 300  # the check is not vacuous


def test_two_hash_attributes_alone_make_a_key(ddb, table_name):
    # A GSI key may have 1-4 HASH and 0-4 RANGE attributes, so two HASH attributes and no RANGE is a key
    # (Alternator's suite, run against AWS).
    create(ddb, table_name, [("pk", "S"), ("tenant", "S"), ("region", "S")], ["tenant", "region"])
    for pk, tenant, region in [("a", "t1", "eu"), ("b", "t1", "us"), ("c", "t2", "eu"), ("d", "t1", "eu")]:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": pk}, "tenant": {"S": tenant}, "region": {"S": region}})
    page = ddb.query(TableName=table_name, IndexName="gsi", KeyConditionExpression="tenant = :t AND #r = :r",
                     ExpressionAttributeNames={"#r": "region"},
                     ExpressionAttributeValues={":t": {"S": "t1"}, ":r": {"S": "eu"}})
    assert sorted(pks(page)) == ["a", "d"]
    schema = ddb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]["KeySchema"]
    assert schema == [{"AttributeName": "tenant", "KeyType": "HASH"}, {"AttributeName": "region", "KeyType": "HASH"}]
