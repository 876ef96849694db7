//! eddy-queue: SQS queues and SNS topics, real enough to be the on-failure destinations of event source
//! mappings and to be read back by users with the AWS CLI and SDKs.
//!
//! One engine, [`Queues`], owns both services (SNS delivers into SQS in-process). Everything is durable in the
//! store's document API, written through the store's group-commit writer: queue definitions
//! (`sqs-queues/<account>/<region>/<name>`), messages (`sqs-messages/<queue id>/<sequence>`, rewritten on every
//! receive so that receive counts and visibility survive `kill -9`), topics (`sns-topics/…`) and subscriptions
//! (`sns-subscriptions/…`). Messages of every queue are also held in memory, loaded once at start-up.
//!
//! All time — visibility timeouts, delays, retention, long-poll waits, purge throttling — comes from the
//! server clock, so tests can advance it.
//!
//! # Interface for other engines
//!
//! - Construction: [`Queues::open`]`(store, clock)` recovers every queue, message, topic and subscription;
//!   [`Queues::start_background`] starts the retention sweeper (needs a tokio runtime).
//! - On-failure destinations of event source mappings: [`Queues::send_to_queue_arn`] and
//!   [`Queues::publish_to_topic_arn`] (both answer the new MessageId, or a [`DestinationError`] that tells
//!   "does not exist" from other failures), and [`Queues::queue_exists`] / [`Queues::topic_exists`] for
//!   validating a mapping's `DestinationConfig`.
//! - SNS → Lambda: [`Queues::set_invoker`] with a [`FunctionInvoker`]; until one is set, `lambda`
//!   subscriptions are refused.

mod attributes;
mod error;
mod invoker;
mod sns;
mod sqs;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use eddy_model::{Clock, Scope};
use eddy_store::Store;
use parking_lot::RwLock;

pub use attributes::{AttributeValue, Attributes, first_invalid_char, md5_hex, md5_of_attributes};
pub use error::{DestinationError, ErrorKind, QueueError};
pub use invoker::{FunctionInvoker, InvokeFuture};
pub use sns::{
    PublishInput, SUBSCRIPTIONS_NS, SubscriptionInfo, TOPICS_NS, TopicAttributes, arn_fault,
    parse_topic_arn,
};
pub use sqs::{
    BatchResult, MESSAGES_NS, NewMessage, QUEUES_NS, ReceiveRequest, ReceivedMessage, SentMessage,
    check_batch_ids, parse_queue_arn,
};

/// The SQS and SNS engine. Cheap to clone.
#[derive(Clone)]
pub struct Queues {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<Clock>,
    /// Queue and message ids, never reused.
    next_id: AtomicU64,
    queues: RwLock<BTreeMap<String, Arc<sqs::QueueHandle>>>,
    topics: RwLock<BTreeMap<String, Arc<sns::TopicDef>>>,
    subscriptions: RwLock<BTreeMap<String, Arc<sns::SubscriptionDef>>>,
    invoker: RwLock<Option<Arc<dyn FunctionInvoker>>>,
}

impl Queues {
    /// Opens the engine over a store, recovering everything it persisted.
    pub fn open(store: Store, clock: Arc<Clock>) -> Result<Queues, QueueError> {
        let queues = Queues {
            inner: Arc::new(Inner {
                store,
                clock,
                next_id: AtomicU64::new(1),
                queues: RwLock::new(BTreeMap::new()),
                topics: RwLock::new(BTreeMap::new()),
                subscriptions: RwLock::new(BTreeMap::new()),
                invoker: RwLock::new(None),
            }),
        };
        queues.recover_queues()?;
        queues.recover_topics()?;
        Ok(queues)
    }

    /// Starts background work: deleting messages older than their queue's retention period.
    pub fn start_background(&self) {
        sqs::spawn_retention_sweeper(self.clone());
    }

    /// Sets the Lambda invoker used by `lambda` subscriptions.
    pub fn set_invoker(&self, invoker: Arc<dyn FunctionInvoker>) {
        *self.inner.invoker.write() = Some(invoker);
    }

    pub fn has_invoker(&self) -> bool {
        self.inner.invoker.read().is_some()
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.inner.clock
    }

    fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn next_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn bump_next_id(&self, seen: u64) {
        self.inner.next_id.fetch_max(seen + 1, Ordering::Relaxed);
    }

    /// Sends `body` to the SQS queue named by `queue_arn` (an on-failure destination). `scope` is the sender's
    /// account and region; the queue is the one the ARN names. Answers the new message's id.
    pub async fn send_to_queue_arn(
        &self,
        scope: &Scope,
        queue_arn: &str,
        body: String,
    ) -> Result<String, DestinationError> {
        self.send_to_queue_arn_with(scope, queue_arn, body, Attributes::new())
            .await
    }

    /// [`Queues::send_to_queue_arn`] with message attributes (a Lambda dead-letter message's `RequestID`, …).
    pub async fn send_to_queue_arn_with(
        &self,
        scope: &Scope,
        queue_arn: &str,
        body: String,
        attributes: Attributes,
    ) -> Result<String, DestinationError> {
        let (queue_scope, name) = parse_queue_arn(queue_arn).ok_or_else(|| {
            DestinationError::DoesNotExist(format!("not an SQS queue ARN: {queue_arn}"))
        })?;
        let message = NewMessage {
            body,
            attributes,
            ..NewMessage::default()
        };
        let sender = format!("{}", scope.account);
        match self
            .send_message(&queue_scope, &name, message, &sender)
            .await
        {
            Ok(sent) => Ok(sent.message_id),
            Err(e) if e.kind == ErrorKind::QueueDoesNotExist => {
                Err(DestinationError::DoesNotExist(queue_arn.to_string()))
            }
            Err(e) => Err(DestinationError::Failed(e.to_string())),
        }
    }

    /// Publishes `message` to the SNS topic named by `topic_arn` (an on-failure destination), delivering it to
    /// the topic's subscriptions. Answers the new message's id.
    pub async fn publish_to_topic_arn(
        &self,
        scope: &Scope,
        topic_arn: &str,
        message: String,
        subject: Option<String>,
    ) -> Result<String, DestinationError> {
        self.publish_to_topic_arn_with(scope, topic_arn, message, subject, Attributes::new())
            .await
    }

    /// [`Queues::publish_to_topic_arn`] with message attributes.
    pub async fn publish_to_topic_arn_with(
        &self,
        scope: &Scope,
        topic_arn: &str,
        message: String,
        subject: Option<String>,
        message_attributes: Attributes,
    ) -> Result<String, DestinationError> {
        let input = PublishInput {
            topic_arn: topic_arn.to_string(),
            message,
            subject,
            message_attributes,
            ..PublishInput::default()
        };
        match self.publish(scope, input).await {
            Ok(id) => Ok(id),
            Err(e) if e.kind == ErrorKind::NotFound => {
                Err(DestinationError::DoesNotExist(topic_arn.to_string()))
            }
            Err(e)
                if e.kind == ErrorKind::InvalidParameter
                    && parse_topic_arn(topic_arn).is_none() =>
            {
                Err(DestinationError::DoesNotExist(topic_arn.to_string()))
            }
            Err(e) => Err(DestinationError::Failed(e.to_string())),
        }
    }

    /// Whether `queue_arn` names an existing SQS queue.
    pub fn queue_exists(&self, queue_arn: &str) -> bool {
        parse_queue_arn(queue_arn)
            .is_some_and(|(scope, name)| self.queue_handle(&scope, &name).is_some())
    }

    /// Whether `topic_arn` names an existing SNS topic.
    pub fn topic_exists(&self, topic_arn: &str) -> bool {
        self.inner.topics.read().contains_key(topic_arn)
    }
}
