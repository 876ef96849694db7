//! TagResource, UntagResource, ListTagsForResource on topics.

use std::collections::BTreeMap;

use eddy_queue::QueueError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::topics::Tag;
use super::{Call, decode};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagRequest {
    resource_arn: String,
    tags: Vec<Tag>,
}

pub async fn tag(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: TagRequest = decode(body)?;
    let count = req.tags.len();
    let add: BTreeMap<String, String> = req.tags.into_iter().map(|t| (t.key, t.value)).collect();
    if add.len() < count {
        // AWS-recorded text.
        return Err(QueueError::invalid_parameter(
            "Duplicated keys are not allowed.",
        ));
    }
    call.queues.tag_topic(&req.resource_arn, add, &[]).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagRequest {
    resource_arn: String,
    tag_keys: Vec<String>,
}

pub async fn untag(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: UntagRequest = decode(body)?;
    call.queues
        .tag_topic(&req.resource_arn, BTreeMap::new(), &req.tag_keys)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    resource_arn: String,
}

pub async fn list(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: ListRequest = decode(body)?;
    let tags = call
        .queues
        .tag_topic(&req.resource_arn, BTreeMap::new(), &[])
        .await?;
    let tags: Vec<Value> = tags
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": tags}))
}
