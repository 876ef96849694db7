//! Lambda's tagging API (`/2017-03-31/tags/{Resource}`): ListTags, TagResource (204), UntagResource (204) for
//! functions and event source mappings. Tags of a function are also what GetFunction answers; tags of a
//! mapping are the ones CreateEventSourceMapping stored. Aliases and versions cannot be tagged, as on AWS.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Method, Response, Uri};
use eddy_esm::EsmError;
use eddy_lambda::LambdaError;
use eddy_model::Scope;
use serde_json::{Map, Value, json};

use super::wire;
use crate::AppState;
use crate::auth::Identity;
use crate::protocol::context::RequestContext;

const PREFIX: &str = "/2017-03-31/tags/";

/// A resource Lambda can tag, named by its ARN.
#[derive(Debug, PartialEq, Eq)]
enum Taggable {
    Function { arn: String },
    Mapping { uuid: String },
}

/// Which tagging operation a method names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TagOp {
    List,
    Tag,
    Untag,
}

impl TagOp {
    fn of(method: &Method) -> Option<TagOp> {
        match *method {
            Method::GET => Some(TagOp::List),
            Method::POST => Some(TagOp::Tag),
            Method::DELETE => Some(TagOp::Untag),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TagOp::List => "ListTags",
            TagOp::Tag => "TagResource",
            TagOp::Untag => "UntagResource",
        }
    }
}

/// `GET|POST|DELETE /2017-03-31/tags/{Resource}`.
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    identity: Option<Extension<Identity>>,
    body: Bytes,
) -> Response<Body> {
    let ctx = crate::lambda_context(&state, &headers, &uri, identity);
    match serve(&state, &ctx, &method, &uri, &body).await {
        Ok(response) => response,
        Err(e) => wire::error(&ctx.request_id, &e),
    }
}

async fn serve(
    state: &AppState,
    ctx: &RequestContext,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Result<Response<Body>, LambdaError> {
    let Some(op) = TagOp::of(method) else {
        return Err(LambdaError::ResourceNotFound(
            "No such Lambda API path".into(),
        ));
    };
    let resource = wire::percent_decode(uri.path().strip_prefix(PREFIX).unwrap_or(""), false);
    let keys: Vec<String> = wire::query_pairs(uri.query())
        .into_iter()
        .filter(|(k, _)| k == "tagKeys")
        .map(|(_, v)| v)
        .collect();
    let tags = validate(op, &resource, body, &keys)?;
    let target = taggable(&ctx.scope, &resource)?;
    match op {
        TagOp::List => {
            let tags = list(state, &ctx.scope, &target)?;
            Ok(wire::json(200, &ctx.request_id, &json!({ "Tags": tags })))
        }
        TagOp::Tag => {
            retag(state, &ctx.scope, &target, tags, &[]).await?;
            Ok(wire::empty(204, &ctx.request_id))
        }
        TagOp::Untag => {
            retag(state, &ctx.scope, &target, BTreeMap::new(), &keys).await?;
            Ok(wire::empty(204, &ctx.request_id))
        }
    }
}

/// Checks the request against Lambda's model (ARN pattern, required members) and returns TagResource's tags.
fn validate(
    op: TagOp,
    resource: &str,
    body: &[u8],
    keys: &[String],
) -> Result<BTreeMap<String, String>, LambdaError> {
    let mut input = if op == TagOp::Tag {
        super::parse_body(body)?
    } else {
        Map::new()
    };
    input.insert("Resource".into(), Value::String(resource.to_string()));
    if op == TagOp::Untag && !keys.is_empty() {
        input.insert("tagKeys".into(), json!(keys));
    }
    let input = Value::Object(input);
    super::model()
        .validate(op.name(), &input)
        .map_err(super::model_error)?;
    let tags: BTreeMap<String, String> = match input.get("Tags") {
        Some(tags) => super::decode(tags.clone())?,
        None => BTreeMap::new(),
    };
    if op == TagOp::Tag && tags.is_empty() {
        // AWS's answer to `"Tags": {}` (AWS-recorded).
        return Err(LambdaError::InvalidParameterValue(
            "An error occurred and the request cannot be processed.".into(),
        ));
    }
    Ok(tags)
}

/// The function or mapping an ARN names, in the caller's account and region.
fn taggable(scope: &Scope, arn: &str) -> Result<Taggable, LambdaError> {
    let parts: Vec<&str> = arn.splitn(8, ':').collect();
    let in_scope = parts.len() >= 7 && parts[3] == &*scope.region && parts[4] == &*scope.account;
    match parts.get(5..).unwrap_or_default() {
        ["function", _, _qualifier] => Err(LambdaError::InvalidParameterValue(
            "Tags on function aliases and versions are not supported. Please specify a function ARN."
                .into(),
        )),
        ["function", _] if in_scope => Ok(Taggable::Function {
            arn: arn.to_string(),
        }),
        ["function", _] => Err(LambdaError::ResourceNotFound(format!(
            "Function not found: {arn}"
        ))),
        ["event-source-mapping", uuid] if in_scope => Ok(Taggable::Mapping {
            uuid: uuid.to_string(),
        }),
        ["event-source-mapping", _] => Err(mapping_error(mapping_not_found())),
        _ => Err(LambdaError::InvalidParameterValue(format!(
            "Tagging is not supported by eddy for {arn}: only functions and event source mappings can be tagged"
        ))),
    }
}

fn list(
    state: &AppState,
    scope: &Scope,
    target: &Taggable,
) -> Result<BTreeMap<String, String>, LambdaError> {
    match target {
        Taggable::Function { arn } => state.lambda.list_tags(scope, arn),
        Taggable::Mapping { uuid } => state.esm.tags(scope, uuid).map_err(mapping_error),
    }
}

async fn retag(
    state: &AppState,
    scope: &Scope,
    target: &Taggable,
    add: BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), LambdaError> {
    match target {
        Taggable::Function { arn } => state.lambda.retag(scope, arn, add, remove).await,
        Taggable::Mapping { uuid } => state
            .esm
            .retag(scope, uuid, add, remove)
            .await
            .map_err(mapping_error),
    }
}

fn mapping_not_found() -> EsmError {
    EsmError::NotFound("The resource you requested does not exist.".into())
}

/// The mapping engine's errors in the Lambda API's vocabulary.
fn mapping_error(e: EsmError) -> LambdaError {
    match e {
        EsmError::NotFound(m) => LambdaError::ResourceNotFound(m),
        EsmError::Conflict(m) => LambdaError::ResourceConflict(m),
        EsmError::Validation(m) => LambdaError::Validation(m),
        EsmError::InvalidParameter(m) | EsmError::InUse(m) => LambdaError::InvalidParameterValue(m),
        EsmError::Service(m) => LambdaError::Service(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("000000000000", "us-east-1")
    }

    #[test]
    fn arns_name_functions_and_mappings_of_the_callers_scope() {
        let f = "arn:aws:lambda:us-east-1:000000000000:function:fn";
        assert_eq!(
            taggable(&scope(), f),
            Ok(Taggable::Function { arn: f.into() })
        );
        let m = "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:14e0db71-0000-4000-8000-000000000000";
        assert_eq!(
            taggable(&scope(), m),
            Ok(Taggable::Mapping {
                uuid: "14e0db71-0000-4000-8000-000000000000".into()
            })
        );
        let other_region = "arn:aws:lambda:eu-west-1:000000000000:function:fn";
        assert!(matches!(
            taggable(&scope(), other_region),
            Err(LambdaError::ResourceNotFound(_))
        ));
        let qualified = "arn:aws:lambda:us-east-1:000000000000:function:fn:1";
        assert!(matches!(
            taggable(&scope(), qualified),
            Err(LambdaError::InvalidParameterValue(m)) if m.starts_with("Tags on function aliases")
        ));
    }
}
