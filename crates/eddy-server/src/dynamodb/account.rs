//! DescribeLimits and DescribeEndpoints: account-level answers with AWS's default quotas.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use serde_json::json;

use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

pub fn describe_limits(ctx: &RequestContext) -> Result<Response<Body>, DynamoError> {
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000
        }),
    ))
}

/// Endpoint discovery points clients back at this server (the host they used).
pub fn describe_endpoints(ctx: &RequestContext) -> Result<Response<Body>, DynamoError> {
    let address = ctx.host().unwrap_or("127.0.0.1:4566").to_string();
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"Endpoints": [{"Address": address, "CachePeriodInMinutes": 1440}]}),
    ))
}
