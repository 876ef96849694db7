//! The REST-JSON wire of the Lambda API: `x-amzn-RequestId` on every response, JSON bodies, and errors as
//! Lambda sends them — the code in `x-amzn-ErrorType`, a body `{"Type":"User","message":"…"}` (`Message` for
//! ResourceNotFoundException, no `Type` for ValidationException), `Reason` on throttles.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use eddy_lambda::LambdaError;
use serde_json::{Map, Value};

pub fn with_status(status: u16, request_id: &str, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

pub fn json(status: u16, request_id: &str, value: &Value) -> Response<Body> {
    with_status(
        status,
        request_id,
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

pub fn empty(status: u16, request_id: &str) -> Response<Body> {
    let mut response = with_status(status, request_id, Vec::new());
    response.headers_mut().remove("content-type");
    response
}

pub fn error_body(err: &LambdaError) -> Value {
    let mut body = Map::new();
    if let Some(t) = err.fault_type() {
        body.insert("Type".into(), Value::String(t.into()));
    }
    let key = if err.capitalised_message() {
        "Message"
    } else {
        "message"
    };
    body.insert(key.into(), Value::String(err.message().to_string()));
    if let LambdaError::TooManyRequests { reason, .. } = err {
        body.insert("Reason".into(), Value::String(reason.as_str().into()));
    }
    Value::Object(body)
}

pub fn error(request_id: &str, err: &LambdaError) -> Response<Body> {
    if let LambdaError::Service(m) = err {
        tracing::error!(request_id, "lambda: internal error: {m}");
    }
    let mut response = json(err.http_status(), request_id, &error_body(err));
    let headers = response.headers_mut();
    headers.insert("x-amzn-errortype", HeaderValue::from_static(err.code()));
    // A concurrency throttle carries no `Retry-After` (AWS-recorded: no `retryAfterSeconds` in the answer).
    response
}

/// Decodes `%XX` escapes (function ARNs arrive with `:` as `%3A`); `+` stays `+` in paths.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=%24LATEST` → pairs, decoded.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(
            percent_decode(
                "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af",
                false
            ),
            "arn:aws:lambda:us-east-1:000000000000:function:f"
        );
        assert_eq!(percent_decode("%24LATEST", true), "$LATEST");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(
            query_pairs(Some("Qualifier=%24LATEST&MaxItems=2")),
            vec![
                ("Qualifier".to_string(), "$LATEST".to_string()),
                ("MaxItems".to_string(), "2".to_string())
            ]
        );
    }

    #[test]
    fn not_found_uses_capital_message() {
        let body = error_body(&LambdaError::ResourceNotFound(
            "Function not found: x".into(),
        ));
        assert_eq!(body["Message"], "Function not found: x");
        assert_eq!(body["Type"], "User");
    }
}
