//! Writes a plan file entry by entry, so a plan of a million users never sits in memory whole.
//!
//! The file must read as [`crate::layout`] lays a whole [`Plan`] out, with its summary above its
//! entries, yet the summary is known only after the last entry. So entries go to a hidden,
//! owner-only spool beside the plan as they are decided, behind room kept for the head (as wide as
//! the widest head the plan can have); at the end the head with the summary is written into that
//! room (padded with spaces), the tail after the entries, and the spool, synced, takes the plan's
//! name (a hard link, which never replaces a file). Entries are serialized on a thread of their own,
//! beside the planner deciding the next ones. A plan that is refused (`--max-changes`) or cut short
//! leaves no plan file, and its spool is removed.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::Error;
use crate::files::{create_private_scratch, open_private};
use crate::plan::{Plan, PlanEntry};

/// How the layout ends a plan without entries; the streamed file replaces the empty list.
const EMPTY_ENTRIES_TAIL: &str = "\"entries\": []\n}\n";

/// Entries handed to the spooling thread at a time.
const BATCH: usize = 4_096;

/// Batches waiting for the spooling thread: enough to keep it busy, few enough to hold little.
const BATCHES_QUEUED: usize = 4;

/// The spool once its thread is done with it: the file and the number of entries written.
type Spooled = Result<(BufWriter<File>, usize), Error>;

/// A plan file being written: entries first (spooled), head and summary at [`PlanWriter::finish`].
///
/// Entries are serialized on a thread of their own while the planner decides the next ones: for
/// a plan of half a million users, writing is half the work left once the last state is read.
pub(crate) struct PlanWriter {
    path: PathBuf,
    spool_path: PathBuf,
    /// Bytes kept for the head at the start of the spool, before the entries' opening line.
    head_room: usize,
    batch: Vec<PlanEntry>,
    to_spool: Option<SyncSender<Vec<PlanEntry>>>,
    spooling: Option<JoinHandle<Spooled>>,
}

impl PlanWriter {
    /// Starts the plan at `path`, refusing to overwrite a file there.
    pub(crate) fn create(path: &Path, widest_head: &Plan) -> Result<Self, Error> {
        check_new_plan(path)?;
        let head_room = head_text(path, widest_head)?.trim_end().len() + HEAD_SLACK;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spool_path = path.with_file_name(format!(".{name}.entries-{}", std::process::id()));
        let _ = std::fs::remove_file(&spool_path);
        // Its folder exists: what can still go wrong here (permissions, a full disk) is the plan's.
        let spool = create_private_scratch(&spool_path).map_err(|error| match error {
            Error::Io { source, .. } => Error::io(path, source),
            other => other,
        })?;
        let mut spool = BufWriter::with_capacity(1 << 16, spool);
        spool
            .write_all(" ".repeat(head_room).as_bytes())
            .and_then(|()| spool.write_all(ENTRIES_OPEN))
            .map_err(|source| Error::io(&spool_path, source))?;
        let (to_spool, batches) = sync_channel::<Vec<PlanEntry>>(BATCHES_QUEUED);
        let thread_path = spool_path.clone();
        let spooling = std::thread::Builder::new()
            .name("plan-spool".into())
            .spawn(move || spool_entries(&thread_path, spool, batches.iter()))
            .map_err(|source| Error::io(&spool_path, source))?;
        Ok(Self {
            path: path.to_owned(),
            spool_path,
            head_room,
            batch: Vec::with_capacity(BATCH),
            to_spool: Some(to_spool),
            spooling: Some(spooling),
        })
    }

    /// Adds the next entry.
    pub(crate) fn push(&mut self, entry: PlanEntry) -> Result<(), Error> {
        self.batch.push(entry);
        if self.batch.len() >= BATCH {
            self.hand_on()?;
        }
        Ok(())
    }

    /// Hands the entries gathered to the spooling thread; if it has stopped, its error.
    fn hand_on(&mut self) -> Result<(), Error> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let handed = self
            .to_spool
            .as_ref()
            .is_some_and(|to_spool| to_spool.send(batch).is_ok());
        if handed {
            return Ok(());
        }
        // The thread stops early only on an error, which joining it gives.
        self.spooled().and_then(|_| {
            Err(Error::io(
                &self.spool_path,
                std::io::Error::other("the plan's spool stopped"),
            ))
        })
    }

    /// Waits for the spooling thread to write what it was handed, and takes back the spool.
    fn spooled(&mut self) -> Spooled {
        self.to_spool = None;
        let stopped = || {
            Error::io(
                &self.spool_path,
                std::io::Error::other("the plan's spool stopped"),
            )
        };
        let Some(spooling) = self.spooling.take() else {
            return Err(stopped());
        };
        spooling.join().map_err(|_| stopped())?
    }

    /// Writes the plan file: `head` (with the summary), then the entries, in the layout.
    pub(crate) fn finish(mut self, head: &Plan) -> Result<(), Error> {
        if !self.batch.is_empty() {
            self.hand_on()?;
        }
        let (spool, entries) = self.spooled()?;
        let path = self.path.clone();
        let io = |source| Error::io(&path, source);
        let spool_io = |source| Error::io(&self.spool_path, source);
        let head_text = head_text(&path, head)?;
        let mut spool = spool
            .into_inner()
            .map_err(|error| spool_io(error.into_error()))?;
        let head_line = head_text.trim_end();
        if entries > 0 && head_line.len() < self.head_room {
            // In place: the tail after the entries, the head over its room, then the name.
            spool.write_all(ENTRIES_CLOSE).map_err(spool_io)?;
            let padding = " ".repeat(self.head_room - head_line.len() - 1);
            spool.rewind().map_err(spool_io)?;
            spool
                .write_all(format!("{head_line}{padding}\n").as_bytes())
                .map_err(spool_io)?;
            spool.sync_all().map_err(spool_io)?;
            return match std::fs::hard_link(&self.spool_path, &path) {
                Ok(()) => Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(Error::Guard(format!(
                        "{} already exists; plans are never overwritten",
                        path.display()
                    )))
                }
                Err(error) => Err(io(error)),
            };
        }
        // No entries (the layout's `[]`), or a head wider than its room: written out whole.
        let mut file = open_private(&path, true)?;
        if entries == 0 {
            file.write_all(head_text.as_bytes()).map_err(io)?;
            file.write_all(EMPTY_ENTRIES_TAIL.as_bytes()).map_err(io)?;
        } else {
            file.write_all(format!("{head_line}\n").as_bytes())
                .map_err(io)?;
            spool
                .seek(std::io::SeekFrom::Start(self.head_room as u64))
                .map_err(spool_io)?;
            std::io::copy(&mut spool, &mut file).map_err(io)?;
            file.write_all(ENTRIES_CLOSE).map_err(io)?;
        }
        file.sync_all().map_err(io)
    }
}

/// Bytes kept for the head beyond the widest head's, for a field as yet unforeseen.
const HEAD_SLACK: usize = 64;

/// The line that opens the entries, and what closes them and the plan.
const ENTRIES_OPEN: &[u8] = b"  \"entries\": [\n";
const ENTRIES_CLOSE: &[u8] = b"\n  ]\n}\n";

/// `head` in the layout, up to where its entries begin (after the indentation of their key).
fn head_text(path: &Path, head: &Plan) -> Result<String, Error> {
    let io = |source| Error::io(path, source);
    let text = crate::layout::to_text(head).map_err(|error| io(error.into()))?;
    match text.strip_suffix(EMPTY_ENTRIES_TAIL) {
        Some(head) => Ok(head.to_owned()),
        None => Err(io(std::io::Error::other(
            "internal: the plan's layout does not end with its entries",
        ))),
    }
}

/// Whether a plan can be written at `path`, checked before anything is read from Graph: its
/// folder must exist, and nothing may be there yet (plans are never overwritten).
pub fn check_new_plan(path: &Path) -> Result<(), Error> {
    if path.exists() {
        return Err(Error::Guard(format!(
            "{} already exists; plans are never overwritten",
            path.display()
        )));
    }
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(Error::Guard(format!(
            "{}: the folder {} does not exist; create it or write the plan elsewhere",
            path.display(),
            folder.display()
        )));
    }
    Ok(())
}

/// The spooling thread: writes each entry of `batches` on a line of its own, comma-separated,
/// until the writer hangs up.
fn spool_entries(
    spool_path: &Path,
    mut spool: BufWriter<File>,
    batches: impl Iterator<Item = Vec<PlanEntry>>,
) -> Spooled {
    let io = |source| Error::io(spool_path, source);
    let mut entries = 0_usize;
    for batch in batches {
        for entry in batch {
            spool
                .write_all(if entries == 0 { b"    " } else { b",\n    " })
                .map_err(io)?;
            serde_json::to_writer(&mut spool, &entry).map_err(|error| io(error.into()))?;
            entries += 1;
        }
    }
    Ok((spool, entries))
}

impl Drop for PlanWriter {
    fn drop(&mut self) {
        // The spool holds users' MFA setup: it never outlives the writer, finished or not.
        self.batch.clear();
        let _ = self.spooled();
        let _ = std::fs::remove_file(&self.spool_path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, PlanRequest, Preferences, Summary, test_plan};

    fn plan(users: usize) -> Plan {
        let entries: Vec<PlanEntry> = (0..users)
            .map(|index| PlanEntry {
                user: format!("user{index}@contoso.com"),
                source_line: index + 2,
                current: Preferences {
                    method: Some("sms".into()),
                    system_preferred: None,
                },
                target: (index % 2 == 0).then(|| Preferences {
                    method: Some("push".into()),
                    system_preferred: Some(true),
                }),
                registered: vec!["microsoftAuthenticator".into(), "mobilePhone".into()],
                action: if index % 2 == 0 {
                    Action::Change
                } else {
                    Action::Ineligible
                },
                reason: format!("reason \"{index}\""),
                default_reach: (index % 4 == 0)
                    .then_some(crate::system_preferred::DefaultReach::TakesEffect),
            })
            .collect();
        test_plan(entries, vec!["a@contoso.com".into()])
    }

    #[test]
    fn a_streamed_plan_file_is_the_whole_plans_layout_its_head_padded() {
        let dir =
            std::env::temp_dir().join(format!("signin-prefs-plan-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let without_line_ends = |text: &str| -> Vec<String> {
            text.lines()
                .map(|line| line.trim_end().to_owned())
                .collect()
        };
        for users in [0, 1, 5, 3 * BATCH + 1] {
            let planned = plan(users);
            // The same plan from a long-named source: wider than the room its short twin's
            // widest head keeps (so written out whole).
            let long = Plan {
                request: PlanRequest {
                    source: "s".repeat(1_000),
                    ..planned.request.clone()
                },
                ..planned.clone()
            };
            for (whole, in_place) in [(&planned, users > 0), (&long, false)] {
                let head = Plan {
                    entries: Vec::new(),
                    ..whole.clone()
                };
                let room = Plan {
                    summary: Summary::widest(),
                    entries: Vec::new(),
                    ..planned.clone()
                };
                let path = dir.join(format!("plan-{users}-{in_place}.json"));
                let _ = std::fs::remove_file(&path);
                let mut writer = PlanWriter::create(&path, &room).unwrap();
                for entry in &whole.entries {
                    writer.push(entry.clone()).unwrap();
                }
                writer.finish(&head).unwrap();
                let written = std::fs::read_to_string(&path).unwrap();
                if in_place {
                    assert_eq!(
                        without_line_ends(&written),
                        without_line_ends(&whole.to_json()),
                        "{users} users"
                    );
                } else {
                    assert_eq!(written, whole.to_json(), "{users} users, written whole");
                }
                assert_eq!(&Plan::read(&path).unwrap().0, whole);
            }
        }
        // No spool is left behind, and a plan is never overwritten.
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        match PlanWriter::create(&dir.join("plan-1-true.json"), &plan(0)) {
            Err(error) => assert!(error.to_string().contains("never overwritten"), "{error}"),
            Ok(_) => panic!("a plan was overwritten"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
