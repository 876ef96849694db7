//! A streaming pre-check of a JSON request body against the service model, without building a JSON tree. It
//! answers `true` only when the full walk (`ServiceModel::validate`) would report nothing: every member has its
//! model type, every constraint holds, every required member is present. Anything it cannot vouch for —
//! duplicate members, a map whose minimum size depends on distinct keys, any violation — makes it answer
//! `false`, and the request then takes the full path (parse, walk, the exact error). Valid requests, the common
//! case, are thereby checked in one pass over their bytes.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Kind, ServiceModel, Shape};

impl ServiceModel {
    /// Whether an operation's request body certainly passes validation (see the module comment).
    pub fn accepts(&self, op: &str, body: &[u8]) -> bool {
        let Some(shape) = self.input(op) else {
            return false;
        };
        let mut de = serde_json::Deserializer::from_slice(body);
        let seed = Check {
            model: self,
            shape,
            required: true,
        };
        // A body must be an object: `null` (or nothing) is left to the full path.
        matches!(seed.deserialize(&mut de), Ok(true)) && de.end().is_ok()
    }
}

/// Checks one value against one shape; yields whether the value was present (not `null`).
#[derive(Clone, Copy)]
struct Check<'m> {
    model: &'m ServiceModel,
    shape: usize,
    /// Whether presence matters (a required member): an opaque value is then inspected for `null` rather
    /// than skipped.
    required: bool,
}

/// Why the pre-check gave up; never shown to anyone.
fn reject<E: serde::de::Error>() -> E {
    E::custom("")
}

impl Check<'_> {
    fn shape(&self) -> &Shape {
        &self.model.shapes[self.shape]
    }

    fn at(&self, shape: usize) -> Self {
        Check {
            shape,
            required: false,
            ..*self
        }
    }

    fn required_at(&self, shape: usize) -> Self {
        Check {
            shape,
            required: true,
            ..*self
        }
    }

    fn length_ok(&self, len: usize) -> bool {
        let shape = self.shape();
        let len = len as f64;
        shape.min.is_none_or(|min| len >= min) && shape.max.is_none_or(|max| len <= max)
    }

    fn string_ok(&self, s: &str) -> bool {
        match &self.shape().kind {
            Kind::Opaque | Kind::Timestamp => true,
            Kind::Blob => eddy_model::value::decode_blob(s).is_ok(),
            Kind::String {
                pattern,
                enumeration,
            } => {
                self.length_ok(s.chars().count())
                    && pattern
                        .as_ref()
                        .is_none_or(|p| super::pattern_matches(p, s))
                    && enumeration
                        .as_ref()
                        .is_none_or(|values| values.iter().any(|v| v == s))
            }
            _ => false,
        }
    }

    fn number_ok(&self, n: f64) -> bool {
        match &self.shape().kind {
            Kind::Opaque | Kind::Double | Kind::Timestamp => true,
            Kind::Integer { .. } => {
                let n = n.floor();
                let shape = self.shape();
                shape.min.is_none_or(|min| n >= min) && shape.max.is_none_or(|max| n <= max)
            }
            _ => false,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        if !self.required && matches!(self.shape().kind, Kind::Opaque) {
            // Skipping is cheaper than visiting (strings are not decoded).
            deserializer.deserialize_ignored_any(IgnoredAny)?;
            return Ok(true);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of the model's shape")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<bool, E> {
        match self.shape().kind {
            Kind::Boolean | Kind::Opaque => Ok(true),
            _ => Err(reject()),
        }
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<bool, E> {
        self.visit_f64(n as f64)
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<bool, E> {
        self.visit_f64(n as f64)
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<bool, E> {
        if self.number_ok(n) {
            Ok(true)
        } else {
            Err(reject())
        }
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<bool, E> {
        if self.string_ok(s) {
            Ok(true)
        } else {
            Err(reject())
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let item = match self.shape().kind {
            Kind::List { item, .. } => item,
            Kind::Opaque => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(true);
            }
            _ => return Err(reject()),
        };
        let mut len = 0;
        while seq.next_element_seed(self.at(item))?.is_some() {
            len += 1;
        }
        if self.length_ok(len) {
            Ok(true)
        } else {
            Err(reject())
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        match &self.shape().kind {
            Kind::Structure { members, required } => {
                // Members seen (to refuse duplicates, whose last value the full walk would judge) and present.
                if members.len() > 64 {
                    return Err(reject());
                }
                let (mut seen, mut present) = (0u64, 0u64);
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let Some(index) = members.iter().position(|m| m.wire == key.as_str()) else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    let bit = 1u64 << index;
                    if seen & bit != 0 {
                        return Err(reject());
                    }
                    seen |= bit;
                    let member = &members[index];
                    let check = if required.contains(&member.name) {
                        self.required_at(member.shape)
                    } else {
                        self.at(member.shape)
                    };
                    if map.next_value_seed(check)? {
                        present |= bit;
                    }
                }
                let all_present = members
                    .iter()
                    .enumerate()
                    .all(|(i, m)| present & (1 << i) != 0 || !required.contains(&m.name));
                if all_present { Ok(true) } else { Err(reject()) }
            }
            Kind::Map { key, value, .. } => {
                // A minimum above one counts distinct keys, which this pass does not track.
                if self.shape().min.is_some_and(|min| min > 1.0) {
                    return Err(reject());
                }
                let key_check = self.at(*key);
                let mut len = 0;
                while let Some(k) = map.next_key::<Key<'de>>()? {
                    if !key_check.string_ok(k.as_str()) {
                        return Err(reject());
                    }
                    map.next_value_seed(self.at(*value))?;
                    len += 1;
                }
                if self.length_ok(len) {
                    Ok(true)
                } else {
                    Err(reject())
                }
            }
            Kind::Opaque => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(true)
            }
            _ => Err(reject()),
        }
    }
}

/// A member name or map key: borrowed from the body unless it contains escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(s))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(s.to_string()))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::dynamodb;

    /// The pre-check never accepts what the full walk rejects, and accepts ordinary valid requests.
    #[test]
    fn accepts_only_what_the_walk_accepts() {
        let cases: &[(&str, &str)] = &[
            ("PutItem", r#"{"TableName":"t","Item":{"pk":{"S":"a"}}}"#),
            (
                "PutItem",
                r#"{"TableName":"t","Item":{"pk":{"S":"a"}},"ReturnValues":"ALL_OLD"}"#,
            ),
            (
                "PutItem",
                r#"{"TableName":"t","Item":{"pk":{"S":"a"}},"ReturnValues":"BAD"}"#,
            ),
            ("PutItem", r#"{"TableName":"","Item":{"pk":{"S":"a"}}}"#),
            ("PutItem", r#"{"TableName":"t"}"#),
            ("PutItem", r#"{"TableName":"t","Item":null}"#),
            ("PutItem", r#"{"TableName":5,"Item":{}}"#),
            ("PutItem", r#"{"TableName":"t","TableName":"u","Item":{}}"#),
            ("PutItem", r#"{"TableName":"t","Item":[]}"#),
            (
                "PutItem",
                r#"{"TableName":"t","Item":{},"Unknown":[1,{"a":2}]}"#,
            ),
            (
                "PutItem",
                r#"{"TableName":"t\u0041","Item":{"p\u006b":{"S":"a"}}}"#,
            ),
            ("PutItem", r#"[]"#),
            ("PutItem", r#"null"#),
            ("PutItem", r#"{"TableName":"t","Item":{}} trailing"#),
            ("Scan", r#"{"TableName":"t","Limit":0}"#),
            ("Scan", r#"{"TableName":"t","Limit":1.5}"#),
            ("Scan", r#"{"TableName":"t","Limit":"1"}"#),
            (
                "Scan",
                r#"{"TableName":"t","Segment":1,"TotalSegments":2,"ConsistentRead":true}"#,
            ),
            ("Scan", r#"{"TableName":"t","ConsistentRead":"true"}"#),
            (
                "Query",
                r#"{"TableName":"t","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"x"}}}"#,
            ),
            ("BatchGetItem", r#"{"RequestItems":{}}"#),
            (
                "BatchGetItem",
                r#"{"RequestItems":{"t":{"Keys":[{"pk":{"S":"a"}}]}}}"#,
            ),
            ("BatchGetItem", r#"{"RequestItems":{"t":{"Keys":[]}}}"#),
            (
                "CreateTable",
                r#"{"TableName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"BAD"}],"AttributeDefinitions":[]}"#,
            ),
            (
                "CreateTable",
                r#"{"TableName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#,
            ),
            (
                "CreateTable",
                r#"{"TableName":"a b","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}]}"#,
            ),
        ];
        let model = dynamodb();
        let mut accepted = 0;
        for (op, body) in cases {
            let walk_ok = serde_json::from_str::<serde_json::Value>(body)
                .is_ok_and(|v| v.is_object() && model.validate(op, &v).is_ok());
            let pre = model.accepts(op, body.as_bytes());
            assert!(
                !pre || walk_ok,
                "pre-check accepted what the walk rejects: {op} {body}"
            );
            accepted += usize::from(pre);
        }
        assert!(model.accepts("PutItem", br#"{"TableName":"t","Item":{"pk":{"S":"a"}}}"#));
        assert!(model.accepts(
            "Scan",
            br#"{"TableName":"t","Segment":1,"TotalSegments":2,"ConsistentRead":true}"#
        ));
        assert!(accepted >= 8, "accepted only {accepted} valid cases");
    }

    /// Every way of replacing one value of a valid request with a value of another type or an edge value:
    /// the pre-check must never accept a mutant the full walk rejects.
    #[test]
    fn no_mutant_is_accepted_that_the_walk_rejects() {
        use serde_json::{Value, json};
        let seeds: &[(&str, Value)] = &[
            (
                "PutItem",
                json!({"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"}},"ReturnValues":"ALL_OLD","ConditionExpression":"attribute_not_exists(pk)","ExpressionAttributeNames":{"#a":"pk"},"ExpressionAttributeValues":{":v":{"S":"x"}},"ReturnConsumedCapacity":"TOTAL"}),
            ),
            (
                "GetItem",
                json!({"TableName":"t","Key":{"pk":{"S":"a"}},"ConsistentRead":true,"ProjectionExpression":"pk","AttributesToGet":["pk"]}),
            ),
            (
                "Query",
                json!({"TableName":"t","IndexName":"byx","KeyConditionExpression":"pk = :p","Limit":10,"ScanIndexForward":false,"Select":"ALL_ATTRIBUTES","ExclusiveStartKey":{"pk":{"S":"a"}},"ExpressionAttributeValues":{":p":{"S":"x"}}}),
            ),
            (
                "Scan",
                json!({"TableName":"t","Segment":0,"TotalSegments":4,"Limit":5,"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}}}),
            ),
            (
                "UpdateItem",
                json!({"TableName":"t","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET a = :v","AttributeUpdates":{"b":{"Action":"PUT","Value":{"S":"y"}}},"Expected":{"c":{"Exists":false}},"ReturnValues":"UPDATED_NEW"}),
            ),
            (
                "BatchWriteItem",
                json!({"RequestItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]},"ReturnItemCollectionMetrics":"SIZE"}),
            ),
            (
                "BatchGetItem",
                json!({"RequestItems":{"t":{"Keys":[{"pk":{"S":"a"}}],"ConsistentRead":true}}}),
            ),
            (
                "CreateTable",
                json!({"TableName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"},"Tags":[{"Key":"k","Value":"v"}]}),
            ),
            (
                "TransactWriteItems",
                json!({"TransactItems":[{"Put":{"TableName":"t","Item":{"pk":{"S":"a"}}}}],"ClientRequestToken":"abc"}),
            ),
        ];
        let replacements = [
            Value::Null,
            json!(""),
            json!("x"),
            json!("a b"),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(100000000000u64),
            json!(true),
            json!([]),
            json!([1]),
            json!({}),
            json!({"S":"x"}),
        ];
        let model = dynamodb();
        let (mut mutants, mut accepted) = (0, 0);
        for (op, seed) in seeds {
            assert!(
                model.validate(op, seed).is_ok(),
                "seed of {op} must be valid"
            );
            assert!(
                model.accepts(op, seed.to_string().as_bytes()),
                "seed of {op} must pass the pre-check"
            );
            for path in paths(seed) {
                for replacement in &replacements {
                    let mut mutant = seed.clone();
                    *value_at(&mut mutant, &path) = replacement.clone();
                    mutants += 1;
                    let body = mutant.to_string();
                    if model.accepts(op, body.as_bytes()) {
                        accepted += 1;
                        assert!(
                            model.validate(op, &mutant).is_ok(),
                            "pre-check accepted what the walk rejects: {op} {body}"
                        );
                    }
                }
            }
        }
        assert!(
            mutants > 1000 && accepted > 100,
            "{mutants} mutants, {accepted} accepted"
        );
    }

    /// Paths (object keys and array indexes) to every value inside a JSON value.
    fn paths(value: &serde_json::Value) -> Vec<Vec<PathStep>> {
        let mut out = Vec::new();
        let children: Vec<(PathStep, &serde_json::Value)> = match value {
            serde_json::Value::Object(o) => o
                .iter()
                .map(|(k, v)| (PathStep::Key(k.clone()), v))
                .collect(),
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (PathStep::Index(i), v))
                .collect(),
            _ => Vec::new(),
        };
        for (step, child) in children {
            out.push(vec![step.clone()]);
            for mut rest in paths(child) {
                rest.insert(0, step.clone());
                out.push(rest);
            }
        }
        out
    }

    #[derive(Clone)]
    enum PathStep {
        Key(String),
        Index(usize),
    }

    fn value_at<'v>(
        value: &'v mut serde_json::Value,
        path: &[PathStep],
    ) -> &'v mut serde_json::Value {
        path.iter().fold(value, |v, step| match step {
            PathStep::Key(k) => &mut v[k.as_str()],
            PathStep::Index(i) => &mut v[*i],
        })
    }
}
