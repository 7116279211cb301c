//! The append-only journal of a run: what was about to be sent, and what came of it.
//!
//! Every batch is recorded twice: its intents (`attempt`, with the before and after values) are
//! written and fsync'd before the batch is sent, and its outcomes once the answers arrive (they
//! share the fsync of the next batches' intents, or the last one). A run
//! killed at any moment therefore leaves each user in one of three states: done (an outcome), in
//! doubt (an attempt without an outcome: the PATCH may or may not have reached Graph), or untouched.
//! Resume reads back the users in doubt before deciding, so no user is lost and none is changed
//! twice. A line cut short by the kill is the only damage a crash can do, and it is recognised and
//! dropped.
//!
//! The writer folds what it writes exactly as the reader folds what it reads, so a run ends with
//! the journal's state in hand without reading its file again.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::files::open_private;
use crate::front_end::Refusal;
use crate::journal_users::UserTable;
use crate::pace::BatchPace;
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
    /// Not sent before the run's time limit (`--max-duration`): a resume continues it.
    NotReached,
    /// Apply: not sent, because the user's live values, read just before the write, were no
    /// longer those the plan was made from (someone changed the user since). The attempt records
    /// the values read; the plan holds those it was made from. Only `--allow-drift` writes it.
    Drifted,
}

impl Status {
    /// Whether the user is finished with whatever went wrong: never sent again. (A failure may
    /// still be retried: see [`UserEntry::settled`].)
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Applied | Status::Recovered | Status::Skipped | Status::Drifted
        )
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
        /// The values before the change: for an apply, those read just before the write (the
        /// plan's, with `--allow-drift`, which reads nothing), so a rollback restores what was
        /// really there.
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
        /// For a failure: whether sending the same PATCH later could succeed (throttling, a 5xx,
        /// a timeout, a lost connection), so that a resume takes the user again. Absent in
        /// journals written before it was recorded: such failures are all taken again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retryable: Option<bool>,
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
    /// A read-back that could not be made, after retries: whether the user holds the values
    /// set is unknown. (Added after the first journals; they read as before.)
    Unverified {
        /// The user.
        user: String,
        /// Why: the last read's error.
        detail: String,
    },
    /// What a `$batch` of writes met: when its answer came, the throttling and retries it took.
    /// (Added after the first journals, which read as before, with no pace: their report says
    /// timing was not recorded.)
    Pace(BatchPace),
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
    /// Why the last read-back could not be made, when it could not (and no later one was).
    pub unverified: Option<String>,
    /// Whether the last outcome, a failure, may succeed if sent again (`None`: not recorded).
    pub retryable: Option<bool>,
    /// The run (1 for the first, one more for each resume) that wrote the last outcome.
    pub run: u32,
}

impl UserEntry {
    /// An attempt without an outcome: the PATCH may or may not have landed.
    pub fn in_doubt(&self) -> bool {
        self.attempt.is_some() && self.outcome.is_none()
    }

    /// Whether a resume leaves the user alone: it reached its target or was skipped, or it
    /// failed for a reason that sending the same PATCH again would not change.
    pub fn settled(&self) -> bool {
        match &self.outcome {
            Some((Status::Failed, _, _)) => self.retryable == Some(false),
            Some((status, _, _)) => status.is_final(),
            None => false,
        }
    }
}

/// A journal read back, or the running fold of one being written.
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
    /// Each user's folded records, in first-seen order; reports and resumes look up every user of
    /// a large run.
    users: UserTable,
    /// Whether a `finished` record was written.
    pub finished: bool,
    /// When each run started, in seconds since the Unix epoch: the header's, then each resume's.
    pub run_starts: Vec<u64>,
    /// What each `$batch` of writes met, in the order the answers came (empty for journals
    /// written before it was recorded).
    pub pace: Vec<BatchPace>,
    /// How many batches were started.
    pub batches: u64,
    /// How many runs wrote to the journal: 1, and one more for each resume.
    pub runs: u32,
    /// Whether the last line was cut short (the process was killed while writing it).
    pub torn_tail: bool,
    /// Byte length of the intact part, where appending resumes.
    pub intact_len: u64,
    /// Number of intact lines.
    lines: usize,
}

impl JournalState {
    /// The state of a journal holding only `header`.
    fn from_header(header: &Record) -> Result<Self, String> {
        let Record::Header {
            format,
            kind,
            source,
            source_sha256,
            service,
            started_at,
        } = header
        else {
            return Err("the journal does not start with a header".into());
        };
        if *format != JOURNAL_FORMAT {
            return Err(format!("journal format {format} is not {JOURNAL_FORMAT}"));
        }
        Ok(Self {
            kind: *kind,
            source: source.clone(),
            source_sha256: source_sha256.clone(),
            service: service.clone(),
            users: UserTable::new(),
            finished: false,
            run_starts: vec![*started_at],
            pace: Vec::new(),
            batches: 0,
            runs: 1,
            torn_tail: false,
            intact_len: 0,
            lines: 0,
        })
    }

    /// Folds one more record in, refusing what no run writes.
    fn fold(&mut self, record: Record) -> Result<(), String> {
        match record {
            Record::Header { .. } => return Err("a second header".into()),
            Record::Resumed { at } => {
                self.finished = false;
                self.runs += 1;
                self.run_starts.push(at);
            }
            Record::Pace(pace) => self.pace.push(pace),
            Record::Finished { .. } => self.finished = true,
            Record::Attempt {
                user,
                batch,
                before,
                after,
            } => {
                self.batches = self.batches.max(batch);
                self.users.attempt(&user, before, after);
            }
            Record::Outcome {
                user,
                status,
                detail,
                request_id,
                retryable,
                ..
            } => {
                if !self.users.has_attempt(&user) {
                    return Err(format!("an outcome for {user} without an attempt"));
                }
                self.users
                    .outcome(&user, status, detail, request_id, retryable, self.runs);
            }
            Record::Verified { user, ok, observed } => {
                self.users.verified(&user, ok, observed);
            }
            Record::Unverified { user, detail } => self.users.unverified(&user, detail),
        }
        Ok(())
    }

    /// The folded entry of `user`.
    pub fn user(&self, user: &str) -> Option<UserEntry> {
        self.users.get(user)
    }

    /// Where the file the journal executes is, for the journal at `journal`: the journal records
    /// the path it was given (relative to where the run was started), so a relative one is looked
    /// for there, then beside the journal, then by its name beside the journal. The first that
    /// exists is taken; the report's hash check then says whether it is the right file.
    pub fn source_path(&self, journal: &Path) -> std::path::PathBuf {
        let recorded = Path::new(&self.source);
        let beside = journal.parent().unwrap_or(Path::new(""));
        let candidates = [
            Some(recorded.to_path_buf()),
            (!recorded.is_absolute()).then(|| beside.join(recorded)),
            recorded.file_name().map(|name| beside.join(name)),
        ];
        candidates
            .iter()
            .flatten()
            .find(|candidate| candidate.is_file())
            .cloned()
            .unwrap_or_else(|| recorded.to_path_buf())
    }

    /// Every user the journal mentions, in first-seen order, with its folded entry.
    pub fn users(&self) -> impl Iterator<Item = (&str, UserEntry)> {
        self.users.iter()
    }
}

/// Reads a journal; a torn final line is tolerated (and reported), any other damage is an error.
pub fn read(path: &Path) -> Result<JournalState, Error> {
    let file = File::open(path).map_err(|source| Error::io(path, source))?;
    // Line by line: a million users' journal is hundreds of megabytes, its fold a few dozen.
    read_from(path, std::io::BufReader::with_capacity(1 << 16, file))
}

/// Reads a journal's bytes from `reader`, as [`read`] reads its file; `path` names it in errors.
/// The one reader of journals, over any bytes (the fuzzer gives it arbitrary ones).
pub fn read_from(path: &Path, mut reader: impl std::io::BufRead) -> Result<JournalState, Error> {
    let damaged = |line: usize, message: String| Error::Journal {
        path: path.to_owned(),
        line,
        message,
    };
    let mut state: Option<JournalState> = None;
    let mut offset = 0u64;
    let mut line_number = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| Error::io(path, source))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        let Some(record_bytes) = line.strip_suffix(b"\n") else {
            // Only the very last line may be unfinished: the process died while writing it.
            if let Some(state) = &mut state {
                state.torn_tail = true;
            }
            break;
        };
        let record: Record = serde_json::from_slice(record_bytes).map_err(|error| {
            // A plan's layout opens with a line of its own: the likeliest wrong file to be given.
            if line_number == 1 && record_bytes.trim_ascii() == b"{" {
                damaged(
                    line_number,
                    "this is not a journal but, by its layout, a plan: give the journal its apply wrote (by default the plan's name with .journal.jsonl added)".into(),
                )
            } else {
                damaged(line_number, format!("not a journal record: {error}"))
            }
        })?;
        match &mut state {
            None => {
                state = Some(
                    JournalState::from_header(&record)
                        .map_err(|message| damaged(line_number, message))?,
                );
            }
            Some(state) => state
                .fold(record)
                .map_err(|message| damaged(line_number, message))?,
        }
        offset += read as u64;
        if let Some(state) = &mut state {
            state.intact_len = offset;
            state.lines = line_number;
        }
    }
    state.ok_or_else(|| damaged(1, "the journal is empty or has no header".into()))
}

/// An open journal that records are appended to, and the fold of everything in it.
pub(crate) struct JournalWriter {
    path: PathBuf,
    file: File,
    state: JournalState,
}

impl JournalWriter {
    /// Creates a new journal (refusing to overwrite one) and writes its header.
    pub(crate) fn create(path: &Path, header: Record) -> Result<Self, Error> {
        let state = JournalState::from_header(&header).map_err(|message| Error::Journal {
            path: path.to_owned(),
            line: 1,
            message,
        })?;
        if path.exists() {
            return Err(Error::Refused(Refusal::JournalExists {
                path: path.to_owned(),
            }));
        }
        let file = open_private(path, true)?;
        let mut writer = Self {
            path: path.to_owned(),
            file,
            state,
        };
        let text = writer.serialize(std::slice::from_ref(&header))?;
        writer.write(&text, 1)?;
        Ok(writer)
    }

    /// Opens an existing journal, read as `state`, for appending, cutting off a torn last line
    /// first.
    pub(crate) fn reopen(path: &Path, mut state: JournalState) -> Result<Self, Error> {
        let file = open_private(path, false)?;
        if state.torn_tail {
            file.set_len(state.intact_len)
                .map_err(|source| Error::io(path, source))?;
            state.torn_tail = false;
        }
        let mut writer = Self {
            path: path.to_owned(),
            file,
            state,
        };
        writer.append(vec![Record::Resumed { at: now() }])?;
        Ok(writer)
    }

    /// Appends records and fsyncs: when this returns, they survive a crash. A record the reader
    /// would refuse is refused here, before anything is written; the run then stops, as the
    /// state may already hold the records before it.
    pub(crate) fn append(&mut self, records: Vec<Record>) -> Result<(), Error> {
        let text = self.serialize(&records)?;
        let count = records.len();
        for (offset, record) in records.into_iter().enumerate() {
            self.state.fold(record).map_err(|message| Error::Journal {
                path: self.path.clone(),
                line: self.state.lines + offset + 1,
                message,
            })?;
        }
        self.write(&text, count)
    }

    fn serialize(&self, records: &[Record]) -> Result<Vec<u8>, Error> {
        let mut text = Vec::new();
        for record in records {
            serde_json::to_writer(&mut text, record)
                .map_err(|error| Error::io(&self.path, std::io::Error::other(error)))?;
            text.push(b'\n');
        }
        Ok(text)
    }

    fn write(&mut self, text: &[u8], lines: usize) -> Result<(), Error> {
        self.file
            .write_all(text)
            .map_err(|source| Error::io(&self.path, source))?;
        self.file
            .sync_data()
            .map_err(|source| Error::io(&self.path, source))?;
        self.state.lines += lines;
        self.state.intact_len += text.len() as u64;
        Ok(())
    }

    /// Makes room for `users` more users in the state, so that a large run's state is not
    /// rehashed as it grows.
    pub(crate) fn expect_users(&mut self, users: usize) {
        self.state.users.reserve(users);
    }

    /// What the journal holds so far, as [`read`] would find it.
    pub(crate) fn state(&self) -> &JournalState {
        &self.state
    }

    /// Closes the journal, returning what it holds.
    pub(crate) fn into_state(self) -> JournalState {
        self.state
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One step of a run as the journal sees it.
    #[derive(Debug, Clone)]
    enum Step {
        /// Records appended together (one fsync).
        Append(Vec<Record>),
        /// The process dies mid-line (these bytes written), and a later run reopens the journal.
        KillAndReopen(Vec<u8>),
    }

    fn preferences() -> impl Strategy<Value = Preferences> {
        (
            proptest::option::of(prop::sample::select(vec!["push", "sms", "oath"])),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(method, system_preferred)| Preferences {
                method: method.map(str::to_owned),
                system_preferred,
            })
    }

    fn record() -> impl Strategy<Value = Record> {
        let user = prop::sample::select(vec!["a@contoso.com", "b@contoso.com", "c@contoso.com"])
            .prop_map(str::to_owned);
        let status = prop::sample::select(vec![
            Status::Applied,
            Status::Recovered,
            Status::Failed,
            Status::Skipped,
            Status::NotReached,
            Status::Drifted,
        ]);
        prop_oneof![
            4 => (user.clone(), 1..50u64, preferences(), preferences()).prop_map(
                |(user, batch, before, after)| Record::Attempt { user, batch, before, after }
            ),
            4 => (
                user.clone(),
                1..50u64,
                status,
                proptest::option::of("[a-z ]{0,12}"),
                proptest::option::of(any::<bool>()),
            )
                .prop_map(|(user, batch, status, detail, retryable)| Record::Outcome {
                    user,
                    batch,
                    status,
                    detail,
                    request_id: None,
                    retryable,
                }
            ),
            1 => (user.clone(), any::<bool>(), preferences())
                .prop_map(|(user, ok, observed)| Record::Verified { user, ok, observed }),
            1 => (user, "[a-z ]{0,12}")
                .prop_map(|(user, detail)| Record::Unverified { user, detail }),
            1 => (1..50u64, 0..u64::MAX, any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
                |(batch, at_ms, writes, applied, throttled, retries)| Record::Pace(BatchPace {
                    batch, at_ms, writes, applied, throttled, retries,
                })
            ),
            1 => Just(Record::Resumed { at: 1 }),
            1 => Just(Record::Finished { at: 2 }),
        ]
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(
            prop_oneof![
                6 => prop::collection::vec(record(), 0..6).prop_map(Step::Append),
                1 => prop::collection::vec(any::<u8>().prop_filter("not a newline", |b| *b != b'\n'), 1..40)
                    .prop_map(Step::KillAndReopen),
            ],
            0..12,
        )
    }

    fn header() -> Record {
        Record::Header {
            format: JOURNAL_FORMAT,
            kind: JournalKind::Apply,
            source: "plan.json".into(),
            source_sha256: "00".into(),
            service: "http://127.0.0.1:1".into(),
            started_at: 0,
        }
    }

    proptest! {
        /// What the writer keeps in memory is what the file reads back as, after every append,
        /// torn line and reopen; a record the reader would refuse is refused by the writer.
        #[test]
        fn the_writers_state_is_what_the_file_reads_back_as(steps in steps()) {
            let dir = std::env::temp_dir().join(format!(
                "signin-prefs-journal-law-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("journal.jsonl");
            let _ = std::fs::remove_file(&path);
            let mut writer = JournalWriter::create(&path, header()).unwrap();
            for step in steps {
                match step {
                    Step::Append(records) => {
                        // Whether the reader accepts these records after what is on disk.
                        let mut probe = writer.state().clone();
                        let valid = records.iter().all(|record| probe.fold(record.clone()).is_ok());
                        let before = std::fs::read(&path).unwrap();
                        match writer.append(records) {
                            Ok(()) => prop_assert!(valid),
                            Err(error) => {
                                prop_assert!(!valid);
                                prop_assert!(error.to_string().contains("without an attempt"), "{}", error);
                                prop_assert_eq!(std::fs::read(&path).unwrap(), before);
                                // The run stops here; a later run starts from the file.
                                let state = read(&path).unwrap();
                                writer = JournalWriter::reopen(&path, state).unwrap();
                            }
                        }
                    }
                    Step::KillAndReopen(partial) => {
                        drop(writer);
                        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
                        file.write_all(&partial).unwrap();
                        let state = read(&path).unwrap();
                        prop_assert!(state.torn_tail);
                        writer = JournalWriter::reopen(&path, state).unwrap();
                    }
                }
                prop_assert_eq!(writer.state(), &read(&path).unwrap());
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
