//! Tests of key conditions: reduction of expressions, DynamoDB's shape errors, resolution against key schemas,
//! and legacy `KeyConditions`.

use std::collections::BTreeMap;

use eddy_model::{AttributeMap, AttributeValue, KeyAttribute, KeySchema, ScalarType};

use crate::legacy::LegacyCondition;
use crate::request::{ExpressionInputs, Operation, parse_request};

use super::{KeyCondition, RangeCondition, ResolvedKeyCondition};

fn av_map(json: &str) -> AttributeMap {
    serde_json::from_str(json).unwrap()
}

fn av(json: &str) -> AttributeValue {
    serde_json::from_str(json).unwrap()
}

fn parse(expr: &str, values: &str) -> Result<KeyCondition, String> {
    let values = av_map(values);
    let mut inputs = ExpressionInputs::new(Operation::Query);
    inputs.key_condition_expression = Some(expr);
    inputs.values = (!values.is_empty()).then_some(&values);
    parse_request(&inputs)
        .map(|p| p.key_condition.unwrap())
        .map_err(|e| e.message().unwrap_or_default())
}

fn error(expr: &str, values: &str) -> String {
    parse(expr, values).unwrap_err()
}

fn schema(hash: (&str, ScalarType), range: Option<(&str, ScalarType)>) -> KeySchema {
    KeySchema {
        hash: KeyAttribute {
            name: hash.0.into(),
            scalar: hash.1,
        },
        range: range.map(|(name, scalar)| KeyAttribute {
            name: name.into(),
            scalar,
        }),
        more_hash: Vec::new(),
        more_range: Vec::new(),
    }
}

fn range_table() -> KeySchema {
    schema(("pk", ScalarType::S), Some(("sk", ScalarType::N)))
}

fn resolve(expr: &str, values: &str, schema: &KeySchema) -> Result<ResolvedKeyCondition, String> {
    parse(expr, values)?
        .resolve(schema)
        .map_err(|e| e.message().unwrap_or_default())
}

const V: &str = r#"{":p":{"S":"p"},":a":{"N":"1"},":b":{"N":"5"}}"#;

#[test]
fn resolves_hash_only() {
    let r = resolve("pk = :p", r#"{":p":{"S":"p"}}"#, &range_table()).unwrap();
    assert_eq!(
        r,
        ResolvedKeyCondition {
            hash: av(r#"{"S":"p"}"#),
            more_hash: vec![],
            sort_prefix: vec![],
            range: None
        }
    );
}

#[test]
fn resolves_every_range_operator() {
    let cases = [
        (
            "pk = :p AND sk = :a",
            RangeCondition::Eq(av(r#"{"N":"1"}"#)),
        ),
        (
            "pk = :p AND sk < :a",
            RangeCondition::Lt(av(r#"{"N":"1"}"#)),
        ),
        (
            "pk = :p AND sk <= :a",
            RangeCondition::Le(av(r#"{"N":"1"}"#)),
        ),
        (
            "pk = :p AND sk > :a",
            RangeCondition::Gt(av(r#"{"N":"1"}"#)),
        ),
        (
            "pk = :p AND sk >= :a",
            RangeCondition::Ge(av(r#"{"N":"1"}"#)),
        ),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            RangeCondition::Between(av(r#"{"N":"1"}"#), av(r#"{"N":"5"}"#)),
        ),
    ];
    for (expr, range) in cases {
        let values = if expr.contains(":b") {
            V.to_string()
        } else {
            r#"{":p":{"S":"p"},":a":{"N":"1"}}"#.to_string()
        };
        let r = resolve(expr, &values, &range_table()).unwrap();
        assert_eq!(r.range, Some(range), "{expr}");
    }
    let s_table = schema(("pk", ScalarType::S), Some(("sk", ScalarType::S)));
    let r = resolve(
        "begins_with(sk, :s) AND pk = :p",
        r#"{":p":{"S":"p"},":s":{"S":"ab"}}"#,
        &s_table,
    )
    .unwrap();
    assert_eq!(
        r.range,
        Some(RangeCondition::BeginsWith(av(r#"{"S":"ab"}"#)))
    );
}

#[test]
fn operands_may_come_in_either_order() {
    let r = resolve(
        ":a < sk AND :p = pk",
        r#"{":p":{"S":"p"},":a":{"N":"1"}}"#,
        &range_table(),
    )
    .unwrap();
    assert_eq!(r.range, Some(RangeCondition::Gt(av(r#"{"N":"1"}"#))));
    let r = resolve(
        "(pk = :p) AND (:a >= sk)",
        r#"{":p":{"S":"p"},":a":{"N":"1"}}"#,
        &range_table(),
    )
    .unwrap();
    assert_eq!(r.range, Some(RangeCondition::Le(av(r#"{"N":"1"}"#))));
}

#[test]
fn range_conditions_match_values() {
    let n = |s: &str| AttributeValue::N(s.parse().unwrap());
    assert!(RangeCondition::Between(n("1"), n("5")).matches(&n("5")));
    assert!(!RangeCondition::Between(n("1"), n("5")).matches(&n("5.1")));
    assert!(RangeCondition::Lt(n("1")).matches(&n("0.9")));
    assert!(!RangeCondition::Lt(n("1")).matches(&AttributeValue::S("0".into())));
    assert!(
        RangeCondition::BeginsWith(AttributeValue::S("ab".into()))
            .matches(&AttributeValue::S("abc".into()))
    );
    assert!(RangeCondition::Ge(n("2")).matches(&n("2")));
}

#[test]
fn invalid_operators() {
    for (expr, op) in [
        ("a > b and size(b) > c or a > c", "OR"),
        ("a in (b, size(c), d)", "IN"),
        ("attribute_exists(a)", "attribute_exists"),
        ("attribute_not_exists(a)", "attribute_not_exists"),
        ("contains(a.d, b)", "contains"),
        ("not a > b", "NOT"),
        ("a <> b", "<>"),
    ] {
        assert_eq!(
            error(expr, "{}"),
            format!("Invalid operator used in KeyConditionExpression: {op}"),
            "{expr}"
        );
    }
    assert_eq!(
        error("attribute_type(a, :a)", r#"{":a":{"S":"S"}}"#),
        "Invalid operator used in KeyConditionExpression: attribute_type"
    );
}

#[test]
fn key_attribute_must_be_the_first_operand_of_between_and_begins_with() {
    let values = r#"{":a":{"S":"1"},":b":{"S":"1"}}"#;
    assert_eq!(
        error(":a between size(b) and size(a) and b > :b", values),
        "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"
    );
    assert_eq!(
        error("begins_with(:a, b) and a > :b", values),
        "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"
    );
}

#[test]
fn nested_operations_are_refused() {
    for expr in [
        "size(b) > a AND a.b > b AND b > c",
        "a > size(b.d)",
        "a between size(b) and size(a)",
    ] {
        assert_eq!(
            error(expr, "{}"),
            "KeyConditionExpressions cannot contain nested operations",
            "{expr}"
        );
    }
}

#[test]
fn one_attribute_name_per_condition() {
    for expr in [
        "b > a.b",
        "b between c[1] and d",
        "a between b and size(a)",
        "begins_with(a, b)",
    ] {
        assert_eq!(
            error(expr, "{}"),
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            "{expr}"
        );
    }
}

#[test]
fn nested_attributes_are_refused() {
    for expr in ["b.d > a AND c.d > e.f", "a.d > c", "b[0] > a"] {
        assert_eq!(
            error(expr, "{}"),
            "KeyConditionExpressions cannot have conditions on nested attributes",
            "{expr}"
        );
    }
}

#[test]
fn some_key_attribute_is_needed() {
    let values = r#"{":a":{"N":"1"},":b":{"N":"1"}}"#;
    for expr in [":b > :a AND a < :b", ":a > b AND :a < :b"] {
        assert_eq!(
            error(expr, values),
            "Invalid condition in KeyConditionExpression: No key attribute specified",
            "{expr}"
        );
    }
}

#[test]
fn one_condition_per_key() {
    let values = r#"{":a":{"N":"1"}}"#;
    for expr in [
        "b > :a AND b < :a and c = :a and d = :a",
        "(a > :a and b > :a) and (b > :a and c > :a)",
    ] {
        assert_eq!(
            error(expr, values),
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
            "{expr}"
        );
    }
}

#[test]
fn more_conditions_than_key_attributes_are_counted_against_the_schema() {
    // As AWS answers since 2026 (it used to refuse them before looking the table up).
    let values = r#"{":a":{"S":"a"}}"#;
    for (expr, count) in [
        (":a = a and b = :a and :a = c", 3),
        (
            "(a > :a and b > :a) and (c > :a and d > :a) and (e > :a and f > :a)",
            6,
        ),
    ] {
        for (schema, keys) in [(range_table(), 2), (schema(("pk", ScalarType::S), None), 1)] {
            assert_eq!(
                resolve(expr, values, &schema).unwrap_err(),
                format!(
                    "The number of query conditions ({count}) exceeds the number of key attributes defined in the schema ({keys})"
                ),
                "{expr}"
            );
        }
    }
}

#[test]
fn condition_values_are_checked_as_legacy_conditions() {
    // An ordering operand no key could match is an expression error naming the operator as written (AWS,
    // 2026-10); equality is left to the legacy and schema checks.
    for (expr, operator) in [
        ("a < :v", "<"),
        (":v >= a", ">="),
        ("a between :v and :v", "BETWEEN"),
    ] {
        assert_eq!(
            error(expr, r#"{":v":{"BOOL":true}}"#),
            format!(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: {operator}, operand type: BOOL"
            ),
            "{expr}"
        );
    }
    assert_eq!(
        error("a < :v", r#"{":v":{"L":[]}}"#),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L"
    );
    assert_eq!(
        error("a = :v", r#"{":v":{"M":{}}}"#),
        "One or more parameter values were invalid: ComparisonOperator EQ is not valid for M AttributeValue type"
    );
}

#[test]
fn between_bounds_are_checked_with_the_expression_prefix() {
    assert_eq!(
        error("a between :b and :a", r#"{":a":{"S":"a"},":b":{"N":"1"}}"#),
        "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"
    );
    assert_eq!(
        error("a between :b and :a", r#"{":a":{"S":"a"},":b":{"S":"b"}}"#),
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}"
    );
}

#[test]
fn syntax_and_operand_errors_carry_the_prefix() {
    assert!(error("a > 4", "{}").starts_with("Invalid KeyConditionExpression: Syntax error; "));
    assert!(error("attribute_type(a, b)", "{}").starts_with(
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type:"
    ));
}

#[test]
fn schema_resolution_errors() {
    let hash_table = schema(("pk", ScalarType::S), None);
    let v = r#"{":p":{"S":"p"},":a":{"N":"1"}}"#;
    assert_eq!(
        resolve("wrong = :p", r#"{":p":{"S":"p"}}"#, &range_table()).unwrap_err(),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        resolve("pk = :p AND wrong = :a", v, &range_table()).unwrap_err(),
        "Query condition missed key schema element: sk"
    );
    assert_eq!(
        resolve("wrong = :p AND sk = :a", v, &range_table()).unwrap_err(),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        resolve("pk = :p AND sk = :a", v, &hash_table).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        resolve("pk < :p", r#"{":p":{"S":"p"}}"#, &range_table()).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        resolve("begins_with(pk, :p)", r#"{":p":{"S":"p"}}"#, &hash_table).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        resolve("pk = :a", r#"{":a":{"N":"1"}}"#, &range_table()).unwrap_err(),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    assert_eq!(
        resolve("pk = :p AND sk = :p", r#"{":p":{"S":"p"}}"#, &range_table()).unwrap_err(),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
}

#[test]
fn legacy_key_conditions_resolve_the_same_way() {
    let conditions: BTreeMap<String, LegacyCondition> = serde_json::from_str(
        r#"{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"p"}]},"sk":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"2"}]}}"#,
    )
    .unwrap();
    let mut inputs = ExpressionInputs::new(Operation::Query);
    inputs.key_conditions = Some(&conditions);
    let key = parse_request(&inputs).unwrap().key_condition.unwrap();
    let r = key.resolve(&range_table()).unwrap();
    assert_eq!(r.hash, av(r#"{"S":"p"}"#));
    assert_eq!(
        r.range,
        Some(RangeCondition::Between(
            av(r#"{"N":"1"}"#),
            av(r#"{"N":"2"}"#)
        ))
    );
}

#[test]
fn legacy_key_conditions_refuse_unindexable_operators() {
    let hash_table = schema(("a", ScalarType::S), None);
    for op in ["NULL", "NOT_NULL", "CONTAINS", "NOT_CONTAINS", "IN", "NE"] {
        let list = if op.contains("NULL") {
            ""
        } else {
            r#","AttributeValueList":[{"S":"a"}]"#
        };
        let json = format!(r#"{{"a":{{"ComparisonOperator":"{op}"{list}}}}}"#);
        let conditions: BTreeMap<String, LegacyCondition> = serde_json::from_str(&json).unwrap();
        let mut inputs = ExpressionInputs::new(Operation::Query);
        inputs.key_conditions = Some(&conditions);
        let key = parse_request(&inputs).unwrap().key_condition.unwrap();
        assert_eq!(
            key.resolve(&hash_table).unwrap_err().message().unwrap(),
            "Attempted conditional constraint is not an indexable operation",
            "{op}"
        );
    }
    for op in ["LE", "LT", "GE", "GT", "BEGINS_WITH"] {
        let json = format!(
            r#"{{"a":{{"ComparisonOperator":"{op}","AttributeValueList":[{{"S":"a"}}]}}}}"#
        );
        let conditions: BTreeMap<String, LegacyCondition> = serde_json::from_str(&json).unwrap();
        let mut inputs = ExpressionInputs::new(Operation::Query);
        inputs.key_conditions = Some(&conditions);
        let key = parse_request(&inputs).unwrap().key_condition.unwrap();
        assert_eq!(
            key.resolve(&hash_table).unwrap_err().message().unwrap(),
            "Query key condition not supported",
            "{op}"
        );
    }
}

/// A multi-attribute key: HASH `h1`, `h2` (N) and RANGE `a`, `b`, `c`.
fn multi_attribute_key() -> KeySchema {
    let attr = |name: &str, scalar| KeyAttribute {
        name: name.into(),
        scalar,
    };
    KeySchema {
        hash: attr("h1", ScalarType::S),
        more_hash: vec![attr("h2", ScalarType::N)],
        range: Some(attr("a", ScalarType::S)),
        more_range: vec![attr("b", ScalarType::S), attr("c", ScalarType::S)],
    }
}

/// Resolves `expr` against `key` with those of `:h` (S), `:n` (N), `:a`, `:b`, `:c` (S) it uses.
fn resolve_multi(expr: &str, key: &KeySchema) -> Result<ResolvedKeyCondition, String> {
    let values: Vec<String> = [(":h", r#"{"S":"h"}"#), (":n", r#"{"N":"2"}"#)]
        .into_iter()
        .chain([":a", ":b", ":c"].map(|k| (k, "")))
        .filter(|(k, _)| expr.contains(k))
        .map(|(k, v)| match v {
            "" => format!(r#""{k}":{{"S":"{}"}}"#, &k[1..]),
            v => format!(r#""{k}":{v}"#),
        })
        .collect();
    resolve(expr, &format!("{{{}}}", values.join(",")), key)
}

#[test]
fn a_multi_attribute_key_resolves_to_its_partition_values_a_sort_prefix_and_a_last_condition() {
    let key = multi_attribute_key();
    let r = resolve_multi("c < :c AND h2 = :n AND b = :b AND h1 = :h AND a = :a", &key).unwrap();
    assert_eq!(
        r.partition_values(),
        [&av(r#"{"S":"h"}"#), &av(r#"{"N":"2"}"#)]
    );
    assert_eq!(r.sort_prefix, [av(r#"{"S":"a"}"#), av(r#"{"S":"b"}"#)]);
    assert_eq!(r.range, Some(RangeCondition::Lt(av(r#"{"S":"c"}"#))));
    let r = resolve_multi("h1 = :h AND h2 = :n AND a = :a", &key).unwrap();
    assert!(r.sort_prefix.is_empty());
    assert_eq!(r.range, Some(RangeCondition::Eq(av(r#"{"S":"a"}"#))));
    let r = resolve_multi("h1 = :h AND h2 = :n", &key).unwrap();
    assert_eq!((r.sort_prefix.len(), r.range), (0, None));
}

#[test]
fn a_multi_attribute_key_refuses_partial_partitions_gaps_and_early_ranges() {
    let key = multi_attribute_key();
    let refused = |expr| resolve_multi(expr, &key).unwrap_err();
    assert_eq!(
        refused("h1 = :h AND a = :a"),
        "Query condition missed key schema element: h2"
    );
    assert_eq!(
        refused("h1 = :h AND h2 > :n"),
        "Query key condition not supported"
    );
    assert_eq!(
        refused("h1 = :h AND h2 = :h"),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    assert_eq!(
        refused("h1 = :h AND h2 = :n AND c = :c"),
        "RANGE key attributes a, b must have equality conditions specified in the query because a condition is present on key attribute c"
    );
    assert_eq!(
        refused("h1 = :h AND h2 = :n AND a >= :a AND b = :b"),
        "RANGE key attributes a must have equality conditions specified in the query because a condition is present on key attribute b"
    );
    assert_eq!(
        refused("h1 = :h AND h2 = :n AND x = :a"),
        "Query condition missed key schema element: a"
    );
    assert_eq!(
        refused("h1 = :h AND h2 = :n AND a = :a AND b = :b AND c = :c AND x = :a"),
        "The number of query conditions (6) exceeds the number of key attributes defined in the schema (5)"
    );
}
