//! How asynchronous invocations of a function are handled: Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s)
//! — the retry budget (`MaximumRetryAttempts` 0–2), the maximum event age (60–21 600 s) and the on-success and
//! on-failure destinations (SQS queues, SNS topics, other functions) — one configuration per qualifier
//! (`$LATEST`, a version or an alias), kept on the function record. Also the record Lambda sends to a
//! destination, written in AWS's key order. Texts and shapes as AWS recorded them (LocalStack's AWS-validated
//! snapshots, 2023–2024).

use std::future::Future;
use std::pin::Pin;

use eddy_model::Scope;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::functions::FunctionPage;
use crate::model::{FunctionRecord, FunctionRef, LATEST, function_arn};
use crate::ordered_json::{object, text};
use crate::{InvokeOutcome, Lambda, LambdaError};

/// Where destination records go: SQS queues and SNS topics (wired to eddy's queues by the server).
pub trait AsyncDestinations: Send + Sync {
    /// Whether `arn` names an existing queue or topic of `scope`.
    fn exists(&self, scope: &Scope, arn: &str) -> bool;

    /// Sends `body` to the queue or topic `arn`, with message attributes (`(name, DataType, value)`).
    fn deliver(
        &self,
        scope: Scope,
        arn: String,
        body: String,
        attributes: Vec<(String, String, String)>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
}

/// A function's (or version's, or alias's) asynchronous invocation settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct EventInvokeConfig {
    pub last_modified_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
}

/// The body of PutFunctionEventInvokeConfig and UpdateFunctionEventInvokeConfig.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfigInput {
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_event_age_in_seconds: Option<u32>,
    pub destination_config: Option<DestinationConfigInput>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfigInput {
    pub on_success: Option<DestinationInput>,
    pub on_failure: Option<DestinationInput>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationInput {
    pub destination: Option<String>,
}

/// Retries after a failed first attempt when no configuration says otherwise.
pub(crate) const DEFAULT_RETRIES: u32 = 2;
/// AWS's default maximum event age: six hours.
pub(crate) const DEFAULT_MAX_AGE_SECONDS: u32 = 21_600;

impl EventInvokeConfig {
    pub(crate) fn retries(config: Option<&EventInvokeConfig>) -> u32 {
        config
            .and_then(|c| c.maximum_retry_attempts)
            .unwrap_or(DEFAULT_RETRIES)
    }

    pub(crate) fn max_age_ms(config: Option<&EventInvokeConfig>) -> i64 {
        i64::from(
            config
                .and_then(|c| c.maximum_event_age_seconds)
                .unwrap_or(DEFAULT_MAX_AGE_SECONDS),
        ) * 1000
    }

    /// The API shape (`FunctionEventInvokeConfig`).
    fn to_json(&self, function_arn: String) -> Value {
        let side = |d: &Option<String>| match d {
            Some(arn) => json!({ "Destination": arn }),
            None => json!({}),
        };
        let mut out = json!({
            "LastModified": self.last_modified_ms as f64 / 1000.0,
            "FunctionArn": function_arn,
            "DestinationConfig": {
                "OnSuccess": side(&self.on_success),
                "OnFailure": side(&self.on_failure),
            },
        });
        if let Some(n) = self.maximum_retry_attempts {
            out["MaximumRetryAttempts"] = json!(n);
        }
        if let Some(n) = self.maximum_event_age_seconds {
            out["MaximumEventAgeInSeconds"] = json!(n);
        }
        out
    }
}

/// Why a record goes to a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Condition {
    Success,
    RetriesExhausted,
    EventAgeExceeded,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// What the destination record says about one asynchronous invocation.
pub(crate) struct RecordFacts<'a> {
    pub now_ms: i64,
    pub request_id: &'a str,
    pub function_arn: String,
    pub condition: Condition,
    pub attempts: u32,
    pub request_payload: &'a [u8],
    /// The last attempt's outcome (none when the function never ran).
    pub outcome: Option<&'a InvokeOutcome>,
}

/// The record Lambda sends to a destination, in AWS's key order (`version`, `timestamp`, `requestContext`,
/// `requestPayload`, `responseContext`, `responsePayload`; AWS-recorded).
pub(crate) fn destination_record(facts: &RecordFacts<'_>) -> String {
    let context = object(&[
        ("requestId", text(facts.request_id)),
        ("functionArn", text(&facts.function_arn)),
        ("condition", text(facts.condition.as_str())),
        ("approximateInvokeCount", facts.attempts.to_string()),
    ]);
    let mut entries = vec![
        ("version", text("1.0")),
        ("timestamp", text(&eddy_model::time::iso8601(facts.now_ms))),
        ("requestContext", context),
        ("requestPayload", as_json(facts.request_payload)),
    ];
    if let Some(outcome) = facts.outcome {
        let mut response = vec![
            ("statusCode", "200".to_string()),
            ("executedVersion", text(&outcome.executed_version)),
        ];
        if let Some(error) = &outcome.function_error {
            response.push(("functionError", text(error)));
        }
        entries.push(("responseContext", object(&response)));
        entries.push(("responsePayload", as_json(&outcome.payload)));
    }
    object(&entries)
}

/// A payload as JSON: itself, as written (AWS keeps the handler's key order), when it is JSON; a string
/// otherwise; `null` when empty.
fn as_json(payload: &[u8]) -> String {
    let written = String::from_utf8_lossy(payload);
    let written = written.trim();
    if written.is_empty() {
        return "null".into();
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(written) {
        Ok(_) => written.to_string(),
        Err(_) => text(written),
    }
}

/// The configuration key of a qualifier: `$LATEST` for the function itself.
fn key_of(qualifier: Option<&str>) -> &str {
    qualifier.unwrap_or(LATEST)
}

fn function_missing() -> LambdaError {
    LambdaError::ResourceNotFound("The function doesn't exist.".into())
}

fn config_missing(scope: &Scope, function: &str, key: &str) -> LambdaError {
    LambdaError::ResourceNotFound(format!(
        "The function {} doesn't have an EventInvokeConfig",
        function_arn(scope, function, Some(key))
    ))
}

/// Whether `key` names `$LATEST`, a published version or an alias of `record`.
fn qualifier_exists(record: &FunctionRecord, key: &str) -> bool {
    key == LATEST || record.version(key).is_some() || record.aliases.contains_key(key)
}

impl Lambda {
    /// The configuration an asynchronous invocation of `function` (by `qualifier`) runs under.
    pub(crate) fn event_invoke_config(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Option<EventInvokeConfig> {
        let r = FunctionRef::parse_in(scope, function)
            .ok()?
            .with_qualifier(qualifier)
            .ok()?;
        let record = self.record(scope, &r.name)?;
        record
            .event_invoke_configs
            .get(key_of(r.qualifier.as_deref()))
            .cloned()
    }

    /// PutFunctionEventInvokeConfig (`replace`) or UpdateFunctionEventInvokeConfig (merge into the existing one).
    pub async fn put_event_invoke_config(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
        input: EventInvokeConfigInput,
        replace: bool,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        if input.maximum_retry_attempts.is_none()
            && input.maximum_event_age_in_seconds.is_none()
            && input.destination_config.is_none()
        {
            return Err(LambdaError::InvalidParameterValue(
                "You must specify at least one of error handling or destination setting.".into(),
            ));
        }
        let key = key_of(r.qualifier.as_deref()).to_string();
        let _guard = self.inner.control.lock().await;
        let current = self.record(scope, &r.name).ok_or_else(function_missing)?;
        if !qualifier_exists(&current, &key) {
            return Err(function_missing());
        }
        let existing = current.event_invoke_configs.get(&key);
        if !replace && existing.is_none() {
            return Err(config_missing(scope, &r.name, &key));
        }
        let (on_success, on_failure) = match &input.destination_config {
            Some(d) => {
                self.check_destinations(scope, &r.name, d)?;
                let arn = |side: &Option<DestinationInput>| {
                    side.as_ref()
                        .and_then(|s| s.destination.clone())
                        .filter(|a| !a.is_empty())
                };
                (arn(&d.on_success), arn(&d.on_failure))
            }
            None if replace => (None, None),
            None => existing
                .map(|e| (e.on_success.clone(), e.on_failure.clone()))
                .unwrap_or_default(),
        };
        let base = if replace {
            EventInvokeConfig::default()
        } else {
            existing.cloned().unwrap_or_default()
        };
        let config = EventInvokeConfig {
            last_modified_ms: self.inner.clock.now_ms(),
            maximum_retry_attempts: input.maximum_retry_attempts.or(base.maximum_retry_attempts),
            maximum_event_age_seconds: input
                .maximum_event_age_in_seconds
                .or(base.maximum_event_age_seconds),
            on_success,
            on_failure,
        };
        let answer = config.to_json(function_arn(scope, &r.name, Some(&key)));
        let mut record = (*current).clone();
        record.event_invoke_configs.insert(key, config);
        self.save(scope, record, Vec::new()).await?;
        Ok(answer)
    }

    /// GetFunctionEventInvokeConfig.
    pub fn get_event_invoke_config(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        let key = key_of(r.qualifier.as_deref());
        self.record(scope, &r.name)
            .and_then(|record| record.event_invoke_configs.get(key).cloned())
            .map(|config| config.to_json(function_arn(scope, &r.name, Some(key))))
            .ok_or_else(|| config_missing(scope, &r.name, key))
    }

    /// DeleteFunctionEventInvokeConfig.
    pub async fn delete_event_invoke_config(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<(), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        let key = key_of(r.qualifier.as_deref()).to_string();
        let _guard = self.inner.control.lock().await;
        let current = self
            .record(scope, &r.name)
            .filter(|record| record.event_invoke_configs.contains_key(&key))
            .ok_or_else(|| config_missing(scope, &r.name, &key))?;
        let mut record = (*current).clone();
        record.event_invoke_configs.remove(&key);
        self.save(scope, record, Vec::new()).await?;
        Ok(())
    }

    /// ListFunctionEventInvokeConfigs (`$LATEST` first, then versions and aliases).
    pub fn list_event_invoke_configs(
        &self,
        scope: &Scope,
        function: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<FunctionPage, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let record = self.record(scope, &r.name).ok_or_else(function_missing)?;
        let mut rows: Vec<(&String, &EventInvokeConfig)> =
            record.event_invoke_configs.iter().collect();
        rows.sort_by_key(|(key, _)| (key.as_str() != LATEST, key.parse::<u64>().ok(), *key));
        let rows = rows
            .into_iter()
            .map(|(key, config)| config.to_json(function_arn(scope, &r.name, Some(key))))
            .collect();
        crate::functions::paginate(rows, marker, max_items)
    }

    /// A destination must be an existing queue, topic or other function of the account and region.
    fn check_destinations(
        &self,
        scope: &Scope,
        function: &str,
        config: &DestinationConfigInput,
    ) -> Result<(), LambdaError> {
        for side in [&config.on_success, &config.on_failure] {
            let Some(arn) = side.as_ref().and_then(|s| s.destination.as_deref()) else {
                continue;
            };
            if arn.is_empty() {
                continue;
            }
            let invalid = || {
                LambdaError::InvalidParameterValue(format!("The destination ARN {arn} is invalid."))
            };
            let service = arn.split(':').nth(2).unwrap_or("");
            match service {
                "lambda" => {
                    let target = FunctionRef::parse_in(scope, arn).map_err(|_| invalid())?;
                    if target.name == function && target.qualifier.is_none() {
                        return Err(LambdaError::InvalidParameterValue(
                            "You can't specify the function as a destination for itself.".into(),
                        ));
                    }
                    let exists = self.record(scope, &target.name).is_some_and(|record| {
                        target
                            .qualifier
                            .as_deref()
                            .is_none_or(|q| qualifier_exists(&record, q))
                    });
                    if !exists {
                        return Err(invalid());
                    }
                }
                "sqs" | "sns" => {
                    let exists = self
                        .inner
                        .destinations
                        .read()
                        .as_ref()
                        .is_some_and(|d| d.exists(scope, arn));
                    if !exists {
                        return Err(invalid());
                    }
                }
                "events" | "s3" => {
                    return Err(LambdaError::InvalidParameterValue(format!(
                        "The destination ARN {arn} is invalid: eddy has no {} to deliver to.",
                        if service == "s3" { "S3" } else { "EventBridge" }
                    )));
                }
                _ => {
                    let render = |side: &Option<DestinationInput>, name: &str| match side {
                        None => "null".to_string(),
                        Some(s) => format!(
                            "{name}(destination={})",
                            s.destination.as_deref().unwrap_or("null")
                        ),
                    };
                    return Err(LambdaError::InvalidParameterValue(format!(
                        "The provided destination config DestinationConfig(onSuccess={}, onFailure={}) is invalid.",
                        render(&config.on_success, "OnSuccess"),
                        render(&config.on_failure, "OnFailure")
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn destination_records_keep_aws_key_order() {
        let outcome = InvokeOutcome {
            request_id: "r".into(),
            status_code: 200,
            function_error: Some("Unhandled".into()),
            payload: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
            executed_version: "$LATEST".into(),
            log_tail: None,
            duration_ms: 1.0,
        };
        let record = destination_record(&RecordFacts {
            now_ms: 0,
            request_id: "r",
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST".into(),
            condition: Condition::RetriesExhausted,
            attempts: 3,
            request_payload: b" {\"b\":1,\"a\":2}\n",
            outcome: Some(&outcome),
        });
        assert_eq!(
            record,
            r#"{"version":"1.0","timestamp":"1970-01-01T00:00:00.000Z","requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":3},"requestPayload":{"b":1,"a":2},"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"boom"}}"#
        );
    }
}
