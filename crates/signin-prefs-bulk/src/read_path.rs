//! Which way `plan` reads users' state, the registration report or each user, chosen by the floor
//! each way's reads have under the client's budgets.
//!
//! The two ways draw on different quotas. Per user, a target costs two reads of the resource units
//! (its `signInPreferences` and its `authentication/methods`, in `$batch`es): at the documented
//! 8,000 per 10 s, 800 users a second. The registration report costs one request per page of 999
//! users of the whole tenant, but on the identity-and-access reports budget of 5 requests per
//! 10 s (microsoftgraph/microsoft-graph-docs-contrib, `includes/throttling-entra-logs-reports.md`):
//! about 1,000 users a second however few of them are targets. So the report wins only for jobs
//! covering most of the tenant (at the documented budgets, at least about 80% of it), and loses
//! by any factor for a few users of a large tenant. [`choose`] is the pure rule; [`choose_for`]
//! counts what the rule needs (`$count` of the tenant's users, and of a group's or filter's).
//!
//! With `plan --from`, the report is read only for users who registered a method such a default
//! needs (`methodsRegistered/any(…)`), so its real page count is that of those users, not of the
//! tenant's. The floor here still counts the whole tenant, an upper bound: the report has no
//! documented `$count` to learn the filtered size without reading it, so `auto` can take per-user
//! reads where the filtered report would have been faster, never the other way round;
//! `--read-path report` takes the report whatever the counts.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use signin_prefs_client::{Budgets, Charge, Client, Quota};
use signin_prefs_request::{GroupId, ListTransitiveMemberAsUser, ListUser};

use crate::registration_report::REPORT_PAGE_SIZE;
use crate::state::READS_PER_USER;

/// Users per page of a group's or filter's listing, as the CLI asks for them.
pub const LISTING_PAGE_SIZE: u64 = 999;

/// A way of reading users' state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadPath {
    /// The tenant's registration report, page by page; users it does not list are read one by one.
    Report,
    /// Each user's preferences and registered methods.
    PerUser,
}

impl ReadPath {
    /// Its name on the command line and in Python.
    pub fn name(self) -> &'static str {
        match self {
            ReadPath::Report => "report",
            ReadPath::PerUser => "per-user",
        }
    }
}

impl fmt::Display for ReadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReadPath::Report => "the registration report",
            ReadPath::PerUser => "per-user reads",
        })
    }
}

/// What the operator asked for: a way, or the faster one under the budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReadPathSetting {
    /// Whichever way's floor is lower for this job ([`choose`]).
    #[default]
    Auto,
    /// This way, whatever it costs.
    Fixed(ReadPath),
}

impl FromStr for ReadPathSetting {
    type Err = String;

    /// `auto`, `report` or `per-user` (any case; `per_user` and `peruser` too).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Ok(ReadPathSetting::Auto),
            "report" => Ok(ReadPathSetting::Fixed(ReadPath::Report)),
            "per-user" | "peruser" => Ok(ReadPathSetting::Fixed(ReadPath::PerUser)),
            _ => Err(format!(
                "{text:?} is not a read path: use auto, report or per-user"
            )),
        }
    }
}

/// The directory list a plan's targets come from, counted when the read path is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// A group's users, nested groups included.
    Group(GroupId),
    /// The users an OData filter matches.
    Filter(String),
}

/// What [`choose`] weighs: counts of the job, `None` where they are not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadJob {
    /// Users in the tenant: the report lists at most these.
    pub tenant_users: Option<u64>,
    /// Users to plan.
    pub targets: Option<u64>,
    /// Pages of the targets' own listing (a group or a filter; 0 for a file), read either way.
    pub listing_pages: u64,
    /// Whether the tenant's report can be read at all (it needs Entra ID P1 or P2).
    pub report_available: bool,
}

/// Why a way was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The operator asked for it.
    Asked,
    /// Its floor is the lower (or, for per-user reads, equal: they read live state, where the
    /// report can trail recent changes).
    LowerFloor,
    /// The report cannot be read in this tenant.
    ReportUnavailable,
    /// A count the choice needs is not known: the default way is taken.
    Uncounted,
    /// A budget the choice needs is unknown (left to be learned): the default way is taken.
    BudgetUnknown(Quota),
}

/// The way taken, why, and the figures it was weighed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPathDecision {
    /// The way taken.
    pub path: ReadPath,
    /// Why.
    pub why: Why,
    /// The least time the report's reads take under the budgets, where it could be computed.
    pub report_floor: Option<Duration>,
    /// The least time the per-user reads take, where it could be computed.
    pub per_user_floor: Option<Duration>,
    /// The counts weighed.
    pub job: ReadJob,
}

/// The way taken when the figures to choose by are missing. Per-user reads: at the documented
/// budgets they take at most about 1.25 times the report's floor (when every user of the tenant
/// is a target), while the report can take any multiple of theirs (a few users of a big tenant).
pub const DEFAULT_READ_PATH: ReadPath = ReadPath::PerUser;

/// The least time reading `targets` users one by one takes, with `listing_pages` of their
/// listing: both on the resource units.
pub fn per_user_floor(budgets: &Budgets, targets: u64, listing_pages: u64) -> Duration {
    budgets.floor(&Charge::reads_and_writes(
        targets
            .saturating_mul(READS_PER_USER)
            .saturating_add(listing_pages),
        0,
    ))
}

/// The least time planning `targets` users from the report of a tenant of `tenant_users` takes:
/// the report's pages (on the reports budget) beside the listing's (on the resource units), then
/// one by one the targets it cannot list (at most those beyond the tenant's users), since the
/// planner reads those once the report is in.
pub fn report_floor(
    budgets: &Budgets,
    tenant_users: u64,
    targets: u64,
    listing_pages: u64,
) -> Duration {
    let pages = tenant_users.div_ceil(REPORT_PAGE_SIZE).max(1);
    let report = Charge::NONE
        .plus(Quota::Reports, pages)
        .plus(Quota::ResourceUnits, listing_pages);
    let unlisted = targets.saturating_sub(tenant_users);
    budgets.floor(&report) + per_user_floor(budgets, unlisted, 0)
}

/// The way to read `job` under `budgets`, as `setting` asks: a fixed way is taken as asked; auto
/// takes the way of the lower floor, per-user reads when the report is unavailable, and
/// [`DEFAULT_READ_PATH`] when a count or a budget it needs is unknown.
pub fn choose(setting: ReadPathSetting, job: ReadJob, budgets: &Budgets) -> ReadPathDecision {
    let floors = match (job.tenant_users, job.targets) {
        (Some(tenant_users), Some(targets)) => Some((
            report_floor(budgets, tenant_users, targets, job.listing_pages),
            per_user_floor(budgets, targets, job.listing_pages),
        )),
        _ => None,
    };
    let decision = |path, why| ReadPathDecision {
        path,
        why,
        report_floor: floors.map(|(report, _)| report),
        per_user_floor: floors.map(|(_, per_user)| per_user),
        job,
    };
    if let ReadPathSetting::Fixed(path) = setting {
        return decision(path, Why::Asked);
    }
    if !job.report_available {
        return decision(ReadPath::PerUser, Why::ReportUnavailable);
    }
    for quota in [Quota::ResourceUnits, Quota::Reports] {
        if budgets.get(quota).is_none() {
            return decision(DEFAULT_READ_PATH, Why::BudgetUnknown(quota));
        }
    }
    match floors {
        None => decision(DEFAULT_READ_PATH, Why::Uncounted),
        Some((report, per_user)) if report < per_user => {
            decision(ReadPath::Report, Why::LowerFloor)
        }
        Some(_) => decision(ReadPath::PerUser, Why::LowerFloor),
    }
}

/// [`choose`] for a plan of `targets` users (known for a file) or of `listing`'s users, counting
/// through `$count` what is not known: the tenant's users and the listing's. A count Graph refuses
/// (no advanced-query support, a missing permission) leaves the figure unknown, so auto takes
/// [`DEFAULT_READ_PATH`]; the refusal is logged. A fixed setting counts nothing.
pub async fn choose_for(
    client: &Client,
    setting: ReadPathSetting,
    targets: Option<u64>,
    listing: Option<&Listing>,
) -> ReadPathDecision {
    let budgets = client.pacer().budgets();
    if setting != ReadPathSetting::Auto {
        return choose(setting, ReadJob::default(), &budgets);
    }
    let counted = |what: &'static str, count: Result<u64, signin_prefs_client::Error>| match count {
        Ok(count) => Some(count),
        Err(error) => {
            tracing::warn!(%error, "cannot count {what}; the read path falls back to its default");
            None
        }
    };
    let listed = async {
        match (targets, listing) {
            (Some(targets), _) => (Some(targets), 0),
            (None, Some(listing)) => {
                let count = match listing {
                    Listing::Group(group) => {
                        client
                            .count_items(&ListTransitiveMemberAsUser::new(group.clone()))
                            .await
                    }
                    Listing::Filter(filter) => {
                        let mut list = ListUser::new();
                        list.filter = Some(filter.clone());
                        client.count_items(&list).await
                    }
                };
                let targets = counted("the listed users", count);
                (
                    targets,
                    targets.map_or(0, |count| count.div_ceil(LISTING_PAGE_SIZE)),
                )
            }
            (None, None) => (None, 0),
        }
    };
    // The two counts side by side: each is a round trip before the first user is read.
    let (tenant_users, (targets, listing_pages)) = futures_util::future::join(
        async {
            counted(
                "the tenant's users",
                client.count_items(&ListUser::new()).await,
            )
        },
        listed,
    )
    .await;
    let job = ReadJob {
        tenant_users,
        targets,
        listing_pages,
        // Whether the report can be read shows only when it is read: a refusal then falls back to
        // per-user reads for everyone, as a fixed `report` does.
        report_available: true,
    };
    choose(setting, job, &budgets)
}

impl fmt::Display for ReadPathDecision {
    /// One sentence: the way, and why.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading users' state by {}", self.path)?;
        match self.why {
            Why::Asked => f.write_str(", as asked"),
            Why::ReportUnavailable => f.write_str(": the registration report is unavailable"),
            Why::Uncounted => write!(
                f,
                ", the default: the users could not be counted (see the log), so the floors are unknown"
            ),
            Why::BudgetUnknown(quota) => write!(
                f,
                ", the default: the budget of {quota} is unknown, so the floors cannot be compared"
            ),
            Why::LowerFloor => {
                let seconds = |floor: Option<Duration>| {
                    floor.map_or_else(|| "?".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
                };
                write!(
                    f,
                    ": the least time its reads can take under the budgets is not above the other way's (report {}, per user {}; {} targets, {} users in the tenant)",
                    seconds(self.report_floor),
                    seconds(self.per_user_floor),
                    self.job
                        .targets
                        .map_or_else(|| "?".to_owned(), |n| n.to_string()),
                    self.job
                        .tenant_users
                        .map_or_else(|| "?".to_owned(), |n| n.to_string()),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use signin_prefs_client::Budget;

    fn job(tenant_users: u64, targets: u64) -> ReadJob {
        ReadJob {
            tenant_users: Some(tenant_users),
            targets: Some(targets),
            listing_pages: 0,
            report_available: true,
        }
    }

    #[test]
    fn at_the_documented_budgets_the_report_wins_only_for_most_of_a_large_tenant() {
        let budgets = Budgets::documented();
        let whole = choose(ReadPathSetting::Auto, job(500_000, 500_000), &budgets);
        assert_eq!((whole.path, whole.why), (ReadPath::Report, Why::LowerFloor));
        let few = choose(ReadPathSetting::Auto, job(500_000, 10_000), &budgets);
        assert_eq!(few.path, ReadPath::PerUser);
        // The default way is never more than about 1.25 times the report's floor.
        let (report, per_user) = (whole.report_floor.unwrap(), whole.per_user_floor.unwrap());
        assert!(per_user.as_secs_f64() <= 1.26 * report.as_secs_f64());
    }

    #[test]
    fn what_is_not_known_takes_the_default_and_says_so() {
        let budgets = Budgets::documented();
        let uncounted = ReadJob {
            targets: None,
            ..job(500_000, 0)
        };
        let decision = choose(ReadPathSetting::Auto, uncounted, &budgets);
        assert_eq!(
            (decision.path, decision.why),
            (DEFAULT_READ_PATH, Why::Uncounted)
        );
        assert!(decision.to_string().contains("could not be counted"));
        let learned = budgets.with(Quota::Reports, None);
        let decision = choose(ReadPathSetting::Auto, job(500_000, 500_000), &learned);
        assert_eq!(decision.why, Why::BudgetUnknown(Quota::Reports));
        assert_eq!(decision.path, DEFAULT_READ_PATH);
    }

    #[test]
    fn settings_parse_from_their_names() {
        for path in [ReadPath::Report, ReadPath::PerUser] {
            assert_eq!(path.name().parse(), Ok(ReadPathSetting::Fixed(path)));
        }
        assert_eq!(" AUTO ".parse(), Ok(ReadPathSetting::Auto));
        assert_eq!(
            "per_user".parse(),
            Ok(ReadPathSetting::Fixed(ReadPath::PerUser))
        );
        assert!(
            "fast"
                .parse::<ReadPathSetting>()
                .unwrap_err()
                .contains("auto, report or per-user")
        );
    }

    fn budgets() -> impl Strategy<Value = Budgets> {
        (1u32..20_000, 1u64..600, 1u32..100, 1u64..600).prop_map(|(units, per, pages, every)| {
            Budgets::documented()
                .with(
                    Quota::ResourceUnits,
                    Some(Budget::new(units, Duration::from_secs(per))),
                )
                .with(
                    Quota::Reports,
                    Some(Budget::new(pages, Duration::from_secs(every))),
                )
        })
    }

    proptest! {
        #[test]
        fn the_chosen_floor_is_never_above_the_others(
            budgets in budgets(),
            tenant in 0u64..2_000_000,
            targets in 0u64..2_000_000,
            listing_pages in 0u64..3_000,
        ) {
            let job = ReadJob { listing_pages, ..job(tenant, targets) };
            let decision = choose(ReadPathSetting::Auto, job, &budgets);
            let (report, per_user) = (decision.report_floor.unwrap(), decision.per_user_floor.unwrap());
            let (chosen, other) = match decision.path {
                ReadPath::Report => (report, per_user),
                ReadPath::PerUser => (per_user, report),
            };
            prop_assert!(chosen <= other, "{decision}");
            prop_assert_eq!(decision.why, Why::LowerFloor);
        }

        #[test]
        fn an_unavailable_report_means_per_user_reads(
            budgets in budgets(),
            tenant in 0u64..2_000_000,
            targets in 0u64..2_000_000,
        ) {
            let job = ReadJob { report_available: false, ..job(tenant, targets) };
            let decision = choose(ReadPathSetting::Auto, job, &budgets);
            prop_assert_eq!((decision.path, decision.why), (ReadPath::PerUser, Why::ReportUnavailable));
        }

        #[test]
        fn a_fixed_setting_is_obeyed(
            budgets in budgets(),
            tenant in proptest::option::of(0u64..2_000_000),
            targets in proptest::option::of(0u64..2_000_000),
            report in any::<bool>(),
        ) {
            for path in [ReadPath::Report, ReadPath::PerUser] {
                let job = ReadJob { tenant_users: tenant, targets, listing_pages: 0, report_available: report };
                let decision = choose(ReadPathSetting::Fixed(path), job, &budgets);
                prop_assert_eq!((decision.path, decision.why), (path, Why::Asked));
            }
        }

        #[test]
        fn more_targets_never_favour_per_user_reads(
            budgets in budgets(),
            tenant in 1u64..2_000_000,
            fewer in 0u64..2_000_000,
            more in 0u64..2_000_000,
        ) {
            // Per-user reads grow with the targets; the report's pages do not.
            let (fewer, more) = (fewer.min(more), fewer.max(more));
            let at = |targets| choose(ReadPathSetting::Auto, job(tenant, targets), &budgets).path;
            prop_assert!(!(at(fewer) == ReadPath::Report && at(more) == ReadPath::PerUser));
        }
    }
}
