//! Managed policies: the customer's (CreatePolicy, GetPolicy, ListPolicies, DeletePolicy and the versions:
//! CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion, SetDefaultPolicyVersion)
//! and AWS's (read-only; `UnmodifiableEntity` when a change is asked). Also the reading of policy documents
//! every IAM operation shares.

use std::sync::Arc;

use eddy_store::DocChange;

use super::entities::{
    CustomerPolicy, PolicyView, StoredPolicy, StoredVersion, Tag, VersionView, aws_managed,
    split_iam_arn,
};
use super::{
    Iam, NS_POLICIES, Page, State, doc_key, ids, iso, name_key, page, to_json, under_prefix,
};
use crate::errors::{self, IamError};
use crate::managed::{self, ManagedPolicy};
use crate::policy::{PolicyDocument, PolicyKind};

/// Versions a managed policy may have.
pub const MAX_VERSIONS: usize = 5;

/// `ListPolicies`' `Scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyScope {
    All,
    Aws,
    Local,
}

/// Reads a policy document as sent: URL-decoded first when it is URL-encoded (some clients send it so), then
/// parsed with IAM's checks. Answers the text to store and the parsed document.
pub(super) fn parse_document(
    document: &str,
    kind: PolicyKind,
) -> Result<(String, PolicyDocument), IamError> {
    let text = if document.trim_start().starts_with('%') {
        percent_decode(document)
    } else {
        document.to_string()
    };
    let parsed = PolicyDocument::parse(&text, kind)?;
    Ok((text, parsed))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `This policy is an AWS managed policy` refusals.
fn unmodifiable(arn: &str) -> IamError {
    IamError::UnmodifiableEntity(format!(
        "Cannot perform the operation on the AWS managed policy {arn}."
    ))
}

impl State {
    /// The customer policy an ARN names in `account`.
    fn customer_policy(&self, account: &str, arn: &str) -> Option<Arc<CustomerPolicy>> {
        let (arn_account, path, name) = split_iam_arn(arn, "policy")?;
        if arn_account != account {
            return None;
        }
        self.policies
            .get(&name_key(account, name))
            .filter(|p| p.stored.path == path && p.stored.name == name)
            .cloned()
    }

    /// How many roles and users of `account` have `arn` attached.
    fn attachment_count(&self, account: &str, arn: &str) -> usize {
        let roles = self
            .roles
            .iter()
            .filter(|((a, _), r)| a == account && r.stored.attached.iter().any(|x| x == arn))
            .count();
        let users = self
            .users
            .iter()
            .filter(|((a, _), u)| a == account && u.stored.attached.iter().any(|x| x == arn))
            .count();
        roles + users
    }
}

impl Iam {
    pub async fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<PolicyView, IamError> {
        let _guard = self.inner.control.lock().await;
        let (text, _) = parse_managed(document)?;
        if self
            .inner
            .state
            .read()
            .policies
            .contains_key(&name_key(account, name))
        {
            return Err(IamError::policy_exists(name));
        }
        let now = self.now_ms();
        let stored = StoredPolicy {
            account: account.to_string(),
            name: name.to_string(),
            path: path.unwrap_or("/").to_string(),
            policy_id: ids::policy_id(),
            description,
            create_ms: now,
            update_ms: now,
            default_version: "v1".into(),
            next_version: 2,
            versions: vec![StoredVersion {
                version_id: "v1".into(),
                document: text,
                create_ms: now,
            }],
            tags,
        };
        let policy = self.commit_policy(stored).await?;
        Ok(self.customer_view(&policy))
    }

    /// GetPolicy: a customer policy of the caller's account, or an AWS managed policy.
    pub fn get_policy(&self, account: &str, arn: &str) -> Result<PolicyView, IamError> {
        if let Some(policy) = aws_managed(arn) {
            return Ok(self.aws_view(account, policy));
        }
        let policy = self.customer(account, arn)?;
        Ok(self.customer_view(&policy))
    }

    fn customer(&self, account: &str, arn: &str) -> Result<Arc<CustomerPolicy>, IamError> {
        self.inner
            .state
            .read()
            .customer_policy(account, arn)
            .ok_or_else(|| IamError::no_such_policy(arn))
    }

    pub fn list_policies(
        &self,
        account: &str,
        scope: PolicyScope,
        only_attached: bool,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<PolicyView>, IamError> {
        let mut views: Vec<(String, PolicyView)> = Vec::new();
        if scope != PolicyScope::Local {
            for policy in managed::ALL.iter() {
                views.push((format!("0{}", policy.arn), self.aws_view(account, policy)));
            }
        }
        if scope != PolicyScope::Aws {
            let state = self.inner.state.read();
            for ((a, _), policy) in &state.policies {
                if a == account {
                    views.push((format!("1{}", policy.arn()), view_of(&state, policy)));
                }
            }
        }
        views.retain(|(_, v)| {
            under_prefix(&v.path, path_prefix) && (!only_attached || v.attachment_count > 0)
        });
        views.sort_by(|a, b| a.0.cmp(&b.0));
        page(views.into_iter(), marker, max_items)
    }

    pub async fn delete_policy(&self, account: &str, arn: &str) -> Result<(), IamError> {
        if managed::is_aws_managed_arn(arn) {
            return Err(unmodifiable(arn));
        }
        let _guard = self.inner.control.lock().await;
        let policy = self.customer(account, arn)?;
        if self.inner.state.read().attachment_count(account, arn) > 0 {
            return Err(IamError::policy_still_attached());
        }
        if policy.stored.versions.len() > 1 {
            return Err(IamError::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".into(),
            ));
        }
        self.write(vec![DocChange::delete(
            NS_POLICIES,
            &doc_key(account, &policy.stored.name),
        )])
        .await?;
        self.inner
            .state
            .write()
            .policies
            .remove(&name_key(account, &policy.stored.name));
        Ok(())
    }

    pub async fn create_policy_version(
        &self,
        account: &str,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<VersionView, IamError> {
        if managed::is_aws_managed_arn(arn) {
            return Err(unmodifiable(arn));
        }
        let _guard = self.inner.control.lock().await;
        let policy = self.customer(account, arn)?;
        let (text, _) = parse_managed(document)?;
        if policy.stored.versions.len() >= MAX_VERSIONS {
            return Err(IamError::LimitExceeded(format!(
                "A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let now = self.now_ms();
        let mut stored = policy.stored.clone();
        let version_id = format!("v{}", stored.next_version);
        stored.next_version += 1;
        stored.versions.push(StoredVersion {
            version_id: version_id.clone(),
            document: text,
            create_ms: now,
        });
        if set_as_default {
            stored.default_version = version_id.clone();
        }
        stored.update_ms = now;
        let policy = self.commit_policy(stored).await?;
        version_view(&policy, &version_id).ok_or_else(|| IamError::no_such_policy(arn))
    }

    pub fn get_policy_version(
        &self,
        account: &str,
        arn: &str,
        version_id: &str,
    ) -> Result<VersionView, IamError> {
        let missing = || IamError::no_such_policy_version(arn, version_id);
        if let Some(policy) = aws_managed(arn) {
            return (policy.default_version_id == version_id)
                .then(|| VersionView::of_aws(policy))
                .ok_or_else(missing);
        }
        let policy = self.customer(account, arn).map_err(|_| missing())?;
        version_view(&policy, version_id).ok_or_else(missing)
    }

    pub fn list_policy_versions(
        &self,
        account: &str,
        arn: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<VersionView>, IamError> {
        if let Some(policy) = aws_managed(arn) {
            let only = VersionView::of_aws(policy);
            return page(
                std::iter::once((only.version_id.clone(), only)),
                marker,
                max_items,
            );
        }
        let policy = self.customer(account, arn)?;
        let mut versions: Vec<(String, VersionView)> = policy
            .stored
            .versions
            .iter()
            .filter_map(|v| version_view(&policy, &v.version_id))
            .map(|v| (format!("{:010}", version_number(&v.version_id)), v))
            .collect();
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        // Newest first, as IAM lists them; the marker compares in the same (descending) order.
        let keyed = versions
            .into_iter()
            .enumerate()
            .map(|(i, (_, v))| (format!("{i:010}"), v));
        page(keyed, marker, max_items)
    }

    pub async fn delete_policy_version(
        &self,
        account: &str,
        arn: &str,
        version_id: &str,
    ) -> Result<(), IamError> {
        if managed::is_aws_managed_arn(arn) {
            return Err(unmodifiable(arn));
        }
        let _guard = self.inner.control.lock().await;
        let policy = self.customer(account, arn)?;
        if policy.stored.default_version == version_id {
            return Err(IamError::DeleteConflict(
                "Cannot delete the default version of a policy.".into(),
            ));
        }
        let mut stored = policy.stored.clone();
        let before = stored.versions.len();
        stored.versions.retain(|v| v.version_id != version_id);
        if stored.versions.len() == before {
            return Err(IamError::no_such_policy_version(arn, version_id));
        }
        self.commit_policy(stored).await.map(|_| ())
    }

    pub async fn set_default_policy_version(
        &self,
        account: &str,
        arn: &str,
        version_id: &str,
    ) -> Result<(), IamError> {
        if managed::is_aws_managed_arn(arn) {
            return Err(unmodifiable(arn));
        }
        let _guard = self.inner.control.lock().await;
        // A missing policy is reported as its missing version (AWS-recorded).
        let policy = self
            .customer(account, arn)
            .map_err(|_| IamError::no_such_policy_version(arn, version_id))?;
        if !policy
            .stored
            .versions
            .iter()
            .any(|v| v.version_id == version_id)
        {
            return Err(IamError::no_such_policy_version(arn, version_id));
        }
        let mut stored = policy.stored.clone();
        stored.default_version = version_id.to_string();
        stored.update_ms = self.now_ms();
        self.commit_policy(stored).await.map(|_| ())
    }

    /// Whether `arn` names a policy `account` may attach: an AWS managed policy eddy has, or one of the
    /// account's customer policies.
    pub(super) fn check_attachable(&self, account: &str, arn: &str) -> Result<(), IamError> {
        check_policy_arn_syntax(arn)?;
        let exists = aws_managed(arn).is_some()
            || self
                .inner
                .state
                .read()
                .customer_policy(account, arn)
                .is_some();
        if exists {
            Ok(())
        } else {
            Err(IamError::policy_not_attachable(arn))
        }
    }

    /// The document of the default version of an attached policy, parsed.
    pub(super) fn attached_document(
        state: &State,
        account: &str,
        arn: &str,
    ) -> Option<Arc<PolicyDocument>> {
        if let Some(policy) = aws_managed(arn) {
            return super::entities::aws_managed_document(policy);
        }
        state
            .customer_policy(account, arn)
            .map(|p| p.default_document.clone())
    }

    async fn commit_policy(&self, stored: StoredPolicy) -> Result<Arc<CustomerPolicy>, IamError> {
        let policy = Arc::new(CustomerPolicy::from_stored(stored)?);
        let key = doc_key(&policy.stored.account, &policy.stored.name);
        self.write(vec![DocChange::put(
            NS_POLICIES,
            &key,
            to_json(&policy.stored)?,
        )])
        .await?;
        self.inner.state.write().policies.insert(
            name_key(&policy.stored.account, &policy.stored.name),
            policy.clone(),
        );
        Ok(policy)
    }

    fn customer_view(&self, policy: &CustomerPolicy) -> PolicyView {
        view_of(&self.inner.state.read(), policy)
    }

    fn aws_view(&self, account: &str, policy: &ManagedPolicy) -> PolicyView {
        PolicyView {
            name: policy.name.to_string(),
            arn: policy.arn.to_string(),
            path: policy.path.to_string(),
            policy_id: policy.policy_id.to_string(),
            default_version_id: policy.default_version_id.to_string(),
            attachment_count: self
                .inner
                .state
                .read()
                .attachment_count(account, policy.arn),
            description: Some(policy.description.to_string()),
            create_date: policy.create_date.to_string(),
            update_date: policy.update_date.to_string(),
            tags: Vec::new(),
        }
    }
}

fn parse_managed(document: &str) -> Result<(String, PolicyDocument), IamError> {
    let (text, parsed) = parse_document(document, PolicyKind::Managed)?;
    if errors::policy_size(&text) > errors::MANAGED_POLICY_MAX {
        return Err(IamError::quota_exceeded(
            "PolicySize",
            errors::MANAGED_POLICY_MAX,
        ));
    }
    Ok((text, parsed))
}

fn view_of(state: &State, policy: &CustomerPolicy) -> PolicyView {
    let arn = policy.arn();
    PolicyView {
        name: policy.stored.name.clone(),
        path: policy.stored.path.clone(),
        policy_id: policy.stored.policy_id.clone(),
        default_version_id: policy.stored.default_version.clone(),
        attachment_count: state.attachment_count(&policy.stored.account, &arn),
        description: policy.stored.description.clone(),
        create_date: iso(policy.stored.create_ms),
        update_date: iso(policy.stored.update_ms),
        tags: policy.stored.tags.clone(),
        arn,
    }
}

fn version_view(policy: &CustomerPolicy, version_id: &str) -> Option<VersionView> {
    let version = policy
        .stored
        .versions
        .iter()
        .find(|v| v.version_id == version_id)?;
    Some(VersionView {
        version_id: version.version_id.clone(),
        document: version.document.clone(),
        is_default: policy.stored.default_version == version.version_id,
        create_date: iso(version.create_ms),
    })
}

fn version_number(version_id: &str) -> u64 {
    version_id
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A policy named by something that is not an ARN (its name, say) is invalid input, not a missing policy
/// (AWS-recorded: `ARN <text> is not valid.`).
pub(super) fn check_policy_arn_syntax(arn: &str) -> Result<(), IamError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", _, _, resource] if resource.starts_with("policy/") => Ok(()),
        _ => Err(IamError::InvalidInput(format!("ARN {arn} is not valid."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_documents_are_decoded_before_parsing() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let (text, parsed) = parse_document(encoded, PolicyKind::Managed).unwrap();
        assert!(text.starts_with("{\"Version\""));
        assert_eq!(parsed.statements.len(), 1);
        assert_eq!(percent_decode("%zz+%41"), "%zz A");
    }
}
