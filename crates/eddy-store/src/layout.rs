//! Key layout of every keyspace. All ids (tables, indexes, streams) come from one counter and are never
//! reused, so an id prefix is unique across keyspaces and a deleted table's leftovers can never be confused
//! with a new table's data.
//!
//! - `Items`:   id(table) | partition hash | enc(partition key) | enc(sort key)
//! - `Indexes`: id(index) | partition hash of index key | enc(index pk) | enc(index sk) | [table key hash] |
//!   enc(table pk) | enc(table sk) — a multi-attribute index key gives each of its pk values, then each of its
//!   sk values, in key-schema order (self-delimiting, so entries sort by each attribute in turn) — and TTL
//!   entries: id(table) | expiry (biased i64) | partition hash | enc(pk) | enc(sk)
//! - `Meta`:    `table/<id>`, `stats/<id>`, `next-id`, `purge/<id>`, `token/<…>`, `format` (ids here are 8 bytes)
//!
//! `id(n)` is the id in as few bytes as it needs, after a byte giving that count ([`id_prefix`]). Short keys
//! matter: the memtable keeps keys of up to 20 bytes inline and compares keys by their first 4 bytes before
//! following a pointer, so a 2-byte id leaves a typical item key inline and its first 4 bytes telling keys
//! apart (with 8-byte ids every key began with the same zeros and every comparison chased two pointers).
//!
//! Items are ordered by partition hash first, so a Scan walks them in hash order as DynamoDB does and a parallel
//! scan segment is one contiguous hash range. Each table keeps the [`PartitionHashScheme`] it was created with
//! (tables created before eddy used DynamoDB's own hash keep FNV). Under the DynamoDB scheme a GSI entry also
//! carries the hash of the table key (4 bytes) between the index key and the table key, so entries with equal
//! index keys come in DynamoDB's order too; an LSI's ties go by the table key (its `TieOrder`).

use eddy_model::key::{
    PartitionHashScheme, dynamo_partition_hash, encode_key_value, partition_hash,
};
use eddy_model::{AttributeMap, KeySchema};

pub const META_NEXT_ID: &[u8] = b"next-id";
/// The layout version of a data directory, so that a directory written with another layout is refused.
pub const META_FORMAT: &[u8] = b"format";
/// This layout's version (1 was 8-byte ids in every key).
pub const FORMAT_VERSION: u64 = 2;

pub fn meta_table_key(id: u64) -> Vec<u8> {
    let mut k = b"table/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn meta_stats_key(id: u64) -> Vec<u8> {
    let mut k = b"stats/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn meta_purge_key(id: u64) -> Vec<u8> {
    let mut k = b"purge/".to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn meta_token_key(account: &str, region: &str, token: &str) -> Vec<u8> {
    format!("token/{account}/{region}/{token}").into_bytes()
}

/// Appends the key suffix (hash | enc(pk) | enc(sk)) to `out`, without intermediate buffers. A multi-attribute
/// key writes each of its partition key values, then each of its sort key values, in key-schema order.
fn write_key_suffix(
    scheme: PartitionHashScheme,
    schema: &KeySchema,
    item: &AttributeMap,
    out: &mut Vec<u8>,
) {
    const HASH_LEN: usize = std::mem::size_of::<u32>();
    let hash_at = out.len();
    out.extend_from_slice(&[0; HASH_LEN]);
    if schema.more_hash.is_empty() {
        if let Some(v) = item.get(&schema.hash.name) {
            encode_key_value(v, out);
            let hash = scheme.hash(v, &out[hash_at + HASH_LEN..]);
            out[hash_at..hash_at + HASH_LEN].copy_from_slice(&hash.to_be_bytes());
        }
    } else {
        for attr in schema.hash_attributes() {
            if let Some(v) = item.get(&attr.name) {
                encode_key_value(v, out);
            }
        }
        let hash = multi_attribute_partition_hash(&out[hash_at + HASH_LEN..]);
        out[hash_at..hash_at + HASH_LEN].copy_from_slice(&hash.to_be_bytes());
    }
    for attr in schema.range_attributes() {
        if let Some(v) = item.get(&attr.name) {
            encode_key_value(v, out);
        }
    }
}

/// The partition hash of a multi-attribute partition key, from its values' concatenated encodings: FNV-1a
/// under either scheme (DynamoDB's own hash of such keys, and so its Scan order of such an index, is not
/// known). Part of the on-disk layout: it must never change.
fn multi_attribute_partition_hash(encoded_values: &[u8]) -> u32 {
    partition_hash(encoded_values)
}

/// The prefix of all items (or index entries) of one partition: id | hash | enc(pk), where a multi-attribute
/// partition key gives all its values in key-schema order.
pub fn partition_prefix(
    scheme: PartitionHashScheme,
    id: u64,
    partition_values: &[&eddy_model::AttributeValue],
) -> Vec<u8> {
    let mut pk = Vec::with_capacity(32);
    for value in partition_values {
        encode_key_value(value, &mut pk);
    }
    let hash = match partition_values {
        [single] => scheme.hash(single, &pk),
        _ => multi_attribute_partition_hash(&pk),
    };
    let mut out = Vec::with_capacity(pk.len() + 13);
    write_id(id, &mut out);
    out.extend_from_slice(&hash.to_be_bytes());
    out.extend_from_slice(&pk);
    out
}

pub fn item_key(
    scheme: PartitionHashScheme,
    table_id: u64,
    schema: &KeySchema,
    item: &AttributeMap,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    write_id(table_id, &mut out);
    write_key_suffix(scheme, schema, item, &mut out);
    out
}

/// Index entry key: the index key (hash-ordered like a table) followed by the table key, which makes entries
/// with equal index keys unique and ordered as DynamoDB orders them: by the hash of the table key when
/// `ties_by_hash` (GSIs of tables of the DynamoDB scheme), by the table key itself otherwise.
pub fn index_entry_key(
    scheme: PartitionHashScheme,
    index_id: u64,
    index_key: &KeySchema,
    table_key: &KeySchema,
    ties_by_hash: bool,
    item: &AttributeMap,
) -> Vec<u8> {
    let mut out = item_key(scheme, index_id, index_key, item);
    if ties_by_hash && let Some(pk) = item.get(&table_key.hash.name) {
        let sk = table_key.range.as_ref().and_then(|r| item.get(&r.name));
        out.extend_from_slice(&dynamo_partition_hash(pk, sk).to_be_bytes());
    }
    for attr in table_key.attributes() {
        if let Some(v) = item.get(&attr.name) {
            encode_key_value(v, &mut out);
        }
    }
    out
}

/// TTL entry key: table id | expiry seconds (order-preserving) | item key suffix.
pub fn ttl_entry_key(
    scheme: PartitionHashScheme,
    table_id: u64,
    expiry_secs: i64,
    table_key: &KeySchema,
    item: &AttributeMap,
) -> Vec<u8> {
    let mut out = ttl_prefix(table_id, expiry_secs);
    write_key_suffix(scheme, table_key, item, &mut out);
    out
}

pub fn ttl_prefix(table_id: u64, expiry_secs: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    write_id(table_id, &mut out);
    out.extend_from_slice(&((expiry_secs as u64) ^ (1 << 63)).to_be_bytes());
    out
}

/// The key of the item a TTL entry points at (`None` if the entry key is too short to be one).
pub fn item_key_of_ttl_entry(table_id: u64, entry_key: &[u8]) -> Option<Vec<u8>> {
    let mut key = id_prefix(table_id);
    let suffix = entry_key.get(key.len() + std::mem::size_of::<i64>()..)?;
    key.extend_from_slice(suffix);
    Some(key)
}

/// The smallest key strictly greater than every key starting with `prefix`, if there is one.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The prefix of every key of a table or index: [`write_id`].
pub fn id_prefix(id: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    write_id(id, &mut out);
    out
}

/// Appends `id` as the count of its significant big-endian bytes (at least 1) and then those bytes. A longer
/// count means a larger id, so encoded ids sort as the ids do, and none is a prefix of another.
fn write_id(id: u64, out: &mut Vec<u8>) {
    let significant = (8 - id.leading_zeros() as usize / 8).max(1);
    out.push(significant as u8);
    out.extend_from_slice(&id.to_be_bytes()[8 - significant..]);
}

#[cfg(test)]
mod tests {
    use eddy_model::key::partition_hash;
    use eddy_model::{KeyAttribute, ScalarType};

    use super::*;

    #[test]
    fn an_item_key_is_the_table_id_then_hash_partition_key_and_sort_key() {
        let schema = KeySchema {
            hash: KeyAttribute {
                name: "pk".into(),
                scalar: ScalarType::S,
            },
            range: Some(KeyAttribute {
                name: "sk".into(),
                scalar: ScalarType::N,
            }),
            more_hash: Vec::new(),
            more_range: Vec::new(),
        };
        let item: AttributeMap =
            serde_json::from_str(r#"{"pk":{"S":"p1"},"sk":{"N":"-7.5"},"x":{"S":"y"}}"#)
                .expect("item");
        let (mut pk, mut sk) = (Vec::new(), Vec::new());
        encode_key_value(&item["pk"], &mut pk);
        encode_key_value(&item["sk"], &mut sk);
        let fnv = PartitionHashScheme::Fnv;
        let expected_suffix = [&partition_hash(&pk).to_be_bytes()[..], &pk, &sk].concat();
        assert_eq!(item_key(fnv, 42, &schema, &item)[2..], expected_suffix);
        let expected_key = [&[1, 42][..], &expected_suffix].concat();
        assert_eq!(item_key(fnv, 42, &schema, &item), expected_key);
        let dynamo = PartitionHashScheme::Dynamo;
        let hash = dynamo_partition_hash(&item["pk"], None).to_be_bytes();
        let expected_suffix = [&hash[..], &pk, &sk].concat();
        assert_eq!(item_key(dynamo, 42, &schema, &item)[2..], expected_suffix);
    }

    #[test]
    fn a_multi_attribute_key_orders_entries_by_each_sort_attribute_in_turn_within_one_partition() {
        let attr = |name: &str, scalar| KeyAttribute {
            name: name.into(),
            scalar,
        };
        let index_key = KeySchema {
            hash: attr("h1", ScalarType::S),
            more_hash: vec![attr("h2", ScalarType::N)],
            range: Some(attr("r1", ScalarType::N)),
            more_range: vec![attr("r2", ScalarType::S)],
        };
        let table_key = hash_key("pk", ScalarType::S);
        let entry = |pk: &str, r1: &str, r2: &str| {
            let json = format!(
                r#"{{"pk":{{"S":"{pk}"}},"h1":{{"S":"h"}},"h2":{{"N":"2"}},"r1":{{"N":"{r1}"}},"r2":{{"S":"{r2}"}}}}"#
            );
            let item: AttributeMap = serde_json::from_str(&json).expect("item");
            let key = index_entry_key(
                PartitionHashScheme::Dynamo,
                9,
                &index_key,
                &table_key,
                true,
                &item,
            );
            (key, pk.to_string())
        };
        let mut entries = [
            entry("a", "10", "a"),
            entry("b", "9", "z"),
            entry("c", "10", "0"),
            entry("d", "-1", "m"),
        ];
        let h: AttributeMap =
            serde_json::from_str(r#"{"h1":{"S":"h"},"h2":{"N":"2"}}"#).expect("values");
        let prefix = partition_prefix(PartitionHashScheme::Dynamo, 9, &[&h["h1"], &h["h2"]]);
        assert!(entries.iter().all(|(key, _)| key.starts_with(&prefix)));
        entries.sort();
        let order: Vec<&str> = entries.iter().map(|(_, pk)| pk.as_str()).collect();
        assert_eq!(order, ["d", "b", "c", "a"]);
    }

    fn hash_key(name: &str, scalar: ScalarType) -> KeySchema {
        KeySchema {
            hash: KeyAttribute {
                name: name.into(),
                scalar,
            },
            range: None,
            more_hash: Vec::new(),
            more_range: Vec::new(),
        }
    }

    /// The order of items by their keys under the DynamoDB scheme, as their `a` values.
    fn scan_order(scalar: ScalarType, values: &[&str]) -> Vec<String> {
        let schema = hash_key("a", scalar);
        let mut keyed: Vec<(Vec<u8>, String)> = values
            .iter()
            .map(|v| {
                let json = format!(r#"{{"a":{{"{scalar}":"{v}"}}}}"#);
                let item: AttributeMap = serde_json::from_str(&json).expect("item");
                (
                    item_key(PartitionHashScheme::Dynamo, 9, &schema, &item),
                    v.to_string(),
                )
            })
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(_, v)| v).collect()
    }

    // The expected orders are those of dynalite's Scan tests, which were checked against DynamoDB.
    #[test]
    fn string_keys_scan_in_dynamodb_order() {
        let values = [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "aardman", "hello", "zapf", "äáöü",
        ];
        let expected = [
            "2", "8", "9", "1", "6", "hello", "0", "5", "4", "äáöü", "aardman", "7", "3", "zapf",
        ];
        assert_eq!(scan_order(ScalarType::S, &values), expected);
    }

    #[test]
    fn number_keys_scan_in_dynamodb_order() {
        let values = [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-0.09", "999.9", "0.012345",
            "-999.9",
        ];
        let expected = [
            "7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6", "1", "0", "0.012345",
            "5",
        ];
        assert_eq!(scan_order(ScalarType::N, &values), expected);
    }

    #[test]
    fn index_entries_with_equal_index_keys_come_in_dynamodb_order() {
        let table_key = KeySchema {
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
        let index_key = hash_key("c", ScalarType::S);
        let items = [
            ("item", "a", "a"),
            ("item2", "b", "b"),
            ("item3", "c", "e"),
            ("item4", "c", "d"),
            ("item6", "d", "a"),
            ("item7", "e", "a"),
        ];
        let mut keyed: Vec<(Vec<u8>, &str)> = items
            .iter()
            .map(|(name, a, b)| {
                let json = format!(r#"{{"a":{{"S":"{a}"}},"b":{{"S":"{b}"}},"c":{{"S":"same"}}}}"#);
                let item: AttributeMap = serde_json::from_str(&json).expect("item");
                let key = index_entry_key(
                    PartitionHashScheme::Dynamo,
                    5,
                    &index_key,
                    &table_key,
                    true,
                    &item,
                );
                (key, *name)
            })
            .collect();
        keyed.sort();
        let order: Vec<&str> = keyed.into_iter().map(|(_, n)| n).collect();
        assert_eq!(order, ["item2", "item", "item3", "item7", "item6", "item4"]);
    }

    #[test]
    fn ids_take_the_bytes_they_need_sort_as_numbers_and_are_never_prefixes_of_each_other() {
        assert_eq!(id_prefix(0), [1, 0]);
        assert_eq!(id_prefix(255), [1, 255]);
        assert_eq!(id_prefix(256), [2, 1, 0]);
        assert_eq!(
            id_prefix(u64::MAX),
            [8, 255, 255, 255, 255, 255, 255, 255, 255]
        );
        let ids = [
            0u64,
            1,
            2,
            255,
            256,
            257,
            65_535,
            65_536,
            1 << 40,
            u64::MAX - 1,
            u64::MAX,
        ];
        for pair in ids.windows(2) {
            let (a, b) = (id_prefix(pair[0]), id_prefix(pair[1]));
            assert!(a < b, "{} sorts before {}", pair[0], pair[1]);
            assert!(!b.starts_with(&a) && !a.starts_with(&b));
        }
    }

    #[test]
    fn a_ttl_entry_leads_back_to_its_item_key() {
        let schema = KeySchema {
            hash: KeyAttribute {
                name: "pk".into(),
                scalar: ScalarType::S,
            },
            range: None,
            more_hash: Vec::new(),
            more_range: Vec::new(),
        };
        let item: AttributeMap = serde_json::from_str(r#"{"pk":{"S":"a"}}"#).expect("item");
        for id in [7, 300, 1 << 33] {
            for scheme in [PartitionHashScheme::Fnv, PartitionHashScheme::Dynamo] {
                let entry = ttl_entry_key(scheme, id, 1_700_000_000, &schema, &item);
                assert_eq!(
                    item_key_of_ttl_entry(id, &entry),
                    Some(item_key(scheme, id, &schema, &item))
                );
            }
        }
        assert_eq!(item_key_of_ttl_entry(7, &[1, 7, 0]), None);
    }
}
