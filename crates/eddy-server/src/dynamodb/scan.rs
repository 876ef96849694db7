//! Scan, including parallel scans (`Segment` / `TotalSegments`).

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::DynamoError;
use eddy_model::value::{UncheckedAttributeMap, ValueLayer};
use eddy_store::{ScanInput, Select, Store};
use serde::Deserialize;

use super::query::ReadReply;
use super::wire::{ExpressionMembers, capacity_mode, start_key, table_name};
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
    exclusive_start_key: Option<UncheckedAttributeMap>,
    return_consumed_capacity: Option<String>,
    segment: Option<u32>,
    total_segments: Option<u32>,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

fn segment(req: &Request) -> Result<Option<(u32, u32)>, DynamoError> {
    match (req.segment, req.total_segments) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(DynamoError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(DynamoError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        // The shorter text of Scan's newer checks (moto's AWS-verified tests, late October 2026); before, AWS
        // added `: Segment: s is not less than TotalSegments: t`.
        (Some(s), Some(t)) if s >= t => Err(DynamoError::validation(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments",
        )),
        (Some(s), Some(t)) => Ok(Some((s, t))),
    }
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let table = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let parsed = req.expressions.parse(Operation::Scan)?;
    let segment = segment(&req)?;
    let out = store.scan(
        &ctx.scope,
        ScanInput {
            table,
            index: req.index_name,
            filter: parsed.filter,
            projection: parsed.projection,
            projection_is_legacy: req.expressions.attributes_to_get.is_some(),
            select: req.select.as_deref().and_then(Select::parse),
            limit: req.limit,
            exclusive_start_key: start_key(req.exclusive_start_key, ValueLayer::Older)?,
            consistent: req.consistent_read.unwrap_or(false),
            segment,
            capacity: capacity_mode(req.return_consumed_capacity.as_deref()),
        },
    )?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &ReadReply::new(out, &req.table_name),
    ))
}
