//! Aliases: CreateAlias (`POST …/aliases` → 201), GetAlias, UpdateAlias, DeleteAlias (→ 204) at
//! `…/aliases/{Name}`, and ListAliases (`GET …/aliases[?FunctionVersion=]`).

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::{AliasInput, LambdaError, UpdateAlias};
use serde_json::{Value, json};

use super::{LambdaRequest, decode, wire};

pub async fn create(req: &LambdaRequest<'_>, body: Value) -> Result<Response<Body>, LambdaError> {
    let input: AliasInput = decode(body)?;
    let out = req
        .lambda
        .create_alias(&req.ctx.scope, req.label("FunctionName"), input)
        .await?;
    Ok(wire::json(201, &req.ctx.request_id, &out))
}

pub fn get(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let out = req
        .lambda
        .get_alias(&req.ctx.scope, req.label("FunctionName"), req.label("Name"))?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub async fn update(req: &LambdaRequest<'_>, body: Value) -> Result<Response<Body>, LambdaError> {
    let input: UpdateAlias = decode(body)?;
    let out = req
        .lambda
        .update_alias(
            &req.ctx.scope,
            req.label("FunctionName"),
            req.label("Name"),
            input,
        )
        .await?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub async fn delete(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    req.lambda
        .delete_alias(&req.ctx.scope, req.label("FunctionName"), req.label("Name"))
        .await?;
    Ok(wire::empty(204, &req.ctx.request_id))
}

pub fn list(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let page = req.lambda.list_aliases(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("FunctionVersion"),
        req.query("Marker"),
        req.max_items(50),
    )?;
    let mut out = json!({ "Aliases": page.items });
    if let Some(marker) = page.next_marker {
        out["NextMarker"] = json!(marker);
    }
    Ok(wire::json(200, &req.ctx.request_id, &out))
}
