//! The mapping engine over a real (in-memory) store with a scripted function: batching, partial failures,
//! bisection, retries and destinations, filters, tumbling windows, checkpoints across restarts.

use std::sync::Arc;
use std::time::Duration;

use eddy_esm::{Destinations, Esm, Invocation, InvokeFailure, Invoker, MappingRequest};
use eddy_model::{AttributeMap, AttributeValue, Clock, Number, ScalarType, Scope};
use eddy_store::{BillingMode, CreateTable, PutItem, Store, StoreConfig, StreamSpecification};
use parking_lot::Mutex;
use serde_json::{Value, json};

type Behaviour = Arc<dyn Fn(&Value) -> Result<Invocation, InvokeFailure> + Send + Sync>;

struct FakeFunction {
    events: Mutex<Vec<Value>>,
    behaviour: Behaviour,
}

impl FakeFunction {
    fn new(
        behaviour: impl Fn(&Value) -> Result<Invocation, InvokeFailure> + Send + Sync + 'static,
    ) -> Arc<FakeFunction> {
        Arc::new(FakeFunction {
            events: Mutex::new(Vec::new()),
            behaviour: Arc::new(behaviour),
        })
    }

    fn events(&self) -> Vec<Value> {
        self.events.lock().clone()
    }

    /// (key, version) of every record delivered, in delivery order.
    fn delivered(&self) -> Vec<(String, i64)> {
        self.events()
            .iter()
            .flat_map(|e| e["Records"].as_array().cloned().unwrap_or_default())
            .map(|r| {
                let image = &r["dynamodb"]["NewImage"];
                (
                    image["pk"]["S"].as_str().unwrap_or_default().to_string(),
                    image["v"]["N"]
                        .as_str()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(-1),
                )
            })
            .collect()
    }
}

fn ok(payload: &str) -> Result<Invocation, InvokeFailure> {
    Ok(Invocation {
        request_id: uuid_like(),
        status_code: 200,
        function_error: None,
        payload: payload.as_bytes().to_vec(),
        executed_version: "$LATEST".into(),
    })
}

fn fail() -> Result<Invocation, InvokeFailure> {
    Ok(Invocation {
        request_id: uuid_like(),
        status_code: 200,
        function_error: Some("Unhandled".into()),
        payload: br#"{"errorMessage":"boom","errorType":"Error"}"#.to_vec(),
        executed_version: "$LATEST".into(),
    })
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}

impl Invoker for FakeFunction {
    fn resolve(&self, scope: &Scope, function: &str) -> Option<String> {
        if function == "missing" {
            return None;
        }
        Some(format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            scope.region, scope.account
        ))
    }

    fn invoke(
        &self,
        _scope: Scope,
        _function_arn: String,
        payload: Vec<u8>,
    ) -> eddy_esm::BoxFuture<Result<Invocation, InvokeFailure>> {
        let event: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
        self.events.lock().push(event.clone());
        let result = (self.behaviour)(&event);
        Box::pin(async move { result })
    }
}

#[derive(Default)]
struct FakeQueue {
    bodies: Mutex<Vec<Value>>,
}

impl Destinations for FakeQueue {
    fn check(&self, _scope: &Scope, arn: &str) -> Result<(), String> {
        if arn.ends_with(":missing") {
            Err(format!("Queue {arn} does not exist"))
        } else {
            Ok(())
        }
    }

    fn deliver(
        &self,
        _scope: Scope,
        _arn: String,
        body: String,
    ) -> eddy_esm::BoxFuture<Result<(), String>> {
        self.bodies
            .lock()
            .push(serde_json::from_str(&body).unwrap_or(Value::Null));
        Box::pin(async { Ok(()) })
    }
}

struct World {
    store: Store,
    scope: Scope,
    stream_arn: String,
}

async fn world(store: Store) -> World {
    let scope = Scope::default();
    let table = store
        .create_table(
            &scope,
            CreateTable {
                name: "events".into(),
                attribute_definitions: vec![("pk".into(), ScalarType::S)],
                key_schema: vec![("pk".into(), "HASH".into())],
                billing_mode: Some(BillingMode::PayPerRequest),
                stream: Some(StreamSpecification {
                    enabled: true,
                    view_type: Some("NEW_AND_OLD_IMAGES".into()),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let stream = table.def.stream.as_ref().unwrap();
    let stream_arn = scope.stream_arn("events", &stream.label);
    World {
        store,
        scope,
        stream_arn,
    }
}

async fn put(w: &World, key: &str, version: i64) {
    let item: AttributeMap = [
        ("pk".to_string(), AttributeValue::S(key.into())),
        (
            "v".to_string(),
            AttributeValue::N(Number::from_i64(version)),
        ),
    ]
    .into_iter()
    .collect();
    w.store
        .put_item(
            &w.scope,
            PutItem {
                table: "events".into(),
                item,
                condition: None,
                return_values: Default::default(),
                return_old_on_condition_failure: false,
                capacity: Default::default(),
            },
        )
        .await
        .unwrap();
}

fn request(w: &World, extra: Value) -> MappingRequest {
    let mut body = json!({"EventSourceArn": w.stream_arn, "FunctionName": "f", "StartingPosition": "TRIM_HORIZON"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    serde_json::from_value(body).unwrap()
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn memory_store() -> Store {
    Store::in_memory(Arc::new(Clock::new()), StoreConfig::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_respect_batch_size_and_order() {
    let w = world(memory_store()).await;
    for v in 0..7 {
        put(&w, "a", v).await;
    }
    let f = FakeFunction::new(|_| ok("null"));
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    let view = esm
        .create(&w.scope, request(&w, json!({"BatchSize": 3})))
        .await
        .unwrap();
    assert_eq!(view["State"], "Creating");
    assert_eq!(view["BatchSize"], 3);
    assert_eq!(view["DestinationConfig"], json!({"OnFailure": {}}));
    wait_until("7 records", || f.delivered().len() == 7).await;
    let sizes: Vec<usize> = f
        .events()
        .iter()
        .map(|e| e["Records"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(
        f.delivered(),
        (0..7).map(|v| ("a".to_string(), v)).collect::<Vec<_>>()
    );
    let record = &f.events()[0]["Records"][0];
    assert_eq!(record["eventSourceARN"], w.stream_arn.as_str());
    assert_eq!(record["eventName"], "INSERT");
    assert_eq!(
        esm.get(&w.scope, view["UUID"].as_str().unwrap()).unwrap()["State"],
        "Enabled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failure_rewinds_to_the_lowest_failed_record() {
    let w = world(memory_store()).await;
    for v in 0..5 {
        put(&w, "a", v).await;
    }
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let f = FakeFunction::new(move |event| {
        let mut n = counter.lock();
        *n += 1;
        if *n == 1 {
            // Report the third record as failed.
            let seq = event["Records"][2]["dynamodb"]["SequenceNumber"]
                .as_str()
                .unwrap();
            ok(&json!({"batchItemFailures": [{"itemIdentifier": seq}]}).to_string())
        } else {
            ok(r#"{"batchItemFailures": []}"#)
        }
    });
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    esm.create(
        &w.scope,
        request(
            &w,
            json!({"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]}),
        ),
    )
    .await
    .unwrap();
    wait_until("the retry", || f.events().len() == 2).await;
    let versions: Vec<i64> = f.delivered().iter().map(|(_, v)| *v).collect();
    assert_eq!(
        versions,
        vec![0, 1, 2, 3, 4, 2, 3, 4],
        "records before the failed one are not redelivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bisection_isolates_a_poison_record_and_retries_then_discards_it() {
    let w = world(memory_store()).await;
    for v in 0..8 {
        put(&w, "a", v).await;
    }
    let f = FakeFunction::new(|event| {
        let poisoned = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["dynamodb"]["NewImage"]["v"]["N"] == "5");
        if poisoned { fail() } else { ok("null") }
    });
    let queue = Arc::new(FakeQueue::default());
    let esm = Esm::new(w.store.clone(), f.clone(), queue.clone());
    esm.create(
        &w.scope,
        request(
            &w,
            json!({"BatchSize": 8, "BisectBatchOnFunctionError": true, "MaximumRetryAttempts": 1,
                   "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}}}),
        ),
    )
    .await
    .unwrap();
    wait_until("the dead letter", || !queue.bodies.lock().is_empty()).await;
    let dead = queue.bodies.lock()[0].clone();
    assert_eq!(
        dead["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(dead["requestContext"]["approximateInvokeCount"], 2);
    assert_eq!(dead["responseContext"]["functionError"], "Unhandled");
    assert_eq!(dead["DDBStreamBatchInfo"]["batchSize"], 1);
    assert_eq!(
        dead["DDBStreamBatchInfo"]["streamArn"],
        w.stream_arn.as_str()
    );
    assert_eq!(
        dead["DDBStreamBatchInfo"]["startSequenceNumber"],
        dead["DDBStreamBatchInfo"]["endSequenceNumber"]
    );
    // Every record is in the first batch, so wait for the last half's batch itself (the eighth invocation).
    wait_until("the neighbours", || f.events().len() >= 8).await;
    // Batches: 8 → 4+4; the first 4 succeed; 4 (with 5) → 2+2; 2 (with 5) → 1+1; 4 ok; 5 fails twice; 6..7 ok.
    let sizes: Vec<usize> = f
        .events()
        .iter()
        .map(|e| e["Records"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![8, 4, 4, 2, 1, 1, 1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_drop_records_before_batching() {
    let w = world(memory_store()).await;
    for v in 0..6 {
        put(&w, &format!("k{v}"), v).await;
    }
    let f = FakeFunction::new(|_| ok("null"));
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    let pattern = r#"{"dynamodb": {"NewImage": {"v": {"N": ["1", "3", "5"]}}}}"#;
    esm.create(
        &w.scope,
        request(
            &w,
            json!({"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}),
        ),
    )
    .await
    .unwrap();
    wait_until("odd records", || f.delivered().len() == 3).await;
    assert_eq!(
        f.delivered().iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        vec![1, 3, 5]
    );
    assert_eq!(
        f.events().len(),
        1,
        "the three matching records form one batch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_survive_a_restart_of_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(Clock::new()), StoreConfig::default()).unwrap();
    let w = world(store).await;
    for v in 0..3 {
        put(&w, "a", v).await;
    }
    let f = FakeFunction::new(|_| ok("null"));
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    esm.create(&w.scope, request(&w, json!({}))).await.unwrap();
    wait_until("first records", || f.delivered().len() == 3).await;
    esm.shutdown().await;
    for v in 3..5 {
        put(&w, "a", v).await;
    }
    let again = FakeFunction::new(|_| ok("null"));
    let esm2 = Esm::new(
        w.store.clone(),
        again.clone(),
        Arc::new(FakeQueue::default()),
    );
    esm2.start().unwrap();
    wait_until("the rest", || again.delivered().len() == 2).await;
    assert_eq!(
        again
            .delivered()
            .iter()
            .map(|(_, v)| *v)
            .collect::<Vec<_>>(),
        vec![3, 4],
        "nothing delivered twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_skips_what_was_written_before_the_mapping() {
    let w = world(memory_store()).await;
    put(&w, "old", 1).await;
    let f = FakeFunction::new(|_| ok("null"));
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    esm.create(&w.scope, request(&w, json!({"StartingPosition": "LATEST"})))
        .await
        .unwrap();
    put(&w, "new", 2).await;
    wait_until("the new record", || !f.delivered().is_empty()).await;
    assert_eq!(f.delivered(), vec![("new".to_string(), 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_match_lambda() {
    let w = world(memory_store()).await;
    let esm = Esm::new(
        w.store.clone(),
        FakeFunction::new(|_| ok("null")),
        Arc::new(FakeQueue::default()),
    );
    let err = esm
        .create(&w.scope, request(&w, json!({"FunctionName": "missing"})))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        ("InvalidParameterValueException", "Function does not exist")
    );
    let mut no_start = request(&w, json!({}));
    no_start.starting_position = None;
    assert_eq!(
        esm.create(&w.scope, no_start).await.unwrap_err().code(),
        "InvalidParameterValueException"
    );
    let err = esm
        .create(
            &w.scope,
            request(&w, json!({"StartingPosition": "AT_TIMESTAMP"})),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        format!(
            "Unsupported starting position for arn type: {}",
            w.stream_arn
        )
    );
    let bad_arn = w.stream_arn.replace("stream/", "stream/1999-");
    let mut bad = request(&w, json!({}));
    bad.event_source_arn = Some(bad_arn.clone());
    assert_eq!(
        esm.create(&w.scope, bad).await.unwrap_err().message(),
        format!("Stream not found: {bad_arn}")
    );
    let first = esm.create(&w.scope, request(&w, json!({}))).await.unwrap();
    let dup = esm
        .create(&w.scope, request(&w, json!({})))
        .await
        .unwrap_err();
    assert_eq!(dup.status(), 409);
    assert!(dup.message().ends_with(first["UUID"].as_str().unwrap()));
    let err = esm
        .get(&w.scope, "00000000-0000-0000-0000-000000000000")
        .unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (404, "The resource you requested does not exist.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tumbling_windows_carry_state_and_end_with_a_final_invoke() {
    let clock = Arc::new(Clock::new());
    clock.set_paused(true);
    let store = Store::in_memory(clock.clone(), StoreConfig::default());
    let w = world(store).await;
    for v in 1..=3 {
        put(&w, "a", v).await;
    }
    let f = FakeFunction::new(|event| {
        let prior = event["state"]["sum"].as_i64().unwrap_or(0);
        let add: i64 = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["dynamodb"]["NewImage"]["v"]["N"]
                    .as_str()
                    .unwrap()
                    .parse::<i64>()
                    .unwrap()
            })
            .sum();
        ok(&json!({"state": {"sum": prior + add}}).to_string())
    });
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    esm.create(
        &w.scope,
        request(&w, json!({"TumblingWindowInSeconds": 60, "BatchSize": 2})),
    )
    .await
    .unwrap();
    wait_until("two batches", || f.events().len() == 2).await;
    clock.advance_ms(61_000);
    wait_until("the final invocation", || {
        f.events()
            .iter()
            .any(|e| e["isFinalInvokeForWindow"] == true)
    })
    .await;
    let events = f.events();
    assert_eq!(events[0]["state"], json!({}));
    assert_eq!(events[1]["state"], json!({"sum": 3}));
    let last = events.last().unwrap();
    assert_eq!(last["state"], json!({"sum": 6}));
    assert_eq!(last["Records"], json!([]));
    assert_eq!(last["isWindowTerminatedEarly"], false);
    assert!(last["window"]["start"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_lanes_keep_per_key_order_and_run_together() {
    let w = world(memory_store()).await;
    for round in 0..5 {
        for key in 0..20 {
            put(&w, &format!("k{key}"), round).await;
        }
    }
    let in_flight = Arc::new(Mutex::new((0usize, 0usize)));
    let tracker = in_flight.clone();
    let f = FakeFunction::new(move |_| {
        // Count how many invocations overlap: the fake sleeps a little with the counter raised.
        {
            let mut t = tracker.lock();
            t.0 += 1;
            t.1 = t.1.max(t.0);
        }
        std::thread::sleep(Duration::from_millis(20));
        tracker.lock().0 -= 1;
        ok("null")
    });
    // The fake runs synchronously inside `invoke`; spawn-blocking style overlap needs an async fake.
    let f2 = f.clone();
    let esm = Esm::new(
        w.store.clone(),
        Arc::new(Parallel(f2)),
        Arc::new(FakeQueue::default()),
    );
    esm.create(
        &w.scope,
        request(&w, json!({"BatchSize": 5, "ParallelizationFactor": 10})),
    )
    .await
    .unwrap();
    wait_until("all records", || f.delivered().len() == 100).await;
    for key in 0..20 {
        let versions: Vec<i64> = f
            .delivered()
            .iter()
            .filter(|(k, _)| *k == format!("k{key}"))
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(versions, vec![0, 1, 2, 3, 4], "k{key} in order");
    }
    assert!(
        in_flight.lock().1 > 1,
        "lanes of one shard were in flight together"
    );
}

/// Runs the fake function on a blocking thread so that invocations can overlap.
struct Parallel(Arc<FakeFunction>);

impl Invoker for Parallel {
    fn resolve(&self, scope: &Scope, function: &str) -> Option<String> {
        self.0.resolve(scope, function)
    }

    fn invoke(
        &self,
        scope: Scope,
        function_arn: String,
        payload: Vec<u8>,
    ) -> eddy_esm::BoxFuture<Result<Invocation, InvokeFailure>> {
        let inner = self.0.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                futures_block(inner.invoke(scope, function_arn, payload))
            })
            .await
            .unwrap_or(Err(InvokeFailure::Other("join".into())))
        })
    }
}

fn futures_block<T>(f: eddy_esm::BoxFuture<T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_records_are_discarded_by_age_without_invoking() {
    let clock = Arc::new(Clock::new());
    clock.set_paused(true);
    let w = world(Store::in_memory(clock.clone(), StoreConfig::default())).await;
    put(&w, "old", 1).await;
    clock.advance_ms(120_000);
    put(&w, "fresh", 2).await;
    let f = FakeFunction::new(|_| ok("null"));
    let queue = Arc::new(FakeQueue::default());
    let esm = Esm::new(w.store.clone(), f.clone(), queue.clone());
    esm.create(
        &w.scope,
        request(&w, json!({"MaximumRecordAgeInSeconds": 60, "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}}})),
    )
    .await
    .unwrap();
    wait_until("the fresh record", || !f.delivered().is_empty()).await;
    assert_eq!(f.delivered(), vec![("fresh".to_string(), 2)]);
    let dead = queue.bodies.lock()[0].clone();
    assert_eq!(dead["requestContext"]["condition"], "RecordAgeExceeded");
    assert!(
        dead.get("responseContext").is_none(),
        "no invocation, no response context"
    );
    assert_eq!(dead["DDBStreamBatchInfo"]["batchSize"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_are_retried_without_spending_the_retry_budget() {
    let clock = Arc::new(Clock::new());
    let w = world(Store::in_memory(clock.clone(), StoreConfig::default())).await;
    put(&w, "a", 1).await;
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let f = FakeFunction::new(move |_| {
        let mut n = counter.lock();
        *n += 1;
        if *n <= 3 {
            Err(InvokeFailure::Throttled("Rate Exceeded.".into()))
        } else {
            ok("null")
        }
    });
    let queue = Arc::new(FakeQueue::default());
    let esm = Esm::new(w.store.clone(), f.clone(), queue.clone());
    esm.create(
        &w.scope,
        request(&w, json!({"MaximumRetryAttempts": 0, "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}}})),
    )
    .await
    .unwrap();
    // Back-off is on the server clock: advance it instead of waiting.
    for _ in 0..50 {
        if *calls.lock() >= 4 {
            break;
        }
        clock.advance_ms(10_000);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_until("delivery after throttles", || *calls.lock() >= 4).await;
    assert!(
        queue.bodies.lock().is_empty(),
        "throttles never discard, even with MaximumRetryAttempts 0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_keeps_the_checkpoint_and_enabling_resumes_from_it() {
    let w = world(memory_store()).await;
    put(&w, "a", 1).await;
    let f = FakeFunction::new(|_| ok("null"));
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    let uuid = esm.create(&w.scope, request(&w, json!({}))).await.unwrap()["UUID"]
        .as_str()
        .unwrap()
        .to_string();
    wait_until("first", || f.delivered().len() == 1).await;
    let disabled: MappingRequest = serde_json::from_value(json!({"Enabled": false})).unwrap();
    assert_eq!(
        esm.update(&w.scope, &uuid, disabled).await.unwrap()["State"],
        "Disabling"
    );
    assert_eq!(esm.get(&w.scope, &uuid).unwrap()["State"], "Disabled");
    put(&w, "a", 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        f.delivered().len(),
        1,
        "nothing is delivered while disabled"
    );
    let enabled: MappingRequest = serde_json::from_value(json!({"Enabled": true})).unwrap();
    assert_eq!(
        esm.update(&w.scope, &uuid, enabled).await.unwrap()["State"],
        "Enabling"
    );
    wait_until("resumed", || f.delivered().len() == 2).await;
    assert_eq!(f.delivered()[1], ("a".to_string(), 2));
    let explain = esm.explain(&uuid).unwrap();
    assert_eq!(
        explain["shards"][0]["checkpoint"].as_str().map(str::len),
        Some(21)
    );
    let deleted = esm.delete(&w.scope, &uuid).await.unwrap();
    assert_eq!(deleted["State"], "Deleting");
    assert!(esm.get(&w.scope, &uuid).is_err());
}

/// A function whose invocations hang until the test opens the gate.
struct GatedFunction {
    events: Mutex<Vec<Value>>,
    open: tokio::sync::watch::Sender<bool>,
}

impl GatedFunction {
    fn versions(&self) -> Vec<i64> {
        self.events
            .lock()
            .iter()
            .flat_map(|e| e["Records"].as_array().cloned().unwrap_or_default())
            .filter_map(|r| r["dynamodb"]["NewImage"]["v"]["N"].as_str()?.parse().ok())
            .collect()
    }
}

impl Invoker for GatedFunction {
    fn resolve(&self, scope: &Scope, function: &str) -> Option<String> {
        Some(format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            scope.region, scope.account
        ))
    }

    fn invoke(
        &self,
        _scope: Scope,
        _function_arn: String,
        payload: Vec<u8>,
    ) -> eddy_esm::BoxFuture<Result<Invocation, InvokeFailure>> {
        let event: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
        self.events.lock().push(event);
        let mut open = self.open.subscribe();
        Box::pin(async move {
            let _ = open.wait_for(|o| *o).await;
            ok("null")
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_delete_do_not_wait_for_invocations_in_flight() {
    let w = world(memory_store()).await;
    let (open, _) = tokio::sync::watch::channel(false);
    let f = Arc::new(GatedFunction {
        events: Mutex::new(Vec::new()),
        open,
    });
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    let created = esm.create(&w.scope, request(&w, json!({}))).await.unwrap();
    let uuid = created["UUID"].as_str().unwrap().to_string();
    put(&w, "a", 1).await;
    wait_until("the first invocation", || f.versions() == vec![1]).await;
    let quick = Duration::from_secs(2);
    let disable: MappingRequest = serde_json::from_value(json!({"Enabled": false})).unwrap();
    let view = tokio::time::timeout(quick, esm.update(&w.scope, &uuid, disable))
        .await
        .expect("a disable does not wait for the function")
        .unwrap();
    assert_eq!(view["State"], "Disabling");
    put(&w, "a", 2).await;
    let enable: MappingRequest = serde_json::from_value(json!({"Enabled": true})).unwrap();
    tokio::time::timeout(quick, esm.update(&w.scope, &uuid, enable))
        .await
        .expect("an enable does not wait for the function")
        .unwrap();
    // The new pollers start once the old batch is over, after its checkpoint: nothing is delivered twice.
    assert_eq!(f.versions(), vec![1]);
    f.open.send_replace(true);
    wait_until("the second record", || f.versions() == vec![1, 2]).await;
    f.open.send_replace(false);
    put(&w, "a", 3).await;
    wait_until("the third invocation", || f.versions() == vec![1, 2, 3]).await;
    let view = tokio::time::timeout(quick, esm.delete(&w.scope, &uuid))
        .await
        .expect("a delete does not wait for the function")
        .unwrap();
    assert_eq!(view["State"], "Deleting");
    assert!(esm.get(&w.scope, &uuid).is_err());
    f.open.send_replace(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_arrives_during_a_batch_opens_a_new_batching_window() {
    let clock = Arc::new(Clock::new());
    clock.set_paused(true);
    let w = world(Store::in_memory(clock.clone(), StoreConfig::default())).await;
    let f = Arc::new(GatedFunction {
        events: Mutex::new(Vec::new()),
        open: tokio::sync::watch::channel(false).0,
    });
    let esm = Esm::new(w.store.clone(), f.clone(), Arc::new(FakeQueue::default()));
    esm.create(
        &w.scope,
        request(
            &w,
            json!({"BatchSize": 5, "MaximumBatchingWindowInSeconds": 10}),
        ),
    )
    .await
    .unwrap();
    put(&w, "w", 1).await;
    // The window counts from when the poller read the record, which the test cannot see: step the clock on.
    wait_until("the first batch", || {
        clock.advance_ms(10_000);
        f.events.lock().len() == 1
    })
    .await;
    // Arrives while the first batch is in flight: its window starts now, not when the first batch's did.
    put(&w, "f", 0).await;
    f.open.send_replace(true);
    for v in 1..5 {
        put(&w, "f", v).await;
    }
    wait_until("the second batch", || f.events.lock().len() == 2).await;
    let second = f.events.lock()[1]["Records"].as_array().unwrap().len();
    assert_eq!(second, 5, "the second batch waited to be full");
}
