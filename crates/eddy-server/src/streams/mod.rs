//! The DynamoDB Streams API (`X-Amz-Target: DynamoDBStreams_20120810.<Operation>`): ListStreams,
//! DescribeStream, GetShardIterator, GetRecords, with the record shape of the streams model.

mod describe_stream;
mod get_records;
mod get_shard_iterator;
mod list_streams;

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde_json::Value;

use crate::protocol::context::RequestContext;
use crate::protocol::model;

pub const TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    op: &str,
    body: Value,
) -> Result<Response<Body>, DynamoError> {
    if !model::dynamodb_streams().has_operation(op) {
        return Err(DynamoError::UnknownOperation);
    }
    model::dynamodb_streams().validate(op, &body)?;
    match op {
        "ListStreams" => list_streams::handle(store, ctx, body),
        "DescribeStream" => describe_stream::handle(store, ctx, body),
        "GetShardIterator" => get_shard_iterator::handle(store, ctx, body),
        "GetRecords" => get_records::handle(store, ctx, body),
        _ => Err(DynamoError::UnknownOperation),
    }
}

/// Checks a stream ARN's form and that it belongs to the caller's scope.
pub fn check_stream_arn(ctx: &RequestContext, arn: &str) -> Result<(), DynamoError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = arn.len() >= 37
        && matches!(parts.as_slice(), ["arn", _, "dynamodb", _, _, resource] if resource.starts_with("table/") && resource.contains("/stream/"));
    if !well_formed {
        return Err(DynamoError::validation(format!("Invalid StreamArn: {arn}")));
    }
    if parts[3] != &*ctx.scope.region || parts[4] != &*ctx.scope.account {
        return Err(DynamoError::ResourceNotFound(format!(
            "Requested resource not found: Stream: {arn} not found"
        )));
    }
    Ok(())
}
