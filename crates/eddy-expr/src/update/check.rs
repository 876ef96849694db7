//! The meaning checks of a parsed update expression and its translation into [`Action`]s.
//!
//! DynamoDB reports the first of, in this order (each the first occurrence in the expression): a reserved word
//! used as a name, an unknown function, a section used twice, an undefined expression attribute name, an
//! undefined expression attribute value, overlapping paths, conflicting paths, a wrong `ADD`/`DELETE` operand
//! type, a wrong function operand (count, path, type). The order is dynalite's, whose tests assert DynamoDB's.

use eddy_model::{AttributeValue, ValueType};

use super::parse::{ArithOp, ParsedUpdate, RawAction, RawValue, Section};
use super::{Action, SetValue};
use crate::cursor::RawPath;
use crate::error::{ExprError, FunctionPlace};
use crate::path::check_independent;
use crate::subst::Substitutions;
use crate::values::long_type_name;

fn arity(name: &str) -> Option<usize> {
    match name {
        "if_not_exists" | "list_append" => Some(2),
        _ => None,
    }
}

pub(crate) fn check(
    parsed: &ParsedUpdate,
    subst: &mut Substitutions<'_>,
) -> Result<Vec<Action>, ExprError> {
    let actions: Vec<&RawAction> = parsed.sections.iter().flat_map(|(_, a)| a.iter()).collect();
    let mut paths = Vec::new();
    let mut values = Vec::new();
    let mut calls = Vec::new();
    for action in &actions {
        paths.push(action.path());
        match action {
            RawAction::Set { value, .. } => walk_value(value, &mut paths, &mut values, &mut calls),
            RawAction::Add { value, .. } | RawAction::Delete { value, .. } => {
                values.push(value.as_str())
            }
            RawAction::Remove { .. } => {}
        }
    }
    if let Some(word) = paths.iter().find_map(|p| p.reserved_word()) {
        return Err(ExprError::ReservedKeyword(word.to_string()));
    }
    if let Some(call) = calls.iter().find_map(|c| match c {
        Call::Func(name, _) if arity(name).is_none() => Some(*name),
        _ => None,
    }) {
        return Err(unknown_function(call));
    }
    check_sections(parsed)?;
    if let Some(name) = paths.iter().find_map(|p| subst.undefined_name(p)) {
        return Err(ExprError::UndefinedName(name.to_string()));
    }
    if let Some(value) = values.iter().find(|v| subst.value(v).is_none()) {
        return Err(ExprError::UndefinedValue(value.to_string()));
    }
    let targets = actions
        .iter()
        .map(|a| subst.resolve_path(a.path()))
        .collect::<Result<Vec<_>, _>>()?;
    check_independent(&targets)?;
    for action in &actions {
        check_operand(action, subst)?;
    }
    for call in &calls {
        check_call(call, subst)?;
    }
    actions
        .into_iter()
        .map(|a| build_action(a, subst))
        .collect()
}

/// A function an update does not know: a condition's function is "not allowed in an update expression".
fn unknown_function(name: &str) -> ExprError {
    match name {
        "attribute_exists"
        | "attribute_not_exists"
        | "attribute_type"
        | "begins_with"
        | "contains"
        | "size" => ExprError::FunctionNotAllowed {
            function: name.to_string(),
            here: FunctionPlace::Update,
        },
        _ => ExprError::InvalidFunction(name.to_string()),
    }
}

fn check_sections(parsed: &ParsedUpdate) -> Result<(), ExprError> {
    let mut seen: Vec<Section> = Vec::new();
    for (section, _) in &parsed.sections {
        if seen.contains(section) {
            return Err(ExprError::SectionTwice(section.name()));
        }
        seen.push(*section);
    }
    Ok(())
}

/// A function call or an arithmetic operation, for the checks that apply to both.
enum Call<'r> {
    Func(&'r str, &'r [RawValue]),
    Arith(ArithOp, &'r RawValue, &'r RawValue),
}

/// Collects, in reading order, the paths and values of a SET value, and its calls in post-order.
fn walk_value<'r>(
    value: &'r RawValue,
    paths: &mut Vec<&'r RawPath>,
    values: &mut Vec<&'r str>,
    calls: &mut Vec<Call<'r>>,
) {
    match value {
        RawValue::Path(path) => paths.push(path),
        RawValue::Value(name) => values.push(name),
        RawValue::Paren(inner) => walk_value(inner, paths, values, calls),
        RawValue::Func { name, args } => {
            args.iter()
                .for_each(|a| walk_value(a, paths, values, calls));
            calls.push(Call::Func(name, args));
        }
        RawValue::Arith {
            op, left, right, ..
        } => {
            walk_value(left, paths, values, calls);
            walk_value(right, paths, values, calls);
            calls.push(Call::Arith(*op, left, right));
        }
    }
}

fn check_operand(action: &RawAction, subst: &Substitutions<'_>) -> Result<(), ExprError> {
    let (operator, placeholder, allowed): (&'static str, &str, &[ValueType]) = match action {
        RawAction::Add { value, .. } => (
            "ADD",
            value,
            &[ValueType::N, ValueType::Ss, ValueType::Ns, ValueType::Bs],
        ),
        RawAction::Delete { value, .. } => (
            "DELETE",
            value,
            &[ValueType::Ss, ValueType::Ns, ValueType::Bs],
        ),
        _ => return Ok(()),
    };
    match subst.value(placeholder).map(AttributeValue::value_type) {
        Some(t) if !allowed.contains(&t) => Err(ExprError::UpdateOperandType {
            operator,
            operand_type: long_type_name(t),
        }),
        _ => Ok(()),
    }
}

fn literal_type(value: &RawValue, subst: &Substitutions<'_>) -> Option<ValueType> {
    match value.unparen() {
        RawValue::Value(name) => subst.value(name).map(AttributeValue::value_type),
        _ => None,
    }
}

fn check_call(call: &Call<'_>, subst: &Substitutions<'_>) -> Result<(), ExprError> {
    let (name, args, wanted): (&str, Vec<&RawValue>, ValueType) = match call {
        Call::Arith(op, left, right) => (op.symbol(), vec![*left, *right], ValueType::N),
        Call::Func(name, args) => {
            if arity(name) != Some(args.len()) {
                return Err(ExprError::OperandCount {
                    function: name.to_string(),
                    count: args.len(),
                });
            }
            // DynamoDB refuses a list_append of a list_append (Alternator's suite, run against AWS), though it
            // takes one of an if_not_exists.
            if *name == "list_append"
                && args.iter().any(
                    |a| matches!(a.unparen(), RawValue::Func { name, .. } if name == "list_append"),
                )
            {
                return Err(ExprError::MisusedFunction(name.to_string()));
            }
            if *name == "if_not_exists" {
                return match args.first().map(RawValue::unparen) {
                    Some(RawValue::Path(_)) => Ok(()),
                    _ => Err(ExprError::RequiresPath(name.to_string())),
                };
            }
            (name, args.iter().collect(), ValueType::L)
        }
    };
    for arg in args {
        match literal_type(arg, subst) {
            Some(t) if t != wanted => {
                return Err(ExprError::OperandType {
                    function: name.to_string(),
                    operand_type: t.to_string(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn build_action(action: &RawAction, subst: &mut Substitutions<'_>) -> Result<Action, ExprError> {
    let path = subst.path(action.path())?;
    Ok(match action {
        RawAction::Set { value, .. } => Action::Set {
            path,
            value: build_value(value, subst)?,
        },
        RawAction::Remove { .. } => Action::Remove { path },
        RawAction::Add { value, .. } => Action::Add {
            path,
            value: subst.use_value(value)?,
        },
        RawAction::Delete { value, .. } => Action::Delete {
            path,
            value: subst.use_value(value)?,
        },
    })
}

fn build_value(value: &RawValue, subst: &mut Substitutions<'_>) -> Result<SetValue, ExprError> {
    let boxed = |v: &RawValue, s: &mut Substitutions<'_>| build_value(v, s).map(Box::new);
    Ok(match value.unparen() {
        RawValue::Path(path) => SetValue::Path(subst.path(path)?),
        RawValue::Value(name) => SetValue::Value(subst.use_value(name)?),
        RawValue::Arith {
            op: ArithOp::Plus,
            left,
            right,
            ..
        } => SetValue::Plus(boxed(left, subst)?, boxed(right, subst)?),
        RawValue::Arith {
            op: ArithOp::Minus,
            left,
            right,
            ..
        } => SetValue::Minus(boxed(left, subst)?, boxed(right, subst)?),
        RawValue::Func { name, args } if name == "if_not_exists" && args.len() == 2 => {
            let path = match build_value(&args[0], subst)? {
                SetValue::Path(path) => path,
                _ => return Err(ExprError::RequiresPath(name.clone())),
            };
            SetValue::IfNotExists(path, boxed(&args[1], subst)?)
        }
        RawValue::Func { name, args } if name == "list_append" && args.len() == 2 => {
            SetValue::ListAppend(boxed(&args[0], subst)?, boxed(&args[1], subst)?)
        }
        RawValue::Func { name, args } => {
            return Err(ExprError::OperandCount {
                function: name.clone(),
                count: args.len(),
            });
        }
        RawValue::Paren(_) => return Err(ExprError::RedundantParentheses),
    })
}
