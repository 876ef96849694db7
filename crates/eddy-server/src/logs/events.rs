//! GetLogEvents (one stream, forward and backward tokens) and FilterLogEvents (a group's streams interleaved
//! by time, term filter patterns) — what `aws logs get-log-events`, `filter-log-events` and `tail` call.

use eddy_lambda::{LogStore, LogsError};
use serde_json::{Value, json};

use super::group_name;
use crate::protocol::context::RequestContext;

pub fn get(logs: &LogStore, ctx: &RequestContext, v: &Value) -> Result<Value, LogsError> {
    let group = group_name(v)?;
    let stream = v["logStreamName"].as_str().unwrap_or_default();
    let page = logs.get_events(
        &ctx.scope,
        &group,
        stream,
        v["startTime"].as_i64(),
        v["endTime"].as_i64(),
        v["nextToken"].as_str(),
        v["limit"].as_u64().unwrap_or(10_000) as usize,
        v["startFromHead"].as_bool().unwrap_or(false),
    )?;
    let events: Vec<Value> = page
        .events
        .into_iter()
        .map(|e| json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}))
        .collect();
    Ok(json!({
        "events": events,
        "nextForwardToken": page.next_forward,
        "nextBackwardToken": page.next_backward,
    }))
}

pub fn filter(logs: &LogStore, ctx: &RequestContext, v: &Value) -> Result<Value, LogsError> {
    let group = group_name(v)?;
    let names: Option<Vec<String>> = v["logStreamNames"].as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    });
    if names.is_some() && v["logStreamNamePrefix"].is_string() {
        return Err(LogsError::InvalidParameter(
            "Cannot specify both logStreamNames and logStreamNamePrefix.".into(),
        ));
    }
    let page = logs.filter_events(
        &ctx.scope,
        &group,
        names.as_deref(),
        v["logStreamNamePrefix"].as_str(),
        v["startTime"].as_i64(),
        v["endTime"].as_i64(),
        v["filterPattern"].as_str(),
        v["nextToken"].as_str(),
        v["limit"].as_u64().unwrap_or(10_000) as usize,
    )?;
    let events: Vec<Value> = page
        .events
        .into_iter()
        .map(|(stream, e)| {
            json!({
                "logStreamName": stream,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
                "eventId": format!("{:056}", e.id),
            })
        })
        .collect();
    let searched: Vec<Value> = page
        .searched
        .into_iter()
        .map(|s| json!({"logStreamName": s, "searchedCompletely": true}))
        .collect();
    let mut out = json!({"events": events, "searchedLogStreams": searched});
    if let Some(token) = page.next_token {
        out["nextToken"] = json!(token);
    }
    Ok(out)
}
