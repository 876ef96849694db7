//! GetQueueAttributes, SetQueueAttributes.

use std::collections::BTreeMap;

use eddy_queue::QueueError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, decode};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRequest {
    queue_url: String,
    attribute_names: Option<Vec<String>>,
}

pub async fn get(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: GetRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    let attributes = call
        .queues
        .get_queue_attributes(&scope, &name, &req.attribute_names.unwrap_or_default())
        .await?;
    if attributes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    Ok(json!({"Attributes": attributes}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetRequest {
    queue_url: String,
    attributes: BTreeMap<String, String>,
}

pub async fn set(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SetRequest = decode(body)?;
    let (scope, name) = call.queue_of(&req.queue_url)?;
    call.queues
        .set_queue_attributes(&scope, &name, req.attributes)
        .await?;
    Ok(json!({}))
}
