//! `ReturnItemCollectionMetrics: SIZE`: for tables with local secondary indexes DynamoDB reports the item
//! collection (all items of one partition key) and a size estimate range in GB — one for a single-item write, a
//! list per table for BatchWriteItem and TransactWriteItems.

use std::collections::BTreeMap;

use eddy_model::AttributeMap;
use eddy_store::Store;
use serde::Serialize;

use crate::protocol::context::RequestContext;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemCollectionMetrics {
    pub item_collection_key: AttributeMap,
    #[serde(rename = "SizeEstimateRangeGB")]
    pub size_estimate_range_gb: [f64; 2],
}

pub fn metrics_for(
    store: &Store,
    ctx: &RequestContext,
    table: &str,
    item_or_key: &AttributeMap,
    mode: Option<&str>,
) -> Option<ItemCollectionMetrics> {
    if mode != Some("SIZE") {
        return None;
    }
    let table = store.table_def(&ctx.scope, table)?;
    if table.def.lsis.is_empty() {
        return None;
    }
    let key = item_or_key.get(&table.def.key.hash.name)?.clone();
    Some(ItemCollectionMetrics {
        item_collection_key: [(table.def.key.hash.name.clone(), key)]
            .into_iter()
            .collect(),
        size_estimate_range_gb: [0.0, 1.0],
    })
}

/// BatchWriteItem's and TransactWriteItems' `ItemCollectionMetrics`: per table named (as the request named it),
/// the item collections its writes touched, each once, in request order. Tables without local secondary indexes
/// have none; `None` when no table has any.
pub fn metrics_by_table<'a>(
    store: &Store,
    ctx: &RequestContext,
    writes: impl Iterator<Item = (&'a str, &'a AttributeMap)>,
    mode: Option<&str>,
) -> Option<BTreeMap<String, Vec<ItemCollectionMetrics>>> {
    if mode != Some("SIZE") {
        return None;
    }
    let mut by_table: BTreeMap<String, Vec<ItemCollectionMetrics>> = BTreeMap::new();
    for (table, item_or_key) in writes {
        let Some(metrics) = metrics_for(store, ctx, table, item_or_key, mode) else {
            continue;
        };
        let collections = by_table.entry(table.to_string()).or_default();
        if !collections
            .iter()
            .any(|m| m.item_collection_key == metrics.item_collection_key)
        {
            collections.push(metrics);
        }
    }
    (!by_table.is_empty()).then_some(by_table)
}
