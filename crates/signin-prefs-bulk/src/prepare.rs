//! Turning users read just before their write into a batch: what each is recorded as (an
//! attempt from the values read; recovered, drifted, skipped or failed when it is not sent) and
//! the smallest PATCH for each user that is.

use std::collections::VecDeque;

use signin_prefs_core::{NonNullPatch, Patch};
use signin_prefs_model::{
    SignInPreferences, SignInPreferencesPatch, UserDefaultAuthenticationMethodType as Method,
};
use signin_prefs_request::UpdateSignInPreference;

use crate::journal::{JournalState, Record, Status};
use crate::plan::Preferences;
use crate::work::WorkItem;

/// What is read before a user is written, and what a user who no longer holds the work's
/// `before` values is recorded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Apply with `allow_drift`: such a user is written all the same, from the values read.
    AllowDrift,
    /// Apply: such a user drifted since planning, and is not written.
    Drift,
    /// Rollback: such a user changed since the apply.
    Changed,
}

/// A chunk of users to become one batch, with their live values, read just before.
pub(crate) struct Checked<'a> {
    pub(crate) chunk: Vec<&'a WorkItem<'a>>,
    pub(crate) live: Vec<Result<SignInPreferences, signin_prefs_client::Error>>,
}
/// A batch whose intents are journaled: what to send, and for whom.
pub(crate) struct ReadyBatch<'a> {
    pub(crate) number: u64,
    /// Users of the batch with a record in it, those not sent included.
    pub(crate) users: usize,
    /// Users put back in the queue because their read was throttled: no record, read again.
    pub(crate) read_throttled: usize,
    /// The users whose PATCH is sent, in the order of `operations`.
    pub(crate) sent: Vec<&'a WorkItem<'a>>,
    pub(crate) operations: Vec<UpdateSignInPreference>,
}

/// Builds batch `number` from a checked chunk, adding its records to `records`: an attempt for
/// each user (from the values read, when read), and an outcome for each not sent. A user is not
/// sent when its read failed (failed, retryable as the error is: never written blind), when it
/// already holds the target (recovered), when it holds neither the work's `before` nor its target
/// (drifted, or skipped for a rollback), or when its change cannot be expressed as a PATCH
/// (skipped); with `allow_drift`, a drifted user is written from the values read. A user whose
/// read the service throttled goes back in `requeued` with no record. `journal` is what the
/// journal holds so far: a user already holding the target that an earlier attempt of this run
/// (or an earlier one) aimed at keeps that attempt, whose values a rollback restores, since the
/// PATCH may well be what set them.
pub(crate) fn prepare<'a>(
    number: u64,
    Checked { chunk, live }: Checked<'a>,
    (check, journal): (Check, &JournalState),
    records: &mut Vec<Record>,
    requeued: &mut VecDeque<&'a WorkItem<'a>>,
) -> ReadyBatch<'a> {
    let mut sent = Vec::with_capacity(chunk.len());
    let mut operations = Vec::with_capacity(chunk.len());
    let mut live = live.into_iter();
    let mut read_throttled = 0;
    let chunk_len = chunk.len();
    for item in chunk {
        let now = match live.next() {
            Some(Ok(read)) => Preferences::of(&read),
            Some(Err(error)) if error.was_throttled() => {
                requeued.push_back(item);
                read_throttled += 1;
                continue;
            }
            Some(Err(error)) => {
                records.push(item.attempt(number));
                records.push(item.failed(number, &error));
                continue;
            }
            // The client answers every item; were one missing, the user is not written blind.
            None => {
                records.push(item.attempt(number));
                records.push(item.outcome(
                    number,
                    Status::Failed,
                    Some("its values could not be read before the write".into()),
                    None,
                ));
                continue;
            }
        };
        let before = &now;
        if before == item.after() {
            // Nothing is left to write. Unless an attempt of ours aimed at it (its answer lost,
            // or a failure that landed after all), a rollback restores nothing either.
            let ours = journal
                .user(item.user())
                .and_then(|entry| entry.attempt)
                .is_some_and(|(_, after)| after == *item.after());
            if !ours {
                records.push(item.attempt_from(number, before));
            }
            records.push(item.outcome(
                number,
                Status::Recovered,
                Some("already held the target values".into()),
                None,
            ));
            continue;
        }
        if before != item.before() && check != Check::AllowDrift {
            let (status, detail) = match check {
                Check::Changed => (
                    Status::Skipped,
                    format!(
                        "changed since: holds {}, expected {}; left as it is",
                        describe(before),
                        describe(item.before())
                    ),
                ),
                Check::Drift | Check::AllowDrift => (
                    Status::Drifted,
                    format!(
                        "changed since planning: now {}, planned from {}; left as it is (a run allowing drift writes anyway)",
                        describe(before),
                        describe(item.before())
                    ),
                ),
            };
            // A rollback's attempt keeps the apply's values, as its report always showed; an
            // apply's carries the values read, the report's "now".
            records.push(match check {
                Check::Changed => item.attempt(number),
                Check::Drift | Check::AllowDrift => item.attempt_from(number, before),
            });
            records.push(item.outcome(number, status, Some(detail), None));
            continue;
        }
        records.push(item.attempt_from(number, before));
        match patch_between(before, item.after()) {
            Ok(patch) => {
                operations.push(UpdateSignInPreference::new(item.user(), patch));
                sent.push(item);
            }
            Err(reason) => records.push(item.outcome(number, Status::Skipped, Some(reason), None)),
        }
    }
    ReadyBatch {
        number,
        users: chunk_len - read_throttled,
        read_throttled,
        sent,
        operations,
    }
}

/// The smallest PATCH from `before` to `after`.
pub(crate) fn patch_between(
    before: &Preferences,
    after: &Preferences,
) -> Result<SignInPreferencesPatch, String> {
    let mut patch = SignInPreferencesPatch::default();
    if after.method != before.method {
        match &after.method {
            Some(method) => {
                let method: Method = method.parse().map_err(|error| format!("{error}"))?;
                patch.user_preferred_method_for_secondary_authentication =
                    NonNullPatch::Value(method);
            }
            None => {
                return Err(format!(
                    "the method was unset before ({} now); Graph cannot unset it, so it is left as it is",
                    before.method.as_deref().unwrap_or("(unset)")
                ));
            }
        }
    }
    if after.system_preferred != before.system_preferred {
        patch.is_system_preferred_authentication_method_enabled =
            Patch::set(after.system_preferred);
    }
    Ok(patch)
}

/// `method push, system-preferred on`.
pub fn describe(preferences: &Preferences) -> String {
    format!(
        "method {}, system-preferred {}",
        preferences.method.as_deref().unwrap_or("(unset)"),
        match preferences.system_preferred {
            Some(true) => "on",
            Some(false) => "off",
            None => "(unset)",
        }
    )
}
