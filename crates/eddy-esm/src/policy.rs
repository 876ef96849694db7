//! The failure policy: a pure function from (mapping settings, the state of the batch being processed, the
//! outcome of its invocation) to what happens next — advance, retry after a back-off, bisect, or give up and
//! discard to the on-failure destination. Everything AWS documents about retries lives here, so it can be
//! tested exhaustively without processes or clocks.

/// How an invocation of a batch ended, as the poller classifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The function ran and the batch (or, with ReportBatchItemFailures, every record) succeeded.
    Success,
    /// ReportBatchItemFailures named records; `lowest_failed` is the index in the batch of the first one.
    PartialFailure { lowest_failed: usize },
    /// The function ran and failed: an exception, a timeout, a crash, a malformed partial-batch response, a
    /// tumbling-window response without `state`.
    FunctionError,
    /// The function did not run: throttled (429), deleted, or another invocation error. Retried without
    /// spending the retry budget and never bisected.
    InvocationError,
}

/// Why a batch was given up on (`requestContext.condition` of the destination record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    RetryAttemptsExhausted,
    RecordAgeExceeded,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Condition::RecordAgeExceeded => "RecordAgeExceeded",
        }
    }
}

/// The settings the policy needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// -1: retry until the records expire.
    pub max_retry_attempts: i64,
    pub bisect: bool,
}

/// Where a lane stands with the batch it is working on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchState {
    /// Records in the batch (a prefix of the lane's queue).
    pub len: usize,
    /// Function-error retries already spent on these records.
    pub retries: u32,
    /// Invocations made for these records (`approximateInvokeCount`).
    pub invokes: u32,
    /// Invocation errors in a row (for the back-off).
    pub invocation_errors: u32,
}

/// What to do after an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The whole batch is done.
    Done,
    /// The first `done` records succeeded; the next `retry.len` records are retried after `delay_ms`.
    Retry {
        done: usize,
        retry: BatchState,
        delay_ms: i64,
    },
    /// Split the failed batch: process its first `first` records now, then the rest, as separate batches,
    /// without spending the retry budget.
    Bisect { first: usize, second: usize },
    /// Give up: the first `done` records succeeded, the next `discard` records go to the on-failure
    /// destination (or are dropped) and processing moves on.
    Discard {
        done: usize,
        discard: usize,
        condition: Condition,
    },
}

/// Back-off before retrying after a function error: 100 ms doubling per retry, at most 5 s.
pub fn function_error_backoff_ms(retries: u32) -> i64 {
    (100i64 << retries.saturating_sub(1).min(6)).min(5_000)
}

/// Back-off after an invocation error (throttle): 500 ms doubling, at most 60 s.
pub fn invocation_error_backoff_ms(errors: u32) -> i64 {
    (500i64 << errors.saturating_sub(1).min(7)).min(60_000)
}

impl Policy {
    fn retries_exhausted(&self, retries: u32) -> bool {
        self.max_retry_attempts >= 0 && retries as i64 > self.max_retry_attempts
    }

    /// Decides what follows `outcome` for a batch in state `state` (whose invocation is already counted in
    /// `state.invokes`).
    pub fn decide(&self, state: &BatchState, outcome: &Outcome) -> Decision {
        match outcome {
            Outcome::Success => Decision::Done,
            Outcome::InvocationError => {
                let errors = state.invocation_errors + 1;
                Decision::Retry {
                    done: 0,
                    retry: BatchState {
                        invocation_errors: errors,
                        ..state.clone()
                    },
                    delay_ms: invocation_error_backoff_ms(errors),
                }
            }
            Outcome::FunctionError => {
                if self.bisect && state.len > 1 {
                    let first = state.len / 2;
                    return Decision::Bisect {
                        first,
                        second: state.len - first,
                    };
                }
                self.retry_or_discard(0, state.len, state)
            }
            Outcome::PartialFailure { lowest_failed } => {
                let done = (*lowest_failed).min(state.len);
                self.retry_or_discard(done, state.len - done, state)
            }
        }
    }

    fn retry_or_discard(&self, done: usize, remaining: usize, state: &BatchState) -> Decision {
        let retries = state.retries + 1;
        if self.retries_exhausted(retries) {
            return Decision::Discard {
                done,
                discard: remaining,
                condition: Condition::RetryAttemptsExhausted,
            };
        }
        Decision::Retry {
            done,
            retry: BatchState {
                len: remaining,
                retries,
                invokes: state.invokes,
                invocation_errors: 0,
            },
            delay_ms: function_error_backoff_ms(retries),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(len: usize, retries: u32, invokes: u32) -> BatchState {
        BatchState {
            len,
            retries,
            invokes,
            invocation_errors: 0,
        }
    }

    const NO_BISECT: Policy = Policy {
        max_retry_attempts: 2,
        bisect: false,
    };
    const BISECT: Policy = Policy {
        max_retry_attempts: 2,
        bisect: true,
    };
    const FOREVER: Policy = Policy {
        max_retry_attempts: -1,
        bisect: false,
    };

    #[test]
    fn success_completes_the_batch() {
        assert_eq!(
            NO_BISECT.decide(&state(5, 0, 1), &Outcome::Success),
            Decision::Done
        );
    }

    #[test]
    fn function_errors_spend_the_retry_budget_then_discard() {
        let first = NO_BISECT.decide(&state(5, 0, 1), &Outcome::FunctionError);
        assert_eq!(
            first,
            Decision::Retry {
                done: 0,
                retry: state(5, 1, 1),
                delay_ms: 100
            }
        );
        let second = NO_BISECT.decide(&state(5, 1, 2), &Outcome::FunctionError);
        assert_eq!(
            second,
            Decision::Retry {
                done: 0,
                retry: state(5, 2, 2),
                delay_ms: 200
            }
        );
        let third = NO_BISECT.decide(&state(5, 2, 3), &Outcome::FunctionError);
        assert_eq!(
            third,
            Decision::Discard {
                done: 0,
                discard: 5,
                condition: Condition::RetryAttemptsExhausted
            }
        );
    }

    #[test]
    fn zero_retries_discards_after_the_first_failure() {
        let policy = Policy {
            max_retry_attempts: 0,
            bisect: false,
        };
        assert!(matches!(
            policy.decide(&state(3, 0, 1), &Outcome::FunctionError),
            Decision::Discard { discard: 3, .. }
        ));
    }

    #[test]
    fn infinite_retries_never_discard() {
        for retries in [0, 10, 10_000] {
            assert!(matches!(
                FOREVER.decide(&state(3, retries, retries + 1), &Outcome::FunctionError),
                Decision::Retry { .. }
            ));
        }
    }

    #[test]
    fn bisection_splits_without_spending_retries_until_one_record_is_left() {
        assert_eq!(
            BISECT.decide(&state(8, 0, 1), &Outcome::FunctionError),
            Decision::Bisect {
                first: 4,
                second: 4
            }
        );
        assert_eq!(
            BISECT.decide(&state(5, 1, 1), &Outcome::FunctionError),
            Decision::Bisect {
                first: 2,
                second: 3
            }
        );
        assert_eq!(
            BISECT.decide(&state(1, 0, 1), &Outcome::FunctionError),
            Decision::Retry {
                done: 0,
                retry: state(1, 1, 1),
                delay_ms: 100
            }
        );
    }

    #[test]
    fn partial_failure_keeps_the_prefix_and_retries_the_suffix() {
        let d = NO_BISECT.decide(
            &state(10, 0, 1),
            &Outcome::PartialFailure { lowest_failed: 3 },
        );
        assert_eq!(
            d,
            Decision::Retry {
                done: 3,
                retry: state(7, 1, 1),
                delay_ms: 100
            }
        );
        // With bisection on, a partial failure still splits at the reported record, not in halves.
        let d = BISECT.decide(
            &state(10, 0, 1),
            &Outcome::PartialFailure { lowest_failed: 3 },
        );
        assert_eq!(
            d,
            Decision::Retry {
                done: 3,
                retry: state(7, 1, 1),
                delay_ms: 100
            }
        );
        let exhausted = NO_BISECT.decide(
            &state(7, 2, 3),
            &Outcome::PartialFailure { lowest_failed: 2 },
        );
        assert_eq!(
            exhausted,
            Decision::Discard {
                done: 2,
                discard: 5,
                condition: Condition::RetryAttemptsExhausted
            }
        );
    }

    #[test]
    fn invocation_errors_back_off_without_spending_retries() {
        let d = NO_BISECT.decide(&state(4, 2, 3), &Outcome::InvocationError);
        assert_eq!(
            d,
            Decision::Retry {
                done: 0,
                retry: BatchState {
                    len: 4,
                    retries: 2,
                    invokes: 3,
                    invocation_errors: 1
                },
                delay_ms: 500
            }
        );
        assert_eq!(invocation_error_backoff_ms(20), 60_000);
        assert_eq!(function_error_backoff_ms(50), 5_000);
    }
}
