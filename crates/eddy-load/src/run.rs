//! The load run: one task and one connection per concurrent worker.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use hyper::StatusCode;
use hyper::header::HeaderValue;

use crate::client::{CallError, Common, Conn, Endpoint, error_type};
use crate::hist::Histogram;
use crate::mix::{Mix, Op};
use crate::sigv4::Signer;
use crate::workload::Workload;

#[derive(Clone, Debug)]
pub struct Config {
    pub endpoint: Endpoint,
    pub table: String,
    pub item_size: usize,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub concurrency: usize,
    /// Measured time (after warmup); ignored when `requests` is set.
    pub duration: Duration,
    /// Measured requests (after warmup), instead of a duration.
    pub requests: Option<u64>,
    pub warmup: Duration,
    /// Per-request timeout; a timed-out request counts as an error and its
    /// connection is replaced.
    pub timeout: Duration,
    pub mix: Mix,
    pub workload: Workload,
    pub seed: u64,
}

/// xorshift64*: small and fast; quality is plenty for picking keys.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that nearby seeds diverge; never 0.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// What one op (or all) did in the measured phase.
#[derive(Clone, Default)]
pub struct OpStats {
    /// Latency of 200 responses, in nanoseconds.
    pub latency: Histogram,
    /// Requests that got a non-200 response or none.
    pub errors: u64,
    /// GetItem: responses with an `Item`. Query: items returned.
    pub found: u64,
}

impl OpStats {
    fn merge(&mut self, o: &OpStats) {
        self.latency.merge(&o.latency);
        self.errors += o.errors;
        self.found += o.found;
    }
}

#[derive(Clone, Default)]
pub struct WorkerStats {
    pub ops: [OpStats; 3],
    pub errors: BTreeMap<String, u64>,
    /// Warmup requests (not measured).
    pub warmup_requests: u64,
    /// When the last measured request finished.
    pub last_done: Option<Instant>,
    /// Connections opened after each worker's first.
    pub reconnects: u64,
}

impl WorkerStats {
    fn error(&mut self, op: Op, kind: String, measured: bool) {
        if measured {
            self.ops[op.index()].errors += 1;
            *self.errors.entry(kind).or_default() += 1;
        }
    }

    fn merge(&mut self, o: &WorkerStats) {
        for (a, b) in self.ops.iter_mut().zip(o.ops.iter()) {
            a.merge(b);
        }
        for (k, v) in &o.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        self.warmup_requests += o.warmup_requests;
        self.reconnects += o.reconnects;
        self.last_done = self.last_done.max(o.last_done);
    }
}

pub struct Report {
    pub config: Config,
    pub threads: usize,
    /// From the end of warmup to the last measured response.
    pub elapsed: Duration,
    pub stats: WorkerStats,
}

impl Report {
    pub fn op(&self, op: Op) -> &OpStats {
        &self.stats.ops[op.index()]
    }

    pub fn total(&self) -> OpStats {
        let mut t = OpStats::default();
        for s in &self.stats.ops {
            t.merge(s);
        }
        t
    }

    pub fn rate(&self, n: u64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { n as f64 / secs } else { 0.0 }
    }
}

struct Shared {
    cfg: Config,
    addr: SocketAddr,
    common: Common,
    targets: [HeaderValue; 3],
    measure_from: Instant,
    stop_at: Option<Instant>,
    /// Measured requests started, in `--requests` mode.
    started: AtomicU64,
}

fn signer(cfg: &Config) -> Signer {
    Signer::new(&cfg.access_key, &cfg.secret_key, &cfg.region, "dynamodb")
}

/// A fresh connection for `Shared`'s endpoint, retried for up to 10 s.
async fn connect(sh: &Shared) -> Result<Conn, String> {
    let give_up = Instant::now() + Duration::from_secs(10);
    loop {
        match Conn::connect(sh.addr, signer(&sh.cfg), sh.common.clone()).await {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() >= give_up => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn worker(sh: Arc<Shared>, id: usize) -> Result<WorkerStats, String> {
    let mut stats = WorkerStats::default();
    let mut rng = Rng::new(sh.cfg.seed ^ (id as u64).wrapping_mul(0x9E37_79B9));
    let mut buf = BytesMut::with_capacity(4096);
    let mut conn = connect(&sh).await?;
    loop {
        let start = Instant::now();
        if sh.stop_at.is_some_and(|t| start >= t) {
            break;
        }
        let measured = start >= sh.measure_from;
        if measured
            && let Some(n) = sh.cfg.requests
            && sh.started.fetch_add(1, Ordering::Relaxed) >= n
        {
            break;
        }
        let op = sh.cfg.mix.pick((rng.next_u64() >> 32) as u32);
        let (key, version) = (rng.next_u64(), rng.next_u64());
        sh.cfg.workload.write_body(op, key, version, &mut buf);
        let body = buf.split().freeze();
        let call = conn.call(&sh.targets[op.index()], body);
        let outcome = match tokio::time::timeout(sh.cfg.timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(CallError::Connection("timeout".into())),
        };
        let done = Instant::now();
        if measured {
            stats.last_done = Some(done);
        } else {
            stats.warmup_requests += 1;
        }
        match outcome {
            Ok((StatusCode::OK, resp)) => {
                if measured {
                    let s = &mut stats.ops[op.index()];
                    s.latency.record((done - start).as_nanos() as u64);
                    s.found += found(op, &resp);
                }
            }
            Ok((status, resp)) => stats.error(op, error_type(status, &resp), measured),
            Err(CallError::Connection(e)) => {
                let kind = if e == "timeout" {
                    "timeout".to_owned()
                } else {
                    "connection".to_owned()
                };
                stats.error(op, kind, measured);
                let reconnects = conn.reconnects;
                conn = connect(&sh).await?;
                conn.reconnects = reconnects + 1;
            }
        }
        // Take back the buffer's memory when hyper has let go of the body.
        if buf.capacity() < 1024 {
            buf.reserve(4096);
        }
    }
    stats.reconnects = conn.reconnects;
    Ok(stats)
}

/// GetItem: 1 if the response has an item. Query: its `Count`.
fn found(op: Op, body: &[u8]) -> u64 {
    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }
    match op {
        Op::Put => 0,
        Op::Get => find(body, b"\"Item\"").is_some() as u64,
        Op::Query => find(body, b"\"Count\"")
            .map(|i| {
                body[i + 7..]
                    .iter()
                    .skip_while(|b| matches!(b, b':' | b' '))
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'))
            })
            .unwrap_or(0),
    }
}

fn shared(cfg: Config, addr: SocketAddr, measure_from: Instant) -> Result<Shared, String> {
    let common = Common::new(&cfg.endpoint)?;
    let stop_at = match cfg.requests {
        Some(_) => None,
        None => Some(measure_from + cfg.duration),
    };
    Ok(Shared {
        targets: Op::ALL.map(|op| HeaderValue::from_static(op.target())),
        cfg,
        addr,
        common,
        measure_from,
        stop_at,
        started: AtomicU64::new(0),
    })
}

/// One request on a fresh connection (for setup).
async fn setup_call(
    cfg: &Config,
    addr: SocketAddr,
    target: &'static str,
    body: String,
) -> Result<(StatusCode, serde_json::Value), String> {
    let mut conn = Conn::connect(addr, signer(cfg), Common::new(&cfg.endpoint)?).await?;
    let (status, resp) = conn
        .call(&HeaderValue::from_static(target), body.into())
        .await
        .map_err(|e| format!("{target}: {e}"))?;
    let v = serde_json::from_slice(&resp).unwrap_or(serde_json::Value::Null);
    Ok((status, v))
}

/// Creates the table (pk S HASH, sk N RANGE, on demand) unless it exists,
/// and waits until it is ACTIVE.
pub async fn ensure_table(cfg: &Config) -> Result<(), String> {
    let addr = cfg.endpoint.resolve().await?;
    let w = &cfg.workload;
    let describe = |v: &serde_json::Value| {
        v["Table"]["TableStatus"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let (status, v) = setup_call(
        cfg,
        addr,
        "DynamoDB_20120810.DescribeTable",
        w.describe_table_body(),
    )
    .await?;
    if status != StatusCode::OK {
        let (status, v) = setup_call(
            cfg,
            addr,
            "DynamoDB_20120810.CreateTable",
            w.create_table_body(),
        )
        .await?;
        let kind = v["__type"].as_str().unwrap_or_default();
        if status != StatusCode::OK && !kind.ends_with("ResourceInUseException") {
            return Err(format!("CreateTable failed: HTTP {status}: {v}"));
        }
    } else if describe(&v) == "ACTIVE" {
        return Ok(());
    }
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, v) = setup_call(
            cfg,
            addr,
            "DynamoDB_20120810.DescribeTable",
            w.describe_table_body(),
        )
        .await?;
        if status == StatusCode::OK && describe(&v) == "ACTIVE" {
            return Ok(());
        }
        if status == StatusCode::OK && !v["Table"].is_object() {
            return Err(format!("DescribeTable answered 200 without a Table: {v}"));
        }
        if Instant::now() >= give_up {
            return Err(format!("table not ACTIVE after 60 s: HTTP {status}: {v}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes every key once (PutItem), with `concurrency` connections.
/// Returns the number of items and the time it took.
pub async fn prefill(cfg: &Config) -> Result<(u64, Duration), String> {
    let addr = cfg.endpoint.resolve().await?;
    let sh = Arc::new(shared(cfg.clone(), addr, Instant::now())?);
    let next = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..cfg.concurrency.max(1) {
        let sh = sh.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(&sh).await?;
            let mut buf = BytesMut::with_capacity(4096);
            loop {
                let key = next.fetch_add(1, Ordering::Relaxed);
                if key >= sh.cfg.workload.keys {
                    return Ok::<(), String>(());
                }
                sh.cfg.workload.write_body(Op::Put, key, 0, &mut buf);
                let (status, resp) = conn
                    .call(&sh.targets[Op::Put.index()], buf.split().freeze())
                    .await
                    .map_err(|e| format!("prefill: {e}"))?;
                if status != StatusCode::OK {
                    return Err(format!(
                        "prefill: PutItem: HTTP {status}: {}",
                        String::from_utf8_lossy(&resp)
                    ));
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok((cfg.workload.keys, t0.elapsed()))
}

/// Runs the load and gathers the workers' figures.
pub async fn run(cfg: Config, threads: usize) -> Result<Report, String> {
    let addr = cfg.endpoint.resolve().await?;
    let measure_from = Instant::now() + cfg.warmup;
    let sh = Arc::new(shared(cfg.clone(), addr, measure_from)?);
    let tasks: Vec<_> = (0..cfg.concurrency.max(1))
        .map(|id| tokio::spawn(worker(sh.clone(), id)))
        .collect();
    let mut stats = WorkerStats::default();
    for t in tasks {
        let s = t.await.map_err(|e| e.to_string())??;
        stats.merge(&s);
    }
    let elapsed = stats
        .last_done
        .map(|t| t.saturating_duration_since(measure_from))
        .unwrap_or_default();
    Ok(Report {
        config: cfg,
        threads,
        elapsed,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_spread() {
        let mut r = Rng::new(1);
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            buckets[(r.next_u64() % 10) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&b| (9_000..11_000).contains(&b)),
            "{buckets:?}"
        );
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn found_counts() {
        assert_eq!(found(Op::Get, br#"{"Item":{"pk":{"S":"p1"}}}"#), 1);
        assert_eq!(found(Op::Get, b"{}"), 0);
        assert_eq!(
            found(Op::Query, br#"{"Count": 12,"Items":[],"ScannedCount":12}"#),
            12
        );
        assert_eq!(found(Op::Query, br#"{"Items":[],"Count":0}"#), 0);
        assert_eq!(found(Op::Query, b"{}"), 0);
    }
}
