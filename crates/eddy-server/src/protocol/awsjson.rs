//! The AWS JSON 1.0 protocol (DynamoDB, DynamoDB Streams): bodies in and out, `x-amzn-RequestId` and
//! `x-amz-crc32` on every response (botocore verifies the checksum), and error bodies with `__type` and message
//! spelled as DynamoDB spells them.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE as CONTENT_TYPE_HEADER, SERVER};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use eddy_model::value::split_deserialize_error;
use eddy_model::{AttributeMap, DynamoError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
pub(crate) const CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");

/// Parses a request body; an empty body means "no members".
pub fn parse_body(bytes: &[u8]) -> Result<Value, DynamoError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| malformed(&e))
}

/// How deep serde_json reads by default: bodies nested deeper take [`parse_deep_body`].
pub const READER_DEPTH_LIMIT: usize = 128;
/// The deepest body eddy reads at all (about 255 attribute levels, far past DynamoDB's 32).
pub const MAX_BODY_DEPTH: usize = 512;

/// Whether a body parse failed only on the reader's nesting limit.
fn is_depth_error(error: &serde_json::Error) -> bool {
    error.to_string().starts_with("recursion limit exceeded")
}

/// How deeply arrays and objects nest in a JSON text (strings skipped), read without recursion.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Parses a DynamoDB request body of any depth. DynamoDB reads bodies nested past the 128 levels of eddy's
/// JSON reader (an attribute value nested about 62 levels or more) and answers them with its nesting error or
/// an earlier fault, so they are read here too: without the reader's limit, on a thread with a stack sized for
/// it. A body nested past [`MAX_BODY_DEPTH`] is refused with the nesting error unread.
pub fn parse_deep_body(bytes: &[u8]) -> Result<Value, DynamoError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(e) if is_depth_error(&e) => {
            if json_depth(bytes) > MAX_BODY_DEPTH {
                return Err(DynamoError::Validation(
                    eddy_model::value::NESTING_MESSAGE.to_string(),
                ));
            }
            with_deep_stack(|| {
                let mut reader = serde_json::Deserializer::from_slice(bytes);
                reader.disable_recursion_limit();
                Value::deserialize(&mut reader)
                    .and_then(|value| reader.end().map(|()| value))
                    .map_err(|e| malformed(&e))
            })
        }
        Err(e) => Err(malformed(&e)),
    }
}

fn malformed(error: &serde_json::Error) -> DynamoError {
    DynamoError::Serialization(format!(
        "Malformed JSON: {}",
        strip_position(&error.to_string())
    ))
}

/// Runs `f` on a thread whose stack holds the recursion of reading, checking and decoding a body nested
/// [`MAX_BODY_DEPTH`] levels (only such bodies come here, so the thread's cost does not matter).
pub fn with_deep_stack<T: Send>(
    f: impl FnOnce() -> Result<T, DynamoError> + Send,
) -> Result<T, DynamoError> {
    const STACK: usize = 64 << 20;
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("eddy-deep-body".into())
            .stack_size(STACK)
            .spawn_scoped(scope, f)
            .map_err(|e| DynamoError::Internal(format!("cannot read a deep request body: {e}")))?
            .join()
            .unwrap_or_else(|_| {
                Err(DynamoError::Internal(
                    "reading a deep request body failed".into(),
                ))
            })
    })
}

/// Converts a validated body into an operation's typed request.
pub fn decode<T: DeserializeOwned>(value: Value) -> Result<T, DynamoError> {
    serde_json::from_value(value).map_err(|e| map_serde_error(&e.to_string()))
}

/// Maps a serde error to DynamoDB's error: tagged validation messages, or the coral text of a type error.
pub fn map_serde_error(message: &str) -> DynamoError {
    let (is_validation, text) = split_deserialize_error(message);
    if is_validation {
        return DynamoError::Validation(strip_position(text).to_string());
    }
    let found = |what: &str| text.contains(&format!("invalid type: {what}"));
    let target = if text.contains("expected a string") {
        "String"
    } else if text.contains("expected a boolean") {
        "Boolean"
    } else if text.contains("expected a sequence")
        || text.contains("expected a map")
        || text.contains("expected struct")
    {
        return DynamoError::Serialization("Unexpected field type".into());
    } else {
        "Integer"
    };
    let message = if found("integer") {
        format!("NUMBER_VALUE cannot be converted to {target}")
    } else if found("floating point") {
        format!("DECIMAL_VALUE cannot be converted to {target}")
    } else if found("string") {
        format!("STRING_VALUE cannot be converted to {target}")
    } else if found("boolean `true`") {
        format!("TRUE_VALUE cannot be converted to {target}")
    } else if found("boolean") {
        format!("FALSE_VALUE cannot be converted to {target}")
    } else if found("map") {
        "Start of structure or map found where not expected".to_string()
    } else if found("sequence") {
        "Start of list found where not expected".to_string()
    } else {
        strip_position(text).to_string()
    };
    DynamoError::Serialization(message)
}

fn strip_position(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(pos) => &text[..pos],
        None => text,
    }
}

fn with_headers(status: StatusCode, request_id: &str, body: Vec<u8>) -> Response<Body> {
    let crc = crc32fast::hash(&body);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, v);
    }
    headers.insert(CRC32, HeaderValue::from(crc));
    // DynamoDB names itself so on every answer (Alternator's suite, run against AWS, checks it is there).
    headers.insert(SERVER, HeaderValue::from_static("Server"));
    response
}

pub fn ok<T: Serialize>(request_id: &str, body: &T) -> Response<Body> {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_headers(StatusCode::OK, request_id, bytes),
        Err(e) => error(request_id, &DynamoError::Internal(e.to_string())),
    }
}

pub fn ok_bytes(request_id: &str, bytes: Vec<u8>) -> Response<Body> {
    with_headers(StatusCode::OK, request_id, bytes)
}

/// The JSON body of an error, with the extra members some errors carry.
pub fn error_body(err: &DynamoError) -> Value {
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(err.wire_type()));
    if let Some(message) = err.message() {
        let key = if err.capitalised_message() {
            "Message"
        } else {
            "message"
        };
        body.insert(key.into(), Value::String(message));
    }
    match err {
        DynamoError::ConditionalCheckFailed { item: Some(item) } => {
            body.insert("Item".into(), item_json(item));
        }
        DynamoError::TransactionCanceled { reasons } => {
            let reasons: Vec<Value> = reasons
                .iter()
                .map(|r| {
                    let mut o = Map::new();
                    if let Some(item) = &r.item {
                        o.insert("Item".into(), item_json(item));
                    }
                    o.insert("Code".into(), Value::String(r.code.clone()));
                    if let Some(m) = &r.message {
                        o.insert("Message".into(), Value::String(m.clone()));
                    }
                    Value::Object(o)
                })
                .collect();
            body.insert("CancellationReasons".into(), Value::Array(reasons));
        }
        _ => {}
    }
    Value::Object(body)
}

fn item_json(item: &AttributeMap) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

pub fn error(request_id: &str, err: &DynamoError) -> Response<Body> {
    let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let bytes = serde_json::to_vec(&error_body(err)).unwrap_or_default();
    with_headers(status, request_id, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_type_errors_become_coral_messages() {
        let err = serde_json::from_str::<AttributeMap>(r#"{"a":{"S":5}}"#).unwrap_err();
        assert_eq!(
            map_serde_error(&err.to_string()),
            DynamoError::Serialization("NUMBER_VALUE cannot be converted to String".into())
        );
        let err = serde_json::from_str::<AttributeMap>(r#"{"a":{}}"#).unwrap_err();
        assert_eq!(
            map_serde_error(&err.to_string()),
            DynamoError::Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".into())
        );
    }

    #[test]
    fn error_bodies_carry_type_and_message() {
        let body = error_body(&DynamoError::ResourceNotFound(
            "Requested resource not found".into(),
        ));
        assert_eq!(
            body["__type"],
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );
        assert_eq!(body["message"], "Requested resource not found");
    }

    #[test]
    fn json_depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth(b""), 0);
        assert_eq!(json_depth(br#"{"a":[1,{"b":2}]}"#), 3);
        assert_eq!(json_depth(br#"{"a":"[[[{{{","b":"\"[[["}"#), 1);
        assert_eq!(json_depth(br#"[[]] [[[]]]"#), 3);
    }

    #[test]
    fn deep_bodies_are_read_up_to_the_limit_and_refused_past_it() {
        let nested = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        assert!(parse_body(nested(READER_DEPTH_LIMIT + 1).as_bytes()).is_err());
        let value = parse_deep_body(nested(MAX_BODY_DEPTH).as_bytes()).expect("read");
        assert!(value.is_array());
        assert_eq!(
            parse_deep_body(nested(MAX_BODY_DEPTH + 1).as_bytes()),
            Err(DynamoError::Validation(
                eddy_model::value::NESTING_MESSAGE.to_string()
            ))
        );
        assert!(matches!(
            parse_deep_body(nested(300).trim_end_matches(']').as_bytes()),
            Err(DynamoError::Serialization(_))
        ));
    }
}
