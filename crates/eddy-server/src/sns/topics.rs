//! CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes, SetTopicAttributes.

use std::collections::BTreeMap;

use eddy_queue::QueueError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, decode, next_token, token_arn};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    name: String,
    attributes: Option<BTreeMap<String, String>>,
    tags: Option<Vec<Tag>>,
    data_protection_policy: Option<String>,
}

pub async fn create(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: CreateRequest = decode(body)?;
    if req.data_protection_policy.is_some() {
        return Err(QueueError::invalid_parameter(
            "DataProtectionPolicy Reason: data protection policies are not supported by eddy",
        ));
    }
    let tags = req
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    let arn = call
        .queues
        .create_topic(
            &call.ctx.scope,
            &req.name,
            req.attributes.unwrap_or_default(),
            tags,
        )
        .await?;
    Ok(json!({"TopicArn": arn}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TopicRequest {
    topic_arn: String,
}

pub async fn delete(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: TopicRequest = decode(body)?;
    call.queues.delete_topic(&req.topic_arn).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    next_token: Option<String>,
}

/// ListTopics: 100 per page.
pub fn list(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: ListRequest = decode(body)?;
    let after = token_arn(req.next_token.as_deref())?;
    let (arns, last) = call
        .queues
        .list_topics(&call.ctx.scope, after.as_deref(), 100);
    let topics: Vec<Value> = arns.iter().map(|a| json!({"TopicArn": a})).collect();
    let mut out = Map::new();
    out.insert("Topics".into(), Value::Array(topics));
    if let Some(last) = last {
        out.insert("NextToken".into(), json!(next_token(&last)));
    }
    Ok(Value::Object(out))
}

pub fn get_attributes(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: TopicRequest = decode(body)?;
    let attributes = call.queues.get_topic_attributes(&req.topic_arn)?;
    Ok(json!({"Attributes": attributes}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetRequest {
    topic_arn: String,
    attribute_name: String,
    attribute_value: Option<String>,
}

pub async fn set_attribute(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SetRequest = decode(body)?;
    call.queues
        .set_topic_attribute(
            &req.topic_arn,
            &req.attribute_name,
            req.attribute_value.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(json!({}))
}
