//! ListFunctions: `GET /2015-03-31/functions?Marker=&MaxItems=&FunctionVersion=ALL`.

use axum::body::Body;
use axum::http::Response;
use eddy_lambda::LambdaError;
use serde_json::json;

use super::{LambdaRequest, wire};

pub fn handle(req: &LambdaRequest<'_>) -> Result<Response<Body>, LambdaError> {
    let all = req.query("FunctionVersion") == Some("ALL");
    if req.query("MasterRegion").is_some() {
        return Err(LambdaError::InvalidParameterValue(
            "MasterRegion (Lambda@Edge replicas) is not supported by eddy".into(),
        ));
    }
    let page =
        req.lambda
            .list_functions(&req.ctx.scope, req.query("Marker"), req.max_items(50), all)?;
    let mut out = json!({ "Functions": page.items });
    if let Some(marker) = page.next_marker {
        out["NextMarker"] = json!(marker);
    }
    Ok(wire::json(200, &req.ctx.request_id, &out))
}
