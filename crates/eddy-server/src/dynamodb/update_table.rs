//! UpdateTable: billing mode, throughput (provisioned and on-demand limits), GSIs (create/update/delete), streams,
//! deletion protection, class.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::{
    GsiUpdate, IndexSpec, Store, StreamSpecification, TableUpdate, Throughput, WarmRequest,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::create_table::{
    AttributeDefinition, ProvisionedThroughput, SecondaryIndex, WireOnDemandThroughput,
    WireStreamSpecification, billing_mode, definitions, on_demand, refuse_unsupported,
};
use super::wire::{TableReply, table_description, table_name};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexThroughputUpdate {
    index_name: String,
    provisioned_throughput: Option<ProvisionedThroughput>,
    on_demand_throughput: Option<WireOnDemandThroughput>,
    warm_throughput: Option<super::create_table::WireWarmThroughput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexName {
    index_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GsiUpdateWire {
    create: Option<SecondaryIndex>,
    update: Option<IndexThroughputUpdate>,
    delete: Option<IndexName>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    table_name: String,
    #[serde(default)]
    attribute_definitions: Vec<AttributeDefinition>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughput>,
    global_secondary_index_updates: Option<Vec<GsiUpdateWire>>,
    stream_specification: Option<WireStreamSpecification>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    replica_updates: Option<Value>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<Value>,
    on_demand_throughput: Option<WireOnDemandThroughput>,
    warm_throughput: Option<super::create_table::WireWarmThroughput>,
    multi_region_consistency: Option<Value>,
}

fn gsi_update(wire: &GsiUpdateWire) -> Result<GsiUpdate, DynamoError> {
    match (&wire.create, &wire.update, &wire.delete) {
        (Some(c), None, None) => Ok(GsiUpdate::Create(IndexSpec::from(c))),
        (None, Some(u), None) => Ok(GsiUpdate::Update {
            name: u.index_name.clone(),
            throughput: u.provisioned_throughput.as_ref().map(Throughput::from),
            on_demand: on_demand(u.on_demand_throughput.as_ref()),
            warm: u.warm_throughput.as_ref().map(WarmRequest::from),
        }),
        (None, None, Some(d)) => Ok(GsiUpdate::Delete {
            name: d.index_name.clone(),
        }),
        (None, None, None) => Err(DynamoError::validation(
            "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
        )),
        _ => Err(DynamoError::validation(
            "One or more parameter values were invalid: Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
        )),
    }
}

pub async fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = body.decode()?;
    let name = table_name(&ctx.scope, &req.table_name, "tableName")?;
    refuse_unsupported("ReplicaUpdates", req.replica_updates.is_some())?;
    refuse_unsupported("SSESpecification", req.sse_specification.is_some())?;
    refuse_unsupported(
        "MultiRegionConsistency",
        req.multi_region_consistency.is_some(),
    )?;
    let gsi_updates = match &req.global_secondary_index_updates {
        Some(list) => Some(list.iter().map(gsi_update).collect::<Result<Vec<_>, _>>()?),
        None => None,
    };
    let update = TableUpdate {
        name,
        attribute_definitions: definitions(&req.attribute_definitions),
        billing_mode: billing_mode(req.billing_mode.as_deref()),
        throughput: req.provisioned_throughput.as_ref().map(Throughput::from),
        gsi_updates,
        deletion_protection: req.deletion_protection_enabled,
        table_class: super::create_table::checked_table_class(req.table_class)?,
        on_demand: on_demand(req.on_demand_throughput.as_ref()),
        stream: req
            .stream_specification
            .as_ref()
            .map(StreamSpecification::from),
        warm: req.warm_throughput.as_ref().map(WarmRequest::from),
    };
    let table = store.update_table(&ctx.scope, update).await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"TableDescription": table_description(&table, TableReply::Updated, store.clock().now_ms())}),
    ))
}
