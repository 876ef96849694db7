//! TransactGetItems.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{Store, TransactGetItem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::wire::{ConsumedCapacity, ExpressionMembers, capacity_mode, consumed_list, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Get {
    table_name: String,
    key: AttributeMap,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactItem {
    get: Get,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    transact_items: Vec<TransactItem>,
    return_consumed_capacity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    responses: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let mode = capacity_mode(req.return_consumed_capacity.as_deref());
    let mut gets = Vec::with_capacity(req.transact_items.len());
    for (i, item) in req.transact_items.into_iter().enumerate() {
        let parsed = item.get.expressions.parse(Operation::TransactGet)?;
        let member = format!("transactItems.{}.member.get.tableName", i + 1);
        gets.push(TransactGetItem {
            table: table_name(&ctx.scope, &item.get.table_name, &member)?,
            key: item.get.key,
            projection: parsed.projection,
        });
    }
    let (items, consumed) = store.transact_get_items(&ctx.scope, gets, mode)?;
    let responses = items
        .into_iter()
        // An item the projection leaves empty is answered as a missing one (paritysuite transactGet, ExtendDB).
        .map(|item| match item {
            Some(item) if !item.is_empty() => json!({"Item": item}),
            _ => Value::Object(Map::new()),
        })
        .collect();
    Ok(awsjson::ok(
        &ctx.request_id,
        &Reply {
            responses,
            consumed_capacity: consumed_list(&consumed, mode),
        },
    ))
}
