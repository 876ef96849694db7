//! CreateUser, GetUser, ListUsers, DeleteUser, the users' inline policies (PutUserPolicy, GetUserPolicy,
//! ListUserPolicies, DeleteUserPolicy), attachments (AttachUserPolicy, DetachUserPolicy,
//! ListAttachedUserPolicies) and access keys (CreateAccessKey, DeleteAccessKey, ListAccessKeys).

use eddy_iam::Caller;
use eddy_iam::errors::IamError;
use eddy_iam::service::{AccessKey, User, iso};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::roles::attached_json;
use super::{
    Call, Paging, WireTag, decode, encode_document, list_result, refuse, tags_in, tags_out,
};

/// A user as CreateUser and GetUser show it: `Tags` when it has some. ListUsers leaves the tags out, as AWS's
/// listings do (moto's AWS-verified tests).
fn user_json(user: &User, with_tags: bool) -> Value {
    let s = &user.stored;
    let mut out = Map::new();
    out.insert("Path".into(), json!(s.path));
    out.insert("UserName".into(), json!(s.name));
    out.insert("UserId".into(), json!(s.user_id));
    out.insert("Arn".into(), json!(user.arn()));
    out.insert("CreateDate".into(), json!(iso(s.create_ms)));
    if with_tags && !s.tags.is_empty() {
        out.insert("Tags".into(), tags_out(&s.tags));
    }
    Value::Object(out)
}

fn key_json(key: &AccessKey, with_secret: bool) -> Value {
    let mut out = json!({
        "UserName": key.user_name,
        "AccessKeyId": key.access_key_id,
        "Status": "Active",
        "CreateDate": iso(key.create_ms),
    });
    if with_secret {
        out["SecretAccessKey"] = json!(key.secret_access_key);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    user_name: String,
    path: Option<String>,
    permissions_boundary: Option<String>,
    tags: Option<Vec<WireTag>>,
}

pub async fn create(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: CreateRequest = decode(body)?;
    if req.permissions_boundary.is_some() {
        return Err(refuse("PermissionsBoundary", "permissions boundaries"));
    }
    let user = call
        .iam
        .create_user(
            call.account(),
            &req.user_name,
            req.path.as_deref(),
            tags_in(req.tags),
        )
        .await?;
    Ok(json!({"User": user_json(&user, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MaybeUserRequest {
    user_name: Option<String>,
}

/// GetUser; without `UserName`, the calling user (for root: the account's root user).
pub fn get(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: MaybeUserRequest = decode(body)?;
    if req.user_name.is_none()
        && let Caller::Root { account } = call.caller()
    {
        return Ok(json!({"User": {
            "Path": "/",
            "UserName": "root",
            "UserId": account,
            "Arn": format!("arn:aws:iam::{account}:root"),
            "CreateDate": iso(0),
        }}));
    }
    let name = call.user_or_caller(req.user_name)?;
    let user = call.iam.get_user(call.account(), &name)?;
    Ok(json!({"User": user_json(&user, true)}))
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
    let page = call.iam.list_users(
        call.account(),
        req.path_prefix.as_deref(),
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let users = page.items.iter().map(|u| user_json(u, false)).collect();
    Ok(list_result("Users", users, page.marker))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserRequest {
    user_name: String,
}

pub async fn delete(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: UserRequest = decode(body)?;
    call.iam.delete_user(call.account(), &req.user_name).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutPolicyRequest {
    user_name: String,
    policy_name: String,
    policy_document: String,
}

pub async fn put_policy(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PutPolicyRequest = decode(body)?;
    call.iam
        .put_user_policy(
            call.account(),
            &req.user_name,
            &req.policy_name,
            &req.policy_document,
        )
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyRequest {
    user_name: String,
    policy_name: String,
}

pub fn get_policy(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PolicyRequest = decode(body)?;
    let (user, text) =
        call.iam
            .get_user_policy(call.account(), &req.user_name, &req.policy_name)?;
    Ok(json!({
        "UserName": user.stored.name,
        "PolicyName": req.policy_name,
        "PolicyDocument": encode_document(&text),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPoliciesRequest {
    user_name: String,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list_policies(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListPoliciesRequest = decode(body)?;
    let page = call.iam.list_user_policies(
        call.account(),
        &req.user_name,
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let names = page.items.into_iter().map(Value::String).collect();
    Ok(list_result("PolicyNames", names, page.marker))
}

pub async fn delete_policy(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: PolicyRequest = decode(body)?;
    call.iam
        .delete_user_policy(call.account(), &req.user_name, &req.policy_name)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachRequest {
    user_name: String,
    policy_arn: String,
}

pub async fn attach(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: AttachRequest = decode(body)?;
    call.iam
        .attach_user_policy(call.account(), &req.user_name, &req.policy_arn)
        .await?;
    Ok(json!({}))
}

pub async fn detach(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: AttachRequest = decode(body)?;
    call.iam
        .detach_user_policy(call.account(), &req.user_name, &req.policy_arn)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAttachedRequest {
    user_name: String,
    path_prefix: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list_attached(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListAttachedRequest = decode(body)?;
    let page = call.iam.list_attached_user_policies(
        call.account(),
        &req.user_name,
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

pub async fn create_access_key(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: MaybeUserRequest = decode(body)?;
    let name = call.user_or_caller(req.user_name)?;
    let key = call.iam.create_access_key(call.account(), &name).await?;
    Ok(json!({"AccessKey": key_json(&key, true)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteKeyRequest {
    user_name: Option<String>,
    access_key_id: String,
}

pub async fn delete_access_key(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: DeleteKeyRequest = decode(body)?;
    let name = call.user_or_caller(req.user_name)?;
    call.iam
        .delete_access_key(call.account(), &name, &req.access_key_id)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListKeysRequest {
    user_name: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub fn list_access_keys(call: &Call<'_>, body: Value) -> Result<Value, IamError> {
    let req: ListKeysRequest = decode(body)?;
    let name = call.user_or_caller(req.user_name)?;
    let page = call.iam.list_access_keys(
        call.account(),
        &name,
        req.paging.marker.as_deref(),
        req.paging.max_items,
    )?;
    let keys = page.items.iter().map(|k| key_json(k, false)).collect();
    Ok(list_result("AccessKeyMetadata", keys, page.marker))
}
