//! One execution environment: a child process (the runtime bootstrap and the handler) with its own Runtime API
//! endpoint, `AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`, served by a small HTTP server bound for this
//! environment alone. The environment handles one invocation at a time, as on AWS:
//!
//! 1. the invoker [`assign`](Environment::assign)s an invocation (a oneshot carries the outcome back);
//! 2. the runtime's long-polling `GET …/invocation/next` receives it (the first `next` ends the init phase);
//! 3. `POST …/response` or `…/error` completes the oneshot; `POST …/init/error`, the process exiting, or the
//!    invoker's deadline end it otherwise.
//!
//! stdout and stderr share one pipe (so their lines interleave as written) that eddy reads without blocking.
//! When an invocation completes, the invoker drains the pipe before writing `END`: everything the handler
//! printed before it answered is already in the pipe, so it lands between `START` and `END` in the log stream.

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::routing::{get, post};
use parking_lot::Mutex;
use tokio::io::unix::AsyncFd;
use tokio::sync::{Notify, oneshot};

use crate::logs::StreamWriter;

/// The Runtime API's limit on a response body (6 MiB + 100 bytes, as AWS's runtime interface emulator).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;

/// How an invocation handed to an environment ended.
#[derive(Debug)]
pub enum Completion {
    /// `POST /response`.
    Response(Bytes),
    /// `POST /response` with a body over [`MAX_RESPONSE_BYTES`].
    ResponseTooLarge,
    /// `POST /error`.
    Error {
        error_type: Option<String>,
        body: Bytes,
    },
    /// `POST /init/error`.
    InitError {
        error_type: Option<String>,
        body: Bytes,
    },
    /// The process exited (`exit status 1`, `signal: killed`).
    Exited(String),
}

/// What the runtime receives from `next`.
pub struct Event {
    pub request_id: String,
    pub payload: Bytes,
    pub invoked_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
    pub timeout: Duration,
}

struct Current {
    request_id: String,
    delivered: bool,
    responder: Option<oneshot::Sender<Completion>>,
    delivered_tx: Option<oneshot::Sender<Instant>>,
}

struct State_ {
    initialized: bool,
    exited: bool,
    pending: Option<Event>,
    current: Option<Current>,
}

struct Output {
    partial: Vec<u8>,
    /// Lines of the invocation in progress (for `LogType: Tail`).
    capture: Option<Vec<String>>,
}

/// How to start the process.
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    /// When the environment's credentials are due for renewal (server clock, epoch ms).
    pub refresh_at_ms: Option<i64>,
}

pub struct Environment {
    pub id: u64,
    pid: u32,
    state: Mutex<State_>,
    wake: Notify,
    output: Mutex<Output>,
    pipe: AsyncFd<OwnedFd>,
    log: StreamWriter,
    pub runtime_api: SocketAddr,
    spawned_at: Instant,
    init_duration: Mutex<Option<Duration>>,
    last_used: Mutex<Instant>,
    server: Mutex<Option<tokio::task::AbortHandle>>,
    refresh_at_ms: Option<i64>,
}

/// Why an environment could not start.
#[derive(Debug)]
pub struct StartError(pub String);

fn pipe_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into the array on success; both are then owned exactly once.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the descriptors were just created and are not owned elsewhere.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(read.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(read.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    Ok((read, write))
}

impl Environment {
    /// Binds the Runtime API, starts the process and the tasks that watch it. Returns once the process runs;
    /// its init phase continues in the background.
    pub async fn start(
        id: u64,
        launch: Launch,
        log: StreamWriter,
    ) -> Result<Arc<Environment>, StartError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| StartError(format!("cannot bind the Runtime API: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError(e.to_string()))?;
        let (read, write) =
            pipe_pair().map_err(|e| StartError(format!("cannot create a pipe: {e}")))?;
        let write2 = write
            .try_clone()
            .map_err(|e| StartError(format!("cannot duplicate a pipe: {e}")))?;
        let mut command = tokio::process::Command::new(&launch.program);
        command
            .args(&launch.args)
            .current_dir(&launch.cwd)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::from(write))
            .stderr(std::process::Stdio::from(write2))
            .process_group(0)
            .kill_on_drop(false);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the child if eddy dies first.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| StartError(format!("cannot start {}: {e}", launch.program.display())))?;
        // The parent's copies of the write end are closed with `command`.
        drop(command);
        let pid = child.id().unwrap_or(0);
        // SAFETY: `read` is an open descriptor owned by the AsyncFd for its whole life.
        let pipe = unsafe { AsyncFd::register_with_interest(read, tokio::io::Interest::READABLE) }
            .map_err(|e| StartError(format!("cannot watch the output pipe: {e}")))?;
        let env = Arc::new(Environment {
            id,
            pid,
            state: Mutex::new(State_ {
                initialized: false,
                exited: false,
                pending: None,
                current: None,
            }),
            wake: Notify::new(),
            output: Mutex::new(Output {
                partial: Vec::new(),
                capture: None,
            }),
            pipe,
            log,
            runtime_api: addr,
            spawned_at: Instant::now(),
            init_duration: Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            server: Mutex::new(None),
            refresh_at_ms: launch.refresh_at_ms,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(env.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *env.server.lock() = Some(server.abort_handle());
        // The reader: lines reach the log stream as they are written.
        let reader = env.clone();
        tokio::spawn(async move {
            loop {
                let Ok(mut guard) = reader.pipe.readable().await else {
                    break;
                };
                let eof = reader.drain_output();
                guard.clear_ready();
                if eof {
                    break;
                }
            }
        });
        // The watcher: an exit ends the invocation in progress.
        let watcher = env.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            let reason = match status {
                Ok(s) => describe_exit(s),
                Err(e) => format!("wait failed: {e}"),
            };
            watcher.drain_output();
            let responder = {
                let mut state = watcher.state.lock();
                state.exited = true;
                state.current.as_mut().and_then(|c| c.responder.take())
            };
            if let Some(tx) = responder {
                let _ = tx.send(Completion::Exited(reason));
            }
            watcher.stop_server();
        });
        Ok(env)
    }

    /// Hands an invocation to the runtime. The returned receivers tell when `next` delivered it and how it
    /// ended. The environment must be idle.
    pub fn assign(
        &self,
        event: Event,
    ) -> (oneshot::Receiver<Instant>, oneshot::Receiver<Completion>) {
        let (tx, rx) = oneshot::channel();
        let (dtx, drx) = oneshot::channel();
        {
            let mut state = self.state.lock();
            if state.exited {
                drop(state);
                let _ = tx.send(Completion::Exited("exited before the invocation".into()));
                return (drx, rx);
            }
            state.current = Some(Current {
                request_id: event.request_id.clone(),
                delivered: false,
                responder: Some(tx),
                delivered_tx: Some(dtx),
            });
            state.pending = Some(event);
        }
        self.wake.notify_one();
        (drx, rx)
    }

    /// Marks the invocation finished (whatever its outcome) so the environment can take the next one.
    pub fn finish(&self) {
        let mut state = self.state.lock();
        state.current = None;
        state.pending = None;
        *self.last_used.lock() = Instant::now();
    }

    pub fn is_alive(&self) -> bool {
        !self.state.lock().exited
    }

    /// Whether the environment's credentials are due for renewal at `now_ms` (it is then not reused).
    pub fn credentials_due(&self, now_ms: i64) -> bool {
        self.refresh_at_ms.is_some_and(|at| now_ms >= at)
    }

    pub fn idle_for(&self) -> Duration {
        self.last_used.lock().elapsed()
    }

    /// The init phase's duration, once (reported on the first invocation's REPORT line only).
    pub fn take_init_duration(&self) -> Option<Duration> {
        self.init_duration.lock().take()
    }

    pub fn log_stream(&self) -> &str {
        self.log.stream_name()
    }

    /// Peak resident memory of the process, in MB (rounded up), from `/proc`.
    pub fn max_memory_mb(&self) -> u64 {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", self.pid)) else {
            return 0;
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb.div_ceil(1024))
            .unwrap_or(0)
    }

    /// Kills the process group (the runtime and anything it started).
    pub fn kill(&self) {
        let exited = self.state.lock().exited;
        if !exited && self.pid != 0 {
            // SAFETY: signalling a process group we created; the watcher has not reaped the leader yet (exited
            // is still false), so the id cannot have been reused.
            unsafe {
                libc::kill(-(self.pid as i32), libc::SIGKILL);
                libc::kill(self.pid as i32, libc::SIGKILL);
            }
        }
        self.stop_server();
    }

    fn stop_server(&self) {
        if let Some(handle) = self.server.lock().take() {
            handle.abort();
        }
    }

    /// Starts capturing lines for the invocation's log tail, writing `first` (the START line).
    pub fn begin_capture(&self, first: String) {
        self.drain_output();
        let mut out = self.output.lock();
        out.capture = Some(Vec::new());
        Self::emit_locked(&mut out, &self.log, vec![first]);
    }

    /// Writes platform lines (END, REPORT, timeout notices) after whatever the process printed so far, and
    /// returns the captured lines of the invocation if `end` is set.
    pub fn emit(&self, lines: Vec<String>, end: bool) -> Option<Vec<String>> {
        self.drain_output();
        let mut out = self.output.lock();
        if end && !out.partial.is_empty() {
            let partial = std::mem::take(&mut out.partial);
            let line = clean_line(&partial);
            Self::emit_locked(&mut out, &self.log, line.into_iter().collect());
        }
        Self::emit_locked(&mut out, &self.log, lines);
        if end { out.capture.take() } else { None }
    }

    fn emit_locked(out: &mut Output, log: &StreamWriter, lines: Vec<String>) {
        if lines.is_empty() {
            return;
        }
        if let Some(capture) = out.capture.as_mut() {
            capture.extend(lines.iter().cloned());
        }
        log.append(lines);
    }

    /// Reads everything the pipe holds now; complete lines go to the log. Returns true at end of file.
    fn drain_output(&self) -> bool {
        let fd = self.pipe.get_ref().as_raw_fd();
        let mut out = self.output.lock();
        let mut buf = [0u8; 16 * 1024];
        let mut eof = false;
        let mut lines = Vec::new();
        loop {
            // SAFETY: reading into a local buffer from a descriptor this environment owns.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let chunk = &buf[..n as usize];
                let mut start = 0;
                for (i, b) in chunk.iter().enumerate() {
                    if *b == b'\n' {
                        let mut line = std::mem::take(&mut out.partial);
                        line.extend_from_slice(&chunk[start..i]);
                        lines.extend(clean_line(&line));
                        start = i + 1;
                    }
                }
                out.partial.extend_from_slice(&chunk[start..]);
                continue;
            }
            if n == 0 {
                eof = true;
            }
            break;
        }
        if eof && !out.partial.is_empty() {
            let partial = std::mem::take(&mut out.partial);
            lines.extend(clean_line(&partial));
        }
        Self::emit_locked(&mut out, &self.log, lines);
        eof
    }
}

/// A line of a process's output as a CloudWatch event (`None`: no event). eddy's managed runtimes mark their log
/// records (console and logging calls, errors) with a leading RS byte and write their newlines as `\r`, so that
/// one record stays one event: it shows the newlines again. Anything else the process printed is a line of
/// stdout, kept as printed with its newline, and a blank one is no event, as AWS shows `print` output
/// (AWS-recorded: `"\nmulti\nline\nanother\rline\n"` → `multi\n`, `line\n`, `another\rline\n`).
fn clean_line(bytes: &[u8]) -> Option<String> {
    if let Some(record) = bytes.strip_prefix(b"\x1e") {
        let text = String::from_utf8_lossy(record);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        return Some(text.replace('\r', "\n"));
    }
    if bytes.is_empty() {
        return None;
    }
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    text.push('\n');
    Some(text)
}

/// Go's `ExitError` text, which AWS's error messages quote (`exit status 1`, `signal: killed`).
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(libc::SIGKILL) => "signal: killed".into(),
        Some(libc::SIGTERM) => "signal: terminated".into(),
        Some(libc::SIGSEGV) => "signal: segmentation fault".into(),
        Some(libc::SIGABRT) => "signal: aborted".into(),
        Some(libc::SIGINT) => "signal: interrupt".into(),
        Some(libc::SIGBUS) => "signal: bus error".into(),
        Some(s) => format!("signal: {s}"),
        None => "exited".into(),
    }
}

// ---- the Runtime API ----------------------------------------------------------------------------------------

fn json_reply(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn accepted() -> Response<Body> {
    json_reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn invalid_request_id() -> Response<Body> {
    json_reply(
        StatusCode::BAD_REQUEST,
        r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
    )
}

fn invalid_state(from: &str, to: &str) -> Response<Body> {
    let body = serde_json::json!({
        "errorType": "InvalidStateTransition",
        "errorMessage": format!("State transition from {from} to {to} failed for runtime. Error: State transition is not allowed"),
    });
    json_reply(StatusCode::FORBIDDEN, &body.to_string())
}

async fn next(State(env): State<Arc<Environment>>) -> Response<Body> {
    {
        let mut state = env.state.lock();
        if !state.initialized {
            state.initialized = true;
            *env.init_duration.lock() = Some(env.spawned_at.elapsed());
        }
    }
    loop {
        let delivered = {
            let mut state = env.state.lock();
            match state.pending.take() {
                Some(event) => {
                    let now = Instant::now();
                    if let Some(current) = state.current.as_mut() {
                        current.delivered = true;
                        if let Some(tx) = current.delivered_tx.take() {
                            let _ = tx.send(now);
                        }
                    }
                    Some(event)
                }
                None => None,
            }
        };
        if let Some(event) = delivered {
            return event_response(event);
        }
        env.wake.notified().await;
    }
}

fn event_response(event: Event) -> Response<Body> {
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
        + event.timeout.as_millis() as u64;
    let mut r = Response::new(Body::from(event.payload));
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", &event.request_id);
    set("lambda-runtime-deadline-ms", &deadline.to_string());
    set("lambda-runtime-invoked-function-arn", &event.invoked_arn);
    set("lambda-runtime-trace-id", &event.trace_id);
    if let Some(cc) = &event.client_context {
        set("lambda-runtime-client-context", cc);
    }
    r
}

/// Takes the responder of the delivered, unanswered invocation `id`.
fn take_responder(env: &Environment, id: &str) -> Option<oneshot::Sender<Completion>> {
    let mut state = env.state.lock();
    let current = state.current.as_mut()?;
    if current.request_id != id || !current.delivered {
        return None;
    }
    current.responder.take()
}

async fn response(
    State(env): State<Arc<Environment>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    if let Some(mode) = headers.get("lambda-runtime-function-response-mode")
        && mode.as_bytes() != b"streaming"
    {
        return json_reply(
            StatusCode::BAD_REQUEST,
            r#"{"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}"#,
        );
    }
    let Some(tx) = take_responder(&env, &id) else {
        return invalid_request_id();
    };
    if body.len() > MAX_RESPONSE_BYTES {
        let _ = tx.send(Completion::ResponseTooLarge);
        return json_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                r#"{{"errorMessage":"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).","errorType":"RequestEntityTooLarge"}}"#
            ),
        );
    }
    let _ = tx.send(Completion::Response(body));
    accepted()
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn error(
    State(env): State<Arc<Environment>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some(tx) = take_responder(&env, &id) else {
        return invalid_request_id();
    };
    let _ = tx.send(Completion::Error {
        error_type: error_type(&headers),
        body,
    });
    accepted()
}

async fn init_error(
    State(env): State<Arc<Environment>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let responder = {
        let mut state = env.state.lock();
        if state.initialized {
            return invalid_state("Ready", "InitError");
        }
        state.initialized = true;
        *env.init_duration.lock() = Some(env.spawned_at.elapsed());
        state.current.as_mut().and_then(|c| c.responder.take())
    };
    if let Some(tx) = responder {
        let _ = tx.send(Completion::InitError {
            error_type: error_type(&headers),
            body,
        });
    }
    accepted()
}
