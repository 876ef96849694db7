//! CloudWatch Logs (`X-Amz-Target: Logs_20140328.<Operation>`, AWS JSON 1.1): the read side of the log
//! groups Lambda's execution environments write — DescribeLogGroups, DescribeLogStreams, GetLogEvents,
//! FilterLogEvents — and DeleteLogGroup. Requests are checked against AWS's model; errors are
//! `{"__type":"<Code>","message":"…"}` (constraint violations are InvalidParameterException, as on AWS).

mod describe;
mod events;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use eddy_lambda::{LogStore, LogsError};
use eddy_model::DynamoError;
use serde_json::{Value, json};
use std::sync::OnceLock;

use crate::protocol::context::RequestContext;
use crate::protocol::model::ServiceModel;

pub const TARGET_PREFIX: &str = "Logs_20140328.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The CloudWatch Logs model, parsed on first use.
pub fn model() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| ServiceModel::parse(include_str!("../../models/logs.json")))
}

fn reply(status: StatusCode, request_id: &str, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(serde_json::to_vec(body).unwrap_or_default()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

fn error(request_id: &str, code: &str, message: &str) -> Response<Body> {
    reply(
        StatusCode::BAD_REQUEST,
        request_id,
        &json!({"__type": code, "message": message}),
    )
}

pub async fn handle(
    logs: &LogStore,
    ctx: &RequestContext,
    op: &str,
    body: &[u8],
) -> Response<Body> {
    let value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => v,
            Err(e) => return error(&ctx.request_id, "SerializationException", &e.to_string()),
        }
    };
    if !model().has_operation(op) {
        return error(
            &ctx.request_id,
            "UnknownOperationException",
            &format!("eddy does not implement CloudWatch Logs {op}"),
        );
    }
    if let Err(e) = model().validate(op, &value) {
        let (code, message) = match e {
            DynamoError::Validation(m) => ("InvalidParameterException", m),
            DynamoError::Serialization(m) => ("SerializationException", m),
            other => ("ServiceUnavailableException", other.to_string()),
        };
        return error(&ctx.request_id, code, &message);
    }
    let result = match op {
        "DescribeLogGroups" => describe::log_groups(logs, ctx, &value),
        "DescribeLogStreams" => describe::log_streams(logs, ctx, &value),
        "GetLogEvents" => events::get(logs, ctx, &value),
        "FilterLogEvents" => events::filter(logs, ctx, &value),
        "DeleteLogGroup" => describe::delete_log_group(logs, ctx, &value),
        _ => Err(LogsError::InvalidParameter(format!(
            "{op} is not implemented"
        ))),
    };
    match result {
        Ok(body) => reply(StatusCode::OK, &ctx.request_id, &body),
        Err(e) => error(&ctx.request_id, e.code(), e.message()),
    }
}

/// A log group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN).
pub(crate) fn group_name(value: &Value) -> Result<String, LogsError> {
    if let Some(name) = value["logGroupName"].as_str() {
        if value["logGroupIdentifier"].is_string() {
            // A ValidationException, with the same wording as the prefix/pattern conflict (AWS-recorded).
            return Err(LogsError::Validation(
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.".into(),
            ));
        }
        return Ok(name.to_string());
    }
    if let Some(id) = value["logGroupIdentifier"].as_str() {
        // arn:aws:logs:<region>:<account>:log-group:<name>[:*]
        if let Some(rest) = id.split(":log-group:").nth(1) {
            return Ok(rest.trim_end_matches(":*").to_string());
        }
        return Ok(id.to_string());
    }
    Err(LogsError::InvalidParameter(
        "Should provide either logGroupName or logGroupIdentifier.".into(),
    ))
}
