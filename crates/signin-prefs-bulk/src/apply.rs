//! Applying a plan, rolling a run back, and resuming either after any interruption.
//!
//! Both are the same work: for each user, move from `before` to `after` with the smallest PATCH,
//! in `$batch`es through the client's shared pacing, journaling intents before sending and outcomes
//! after. Apply takes its work from a plan; rollback from an apply journal, reversed.
//!
//! A window of batches is in flight: as one answers, the next goes out. Intents are journaled
//! ahead, in the background, two windows of batches per write and fsync; the outcomes that arrived
//! meanwhile ride along. A user whose outcome had not reached the disk when the process died is in
//! doubt, and is read back on resume.
//!
//! Before a window of users is written, their live values are read (one `$batch` of GETs per
//! batch of PATCHes, on the read budget, pipelined ahead of the writes so the write budget stays
//! busy), and a user who no longer holds what the work was made from is not written: an apply
//! records it as drifted (unless `allow_drift`, which writes it anyway), a rollback as skipped.
//! The attempt journaled for a user written carries the values read, so a rollback restores
//! them; that is why even `allow_drift` reads first.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::time::Instant;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use signin_prefs_client::{Charge, Client};

use crate::Error;
use crate::journal::{self, JournalKind, JournalState, JournalWriter, Record, Status, now};
use crate::pace::{BatchPace, now_ms};
use crate::plan::{PlanFile, Preferences};
pub use crate::prepare::describe;
use crate::prepare::{Check, Checked, ReadyBatch, prepare};
use crate::queue::next_chunk;
use crate::read_back::{ReadBacks, outcome_unknown};
pub use crate::run_options::{Outcomes, Progress, RunOptions};
use crate::state::read_preferences;
use crate::work::{WorkItem, WorkList};

/// At most this many PATCHes per `$batch` (Graph's limit).
pub const MAX_BATCH: usize = 20;

/// At most this many `$batch`es in flight, whatever the options ask.
pub const MAX_IN_FLIGHT: usize = 32;

/// `$batch`es of read-backs in flight beside the writes: reads have a budget hundreds of times the
/// writes', so two keep up with any write rate Graph allows.
const VERIFY_IN_FLIGHT: usize = 2;

/// Applies the plan at `plan_path`, journaling to `journal_path`; with `resume`, continues the run
/// that journal records instead of starting a new one.
///
/// The plan is read and checked entry by entry, and only the users to change are kept, compactly:
/// memory does not grow with the users the plan leaves alone.
pub async fn apply(
    client: &Client,
    plan_path: &Path,
    journal_path: &Path,
    resume: bool,
    options: &RunOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    let mut work = WorkList::default();
    let (head, sha) = crate::plan::scan(plan_path, &mut |entry| work.push_planned(&entry))?;
    apply_work(
        client,
        (plan_path, sha, &head.service),
        &work,
        journal_path,
        resume,
        options,
        progress,
    )
    .await
}

/// [`apply`] for a plan already read (and checked), e.g. to build the report from the same read.
pub async fn apply_plan(
    client: &Client,
    plan_file: &PlanFile,
    journal_path: &Path,
    resume: bool,
    options: &RunOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    let plan = &plan_file.plan;
    let mut work = WorkList::default();
    plan.entries
        .iter()
        .for_each(|entry| work.push_planned(entry));
    apply_work(
        client,
        (&plan_file.path, plan_file.sha256.clone(), &plan.service),
        &work,
        journal_path,
        resume,
        options,
        progress,
    )
    .await
}

/// Applies `work`, the changes of the plan at `path` with that `sha256`, made against `service`.
async fn apply_work(
    client: &Client,
    (path, sha256, service): (&Path, String, &str),
    work: &WorkList,
    journal_path: &Path,
    resume: bool,
    options: &RunOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    check_service(service, client)?;
    let job = Job {
        kind: JournalKind::Apply,
        source: path.display().to_string(),
        source_sha256: sha256,
        service: service.to_owned(),
        work: work.items(),
    };
    execute(client, job, journal_path, resume, options, progress).await
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
    // Hash only the intact part: a torn tail must not make the rollback unresumable.
    let applied_sha = crate::files::sha256_of_prefix(applied_path, applied.intact_len)?;
    let mut work = WorkList::default();
    for (user, entry) in applied.users() {
        // Applied, or in doubt (the change may have landed: the read-back below decides).
        if let (Some((before, after)), None | Some((Status::Applied | Status::Recovered, _, _))) =
            (&entry.attempt, &entry.outcome)
        {
            work.push(user, after, before);
        }
    }
    let job = Job {
        kind: JournalKind::Rollback,
        source: applied_path.display().to_string(),
        source_sha256: applied_sha,
        service: applied.service.clone(),
        work: work.items(),
    };
    execute(client, job, journal_path, resume, options, progress).await
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

/// What a run executes, and what its journal's header says of it.
struct Job<'a> {
    kind: JournalKind,
    /// The plan (apply) or apply journal (rollback) executed.
    source: String,
    /// The sha256 of that file: a journal is only resumed against the same one.
    source_sha256: String,
    service: String,
    work: Vec<WorkItem<'a>>,
}

/// The one executor behind apply and rollback. Each window of users is read just before it is
/// written: a user no longer holding the work's `before` values is never overwritten unless an
/// apply allows drift.
async fn execute(
    client: &Client,
    job: Job<'_>,
    journal_path: &Path,
    resume: bool,
    options: &RunOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<JournalState, Error> {
    let check = match job.kind {
        JournalKind::Rollback => Check::Changed,
        JournalKind::Apply if options.allow_drift => Check::AllowDrift,
        JournalKind::Apply => Check::Drift,
    };
    let source_sha = job.source_sha256.as_str();
    let work = job.work.as_slice();
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
        (
            JournalWriter::reopen(journal_path, state.clone())?,
            Some(state),
        )
    } else {
        let header = Record::Header {
            format: journal::JOURNAL_FORMAT,
            kind: job.kind,
            source: job.source.clone(),
            source_sha256: job.source_sha256.clone(),
            service: job.service.clone(),
            started_at: now(),
        };
        (JournalWriter::create(journal_path, header)?, None)
    };
    writer.expect_users(work.len());
    let mut batch_number = earlier.as_ref().map_or(0, |state| state.batches);

    // Users an earlier run finished are never sent again; users in doubt are read back first.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut in_doubt: Vec<&WorkItem<'_>> = Vec::new();
    if let Some(state) = &earlier {
        for item in work {
            match state.user(item.user()) {
                // Users that reached their target, were skipped, or failed for a reason a retry
                // would not change; retryable failures and users not reached go again.
                // Drifted users too, unless drift is now allowed.
                Some(entry)
                    if entry.settled()
                        && !(options.allow_drift
                            && matches!(entry.outcome, Some((Status::Drifted, _, _)))) =>
                {
                    done.insert(item.user());
                }
                Some(entry) if entry.in_doubt() => in_doubt.push(item),
                _ => {}
            }
        }
    }
    // This run's outcomes, told to `progress` as they go to the journal.
    let mut outcomes = Outcomes::default();
    let mut pending: Vec<&WorkItem<'_>> = work
        .iter()
        .filter(|item| !done.contains(item.user()))
        .collect();
    progress(Progress::Started {
        pending: pending.len(),
        already_done: done.len(),
    });

    if !in_doubt.is_empty() {
        // Who already holds the target: an interrupted PATCH that landed. Its attempt, with the
        // values read before it, stays the one a rollback restores. The others go through the
        // window's read like everyone else.
        let users: Vec<String> = in_doubt.iter().map(|item| item.user().to_owned()).collect();
        let observed = read_preferences(client, &users).await;
        let mut settled = BTreeSet::new();
        let mut records = Vec::new();
        for (item, read) in in_doubt.iter().zip(observed) {
            let Ok(read) = read else { continue };
            if Preferences::of(&read) == *item.after() {
                records.push(item.outcome(
                    batch_number,
                    Status::Recovered,
                    Some("already held the target values".into()),
                    None,
                ));
                settled.insert(item.user());
            }
        }
        outcomes.count(&records);
        writer.append(records)?;
        progress(Progress::Journaled { outcomes });
        pending.retain(|item| !settled.contains(item.user()));
    }

    // With verification, each user a batch changes is read back as soon as the batch answers, on
    // the read quota, while the writes wait on theirs: the read-back adds no time to a run the
    // write budget binds. Users an earlier run (or the check above) settled as changed are read
    // back too. Users whose answer could not be read are read back, first, to learn their outcome.
    let mut read_backs = ReadBacks::new(options.verify);
    if options.verify {
        let state = writer.state();
        work.iter()
            .filter(|item| {
                state
                    .user(item.user())
                    .and_then(|entry| entry.outcome)
                    .is_some_and(|(status, _, _)| {
                        matches!(status, Status::Applied | Status::Recovered)
                    })
            })
            .for_each(|item| read_backs.verify(item));
    }
    let mut checks = FuturesUnordered::new();
    // Users in the read-backs under way, for the count `Verifying` announces.
    let mut checking = 0_usize;
    let mut verifying_announced = false;

    let total = pending.len();
    let window = options.concurrency.clamp(1, MAX_IN_FLIGHT);
    let stop_at = options.max_duration.map(|limit| Instant::now() + limit);
    let mut fresh = pending.iter().copied();
    // Users the service throttled until the client gave up waiting: they go again, first, in the
    // next batches prepared. Throttling never fails a user; only `max_duration` stops the run.
    let mut requeued: VecDeque<&WorkItem<'_>> = VecDeque::new();
    let mut requeued_total = 0;
    // Chunks whose users' live values are being read, then read and waiting for the journal,
    // then batches whose intents are on disk, ready to send: at most `ahead` batches in all, so
    // a user is read at most two windows before its PATCH goes.
    let mut reading = FuturesUnordered::new();
    let mut checked: VecDeque<Checked<'_>> = VecDeque::new();
    let mut journaled: VecDeque<ReadyBatch<'_>> = VecDeque::new();
    // Outcomes that came back and are not on disk yet: they ride along with the next intents'
    // fsync (or the last one). Until then their users count as in doubt, and a resume reads them
    // back, so deferring them costs a crash some reads but never a lost or repeated user.
    let mut unwritten: Vec<Record> = Vec::new();
    // The journal is written on the blocking pool, up to two windows of batches ahead (one write,
    // one fsync for each two windows), so that writing and fsyncing overlap with the batches on the
    // wire instead of stalling them. The writer is handed to the write and back: `writer` is `None`
    // while `writing` holds the write under way and the batches it makes ready.
    let ahead = 2 * window;
    let mut writer = Some(writer);
    let mut writing: Option<(JournalWrite, Vec<ReadyBatch<'_>>)> = None;
    let mut in_flight = FuturesUnordered::new();
    let mut finished = 0;
    // Reads dropped on a stop: their users are left for a resume, so the run has not finished.
    let mut abandoned = false;
    loop {
        let interrupted = options.stop.is_stopped();
        if interrupted && !(reading.is_empty() && checks.is_empty() && read_backs.len() == 0) {
            // Nothing more is written, so the reads still to come serve nothing: a resume reads
            // the users in doubt back, and verifies, again.
            reading.clear();
            checks.clear();
            checking = 0;
            abandoned = true;
        }
        let time_is_up = interrupted || stop_at.is_some_and(|stop_at| Instant::now() >= stop_at);
        let writing_batches = writing.as_ref().map_or(0, |(_, batches)| batches.len());
        let mut staged = reading.len() + checked.len() + journaled.len() + writing_batches;
        while !time_is_up && staged < ahead {
            let chunk = next_chunk(&mut requeued, &mut fresh, batch_size);
            if chunk.is_empty() {
                break;
            }
            staged += 1;
            reading.push(async move {
                // The wait the read budget imposes is spent here, not against the client's
                // deadline for the batch.
                let reads = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
                client
                    .pacer()
                    .ready(&Charge::reads_and_writes(reads, 0))
                    .await;
                let users: Vec<String> = chunk.iter().map(|item| item.user().to_owned()).collect();
                let live = read_preferences(client, &users).await;
                Checked { chunk, live }
            });
        }
        if !time_is_up
            && journaled.len() < ahead
            && !checked.is_empty()
            && let Some(mut idle) = writer.take()
        {
            let mut records = std::mem::take(&mut unwritten);
            let mut batches: Vec<ReadyBatch<'_>> = Vec::new();
            while batches.len() < ahead {
                let Some(next) = checked.pop_front() else {
                    break;
                };
                batch_number += 1;
                let ready = prepare(
                    batch_number,
                    next,
                    (check, idle.state()),
                    &mut records,
                    &mut requeued,
                );
                requeued_total += ready.read_throttled;
                batches.push(ready);
            }
            if batches.is_empty() {
                unwritten = records;
                writer = Some(idle);
            } else {
                outcomes.count(&records);
                progress(Progress::Journaled { outcomes });
                let write = tokio::task::spawn_blocking(move || {
                    let written = idle.append(records);
                    (idle, written)
                });
                writing = Some((write, batches));
            }
        }
        while !time_is_up && in_flight.len() < window {
            let Some(ready) = journaled.pop_front() else {
                break;
            };
            if ready.operations.is_empty() {
                // Nobody of this batch is written (all drifted, say): nothing to send.
                finished += ready.users;
                progress(Progress::Batch {
                    done: finished,
                    pending: total,
                    requeued: requeued_total,
                });
                continue;
            }
            let stop = &options.stop;
            in_flight.push(async move {
                // However long the service asked the write quotas to wait, the wait is spent
                // here rather than against the client's deadline for the batch; a stop that
                // comes meanwhile keeps the batch unsent.
                let writes = u64::try_from(ready.operations.len()).unwrap_or(u64::MAX);
                let charge = Charge::reads_and_writes(0, writes);
                let paced = client.pacer().ready(&charge);
                let results = tokio::select! {
                    biased;
                    () = stop.stopped() => None,
                    () = paced => Some(client.batch(&ready.operations).await),
                };
                (ready, results)
            });
        }
        while !interrupted
            && checks.len() < VERIFY_IN_FLIGHT
            && let Some(batch) = read_backs.next_batch()
        {
            checking += batch.1.len();
            checks.push(async move {
                let users: Vec<String> = batch
                    .1
                    .iter()
                    .map(|(item, _)| item.user().to_owned())
                    .collect();
                let reads = read_preferences(client, &users).await;
                (batch, reads)
            });
        }
        if !verifying_announced
            && in_flight.is_empty()
            && journaled.is_empty()
            && reading.is_empty()
            && checked.is_empty()
            && writing.is_none()
            && requeued.is_empty()
            && !checks.is_empty()
        {
            // Only read-backs are left.
            verifying_announced = true;
            progress(Progress::Verifying {
                users: read_backs.len() + checking,
            });
        }
        // With time up, nothing more is sent: what is in flight settles, the journal catches up.
        // (Every answer and every journal write comes back here, so the limit is seen in time.)
        let busy =
            !(in_flight.is_empty() && reading.is_empty() && checks.is_empty() && writing.is_none());
        // Batches with nothing to send (every user drifted, say) settle in the step above and
        // leave nothing to wait on; with users still to read, the loop goes round to stage them
        // rather than end the run early.
        let more =
            fresh.len() > 0 || !requeued.is_empty() || !checked.is_empty() || !journaled.is_empty();
        if !busy && !time_is_up && more {
            continue;
        }
        tokio::select! {
            Some((ready, results)) = in_flight.next(), if !in_flight.is_empty() => {
                let Some(results) = results else {
                    // Stopped before it was sent: its users are not reached.
                    journaled.push_back(ready);
                    continue;
                };
                unwritten.push(Record::Pace(BatchPace::of(ready.number, now_ms(), &results)));
                let mut settled = ready.users - ready.sent.len();
                for (item, result) in ready.sent.iter().zip(results) {
                    match result.result {
                        Ok(_) => {
                            unwritten.push(item.outcome(ready.number, Status::Applied, None, None));
                            if options.verify {
                                read_backs.verify(item);
                            }
                        }
                        Err(error) if error.was_throttled() => {
                            requeued.push_back(*item);
                            requeued_total += 1;
                            continue;
                        }
                        // The PATCH may have landed: read back before anything is decided.
                        Err(error) if outcome_unknown(&error) => {
                            read_backs.unreadable(item);
                            continue;
                        }
                        Err(error) => unwritten.push(item.failed(ready.number, &error)),
                    }
                    settled += 1;
                }
                finished += settled;
                progress(Progress::Batch {
                    done: finished,
                    pending: total,
                    requeued: requeued_total,
                });
            }
            Some(read) = reading.next(), if !reading.is_empty() => checked.push_back(read),
            Some((batch, reads)) = checks.next(), if !checks.is_empty() => {
                checking = checking.saturating_sub(batch.1.len());
                let absorbed = read_backs.absorb(batch, reads, batch_number);
                unwritten.extend(absorbed.records);
                // Users found without the change go again, from the values just read.
                checked.extend(absorbed.resend);
                if absorbed.settled > 0 {
                    finished += absorbed.settled;
                    progress(Progress::Batch {
                        done: finished,
                        pending: total,
                        requeued: requeued_total,
                    });
                }
            }
            joined = async {
                match &mut writing {
                    Some((write, _)) => write.await,
                    None => std::future::pending().await,
                }
            }, if writing.is_some() => {
                let (idle, written) = joined.map_err(|stopped| {
                    Error::io(journal_path, std::io::Error::other(stopped))
                })?;
                writer = Some(idle);
                written?;
                if let Some((_, batches)) = writing.take() {
                    journaled.extend(batches);
                }
            }
            // Wakes the loop to stop while it waits on the others; alone, it must not hold the
            // loop from its end.
            () = options.stop.stopped(), if !interrupted && busy => {}
            else => break,
        }
    }
    // Stopped by the time limit or the stop signal: users whose intents are on disk but who were
    // never sent (or were put back after a throttled attempt) are recorded as not reached, so a
    // report says so and a resume takes them without reading them back first.
    let why = if options.stop.is_stopped() {
        "not sent: the run was interrupted; resume to continue".to_owned()
    } else {
        format!(
            "not sent within the run's time limit of {}s: resume to continue",
            options.max_duration.unwrap_or_default().as_secs_f64()
        )
    };
    let not_reached = |item: &WorkItem<'_>, batch: u64| {
        item.outcome(batch, Status::NotReached, Some(why.clone()), None)
    };
    let cut_short = abandoned
        || !journaled.is_empty()
        || !requeued.is_empty()
        || !checked.is_empty()
        || !reading.is_empty()
        || fresh.next().is_some()
        // Users whose answer and read-back both failed are in doubt: a resume settles them.
        || read_backs.left_in_doubt() > 0;
    for ready in journaled.drain(..) {
        for item in &ready.sent {
            unwritten.push(not_reached(item, ready.number));
        }
    }
    let Some(mut writer) = writer else {
        return Err(Error::io(
            journal_path,
            std::io::Error::other("the journal writer did not come back"),
        ));
    };
    // A user put back after a throttled read has no attempt of its own (nothing was about to be
    // sent), and the journal takes no outcome without one: such a user is simply not reached.
    for item in requeued.drain(..) {
        if writer
            .state()
            .user(item.user())
            .is_some_and(|entry| entry.attempt.is_some())
        {
            unwritten.push(not_reached(item, batch_number));
        }
    }
    // Users read back after an unreadable answer, without the change, and not sent again in
    // time are not reached; any other user still in doubt stays so, for a resume to read back.
    for Checked { chunk, live } in checked.drain(..) {
        for (item, read) in chunk.into_iter().zip(live) {
            let unchanged = read.is_ok_and(|read| Preferences::of(&read) != *item.after());
            let in_doubt = writer
                .state()
                .user(item.user())
                .is_some_and(|entry| entry.in_doubt());
            if unchanged && in_doubt {
                unwritten.push(not_reached(item, batch_number));
            }
        }
    }
    // The last outcomes and read-backs go with the `finished` record, in one fsync.
    let mut last = unwritten;
    // A run cut short by its time limit has not finished: its report says so, and so does its
    // exit code, until a resume gets everyone through.
    if !cut_short {
        last.push(Record::Finished { at: now() });
    }
    outcomes.count(&last);
    writer.append(last)?;
    progress(Progress::Journaled { outcomes });
    Ok(writer.into_state())
}

/// A journal append under way on the blocking pool; it hands the writer back.
type JournalWrite = tokio::task::JoinHandle<(JournalWriter, Result<(), Error>)>;
