//! The JSON a function receives and the JSON a destination receives: stream records shaped exactly as Lambda
//! delivers them (the GetRecords record plus `eventSourceARN`, `userIdentity` with lower-case keys), the
//! `{"Records": [...]}` event (with the tumbling-window members when windows are on), and the invocation record
//! sent to an on-failure destination (`DDBStreamBatchInfo`).

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

/// The members of a record in the order Lambda writes them.
const RECORD_ORDER: &[&str] = &[
    "eventID",
    "eventName",
    "eventVersion",
    "eventSource",
    "awsRegion",
    "dynamodb",
    "userIdentity",
    "eventSourceARN",
];

/// A record (from [`record_value`]) serialized with its members in Lambda's order (`serde_json` maps sort
/// their keys).
pub fn record_json(value: &Value) -> String {
    let Value::Object(members) = value else {
        return value.to_string();
    };
    let mut out = String::with_capacity(512);
    out.push('{');
    let known = RECORD_ORDER
        .iter()
        .filter_map(|k| members.get_key_value(*k));
    let others = members
        .iter()
        .filter(|(k, _)| !RECORD_ORDER.contains(&k.as_str()));
    for (i, (k, v)) in known.chain(others).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(k.clone()).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    out
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

    #[test]
    fn records_keep_lambdas_member_order() {
        let value = json!({"eventSourceARN": "arn", "awsRegion": "r", "eventID": "1", "dynamodb": {"Keys": {}},
            "eventName": "INSERT", "eventSource": "aws:dynamodb", "eventVersion": "1.1"});
        assert_eq!(
            record_json(&value),
            r#"{"eventID":"1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"r","dynamodb":{"Keys":{}},"eventSourceARN":"arn"}"#
        );
        let parsed: Value = serde_json::from_str(&record_json(&value)).unwrap();
        assert_eq!(parsed, value);
    }
}
