//! The SQS API in both of its protocols: AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Operation>`, what current
//! SDKs and the AWS CLI speak) and the query protocol (`Action=<Operation>` form posts with XML answers, what
//! older SDKs speak; also posted to the queue's URL). Both decode into the same JSON input document, checked
//! against SQS's model; each operation module answers the JSON output document, which the query protocol writes
//! as XML. Errors carry SQS's query code: in the XML `<Code>`, and in JSON as `__type` (the modeled shape name)
//! plus the `x-amzn-query-error` header that SDKs read for the code.

mod attributes;
mod messages;
mod queues;
mod tags;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eddy_model::Scope;
use eddy_queue::{AttributeValue, Attributes, ErrorKind, QueueError, Queues};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::protocol::context::RequestContext;
use crate::protocol::{awsjson, model, query, xml};

pub const TARGET_PREFIX: &str = "AmazonSQS.";
pub const NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

/// The operations eddy implements.
pub const OPERATIONS: &[&str] = &[
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "CreateQueue",
    "DeleteMessage",
    "DeleteMessageBatch",
    "DeleteQueue",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "ListQueueTags",
    "ListQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
    "SendMessageBatch",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
];

/// What an operation needs besides its input.
pub struct Call<'a> {
    pub queues: &'a Queues,
    pub ctx: &'a RequestContext,
}

impl Call<'_> {
    /// The queue a URL names: `<scheme>://<host>/<account>/<name>`. The region comes from an AWS host name
    /// (`sqs.<region>.amazonaws.com`, `<region>.queue.amazonaws.com`) or else from the request's scope.
    pub fn queue_of(&self, url: &str) -> Result<(Scope, String), QueueError> {
        let invalid = || {
            QueueError::new(
                ErrorKind::InvalidAddress,
                format!("The address {url} is not valid for this endpoint."),
            )
        };
        let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
        else {
            // A bare queue name names the caller's queue (AWS-recorded).
            let is_name = !url.is_empty()
                && url
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            return if is_name {
                Ok((self.ctx.scope.clone(), url.to_string()))
            } else {
                Err(invalid())
            };
        };
        // A URL that names no `<account>/<name>` names no queue (moto's AWS-verified tests:
        // `http://whatever-incorrect-queue-address` is NonExistentQueue).
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let [account, name] = segments.as_slice() else {
            return Err(QueueError::queue_does_not_exist());
        };
        let host = host.split(':').next().unwrap_or(host);
        let region = host
            .strip_prefix("sqs.")
            .and_then(|h| h.strip_suffix(".amazonaws.com"))
            .or_else(|| host.strip_suffix(".queue.amazonaws.com"))
            .unwrap_or(&self.ctx.scope.region);
        Ok((Scope::new(account, region), name.to_string()))
    }

    /// The URL of a queue, on the host the caller used.
    pub fn queue_url(&self, scope: &Scope, name: &str) -> String {
        let host = self.ctx.host().unwrap_or("localhost:4566");
        format!("http://{host}/{}/{name}", scope.account)
    }

    /// The sender id of messages this caller sends.
    pub fn sender_id(&self) -> String {
        self.ctx
            .access_key()
            .map_or_else(|| self.ctx.scope.account.to_string(), str::to_string)
    }
}

/// Converts a validated input document into an operation's typed request.
pub fn decode<T: DeserializeOwned>(body: Value) -> Result<T, QueueError> {
    serde_json::from_value(body).map_err(|e| {
        QueueError::invalid_parameter_value(format!(
            "Invalid request: {}",
            strip_position(&e.to_string())
        ))
    })
}

fn strip_position(text: &str) -> &str {
    text.rfind(" at line ").map_or(text, |p| &text[..p])
}

/// A message attribute value as both protocols send it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireAttribute {
    data_type: Option<String>,
    string_value: Option<String>,
    binary_value: Option<String>,
    string_list_values: Option<Vec<String>>,
    binary_list_values: Option<Vec<String>>,
}

pub fn attributes_in(
    wire: Option<BTreeMap<String, WireAttribute>>,
) -> Result<Attributes, QueueError> {
    let mut out = Attributes::new();
    for (name, v) in wire.unwrap_or_default() {
        if v.string_list_values.is_some() || v.binary_list_values.is_some() {
            return Err(QueueError::invalid_parameter_value(format!(
                "Message attribute '{name}': StringListValues and BinaryListValues are not supported."
            )));
        }
        let binary_value = match v.binary_value {
            Some(b) => Some(STANDARD.decode(b.as_bytes()).map_err(|_| {
                QueueError::invalid_parameter_value(format!(
                    "The message attribute '{name}' has an invalid binary value."
                ))
            })?),
            None => None,
        };
        out.insert(
            name,
            AttributeValue {
                data_type: v.data_type.unwrap_or_default(),
                string_value: v.string_value,
                binary_value,
            },
        );
    }
    Ok(out)
}

pub fn attributes_out(attributes: &Attributes) -> Value {
    let map: Map<String, Value> = attributes
        .iter()
        .map(|(name, v)| {
            let mut o = Map::new();
            if let Some(s) = &v.string_value {
                o.insert("StringValue".into(), json!(s));
            }
            if let Some(b) = &v.binary_value {
                o.insert("BinaryValue".into(), json!(STANDARD.encode(b)));
            }
            o.insert("DataType".into(), json!(v.data_type));
            (name.clone(), Value::Object(o))
        })
        .collect();
    Value::Object(map)
}

/// Runs one operation on a validated input document; answers its JSON output document.
async fn dispatch(call: &Call<'_>, op: &str, body: Value) -> Result<Value, QueueError> {
    if !OPERATIONS.contains(&op) {
        if model::sqs().has_operation(op) {
            return Err(QueueError::new(
                ErrorKind::UnsupportedOperation,
                format!("eddy does not implement the SQS operation {op}."),
            ));
        }
        return Err(QueueError::new(
            ErrorKind::InvalidAction,
            format!("The action {op} is not valid for this endpoint."),
        ));
    }
    let sqs = model::sqs();
    if let Some(missing) = sqs.missing_required(op, &body) {
        return Err(QueueError::missing_parameter(&missing));
    }
    sqs.validate(op, &body)
        .map_err(|e| QueueError::invalid_parameter_value(e.message().unwrap_or_default()))?;
    match op {
        "CreateQueue" => queues::create(call, body).await,
        "GetQueueUrl" => queues::get_url(call, body),
        "ListQueues" => queues::list(call, body),
        "DeleteQueue" => queues::delete(call, body).await,
        "PurgeQueue" => queues::purge(call, body).await,
        "ListDeadLetterSourceQueues" => queues::dead_letter_sources(call, body),
        "GetQueueAttributes" => attributes::get(call, body).await,
        "SetQueueAttributes" => attributes::set(call, body).await,
        "TagQueue" => tags::tag(call, body).await,
        "UntagQueue" => tags::untag(call, body).await,
        "ListQueueTags" => tags::list(call, body),
        "SendMessage" => messages::send(call, body).await,
        "SendMessageBatch" => messages::send_batch(call, body).await,
        "ReceiveMessage" => messages::receive(call, body).await,
        "DeleteMessage" => messages::delete(call, body).await,
        "DeleteMessageBatch" => messages::delete_batch(call, body).await,
        "ChangeMessageVisibility" => messages::change_visibility(call, body).await,
        "ChangeMessageVisibilityBatch" => messages::change_visibility_batch(call, body).await,
        _ => Err(QueueError::new(
            ErrorKind::InvalidAction,
            format!("The action {op} is not valid for this endpoint."),
        )),
    }
}

fn log_internal(ctx: &RequestContext, e: &QueueError) {
    if e.kind == ErrorKind::InternalError {
        tracing::error!(request_id = %ctx.request_id, "internal error: {e}");
    }
}

/// An SQS JSON-protocol request.
pub async fn handle_json(
    queues: &Queues,
    ctx: &RequestContext,
    op: &str,
    body: &[u8],
) -> Response<Body> {
    let call = Call { queues, ctx };
    let result = match awsjson::parse_body(body) {
        Ok(value) => dispatch(&call, op, value).await,
        Err(e) => Err(QueueError::invalid_parameter_value(
            e.message().unwrap_or_default(),
        )),
    };
    match result {
        Ok(value) => awsjson::ok(&ctx.request_id, &value),
        Err(e) => {
            log_internal(ctx, &e);
            json_error(&ctx.request_id, &e)
        }
    }
}

/// SQS's JSON error: `__type` names the modeled shape, `x-amzn-query-error` carries the query code.
pub fn json_error(request_id: &str, e: &QueueError) -> Response<Body> {
    let body = json!({
        "__type": format!("com.amazonaws.sqs#{}", e.kind.json_type()),
        "message": e.message,
    });
    let mut response = awsjson::ok(request_id, &body);
    *response.status_mut() =
        StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    if let Ok(v) = HeaderValue::from_str(&format!("{};{}", e.kind.query_code(), e.kind.fault())) {
        response.headers_mut().insert("x-amzn-query-error", v);
    }
    response
}

/// An SQS query-protocol request. `path` is the request path: a request posted to a queue's URL names its
/// queue by the path when it has no `QueueUrl` parameter.
pub async fn handle_query(
    queues: &Queues,
    ctx: &RequestContext,
    mut params: BTreeMap<String, String>,
    path: &str,
) -> Response<Body> {
    let call = Call { queues, ctx };
    let op = params.remove("Action").unwrap_or_default();
    params.remove("Version");
    let on_queue_url = path.trim_matches('/').split('/').count() == 2;
    // A queue's URL answers only the actions on a queue (AWS-recorded for CreateQueue and ListQueues).
    if on_queue_url && matches!(op.as_str(), "CreateQueue" | "ListQueues") {
        let e = QueueError::new(
            ErrorKind::InvalidAction,
            format!("The action {op} is not valid for this endpoint."),
        );
        return query_error(&ctx.request_id, &e);
    }
    if !params.contains_key("QueueUrl") && on_queue_url {
        let host = ctx.host().unwrap_or("localhost");
        params.insert("QueueUrl".into(), format!("http://{host}{path}"));
    }
    let result = match query::decode(model::sqs(), &op, &params) {
        Ok(body) => dispatch(&call, &op, body).await,
        Err(e) => Err(QueueError::invalid_parameter_value(format!(
            "Value {} for parameter {} is invalid. Reason: must be {}.",
            e.value,
            e.parameter,
            match e.expected {
                "integer" => "an integer",
                "boolean" => "true or false",
                _ => "a number",
            }
        ))),
    };
    match result {
        Ok(value) => xml::response(
            200,
            &ctx.request_id,
            xml::render_result(model::sqs(), &op, &value, &ctx.request_id, NAMESPACE),
        ),
        Err(e) => {
            log_internal(ctx, &e);
            query_error(&ctx.request_id, &e)
        }
    }
}

/// SQS's XML error. The query protocol still words a missing queue as it did before the JSON protocol.
pub fn query_error(request_id: &str, e: &QueueError) -> Response<Body> {
    let message = if e.kind == ErrorKind::QueueDoesNotExist {
        "The specified queue does not exist for this wsdl version."
    } else {
        &e.message
    };
    xml::response(
        e.kind.http_status(),
        request_id,
        xml::render_error(
            e.kind.fault(),
            e.kind.query_code(),
            message,
            request_id,
            NAMESPACE,
        ),
    )
}

/// Whether a query-protocol action belongs to SQS (for unsigned requests, which name no service).
pub fn is_action(action: &str) -> bool {
    model::sqs().has_operation(action)
}
