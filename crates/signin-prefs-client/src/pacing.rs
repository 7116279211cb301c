//! One throttle state per tenant and app, shared by every task that uses the client: a token
//! bucket per Graph quota, so that what is sent is what the budget accepts.
//!
//! Retrying each 429 on its own lets a hundred workers keep hammering a service that asked them to
//! stop, which Graph counts against the app. Instead, every request books its cost against each
//! quota it draws on ([`Charge`]) and goes when every one of them has the tokens: a run sits at the
//! rate its budgets refill, and a `$batch` of 20 waits for 20 write tokens rather than being sent
//! into an empty bucket. The buckets start from the budgets the client is given (by default the
//! documented ones, [`Budgets::documented`]), and the service corrects them: a 429 names its quota
//! (`x-ms-throttle-scope`), empties that bucket, pauses that quota alone for the `Retry-After`, and
//! cuts its rate to just under what the service delivered (once per burst of 429s); each success
//! then lets the rate climb back, gently near where the service objected, up to the budget given
//! (AIMD, as TCP does). A quota of unknown budget is unpaced until its first 429, then learned the
//! same way. A refused read never holds back writes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::budget::{Budgets, Charge, Quota};

/// How the buckets start, fall and climb.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PacingConfig {
    /// The budget of each quota to start from; unknown ones are learned from 429s alone.
    pub budgets: Budgets,
    /// A learned rate never falls below this (requests per second).
    pub min_rate: f64,
    /// How fast a cut rate climbs back: requests per second gained per second of successes.
    pub additive_increase: f64,
    /// At a 429, the quota's rate becomes this fraction (between 0 and 1) of the lower of its rate
    /// and the rate the service delivered over the last seconds.
    pub decrease_factor: f64,
    /// The pause when a 429 gives no `Retry-After`.
    pub default_pause: Duration,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            budgets: Budgets::documented(),
            min_rate: 0.5,
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
            budgets: Budgets::unknown(),
            decrease_factor: 1.0,
            default_pause: Duration::ZERO,
            ..Self::default()
        }
    }

    /// These settings with other starting budgets.
    #[must_use]
    pub fn with_budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }

    fn is_disabled(&self) -> bool {
        self.budgets == Budgets::unknown()
            && self.decrease_factor >= 1.0
            && self.default_pause.is_zero()
    }
}

/// What the pacer is doing now, for logs, progress and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PacingSnapshot {
    /// The slowest paced quota's rate, requests per second; `None` when nothing is paced.
    pub rate: Option<f64>,
    /// How much longer the longest-paused quota is held back by its last 429.
    pub paused_for: Duration,
    /// 429s reported so far, every quota together.
    pub throttle_signals: u64,
    /// Of those, the ones that cut a rate (one per burst of 429s, not one per request).
    pub rate_cuts: u64,
}

/// How far back successes count towards the delivered rate.
const DELIVERED_WINDOW: Duration = Duration::from_secs(2);
/// The shortest span a delivered rate is computed over: a burst of successes in a few
/// milliseconds says how big the service's bucket is, not how fast it refills.
const SHORTEST_SPAN: Duration = Duration::from_secs(1);
/// At most this many successes and sends are remembered per quota.
const MEMORY: usize = 4096;
/// Between these fractions of the rate that drew the last 429, the rate climbs ten times slower.
const PLATEAU_BAND: (f64, f64) = (0.9, 1.2);
/// A learned bucket (no budget given) holds this long a burst at its rate.
const LEARNED_BURST: f64 = 1.0;
/// The refill a known budget's bucket keeps in hand against requests that arrive early.
const HEADROOM: Duration = Duration::from_millis(25);
/// Tokens are counted in floating point: this much short of a whole one still counts as one.
const EPSILON: f64 = 1e-9;

/// One quota's bucket, with time passed in so the maths can be tested without a clock.
#[derive(Debug, Clone)]
struct Bucket {
    /// Capacity and rate (tokens per second); `None`: unpaced until the service first objects.
    model: Option<(f64, f64)>,
    /// The rate the budget given allows: a cut rate climbs back to it and no further.
    ceiling: Option<f64>,
    /// Tokens at `updated` (negative: booked beyond what has refilled).
    tokens: f64,
    updated: Instant,
    paused_until: Option<Instant>,
    /// When a 429 last emptied the bucket.
    last_reset: Option<Instant>,
    /// Successes since then: the service's refill, when its bucket was empty at both ends.
    delivered_since_reset: u64,
    /// The rate in effect when the service last objected.
    plateau: Option<f64>,
    recent_sends: VecDeque<Instant>,
    recent_successes: VecDeque<Instant>,
}

impl Bucket {
    fn new(budget: Option<crate::Budget>, now: Instant) -> Self {
        // A few milliseconds of a budget's refill (one token at least, half the bucket at most)
        // are kept in hand: a request that reaches the service a little before the refill it was
        // paced to (the network, a busy machine) then finds a token there instead of a 429, which
        // costs a token too and a pause. The steady rate is the budget's all the same; only the
        // first burst is shorter, by those milliseconds.
        let model = budget.map(|budget| {
            let capacity = f64::from(budget.requests);
            let rate = budget.rate();
            let in_hand = (rate * HEADROOM.as_secs_f64())
                .max(1.0)
                .min((capacity / 2.0).floor());
            (capacity - in_hand, rate)
        });
        Self {
            model,
            ceiling: model.map(|(_, rate)| rate),
            tokens: model.map_or(0.0, |(capacity, _)| capacity),
            updated: now,
            paused_until: None,
            last_reset: None,
            delivered_since_reset: 0,
            plateau: None,
            recent_sends: VecDeque::new(),
            recent_successes: VecDeque::new(),
        }
    }

    /// Tokens at `at` (not before the last booking).
    fn tokens_at(&self, at: Instant) -> f64 {
        match self.model {
            Some((capacity, rate)) => {
                let elapsed = at.saturating_duration_since(self.updated).as_secs_f64();
                (self.tokens + elapsed * rate).min(capacity)
            }
            None => 0.0,
        }
    }

    /// When `weight` tokens can be taken, at the earliest.
    fn earliest(&self, now: Instant, weight: u64) -> Instant {
        let mut at = now;
        if let Some(paused_until) = self.paused_until {
            at = at.max(paused_until);
        }
        let Some((capacity, rate)) = self.model else {
            return at;
        };
        // Bookings are served in order: none goes before one already booked.
        at = at.max(self.updated);
        // A weight beyond the bucket waits for a full bucket and leaves it in debt.
        let need = (weight as f64).min(capacity);
        let tokens = self.tokens_at(at);
        if tokens + EPSILON >= need {
            at
        } else {
            at + Duration::from_secs_f64((need - tokens) / rate.max(f64::MIN_POSITIVE))
        }
    }

    fn take(&mut self, at: Instant, weight: u64) {
        if self.model.is_some() {
            let at = at.max(self.updated);
            self.tokens = self.tokens_at(at) - weight as f64;
            self.updated = at;
        }
        for _ in 0..weight.min(MEMORY as u64) {
            if self.recent_sends.len() >= MEMORY {
                self.recent_sends.pop_front();
            }
            self.recent_sends.push_back(at);
        }
    }

    fn record_success(&mut self, now: Instant, config: &PacingConfig) {
        while self.recent_successes.len() >= MEMORY
            || self
                .recent_successes
                .front()
                .is_some_and(|oldest| now.saturating_duration_since(*oldest) > DELIVERED_WINDOW)
        {
            self.recent_successes.pop_front();
        }
        self.recent_successes.push_back(now);
        self.delivered_since_reset += 1;
        let Some((capacity, rate)) = self.model else {
            return;
        };
        if self.ceiling.is_some_and(|ceiling| rate >= ceiling) {
            return;
        }
        let mut step = config.additive_increase / rate.max(f64::MIN_POSITIVE);
        if self.plateau.is_some_and(|plateau| {
            rate >= plateau * PLATEAU_BAND.0 && rate <= plateau * PLATEAU_BAND.1
        }) {
            step /= 10.0;
        }
        let raised = self
            .ceiling
            .map_or(rate + step, |ceiling| (rate + step).min(ceiling));
        let capacity = if self.ceiling.is_some() {
            capacity
        } else {
            (raised * LEARNED_BURST).max(1.0)
        };
        // Keep the tokens as they are at `updated`; only the refill speed changes.
        self.model = Some((capacity, raised));
    }

    /// A 429 for a request sent at `sent_at`: the service's bucket is empty now, so this one is
    /// emptied too, and the quota paused for `pause`. A 429 for a request sent before the last
    /// one was answered says nothing new (same burst). Returns whether the rate was cut.
    ///
    /// With a known budget, one 429 is taken for a bucket that did not start full (an earlier run,
    /// another process): the reset fixes that. A second one means the rate is too high (the budget
    /// is smaller, or shared): it becomes what the service delivered between the two, when both
    /// buckets were empty, so everything it accepted in between was its refill.
    fn record_throttle(
        &mut self,
        now: Instant,
        sent_at: Instant,
        pause: Duration,
        config: &PacingConfig,
    ) -> bool {
        let until = now + pause;
        self.paused_until = Some(
            self.paused_until
                .map_or(until, |current| current.max(until)),
        );
        if self.last_reset.is_some_and(|reset| sent_at <= reset) {
            return false;
        }
        let previous = self.last_reset.replace(now);
        let delivered = std::mem::take(&mut self.delivered_since_reset);
        let Some((_, rate)) = self.model else {
            // Unknown until now: start from what was being sent, or delivered if less.
            let base = match (self.measured_rate(), self.delivered_rate(now)) {
                (Some(sending), Some(delivered)) => sending.min(delivered),
                (sending, delivered) => sending.or(delivered).unwrap_or(config.min_rate),
            };
            self.tokens = 0.0;
            self.updated = now;
            self.cut_to(base, config);
            return true;
        };
        let at = now.max(self.updated);
        self.tokens = self.tokens_at(at).min(0.0);
        self.updated = at;
        if self.ceiling.is_none() {
            // A learned budget: the usual multiplicative cut.
            self.cut_to(rate, config);
            return true;
        }
        let Some(previous) = previous else {
            return false;
        };
        let span = now.saturating_duration_since(previous);
        let refill = (span >= SHORTEST_SPAN).then(|| delivered as f64 / span.as_secs_f64());
        self.cut_to(refill.map_or(rate, |refill| refill.min(rate)), config);
        true
    }

    /// Sets the rate to `decrease_factor` times `base`, within bounds; a learned bucket holds a
    /// second of it.
    fn cut_to(&mut self, base: f64, config: &PacingConfig) {
        self.plateau = Some(base);
        let mut cut = (base * config.decrease_factor).max(config.min_rate);
        if let Some(ceiling) = self.ceiling {
            cut = cut.min(ceiling);
        }
        let capacity = match (self.model, self.ceiling) {
            (Some((capacity, _)), Some(_)) => capacity,
            _ => (cut * LEARNED_BURST).max(1.0),
        };
        self.model = Some((capacity, cut));
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
        let window = self.recent_sends.len().min(32);
        let first = self.recent_sends.get(self.recent_sends.len() - window)?;
        let last = self.recent_sends.back()?;
        let span = last.saturating_duration_since(*first).as_secs_f64();
        let gaps = window.saturating_sub(1);
        (gaps >= 2 && span > 0.0).then(|| gaps as f64 / span)
    }
}

/// The pacer's state: a bucket per quota.
#[derive(Debug, Clone)]
pub(crate) struct PacingState {
    config: PacingConfig,
    buckets: [Bucket; 4],
    throttle_signals: u64,
    rate_cuts: u64,
}

impl PacingState {
    pub(crate) fn new(config: PacingConfig) -> Self {
        Self::starting_at(config, Instant::now())
    }

    fn starting_at(config: PacingConfig, now: Instant) -> Self {
        let buckets = Quota::ALL.map(|quota| Bucket::new(config.budgets.get(quota), now));
        Self {
            config,
            buckets,
            throttle_signals: 0,
            rate_cuts: 0,
        }
    }

    fn bucket(&self, quota: Quota) -> Option<&Bucket> {
        self.buckets.get(quota.index())
    }

    /// When a send costing `charge` could go, without booking it.
    pub(crate) fn earliest(&self, now: Instant, charge: &Charge) -> Instant {
        Quota::ALL
            .iter()
            .filter_map(|quota| {
                let weight = charge.get(*quota);
                (weight > 0).then(|| Some(self.bucket(*quota)?.earliest(now, weight)))?
            })
            .fold(now, Instant::max)
    }

    /// Books a send costing `charge`: returns when it may go (now or later), when every quota it
    /// draws on has the tokens.
    pub(crate) fn reserve(&mut self, now: Instant, charge: &Charge) -> Instant {
        let at = self.earliest(now, charge);
        for quota in Quota::ALL {
            let weight = charge.get(quota);
            if weight > 0
                && let Some(bucket) = self.buckets.get_mut(quota.index())
            {
                bucket.take(at, weight);
            }
        }
        at
    }

    /// A request drawing on `charge` succeeded.
    pub(crate) fn record_success(&mut self, now: Instant, charge: &Charge) {
        for quota in Quota::ALL {
            if charge.get(quota) > 0
                && let Some(bucket) = self.buckets.get_mut(quota.index())
            {
                bucket.record_success(now, &self.config);
            }
        }
    }

    /// A 429 (or a 503 with `Retry-After`) on `quota` for a request sent at `sent_at`.
    pub(crate) fn record_throttle(
        &mut self,
        now: Instant,
        quota: Quota,
        sent_at: Instant,
        retry_after: Option<Duration>,
    ) {
        if self.config.is_disabled() {
            return;
        }
        self.throttle_signals += 1;
        let pause = retry_after.unwrap_or(self.config.default_pause);
        if let Some(bucket) = self.buckets.get_mut(quota.index())
            && bucket.record_throttle(now, sent_at, pause, &self.config)
        {
            self.rate_cuts += 1;
        }
    }

    pub(crate) fn snapshot(&self, now: Instant) -> PacingSnapshot {
        PacingSnapshot {
            rate: self
                .buckets
                .iter()
                .filter_map(|bucket| bucket.model.map(|(_, rate)| rate))
                .reduce(f64::min),
            paused_for: self
                .buckets
                .iter()
                .filter_map(|bucket| bucket.paused_until)
                .map(|until| until.saturating_duration_since(now))
                .max()
                .unwrap_or(Duration::ZERO),
            throttle_signals: self.throttle_signals,
            rate_cuts: self.rate_cuts,
        }
    }

    /// The budget `quota` is paced to now (capacity and requests per second), if any.
    pub(crate) fn paced(&self, quota: Quota) -> Option<(f64, f64)> {
        self.bucket(quota)?.model
    }
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

    /// Waits for the turn of a send costing `charge`; returns when it went.
    pub(crate) async fn acquire(&self, charge: &Charge) -> Instant {
        let now = Instant::now();
        let at = self.state().reserve(now, charge);
        if at > now {
            tokio::time::sleep_until(at.into()).await;
        }
        at
    }

    /// When a send costing `charge` could go, without booking it.
    pub(crate) fn earliest_send(&self, charge: &Charge) -> Instant {
        self.state().earliest(Instant::now(), charge)
    }

    /// Waits, without booking anything, until a send costing `charge` could go: however long the
    /// service asked every request of these quotas to wait. A caller that waits here before a call
    /// spends none of the call's deadline on the wait.
    pub async fn ready(&self, charge: &Charge) {
        loop {
            let now = Instant::now();
            let at = self.state().earliest(now, charge);
            if at <= now {
                return;
            }
            tokio::time::sleep_until(at.into()).await;
        }
    }

    pub(crate) fn on_success(&self, charge: &Charge) {
        self.state().record_success(Instant::now(), charge);
    }

    pub(crate) fn on_throttled(
        &self,
        quota: Quota,
        sent_at: Instant,
        retry_after: Option<Duration>,
    ) {
        let now = Instant::now();
        let mut state = self.state();
        state.record_throttle(now, quota, sent_at, retry_after);
        let snapshot = state.snapshot(now);
        let paced = state.paced(quota);
        drop(state);
        tracing::info!(
            %quota,
            rate = ?paced.map(|(_, rate)| rate),
            paused_for_ms = snapshot.paused_for.as_millis() as u64,
            "throttled: pausing this quota for every request of this tenant and app"
        );
    }

    /// The budgets the pacer was configured with (what a floor is computed from), before anything
    /// learned from refusals.
    pub fn budgets(&self) -> Budgets {
        self.state().config.budgets
    }

    /// What the pacer is doing now.
    pub fn snapshot(&self) -> PacingSnapshot {
        self.state().snapshot(Instant::now())
    }

    /// The budget `quota` is paced to now, as (bucket size, requests per second); `None` while it
    /// is unpaced.
    pub fn paced(&self, quota: Quota) -> Option<(f64, f64)> {
        self.state().paced(quota)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Budget;
    use proptest::prelude::*;

    fn writes(budget: Budget) -> PacingConfig {
        PacingConfig::default().with_budgets(
            Budgets::unknown()
                .with(Quota::AppWrites, Some(budget))
                .with(
                    Quota::ResourceUnits,
                    Some(Budget::new(1_000, Duration::from_secs(1))),
                ),
        )
    }

    fn patches(count: u64) -> Charge {
        Charge::reads_and_writes(0, count)
    }

    #[test]
    fn a_known_budget_lets_its_bucket_go_but_one_token_then_paces_at_its_rate() {
        let start = Instant::now();
        let mut state =
            PacingState::starting_at(writes(Budget::new(20, Duration::from_secs(10))), start);
        // One token of the twenty is kept in hand, against requests that arrive early.
        for _ in 0..19 {
            assert_eq!(state.reserve(start, &patches(1)), start);
        }
        assert_eq!(
            state.reserve(start, &patches(1)),
            start + Duration::from_millis(500)
        );
        assert_eq!(
            state.reserve(start, &patches(1)),
            start + Duration::from_secs(1)
        );
    }

    #[test]
    fn a_fast_budget_keeps_its_headroom_of_refill_in_hand() {
        let start = Instant::now();
        let budget = Budget::new(8_000, Duration::from_millis(500));
        let mut state = PacingState::starting_at(writes(budget), start);
        let in_hand = (budget.rate() * HEADROOM.as_secs_f64()) as u64;
        assert_eq!(state.reserve(start, &patches(8_000 - in_hand)), start);
        assert!(state.reserve(start, &patches(1)) > start);
    }

    #[test]
    fn a_batch_waits_for_every_token_it_needs() {
        let start = Instant::now();
        // A bucket of ten, nine of them paced to (one kept in hand).
        let mut state =
            PacingState::starting_at(writes(Budget::new(10, Duration::from_secs(5))), start);
        assert_eq!(state.reserve(start, &patches(5)), start);
        // Four left, ten wanted (as much as the nine paced to): wait for five more at two a second.
        let at = state.reserve(start, &patches(10));
        assert_eq!(at, start + Duration::from_millis(2_500));
        // More than the bucket holds waits for a full bucket, then leaves it in debt.
        let at = state.reserve(at, &patches(30));
        assert_eq!(at, start + Duration::from_millis(7_500));
        let next = state.reserve(at, &patches(1));
        assert_eq!(next, at + Duration::from_millis(11_000));
    }

    #[test]
    fn a_429_pauses_its_own_quota_only() {
        let start = Instant::now();
        let mut state =
            PacingState::starting_at(writes(Budget::new(100, Duration::from_secs(1))), start);
        let sent = state.reserve(start, &patches(1));
        state.record_throttle(start, Quota::AppWrites, sent, Some(Duration::from_secs(3)));
        let read = Charge::reads_and_writes(1, 0);
        assert_eq!(
            state.reserve(start, &read),
            start,
            "a read does not wait for writes"
        );
        assert!(state.reserve(start, &patches(1)) >= start + Duration::from_secs(3));
        let snapshot = state.snapshot(start);
        // One 429 against a known budget empties the bucket but keeps the rate.
        assert_eq!((snapshot.throttle_signals, snapshot.rate_cuts), (1, 0));
        assert_eq!(snapshot.paused_for, Duration::from_secs(3));
    }

    #[test]
    fn a_second_429_cuts_the_rate_to_what_the_service_refilled_in_between() {
        let start = Instant::now();
        let budget = Budget::new(100, Duration::from_secs(10));
        let mut state = PacingState::starting_at(writes(budget), start);
        let sent = state.reserve(start, &patches(1));
        let also_sent = state.reserve(start, &patches(1));
        // The first burst: the bucket did not start full. Emptied, paused, rate kept.
        state.record_throttle(start, Quota::AppWrites, sent, None);
        state.record_throttle(start, Quota::AppWrites, also_sent, None);
        assert_eq!(state.paced(Quota::AppWrites), Some((99.0, 10.0)));
        assert_eq!(state.snapshot(start).rate_cuts, 0);
        // Six a second accepted for five seconds, then refused again: the rate was too high.
        for index in 0..30 {
            let at = start + Duration::from_millis(166 * index);
            state.record_success(at, &patches(1));
        }
        let now = start + Duration::from_secs(5);
        state.record_throttle(now, Quota::AppWrites, now, None);
        let (_, cut) = state.paced(Quota::AppWrites).unwrap();
        assert!((cut - 6.0 * 0.8).abs() < 1e-9, "{cut}");
        assert_eq!(state.snapshot(now).rate_cuts, 1);
        for _ in 0..10_000 {
            state.record_success(now, &patches(1));
        }
        assert_eq!(state.paced(Quota::AppWrites), Some((99.0, 10.0)));
    }

    #[test]
    fn an_unknown_budget_is_unpaced_until_the_service_objects() {
        let start = Instant::now();
        let mut state = PacingState::starting_at(
            PacingConfig::default().with_budgets(Budgets::unknown()),
            start,
        );
        for index in 0..50 {
            let at = start + Duration::from_millis(10 * index);
            assert_eq!(state.reserve(at, &patches(1)), at);
            state.record_success(at, &patches(1));
        }
        let now = start + Duration::from_millis(500);
        state.record_throttle(now, Quota::AppWrites, now, Some(Duration::from_secs(1)));
        let (capacity, rate) = state.paced(Quota::AppWrites).unwrap();
        // 50 successes over the last second (the shortest span), times the factor.
        assert!((rate - 50.0 * 0.8).abs() < 1e-9, "{rate}");
        assert!((capacity - rate).abs() < 1e-9);
        let after = state.reserve(now, &patches(1));
        assert!(after >= now + Duration::from_secs(1));
    }

    #[test]
    fn disabled_pacing_never_waits() {
        let start = Instant::now();
        let mut state = PacingState::starting_at(PacingConfig::disabled(), start);
        state.record_throttle(
            start,
            Quota::AppWrites,
            start,
            Some(Duration::from_secs(30)),
        );
        assert_eq!(state.reserve(start, &patches(20)), start);
    }

    proptest! {
        /// What is booked against a known budget is what a token bucket of that budget accepts:
        /// a service with the same budget, charged when each send goes, never refuses one.
        #[test]
        fn sends_never_exceed_what_the_budget_accepts(
            requests in 1u32..200,
            window_ms in 100u64..20_000,
            sends in proptest::collection::vec((1u64..25, 0u64..3_000), 1..120),
        ) {
            let budget = Budget::new(requests, Duration::from_millis(window_ms));
            let start = Instant::now();
            let mut state = PacingState::starting_at(writes(budget), start);
            let capacity = f64::from(requests);
            let rate = budget.rate();
            // The service's bucket, refilled on the same clock.
            let (mut tokens, mut updated) = (capacity, start);
            let mut now = start;
            for (weight, step_ms) in sends {
                now += Duration::from_millis(step_ms);
                let weight = weight.min(u64::from(requests));
                let at = state.reserve(now, &patches(weight));
                prop_assert!(at >= now);
                now = at;
                tokens = (tokens + at.duration_since(updated).as_secs_f64() * rate).min(capacity);
                updated = at;
                prop_assert!(tokens + 1e-6 >= weight as f64, "refused: {tokens} < {weight}");
                tokens -= weight as f64;
            }
        }

        #[test]
        fn rates_stay_within_bounds_and_pauses_are_honoured(
            events in proptest::collection::vec((any::<bool>(), 0u64..5_000, 0u64..2_000), 1..200)
        ) {
            let start = Instant::now();
            let budget = Budget::new(100, Duration::from_secs(10));
            let mut state = PacingState::starting_at(writes(budget), start);
            let mut now = start;
            for (throttled, retry_after_ms, step_ms) in events {
                now += Duration::from_millis(step_ms);
                let sent = state.reserve(now, &patches(1));
                if throttled {
                    let pause = Duration::from_millis(retry_after_ms);
                    state.record_throttle(now, Quota::AppWrites, sent, Some(pause));
                    prop_assert!(state.reserve(now, &patches(1)) >= now + pause);
                } else {
                    state.record_success(now, &patches(1));
                }
                let (_, rate) = state.paced(Quota::AppWrites).unwrap();
                prop_assert!((0.5..=10.0).contains(&rate), "{rate}");
            }
        }
    }
}
