//! What roles and users share: inline policies and managed-policy attachments, with IAM's limits and errors,
//! as edits of a stored entity. The callers (`roles`, `users`) lock, load, apply one of these edits and commit.

use std::collections::BTreeMap;

use super::entities::{StoredRole, StoredUser};
use super::policies::parse_document;
use crate::errors::{self, IamError};
use crate::policy::PolicyKind;

/// Attached managed policies a role or user may have (IAM's default quota).
pub const MAX_ATTACHED: usize = 10;

/// An IAM identity that holds inline policies and attached managed policies.
pub(super) trait PolicyHolder {
    /// IAM's quota name for attachments (`PoliciesPerRole`, `PoliciesPerUser`).
    const ATTACHMENT_QUOTA: &'static str;
    /// The largest aggregate size of the inline policies.
    const INLINE_MAX: usize;

    fn inline_mut(&mut self) -> &mut BTreeMap<String, String>;
    fn inline(&self) -> &BTreeMap<String, String>;
    fn attached_mut(&mut self) -> &mut Vec<String>;
    fn inline_too_large(&self) -> IamError;
    fn no_such_policy(policy_name: &str) -> IamError;
}

impl PolicyHolder for StoredRole {
    const ATTACHMENT_QUOTA: &'static str = "PoliciesPerRole";
    const INLINE_MAX: usize = errors::INLINE_ROLE_POLICIES_MAX;

    fn inline_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline
    }
    fn inline(&self) -> &BTreeMap<String, String> {
        &self.inline
    }
    fn attached_mut(&mut self) -> &mut Vec<String> {
        &mut self.attached
    }
    fn inline_too_large(&self) -> IamError {
        IamError::role_inline_policies_too_large(&self.name)
    }
    fn no_such_policy(policy_name: &str) -> IamError {
        IamError::no_such_role_policy(policy_name)
    }
}

impl PolicyHolder for StoredUser {
    const ATTACHMENT_QUOTA: &'static str = "PoliciesPerUser";
    const INLINE_MAX: usize = errors::INLINE_USER_POLICIES_MAX;

    fn inline_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline
    }
    fn inline(&self) -> &BTreeMap<String, String> {
        &self.inline
    }
    fn attached_mut(&mut self) -> &mut Vec<String> {
        &mut self.attached
    }
    fn inline_too_large(&self) -> IamError {
        IamError::user_inline_policies_too_large(&self.name)
    }
    fn no_such_policy(policy_name: &str) -> IamError {
        IamError::no_such_user_policy(policy_name)
    }
}

/// Put{Role,User}Policy: adds or replaces an inline policy, within the aggregate size limit.
pub(super) fn put_inline<H: PolicyHolder>(
    holder: &mut H,
    policy_name: &str,
    document: &str,
) -> Result<(), IamError> {
    let (text, _) = parse_document(document, PolicyKind::Inline)?;
    holder.inline_mut().insert(policy_name.to_string(), text);
    let total: usize = holder
        .inline()
        .values()
        .map(|t| errors::policy_size(t))
        .sum();
    if total > H::INLINE_MAX {
        return Err(holder.inline_too_large());
    }
    Ok(())
}

/// Get{Role,User}Policy: an inline policy's document, as it was sent.
pub(super) fn inline_policy<H: PolicyHolder>(
    holder: &H,
    policy_name: &str,
) -> Result<String, IamError> {
    holder
        .inline()
        .get(policy_name)
        .cloned()
        .ok_or_else(|| H::no_such_policy(policy_name))
}

/// Delete{Role,User}Policy.
pub(super) fn delete_inline<H: PolicyHolder>(
    holder: &mut H,
    policy_name: &str,
) -> Result<(), IamError> {
    match holder.inline_mut().remove(policy_name) {
        Some(_) => Ok(()),
        None => Err(H::no_such_policy(policy_name)),
    }
}

/// Attach{Role,User}Policy: `false` when the policy is attached already (nothing changes).
pub(super) fn attach<H: PolicyHolder>(holder: &mut H, policy_arn: &str) -> Result<bool, IamError> {
    let attached = holder.attached_mut();
    if attached.iter().any(|a| a == policy_arn) {
        return Ok(false);
    }
    if attached.len() >= MAX_ATTACHED {
        return Err(IamError::quota_exceeded(H::ATTACHMENT_QUOTA, MAX_ATTACHED));
    }
    attached.push(policy_arn.to_string());
    Ok(true)
}

/// Detach{Role,User}Policy.
pub(super) fn detach(holder: &mut impl PolicyHolder, policy_arn: &str) -> Result<(), IamError> {
    let attached = holder.attached_mut();
    let before = attached.len();
    attached.retain(|a| a != policy_arn);
    if attached.len() == before {
        return Err(not_attached(policy_arn));
    }
    Ok(())
}

/// Detaching a policy that is not attached: `Policy <arn> was not found.` (AWS-recorded).
fn not_attached(policy_arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {policy_arn} was not found."))
}
