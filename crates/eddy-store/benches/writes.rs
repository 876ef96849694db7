//! In-process write throughput of the engine (no HTTP): N concurrent tasks putting items into a durable store.
//! Run: cargo bench -p eddy-store --bench writes [-- <concurrency> <seconds> [memory|nofsync]]
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use eddy_model::{AttributeMap, AttributeValue, Clock, ScalarType, Scope};
use eddy_store::{BillingMode, CreateTable, PutItem, Store, StoreConfig};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let concurrency: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let mode = args.get(2).cloned().unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            fsync: mode != "nofsync",
            ..StoreConfig::default()
        };
        let clock = Arc::new(Clock::new());
        let store = if mode == "memory" {
            Store::in_memory(clock, config)
        } else {
            Store::open(dir.path(), clock, config).unwrap()
        };
        let scope = Scope::default();
        store
            .create_table(
                &scope,
                CreateTable {
                    name: "bench".into(),
                    attribute_definitions: vec![("pk".into(), ScalarType::S)],
                    key_schema: vec![("pk".into(), "HASH".into())],
                    billing_mode: Some(BillingMode::PayPerRequest),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let (store, scope, done) = (store.clone(), scope.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let item: AttributeMap = [
                        (
                            "pk".to_string(),
                            AttributeValue::S(format!("w{worker}-{}", i % 10_000)),
                        ),
                        ("payload".to_string(), AttributeValue::S("x".repeat(100))),
                    ]
                    .into_iter()
                    .collect();
                    store
                        .put_item(
                            &scope,
                            PutItem {
                                table: "bench".into(),
                                item,
                                condition: None,
                                return_values: Default::default(),
                                return_old_on_condition_failure: false,
                                capacity: Default::default(),
                            },
                        )
                        .await
                        .unwrap();
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let start = Instant::now();
        for t in tasks {
            t.await.unwrap();
        }
        let n = done.load(Ordering::Relaxed);
        println!(
            "{mode:>8} concurrency {concurrency}: {n} puts in {:.2}s = {:.0} puts/s",
            start.elapsed().as_secs_f64(),
            n as f64 / start.elapsed().as_secs_f64()
        );
    });
}
