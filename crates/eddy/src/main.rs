//! The `eddy` binary: command line, configuration and wiring. `eddy` (or `eddy serve`) runs the server on
//! `127.0.0.1:4566` with durable storage in `./.eddy`; every flag can also come from an `EDDY_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

mod control;
mod wiring;

use clap::{Args, Parser, Subcommand};
use eddy_lambda::{Lambda, LambdaConfig};
use eddy_model::Clock;
use eddy_server::AppState;
use eddy_server::auth::{Auth, AuthMode};
use eddy_store::{OpenError, Store, StoreConfig, StreamConfig, WorkerActivity};
use tokio::net::TcpListener;

/// glibc's allocator spends a large share of each request in malloc/free bookkeeping; mimalloc is markedly
/// cheaper for eddy's many small, short-lived allocations (see docs/benchmarks.md). It is built without
/// transparent huge pages (`no_thp`): with them its eagerly committed arena made 8 MB resident at idle. It is
/// mimalloc 2 (`v2`): mimalloc 3 retired and re-allocated pages of the request path's size classes over and
/// over (a fresh page every other PutItem), 1 200 more instructions per request (callgrind).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "eddy",
    version,
    about = "DynamoDB, Streams, Lambda and event source mappings on one machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(Box<ServeArgs>),
    /// Read or steer a running eddy's server clock (TTL, stream retention, retries, record ages follow it).
    Clock {
        #[command(subcommand)]
        command: control::ClockCommand,
        #[command(flatten)]
        target: control::Target,
    },
    /// Delete every item of a running eddy whose TTL is due by its clock, now.
    TtlSweep {
        #[command(flatten)]
        target: control::Target,
    },
    /// Roll a stream's shards over, or trim expired stream records, in a running eddy.
    Streams {
        #[command(subcommand)]
        command: control::StreamsCommand,
        #[command(flatten)]
        target: control::Target,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the ready line names it).
    #[arg(long, env = "EDDY_LISTEN", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Where data lives.
    #[arg(long, env = "EDDY_DATA_DIR", default_value = "./.eddy")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing is written to disk.
    #[arg(long, env = "EDDY_IN_MEMORY")]
    in_memory: bool,
    /// Log filter (error, warn, info, debug, trace, or a tracing filter).
    #[arg(long, env = "EDDY_LOG_LEVEL", default_value = "warn")]
    log_level: String,
    /// Acknowledge writes before fsync. A killed eddy still loses nothing; an OS crash or power loss may
    /// lose the last acknowledged writes.
    #[arg(long, env = "EDDY_NO_FSYNC")]
    no_fsync: bool,
    /// Group commit: while the server is busy, the longest an fsync waits for more writes to share it (`0`
    /// never waits). With nothing else to do, writes are synced at once.
    #[arg(long, env = "EDDY_COMMIT_DELAY", default_value = "1ms", value_parser = parse_duration)]
    commit_delay: Duration,
    /// How often expired TTL items are deleted, in milliseconds.
    #[arg(long, env = "EDDY_TTL_SWEEP_INTERVAL_MS", default_value_t = 5000)]
    ttl_sweep_interval_ms: u64,
    /// Open shards of each new stream (records are spread over them by partition key).
    #[arg(long, env = "EDDY_STREAM_SHARDS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    stream_shards: u32,
    /// How long a shard stays open before it is closed and replaced by a child, by the server clock
    /// (e.g. `4h`, `30m`, `90s`; `0` never rolls over).
    #[arg(long, env = "EDDY_SHARD_ROLLOVER", default_value = "4h", value_parser = parse_duration)]
    shard_rollover: Duration,
    /// How long stream records are kept, by the server clock.
    #[arg(long, env = "EDDY_STREAM_RETENTION", default_value = "24h", value_parser = parse_duration)]
    stream_retention: Duration,
    /// Lambda: concurrent executions allowed per account and region (reserved concurrency comes out of it).
    #[arg(long, env = "EDDY_LAMBDA_CONCURRENCY", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    lambda_concurrency: u32,
    /// Lambda: the interpreter for a runtime or family, `RUNTIME=PATH` (e.g. `nodejs=/opt/node22/bin/node`,
    /// `python3.13=/usr/bin/python3.13`); repeatable, or comma-separated in the variable. Otherwise `node` and
    /// `python3` are found on PATH.
    #[arg(long = "lambda-runtime", env = "EDDY_LAMBDA_RUNTIMES", value_delimiter = ',', value_parser = parse_runtime)]
    lambda_runtimes: Vec<(String, PathBuf)>,
    /// Lambda: an execution environment idle this long is stopped.
    #[arg(long, env = "EDDY_LAMBDA_IDLE_TIMEOUT", default_value = "10m", value_parser = parse_duration)]
    lambda_idle_timeout: Duration,
    /// Lambda: the URL handlers get as AWS_ENDPOINT_URL (default: this server's own address).
    #[arg(long, env = "EDDY_LAMBDA_ENDPOINT_URL")]
    lambda_endpoint_url: Option<String>,
    /// Lambda: a `node_modules` directory whose packages Node.js functions can `require` and `import`
    /// without shipping them, as AWS's Node.js runtimes provide the AWS SDK for JavaScript v3 (e.g. a
    /// project's own `node_modules` with `@aws-sdk/client-dynamodb` in it).
    #[arg(long, env = "EDDY_LAMBDA_NODE_MODULES", value_parser = parse_existing_dir)]
    lambda_node_modules: Option<PathBuf>,
    /// Lambda: a directory of Python packages that Python functions can import without shipping them
    /// (their `PYTHONPATH`), as AWS's Python runtimes provide boto3 (e.g. a virtualenv's site-packages).
    #[arg(long, env = "EDDY_LAMBDA_PYTHON_PATH", value_parser = parse_existing_dir)]
    lambda_python_path: Option<PathBuf>,
    /// How requests are checked: `off` (accept any request), `sigv4` (verify Signature Version 4 against the
    /// root keys and the access keys IAM issued), `iam` (sigv4, then authorize every call against the
    /// caller's IAM policies). See docs/security.md.
    #[arg(long, env = "EDDY_AUTH", default_value = "off", value_parser = parse_auth)]
    auth: AuthMode,
    /// The account root's access key id (needed with --auth sigv4 or iam).
    #[arg(long, env = "EDDY_ROOT_ACCESS_KEY")]
    root_access_key: Option<String>,
    /// The account root's secret access key.
    #[arg(long, env = "EDDY_ROOT_SECRET_KEY", hide_env_values = true)]
    root_secret_key: Option<String>,
    /// Listen on a non-loopback address even though --auth is off (anyone who can reach it can do
    /// anything).
    #[arg(long, env = "EDDY_ALLOW_UNAUTHENTICATED")]
    allow_unauthenticated: bool,
}

/// The stack of each runtime thread (workers and blocking threads).
const RUNTIME_THREAD_STACK: usize = 16 << 20;

fn parse_auth(text: &str) -> Result<AuthMode, String> {
    AuthMode::parse(text).ok_or_else(|| format!("expected off, sigv4 or iam, got {text:?}"))
}

/// How long an execution environment's credentials are valid (they are renewed with the environment
/// fifteen minutes before they expire).
const FUNCTION_CREDENTIALS_MS: i64 = 12 * 3600 * 1000;

/// Checks the authentication settings before anything is opened: root keys come in pairs and are required
/// when requests are verified; a non-loopback listener needs authentication unless explicitly allowed.
fn check_auth_settings(args: &ServeArgs) -> Result<Vec<(String, String)>, String> {
    let root_keys = match (&args.root_access_key, &args.root_secret_key) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            vec![(id.clone(), secret.clone())]
        }
        (None, None) => Vec::new(),
        _ => {
            return Err(
                "give both --root-access-key and --root-secret-key (EDDY_ROOT_ACCESS_KEY, EDDY_ROOT_SECRET_KEY), or neither"
                    .into(),
            );
        }
    };
    if args.auth != AuthMode::Off && root_keys.is_empty() {
        return Err(format!(
            "--auth {} verifies signatures against the root keys: give --root-access-key and --root-secret-key (EDDY_ROOT_ACCESS_KEY, EDDY_ROOT_SECRET_KEY)",
            args.auth.as_str()
        ));
    }
    if args.auth == AuthMode::Off && !args.listen.ip().is_loopback() && !args.allow_unauthenticated
    {
        return Err(format!(
            "refusing to listen on {} with --auth off: anyone who can reach it could do anything. Use --auth sigv4 or --auth iam with root keys, or pass --allow-unauthenticated (EDDY_ALLOW_UNAUTHENTICATED=true) to accept that",
            args.listen
        ));
    }
    Ok(root_keys)
}

/// Parses `RUNTIME=PATH`.
fn parse_runtime(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((runtime, path)) if !runtime.is_empty() && !path.is_empty() => {
            Ok((runtime.trim().to_string(), PathBuf::from(path.trim())))
        }
        _ => Err(format!(
            "expected RUNTIME=PATH (e.g. nodejs=/usr/bin/node), got {text:?}"
        )),
    }
}

/// An existing directory, made absolute (functions run in their own working directory).
fn parse_existing_dir(text: &str) -> Result<PathBuf, String> {
    std::fs::canonicalize(text)
        .ok()
        .filter(|path| path.is_dir())
        .ok_or_else(|| format!("{text:?} is not a directory"))
}

/// Parses `250ms`, `90s`, `30m`, `4h`, `1d`, or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (try 90s, 30m, 4h)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        _ => return Err(format!("unknown unit in {text:?} (use ms, s, m, h or d)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs a control sub-command against a running eddy: its JSON answer on stdout, or the failure on stderr.
fn run_control(target: &control::Target, call: &control::Call) -> ExitCode {
    match control::run(target, call) {
        Ok(answer) => {
            println!("{answer}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("eddy: {message}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => *args,
        None => cli.serve,
        Some(Command::Clock { command, target }) => return run_control(&target, &command.call()),
        Some(Command::TtlSweep { target }) => return run_control(&target, &control::ttl_sweep()),
        Some(Command::Streams { command, target }) => {
            return run_control(&target, &command.call());
        }
    };
    init_logging(&args.log_level);
    // One worker per CPU eddy may run on, as tokio would choose; the store syncs differently on one.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let (activity, mut builder) = WorkerActivity::multi_thread_runtime(workers);
    let runtime = match builder
        .enable_all()
        // Room for an expression nested as deep as eddy parses (eddy_expr::error::MAX_NESTING_DEPTH) in an
        // unoptimised build; only the pages a request touches become resident.
        .thread_stack_size(RUNTIME_THREAD_STACK)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("eddy: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args, activity)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eddy: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn serve(args: ServeArgs, activity: Arc<WorkerActivity>) -> Result<(), String> {
    let root_keys = check_auth_settings(&args)?;
    let clock = Arc::new(Clock::new());
    let config = StoreConfig {
        fsync: !args.no_fsync,
        ttl_sweep_interval_ms: args.ttl_sweep_interval_ms,
        streams: StreamConfig {
            shards: args.stream_shards,
            rollover_ms: args.shard_rollover.as_millis() as i64,
            retention_ms: args.stream_retention.as_millis() as i64,
        },
        activity: Some(activity),
        commit_delay: args.commit_delay,
    };
    let store = if args.in_memory {
        Store::in_memory(clock.clone(), config)
    } else {
        Store::open(&args.data_dir, clock.clone(), config).map_err(|e| match e {
            OpenError::Backend(eddy_store::BackendError::Locked(_)) => format!(
                "the data directory {} is in use by another eddy process; stop it or use another --data-dir",
                args.data_dir.display()
            ),
            other => other.to_string(),
        })?
    };
    store.start_background();
    let lambda = Lambda::new(
        store.clone(),
        clock,
        LambdaConfig {
            account_concurrency: args.lambda_concurrency,
            interpreters: args.lambda_runtimes.iter().cloned().collect(),
            idle_timeout: args.lambda_idle_timeout,
            endpoint_url: args.lambda_endpoint_url.clone(),
            provided_packages: eddy_lambda::ProvidedPackages {
                node_modules: args.lambda_node_modules.clone(),
                python_path: args.lambda_python_path.clone(),
            },
            ..LambdaConfig::default()
        },
    )
    .map_err(|e| format!("cannot start Lambda: {e}"))?;
    let iam = eddy_iam::Iam::open(
        store.clone(),
        store.clock().clone(),
        eddy_iam::IamConfig {
            root_keys,
            root_account: eddy_model::scope::DEFAULT_ACCOUNT.to_string(),
        },
    )
    .await
    .map_err(|e| format!("cannot recover IAM: {e}"))?;
    lambda.set_credential_issuer(Arc::new(wiring::FunctionCredentials {
        iam: iam.clone(),
        valid_ms: FUNCTION_CREDENTIALS_MS,
        renew: args.auth != AuthMode::Off,
    }));
    let queues = eddy_queue::Queues::open(store.clone(), store.clock().clone())
        .map_err(|e| format!("cannot recover queues and topics: {e}"))?;
    queues.set_invoker(Arc::new(wiring::LambdaEvents(lambda.clone())));
    lambda.set_async_destinations(Arc::new(wiring::QueueDestinations(queues.clone())));
    queues.start_background();
    let esm = eddy_esm::Esm::new(
        store.clone(),
        Arc::new(wiring::LambdaInvoker {
            lambda: lambda.clone(),
            iam: iam.clone(),
            roles_must_exist: args.auth != AuthMode::Off,
        }),
        Arc::new(wiring::QueueDestinations(queues.clone())),
    );
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    if args.lambda_endpoint_url.is_none() {
        // Handlers call back into this eddy; a wildcard listen address is reached through loopback.
        let host = if local.ip().is_unspecified() {
            std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
        } else {
            local
        };
        lambda.set_endpoint_url(&format!("http://{host}"));
    }
    lambda.start_background();
    esm.start()
        .map_err(|e| format!("cannot start event source mappings: {e}"))?;
    let state = AppState {
        store: store.clone(),
        esm: esm.clone(),
        lambda: lambda.clone(),
        queues,
        auth: Arc::new(Auth::new(args.auth, iam)),
    };
    println!("eddy ready on http://{local}");
    let stopping = lambda.clone();
    // Child processes first: in-flight invocations then end at once instead of holding the graceful
    // shutdown until their timeouts.
    let stop = async move {
        shutdown_signal().await;
        stopping.shutdown().await;
    };
    let served = eddy_server::serve::serve(listener, state, stop).await;
    served.map_err(|e| e.to_string())?;
    lambda.shutdown().await;
    esm.shutdown().await;
    store.flush().map_err(|e| e.to_string())?;

    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
