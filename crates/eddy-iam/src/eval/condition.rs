//! Evaluating a statement's `Condition` element, by IAM's documented rules:
//!
//! * all operator blocks and all keys within a block must hold (AND); the values listed for one key are
//!   alternatives (OR) — for a negated operator none of them may match (NOR);
//! * a key absent from the request context fails a condition, except that a negated operator
//!   (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …) then holds; `…IfExists` holds on an absent key;
//!   `Null` tests presence itself (`"true"`: the key is absent);
//! * `ForAnyValue:` holds when some value of the key matches (false on an absent or empty key),
//!   `ForAllValues:` when every value does (true on an absent or empty key).
//!
//! Each base operator compares one context value with one policy value: strings exactly, without case, or
//! with `*`/`?`; numbers and dates by order (dates as ISO 8601 or epoch seconds); `Bool` as `true`/`false`;
//! `BinaryEquals` on base64 text; `IpAddress` against CIDR blocks; `Arn*` field by field with wildcards (and
//! `ArnEquals` is `ArnLike`, as IAM documents). A policy value that does not read as its operator's type
//! matches nothing.

use std::net::IpAddr;

use super::{ContextValue, RequestContext, lookup};
use crate::pattern::{self, Token, Unresolved, VariableSource};
use crate::policy::{Condition, OperatorKind, SetOperator};
use crate::time::parse_date_ms;

pub(super) fn all_hold(
    conditions: &[Condition],
    context: &RequestContext,
    vars: Option<&dyn VariableSource>,
) -> Result<bool, Unresolved> {
    for condition in conditions {
        if !holds(condition, context, vars)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn holds(
    condition: &Condition,
    context: &RequestContext,
    vars: Option<&dyn VariableSource>,
) -> Result<bool, Unresolved> {
    let operator = condition.operator;
    let present = lookup(context, &condition.key).filter(|values| !values.is_empty());
    if operator.kind == OperatorKind::Null {
        return Ok(null_holds(&condition.values, present.is_none()));
    }
    let Some(actual) = present else {
        return Ok(absent_key_holds(condition));
    };
    let vars = if operator.kind.takes_variables() {
        vars
    } else {
        None
    };
    let expected = condition
        .values
        .iter()
        .map(|value| Expected::read(operator.kind, value, vars))
        .collect::<Result<Vec<_>, _>>()?;
    let matches_one = |value: &ContextValue| expected.iter().any(|e| e.matches(value));
    let negated = operator.kind.is_negated();
    Ok(match operator.set {
        None => actual.iter().any(matches_one) != negated,
        Some(SetOperator::ForAnyValue) => actual.iter().any(|v| matches_one(v) != negated),
        Some(SetOperator::ForAllValues) => actual.iter().all(|v| matches_one(v) != negated),
    })
}

/// `"Null": {"key": "true"}` holds when the key is absent, `"false"` when it is present.
fn null_holds(values: &[String], absent: bool) -> bool {
    values
        .iter()
        .any(|value| match value.to_ascii_lowercase().as_str() {
            "true" => absent,
            "false" => !absent,
            _ => false,
        })
}

fn absent_key_holds(condition: &Condition) -> bool {
    let operator = condition.operator;
    if operator.if_exists {
        return true;
    }
    match operator.set {
        Some(SetOperator::ForAllValues) => true,
        Some(SetOperator::ForAnyValue) => false,
        None => operator.kind.is_negated(),
    }
}

/// How an ordered operator compares the context value with the policy value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Order {
    fn holds<T: PartialOrd>(self, actual: T, expected: T) -> bool {
        match self {
            Order::Equal => actual == expected,
            Order::Less => actual < expected,
            Order::LessOrEqual => actual <= expected,
            Order::Greater => actual > expected,
            Order::GreaterOrEqual => actual >= expected,
        }
    }
}

/// One policy value, read for its operator (negated operators read as their positive counterpart).
#[derive(Clone, Debug)]
enum Expected {
    Text(String),
    TextIgnoringCase(String),
    Glob(Vec<Token>),
    Arn(Vec<Token>),
    Number(Order, f64),
    Date(Order, i64),
    Bool(String),
    Base64(String),
    Cidr(Cidr),
    /// Not readable as the operator's type.
    Nothing,
}

impl Expected {
    fn read(
        kind: OperatorKind,
        value: &str,
        vars: Option<&dyn VariableSource>,
    ) -> Result<Expected, Unresolved> {
        use OperatorKind as K;
        Ok(match kind {
            K::StringEquals | K::StringNotEquals => {
                Expected::Text(pattern::expand_literal(value, vars)?)
            }
            K::StringEqualsIgnoreCase | K::StringNotEqualsIgnoreCase => {
                Expected::TextIgnoringCase(pattern::expand_literal(value, vars)?.to_lowercase())
            }
            K::StringLike | K::StringNotLike => Expected::Glob(pattern::compile(value, vars)?),
            K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike => {
                Expected::Arn(pattern::compile(value, vars)?)
            }
            K::NumericEquals | K::NumericNotEquals => number(Order::Equal, value),
            K::NumericLessThan => number(Order::Less, value),
            K::NumericLessThanEquals => number(Order::LessOrEqual, value),
            K::NumericGreaterThan => number(Order::Greater, value),
            K::NumericGreaterThanEquals => number(Order::GreaterOrEqual, value),
            K::DateEquals | K::DateNotEquals => date(Order::Equal, value),
            K::DateLessThan => date(Order::Less, value),
            K::DateLessThanEquals => date(Order::LessOrEqual, value),
            K::DateGreaterThan => date(Order::Greater, value),
            K::DateGreaterThanEquals => date(Order::GreaterOrEqual, value),
            K::Bool => Expected::Bool(pattern::expand_literal(value, vars)?),
            K::BinaryEquals => Expected::Base64(value.to_string()),
            K::IpAddress | K::NotIpAddress => {
                Cidr::parse(value).map_or(Expected::Nothing, Expected::Cidr)
            }
            K::Null => Expected::Nothing,
        })
    }

    fn matches(&self, actual: &ContextValue) -> bool {
        match self {
            Expected::Text(text) => actual.text() == *text,
            Expected::TextIgnoringCase(lower) => actual.text().to_lowercase() == *lower,
            Expected::Glob(tokens) => pattern::matches(tokens, &actual.text(), false),
            Expected::Arn(tokens) => arn_matches(tokens, &actual.text()),
            Expected::Number(order, expected) => {
                as_number(actual).is_some_and(|n| order.holds(n, *expected))
            }
            Expected::Date(order, expected) => {
                as_date_ms(actual).is_some_and(|ms| order.holds(ms, *expected))
            }
            Expected::Bool(expected) => actual.text().eq_ignore_ascii_case(expected),
            Expected::Base64(expected) => actual.text() == *expected,
            Expected::Cidr(cidr) => as_ip(actual).is_some_and(|ip| cidr.contains(ip)),
            Expected::Nothing => false,
        }
    }
}

fn number(order: Order, value: &str) -> Expected {
    parse_number(value).map_or(Expected::Nothing, |n| Expected::Number(order, n))
}

fn date(order: Order, value: &str) -> Expected {
    parse_date_ms(value).map_or(Expected::Nothing, |ms| Expected::Date(order, ms))
}

fn parse_number(text: &str) -> Option<f64> {
    let looks_numeric = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    text.parse::<f64>()
        .ok()
        .filter(|n| looks_numeric && n.is_finite())
}

fn as_number(value: &ContextValue) -> Option<f64> {
    match value {
        ContextValue::Number(n) => Some(*n as f64),
        ContextValue::Date(ms) => Some((ms.div_euclid(1000)) as f64),
        ContextValue::String(s) => parse_number(s),
        _ => None,
    }
}

fn as_date_ms(value: &ContextValue) -> Option<i64> {
    match value {
        ContextValue::Date(ms) => Some(*ms),
        ContextValue::Number(secs) => secs.checked_mul(1000),
        ContextValue::String(s) => parse_date_ms(s),
        _ => None,
    }
}

fn as_ip(value: &ContextValue) -> Option<IpAddr> {
    match value {
        ContextValue::Ip(ip) => Some(*ip),
        ContextValue::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// ARN operators compare the six colon-separated fields one by one; a pattern that is not ARN-shaped (`*`)
/// is matched against the whole value.
fn arn_matches(tokens: &[Token], text: &str) -> bool {
    match (pattern::arn_fields(tokens), crate::arn::fields(text)) {
        (Some(expected), Some(actual)) => expected
            .iter()
            .zip(&actual)
            .all(|(field, value)| pattern::matches(field, value, false)),
        (None, _) => pattern::matches(tokens, text, false),
        (Some(_), None) => false,
    }
}

/// An IPv4 or IPv6 network; a bare address is a network of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u32,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u32>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn same_prefix(network: u128, address: u128, prefix: u32, width: u32) -> bool {
    let shift = width - prefix;
    shift >= 128 || (network >> shift) == (address >> shift)
}

/// Standard base64 with padding: how `BinaryEquals` compares binary context values.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for at in 0..4 {
            if at <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * at) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_like_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn cidr_blocks_contain_their_addresses() {
        let net = Cidr::parse("203.0.113.0/24");
        assert!(net.is_some_and(|n| n.contains("203.0.113.200".parse().unwrap())));
        assert!(net.is_some_and(|n| !n.contains("203.0.114.1".parse().unwrap())));
        let one = Cidr::parse("10.1.2.3");
        assert!(one.is_some_and(|n| n.contains("10.1.2.3".parse().unwrap())));
        assert!(one.is_some_and(|n| !n.contains("10.1.2.4".parse().unwrap())));
        let all = Cidr::parse("0.0.0.0/0");
        assert!(all.is_some_and(|n| n.contains("8.8.8.8".parse().unwrap())));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64");
        assert!(v6.is_some_and(|n| n.contains("2001:db8:1234:5678::1".parse().unwrap())));
        assert!(v6.is_some_and(|n| !n.contains("2001:db8:1234:5679::1".parse().unwrap())));
        assert!(v6.is_some_and(|n| !n.contains("10.0.0.1".parse().unwrap())));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("not-an-ip"), None);
    }

    #[test]
    fn numbers_must_look_like_numbers() {
        assert_eq!(parse_number("3600"), Some(3600.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(""), None);
    }
}
