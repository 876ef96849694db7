//! The AWS query protocol's requests (SNS, SQS for older SDKs, and later IAM and STS): `Action=…&Version=…`
//! with every input member flattened into form parameters the way botocore's `QuerySerializer` writes them —
//! structure members joined with `.`, lists as `Name.member.N` (or `Name.N`, renamed to the item's name, when
//! flattened), maps as `Name.entry.N.key` / `.value` (or `Name.N.<key name>` when flattened), booleans as
//! `true`/`false`, blobs in base64, an empty list as `Name=`.
//!
//! `decode` turns the parameters back into the JSON document the JSON protocol would have sent, guided by the
//! operation's input shape, so one validator and one set of typed requests serve both protocols.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Number, Value};

use super::model::{Kind, ServiceModel};

/// Form parameters of a request: the query string's and the body's (the body wins).
pub fn parse_params(query: Option<&str>, body: &[u8]) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    if let Some(q) = query {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            params.insert(k.into_owned(), v.into_owned());
        }
    }
    for (k, v) in form_urlencoded::parse(body) {
        params.insert(k.into_owned(), v.into_owned());
    }
    params
}

/// A parameter whose text is not a value of its member's type.
#[derive(Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The parameter as sent (`MaxNumberOfMessages`, `Attribute.1.Value`, …).
    pub parameter: String,
    pub value: String,
    /// `integer`, `boolean`, `double`.
    pub expected: &'static str,
}

/// Decodes the parameters of `op` into its JSON input document. Parameters the shape does not name are
/// ignored, as AWS's query front end ignores them.
pub fn decode(
    model: &ServiceModel,
    op: &str,
    params: &BTreeMap<String, String>,
) -> Result<Value, DecodeError> {
    let Some(shape) = model.input(op) else {
        return Ok(Value::Object(Map::new()));
    };
    let decoder = Decoder { model, params };
    Ok(decoder
        .structure(shape, "")?
        .unwrap_or_else(|| Value::Object(Map::new())))
}

struct Decoder<'a> {
    model: &'a ServiceModel,
    params: &'a BTreeMap<String, String>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

impl Decoder<'_> {
    /// Whether any parameter is `key` or lies under `key.`.
    fn present(&self, key: &str) -> bool {
        let under = format!("{key}.");
        self.params.contains_key(key)
            || self
                .params
                .range(under.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&under))
    }

    /// The indices `N` of parameters `prefix.N` / `prefix.N.…`, in numeric order.
    fn indices(&self, prefix: &str) -> Vec<u64> {
        let under = format!("{prefix}.");
        let mut out = BTreeSet::new();
        for (k, _) in self.params.range(under.clone()..) {
            let Some(rest) = k.strip_prefix(&under) else {
                break;
            };
            let index = rest.split('.').next().unwrap_or("");
            if let Ok(n) = index.parse::<u64>() {
                out.insert(n);
            }
        }
        out.into_iter().collect()
    }

    fn structure(&self, shape: usize, prefix: &str) -> Result<Option<Value>, DecodeError> {
        let Kind::Structure { members, .. } = &self.model.shapes[shape].kind else {
            return Ok(None);
        };
        let mut out = Map::new();
        for member in members {
            let key = join(prefix, &member.query_name);
            if let Some(v) = self.value(member.shape, &key, member.flattened)? {
                out.insert(member.name.clone(), v);
            }
        }
        Ok(
            (!out.is_empty() || prefix.is_empty() || self.present(prefix))
                .then_some(Value::Object(out)),
        )
    }

    fn value(
        &self,
        shape: usize,
        key: &str,
        flattened: bool,
    ) -> Result<Option<Value>, DecodeError> {
        match &self.model.shapes[shape].kind {
            Kind::Structure { .. } => {
                if !self.present(key) {
                    return Ok(None);
                }
                self.structure(shape, key)
            }
            Kind::List { item, item_name } => {
                if self.params.get(key).is_some_and(String::is_empty) {
                    return Ok(Some(Value::Array(Vec::new())));
                }
                let list_prefix = if flattened {
                    match item_name {
                        Some(name) => match key.rsplit_once('.') {
                            Some((parent, _)) => format!("{parent}.{name}"),
                            None => name.clone(),
                        },
                        None => key.to_string(),
                    }
                } else {
                    format!("{key}.{}", item_name.as_deref().unwrap_or("member"))
                };
                let indices = self.indices(&list_prefix);
                if indices.is_empty() {
                    return Ok(None);
                }
                let mut items = Vec::with_capacity(indices.len());
                for i in indices {
                    if let Some(v) = self.value(*item, &format!("{list_prefix}.{i}"), false)? {
                        items.push(v);
                    }
                }
                Ok(Some(Value::Array(items)))
            }
            Kind::Map {
                value,
                key_name,
                value_name,
                ..
            } => {
                let full = if flattened {
                    key.to_string()
                } else {
                    format!("{key}.entry")
                };
                let indices = self.indices(&full);
                if indices.is_empty() {
                    return Ok(None);
                }
                let mut out = Map::new();
                for i in indices {
                    let Some(k) = self.params.get(&format!("{full}.{i}.{key_name}")) else {
                        continue;
                    };
                    let v = self
                        .value(*value, &format!("{full}.{i}.{value_name}"), false)?
                        .unwrap_or(Value::Null);
                    out.insert(k.clone(), v);
                }
                Ok(Some(Value::Object(out)))
            }
            Kind::Integer { .. } => self.scalar(key, "integer", |s| {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .map(|n| Value::Number(n.into()))
            }),
            Kind::Double => self.scalar(key, "double", |s| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            }),
            Kind::Boolean => self.scalar(key, "boolean", |s| match s {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            }),
            Kind::String { .. } | Kind::Blob | Kind::Timestamp | Kind::Opaque => {
                Ok(self.params.get(key).map(|s| Value::String(s.clone())))
            }
        }
    }

    fn scalar(
        &self,
        key: &str,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<Value>,
    ) -> Result<Option<Value>, DecodeError> {
        let Some(text) = self.params.get(key) else {
            return Ok(None);
        };
        parse(text).map(Some).ok_or_else(|| DecodeError {
            parameter: key.to_string(),
            value: text.clone(),
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::model;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sqs_flattened_maps_lists_and_nested_structures() {
        let p = params(&[
            ("QueueUrl", "http://h/1/q"),
            ("SendMessageBatchRequestEntry.1.Id", "a"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "hello"),
            ("SendMessageBatchRequestEntry.1.DelaySeconds", "5"),
            (
                "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name",
                "color",
            ),
            (
                "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType",
                "String",
            ),
            (
                "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue",
                "blue",
            ),
            ("SendMessageBatchRequestEntry.2.Id", "b"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "bye"),
        ]);
        let v = decode(model::sqs(), "SendMessageBatch", &p).unwrap();
        assert_eq!(
            v,
            json!({"QueueUrl": "http://h/1/q", "Entries": [
                {"Id": "a", "MessageBody": "hello", "DelaySeconds": 5,
                 "MessageAttributes": {"color": {"DataType": "String", "StringValue": "blue"}}},
                {"Id": "b", "MessageBody": "bye"}
            ]})
        );
        let p = params(&[
            ("QueueName", "q"),
            ("Attribute.1.Name", "VisibilityTimeout"),
            ("Attribute.1.Value", "60"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "core"),
        ]);
        assert_eq!(
            decode(model::sqs(), "CreateQueue", &p).unwrap(),
            json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "60"}, "tags": {"team": "core"}})
        );
        let p = params(&[
            ("QueueUrl", "u"),
            ("AttributeName.1", "All"),
            ("MessageAttributeName.1", "color"),
            ("MaxNumberOfMessages", "x"),
        ]);
        assert_eq!(
            decode(model::sqs(), "ReceiveMessage", &p).unwrap_err(),
            DecodeError {
                parameter: "MaxNumberOfMessages".into(),
                value: "x".into(),
                expected: "integer"
            }
        );
    }

    #[test]
    fn sns_member_lists_and_entry_maps() {
        let p = params(&[
            ("Name", "t"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "Hi"),
            ("Tags.member.1.Key", "k"),
            ("Tags.member.1.Value", "v"),
        ]);
        assert_eq!(
            decode(model::sns(), "CreateTopic", &p).unwrap(),
            json!({"Name": "t", "Attributes": {"DisplayName": "Hi"}, "Tags": [{"Key": "k", "Value": "v"}]})
        );
        let p = params(&[
            ("TopicArn", "arn"),
            ("Message", "m"),
            ("MessageAttributes.entry.1.Name", "n"),
            ("MessageAttributes.entry.1.Value.DataType", "Number"),
            ("MessageAttributes.entry.1.Value.StringValue", "5"),
        ]);
        assert_eq!(
            decode(model::sns(), "Publish", &p).unwrap(),
            json!({"TopicArn": "arn", "Message": "m",
                   "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "5"}}})
        );
        let p = params(&[("ResourceArn", "a"), ("TagKeys", "")]);
        assert_eq!(
            decode(model::sns(), "UntagResource", &p).unwrap(),
            json!({"ResourceArn": "a", "TagKeys": []})
        );
    }
}
