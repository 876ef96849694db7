//! The meaning checks of a parsed condition expression, in DynamoDB's order of precedence, and the
//! translation of the checked syntax tree into an evaluable [`Node`] tree.
//!
//! DynamoDB reports, for the whole expression, the first of: redundant parentheses, an unknown function, a
//! function used where it is not allowed (an update's function named as not allowed in a condition), a reserved word used as a name; then, for the first elementary
//! condition (in reading order) that has a problem, the first of: an undefined placeholder, a wrong number of
//! operands, identical first and second operands, a wrong operand type. (The order is dynalite's, whose tests
//! assert DynamoDB's answers.)

use eddy_model::{AttributeValue, ValueType};

use super::parse::{CompareOp, Parsed, Raw};
use super::{Node, Operand};
use crate::cursor::RawPath;
use crate::error::{ExprError, FunctionPlace};
use crate::subst::Substitutions;
use crate::values::{describe, order};

/// Most operands DynamoDB accepts in an `IN` list.
const MAX_IN_OPERANDS: usize = 100;

const ALL_TYPES: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

/// Functions of conditions and how many operands each takes.
fn arity(name: &str) -> Option<usize> {
    Some(match name {
        "attribute_exists" | "attribute_not_exists" | "size" => 1,
        "attribute_type" | "begins_with" | "contains" => 2,
        _ => return None,
    })
}

pub(crate) fn check(parsed: &Parsed, subst: &mut Substitutions<'_>) -> Result<Node, ExprError> {
    if parsed.redundant_parens {
        return Err(ExprError::RedundantParentheses);
    }
    let root = &parsed.root;
    if let Some(name) = first_unknown_function(root) {
        return Err(match name {
            "if_not_exists" | "list_append" => ExprError::FunctionNotAllowed {
                function: name.to_string(),
                here: FunctionPlace::Condition,
            },
            _ => ExprError::InvalidFunction(name.to_string()),
        });
    }
    if let Some(name) = first_misused_function(root, true) {
        return Err(ExprError::MisusedFunction(name.to_string()));
    }
    if let Some(word) = first_reserved_word(root) {
        return Err(ExprError::ReservedKeyword(word.to_string()));
    }
    let mut leaves = Vec::new();
    collect_leaves(root, &mut leaves);
    for leaf in leaves {
        check_leaf(leaf, subst)?;
        check_ordering_operands(leaf, subst)?;
    }
    build_condition(root, subst)
}

/// Children of a node, in reading order.
fn children(node: &Raw) -> Vec<&Raw> {
    match node {
        Raw::Or(items) | Raw::And(items) => items.iter().collect(),
        Raw::Not { inner, .. } | Raw::Paren(inner) => vec![inner],
        Raw::Compare { left, right, .. } => vec![left, right],
        Raw::Between { subject, low, high } => vec![subject, low, high],
        Raw::In { subject, list } => std::iter::once(&**subject).chain(list.iter()).collect(),
        Raw::Func { args, .. } => args.iter().collect(),
        Raw::Path(_) | Raw::Value(_) => Vec::new(),
    }
}

/// Function calls in post-order (arguments before the call).
fn functions<'r>(node: &'r Raw, out: &mut Vec<(&'r str, &'r [Raw])>) {
    for child in children(node) {
        functions(child, out);
    }
    if let Raw::Func { name, args } = node {
        out.push((name, args));
    }
}

fn first_unknown_function(node: &Raw) -> Option<&str> {
    let mut calls = Vec::new();
    functions(node, &mut calls);
    calls
        .into_iter()
        .map(|(name, _)| name)
        .find(|name| arity(name).is_none())
}

/// A function other than `size` used as an operand, or `size` used as a condition.
fn first_misused_function(node: &Raw, as_condition: bool) -> Option<&str> {
    let inner = node.unparen();
    match inner {
        Raw::Or(items) | Raw::And(items) => {
            items.iter().find_map(|i| first_misused_function(i, true))
        }
        Raw::Not { inner, .. } => first_misused_function(inner, true),
        Raw::Func { name, args } => args
            .iter()
            .find_map(|a| first_misused_function(a, false))
            .or_else(|| args.iter().find_map(misused_operand))
            .or((as_condition && name == "size").then_some(name.as_str())),
        Raw::Compare { .. } | Raw::Between { .. } | Raw::In { .. } => {
            let operands = children(inner);
            operands
                .iter()
                .find_map(|o| first_misused_function(o, false))
                .or_else(|| operands.into_iter().find_map(misused_operand))
        }
        Raw::Paren(_) | Raw::Path(_) | Raw::Value(_) => None,
    }
}

fn misused_operand(operand: &Raw) -> Option<&str> {
    match operand.unparen() {
        Raw::Func { name, .. } if name != "size" => Some(name),
        _ => None,
    }
}

fn paths<'r>(node: &'r Raw, out: &mut Vec<&'r RawPath>) {
    if let Raw::Path(path) = node {
        out.push(path);
    }
    for child in children(node) {
        paths(child, out);
    }
}

fn first_reserved_word(node: &Raw) -> Option<&str> {
    let mut all = Vec::new();
    paths(node, &mut all);
    all.into_iter().find_map(RawPath::reserved_word)
}

/// The elementary conditions: comparisons, BETWEEN, IN and functions used as conditions.
fn collect_leaves<'r>(node: &'r Raw, out: &mut Vec<&'r Raw>) {
    match node.unparen() {
        Raw::Or(items) | Raw::And(items) => items.iter().for_each(|i| collect_leaves(i, out)),
        Raw::Not { inner, .. } => collect_leaves(inner, out),
        leaf => out.push(leaf),
    }
}

fn check_leaf(leaf: &Raw, subst: &Substitutions<'_>) -> Result<(), ExprError> {
    if let Some(err) = first_undefined(leaf, subst) {
        return Err(err);
    }
    let mut calls = Vec::new();
    functions(leaf, &mut calls);
    for (name, args) in &calls {
        if arity(name) != Some(args.len()) {
            return Err(ExprError::OperandCount {
                function: name.to_string(),
                count: args.len(),
            });
        }
    }
    for (name, args) in &calls {
        if let Some(path) = args
            .first()
            .and_then(|first| same_paths(first, args.get(1), subst))
        {
            return Err(ExprError::NotDistinct {
                operator: name.to_string(),
                path,
            });
        }
    }
    if let Raw::Compare { op, left, right } = leaf
        && let Some(path) = same_paths(left, Some(right), subst)
    {
        return Err(ExprError::NotDistinct {
            operator: op.symbol().to_string(),
            path,
        });
    }
    for (name, args) in &calls {
        check_function_types(name, args, subst)?;
    }
    match leaf {
        // A bound that cannot be ordered is named before the bounds' types are compared (AWS, moto's verified
        // tests): `:lo` NULL and `:hi` a number is an operand-type error, not a type mismatch.
        Raw::Between { low, high, .. } => {
            check_ordering_operands(leaf, subst)?;
            check_between(low, high, subst)
        }
        Raw::In { list, .. } if list.len() > MAX_IN_OPERANDS => {
            Err(ExprError::TooManyInOperands(list.len()))
        }
        _ => Ok(()),
    }
}

/// An ordering comparison (`<`, `<=`, `>`, `>=`, BETWEEN) with a value that cannot be ordered (anything but a
/// string, number or binary: BOOL, NULL, sets, lists, maps) is an operand-type error naming the operator as
/// written, whether or not the comparison would ever be evaluated; a document path is not checked (it just
/// compares false). In a key condition, a key type that is merely not the attribute's is left to the schema
/// check (AWS, 2026).
fn check_ordering_operands(leaf: &Raw, subst: &Substitutions<'_>) -> Result<(), ExprError> {
    let (operator, operands): (&str, Vec<&Raw>) = match leaf {
        Raw::Compare { op, left, right } if !matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            (op.symbol(), vec![left, right])
        }
        Raw::Between { low, high, .. } => ("BETWEEN", vec![low, high]),
        _ => return Ok(()),
    };
    let unsatisfiable = operands
        .into_iter()
        .filter_map(|o| static_type(o, subst))
        .find(|t| !matches!(t, ValueType::S | ValueType::N | ValueType::B));
    match unsatisfiable {
        Some(t) => Err(ExprError::OperandType {
            function: operator.to_string(),
            operand_type: t.to_string(),
        }),
        None => Ok(()),
    }
}

/// The first undefined expression attribute name or value, in reading order.
fn first_undefined(node: &Raw, subst: &Substitutions<'_>) -> Option<ExprError> {
    match node {
        Raw::Path(path) => subst
            .undefined_name(path)
            .map(|n| ExprError::UndefinedName(n.to_string())),
        Raw::Value(name) if subst.value(name).is_none() => {
            Some(ExprError::UndefinedValue(name.clone()))
        }
        _ => children(node)
            .into_iter()
            .find_map(|c| first_undefined(c, subst)),
    }
}

/// When both operands are the same document path, that path as DynamoDB shows it.
fn same_paths(one: &Raw, two: Option<&Raw>, subst: &Substitutions<'_>) -> Option<String> {
    let (Raw::Path(a), Some(Raw::Path(b))) = (one.unparen(), two.map(Raw::unparen)) else {
        return None;
    };
    let (a, b) = (subst.resolve_path(a).ok()?, subst.resolve_path(b).ok()?);
    (a == b).then(|| a.to_string())
}

/// The type of an operand when it is known before evaluation: a value's type, or `size`'s number.
fn static_type(operand: &Raw, subst: &Substitutions<'_>) -> Option<ValueType> {
    match operand.unparen() {
        Raw::Value(name) => subst.value(name).map(AttributeValue::value_type),
        Raw::Func { name, .. } if name == "size" => Some(ValueType::N),
        Raw::Func { .. } => Some(ValueType::Bool),
        _ => None,
    }
}

fn check_function_types(
    name: &str,
    args: &[Raw],
    subst: &Substitutions<'_>,
) -> Result<(), ExprError> {
    let type_error = |t: String| ExprError::OperandType {
        function: name.to_string(),
        operand_type: t,
    };
    let (Some(first), second) = (args.first(), args.get(1)) else {
        return Ok(());
    };
    match name {
        "attribute_exists" | "attribute_not_exists" => match first.unparen() {
            Raw::Path(_) => Ok(()),
            _ => Err(ExprError::RequiresPath(name.to_string())),
        },
        "begins_with" => {
            for arg in args {
                match static_type(arg, subst) {
                    Some(t) if t != ValueType::S && t != ValueType::B => {
                        return Err(type_error(t.to_string()));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        "attribute_type" => match second.and_then(|s| static_type(s, subst)) {
            Some(ValueType::S) => {
                let type_name = second
                    .and_then(|s| literal(s, subst))
                    .and_then(AttributeValue::as_s)
                    .unwrap_or("");
                match ValueType::parse(type_name) {
                    Some(_) => Ok(()),
                    None => Err(ExprError::InvalidTypeName(type_name.to_string())),
                }
            }
            Some(t) => Err(type_error(t.to_string())),
            None => Err(type_error(ALL_TYPES.to_string())),
        },
        "size" => match static_type(first, subst) {
            Some(t @ (ValueType::N | ValueType::Bool | ValueType::Null)) => {
                Err(type_error(t.to_string()))
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn literal<'s>(operand: &Raw, subst: &Substitutions<'s>) -> Option<&'s AttributeValue> {
    match operand.unparen() {
        Raw::Value(name) => subst.value(name),
        _ => None,
    }
}

fn check_between(low: &Raw, high: &Raw, subst: &Substitutions<'_>) -> Result<(), ExprError> {
    let (Some(low), Some(high)) = (literal(low, subst), literal(high, subst)) else {
        return Ok(());
    };
    if low.value_type() != high.value_type() {
        return Err(ExprError::BetweenTypes {
            lower: describe(low),
            upper: describe(high),
        });
    }
    if order(low, high) == Some(std::cmp::Ordering::Greater) {
        return Err(ExprError::BetweenOrder {
            lower: describe(low),
            upper: describe(high),
        });
    }
    Ok(())
}

/// Builds the evaluable tree; every check has passed, so only substitution remains.
fn build_condition(node: &Raw, subst: &mut Substitutions<'_>) -> Result<Node, ExprError> {
    Ok(match node.unparen() {
        Raw::Or(items) => Node::Or(flatten(items, subst, true)?),
        Raw::And(items) => Node::And(flatten(items, subst, false)?),
        Raw::Not { inner, negate } => Node::Not {
            inner: Box::new(build_condition(inner, subst)?),
            negate: *negate,
        },
        Raw::Compare { op, left, right } => Node::Compare {
            op: *op,
            left: build_operand(left, subst)?,
            right: build_operand(right, subst)?,
        },
        Raw::Between { subject, low, high } => Node::Between {
            subject: build_operand(subject, subst)?,
            low: build_operand(low, subst)?,
            high: build_operand(high, subst)?,
        },
        Raw::In { subject, list } => Node::In {
            subject: build_operand(subject, subst)?,
            list: list
                .iter()
                .map(|o| build_operand(o, subst))
                .collect::<Result<_, _>>()?,
        },
        Raw::Func { name, args } => build_function(name, args, subst)?,
        // The parser only lets functions and conditions stand as conditions.
        Raw::Paren(_) | Raw::Path(_) | Raw::Value(_) => Node::Const(false),
    })
}

/// Children of an AND (or OR), with nested ANDs (ORs) merged into one list.
fn flatten(items: &[Raw], subst: &mut Substitutions<'_>, or: bool) -> Result<Vec<Node>, ExprError> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match (build_condition(item, subst)?, or) {
            (Node::Or(inner), true) | (Node::And(inner), false) => out.extend(inner),
            (node, _) => out.push(node),
        }
    }
    Ok(out)
}

fn build_function(
    name: &str,
    args: &[Raw],
    subst: &mut Substitutions<'_>,
) -> Result<Node, ExprError> {
    let operand = |i: usize, subst: &mut Substitutions<'_>| match args.get(i) {
        Some(arg) => build_operand(arg, subst),
        None => Err(ExprError::OperandCount {
            function: name.to_string(),
            count: args.len(),
        }),
    };
    let path = |subst: &mut Substitutions<'_>| match operand(0, subst)? {
        Operand::Path(path) => Ok(path),
        _ => Err(ExprError::RequiresPath(name.to_string())),
    };
    Ok(match name {
        "attribute_exists" => Node::Exists(path(subst)?),
        "attribute_not_exists" => Node::NotExists(path(subst)?),
        "attribute_type" => Node::AttributeType {
            subject: operand(0, subst)?,
            type_name: operand(1, subst)?,
        },
        "begins_with" => Node::BeginsWith {
            subject: operand(0, subst)?,
            prefix: operand(1, subst)?,
        },
        "contains" => Node::Contains {
            subject: operand(0, subst)?,
            needle: operand(1, subst)?,
        },
        _ => return Err(ExprError::MisusedFunction(name.to_string())),
    })
}

fn build_operand(node: &Raw, subst: &mut Substitutions<'_>) -> Result<Operand, ExprError> {
    Ok(match node.unparen() {
        Raw::Path(path) => Operand::Path(subst.path(path)?),
        Raw::Value(name) => Operand::Value(subst.use_value(name)?),
        Raw::Func { name, args } if name == "size" && args.len() == 1 => {
            Operand::Size(Box::new(build_operand(&args[0], subst)?))
        }
        Raw::Func { name, .. } => return Err(ExprError::MisusedFunction(name.clone())),
        _ => return Err(ExprError::MisusedFunction(String::new())),
    })
}
