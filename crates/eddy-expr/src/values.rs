//! DynamoDB's semantics of values inside expressions: ordering (only between two S, two N or two B), `contains`,
//! `begins_with`, `size`, and the short value display used in messages (`{S:b}`, `{N:1}`).

use std::cmp::Ordering;

use eddy_model::value::encode_base64;
use eddy_model::{AttributeValue, Number, ValueType};

/// Order of two values of the same orderable type: strings and binaries bytewise (UTF-8 for strings), numbers
/// numerically. `None` for different types or types without order.
pub(crate) fn order(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `contains(haystack, needle)`: substring of a string, subsequence of a binary, member of a set of the
/// needle's type, or an element of a list equal to the needle.
pub(crate) fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    match (haystack, needle) {
        (AttributeValue::S(h), AttributeValue::S(n)) => h.contains(n.as_str()),
        (AttributeValue::B(h), AttributeValue::B(n)) => is_subslice(h, n),
        (AttributeValue::Ss(set), AttributeValue::S(n)) => set.iter().any(|s| s == n),
        (AttributeValue::Ns(set), AttributeValue::N(n)) => set.iter().any(|s| s == n),
        (AttributeValue::Bs(set), AttributeValue::B(n)) => set.iter().any(|s| s == n),
        (AttributeValue::L(list), n) => list.iter().any(|e| e == n),
        _ => false,
    }
}

fn is_subslice(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// `begins_with(value, prefix)`: only a string by a string or a binary by a binary.
pub(crate) fn begins_with(value: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (value, prefix) {
        (AttributeValue::S(v), AttributeValue::S(p)) => v.starts_with(p.as_str()),
        (AttributeValue::B(v), AttributeValue::B(p)) => v.starts_with(p),
        _ => false,
    }
}

/// `size(value)`: a string's length in UTF-16 code units (what DynamoDB counts), a binary's bytes, the number of
/// elements of a set, list or map. `None` for numbers, booleans and nulls.
pub(crate) fn size(value: &AttributeValue) -> Option<Number> {
    let n = match value {
        AttributeValue::S(s) => s.encode_utf16().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(v) => v.len(),
        AttributeValue::Ns(v) => v.len(),
        AttributeValue::Bs(v) => v.len(),
        AttributeValue::L(v) => v.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    };
    Some(Number::from_i64(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// The value as DynamoDB shows it inside `AttributeValue: …` in messages: `{S:b}`, `{N:1}`.
pub(crate) fn describe(value: &AttributeValue) -> String {
    let body = match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.canonical(),
        AttributeValue::B(b) => encode_base64(b),
        AttributeValue::Ss(v) => format!("[{}]", v.join(", ")),
        AttributeValue::Ns(v) => {
            let texts: Vec<String> = v.iter().map(Number::canonical).collect();
            format!("[{}]", texts.join(", "))
        }
        AttributeValue::Bs(v) => {
            let texts: Vec<String> = v.iter().map(|b| encode_base64(b)).collect();
            format!("[{}]", texts.join(", "))
        }
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null => "true".to_string(),
        AttributeValue::M(_) | AttributeValue::L(_) => format!("{value:?}"),
    };
    format!("{{{}:{body}}}", value.value_type())
}

/// The long type names update expressions use in operand-type messages (`operand type: STRING`).
pub(crate) fn long_type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::S => "STRING",
        ValueType::N => "NUMBER",
        ValueType::B => "BINARY",
        ValueType::Null => "NULL",
        ValueType::Bool => "BOOLEAN",
        ValueType::L => "LIST",
        ValueType::M => "MAP",
        ValueType::Ss => "STRING_SET",
        ValueType::Ns => "NUMBER_SET",
        ValueType::Bs => "BINARY_SET",
    }
}

/// Whether the value is one of the three set types.
pub(crate) fn is_set(value: &AttributeValue) -> bool {
    matches!(
        value,
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(json: &str) -> AttributeValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn orders_only_same_scalar_types() {
        assert_eq!(
            order(&v(r#"{"N":"10"}"#), &v(r#"{"N":"9"}"#)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            order(&v(r#"{"S":"10"}"#), &v(r#"{"S":"9"}"#)),
            Some(Ordering::Less)
        );
        assert_eq!(
            order(&v(r#"{"B":"AQ=="}"#), &v(r#"{"B":"/w=="}"#)),
            Some(Ordering::Less)
        );
        assert_eq!(order(&v(r#"{"S":"1"}"#), &v(r#"{"N":"1"}"#)), None);
        assert_eq!(order(&v(r#"{"BOOL":true}"#), &v(r#"{"BOOL":true}"#)), None);
        assert_eq!(order(&v(r#"{"SS":["a"]}"#), &v(r#"{"SS":["a"]}"#)), None);
    }

    #[test]
    fn strings_order_by_utf8_bytes() {
        // U+1F600 encodes as F0…, U+FFFD as EF…: bytewise the emoji is greater (UTF-16 would say less).
        assert_eq!(
            order(
                &AttributeValue::S("\u{1F600}".into()),
                &AttributeValue::S("\u{FFFD}".into())
            ),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn contains_covers_strings_binaries_sets_and_lists() {
        assert!(contains(&v(r#"{"S":"banana"}"#), &v(r#"{"S":"nan"}"#)));
        assert!(!contains(&v(r#"{"S":"banana"}"#), &v(r#"{"S":"x"}"#)));
        assert!(contains(&v(r#"{"B":"AQID"}"#), &v(r#"{"B":"AgM="}"#)));
        assert!(contains(&v(r#"{"SS":["a","b"]}"#), &v(r#"{"S":"b"}"#)));
        assert!(contains(&v(r#"{"NS":["1","5"]}"#), &v(r#"{"N":"5.0"}"#)));
        assert!(!contains(&v(r#"{"NS":["1","5"]}"#), &v(r#"{"S":"5"}"#)));
        assert!(contains(&v(r#"{"BS":["AQ=="]}"#), &v(r#"{"B":"AQ=="}"#)));
        assert!(contains(
            &v(r#"{"L":[{"S":"a"},{"N":"3"}]}"#),
            &v(r#"{"N":"3"}"#)
        ));
        assert!(contains(
            &v(r#"{"L":[{"M":{"a":{"N":"1"}}}]}"#),
            &v(r#"{"M":{"a":{"N":"1"}}}"#)
        ));
        assert!(!contains(&v(r#"{"N":"12"}"#), &v(r#"{"N":"1"}"#)));
        assert!(!contains(&v(r#"{"SS":["a"]}"#), &v(r#"{"SS":["a"]}"#)));
    }

    #[test]
    fn begins_with_needs_matching_string_or_binary() {
        assert!(begins_with(&v(r#"{"S":"banana"}"#), &v(r#"{"S":"ban"}"#)));
        assert!(!begins_with(&v(r#"{"S":"banana"}"#), &v(r#"{"S":"nan"}"#)));
        assert!(begins_with(&v(r#"{"B":"AQID"}"#), &v(r#"{"B":"AQI="}"#)));
        assert!(!begins_with(&v(r#"{"N":"12"}"#), &v(r#"{"N":"1"}"#)));
        assert!(!begins_with(&v(r#"{"S":"AQID"}"#), &v(r#"{"B":"AQI="}"#)));
    }

    #[test]
    fn size_counts_utf16_units_bytes_and_elements() {
        let n = |i: i64| Some(Number::from_i64(i));
        assert_eq!(size(&AttributeValue::S("é\u{1D11E}".into())), n(3));
        assert_eq!(size(&v(r#"{"B":"AQID"}"#)), n(3));
        assert_eq!(size(&v(r#"{"SS":["a","b"]}"#)), n(2));
        assert_eq!(
            size(&v(r#"{"L":[{"S":"a"},{"N":"3"},{"NULL":true}]}"#)),
            n(3)
        );
        assert_eq!(size(&v(r#"{"M":{"a":{"S":"x"}}}"#)), n(1));
        assert_eq!(size(&v(r#"{"N":"12"}"#)), None);
        assert_eq!(size(&v(r#"{"BOOL":true}"#)), None);
        assert_eq!(size(&v(r#"{"NULL":true}"#)), None);
    }

    #[test]
    fn describes_values_as_in_messages() {
        assert_eq!(describe(&v(r#"{"S":"b"}"#)), "{S:b}");
        assert_eq!(describe(&v(r#"{"N":"1.50"}"#)), "{N:1.5}");
        assert_eq!(describe(&v(r#"{"SS":["a","b"]}"#)), "{SS:[a, b]}");
    }
}
