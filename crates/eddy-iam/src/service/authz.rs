//! Authorization with the stored entities: the identity policies of a caller (a user's inline and attached
//! policies, a role session's role's), the decision for one action on one resource with the `aws:` keys of
//! the request, the text of AWS's `AccessDenied` messages, and the checks Lambda makes on an execution role
//! (trust for `lambda.amazonaws.com`, stream actions, on-failure destinations).

use std::sync::Arc;

use super::caller::Caller;
use super::{Iam, State, name_key};
use crate::checks::{
    self, DestinationDenied, LAMBDA_SERVICE_PRINCIPAL, MissingActions, check_destination_access_in,
    check_stream_access_in,
};
use crate::context::GlobalKeys;
use crate::eval::{AccessRequest, Decision, Principal, RequestContext, allows_assume, evaluate};
use crate::policy::PolicyDocument;

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// No statement allowed it.
    Implicit,
    /// A `Deny` statement matched.
    Explicit,
}

impl DenyReason {
    /// AWS's `AccessDenied` message: `User: <caller> is not authorized to perform: <action> on resource:
    /// <resource> because no identity-based policy allows the <action> action` (or `with an explicit deny in
    /// an identity-based policy`). `action` is written as the service writes it (`SNS:Publish`).
    pub fn message(self, caller_arn: &str, action: &str, resource: &str) -> String {
        let tail = match self {
            DenyReason::Implicit => {
                format!("because no identity-based policy allows the {action} action")
            }
            DenyReason::Explicit => "with an explicit deny in an identity-based policy".into(),
        };
        format!(
            "User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {tail}"
        )
    }
}

/// CreateFunction's view of an execution role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LambdaRoleCheck {
    /// The role exists and its trust policy lets `lambda.amazonaws.com` assume it.
    Assumable,
    /// The role exists; its trust policy does not let Lambda assume it.
    NotAssumable,
    /// eddy's IAM has no such role.
    Missing,
}

impl Iam {
    /// The request context of a call by `caller`: the keys the caller implies, the server clock, and what
    /// `base` adds (source IP, requested region, transport).
    pub fn context_of(&self, caller: &Caller) -> RequestContext {
        self.context_with(caller, GlobalKeys::default())
    }

    fn context_with(&self, caller: &Caller, base: GlobalKeys) -> RequestContext {
        let keys = caller.global_keys();
        GlobalKeys {
            now_ms: Some(self.now_ms()),
            principal_arn: keys.principal_arn,
            principal_account: keys.principal_account,
            principal_type: keys.principal_type,
            username: keys.username,
            userid: keys.userid,
            ..base
        }
        .into_context()
    }

    /// The identity policies of a caller; none for root (which is allowed everything without them).
    pub fn caller_policies(&self, caller: &Caller) -> Vec<Arc<PolicyDocument>> {
        let state = self.inner.state.read();
        match caller {
            Caller::Root { .. } => Vec::new(),
            Caller::User { account, name, .. } => state
                .users
                .get(&name_key(account, name))
                .map(|u| {
                    let mut out: Vec<_> = u.inline.values().cloned().collect();
                    out.extend(attached_documents(&state, account, &u.stored.attached));
                    out
                })
                .unwrap_or_default(),
            Caller::Session {
                account,
                role_name,
                role_id,
                ..
            } => state
                .roles
                .get(&name_key(account, role_name))
                .filter(|r| role_id.is_empty() || r.stored.role_id == *role_id)
                .map(|r| {
                    let mut out: Vec<_> = r.inline.values().cloned().collect();
                    out.extend(attached_documents(&state, account, &r.stored.attached));
                    out
                })
                .unwrap_or_default(),
        }
    }

    /// The decision for `caller` performing `action` on `resource`. Root is allowed everything.
    pub fn evaluate(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        base: Option<GlobalKeys>,
    ) -> Decision {
        if caller.is_root() {
            return Decision::Allow;
        }
        let policies = self.caller_policies(caller);
        let refs: Vec<&PolicyDocument> = policies.iter().map(Arc::as_ref).collect();
        // Most policies have neither conditions nor variables: the context is built only when read.
        let context = if refs.iter().any(|p| p.reads_context()) {
            self.context_with(caller, base.unwrap_or_default())
        } else {
            RequestContext::new()
        };
        evaluate(
            &refs,
            &AccessRequest::new(action, resource).in_context(context),
        )
    }

    /// [`Iam::evaluate`] as a result: `Err` says why the request is refused.
    pub fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        base: Option<GlobalKeys>,
    ) -> Result<(), DenyReason> {
        match self.evaluate(caller, action, resource, base) {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny => Err(DenyReason::Explicit),
            Decision::ImplicitDeny => Err(DenyReason::Implicit),
        }
    }

    /// Whether Lambda may assume the role an ARN names.
    pub fn lambda_role_check(&self, role_arn: &str) -> LambdaRoleCheck {
        match self.role_by_arn(role_arn) {
            None => LambdaRoleCheck::Missing,
            Some(role) => {
                if allows_assume(&role.trust, &Principal::service(LAMBDA_SERVICE_PRINCIPAL)) {
                    LambdaRoleCheck::Assumable
                } else {
                    LambdaRoleCheck::NotAssumable
                }
            }
        }
    }

    /// The caller a function's role session is: `assumed-role/<role>/<function>`.
    fn function_session(&self, role_arn: &str, function: &str) -> Option<Caller> {
        let role = self.role_by_arn(role_arn)?;
        Some(Caller::Session {
            account: role.stored.account.clone(),
            role_name: role.stored.name.clone(),
            role_id: role.stored.role_id.clone(),
            session: function.to_string(),
        })
    }

    /// CreateEventSourceMapping's check that a function's role can read a stream. A missing role can read
    /// nothing.
    pub fn check_stream_access(
        &self,
        role_arn: &str,
        function: &str,
        stream_arn: &str,
    ) -> Result<(), MissingActions> {
        let Some(session) = self.function_session(role_arn, function) else {
            return Err(MissingActions {
                stream_arn: stream_arn.to_string(),
                actions: checks::STREAM_ACTIONS.to_vec(),
            });
        };
        let policies = self.caller_policies(&session);
        let refs: Vec<&PolicyDocument> = policies.iter().map(Arc::as_ref).collect();
        check_stream_access_in(&refs, stream_arn, &self.context_of(&session))
    }

    /// CreateEventSourceMapping's check that a function's role can write to its on-failure destination.
    pub fn check_destination_access(
        &self,
        role_arn: &str,
        function: &str,
        destination_arn: &str,
    ) -> Result<(), DestinationDenied> {
        let (policies, context) = match self.function_session(role_arn, function) {
            Some(session) => (self.caller_policies(&session), self.context_of(&session)),
            None => (Vec::new(), RequestContext::new()),
        };
        let refs: Vec<&PolicyDocument> = policies.iter().map(Arc::as_ref).collect();
        check_destination_access_in(&refs, destination_arn, &context)
    }
}

fn attached_documents(
    state: &State,
    account: &str,
    attached: &[String],
) -> Vec<Arc<PolicyDocument>> {
    attached
        .iter()
        .filter_map(|arn| Iam::attached_document(state, account, arn))
        .collect()
}
