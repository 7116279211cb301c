//! `plan`, `apply`, `rollback` and `report`: the bulk change, step by step, each step a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use signin_prefs_bulk::apply::{MAX_BATCH, MAX_IN_FLIGHT, Progress, RunOptions};
use signin_prefs_bulk::journal::{self, JournalKind, JournalState};
use signin_prefs_bulk::plan::{
    Action, Plan, PlanFile, PlanOptions, PlanProgress, make_plan_with_progress,
};
use signin_prefs_bulk::report::{Report, Verdict};
use signin_prefs_bulk::targets::{Target, read_targets};
use signin_prefs_client::Client;
use signin_prefs_model::{User, UserDefaultAuthenticationMethodType as Method};
use signin_prefs_request::{GroupId, ListTransitiveMemberAsUser, ListUser};

use super::output::{CommonArgs, Output, OutputArg, Switch, block_on};
use crate::error::Error;

/// `signin-prefs plan`.
#[derive(Debug, ClapArgs)]
pub(crate) struct PlanArgs {
    /// A CSV or JSON file of users (object ids or UPNs), with optional per-user `method` and
    /// `systemPreferred` columns.
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
    /// Read users' state from the tenant's registration report (one paged read; needs Entra ID P1
    /// or P2 and AuditLog.Read.All), falling back to per-user reads where it has no entry.
    #[arg(long)]
    from_report: bool,
    /// Where to write the plan.
    #[arg(long, short)]
    out: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
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
    /// Read every changed user back and record whether it holds the new values.
    #[arg(long)]
    verify: bool,
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
    /// Read every restored user back.
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
}

impl RunArgs {
    fn options(&self, verify: bool) -> RunOptions {
        RunOptions {
            verify,
            batch_size: self.batch_size,
            concurrency: self.concurrency,
            max_duration: self.max_duration,
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
    output: OutputArg,
    /// List every user, not only those that need attention.
    #[arg(long)]
    all: bool,
}

pub(crate) fn plan(args: PlanArgs) -> Result<i32, Error> {
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
        Some(path) => read_targets(path)?
            .into_iter()
            .map(|target| target.user)
            .collect(),
        None => Vec::new(),
    };
    if args.out.exists() {
        return Err(Error::Input(format!(
            "{} already exists; plans are never overwritten",
            args.out.display()
        )));
    }
    let client = args.common.settings()?.client()?;
    let (targets, source) = match (file_targets, group, &args.filter) {
        (Some(targets), _, _) => (
            targets,
            args.targets
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        (None, Some(group), _) => {
            let bar = spinner("listing the group's members");
            let members = block_on(group_members(&client, &group))??;
            bar.finish_and_clear();
            (members, format!("group:{group}"))
        }
        (None, None, Some(filter)) => {
            let bar = spinner("listing the users the filter matches");
            let users = block_on(filtered_users(&client, filter))??;
            bar.finish_and_clear();
            (users, format!("filter:{filter}"))
        }
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
        from_report: args.from_report,
    };
    // A bar on a terminal; elsewhere (a log, CI) a line at the start, every ten seconds and at the end.
    let bar = progress_bar();
    let plain = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last_line: Option<std::time::Instant> = None;
    let plan = block_on(make_plan_with_progress(
        &client,
        &targets,
        &options,
        &mut |event| match event {
            PlanProgress::ReadingReport => {
                bar.set_message("reading the registration report");
                if plain {
                    eprintln!("reading the registration report");
                }
            }
            PlanProgress::Reading { done, total } => {
                if done == 0 {
                    bar.set_message("reading users' states");
                    bar.reset_elapsed();
                    bar.reset_eta();
                }
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                if plain
                    && (done == total
                        || last_line
                            .is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(10)))
                {
                    eprintln!("read the state of {done}/{total} users");
                    last_line = Some(std::time::Instant::now());
                }
            }
        },
    ))??;
    bar.finish_and_clear();
    plan.write(&args.out)?;
    match args.common.output() {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&plan.summary).unwrap_or_default()
        ),
        Output::Csv => {
            println!("user,action,currentMethod,targetMethod,reason");
            for entry in &plan.entries {
                println!(
                    "{},{:?},{},{},\"{}\"",
                    entry.user,
                    entry.action,
                    entry.current.method.clone().unwrap_or_default(),
                    entry
                        .target
                        .as_ref()
                        .and_then(|t| t.method.clone())
                        .unwrap_or_default(),
                    entry.reason.replace('"', "\"\"")
                );
            }
        }
        Output::Table => {
            let s = &plan.summary;
            println!(
                "plan written to {}: {} to change, {} already compliant, {} ineligible, {} unreadable, {} excluded",
                args.out.display(),
                s.change,
                s.already_compliant,
                s.ineligible,
                s.error,
                s.excluded
            );
            for entry in plan
                .entries
                .iter()
                .filter(|e| matches!(e.action, Action::Ineligible | Action::Error))
                .take(20)
            {
                println!("  {:<40} {:?}: {}", entry.user, entry.action, entry.reason);
            }
            println!("review it, then: signin-prefs apply {}", args.out.display());
        }
    }
    Ok(0)
}

/// The most a directory list returns per page (Graph's `$top` limit for users and members).
const LARGEST_PAGE: i64 = 999;

async fn group_members(client: &Client, group: &GroupId) -> Result<Vec<Target>, Error> {
    let mut list = ListTransitiveMemberAsUser::new(group.clone());
    // Ten times fewer round trips than the default page of 100, each a tenth of the size.
    list.top = Some(LARGEST_PAGE);
    list.select = vec!["id".into(), "userPrincipalName".into()];
    let users = client.all_items(list).await?;
    Ok(as_targets(users))
}

async fn filtered_users(client: &Client, filter: &str) -> Result<Vec<Target>, Error> {
    let mut list = ListUser::new();
    list.filter = Some(filter.to_owned());
    list.top = Some(LARGEST_PAGE);
    list.select = vec!["id".into(), "userPrincipalName".into()];
    list.count = Some(true);
    // Advanced queries ($count, most filters on users) need eventual consistency.
    list.consistency_level = Some("eventual".into());
    let users = client.all_items(list).await?;
    Ok(as_targets(users))
}

fn as_targets(users: Vec<User>) -> Vec<Target> {
    users
        .into_iter()
        .filter_map(|user| user.user_principal_name.or(user.id))
        .enumerate()
        .map(|(index, user)| Target {
            user,
            line: index + 1,
            method: None,
            system_preferred: None,
        })
        .collect()
}

pub(crate) fn apply(args: ApplyArgs) -> Result<i32, Error> {
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| with_suffix(&args.plan, ".journal.jsonl"));
    let plan = PlanFile::read(&args.plan)?;
    let client = args.common.settings()?.client()?;
    let options = args.run.options(args.verify);
    let bar = progress_bar();
    let state = block_on(signin_prefs_bulk::apply::apply_plan(
        &client,
        &plan,
        &journal_path,
        args.resume,
        &options,
        &mut |event| show(&bar, event),
    ))??;
    bar.finish_and_clear();
    let report = Report::for_apply(&plan.plan, &state);
    emit(&report, args.common.output(), args.report.as_deref(), false)
        .map_err(|error| after_run(error, &journal_path))?;
    eprintln!("journal: {}", journal_path.display());
    Ok(exit_code(&report))
}

pub(crate) fn rollback(args: RollbackArgs) -> Result<i32, Error> {
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| with_suffix(&args.applied, ".rollback.jsonl"));
    let client = args.common.settings()?.client()?;
    let options = args.run.options(args.verify);
    let bar = progress_bar();
    let state = block_on(signin_prefs_bulk::apply::rollback(
        &client,
        &args.applied,
        &journal_path,
        args.resume,
        &options,
        &mut |event| show(&bar, event),
    ))??;
    bar.finish_and_clear();
    let report = Report::for_rollback(&state);
    emit(&report, args.common.output(), None, false)
        .map_err(|error| after_run(error, &journal_path))?;
    eprintln!("rollback journal: {}", journal_path.display());
    Ok(exit_code(&report))
}

pub(crate) fn report(args: ReportArgs) -> Result<i32, Error> {
    let state: JournalState = journal::read(&args.journal)?;
    let report = match state.kind {
        JournalKind::Apply => {
            let plan_path = args
                .plan
                .clone()
                .unwrap_or_else(|| PathBuf::from(&state.source));
            let (plan, sha) = Plan::read(&plan_path)?;
            if sha != state.source_sha256 {
                return Err(Error::Input(format!(
                    "{} is not the plan this journal executed (its sha256 differs)",
                    plan_path.display()
                )));
            }
            Report::for_apply(&plan, &state)
        }
        JournalKind::Rollback => Report::for_rollback(&state),
    };
    emit(&report, args.output.output, None, args.all)?;
    Ok(exit_code(&report))
}

fn emit(report: &Report, output: Output, file: Option<&Path>, all: bool) -> Result<(), Error> {
    let text = match output {
        Output::Table => report.to_table(all),
        Output::Json => report.to_json(),
        Output::Csv => report.to_csv(),
    };
    // A reader that stops early (`| head`) is not an error.
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Error::ReportAfterRun(format!(
                "cannot print the report: {error}"
            )));
        }
        _ => {}
    }
    if let Some(path) = file {
        // Owner-only, as every file that names users and their MFA set-up; a table file lists
        // every user.
        let format = match output {
            Output::Table => "table",
            Output::Json => "json",
            Output::Csv => "csv",
        };
        report.write(path, format)?;
    }
    Ok(())
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

/// 0: every change made; 3: some users failed; 4: changes were planned and none was made.
pub(crate) fn exit_code(report: &Report) -> i32 {
    match report.verdict() {
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

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} users  {per_sec}  eta {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn show(bar: &ProgressBar, event: Progress) {
    match event {
        Progress::Started {
            pending,
            already_done,
        } => {
            bar.set_length(pending as u64);
            if already_done > 0 {
                bar.set_message(format!("({already_done} done by an earlier run)"));
            }
        }
        Progress::Batch { done, requeued, .. } => {
            bar.set_position(done as u64);
            if requeued > 0 {
                bar.set_message(format!("({requeued} throttled and sent again)"));
            }
        }
        Progress::Verifying { users } => bar.set_message(format!("verifying {users} users")),
    }
}
