//! Asynchronous (`Event`) invocations. Each accepted event is a durable document (`lambda-async/<seq>`) before
//! the caller gets its 202, so a restart loses none. A worker runs due events through the same path as
//! synchronous invocations. As on AWS, a function error (including a timeout or a crash) is retried — twice by
//! default, or as the function's `MaximumRetryAttempts` says — one minute and then two minutes later (by the
//! server clock, so tests can advance it); throttles and internal errors are retried with back-off without
//! spending attempts; a retry that would start past the maximum event age (six hours by default) is not made.
//! A finished event's record goes to the on-success or on-failure destination of its configuration
//! (`event_config`), and a failed event to the function's dead-letter queue or topic; an event whose function was
//! deleted is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use bytes::Bytes;
use eddy_model::Scope;
use eddy_store::{DocChange, Store};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};

use crate::event_config::{Condition, EventInvokeConfig, RecordFacts, destination_record};
use crate::invoke::new_request_id;
use crate::model::{FunctionRef, LATEST, function_arn};
use crate::{InvocationKind, InvokeOutcome, InvokeRequest, Lambda, LambdaError};

pub(crate) const ASYNC_NS: &str = "lambda-async";

/// Invocations a chain of function destinations may add to the first (AWS's recursive loop detection stops a
/// loop after 16).
const MAX_DESTINATION_HOPS: u32 = 16;
/// Asynchronous invocations run at once, at most.
const MAX_IN_FLIGHT: usize = 256;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct QueuedEvent {
    account: String,
    region: String,
    function: String,
    qualifier: Option<String>,
    payload: String,
    request_id: String,
    attempts: u32,
    #[serde(default)]
    throttles: u32,
    next_attempt_ms: i64,
    enqueued_ms: i64,
    /// How many function destinations led to this event (0 for an event a caller sent).
    #[serde(default)]
    hops: u32,
}

/// An asynchronous invocation not yet finished (for observation and tests).
#[derive(Clone, Debug)]
pub struct PendingEvent {
    pub request_id: String,
    pub function: String,
    /// Attempts made so far (failed ones; a running first attempt counts 0).
    pub attempts: u32,
    /// When the next attempt starts (server clock, ms); `None` while an attempt runs.
    pub next_attempt_ms: Option<i64>,
}

pub(crate) struct AsyncQueue {
    waiting: Mutex<BTreeMap<String, QueuedEvent>>,
    in_flight: Mutex<HashMap<String, QueuedEvent>>,
    wake: Notify,
    seq: AtomicU64,
    slots: Arc<Semaphore>,
}

impl AsyncQueue {
    pub(crate) fn load(store: &Store) -> Result<AsyncQueue, LambdaError> {
        let mut waiting = BTreeMap::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.list_docs(ASYNC_NS, "", after.as_deref(), 512)?;
            if page.is_empty() {
                break;
            }
            for (key, value) in &page {
                if let Ok(event) = serde_json::from_slice::<QueuedEvent>(value) {
                    waiting.insert(key.clone(), event);
                }
            }
            after = page.last().map(|(k, _)| k.clone());
        }
        let next_seq = waiting
            .keys()
            .filter_map(|k| k.parse::<u64>().ok())
            .max()
            .map(|n| n + 1)
            .unwrap_or(1);
        Ok(AsyncQueue {
            waiting: Mutex::new(waiting),
            in_flight: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            seq: AtomicU64::new(next_seq),
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        })
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Events accepted and not yet finished.
    pub(crate) fn len(&self) -> usize {
        self.waiting.lock().len() + self.in_flight.lock().len()
    }
}

impl Lambda {
    pub(crate) async fn enqueue_event(
        &self,
        scope: &Scope,
        req: &InvokeRequest,
        payload: Bytes,
        request_id: &str,
    ) -> Result<(), LambdaError> {
        self.enqueue_event_after(scope, req, payload, request_id, 0)
            .await
    }

    /// Queues an event that `hops` function destinations led to.
    async fn enqueue_event_after(
        &self,
        scope: &Scope,
        req: &InvokeRequest,
        payload: Bytes,
        request_id: &str,
        hops: u32,
    ) -> Result<(), LambdaError> {
        let inner = &self.inner;
        let now = inner.clock.now_ms();
        let event = QueuedEvent {
            account: scope.account.to_string(),
            region: scope.region.to_string(),
            function: req.function.clone(),
            qualifier: req.qualifier.clone(),
            payload: base64::engine::general_purpose::STANDARD.encode(&payload),
            request_id: request_id.to_string(),
            attempts: 0,
            throttles: 0,
            next_attempt_ms: now,
            enqueued_ms: now,
            hops,
        };
        let key = format!("{:020}", inner.queue.seq.fetch_add(1, Ordering::Relaxed));
        let value = serde_json::to_vec(&event).map_err(LambdaError::internal)?;
        inner
            .store
            .write_docs(vec![DocChange::put(ASYNC_NS, &key, value)])
            .await?;
        inner.queue.waiting.lock().insert(key, event);
        inner.queue.wake();
        Ok(())
    }

    /// Events accepted and not yet finished (queued, waiting for a retry, or running).
    pub fn pending_events(&self) -> usize {
        self.inner.queue.len()
    }

    /// Each unfinished event: its request id, attempts made, and when the next starts (None while running).
    pub fn pending_event_states(&self) -> Vec<PendingEvent> {
        let queue = &self.inner.queue;
        let waiting = queue.waiting.lock();
        let running = queue.in_flight.lock();
        let mut out: Vec<PendingEvent> = waiting
            .values()
            .map(|e| PendingEvent {
                request_id: e.request_id.clone(),
                function: e.function.clone(),
                attempts: e.attempts,
                next_attempt_ms: Some(e.next_attempt_ms),
            })
            .collect();
        out.extend(running.values().map(|e| PendingEvent {
            request_id: e.request_id.clone(),
            function: e.function.clone(),
            attempts: e.attempts,
            next_attempt_ms: None,
        }));
        out
    }

    async fn process_event(&self, key: String, mut event: QueuedEvent) {
        let inner = &self.inner;
        let scope = Scope::new(&event.account, &event.region);
        let payload = base64::engine::general_purpose::STANDARD
            .decode(&event.payload)
            .unwrap_or_default();
        let config = self.event_invoke_config(&scope, &event.function, event.qualifier.as_deref());
        let max_attempts = EventInvokeConfig::retries(config.as_ref()) + 1;
        let max_age_ms = EventInvokeConfig::max_age_ms(config.as_ref());
        let mut dead_letter = None;
        let result = match self.resolve(&scope, &event.function, event.qualifier.as_deref()) {
            Ok((record, version, invoked_arn)) => {
                dead_letter = version.dead_letter_target.clone();
                self.run(
                    &scope,
                    &record,
                    version,
                    invoked_arn,
                    Bytes::from(payload.clone()),
                    event.request_id.clone(),
                    false,
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let now = inner.clock.now_ms();
        // A retry is given up as soon as it would start past the maximum event age (AWS-recorded: with an age
        // of 60 s the first retry, due 60 s later, is not made).
        let within_age = |at: i64| at - event.enqueued_ms < max_age_ms;
        let (retry_at, ending) = match result {
            Ok(outcome) if outcome.function_error.is_none() => {
                event.attempts += 1;
                (None, Some((Condition::Success, Some(outcome))))
            }
            Ok(outcome) => {
                event.attempts += 1;
                let at = now + 60_000 * i64::from(event.attempts);
                if event.attempts >= max_attempts {
                    (None, Some((Condition::RetriesExhausted, Some(outcome))))
                } else if !within_age(at) {
                    (None, Some((Condition::EventAgeExceeded, Some(outcome))))
                } else {
                    (Some(at), None)
                }
            }
            Err(LambdaError::ResourceNotFound(_)) => (None, None),
            Err(e) => {
                if !e.is_throttle() {
                    tracing::warn!(function = %event.function, "asynchronous invocation failed: {e}");
                }
                event.throttles += 1;
                let backoff = 1000i64 << event.throttles.min(8);
                let at = now + backoff.min(300_000);
                if within_age(at) {
                    (Some(at), None)
                } else {
                    (None, Some((Condition::EventAgeExceeded, None)))
                }
            }
        };
        if let Some((condition, outcome)) = ending {
            self.send_to_destination(
                &scope,
                &event,
                config.as_ref(),
                condition,
                &payload,
                outcome.as_ref(),
            )
            .await;
            if let Some(target) = dead_letter.filter(|_| condition != Condition::Success) {
                self.send_to_dead_letter(&scope, &event, target, &payload, outcome.as_ref())
                    .await;
            }
        }
        let change = match retry_at {
            Some(at) => {
                event.next_attempt_ms = at;
                match serde_json::to_vec(&event) {
                    Ok(value) => DocChange::put(ASYNC_NS, &key, value),
                    Err(_) => DocChange::delete(ASYNC_NS, &key),
                }
            }
            None => DocChange::delete(ASYNC_NS, &key),
        };
        if let Err(e) = inner.store.write_docs(vec![change]).await {
            tracing::error!("cannot record an asynchronous invocation's progress: {e}");
        }
        // Into the waiting set before leaving the running one, so observers never see it gone in between.
        if retry_at.is_some() {
            inner.queue.waiting.lock().insert(key.clone(), event);
        }
        inner.queue.in_flight.lock().remove(&key);
        inner.queue.wake();
    }

    /// Sends a failed event's payload, as it was given, to the function's dead-letter queue or topic with
    /// Lambda's three message attributes (AWS-recorded: `RequestID`, `ErrorCode` 200 as a Number, and the
    /// function's `ErrorMessage`).
    async fn send_to_dead_letter(
        &self,
        scope: &Scope,
        event: &QueuedEvent,
        target: String,
        payload: &[u8],
        outcome: Option<&InvokeOutcome>,
    ) {
        let error_message = outcome
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.payload).ok())
            .and_then(|v| {
                v.get("errorMessage")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "Event age exceeded".to_string());
        let attributes = vec![
            (
                "RequestID".to_string(),
                "String".to_string(),
                event.request_id.clone(),
            ),
            (
                "ErrorCode".to_string(),
                "Number".to_string(),
                "200".to_string(),
            ),
            (
                "ErrorMessage".to_string(),
                "String".to_string(),
                error_message,
            ),
        ];
        let body = String::from_utf8_lossy(payload).into_owned();
        let sink = self.inner.destinations.read().clone();
        let delivered = match sink {
            Some(sink) => {
                sink.deliver(scope.clone(), target.clone(), body, attributes)
                    .await
            }
            None => Err("no destinations are wired".into()),
        };
        if let Err(e) = delivered {
            tracing::warn!(function = %event.function, %target, "cannot deliver to the dead-letter target: {e}");
        }
    }

    /// Sends a finished event's record to its on-success or on-failure destination, if it has one. A record
    /// that cannot be delivered is dropped (logged), as the event would be.
    async fn send_to_destination(
        &self,
        scope: &Scope,
        event: &QueuedEvent,
        config: Option<&EventInvokeConfig>,
        condition: Condition,
        payload: &[u8],
        outcome: Option<&InvokeOutcome>,
    ) {
        let destination = config.and_then(|c| match condition {
            Condition::Success => c.on_success.clone(),
            _ => c.on_failure.clone(),
        });
        let Some(destination) = destination else {
            return;
        };
        let Ok(function) = FunctionRef::parse_in(scope, &event.function)
            .and_then(|r| r.with_qualifier(event.qualifier.as_deref()))
        else {
            return;
        };
        let qualifier = function.qualifier.as_deref().unwrap_or(LATEST);
        let record = destination_record(&RecordFacts {
            now_ms: self.inner.clock.now_ms(),
            request_id: &event.request_id,
            function_arn: function_arn(scope, &function.name, Some(qualifier)),
            condition,
            attempts: event.attempts,
            request_payload: payload,
            outcome,
        });
        let delivered = if destination.starts_with("arn:aws:lambda:") {
            // Functions that name each other as destinations would invoke each other forever; like AWS's
            // recursive loop detection, the chain stops after 16 invocations that follow the first, unless the
            // function allows loops (PutFunctionRecursionConfig `Allow`).
            let allowed = FunctionRef::parse_in(scope, &event.function)
                .ok()
                .and_then(|r| self.record(scope, &r.name))
                .is_some_and(|record| record.recursive_loop.as_deref() == Some("Allow"));
            if event.hops >= MAX_DESTINATION_HOPS && !allowed {
                tracing::warn!(function = %event.function, %destination,
                    "a loop of function destinations was stopped after {MAX_DESTINATION_HOPS} invocations");
                return;
            }
            let request = InvokeRequest {
                function: destination.clone(),
                qualifier: None,
                payload: Bytes::from(record.clone()),
                kind: InvocationKind::Event,
                log_tail: false,
                client_context: None,
            };
            self.enqueue_event_after(
                scope,
                &request,
                Bytes::from(record),
                &new_request_id(),
                event.hops + 1,
            )
            .await
            .map_err(|e| e.to_string())
        } else {
            let sink = self.inner.destinations.read().clone();
            match sink {
                Some(sink) => {
                    sink.deliver(scope.clone(), destination.clone(), record, Vec::new())
                        .await
                }
                None => Err("no destinations are wired".into()),
            }
        };
        if let Err(e) = delivered {
            tracing::warn!(function = %event.function, %destination, "cannot deliver to the destination: {e}");
        }
    }
}

/// The worker: starts due events (up to `MAX_IN_FLIGHT` at once), then sleeps until the next is due or a new
/// event arrives.
pub(crate) fn spawn_worker(lambda: Lambda) {
    tokio::spawn(async move {
        loop {
            let inner = &lambda.inner;
            if inner.stopping.load(Ordering::Relaxed) {
                break;
            }
            let now = inner.clock.now_ms();
            let mut next_due: Option<i64> = None;
            loop {
                let due = {
                    let mut waiting = inner.queue.waiting.lock();
                    let key = waiting
                        .iter()
                        .filter(|(_, e)| e.next_attempt_ms <= now)
                        .map(|(k, _)| k.clone())
                        .next();
                    key.and_then(|k| waiting.remove(&k).map(|e| (k, e)))
                };
                let Some((key, event)) = due else { break };
                let Ok(slot) = inner.queue.slots.clone().try_acquire_owned() else {
                    inner.queue.waiting.lock().insert(key, event);
                    break;
                };
                inner
                    .queue
                    .in_flight
                    .lock()
                    .insert(key.clone(), event.clone());
                let worker = lambda.clone();
                tokio::spawn(async move {
                    worker.process_event(key, event).await;
                    drop(slot);
                });
            }
            if let Some(earliest) = inner
                .queue
                .waiting
                .lock()
                .values()
                .map(|e| e.next_attempt_ms)
                .min()
            {
                next_due = Some(earliest);
            }
            let clock = inner.clock.clone();
            match next_due {
                Some(at) if at > now => tokio::select! {
                    _ = inner.queue.wake.notified() => {}
                    _ = clock.sleep_until(at) => {}
                },
                // Due now but no free slot: wait for a finished event (it wakes us).
                Some(_) => inner.queue.wake.notified().await,
                None => inner.queue.wake.notified().await,
            }
        }
    });
}
