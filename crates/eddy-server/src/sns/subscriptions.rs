//! Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic), Get/SetSubscriptionAttributes.

use std::collections::BTreeMap;

use eddy_queue::QueueError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, decode, next_token, token_arn};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SubscribeRequest {
    topic_arn: String,
    protocol: String,
    endpoint: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
}

/// ConfirmSubscription: eddy's subscriptions are confirmed when made (the protocols that need a confirmation
/// are refused), so no token is ever outstanding: AWS's answer to an unknown one.
pub fn confirm(_call: &Call<'_>, _body: Value) -> Result<Value, QueueError> {
    Err(QueueError::invalid_parameter("Token"))
}

pub async fn subscribe(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SubscribeRequest = decode(body)?;
    let arn = call
        .queues
        .subscribe(
            &req.topic_arn,
            &req.protocol,
            req.endpoint.as_deref(),
            req.attributes.unwrap_or_default(),
        )
        .await?;
    Ok(json!({"SubscriptionArn": arn}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SubscriptionRequest {
    subscription_arn: String,
}

pub async fn unsubscribe(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SubscriptionRequest = decode(body)?;
    call.queues.unsubscribe(&req.subscription_arn).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    topic_arn: Option<String>,
    next_token: Option<String>,
}

/// ListSubscriptions / ListSubscriptionsByTopic: 100 per page.
pub fn list(call: &Call<'_>, body: Value, by_topic: bool) -> Result<Value, QueueError> {
    let req: ListRequest = decode(body)?;
    let after = token_arn(req.next_token.as_deref())?;
    let topic = if by_topic {
        req.topic_arn.as_deref()
    } else {
        None
    };
    let (subs, last) =
        call.queues
            .list_subscriptions(&call.ctx.scope, topic, after.as_deref(), 100)?;
    let subs: Vec<Value> = subs
        .into_iter()
        .map(|s| {
            json!({
                "SubscriptionArn": s.subscription_arn,
                "Owner": s.owner,
                "Protocol": s.protocol,
                "Endpoint": s.endpoint,
                "TopicArn": s.topic_arn,
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("Subscriptions".into(), Value::Array(subs));
    if let Some(last) = last {
        out.insert("NextToken".into(), json!(next_token(&last)));
    }
    Ok(Value::Object(out))
}

pub fn get_attributes(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SubscriptionRequest = decode(body)?;
    let attributes = call
        .queues
        .get_subscription_attributes(&req.subscription_arn)?;
    Ok(json!({"Attributes": attributes}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetRequest {
    subscription_arn: String,
    attribute_name: String,
    attribute_value: Option<String>,
}

pub async fn set_attribute(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: SetRequest = decode(body)?;
    call.queues
        .set_subscription_attribute(
            &req.subscription_arn,
            &req.attribute_name,
            req.attribute_value.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(json!({}))
}
