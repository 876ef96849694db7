//! Fuzz-style robustness: garbage text, random policy-shaped JSON, mutations of real documents and
//! adversarial nesting and wildcards. Nothing may panic, and whatever parses must evaluate. Deterministic
//! (a fixed-seed generator), so a failure reproduces.

use serde_json::{Map, Value, json};

use crate::eval::{AccessRequest, ContextValue, Principal, allows_assume, evaluate};
use crate::managed;
use crate::policy::{PolicyDocument, PolicyKind};

const KINDS: [PolicyKind; 3] = [PolicyKind::Managed, PolicyKind::Inline, PolicyKind::Trust];

/// SplitMix64: small, fast, good enough to pick things.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: [&str; 40] = [
    "Version",
    "2012-10-17",
    "2008-10-17",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "allow",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "*",
    "?",
    "s3:*",
    "dynamodb:GetRecords",
    "sts:AssumeRole",
    "lambda.amazonaws.com",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::123456789012:root",
    "${aws:username}",
    "${aws:x, 'd'}",
    "${*}",
    "${",
    "StringEquals",
    "ForAllValues:StringLike",
    "DateLessThanIfExists",
    "IpAddress",
    "Null",
    "aws:SourceIp",
    "203.0.113.0/24",
    "2020-01-01T00:00:00Z",
    "",
];

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth == 0 || rng.below(3) == 0;
    match (leaf, rng.below(6)) {
        (true, 0) => Value::Null,
        (true, 1) => Value::Bool(rng.below(2) == 0),
        (true, 2) => json!(rng.next() as i64),
        (true, _) => Value::String(rng.pick(&WORDS).to_string()),
        (false, 0 | 1) => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        (false, _) => {
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                map.insert(rng.pick(&WORDS).to_string(), random_value(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

const ACTIONS: [&str; 6] = [
    "*",
    "s3:*",
    "s3:Get?bject",
    "dynamodb:Get*",
    "sts:AssumeRole",
    "iam:*AccessKey*",
];
const RESOURCES: [&str; 5] = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:dynamodb:*:*:table/T/stream/*",
    "arn:aws:iam::*:user/${aws:x, 'd'}",
];
const PRINCIPALS: [&str; 4] = [
    "*",
    "lambda.amazonaws.com",
    "123456789012",
    "arn:aws:iam::123456789012:role/r",
];
const OPERATORS: [&str; 10] = [
    "StringEquals",
    "StringNotLikeIfExists",
    "ForAllValues:StringLike",
    "ForAnyValue:StringEquals",
    "NumericLessThan",
    "DateGreaterThan",
    "Bool",
    "IpAddress",
    "ArnLike",
    "Null",
];
const VALUES: [&str; 8] = [
    "x",
    "*",
    "${aws:username}",
    "10",
    "2020-01-01T00:00:00Z",
    "true",
    "203.0.113.0/24",
    "arn:aws:*:*:*:*",
];

/// A document that is usually valid (identity- or trust-shaped), sometimes with one element replaced by
/// noise, so the later checks and evaluation get exercised.
fn policy_shaped(rng: &mut Rng) -> Value {
    let trust = rng.below(2) == 0;
    let mut statement = Map::new();
    statement.insert("Effect".into(), json!(rng.pick(&["Allow", "Deny"])));
    statement.insert(
        "Action".into(),
        json!(if trust {
            "sts:AssumeRole"
        } else {
            *rng.pick(&ACTIONS)
        }),
    );
    if trust {
        let principal = *rng.pick(&PRINCIPALS);
        let element = match principal {
            "*" => json!("*"),
            "lambda.amazonaws.com" => json!({"Service": principal}),
            _ => json!({"AWS": principal}),
        };
        statement.insert("Principal".into(), element);
    } else {
        statement.insert("Resource".into(), json!(rng.pick(&RESOURCES)));
    }
    if rng.below(2) == 0 {
        let key = *rng.pick(&[
            "aws:username",
            "aws:SourceIp",
            "aws:CurrentTime",
            "aws:TagKeys",
            "s3:prefix",
        ]);
        let values: Vec<&str> = (0..=rng.below(3)).map(|_| *rng.pick(&VALUES)).collect();
        statement.insert(
            "Condition".into(),
            json!({ *rng.pick(&OPERATORS): { key: values } }),
        );
    }
    if rng.below(4) == 0 {
        let key = *rng.pick(&[
            "Effect",
            "Action",
            "Resource",
            "Principal",
            "Condition",
            "Sid",
            "NotAction",
        ]);
        statement.insert(key.into(), random_value(rng, 3));
    }
    json!({"Version": rng.pick(&["2012-10-17", "2008-10-17"]), "Statement": [Value::Object(statement)]})
}

/// Parses `text` as every kind and evaluates what parses; returns how many kinds accepted it.
fn exercise(text: &str, rng: &mut Rng) -> usize {
    let mut accepted = 0;
    for kind in KINDS {
        let Ok(policy) = PolicyDocument::parse(text, kind) else {
            continue;
        };
        let key = *rng.pick(&WORDS);
        let request = AccessRequest::new(*rng.pick(&WORDS), *rng.pick(&WORDS))
            .with(key, ContextValue::string(*rng.pick(&WORDS)))
            .with("aws:SourceIp", ContextValue::string("203.0.113.9"))
            .with(
                "aws:CurrentTime",
                ContextValue::Date(rng.next() as i64 >> 20),
            );
        let _ = evaluate(&[&policy], &request);
        let _ = allows_assume(&policy, &Principal::service("lambda.amazonaws.com"));
        let _ = allows_assume(&policy, &Principal::aws(*rng.pick(&WORDS)));
        let _ = policy.named_aws_principals().count();
        accepted += 1;
    }
    accepted
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(1);
    for _ in 0..2000 {
        let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let _ = exercise(&String::from_utf8_lossy(&bytes), &mut rng);
    }
}

#[test]
fn random_policy_shaped_json_never_panics() {
    let mut rng = Rng(2);
    let mut accepted = 0;
    for round in 0..3000 {
        let value = if round % 2 == 0 {
            random_value(&mut rng, 5)
        } else {
            policy_shaped(&mut rng)
        };
        accepted += exercise(&value.to_string(), &mut rng);
    }
    assert!(
        accepted > 1000,
        "only {accepted} documents reached evaluation"
    );
}

#[test]
fn mutations_of_real_documents_never_panic() {
    let mut rng = Rng(3);
    let lambda_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#;
    let mut seeds: Vec<&str> = managed::ALL.iter().map(|p| p.document).collect();
    seeds.push(lambda_trust);
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        for cut in 0..=chars.len() {
            let _ = exercise(&chars[..cut].iter().collect::<String>(), &mut rng);
        }
        for _ in 0..300 {
            let mut mutated = chars.clone();
            let at = rng.below(mutated.len());
            match rng.below(3) {
                0 => {
                    mutated.remove(at);
                }
                1 => mutated.insert(
                    at,
                    *rng.pick(&['"', '{', '}', '[', ']', ':', ',', '*', '$', '\\', 'é']),
                ),
                _ => mutated[at] = char::from(rng.next() as u8 & 0x7f),
            }
            let _ = exercise(&mutated.iter().collect::<String>(), &mut rng);
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for opening in ["[", "{\"a\":"] {
        let text = opening.repeat(100_000);
        for kind in KINDS {
            assert!(PolicyDocument::parse(&text, kind).is_err());
        }
    }
    let nested_condition = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}}}"#,
        "{\"StringEquals\":".repeat(200) + &"}".repeat(200)
    );
    assert!(PolicyDocument::parse(&nested_condition, PolicyKind::Managed).is_err());
}

#[test]
fn adversarial_wildcards_finish() {
    let pattern = "*a".repeat(1000);
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:{pattern}","Resource":"arn:aws:s3:::{pattern}"}}}}"#
    );
    let Ok(policy) = PolicyDocument::parse(&text, PolicyKind::Managed) else {
        panic!("a long wildcard is a valid policy");
    };
    let long = "a".repeat(2000) + "b";
    let request = AccessRequest::new(format!("s3:{long}"), format!("arn:aws:s3:::{long}"));
    assert!(!evaluate(&[&policy], &request).is_allowed());
}

/// A string of characters the small parsers treat specially, mixed with multi-byte ones.
fn tricky_text(rng: &mut Rng) -> String {
    const ALPHABET: [char; 24] = [
        '0', '1', '2', '9', '-', ':', 'T', 't', 'Z', '+', '.', '/', '$', '{', '}', '*', '?', ',',
        '\'', ' ', 'a', 'é', '€', '𝄞',
    ];
    (0..rng.below(24)).map(|_| *rng.pick(&ALPHABET)).collect()
}

#[test]
fn the_small_parsers_take_any_text() {
    let mut rng = Rng(4);
    let vars = crate::eval::ContextVariables(&crate::eval::RequestContext::new());
    for round in 0..20_000 {
        let mut text = tricky_text(&mut rng);
        if round % 2 == 0 {
            // Past the date and time, so the zone and fraction readers see the noise.
            let prefix = *rng.pick(&[
                "2024-01-01T00:00:00",
                "2024-01-01T00:00:00.5",
                "2024-01-01t1:2:3",
            ]);
            text = format!("{prefix}{}{text}", rng.pick(&["+", "-", "Z", "z", ""]));
        }
        let _ = crate::time::parse_date_ms(&text);
        let _ = crate::time::legacy_date_ok(&text);
        let _ = crate::pattern::expand_literal(&text, Some(&vars));
        let _ = crate::pattern::compile_resource(&text, Some(&vars));
        let _ = crate::arn::fields(&text);
    }
}

#[test]
fn every_operator_takes_any_values() {
    let mut rng = Rng(5);
    let operators = [
        "StringEquals",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "NumericGreaterThanEquals",
        "DateLessThanEquals",
        "DateNotEquals",
        "Bool",
        "BinaryEquals",
        "NotIpAddress",
        "ArnNotLike",
        "Null",
        "ForAllValues:ArnEquals",
        "ForAnyValue:IpAddressIfExists",
    ];
    for _ in 0..3000 {
        let operator = *rng.pick(&operators);
        let policy_value = tricky_text(&mut rng);
        let document = json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {operator: {"k": policy_value}}
        }});
        let Ok(policy) = PolicyDocument::parse(&document.to_string(), PolicyKind::Inline) else {
            continue;
        };
        let context_value = match rng.below(4) {
            0 => ContextValue::string(tricky_text(&mut rng)),
            1 => ContextValue::Number(rng.next() as i64),
            2 => ContextValue::Date(rng.next() as i64),
            _ => ContextValue::Binary(tricky_text(&mut rng).into_bytes()),
        };
        let request = AccessRequest::new("s3:GetObject", "*").with("k", context_value);
        let _ = evaluate(&[&policy], &request);
    }
}
