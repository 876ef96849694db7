use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use eddy_load::client::Endpoint;
use eddy_load::mix::{Mix, parse_duration};
use eddy_load::run::{self, Config};
use eddy_load::workload::Workload;
use eddy_load::{report, run::Report};

/// Load generator for any DynamoDB endpoint (AWS JSON 1.0, SigV4-signed,
/// keep-alive HTTP/1.1, one connection per concurrent worker).
///
/// Items are `pk` (S) = "p<key / rows>", `sk` (N) = key % rows, and a
/// `payload` (S) of --item-size bytes whose first 16 characters are a
/// random version, so that every put changes its item; keys are drawn
/// uniformly from 0..--keys. `get` is GetItem on one key, `query` is Query with
/// `pk = :p` on one partition.
#[derive(Parser, Debug)]
#[command(name = "eddy-load", version)]
struct Args {
    /// Endpoint URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// Table name.
    #[arg(long, default_value = "load")]
    table: String,
    /// Concurrent workers, each with its own connection and one request in flight.
    #[arg(long, short = 'c', default_value_t = 32)]
    concurrency: usize,
    /// Measured time, after warmup (e.g. 10s, 500ms, 2m).
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Measure this many requests (after warmup) instead of a duration.
    #[arg(long, short = 'n')]
    requests: Option<u64>,
    /// Time to run unmeasured first.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Op weights, e.g. put=50,get=40,query=10.
    #[arg(long, default_value = "put=100")]
    mix: Mix,
    /// Bytes of the payload attribute of each put item.
    #[arg(long, default_value_t = 100)]
    item_size: usize,
    /// Key space: keys are drawn uniformly from 0..KEYS.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Items per partition (pk); a query returns up to this many.
    #[arg(long, default_value_t = 10)]
    rows: u64,
    /// Create the table (pk S HASH, sk N RANGE, PAY_PER_REQUEST) if missing and wait until ACTIVE.
    #[arg(long)]
    create_table: bool,
    /// With --create-table: give the table a stream with this view type.
    #[arg(long, value_parser = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])]
    stream_view_type: Option<String>,
    /// Put every key once before the run (so gets and queries find items).
    #[arg(long)]
    prefill: bool,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1", env = "AWS_REGION")]
    region: String,
    /// Access key id to sign with.
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        default_value = "test",
        hide_env_values = true
    )]
    access_key: String,
    /// Secret key to sign with.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        default_value = "test",
        hide_env_values = true,
        hide_default_value = true
    )]
    secret_key: String,
    /// Per-request timeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
    /// Runtime threads (1 = single-threaded runtime; leave a core to the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seed for key and op choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match real_main(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("eddy-load: {e}");
            ExitCode::from(2)
        }
    }
}

fn real_main(a: Args) -> Result<ExitCode, String> {
    if a.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    if a.keys == 0 || a.rows == 0 {
        return Err("--keys and --rows must be at least 1".into());
    }
    let cfg = Config {
        endpoint: Endpoint::parse(&a.endpoint)?,
        table: a.table.clone(),
        item_size: a.item_size,
        region: a.region,
        access_key: a.access_key,
        secret_key: a.secret_key,
        concurrency: a.concurrency,
        duration: a.duration,
        requests: a.requests,
        warmup: a.warmup,
        timeout: a.timeout,
        mix: a.mix,
        workload: Workload::new(&a.table, a.item_size, a.keys, a.rows)
            .with_stream(a.stream_view_type),
        seed: a.seed,
    };
    let threads = a.threads.max(1);
    let rt = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    }
    .enable_all()
    .build()
    .map_err(|e| e.to_string())?;

    let rep: Report = rt.block_on(async {
        if a.create_table {
            run::ensure_table(&cfg).await?;
        }
        if a.prefill {
            let (n, t) = run::prefill(&cfg).await?;
            eprintln!(
                "prefill: {n} items in {:.2} s ({:.0} puts/s)",
                t.as_secs_f64(),
                n as f64 / t.as_secs_f64().max(1e-9)
            );
        }
        run::run(cfg, threads).await
    })?;

    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::to_json(&rep)).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", report::to_text(&rep));
    }
    let total = rep.total();
    // Exit 1 when nothing succeeded, so scripts notice a dead endpoint.
    Ok(if total.latency.count() == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
