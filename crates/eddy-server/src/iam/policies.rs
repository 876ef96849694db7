//! CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, CreatePolicyVersion, GetPolicyVersion,
//! ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion.

use eddy_iam::errors::IamError;
use eddy_iam::service::{PolicyScope, PolicyView, VersionView};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    Call, Paging, WireTag, decode, encode_document, list_result, refuse, tags_in, tags_out,
};

/// Which answer a policy is shown in: they differ in `Description` and `Tags` (AWS-recorded; moto's
/// AWS-verified tests).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PolicyAnswer {
    /// CreatePolicy: the tags given, not the description (moto's AWS-verified tests).
    Created,
    /// GetPolicy: `Tags` always, empty too.
    Got,
    /// ListPolicies: neither description nor tags.
    Listed,
}

fn policy_json(policy: &PolicyView, answer: PolicyAnswer) -> Value {
    let mut out = Map::new();
    out.insert("PolicyName".into(), json!(policy.name));
    out.insert("PolicyId".into(), json!(policy.policy_id));
    out.insert("Arn".into(), json!(policy.arn));
    out.insert("Path".into(), json!(policy.path));
    out.insert("DefaultVersionId".into(), json!(policy.default_version_id));
    out.insert("AttachmentCount".into(), json!(policy.attachment_count));
    out.insert("PermissionsBoundaryUsageCount".into(), json!(0));
    out.insert("IsAttachable".into(), json!(true));
    if let Some(d) = policy
        .description
        .as_ref()
        .filter(|_| answer == PolicyAnswer::Got)
    {
        out.insert("Description".into(), json!(d));
    }
    out.insert("CreateDate".into(), json!(policy.create_date));
    out.insert("UpdateDate".into(), json!(policy.update_date));
    let with_tags = match answer {
        PolicyAnswer::Created => !policy.tags.is_empty(),
        PolicyAnswer::Got => true,
        PolicyAnswer::Listed => false,
    };
    if with_tags {
        out.insert("Tags".into(), tags_out(&policy.tags));
    }
    Value::Object(out)
}

fn version_json(version: &VersionView) -> Value {
    json!({
        "Document": encode_document(&version.document),
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.create_date,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    policy_name: String,
    path: Option<String>,
    policy_document: String,
    description: Option<String>,
    tags: Option<Vec<WireTag>>,
}

pub async fn create(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: CreateRequest = decode(body)?;
    let policy = call
        .iam
        .create_policy(
            call.account(),
            &req.policy_name,
            req.path.as_deref(),
            &req.policy_document,
            req.description,
            tags_in(req.tags),
        )
        .await?;
    Ok(json!({"Policy": policy_json(&policy, PolicyAnswer::Created)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyRequest {
    policy_arn: String,
}

pub fn get(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PolicyRequest = decode(body)?;
    let policy = call.iam.get_policy(call.account(), &req.policy_arn)?;
    Ok(json!({"Policy": policy_json(&policy, PolicyAnswer::Got)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    scope: Option<String>,
    only_attached: Option<bool>,
    path_prefix: Option<String>,
    policy_usage_filter: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListRequest = decode(body)?;
    if req.policy_usage_filter.is_some() {
        return Err(refuse(
            "PolicyUsageFilter",
            "permissions boundaries (and so the usage filter)",
        ));
    }
    let scope = match req.scope.as_deref() {
        Some("AWS") => PolicyScope::Aws,
        Some("Local") => PolicyScope::Local,
        _ => PolicyScope::All,
    };
    let page = call.iam.list_policies(
        call.account(),
        scope,
        req.only_attached.unwrap_or(false),
        req.path_prefix.as_deref(),
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let policies = page
        .items
        .iter()
        .map(|p| policy_json(p, PolicyAnswer::Listed))
        .collect();
    Ok(list_result("Policies", policies, page.marker))
}

pub async fn delete(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PolicyRequest = decode(body)?;
    call.iam
        .delete_policy(call.account(), &req.policy_arn)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateVersionRequest {
    policy_arn: String,
    policy_document: String,
    set_as_default: Option<bool>,
}

pub async fn create_version(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: CreateVersionRequest = decode(body)?;
    let version = call
        .iam
        .create_policy_version(
            call.account(),
            &req.policy_arn,
            &req.policy_document,
            req.set_as_default.unwrap_or(false),
        )
        .await?;
    let mut out = version_json(&version);
    if let Some(map) = out.as_object_mut() {
        // CreatePolicyVersion does not return the document.
        map.remove("Document");
    }
    Ok(json!({"PolicyVersion": out}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersionRequest {
    policy_arn: String,
    version_id: String,
}

pub fn get_version(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: VersionRequest = decode(body)?;
    let version = call
        .iam
        .get_policy_version(call.account(), &req.policy_arn, &req.version_id)?;
    Ok(json!({"PolicyVersion": version_json(&version)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListVersionsRequest {
    policy_arn: String,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list_versions(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListVersionsRequest = decode(body)?;
    let page = call.iam.list_policy_versions(
        call.account(),
        &req.policy_arn,
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let versions = page
        .items
        .iter()
        .map(|v| {
            let mut out = version_json(v);
            if let Some(map) = out.as_object_mut() {
                map.remove("Document");
            }
            out
        })
        .collect();
    Ok(list_result("Versions", versions, page.marker))
}

pub async fn delete_version(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: VersionRequest = decode(body)?;
    call.iam
        .delete_policy_version(call.account(), &req.policy_arn, &req.version_id)
        .await?;
    Ok(json!({}))
}

pub async fn set_default_version(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: VersionRequest = decode(body)?;
    call.iam
        .set_default_policy_version(call.account(), &req.policy_arn, &req.version_id)
        .await?;
    Ok(json!({}))
}
