//! Application of an [`Update`] to an item: SET values computed from the old item, then the actions merged
//! into one tree of edits (paths are disjoint) and applied level by level, with list indexes meaning positions
//! in the original list.

use std::collections::BTreeMap;
use std::fmt;

use eddy_model::{AttributeMap, AttributeValue, NumberError};

use super::{Action, SetValue, Update};
use crate::path::PathElement;

/// Why an update cannot be applied to this item. `Display` gives DynamoDB's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ApplyError {
    MissingAttribute,
    IncorrectType,
    LegacyTypeMismatch,
    InvalidPath,
    Number(NumberError),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::MissingAttribute => f.write_str(
                "The provided expression refers to an attribute that does not exist in the item",
            ),
            ApplyError::IncorrectType => {
                f.write_str("An operand in the update expression has an incorrect data type")
            }
            ApplyError::LegacyTypeMismatch => f.write_str("Type mismatch for attribute to update"),
            ApplyError::InvalidPath => f.write_str(
                "The document path provided in the update expression is invalid for update",
            ),
            ApplyError::Number(e) => e.fmt(f),
        }
    }
}

/// One edit at a path position.
enum Edit {
    Set(AttributeValue),
    Remove,
    Add(AttributeValue),
    Delete(AttributeValue),
    Names(BTreeMap<String, Edit>),
    Indexes(BTreeMap<usize, Edit>),
}

pub(crate) fn apply(update: &Update, item: &AttributeMap) -> Result<AttributeMap, ApplyError> {
    let mut edits: BTreeMap<String, Edit> = BTreeMap::new();
    for action in &update.actions {
        let leaf = match action {
            Action::Set { value, .. } => Edit::Set(evaluate(value, item)?),
            Action::Remove { .. } => Edit::Remove,
            Action::Add { value, .. } => Edit::Add(value.clone()),
            Action::Delete { value, .. } => Edit::Delete(value.clone()),
        };
        let path = action.path();
        insert_edit(&mut edits, path.head(), path.rest(), leaf);
    }
    let mut result = item.clone();
    apply_names(&mut result, edits, update.legacy)?;
    Ok(result)
}

/// Computes a SET value from the item as it was before the update.
fn evaluate(value: &SetValue, item: &AttributeMap) -> Result<AttributeValue, ApplyError> {
    match value {
        SetValue::Path(path) => path
            .resolve(item)
            .cloned()
            .ok_or(ApplyError::MissingAttribute),
        SetValue::Value(value) => Ok(value.clone()),
        SetValue::IfNotExists(path, fallback) => match path.resolve(item) {
            Some(existing) => Ok(existing.clone()),
            None => evaluate(fallback, item),
        },
        SetValue::ListAppend(a, b) => {
            let AttributeValue::L(mut first) = evaluate(a, item)? else {
                return Err(ApplyError::IncorrectType);
            };
            let AttributeValue::L(second) = evaluate(b, item)? else {
                return Err(ApplyError::IncorrectType);
            };
            first.extend(second);
            Ok(AttributeValue::L(first))
        }
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            let AttributeValue::N(x) = evaluate(a, item)? else {
                return Err(ApplyError::IncorrectType);
            };
            let AttributeValue::N(y) = evaluate(b, item)? else {
                return Err(ApplyError::IncorrectType);
            };
            let result = match value {
                SetValue::Plus(..) => x.checked_add(&y),
                _ => x.checked_sub(&y),
            };
            result.map(AttributeValue::N).map_err(ApplyError::Number)
        }
    }
}

/// Places `leaf` at `head` + `rest` in the edit tree. Paths were checked to be disjoint; a clash anyway (which
/// only hand-built updates could cause) keeps the first edit.
fn insert_edit(edits: &mut BTreeMap<String, Edit>, head: &str, rest: &[PathElement], leaf: Edit) {
    let Some((next, tail)) = rest.split_first() else {
        edits.entry(head.to_string()).or_insert(leaf);
        return;
    };
    let slot = edits
        .entry(head.to_string())
        .or_insert_with(|| container_for(next));
    insert_below(slot, next, tail, leaf);
}

fn container_for(element: &PathElement) -> Edit {
    match element {
        PathElement::Name(_) => Edit::Names(BTreeMap::new()),
        PathElement::Index(_) => Edit::Indexes(BTreeMap::new()),
    }
}

fn insert_below(slot: &mut Edit, element: &PathElement, rest: &[PathElement], leaf: Edit) {
    let child = match (slot, element) {
        (Edit::Names(names), PathElement::Name(name)) => match rest.first() {
            None => {
                names.entry(name.clone()).or_insert(leaf);
                return;
            }
            Some(next) => names
                .entry(name.clone())
                .or_insert_with(|| container_for(next)),
        },
        (Edit::Indexes(indexes), PathElement::Index(index)) => match rest.first() {
            None => {
                indexes.entry(*index).or_insert(leaf);
                return;
            }
            Some(next) => indexes.entry(*index).or_insert_with(|| container_for(next)),
        },
        _ => return,
    };
    if let Some((next, tail)) = rest.split_first() {
        insert_below(child, next, tail, leaf);
    }
}

fn apply_names(
    map: &mut AttributeMap,
    edits: BTreeMap<String, Edit>,
    legacy: bool,
) -> Result<(), ApplyError> {
    for (name, edit) in edits {
        match edit {
            Edit::Set(value) => {
                map.insert(name, value);
            }
            Edit::Remove => {
                map.remove(&name);
            }
            Edit::Add(value) => {
                let sum = add(map.remove(&name), value, legacy)?;
                map.insert(name, sum);
            }
            Edit::Delete(value) => {
                if let Some(current) = map.remove(&name)
                    && let Some(rest) = delete(current, &value, legacy)?
                {
                    map.insert(name, rest);
                }
            }
            nested => match map.get_mut(&name) {
                Some(value) => apply_nested(value, nested, legacy)?,
                None => return Err(ApplyError::InvalidPath),
            },
        }
    }
    Ok(())
}

fn apply_nested(value: &mut AttributeValue, edit: Edit, legacy: bool) -> Result<(), ApplyError> {
    match (value, edit) {
        (AttributeValue::M(map), Edit::Names(edits)) => apply_names(map, edits, legacy),
        (AttributeValue::L(list), Edit::Indexes(edits)) => apply_indexes(list, edits, legacy),
        _ => Err(ApplyError::InvalidPath),
    }
}

fn apply_indexes(
    list: &mut Vec<AttributeValue>,
    edits: BTreeMap<usize, Edit>,
    legacy: bool,
) -> Result<(), ApplyError> {
    let original_len = list.len();
    let mut removals = Vec::new();
    let mut appends = Vec::new();
    for (index, edit) in edits {
        let Some(slot) = list.get_mut(index) else {
            match edit {
                Edit::Set(value) => appends.push(value),
                Edit::Add(value) => appends.push(add(None, value, legacy)?),
                Edit::Remove | Edit::Delete(_) => {}
                Edit::Names(_) | Edit::Indexes(_) => return Err(ApplyError::InvalidPath),
            }
            continue;
        };
        match edit {
            Edit::Set(value) => *slot = value,
            Edit::Remove => removals.push(index),
            Edit::Add(value) => {
                let current = std::mem::replace(slot, AttributeValue::Null);
                *slot = add(Some(current), value, legacy)?;
            }
            Edit::Delete(value) => {
                let current = std::mem::replace(slot, AttributeValue::Null);
                match delete(current, &value, legacy)? {
                    Some(rest) => *slot = rest,
                    None => removals.push(index),
                }
            }
            nested => apply_nested(slot, nested, legacy)?,
        }
    }
    for index in removals.into_iter().rev() {
        if index < original_len && index < list.len() {
            list.remove(index);
        }
    }
    list.extend(appends);
    Ok(())
}

fn mismatch(legacy: bool) -> ApplyError {
    if legacy {
        ApplyError::LegacyTypeMismatch
    } else {
        ApplyError::IncorrectType
    }
}

/// `ADD`: the value itself when nothing is there, else a number sum, a set union, or (legacy) a list append.
fn add(
    current: Option<AttributeValue>,
    value: AttributeValue,
    legacy: bool,
) -> Result<AttributeValue, ApplyError> {
    let Some(current) = current else {
        return Ok(value);
    };
    Ok(match (current, value) {
        (AttributeValue::N(a), AttributeValue::N(b)) => {
            AttributeValue::N(a.checked_add(&b).map_err(ApplyError::Number)?)
        }
        (AttributeValue::Ss(mut a), AttributeValue::Ss(b)) => {
            a.extend(b);
            AttributeValue::string_set(a)
        }
        (AttributeValue::Ns(mut a), AttributeValue::Ns(b)) => {
            a.extend(b);
            AttributeValue::number_set(a)
        }
        (AttributeValue::Bs(mut a), AttributeValue::Bs(b)) => {
            a.extend(b);
            AttributeValue::binary_set(a)
        }
        (AttributeValue::L(mut a), AttributeValue::L(b)) if legacy => {
            a.extend(b);
            AttributeValue::L(a)
        }
        _ => return Err(mismatch(legacy)),
    })
}

/// `DELETE`: the set without the given elements, or `None` when no element remains.
fn delete(
    current: AttributeValue,
    value: &AttributeValue,
    legacy: bool,
) -> Result<Option<AttributeValue>, ApplyError> {
    let remaining = match (current, value) {
        (AttributeValue::Ss(mut a), AttributeValue::Ss(b)) => {
            a.retain(|x| !b.contains(x));
            (!a.is_empty()).then_some(AttributeValue::Ss(a))
        }
        (AttributeValue::Ns(mut a), AttributeValue::Ns(b)) => {
            a.retain(|x| !b.contains(x));
            (!a.is_empty()).then_some(AttributeValue::Ns(a))
        }
        (AttributeValue::Bs(mut a), AttributeValue::Bs(b)) => {
            a.retain(|x| !b.contains(x));
            (!a.is_empty()).then_some(AttributeValue::Bs(a))
        }
        _ => return Err(mismatch(legacy)),
    };
    Ok(remaining)
}
