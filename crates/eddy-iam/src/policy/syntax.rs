//! The first of IAM's checks: is the text a policy at all? Reads the JSON into a [`Draft`] — the document's
//! elements with their types checked but nothing else — or fails with `Syntax errors in policy.` (a trust
//! policy that is not JSON: `This policy contains invalid Json`).
//!
//! IAM's grammar, as its recorded answers show it: the top level holds only `Version` (one of the two
//! versions), `Id` (a string) and `Statement` (an object or a non-empty array of objects); a statement holds
//! only `Sid`, `Effect`, `Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal` and
//! `Condition`, never both of a pair; `Effect` is `Allow` or `Deny` in any case (the case is checked later, by
//! legacy parsing); action and resource lists hold strings (a `null` in a list is skipped); a `Condition` is an
//! object of operator blocks, each an object of keys to a string, boolean, number or list of those; an
//! operator IAM does not know is only allowed with an empty block.

use serde_json::{Map, Value};

use super::condition::Operator;
use super::principal::{self, PrincipalDraft};
use super::{PolicyError, PolicyKind, PolicyVersion};

const TOP_LEVEL_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

#[derive(Clone, Debug)]
pub(super) struct Draft {
    pub version: Option<PolicyVersion>,
    pub id: Option<String>,
    pub statements: Vec<DraftStatement>,
}

#[derive(Clone, Debug)]
pub(super) struct DraftStatement {
    pub sid: Option<String>,
    /// As written: `allow`, `ALLOW`… pass this stage and fail legacy parsing.
    pub effect: String,
    pub action: Option<Listed>,
    pub resource: Option<Listed>,
    pub principal: Option<(Negation, PrincipalDraft)>,
    pub conditions: Vec<DraftCondition>,
}

/// Whether an element is the `Not…` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Negation {
    Plain,
    Not,
}

/// An action or resource element: a string or a list of strings.
#[derive(Clone, Debug)]
pub(super) struct Listed {
    pub negation: Negation,
    pub items: Vec<String>,
    /// Written as a JSON array (IAM skips empty strings in lists when it checks resource shapes).
    pub written_as_list: bool,
    /// Written as `[]`.
    pub empty_list: bool,
}

#[derive(Clone, Debug)]
pub(super) struct DraftCondition {
    pub operator: Operator,
    pub entries: Vec<(String, Vec<String>)>,
}

pub(super) fn read(text: &str, kind: PolicyKind) -> Result<Draft, PolicyError> {
    let value: Value = serde_json::from_str(text).map_err(|_| match kind {
        PolicyKind::Trust => PolicyError::InvalidJson,
        _ => PolicyError::Syntax,
    })?;
    let Value::Object(top) = value else {
        return Err(PolicyError::Syntax);
    };
    only_known_keys(&top, &TOP_LEVEL_ELEMENTS)?;
    Ok(Draft {
        version: read_version(top.get("Version"))?,
        id: optional_string(top.get("Id"))?,
        statements: read_statements(top.get("Statement"))?,
    })
}

fn only_known_keys(map: &Map<String, Value>, known: &[&str]) -> Result<(), PolicyError> {
    if map.keys().all(|key| known.contains(&key.as_str())) {
        Ok(())
    } else {
        Err(PolicyError::Syntax)
    }
}

fn read_version(value: Option<&Value>) -> Result<Option<PolicyVersion>, PolicyError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => PolicyVersion::parse(s).map(Some).ok_or(PolicyError::Syntax),
        Some(_) => Err(PolicyError::Syntax),
    }
}

fn optional_string(value: Option<&Value>) -> Result<Option<String>, PolicyError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(PolicyError::Syntax),
    }
}

fn read_statements(value: Option<&Value>) -> Result<Vec<DraftStatement>, PolicyError> {
    match value {
        Some(statement @ Value::Object(_)) => Ok(vec![read_statement(statement)?]),
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().map(read_statement).collect()
        }
        _ => Err(PolicyError::Syntax),
    }
}

fn read_statement(value: &Value) -> Result<DraftStatement, PolicyError> {
    let Value::Object(map) = value else {
        return Err(PolicyError::Syntax);
    };
    only_known_keys(map, &STATEMENT_ELEMENTS)?;
    Ok(DraftStatement {
        sid: optional_string(map.get("Sid"))?,
        effect: read_effect(map.get("Effect"))?,
        action: read_pair(map, "Action", "NotAction")?,
        resource: read_pair(map, "Resource", "NotResource")?,
        principal: read_principal(map)?,
        conditions: read_conditions(map.get("Condition"))?,
    })
}

fn read_effect(value: Option<&Value>) -> Result<String, PolicyError> {
    match value {
        Some(Value::String(s))
            if s.eq_ignore_ascii_case("allow") || s.eq_ignore_ascii_case("deny") =>
        {
            Ok(s.clone())
        }
        _ => Err(PolicyError::Syntax),
    }
}

/// Which of the pair `name`/`not_name` the statement holds, if any (both is a syntax error).
fn pick<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    not_name: &str,
) -> Result<Option<(Negation, &'a Value)>, PolicyError> {
    match (map.get(name), map.get(not_name)) {
        (Some(_), Some(_)) => Err(PolicyError::Syntax),
        (Some(v), None) => Ok(Some((Negation::Plain, v))),
        (None, Some(v)) => Ok(Some((Negation::Not, v))),
        (None, None) => Ok(None),
    }
}

fn read_pair(
    map: &Map<String, Value>,
    name: &str,
    not_name: &str,
) -> Result<Option<Listed>, PolicyError> {
    let Some((negation, value)) = pick(map, name, not_name)? else {
        return Ok(None);
    };
    let listed = match value {
        Value::String(s) => Listed {
            negation,
            items: vec![s.clone()],
            written_as_list: false,
            empty_list: false,
        },
        Value::Array(items) => Listed {
            negation,
            items: list_of_strings(items)?,
            written_as_list: true,
            empty_list: items.is_empty(),
        },
        _ => return Err(PolicyError::Syntax),
    };
    Ok(Some(listed))
}

/// The strings of an action or resource list; `null`s are skipped, anything else is a syntax error.
fn list_of_strings(items: &[Value]) -> Result<Vec<String>, PolicyError> {
    items
        .iter()
        .filter(|item| !item.is_null())
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            _ => Err(PolicyError::Syntax),
        })
        .collect()
}

fn read_principal(
    map: &Map<String, Value>,
) -> Result<Option<(Negation, PrincipalDraft)>, PolicyError> {
    let Some((negation, value)) = pick(map, "Principal", "NotPrincipal")? else {
        return Ok(None);
    };
    Ok(Some((negation, principal::read(value)?)))
}

fn read_conditions(value: Option<&Value>) -> Result<Vec<DraftCondition>, PolicyError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Object(blocks) = value else {
        return Err(PolicyError::Syntax);
    };
    let mut conditions = Vec::new();
    for (name, block) in blocks {
        let Value::Object(block) = block else {
            return Err(PolicyError::Syntax);
        };
        let entries = block
            .iter()
            .map(|(key, values)| Ok((key.clone(), condition_values(values)?)))
            .collect::<Result<Vec<_>, PolicyError>>()?;
        match Operator::parse(name) {
            Some(operator) => conditions.push(DraftCondition { operator, entries }),
            None if entries.is_empty() => {}
            None => return Err(PolicyError::Syntax),
        }
    }
    Ok(conditions)
}

/// A condition key's values: a string, boolean or number, or a list of them, as text.
fn condition_values(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        other => Ok(vec![scalar_text(other)?]),
    }
}

fn scalar_text(value: &Value) -> Result<String, PolicyError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(PolicyError::Syntax),
    }
}
