//! A bulk operation under way on the runtime's workers, and how Python waits for it and stops it:
//! blocking, where Ctrl-C stops it, or from a coroutine, where cancelling the task stops it.
//!
//! A blocking wait releases the GIL and looks every [`POLL`] for Python's signals (only the main
//! thread sees them). The first signal handler to raise (Ctrl-C's `KeyboardInterrupt`) fires the
//! operation's [`Stop`]; the wait goes on until it settles (an apply's batches on the wire answer
//! into the journal; a plan is dropped with its spool) and returns, so that the package raises
//! `BulkInterrupted`, with the report of a run. An async wait leaves the event loop free; the
//! package fires the stop when its task is cancelled, and waits for the same settling.
//!
//! Either way the package may follow the operation's progress ([`Tracker`]): the blocking wait
//! gives its callback a snapshot at each look for signals when one is due, and a callback that
//! raises stops the operation as Ctrl-C does, its exception raised once the run settled; an async
//! caller takes the snapshots itself (`progress_snapshot`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use signin_prefs_bulk::stop::Stop;
use tokio::task::JoinHandle;

use crate::bulk::NativeReport;
use crate::errors;
use crate::progress::{Ending, Tracker};

/// How often a blocking call looks for signals: Ctrl-C is seen within this.
const POLL: Duration = Duration::from_millis(100);

/// A run's stop signal, shared with Python: the package fires it when an async call is cancelled,
/// and reads it to tell an interrupted run from a finished one.
#[pyclass(module = "signin_prefs._native", frozen)]
pub(crate) struct NativeStop {
    pub(crate) stop: Stop,
}

#[pymethods]
impl NativeStop {
    #[new]
    fn new() -> Self {
        Self { stop: Stop::new() }
    }

    /// Asks the run to stop: nothing more is sent, and what is on the wire settles.
    fn stop(&self) {
        self.stop.stop();
    }

    /// Whether the run was asked to stop.
    #[getter]
    fn stopped(&self) -> bool {
        self.stop.is_stopped()
    }
}

/// The signal of `given`, or a fresh one (a blocking call the package made without one).
pub(crate) fn stop_of(given: Option<&Bound<'_, NativeStop>>) -> Stop {
    given
        .map(|stop| stop.get().stop.clone())
        .unwrap_or_default()
}

/// What an operation ends with: a plan's head (JSON text), or a run's report.
pub(crate) enum Finished {
    Plan(String),
    Run(Box<NativeReport>),
}

/// An operation's task on the runtime.
type Task = JoinHandle<Result<Finished, signin_prefs_bulk::Error>>;

/// A bulk operation under way, started by `plan` or `run_journaled`, waited for once.
#[pyclass(module = "signin_prefs._native", frozen)]
pub(crate) struct NativeTask {
    stop: Stop,
    tracker: Arc<Tracker>,
    task: Mutex<Option<Task>>,
}

impl NativeTask {
    /// Starts `operation` on the runtime's workers, stopped by `stop`, telling `tracker` how far
    /// it has got.
    pub(crate) fn start(
        stop: Stop,
        tracker: Arc<Tracker>,
        operation: impl Future<Output = Result<Finished, signin_prefs_bulk::Error>> + Send + 'static,
    ) -> Self {
        let task = pyo3_async_runtimes::tokio::get_runtime().spawn(operation);
        Self {
            stop,
            tracker,
            task: Mutex::new(Some(task)),
        }
    }

    /// How a finished operation ended, for its last snapshot.
    fn ending(&self) -> Ending {
        if self.stop.is_stopped() {
            Ending::Stopped
        } else {
            Ending::Finished
        }
    }

    fn take(&self) -> PyResult<Task> {
        self.task
            .lock()
            .ok()
            .and_then(|mut task| task.take())
            .ok_or_else(|| PyRuntimeError::new_err("this bulk operation was already waited for"))
    }
}

/// What Python gets from a finished operation: the plan's text, or the report.
fn into_python(
    py: Python<'_>,
    joined: Result<Result<Finished, signin_prefs_bulk::Error>, tokio::task::JoinError>,
) -> PyResult<Py<PyAny>> {
    match joined {
        Ok(Ok(Finished::Plan(text))) => Ok(text.into_pyobject(py)?.into_any().unbind()),
        Ok(Ok(Finished::Run(report))) => Ok(Py::new(py, *report)?.into_any()),
        Ok(Err(error)) => Err(errors::bulk_error(py, &error)),
        Err(stopped) => Err(PyRuntimeError::new_err(format!(
            "the bulk operation stopped unexpectedly: {stopped}"
        ))),
    }
}

#[pymethods]
impl NativeTask {
    /// Blocks until the operation ends, with the GIL released; Ctrl-C stops it, and so does an
    /// exception `progress` raises (see the module). `progress` is given each snapshot due, and
    /// the last one once the operation ended well.
    #[pyo3(signature = (progress=None))]
    fn wait(&self, py: Python<'_>, progress: Option<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let mut tell = |py: Python<'_>| -> PyResult<()> {
            let Some(callback) = &progress else {
                return Ok(());
            };
            match self.tracker.due(py)? {
                Some(snapshot) => callback.call1((snapshot,)).map(drop),
                None => Ok(()),
            }
        };
        let joined = wait_interruptibly(py, &self.stop, self.take()?, &mut tell)?;
        if let (Some(callback), Ok(_)) = (&progress, &joined) {
            callback.call1((self.tracker.last(py, self.ending())?,))?;
        }
        into_python(py, Ok(joined))
    }

    /// A snapshot of the operation's progress for the package's `Progress`: with `last`, the
    /// last one (the operation ended); else one if due (something changed, or a second passed
    /// since the last one given), else `None`.
    #[pyo3(signature = (*, last=false))]
    fn progress_snapshot<'py>(
        &self,
        py: Python<'py>,
        last: bool,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        if last {
            self.tracker.last(py, self.ending()).map(Some)
        } else {
            self.tracker.due(py)
        }
    }

    /// An awaitable of the operation's end, leaving the event loop free.
    fn wait_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let task = self.take()?;
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let joined = task.await;
            Python::attach(|py| into_python(py, joined))
        })
    }
}

/// Waits for `task` with the GIL released, looking for signals every [`POLL`] and then calling
/// `tell` (the progress callback): the first signal handler or `tell` that raises fires `stop`,
/// and the task is still waited for to its end. Returns the task's output, unless what raised is
/// something other than `KeyboardInterrupt` (which the package turns into `BulkInterrupted`,
/// reading `stop`): that is raised, once the run settled.
fn wait_interruptibly<T: Send + 'static>(
    py: Python<'_>,
    stop: &Stop,
    mut task: JoinHandle<T>,
    tell: &mut dyn FnMut(Python<'_>) -> PyResult<()>,
) -> PyResult<T> {
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    let mut raised: Option<PyErr> = None;
    loop {
        if raised.is_none()
            && let Err(error) = tell(py)
        {
            stop.stop();
            raised = Some(error);
        }
        // The timer is made inside the runtime, whose clock it needs.
        let waited =
            py.detach(|| runtime.block_on(async { tokio::time::timeout(POLL, &mut task).await }));
        let Ok(joined) = waited else {
            if raised.is_none()
                && let Err(error) = py.check_signals()
            {
                stop.stop();
                raised = Some(error);
            }
            continue;
        };
        let output = joined.map_err(|stopped| {
            PyRuntimeError::new_err(format!("the bulk run stopped unexpectedly: {stopped}"))
        })?;
        // A signal in the run's last moments, after the last look: handled here too, or it
        // would surface later as a bare KeyboardInterrupt and the finished run's report be lost.
        if raised.is_none()
            && let Err(error) = py.check_signals()
        {
            stop.stop();
            raised = Some(error);
        }
        return match raised {
            Some(error) if !error.is_instance_of::<PyKeyboardInterrupt>(py) => Err(error),
            _ => Ok(output),
        };
    }
}
