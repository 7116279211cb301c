//! One throttle state per tenant and app, shared by every task that uses the client.
//!
//! Retrying each 429 on its own lets a hundred workers keep hammering a service that asked them to
//! stop, which Graph counts against the app. Instead, a 429 pauses every request for the wait the
//! service asked for, and sets the sending rate just under what the service delivered before
//! objecting (a multiplicative cut, once per burst of 429s); each success then raises it additively
//! (AIMD, as TCP does), gently near the rate that drew the last 429 and briskly elsewhere, until the
//! pacer lets requests through unpaced again. The pacer thus settles just under the rate the
//! service allows, with few 429s.

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
    /// At a 429, the rate becomes this fraction (between 0 and 1) of the lower of the current rate
    /// and the rate the service delivered over the last seconds.
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
            decrease_factor: 0.8,
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
/// How far back successes count towards the delivered rate.
const DELIVERED_WINDOW: Duration = Duration::from_secs(2);
/// The shortest span a delivered rate is computed over: a burst of successes in a few
/// milliseconds says how big the service's bucket is, not how fast it refills.
const SHORTEST_SPAN: Duration = Duration::from_secs(1);
/// At most this many successes are remembered.
const SUCCESS_MEMORY: usize = 4096;
/// Between these fractions of the rate that drew the last 429, the rate climbs ten times slower.
const PLATEAU_BAND: (f64, f64) = (0.9, 1.2);

/// The pacer's state, with time passed in so the maths can be tested without a clock.
#[derive(Debug, Clone)]
pub(crate) struct PacingState {
    config: PacingConfig,
    rate: Option<f64>,
    paused_until: Option<Instant>,
    next_slot: Option<Instant>,
    last_cut: Option<Instant>,
    recent_sends: VecDeque<Instant>,
    recent_successes: VecDeque<Instant>,
    /// The rate in effect when the service last objected.
    plateau: Option<f64>,
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
            recent_successes: VecDeque::new(),
            plateau: None,
            throttle_signals: 0,
            rate_cuts: 0,
        }
    }

    /// When the next send could go, without booking it.
    pub(crate) fn earliest(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(paused_until) = self.paused_until {
            at = at.max(paused_until);
        }
        if let (Some(_), Some(next_slot)) = (self.rate, self.next_slot) {
            at = at.max(next_slot);
        }
        at
    }

    /// Books the next send, worth `weight` requests (a `$batch` of 20 counts as 20 against Graph's
    /// limits): returns when it may go (now or later).
    pub(crate) fn reserve(&mut self, now: Instant, weight: u32) -> Instant {
        let weight = weight.max(1);
        let at = self.earliest(now);
        if let Some(rate) = self.rate {
            self.next_slot = Some(at + interval(rate).saturating_mul(weight));
        }
        for _ in 0..weight.min(RATE_WINDOW as u32) {
            if self.recent_sends.len() == RATE_WINDOW {
                self.recent_sends.pop_front();
            }
            self.recent_sends.push_back(at);
        }
        at
    }

    /// A request succeeded: climb back, by `additive_increase` per second of successes (a tenth of
    /// that near the rate that drew the last 429).
    pub(crate) fn record_success(&mut self, now: Instant) {
        while self.recent_successes.len() >= SUCCESS_MEMORY
            || self
                .recent_successes
                .front()
                .is_some_and(|oldest| now.saturating_duration_since(*oldest) > DELIVERED_WINDOW)
        {
            self.recent_successes.pop_front();
        }
        self.recent_successes.push_back(now);
        if let Some(rate) = self.rate {
            let mut step = self.config.additive_increase / rate.max(f64::MIN_POSITIVE);
            let near_plateau = self.plateau.is_some_and(|plateau| {
                rate >= plateau * PLATEAU_BAND.0 && rate <= plateau * PLATEAU_BAND.1
            });
            if near_plateau {
                step /= 10.0;
            }
            let raised = rate + step;
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
        let sending = self.rate.or_else(|| self.measured_rate());
        let base = match (sending, self.delivered_rate(now)) {
            (Some(sending), Some(delivered)) => sending.min(delivered),
            (sending, delivered) => sending.or(delivered).unwrap_or(self.config.max_rate),
        };
        self.plateau = Some(base);
        let cut =
            (base * self.config.decrease_factor).clamp(self.config.min_rate, self.config.max_rate);
        self.rate = Some(cut);
        self.next_slot = self.paused_until;
        self.last_cut = Some(now);
        self.rate_cuts += 1;
    }

    /// Successes per second over the last seconds, when there are enough to tell.
    fn delivered_rate(&self, now: Instant) -> Option<f64> {
        let recent = self
            .recent_successes
            .iter()
            .filter(|at| now.saturating_duration_since(**at) <= DELIVERED_WINDOW);
        let (count, oldest) = recent.fold((0usize, now), |(count, oldest), at| {
            (count + 1, oldest.min(*at))
        });
        let span = now.saturating_duration_since(oldest).max(SHORTEST_SPAN);
        (count >= 2).then(|| count as f64 / span.as_secs_f64())
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

    /// Waits for the turn of a send worth `weight` requests; returns when it went.
    pub(crate) async fn acquire(&self, weight: u32) -> Instant {
        let now = Instant::now();
        let at = self.state().reserve(now, weight);
        if at > now {
            tokio::time::sleep_until(at.into()).await;
        }
        at
    }

    /// When the next request could go, without booking it.
    pub(crate) fn earliest_send(&self) -> Instant {
        self.state().earliest(Instant::now())
    }

    pub(crate) fn on_success(&self) {
        self.state().record_success(Instant::now());
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
        let slots: Vec<_> = (0..3).map(|_| state.reserve(start, 1)).collect();
        assert_eq!(slots[0], start);
        assert_eq!(slots[1], start + Duration::from_millis(100));
        assert_eq!(slots[2], start + Duration::from_millis(200));
    }

    #[test]
    fn a_weighted_send_takes_as_many_slots() {
        let start = Instant::now();
        let mut state = PacingState::new(config());
        assert_eq!(state.reserve(start, 20), start);
        assert_eq!(state.reserve(start, 1), start + Duration::from_secs(2));
    }

    #[test]
    fn a_429_pauses_everyone_and_halves_the_rate_once_per_burst() {
        let start = Instant::now();
        let mut state = PacingState::new(config());
        let sent = state.reserve(start, 1);
        let later = state.reserve(start, 1);
        state.record_throttle(start, sent, Some(Duration::from_secs(3)));
        // A second 429 from the same burst (sent before the cut) pauses but does not cut again.
        state.record_throttle(start, sent, Some(Duration::from_secs(2)));
        let snapshot = state.snapshot(start);
        assert_eq!(snapshot.rate, Some(5.0));
        assert_eq!(snapshot.rate_cuts, 1);
        assert_eq!(snapshot.throttle_signals, 2);
        assert_eq!(snapshot.paused_for, Duration::from_secs(3));
        assert!(state.reserve(start, 1) >= start + Duration::from_secs(3));
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
            state.record_success(start);
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
            state.reserve(start + Duration::from_millis(10 * index), 1);
        }
        let now = start + Duration::from_millis(200);
        state.record_throttle(now, now, Some(Duration::from_secs(1)));
        // 100 requests per second measured, times the default factor.
        let rate = state.snapshot(now).rate.unwrap();
        let expected = 100.0 * PacingConfig::default().decrease_factor;
        assert!((rate - expected).abs() < 1.0, "{rate}");
    }

    #[test]
    fn the_cut_follows_what_the_service_delivered() {
        let start = Instant::now();
        let mut state = PacingState::new(PacingConfig::default());
        // A burst of 400 sends per second, of which 20 succeeded in the last second.
        for index in 0..40 {
            state.reserve(start + Duration::from_micros(2_500 * index), 1);
        }
        for index in 0..20 {
            state.record_success(start + Duration::from_millis(50 * index));
        }
        let now = start + Duration::from_secs(1);
        state.record_throttle(now, now, None);
        let rate = state.snapshot(now).rate.unwrap();
        assert!((rate - 20.0 * 0.8).abs() < 0.01, "{rate}");
    }

    #[test]
    fn the_rate_climbs_slowly_near_where_the_service_objected() {
        let start = Instant::now();
        let mut state = PacingState::new(config());
        state.record_throttle(start, start, None);
        // Cut from 10 to 5; below the plateau band each success adds 10 / rate.
        state.record_success(start);
        assert!((state.snapshot(start).rate.unwrap() - 7.0).abs() < 1e-9);
        state.record_success(start);
        let rate = state.snapshot(start).rate.unwrap();
        assert!((rate - (7.0 + 10.0 / 7.0)).abs() < 1e-9);
        state.record_success(start);
        let rate = state.snapshot(start).rate.unwrap();
        assert!(rate > 9.0, "{rate}");
        // Now inside the band (9 to 12): a tenth of the step.
        state.record_success(start);
        assert!((state.snapshot(start).rate.unwrap() - (rate + 1.0 / rate)).abs() < 1e-9);
    }

    #[test]
    fn disabled_pacing_never_waits() {
        let start = Instant::now();
        let mut state = PacingState::new(PacingConfig::disabled());
        state.record_throttle(start, start, Some(Duration::from_secs(30)));
        assert_eq!(state.reserve(start, 1), start);
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
                let sent = state.reserve(now, 1);
                if throttled {
                    state.record_throttle(now, sent, Some(Duration::from_millis(retry_after_ms)));
                    prop_assert!(state.reserve(now, 1) >= now + Duration::from_millis(retry_after_ms));
                } else {
                    state.record_success(start);
                }
                if let Some(rate) = state.snapshot(now).rate {
                    prop_assert!((1.0..100.0).contains(&rate));
                }
            }
        }
    }
}
