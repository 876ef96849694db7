//! Credentials: users' access keys (CreateAccessKey, DeleteAccessKey, ListAccessKeys), the configured root
//! keys, temporary credentials of role sessions (`AssumeRole`, execution environments), and the lookup of
//! the secret and principal behind an access key id that SigV4 verification does on every signed request.

use std::sync::Arc;

use eddy_store::DocChange;

use super::caller::Caller;
use super::entities::AccessKey;
use super::tokens::{SessionClaims, derive_secret};
use super::{Iam, NS_KEYS, Page, ids, page, to_json};
use crate::errors::IamError;
use crate::eval::{Principal, evaluate_trust};

/// Access keys a user may have.
pub const MAX_KEYS_PER_USER: usize = 2;

/// Why an access key id (and session token) is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// No such access key id, or a temporary key id without a valid token.
    Unknown,
    /// A session token that is not one eddy issued, or does not belong to the key id.
    InvalidToken,
    /// The session's credentials have expired.
    Expired,
}

/// The secret behind an access key id and whose key it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub secret: String,
    pub caller: Caller,
}

/// Temporary credentials of a role session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch milliseconds, by the server clock.
    pub expiration_ms: i64,
    pub caller: Caller,
}

impl Iam {
    pub async fn create_access_key(
        &self,
        account: &str,
        user_name: &str,
    ) -> Result<Arc<AccessKey>, IamError> {
        let _guard = self.inner.control.lock().await;
        let user = self.get_user(account, user_name)?;
        if self.keys_of(account, &user.stored.name).count() >= MAX_KEYS_PER_USER {
            return Err(IamError::quota_exceeded(
                "AccessKeysPerUser",
                MAX_KEYS_PER_USER,
            ));
        }
        let key = Arc::new(AccessKey {
            access_key_id: ids::access_key_id(),
            secret_access_key: ids::secret_access_key(),
            account: account.to_string(),
            user_name: user.stored.name.clone(),
            create_ms: self.now_ms(),
        });
        self.write(vec![DocChange::put(
            NS_KEYS,
            &key.access_key_id,
            to_json(key.as_ref())?,
        )])
        .await?;
        self.inner
            .state
            .write()
            .keys
            .insert(key.access_key_id.clone(), key.clone());
        Ok(key)
    }

    pub async fn delete_access_key(
        &self,
        account: &str,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<(), IamError> {
        let _guard = self.inner.control.lock().await;
        let user = self.get_user(account, user_name)?;
        let owned = self
            .inner
            .state
            .read()
            .keys
            .get(access_key_id)
            .is_some_and(|k| k.account == account && k.user_name == user.stored.name);
        if !owned {
            return Err(IamError::no_such_access_key(access_key_id));
        }
        self.write(vec![DocChange::delete(NS_KEYS, access_key_id)])
            .await?;
        self.inner.state.write().keys.remove(access_key_id);
        Ok(())
    }

    pub fn list_access_keys(
        &self,
        account: &str,
        user_name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Page<Arc<AccessKey>>, IamError> {
        let user = self.get_user(account, user_name)?;
        let mut keys: Vec<(String, Arc<AccessKey>)> = self
            .keys_of(account, &user.stored.name)
            .map(|k| (k.access_key_id.clone(), k))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        page(keys.into_iter(), marker, max_items)
    }

    pub(super) fn keys_of(
        &self,
        account: &str,
        user_name: &str,
    ) -> impl Iterator<Item = Arc<AccessKey>> {
        let keys: Vec<Arc<AccessKey>> = self
            .inner
            .state
            .read()
            .keys
            .values()
            .filter(|k| k.account == account && k.user_name == user_name)
            .cloned()
            .collect();
        keys.into_iter()
    }

    /// The secret and principal of an access key id: a root key, a user's key, or a temporary key with its
    /// session token. Expiry is judged by the server clock.
    pub fn lookup_key(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<KeyInfo, KeyError> {
        if access_key_id.starts_with("ASIA") {
            let claims = self.open_token(access_key_id, session_token)?;
            if claims.expires_ms <= self.now_ms() {
                return Err(KeyError::Expired);
            }
            return Ok(KeyInfo {
                secret: derive_secret(&self.inner.session_key, access_key_id),
                caller: session_caller(claims),
            });
        }
        if session_token.is_some_and(|t| !t.is_empty()) {
            return Err(KeyError::InvalidToken);
        }
        if let Some((_, secret)) = self
            .inner
            .config
            .root_keys
            .iter()
            .find(|(id, _)| id == access_key_id)
        {
            return Ok(KeyInfo {
                secret: secret.clone(),
                caller: Caller::Root {
                    account: self.inner.config.root_account.clone(),
                },
            });
        }
        let key = self
            .inner
            .state
            .read()
            .keys
            .get(access_key_id)
            .cloned()
            .ok_or(KeyError::Unknown)?;
        let user = self
            .find_user(&key.account, &key.user_name)
            .ok_or(KeyError::Unknown)?;
        Ok(KeyInfo {
            secret: key.secret_access_key.clone(),
            caller: Caller::User {
                account: key.account.clone(),
                name: user.stored.name.clone(),
                path: user.stored.path.clone(),
                user_id: user.stored.user_id.clone(),
            },
        })
    }

    /// The account an access key id belongs to, when eddy issued it or it is a root key — with
    /// authentication off, this is how a request is placed in its account. Neither the session token's MAC
    /// nor its expiry is judged: nothing is verified in that mode.
    pub fn account_of_key(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Option<String> {
        if access_key_id.starts_with("ASIA") {
            return session_token
                .and_then(SessionClaims::peek)
                .filter(|c| c.access_key_id == access_key_id)
                .map(|c| c.account);
        }
        if self
            .inner
            .config
            .root_keys
            .iter()
            .any(|(id, _)| id == access_key_id)
        {
            return Some(self.inner.config.root_account.clone());
        }
        self.inner
            .state
            .read()
            .keys
            .get(access_key_id)
            .map(|k| k.account.clone())
    }

    fn open_token(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<SessionClaims, KeyError> {
        let token = session_token.ok_or(KeyError::Unknown)?;
        let claims =
            SessionClaims::open(&self.inner.session_key, token).ok_or(KeyError::InvalidToken)?;
        if claims.access_key_id != access_key_id {
            return Err(KeyError::InvalidToken);
        }
        Ok(claims)
    }

    /// Issues temporary credentials for a session of a role (which need not exist: a session of a missing
    /// role is allowed nothing).
    pub fn issue_session(
        &self,
        account: &str,
        role_name: &str,
        role_id: &str,
        session: &str,
        duration_ms: i64,
    ) -> SessionCredentials {
        let access_key_id = ids::session_key_id();
        let claims = SessionClaims {
            access_key_id: access_key_id.clone(),
            account: account.to_string(),
            role_name: role_name.to_string(),
            role_id: role_id.to_string(),
            session: session.to_string(),
            expires_ms: self.now_ms().saturating_add(duration_ms),
        };
        SessionCredentials {
            secret_access_key: derive_secret(&self.inner.session_key, &access_key_id),
            session_token: claims.seal(&self.inner.session_key),
            expiration_ms: claims.expires_ms,
            caller: session_caller(claims),
            access_key_id,
        }
    }

    /// The credentials of a function's execution environment: a session of its execution role named after
    /// the function (`arn:aws:sts::<account>:assumed-role/<role>/<function>`), in the function's account. A
    /// role in another account, or one that does not exist, gives a session that is allowed nothing.
    pub fn function_credentials(
        &self,
        account: &str,
        role_arn: &str,
        function: &str,
        duration_ms: i64,
    ) -> Option<SessionCredentials> {
        let (role_account, _, name) = super::entities::split_iam_arn(role_arn, "role")?;
        let role_id = self
            .role_by_arn(role_arn)
            .filter(|_| role_account == account)
            .map(|r| r.stored.role_id.clone())
            .unwrap_or_else(|| "-".into());
        // A session name is at least two characters: Lambda names the session of a one-character function
        // `<name>@lambda_function` (AWS-recorded).
        let session = if function.len() < 2 {
            format!("{function}@lambda_function")
        } else {
            function.to_string()
        };
        Some(self.issue_session(account, name, &role_id, &session, duration_ms))
    }

    /// STS AssumeRole. The role's trust policy must let the caller assume it. When `check_identity` is set
    /// (authorization is on) and the trust policy delegates to the whole account rather than naming the
    /// caller, the caller's own policies must also allow `sts:AssumeRole` on the role, as AWS requires within
    /// one account.
    pub async fn assume_role(
        &self,
        caller: &Caller,
        role_arn: &str,
        session: &str,
        duration_seconds: Option<i64>,
        check_identity: bool,
    ) -> Result<SessionCredentials, IamError> {
        let denied = || {
            IamError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn()
            ))
        };
        let role = self.role_by_arn(role_arn).ok_or_else(denied)?;
        let context = self.context_of(caller);
        let trusts = |arn: &str| {
            evaluate_trust(
                &role.trust,
                &Principal::aws(arn),
                "sts:AssumeRole",
                &context,
            )
            .is_allowed()
        };
        if !trusts(&caller.arn()) {
            return Err(denied());
        }
        let stranger = format!(
            "arn:aws:iam::{}:user/eddy-trust-probe-{}",
            caller.account(),
            ids::unique_id("", 12)
        );
        if check_identity
            && !caller.is_root()
            && trusts(&stranger)
            && !self
                .evaluate(caller, "sts:AssumeRole", role_arn, None)
                .is_allowed()
        {
            return Err(denied());
        }
        let duration = duration_seconds.unwrap_or(3600);
        if duration > role.stored.max_session_duration {
            return Err(IamError::ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .into(),
            ));
        }
        Ok(self.issue_session(
            &role.stored.account,
            &role.stored.name,
            &role.stored.role_id,
            session,
            duration.saturating_mul(1000),
        ))
    }
}

fn session_caller(claims: SessionClaims) -> Caller {
    Caller::Session {
        account: claims.account,
        role_name: claims.role_name,
        role_id: claims.role_id,
        session: claims.session,
    }
}
