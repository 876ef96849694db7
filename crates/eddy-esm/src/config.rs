//! A mapping's settings: the Create/Update request members, every range and default of the Lambda API for
//! DynamoDB stream sources, the validation errors with Lambda's codes and messages, and the
//! `EventSourceMappingConfiguration` shape the API returns. Parameters that do not apply to DynamoDB streams
//! are refused by name, never accepted and ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::filter::Pattern;

/// Errors of the mapping API, with Lambda's codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EsmError {
    /// 400 `InvalidParameterValueException`.
    InvalidParameter(String),
    /// 400 `ValidationException` (model constraints).
    Validation(String),
    /// 409 `ResourceConflictException`.
    Conflict(String),
    /// 404 `ResourceNotFoundException`.
    NotFound(String),
    /// 400 `ResourceInUseException`.
    InUse(String),
    /// 500 `ServiceException`.
    Service(String),
}

impl EsmError {
    pub fn code(&self) -> &'static str {
        match self {
            EsmError::InvalidParameter(_) => "InvalidParameterValueException",
            EsmError::Validation(_) => "ValidationException",
            EsmError::Conflict(_) => "ResourceConflictException",
            EsmError::NotFound(_) => "ResourceNotFoundException",
            EsmError::InUse(_) => "ResourceInUseException",
            EsmError::Service(_) => "ServiceException",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            EsmError::Conflict(_) => 409,
            EsmError::NotFound(_) => 404,
            EsmError::Service(_) => 500,
            _ => 400,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            EsmError::InvalidParameter(m)
            | EsmError::Validation(m)
            | EsmError::Conflict(m)
            | EsmError::NotFound(m)
            | EsmError::InUse(m)
            | EsmError::Service(m) => m,
        }
    }
}

impl fmt::Display for EsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for EsmError {}

pub fn not_found() -> EsmError {
    EsmError::NotFound("The resource you requested does not exist.".into())
}

/// Event sources of other services, which eddy does not poll: refused by name rather than taken for an
/// unknown DynamoDB stream.
const OTHER_SOURCES: &[(&str, &str)] = &[
    ("arn:aws:sqs:", "Amazon SQS"),
    ("arn:aws:kinesis:", "Amazon Kinesis"),
    ("arn:aws:kafka:", "Amazon MSK"),
    ("arn:aws:mq:", "Amazon MQ"),
    ("arn:aws:rds:", "Amazon DocumentDB"),
];

/// Refuses an `EventSourceArn` of a service other than DynamoDB Streams.
pub fn check_source_kind(arn: &str) -> Result<(), EsmError> {
    match OTHER_SOURCES
        .iter()
        .find(|(prefix, _)| arn.starts_with(prefix))
    {
        Some((_, service)) => Err(EsmError::InvalidParameter(format!(
            "eddy implements event source mappings for DynamoDB streams only; {service} event sources are not supported: {arn}"
        ))),
        None => Ok(()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartingPosition {
    TrimHorizon,
    Latest,
}

impl StartingPosition {
    pub fn wire_name(self) -> &'static str {
        match self {
            StartingPosition::TrimHorizon => "TRIM_HORIZON",
            StartingPosition::Latest => "LATEST",
        }
    }
}

/// The lifecycle state Lambda reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingState {
    Creating,
    Enabling,
    Enabled,
    Disabling,
    Disabled,
    Updating,
    Deleting,
}

impl MappingState {
    pub fn wire_name(self) -> &'static str {
        match self {
            MappingState::Creating => "Creating",
            MappingState::Enabling => "Enabling",
            MappingState::Enabled => "Enabled",
            MappingState::Disabling => "Disabling",
            MappingState::Disabled => "Disabled",
            MappingState::Updating => "Updating",
            MappingState::Deleting => "Deleting",
        }
    }
}

/// A mapping as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingConfig {
    pub uuid: String,
    pub account: String,
    pub region: String,
    pub event_source_arn: String,
    pub stream_id: u64,
    /// The ARN the API reports (qualified when the request named a version or alias).
    pub function_arn: String,
    pub enabled: bool,
    pub state: MappingState,
    pub state_transition_reason: String,
    pub last_processing_result: String,
    pub last_modified_ms: i64,
    pub starting_position: StartingPosition,
    pub batch_size: u32,
    pub max_batching_window_s: u32,
    pub parallelization_factor: u32,
    pub bisect: bool,
    pub max_retry_attempts: i64,
    pub max_record_age_s: i64,
    pub tumbling_window_s: u32,
    pub report_batch_item_failures: bool,
    pub on_failure: Option<String>,
    /// `FilterCriteria.Filters[].Pattern` strings, as given.
    pub filters: Option<Vec<String>>,
    pub metrics: Option<Vec<String>>,
    pub kms_key_arn: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl MappingConfig {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:event-source-mapping:{}",
            self.region, self.account, self.uuid
        )
    }

    pub fn patterns(&self) -> Vec<Pattern> {
        self.filters
            .iter()
            .flatten()
            .filter_map(|p| Pattern::parse(p).ok())
            .collect()
    }

    pub fn event_count_metrics(&self) -> bool {
        self.metrics
            .as_ref()
            .is_some_and(|m| m.iter().any(|x| x == "EventCount"))
    }

    /// `EventSourceMappingConfiguration` as the Lambda API returns it.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("UUID".into(), json!(self.uuid));
        o.insert("EventSourceMappingArn".into(), json!(self.arn()));
        o.insert(
            "StartingPosition".into(),
            json!(self.starting_position.wire_name()),
        );
        o.insert("BatchSize".into(), json!(self.batch_size));
        o.insert(
            "MaximumBatchingWindowInSeconds".into(),
            json!(self.max_batching_window_s),
        );
        o.insert(
            "ParallelizationFactor".into(),
            json!(self.parallelization_factor),
        );
        o.insert("EventSourceArn".into(), json!(self.event_source_arn));
        o.insert("FunctionArn".into(), json!(self.function_arn));
        o.insert(
            "LastModified".into(),
            json!(self.last_modified_ms as f64 / 1000.0),
        );
        o.insert(
            "LastProcessingResult".into(),
            json!(self.last_processing_result),
        );
        o.insert("State".into(), json!(self.state.wire_name()));
        o.insert(
            "StateTransitionReason".into(),
            json!(self.state_transition_reason),
        );
        let on_failure = match &self.on_failure {
            Some(arn) => json!({"Destination": arn}),
            None => json!({}),
        };
        o.insert("DestinationConfig".into(), json!({"OnFailure": on_failure}));
        o.insert(
            "MaximumRecordAgeInSeconds".into(),
            json!(self.max_record_age_s),
        );
        o.insert("BisectBatchOnFunctionError".into(), json!(self.bisect));
        o.insert(
            "MaximumRetryAttempts".into(),
            json!(self.max_retry_attempts),
        );
        o.insert(
            "TumblingWindowInSeconds".into(),
            json!(self.tumbling_window_s),
        );
        let types: Vec<&str> = if self.report_batch_item_failures {
            vec!["ReportBatchItemFailures"]
        } else {
            vec![]
        };
        o.insert("FunctionResponseTypes".into(), json!(types));
        if let Some(filters) = &self.filters {
            let list: Vec<Value> = filters.iter().map(|p| json!({"Pattern": p})).collect();
            o.insert("FilterCriteria".into(), json!({"Filters": list}));
        }
        if let Some(metrics) = &self.metrics {
            o.insert("MetricsConfig".into(), json!({"Metrics": metrics}));
        }
        if let Some(kms) = &self.kms_key_arn {
            o.insert("KMSKeyArn".into(), json!(kms));
        }
        Value::Object(o)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterSpec {
    pub pattern: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterCriteria {
    pub filters: Option<Vec<FilterSpec>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationTarget {
    pub destination: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfig {
    pub on_failure: Option<DestinationTarget>,
    pub on_success: Option<DestinationTarget>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricsConfig {
    pub metrics: Option<Vec<String>>,
}

/// The members of CreateEventSourceMapping and UpdateEventSourceMapping (Update has no EventSourceArn or
/// StartingPosition). Members for other source types are captured only to be refused.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MappingRequest {
    pub event_source_arn: Option<String>,
    pub function_name: Option<String>,
    pub enabled: Option<bool>,
    pub batch_size: Option<i64>,
    pub maximum_batching_window_in_seconds: Option<i64>,
    pub parallelization_factor: Option<i64>,
    pub starting_position: Option<String>,
    pub starting_position_timestamp: Option<Value>,
    pub bisect_batch_on_function_error: Option<bool>,
    pub maximum_retry_attempts: Option<i64>,
    pub maximum_record_age_in_seconds: Option<i64>,
    pub tumbling_window_in_seconds: Option<i64>,
    pub function_response_types: Option<Vec<String>>,
    pub destination_config: Option<DestinationConfig>,
    pub filter_criteria: Option<FilterCriteria>,
    pub metrics_config: Option<MetricsConfig>,
    #[serde(rename = "KMSKeyArn")]
    pub kms_key_arn: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub topics: Option<Value>,
    pub queues: Option<Value>,
    pub source_access_configurations: Option<Value>,
    pub self_managed_event_source: Option<Value>,
    pub self_managed_kafka_event_source_config: Option<Value>,
    pub amazon_managed_kafka_event_source_config: Option<Value>,
    pub scaling_config: Option<Value>,
    #[serde(rename = "DocumentDBEventSourceConfig")]
    pub document_db_event_source_config: Option<Value>,
    pub provisioned_poller_config: Option<Value>,
    pub logging_config: Option<Value>,
    /// Members the Lambda API does not have (or a newer one eddy does not know): refused, never ignored.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

fn range_error(value: i64, member: &str, bound: &str, limit: i64) -> String {
    format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value {bound} {limit}"
    )
}

fn check_range(value: Option<i64>, member: &str, min: i64, max: i64) -> Result<(), EsmError> {
    match value {
        Some(v) if v < min => Err(EsmError::Validation(range_error(
            v,
            member,
            "greater than or equal to",
            min,
        ))),
        Some(v) if v > max => Err(EsmError::Validation(range_error(
            v,
            member,
            "less than or equal to",
            max,
        ))),
        _ => Ok(()),
    }
}

impl MappingRequest {
    /// Checks the members that apply to both Create and Update.
    pub fn check_common(&self) -> Result<(), EsmError> {
        check_range(self.batch_size, "batchSize", 1, 10_000)?;
        check_range(
            self.maximum_batching_window_in_seconds,
            "maximumBatchingWindowInSeconds",
            0,
            300,
        )?;
        check_range(self.parallelization_factor, "parallelizationFactor", 1, 10)?;
        check_range(
            self.maximum_retry_attempts,
            "maximumRetryAttempts",
            -1,
            10_000,
        )?;
        check_range(
            self.maximum_record_age_in_seconds,
            "maximumRecordAgeInSeconds",
            -1,
            604_800,
        )?;
        check_range(
            self.tumbling_window_in_seconds,
            "tumblingWindowInSeconds",
            0,
            900,
        )?;
        if self
            .maximum_record_age_in_seconds
            .is_some_and(|age| (0..60).contains(&age))
        {
            // AWS's text, as reported by users of the real API (terraform-provider-aws#16113).
            return Err(EsmError::InvalidParameter(
                "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"
                    .into(),
            ));
        }
        if let Some(types) = &self.function_response_types {
            if types.len() > 1 {
                return Err(EsmError::Validation(format!(
                    "1 validation error detected: Value '[{}]' at 'functionResponseTypes' failed to satisfy constraint: Member must have length less than or equal to 1",
                    types.join(", ")
                )));
            }
            // In the words of Lambda's front end for an enum list (AWS-recorded for `architectures`).
            if let Some(bad) = types
                .iter()
                .find(|t| t.as_str() != "ReportBatchItemFailures")
            {
                return Err(EsmError::Validation(format!(
                    "1 validation error detected: Value '[{bad}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures], Member must not be null]"
                )));
            }
        }
        if let Some(metrics) = self
            .metrics_config
            .as_ref()
            .and_then(|m| m.metrics.as_ref())
            && let Some(bad) = metrics.iter().find(|m| m.as_str() != "EventCount")
        {
            return Err(EsmError::InvalidParameter(format!(
                "Unsupported MetricsConfig metric for DynamoDB stream event source mappings: {bad}"
            )));
        }
        self.refuse_other_sources()?;
        self.check_filters()?;
        self.check_destinations()?;
        Ok(())
    }

    fn refuse_other_sources(&self) -> Result<(), EsmError> {
        let foreign = [
            ("Topics", self.topics.is_some()),
            ("Queues", self.queues.is_some()),
            (
                "SourceAccessConfigurations",
                self.source_access_configurations.is_some(),
            ),
            (
                "SelfManagedEventSource",
                self.self_managed_event_source.is_some(),
            ),
            (
                "SelfManagedKafkaEventSourceConfig",
                self.self_managed_kafka_event_source_config.is_some(),
            ),
            (
                "AmazonManagedKafkaEventSourceConfig",
                self.amazon_managed_kafka_event_source_config.is_some(),
            ),
            ("ScalingConfig", self.scaling_config.is_some()),
            (
                "DocumentDBEventSourceConfig",
                self.document_db_event_source_config.is_some(),
            ),
            (
                "ProvisionedPollerConfig",
                self.provisioned_poller_config.is_some(),
            ),
            ("LoggingConfig", self.logging_config.is_some()),
        ];
        // AT_TIMESTAMP itself was refused before; with another starting position AWS says this.
        if self.starting_position_timestamp.is_some() {
            return Err(EsmError::InvalidParameter(
                "Timestamp only valid with StartingPosition AT_TIMESTAMP".into(),
            ));
        }
        if let Some(name) = self.unknown.keys().next() {
            return Err(EsmError::InvalidParameter(format!(
                "Unsupported parameter for DynamoDB stream event source mappings: {name}"
            )));
        }
        match foreign.iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(EsmError::InvalidParameter(format!(
                "Unsupported parameter for DynamoDB stream event source mappings: {name}"
            ))),
            None => Ok(()),
        }
    }

    fn check_filters(&self) -> Result<(), EsmError> {
        let Some(filters) = self
            .filter_criteria
            .as_ref()
            .and_then(|f| f.filters.as_ref())
        else {
            return Ok(());
        };
        if filters.len() > 10 {
            return Err(EsmError::InvalidParameter(
                "Invalid filter criteria: too many filters (at most 10).".into(),
            ));
        }
        for filter in filters {
            let pattern = filter.pattern.as_deref().unwrap_or("");
            if pattern.len() > 4096 {
                return Err(EsmError::Validation(format!(
                    "1 validation error detected: Value '{pattern}' at 'filterCriteria.filters.member.pattern' failed to satisfy constraint: Member must have length less than or equal to 4096"
                )));
            }
            Pattern::parse(pattern).map_err(EsmError::InvalidParameter)?;
        }
        Ok(())
    }

    fn check_destinations(&self) -> Result<(), EsmError> {
        let Some(dest) = &self.destination_config else {
            return Ok(());
        };
        if dest.on_success.is_some() {
            return Err(EsmError::InvalidParameter(
                "Unsupported DestinationConfig parameter for given event source mapping type."
                    .into(),
            ));
        }
        if let Some(on_failure) = &dest.on_failure {
            let Some(arn) = on_failure.destination.as_deref() else {
                return Err(EsmError::InvalidParameter(
                    "The Destination field is required for an OnFailure configuration.".into(),
                ));
            };
            if !arn.is_empty() && arn.starts_with("arn:aws:s3:") {
                return Err(EsmError::InvalidParameter(
                    "eddy does not support Amazon S3 on-failure destinations; use an SQS queue or an SNS topic.".into(),
                ));
            }
            if !(arn.is_empty()
                || arn.starts_with("arn:aws:sqs:")
                || arn.starts_with("arn:aws:sns:"))
            {
                return Err(EsmError::InvalidParameter(format!(
                    "The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination={arn})) is invalid."
                )));
            }
        }
        Ok(())
    }

    /// The filter patterns to store: `None` when the request has none, or clears them with `{}`.
    pub fn filter_patterns(&self) -> Option<Option<Vec<String>>> {
        let criteria = self.filter_criteria.as_ref()?;
        Some(match &criteria.filters {
            Some(list) if !list.is_empty() => Some(
                list.iter()
                    .map(|f| f.pattern.clone().unwrap_or_default())
                    .collect(),
            ),
            _ => None,
        })
    }

    /// The on-failure destination to store: `None` if not in the request; `Some(None)` clears it.
    pub fn on_failure(&self) -> Option<Option<String>> {
        let dest = self.destination_config.as_ref()?;
        let target = dest.on_failure.as_ref()?;
        Some(target.destination.clone().filter(|d| !d.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> MappingRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn ranges_use_the_validation_message_format() {
        let err = req(r#"{"ParallelizationFactor": 11}"#)
            .check_common()
            .unwrap_err();
        assert_eq!(
            err,
            EsmError::Validation(
                "1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10".into()
            )
        );
        assert!(req(r#"{"BatchSize": 10000}"#).check_common().is_ok());
        assert!(req(r#"{"BatchSize": 0}"#).check_common().is_err());
        assert!(matches!(
            req(r#"{"MaximumRecordAgeInSeconds": 59}"#).check_common(),
            Err(EsmError::InvalidParameter(_))
        ));
        assert!(
            req(r#"{"MaximumRecordAgeInSeconds": -1}"#)
                .check_common()
                .is_ok()
        );
    }

    #[test]
    fn destinations_and_filters_are_checked() {
        let on_success = req(
            r#"{"DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}}}"#,
        );
        assert_eq!(
            on_success.check_common().unwrap_err().message(),
            "Unsupported DestinationConfig parameter for given event source mapping type."
        );
        let empty = req(r#"{"DestinationConfig": {"OnFailure": {}}}"#);
        assert_eq!(
            empty.check_common().unwrap_err().message(),
            "The Destination field is required for an OnFailure configuration."
        );
        let bad = req(r#"{"FilterCriteria": {"Filters": [{"Pattern": "{nope"}]}}"#);
        assert_eq!(
            bad.check_common().unwrap_err().message(),
            "Invalid filter pattern definition."
        );
        let clear = req(r#"{"FilterCriteria": {}}"#);
        assert_eq!(clear.filter_patterns(), Some(None));
        let docdb = req(r#"{"DocumentDBEventSourceConfig": {"DatabaseName": "d"}}"#);
        assert_eq!(
            docdb.check_common().unwrap_err().message(),
            "Unsupported parameter for DynamoDB stream event source mappings: DocumentDBEventSourceConfig"
        );
        let unknown = req(r#"{"SomethingNew": 1}"#);
        assert_eq!(
            unknown.check_common().unwrap_err().message(),
            "Unsupported parameter for DynamoDB stream event source mappings: SomethingNew"
        );
        assert!(check_source_kind("arn:aws:sqs:us-east-1:000000000000:q").is_err());
        assert!(
            check_source_kind("arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x").is_ok()
        );
        let foreign = req(r#"{"Queues": ["q"]}"#);
        assert!(matches!(
            foreign.check_common(),
            Err(EsmError::InvalidParameter(_))
        ));
    }
}
