//! TransactWriteItems (with `ClientRequestToken` idempotency).

use super::Input;
use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Response;
use eddy_expr::Operation;
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{Store, TransactWriteAction, TransactWriteInput};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::item_collection::{ItemCollectionMetrics, metrics_by_table};
use super::wire::{
    ConsumedCapacity, ExpressionMembers, capacity_mode, consumed_list, return_old_on_failure,
    table_name,
};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Action {
    table_name: String,
    key: Option<AttributeMap>,
    item: Option<AttributeMap>,
    return_values_on_condition_check_failure: Option<String>,
    #[serde(flatten)]
    expressions: ExpressionMembers,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactItem {
    condition_check: Option<Action>,
    put: Option<Action>,
    delete: Option<Action>,
    update: Option<Action>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    transact_items: Vec<TransactItem>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    client_request_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}

/// FNV-1a of the request's items: stable across restarts, so a retried request is recognised.
pub fn fingerprint(value: &Value) -> u64 {
    let text = value.to_string();
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One action of the request; `number` (from 1) places it in error messages (`transactItems.2.member.put.…`).
fn action(
    ctx: &RequestContext,
    number: usize,
    item: TransactItem,
) -> Result<TransactWriteAction, DynamoError> {
    let kinds = [
        item.condition_check.is_some(),
        item.put.is_some(),
        item.delete.is_some(),
        item.update.is_some(),
    ];
    match kinds.iter().filter(|&&k| k).count() {
        // As us-east-1 answers (conformance results recorded against AWS, 2026).
        0 => {
            return Err(DynamoError::validation(
                "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request",
            ));
        }
        1 => {}
        _ => {
            return Err(DynamoError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        }
    }
    let missing = |what: &str| {
        DynamoError::validation(format!(
            "1 validation error detected: Value null at 'transactItems.{number}.member.{what}' failed to satisfy constraint: Member must not be null"
        ))
    };
    let table = |name: &str, action: &str| {
        table_name(
            &ctx.scope,
            name,
            &format!("transactItems.{number}.member.{action}.tableName"),
        )
    };
    if let Some(a) = item.condition_check {
        let parsed = a.expressions.parse(Operation::TransactConditionCheck)?;
        check_values(a.key.as_ref(), &a.expressions)?;
        let condition = parsed
            .condition
            .ok_or_else(|| missing("conditionCheck.conditionExpression"))?;
        return Ok(TransactWriteAction::ConditionCheck {
            table: table(&a.table_name, "conditionCheck")?,
            key: a.key.ok_or_else(|| missing("conditionCheck.key"))?,
            condition,
            return_old_on_failure: return_old_on_failure(
                a.return_values_on_condition_check_failure.as_deref(),
            ),
        });
    }
    if let Some(a) = item.put {
        let parsed = a.expressions.parse(Operation::TransactPut)?;
        check_values(a.item.as_ref(), &a.expressions)?;
        return Ok(TransactWriteAction::Put {
            table: table(&a.table_name, "put")?,
            item: a.item.ok_or_else(|| missing("put.item"))?,
            condition: parsed.condition,
            return_old_on_failure: return_old_on_failure(
                a.return_values_on_condition_check_failure.as_deref(),
            ),
        });
    }
    if let Some(a) = item.delete {
        let parsed = a.expressions.parse(Operation::TransactDelete)?;
        check_values(a.key.as_ref(), &a.expressions)?;
        return Ok(TransactWriteAction::Delete {
            table: table(&a.table_name, "delete")?,
            key: a.key.ok_or_else(|| missing("delete.key"))?,
            condition: parsed.condition,
            return_old_on_failure: return_old_on_failure(
                a.return_values_on_condition_check_failure.as_deref(),
            ),
        });
    }
    let a = item.update.ok_or_else(|| missing("update"))?;
    let parsed = a.expressions.parse(Operation::TransactUpdate)?;
    check_values(a.key.as_ref(), &a.expressions)?;
    Ok(TransactWriteAction::Update {
        table: table(&a.table_name, "update")?,
        key: a.key.ok_or_else(|| missing("update.key"))?,
        update: parsed.update,
        condition: parsed.condition,
        return_old_on_failure: return_old_on_failure(
            a.return_values_on_condition_check_failure.as_deref(),
        ),
    })
}

/// What DynamoDB checks of an action's values after its expressions and before it looks any table up (actions
/// one at a time, in request order): no empty attribute name at the top of its item or key, nothing nested past
/// the document limit there, nor an expression value a level deeper than that (AWS, 2026-10).
fn check_values(
    attributes: Option<&AttributeMap>,
    expressions: &ExpressionMembers,
) -> Result<(), DynamoError> {
    if let Some(attributes) = attributes {
        eddy_store::check_attribute_names(attributes)?;
        eddy_store::check_nesting(attributes)?;
    }
    let too_deep = expressions
        .expression_attribute_values
        .iter()
        .flatten()
        .find(|(_, value)| eddy_store::is_too_deep_for_older_checks(value));
    match too_deep {
        Some((placeholder, _)) => Err(DynamoError::validation(
            eddy_expr::invalid_expression_value_message(eddy_store::NESTING_MESSAGE, placeholder),
        )),
        None => Ok(()),
    }
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    // The idempotency fingerprint is taken from the items as sent.
    let (fingerprint, req) = body.with_value(|value| {
        let fingerprint = fingerprint(value.get("TransactItems").unwrap_or(&Value::Null));
        let req: Request = body.decode_value(value)?;
        Ok((fingerprint, req))
    })?;
    let mode = capacity_mode(req.return_consumed_capacity.as_deref());
    let actions = req
        .transact_items
        .into_iter()
        .enumerate()
        .map(|(i, item)| action(ctx, i + 1, item))
        .collect::<Result<Vec<_>, _>>()?;
    // The collections the writes touch (a ConditionCheck writes nothing).
    let writes = actions.iter().filter_map(|a| match a {
        TransactWriteAction::Put { table, item, .. } => Some((table.as_str(), item)),
        TransactWriteAction::Delete { table, key, .. }
        | TransactWriteAction::Update { table, key, .. } => Some((table.as_str(), key)),
        TransactWriteAction::ConditionCheck { .. } => None,
    });
    let item_collection_metrics = metrics_by_table(
        store,
        ctx,
        writes,
        req.return_item_collection_metrics.as_deref(),
    );
    let consumed = store
        .transact_write_items(
            &ctx.scope,
            TransactWriteInput {
                actions,
                client_token: req.client_request_token,
                fingerprint,
                capacity: mode,
            },
        )
        .await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &Reply {
            consumed_capacity: consumed_list(&consumed, mode),
            item_collection_metrics,
        },
    ))
}
