//! `ReturnItemCollectionMetrics: SIZE`: for tables with local secondary indexes DynamoDB reports the item
//! collection (all items of one partition key) and a size estimate range in GB.

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
