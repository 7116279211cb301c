//! Graph's throttling budgets as the client models them: the quotas a request draws on, how big
//! each is, and the least time a given amount of work can take under them.
//!
//! Microsoft documents token-bucket limits for the identity and access service per app and tenant
//! (resource units: 8,000 per 10 s in tenants over 500 users; writes: 3,000 per 150 s) and per
//! tenant across apps (writes: 18,000 per 300 s), and 5 requests per 10 s per app and tenant for
//! the identity-and-access reports (Learn, "Microsoft Graph service-specific throttling limits";
//! the reports figure is microsoftgraph/microsoft-graph-docs-contrib
//! `includes/throttling-entra-logs-reports.md`). Whether `signInPreferences` is governed by them,
//! and whether the registration report (`/reports/authenticationMethods/userRegistrationDetails`,
//! not named in the reports list) is, is not published: those are the assumptions
//! [`Budgets::documented`] makes, and every figure can be replaced ([`Budget`] parses
//! `3000/150s`), or left unknown, in which case the client learns it from the service's refusals
//! alone.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A quota of Graph's that a request draws on. Each has a budget of its own, so a refused read
/// never holds back writes, nor a refused report page anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Quota {
    /// Resource units per app and tenant: every request but a report page (a write costs one too).
    ResourceUnits,
    /// Writes per app and tenant.
    AppWrites,
    /// Writes per tenant, across every app.
    TenantWrites,
    /// The identity reports (the registration report's pages).
    Reports,
}

impl Quota {
    /// Every quota, in a fixed order.
    pub const ALL: [Quota; 4] = [
        Quota::ResourceUnits,
        Quota::AppWrites,
        Quota::TenantWrites,
        Quota::Reports,
    ];

    pub(crate) fn index(self) -> usize {
        match self {
            Quota::ResourceUnits => 0,
            Quota::AppWrites => 1,
            Quota::TenantWrites => 2,
            Quota::Reports => 3,
        }
    }

    /// The quota a 429 names through `x-ms-throttle-scope` (`Tenant_Application/Write/…`,
    /// `Tenant/Write/…`, `Tenant_Application/ReadWrite/…`) or `x-ms-throttle-information`
    /// (`WriteLimitExceeded`, `ResourceUnitLimitExceeded`), as the identity service documents them.
    /// `None` when it names none this client knows.
    pub fn from_refusal(scope: Option<&str>, information: Option<&str>) -> Option<Quota> {
        let mut parts = scope.unwrap_or_default().split('/');
        let (holder, limit) = (parts.next().unwrap_or_default(), parts.next());
        let write = match limit {
            Some(limit) if limit.eq_ignore_ascii_case("write") => Some(true),
            Some(limit) if limit.eq_ignore_ascii_case("readwrite") => Some(false),
            _ => match information {
                Some(info) if info.eq_ignore_ascii_case("WriteLimitExceeded") => Some(true),
                Some(info) if info.eq_ignore_ascii_case("ResourceUnitLimitExceeded") => Some(false),
                _ => None,
            },
        }?;
        Some(match (write, holder.eq_ignore_ascii_case("Tenant")) {
            (true, true) => Quota::TenantWrites,
            (true, false) => Quota::AppWrites,
            (false, _) => Quota::ResourceUnits,
        })
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quota::ResourceUnits => "resource units per app and tenant",
            Quota::AppWrites => "writes per app and tenant",
            Quota::TenantWrites => "writes per tenant",
            Quota::Reports => "report reads per app and tenant",
        })
    }
}

/// `requests` per `per`, refilled continuously (a token bucket of `requests` tokens).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The bucket: requests allowed in one window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Budget {
    /// `requests` per `per`.
    pub const fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }

    /// Requests per second in the long run.
    pub fn rate(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The least time `demand` requests take under this budget, from a full bucket.
    pub fn floor(&self, demand: u64) -> Duration {
        let beyond = demand.saturating_sub(u64::from(self.requests));
        Duration::from_secs_f64(beyond as f64 / self.rate())
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.requests, self.per.as_secs_f64())
    }
}

/// Why a budget did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetParseError(String);

impl fmt::Display for BudgetParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BudgetParseError {}

impl FromStr for Budget {
    type Err = BudgetParseError;

    /// `3000/150s`, `8000/10s`, `300/15.5s` (the `s` is optional): requests per seconds, both
    /// positive.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = |why: &str| {
            BudgetParseError(format!(
                "{text:?} is not a budget: {why} (write REQUESTS/SECONDS, e.g. 3000/150s)"
            ))
        };
        let (requests, seconds) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| refuse("no '/'"))?;
        let requests: u32 = requests
            .trim()
            .parse()
            .map_err(|_| refuse("the request count is not a whole number"))?;
        let seconds = seconds.trim();
        let seconds: f64 = seconds
            .strip_suffix('s')
            .unwrap_or(seconds)
            .parse()
            .map_err(|_| refuse("the window is not a number of seconds"))?;
        if requests == 0 {
            return Err(refuse("the request count must be at least 1"));
        }
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
            return Err(refuse("the window must be between 0 and 86400 seconds"));
        }
        Ok(Self::new(requests, Duration::from_secs_f64(seconds)))
    }
}

/// The budget of each quota; `None` where it is unknown (learned from refusals alone).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Budgets {
    /// Resource units per app and tenant.
    pub resource_units: Option<Budget>,
    /// Writes per app and tenant.
    pub app_writes: Option<Budget>,
    /// Writes per tenant across apps.
    pub tenant_writes: Option<Budget>,
    /// Report pages per app and tenant.
    pub reports: Option<Budget>,
}

impl Default for Budgets {
    fn default() -> Self {
        Self::documented()
    }
}

impl Budgets {
    /// The identity and access limits Microsoft documents, for a tenant over 500 users (the
    /// tenants bulk work is for): 8,000 resource units per 10 s, 3,000 writes per 150 s per app
    /// and tenant, 18,000 writes per 300 s per tenant; and 5 report pages per 10 s per app and
    /// tenant, the identity-and-access reports limit, assumed to cover the registration report
    /// (`unknown` through [`Budgets::with_setting`] learns it from refusals instead).
    pub const fn documented() -> Self {
        Self {
            resource_units: Some(Budget::new(8_000, Duration::from_secs(10))),
            app_writes: Some(Budget::new(3_000, Duration::from_secs(150))),
            tenant_writes: Some(Budget::new(18_000, Duration::from_secs(300))),
            reports: Some(Budget::new(5, Duration::from_secs(10))),
        }
    }

    /// Nothing known: every quota is learned from refusals.
    pub const fn unknown() -> Self {
        Self {
            resource_units: None,
            app_writes: None,
            tenant_writes: None,
            reports: None,
        }
    }

    /// The budget of `quota`.
    pub fn get(&self, quota: Quota) -> Option<Budget> {
        match quota {
            Quota::ResourceUnits => self.resource_units,
            Quota::AppWrites => self.app_writes,
            Quota::TenantWrites => self.tenant_writes,
            Quota::Reports => self.reports,
        }
    }

    /// These budgets with `quota`'s replaced.
    #[must_use]
    pub fn with(mut self, quota: Quota, budget: Option<Budget>) -> Self {
        *match quota {
            Quota::ResourceUnits => &mut self.resource_units,
            Quota::AppWrites => &mut self.app_writes,
            Quota::TenantWrites => &mut self.tenant_writes,
            Quota::Reports => &mut self.reports,
        } = budget;
        self
    }

    /// With `quota`'s budget set as an operator writes it: `3000/150s`, or `unknown` to learn it
    /// from the service's refusals alone. The one reading of a budget setting, for every front end.
    pub fn with_setting(self, quota: Quota, setting: &str) -> Result<Self, BudgetParseError> {
        let budget = if setting.trim().eq_ignore_ascii_case("unknown") {
            None
        } else {
            Some(setting.parse::<Budget>()?)
        };
        Ok(self.with(quota, budget))
    }

    /// The least time any client could take to send `charge`, starting from full buckets: the
    /// slowest quota's floor (quotas refill side by side). Quotas of unknown budget add nothing.
    pub fn floor(&self, charge: &Charge) -> Duration {
        Quota::ALL
            .iter()
            .filter_map(|quota| Some(self.get(*quota)?.floor(charge.get(*quota))))
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

/// What requests cost against each quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Charge {
    units: [u64; 4],
}

impl Charge {
    /// Nothing.
    pub const NONE: Charge = Charge { units: [0; 4] };

    /// The cost of one request: a report page draws on the reports quota alone; any other read
    /// costs one resource unit; a write one resource unit and one write of each write quota
    /// (Learn: "PATCH costs 1 RU + 1 write"). Documented costs vary by resource; 1 is the base
    /// cost of any identity path not listed.
    pub fn of_request(method: &http::Method, path: &str) -> Charge {
        if is_report(path) {
            return Charge::NONE.plus(Quota::Reports, 1);
        }
        let read = Charge::NONE.plus(Quota::ResourceUnits, 1);
        if method == http::Method::GET || method == http::Method::HEAD {
            read
        } else {
            read.plus(Quota::AppWrites, 1).plus(Quota::TenantWrites, 1)
        }
    }

    /// `reads` reads and `writes` writes of sign-in preferences.
    pub fn reads_and_writes(reads: u64, writes: u64) -> Charge {
        Charge::NONE
            .plus(Quota::ResourceUnits, reads + writes)
            .plus(Quota::AppWrites, writes)
            .plus(Quota::TenantWrites, writes)
    }

    /// This charge with `units` more against `quota`.
    #[must_use]
    pub fn plus(mut self, quota: Quota, units: u64) -> Charge {
        if let Some(slot) = self.units.get_mut(quota.index()) {
            *slot = slot.saturating_add(units);
        }
        self
    }

    /// Units against `quota`.
    pub fn get(&self, quota: Quota) -> u64 {
        self.units.get(quota.index()).copied().unwrap_or(0)
    }

    /// The quota a refusal that names none is taken to come from: writes for a write, else
    /// reports for a report page, else resource units.
    pub fn primary(&self) -> Quota {
        if self.get(Quota::AppWrites) > 0 {
            Quota::AppWrites
        } else if self.get(Quota::Reports) > 0 && self.get(Quota::ResourceUnits) == 0 {
            Quota::Reports
        } else {
            Quota::ResourceUnits
        }
    }
}

impl std::ops::Add for Charge {
    type Output = Charge;

    /// The sum of two charges.
    fn add(mut self, other: Charge) -> Charge {
        for (mine, theirs) in self.units.iter_mut().zip(other.units) {
            *mine = mine.saturating_add(theirs);
        }
        self
    }
}

/// Whether `path` (with or without its API version and query) is one of the identity reports.
fn is_report(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.trim_start_matches('/');
    let path = path
        .strip_prefix("beta/")
        .or_else(|| path.strip_prefix("v1.0/"))
        .unwrap_or(path);
    path.starts_with("reports/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_setting_is_a_budget_or_unknown_and_nothing_else() {
        let documented = Budgets::documented();
        let unknown = documented
            .with_setting(Quota::AppWrites, " Unknown ")
            .unwrap();
        assert_eq!(unknown.get(Quota::AppWrites), None);
        let set = documented
            .with_setting(Quota::AppWrites, "600/150s")
            .unwrap();
        assert_eq!(
            set.app_writes,
            Some(Budget::new(600, Duration::from_secs(150)))
        );
        assert_eq!(set.resource_units, documented.resource_units);
        let refused = documented
            .with_setting(Quota::AppWrites, "fast")
            .unwrap_err();
        assert!(
            refused.to_string().contains("\"fast\" is not a budget"),
            "{refused}"
        );
    }

    #[test]
    fn refusals_name_their_quota() {
        let of = |scope, info| Quota::from_refusal(scope, info);
        assert_eq!(
            of(Some("Tenant_Application/Write/app/tenant"), None),
            Some(Quota::AppWrites)
        );
        assert_eq!(
            of(Some("Tenant/Write/app/tenant"), None),
            Some(Quota::TenantWrites)
        );
        assert_eq!(
            of(
                Some("Tenant_Application/ReadWrite/app/t"),
                Some("ResourceUnitLimitExceeded")
            ),
            Some(Quota::ResourceUnits)
        );
        assert_eq!(of(None, Some("WriteLimitExceeded")), Some(Quota::AppWrites));
        assert_eq!(of(None, Some("CPULimitExceeded")), None);
        assert_eq!(of(None, None), None);
    }

    #[test]
    fn charges_follow_the_documented_costs() {
        let patch = Charge::of_request(
            &http::Method::PATCH,
            "/beta/users/u/authentication/signInPreferences",
        );
        assert_eq!(patch, Charge::reads_and_writes(0, 1));
        let get = Charge::of_request(&http::Method::GET, "/beta/users/u/authentication/methods");
        assert_eq!(get, Charge::reads_and_writes(1, 0));
        let page = Charge::of_request(
            &http::Method::GET,
            "/beta/reports/authenticationMethods/userRegistrationDetails?$top=999",
        );
        assert_eq!(page.get(Quota::Reports), 1);
        assert_eq!(page.primary(), Quota::Reports);
        assert_eq!(patch.primary(), Quota::AppWrites);
        assert_eq!(get.primary(), Quota::ResourceUnits);
    }

    #[test]
    fn the_floor_is_the_slowest_quota_beyond_its_bucket() {
        let budgets = Budgets::documented();
        // 30,000 writes: 27,000 beyond the bucket at 20 per second.
        let floor = budgets.floor(&Charge::reads_and_writes(0, 30_000));
        assert!((floor.as_secs_f64() - 1_350.0).abs() < 1e-6, "{floor:?}");
        assert_eq!(
            budgets.floor(&Charge::reads_and_writes(100, 100)),
            Duration::ZERO
        );
        assert_eq!(
            Budgets::unknown().floor(&Charge::reads_and_writes(1, 1 << 40)),
            Duration::ZERO
        );
    }

    #[test]
    fn bad_budgets_are_refused_with_the_reason() {
        for (text, why) in [
            ("3000", "no '/'"),
            ("x/150s", "whole number"),
            ("0/150s", "at least 1"),
            ("3000/0s", "between"),
            ("3000/abc", "seconds"),
        ] {
            let error = text.parse::<Budget>().unwrap_err().to_string();
            assert!(
                error.contains(why) && error.contains(text),
                "{text}: {error}"
            );
        }
    }

    proptest! {
        #[test]
        fn a_budget_reads_back_what_it_prints(requests in 1u32..1_000_000, millis in 1u64..86_400_000) {
            let budget = Budget::new(requests, Duration::from_millis(millis));
            let again: Budget = budget.to_string().parse().unwrap();
            prop_assert_eq!(again.requests, budget.requests);
            prop_assert!((again.per.as_secs_f64() - budget.per.as_secs_f64()).abs() < 1e-9);
        }
    }
}
