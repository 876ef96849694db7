//! BatchWriteItem.

use super::Input;
use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Response;
use eddy_model::{AttributeMap, DynamoError};
use eddy_store::{BatchWriteRequest, Store, WriteRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::item_collection::{ItemCollectionMetrics, metrics_by_table};
use super::wire::{ConsumedCapacity, SuppliedNames, capacity_mode, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRequest {
    item: AttributeMap,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key: AttributeMap,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireWriteRequest {
    put_request: Option<PutRequest>,
    delete_request: Option<DeleteRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    request_items: BTreeMap<String, Vec<WireWriteRequest>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    unprocessed_items: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}

fn write_request(w: WireWriteRequest) -> Result<WriteRequest, DynamoError> {
    match (w.put_request, w.delete_request) {
        (Some(p), None) => {
            eddy_store::check_attribute_names(&p.item)?;
            eddy_store::check_nesting(&p.item)?;
            Ok(WriteRequest::Put(p.item))
        }
        (None, Some(d)) => {
            eddy_store::check_attribute_names(&d.key)?;
            Ok(WriteRequest::Delete(d.key))
        }
        _ => Err(DynamoError::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        )),
    }
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let mode = capacity_mode(req.return_consumed_capacity.as_deref());
    let mut tables = Vec::with_capacity(req.request_items.len());
    let mut supplied = SuppliedNames::default();
    for (raw, requests) in req.request_items {
        let name = table_name(&ctx.scope, &raw, "requestItems")?;
        supplied.remember(&name, raw);
        let requests = requests
            .into_iter()
            .map(write_request)
            .collect::<Result<Vec<_>, _>>()?;
        tables.push((name, requests));
    }
    let writes = tables.iter().flat_map(|(name, requests)| {
        requests.iter().map(move |r| match r {
            WriteRequest::Put(item) => (name.as_str(), item),
            WriteRequest::Delete(key) => (name.as_str(), key),
        })
    });
    // Keyed by the table as the request named it (a name or an ARN), as ConsumedCapacity is.
    let item_collection_metrics = metrics_by_table(
        store,
        ctx,
        writes,
        req.return_item_collection_metrics.as_deref(),
    )
    .map(|by_table| {
        by_table
            .into_iter()
            .map(|(table, metrics)| (supplied.of(&table), metrics))
            .collect()
    });
    let out = store
        .batch_write_item(
            &ctx.scope,
            BatchWriteRequest {
                tables,
                capacity: mode,
            },
        )
        .await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &Reply {
            unprocessed_items: BTreeMap::new(),
            consumed_capacity: supplied.consumed(&out.consumed, mode),
            item_collection_metrics,
        },
    ))
}
