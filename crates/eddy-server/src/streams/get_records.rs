//! GetRecords: up to `Limit` (1–1000) records and 1 MB, with the next iterator (absent at the end of a
//! closed shard). Records are shaped as the streams model describes them.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::{Store, StreamDef, StreamRecord};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    shard_iterator: String,
    limit: Option<usize>,
}

/// A record as GetRecords returns it.
pub fn record_json(stream: &StreamDef, r: &StreamRecord) -> Value {
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
    if r.by_ttl {
        o.insert(
            "userIdentity".into(),
            json!({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}),
        );
    }
    Value::Object(o)
}

pub fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Value,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = awsjson::decode(body)?;
    if let Some(limit) = req.limit.filter(|l| *l > 1000) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
        )));
    }
    let page = store.get_records(&req.shard_iterator, req.limit.unwrap_or(1000))?;
    let (records, stream, next) = (page.records, page.stream, page.next_iterator);
    if stream.account != *ctx.scope.account || stream.region != *ctx.scope.region {
        return Err(DynamoError::validation("Invalid ShardIterator"));
    }
    let mut out = Map::new();
    out.insert(
        "Records".into(),
        Value::Array(records.iter().map(|r| record_json(&stream, r)).collect()),
    );
    if let Some(next) = next {
        out.insert("NextShardIterator".into(), json!(next));
    }
    Ok(awsjson::ok(&ctx.request_id, &Value::Object(out)))
}
