//! GetFunction (`GET …/functions/{name}`) and GetFunctionConfiguration (`GET …/functions/{name}/configuration`),
//! both with an optional `Qualifier`.

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;

use super::{LambdaRequest, wire};

pub fn get_function(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let out = req.lambda.get_function(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("Qualifier"),
        &req.endpoint(),
    )?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}

pub fn get_configuration(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let out = req.lambda.get_function_configuration(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("Qualifier"),
    )?;
    Ok(wire::json(200, &req.ctx.request_id, &out))
}
