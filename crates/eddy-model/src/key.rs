//! Key schemas and key encodings. A table or index key is a partition (HASH) attribute and an optional sort
//! (RANGE) attribute, each of type S, N or B; a global secondary index's key may have up to four of each
//! (multi-attribute keys), compared one after another in key-schema order. Keys are stored under an encoding
//! whose bytewise order is DynamoDB's order (S and B bytewise, N numerically) and which is self-delimiting, so
//! encoded components can be concatenated into composite keys and range-scanned.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::{AttributeMap, AttributeValue};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    pub fn parse(s: &str) -> Option<ScalarType> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn matches(self, value: &AttributeValue) -> bool {
        matches!(
            (self, value),
            (ScalarType::S, AttributeValue::S(_))
                | (ScalarType::N, AttributeValue::N(_))
                | (ScalarType::B, AttributeValue::B(_))
        )
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    pub name: String,
    pub scalar: ScalarType,
}

/// A table's or index's key: HASH and optional RANGE attribute, and for a global secondary index with a
/// multi-attribute key the further HASH and RANGE attributes after them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttribute,
    pub range: Option<KeyAttribute>,
    /// The partition key attributes after `hash`, in key-schema order (multi-attribute GSI keys only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_hash: Vec<KeyAttribute>,
    /// The sort key attributes after `range`, in key-schema order (multi-attribute GSI keys only; never set
    /// without `range`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_range: Vec<KeyAttribute>,
}

/// The most HASH, and the most RANGE, attributes a multi-attribute key may have.
pub const MAX_KEY_ATTRIBUTES_PER_ROLE: usize = 4;

/// Whether `value` is an empty string or binary, which no key (of the table or an index) may hold.
pub fn is_empty_key_value(value: &AttributeValue) -> bool {
    match value {
        AttributeValue::S(s) => s.is_empty(),
        AttributeValue::B(b) => b.is_empty(),
        _ => false,
    }
}

/// The largest partition key value DynamoDB stores, in bytes as it counts them.
pub const MAX_HASH_KEY_BYTES: usize = 2048;

/// The largest sort key value DynamoDB stores, in bytes as it counts them.
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

impl KeySchema {
    /// Every key attribute: the HASH attributes, then the RANGE attributes, in key-schema order.
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.hash_attributes().chain(self.range_attributes())
    }

    /// The partition key attributes in key-schema order.
    pub fn hash_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(self.more_hash.iter())
    }

    /// The sort key attributes in key-schema order.
    pub fn range_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.range.iter().chain(self.more_range.iter())
    }

    /// How many attributes the key has.
    pub fn attribute_count(&self) -> usize {
        1 + self.more_hash.len() + usize::from(self.range.is_some()) + self.more_range.len()
    }

    /// Whether the key has more than one HASH or more than one RANGE attribute.
    pub fn is_multi_attribute(&self) -> bool {
        !self.more_hash.is_empty() || !self.more_range.is_empty()
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.attributes().any(|a| a.name == name)
    }

    /// The most bytes a value of key attribute `name` may have: [`MAX_HASH_KEY_BYTES`] for a partition key
    /// attribute, [`MAX_RANGE_KEY_BYTES`] otherwise.
    pub fn value_size_limit(&self, name: &str) -> usize {
        if self.hash_attributes().any(|a| a.name == name) {
            MAX_HASH_KEY_BYTES
        } else {
            MAX_RANGE_KEY_BYTES
        }
    }

    /// Whether `value` can be a value of key attribute `attr` in this key: of its type, not an empty string
    /// or binary, and within its size limit.
    pub fn holds_value(&self, attr: &KeyAttribute, value: &AttributeValue) -> bool {
        attr.scalar.matches(value)
            && !is_empty_key_value(value)
            && value.dynamo_size() <= self.value_size_limit(&attr.name)
    }

    /// The key attributes of `item` (only those present).
    pub fn extract_key(&self, item: &AttributeMap) -> AttributeMap {
        self.attributes()
            .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
            .collect()
    }
}

/// Appends the order-preserving, self-delimiting encoding of a key value.
///
/// S and B: the bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x00 (so a prefix sorts first);
/// N: [`crate::Number::encode_ordered`]. The type tag is not stored: a key attribute has one type per schema.
pub fn encode_key_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => encode_bytes(s.as_bytes(), out),
        AttributeValue::B(b) => encode_bytes(b, out),
        AttributeValue::N(n) => n.encode_ordered(out),
        // Not a key type; validation rejects it before encoding. Encode something stable anyway.
        _ => out.push(0xFF),
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice(&[0x00, 0xFF]);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&[0x00, 0x00]);
}

/// How a table's items are spread over the partition-hash space, which is the order of its Scan and the split
/// of its parallel-scan segments. Part of the on-disk layout of each table: a table keeps the scheme it was
/// created with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionHashScheme {
    /// [`partition_hash`] of the encoded partition key: the scheme of tables created before eddy ordered a
    /// Scan as DynamoDB does (the default, so that their stored definitions keep it).
    #[default]
    Fnv,
    /// [`dynamo_partition_hash`]: DynamoDB's own order.
    Dynamo,
}

impl PartitionHashScheme {
    /// The 32-bit partition hash of `value` (the partition key value) under this scheme; `encoded` is the
    /// value's [`encode_key_value`] encoding.
    pub fn hash(self, value: &AttributeValue, encoded: &[u8]) -> u32 {
        match self {
            PartitionHashScheme::Fnv => partition_hash(encoded),
            PartitionHashScheme::Dynamo => dynamo_partition_hash(value, None),
        }
    }
}

/// The partition hash in the order DynamoDB returns a Scan: the first 24 bits of MD5 over the salt `Outliers`
/// and the key's serialized bytes (UTF-8 for S, the bytes for B, [`dynamo_number_bytes`] for N), the last
/// 8 bits zero so that keys whose 24 bits agree fall back to key order. dynalite found this scheme and checks
/// its Scan and parallel-scan tests against DynamoDB with it. With a sort key value it gives the order of
/// index entries that share an index key (`sort` then joins the hashed bytes).
pub fn dynamo_partition_hash(partition: &AttributeValue, sort: Option<&AttributeValue>) -> u32 {
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    hasher.update(b"Outliers");
    for value in std::iter::once(partition).chain(sort) {
        match value {
            AttributeValue::S(s) => hasher.update(s.as_bytes()),
            AttributeValue::B(b) => hasher.update(b),
            AttributeValue::N(n) => {
                let mut bytes = Vec::with_capacity(24);
                dynamo_number_bytes(n, &mut bytes);
                hasher.update(&bytes);
            }
            _ => {}
        }
    }
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], 0])
}

/// Appends DynamoDB's serialized form of a number (that of Oracle's NUMBER): an exponent byte (the base-100
/// exponent biased by 192, complemented when negative), then the significant digits in base-100 pairs
/// aligned on the decimal point, each stored plus 1 (or as 101 minus the pair when negative), and for a
/// negative number of fewer than 20 pairs a closing 102. Zero is the single byte 0x80.
pub fn dynamo_number_bytes(number: &crate::Number, out: &mut Vec<u8>) {
    let (negative, exponent, digits) = number.parts();
    if digits.is_empty() {
        out.push(0x80);
        return;
    }
    // An odd decimal exponent needs one leading zero digit to align the pairs on the decimal point.
    let pad = exponent.rem_euclid(2) as usize;
    let head = (exponent + pad as i32) / 2 - 64;
    out.push(if negative { !head } else { head } as u8);
    let pairs = (digits.len() + pad).div_ceil(2);
    let mut it = std::iter::repeat_n(0u8, pad).chain(digits.iter().copied());
    for _ in 0..pairs {
        let high = it.next().unwrap_or(0);
        let low = it.next().unwrap_or(0);
        let pair = high * 10 + low;
        out.push(if negative { 101 - pair } else { pair + 1 });
    }
    if negative && pairs < 20 {
        out.push(102);
    }
}

/// A stable 32-bit hash of an encoded partition key (FNV-1a). It assigns stream shards and mapping lanes, and
/// orders the items of tables of the [`PartitionHashScheme::Fnv`] scheme. It must never change: it is part of
/// the on-disk layout.
pub fn partition_hash(encoded_partition_key: &[u8]) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in encoded_partition_key {
        hash ^= b as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((hash >> 32) ^ hash) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Number;

    fn enc(v: &AttributeValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(v, &mut out);
        out
    }

    fn number_bytes(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        dynamo_number_bytes(&Number::parse(text).expect("number"), &mut out);
        out
    }

    #[test]
    fn numbers_serialize_as_oracle_numbers_do() {
        assert_eq!(number_bytes("0"), [0x80]);
        assert_eq!(number_bytes("5"), [0xC1, 0x06]);
        assert_eq!(number_bytes("-5"), [0x3E, 0x60, 0x66]);
        assert_eq!(number_bytes("100"), [0xC2, 0x02]);
        assert_eq!(number_bytes("123"), [0xC2, 0x02, 0x18]);
        assert_eq!(number_bytes("12.3"), [0xC1, 0x0D, 0x1F]);
        assert_eq!(number_bytes("0.5"), [0xC0, 0x33]);
        assert_eq!(number_bytes("-123.45"), [0x3D, 0x64, 0x4E, 0x38, 0x66]);
        // 38 digits, odd exponent: 20 pairs, and a negative one has no closing byte.
        let long = format!("-{}", "1".repeat(38));
        assert_eq!(number_bytes(&long).len(), 21);
    }

    #[test]
    fn strings_sort_bytewise_and_prefix_first() {
        let values = ["", "a", "a\u{0}", "a\u{0}b", "ab", "b", "é"];
        for w in values.windows(2) {
            assert!(
                enc(&AttributeValue::S(w[0].into())) < enc(&AttributeValue::S(w[1].into())),
                "{:?}",
                w
            );
        }
    }

    #[test]
    fn numbers_sort_numerically() {
        let a = AttributeValue::N(Number::parse("-3").unwrap());
        let b = AttributeValue::N(Number::parse("2").unwrap());
        let c = AttributeValue::N(Number::parse("10").unwrap());
        assert!(enc(&a) < enc(&b) && enc(&b) < enc(&c));
    }
}
