//! Users: CreateUser, GetUser, ListUsers, DeleteUser, their inline policies (PutUserPolicy, GetUserPolicy,
//! ListUserPolicies, DeleteUserPolicy) and managed policy attachments (AttachUserPolicy, DetachUserPolicy,
//! ListAttachedUserPolicies). Access keys are in `keys`.

use std::collections::BTreeMap;
use std::sync::Arc;

use eddy_store::DocChange;

use super::entities::{StoredUser, Tag, User};
use super::holders;
use super::roles::attached_page;
use super::{Iam, NS_USERS, Page, doc_key, ids, name_key, page, to_json, under_prefix};
use crate::errors::IamError;

impl Iam {
    pub async fn create_user(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<Arc<User>, IamError> {
        let _guard = self.inner.control.lock().await;
        if self.find_user(account, name).is_some() {
            return Err(IamError::user_exists(name));
        }
        let stored = StoredUser {
            account: account.to_string(),
            name: name.to_string(),
            path: path.unwrap_or("/").to_string(),
            user_id: ids::user_id(),
            create_ms: self.now_ms(),
            inline: BTreeMap::new(),
            attached: Vec::new(),
            tags,
        };
        self.commit_user(stored).await
    }

    pub fn get_user(&self, account: &str, name: &str) -> Result<Arc<User>, IamError> {
        self.find_user(account, name)
            .ok_or_else(|| IamError::no_such_user(name))
    }

    pub(super) fn find_user(&self, account: &str, name: &str) -> Option<Arc<User>> {
        self.inner
            .state
            .read()
            .users
            .get(&name_key(account, name))
            .cloned()
    }

    pub fn list_users(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<Arc<User>>, IamError> {
        let state = self.inner.state.read();
        let users = state
            .users
            .iter()
            .filter(|((a, _), u)| a == account && under_prefix(&u.stored.path, path_prefix))
            .map(|((_, key), u)| (key.clone(), u.clone()));
        page(users, marker, max_items)
    }

    pub async fn delete_user(&self, account: &str, name: &str) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let user = self.get_user(account, name)?;
        if self.keys_of(account, &user.stored.name).next().is_some() {
            return Err(IamError::must_delete_access_keys());
        }
        if !user.stored.attached.is_empty() {
            return Err(IamError::must_detach_policies());
        }
        if !user.stored.inline.is_empty() {
            return Err(IamError::must_delete_inline_policies());
        }
        self.write(vec![DocChange::delete(NS_USERS, &doc_key(account, name))])
            .await?;
        self.inner
            .state
            .write()
            .users
            .remove(&name_key(account, name));
        Ok(())
    }

    pub async fn put_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_user(account, user_name)?.stored.clone();
        holders::put_inline(&mut stored, policy_name, document)?;
        self.commit_user(stored).await.map(|_| ())
    }

    pub fn get_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<(Arc<User>, String), IamError> {
        let user = self.get_user(account, user_name)?;
        let text = holders::inline_policy(&user.stored, policy_name)?;
        Ok((user, text))
    }

    pub fn list_user_policies(
        &self,
        account: &str,
        user_name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<String>, IamError> {
        let user = self.get_user(account, user_name)?;
        let names = user.stored.inline.keys().map(|n| (n.clone(), n.clone()));
        page(names, marker, max_items)
    }

    pub async fn delete_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_user(account, user_name)?.stored.clone();
        holders::delete_inline(&mut stored, policy_name)?;
        self.commit_user(stored).await.map(|_| ())
    }

    pub async fn attach_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_user(account, user_name)?.stored.clone();
        self.check_attachable(account, policy_arn)?;
        if holders::attach(&mut stored, policy_arn)? {
            self.commit_user(stored).await?;
        }
        Ok(())
    }

    pub async fn detach_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let mut stored = self.get_user(account, user_name)?.stored.clone();
        super::policies::check_policy_arn_syntax(policy_arn)?;
        holders::detach(&mut stored, policy_arn)?;
        self.commit_user(stored).await.map(|_| ())
    }

    pub fn list_attached_user_policies(
        &self,
        account: &str,
        user_name: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<(String, String)>, IamError> {
        let user = self.get_user(account, user_name)?;
        attached_page(&user.stored.attached, path_prefix, marker, max_items)
    }

    async fn commit_user(&self, stored: StoredUser) -> Result<Arc<User>, IamError> {
        let user = Arc::new(User::from_stored(stored)?);
        let key = doc_key(&user.stored.account, &user.stored.name);
        self.write(vec![DocChange::put(NS_USERS, &key, to_json(&user.stored)?)])
            .await?;
        self.inner.state.write().users.insert(
            name_key(&user.stored.account, &user.stored.name),
            user.clone(),
        );
        Ok(user)
    }
}
