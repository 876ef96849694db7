//! TagQueue, UntagQueue, ListQueueTags.

use std::collections::BTreeMap;

use eddy_queue::QueueError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, decode};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagRequest {
    queue_url: String,
    tags: BTreeMap<String, String>,
}

pub async fn tag(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: TagRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues.tag_queue(&scope, &name, req.tags).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagRequest {
    queue_url: String,
    tag_keys: Vec<String>,
}

pub async fn untag(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: UntagRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues
        .untag_queue(&scope, &name, &req.tag_keys)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    queue_url: String,
}

pub fn list(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: ListRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    // No tags is `"Tags": {}` in JSON (AWS-recorded), an empty result in XML.
    let tags = call.queues.list_queue_tags(&scope, &name)?;
    Ok(json!({"Tags": tags}))
}
