//! Writes a plan file entry by entry, so a plan of a million users never sits in memory whole.
//!
//! The file must read as [`crate::layout`] lays a whole [`Plan`] out, with its summary above its
//! entries, yet the summary is known only after the last entry. So entries go to a hidden,
//! owner-only spool beside the plan as they are decided; at the end the plan file is written once:
//! the head with the summary, the spooled entries (copied by the kernel), and the tail. Entries are
//! serialized on a thread of their own, beside the planner deciding the next ones. A plan that
//! is refused (`--max-changes`) or cut short leaves no plan file, and its spool is removed.

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
    batch: Vec<PlanEntry>,
    to_spool: Option<SyncSender<Vec<PlanEntry>>>,
    spooling: Option<JoinHandle<Spooled>>,
}

impl PlanWriter {
    /// Starts the plan at `path`, refusing to overwrite a file there.
    pub(crate) fn create(path: &Path) -> Result<Self, Error> {
        if path.exists() {
            return Err(Error::Guard(format!(
                "{} already exists; plans are never overwritten",
                path.display()
            )));
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spool_path = path.with_file_name(format!(".{name}.entries-{}", std::process::id()));
        let _ = std::fs::remove_file(&spool_path);
        let spool = BufWriter::with_capacity(1 << 16, create_private_scratch(&spool_path)?);
        let (to_spool, batches) = sync_channel::<Vec<PlanEntry>>(BATCHES_QUEUED);
        let thread_path = spool_path.clone();
        let spooling = std::thread::Builder::new()
            .name("plan-spool".into())
            .spawn(move || spool_entries(&thread_path, spool, batches.iter()))
            .map_err(|source| Error::io(&spool_path, source))?;
        Ok(Self {
            path: path.to_owned(),
            spool_path,
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
        let head_text = crate::layout::to_text(head).map_err(|error| io(error.into()))?;
        let Some(head_text) = head_text.strip_suffix(EMPTY_ENTRIES_TAIL) else {
            return Err(io(std::io::Error::other(
                "internal: the plan's layout does not end with its entries",
            )));
        };
        let mut spool = spool
            .into_inner()
            .map_err(|error| Error::io(&self.spool_path, error.into_error()))?;
        spool
            .rewind()
            .map_err(|source| Error::io(&self.spool_path, source))?;
        let mut file = open_private(&path, true)?;
        file.write_all(head_text.as_bytes()).map_err(io)?;
        if entries == 0 {
            file.write_all(EMPTY_ENTRIES_TAIL.as_bytes()).map_err(io)?;
        } else {
            file.write_all(b"\"entries\": [\n").map_err(io)?;
            std::io::copy(&mut spool, &mut file).map_err(io)?;
            file.write_all(b"\n  ]\n}\n").map_err(io)?;
        }
        file.sync_all().map_err(io)
    }
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
    use crate::plan::{Action, Preferences, test_plan};

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
    fn a_streamed_plan_file_is_byte_for_byte_the_whole_plans_layout() {
        let dir =
            std::env::temp_dir().join(format!("signin-prefs-plan-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for users in [0, 1, 5, 3 * BATCH + 1] {
            let whole = plan(users);
            let path = dir.join(format!("plan-{users}.json"));
            let _ = std::fs::remove_file(&path);
            let mut writer = PlanWriter::create(&path).unwrap();
            for entry in &whole.entries {
                writer.push(entry.clone()).unwrap();
            }
            let head = Plan {
                entries: Vec::new(),
                summary: whole.summary.clone(),
                ..whole.clone()
            };
            writer.finish(&head).unwrap();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                whole.to_json(),
                "{users} users"
            );
            assert_eq!(Plan::read(&path).unwrap().0, whole);
        }
        // No spool is left behind, and a plan is never overwritten.
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        assert!(PlanWriter::create(&dir.join("plan-1.json")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
