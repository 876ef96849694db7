//! Invoking a function. A synchronous invocation takes a concurrency permit (or is throttled), takes a warm
//! environment of the same function version and configuration or starts one, hands it the event, and waits
//! for the runtime's answer, the process's exit, or the deadline (which kills the process). The outcome is
//! framed in the log stream by START / END / REPORT lines. An `Event` invocation is queued durably and run
//! the same way by the asynchronous worker (`async_queue`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use eddy_model::Scope;
use serde_json::json;

use crate::env::{Completion, Environment, Event, Launch, MAX_RESPONSE_BYTES};
use crate::model::{FunctionRecord, VersionRecord};
use crate::runtime::{self, Family};
use crate::{Lambda, LambdaError, PoolKey};

/// Largest synchronous invoke payload.
pub const MAX_SYNC_PAYLOAD: usize = 6_291_456;
/// Largest asynchronous invoke payload.
pub const MAX_ASYNC_PAYLOAD: usize = 1_048_576;
/// `LogType: Tail` returns this many bytes from the end of the invocation's log.
const TAIL_BYTES: usize = 4096;

/// How to invoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvocationKind {
    /// Wait for the result (HTTP 200).
    RequestResponse,
    /// Queue durably and return at once (HTTP 202); retried twice on function errors.
    Event,
    /// Only check that the function exists and may be invoked (HTTP 204).
    DryRun,
}

/// The result of an invocation that reached the function.
#[derive(Clone, Debug)]
pub struct InvokeOutcome {
    /// The invocation's id (the handler's `context.awsRequestId`).
    pub request_id: String,
    /// 200 (RequestResponse), 202 (Event) or 204 (DryRun).
    pub status_code: u16,
    /// `Some("Unhandled")` when the function failed (its error, a timeout, a crash); `payload` is then the
    /// error JSON.
    pub function_error: Option<String>,
    pub payload: Bytes,
    /// `$LATEST` or the version number that ran.
    pub executed_version: String,
    /// The last 4 KB of the invocation's log, when asked for (`LogType: Tail`), as text.
    pub log_tail: Option<String>,
    /// How long the handler ran (from delivery of the event to its answer).
    pub duration_ms: f64,
}

/// A full invoke request (the HTTP API's options).
#[derive(Clone, Debug)]
pub struct InvokeRequest {
    pub function: String,
    pub qualifier: Option<String>,
    pub payload: Bytes,
    pub kind: InvocationKind,
    pub log_tail: bool,
    /// The decoded `X-Amz-Client-Context` JSON.
    pub client_context: Option<String>,
}

/// Why an invocation did not produce an answer from the runtime.
enum Ending {
    Done(Completion),
    TimedOut,
}

pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn trace_id(now_ms: i64) -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now_ms / 1000,
        &a[..24],
        &b[..16]
    )
}

fn check_payload(payload: &Bytes, kind: InvocationKind) -> Result<Bytes, LambdaError> {
    let limit = match kind {
        InvocationKind::Event => MAX_ASYNC_PAYLOAD,
        _ => MAX_SYNC_PAYLOAD,
    };
    if payload.len() > limit {
        return Err(LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {limit} bytes for the InvokeFunction operation"
        )));
    }
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(Bytes::from_static(b"{}"));
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(payload) {
        return Err(LambdaError::InvalidRequestContent(format!(
            "Could not parse request body into json: Could not parse payload into json: {e}"
        )));
    }
    Ok(payload.clone())
}

impl Lambda {
    /// Invokes a function: the interface the event-source-mapping engine uses. `function` is a name, a full
    /// or partial ARN, optionally with `:qualifier`.
    pub async fn invoke(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
        payload: Bytes,
        kind: InvocationKind,
    ) -> Result<InvokeOutcome, LambdaError> {
        self.invoke_with(
            scope,
            InvokeRequest {
                function: function.to_string(),
                qualifier: qualifier.map(str::to_string),
                payload,
                kind,
                log_tail: false,
                client_context: None,
            },
        )
        .await
    }

    /// Invokes with every option of the Invoke API.
    pub async fn invoke_with(
        &self,
        scope: &Scope,
        req: InvokeRequest,
    ) -> Result<InvokeOutcome, LambdaError> {
        let (record, version, invoked_arn) =
            self.resolve(scope, &req.function, req.qualifier.as_deref())?;
        let payload = check_payload(&req.payload, req.kind)?;
        match req.kind {
            InvocationKind::DryRun => Ok(InvokeOutcome {
                request_id: new_request_id(),
                status_code: 204,
                function_error: None,
                payload: Bytes::new(),
                executed_version: version.version.clone(),
                log_tail: None,
                duration_ms: 0.0,
            }),
            InvocationKind::Event => {
                let request_id = new_request_id();
                self.enqueue_event(scope, &req, payload, &request_id)
                    .await?;
                Ok(InvokeOutcome {
                    request_id,
                    status_code: 202,
                    function_error: None,
                    payload: Bytes::new(),
                    executed_version: version.version.clone(),
                    log_tail: None,
                    duration_ms: 0.0,
                })
            }
            InvocationKind::RequestResponse => {
                self.run(
                    scope,
                    &record,
                    version,
                    invoked_arn,
                    payload,
                    new_request_id(),
                    req.log_tail,
                    req.client_context,
                )
                .await
            }
        }
    }

    /// Runs one invocation on an environment (synchronous path, also used by the asynchronous worker).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run(
        &self,
        scope: &Scope,
        record: &Arc<FunctionRecord>,
        version: VersionRecord,
        invoked_arn: String,
        payload: Bytes,
        request_id: String,
        want_tail: bool,
        client_context: Option<String>,
    ) -> Result<InvokeOutcome, LambdaError> {
        let inner = &self.inner;
        if inner.stopping.load(Ordering::Relaxed) {
            return Err(LambdaError::Service("eddy is shutting down".into()));
        }
        let permit = inner
            .concurrency
            .acquire(
                scope,
                &record.name,
                record.reserved_concurrency,
                self.reserved_total(scope),
            )
            .map_err(LambdaError::throttled)?;
        let key = PoolKey {
            scope: scope.clone(),
            function: record.name.clone(),
            version: version.version.clone(),
            revision: version.environment_key().to_string(),
        };
        let env = match self.take_idle(&key) {
            Some(env) => env,
            None => match self.start_environment(scope, &record.name, &version).await {
                Ok(env) => env,
                Err(message) => {
                    drop(permit);
                    return Ok(
                        self.entrypoint_failure(scope, record, &version, request_id, message)
                    );
                }
            },
        };
        let timeout = Duration::from_secs(version.timeout as u64);
        // Platform lines end with a newline in CloudWatch Logs, as AWS writes them (AWS-recorded).
        env.begin_capture(format!(
            "START RequestId: {request_id} Version: {}\n",
            version.version
        ));
        let (delivered_rx, mut done_rx) = env.assign(Event {
            request_id: request_id.clone(),
            payload,
            invoked_arn,
            trace_id: trace_id(inner.clock.now_ms()),
            client_context,
            timeout,
        });
        let assigned_at = Instant::now();
        let init_deadline = tokio::time::Instant::now() + inner.config.init_timeout + timeout;
        // Wait for delivery (the end of init on a cold start), then for the answer or the deadline.
        let mut delivered_rx = delivered_rx;
        let mut delivered_at: Option<Instant> = None;
        let ending = loop {
            match delivered_at {
                None => tokio::select! {
                    biased;
                    done = &mut done_rx => break finished(done),
                    delivered = &mut delivered_rx => {
                        delivered_at = Some(delivered.unwrap_or_else(|_| Instant::now()));
                    }
                    _ = tokio::time::sleep_until(init_deadline) => break Ending::TimedOut,
                },
                Some(at) => tokio::select! {
                    biased;
                    done = &mut done_rx => break finished(done),
                    _ = tokio::time::sleep_until((at + timeout).into()) => break Ending::TimedOut,
                },
            }
        };
        let started = delivered_at.unwrap_or(assigned_at);
        let duration = started.elapsed();
        let duration_ms = duration.as_secs_f64() * 1000.0;
        let now = inner.clock.now_ms();
        let (function_error, payload, reusable, status_line, extra_lines) = match ending {
            Ending::Done(Completion::Response(body)) => (None, body, true, None, vec![]),
            Ending::Done(Completion::ResponseTooLarge) => (
                Some("Unhandled"),
                Bytes::from(format!(
                    r#"{{"errorMessage":"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).","errorType":"Function.ResponseSizeTooLarge"}}"#
                )),
                true,
                Some("Status: error\tError Type: Function.ResponseSizeTooLarge".to_string()),
                vec![],
            ),
            Ending::Done(Completion::Error { error_type, body }) => {
                let body = if body.is_empty() {
                    Bytes::from(
                        json!({
                            "errorType": error_type.clone().unwrap_or_else(|| "Runtime.Unknown".into()),
                            "errorMessage": "",
                        })
                        .to_string(),
                    )
                } else {
                    body
                };
                (Some("Unhandled"), body, true, None, vec![])
            }
            Ending::Done(Completion::InitError { error_type, body }) => {
                let kind = error_type.unwrap_or_else(|| "Runtime.Unknown".into());
                (
                    Some("Unhandled"),
                    body,
                    false,
                    Some(format!("Status: error\tError Type: {kind}")),
                    vec![],
                )
            }
            Ending::Done(Completion::Exited(reason)) => {
                let message = if reason == "exit status 0" {
                    format!(
                        "RequestId: {request_id} Error: Runtime exited without providing a reason"
                    )
                } else {
                    format!("RequestId: {request_id} Error: Runtime exited with error: {reason}")
                };
                let body = json!({"errorType": "Runtime.ExitError", "errorMessage": message});
                (
                    Some("Unhandled"),
                    Bytes::from(body.to_string()),
                    false,
                    Some("Status: error\tError Type: Runtime.ExitError".to_string()),
                    vec![format!("{message}\nRuntime.ExitError")],
                )
            }
            Ending::TimedOut => {
                env.kill();
                let seconds = format!("{:.2}", version.timeout as f64);
                let body = json!({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": format!("RequestId: {request_id} Error: Task timed out after {seconds} seconds"),
                });
                (
                    Some("Unhandled"),
                    Bytes::from(body.to_string()),
                    false,
                    Some("Status: timeout".to_string()),
                    vec![format!(
                        "{} {request_id} Task timed out after {seconds} seconds",
                        eddy_model::time::iso8601(now)
                    )],
                )
            }
        };
        let mut report = format!(
            "REPORT RequestId: {request_id}\tDuration: {duration_ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
            (duration_ms.ceil() as u64).max(1),
            version.memory_size,
            env.max_memory_mb().max(1),
        );
        if let Some(init) = env.take_init_duration() {
            report.push_str(&format!(
                "Init Duration: {:.2} ms\t",
                init.as_secs_f64() * 1000.0
            ));
        }
        if let Some(status) = status_line {
            report.push_str(&status);
        }
        report.push('\n');
        let mut lines = extra_lines;
        lines.push(format!("END RequestId: {request_id}\n"));
        lines.push(report);
        let captured = env.emit(lines, true).unwrap_or_default();
        env.finish();
        self.release(key, env, reusable);
        inner
            .concurrency
            .record(scope, &record.name, duration_ms, function_error.is_some());
        drop(permit);
        let log_tail = want_tail.then(|| tail_of(&captured));
        Ok(InvokeOutcome {
            request_id,
            status_code: 200,
            function_error: function_error.map(str::to_string),
            payload,
            executed_version: version.version,
            log_tail,
            duration_ms,
        })
    }

    /// The function could not even start (no interpreter, no bootstrap): a function error, as on AWS.
    fn entrypoint_failure(
        &self,
        scope: &Scope,
        record: &FunctionRecord,
        version: &VersionRecord,
        request_id: String,
        message: String,
    ) -> InvokeOutcome {
        let body = json!({
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": format!("RequestId: {request_id} Error: {message}"),
        });
        let stream = log_stream_name(self.inner.clock.now_ms(), &version.version);
        let writer = self
            .inner
            .logs
            .writer(scope, &version.log_group(&record.name), &stream);
        let lines = vec![
            format!(
                "START RequestId: {request_id} Version: {}\n",
                version.version
            ),
            format!("RequestId: {request_id} Error: {message}\nRuntime.InvalidEntrypoint"),
            format!("END RequestId: {request_id}\n"),
            format!(
                "REPORT RequestId: {request_id}\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: {} MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Runtime.InvalidEntrypoint\n",
                version.memory_size
            ),
        ];
        writer.append(lines);
        self.inner
            .concurrency
            .record(scope, &record.name, 0.0, true);
        InvokeOutcome {
            request_id,
            status_code: 200,
            function_error: Some("Unhandled".into()),
            payload: Bytes::from(body.to_string()),
            executed_version: version.version.clone(),
            log_tail: None,
            duration_ms: 0.0,
        }
    }

    fn take_idle(&self, key: &PoolKey) -> Option<Arc<Environment>> {
        let now_ms = self.inner.clock.now_ms();
        let mut expired = Vec::new();
        let found = {
            let mut idle = self.inner.idle.lock();
            let envs = idle.get_mut(key)?;
            let mut found = None;
            while let Some(env) = envs.pop() {
                if !env.is_alive() {
                    continue;
                }
                if env.credentials_due(now_ms) {
                    expired.push(env);
                    continue;
                }
                found = Some(env);
                break;
            }
            found
        };
        if !expired.is_empty() {
            let mut live = self.inner.live.lock();
            for env in expired {
                env.kill();
                live.remove(&env.id);
            }
        }
        found
    }

    /// Returns an environment to its pool, or stops it if it cannot serve again (dead, timed out, its
    /// function changed, or eddy is stopping).
    fn release(&self, key: PoolKey, env: Arc<Environment>, reusable: bool) {
        let current = self
            .inner
            .functions
            .read()
            .get(&(key.scope.clone(), key.function.clone()))
            .and_then(|f| {
                f.version(&key.version)
                    .map(|v| v.environment_key() == key.revision)
            })
            .unwrap_or(false);
        if reusable && current && env.is_alive() && !self.inner.stopping.load(Ordering::Relaxed) {
            self.inner.idle.lock().entry(key).or_default().push(env);
        } else {
            env.kill();
            self.inner.live.lock().remove(&env.id);
        }
    }

    /// Starts an execution environment for a version.
    async fn start_environment(
        &self,
        scope: &Scope,
        function: &str,
        version: &VersionRecord,
    ) -> Result<Arc<Environment>, String> {
        let inner = &self.inner;
        let code_dir = self.code_dir(scope, function, version).await?;
        let stream = log_stream_name(inner.clock.now_ms(), &version.version);
        let group = version.log_group(function);
        let launch = self.launch(scope, function, version, code_dir, &group, &stream)?;
        let log = inner.logs.writer(scope, &group, &stream);
        log.append([format!(
            "INIT_START Runtime Version: eddy-native:{}\tRuntime Version ARN: arn:aws:lambda:{}::runtime:eddy-native-{}\n",
            version.runtime, scope.region, version.runtime
        )]);
        let id = inner.next_env_id.fetch_add(1, Ordering::Relaxed);
        let env = Environment::start(id, launch, log).await.map_err(|e| e.0)?;
        inner.live.lock().insert(id, env.clone());
        if inner.stopping.load(Ordering::SeqCst) {
            env.kill();
            return Err("eddy is shutting down".into());
        }
        Ok(env)
    }

    /// The unpacked code of a version, unpacking it from the store if needed.
    pub(crate) async fn code_dir(
        &self,
        scope: &Scope,
        function: &str,
        version: &VersionRecord,
    ) -> Result<PathBuf, String> {
        let dir = self.inner.code.dir(&version.code_id);
        if dir.is_dir() {
            return Ok(dir);
        }
        let key = format!(
            "{}/{}/{}/{}",
            scope.account, scope.region, function, version.code_id
        );
        let zip = self
            .inner
            .store
            .get_doc(crate::functions::CODE_NS, &key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the code package {} is missing", version.code_id))?;
        let target = dir.clone();
        tokio::task::spawn_blocking(move || crate::code::unpack(&zip, &target))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot unpack the code: {e}"))?;
        Ok(dir)
    }

    /// The command line and environment variables of an environment.
    fn launch(
        &self,
        scope: &Scope,
        function: &str,
        v: &VersionRecord,
        code_dir: PathBuf,
        group: &str,
        stream: &str,
    ) -> Result<Launch, String> {
        let inner = &self.inner;
        let runtime_dir = inner.runtime_dir.display().to_string();
        let task_root = code_dir.display().to_string();
        let family = runtime::family(&v.runtime).ok_or("unknown runtime")?;
        let (program, args) = match family {
            Family::Node => (
                inner.interpreters.resolve(&v.runtime)?,
                vec![format!("{runtime_dir}/bootstrap.mjs")],
            ),
            Family::Python => (
                inner.interpreters.resolve(&v.runtime)?,
                // `-B`: no bytecode written into the unpacked code (AWS's /var/task is read-only), without the
                // `PYTHONDONTWRITEBYTECODE` a handler on AWS does not see.
                vec![
                    "-u".into(),
                    "-B".into(),
                    format!("{runtime_dir}/bootstrap.py"),
                ],
            ),
            Family::Provided => {
                let bootstrap = code_dir.join("bootstrap");
                if !bootstrap.is_file() {
                    return Err(format!(
                        "Couldn't find valid bootstrap(s): [{}/bootstrap]",
                        task_root
                    ));
                }
                (bootstrap, Vec::new())
            }
        };
        let mut env: Vec<(String, String)> = Vec::new();
        let mut set = |k: &str, v: String| env.push((k.to_string(), v));
        set(
            "PATH",
            std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
        );
        if let Ok(ld) = std::env::var("LD_LIBRARY_PATH") {
            set("LD_LIBRARY_PATH", ld);
        }
        set("LANG", "en_US.UTF-8".into());
        set("TZ", ":UTC".into());
        set("_HANDLER", v.handler.clone());
        set("LAMBDA_TASK_ROOT", task_root.clone());
        // The working directory, as a shell would report it (AWS: /var/task, the task root); OS-only runtimes
        // get none.
        if family != Family::Provided {
            set("PWD", task_root.clone());
            // AWS's managed runtimes start from a shell level of 0 (AWS-recorded; absent for OS-only ones).
            set("SHLVL", "0".into());
        }
        set("LAMBDA_RUNTIME_DIR", runtime_dir.clone());
        set("AWS_LAMBDA_FUNCTION_NAME", function.to_string());
        set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", v.memory_size.to_string());
        set("AWS_LAMBDA_FUNCTION_VERSION", v.version.clone());
        set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
        set("AWS_LAMBDA_LOG_GROUP_NAME", group.to_string());
        set("AWS_LAMBDA_LOG_STREAM_NAME", stream.to_string());
        set("AWS_REGION", scope.region.to_string());
        set("AWS_DEFAULT_REGION", scope.region.to_string());
        if let Some(exec) = runtime::execution_env(&v.runtime) {
            set("AWS_EXECUTION_ENV", exec);
        }
        // Credentials: a session of the execution role when an issuer is wired (eddy's IAM); otherwise a
        // 12-digit access key, which names the account at eddy, so SDK calls from the handler land in the
        // function's own account.
        let issued = inner
            .credentials
            .read()
            .clone()
            .and_then(|issuer| issuer.issue(scope, &v.role, function));
        let refresh_at_ms = issued.as_ref().and_then(|c| c.refresh_at_ms);
        let (key_id, secret, token) = match issued {
            Some(c) => (c.access_key_id, c.secret_access_key, c.session_token),
            None => (
                scope.account.to_string(),
                "eddy-lambda-secret".to_string(),
                "eddy-lambda-session".to_string(),
            ),
        };
        // (AWS sets `AWS_ACCESS_KEY` for Java and Go functions only.)
        set("AWS_ACCESS_KEY_ID", key_id);
        set("AWS_SECRET_ACCESS_KEY", secret);
        set("AWS_SESSION_TOKEN", token);
        set("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into());
        set("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000".into());
        if v.log_format == "JSON" {
            set("AWS_LAMBDA_LOG_FORMAT", "JSON".into());
        }
        if let Some(level) = &v.application_log_level {
            set("AWS_LAMBDA_LOG_LEVEL", level.clone());
        }
        match family {
            Family::Node => {
                // As AWS's `NODE_PATH`, with the provided packages where AWS has its runtime's SDK (ES modules
                // find them through a link above the code instead; see `link_provided_node_modules`).
                let provided = match &inner.config.provided_packages.node_modules {
                    Some(dir) => format!("{}:", dir.display()),
                    None => String::new(),
                };
                set(
                    "NODE_PATH",
                    format!(
                        "{task_root}/node_modules:{provided}{runtime_dir}/node_modules:{runtime_dir}:{task_root}"
                    ),
                );
            }
            Family::Python => {
                // AWS: `/var/runtime`, where its runtime (and the boto3 it provides) lives.
                let python_path = match &inner.config.provided_packages.python_path {
                    Some(dir) => format!("{runtime_dir}:{}", dir.display()),
                    None => runtime_dir.clone(),
                };
                set("PYTHONPATH", python_path);
            }
            Family::Provided => {}
        }
        if let Some(url) = inner.endpoint_url.read().clone() {
            set("AWS_ENDPOINT_URL", url);
        }
        // The user's variables last (reserved keys were refused when they were set); they may override
        // unreserved defaults such as PATH or NODE_PATH.
        if let Some(vars) = &v.environment {
            for (k, val) in vars {
                env.retain(|(key, _)| key != k);
                env.push((k.clone(), val.clone()));
            }
        }
        // eddy's task root stands in for /var/task in a wrapper's path.
        for (key, value) in env.iter_mut() {
            if key == "AWS_LAMBDA_EXEC_WRAPPER"
                && let Some(rest) = value.strip_prefix("/var/task/")
            {
                *value = format!("{task_root}/{rest}");
            }
        }
        let (program, args) = with_exec_wrapper(family, &env, program, args);
        Ok(Launch {
            program,
            args,
            cwd: code_dir,
            env,
            refresh_at_ms,
        })
    }
}

/// A managed runtime whose environment sets `AWS_LAMBDA_EXEC_WRAPPER` starts through that script, which gets
/// the runtime's command line as its arguments — as AWS's bootstraps do (`exec $AWS_LAMBDA_EXEC_WRAPPER …`), so
/// a missing or broken wrapper fails the start (`exit status 127`). OS-only runtimes ignore it, as on AWS. A
/// path under `/var/task/` names the unpacked code.
fn with_exec_wrapper(
    family: Family,
    env: &[(String, String)],
    program: PathBuf,
    args: Vec<String>,
) -> (PathBuf, Vec<String>) {
    let wrapped = family != Family::Provided
        && env
            .iter()
            .any(|(k, v)| k == "AWS_LAMBDA_EXEC_WRAPPER" && !v.is_empty());
    if !wrapped {
        return (program, args);
    }
    let mut wrapper_args = vec![
        "-c".to_string(),
        "exec \"$AWS_LAMBDA_EXEC_WRAPPER\" \"$@\"".to_string(),
        "bootstrap".to_string(),
        program.display().to_string(),
    ];
    wrapper_args.extend(args);
    (PathBuf::from("/bin/sh"), wrapper_args)
}

fn finished(done: Result<Completion, tokio::sync::oneshot::error::RecvError>) -> Ending {
    match done {
        Ok(completion) => Ending::Done(completion),
        Err(_) => Ending::Done(Completion::Exited("the runtime went away".into())),
    }
}

/// `2024/01/31/[$LATEST]0123456789abcdef0123456789abcdef`
pub(crate) fn log_stream_name(now_ms: i64, version: &str) -> String {
    let label = eddy_model::time::stream_label(now_ms);
    let date = label[..10].replace('-', "/");
    format!("{date}/[{version}]{}", uuid::Uuid::new_v4().simple())
}

/// The last [`TAIL_BYTES`] of the log lines, as AWS returns them in `X-Amz-Log-Result` (before base64).
fn tail_of(lines: &[String]) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        if !line.ends_with('\n') {
            text.push('\n');
        }
    }
    if text.len() <= TAIL_BYTES {
        return text;
    }
    let mut start = text.len() - TAIL_BYTES;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// `X-Amz-Log-Result`: base64 of the tail.
pub fn encode_tail(tail: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(tail.as_bytes())
}
