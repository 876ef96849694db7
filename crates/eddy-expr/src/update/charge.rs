//! What a standalone UpdateItem's statement is charged against the 400 KB limit, besides the finished item.
//!
//! DynamoDB (22 of 33 regions, us-east-1 among them, measured 2026-09/10 by the dynamodb-conformance suite)
//! refuses an UpdateItem whose statement charge exceeds 409,600 bytes even when the finished item would fit:
//! 3 bytes for the update, then per clause — `SET target = operand` 19 + the target + the operand, `ADD target v`
//! 19 + the target + the members it adds, `REMOVE`/`DELETE target` 1 + the target. A target costs its first
//! name, plus 4 and the element for each later step (an element is a name's bytes or an index's digits); as an
//! operand a path costs 1 plus 14 and the element per step (the value it reads is free), a value its size at
//! every use, `+` / `-` 34 / 37, `if_not_exists` 39 and `list_append` 37 plus their operands. Legacy
//! `AttributeUpdates`, transactions and PartiQL are sized by the finished item alone.

use eddy_model::{AttributeMap, AttributeValue};

use super::{Action, SetValue, Update};
use crate::path::{DocPath, PathElement};

const UPDATE_COST: usize = 3;
const WRITE_COST: usize = 19;
const REMOVE_COST: usize = 1;
const PLUS_COST: usize = 34;
const MINUS_COST: usize = 37;
const IF_NOT_EXISTS_COST: usize = 39;
const LIST_APPEND_COST: usize = 37;

impl Update {
    /// The statement's charge (see the module comment), against `item`, the stored item (for the set members an
    /// `ADD` adds). `None` for legacy `AttributeUpdates`, which are not charged this way.
    pub fn statement_charge(&self, item: Option<&AttributeMap>) -> Option<usize> {
        if self.legacy {
            return None;
        }
        let clauses: usize = self
            .actions
            .iter()
            .map(|action| action_charge(action, item))
            .sum();
        Some(UPDATE_COST + clauses)
    }
}

fn action_charge(action: &Action, item: Option<&AttributeMap>) -> usize {
    match action {
        Action::Set { path, value } => WRITE_COST + target_cost(path) + operand_cost(value),
        Action::Add { path, value } => {
            let stored = item.and_then(|i| path.resolve(i));
            WRITE_COST + target_cost(path) + added_size(stored, value)
        }
        Action::Remove { path } | Action::Delete { path, .. } => REMOVE_COST + target_cost(path),
    }
}

fn element_bytes(element: &PathElement) -> usize {
    match element {
        PathElement::Name(name) => name.len(),
        PathElement::Index(index) => index.to_string().len(),
    }
}

/// A path's head, then each further element with `per_element` bytes on top of its own.
fn path_cost(path: &DocPath, per_element: usize) -> usize {
    path.head().len()
        + path
            .rest()
            .iter()
            .map(|e| per_element + element_bytes(e))
            .sum::<usize>()
}

fn target_cost(path: &DocPath) -> usize {
    path_cost(path, 4)
}

fn path_operand_cost(path: &DocPath) -> usize {
    1 + 14 + path_cost(path, 14)
}

fn operand_cost(value: &SetValue) -> usize {
    match value {
        SetValue::Path(path) => path_operand_cost(path),
        SetValue::Value(v) => v.dynamo_size(),
        SetValue::IfNotExists(path, v) => {
            IF_NOT_EXISTS_COST + path_operand_cost(path) + operand_cost(v)
        }
        SetValue::ListAppend(a, b) => LIST_APPEND_COST + operand_cost(a) + operand_cost(b),
        SetValue::Plus(a, b) => PLUS_COST + operand_cost(a) + operand_cost(b),
        SetValue::Minus(a, b) => MINUS_COST + operand_cost(a) + operand_cost(b),
    }
}

/// An `ADD`'s value, less the members of a set the stored value already holds.
fn added_size(stored: Option<&AttributeValue>, value: &AttributeValue) -> usize {
    match (stored, value) {
        (Some(AttributeValue::Ss(have)), AttributeValue::Ss(add)) => add
            .iter()
            .filter(|m| !have.contains(m))
            .map(String::len)
            .sum(),
        (Some(AttributeValue::Ns(have)), AttributeValue::Ns(add)) => add
            .iter()
            .filter(|m| !have.contains(m))
            .map(|n| n.dynamo_size())
            .sum(),
        (Some(AttributeValue::Bs(have)), AttributeValue::Bs(add)) => {
            add.iter().filter(|m| !have.contains(m)).map(Vec::len).sum()
        }
        _ => value.dynamo_size(),
    }
}
