// Calls DynamoDB through the AWS SDK for JavaScript from inside the handler: AWS_ENDPOINT_URL points back at
// eddy, so the item lands in eddy's table.
const { DynamoDBClient, PutItemCommand, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const client = new DynamoDBClient({});

exports.handler = async (event) => {
  await client.send(new PutItemCommand({
    TableName: event.table,
    Item: { pk: { S: event.key }, from: { S: 'node handler' } },
  }));
  const got = await client.send(new GetItemCommand({ TableName: event.table, Key: { pk: { S: event.key } } }));
  return { stored: got.Item.from.S };
};
