//! The result: a human table, or JSON for scripts.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::mix::Op;
use crate::run::{OpStats, Report};

const QUANTILES: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)];

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Rounded to 3 decimals, for JSON.
fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn op_json(rep: &Report, s: &OpStats) -> Value {
    let h = &s.latency;
    let mut lat = serde_json::Map::new();
    lat.insert("mean".into(), json!(r3(h.mean() / 1e6)));
    for (name, q) in QUANTILES {
        lat.insert(name.into(), json!(r3(ms(h.quantile(q)))));
    }
    lat.insert("max".into(), json!(r3(ms(h.max()))));
    json!({
        "ok": h.count(),
        "errors": s.errors,
        "ops_per_sec": r3(rep.rate(h.count())),
        "latency_ms": lat,
    })
}

pub fn to_json(rep: &Report) -> Value {
    let c = &rep.config;
    let mut ops = serde_json::Map::new();
    for op in c.mix.ops() {
        let mut v = op_json(rep, rep.op(op));
        match op {
            Op::Get => v["items_found"] = json!(rep.op(op).found),
            Op::Query => v["items_returned"] = json!(rep.op(op).found),
            Op::Put => {}
        }
        ops.insert(op.name().into(), v);
    }
    json!({
        "endpoint": format!("http://{}", c.endpoint.authority),
        "table": c.table,
        "mix": c.mix.to_string(),
        "concurrency": c.concurrency,
        "threads": rep.threads,
        "item_size": c.item_size,
        "keys": c.workload.keys,
        "rows_per_partition": c.workload.rows,
        "warmup_s": c.warmup.as_secs_f64(),
        "warmup_requests": rep.stats.warmup_requests,
        "reconnects": rep.stats.reconnects,
        "elapsed_s": r3(rep.elapsed.as_secs_f64()),
        "total": op_json(rep, &rep.total()),
        "ops": ops,
        "errors": rep.stats.errors,
    })
}

pub fn to_text(rep: &Report) -> String {
    let c = &rep.config;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "eddy-load  http://{}  table {}  mix {}  concurrency {}  threads {}  item {} B  keys {}",
        c.endpoint.authority,
        c.table,
        c.mix,
        c.concurrency,
        rep.threads,
        c.item_size,
        c.workload.keys,
    );
    let _ = writeln!(
        out,
        "measured {:.2} s after {:.1} s warmup ({} warmup requests)\n",
        rep.elapsed.as_secs_f64(),
        c.warmup.as_secs_f64(),
        rep.stats.warmup_requests,
    );
    let _ = writeln!(
        out,
        "{:<6} {:>10} {:>8} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "op",
        "ok",
        "errors",
        "ops/s",
        "mean ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms"
    );
    let mut row = |name: &str, s: &OpStats| {
        let h = &s.latency;
        let _ = writeln!(
            out,
            "{:<6} {:>10} {:>8} {:>11.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            name,
            h.count(),
            s.errors,
            rep.rate(h.count()),
            h.mean() / 1e6,
            ms(h.quantile(0.5)),
            ms(h.quantile(0.9)),
            ms(h.quantile(0.99)),
            ms(h.quantile(0.999)),
            ms(h.max()),
        );
    };
    let ops: Vec<Op> = c.mix.ops().collect();
    for &op in &ops {
        row(op.name(), rep.op(op));
    }
    if ops.len() > 1 {
        row("total", &rep.total());
    }
    let get = rep.op(Op::Get);
    if ops.contains(&Op::Get) && get.latency.count() > 0 {
        let _ = writeln!(
            out,
            "\nget: {:.1}% of reads found an item",
            100.0 * get.found as f64 / get.latency.count() as f64
        );
    }
    let q = rep.op(Op::Query);
    if ops.contains(&Op::Query) && q.latency.count() > 0 {
        let _ = writeln!(
            out,
            "query: {:.2} items per query on average",
            q.found as f64 / q.latency.count() as f64
        );
    }
    if rep.stats.reconnects > 0 {
        let _ = writeln!(
            out,
            "\nreconnects: {} (whole run; the server closed connections, reopening is in the latency)",
            rep.stats.reconnects
        );
    }
    if !rep.stats.errors.is_empty() {
        let _ = writeln!(out, "\nerrors by type:");
        for (k, v) in &rep.stats.errors {
            let _ = writeln!(out, "  {k:<40} {v}");
        }
    }
    out
}
