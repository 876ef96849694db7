//! ListStreams: up to `Limit` (1–100, as DynamoDB documents and enforces) streams of a scope, optionally of one
//! table, after `ExclusiveStartStreamArn`.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::check_stream_arn;
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

/// The most streams one page holds, and the default.
const MAX_LIMIT: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: Option<String>,
    limit: Option<usize>,
    exclusive_start_stream_arn: Option<String>,
}

pub fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Value,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = awsjson::decode(body)?;
    // The model has no upper bound; DynamoDB refuses 101 (Alternator's suite, which runs against AWS).
    if let Some(limit) = req.limit.filter(|l| *l > MAX_LIMIT) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {MAX_LIMIT}"
        )));
    }
    if let Some(arn) = &req.exclusive_start_stream_arn {
        check_stream_arn(ctx, arn)?;
    }
    let (streams, last) = store.list_streams(
        &ctx.scope,
        req.table_name.as_deref(),
        req.exclusive_start_stream_arn.as_deref(),
        req.limit.unwrap_or(MAX_LIMIT),
    );
    let mut out = Map::new();
    let list: Vec<Value> = streams
        .iter()
        .map(|s| json!({"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label}))
        .collect();
    out.insert("Streams".into(), Value::Array(list));
    if let Some(last) = last {
        out.insert("LastEvaluatedStreamArn".into(), json!(last));
    }
    Ok(awsjson::ok(&ctx.request_id, &Value::Object(out)))
}
