//! SQS: queues and their messages.
//!
//! A queue is a `QueueDef` (its attributes as set, tags, creation time) plus its messages, kept in memory in
//! sequence order behind one async mutex per queue and persisted one document per message. Every change —
//! send, receive (receive count, visibility, new receipt), visibility change, delete, move to a dead-letter
//! queue — is written to the store before it is acknowledged, under the queue's mutex, so the memory and the
//! store never disagree on what a client was told.
//!
//! Visibility is one timestamp per message (`visible_at_ms`, server clock): a message is available when the
//! clock has reached it. A message never received with `visible_at_ms` in the future is delayed; one received
//! at least once is in flight. Long polls wait on the queue's `Notify` (woken by sends, visibility changes and
//! moves into the queue) and on the server clock (for the next message to become visible, or the end of the
//! wait).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use eddy_model::Scope;
use eddy_store::DocChange;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Mutex, Notify};

use crate::Queues;
use crate::attributes::{self, Attributes, Service, md5_hex, md5_of_attributes};
use crate::error::{ErrorKind, QueueError};

pub const QUEUES_NS: &str = "sqs-queues";
pub const MESSAGES_NS: &str = "sqs-messages";

/// Default and maximum message size (bytes of body and attributes).
const DEFAULT_MAX_MESSAGE_SIZE: i64 = 262_144;
const MAX_VISIBILITY_TIMEOUT: i64 = 43_200;
const PURGE_INTERVAL_MS: i64 = 60_000;

/// Settable attributes: (name, default, minimum, maximum) for the numeric ones.
const NUMERIC_ATTRIBUTES: &[(&str, i64, i64, i64)] = &[
    ("DelaySeconds", 0, 0, 900),
    (
        "MaximumMessageSize",
        DEFAULT_MAX_MESSAGE_SIZE,
        1024,
        1_048_576,
    ),
    ("MessageRetentionPeriod", 345_600, 60, 1_209_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 0, 20),
    ("VisibilityTimeout", 30, 0, MAX_VISIBILITY_TIMEOUT),
    ("KmsDataKeyReusePeriodSeconds", 300, 60, 86_400),
];

/// Attributes only GetQueueAttributes answers (setting them is an unknown attribute, as on AWS).
const READ_ONLY_ATTRIBUTES: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

/// Attributes of FIFO queues, which eddy does not implement.
const FIFO_ATTRIBUTES: &[&str] = &[
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// A `MessageGroupId`: 1–128 letters, digits and punctuation (AWS's rule and text).
fn check_message_group_id(group: &str) -> Result<(), QueueError> {
    let valid = (1..=128).contains(&group.len())
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b.is_ascii_punctuation());
    if valid {
        return Ok(());
    }
    Err(QueueError::invalid_parameter_value(format!(
        "Value {group} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."
    )))
}

/// System attributes a message can carry, in the order GetQueueAttributes-style listings use.
const SYSTEM_ATTRIBUTES: &[&str] = &[
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
    "MessageGroupId",
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct QueueDef {
    pub id: u64,
    pub account: String,
    pub region: String,
    pub name: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Attributes as set by the caller (defaults are not stored).
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub last_purge_ms: Option<i64>,
}

impl QueueDef {
    fn key(&self) -> String {
        queue_key(&Scope::new(&self.account, &self.region), &self.name)
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:sqs:{}:{}:{}", self.region, self.account, self.name)
    }

    fn number(&self, name: &str) -> i64 {
        self.attributes
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                NUMERIC_ATTRIBUTES
                    .iter()
                    .find(|(n, ..)| *n == name)
                    .map_or(0, |(_, d, ..)| *d)
            })
    }

    /// (dead-letter queue ARN, maxReceiveCount) of the redrive policy.
    fn redrive(&self) -> Option<(String, u32)> {
        let policy: Value = serde_json::from_str(self.attributes.get("RedrivePolicy")?).ok()?;
        let arn = policy.get("deadLetterTargetArn")?.as_str()?.to_string();
        let max = json_u64(policy.get("maxReceiveCount")?)? as u32;
        Some((arn, max))
    }

    /// The value of one attribute as GetQueueAttributes answers it (counts excluded).
    fn attribute(&self, name: &str) -> Option<String> {
        match name {
            "QueueArn" => Some(self.arn()),
            "CreatedTimestamp" => Some((self.created_ms / 1000).to_string()),
            "LastModifiedTimestamp" => Some((self.modified_ms / 1000).to_string()),
            "SqsManagedSseEnabled" => Some(
                self.attributes
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| "true".into()),
            ),
            _ if NUMERIC_ATTRIBUTES.iter().any(|(n, ..)| *n == name) => {
                if name == "KmsDataKeyReusePeriodSeconds"
                    && !self.attributes.contains_key("KmsMasterKeyId")
                    && !self.attributes.contains_key(name)
                {
                    return None;
                }
                Some(self.number(name).to_string())
            }
            _ => self.attributes.get(name).cloned(),
        }
    }
}

fn json_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn queue_key(scope: &Scope, name: &str) -> String {
    format!("{}/{}/{}", scope.account, scope.region, name)
}

/// `arn:aws:sqs:<region>:<account>:<name>` → (scope, name).
pub fn parse_queue_arn(arn: &str) -> Option<(Scope, String)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", region, account, name]
            if !region.is_empty() && !account.is_empty() && valid_queue_name(name) =>
        {
            Some((Scope::new(account, region), name.to_string()))
        }
        _ => None,
    }
}

fn valid_queue_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredMessage {
    seq: u64,
    id: String,
    body: String,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    trace_header: Option<String>,
    sender_id: String,
    sent_ms: i64,
    visible_at_ms: i64,
    receive_count: u32,
    #[serde(default)]
    first_receive_ms: Option<i64>,
    /// Nonce of the latest receive; part of the receipt handle.
    #[serde(default)]
    receipt: Option<String>,
    #[serde(default)]
    dead_letter_source: Option<String>,
    /// `MessageGroupId` of a fair queue's message (a standard queue with message groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
}

impl StoredMessage {
    fn doc(&self, queue_id: u64) -> Result<DocChange, QueueError> {
        let value = serde_json::to_vec(self).map_err(|e| QueueError::internal(e.to_string()))?;
        Ok(DocChange::put(
            MESSAGES_NS,
            &message_key(queue_id, self.seq),
            value,
        ))
    }

    fn expired(&self, retention_s: i64, now: i64) -> bool {
        self.sent_ms + retention_s * 1000 <= now
    }
}

fn message_key(queue_id: u64, seq: u64) -> String {
    format!("{queue_id:016x}/{seq:020}")
}

pub(crate) struct QueueHandle {
    def: RwLock<QueueDef>,
    messages: Mutex<BTreeMap<u64, StoredMessage>>,
    notify: Notify,
    deleted: AtomicBool,
}

impl QueueHandle {
    fn new(def: QueueDef, messages: BTreeMap<u64, StoredMessage>) -> Arc<QueueHandle> {
        Arc::new(QueueHandle {
            def: RwLock::new(def),
            messages: Mutex::new(messages),
            notify: Notify::new(),
            deleted: AtomicBool::new(false),
        })
    }

    fn def(&self) -> QueueDef {
        self.def.read().clone()
    }
}

/// A message to send.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    pub body: String,
    pub delay_seconds: Option<i64>,
    pub attributes: Attributes,
    /// `MessageSystemAttributes`: only `AWSTraceHeader` exists.
    pub system_attributes: Attributes,
    pub message_group_id: Option<String>,
    pub message_deduplication_id: Option<String>,
    /// The sender's X-Ray `X-Amzn-Trace-Id` header, kept as `AWSTraceHeader` (as AWS does).
    pub trace_header: Option<String>,
}

/// What SendMessage answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    pub message_id: String,
    pub md5_of_body: String,
    pub md5_of_attributes: Option<String>,
    pub md5_of_system_attributes: Option<String>,
}

/// ReceiveMessage's parameters.
#[derive(Clone, Debug, Default)]
pub struct ReceiveRequest {
    pub max_messages: Option<i64>,
    pub visibility_timeout: Option<i64>,
    pub wait_time_seconds: Option<i64>,
    /// System attributes to return (`All` or names), from `AttributeNames` and `MessageSystemAttributeNames`.
    pub system_attribute_names: Vec<String>,
    /// Message attributes to return: `All`, `.*`, `*`, `prefix.*` or names.
    pub message_attribute_names: Vec<String>,
}

/// One received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub md5_of_body: String,
    pub attributes: BTreeMap<String, String>,
    pub message_attributes: Attributes,
    pub md5_of_message_attributes: Option<String>,
}

/// Outcome of one entry of a batch operation.
pub type BatchResult<T> = Vec<(String, Result<T, QueueError>)>;

fn invalid_attribute_value(name: &str) -> QueueError {
    QueueError::new(
        ErrorKind::InvalidAttributeValue,
        format!("Invalid value for the parameter {name}."),
    )
}

fn unknown_attribute(name: &str) -> QueueError {
    QueueError::new(
        ErrorKind::InvalidAttributeName,
        format!("Unknown Attribute {name}."),
    )
}

fn fifo_refused() -> QueueError {
    QueueError::new(
        ErrorKind::UnsupportedOperation,
        "FIFO queues are not supported by eddy; create a standard queue (without FifoQueue and the .fifo suffix).",
    )
}

fn receipt_handle(queue_id: u64, seq: u64, nonce: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{queue_id}:{seq}:{nonce}"))
}

fn invalid_receipt(handle: &str) -> QueueError {
    QueueError::new(
        ErrorKind::ReceiptHandleIsInvalid,
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
}

/// (queue id, sequence, nonce) of a receipt handle of this queue.
fn parse_receipt(handle: &str, queue_id: u64) -> Result<(u64, String), QueueError> {
    let decoded = URL_SAFE_NO_PAD
        .decode(handle)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid_receipt(handle))?;
    let mut parts = decoded.splitn(3, ':');
    let (Some(q), Some(seq), Some(nonce)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid_receipt(handle));
    };
    let q: u64 = q.parse().map_err(|_| invalid_receipt(handle))?;
    let seq: u64 = seq.parse().map_err(|_| invalid_receipt(handle))?;
    if q != queue_id {
        return Err(invalid_receipt(handle));
    }
    Ok((seq, nonce.to_string()))
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn check_range(name: &str, value: i64, min: i64, max: i64, reason: &str) -> Result<(), QueueError> {
    if value < min || value > max {
        return Err(QueueError::invalid_parameter_value(format!(
            "Value {value} for parameter {name} is invalid. Reason: {reason}"
        )));
    }
    Ok(())
}

impl Queues {
    pub(crate) fn recover_queues(&self) -> Result<(), QueueError> {
        let store = &self.inner.store;
        let mut defs = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.list_docs(QUEUES_NS, "", after.as_deref(), 1000)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (_, bytes) in page {
                match serde_json::from_slice::<QueueDef>(&bytes) {
                    Ok(def) => defs.push(def),
                    Err(e) => tracing::error!("unreadable queue definition: {e}"),
                }
            }
        }
        let mut queues = self.inner.queues.write();
        for def in defs {
            self.bump_next_id(def.id);
            let prefix = format!("{:016x}/", def.id);
            let mut messages = BTreeMap::new();
            let mut after: Option<String> = None;
            loop {
                let page = store.list_docs(MESSAGES_NS, &prefix, after.as_deref(), 1000)?;
                let Some((last, _)) = page.last() else { break };
                after = Some(last.clone());
                for (_, bytes) in page {
                    match serde_json::from_slice::<StoredMessage>(&bytes) {
                        Ok(m) => {
                            self.bump_next_id(m.seq);
                            messages.insert(m.seq, m);
                        }
                        Err(e) => tracing::error!("unreadable message: {e}"),
                    }
                }
            }
            queues.insert(def.key(), QueueHandle::new(def, messages));
        }
        Ok(())
    }

    pub(crate) fn queue_handle(&self, scope: &Scope, name: &str) -> Option<Arc<QueueHandle>> {
        self.inner
            .queues
            .read()
            .get(&queue_key(scope, name))
            .cloned()
    }

    fn queue(&self, scope: &Scope, name: &str) -> Result<Arc<QueueHandle>, QueueError> {
        self.queue_handle(scope, name)
            .ok_or_else(QueueError::queue_does_not_exist)
    }

    /// Checks settable attributes and answers them normalized (`FifoQueue=false` dropped).
    fn check_queue_attributes(
        &self,
        attributes: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, QueueError> {
        let mut out = BTreeMap::new();
        for (name, value) in attributes {
            if let Some((_, _, min, max)) = NUMERIC_ATTRIBUTES.iter().find(|(n, ..)| n == name) {
                let v: i64 = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid_attribute_value(name))?;
                if v < *min || v > *max {
                    return Err(invalid_attribute_value(name));
                }
                out.insert(name.clone(), v.to_string());
                continue;
            }
            match name.as_str() {
                "FifoQueue" => match value.as_str() {
                    "true" => return Err(fifo_refused()),
                    "false" => {}
                    _ => return Err(invalid_attribute_value(name)),
                },
                "RedrivePolicy" => {
                    if !value.is_empty() {
                        self.check_redrive_policy(value)?;
                    }
                    out.insert(name.clone(), value.clone());
                }
                "Policy" | "RedriveAllowPolicy" => {
                    if !value.is_empty()
                        && !serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_object())
                    {
                        return Err(invalid_attribute_value(name));
                    }
                    out.insert(name.clone(), value.clone());
                }
                "KmsMasterKeyId" => {
                    out.insert(name.clone(), value.clone());
                }
                "SqsManagedSseEnabled" => {
                    if value != "true" && value != "false" {
                        return Err(invalid_attribute_value(name));
                    }
                    out.insert(name.clone(), value.clone());
                }
                _ if FIFO_ATTRIBUTES.contains(&name.as_str())
                    || READ_ONLY_ATTRIBUTES.contains(&name.as_str()) =>
                {
                    return Err(unknown_attribute(name));
                }
                _ => return Err(unknown_attribute(name)),
            }
        }
        let kms = out.get("KmsMasterKeyId").is_some_and(|k| !k.is_empty());
        if kms && out.get("SqsManagedSseEnabled").map(String::as_str) == Some("true") {
            return Err(QueueError::new(
                ErrorKind::InvalidAttributeName,
                "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
            ));
        }
        Ok(out)
    }

    fn check_redrive_policy(&self, value: &str) -> Result<(), QueueError> {
        let invalid = |reason: &str| {
            QueueError::invalid_parameter_value(format!(
                "Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
            ))
        };
        let policy: Value = serde_json::from_str(value)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| invalid("Redrive policy is not a valid JSON map."))?;
        let arn = policy
            .get("deadLetterTargetArn")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
            })?;
        let max = policy.get("maxReceiveCount").ok_or_else(|| {
            invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
        })?;
        match json_u64(max) {
            Some(n) if (1..=1000).contains(&n) => {}
            _ => {
                return Err(invalid(
                    "Invalid value for maxReceiveCount: must be an integer between 1 and 1000.",
                ));
            }
        }
        if let Some(extra) = policy.as_object().and_then(|o| {
            o.keys()
                .find(|k| *k != "deadLetterTargetArn" && *k != "maxReceiveCount")
        }) {
            return Err(invalid(&format!("Unknown attribute {extra}.")));
        }
        // A malformed ARN is refused before any lookup (AWS-recorded).
        if parse_queue_arn(arn).is_none() {
            return Err(invalid("Invalid value for deadLetterTargetArn."));
        }
        if !self.queue_exists(arn) {
            return Err(invalid("Dead letter target does not exist."));
        }
        Ok(())
    }

    /// CreateQueue: creates a standard queue, or answers the existing one if every given attribute matches.
    pub async fn create_queue(
        &self,
        scope: &Scope,
        name: &str,
        attributes: BTreeMap<String, String>,
        tags: BTreeMap<String, String>,
    ) -> Result<(), QueueError> {
        if name.ends_with(".fifo") {
            return Err(fifo_refused());
        }
        if !valid_queue_name(name) {
            return Err(QueueError::invalid_parameter_value(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
            ));
        }
        let attributes = self.check_queue_attributes(&attributes)?;
        if let Some(existing) = self.queue_handle(scope, name) {
            let def = existing.def();
            for (attr, value) in &attributes {
                if def.attribute(attr).as_deref().unwrap_or("") != value {
                    return Err(QueueError::new(
                        ErrorKind::QueueNameExists,
                        format!(
                            "A queue already exists with the same name and a different value for attribute {attr}"
                        ),
                    ));
                }
            }
            return Ok(());
        }
        check_tags(&tags)?;
        let now = self.now_ms();
        let def = QueueDef {
            id: self.next_id(),
            account: scope.account.to_string(),
            region: scope.region.to_string(),
            name: name.to_string(),
            created_ms: now,
            modified_ms: now,
            attributes,
            tags,
            last_purge_ms: None,
        };
        self.write_def(&def).await?;
        let mut queues = self.inner.queues.write();
        queues
            .entry(def.key())
            .or_insert_with(|| QueueHandle::new(def, BTreeMap::new()));
        Ok(())
    }

    async fn write_def(&self, def: &QueueDef) -> Result<(), QueueError> {
        let value = serde_json::to_vec(def).map_err(|e| QueueError::internal(e.to_string()))?;
        self.inner
            .store
            .write_docs(vec![DocChange::put(QUEUES_NS, &def.key(), value)])
            .await?;
        Ok(())
    }

    /// GetQueueUrl: whether the queue exists.
    pub fn get_queue(&self, scope: &Scope, name: &str) -> Result<(), QueueError> {
        self.queue(scope, name).map(|_| ())
    }

    /// ListQueues: names of the scope's queues starting with `prefix`, after `after`, at most `limit`; the second
    /// value is the last name when more follow.
    pub fn list_queues(
        &self,
        scope: &Scope,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<String>, Option<String>) {
        let start = queue_key(scope, prefix);
        let scope_prefix = queue_key(scope, "");
        let queues = self.inner.queues.read();
        let mut names = Vec::new();
        for key in queues.range(start.clone()..).map(|(k, _)| k) {
            if !key.starts_with(&start) {
                break;
            }
            let name = &key[scope_prefix.len()..];
            if after.is_some_and(|a| name <= a) {
                continue;
            }
            if names.len() == limit {
                return (names.clone(), names.last().cloned());
            }
            names.push(name.to_string());
        }
        (names, None)
    }

    /// DeleteQueue: the queue and all its messages.
    pub async fn delete_queue(&self, scope: &Scope, name: &str) -> Result<(), QueueError> {
        let handle = self.queue(scope, name)?;
        let messages = handle.messages.lock().await;
        let def = handle.def();
        let mut changes = vec![DocChange::delete(QUEUES_NS, &def.key())];
        changes.extend(
            messages
                .keys()
                .map(|seq| DocChange::delete(MESSAGES_NS, &message_key(def.id, *seq))),
        );
        self.inner.store.write_docs(changes).await?;
        handle.deleted.store(true, Ordering::SeqCst);
        self.inner.queues.write().remove(&def.key());
        drop(messages);
        handle.notify.notify_waiters();
        Ok(())
    }

    /// GetQueueAttributes. `names` may contain `All`; unknown names are refused.
    pub async fn get_queue_attributes(
        &self,
        scope: &Scope,
        name: &str,
        names: &[String],
    ) -> Result<BTreeMap<String, String>, QueueError> {
        let handle = self.queue(scope, name)?;
        let all = names.iter().any(|n| n == "All");
        for n in names {
            let known = n == "All"
                || READ_ONLY_ATTRIBUTES.contains(&n.as_str())
                || NUMERIC_ATTRIBUTES.iter().any(|(a, ..)| a == n)
                || FIFO_ATTRIBUTES.contains(&n.as_str())
                || matches!(
                    n.as_str(),
                    "Policy"
                        | "RedrivePolicy"
                        | "RedriveAllowPolicy"
                        | "KmsMasterKeyId"
                        | "SqsManagedSseEnabled"
                        | "FifoQueue"
                );
            if !known {
                return Err(unknown_attribute(n));
            }
        }
        let wanted = |n: &str| all || names.iter().any(|x| x == n);
        let def = handle.def();
        let mut out = BTreeMap::new();
        if [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        .iter()
        .any(|n| wanted(n))
        {
            let now = self.now_ms();
            let retention = def.number("MessageRetentionPeriod");
            let (mut visible, mut in_flight, mut delayed) = (0u64, 0u64, 0u64);
            for m in handle.messages.lock().await.values() {
                if m.expired(retention, now) {
                    continue;
                }
                if m.visible_at_ms <= now {
                    visible += 1;
                } else if m.receive_count > 0 {
                    in_flight += 1;
                } else {
                    delayed += 1;
                }
            }
            for (n, v) in [
                ("ApproximateNumberOfMessages", visible),
                ("ApproximateNumberOfMessagesNotVisible", in_flight),
                ("ApproximateNumberOfMessagesDelayed", delayed),
            ] {
                if wanted(n) {
                    out.insert(n.to_string(), v.to_string());
                }
            }
        }
        let mut candidates: Vec<&str> = READ_ONLY_ATTRIBUTES.to_vec();
        candidates.extend(NUMERIC_ATTRIBUTES.iter().map(|(n, ..)| *n));
        candidates.extend([
            "Policy",
            "RedrivePolicy",
            "RedriveAllowPolicy",
            "KmsMasterKeyId",
            "SqsManagedSseEnabled",
        ]);
        for n in candidates {
            if wanted(n)
                && !out.contains_key(n)
                && let Some(v) = def.attribute(n)
            {
                out.insert(n.to_string(), v);
            }
        }
        Ok(out)
    }

    /// SetQueueAttributes.
    pub async fn set_queue_attributes(
        &self,
        scope: &Scope,
        name: &str,
        attributes: BTreeMap<String, String>,
    ) -> Result<(), QueueError> {
        let handle = self.queue(scope, name)?;
        // A queue's type is fixed at creation: SetQueueAttributes does not know the attribute (AWS-recorded).
        if attributes.contains_key("FifoQueue") {
            return Err(unknown_attribute("FifoQueue"));
        }
        let checked = self.check_queue_attributes(&attributes)?;
        if let Some(policy) = checked.get("RedrivePolicy")
            && let Ok(v) = serde_json::from_str::<Value>(policy)
            && v.get("deadLetterTargetArn").and_then(Value::as_str)
                == Some(handle.def().arn().as_str())
        {
            return Err(QueueError::invalid_parameter_value(format!(
                "Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead letter target cannot be the source queue."
            )));
        }
        let _guard = handle.messages.lock().await;
        let mut def = handle.def();
        for (k, v) in checked {
            if v.is_empty()
                && matches!(
                    k.as_str(),
                    "RedrivePolicy" | "Policy" | "RedriveAllowPolicy" | "KmsMasterKeyId"
                )
            {
                def.attributes.remove(&k);
            } else {
                def.attributes.insert(k, v);
            }
        }
        def.modified_ms = self.now_ms();
        self.write_def(&def).await?;
        *handle.def.write() = def;
        // A shorter delay may have made messages visible; let long polls look again.
        handle.notify.notify_waiters();
        Ok(())
    }

    /// TagQueue.
    pub async fn tag_queue(
        &self,
        scope: &Scope,
        name: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<(), QueueError> {
        let handle = self.queue(scope, name)?;
        check_tags(&tags)?;
        let _guard = handle.messages.lock().await;
        let mut def = handle.def();
        def.tags.extend(tags);
        if def.tags.len() > 50 {
            return Err(QueueError::invalid_parameter_value(format!(
                "Too many tags added for queue {name}."
            )));
        }
        self.write_def(&def).await?;
        *handle.def.write() = def;
        Ok(())
    }

    /// UntagQueue.
    pub async fn untag_queue(
        &self,
        scope: &Scope,
        name: &str,
        keys: &[String],
    ) -> Result<(), QueueError> {
        let handle = self.queue(scope, name)?;
        let _guard = handle.messages.lock().await;
        let mut def = handle.def();
        for k in keys {
            def.tags.remove(k);
        }
        self.write_def(&def).await?;
        *handle.def.write() = def;
        Ok(())
    }

    /// ListQueueTags.
    pub fn list_queue_tags(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<BTreeMap<String, String>, QueueError> {
        Ok(self.queue(scope, name)?.def().tags)
    }

    /// ListDeadLetterSourceQueues: names of queues (any scope) whose redrive policy targets this queue.
    pub fn dead_letter_source_queues(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<(Scope, String)>, QueueError> {
        let arn = self.queue(scope, name)?.def().arn();
        let queues = self.inner.queues.read();
        Ok(queues
            .values()
            .map(|h| h.def())
            .filter(|d| d.redrive().is_some_and(|(target, _)| target == arn))
            .map(|d| (Scope::new(&d.account, &d.region), d.name))
            .collect())
    }

    /// PurgeQueue: deletes every message; at most once a minute per queue.
    pub async fn purge_queue(&self, scope: &Scope, name: &str) -> Result<(), QueueError> {
        let handle = self.queue(scope, name)?;
        let mut messages = handle.messages.lock().await;
        let mut def = handle.def();
        let now = self.now_ms();
        if def
            .last_purge_ms
            .is_some_and(|t| now - t < PURGE_INTERVAL_MS)
        {
            return Err(QueueError::new(
                ErrorKind::PurgeQueueInProgress,
                format!("Only one PurgeQueue operation on {name} is allowed every 60 seconds."),
            ));
        }
        def.last_purge_ms = Some(now);
        let mut changes = vec![DocChange::put(
            QUEUES_NS,
            &def.key(),
            serde_json::to_vec(&def).map_err(|e| QueueError::internal(e.to_string()))?,
        )];
        changes.extend(
            messages
                .keys()
                .map(|seq| DocChange::delete(MESSAGES_NS, &message_key(def.id, *seq))),
        );
        self.inner.store.write_docs(changes).await?;
        messages.clear();
        *handle.def.write() = def;
        Ok(())
    }

    /// Checks one message against the queue and builds what will be stored.
    fn prepare_message(
        &self,
        def: &QueueDef,
        message: NewMessage,
        sender: &str,
        now: i64,
    ) -> Result<(StoredMessage, SentMessage), QueueError> {
        if message.body.is_empty() {
            return Err(QueueError::missing_parameter("MessageBody"));
        }
        if let Some(c) = attributes::first_invalid_char(&message.body) {
            return Err(QueueError::new(
                ErrorKind::InvalidMessageContents,
                format!(
                    "Invalid binary character '#x{:X}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                    c as u32
                ),
            ));
        }
        if let Some(v) = &message.message_deduplication_id {
            return Err(QueueError::invalid_parameter_value(format!(
                "Value {v} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type."
            )));
        }
        // A standard queue takes message groups since fair queues (2025); it keeps no order per group.
        if let Some(group) = &message.message_group_id {
            check_message_group_id(group)?;
        }
        let delay = message
            .delay_seconds
            .unwrap_or_else(|| def.number("DelaySeconds"));
        check_range(
            "DelaySeconds",
            delay,
            0,
            900,
            "DelaySeconds must be >= 0 and <= 900.",
        )?;
        attributes::validate(&message.attributes, Service::Sqs)?;
        // The caller's X-Ray header, unless the AWSTraceHeader system attribute names one.
        let mut trace_header = message.trace_header.clone();
        for (name, value) in &message.system_attributes {
            if name != "AWSTraceHeader" {
                return Err(QueueError::invalid_parameter_value(format!(
                    "Message system attribute name '{name}' is invalid."
                )));
            }
            if value.data_type != "String" || value.string_value.as_deref().unwrap_or("").is_empty()
            {
                return Err(QueueError::invalid_parameter_value(
                    "Message system attribute 'AWSTraceHeader' must be of type String and not empty.",
                ));
            }
            trace_header = value.string_value.clone();
        }
        let size = message.body.len()
            + message
                .attributes
                .iter()
                .map(|(n, v)| v.size(n))
                .sum::<usize>();
        let max = def.number("MaximumMessageSize");
        if size as i64 > max {
            return Err(QueueError::invalid_parameter_value(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let sent = SentMessage {
            message_id: id.clone(),
            md5_of_body: md5_hex(message.body.as_bytes()),
            md5_of_attributes: md5_of_attributes(&message.attributes),
            md5_of_system_attributes: md5_of_attributes(&message.system_attributes),
        };
        let stored = StoredMessage {
            seq: self.next_id(),
            id,
            body: message.body,
            attributes: message.attributes,
            trace_header,
            sender_id: sender.to_string(),
            sent_ms: now,
            visible_at_ms: now + delay * 1000,
            receive_count: 0,
            first_receive_ms: None,
            receipt: None,
            dead_letter_source: None,
            group_id: message.message_group_id,
        };
        Ok((stored, sent))
    }

    /// SendMessage.
    pub async fn send_message(
        &self,
        scope: &Scope,
        name: &str,
        message: NewMessage,
        sender: &str,
    ) -> Result<SentMessage, QueueError> {
        let mut results = self
            .send_messages(scope, name, vec![message], sender)
            .await?;
        results
            .pop()
            .unwrap_or_else(|| Err(QueueError::internal("no result")))
    }

    /// SendMessageBatch's core: each message is checked on its own; the valid ones are stored in one atomic
    /// write.
    pub async fn send_messages(
        &self,
        scope: &Scope,
        name: &str,
        messages: Vec<NewMessage>,
        sender: &str,
    ) -> Result<Vec<Result<SentMessage, QueueError>>, QueueError> {
        let handle = self.queue(scope, name)?;
        let mut stored_messages = handle.messages.lock().await;
        if handle.deleted.load(Ordering::SeqCst) {
            return Err(QueueError::queue_does_not_exist());
        }
        let def = handle.def();
        let now = self.now_ms();
        let mut results = Vec::with_capacity(messages.len());
        let mut new = Vec::new();
        let mut changes = Vec::new();
        for message in messages {
            match self.prepare_message(&def, message, sender, now) {
                Ok((stored, sent)) => {
                    changes.push(stored.doc(def.id)?);
                    new.push(stored);
                    results.push(Ok(sent));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if !changes.is_empty() {
            self.inner.store.write_docs(changes).await?;
            for m in new {
                stored_messages.insert(m.seq, m);
            }
            drop(stored_messages);
            handle.notify.notify_waiters();
        }
        Ok(results)
    }

    /// ReceiveMessage, with long polling.
    pub async fn receive_message(
        &self,
        scope: &Scope,
        name: &str,
        request: ReceiveRequest,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let handle = self.queue(scope, name)?;
        let max = request.max_messages.unwrap_or(1);
        check_range(
            "MaxNumberOfMessages",
            max,
            1,
            10,
            "Must be between 1 and 10, if provided.",
        )?;
        if let Some(v) = request.visibility_timeout {
            check_range(
                "VisibilityTimeout",
                v,
                0,
                MAX_VISIBILITY_TIMEOUT,
                "Must be >= 0 and <= 43200, if provided.",
            )?;
        }
        let wait = request
            .wait_time_seconds
            .unwrap_or_else(|| handle.def().number("ReceiveMessageWaitTimeSeconds"));
        check_range(
            "WaitTimeSeconds",
            wait,
            0,
            20,
            "Must be >= 0 and <= 20, if provided.",
        )?;
        let clock = self.inner.clock.clone();
        let deadline = clock.now_ms() + wait * 1000;
        // The wait also ends after that much real time, so a paused clock cannot hold a request forever.
        let real_deadline = tokio::time::Instant::now() + Duration::from_secs(wait as u64);
        loop {
            let notified = handle.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (received, next_visible) =
                self.receive_once(&handle, max as usize, &request).await?;
            let now = clock.now_ms();
            if !received.is_empty()
                || now >= deadline
                || tokio::time::Instant::now() >= real_deadline
                || handle.deleted.load(Ordering::SeqCst)
            {
                return Ok(received);
            }
            let wake = next_visible.map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                _ = notified => {}
                _ = clock.sleep_until(wake) => {}
                _ = tokio::time::sleep_until(real_deadline) => {}
            }
        }
    }

    /// One attempt to receive: answers the messages and, when there are none, when the next one becomes visible.
    async fn receive_once(
        &self,
        handle: &Arc<QueueHandle>,
        max: usize,
        request: &ReceiveRequest,
    ) -> Result<(Vec<ReceivedMessage>, Option<i64>), QueueError> {
        let mut messages = handle.messages.lock().await;
        if handle.deleted.load(Ordering::SeqCst) {
            return Ok((Vec::new(), None));
        }
        let def = handle.def();
        let now = self.now_ms();
        let retention = def.number("MessageRetentionPeriod");
        let visibility = request
            .visibility_timeout
            .unwrap_or_else(|| def.number("VisibilityTimeout"));
        let redrive = def.redrive().and_then(|(arn, max_receives)| {
            let (scope, name) = parse_queue_arn(&arn)?;
            let target = self.queue_handle(&scope, &name)?;
            Some((target, max_receives))
        });
        let mut changes = Vec::new();
        let mut expired = Vec::new();
        let mut moved = Vec::new();
        let mut updated = Vec::new();
        let mut next_visible: Option<i64> = None;
        for m in messages.values() {
            if updated.len() == max {
                break;
            }
            if m.expired(retention, now) {
                changes.push(DocChange::delete(MESSAGES_NS, &message_key(def.id, m.seq)));
                expired.push(m.seq);
                continue;
            }
            if m.visible_at_ms > now {
                next_visible =
                    Some(next_visible.map_or(m.visible_at_ms, |t| t.min(m.visible_at_ms)));
                continue;
            }
            if let Some((target, max_receives)) = &redrive
                && m.receive_count >= *max_receives
            {
                let target_def = target.def();
                let mut copy = m.clone();
                copy.seq = self.next_id();
                copy.visible_at_ms = now;
                copy.receipt = None;
                copy.dead_letter_source = Some(def.arn());
                changes.push(DocChange::delete(MESSAGES_NS, &message_key(def.id, m.seq)));
                changes.push(copy.doc(target_def.id)?);
                moved.push((m.seq, copy));
                continue;
            }
            let mut m = m.clone();
            m.receive_count += 1;
            m.first_receive_ms.get_or_insert(now);
            m.visible_at_ms = now + visibility * 1000;
            m.receipt = Some(nonce());
            changes.push(m.doc(def.id)?);
            updated.push(m);
        }
        if changes.is_empty() {
            return Ok((Vec::new(), next_visible));
        }
        self.inner.store.write_docs(changes).await?;
        for seq in expired {
            messages.remove(&seq);
        }
        let mut moved_messages = Vec::new();
        for (seq, copy) in moved {
            messages.remove(&seq);
            moved_messages.push(copy);
        }
        let received = updated
            .into_iter()
            .map(|m| {
                let out = self.received(&def, &m, request);
                messages.insert(m.seq, m);
                out
            })
            .collect();
        drop(messages);
        if !moved_messages.is_empty()
            && let Some((target, _)) = redrive
        {
            let mut target_messages = target.messages.lock().await;
            for m in moved_messages {
                target_messages.insert(m.seq, m);
            }
            drop(target_messages);
            target.notify.notify_waiters();
        }
        Ok((received, next_visible))
    }

    fn received(
        &self,
        def: &QueueDef,
        m: &StoredMessage,
        request: &ReceiveRequest,
    ) -> ReceivedMessage {
        let all_system = request.system_attribute_names.iter().any(|n| n == "All");
        let mut attributes = BTreeMap::new();
        for name in SYSTEM_ATTRIBUTES {
            if !all_system && !request.system_attribute_names.iter().any(|n| n == name) {
                continue;
            }
            let value = match *name {
                "SenderId" => Some(m.sender_id.clone()),
                "SentTimestamp" => Some(m.sent_ms.to_string()),
                "ApproximateReceiveCount" => Some(m.receive_count.to_string()),
                "ApproximateFirstReceiveTimestamp" => m.first_receive_ms.map(|t| t.to_string()),
                "AWSTraceHeader" => m.trace_header.clone(),
                "DeadLetterQueueSourceArn" => m.dead_letter_source.clone(),
                "MessageGroupId" => m.group_id.clone(),
                _ => None,
            };
            if let Some(v) = value {
                attributes.insert(name.to_string(), v);
            }
        }
        let message_attributes: Attributes = m
            .attributes
            .iter()
            .filter(|(name, _)| {
                // `Hel.*` is the prefix `Hel` (`Hello` and `Help.Me`); `*` is all (AWS-recorded).
                request.message_attribute_names.iter().any(|pattern| {
                    matches!(pattern.as_str(), "All" | ".*" | "*")
                        || pattern == *name
                        || pattern
                            .strip_suffix(".*")
                            .is_some_and(|prefix| name.starts_with(prefix))
                })
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        ReceivedMessage {
            message_id: m.id.clone(),
            receipt_handle: receipt_handle(def.id, m.seq, m.receipt.as_deref().unwrap_or("")),
            body: m.body.clone(),
            md5_of_body: md5_hex(m.body.as_bytes()),
            md5_of_message_attributes: md5_of_attributes(&message_attributes),
            attributes,
            message_attributes,
        }
    }

    /// DeleteMessage / DeleteMessageBatch: a handle of a message already deleted succeeds, as on AWS.
    pub async fn delete_messages(
        &self,
        scope: &Scope,
        name: &str,
        handles: &[String],
    ) -> Result<Vec<Result<(), QueueError>>, QueueError> {
        let handle = self.queue(scope, name)?;
        let mut messages = handle.messages.lock().await;
        let def = handle.def();
        let mut results = Vec::new();
        let mut changes = Vec::new();
        let mut doomed = Vec::new();
        for receipt in handles {
            match parse_receipt(receipt, def.id) {
                Ok((seq, _)) => {
                    if messages.contains_key(&seq) {
                        changes.push(DocChange::delete(MESSAGES_NS, &message_key(def.id, seq)));
                        doomed.push(seq);
                    }
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if !changes.is_empty() {
            self.inner.store.write_docs(changes).await?;
            for seq in doomed {
                messages.remove(&seq);
            }
        }
        Ok(results)
    }

    /// ChangeMessageVisibility / ChangeMessageVisibilityBatch.
    pub async fn change_visibility(
        &self,
        scope: &Scope,
        name: &str,
        entries: &[(String, i64)],
    ) -> Result<Vec<Result<(), QueueError>>, QueueError> {
        let handle = self.queue(scope, name)?;
        let mut messages = handle.messages.lock().await;
        let def = handle.def();
        let now = self.now_ms();
        let mut results = Vec::new();
        let mut changes = Vec::new();
        let mut updated = Vec::new();
        for (receipt, timeout) in entries {
            let result = (|| {
                check_range(
                    "VisibilityTimeout",
                    *timeout,
                    0,
                    MAX_VISIBILITY_TIMEOUT,
                    "VisibilityTimeout must be an integer between 0 and 43200",
                )?;
                let (seq, _) = parse_receipt(receipt, def.id)?;
                let Some(m) = messages.get(&seq) else {
                    return Err(QueueError::invalid_parameter_value(format!(
                        "Value {receipt} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
                    )));
                };
                // A message visible again (its timeout ran out, or was set to 0) still takes its latest receipt
                // handle (AWS-recorded).
                if m.receive_count == 0 {
                    return Err(QueueError::new(
                        ErrorKind::MessageNotInflight,
                        "Message does not exist or is not available for visibility timeout change.",
                    ));
                }
                if let Some(first) = m.first_receive_ms
                    && now + timeout * 1000 - first > MAX_VISIBILITY_TIMEOUT * 1000
                {
                    return Err(QueueError::invalid_parameter_value(format!(
                        "Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
                    )));
                }
                let mut m = m.clone();
                m.visible_at_ms = now + timeout * 1000;
                Ok(m)
            })();
            match result {
                Ok(m) => {
                    changes.push(m.doc(def.id)?);
                    updated.push(m);
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if !changes.is_empty() {
            self.inner.store.write_docs(changes).await?;
            for m in updated {
                messages.insert(m.seq, m);
            }
            drop(messages);
            handle.notify.notify_waiters();
        }
        Ok(results)
    }

    /// Deletes messages past their queue's retention period; answers how many.
    pub async fn sweep_retention(&self) -> Result<usize, QueueError> {
        let handles: Vec<Arc<QueueHandle>> = self.inner.queues.read().values().cloned().collect();
        let mut total = 0;
        for handle in handles {
            let mut messages = handle.messages.lock().await;
            let def = handle.def();
            let now = self.now_ms();
            let retention = def.number("MessageRetentionPeriod");
            let doomed: Vec<u64> = messages
                .values()
                .filter(|m| m.expired(retention, now))
                .map(|m| m.seq)
                .collect();
            if doomed.is_empty() {
                continue;
            }
            let changes = doomed
                .iter()
                .map(|seq| DocChange::delete(MESSAGES_NS, &message_key(def.id, *seq)))
                .collect();
            self.inner.store.write_docs(changes).await?;
            for seq in &doomed {
                messages.remove(seq);
            }
            total += doomed.len();
        }
        Ok(total)
    }
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), QueueError> {
    if tags.len() > 50 {
        return Err(QueueError::invalid_parameter_value(
            "Too many tags added for queue.",
        ));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(QueueError::invalid_parameter_value(
                "Tag keys must be between 1 and 128 characters in length.",
            ));
        }
        if v.chars().count() > 256 {
            return Err(QueueError::invalid_parameter_value(
                "Tag values must be between 0 and 256 characters in length.",
            ));
        }
    }
    Ok(())
}

/// Deletes expired messages whenever the clock moves and once a minute.
pub(crate) fn spawn_retention_sweeper(queues: Queues) {
    let mut changes = queues.inner.clock.subscribe();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
            if let Err(e) = queues.sweep_retention().await {
                tracing::warn!("retention sweep failed: {e}");
            }
        }
    });
}

/// Names the batch ids that are not distinct, empty or malformed, as SQS checks them before any entry runs.
pub fn check_batch_ids<'a>(
    ids: impl Iterator<Item = &'a str>,
    entry_name: &str,
) -> Result<(), QueueError> {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        return Err(QueueError::new(
            ErrorKind::EmptyBatchRequest,
            format!("There should be at least one {entry_name} in the request."),
        ));
    }
    if ids.len() > 10 {
        return Err(QueueError::new(
            ErrorKind::TooManyEntriesInBatchRequest,
            format!(
                "Maximum number of entries per request are 10. You have sent {}.",
                ids.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for id in &ids {
        if id.is_empty()
            || id.len() > 80
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(QueueError::new(
                ErrorKind::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(*id) {
            return Err(QueueError::new(
                ErrorKind::BatchEntryIdsNotDistinct,
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(())
}
