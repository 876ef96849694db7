//! Query key conditions, from a `KeyConditionExpression` or legacy `KeyConditions`, and their resolution
//! against a table's or index's key schema into the partition key value and an optional sort key range.
//!
//! An expression is first reduced to one condition per attribute (DynamoDB's rules and messages: only AND, no
//! functions but `begins_with`, no nested paths, the key attribute named once per condition), then both forms
//! are checked as legacy conditions and resolved the same way.

use std::cmp::Ordering;
use std::fmt;

use eddy_model::{AttributeValue, DynamoError, KeyAttribute, KeySchema};

use crate::condition::{CompareOp, Condition, Node, Operand};
use crate::error::validation;
use crate::legacy::{Compared, LegacyOp, check_condition_values};
use crate::values;

/// One condition per key attribute, in the order they were written.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    terms: Vec<(String, KeyTerm)>,
    /// Written as a `KeyConditionExpression`, not as legacy `KeyConditions`: both are counted against the key
    /// schema, in different words.
    from_expression: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyTerm {
    pub op: LegacyOp,
    pub values: Vec<AttributeValue>,
}

/// The key condition resolved against a key schema.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedKeyCondition {
    /// The value of the (first) partition key attribute.
    pub hash: AttributeValue,
    /// The values of a multi-attribute key's further partition key attributes, in key-schema order.
    pub more_hash: Vec<AttributeValue>,
    /// A multi-attribute key's equalities on its leading sort key attributes, in key-schema order: the
    /// attributes before the one `range` constrains.
    pub sort_prefix: Vec<AttributeValue>,
    /// The condition on the sort key attribute after those of `sort_prefix`.
    pub range: Option<RangeCondition>,
}

impl ResolvedKeyCondition {
    /// The partition key values in key-schema order.
    pub fn partition_values(&self) -> Vec<&AttributeValue> {
        std::iter::once(&self.hash)
            .chain(self.more_hash.iter())
            .collect()
    }
}

/// The condition on the sort key.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl RangeCondition {
    /// Whether a sort key value satisfies the condition.
    pub fn matches(&self, value: &AttributeValue) -> bool {
        let cmp = |bound: &AttributeValue| values::order(value, bound);
        match self {
            RangeCondition::Eq(v) => cmp(v) == Some(Ordering::Equal),
            RangeCondition::Lt(v) => cmp(v) == Some(Ordering::Less),
            RangeCondition::Le(v) => matches!(cmp(v), Some(Ordering::Less | Ordering::Equal)),
            RangeCondition::Gt(v) => cmp(v) == Some(Ordering::Greater),
            RangeCondition::Ge(v) => matches!(cmp(v), Some(Ordering::Greater | Ordering::Equal)),
            RangeCondition::Between(lo, hi) => {
                matches!(cmp(lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(hi), Some(Ordering::Less | Ordering::Equal))
            }
            RangeCondition::BeginsWith(prefix) => values::begins_with(value, prefix),
        }
    }
}

/// Why a key condition expression cannot be reduced to per-attribute conditions.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ShapeError {
    InvalidOperator(&'static str),
    NestedOperation,
    FirstOperand(&'static str),
    MultipleNames,
    NestedAttribute,
    NoKeyAttribute,
    TwoConditions,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::InvalidOperator(op) => write!(f, "Invalid operator used in KeyConditionExpression: {op}"),
            ShapeError::NestedOperation => f.write_str("KeyConditionExpressions cannot contain nested operations"),
            ShapeError::FirstOperand(op) => write!(
                f,
                "Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"
            ),
            ShapeError::MultipleNames => {
                f.write_str("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
            }
            ShapeError::NestedAttribute => {
                f.write_str("KeyConditionExpressions cannot have conditions on nested attributes")
            }
            ShapeError::NoKeyAttribute => {
                f.write_str("Invalid condition in KeyConditionExpression: No key attribute specified")
            }
            ShapeError::TwoConditions => f.write_str(
                "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
            ),
        }
    }
}

/// Legacy `KeyConditions` with no condition, or more than a key of one partition and one sort attribute takes.
const LEGACY_COUNT: &str = "Conditions can be of length 1 or 2 only";

impl KeyCondition {
    /// Reduces a checked `KeyConditionExpression`.
    pub fn from_expression(condition: &Condition) -> Result<KeyCondition, DynamoError> {
        let mut terms = Vec::new();
        reduce(&condition.root, &mut terms).map_err(|e| validation(e.to_string()))?;
        let key_condition = KeyCondition {
            terms,
            from_expression: true,
        };
        key_condition.check()?;
        Ok(key_condition)
    }

    /// Legacy `KeyConditions`, already checked as conditions by the caller of this crate's legacy checks.
    pub(crate) fn from_terms(terms: Vec<(String, KeyTerm)>) -> KeyCondition {
        KeyCondition {
            terms,
            from_expression: false,
        }
    }

    /// The legacy checks every key condition goes through, then DynamoDB's count rule.
    pub(crate) fn check(&self) -> Result<(), DynamoError> {
        for (_, term) in &self.terms {
            check_condition_values(term.op, &term.values, Compared::Key).map_err(validation)?;
        }
        if self.terms.is_empty() {
            return Err(validation(LEGACY_COUNT));
        }
        Ok(())
    }

    /// The attributes the condition constrains, in order.
    pub fn attribute_names(&self) -> Vec<&str> {
        self.terms.iter().map(|(name, _)| name.as_str()).collect()
    }

    fn term(&self, name: &str) -> Option<&KeyTerm> {
        self.terms.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// Matches the condition to a key schema, with DynamoDB's errors.
    pub fn resolve(&self, schema: &KeySchema) -> Result<ResolvedKeyCondition, DynamoError> {
        if schema.is_multi_attribute() {
            return self.resolve_multi_attribute(schema);
        }
        let count = self.terms.len();
        if count > 2 && !self.from_expression {
            // Legacy `KeyConditions` beyond two are counted against the schema too (a multi-attribute index
            // takes more; moto's AWS-verified tests), but in their own words.
            return Err(validation(LEGACY_COUNT));
        }
        if count > 2 {
            let keys = 1 + usize::from(schema.range.is_some());
            return Err(validation(format!(
                "The number of query conditions ({count}) exceeds the number of key attributes defined in the schema ({keys})"
            )));
        }
        for (key, is_hash) in [(Some(&schema.hash), true), (schema.range.as_ref(), false)] {
            let Some(key) = key else { continue };
            if is_hash && schema.range.is_none() && count > 1 {
                return Err(validation("Query key condition not supported"));
            }
            let Some(term) = self.term(&key.name) else {
                if is_hash || count > 1 {
                    return Err(missed_key_element(&key.name));
                }
                continue;
            };
            check_key_term(term, key)?;
            if is_hash && term.op != LegacyOp::Eq {
                return Err(validation("Query key condition not supported"));
            }
        }
        let hash = self
            .term(&schema.hash.name)
            .and_then(|t| t.values.first().cloned())
            .ok_or_else(|| missed_key_element(&schema.hash.name))?;
        let range = match schema.range.as_ref().and_then(|r| self.term(&r.name)) {
            Some(term) => Some(range_condition(term)?),
            None => None,
        };
        Ok(ResolvedKeyCondition {
            hash,
            more_hash: Vec::new(),
            sort_prefix: Vec::new(),
            range,
        })
    }

    /// Matches the condition to a multi-attribute key: an equality on every partition key attribute, and
    /// conditions on a leading run of the sort key attributes, all equalities but the last (DynamoDB's rules;
    /// the clauses may come in any order).
    fn resolve_multi_attribute(
        &self,
        schema: &KeySchema,
    ) -> Result<ResolvedKeyCondition, DynamoError> {
        let (count, keys) = (self.terms.len(), schema.attribute_count());
        if count > keys {
            return Err(validation(format!(
                "The number of query conditions ({count}) exceeds the number of key attributes defined in the schema ({keys})"
            )));
        }
        let (hash, more_hash) = self.partition_equalities(schema)?;
        self.check_only_key_attributes(schema)?;
        let (sort_prefix, range) = self.sort_conditions(schema)?;
        Ok(ResolvedKeyCondition {
            hash,
            more_hash,
            sort_prefix,
            range,
        })
    }

    /// The value of every partition key attribute, each of which needs an equality: the first, then the rest.
    fn partition_equalities(
        &self,
        schema: &KeySchema,
    ) -> Result<(AttributeValue, Vec<AttributeValue>), DynamoError> {
        let mut values = Vec::new();
        for key in schema.hash_attributes() {
            let term = self
                .term(&key.name)
                .ok_or_else(|| missed_key_element(&key.name))?;
            check_key_term(term, key)?;
            if term.op != LegacyOp::Eq {
                return Err(validation("Query key condition not supported"));
            }
            values.push(first_value(term)?);
        }
        let mut values = values.into_iter();
        let first = values
            .next()
            .ok_or_else(|| missed_key_element(&schema.hash.name))?;
        Ok((first, values.collect()))
    }

    /// A condition on an attribute outside the key is reported as the first sort key attribute left without
    /// one (as with one-attribute keys, where it is the sort key).
    fn check_only_key_attributes(&self, schema: &KeySchema) -> Result<(), DynamoError> {
        let Some((name, _)) = self.terms.iter().find(|(n, _)| !schema.is_key_attribute(n)) else {
            return Ok(());
        };
        let unconditioned = schema
            .range_attributes()
            .find(|r| self.term(&r.name).is_none())
            .map_or(name.as_str(), |r| r.name.as_str());
        Err(missed_key_element(unconditioned))
    }

    /// The equalities on the leading sort key attributes and the condition on the last one named. Every sort
    /// key attribute before the last one named needs an equality; DynamoDB names those that lack one.
    fn sort_conditions(
        &self,
        schema: &KeySchema,
    ) -> Result<(Vec<AttributeValue>, Option<RangeCondition>), DynamoError> {
        let ranges: Vec<&KeyAttribute> = schema.range_attributes().collect();
        let terms: Vec<Option<&KeyTerm>> = ranges.iter().map(|key| self.term(&key.name)).collect();
        for (key, term) in ranges.iter().zip(&terms) {
            if let Some(term) = term {
                check_key_term(term, key)?;
            }
        }
        let Some(last) = terms.iter().rposition(Option::is_some) else {
            return Ok((Vec::new(), None));
        };
        let unequal: Vec<&str> = ranges[..last]
            .iter()
            .zip(&terms)
            .filter(|(_, term)| term.is_none_or(|t| t.op != LegacyOp::Eq))
            .map(|(key, _)| key.name.as_str())
            .collect();
        if !unequal.is_empty() {
            return Err(validation(format!(
                "RANGE key attributes {} must have equality conditions specified in the query because a condition is present on key attribute {}",
                unequal.join(", "),
                ranges[last].name
            )));
        }
        let prefix = terms[..last]
            .iter()
            .flatten()
            .map(|term| first_value(term))
            .collect::<Result<Vec<_>, _>>()?;
        let range = terms[last].map(range_condition).transpose()?;
        Ok((prefix, range))
    }
}

fn missed_key_element(name: &str) -> DynamoError {
    validation(format!("Query condition missed key schema element: {name}"))
}

/// A key condition's operator must be one an index can serve, and its values of the key attribute's type.
fn check_key_term(term: &KeyTerm, key: &KeyAttribute) -> Result<(), DynamoError> {
    if !term.op.is_indexable() {
        return Err(validation(
            "Attempted conditional constraint is not an indexable operation",
        ));
    }
    if term.values.iter().any(|v| !key.scalar.matches(v)) {
        return Err(validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    Ok(())
}

fn first_value(term: &KeyTerm) -> Result<AttributeValue, DynamoError> {
    term.values
        .first()
        .cloned()
        .ok_or_else(|| validation("Query key condition not supported"))
}

fn range_condition(term: &KeyTerm) -> Result<RangeCondition, DynamoError> {
    let v = |i: usize| {
        term.values
            .get(i)
            .cloned()
            .ok_or_else(|| validation("Query key condition not supported"))
    };
    Ok(match term.op {
        LegacyOp::Eq => RangeCondition::Eq(v(0)?),
        LegacyOp::Lt => RangeCondition::Lt(v(0)?),
        LegacyOp::Le => RangeCondition::Le(v(0)?),
        LegacyOp::Gt => RangeCondition::Gt(v(0)?),
        LegacyOp::Ge => RangeCondition::Ge(v(0)?),
        LegacyOp::Between => RangeCondition::Between(v(0)?, v(1)?),
        LegacyOp::BeginsWith => RangeCondition::BeginsWith(v(0)?),
        _ => {
            return Err(validation(
                "Attempted conditional constraint is not an indexable operation",
            ));
        }
    })
}

fn reduce(node: &Node, terms: &mut Vec<(String, KeyTerm)>) -> Result<(), ShapeError> {
    let (op, operands): (LegacyOp, Vec<&Operand>) = match node {
        Node::Or(_) => return Err(ShapeError::InvalidOperator("OR")),
        Node::Not { .. } => return Err(ShapeError::InvalidOperator("NOT")),
        Node::In { .. } => return Err(ShapeError::InvalidOperator("IN")),
        Node::Compare {
            op: CompareOp::Ne, ..
        } => return Err(ShapeError::InvalidOperator("<>")),
        Node::Exists(_) => return Err(ShapeError::InvalidOperator("attribute_exists")),
        Node::NotExists(_) => return Err(ShapeError::InvalidOperator("attribute_not_exists")),
        Node::AttributeType { .. } => return Err(ShapeError::InvalidOperator("attribute_type")),
        Node::Contains { .. } => return Err(ShapeError::InvalidOperator("contains")),
        Node::Const(_) => return Ok(()),
        Node::And(items) => return items.iter().try_for_each(|i| reduce(i, terms)),
        Node::Between { subject, low, high } => {
            if subject.as_path().is_none() {
                return Err(ShapeError::FirstOperand("BETWEEN"));
            }
            (LegacyOp::Between, vec![subject, low, high])
        }
        Node::BeginsWith { subject, prefix } => {
            if subject.as_path().is_none() {
                return Err(ShapeError::FirstOperand("begins_with"));
            }
            (LegacyOp::BeginsWith, vec![subject, prefix])
        }
        Node::Compare { op, left, right } => (legacy_op(*op), vec![left, right]),
    };
    let mut attribute: Option<(&str, usize)> = None;
    for (i, operand) in operands.iter().enumerate() {
        match operand {
            Operand::Path(path) => {
                if attribute.is_some() {
                    return Err(ShapeError::MultipleNames);
                }
                if path.is_nested() {
                    return Err(ShapeError::NestedAttribute);
                }
                attribute = Some((path.head(), i));
            }
            Operand::Size(_) => return Err(ShapeError::NestedOperation),
            Operand::Value(_) => {}
        }
    }
    let Some((name, position)) = attribute else {
        return Err(ShapeError::NoKeyAttribute);
    };
    if terms.iter().any(|(n, _)| n == name) {
        return Err(ShapeError::TwoConditions);
    }
    let op = if position == 0 { op } else { op.mirrored() };
    let values = operands
        .iter()
        .filter_map(|o| match o {
            Operand::Value(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    terms.push((name.to_string(), KeyTerm { op, values }));
    Ok(())
}

fn legacy_op(op: CompareOp) -> LegacyOp {
    match op {
        CompareOp::Eq => LegacyOp::Eq,
        CompareOp::Ne => LegacyOp::Ne,
        CompareOp::Lt => LegacyOp::Lt,
        CompareOp::Le => LegacyOp::Le,
        CompareOp::Gt => LegacyOp::Gt,
        CompareOp::Ge => LegacyOp::Ge,
    }
}

#[cfg(test)]
mod tests;
