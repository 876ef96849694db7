//! CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy, PutRolePolicy, GetRolePolicy,
//! ListRolePolicies, DeleteRolePolicy, AttachRolePolicy, DetachRolePolicy, ListAttachedRolePolicies.

use eddy_iam::errors::IamError;
use eddy_iam::service::{CreateRole, Role, iso};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    Call, Paging, WireTag, decode, encode_document, list_result, refuse, tags_in, tags_out,
};

/// A role as IAM shows it. `detail` adds what `GetRole` shows beyond `CreateRole`.
/// Which answer a role is shown in: they differ in members (AWS-recorded).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RoleAnswer {
    /// CreateRole: no `Description`, even one just given.
    Created,
    /// GetRole: everything, with `MaxSessionDuration` and `RoleLastUsed`.
    Got,
    /// ListRoles: `MaxSessionDuration`, no tags.
    Listed,
}

pub fn role_json(role: &Role, answer: RoleAnswer) -> Value {
    let s = &role.stored;
    let mut out = Map::new();
    out.insert("Path".into(), json!(s.path));
    out.insert("RoleName".into(), json!(s.name));
    out.insert("RoleId".into(), json!(s.role_id));
    out.insert("Arn".into(), json!(role.arn()));
    out.insert("CreateDate".into(), json!(iso(s.create_ms)));
    out.insert(
        "AssumeRolePolicyDocument".into(),
        json!(encode_document(&s.trust)),
    );
    if let Some(d) = s
        .description
        .as_ref()
        .filter(|_| answer != RoleAnswer::Created)
    {
        out.insert("Description".into(), json!(d));
    }
    if answer != RoleAnswer::Created {
        out.insert("MaxSessionDuration".into(), json!(s.max_session_duration));
    }
    if answer == RoleAnswer::Got {
        out.insert("RoleLastUsed".into(), json!({}));
    }
    if !s.tags.is_empty() && answer != RoleAnswer::Listed {
        out.insert("Tags".into(), tags_out(&s.tags));
    }
    Value::Object(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    role_name: String,
    path: Option<String>,
    assume_role_policy_document: String,
    description: Option<String>,
    max_session_duration: Option<i64>,
    permissions_boundary: Option<String>,
    tags: Option<Vec<WireTag>>,
}

pub async fn create(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: CreateRequest = decode(body)?;
    if req.permissions_boundary.is_some() {
        return Err(refuse("PermissionsBoundary", "permissions boundaries"));
    }
    let role = call
        .iam
        .create_role(
            call.account(),
            CreateRole {
                name: req.role_name,
                path: req.path,
                trust: req.assume_role_policy_document,
                description: req.description,
                max_session_duration: req.max_session_duration,
                tags: tags_in(req.tags),
            },
        )
        .await?;
    Ok(json!({"Role": role_json(&role, RoleAnswer::Created)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleRequest {
    role_name: String,
}

pub fn get(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: RoleRequest = decode(body)?;
    let role = call.iam.get_role(call.account(), &req.role_name)?;
    Ok(json!({"Role": role_json(&role, RoleAnswer::Got)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    path_prefix: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListRequest = decode(body)?;
    let page = call.iam.list_roles(
        call.account(),
        req.path_prefix.as_deref(),
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let roles = page
        .items
        .iter()
        .map(|r| role_json(r, RoleAnswer::Listed))
        .collect();
    Ok(list_result("Roles", roles, page.marker))
}

pub async fn delete(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: RoleRequest = decode(body)?;
    call.iam.delete_role(call.account(), &req.role_name).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrustRequest {
    role_name: String,
    policy_document: String,
}

pub async fn update_trust(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: TrustRequest = decode(body)?;
    call.iam
        .update_assume_role_policy(call.account(), &req.role_name, &req.policy_document)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutPolicyRequest {
    role_name: String,
    policy_name: String,
    policy_document: String,
}

pub async fn put_policy(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PutPolicyRequest = decode(body)?;
    call.iam
        .put_role_policy(
            call.account(),
            &req.role_name,
            &req.policy_name,
            &req.policy_document,
        )
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyRequest {
    role_name: String,
    policy_name: String,
}

pub fn get_policy(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PolicyRequest = decode(body)?;
    let (role, text) =
        call.iam
            .get_role_policy(call.account(), &req.role_name, &req.policy_name)?;
    Ok(json!({
        "RoleName": role.stored.name,
        "PolicyName": req.policy_name,
        "PolicyDocument": encode_document(&text),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPoliciesRequest {
    role_name: String,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list_policies(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListPoliciesRequest = decode(body)?;
    let page = call.iam.list_role_policies(
        call.account(),
        &req.role_name,
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let names = page.items.into_iter().map(Value::String).collect();
    Ok(list_result("PolicyNames", names, page.marker))
}

pub async fn delete_policy(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PolicyRequest = decode(body)?;
    call.iam
        .delete_role_policy(call.account(), &req.role_name, &req.policy_name)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachRequest {
    role_name: String,
    policy_arn: String,
}

pub async fn attach(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: AttachRequest = decode(body)?;
    call.iam
        .attach_role_policy(call.account(), &req.role_name, &req.policy_arn)
        .await?;
    Ok(json!({}))
}

pub async fn detach(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: AttachRequest = decode(body)?;
    call.iam
        .detach_role_policy(call.account(), &req.role_name, &req.policy_arn)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAttachedRequest {
    role_name: String,
    path_prefix: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// `AttachedPolicies` of a list of `(name, ARN)`.
pub fn attached_json(items: Vec<(String, String)>) -> Vec<Value> {
    items
        .into_iter()
        .map(|(name, arn)| json!({"PolicyName": name, "PolicyArn": arn}))
        .collect()
}

pub fn list_attached(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListAttachedRequest = decode(body)?;
    let page = call.iam.list_attached_role_policies(
        call.account(),
        &req.role_name,
        req.path_prefix.as_deref(),
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    Ok(list_result(
        "AttachedPolicies",
        attached_json(page.items),
        page.marker,
    ))
}
