//! `plan`, `apply`, `rollback` and `report`: the bulk change, step by step, each step a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use signin_prefs_bulk::apply::{MAX_BATCH, MAX_IN_FLIGHT, Progress, RunOptions};
use signin_prefs_bulk::journal::{self, JournalKind, JournalState};
use signin_prefs_bulk::plan::{
    Action, PlanEntry, PlanOptions, PlanProgress, Summary, check_new_plan,
    write_plan_of_listed_users, write_plan_with_progress,
};
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::read_path::{Listing, ReadPath, ReadPathSetting};
use signin_prefs_bulk::report::{Tally, Verdict};
use signin_prefs_bulk::report_stream::{
    ReportFormat, write_apply_report, write_report_file, write_rollback_report,
};
use signin_prefs_bulk::stop::Stop;
use signin_prefs_bulk::targets::read_targets;
use signin_prefs_client::Client;
use signin_prefs_core::CollectionPage as _;
use signin_prefs_model::{User, UserDefaultAuthenticationMethodType as Method};
use signin_prefs_request::{GroupId, ListTransitiveMemberAsUser, ListUser};

use super::connection::{CliSettings as _, Loaded};
use super::interrupt::{INTERRUPTED, on_signals, resume_command};
use super::output::{CommonArgs, ConfigArg, Output, PageOutputArg, PriorityArg, Switch, block_on};
use super::progress::Display;
use super::stdout::UntilClosed;
use super::system_preferred::FlagPrecedenceArg;
use crate::error::Error;

/// `signin-prefs plan`.
#[derive(Debug, ClapArgs)]
pub(crate) struct PlanArgs {
    /// A CSV or JSON file of users (object ids or UPNs), with optional per-user `method` and
    /// `systemPreferred` columns. A user named twice (in another letter case, as `users('…')`,
    /// or by object id and UPN: looked up, with User.Read.All) is refused naming both lines.
    #[arg(long, conflicts_with_all = ["group", "filter"], required_unless_present_any = ["group", "filter"])]
    targets: Option<PathBuf>,
    /// Every user in this group, nested groups included (object id).
    #[arg(long, conflicts_with = "filter")]
    group: Option<String>,
    /// Every user matching this OData filter, e.g. "startswith(userPrincipalName,'a')".
    #[arg(long)]
    filter: Option<String>,
    /// The default MFA methods to set, in order of preference: the first one a user has registered wins.
    #[arg(long)]
    method: Option<String>,
    /// Only change users whose current method is one of these (e.g. `sms,voiceMobile`).
    #[arg(long)]
    from: Option<String>,
    /// Also set whether system-preferred MFA applies.
    #[arg(long, value_enum)]
    system_preferred: Option<Switch>,
    /// A file of users never to touch (same format as --targets).
    #[arg(long)]
    exclude: Option<PathBuf>,
    /// Refuse to write a plan with more changes than this.
    #[arg(long)]
    max_changes: Option<usize>,
    /// How to read users' state: `report` reads the tenant's registration report (one paged read
    /// on Graph's small reports budget, 5 pages of 999 users per 10 s; needs Entra ID P1 or P2 and
    /// AuditLog.Read.All), falling back to per-user reads where it has no entry; `per-user` reads
    /// each user (two reads on the resource units, 8,000 per 10 s); `auto` counts the tenant's
    /// and the targets' users (`$count`) and takes the way whose least possible time under the
    /// budgets (SIGNIN_PREFS_READ_BUDGET, SIGNIN_PREFS_REPORTS_BUDGET) is lower: the report for
    /// most of a large tenant, per-user reads for a few of its users. Says which, and why, on
    /// stderr; per-user reads when the users cannot be counted.
    #[arg(long, default_value = "auto", value_parser = parse_read_path)]
    read_path: ReadPathSetting,
    /// Plan without the tenant's authentication methods policy. By default `plan` reads the policy
    /// once (GET /policies/authenticationMethodsPolicy, which needs Policy.Read.All or
    /// Policy.Read.AuthenticationMethod, and stops with a message naming them without it) and each
    /// group its targets name once: a method the policy disables, or whose include/exclude groups
    /// leave a user out (Microsoft Authenticator for push, software/hardware OATH for oath, SMS for
    /// sms, voice call for the voice methods), is not eligible for that user, the reason names the
    /// policy, and --method push,oath falls through to the next allowed method. The policy also
    /// tells where each new default counts: it takes effect, or, system-preferred MFA applying to
    /// the user (the policy's systemCredentialPreferences and the user's own flag, see
    /// --flag-precedence), it matters only to the NPS extension and the AD FS adapter; each entry's
    /// `defaultReach` says which and the summary counts both. With this flag every registered
    /// method is eligible, as if the policy allowed it, and nothing is said of where defaults count.
    #[arg(long)]
    ignore_policy: bool,
    /// Plan disabled users (accountEnabled false) like the others. By default one listing
    /// (`/users?$filter=accountEnabled eq false`, needs User.Read.All; without it, a warning and
    /// they are planned) finds them and the plan leaves them out as `disabled`, without reading
    /// their state: they cannot sign in, and the registration report does not list them.
    #[arg(long)]
    include_disabled: bool,
    #[command(flatten)]
    precedence: FlagPrecedenceArg,
    /// Deprecated: the same as `--read-path report`.
    #[arg(long, hide = true, conflicts_with = "read_path")]
    from_report: bool,
    /// Where to write the plan.
    #[arg(long, short)]
    out: PathBuf,
    #[command(flatten)]
    priority: PriorityArg,
    #[command(flatten)]
    common: CommonArgs,
}

fn parse_read_path(text: &str) -> Result<ReadPathSetting, String> {
    text.parse()
}

/// `signin-prefs apply`.
#[derive(Debug, ClapArgs)]
pub(crate) struct ApplyArgs {
    /// The plan to apply.
    plan: PathBuf,
    /// The journal (default: the plan's path with `.journal.jsonl`).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Continue the run the journal records (after an interruption).
    #[arg(long)]
    resume: bool,
    /// Read every changed user back and record whether it holds the new values. A read-back is
    /// tried again when it fails; a user it still cannot read is `unverified` (exit 3).
    #[arg(long)]
    verify: bool,
    /// Write users even if their values changed since the plan was made. Each window of users is
    /// read just before it is written (one $batch of GETs, on the read budget); without this
    /// flag a user who no longer holds what the plan recorded is left as it is, reported as
    /// `drifted` with the plan's values and the ones read, and the run exits 3 (partial). With
    /// it such a user is written, and the journal records the values read, so `rollback`
    /// restores them; with --resume it also takes the users an earlier run found drifted.
    #[arg(long)]
    allow_drift: bool,
    #[command(flatten)]
    run: RunArgs,
    /// Also write the report to this file (format from --output).
    #[arg(long)]
    report: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

/// `signin-prefs rollback`.
#[derive(Debug, ClapArgs)]
pub(crate) struct RollbackArgs {
    /// The apply journal whose changes to undo.
    applied: PathBuf,
    /// The rollback's own journal (default: the apply journal's path with `.rollback.jsonl`).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Continue an interrupted rollback.
    #[arg(long)]
    resume: bool,
    /// Read every restored user back (one that cannot be read is `unverified`, exit 3).
    #[arg(long)]
    verify: bool,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    common: CommonArgs,
}

/// How `apply` and `rollback` send their batches.
#[derive(Debug, ClapArgs)]
pub(crate) struct RunArgs {
    /// PATCHes per $batch (1 to 20).
    #[arg(long, default_value_t = MAX_BATCH, value_parser = in_range(MAX_BATCH))]
    batch_size: usize,
    /// $batches in flight at once, 1 to 32 (the client's pacing still holds the overall rate).
    #[arg(long, default_value_t = RunOptions::default().concurrency, value_parser = in_range(MAX_IN_FLIGHT))]
    concurrency: usize,
    /// Stop sending after this long (e.g. `45m`, `2h`, `1h30m`): the batches in flight settle, the
    /// users not reached are recorded as such, and `--resume` continues them. Without it a run
    /// throttled by Graph goes on at the pace Graph's budget allows, however long that takes.
    #[arg(long, value_parser = humantime::parse_duration)]
    max_duration: Option<std::time::Duration>,
    #[command(flatten)]
    priority: PriorityArg,
}

impl RunArgs {
    fn options(&self, verify: bool, allow_drift: bool) -> RunOptions {
        RunOptions {
            verify,
            batch_size: self.batch_size,
            concurrency: self.concurrency,
            max_duration: self.max_duration,
            allow_drift,
            stop: Stop::new(),
        }
    }
}

fn in_range(max: usize) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..=max as u64)
}

/// `signin-prefs report`.
#[derive(Debug, ClapArgs)]
pub(crate) struct ReportArgs {
    /// A journal (apply or rollback).
    journal: PathBuf,
    /// The plan an apply journal executed (default: the path its header names).
    #[arg(long)]
    plan: Option<PathBuf>,
    #[command(flatten)]
    output: PageOutputArg,
    /// List every user, not only those that need attention.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    config: ConfigArg,
}

pub(crate) fn plan(mut args: PlanArgs) -> Result<i32, Error> {
    // Every input is checked before anything is read from Graph.
    let methods = match &args.method {
        Some(list) => Method::parse_target_list(list)
            .map_err(|problem| Error::Input(format!("--method: {problem}")))?,
        None => Vec::new(),
    };
    let only_from = match &args.from {
        Some(list) => Method::parse_target_list(list)
            .map_err(|problem| Error::Input(format!("--from: {problem}")))?,
        None => Vec::new(),
    };
    let group = match &args.group {
        Some(group) => Some(
            GroupId::parse(group).map_err(|error| match error.key_problem() {
                Some(problem) => Error::Input(format!("--group {group:?}: {problem}")),
                None => Error::from(error),
            })?,
        ),
        None => None,
    };
    let file_targets = match &args.targets {
        Some(path) => Some(read_targets(path)?),
        None => None,
    };
    let exclude = match &args.exclude {
        Some(path) => read_targets(path)?.users().map(str::to_owned).collect(),
        None => Vec::new(),
    };
    let Loaded { settings, folder } = args.common.load()?;
    args.out = folder.place_new(&args.out)?;
    check_new_plan(&args.out).map_err(|error| Error::Input(error.to_string()))?;
    let client = args.priority.apply_to(&settings.client()?);
    // A file is read whole (it was checked whole); a group's or a filter's users are planned as
    // their listing pages in, so that a million of them are never held at once.
    let (source, keys, listing) = match (&file_targets, &group, &args.filter) {
        (Some(_), _, _) => (
            args.targets
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            None,
            None,
        ),
        (None, Some(group), _) => (
            format!("group:{group}"),
            Some(group_members(&client, group)),
            Some(Listing::Group(group.clone())),
        ),
        (None, None, Some(filter)) => (
            format!("filter:{filter}"),
            Some(filtered_users(&client, filter)),
            Some(Listing::Filter(filter.clone())),
        ),
        (None, None, None) => {
            return Err(Error::Input("give --targets, --group or --filter".into()));
        }
    };
    let options = PlanOptions {
        methods,
        system_preferred: args.system_preferred.map(Switch::enabled),
        source,
        exclude,
        only_from,
        max_changes: args.max_changes,
        read_path: if args.from_report {
            ReadPathSetting::Fixed(ReadPath::Report)
        } else {
            args.read_path
        },
        listing,
        policy: if args.ignore_policy {
            PolicySetting::Ignore
        } else {
            PolicySetting::Apply
        },
        include_disabled: args.include_disabled,
        flag_precedence: args.precedence.flag_precedence,
    };
    let mut display = Display::new();
    let bar = display.bar().clone();
    // A reader that stops early (`| head`) is not an error; any other failure to print is
    // reported once the plan is written.
    let mut out = UntilClosed::stdout();
    let mut printed = Ok(());
    let mut print = |out: &mut UntilClosed<_>, text: std::fmt::Arguments<'_>| {
        if printed.is_ok() {
            printed = out.write_fmt(text).and_then(|()| out.write_all(b"\n"));
        }
    };
    if args.common.output() == Output::Csv {
        print(
            &mut out,
            format_args!("user,action,currentMethod,targetMethod,reason"),
        );
    }
    // Entries go to the file as they are decided; what is printed of them is printed on the way.
    let mut attention: Vec<String> = Vec::new();
    let mut attention_more = 0_usize;
    let output = args.common.output();
    let mut on_entry = |entry: &PlanEntry| match output {
        Output::Csv => print(
            &mut out,
            format_args!(
                "{},{:?},{},{},\"{}\"",
                entry.user,
                entry.action,
                entry.current.method.as_deref().unwrap_or_default(),
                entry
                    .target
                    .as_ref()
                    .and_then(|t| t.method.as_deref())
                    .unwrap_or_default(),
                entry.reason.replace('"', "\"\"")
            ),
        ),
        Output::Table if matches!(entry.action, Action::Ineligible | Action::Error) => {
            if attention.len() < ATTENTION_SHOWN {
                attention.push(format!(
                    "  {:<40} {:?}: {}",
                    entry.user, entry.action, entry.reason
                ));
            } else {
                attention_more += 1;
            }
        }
        _ => {}
    };
    let mut read_path = None;
    let mut show_progress = |event| match event {
        PlanProgress::ReadPath(decision) => {
            // Said on a terminal or not (unless -q): which way the reads go decides how long
            // they take.
            if !crate::terminal::quiet() {
                bar.suspend(|| eprintln!("{decision}"));
            }
            read_path = Some(decision);
        }
        PlanProgress::ReadingReport => display.stage("reading the registration report"),
        PlanProgress::Reading { done, total } => {
            if done == 0 {
                display.note("reading users' states".to_owned());
                display.restart();
            }
            display.count("read the state of", done, Some(total));
        }
    };
    // Ctrl-C or SIGTERM drops the plan where it is: it has only read, and leaves no file.
    let stop = Stop::new();
    let interrupted = "the plan stopped before its end; no plan file was written (nothing is sent while planning)";
    let planned = match (file_targets, keys) {
        (Some(targets), _) => block_on(on_signals(
            &stop,
            &bar,
            stop.or_stopped(
                interrupted,
                write_plan_with_progress(
                    &client,
                    &targets,
                    &options,
                    &args.out,
                    &mut show_progress,
                    &mut on_entry,
                ),
            ),
        )),
        (None, Some(keys)) => block_on(on_signals(
            &stop,
            &bar,
            stop.or_stopped(
                interrupted,
                write_plan_of_listed_users(
                    &client,
                    keys,
                    &options,
                    &args.out,
                    &mut show_progress,
                    &mut on_entry,
                ),
            ),
        )),
        (None, None) => return Err(Error::Input("give --targets, --group or --filter".into())),
    };
    // Whatever the outcome, no bar is left on the terminal.
    bar.finish_and_clear();
    let summary = planned??.summary;
    match args.common.output() {
        Output::Json => print(
            &mut out,
            format_args!(
                "{}",
                serde_json::to_string_pretty(&summary).unwrap_or_default()
            ),
        ),
        Output::Csv => {}
        Output::Table => {
            let s = &summary;
            print(
                &mut out,
                format_args!(
                    "plan written to {}: {} to change, {} already compliant, {} ineligible, {} unreadable, {} excluded, {} not from --from, {} disabled",
                    args.out.display(),
                    s.change,
                    s.already_compliant,
                    s.ineligible,
                    s.error,
                    s.excluded,
                    s.not_from,
                    s.disabled
                ),
            );
            if s.takes_effect + s.nps_adfs_only > 0 {
                print(
                    &mut out,
                    format_args!(
                        "of the new default methods, {} take effect and {} matter only to the NPS extension and the AD FS adapter (system-preferred MFA applies to those users; flag precedence {})",
                        s.takes_effect, s.nps_adfs_only, args.precedence.flag_precedence
                    ),
                );
            }
            if let Some(decision) = &read_path {
                print(&mut out, format_args!("{decision}"));
            }
            for line in &attention {
                print(&mut out, format_args!("{line}"));
            }
            if attention_more > 0 {
                print(
                    &mut out,
                    format_args!(
                        "  … and {attention_more} more ineligible or unreadable (every user is in {})",
                        args.out.display()
                    ),
                );
            }
            print(
                &mut out,
                format_args!(
                    "review it, then: signin-prefs apply{} {}",
                    folder.flag(),
                    args.out.display()
                ),
            );
        }
    }
    printed.and_then(|()| out.flush()).map_err(|error| {
        Error::ReportAfterRun(format!(
            "the plan is written to {}, but its summary could not be printed: {error}",
            args.out.display()
        ))
    })?;
    let code = plan_exit_code(&summary);
    if code != 0 {
        eprintln!(
            "{} of the users planned for could not be read (action \"error\" in the plan): they are left out of the apply; plan them again once the cause is fixed",
            summary.error
        );
    }
    Ok(code)
}

/// Ineligible or unreadable users a plan's table shows by name; the rest are counted.
const ATTENTION_SHOWN: usize = 20;

/// A plan's exit code: 0 when every user planned for was read, 3 (partial) when some could not
/// be, 1 (failure) when none could. Excluded and disabled users are not read, so not counted.
fn plan_exit_code(summary: &Summary) -> i32 {
    let read_for = summary.change + summary.already_compliant + summary.ineligible + summary.error;
    match summary.error {
        0 => 0,
        unreadable if unreadable == read_for => 1,
        _ => 3,
    }
}

/// The most a directory list returns per page (Graph's `$top` limit for users and members).
const LARGEST_PAGE: i64 = 999;

/// The keys of a group's users, nested groups included, as the listing pages them in.
fn group_members<'a>(client: &'a Client, group: &GroupId) -> ListedKeys<'a> {
    let mut list = ListTransitiveMemberAsUser::new(group.clone());
    // Ten times fewer round trips than the default page of 100, each a tenth of the size.
    list.top = Some(LARGEST_PAGE);
    list.select = vec!["id".into(), "userPrincipalName".into()];
    listed_keys(client, list, "listing the group's members")
}

/// The keys of the users a filter matches, as the listing pages them in.
fn filtered_users<'a>(client: &'a Client, filter: &str) -> ListedKeys<'a> {
    let mut list = ListUser::new();
    list.filter = Some(filter.to_owned());
    list.top = Some(LARGEST_PAGE);
    list.select = vec!["id".into(), "userPrincipalName".into()];
    list.count = Some(true);
    // Advanced queries ($count, most filters on users) need eventual consistency.
    list.consistency_level = Some("eventual".into());
    listed_keys(client, list, "listing the users the filter matches")
}

/// User keys as a directory list pages them in.
type ListedKeys<'a> = BoxStream<'a, Result<String, signin_prefs_bulk::Error>>;

/// The UPN (or, lacking one, the object id) of each user `list` returns, page by page.
fn listed_keys<'a, O>(client: &'a Client, list: O, what: &'static str) -> ListedKeys<'a>
where
    O: signin_prefs_request::Operation + Send + Sync + 'static,
    O::Output: signin_prefs_core::CollectionPage<Item = User> + serde::de::DeserializeOwned + Send,
{
    client
        .pages(list)
        .flat_map(move |page| {
            let keys: Vec<Result<String, signin_prefs_bulk::Error>> = match page {
                Ok(page) => page
                    .into_items()
                    .into_iter()
                    .filter_map(|user| user.user_principal_name.or(user.id))
                    .map(Ok)
                    .collect(),
                Err(error) => vec![Err(signin_prefs_bulk::Error::Service {
                    context: what.into(),
                    source: Box::new(error),
                })],
            };
            futures_util::stream::iter(keys)
        })
        .boxed()
}

pub(crate) fn apply(mut args: ApplyArgs) -> Result<i32, Error> {
    let loaded = args.common.load()?;
    args.plan = loaded.folder.place(&args.plan);
    args.journal = args
        .journal
        .map(|path| loaded.folder.place_new(&path))
        .transpose()?;
    args.report = args
        .report
        .map(|path| loaded.folder.place_new(&path))
        .transpose()?;
    // The plan is read entry by entry, keeping only the users to change; the report reads it again.
    run_journaled(
        &loaded,
        Journaled::Apply,
        (&args.plan, args.journal.as_deref(), args.resume),
        &args.run.options(args.verify, args.allow_drift),
        (&args.common, &args.run.priority),
        (args.report.as_deref(), &|state, format, out| {
            write_apply_report(&args.plan, state, format, out)
        }),
    )
}

pub(crate) fn rollback(mut args: RollbackArgs) -> Result<i32, Error> {
    let loaded = args.common.load()?;
    args.applied = loaded.folder.place(&args.applied);
    args.journal = args
        .journal
        .map(|path| loaded.folder.place_new(&path))
        .transpose()?;
    run_journaled(
        &loaded,
        Journaled::Rollback,
        (&args.applied, args.journal.as_deref(), args.resume),
        // A rollback always reads first and never overwrites a user changed since the apply.
        &args.run.options(args.verify, false),
        (&args.common, &args.run.priority),
        (None, &write_rollback_report),
    )
}

/// The two runs that send changes, through the bulk engine's one executor.
#[derive(Clone, Copy)]
enum Journaled {
    /// Apply a plan.
    Apply,
    /// Undo an apply journal's changes.
    Rollback,
}

impl Journaled {
    /// What the run's journal is called, and the suffix its default path adds to the input's.
    fn journal(self) -> (&'static str, &'static str) {
        match self {
            Self::Apply => ("journal", ".journal.jsonl"),
            Self::Rollback => ("rollback journal", ".rollback.jsonl"),
        }
    }
}

/// Makes a run's report from the state its journal ends in, in a format, writing it as it goes.
type RunReportWriter<'a> = dyn Fn(&JournalState, ReportFormat, &mut dyn Write) -> Result<Tally, signin_prefs_bulk::Error>
    + 'a;

/// What apply and rollback share: the journal (`--journal`, or beside `input`), the client, the
/// run under a progress bar, then its report (also to `file`), where its journal is, and the
/// exit code its outcomes give.
fn run_journaled(
    Loaded { settings, folder }: &Loaded,
    kind: Journaled,
    (input, journal, resume): (&Path, Option<&Path>, bool),
    options: &RunOptions,
    (common, priority): (&CommonArgs, &PriorityArg),
    (file, write): (Option<&Path>, &RunReportWriter<'_>),
) -> Result<i32, Error> {
    let (journal_name, suffix) = kind.journal();
    let journal_path = journal.map_or_else(|| with_suffix(input, suffix), Path::to_path_buf);
    let client = priority.apply_to(&settings.client()?);
    let mut display = Display::new();
    let bar = display.bar().clone();
    let progress = &mut |event| show(&mut display, event);
    let journal = journal_path.as_path();
    // Ctrl-C or SIGTERM stops the run cleanly (the batches on the wire settle into the journal).
    let stop = options.stop.clone();
    let run = async {
        match kind {
            Journaled::Apply => {
                signin_prefs_bulk::apply::apply(&client, input, journal, resume, options, progress)
                    .await
            }
            Journaled::Rollback => {
                signin_prefs_bulk::apply::rollback(
                    &client, input, journal, resume, options, progress,
                )
                .await
            }
        }
    };
    let state = block_on(on_signals(&stop, &bar, run));
    // Whatever the outcome, no bar is left on the terminal.
    bar.finish_and_clear();
    let state = state??;
    let tally = emit(
        &|format, out| write(&state, format, out),
        common.output(),
        file,
        false,
    )
    .map_err(|error| after_run(error, journal))?;
    eprintln!("{journal_name}: {}", journal.display());
    if stop.interrupted(&state) {
        eprintln!(
            "interrupted: the batches sent were answered and journaled; the users not sent are not reached. Resume with:\n  {}",
            resume_command(journal, folder.profile())
        );
        return Ok(INTERRUPTED);
    }
    Ok(exit_code(&tally))
}

pub(crate) fn report(mut args: ReportArgs) -> Result<i32, Error> {
    let printed = args.output.printed()?;
    let folder = args.config.folder()?;
    args.journal = folder.place(&args.journal);
    args.plan = args.plan.map(|path| folder.place(&path));
    args.output.out = args
        .output
        .out
        .map(|path| folder.place_new(&path))
        .transpose()?;
    let state: JournalState = journal::read(&args.journal)?;
    let Some(printed) = printed else {
        let tally = super::html::report(
            &args.journal,
            &state,
            args.plan.as_deref(),
            args.output.out.as_deref(),
        )?;
        return Ok(exit_code(&tally));
    };
    let tally = match state.kind {
        JournalKind::Apply => {
            let plan_path = args
                .plan
                .clone()
                .unwrap_or_else(|| state.source_path(&args.journal));
            emit(
                &|format, out| write_apply_report(&plan_path, &state, format, out),
                printed,
                None,
                args.all,
            )?
        }
        JournalKind::Rollback => emit(
            &|format, out| write_rollback_report(&state, format, out),
            printed,
            None,
            args.all,
        )?,
    };
    Ok(exit_code(&tally))
}

/// Makes a report in a format, writing it as it goes.
type ReportWriter<'a> =
    dyn Fn(ReportFormat, &mut dyn Write) -> Result<Tally, signin_prefs_bulk::Error> + 'a;

/// Writes a report, made by `write` as it goes, to stdout and to `file` if given.
fn emit(
    write: &ReportWriter<'_>,
    output: Output,
    file: Option<&Path>,
    all: bool,
) -> Result<Tally, Error> {
    let format = |all_rows| match output {
        Output::Table => ReportFormat::Table { all_rows },
        Output::Json => ReportFormat::Json,
        Output::Csv => ReportFormat::Csv,
    };
    // A reader that stops early (`| head`) is not an error: the rest is made, counted, and dropped.
    let mut stdout = UntilClosed::stdout();
    let tally = write(format(all), &mut stdout).map_err(|error| match error {
        signin_prefs_bulk::Error::Io { source, .. } => {
            Error::ReportAfterRun(format!("cannot print the report: {source}"))
        }
        other => Error::Bulk(other),
    })?;
    if let Some(path) = file {
        // Owner-only, as every file that names users and their MFA set-up; a table file lists
        // every user.
        write_report_file(path, |out| write(format(true), out))?;
    }
    Ok(tally)
}

/// A report that could not be printed or written after a run sent its changes: exit 1, never 2
/// ("bad input, nothing sent"), with where the run is recorded.
fn after_run(error: Error, journal: &Path) -> Error {
    Error::ReportAfterRun(format!(
        "{error}; the run itself is over and recorded in {} (`signin-prefs report {}` prints its report again)",
        journal.display(),
        journal.display()
    ))
}

/// 0: every change made; 3: some users failed, were not reached, drifted since planning, or were
/// not confirmed by their read-back (differing, or `unverified`); 4:
/// changes were planned and none was made.
pub(crate) fn exit_code(tally: &Tally) -> i32 {
    match tally.verdict() {
        Verdict::Success => 0,
        Verdict::Partial => 3,
        Verdict::NothingDone => 4,
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A run's progress: users sent of those pending, throttled users sent again, the read-backs.
fn show(display: &mut Display, event: Progress) {
    match event {
        Progress::Started {
            pending,
            already_done,
        } => {
            display.stage(&if already_done > 0 {
                format!("sending {pending} users ({already_done} done by an earlier run)")
            } else {
                format!("sending {pending} users")
            });
            display.count("sent", 0, Some(pending));
        }
        Progress::Batch {
            done,
            requeued,
            pending,
        } => {
            if requeued > 0 {
                display.note(format!("({requeued} throttled and sent again)"));
            }
            display.count("sent", done, Some(pending));
        }
        Progress::Verifying { users } => display.stage(&format!("verifying {users} users")),
        // The display counts users settled; the outcomes come in the report that follows.
        Progress::Journaled { .. } => {}
    }
}
