//! eddy-esm: event source mappings for DynamoDB streams. A mapping reads a stream and invokes a function with
//! batches of records, exactly as AWS documents it: batch size and window, parallel lanes per shard, starting
//! position, retries with back-off, bisection, partial batch responses, record age, on-failure destinations,
//! filters and tumbling windows. Checkpoints live in the same store as the stream, so a restart resumes exactly
//! after the last completed batch.
//!
//! The engine talks to the function runtime and to destinations through two narrow traits, [`Invoker`] and
//! [`Destinations`], wired by the binary; it reads streams from the embedded store. `config` holds settings and
//! validation, `filter` the event-filtering grammar, `policy` the failure policy (a pure function), `event`
//! the payload shapes, `worker` the pollers, `metrics` the counters.

pub mod config;
pub mod event;
pub mod filter;
pub mod metrics;
pub mod policy;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use eddy_model::{Clock, Scope};
use eddy_store::{DocChange, IteratorType, Store};
use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use tokio::sync::watch;

use config::not_found;
pub use config::{EsmError, MappingConfig, MappingRequest, MappingState, StartingPosition};
use metrics::Metrics;
pub use worker::ShardView;
use worker::{Checkpoint, MappingRuntime};

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The result of a synchronous invocation in which the function ran (successfully or not).
#[derive(Clone, Debug, Default)]
pub struct Invocation {
    pub request_id: String,
    pub status_code: u16,
    /// `Some("Unhandled")` when the function failed.
    pub function_error: Option<String>,
    pub payload: Vec<u8>,
    pub executed_version: String,
}

/// An invocation in which the function did not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvokeFailure {
    /// 429 TooManyRequestsException (reserved or account concurrency exhausted).
    Throttled(String),
    /// The function does not exist (any more).
    NotFound(String),
    /// Any other invocation error (too large, service error, …).
    Other(String),
}

/// The function runtime, as the mappings see it.
pub trait Invoker: Send + Sync + 'static {
    /// Resolves a `FunctionName` parameter (name, ARN, partial ARN, optionally `:qualifier`) to the ARN a mapping
    /// reports: unqualified unless a qualifier was given. `None` if no such function exists.
    fn resolve(&self, scope: &Scope, function: &str) -> Option<String>;

    /// Invokes `function_arn` synchronously with `payload`.
    fn invoke(
        &self,
        scope: Scope,
        function_arn: String,
        payload: Vec<u8>,
    ) -> BoxFuture<Result<Invocation, InvokeFailure>>;

    /// The permission checks Lambda makes when a mapping is created or updated: the function's execution
    /// role must be allowed to read `source_arn` and to write to the `on_failure` destination. The error is
    /// Lambda's `InvalidParameterValueException` message. By default nothing is checked.
    fn check_role(
        &self,
        _scope: &Scope,
        _function_arn: &str,
        _source_arn: &str,
        _on_failure: Option<&str>,
    ) -> Result<(), String> {
        Ok(())
    }
}

/// Where discarded batches go.
pub trait Destinations: Send + Sync + 'static {
    /// Checks that `arn` names an existing queue or topic in `scope`; the message is Lambda's error text.
    fn check(&self, scope: &Scope, arn: &str) -> Result<(), String>;

    /// Delivers an invocation record (SQS SendMessage / SNS Publish).
    fn deliver(&self, scope: Scope, arn: String, body: String) -> BoxFuture<Result<(), String>>;
}

const NS_MAPPINGS: &str = "esm-mappings";
const NS_CHECKPOINTS: &str = "esm-checkpoints";

/// What the pollers share.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) invoker: Arc<dyn Invoker>,
    pub(crate) destinations: Arc<dyn Destinations>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) clock: Arc<Clock>,
}

struct Entry {
    runtime: Arc<MappingRuntime>,
    stop: Option<watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// The event source mapping engine. Cheap to clone.
#[derive(Clone)]
pub struct Esm {
    shared: Arc<Shared>,
    mappings: Arc<RwLock<HashMap<String, Arc<Mutex<Entry>>>>>,
    /// Serialises API changes, so that the duplicate check and the write that follows are one step.
    api: Arc<tokio::sync::Mutex<()>>,
}

/// A page of ListEventSourceMappings.
pub struct MappingPage {
    pub mappings: Vec<Value>,
    pub next_marker: Option<String>,
}

impl Esm {
    pub fn new(
        store: Store,
        invoker: Arc<dyn Invoker>,
        destinations: Arc<dyn Destinations>,
    ) -> Esm {
        let clock = store.clock().clone();
        Esm {
            shared: Arc::new(Shared {
                store,
                invoker,
                destinations,
                metrics: Arc::new(Metrics::default()),
                clock,
            }),
            mappings: Arc::new(RwLock::new(HashMap::new())),
            api: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Loads stored mappings and starts the enabled ones. Needs a tokio runtime.
    pub fn start(&self) -> Result<(), EsmError> {
        let docs = self
            .shared
            .store
            .list_docs(NS_MAPPINGS, "", None, usize::MAX)
            .map_err(service)?;
        for (_, bytes) in docs {
            let config: MappingConfig = serde_json::from_slice(&bytes).map_err(service)?;
            let entry = self.insert_entry(config.clone());
            if config.enabled {
                self.start_worker(&entry);
            }
        }
        Ok(())
    }

    pub fn metrics_text(&self) -> String {
        self.shared.metrics.render()
    }

    fn insert_entry(&self, config: MappingConfig) -> Arc<Mutex<Entry>> {
        let uuid = config.uuid.clone();
        let entry = Arc::new(Mutex::new(Entry {
            runtime: Arc::new(MappingRuntime::new(config)),
            stop: None,
            task: None,
        }));
        self.mappings.write().insert(uuid, entry.clone());
        entry
    }

    /// Starts a mapping's pollers. If earlier pollers of the mapping are still finishing their in-flight
    /// batches, the new ones start after them, so that a lane never has two batches in flight and the
    /// checkpoints the old pollers commit are the ones the new pollers read.
    fn start_worker(&self, entry: &Arc<Mutex<Entry>>) {
        let mut e = entry.lock();
        let previous = e.task.take();
        let (tx, rx) = watch::channel(false);
        let shared = self.shared.clone();
        let runtime = e.runtime.clone();
        let task = tokio::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            worker::run_mapping(shared, runtime, rx).await;
        });
        e.stop = Some(tx);
        e.task = Some(task);
    }

    /// Tells a mapping's pollers to stop. They finish their in-flight batches (and commit their checkpoints)
    /// in the background: an API call never waits for a function, which may run for up to 15 minutes.
    fn signal_stop(&self, entry: &Arc<Mutex<Entry>>) {
        if let Some(stop) = entry.lock().stop.take() {
            let _ = stop.send(true);
        }
    }

    /// Stops a mapping's pollers and waits for in-flight batches to finish (shutdown).
    async fn stop_worker(&self, entry: &Arc<Mutex<Entry>>) {
        self.signal_stop(entry);
        let task = entry.lock().task.take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    fn entry(&self, scope: &Scope, uuid: &str) -> Result<Arc<Mutex<Entry>>, EsmError> {
        let entry = self
            .mappings
            .read()
            .get(uuid)
            .cloned()
            .ok_or_else(not_found)?;
        let config = entry.lock().runtime.config();
        if config.account != *scope.account || config.region != *scope.region {
            return Err(not_found());
        }
        Ok(entry)
    }

    async fn save(&self, config: &MappingConfig, extra: Vec<DocChange>) -> Result<(), EsmError> {
        let mut changes = vec![DocChange::put(
            NS_MAPPINGS,
            &config.uuid,
            serde_json::to_vec(config).map_err(service)?,
        )];
        changes.extend(extra);
        self.shared.store.write_docs(changes).await.map_err(service)
    }

    /// CreateEventSourceMapping.
    pub async fn create(&self, scope: &Scope, req: MappingRequest) -> Result<Value, EsmError> {
        let _guard = self.api.lock().await;
        if req.function_name.is_none() {
            return Err(EsmError::Validation(
                "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null".into(),
            ));
        }
        let Some(source_arn) = req.event_source_arn.clone() else {
            return Err(EsmError::InvalidParameter(
                "Unrecognized event source.".into(),
            ));
        };
        if let Err(refusal) = config::check_source_kind(&source_arn) {
            // For other sources AWS checks the starting position's enum and the function first (AWS-recorded for
            // SQS and Kinesis), so eddy's refusal of the source comes after them.
            if let Some(other) = req
                .starting_position
                .as_deref()
                .filter(|p| !matches!(*p, "TRIM_HORIZON" | "LATEST" | "AT_TIMESTAMP"))
            {
                return Err(starting_position_fault(other));
            }
            let function = req.function_name.as_deref().unwrap_or_default();
            if self.shared.invoker.resolve(scope, function).is_none() {
                return Err(EsmError::InvalidParameter("Function does not exist".into()));
            }
            return Err(refusal);
        }
        let starting_position = match req.starting_position.as_deref() {
            None => {
                return Err(EsmError::InvalidParameter(
                    "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.".into(),
                ));
            }
            Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
            Some("LATEST") => StartingPosition::Latest,
            Some("AT_TIMESTAMP") => {
                return Err(EsmError::InvalidParameter(format!(
                    "Unsupported starting position for arn type: {source_arn}"
                )));
            }
            Some(other) => return Err(starting_position_fault(other)),
        };
        // After the starting position, so that AT_TIMESTAMP with its timestamp gets AWS's answer about the
        // starting position rather than one about StartingPositionTimestamp.
        req.check_common()?;
        let stream = self.resolve_stream(scope, &source_arn)?;
        let function = req.function_name.clone().unwrap_or_default();
        let function_arn = self
            .shared
            .invoker
            .resolve(scope, &function)
            .ok_or_else(|| EsmError::InvalidParameter("Function does not exist".into()))?;
        if let Some(existing) = self.find_duplicate(scope, &source_arn, &function_arn) {
            return Err(EsmError::Conflict(format!(
                "The event source arn (\" {source_arn} \") and function (\" {function} \") provided mapping already exists. Please update or delete the existing mapping with UUID {existing}"
            )));
        }
        let on_failure = req.on_failure().flatten();
        self.shared
            .invoker
            .check_role(scope, &function_arn, &source_arn, on_failure.as_deref())
            .map_err(EsmError::InvalidParameter)?;
        if let Some(dest) = &on_failure {
            self.shared
                .destinations
                .check(scope, dest)
                .map_err(EsmError::InvalidParameter)?;
        }
        let now = self.shared.clock.now_ms();
        let enabled = req.enabled.unwrap_or(true);
        let config = MappingConfig {
            uuid: uuid::Uuid::new_v4().to_string(),
            account: scope.account.to_string(),
            region: scope.region.to_string(),
            event_source_arn: source_arn,
            stream_id: stream.id,
            function_arn,
            enabled,
            state: if enabled {
                MappingState::Enabled
            } else {
                MappingState::Disabled
            },
            state_transition_reason: "User action".into(),
            last_processing_result: "No records processed".into(),
            last_modified_ms: now,
            starting_position,
            batch_size: req.batch_size.unwrap_or(100) as u32,
            max_batching_window_s: req.maximum_batching_window_in_seconds.unwrap_or(0) as u32,
            parallelization_factor: req.parallelization_factor.unwrap_or(1) as u32,
            bisect: req.bisect_batch_on_function_error.unwrap_or(false),
            max_retry_attempts: req.maximum_retry_attempts.unwrap_or(-1),
            max_record_age_s: req.maximum_record_age_in_seconds.unwrap_or(-1),
            tumbling_window_s: req.tumbling_window_in_seconds.unwrap_or(0) as u32,
            report_batch_item_failures: req
                .function_response_types
                .as_ref()
                .is_some_and(|t| !t.is_empty()),
            on_failure: req.on_failure().flatten(),
            filters: req.filter_patterns().flatten(),
            metrics: req
                .metrics_config
                .as_ref()
                .and_then(|m| m.metrics.clone())
                .filter(|m| !m.is_empty()),
            kms_key_arn: req.kms_key_arn.clone(),
            tags: req.tags.clone().unwrap_or_default(),
        };
        // LATEST means "records written after the mapping was created": pin every open shard's position now;
        // shards already closed are skipped.
        let mut checkpoints = Vec::new();
        if starting_position == StartingPosition::Latest {
            for shard in &stream.shards {
                let checkpoint = if shard.is_open() {
                    let position = self
                        .shared
                        .store
                        .shard_position(&stream, shard, IteratorType::Latest)
                        .map_err(service)?;
                    Checkpoint::at(position, config.parallelization_factor)
                } else {
                    Checkpoint::finished()
                };
                checkpoints.push(checkpoint_doc(&config.uuid, &shard.shard_id, &checkpoint)?);
            }
        }
        self.save(&config, checkpoints).await?;
        let entry = self.insert_entry(config.clone());
        if enabled {
            self.start_worker(&entry);
        }
        let mut view = entry.lock().runtime.view();
        view["State"] = Value::String(MappingState::Creating.wire_name().into());
        Ok(view)
    }

    fn resolve_stream(
        &self,
        scope: &Scope,
        arn: &str,
    ) -> Result<Arc<eddy_store::StreamDef>, EsmError> {
        let not_found = || EsmError::InvalidParameter(format!("Stream not found: {arn}"));
        if !arn.starts_with("arn:aws:dynamodb:") || !arn.contains("/stream/") {
            return Err(EsmError::InvalidParameter(
                "Unrecognized event source.".into(),
            ));
        }
        let stream = self
            .shared
            .store
            .stream_by_arn(arn)
            .map_err(|_| not_found())?;
        if stream.account != *scope.account || stream.region != *scope.region {
            return Err(not_found());
        }
        Ok(stream)
    }

    fn find_duplicate(
        &self,
        scope: &Scope,
        source_arn: &str,
        function_arn: &str,
    ) -> Option<String> {
        self.mappings.read().values().find_map(|e| {
            let c = e.lock().runtime.config();
            (c.account == *scope.account
                && c.region == *scope.region
                && c.event_source_arn == source_arn
                && c.function_arn == function_arn)
                .then(|| c.uuid.clone())
        })
    }

    /// GetEventSourceMapping.
    pub fn get(&self, scope: &Scope, uuid: &str) -> Result<Value, EsmError> {
        Ok(self.entry(scope, uuid)?.lock().runtime.view())
    }

    /// ListEventSourceMappings, optionally filtered by source and function, paged by an opaque marker.
    pub fn list(
        &self,
        scope: &Scope,
        source_arn: Option<&str>,
        function: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<MappingPage, EsmError> {
        let function_arn = function.map(|f| {
            self.shared
                .invoker
                .resolve(scope, f)
                .unwrap_or_else(|| f.to_string())
        });
        let mut all: Vec<(i64, String, Value)> = self
            .mappings
            .read()
            .values()
            .map(|e| e.lock().runtime.clone())
            .filter_map(|rt| {
                let c = rt.config();
                let keep = c.account == *scope.account
                    && c.region == *scope.region
                    && source_arn.is_none_or(|s| s == c.event_source_arn)
                    && function_arn.as_deref().is_none_or(|f| f == c.function_arn);
                keep.then(|| (c.last_modified_ms, c.uuid.clone(), rt.view()))
            })
            .collect();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        let start = match marker {
            Some(m) => all
                .iter()
                .position(|(_, uuid, _)| uuid.as_str() > m)
                .unwrap_or(all.len()),
            None => 0,
        };
        // ListEventSourceMappings returns at most 100 per page, whatever MaxItems says.
        let max = max_items.unwrap_or(100).clamp(1, 100);

        let page: Vec<(i64, String, Value)> = all[start..].iter().take(max).cloned().collect();
        let next_marker = (start + page.len() < all.len())
            .then(|| page.last().map(|p| p.1.clone()))
            .flatten();
        Ok(MappingPage {
            mappings: page.into_iter().map(|p| p.2).collect(),
            next_marker,
        })
    }

    /// UpdateEventSourceMapping.
    pub async fn update(
        &self,
        scope: &Scope,
        uuid: &str,
        req: MappingRequest,
    ) -> Result<Value, EsmError> {
        let _guard = self.api.lock().await;
        let entry = self.entry(scope, uuid)?;
        if req.event_source_arn.is_some() || req.starting_position.is_some() {
            return Err(EsmError::InvalidParameter(
                "EventSourceArn and StartingPosition cannot be changed; create a new event source mapping instead.".into(),
            ));
        }
        if req.tags.is_some() {
            return Err(EsmError::InvalidParameter(
                "Unsupported parameter for UpdateEventSourceMapping: Tags".into(),
            ));
        }
        req.check_common()?;
        let mut config = (*entry.lock().runtime.config()).clone();
        if let Some(function) = &req.function_name {
            config.function_arn = self
                .shared
                .invoker
                .resolve(scope, function)
                .ok_or_else(|| EsmError::InvalidParameter("Function does not exist".into()))?;
        }
        if let Some(dest) = req.on_failure() {
            if let Some(arn) = &dest {
                self.shared
                    .destinations
                    .check(scope, arn)
                    .map_err(EsmError::InvalidParameter)?;
            }
            config.on_failure = dest;
        }
        self.shared
            .invoker
            .check_role(
                scope,
                &config.function_arn,
                &config.event_source_arn,
                config.on_failure.as_deref(),
            )
            .map_err(EsmError::InvalidParameter)?;
        macro_rules! set {
            ($field:ident, $value:expr) => {
                if let Some(v) = $value {
                    config.$field = v;
                }
            };
        }
        set!(batch_size, req.batch_size.map(|v| v as u32));
        set!(
            max_batching_window_s,
            req.maximum_batching_window_in_seconds.map(|v| v as u32)
        );
        set!(
            parallelization_factor,
            req.parallelization_factor.map(|v| v as u32)
        );
        set!(bisect, req.bisect_batch_on_function_error);
        set!(max_retry_attempts, req.maximum_retry_attempts);
        set!(max_record_age_s, req.maximum_record_age_in_seconds);
        set!(
            tumbling_window_s,
            req.tumbling_window_in_seconds.map(|v| v as u32)
        );
        set!(
            report_batch_item_failures,
            req.function_response_types.as_ref().map(|t| !t.is_empty())
        );
        set!(filters, req.filter_patterns());
        set!(
            metrics,
            req.metrics_config
                .as_ref()
                .map(|m| m.metrics.clone().filter(|m| !m.is_empty()))
        );
        if req.kms_key_arn.is_some() {
            config.kms_key_arn = req.kms_key_arn.clone();
        }
        let was_enabled = config.enabled;
        if let Some(enabled) = req.enabled {
            config.enabled = enabled;
        }
        config.state = if config.enabled {
            MappingState::Enabled
        } else {
            MappingState::Disabled
        };
        config.state_transition_reason = "User action".into();
        config.last_modified_ms = self.shared.clock.now_ms();
        // Settings are read when pollers start: stop the old ones (keeping their checkpoints), then start anew.
        self.signal_stop(&entry);
        self.save(&config, Vec::new()).await?;
        let runtime = entry.lock().runtime.clone();
        runtime.set_config(config.clone());
        if config.enabled {
            self.start_worker(&entry);
        }
        let transitional = match (was_enabled, config.enabled) {
            (false, true) => MappingState::Enabling,
            (true, false) => MappingState::Disabling,
            _ => MappingState::Updating,
        };
        let mut view = runtime.view();
        view["State"] = Value::String(transitional.wire_name().into());
        Ok(view)
    }

    /// ListTags of a mapping.
    pub fn tags(&self, scope: &Scope, uuid: &str) -> Result<BTreeMap<String, String>, EsmError> {
        Ok(self
            .entry(scope, uuid)?
            .lock()
            .runtime
            .config()
            .tags
            .clone())
    }

    /// TagResource / UntagResource of a mapping: adds `add` (replacing equal keys), then removes `remove`.
    /// The pollers keep running: tags are not settings they read.
    pub async fn retag(
        &self,
        scope: &Scope,
        uuid: &str,
        add: BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<(), EsmError> {
        let _guard = self.api.lock().await;
        let entry = self.entry(scope, uuid)?;
        let runtime = entry.lock().runtime.clone();
        let mut config = (*runtime.config()).clone();
        config.tags.extend(add);
        for key in remove {
            config.tags.remove(key);
        }
        self.save(&config, Vec::new()).await?;
        runtime.set_config(config);
        Ok(())
    }

    /// DeleteEventSourceMapping: stops the pollers and removes the mapping; its checkpoints are removed once
    /// the batches still in flight are over.
    pub async fn delete(&self, scope: &Scope, uuid: &str) -> Result<Value, EsmError> {
        let _guard = self.api.lock().await;
        let entry = self.entry(scope, uuid)?;
        self.signal_stop(&entry);
        self.shared
            .store
            .write_docs(vec![DocChange::delete(NS_MAPPINGS, uuid)])
            .await
            .map_err(service)?;
        self.mappings.write().remove(uuid);
        let task = entry.lock().task.take();
        let store = self.shared.store.clone();
        let owner = uuid.to_string();
        tokio::spawn(async move {
            if let Some(task) = task {
                let _ = task.await;
            }
            if let Err(e) = delete_checkpoints(&store, &owner).await {
                tracing::warn!("removing the checkpoints of mapping {owner} failed: {e}");
            }
        });
        let mut view = entry.lock().runtime.view();
        view["State"] = Value::String(MappingState::Deleting.wire_name().into());
        Ok(view)
    }

    /// The explain view of `GET /_eddy/event-source-mappings/{UUID}`.
    pub fn explain(&self, uuid: &str) -> Option<Value> {
        let runtime = self.mappings.read().get(uuid)?.lock().runtime.clone();
        Some(runtime.explain())
    }

    /// Stops every mapping's pollers (shutdown).
    pub async fn shutdown(&self) {
        let entries: Vec<Arc<Mutex<Entry>>> = self.mappings.read().values().cloned().collect();
        for entry in entries {
            self.stop_worker(&entry).await;
        }
    }
}

async fn delete_checkpoints(store: &Store, uuid: &str) -> Result<(), EsmError> {
    let changes: Vec<DocChange> = store
        .list_docs(NS_CHECKPOINTS, &format!("{uuid}/"), None, usize::MAX)
        .map_err(service)?
        .into_iter()
        .map(|(key, _)| DocChange::delete(NS_CHECKPOINTS, &key))
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    store.write_docs(changes).await.map_err(service)
}

fn service(e: impl std::fmt::Display) -> EsmError {
    EsmError::Service(e.to_string())
}

pub(crate) fn checkpoint_key(uuid: &str, shard_id: &str) -> String {
    format!("{uuid}/{shard_id}")
}

fn checkpoint_doc(
    uuid: &str,
    shard_id: &str,
    checkpoint: &Checkpoint,
) -> Result<DocChange, EsmError> {
    Ok(DocChange::put(
        NS_CHECKPOINTS,
        &checkpoint_key(uuid, shard_id),
        serde_json::to_vec(checkpoint).map_err(service)?,
    ))
}

/// Views of the shards of a mapping, by shard id.
pub type ShardViews = BTreeMap<String, ShardView>;

/// A starting position outside the model's enumeration.
fn starting_position_fault(value: &str) -> EsmError {
    EsmError::Validation(format!(
        "1 validation error detected: Value '{value}' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]"
    ))
}
