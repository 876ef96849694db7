//! DescribeStream: status, view type, key schema and shards with lineage, paged by `ExclusiveStartShardId`
//! and filterable to the children of one shard.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::{Store, sequence_number};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::check_stream_arn;
use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShardFilter {
    #[serde(rename = "Type")]
    kind: Option<String>,
    shard_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    stream_arn: String,
    limit: Option<usize>,
    exclusive_start_shard_id: Option<String>,
    shard_filter: Option<ShardFilter>,
}

pub fn handle(
    store: &Store,
    ctx: &RequestContext,
    body: Value,
) -> Result<Response<Body>, DynamoError> {
    let req: Request = awsjson::decode(body)?;
    check_stream_arn(ctx, &req.stream_arn)?;
    let stream = store.stream_by_arn(&req.stream_arn)?;
    let mut shards = store.stream_shards(&stream);
    if let Some(filter) = &req.shard_filter
        && filter.kind.as_deref() == Some("CHILD_SHARDS")
    {
        let parent = filter.shard_id.clone().unwrap_or_default();
        shards.retain(|s| s.parent.as_deref() == Some(parent.as_str()));
    }
    let start = match &req.exclusive_start_shard_id {
        Some(id) => shards.partition_point(|s| s.shard_id.as_str() <= id.as_str()),
        None => 0,
    };
    let limit = req.limit.unwrap_or(100);
    let page: Vec<_> = shards[start..].iter().take(limit).collect();
    let more = start + page.len() < shards.len();
    let shard_json: Vec<Value> = page
        .iter()
        .map(|s| {
            let mut range = Map::new();
            range.insert(
                "StartingSequenceNumber".into(),
                json!(sequence_number(s.start_seq)),
            );
            if let Some(end) = s.end_seq {
                range.insert("EndingSequenceNumber".into(), json!(sequence_number(end)));
            }
            let mut o = Map::new();
            o.insert("ShardId".into(), json!(s.shard_id));
            o.insert("SequenceNumberRange".into(), Value::Object(range));
            if let Some(parent) = &s.parent {
                o.insert("ParentShardId".into(), json!(parent));
            }
            Value::Object(o)
        })
        .collect();
    let mut key_schema = vec![json!({"AttributeName": stream.key.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &stream.key.range {
        key_schema.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    let mut description = Map::new();
    description.insert("StreamArn".into(), json!(stream.arn()));
    description.insert("StreamLabel".into(), json!(stream.label));
    description.insert(
        "StreamStatus".into(),
        json!(if stream.enabled() {
            "ENABLED"
        } else {
            "DISABLED"
        }),
    );
    description.insert("StreamViewType".into(), json!(stream.view_type.wire_name()));
    description.insert(
        "CreationRequestDateTime".into(),
        json!(stream.created_ms as f64 / 1000.0),
    );
    description.insert("TableName".into(), json!(stream.table_name));
    description.insert("KeySchema".into(), Value::Array(key_schema));
    description.insert("Shards".into(), Value::Array(shard_json));
    if more && let Some(last) = page.last() {
        description.insert("LastEvaluatedShardId".into(), json!(last.shard_id));
    }
    Ok(awsjson::ok(
        &ctx.request_id,
        &json!({"StreamDescription": description}),
    ))
}
