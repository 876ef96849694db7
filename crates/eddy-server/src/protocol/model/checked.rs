//! Decoding a request body into its typed form while checking it against the service model, in one pass over
//! the bytes. `Checked` wraps the JSON deserializer: every value the typed request reads passes the same
//! checks as the pre-check (`precheck`) — type, length, pattern, enumeration, range, required members,
//! duplicates — and values the typed request skips are walked by the pre-check itself. The answer is the typed
//! request only when the full walk (`ServiceModel::validate`) would report nothing; on any doubt it is `None`
//! and the request takes the full path (parse, walk, the exact error), as with the pre-check.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    Visitor,
};

use super::precheck::{Check, Key, reject};
use super::{Kind, ServiceModel};

impl ServiceModel {
    /// An operation's typed request, when its body certainly passes validation (see the module comment).
    pub fn decode_checked<T: DeserializeOwned>(&self, op: &str, body: &[u8]) -> Option<T> {
        let shape = self.input(op)?;
        let mut de = serde_json::Deserializer::from_slice(body);
        let present = Cell::new(true);
        let checked = Checked {
            check: Check::required(self, shape),
            present: &present,
            inner: &mut de,
        };
        let request = T::deserialize(checked).ok()?;
        // A body must be an object: `null` is left to the full path.
        (present.get() && de.end().is_ok()).then_some(request)
    }
}

/// A deserializer whose values are checked against one shape; `present` is cleared when the value is `null`.
struct Checked<'c, D> {
    check: Check<'c>,
    present: &'c Cell<bool>,
    inner: D,
}

/// Wraps a visitor so that what it is shown is checked first.
struct Wrap<'c, V> {
    check: Check<'c>,
    present: &'c Cell<bool>,
    visitor: V,
}

impl<'c, D> Checked<'c, D> {
    fn wrap<V>(self, visitor: V) -> (D, Wrap<'c, V>) {
        let wrap = Wrap {
            check: self.check,
            present: self.present,
            visitor,
        };
        (self.inner, wrap)
    }

    /// Opaque shapes are not looked into (the typed request validates them), except for presence.
    fn is_opaque(&self) -> bool {
        matches!(self.check.shape().kind, Kind::Opaque)
    }
}

macro_rules! forward_checked {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                if self.is_opaque() && !self.check.required {
                    return self.inner.$method($($arg,)* visitor);
                }
                let (inner, wrap) = self.wrap(visitor);
                inner.$method($($arg,)* wrap)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Checked<'_, D> {
    type Error = D::Error;

    forward_checked! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
        deserialize_i64(), deserialize_u8(), deserialize_u16(), deserialize_u32(), deserialize_u64(),
        deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(), deserialize_string(),
        deserialize_bytes(), deserialize_byte_buf(), deserialize_option(), deserialize_unit(),
        deserialize_unit_struct(name: &'static str), deserialize_newtype_struct(name: &'static str),
        deserialize_seq(), deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(), deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]), deserialize_identifier(),
    }

    /// A value the typed request skips is still checked, by the pre-check's walk.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if self.is_opaque() && !self.check.required {
            return self.inner.deserialize_ignored_any(visitor);
        }
        if !self.check.deserialize(self.inner)? {
            self.present.set(false);
        }
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<V> Wrap<'_, V> {
    fn checked<E: de::Error>(self, ok: bool) -> Result<V, E> {
        if ok { Ok(self.visitor) } else { Err(reject()) }
    }

    fn is_opaque(&self) -> bool {
        matches!(self.check.shape().kind, Kind::Opaque)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        let ok = matches!(self.check.shape().kind, Kind::Boolean | Kind::Opaque);
        self.checked(ok)?.visit_bool(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        let ok = self.check.number_ok(v as f64);
        self.checked(ok)?.visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        let ok = self.check.number_ok(v as f64);
        self.checked(ok)?.visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        let ok = self.check.number_ok(v);
        self.checked(ok)?.visit_f64(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        let ok = self.check.string_ok(v);
        self.checked(ok)?.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        let ok = self.check.string_ok(v);
        self.checked(ok)?.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        let ok = self.check.string_ok(&v);
        self.checked(ok)?.visit_string(v)
    }

    /// Bytes are never what a JSON body holds for a checked shape; the full path decides.
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<V::Value, E> {
        Err(reject())
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.present.set(false);
        self.visitor.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.present.set(false);
        self.visitor.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        let checked = Checked {
            check: self.check,
            present: self.present,
            inner,
        };
        self.visitor.visit_some(checked)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        let checked = Checked {
            check: self.check,
            present: self.present,
            inner,
        };
        self.visitor.visit_newtype_struct(checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.is_opaque() {
            return self.visitor.visit_seq(seq);
        }
        let Kind::List { item, .. } = self.check.shape().kind else {
            return Err(reject());
        };
        let mut list = CheckedSeq {
            item: self.check.at(item),
            seq,
            len: 0,
            ended: false,
        };
        let value = self.visitor.visit_seq(&mut list)?;
        if list.ended && self.check.length_ok(list.len) {
            Ok(value)
        } else {
            Err(reject())
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        match &self.check.shape().kind {
            Kind::Opaque => self.visitor.visit_map(map),
            Kind::Structure { members, .. } if members.len() <= 64 => {
                let mut access = CheckedStruct {
                    check: self.check,
                    map,
                    member: None,
                    seen: 0,
                    present: 0,
                    ended: false,
                };
                let value = self.visitor.visit_map(&mut access)?;
                if access.ended && self.check.all_required_present(access.present) {
                    Ok(value)
                } else {
                    Err(reject())
                }
            }
            // A minimum above one counts distinct keys, which this pass does not track.
            Kind::Map { key, value, .. } if self.check.shape().min.is_none_or(|min| min <= 1.0) => {
                let mut access = CheckedMap {
                    key: self.check.at(*key),
                    value: self.check.at(*value),
                    map,
                    len: 0,
                    ended: false,
                };
                let result = self.visitor.visit_map(&mut access)?;
                if access.ended && self.check.length_ok(access.len) {
                    Ok(result)
                } else {
                    Err(reject())
                }
            }
            _ => Err(reject()),
        }
    }

    /// No typed request reads an enumeration through serde's enum support; should one, the full path decides.
    fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<V::Value, A::Error> {
        Err(reject())
    }
}

/// The elements of a list, each checked against the item shape.
struct CheckedSeq<'c, A> {
    item: Check<'c>,
    seq: A,
    len: usize,
    /// Whether the visitor read to the end of the list.
    ended: bool,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for &mut CheckedSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let present = Cell::new(true);
        let element = self.seq.next_element_seed(CheckedSeed {
            check: self.item,
            present: &present,
            seed,
        })?;
        match element {
            Some(_) => self.len += 1,
            None => self.ended = true,
        }
        Ok(element)
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// Deserializes a seed's value through `Checked`.
struct CheckedSeed<'c, T> {
    check: Check<'c>,
    present: &'c Cell<bool>,
    seed: T,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for CheckedSeed<'_, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<T::Value, D::Error> {
        self.seed.deserialize(Checked {
            check: self.check,
            present: self.present,
            inner,
        })
    }
}

/// The next key of an object, noting when the object has ended.
fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    ended: &mut bool,
) -> Result<Option<Key<'de>>, A::Error> {
    let key = map.next_key::<Key<'de>>()?;
    *ended = key.is_none();
    Ok(key)
}

/// The next value of an object, checked against `check`; also whether it was present (not `null`).
fn next_checked_value<'de, A: MapAccess<'de>, T: DeserializeSeed<'de>>(
    map: &mut A,
    check: Check<'_>,
    seed: T,
) -> Result<(T::Value, bool), A::Error> {
    let present = Cell::new(true);
    let value = map.next_value_seed(CheckedSeed {
        check,
        present: &present,
        seed,
    })?;
    Ok((value, present.get()))
}

/// The members of a structure: each known member checked against its shape, duplicates refused, required
/// members recorded as present.
struct CheckedStruct<'c, A> {
    check: Check<'c>,
    map: A,
    /// The member whose value comes next, if it is one of the model's.
    member: Option<usize>,
    seen: u64,
    present: u64,
    /// Whether the visitor read to the end of the object.
    ended: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for &mut CheckedStruct<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = next_key(&mut self.map, &mut self.ended)? else {
            return Ok(None);
        };
        self.member = self.check.member_index(key.as_str());
        if let Some(index) = self.member {
            let bit = 1u64 << index;
            if self.seen & bit != 0 {
                return Err(reject());
            }
            self.seen |= bit;
        }
        key.feed(seed).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let Some(index) = self.member.take() else {
            // Not a member of the model: the full walk ignores it too, once the parse has read it into a tree
            // (and failed if it nests too deep; the parser's own skip has no limit, so read it as a tree).
            let value = self.map.next_value::<serde_json::Value>()?;
            return seed.deserialize(value).map_err(de::Error::custom);
        };
        let (value, present) =
            next_checked_value(&mut self.map, self.check.member_at(index), seed)?;
        if present {
            self.present |= 1u64 << index;
        }
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// The entries of a map shape: keys checked against the key shape, values against the value shape.
struct CheckedMap<'c, A> {
    key: Check<'c>,
    value: Check<'c>,
    map: A,
    len: usize,
    ended: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for &mut CheckedMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = next_key(&mut self.map, &mut self.ended)? else {
            return Ok(None);
        };
        if !self.key.string_ok(key.as_str()) {
            return Err(reject());
        }
        self.len += 1;
        key.feed(seed).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        next_checked_value(&mut self.map, self.value, seed).map(|(value, _)| value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

impl<'de> Key<'de> {
    /// Hands the key to the typed request's seed, borrowed from the body when it can be.
    fn feed<K: DeserializeSeed<'de>, E: de::Error>(self, seed: K) -> Result<K::Value, E> {
        match self {
            Key::Borrowed(s) => seed.deserialize(de::value::BorrowedStrDeserializer::new(s)),
            Key::Owned(s) => seed.deserialize(de::value::StringDeserializer::new(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::super::dynamodb;

    /// A typed request shaped like the operations': some members read directly, the rest through `flatten`.
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Put {
        table_name: String,
        item: Value,
        #[serde(flatten)]
        rest: Rest,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Rest {
        return_values: Option<String>,
        expression_attribute_names: Option<std::collections::BTreeMap<String, String>>,
    }

    fn decode(body: Value) -> Option<Put> {
        dynamodb().decode_checked("PutItem", body.to_string().as_bytes())
    }

    #[test]
    fn a_valid_request_decodes_in_one_pass() {
        let put = decode(json!({
            "TableName": "tbl",
            "Item": {"pk": {"S": "a"}},
            "ReturnValues": "ALL_OLD",
            "ExpressionAttributeNames": {"#a": "pk"},
            "Unknown": [1, {"x": null}],
        }))
        .expect("decoded");
        assert_eq!(put.table_name, "tbl");
        assert_eq!(put.item, json!({"pk": {"S": "a"}}));
        assert_eq!(put.rest.return_values.as_deref(), Some("ALL_OLD"));
        assert_eq!(
            put.rest.expression_attribute_names.map(|n| n.len()),
            Some(1)
        );
    }

    #[test]
    fn anything_the_model_rejects_is_left_to_the_full_path() {
        let valid = json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}});
        assert!(decode(valid.clone()).is_some());
        let mutants = [
            // A flattened member outside its enumeration.
            json!({"TableName": "tbl", "Item": {}, "ReturnValues": "BAD"}),
            // A member the typed request never reads, of the wrong type.
            json!({"TableName": "tbl", "Item": {}, "ConditionalOperator": 5}),
            json!({"TableName": "tbl", "Item": {}, "ReturnConsumedCapacity": "BAD"}),
            // A required member missing, or null.
            json!({"TableName": "tbl"}),
            json!({"TableName": "tbl", "Item": null}),
            // A map's value of the wrong type.
            json!({"TableName": "tbl", "Item": {}, "ExpressionAttributeNames": {"#a": 5}}),
            Value::Null,
        ];
        for mutant in mutants {
            assert!(decode(mutant.clone()).is_none(), "accepted {mutant}");
            assert!(dynamodb().validate("PutItem", &mutant).is_err() || mutant.is_null());
        }
        let duplicate = br#"{"TableName":"tbl","TableName":"uvw","Item":{}}"#;
        assert!(
            dynamodb()
                .decode_checked::<Value>("PutItem", duplicate)
                .is_none()
        );
        // A member the model does not know, nested deeper than the parser's limit: the full path's parse
        // fails on it, so this one must too.
        let deep = format!(
            r#"{{"TableName":"tbl","Item":{{}},"Unknown":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(serde_json::from_str::<Value>(&deep).is_err());
        assert!(
            dynamodb()
                .decode_checked::<Put>("PutItem", deep.as_bytes())
                .is_none()
        );
        assert!(!dynamodb().accepts("PutItem", deep.as_bytes()));
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Describe {
            #[allow(dead_code)]
            table_name: String,
        }
        let deep = deep.replace(r#","Item":{}"#, "");
        let describe = dynamodb().decode_checked::<Describe>("DescribeTable", deep.as_bytes());
        assert!(describe.is_none());
        let shallow = br#"{"TableName":"tbl","Unknown":[[{"x":[1]}]]}"#;
        let describe = dynamodb().decode_checked::<Describe>("DescribeTable", shallow);
        assert!(describe.is_some());
        let trailing = br#"{"TableName":"tbl","Item":{}} x"#;
        assert!(
            dynamodb()
                .decode_checked::<Put>("PutItem", trailing)
                .is_none()
        );
    }
}
