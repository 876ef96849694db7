//! PutItem.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{PutItem, Store};
use serde::{Deserialize, Serialize};

use super::item_collection::{ItemCollectionMetrics, metrics_for};
use super::wire::{
    ConsumedCapacity, ExpressionMembers, capacity_mode, consumed, return_old_on_failure,
    return_values, table_name,
};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: String,
    item: AttributeMap,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<AttributeMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<ConsumedCapacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_collection_metrics: Option<ItemCollectionMetrics>,
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let table = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let return_values = return_values(req.return_values.as_deref());
    let parsed =
        body.put_delete_expressions(&req.expressions, Operation::PutItem, return_values)?;
    // An empty attribute name or too deep an item is the request's own fault, reported in the envelope.
    eddy_store::check_attribute_names(&req.item)
        .and_then(|()| eddy_store::check_nesting(&req.item))
        .map_err(|e| body.envelope(e))?;
    let metrics = metrics_for(
        store,
        ctx,
        &table,
        &req.item,
        req.return_item_collection_metrics.as_deref(),
    );
    let out = store
        .put_item(
            &ctx.scope,
            PutItem {
                table,
                item: req.item,
                condition: parsed.condition,
                return_values,
                return_old_on_condition_failure: return_old_on_failure(
                    req.return_values_on_condition_check_failure.as_deref(),
                ),
                capacity: capacity_mode(req.return_consumed_capacity.as_deref()),
            },
        )
        .await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &Reply {
            attributes: out.attributes,
            consumed_capacity: consumed(out.consumed.as_ref(), &req.table_name),
            item_collection_metrics: metrics,
        },
    ))
}

#[doc(hidden)]
pub fn bench_decode(body: Input<'_>) -> usize {
    let req: Request = match body.decode() {
        Ok(r) => r,
        Err(_) => return 0,
    };
    let parsed = req.expressions.parse(Operation::PutItem).ok();
    req.item.len() + usize::from(parsed.is_some())
}
