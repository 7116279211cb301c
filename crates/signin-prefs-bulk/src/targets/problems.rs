//! The problems found in a targets file: collected as reading goes (all of them, not just the
//! first), with duplicate users found across the file, and printed one per line in the
//! `path:line:` form editors and the journal use.

use std::fmt;
use std::hash::{Hash as _, Hasher as _};

use signin_prefs_model::UserDefaultAuthenticationMethodType;
use signin_prefs_model::text::show_value;

use super::list::TargetList;

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineKind {
    /// A 1-based line of the file, shown as "line N".
    #[default]
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
/// The users read so far, in file order, and what finding duplicates among them needs.
///
/// A file of a million users is checked whole before anything is sent, so each user costs what
/// the list and the check need and no more: its row in the [`TargetList`] (which holds its
/// spelling), the index of the field it was named in, and, until the check ends, a 64-bit hash of
/// its normalized key. Duplicates are found once the whole file is read, by sorting the hashes
/// (16 bytes a user, where a map filled as the reading went cost over 60) and comparing the keys
/// of users whose hashes are equal, so a collision is never taken for a duplicate.
pub(super) struct ReadUsers {
    list: TargetList,
    /// What a user's line counts (CSV lines or JSON array items).
    kind: LineKind,
    /// Each distinct name the user field was written as, once.
    field_names: Vec<String>,
    /// Per user: the index of its field's name in `field_names`.
    fields: Vec<u32>,
    /// Per user: the hash of its key and its index in `list`.
    hashes: Vec<(u64, u32)>,
    /// Whether a user could not be added (the list is full); the problem is recorded once.
    full: bool,
}

impl ReadUsers {
    /// No users yet; their lines count `kind`.
    pub(super) fn new(kind: LineKind) -> Self {
        Self {
            list: TargetList::new(),
            kind,
            field_names: Vec::new(),
            fields: Vec::new(),
            hashes: Vec::new(),
            full: false,
        }
    }

    /// Adds a user whose key passed its check, named in `field`, with its overrides.
    pub(super) fn add(
        &mut self,
        user: &str,
        place: Place,
        field: &str,
        method: Option<UserDefaultAuthenticationMethodType>,
        system_preferred: Option<bool>,
        problems: &mut Problems<'_>,
    ) {
        let index = u32::try_from(self.list.len());
        let pushed = self
            .list
            .push_parts(user, place.line, method, system_preferred);
        let (Ok(index), Ok(())) = (index, pushed) else {
            if !self.full {
                self.full = true;
                problems.add(
                    place,
                    Some(field),
                    Some(user),
                    "too many users for one run from here on; split the file".to_owned(),
                );
            }
            return;
        };
        let field = match self.field_names.iter().position(|known| known == field) {
            Some(at) => at,
            None => {
                self.field_names.push(field.to_owned());
                self.field_names.len() - 1
            }
        };
        self.fields.push(u32::try_from(field).unwrap_or(u32::MAX));
        // Entra compares object ids and user principal names case-insensitively.
        self.hashes.push((key_hash(user), index));
    }

    /// The users read, after adding a problem for each one listed before (naming both places).
    pub(super) fn finish(mut self, problems: &mut Problems<'_>) -> TargetList {
        // Sorted by hash, then by place in the file: within a run of equal hashes, a user's first
        // listing comes before its later ones.
        self.hashes.sort_unstable();
        for run in self.hashes.chunk_by(|a, b| a.0 == b.0) {
            if run.len() < 2 {
                continue;
            }
            let keys: Vec<(usize, String)> = run
                .iter()
                .filter_map(|(_, index)| {
                    let index = usize::try_from(*index).ok()?;
                    Some((index, self.list.user(index)?.to_lowercase()))
                })
                .collect();
            for (position, (again, key)) in keys.iter().enumerate() {
                let first = keys
                    .iter()
                    .take(position)
                    .find(|(_, earlier)| earlier == key);
                if let Some((first, _)) = first {
                    self.add_duplicate(*first, *again, problems);
                }
            }
        }
        self.list.set_line_kind(self.kind);
        self.list
    }

    fn add_duplicate(&self, first: usize, again: usize, problems: &mut Problems<'_>) {
        let place = |index| Place {
            line: self.list.line(index).unwrap_or_default(),
            kind: self.kind,
        };
        let first_spelling = self.list.user(first).unwrap_or_default();
        let spelling = self.list.user(again).unwrap_or_default();
        let field = self
            .fields
            .get(again)
            .and_then(|at| self.field_names.get(usize::try_from(*at).ok()?))
            .map_or("user", String::as_str);
        let same_spelling = if first_spelling == spelling {
            String::new()
        } else {
            format!(" (as \"{}\")", show_value(first_spelling))
        };
        problems.add(
            place(again),
            Some(field),
            Some(spelling),
            format!(
                "duplicate user: also on {}{same_spelling}; list each user once",
                place(first).describe()
            ),
        );
    }
}

/// A 64-bit hash of a user key in any letter case: what the duplicate check sorts by.
fn key_hash(user: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    user.to_lowercase().hash(&mut hasher);
    hasher.finish()
}
