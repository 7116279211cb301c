//! A bulk operation's progress as Python sees it: the engine's events, told on the runtime's
//! workers, folded into one state ([`Tracker`]), of which the thread holding the GIL takes
//! snapshots for the package's `progress=` callback, when something changed or a second passed.
//!
//! The callback is never called from a worker: the engine must not wait on the GIL, and a
//! Python callback must not see another thread.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use signin_prefs_bulk::apply::{Outcomes, Progress};
use signin_prefs_bulk::plan::PlanProgress;
use signin_prefs_client::Pacer;

/// A snapshot is due at least this often while the run goes on, changed or not, so that the
/// elapsed time, the rate and a throttled wait move on a display.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// What the operation is doing, as the package's `Progress.phase` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Starting,
    ReadingReport,
    Reading,
    Sending,
    Verifying,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::ReadingReport => "reading-report",
            Phase::Reading => "reading",
            Phase::Sending => "sending",
            Phase::Verifying => "verifying",
        }
    }
}

/// The state the engine's events build.
#[derive(Debug, Clone)]
struct State {
    phase: Phase,
    done: usize,
    total: Option<usize>,
    already_done: usize,
    throttled: usize,
    outcomes: Outcomes,
    /// When the counted work began (the run's start, the first per-user read): the rate's origin.
    counting_since: Option<Instant>,
    /// Bumped by every event, so a snapshot is taken only when something changed.
    version: u64,
}

/// When the callback was last given a snapshot, and of which state.
#[derive(Debug, Clone, Copy)]
struct Delivered {
    version: u64,
    at: Instant,
}

/// One operation's progress, shared by the engine's callback and the waiting Python thread.
pub(crate) struct Tracker {
    state: Mutex<State>,
    delivered: Mutex<Option<Delivered>>,
    started: Instant,
    pacer: Arc<Pacer>,
}

/// How the package's `Progress` is made: its fields, ended by the phase (or how it ended).
pub(crate) enum Ending {
    /// The operation goes on.
    Running,
    /// It reached its end.
    Finished,
    /// It was stopped (Ctrl-C, a cancelled task, the callback's exception).
    Stopped,
}

impl Tracker {
    /// A tracker for an operation of `client`, whose pacer says when Graph holds requests back.
    pub(crate) fn new(client: &signin_prefs_client::Client) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                phase: Phase::Starting,
                done: 0,
                total: None,
                already_done: 0,
                throttled: 0,
                outcomes: Outcomes::default(),
                counting_since: None,
                version: 0,
            }),
            delivered: Mutex::new(None),
            started: Instant::now(),
            pacer: Arc::clone(client.pacer()),
        })
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state);
        state.version += 1;
    }

    /// An apply's or rollback's event.
    pub(crate) fn run_event(&self, event: Progress) {
        self.update(|state| match event {
            Progress::Started {
                pending,
                already_done,
            } => {
                state.phase = Phase::Sending;
                state.total = Some(pending);
                state.already_done = already_done;
                state.counting_since = Some(Instant::now());
            }
            Progress::Batch {
                done,
                pending,
                requeued,
            } => {
                state.done = done;
                state.total = Some(pending);
                state.throttled = requeued;
            }
            Progress::Verifying { .. } => state.phase = Phase::Verifying,
            Progress::Journaled { outcomes } => state.outcomes = outcomes,
        });
    }

    /// A plan's event.
    pub(crate) fn plan_event(&self, event: PlanProgress) {
        self.update(|state| match event {
            PlanProgress::ReadPath(_) => {}
            PlanProgress::ReadingReport => state.phase = Phase::ReadingReport,
            PlanProgress::Reading { done, total } => {
                if state.phase != Phase::Reading {
                    state.phase = Phase::Reading;
                    state.counting_since = Some(Instant::now());
                }
                state.done = done;
                state.total = Some(total);
            }
        });
    }

    /// A snapshot, if one is due: the state changed since the last one given, or [`HEARTBEAT`]
    /// passed. Marks it given.
    pub(crate) fn due<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let now = Instant::now();
        let mut delivered = self
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let is_due = delivered.is_none_or(|last| {
            last.version != state.version || now.duration_since(last.at) >= HEARTBEAT
        });
        if !is_due {
            return Ok(None);
        }
        *delivered = Some(Delivered {
            version: state.version,
            at: now,
        });
        drop(delivered);
        self.snapshot(py, &state, now, Ending::Running).map(Some)
    }

    /// The last snapshot, whatever was given before.
    pub(crate) fn last<'py>(
        &self,
        py: Python<'py>,
        ending: Ending,
    ) -> PyResult<Bound<'py, PyDict>> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.snapshot(py, &state, Instant::now(), ending)
    }

    /// The fields of the package's `Progress`, by name.
    fn snapshot<'py>(
        &self,
        py: Python<'py>,
        state: &State,
        now: Instant,
        ending: Ending,
    ) -> PyResult<Bound<'py, PyDict>> {
        let phase = match ending {
            Ending::Running => state.phase.name(),
            Ending::Finished => "finished",
            Ending::Stopped => "stopped",
        };
        // Users per second since the counted work began; none before a second of it, when a
        // first batch's burst would say nothing of the pace.
        let rate = state.counting_since.and_then(|since| {
            let seconds = now.duration_since(since).as_secs_f64();
            (seconds >= 1.0 && state.done > 0).then(|| state.done as f64 / seconds)
        });
        let eta = match (rate, state.total) {
            (Some(rate), Some(total)) => Some(total.saturating_sub(state.done) as f64 / rate),
            _ => None,
        };
        let outcomes = PyDict::new(py);
        let counts = state.outcomes;
        for (name, count) in [
            ("applied", counts.applied),
            ("recovered", counts.recovered),
            ("failed", counts.failed),
            ("skipped", counts.skipped),
            ("drifted", counts.drifted),
            ("not_reached", counts.not_reached),
            ("unverified", counts.unverified),
        ] {
            outcomes.set_item(name, count)?;
        }
        let snapshot = PyDict::new(py);
        snapshot.set_item("phase", phase)?;
        snapshot.set_item("done", state.done)?;
        snapshot.set_item("total", state.total)?;
        snapshot.set_item("already_done", state.already_done)?;
        snapshot.set_item("outcomes", outcomes)?;
        snapshot.set_item("throttled", state.throttled)?;
        snapshot.set_item(
            "throttled_wait",
            self.pacer.snapshot().paused_for.as_secs_f64(),
        )?;
        snapshot.set_item("elapsed", now.duration_since(self.started).as_secs_f64())?;
        snapshot.set_item("rate", rate)?;
        snapshot.set_item("eta", eta)?;
        Ok(snapshot)
    }
}
