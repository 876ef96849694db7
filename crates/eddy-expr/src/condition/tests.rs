//! Tests of condition and filter expressions: evaluation semantics, syntax errors with their token and
//! context, and every semantic error in DynamoDB's order of precedence.

use std::collections::BTreeMap;

use eddy_model::AttributeMap;

use crate::request::{ExpressionInputs, Operation, parse_request};

use super::Condition;

fn av_map(json: &str) -> AttributeMap {
    serde_json::from_str(json).unwrap()
}

fn names_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Parses `expr` as a FilterExpression of a Scan with the given placeholder maps.
fn filter(expr: &str, names: &[(&str, &str)], values: &str) -> Result<Condition, String> {
    let names = names_of(names);
    let values = av_map(values);
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some(expr);
    inputs.names = (!names.is_empty()).then_some(&names);
    inputs.values = (!values.is_empty()).then_some(&values);
    parse_request(&inputs)
        .map(|p| p.filter.unwrap())
        .map_err(|e| e.message().unwrap_or_default())
}

fn error(expr: &str, names: &[(&str, &str)], values: &str) -> String {
    match filter(expr, names, values) {
        Ok(c) => panic!("{expr} parsed as {c:?}"),
        Err(e) => e
            .strip_prefix("Invalid FilterExpression: ")
            .unwrap_or(&e)
            .to_string(),
    }
}

fn syntax_token(expr: &str) -> String {
    let message = error(expr, &[], r#"{":a":{"S":"x"}}"#);
    let rest = message
        .strip_prefix("Syntax error; token: \"")
        .unwrap_or_else(|| panic!("{expr}: {message}"));
    rest.split('"').next().unwrap_or_default().to_string()
}

const ITEM: &str = r#"{
    "pk": {"S": "p"},
    "n": {"N": "10"},
    "s": {"S": "banana"},
    "b": {"B": "AQID"},
    "flag": {"BOOL": true},
    "nothing": {"NULL": true},
    "tags": {"SS": ["green", "red"]},
    "nums": {"NS": ["1", "5"]},
    "letters": {"L": [{"S": "a"}, {"S": "b"}, {"N": "3"}]},
    "info": {"M": {"nested": {"M": {"deep": {"S": "x"}}}, "arr": {"L": [{"M": {"v": {"N": "1"}}}, {"M": {"v": {"N": "2"}}}]}}},
    "dotted.name": {"S": "yes"},
    "unicode": {"S": "é\ud834\udd1e"},
    "emoji": {"S": "\ud83d\ude00"}
}"#;

fn holds_with(expr: &str, names: &[(&str, &str)], values: &str) -> bool {
    let condition = filter(expr, names, values).unwrap_or_else(|e| panic!("{expr}: {e}"));
    condition.evaluate(Some(&av_map(ITEM)))
}

fn holds(expr: &str, values: &str) -> bool {
    holds_with(expr, &[], values)
}

// ---------------------------------------------------------------- evaluation

#[test]
fn compares_numbers_numerically() {
    assert!(holds("n > :v", r#"{":v":{"N":"9"}}"#));
    assert!(holds("n < :v", r#"{":v":{"N":"100"}}"#));
    assert!(holds("n = :v", r#"{":v":{"N":"10.0"}}"#));
    assert!(holds("n >= :v AND n <= :v", r#"{":v":{"N":"1E1"}}"#));
    assert!(!holds("n <> :v", r#"{":v":{"N":"10"}}"#));
}

#[test]
fn compares_strings_by_utf8_bytes() {
    assert!(holds("s > :v", r#"{":v":{"S":"apple"}}"#));
    assert!(holds("s < :v", r#"{":v":{"S":"banana_"}}"#));
    // U+1F600 is F0… in UTF-8 and U+FFFD is EF…: bytewise the emoji sorts after (UTF-16 would say before).
    assert!(holds("emoji > :v", r#"{":v":{"S":"\ufffd"}}"#));
}

#[test]
fn compares_binaries_bytewise() {
    assert!(holds("b > :v", r#"{":v":{"B":"AQI="}}"#));
    assert!(holds("b < :v", r#"{":v":{"B":"Ag=="}}"#));
}

#[test]
fn missing_attributes_fail_comparisons_except_not_equal() {
    assert!(holds("absent <> :v", r#"{":v":{"N":"1"}}"#));
    assert!(!holds("absent = :v", r#"{":v":{"N":"1"}}"#));
    assert!(!holds("absent < :v", r#"{":v":{"N":"1"}}"#));
    assert!(!holds(
        "absent BETWEEN :v AND :w",
        r#"{":v":{"N":"1"},":w":{"N":"2"}}"#
    ));
    assert!(!holds("absent IN (:v)", r#"{":v":{"N":"1"}}"#));
}

#[test]
fn different_types_never_order_and_are_never_equal() {
    assert!(!holds("s > :v", r#"{":v":{"N":"1"}}"#));
    assert!(!holds("s < :v", r#"{":v":{"N":"1"}}"#));
    assert!(holds("s <> :v", r#"{":v":{"N":"1"}}"#));
    // A stored value that cannot be ordered compares false; a literal one is refused (next test).
    assert!(!holds("flag < :v", r#"{":v":{"N":"1"}}"#));
    assert!(!holds("flag > n", "{}"));
    assert!(holds("flag = :v", r#"{":v":{"BOOL":true}}"#));
}

#[test]
fn ordering_a_value_that_cannot_be_ordered_is_refused() {
    // As DynamoDB answers (verified against AWS by extenddb's dual-target tests, 2026), up front, whichever
    // side the value is on and whether or not the comparison would be evaluated.
    for (expr, value, operator, kind) in [
        ("n < :v", r#"{"BOOL":true}"#, "<", "BOOL"),
        (":v >= n", r#"{"NULL":true}"#, ">=", "NULL"),
        (
            "attribute_exists(zz) OR n > :v",
            r#"{"SS":["a"]}"#,
            ">",
            "SS",
        ),
        ("NOT (size(s) <= :v)", r#"{"L":[]}"#, "<=", "L"),
        ("n BETWEEN :v AND :v", r#"{"M":{}}"#, "BETWEEN", "M"),
    ] {
        let values = format!(r#"{{":v":{value}}}"#);
        assert_eq!(
            filter(expr, &[], &values).unwrap_err(),
            format!(
                "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: {operator}, operand type: {kind}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn sets_compare_equal_regardless_of_order() {
    assert!(holds("tags = :v", r#"{":v":{"SS":["red","green"]}}"#));
    assert!(!holds("tags = :v", r#"{":v":{"SS":["red"]}}"#));
}

#[test]
fn maps_and_lists_compare_deeply() {
    assert!(holds(
        "info.nested = :v",
        r#"{":v":{"M":{"deep":{"S":"x"}}}}"#
    ));
    assert!(holds(
        "letters = :v",
        r#"{":v":{"L":[{"S":"a"},{"S":"b"},{"N":"3.0"}]}}"#
    ));
    assert!(!holds(
        "letters = :v",
        r#"{":v":{"L":[{"S":"b"},{"S":"a"},{"N":"3"}]}}"#
    ));
}

#[test]
fn between_is_inclusive() {
    let v = r#"{":lo":{"N":"10"},":hi":{"N":"20"}}"#;
    assert!(holds("n BETWEEN :lo AND :hi", v));
    assert!(!holds("n BETWEEN :hi AND :hi", r#"{":hi":{"N":"20"}}"#));
    assert!(holds(
        "s between :lo and :hi",
        r#"{":lo":{"S":"b"},":hi":{"S":"banana"}}"#
    ));
}

#[test]
fn in_matches_any_listed_value() {
    assert!(holds(
        "s IN (:a, :b)",
        r#"{":a":{"S":"apple"},":b":{"S":"banana"}}"#
    ));
    assert!(!holds("s IN (:a)", r#"{":a":{"S":"apple"}}"#));
    assert!(holds(
        "n in (:a, :b)",
        r#"{":a":{"S":"10"},":b":{"N":"10"}}"#
    ));
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let v = r#"{":yes":{"N":"10"},":no":{"N":"11"}}"#;
    // true OR (true AND false)
    assert!(holds("n = :yes OR n = :yes AND n = :no", v));
    // (true OR true) AND false
    assert!(!holds("(n = :yes OR n = :yes) AND n = :no", v));
    // (NOT false) AND true
    assert!(holds("NOT n = :no AND n = :yes", v));
    let yes = r#"{":yes":{"N":"10"}}"#;
    // NOT binds tighter than AND: (NOT true) AND true.
    assert!(!holds("NOT n = :yes AND n = :yes", yes));
    assert!(!holds("not (n = :yes)", yes));
    assert!(holds("NOT NOT n = :yes", yes));
    assert!(!holds("NOT NOT NOT n = :yes", yes));
}

#[test]
fn keywords_are_case_insensitive() {
    let v = r#"{":lo":{"N":"1"},":hi":{"N":"20"},":a":{"S":"x"}}"#;
    assert!(holds("n between :lo And :hi Or s iN (:a)", v));
    assert!(holds("nOt s In (:a)", r#"{":a":{"S":"x"}}"#));
}

#[test]
fn existence_functions() {
    assert!(holds(
        "attribute_exists(n) AND attribute_not_exists(absent)",
        r#"{}"#
    ));
    assert!(holds("attribute_exists(nothing)", r#"{}"#));
    assert!(holds("attribute_exists(info.nested.deep)", r#"{}"#));
    assert!(holds("attribute_not_exists(letters[9])", r#"{}"#));
    assert!(!holds("attribute_exists(s.x)", r#"{}"#));
}

#[test]
fn attribute_type_checks_the_descriptor() {
    let v = r#"{":ss":{"S":"SS"},":null":{"S":"NULL"},":s":{"S":"S"}}"#;
    assert!(holds(
        "attribute_type(tags, :ss) AND attribute_type(nothing, :null) AND NOT attribute_type(n, :s)",
        v
    ));
    assert!(!holds("attribute_type(absent, :s)", r#"{":s":{"S":"S"}}"#));
}

#[test]
fn begins_with_strings_and_binaries() {
    assert!(holds("begins_with(s, :p)", r#"{":p":{"S":"ban"}}"#));
    assert!(!holds("begins_with(s, :p)", r#"{":p":{"S":"nan"}}"#));
    assert!(holds("begins_with(b, :p)", r#"{":p":{"B":"AQI="}}"#));
    assert!(!holds("begins_with(absent, :p)", r#"{":p":{"S":"a"}}"#));
}

#[test]
fn contains_strings_sets_and_lists() {
    assert!(holds("contains(s, :v)", r#"{":v":{"S":"nan"}}"#));
    assert!(holds("contains(tags, :v)", r#"{":v":{"S":"red"}}"#));
    assert!(!holds("contains(tags, :v)", r#"{":v":{"S":"blue"}}"#));
    assert!(holds("contains(nums, :v)", r#"{":v":{"N":"5"}}"#));
    assert!(holds("contains(letters, :v)", r#"{":v":{"N":"3"}}"#));
    assert!(!holds("contains(absent, :v)", r#"{":v":{"N":"3"}}"#));
    assert!(holds("NOT contains(absent, :v)", r#"{":v":{"N":"3"}}"#));
}

#[test]
fn size_of_strings_sets_lists_maps_and_binaries() {
    assert!(holds("size(s) = :v", r#"{":v":{"N":"6"}}"#));
    assert!(holds(
        "size(tags) = :two AND size(letters) = :three AND size(info) = :two",
        r#"{":two":{"N":"2"},":three":{"N":"3"}}"#
    ));
    assert!(holds("size(b) = :v", r#"{":v":{"N":"3"}}"#));
    assert!(holds("size(unicode) = :v", r#"{":v":{"N":"3"}}"#));
    assert!(!holds("size(n) = :v", r#"{":v":{"N":"2"}}"#));
    assert!(!holds("size(absent) >= :v", r#"{":v":{"N":"0"}}"#));
    assert!(holds(":v < size(s)", r#"{":v":{"N":"2"}}"#));
}

#[test]
fn document_paths_follow_maps_and_lists() {
    assert!(holds("info.nested.deep = :x", r#"{":x":{"S":"x"}}"#));
    assert!(holds("info.arr[1].v = :two", r#"{":two":{"N":"2"}}"#));
    assert!(holds("letters[0] = :a", r#"{":a":{"S":"a"}}"#));
    assert!(holds("(info.arr)[0].v = :one", r#"{":one":{"N":"1"}}"#));
}

#[test]
fn a_placeholder_with_a_dot_names_one_attribute() {
    assert!(holds_with(
        "#d = :y",
        &[("#d", "dotted.name")],
        r#"{":y":{"S":"yes"}}"#
    ));
    assert!(holds_with(
        "#i.#n.deep = :x",
        &[("#i", "info"), ("#n", "nested")],
        r#"{":x":{"S":"x"}}"#
    ));
}

#[test]
fn a_missing_item_behaves_as_an_empty_one() {
    let c = filter("attribute_not_exists(pk)", &[], "{}").unwrap();
    assert!(c.evaluate(None));
    let c = filter("attribute_exists(pk)", &[], "{}").unwrap();
    assert!(!c.evaluate(None));
}

#[test]
fn parentheses_group_freely() {
    let v = r#"{":a":{"N":"10"}}"#;
    assert!(holds("(n = :a)", v));
    assert!(holds("(n) = (:a)", v));
    assert!(holds("((n = :a) OR (n = :a))", v));
    assert!(holds("size (s) > (:a) OR (attribute_exists(n))", v));
}

#[test]
fn reports_nested_and_top_level_path_heads() {
    let c = filter(
        "a.b = :v AND c = :v OR size(d[0]) > :v",
        &[],
        r#"{":v":{"N":"1"}}"#,
    )
    .unwrap();
    assert_eq!(
        c.nested_path_heads().into_iter().collect::<Vec<_>>(),
        vec!["a", "d"]
    );
    assert_eq!(
        c.top_level_names().into_iter().collect::<Vec<_>>(),
        vec!["a", "c", "d"]
    );
}

// ---------------------------------------------------------------- syntax errors

#[test]
fn syntax_errors_from_dynamodb_examples() {
    for expr in [
        "things are not gonna be ok",
        "a > 4",
        "attribute_exists(Pictures-RearView)",
        "attribute_exists(\"Pictures.RearView\")",
        "attribute_exists(Pictures..RearView)",
        "attribute_exists(Pi#ctures.RearView)",
        "attribute_exists(asdf[a])",
        "a.:a < b.:b",
        "a in b, c",
        "a > between",
        "a in b",
        "a in (b,c,)",
        "(a)between(b.(c.d))and(c)",
        "(a)between(b.c.d)and((c)",
        "#$.b > a",
        "a > :things.stuff",
        "b[:a] > a",
        "b[#_] > a",
        "ü > a",
        "(a)between(b.c[4.5].#d)and(:a)",
        "size(a).b > a",
        "(size(a)).b > a",
        "size(a)[0] > a",
        "(size(a))[0] > a",
        "a",
        "a AND b",
        "a = = :a",
        "_hidden = :a",
        "a = :a b",
        "(a = :a) = b",
        "a = (b = :a)",
    ] {
        let message = error(expr, &[], r#"{":a":{"S":"x"}}"#);
        assert!(message.starts_with("Syntax error; "), "{expr}: {message}");
    }
}

#[test]
fn syntax_error_names_the_first_unacceptable_token() {
    assert_eq!(syntax_token("a > 4"), "4");
    assert_eq!(syntax_token("things are not gonna be ok"), "are");
    assert_eq!(syntax_token("a = = :a"), "=");
    assert_eq!(syntax_token("_hidden = :a"), "_");
    assert_eq!(syntax_token("a"), "<EOF>");
    assert_eq!(syntax_token("a AND b = :a"), "AND");
    assert_eq!(syntax_token("a in (b,c,)"), ")");
    assert_eq!(syntax_token("size(a).b > a"), ".");
    assert_eq!(syntax_token("(a = :a) = b"), "=");
    assert_eq!(syntax_token("a = (b = :a)"), "=");
    assert_eq!(syntax_token("a BETWEEN b"), "<EOF>");
    assert_eq!(syntax_token("NOT"), "<EOF>");
}

#[test]
fn syntax_error_quotes_the_neighbourhood() {
    assert_eq!(
        error("a > 4", &[], "{}"),
        "Syntax error; token: \"4\", near: \"> 4\""
    );
    assert_eq!(
        error("a =", &[], "{}"),
        "Syntax error; token: \"<EOF>\", near: \"=\""
    );
    assert_eq!(
        error("begins_with(a, ", &[], "{}"),
        "Syntax error; token: \"<EOF>\", near: \", \""
    );
}

#[test]
fn keywords_cannot_be_attribute_names() {
    assert_eq!(syntax_token("between = :a"), "between");
    assert_eq!(syntax_token("a.in = :a"), "in");
}

// ---------------------------------------------------------------- semantic errors, in DynamoDB's order

#[test]
fn redundant_parentheses() {
    for expr in [
        "a=a and a > ((views))",
        "(a)between(((b.c)).d)and(c)",
        "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a",
        "a=a OR ((a=a OR a=a)) OR a=a",
        "a=a AND ((a=a AND (a=a AND a=a)))",
        "((a = :b))",
    ] {
        assert_eq!(
            error(expr, &[], "{}"),
            "The expression has redundant parentheses;",
            "{expr}"
        );
    }
}

#[test]
fn unknown_functions() {
    assert_eq!(
        error("a=a and whatever((:things)) > a", &[], "{}"),
        "Invalid function name; function: whatever"
    );
    assert_eq!(
        error("attRIbute_exIsts((views), #a)", &[], "{}"),
        "Invalid function name; function: attRIbute_exIsts"
    );
    assert_eq!(
        error("ATTRIBUTE_EXISTS(a)", &[], "{}"),
        "Invalid function name; function: ATTRIBUTE_EXISTS"
    );
    assert_eq!(
        error("not_contain(a, :v)", &[], "{}"),
        "Invalid function name; function: not_contain"
    );
}

#[test]
fn misused_functions() {
    for (expr, name) in [
        (
            "a=a and attribute_exists((views), (#a)) > b",
            "attribute_exists",
        ),
        ("attribute_not_exists(things) > b", "attribute_not_exists"),
        ("attribute_type(things, :a) > b", "attribute_type"),
        ("begins_with(things, a) > b", "begins_with"),
        ("contains(:things, c) > b", "contains"),
        ("size(contains(a, b)) > a", "contains"),
        ("size(things)", "size"),
        ("(size(things))", "size"),
        (
            "a between b and attribute_exists(things)",
            "attribute_exists",
        ),
        ("a in (b, attribute_exists(things))", "attribute_exists"),
        ("begins_with(a, :v) = :t", "begins_with"),
    ] {
        assert_eq!(
            error(expr, &[], "{}"),
            format!(
                "The function is not allowed to be used this way in an expression; function: {name}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn reserved_words() {
    assert_eq!(
        error("attribute_exists(views, #a)", &[], "{}"),
        "Attribute name is a reserved keyword; reserved keyword: views"
    );
    assert_eq!(
        error(":a < abOrT", &[], "{}"),
        "Attribute name is a reserved keyword; reserved keyword: abOrT"
    );
    assert_eq!(
        error("a.b.Status = :v", &[], "{}"),
        "Attribute name is a reserved keyword; reserved keyword: Status"
    );
}

#[test]
fn undefined_names() {
    for (expr, name) in [
        (
            "attribute_exists(#Pictures.RearView, :a) and a=a",
            "#Pictures",
        ),
        ("begins_with(Pictures.#RearView)", "#RearView"),
        ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"),
        ("#4g > a", "#4g"),
        ("#_ > a", "#_"),
        ("(a)between(b.c[45].#d)and(:a)", "#d"),
    ] {
        assert_eq!(
            error(expr, &[], "{}"),
            format!(
                "An expression attribute name used in the document path is not defined; attribute name: {name}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn undefined_values() {
    for (expr, name) in [
        ("begins_with(:hello, #a, #b)", ":hello"),
        (":a < :b", ":a"),
        (":_ > a", ":_"),
    ] {
        assert_eq!(
            error(expr, &[], "{}"),
            format!(
                "An expression attribute value used in expression is not defined; attribute value: {name}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn wrong_operand_counts() {
    for (expr, name, count) in [
        ("attribute_exists(things, a) and a=a", "attribute_exists", 2),
        ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
        ("attribute_type(things)", "attribute_type", 1),
        ("begins_with(things)", "begins_with", 1),
        ("begins_with(things, size(a), b)", "begins_with", 3),
        ("contains(things)", "contains", 1),
        ("size(things, a) > b", "size", 2),
    ] {
        assert_eq!(
            error(expr, &[], "{}"),
            format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {count}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn wrong_operand_types() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "attribute_type(a, size(a)) and a=a and a=:a",
            "attribute_type",
            r#"{"N":"1"}"#,
        ),
        ("attribute_type(a, :a)", "attribute_type", r#"{"N":"1"}"#),
        ("attribute_type(a, :a)", "attribute_type", r#"{"B":"YQ=="}"#),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            r#"{"BOOL":true}"#,
        ),
        (
            "attribute_type(a, :a)",
            "attribute_type",
            r#"{"NULL":true}"#,
        ),
        ("attribute_type(a, :a)", "attribute_type", r#"{"L":[]}"#),
        ("attribute_type(a, :a)", "attribute_type", r#"{"M":{}}"#),
        ("attribute_type(a, :a)", "attribute_type", r#"{"SS":["1"]}"#),
        (
            "begins_with(a, size(a)) and a=:a",
            "begins_with",
            r#"{"N":"1"}"#,
        ),
        ("begins_with(a, :a)", "begins_with", r#"{"N":"1"}"#),
        ("begins_with(a, :a)", "begins_with", r#"{"BOOL":true}"#),
        ("begins_with(a, :a)", "begins_with", r#"{"NS":["1"]}"#),
        ("begins_with(:a, a)", "begins_with", r#"{"L":[]}"#),
        ("size(size(a)) > :a", "size", r#"{"N":"1"}"#),
        ("attribute_not_exists(size(:a))", "size", r#"{"N":"1"}"#),
        ("size(:a) > a", "size", r#"{"BOOL":true}"#),
        ("size(:a) > a", "size", r#"{"NULL":true}"#),
    ];
    for (expr, name, value) in cases {
        let values = format!(r#"{{":a":{value}}}"#);
        let value_type = av_map(&values)[":a"].value_type();
        let expected_type = if expr.contains("size(size")
            || expr.contains("attribute_type(a, size")
            || expr.contains("begins_with(a, size")
        {
            "N".to_string()
        } else {
            value_type.to_string()
        };
        assert_eq!(
            error(expr, &[], &values),
            format!(
                "Incorrect operand type for operator or function; operator or function: {name}, operand type: {expected_type}"
            ),
            "{expr} {value}"
        );
    }
}

#[test]
fn attribute_type_with_a_path_operand_lists_all_types() {
    assert_eq!(
        error("attribute_type(a, b)", &[], "{}"),
        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
    );
}

#[test]
fn attribute_type_with_an_unknown_type_name() {
    assert_eq!(
        error("attribute_type(a, :a)", &[], r#"{":a":{"S":"STRING"}}"#),
        "Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    );
}

#[test]
fn existence_functions_need_a_path() {
    assert_eq!(
        error("attribute_exists(:a) and a=a", &[], r#"{":a":{"S":"1"}}"#),
        "Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert_eq!(
        error("attribute_not_exists(size(:a))", &[], r#"{":a":{"S":"1"}}"#),
        "Operator or function requires a document path; operator or function: attribute_not_exists"
    );
}

#[test]
fn operands_must_be_distinct() {
    for (expr, op, path) in [
        ("a = a AND #a = b AND :views > a", "=", "[a]"),
        ("#a <> a", "<>", "[a]"),
        ("a > #a", ">", "[a]"),
        ("((a=a) OR (a=a))", "=", "[a]"),
        ("((a=a) AND (a=a))", "=", "[a]"),
        (
            "contains(ab.bc[1].a, ab.bc[1].#a)",
            "contains",
            "[ab, bc, [1], a]",
        ),
        (
            "attribute_type(ab.bc[1].#a, ab.bc[1].a)",
            "attribute_type",
            "[ab, bc, [1], a]",
        ),
        (
            "begins_with(ab.bc[1].a, ab.bc[1].#a)",
            "begins_with",
            "[ab, bc, [1], a]",
        ),
    ] {
        assert_eq!(
            error(expr, &[("#a", "a")], "{}"),
            format!(
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {path}"
            ),
            "{expr}"
        );
    }
    // Two identical values are fine.
    assert!(filter(":a > :a", &[], r#"{":a":{"N":"1"}}"#).is_ok());
}

#[test]
fn between_bounds_must_share_a_type_and_be_ordered() {
    assert_eq!(
        error(
            "a between :b and :a",
            &[],
            r#"{":a":{"S":"a"},":b":{"N":"1"}}"#
        ),
        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"
    );
    assert_eq!(
        error(
            "a between :b and :a",
            &[],
            r#"{":a":{"N":"1"},":b":{"N":"5"}}"#
        ),
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"
    );
    assert!(filter("a between :a and :a", &[], r#"{":a":{"N":"1"}}"#).is_ok());
}

#[test]
fn in_takes_at_most_100_operands() {
    let list: Vec<String> = (0..101).map(|i| format!(":v{i}")).collect();
    let values: Vec<String> = (0..101)
        .map(|i| format!(r#"":v{i}":{{"N":"{i}"}}"#))
        .collect();
    let values = format!("{{{}}}", values.join(","));
    assert_eq!(
        error(&format!("a IN ({})", list.join(", ")), &[], &values),
        "The IN operator is provided with too many operands; number of operands: 101"
    );
    let list100 = &list[..100];
    let values100: Vec<String> = (0..100)
        .map(|i| format!(r#"":v{i}":{{"N":"{i}"}}"#))
        .collect();
    let values100 = format!("{{{}}}", values100.join(","));
    assert!(filter(&format!("a IN ({})", list100.join(", ")), &[], &values100).is_ok());
}

#[test]
fn error_categories_follow_dynamodb_precedence() {
    // Redundant parentheses beat an unknown function.
    assert_eq!(
        error("foo(a) = ((b))", &[], "{}"),
        "The expression has redundant parentheses;"
    );
    // An unknown function beats a misused one and a reserved word.
    assert_eq!(
        error("attribute_exists(a) = foo(views)", &[], "{}"),
        "Invalid function name; function: foo"
    );
    // A misused function beats a reserved word.
    assert_eq!(
        error("views = contains(a, b)", &[], "{}"),
        "The function is not allowed to be used this way in an expression; function: contains"
    );
    // A reserved word beats an undefined name in an earlier condition.
    assert_eq!(
        error("#x = a AND size = b", &[], "{}"),
        "Attribute name is a reserved keyword; reserved keyword: size"
    );
    // Within the first faulty condition, an undefined placeholder beats an operand count.
    assert_eq!(
        error("begins_with(#x)", &[], "{}"),
        "An expression attribute name used in the document path is not defined; attribute name: #x"
    );
    // The first faulty condition wins over later ones.
    assert_eq!(
        error("a = a AND #x = b", &[], "{}"),
        "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"
    );
}

#[test]
fn empty_and_oversized_expressions() {
    assert_eq!(error("", &[], "{}"), "The expression can not be empty;");
    let long = format!("a = :a{}", " AND a = :a".repeat(500));
    assert_eq!(
        error(&long, &[], r#"{":a":{"N":"1"}}"#),
        format!(
            "Expression size has exceeded the maximum allowed size; expression size: {}",
            long.len()
        )
    );
}

/// Runs `f` on a thread with the stack the server's runtime threads have (an unoptimised build needs it at
/// the deepest nesting eddy parses).
fn on_server_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    on_server_stack(|| {
        let depth = 500;
        let expr = format!("{}a = :a{}", "(".repeat(depth), ")".repeat(depth));
        let message = error(&expr, &[], r#"{":a":{"N":"1"}}"#);
        assert!(
            message.starts_with("The expression is nested too deeply"),
            "{message}"
        );
        let calls = format!("{}a{} = :a", "size(".repeat(depth), ")".repeat(depth));
        let message = error(&calls, &[], r#"{":a":{"N":"1"}}"#);
        assert!(
            message.starts_with("The expression is nested too deeply"),
            "{message}"
        );
    });
}

#[test]
fn three_hundred_operators_at_most_whatever_the_nesting() {
    on_server_stack(|| {
        // 149 levels hold 299 operators (`<` and OR; parentheses do not count): accepted, as on AWS.
        let nested =
            |depth: usize| format!("a<b {}{}", "or (a<b ".repeat(depth), ")".repeat(depth));
        assert!(filter(&nested(149), &[], "{}").is_ok());
        // 454 levels (still under 4 KB): refused at the 301st operator, as AWS words it.
        assert_eq!(
            error(&nested(454), &[], "{}"),
            "The expression contains too many operators; operator count: 301"
        );
        let nots = format!("{}a < :a", "NOT ".repeat(1000));
        assert_eq!(
            error(&nots, &[], r#"{":a":{"N":"1"}}"#),
            "The expression contains too many operators; operator count: 301"
        );
    });
}

#[test]
fn builder_style_nesting_within_the_limit_parses() {
    // Left-nested groups as SDK condition builders produce them: ((c0 AND c1) AND c2) …
    let mut expr = "a0 = :a".to_string();
    for i in 1..120 {
        expr = format!("({expr} AND a{i} = :a)");
    }
    let c = filter(&expr, &[], r#"{":a":{"N":"1"}}"#).unwrap();
    let mut item = AttributeMap::new();
    for i in 0..120 {
        item.insert(
            format!("a{i}"),
            eddy_model::AttributeValue::N(eddy_model::Number::from_i64(1)),
        );
    }
    assert!(c.evaluate(Some(&item)));
    item.remove("a77");
    assert!(!c.evaluate(Some(&item)));
}

#[test]
fn long_not_chains_evaluate_without_recursion() {
    // 299 NOTs and the comparison: as many operators as DynamoDB takes.
    let expr = format!("{}a = :a", "NOT ".repeat(299));
    let c = filter(&expr, &[], r#"{":a":{"S":"p"}}"#).unwrap();
    assert!(c.evaluate(Some(&av_map(r#"{"a":{"S":"q"}}"#))));
}
