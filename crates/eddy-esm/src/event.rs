//! The JSON a function receives and the JSON a destination receives: stream records shaped exactly as Lambda
//! delivers them (the GetRecords record plus `eventSourceARN`, `userIdentity` with lower-case keys), the
//! `{"Records": [...]}` event (with the tumbling-window members when windows are on), and the invocation record
//! sent to an on-failure destination (`DDBStreamBatchInfo`).

use eddy_model::time::iso8601;
use eddy_store::{RecordJson, RecordShape, StreamDef, StreamRecord};
use serde::Serialize;
use serde_json::{Value, json};

/// Lambda caps a synchronous invocation payload at 6 MB.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// One stream record as the function sees it, as JSON text. `stream_arn` is `stream.arn()`, computed once by the
/// caller.
pub fn record_json(stream: &StreamDef, stream_arn: &str, r: &StreamRecord) -> String {
    lambda_record(stream, stream_arn, r).to_json_string()
}

/// One stream record as the function sees it, as a JSON value (what filter patterns match against).
pub fn record_value(stream: &StreamDef, stream_arn: &str, r: &StreamRecord) -> Value {
    serde_json::to_value(lambda_record(stream, stream_arn, r)).unwrap_or(Value::Null)
}

fn lambda_record<'a>(
    stream: &'a StreamDef,
    stream_arn: &'a str,
    r: &'a StreamRecord,
) -> RecordJson<'a> {
    RecordJson {
        stream,
        record: r,
        shape: RecordShape::Lambda {
            event_source_arn: stream_arn,
        },
    }
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
    let members = [
        (
            "window",
            json!({"start": iso_seconds(w.start_ms), "end": iso_seconds(w.end_ms)}),
        ),
        ("state", w.state.clone()),
        ("shardId", json!(w.shard_id)),
        ("eventSourceARN", json!(w.event_source_arn)),
        ("isFinalInvokeForWindow", json!(w.is_final)),
        ("isWindowTerminatedEarly", json!(w.terminated_early)),
    ];
    for (k, v) in members {
        out.push(b',');
        out.extend_from_slice(Value::String(k.into()).to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(v.to_string().as_bytes());
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    request_id: &'a str,
    function_arn: &'a str,
    condition: &'a str,
    approximate_invoke_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseContext<'a> {
    status_code: u16,
    executed_version: &'a str,
    function_error: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchInfo<'a> {
    shard_id: &'a str,
    start_sequence_number: String,
    end_sequence_number: String,
    approximate_arrival_of_first_record: String,
    approximate_arrival_of_last_record: String,
    batch_size: usize,
    stream_arn: &'a str,
}

/// The invocation record, members in Lambda's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvocationRecord<'a> {
    request_context: RequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_context: Option<ResponseContext<'a>>,
    version: &'static str,
    timestamp: String,
    #[serde(rename = "DDBStreamBatchInfo")]
    ddb_stream_batch_info: BatchInfo<'a>,
}

/// The invocation record sent to an on-failure destination (a JSON string, as SQS and SNS carry it).
pub fn destination_record(b: &DiscardedBatch<'_>) -> String {
    let record = InvocationRecord {
        request_context: RequestContext {
            request_id: b.request_id,
            function_arn: b.function_arn,
            condition: b.condition,
            approximate_invoke_count: b.approximate_invoke_count,
        },
        response_context: b.response.as_ref().map(|r| ResponseContext {
            status_code: r.status_code,
            executed_version: r.executed_version,
            function_error: r.function_error,
        }),
        version: "1.0",
        timestamp: iso8601(b.now_ms),
        ddb_stream_batch_info: BatchInfo {
            shard_id: b.shard_id,
            start_sequence_number: b.first.sequence_number(),
            end_sequence_number: b.last.sequence_number(),
            approximate_arrival_of_first_record: iso_seconds(b.first.created_ms),
            approximate_arrival_of_last_record: iso_seconds(b.last.created_ms),
            batch_size: b.batch_size,
            stream_arn: b.stream_arn,
        },
    };
    serde_json::to_string(&record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eddy_model::key::{KeyAttribute, KeySchema, ScalarType};
    use eddy_model::{AttributeMap, AttributeValue, Number};
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
                more_hash: Vec::new(),
                more_range: Vec::new(),
            },
            created_ms: 0,
            disabled_ms: None,
            shards: vec![],
        }
    }

    #[test]
    fn records_have_lambdas_shape_in_aws_member_order() {
        let s = stream();
        let keys: AttributeMap = [("id".to_string(), AttributeValue::S("k\"1".into()))].into();
        let mut image = keys.clone();
        image.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-1.50").unwrap()),
        );
        let r = StreamRecord {
            seq: 42,
            event_id: "e1".into(),
            event_name: EventName::Remove,
            created_ms: 1_700_000_000_999,
            keys: keys.clone(),
            new_image: None,
            old_image: Some(image),
            size_bytes: 31,
            by_ttl: true,
        };
        let arn = s.arn();
        let text = record_json(&s, &arn, &r);
        let expected = json!({
            "eventID": "e1", "eventName": "REMOVE", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_700_000_000.0,
                "Keys": {"id": {"S": "k\"1"}},
                "OldImage": {"id": {"S": "k\"1"}, "n": {"N": "-1.5"}},
                "SequenceNumber": r.sequence_number(),
                "SizeBytes": 31,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": arn,
            "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        });
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
        assert_eq!(record_value(&s, &arn, &r), expected);
        let order: Vec<usize> = [
            "\"eventID\"",
            "\"eventName\"",
            "\"awsRegion\"",
            "\"dynamodb\"",
            "\"eventSourceARN\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
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
        let text = String::from_utf8(window_payload(std::iter::empty(), &w)).unwrap();
        let order = [
            "Records",
            "window",
            "state",
            "shardId",
            "eventSourceARN",
            "isFinalInvokeForWindow",
            "isWindowTerminatedEarly",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|k| text.find(&format!("\"{k}\"")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{text}");
    }
}
