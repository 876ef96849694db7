//! PublishVersion (`POST …/functions/{name}/versions` → 201) and ListVersionsByFunction
//! (`GET …/functions/{name}/versions`).

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{LambdaRequest, decode, wire};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PublishVersion {
    description: Option<String>,
    code_sha256: Option<String>,
    revision_id: Option<String>,
}

pub async fn publish(req: &LambdaRequest<'_>, body: Value) -> Result<Response<Body>, LambdaError> {
    let input: PublishVersion = decode(body)?;
    let out = req
        .lambda
        .publish_version(
            &req.ctx.scope,
            req.label("FunctionName"),
            input.description.as_deref(),
            input.code_sha256.as_deref(),
            input.revision_id.as_deref(),
        )
        .await?;
    Ok(wire::json(201, &req.ctx.request_id, &out))
}

pub fn list(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let page = req.lambda.list_versions(
        &req.ctx.scope,
        req.label("FunctionName"),
        req.query("Marker"),
        req.max_items(50),
    )?;
    let mut out = json!({ "Versions": page.items });
    if let Some(marker) = page.next_marker {
        out["NextMarker"] = json!(marker);
    }
    Ok(wire::json(200, &req.ctx.request_id, &out))
}
