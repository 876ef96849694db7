//! eddy-lambda: Lambda on one machine. Functions, published versions and aliases are durable documents in the
//! store; code packages are stored beside them and unpacked on demand. Handlers run as native child processes
//! — execution environments — each served its own Runtime API endpoint, so a Node.js, Python or Rust handler
//! written for AWS runs unchanged and without a container. Environments are reused while warm, reaped when
//! idle, and replaced when the function's code or configuration changes. Concurrency is limited per account
//! and per function (reserved concurrency) as on AWS; asynchronous (`Event`) invocations are queued durably and
//! retried. Each environment's output becomes a CloudWatch Logs stream of `/aws/lambda/<function>`.
//!
//! # Interface for other engines
//!
//! ```ignore
//! let lambda = Lambda::new(store, clock, LambdaConfig::default())?;
//! lambda.set_endpoint_url("http://127.0.0.1:4566");  // once the listener is bound
//! lambda.start_background();
//! // The event-source-mapping engine:
//! let arn = lambda.function_arn(&scope, "my-fn")?;          // validate a mapping's target
//! let outcome = lambda.invoke(&scope, "my-fn", None, payload, InvocationKind::RequestResponse).await?;
//! // Ok(outcome): the function ran; outcome.function_error == Some("Unhandled") if it failed
//! //             (payload = the error JSON), including timeouts and crashes.
//! // Err(e):     it did not run: e.is_throttle() (429 TooManyRequestsException, retry without spending
//! //             retry budget), ResourceNotFound (404), RequestTooLarge (413), Service (500), …
//! lambda.shutdown().await;                                    // kills every child process
//! ```
//!
//! `Lambda` is cheap to clone (an `Arc` inside).

mod async_queue;
pub use async_queue::PendingEvent;
pub mod code;
pub mod concurrency;
pub mod credentials;
pub mod env;
pub mod error;
pub mod event_config;
mod functions;
mod invoke;
pub mod logs;
pub mod model;
mod ordered_json;
pub mod permissions;
pub mod runtime;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use eddy_model::{Clock, Scope};
use eddy_store::Store;
use parking_lot::{Mutex, RwLock};

pub use concurrency::{FunctionMetrics, MetricsEntry};
pub use credentials::{CredentialIssuer, IssuedCredentials};
pub use error::{InvokeError, LambdaError, ThrottleReason};
pub use functions::{
    AliasInput, CodeInput, CreateFunction, EnvironmentInput, FunctionPage, UpdateAlias,
    UpdateFunctionCode, UpdateFunctionConfiguration,
};
pub use invoke::{InvocationKind, InvokeOutcome, InvokeRequest, encode_tail};
pub use logs::{LogStore, LogsError};

use crate::code::CodeCache;
use crate::concurrency::Concurrency;
use crate::env::Environment;
use crate::model::FunctionRecord;

/// Makes the provided `node_modules` (if any) a `node_modules` link above the unpacked code, where Node.js
/// looks for packages after the function's own (`<lambda>/code/<id>/node_modules`): so ES modules, which ignore
/// `NODE_PATH`, import the provided packages as CommonJS `require`s them — as a handler on AWS imports or requires
/// the SDK its runtime provides. A link left by an earlier start is replaced or removed.
fn link_provided_node_modules(runtime_dir: &Path, provided: Option<&Path>) -> std::io::Result<()> {
    let Some(lambda_dir) = runtime_dir.parent() else {
        return Ok(());
    };
    let link = lambda_dir.join("node_modules");
    if std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(&link)?;
    }
    match provided {
        Some(dir) => std::os::unix::fs::symlink(dir, &link).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot link {} to {}: {e}", link.display(), dir.display()),
            )
        }),
        None => Ok(()),
    }
}

/// Settings of the Lambda engine.
#[derive(Clone, Debug)]
pub struct LambdaConfig {
    /// Concurrent executions per account and region (AWS's default quota is 1000).
    pub account_concurrency: u32,
    /// Interpreter per runtime (`python3.12`) or family (`nodejs`, `python`); others are found on `PATH`.
    pub interpreters: HashMap<String, PathBuf>,
    /// An environment idle this long is stopped.
    pub idle_timeout: Duration,
    /// The URL handlers get as `AWS_ENDPOINT_URL` (eddy's own listener); see [`Lambda::set_endpoint_url`].
    pub endpoint_url: Option<String>,
    /// How long an environment's init phase may take before the invocation counts as timed out (added to
    /// the function's timeout).
    pub init_timeout: Duration,
    /// Packages the runtimes provide, as AWS's provide the AWS SDK: a `node_modules` directory Node.js
    /// functions can `require` and `import` from, and a directory on Python functions' `PYTHONPATH`.
    pub provided_packages: ProvidedPackages,
}

/// Directories of packages functions use without shipping them (absolute paths).
#[derive(Clone, Debug, Default)]
pub struct ProvidedPackages {
    /// A `node_modules` directory (AWS's Node.js runtimes provide the AWS SDK for JavaScript v3).
    pub node_modules: Option<PathBuf>,
    /// A directory of Python packages (AWS's Python runtimes provide boto3).
    pub python_path: Option<PathBuf>,
}

impl Default for LambdaConfig {
    fn default() -> LambdaConfig {
        LambdaConfig {
            account_concurrency: 1000,
            interpreters: HashMap::new(),
            idle_timeout: Duration::from_secs(600),
            endpoint_url: None,
            init_timeout: Duration::from_secs(10),
            provided_packages: ProvidedPackages::default(),
        }
    }
}

/// Identifies interchangeable environments: same function, version and configuration revision.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct PoolKey {
    scope: Scope,
    function: String,
    version: String,
    revision: String,
}

pub(crate) struct Inner {
    store: Store,
    clock: Arc<Clock>,
    config: LambdaConfig,
    interpreters: runtime::Interpreters,
    endpoint_url: RwLock<Option<String>>,
    credentials: RwLock<Option<Arc<dyn CredentialIssuer>>>,
    /// Where asynchronous invocations' destination records go (SQS and SNS; set by the server).
    destinations: RwLock<Option<Arc<dyn event_config::AsyncDestinations>>>,
    functions: RwLock<HashMap<(Scope, String), Arc<FunctionRecord>>>,
    /// Serialises control-plane changes (they read, modify and rewrite a function record).
    control: tokio::sync::Mutex<()>,
    code: CodeCache,
    runtime_dir: PathBuf,
    concurrency: Arc<Concurrency>,
    idle: Mutex<HashMap<PoolKey, Vec<Arc<Environment>>>>,
    live: Mutex<HashMap<u64, Arc<Environment>>>,
    next_env_id: AtomicU64,
    logs: Arc<LogStore>,
    queue: async_queue::AsyncQueue,
    stopping: AtomicBool,
}

/// The Lambda engine. Cheap to clone.
#[derive(Clone)]
pub struct Lambda {
    inner: Arc<Inner>,
}

impl Lambda {
    /// Loads every function from the store and prepares the runtime bootstraps. Starts no process.
    pub fn new(
        store: Store,
        clock: Arc<Clock>,
        config: LambdaConfig,
    ) -> Result<Lambda, LambdaError> {
        let code = CodeCache::new(store.data_dir()).map_err(LambdaError::internal)?;
        let runtime_dir = code.runtime_dir();
        std::fs::create_dir_all(&runtime_dir).map_err(LambdaError::internal)?;
        for (name, text) in [
            ("bootstrap.mjs", runtime::NODE_BOOTSTRAP),
            ("bootstrap.py", runtime::PYTHON_BOOTSTRAP),
        ] {
            let path = runtime_dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                std::fs::write(&path, text).map_err(LambdaError::internal)?;
            }
        }
        link_provided_node_modules(
            &runtime_dir,
            config.provided_packages.node_modules.as_deref(),
        )
        .map_err(LambdaError::internal)?;
        let functions = functions::load_all(&store)?;
        let live_code: std::collections::HashSet<String> =
            functions.values().flat_map(|f| f.code_ids()).collect();
        code.retain(&live_code);
        let queue = async_queue::AsyncQueue::load(&store)?;
        let inner = Inner {
            interpreters: runtime::Interpreters::new(config.interpreters.clone()),
            endpoint_url: RwLock::new(config.endpoint_url.clone()),
            credentials: RwLock::new(None),
            destinations: RwLock::new(None),
            concurrency: Concurrency::new(config.account_concurrency),
            logs: LogStore::new(clock.clone()),
            store,
            clock,
            config,
            functions: RwLock::new(functions),
            control: tokio::sync::Mutex::new(()),
            code,
            runtime_dir,
            idle: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
            next_env_id: AtomicU64::new(1),
            queue,
            stopping: AtomicBool::new(false),
        };
        Ok(Lambda {
            inner: Arc::new(inner),
        })
    }

    /// Sets the URL handlers reach eddy at (`AWS_ENDPOINT_URL`); call once the listener is bound.
    pub fn set_endpoint_url(&self, url: &str) {
        *self.inner.endpoint_url.write() = Some(url.trim_end_matches('/').to_string());
    }

    pub fn endpoint_url(&self) -> Option<String> {
        self.inner.endpoint_url.read().clone()
    }

    /// Sets who issues execution environments' credentials. Until one is set, environments get
    /// placeholder credentials whose access key id is the function's account.
    pub fn set_credential_issuer(&self, issuer: Arc<dyn CredentialIssuer>) {
        *self.inner.credentials.write() = Some(issuer);
    }

    /// Sets where asynchronous invocations' destination records for SQS queues and SNS topics go. Until one is
    /// set, such destinations are refused by the API and skipped by the worker.
    pub fn set_async_destinations(&self, destinations: Arc<dyn event_config::AsyncDestinations>) {
        *self.inner.destinations.write() = Some(destinations);
    }

    /// Starts the background work: the asynchronous-invocation worker and the idle-environment reaper.
    /// Needs a tokio runtime.
    pub fn start_background(&self) {
        async_queue::spawn_worker(self.clone());
        let weak = Arc::downgrade(&self.inner);
        let period = (self.inner.config.idle_timeout / 4)
            .clamp(Duration::from_millis(100), Duration::from_secs(30));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(inner) = weak.upgrade() else { break };
                if inner.stopping.load(Ordering::Relaxed) {
                    break;
                }
                Lambda { inner }.reap_idle();
            }
        });
    }

    /// Stops every execution environment (kills the child processes). Invocations in flight fail.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.queue.wake();
        self.inner.idle.lock().clear();
        let envs: Vec<Arc<Environment>> = self.inner.live.lock().drain().map(|(_, e)| e).collect();
        for env in envs {
            env.kill();
        }
    }

    /// The CloudWatch Logs store the environments write to.
    pub fn logs(&self) -> &Arc<LogStore> {
        &self.inner.logs
    }

    /// Per-function counters (Invocations, Errors, Throttles, Duration, ConcurrentExecutions).
    pub fn metrics(&self) -> Vec<MetricsEntry> {
        self.inner.concurrency.snapshot()
    }

    /// The account concurrency limit in force.
    pub fn account_concurrency(&self) -> u32 {
        self.inner.config.account_concurrency
    }

    /// Number of running execution environments (busy or idle).
    pub fn environment_count(&self) -> usize {
        self.inner.live.lock().len()
    }

    /// Stops environments idle longer than the configured idle timeout, and forgets dead ones.
    fn reap_idle(&self) {
        let limit = self.inner.config.idle_timeout;
        let mut reaped = Vec::new();
        {
            let mut idle = self.inner.idle.lock();
            for envs in idle.values_mut() {
                envs.retain(|e| {
                    let keep = e.is_alive() && e.idle_for() < limit;
                    if !keep {
                        reaped.push(e.clone());
                    }
                    keep
                });
            }
            idle.retain(|_, v| !v.is_empty());
        }
        let mut live = self.inner.live.lock();
        for env in reaped {
            env.kill();
            live.remove(&env.id);
        }
        live.retain(|_, e| e.is_alive());
    }

    /// Stops idle environments of `function` that no longer match its configuration (after an update or a
    /// deletion); busy ones are stopped when their invocation ends.
    fn retire_stale(&self, scope: &Scope, function: &str) {
        let current = self
            .inner
            .functions
            .read()
            .get(&(scope.clone(), function.to_string()))
            .cloned();
        let mut stale = Vec::new();
        {
            let mut idle = self.inner.idle.lock();
            idle.retain(|key, envs| {
                if key.scope != *scope || key.function != function {
                    return true;
                }
                let still = current
                    .as_ref()
                    .and_then(|f| f.version(&key.version))
                    .is_some_and(|v| v.environment_key() == key.revision);
                if !still {
                    stale.append(envs);
                }
                still
            });
        }
        let mut live = self.inner.live.lock();
        for env in stale {
            env.kill();
            live.remove(&env.id);
        }
    }
}
