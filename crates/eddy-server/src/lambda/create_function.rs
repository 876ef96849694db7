//! CreateFunction: `POST /2015-03-31/functions` → 201 FunctionConfiguration.

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::{CreateFunction, LambdaError};

use super::{LambdaRequest, decode_in_request_order, wire};

pub async fn handle(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let input: CreateFunction = decode_in_request_order(&req.body)?;
    super::role::check(req.auth, &input.role)?;
    let config = req.lambda.create_function(&req.ctx.scope, input).await?;
    Ok(wire::json(201, &req.ctx.request_id, &config))
}
