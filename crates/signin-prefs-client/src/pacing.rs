//! One throttle state per tenant and app, shared by every task that uses the client.
//!
//! Retrying each 429 on its own lets a hundred workers keep hammering a service that asked them to
//! stop, which Graph counts against the app. Instead, a 429 pauses every request for the wait the
//! service asked for, and cuts the sending rate multiplicatively; each success then raises it
//! additively (AIMD, as TCP does), until the pacer lets requests through unpaced again. The pacer
//! thus settles just under the rate the service allows, with few 429s.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How the rate falls and climbs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PacingConfig {
    /// Requests per second before any 429; `None`: unpaced until the service first objects.
    pub initial_rate: Option<f64>,
    /// The rate never falls below this (requests per second).
    pub min_rate: f64,
    /// Once the rate climbs back to this, requests go unpaced again.
    pub max_rate: f64,
    /// How fast the rate climbs back: requests per second gained per second of successes.
    pub additive_increase: f64,
    /// The factor the rate is multiplied by at a 429 (between 0 and 1).
    pub decrease_factor: f64,
    /// The pause when a 429 gives no `Retry-After`.
    pub default_pause: Duration,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            initial_rate: None,
            min_rate: 0.5,
            max_rate: 2_000.0,
            additive_increase: 5.0,
            decrease_factor: 0.5,
            default_pause: Duration::from_secs(1),
        }
    }
}

impl PacingConfig {
    /// Never pauses nor paces (for measurements against an unthrottled server).
    pub fn disabled() -> Self {
        Self {
            initial_rate: None,
            decrease_factor: 1.0,
            default_pause: Duration::ZERO,
            ..Self::default()
        }
    }

    fn is_disabled(&self) -> bool {
        self.initial_rate.is_none() && self.decrease_factor >= 1.0 && self.default_pause.is_zero()
    }
}

/// What the pacer is doing now, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PacingSnapshot {
    /// The current rate, requests per second; `None` when unpaced.
    pub rate: Option<f64>,
    /// How much longer every request is held back by the last 429.
    pub paused_for: Duration,
    /// 429s reported so far.
    pub throttle_signals: u64,
    /// Of those, the ones that cut the rate (one per burst of 429s, not one per request).
    pub rate_cuts: u64,
}

/// How many recent sends the measured rate is computed over.
const RATE_WINDOW: usize = 32;

/// The pacer's state, with time passed in so the maths can be tested without a clock.
#[derive(Debug, Clone)]
pub(crate) struct PacingState {
    config: PacingConfig,
    rate: Option<f64>,
    paused_until: Option<Instant>,
    next_slot: Option<Instant>,
    last_cut: Option<Instant>,
    recent_sends: VecDeque<Instant>,
    throttle_signals: u64,
    rate_cuts: u64,
}

impl PacingState {
    pub(crate) fn new(config: PacingConfig) -> Self {
        let rate = config
            .initial_rate
            .map(|rate| rate.clamp(config.min_rate, config.max_rate));
        Self {
            config,
            rate,
            paused_until: None,
            next_slot: None,
            last_cut: None,
            recent_sends: VecDeque::with_capacity(RATE_WINDOW),
            throttle_signals: 0,
            rate_cuts: 0,
        }
    }

    /// Books the next send: returns when it may go (now or later).
    pub(crate) fn reserve(&mut self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(paused_until) = self.paused_until {
            at = at.max(paused_until);
        }
        if let (Some(rate), Some(next_slot)) = (self.rate, self.next_slot) {
            at = at.max(next_slot);
            self.next_slot = Some(at + interval(rate));
        } else if let Some(rate) = self.rate {
            self.next_slot = Some(at + interval(rate));
        }
        if self.recent_sends.len() == RATE_WINDOW {
            self.recent_sends.pop_front();
        }
        self.recent_sends.push_back(at);
        at
    }

    /// A request succeeded: climb back, by `additive_increase` per second of successes.
    pub(crate) fn record_success(&mut self) {
        if let Some(rate) = self.rate {
            let raised = rate + self.config.additive_increase / rate.max(f64::MIN_POSITIVE);
            if raised >= self.config.max_rate {
                self.rate = None;
                self.next_slot = None;
            } else {
                self.rate = Some(raised);
            }
        }
    }

    /// A 429 for a request sent at `sent_at`: pause everyone for `retry_after`, and cut the rate
    /// once per burst. A 429 for a request sent before the last cut was sent at the old rate, so
    /// it says nothing new about the new one.
    pub(crate) fn record_throttle(
        &mut self,
        now: Instant,
        sent_at: Instant,
        retry_after: Option<Duration>,
    ) {
        if self.config.is_disabled() {
            return;
        }
        self.throttle_signals += 1;
        let pause = retry_after.unwrap_or(self.config.default_pause);
        let until = now + pause;
        self.paused_until = Some(
            self.paused_until
                .map_or(until, |current| current.max(until)),
        );
        if self.last_cut.is_some_and(|cut| sent_at <= cut) {
            return;
        }
        let current = self
            .rate
            .or_else(|| self.measured_rate())
            .unwrap_or(self.config.max_rate);
        let cut = (current * self.config.decrease_factor)
            .clamp(self.config.min_rate, self.config.max_rate);
        self.rate = Some(cut);
        self.next_slot = self.paused_until;
        self.last_cut = Some(now);
        self.rate_cuts += 1;
    }

    /// Requests per second over the recent sends, when there are enough to tell.
    fn measured_rate(&self) -> Option<f64> {
        let first = self.recent_sends.front()?;
        let last = self.recent_sends.back()?;
        let span = last.saturating_duration_since(*first).as_secs_f64();
        let gaps = self.recent_sends.len().saturating_sub(1);
        (gaps >= 2 && span > 0.0).then(|| gaps as f64 / span)
    }

    pub(crate) fn snapshot(&self, now: Instant) -> PacingSnapshot {
        PacingSnapshot {
            rate: self.rate,
            paused_for: self
                .paused_until
                .map_or(Duration::ZERO, |until| until.saturating_duration_since(now)),
            throttle_signals: self.throttle_signals,
            rate_cuts: self.rate_cuts,
        }
    }
}

fn interval(rate: f64) -> Duration {
    Duration::from_secs_f64(1.0 / rate.max(f64::MIN_POSITIVE)).min(Duration::from_secs(3600))
}

/// The shared throttle state. Clones of a [`Client`](crate::Client) share one; to share it between
/// clients of the same tenant and app, hand the same `Arc<Pacer>` to each builder.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<PacingState>,
}

impl Pacer {
    /// A pacer with its own state.
    pub fn new(config: PacingConfig) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(PacingState::new(config)),
        })
    }

    fn state(&self) -> MutexGuard<'_, PacingState> {
        // The state is plain numbers, valid after any panic that poisoned the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for this request's turn; returns when it went.
    pub(crate) async fn acquire(&self) -> Instant {
        let now = Instant::now();
        let at = self.state().reserve(now);
        if at > now {
            tokio::time::sleep_until(at.into()).await;
        }
        at
    }

    /// When the next request could go, without booking it.
    pub(crate) fn earliest_send(&self) -> Instant {
        let now = Instant::now();
        self.state().clone().reserve(now)
    }

    pub(crate) fn on_success(&self) {
        self.state().record_success();
    }

    pub(crate) fn on_throttled(&self, sent_at: Instant, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut state = self.state();
        state.record_throttle(now, sent_at, retry_after);
        let snapshot = state.snapshot(now);
        drop(state);
        tracing::info!(
            rate = ?snapshot.rate,
            paused_for_ms = snapshot.paused_for.as_millis() as u64,
            "throttled: pausing every request of this tenant and app"
        );
    }

    /// What the pacer is doing now.
    pub fn snapshot(&self) -> PacingSnapshot {
        self.state().snapshot(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> PacingConfig {
        PacingConfig {
            initial_rate: Some(10.0),
            min_rate: 1.0,
            max_rate: 100.0,
            additive_increase: 10.0,
            decrease_factor: 0.5,
            default_pause: Duration::from_secs(1),
        }
    }

    #[test]
    fn paced_sends_are_spaced_by_the_rate() {
        let start = Instant::now();
        let mut state = PacingState::new(config());
        let slots: Vec<_> = (0..3).map(|_| state.reserve(start)).collect();
        assert_eq!(slots[0], start);
        assert_eq!(slots[1], start + Duration::from_millis(100));
        assert_eq!(slots[2], start + Duration::from_millis(200));
    }

    #[test]
    fn a_429_pauses_everyone_and_halves_the_rate_once_per_burst() {
        let start = Instant::now();
        let mut state = PacingState::new(config());
        let sent = state.reserve(start);
        let later = state.reserve(start);
        state.record_throttle(start, sent, Some(Duration::from_secs(3)));
        // A second 429 from the same burst (sent before the cut) pauses but does not cut again.
        state.record_throttle(start, sent, Some(Duration::from_secs(2)));
        let snapshot = state.snapshot(start);
        assert_eq!(snapshot.rate, Some(5.0));
        assert_eq!(snapshot.rate_cuts, 1);
        assert_eq!(snapshot.throttle_signals, 2);
        assert_eq!(snapshot.paused_for, Duration::from_secs(3));
        assert!(state.reserve(start) >= start + Duration::from_secs(3));
        assert!(later < start + Duration::from_secs(3));
    }

    #[test]
    fn the_rate_climbs_back_until_unpaced() {
        let start = Instant::now();
        let mut state = PacingState::new(config());
        state.record_throttle(start, start, None);
        assert_eq!(state.snapshot(start).rate, Some(5.0));
        let mut successes = 0;
        while state.snapshot(start).rate.is_some() {
            state.record_success();
            successes += 1;
            assert!(successes < 10_000, "never climbed back");
        }
        assert!(successes > 10);
    }

    #[test]
    fn unpaced_clients_cut_from_the_measured_rate() {
        let start = Instant::now();
        let mut state = PacingState::new(PacingConfig::default());
        for index in 0..20 {
            state.reserve(start + Duration::from_millis(10 * index));
        }
        let now = start + Duration::from_millis(200);
        state.record_throttle(now, now, Some(Duration::from_secs(1)));
        // 100 requests per second measured, halved.
        let rate = state.snapshot(now).rate.unwrap();
        assert!((rate - 50.0).abs() < 1.0, "{rate}");
    }

    #[test]
    fn disabled_pacing_never_waits() {
        let start = Instant::now();
        let mut state = PacingState::new(PacingConfig::disabled());
        state.record_throttle(start, start, Some(Duration::from_secs(30)));
        assert_eq!(state.reserve(start), start);
    }

    proptest! {
        #[test]
        fn the_rate_stays_within_bounds_and_pauses_are_honoured(
            events in proptest::collection::vec((any::<bool>(), 0u64..5_000, 0u64..2_000), 1..200)
        ) {
            let start = Instant::now();
            let mut state = PacingState::new(config());
            let mut now = start;
            for (throttled, retry_after_ms, step_ms) in events {
                now += Duration::from_millis(step_ms);
                let sent = state.reserve(now);
                if throttled {
                    state.record_throttle(now, sent, Some(Duration::from_millis(retry_after_ms)));
                    prop_assert!(state.reserve(now) >= now + Duration::from_millis(retry_after_ms));
                } else {
                    state.record_success();
                }
                if let Some(rate) = state.snapshot(now).rate {
                    prop_assert!((1.0..100.0).contains(&rate));
                }
            }
        }
    }
}
