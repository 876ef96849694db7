//! Micro-benchmark of the request path before the engine: the full path (parse, model validation) and the
//! checked path (typed decoding straight from the bytes while checking the model, expression parsing).
//! Run: cargo bench -p eddy-server --bench codec
use std::hint::black_box;
use std::time::Instant;

use eddy_server::protocol::{awsjson, model};

const RUNS: u32 = 200_000;

/// Runs `step` RUNS times and prints its mean time.
fn measure<T>(label: &str, mut step: impl FnMut() -> T) {
    let started = Instant::now();
    for _ in 0..RUNS {
        black_box(step());
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(RUNS);
    println!("{label:<24} {micros:>7.2} us");
}

fn main() {
    let body = br#"{"TableName":"load","Item":{"pk":{"S":"p12345"},"sk":{"N":"7"},"payload":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}"#;
    let parsed = awsjson::parse_body(body).expect("the benchmark body is JSON");
    measure("parse_body:", || {
        awsjson::parse_body(black_box(body)).is_ok()
    });
    measure("validate:", || {
        model::dynamodb()
            .validate("PutItem", black_box(&parsed))
            .is_ok()
    });
    measure("checked walk:", || {
        model::dynamodb()
            .decode_checked::<serde::de::IgnoredAny>("PutItem", black_box(body))
            .is_some()
    });
    measure("checked decode+expr:", || {
        eddy_server::dynamodb::bench_decode_put(black_box(body))
    });
}
