//! Roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy, the inline policies
//! (PutRolePolicy, GetRolePolicy, ListRolePolicies, DeleteRolePolicy) and managed policy attachments
//! (AttachRolePolicy, DetachRolePolicy, ListAttachedRolePolicies).

use std::collections::BTreeMap;
use std::sync::Arc;

use eddy_store::DocChange;

use super::entities::{Role, StoredRole, Tag, split_iam_arn};
use super::holders;
use super::{
    Iam, NS_ROLES, Page, doc_key, ids, name_key, page, policies::parse_document, to_json,
    under_prefix,
};
use crate::errors::{self, IamError};
use crate::policy::{PolicyDocument, PolicyError, PolicyKind};

/// CreateRole's input.
#[derive(Clone, Debug, Default)]
pub struct CreateRole {
    pub name: String,
    pub path: Option<String>,
    /// The trust policy document.
    pub trust: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub tags: Vec<Tag>,
}

impl Iam {
    pub async fn create_role(&self, account: &str, req: CreateRole) -> Result<Arc<Role>, IamError> {
        let _guard = self.inner.control.lock().await;
        let (trust, _) = self.parse_trust(&req.trust)?;
        if self.find_role(account, &req.name).is_some() {
            return Err(IamError::role_exists(&req.name));
        }
        let stored = StoredRole {
            account: account.to_string(),
            name: req.name,
            path: req.path.unwrap_or_else(|| "/".into()),
            role_id: ids::role_id(),
            create_ms: self.now_ms(),
            trust,
            description: req.description,
            max_session_duration: req.max_session_duration.unwrap_or(3600),
            inline: BTreeMap::new(),
            attached: Vec::new(),
            tags: req.tags,
        };
        self.commit_role(stored).await
    }

    pub fn get_role(&self, account: &str, name: &str) -> Result<Arc<Role>, IamError> {
        self.find_role(account, name)
            .ok_or_else(|| IamError::no_such_role(name))
    }

    fn find_role(&self, account: &str, name: &str) -> Option<Arc<Role>> {
        self.inner
            .state
            .read()
            .roles
            .get(&name_key(account, name))
            .cloned()
    }

    /// The role an ARN names (path included), if it exists.
    pub fn role_by_arn(&self, arn: &str) -> Option<Arc<Role>> {
        let (account, path, name) = split_iam_arn(arn, "role")?;
        self.find_role(account, name)
            .filter(|role| role.stored.path == path && role.stored.name == name)
    }

    pub fn list_roles(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<Arc<Role>>, IamError> {
        let state = self.inner.state.read();
        let roles = state
            .roles
            .iter()
            .filter(|((a, _), role)| a == account && under_prefix(&role.stored.path, path_prefix))
            .map(|((_, key), role)| (key.clone(), role.clone()));
        page(roles, marker, max_items)
    }

    pub async fn delete_role(&self, account: &str, name: &str) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let role = self.get_role(account, name)?;
        if !role.stored.attached.is_empty() {
            return Err(IamError::must_detach_policies());
        }
        if !role.stored.inline.is_empty() {
            return Err(IamError::must_delete_inline_policies());
        }
        self.write(vec![DocChange::delete(NS_ROLES, &doc_key(account, name))])
            .await?;
        self.inner
            .state
            .write()
            .roles
            .remove(&name_key(account, name));
        Ok(())
    }

    pub async fn update_assume_role_policy(
        &self,
        account: &str,
        name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let role = self.get_role(account, name)?;
        let (trust, _) = self.parse_trust(document)?;
        let mut stored = role.stored.clone();
        stored.trust = trust;
        self.commit_role(stored).await.map(|_| ())
    }

    pub async fn put_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_role(account, role_name)?.stored.clone();
        holders::put_inline(&mut stored, policy_name, document)?;
        self.commit_role(stored).await.map(|_| ())
    }

    pub fn get_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(Arc<Role>, String), IamError> {
        let role = self.get_role(account, role_name)?;
        let text = holders::inline_policy(&role.stored, policy_name)?;
        Ok((role, text))
    }

    pub fn list_role_policies(
        &self,
        account: &str,
        role_name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<String>, IamError> {
        let role = self.get_role(account, role_name)?;
        let names = role.stored.inline.keys().map(|n| (n.clone(), n.clone()));
        page(names, marker, max_items)
    }

    pub async fn delete_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_role(account, role_name)?.stored.clone();
        holders::delete_inline(&mut stored, policy_name)?;
        self.commit_role(stored).await.map(|_| ())
    }

    pub async fn attach_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_role(account, role_name)?.stored.clone();
        self.check_attachable(account, policy_arn)?;
        if holders::attach(&mut stored, policy_arn)? {
            self.commit_role(stored).await?;
        }
        Ok(())
    }

    pub async fn detach_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_role(account, role_name)?.stored.clone();
        super::policies::check_policy_arn_syntax(policy_arn)?;
        holders::detach(&mut stored, policy_arn)?;
        self.commit_role(stored).await.map(|_| ())
    }

    /// `(policy name, policy ARN)` of the role's attached policies.
    pub fn list_attached_role_policies(
        &self,
        account: &str,
        role_name: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<(String, String)>, IamError> {
        let role = self.get_role(account, role_name)?;
        attached_page(&role.stored.attached, path_prefix, marker, max_items)
    }

    async fn commit_role(&self, stored: StoredRole) -> Result<Arc<Role>, IamError> {
        let role = Arc::new(Role::from_stored(stored)?);
        let key = doc_key(&role.stored.account, &role.stored.name);
        self.write(vec![DocChange::put(NS_ROLES, &key, to_json(&role.stored)?)])
            .await?;
        self.inner.state.write().roles.insert(
            name_key(&role.stored.account, &role.stored.name),
            role.clone(),
        );
        Ok(role)
    }

    /// Checks a trust policy as IAM does when it is stored: the document itself, its size, and that every
    /// IAM user or role it names exists. Answers the text to store and the parsed document.
    fn parse_trust(&self, document: &str) -> Result<(String, PolicyDocument), IamError> {
        let (text, parsed) = parse_document(document, PolicyKind::Trust)?;
        if errors::policy_size(&text) > errors::TRUST_POLICY_MAX {
            return Err(IamError::quota_exceeded(
                "ACLSizePerRole",
                errors::TRUST_POLICY_MAX,
            ));
        }
        for arn in parsed.named_aws_principals() {
            if !self.principal_exists(arn) {
                return Err(PolicyError::invalid_principal("AWS", arn).into());
            }
        }
        Ok((text, parsed))
    }

    /// Whether an IAM user or role ARN names an existing entity.
    fn principal_exists(&self, arn: &str) -> bool {
        if self.role_by_arn(arn).is_some() {
            return true;
        }
        split_iam_arn(arn, "user").is_some_and(|(account, path, name)| {
            self.find_user(account, name)
                .is_some_and(|u| u.stored.path == path && u.stored.name == name)
        })
    }
}

/// A page of `(policy name, ARN)` for attached policy ARNs, optionally only those under a path prefix.
pub(super) fn attached_page(
    attached: &[String],
    path_prefix: Option<&str>,
    marker: Option<&str>,
    max_items: Option<usize>,
) -> Result<Page<(String, String)>, IamError> {
    let mut entries: Vec<(String, (String, String))> = attached
        .iter()
        .filter_map(|arn| {
            let (_, path, name) = split_iam_arn(arn, "policy")?;
            under_prefix(&path, path_prefix)
                .then(|| (name.to_ascii_lowercase(), (name.to_string(), arn.clone())))
        })
        .collect();
    entries.sort();
    page(entries.into_iter(), marker, max_items)
}
