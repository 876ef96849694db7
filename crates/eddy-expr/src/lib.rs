//! TEMPORARY STUB — replaced by the real expression crate (branch `expr`). Only the API shape the store uses.
use eddy_model::{AttributeMap, AttributeValue, DynamoError, KeySchema};

#[derive(Debug, Clone)]
pub struct Condition;
impl Condition {
    pub fn evaluate(&self, _item: Option<&AttributeMap>) -> bool {
        true
    }
}
#[derive(Debug, Clone)]
pub struct Update;
impl Update {
    pub fn apply(&self, item: &AttributeMap) -> Result<AttributeMap, DynamoError> {
        Ok(item.clone())
    }
    pub fn touched_top_level_names(&self) -> Vec<String> {
        vec![]
    }
}
#[derive(Debug, Clone)]
pub struct Projection;
impl Projection {
    pub fn apply(&self, item: &AttributeMap) -> AttributeMap {
        item.clone()
    }
    pub fn top_level_names(&self) -> Vec<String> {
        vec![]
    }
}
#[derive(Debug, Clone)]
pub enum RangeCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}
#[derive(Debug, Clone)]
pub struct ResolvedKeyCondition {
    pub hash: AttributeValue,
    pub range: Option<RangeCondition>,
}
#[derive(Debug, Clone)]
pub struct KeyCondition;
impl KeyCondition {
    pub fn resolve(&self, _schema: &KeySchema) -> Result<ResolvedKeyCondition, DynamoError> {
        Err(DynamoError::validation("stub"))
    }
}

use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    pub value: Option<AttributeValue>,
    pub exists: Option<bool>,
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyCondition {
    pub attribute_value_list: Option<Vec<AttributeValue>>,
    pub comparison_operator: Option<String>,
}
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    pub value: Option<AttributeValue>,
    pub action: Option<String>,
}
#[derive(Default)]
pub struct ExpressionInputs<'a> {
    pub condition_expression: Option<&'a str>,
    pub filter_expression: Option<&'a str>,
    pub key_condition_expression: Option<&'a str>,
    pub projection_expression: Option<&'a str>,
    pub update_expression: Option<&'a str>,
    pub names: Option<&'a BTreeMap<String, String>>,
    pub values: Option<&'a AttributeMap>,
    pub expected: Option<&'a BTreeMap<String, ExpectedAttributeValue>>,
    pub conditional_operator: Option<&'a str>,
    pub attributes_to_get: Option<&'a [String]>,
    pub key_conditions: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub query_filter: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub scan_filter: Option<&'a BTreeMap<String, LegacyCondition>>,
    pub attribute_updates: Option<&'a BTreeMap<String, AttributeValueUpdate>>,
}
#[derive(Default)]
pub struct ParsedExpressions {
    pub condition: Option<Condition>,
    pub filter: Option<Condition>,
    pub key_condition: Option<KeyCondition>,
    pub projection: Option<Projection>,
    pub update: Option<Update>,
}
pub fn parse_request(_inputs: &ExpressionInputs) -> Result<ParsedExpressions, DynamoError> {
    Ok(ParsedExpressions::default())
}
