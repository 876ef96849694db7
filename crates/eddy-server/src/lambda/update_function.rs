//! UpdateFunctionCode (`PUT …/functions/{name}/code`) and UpdateFunctionConfiguration
//! (`PUT …/functions/{name}/configuration`), both → FunctionConfiguration. Warm environments of the old code
//! or configuration are replaced.

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::{LambdaError, UpdateFunctionCode, UpdateFunctionConfiguration};
use serde_json::Value;

use super::{LambdaRequest, decode, decode_in_request_order, wire};

pub async fn code(req: &LambdaRequest<'_>, body: Value) -> Result<Response<Body>, LambdaError> {
    let input: UpdateFunctionCode = decode(body)?;
    let out = req
        .lambda
        .update_function_code(&req.ctx.scope, req.label("FunctionName"), input)
        .await?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub async fn configuration(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let input: UpdateFunctionConfiguration = decode_in_request_order(&req.body)?;
    if let Some(role) = &input.role {
        super::role::check(req.auth, role)?;
    }
    let out = req
        .lambda
        .update_function_configuration(&req.ctx.scope, req.label("FunctionName"), input)
        .await?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}
