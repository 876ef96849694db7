//! Tests of update expressions: application (SET/REMOVE/ADD/DELETE, list indexes, sets, exact numbers), the
//! errors at application, and every validation error in DynamoDB's order.

use std::collections::BTreeMap;

use eddy_model::{AttributeMap, KeyAttribute, KeySchema, ScalarType, ValueType};

use crate::request::{ExpressionInputs, Operation, parse_request};

use super::Update;

fn av_map(json: &str) -> AttributeMap {
    serde_json::from_str(json).unwrap()
}

fn parse_with(expr: &str, names: &[(&str, &str)], values: &str) -> Result<Update, String> {
    let names: BTreeMap<String, String> = names
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let values = av_map(values);
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.update_expression = Some(expr);
    inputs.names = (!names.is_empty()).then_some(&names);
    inputs.values = (!values.is_empty()).then_some(&values);
    parse_request(&inputs)
        .map(|p| p.update.unwrap())
        .map_err(|e| e.message().unwrap_or_default())
}

fn error_with(expr: &str, names: &[(&str, &str)], values: &str) -> String {
    match parse_with(expr, names, values) {
        Ok(u) => panic!("{expr} parsed as {u:?}"),
        Err(e) => e
            .strip_prefix("Invalid UpdateExpression: ")
            .unwrap_or(&e)
            .to_string(),
    }
}

fn error(expr: &str) -> String {
    error_with(expr, &[], "{}")
}

const ITEM: &str = r#"{
    "pk": {"S": "p"},
    "tally": {"N": "1"},
    "label": {"S": "x"},
    "letters": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]},
    "info": {"M": {"a": {"N": "1"}, "list": {"L": [{"M": {"v": {"N": "1"}}}]}}},
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2"]}
}"#;

/// Applies `expr` to ITEM and returns the resulting item as JSON.
fn apply(expr: &str, values: &str) -> String {
    apply_to(expr, values, ITEM)
}

fn apply_to(expr: &str, values: &str, item: &str) -> String {
    let update = parse_with(expr, &[], values).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let result = update
        .apply(&av_map(item))
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    serde_json::to_string(&result).unwrap()
}

fn apply_error(expr: &str, values: &str, item: &str) -> String {
    let update = parse_with(expr, &[], values).unwrap_or_else(|e| panic!("{expr}: {e}"));
    match update.apply(&av_map(item)) {
        Ok(r) => panic!("{expr} applied: {r:?}"),
        Err(e) => e.message().unwrap_or_default(),
    }
}

fn attr(json: &str, name: &str) -> String {
    let item: serde_json::Value = serde_json::from_str(json).unwrap();
    item.get(name)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "missing".into())
}

// ---------------------------------------------------------------- application

#[test]
fn set_top_level_and_nested_attributes() {
    let out = apply(
        "SET a = :a, info.b = :b, letters[0] = :z",
        r#"{":a":{"S":"A"},":b":{"N":"2"},":z":{"N":"0"}}"#,
    );
    assert_eq!(attr(&out, "a"), r#"{"S":"A"}"#);
    assert_eq!(
        attr(&out, "info"),
        r#"{"M":{"a":{"N":"1"},"b":{"N":"2"},"list":{"L":[{"M":{"v":{"N":"1"}}}]}}}"#
    );
    assert_eq!(
        attr(&out, "letters"),
        r#"{"L":[{"N":"0"},{"N":"2"},{"N":"3"}]}"#
    );
}

#[test]
fn set_past_the_end_of_a_list_appends_in_index_order() {
    let out = apply(
        "SET letters[10] = :b, letters[7] = :a",
        r#"{":a":{"S":"a"},":b":{"S":"b"}}"#,
    );
    assert_eq!(
        attr(&out, "letters"),
        r#"{"L":[{"N":"1"},{"N":"2"},{"N":"3"},{"S":"a"},{"S":"b"}]}"#
    );
}

#[test]
fn arithmetic_is_exact() {
    let out = apply_to(
        "SET f = f + :f, t = t - :one",
        r#"{":f":{"N":"0.2"},":one":{"N":"1"}}"#,
        r#"{"f":{"N":"0.1"},"t":{"N":"1"}}"#,
    );
    assert_eq!(out, r#"{"f":{"N":"0.3"},"t":{"N":"0"}}"#);
    let out = apply_to(
        "SET n = :big + :small",
        r#"{":big":{"N":"1E+30"},":small":{"N":"1E-5"}}"#,
        "{}",
    );
    assert_eq!(
        out,
        r#"{"n":{"N":"1000000000000000000000000000000.00001"}}"#
    );
}

#[test]
fn arithmetic_overflow_reports_dynamodb_number_errors() {
    let message = apply_error(
        "SET n = n + :v",
        r#"{":v":{"N":"9.9999999999999999999999999999999999999E+125"}}"#,
        r#"{"n":{"N":"9.9999999999999999999999999999999999999E+125"}}"#,
    );
    assert_eq!(
        message,
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
}

#[test]
fn every_operand_reads_the_item_before_the_update() {
    let out = apply("SET a = tally, tally = :ten", r#"{":ten":{"N":"10"}}"#);
    assert_eq!(attr(&out, "a"), r#"{"N":"1"}"#);
    assert_eq!(attr(&out, "tally"), r#"{"N":"10"}"#);
}

#[test]
fn if_not_exists_and_list_append_nest() {
    let values = r#"{":zero":{"N":"0"},":one":{"N":"1"},":tail":{"L":[{"N":"9"}]},":empty":{"L":[]},":head":{"L":[{"N":"0"}]}}"#;
    let out = apply(
        "SET tally = if_not_exists(tally, :zero) + :one, fresh = if_not_exists(fresh, :zero), letters = list_append(letters, :tail), alt = list_append(if_not_exists(alt, :empty), :tail), front = list_append(:head, (letters))",
        values,
    );
    assert_eq!(attr(&out, "tally"), r#"{"N":"2"}"#);
    assert_eq!(attr(&out, "fresh"), r#"{"N":"0"}"#);
    assert_eq!(
        attr(&out, "letters"),
        r#"{"L":[{"N":"1"},{"N":"2"},{"N":"3"},{"N":"9"}]}"#
    );
    assert_eq!(attr(&out, "alt"), r#"{"L":[{"N":"9"}]}"#);
    assert_eq!(
        attr(&out, "front"),
        r#"{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"}]}"#
    );
}

#[test]
fn remove_attributes_and_list_elements_by_original_index() {
    let out = apply(
        "REMOVE label, letters[0], letters[2], absent, letters[9]",
        "{}",
    );
    assert_eq!(attr(&out, "label"), "missing");
    assert_eq!(attr(&out, "letters"), r#"{"L":[{"N":"2"}]}"#);
}

#[test]
fn remove_and_set_in_the_same_list_use_original_indexes() {
    let out = apply(
        "SET letters[2] = :x REMOVE letters[0]",
        r#"{":x":{"S":"x"}}"#,
    );
    assert_eq!(attr(&out, "letters"), r#"{"L":[{"N":"2"},{"S":"x"}]}"#);
}

#[test]
fn add_creates_sums_and_unites() {
    let values = r#"{":n":{"N":"5"},":s":{"SS":["b","c"]},":ns":{"NS":["3"]}}"#;
    let out = apply(
        "ADD tally :n, newnum :n, tags :s, newset :s, nums :ns",
        values,
    );
    assert_eq!(attr(&out, "tally"), r#"{"N":"6"}"#);
    assert_eq!(attr(&out, "newnum"), r#"{"N":"5"}"#);
    assert_eq!(attr(&out, "tags"), r#"{"SS":["a","b","c"]}"#);
    assert_eq!(attr(&out, "newset"), r#"{"SS":["b","c"]}"#);
    assert_eq!(attr(&out, "nums"), r#"{"NS":["1","2","3"]}"#);
}

#[test]
fn add_to_a_nested_attribute() {
    let out = apply("ADD info.a :n, info.c :n", r#"{":n":{"N":"2"}}"#);
    assert_eq!(
        attr(&out, "info"),
        r#"{"M":{"a":{"N":"3"},"c":{"N":"2"},"list":{"L":[{"M":{"v":{"N":"1"}}}]}}}"#
    );
}

#[test]
fn delete_removes_elements_and_empty_sets() {
    let out = apply(
        "DELETE tags :a, nums :all, absent :a",
        r#"{":a":{"SS":["a","z"]},":all":{"NS":["1","2"]}}"#,
    );
    assert_eq!(attr(&out, "tags"), r#"{"SS":["b"]}"#);
    assert_eq!(attr(&out, "nums"), "missing");
}

#[test]
fn sections_in_any_order_and_case() {
    let values =
        r#"{":c":{"SS":["a","b"]},":d":{"N":"5"},":e":{"SS":["a","b"]},":f":{"L":[{"S":"a"}]}}"#;
    let out = apply_to(
        "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
        values,
        r#"{"pk":{"S":"k"}}"#,
    );
    assert_eq!(
        out,
        r#"{"d":{"N":"5"},"e":{"SS":["a","b"]},"f":{"L":[{"S":"a"}]},"pk":{"S":"k"}}"#
    );
    let out = apply_to(
        "add d :d set f = :f delete c :c remove b",
        values
            .replace(",\":e\":{\"SS\":[\"a\",\"b\"]}", "")
            .as_str(),
        r#"{"pk":{"S":"k"}}"#,
    );
    assert_eq!(
        out,
        r#"{"d":{"N":"5"},"f":{"L":[{"S":"a"}]},"pk":{"S":"k"}}"#
    );
}

#[test]
fn missing_operand_attribute_is_an_error() {
    for expr in [
        "SET c = b",
        "SET e = list_append(b, c)",
        "SET n = absent + :one",
    ] {
        let values = if expr.contains(":one") {
            r#"{":one":{"N":"1"}}"#
        } else {
            "{}"
        };
        assert_eq!(
            apply_error(expr, values, r#"{"pk":{"S":"p"}}"#),
            "The provided expression refers to an attribute that does not exist in the item",
            "{expr}"
        );
    }
}

#[test]
fn operand_type_errors_at_evaluation() {
    let item = r#"{"b":{"M":{"a":{"SS":["1"]}}},"c":{"N":"1"},"d":{"NS":["1"]},"s":{"S":"x"}}"#;
    for (expr, values) in [
        ("DELETE d :a", r#"{":a":{"SS":["1"]}}"#),
        ("DELETE b :a", r#"{":a":{"NS":["1"]}}"#),
        ("DELETE b.a :a", r#"{":a":{"NS":["1"]}}"#),
        ("DELETE c :a", r#"{":a":{"NS":["1"]}}"#),
        ("ADD b :a", r#"{":a":{"NS":["1"]}}"#),
        ("ADD d :a", r#"{":a":{"N":"1"}}"#),
        ("SET e = s + :a", r#"{":a":{"N":"1"}}"#),
        ("SET e = b - :a", r#"{":a":{"N":"1"}}"#),
        (
            "SET e = list_append(d, if_not_exists(f, :a))",
            r#"{":a":{"L":[]}}"#,
        ),
    ] {
        assert_eq!(
            apply_error(expr, values, item),
            "An operand in the update expression has an incorrect data type",
            "{expr}"
        );
    }
}

#[test]
fn invalid_document_paths_at_evaluation() {
    let item = r#"{"b":{"S":"x"},"c":{"M":{"1":{"S":"a"}}},"d":{"L":[{"S":"a"},{"S":"b"}]}}"#;
    let values = r#"{":a":{"SS":["a"]}}"#;
    for expr in [
        "SET b.a = :a",
        "SET b[1] = :a",
        "SET y.a = :a",
        "SET y[1] = :a",
        "SET c[1] = :a",
        "SET d.x = :a",
        "SET d[5].x = :a",
        "REMOVE b.a",
        "REMOVE y.a",
        "REMOVE y[1]",
        "REMOVE c[1]",
        "DELETE b.a :a",
        "DELETE y[1] :a",
        "ADD y.a :a",
        "ADD c[1] :a",
    ] {
        let values = if expr.contains(":a") { values } else { "{}" };
        assert_eq!(
            apply_error(expr, values, item),
            "The document path provided in the update expression is invalid for update",
            "{expr}"
        );
    }
    // A nested path into a new item fails the same way.
    assert_eq!(
        apply_error("SET b.a = :a", values, r#"{"pk":{"S":"p"}}"#),
        "The document path provided in the update expression is invalid for update"
    );
}

#[test]
fn remove_of_a_missing_map_key_or_list_index_is_fine() {
    let out = apply("REMOVE info.zz, letters[99]", "{}");
    assert_eq!(
        attr(&out, "letters"),
        r#"{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}"#
    );
}

#[test]
fn names_substitute_in_targets_and_operands() {
    let update = parse_with(
        "SET #a = #b, #c.#d = :v",
        &[("#a", "x.y"), ("#b", "label"), ("#c", "info"), ("#d", "q")],
        r#"{":v":{"N":"1"}}"#,
    )
    .unwrap();
    let out = serde_json::to_string(&update.apply(&av_map(ITEM)).unwrap()).unwrap();
    assert_eq!(attr(&out, "x.y"), r#"{"S":"x"}"#);
    assert!(attr(&out, "info").contains(r#""q":{"N":"1"}"#));
}

#[test]
fn touched_names_nested_heads_and_static_types() {
    let update = parse_with(
        "SET a = :n, b.c = d[1], e = f + :n, g = list_append(:l, h), i = if_not_exists(j, :s) REMOVE k.l ADD m :n DELETE o :ss",
        &[],
        r#"{":n":{"N":"1"},":l":{"L":[]},":s":{"S":"x"},":ss":{"SS":["x"]}}"#,
    )
    .unwrap();
    assert_eq!(
        update
            .touched_top_level_names()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["a", "b", "e", "g", "i", "k", "m", "o"]
    );
    assert_eq!(
        update.nested_path_heads().into_iter().collect::<Vec<_>>(),
        vec!["b", "d", "k"]
    );
    assert_eq!(
        update.top_level_value_types(),
        vec![
            ("a".to_string(), ValueType::N),
            ("e".to_string(), ValueType::N),
            ("g".to_string(), ValueType::L),
            ("i".to_string(), ValueType::S),
            ("m".to_string(), ValueType::N),
            ("o".to_string(), ValueType::Ss),
        ]
    );
    assert_eq!(update.target_paths().len(), 8);
}

#[test]
fn refuses_to_update_key_attributes() {
    let schema = KeySchema {
        hash: KeyAttribute {
            name: "a".into(),
            scalar: ScalarType::S,
        },
        range: Some(KeyAttribute {
            name: "b".into(),
            scalar: ScalarType::S,
        }),
        more_hash: Vec::new(),
        more_range: Vec::new(),
    };
    for expr in [
        "ADD a.b :n",
        "REMOVE d SET b = :n, a = :n",
        "SET x = :n, b[1] = :n",
    ] {
        let update = parse_with(expr, &[], r#"{":n":{"N":"1"}}"#).unwrap();
        let message = update
            .check_key_attributes(&schema)
            .unwrap_err()
            .message()
            .unwrap();
        let key = if expr.contains("a =") || expr.starts_with("ADD a") {
            "a"
        } else {
            "b"
        };
        assert_eq!(
            message,
            format!(
                "One or more parameter values were invalid: Cannot update attribute {key}. This attribute is part of the key"
            ),
            "{expr}"
        );
    }
    let update = parse_with("SET c = :n", &[], r#"{":n":{"N":"1"}}"#).unwrap();
    assert!(update.check_key_attributes(&schema).is_ok());
}

// ---------------------------------------------------------------- validation

#[test]
fn syntax_errors() {
    for expr in [
        "whatever",
        "set a",
        "add a",
        "delete a",
        "set a=set",
        "remove a = b",
        "add a = b",
        "delete a = b",
        "delete a b",
        "delete a if_not_exist(b)",
        "add abort b",
        "add a if_not_exist(b)",
        "remove a b",
        "set a b",
        "set :a = b",
        "add :a b",
        "delete :a b",
        "remove :a",
        "set a = b / c",
        "set a = b * c",
        "set a[1] = \"eight\"",
        "set a[1] = 1",
        "SET a = if_not_exist(a, 100)",
        "SET if_not_exist(a, b) = a",
        "set (a = (b + c))",
        "set a = (b.c).d + e",
        "set a = (b.c)[0] + e",
        "set a = b + c + d",
        "SET a = :v,",
        "SET a = :v, REMOVE b",
    ] {
        let message = error_with(expr, &[], r#"{":v":{"N":"1"}}"#);
        assert!(message.starts_with("Syntax error; "), "{expr}: {message}");
    }
}

#[test]
fn syntax_errors_name_token_and_context() {
    assert_eq!(
        error("SET path = VALUE 1"),
        "Syntax error; token: \"1\", near: \"VALUE 1\""
    );
    assert_eq!(
        error("SET a = if_not_exists(a, 0)"),
        "Syntax error; token: \"0\", near: \", 0)\""
    );
    assert_eq!(
        error("SET a = "),
        "Syntax error; token: \"<EOF>\", near: \"= \""
    );
    assert_eq!(
        error("SET"),
        "Syntax error; token: \"<EOF>\", near: \"SET\""
    );
    assert_eq!(
        error("ADD numx"),
        "Syntax error; token: \"<EOF>\", near: \"numx\""
    );
    assert_eq!(
        error("SET a = b +"),
        "Syntax error; token: \"<EOF>\", near: \"+\""
    );
    assert_eq!(
        error("set a = b + c + d"),
        "Syntax error; token: \"+\", near: \"c + d\""
    );
}

#[test]
fn parenthesised_values_are_accepted() {
    assert!(parse_with("set a = (b + c)", &[], "{}").is_ok());
    assert!(parse_with("set a = ((b) + (c))", &[], "{}").is_ok());
    assert!(parse_with("set a = (:v)", &[], r#"{":v":{"N":"1"}}"#).is_ok());
}

#[test]
fn reserved_words() {
    assert_eq!(
        error_with(" set #c = :c set abOrt = true ", &[], "{}"),
        "Attribute name is a reserved keyword; reserved keyword: abOrt"
    );
    assert_eq!(
        error(" remove Absolute "),
        "Attribute name is a reserved keyword; reserved keyword: Absolute"
    );
    assert_eq!(
        error("SET status = :s"),
        "Attribute name is a reserved keyword; reserved keyword: status"
    );
}

#[test]
fn unknown_functions() {
    assert_eq!(
        error("set #c = if_not_exist(:c) set c = d"),
        "Invalid function name; function: if_not_exist"
    );
    assert_eq!(
        error("SET a = size(b)"),
        "The function is not allowed in an update expression; function: size"
    );
    assert_eq!(
        error_with(
            "SET a = list_append(list_append(:a, :b), :c)",
            &[],
            r#"{":a":{"L":[]},":b":{"L":[]},":c":{"L":[]}}"#
        ),
        "The function is not allowed to be used this way in an expression; function: list_append"
    );
}

#[test]
fn each_section_only_once() {
    for (expr, section) in [
        ("set a = #c set c = :d", "SET"),
        ("remove #d set a = b remove e", "REMOVE"),
        ("add #d :e set a = b add e :f", "ADD"),
        ("delete #d :e set a = b delete #e :f", "DELETE"),
        ("ADD x :one SET a = :a ADD y :one", "ADD"),
    ] {
        assert_eq!(
            error(expr),
            format!("The \"{section}\" section can only be used once in an update expression;"),
            "{expr}"
        );
    }
}

#[test]
fn undefined_names_before_values() {
    assert_eq!(
        error("SET a = :v, #c = if_not_exists(:c)"),
        "An expression attribute name used in the document path is not defined; attribute name: #c"
    );
    assert_eq!(
        error_with("SET #a = if_not_exists(:c)", &[("#a", "a")], "{}"),
        "An expression attribute value used in expression is not defined; attribute value: :c"
    );
}

#[test]
fn overlapping_paths() {
    let names = [("#c", "c"), ("#d", "[3]")];
    for (expr, one, two) in [
        (
            "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)",
            "[c, [1], a]",
            "[c]",
        ),
        ("set c.b.#c = a, c = a, #d = a", "[c, b, c]", "[c]"),
        ("set a = b remove a, #c, #d", "[a]", "[a]"),
        ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
        ("remove c, #c.a, #d", "[c]", "[c, a]"),
        ("remove a, #c, a, #d", "[a]", "[a]"),
    ] {
        assert_eq!(
            error_with(expr, &names, "{}"),
            format!(
                "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn conflicting_paths() {
    let names = [("#c", "c"), ("#d", "[3]")];
    for (expr, one, two) in [
        (
            "set #c[3].#d = a, #c.#d[3] = if_not_exists(a)",
            "[c, [3], [3]]",
            "[c, [3], [3]]",
        ),
        ("remove a.#c set a[1] = #d", "[a, c]", "[a, [1]]"),
    ] {
        assert_eq!(
            error_with(expr, &names, "{}"),
            format!(
                "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn add_and_delete_operand_types() {
    for (expr, value, op, shown) in [
        (
            "set b = list_append(:a, a), c = if_not_exists(a) add a.b :a",
            r#"{"S":"a"}"#,
            "ADD",
            "STRING",
        ),
        ("delete a.b :a", r#"{"S":"a"}"#, "DELETE", "STRING"),
        ("add a.b :a", r#"{"NULL":true}"#, "ADD", "NULL"),
        ("delete a.b :a", r#"{"NULL":true}"#, "DELETE", "NULL"),
        ("add a.b :a", r#"{"BOOL":false}"#, "ADD", "BOOLEAN"),
        ("add a.b :a", r#"{"B":"YQ=="}"#, "ADD", "BINARY"),
        ("add a.b :a", r#"{"M":{}}"#, "ADD", "MAP"),
        ("delete a.b :a", r#"{"L":[]}"#, "DELETE", "LIST"),
        ("delete a.b :a", r#"{"N":"1"}"#, "DELETE", "NUMBER"),
    ] {
        let values = format!(r#"{{":a":{value}}}"#);
        assert_eq!(
            error_with(expr, &[], &values),
            format!(
                "Incorrect operand type for operator or function; operator: {op}, operand type: {shown}, typeSet: ALLOWED_FOR_{op}_OPERAND"
            ),
            "{expr}"
        );
    }
}

#[test]
fn function_operand_counts_paths_and_types() {
    assert_eq!(
        error("set a = if_not_exists(c)"),
        "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"
    );
    assert_eq!(
        error("set a = list_append(c)"),
        "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"
    );
    assert_eq!(
        error_with("set a = if_not_exists(:a, c)", &[], r#"{":a":{"S":"a"}}"#),
        "Operator or function requires a document path; operator or function: if_not_exists"
    );
    assert_eq!(
        error("set a = if_not_exists(if_not_exists(a, b), c)"),
        "Operator or function requires a document path; operator or function: if_not_exists"
    );
    let values = r#"{":a":{"S":"a"},":b":{"N":"1"},":c":{"B":"YQ=="},":d":{"BOOL":false},":e":{"NULL":true},":f":{"SS":["a"]},":g":{"NS":["1"]},":h":{"BS":["YQ=="]},":i":{"M":{}},":j":{"L":[]}}"#;
    for (expr, op, t) in [
        ("set a = list_append(:a, a)", "list_append", "S"),
        ("set a = list_append(a, :b)", "list_append", "N"),
        ("set a = list_append(:i, a)", "list_append", "M"),
        ("set a = a + :a", "+", "S"),
        ("set a = :a + :c", "+", "S"),
        ("set a = :c + a", "+", "B"),
        ("set a = a + :j", "+", "L"),
        ("set a = a - :f", "-", "SS"),
        ("set a = a - :e", "-", "NULL"),
    ] {
        assert_eq!(
            error_with(expr, &[], values),
            format!(
                "Incorrect operand type for operator or function; operator or function: {op}, operand type: {t}"
            ),
            "{expr}"
        );
    }
}

#[test]
fn error_precedence() {
    // A reserved word comes before an unknown function and a repeated section.
    assert_eq!(
        error("SET a = foo(b) SET size = :v"),
        "Attribute name is a reserved keyword; reserved keyword: size"
    );
    // An unknown function comes before a repeated section.
    assert_eq!(
        error("SET a = foo(b) SET c = :v"),
        "Invalid function name; function: foo"
    );
    // Overlap comes before operand types.
    assert_eq!(
        error_with("SET a = :s ADD a :s", &[], r#"{":s":{"S":"x"}}"#),
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"
    );
}

#[test]
fn empty_expression() {
    assert_eq!(error(""), "The expression can not be empty;");
}

#[test]
fn deep_nesting_is_refused() {
    // On a stack like the server's runtime threads' (an unoptimised build needs it at this depth).
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(|| {
            let expr = format!("SET a = {}b{}", "(".repeat(500), ")".repeat(500));
            let message = error_with(&expr, &[], "{}");
            assert!(
                message.starts_with("The expression is nested too deeply"),
                "{message}"
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn three_hundred_arithmetic_operators_at_most() {
    let sum = |terms: usize| {
        format!(
            "SET a = {}",
            vec!["if_not_exists(b, :v)"; terms].join(" + ")
        )
    };
    // `+` does not chain: a second one is a syntax error, long before the limit.
    assert!(error_with(&sum(3), &[], r#"{":v":{"N":"1"}}"#).starts_with("Syntax error"));
    let actions: Vec<String> = (0..301).map(|i| format!("a{i}=:v+:v")).collect();
    assert_eq!(
        error_with(
            &format!("SET {}", actions.join(", ")),
            &[],
            r#"{":v":{"N":"1"}}"#
        ),
        "The expression contains too many operators; operator count: 301"
    );
}

#[test]
fn the_statement_charge_follows_dynamodbs_recorded_costs() {
    // The figures AWS was measured at (dynamodb-conformance, 2026-10): 3 for the update, then per clause.
    let charge = |expr: &str, names: &[(&str, &str)], values: &str, item: &str| {
        parse_with(expr, names, values)
            .unwrap()
            .statement_charge(Some(&av_map(item)))
            .unwrap()
    };
    let ten = r#"{"S":"yyyyyyyyyy"}"#;
    // SET b = :v: 19 + the target + the value.
    assert_eq!(
        charge("SET b = :v", &[], &format!(r#"{{":v":{ten}}}"#), "{}"),
        3 + 19 + 1 + 10
    );
    // An alias is charged for the name it stands for.
    assert_eq!(
        charge(
            "SET #twelvechars = :v",
            &[("#twelvechars", "b")],
            &format!(r#"{{":v":{ten}}}"#),
            "{}"
        ),
        3 + 19 + 1 + 10
    );
    // Path operands: 1, plus 14 and the element per step; the value read is free.
    assert_eq!(
        charge("SET c = m.a.z", &[], "{}", "{}"),
        3 + 19 + 1 + (1 + 15 + 15 + 15)
    );
    assert_eq!(
        charge("SET c = l[10]", &[], "{}", "{}"),
        3 + 19 + 1 + (1 + 15 + 16)
    );
    // Targets: the first name, plus 4 and the element per later step.
    assert_eq!(
        charge("SET d[0] = :v", &[], r#"{":v":{"S":"x"}}"#, "{}"),
        3 + 19 + (1 + 5) + 1
    );
    assert_eq!(
        charge("REMOVE m.yyyyyyyyyy", &[], "{}", "{}"),
        3 + 1 + (1 + 14)
    );
    assert_eq!(charge("REMOVE l[10]", &[], "{}", "{}"), 3 + 1 + (1 + 6));
    // Functions and arithmetic: their own cost plus their operands, whatever the result.
    let one = r#"{":one":{"N":"1"}}"#;
    assert_eq!(
        charge("SET n = n + :one", &[], one, "{}"),
        3 + 19 + 1 + 34 + 16 + 2
    );
    assert_eq!(
        charge("SET n = n - :one", &[], one, "{}"),
        3 + 19 + 1 + 37 + 16 + 2
    );
    assert_eq!(
        charge(
            "SET c = if_not_exists(c, :v)",
            &[],
            r#"{":v":{"S":"v"}}"#,
            "{}"
        ),
        3 + 19 + 1 + 39 + 16 + 1
    );
    assert_eq!(
        charge(
            "SET l = list_append(l, :new)",
            &[],
            &format!(r#"{{":new":{{"L":[{ten}]}}}}"#),
            "{}"
        ),
        3 + 19 + 1 + 37 + 16 + (3 + 1 + 10)
    );
    // A value used twice is charged twice.
    assert_eq!(
        charge("SET c = :s, d = :s", &[], r#"{":s":{"S":"sss"}}"#, "{}"),
        3 + 2 * (19 + 1 + 3)
    );
    // ADD charges the members it adds; DELETE only its path.
    let add = r#"{":new":{"SS":["aaaaa","bbb"]}}"#;
    assert_eq!(charge("ADD ss :new", &[], add, "{}"), 3 + 19 + 2 + 8);
    assert_eq!(
        charge("ADD ss :new", &[], add, r#"{"ss":{"SS":["aaaaa"]}}"#),
        3 + 19 + 2 + 3
    );
    assert_eq!(charge("DELETE ss :new", &[], add, "{}"), 3 + 1 + 2);
}
