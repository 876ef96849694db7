#!/usr/bin/env bash
# The guide's walkthrough ("Triggering AWS Lambda from DynamoDB Streams", the products → OpenSearch example) as
# one script: the guide's AWS CLI commands, in its order, with its parameters, corrected where the guide is wrong
# (each correction is marked "correction:"). Only `--endpoint-url` is added, so the same commands run against
# eddy or, with EDDY_ENDPOINT unset and real credentials, against AWS.
#
#   OPENSEARCH_ENDPOINT=http://127.0.0.1:9200 ./walkthrough.sh          # the Node.js handler
#   HANDLER=rust OPENSEARCH_ENDPOINT=... ./walkthrough.sh              # the Rust handler
#
# Environment: EDDY_ENDPOINT (default http://127.0.0.1:4566; "aws" for AWS itself), OPENSEARCH_ENDPOINT (the
# index the function writes to; required), HANDLER (node | rust, default node), BUILD_DIR (where packages are
# built, default ./build).
# Prints the created resources as KEY=value lines on stdout (everything else goes to stderr).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

: "${OPENSEARCH_ENDPOINT:?set OPENSEARCH_ENDPOINT to the URL of the index, e.g. http://127.0.0.1:9200}"
HANDLER="${HANDLER:-node}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" AWS_PAGER=""
ENDPOINT="${EDDY_ENDPOINT:-http://127.0.0.1:4566}"
E=()
[ "$ENDPOINT" = aws ] || E=(--endpoint-url "$ENDPOINT")

TABLE=products
FUNCTION=product-opensearch-sync
ROLE=product-opensearch-sync-role
QUEUE=product-opensearch-sync-dlq

step() { printf '\n== %s\n' "$*" >&2; }
# Runs an AWS CLI command, showing it as the guide writes it (without the endpoint).
aws_() {
  printf '$ aws %s\n' "$*" >&2
  aws "${E[@]}" "$@"
}
# aws_ for a call that checks the new role: on AWS a role and its policy take a few seconds to reach Lambda,
# which meanwhile answers InvalidParameterValueException ("cannot be assumed", "Cannot access stream"); the call
# is repeated for up to a minute there. eddy sees the role at once: its answer is final.
aws_role() {
  [ "$ENDPOINT" = aws ] || { aws_ "$@"; return; }
  local out
  for _ in $(seq 20); do
    if out="$(aws_ "$@" 2>"$BUILD_DIR/aws.err")"; then
      printf '%s\n' "$out"
      return 0
    fi
    grep -q InvalidParameterValueException "$BUILD_DIR/aws.err" || break
    sleep 3
  done
  cat "$BUILD_DIR/aws.err" >&2
  return 1
}

step "0. Package the $HANDLER handler"
export BUILD_DIR="${BUILD_DIR:-$here/build}"
PACKAGE="$("$here/package.sh" "$HANDLER")"
echo "$PACKAGE" >&2

step "1. The products table (the guide starts from an existing one)"
aws_ dynamodb create-table --table-name "$TABLE" \
  --attribute-definitions AttributeName=productId,AttributeType=S \
  --key-schema AttributeName=productId,KeyType=HASH --billing-mode PAY_PER_REQUEST \
  --query TableDescription.TableArn --output text >&2
aws_ dynamodb wait table-exists --table-name "$TABLE"

step "2. Enable the stream with NEW_AND_OLD_IMAGES (guide: 'Real-World Example')"
aws_ dynamodb update-table --table-name "$TABLE" \
  --stream-specification StreamViewType=NEW_AND_OLD_IMAGES,StreamEnabled=true \
  --query TableDescription.LatestStreamArn --output text >&2
# correction: the guide pastes a made-up stream ARN; the real one (its label is the time the stream was enabled)
# comes from DescribeTable.
STREAM_ARN="$(aws_ dynamodb describe-table --table-name "$TABLE" --query Table.LatestStreamArn --output text)"
TABLE_ARN="$(aws_ dynamodb describe-table --table-name "$TABLE" --query Table.TableArn --output text)"
REGION="$(cut -d: -f4 <<<"$TABLE_ARN")"
ACCOUNT="$(cut -d: -f5 <<<"$TABLE_ARN")"
echo "stream: $STREAM_ARN" >&2

step "3. The dead-letter queue for the on-failure destination"
QUEUE_URL="$(aws_ sqs create-queue --queue-name "$QUEUE" --query QueueUrl --output text)"
DLQ_ARN="$(aws_ sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names QueueArn \
  --query Attributes.QueueArn --output text)"

step "4. The execution role and the guide's inline policy"
# correction: the guide never shows the role's trust policy; without one naming lambda.amazonaws.com, Lambda
# refuses the role ("The role defined for the function cannot be assumed by Lambda.").
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
# The guide's policy for the products example, with its placeholders filled in, plus (corrections):
#   * sqs:SendMessage on the dead-letter queue: Lambda sends discarded batches with the execution role and
#     refuses an OnFailure destination the role cannot write to;
#   * es:ESHttpPost: the handlers send one POST /_bulk per batch (the guide's per-document index/delete needed
#     only PUT and DELETE);
#   * the CloudWatch Logs actions of AWSLambdaBasicExecutionRole, without which the function writes no logs.
POLICY=$(cat <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams"
      ],
      "Resource": "arn:aws:dynamodb:$REGION:$ACCOUNT:table/$TABLE/stream/*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "es:ESHttpPut",
        "es:ESHttpDelete",
        "es:ESHttpPost"
      ],
      "Resource": "arn:aws:es:$REGION:$ACCOUNT:domain/my-opensearch-domain/*"
    },
    {
      "Effect": "Allow",
      "Action": "sqs:SendMessage",
      "Resource": "$DLQ_ARN"
    },
    {
      "Effect": "Allow",
      "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "arn:aws:logs:$REGION:$ACCOUNT:*"
    }
  ]
}
JSON
)
ROLE_ARN="$(aws_ iam create-role --role-name "$ROLE" --assume-role-policy-document "$TRUST" \
  --query Role.Arn --output text)"
aws_ iam put-role-policy --role-name "$ROLE" --policy-name product-opensearch-sync \
  --policy-document "$POLICY"

step "5. The function"
if [ "$HANDLER" = rust ]; then
  RUNTIME=(--runtime provided.al2023 --handler bootstrap)
else
  RUNTIME=(--runtime nodejs20.x --handler index.handler)
fi
aws_role lambda create-function --function-name "$FUNCTION" "${RUNTIME[@]}" --role "$ROLE_ARN" \
  --zip-file "fileb://$PACKAGE" --timeout 30 \
  --environment "Variables={OPENSEARCH_ENDPOINT=$OPENSEARCH_ENDPOINT}" \
  --query FunctionArn --output text >&2
aws_ lambda wait function-active-v2 --function-name "$FUNCTION"

step "6. The event source mapping, as the guide creates it"
UUID="$(aws_role lambda create-event-source-mapping \
  --event-source-arn "$STREAM_ARN" \
  --function-name "$FUNCTION" \
  --enabled \
  --starting-position LATEST \
  --batch-size 50 \
  --maximum-batching-window-in-seconds 5 \
  --parallelization-factor 5 \
  --query UUID --output text)"
# A mapping is "Creating" for a moment on AWS; updates are refused until it is "Enabled".
for _ in $(seq 120); do
  state="$(aws "${E[@]}" lambda get-event-source-mapping --uuid "$UUID" --query State --output text)"
  [ "$state" = Enabled ] && break
  sleep 1
done
[ "$state" = Enabled ] || { echo "mapping $UUID is $state, not Enabled" >&2; exit 1; }

step "7. Partial batch responses, bisection and an on-failure destination (guide: 'Failure Handling')"
# corrections: the guide's `--bisect-batch-on-function-error true` is refused by the CLI ("Unknown options:
# true"): boolean options take no value. And with the default MaximumRetryAttempts (-1, retry until the record
# leaves the stream 24 hours later) a product the index refuses would block its lane for a day and reach the
# dead-letter queue only then: --maximum-retry-attempts bounds that.
aws_role lambda update-event-source-mapping \
  --uuid "$UUID" \
  --function-response-types ReportBatchItemFailures \
  --bisect-batch-on-function-error \
  --maximum-retry-attempts 3 \
  --destination-config "OnFailure={Destination=$DLQ_ARN}" \
  --query '{State:State,BatchSize:BatchSize,Window:MaximumBatchingWindowInSeconds,Parallel:ParallelizationFactor,Bisect:BisectBatchOnFunctionError,Retries:MaximumRetryAttempts,Responses:FunctionResponseTypes,OnFailure:DestinationConfig.OnFailure.Destination}' \
  --output json >&2

printf 'TABLE=%s\nSTREAM_ARN=%s\nFUNCTION=%s\nMAPPING_UUID=%s\nQUEUE_URL=%s\nDLQ_ARN=%s\nROLE_ARN=%s\n' \
  "$TABLE" "$STREAM_ARN" "$FUNCTION" "$UUID" "$QUEUE_URL" "$DLQ_ARN" "$ROLE_ARN"
