//! Tests of the legacy parameters: `Expected`, `ScanFilter`/`QueryFilter`, `AttributeUpdates`, `AttributesToGet`
//! — their checks, messages, conversion and evaluation.

use std::collections::BTreeMap;

use eddy_model::AttributeMap;

use crate::request::{ExpressionInputs, Operation, ParsedExpressions, parse_request};

use super::{AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition};

fn av_map(json: &str) -> AttributeMap {
    serde_json::from_str(json).unwrap()
}

fn expected(json: &str, conditional_operator: Option<&str>) -> Result<ParsedExpressions, String> {
    let map: BTreeMap<String, ExpectedAttributeValue> = serde_json::from_str(json).unwrap();
    let mut inputs = ExpressionInputs::new(Operation::PutItem);
    inputs.expected = Some(&map);
    inputs.conditional_operator = conditional_operator;
    parse_request(&inputs).map_err(|e| e.message().unwrap_or_default())
}

fn scan_filter(
    json: &str,
    conditional_operator: Option<&str>,
) -> Result<ParsedExpressions, String> {
    let map: BTreeMap<String, LegacyCondition> = serde_json::from_str(json).unwrap();
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.scan_filter = Some(&map);
    inputs.conditional_operator = conditional_operator;
    parse_request(&inputs).map_err(|e| e.message().unwrap_or_default())
}

fn updates(json: &str) -> Result<ParsedExpressions, String> {
    let map: BTreeMap<String, AttributeValueUpdate> = serde_json::from_str(json).unwrap();
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.attribute_updates = Some(&map);
    parse_request(&inputs).map_err(|e| e.message().unwrap_or_default())
}

const ITEM: &str =
    r#"{"a":{"S":"x"},"n":{"N":"5"},"tags":{"SS":["p","q"]},"l":{"L":[{"S":"x"},{"N":"1"}]}}"#;

fn expected_holds(json: &str, conditional_operator: Option<&str>) -> bool {
    let parsed = expected(json, conditional_operator).unwrap_or_else(|e| panic!("{json}: {e}"));
    parsed.condition.unwrap().evaluate(Some(&av_map(ITEM)))
}

fn filter_holds(json: &str) -> bool {
    let parsed = scan_filter(json, None).unwrap_or_else(|e| panic!("{json}: {e}"));
    parsed.filter.unwrap().evaluate(Some(&av_map(ITEM)))
}

// ---------------------------------------------------------------- Expected

#[test]
fn expected_value_means_equality() {
    assert!(expected_holds(r#"{"a":{"Value":{"S":"x"}}}"#, None));
    assert!(expected_holds(
        r#"{"a":{"Value":{"S":"x"},"Exists":true}}"#,
        None
    ));
    assert!(!expected_holds(r#"{"a":{"Value":{"S":"y"}}}"#, None));
    assert!(!expected_holds(r#"{"zz":{"Value":{"S":"x"}}}"#, None));
}

#[test]
fn expected_exists_false_means_absent() {
    assert!(expected_holds(r#"{"zz":{"Exists":false}}"#, None));
    assert!(!expected_holds(r#"{"a":{"Exists":false}}"#, None));
}

#[test]
fn expected_comparison_operators() {
    assert!(expected_holds(
        r#"{"n":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"4"}]}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"n":{"ComparisonOperator":"LE","Value":{"N":"5"}}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"5"}]}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"w"},{"S":"x"}]}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"a":{"ComparisonOperator":"NOT_NULL"},"zz":{"ComparisonOperator":"NULL"}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"a":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"x"}]}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"tags":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"S":"p"}]}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"l":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"N":"1"}]}}"#,
        None
    ));
}

#[test]
fn ne_holds_for_missing_attributes_and_not_contains_does_not() {
    assert!(expected_holds(
        r#"{"zz":{"ComparisonOperator":"NE","AttributeValueList":[{"S":"x"}]}}"#,
        None
    ));
    assert!(!expected_holds(
        r#"{"zz":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"S":"x"}]}}"#,
        None
    ));
    assert!(!expected_holds(
        r#"{"tags":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"S":"p"}]}}"#,
        None
    ));
    assert!(expected_holds(
        r#"{"n":{"ComparisonOperator":"NE","AttributeValueList":[{"S":"5"}]}}"#,
        None
    ));
}

#[test]
fn conditional_operator_combines_entries() {
    let json = r#"{"a":{"Value":{"S":"x"}},"n":{"Value":{"N":"6"}}}"#;
    assert!(!expected_holds(json, None));
    assert!(!expected_holds(json, Some("AND")));
    assert!(expected_holds(json, Some("OR")));
}

#[test]
fn conditional_operator_needs_two_or_more_conditions() {
    // As DynamoDB answers (recorded against AWS by extenddb's dual-target tests, 2026).
    let without = "ConditionalOperator cannot be used without Filter or Expected";
    let one =
        "ConditionalOperator can only be used when Filter or Expected has two or more elements";
    assert_eq!(expected("{}", Some("OR")).unwrap_err(), without);
    assert_eq!(
        expected(r#"{"a":{"Value":{"S":"x"}}}"#, Some("AND")).unwrap_err(),
        one
    );
    assert_eq!(scan_filter("{}", Some("AND")).unwrap_err(), without);
    assert_eq!(
        scan_filter(r#"{"a":{"ComparisonOperator":"NULL"}}"#, Some("AND")).unwrap_err(),
        one
    );
    let operator_alone = |operation| {
        let mut inputs = ExpressionInputs::new(operation);
        inputs.conditional_operator = Some("AND");
        parse_request(&inputs)
            .unwrap_err()
            .message()
            .unwrap_or_default()
    };
    assert_eq!(operator_alone(Operation::UpdateItem), without);
    // Before a Query's missing key condition.
    assert_eq!(operator_alone(Operation::Query), without);
}

#[test]
fn expected_validation_messages() {
    let cases = [
        (
            r#"{"a":{}}"#,
            "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a",
        ),
        (
            r#"{"a":{"Exists":true}}"#,
            "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a",
        ),
        (
            r#"{"a":{"Exists":false,"Value":{"S":"a"}}}"#,
            "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a",
        ),
        (
            r#"{"a":{"Exists":true,"ComparisonOperator":"EQ","Value":{"S":"a"}}}"#,
            "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            r#"{"a":{"Value":{"S":"a"},"AttributeValueList":[{"S":"a"}],"ComparisonOperator":"EQ"}}"#,
            "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            r#"{"a":{"AttributeValueList":[{"S":"a"}]}}"#,
            "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            r#"{"a":{"ComparisonOperator":"EQ"}}"#,
            "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ),
        (
            r#"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[]}}"#,
            "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator",
        ),
        (
            r#"{"a":{"ComparisonOperator":"NULL","Value":{"S":"a"}}}"#,
            "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator",
        ),
        (
            r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"}]}}"#,
            "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator",
        ),
        (
            r#"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"b"},{"N":"1"}]}}"#,
            "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"5"},{"N":"1"}]}}"#,
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(expected(json, None).unwrap_err(), message, "{json}");
    }
}

#[test]
fn invalid_enum_values_are_constraint_violations() {
    assert_eq!(
        expected(
            r#"{"a":{"ComparisonOperator":"XX","Value":{"S":"a"}}}"#,
            Some("AN")
        )
        .unwrap_err(),
        "2 validation errors detected: Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]; Value 'XX' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
    );
    assert_eq!(
        scan_filter(r#"{"a":{},"b":{"ComparisonOperator":""}}"#, None).unwrap_err(),
        "2 validation errors detected: Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null; Value '' at 'scanFilter.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
    );
}

// ---------------------------------------------------------------- QueryFilter / ScanFilter

#[test]
fn filters_evaluate_like_expressions() {
    assert!(filter_holds(
        r#"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]},"n":{"ComparisonOperator":"GE","AttributeValueList":[{"N":"5"}]}}"#
    ));
    assert!(!filter_holds(
        r#"{"n":{"ComparisonOperator":"LT","AttributeValueList":[{"N":"5"}]}}"#
    ));
    assert!(filter_holds(r#"{"zz":{"ComparisonOperator":"NULL"}}"#));
}

#[test]
fn filter_argument_counts() {
    for (op, list) in [
        ("EQ", ""),
        ("NE", ""),
        ("LE", ""),
        ("CONTAINS", ""),
        ("IN", ""),
        ("BETWEEN", ""),
        ("NULL", r#","AttributeValueList":[{"S":"a"}]"#),
        ("NOT_NULL", r#","AttributeValueList":[{"S":"a"}]"#),
        ("EQ", r#","AttributeValueList":[{"S":"a"},{"S":"a"}]"#),
        (
            "BEGINS_WITH",
            r#","AttributeValueList":[{"S":"a"},{"S":"a"}]"#,
        ),
        (
            "BETWEEN",
            r#","AttributeValueList":[{"S":"a"},{"S":"a"},{"S":"a"}]"#,
        ),
    ] {
        let json = format!(r#"{{"a":{{"ComparisonOperator":"{op}"{list}}}}}"#);
        assert_eq!(
            scan_filter(&json, None).unwrap_err(),
            format!(
                "One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator"
            ),
            "{json}"
        );
    }
}

#[test]
fn filter_operator_types() {
    for (op, value, t) in [
        ("LT", r#"{"BOOL":true}"#, "BOOL"),
        ("GE", r#"{"SS":["a"]}"#, "SS"),
        ("IN", r#"{"L":[]}"#, "L"),
        ("CONTAINS", r#"{"NS":["1"]}"#, "NS"),
        ("NOT_CONTAINS", r#"{"M":{}}"#, "M"),
        ("BEGINS_WITH", r#"{"N":"1"}"#, "N"),
        ("EQ", r#"{"NULL":true}"#, "NULL"),
    ] {
        let json =
            format!(r#"{{"a":{{"ComparisonOperator":"{op}","AttributeValueList":[{value}]}}}}"#);
        assert_eq!(
            scan_filter(&json, None).unwrap_err(),
            format!(
                "One or more parameter values were invalid: ComparisonOperator {op} is not valid for {t} AttributeValue type"
            ),
            "{json}"
        );
    }
    let json = r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"BOOL":true},{"BOOL":true}]}}"#;
    assert_eq!(
        scan_filter(json, None).unwrap_err(),
        "One or more parameter values were invalid: ComparisonOperator BETWEEN is not valid for BOOL AttributeValue type"
    );
}

#[test]
fn filter_between_order() {
    let json =
        r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"b"},{"S":"a"}]}}"#;
    assert_eq!(
        scan_filter(json, None).unwrap_err(),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
}

// ---------------------------------------------------------------- AttributeUpdates

fn apply_updates(json: &str, item: &str) -> Result<String, String> {
    let update = updates(json)?.update.unwrap();
    update
        .apply(&av_map(item))
        .map(|i| serde_json::to_string(&i).unwrap())
        .map_err(|e| e.message().unwrap_or_default())
}

#[test]
fn attribute_updates_put_add_and_delete() {
    let out = apply_updates(
        r#"{"a":{"Value":{"S":"new"}},"b":{"Action":"PUT","Value":{"N":"1"}},"n":{"Action":"ADD","Value":{"N":"3"}},"tags":{"Action":"DELETE","Value":{"SS":["p"]}},"l":{"Action":"ADD","Value":{"L":[{"S":"y"}]}},"gone":{"Action":"DELETE"}}"#,
        r#"{"a":{"S":"x"},"n":{"N":"5"},"tags":{"SS":["p","q"]},"l":{"L":[{"S":"x"}]},"gone":{"S":"g"}}"#,
    )
    .unwrap();
    assert_eq!(
        out,
        r#"{"a":{"S":"new"},"b":{"N":"1"},"l":{"L":[{"S":"x"},{"S":"y"}]},"n":{"N":"8"},"tags":{"SS":["q"]}}"#
    );
}

#[test]
fn attribute_updates_on_missing_attributes() {
    let out = apply_updates(
        r#"{"b":{"Action":"DELETE"},"c":{"Action":"DELETE","Value":{"SS":["a","b"]}},"d":{"Action":"ADD","Value":{"N":"5"}},"e":{"Action":"ADD","Value":{"SS":["a","b"]}},"f":{"Action":"ADD","Value":{"L":[{"S":"a"}]}}}"#,
        r#"{"k":{"S":"key"}}"#,
    )
    .unwrap();
    assert_eq!(
        out,
        r#"{"d":{"N":"5"},"e":{"SS":["a","b"]},"f":{"L":[{"S":"a"}]},"k":{"S":"key"}}"#
    );
}

#[test]
fn attribute_updates_type_mismatches() {
    let item = r#"{"b":{"SS":["1"]},"c":{"N":"1"},"d":{"NS":["1"]}}"#;
    for json in [
        r#"{"b":{"Action":"DELETE","Value":{"NS":["1"]}}}"#,
        r#"{"b":{"Action":"DELETE","Value":{"BS":["YQ=="]}}}"#,
        r#"{"c":{"Action":"DELETE","Value":{"NS":["1"]}}}"#,
        r#"{"b":{"Action":"ADD","Value":{"NS":["1"]}}}"#,
        r#"{"d":{"Action":"ADD","Value":{"N":"1"}}}"#,
    ] {
        assert_eq!(
            apply_updates(json, item).unwrap_err(),
            "Type mismatch for attribute to update",
            "{json}"
        );
    }
}

#[test]
fn attribute_updates_validation_messages() {
    assert_eq!(
        updates(r#"{"a":{"Action":"PUT"}}"#).unwrap_err(),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    for (value, t) in [
        (r#"{"S":"1"}"#, "S"),
        (r#"{"N":"1"}"#, "N"),
        (r#"{"M":{}}"#, "M"),
        (r#"{"L":[]}"#, "L"),
    ] {
        let json = format!(r#"{{"a":{{"Action":"DELETE","Value":{value}}}}}"#);
        assert_eq!(
            updates(&json).unwrap_err(),
            format!(
                "One or more parameter values were invalid: DELETE action with value is not supported for the type {t}"
            )
        );
    }
    for (value, t) in [
        (r#"{"S":"1"}"#, "S"),
        (r#"{"B":"Yg=="}"#, "B"),
        (r#"{"BOOL":true}"#, "BOOL"),
        (r#"{"M":{}}"#, "M"),
    ] {
        let json = format!(r#"{{"a":{{"Action":"ADD","Value":{value}}}}}"#);
        assert_eq!(
            updates(&json).unwrap_err(),
            format!(
                "One or more parameter values were invalid: ADD action is not supported for the type {t}"
            )
        );
    }
    assert_eq!(
        updates(r#"{"a":{"Action":"SET","Value":{"S":"1"}}}"#).unwrap_err(),
        "1 validation error detected: Value 'SET' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, DELETE, PUT]"
    );
}

#[test]
fn attribute_updates_report_touched_names() {
    let update = updates(r#"{"a":{"Value":{"S":"x"}},"b":{"Action":"DELETE"}}"#)
        .unwrap()
        .update
        .unwrap();
    assert_eq!(
        update
            .touched_top_level_names()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["a", "b"]
    );
}

// ---------------------------------------------------------------- AttributesToGet

#[test]
fn attributes_to_get_become_a_projection() {
    let names = vec!["a".to_string(), "n".to_string(), "zz".to_string()];
    let mut inputs = ExpressionInputs::new(Operation::GetItem);
    inputs.attributes_to_get = Some(&names);
    let projection = parse_request(&inputs).unwrap().projection.unwrap();
    assert_eq!(
        serde_json::to_string(&projection.apply(&av_map(ITEM))).unwrap(),
        r#"{"a":{"S":"x"},"n":{"N":"5"}}"#
    );
}

#[test]
fn attributes_to_get_must_be_unique_and_non_empty() {
    let names = vec!["a".to_string(), "b".to_string(), "a".to_string()];
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.attributes_to_get = Some(&names);
    assert_eq!(
        parse_request(&inputs).unwrap_err().message().unwrap(),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
    let empty: Vec<String> = Vec::new();
    inputs.attributes_to_get = Some(&empty);
    assert_eq!(
        parse_request(&inputs).unwrap_err().message().unwrap(),
        "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn wire_structs_use_dynamodb_member_names() {
    let e: ExpectedAttributeValue = serde_json::from_str(
        r#"{"Value":{"S":"a"},"Exists":true,"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]}"#,
    )
    .unwrap();
    assert!(
        e.value.is_some()
            && e.exists == Some(true)
            && e.comparison_operator.as_deref() == Some("EQ")
    );
    assert_eq!(e.attribute_value_list.map(|l| l.len()), Some(1));
    let c: LegacyCondition = serde_json::from_str(r#"{"ComparisonOperator":"NULL"}"#).unwrap();
    assert!(c.attribute_value_list.is_none());
    let u: AttributeValueUpdate =
        serde_json::from_str(r#"{"Action":"DELETE","Value":null}"#).unwrap();
    assert_eq!(u.action.as_deref(), Some("DELETE"));
    assert!(u.value.is_none());
}
