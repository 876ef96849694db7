//! Reserved concurrency — PutFunctionConcurrency (`PUT /2017-10-31/functions/{name}/concurrency`),
//! GetFunctionConcurrency (`GET /2019-09-30/…`), DeleteFunctionConcurrency (`DELETE /2017-10-31/…` → 204) —
//! and GetAccountSettings (`GET /2016-08-19/account-settings`).

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;
use serde::Deserialize;
use serde_json::Value;

use super::{LambdaRequest, decode, wire};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutConcurrency {
    reserved_concurrent_executions: i64,
}

pub async fn put(req: &LambdaRequest<'_>, body: Value) -> Result<Response<Body>, LambdaError> {
    let input: PutConcurrency = decode(body)?;
    let reserved = u32::try_from(input.reserved_concurrent_executions).map_err(|_| {
        LambdaError::InvalidParameterValue("ReservedConcurrentExecutions is out of range".into())
    })?;
    let out = req
        .lambda
        .put_function_concurrency(&req.ctx.scope, req.label("FunctionName"), reserved)
        .await?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub fn get(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let out = req
        .lambda
        .get_function_concurrency(&req.ctx.scope, req.label("FunctionName"))?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub async fn delete(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    req.lambda
        .delete_function_concurrency(&req.ctx.scope, req.label("FunctionName"))
        .await?;
    Ok(wire::empty(204, &req.ctx.request_id))
}

pub fn account_settings(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    Ok(wire::json(
        200,
        &req.ctx.request_id,
        &req.lambda.account_settings(&req.ctx.scope),
    ))
}
