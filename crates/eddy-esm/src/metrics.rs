//! Metrics of the mappings, kept in process and rendered as Prometheus text (`/_eddy/metrics`). Names follow
//! CloudWatch's (`AWS/Lambda` function metrics as the mapping observes them, and the opt-in `EventCount`
//! mapping metrics), each with its unit in the Prometheus name and the function or mapping as labels.

use std::collections::BTreeMap;
use std::fmt::Write;

use parking_lot::Mutex;

/// Label set: (metric, labels rendered as `k="v",…`).
type Key = (&'static str, String);

#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, f64>>,
    gauges: Mutex<BTreeMap<Key, f64>>,
}

/// Help text and type of each metric eddy reports.
const CATALOG: &[(&str, &str, &str)] = &[
    (
        "eddy_lambda_invocations_total",
        "counter",
        "Invocations of the function made by event source mappings",
    ),
    (
        "eddy_lambda_errors_total",
        "counter",
        "Invocations that ended in a function error",
    ),
    (
        "eddy_lambda_throttles_total",
        "counter",
        "Invocations refused with TooManyRequestsException",
    ),
    (
        "eddy_lambda_duration_milliseconds_total",
        "counter",
        "Summed duration of invocations",
    ),
    (
        "eddy_lambda_concurrent_executions",
        "gauge",
        "Invocations in flight",
    ),
    (
        "eddy_lambda_iterator_age_milliseconds",
        "gauge",
        "Age of the last record of the last batch sent (IteratorAge)",
    ),
    (
        "eddy_lambda_destination_delivery_failures_total",
        "counter",
        "Failed deliveries to an on-failure destination",
    ),
    (
        "eddy_esm_polled_events_total",
        "counter",
        "Records read from the stream (EventCount metrics)",
    ),
    (
        "eddy_esm_filtered_out_events_total",
        "counter",
        "Records dropped by filter criteria (EventCount metrics)",
    ),
    (
        "eddy_esm_invoked_events_total",
        "counter",
        "Records sent to the function, retries included (EventCount metrics)",
    ),
    (
        "eddy_esm_failed_invoke_events_total",
        "counter",
        "Records of failed invocations (EventCount metrics)",
    ),
    (
        "eddy_esm_dropped_events_total",
        "counter",
        "Records discarded without reaching a destination (EventCount metrics)",
    ),
    (
        "eddy_esm_on_failure_destination_delivered_events_total",
        "counter",
        "Records whose invocation record reached the on-failure destination (EventCount metrics)",
    ),
];

pub fn function_labels(function_arn: &str) -> String {
    let name = function_arn.split(':').nth(6).unwrap_or(function_arn);
    format!("function_name=\"{name}\"")
}

pub fn mapping_labels(uuid: &str) -> String {
    format!("event_source_mapping_uuid=\"{uuid}\"")
}

impl Metrics {
    pub fn add(&self, metric: &'static str, labels: &str, value: f64) {
        *self
            .counters
            .lock()
            .entry((metric, labels.to_string()))
            .or_default() += value;
    }

    pub fn set(&self, metric: &'static str, labels: &str, value: f64) {
        self.gauges
            .lock()
            .insert((metric, labels.to_string()), value);
    }

    pub fn adjust(&self, metric: &'static str, labels: &str, delta: f64) {
        *self
            .gauges
            .lock()
            .entry((metric, labels.to_string()))
            .or_default() += delta;
    }

    pub fn counter(&self, metric: &'static str, labels: &str) -> f64 {
        self.counters
            .lock()
            .get(&(metric, labels.to_string()))
            .copied()
            .unwrap_or(0.0)
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let counters = self.counters.lock().clone();
        let gauges = self.gauges.lock().clone();
        let mut out = String::new();
        for (name, kind, help) in CATALOG {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            let source = if *kind == "counter" {
                &counters
            } else {
                &gauges
            };
            for ((metric, labels), value) in source.iter() {
                if metric == name {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        let labels = function_labels("arn:aws:lambda:us-east-1:000000000000:function:f");
        m.add("eddy_lambda_invocations_total", &labels, 2.0);
        m.set("eddy_lambda_iterator_age_milliseconds", &labels, 15.0);
        let text = m.render();
        assert!(text.contains("# TYPE eddy_lambda_invocations_total counter"));
        assert!(text.contains("eddy_lambda_invocations_total{function_name=\"f\"} 2"));
        assert!(text.contains("eddy_lambda_iterator_age_milliseconds{function_name=\"f\"} 15"));
    }
}
