//! Applying a plan, rolling a run back, and resuming either after any interruption.
//!
//! Both are the same work: for each user, move from `before` to `after` with the smallest PATCH,
//! in `$batch`es through the client's shared pacing, journaling intents before sending and outcomes
//! after. Apply takes its work from a plan; rollback from an apply journal, reversed.

use std::collections::BTreeSet;
use std::path::Path;

use signin_prefs_client::Client;
use signin_prefs_core::{NonNullPatch, Patch};
use signin_prefs_model::{SignInPreferencesPatch, UserDefaultAuthenticationMethodType as Method};
use signin_prefs_request::UpdateSignInPreference;

use crate::Error;
use crate::journal::{self, JournalKind, JournalState, JournalWriter, Record, Status, now};
use crate::plan::{Action, Plan, Preferences, sha256};
use crate::state::read_preferences;

/// At most this many PATCHes per `$batch` (Graph's limit).
pub const MAX_BATCH: usize = 20;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Read every changed user back afterwards and record whether it holds the new values.
    pub verify: bool,
    /// PATCHes per `$batch`, 1 to 20.
    pub batch_size: usize,
    /// `$batch`es in flight at once. Their intents are journaled together before any is sent, and
    /// their outcomes together after all have answered: one fsync each per group, not per batch.
    /// The client's shared pacing still holds the overall rate.
    pub concurrency: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            verify: false,
            batch_size: MAX_BATCH,
            concurrency: 4,
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
    },
    /// Reading back changed users.
    Verifying {
        /// How many.
        users: usize,
    },
}

/// One user to move from `before` to `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    /// The user's key.
    pub user: String,
    /// The values expected now.
    pub before: Preferences,
    /// The values to set.
    pub after: Preferences,
}

impl WorkItem {
    fn attempt(&self, batch: u64) -> Record {
        Record::Attempt {
            user: self.user.clone(),
            batch,
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }

    fn outcome(
        &self,
        batch: u64,
        status: Status,
        detail: Option<String>,
        request_id: Option<String>,
    ) -> Record {
        Record::Outcome {
            user: self.user.clone(),
            batch,
            status,
            detail,
            request_id,
        }
    }
}

/// Applies the plan at `plan_path`, journaling to `journal_path`; with `resume`, continues the run
/// that journal records instead of starting a new one.
pub async fn apply(
    client: &Client,
    plan_path: &Path,
    journal_path: &Path,
    resume: bool,
    options: &RunOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    let (plan, plan_sha) = Plan::read(plan_path)?;
    check_service(&plan.service, client)?;
    let work: Vec<WorkItem> = plan
        .entries
        .iter()
        .filter(|entry| entry.action == Action::Change)
        .filter_map(|entry| {
            entry.target.as_ref().map(|target| WorkItem {
                user: entry.user.clone(),
                before: entry.current.clone(),
                after: target.clone(),
            })
        })
        .collect();
    let header = Record::Header {
        format: journal::JOURNAL_FORMAT,
        kind: JournalKind::Apply,
        source: plan_path.display().to_string(),
        source_sha256: plan_sha.clone(),
        service: plan.service.clone(),
        started_at: now(),
    };
    execute(
        client,
        &work,
        journal_path,
        resume,
        header,
        &plan_sha,
        options,
        false,
        progress,
    )
    .await
}

/// Restores the `before` values of every user the apply journal at `applied_path` changed,
/// journaling to `journal_path`. A user whose values changed since the apply is skipped and
/// reported, never overwritten.
pub async fn rollback(
    client: &Client,
    applied_path: &Path,
    journal_path: &Path,
    resume: bool,
    options: &RunOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    let applied = journal::read(applied_path)?;
    if applied.kind != JournalKind::Apply {
        return Err(Error::Guard(format!(
            "{} is a rollback journal; give the apply journal",
            applied_path.display()
        )));
    }
    check_service(&applied.service, client)?;
    let bytes = std::fs::read(applied_path).map_err(|source| Error::io(applied_path, source))?;
    // Hash only the intact part: a torn tail must not make the rollback unresumable.
    let intact = bytes
        .get(..usize::try_from(applied.intact_len).unwrap_or(bytes.len()))
        .unwrap_or(&bytes);
    let applied_sha = sha256(intact);
    let work: Vec<WorkItem> = applied
        .users
        .iter()
        .filter_map(|(user, entry)| match (&entry.attempt, &entry.outcome) {
            // Applied, or in doubt (the change may have landed: the read-back below decides).
            (Some((before, after)), None | Some((Status::Applied | Status::Recovered, _, _))) => {
                Some(WorkItem {
                    user: user.clone(),
                    before: after.clone(),
                    after: before.clone(),
                })
            }
            _ => None,
        })
        .collect();
    let header = Record::Header {
        format: journal::JOURNAL_FORMAT,
        kind: JournalKind::Rollback,
        source: applied_path.display().to_string(),
        source_sha256: applied_sha.clone(),
        service: applied.service.clone(),
        started_at: now(),
    };
    // A rollback checks each user's present state first: only users still holding the applied
    // values are restored.
    execute(
        client,
        &work,
        journal_path,
        resume,
        header,
        &applied_sha,
        options,
        true,
        progress,
    )
    .await
}

fn check_service(service: &str, client: &Client) -> Result<(), Error> {
    let origin = &client.endpoints().graph_origin;
    if service.trim_end_matches('/') != origin.trim_end_matches('/') {
        return Err(Error::Guard(format!(
            "this was planned against {service}, but the client talks to {origin}; a plan applies only where it was made"
        )));
    }
    Ok(())
}

/// The one executor behind apply and rollback. With `check_before`, each user's present values
/// must equal `before` or the user is skipped.
#[allow(clippy::too_many_arguments)]
async fn execute(
    client: &Client,
    work: &[WorkItem],
    journal_path: &Path,
    resume: bool,
    header: Record,
    source_sha: &str,
    options: &RunOptions,
    check_before: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    let batch_size = options.batch_size.clamp(1, MAX_BATCH);
    let (mut writer, earlier) = if resume {
        let state = journal::read(journal_path)?;
        if state.source_sha256 != source_sha {
            return Err(Error::Journal {
                path: journal_path.to_owned(),
                line: 1,
                message: format!(
                    "this journal belongs to {} (sha256 {}), not to the file given now; refusing to mix runs",
                    state.source, state.source_sha256
                ),
            });
        }
        (JournalWriter::reopen(journal_path, &state)?, Some(state))
    } else {
        (JournalWriter::create(journal_path, header)?, None)
    };
    let mut batch_number = earlier.as_ref().map_or(0, |state| state.batches);

    // Users an earlier run finished are never sent again; users in doubt are read back first.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut in_doubt: Vec<&WorkItem> = Vec::new();
    if let Some(state) = &earlier {
        for item in work {
            match state.user(&item.user) {
                Some(entry)
                    if entry
                        .outcome
                        .as_ref()
                        .is_some_and(|(status, _, _)| status.is_final()) =>
                {
                    done.insert(&item.user);
                }
                Some(entry) if entry.in_doubt() => in_doubt.push(item),
                _ => {}
            }
        }
    }
    let mut pending: Vec<&WorkItem> = work
        .iter()
        .filter(|item| !done.contains(item.user.as_str()))
        .collect();
    progress(Progress::Started {
        pending: pending.len(),
        already_done: done.len(),
    });

    if check_before || !in_doubt.is_empty() {
        // Who already holds the target (an interrupted PATCH that landed) and, for a rollback, who
        // no longer holds what the apply set.
        let to_check: Vec<&WorkItem> = if check_before {
            pending.clone()
        } else {
            in_doubt.clone()
        };
        let users: Vec<String> = to_check.iter().map(|item| item.user.clone()).collect();
        let observed = read_preferences(client, &users).await;
        let mut settled = BTreeSet::new();
        let mut records = Vec::new();
        for (item, read) in to_check.iter().zip(observed) {
            let Ok(read) = read else { continue };
            let now_holds = Preferences::of(&read);
            if now_holds == item.after {
                if earlier
                    .as_ref()
                    .and_then(|state| state.user(&item.user))
                    .is_none()
                {
                    records.push(item.attempt(batch_number));
                }
                records.push(item.outcome(
                    batch_number,
                    Status::Recovered,
                    Some("already held the target values".into()),
                    None,
                ));
                settled.insert(item.user.clone());
            } else if check_before && now_holds != item.before {
                if earlier
                    .as_ref()
                    .and_then(|state| state.user(&item.user))
                    .is_none()
                {
                    records.push(item.attempt(batch_number));
                }
                let detail = format!(
                    "changed since: holds {}, expected {}; left as it is",
                    describe(&now_holds),
                    describe(&item.before)
                );
                records.push(item.outcome(batch_number, Status::Skipped, Some(detail), None));
                settled.insert(item.user.clone());
            }
        }
        writer.append(&records)?;
        pending.retain(|item| !settled.contains(&item.user));
    }

    let total = pending.len();
    let mut finished = 0;
    let group_size = batch_size * options.concurrency.clamp(1, 16);
    for group in pending.chunks(group_size) {
        let mut intents = Vec::with_capacity(group.len());
        let mut batches: Vec<(u64, Vec<&WorkItem>, Vec<UpdateSignInPreference>)> = Vec::new();
        for chunk in group.chunks(batch_size) {
            batch_number += 1;
            let mut sent = Vec::with_capacity(chunk.len());
            let mut operations = Vec::with_capacity(chunk.len());
            for item in chunk {
                intents.push(item.attempt(batch_number));
                match patch_between(&item.before, &item.after) {
                    Ok(patch) => {
                        operations.push(UpdateSignInPreference::new(item.user.clone(), patch));
                        sent.push(*item);
                    }
                    Err(reason) => {
                        intents.push(item.outcome(
                            batch_number,
                            Status::Skipped,
                            Some(reason),
                            None,
                        ));
                    }
                }
            }
            batches.push((batch_number, sent, operations));
        }
        // Every intent of the group is on disk before anything of it is sent.
        writer.append(&intents)?;
        let answers = futures_util::future::join_all(
            batches
                .iter()
                .map(|(_, _, operations)| client.batch(operations)),
        )
        .await;
        let mut outcomes = Vec::with_capacity(group.len());
        for ((number, sent, _), results) in batches.iter().zip(answers) {
            for (item, result) in sent.iter().zip(results) {
                outcomes.push(match result.result {
                    Ok(_) => item.outcome(*number, Status::Applied, None, None),
                    Err(error) => item.outcome(
                        *number,
                        Status::Failed,
                        Some(error.to_string()),
                        error.request_id().map(str::to_owned),
                    ),
                });
            }
        }
        writer.append(&outcomes)?;
        finished += group.len();
        progress(Progress::Batch {
            done: finished,
            pending: total,
        });
    }

    if options.verify {
        let state = journal::read(journal_path)?;
        let changed: Vec<&WorkItem> = work
            .iter()
            .filter(|item| {
                state
                    .user(&item.user)
                    .and_then(|entry| entry.outcome.as_ref())
                    .is_some_and(|(status, _, _)| {
                        matches!(status, Status::Applied | Status::Recovered)
                    })
            })
            .collect();
        progress(Progress::Verifying {
            users: changed.len(),
        });
        let users: Vec<String> = changed.iter().map(|item| item.user.clone()).collect();
        let observed = read_preferences(client, &users).await;
        let mut records = Vec::new();
        for (item, read) in changed.iter().zip(observed) {
            if let Ok(read) = read {
                let observed = Preferences::of(&read);
                records.push(Record::Verified {
                    user: item.user.clone(),
                    ok: observed == item.after,
                    observed,
                });
            }
        }
        writer.append(&records)?;
    }
    writer.append(&[Record::Finished { at: now() }])?;
    journal::read(journal_path)
}

/// The smallest PATCH from `before` to `after`.
pub fn patch_between(
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
