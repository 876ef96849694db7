//! The legacy (pre-expression) request parameters: their wire structures (deserialised straight from request
//! bodies, with DynamoDB's member names), DynamoDB's checks and messages for them, and their conversion into the
//! same trees as expressions: `Expected`, `QueryFilter` and `ScanFilter` become a [`Condition`],
//! `AttributeUpdates` an [`Update`], `AttributesToGet` a [`Projection`], `KeyConditions` a [`KeyCondition`].
//!
//! Legacy comparisons evaluate like their expression counterparts (`NE` holds for a missing attribute, as `<>`
//! does — dynalite's tested behaviour), except `NOT_CONTAINS`, which fails on a missing attribute where
//! `NOT contains(…)` holds (Alternator's suite, run against AWS).

use std::collections::{BTreeMap, BTreeSet};

use eddy_model::{AttributeValue, ValueType};
use serde::Deserialize;

use crate::condition::{CompareOp, Condition, Node, Operand};
use crate::key_condition::{KeyCondition, KeyTerm};
use crate::path::DocPath;
use crate::projection::Projection;
use crate::update::{Action, SetValue, Update};
use crate::values;

/// `ExpectedAttributeValue`, an entry of `Expected`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ExpectedAttributeValue {
    #[serde(rename = "Value")]
    pub value: Option<AttributeValue>,
    #[serde(rename = "Exists")]
    pub exists: Option<bool>,
    #[serde(rename = "ComparisonOperator")]
    pub comparison_operator: Option<String>,
    #[serde(rename = "AttributeValueList")]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// `Condition` (botocore's name), an entry of `KeyConditions`, `QueryFilter` or `ScanFilter`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct LegacyCondition {
    #[serde(rename = "AttributeValueList")]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
    #[serde(rename = "ComparisonOperator")]
    pub comparison_operator: Option<String>,
}

/// `AttributeValueUpdate`, an entry of `AttributeUpdates`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct AttributeValueUpdate {
    #[serde(rename = "Value")]
    pub value: Option<AttributeValue>,
    #[serde(rename = "Action")]
    pub action: Option<String>,
}

/// `ComparisonOperator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyOp {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

/// The enums as DynamoDB lists them in constraint messages (the order of the Java hash set DynamoDB keeps them
/// in: see `with_java_enum_order` in eddy-server's model, which orders the model's enums the same way).
pub const COMPARISON_OPERATOR_ENUM: &str =
    "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]";
const CONDITIONAL_OPERATOR_ENUM: &str = "[OR, AND]";
const ACTION_ENUM: &str = "[ADD, DELETE, PUT]";

impl LegacyOp {
    pub fn parse(text: &str) -> Option<LegacyOp> {
        Some(match text {
            "EQ" => LegacyOp::Eq,
            "NE" => LegacyOp::Ne,
            "LE" => LegacyOp::Le,
            "LT" => LegacyOp::Lt,
            "GE" => LegacyOp::Ge,
            "GT" => LegacyOp::Gt,
            "NOT_NULL" => LegacyOp::NotNull,
            "NULL" => LegacyOp::Null,
            "CONTAINS" => LegacyOp::Contains,
            "NOT_CONTAINS" => LegacyOp::NotContains,
            "BEGINS_WITH" => LegacyOp::BeginsWith,
            "IN" => LegacyOp::In,
            "BETWEEN" => LegacyOp::Between,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            LegacyOp::Eq => "EQ",
            LegacyOp::Ne => "NE",
            LegacyOp::Le => "LE",
            LegacyOp::Lt => "LT",
            LegacyOp::Ge => "GE",
            LegacyOp::Gt => "GT",
            LegacyOp::NotNull => "NOT_NULL",
            LegacyOp::Null => "NULL",
            LegacyOp::Contains => "CONTAINS",
            LegacyOp::NotContains => "NOT_CONTAINS",
            LegacyOp::BeginsWith => "BEGINS_WITH",
            LegacyOp::In => "IN",
            LegacyOp::Between => "BETWEEN",
        }
    }

    /// Whether a key condition may use the operator at all.
    pub(crate) fn is_indexable(self) -> bool {
        !matches!(
            self,
            LegacyOp::Null
                | LegacyOp::NotNull
                | LegacyOp::Ne
                | LegacyOp::Contains
                | LegacyOp::NotContains
                | LegacyOp::In
        )
    }

    /// The operator with its operands swapped (`:v < a` is `a > :v`).
    pub(crate) fn mirrored(self) -> LegacyOp {
        match self {
            LegacyOp::Lt => LegacyOp::Gt,
            LegacyOp::Le => LegacyOp::Ge,
            LegacyOp::Gt => LegacyOp::Lt,
            LegacyOp::Ge => LegacyOp::Le,
            other => other,
        }
    }

    fn accepts_count(self, count: usize) -> bool {
        match self {
            LegacyOp::Null | LegacyOp::NotNull => count == 0,
            LegacyOp::In => count >= 1,
            LegacyOp::Between => count == 2,
            _ => count == 1,
        }
    }

    /// The value types the operator accepts in its list, where `on` says what is compared.
    fn accepted_types(self, on: Compared) -> &'static [ValueType] {
        use ValueType::*;
        match (self, on) {
            // DynamoDB's documentation leaves BOOL out, but it compares booleans (checked against AWS, 2026).
            (LegacyOp::Eq | LegacyOp::Ne, Compared::Key) => &[S, N, B, Ss, Ns, Bs, Bool],
            // "EQ is supported for all data types, including lists and maps" — in filters and `Expected`
            // (Alternator's suite compares lists and maps in QueryFilter against AWS).
            (LegacyOp::Eq | LegacyOp::Ne, Compared::Attribute) => {
                &[S, N, B, Ss, Ns, Bs, Bool, L, M]
            }
            (LegacyOp::BeginsWith, _) => &[S, B],
            (LegacyOp::Null | LegacyOp::NotNull, _) => &[],
            _ => &[S, N, B],
        }
    }

    /// The error for a value of a type the operator does not take.
    fn type_not_valid(self, bad: &AttributeValue) -> String {
        format!(
            "{INVALID}ComparisonOperator {} is not valid for {} AttributeValue type",
            self.name(),
            bad.value_type()
        )
    }

    /// The condition on `path` with these values (counts already checked).
    fn node(self, path: DocPath, values: &[AttributeValue]) -> Node {
        let subject = Operand::Path(path.clone());
        let value =
            |i: usize| Operand::Value(values.get(i).cloned().unwrap_or(AttributeValue::Null));
        let compare = |op| Node::Compare {
            op,
            left: subject.clone(),
            right: value(0),
        };
        match self {
            LegacyOp::Eq => compare(CompareOp::Eq),
            LegacyOp::Ne => compare(CompareOp::Ne),
            LegacyOp::Le => compare(CompareOp::Le),
            LegacyOp::Lt => compare(CompareOp::Lt),
            LegacyOp::Ge => compare(CompareOp::Ge),
            LegacyOp::Gt => compare(CompareOp::Gt),
            LegacyOp::NotNull => Node::Exists(path),
            LegacyOp::Null => Node::NotExists(path),
            LegacyOp::Contains => Node::Contains {
                subject,
                needle: value(0),
            },
            // Unlike `NOT contains(…)`, NOT_CONTAINS fails on a missing attribute (Alternator's suite, run
            // against AWS: "both CONTAINS and NOT_CONTAINS are false").
            LegacyOp::NotContains => Node::And(vec![
                Node::Exists(path),
                Node::Not {
                    inner: Box::new(Node::Contains {
                        subject,
                        needle: value(0),
                    }),
                    negate: true,
                },
            ]),
            LegacyOp::BeginsWith => Node::BeginsWith {
                subject,
                prefix: value(0),
            },
            LegacyOp::In => Node::In {
                subject,
                list: values.iter().cloned().map(Operand::Value).collect(),
            },
            LegacyOp::Between => Node::Between {
                subject,
                low: value(0),
                high: value(1),
            },
        }
    }
}

const INVALID: &str = "One or more parameter values were invalid: ";

/// The checks on a condition's operator and values that do not depend on the request shape: count, one type,
/// a type the operator accepts, BETWEEN bounds in order.
pub(crate) fn check_condition_values(
    op: LegacyOp,
    values: &[AttributeValue],
    on: Compared,
) -> Result<(), String> {
    if !op.accepts_count(values.len()) {
        return Err(format!(
            "{INVALID}Invalid number of argument(s) for the {} ComparisonOperator",
            op.name()
        ));
    }
    check_same_type(values)?;
    check_value_types(op, values, on)?;
    check_between_order(op, values)
}

/// What a legacy condition compares: a key (KeyConditions) or any attribute (filters, `Expected`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compared {
    Key,
    Attribute,
}

fn check_value_types(op: LegacyOp, values: &[AttributeValue], on: Compared) -> Result<(), String> {
    match values
        .iter()
        .find(|v| !op.accepted_types(on).contains(&v.value_type()))
    {
        Some(bad) => Err(op.type_not_valid(bad)),
        None => Ok(()),
    }
}

fn check_same_type(values: &[AttributeValue]) -> Result<(), String> {
    match values.first() {
        Some(first) if values.iter().any(|v| v.value_type() != first.value_type()) => Err(format!(
            "{INVALID}AttributeValues inside AttributeValueList must be of same type"
        )),
        _ => Ok(()),
    }
}

fn check_between_order(op: LegacyOp, values: &[AttributeValue]) -> Result<(), String> {
    if let (LegacyOp::Between, [low, high]) = (op, values)
        && values::order(low, high) == Some(std::cmp::Ordering::Greater)
    {
        return Err(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
                    .to_string(),
            );
    }
    Ok(())
}

/// Where a legacy map sits in the request, for constraint messages (`scanFilter.a.member.comparisonOperator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConditionMap {
    KeyConditions,
    QueryFilter,
    ScanFilter,
}

impl ConditionMap {
    fn member(self) -> &'static str {
        match self {
            ConditionMap::KeyConditions => "keyConditions",
            ConditionMap::QueryFilter => "queryFilter",
            ConditionMap::ScanFilter => "scanFilter",
        }
    }
}

/// Constraint violations of the request's legacy members (enum values, required members, list lengths), each
/// in DynamoDB's `Value … at '…' failed to satisfy constraint: …` form.
pub(crate) fn constraint_violations(
    expected: Option<&BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<&str>,
    condition_maps: &[(ConditionMap, Option<&BTreeMap<String, LegacyCondition>>)],
    attribute_updates: Option<&BTreeMap<String, AttributeValueUpdate>>,
    attributes_to_get: Option<&[String]>,
) -> Vec<String> {
    let mut out = Vec::new();
    let enum_error = |value: &str, at: String, set: &str| {
        format!(
            "Value '{value}' at '{at}' failed to satisfy constraint: Member must satisfy enum value set: {set}"
        )
    };
    if let Some(op) = conditional_operator.filter(|o| *o != "AND" && *o != "OR") {
        out.push(enum_error(
            op,
            "conditionalOperator".into(),
            CONDITIONAL_OPERATOR_ENUM,
        ));
    }
    for (key, entry) in expected.into_iter().flatten() {
        if let Some(op) = entry
            .comparison_operator
            .as_deref()
            .filter(|o| LegacyOp::parse(o).is_none())
        {
            let at = format!("expected.{key}.member.comparisonOperator");
            out.push(enum_error(op, at, COMPARISON_OPERATOR_ENUM));
        }
    }
    for (map, conditions) in condition_maps {
        for (key, condition) in conditions.iter().flat_map(|m| m.iter()) {
            let at = format!("{}.{key}.member.comparisonOperator", map.member());
            match condition.comparison_operator.as_deref() {
                None => out.push(format!(
                    "Value null at '{at}' failed to satisfy constraint: Member must not be null"
                )),
                Some(op) if LegacyOp::parse(op).is_none() => {
                    out.push(enum_error(op, at, COMPARISON_OPERATOR_ENUM))
                }
                Some(_) => {}
            }
        }
    }
    for (key, update) in attribute_updates.into_iter().flatten() {
        if let Some(action) = update
            .action
            .as_deref()
            .filter(|a| !matches!(*a, "ADD" | "PUT" | "DELETE"))
        {
            out.push(enum_error(
                action,
                format!("attributeUpdates.{key}.member.action"),
                ACTION_ENUM,
            ));
        }
    }
    if attributes_to_get.is_some_and(|a| a.is_empty()) {
        out.push(
            "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1"
                .to_string(),
        );
    }
    out
}

/// DynamoDB's checks of `Expected`, entry by entry.
pub(crate) fn check_expected(
    expected: &BTreeMap<String, ExpectedAttributeValue>,
) -> Result<(), String> {
    for (key, entry) in expected {
        if entry.attribute_value_list.is_some() && entry.value.is_some() {
            return Err(format!(
                "{INVALID}Value and AttributeValueList cannot be used together for Attribute: {key}"
            ));
        }
        match entry.comparison_operator.as_deref() {
            Some(op_name) => check_expected_operator(key, entry, op_name)?,
            None if entry.attribute_value_list.is_some() => {
                return Err(format!(
                    "{INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: {key}"
                ));
            }
            None => check_expected_exists(key, entry)?,
        }
    }
    Ok(())
}

fn check_expected_operator(
    key: &str,
    entry: &ExpectedAttributeValue,
    op_name: &str,
) -> Result<(), String> {
    if entry.exists.is_some() {
        return Err(format!(
            "{INVALID}Exists and ComparisonOperator cannot be used together for Attribute: {key}"
        ));
    }
    let Some(op) = LegacyOp::parse(op_name) else {
        return Ok(());
    };
    if !matches!(op, LegacyOp::Null | LegacyOp::NotNull)
        && entry.attribute_value_list.is_none()
        && entry.value.is_none()
    {
        return Err(format!(
            "{INVALID}Value or AttributeValueList must be used with ComparisonOperator: {op_name} for Attribute: {key}"
        ));
    }
    let values = expected_values(entry);
    if !op.accepts_count(values.len()) {
        return Err(format!(
            "{INVALID}Invalid number of argument(s) for the {op_name} ComparisonOperator"
        ));
    }
    if entry.attribute_value_list.is_some() {
        check_same_type(&values)?;
        check_value_types(op, &values, Compared::Attribute)?;
        check_between_order(op, &values)?;
    }
    Ok(())
}

fn check_expected_exists(key: &str, entry: &ExpectedAttributeValue) -> Result<(), String> {
    let exists = entry.exists.unwrap_or(true);
    if exists && entry.value.is_none() {
        let shown = entry.exists.map_or("null".to_string(), |e| e.to_string());
        return Err(format!(
            "{INVALID}Value must be provided when Exists is {shown} for Attribute: {key}"
        ));
    }
    if !exists && entry.value.is_some() {
        return Err(format!(
            "{INVALID}Value cannot be used when Exists is false for Attribute: {key}"
        ));
    }
    Ok(())
}

fn expected_values(entry: &ExpectedAttributeValue) -> Vec<AttributeValue> {
    match (&entry.attribute_value_list, &entry.value) {
        (Some(list), _) => list.clone(),
        (None, Some(value)) => vec![value.clone()],
        (None, None) => Vec::new(),
    }
}

/// DynamoDB's checks of `KeyConditions`, `QueryFilter` and `ScanFilter` entries.
pub(crate) fn check_conditions(
    conditions: &BTreeMap<String, LegacyCondition>,
) -> Result<(), String> {
    for condition in conditions.values() {
        let Some(op) = condition
            .comparison_operator
            .as_deref()
            .and_then(LegacyOp::parse)
        else {
            continue;
        };
        let values = condition
            .attribute_value_list
            .as_deref()
            .unwrap_or_default();
        check_condition_values(op, values, Compared::Attribute)?;
    }
    Ok(())
}

/// DynamoDB's checks of `AttributeUpdates` entries.
pub(crate) fn check_attribute_updates(
    updates: &BTreeMap<String, AttributeValueUpdate>,
) -> Result<(), String> {
    for update in updates.values() {
        let action = update.action.as_deref().unwrap_or("PUT");
        match (&update.value, action) {
            (None, "DELETE") => {}
            (None, _) => {
                return Err(format!(
                    "{INVALID}Only DELETE action is allowed when no attribute value is specified"
                ));
            }
            (Some(value), "DELETE") if !values::is_set(value) => {
                return Err(format!(
                    "{INVALID}DELETE action with value is not supported for the type {}",
                    value.value_type()
                ));
            }
            (Some(value), "ADD")
                if !(values::is_set(value)
                    || matches!(value, AttributeValue::N(_) | AttributeValue::L(_))) =>
            {
                return Err(format!(
                    "{INVALID}ADD action is not supported for the type {}",
                    value.value_type()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// DynamoDB's duplicate check of `AttributesToGet`.
pub(crate) fn check_attributes_to_get(names: &[String]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    match names.iter().find(|n| !seen.insert(n.as_str())) {
        Some(duplicate) => Err(format!(
            "{INVALID}Duplicate value in attribute name: {duplicate}"
        )),
        None => Ok(()),
    }
}

fn combine(nodes: Vec<Node>, conditional_operator: Option<&str>) -> Condition {
    let root = match (nodes.is_empty(), conditional_operator) {
        (true, _) => Node::Const(true),
        (false, Some("OR")) => Node::Or(nodes),
        (false, _) => Node::And(nodes),
    };
    Condition { root }
}

/// `Expected` (checked) as a condition.
pub(crate) fn expected_condition(
    expected: &BTreeMap<String, ExpectedAttributeValue>,
    conditional_operator: Option<&str>,
) -> Condition {
    let nodes = expected
        .iter()
        .map(|(key, entry)| {
            let path = DocPath::attribute(key.clone());
            match (
                entry
                    .comparison_operator
                    .as_deref()
                    .and_then(LegacyOp::parse),
                entry.exists,
            ) {
                (Some(op), _) => op.node(path, &expected_values(entry)),
                (None, Some(false)) => Node::NotExists(path),
                (None, _) => LegacyOp::Eq.node(path, &expected_values(entry)),
            }
        })
        .collect();
    combine(nodes, conditional_operator)
}

/// `QueryFilter` or `ScanFilter` (checked) as a condition.
pub(crate) fn filter_condition(
    conditions: &BTreeMap<String, LegacyCondition>,
    conditional_operator: Option<&str>,
) -> Condition {
    let nodes = conditions
        .iter()
        .filter_map(|(key, condition)| {
            let op = condition
                .comparison_operator
                .as_deref()
                .and_then(LegacyOp::parse)?;
            let values = condition
                .attribute_value_list
                .as_deref()
                .unwrap_or_default();
            Some(op.node(DocPath::attribute(key.clone()), values))
        })
        .collect();
    combine(nodes, conditional_operator)
}

/// `KeyConditions` (checked) as a key condition.
pub(crate) fn key_condition(conditions: &BTreeMap<String, LegacyCondition>) -> KeyCondition {
    let terms = conditions
        .iter()
        .filter_map(|(key, condition)| {
            let op = condition
                .comparison_operator
                .as_deref()
                .and_then(LegacyOp::parse)?;
            let values = condition.attribute_value_list.clone().unwrap_or_default();
            Some((key.clone(), KeyTerm { op, values }))
        })
        .collect();
    KeyCondition::from_terms(terms)
}

/// `AttributeUpdates` (checked) as an update.
pub(crate) fn attribute_updates(updates: &BTreeMap<String, AttributeValueUpdate>) -> Update {
    let actions = updates
        .iter()
        .map(|(key, update)| {
            let path = DocPath::attribute(key.clone());
            match (
                update.action.as_deref().unwrap_or("PUT"),
                update.value.clone(),
            ) {
                ("ADD", Some(value)) => Action::Add { path, value },
                ("DELETE", Some(value)) => Action::Delete { path, value },
                ("DELETE", None) | (_, None) => Action::Remove { path },
                (_, Some(value)) => Action::Set {
                    path,
                    value: SetValue::Value(value),
                },
            }
        })
        .collect();
    Update {
        actions,
        legacy: true,
    }
}

/// `AttributesToGet` (checked) as a projection.
pub(crate) fn attributes_projection(names: &[String]) -> Projection {
    Projection::attributes(names.iter().cloned())
}

#[cfg(test)]
mod tests;
