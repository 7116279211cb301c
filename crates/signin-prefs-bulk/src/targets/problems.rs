//! The problems found in a targets file: collected as reading goes (all of them, not just the
//! first), with duplicate users found across the file, and printed one per line in the
//! `path:line:` form editors and the journal use.

use std::collections::HashMap;
use std::fmt;

use signin_prefs_model::text::show_value;

use crate::key_digest::KeyDigest;

/// Every problem found in a file (all of them, not just the first), sorted by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors {
    /// The problems, sorted by line; problems about the whole file (line 0) come first.
    pub problems: Vec<InputProblem>,
}

/// One problem in a targets file, naming where it is and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The file (or other source) the problem is in.
    pub source: String,
    /// Where in the file: see `line_kind` for what this counts; 0 for the file as a whole.
    pub line: usize,
    /// What `line` counts.
    pub line_kind: LineKind,
    /// The column (CSV) or field (JSON) at fault, as written in the file.
    pub field: Option<String>,
    /// The offending value, as written in the file.
    pub value: Option<String>,
    /// What is wrong, and where it helps, how to fix it.
    pub message: String,
}

/// What [`InputProblem::line`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A 1-based line of the file, shown as "line N".
    FileLine,
    /// A 1-based position in a JSON array of users, shown as "item N".
    ArrayItem,
    /// The file as a whole (`line` is 0), shown with no position.
    WholeFile,
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

impl fmt::Display for InputProblem {
    /// `file:line: field "value": message`, the `path:line:` form editors and the journal use;
    /// `file: item N: ...` for JSON items, `file: ...` for the file as a whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        match self.line_kind {
            LineKind::FileLine => write!(f, ":{}: ", self.line)?,
            LineKind::ArrayItem => write!(f, ": item {}: ", self.line)?,
            LineKind::WholeFile => f.write_str(": ")?,
        }
        if let Some(field) = &self.field {
            f.write_str(&show_value(field))?;
            if self.value.is_some() {
                f.write_str(" ")?;
            }
        }
        if let Some(value) = &self.value {
            write!(f, "\"{}\"", show_value(value))?;
        }
        if self.field.is_some() || self.value.is_some() {
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputProblem {}

/// The problems found so far in one source.
pub(super) struct Problems<'a> {
    pub(super) source: &'a str,
    pub(super) found: Vec<InputProblem>,
}

/// Where a problem or a user is: a line number and what it counts.
#[derive(Clone, Copy)]
pub(super) struct Place {
    pub(super) line: usize,
    pub(super) kind: LineKind,
}

impl Place {
    pub(super) const WHOLE_FILE: Self = Self {
        line: 0,
        kind: LineKind::WholeFile,
    };

    pub(super) fn file_line(line: usize) -> Self {
        Self {
            line,
            kind: LineKind::FileLine,
        }
    }

    pub(super) fn array_item(item: usize) -> Self {
        Self {
            line: item,
            kind: LineKind::ArrayItem,
        }
    }

    pub(super) fn describe(self) -> String {
        match self.kind {
            LineKind::FileLine => format!("line {}", self.line),
            LineKind::ArrayItem => format!("item {}", self.line),
            LineKind::WholeFile => "the file".to_owned(),
        }
    }
}

impl Problems<'_> {
    pub(super) fn add(
        &mut self,
        place: Place,
        field: Option<&str>,
        value: Option<&str>,
        message: String,
    ) {
        self.found.push(InputProblem {
            source: self.source.to_owned(),
            line: place.line,
            line_kind: place.kind,
            field: field.map(str::to_owned),
            value: value.map(str::to_owned),
            message,
        });
    }
}
/// Duplicate detection: the first place each user was seen, and how it was spelled there.
///
/// A file of a million users is checked whole before anything is sent, so each user costs what
/// the check needs and no more: a digest of its normalized key, its place, and its spelling in one
/// shared string (about 70 bytes, where a map of strings to places and strings took 230).
#[derive(Default)]
pub(super) struct SeenUsers {
    first_seen: HashMap<KeyDigest, FirstSeen>,
    spellings: String,
}

/// Where a user was first seen: its place, and where its spelling is in [`SeenUsers::spellings`].
struct FirstSeen {
    line: u32,
    kind: LineKind,
    spelling_start: u32,
    spelling_end: u32,
}

impl SeenUsers {
    /// Records `user` at `place`, adding a problem naming both places when it was seen before.
    pub(super) fn record(
        &mut self,
        user: &str,
        place: Place,
        field: &str,
        problems: &mut Problems<'_>,
    ) {
        // Entra compares object ids and user principal names case-insensitively.
        let key = KeyDigest::of(user);
        if let Some(first) = self.first_seen.get(&key) {
            let first_spelling = usize::try_from(first.spelling_start)
                .ok()
                .zip(usize::try_from(first.spelling_end).ok())
                .and_then(|(start, end)| self.spellings.get(start..end))
                .unwrap_or_default();
            let first_place = Place {
                line: usize::try_from(first.line).unwrap_or(usize::MAX),
                kind: first.kind,
            };
            let same_spelling = if first_spelling == user {
                String::new()
            } else {
                format!(" (as \"{}\")", show_value(first_spelling))
            };
            problems.add(
                place,
                Some(field),
                Some(user),
                format!(
                    "duplicate user: also on {}{same_spelling}; list each user once",
                    first_place.describe()
                ),
            );
        } else {
            let spelling_start = u32::try_from(self.spellings.len()).unwrap_or(u32::MAX);
            self.spellings.push_str(user);
            let spelling_end = u32::try_from(self.spellings.len()).unwrap_or(u32::MAX);
            self.first_seen.insert(
                key,
                FirstSeen {
                    line: u32::try_from(place.line).unwrap_or(u32::MAX),
                    kind: place.kind,
                    spelling_start,
                    spelling_end,
                },
            );
        }
    }
}
