// product-opensearch-sync: the guide's Lambda handler, corrected. It keeps the OpenSearch index `products` in
// step with the DynamoDB table `products`: every INSERT and MODIFY (re)indexes the item's new image under its
// productId, every REMOVE deletes that document. One `_bulk` request per batch; each record whose operation
// the index refuses is reported back to Lambda by its SequenceNumber (ReportBatchItemFailures), so Lambda
// retries from the first failed record instead of the whole batch. Corrections to the guide:
//   * `batchItemFailures[].itemIdentifier` is the record's `dynamodb.SequenceNumber` (the guide's
//     `itemId: eventID` is an unknown key: Lambda treats such a response as a failure of the whole batch);
//   * images are unmarshalled with @aws-sdk/util-dynamodb, so numbers are numbers, sets become arrays, maps
//     and lists are plain objects and arrays (the guide's helper left them in DynamoDB's JSON);
//   * no `aws-sdk` (v2) import: it is not in the Node.js 18+ runtimes, and the handler does not use it.
// The index is reached at OPENSEARCH_ENDPOINT (e.g. https://search-…es.amazonaws.com or http://localhost:9200).
'use strict';

const { unmarshall } = require('@aws-sdk/util-dynamodb');
const { Client } = require('@opensearch-project/opensearch');

const INDEX = process.env.OPENSEARCH_INDEX || 'products';
const KEY = 'productId';

// enableLongNumeralSupport: integers beyond 2^53 come out of unmarshall as BigInt and are sent exactly.
const opensearchClient = new Client({
  node: process.env.OPENSEARCH_ENDPOINT,
  enableLongNumeralSupport: true,
});

// A DynamoDB image as the JSON document OpenSearch stores: unmarshall gives Sets for SS/NS/BS and
// Uint8Arrays for B, which JSON cannot carry as they are.
function toDocument(image) {
  return plain(unmarshall(image));
}

function plain(value) {
  if (value instanceof Set) return [...value].map(plain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

// The bulk request for a batch: one operation per record, in stream order (an item's changes keep their
// order). `sent[i]` is the record of the i-th operation; a record whose image cannot be turned into a document
// fails at once.
function bulkRequest(records, failed) {
  const body = [];
  const sent = [];
  for (const record of records) {
    const { eventName, dynamodb } = record;
    try {
      const id = String(unmarshall(dynamodb.Keys)[KEY]);
      if (eventName === 'INSERT' || eventName === 'MODIFY') {
        body.push({ index: { _index: INDEX, _id: id } }, toDocument(dynamodb.NewImage));
      } else if (eventName === 'REMOVE') {
        body.push({ delete: { _index: INDEX, _id: id } });
      } else {
        continue;
      }
      sent.push(record);
    } catch (error) {
      console.error('Failed to prepare record:', dynamodb.SequenceNumber, error);
      failed.push(record);
    }
  }
  return { body, sent };
}

// A bulk request refused as a whole, in a few words: "429 rejected_execution_exception", or the connection error.
function refusal(error) {
  const type = error.meta && error.meta.body && error.meta.body.error && error.meta.body.error.type;
  return type ? `${error.meta.statusCode} ${type}` : String(error.message).slice(0, 80);
}

exports.handler = async (event) => {
  const records = event.Records;
  const failed = [];
  const { body, sent } = bulkRequest(records, failed);
  const batch = records.length === 0 ? 'empty batch' : `batch of ${records.length} records, SequenceNumber ` +
    `${records[0].dynamodb.SequenceNumber}..${records[records.length - 1].dynamodb.SequenceNumber}`;

  if (body.length > 0) {
    // A request the index refuses as a whole (unreachable, overloaded) fails the invocation: Lambda retries
    // the batch, bisecting it when BisectBatchOnFunctionError is on.
    let result;
    try {
      ({ body: result } = await opensearchClient.bulk({ body }));
    } catch (error) {
      console.error(`${batch}: the index refused the bulk request: ${refusal(error)}`);
      throw error;
    }
    result.items.forEach((item, i) => {
      const [action, outcome] = Object.entries(item)[0];
      // Deleting a document that is not there is success: a retried REMOVE may find it gone already.
      const ok = outcome.status < 300 || (action === 'delete' && outcome.status === 404);
      if (!ok) {
        const record = sent[i];
        const error = outcome.error || {};
        console.error(`Failed to sync product ${outcome._id} (${record.eventName}, SequenceNumber ` +
          `${record.dynamodb.SequenceNumber}): ${outcome.status} ${error.type}: ${error.reason}`);
        failed.push(record);
      }
    });
  }

  console.log(`${batch}: ${records.length - failed.length} synced, ${failed.length} failed`);
  // Lambda resumes from the lowest SequenceNumber reported; every later record of the batch comes again.
  return {
    batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb.SequenceNumber })),
  };
};
