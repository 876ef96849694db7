//! Concurrency accounting and per-function metrics. Concurrency is the number of invocations in flight (each
//! occupies one execution environment). As on AWS, per (account, region): a function with reserved
//! concurrency may run up to its reservation (0 throttles everything); all other functions share what is left
//! of the account limit after every reservation. A permit is taken before an environment is chosen and given
//! back when the invocation ends, whatever its outcome.

use std::collections::HashMap;
use std::sync::Arc;

use eddy_model::Scope;
use parking_lot::Mutex;

use crate::ThrottleReason;

type FunctionKey = (Scope, String);

#[derive(Default)]
struct State {
    /// In-flight invocations per function.
    per_function: HashMap<FunctionKey, u32>,
    /// In-flight invocations of functions without a reservation, per scope.
    unreserved: HashMap<Scope, u32>,
}

pub struct Concurrency {
    pub account_limit: u32,
    state: Mutex<State>,
    metrics: Mutex<HashMap<FunctionKey, FunctionMetrics>>,
}

/// Counters of one function since eddy started.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunctionMetrics {
    pub invocations: u64,
    /// Invocations that ended in a function error (including timeouts and crashes).
    pub errors: u64,
    pub throttles: u64,
    /// Sum of invocation durations, milliseconds.
    pub duration_ms_total: f64,
    pub duration_ms_max: f64,
    /// Invocations in flight now.
    pub concurrent_executions: u32,
    /// The most invocations ever in flight at once.
    pub max_concurrent_executions: u32,
}

/// A snapshot row: which function, and its counters.
#[derive(Clone, Debug)]
pub struct MetricsEntry {
    pub scope: Scope,
    pub function: String,
    pub metrics: FunctionMetrics,
}

/// One invocation's claim on concurrency; released on drop.
pub struct Permit {
    owner: Arc<Concurrency>,
    key: FunctionKey,
    reserved: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut state = self.owner.state.lock();
            if let Some(n) = state.per_function.get_mut(&self.key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    state.per_function.remove(&self.key);
                }
            }
            if !self.reserved
                && let Some(n) = state.unreserved.get_mut(&self.key.0)
            {
                *n = n.saturating_sub(1);
            }
        }
        let mut metrics = self.owner.metrics.lock();
        if let Some(m) = metrics.get_mut(&self.key) {
            m.concurrent_executions = m.concurrent_executions.saturating_sub(1);
        }
    }
}

impl Concurrency {
    pub fn new(account_limit: u32) -> Arc<Concurrency> {
        Arc::new(Concurrency {
            account_limit,
            state: Mutex::new(State::default()),
            metrics: Mutex::new(HashMap::new()),
        })
    }

    /// Claims one unit for `function`. `reserved` is the function's reservation, `reserved_total` the sum of
    /// all reservations in the scope.
    pub fn acquire(
        self: &Arc<Self>,
        scope: &Scope,
        function: &str,
        reserved: Option<u32>,
        reserved_total: u32,
    ) -> Result<Permit, ThrottleReason> {
        let key = (scope.clone(), function.to_string());
        let granted = {
            let mut state = self.state.lock();
            let running = state.per_function.get(&key).copied().unwrap_or(0);
            match reserved {
                Some(limit) if running >= limit => {
                    Err(ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded)
                }
                Some(_) => {
                    *state.per_function.entry(key.clone()).or_default() += 1;
                    Ok(running + 1)
                }
                None => {
                    let pool = self.account_limit.saturating_sub(reserved_total);
                    let used = state.unreserved.get(scope).copied().unwrap_or(0);
                    if used >= pool {
                        Err(ThrottleReason::ConcurrentInvocationLimitExceeded)
                    } else {
                        *state.unreserved.entry(scope.clone()).or_default() += 1;
                        *state.per_function.entry(key.clone()).or_default() += 1;
                        Ok(running + 1)
                    }
                }
            }
        };
        let mut metrics = self.metrics.lock();
        let m = metrics.entry(key.clone()).or_default();
        match granted {
            Ok(running) => {
                m.concurrent_executions = running;
                m.max_concurrent_executions = m.max_concurrent_executions.max(running);
                Ok(Permit {
                    owner: self.clone(),
                    key,
                    reserved: reserved.is_some(),
                })
            }
            Err(reason) => {
                m.throttles += 1;
                Err(reason)
            }
        }
    }

    /// Counts one finished invocation.
    pub fn record(&self, scope: &Scope, function: &str, duration_ms: f64, failed: bool) {
        let mut metrics = self.metrics.lock();
        let m = metrics
            .entry((scope.clone(), function.to_string()))
            .or_default();
        m.invocations += 1;
        if failed {
            m.errors += 1;
        }
        m.duration_ms_total += duration_ms;
        m.duration_ms_max = m.duration_ms_max.max(duration_ms);
    }

    pub fn snapshot(&self) -> Vec<MetricsEntry> {
        let mut out: Vec<MetricsEntry> = self
            .metrics
            .lock()
            .iter()
            .map(|((scope, function), m)| MetricsEntry {
                scope: scope.clone(),
                function: function.clone(),
                metrics: m.clone(),
            })
            .collect();
        out.sort_by(|a, b| (&a.scope, &a.function).cmp(&(&b.scope, &b.function)));
        out
    }

    /// Invocations in flight in a scope (for GetAccountSettings-style reporting and tests).
    pub fn in_flight(&self, scope: &Scope, function: &str) -> u32 {
        self.state
            .lock()
            .per_function
            .get(&(scope.clone(), function.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_concurrency_caps_a_function_and_zero_throttles() {
        let c = Concurrency::new(1000);
        let s = Scope::default();
        let a = c.acquire(&s, "f", Some(1), 1).unwrap();
        assert_eq!(
            c.acquire(&s, "f", Some(1), 1).err(),
            Some(ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded)
        );
        drop(a);
        assert!(c.acquire(&s, "f", Some(1), 1).is_ok());
        assert!(c.acquire(&s, "g", Some(0), 0).is_err());
        let m = c.snapshot();
        assert_eq!(
            m.iter()
                .find(|e| e.function == "f")
                .unwrap()
                .metrics
                .throttles,
            1
        );
    }

    #[test]
    fn unreserved_functions_share_what_reservations_leave() {
        let c = Concurrency::new(3);
        let s = Scope::default();
        let _a = c.acquire(&s, "f", None, 1).unwrap();
        let _b = c.acquire(&s, "g", None, 1).unwrap();
        assert_eq!(
            c.acquire(&s, "h", None, 1).err(),
            Some(ThrottleReason::ConcurrentInvocationLimitExceeded)
        );
        // Another region has its own limit.
        let other = Scope::new("000000000000", "eu-west-1");
        assert!(c.acquire(&other, "h", None, 0).is_ok());
    }
}
