//! A stream record's wire JSON, serialized straight from the stored record (no intermediate `serde_json::Value`):
//! the shape GetRecords returns and, with `eventSourceARN` and Lambda's lower-case `userIdentity`, the shape a
//! function receives from an event source mapping. Members come in the order AWS sends them.

use eddy_model::AttributeMap;
use serde::Serialize;

use crate::stream::{StreamDef, StreamRecord};

/// Who reads the record: the two shapes differ only in `eventSourceARN` and the case of `userIdentity`'s keys.
#[derive(Clone, Copy, Debug)]
pub enum RecordShape<'a> {
    /// DynamoDB Streams' GetRecords (`userIdentity: {"PrincipalId", "Type"}`).
    GetRecords,
    /// A Lambda event (`eventSourceARN` added, `userIdentity: {"type", "principalId"}`).
    Lambda { event_source_arn: &'a str },
}

/// Serializes `record` of `stream` in `shape`.
pub struct RecordJson<'a> {
    pub stream: &'a StreamDef,
    pub record: &'a StreamRecord,
    pub shape: RecordShape<'a>,
}

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "eventID")]
    event_id: &'a str,
    #[serde(rename = "eventName")]
    event_name: &'static str,
    #[serde(rename = "eventVersion")]
    event_version: &'static str,
    #[serde(rename = "eventSource")]
    event_source: &'static str,
    #[serde(rename = "awsRegion")]
    aws_region: &'a str,
    dynamodb: Dynamodb<'a>,
    #[serde(rename = "userIdentity", skip_serializing_if = "Option::is_none")]
    user_identity: Option<UserIdentity>,
    #[serde(rename = "eventSourceARN", skip_serializing_if = "Option::is_none")]
    event_source_arn: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Dynamodb<'a> {
    /// Whole seconds, sent as a JSON number with a fraction (`1795954923.0`) as AWS sends it: a Python handler
    /// gets a float.
    approximate_creation_date_time: f64,
    keys: &'a AttributeMap,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<&'a AttributeMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<&'a AttributeMap>,
    sequence_number: String,
    size_bytes: u64,
    stream_view_type: &'static str,
}

#[derive(Serialize)]
enum UserIdentity {
    /// GetRecords' Identity shape.
    #[serde(rename_all = "PascalCase")]
    #[serde(untagged)]
    Streams {
        principal_id: &'static str,
        #[serde(rename = "Type")]
        kind: &'static str,
    },
    /// Lambda's event shape.
    #[serde(untagged)]
    Lambda {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(rename = "principalId")]
        principal_id: &'static str,
    },
}

const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

impl Serialize for RecordJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.record;
        let (event_source_arn, user_identity) = match self.shape {
            RecordShape::GetRecords => (
                None,
                r.by_ttl.then_some(UserIdentity::Streams {
                    principal_id: TTL_PRINCIPAL,
                    kind: "Service",
                }),
            ),
            RecordShape::Lambda { event_source_arn } => (
                Some(event_source_arn),
                r.by_ttl.then_some(UserIdentity::Lambda {
                    kind: "Service",
                    principal_id: TTL_PRINCIPAL,
                }),
            ),
        };
        Wire {
            event_id: &r.event_id,
            event_name: r.event_name.as_str(),
            event_version: "1.1",
            event_source: "aws:dynamodb",
            aws_region: &self.stream.region,
            dynamodb: Dynamodb {
                approximate_creation_date_time: r.created_ms.div_euclid(1000) as f64,
                keys: &r.keys,
                new_image: r.new_image.as_ref(),
                old_image: r.old_image.as_ref(),
                sequence_number: r.sequence_number(),
                size_bytes: r.size_bytes,
                stream_view_type: self.stream.view_type.wire_name(),
            },
            user_identity,
            event_source_arn,
        }
        .serialize(serializer)
    }
}

impl RecordJson<'_> {
    /// The record as a JSON string.
    pub fn to_json_string(&self) -> String {
        // Borrowed strings, numbers and attribute maps always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}
