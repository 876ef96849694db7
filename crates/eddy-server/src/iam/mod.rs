//! The IAM API (query protocol: `Action=<Operation>&Version=2010-05-08` form posts, XML answers). IAM is a
//! global service: its ARNs have no region, and it answers on the same listener as everything else (requests
//! are told apart by the SigV4 credential scope's service `iam`, or by the action). Parameters are decoded by
//! the shared query codec, checked against IAM's model (`ValidationError` with AWS's constraint messages),
//! handled by one module per entity, and the JSON output document is written as XML. Policy documents are
//! returned URL-encoded, as IAM returns them (SDKs decode them).
//!
//! Actions IAM has that eddy does not implement are refused as IAM refuses an unknown action.

mod policies;
mod roles;
mod users;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Response;
use eddy_iam::errors::IamError;
use eddy_iam::service::Tag;
use eddy_iam::{Caller, Iam};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::protocol::context::RequestContext;
use crate::protocol::{model, query, xml};

pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const VERSION: &str = "2010-05-08";

/// What an operation needs besides its input.
pub struct Call<'a> {
    pub iam: &'a Iam,
    pub ctx: &'a RequestContext,
}

impl Call<'_> {
    pub fn account(&self) -> &str {
        &self.ctx.scope.account
    }

    pub fn caller(&self) -> Caller {
        self.ctx.caller(self.iam)
    }

    /// The user an operation without `UserName` acts on: the calling user. The root user's own keys and
    /// policies come from eddy's configuration, so root must name a user.
    pub fn user_or_caller(&self, user_name: Option<String>) -> Result<String, IamError> {
        if let Some(name) = user_name {
            return Ok(name);
        }
        match self.caller() {
            Caller::User { name, .. } => Ok(name),
            _ => Err(IamError::ValidationError(
                "Must specify userName when calling with non-User credentials".into(),
            )),
        }
    }
}

/// Converts a validated input document into an operation's typed request.
pub fn decode<T: DeserializeOwned>(body: Value) -> Result<T, IamError> {
    serde_json::from_value(body).map_err(|e| {
        let text = e.to_string();
        let text = text
            .rfind(" at line ")
            .map_or(text.as_str(), |p| &text[..p]);
        IamError::InvalidInput(text.to_string())
    })
}

/// A tag as requests carry it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireTag {
    pub key: String,
    pub value: String,
}

pub fn tags_in(tags: Option<Vec<WireTag>>) -> Vec<Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

pub fn tags_out(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// A policy document as IAM returns it: URL-encoded (RFC 3986).
pub fn encode_document(text: &str) -> String {
    crate::auth::sigv4::uri_encode(text, true)
}

/// The members of a list answer: the items, `IsTruncated` and `Marker`.
pub fn list_result(member: &str, items: Vec<Value>, marker: Option<String>) -> Value {
    let mut out = Map::new();
    out.insert(member.into(), Value::Array(items));
    out.insert("IsTruncated".into(), Value::Bool(marker.is_some()));
    if let Some(marker) = marker {
        out.insert("Marker".into(), Value::String(marker));
    }
    Value::Object(out)
}

/// `MaxItems` and `Marker` of a list request.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Paging {
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

/// Refuses a member eddy does not implement.
pub fn refuse(member: &str, what: &str) -> IamError {
    IamError::InvalidInput(format!(
        "eddy does not implement {what}; remove {member} from the request."
    ))
}

async fn dispatch(call: &Call<'_>, op: &str, body: Value) -> Result<Value, IamError> {
    match op {
        "CreateRole" => roles::create(call, body).await,
        "GetRole" => roles::get(call, body),
        "ListRoles" => roles::list(call, body),
        "DeleteRole" => roles::delete(call, body).await,
        "UpdateAssumeRolePolicy" => roles::update_trust(call, body).await,
        "PutRolePolicy" => roles::put_policy(call, body).await,
        "GetRolePolicy" => roles::get_policy(call, body),
        "ListRolePolicies" => roles::list_policies(call, body),
        "DeleteRolePolicy" => roles::delete_policy(call, body).await,
        "AttachRolePolicy" => roles::attach(call, body).await,
        "DetachRolePolicy" => roles::detach(call, body).await,
        "ListAttachedRolePolicies" => roles::list_attached(call, body),
        "CreatePolicy" => policies::create(call, body).await,
        "GetPolicy" => policies::get(call, body),
        "ListPolicies" => policies::list(call, body),
        "DeletePolicy" => policies::delete(call, body).await,
        "CreatePolicyVersion" => policies::create_version(call, body).await,
        "GetPolicyVersion" => policies::get_version(call, body),
        "ListPolicyVersions" => policies::list_versions(call, body),
        "DeletePolicyVersion" => policies::delete_version(call, body).await,
        "SetDefaultPolicyVersion" => policies::set_default_version(call, body).await,
        "CreateUser" => users::create(call, body).await,
        "GetUser" => users::get(call, body),
        "ListUsers" => users::list(call, body),
        "DeleteUser" => users::delete(call, body).await,
        "PutUserPolicy" => users::put_policy(call, body).await,
        "GetUserPolicy" => users::get_policy(call, body),
        "ListUserPolicies" => users::list_policies(call, body),
        "DeleteUserPolicy" => users::delete_policy(call, body).await,
        "AttachUserPolicy" => users::attach(call, body).await,
        "DetachUserPolicy" => users::detach(call, body).await,
        "ListAttachedUserPolicies" => users::list_attached(call, body),
        "CreateAccessKey" => users::create_access_key(call, body).await,
        "DeleteAccessKey" => users::delete_access_key(call, body).await,
        "ListAccessKeys" => users::list_access_keys(call, body),
        _ => Err(IamError::ServiceFailure(format!("unrouted operation {op}"))),
    }
}

/// An IAM request.
pub async fn handle_query(
    iam: &Iam,
    ctx: &RequestContext,
    mut params: BTreeMap<String, String>,
) -> Response<Body> {
    let op = params.remove("Action").unwrap_or_default();
    params.remove("Version");
    let model = model::iam();
    if !model.has_operation(&op) {
        return unknown_action(NAMESPACE, VERSION, &op, &ctx.request_id);
    }
    let call = Call { iam, ctx };
    let result = match query::decode(model, &op, &params) {
        Ok(body) => match model.validate(&op, &body) {
            Ok(()) => dispatch(&call, &op, body).await,
            Err(e) => Err(IamError::ValidationError(without_quoted_values(
                &e.message().unwrap_or_default(),
            ))),
        },
        Err(e) => Err(decode_error(&e)),
    };
    respond(model, &op, result, &ctx.request_id, NAMESPACE)
}

/// Members whose refused value IAM does not repeat (AWS-recorded: `Value at 'versionId' failed to satisfy
/// constraint: …` for GetPolicyVersion and SetDefaultPolicyVersion).
const UNQUOTED_MEMBERS: [&str; 1] = ["versionId"];

/// A model fault in IAM's words: `Value '<v>' at '<member>'` loses the value for the members IAM does not quote.
fn without_quoted_values(message: &str) -> String {
    let mut out = message.to_string();
    for member in UNQUOTED_MEMBERS {
        let at = format!("' at '{member}' failed");
        while let Some(end) = out.find(&at) {
            let Some(start) = out[..end].rfind("Value '") else {
                break;
            };
            out.replace_range(start..end + 1, "Value");
        }
    }
    out
}

/// A parameter that is not of its member's type.
pub fn decode_error(e: &query::DecodeError) -> IamError {
    IamError::ValidationError(format!(
        "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must be {}",
        e.value,
        model::lower_first(&e.parameter),
        match e.expected {
            "integer" => "an integer",
            "boolean" => "a boolean",
            _ => "a number",
        }
    ))
}

/// Writes an IAM or STS answer: the result as XML, or the error in the query protocol's error shape.
pub fn respond(
    model: &model::ServiceModel,
    op: &str,
    result: Result<Value, IamError>,
    request_id: &str,
    namespace: &str,
) -> Response<Body> {
    match result {
        Ok(value) => xml::response(
            200,
            request_id,
            xml::render_result(model, op, &value, request_id, namespace),
        ),
        Err(e) => {
            if e.status() >= 500 {
                tracing::error!(request_id, "iam: internal error: {e}");
            }
            xml::response(
                e.status(),
                request_id,
                xml::render_error(
                    e.fault().as_str(),
                    e.code(),
                    e.message(),
                    request_id,
                    namespace,
                ),
            )
        }
    }
}

/// `InvalidAction`, as IAM and STS answer an action they do not have.
pub fn unknown_action(
    namespace: &str,
    version: &str,
    op: &str,
    request_id: &str,
) -> Response<Body> {
    xml::response(
        400,
        request_id,
        xml::render_error(
            "Sender",
            "InvalidAction",
            &format!("Could not find operation {op} for version {version}"),
            request_id,
            namespace,
        ),
    )
}

/// Whether a query-protocol action belongs to IAM (for requests whose signature names no service).
pub fn is_action(action: &str) -> bool {
    model::iam().has_operation(action)
}
