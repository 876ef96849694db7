//! GetShardIterator: the four iterator types with DynamoDB's validation.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::{IteratorType, Store, parse_sequence_number};
use serde::Deserialize;
use serde_json::{Value, json};

use super::check_stream_arn;
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    stream_arn: String,
    shard_id: String,
    shard_iterator_type: String,
    sequence_number: Option<String>,
}

fn iterator_type(req: &Request) -> Result<IteratorType, DynamoError> {
    let with_number = |f: fn(u64) -> IteratorType| -> Result<IteratorType, DynamoError> {
        let Some(text) = &req.sequence_number else {
            return Err(DynamoError::validation(format!(
                "Must provide SequenceNumber for ShardIteratorType {}",
                req.shard_iterator_type
            )));
        };
        let seq = parse_sequence_number(text)
            .ok_or_else(|| DynamoError::validation(format!("Invalid SequenceNumber: {text}")))?;
        Ok(f(seq))
    };
    match req.shard_iterator_type.as_str() {
        "TRIM_HORIZON" | "LATEST" if req.sequence_number.is_some() => {
            Err(DynamoError::validation(format!(
                "Cannot provide SequenceNumber for ShardIteratorType {}",
                req.shard_iterator_type
            )))
        }
        "TRIM_HORIZON" => Ok(IteratorType::TrimHorizon),
        "LATEST" => Ok(IteratorType::Latest),
        "AT_SEQUENCE_NUMBER" => with_number(IteratorType::AtSequenceNumber),
        _ => with_number(IteratorType::AfterSequenceNumber),
    }
}

pub fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Value,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = awsjson::decode(body)?;
    check_stream_arn(ctx, &req.stream_arn)?;
    let kind = iterator_type(&req)?;
    let iterator = store.get_shard_iterator(&req.stream_arn, &req.shard_id, kind)?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"ShardIterator": iterator}),
    ))
}
