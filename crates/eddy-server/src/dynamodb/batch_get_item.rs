//! BatchGetItem.

use super::Input;
use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{BatchGetRequest, BatchGetTable, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::wire::{ConsumedCapacity, ExpressionMembers, SuppliedNames, capacity_mode, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeysAndAttributes {
    keys: Vec<AttributeMap>,
    consistent_read: Option<bool>,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    request_items: BTreeMap<String, KeysAndAttributes>,
    return_consumed_capacity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    responses: BTreeMap<String, Vec<AttributeMap>>,
    unprocessed_keys: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// One request either projects with expressions or with `AttributesToGet`, across all its tables (DynamoDB
/// refuses a mix of the two even when each table uses only one).
fn refuse_mixed_projections(
    items: &BTreeMap<String, KeysAndAttributes>,
) -> Result<(), DynamoError> {
    let uses = |f: fn(&ExpressionMembers) -> bool| items.values().any(|r| f(&r.expressions));
    if uses(|e| e.attributes_to_get.is_some()) && uses(|e| e.projection_expression.is_some()) {
        return Err(DynamoError::validation(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        ));
    }
    Ok(())
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let mode = capacity_mode(req.return_consumed_capacity.as_deref());
    refuse_mixed_projections(&req.request_items)?;
    let mut tables = Vec::with_capacity(req.request_items.len());
    let mut echo = BTreeMap::new();
    let mut supplied = SuppliedNames::default();
    for (raw, request) in req.request_items {
        let name = table_name(&ctx.scope, &raw, "requestItems")?;
        supplied.remember(&name, raw);
        let parsed = request.expressions.parse(Operation::BatchGetItem)?;
        echo.insert(
            name.clone(),
            (
                request.expressions.projection_expression.clone(),
                request.expressions.expression_attribute_names.clone(),
                request.consistent_read,
            ),
        );
        tables.push((
            name,
            BatchGetTable {
                keys: request.keys,
                projection: parsed.projection,
                consistent: request.consistent_read.unwrap_or(false),
            },
        ));
    }
    let out = store.batch_get_item(
        &ctx.scope,
        BatchGetRequest {
            tables,
            capacity: mode,
        },
    )?;
    let mut unprocessed = BTreeMap::new();
    for (name, keys) in out.unprocessed {
        let mut entry = json!({"Keys": keys});
        if let Some((projection, names, consistent)) = echo.remove(&name) {
            if let Some(p) = projection {
                entry["ProjectionExpression"] = json!(p);
            }
            if let Some(n) = names {
                entry["ExpressionAttributeNames"] = json!(n);
            }
            if let Some(c) = consistent {
                entry["ConsistentRead"] = json!(c);
            }
        }
        unprocessed.insert(supplied.of(&name), entry);
    }
    let responses = out
        .responses
        .into_iter()
        .map(|(name, items)| (supplied.of(&name), items))
        .collect();
    Ok(awsjson::ok(
        &ctx.request_id,
        &Reply {
            responses,
            unprocessed_keys: unprocessed,
            consumed_capacity: supplied.consumed(&out.consumed, mode),
        },
    ))
}
