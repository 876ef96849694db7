//! GetItem.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{GetItem, Store};
use serde::{Deserialize, Serialize};

use super::wire::{ConsumedCapacity, ExpressionMembers, capacity_mode, consumed, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: String,
    key: AttributeMap,
    consistent_read: Option<bool>,
    return_consumed_capacity: Option<String>,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<AttributeMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<ConsumedCapacity>,
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let table = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let parsed = req.expressions.parse(Operation::GetItem)?;
    let (item, capacity) = store.get_item(
        &ctx.scope,
        GetItem {
            table,
            key: req.key,
            projection: parsed.projection,
            consistent: req.consistent_read.unwrap_or(false),
            capacity: capacity_mode(req.return_consumed_capacity.as_deref()),
        },
    )?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &Reply {
            item,
            consumed_capacity: consumed(capacity.as_ref(), &req.table_name),
        },
    ))
}
