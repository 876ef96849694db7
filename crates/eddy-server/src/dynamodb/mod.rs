//! The DynamoDB API (`X-Amz-Target: DynamoDB_20120810.<Operation>`): one module per operation, each parsing
//! its request, calling the store and encoding the reply. Requests are first checked against AWS's model.
//! Operations DynamoDB has but eddy does not implement (PartiQL, backups, exports, global tables, …) get
//! DynamoDB's answer for an unknown operation.

mod account;
mod batch_get_item;
mod batch_write_item;
mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
mod get_item;
mod item_collection;
mod list_tables;
mod put_item;
mod query;
mod scan;
mod tags;
mod time_to_live;
mod transact_get_items;
mod transact_write_items;
mod update_item;
mod update_table;
pub mod wire;

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_model::value::{ValueLayer, decode_in};
use eddy_store::Store;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;
use crate::protocol::model;

pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// The operations eddy implements.
pub const OPERATIONS: &[&str] = &[
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeEndpoints",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTimeToLive",
    "GetItem",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "Query",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateItem",
    "UpdateTable",
    "UpdateTimeToLive",
];

/// Which of DynamoDB's two layers of value checks an operation runs (they word bad numbers and repeated set
/// members differently; see [`ValueLayer`]). Transactions run the older layer in us-east-1 (eu-west-2 has moved
/// them to the current one).
fn value_layer(op: &str) -> ValueLayer {
    match op {
        "BatchWriteItem" | "TransactWriteItems" | "TransactGetItems" | "Scan" => ValueLayer::Older,
        _ => ValueLayer::Current,
    }
}

/// A request body on its way to an operation's typed request.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    op: &'a str,
    bytes: &'a [u8],
}

impl Input<'_> {
    /// The operation's typed request. A valid body (the common case) is decoded straight from its bytes while
    /// it is checked against the model (`ServiceModel::decode_checked`); any other takes the full path —
    /// parse, validate against the model, decode — which words every error as DynamoDB does. Both paths give
    /// the same request.
    pub fn decode<T: DeserializeOwned + Send>(self) -> Result<T, DynamoError> {
        let layer = value_layer(self.op);
        if let Some(request) = decode_in(layer, || {
            model::dynamodb().decode_checked(self.op, self.bytes)
        }) {
            debug_assert!(
                self.value().is_ok(),
                "the checked decode accepted a {} body the model rejects",
                self.op
            );
            return Ok(request);
        }
        if self.is_deep() {
            return awsjson::with_deep_stack(|| self.decode_value(self.value()?));
        }
        self.decode_value(self.value()?)
    }

    /// The operation's typed request from its body, already parsed and checked against the model.
    pub fn decode_value<T: DeserializeOwned>(self, value: Value) -> Result<T, DynamoError> {
        decode_in(self.value_layer(), || awsjson::decode(value)).map_err(|e| self.envelope(e))
    }

    /// Whether the body nests deeper than eddy's JSON reader reads by default (an attribute value nested about
    /// 62 levels or more). DynamoDB reads such a request differently: its single-item operations answer in
    /// the older forms (the older value checks, no envelope), as recorded in eu-west-2 and us-east-1
    /// (paritysuite, 2026-10-09). Only slow paths ask (it scans the body).
    fn is_deep(self) -> bool {
        awsjson::json_depth(self.bytes) > awsjson::READER_DEPTH_LIMIT
    }

    fn value_layer(self) -> ValueLayer {
        if self.is_deep() {
            ValueLayer::Older
        } else {
            value_layer(self.op)
        }
    }

    /// An error of the request's own content (not of the table it names) as this operation reports it:
    /// PutItem, UpdateItem and DeleteItem wrap theirs in the `1 validation error detected: ` envelope
    /// (recorded against AWS in eu-west-2 and us-east-1, 2026-10) unless the body is deep; the other
    /// operations report them bare.
    pub fn envelope(self, error: DynamoError) -> DynamoError {
        match error {
            DynamoError::Validation(message)
                if matches!(self.op, "PutItem" | "UpdateItem" | "DeleteItem")
                    && !self.is_deep() =>
            {
                DynamoError::Validation(format!("1 validation error detected: {message}"))
            }
            other => other,
        }
    }

    /// PutItem's or DeleteItem's expressions, parsed, and its `ReturnValues` (ALL_OLD or NONE): the values'
    /// nesting is checked before `ReturnValues`, except in a deep body, where `ReturnValues` comes first (as
    /// recorded for DeleteItem in eu-west-2 and us-east-1, paritysuite 2026-10-09); faults in the envelope.
    pub fn put_delete_expressions(
        self,
        expressions: &wire::ExpressionMembers,
        operation: eddy_expr::Operation,
        return_values: eddy_store::ReturnValues,
    ) -> Result<eddy_expr::ParsedExpressions, DynamoError> {
        let parsed = expressions.parse(operation).map_err(|e| self.envelope(e))?;
        // Which fault comes first matters only when both are there (so the body is scanned only then).
        let fault = match (
            expressions.check_value_nesting(),
            return_values.check_put_delete(),
        ) {
            (Ok(()), Ok(())) => return Ok(parsed),
            (Err(_), Err(return_values)) if self.is_deep() => return_values,
            (Err(fault), _) | (Ok(()), Err(fault)) => fault,
        };
        Err(self.envelope(fault))
    }

    /// A single-item write's expressions, parsed, with their values held to the nesting limit; faults in the
    /// envelope.
    pub fn write_expressions(
        self,
        expressions: &wire::ExpressionMembers,
        operation: eddy_expr::Operation,
    ) -> Result<eddy_expr::ParsedExpressions, DynamoError> {
        let parsed = expressions.parse(operation).map_err(|e| self.envelope(e))?;
        expressions
            .check_value_nesting()
            .map_err(|e| self.envelope(e))?;
        Ok(parsed)
    }

    /// Runs `f` on the body as JSON, validated against the operation's model; a deep body on a thread whose
    /// stack holds its recursion.
    pub fn with_value<T: Send>(
        self,
        f: impl FnOnce(Value) -> Result<T, DynamoError> + Send,
    ) -> Result<T, DynamoError> {
        if self.is_deep() {
            awsjson::with_deep_stack(|| f(self.value()?))
        } else {
            f(self.value()?)
        }
    }

    /// The body as JSON, validated against the operation's model.
    pub(super) fn value(self) -> Result<Value, DynamoError> {
        let value = awsjson::parse_deep_body(self.bytes)?;
        let reading = if self.is_deep() {
            model::Reading::Deep
        } else {
            model::Reading::Current
        };
        model::dynamodb().validate_as(self.op, &value, reading)?;
        Ok(value)
    }
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    op: &str,
    bytes: &[u8],
) -> Result<Response<Body>, DynamoError> {
    let body = Input { op, bytes };
    if !OPERATIONS.contains(&op) {
        // A body that is not JSON is reported first.
        awsjson::parse_body(bytes)?;
        return Err(DynamoError::UnknownOperation);
    }
    match op {
        "BatchGetItem" => batch_get_item::handle(store, ctx, body).await,
        "BatchWriteItem" => batch_write_item::handle(store, ctx, body).await,
        "CreateTable" => create_table::handle(store, ctx, body).await,
        "DeleteItem" => delete_item::handle(store, ctx, body).await,
        "DeleteTable" => delete_table::handle(store, ctx, body).await,
        "DescribeEndpoints" => body.value().and_then(|_| account::describe_endpoints(ctx)),
        "DescribeLimits" => body.value().and_then(|_| account::describe_limits(ctx)),
        "DescribeTable" => describe_table::handle(store, ctx, body).await,
        "DescribeTimeToLive" => time_to_live::describe(store, ctx, body).await,
        "GetItem" => get_item::handle(store, ctx, body).await,
        "ListTables" => list_tables::handle(store, ctx, body).await,
        "ListTagsOfResource" => tags::list(store, ctx, body).await,
        "PutItem" => put_item::handle(store, ctx, body).await,
        "Query" => query::handle(store, ctx, body).await,
        "Scan" => scan::handle(store, ctx, body).await,
        "TagResource" => tags::tag(store, ctx, body).await,
        "TransactGetItems" => transact_get_items::handle(store, ctx, body).await,
        "TransactWriteItems" => transact_write_items::handle(store, ctx, body).await,
        "UntagResource" => tags::untag(store, ctx, body).await,
        "UpdateItem" => update_item::handle(store, ctx, body).await,
        "UpdateTable" => update_table::handle(store, ctx, body).await,
        "UpdateTimeToLive" => time_to_live::update(store, ctx, body).await,
        _ => Err(DynamoError::UnknownOperation),
    }
}

/// For the codec micro-benchmark: PutItem's decoding (the pre-checked path) and expression parsing.
#[doc(hidden)]
pub fn bench_decode_put(bytes: &[u8]) -> usize {
    put_item::bench_decode(Input {
        op: "PutItem",
        bytes,
    })
}
