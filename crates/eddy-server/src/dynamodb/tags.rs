//! TagResource, UntagResource, ListTagsOfResource on table ARNs.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::create_table::{Tag, checked_tag_key, checked_tags};
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagRequest {
    resource_arn: String,
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagRequest {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    resource_arn: String,
}

/// The table an ARN names, in the caller's scope.
fn table_of(ctx: &RequestContext, arn: &str) -> Result<String, DynamoError> {
    let invalid = || {
        DynamoError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    let rest = arn.strip_prefix("arn:").ok_or_else(invalid)?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [_, "dynamodb", region, account, resource] = parts.as_slice() else {
        return Err(invalid());
    };
    let name = resource.strip_prefix("table/").ok_or_else(invalid)?;
    if name.contains('/') {
        return Err(invalid());
    }
    if *region != &*ctx.scope.region || *account != &*ctx.scope.account {
        return Err(DynamoError::AccessDenied(format!(
            "User: arn:aws:iam::{}:root is not authorized to access resource {arn}",
            ctx.scope.account
        )));
    }
    Ok(name.to_string())
}

fn not_found(arn: &str) -> impl Fn(DynamoError) -> DynamoError + '_ {
    move |e| match e {
        DynamoError::ResourceNotFound(_) => DynamoError::ResourceNotFound(format!(
            "Requested resource not found: ResourcArn: {arn} not found"
        )),
        other => other,
    }
}

pub async fn tag(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: TagRequest = body.decode()?;
    let name = table_of(ctx, &req.resource_arn)?;
    let tags = checked_tags(req.tags)?;
    store
        .tag_table(&ctx.scope, &name, tags)
        .await
        .map_err(not_found(&req.resource_arn))?;
    Ok(awsjson::ok(&ctx.request_id, &Value::Object(Map::new())))
}

pub async fn untag(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: UntagRequest = body.decode()?;
    let name = table_of(ctx, &req.resource_arn)?;
    if req.tag_keys.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    let keys = req
        .tag_keys
        .into_iter()
        .map(|key| checked_tag_key(Some(key)))
        .collect::<Result<Vec<_>, _>>()?;
    store
        .untag_table(&ctx.scope, &name, keys)
        .await
        .map_err(not_found(&req.resource_arn))?;
    Ok(awsjson::ok(&ctx.request_id, &Value::Object(Map::new())))
}

pub async fn list(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: ListRequest = body.decode()?;
    let name = table_of(ctx, &req.resource_arn)?;
    let tags = store
        .table_tags(&ctx.scope, &name)
        .map_err(not_found(&req.resource_arn))?;
    let tags: Vec<Value> = tags
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(awsjson::ok(&ctx.request_id, &json!({"Tags": tags})))
}
