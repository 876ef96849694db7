// Signed calls made with the AWS SDK for JavaScript v3 (its own SigV4 implementation) against an eddy running
// with --auth iam: STS, IAM (query protocol) and DynamoDB (JSON), with good keys, a wrong secret, an unknown key
// and a role session's temporary credentials. Prints one JSON object describing what happened.
// Usage: node signed_calls.mjs <endpoint> <rootKey> <rootSecret> <roleName>
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { IAMClient, CreateRoleCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";

const [endpoint, accessKeyId, secretAccessKey, roleName] = process.argv.slice(2);
const config = (credentials) => ({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
const root = { accessKeyId, secretAccessKey };

async function errorName(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return e.name;
  }
}

const sts = new STSClient(config(root));
const identity = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
const iam = new IAMClient(config(root));
const trust = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }],
};
const role = (await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) })))
  .Role.Arn;
const listed = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles.some((r) => r.RoleName === roleName);
const tables = (await new DynamoDBClient(config(root)).send(new ListTablesCommand({}))).TableNames;
const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "js-session" }));
const session = {
  accessKeyId: assumed.Credentials.AccessKeyId,
  secretAccessKey: assumed.Credentials.SecretAccessKey,
  sessionToken: assumed.Credentials.SessionToken,
};
const sessionDenied = await errorName(new DynamoDBClient(config(session)).send(new ListTablesCommand({})));
const badSecret = await errorName(
  new STSClient(config({ accessKeyId, secretAccessKey: "wrong" })).send(new GetCallerIdentityCommand({})),
);
const unknownKey = await errorName(
  new DynamoDBClient(config({ accessKeyId: "AKIANOSUCHKEYEXAMPLE", secretAccessKey: "x" })).send(new ListTablesCommand({})),
);
console.log(JSON.stringify({
  identity, role, listed, tablesIsArray: Array.isArray(tables), assumed: assumed.AssumedRoleUser.Arn,
  sessionDenied, badSecret, unknownKey,
}));
