//! Reading a CSV targets file: a header naming the columns, then one user per row, with true line
//! numbers whatever blank lines, quoted line breaks or CRLFs the file holds.

use super::problems::{LineKind, Place, Problems, ReadUsers};
use super::{
    Column, check_method_cell, check_system_preferred_cell, check_user_cell, column_named,
    known_columns_sentence, not_utf8_message, strip_bom, unknown_column_message,
};
use signin_prefs_model::text::show_value;
use signin_prefs_request::UserKey;

/// The header of a CSV file: for each column, what it holds and its name as written.
struct CsvHeader {
    columns: Vec<(Column, String)>,
}

pub(super) fn parse_csv(bytes: &[u8], problems: &mut Problems<'_>) -> ReadUsers {
    let content = strip_bom(bytes);
    // The csv crate takes the first record's field count as the rule for all, so a blank-looking
    // line above the header (spaces, or the `,,` Excel writes for an empty row) must not reach it.
    let header_offset = offset_after_leading_blank_lines(content);
    let mut reader = ::csv::ReaderBuilder::new()
        // The header is read by hand so that blank lines before it are skipped like any others.
        .has_headers(false)
        .flexible(false)
        .from_reader(content.get(header_offset..).unwrap_or(&[]));
    let line_starts = LineStarts::new(content, header_offset);
    let mut record = ::csv::ByteRecord::new();
    let mut header: Option<CsvHeader> = None;
    let mut users = ReadUsers::new(LineKind::FileLine);
    let mut saw_rows = false;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let place = error
                    .position()
                    .map_or(Place::WHOLE_FILE, |position| line_starts.place_of(position));
                if let ::csv::ErrorKind::UnequalLengths {
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
                None => return users,
            },
            Some(header) => {
                saw_rows = true;
                parse_csv_row(&record, header, place, problems, &mut users);
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
    users
}

fn parse_csv_header(
    record: &::csv::ByteRecord,
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
        if UserKey::parse(&first_cell).is_ok() {
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
    record: &::csv::ByteRecord,
    header: &CsvHeader,
    place: Place,
    problems: &mut Problems<'_>,
    users: &mut ReadUsers,
) {
    let mut user = None;
    let mut method = None;
    let mut system_preferred = None;
    for ((column, name), raw) in header.columns.iter().zip(record.iter()) {
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.add(
                place,
                Some(name),
                Some(String::from_utf8_lossy(raw).trim()),
                not_utf8_message("value"),
            );
            continue;
        };
        match column {
            Column::User => {
                user = check_user_cell(text, place, name, problems).map(|user| (user, name));
            }
            Column::Method => {
                if let Some(parsed) = check_method_cell(text, place, name, problems) {
                    method = parsed;
                }
            }
            Column::SystemPreferred => {
                if let Some(parsed) = check_system_preferred_cell(text, place, name, problems) {
                    system_preferred = parsed;
                }
            }
        }
    }
    // A row with any other problem is added too, so that a later listing of its user is still
    // found a duplicate; the problem keeps the whole file from being used.
    if let Some((user, field)) = user {
        users.add(&user, place, field, method, system_preferred, problems);
    }
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
    /// Where each `\n` is; 32 bits suffice, as [`super::parse_targets`] refuses files over 4 GiB.
    newline_offsets: Vec<u32>,
}

impl<'a> LineStarts<'a> {
    fn new(bytes: &'a [u8], reader_start: usize) -> Self {
        let newline_offsets = bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .filter_map(|(offset, _)| u32::try_from(offset).ok())
            .collect();
        Self {
            bytes,
            reader_start,
            newline_offsets,
        }
    }

    /// The 1-based line holding the first byte of the record the csv crate places at `position`.
    fn place_of(&self, position: &::csv::Position) -> Place {
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
            .partition_point(|newline| usize::try_from(*newline).is_ok_and(|at| at < offset));
        Place::file_line(newlines_before + 1)
    }

    /// Whether the 1-based `line` holds nothing but whitespace.
    fn is_whitespace_only(&self, line: usize) -> bool {
        let start = match line.checked_sub(2) {
            Some(previous_newline) => match self.newline_offsets.get(previous_newline) {
                Some(offset) => usize::try_from(*offset)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1),
                None => return false,
            },
            None => 0,
        };
        let end = line
            .checked_sub(1)
            .and_then(|own_newline| self.newline_offsets.get(own_newline))
            .and_then(|offset| usize::try_from(*offset).ok())
            .unwrap_or(self.bytes.len());
        self.bytes
            .get(start..end)
            .is_some_and(|text| text.iter().all(u8::is_ascii_whitespace))
    }
}
