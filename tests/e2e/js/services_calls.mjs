// Lambda, event source mappings, SQS, SNS and CloudWatch Logs driven by the AWS SDK for JavaScript v3 only: the
// SDK's own parsers and checks (SQS's MD5 checks of bodies and attributes among them) read eddy's answers. A Node.js
// handler that uses the SDK its runtime provides (eddy's --lambda-node-modules) carries stream records to a queue.
// Usage: node services_calls.mjs <endpoint> <handler zip> ; prints "ok" and exits 0 when every check holds.
import assert from "node:assert/strict";
import fs from "node:fs";
import {
  LambdaClient, CreateFunctionCommand, GetFunctionCommand, InvokeCommand, PublishVersionCommand,
  CreateAliasCommand, ListVersionsByFunctionCommand, ListFunctionsCommand, GetAccountSettingsCommand,
  CreateEventSourceMappingCommand, GetEventSourceMappingCommand, ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand, DeleteEventSourceMappingCommand, ResourceNotFoundException,
} from "@aws-sdk/client-lambda";
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, GetQueueAttributesCommand, SendMessageCommand,
  SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand, ListQueuesCommand, PurgeQueueCommand, QueueDoesNotExist,
} from "@aws-sdk/client-sqs";
import {
  SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, ListTopicsCommand,
  ListSubscriptionsByTopicCommand, GetTopicAttributesCommand, UnsubscribeCommand, DeleteTopicCommand,
  NotFoundException,
} from "@aws-sdk/client-sns";
import { CloudWatchLogsClient, FilterLogEventsCommand, DescribeLogStreamsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, CreateTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";

const [endpoint, zipPath] = process.argv.slice(2);
const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const lambda = new LambdaClient(config);
const sqs = new SQSClient(config);
const sns = new SNSClient(config);
const logs = new CloudWatchLogsClient(config);
const ddb = new DynamoDBClient(config);
const suffix = Date.now().toString(36);

async function rejects(promise, errorClass) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof errorClass, `expected ${errorClass.name}, got ${e.name}: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${errorClass.name}`);
}

async function receiveOne(queueUrl, options = {}) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, ...options }));
    if (out.Messages && out.Messages.length) return out.Messages[0];
  }
  assert.fail(`no message arrived on ${queueUrl}`);
}

// ---- SQS ------------------------------------------------------------------------------------------------------
const queueName = `js-queue-${suffix}`;
const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl, queueUrl);
const { Attributes: attributes } = await sqs.send(
  new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }));
const queueArn = attributes.QueueArn;
assert.match(queueArn, /^arn:aws:sqs:us-east-1:\d{12}:js-queue-/);
assert.equal(attributes.VisibilityTimeout, "30");
// The SDK checks MD5OfMessageBody and MD5OfMessageAttributes of every send and receive.
const sent = await sqs.send(new SendMessageCommand({
  QueueUrl: queueUrl,
  MessageBody: "héllo from js",
  MessageAttributes: {
    color: { DataType: "String", StringValue: "blue" },
    count: { DataType: "Number", StringValue: "42" },
    blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
  },
}));
assert.ok(sent.MessageId && sent.MD5OfMessageBody && sent.MD5OfMessageAttributes);
const got = await receiveOne(queueUrl, { MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] });
assert.equal(got.Body, "héllo from js");
assert.equal(got.MessageAttributes.count.StringValue, "42");
assert.deepEqual([...got.MessageAttributes.blob.BinaryValue], [0, 1, 2, 255]);
assert.equal(got.Attributes.ApproximateReceiveCount, "1");
await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: got.ReceiptHandle, VisibilityTimeout: 0 }));
const again = await receiveOne(queueUrl);
await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: again.ReceiptHandle }));
const batch = await sqs.send(new SendMessageBatchCommand({
  QueueUrl: queueUrl,
  Entries: [
    { Id: "a", MessageBody: "one", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } },
    { Id: "b", MessageBody: "two" },
  ],
}));
assert.deepEqual(batch.Successful.map((e) => e.Id).sort(), ["a", "b"]);
assert.equal((batch.Failed ?? []).length, 0);
const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
const deleted = await sqs.send(new DeleteMessageBatchCommand({
  QueueUrl: queueUrl,
  Entries: first.Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
}));
assert.equal(deleted.Successful.length, first.Messages.length);
await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
assert.ok((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "js-queue-" }))).QueueUrls.includes(queueUrl));
await rejects(sqs.send(new GetQueueUrlCommand({ QueueName: `missing-${suffix}` })), QueueDoesNotExist);

// ---- SNS ------------------------------------------------------------------------------------------------------
const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: `js-topic-${suffix}` }));
const { SubscriptionArn: subscriptionArn } = await sns.send(new SubscribeCommand({
  TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "true" },
  ReturnSubscriptionArn: true,
}));
assert.ok(subscriptionArn.startsWith(topicArn + ":"));
const published = await sns.send(new PublishCommand({
  TopicArn: topicArn, Message: "through sns", MessageAttributes: { kind: { DataType: "String", StringValue: "raw" } },
}));
assert.ok(published.MessageId);
const delivered = await receiveOne(queueUrl, { MessageAttributeNames: ["All"] });
assert.equal(delivered.Body, "through sns");
assert.equal(delivered.MessageAttributes.kind.StringValue, "raw");
await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: delivered.ReceiptHandle }));
assert.ok((await sns.send(new ListTopicsCommand({}))).Topics.some((t) => t.TopicArn === topicArn));
const subscriptions = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
assert.deepEqual(subscriptions.Subscriptions.map((s) => s.Protocol), ["sqs"]);
const topicAttributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes;
assert.equal(topicAttributes.SubscriptionsConfirmed, "1");
await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
await rejects(sns.send(new PublishCommand({ TopicArn: topicArn, Message: "gone" })), NotFoundException);

// ---- Lambda ---------------------------------------------------------------------------------------------------
const functionName = `js-fn-${suffix}`;
const created = await lambda.send(new CreateFunctionCommand({
  FunctionName: functionName, Runtime: "nodejs20.x", Handler: "index.handler", Timeout: 20,
  Role: "arn:aws:iam::000000000000:role/js-role", Code: { ZipFile: fs.readFileSync(zipPath) },
  Environment: { Variables: { QUEUE_URL: queueUrl } },
}));
assert.equal(created.State, "Active");
const fn = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
assert.equal(fn.Configuration.FunctionArn, created.FunctionArn);
assert.equal(typeof fn.Code.Location, "string");
const invoked = await lambda.send(new InvokeCommand({
  FunctionName: functionName, LogType: "Tail", Payload: new TextEncoder().encode(JSON.stringify({ ping: 1 })),
}));
assert.equal(invoked.StatusCode, 200);
assert.equal(invoked.ExecutedVersion, "$LATEST");
assert.equal(invoked.FunctionError, undefined);
assert.deepEqual(JSON.parse(new TextDecoder().decode(invoked.Payload)), { pong: 1 });
assert.match(Buffer.from(invoked.LogResult, "base64").toString(), /START RequestId: /);
const failed = await lambda.send(new InvokeCommand({
  FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify({ fail: true })),
}));
assert.equal(failed.FunctionError, "Unhandled");
assert.equal(JSON.parse(new TextDecoder().decode(failed.Payload)).errorMessage, "asked to fail");
assert.equal((await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: "Event" }))).StatusCode, 202);
const version = await lambda.send(new PublishVersionCommand({ FunctionName: functionName }));
assert.equal(version.Version, "1");
const alias = await lambda.send(new CreateAliasCommand({ FunctionName: functionName, Name: "live", FunctionVersion: "1" }));
assert.ok(alias.AliasArn.endsWith(`:${functionName}:live`));
const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName }));
assert.deepEqual(versions.Versions.map((v) => v.Version), ["$LATEST", "1"]);
assert.ok((await lambda.send(new ListFunctionsCommand({}))).Functions.some((f) => f.FunctionName === functionName));
const settings = await lambda.send(new GetAccountSettingsCommand({}));
assert.ok(settings.AccountUsage.FunctionCount >= 1);
await rejects(lambda.send(new GetFunctionCommand({ FunctionName: `missing-${suffix}` })), ResourceNotFoundException);

// ---- an event source mapping: stream records reach the handler, which sends them on with the provided SDK -------
const tableName = `js-table-${suffix}`;
const table = await ddb.send(new CreateTableCommand({
  TableName: tableName, BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
}));
const streamArn = table.TableDescription.LatestStreamArn;
const mapping = await lambda.send(new CreateEventSourceMappingCommand({
  FunctionName: `${functionName}:live`, EventSourceArn: streamArn, StartingPosition: "LATEST", BatchSize: 1,
  FunctionResponseTypes: ["ReportBatchItemFailures"],
}));
assert.equal(mapping.State, "Creating");
assert.ok(mapping.LastModified instanceof Date);
const enabled = async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }))).State;
for (let i = 0; i < 200 && (await enabled()) !== "Enabled"; i++) await new Promise((r) => setTimeout(r, 50));
assert.equal(await enabled(), "Enabled");
await ddb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: "from-the-table" } } }));
const forwarded = await receiveOne(queueUrl);
assert.deepEqual(JSON.parse(forwarded.Body), { pk: "from-the-table", eventName: "INSERT" });
const listed = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: streamArn }));
assert.deepEqual(listed.EventSourceMappings.map((m) => m.UUID), [mapping.UUID]);
const disabled = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }));
assert.equal(disabled.State, "Disabling");
assert.equal((await lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }))).State, "Deleting");

// ---- CloudWatch Logs ------------------------------------------------------------------------------------------
const logGroupName = `/aws/lambda/${functionName}`;
const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName }));
assert.ok(streams.logStreams.length >= 1);
const events = await logs.send(new FilterLogEventsCommand({ logGroupName, filterPattern: "REPORT" }));
assert.ok(events.events.some((e) => e.message.startsWith("REPORT RequestId: ")));

console.log("ok");
