//! eddy-server: one HTTP listener for every API eddy speaks. Requests are routed by protocol — AWS JSON 1.0
//! and 1.1 by `X-Amz-Target` (DynamoDB, DynamoDB Streams, CloudWatch Logs), REST-JSON by path (Lambda), the
//! `/_eddy/*` control API by path — decoded, checked against AWS's service models, and handed to the engine
//! crates. This crate holds no state of its own beyond
//! handles to the engines.

pub mod control;
pub mod dynamodb;
pub mod esm;
pub mod lambda;
pub mod logs;
pub mod protocol;
pub mod streams;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::routing::{get, post};
use eddy_model::DynamoError;
use eddy_store::Store;

use protocol::awsjson;
use protocol::context::RequestContext;

/// Largest request body accepted: a Lambda CreateFunction may carry a 50 MB zip in base64 (DynamoDB's own
/// limit is 16 MB for batch requests).
const MAX_BODY: usize = 72 * 1024 * 1024;

/// Handles to the engines, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub esm: eddy_esm::Esm,
    pub lambda: eddy_lambda::Lambda,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/_eddy/health", get(control::health))
        .route(
            "/_eddy/clock",
            get(control::get_clock).post(control::post_clock),
        )
        .route("/_eddy/ttl/sweep", post(control::ttl_sweep))
        .route("/_eddy/streams/rollover", post(control::rollover))
        .route("/_eddy/streams/trim", post(control::trim))
        .route("/_eddy/event-source-mappings/{uuid}", get(esm::explain))
        .route("/_eddy/metrics", get(esm::metrics))
        .route(
            "/2015-03-31/event-source-mappings",
            post(esm::create).get(esm::list),
        )
        .route(
            "/2015-03-31/event-source-mappings/",
            post(esm::create).get(esm::list),
        )
        .route(
            "/2015-03-31/event-source-mappings/{uuid}",
            get(esm::get).put(esm::update).delete(esm::delete),
        )
        .route(
            "/_eddy/lambda/code/{account}/{region}/{function}/{file}",
            get(lambda::code_location),
        )
        .route("/_eddy/lambda/metrics", get(lambda::metrics))
        .fallback(aws_entry)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Every AWS API request: dispatch on the protocol's routing information.
async fn aws_entry(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let ctx = RequestContext::from_headers(&headers, uri.query());
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(op) = target.strip_prefix(dynamodb::TARGET_PREFIX) {
        return json_call(&ctx, &body, |value| {
            dynamodb::handle(&state.store, &ctx, op, value)
        })
        .await;
    }
    if let Some(op) = target.strip_prefix(streams::TARGET_PREFIX) {
        return json_call(&ctx, &body, |value| {
            streams::handle(&state.store, &ctx, op, value)
        })
        .await;
    }
    if let Some(op) = target.strip_prefix(logs::TARGET_PREFIX) {
        return logs::handle(state.lambda.logs(), &ctx, op, &body).await;
    }
    if lambda::is_lambda_path(&method, uri.path()) {
        return lambda::handle(
            &state.lambda,
            &ctx,
            &method,
            uri.path(),
            uri.query(),
            &headers,
            body,
        )
        .await;
    }
    if method == Method::POST && uri.path() == "/" {
        return awsjson::error(&ctx.request_id, &DynamoError::UnknownOperation);
    }
    let mut response = Response::new(Body::from("not found"));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn json_call<F, Fut>(ctx: &RequestContext, body: &[u8], call: F) -> Response<Body>
where
    F: FnOnce(serde_json::Value) -> Fut,
    Fut: std::future::Future<Output = Result<Response<Body>, DynamoError>>,
{
    let result = match awsjson::parse_body(body) {
        Ok(value) => call(value).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(response) => response,
        Err(e) => {
            if matches!(e, DynamoError::Internal(_)) {
                tracing::error!(request_id = %ctx.request_id, "internal error: {e}");
            }
            awsjson::error(&ctx.request_id, &e)
        }
    }
}
