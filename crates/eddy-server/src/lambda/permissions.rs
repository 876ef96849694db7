//! Resource-based policies: AddPermission (`POST …/functions/{name}/policy` → 201 `{Statement}`), GetPolicy
//! (`GET …/policy` → `{Policy, RevisionId}`) and RemovePermission (`DELETE …/policy/{StatementId}` → 204), each
//! with an optional `Qualifier` in the query string.

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;
use eddy_lambda::permissions::AddPermission;
use serde_json::{Value, json};

use super::{LambdaRequest, decode, wire};

pub async fn add(req: &LambdaRequest<'_>, body: Value) -> Result<Response<Body>, LambdaError> {
    let input: AddPermission = decode(body)?;
    let statement = req
        .lambda
        .add_permission(
            &req.ctx.scope,
            req.label("FunctionName"),
            req.query("Qualifier"),
            input,
        )
        .await?;
    Ok(wire::json(
        201,
        &req.ctx.request_id,
        &json!({ "Statement": statement }),
    ))
}

pub fn get(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let (policy, revision) = req.lambda.get_policy(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("Qualifier"),
    )?;
    Ok(wire::json(
        200,
        &req.ctx.request_id,
        &json!({ "Policy": policy, "RevisionId": revision }),
    ))
}

pub async fn remove(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    req.lambda
        .remove_permission(
            &req.ctx.scope,
            req.label("FunctionName"),
            req.label("StatementId"),
            req.query("Qualifier"),
            req.query("RevisionId"),
        )
        .await?;
    Ok(wire::empty(204, &req.ctx.request_id))
}
