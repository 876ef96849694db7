//! DeleteTable: the reply describes the table as `DELETING`; the table is gone at once.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::json;

use super::wire::{TableReply, table_description, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: String,
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let name = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let table = store.delete_table(&ctx.scope, &name).await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"TableDescription": table_description(&table, TableReply::Deleting, store.clock().now_ms())}),
    ))
}
