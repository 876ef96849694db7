//! Publish.

use std::collections::BTreeMap;

use eddy_queue::{PublishInput, QueueError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, decode};
use crate::sqs::{WireAttribute, attributes_in};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PublishRequest {
    topic_arn: Option<String>,
    target_arn: Option<String>,
    phone_number: Option<String>,
    message: String,
    subject: Option<String>,
    message_structure: Option<String>,
    message_attributes: Option<BTreeMap<String, WireAttribute>>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

pub async fn publish(call: &Call<'_>, body: Value) -> Result<Value, QueueError> {
    let req: PublishRequest = decode(body)?;
    if req.phone_number.is_some() {
        return Err(QueueError::invalid_parameter(
            "PhoneNumber Reason: eddy does not send SMS messages",
        ));
    }
    // A platform endpoint as the target: eddy has none (AWS's text for one it does not find).
    if req.topic_arn.is_none()
        && let Some(target) = &req.target_arn
        && target
            .split(':')
            .nth(5)
            .is_some_and(|r| r.starts_with("endpoint/"))
    {
        return Err(QueueError::invalid_parameter(
            "TargetArn Reason: No endpoint found for the target arn specified",
        ));
    }
    let topic_arn = req.topic_arn.or(req.target_arn);
    if topic_arn.as_deref() == Some("") {
        return Err(eddy_queue::arn_fault("TopicArn", ""));
    }
    let topic_arn = topic_arn.unwrap_or_default();
    let attributes = attributes_in(req.message_attributes)
        .map_err(|e| QueueError::new(eddy_queue::ErrorKind::ParameterValueInvalid, e.message))?;
    let id = call
        .queues
        .publish(
            &call.ctx.scope,
            PublishInput {
                topic_arn,
                message: req.message,
                subject: req.subject,
                message_structure: req.message_structure,
                message_attributes: attributes,
                message_group_id: req.message_group_id,
                message_deduplication_id: req.message_deduplication_id,
                trace_header: call.ctx.trace_header().map(str::to_string),
            },
        )
        .await?;
    Ok(json!({"MessageId": id}))
}
