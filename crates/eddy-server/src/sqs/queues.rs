//! CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue, ListDeadLetterSourceQueues.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use eddy_queue::QueueError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, decode};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    queue_name: String,
    attributes: Option<BTreeMap<String, String>>,
    #[serde(rename = "tags")]
    tags: Option<BTreeMap<String, String>>,
}

pub async fn create(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: CreateRequest = decode(body)?;
    let scope = &call.ctx.scope;
    call.queues
        .create_queue(
            scope,
            &req.queue_name,
            req.attributes.unwrap_or_default(),
            req.tags.unwrap_or_default(),
        )
        .await?;
    Ok(json!({"QueueUrl": call.queue_url(scope, &req.queue_name)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetUrlRequest {
    queue_name: String,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    owner: Option<String>,
}

pub fn get_url(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: GetUrlRequest = decode(body)?;
    let mut scope = call.ctx.scope.clone();
    if let Some(owner) = req.owner {
        scope = eddy_model::Scope::new(&owner, &scope.region);
    }
    call.queues.get_queue(&scope, &req.queue_name)?;
    Ok(json!({"QueueUrl": call.queue_url(&scope, &req.queue_name)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    queue_name_prefix: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

fn token_name(token: &str) -> Result<String, QueueError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| QueueError::invalid_parameter_value("Invalid NextToken value."))
}

/// ListQueues: at most 1000 URLs; with `MaxResults` (1–1000), pages with `NextToken`.
pub fn list(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: ListRequest = decode(body)?;
    if let Some(max) = req.max_results
        && !(1..=1000).contains(&max)
    {
        return Err(QueueError::invalid_parameter_value(format!(
            "Value {max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."
        )));
    }
    let after = req.next_token.as_deref().map(token_name).transpose()?;
    let scope = &call.ctx.scope;
    let limit = req.max_results.unwrap_or(1000) as usize;
    let (names, last) = call.queues.list_queues(
        scope,
        req.queue_name_prefix.as_deref().unwrap_or(""),
        after.as_deref(),
        limit,
    );
    let mut out = Map::new();
    if !names.is_empty() {
        let urls: Vec<String> = names.iter().map(|n| call.queue_url(scope, n)).collect();
        out.insert("QueueUrls".into(), json!(urls));
    }
    if let (Some(last), Some(_)) = (last, req.max_results) {
        out.insert("NextToken".into(), json!(URL_SAFE_NO_PAD.encode(last)));
    }
    Ok(Value::Object(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueRequest {
    queue_url: String,
}

pub async fn delete(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: QueueRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues.delete_queue(&scope, &name).await?;
    Ok(json!({}))
}

pub async fn purge(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: QueueRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues.purge_queue(&scope, &name).await?;
    Ok(json!({}))
}

pub fn dead_letter_sources(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: QueueRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    let sources = call.queues.dead_letter_source_queues(&scope, &name)?;
    let urls: Vec<String> = sources.iter().map(|(s, n)| call.queue_url(s, n)).collect();
    Ok(json!({"queueUrls": urls}))
}
