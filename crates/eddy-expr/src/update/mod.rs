//! Update expressions (and legacy `AttributeUpdates`, converted into the same actions): the checked
//! [`Update`], what it touches, and its application to an item.
//!
//! Application follows DynamoDB: every `SET` value is computed from the item as it was before the update; the
//! actions then change disjoint parts of the item (overlapping paths were rejected). List indexes refer to the
//! original list: elements are replaced first, then removed (later indexes first, so earlier ones keep their
//! meaning), then `SET` past the end appends, in index order. `ADD` creates a missing attribute, adds numbers
//! exactly and unites sets; `DELETE` removes set elements and removes the attribute when none remain.

mod apply;
mod charge;
pub(crate) mod check;
pub(crate) mod parse;

use std::collections::BTreeSet;

use eddy_model::{AttributeMap, AttributeValue, DynamoError, KeySchema, ValueType};

use crate::error::ExprError;
use crate::lexer::Tokens;
use crate::path::DocPath;
use crate::subst::Substitutions;

/// A checked update, ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub(crate) actions: Vec<Action>,
    /// Whether it came from `AttributeUpdates`, whose type errors DynamoDB words differently.
    pub(crate) legacy: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    Set {
        path: DocPath,
        value: SetValue,
    },
    Remove {
        path: DocPath,
    },
    /// `ADD`: numbers add, sets unite, (legacy only) lists concatenate; a missing attribute becomes the value.
    Add {
        path: DocPath,
        value: AttributeValue,
    },
    Delete {
        path: DocPath,
        value: AttributeValue,
    },
}

impl Action {
    pub(crate) fn path(&self) -> &DocPath {
        match self {
            Action::Set { path, .. }
            | Action::Remove { path }
            | Action::Add { path, .. }
            | Action::Delete { path, .. } => path,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SetValue {
    Path(DocPath),
    Value(AttributeValue),
    IfNotExists(DocPath, Box<SetValue>),
    ListAppend(Box<SetValue>, Box<SetValue>),
    Plus(Box<SetValue>, Box<SetValue>),
    Minus(Box<SetValue>, Box<SetValue>),
}

impl SetValue {
    fn visit_paths(&self, visit: &mut dyn FnMut(&DocPath)) {
        match self {
            SetValue::Path(path) => visit(path),
            SetValue::Value(_) => {}
            SetValue::IfNotExists(path, value) => {
                visit(path);
                value.visit_paths(visit);
            }
            SetValue::ListAppend(a, b) | SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                a.visit_paths(visit);
                b.visit_paths(visit);
            }
        }
    }

    /// The value's type when known without the item (DynamoDB checks index key types with it).
    fn static_type(&self) -> Option<ValueType> {
        match self {
            SetValue::Path(_) => None,
            SetValue::Value(value) => Some(value.value_type()),
            SetValue::IfNotExists(_, value) => value.static_type(),
            SetValue::ListAppend(..) => Some(ValueType::L),
            SetValue::Plus(..) | SetValue::Minus(..) => Some(ValueType::N),
        }
    }
}

/// Parses and checks an update expression.
pub(crate) fn parse_update(
    tokens: &Tokens<'_>,
    subst: &mut Substitutions<'_>,
) -> Result<Update, ExprError> {
    let parsed = parse::parse(tokens)?;
    let actions = check::check(&parsed, subst)?;
    Ok(Update {
        actions,
        legacy: false,
    })
}

impl Update {
    /// The item after the update. `item` is the existing item, or just the key when there is none.
    /// Whether every action takes something away (REMOVE, DELETE from a set, a legacy DELETE). DynamoDB does
    /// not create a missing item for such an update; an update with no actions at all does create it.
    pub fn only_removes(&self) -> bool {
        !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|a| matches!(a, Action::Remove { .. } | Action::Delete { .. }))
    }

    pub fn apply(&self, item: &AttributeMap) -> Result<AttributeMap, DynamoError> {
        apply::apply(self, item).map_err(|e| DynamoError::Validation(e.to_string()))
    }

    /// Top-level attributes any action changes (a path's first step).
    pub fn touched_top_level_names(&self) -> BTreeSet<String> {
        self.actions
            .iter()
            .map(|a| a.path().head().to_string())
            .collect()
    }

    /// The paths the actions change, in order (for `ReturnValues` `UPDATED_OLD`/`UPDATED_NEW`).
    pub fn target_paths(&self) -> Vec<DocPath> {
        self.actions.iter().map(|a| a.path().clone()).collect()
    }

    /// Top-level attributes reached into with `.` or `[]` anywhere in the update (targets and operands).
    /// DynamoDB rejects those on key attributes (`Key attributes must be scalars; …`).
    pub fn nested_path_heads(&self) -> BTreeSet<String> {
        let mut heads = BTreeSet::new();
        let mut visit = |p: &DocPath| {
            if p.is_nested() {
                heads.insert(p.head().to_string());
            }
        };
        for action in &self.actions {
            visit(action.path());
            if let Action::Set { value, .. } = action {
                value.visit_paths(&mut visit);
            }
        }
        heads
    }

    /// For actions on a whole top-level attribute, the type of the new value when it is known before reading
    /// the item (DynamoDB uses it to reject a wrong type for an index key: `Type mismatch for Index Key …`).
    pub fn top_level_value_types(&self) -> Vec<(String, ValueType)> {
        self.actions
            .iter()
            .filter(|a| !a.path().is_nested())
            .filter_map(|a| {
                let t = match a {
                    Action::Set { value, .. } => value.static_type(),
                    Action::Add { value, .. } | Action::Delete { value, .. } => {
                        Some(value.value_type())
                    }
                    Action::Remove { .. } => None,
                }?;
                Some((a.path().head().to_string(), t))
            })
            .collect()
    }

    /// The values a SET gives top-level attributes as they are (`SET a = :v`), known without the item.
    pub fn top_level_literal_values(&self) -> Vec<(&str, &AttributeValue)> {
        self.actions
            .iter()
            .filter(|a| !a.path().is_nested())
            .filter_map(|a| match a {
                Action::Set {
                    value: SetValue::Value(value),
                    ..
                } => Some((a.path().head(), value)),
                _ => None,
            })
            .collect()
    }

    /// DynamoDB's refusal to change a key attribute: `Cannot update attribute pk. This attribute is part of
    /// the key` (the hash key is checked first).
    pub fn check_key_attributes(&self, schema: &KeySchema) -> Result<(), DynamoError> {
        let touched = self.touched_top_level_names();
        match schema.attributes().find(|k| touched.contains(&k.name)) {
            Some(key) => Err(DynamoError::Validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                key.name
            ))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
