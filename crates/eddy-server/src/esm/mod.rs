//! The event-source-mapping part of the Lambda REST API (`/2015-03-31/event-source-mappings`): Create (202),
//! Get, List (filters, Marker, MaxItems), Update (202), Delete (202), with Lambda's error headers and bodies.

use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri};
use eddy_esm::{EsmError, MappingRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Identity;

fn respond(status: StatusCode, request_id: &str, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

/// Lambda's error shape: `x-amzn-ErrorType` and `{"Type": "User", "message": …}` (`Message` for some codes).
fn error(request_id: &str, err: &EsmError) -> Response<Body> {
    let capital = matches!(
        err,
        EsmError::NotFound(_) | EsmError::InUse(_) | EsmError::Service(_)
    );
    let kind = if matches!(err, EsmError::Service(_)) {
        "Service"
    } else {
        "User"
    };
    let body = if capital {
        json!({"Type": kind, "Message": err.message()})
    } else {
        json!({"Type": kind, "message": err.message()})
    };
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = respond(status, request_id, &body);
    if let Ok(v) = HeaderValue::from_str(err.code()) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}

fn parse_body(body: &[u8]) -> Result<MappingRequest, EsmError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(MappingRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        EsmError::InvalidParameter(format!("Could not parse request body into json: {e}"))
    })
}

pub async fn create(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
    body: Bytes,
) -> Response<Body> {
    let ctx = crate::lambda_context(&state, &headers, &uri, identity);
    let req = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return error(&ctx.request_id, &e),
    };
    match state.esm.create(&ctx.scope, req).await {
        Ok(view) => respond(StatusCode::ACCEPTED, &ctx.request_id, &view),
        Err(e) => error(&ctx.request_id, &e),
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
) -> Response<Body> {
    let ctx = crate::lambda_context(&state, &headers, &uri, identity);
    match state.esm.get(&ctx.scope, &uuid) {
        Ok(view) => respond(StatusCode::OK, &ctx.request_id, &view),
        Err(e) => error(&ctx.request_id, &e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQuery {
    event_source_arn: Option<String>,
    function_name: Option<String>,
    marker: Option<String>,
    max_items: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
) -> Response<Body> {
    let ctx = crate::lambda_context(&state, &headers, &uri, identity);
    let max_items = match q.max_items.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) if (1..=10_000).contains(&n) => Some(n as usize),
        Some(Ok(n)) => {
            let bound = if n < 1 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 10000"
            };
            let msg = format!(
                "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value {bound}"
            );
            return error(&ctx.request_id, &EsmError::Validation(msg));
        }
        Some(Err(_)) => {
            return error(
                &ctx.request_id,
                &EsmError::InvalidParameter("MaxItems must be a number".into()),
            );
        }
    };
    match state.esm.list(
        &ctx.scope,
        q.event_source_arn.as_deref(),
        q.function_name.as_deref(),
        q.marker.as_deref(),
        max_items,
    ) {
        Ok(page) => {
            let mut body = json!({"EventSourceMappings": page.mappings});
            if let Some(marker) = page.next_marker {
                body["NextMarker"] = json!(marker);
            }
            respond(StatusCode::OK, &ctx.request_id, &body)
        }
        Err(e) => error(&ctx.request_id, &e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
    body: Bytes,
) -> Response<Body> {
    let ctx = crate::lambda_context(&state, &headers, &uri, identity);
    let req = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return error(&ctx.request_id, &e),
    };
    match state.esm.update(&ctx.scope, &uuid, req).await {
        Ok(view) => respond(StatusCode::ACCEPTED, &ctx.request_id, &view),
        Err(e) => error(&ctx.request_id, &e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
) -> Response<Body> {
    let ctx = crate::lambda_context(&state, &headers, &uri, identity);
    match state.esm.delete(&ctx.scope, &uuid).await {
        Ok(view) => respond(StatusCode::ACCEPTED, &ctx.request_id, &view),
        Err(e) => error(&ctx.request_id, &e),
    }
}

/// `GET /_eddy/event-source-mappings/{UUID}`: the explain view.
pub async fn explain(State(state): State<AppState>, Path(uuid): Path<String>) -> Response<Body> {
    match state.esm.explain(&uuid) {
        Some(view) => respond(StatusCode::OK, "", &view),
        None => respond(
            StatusCode::NOT_FOUND,
            "",
            &json!({"error": format!("no event source mapping {uuid}")}),
        ),
    }
}

/// `GET /_eddy/metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response<Body> {
    let mut response = Response::new(Body::from(state.esm.metrics_text()));
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
