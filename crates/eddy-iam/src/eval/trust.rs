//! Trust policies: may this principal assume the role? A statement applies when its `Principal` names the
//! caller (or its `NotPrincipal` does not), its action covers the STS action asked for, and its conditions
//! hold; explicit deny wins, as everywhere.
//!
//! Naming, as IAM documents it: `"*"` and `{"AWS": "*"}` are everyone; an account (`123456789012` or
//! `arn:aws:iam::123456789012:root`) stands for every principal of that account — AWS then also requires the
//! caller's own identity policies to allow `sts:AssumeRole`, which is the caller's business, not this
//! module's; a role ARN also covers that role's sessions (`arn:aws:sts::…:assumed-role/<role>/<session>`);
//! service principals compare without case.

use super::{AccessRequest, ContextValue, Decision, RequestContext, condition, lookup};
use crate::arn;
use crate::eval::{ContextVariables, action_matches};
use crate::pattern::VariableSource;
use crate::policy::{
    Effect, PolicyDocument, PrincipalElement, PrincipalId, PrincipalKind, Principals, Statement,
};

/// Who asks to assume a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An AWS service, by its service principal (`lambda.amazonaws.com`).
    Service(String),
    /// An IAM user, role session or account root, by ARN (or a bare account id).
    Aws(String),
    /// A web-identity or SAML provider.
    Federated(String),
    /// An unsigned caller.
    Anonymous,
}

impl Principal {
    pub fn service(name: impl Into<String>) -> Principal {
        Principal::Service(name.into())
    }

    pub fn aws(arn: impl Into<String>) -> Principal {
        Principal::Aws(arn.into())
    }
}

/// Whether `trust` lets `principal` call `sts:AssumeRole` on the role, with only the context the principal
/// itself implies (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalServiceName`).
pub fn allows_assume(trust: &PolicyDocument, principal: &Principal) -> bool {
    evaluate_trust(trust, principal, "sts:AssumeRole", &RequestContext::new()).is_allowed()
}

/// The decision of `trust` for `principal` calling `action` (`sts:AssumeRole`, `sts:TagSession`, …) in
/// `context`. The principal's own keys are added to the context where it does not already have them.
pub fn evaluate_trust(
    trust: &PolicyDocument,
    principal: &Principal,
    action: &str,
    context: &RequestContext,
) -> Decision {
    let context = with_principal_keys(context, principal);
    let request = AccessRequest::new(action, "*").in_context(context);
    let vars = ContextVariables(&request.context);
    let vars: Option<&dyn VariableSource> = trust.supports_variables().then_some(&vars);
    let mut allowed = false;
    for statement in &trust.statements {
        if !trust_statement_applies(statement, principal, &request, vars) {
            continue;
        }
        match statement.effect {
            Effect::Deny => return Decision::ExplicitDeny,
            Effect::Allow => allowed = true,
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn trust_statement_applies(
    statement: &Statement,
    principal: &Principal,
    request: &AccessRequest,
    vars: Option<&dyn VariableSource>,
) -> bool {
    principal_matches(statement.principal.as_ref(), principal)
        && action_matches(&statement.action, &request.action)
        && condition::all_hold(&statement.conditions, &request.context, vars) == Ok(true)
}

fn principal_matches(element: Option<&PrincipalElement>, caller: &Principal) -> bool {
    match element {
        None => false,
        Some(PrincipalElement::Principal(named)) => names(named, caller),
        Some(PrincipalElement::NotPrincipal(named)) => !names(named, caller),
    }
}

fn names(principals: &Principals, caller: &Principal) -> bool {
    match principals {
        Principals::Everyone => true,
        Principals::Listed(ids) => ids.iter().any(|id| id_names(id, caller)),
    }
}

fn id_names(id: &PrincipalId, caller: &Principal) -> bool {
    match (id.kind, caller) {
        (PrincipalKind::Aws, _) if id.value == "*" => true,
        (PrincipalKind::Aws, Principal::Aws(arn)) => aws_names(&id.value, arn),
        (PrincipalKind::Service, Principal::Service(name)) => id.value.eq_ignore_ascii_case(name),
        (PrincipalKind::Federated, Principal::Federated(provider)) => id.value == *provider,
        _ => false,
    }
}

/// Whether the `AWS` principal `named` covers the caller with ARN `caller`.
fn aws_names(named: &str, caller: &str) -> bool {
    if let Some(account) = whole_account(named) {
        return account_of(caller) == Some(account);
    }
    named == caller || is_session_of_role(caller, named)
}

/// The account an `AWS` principal stands for when it names a whole account.
fn whole_account(named: &str) -> Option<&str> {
    if arn::is_account_id(named) {
        return Some(named);
    }
    let fields = arn::fields(named)?;
    (fields[2] == "iam" && fields[5] == "root").then_some(fields[4])
}

fn account_of(caller: &str) -> Option<&str> {
    if arn::is_account_id(caller) {
        return Some(caller);
    }
    arn::fields(caller).map(|fields| fields[4])
}

/// `arn:aws:sts::A:assumed-role/R/session` is a session of `arn:aws:iam::A:role/path/R`.
fn is_session_of_role(caller: &str, role_arn: &str) -> bool {
    let (Some(session), Some(role)) = (arn::fields(caller), arn::fields(role_arn)) else {
        return false;
    };
    let session_role = session[5]
        .strip_prefix("assumed-role/")
        .and_then(|rest| rest.split('/').next());
    let role_name = role[5]
        .strip_prefix("role/")
        .and_then(|path| path.rsplit('/').next());
    session[2] == "sts"
        && role[2] == "iam"
        && session[1] == role[1]
        && session[4] == role[4]
        && session_role.is_some()
        && session_role == role_name
}

/// The context plus the keys the principal implies, where the context lacks them.
fn with_principal_keys(context: &RequestContext, principal: &Principal) -> RequestContext {
    let mut context = context.clone();
    let mut add = |key: &str, value: &str| {
        if lookup(&context, key).is_none() {
            context.insert(key.to_string(), vec![ContextValue::string(value)]);
        }
    };
    match principal {
        Principal::Aws(arn) => {
            add("aws:PrincipalArn", &crate::context::principal_arn(arn));
            if let Some(account) = account_of(arn) {
                add("aws:PrincipalAccount", account);
            }
        }
        Principal::Service(name) => add("aws:PrincipalServiceName", name),
        Principal::Federated(_) | Principal::Anonymous => {}
    }
    context
}
