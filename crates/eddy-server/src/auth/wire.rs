//! Which protocol a request speaks, as far as authentication cares (the name it must be signed for, and the
//! shape its errors take), and the authentication and authorization errors written in each protocol's shape:
//!
//! | error | DynamoDB, Streams, Logs (JSON) | SQS (JSON) | query (XML) | Lambda (REST) |
//! |---|---|---|---|---|
//! | no signature | 400 `MissingAuthenticationTokenException` | 403 `MissingAuthenticationToken` | 403 `MissingAuthenticationToken` | 403 |
//! | malformed | 400 `IncompleteSignatureException` | 400 `IncompleteSignature` | 400 `IncompleteSignature` | 403 |
//! | bad or expired signature | 400 `InvalidSignatureException` | 403 `SignatureDoesNotMatch` | 403 `SignatureDoesNotMatch` | 403 `InvalidSignatureException` |
//! | unknown key | 400 `UnrecognizedClientException` | 403 `InvalidClientTokenId` | 403 `InvalidClientTokenId` | 403 `UnrecognizedClientException` |
//! | expired session | 400 `ExpiredTokenException` | 403 `ExpiredToken` | 403 `ExpiredToken` | 403 `ExpiredTokenException` |
//! | not allowed | 400 `AccessDeniedException` | 403 `AccessDenied` | 403 `AccessDenied` (SNS: `AuthorizationError`) | 403 `AccessDeniedException` |
//!
//! SQS's JSON protocol names the JSON type in `__type` and its query code in `x-amzn-query-error`, as SQS does
//! for every error. eddy's control API answers `403 {"error": <message>, "code": <JSON code>}`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use serde_json::json;

use super::sigv4::AuthError;
use crate::protocol::{awsjson, xml};
use crate::{dynamodb, lambda, logs, sns, sqs, streams};

/// A query-protocol service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryService {
    Sqs,
    Sns,
    Iam,
    Sts,
}

impl QueryService {
    pub fn signing_name(self) -> &'static str {
        match self {
            QueryService::Sqs => "sqs",
            QueryService::Sns => "sns",
            QueryService::Iam => "iam",
            QueryService::Sts => "sts",
        }
    }

    pub fn namespace(self) -> &'static str {
        match self {
            QueryService::Sqs => sqs::NAMESPACE,
            QueryService::Sns => sns::NAMESPACE,
            QueryService::Iam => crate::iam::NAMESPACE,
            QueryService::Sts => crate::sts::NAMESPACE,
        }
    }

    /// The service a query request is for: the SigV4 credential scope's service when it names one, else the
    /// service whose model has the action (SQS also answers at a queue's URL).
    pub fn route(signed_for: Option<&str>, path: &str, action: &str) -> QueryService {
        match signed_for {
            Some("sqs") => return QueryService::Sqs,
            Some("sns") => return QueryService::Sns,
            Some("iam") => return QueryService::Iam,
            Some("sts") => return QueryService::Sts,
            _ => {}
        }
        if path != "/" || sqs::is_action(action) {
            QueryService::Sqs
        } else if crate::sts::is_action(action) {
            QueryService::Sts
        } else if crate::iam::is_action(action) {
            QueryService::Iam
        } else if sns::is_action(action) {
            QueryService::Sns
        } else {
            QueryService::Sqs
        }
    }
}

/// The protocol of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wire {
    /// AWS JSON with `X-Amz-Target`: DynamoDB, DynamoDB Streams, CloudWatch Logs. The operation is the
    /// target's suffix.
    Json { service: JsonService, op: String },
    /// SQS over AWS JSON.
    SqsJson { op: String },
    /// A query-protocol request (`Action=…`).
    Query { service: QueryService, op: String },
    /// The Lambda REST API (event source mappings included).
    Lambda,
    /// eddy's control API (`/_eddy/*`): JSON `{"error": …}` answers.
    Control,
}

/// The AWS JSON services besides SQS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonService {
    DynamoDb,
    Streams,
    Logs,
}

impl Wire {
    /// Classifies a request; `None` when it is for no AWS API (it will be answered 404).
    pub fn of(
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        signed_for: Option<&str>,
        form: Option<&[(String, String)]>,
    ) -> Option<Wire> {
        let target = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let json = |service, prefix: &str| {
            target.strip_prefix(prefix).map(|op| Wire::Json {
                service,
                op: op.to_string(),
            })
        };
        if let Some(wire) = json(JsonService::DynamoDb, dynamodb::TARGET_PREFIX)
            .or_else(|| json(JsonService::Streams, streams::TARGET_PREFIX))
            .or_else(|| json(JsonService::Logs, logs::TARGET_PREFIX))
        {
            return Some(wire);
        }
        if let Some(op) = target.strip_prefix(sqs::TARGET_PREFIX) {
            return Some(Wire::SqsJson { op: op.to_string() });
        }
        if let Some(params) = form {
            let action = params
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            return Some(Wire::Query {
                service: QueryService::route(signed_for, uri.path(), &action),
                op: action,
            });
        }
        if lambda::is_lambda_path(method, uri.path())
            || uri.path().starts_with("/2015-03-31/event-source-mappings")
        {
            return Some(Wire::Lambda);
        }
        if *method == Method::POST && uri.path() == "/" {
            return Some(Wire::Json {
                service: JsonService::DynamoDb,
                op: String::new(),
            });
        }
        None
    }

    /// The service name a request must be signed for.
    pub fn signing_name(&self) -> &'static str {
        match self {
            Wire::Json {
                service: JsonService::Logs,
                ..
            } => "logs",
            Wire::Json { .. } => "dynamodb",
            Wire::SqsJson { .. } => "sqs",
            Wire::Query { service, .. } => service.signing_name(),
            Wire::Lambda => "lambda",
            Wire::Control => "eddy",
        }
    }
}

/// `(JSON code, query code)` of an authentication error.
fn codes(err: &AuthError) -> (&'static str, &'static str) {
    match err {
        AuthError::MissingToken => (
            "MissingAuthenticationTokenException",
            "MissingAuthenticationToken",
        ),
        AuthError::Incomplete(_) => ("IncompleteSignatureException", "IncompleteSignature"),
        AuthError::Invalid(_) => ("InvalidSignatureException", "SignatureDoesNotMatch"),
        AuthError::UnknownKey | AuthError::BadToken => {
            ("UnrecognizedClientException", "InvalidClientTokenId")
        }
        AuthError::ExpiredToken => ("ExpiredTokenException", "ExpiredToken"),
    }
}

/// The query protocol's status for an authentication error.
fn query_status(err: &AuthError) -> u16 {
    match err {
        AuthError::Incomplete(_) => 400,
        _ => 403,
    }
}

/// An authentication error in the request's protocol.
pub fn auth_error(wire: &Wire, err: &AuthError, request_id: &str) -> Response<Body> {
    let (json_code, query_code) = codes(err);
    let message = err.message();
    match wire {
        Wire::Control => control(403, json_code, &message),
        Wire::Json { .. } => coral(400, json_code, "message", &message, request_id),
        Wire::SqsJson { .. } => sqs_json(
            query_status(err),
            json_code,
            query_code,
            &message,
            request_id,
        ),
        Wire::Query { service, .. } => query(
            *service,
            query_status(err),
            query_code,
            &message,
            request_id,
        ),
        Wire::Lambda => {
            // Lambda's front door words this one differently from the other services.
            let message = if *err == AuthError::MissingToken {
                "Missing Authentication Token".to_string()
            } else {
                message
            };
            let mut response = lambda::wire::json(403, request_id, &json!({ "message": message }));
            response
                .headers_mut()
                .insert("x-amzn-errortype", HeaderValue::from_static(json_code));
            response
        }
    }
}

/// An authorization refusal in the request's protocol.
pub fn access_denied(wire: &Wire, message: &str, request_id: &str) -> Response<Body> {
    match wire {
        Wire::Control => control(403, "AccessDeniedException", message),
        Wire::Json { .. } => coral(400, "AccessDeniedException", "Message", message, request_id),
        Wire::SqsJson { .. } => sqs_json(
            403,
            "AccessDeniedException",
            "AccessDenied",
            message,
            request_id,
        ),
        Wire::Query { service, .. } => {
            let code = if *service == QueryService::Sns {
                "AuthorizationError"
            } else {
                "AccessDenied"
            };
            query(*service, 403, code, message, request_id)
        }
        Wire::Lambda => {
            let mut response = lambda::wire::json(
                403,
                request_id,
                &json!({"Type": "User", "Message": message}),
            );
            response.headers_mut().insert(
                "x-amzn-errortype",
                HeaderValue::from_static("AccessDeniedException"),
            );
            response
        }
    }
}

/// The control API's error shape, with the code of the AWS error it stands for.
fn control(status: u16, code: &str, message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(
        json!({"error": message, "code": code}).to_string(),
    ));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn coral(
    status: u16,
    code: &str,
    message_key: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let body = json!({
        "__type": format!("com.amazon.coral.service#{code}"),
        message_key: message,
    });
    let mut response = awsjson::ok(request_id, &body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response
}

fn sqs_json(
    status: u16,
    json_code: &str,
    query_code: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let mut response = coral(status, json_code, "message", message, request_id);
    if let Ok(v) = HeaderValue::from_str(&format!("{query_code};Sender")) {
        response.headers_mut().insert("x-amzn-query-error", v);
    }
    response
}

fn query(
    service: QueryService,
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    xml::response(
        status,
        request_id,
        xml::render_error("Sender", code, message, request_id, service.namespace()),
    )
}
