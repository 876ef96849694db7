//! Key schemas and key encodings. A table or index key is a partition (HASH) attribute and an optional sort
//! (RANGE) attribute, each of type S, N or B. Keys are stored under an encoding whose bytewise order is
//! DynamoDB's order (S and B bytewise, N numerically) and which is self-delimiting, so encoded components can be
//! concatenated into composite keys and range-scanned.

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

/// A table's or index's key: HASH and optional RANGE attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttribute,
    pub range: Option<KeyAttribute>,
}

impl KeySchema {
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(self.range.iter())
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.hash.name == name || self.range.as_ref().is_some_and(|r| r.name == name)
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

/// A stable 32-bit hash of an encoded partition key (FNV-1a). It orders the items of a table the way DynamoDB
/// orders a Scan (by partition hash, not by key), splits parallel-scan segments, and assigns stream shards.
/// It must never change: it is part of the on-disk layout.
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
