//! The pollers. One task per enabled mapping follows the stream's shards in lineage order (a child starts
//! only after its parent was read to its end); one task per shard reads records after its checkpoint, filters
//! them, spreads them over `ParallelizationFactor` lanes by partition-key hash, batches per lane (size,
//! window, 6 MB), invokes, classifies the outcome, applies the failure policy and commits the checkpoint. A
//! shard task sleeps until a record commits (the store's durable watermark), a timer it set (batching window,
//! back-off, tumbling window end) passes on the server clock, an invocation finishes, or it is told to stop.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use eddy_model::Scope;
use eddy_model::key::{encode_key_value, partition_hash};
use eddy_store::{DocChange, ShardDef, StreamDef, StreamRecord};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::MappingConfig;
use crate::event::{self, ENVELOPE_BYTES, MAX_PAYLOAD_BYTES, WindowContext};
use crate::filter::{Pattern, any_matches};
use crate::metrics::{function_labels, mapping_labels};
use crate::policy::{BatchState, Condition, Decision, Outcome, Policy};
use crate::{Invocation, InvokeFailure, NS_CHECKPOINTS, Shared, checkpoint_key};

/// Tumbling-window state larger than this ends the window early.
const MAX_WINDOW_STATE_BYTES: usize = 1024 * 1024;
/// Records read per GetRecords-equivalent.
const READ_LIMIT: usize = 1000;

// ---------------------------------------------------------------------------------------------------------
// Durable progress

/// A lane's open tumbling window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct WindowState {
    pub start_ms: i64,
    pub state: Value,
    /// The state outgrew its limit: the next invocation is a final one with `isWindowTerminatedEarly`.
    pub terminated_early: bool,
}

/// A shard's durable progress: per lane, the position before which every record of that lane is done.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub lanes: Vec<u64>,
    pub finished: bool,
    #[serde(default)]
    pub windows: Vec<Option<WindowState>>,
    /// The last record of the shard every lane is past (what the explain view calls the checkpoint).
    #[serde(default)]
    pub last: Option<u64>,
}

impl Checkpoint {
    pub fn at(position: u64, lanes: u32) -> Checkpoint {
        Checkpoint {
            lanes: vec![position; lanes.max(1) as usize],
            finished: false,
            windows: Vec::new(),
            last: None,
        }
    }

    pub fn finished() -> Checkpoint {
        Checkpoint::finished_after(None)
    }

    pub fn finished_after(last: Option<u64>) -> Checkpoint {
        Checkpoint {
            lanes: Vec::new(),
            finished: true,
            windows: Vec::new(),
            last,
        }
    }

    /// Everything before this position is done, whatever the lane.
    fn low_water(&self) -> Option<u64> {
        self.lanes.iter().min().copied()
    }
}

fn load_checkpoint(shared: &Shared, uuid: &str, shard_id: &str) -> Option<Checkpoint> {
    let bytes = shared
        .store
        .get_doc(NS_CHECKPOINTS, &checkpoint_key(uuid, shard_id))
        .ok()??;
    serde_json::from_slice(&bytes).ok()
}

async fn save_checkpoint(shared: &Shared, uuid: &str, shard_id: &str, checkpoint: &Checkpoint) {
    let Ok(bytes) = serde_json::to_vec(checkpoint) else {
        return;
    };
    if let Err(e) = shared
        .store
        .write_docs(vec![DocChange::put(
            NS_CHECKPOINTS,
            &checkpoint_key(uuid, shard_id),
            bytes,
        )])
        .await
    {
        tracing::warn!("saving the checkpoint of {uuid}/{shard_id} failed: {e}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// What the API and the explain view see

/// One shard as the explain view shows it.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardView {
    pub shard_id: String,
    pub parent_shard_id: Option<String>,
    /// The last sequence number every lane has completed, or null.
    pub checkpoint: Option<String>,
    /// Milliseconds between the oldest record not yet completed and now (0 when caught up).
    pub lag: i64,
    /// Records in invocations now.
    pub in_flight: usize,
    /// Retries spent on the batch now being retried (the highest over lanes).
    pub retries: u32,
    /// When the next retry is due (epoch ms, server clock), if one is scheduled.
    pub next_attempt_at: Option<i64>,
    pub last_result: Option<String>,
    pub last_error: Option<String>,
    pub finished: bool,
}

/// A mapping's settings and what its pollers report.
pub(crate) struct MappingRuntime {
    config: Mutex<Arc<MappingConfig>>,
    last_result: Mutex<Option<String>>,
    shards: Mutex<BTreeMap<String, ShardView>>,
}

impl MappingRuntime {
    pub fn new(config: MappingConfig) -> MappingRuntime {
        MappingRuntime {
            config: Mutex::new(Arc::new(config)),
            last_result: Mutex::new(None),
            shards: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn config(&self) -> Arc<MappingConfig> {
        self.config.lock().clone()
    }

    pub fn set_config(&self, config: MappingConfig) {
        *self.config.lock() = Arc::new(config);
    }

    fn set_last_result(&self, result: &str) {
        *self.last_result.lock() = Some(result.to_string());
    }

    /// `EventSourceMappingConfiguration`.
    pub fn view(&self) -> Value {
        let config = self.config();
        let mut view = config.to_json();
        if let Some(result) = self.last_result.lock().clone() {
            view["LastProcessingResult"] = Value::String(result);
        }
        view
    }

    pub fn explain(&self) -> Value {
        let config = self.config();
        let shards: Vec<ShardView> = self.shards.lock().values().cloned().collect();
        json!({
            "UUID": config.uuid,
            "State": config.state.wire_name(),
            "FunctionArn": config.function_arn,
            "EventSourceArn": config.event_source_arn,
            "LastProcessingResult": self.last_result.lock().clone().unwrap_or_else(|| config.last_processing_result.clone()),
            "shards": shards,
        })
    }

    fn update_shard(&self, view: ShardView) {
        self.shards.lock().insert(view.shard_id.clone(), view);
    }
}

// ---------------------------------------------------------------------------------------------------------
// The mapping task: shard lineage

pub(crate) async fn run_mapping(
    shared: Arc<Shared>,
    runtime: Arc<MappingRuntime>,
    mut stop: watch::Receiver<bool>,
) {
    let config = runtime.config();
    let mut changes = shared.store.subscribe_stream_changes();
    let mut finished: HashSet<String> = HashSet::new();
    let mut running: HashSet<String> = HashSet::new();
    let mut shards: JoinSet<(String, bool)> = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        if let Some(stream) = shared.store.stream(config.stream_id) {
            for shard in sorted_shards(&stream) {
                if finished.contains(&shard.shard_id) || running.contains(&shard.shard_id) {
                    continue;
                }
                let checkpoint = load_checkpoint(&shared, &config.uuid, &shard.shard_id);
                if checkpoint.as_ref().is_some_and(|c| c.finished) {
                    finished.insert(shard.shard_id.clone());
                    runtime.update_shard(ShardView {
                        shard_id: shard.shard_id.clone(),
                        parent_shard_id: shard.parent.clone(),
                        checkpoint: checkpoint
                            .as_ref()
                            .and_then(|c| c.last)
                            .map(eddy_store::sequence_number),
                        finished: true,
                        ..Default::default()
                    });
                    continue;
                }
                // Parent before child: wait until the parent is done, unless it is no longer in the stream.
                let parent_pending = shard.parent.as_ref().is_some_and(|p| {
                    !finished.contains(p) && stream.shards.iter().any(|s| &s.shard_id == p)
                });
                if parent_pending {
                    continue;
                }
                running.insert(shard.shard_id.clone());
                let worker = ShardWorker::new(
                    shared.clone(),
                    runtime.clone(),
                    stream.clone(),
                    shard.clone(),
                    checkpoint,
                );
                shards.spawn(worker.run(stop.clone()));
            }
        }
        tokio::select! {
            Some(done) = shards.join_next(), if !shards.is_empty() => {
                if let Ok((shard_id, complete)) = done {
                    running.remove(&shard_id);
                    if complete {
                        finished.insert(shard_id);
                    }
                }
            }
            _ = changes.changed() => {}
            _ = stop.changed() => {}
        }
    }
    while shards.join_next().await.is_some() {}
}

fn sorted_shards(stream: &StreamDef) -> Vec<ShardDef> {
    let mut shards = stream.shards.clone();
    shards.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
    shards
}

// ---------------------------------------------------------------------------------------------------------
// The shard task

/// A record waiting in a lane.
struct Rec {
    record: StreamRecord,
    json: String,
    window_start_ms: i64,
    /// When the poller read it (server clock): a batching window counts from its batch's first record.
    arrived_ms: i64,
}

/// The last invocation of a lane, for the destination record.
#[derive(Clone, Default)]
struct LastInvoke {
    request_id: String,
    status_code: u16,
    function_error: Option<String>,
    executed_version: String,
}

#[derive(Default)]
struct Lane {
    queue: VecDeque<Rec>,
    batch: Option<BatchState>,
    /// Sizes of the halves of bisected batches still to process, the next on top.
    splits: Vec<usize>,
    in_flight: Option<InFlight>,
    not_before_ms: i64,
    last: LastInvoke,
    window: Option<WindowState>,
    /// Position before which this lane's records were completed before a restart.
    restored: u64,
}

#[derive(Clone, Copy)]
struct InFlight {
    len: usize,
    is_final: bool,
}

struct Completed {
    lane: usize,
    result: Result<Invocation, InvokeFailure>,
    duration_ms: f64,
}

struct ShardWorker {
    shared: Arc<Shared>,
    runtime: Arc<MappingRuntime>,
    config: Arc<MappingConfig>,
    scope: Scope,
    stream: Arc<StreamDef>,
    /// `stream.arn()`, which every record of the event carries.
    stream_arn: String,
    shard: ShardDef,
    patterns: Vec<Pattern>,
    policy: Policy,
    lanes: Vec<Lane>,
    /// The next sequence counter to read.
    read_pos: u64,
    /// The shard is closed and everything in it was read.
    end_of_shard: bool,
    /// The last read returned everything durable.
    caught_up: bool,
    in_flight: JoinSet<Completed>,
    last_saved: Option<Checkpoint>,
    /// Sequence numbers read (filtered or not) that the low-water mark has not passed yet, in order.
    unpassed: VecDeque<u64>,
    /// The last record every lane is past.
    last_done: Option<u64>,
    last_error: Option<String>,
    last_result: Option<String>,
    function_labels: String,
    mapping_labels: String,
}

fn lane_of(stream: &StreamDef, record: &StreamRecord, lanes: usize) -> usize {
    if lanes <= 1 {
        return 0;
    }
    let mut pk = Vec::with_capacity(32);
    if let Some(v) = record.keys.get(&stream.key.hash.name) {
        encode_key_value(v, &mut pk);
    }
    (partition_hash(&pk) as usize) % lanes
}

impl ShardWorker {
    fn new(
        shared: Arc<Shared>,
        runtime: Arc<MappingRuntime>,
        stream: Arc<StreamDef>,
        shard: ShardDef,
        checkpoint: Option<Checkpoint>,
    ) -> ShardWorker {
        let config = runtime.config();
        let lanes_n = config.parallelization_factor.max(1) as usize;
        let start = match &checkpoint {
            Some(c) => c.low_water().unwrap_or(shard.start_seq),
            None => shard.start_seq,
        };
        let mut lanes: Vec<Lane> = (0..lanes_n)
            .map(|_| Lane {
                restored: start,
                ..Default::default()
            })
            .collect();
        if let Some(c) = &checkpoint {
            // Per-lane progress survives only while the number of lanes stays the same.
            if c.lanes.len() == lanes_n {
                for (lane, pos) in lanes.iter_mut().zip(&c.lanes) {
                    lane.restored = *pos;
                }
                for (lane, window) in lanes.iter_mut().zip(&c.windows) {
                    lane.window = window.clone();
                }
            }
        }
        let scope = Scope::new(&config.account, &config.region);
        ShardWorker {
            function_labels: function_labels(&config.function_arn),
            mapping_labels: mapping_labels(&config.uuid),
            patterns: config.patterns(),
            policy: Policy {
                max_retry_attempts: config.max_retry_attempts,
                bisect: config.bisect,
            },
            shared,
            runtime,
            config,
            scope,
            stream_arn: stream.arn(),
            stream,
            shard,
            lanes,
            read_pos: start,
            end_of_shard: false,
            caught_up: false,
            in_flight: JoinSet::new(),
            last_done: checkpoint.as_ref().and_then(|c| c.last),
            last_saved: checkpoint,
            unpassed: VecDeque::new(),
            last_error: None,
            last_result: None,
        }
    }

    /// Runs until the shard is done (returns `(shard id, true)`) or the mapping stops (`false`).
    async fn run(mut self, mut stop: watch::Receiver<bool>) -> (String, bool) {
        let mut commits = self.shared.store.subscribe_stream_commits();
        let mut changes = self.shared.store.subscribe_stream_changes();
        let clock = self.shared.clock.clone();
        let mut clock_changes = clock.subscribe();
        loop {
            let stopping = *stop.borrow();
            if stopping {
                // Let the batches in flight finish, then leave.
                while let Some(done) = self.in_flight.join_next().await {
                    if let Ok(done) = done {
                        self.complete(done).await;
                    }
                }
                self.persist(true).await;
                return (self.shard.shard_id.clone(), false);
            }
            // Lanes that already hold a full batch go first, so reading the next records overlaps their
            // invocation instead of delaying it.
            let early = self.dispatch(true).await;
            if let Err(e) = self.fill() {
                self.last_error = Some(e);
            }
            let wake_at = match (early, self.dispatch(false).await) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.publish_view();
            if self.is_done() {
                self.persist_finished().await;
                return (self.shard.shard_id.clone(), true);
            }
            self.persist(false).await;
            let want_records = !self.end_of_shard && self.buffered() < self.buffer_cap();
            let sleep = async {
                match wake_at {
                    Some(at) => clock.sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(done) = self.in_flight.join_next(), if !self.in_flight.is_empty() => {
                    if let Ok(done) = done {
                        self.complete(done).await;
                    }
                }
                _ = commits.changed(), if want_records => {}
                _ = sleep => {}
                _ = clock_changes.changed() => {}
                _ = stop.changed() => {}
                // A rollover closes the shard without moving the watermark.
                _ = changes.changed() => {}
            }
        }
    }

    fn buffered(&self) -> usize {
        self.lanes.iter().map(|l| l.queue.len()).sum()
    }

    fn buffer_cap(&self) -> usize {
        (self.config.batch_size as usize)
            .saturating_mul(self.lanes.len())
            .saturating_add(READ_LIMIT)
    }

    /// Reads newly durable records into the lanes (filtering them first).
    fn fill(&mut self) -> Result<(), String> {
        if let Some(stream) = self.shared.store.stream(self.stream.id) {
            if let Some(shard) = stream.shard_by_index(self.shard.index) {
                self.shard = shard.clone();
            }
            self.stream = stream;
        }
        // Records that left the stream (retention) while we were behind are gone for good.
        self.read_pos = self
            .shared
            .store
            .first_readable(&self.stream, &self.shard, self.read_pos)
            .map_err(|e| e.to_string())?;

        let now = self.shared.clock.now_ms();
        while self.buffered() < self.buffer_cap() {
            let read = self
                .shared
                .store
                .read_shard(
                    &self.stream,
                    &self.shard,
                    self.read_pos,
                    READ_LIMIT,
                    usize::MAX,
                )
                .map_err(|e| e.to_string())?;
            let got = read.records.len();
            self.read_pos = read.next_position.max(self.read_pos);
            self.end_of_shard = read.end_of_shard;
            self.caught_up = got < READ_LIMIT;
            let count_events = self.config.event_count_metrics();
            if count_events {
                self.shared.metrics.add(
                    "eddy_esm_polled_events_total",
                    &self.mapping_labels,
                    got as f64,
                );
            }
            for record in read.records {
                self.unpassed.push_back(record.seq);
                let lane = lane_of(&self.stream, &record, self.lanes.len());
                if record.seq < self.lanes[lane].restored {
                    continue;
                }
                let keep = self.patterns.is_empty()
                    || any_matches(
                        &self.patterns,
                        &event::record_value(&self.stream, &self.stream_arn, &record),
                    );
                if !keep {
                    if count_events {
                        self.shared.metrics.add(
                            "eddy_esm_filtered_out_events_total",
                            &self.mapping_labels,
                            1.0,
                        );
                    }
                    continue;
                }
                let window = self.config.tumbling_window_s as i64 * 1000;
                let window_start_ms = if window > 0 {
                    (record.created_ms.div_euclid(1000) * 1000).div_euclid(window) * window
                } else {
                    0
                };
                self.lanes[lane].queue.push_back(Rec {
                    json: event::record_json(&self.stream, &self.stream_arn, &record),
                    record,
                    window_start_ms,
                    arrived_ms: now,
                });
            }
            if self.caught_up || self.end_of_shard {
                break;
            }
        }
        Ok(())
    }

    /// Records older than the stream's retention are gone from it; a lane stuck on them lets them go.
    fn retention_ms(&self) -> i64 {
        self.shared.store.stream_retention_ms()
    }

    /// Starts invocations for every lane that is ready (with `only_full`, only for lanes holding a full batch or
    /// a retry); returns when the next timer is due.
    async fn dispatch(&mut self, only_full: bool) -> Option<i64> {
        let batch_size = self.config.batch_size as usize;
        let mut wake_at: Option<i64> = None;
        let note =
            |t: i64, wake_at: &mut Option<i64>| *wake_at = Some(wake_at.map_or(t, |w| w.min(t)));
        for lane in 0..self.lanes.len() {
            loop {
                let now = self.shared.clock.now_ms();
                let l = &self.lanes[lane];
                if l.in_flight.is_some()
                    || (only_full && l.batch.is_none() && l.queue.len() < batch_size)
                {
                    break;
                }
                if l.not_before_ms > now {
                    note(l.not_before_ms, &mut wake_at);
                    break;
                }
                match self.plan(lane, now) {
                    Plan::Idle => break,
                    Plan::WaitUntil(t) => {
                        note(t, &mut wake_at);
                        break;
                    }
                    Plan::Expired { count, by_age } => {
                        self.discard(
                            lane,
                            count,
                            if by_age {
                                Some(Condition::RecordAgeExceeded)
                            } else {
                                None
                            },
                        )
                        .await;
                    }
                    Plan::Invoke { len, is_final } => {
                        self.invoke(lane, len, is_final);
                        break;
                    }
                }
            }
        }
        wake_at
    }

    /// What lane `lane` should do now.
    fn plan(&mut self, lane: usize, now: i64) -> Plan {
        let tumbling = self.config.tumbling_window_s as i64 * 1000;
        let batch_size = self.config.batch_size as usize;
        let window_ms = self.config.max_batching_window_s as i64 * 1000;
        let max_age_ms = self.config.max_record_age_s * 1000;
        let end_of_input = self.end_of_shard || self.caught_up;
        let retention = self.retention_ms();
        let l = &mut self.lanes[lane];
        // Tumbling windows: a final invocation closes a window once its records are done and it has ended.
        if tumbling > 0
            && let Some(w) = &l.window
        {
            let head_later = l
                .queue
                .front()
                .is_some_and(|r| r.window_start_ms > w.start_ms);
            let ended = l.queue.front().is_none()
                && end_of_input
                && (now >= w.start_ms + tumbling || self.end_of_shard);
            if w.terminated_early || head_later || ended {
                return Plan::Invoke {
                    len: 0,
                    is_final: true,
                };
            }
            if l.queue.is_empty() && end_of_input {
                return Plan::WaitUntil(w.start_ms + tumbling);
            }
        }
        let Some(head) = l.queue.front() else {
            return Plan::Idle;
        };
        // Records that aged out or left the stream are discarded before anything is invoked.
        let age_limit = if max_age_ms >= 0 {
            Some(now - max_age_ms)
        } else {
            None
        };
        let expired = |r: &Rec| {
            age_limit.is_some_and(|limit| r.record.created_ms < limit)
                || r.record.created_ms < now - retention
        };
        if expired(head) {
            let by_age = age_limit.is_some_and(|limit| head.record.created_ms < limit);
            let count = l.queue.iter().take_while(|r| expired(r)).count();
            return Plan::Expired { count, by_age };
        }
        let len = match &l.batch {
            Some(b) => b.len.min(l.queue.len()),
            None => {
                let window_open = now < head.arrived_ms + window_ms;
                if l.queue.len() < batch_size && window_ms > 0 && !self.end_of_shard && window_open
                {
                    return Plan::WaitUntil(head.arrived_ms + window_ms);
                }
                fit_payload(&l.queue, batch_size)
            }
        };
        // A batch never spans two tumbling windows.
        let len = if tumbling > 0 {
            let start = head.window_start_ms;
            l.queue
                .iter()
                .take(len)
                .take_while(|r| r.window_start_ms == start)
                .count()
                .max(1)
        } else {
            len
        };
        if tumbling > 0 && l.window.is_none() {
            l.window = Some(WindowState {
                start_ms: head.window_start_ms,
                state: json!({}),
                terminated_early: false,
            });
        }
        Plan::Invoke {
            len: len.max(1),
            is_final: false,
        }
    }

    fn invoke(&mut self, lane: usize, len: usize, is_final: bool) {
        let now = self.shared.clock.now_ms();
        let l = &mut self.lanes[lane];
        let batch = l.batch.get_or_insert_with(|| BatchState {
            len,
            ..Default::default()
        });
        batch.len = len;
        batch.invokes += 1;
        let records = l.queue.iter().take(len);
        let payload = match (&l.window, self.config.tumbling_window_s) {
            (Some(w), t) if t > 0 => event::window_payload(
                records.map(|r| r.json.as_str()),
                &WindowContext {
                    start_ms: w.start_ms,
                    end_ms: w.start_ms + t as i64 * 1000,
                    state: &w.state,
                    shard_id: &self.shard.shard_id,
                    event_source_arn: &self.stream_arn,
                    is_final,
                    terminated_early: w.terminated_early,
                },
            ),
            _ => event::records_payload(records.map(|r| r.json.as_str())),
        };
        if let Some(last) = l.queue.iter().take(len).next_back() {
            self.shared.metrics.set(
                "eddy_lambda_iterator_age_milliseconds",
                &self.function_labels,
                (now - last.record.created_ms) as f64,
            );
        }
        if self.config.event_count_metrics() {
            self.shared.metrics.add(
                "eddy_esm_invoked_events_total",
                &self.mapping_labels,
                len as f64,
            );
        }
        self.shared.metrics.adjust(
            "eddy_lambda_concurrent_executions",
            &self.function_labels,
            1.0,
        );
        l.in_flight = Some(InFlight { len, is_final });
        let invoker = self.shared.invoker.clone();
        let (scope, function) = (self.scope.clone(), self.config.function_arn.clone());
        self.in_flight.spawn(async move {
            let started = std::time::Instant::now();
            let result = invoker.invoke(scope, function, payload).await;
            Completed {
                lane,
                result,
                duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            }
        });
    }

    /// Applies the outcome of a finished invocation.
    async fn complete(&mut self, done: Completed) {
        let Completed {
            lane,
            result,
            duration_ms,
        } = done;
        self.shared.metrics.adjust(
            "eddy_lambda_concurrent_executions",
            &self.function_labels,
            -1.0,
        );
        let Some(flight) = self.lanes[lane].in_flight.take() else {
            return;
        };
        let outcome = self.classify(lane, flight, &result, duration_ms);
        let state = self.lanes[lane].batch.clone().unwrap_or_default();
        let decision = self.policy.decide(&state, &outcome);
        if outcome != Outcome::Success && self.config.event_count_metrics() {
            self.shared.metrics.add(
                "eddy_esm_failed_invoke_events_total",
                &self.mapping_labels,
                flight.len as f64,
            );
        }
        let now = self.shared.clock.now_ms();
        match decision {
            Decision::Done => {
                self.finish_batch(lane, flight.len, flight.is_final);
            }
            Decision::Retry {
                done,
                retry,
                delay_ms,
            } => {
                self.pop(lane, done);
                let l = &mut self.lanes[lane];
                l.batch = Some(retry);
                l.not_before_ms = now + delay_ms;
            }
            Decision::Bisect { first, second } => {
                let l = &mut self.lanes[lane];
                l.splits.push(second);
                l.batch = Some(BatchState {
                    len: first,
                    ..Default::default()
                });
            }
            Decision::Discard {
                done,
                discard,
                condition,
            } => {
                self.pop(lane, done);
                if flight.is_final {
                    // A final window invocation that keeps failing: the window's state is dropped.
                    self.lanes[lane].window = None;
                    self.lanes[lane].batch = None;
                } else {
                    self.discard(lane, discard, Some(condition)).await;
                }
            }
        }
        self.persist(true).await;
    }

    /// Classifies an invocation result, records metrics and the last result.
    fn classify(
        &mut self,
        lane: usize,
        flight: InFlight,
        result: &Result<Invocation, InvokeFailure>,
        duration_ms: f64,
    ) -> Outcome {
        let labels = self.function_labels.clone();
        let metrics = self.shared.metrics.clone();
        let outcome = match result {
            Err(InvokeFailure::Throttled(m)) => {
                metrics.add("eddy_lambda_throttles_total", &labels, 1.0);
                self.note_problem("PROBLEM: Lambda function throttled", m);
                return Outcome::InvocationError;
            }
            Err(InvokeFailure::NotFound(m)) => {
                self.note_problem("PROBLEM: Function not found", m);
                return Outcome::InvocationError;
            }
            Err(InvokeFailure::Other(m)) => {
                self.note_problem("PROBLEM: Function call failed", m);
                return Outcome::InvocationError;
            }
            Ok(invocation) => {
                metrics.add("eddy_lambda_invocations_total", &labels, 1.0);
                metrics.add(
                    "eddy_lambda_duration_milliseconds_total",
                    &labels,
                    duration_ms,
                );
                let l = &mut self.lanes[lane];
                l.last = LastInvoke {
                    request_id: invocation.request_id.clone(),
                    status_code: invocation.status_code,
                    function_error: invocation.function_error.clone(),
                    executed_version: invocation.executed_version.clone(),
                };
                if invocation.function_error.is_some() {
                    metrics.add("eddy_lambda_errors_total", &labels, 1.0);
                    let message = String::from_utf8_lossy(&invocation.payload)
                        .chars()
                        .take(512)
                        .collect::<String>();
                    self.note_problem("PROBLEM: Function call failed", &message);
                    return Outcome::FunctionError;
                }
                self.interpret_response(lane, flight, &invocation.payload)
            }
        };
        match &outcome {
            Outcome::Success => {
                self.last_result = Some("OK".into());
                self.runtime.set_last_result("OK");
            }
            _ => self.note_problem(
                "PROBLEM: Function call failed",
                "the response reported failed records",
            ),
        }
        outcome
    }

    fn note_problem(&mut self, result: &str, detail: &str) {
        self.last_result = Some(result.to_string());
        self.last_error = Some(detail.to_string());
        self.runtime.set_last_result(result);
    }

    /// Reads a successful invocation's response: partial batch failures and tumbling-window state.
    fn interpret_response(&mut self, lane: usize, flight: InFlight, payload: &[u8]) -> Outcome {
        let tumbling = self.config.tumbling_window_s > 0;
        let parsed: Option<Value> = serde_json::from_slice(payload).ok();
        if tumbling {
            // A window response must carry `state`; its absence fails the invocation.
            let Some(state) = parsed.as_ref().and_then(|v| v.get("state")).cloned() else {
                return Outcome::FunctionError;
            };
            if let Some(w) = self.lanes[lane].window.as_mut()
                && !flight.is_final
            {
                w.terminated_early = state.to_string().len() > MAX_WINDOW_STATE_BYTES;
                w.state = state;
            }
        }
        if !self.config.report_batch_item_failures {
            return Outcome::Success;
        }
        let records: Vec<String> = self.lanes[lane]
            .queue
            .iter()
            .take(flight.len)
            .map(|r| r.record.sequence_number())
            .collect();
        match parse_batch_item_failures(payload, &records) {
            Ok(None) => Outcome::Success,
            Ok(Some(lowest_failed)) => Outcome::PartialFailure { lowest_failed },
            Err(()) => Outcome::FunctionError,
        }
    }

    /// The batch succeeded: its records are done.
    fn finish_batch(&mut self, lane: usize, len: usize, is_final: bool) {
        self.pop(lane, len);
        self.next_split(lane);
        if is_final {
            self.lanes[lane].window = None;
        }
    }

    /// After a batch is over, the other half of a bisected batch (if any) is the next batch.
    fn next_split(&mut self, lane: usize) {
        let l = &mut self.lanes[lane];
        l.batch = l.splits.pop().map(|len| BatchState {
            len,
            ..Default::default()
        });
    }

    /// Removes the first `n` records of a lane as done.
    fn pop(&mut self, lane: usize, n: usize) {
        let l = &mut self.lanes[lane];
        for _ in 0..n {
            l.queue.pop_front();
        }
    }

    /// Gives up on the first `count` records of a lane: with a condition, they go to the on-failure
    /// destination (if any); without one (retention), they are simply gone.
    async fn discard(&mut self, lane: usize, count: usize, condition: Option<Condition>) {
        let count = count.min(self.lanes[lane].queue.len());
        if count == 0 {
            self.lanes[lane].batch = None;
            return;
        }
        let now = self.shared.clock.now_ms();
        let count_events = self.config.event_count_metrics();
        if let Some(condition) = condition {
            let l = &self.lanes[lane];
            let invokes = l.batch.as_ref().map(|b| b.invokes).unwrap_or(0).max(1);
            let first = &l.queue[0].record;
            let last = &l.queue[count - 1].record;
            let response = (condition == Condition::RetryAttemptsExhausted
                && l.batch.as_ref().is_some_and(|b| b.invokes > 0))
            .then(|| event::LastResponse {
                status_code: if l.last.status_code == 0 {
                    200
                } else {
                    l.last.status_code
                },
                executed_version: if l.last.executed_version.is_empty() {
                    "$LATEST"
                } else {
                    &l.last.executed_version
                },
                function_error: l.last.function_error.as_deref(),
            });
            let request_id = if l.last.request_id.is_empty() {
                uuid::Uuid::new_v4().to_string()
            } else {
                l.last.request_id.clone()
            };
            let body = event::destination_record(&event::DiscardedBatch {
                request_id: &request_id,
                function_arn: &self.config.function_arn,
                condition: condition.as_str(),
                approximate_invoke_count: invokes,
                response,
                now_ms: now,
                shard_id: &self.shard.shard_id,
                first,
                last,
                batch_size: count,
                stream_arn: &self.stream_arn,
            });
            match self.config.on_failure.clone() {
                Some(arn) => match self
                    .shared
                    .destinations
                    .deliver(self.scope.clone(), arn, body)
                    .await
                {
                    Ok(()) => {
                        if count_events {
                            self.shared.metrics.add(
                                "eddy_esm_on_failure_destination_delivered_events_total",
                                &self.mapping_labels,
                                count as f64,
                            );
                        }
                    }
                    Err(e) => {
                        self.shared.metrics.add(
                            "eddy_lambda_destination_delivery_failures_total",
                            &self.function_labels,
                            1.0,
                        );
                        if count_events {
                            self.shared.metrics.add(
                                "eddy_esm_dropped_events_total",
                                &self.mapping_labels,
                                count as f64,
                            );
                        }
                        self.last_error = Some(format!(
                            "delivery to the on-failure destination failed: {e}"
                        ));
                    }
                },
                None => {
                    if count_events {
                        self.shared.metrics.add(
                            "eddy_esm_dropped_events_total",
                            &self.mapping_labels,
                            count as f64,
                        );
                    }
                }
            }
        }
        self.pop(lane, count);
        self.lanes[lane].not_before_ms = 0;
        if condition == Some(Condition::RetryAttemptsExhausted) {
            self.next_split(lane);
        } else {
            // Records that aged out are dropped ahead of batching: start batching afresh.
            self.lanes[lane].batch = None;
            self.lanes[lane].splits.clear();
        }
    }

    fn is_done(&self) -> bool {
        self.end_of_shard
            && self.in_flight.is_empty()
            && self
                .lanes
                .iter()
                .all(|l| l.queue.is_empty() && l.in_flight.is_none() && l.window.is_none())
    }

    /// The position before which every record of the shard is done, whatever its lane.
    fn low_water(&self) -> u64 {
        self.lanes
            .iter()
            .map(|l| l.queue.front().map_or(self.read_pos, |r| r.record.seq))
            .min()
            .unwrap_or(self.read_pos)
    }

    /// Moves `last_done` to the last record read below the low-water mark.
    fn advance_done(&mut self) {
        let low = self.low_water();
        while let Some(&seq) = self.unpassed.front() {
            if seq >= low {
                break;
            }
            self.last_done = Some(seq);
            self.unpassed.pop_front();
        }
    }

    /// Per lane, the position before which every record of the lane is done.
    fn progress(&self) -> Checkpoint {
        Checkpoint {
            lanes: self
                .lanes
                .iter()
                .map(|l| l.queue.front().map_or(self.read_pos, |r| r.record.seq))
                .collect(),
            finished: false,
            windows: self.lanes.iter().map(|l| l.window.clone()).collect(),
            last: self.last_done,
        }
    }

    /// Commits the checkpoint if it moved (`force`: even if only filtered records moved it).
    async fn persist(&mut self, force: bool) {
        self.advance_done();
        let checkpoint = self.progress();
        let moved = self.last_saved.as_ref() != Some(&checkpoint);
        let worth_it = force
            || self
                .last_saved
                .as_ref()
                .is_none_or(|s| s.windows != checkpoint.windows);
        if moved && worth_it {
            save_checkpoint(
                &self.shared,
                &self.config.uuid,
                &self.shard.shard_id,
                &checkpoint,
            )
            .await;
            self.last_saved = Some(checkpoint);
        }
    }

    async fn persist_finished(&mut self) {
        self.advance_done();
        save_checkpoint(
            &self.shared,
            &self.config.uuid,
            &self.shard.shard_id,
            &Checkpoint::finished_after(self.last_done),
        )
        .await;
        let mut view = self.view();
        view.finished = true;
        self.runtime.update_shard(view);
    }

    fn view(&self) -> ShardView {
        let now = self.shared.clock.now_ms();
        let oldest = self
            .lanes
            .iter()
            .filter_map(|l| l.queue.front())
            .map(|r| r.record.created_ms)
            .min();
        ShardView {
            shard_id: self.shard.shard_id.clone(),
            parent_shard_id: self.shard.parent.clone(),
            checkpoint: self.last_done.map(eddy_store::sequence_number),
            lag: oldest.map_or(0, |t| (now - t).max(0)),
            in_flight: self
                .lanes
                .iter()
                .filter_map(|l| l.in_flight.map(|f| f.len))
                .sum(),
            retries: self
                .lanes
                .iter()
                .filter_map(|l| l.batch.as_ref().map(|b| b.retries))
                .max()
                .unwrap_or(0),
            next_attempt_at: self
                .lanes
                .iter()
                .map(|l| l.not_before_ms)
                .filter(|t| *t > now)
                .min(),
            last_result: self.last_result.clone(),
            last_error: self.last_error.clone(),
            finished: false,
        }
    }

    fn publish_view(&mut self) {
        self.advance_done();
        self.runtime.update_shard(self.view());
    }
}

enum Plan {
    Idle,
    WaitUntil(i64),
    Expired { count: usize, by_age: bool },
    Invoke { len: usize, is_final: bool },
}

/// How many of the first `batch_size` records fit in one invocation payload (at least one).
fn fit_payload(queue: &VecDeque<Rec>, batch_size: usize) -> usize {
    let mut bytes = ENVELOPE_BYTES;
    let mut n = 0;
    for r in queue.iter().take(batch_size) {
        let add = r.json.len() + usize::from(n > 0);
        if n > 0 && bytes + add > MAX_PAYLOAD_BYTES {
            break;
        }
        bytes += add;
        n += 1;
    }
    n.max(1)
}

/// Reads a ReportBatchItemFailures response. `Ok(None)`: everything succeeded; `Ok(Some(i))`: records from
/// index `i` on failed; `Err`: the response is malformed, which fails the whole batch.
pub(crate) fn parse_batch_item_failures(
    payload: &[u8],
    sequence_numbers: &[String],
) -> Result<Option<usize>, ()> {
    let text = std::str::from_utf8(payload).map_err(|_| ())?.trim();
    if text.is_empty() || text == "null" {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text).map_err(|_| ())?;
    let obj = match value {
        Value::Object(obj) => obj,
        // An empty list is success too (AWS-recorded); any other non-object fails the batch.
        Value::Array(list) if list.is_empty() => return Ok(None),
        _ => return Err(()),
    };
    let failures = match obj.get("batchItemFailures") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(()),
    };
    let mut lowest: Option<usize> = None;
    for failure in failures {
        let id = failure
            .get("itemIdentifier")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(())?;
        let index = sequence_numbers.iter().position(|s| s == id).ok_or(())?;
        lowest = Some(lowest.map_or(index, |l| l.min(index)));
    }
    Ok(lowest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs() -> Vec<String> {
        vec!["100".into(), "101".into(), "102".into()]
    }

    #[test]
    fn batch_item_failure_responses() {
        let ok = |s: &str| parse_batch_item_failures(s.as_bytes(), &seqs());
        assert_eq!(ok(""), Ok(None));
        assert_eq!(ok("null"), Ok(None));
        assert_eq!(ok("{}"), Ok(None));
        assert_eq!(ok(r#"{"batchItemFailures": []}"#), Ok(None));
        assert_eq!(ok(r#"{"batchItemFailures": null}"#), Ok(None));
        assert_eq!(
            ok(r#"{"batchItemFailures": [{"itemIdentifier": "102"}, {"itemIdentifier": "101"}]}"#),
            Ok(Some(1))
        );
        assert_eq!(
            ok(r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#),
            Err(())
        );
        assert_eq!(
            ok(r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#),
            Err(())
        );
        assert_eq!(ok(r#"{"batchItemFailures": [{"foo": 1}]}"#), Err(()));
        assert_eq!(
            ok(r#"{"batchItemFailures": [{"itemIdentifier": "999"}]}"#),
            Err(())
        );
        assert_eq!(
            ok(r#"{"batchItemFailures": [{"itemIdentifier": 101}]}"#),
            Err(())
        );
        assert_eq!(ok("[]"), Ok(None));
        assert_eq!(ok(r#"[{"itemIdentifier": "101"}]"#), Err(()));
        assert_eq!(ok(r#""a string""#), Err(()));
        assert_eq!(ok("not json"), Err(()));
    }

    #[test]
    fn checkpoints_keep_the_lowest_lane_as_low_water() {
        let c = Checkpoint {
            lanes: vec![10, 4, 7],
            finished: false,
            windows: vec![],
            last: None,
        };
        assert_eq!(c.low_water(), Some(4));
        assert_eq!(Checkpoint::at(5, 3).lanes, vec![5, 5, 5]);
    }
}
