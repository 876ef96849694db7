//! The server clock. Everything time-based in eddy (TTL, stream retention, iterator expiry, record ages, retry
//! back-off, batching windows) reads this clock rather than the system time, so tests can pause it and jump it
//! forward: "records older than 24 h are trimmed" then runs in milliseconds. The clock never goes backwards.
//!
//! Waiting on the clock (`sleep_until`) wakes both when real time passes and when the clock is advanced.
//!
//! The one exception is [`wall_ms`]: what other machines' clocks say (SigV4 request dates are checked
//! against it, since clients sign with their own clocks).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tokio::sync::watch;

#[derive(Debug)]
struct State {
    /// Added to the wall clock while running.
    offset_ms: i64,
    /// The frozen time while paused.
    frozen_at: Option<i64>,
}

#[derive(Debug)]
pub struct Clock {
    state: Mutex<State>,
    /// Bumped on every pause, resume or advance, so waiters re-check their deadline.
    changes: watch::Sender<u64>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

/// The system's wall-clock time (epoch ms), whatever the server clock says.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// The latest time the clock can show: the end of year 9999 (DynamoDB's dates have four-digit years).
    pub const LATEST_MS: i64 = 253_402_300_799_999;

    pub fn new() -> Clock {
        Clock {
            state: Mutex::new(State {
                offset_ms: 0,
                frozen_at: None,
            }),
            changes: watch::channel(0).0,
        }
    }

    /// Milliseconds since the Unix epoch, by the server clock.
    pub fn now_ms(&self) -> i64 {
        let state = self.state.lock();
        state
            .frozen_at
            .unwrap_or_else(|| wall_ms() + state.offset_ms)
    }

    pub fn is_paused(&self) -> bool {
        self.state.lock().frozen_at.is_some()
    }

    /// Freezes or releases the clock. Releasing continues from the frozen time (no jump).
    pub fn set_paused(&self, paused: bool) {
        {
            let mut state = self.state.lock();
            match (paused, state.frozen_at) {
                (true, None) => state.frozen_at = Some(wall_ms() + state.offset_ms),
                (false, Some(frozen)) => {
                    state.offset_ms = frozen - wall_ms();
                    state.frozen_at = None;
                }
                _ => {}
            }
        }
        self.notify();
    }

    /// Moves the clock forward (negative amounts are ignored: the clock never goes backwards), at most to
    /// [`Clock::LATEST_MS`].
    pub fn advance_ms(&self, ms: i64) {
        if ms <= 0 {
            return;
        }
        {
            let mut state = self.state.lock();
            match state.frozen_at.as_mut() {
                Some(frozen) => *frozen = frozen.saturating_add(ms).min(Self::LATEST_MS),
                None => {
                    let room = Self::LATEST_MS
                        .saturating_sub(wall_ms() + state.offset_ms)
                        .max(0);
                    state.offset_ms += ms.min(room);
                }
            }
        }
        self.notify();
    }

    /// How far the clock may be advanced from now: up to [`Clock::LATEST_MS`].
    pub fn room_ms(&self) -> i64 {
        Self::LATEST_MS.saturating_sub(self.now_ms()).max(0)
    }

    fn notify(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// A receiver that changes whenever the clock is paused, resumed or advanced.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Waits until the server clock reads at least `deadline_ms`.
    pub async fn sleep_until(&self, deadline_ms: i64) {
        let mut changes = self.subscribe();
        loop {
            let now = self.now_ms();
            if now >= deadline_ms {
                return;
            }
            let real_wait = if self.is_paused() {
                Duration::from_secs(3600)
            } else {
                Duration::from_millis((deadline_ms - now) as u64)
            };
            tokio::select! {
                _ = tokio::time::sleep(real_wait) => {}
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_only_moves_when_advanced() {
        let clock = Clock::new();
        clock.set_paused(true);
        let t0 = clock.now_ms();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now_ms(), t0);
        clock.advance_ms(86_400_000);
        assert_eq!(clock.now_ms(), t0 + 86_400_000);
        clock.set_paused(false);
        assert!(clock.now_ms() >= t0 + 86_400_000);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sleep_until_wakes_on_advance() {
        let clock = std::sync::Arc::new(Clock::new());
        clock.set_paused(true);
        let deadline = clock.now_ms() + 60_000;
        let waiter = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(deadline).await })
        };
        tokio::task::yield_now().await;
        clock.advance_ms(60_000);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
    }
}
