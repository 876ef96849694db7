//! Query.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::value::{UncheckedAttributeMap, ValueLayer};
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{QueryInput, Select, Store};
use serde::{Deserialize, Serialize};

use super::wire::{
    ConsumedCapacity, ExpressionMembers, capacity_mode, consumed, start_key, table_name,
};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: String,
    index_name: Option<String>,
    select: Option<String>,
    limit: Option<usize>,
    consistent_read: Option<bool>,
    scan_index_forward: Option<bool>,
    exclusive_start_key: Option<UncheckedAttributeMap>,
    return_consumed_capacity: Option<String>,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<AttributeMap>>,
    pub count: usize,
    pub scanned_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<AttributeMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

impl ReadReply {
    /// The reply to a read of the table the request named `supplied` (a name or an ARN).
    pub fn new(out: eddy_store::ReadOutput, supplied: &str) -> ReadReply {
        ReadReply {
            items: out.items,
            count: out.count,
            scanned_count: out.scanned_count,
            last_evaluated_key: out.last_evaluated_key,
            consumed_capacity: consumed(out.consumed.as_ref(), supplied),
        }
    }
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let table = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let parsed = req.expressions.parse(Operation::Query)?;
    let Some(key_condition) = parsed.key_condition else {
        return Err(DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    let out = store.query(
        &ctx.scope,
        QueryInput {
            table,
            index: req.index_name,
            key_condition,
            filter: parsed.filter,
            filter_is_legacy: req.expressions.query_filter.is_some(),
            projection: parsed.projection,
            projection_is_legacy: req.expressions.attributes_to_get.is_some(),
            select: req.select.as_deref().and_then(Select::parse),
            limit: req.limit,
            forward: req.scan_index_forward.unwrap_or(true),
            exclusive_start_key: start_key(req.exclusive_start_key, ValueLayer::Current)?,
            consistent: req.consistent_read.unwrap_or(false),
            capacity: capacity_mode(req.return_consumed_capacity.as_deref()),
        },
    )?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &ReadReply::new(out, &req.table_name),
    ))
}
