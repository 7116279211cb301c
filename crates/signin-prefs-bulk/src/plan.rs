//! The plan: for every targeted user, what is there now, what it should become, and what to do.
//!
//! A plan is written to a file before anything changes, so an operator can read it, diff it, keep it
//! for the change record, and apply exactly it. Loading a plan checks it again, so a plan edited by
//! hand into inconsistency is refused before anything is sent.

use std::collections::BTreeSet;
use std::path::Path;

use futures_util::Stream;

use serde::{Deserialize, Serialize};
use signin_prefs_client::Client;
use signin_prefs_model::{SignInPreferences, UserDefaultAuthenticationMethodType as Method};

use crate::Error;
pub use crate::decide::decide;
use crate::decide::decide_on;
use crate::disabled::{DisabledUsers, read_disabled};
use crate::front_end::Refusal;
use crate::identities::refuse_one_user_under_two_keys;
use crate::key_digest::KeyDigest;
pub use crate::plan_file::{PlanFile, PlanProblem, scan};
use crate::plan_targets::Targets;
use crate::plan_writer::PlanWriter;
pub use crate::plan_writer::check_new_plan;
pub use crate::policy::decide_under_policy;
use crate::policy::{PolicySetting, read_for_plan};
use crate::read_path::{Listing, ReadPath, ReadPathDecision, ReadPathSetting, choose_for};
use crate::registration_report::{ReportKeys, ReportedState, from_report_names, read_report};
use crate::state::read_states_with_progress;
use crate::system_preferred::{DefaultReach, FlagPrecedence};
use crate::targets::{Target, TargetList};

/// The plan file format this build writes and reads.
pub const PLAN_FORMAT: u32 = 1;

/// The two settings a plan reads and writes, as plain values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preferences {
    /// `userPreferredMethodForSecondaryAuthentication`; `None` when unset.
    pub method: Option<String>,
    /// `isSystemPreferredAuthenticationMethodEnabled`; `None` when unset.
    pub system_preferred: Option<bool>,
}

impl Preferences {
    /// The plain values of what the service returned.
    pub fn of(preferences: &SignInPreferences) -> Self {
        Self {
            method: preferences
                .user_preferred_method_for_secondary_authentication
                .as_ref()
                .map(|method| method.as_str().to_owned()),
            system_preferred: preferences.is_system_preferred_authentication_method_enabled,
        }
    }
}

/// What to do with one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Send a PATCH.
    Change,
    /// Already as desired: nothing to send.
    AlreadyCompliant,
    /// No method of the fallback list is registered: nothing to send.
    Ineligible,
    /// The user's state could not be read: nothing to send.
    Error,
    /// On the exclude list: never touched.
    Excluded,
    /// Its current method is not one of those `--from` names (or, read by the report filtered for
    /// them, it registered none of what such a default needs): not this run's to change.
    NotFrom,
    /// The account is disabled (`accountEnabled: false`): left out unless
    /// [`PlanOptions::include_disabled`].
    Disabled,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Change,
        Action::AlreadyCompliant,
        Action::Ineligible,
        Action::Error,
        Action::Excluded,
        Action::NotFrom,
        Action::Disabled,
    ];

    /// The name a plan file gives it.
    pub fn name(self) -> &'static str {
        match self {
            Action::Change => "change",
            Action::AlreadyCompliant => "alreadyCompliant",
            Action::Ineligible => "ineligible",
            Action::Error => "error",
            Action::Excluded => "excluded",
            Action::NotFrom => "notFrom",
            Action::Disabled => "disabled",
        }
    }
}

/// One user of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanEntry {
    /// The key the user was targeted by.
    pub user: String,
    /// Where the user came from (a targets file line, or a group or filter position).
    pub source_line: usize,
    /// What the service held when planned.
    pub current: Preferences,
    /// What the user should hold afterwards (for `change` and `alreadyCompliant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Preferences>,
    /// The registered methods, as read.
    #[serde(default)]
    pub registered: Vec<String>,
    /// What to do.
    pub action: Action,
    /// Why, in a sentence.
    pub reason: String,
    /// For a change of the default method: whether it takes effect at sign-in or, system-preferred
    /// MFA applying to the user, matters only to the NPS extension and the AD FS adapter. Absent
    /// when the policy was not read (and in plans older than it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_reach: Option<DefaultReach>,
}

/// What the operator asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanRequest {
    /// The default methods to set, in order of preference: the first one registered wins.
    pub methods: Vec<String>,
    /// The system-preferred flag to set, if any.
    pub system_preferred: Option<bool>,
    /// Where the targets came from: a file, `group:<id>` or `filter:<expression>`.
    pub source: String,
    /// Users never to touch.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Only users whose current method is one of these are changed (empty: any).
    #[serde(default)]
    pub only_from: Vec<String>,
    /// The most changes the plan may hold.
    pub max_changes: Option<usize>,
    /// Whether disabled users were planned like the others (absent in older plans: `false`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub include_disabled: bool,
    /// How the user's system-preferred flag and the tenant's policy were taken to combine
    /// (written only when not the default, so older plans read and write as before).
    #[serde(default, skip_serializing_if = "FlagPrecedence::is_default")]
    pub flag_precedence: FlagPrecedence,
}

fn is_false(value: &bool) -> bool {
    !value
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// Counts per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Summary {
    /// Users to change.
    pub change: usize,
    /// Users already as desired.
    pub already_compliant: usize,
    /// Users who cannot take any of the methods.
    pub ineligible: usize,
    /// Users whose state could not be read.
    pub error: usize,
    /// Users on the exclude list.
    pub excluded: usize,
    /// Users whose current method is not one of `--from`. Written only when there are some, so
    /// that plans without any read and write as before (older plans counted them as excluded).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_from: usize,
    /// Disabled users left out. Written only when there are some, so that plans without any
    /// read and write as they did before the count existed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub disabled: usize,
    /// Changes of the default method that take effect at sign-in (system-preferred MFA does not
    /// apply to the user). Written only when there are some, as are the next.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub takes_effect: usize,
    /// Changes of the default method that matter only to the NPS extension and the AD FS adapter,
    /// since system-preferred MFA applies to the user.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nps_adfs_only: usize,
}

/// A plan, as written to and read from a plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    /// [`PLAN_FORMAT`].
    pub format: u32,
    /// When it was made, in seconds since the Unix epoch.
    pub created_at: u64,
    /// The Graph origin it was made against (a plan applies only there).
    pub service: String,
    /// What was asked for.
    pub request: PlanRequest,
    /// Counts per action; checked against the entries on load.
    pub summary: Summary,
    /// One entry per targeted user, in target order.
    pub entries: Vec<PlanEntry>,
}

/// The choices that shape a plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// The default methods to set, in order of preference (per-user overrides take precedence).
    pub methods: Vec<Method>,
    /// The system-preferred flag to set, if any (per-user overrides take precedence).
    pub system_preferred: Option<bool>,
    /// Where the targets came from, for the record.
    pub source: String,
    /// Users never to touch (object ids or UPNs, case-insensitive).
    pub exclude: Vec<String>,
    /// Only change users whose current method is one of these (e.g. move `sms` users only).
    pub only_from: Vec<Method>,
    /// Refuse a plan with more changes than this.
    pub max_changes: Option<usize>,
    /// How to read users' state: from the tenant's registration report (one paged read, falling
    /// back to per-user reads for users it does not list or when the tenant has no report), per
    /// user, or (the default) whichever the client's budgets make faster for this job.
    pub read_path: ReadPathSetting,
    /// The directory list streamed targets come from, counted (`$count`) to choose the read path;
    /// `None` for a list in hand, whose length is known.
    pub listing: Option<Listing>,
    /// Honour the tenant's authentication methods policy (read once per plan; the fallback list
    /// passes over a method it keeps from a user), or not ([`PolicySetting::Ignore`]).
    pub policy: PolicySetting,
    /// Plan disabled users (`accountEnabled: false`) like the others; by default they are found
    /// by one listing and left out as [`Action::Disabled`], without reading their state.
    pub include_disabled: bool,
    /// How a user's own system-preferred flag and the policy combine when the plan tells where
    /// each new default counts ([`PlanEntry::default_reach`]): an assumption, Microsoft publishes
    /// no rule.
    pub flag_precedence: FlagPrecedence,
}

/// How far [`make_plan_with_progress`] has got, for bars and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanProgress {
    /// The way users' state will be read, and why ([`PlanOptions::read_path`]).
    ReadPath(ReadPathDecision),
    /// Reading the tenant's registration report.
    ReadingReport,
    /// Reading users' states one by one: `done` of `total` settled (read, or found unreadable).
    /// Users the registration report covered and excluded users are in neither figure.
    Reading {
        /// Users settled so far.
        done: usize,
        /// Of how many.
        total: usize,
    },
}

/// Reads every target's state and decides what to do with each. Sends no write.
pub async fn make_plan(
    client: &Client,
    targets: &TargetList,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    make_plan_with_progress(client, targets, options, &mut |_| {}).await
}

/// [`make_plan`], telling `progress` how far the reading has got: [`PlanProgress::Reading`] once
/// with `done` 0 before the per-user reads start, then as each group of users comes back, the last
/// time with `done` equal to `total`.
pub async fn make_plan_with_progress(
    client: &Client,
    targets: &TargetList,
    options: &PlanOptions,
    progress: &mut (dyn FnMut(PlanProgress) + Send),
) -> Result<Plan, Error> {
    let mut entries = Vec::with_capacity(targets.len());
    let listed = Targets::Listed(targets);
    let summary = plan_entries(client, listed, options, progress, &mut |entry| {
        entries.push(entry);
        Ok(())
    })
    .await?;
    Ok(Plan {
        entries,
        ..plan_head(client, options, summary)
    })
}

/// [`make_plan_with_progress`], writing the plan to a new file at `path` (owner-only) entry by
/// entry as users are decided, instead of holding it: memory stays flat however many users there
/// are. `on_entry` sees each entry on its way. Returns the plan's head as written (its entries left
/// empty: they are in the file); a plan refused by [`PlanOptions::max_changes`] or stopped by an
/// error leaves no file.
pub async fn write_plan_with_progress(
    client: &Client,
    targets: &TargetList,
    options: &PlanOptions,
    path: &Path,
    progress: &mut (dyn FnMut(PlanProgress) + Send),
    on_entry: &mut (dyn FnMut(&PlanEntry) + Send),
) -> Result<Plan, Error> {
    let listed = Targets::Listed(targets);
    write_plan(client, listed, options, path, progress, on_entry).await
}

/// [`write_plan_with_progress`] for users that a directory list (a group's members, a filter's
/// matches) gives `keys` of, page by page: the plan reads and decides them a window at a time as
/// the pages arrive, so no list of the users is ever held. Each user's position in the list is
/// its `sourceLine`, from 1. The users to read are counted as they arrive, so the `total` of
/// [`PlanProgress::Reading`] grows until the list ends.
pub async fn write_plan_of_listed_users<'a>(
    client: &'a Client,
    keys: impl Stream<Item = Result<String, Error>> + Send + 'a,
    options: &'a PlanOptions,
    path: &'a Path,
    progress: &'a mut (dyn FnMut(PlanProgress) + Send),
    on_entry: &'a mut (dyn FnMut(&PlanEntry) + Send),
) -> Result<Plan, Error> {
    let streamed = Targets::streamed(keys);
    write_plan(client, streamed, options, path, progress, on_entry).await
}

async fn write_plan(
    client: &Client,
    targets: Targets<'_>,
    options: &PlanOptions,
    path: &Path,
    progress: &mut (dyn FnMut(PlanProgress) + Send),
    on_entry: &mut (dyn FnMut(&PlanEntry) + Send),
) -> Result<Plan, Error> {
    // The head is written last, over room kept for it: the widest head this plan can have.
    let widest = plan_head(client, options, Summary::widest());
    let mut writer = PlanWriter::create(path, &widest)?;
    let summary = plan_entries(client, targets, options, progress, &mut |entry| {
        on_entry(&entry);
        writer.push(entry)
    })
    .await?;
    let head = plan_head(client, options, summary);
    writer.finish(&head)?;
    Ok(head)
}

/// Reads every target's state and hands `sink` each user's entry, in target order, a window of
/// targets at a time; returns the counts, once the plan passes its guard rails.
async fn plan_entries(
    client: &Client,
    mut targets: Targets<'_>,
    options: &PlanOptions,
    progress: &mut (dyn FnMut(PlanProgress) + Send),
    sink: &mut (dyn FnMut(PlanEntry) -> Result<(), Error> + Send),
) -> Result<Summary, Error> {
    let per_user_values = match &targets {
        Targets::Listed(targets) => targets.has_overrides(),
        Targets::Streamed(_) => false,
    };
    if options.methods.is_empty() && options.system_preferred.is_none() && !per_user_values {
        return Err(Error::Guard(
            "nothing to change: give target methods or a system-preferred setting".into(),
        ));
    }
    // One user named by two keys would get two PATCHes: refused before anything else is read.
    if let Targets::Listed(listed) = &targets {
        refuse_one_user_under_two_keys(client, listed, &options.source).await?;
    }
    let excluded: BTreeSet<String> = options
        .exclude
        .iter()
        .map(|user| user.to_lowercase())
        .collect();
    let is_excluded = |user: &str| !excluded.is_empty() && excluded.contains(&user.to_lowercase());
    // Streamed targets are not known until listed: the policy is read for them.
    let decides_someone = match &targets {
        Targets::Listed(listed) => listed.users().any(|user| !is_excluded(user)),
        Targets::Streamed(_) => true,
    };
    let policy = read_for_plan(client, options, per_user_values, decides_someone).await?;
    let listed = match &targets {
        Targets::Listed(targets) => u64::try_from(targets.len()).ok(),
        Targets::Streamed(_) => None,
    };
    // Without the listing (it needs User.Read.All, which plans did not need before), disabled
    // users are planned like the others, as an unavailable report means per-user reads: said, not
    // fatal.
    // The disabled accounts are listed while the users' states are read: neither waits on the other.
    let disabled = async {
        if options.include_disabled {
            return DisabledUsers::default();
        }
        read_disabled(client).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot list disabled users; planning them like the others (--include-disabled says so)");
            DisabledUsers::default()
        })
    };
    // With --from, the report is read only for users who registered a method that a default of
    // --from needs: a user it does not list has no such default (`from_report_names`).
    let from_names = from_report_names(&options.only_from);
    let report = async {
        let decision =
            choose_for(client, options.read_path, listed, options.listing.as_ref()).await;
        tracing::info!(path = decision.path.name(), "{decision}");
        progress(PlanProgress::ReadPath(decision));
        if decision.path != ReadPath::Report {
            return None;
        }
        progress(PlanProgress::ReadingReport);
        let keys = match &targets {
            Targets::Listed(targets) => ReportKeys::used_by(targets.users()),
            // A directory list gives each user's principal name, and an object id only for a
            // user without one: such a user is read on its own.
            Targets::Streamed(_) => ReportKeys {
                object_ids: false,
                user_principal_names: true,
            },
        };
        let report = targets
            .read_beside(read_report(client, keys, &from_names))
            .await;
        report
            .inspect_err(|error| tracing::warn!(%error, "the registration report is not available; reading each user instead"))
            .ok()
    };
    let (disabled, report) = futures_util::future::join(disabled, report).await;
    // A report read for --from alone answers for every user it does not list too.
    let filtered = report.is_some() && !from_names.is_empty();
    let report = report.unwrap_or_default();
    // Where a user's entry comes from, found once per user: a lookup costs more than deciding.
    let source_of = |user: &str| {
        let digest = KeyDigest::of(user);
        if is_excluded(user) {
            Source::Excluded
        } else if disabled.contains_digest(digest) {
            Source::Disabled
        } else if let Some(state) = report.get_digest(digest) {
            Source::Reported(state)
        } else if filtered {
            Source::NotFrom
        } else {
            Source::Read
        }
    };
    let to_read = |user: &str| matches!(source_of(user), Source::Read);
    // Streamed targets are counted as they arrive: the total grows with each window.
    let mut total = match &targets {
        Targets::Listed(targets) => targets.users().filter(|user| to_read(user)).count(),
        Targets::Streamed(_) => 0,
    };
    let streamed = targets.is_streamed();
    progress(PlanProgress::Reading { done: 0, total });

    let mut summary = Summary::default();
    let mut read_before = 0;
    let mut taken = 0;
    loop {
        let window = targets.next_window(taken).await?;
        if window.is_empty() {
            break;
        }
        taken += window.len();
        let sources: Vec<Source<'_>> = window
            .iter()
            .map(|target| source_of(&target.user))
            .collect();
        let missing: Vec<String> = window
            .iter()
            .zip(&sources)
            .filter(|(_, source)| matches!(source, Source::Read))
            .map(|(target, _)| target.user.clone())
            .collect();
        if streamed {
            total += missing.len();
            progress(PlanProgress::Reading {
                done: read_before,
                total,
            });
        }
        // `read_states_with_progress` answers once per user, in order.
        let mut read = if missing.is_empty() {
            Vec::new()
        } else {
            read_states_with_progress(client, &missing, &mut |done| {
                if done > 0 {
                    progress(PlanProgress::Reading {
                        done: read_before + done,
                        total,
                    });
                }
            })
            .await
        }
        .into_iter();
        read_before += missing.len();
        for (target, source) in window.iter().zip(sources) {
            let entry = match source {
                Source::Excluded => {
                    unplanned(target, Action::Excluded, "on the exclude list".into())
                }
                Source::Disabled => unplanned(
                    target,
                    Action::Disabled,
                    "account disabled (accountEnabled false): left out unless disabled users are included"
                        .into(),
                ),
                Source::Reported(state) => decide_on(
                    target,
                    &state.preferences(),
                    &state.registered,
                    options,
                    policy.as_ref(),
                ),
                Source::NotFrom => unplanned(
                    target,
                    Action::NotFrom,
                    format!(
                        "the registration report lists none of {} for the user, which a default to change from needs",
                        from_names.join(", ")
                    ),
                ),
                Source::Read => match read.next() {
                    Some(Ok(state)) => decide_on(
                        target,
                        &state.preferences,
                        &state.registered,
                        options,
                        policy.as_ref(),
                    ),
                    Some(Err(error)) => unplanned(
                        target,
                        Action::Error,
                        format!("cannot read the user's state: {error}"),
                    ),
                    None => {
                        return Err(Error::Guard(format!(
                            "internal: no state was read for {}",
                            target.user
                        )));
                    }
                },
            };
            summary.tally(&entry);
            sink(entry)?;
        }
    }
    if let Some(max) = options.max_changes
        && summary.change > max
    {
        return Err(Error::Refused(Refusal::TooManyChanges {
            changes: summary.change,
            max,
        }));
    }
    Ok(summary)
}

/// Where a user's entry comes from.
enum Source<'r> {
    /// On the exclude list.
    Excluded,
    /// A disabled account, left out.
    Disabled,
    /// The registration report's row.
    Reported(&'r ReportedState),
    /// Not in a report read for `--from` alone, so without a default `--from` names.
    NotFrom,
    /// A read of the user's own state.
    Read,
}

/// An entry for a user nothing is planned for: excluded, disabled, or unreadable.
fn unplanned(target: &Target, action: Action, reason: String) -> PlanEntry {
    PlanEntry {
        user: target.user.clone(),
        source_line: target.line,
        current: Preferences::default(),
        target: None,
        registered: Vec::new(),
        action,
        reason,
        default_reach: None,
    }
}

/// A plan's header: everything but its entries.
fn plan_head(client: &Client, options: &PlanOptions, summary: Summary) -> Plan {
    Plan {
        format: PLAN_FORMAT,
        created_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()),
        service: client.endpoints().graph_origin.clone(),
        request: PlanRequest {
            methods: options
                .methods
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            system_preferred: options.system_preferred,
            source: options.source.clone(),
            exclude: options.exclude.clone(),
            only_from: options
                .only_from
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            max_changes: options.max_changes,
            include_disabled: options.include_disabled,
            flag_precedence: options.flag_precedence,
        },
        summary,
        entries: Vec::new(),
    }
}

/// Counts per action.
pub fn summarize(entries: &[PlanEntry]) -> Summary {
    let mut summary = Summary::default();
    for entry in entries {
        summary.tally(entry);
    }
    summary
}

impl Summary {
    /// Every count at its largest: the summary that takes the most room in a plan's head.
    pub(crate) fn widest() -> Self {
        Self {
            change: usize::MAX,
            already_compliant: usize::MAX,
            ineligible: usize::MAX,
            error: usize::MAX,
            excluded: usize::MAX,
            not_from: usize::MAX,
            disabled: usize::MAX,
            takes_effect: usize::MAX,
            nps_adfs_only: usize::MAX,
        }
    }

    /// Counts one more user with `action`.
    pub fn count(&mut self, action: Action) {
        match action {
            Action::Change => self.change += 1,
            Action::AlreadyCompliant => self.already_compliant += 1,
            Action::Ineligible => self.ineligible += 1,
            Action::Error => self.error += 1,
            Action::Excluded => self.excluded += 1,
            Action::NotFrom => self.not_from += 1,
            Action::Disabled => self.disabled += 1,
        }
    }

    /// Counts one more entry: its action, and where its new default counts.
    pub fn tally(&mut self, entry: &PlanEntry) {
        self.count(entry.action);
        match entry.default_reach {
            Some(DefaultReach::TakesEffect) => self.takes_effect += 1,
            Some(DefaultReach::NpsAdfsOnly) => self.nps_adfs_only += 1,
            None => {}
        }
    }

    /// The users it counts: one action each (the reach counts are among the changes).
    pub fn users(&self) -> usize {
        self.change
            + self.already_compliant
            + self.ineligible
            + self.error
            + self.excluded
            + self.not_from
            + self.disabled
    }
}

/// Lower-case hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    // ring is already in the tree through the client's TLS; no second SHA-256 crate is needed.
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A plan of `entries` against a loopback service, never touching `exclude`: the head the
/// crate's tests of plan files and reports share.
#[cfg(test)]
pub(crate) fn test_plan(entries: Vec<PlanEntry>, exclude: Vec<String>) -> Plan {
    Plan {
        format: PLAN_FORMAT,
        created_at: 7,
        service: "http://127.0.0.1:1".into(),
        request: PlanRequest {
            methods: vec!["push".into(), "oath".into()],
            system_preferred: Some(true),
            source: "group:x".into(),
            exclude,
            only_from: Vec::new(),
            max_changes: None,
            include_disabled: false,
            flag_precedence: FlagPrecedence::default(),
        },
        summary: summarize(&entries),
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn an_actions_name_is_the_one_the_plan_file_gives_it() {
        for action in Action::ALL {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::Value::from(action.name())
            );
        }
    }
}
