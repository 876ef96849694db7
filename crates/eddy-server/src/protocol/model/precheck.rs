//! A streaming pre-check of a JSON request body against the service model, without building a JSON tree. It
//! answers `true` only when the full walk (`ServiceModel::validate`) would report nothing: every member has its
//! model type, every constraint holds, every required member is present. Anything it cannot vouch for —
//! duplicate members, a map whose minimum size depends on distinct keys, any violation — makes it answer
//! `false`, and the request then takes the full path (parse, walk, the exact error). `checked` uses this walk
//! for the values a typed request skips, and its own adapter, with these same checks, for the values it reads.

use std::fmt;

use eddy_model::value::SkippedValue;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Kind, Member, ServiceModel, Shape};

impl ServiceModel {
    /// Whether an operation's request body certainly passes validation (see the module comment).
    #[cfg(test)]
    pub fn accepts(&self, op: &str, body: &[u8]) -> bool {
        self.decode_checked::<IgnoredAny>(op, body).is_some()
    }
}

/// Checks one value against one shape; yields whether the value was present (not `null`).
#[derive(Clone, Copy)]
pub(super) struct Check<'m> {
    model: &'m ServiceModel,
    shape: usize,
    /// Whether presence matters (a required member): an opaque value is then inspected for `null` rather
    /// than skipped.
    pub(super) required: bool,
}

/// Why the pre-check gave up; never shown to anyone.
pub(super) fn reject<E: serde::de::Error>() -> E {
    E::custom("")
}

impl<'m> Check<'m> {
    /// The check of a whole request body against its input shape.
    pub(super) fn required(model: &'m ServiceModel, shape: usize) -> Self {
        Check {
            model,
            shape,
            required: true,
        }
    }

    pub(super) fn shape(&self) -> &'m Shape {
        &self.model.shapes[self.shape]
    }

    pub(super) fn at(&self, shape: usize) -> Self {
        Check {
            shape,
            required: false,
            ..*self
        }
    }

    fn members(&self) -> &'m [Member] {
        match &self.shape().kind {
            Kind::Structure { members, .. } => members,
            _ => &[],
        }
    }

    /// The index of a structure's member, by its name on the wire.
    pub(super) fn member_index(&self, wire: &str) -> Option<usize> {
        self.members().iter().position(|m| m.wire == wire)
    }

    /// The check of a structure's member's value.
    pub(super) fn member_at(&self, index: usize) -> Self {
        let member = &self.members()[index];
        Check {
            shape: member.shape,
            required: member.required,
            ..*self
        }
    }

    /// Whether every required member of a structure is among those present (a bit per member index).
    pub(super) fn all_required_present(&self, present: u64) -> bool {
        self.members()
            .iter()
            .enumerate()
            .all(|(i, m)| !m.required || present & (1 << i) != 0)
    }

    pub(super) fn length_ok(&self, len: usize) -> bool {
        let shape = self.shape();
        let len = len as f64;
        shape.min.is_none_or(|min| len >= min) && shape.max.is_none_or(|max| len <= max)
    }

    pub(super) fn string_ok(&self, s: &str) -> bool {
        if self.shape().name == "TableArn" && !s.is_empty() && !s.starts_with("arn:") {
            return super::is_table_name(s);
        }
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

    pub(super) fn number_ok(&self, n: f64) -> bool {
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
            Kind::Structure { members, .. } => {
                // Members seen (to refuse duplicates, whose last value the full walk would judge) and present.
                if members.len() > 64 {
                    return Err(reject());
                }
                let (mut seen, mut present) = (0u64, 0u64);
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let Some(index) = self.member_index(key.as_str()) else {
                        map.next_value::<SkippedValue>()?;
                        continue;
                    };
                    let bit = 1u64 << index;
                    if seen & bit != 0 {
                        return Err(reject());
                    }
                    seen |= bit;
                    if map.next_value_seed(self.member_at(index))? {
                        present |= bit;
                    }
                }
                if self.all_required_present(present) {
                    Ok(true)
                } else {
                    Err(reject())
                }
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
pub(super) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(super) fn as_str(&self) -> &str {
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
            ("PutItem", r#"{"TableName":"tbl","Item":{"pk":{"S":"a"}}}"#),
            (
                "PutItem",
                r#"{"TableName":"tbl","Item":{"pk":{"S":"a"}},"ReturnValues":"ALL_OLD"}"#,
            ),
            (
                "PutItem",
                r#"{"TableName":"tbl","Item":{"pk":{"S":"a"}},"ReturnValues":"BAD"}"#,
            ),
            ("PutItem", r#"{"TableName":"","Item":{"pk":{"S":"a"}}}"#),
            ("PutItem", r#"{"TableName":"tbl"}"#),
            ("PutItem", r#"{"TableName":"tbl","Item":null}"#),
            ("PutItem", r#"{"TableName":5,"Item":{}}"#),
            (
                "PutItem",
                r#"{"TableName":"tbl","TableName":"uvw","Item":{}}"#,
            ),
            ("PutItem", r#"{"TableName":"tbl","Item":[]}"#),
            (
                "PutItem",
                r#"{"TableName":"tbl","Item":{},"Unknown":[1,{"a":2}]}"#,
            ),
            (
                "PutItem",
                r#"{"TableName":"t\u0041","Item":{"p\u006b":{"S":"a"}}}"#,
            ),
            ("PutItem", r#"[]"#),
            ("PutItem", r#"null"#),
            ("PutItem", r#"{"TableName":"tbl","Item":{}} trailing"#),
            ("Scan", r#"{"TableName":"tbl","Limit":0}"#),
            ("Scan", r#"{"TableName":"tbl","Limit":1.5}"#),
            ("Scan", r#"{"TableName":"tbl","Limit":"1"}"#),
            (
                "Scan",
                r#"{"TableName":"tbl","Segment":1,"TotalSegments":2,"ConsistentRead":true}"#,
            ),
            ("Scan", r#"{"TableName":"tbl","ConsistentRead":"true"}"#),
            (
                "Query",
                r#"{"TableName":"tbl","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"x"}}}"#,
            ),
            ("BatchGetItem", r#"{"RequestItems":{}}"#),
            (
                "BatchGetItem",
                r#"{"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"a"}}]}}}"#,
            ),
            ("BatchGetItem", r#"{"RequestItems":{"tbl":{"Keys":[]}}}"#),
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
        assert!(model.accepts("PutItem", br#"{"TableName":"tbl","Item":{"pk":{"S":"a"}}}"#));
        assert!(model.accepts(
            "Scan",
            br#"{"TableName":"tbl","Segment":1,"TotalSegments":2,"ConsistentRead":true}"#
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
                json!({"TableName":"tbl","Item":{"pk":{"S":"a"},"n":{"N":"1"}},"ReturnValues":"ALL_OLD","ConditionExpression":"attribute_not_exists(pk)","ExpressionAttributeNames":{"#a":"pk"},"ExpressionAttributeValues":{":v":{"S":"x"}},"ReturnConsumedCapacity":"TOTAL"}),
            ),
            (
                "GetItem",
                json!({"TableName":"tbl","Key":{"pk":{"S":"a"}},"ConsistentRead":true,"ProjectionExpression":"pk","AttributesToGet":["pk"]}),
            ),
            (
                "Query",
                json!({"TableName":"tbl","IndexName":"byx","KeyConditionExpression":"pk = :p","Limit":10,"ScanIndexForward":false,"Select":"ALL_ATTRIBUTES","ExclusiveStartKey":{"pk":{"S":"a"}},"ExpressionAttributeValues":{":p":{"S":"x"}}}),
            ),
            (
                "Scan",
                json!({"TableName":"tbl","Segment":0,"TotalSegments":4,"Limit":5,"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}}}),
            ),
            (
                "UpdateItem",
                json!({"TableName":"tbl","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET a = :v","AttributeUpdates":{"b":{"Action":"PUT","Value":{"S":"y"}}},"Expected":{"c":{"Exists":false}},"ReturnValues":"UPDATED_NEW"}),
            ),
            (
                "BatchWriteItem",
                json!({"RequestItems":{"tbl":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]},"ReturnItemCollectionMetrics":"SIZE"}),
            ),
            (
                "BatchGetItem",
                json!({"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"a"}}],"ConsistentRead":true}}}),
            ),
            (
                "CreateTable",
                json!({"TableName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"},"Tags":[{"Key":"k","Value":"v"}]}),
            ),
            (
                "TransactWriteItems",
                json!({"TransactItems":[{"Put":{"TableName":"tbl","Item":{"pk":{"S":"a"}}}}],"ClientRequestToken":"abc"}),
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
        let opaque_values = super::super::dynamodb_with_opaque_attribute_values();
        let (mut mutants, mut accepted, mut checked) = (0, 0, 0);
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
                    // The fast decoders leave `AttributeValue`s to the typed request, which refuses any wrong
                    // JSON type in them; the walk's own check of them is the slow path's.
                    let valid = opaque_values.validate(op, &mutant).is_ok();
                    if model.accepts(op, body.as_bytes()) {
                        accepted += 1;
                        assert!(
                            valid,
                            "pre-check accepted what the walk rejects: {op} {body}"
                        );
                    }
                    // Decoded through `Checked` (every value visited, none skipped).
                    let decoded = model.decode_checked::<Value>(op, body.as_bytes());
                    assert!(
                        decoded.is_none() || valid,
                        "checked decode accepted what the walk rejects: {op} {body}"
                    );
                    assert!(
                        decoded.as_ref().is_none_or(|d| *d == mutant),
                        "checked decode changed the request: {op} {body}"
                    );
                    checked += usize::from(decoded.is_some());
                }
            }
        }
        assert!(
            mutants > 1000 && accepted > 100 && checked > 100,
            "{mutants} mutants, {accepted} accepted, {checked} decoded"
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
