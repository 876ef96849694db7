//! The Lambda API (REST-JSON under `/2015-03-31/…`, `/2017-10-31/…`, `/2019-09-30/…`, `/2016-08-19/…`).
//! [`route`] maps a method and path to an operation; the request's body, path labels, query string and
//! headers are gathered into one JSON object and checked against AWS's model (the same walk and messages as
//! the JSON protocols, with the same member paths); then the operation's module parses it, calls the
//! `eddy_lambda::Lambda` engine and encodes the reply. The engine never sees HTTP.

mod aliases;
mod concurrency;
mod create_function;
mod delete_function;
mod event_config;
mod get_function;
mod invoke;
mod list_functions;
mod permissions;
mod role;
pub mod tags;
mod update_function;
mod versions;
pub mod wire;

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Response, StatusCode};
use eddy_lambda::{Lambda, LambdaError};
use eddy_model::DynamoError;
use serde_json::{Map, Value};

use crate::AppState;
use crate::auth::Auth;
use crate::protocol::context::RequestContext;
use crate::protocol::model::ServiceModel;

/// The Lambda model, parsed on first use.
pub fn model() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::parse(include_str!("../../models/lambda.json"))
            .with_whole_collection_constraints()
    })
}

/// One Lambda API request, routed.
pub struct LambdaRequest<'a> {
    pub ctx: &'a RequestContext,
    pub lambda: &'a Lambda,
    pub auth: &'a Auth,
    /// Path labels (`FunctionName`, `Name`), decoded.
    pub labels: HashMap<&'static str, String>,
    pub query: Vec<(String, String)>,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
}

impl LambdaRequest<'_> {
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `MaxItems` (or another integer query member), defaulting when absent.
    pub fn max_items(&self, default: usize) -> usize {
        self.query("MaxItems")
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// The endpoint the client used (for `Code.Location`).
    pub fn endpoint(&self) -> String {
        match self.ctx.host() {
            Some(host) => format!("http://{host}"),
            None => self
                .lambda
                .endpoint_url()
                .unwrap_or_else(|| "http://127.0.0.1:4566".into()),
        }
    }
}

/// Maps a path to an operation and its labels. `None` when the path is not a Lambda API path.
pub(crate) fn route_of(
    method: &Method,
    path: &str,
) -> Option<(&'static str, HashMap<&'static str, String>)> {
    let path = path.trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut labels = HashMap::new();
    let decode = |s: &str| wire::percent_decode(s, false);
    let op = match (method.as_str(), segments.as_slice()) {
        ("POST", ["2015-03-31", "functions"]) => "CreateFunction",
        ("GET", ["2015-03-31", "functions"]) => "ListFunctions",
        ("GET", ["2016-08-19", "account-settings"]) => "GetAccountSettings",
        (m, ["2015-03-31", "functions", name, rest @ ..]) => {
            labels.insert("FunctionName", decode(name));
            match (m, rest) {
                ("GET", []) => "GetFunction",
                ("DELETE", []) => "DeleteFunction",
                ("GET", ["configuration"]) => "GetFunctionConfiguration",
                ("PUT", ["configuration"]) => "UpdateFunctionConfiguration",
                ("PUT", ["code"]) => "UpdateFunctionCode",
                ("POST", ["versions"]) => "PublishVersion",
                ("GET", ["versions"]) => "ListVersionsByFunction",
                ("POST", ["aliases"]) => "CreateAlias",
                ("GET", ["aliases"]) => "ListAliases",
                ("POST", ["invocations"]) => "Invoke",
                ("POST", ["policy"]) => "AddPermission",
                ("GET", ["policy"]) => "GetPolicy",
                ("DELETE", ["policy", statement]) => {
                    labels.insert("StatementId", decode(statement));
                    "RemovePermission"
                }
                (m, ["aliases", alias]) => {
                    labels.insert("Name", decode(alias));
                    match m {
                        "GET" => "GetAlias",
                        "PUT" => "UpdateAlias",
                        "DELETE" => "DeleteAlias",
                        _ => "Unknown",
                    }
                }
                _ => "Unknown",
            }
        }
        (m, ["2024-08-31", "functions", name, "recursion-config"]) => {
            labels.insert("FunctionName", decode(name));
            match m {
                "PUT" => "PutFunctionRecursionConfig",
                "GET" => "GetFunctionRecursionConfig",
                _ => "Unknown",
            }
        }
        (
            m,
            [
                "2019-09-25",
                "functions",
                name,
                "event-invoke-config",
                rest @ ..,
            ],
        ) => {
            labels.insert("FunctionName", decode(name));
            match (m, rest) {
                ("PUT", []) => "PutFunctionEventInvokeConfig",
                ("POST", []) => "UpdateFunctionEventInvokeConfig",
                ("GET", []) => "GetFunctionEventInvokeConfig",
                ("DELETE", []) => "DeleteFunctionEventInvokeConfig",
                ("GET", ["list"]) => "ListFunctionEventInvokeConfigs",
                _ => "Unknown",
            }
        }
        (
            m,
            [
                date @ ("2017-10-31" | "2019-09-30"),
                "functions",
                name,
                "concurrency",
            ],
        ) => {
            labels.insert("FunctionName", decode(name));
            match (m, *date) {
                ("PUT", "2017-10-31") => "PutFunctionConcurrency",
                ("DELETE", "2017-10-31") => "DeleteFunctionConcurrency",
                ("GET", "2019-09-30") => "GetFunctionConcurrency",
                _ => "Unknown",
            }
        }
        (_, [date, ..])
            if date.len() == 10 && date.starts_with("20") && date.as_bytes()[4] == b'-' =>
        {
            "Unknown"
        }
        _ => return None,
    };
    Some((op, labels))
}

/// AWS's limit on a Lambda control-plane request (a CreateFunction with its base64 zip; AWS-recorded).
pub const MAX_REQUEST_BYTES: usize = 70_167_211;

/// Whether a request is for the Lambda API (by path).
pub fn is_lambda_path(method: &Method, path: &str) -> bool {
    route_of(method, path).is_some()
}

/// Serves one Lambda API request.
#[allow(clippy::too_many_arguments)]
pub async fn handle(
    lambda: &Lambda,
    auth: &Auth,
    ctx: &RequestContext,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some((op, labels)) = route_of(method, path) else {
        return wire::error(
            &ctx.request_id,
            &LambdaError::ResourceNotFound("No such Lambda API path".into()),
        );
    };
    // Invoke has its own, smaller limit on the payload.
    if op != "Invoke" && body.len() > MAX_REQUEST_BYTES {
        let err = LambdaError::EntityTooLarge(format!(
            "Request must be smaller than {MAX_REQUEST_BYTES} bytes for the {op} operation"
        ));
        return wire::error(&ctx.request_id, &err);
    }
    let req = LambdaRequest {
        ctx,
        lambda,
        auth,
        labels,
        query: wire::query_pairs(query),
        headers,
        body,
    };
    match dispatch(op, &req).await {
        Ok(response) => response,
        Err(e) => wire::error(&ctx.request_id, &e),
    }
}

async fn dispatch(op: &str, req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    if op == "Unknown" {
        let mut response = wire::json(
            404,
            &req.ctx.request_id,
            &serde_json::json!({"Type": "User", "message": "Unknown operation"}),
        );
        response.headers_mut().insert(
            "x-amzn-errortype",
            axum::http::HeaderValue::from_static("UnknownOperationException"),
        );
        return Ok(response);
    }
    // Invoke's body is the event, not a request document.
    let body = if op == "Invoke" {
        Map::new()
    } else {
        parse_body(&req.body)?
    };
    let input = model_input(op, req, body.clone());
    check_runtime_value(op, &input)?;
    model().validate(op, &input).map_err(model_error)?;
    let body = Value::Object(body);
    match op {
        "CreateFunction" => create_function::handle(req).await,
        "GetFunction" => get_function::get_function(req),
        "GetFunctionConfiguration" => get_function::get_configuration(req),
        "ListFunctions" => list_functions::handle(req),
        "UpdateFunctionCode" => update_function::code(req, body).await,
        "UpdateFunctionConfiguration" => update_function::configuration(req).await,
        "DeleteFunction" => delete_function::handle(req).await,
        "PublishVersion" => versions::publish(req, body).await,
        "ListVersionsByFunction" => versions::list(req),
        "CreateAlias" => aliases::create(req, body).await,
        "GetAlias" => aliases::get(req),
        "UpdateAlias" => aliases::update(req, body).await,
        "DeleteAlias" => aliases::delete(req).await,
        "ListAliases" => aliases::list(req),
        "Invoke" => invoke::handle(req).await,
        "PutFunctionConcurrency" => concurrency::put(req, body).await,
        "GetFunctionConcurrency" => concurrency::get(req),
        "DeleteFunctionConcurrency" => concurrency::delete(req).await,
        "GetAccountSettings" => concurrency::account_settings(req),
        "AddPermission" => permissions::add(req, body).await,
        "GetPolicy" => permissions::get(req),
        "RemovePermission" => permissions::remove(req).await,
        "PutFunctionEventInvokeConfig" => event_config::put(req, body, true).await,
        "UpdateFunctionEventInvokeConfig" => event_config::put(req, body, false).await,
        "GetFunctionEventInvokeConfig" => event_config::get(req),
        "DeleteFunctionEventInvokeConfig" => event_config::delete(req).await,
        "ListFunctionEventInvokeConfigs" => event_config::list(req),
        "PutFunctionRecursionConfig" => event_config::put_recursion(req, body).await,
        "GetFunctionRecursionConfig" => event_config::get_recursion(req),
        _ => Err(LambdaError::Service(format!("unrouted operation {op}"))),
    }
}

fn parse_body(bytes: &[u8]) -> Result<Map<String, Value>, LambdaError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(LambdaError::InvalidRequestContent(
            "Could not parse request body into json: the body is not a JSON object".into(),
        )),
        Err(e) => Err(LambdaError::InvalidRequestContent(format!(
            "Could not parse request body into json: {e}"
        ))),
    }
}

/// Body members plus the members bound to the path, query string and headers, under their wire names.
fn model_input(op: &str, req: &LambdaRequest<'_>, mut input: Map<String, Value>) -> Value {
    for (k, v) in &req.labels {
        input.insert((*k).to_string(), Value::String(v.clone()));
    }
    for (k, v) in &req.query {
        let value = match (k.as_str(), v.parse::<i64>()) {
            ("MaxItems", Ok(n)) => Value::from(n),
            _ => Value::String(v.clone()),
        };
        input.insert(k.clone(), value);
    }
    if op == "Invoke" {
        for name in [
            "X-Amz-Invocation-Type",
            "X-Amz-Log-Type",
            "X-Amz-Client-Context",
        ] {
            if let Some(v) = req.header(name) {
                input.insert(name.to_string(), Value::String(v.to_string()));
            }
        }
    }
    Value::Object(input)
}

/// An unknown `Runtime` is refused before the model's other checks, as an InvalidParameterValueException in
/// Lambda's own words (AWS-recorded; the enumeration is the model's, which may order it differently).
fn check_runtime_value(op: &str, input: &Value) -> Result<(), LambdaError> {
    if !matches!(op, "CreateFunction" | "UpdateFunctionConfiguration") {
        return Ok(());
    }
    let Some(runtime) = input.get("Runtime").and_then(Value::as_str) else {
        return Ok(());
    };
    let known = model().enumeration("Runtime").unwrap_or_default();
    if known.iter().any(|r| r == runtime) {
        return Ok(());
    }
    Err(LambdaError::InvalidParameterValue(format!(
        "Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{}] or be a valid ARN",
        known.join(", ")
    )))
}

/// The model walk speaks DynamoDB's error vocabulary; Lambda reports the same findings with its own codes.
fn model_error(e: DynamoError) -> LambdaError {
    match e {
        DynamoError::Validation(m) => LambdaError::Validation(m),
        DynamoError::Serialization(m) => LambdaError::InvalidRequestContent(format!(
            "Could not parse request body into json: {m}"
        )),
        other => LambdaError::Service(other.to_string()),
    }
}

/// Decodes an operation's typed input from the request's own bytes (already checked to be a JSON object, or
/// empty), so that members whose order matters keep it: Lambda's environment-size fault quotes the variables in
/// the request's order.
pub fn decode_in_request_order<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, LambdaError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return decode(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        LambdaError::InvalidRequestContent(format!("Could not parse request body into json: {e}"))
    })
}

/// Decodes a request body into an operation's typed input.
pub fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, LambdaError> {
    serde_json::from_value(body).map_err(|e| {
        LambdaError::InvalidRequestContent(format!("Could not parse request body into json: {e}"))
    })
}

/// `GET /_eddy/lambda/code/<account>/<region>/<function>/<sha256>.zip`: the package GetFunction's
/// `Code.Location` points at.
pub async fn code_location(
    State(state): State<AppState>,
    Path((account, region, function, file)): Path<(String, String, String, String)>,
) -> Response<Body> {
    let scope = eddy_model::Scope::new(&account, &region);
    let id = file.trim_end_matches(".zip");
    match state.lambda.code_zip(&scope, &function, id) {
        Ok(Some(zip)) => {
            let mut response = Response::new(Body::from(zip));
            response.headers_mut().insert(
                "content-type",
                axum::http::HeaderValue::from_static("application/zip"),
            );
            response
        }
        _ => {
            let mut response = Response::new(Body::from("not found"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}

/// `GET /_eddy/lambda/metrics`: per-function counters.
pub async fn metrics(State(state): State<AppState>) -> Response<Body> {
    let rows: Vec<Value> = state
        .lambda
        .metrics()
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "account": &*e.scope.account,
                "region": &*e.scope.region,
                "function": e.function,
                "invocations": e.metrics.invocations,
                "errors": e.metrics.errors,
                "throttles": e.metrics.throttles,
                "durationMsTotal": e.metrics.duration_ms_total,
                "durationMsMax": e.metrics.duration_ms_max,
                "concurrentExecutions": e.metrics.concurrent_executions,
                "maxConcurrentExecutions": e.metrics.max_concurrent_executions,
            })
        })
        .collect();
    wire::json(
        200,
        "",
        &serde_json::json!({
            "functions": rows,
            "environments": state.lambda.environment_count(),
            "pendingEvents": state.lambda.pending_events(),
            "events": state.lambda.pending_event_states().into_iter().map(|e| serde_json::json!({
                "requestId": e.request_id,
                "function": e.function,
                "attempts": e.attempts,
                "nextAttemptMs": e.next_attempt_ms,
            })).collect::<Vec<_>>(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_operations() {
        let (op, labels) = route_of(&Method::GET, "/2015-03-31/functions/").unwrap();
        assert_eq!(op, "ListFunctions");
        assert!(labels.is_empty());
        let (op, labels) = route_of(
            &Method::POST,
            "/2015-03-31/functions/my-fn%3Alive/invocations",
        )
        .unwrap();
        assert_eq!(op, "Invoke");
        assert_eq!(labels["FunctionName"], "my-fn:live");
        let (op, labels) = route_of(&Method::PUT, "/2015-03-31/functions/f/aliases/live").unwrap();
        assert_eq!((op, labels["Name"].as_str()), ("UpdateAlias", "live"));
        let (op, _) = route_of(&Method::GET, "/2019-09-30/functions/f/concurrency").unwrap();
        assert_eq!(op, "GetFunctionConcurrency");
        let (op, _) = route_of(&Method::GET, "/2016-08-19/account-settings/").unwrap();
        assert_eq!(op, "GetAccountSettings");
        assert!(route_of(&Method::GET, "/").is_none());
        assert_eq!(
            route_of(&Method::GET, "/2018-10-31/layers").unwrap().0,
            "Unknown"
        );
    }

    #[test]
    fn the_model_checks_path_members_and_headers() {
        let input =
            serde_json::json!({"FunctionName": "bad name!", "X-Amz-Invocation-Type": "Sometimes"});
        let err = model().validate("Invoke", &input).unwrap_err();
        let msg = err.message().unwrap();
        assert!(msg.starts_with("2 validation errors detected"), "{msg}");
        assert!(msg.contains("at 'functionName'"), "{msg}");
        assert!(msg.contains("at 'invocationType'"), "{msg}");
    }
}
