//! Tests of the request bundle: parameter mixing, placeholder maps, per-parameter prefixes, unused placeholders,
//! and robustness against random input.

use std::collections::BTreeMap;

use eddy_model::{AttributeMap, KeyAttribute, KeySchema, ScalarType};

use super::{
    ExpressionInputs, Operation, check_scalar_key_paths, invalid_expression_value_message,
    parse_request,
};
use crate::legacy::{AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition};

fn av_map(json: &str) -> AttributeMap {
    serde_json::from_str(json).unwrap()
}

fn names_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn message(inputs: &ExpressionInputs<'_>) -> String {
    parse_request(inputs)
        .unwrap_err()
        .message()
        .unwrap_or_default()
}

#[test]
fn mixing_expression_and_legacy_parameters() {
    let expected: BTreeMap<String, ExpectedAttributeValue> = BTreeMap::new();
    let mut inputs = ExpressionInputs::new(Operation::PutItem);
    inputs.expected = Some(&expected);
    inputs.condition_expression = Some("attribute_exists(a)");
    assert_eq!(
        message(&inputs),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
}

#[test]
fn mixing_lists_every_parameter_in_dynamodb_order() {
    let filter: BTreeMap<String, LegacyCondition> = BTreeMap::new();
    let names = vec!["a".to_string()];
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.scan_filter = Some(&filter);
    inputs.attributes_to_get = Some(&names);
    inputs.conditional_operator = Some("OR");
    inputs.filter_expression = Some("");
    inputs.projection_expression = Some("");
    assert_eq!(
        message(&inputs),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet, ScanFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"
    );
}

#[test]
fn query_key_conditions_may_accompany_other_expressions() {
    let key: BTreeMap<String, LegacyCondition> = serde_json::from_str(
        r#"{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"p"}]}}"#,
    )
    .unwrap();
    let values = av_map(r#"{":v":{"N":"1"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::Query);
    inputs.key_conditions = Some(&key);
    inputs.filter_expression = Some("n = :v");
    inputs.values = Some(&values);
    let parsed = parse_request(&inputs).unwrap();
    assert!(parsed.key_condition.is_some() && parsed.filter.is_some());
    inputs.key_condition_expression = Some("pk = :v");
    assert_eq!(
        message(&inputs),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {FilterExpression, KeyConditionExpression}"
    );
}

#[test]
fn placeholder_maps_need_expressions() {
    let names = names_of(&[("#a", "a")]);
    let values = av_map(r#"{":v":{"N":"1"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::GetItem);
    inputs.names = Some(&names);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeNames can only be specified when using expressions"
    );

    let mut inputs = ExpressionInputs::new(Operation::Query);
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"
    );
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"
    );
    // The single-item writes no longer name the missing expressions (AWS, 2026-10).
    for op in [
        Operation::PutItem,
        Operation::UpdateItem,
        Operation::DeleteItem,
    ] {
        let mut inputs = ExpressionInputs::new(op);
        inputs.values = Some(&values);
        assert_eq!(
            message(&inputs),
            "ExpressionAttributeValues can only be specified when using expressions"
        );
    }
    // A transaction's Put, Delete or Get without expressions ignores them (AWS, 2026).
    for op in [
        Operation::TransactPut,
        Operation::TransactDelete,
        Operation::TransactGet,
    ] {
        let mut inputs = ExpressionInputs::new(op);
        inputs.values = Some(&values);
        inputs.names = Some(&names);
        assert!(parse_request(&inputs).is_ok(), "{op:?}");
    }
    let mut inputs = ExpressionInputs::new(Operation::TransactConditionCheck);
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
    );
    // A projection alone does not use values.
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.values = Some(&values);
    inputs.projection_expression = Some("a");
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"
    );
}

#[test]
fn placeholder_maps_must_not_be_empty() {
    let names = BTreeMap::new();
    let values = AttributeMap::new();
    let mut inputs = ExpressionInputs::new(Operation::GetItem);
    inputs.projection_expression = Some("");
    inputs.names = Some(&names);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeNames must not be empty"
    );
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("");
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues must not be empty"
    );
}

#[test]
fn placeholder_keys_must_be_well_formed() {
    let names = names_of(&[("a", "a")]);
    let values = av_map(r#"{"b":{"S":"a"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("");
    inputs.names = Some(&names);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
    );
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("");
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"b\""
    );
}

#[test]
fn empty_expressions_are_reported_per_parameter() {
    let values = av_map(r#"{":0":{"S":"b"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("");
    inputs.projection_expression = Some("");
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "Invalid FilterExpression: The expression can not be empty;"
    );
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("a > b");
    inputs.projection_expression = Some("");
    assert_eq!(
        message(&inputs),
        "Invalid ProjectionExpression: The expression can not be empty;"
    );
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.update_expression = Some("");
    inputs.condition_expression = Some("");
    assert_eq!(
        message(&inputs),
        "Invalid UpdateExpression: The expression can not be empty;"
    );
    inputs.update_expression = Some("REMOVE a");
    assert_eq!(
        message(&inputs),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
}

#[test]
fn undefined_placeholders_carry_the_parameter_prefix() {
    let mut inputs = ExpressionInputs::new(Operation::PutItem);
    inputs.condition_expression = Some("#x = :y");
    assert_eq!(
        message(&inputs),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"
    );
    let names = names_of(&[("#x", "x")]);
    inputs.names = Some(&names);
    assert_eq!(
        message(&inputs),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :y"
    );
}

#[test]
fn unused_placeholders_across_all_expressions() {
    let names = names_of(&[("#a", "a"), ("#b", "b")]);
    let values = av_map(r#"{":a":{"S":"a"},":b":{"S":"a"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.update_expression = Some("remove a set b = list_append(b, if_not_exists(a, :a))");
    inputs.condition_expression = Some("a = :b");
    inputs.names = Some(&names);
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    );

    let values = av_map(r#"{":a":{"S":"a"},":b":{"S":"a"},":c":{"S":"a"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.update_expression = Some("remove a");
    inputs.condition_expression = Some("a = :b");
    inputs.values = Some(&values);
    assert_eq!(
        message(&inputs),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}"
    );
}

#[test]
fn placeholders_shared_between_expressions_count_as_used() {
    let names = names_of(&[("#s", "status")]);
    let values = av_map(r#"{":v":{"S":"x"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.update_expression = Some("SET #s = :v");
    inputs.condition_expression = Some("#s <> :v");
    inputs.names = Some(&names);
    inputs.values = Some(&values);
    let parsed = parse_request(&inputs).unwrap();
    assert!(parsed.update.is_some() && parsed.condition.is_some());
}

#[test]
fn projection_names_count_as_used() {
    let names = names_of(&[("#n", "name")]);
    let mut inputs = ExpressionInputs::new(Operation::GetItem);
    inputs.projection_expression = Some("#n, a.b[1]");
    inputs.names = Some(&names);
    let parsed = parse_request(&inputs).unwrap();
    assert_eq!(
        parsed
            .projection
            .unwrap()
            .top_level_names()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["a", "name"]
    );
}

#[test]
fn query_needs_a_key_condition() {
    let inputs = ExpressionInputs::new(Operation::Query);
    assert_eq!(
        message(&inputs),
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
    );
}

#[test]
fn a_full_query_parses_every_part() {
    let names = names_of(&[("#s", "status")]);
    let values = av_map(r#"{":p":{"S":"p"},":lo":{"N":"1"},":hi":{"N":"9"},":x":{"S":"open"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::Query);
    inputs.key_condition_expression = Some("pk = :p AND sk BETWEEN :lo AND :hi");
    inputs.filter_expression = Some("#s = :x");
    inputs.projection_expression = Some("pk, sk, #s");
    inputs.names = Some(&names);
    inputs.values = Some(&values);
    let parsed = parse_request(&inputs).unwrap();
    assert_eq!(
        parsed.key_condition.unwrap().attribute_names(),
        vec!["pk", "sk"]
    );
    assert!(
        parsed
            .filter
            .unwrap()
            .evaluate(Some(&av_map(r#"{"status":{"S":"open"}}"#)))
    );
    assert_eq!(parsed.projection.unwrap().paths().len(), 3);
}

#[test]
fn legacy_forms_convert_when_alone() {
    let expected: BTreeMap<String, ExpectedAttributeValue> =
        serde_json::from_str(r#"{"a":{"Exists":false}}"#).unwrap();
    let updates: BTreeMap<String, AttributeValueUpdate> =
        serde_json::from_str(r#"{"b":{"Value":{"N":"1"}}}"#).unwrap();
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.expected = Some(&expected);
    inputs.attribute_updates = Some(&updates);
    let parsed = parse_request(&inputs).unwrap();
    assert!(parsed.condition.unwrap().evaluate(None));
    let item = parsed
        .update
        .unwrap()
        .apply(&av_map(r#"{"k":{"S":"k"}}"#))
        .unwrap();
    assert_eq!(
        serde_json::to_string(&item).unwrap(),
        r#"{"b":{"N":"1"},"k":{"S":"k"}}"#
    );
}

#[test]
fn expressions_an_operation_lacks_are_ignored() {
    let mut inputs = ExpressionInputs::new(Operation::TransactConditionCheck);
    inputs.condition_expression = Some("attribute_exists(a)");
    inputs.update_expression = Some("this is not parsed");
    let parsed = parse_request(&inputs).unwrap();
    assert!(parsed.condition.is_some() && parsed.update.is_none());
}

#[test]
fn key_attributes_must_not_be_reached_into() {
    let key = |name: &str| KeyAttribute {
        name: name.into(),
        scalar: ScalarType::S,
    };
    let table = KeySchema {
        hash: key("a"),
        range: Some(key("b")),
        more_hash: Vec::new(),
        more_range: Vec::new(),
    };
    let index = KeySchema {
        hash: key("c"),
        range: Some(key("d")),
        more_hash: Vec::new(),
        more_range: Vec::new(),
    };
    let values = av_map(r#"{":v":{"N":"1"}}"#);
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("attribute_exists(a.b.c) AND x = :v");
    inputs.values = Some(&values);
    let heads = parse_request(&inputs)
        .unwrap()
        .filter
        .unwrap()
        .nested_path_heads();
    assert_eq!(
        check_scalar_key_paths(&heads, &table, &[&index])
            .unwrap_err()
            .message()
            .unwrap(),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a"
    );
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.update_expression = Some("SET e = list_append(x, y), f = d[1]");
    let heads = parse_request(&inputs)
        .unwrap()
        .update
        .unwrap()
        .nested_path_heads();
    assert_eq!(
        check_scalar_key_paths(&heads, &table, &[&index])
            .unwrap_err()
            .message()
            .unwrap(),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: d"
    );
    assert!(check_scalar_key_paths(&heads, &table, &[]).is_ok());
}

#[test]
fn invalid_expression_values_name_their_placeholder() {
    assert_eq!(
        invalid_expression_value_message(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ":b"
        ),
        "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :b"
    );
}

// ---------------------------------------------------------------- robustness

/// A small deterministic generator (xorshift) so the garbage is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const PIECES: &[&str] = &[
    "a",
    "b",
    ".",
    "[",
    "]",
    "0",
    "12",
    "(",
    ")",
    ",",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    " ",
    "#n",
    "#m",
    ":v",
    ":w",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "SET",
    "REMOVE",
    "ADD",
    "DELETE",
    "size",
    "contains",
    "begins_with",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "if_not_exists",
    "list_append",
    "_",
    "!",
    "ü",
    "\"",
    "views",
    "\n",
    "99999999999999999999999",
    "((",
    "))",
];

fn random_expression(rng: &mut Rng) -> String {
    let len = 1 + (rng.next() % 24) as usize;
    (0..len)
        .map(|_| rng.pick(PIECES))
        .collect::<Vec<_>>()
        .join(if rng.next().is_multiple_of(2) {
            " "
        } else {
            ""
        })
}

#[test]
fn random_garbage_never_panics() {
    let names = names_of(&[("#n", "n"), ("#m", "m.x")]);
    let values = av_map(r#"{":v":{"N":"1"},":w":{"L":[{"S":"x"}]}}"#);
    let item =
        av_map(r#"{"a":{"L":[{"N":"1"},{"M":{"b":{"S":"x"}}}]},"b":{"N":"2"},"n":{"SS":["v"]}}"#);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..4000 {
        let text = random_expression(&mut rng);
        for op in [
            Operation::Scan,
            Operation::UpdateItem,
            Operation::Query,
            Operation::GetItem,
        ] {
            let mut inputs = ExpressionInputs::new(op);
            match op {
                Operation::Scan => inputs.filter_expression = Some(&text),
                Operation::UpdateItem => inputs.update_expression = Some(&text),
                Operation::Query => inputs.key_condition_expression = Some(&text),
                _ => inputs.projection_expression = Some(&text),
            }
            inputs.names = Some(&names);
            inputs.values = Some(&values);
            let Ok(parsed) = parse_request(&inputs) else {
                continue;
            };
            if let Some(filter) = parsed.filter {
                filter.evaluate(Some(&item));
            }
            if let Some(update) = parsed.update {
                let _ = update.apply(&item);
            }
            if let Some(projection) = parsed.projection {
                projection.apply(&item);
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..2000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for op in [Operation::Scan, Operation::UpdateItem, Operation::GetItem] {
            let mut inputs = ExpressionInputs::new(op);
            inputs.filter_expression = Some(&text);
            inputs.update_expression = Some(&text);
            inputs.projection_expression = Some(&text);
            let _ = parse_request(&inputs);
        }
    }
}

/// A request without expression members skips the three phases; they would have found nothing either (a
/// Query, which must have a key condition, still takes them).
#[test]
fn a_request_without_expression_members_parses_to_nothing_in_every_operation() {
    use super::{check_legacy, check_parameter_mix, parse_expressions};
    let operations = [
        Operation::GetItem,
        Operation::BatchGetItem,
        Operation::PutItem,
        Operation::DeleteItem,
        Operation::UpdateItem,
        Operation::Query,
        Operation::Scan,
        Operation::TransactGet,
        Operation::TransactConditionCheck,
        Operation::TransactPut,
        Operation::TransactDelete,
        Operation::TransactUpdate,
    ];
    for op in operations {
        let inputs = ExpressionInputs::new(op);
        let phases = check_parameter_mix(&inputs)
            .and_then(|()| check_legacy(&inputs))
            .and_then(|()| parse_expressions(&inputs));
        if op != Operation::Query {
            assert_eq!(phases, Ok(Default::default()), "{op:?}");
        }
        assert_eq!(parse_request(&inputs), phases, "{op:?}");
    }
    let names = names_of(&[("#a", "a")]);
    let inputs = ExpressionInputs {
        names: Some(&names),
        ..ExpressionInputs::new(Operation::PutItem)
    };
    assert!(
        parse_request(&inputs).is_err(),
        "a member present takes the full path"
    );
}

// ---------------------------------------------------------------- well-formed random expressions

/// Random expressions from the grammar (rather than token soup), so that most parse and the evaluation of
/// every function, operator and update action is exercised against values of every type, numbers at the
/// limits of their range and paths into lists and maps that exist, do not, or are of another type.
struct Grammar<'r>(&'r mut Rng);

const PATHS: &[&str] = &[
    "a", "b", "n", "s", "l", "m", "big", "#n", "#m", "a[0]", "a[1].b", "a[99999]", "l[0][0]",
    "m.x.y", "m.x", "s[0]", "b.c", "l[2]", "#n[0]", "new", "new.x",
];
const VALUES: &[&str] = &[
    ":n", ":s", ":ss", ":ns", ":bs", ":b", ":l", ":m", ":t", ":null", ":big", ":tiny", ":neg",
    ":type",
];

impl Grammar<'_> {
    fn path(&mut self) -> String {
        self.0.pick(PATHS).to_string()
    }

    fn operand(&mut self) -> String {
        match self.0.next() % 4 {
            0 => format!("size({})", self.path()),
            1 => self.0.pick(VALUES).to_string(),
            _ => self.path(),
        }
    }

    fn condition(&mut self, depth: u32) -> String {
        let pick = if depth > 3 {
            self.0.next() % 6
        } else {
            self.0.next() % 9
        };
        match pick {
            0 => format!(
                "{} {} {}",
                self.operand(),
                self.0.pick(&["=", "<>", "<", "<=", ">", ">="]),
                self.operand()
            ),
            1 => format!(
                "{} BETWEEN {} AND {}",
                self.operand(),
                self.operand(),
                self.operand()
            ),
            2 => format!(
                "{} IN ({}, {})",
                self.operand(),
                self.operand(),
                self.operand()
            ),
            3 => format!(
                "{}({}, {})",
                self.0.pick(&["begins_with", "contains", "attribute_type"]),
                self.path(),
                self.operand()
            ),
            4 => format!(
                "{}({})",
                self.0.pick(&["attribute_exists", "attribute_not_exists"]),
                self.path()
            ),
            5 => format!("size({}) > :n", self.path()),
            6 => format!("NOT ({})", self.condition(depth + 1)),
            _ => format!(
                "({}) {} ({})",
                self.condition(depth + 1),
                self.0.pick(&["AND", "OR"]),
                self.condition(depth + 1)
            ),
        }
    }

    fn value(&mut self) -> String {
        match self.0.next() % 5 {
            0 => format!(
                "{} {} {}",
                self.operand(),
                self.0.pick(&["+", "-"]),
                self.operand()
            ),
            1 => format!("if_not_exists({}, {})", self.path(), self.operand()),
            2 => format!("list_append({}, {})", self.operand(), self.operand()),
            _ => self.operand(),
        }
    }

    fn update(&mut self) -> String {
        let mut clauses = Vec::new();
        for clause in ["SET", "REMOVE", "ADD", "DELETE"] {
            if !self.0.next().is_multiple_of(3) {
                continue;
            }
            let count = 1 + self.0.next() % 2;
            let actions: Vec<String> = (0..count)
                .map(|_| match clause {
                    "SET" => format!("{} = {}", self.path(), self.value()),
                    "REMOVE" => self.path(),
                    _ => format!("{} {}", self.path(), self.0.pick(VALUES)),
                })
                .collect();
            clauses.push(format!("{clause} {}", actions.join(", ")));
        }
        if clauses.is_empty() {
            clauses.push(format!("SET {} = {}", self.path(), self.value()));
        }
        clauses.join(" ")
    }
}

/// Whether `text` names the placeholder `key` (not merely a longer one that starts like it).
fn names_placeholder(text: &str, key: &str) -> bool {
    text.match_indices(key).any(|(at, _)| {
        text[at + key.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
    })
}

/// Parses a condition and/or an update with only the names and values they use (unused ones are an error).
fn parse_with_used(
    condition: Option<&str>,
    update: Option<&str>,
    names: &BTreeMap<String, String>,
    values: &AttributeMap,
) -> Option<super::ParsedExpressions> {
    let text = format!("{} {}", condition.unwrap_or(""), update.unwrap_or(""));
    let names: BTreeMap<String, String> = names
        .iter()
        .filter(|(k, _)| names_placeholder(&text, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let values: AttributeMap = values
        .iter()
        .filter(|(k, _)| names_placeholder(&text, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut inputs = ExpressionInputs::new(Operation::UpdateItem);
    inputs.condition_expression = condition;
    inputs.update_expression = update;
    inputs.names = (!names.is_empty()).then_some(&names);
    inputs.values = (!values.is_empty()).then_some(&values);
    parse_request(&inputs).ok()
}

#[test]
fn random_well_formed_expressions_evaluate_without_panicking() {
    let names = names_of(&[("#n", "n"), ("#m", "m")]);
    let values = av_map(
        r#"{":n":{"N":"1"},":s":{"S":"x"},":ss":{"SS":["x","y"]},":ns":{"NS":["1","2"]},":bs":{"BS":["AAE="]},
            ":b":{"B":"AAE="},":l":{"L":[{"N":"1"},{"L":[]}]},":m":{"M":{"x":{"M":{"y":{"N":"3"}}}}},
            ":t":{"BOOL":true},":null":{"NULL":true},":big":{"N":"9.9999999999999999999999999999999999999E+125"},
            ":tiny":{"N":"1E-130"},":neg":{"N":"-9.9999999999999999999999999999999999999E+125"},":type":{"S":"L"}}"#,
    );
    let start = av_map(
        r#"{"a":{"L":[{"N":"1"},{"M":{"b":{"S":"x"}}}]},"b":{"N":"2"},"n":{"SS":["v"]},"s":{"S":"text"},
            "l":{"L":[{"L":[{"S":"deep"}]}]},"m":{"M":{"x":{"M":{"y":{"N":"1"}}}}},
            "big":{"N":"9.9999999999999999999999999999999999999E+125"}}"#,
    );
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let (mut conditions, mut updates) = (0, 0);
    let rounds: usize = std::env::var("EDDY_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    for _ in 0..rounds {
        let mut item = start.clone();
        for _ in 0..8 {
            let mut grammar = Grammar(&mut rng);
            let (condition, update) = (grammar.condition(0), grammar.update());
            let parsed = [
                (Some(condition.as_str()), None),
                (None, Some(update.as_str())),
            ]
            .into_iter()
            .filter_map(|(c, u)| parse_with_used(c, u, &names, &values));
            for parsed in parsed {
                if let Some(c) = parsed.condition {
                    conditions += 1;
                    c.evaluate(Some(&item));
                    c.evaluate(None);
                }
                if let Some(u) = parsed.update
                    && let Ok(next) = u.apply(&item)
                {
                    updates += 1;
                    item = next;
                }
            }
        }
    }
    // The grammar reaches evaluation, not just the parser's errors.
    assert!(
        conditions > 4000 && updates > 800,
        "{conditions} conditions parsed, {updates} updates applied"
    );
}

#[test]
fn placeholder_keys_are_held_to_a_length_and_names_to_being_non_empty() {
    // As DynamoDB answers (verified against AWS by extenddb's dual-target tests, 2026).
    let long_name: BTreeMap<String, String> =
        [(format!("#{}-x", "a".repeat(255)), "foo".to_string())].into();
    let mut inputs = ExpressionInputs::new(Operation::GetItem);
    inputs.projection_expression = Some("foo");
    inputs.names = Some(&long_name);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; size of key: 258"
    );
    let empty_name: BTreeMap<String, String> = [("#a".to_string(), String::new())].into();
    inputs.projection_expression = Some("#a");
    inputs.names = Some(&empty_name);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"
    );
    let long_value: AttributeMap = [(
        format!(":{}", "a".repeat(255)),
        eddy_model::AttributeValue::S("x".into()),
    )]
    .into();
    let mut inputs = ExpressionInputs::new(Operation::Scan);
    inputs.filter_expression = Some("foo = :v");
    inputs.values = Some(&long_value);
    assert_eq!(
        message(&inputs),
        "ExpressionAttributeValues contains invalid key: The expression attribute map contains a key that is too long;"
    );
}
