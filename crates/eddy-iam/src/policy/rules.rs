//! IAM's checks after syntax, in IAM's order, and the conversion of a checked draft into a
//! [`PolicyDocument`]. Each check is one small function; [`check`] is the order.

use super::condition::Condition;
use super::principal;
use super::resource_format;
use super::syntax::{Draft, DraftStatement, Listed, Negation};
use super::{
    ActionElement, Effect, PolicyDocument, PolicyError, PolicyKind, PolicyVersion,
    PrincipalElement, ResourceElement, Statement,
};
use crate::pattern;
use crate::time::legacy_date_ok;

/// The actions a trust policy may allow or deny: STS's, as IAM accepts them.
const TRUST_ACTIONS: [&str; 12] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
    "sts:DecodeAuthorizationMessage",
    "sts:GetAccessKeyInfo",
    "sts:GetCallerIdentity",
    "sts:GetFederationToken",
    "sts:GetServiceBearerToken",
    "sts:GetSessionToken",
];

pub(super) fn check(draft: &Draft, kind: PolicyKind) -> Result<(), PolicyError> {
    check_version(draft, kind)?;
    if kind.is_identity() {
        refuse_principals(&draft.statements)?;
    }
    check_legacy_effects_and_dates(&draft.statements)?;
    let noted_resource_error = resource_format::check(&draft.statements)?;
    if kind.is_identity() {
        check_sids_alphanumeric(&draft.statements)?;
    }
    check_sids_unique(&draft.statements)?;
    check_actions_present(&draft.statements)?;
    if let Some(error) = noted_resource_error {
        return Err(error);
    }
    check_action_vendors(&draft.statements)?;
    match kind {
        PolicyKind::Trust => check_trust_rules(&draft.statements),
        PolicyKind::Managed | PolicyKind::Inline => check_resources_present(&draft.statements),
    }
}

/// Managed policies must be written in the 2012-10-17 language.
fn check_version(draft: &Draft, kind: PolicyKind) -> Result<(), PolicyError> {
    if kind == PolicyKind::Managed && draft.version != Some(PolicyVersion::Version2012) {
        return Err(PolicyError::VersionTooOld);
    }
    Ok(())
}

/// Identity policies apply to whoever they are attached to; naming a principal is refused.
fn refuse_principals(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    if statements.iter().any(|s| s.principal.is_some()) {
        return Err(PolicyError::PrincipalNotAllowed);
    }
    Ok(())
}

/// Legacy parsing: `Effect` exactly `Allow` or `Deny`; every `Date*` value readable by the legacy parser.
fn check_legacy_effects_and_dates(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    for statement in statements {
        let effect_ok = matches!(statement.effect.as_str(), "Allow" | "Deny");
        let dates_ok = statement
            .conditions
            .iter()
            .filter(|c| c.operator.kind.is_date())
            .flat_map(|c| c.entries.iter().flat_map(|(_, values)| values))
            .all(|value| legacy_date_ok(value));
        if !effect_ok || !dates_ok {
            return Err(PolicyError::LegacyParsing);
        }
    }
    Ok(())
}

/// IAM's identity policies allow `[0-9A-Za-z]*` as statement ids.
fn check_sids_alphanumeric(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    let alphanumeric = |sid: &String| sid.bytes().all(|b| b.is_ascii_alphanumeric());
    if statements
        .iter()
        .filter_map(|s| s.sid.as_ref())
        .all(alphanumeric)
    {
        Ok(())
    } else {
        Err(PolicyError::SidNotAlphanumeric)
    }
}

/// Non-empty statement ids must differ.
fn check_sids_unique(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    let mut seen = std::collections::HashSet::new();
    let sids = statements
        .iter()
        .filter_map(|s| s.sid.as_deref())
        .filter(|sid| !sid.is_empty());
    for sid in sids {
        if !seen.insert(sid) {
            return Err(PolicyError::DuplicateSid);
        }
    }
    Ok(())
}

fn present(element: Option<&Listed>) -> bool {
    element.is_some_and(|listed| !listed.empty_list)
}

fn check_actions_present(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    if statements.iter().all(|s| present(s.action.as_ref())) {
        Ok(())
    } else {
        Err(PolicyError::MissingActions)
    }
}

fn check_resources_present(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    if statements.iter().all(|s| present(s.resource.as_ref())) {
        Ok(())
    } else {
        Err(PolicyError::MissingResources)
    }
}

/// Every action is `*` or `<vendor>:<name>`, the vendor of letters, digits, `-` and `.`. All `Action`s are
/// checked before any `NotAction`.
fn check_action_vendors(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    for negation in [Negation::Plain, Negation::Not] {
        let actions = statements
            .iter()
            .filter_map(|s| s.action.as_ref())
            .filter(|listed| listed.negation == negation)
            .flat_map(|listed| &listed.items);
        for action in actions {
            action_vendor_ok(action)?;
        }
    }
    Ok(())
}

fn action_vendor_ok(action: &str) -> Result<(), PolicyError> {
    let parts: Vec<&str> = action.split(':').collect();
    if parts.len() == 1 && parts[0] != "*" {
        return Err(PolicyError::ActionWithoutVendor);
    }
    if parts.len() > 2 {
        return Err(PolicyError::ActionWithManyColons);
    }
    let vendor = parts[0];
    let vendor_ok = vendor == "*"
        || vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !vendor_ok {
        return Err(PolicyError::InvalidVendor(vendor.to_string()));
    }
    Ok(())
}

/// Trust policies: STS actions only, no resources, a principal IAM accepts in every statement.
fn check_trust_rules(statements: &[DraftStatement]) -> Result<(), PolicyError> {
    if !statements
        .iter()
        .all(|s| trust_actions_ok(s.action.as_ref()))
    {
        // An STS action that assumes no role gets its own text (AWS-recorded, `sts:InvalidAction`).
        let only_sts = statements.iter().all(|s| {
            s.action.as_ref().is_some_and(|listed| {
                listed.negation == Negation::Plain
                    && listed.items.iter().all(|a| {
                        a.get(..4)
                            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sts:"))
                    })
            })
        });
        return Err(if only_sts {
            PolicyError::TrustPolicyStsActions
        } else {
            PolicyError::TrustPolicyActions
        });
    }
    if statements.iter().any(|s| s.resource.is_some()) {
        return Err(PolicyError::ProhibitedResource);
    }
    for statement in statements {
        let Some((_, draft)) = &statement.principal else {
            return Err(PolicyError::MissingPrincipal);
        };
        principal::validate(draft)?;
    }
    Ok(())
}

fn trust_actions_ok(action: Option<&Listed>) -> bool {
    action.is_some_and(|listed| {
        listed.negation == Negation::Plain && listed.items.iter().all(|a| is_trust_action(a))
    })
}

/// One of STS's role actions, or an `sts:` wildcard that covers at least one of them.
fn is_trust_action(action: &str) -> bool {
    let is_sts = action
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sts:"));
    let Ok(tokens) = pattern::compile(action, None) else {
        return false;
    };
    is_sts
        && TRUST_ACTIONS
            .iter()
            .any(|known| pattern::matches(&tokens, known, true))
}

/// The checked draft as a [`PolicyDocument`].
pub(super) fn build(draft: Draft, kind: PolicyKind) -> PolicyDocument {
    PolicyDocument {
        kind,
        version: draft.version,
        id: draft.id,
        statements: draft.statements.into_iter().map(build_statement).collect(),
    }
}

fn build_statement(draft: DraftStatement) -> Statement {
    let effect = if draft.effect == "Deny" {
        Effect::Deny
    } else {
        Effect::Allow
    };
    let action = match draft.action {
        Some(Listed {
            negation: Negation::Not,
            items,
            ..
        }) => ActionElement::NotAction(items),
        Some(listed) => ActionElement::Action(listed.items),
        None => ActionElement::Action(Vec::new()),
    };
    let resource = draft.resource.map(|listed| match listed.negation {
        Negation::Plain => ResourceElement::Resource(listed.items),
        Negation::Not => ResourceElement::NotResource(listed.items),
    });
    let principal = draft
        .principal
        .map(|(negation, principals)| match negation {
            Negation::Plain => PrincipalElement::Principal(principal::unchecked(&principals)),
            Negation::Not => PrincipalElement::NotPrincipal(principal::unchecked(&principals)),
        });
    let conditions = draft
        .conditions
        .into_iter()
        .flat_map(|block| {
            let operator = block.operator;
            block
                .entries
                .into_iter()
                .map(move |(key, values)| Condition {
                    operator,
                    key,
                    values,
                })
        })
        .collect();
    Statement {
        sid: draft.sid,
        effect,
        action,
        resource,
        principal,
        conditions,
    }
}
