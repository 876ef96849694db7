//! SNS: topics, subscriptions and delivery.
//!
//! Topics and subscriptions are documents (`sns-topics/<topic ARN>`, `sns-subscriptions/<subscription ARN>`)
//! mirrored in memory. Subscriptions of the `sqs` and `lambda` protocols are confirmed at once, as AWS does for
//! them. Publish delivers before it answers: to each SQS subscription by sending into the queue in-process
//! (durable when Publish returns), to each Lambda subscription by handing the SNS event to the
//! `FunctionInvoker` (an asynchronous invoke). A delivery that fails goes to the subscription's dead-letter
//! queue if its `RedrivePolicy` names one, and is otherwise dropped, as SNS drops undeliverable messages.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eddy_model::Scope;
use eddy_model::time::iso8601;
use eddy_store::DocChange;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::Queues;
use crate::attributes::{self, Attributes, Service};
use crate::error::{ErrorKind, QueueError};
use crate::sqs::{NewMessage, parse_queue_arn};

pub const TOPICS_NS: &str = "sns-topics";
pub const SUBSCRIPTIONS_NS: &str = "sns-subscriptions";

/// The identity SNS sends to SQS with (the `SenderId` of delivered messages).
const SNS_SENDER_ID: &str = "AIDAIT2UOQQY3AUEKVGXU";
const MAX_MESSAGE_BYTES: usize = 262_144;

/// Topic attributes a caller may set, stored as given (besides `DisplayName`, none changes delivery here).
const TOPIC_SETTABLE: &[&str] = &[
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TopicDef {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
    pub created_ms: i64,
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SubscriptionDef {
    pub arn: String,
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    pub attributes: BTreeMap<String, String>,
}

impl SubscriptionDef {
    fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .map(String::as_str)
            == Some("true")
    }

    fn info(&self) -> SubscriptionInfo {
        SubscriptionInfo {
            subscription_arn: self.arn.clone(),
            owner: self.owner.clone(),
            protocol: self.protocol.clone(),
            endpoint: self.endpoint.clone(),
            topic_arn: self.topic_arn.clone(),
        }
    }
}

/// A subscription as the List operations show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionInfo {
    pub subscription_arn: String,
    pub owner: String,
    pub protocol: String,
    pub endpoint: String,
    pub topic_arn: String,
}

pub type TopicAttributes = BTreeMap<String, String>;

/// Publish's parameters.
#[derive(Clone, Debug, Default)]
pub struct PublishInput {
    pub topic_arn: String,
    pub message: String,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    pub message_attributes: Attributes,
    pub message_group_id: Option<String>,
    pub message_deduplication_id: Option<String>,
    /// The publisher's X-Ray header: SQS subscriptions' messages carry it as `AWSTraceHeader` (AWS-recorded).
    pub trace_header: Option<String>,
}

/// An ARN parameter SNS cannot use: too few elements is AWS's recorded `<member> Reason: An ARN must have at
/// least 6 elements, not N`; otherwise the member alone.
pub fn arn_fault(member: &str, arn: &str) -> QueueError {
    let elements = arn.split(':').count();
    if elements < 6 {
        QueueError::invalid_parameter(format!(
            "{member} Reason: An ARN must have at least 6 elements, not {elements}"
        ))
    } else {
        QueueError::invalid_parameter(member)
    }
}

/// `RawMessageDelivery` takes `true` / `false` in any case and stores them in lower case (AWS-recorded).
fn normalized_subscription_attribute(name: &str, value: String) -> String {
    let lower = value.to_ascii_lowercase();
    if name == "RawMessageDelivery" && (lower == "true" || lower == "false") {
        lower
    } else {
        value
    }
}

/// `arn:aws:sns:<region>:<account>:<name>` → (scope, name).
pub fn parse_topic_arn(arn: &str) -> Option<(Scope, String)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sns", region, account, name]
            if !region.is_empty() && !account.is_empty() && valid_topic_name(name) =>
        {
            Some((Scope::new(account, region), name.to_string()))
        }
        _ => None,
    }
}

fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn topic_arn(scope: &Scope, name: &str) -> String {
    format!("arn:aws:sns:{}:{}:{}", scope.region, scope.account, name)
}

fn parse_lambda_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(
        parts.as_slice(),
        ["arn", _, "lambda", region, account, "function", name, ..]
            if !region.is_empty() && !account.is_empty() && !name.is_empty() && parts.len() <= 8
    )
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, QueueError> {
    serde_json::to_vec(value).map_err(|e| QueueError::internal(e.to_string()))
}

fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}}
        }]
    })
    .to_string()
}

const DEFAULT_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

impl Queues {
    pub(crate) fn recover_topics(&self) -> Result<(), QueueError> {
        let store = &self.inner.store;
        for (ns, is_topic) in [(TOPICS_NS, true), (SUBSCRIPTIONS_NS, false)] {
            let mut after: Option<String> = None;
            loop {
                let page = store.list_docs(ns, "", after.as_deref(), 1000)?;
                let Some((last, _)) = page.last() else { break };
                after = Some(last.clone());
                for (_, bytes) in page {
                    if is_topic {
                        match serde_json::from_slice::<TopicDef>(&bytes) {
                            Ok(t) => {
                                self.inner.topics.write().insert(t.arn.clone(), Arc::new(t));
                            }
                            Err(e) => tracing::error!("unreadable topic: {e}"),
                        }
                    } else {
                        match serde_json::from_slice::<SubscriptionDef>(&bytes) {
                            Ok(s) => {
                                self.inner
                                    .subscriptions
                                    .write()
                                    .insert(s.arn.clone(), Arc::new(s));
                            }
                            Err(e) => tracing::error!("unreadable subscription: {e}"),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn topic(&self, arn: &str) -> Result<Arc<TopicDef>, QueueError> {
        if parse_topic_arn(arn).is_none() {
            return Err(arn_fault("TopicArn", arn));
        }
        self.inner
            .topics
            .read()
            .get(arn)
            .cloned()
            .ok_or_else(QueueError::topic_not_found)
    }

    fn check_topic_attributes(attributes: &BTreeMap<String, String>) -> Result<(), QueueError> {
        for (name, value) in attributes {
            match name.as_str() {
                "FifoTopic" if value == "true" => {
                    return Err(QueueError::invalid_parameter(
                        "Attributes Reason: FIFO topics are not supported by eddy",
                    ));
                }
                "FifoTopic" if value == "false" => {}
                "ContentBasedDeduplication" | "FifoThroughputScope" | "ArchivePolicy" => {
                    return Err(QueueError::invalid_parameter(format!(
                        "Attributes Reason: {name} applies to FIFO topics, which eddy does not support"
                    )));
                }
                "Policy" | "DeliveryPolicy" | "TracingConfig" => {
                    if name != "TracingConfig"
                        && !value.is_empty()
                        && !serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_object())
                    {
                        return Err(QueueError::invalid_parameter(format!(
                            "Attributes Reason: {name}: failed to parse JSON"
                        )));
                    }
                    if name == "TracingConfig" && value != "PassThrough" && value != "Active" {
                        return Err(QueueError::invalid_parameter(
                            "Attributes Reason: TracingConfig must be PassThrough or Active",
                        ));
                    }
                }
                "SignatureVersion" if value != "1" && value != "2" => {
                    return Err(QueueError::invalid_parameter(
                        "Attributes Reason: SignatureVersion must be 1 or 2",
                    ));
                }
                _ if TOPIC_SETTABLE.contains(&name.as_str()) => {}
                _ => return Err(QueueError::invalid_parameter("AttributeName")),
            }
        }
        Ok(())
    }

    /// CreateTopic: idempotent for the same name, attributes and tags.
    pub async fn create_topic(
        &self,
        scope: &Scope,
        name: &str,
        mut attributes: BTreeMap<String, String>,
        tags: BTreeMap<String, String>,
    ) -> Result<String, QueueError> {
        if name.ends_with(".fifo") {
            return Err(QueueError::invalid_parameter(
                "Topic Name Reason: FIFO topics are not supported by eddy",
            ));
        }
        if !valid_topic_name(name) {
            return Err(QueueError::invalid_parameter("Topic Name"));
        }
        Self::check_topic_attributes(&attributes)?;
        attributes.remove("FifoTopic");
        let arn = topic_arn(scope, name);
        if let Some(existing) = self.inner.topics.read().get(&arn) {
            if attributes
                .iter()
                .any(|(k, v)| existing.attributes.get(k) != Some(v))
            {
                return Err(QueueError::invalid_parameter(
                    "Attributes Reason: Topic already exists with different attributes",
                ));
            }
            // Tags the topic has (a subset too) are no conflict (AWS-recorded).
            if tags.iter().any(|(k, v)| existing.tags.get(k) != Some(v)) {
                return Err(QueueError::invalid_parameter(
                    "Tags Reason: Topic already exists with different tags",
                ));
            }
            return Ok(arn);
        }
        let topic = TopicDef {
            arn: arn.clone(),
            account: scope.account.to_string(),
            region: scope.region.to_string(),
            name: name.to_string(),
            created_ms: self.now_ms(),
            attributes,
            tags,
        };
        self.inner
            .store
            .write_docs(vec![DocChange::put(TOPICS_NS, &arn, to_json(&topic)?)])
            .await?;
        self.inner
            .topics
            .write()
            .insert(arn.clone(), Arc::new(topic));
        Ok(arn)
    }

    /// ListTopics: ARNs of the scope's topics after `after`, at most `limit`; the second value is the last ARN
    /// when more follow.
    pub fn list_topics(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<String>, Option<String>) {
        let prefix = format!("arn:aws:sns:{}:{}:", scope.region, scope.account);
        let topics = self.inner.topics.read();
        page(
            topics.keys().filter(|k| k.starts_with(&prefix)).cloned(),
            after,
            limit,
        )
    }

    /// DeleteTopic: the topic and its subscriptions. Deleting a missing topic succeeds, as on AWS.
    pub async fn delete_topic(&self, arn: &str) -> Result<(), QueueError> {
        if parse_topic_arn(arn).is_none() {
            return Err(QueueError::invalid_parameter("TopicArn"));
        }
        if !self.inner.topics.read().contains_key(arn) {
            return Ok(());
        }
        let subs: Vec<String> = self
            .inner
            .subscriptions
            .read()
            .values()
            .filter(|s| s.topic_arn == arn)
            .map(|s| s.arn.clone())
            .collect();
        let mut changes = vec![DocChange::delete(TOPICS_NS, arn)];
        changes.extend(subs.iter().map(|s| DocChange::delete(SUBSCRIPTIONS_NS, s)));
        self.inner.store.write_docs(changes).await?;
        self.inner.topics.write().remove(arn);
        let mut all = self.inner.subscriptions.write();
        for s in subs {
            all.remove(&s);
        }
        Ok(())
    }

    /// GetTopicAttributes.
    pub fn get_topic_attributes(&self, arn: &str) -> Result<TopicAttributes, QueueError> {
        let topic = self.topic(arn)?;
        let confirmed = self
            .inner
            .subscriptions
            .read()
            .values()
            .filter(|s| s.topic_arn == arn)
            .count();
        let mut out = BTreeMap::new();
        out.insert("TopicArn".to_string(), topic.arn.clone());
        out.insert("Owner".to_string(), topic.account.clone());
        out.insert(
            "Policy".to_string(),
            default_policy(&topic.arn, &topic.account),
        );
        out.insert("DisplayName".to_string(), String::new());
        out.insert("SubscriptionsConfirmed".to_string(), confirmed.to_string());
        out.insert("SubscriptionsPending".to_string(), "0".to_string());
        out.insert("SubscriptionsDeleted".to_string(), "0".to_string());
        out.insert(
            "EffectiveDeliveryPolicy".to_string(),
            DEFAULT_DELIVERY_POLICY.to_string(),
        );
        for (k, v) in &topic.attributes {
            out.insert(k.clone(), v.clone());
        }
        if let Some(p) = topic.attributes.get("DeliveryPolicy") {
            out.insert("EffectiveDeliveryPolicy".to_string(), p.clone());
        }
        Ok(out)
    }

    /// SetTopicAttributes.
    pub async fn set_topic_attribute(
        &self,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), QueueError> {
        let topic = self.topic(arn)?;
        if name == "FifoTopic" {
            return Err(QueueError::invalid_parameter("AttributeName"));
        }
        let mut one = BTreeMap::new();
        one.insert(name.to_string(), value.to_string());
        Self::check_topic_attributes(&one)?;
        let mut topic = (*topic).clone();
        topic.attributes.insert(name.to_string(), value.to_string());
        self.inner
            .store
            .write_docs(vec![DocChange::put(TOPICS_NS, arn, to_json(&topic)?)])
            .await?;
        self.inner
            .topics
            .write()
            .insert(arn.to_string(), Arc::new(topic));
        Ok(())
    }

    /// TagResource / UntagResource / ListTagsForResource on topics.
    pub async fn tag_topic(
        &self,
        arn: &str,
        add: BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<BTreeMap<String, String>, QueueError> {
        let topic = self.inner.topics.read().get(arn).cloned().ok_or_else(|| {
            QueueError::new(ErrorKind::ResourceNotFound, "Resource does not exist")
        })?;
        if add.is_empty() && remove.is_empty() {
            return Ok(topic.tags.clone());
        }
        let mut topic = (*topic).clone();
        for (k, v) in add {
            if k.is_empty() || k.len() > 128 || v.len() > 256 {
                return Err(QueueError::invalid_parameter("Tags"));
            }
            topic.tags.insert(k, v);
        }
        for k in remove {
            topic.tags.remove(k);
        }
        if topic.tags.len() > 50 {
            return Err(QueueError::new(
                ErrorKind::TagLimitExceeded,
                "Could not complete request: tag quota of per resource exceeded",
            ));
        }
        self.inner
            .store
            .write_docs(vec![DocChange::put(TOPICS_NS, arn, to_json(&topic)?)])
            .await?;
        let tags = topic.tags.clone();
        self.inner
            .topics
            .write()
            .insert(arn.to_string(), Arc::new(topic));
        Ok(tags)
    }

    /// `in_subscribe`: Subscribe puts `Attributes Reason: ` before a bad value's reason, SetSubscriptionAttributes
    /// does not (AWS-recorded).
    fn check_subscription_attribute(
        &self,
        protocol: &str,
        name: &str,
        value: &str,
        in_subscribe: bool,
    ) -> Result<(), QueueError> {
        match name {
            "RawMessageDelivery" => {
                if value != "true" && value != "false" {
                    let prefix = if in_subscribe {
                        "Attributes Reason: "
                    } else {
                        ""
                    };
                    return Err(QueueError::invalid_parameter(format!(
                        "{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                    )));
                }
                if protocol == "lambda" && value == "true" {
                    return Err(QueueError::invalid_parameter(
                        "Attributes Reason: Delivery protocol [lambda] does not support raw message delivery.",
                    ));
                }
                Ok(())
            }
            "RedrivePolicy" => {
                let Ok(policy) = serde_json::from_str::<Value>(value) else {
                    return Err(QueueError::invalid_parameter(
                        "RedrivePolicy: failed to parse JSON.",
                    ));
                };
                let arn = policy.get("deadLetterTargetArn").and_then(Value::as_str);
                match arn {
                    Some(arn) if parse_queue_arn(arn).is_some() => Ok(()),
                    _ => Err(QueueError::invalid_parameter(
                        "RedrivePolicy: deadLetterTargetArn is an invalid arn",
                    )),
                }
            }
            "DeliveryPolicy" => {
                if serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_object()) {
                    Ok(())
                } else {
                    Err(QueueError::invalid_parameter(
                        "DeliveryPolicy: failed to parse JSON",
                    ))
                }
            }
            "FilterPolicy" | "FilterPolicyScope" => Err(QueueError::invalid_parameter(format!(
                "Attributes Reason: {name} is not supported by eddy; every message is delivered to every subscription"
            ))),
            "SubscriptionRoleArn" | "ReplayPolicy" => Err(QueueError::invalid_parameter(format!(
                "Attributes Reason: {name} is not supported by eddy"
            ))),
            _ => Err(QueueError::invalid_parameter("AttributeName")),
        }
    }

    /// Subscribe: `sqs` (endpoint: a queue ARN) and `lambda` (a function ARN; needs an invoker).
    pub async fn subscribe(
        &self,
        topic_arn: &str,
        protocol: &str,
        endpoint: Option<&str>,
        attributes: BTreeMap<String, String>,
    ) -> Result<String, QueueError> {
        let topic = self.topic(topic_arn)?;
        let endpoint = endpoint.unwrap_or("");
        match protocol {
            "sqs" => {
                if parse_queue_arn(endpoint).is_none() {
                    return Err(QueueError::invalid_parameter("SQS endpoint ARN"));
                }
            }
            "lambda" => {
                if !parse_lambda_arn(endpoint) {
                    return Err(QueueError::invalid_parameter("Lambda endpoint ARN"));
                }
                if !self.has_invoker() {
                    return Err(QueueError::invalid_parameter(
                        "Endpoint Reason: lambda subscriptions need eddy's Lambda engine, which is not running in this server",
                    ));
                }
            }
            "http" | "https" | "email" | "email-json" | "sms" | "application" | "firehose" => {
                return Err(QueueError::invalid_parameter(format!(
                    "Protocol Reason: eddy delivers only to sqs and lambda subscriptions, not {protocol}"
                )));
            }
            other => {
                return Err(QueueError::invalid_parameter(format!(
                    "Amazon SNS does not support this protocol string: {other}"
                )));
            }
        }
        let attributes: BTreeMap<String, String> = attributes
            .into_iter()
            .map(|(k, v)| {
                let v = normalized_subscription_attribute(&k, v);
                (k, v)
            })
            .collect();
        for (k, v) in &attributes {
            self.check_subscription_attribute(protocol, k, v, true)?;
        }
        let existing = self
            .inner
            .subscriptions
            .read()
            .values()
            .find(|s| s.topic_arn == topic_arn && s.protocol == protocol && s.endpoint == endpoint)
            .cloned();
        if let Some(existing) = existing {
            if attributes.iter().any(|(k, v)| {
                existing
                    .attributes
                    .get(k)
                    .map_or(v != "false" || k != "RawMessageDelivery", |e| e != v)
            }) {
                return Err(QueueError::invalid_parameter(
                    "Attributes Reason: Subscription already exists with different attributes",
                ));
            }
            return Ok(existing.arn.clone());
        }
        let sub = SubscriptionDef {
            arn: format!("{topic_arn}:{}", uuid::Uuid::new_v4()),
            topic_arn: topic_arn.to_string(),
            protocol: protocol.to_string(),
            endpoint: endpoint.to_string(),
            owner: topic.account.clone(),
            attributes,
        };
        self.inner
            .store
            .write_docs(vec![DocChange::put(
                SUBSCRIPTIONS_NS,
                &sub.arn,
                to_json(&sub)?,
            )])
            .await?;
        let arn = sub.arn.clone();
        self.inner
            .subscriptions
            .write()
            .insert(arn.clone(), Arc::new(sub));
        Ok(arn)
    }

    fn subscription(&self, arn: &str) -> Result<Arc<SubscriptionDef>, QueueError> {
        if arn.split(':').count() < 6 {
            return Err(arn_fault("SubscriptionArn", arn));
        }
        // arn:aws:sns:<region>:<account>:<topic>:<uuid>; anything else names no subscription (AWS-recorded).
        let well_formed = arn.rsplit_once(':').is_some_and(|(topic, id)| {
            parse_topic_arn(topic).is_some() && uuid::Uuid::parse_str(id).is_ok()
        });
        if !well_formed {
            return Err(QueueError::invalid_parameter("SubscriptionId"));
        }
        self.inner
            .subscriptions
            .read()
            .get(arn)
            .cloned()
            .ok_or_else(|| QueueError::new(ErrorKind::NotFound, "Subscription does not exist"))
    }

    /// Unsubscribe. A subscription that is gone already succeeds (AWS-recorded).
    pub async fn unsubscribe(&self, arn: &str) -> Result<(), QueueError> {
        let sub = match self.subscription(arn) {
            Ok(sub) => sub,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        self.inner
            .store
            .write_docs(vec![DocChange::delete(SUBSCRIPTIONS_NS, &sub.arn)])
            .await?;
        self.inner.subscriptions.write().remove(arn);
        Ok(())
    }

    /// ListSubscriptions (every topic of the scope) or ListSubscriptionsByTopic.
    pub fn list_subscriptions(
        &self,
        scope: &Scope,
        topic: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<SubscriptionInfo>, Option<String>), QueueError> {
        if let Some(t) = topic {
            self.topic(t)?;
        }
        let prefix = format!("arn:aws:sns:{}:{}:", scope.region, scope.account);
        let subs = self.inner.subscriptions.read();
        let (arns, next) = page(
            subs.values()
                .filter(|s| match topic {
                    Some(t) => s.topic_arn == t,
                    None => s.topic_arn.starts_with(&prefix),
                })
                .map(|s| s.arn.clone()),
            after,
            limit,
        );
        Ok((
            arns.iter()
                .filter_map(|a| subs.get(a))
                .map(|s| s.info())
                .collect(),
            next,
        ))
    }

    /// GetSubscriptionAttributes.
    pub fn get_subscription_attributes(
        &self,
        arn: &str,
    ) -> Result<BTreeMap<String, String>, QueueError> {
        let sub = self.subscription(arn)?;
        let mut out = BTreeMap::new();
        out.insert("SubscriptionArn".to_string(), sub.arn.clone());
        out.insert("TopicArn".to_string(), sub.topic_arn.clone());
        out.insert("Owner".to_string(), sub.owner.clone());
        out.insert("Protocol".to_string(), sub.protocol.clone());
        out.insert("Endpoint".to_string(), sub.endpoint.clone());
        out.insert(
            "ConfirmationWasAuthenticated".to_string(),
            "true".to_string(),
        );
        out.insert("PendingConfirmation".to_string(), "false".to_string());
        out.insert("RawMessageDelivery".to_string(), "false".to_string());
        out.insert(
            "SubscriptionPrincipal".to_string(),
            format!("arn:aws:iam::{}:root", sub.owner),
        );
        for (k, v) in &sub.attributes {
            out.insert(k.clone(), v.clone());
        }
        Ok(out)
    }

    /// SetSubscriptionAttributes.
    pub async fn set_subscription_attribute(
        &self,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), QueueError> {
        let sub = self.subscription(arn)?;
        let value = normalized_subscription_attribute(name, value.to_string());
        self.check_subscription_attribute(&sub.protocol, name, &value, false)?;
        let mut sub = (*sub).clone();
        sub.attributes.insert(name.to_string(), value);
        self.inner
            .store
            .write_docs(vec![DocChange::put(SUBSCRIPTIONS_NS, arn, to_json(&sub)?)])
            .await?;
        self.inner
            .subscriptions
            .write()
            .insert(arn.to_string(), Arc::new(sub));
        Ok(())
    }

    /// Publish: delivers to every subscription of the topic before answering the MessageId.
    pub async fn publish(
        &self,
        _caller: &Scope,
        input: PublishInput,
    ) -> Result<String, QueueError> {
        if input.topic_arn.is_empty() {
            return Err(QueueError::invalid_parameter(
                "TopicArn or TargetArn Reason: no value for required parameter",
            ));
        }
        let topic = self.topic(&input.topic_arn)?;
        if input.message.is_empty() {
            return Err(QueueError::invalid_parameter("Empty message"));
        }
        if let Some(subject) = &input.subject
            && (subject.is_empty()
                || subject.chars().count() > 100
                || subject.chars().any(|c| c.is_control() || !c.is_ascii()))
        {
            return Err(QueueError::invalid_parameter("Subject"));
        }
        // A standard topic passes a MessageGroupId on to its queues (fair queues; AWS-recorded, 2025).
        if input.message_deduplication_id.is_some() {
            return Err(QueueError::invalid_parameter(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        attributes::validate(&input.message_attributes, Service::Sns)?;
        let size = input.message.len()
            + input
                .message_attributes
                .iter()
                .map(|(n, v)| v.size(n))
                .sum::<usize>();
        if size > MAX_MESSAGE_BYTES {
            return Err(QueueError::invalid_parameter("Message too long"));
        }
        let structured = match input.message_structure.as_deref() {
            None => None,
            Some("json") => {
                let parsed: Map<String, Value> =
                    serde_json::from_str(&input.message).map_err(|_| {
                        QueueError::invalid_parameter(
                            "Message Structure - JSON message body failed to parse",
                        )
                    })?;
                if !parsed.get("default").is_some_and(Value::is_string) {
                    return Err(QueueError::invalid_parameter(
                        "Message Structure - No default entry in JSON message body",
                    ));
                }
                Some(parsed)
            }
            Some(_) => return Err(QueueError::invalid_parameter("MessageStructure")),
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        let timestamp = iso8601(self.now_ms());
        let subscriptions: Vec<Arc<SubscriptionDef>> = self
            .inner
            .subscriptions
            .read()
            .values()
            .filter(|s| s.topic_arn == topic.arn)
            .cloned()
            .collect();
        let topic_scope = Scope::new(&topic.account, &topic.region);
        let signature_version = topic
            .attributes
            .get("SignatureVersion")
            .map_or("1", String::as_str);
        for sub in subscriptions {
            let message = structured
                .as_ref()
                // A protocol's entry that is not a string is passed over for the default (AWS-recorded).
                .and_then(|m| {
                    m.get(&sub.protocol)
                        .filter(|v| v.is_string())
                        .or_else(|| m.get("default"))
                })
                .and_then(Value::as_str)
                .unwrap_or(&input.message)
                .to_string();
            let notification = Notification {
                message_id: &message_id,
                topic_arn: &topic.arn,
                region: &topic.region,
                subject: input.subject.as_deref(),
                message: &message,
                timestamp: &timestamp,
                attributes: &input.message_attributes,
                subscription_arn: &sub.arn,
                signature_version,
                message_group_id: input.message_group_id.as_deref(),
                trace_header: input.trace_header.as_deref(),
            };
            let outcome = match sub.protocol.as_str() {
                "sqs" => self.deliver_to_queue(&sub, &notification).await,
                "lambda" => {
                    self.deliver_to_lambda(&topic_scope, &sub, &notification)
                        .await
                }
                _ => Ok(()),
            };
            if let Err(reason) = outcome {
                tracing::warn!(subscription = %sub.arn, "SNS delivery failed: {reason}");
                self.redrive_failed_delivery(&sub, &notification).await;
            }
        }
        Ok(message_id)
    }

    async fn deliver_to_queue(
        &self,
        sub: &SubscriptionDef,
        n: &Notification<'_>,
    ) -> Result<(), String> {
        let (scope, name) = parse_queue_arn(&sub.endpoint).ok_or("not a queue ARN")?;
        let message = if sub.raw() {
            NewMessage {
                body: n.message.to_string(),
                attributes: n.attributes.clone(),
                message_group_id: n.message_group_id.map(str::to_string),
                trace_header: n.trace_header.map(str::to_string),
                ..NewMessage::default()
            }
        } else {
            NewMessage {
                body: n.envelope(),
                message_group_id: n.message_group_id.map(str::to_string),
                trace_header: n.trace_header.map(str::to_string),
                ..NewMessage::default()
            }
        };
        self.send_message(&scope, &name, message, SNS_SENDER_ID)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn deliver_to_lambda(
        &self,
        scope: &Scope,
        sub: &SubscriptionDef,
        n: &Notification<'_>,
    ) -> Result<(), String> {
        let invoker = self
            .inner
            .invoker
            .read()
            .clone()
            .ok_or("no Lambda invoker is configured")?;
        let payload = serde_json::to_vec(&n.lambda_event()).map_err(|e| e.to_string())?;
        invoker.invoke_event(scope, &sub.endpoint, payload).await
    }

    async fn redrive_failed_delivery(&self, sub: &SubscriptionDef, n: &Notification<'_>) {
        let Some(policy) = sub.attributes.get("RedrivePolicy") else {
            return;
        };
        let Some((scope, name)) = serde_json::from_str::<Value>(policy)
            .ok()
            .and_then(|v| v.get("deadLetterTargetArn")?.as_str().map(str::to_string))
            .and_then(|arn| parse_queue_arn(&arn))
        else {
            return;
        };
        let message = NewMessage {
            body: if sub.raw() {
                n.message.to_string()
            } else {
                n.envelope()
            },
            attributes: if sub.raw() {
                n.attributes.clone()
            } else {
                Attributes::new()
            },
            ..NewMessage::default()
        };
        if let Err(e) = self
            .send_message(&scope, &name, message, SNS_SENDER_ID)
            .await
        {
            tracing::warn!(subscription = %sub.arn, "SNS dead-letter delivery failed: {e}");
        }
    }
}

/// Pages sorted keys: at most `limit` after `after`; the token is the last key when more follow.
fn page(
    keys: impl Iterator<Item = String>,
    after: Option<&str>,
    limit: usize,
) -> (Vec<String>, Option<String>) {
    let mut out = Vec::new();
    for k in keys {
        if after.is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        if out.len() == limit {
            let last = out.last().cloned();
            return (out, last);
        }
        out.push(k);
    }
    (out, None)
}

/// One message as delivered to one subscription.
struct Notification<'a> {
    message_id: &'a str,
    topic_arn: &'a str,
    region: &'a str,
    subject: Option<&'a str>,
    message: &'a str,
    timestamp: &'a str,
    attributes: &'a Attributes,
    subscription_arn: &'a str,
    /// The topic's `SignatureVersion` (`1` or `2`), which SQS envelopes name (Lambda events always say `1`,
    /// AWS-recorded).
    signature_version: &'a str,
    /// Passed on to SQS subscriptions.
    message_group_id: Option<&'a str>,
    trace_header: Option<&'a str>,
}

impl Notification<'_> {
    fn signing_cert_url(&self) -> String {
        format!(
            "https://sns.{}.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
            self.region
        )
    }

    fn unsubscribe_url(&self) -> String {
        format!(
            "https://sns.{}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={}",
            self.region, self.subscription_arn
        )
    }

    /// A signature-shaped value: the base64 of 256 bytes derived from the string SNS signs. eddy holds no AWS
    /// signing key, so it cannot be verified against AWS's certificate.
    fn signature(&self) -> String {
        let mut canonical = String::new();
        canonical.push_str("Message\n");
        canonical.push_str(self.message);
        canonical.push_str("\nMessageId\n");
        canonical.push_str(self.message_id);
        if let Some(s) = self.subject {
            canonical.push_str("\nSubject\n");
            canonical.push_str(s);
        }
        canonical.push_str("\nTimestamp\n");
        canonical.push_str(self.timestamp);
        canonical.push_str("\nTopicArn\n");
        canonical.push_str(self.topic_arn);
        canonical.push_str("\nType\nNotification\n");
        let mut bytes = Vec::with_capacity(256);
        let mut block = Sha256::digest(canonical.as_bytes()).to_vec();
        while bytes.len() < 256 {
            bytes.extend_from_slice(&block);
            block = Sha256::digest(&block).to_vec();
        }
        STANDARD.encode(&bytes[..256])
    }

    /// `MessageAttributes` as the envelope carries them: `{"name": {"Type": …, "Value": …}}`, binary values in
    /// base64.
    fn attributes_json(&self) -> Map<String, Value> {
        self.attributes
            .iter()
            .map(|(name, v)| {
                let value = match (&v.binary_value, &v.string_value) {
                    (Some(b), _) if v.base_type() == "Binary" => STANDARD.encode(b),
                    (_, Some(s)) => s.clone(),
                    _ => String::new(),
                };
                (name.clone(), json!({"Type": v.data_type, "Value": value}))
            })
            .collect()
    }

    /// The JSON document an SQS subscription without raw delivery receives, laid out as SNS lays it out.
    fn envelope(&self) -> String {
        let q = |s: &str| Value::String(s.to_string()).to_string();
        let mut fields = vec![
            ("Type", q("Notification")),
            ("MessageId", q(self.message_id)),
            ("TopicArn", q(self.topic_arn)),
        ];
        if let Some(s) = self.subject {
            fields.push(("Subject", q(s)));
        }
        fields.push(("Message", q(self.message)));
        fields.push(("Timestamp", q(self.timestamp)));
        fields.push(("SignatureVersion", q(self.signature_version)));
        fields.push(("Signature", q(&self.signature())));
        fields.push(("SigningCertURL", q(&self.signing_cert_url())));
        fields.push(("UnsubscribeURL", q(&self.unsubscribe_url())));
        if !self.attributes.is_empty() {
            let attrs: Vec<String> = self
                .attributes_json()
                .iter()
                .map(|(k, v)| format!("{} : {}", q(k), v))
                .collect();
            fields.push(("MessageAttributes", format!("{{{}}}", attrs.join(","))));
        }
        let body: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("  \"{k}\" : {v}"))
            .collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }

    /// The event a Lambda subscription is invoked with.
    fn lambda_event(&self) -> Value {
        json!({
            "Records": [{
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": self.subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": self.message_id,
                    "TopicArn": self.topic_arn,
                    "Subject": self.subject,
                    "Message": self.message,
                    "Timestamp": self.timestamp,
                    "SignatureVersion": "1",
                    "Signature": self.signature(),
                    "SigningCertUrl": self.signing_cert_url(),
                    "UnsubscribeUrl": self.unsubscribe_url(),
                    "MessageAttributes": self.attributes_json(),
                }
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use eddy_model::Clock;
    use eddy_store::{Store, StoreConfig};

    use super::*;
    use crate::attributes::AttributeValue;
    use crate::invoker::{FunctionInvoker, InvokeFuture};
    use crate::sqs::ReceiveRequest;

    #[derive(Default)]
    struct FakeInvoker {
        calls: Mutex<Vec<(Scope, String, Value)>>,
    }

    impl FunctionInvoker for FakeInvoker {
        fn invoke_event<'a>(
            &'a self,
            scope: &'a Scope,
            function_arn: &'a str,
            payload: Vec<u8>,
        ) -> InvokeFuture<'a> {
            Box::pin(async move {
                let event: Value = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
                self.calls
                    .lock()
                    .unwrap()
                    .push((scope.clone(), function_arn.to_string(), event));
                if function_arn.ends_with(":broken") {
                    return Err("function failed".into());
                }
                Ok(())
            })
        }
    }

    fn engine() -> Queues {
        let clock = Arc::new(Clock::new());
        let store = Store::in_memory(clock.clone(), StoreConfig::default());
        Queues::open(store, clock).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lambda_subscriptions_need_an_invoker_and_receive_the_sns_event() {
        let q = engine();
        let scope = Scope::new("123456789012", "eu-west-1");
        let topic = q
            .create_topic(&scope, "alerts", BTreeMap::new(), BTreeMap::new())
            .await
            .unwrap();
        let function = "arn:aws:lambda:eu-west-1:123456789012:function:handler";
        let refused = q
            .subscribe(&topic, "lambda", Some(function), BTreeMap::new())
            .await
            .unwrap_err();
        assert_eq!(refused.kind, ErrorKind::InvalidParameter);

        let invoker = Arc::new(FakeInvoker::default());
        q.set_invoker(invoker.clone());
        let sub = q
            .subscribe(&topic, "lambda", Some(function), BTreeMap::new())
            .await
            .unwrap();
        let mut attrs = Attributes::new();
        attrs.insert("color".into(), AttributeValue::string("blue"));
        let id = q
            .publish(
                &scope,
                PublishInput {
                    topic_arn: topic.clone(),
                    message: "hello".into(),
                    subject: Some("greeting".into()),
                    message_attributes: attrs,
                    ..PublishInput::default()
                },
            )
            .await
            .unwrap();
        let calls = invoker.calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        let (call_scope, arn, event) = &calls[0];
        assert_eq!(call_scope, &scope);
        assert_eq!(arn, function);
        let record = &event["Records"][0];
        assert_eq!(record["EventSource"], "aws:sns");
        assert_eq!(record["EventVersion"], "1.0");
        assert_eq!(record["EventSubscriptionArn"], sub.as_str());
        let sns = &record["Sns"];
        assert_eq!(sns["Type"], "Notification");
        assert_eq!(sns["MessageId"], id.as_str());
        assert_eq!(sns["TopicArn"], topic.as_str());
        assert_eq!(sns["Subject"], "greeting");
        assert_eq!(sns["Message"], "hello");
        assert_eq!(sns["SignatureVersion"], "1");
        assert!(
            sns["SigningCertUrl"]
                .as_str()
                .unwrap()
                .starts_with("https://sns.eu-west-1.amazonaws.com/")
        );
        assert!(sns["UnsubscribeUrl"].as_str().unwrap().contains(&sub));
        assert_eq!(
            sns["MessageAttributes"]["color"],
            json!({"Type": "String", "Value": "blue"})
        );
        assert!(sns["Timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_lambda_deliveries_go_to_the_subscription_dead_letter_queue() {
        let q = engine();
        let scope = Scope::new("123456789012", "us-east-1");
        q.set_invoker(Arc::new(FakeInvoker::default()));
        q.create_queue(&scope, "dlq", BTreeMap::new(), BTreeMap::new())
            .await
            .unwrap();
        let topic = q
            .create_topic(&scope, "t", BTreeMap::new(), BTreeMap::new())
            .await
            .unwrap();
        let mut attrs = BTreeMap::new();
        attrs.insert(
            "RedrivePolicy".to_string(),
            json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}).to_string(),
        );
        q.subscribe(
            &topic,
            "lambda",
            Some("arn:aws:lambda:us-east-1:123456789012:function:broken"),
            attrs,
        )
        .await
        .unwrap();
        q.publish(
            &scope,
            PublishInput {
                topic_arn: topic.clone(),
                message: "boom".into(),
                ..PublishInput::default()
            },
        )
        .await
        .unwrap();
        let got = q
            .receive_message(&scope, "dlq", ReceiveRequest::default())
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        let envelope: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(envelope["Message"], "boom");
        assert_eq!(envelope["TopicArn"], topic.as_str());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn destinations_tell_missing_from_failed() {
        let q = engine();
        let scope = Scope::default();
        let missing = q
            .send_to_queue_arn(
                &scope,
                "arn:aws:sqs:us-east-1:000000000000:nope",
                "x".into(),
            )
            .await
            .unwrap_err();
        assert!(matches!(missing, crate::DestinationError::DoesNotExist(_)));
        let missing = q
            .publish_to_topic_arn(
                &scope,
                "arn:aws:sns:us-east-1:000000000000:nope",
                "x".into(),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(missing, crate::DestinationError::DoesNotExist(_)));
        q.create_queue(&scope, "d", BTreeMap::new(), BTreeMap::new())
            .await
            .unwrap();
        assert!(q.queue_exists("arn:aws:sqs:us-east-1:000000000000:d"));
        let id = q
            .send_to_queue_arn(
                &scope,
                "arn:aws:sqs:us-east-1:000000000000:d",
                "{\"a\":1}".into(),
            )
            .await
            .unwrap();
        let got = q
            .receive_message(&scope, "d", ReceiveRequest::default())
            .await
            .unwrap();
        assert_eq!(got[0].message_id, id);
        let failed = q
            .send_to_queue_arn(
                &scope,
                "arn:aws:sqs:us-east-1:000000000000:d",
                String::new(),
            )
            .await
            .unwrap_err();
        assert!(matches!(failed, crate::DestinationError::Failed(_)));
    }
}
