// A stream consumer written against the AWS SDK for JavaScript v3 only: it lists a stream's shards, reads every
// parent shard to its end before its children (shard lineage), and prints each record's key, sequence number
// and shard as JSON lines once it has seen the expected number of records.
// Usage: node stream_consumer.mjs <endpoint> <streamArn> <expectedRecords>
import {
  DynamoDBStreamsClient,
  DescribeStreamCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
} from "@aws-sdk/client-dynamodb-streams";

const [endpoint, streamArn, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
const client = new DynamoDBStreamsClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

async function listShards() {
  const shards = [];
  let start;
  do {
    const out = await client.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
    shards.push(...out.StreamDescription.Shards);
    start = out.StreamDescription.LastEvaluatedShardId;
  } while (start);
  return shards;
}

const finished = new Set();
const iterators = new Map();
const seen = [];
const deadline = Date.now() + 30_000;

while (seen.length < expected && Date.now() < deadline) {
  const shards = await listShards();
  const known = new Set(shards.map((s) => s.ShardId));
  for (const shard of shards) {
    if (finished.has(shard.ShardId)) continue;
    // Parent before child: wait until the parent (if it is still listed) has been read to its end.
    if (shard.ParentShardId && known.has(shard.ParentShardId) && !finished.has(shard.ParentShardId)) continue;
    let iterator = iterators.get(shard.ShardId);
    if (!iterator) {
      const out = await client.send(new GetShardIteratorCommand({
        StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON",
      }));
      iterator = out.ShardIterator;
    }
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
    for (const r of out.Records) {
      seen.push({ key: r.dynamodb.Keys.pk.S, seq: r.dynamodb.SequenceNumber, shard: shard.ShardId,
                  event: r.eventName, version: r.dynamodb.NewImage?.v?.N ?? null });
    }
    if (out.NextShardIterator) {
      iterators.set(shard.ShardId, out.NextShardIterator);
    } else {
      finished.add(shard.ShardId);
      iterators.delete(shard.ShardId);
    }
  }
}
for (const r of seen) console.log(JSON.stringify(r));
if (seen.length < expected) {
  console.error(`saw ${seen.length} of ${expected} records`);
  process.exit(1);
}
