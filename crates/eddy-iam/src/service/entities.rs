//! The IAM entities eddy keeps: roles, users, customer managed policies with their versions, and access keys.
//! Each has a stored form (what is written to the store, serde) and an in-memory form that also holds its
//! policy documents parsed once, so that evaluating a request never parses a document.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::managed::{self, ManagedPolicy};
use crate::policy::{PolicyDocument, PolicyError, PolicyKind};

/// A tag (`Key`, `Value`), as IAM lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A role as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRole {
    pub account: String,
    pub name: String,
    pub path: String,
    pub role_id: String,
    pub create_ms: i64,
    /// The trust policy, as the caller sent it.
    pub trust: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    /// Inline policies by name, as sent.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policies, by ARN, in attachment order.
    pub attached: Vec<String>,
    pub tags: Vec<Tag>,
}

/// A role with its documents parsed.
#[derive(Clone, Debug)]
pub struct Role {
    pub stored: StoredRole,
    pub trust: Arc<PolicyDocument>,
    pub inline: BTreeMap<String, Arc<PolicyDocument>>,
}

impl Role {
    pub fn from_stored(stored: StoredRole) -> Result<Role, PolicyError> {
        let trust = Arc::new(PolicyDocument::parse(&stored.trust, PolicyKind::Trust)?);
        let inline = parse_inline(&stored.inline)?;
        Ok(Role {
            stored,
            trust,
            inline,
        })
    }

    pub fn arn(&self) -> String {
        role_arn(&self.stored.account, &self.stored.path, &self.stored.name)
    }
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredUser {
    pub account: String,
    pub name: String,
    pub path: String,
    pub user_id: String,
    pub create_ms: i64,
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
    pub tags: Vec<Tag>,
}

/// A user with its inline policies parsed.
#[derive(Clone, Debug)]
pub struct User {
    pub stored: StoredUser,
    pub inline: BTreeMap<String, Arc<PolicyDocument>>,
}

impl User {
    pub fn from_stored(stored: StoredUser) -> Result<User, PolicyError> {
        let inline = parse_inline(&stored.inline)?;
        Ok(User { stored, inline })
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.stored.account, self.stored.path, self.stored.name
        )
    }
}

fn parse_inline(
    inline: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Arc<PolicyDocument>>, PolicyError> {
    inline
        .iter()
        .map(|(name, text)| {
            PolicyDocument::parse(text, PolicyKind::Inline).map(|d| (name.clone(), Arc::new(d)))
        })
        .collect()
}

/// One version of a customer managed policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVersion {
    pub version_id: String,
    pub document: String,
    pub create_ms: i64,
}

/// A customer managed policy as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub account: String,
    pub name: String,
    pub path: String,
    pub policy_id: String,
    pub description: Option<String>,
    pub create_ms: i64,
    pub update_ms: i64,
    pub default_version: String,
    /// The number of the next version (`v<n>`); versions are never renumbered.
    pub next_version: u32,
    pub versions: Vec<StoredVersion>,
    pub tags: Vec<Tag>,
}

/// A customer managed policy with its default version parsed.
#[derive(Clone, Debug)]
pub struct CustomerPolicy {
    pub stored: StoredPolicy,
    pub default_document: Arc<PolicyDocument>,
}

impl CustomerPolicy {
    pub fn from_stored(stored: StoredPolicy) -> Result<CustomerPolicy, PolicyError> {
        let text = stored
            .versions
            .iter()
            .find(|v| v.version_id == stored.default_version)
            .map(|v| v.document.as_str())
            .unwrap_or("");
        let default_document = Arc::new(PolicyDocument::parse(text, PolicyKind::Managed)?);
        Ok(CustomerPolicy {
            stored,
            default_document,
        })
    }

    pub fn arn(&self) -> String {
        policy_arn(&self.stored.account, &self.stored.path, &self.stored.name)
    }
}

/// An access key of a user, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: String,
    pub user_name: String,
    pub create_ms: i64,
}

/// What `GetPolicy` and `ListPolicies` show of a policy, customer or AWS managed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyView {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub policy_id: String,
    pub default_version_id: String,
    pub attachment_count: usize,
    pub description: Option<String>,
    /// ISO 8601.
    pub create_date: String,
    pub update_date: String,
    pub tags: Vec<Tag>,
}

/// One version of a policy, as `GetPolicyVersion` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionView {
    pub version_id: String,
    pub document: String,
    pub is_default: bool,
    pub create_date: String,
}

impl VersionView {
    pub(crate) fn of_aws(policy: &ManagedPolicy) -> VersionView {
        VersionView {
            version_id: policy.default_version_id.to_string(),
            document: policy.document.to_string(),
            is_default: true,
            create_date: policy.create_date.to_string(),
        }
    }
}

/// `arn:aws:iam::<account>:role<path><name>`
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

/// `arn:aws:iam::<account>:policy<path><name>`
pub fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// The account, path and name an IAM ARN of `kind` (`role`, `user`, `policy`) names:
/// `arn:aws:iam::123456789012:role/service/worker` → (`123456789012`, `/service/`, `worker`).
pub fn split_iam_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, String, &'a str)> {
    let [_, partition, "iam", "", account, resource] = crate::arn::fields(arn)? else {
        return None;
    };
    if !crate::arn::is_partition(partition) {
        return None;
    }
    let rest = resource.strip_prefix(kind)?;
    if !rest.starts_with('/') {
        return None;
    }
    let (path, name) = rest.rsplit_once('/')?;
    (!name.is_empty()).then(|| (account, format!("{path}/"), name))
}

/// The AWS managed policy an ARN names, among those eddy has.
pub fn aws_managed(arn: &str) -> Option<&'static ManagedPolicy> {
    managed::by_arn(arn)
}

/// The documents of the AWS managed policies, parsed once.
pub fn aws_managed_document(policy: &ManagedPolicy) -> Option<Arc<PolicyDocument>> {
    use std::sync::OnceLock;
    static PARSED: OnceLock<Vec<(&'static str, Arc<PolicyDocument>)>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        managed::ALL
            .iter()
            .filter_map(|p| p.parse().ok().map(|d| (p.arn, Arc::new(d))))
            .collect()
    });
    parsed
        .iter()
        .find(|(arn, _)| *arn == policy.arn)
        .map(|(_, d)| d.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_arns_split_into_account_path_and_name() {
        assert_eq!(
            split_iam_arn("arn:aws:iam::123456789012:role/service/worker", "role"),
            Some(("123456789012", "/service/".to_string(), "worker"))
        );
        assert_eq!(
            split_iam_arn("arn:aws:iam::000000000000:role/lambda-role", "role"),
            Some(("000000000000", "/".to_string(), "lambda-role"))
        );
        assert_eq!(
            split_iam_arn("arn:aws:iam::aws:policy/service-role/X", "policy"),
            Some(("aws", "/service-role/".to_string(), "X"))
        );
        assert_eq!(split_iam_arn("arn:aws:iam::1:user/u", "role"), None);
        assert_eq!(split_iam_arn("arn:aws:iam::1:role/", "role"), None);
        assert_eq!(split_iam_arn("arn:aws:iam::1:roleX/u", "role"), None);
        assert_eq!(split_iam_arn("nonsense", "role"), None);
    }

    #[test]
    fn aws_managed_documents_are_parsed_once() {
        let policy = managed::ALL[1];
        let a = aws_managed_document(&policy);
        let b = aws_managed_document(&policy);
        assert!(a.is_some());
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
    }
}
