//! Micro-benchmark of the request path before the engine: the full path (parse, model validation) and the
//! pre-checked path (pre-check, typed decoding straight from the bytes, expression parsing).
//! Run: cargo bench -p eddy-server --bench codec
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let body = br#"{"TableName":"load","Item":{"pk":{"S":"p12345"},"sk":{"N":"7"},"payload":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}"#;
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        let v = eddy_server::protocol::awsjson::parse_body(black_box(body)).unwrap();
        black_box(v);
    }
    println!(
        "parse_body:        {:>7.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let v = eddy_server::protocol::awsjson::parse_body(body).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        eddy_server::protocol::model::dynamodb()
            .validate("PutItem", black_box(&v))
            .unwrap();
    }
    println!(
        "validate:          {:>7.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        let ok = eddy_server::protocol::model::dynamodb().accepts("PutItem", black_box(body));
        black_box(ok);
    }
    println!(
        "pre-check:         {:>7.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        let r = eddy_server::dynamodb::bench_decode_put(black_box(body));
        black_box(r);
    }
    println!(
        "pre-check+decode+expr: {:>7.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        black_box(v.clone());
    }
    println!(
        "(clone alone):     {:>7.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
