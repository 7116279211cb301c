//! The append-only journal of a run: what was about to be sent, and what came of it.
//!
//! Every batch is recorded twice: its intents (`attempt`, with the before and after values) are
//! written and fsync'd before the batch is sent, and its outcomes after the answers arrive. A run
//! killed at any moment therefore leaves each user in one of three states: done (an outcome), in
//! doubt (an attempt without an outcome: the PATCH may or may not have reached Graph), or untouched.
//! Resume reads back the users in doubt before deciding, so no user is lost and none is changed
//! twice. A line cut short by the kill is the only damage a crash can do, and it is recognised and
//! dropped.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::files::open_private;
use crate::plan::Preferences;

/// The journal format this build writes and reads.
pub const JOURNAL_FORMAT: u32 = 1;

/// What a journal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JournalKind {
    /// The application of a plan.
    Apply,
    /// The rollback of an apply journal.
    Rollback,
}

/// How a user's change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Graph accepted the PATCH.
    Applied,
    /// After an interruption, the user already held the target: the earlier PATCH had landed.
    Recovered,
    /// Graph refused, or the request failed after retries.
    Failed,
    /// Not sent, for the reason recorded (rollback: the user changed since).
    Skipped,
}

impl Status {
    /// Whether the user is finished with: never sent again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Applied | Status::Recovered | Status::Skipped)
    }
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "record",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Record {
    /// The first line: what the journal belongs to.
    Header {
        /// [`JOURNAL_FORMAT`].
        format: u32,
        /// Apply or rollback.
        kind: JournalKind,
        /// The plan (apply) or apply journal (rollback) this run executes.
        source: String,
        /// The sha256 of that file, so a journal is never resumed against another one.
        source_sha256: String,
        /// The Graph origin.
        service: String,
        /// Seconds since the Unix epoch.
        started_at: u64,
    },
    /// A later run took over.
    Resumed {
        /// Seconds since the Unix epoch.
        at: u64,
    },
    /// About to send: written and fsync'd before the batch goes out.
    Attempt {
        /// The user.
        user: String,
        /// The batch number within the run.
        batch: u64,
        /// The values before the change.
        before: Preferences,
        /// The values the PATCH sets.
        after: Preferences,
    },
    /// What came of an attempt.
    Outcome {
        /// The user.
        user: String,
        /// The batch number.
        batch: u64,
        /// How it ended.
        status: Status,
        /// Why it failed or was skipped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// Graph's request-id, for support cases.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
    /// A read-back after the run.
    Verified {
        /// The user.
        user: String,
        /// Whether the user holds the values the PATCH set.
        ok: bool,
        /// What was read.
        observed: Preferences,
    },
    /// The run reached its end.
    Finished {
        /// Seconds since the Unix epoch.
        at: u64,
    },
}

/// What a journal says about one user, its records folded together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserEntry {
    /// The last attempt's before and after values.
    pub attempt: Option<(Preferences, Preferences)>,
    /// The last outcome and its detail.
    pub outcome: Option<(Status, Option<String>, Option<String>)>,
    /// The last verification.
    pub verified: Option<(bool, Preferences)>,
}

impl UserEntry {
    /// An attempt without an outcome: the PATCH may or may not have landed.
    pub fn in_doubt(&self) -> bool {
        self.attempt.is_some() && self.outcome.is_none()
    }
}

/// A journal read back.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalState {
    /// The header record's fields.
    pub kind: JournalKind,
    /// The file the journal executes.
    pub source: String,
    /// Its sha256.
    pub source_sha256: String,
    /// The Graph origin.
    pub service: String,
    /// Per user, in first-seen order of users.
    pub users: Vec<(String, UserEntry)>,
    /// Whether a `finished` record was written.
    pub finished: bool,
    /// How many batches were started.
    pub batches: u64,
    /// Whether the last line was cut short (the process was killed while writing it).
    pub torn_tail: bool,
    /// Byte length of the intact part, where appending resumes.
    pub intact_len: u64,
}

impl JournalState {
    /// The folded entry of `user`.
    pub fn user(&self, user: &str) -> Option<&UserEntry> {
        self.users
            .iter()
            .find(|(name, _)| name == user)
            .map(|(_, entry)| entry)
    }
}

/// Reads a journal; a torn final line is tolerated (and reported), any other damage is an error.
pub fn read(path: &Path) -> Result<JournalState, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    let damaged = |line: usize, message: String| Error::Journal {
        path: path.to_owned(),
        line,
        message,
    };
    let mut header = None;
    let mut by_user: BTreeMap<String, UserEntry> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut finished = false;
    let mut batches = 0;
    let mut torn_tail = false;
    let mut intact_len = 0u64;
    let mut offset = 0usize;
    let mut line_number = 0;
    while offset < bytes.len() {
        line_number += 1;
        let rest = bytes.get(offset..).unwrap_or_default();
        let (line, complete) = match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => (rest.get(..end).unwrap_or_default(), true),
            None => (rest, false),
        };
        let record: Result<Record, _> = serde_json::from_slice(line);
        match (record, complete) {
            (Ok(record), true) => {
                match &record {
                    Record::Header {
                        format,
                        kind,
                        source,
                        source_sha256,
                        service,
                        ..
                    } => {
                        if line_number != 1 {
                            return Err(damaged(line_number, "a second header".into()));
                        }
                        if *format != JOURNAL_FORMAT {
                            return Err(damaged(
                                line_number,
                                format!("journal format {format} is not {JOURNAL_FORMAT}"),
                            ));
                        }
                        header = Some((
                            *kind,
                            source.clone(),
                            source_sha256.clone(),
                            service.clone(),
                        ));
                    }
                    _ if header.is_none() => {
                        return Err(damaged(
                            line_number,
                            "the journal does not start with a header".into(),
                        ));
                    }
                    Record::Resumed { .. } => finished = false,
                    Record::Finished { .. } => finished = true,
                    Record::Attempt {
                        user,
                        batch,
                        before,
                        after,
                    } => {
                        batches = batches.max(*batch);
                        let entry = entry_for(&mut by_user, &mut order, user);
                        entry.attempt = Some((before.clone(), after.clone()));
                        entry.outcome = None;
                        entry.verified = None;
                    }
                    Record::Outcome {
                        user,
                        status,
                        detail,
                        request_id,
                        ..
                    } => {
                        let entry = entry_for(&mut by_user, &mut order, user);
                        if entry.attempt.is_none() {
                            return Err(damaged(
                                line_number,
                                format!("an outcome for {user} without an attempt"),
                            ));
                        }
                        entry.outcome = Some((*status, detail.clone(), request_id.clone()));
                    }
                    Record::Verified { user, ok, observed } => {
                        entry_for(&mut by_user, &mut order, user).verified =
                            Some((*ok, observed.clone()));
                    }
                }
                offset += line.len() + 1;
                intact_len = offset as u64;
            }
            // Only the very last line may be unfinished: the process died while writing it.
            (_, false) => {
                torn_tail = true;
                break;
            }
            (Err(error), true) => {
                return Err(damaged(
                    line_number,
                    format!("not a journal record: {error}"),
                ));
            }
        }
    }
    let (kind, source, source_sha256, service) =
        header.ok_or_else(|| damaged(1, "the journal is empty or has no header".into()))?;
    let users = order
        .into_iter()
        .map(|user| {
            let entry = by_user.remove(&user).unwrap_or_default();
            (user, entry)
        })
        .collect();
    Ok(JournalState {
        kind,
        source,
        source_sha256,
        service,
        users,
        finished,
        batches,
        torn_tail,
        intact_len,
    })
}

fn entry_for<'a>(
    by_user: &'a mut BTreeMap<String, UserEntry>,
    order: &mut Vec<String>,
    user: &str,
) -> &'a mut UserEntry {
    if !by_user.contains_key(user) {
        order.push(user.to_owned());
    }
    by_user.entry(user.to_owned()).or_default()
}

/// An open journal that records are appended to.
pub struct JournalWriter {
    path: PathBuf,
    file: File,
}

impl JournalWriter {
    /// Creates a new journal (refusing to overwrite one) and writes its header.
    pub fn create(path: &Path, header: Record) -> Result<Self, Error> {
        if path.exists() {
            return Err(Error::Guard(format!(
                "{} already exists; resume it with --resume, or choose another journal path",
                path.display()
            )));
        }
        let file = open_private(path, true)?;
        let mut writer = Self {
            path: path.to_owned(),
            file,
        };
        writer.append(&[header])?;
        Ok(writer)
    }

    /// Opens an existing journal for appending, cutting off a torn last line first.
    pub fn reopen(path: &Path, state: &JournalState) -> Result<Self, Error> {
        let file = open_private(path, false)?;
        if state.torn_tail {
            file.set_len(state.intact_len)
                .map_err(|source| Error::io(path, source))?;
        }
        let mut writer = Self {
            path: path.to_owned(),
            file,
        };
        writer.append(&[Record::Resumed { at: now() }])?;
        Ok(writer)
    }

    /// Appends records and fsyncs: when this returns, they survive a crash.
    pub fn append(&mut self, records: &[Record]) -> Result<(), Error> {
        let mut text = Vec::new();
        for record in records {
            serde_json::to_writer(&mut text, record)
                .map_err(|error| Error::io(&self.path, std::io::Error::other(error)))?;
            text.push(b'\n');
        }
        self.file
            .write_all(&text)
            .map_err(|source| Error::io(&self.path, source))?;
        self.file
            .sync_data()
            .map_err(|source| Error::io(&self.path, source))
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
