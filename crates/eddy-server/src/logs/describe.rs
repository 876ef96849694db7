//! DescribeLogGroups, DescribeLogStreams and DeleteLogGroup.

use eddy_lambda::{LogStore, LogsError};
use serde_json::{Value, json};

use super::group_name;
use crate::protocol::context::RequestContext;

pub fn log_groups(logs: &LogStore, ctx: &RequestContext, v: &Value) -> Result<Value, LogsError> {
    if v["logGroupNamePrefix"].is_string() && v["logGroupNamePattern"].is_string() {
        // AWS-recorded.
        return Err(LogsError::InvalidParameter(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
                .into(),
        ));
    }
    let limit = v["limit"].as_u64().unwrap_or(50) as usize;
    let (groups, next) = logs.describe_groups(
        &ctx.scope,
        v["logGroupNamePrefix"].as_str(),
        v["logGroupNamePattern"].as_str(),
        v["nextToken"].as_str(),
        limit,
    );
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|g| {
            let arn = format!(
                "arn:aws:logs:{}:{}:log-group:{}",
                ctx.scope.region, ctx.scope.account, g.name
            );
            json!({
                "logGroupName": g.name,
                "creationTime": g.created_ms,
                "metricFilterCount": 0,
                "arn": format!("{arn}:*"),
                "logGroupArn": arn,
                "storedBytes": g.stored_bytes,
                "logGroupClass": "STANDARD",
                // Recorded from AWS in 2026 (groups eddy makes are never protected).
                "deletionProtectionEnabled": false,
            })
        })
        .collect();
    let mut out = json!({ "logGroups": rows });
    if let Some(token) = next {
        out["nextToken"] = json!(token);
    }
    Ok(out)
}

pub fn log_streams(logs: &LogStore, ctx: &RequestContext, v: &Value) -> Result<Value, LogsError> {
    let group = group_name(v)?;
    let by_last_event = v["orderBy"].as_str() == Some("LastEventTime");
    if by_last_event && v["logStreamNamePrefix"].is_string() {
        return Err(LogsError::InvalidParameter(
            "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
        ));
    }
    let after = match v["nextToken"].as_str() {
        Some(t) => Some(t.parse::<usize>().map_err(|_| {
            LogsError::InvalidParameter("The specified nextToken is invalid.".into())
        })?),
        None => None,
    };
    let (streams, next) = logs.describe_streams(
        &ctx.scope,
        &group,
        v["logStreamNamePrefix"].as_str(),
        by_last_event,
        v["descending"].as_bool().unwrap_or(false),
        after,
        v["limit"].as_u64().unwrap_or(50) as usize,
    )?;
    let rows: Vec<Value> = streams
        .into_iter()
        .map(|s| {
            let mut row = json!({
                "logStreamName": s.name,
                "creationTime": s.created_ms,
                "arn": format!(
                    "arn:aws:logs:{}:{}:log-group:{}:log-stream:{}",
                    ctx.scope.region, ctx.scope.account, group, s.name
                ),
                "storedBytes": s.stored_bytes,
            });
            if let Some(t) = s.first_event_ms {
                row["firstEventTimestamp"] = json!(t);
            }
            if let Some(t) = s.last_event_ms {
                row["lastEventTimestamp"] = json!(t);
            }
            if let Some(t) = s.last_ingestion_ms {
                row["lastIngestionTime"] = json!(t);
            }
            row
        })
        .collect();
    let mut out = json!({ "logStreams": rows });
    if let Some(token) = next {
        out["nextToken"] = json!(token.to_string());
    }
    Ok(out)
}

pub fn delete_log_group(
    logs: &LogStore,
    ctx: &RequestContext,
    v: &Value,
) -> Result<Value, LogsError> {
    let group = group_name(v)?;
    logs.delete_group(&ctx.scope, &group)?;
    Ok(json!({}))
}
