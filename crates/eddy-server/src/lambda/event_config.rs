//! Asynchronous invocation settings: Put (`PUT /2019-09-25/functions/{name}/event-invoke-config`), Update
//! (`POST`), Get, Delete (→ 204) and List (`GET …/event-invoke-config/list`), each but List with an optional
//! `Qualifier` in the query string; and the recursive-loop setting (`PUT`/`GET
//! /2024-08-31/functions/{name}/recursion-config`).

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;
use eddy_lambda::event_config::EventInvokeConfigInput;
use serde_json::{Value, json};

use super::{LambdaRequest, decode, wire};

pub async fn put(
    req: &LambdaRequest<'_>,
    body: Value,
    replace: bool,
) -> Result<Response<Body>, LambdaError> {
    let input: EventInvokeConfigInput = decode(body)?;
    let out = req
        .lambda
        .put_event_invoke_config(
            &req.ctx.scope,
            req.label("FunctionName"),
            req.query("Qualifier"),
            input,
            replace,
        )
        .await?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub fn get(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let out = req.lambda.get_event_invoke_config(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("Qualifier"),
    )?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub async fn delete(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    req.lambda
        .delete_event_invoke_config(
            &req.ctx.scope,
            req.label("FunctionName"),
            req.query("Qualifier"),
        )
        .await?;
    Ok(wire::empty(204, &req.ctx.request_id))
}

pub fn list(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let page = req.lambda.list_event_invoke_configs(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("Marker"),
        req.max_items(50),
    )?;
    let mut out = json!({ "FunctionEventInvokeConfigs": page.items });
    if let Some(marker) = page.next_marker {
        out["NextMarker"] = json!(marker);
    }
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecursionInput {
    recursive_loop: String,
}

pub async fn put_recursion(
    req: &LambdaRequest<'_>,
    body: Value,
) -> Result<Response<Body>, LambdaError> {
    let input: RecursionInput = decode(body)?;
    let out = req
        .lambda
        .put_recursion_config(
            &req.ctx.scope,
            req.label("FunctionName"),
            &input.recursive_loop,
        )
        .await?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub fn get_recursion(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let out = req
        .lambda
        .get_recursion_config(&req.ctx.scope, req.label("FunctionName"))?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}
