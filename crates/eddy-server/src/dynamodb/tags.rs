//! TagResource, UntagResource, ListTagsOfResource on table ARNs.

use super::Input;
use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::Store;
use serde::Deserialize;
use serde_json::{Value, json};

use super::create_table::{MAX_TAGS, Tag, checked_tag_key, checked_tags, too_many_tags};
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

/// The table an ARN names, in the caller's scope; ARNs of anything else are refused as DynamoDB refuses them.
fn table_of(ctx: &RequestContext, arn: &str) -> Result<String, DynamoError> {
    let malformed = || {
        DynamoError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    let Some(rest) = arn.strip_prefix("arn:") else {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: ARNs must start with 'arn:': {arn}"
        )));
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [_, service, region, account, resource] = parts.as_slice() else {
        return Err(malformed());
    };
    if *service != "dynamodb" {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: {arn}"
        )));
    }
    // Another account's ARN is denied before its region is looked at, as DynamoDB does.
    if *account != &*ctx.scope.account {
        return Err(DynamoError::AccessDenied(format!(
            "User: arn:aws:iam::{}:root is not authorized to access resource {arn}",
            ctx.scope.account
        )));
    }
    if *region != &*ctx.scope.region {
        return Err(malformed());
    }
    let name = resource.strip_prefix("table/").ok_or_else(malformed)?;
    match name.split_once('/') {
        None => Ok(name.to_string()),
        Some((_, rest)) if rest.starts_with("index/") => Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
        ))),
        // Streams carry no tags in eddy.
        Some((_, rest)) if rest.starts_with("stream/") => Err(not_found_error(arn)),
        Some(_) => Err(malformed()),
    }
}

fn not_found_error(arn: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: ResourceArn: {arn} not found"
    ))
}

fn not_found(arn: &str) -> impl Fn(DynamoError) -> DynamoError + '_ {
    move |e| match e {
        DynamoError::ResourceNotFound(_) => not_found_error(arn),
        other => other,
    }
}

/// TagResource and UntagResource answer with an empty body, not `{}` (Alternator's suite, run against AWS).
fn empty_answer(ctx: &RequestContext) -> Response<Body> {
    awsjson::ok_bytes(&ctx.request_id, Vec::new())
}

pub async fn tag(
    store: &Store,
    ctx: &RequestContext,
    body: Input<'_>,
) -> Result<Response<Body>, DynamoError> {
    let req: TagRequest = body.decode()?;
    let name = table_of(ctx, &req.resource_arn)?;
    if req.tags.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    let tags = checked_tags(req.tags)?;
    store
        .tag_table(&ctx.scope, &name, tags)
        .await
        .map_err(not_found(&req.resource_arn))?;
    Ok(empty_answer(ctx))
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
    if req.tag_keys.len() > MAX_TAGS {
        return Err(too_many_tags());
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
    Ok(empty_answer(ctx))
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
