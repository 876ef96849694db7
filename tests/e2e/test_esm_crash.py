"""Event source mappings across kill -9: a mapping with four lanes consumes a stream of writes; eddy is killed in
the middle and restarted on the same data directory. Every acknowledged write reaches the handler at least once,
each key's versions arrive in order, and only batches in flight at the kill are delivered again."""
import threading

from conftest import Eddy, wait_for
from esm_support import Rig

KEYS = [f"key-{i:02d}" for i in range(16)]
LANES = 4
BATCH = 5


class Writer(threading.Thread):
    """Writes versions 0, 1, 2, … of every key in turn until told to stop or eddy goes away; remembers which
    writes were acknowledged."""

    def __init__(self, ddb, table, start=0, limit=None):
        super().__init__(daemon=True)
        self.ddb, self.table, self.version, self.limit = ddb, table, start, limit
        self.acked = []
        self.stop = threading.Event()

    def run(self):
        try:
            while not self.stop.is_set() and (self.limit is None or self.version < self.limit):
                for k in KEYS:
                    self.ddb.put_item(TableName=self.table, Item={"pk": {"S": k}, "v": {"N": str(self.version)}})
                    self.acked.append((k, self.version))
                self.version += 1
        except Exception:  # noqa: BLE001  (the kill ends the writer)
            pass


def deliveries(rig):
    """(pk, version, sequence number) in the order the handler finished them."""
    out = []
    for b in rig.batches():
        for r in b["records"]:
            out.append((r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["NewImage"]["v"]["N"]),
                        r["dynamodb"]["SequenceNumber"]))
    return out


def test_kill_9_in_the_middle_of_a_stream_of_writes_loses_nothing_and_keeps_per_key_order(tmp_path):
    data = str(tmp_path / "data")
    server = Eddy(data_dir=data).start()
    try:
        rig = Rig(server, tmp_path, "python")
        rig.control(sleepMs=15)
        rig.map(StartingPosition="TRIM_HORIZON", BatchSize=BATCH, ParallelizationFactor=LANES)
        writer = Writer(server.client(), rig.table)
        writer.start()
        wait_for(lambda: len(rig.delivered()) >= 60, timeout=30, message="deliveries before the kill")
        server.kill()
        writer.join(timeout=30)
        before_kill = len(writer.acked)
        assert before_kill >= 60

        server = Eddy(data_dir=data).start()
        rig.server, rig.ddb, rig.lam = server, server.client(), server.client("lambda")
        finisher = Writer(server.client(), rig.table, start=writer.version + 1, limit=writer.version + 3)
        finisher.run()
        acked = writer.acked + finisher.acked
        assert len(finisher.acked) == 2 * len(KEYS)

        wanted = set(acked)
        wait_for(lambda: wanted <= {(k, v) for k, v, _ in deliveries(rig)}, timeout=30,
                 message="every acknowledged write delivered")
        got = deliveries(rig)
        # Per key, versions first arrive in order; anything seen again is a replay of what came before.
        for key in KEYS:
            versions = [v for k, v, _ in got if k == key]
            firsts = list(dict.fromkeys(versions))
            assert firsts == sorted(firsts), key
        # Only the batches in flight at the kill (at most one per lane) are delivered twice.
        seqs = [s for _, _, s in got]
        duplicates = {s for s in seqs if seqs.count(s) > 1}
        assert len(duplicates) <= LANES * BATCH, len(duplicates)
        assert all(seqs.count(s) == 2 for s in duplicates)
        # What the stream holds is exactly what was delivered (a write in flight at the kill may be in both).
        assert set(rig.stream_seqs()) == set(seqs)
    finally:
        server.kill()


def test_tumbling_window_state_survives_kill_9(tmp_path):
    data = str(tmp_path / "data")
    server = Eddy(data_dir=data).start()
    try:
        rig = Rig(server, tmp_path, "node")
        uuid_ = rig.map(TumblingWindowInSeconds=900, BatchSize=2)["UUID"]
        rig.put_many([(f"w{i}", {}) for i in range(3)])
        seqs = rig.stream_seqs()
        wait_for(lambda: rig.explain(uuid_)["shards"][0]["checkpoint"] == seqs[-1], message="records done")
        assert sum(len(b["seqs"]) for b in rig.batches()) == 3
        server.kill()
        server = Eddy(data_dir=data).start()
        rig.server, rig.ddb, rig.lam = server, server.client(), server.client("lambda")
        # The explain view reads the checkpoint back from the store.
        wait_for(lambda: (v := rig.explain(uuid_))["shards"] and v["shards"][0]["checkpoint"] == seqs[-1],
                 message="the checkpoint after the restart")
        # The window ends by the server clock; its final invocation carries the state from before the kill.
        rig.clock(advanceSeconds=900)
        final = wait_for(lambda: [b for b in rig.batches() if b["extra"].get("isFinalInvokeForWindow")],
                         message="the final invocation")[0]
        assert final["extra"]["state"] == {"count": 3, "seqs": seqs}
        assert final["seqs"] == []
    finally:
        server.kill()
