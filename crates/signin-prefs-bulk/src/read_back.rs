//! Reading users back during a run, and what each read-back makes of them: users whose PATCH
//! answer could not be read are in doubt until read back (applied if they hold the target, sent
//! again if they do not); with verification, changed users are checked. A read-back that fails
//! is tried again, like any read; one that still fails leaves an in-doubt user in doubt (a
//! resume, or a rollback, reads it again) and a verified one `unverified`.

use std::collections::{HashMap, VecDeque};

use signin_prefs_client::Error as ClientError;
use signin_prefs_model::SignInPreferences;

use crate::apply::MAX_BATCH;
use crate::journal::{Record, Status};
use crate::plan::Preferences;
use crate::prepare::{Checked, describe};
use crate::work::WorkItem;

/// Read-backs a user gets, in all, before the one that failed is its last word.
const READ_BACK_ATTEMPTS: u32 = 3;

/// Unreadable answers a user's PATCH gets in one run before, read back without the change, it is
/// failed (retryable: a resume sends it again) rather than sent once more.
const UNREADABLE_ANSWERS: u32 = 3;

/// Whether `error`, the result of a PATCH, leaves its outcome unknown: the request may have been
/// carried out, but no answer that says so, or says otherwise, could be read. The answer was
/// garbled or cut short (`Decode`: a body that is not a batch response, or one without this
/// item's answer), the connection failed after sending (`Transport`: reset, truncated), or no
/// answer came in time (`Timeout`), or a gateway answered 504 for want of the backend's answer
/// ("did not receive a timely response from an upstream server", RFC 9110 §15.6.5: the backend
/// may have done it). Any other status the service answered (a refusal, a 500, a 503) is taken
/// at its word: nothing was changed. Read-backs settle either way; this only decides who is read.
pub(crate) fn outcome_unknown(error: &ClientError) -> bool {
    error.answer_was_lost() || error.status() == Some(504)
}

/// What a batch of read-backs was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Users whose PATCH answer could not be read.
    InDoubt,
    /// Changed users, checked (`--verify`).
    Verify,
}

/// A user to read back, and how many of its read-backs failed so far.
pub(crate) type Pending<'a> = (&'a WorkItem<'a>, u32);

/// What a batch of read-backs made of its users.
#[derive(Default)]
pub(crate) struct Absorbed<'a> {
    /// Outcomes and verifications to journal.
    pub(crate) records: Vec<Record>,
    /// In-doubt users found without the change: to be sent again, their values just read.
    pub(crate) resend: Option<Checked<'a>>,
    /// In-doubt users settled here (applied, failed, or left in doubt), for progress.
    pub(crate) settled: usize,
}

/// The users of a run waiting to be read back.
pub(crate) struct ReadBacks<'a> {
    verify: bool,
    in_doubt: VecDeque<Pending<'a>>,
    to_verify: VecDeque<Pending<'a>>,
    /// Unreadable answers so far, per user.
    unreadable: HashMap<&'a str, u32>,
    /// Users whose read-back failed for good while in doubt: the run leaves them in doubt.
    left_in_doubt: usize,
}

impl<'a> ReadBacks<'a> {
    /// With `verify`, users found applied by a read-back are recorded as verified too.
    pub(crate) fn new(verify: bool) -> Self {
        Self {
            verify,
            in_doubt: VecDeque::new(),
            to_verify: VecDeque::new(),
            unreadable: HashMap::new(),
            left_in_doubt: 0,
        }
    }

    /// A user whose PATCH answer could not be read: it is read back before anything else is
    /// decided about it.
    pub(crate) fn unreadable(&mut self, item: &'a WorkItem<'a>) {
        *self.unreadable.entry(item.user()).or_default() += 1;
        self.in_doubt.push_back((item, 0));
    }

    /// A changed user, to check.
    pub(crate) fn verify(&mut self, item: &'a WorkItem<'a>) {
        self.to_verify.push_back((item, 0));
    }

    /// Users waiting.
    pub(crate) fn len(&self) -> usize {
        self.in_doubt.len() + self.to_verify.len()
    }

    /// Users whose read-back failed for good while in doubt: the run has not settled them.
    pub(crate) fn left_in_doubt(&self) -> usize {
        self.left_in_doubt
    }

    /// The next batch to read back, in-doubt users first (a resend waits on them).
    pub(crate) fn next_batch(&mut self) -> Option<(Purpose, Vec<Pending<'a>>)> {
        let (purpose, queue) = if self.in_doubt.is_empty() {
            (Purpose::Verify, &mut self.to_verify)
        } else {
            (Purpose::InDoubt, &mut self.in_doubt)
        };
        let batch: Vec<Pending<'a>> = queue.drain(..queue.len().min(MAX_BATCH)).collect();
        (!batch.is_empty()).then_some((purpose, batch))
    }

    /// What the reads of a batch from [`ReadBacks::next_batch`] make of its users; `batch` is
    /// the run's current batch number, for the records.
    pub(crate) fn absorb(
        &mut self,
        (purpose, users): (Purpose, Vec<Pending<'a>>),
        reads: Vec<Result<SignInPreferences, ClientError>>,
        batch: u64,
    ) -> Absorbed<'a> {
        let mut absorbed = Absorbed::default();
        let mut reads = reads.into_iter();
        for (item, failed) in users {
            // The client answers every item; were one missing, it counts as a failed read.
            let read = reads.next().map_or_else(
                || Err("the read-back has no answer for this user".to_owned()),
                |read| read.map_err(|error| error.to_string()),
            );
            match (purpose, read) {
                (_, Err(_)) if failed + 1 < READ_BACK_ATTEMPTS => match purpose {
                    Purpose::InDoubt => self.in_doubt.push_back((item, failed + 1)),
                    Purpose::Verify => self.to_verify.push_back((item, failed + 1)),
                },
                (Purpose::InDoubt, Err(_)) => {
                    // Its journal entry stays an attempt without an outcome: in doubt, as after a
                    // kill, for a resume or a rollback to read back.
                    self.left_in_doubt += 1;
                    absorbed.settled += 1;
                }
                (Purpose::Verify, Err(error)) => absorbed.records.push(Record::Unverified {
                    user: item.user().to_owned(),
                    detail: format!("could not be read back ({READ_BACK_ATTEMPTS} tries): {error}"),
                }),
                (Purpose::Verify, Ok(read)) => {
                    absorbed
                        .records
                        .push(verified(item, Preferences::of(&read)));
                }
                (Purpose::InDoubt, Ok(read)) => {
                    self.in_doubt_read(item, read, batch, &mut absorbed)
                }
            }
        }
        absorbed
    }

    /// An in-doubt user read back: applied if it holds the target, else sent again (with the
    /// values read as those before), or failed after too many unreadable answers.
    fn in_doubt_read(
        &mut self,
        item: &'a WorkItem<'a>,
        read: SignInPreferences,
        batch: u64,
        absorbed: &mut Absorbed<'a>,
    ) {
        let observed = Preferences::of(&read);
        if observed == *item.after() {
            // The attempt journaled before the PATCH stays: a rollback restores its values.
            absorbed.records.push(item.outcome(
                batch,
                Status::Applied,
                Some("its answer could not be read; read back, it holds the target values".into()),
                None,
            ));
            if self.verify {
                absorbed.records.push(verified(item, observed));
            }
            absorbed.settled += 1;
            return;
        }
        let unreadable = self.unreadable.get(item.user()).copied().unwrap_or(0);
        if unreadable >= UNREADABLE_ANSWERS {
            absorbed.records.push(Record::Outcome {
                user: item.user().to_owned(),
                batch,
                status: Status::Failed,
                detail: Some(format!(
                    "{unreadable} answers could not be read; read back, it holds {}, not the target",
                    describe(&observed)
                )),
                request_id: None,
                retryable: Some(true),
            });
            absorbed.settled += 1;
            return;
        }
        let resend = absorbed.resend.get_or_insert_with(|| Checked {
            chunk: Vec::new(),
            live: Vec::new(),
        });
        resend.chunk.push(item);
        resend.live.push(Ok(read));
    }
}

fn verified(item: &WorkItem<'_>, observed: Preferences) -> Record {
    Record::Verified {
        user: item.user().to_owned(),
        ok: observed == *item.after(),
        observed,
    }
}
