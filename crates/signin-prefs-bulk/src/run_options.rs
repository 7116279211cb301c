//! What a run is told ([`RunOptions`]) and what it tells as it goes ([`Progress`]): the
//! interface between the executor of `apply.rs` and its callers (CLI, Python, tests).

use std::time::Duration;

use crate::apply::MAX_BATCH;
use crate::journal::{Record, Status};
use crate::stop::Stop;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Read every changed user back afterwards and record whether it holds the new values.
    pub verify: bool,
    /// PATCHes per `$batch`, 1 to 20.
    pub batch_size: usize,
    /// `$batch`es in flight at once (1 to [`MAX_IN_FLIGHT`](crate::apply::MAX_IN_FLIGHT)). As one answers, the next is sent.
    /// Intents are journaled twice this many batches at a time, ahead and in the background, with
    /// the outcomes that came back meanwhile: one fsync per two windows, not per batch. The
    /// client's shared pacing still holds the overall rate.
    pub concurrency: usize,
    /// Stop sending new batches after this long; the batches in flight settle, and the users not
    /// sent are recorded as not reached, for a resume to continue. `None`: no limit (a throttled
    /// run goes on at the pace the service allows for as long as it takes).
    pub max_duration: Option<Duration>,
    /// Apply: write users whose live values differ from those the plan was made from. Without it
    /// (the default), a user someone changed since planning is recorded as drifted, not written;
    /// a resume with it takes drifted users again. Either way each window of users is read just
    /// before its PATCHes, so that the journal records the values really overwritten and a
    /// rollback restores them. A rollback ignores it: it never overwrites a later change.
    pub allow_drift: bool,
    /// Stops the run when fired (the CLI fires it on Ctrl-C and SIGTERM, Python on Ctrl-C and
    /// task cancellation): as for `max_duration`, nothing more is sent, the batches on the wire
    /// settle into the journal and the users not sent are recorded as not reached; batches still
    /// waiting for the write budget are not sent, and no read-back is started. The journal returned
    /// is not finished ([`Stop::interrupted`]), and a resume continues it.
    pub stop: Stop,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            verify: false,
            batch_size: MAX_BATCH,
            concurrency: 8,
            max_duration: None,
            allow_drift: false,
            stop: Stop::default(),
        }
    }
}

/// Progress of a run, for bars and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The run starts: this many users to change, this many already done by an earlier run.
    Started {
        /// Users this run will send PATCHes for (at most).
        pending: usize,
        /// Users an earlier run finished.
        already_done: usize,
    },
    /// A batch came back.
    Batch {
        /// Users finished so far in this run.
        done: usize,
        /// Of how many.
        pending: usize,
        /// Users the service throttled so far, each put back in the queue to go again (counted
        /// once per time).
        requeued: usize,
    },
    /// Reading back changed users.
    Verifying {
        /// How many.
        users: usize,
    },
    /// Outcomes went to the journal: all this run's so far, by kind. They follow the batches'
    /// answers by up to two windows, as the journal does (see [`RunOptions::concurrency`]).
    Journaled {
        /// This run's outcomes so far.
        outcomes: Outcomes,
    },
}

/// A run's outcomes by kind, counted as they go to the journal (a user whose answer was lost
/// counts once its read-back settles it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcomes {
    /// Graph accepted the PATCH.
    pub applied: usize,
    /// The user already held the target: an earlier, interrupted PATCH had landed.
    pub recovered: usize,
    /// Refused, or failed after retries.
    pub failed: usize,
    /// Not sent (a rollback's user changed since).
    pub skipped: usize,
    /// Not sent: the user changed since planning.
    pub drifted: usize,
    /// Not sent before the run stopped.
    pub not_reached: usize,
    /// Changed, but a read-back to verify it could not be made.
    pub unverified: usize,
}

impl Outcomes {
    /// Counts the outcomes among `records`, which are about to be journaled.
    pub(crate) fn count(&mut self, records: &[Record]) {
        for record in records {
            let counter = match record {
                Record::Outcome { status, .. } => match status {
                    Status::Applied => &mut self.applied,
                    Status::Recovered => &mut self.recovered,
                    Status::Failed => &mut self.failed,
                    Status::Skipped => &mut self.skipped,
                    Status::Drifted => &mut self.drifted,
                    Status::NotReached => &mut self.not_reached,
                },
                Record::Unverified { .. } => &mut self.unverified,
                _ => continue,
            };
            *counter += 1;
        }
    }
}
