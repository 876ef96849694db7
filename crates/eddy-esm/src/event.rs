//! The JSON a function receives and the JSON a destination receives: stream records shaped exactly as Lambda
//! delivers them (the GetRecords record plus `eventSourceARN`, `userIdentity` with lower-case keys), the
//! `{"Records": [...]}` event (with the tumbling-window members when windows are on), and the invocation record
//! sent to an on-failure destination (`DDBStreamBatchInfo`).

use eddy_model::AttributeMap;
use eddy_model::time::iso8601;
use eddy_store::{StreamDef, StreamRecord};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Lambda caps a synchronous invocation payload at 6 MB.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// One stream record as the function sees it.
pub fn record_value(stream: &StreamDef, r: &StreamRecord) -> Value {
    let mut dynamodb = Map::new();
    dynamodb.insert(
        "ApproximateCreationDateTime".into(),
        json!(r.created_ms.div_euclid(1000)),
    );
    dynamodb.insert("Keys".into(), json!(r.keys));
    if let Some(image) = &r.new_image {
        dynamodb.insert("NewImage".into(), json!(image));
    }
    if let Some(image) = &r.old_image {
        dynamodb.insert("OldImage".into(), json!(image));
    }
    dynamodb.insert("SequenceNumber".into(), json!(r.sequence_number()));
    dynamodb.insert("SizeBytes".into(), json!(r.size_bytes));
    dynamodb.insert("StreamViewType".into(), json!(stream.view_type.wire_name()));
    let mut o = Map::new();
    o.insert("eventID".into(), json!(r.event_id));
    o.insert("eventName".into(), json!(r.event_name.as_str()));
    o.insert("eventVersion".into(), json!("1.1"));
    o.insert("eventSource".into(), json!("aws:dynamodb"));
    o.insert("awsRegion".into(), json!(stream.region));
    o.insert("dynamodb".into(), Value::Object(dynamodb));
    o.insert("eventSourceARN".into(), json!(stream.arn()));
    if r.by_ttl {
        o.insert(
            "userIdentity".into(),
            json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"}),
        );
    }
    Value::Object(o)
}

/// A stream record as Lambda serializes it, in AWS's member order, borrowing from the record.
#[derive(Serialize)]
struct RecordOut<'a> {
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
    dynamodb: DynamodbOut<'a>,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
    #[serde(rename = "userIdentity", skip_serializing_if = "Option::is_none")]
    user_identity: Option<UserIdentityOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DynamodbOut<'a> {
    approximate_creation_date_time: i64,
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
struct UserIdentityOut {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "principalId")]
    principal_id: &'static str,
}

/// One stream record as the function sees it, serialized straight from the record (the same JSON as
/// [`record_value`], without building a `Value` first). `stream_arn` is `stream.arn()`, computed once by the caller.
pub fn record_json(stream: &StreamDef, stream_arn: &str, r: &StreamRecord) -> String {
    let out = RecordOut {
        event_id: &r.event_id,
        event_name: r.event_name.as_str(),
        event_version: "1.1",
        event_source: "aws:dynamodb",
        aws_region: &stream.region,
        dynamodb: DynamodbOut {
            approximate_creation_date_time: r.created_ms.div_euclid(1000),
            keys: &r.keys,
            new_image: r.new_image.as_ref(),
            old_image: r.old_image.as_ref(),
            sequence_number: r.sequence_number(),
            size_bytes: r.size_bytes,
            stream_view_type: stream.view_type.wire_name(),
        },
        event_source_arn: stream_arn,
        user_identity: r.by_ttl.then_some(UserIdentityOut {
            kind: "Service",
            principal_id: "dynamodb.amazonaws.com",
        }),
    };
    // Serializing borrowed strings, numbers and attribute maps cannot fail.
    serde_json::to_string(&out).unwrap_or_default()
}

/// Bytes `{"Records":[` + `]}` adds around the records (plus a comma per record but the first).
pub const ENVELOPE_BYTES: usize = 14;

/// `{"Records":[...]}` from records already serialized.
pub fn records_payload<'a>(records: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"Records\":[");
    for (i, r) in records.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(r.as_bytes());
    }
    out.extend_from_slice(b"]}");
    out
}

/// The tumbling-window members added to an event.
pub struct WindowContext<'a> {
    pub start_ms: i64,
    pub end_ms: i64,
    pub state: &'a Value,
    pub shard_id: &'a str,
    pub event_source_arn: &'a str,
    pub is_final: bool,
    pub terminated_early: bool,
}

fn iso_seconds(ms: i64) -> String {
    let full = iso8601(ms);
    // `YYYY-MM-DDTHH:MM:SS.mmmZ` → `YYYY-MM-DDTHH:MM:SSZ`
    format!("{}Z", &full[..19])
}

/// An event with tumbling-window members.
pub fn window_payload<'a>(
    records: impl Iterator<Item = &'a str>,
    w: &WindowContext<'_>,
) -> Vec<u8> {
    let mut out = records_payload(records);
    out.pop(); // the closing `}`
    let extra = json!({
        "window": {"start": iso_seconds(w.start_ms), "end": iso_seconds(w.end_ms)},
        "state": w.state,
        "shardId": w.shard_id,
        "eventSourceARN": w.event_source_arn,
        "isFinalInvokeForWindow": w.is_final,
        "isWindowTerminatedEarly": w.terminated_early,
    });
    if let Value::Object(members) = extra {
        for (k, v) in members {
            out.push(b',');
            out.extend_from_slice(Value::String(k).to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(v.to_string().as_bytes());
        }
    }
    out.push(b'}');
    out
}

/// What the destination record says about the last invocation.
pub struct LastResponse<'a> {
    pub status_code: u16,
    pub executed_version: &'a str,
    /// `"Unhandled"`, or `None` (JSON null) for a partial-batch failure.
    pub function_error: Option<&'a str>,
}

/// The discarded records a destination record describes.
pub struct DiscardedBatch<'a> {
    pub request_id: &'a str,
    pub function_arn: &'a str,
    pub condition: &'a str,
    pub approximate_invoke_count: u32,
    /// Absent when the records aged out.
    pub response: Option<LastResponse<'a>>,
    pub now_ms: i64,
    pub shard_id: &'a str,
    pub first: &'a StreamRecord,
    pub last: &'a StreamRecord,
    pub batch_size: usize,
    pub stream_arn: &'a str,
}

/// The invocation record sent to an on-failure destination (a JSON string, as SQS and SNS carry it).
pub fn destination_record(b: &DiscardedBatch<'_>) -> String {
    let mut o = Map::new();
    o.insert(
        "requestContext".into(),
        json!({
            "requestId": b.request_id,
            "functionArn": b.function_arn,
            "condition": b.condition,
            "approximateInvokeCount": b.approximate_invoke_count,
        }),
    );
    if let Some(r) = &b.response {
        o.insert(
            "responseContext".into(),
            json!({"statusCode": r.status_code, "executedVersion": r.executed_version, "functionError": r.function_error}),
        );
    }
    o.insert("version".into(), json!("1.0"));
    o.insert("timestamp".into(), json!(iso8601(b.now_ms)));
    o.insert(
        "DDBStreamBatchInfo".into(),
        json!({
            "shardId": b.shard_id,
            "startSequenceNumber": b.first.sequence_number(),
            "endSequenceNumber": b.last.sequence_number(),
            "approximateArrivalOfFirstRecord": iso_seconds(b.first.created_ms),
            "approximateArrivalOfLastRecord": iso_seconds(b.last.created_ms),
            "batchSize": b.batch_size,
            "streamArn": b.stream_arn,
        }),
    );
    Value::Object(o).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eddy_model::key::{KeyAttribute, KeySchema, ScalarType};
    use eddy_model::{AttributeValue, Number};
    use eddy_store::{EventName, StreamViewType};

    fn stream() -> StreamDef {
        StreamDef {
            id: 7,
            account: "000000000000".into(),
            region: "eu-west-1".into(),
            table_name: "t".into(),
            table_id: 3,
            label: "2026-11-27T07:00:00.000".into(),
            view_type: StreamViewType::NewAndOldImages,
            key: KeySchema {
                hash: KeyAttribute {
                    name: "id".into(),
                    scalar: ScalarType::S,
                },
                range: None,
            },
            created_ms: 0,
            disabled_ms: None,
            shards: vec![],
        }
    }

    #[test]
    fn direct_record_json_is_the_same_json_as_the_value() {
        let s = stream();
        let keys: AttributeMap = [("id".to_string(), AttributeValue::S("k\"1".into()))].into();
        let mut image = keys.clone();
        image.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-1.50").unwrap()),
        );
        image.insert(
            "l".into(),
            AttributeValue::L(vec![AttributeValue::Bool(true)]),
        );
        for (new_image, old_image, by_ttl, event_name) in [
            (Some(image.clone()), None, false, EventName::Insert),
            (
                Some(image.clone()),
                Some(image.clone()),
                false,
                EventName::Modify,
            ),
            (None, Some(image.clone()), true, EventName::Remove),
        ] {
            let r = StreamRecord {
                seq: 42,
                event_id: "e1".into(),
                event_name,
                created_ms: 1_700_000_000_999,
                keys: keys.clone(),
                new_image,
                old_image,
                size_bytes: 31,
                by_ttl,
            };
            let direct: Value = serde_json::from_str(&record_json(&s, &s.arn(), &r)).unwrap();
            assert_eq!(direct, record_value(&s, &r));
        }
    }

    #[test]
    fn payloads_are_valid_json() {
        let recs = [r#"{"a":1}"#, r#"{"b":2}"#];
        let v: Value = serde_json::from_slice(&records_payload(recs.iter().copied())).unwrap();
        assert_eq!(v, json!({"Records": [{"a": 1}, {"b": 2}]}));
        let state = json!({"count": 3});
        let w = WindowContext {
            start_ms: 1_596_128_400_000,
            end_ms: 1_596_128_700_000,
            state: &state,
            shard_id: "shardId-1",
            event_source_arn: "arn:x",
            is_final: true,
            terminated_early: false,
        };
        let v: Value = serde_json::from_slice(&window_payload(std::iter::empty(), &w)).unwrap();
        assert_eq!(
            v["window"],
            json!({"start": "2020-07-30T17:00:00Z", "end": "2020-07-30T17:05:00Z"})
        );
        assert_eq!(v["state"], state);
        assert_eq!(v["isFinalInvokeForWindow"], json!(true));
        assert_eq!(v["Records"], json!([]));
        assert_eq!(records_payload(std::iter::empty()).len(), ENVELOPE_BYTES);
    }
}
