//! Condition and filter expressions (and the legacy `Expected`/`QueryFilter`/`ScanFilter` maps, converted into
//! the same tree): the evaluable [`Condition`] and its evaluation against an item, by DynamoDB's rules.
//!
//! Evaluation never fails: a comparison involving a missing attribute or values of different types is false
//! (`<>` is then true), ordering comparisons apply only to two strings, two numbers or two binaries, and a
//! function applied to a value of the wrong type is false.

pub(crate) mod check;
pub(crate) mod parse;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use eddy_model::{AttributeMap, AttributeValue, ValueType};

pub use parse::CompareOp;

use crate::error::ExprError;
use crate::lexer::Tokens;
use crate::path::DocPath;
use crate::subst::Substitutions;
use crate::values;

/// A checked condition, ready to evaluate against items.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) root: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// A condition that always has the given result (an empty legacy condition map is true).
    Const(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not {
        inner: Box<Node>,
        negate: bool,
    },
    Compare {
        op: CompareOp,
        left: Operand,
        right: Operand,
    },
    Between {
        subject: Operand,
        low: Operand,
        high: Operand,
    },
    In {
        subject: Operand,
        list: Vec<Operand>,
    },
    Exists(DocPath),
    NotExists(DocPath),
    AttributeType {
        subject: Operand,
        type_name: Operand,
    },
    BeginsWith {
        subject: Operand,
        prefix: Operand,
    },
    Contains {
        subject: Operand,
        needle: Operand,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    Path(DocPath),
    Value(AttributeValue),
    Size(Box<Operand>),
}

/// Parses and checks one condition-like expression (condition, filter or key condition).
pub(crate) fn parse_condition(
    tokens: &Tokens<'_>,
    subst: &mut Substitutions<'_>,
) -> Result<Condition, ExprError> {
    let parsed = parse::parse(tokens)?;
    let root = check::check(&parsed, subst)?;
    Ok(Condition { root })
}

impl Condition {
    /// A condition that holds for every item.
    pub fn always() -> Condition {
        Condition {
            root: Node::Const(true),
        }
    }

    /// Whether `item` (`None`: the item does not exist) satisfies the condition.
    pub fn evaluate(&self, item: Option<&AttributeMap>) -> bool {
        let empty = AttributeMap::new();
        self.root.evaluate(item.unwrap_or(&empty))
    }

    /// Top-level attributes that the condition reaches into with `.` or `[]`. DynamoDB rejects such paths on
    /// key attributes (`Key attributes must be scalars; …`); the caller knows the keys.
    pub fn nested_path_heads(&self) -> BTreeSet<String> {
        let mut heads = BTreeSet::new();
        self.root.visit_paths(&mut |p| {
            if p.is_nested() {
                heads.insert(p.head().to_string());
            }
        });
        heads
    }

    /// Every top-level attribute the condition refers to.
    pub fn top_level_names(&self) -> BTreeSet<String> {
        let mut heads = BTreeSet::new();
        self.root.visit_paths(&mut |p| {
            heads.insert(p.head().to_string());
        });
        heads
    }
}

impl Node {
    fn evaluate(&self, item: &AttributeMap) -> bool {
        match self {
            Node::Const(result) => *result,
            Node::And(items) => items.iter().all(|n| n.evaluate(item)),
            Node::Or(items) => items.iter().any(|n| n.evaluate(item)),
            Node::Not { inner, negate } => inner.evaluate(item) != *negate,
            Node::Compare { op, left, right } => compare(*op, left.eval(item), right.eval(item)),
            Node::Between { subject, low, high } => {
                between(subject.eval(item), low.eval(item), high.eval(item))
            }
            Node::In { subject, list } => match subject.eval(item) {
                Some(value) => list
                    .iter()
                    .any(|o| o.eval(item).is_some_and(|v| *v == *value)),
                None => false,
            },
            Node::Exists(path) => path.resolve(item).is_some(),
            Node::NotExists(path) => path.resolve(item).is_none(),
            Node::AttributeType { subject, type_name } => {
                let wanted = type_name
                    .eval(item)
                    .and_then(|v| v.as_s().and_then(ValueType::parse));
                match (subject.eval(item), wanted) {
                    (Some(value), Some(wanted)) => value.value_type() == wanted,
                    _ => false,
                }
            }
            Node::BeginsWith { subject, prefix } => {
                both(subject, prefix, item, values::begins_with)
            }
            Node::Contains { subject, needle } => both(subject, needle, item, values::contains),
        }
    }

    pub(crate) fn visit_paths(&self, visit: &mut dyn FnMut(&DocPath)) {
        let mut operand = |o: &Operand| o.visit_paths(visit);
        match self {
            Node::Const(_) => {}
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| n.visit_paths(visit)),
            Node::Not { inner, .. } => inner.visit_paths(visit),
            Node::Compare { left, right, .. } => {
                operand(left);
                operand(right);
            }
            Node::Between { subject, low, high } => {
                operand(subject);
                operand(low);
                operand(high);
            }
            Node::In { subject, list } => {
                operand(subject);
                list.iter().for_each(operand);
            }
            Node::Exists(path) | Node::NotExists(path) => visit(path),
            Node::AttributeType {
                subject: a,
                type_name: b,
            }
            | Node::BeginsWith {
                subject: a,
                prefix: b,
            }
            | Node::Contains {
                subject: a,
                needle: b,
            } => {
                operand(a);
                operand(b);
            }
        }
    }
}

fn both(
    a: &Operand,
    b: &Operand,
    item: &AttributeMap,
    test: fn(&AttributeValue, &AttributeValue) -> bool,
) -> bool {
    match (a.eval(item), b.eval(item)) {
        (Some(a), Some(b)) => test(&a, &b),
        _ => false,
    }
}

fn compare(
    op: CompareOp,
    left: Option<Cow<'_, AttributeValue>>,
    right: Option<Cow<'_, AttributeValue>>,
) -> bool {
    let (left, right) = match (left, right) {
        (Some(l), Some(r)) => (l, r),
        _ => return op == CompareOp::Ne,
    };
    match op {
        CompareOp::Eq => left == right,
        CompareOp::Ne => left != right,
        CompareOp::Lt => values::order(&left, &right) == Some(Ordering::Less),
        CompareOp::Le => matches!(
            values::order(&left, &right),
            Some(Ordering::Less | Ordering::Equal)
        ),
        CompareOp::Gt => values::order(&left, &right) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(
            values::order(&left, &right),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

fn between(
    subject: Option<Cow<'_, AttributeValue>>,
    low: Option<Cow<'_, AttributeValue>>,
    high: Option<Cow<'_, AttributeValue>>,
) -> bool {
    let (Some(v), Some(lo), Some(hi)) = (subject, low, high) else {
        return false;
    };
    matches!(
        values::order(&v, &lo),
        Some(Ordering::Greater | Ordering::Equal)
    ) && matches!(
        values::order(&v, &hi),
        Some(Ordering::Less | Ordering::Equal)
    )
}

impl Operand {
    fn eval<'a>(&'a self, item: &'a AttributeMap) -> Option<Cow<'a, AttributeValue>> {
        match self {
            Operand::Path(path) => path.resolve(item).map(Cow::Borrowed),
            Operand::Value(value) => Some(Cow::Borrowed(value)),
            Operand::Size(inner) => {
                let value = inner.eval(item)?;
                values::size(&value).map(|n| Cow::Owned(AttributeValue::N(n)))
            }
        }
    }

    fn visit_paths(&self, visit: &mut dyn FnMut(&DocPath)) {
        match self {
            Operand::Path(path) => visit(path),
            Operand::Value(_) => {}
            Operand::Size(inner) => inner.visit_paths(visit),
        }
    }

    pub(crate) fn as_path(&self) -> Option<&DocPath> {
        match self {
            Operand::Path(path) => Some(path),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
