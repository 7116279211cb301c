//! Bulk plan, apply and rollback from Python: the same engine, plan file, journal, resume and
//! report as the CLI. Each starts a [`NativeTask`] on the runtime's workers, which the package
//! waits for blocking (with the GIL released; Ctrl-C stops it) or from a coroutine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::time::Duration;

use signin_prefs_bulk::apply::{self as engine, RunOptions};
use signin_prefs_bulk::html;
use signin_prefs_bulk::journal::{JournalKind, JournalState};
use signin_prefs_bulk::plan::{PlanOptions, write_plan_with_progress};
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::report::{Tally, Verdict};
use signin_prefs_bulk::report_stream::{
    ReportFormat, tally_apply, write_apply_report, write_rollback_report,
};
use signin_prefs_bulk::system_preferred::FlagPrecedence;
use signin_prefs_bulk::targets::{Format, parse_targets, read_targets};
use signin_prefs_model::UserDefaultAuthenticationMethodType;
use signin_prefs_request::UserKey;

use crate::client::NativeClient;
use crate::errors;
use crate::progress::Tracker;
use crate::task::{Finished, NativeStop, NativeTask, stop_of};

/// The client sending `priority` (`low`, `normal` or `high`) as `x-ms-throttle-priority`, parsed by
/// the client crate's one parser, as the CLI's `--priority` is.
pub(crate) fn with_priority(
    py: Python<'_>,
    client: &NativeClient,
    priority: &str,
) -> PyResult<signin_prefs_client::Client> {
    let priority = priority
        .parse::<signin_prefs_client::Priority>()
        .map_err(|error| errors::validation(py, &format!("priority: {error}")))?;
    Ok(client.client.with_priority(Some(priority)))
}

fn methods(py: Python<'_>, names: &[String]) -> PyResult<Vec<UserDefaultAuthenticationMethodType>> {
    names
        .iter()
        .map(|name| {
            UserDefaultAuthenticationMethodType::parse_target(name)
                .map_err(|error| errors::validation(py, &error.to_string()))
        })
        .collect()
}

/// Users never to touch, each checked as a targets file's users are.
fn excluded_users(py: Python<'_>, users: Vec<String>) -> PyResult<Vec<String>> {
    users
        .into_iter()
        .map(|user| {
            UserKey::parse(&user)
                .map(String::from)
                .map_err(|error| errors::validation(py, &format!("exclude: {error}")))
        })
        .collect()
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Success => "success",
        Verdict::Partial => "partial",
        Verdict::NothingDone => "nothingDone",
    }
}

/// A run's report, kept native: the verdict and counts come from a tally, and the rows of a large
/// run are built (as JSON text) only when asked for.
#[pyclass(module = "signin_prefs._native", frozen)]
pub(crate) struct NativeReport {
    tally: Tally,
    run: FinishedRun,
    text: OnceLock<String>,
}

/// What a report's rows are built from: an apply's plan is read again from its file, entry by
/// entry, rather than held for the report's sake.
enum FinishedRun {
    Apply(PathBuf, JournalState),
    Rollback(JournalState),
}

impl FinishedRun {
    fn into_report(self) -> Result<NativeReport, signin_prefs_bulk::Error> {
        let tally = match &self {
            FinishedRun::Apply(plan_path, journal) => tally_apply(plan_path, journal)?,
            FinishedRun::Rollback(journal) => Tally::for_rollback(journal),
        };
        Ok(NativeReport {
            tally,
            run: self,
            text: OnceLock::new(),
        })
    }
}

#[pymethods]
impl NativeReport {
    /// `"success"`, `"partial"` or `"nothingDone"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        verdict_name(self.tally.verdict())
    }

    /// Rows per outcome.
    #[getter]
    fn counts(&self) -> BTreeMap<String, usize> {
        self.tally.counts.clone()
    }

    /// Whether the run reached its end.
    #[getter]
    fn finished(&self) -> bool {
        self.tally.finished
    }

    /// The report as the CLI writes it (`--output json`).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        if let Some(text) = self.text.get() {
            return Ok(text.clone());
        }
        let written = py.detach(|| {
            let mut text = Vec::new();
            match &self.run {
                FinishedRun::Apply(plan_path, journal) => {
                    write_apply_report(plan_path, journal, ReportFormat::Json, &mut text)
                }
                FinishedRun::Rollback(journal) => {
                    write_rollback_report(journal, ReportFormat::Json, &mut text)
                }
            }
            .map(|_| String::from_utf8_lossy(&text).into_owned())
        });
        match written {
            Ok(text) => Ok(self.text.get_or_init(|| text).clone()),
            Err(error) => Err(errors::bulk_error(py, &error)),
        }
    }

    /// Writes the report as the CLI's `--output html` does, to a new owner-only file at `path`
    /// (an existing file is refused, never replaced).
    fn write_html(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| {
            html::check_html_path(&path)?;
            let generated_at = html::utc(signin_prefs_bulk::journal::now());
            let (page, _) = match &self.run {
                FinishedRun::Apply(plan_path, journal) => {
                    html::apply_report_html(plan_path, journal, &generated_at)?
                }
                FinishedRun::Rollback(journal) => {
                    html::rollback_report_html(journal, &generated_at)?
                }
            };
            html::write_html(&path, &page)
        })
        .map_err(|error| errors::bulk_error(py, &error))
    }
}

/// The report of the run `journal_path` records, read without sending anything: an apply's plan
/// is `plan_path`, else found as the CLI's `report` finds it (where the run was started, then
/// beside the journal).
#[pyfunction]
#[pyo3(signature = (journal_path, *, plan_path=None))]
pub(crate) fn report(
    py: Python<'_>,
    journal_path: PathBuf,
    plan_path: Option<PathBuf>,
) -> PyResult<NativeReport> {
    py.detach(|| {
        let state = signin_prefs_bulk::journal::read(&journal_path)?;
        let run = match state.kind {
            JournalKind::Apply => {
                let plan_path = plan_path.unwrap_or_else(|| state.source_path(&journal_path));
                FinishedRun::Apply(plan_path, state)
            }
            JournalKind::Rollback => FinishedRun::Rollback(state),
        };
        run.into_report()
    })
    .map_err(|error| errors::bulk_error(py, &error))
}

/// The run's options; `None` for `batch_size` or `concurrency` means the engine's default
/// ([`RunOptions::default`], exported to Python as `DEFAULT_BATCH_SIZE` and `DEFAULT_CONCURRENCY`).
fn run_options(
    py: Python<'_>,
    verify: bool,
    batch_size: Option<usize>,
    concurrency: Option<usize>,
    max_duration: Option<f64>,
    allow_drift: bool,
) -> PyResult<RunOptions> {
    let defaults = RunOptions::default();
    let batch_size = batch_size.unwrap_or(defaults.batch_size);
    let concurrency = concurrency.unwrap_or(defaults.concurrency);
    for (name, value, max) in [
        ("batch_size", batch_size, engine::MAX_BATCH),
        ("concurrency", concurrency, engine::MAX_IN_FLIGHT),
    ] {
        if !(1..=max).contains(&value) {
            return Err(errors::validation(
                py,
                &format!("{name} must be 1 to {max}, not {value}"),
            ));
        }
    }
    let max_duration = match max_duration {
        None => None,
        Some(seconds) => Some(
            Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|limit| !limit.is_zero())
                .ok_or_else(|| {
                    errors::validation(
                        py,
                        &format!(
                            "max_duration must be a positive number of seconds, not {seconds}"
                        ),
                    )
                })?,
        ),
    };
    Ok(RunOptions {
        verify,
        batch_size,
        concurrency,
        max_duration,
        allow_drift,
        ..defaults
    })
}

/// Reads the targets file, reads every target's state (by `read_path`: `auto`, `report` or
/// `per-user`; `from_report` is the older spelling of `report`), decides, and writes the plan to
/// `plan_path` entry by entry; disabled users are left out as `disabled` unless `include_disabled`.
/// `users_json`, when given, holds the targets instead of a file: a JSON targets file's array,
/// which `targets_path` names. `ignore_policy` skips the tenant's authentication methods policy (the CLI's `--ignore-policy`);
/// `flag_precedence` is the CLI's `--flag-precedence`, parsed by the same rule; every request
/// carries `x-ms-throttle-priority: priority` (`low` by default, as the CLI's).
/// Starts the plan as a task ending with the plan's head (everything but its entries) as JSON
/// text; `stop` drops it where it is, leaving no plan file. Sends no write.
#[pyfunction]
#[pyo3(signature = (client, targets_path, plan_path, *, stop=None, users_json=None, methods=Vec::new(), system_preferred=None, exclude=Vec::new(), only_from=Vec::new(), max_changes=None, from_report=false, read_path="auto", ignore_policy=false, include_disabled=false, flag_precedence="policy-and-user", priority="low"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    py: Python<'_>,
    client: &NativeClient,
    targets_path: PathBuf,
    plan_path: PathBuf,
    stop: Option<&Bound<'_, NativeStop>>,
    users_json: Option<Vec<u8>>,
    methods: Vec<String>,
    system_preferred: Option<bool>,
    exclude: Vec<String>,
    only_from: Vec<String>,
    max_changes: Option<usize>,
    from_report: bool,
    read_path: &str,
    ignore_policy: bool,
    include_disabled: bool,
    flag_precedence: &str,
    priority: &str,
) -> PyResult<NativeTask> {
    let client = with_priority(py, client, priority)?;
    // The same parser as the CLI's `--read-path`.
    let read_path = if from_report {
        ReadPathSetting::Fixed(ReadPath::Report)
    } else {
        read_path
            .parse::<ReadPathSetting>()
            .map_err(|problem| errors::validation(py, &format!("read_path: {problem}")))?
    };
    let flag_precedence = flag_precedence
        .parse::<FlagPrecedence>()
        .map_err(|problem| errors::validation(py, &format!("flag_precedence: {problem}")))?;
    let options = PlanOptions {
        methods: self::methods(py, &methods)?,
        system_preferred,
        source: targets_path.display().to_string(),
        exclude: excluded_users(py, exclude)?,
        only_from: self::methods(py, &only_from)?,
        max_changes,
        read_path,
        listing: None,
        policy: if ignore_policy {
            PolicySetting::Ignore
        } else {
            PolicySetting::Apply
        },
        include_disabled,
        flag_precedence,
    };
    // Bad targets are refused here, before any task starts. Users given in hand come as a JSON
    // targets file's array, read by the same reader (so by the same rules, with the same
    // problems), `targets_path` then naming them.
    let targets = py
        .detach(|| match &users_json {
            Some(json) => parse_targets(&options.source, json, Format::Json),
            None => read_targets(&targets_path),
        })
        .map_err(|errors| errors::bulk_error(py, &errors.into()))?;
    let stop = stop_of(stop);
    let tracker = Tracker::new(&client);
    let plan = {
        let (stop, tracker) = (stop.clone(), tracker.clone());
        async move {
            let progress = &mut |event| tracker.plan_event(event);
            let on_entry = &mut |_: &_| {};
            // Written entry by entry, as the CLI does: a million users' plan is never held.
            let written = write_plan_with_progress(
                &client, &targets, &options, &plan_path, progress, on_entry,
            );
            let interrupted = "the plan stopped before its end; no plan file was written";
            let head = stop.or_stopped(interrupted, written).await?;
            Ok(Finished::Plan(head.to_json()))
        }
    };
    Ok(NativeTask::start(stop, tracker, plan))
}

/// Starts applying the plan at `input_path` (`kind` "apply") or restoring what the apply journal
/// at `input_path` changed ("rollback"), journaling to `journal_path` (with `resume`, continues
/// the run that journal records), every request with `x-ms-throttle-priority: priority`, as a
/// task ending with the report; `stop` stops it cleanly. The
/// package's `apply` and `rollback` both come here: they differ only in the engine's entry point
/// and the report it leads to.
#[pyfunction]
#[pyo3(signature = (kind, client, input_path, journal_path, *, stop=None, resume=false, verify=false, batch_size=None, concurrency=None, max_duration=None, allow_drift=false, priority="low"))]
#[allow(clippy::too_many_arguments)] // one per Python keyword argument
pub(crate) fn run_journaled(
    py: Python<'_>,
    kind: &str,
    client: &NativeClient,
    input_path: PathBuf,
    journal_path: PathBuf,
    stop: Option<&Bound<'_, NativeStop>>,
    resume: bool,
    verify: bool,
    batch_size: Option<usize>,
    concurrency: Option<usize>,
    max_duration: Option<f64>,
    allow_drift: bool,
    priority: &str,
) -> PyResult<NativeTask> {
    let options = run_options(
        py,
        verify,
        batch_size,
        concurrency,
        max_duration,
        allow_drift,
    )?;
    let rollback = match kind {
        "apply" => false,
        "rollback" => true,
        other => {
            return Err(PyValueError::new_err(format!(
                "kind must be \"apply\" or \"rollback\", not {other:?}"
            )));
        }
    };
    if rollback && allow_drift {
        // As the CLI, which has no such flag for a rollback: it never overwrites a user changed
        // since the apply.
        return Err(errors::validation(
            py,
            "allow_drift is for apply only: a rollback never overwrites a user changed since the apply",
        ));
    }
    let client = with_priority(py, client, priority)?;
    let options = RunOptions {
        stop: stop_of(stop),
        ..options
    };
    // The whole run is one task on the runtime's workers: its many request and answer wake-ups
    // stay among them, instead of each crossing to the waiting Python thread (a fifth less client
    // CPU per user, measured from Python).
    let stop = options.stop.clone();
    let tracker = Tracker::new(&client);
    let told = tracker.clone();
    Ok(NativeTask::start(stop, tracker, async move {
        let progress: &mut (dyn FnMut(engine::Progress) + Send) =
            &mut |event| told.run_event(event);
        let (input, journal) = (&input_path, &journal_path);
        let run = if rollback {
            let state = engine::rollback(&client, input, journal, resume, &options, progress);
            FinishedRun::Rollback(state.await?)
        } else {
            let state = engine::apply(&client, input, journal, resume, &options, progress).await?;
            FinishedRun::Apply(input_path, state)
        };
        Ok(Finished::Run(Box::new(run.into_report()?)))
    }))
}
