//! Event filtering (`FilterCriteria`): the EventBridge pattern grammar as Lambda applies it to stream records.
//! A pattern is a JSON object; every key must match (AND); a leaf is an array of alternatives (OR) holding
//! literals (strings, numbers, booleans, null) or one-key operator objects (`prefix`, `suffix`,
//! `anything-but`, `numeric`, `exists`, `equals-ignore-case`, `wildcard`, `cidr`); `$or` takes a list of
//! sub-patterns. An event value that is an array matches when any element matches. Patterns are checked when a
//! mapping is created or updated; a bad one is refused with Lambda's `Invalid filter pattern definition.`.

use std::net::IpAddr;

use serde_json::{Map, Value};

/// Lambda's message for any pattern it cannot use.
pub const INVALID_PATTERN: &str = "Invalid filter pattern definition.";

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    root: Node,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// All fields must match, and at least one branch of every `$or`.
    Object {
        fields: Vec<(String, Field)>,
        ors: Vec<Vec<Node>>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Field {
    Nested(Node),
    Alternatives(Vec<Matcher>),
}

#[derive(Clone, Debug, PartialEq)]
enum Matcher {
    Literal(Value),
    Prefix(String, bool),
    Suffix(String, bool),
    EqualsIgnoreCase(String),
    Wildcard(String),
    Numeric(Vec<(NumericOp, f64)>),
    Exists(bool),
    Cidr(IpAddr, u8),
    AnythingBut(Vec<Matcher>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum NumericOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

type Invalid = ();

impl Pattern {
    /// Parses one `FilterCriteria.Filters[].Pattern` string.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let value: Value = serde_json::from_str(text).map_err(|_| INVALID_PATTERN.to_string())?;
        let Value::Object(obj) = value else {
            return Err(INVALID_PATTERN.to_string());
        };
        parse_object(&obj, 0)
            .map(|root| Pattern { root })
            .map_err(|_| INVALID_PATTERN.to_string())
    }

    pub fn matches(&self, event: &Value) -> bool {
        node_matches(&self.root, Some(event))
    }
}

/// Whether any of the patterns matches (no patterns: everything matches).
pub fn any_matches(patterns: &[Pattern], event: &Value) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| p.matches(event))
}

const MAX_DEPTH: usize = 32;

fn parse_object(obj: &Map<String, Value>, depth: usize) -> Result<Node, Invalid> {
    if depth > MAX_DEPTH || obj.is_empty() {
        return Err(());
    }
    let mut fields = Vec::new();
    let mut ors = Vec::new();
    for (key, value) in obj {
        if key == "$or" {
            let Value::Array(branches) = value else {
                return Err(());
            };
            if branches.len() < 2 {
                return Err(());
            }
            let mut parsed = Vec::new();
            for branch in branches {
                let Value::Object(b) = branch else {
                    return Err(());
                };
                parsed.push(parse_object(b, depth + 1)?);
            }
            ors.push(parsed);
            continue;
        }
        let field = match value {
            Value::Object(inner) => Field::Nested(parse_object(inner, depth + 1)?),
            Value::Array(alternatives) => {
                if alternatives.is_empty() {
                    return Err(());
                }
                Field::Alternatives(
                    alternatives
                        .iter()
                        .map(parse_matcher)
                        .collect::<Result<_, _>>()?,
                )
            }
            _ => return Err(()),
        };
        fields.push((key.clone(), field));
    }
    Ok(Node::Object { fields, ors })
}

fn string_operand(value: &Value) -> Result<(String, bool), Invalid> {
    match value {
        Value::String(s) => Ok((s.clone(), false)),
        Value::Object(o) if o.len() == 1 => match o.get("equals-ignore-case") {
            Some(Value::String(s)) => Ok((s.clone(), true)),
            _ => Err(()),
        },
        _ => Err(()),
    }
}

fn parse_matcher(value: &Value) -> Result<Matcher, Invalid> {
    let obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => return Err(()),
        literal => return Ok(Matcher::Literal(literal.clone())),
    };
    if obj.len() != 1 {
        return Err(());
    }
    let (op, operand) = obj.iter().next().ok_or(())?;
    Ok(match op.as_str() {
        "prefix" => {
            let (s, ignore_case) = string_operand(operand)?;
            Matcher::Prefix(s, ignore_case)
        }
        "suffix" => {
            let (s, ignore_case) = string_operand(operand)?;
            Matcher::Suffix(s, ignore_case)
        }
        "equals-ignore-case" => match operand {
            Value::String(s) => Matcher::EqualsIgnoreCase(s.clone()),
            _ => return Err(()),
        },
        "wildcard" => match operand {
            Value::String(s) if !s.contains("**") => Matcher::Wildcard(s.clone()),
            _ => return Err(()),
        },
        "exists" => match operand {
            Value::Bool(b) => Matcher::Exists(*b),
            _ => return Err(()),
        },
        "numeric" => Matcher::Numeric(parse_numeric(operand)?),
        "cidr" => match operand {
            Value::String(s) => parse_cidr(s)?,
            _ => return Err(()),
        },
        "anything-but" => Matcher::AnythingBut(parse_anything_but(operand)?),
        _ => return Err(()),
    })
}

fn parse_anything_but(operand: &Value) -> Result<Vec<Matcher>, Invalid> {
    match operand {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            Ok(vec![Matcher::Literal(operand.clone())])
        }
        Value::Array(values) if !values.is_empty() => values
            .iter()
            .map(|v| match v {
                Value::String(_) | Value::Number(_) => Ok(Matcher::Literal(v.clone())),
                _ => Err(()),
            })
            .collect(),
        Value::Object(o) if o.len() == 1 => {
            let (op, inner) = o.iter().next().ok_or(())?;
            let many = |inner: &Value| -> Result<Vec<String>, Invalid> {
                match inner {
                    Value::String(s) => Ok(vec![s.clone()]),
                    Value::Array(a) if !a.is_empty() => a
                        .iter()
                        .map(|v| v.as_str().map(str::to_string).ok_or(()))
                        .collect(),
                    _ => Err(()),
                }
            };
            Ok(match op.as_str() {
                "prefix" => vec![Matcher::Prefix(
                    inner.as_str().ok_or(())?.to_string(),
                    false,
                )],
                "suffix" => vec![Matcher::Suffix(
                    inner.as_str().ok_or(())?.to_string(),
                    false,
                )],
                "equals-ignore-case" => many(inner)?
                    .into_iter()
                    .map(Matcher::EqualsIgnoreCase)
                    .collect(),
                "wildcard" => many(inner)?.into_iter().map(Matcher::Wildcard).collect(),
                _ => return Err(()),
            })
        }
        _ => Err(()),
    }
}

fn parse_numeric(operand: &Value) -> Result<Vec<(NumericOp, f64)>, Invalid> {
    let Value::Array(parts) = operand else {
        return Err(());
    };
    if parts.is_empty() || parts.len() % 2 != 0 || parts.len() > 4 {
        return Err(());
    }
    let mut out = Vec::new();
    for pair in parts.chunks(2) {
        let op = match pair[0].as_str() {
            Some("=") => NumericOp::Eq,
            Some("<") => NumericOp::Lt,
            Some("<=") => NumericOp::Le,
            Some(">") => NumericOp::Gt,
            Some(">=") => NumericOp::Ge,
            _ => return Err(()),
        };
        let n = pair[1].as_f64().ok_or(())?;
        out.push((op, n));
    }
    // A range is a lower bound followed by an upper bound.
    if out.len() == 2 {
        let lower = matches!(out[0].0, NumericOp::Gt | NumericOp::Ge);
        let upper = matches!(out[1].0, NumericOp::Lt | NumericOp::Le);
        if !lower || !upper || out[0].1 > out[1].1 {
            return Err(());
        }
    }
    Ok(out)
}

fn parse_cidr(s: &str) -> Result<Matcher, Invalid> {
    let (addr, bits) = s.split_once('/').ok_or(())?;
    let ip: IpAddr = addr.parse().map_err(|_| ())?;
    let bits: u8 = bits.parse().map_err(|_| ())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(());
    }
    Ok(Matcher::Cidr(ip, bits))
}

fn node_matches(node: &Node, value: Option<&Value>) -> bool {
    let Node::Object { fields, ors } = node;
    let obj = match value {
        Some(Value::Object(o)) => Some(o),
        _ => None,
    };
    let field_ok = fields.iter().all(|(key, field)| {
        let child = obj.and_then(|o| o.get(key));
        match field {
            Field::Nested(inner) => match child {
                // An array of objects matches when any element does.
                Some(Value::Array(items)) => {
                    items.iter().any(|item| node_matches(inner, Some(item)))
                }
                other => node_matches(inner, other),
            },
            Field::Alternatives(alternatives) => {
                alternatives.iter().any(|m| matcher_matches(m, child))
            }
        }
    });
    field_ok
        && ors
            .iter()
            .all(|branches| branches.iter().any(|b| node_matches(b, value)))
}

fn matcher_matches(matcher: &Matcher, value: Option<&Value>) -> bool {
    match matcher {
        Matcher::Exists(expected) => {
            // `exists` looks at leaves only: an object (such as a DynamoDB attribute's `{"S": …}`) counts as
            // absent, as does an array without a leaf (an empty one too), as in EventBridge (AWS-recorded:
            // `{"presentKey": [{"exists": false}]}` matches a NewImage whose presentKey is `{"S": …}`).
            let present = match value {
                None | Some(Value::Object(_)) => false,
                Some(Value::Array(a)) => a.iter().any(is_leaf),
                Some(_) => true,
            };
            present == *expected
        }
        _ => match value {
            None => false,
            Some(Value::Array(items)) => items.iter().any(|item| scalar_matches(matcher, item)),
            Some(v) => scalar_matches(matcher, v),
        },
    }
}

fn is_leaf(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

fn literal_equals(pattern: &Value, value: &Value) -> bool {
    match (pattern, value) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

fn scalar_matches(matcher: &Matcher, value: &Value) -> bool {
    let text = value.as_str();
    match matcher {
        Matcher::Literal(lit) => literal_equals(lit, value),
        Matcher::Prefix(p, false) => text.is_some_and(|t| t.starts_with(p.as_str())),
        Matcher::Prefix(p, true) => {
            text.is_some_and(|t| t.to_lowercase().starts_with(&p.to_lowercase()))
        }
        Matcher::Suffix(s, false) => text.is_some_and(|t| t.ends_with(s.as_str())),
        Matcher::Suffix(s, true) => {
            text.is_some_and(|t| t.to_lowercase().ends_with(&s.to_lowercase()))
        }
        Matcher::EqualsIgnoreCase(s) => text.is_some_and(|t| t.to_lowercase() == s.to_lowercase()),
        Matcher::Wildcard(w) => text.is_some_and(|t| wildcard_matches(w.as_bytes(), t.as_bytes())),
        Matcher::Numeric(conditions) => value.as_f64().is_some_and(|n| {
            conditions.iter().all(|(op, bound)| match op {
                NumericOp::Eq => n == *bound,
                NumericOp::Lt => n < *bound,
                NumericOp::Le => n <= *bound,
                NumericOp::Gt => n > *bound,
                NumericOp::Ge => n >= *bound,
            })
        }),
        Matcher::Cidr(net, bits) => text
            .and_then(|t| t.parse::<IpAddr>().ok())
            .is_some_and(|ip| in_cidr(ip, *net, *bits)),
        Matcher::AnythingBut(excluded) => !excluded.iter().any(|m| scalar_matches(m, value)),
        Matcher::Exists(_) => true,
    }
}

/// `*` matches any run of characters (including none); everything else matches itself.
fn wildcard_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits as u32)
            };
            (u32::from(a) & mask) == (u32::from(b) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits as u32)
            };
            (u128::from(a) & mask) == (u128::from(b) & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record() -> Value {
        json!({
            "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1700000000,
                "Keys": {"id": {"S": "p1"}},
                "NewImage": {"id": {"S": "p1"}, "status": {"S": "DONE"}, "price": {"N": "12.5"},
                             "tags": {"SS": ["a", "b"]}, "ip": {"S": "10.0.0.7"}, "file": {"S": "img/cat.PNG"}},
                "SizeBytes": 40
            },
            "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        })
    }

    fn m(pattern: &str) -> bool {
        Pattern::parse(pattern).unwrap().matches(&record())
    }

    #[test]
    fn equality_and_alternatives() {
        assert!(m(r#"{"eventName": ["INSERT"]}"#));
        assert!(m(r#"{"eventName": ["MODIFY", "INSERT"]}"#));
        assert!(!m(r#"{"eventName": ["REMOVE"]}"#));
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"status": {"S": ["DONE"]}}}}"#
        ));
        assert!(
            !m(r#"{"dynamodb": {"NewImage": {"status": ["DONE"]}}}"#),
            "type wrappers are part of the data"
        );
        assert!(
            m(r#"{"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}"#),
            "arrays match on any element"
        );
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"price": {"N": ["12.5"]}}}}"#
        ));
    }

    #[test]
    fn operators() {
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"id": {"S": [{"prefix": "p"}]}}}}"#
        ));
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"file": {"S": [{"suffix": {"equals-ignore-case": ".png"}}]}}}}"#
        ));
        assert!(!m(
            r#"{"dynamodb": {"NewImage": {"file": {"S": [{"suffix": ".png"}]}}}}"#
        ));
        assert!(m(
            r#"{"eventName": [{"anything-but": ["REMOVE", "MODIFY"]}]}"#
        ));
        assert!(!m(r#"{"eventName": [{"anything-but": "INSERT"}]}"#));
        assert!(m(r#"{"eventName": [{"anything-but": {"prefix": "MOD"}}]}"#));
        assert!(m(r#"{"eventName": [{"equals-ignore-case": "insert"}]}"#));
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"file": {"S": [{"wildcard": "img/*.PNG"}]}}}}"#
        ));
        assert!(m(
            r#"{"dynamodb": {"ApproximateCreationDateTime": [{"numeric": [">", 1, "<=", 1700000000]}]}}"#
        ));
        assert!(
            !m(r#"{"dynamodb": {"NewImage": {"price": {"N": [{"numeric": [">", 10]}]}}}}"#),
            "N values are strings"
        );
        assert!(m(r#"{"dynamodb": {"OldImage": [{"exists": false}]}}"#));
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"status": {"S": [{"exists": true}]}}}}"#
        ));
        // `exists` sees leaves only: an attribute's `{"S": …}` object is not one (AWS-recorded).
        assert!(!m(
            r#"{"dynamodb": {"NewImage": {"status": [{"exists": true}]}}}"#
        ));
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"status": [{"exists": false}]}}}"#
        ));
        assert!(!m(r#"{"dynamodb": [{"exists": true}]}"#));
        assert!(m(
            r#"{"dynamodb": {"NewImage": {"ip": {"S": [{"cidr": "10.0.0.0/24"}]}}}}"#
        ));
        assert!(m(
            r#"{"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}"#
        ));
    }

    #[test]
    fn or_and_nesting() {
        assert!(m(
            r#"{"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"Keys": {"id": {"S": ["p1"]}}}}]}"#
        ));
        assert!(!m(
            r#"{"$or": [{"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]}]}"#
        ));
    }

    #[test]
    fn invalid_patterns_are_refused() {
        for bad in [
            "not json",
            "[]",
            "{}",
            r#"{"a": "x"}"#,
            r#"{"a": []}"#,
            r#"{"a": [{"nope": 1}]}"#,
            r#"{"a": [{"numeric": [">"]}]}"#,
            r#"{"a": [{"numeric": ["<", 5, ">", 1]}]}"#,
            r#"{"a": [{"exists": "yes"}]}"#,
            r#"{"$or": [{"a": ["x"]}]}"#,
            r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#,
            r#"{"a": [{"cidr": "10.0.0.0/40"}]}"#,
        ] {
            assert_eq!(
                Pattern::parse(bad),
                Err(INVALID_PATTERN.to_string()),
                "{bad}"
            );
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_matches(b"a*c", b"abbbc"));
        assert!(wildcard_matches(b"*", b""));
        assert!(!wildcard_matches(b"a*c", b"abd"));
        assert!(wildcard_matches(b"*/lib/*", b"x/lib/y"));
    }
}
