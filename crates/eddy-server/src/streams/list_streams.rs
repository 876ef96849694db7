//! ListStreams.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::check_stream_arn;
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

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
    if let Some(arn) = &req.exclusive_start_stream_arn {
        check_stream_arn(ctx, arn)?;
    }
    let (streams, last) = store.list_streams(
        &ctx.scope,
        req.table_name.as_deref(),
        req.exclusive_start_stream_arn.as_deref(),
        req.limit.unwrap_or(100),
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
