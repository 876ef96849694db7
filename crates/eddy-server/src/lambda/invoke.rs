//! Invoke: `POST /2015-03-31/functions/{name}/invocations[?Qualifier=]`, the body being the event.
//! `X-Amz-Invocation-Type` chooses RequestResponse (200 with the function's answer), Event (202, queued) or
//! DryRun (204); `X-Amz-Log-Type: Tail` returns the invocation's last 4 KB of log in `X-Amz-Log-Result`. A
//! failed function still answers 200, with `X-Amz-Function-Error: Unhandled` and the error JSON as body.

use axum::body::Body;
use axum::http::{HeaderValue, Response};
use base64::Engine;
use eddy_lambda::{InvocationKind, InvokeRequest, LambdaError, encode_tail};

use super::{LambdaRequest, wire};

pub async fn handle(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let kind = match req.header("x-amz-invocation-type") {
        None | Some("RequestResponse") => InvocationKind::RequestResponse,
        Some("Event") => InvocationKind::Event,
        Some("DryRun") => InvocationKind::DryRun,
        Some(other) => {
            return Err(LambdaError::InvalidParameterValue(format!(
                "Unsupported invocation type {other}"
            )));
        }
    };
    let client_context = match req.header("x-amz-client-context") {
        Some(encoded) if kind == InvocationKind::RequestResponse => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|s| serde_json::from_str::<serde_json::Value>(s).is_ok())
                .ok_or_else(|| {
                    LambdaError::InvalidRequestContent(
                        "Client context must be a valid Base64-encoded JSON object.".into(),
                    )
                })?;
            Some(decoded)
        }
        _ => None,
    };
    let outcome = req
        .lambda
        .invoke_with(
            &req.ctx.scope,
            InvokeRequest {
                function: req.label("FunctionName").to_string(),
                qualifier: req.query("Qualifier").map(str::to_string),
                payload: req.body.clone(),
                kind,
                log_tail: req.header("x-amz-log-type") == Some("Tail")
                    && kind == InvocationKind::RequestResponse,
                client_context,
            },
        )
        .await?;
    let mut response = match outcome.status_code {
        200 => wire::with_status(200, &outcome.request_id, outcome.payload.to_vec()),
        status => wire::empty(status, &outcome.request_id),
    };
    let headers = response.headers_mut();
    // Only an invocation that ran names the version it ran (DryRun: none, AWS-recorded).
    if let Ok(v) = HeaderValue::from_str(&outcome.executed_version)
        && kind == InvocationKind::RequestResponse
    {
        headers.insert("x-amz-executed-version", v);
    }
    if let Some(error) = &outcome.function_error
        && let Ok(v) = HeaderValue::from_str(error)
    {
        headers.insert("x-amz-function-error", v);
    }
    if let Some(tail) = &outcome.log_tail
        && let Ok(v) = HeaderValue::from_str(&encode_tail(tail))
    {
        headers.insert("x-amz-log-result", v);
    }
    Ok(response)
}
