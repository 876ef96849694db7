//! eddy-server: one HTTP listener for every API eddy speaks. Requests are routed by protocol — AWS JSON 1.0
//! and 1.1 by `X-Amz-Target` (DynamoDB, DynamoDB Streams, SQS, CloudWatch Logs), REST-JSON by path (Lambda,
//! event source mappings), the query protocol by its form-encoded `Action` (SQS and SNS, told apart by the
//! service of the SigV4 credential scope, else by the action's name), the `/_eddy/*` control API by path —
//! decoded, checked against AWS's service models, and handed to the engine crates. This crate holds no state
//! of its own beyond handles to the engines.

pub mod control;
pub mod dynamodb;
pub mod esm;
pub mod lambda;
pub mod logs;
pub mod protocol;
pub mod sns;
pub mod sqs;
pub mod streams;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::routing::{get, post};
use eddy_model::DynamoError;
use eddy_queue::Queues;
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
    /// SQS queues and SNS topics.
    pub queues: Queues,
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
            "/2017-03-31/tags/{resource}",
            get(lambda::tags::handle)
                .post(lambda::tags::handle)
                .delete(lambda::tags::handle),
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
    if let Some(op) = target.strip_prefix(sqs::TARGET_PREFIX) {
        return sqs::handle_json(&state.queues, &ctx, op, &body).await;
    }
    if let Some(response) = query_call(&state, &ctx, &method, &uri, &headers, &body).await {
        return response;
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

/// A query-protocol request (a form post, or a GET with `Action` in the query string), routed to its service.
async fn query_call(
    state: &AppState,
    ctx: &RequestContext,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response<Body>> {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let in_query = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    if !(in_query || form && *method == Method::POST) {
        return None;
    }
    let params = protocol::query::parse_params(uri.query(), if form { body } else { &[] });
    let action = params.get("Action").cloned().unwrap_or_default();
    let to_sqs = match ctx.service.as_deref() {
        Some("sqs") => true,
        Some("sns") => false,
        _ => uri.path() != "/" || sqs::is_action(&action) || !sns::is_action(&action),
    };
    Some(if to_sqs {
        sqs::handle_query(&state.queues, ctx, params, uri.path()).await
    } else {
        sns::handle_query(&state.queues, ctx, params).await
    })
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
