//! The SNS API (query protocol: `Action=<Operation>` form posts, XML answers). Parameters are decoded into
//! the JSON input document by the shared query codec, checked against SNS's model, handled by one module per
//! group of operations, and the JSON output document is written as XML.

mod publish;
mod subscriptions;
mod tags;
mod topics;

use axum::body::Body;
use axum::http::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eddy_queue::{ErrorKind, QueueError, Queues};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::protocol::context::RequestContext;
use crate::protocol::{model, query, xml};

pub const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// The operations eddy implements.
pub const OPERATIONS: &[&str] = &[
    "ConfirmSubscription",
    "CreateTopic",
    "DeleteTopic",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "Publish",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
];

pub struct Call<'a> {
    pub queues: &'a Queues,
    pub ctx: &'a RequestContext,
}

pub fn decode<T: DeserializeOwned>(body: Value) -> Result<T, QueueError> {
    serde_json::from_value(body).map_err(|e| {
        let text = e.to_string();
        let text = text
            .rfind(" at line ")
            .map_or(text.as_str(), |p| &text[..p]);
        QueueError::invalid_parameter(text)
    })
}

/// List pages are tokens naming the last ARN answered: padded base64, as AWS's tokens are.
pub fn next_token(last: &str) -> String {
    STANDARD.encode(last)
}

pub fn token_arn(token: Option<&str>) -> Result<Option<String>, QueueError> {
    token
        .map(|t| {
            STANDARD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| QueueError::invalid_parameter("NextToken"))
        })
        .transpose()
}

async fn dispatch(call: &Call<'_>, op: &str, body: Value) -> Result<Value, QueueError> {
    if !OPERATIONS.contains(&op) {
        let message = if model::sns().has_operation(op) {
            format!("eddy does not implement the SNS operation {op}.")
        } else {
            format!("The action {op} is not valid for this endpoint.")
        };
        return Err(QueueError::new(ErrorKind::InvalidAction, message));
    }
    // A missing required member is named in SNS's own sentence; other model faults are ValidationErrors
    // (both AWS-recorded).
    if let Some(member) = model::sns().missing_required(op, &body) {
        return Err(QueueError::invalid_parameter(format!(
            "{member} Reason: no value for required parameter"
        )));
    }
    model::sns().validate(op, &body).map_err(|e| {
        QueueError::new(ErrorKind::ValidationError, e.message().unwrap_or_default())
    })?;
    check_region(call, &body)?;
    match op {
        "CreateTopic" => topics::create(call, body).await,
        "DeleteTopic" => topics::delete(call, body).await,
        "ListTopics" => topics::list(call, body),
        "GetTopicAttributes" => topics::get_attributes(call, body),
        "SetTopicAttributes" => topics::set_attribute(call, body).await,
        "Subscribe" => subscriptions::subscribe(call, body).await,
        "ConfirmSubscription" => subscriptions::confirm(call, body),
        "Unsubscribe" => subscriptions::unsubscribe(call, body).await,
        "ListSubscriptions" => subscriptions::list(call, body, false),
        "ListSubscriptionsByTopic" => subscriptions::list(call, body, true),
        "GetSubscriptionAttributes" => subscriptions::get_attributes(call, body),
        "SetSubscriptionAttributes" => subscriptions::set_attribute(call, body).await,
        "Publish" => publish::publish(call, body).await,
        "TagResource" => tags::tag(call, body).await,
        "UntagResource" => tags::untag(call, body).await,
        "ListTagsForResource" => tags::list(call, body).await,
        _ => Err(QueueError::new(
            ErrorKind::InvalidAction,
            format!("The action {op} is not valid for this endpoint."),
        )),
    }
}

/// Topics and subscriptions belong to a region: an ARN of another region is an invalid parameter, as on AWS
/// (recorded for TopicArn), whatever the topic.
fn check_region(call: &Call<'_>, body: &Value) -> Result<(), QueueError> {
    for member in ["TopicArn", "TargetArn", "SubscriptionArn"] {
        let Some(arn) = body.get(member).and_then(Value::as_str) else {
            continue;
        };
        let region = arn.split(':').nth(3);
        if arn.starts_with("arn:") && region.is_some_and(|r| r != &*call.ctx.scope.region) {
            return Err(QueueError::invalid_parameter(member));
        }
    }
    Ok(())
}

/// An SNS request.
pub async fn handle_query(
    queues: &Queues,
    ctx: &RequestContext,
    mut params: BTreeMap<String, String>,
) -> Response<Body> {
    let call = Call { queues, ctx };
    let op = params.remove("Action").unwrap_or_default();
    params.remove("Version");
    let result = match query::decode(model::sns(), &op, &params) {
        Ok(body) => dispatch(&call, &op, body).await,
        Err(e) => Err(QueueError::invalid_parameter(e.parameter)),
    };
    match result {
        Ok(value) => xml::response(
            200,
            &ctx.request_id,
            xml::render_result(model::sns(), &op, &value, &ctx.request_id, NAMESPACE),
        ),
        Err(e) => {
            if e.kind == ErrorKind::InternalError {
                tracing::error!(request_id = %ctx.request_id, "internal error: {e}");
            }
            xml::response(
                e.kind.http_status(),
                &ctx.request_id,
                xml::render_error(
                    e.kind.fault(),
                    e.kind.query_code(),
                    &e.message,
                    &ctx.request_id,
                    NAMESPACE,
                ),
            )
        }
    }
}

/// Whether a query-protocol action belongs to SNS (for unsigned requests, which name no service).
pub fn is_action(action: &str) -> bool {
    model::sns().has_operation(action)
}
