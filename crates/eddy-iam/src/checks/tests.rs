//! Lambda's execution-role checks with the policies people attach to stream consumers, and the messages of
//! the event-source-mapping spec (§4).

use serde_json::{Value, json};

use super::*;
use crate::eval::ContextValue;
use crate::policy::PolicyKind;

const STREAM: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000";
const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:orders-dlq";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders-failures";
const BUCKET: &str = "arn:aws:s3:::orders-failures";

fn policy(statements: Value) -> PolicyDocument {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    match PolicyDocument::parse(&text, PolicyKind::Inline) {
        Ok(policy) => policy,
        Err(error) => panic!("{text}: {error}"),
    }
}

fn trust(principal: Value) -> PolicyDocument {
    let text = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}}).to_string();
    match PolicyDocument::parse(&text, PolicyKind::Trust) {
        Ok(policy) => policy,
        Err(error) => panic!("{text}: {error}"),
    }
}

#[test]
fn lambda_needs_a_trust_policy_naming_it() {
    assert_eq!(
        check_lambda_can_assume(&trust(json!({"Service": "lambda.amazonaws.com"}))),
        Ok(())
    );
    assert_eq!(check_lambda_can_assume(&trust(json!("*"))), Ok(()));
    let refused = check_lambda_can_assume(&trust(json!({"Service": "ec2.amazonaws.com"})));
    assert_eq!(refused, Err(RoleNotAssumable));
    assert_eq!(
        RoleNotAssumable.to_string(),
        "The role defined for the function cannot be assumed by Lambda."
    );
}

#[test]
fn a_stream_scoped_policy_passes_the_stream_check() {
    // The execution-role statement Lambda's documentation shows for DynamoDB event sources.
    let scoped = policy(
        json!({"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/*"}),
    );
    assert_eq!(check_stream_access(&[&scoped], STREAM), Ok(()));
    let other_table =
        "arn:aws:dynamodb:us-east-1:123456789012:table/Users/stream/2024-01-01T00:00:00.000";
    let refused = check_stream_access(&[&scoped], other_table);
    assert_eq!(refused.map_err(|e| e.actions.len()), Err(4));
}

#[test]
fn a_missing_action_is_reported_with_lambdas_message() {
    let three = policy(
        json!({"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], "Resource": "*"}),
    );
    let Err(missing) = check_stream_access(&[&three], STREAM) else {
        panic!("ListStreams is not allowed");
    };
    assert_eq!(missing.actions, vec!["dynamodb:ListStreams"]);
    assert_eq!(
        missing.to_string(),
        "Cannot access stream arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000. \
         Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams \
         Actions on your stream in IAM."
    );
}

#[test]
fn a_deny_anywhere_blocks_the_stream() {
    let broad = policy(json!({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}));
    let deny = policy(
        json!({"Effect": "Deny", "Action": "dynamodb:GetRecords", "Resource": "arn:aws:dynamodb:*:*:table/Orders/*"}),
    );
    let denied = check_stream_access(&[&broad, &deny], STREAM).map_err(|e| e.actions);
    assert_eq!(denied, Err(vec!["dynamodb:GetRecords"]));
    let no_policies = check_stream_access(&[], STREAM).map_err(|e| e.actions);
    assert_eq!(no_policies, Err(STREAM_ACTIONS.to_vec()));
}

#[test]
fn the_roles_context_reaches_conditions() {
    let from_region = policy(
        json!({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}),
    );
    assert!(check_stream_access(&[&from_region], STREAM).is_err());
    let context: RequestContext = [(
        "aws:RequestedRegion".to_string(),
        vec![ContextValue::string("us-east-1")],
    )]
    .into();
    assert_eq!(
        check_stream_access_in(&[&from_region], STREAM, &context),
        Ok(())
    );
}

#[test]
fn destinations_need_their_write_action() {
    let send = policy(json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}));
    let publish = policy(
        json!({"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sns:*:123456789012:*"}),
    );
    let put = policy(
        json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": format!("{BUCKET}/*")}),
    );
    assert_eq!(check_destination_access(&[&send], QUEUE), Ok(()));
    assert_eq!(check_destination_access(&[&publish], TOPIC), Ok(()));
    assert_eq!(check_destination_access(&[&put], BUCKET), Ok(()));
    let message = |result: Result<(), DestinationDenied>| result.err().map(|e| e.to_string());
    assert_eq!(
        message(check_destination_access(&[&publish], QUEUE)).as_deref(),
        Some("The provided execution role does not have permissions to call SendMessage on SQS")
    );
    assert_eq!(
        message(check_destination_access(&[&send], TOPIC)).as_deref(),
        Some("The provided execution role does not have permissions to call Publish on SNS")
    );
    assert_eq!(
        message(check_destination_access(&[&send], BUCKET)).as_deref(),
        Some("The provided execution role does not have permissions to call PutObject on S3")
    );
    let other_queue = "arn:aws:sqs:us-east-1:123456789012:other";
    assert!(check_destination_access(&[&send], other_queue).is_err());
}

#[test]
fn destinations_are_told_apart_by_service() {
    assert_eq!(Destination::from_arn(QUEUE), Some(Destination::Sqs));
    assert_eq!(Destination::from_arn(TOPIC), Some(Destination::Sns));
    assert_eq!(Destination::from_arn(BUCKET), Some(Destination::S3));
    assert_eq!(
        Destination::from_arn("arn:aws:lambda:us-east-1:123456789012:function:f"),
        None
    );
    assert_eq!(Destination::from_arn("orders-dlq"), None);
    assert_eq!(
        check_destination_access(&[], "arn:aws:kafka:us-east-1:1:cluster/c"),
        Ok(())
    );
}
