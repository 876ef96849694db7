//! Policy evaluation as AWS does it for identity policies within one account: every statement of every policy
//! is tried against the request; a matching `Deny` decides at once (explicit deny wins), otherwise a matching
//! `Allow` allows, otherwise the request is denied by default (implicit deny).
//!
//! A statement matches when its action element, its resource element and all its conditions match. Actions
//! compare without case, resources with case; both take `*` and `?`. `NotAction`/`NotResource` match what
//! they do not list. Policy variables (2012-10-17 documents) are replaced in resources and in the values of
//! string, ARN and `Bool` conditions; a variable that does not resolve makes its statement inapplicable.
//! Condition semantics are in the `condition` submodule; trust policies (who may assume a role) in `trust`.
//!
//! Only identity policies are evaluated here: no resource policies, permission boundaries, session policies
//! or organization policies, which eddy does not have.

mod condition;
mod trust;

use std::collections::HashMap;
use std::net::IpAddr;

pub use trust::{Principal, allows_assume, evaluate_trust};

use crate::pattern::{self, Unresolved, VariableSource};
use crate::policy::{ActionElement, Effect, PolicyDocument, ResourceElement, Statement};

/// The outcome of evaluating a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A statement with `"Effect": "Deny"` matched.
    ExplicitDeny,
    /// A statement with `"Effect": "Allow"` matched and none denied.
    Allow,
    /// Nothing matched: denied by default.
    ImplicitDeny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The request context: condition key → its values (one for single-valued keys). Keys compare without case.
pub type RequestContext = HashMap<String, Vec<ContextValue>>;

/// One value of a context key, typed as AWS types it.
#[derive(Clone, Debug, PartialEq)]
pub enum ContextValue {
    String(String),
    Bool(bool),
    Number(i64),
    /// Epoch milliseconds (`aws:CurrentTime`).
    Date(i64),
    Ip(IpAddr),
    Binary(Vec<u8>),
}

impl ContextValue {
    pub fn string(text: impl Into<String>) -> ContextValue {
        ContextValue::String(text.into())
    }

    /// The value as text, as policy variables and string operators see it.
    pub fn text(&self) -> String {
        match self {
            ContextValue::String(s) => s.clone(),
            ContextValue::Bool(b) => b.to_string(),
            ContextValue::Number(n) => n.to_string(),
            ContextValue::Date(ms) => crate::time::format_iso(*ms),
            ContextValue::Ip(ip) => ip.to_string(),
            ContextValue::Binary(bytes) => condition::base64(bytes),
        }
    }
}

/// What is being attempted: an action (`dynamodb:GetRecords`) on a resource (an ARN, or `*` for actions
/// without one), with the request's context keys.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessRequest {
    pub action: String,
    pub resource: String,
    pub context: RequestContext,
}

impl AccessRequest {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> AccessRequest {
        AccessRequest {
            action: action.into(),
            resource: resource.into(),
            context: RequestContext::new(),
        }
    }

    /// Adds (or replaces) one context key with a single value.
    pub fn with(mut self, key: &str, value: ContextValue) -> AccessRequest {
        self.context.insert(key.to_string(), vec![value]);
        self
    }

    /// Adds (or replaces) one multi-valued context key.
    pub fn with_values(mut self, key: &str, values: Vec<ContextValue>) -> AccessRequest {
        self.context.insert(key.to_string(), values);
        self
    }

    /// Replaces the whole context.
    pub fn in_context(mut self, context: RequestContext) -> AccessRequest {
        self.context = context;
        self
    }
}

/// The decision for `request` under the identity policies attached to the caller.
pub fn evaluate(policies: &[&PolicyDocument], request: &AccessRequest) -> Decision {
    let vars = ContextVariables(&request.context);
    let mut allowed = false;
    for policy in policies {
        let vars: Option<&dyn VariableSource> = policy.supports_variables().then_some(&vars);
        for statement in &policy.statements {
            if !statement_applies(statement, request, vars) {
                continue;
            }
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn statement_applies(
    statement: &Statement,
    request: &AccessRequest,
    vars: Option<&dyn VariableSource>,
) -> bool {
    action_matches(&statement.action, &request.action)
        && resource_matches(statement.resource.as_ref(), &request.resource, vars) == Ok(true)
        && condition::all_hold(&statement.conditions, &request.context, vars) == Ok(true)
}

pub(crate) fn action_matches(element: &ActionElement, action: &str) -> bool {
    let listed = |patterns: &[String]| patterns.iter().any(|p| action_pattern_matches(p, action));
    match element {
        ActionElement::Action(patterns) => listed(patterns),
        ActionElement::NotAction(patterns) => !listed(patterns),
    }
}

fn action_pattern_matches(pattern: &str, action: &str) -> bool {
    pattern::compile(pattern, None).is_ok_and(|tokens| pattern::matches(&tokens, action, true))
}

/// A statement without a resource element (a trust policy's) matches no resource.
fn resource_matches(
    element: Option<&ResourceElement>,
    resource: &str,
    vars: Option<&dyn VariableSource>,
) -> Result<bool, Unresolved> {
    let listed = |patterns: &[String]| -> Result<bool, Unresolved> {
        for pattern in patterns {
            let tokens = pattern::compile_resource(pattern, vars)?;
            if pattern::matches(&tokens, resource, false) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    match element {
        None => Ok(false),
        Some(ResourceElement::Resource(patterns)) => listed(patterns),
        Some(ResourceElement::NotResource(patterns)) => listed(patterns).map(|hit| !hit),
    }
}

/// The values of `key` in `context`, the key compared without case.
pub(crate) fn lookup<'a>(context: &'a RequestContext, key: &str) -> Option<&'a [ContextValue]> {
    context
        .get(key)
        .or_else(|| {
            context
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .map(Vec::as_slice)
}

/// Policy variables read from the request context: single-valued keys only.
pub(crate) struct ContextVariables<'a>(pub &'a RequestContext);

impl VariableSource for ContextVariables<'_> {
    fn variable(&self, key: &str) -> Option<String> {
        match lookup(self.0, key)? {
            [value] => Some(value.text()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
