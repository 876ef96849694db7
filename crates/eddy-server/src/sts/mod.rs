//! The STS API (query protocol, XML answers): `GetCallerIdentity` (who signed the request; no permission
//! needed) and `AssumeRole` (temporary credentials of a role session, when the role's trust policy lets the
//! caller assume it — and, with `--auth iam`, when the caller's own policies allow `sts:AssumeRole` on the
//! role where the trust policy delegates to the whole account). Session policies, tags, external ids and MFA
//! are refused. Other STS actions are refused as an unknown action.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Response;
use eddy_iam::errors::IamError;
use eddy_iam::service::iso;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Auth, AuthMode};
use crate::iam::{decode, decode_error, respond, unknown_action};
use crate::protocol::context::RequestContext;
use crate::protocol::{model, query};

pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const VERSION: &str = "2011-06-15";

/// An STS request.
pub async fn handle_query(
    auth: &Auth,
    ctx: &RequestContext,
    mut params: BTreeMap<String, String>,
) -> Response<Body> {
    let op = params.remove("Action").unwrap_or_default();
    params.remove("Version");
    let model = model::sts();
    if !model.has_operation(&op) {
        return unknown_action(NAMESPACE, VERSION, &op, &ctx.request_id);
    }
    let result = match query::decode(model, &op, &params) {
        Ok(body) => match model.validate(&op, &body) {
            Ok(()) => dispatch(auth, ctx, &op, body).await,
            Err(e) => Err(IamError::ValidationError(e.message().unwrap_or_default())),
        },
        Err(e) => Err(decode_error(&e)),
    };
    respond(model, &op, result, &ctx.request_id, NAMESPACE)
}

async fn dispatch(
    auth: &Auth,
    ctx: &RequestContext,
    op: &str,
    body: Value,
) -> Result<Value, IamError> {
    match op {
        "GetCallerIdentity" => {
            let caller = ctx.caller(&auth.iam);
            Ok(json!({
                "UserId": caller.user_id(),
                "Account": caller.account(),
                "Arn": caller.arn(),
            }))
        }
        "AssumeRole" => assume_role(auth, ctx, body).await,
        _ => Err(IamError::ServiceFailure(format!("unrouted operation {op}"))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleRequest {
    role_arn: String,
    role_session_name: String,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    policy_arns: Option<Value>,
    tags: Option<Value>,
    transitive_tag_keys: Option<Value>,
    external_id: Option<String>,
    serial_number: Option<String>,
    token_code: Option<String>,
    source_identity: Option<String>,
    provided_contexts: Option<Value>,
}

impl AssumeRoleRequest {
    /// The first member eddy does not implement, if any.
    fn unsupported(&self) -> Option<&'static str> {
        [
            ("Policy", self.policy.is_some()),
            ("PolicyArns", self.policy_arns.is_some()),
            ("Tags", self.tags.is_some()),
            ("TransitiveTagKeys", self.transitive_tag_keys.is_some()),
            ("ExternalId", self.external_id.is_some()),
            ("SerialNumber", self.serial_number.is_some()),
            ("TokenCode", self.token_code.is_some()),
            ("SourceIdentity", self.source_identity.is_some()),
            ("ProvidedContexts", self.provided_contexts.is_some()),
        ]
        .into_iter()
        .find_map(|(name, set)| set.then_some(name))
    }
}

async fn assume_role(auth: &Auth, ctx: &RequestContext, body: Value) -> Result<Value, IamError> {
    let req: AssumeRoleRequest = decode(body)?;
    if let Some(member) = req.unsupported() {
        return Err(IamError::ValidationError(format!(
            "eddy does not implement {member} in AssumeRole; remove it from the request."
        )));
    }
    let caller = ctx.caller(&auth.iam);
    let credentials = auth
        .iam
        .assume_role(
            &caller,
            &req.role_arn,
            &req.role_session_name,
            req.duration_seconds,
            auth.mode == AuthMode::Iam,
        )
        .await?;
    Ok(json!({
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": iso(credentials.expiration_ms),
        },
        "AssumedRoleUser": {
            "AssumedRoleId": credentials.caller.user_id(),
            "Arn": credentials.caller.arn(),
        },
    }))
}

/// Whether a query-protocol action belongs to STS (for requests whose signature names no service).
pub fn is_action(action: &str) -> bool {
    model::sts().has_operation(action)
}
