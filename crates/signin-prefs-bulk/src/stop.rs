//! Stopping a run from outside it: the operator's Ctrl-C or SIGTERM, a Python task cancelled.
//!
//! A [`Stop`] is given to a run in its options ([`crate::apply::RunOptions::stop`]) and fired by
//! whoever holds a clone. An apply or rollback then sends nothing more, lets the batches already
//! on the wire answer into the journal, records the users it did not send as not reached, and
//! returns a journal a resume continues. A plan holds nothing that must settle (it only reads),
//! so [`Stop::or_stopped`] drops it where it is, and with it the spool of entries: no plan file.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::Error;
use crate::journal::JournalState;

/// A request to stop, shared by its clones; once fired it stays fired.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    fired: AtomicBool,
    /// Wakes the runs waiting in [`Stop::stopped`].
    wake: Notify,
}

impl Stop {
    /// A signal not fired yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every run holding this signal to stop. Firing twice is firing once.
    pub fn stop(&self) {
        if !self.shared.fired.swap(true, Ordering::SeqCst) {
            self.shared.wake.notify_waiters();
        }
    }

    /// Whether [`Stop::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.shared.fired.load(Ordering::SeqCst)
    }

    /// Completes once the signal is fired (at once if it already was).
    pub async fn stopped(&self) {
        let woken = self.shared.wake.notified();
        let mut woken = std::pin::pin!(woken);
        // Registered before the flag is read, so a stop between the two is not missed.
        woken.as_mut().enable();
        if self.is_stopped() {
            return;
        }
        woken.await;
    }

    /// Runs `work` to its end, or until the signal fires: then `work` is dropped where it is and
    /// the answer is [`Error::Interrupted`]. Only for work that sends no write and leaves nothing
    /// half done when dropped, as a plan (its spool is removed with its writer).
    pub async fn or_stopped<T>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        tokio::select! {
            biased;
            () = self.stopped() => Err(Error::Interrupted(what.to_owned())),
            done = work => done,
        }
    }

    /// Whether the run that ended in `state` was stopped by this signal before its end: its
    /// journal is then ready for a resume.
    pub fn interrupted(&self, state: &JournalState) -> bool {
        self.is_stopped() && !state.finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_wakes_whoever_waits_and_stays_fired() {
        let stop = Stop::new();
        assert!(!stop.is_stopped());
        let waiting = tokio::spawn({
            let stop = stop.clone();
            async move { stop.stopped().await }
        });
        tokio::task::yield_now().await;
        stop.stop();
        stop.stop();
        waiting.await.unwrap();
        assert!(stop.is_stopped());
        // Fired before anyone waits: the wait is over at once.
        stop.stopped().await;
    }

    #[tokio::test]
    async fn stopped_work_is_dropped_and_finished_work_answers() {
        let stop = Stop::new();
        let done = stop.or_stopped("plan", async { Ok::<_, Error>(7) }).await;
        assert_eq!(done.unwrap(), 7);
        stop.stop();
        let never = stop
            .or_stopped("plan", std::future::pending::<Result<(), Error>>())
            .await;
        assert!(matches!(never, Err(Error::Interrupted(what)) if what == "plan"));
    }
}
