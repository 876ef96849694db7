//! GetRecords: up to `Limit` (1–1000) records and 1 MB, with the next iterator (absent at the end of a
//! closed shard). Records are shaped as the streams model describes them.

use axum::body::Body;
use axum::http::Response;
use eddy_model::DynamoError;
use eddy_store::{RecordJson, RecordShape, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::awsjson;
use crate::protocol::context::RequestContext;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    shard_iterator: String,
    limit: Option<usize>,
}

/// The GetRecords answer, serialized straight from the records.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Page<'a> {
    records: Vec<RecordJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_shard_iterator: Option<String>,
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
    let page = Page {
        records: records
            .iter()
            .map(|record| RecordJson {
                stream: &stream,
                record,
                shape: RecordShape::GetRecords,
            })
            .collect(),
        next_shard_iterator: next,
    };
    Ok(awsjson::ok(&ctx.request_id, &page))
}
