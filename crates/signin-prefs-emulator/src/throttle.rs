//! Throttling modelled on the published identity-and-access limits, on an emulated clock.
//!
//! Token buckets per (app, tenant) for reads and for writes, and per tenant for writes
//! (graph-behaviors.md §3.2). No limit is published for `/authentication/*`, so the defaults are
//! the identity ones and everything is configurable. Report pages (`/reports/authenticationMethods/*`)
//! draw on a bucket of their own per (app, tenant), not on the resource units: the identity-and-access
//! reports limit, five requests per 10 s per app and tenant (microsoftgraph/microsoft-graph-docs-contrib,
//! `includes/throttling-entra-logs-reports.md`, included by Learn's "service-specific throttling
//! limits"). That include lists `authenticationMethod` (renamed from `authenticationMethodsRoot`) but
//! not `userRegistrationDetails` by name, so that the registration report is covered is an
//! assumption, switched by [`ThrottleConfig::reports_per_app_tenant`] (`--reports-per-10s`). The clock runs `time_scale` times faster than
//! real time and can be advanced by hand, so tests see a 150 s window pass without waiting for it.
//!
//! A refused request is charged too: Graph's throttling guidance says "all requests accrue against
//! your usage limits" and that Graph "continues to log resource usage while a client is being
//! throttled" (<https://learn.microsoft.com/graph/throttling>, best practices). It does not say by
//! how much, so the emulator's reading is an assumption, switched by
//! [`ThrottleConfig::refused_requests_count`] (`--refused-requests-count false`): each refused
//! request takes its cost from every bucket it draws on, a bucket may owe up to one window, and
//! `Retry-After` is the wait after that charge, so a client that honours it gets through while one
//! that retries early only owes more. No limit is published for per-user authentication-method
//! reads (Learn's throttling-limits page has no such section), so none is modelled.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `requests` allowed per `per`, refilled continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Bucket size: requests allowed in one window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Limit {
    /// `requests` per `seconds` seconds.
    pub const fn new(requests: u32, seconds: u64) -> Self {
        Self {
            requests,
            per: Duration::from_secs(seconds),
        }
    }
}

/// How `Retry-After` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RetryAfterFormat {
    /// Whole seconds, rounded up, at least 1 (the documented form).
    #[default]
    Integer,
    /// Seconds with three decimals, such as `2.128` (seen in an older revision of the docs).
    Fractional,
    /// An HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`), the header's other form in HTTP itself
    /// (RFC 9110 §10.2.3); Graph's guidance shows only seconds, so this is a shape to test a
    /// client's parser against, not a claim about Graph.
    HttpDate,
    /// No `Retry-After` at all: Graph's guidance says to back off exponentially when it is absent
    /// ("If no Retry-After header is provided by the response, we recommend implementing an
    /// exponential backoff retry policy", <https://learn.microsoft.com/graph/throttling>).
    Absent,
}

/// The throttling model.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleConfig {
    /// Off: never answer 429 from the model (faults can still inject 429-like errors).
    pub enabled: bool,
    /// Reads (and the resource unit of writes) per app and tenant. Default: the "L" tenant quota,
    /// 8,000 per 10 s.
    pub reads_per_app_tenant: Limit,
    /// Writes per app and tenant. Default: 3,000 per 150 s.
    pub writes_per_app_tenant: Limit,
    /// Writes per tenant across apps. Default: 18,000 per 300 s.
    pub writes_per_tenant: Limit,
    /// Report pages (`/reports/authenticationMethods/*`) per app and tenant, a bucket of their own;
    /// `None`: unlimited (report pages are then never throttled). Default: 5 per 10 s, the
    /// identity-and-access reports limit; assumed to cover the registration report (see the
    /// module's documentation).
    pub reports_per_app_tenant: Option<Limit>,
    /// How `Retry-After` is written.
    pub retry_after: RetryAfterFormat,
    /// Whether a refused (429) request is charged to the buckets it draws on, as Graph's guidance
    /// says all requests accrue against the limits (default `true`; see the module's
    /// documentation). `false`: a refusal takes nothing, as a plain token bucket does.
    pub refused_requests_count: bool,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            reads_per_app_tenant: Limit::new(8_000, 10),
            writes_per_app_tenant: Limit::new(3_000, 150),
            writes_per_tenant: Limit::new(18_000, 300),
            reports_per_app_tenant: Some(Limit::new(5, 10)),
            retry_after: RetryAfterFormat::Integer,
            refused_requests_count: true,
        }
    }
}

impl ThrottleConfig {
    /// The published identity limits for a tenant of `users` users: the read quota depends on the
    /// tenant's size (S under 50 users: 3,500 per 10 s; M up to 500: 5,000; L: 8,000).
    pub fn identity_for_tenant(users: usize) -> Self {
        let reads = match users {
            0..50 => 3_500,
            50..=500 => 5_000,
            _ => 8_000,
        };
        Self {
            reads_per_app_tenant: Limit::new(reads, 10),
            ..Self::default()
        }
    }

    /// No throttling at all (benchmarks).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

/// Emulated time: real time multiplied by a scale, plus manual advances.
#[derive(Debug)]
pub(crate) struct Clock {
    started: Instant,
    scale: f64,
    advanced_nanos: AtomicU64,
}

impl Clock {
    pub(crate) fn new(scale: f64) -> Self {
        Self {
            started: Instant::now(),
            scale: scale.max(0.0),
            advanced_nanos: AtomicU64::new(0),
        }
    }

    /// Emulated seconds since start.
    pub(crate) fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.scale
            + Duration::from_nanos(self.advanced_nanos.load(Ordering::Acquire)).as_secs_f64()
    }

    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.advanced_nanos.fetch_add(nanos, Ordering::AcqRel);
    }

    /// Real seconds a client must wait for `emulated` seconds to pass (at scale 0, time only moves
    /// by hand, so the emulated figure is returned unchanged).
    pub(crate) fn to_real(&self, emulated: f64) -> f64 {
        if self.scale > 0.0 {
            emulated / self.scale
        } else {
            emulated
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: f64,
}

impl Bucket {
    fn full(limit: Limit, now: f64) -> Self {
        Self {
            tokens: f64::from(limit.requests),
            updated: now,
        }
    }

    fn refill(&mut self, limit: Limit, now: f64) {
        let rate = f64::from(limit.requests) / limit.per.as_secs_f64().max(f64::MIN_POSITIVE);
        self.tokens =
            (self.tokens + (now - self.updated).max(0.0) * rate).min(f64::from(limit.requests));
        self.updated = now;
    }

    /// Takes one token. A refused request's charge (`owing`) may leave the bucket in debt, down to
    /// one whole window, so that hammering a throttled quota keeps it throttled; an admitted one
    /// never takes it below zero.
    fn take(&mut self, limit: Limit, owing: bool) {
        let floor = if owing {
            -f64::from(limit.requests)
        } else {
            0.0
        };
        self.tokens = (self.tokens - 1.0).max(floor);
    }

    /// Emulated seconds until one token is available (0 when one is).
    fn wait(&self, limit: Limit) -> f64 {
        // The epsilon absorbs rounding in the refill, so a full window always gives a full token.
        if self.tokens >= 1.0 - 1e-9 {
            return 0.0;
        }
        let rate = f64::from(limit.requests) / limit.per.as_secs_f64().max(f64::MIN_POSITIVE);
        (1.0 - self.tokens) / rate.max(f64::MIN_POSITIVE)
    }
}

#[derive(Debug, Default)]
struct Buckets {
    reads: HashMap<String, Bucket>,
    writes: HashMap<String, Bucket>,
    tenant_writes: HashMap<String, Bucket>,
    reports: HashMap<String, Bucket>,
}

/// A 429 decision.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Throttled {
    /// Real seconds to wait.
    pub(crate) retry_after_seconds: f64,
    /// `x-ms-throttle-scope`.
    pub(crate) scope: String,
    /// `x-ms-throttle-information`.
    pub(crate) information: &'static str,
}

/// What the throttling model has let through and refused since the emulator started: how a
/// benchmark or test counts the 429s a client met, whatever client it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TrafficStats {
    /// Reads let through (list pages, GETs, `$batch` items alike).
    pub reads: u64,
    /// Writes let through.
    pub writes: u64,
    /// Reads answered 429.
    pub throttled_reads: u64,
    /// Writes answered 429.
    pub throttled_writes: u64,
    /// Report pages let through (also counted in `reads`).
    pub report_reads: u64,
    /// Report pages answered 429 (also counted in `throttled_reads`).
    pub throttled_report_reads: u64,
}

#[derive(Debug, Default)]
struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
    throttled_reads: AtomicU64,
    throttled_writes: AtomicU64,
    report_reads: AtomicU64,
    throttled_report_reads: AtomicU64,
}

#[derive(Debug)]
pub(crate) struct Throttle {
    config: Mutex<ThrottleConfig>,
    buckets: Mutex<Buckets>,
    counters: Counters,
}

impl Throttle {
    pub(crate) fn new(config: ThrottleConfig) -> Self {
        Self {
            config: Mutex::new(config),
            buckets: Mutex::default(),
            counters: Counters::default(),
        }
    }

    pub(crate) fn stats(&self) -> TrafficStats {
        let counters = &self.counters;
        TrafficStats {
            reads: counters.reads.load(Ordering::Relaxed),
            writes: counters.writes.load(Ordering::Relaxed),
            throttled_reads: counters.throttled_reads.load(Ordering::Relaxed),
            throttled_writes: counters.throttled_writes.load(Ordering::Relaxed),
            report_reads: counters.report_reads.load(Ordering::Relaxed),
            throttled_report_reads: counters.throttled_report_reads.load(Ordering::Relaxed),
        }
    }

    /// Charges one report page to its app and tenant's reports bucket (never to the resource
    /// units), and counts the decision.
    pub(crate) fn charge_report(
        &self,
        clock: &Clock,
        app_id: &str,
        tenant_id: &str,
    ) -> Result<(), Throttled> {
        let decision = self.decide_report(clock, app_id, tenant_id);
        let (counter, report_counter) = if decision.is_ok() {
            (&self.counters.reads, &self.counters.report_reads)
        } else {
            (
                &self.counters.throttled_reads,
                &self.counters.throttled_report_reads,
            )
        };
        counter.fetch_add(1, Ordering::Relaxed);
        report_counter.fetch_add(1, Ordering::Relaxed);
        decision
    }

    fn decide_report(&self, clock: &Clock, app_id: &str, tenant_id: &str) -> Result<(), Throttled> {
        let config = self.config();
        let Some(limit) = config.reports_per_app_tenant.filter(|_| config.enabled) else {
            return Ok(());
        };
        let now = clock.now();
        let pair = format!("{app_id}/{tenant_id}");
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let bucket = buckets
            .reports
            .entry(pair)
            .or_insert_with(|| Bucket::full(limit, now));
        bucket.refill(limit, now);
        let refused = bucket.wait(limit) > 0.0;
        if refused && !config.refused_requests_count {
            return Err(report_refusal(clock, bucket.wait(limit), app_id, tenant_id));
        }
        bucket.take(limit, refused);
        if refused {
            return Err(report_refusal(clock, bucket.wait(limit), app_id, tenant_id));
        }
        Ok(())
    }

    /// Charges one request and counts the decision.
    pub(crate) fn charge(
        &self,
        clock: &Clock,
        app_id: &str,
        tenant_id: &str,
        is_write: bool,
    ) -> Result<(), Throttled> {
        let decision = self.decide(clock, app_id, tenant_id, is_write);
        let counter = match (is_write, decision.is_ok()) {
            (false, true) => &self.counters.reads,
            (true, true) => &self.counters.writes,
            (false, false) => &self.counters.throttled_reads,
            (true, false) => &self.counters.throttled_writes,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        decision
    }

    pub(crate) fn config(&self) -> ThrottleConfig {
        self.config
            .lock()
            .map(|config| config.clone())
            .unwrap_or_default()
    }

    pub(crate) fn set_config(&self, config: ThrottleConfig) {
        if let Ok(mut current) = self.config.lock() {
            *current = config;
        }
        if let Ok(mut buckets) = self.buckets.lock() {
            *buckets = Buckets::default();
        }
    }

    /// Charges one request (a write also costs one resource unit). An admitted request takes a
    /// token from each bucket it draws on; a refused one takes them too, into debt, unless
    /// [`ThrottleConfig::refused_requests_count`] is off, and is told the longest wait among them.
    fn decide(
        &self,
        clock: &Clock,
        app_id: &str,
        tenant_id: &str,
        is_write: bool,
    ) -> Result<(), Throttled> {
        let config = self.config();
        if !config.enabled {
            return Ok(());
        }
        let now = clock.now();
        let pair = format!("{app_id}/{tenant_id}");
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let Buckets {
            reads,
            writes,
            tenant_writes,
            ..
        } = &mut *buckets;
        // Each bucket the request draws on, with what a refusal by it is called (reads first, so
        // that a write refused by its own buckets as long as by the resource units names them).
        let mut drawn: Vec<(&mut Bucket, Limit, &'static str, &'static str)> =
            Vec::with_capacity(3);
        let read = reads
            .entry(pair.clone())
            .or_insert_with(|| Bucket::full(config.reads_per_app_tenant, now));
        read.refill(config.reads_per_app_tenant, now);
        drawn.push((
            read,
            config.reads_per_app_tenant,
            "ResourceUnitLimitExceeded",
            "Tenant_Application/ReadWrite",
        ));
        if is_write {
            let write = writes
                .entry(pair)
                .or_insert_with(|| Bucket::full(config.writes_per_app_tenant, now));
            write.refill(config.writes_per_app_tenant, now);
            drawn.push((
                write,
                config.writes_per_app_tenant,
                "WriteLimitExceeded",
                "Tenant_Application/Write",
            ));
            let tenant = tenant_writes
                .entry(tenant_id.to_owned())
                .or_insert_with(|| Bucket::full(config.writes_per_tenant, now));
            tenant.refill(config.writes_per_tenant, now);
            drawn.push((
                tenant,
                config.writes_per_tenant,
                "WriteLimitExceeded",
                "Tenant/Write",
            ));
        }
        let refused = drawn
            .iter()
            .any(|(bucket, limit, ..)| bucket.wait(*limit) > 0.0);
        if !refused || config.refused_requests_count {
            for (bucket, limit, ..) in &mut drawn {
                bucket.take(*limit, refused);
            }
        }
        if !refused {
            return Ok(());
        }
        let mut longest: Option<(f64, &'static str, &'static str)> = None;
        for (bucket, limit, information, scope) in &drawn {
            let wait = bucket.wait(*limit);
            if wait > longest.map_or(0.0, |(longest, _, _)| longest) {
                longest = Some((wait, information, scope));
            }
        }
        let (wait, information, scope) = longest.unwrap_or((
            0.0,
            "ResourceUnitLimitExceeded",
            "Tenant_Application/ReadWrite",
        ));
        Err(Throttled {
            retry_after_seconds: clock.to_real(wait),
            scope: format!("{scope}/{app_id}/{tenant_id}"),
            information,
        })
    }
}

/// A report page's refusal, waiting `wait` emulated seconds. The identity reports publish no
/// throttle-scope value; this one follows the shape of the identity service's
/// (`Tenant_Application/<limit>/<app>/<tenant>`).
fn report_refusal(clock: &Clock, wait: f64, app_id: &str, tenant_id: &str) -> Throttled {
    Throttled {
        retry_after_seconds: clock.to_real(wait),
        scope: format!("Tenant_Application/Reports/{app_id}/{tenant_id}"),
        information: "ReportsLimitExceeded",
    }
}

/// The `Retry-After` header value for `seconds` real seconds (`None`: the header is left out).
pub(crate) fn format_retry_after(seconds: f64, format: RetryAfterFormat) -> Option<String> {
    let whole = ((seconds - 1e-9).ceil() as u64).max(1);
    match format {
        RetryAfterFormat::Integer => Some(format!("{whole}")),
        RetryAfterFormat::Fractional => Some(format!("{:.3}", seconds.max(0.001))),
        // A date has whole seconds: rounding up keeps a client that honours it from coming early.
        RetryAfterFormat::HttpDate => Some(httpdate::fmt_http_date(
            std::time::SystemTime::now() + Duration::from_secs(whole + 1),
        )),
        RetryAfterFormat::Absent => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throttle whose refusals take nothing, as a plain token bucket's.
    fn free_refusals(config: ThrottleConfig) -> Throttle {
        Throttle::new(ThrottleConfig {
            refused_requests_count: false,
            ..config
        })
    }

    #[test]
    fn bucket_refuses_then_refills_on_the_emulated_clock() {
        let clock = Clock::new(0.0);
        let limit = Limit::new(2, 150);
        let interval = limit.per.as_secs_f64() / f64::from(limit.requests);
        let throttle = free_refusals(ThrottleConfig {
            writes_per_app_tenant: limit,
            ..ThrottleConfig::default()
        });
        assert!(throttle.charge(&clock, "app", "t", true).is_ok());
        assert!(throttle.charge(&clock, "app", "t", true).is_ok());
        let refused = throttle.charge(&clock, "app", "t", true).unwrap_err();
        assert!((refused.retry_after_seconds - interval).abs() < 1e-6);
        assert_eq!(refused.information, "WriteLimitExceeded");
        clock.advance(Duration::from_secs_f64(interval));
        assert!(throttle.charge(&clock, "app", "t", true).is_ok());
        assert_eq!(
            format_retry_after(75.0, RetryAfterFormat::Integer).as_deref(),
            Some("75")
        );
        assert_eq!(
            format_retry_after(2.128, RetryAfterFormat::Fractional).as_deref(),
            Some("2.128")
        );
        assert_eq!(format_retry_after(2.0, RetryAfterFormat::Absent), None);
        let date = format_retry_after(2.0, RetryAfterFormat::HttpDate).unwrap_or_default();
        let when = httpdate::parse_http_date(&date).unwrap_or(std::time::UNIX_EPOCH);
        let ahead = when
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        // Whole seconds, never earlier than the wait.
        assert!(
            ahead >= Duration::from_secs(2) && ahead <= Duration::from_secs(3),
            "{date}"
        );
    }

    #[test]
    fn a_refused_request_is_charged_and_honouring_its_retry_after_is_enough() {
        let clock = Clock::new(0.0);
        let limit = Limit::new(2, 150);
        let interval = limit.per.as_secs_f64() / f64::from(limit.requests);
        let throttle = Throttle::new(ThrottleConfig {
            writes_per_app_tenant: limit,
            ..ThrottleConfig::default()
        });
        for _ in 0..limit.requests {
            assert!(throttle.charge(&clock, "app", "t", true).is_ok());
        }
        // The refusal costs a write too: the bucket owes one, so the wait is two intervals.
        let first = throttle.charge(&clock, "app", "t", true).unwrap_err();
        assert!(
            (first.retry_after_seconds - 2.0 * interval).abs() < 1e-6,
            "{first:?}"
        );
        // Each early retry owes one more interval.
        clock.advance(Duration::from_secs_f64(interval));
        let early = throttle.charge(&clock, "app", "t", true).unwrap_err();
        assert!(
            (early.retry_after_seconds - 2.0 * interval).abs() < 1e-6,
            "{early:?}"
        );
        // Waiting out the last Retry-After is enough.
        clock.advance(Duration::from_secs_f64(early.retry_after_seconds));
        assert!(throttle.charge(&clock, "app", "t", true).is_ok());
        // The debt is bounded by one window: however long the hammering, a window's wait clears it.
        for _ in 0..1_000 {
            let _ = throttle.charge(&clock, "app", "t", true);
        }
        clock.advance(limit.per + Duration::from_secs_f64(interval));
        assert!(throttle.charge(&clock, "app", "t", true).is_ok());
    }

    #[test]
    fn report_pages_draw_on_their_own_bucket_and_not_on_resource_units() {
        let clock = Clock::new(0.0);
        let pages = Limit::new(5, 10);
        let interval = pages.per.as_secs_f64() / f64::from(pages.requests);
        let throttle = free_refusals(ThrottleConfig {
            reads_per_app_tenant: Limit::new(1, 10),
            reports_per_app_tenant: Some(pages),
            ..ThrottleConfig::default()
        });
        // Five pages per 10 s, whatever the resource units do.
        for _ in 0..pages.requests {
            assert!(throttle.charge_report(&clock, "app", "t").is_ok());
        }
        let refused = throttle.charge_report(&clock, "app", "t").unwrap_err();
        assert!(
            (refused.retry_after_seconds - interval).abs() < 1e-6,
            "{refused:?}"
        );
        assert!(refused.scope.starts_with("Tenant_Application/Reports/"));
        // The resource-unit bucket was never touched by the pages, nor the pages by a read.
        assert!(throttle.charge(&clock, "app", "t", false).is_ok());
        assert!(throttle.charge(&clock, "app", "t", false).is_err());
        // Another app has a bucket of its own.
        assert!(throttle.charge_report(&clock, "other", "t").is_ok());
        clock.advance(Duration::from_secs_f64(interval));
        assert!(throttle.charge_report(&clock, "app", "t").is_ok());
        let stats = throttle.stats();
        assert_eq!((stats.report_reads, stats.throttled_report_reads), (7, 1));
        assert_eq!((stats.reads, stats.throttled_reads), (8, 2));
    }

    #[test]
    fn a_refused_report_page_is_charged_to_the_reports_budget() {
        let clock = Clock::new(0.0);
        let pages = Limit::new(5, 10);
        let interval = pages.per.as_secs_f64() / f64::from(pages.requests);
        let throttle = Throttle::new(ThrottleConfig {
            reports_per_app_tenant: Some(pages),
            ..ThrottleConfig::default()
        });
        for _ in 0..pages.requests {
            assert!(throttle.charge_report(&clock, "app", "t").is_ok());
        }
        let refused = throttle.charge_report(&clock, "app", "t").unwrap_err();
        assert!((refused.retry_after_seconds - 2.0 * interval).abs() < 1e-6);
        clock.advance(Duration::from_secs_f64(refused.retry_after_seconds));
        assert!(throttle.charge_report(&clock, "app", "t").is_ok());
    }

    #[test]
    fn unlimited_reports_are_never_throttled() {
        let clock = Clock::new(0.0);
        let throttle = Throttle::new(ThrottleConfig {
            reports_per_app_tenant: None,
            ..ThrottleConfig::default()
        });
        for _ in 0..1_000 {
            assert!(throttle.charge_report(&clock, "app", "t").is_ok());
        }
    }

    #[test]
    fn read_quota_follows_tenant_size() {
        let reads = |users| {
            ThrottleConfig::identity_for_tenant(users)
                .reads_per_app_tenant
                .requests
        };
        assert_eq!(
            (reads(10), reads(50), reads(500), reads(501)),
            (3_500, 5_000, 5_000, 8_000)
        );
    }
}
