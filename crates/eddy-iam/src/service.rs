//! [`Iam`]: IAM's entities made durable and served to the rest of eddy — roles (trust policy, inline and
//! attached policies), customer managed policies with versions, users with inline and attached policies and
//! access keys, the configured root keys, and temporary credentials (role sessions).
//!
//! Everything lives in the store's document API (`iam-roles`, `iam-users`, `iam-policies`, `iam-keys`,
//! `iam-meta` namespaces), written through the group-commit writer before an answer is given, and is loaded
//! into memory at start-up with every policy document parsed once. Reads (key lookups on every signed request,
//! the policies of a caller) take a read lock and never parse. Changes are serialised by one async lock, so a
//! check (`EntityAlreadyExists`, `DeleteConflict`) and the write that follows it are one step.
//!
//! Names of roles, users and policies are unique per account without regard to case, as in IAM.

mod authz;
mod caller;
mod entities;
mod holders;
mod ids;
mod keys;
mod policies;
mod roles;
mod tokens;
mod users;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use eddy_model::Clock;
use eddy_store::{DocChange, Store};
use parking_lot::RwLock;
use serde::Serialize;

pub use authz::{DenyReason, LambdaRoleCheck};
pub use caller::Caller;
pub use entities::{
    AccessKey, CustomerPolicy, PolicyView, Role, StoredPolicy, StoredRole, StoredUser,
    StoredVersion, Tag, User, VersionView, policy_arn, role_arn, split_iam_arn,
};
pub use keys::{KeyError, KeyInfo, SessionCredentials};
pub use policies::PolicyScope;
pub use roles::CreateRole;

use crate::errors::IamError;

const NS_ROLES: &str = "iam-roles";
const NS_USERS: &str = "iam-users";
const NS_POLICIES: &str = "iam-policies";
const NS_KEYS: &str = "iam-keys";
const NS_META: &str = "iam-meta";
const SESSION_KEY_DOC: &str = "session-key";

/// Settings of the IAM service.
#[derive(Clone, Debug, Default)]
pub struct IamConfig {
    /// The account root's access keys (access key id, secret access key), from configuration.
    pub root_keys: Vec<(String, String)>,
    /// The account the root keys belong to.
    pub root_account: String,
}

/// One page of a `List…` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The marker of the next page, when the answer is truncated.
    pub marker: Option<String>,
}

/// `(account, lower-cased name)`: how roles, users and customer policies are keyed.
type NameKey = (String, String);

fn name_key(account: &str, name: &str) -> NameKey {
    (account.to_string(), name.to_ascii_lowercase())
}

#[derive(Default)]
struct State {
    roles: BTreeMap<NameKey, Arc<Role>>,
    users: BTreeMap<NameKey, Arc<User>>,
    policies: BTreeMap<NameKey, Arc<CustomerPolicy>>,
    keys: HashMap<String, Arc<AccessKey>>,
}

struct Inner {
    store: Store,
    clock: Arc<Clock>,
    config: IamConfig,
    /// The key session tokens and temporary secrets are derived under.
    session_key: Vec<u8>,
    state: RwLock<State>,
    control: tokio::sync::Mutex<()>,
}

/// The IAM service. Cheap to clone.
#[derive(Clone)]
pub struct Iam {
    inner: Arc<Inner>,
}

impl Iam {
    /// Opens the service over a store, loading every entity. The session key is created on first use and
    /// kept in the store, so session tokens outlive a restart.
    pub async fn open(store: Store, clock: Arc<Clock>, config: IamConfig) -> Result<Iam, IamError> {
        let session_key = match store.get_doc(NS_META, SESSION_KEY_DOC).map_err(failure)? {
            Some(key) if key.len() >= 32 => key,
            _ => {
                let key = ids::random_bytes(32);
                store
                    .write_docs(vec![DocChange::put(NS_META, SESSION_KEY_DOC, key.clone())])
                    .await
                    .map_err(failure)?;
                key
            }
        };
        let state = load_state(&store)?;
        Ok(Iam {
            inner: Arc::new(Inner {
                store,
                clock,
                config,
                session_key,
                state: RwLock::new(state),
                control: tokio::sync::Mutex::new(()),
            }),
        })
    }

    fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.inner.clock
    }

    /// The account the configured root keys belong to.
    pub fn root_account(&self) -> &str {
        &self.inner.config.root_account
    }

    async fn write(&self, changes: Vec<DocChange>) -> Result<(), IamError> {
        self.inner.store.write_docs(changes).await.map_err(failure)
    }
}

fn failure(e: impl std::fmt::Display) -> IamError {
    IamError::ServiceFailure(e.to_string())
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, IamError> {
    serde_json::to_vec(value).map_err(failure)
}

fn doc_key(account: &str, name: &str) -> String {
    format!("{account}/{}", name.to_ascii_lowercase())
}

/// Reads every stored entity. A document that no longer parses (it cannot, unless the store was edited) is
/// skipped with a warning rather than keeping eddy from starting.
fn load_state(store: &Store) -> Result<State, IamError> {
    let mut state = State::default();
    for (key, bytes) in store
        .list_docs(NS_ROLES, "", None, usize::MAX)
        .map_err(failure)?
    {
        match serde_json::from_slice::<StoredRole>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| Role::from_stored(s).map_err(|e| e.to_string()))
        {
            Ok(role) => {
                let k = name_key(&role.stored.account, &role.stored.name);
                state.roles.insert(k, Arc::new(role));
            }
            Err(e) => tracing::warn!("iam: skipping stored role {key}: {e}"),
        }
    }
    for (key, bytes) in store
        .list_docs(NS_USERS, "", None, usize::MAX)
        .map_err(failure)?
    {
        match serde_json::from_slice::<StoredUser>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| User::from_stored(s).map_err(|e| e.to_string()))
        {
            Ok(user) => {
                let k = name_key(&user.stored.account, &user.stored.name);
                state.users.insert(k, Arc::new(user));
            }
            Err(e) => tracing::warn!("iam: skipping stored user {key}: {e}"),
        }
    }
    for (key, bytes) in store
        .list_docs(NS_POLICIES, "", None, usize::MAX)
        .map_err(failure)?
    {
        match serde_json::from_slice::<StoredPolicy>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| CustomerPolicy::from_stored(s).map_err(|e| e.to_string()))
        {
            Ok(policy) => {
                let k = name_key(&policy.stored.account, &policy.stored.name);
                state.policies.insert(k, Arc::new(policy));
            }
            Err(e) => tracing::warn!("iam: skipping stored policy {key}: {e}"),
        }
    }
    for (_, bytes) in store
        .list_docs(NS_KEYS, "", None, usize::MAX)
        .map_err(failure)?
    {
        if let Ok(key) = serde_json::from_slice::<AccessKey>(&bytes) {
            state.keys.insert(key.access_key_id.clone(), Arc::new(key));
        }
    }
    Ok(state)
}

/// IAM's default page size.
pub const DEFAULT_MAX_ITEMS: usize = 100;

/// A page of `items` (already in order, each with its sort key), after the position `marker` names.
fn page<T>(
    items: impl Iterator<Item = (String, T)>,
    marker: Option<&str>,
    max_items: Option<usize>,
) -> Result<Page<T>, IamError> {
    let after = marker
        .map(|m| {
            URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| IamError::InvalidInput("Invalid Marker.".into()))
        })
        .transpose()?;
    let max = max_items.unwrap_or(DEFAULT_MAX_ITEMS).max(1);
    let mut out = Vec::new();
    let mut last = None;
    let mut more = false;
    for (key, item) in items {
        if after.as_deref().is_some_and(|a| key.as_str() <= a) {
            continue;
        }
        if out.len() == max {
            more = true;
            break;
        }
        last = Some(key);
        out.push(item);
    }
    Ok(Page {
        items: out,
        marker: if more {
            last.map(|k| URL_SAFE_NO_PAD.encode(k))
        } else {
            None
        },
    })
}

/// Whether an entity's path lies under `prefix` (`/` and absent mean everything).
fn under_prefix(path: &str, prefix: Option<&str>) -> bool {
    prefix.is_none_or(|p| path.starts_with(p))
}

/// ISO 8601 with seconds, as IAM writes dates.
pub fn iso(ms: i64) -> String {
    crate::time::format_iso(ms)
}

#[cfg(test)]
mod tests;
