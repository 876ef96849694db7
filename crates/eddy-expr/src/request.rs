//! The expression inputs of one request, checked together as DynamoDB checks them: expression and legacy
//! parameters must not be mixed, `ExpressionAttributeNames`/`Values` need expressions, must not be empty and
//! must all be used by some expression of the request.
//!
//! [`parse_request`] runs three phases, also callable one by one when an operation interleaves other checks
//! (as DynamoDB does for keys and `ExclusiveStartKey`): [`check_parameter_mix`], [`check_legacy`] and
//! [`parse_expressions`].

use std::collections::BTreeMap;

use std::collections::BTreeSet;

use eddy_model::{AttributeMap, AttributeValue, DynamoError, KeySchema};

use crate::condition::{Condition, parse_condition};
use crate::error::{ExprError, ExpressionKind, validation};
use crate::key_condition::KeyCondition;
use crate::legacy::{
    self, AttributeValueUpdate, ConditionMap, ExpectedAttributeValue, LegacyCondition,
};
use crate::lexer::expression_tokens;
use crate::projection::{Projection, parse_projection};
use crate::subst::Substitutions;
use crate::update::{Update, parse_update};

/// The operation (or transaction / batch element) the expressions belong to: it decides which parameters exist
/// and how DynamoDB words some messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    GetItem,
    BatchGetItem,
    PutItem,
    DeleteItem,
    UpdateItem,
    Query,
    Scan,
    TransactGet,
    TransactConditionCheck,
    TransactPut,
    TransactDelete,
    TransactUpdate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
    Projection,
    Filter,
    KeyCondition,
    Condition,
    Update,
    AttributesToGet,
    QueryFilter,
    ScanFilter,
    ConditionalOperator,
    KeyConditions,
    Expected,
    AttributeUpdates,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Param::Projection => "ProjectionExpression",
            Param::Filter => "FilterExpression",
            Param::KeyCondition => "KeyConditionExpression",
            Param::Condition => "ConditionExpression",
            Param::Update => "UpdateExpression",
            Param::AttributesToGet => "AttributesToGet",
            Param::QueryFilter => "QueryFilter",
            Param::ScanFilter => "ScanFilter",
            Param::ConditionalOperator => "ConditionalOperator",
            Param::KeyConditions => "KeyConditions",
            Param::Expected => "Expected",
            Param::AttributeUpdates => "AttributeUpdates",
        }
    }
}

impl Operation {
    /// The expression parameters, in the order DynamoDB lists them in messages.
    fn expression_params(self) -> &'static [Param] {
        match self {
            Operation::GetItem | Operation::BatchGetItem | Operation::TransactGet => {
                &[Param::Projection]
            }
            Operation::PutItem | Operation::DeleteItem => &[Param::Condition],
            Operation::TransactConditionCheck
            | Operation::TransactPut
            | Operation::TransactDelete => &[Param::Condition],
            Operation::UpdateItem | Operation::TransactUpdate => &[Param::Update, Param::Condition],
            Operation::Query => &[Param::Projection, Param::Filter, Param::KeyCondition],
            Operation::Scan => &[Param::Projection, Param::Filter],
        }
    }

    /// The legacy parameters, in the order DynamoDB lists them in messages.
    fn legacy_params(self) -> &'static [Param] {
        match self {
            Operation::GetItem | Operation::BatchGetItem => &[Param::AttributesToGet],
            Operation::PutItem | Operation::DeleteItem => {
                &[Param::Expected, Param::ConditionalOperator]
            }
            Operation::UpdateItem => &[
                Param::AttributeUpdates,
                Param::Expected,
                Param::ConditionalOperator,
            ],
            Operation::Query => &[
                Param::AttributesToGet,
                Param::QueryFilter,
                Param::ConditionalOperator,
                Param::KeyConditions,
            ],
            Operation::Scan => &[
                Param::AttributesToGet,
                Param::ScanFilter,
                Param::ConditionalOperator,
            ],
            Operation::TransactGet
            | Operation::TransactConditionCheck
            | Operation::TransactPut
            | Operation::TransactDelete
            | Operation::TransactUpdate => &[],
        }
    }
}

/// The expression-related members of one request (or one batch/transaction element).
#[derive(Clone, Copy, Debug)]
pub struct ExpressionInputs<'a> {
    pub operation: Operation,
    pub condition_expression: Option<&'a str>,
    pub filter_expression: Option<&'a str>,
    pub key_condition_expression: Option<&'a str>,
    pub projection_expression: Option<&'a str>,
    pub update_expression: Option<&'a str>,
    /// `ExpressionAttributeNames`.
    pub names: Option<&'a BTreeMap<String, String>>,
    /// `ExpressionAttributeValues`.
    pub values: Option<&'a AttributeMap>,
    pub expected: Option<&'a BTreeMap<String, ExpectedAttributeValue>>,
    pub conditional_operator: Option<&'a str>,
    pub attributes_to_get: Option<&'a [String]>,
    pub key_conditions: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub query_filter: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub scan_filter: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub attribute_updates: Option<&'a BTreeMap<String, AttributeValueUpdate>>,
}

impl<'a> ExpressionInputs<'a> {
    /// Inputs with every member absent.
    pub fn new(operation: Operation) -> ExpressionInputs<'a> {
        ExpressionInputs {
            operation,
            condition_expression: None,
            filter_expression: None,
            key_condition_expression: None,
            projection_expression: None,
            update_expression: None,
            names: None,
            values: None,
            expected: None,
            conditional_operator: None,
            attributes_to_get: None,
            key_conditions: None,
            query_filter: None,
            scan_filter: None,
            attribute_updates: None,
        }
    }

    fn is_present(&self, param: Param) -> bool {
        match param {
            Param::Projection => self.projection_expression.is_some(),
            Param::Filter => self.filter_expression.is_some(),
            Param::KeyCondition => self.key_condition_expression.is_some(),
            Param::Condition => self.condition_expression.is_some(),
            Param::Update => self.update_expression.is_some(),
            Param::AttributesToGet => self.attributes_to_get.is_some(),
            Param::QueryFilter => self.query_filter.is_some(),
            Param::ScanFilter => self.scan_filter.is_some(),
            Param::ConditionalOperator => self.conditional_operator.is_some(),
            Param::KeyConditions => self.key_conditions.is_some(),
            Param::Expected => self.expected.is_some(),
            Param::AttributeUpdates => self.attribute_updates.is_some(),
        }
    }

    /// Whether the request has none of the members these inputs hold (the common plain PutItem or GetItem).
    fn is_empty(&self) -> bool {
        let ExpressionInputs {
            operation: _,
            condition_expression,
            filter_expression,
            key_condition_expression,
            projection_expression,
            update_expression,
            names,
            values,
            expected,
            conditional_operator,
            attributes_to_get,
            key_conditions,
            query_filter,
            scan_filter,
            attribute_updates,
        } = self;
        [
            condition_expression,
            filter_expression,
            key_condition_expression,
            projection_expression,
            update_expression,
            conditional_operator,
        ]
        .iter()
        .all(|m| m.is_none())
            && names.is_none()
            && values.is_none()
            && expected.is_none()
            && attributes_to_get.is_none()
            && key_conditions.is_none()
            && query_filter.is_none()
            && scan_filter.is_none()
            && attribute_updates.is_none()
    }

    fn filter_map(&self) -> Option<(ConditionMap, &'a BTreeMap<String, LegacyCondition>)> {
        match self.operation {
            Operation::Query => self.query_filter.map(|f| (ConditionMap::QueryFilter, f)),
            Operation::Scan => self.scan_filter.map(|f| (ConditionMap::ScanFilter, f)),
            _ => None,
        }
    }
}

/// Everything the request's expression inputs describe, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedExpressions {
    /// `ConditionExpression` or `Expected`.
    pub condition: Option<Condition>,
    /// `FilterExpression`, `QueryFilter` or `ScanFilter`.
    pub filter: Option<Condition>,
    /// `KeyConditionExpression` or `KeyConditions`.
    pub key_condition: Option<KeyCondition>,
    /// `ProjectionExpression` or `AttributesToGet`.
    pub projection: Option<Projection>,
    /// `UpdateExpression` or `AttributeUpdates`.
    pub update: Option<Update>,
}

/// Checks and parses all expression inputs of a request, in DynamoDB's order.
pub fn parse_request(inputs: &ExpressionInputs<'_>) -> Result<ParsedExpressions, DynamoError> {
    if inputs.is_empty() && inputs.operation != Operation::Query {
        // Nothing to check or parse (the three phases agree: see the test). A Query needs a key condition.
        return Ok(ParsedExpressions::default());
    }
    if placeholders_ignored(inputs) {
        return Ok(ParsedExpressions::default());
    }
    check_parameter_mix(inputs)?;
    check_legacy(inputs)?;
    parse_expressions(inputs)
}

/// A transaction's Put, Delete or Get with no expression at all ignores its placeholder maps, where the
/// single-item operations refuse them (verified against AWS by extenddb's dual-target tests, 2026).
fn placeholders_ignored(inputs: &ExpressionInputs<'_>) -> bool {
    let op = inputs.operation;
    matches!(
        op,
        Operation::TransactPut | Operation::TransactDelete | Operation::TransactGet
    ) && op
        .expression_params()
        .iter()
        .all(|p| !inputs.is_present(*p))
}

/// Phase 1: constraint violations of legacy members, then the mixing rules of expression and legacy
/// parameters and of `ExpressionAttributeNames`/`Values` without expressions.
pub fn check_parameter_mix(inputs: &ExpressionInputs<'_>) -> Result<(), DynamoError> {
    let filter = inputs.filter_map();
    let key_conditions = (inputs.operation == Operation::Query).then_some(inputs.key_conditions);
    let maps = [
        (ConditionMap::KeyConditions, key_conditions.flatten()),
        (
            filter.map_or(ConditionMap::ScanFilter, |f| f.0),
            filter.map(|f| f.1),
        ),
    ];
    let violations = legacy::constraint_violations(
        inputs.expected,
        inputs.conditional_operator,
        &maps,
        inputs.attribute_updates,
        inputs.attributes_to_get,
    );
    if !violations.is_empty() {
        let count = violations.len().min(10);
        let plural = if count == 1 { "" } else { "s" };
        let list = violations
            .into_iter()
            .take(10)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(validation(format!(
            "{count} validation error{plural} detected: {list}"
        )));
    }
    let op = inputs.operation;
    let expressions: Vec<Param> = op
        .expression_params()
        .iter()
        .copied()
        .filter(|p| inputs.is_present(*p))
        .collect();
    if !expressions.is_empty() {
        let key_conditions_alone =
            inputs.key_conditions.is_some() && inputs.key_condition_expression.is_none();
        let legacy: Vec<Param> = op
            .legacy_params()
            .iter()
            .copied()
            .filter(|p| {
                inputs.is_present(*p) && !(key_conditions_alone && *p == Param::KeyConditions)
            })
            .collect();
        if !legacy.is_empty() {
            return Err(validation(format!(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                names(&legacy),
                names(&expressions)
            )));
        }
    }
    if inputs.names.is_some() && expressions.is_empty() {
        return Err(validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    let value_expressions: Vec<Param> = op
        .expression_params()
        .iter()
        .copied()
        .filter(|p| *p != Param::Projection)
        .collect();
    if inputs.values.is_some()
        && !value_expressions.is_empty()
        && value_expressions.iter().all(|p| !inputs.is_present(*p))
    {
        const MESSAGE: &str =
            "ExpressionAttributeValues can only be specified when using expressions";
        // The single-item writes no longer say which expressions are missing (AWS, 2026-10).
        if matches!(
            op,
            Operation::PutItem | Operation::UpdateItem | Operation::DeleteItem
        ) {
            return Err(validation(MESSAGE));
        }
        let verb = if value_expressions.len() > 1 {
            "are"
        } else {
            "is"
        };
        let list: Vec<&str> = value_expressions.iter().map(|p| p.name()).collect();
        return Err(validation(format!(
            "{MESSAGE}: {} {verb} null",
            list.join(" and ")
        )));
    }
    Ok(())
}

fn names(params: &[Param]) -> String {
    params
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Phase 2: DynamoDB's checks of the legacy parameters the operation has, in its order.
pub fn check_legacy(inputs: &ExpressionInputs<'_>) -> Result<(), DynamoError> {
    let op = inputs.operation;
    let has = |p: Param| op.legacy_params().contains(&p);
    check_legacy_value_nesting(inputs)?;
    if inputs.conditional_operator.is_some() {
        check_conditional_operator_use(inputs)?;
    }
    if has(Param::AttributeUpdates)
        && let Some(updates) = inputs.attribute_updates
    {
        legacy::check_attribute_updates(updates).map_err(validation)?;
    }
    if has(Param::Expected)
        && let Some(expected) = inputs.expected
    {
        legacy::check_expected(expected).map_err(validation)?;
    }
    if op == Operation::Query
        && let Some((_, filter)) = inputs.filter_map()
    {
        legacy::check_conditions(filter).map_err(validation)?;
    }
    if has(Param::AttributesToGet)
        && let Some(names) = inputs.attributes_to_get
    {
        legacy::check_attributes_to_get(names).map_err(validation)?;
    }
    if op == Operation::Scan
        && let Some((_, filter)) = inputs.filter_map()
    {
        legacy::check_conditions(filter).map_err(validation)?;
    }
    if op == Operation::Query
        && inputs.key_conditions.is_none()
        && inputs.key_condition_expression.is_none()
    {
        return Err(validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }
    Ok(())
}

/// A legacy condition's value nested deeper than an item may hold is refused before anything else about the
/// legacy parameters (us-east-1 and six other regions of ten, recorded by the conformance suite, 2026-10).
fn check_legacy_value_nesting(inputs: &ExpressionInputs<'_>) -> Result<(), DynamoError> {
    let expected = inputs
        .expected
        .into_iter()
        .flat_map(|e| e.values())
        .flat_map(|c| {
            c.value
                .iter()
                .chain(c.attribute_value_list.iter().flatten())
        });
    let filters = [
        inputs.query_filter,
        inputs.scan_filter,
        inputs.key_conditions,
    ]
    .into_iter()
    .flatten()
    .flat_map(|f| f.values())
    .flat_map(|c| c.attribute_value_list.iter().flatten());
    if expected.chain(filters).any(AttributeValue::is_too_deep) {
        return Err(validation(eddy_model::value::NESTING_MESSAGE));
    }
    Ok(())
}

/// `ConditionalOperator` joins the conditions of a filter (`QueryFilter`, `ScanFilter`) or of `Expected`, so
/// DynamoDB refuses it unless there are two or more of them.
fn check_conditional_operator_use(inputs: &ExpressionInputs<'_>) -> Result<(), DynamoError> {
    let conditions = match inputs.operation {
        Operation::Query | Operation::Scan => inputs.filter_map().map(|(_, f)| f.len()),
        _ => inputs.expected.map(BTreeMap::len),
    };
    match conditions.unwrap_or(0) {
        0 => Err(validation(
            "ConditionalOperator cannot be used without Filter or Expected",
        )),
        1 => Err(validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        )),
        _ => Ok(()),
    }
}

/// Phase 3: the placeholder maps, each expression (update, condition, key condition, filter, projection), the
/// unused placeholders, then the key condition's own rules; legacy parameters are converted.
pub fn parse_expressions<'a>(
    inputs: &ExpressionInputs<'a>,
) -> Result<ParsedExpressions, DynamoError> {
    check_placeholder_maps(inputs)?;
    let mut subst = Substitutions::new(inputs.names, inputs.values);
    let mut parsed = ParsedExpressions::default();
    let op = inputs.operation;
    let parse = |text: Option<&'a str>, kind: ExpressionKind, param: Param| {
        text.filter(|_| op.expression_params().contains(&param))
            .map(|t| (t, kind))
    };

    if let Some((text, kind)) = parse(
        inputs.update_expression,
        ExpressionKind::Update,
        Param::Update,
    ) {
        let tokens = expression_tokens(text).map_err(|e| e.into_dynamo(kind))?;
        parsed.update = Some(parse_update(&tokens, &mut subst).map_err(|e| e.into_dynamo(kind))?);
    }
    let conditions = [
        (
            inputs.condition_expression,
            ExpressionKind::Condition,
            Param::Condition,
        ),
        (
            inputs.key_condition_expression,
            ExpressionKind::KeyCondition,
            Param::KeyCondition,
        ),
        (
            inputs.filter_expression,
            ExpressionKind::Filter,
            Param::Filter,
        ),
    ];
    let mut key_condition_tree = None;
    for (text, kind, param) in conditions {
        let Some((text, kind)) = parse(text, kind, param) else {
            continue;
        };
        let condition = condition_of(text, kind, &mut subst)?;
        match kind {
            ExpressionKind::Condition => parsed.condition = Some(condition),
            ExpressionKind::KeyCondition => key_condition_tree = Some(condition),
            _ => parsed.filter = Some(condition),
        }
    }
    if let Some((text, kind)) = parse(
        inputs.projection_expression,
        ExpressionKind::Projection,
        Param::Projection,
    ) {
        let tokens = expression_tokens(text).map_err(|e| e.into_dynamo(kind))?;
        parsed.projection =
            Some(parse_projection(&tokens, &mut subst).map_err(|e| e.into_dynamo(kind))?);
    }
    check_unused(&subst)?;
    if let Some(tree) = key_condition_tree {
        parsed.key_condition = Some(KeyCondition::from_expression(&tree)?);
    }
    convert_legacy(inputs, &mut parsed)?;
    Ok(parsed)
}

fn condition_of(
    text: &str,
    kind: ExpressionKind,
    subst: &mut Substitutions<'_>,
) -> Result<Condition, DynamoError> {
    let tokens = expression_tokens(text).map_err(|e| e.into_dynamo(kind))?;
    parse_condition(&tokens, subst).map_err(|e: ExprError| e.into_dynamo(kind))
}

fn check_placeholder_maps(inputs: &ExpressionInputs<'_>) -> Result<(), DynamoError> {
    if let Some(names) = inputs.names {
        if names.is_empty() {
            return Err(validation("ExpressionAttributeNames must not be empty"));
        }
        for (key, name) in names {
            let invalid_key = |why: String| {
                validation(format!(
                    "ExpressionAttributeNames contains invalid key: {why}"
                ))
            };
            if key.len() > MAX_PLACEHOLDER_LENGTH {
                return Err(invalid_key(format!(
                    "{TOO_LONG} size of key: {}",
                    key.len()
                )));
            }
            if !is_placeholder(key, '#') {
                return Err(invalid_key(format!("Syntax error; key: \"{key}\"")));
            }
            if name.is_empty() {
                return Err(validation(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
                )));
            }
        }
    }
    if let Some(values) = inputs.values {
        if values.is_empty() {
            return Err(validation("ExpressionAttributeValues must not be empty"));
        }
        for key in values.keys() {
            if key.len() > MAX_PLACEHOLDER_LENGTH {
                return Err(validation(format!(
                    "ExpressionAttributeValues contains invalid key: {TOO_LONG}"
                )));
            }
            if !is_placeholder(key, ':') {
                return Err(validation(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{key}\""
                )));
            }
        }
    }
    Ok(())
}

/// The longest placeholder (sigil included) DynamoDB accepts, and its message for a longer one (verified
/// against AWS by extenddb's dual-target tests, 2026; names add `size of key: N`, values do not).
const MAX_PLACEHOLDER_LENGTH: usize = 255;
const TOO_LONG: &str = "The expression attribute map contains a key that is too long;";

/// `#name` / `:value` keys: the sigil then one or more of `[0-9A-Za-z_]`.
fn is_placeholder(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn check_unused(subst: &Substitutions<'_>) -> Result<(), DynamoError> {
    let names = subst.unused_names();
    if !names.is_empty() {
        return Err(validation(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
            names.join(", ")
        )));
    }
    let values = subst.unused_values();
    if !values.is_empty() {
        return Err(validation(format!(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
            values.join(", ")
        )));
    }
    Ok(())
}

/// DynamoDB's refusal of `.`/`[]` on key attributes: `nested_heads` are the top-level attributes an
/// expression reaches into ([`Condition::nested_path_heads`], [`Update::nested_path_heads`]); the table's keys
/// are checked first (`Key: a`), then the keys of its indexes (`IndexKey: d`).
pub fn check_scalar_key_paths(
    nested_heads: &BTreeSet<String>,
    table: &KeySchema,
    indexes: &[&KeySchema],
) -> Result<(), DynamoError> {
    let message = |kind: &str, name: &str| {
        validation(format!(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {kind}: {name}"
        ))
    };
    if let Some(key) = table.attributes().find(|k| nested_heads.contains(&k.name)) {
        return Err(message("Key", &key.name));
    }
    let index_key = indexes
        .iter()
        .flat_map(|s| s.attributes())
        .find(|k| nested_heads.contains(&k.name));
    match index_key {
        Some(key) => Err(message("IndexKey", &key.name)),
        None => Ok(()),
    }
}

/// The message DynamoDB gives for an invalid value in `ExpressionAttributeValues` (the value's own message, e.g.
/// from [`eddy_model::value::ValueError`], and its placeholder), for the codec that deserialises the map.
pub fn invalid_expression_value_message(value_message: &str, placeholder: &str) -> String {
    format!(
        "ExpressionAttributeValues contains invalid value: {value_message} for key {placeholder}"
    )
}

fn convert_legacy(
    inputs: &ExpressionInputs<'_>,
    parsed: &mut ParsedExpressions,
) -> Result<(), DynamoError> {
    let op = inputs.operation;
    let has = |p: Param| op.legacy_params().contains(&p);
    if has(Param::Expected)
        && parsed.condition.is_none()
        && let Some(expected) = inputs.expected
    {
        parsed.condition = Some(legacy::expected_condition(
            expected,
            inputs.conditional_operator,
        ));
    }
    if parsed.filter.is_none()
        && let Some((_, filter)) = inputs.filter_map()
    {
        parsed.filter = Some(legacy::filter_condition(
            filter,
            inputs.conditional_operator,
        ));
    }
    if has(Param::AttributeUpdates)
        && parsed.update.is_none()
        && let Some(updates) = inputs.attribute_updates
    {
        parsed.update = Some(legacy::attribute_updates(updates));
    }
    if has(Param::AttributesToGet)
        && parsed.projection.is_none()
        && let Some(names) = inputs.attributes_to_get
    {
        parsed.projection = Some(legacy::attributes_projection(names));
    }
    if has(Param::KeyConditions)
        && parsed.key_condition.is_none()
        && let Some(conditions) = inputs.key_conditions
    {
        legacy::check_conditions(conditions).map_err(validation)?;
        let key_condition = legacy::key_condition(conditions);
        key_condition.check()?;
        parsed.key_condition = Some(key_condition);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
