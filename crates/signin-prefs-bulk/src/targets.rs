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

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use signin_prefs_model::UserDefaultAuthenticationMethodType;

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

/// The longest user key accepted, in characters.
pub const MAX_USER_KEY_CHARS: usize = 1024;

/// The user column's accepted names (matched case-insensitively); a file must use exactly one.
pub const USER_COLUMN_NAMES: &[&str] = &["user", "userPrincipalName", "upn", "id", "objectId"];

/// The optional column holding a per-user target method.
pub const METHOD_COLUMN: &str = "method";

/// The optional column holding a per-user system-preferred flag.
pub const SYSTEM_PREFERRED_COLUMN: &str = "systemPreferred";

/// Values shown in error messages past this many characters are cut, so one huge garbage cell
/// cannot bury the rest of the report.
const MAX_SHOWN_VALUE_CHARS: usize = 120;

/// The UTF-8 byte order mark Excel writes at the start of "CSV UTF-8" files.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads the targets file at `path`: CSV or JSON by its extension (`.csv`, `.json`, any case), else
/// JSON when its first non-space character is `[` or `{`, CSV otherwise.
pub fn read_targets(path: &Path) -> Result<Vec<Target>, InputErrors> {
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
) -> Result<Vec<Target>, InputErrors> {
    let mut problems = Problems {
        source: source_name,
        found: Vec::new(),
    };
    let targets = match format {
        Format::Csv => parse_csv(bytes, &mut problems),
        Format::Json => parse_json(bytes, &mut problems),
    };
    if problems.found.is_empty() {
        Ok(targets)
    } else {
        let mut found = problems.found;
        // Stable, so problems on one line keep the order of the columns they were found in.
        found.sort_by_key(|problem| problem.line);
        Err(InputErrors { problems: found })
    }
}

/// Parses one target method, strictly: exactly a member's wire spelling (surrounding whitespace
/// aside). The error lists the valid methods and, for common mistakes, suggests the right one.
pub fn parse_method(value: &str) -> Result<UserDefaultAuthenticationMethodType, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(format!("no method given; {}", valid_methods_sentence()));
    }
    let shown = show_value(trimmed);
    if trimmed == UserDefaultAuthenticationMethodType::UnknownFutureValue.as_str() {
        return Err(unknown_future_value_message(&shown));
    }
    if let Some(method) = trimmed
        .parse::<UserDefaultAuthenticationMethodType>()
        .ok()
        .filter(is_target_method)
    {
        return Ok(method);
    }
    if trimmed.contains(',') {
        return Err(format!(
            "\"{shown}\" is a list; give exactly one method here. {}",
            valid_methods_sentence()
        ));
    }
    let normalized = normalize_method_spelling(trimmed);
    let case_insensitive_member = UserDefaultAuthenticationMethodType::MEMBERS
        .iter()
        .find(|member| member.to_ascii_lowercase() == normalized);
    if let Some(member) = case_insensitive_member {
        if *member == UserDefaultAuthenticationMethodType::UnknownFutureValue.as_str() {
            return Err(unknown_future_value_message(&shown));
        }
        return Err(format!(
            "\"{shown}\" is not a method (method names are case-sensitive); did you mean \"{member}\"? {}",
            valid_methods_sentence()
        ));
    }
    let hint = match normalized.as_str() {
        "phone" | "mobile" | "mobilephone" | "cell" | "cellphone" => {
            "did you mean \"sms\" (a text message) or \"voiceMobile\" (a call to the mobile phone)?"
        }
        "text" | "textmessage" | "smsotp" | "smssignin" => "did you mean \"sms\" (a text message)?",
        "voice" | "call" | "phonecall" | "voicecall" | "mobilecall" => {
            "did you mean \"voiceMobile\" (a call to the mobile phone)? \"voiceAlternateMobile\" and \"voiceOffice\" call the other phones"
        }
        "alternatemobile" | "alternatephone" | "alternatemobilephone" => {
            "did you mean \"voiceAlternateMobile\" (a call to the alternate mobile phone)?"
        }
        "office" | "officephone" | "work" | "workphone" => {
            "did you mean \"voiceOffice\" (a call to the office phone)?"
        }
        "authenticator"
        | "app"
        | "microsoftauthenticator"
        | "microsoftauthenticatorpush"
        | "authenticatorapp"
        | "notification"
        | "pushnotification" => "did you mean \"push\" (Microsoft Authenticator notification)?",
        "totp"
        | "otp"
        | "softwareoath"
        | "hardwareoath"
        | "code"
        | "verificationcode"
        | "softwareonetimepasscode"
        | "hardwareonetimepasscode"
        | "onetimepasscode" => {
            "did you mean \"oath\" (a one-time code from an authenticator app or token)?"
        }
        "fido2"
        | "passkey"
        | "email"
        | "password"
        | "temporaryaccesspass"
        | "tap"
        | "windowshelloforbusiness"
        | "x509certificate" => "that method cannot be a default MFA method",
        _ => "",
    };
    if hint.is_empty() {
        Err(format!(
            "\"{shown}\" is not a method; {}",
            valid_methods_sentence()
        ))
    } else {
        let end = if hint.ends_with('?') { "" } else { "." };
        Err(format!(
            "\"{shown}\" is not a method; {hint}{end} {}",
            valid_methods_sentence()
        ))
    }
}

/// Parses an ordered fallback list of methods such as `"push,oath"`: comma-separated, each one as
/// [`parse_method`] reads it, none repeated, none empty, at least one.
pub fn parse_method_list(value: &str) -> Result<Vec<UserDefaultAuthenticationMethodType>, String> {
    if value.trim().is_empty() {
        return Err(format!("no methods given; {}", valid_methods_sentence()));
    }
    let mut methods: Vec<UserDefaultAuthenticationMethodType> = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in value.split(',').enumerate() {
        let position = index + 1;
        let item = item.trim();
        if item.is_empty() {
            errors.push(format!(
                "method {position} of the list is empty (a stray comma?)"
            ));
            continue;
        }
        match parse_method(item) {
            Ok(method) if methods.contains(&method) => errors.push(format!(
                "\"{method}\" is listed more than once (method {position})"
            )),
            Ok(method) => methods.push(method),
            Err(message) => errors.push(format!("method {position}: {message}")),
        }
    }
    if errors.is_empty() {
        Ok(methods)
    } else {
        Err(errors.join("; "))
    }
}

/// Checks that `key` can name a user: an object id (a GUID, any case) or a user principal name.
///
/// A user principal name has exactly one `@`, a non-empty part before it and a domain after it with
/// a dot and no empty labels. Neither form may hold whitespace, control characters or the
/// characters RFC 5322 reserves (`" , ; : < > ( ) [ ] \`), which no Entra UPN contains and which
/// usually mean a CSV was split or quoted wrongly. Guest UPNs (`name_domain#EXT#@tenant`),
/// apostrophes and non-ASCII letters are valid. At most [`MAX_USER_KEY_CHARS`] characters.
pub fn check_user_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the user is empty".to_owned());
    }
    let length = key.chars().count();
    if length > MAX_USER_KEY_CHARS {
        return Err(format!(
            "the user is {length} characters long; at most {MAX_USER_KEY_CHARS} are allowed"
        ));
    }
    if let Some(bad) = key.chars().find(|c| c.is_whitespace()) {
        return Err(format!(
            "a user cannot contain whitespace (found {})",
            describe_char(bad)
        ));
    }
    if let Some(bad) = key.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a user cannot contain control characters (found {})",
            describe_char(bad)
        ));
    }
    if let Some(bad) = key.chars().find(|c| is_invisible(*c)) {
        return Err(format!(
            "a user cannot contain invisible characters (found {}); retype the value instead of pasting it",
            describe_char(bad)
        ));
    }
    if let Some(bad) = key.chars().find(|c| RESERVED_CHARS.contains(c)) {
        let hint = if bad == '"' {
            " (if the file quotes values, the quote must come right after the comma, with no space before it)"
        } else {
            ""
        };
        return Err(format!(
            "a user cannot contain {}{hint}",
            describe_char(bad)
        ));
    }
    if is_guid(key) {
        return Ok(());
    }
    let at_signs = key.matches('@').count();
    if at_signs == 0 {
        return Err(
            "this is neither an object id (a GUID like 00000000-0000-0000-0000-000000000000) nor a user principal name (name@domain)"
                .to_owned(),
        );
    }
    if at_signs > 1 {
        return Err(format!(
            "a user principal name has exactly one '@' (found {at_signs})"
        ));
    }
    let (local, domain) = key.split_once('@').unwrap_or((key, ""));
    if local.is_empty() {
        return Err("the user principal name has nothing before the '@'".to_owned());
    }
    if domain.is_empty() {
        return Err("the user principal name has no domain after the '@'".to_owned());
    }
    if !domain.contains('.') {
        return Err(format!(
            "the domain \"{}\" has no dot (expected something like contoso.com)",
            show_value(domain)
        ));
    }
    if domain.split('.').any(str::is_empty) {
        return Err(format!(
            "the domain \"{}\" has an empty label (a leading, trailing or doubled dot)",
            show_value(domain)
        ));
    }
    Ok(())
}

/// Zero-width and direction marks, soft hyphens and stray byte order marks: invisible when pasted
/// from a web page or chat, neither whitespace nor control characters to Rust, never in a UPN.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// RFC 5322's "specials" other than `.` and `@`: never part of an Entra user principal name.
const RESERVED_CHARS: &[char] = &['"', ',', ';', ':', '<', '>', '(', ')', '[', ']', '\\'];

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
struct Problems<'a> {
    source: &'a str,
    found: Vec<InputProblem>,
}

/// Where a problem or a user is: a line number and what it counts.
#[derive(Clone, Copy)]
struct Place {
    line: usize,
    kind: LineKind,
}

impl Place {
    const WHOLE_FILE: Self = Self {
        line: 0,
        kind: LineKind::WholeFile,
    };

    fn file_line(line: usize) -> Self {
        Self {
            line,
            kind: LineKind::FileLine,
        }
    }

    fn array_item(item: usize) -> Self {
        Self {
            line: item,
            kind: LineKind::ArrayItem,
        }
    }

    fn describe(self) -> String {
        match self.kind {
            LineKind::FileLine => format!("line {}", self.line),
            LineKind::ArrayItem => format!("item {}", self.line),
            LineKind::WholeFile => "the file".to_owned(),
        }
    }
}

impl Problems<'_> {
    fn add(&mut self, place: Place, field: Option<&str>, value: Option<&str>, message: String) {
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

/// Optimal string alignment distance (Levenshtein plus adjacent swaps, as in `methdo`).
fn edit_distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    // Three rolling rows: two back (for swaps), one back, and the one being filled.
    let mut before_previous: Vec<usize> = vec![0; right.len() + 1];
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current: Vec<usize> = vec![0; right.len() + 1];
    for (i, left_char) in left.iter().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, right_char) in right.iter().enumerate() {
            let substitution = usize::from(left_char != right_char);
            let deleted = previous.get(j + 1).copied().unwrap_or(usize::MAX) + 1;
            let inserted = current.get(j).copied().unwrap_or(usize::MAX) + 1;
            let substituted = previous.get(j).copied().unwrap_or(usize::MAX) + substitution;
            let mut best = deleted.min(inserted).min(substituted);
            let swapped = i > 0
                && j > 0
                && left.get(i - 1) == Some(right_char)
                && right.get(j - 1) == Some(left_char);
            if swapped {
                let swap_cost = before_previous.get(j - 1).copied().unwrap_or(usize::MAX) + 1;
                best = best.min(swap_cost);
            }
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = best;
            }
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

/// Duplicate detection: the first place each user was seen, by normalized key.
#[derive(Default)]
struct SeenUsers {
    first_seen: HashMap<String, (Place, String)>,
}

impl SeenUsers {
    /// Records `user` at `place`, adding a problem naming both places when it was seen before.
    fn record(&mut self, user: &str, place: Place, field: &str, problems: &mut Problems<'_>) {
        // Entra compares object ids and user principal names case-insensitively.
        let key = user.to_lowercase();
        if let Some((first_place, first_spelling)) = self.first_seen.get(&key) {
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
            self.first_seen.insert(key, (place, user.to_owned()));
        }
    }
}

/// Checks a user cell; returns the user when valid, records the problem otherwise.
fn check_user_cell(
    value: &str,
    place: Place,
    field: &str,
    problems: &mut Problems<'_>,
    seen: &mut SeenUsers,
) -> Option<String> {
    let user = value.trim();
    match check_user_key(user) {
        Ok(()) => {
            seen.record(user, place, field, problems);
            Some(user.to_owned())
        }
        Err(message) => {
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
    match parse_method(trimmed) {
        Ok(method) => Some(Some(method)),
        Err(message) => {
            problems.add(place, Some(field), Some(trimmed), message);
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

/// The header of a CSV file: for each column, what it holds and its name as written.
struct CsvHeader {
    columns: Vec<(Column, String)>,
}

fn parse_csv(bytes: &[u8], problems: &mut Problems<'_>) -> Vec<Target> {
    let content = strip_bom(bytes);
    // The csv crate takes the first record's field count as the rule for all, so a blank-looking
    // line above the header (spaces, or the `,,` Excel writes for an empty row) must not reach it.
    let header_offset = offset_after_leading_blank_lines(content);
    let mut reader = csv::ReaderBuilder::new()
        // The header is read by hand so that blank lines before it are skipped like any others.
        .has_headers(false)
        .flexible(false)
        .from_reader(content.get(header_offset..).unwrap_or(&[]));
    let line_starts = LineStarts::new(content, header_offset);
    let mut record = csv::ByteRecord::new();
    let mut header: Option<CsvHeader> = None;
    let mut seen = SeenUsers::default();
    let mut targets = Vec::new();
    let mut saw_rows = false;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let place = error
                    .position()
                    .map_or(Place::WHOLE_FILE, |position| line_starts.place_of(position));
                if let csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } = error.kind()
                {
                    // A line of spaces is one empty field to the csv crate, so it fails the
                    // field count; it is as blank as an empty line and is skipped like one.
                    if line_starts.is_whitespace_only(place.line) {
                        continue;
                    }
                    problems.add(
                        place,
                        None,
                        None,
                        format!(
                            "this row has {len} field(s) but the header has {expected_len}; quote values that contain commas"
                        ),
                    );
                    continue;
                }
                // Reading from memory fails only as above; anything else is not worth retrying.
                problems.add(place, None, None, format!("cannot read the CSV: {error}"));
                break;
            }
        }
        let place = record
            .position()
            .map_or(Place::WHOLE_FILE, |position| line_starts.place_of(position));
        let is_blank = record
            .iter()
            .all(|field| String::from_utf8_lossy(field).trim().is_empty());
        if is_blank {
            continue;
        }
        match &header {
            None => match parse_csv_header(&record, place, problems) {
                Some(parsed) => header = Some(parsed),
                // Rows cannot be read without knowing which column is which.
                None => return Vec::new(),
            },
            Some(header) => {
                saw_rows = true;
                if let Some(target) = parse_csv_row(&record, header, place, problems, &mut seen) {
                    targets.push(target);
                }
            }
        }
    }
    if header.is_none() {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "no users: the file is empty (expected a header row, then one user per row)".to_owned(),
        );
    } else if !saw_rows {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "no users: the file has a header row but no user rows".to_owned(),
        );
    }
    targets
}

fn parse_csv_header(
    record: &csv::ByteRecord,
    place: Place,
    problems: &mut Problems<'_>,
) -> Option<CsvHeader> {
    let problems_before = problems.found.len();
    let mut columns = Vec::new();
    for (index, raw) in record.iter().enumerate() {
        let name = match std::str::from_utf8(raw) {
            Ok(name) => name.trim(),
            Err(_) => {
                problems.add(
                    place,
                    None,
                    Some(&String::from_utf8_lossy(raw)),
                    not_utf8_message("column name"),
                );
                continue;
            }
        };
        if name.is_empty() {
            problems.add(
                place,
                None,
                None,
                format!(
                    "column {} of the header has no name (a stray comma?); {}",
                    index + 1,
                    known_columns_sentence()
                ),
            );
            continue;
        }
        match column_named(name) {
            Some(column) => columns.push((column, name.to_owned())),
            None => problems.add(
                place,
                Some(name),
                None,
                unknown_column_message(name, "column"),
            ),
        }
    }
    for (position, (column, name)) in columns.iter().enumerate() {
        let repeated = columns
            .iter()
            .take(position)
            .any(|(earlier, earlier_name)| {
                *column != Column::User && earlier == column
                    || earlier_name.eq_ignore_ascii_case(name)
            });
        if repeated {
            problems.add(
                place,
                Some(name),
                None,
                "this column appears more than once in the header".to_owned(),
            );
        }
    }
    let user_columns: Vec<&str> = columns
        .iter()
        .filter(|(column, _)| *column == Column::User)
        .map(|(_, name)| name.as_str())
        .collect();
    if user_columns.is_empty() {
        let mut message = format!("no user column in the header; {}", known_columns_sentence());
        let first_cell = record
            .get(0)
            .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
            .unwrap_or_default();
        if check_user_key(&first_cell).is_ok() {
            message.push_str(&format!(
                "; the first line starts with the user \"{}\": add a header line such as \"user\" above it",
                show_value(&first_cell)
            ));
        }
        problems.add(place, None, None, message);
    } else if user_columns.len() > 1 {
        problems.add(
            place,
            None,
            None,
            format!(
                "more than one user column ({}); keep exactly one",
                user_columns.join(", ")
            ),
        );
    }
    if problems.found.len() == problems_before {
        Some(CsvHeader { columns })
    } else {
        None
    }
}

fn parse_csv_row(
    record: &csv::ByteRecord,
    header: &CsvHeader,
    place: Place,
    problems: &mut Problems<'_>,
    seen: &mut SeenUsers,
) -> Option<Target> {
    let mut user = None;
    let mut method = None;
    let mut system_preferred = None;
    let mut row_is_valid = true;
    for ((column, name), raw) in header.columns.iter().zip(record.iter()) {
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.add(
                place,
                Some(name),
                Some(String::from_utf8_lossy(raw).trim()),
                not_utf8_message("value"),
            );
            row_is_valid = false;
            continue;
        };
        match column {
            Column::User => user = check_user_cell(text, place, name, problems, seen),
            Column::Method => match check_method_cell(text, place, name, problems) {
                Some(parsed) => method = parsed,
                None => row_is_valid = false,
            },
            Column::SystemPreferred => {
                match check_system_preferred_cell(text, place, name, problems) {
                    Some(parsed) => system_preferred = parsed,
                    None => row_is_valid = false,
                }
            }
        }
    }
    match user {
        Some(user) if row_is_valid => Some(Target {
            user,
            line: place.line,
            method,
            system_preferred,
        }),
        _ => None,
    }
}

fn not_utf8_message(what: &str) -> String {
    format!("this {what} is not valid UTF-8; save the file as UTF-8 (in Excel: \"CSV UTF-8\")")
}

fn parse_json(bytes: &[u8], problems: &mut Problems<'_>) -> Vec<Target> {
    let text = match std::str::from_utf8(strip_bom(bytes)) {
        Ok(text) => text,
        Err(error) => {
            let valid = strip_bom(bytes).get(..error.valid_up_to()).unwrap_or(&[]);
            let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
            problems.add(Place::file_line(line), None, None, not_utf8_message("text"));
            return Vec::new();
        }
    };
    if text.trim().is_empty() {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "no users: the file is empty (expected a JSON array of users)".to_owned(),
        );
        return Vec::new();
    }
    let document: serde_json::Value = match serde_json::from_str(text) {
        Ok(document) => document,
        Err(error) => {
            problems.add(
                Place::file_line(error.line()),
                None,
                None,
                format!("not valid JSON: {error}"),
            );
            return Vec::new();
        }
    };
    let Some(items) = json_user_items(document, problems) else {
        return Vec::new();
    };
    if items.is_empty() {
        problems.add(
            Place::WHOLE_FILE,
            None,
            None,
            "no users: the list of users is empty".to_owned(),
        );
        return Vec::new();
    }
    let mut seen = SeenUsers::default();
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            parse_json_item(item, Place::array_item(index + 1), problems, &mut seen)
        })
        .collect()
}

/// The array of users: the document itself, or its `users` field.
fn json_user_items(
    document: serde_json::Value,
    problems: &mut Problems<'_>,
) -> Option<Vec<serde_json::Value>> {
    const SHAPE: &str =
        "expected an array of users (strings or objects) or an object {\"users\": [...]}";
    match document {
        serde_json::Value::Array(items) => Some(items),
        serde_json::Value::Object(fields) => {
            let mut users = None;
            let mut valid = true;
            for (name, value) in fields {
                if !name.eq_ignore_ascii_case("users") {
                    problems.add(
                        Place::WHOLE_FILE,
                        Some(&name),
                        None,
                        format!("unknown field at the top level; {SHAPE}"),
                    );
                    valid = false;
                    continue;
                }
                match value {
                    serde_json::Value::Array(items) => users = Some(items),
                    other => {
                        problems.add(
                            Place::WHOLE_FILE,
                            Some(&name),
                            Some(&other.to_string()),
                            format!("not an array; {SHAPE}"),
                        );
                        valid = false;
                    }
                }
            }
            if valid && users.is_none() {
                problems.add(
                    Place::WHOLE_FILE,
                    None,
                    None,
                    format!("no \"users\" field; {SHAPE}"),
                );
            }
            users.filter(|_| valid)
        }
        other => {
            problems.add(
                Place::WHOLE_FILE,
                None,
                Some(&other.to_string()),
                SHAPE.to_owned(),
            );
            None
        }
    }
}

fn parse_json_item(
    item: &serde_json::Value,
    place: Place,
    problems: &mut Problems<'_>,
    seen: &mut SeenUsers,
) -> Option<Target> {
    let fields = match item {
        serde_json::Value::String(user) => {
            let user = check_user_cell(user, place, "user", problems, seen)?;
            return Some(Target {
                user,
                line: place.line,
                method: None,
                system_preferred: None,
            });
        }
        serde_json::Value::Object(fields) => fields,
        other => {
            problems.add(
                place,
                None,
                Some(&other.to_string()),
                "a user must be a string (an object id or user principal name) or an object such as {\"user\": \"...\", \"method\": \"push\"}"
                    .to_owned(),
            );
            return None;
        }
    };
    let mut user_fields: Vec<(&str, &serde_json::Value)> = Vec::new();
    let mut method = None;
    let mut system_preferred = None;
    let mut item_is_valid = true;
    for (name, value) in fields {
        match column_named(name) {
            Some(Column::User) => user_fields.push((name, value)),
            Some(Column::Method) => match json_text_or_null(value) {
                Some(text) => match check_method_cell(text, place, name, problems) {
                    Some(parsed) => method = parsed,
                    None => item_is_valid = false,
                },
                None => {
                    problems.add(
                        place,
                        Some(name),
                        Some(&value.to_string()),
                        format!("a method must be a string; {}", valid_methods_sentence()),
                    );
                    item_is_valid = false;
                }
            },
            Some(Column::SystemPreferred) => {
                let parsed = match value {
                    serde_json::Value::Bool(flag) => Some(Some(*flag)),
                    // Strings too, for lists converted from CSV (PowerShell's ConvertTo-Json).
                    other => match json_text_or_null(other) {
                        Some(text) => check_system_preferred_cell(text, place, name, problems),
                        None => {
                            problems.add(
                                place,
                                Some(name),
                                Some(&other.to_string()),
                                "must be true or false".to_owned(),
                            );
                            None
                        }
                    },
                };
                match parsed {
                    Some(parsed) => system_preferred = parsed,
                    None => item_is_valid = false,
                }
            }
            None => {
                problems.add(
                    place,
                    Some(name),
                    None,
                    unknown_column_message(name, "field"),
                );
                item_is_valid = false;
            }
        }
    }
    let user = match user_fields.as_slice() {
        [] => {
            problems.add(
                place,
                None,
                None,
                format!(
                    "no user field; name the user with one of {}",
                    USER_COLUMN_NAMES.join(", ")
                ),
            );
            None
        }
        [(name, serde_json::Value::String(user))] => {
            check_user_cell(user, place, name, problems, seen)
        }
        [(name, other)] => {
            problems.add(
                place,
                Some(name),
                Some(&other.to_string()),
                "a user must be a string (an object id or user principal name)".to_owned(),
            );
            None
        }
        several => {
            let names: Vec<&str> = several.iter().map(|(name, _)| *name).collect();
            problems.add(
                place,
                None,
                None,
                format!(
                    "more than one user field ({}); keep exactly one",
                    names.join(", ")
                ),
            );
            None
        }
    };
    match user {
        Some(user) if item_is_valid => Some(Target {
            user,
            line: place.line,
            method,
            system_preferred,
        }),
        _ => None,
    }
}

/// A JSON string's text, with `null` read as empty ("not set"); `None` for other JSON types.
fn json_text_or_null(value: &serde_json::Value) -> Option<&str> {
    match value {
        serde_json::Value::String(text) => Some(text),
        serde_json::Value::Null => Some(""),
        _ => None,
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// The offset of the first line holding anything but whitespace and commas.
fn offset_after_leading_blank_lines(bytes: &[u8]) -> usize {
    bytes
        .split_inclusive(|byte| *byte == b'\n')
        .take_while(|line| {
            line.iter()
                .all(|byte| byte.is_ascii_whitespace() || *byte == b',')
        })
        .map(<[u8]>::len)
        .sum()
}

/// Line numbers of CSV records. The csv crate's own positions point just past the previous
/// record, before the blank lines it skips (and a CRLF's `\n` counts as one of those), so its line
/// count is off after any blank line or CR; the record really starts at the next byte that ends no
/// line.
struct LineStarts<'a> {
    bytes: &'a [u8],
    /// Where in `bytes` the csv reader started, which its positions count from.
    reader_start: usize,
    newline_offsets: Vec<usize>,
}

impl<'a> LineStarts<'a> {
    fn new(bytes: &'a [u8], reader_start: usize) -> Self {
        let newline_offsets = bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .map(|(offset, _)| offset)
            .collect();
        Self {
            bytes,
            reader_start,
            newline_offsets,
        }
    }

    /// The 1-based line holding the first byte of the record the csv crate places at `position`.
    fn place_of(&self, position: &csv::Position) -> Place {
        let reported = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .saturating_add(self.reader_start);
        let skipped_line_ends = self
            .bytes
            .get(reported..)
            .unwrap_or(&[])
            .iter()
            .take_while(|byte| matches!(byte, b'\r' | b'\n'))
            .count();
        let offset = reported.saturating_add(skipped_line_ends);
        let newlines_before = self
            .newline_offsets
            .partition_point(|newline| *newline < offset);
        Place::file_line(newlines_before + 1)
    }

    /// Whether the 1-based `line` holds nothing but whitespace.
    fn is_whitespace_only(&self, line: usize) -> bool {
        let start = match line.checked_sub(2) {
            Some(previous_newline) => match self.newline_offsets.get(previous_newline) {
                Some(offset) => offset + 1,
                None => return false,
            },
            None => 0,
        };
        let end = line
            .checked_sub(1)
            .and_then(|own_newline| self.newline_offsets.get(own_newline))
            .copied()
            .unwrap_or(self.bytes.len());
        self.bytes
            .get(start..end)
            .is_some_and(|text| text.iter().all(u8::is_ascii_whitespace))
    }
}

fn is_target_method(method: &UserDefaultAuthenticationMethodType) -> bool {
    method.is_known() && *method != UserDefaultAuthenticationMethodType::UnknownFutureValue
}

/// The methods a user can be set to, in the spec's order.
fn target_method_names() -> impl Iterator<Item = &'static str> {
    UserDefaultAuthenticationMethodType::MEMBERS
        .iter()
        .copied()
        .filter(|member| {
            *member != UserDefaultAuthenticationMethodType::UnknownFutureValue.as_str()
        })
}

fn valid_methods_sentence() -> String {
    format!(
        "valid methods: {}",
        target_method_names().collect::<Vec<_>>().join(", ")
    )
}

fn unknown_future_value_message(shown: &str) -> String {
    format!(
        "\"{shown}\" is Graph's placeholder for methods added in the future, not a method a user can be set to; {}",
        valid_methods_sentence()
    )
}

/// Lower case without spaces, dashes, underscores or dots, so `Voice Mobile` and `voice_mobile`
/// find `voiceMobile`.
fn normalize_method_spelling(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_guid(key: &str) -> bool {
    const DASH_POSITIONS: [usize; 4] = [8, 13, 18, 23];
    key.len() == 36
        && key.chars().enumerate().all(|(index, c)| {
            if DASH_POSITIONS.contains(&index) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c == '\t' {
        "a tab".to_owned()
    } else if c.is_control() || c.is_whitespace() || is_invisible(c) {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

/// A value made safe to print in one line of a terminal: control characters, invisible characters
/// and quotes escaped, and cut when very long.
fn show_value(value: &str) -> String {
    let mut shown = String::new();
    for (index, c) in value.chars().enumerate() {
        if index == MAX_SHOWN_VALUE_CHARS {
            shown.push('…');
            break;
        }
        match c {
            '"' => shown.push_str("\\\""),
            '\\' => shown.push_str("\\\\"),
            c if c.is_control() => shown.extend(c.escape_default()),
            c if is_invisible(c) => shown.extend(c.escape_unicode()),
            c => shown.push(c),
        }
    }
    shown
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use UserDefaultAuthenticationMethodType as Method;
    use proptest::prelude::*;

    const GUID_UPPER: &str = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";

    fn csv(text: &str) -> Result<Vec<Target>, InputErrors> {
        parse_targets("users.csv", text.as_bytes(), Format::Csv)
    }

    fn json(text: &str) -> Result<Vec<Target>, InputErrors> {
        parse_targets("users.json", text.as_bytes(), Format::Json)
    }

    fn csv_error(text: &str) -> String {
        csv(text)
            .expect_err("the file should be refused")
            .to_string()
    }

    fn json_error(text: &str) -> String {
        json(text)
            .expect_err("the file should be refused")
            .to_string()
    }

    fn user_names(targets: &[Target]) -> Vec<&str> {
        targets.iter().map(|target| target.user.as_str()).collect()
    }

    fn lines(targets: &[Target]) -> Vec<usize> {
        targets.iter().map(|target| target.line).collect()
    }

    fn assert_mentions(text: &str, fragments: &[&str]) {
        for fragment in fragments {
            assert!(text.contains(fragment), "expected {fragment:?} in:\n{text}");
        }
    }

    // ---- CSV: good files ----

    #[test]
    fn csv_reads_users_in_order_with_their_lines() {
        let targets = csv("user\nadele@contoso.com\nbob@contoso.com\n").unwrap();
        assert_eq!(
            user_names(&targets),
            ["adele@contoso.com", "bob@contoso.com"]
        );
        assert_eq!(lines(&targets), [2, 3]);
        assert!(targets.iter().all(|target| target.method.is_none()));
        assert!(
            targets
                .iter()
                .all(|target| target.system_preferred.is_none())
        );
    }

    #[test]
    fn csv_accepts_every_user_column_name_in_any_case() {
        for name in [
            "user",
            "USER",
            "userPrincipalName",
            "UserPrincipalName",
            "upn",
            "Id",
            "objectid",
            "ObjectId",
        ] {
            let targets = csv(&format!("{name}\na@contoso.com\n")).unwrap();
            assert_eq!(user_names(&targets), ["a@contoso.com"], "column {name}");
        }
    }

    #[test]
    fn csv_accepts_a_utf8_bom() {
        let targets = parse_targets(
            "users.csv",
            b"\xEF\xBB\xBFuserPrincipalName\r\na@contoso.com\r\n",
            Format::Csv,
        )
        .unwrap();
        assert_eq!(user_names(&targets), ["a@contoso.com"]);
    }

    #[test]
    fn csv_accepts_crlf_and_lf_line_endings() {
        let crlf = csv("user,method\r\na@contoso.com,push\r\nb@contoso.com,sms\r\n").unwrap();
        let lf = csv("user,method\na@contoso.com,push\nb@contoso.com,sms").unwrap();
        assert_eq!(crlf, lf);
        assert_eq!(crlf[1].method, Some(Method::Sms));
        assert_eq!(lines(&crlf), [2, 3]);
    }

    #[test]
    fn csv_skips_blank_lines_and_keeps_true_line_numbers() {
        let targets =
            csv("\n\nuser,method\n\na@contoso.com,push\r\n\r\n,\n  \t\nb@contoso.com,\n \n")
                .unwrap();
        assert_eq!(user_names(&targets), ["a@contoso.com", "b@contoso.com"]);
        assert_eq!(lines(&targets), [5, 9]);
    }

    #[test]
    fn csv_skips_spaces_and_empty_excel_rows_above_the_header() {
        let targets = csv("  \r\n,,\r\n\t\r\nuser,method\r\na@x.com,push\r\n").unwrap();
        assert_eq!(user_names(&targets), ["a@x.com"]);
        assert_eq!(lines(&targets), [5]);
        assert_mentions(
            &csv_error(",,\nuser,method\nb@x.com,push,extra\n"),
            &["users.csv:3: this row has 3 field(s) but the header has 2"],
        );
    }

    #[test]
    fn csv_trims_whitespace_around_names_and_values() {
        let targets =
            csv(" user , method ,systemPreferred\n  a@contoso.com\t,  oath , yes \n").unwrap();
        assert_eq!(user_names(&targets), ["a@contoso.com"]);
        assert_eq!(targets[0].method, Some(Method::Oath));
        assert_eq!(targets[0].system_preferred, Some(true));
    }

    #[test]
    fn csv_reads_quoted_values_including_commas_as_one_field() {
        let targets = csv("\"user\",\"method\"\n\" a@contoso.com \",\"push\"\n").unwrap();
        assert_eq!(user_names(&targets), ["a@contoso.com"]);
        // The comma stays inside the field: the row is not split, the user is refused by name.
        let message = csv_error("user,method\n\"Smith,John\",push\n");
        assert_mentions(&message, &["users.csv:2: user \"Smith,John\"", "','"]);
        assert!(!message.contains("field(s)"), "{message}");
        // A quoted method list is one field too, refused with a pointed message.
        let message = csv_error("user,method\na@contoso.com,\"push,oath\"\n");
        assert_mentions(
            &message,
            &[
                "users.csv:2: method \"push,oath\"",
                "give exactly one method",
            ],
        );
    }

    #[test]
    fn csv_quoted_line_break_keeps_later_line_numbers_right() {
        let message = csv_error("user\n\"a@contoso.com\nb@contoso.com\"\nc@@contoso.com\n");
        assert_mentions(
            &message,
            &["users.csv:2: user", "users.csv:4: user \"c@@contoso.com\""],
        );
    }

    #[test]
    fn csv_accepts_guests_apostrophes_non_ascii_and_upper_case_guids() {
        let text = format!(
            "user\nadele_adatum.com#EXT#@contoso.onmicrosoft.com\no'brien@contoso.com\nJosé.Müller@bücher.de\n山田@例え.jp\n{GUID_UPPER}\n3f2504e0-4f89-11d3-9a0c-0305e82c3302\n"
        );
        let targets = csv(&text).unwrap();
        assert_eq!(
            user_names(&targets),
            [
                "adele_adatum.com#EXT#@contoso.onmicrosoft.com",
                "o'brien@contoso.com",
                "José.Müller@bücher.de",
                "山田@例え.jp",
                GUID_UPPER,
                "3f2504e0-4f89-11d3-9a0c-0305e82c3302",
            ]
        );
    }

    #[test]
    fn csv_reads_method_and_every_system_preferred_spelling() {
        let targets = csv(
            "upn,method,systemPreferred\n\
             a@x.com,push,on\nb@x.com,oath,OFF\nc@x.com,voiceMobile,true\nd@x.com,voiceAlternateMobile,False\n\
             e@x.com,voiceOffice,yes\nf@x.com,sms,No\ng@x.com,push,1\nh@x.com,push,0\ni@x.com,,\n",
        )
        .unwrap();
        let methods: Vec<Option<Method>> = targets.iter().map(|t| t.method.clone()).collect();
        assert_eq!(
            methods,
            [
                Some(Method::Push),
                Some(Method::Oath),
                Some(Method::VoiceMobile),
                Some(Method::VoiceAlternateMobile),
                Some(Method::VoiceOffice),
                Some(Method::Sms),
                Some(Method::Push),
                Some(Method::Push),
                None,
            ]
        );
        let flags: Vec<Option<bool>> = targets.iter().map(|t| t.system_preferred).collect();
        assert_eq!(
            flags,
            [
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                None
            ]
        );
    }

    #[test]
    fn csv_columns_may_come_in_any_order() {
        let targets = csv("systemPreferred,method,objectId\noff,sms,a@x.com\n").unwrap();
        assert_eq!(
            targets,
            [Target {
                user: "a@x.com".to_owned(),
                line: 2,
                method: Some(Method::Sms),
                system_preferred: Some(false),
            }]
        );
    }

    // ---- CSV: bad files ----

    #[test]
    fn csv_without_a_header_is_refused_with_a_hint() {
        let message = csv_error("a@contoso.com\nb@contoso.com\n");
        assert_mentions(
            &message,
            &[
                "users.csv:1",
                "no user column",
                "userPrincipalName",
                "add a header line",
            ],
        );
    }

    #[test]
    fn csv_with_two_user_columns_is_refused() {
        let message = csv_error("upn,id\na@x.com,b@x.com\n");
        assert_mentions(
            &message,
            &["users.csv:1", "more than one user column (upn, id)"],
        );
    }

    #[test]
    fn csv_unknown_column_is_refused_and_a_typo_gets_a_suggestion() {
        let message = csv_error("user,methdo\na@x.com,push\n");
        assert_mentions(
            &message,
            &[
                "users.csv:1: methdo",
                "unknown column",
                "did you mean \"method\"",
            ],
        );
        let message = csv_error(
            "user,userPreferredMethodForSecondaryAuthentication,displayName\na@x.com,push,A\n",
        );
        assert_mentions(
            &message,
            &[
                "userPreferredMethodForSecondaryAuthentication: unknown column; did you mean \"method\"",
                "displayName: unknown column",
            ],
        );
        let message = csv_error("email\na@x.com\n");
        assert_mentions(&message, &["email: unknown column", "userPrincipalName"]);
    }

    #[test]
    fn csv_repeated_or_unnamed_columns_are_refused() {
        assert_mentions(
            &csv_error("user,method,METHOD\na@x.com,push,sms\n"),
            &["users.csv:1: METHOD: this column appears more than once"],
        );
        assert_mentions(
            &csv_error("user,\na@x.com,\n"),
            &["users.csv:1: column 2 of the header has no name"],
        );
    }

    #[test]
    fn csv_row_with_the_wrong_number_of_fields_names_its_line_and_reading_goes_on() {
        let message = csv_error("user,method\na@x.com,push,extra\nb@x.com\nc@@x.com,push\n");
        assert_mentions(
            &message,
            &[
                "users.csv:2: this row has 3 field(s) but the header has 2",
                "users.csv:3: this row has 1 field(s) but the header has 2",
                "users.csv:4: user \"c@@x.com\"",
            ],
        );
    }

    #[test]
    fn csv_with_no_users_is_refused() {
        for empty in ["", "\n\n", "\u{feff}", "  \r\n"] {
            assert_mentions(
                &csv_error(empty),
                &["users.csv: no users: the file is empty"],
            );
        }
        for header_only in ["user", "user,method\r\n", "user\n\n,\n"] {
            assert_mentions(
                &csv_error(header_only),
                &["users.csv: no users: the file has a header row but no user rows"],
            );
        }
    }

    #[test]
    fn csv_invalid_utf8_names_line_and_column() {
        // "José" saved as Windows-1252, as Excel's plain "CSV" does.
        let error =
            parse_targets("users.csv", b"user\nJos\xE9@contoso.com\n", Format::Csv).unwrap_err();
        assert_mentions(
            &error.to_string(),
            &[
                "users.csv:2: user \"Jos\u{FFFD}@contoso.com\"",
                "not valid UTF-8",
                "CSV UTF-8",
            ],
        );
        let error = parse_targets("users.csv", b"us\xFFer\na@x.com\n", Format::Csv).unwrap_err();
        assert_mentions(
            &error.to_string(),
            &["users.csv:1", "column name is not valid UTF-8"],
        );
    }

    #[test]
    fn csv_invalid_users_name_file_line_column_and_value() {
        let text = "userPrincipalName\n\
                    adele\n\
                    a@b@contoso.com\n\
                    @contoso.com\n\
                    adele@\n\
                    adele@contoso\n\
                    adele@contoso..com\n\
                    \"ade le@contoso.com\"\n\
                    \"adele\u{7}@contoso.com\"\n\
                    <adele@contoso.com>\n\
                    \"a,b\"\n";
        let message = csv_error(text);
        assert_mentions(
            &message,
            &[
                "users.csv:2: userPrincipalName \"adele\": this is neither an object id",
                "users.csv:3: userPrincipalName \"a@b@contoso.com\": a user principal name has exactly one '@' (found 2)",
                "users.csv:4: userPrincipalName \"@contoso.com\": the user principal name has nothing before the '@'",
                "users.csv:5: userPrincipalName \"adele@\": the user principal name has no domain",
                "users.csv:6: userPrincipalName \"adele@contoso\": the domain \"contoso\" has no dot",
                "users.csv:7: userPrincipalName \"adele@contoso..com\": the domain",
                "users.csv:8: userPrincipalName \"ade le@contoso.com\": a user cannot contain whitespace (found a space)",
                "users.csv:9: userPrincipalName \"adele\\u{7}@contoso.com\": a user cannot contain control characters (found U+0007)",
                "users.csv:10: userPrincipalName \"<adele@contoso.com>\": a user cannot contain '<'",
                "users.csv:11: userPrincipalName \"a,b\": a user cannot contain ','",
            ],
        );
        assert_eq!(message.lines().count(), 10, "{message}");
    }

    #[test]
    fn csv_empty_user_with_other_values_is_refused() {
        assert_mentions(
            &csv_error("user,method\n,push\n"),
            &["users.csv:2: user \"\": the user is empty"],
        );
    }

    #[test]
    fn csv_stray_quote_before_a_value_is_explained() {
        assert_mentions(
            &csv_error("user\n \"a@x.com\"\n"),
            &["users.csv:2: user", "quote must come right after the comma"],
        );
    }

    #[test]
    fn csv_invalid_method_names_the_value_and_suggests() {
        let message = csv_error(
            "user,method\na@x.com,Push\nb@x.com,phone\nc@x.com,unknownFutureValue\nd@x.com,fido2\n",
        );
        assert_mentions(
            &message,
            &[
                "users.csv:2: method \"Push\": \"Push\" is not a method (method names are case-sensitive); did you mean \"push\"?",
                "users.csv:3: method \"phone\"",
                "\"sms\" (a text message) or \"voiceMobile\"",
                "users.csv:4: method \"unknownFutureValue\"",
                "placeholder",
                "users.csv:5: method \"fido2\"",
                "cannot be a default MFA method",
                "valid methods: push, oath, voiceMobile, voiceAlternateMobile, voiceOffice, sms",
            ],
        );
    }

    #[test]
    fn csv_invalid_system_preferred_names_the_value() {
        assert_mentions(
            &csv_error("user,systemPreferred\na@x.com,enabled\n"),
            &[
                "users.csv:2: systemPreferred \"enabled\": not a yes/no value; use on, off, true, false, yes, no, 1 or 0",
            ],
        );
    }

    #[test]
    fn csv_duplicate_users_are_refused_naming_both_lines_whatever_the_case() {
        let text = format!(
            "user\nAdele@Contoso.com\nbob@contoso.com\nadele@contoso.COM\n{GUID_UPPER}\n{}\n",
            GUID_UPPER.to_lowercase()
        );
        let message = csv_error(&text);
        assert_mentions(
            &message,
            &[
                "users.csv:4: user \"adele@contoso.COM\": duplicate user: also on line 2 (as \"Adele@Contoso.com\")",
                "users.csv:6: user \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\": duplicate user: also on line 5",
            ],
        );
    }

    #[test]
    fn csv_exact_duplicate_names_both_lines() {
        assert_mentions(
            &csv_error("user\na@x.com\na@x.com\n"),
            &["users.csv:3: user \"a@x.com\": duplicate user: also on line 2; list each user once"],
        );
    }

    #[test]
    fn csv_reports_every_problem_sorted_by_line_and_yields_no_targets() {
        let error =
            csv("user,method,systemPreferred\na@x.com,bogus,maybe\nfine@x.com,push,on\nbad,,\n")
                .unwrap_err();
        let found: Vec<(usize, Option<&str>)> = error
            .problems
            .iter()
            .map(|problem| (problem.line, problem.field.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (2, Some("method")),
                (2, Some("systemPreferred")),
                (4, Some("user"))
            ]
        );
        assert!(
            error
                .problems
                .iter()
                .all(|problem| problem.source == "users.csv")
        );
        assert_eq!(error.problems[0].value.as_deref(), Some("bogus"));
        assert_eq!(error.to_string().lines().count(), 3);
    }

    // ---- JSON ----

    #[test]
    fn json_reads_an_array_of_strings_with_item_numbers() {
        let targets = json(&format!("[\"a@x.com\", \" {GUID_UPPER} \"]")).unwrap();
        assert_eq!(user_names(&targets), ["a@x.com", GUID_UPPER]);
        assert_eq!(lines(&targets), [1, 2]);
    }

    #[test]
    fn json_reads_objects_and_the_users_wrapper() {
        let text = r#"{"users": [
            {"userPrincipalName": "a@x.com", "method": "oath", "systemPreferred": false},
            {"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "systemPreferred": "on", "method": null},
            "o'brien@x.com",
            {"UPN": "adele_adatum.com#EXT#@contoso.onmicrosoft.com", "method": ""}
        ]}"#;
        let targets = json(text).unwrap();
        assert_eq!(
            targets,
            [
                Target {
                    user: "a@x.com".to_owned(),
                    line: 1,
                    method: Some(Method::Oath),
                    system_preferred: Some(false)
                },
                Target {
                    user: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".to_owned(),
                    line: 2,
                    method: None,
                    system_preferred: Some(true)
                },
                Target {
                    user: "o'brien@x.com".to_owned(),
                    line: 3,
                    method: None,
                    system_preferred: None
                },
                Target {
                    user: "adele_adatum.com#EXT#@contoso.onmicrosoft.com".to_owned(),
                    line: 4,
                    method: None,
                    system_preferred: None
                },
            ]
        );
    }

    #[test]
    fn json_accepts_a_bom() {
        let targets =
            parse_targets("users.json", b"\xEF\xBB\xBF[\"a@x.com\"]", Format::Json).unwrap();
        assert_eq!(user_names(&targets), ["a@x.com"]);
    }

    #[test]
    fn json_syntax_error_names_the_file_line() {
        assert_mentions(
            &json_error("[\n\"a@x.com\",\n\"b@x.com\"\n"),
            &["users.json:4: not valid JSON"],
        );
        assert_mentions(
            &json_error("[\"a@x.com\",]"),
            &["users.json:1: not valid JSON"],
        );
    }

    #[test]
    fn json_invalid_utf8_names_the_line() {
        let error = parse_targets(
            "users.json",
            b"[\n\"a@x.com\",\n\"Jos\xE9@x.com\"]",
            Format::Json,
        )
        .unwrap_err();
        assert_mentions(
            &error.to_string(),
            &["users.json:3: this text is not valid UTF-8"],
        );
    }

    #[test]
    fn json_problems_name_the_item_field_and_value() {
        let text = r#"[
            {"user": "a@x.com", "methdo": "push"},
            {"user": 42},
            7,
            {"method": "push"},
            {"user": "b@x.com", "upn": "c@x.com"},
            {"user": "d@x.com", "method": "Voice Mobile", "systemPreferred": 1},
            {"user": "e@x.com", "method": ["push"]},
            {"user": "f@x.com", "systemPreferred": "sometimes"},
            "g@"
        ]"#;
        let message = json_error(text);
        assert_mentions(
            &message,
            &[
                "users.json: item 1: methdo: unknown field; did you mean \"method\"",
                "users.json: item 2: user \"42\": a user must be a string",
                "users.json: item 3: \"7\": a user must be a string",
                "users.json: item 4: no user field",
                "users.json: item 5: more than one user field (upn, user)",
                "users.json: item 6: method \"Voice Mobile\"",
                "did you mean \"voiceMobile\"",
                "users.json: item 6: systemPreferred \"1\": must be true or false",
                "users.json: item 7: method \"[\\\"push\\\"]\": a method must be a string",
                "users.json: item 8: systemPreferred \"sometimes\": not a yes/no value",
                "users.json: item 9: user \"g@\"",
            ],
        );
    }

    #[test]
    fn json_duplicates_name_both_items() {
        assert_mentions(
            &json_error(r#"["a@x.com", {"user": "b@x.com"}, {"upn": "A@X.com"}]"#),
            &[
                "users.json: item 3: upn \"A@X.com\": duplicate user: also on item 1 (as \"a@x.com\")",
            ],
        );
    }

    #[test]
    fn json_with_no_users_or_the_wrong_shape_is_refused() {
        assert_mentions(
            &json_error(""),
            &["users.json: no users: the file is empty"],
        );
        assert_mentions(
            &json_error(" \n"),
            &["users.json: no users: the file is empty"],
        );
        assert_mentions(
            &json_error("[]"),
            &["users.json: no users: the list of users is empty"],
        );
        assert_mentions(&json_error(r#"{"users": []}"#), &["users.json: no users"]);
        assert_mentions(&json_error("{}"), &["users.json: no \"users\" field"]);
        assert_mentions(
            &json_error(r#"{"users": "a@x.com"}"#),
            &["users.json: users \"\\\"a@x.com\\\"\": not an array"],
        );
        assert_mentions(
            &json_error(r#"{"users": ["a@x.com"], "method": "push"}"#),
            &["users.json: method: unknown field at the top level"],
        );
        assert_mentions(
            &json_error("\"a@x.com\""),
            &["users.json: \"\\\"a@x.com\\\"\": expected an array of users"],
        );
    }

    // ---- read_targets ----

    fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
        let directory =
            std::env::temp_dir().join(format!("signin-prefs-targets-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn read_targets_chooses_the_format_by_extension_then_by_content() {
        let by_extension_csv = temp_file("list.CSV", b"user\na@x.com\n");
        let by_extension_json = temp_file("list.Json", b"[\"a@x.com\"]");
        let sniffed_json = temp_file("list.txt", b"\xEF\xBB\xBF \n {\"users\": [\"a@x.com\"]}");
        let sniffed_csv = temp_file("list", b"user\na@x.com\n");
        for path in [
            &by_extension_csv,
            &by_extension_json,
            &sniffed_json,
            &sniffed_csv,
        ] {
            let targets = read_targets(path).unwrap();
            assert_eq!(user_names(&targets), ["a@x.com"], "{}", path.display());
        }
        // A JSON-looking file named .csv is read as CSV, as its name says.
        let misnamed = temp_file("misnamed.csv", b"[\"a@x.com\"]");
        assert_mentions(
            &read_targets(&misnamed).unwrap_err().to_string(),
            &["misnamed.csv:1", "no user column"],
        );
        let _ = std::fs::remove_dir_all(misnamed.parent().unwrap());
    }

    #[test]
    fn read_targets_names_a_file_it_cannot_read() {
        let missing = std::env::temp_dir().join("signin-prefs-targets-does-not-exist.csv");
        let error = read_targets(&missing).unwrap_err();
        assert_eq!(error.problems.len(), 1);
        assert_eq!(error.problems[0].line_kind, LineKind::WholeFile);
        assert_mentions(
            &error.to_string(),
            &["signin-prefs-targets-does-not-exist.csv: cannot read the file"],
        );
    }

    // ---- parse_method / parse_method_list ----

    #[test]
    fn parse_method_accepts_exactly_the_target_members() {
        for (text, method) in [
            ("push", Method::Push),
            ("oath", Method::Oath),
            ("voiceMobile", Method::VoiceMobile),
            ("voiceAlternateMobile", Method::VoiceAlternateMobile),
            ("voiceOffice", Method::VoiceOffice),
            ("sms", Method::Sms),
            (" sms ", Method::Sms),
        ] {
            assert_eq!(parse_method(text), Ok(method), "{text}");
        }
    }

    #[test]
    fn parse_method_refuses_unknown_future_value_in_any_case() {
        for text in [
            "unknownFutureValue",
            "UnknownFutureValue",
            "unknown_future_value",
        ] {
            let message = parse_method(text).unwrap_err();
            assert_mentions(
                &message,
                &[
                    "placeholder",
                    "not a method a user can be set to",
                    "valid methods:",
                ],
            );
        }
    }

    #[test]
    fn parse_method_suggests_the_right_method_for_common_mistakes() {
        for (mistake, suggestion) in [
            ("phone", "\"sms\" (a text message) or \"voiceMobile\""),
            ("mobile", "\"sms\" (a text message) or \"voiceMobile\""),
            ("text", "did you mean \"sms\""),
            ("SMS", "did you mean \"sms\""),
            ("voice", "did you mean \"voiceMobile\""),
            ("call", "did you mean \"voiceMobile\""),
            ("authenticator", "did you mean \"push\""),
            ("app", "did you mean \"push\""),
            ("microsoftAuthenticator", "did you mean \"push\""),
            ("Push", "did you mean \"push\""),
            ("totp", "did you mean \"oath\""),
            ("otp", "did you mean \"oath\""),
            ("softwareOath", "did you mean \"oath\""),
            ("hardwareOath", "did you mean \"oath\""),
            ("office", "did you mean \"voiceOffice\""),
            ("VoiceMobile", "did you mean \"voiceMobile\""),
            (
                "VOICEALTERNATEMOBILE",
                "did you mean \"voiceAlternateMobile\"",
            ),
            ("voice-office", "did you mean \"voiceOffice\""),
            ("OATH", "did you mean \"oath\""),
        ] {
            let message = parse_method(mistake).unwrap_err();
            assert_mentions(
                &message,
                &[
                    &format!("\"{mistake}\" is not a method"),
                    suggestion,
                    "valid methods: push, oath, voiceMobile, voiceAlternateMobile, voiceOffice, sms",
                ],
            );
            assert!(!message.contains("unknownFutureValue"), "{message}");
        }
    }

    #[test]
    fn parse_method_lists_the_valid_methods_for_anything_else() {
        assert_eq!(
            parse_method("carrier pigeon").unwrap_err(),
            "\"carrier pigeon\" is not a method; valid methods: push, oath, voiceMobile, voiceAlternateMobile, voiceOffice, sms"
        );
        assert_mentions(
            &parse_method("").unwrap_err(),
            &["no method given", "valid methods:"],
        );
        assert_mentions(
            &parse_method("bad\u{1b}[31m").unwrap_err(),
            &["\"bad\\u{1b}[31m\""],
        );
    }

    #[test]
    fn parse_method_list_keeps_the_order() {
        assert_eq!(
            parse_method_list("push,oath"),
            Ok(vec![Method::Push, Method::Oath])
        );
        assert_eq!(
            parse_method_list(" sms , voiceMobile,push "),
            Ok(vec![Method::Sms, Method::VoiceMobile, Method::Push])
        );
        assert_eq!(parse_method_list("oath"), Ok(vec![Method::Oath]));
    }

    #[test]
    fn parse_method_list_refuses_empty_lists_items_duplicates_and_bad_members() {
        assert_mentions(
            &parse_method_list("").unwrap_err(),
            &["no methods given", "valid methods:"],
        );
        assert_mentions(
            &parse_method_list(" , ").unwrap_err(),
            &[
                "method 1 of the list is empty",
                "method 2 of the list is empty",
            ],
        );
        assert_mentions(
            &parse_method_list("push,,oath").unwrap_err(),
            &["method 2 of the list is empty"],
        );
        assert_mentions(
            &parse_method_list("push,oath,").unwrap_err(),
            &["method 3 of the list is empty"],
        );
        assert_mentions(
            &parse_method_list("push,oath,push").unwrap_err(),
            &["\"push\" is listed more than once (method 3)"],
        );
        assert_mentions(
            &parse_method_list("push,Oath,unknownFutureValue").unwrap_err(),
            &[
                "method 2: \"Oath\" is not a method",
                "did you mean \"oath\"",
                "method 3: \"unknownFutureValue\"",
            ],
        );
    }

    // ---- check_user_key ----

    #[test]
    fn check_user_key_accepts_guids_and_upns() {
        for key in [
            GUID_UPPER,
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "adele@contoso.com",
            "adele_adatum.com#EXT#@contoso.onmicrosoft.com",
            "o'brien@contoso.com",
            "first.last-2@sub.contoso.co.uk",
            "josé@bücher.de",
            "a!b^c~d@x.io",
        ] {
            assert_eq!(check_user_key(key), Ok(()), "{key}");
        }
        let longest = format!(
            "{}@contoso.com",
            "a".repeat(MAX_USER_KEY_CHARS - "@contoso.com".len())
        );
        assert_eq!(check_user_key(&longest), Ok(()));
    }

    #[test]
    fn check_user_key_refuses_what_cannot_name_a_user() {
        let too_long = format!("{}@contoso.com", "a".repeat(MAX_USER_KEY_CHARS));
        for (key, fragment) in [
            ("", "empty"),
            ("adele", "neither an object id"),
            (
                "3f2504e0-4f89-11d3-9a0c-0305e82c330",
                "neither an object id",
            ),
            (
                "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
                "neither an object id",
            ),
            ("3f2504e04f8911d39a0c0305e82c3301", "neither an object id"),
            (
                "3f2504e0-4f89-11d3-9a0c-0305e82c330g",
                "neither an object id",
            ),
            ("a@b@c.com", "exactly one '@' (found 2)"),
            ("@contoso.com", "nothing before the '@'"),
            ("adele@", "no domain after the '@'"),
            ("adele@contoso", "has no dot"),
            ("adele@.contoso.com", "empty label"),
            ("adele@contoso.com.", "empty label"),
            ("ade le@contoso.com", "whitespace (found a space)"),
            ("adele@contoso.com\t", "whitespace (found a tab)"),
            ("adele@contoso\u{a0}.com", "whitespace (found U+00A0)"),
            (
                "adele\u{0}@contoso.com",
                "control characters (found U+0000)",
            ),
            (
                "\u{200B}adele@contoso.com",
                "invisible characters (found U+200B)",
            ),
            (
                "\u{FEFF}adele@contoso.com",
                "invisible characters (found U+FEFF)",
            ),
            (
                "adele@contoso.com\u{200E}",
                "invisible characters (found U+200E)",
            ),
            ("\"adele@contoso.com\"", "'\"'"),
            ("adele;bob@contoso.com", "';'"),
            ("Adele Vance <adele@contoso.com>", "whitespace"),
            (too_long.as_str(), "at most 1024"),
        ] {
            let message = check_user_key(key).unwrap_err();
            assert!(message.contains(fragment), "{key:?}: {message}");
        }
    }

    // ---- Display ----

    #[test]
    fn display_escapes_control_characters_and_cuts_long_values() {
        let long_user = format!("{}@", "x".repeat(500));
        let error = csv(&format!(
            "user\n\"evil\u{1b}]0;title\u{7}@x.com\"\n{long_user}\n"
        ))
        .unwrap_err();
        let text = error.to_string();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert_mentions(&text, &["evil\\u{1b}]0;title\\u{7}@x.com", "…"]);
        assert_eq!(error.problems[1].value.as_deref(), Some(long_user.as_str()));
        assert!(text.len() < 1000, "{text}");
    }

    #[test]
    fn display_uses_the_path_line_form_one_line_per_problem() {
        assert_eq!(
            csv_error("user,method\na@x.com,Push\nb@x.com,push,on\n"),
            "users.csv:2: method \"Push\": \"Push\" is not a method (method names are case-sensitive); did you mean \"push\"? valid methods: push, oath, voiceMobile, voiceAlternateMobile, voiceOffice, sms\n\
             users.csv:3: this row has 3 field(s) but the header has 2; quote values that contain commas"
        );
        assert_eq!(
            json_error(r#"["a@x.com", 7]"#),
            "users.json: item 2: \"7\": a user must be a string (an object id or user principal name) or an object such as {\"user\": \"...\", \"method\": \"push\"}"
        );
        assert_eq!(
            csv_error("user\n"),
            "users.csv: no users: the file has a header row but no user rows"
        );
    }

    #[test]
    fn input_errors_are_std_errors() {
        fn takes_error(_: &dyn std::error::Error) {}
        takes_error(&csv("").unwrap_err());
    }

    // ---- Laws ----

    const TARGET_METHODS: [Method; 6] = [
        Method::Push,
        Method::Oath,
        Method::VoiceMobile,
        Method::VoiceAlternateMobile,
        Method::VoiceOffice,
        Method::Sms,
    ];

    fn guid() -> impl Strategy<Value = String> {
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    }

    fn upn() -> impl Strategy<Value = String> {
        let local = "[a-zA-Z0-9'._!#^~éøü山-]{1,16}";
        let domain = "[a-z0-9ü-]{1,10}(\\.[a-z0-9-]{1,8}){1,3}";
        let guest = any::<bool>();
        (local, domain, guest).prop_map(|(local, domain, guest)| {
            if guest {
                format!("{local}_{domain}#EXT#@contoso.onmicrosoft.com")
            } else {
                format!("{local}@{domain}")
            }
        })
    }

    fn valid_user() -> impl Strategy<Value = String> {
        prop_oneof![1 => guid(), 3 => upn()]
    }

    /// Users that differ case-insensitively, in the order first generated.
    fn distinct_users(max: usize) -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(valid_user(), 1..max).prop_map(|users| {
            let mut seen = std::collections::HashSet::new();
            users
                .into_iter()
                .filter(|user| seen.insert(user.to_lowercase()))
                .collect()
        })
    }

    #[derive(Debug, Clone)]
    struct CellStyle {
        quoted: bool,
        left_pad: String,
        right_pad: String,
    }

    fn cell_style() -> impl Strategy<Value = CellStyle> {
        (any::<bool>(), "[ \t]{0,3}", "[ \t]{0,3}").prop_map(|(quoted, left_pad, right_pad)| {
            CellStyle {
                quoted,
                left_pad,
                right_pad,
            }
        })
    }

    fn write_cell(text: &str, style: &CellStyle) -> String {
        let padded = format!("{}{text}{}", style.left_pad, style.right_pad);
        if style.quoted {
            format!("\"{}\"", padded.replace('"', "\"\""))
        } else {
            padded
        }
    }

    #[derive(Debug, Clone)]
    struct FileStyle {
        bom: bool,
        crlf: bool,
        header_name: &'static str,
        header_upper: bool,
        with_method: bool,
        method_first: bool,
        trailing_newline: bool,
        /// Blank-looking lines above the header: whitespace and the `,,` of an empty Excel row.
        lines_above_header: Vec<String>,
    }

    fn file_style() -> impl Strategy<Value = FileStyle> {
        (
            any::<bool>(),
            any::<bool>(),
            proptest::sample::select(USER_COLUMN_NAMES),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            proptest::collection::vec("[ \t,]{0,3}", 0..3),
        )
            .prop_map(
                |(
                    bom,
                    crlf,
                    header_name,
                    header_upper,
                    with_method,
                    method_first,
                    trailing_newline,
                    lines_above_header,
                )| FileStyle {
                    bom,
                    crlf,
                    header_name,
                    header_upper,
                    with_method,
                    method_first,
                    trailing_newline,
                    lines_above_header,
                },
            )
    }

    #[derive(Debug, Clone)]
    struct RowStyle {
        user_cell: CellStyle,
        method_cell: CellStyle,
        method: Option<usize>,
        /// Lines of nothing but whitespace above the row.
        blank_lines_before: Vec<String>,
    }

    fn row_style() -> impl Strategy<Value = RowStyle> {
        (
            cell_style(),
            cell_style(),
            proptest::option::of(0..TARGET_METHODS.len()),
            proptest::collection::vec("[ \t]{0,2}", 0..3),
        )
            .prop_map(
                |(user_cell, method_cell, method, blank_lines_before)| RowStyle {
                    user_cell,
                    method_cell,
                    method,
                    blank_lines_before,
                },
            )
    }

    /// Writes `users` as a CSV in `style`; returns the bytes and the expected targets.
    fn write_csv(users: &[String], style: &FileStyle, rows: &[RowStyle]) -> (Vec<u8>, Vec<Target>) {
        let newline = if style.crlf { "\r\n" } else { "\n" };
        let header_name = if style.header_upper {
            style.header_name.to_uppercase()
        } else {
            style.header_name.to_owned()
        };
        let mut lines_written: Vec<String> = style.lines_above_header.clone();
        lines_written.push(match (style.with_method, style.method_first) {
            (false, _) => header_name,
            (true, false) => format!("{header_name},method"),
            (true, true) => format!("method,{header_name}"),
        });
        let mut expected = Vec::new();
        for (user, row) in users.iter().zip(rows.iter().cycle()) {
            lines_written.extend(row.blank_lines_before.iter().cloned());
            let user_cell = write_cell(user, &row.user_cell);
            let method = row
                .method
                .filter(|_| style.with_method)
                .map(|index| TARGET_METHODS[index].clone());
            let method_cell =
                write_cell(method.as_ref().map_or("", Method::as_str), &row.method_cell);
            lines_written.push(match (style.with_method, style.method_first) {
                (false, _) => user_cell,
                (true, false) => format!("{user_cell},{method_cell}"),
                (true, true) => format!("{method_cell},{user_cell}"),
            });
            expected.push(Target {
                user: user.clone(),
                line: lines_written.len(),
                method,
                system_preferred: None,
            });
        }
        let mut text = lines_written.join(newline);
        if style.trailing_newline {
            text.push_str(newline);
        }
        let mut bytes = Vec::new();
        if style.bom {
            bytes.extend_from_slice(UTF8_BOM);
        }
        bytes.extend_from_slice(text.as_bytes());
        (bytes, expected)
    }

    /// `text` with the ASCII letters chosen by `flips` in the other case: the same user to Entra.
    fn flip_case(text: &str, flips: &[bool]) -> String {
        text.chars()
            .zip(flips.iter().cycle())
            .map(
                |(c, flip)| match (flip, c.is_ascii_lowercase(), c.is_ascii_uppercase()) {
                    (true, true, _) => c.to_ascii_uppercase(),
                    (true, _, true) => c.to_ascii_lowercase(),
                    _ => c,
                },
            )
            .collect()
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic_and_problems_name_the_source(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for format in [Format::Csv, Format::Json] {
                if let Err(error) = parse_targets("in.txt", &bytes, format) {
                    prop_assert!(!error.problems.is_empty());
                    prop_assert!(error.problems.iter().all(|problem| problem.source == "in.txt" && !problem.message.is_empty()));
                    let _ = error.to_string();
                }
            }
        }

        #[test]
        fn csv_and_json_like_text_never_panics(text in "[a-zA-Z@.,;\"'{}\\[\\]:0-9 \t\r\n\u{feff}é#\\\\-]{0,300}") {
            for format in [Format::Csv, Format::Json] {
                match parse_targets("in.txt", text.as_bytes(), format) {
                    Ok(targets) => {
                        prop_assert!(!targets.is_empty());
                        prop_assert!(targets.iter().all(|target| check_user_key(&target.user).is_ok()));
                    }
                    Err(error) => prop_assert!(!error.to_string().is_empty()),
                }
            }
        }

        #[test]
        fn valid_users_written_as_csv_read_back_in_order(
            users in distinct_users(30),
            style in file_style(),
            rows in proptest::collection::vec(row_style(), 1..8),
        ) {
            let (bytes, expected) = write_csv(&users, &style, &rows);
            let targets = parse_targets("users.csv", &bytes, Format::Csv);
            prop_assert_eq!(targets, Ok(expected), "file: {:?}", String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn valid_users_written_as_json_read_back_in_order(users in distinct_users(30), wrapped in any::<bool>()) {
            let list = serde_json::to_string(&users).unwrap();
            let text = if wrapped { format!("{{\"users\": {list}}}") } else { list };
            let targets = json(&text).unwrap();
            prop_assert_eq!(users.iter().map(String::as_str).collect::<Vec<_>>(), user_names(&targets));
            prop_assert_eq!(lines(&targets), (1..=users.len()).collect::<Vec<_>>());
        }

        #[test]
        fn duplicates_are_always_detected(
            users in distinct_users(20),
            original in any::<proptest::sample::Index>(),
            insert_at in any::<proptest::sample::Index>(),
            flips in proptest::collection::vec(any::<bool>(), 1..8),
        ) {
            let original_user = &users[original.index(users.len())];
            let copy = flip_case(original_user, &flips);
            let mut with_copy = users.clone();
            with_copy.insert(insert_at.index(users.len() + 1), copy);
            let positions: Vec<usize> = with_copy
                .iter()
                .enumerate()
                .filter(|(_, user)| user.to_lowercase() == original_user.to_lowercase())
                .map(|(index, _)| index)
                .collect();
            prop_assert_eq!(positions.len(), 2);
            let (first, second) = (positions[0], positions[1]);

            let csv_text = format!("user\n{}\n", with_copy.join("\n"));
            let error = csv(&csv_text).unwrap_err();
            prop_assert_eq!(error.problems.len(), 1, "{}", error);
            prop_assert_eq!(error.problems[0].line, second + 2);
            prop_assert_eq!(error.problems[0].value.as_deref(), Some(with_copy[second].as_str()));
            let expected_csv_fragment = format!("duplicate user: also on line {}", first + 2);
            prop_assert!(error.problems[0].message.contains(&expected_csv_fragment), "{}", error);

            let error = json(&serde_json::to_string(&with_copy).unwrap()).unwrap_err();
            prop_assert_eq!(error.problems.len(), 1, "{}", error);
            prop_assert_eq!(error.problems[0].line, second + 1);
            prop_assert_eq!(error.problems[0].line_kind, LineKind::ArrayItem);
            let expected_json_fragment = format!("duplicate user: also on item {}", first + 1);
            prop_assert!(error.problems[0].message.contains(&expected_json_fragment), "{}", error);
        }

        #[test]
        fn parse_method_never_returns_a_non_target(text in "\\PC{0,30}") {
            if let Ok(method) = parse_method(&text) {
                prop_assert!(TARGET_METHODS.contains(&method));
                prop_assert_eq!(method.as_str(), text.trim());
            }
        }
    }
}
