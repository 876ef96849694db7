//! DeleteFunction: `DELETE /2015-03-31/functions/{name}[?Qualifier=<version>]` → 204.

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;

use super::{LambdaRequest, wire};

pub async fn handle(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    req.lambda
        .delete_function(
            &req.ctx.scope,
            req.label("FunctionName"),
            req.query("Qualifier"),
        )
        .await?;
    Ok(wire::empty(204, &req.ctx.request_id))
}
