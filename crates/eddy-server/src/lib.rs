//! eddy-server: one HTTP listener for every API eddy speaks. Requests are routed by protocol — AWS JSON 1.0
//! and 1.1 by `X-Amz-Target` (DynamoDB, DynamoDB Streams, SQS, CloudWatch Logs), REST-JSON by path (Lambda,
//! event source mappings), the query protocol by its form-encoded `Action` (SQS, SNS, IAM and STS, told apart
//! by the service of the SigV4 credential scope, else by the action's name), the `/_eddy/*` control API by
//! path — authenticated and authorized when that is asked for (`auth`), decoded, checked against AWS's service
//! models, and handed to the engine crates. This crate holds no state of its own beyond handles to the engines.

pub mod auth;
pub mod control;
pub mod dynamodb;
pub mod esm;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod protocol;
pub mod serve;
pub mod sns;
pub mod sqs;
pub mod streams;
pub mod sts;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::routing::{get, post};
use eddy_model::DynamoError;
use eddy_queue::Queues;
use eddy_store::Store;

use auth::wire::QueryService;
use auth::{Auth, AuthMode, Identity};
use protocol::context::{RequestContext, RequestId};
use protocol::{awsjson, coding};

/// Largest request body accepted: a Lambda CreateFunction may carry a 50 MB zip in base64 (DynamoDB's own
/// limit is 16 MB for batch requests).
pub(crate) const MAX_BODY: usize = 72 * 1024 * 1024;

/// Largest DynamoDB or DynamoDB Streams request body, as sent (a gzip body counts compressed): DynamoDB answers
/// a larger one with `413` (Alternator's suite, run against AWS, checks a 17 MB PutItem).
pub(crate) const JSON_API_MAX_BODY: usize = 16 * 1024 * 1024;

/// Handles to the engines, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub esm: eddy_esm::Esm,
    pub lambda: eddy_lambda::Lambda,
    /// SQS queues and SNS topics.
    pub queues: Queues,
    /// IAM and the authentication mode.
    pub auth: Arc<Auth>,
}

impl AppState {
    pub fn iam(&self) -> &eddy_iam::Iam {
        &self.auth.iam
    }
}

pub fn router(state: AppState) -> Router {
    let authenticated = state.auth.mode != AuthMode::Off;
    let router = Router::new()
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
        .fallback(aws_entry);
    // With authentication off no layer is installed: the request path is unchanged.
    let router = if authenticated {
        router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::layer,
        ))
    } else {
        router
    };
    router
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// `GET /` without a query: DynamoDB's unauthenticated health check, `200` and
/// `healthy: dynamodb.<region>.amazonaws.com ` (the trailing space included), as DynamoDB answers it (dynalite's
/// suite, run against AWS, checks this body; load balancers and wait-for scripts probe it).
fn dynamodb_health(ctx: &RequestContext) -> Response<Body> {
    let body = format!("healthy: dynamodb.{}.amazonaws.com ", ctx.scope.region);
    let mut response = awsjson::ok_bytes(&ctx.request_id, body.into_bytes());
    response
        .headers_mut()
        .remove(axum::http::header::CONTENT_TYPE);
    response
}

/// The context of a request that came through the router (and, with authentication on, its layer).
pub(crate) fn routed_context(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    identity: Option<Extension<Identity>>,
) -> RequestContext {
    RequestContext::for_request(
        &state.auth,
        headers,
        uri.query(),
        identity.as_ref().map(|e| &e.0),
    )
}

/// A body that could not be read: over [`MAX_BODY`] it is a Lambda API's `RequestEntityTooLargeException` in
/// AWS's words (recorded for CreateFunction), otherwise the HTTP layer's plain answer.
fn too_large_or_unreadable(
    ctx: &mut RequestContext,
    method: &Method,
    uri: &Uri,
    rejection: BytesRejection,
) -> Response<Body> {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE
        && let Some((op, _)) = lambda::route_of(method, uri.path())
    {
        ctx.request_id = RequestId::uuid();
        let limit = lambda::MAX_REQUEST_BYTES;
        let err = eddy_lambda::LambdaError::EntityTooLarge(format!(
            "Request must be smaller than {limit} bytes for the {op} operation"
        ));
        return lambda::wire::error(&ctx.request_id, &err);
    }
    axum::response::IntoResponse::into_response(rejection)
}

/// The context of a Lambda API request (event source mappings, tags): Lambda's request ids are UUIDs.
pub(crate) fn lambda_context(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    identity: Option<Extension<Identity>>,
) -> RequestContext {
    let mut ctx = routed_context(state, headers, uri, identity);
    ctx.request_id = RequestId::uuid();
    ctx
}

/// Every AWS API request: dispatch on the protocol's routing information.
async fn aws_entry(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
    body: Result<Bytes, BytesRejection>,
) -> Response<Body> {
    let mut ctx = routed_context(&state, &headers, &uri, identity);
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return too_large_or_unreadable(&mut ctx, &method, &uri, rejection),
    };
    if let Some(api) = JsonApi::of(&headers) {
        return api.answer(&state, &ctx, &headers, body).await;
    }
    if method == Method::GET && uri.path() == "/" && uri.query().is_none() {
        return dynamodb_health(&ctx);
    }
    // Every other service answers with UUID request ids; SQS and SNS carry the X-Ray header on.
    ctx.request_id = RequestId::uuid();
    ctx.keep_trace_header(&headers);
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
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
            &state.auth,
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
    // A queue's URL fetched without an action: SQS's query endpoint answers as for an unknown operation
    // (AWS-recorded: 404 and an `UnknownOperationException` element, in XML whatever the client accepts).
    let on_queue = method == Method::GET && is_queue_path(uri.path());
    let body = if on_queue {
        "<UnknownOperationException/>"
    } else {
        "not found"
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::NOT_FOUND;
    if on_queue {
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/xml"),
        );
    }
    response
}

/// `/<12-digit account>/<queue name>`: the path of a queue's URL.
fn is_queue_path(path: &str) -> bool {
    let mut parts = path.trim_matches('/').split('/');
    let account = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && parts.next().is_none()
}

const X_AMZ_TARGET: axum::http::HeaderName = axum::http::HeaderName::from_static("x-amz-target");

/// The AWS JSON 1.0 APIs on the store, told apart by `X-Amz-Target`, with the operation's name.
pub(crate) enum JsonApi<'a> {
    DynamoDb(&'a str),
    Streams(&'a str),
}

impl<'a> JsonApi<'a> {
    pub(crate) fn of(headers: &'a HeaderMap) -> Option<JsonApi<'a>> {
        let target = headers.get(X_AMZ_TARGET)?.to_str().ok()?;
        if let Some(op) = target.strip_prefix(dynamodb::TARGET_PREFIX) {
            return Some(JsonApi::DynamoDb(op));
        }
        target
            .strip_prefix(streams::TARGET_PREFIX)
            .map(JsonApi::Streams)
    }

    /// The whole call: the body decoded as its `Content-Encoding` says, and the answer compressed as the
    /// request's `Accept-Encoding` asks (see [`protocol::coding`]).
    pub(crate) async fn answer(
        &self,
        state: &AppState,
        ctx: &RequestContext,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response<Body> {
        if body.len() > JSON_API_MAX_BODY {
            return serve::body_too_large();
        }
        let body = match coding::decoded_body(headers, body, MAX_BODY) {
            Ok(body) => body,
            Err(coding::DecodeError::TooLarge) => return serve::body_too_large(),
            // DynamoDB answers a body it cannot decode, or a coding other than gzip, with an internal error
            // and runs nothing (Alternator's suite, run against AWS).
            Err(_) => {
                let fault = DynamoError::Internal("Internal server error".into());
                return awsjson::error(&ctx.request_id, &fault);
            }
        };
        let response = self.call(state, ctx, &body).await;
        match coding::accepted_coding(headers) {
            Some(chosen) => coding::compressed(response, chosen).await,
            None => response,
        }
    }

    pub(crate) async fn call(
        &self,
        state: &AppState,
        ctx: &RequestContext,
        body: &[u8],
    ) -> Response<Body> {
        match *self {
            JsonApi::DynamoDb(op) => {
                reply(ctx, dynamodb::handle(&state.store, ctx, op, body).await)
            }
            JsonApi::Streams(op) => {
                json_call(ctx, body, |value| {
                    streams::handle(&state.store, ctx, op, value)
                })
                .await
            }
        }
    }
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
    if !is_query_request(method, uri, headers) {
        return None;
    }
    let params = protocol::query::parse_params(uri.query(), form_body(headers, body));
    let action = params.get("Action").cloned().unwrap_or_default();
    Some(
        match QueryService::route(ctx.service(), uri.path(), &action) {
            QueryService::Sqs => sqs::handle_query(&state.queues, ctx, params, uri.path()).await,
            QueryService::Sns => sns::handle_query(&state.queues, ctx, params).await,
            QueryService::Iam => iam::handle_query(state.iam(), ctx, params).await,
            QueryService::Sts => sts::handle_query(&state.auth, ctx, params).await,
        },
    )
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn form_body<'a>(headers: &HeaderMap, body: &'a [u8]) -> &'a [u8] {
    if is_form(headers) { body } else { &[] }
}

/// Whether a request speaks the query protocol: a form post, or `Action` in the query string.
fn is_query_request(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    let in_query = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    in_query || is_form(headers) && *method == Method::POST
}

/// The parameters of a query-protocol request (query string and form body), or `None` for other protocols.
pub(crate) fn query_params(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Vec<(String, String)>> {
    is_query_request(method, uri, headers).then(|| {
        protocol::query::parse_params(uri.query(), form_body(headers, body))
            .into_iter()
            .collect()
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
    reply(ctx, result)
}

/// The response to an AWS JSON call: its result, or its error in the protocol's form.
fn reply(ctx: &RequestContext, result: Result<Response<Body>, DynamoError>) -> Response<Body> {
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
