//! DynamoDB's `AttributeValue`: the ten data types, their JSON wire form (numbers as strings, binaries as base64)
//! with DynamoDB's validation messages, DynamoDB's size rule, and the typed helpers expressions need.
//!
//! Sets are kept sorted (strings and binaries bytewise, numbers numerically) so that two equal sets have equal
//! representations; DynamoDB does not promise an order for sets, so returning them sorted is faithful.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::number::Number;
pub use crate::number::ValueLayer;

thread_local! {
    /// The layer of checks the request being decoded on this thread runs (see [`decode_in`]).
    static DECODING_LAYER: std::cell::Cell<ValueLayer> = const { std::cell::Cell::new(ValueLayer::Current) };
}

/// Runs `decode` with every `AttributeValue` it deserialises checked, and its errors worded, by `layer`:
/// serde gives a `Deserialize` impl no context, and which layer DynamoDB runs depends on the operation.
pub fn decode_in<R>(layer: ValueLayer, decode: impl FnOnce() -> R) -> R {
    struct Restore(ValueLayer);
    impl Drop for Restore {
        fn drop(&mut self) {
            DECODING_LAYER.set(self.0);
        }
    }
    let _restore = Restore(DECODING_LAYER.replace(layer));
    decode()
}

/// The layer of checks values decoded on this thread now run.
pub fn decoding_layer() -> ValueLayer {
    DECODING_LAYER.get()
}

/// Marks a deserialisation error that DynamoDB reports as `ValidationException` rather than
/// `SerializationException`; the codec strips it (see [`split_deserialize_error`]).
pub const VALIDATION_TAG: &str = "\u{1}validation:";

/// Lists and maps may wrap a value at most this deep in an item (31 wrappers are accepted, 32 refused, as AWS does).
pub const MAX_NESTING: usize = 31;

/// DynamoDB's message for a value nested deeper than [`MAX_NESTING`].
pub const NESTING_MESSAGE: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

/// A map of attribute names to values: an item, a key, or the `M` type.
pub type AttributeMap = BTreeMap<String, AttributeValue>;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
    M(AttributeMap),
    L(Vec<AttributeValue>),
    Null,
    Bool(bool),
}

/// The type descriptor of a value, as used by `attribute_type` and in error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    S,
    N,
    B,
    Ss,
    Ns,
    Bs,
    M,
    L,
    Null,
    Bool,
}

impl ValueType {
    /// The descriptor as written on the wire (`"SS"`, `"BOOL"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::S => "S",
            ValueType::N => "N",
            ValueType::B => "B",
            ValueType::Ss => "SS",
            ValueType::Ns => "NS",
            ValueType::Bs => "BS",
            ValueType::M => "M",
            ValueType::L => "L",
            ValueType::Null => "NULL",
            ValueType::Bool => "BOOL",
        }
    }

    pub fn parse(s: &str) -> Option<ValueType> {
        Some(match s {
            "S" => ValueType::S,
            "N" => ValueType::N,
            "B" => ValueType::B,
            "SS" => ValueType::Ss,
            "NS" => ValueType::Ns,
            "BS" => ValueType::Bs,
            "M" => ValueType::M,
            "L" => ValueType::L,
            "NULL" => ValueType::Null,
            "BOOL" => ValueType::Bool,
            _ => return None,
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AttributeValue {
    pub fn value_type(&self) -> ValueType {
        match self {
            AttributeValue::S(_) => ValueType::S,
            AttributeValue::N(_) => ValueType::N,
            AttributeValue::B(_) => ValueType::B,
            AttributeValue::Ss(_) => ValueType::Ss,
            AttributeValue::Ns(_) => ValueType::Ns,
            AttributeValue::Bs(_) => ValueType::Bs,
            AttributeValue::M(_) => ValueType::M,
            AttributeValue::L(_) => ValueType::L,
            AttributeValue::Null => ValueType::Null,
            AttributeValue::Bool(_) => ValueType::Bool,
        }
    }

    /// Builds a string set, sorting it; duplicates must have been rejected by the caller.
    pub fn string_set(mut values: Vec<String>) -> AttributeValue {
        values.sort_unstable();
        values.dedup();
        AttributeValue::Ss(values)
    }

    pub fn number_set(mut values: Vec<Number>) -> AttributeValue {
        values.sort_unstable();
        values.dedup();
        AttributeValue::Ns(values)
    }

    pub fn binary_set(mut values: Vec<Vec<u8>>) -> AttributeValue {
        values.sort_unstable();
        values.dedup();
        AttributeValue::Bs(values)
    }

    /// Size in bytes as DynamoDB counts it (attribute names are counted by the caller).
    pub fn dynamo_size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.dynamo_size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
            AttributeValue::Ns(v) => v.iter().map(Number::dynamo_size).sum(),
            AttributeValue::Bs(v) => v.iter().map(Vec::len).sum(),
            AttributeValue::M(m) => 3 + m.len() + item_size(m),
            AttributeValue::L(l) => {
                3 + l.len() + l.iter().map(AttributeValue::dynamo_size).sum::<usize>()
            }
            AttributeValue::Null | AttributeValue::Bool(_) => 1,
        }
    }

    /// Whether lists and maps wrap this value deeper than an item may hold ([`MAX_NESTING`]).
    pub fn is_too_deep(&self) -> bool {
        self.nesting_depth() > MAX_NESTING
    }

    /// How many list and map levels wrap the deepest value (a scalar is 0, `{"L":[{"S":"x"}]}` is 1).
    pub fn nesting_depth(&self) -> usize {
        match self {
            AttributeValue::M(m) => {
                1 + m
                    .values()
                    .map(AttributeValue::nesting_depth)
                    .max()
                    .unwrap_or(0)
            }
            AttributeValue::L(l) => {
                1 + l
                    .iter()
                    .map(AttributeValue::nesting_depth)
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    pub fn as_s(&self) -> Option<&str> {
        match self {
            AttributeValue::S(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_n(&self) -> Option<&Number> {
        match self {
            AttributeValue::N(n) => Some(n),
            _ => None,
        }
    }

    /// True for the scalar types a key attribute may have.
    pub fn is_key_type(&self) -> bool {
        matches!(
            self,
            AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
        )
    }
}

/// Size of an item (or map) by DynamoDB's rule: every attribute name's UTF-8 length plus its value's size.
pub fn item_size(item: &AttributeMap) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value.dynamo_size())
        .sum()
}

impl fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(s) => f.write_str(&s),
            Err(_) => f.write_str("<attribute value>"),
        }
    }
}

pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", &n.canonical())?,
            AttributeValue::B(b) => map.serialize_entry("B", &encode_base64(b))?,
            AttributeValue::Ss(v) => map.serialize_entry("SS", v)?,
            AttributeValue::Ns(v) => {
                let texts: Vec<String> = v.iter().map(Number::canonical).collect();
                map.serialize_entry("NS", &texts)?
            }
            AttributeValue::Bs(v) => {
                let texts: Vec<String> = v.iter().map(|b| encode_base64(b)).collect();
                map.serialize_entry("BS", &texts)?
            }
            AttributeValue::M(m) => map.serialize_entry("M", m)?,
            AttributeValue::L(l) => map.serialize_entry("L", l)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
        }
        map.end()
    }
}

/// The wire form before validation: every member optional, as the JSON protocol allows.
#[derive(Default)]
struct WireAttributeValue {
    s: Option<String>,
    n: Option<String>,
    b: Option<Blob>,
    ss: Option<Vec<Option<String>>>,
    ns: Option<Vec<Option<String>>>,
    bs: Option<Vec<Option<Blob>>>,
    m: Option<AttributeMap>,
    l: Option<Vec<AttributeValue>>,
    null: Option<bool>,
    boolean: Option<bool>,
}

/// What a derived `Deserialize` would do, except that a member of no type is skipped by visiting it
/// ([`SkippedValue`]), so the parser's nesting limit applies to it as to every other value.
impl<'de> Deserialize<'de> for WireAttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const MEMBERS: &[&str] = &["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

        struct WireVisitor;

        impl<'de> de::Visitor<'de> for WireVisitor {
            type Value = WireAttributeValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct WireAttributeValue")
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                fn set<'de, A: de::MapAccess<'de>, T: Deserialize<'de>>(
                    map: &mut A,
                    slot: &mut Option<T>,
                    name: &'static str,
                ) -> Result<(), A::Error> {
                    if slot.is_some() {
                        return Err(de::Error::duplicate_field(name));
                    }
                    *slot = map.next_value()?;
                    Ok(())
                }
                let mut w = WireAttributeValue::default();
                while let Some(key) = map.next_key::<Member>()? {
                    match key {
                        Member::S => set(&mut map, &mut w.s, "S")?,
                        Member::N => set(&mut map, &mut w.n, "N")?,
                        Member::B => set(&mut map, &mut w.b, "B")?,
                        Member::Ss => set(&mut map, &mut w.ss, "SS")?,
                        Member::Ns => set(&mut map, &mut w.ns, "NS")?,
                        Member::Bs => set(&mut map, &mut w.bs, "BS")?,
                        Member::M => set(&mut map, &mut w.m, "M")?,
                        Member::L => set(&mut map, &mut w.l, "L")?,
                        Member::Null => set(&mut map, &mut w.null, "NULL")?,
                        Member::Bool => set(&mut map, &mut w.boolean, "BOOL")?,
                        Member::Other => {
                            map.next_value::<SkippedValue>()?;
                        }
                    }
                }
                Ok(w)
            }
        }

        deserializer.deserialize_struct("WireAttributeValue", MEMBERS, WireVisitor)
    }
}

/// A member name of an attribute value: one of the ten types, or anything else.
enum Member {
    S,
    N,
    B,
    Ss,
    Ns,
    Bs,
    M,
    L,
    Null,
    Bool,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MemberVisitor;

        impl de::Visitor<'_> for MemberVisitor {
            type Value = Member;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("field identifier")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Member, E> {
                Ok(match v {
                    "S" => Member::S,
                    "N" => Member::N,
                    "B" => Member::B,
                    "SS" => Member::Ss,
                    "NS" => Member::Ns,
                    "BS" => Member::Bs,
                    "M" => Member::M,
                    "L" => Member::L,
                    "NULL" => Member::Null,
                    "BOOL" => Member::Bool,
                    _ => Member::Other,
                })
            }
        }

        deserializer.deserialize_identifier(MemberVisitor)
    }
}

/// Any JSON value, skipped by visiting it rather than by the parser's own skip: the parser's nesting limit then
/// applies to it (serde_json's own skip has none), so a value the reader ignores fails on depth exactly where
/// parsing the body into a tree would.
pub struct SkippedValue;

impl<'de> Deserialize<'de> for SkippedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SkippedValue, D::Error> {
        deserializer.deserialize_any(SkippedValue)
    }
}

impl<'de> de::Visitor<'de> for SkippedValue {
    type Value = SkippedValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<SkippedValue, E> {
        Ok(SkippedValue)
    }

    fn visit_i64<E>(self, _: i64) -> Result<SkippedValue, E> {
        Ok(SkippedValue)
    }

    fn visit_u64<E>(self, _: u64) -> Result<SkippedValue, E> {
        Ok(SkippedValue)
    }

    fn visit_f64<E>(self, _: f64) -> Result<SkippedValue, E> {
        Ok(SkippedValue)
    }

    fn visit_str<E>(self, _: &str) -> Result<SkippedValue, E> {
        Ok(SkippedValue)
    }

    fn visit_unit<E>(self) -> Result<SkippedValue, E> {
        Ok(SkippedValue)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<SkippedValue, A::Error> {
        while seq.next_element::<SkippedValue>()?.is_some() {}
        Ok(SkippedValue)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<SkippedValue, A::Error> {
        while map.next_entry::<SkippedValue, SkippedValue>()?.is_some() {}
        Ok(SkippedValue)
    }
}

/// An attribute map whose JSON types are checked on decoding but whose values are validated only when asked
/// (`check`): DynamoDB validates some maps (a Query's or Scan's `ExclusiveStartKey`) after the rest of the
/// request, and words the errors as about that map.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct UncheckedAttributeMap(BTreeMap<String, WireAttributeValue>);

impl UncheckedAttributeMap {
    /// The validated map, or the first value's error (in key order), as the given layer of checks words it.
    pub fn check(self, layer: ValueLayer) -> Result<AttributeMap, ValueError> {
        self.0
            .into_iter()
            .map(|(name, value)| value.validate(layer).map(|v| (name, v)))
            .collect()
    }
}

/// A base64 `Blob` member, decoded with the SerializationException texts DynamoDB uses.
pub struct Blob(pub Vec<u8>);

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Blob, D::Error> {
        let text = String::deserialize(deserializer)?;
        decode_blob(&text).map(Blob).map_err(de::Error::custom)
    }
}

/// Decodes a base64 blob; the error is DynamoDB's SerializationException message.
pub fn decode_blob(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(4) {
        return Err(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.len()
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '+' || *c == '/' || *c == '='))
    {
        return Err(format!("Invalid Base64 character: '{bad}'"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| "Invalid last non-pad Base64 character dectected".to_string())
}

/// Why a well-formed JSON attribute value is not a valid DynamoDB value. `Display` gives DynamoDB's message, in
/// the words of the layer of checks that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    Empty,
    MoreThanOneType,
    Number(crate::number::NumberError),
    EmptySet(ValueType),
    /// A string set with a repeated member: the members as sent.
    DuplicateStrings(Vec<String>, ValueLayer),
    DuplicateNumbers(ValueLayer),
    /// A binary set with a repeated member: the members as sent.
    DuplicateBinaries(Vec<Vec<u8>>, ValueLayer),
    NullNotTrue,
    /// A set with a JSON `null` among its members.
    NullMember(ValueType),
}

const INVALID: &str = "One or more parameter values were invalid: ";

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Empty => {
                f.write_str("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
            }
            ValueError::MoreThanOneType => f.write_str(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ),
            ValueError::Number(e) => e.fmt(f),
            // DynamoDB's own words, which differ for binary sets.
            ValueError::EmptySet(ValueType::Ss) => {
                write!(f, "{INVALID}An string set  may not be empty")
            }
            ValueError::EmptySet(ValueType::Ns) => {
                write!(f, "{INVALID}An number set  may not be empty")
            }
            ValueError::EmptySet(_) => write!(f, "{INVALID}Binary sets should not be empty"),
            ValueError::DuplicateStrings(members, layer) => write!(
                f,
                "{INVALID}Input collection [{}] contains duplicates.",
                duplicate_listing(members, *layer, ", ", |m| m.clone())
            ),
            ValueError::DuplicateNumbers(ValueLayer::Current) => {
                write!(f, "{INVALID}Input collection contains duplicates.")
            }
            ValueError::DuplicateNumbers(ValueLayer::Older) => {
                f.write_str("Input collection contains duplicates")
            }
            ValueError::DuplicateBinaries(members, layer) => {
                let separator = match layer {
                    ValueLayer::Current => ",",
                    ValueLayer::Older => ", ",
                };
                write!(
                    f,
                    "{INVALID}Input collection [{}]of type BS contains duplicates.",
                    duplicate_listing(members, *layer, separator, |m| encode_base64(m))
                )
            }
            // The string set's words are AWS's (verified by extenddb's dual-target tests, 2026); the number and
            // binary sets' are extrapolated from them and from their empty-set texts.
            ValueError::NullMember(ValueType::Ss) => {
                write!(f, "{INVALID}An string set may not have a null string as a member")
            }
            ValueError::NullMember(ValueType::Ns) => {
                write!(f, "{INVALID}An number set may not have a null number as a member")
            }
            ValueError::NullMember(_) => write!(f, "{INVALID}Binary sets may not contain null"),
            ValueError::NullNotTrue => {
                write!(f, "{INVALID}Null attribute value types must have the value of true")
            }
        }
    }
}

/// A set's members as a duplicate error lists them. The older layer prints them as sent; the current one quotes
/// them and lists them as its sorted set held them when the repeat arrived: the members before the first repeat
/// in byte order, then the repeat, then the rest as sent.
fn duplicate_listing<T: Ord>(
    members: &[T],
    layer: ValueLayer,
    separator: &str,
    text: impl Fn(&T) -> String,
) -> String {
    if layer == ValueLayer::Older {
        return members.iter().map(text).collect::<Vec<_>>().join(separator);
    }
    let first_repeat = (1..members.len())
        .find(|&i| members[..i].contains(&members[i]))
        .unwrap_or(members.len());
    let mut before: Vec<&T> = members[..first_repeat].iter().collect();
    before.sort();
    before
        .into_iter()
        .chain(&members[first_repeat..])
        .map(|m| format!("\"{}\"", text(m)))
        .collect::<Vec<_>>()
        .join(separator)
}

impl std::error::Error for ValueError {}

impl WireAttributeValue {
    fn type_count(&self) -> usize {
        [
            self.s.is_some(),
            self.n.is_some(),
            self.b.is_some(),
            self.ss.is_some(),
            self.ns.is_some(),
            self.bs.is_some(),
            self.m.is_some(),
            self.l.is_some(),
            self.null.is_some(),
            self.boolean.is_some(),
        ]
        .iter()
        .filter(|&&set| set)
        .count()
    }

    /// Checks in DynamoDB's order: emptiness, then each member's content, then the single-type rule.
    fn validate(self, layer: ValueLayer) -> Result<AttributeValue, ValueError> {
        let count = self.type_count();
        if count == 0 {
            return Err(ValueError::Empty);
        }
        let number = match &self.n {
            Some(text) => Some(Number::parse_in(text, layer).map_err(ValueError::Number)?),
            None => None,
        };
        let strings = self.ss.map(|v| set_members(v, ValueType::Ss)).transpose()?;
        let numbers = match self.ns.map(|v| set_members(v, ValueType::Ns)).transpose()? {
            Some(texts) => Some(
                texts
                    .iter()
                    .map(|t| Number::parse_in(t, layer))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(ValueError::Number)?,
            ),
            None => None,
        };
        let binaries = self.bs.map(|v| set_members(v, ValueType::Bs)).transpose()?;
        if let Some(v) = &strings
            && has_duplicates(v.iter())
        {
            return Err(ValueError::DuplicateStrings(v.clone(), layer));
        }
        if let Some(v) = &numbers
            && has_duplicates(v.iter())
        {
            return Err(ValueError::DuplicateNumbers(layer));
        }
        if let Some(v) = &binaries
            && has_duplicates(v.iter().map(|b| &b.0))
        {
            return Err(ValueError::DuplicateBinaries(
                v.iter().map(|b| b.0.clone()).collect(),
                layer,
            ));
        }
        if count > 1 {
            return Err(ValueError::MoreThanOneType);
        }
        if self.null == Some(false) {
            return Err(ValueError::NullNotTrue);
        }
        Ok(if let Some(s) = self.s {
            AttributeValue::S(s)
        } else if let Some(n) = number {
            AttributeValue::N(n)
        } else if let Some(b) = self.b {
            AttributeValue::B(b.0)
        } else if let Some(v) = strings {
            AttributeValue::string_set(v)
        } else if let Some(v) = numbers {
            AttributeValue::number_set(v)
        } else if let Some(v) = binaries {
            AttributeValue::binary_set(v.into_iter().map(|b| b.0).collect())
        } else if let Some(m) = self.m {
            AttributeValue::M(m)
        } else if let Some(l) = self.l {
            AttributeValue::L(l)
        } else if self.null.is_some() {
            AttributeValue::Null
        } else {
            AttributeValue::Bool(self.boolean.unwrap_or(false))
        })
    }
}

/// A set's members as sent: refused when there are none, or when one is JSON `null`.
fn set_members<T>(members: Vec<Option<T>>, kind: ValueType) -> Result<Vec<T>, ValueError> {
    if members.is_empty() {
        return Err(ValueError::EmptySet(kind));
    }
    members
        .into_iter()
        .collect::<Option<Vec<T>>>()
        .ok_or(ValueError::NullMember(kind))
}

fn has_duplicates<T: Ord, I: Iterator<Item = T>>(items: I) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        if !seen.insert(item) {
            return true;
        }
    }
    false
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AttributeValue, D::Error> {
        let wire = WireAttributeValue::deserialize(deserializer)?;
        wire.validate(decoding_layer())
            .map_err(|e| de::Error::custom(format!("{VALIDATION_TAG}{e}")))
    }
}

/// Splits a deserialisation error message into (is_validation, message), removing the validation tag.
pub fn split_deserialize_error(message: &str) -> (bool, &str) {
    match message.find(VALIDATION_TAG) {
        Some(pos) => (true, &message[pos + VALIDATION_TAG.len()..]),
        None => (false, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<AttributeValue, String> {
        serde_json::from_str::<AttributeValue>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn round_trips_every_type() {
        for json in [
            r#"{"S":"hi"}"#,
            r#"{"N":"1.5"}"#,
            r#"{"B":"AAE="}"#,
            r#"{"SS":["a","b"]}"#,
            r#"{"NS":["1","2"]}"#,
            r#"{"BS":["AA==","AQ=="]}"#,
            r#"{"M":{"a":{"S":"x"},"b":{"L":[{"NULL":true},{"BOOL":false}]}}}"#,
        ] {
            let v = parse(json).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), json);
        }
    }

    #[test]
    fn validation_messages() {
        let err = parse("{}").unwrap_err();
        assert!(err.contains("Supplied AttributeValue is empty"), "{err}");
        assert!(err.contains(VALIDATION_TAG));
        let err = parse(r#"{"S":"a","N":"1"}"#).unwrap_err();
        assert!(err.contains("more than one datatypes"), "{err}");
        let err = parse(r#"{"SS":[]}"#).unwrap_err();
        assert!(err.contains("An string set  may not be empty"), "{err}");
        let err = parse(r#"{"SS":["a","a"]}"#).unwrap_err();
        assert!(
            err.contains(r#"Input collection ["a", "a"] contains duplicates."#),
            "{err}"
        );
        let err = parse(r#"{"N":"x"}"#).unwrap_err();
        assert!(
            err.contains("The parameter cannot be converted to a numeric value: x"),
            "{err}"
        );
        let err = parse(r#"{"SS":["a",null]}"#).unwrap_err();
        assert!(
            err.contains("An string set may not have a null string as a member"),
            "{err}"
        );
        let err = parse(r#"{"NULL":false}"#).unwrap_err();
        assert!(
            err.contains("Null attribute value types must have the value of true"),
            "{err}"
        );
        let err = parse(r#"{"S":5}"#).unwrap_err();
        assert!(!err.contains(VALIDATION_TAG), "{err}");
    }

    #[test]
    fn a_member_of_no_type_is_ignored_unless_it_nests_deeper_than_the_parser_allows() {
        assert_eq!(
            parse(r#"{"S":"a","other":[{"x":null}]}"#),
            parse(r#"{"S":"a"}"#)
        );
        let deep = format!(
            r#"{{"S":"a","other":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let err = parse(&deep).unwrap_err();
        assert!(err.contains("recursion limit exceeded"), "{err}");
        let err = parse(r#"{"S":"a","S":"b"}"#).unwrap_err();
        assert!(err.contains("duplicate field `S`"), "{err}");
    }

    #[test]
    fn each_layer_words_a_repeated_set_member_its_own_way() {
        // As DynamoDB's two layers answer (valueLayers results, four regions, 2026-10).
        let sets = [
            r#"{"SS":["b","a","b"]}"#,
            r#"{"BS":["/w==","AA==","AA=="]}"#,
            r#"{"NS":["2","1","2"]}"#,
        ];
        let words = |layer| -> Vec<String> {
            sets.iter()
                .map(|json| {
                    let e = decode_in(layer, || parse(json)).unwrap_err();
                    split_deserialize_error(&e).1.to_string()
                })
                .collect()
        };
        assert_eq!(
            words(ValueLayer::Current),
            [
                r#"One or more parameter values were invalid: Input collection ["a", "b", "b"] contains duplicates."#,
                r#"One or more parameter values were invalid: Input collection ["AA==","/w==","AA=="]of type BS contains duplicates."#,
                "One or more parameter values were invalid: Input collection contains duplicates.",
            ]
        );
        assert_eq!(
            words(ValueLayer::Older),
            [
                "One or more parameter values were invalid: Input collection [b, a, b] contains duplicates.",
                "One or more parameter values were invalid: Input collection [/w==, AA==, AA==]of type BS contains duplicates.",
                "Input collection contains duplicates",
            ]
        );
        assert_eq!(decoding_layer(), ValueLayer::Current);
    }

    #[test]
    fn sets_are_canonical() {
        assert_eq!(
            parse(r#"{"NS":["10","2","1.0"]}"#).unwrap(),
            parse(r#"{"NS":["1","2","10"]}"#).unwrap()
        );
    }

    #[test]
    fn sizes_follow_dynamodb() {
        let item: AttributeMap =
            serde_json::from_str(r#"{"id":{"S":"abc"},"n":{"N":"12"},"l":{"L":[{"S":"x"}]}}"#)
                .unwrap();
        // id: 2 + 3; n: 1 + (1 + 1, digits not pair-aligned) = 3; l: 1 + (3 + 1 element + 1) = 6
        assert_eq!(item_size(&item), 5 + 3 + 6);
    }
}
