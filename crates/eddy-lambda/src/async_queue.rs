//! Asynchronous (`Event`) invocations. Each accepted event is a durable document (`lambda-async/<seq>`) before
//! the caller gets its 202, so a restart loses none. A worker runs due events through the same path as
//! synchronous invocations. As on AWS, a function error (including a timeout or a crash) is retried twice, one
//! minute and then two minutes later (by the server clock, so tests can advance it); throttles and internal
//! errors are retried with back-off without spending attempts, for up to six hours; an event whose function
//! was deleted is dropped. On-failure destinations and `PutFunctionEventInvokeConfig` are not implemented.

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

use crate::{InvokeRequest, Lambda, LambdaError};

pub(crate) const ASYNC_NS: &str = "lambda-async";

/// Attempts per event: the first and two retries.
const MAX_ATTEMPTS: u32 = 3;
/// Events older than this are dropped (AWS's default maximum event age).
const MAX_AGE_MS: i64 = 6 * 3600 * 1000;
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
        let result = match self.resolve(&scope, &event.function, event.qualifier.as_deref()) {
            Ok((record, version, invoked_arn)) => {
                self.run(
                    &scope,
                    &record,
                    version,
                    invoked_arn,
                    Bytes::from(payload),
                    event.request_id.clone(),
                    false,
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let now = inner.clock.now_ms();
        let retry_at = match result {
            Ok(outcome) if outcome.function_error.is_none() => None,
            Ok(_) => {
                event.attempts += 1;
                (event.attempts < MAX_ATTEMPTS).then(|| now + 60_000 * event.attempts as i64)
            }
            Err(LambdaError::ResourceNotFound(_)) => None,
            Err(e) => {
                if !e.is_throttle() {
                    tracing::warn!(function = %event.function, "asynchronous invocation failed: {e}");
                }
                event.throttles += 1;
                let backoff = 1000i64 << event.throttles.min(8);
                Some(now + backoff.min(300_000))
            }
        };
        let retry_at = retry_at.filter(|_| now - event.enqueued_ms < MAX_AGE_MS);
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
