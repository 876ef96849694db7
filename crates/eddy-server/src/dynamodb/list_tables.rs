//! ListTables: names in order, paged by `ExclusiveStartTableName` / `Limit` (1–100, default 100).

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    exclusive_start_table_name: Option<String>,
    limit: Option<usize>,
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let (names, last) = store.list_tables(
        &ctx.scope,
        req.exclusive_start_table_name.as_deref(),
        req.limit.unwrap_or(100),
    );
    let mut out = Map::new();
    out.insert("TableNames".into(), json!(names));
    if let Some(last) = last {
        out.insert("LastEvaluatedTableName".into(), json!(last));
    }
    Ok(awsjson::ok(&ctx.request_id, &Value::Object(out)))
}
