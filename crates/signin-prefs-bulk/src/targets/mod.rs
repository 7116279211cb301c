//! Reading and checking the users a bulk change targets, from a CSV or JSON file an administrator made.
//!
//! This module is pure: it reads bytes and returns either every target or every problem, never a
//! mix. A file with any problem yields no targets at all, so a bulk run that starts from it sends
//! nothing; and all the problems are reported at once (each naming file, line, column and value), so
//! an administrator can fix the file in one pass instead of one error per run.
//!
//! CSV: a header row naming the user column (`user`, `userPrincipalName`, `upn`, `id` or `objectId`,
//! any case) and optionally `method` and `systemPreferred`; one user per row. JSON: an array of user
//! strings, an array of objects with the same field names, or `{"users": [...]}`. For JSON, the
//! "line" of a user is its 1-based position in the array, shown as "item N".
//!
//! Problems print one per line as `users.csv:12: method "Push": <what is wrong>`, or
//! `users.json: item 3: ...` for JSON items.
//!
//! The layout: this file holds the targets and the column vocabulary; `csv.rs` and `json.rs` read
//! the two formats; `problems.rs` collects and prints what is wrong. A user is checked by
//! [`signin_prefs_request::UserKey`] and a method by
//! [`UserDefaultAuthenticationMethodType::parse_target`], the rules the CLI's and Python's own
//! arguments go through too.

mod csv;
mod json;
mod list;
mod problems;
#[cfg(test)]
mod tests;

use std::path::Path;

use signin_prefs_model::UserDefaultAuthenticationMethodType;
use signin_prefs_model::text::edit_distance;
use signin_prefs_request::UserKey;

pub use list::TargetList;
pub use problems::{InputErrors, InputProblem, LineKind};
use problems::{Place, Problems};

/// One targeted user, with optional per-user overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The user's object id or user principal name, as written in the file, trimmed.
    pub user: String,
    /// Where the user was found: the 1-based line of the file for CSV (the line the row starts on),
    /// the 1-based position in the array ("item N") for JSON.
    pub line: usize,
    /// The default MFA method to set for this user, overriding the run's; `None` when not given.
    pub method: Option<UserDefaultAuthenticationMethodType>,
    /// Whether system-preferred MFA should be on for this user; `None` when not given.
    pub system_preferred: Option<bool>,
}

/// The layout of a targets file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of users, or an object `{"users": [...]}`.
    Json,
}

/// The user column's accepted names (matched case-insensitively); a file must use exactly one.
pub const USER_COLUMN_NAMES: &[&str] = &["user", "userPrincipalName", "upn", "id", "objectId"];

/// The optional column holding a per-user target method.
pub const METHOD_COLUMN: &str = "method";

/// The optional column holding a per-user system-preferred flag.
pub const SYSTEM_PREFERRED_COLUMN: &str = "systemPreferred";

/// The UTF-8 byte order mark Excel writes at the start of "CSV UTF-8" files.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads the targets file at `path`: CSV or JSON by its extension (`.csv`, `.json`, any case), else
/// JSON when its first non-space character is `[` or `{`, CSV otherwise.
pub fn read_targets(path: &Path) -> Result<TargetList, InputErrors> {
    let source_name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| InputErrors {
        problems: vec![InputProblem {
            source: source_name.clone(),
            line: 0,
            line_kind: LineKind::WholeFile,
            field: None,
            value: None,
            message: format!("cannot read the file: {error}"),
        }],
    })?;
    let format = format_for(path, &bytes);
    parse_targets(&source_name, &bytes, format)
}

/// Which format `read_targets` uses for the file at `path` holding `bytes`.
fn format_for(path: &Path, bytes: &[u8]) -> Format {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        _ => sniff_format(bytes),
    }
}

/// JSON when the first non-space character (after any byte order mark) opens an array or object.
fn sniff_format(bytes: &[u8]) -> Format {
    let first = strip_bom(bytes)
        .iter()
        .find(|byte| !byte.is_ascii_whitespace());
    match first {
        Some(b'[' | b'{') => Format::Json,
        _ => Format::Csv,
    }
}

/// Parses and checks a targets file's contents; `source_name` names it in every problem.
///
/// Returns every target in file order, or, when anything is wrong, every problem and no target.
pub fn parse_targets(
    source_name: &str,
    bytes: &[u8],
    format: Format,
) -> Result<TargetList, InputErrors> {
    let mut problems = Problems {
        source: source_name,
        found: Vec::new(),
    };
    if u32::try_from(bytes.len()).is_err() {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "the file is larger than 4 GiB; split it into several runs".to_owned(),
        );
        return Err(InputErrors {
            problems: problems.found,
        });
    }
    let users = match format {
        Format::Csv => csv::parse_csv(bytes, &mut problems),
        Format::Json => json::parse_json(bytes, &mut problems),
    };
    let targets = users.finish(&mut problems);
    if problems.found.is_empty() {
        Ok(targets)
    } else {
        let mut found = problems.found;
        // Stable, so problems on one line keep the order of the columns they were found in.
        found.sort_by_key(|problem| problem.line);
        Err(InputErrors { problems: found })
    }
}

/// The column (or JSON field) a header name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    User,
    Method,
    SystemPreferred,
}

fn column_named(name: &str) -> Option<Column> {
    if USER_COLUMN_NAMES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
    {
        Some(Column::User)
    } else if METHOD_COLUMN.eq_ignore_ascii_case(name) {
        Some(Column::Method)
    } else if SYSTEM_PREFERRED_COLUMN.eq_ignore_ascii_case(name) {
        Some(Column::SystemPreferred)
    } else {
        None
    }
}

fn known_columns_sentence() -> String {
    format!(
        "the user column is one of {}; the optional columns are {METHOD_COLUMN} and {SYSTEM_PREFERRED_COLUMN}",
        USER_COLUMN_NAMES.join(", ")
    )
}

/// The message for a column (or JSON field) this module does not know, with the likely intended
/// one when the name is a near miss or a name other tools use for the same thing.
fn unknown_column_message(name: &str, what: &str) -> String {
    let lowered = name.to_ascii_lowercase();
    let other_tools_name = match lowered.as_str() {
        "userpreferredmethodforsecondaryauthentication"
        | "defaultmethod"
        | "targetmethod"
        | "defaultmfamethod"
        | "preferredmethod" => Some(METHOD_COLUMN),
        "issystempreferredauthenticationmethodenabled"
        | "systempreferredenabled"
        | "systempreferredmfa"
        | "syspref" => Some(SYSTEM_PREFERRED_COLUMN),
        "useridentifier" | "username" => Some("user"),
        _ => None,
    };
    let all_known = USER_COLUMN_NAMES
        .iter()
        .chain([METHOD_COLUMN, SYSTEM_PREFERRED_COLUMN].iter());
    let near_miss = all_known
        .map(|known| (edit_distance(&lowered, &known.to_ascii_lowercase()), *known))
        .filter(|(distance, known)| *distance <= 2 && *distance < known.len())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known);
    let guess = other_tools_name.or(near_miss);
    let mut message = format!("unknown {what}");
    if let Some(guess) = guess {
        message.push_str(&format!("; did you mean \"{guess}\"?"));
    } else if matches!(lowered.as_str(), "mail" | "email" | "emailaddress") {
        message.push_str(
            "; if it holds user principal names, name it \"userPrincipalName\" (a mail address is not always the UPN)",
        );
    }
    message.push_str(&format!(" ({})", known_columns_sentence()));
    message
}

/// Checks a user cell; returns the user when valid, records the problem otherwise.
fn check_user_cell(
    value: &str,
    place: Place,
    field: &str,
    problems: &mut Problems<'_>,
) -> Option<String> {
    let user = value.trim();
    match UserKey::parse(user) {
        Ok(key) => Some(key.into()),
        Err(error) => {
            let message = match error.key_problem() {
                Some(problem) => problem.to_string(),
                None => error.to_string(),
            };
            problems.add(place, Some(field), Some(user), message);
            None
        }
    }
}

/// Checks a method cell; an empty cell means "not set". `None` when invalid (problem recorded).
fn check_method_cell(
    value: &str,
    place: Place,
    field: &str,
    problems: &mut Problems<'_>,
) -> Option<Option<UserDefaultAuthenticationMethodType>> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Some(None);
    }
    match UserDefaultAuthenticationMethodType::parse_target(trimmed) {
        Ok(method) => Some(Some(method)),
        Err(error) => {
            problems.add(place, Some(field), Some(trimmed), error.to_string());
            None
        }
    }
}

/// Checks a systemPreferred cell; an empty cell means "not set". `None` when invalid.
fn check_system_preferred_cell(
    value: &str,
    place: Place,
    field: &str,
    problems: &mut Problems<'_>,
) -> Option<Option<bool>> {
    let trimmed = value.trim();
    match parse_switch(trimmed) {
        Some(parsed) => Some(parsed),
        None => {
            problems.add(
                place,
                Some(field),
                Some(trimmed),
                "not a yes/no value; use on, off, true, false, yes, no, 1 or 0, or leave it empty to keep the current setting"
                    .to_owned(),
            );
            None
        }
    }
}

/// `Some(None)` for empty, `Some(Some(flag))` for a recognised spelling, `None` otherwise.
fn parse_switch(value: &str) -> Option<Option<bool>> {
    if value.is_empty() {
        return Some(None);
    }
    let lowered = value.to_ascii_lowercase();
    match lowered.as_str() {
        "on" | "true" | "yes" | "1" => Some(Some(true)),
        "off" | "false" | "no" | "0" => Some(Some(false)),
        _ => None,
    }
}

fn not_utf8_message(what: &str) -> String {
    format!("this {what} is not valid UTF-8; save the file as UTF-8 (in Excel: \"CSV UTF-8\")")
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}
