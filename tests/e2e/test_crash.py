"""Crash safety: SIGKILL during concurrent writes, restart on the same data dir, and every acknowledged write is
there with exactly one stream record, in per-key order; new sequence numbers continue above the old ones."""
import threading

import pytest

from conftest import Eddy, create_table, wait_for
from test_streams import read_all, streams_client


def write_until_killed(server, table, writers=8):
    """Runs `writers` threads that put increasing versions of their own key until the server dies.
    Returns {key: highest acknowledged version}."""
    acked = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        client = server.client()
        key = f"w{n}"
        version = 0
        while not stop.is_set():
            version += 1
            try:
                client.put_item(TableName=table, Item={"pk": {"S": key}, "v": {"N": str(version)}})
            except Exception:
                return
            with lock:
                acked[key] = version

    run_until_killed(server, writer, writers, stop, lambda: sum(acked.values()) >= 400)
    return acked


def run_until_killed(server, writer, writers, stop, enough):
    """Runs `writer(n)` on `writers` threads until `enough()`, then kills the server (SIGKILL), sets `stop` and
    waits for the threads."""
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    wait_for(enough, timeout=60, message="writes to be acknowledged")
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)


@pytest.mark.parametrize("one_cpu", [False, True], ids=["all-cpus", "one-cpu"])
def test_sigkill_during_concurrent_writes_loses_nothing_acknowledged(tmp_path, table_name, one_cpu):
    data = str(tmp_path / "data")
    server = Eddy(data_dir=data, one_cpu=one_cpu).start()
    ddb = server.client()
    arn = create_table(ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})[
        "TableDescription"]["LatestStreamArn"]
    acked = write_until_killed(server, table_name)

    server = Eddy(data_dir=data).start()
    try:
        ddb = server.client()
        for key, version in acked.items():
            item = ddb.get_item(TableName=table_name, Key={"pk": {"S": key}}, ConsistentRead=True)["Item"]
            # The write in flight at the kill may or may not have landed; nothing acknowledged may be missing.
            assert int(item["v"]["N"]) >= version, f"{key}: acknowledged {version}, found {item['v']['N']}"
        records = read_all(streams_client(server), arn)
        seen = {}
        for r in records:
            key = r["dynamodb"]["Keys"]["pk"]["S"]
            seen.setdefault(key, []).append(int(r["dynamodb"]["NewImage"]["v"]["N"]))
        for key, version in acked.items():
            versions = seen[key]
            assert versions == list(range(1, len(versions) + 1)), f"{key}: one record per write, in order"
            assert len(versions) >= version
        last_seq = int(records[-1]["dynamodb"]["SequenceNumber"])
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "after-restart"}})
        newest = read_all(streams_client(server), arn)[-1]
        assert newest["dynamodb"]["Keys"]["pk"]["S"] == "after-restart"
        assert int(newest["dynamodb"]["SequenceNumber"]) > last_seq
    finally:
        server.kill()


def test_items_and_counts_survive_sigkill(tmp_path, table_name):
    data = str(tmp_path / "data")
    server = Eddy(data_dir=data).start()
    ddb = server.client()
    create_table(ddb, table_name, extra_attributes=[("g", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "KEYS_ONLY"}}])

    def item(i):
        # Every other item has the index's key (a sparse index).
        return {"pk": {"S": f"k{i}"}, "d": {"S": "x" * 200}, **({"g": {"S": f"g{i % 7}"}} if i % 2 else {})}

    for start in range(0, 500, 25):
        ddb.batch_write_item(RequestItems={table_name: [
            {"PutRequest": {"Item": item(i)}} for i in range(start, start + 25)]})
    server.kill()
    server = Eddy(data_dir=data).start()
    try:
        table = server.client().describe_table(TableName=table_name)["Table"]
        assert table["ItemCount"] == 500
        assert server.client().scan(TableName=table_name, Select="COUNT")["Count"] == 500
        assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 250
        assert server.client().scan(TableName=table_name, IndexName="by-g", Select="COUNT")["Count"] == 250
    finally:
        server.kill()


def transfer_until_killed(server, table, accounts, writers=6):
    """Runs `writers` threads that move amounts between accounts with TransactWriteItems (debit, credit, and a log
    item naming the transfer) until the server dies. Returns the ids of the acknowledged transfers."""
    acked = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        client = server.client()
        step = 0
        while not stop.is_set():
            step += 1
            source, target = (n + step) % accounts, (n + 3 * step + 1) % accounts
            if source == target:
                continue
            transfer = f"t{n}-{step}"
            amount = str(1 + step % 5)
            try:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": table, "Key": {"pk": {"S": f"a{source}"}},
                                "UpdateExpression": "SET balance = balance - :n, g = :g",
                                "ConditionExpression": "balance >= :n",
                                "ExpressionAttributeValues": {":n": {"N": amount}, ":g": {"S": transfer}}}},
                    {"Update": {"TableName": table, "Key": {"pk": {"S": f"a{target}"}},
                                "UpdateExpression": "SET balance = balance + :n REMOVE g",
                                "ExpressionAttributeValues": {":n": {"N": amount}}}},
                    {"Put": {"TableName": table, "Item": {
                        "pk": {"S": transfer}, "from": {"S": f"a{source}"}, "to": {"S": f"a{target}"},
                        "amount": {"N": amount}, "g": {"S": transfer}}}},
                ])
            except client.exceptions.TransactionCanceledException:
                continue
            except Exception:
                return
            with lock:
                acked.append(transfer)

    run_until_killed(server, writer, writers, stop, lambda: len(acked) >= 300)
    return acked


@pytest.mark.parametrize("one_cpu", [False, True], ids=["all-cpus", "one-cpu"])
def test_transactions_are_all_or_nothing_across_sigkill(tmp_path, table_name, one_cpu):
    """Every transfer either landed whole (both balances and its log item, and their index entries) or not at all;
    every acknowledged one landed. On one CPU eddy's one worker syncs the writes itself."""
    data = str(tmp_path / "data")
    accounts = 10
    server = Eddy(data_dir=data, one_cpu=one_cpu).start()
    ddb = server.client()
    create_table(ddb, table_name, extra_attributes=[("g", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for a in range(accounts):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": f"a{a}"}, "balance": {"N": "1000"}})
    acked = transfer_until_killed(server, table_name, accounts)

    server = Eddy(data_dir=data).start()
    try:
        ddb = server.client()
        items = [i for page in ddb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True)
                 for i in page["Items"]]
        balances = {i["pk"]["S"]: int(i["balance"]["N"]) for i in items if "balance" in i}
        transfers = {i["pk"]["S"]: i for i in items if "amount" in i}
        assert len(balances) == accounts
        assert set(acked) <= set(transfers), "an acknowledged transfer is missing"
        expected = {f"a{a}": 1000 for a in range(accounts)}
        for t in transfers.values():
            expected[t["from"]["S"]] -= int(t["amount"]["N"])
            expected[t["to"]["S"]] += int(t["amount"]["N"])
        assert balances == expected, "a transfer landed in part"
        indexed = {i["pk"]["S"] for page in ddb.get_paginator("scan").paginate(TableName=table_name, IndexName="by-g")
                   for i in page["Items"]}
        assert indexed == {i["pk"]["S"] for i in items if "g" in i}, "the index disagrees with the table"
        table = ddb.describe_table(TableName=table_name)["Table"]
        assert table["ItemCount"] == len(items)
        assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == len(indexed)
    finally:
        server.kill()
