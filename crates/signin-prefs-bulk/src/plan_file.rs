//! Reading a plan file back and checking it, whole or entry by entry.
//!
//! A plan is checked again whenever it is read, so a plan edited by hand into inconsistency is
//! refused before anything is sent. [`scan`] reads a plan of any size in flat memory: the file is
//! parsed as it is read, each entry is checked and handed on, and only what the checks need across
//! entries (a 16-byte digest per user) is kept. [`Plan::read`] is the same reading, keeping every
//! entry.

use std::collections::HashSet;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::Error;
use crate::key_digest::KeyDigest;
use crate::plan::{Action, PLAN_FORMAT, Plan, PlanEntry, PlanRequest, Summary, sha256};
use crate::state::{Registered, supports};

/// A plan as read from its file: what an apply executes, and what its journal is tied to.
#[derive(Debug, Clone)]
pub struct PlanFile {
    /// Where it was read from (recorded in the journal).
    pub path: PathBuf,
    /// The plan, checked.
    pub plan: Plan,
    /// The sha256 of the file's bytes: a journal is only ever resumed against the same plan.
    pub sha256: String,
}

impl PlanFile {
    /// Reads and checks the plan at `path`.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let (plan, sha256) = Plan::read(path)?;
        Ok(Self {
            path: path.to_owned(),
            plan,
            sha256,
        })
    }
}

impl Plan {
    /// The plan as written to its file: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        crate::layout::to_text(self).unwrap_or_default()
    }

    /// Writes the plan (owner-only permissions: it names users and their MFA setup).
    pub fn write(&self, path: &Path) -> Result<String, Error> {
        let text = self.to_json();
        crate::files::write_private(path, text.as_bytes())?;
        Ok(sha256(text.as_bytes()))
    }

    /// Reads and checks a plan file; returns it with the sha256 of its bytes.
    pub fn read(path: &Path) -> Result<(Plan, String), Error> {
        let mut entries = Vec::new();
        let (head, sha) = scan(path, &mut |entry| entries.push(entry))?;
        Ok((Plan { entries, ..head }, sha))
    }

    /// The checks [`Plan::read`] makes, for a plan in memory; the problem names the entry.
    pub fn check(&self) -> Result<(), PlanProblem> {
        let mut checker =
            Checker::new(&self.request, self.format, Duplicates::Refuse).map_err(PlanProblem)?;
        for entry in &self.entries {
            checker.check(entry).map_err(PlanProblem)?;
        }
        checker
            .finish(&self.summary, &self.request)
            .map_err(PlanProblem)
    }
}

/// Why a plan fails its checks: what is wrong, naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanProblem(String);

/// Reads and checks the plan at `path`, handing each entry to `each` in file order as it is parsed.
/// Returns the plan's head (everything but its entries) and the sha256 of the file's bytes. On an
/// error nothing is to be sent: entries already handed on must be discarded.
pub fn scan(path: &Path, each: &mut dyn FnMut(PlanEntry)) -> Result<(Plan, String), Error> {
    scan_with(path, Duplicates::Refuse, each)
}

/// [`scan`] of a plan already scanned whole whose sha256 is `checked_sha256` (a report of the run
/// that applied it): every check but the one for repeated users, which is the only one holding
/// memory for every entry. A file that no longer has those bytes is refused once read.
pub(crate) fn rescan(
    path: &Path,
    checked_sha256: &str,
    each: &mut dyn FnMut(PlanEntry),
) -> Result<(Plan, String), Error> {
    let (plan, sha) = scan_with(path, Duplicates::CheckedBefore, each)?;
    if sha != checked_sha256 {
        return Err(not_executed(path));
    }
    Ok((plan, sha))
}

/// The refusal of a plan that is not the one a journal's run executed.
pub(crate) fn not_executed(path: &Path) -> Error {
    Error::Guard(format!(
        "{} is not the plan this journal executed (its sha256 differs)",
        path.display()
    ))
}

/// Whether a scan looks for users listed twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Duplicates {
    /// Refuse a plan listing a user twice.
    Refuse,
    /// The same bytes were scanned with [`Duplicates::Refuse`] before.
    CheckedBefore,
}

fn scan_with(
    path: &Path,
    duplicates: Duplicates,
    each: &mut dyn FnMut(PlanEntry),
) -> Result<(Plan, String), Error> {
    let handed_on = match scan_lines(path, duplicates, each)? {
        Lines::Read(plan, sha) => return Ok((*plan, sha)),
        Lines::NotTheLayout { handed_on } => handed_on,
    };
    // The general parser checks every entry again and hands on those the fast path did not.
    let mut seen = 0;
    scan_parsing(path, duplicates, &mut |entry| {
        seen += 1;
        if seen > handed_on {
            each(entry);
        }
    })
}

/// What [`scan_lines`] made of a file.
enum Lines {
    /// The plan, checked, and the sha256 of its bytes.
    Read(Box<Plan>, String),
    /// The file is not in the layout the tool writes (or is not a valid plan): the general parser
    /// must read it, and say what is wrong if anything is. The first `handed_on` entries, each a
    /// complete line the general parser reads alike, were already handed on.
    NotTheLayout { handed_on: usize },
}

/// The fast path for plans in the layout the tool writes (see [`crate::layout`]): the head up to
/// `"entries": [`, one entry per line, then `]` and `}`. Each entry line is parsed from memory,
/// several times faster than parsing from a reader; anything else goes to [`scan_parsing`].
fn scan_lines(
    path: &Path,
    duplicates: Duplicates,
    each: &mut dyn FnMut(PlanEntry),
) -> Result<Lines, Error> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let mut reader = BufReader::with_capacity(1 << 16, Hashing::new(file));
    let mut line = Vec::new();
    let mut next_line = |line: &mut Vec<u8>| {
        line.clear();
        reader
            .read_until(b'\n', line)
            .map_err(|source| Error::io(path, source))
    };
    let not_the_layout = |handed_on| Ok(Lines::NotTheLayout { handed_on });
    let mut head = Vec::new();
    loop {
        if next_line(&mut line)? == 0 {
            return not_the_layout(0);
        }
        if line.trim_ascii() == b"\"entries\": [" {
            break;
        }
        head.extend_from_slice(&line);
    }
    head.extend_from_slice(b"\"entries\": []}");
    let Ok(plan) = serde_json::from_slice::<Plan>(&head) else {
        return not_the_layout(0);
    };
    let Ok(mut checker) = Checker::new(&plan.request, plan.format, duplicates) else {
        return not_the_layout(0);
    };
    let mut handed_on = 0;
    let mut comma_before = true;
    loop {
        if next_line(&mut line)? == 0 {
            return not_the_layout(handed_on);
        }
        let text = line.trim_ascii();
        if text == b"]" {
            break;
        }
        let (text, comma) = match text.strip_suffix(b",") {
            Some(text) => (text, true),
            None => (text, false),
        };
        if !comma_before {
            return not_the_layout(handed_on);
        }
        comma_before = comma;
        let Ok(entry) = serde_json::from_slice::<PlanEntry>(text) else {
            return not_the_layout(handed_on);
        };
        if checker.check(&entry).is_err() {
            return not_the_layout(handed_on);
        }
        each(entry);
        handed_on += 1;
    }
    let mut closed = false;
    while next_line(&mut line)? > 0 {
        match line.trim_ascii() {
            b"" => {}
            b"}" if !closed => closed = true,
            _ => return not_the_layout(handed_on),
        }
    }
    if (handed_on > 0 && comma_before)
        || !closed
        || checker.finish(&plan.summary, &plan.request).is_err()
    {
        return not_the_layout(handed_on);
    }
    Ok(Lines::Read(Box::new(plan), reader.into_inner().finish()))
}

/// Reads a plan in any layout JSON allows, parsing from the file as it is read.
fn scan_parsing(
    path: &Path,
    duplicates: Duplicates,
    each: &mut dyn FnMut(PlanEntry),
) -> Result<(Plan, String), Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let mut reader = BufReader::with_capacity(1 << 16, Hashing::new(file));
    let refused = |message: String| Error::Plan {
        path: path.to_owned(),
        message,
    };
    let mut problem = None;
    let parsed = {
        let mut deserializer = serde_json::Deserializer::from_reader(&mut reader);
        let seed = PlanSeed {
            each,
            duplicates,
            problem: &mut problem,
        };
        seed.deserialize(&mut deserializer)
            .and_then(|head| deserializer.end().map(|()| head))
    };
    // A failed check stops the parse: its message, not the parser's, says what is wrong.
    if let Some(message) = problem {
        return Err(refused(message));
    }
    let head = parsed.map_err(|error| {
        if error.is_io() {
            Error::io(path, error.into())
        } else {
            refused(format!("not a plan file: {error}"))
        }
    })?;
    Ok((head, reader.into_inner().finish()))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    context: ring::digest::Context,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            context: ring::digest::Context::new(&ring::digest::SHA256),
        }
    }

    /// Lower-case hex SHA-256 of everything read.
    fn finish(self) -> String {
        crate::plan::hex(self.context.finish().as_ref())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.context.update(buffer.get(..read).unwrap_or_default());
        Ok(read)
    }
}

/// The checks of one plan, entry by entry.
struct Checker {
    /// The users seen so far, unless the bytes were checked for repeats before.
    seen: Option<HashSet<KeyDigest>>,
    excluded: HashSet<KeyDigest>,
    summary: Summary,
    index: usize,
}

impl Checker {
    fn new(request: &PlanRequest, format: u32, duplicates: Duplicates) -> Result<Self, String> {
        if format != PLAN_FORMAT {
            return Err(format!(
                "plan format {format} is not {PLAN_FORMAT}, the one this build reads"
            ));
        }
        Ok(Self {
            seen: (duplicates == Duplicates::Refuse).then(HashSet::new),
            excluded: request
                .exclude
                .iter()
                .map(|user| KeyDigest::of(user))
                .collect(),
            summary: Summary::default(),
            index: 0,
        })
    }

    fn check(&mut self, entry: &PlanEntry) -> Result<(), String> {
        self.index += 1;
        let at = || format!("entry {} ({})", self.index, entry.user);
        let key = KeyDigest::of(&entry.user);
        if self.seen.as_mut().is_some_and(|seen| !seen.insert(key)) {
            return Err(format!("{}: the user appears twice", at()));
        }
        if self.excluded.contains(&key) && entry.action != Action::Excluded {
            return Err(format!(
                "{}: the user is on the exclude list but the action is {:?}",
                at(),
                entry.action
            ));
        }
        match (entry.action, &entry.target) {
            (Action::Change, None) | (Action::AlreadyCompliant, None) => {
                return Err(format!(
                    "{}: action {:?} needs a target",
                    at(),
                    entry.action
                ));
            }
            (Action::Change, Some(target)) if *target == entry.current => {
                return Err(format!(
                    "{}: action change, but the target equals the current state",
                    at()
                ));
            }
            (Action::AlreadyCompliant, Some(target)) if *target != entry.current => {
                return Err(format!(
                    "{}: action alreadyCompliant, but the target differs from the current state",
                    at()
                ));
            }
            (
                Action::Ineligible
                | Action::Error
                | Action::Excluded
                | Action::NotFrom
                | Action::Disabled,
                Some(_),
            ) => {
                return Err(format!(
                    "{}: action {:?} must not have a target",
                    at(),
                    entry.action
                ));
            }
            _ => {}
        }
        if let (Action::Change, Some(target)) = (entry.action, &entry.target) {
            if let Some(method) = &target.method {
                let parsed: Method = method
                    .parse()
                    .map_err(|error| format!("{}: target method: {error}", at()))?;
                if target.method != entry.current.method {
                    let registered: Vec<Registered> = entry
                        .registered
                        .iter()
                        .filter_map(|name| registered_from_name(name))
                        .collect();
                    if !supports(&registered, &parsed) {
                        return Err(format!(
                            "{}: target method {method} is not enabled by the registered methods ({})",
                            at(),
                            entry.registered.join(", ")
                        ));
                    }
                }
            } else if entry.current.method.is_some() {
                return Err(format!(
                    "{}: the target clears the method, which no PATCH can do",
                    at()
                ));
            }
        }
        self.summary.tally(entry);
        Ok(())
    }

    fn finish(self, summary: &Summary, request: &PlanRequest) -> Result<(), String> {
        if self.summary != *summary {
            return Err(format!(
                "the summary ({summary:?}) does not match the entries ({:?})",
                self.summary
            ));
        }
        if let Some(max) = request.max_changes
            && self.summary.change > max
        {
            return Err(format!(
                "{} changes exceed the plan's own maxChanges {max}",
                self.summary.change
            ));
        }
        Ok(())
    }
}

fn registered_from_name(name: &str) -> Option<Registered> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Parses a plan, checking each entry as it is parsed and handing it on. The plan's own layout
/// puts every field before the entries; a plan whose fields come after them (edited by hand) is
/// still read, its entries held until the fields they are checked against have been read.
struct PlanSeed<'a> {
    each: &'a mut dyn FnMut(PlanEntry),
    duplicates: Duplicates,
    problem: &'a mut Option<String>,
}

/// The plan's fields, as they arrive.
#[derive(Default)]
struct Head {
    format: Option<u32>,
    created_at: Option<u64>,
    service: Option<String>,
    request: Option<PlanRequest>,
    summary: Option<Summary>,
    entries_seen: bool,
}

impl<'de> DeserializeSeed<'de> for PlanSeed<'_> {
    type Value = Plan;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Plan, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PlanSeed<'_> {
    type Value = Plan;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a plan object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Plan, A::Error> {
        let mut head = Head::default();
        let mut held: Vec<PlanEntry> = Vec::new();
        let mut checker: Option<Checker> = None;
        let fail = |problem: &mut Option<String>, message: String| {
            *problem = Some(message.clone());
            A::Error::custom(message)
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => head.format = Some(once(&mut map, head.format.is_some(), "format")?),
                "createdAt" => {
                    head.created_at = Some(once(&mut map, head.created_at.is_some(), "createdAt")?)
                }
                "service" => {
                    head.service = Some(once(&mut map, head.service.is_some(), "service")?)
                }
                "request" => {
                    head.request = Some(once(&mut map, head.request.is_some(), "request")?)
                }
                "summary" => {
                    head.summary = Some(once(&mut map, head.summary.is_some(), "summary")?)
                }
                "entries" => {
                    if head.entries_seen {
                        return Err(A::Error::duplicate_field("entries"));
                    }
                    head.entries_seen = true;
                    if checker.is_none()
                        && let (Some(format), Some(request)) = (head.format, &head.request)
                    {
                        checker = Some(
                            Checker::new(request, format, self.duplicates)
                                .map_err(|m| fail(self.problem, m))?,
                        );
                    }
                    let entries = EntriesSeed {
                        checker: checker.as_mut(),
                        each: &mut *self.each,
                        held: &mut held,
                        problem: &mut *self.problem,
                    };
                    map.next_value_seed(entries)?;
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    return Err(A::Error::unknown_field(
                        other,
                        &[
                            "format",
                            "createdAt",
                            "service",
                            "request",
                            "summary",
                            "entries",
                        ],
                    ));
                }
            }
        }
        let format = head
            .format
            .ok_or_else(|| A::Error::missing_field("format"))?;
        let created_at = head
            .created_at
            .ok_or_else(|| A::Error::missing_field("createdAt"))?;
        let service = head
            .service
            .ok_or_else(|| A::Error::missing_field("service"))?;
        let request = head
            .request
            .ok_or_else(|| A::Error::missing_field("request"))?;
        let summary = head
            .summary
            .ok_or_else(|| A::Error::missing_field("summary"))?;
        if !head.entries_seen {
            return Err(A::Error::missing_field("entries"));
        }
        let mut checker = match checker {
            Some(checker) => checker,
            None => Checker::new(&request, format, self.duplicates)
                .map_err(|m| fail(self.problem, m))?,
        };
        for entry in held {
            checker.check(&entry).map_err(|m| fail(self.problem, m))?;
            (self.each)(entry);
        }
        checker
            .finish(&summary, &request)
            .map_err(|m| fail(self.problem, m))?;
        Ok(Plan {
            format,
            created_at,
            service,
            request,
            summary,
            entries: Vec::new(),
        })
    }
}

/// The value of a field that must appear once.
fn once<'de, A: MapAccess<'de>, T: serde::Deserialize<'de>>(
    map: &mut A,
    seen: bool,
    name: &'static str,
) -> Result<T, A::Error> {
    if seen {
        return Err(A::Error::duplicate_field(name));
    }
    map.next_value()
}

/// The entries list: each entry checked and handed on as it is parsed, or held when the plan's
/// fields have not been read yet.
struct EntriesSeed<'a> {
    checker: Option<&'a mut Checker>,
    each: &'a mut dyn FnMut(PlanEntry),
    held: &'a mut Vec<PlanEntry>,
    problem: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a list of plan entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<PlanEntry>()? {
            match self.checker.as_deref_mut() {
                Some(checker) => {
                    if let Err(message) = checker.check(&entry) {
                        *self.problem = Some(message.clone());
                        return Err(A::Error::custom(message));
                    }
                    (self.each)(entry);
                }
                None => self.held.push(entry),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanEntry, Preferences, test_plan};

    fn plan() -> Plan {
        let entries: Vec<PlanEntry> = (0..4)
            .map(|index| PlanEntry {
                user: format!("user{index}@contoso.com"),
                source_line: index + 2,
                current: Preferences {
                    method: Some("sms".into()),
                    system_preferred: None,
                },
                target: Some(Preferences {
                    method: Some("oath".into()),
                    system_preferred: Some(true),
                }),
                registered: vec!["softwareOath".into()],
                action: Action::Change,
                reason: "method sms -> oath".into(),
                // Where the new default counts, as a plan that read the policy says it.
                default_reach: (index % 2 == 1)
                    .then_some(crate::system_preferred::DefaultReach::NpsAdfsOnly),
            })
            .collect();
        test_plan(entries, vec!["someone@contoso.com".into()])
    }

    #[test]
    fn a_plan_reads_the_same_with_its_fields_after_its_entries_and_its_hash_is_of_its_bytes() {
        let dir =
            std::env::temp_dir().join(format!("signin-prefs-plan-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = plan();
        // Without `preserve_order`, serde_json writes keys sorted: `entries` before `format` and
        // `request`, the fields the entries are checked against.
        let sorted = serde_json::to_string(&serde_json::to_value(&plan).unwrap()).unwrap();
        assert!(sorted.find("\"entries\"") < sorted.find("\"request\""));
        // An entry spread over lines midway: the entries before it are handed on once, not twice.
        let third = serde_json::to_string(&plan.entries[2]).unwrap();
        let spread = plan.to_json().replace(
            &third,
            &serde_json::to_string_pretty(&plan.entries[2]).unwrap(),
        );
        assert_ne!(spread, plan.to_json());
        for (name, text) in [
            ("layout.json", plan.to_json()),
            ("sorted.json", sorted),
            ("spread.json", spread),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, &text).unwrap();
            let (read, sha) = Plan::read(&path).unwrap();
            assert_eq!(read, plan, "{name}");
            assert_eq!(sha, sha256(text.as_bytes()), "{name}");
        }
        // A duplicate found while streaming names the entry, as the whole-plan check does.
        let mut twice = plan.clone();
        twice.entries[3].user = "USER0@contoso.com".into();
        let path = dir.join("twice.json");
        std::fs::write(&path, twice.to_json()).unwrap();
        let error = Plan::read(&path).unwrap_err().to_string();
        let problem = "entry 4 (USER0@contoso.com): the user appears twice";
        assert!(error.ends_with(problem), "{error}");
        assert_eq!(twice.check().unwrap_err().to_string(), problem);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
