//! UpdateTimeToLive and DescribeTimeToLive.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::json;

use super::wire::table_name;
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Specification {
    enabled: bool,
    attribute_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateRequest {
    table_name: String,
    time_to_live_specification: Specification,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    table_name: String,
}

pub async fn update(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: UpdateRequest = body.decode()?;
    let name = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let spec = req.time_to_live_specification;
    let setting = store
        .update_ttl(&ctx.scope, &name, spec.attribute_name, spec.enabled)
        .await?;
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"TimeToLiveSpecification": {"Enabled": setting.enabled, "AttributeName": setting.attribute}}),
    ))
}

pub async fn describe(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: DescribeRequest = body.decode()?;
    let name = table_name(&ctx.scope, &req.table_name, "tableName")?;
    let description = match store.describe_ttl(&ctx.scope, &name)? {
        Some(t) if t.enabled => {
            json!({"TimeToLiveStatus": "ENABLED", "AttributeName": t.attribute})
        }
        _ => json!({"TimeToLiveStatus": "DISABLED"}),
    };
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"TimeToLiveDescription": description}),
    ))
}
