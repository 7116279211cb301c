//! Writing a report row by row as it is made: the same text as [`Report`]'s, in flat memory.
//!
//! A report of a million users is a million rows; held, they take a gigabyte. Here each row is
//! made from the plan (read again, entry by entry) and the journal, written, and dropped. JSON and
//! CSV take one pass, their counts coming after the rows; a table, whose counts come first, takes
//! two. The text is byte for byte what [`Report::to_json`], [`Report::to_csv`] and
//! [`Report::to_table`] give for the same run.

use std::io::Write;
use std::path::Path;

use crate::Error;
use crate::journal::JournalState;
use crate::plan_file::{not_executed, rescan};
use crate::report::{
    CSV_HEADER, Report, ReportRow, TABLE_LIMIT, Tally, apply_row, csv_record, needs_attention,
    rollback_row, table_columns, table_header, table_line, table_more, table_width,
};

/// The forms a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportFormat {
    /// [`Report::to_json`].
    Json,
    /// [`Report::to_csv`].
    Csv,
    /// [`Report::to_table`]: the users that need attention, or every user with `all_rows`.
    Table {
        /// List every user.
        all_rows: bool,
    },
}

/// Writes the report of the apply run `journal` records to `out`, reading its plan at `plan_path`
/// entry by entry; returns the run's tally. Refuses a plan whose bytes are not those the journal
/// executed.
pub fn write_apply_report(
    plan_path: &Path,
    journal: &JournalState,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<Tally, Error> {
    // A plan that is not the one executed is refused before anything is written; the pass that
    // makes the rows checks again.
    check_executed(plan_path, journal)?;
    let rows = |each: &mut dyn FnMut(ReportRow) -> Result<(), Error>| {
        each_apply_row(plan_path, journal, each)
    };
    write_rows(&rows, journal.finished, format, out)
}

/// Refuses a plan whose bytes are not those the journal executed.
pub(crate) fn check_executed(plan_path: &Path, journal: &JournalState) -> Result<(), Error> {
    let len = std::fs::metadata(plan_path)
        .map_err(|source| Error::io(plan_path, source))?
        .len();
    if crate::files::sha256_of_prefix(plan_path, len)? != journal.source_sha256 {
        return Err(not_executed(plan_path));
    }
    Ok(())
}

/// Hands `each` the apply report's rows in plan order, reading the plan at `plan_path` entry by
/// entry; the first error `each` returns stops the rows and is returned.
pub(crate) fn each_apply_row(
    plan_path: &Path,
    journal: &JournalState,
    each: &mut dyn FnMut(ReportRow) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut failed = None;
    let scanned = rescan(plan_path, &journal.source_sha256, &mut |entry| {
        if failed.is_none()
            && let Err(error) = each(apply_row(&entry, journal))
        {
            failed = Some(error);
        }
    });
    scanned?;
    failed.map_or(Ok(()), Err)
}

/// Hands `each` the rollback report's rows, in the journal's order.
pub(crate) fn each_rollback_row(
    journal: &JournalState,
    each: &mut dyn FnMut(ReportRow) -> Result<(), Error>,
) -> Result<(), Error> {
    for (user, entry) in journal.users() {
        each(rollback_row(user, &entry, journal))?;
    }
    Ok(())
}

/// Writes a report file at `path` with `write` (e.g. [`write_apply_report`]), owner-only, as
/// every file that names users and their MFA set-up: whole or not at all.
pub fn write_report_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<Tally, Error>,
) -> Result<Tally, Error> {
    crate::files::write_private_with(path, |file| write(file))
}

/// The tally of the apply run `journal` records, reading its plan at `plan_path` entry by entry:
/// [`Tally::for_apply`] without the plan in memory.
pub fn tally_apply(plan_path: &Path, journal: &JournalState) -> Result<Tally, Error> {
    let mut tally = Tally::new(journal.finished);
    rescan(plan_path, &journal.source_sha256, &mut |entry| {
        let row = apply_row(&entry, journal);
        tally.add(&row.outcome, row.verified);
    })?;
    Ok(tally)
}

/// Writes the report of the rollback run `journal` records to `out`; returns the run's tally.
pub fn write_rollback_report(
    journal: &JournalState,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<Tally, Error> {
    let rows =
        |each: &mut dyn FnMut(ReportRow) -> Result<(), Error>| each_rollback_row(journal, each);
    write_rows(&rows, journal.finished, format, out)
}

/// Something that makes a report's rows, in order, handing each to the function it is given; it
/// can be asked more than once.
type Rows<'a> = dyn Fn(&mut dyn FnMut(ReportRow) -> Result<(), Error>) -> Result<(), Error> + 'a;

fn write_rows(
    rows: &Rows<'_>,
    finished: bool,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<Tally, Error> {
    let failed = |error: std::io::Error| Error::io("(report output)", error);
    let mut tally = Tally::new(finished);
    let mut users = 0;
    match format {
        ReportFormat::Json => {
            // The layout of the whole report, with the rows spliced in where its empty list is.
            let empty = Report {
                rows: Vec::new(),
                counts: Default::default(),
                finished,
            };
            out.write_all(b"{\n  \"rows\": [").map_err(failed)?;
            rows(&mut |row| {
                out.write_all(if users == 0 { b"\n    " } else { b",\n    " })
                    .map_err(failed)?;
                serde_json::to_writer(&mut *out, &row).map_err(|error| failed(error.into()))?;
                tally.add(&row.outcome, row.verified);
                users += 1;
                Ok(())
            })?;
            out.write_all(if users == 0 { b"]" } else { b"\n  ]" })
                .map_err(failed)?;
            let rest = Report {
                counts: tally.counts.clone(),
                ..empty
            }
            .to_json();
            let rest = rest.split_once("\"rows\": []").map_or("", |(_, rest)| rest);
            out.write_all(rest.as_bytes()).map_err(failed)?;
        }
        ReportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut *out);
            writer
                .write_record(CSV_HEADER)
                .map_err(|error| failed(error.into()))?;
            rows(&mut |row| {
                writer
                    .write_record(csv_record(&row))
                    .map_err(|error| failed(error.into()))?;
                tally.add(&row.outcome, row.verified);
                Ok(())
            })?;
            writer.flush().map_err(failed)?;
        }
        ReportFormat::Table { all_rows } => {
            // First the counts, how many rows are listed and how wide their user column is.
            let mut attention = 0;
            let mut width = None;
            let limit = if all_rows { usize::MAX } else { TABLE_LIMIT };
            let mut widest = 0;
            rows(&mut |row| {
                tally.add(&row.outcome, row.verified);
                users += 1;
                if needs_attention(&row, all_rows) {
                    if attention < limit {
                        widest = widest.max(table_width(std::iter::once(&row)));
                        width = Some(widest);
                    }
                    attention += 1;
                }
                Ok(())
            })?;
            out.write_all(table_header(users, &tally.counts, finished).as_bytes())
                .map_err(failed)?;
            if let Some(width) = width {
                out.write_all(table_columns(width).as_bytes())
                    .map_err(failed)?;
                let mut listed = 0;
                rows(&mut |row| {
                    if listed < limit && needs_attention(&row, all_rows) {
                        out.write_all(table_line(&row, width).as_bytes())
                            .map_err(failed)?;
                        listed += 1;
                    }
                    Ok(())
                })?;
                out.write_all(table_more(attention.saturating_sub(limit)).as_bytes())
                    .map_err(failed)?;
            }
        }
    }
    out.flush().map_err(failed)?;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{JOURNAL_FORMAT, JournalKind, JournalWriter, Record, Status};
    use crate::plan::{Action, PlanEntry, Preferences, test_plan};
    use proptest::prelude::*;

    /// What the journal says of one planned change.
    #[derive(Debug, Clone)]
    enum Fate {
        Untouched,
        InDoubt,
        Ended(Status, bool),
        Verified(bool),
    }

    fn fate() -> impl Strategy<Value = Fate> {
        let status = prop::sample::select(vec![
            Status::Applied,
            Status::Recovered,
            Status::Failed,
            Status::Skipped,
            Status::NotReached,
            Status::Drifted,
        ]);
        prop_oneof![
            Just(Fate::Untouched),
            Just(Fate::InDoubt),
            (status, any::<bool>()).prop_map(|(status, detail)| Fate::Ended(status, detail)),
            any::<bool>().prop_map(Fate::Verified),
        ]
    }

    fn preferences(method: &str) -> Preferences {
        Preferences {
            method: Some(method.into()),
            system_preferred: Some(true),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Streamed, a report is the same text as the report held whole, in every form.
        #[test]
        fn a_streamed_report_is_the_whole_reports_text(
            users in prop::collection::vec((0..5usize, fate(), "[a-z]{1,60}"), 0..45),
            finished in any::<bool>(),
        ) {
            let dir = std::env::temp_dir().join(format!(
                "signin-prefs-report-stream-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let entries: Vec<PlanEntry> = users
                .iter()
                .enumerate()
                .map(|(index, (action, _, name))| {
                    let action = Action::ALL[*action];
                    PlanEntry {
                        user: format!("{name}{index}@contoso.com"),
                        source_line: index + 2,
                        current: preferences("sms"),
                        target: matches!(action, Action::Change | Action::AlreadyCompliant).then(
                            || preferences(if action == Action::Change { "oath" } else { "sms" }),
                        ),
                        registered: vec!["softwareOath".into(), "mobilePhone".into()],
                        action,
                        reason: format!("reason {index}"),
                        default_reach: None,
                    }
                })
                .collect();
            let plan = test_plan(entries, Vec::new());
            let plan_path = dir.join("plan.json");
            let sha = plan.write(&plan_path).unwrap();
            let journal_path = dir.join("journal.jsonl");
            let _ = std::fs::remove_file(&journal_path);
            let mut writer = JournalWriter::create(&journal_path, Record::Header {
                format: JOURNAL_FORMAT,
                kind: JournalKind::Apply,
                source: plan_path.display().to_string(),
                source_sha256: sha,
                service: plan.service.clone(),
                started_at: 0,
            }).unwrap();
            for (entry, (_, fate, _)) in plan.entries.iter().zip(&users) {
                let (Action::Change, Some(target)) = (entry.action, &entry.target) else { continue };
                let user = entry.user.clone();
                let attempt = Record::Attempt {
                    user: user.clone(), batch: 1, before: entry.current.clone(), after: target.clone(),
                };
                let outcome = |status, detail: bool| Record::Outcome {
                    user: user.clone(), batch: 1, status,
                    detail: detail.then(|| "why".to_owned()),
                    request_id: detail.then(|| "req".to_owned()),
                    retryable: Some(detail),
                };
                let records = match fate {
                    Fate::Untouched => Vec::new(),
                    Fate::InDoubt => vec![attempt],
                    Fate::Ended(status, detail) => vec![attempt, outcome(*status, *detail)],
                    Fate::Verified(ok) => vec![attempt, outcome(Status::Applied, false), Record::Verified {
                        user: user.clone(), ok: *ok, observed: preferences("push"),
                    }],
                };
                writer.append(records).unwrap();
            }
            if finished {
                writer.append(vec![Record::Finished { at: 2 }]).unwrap();
            }
            let journal = writer.into_state();

            let whole = Report::for_apply(&plan, &journal);
            let rollback = Report::for_rollback(&journal);
            let forms = [
                (ReportFormat::Json, whole.to_json(), rollback.to_json()),
                (ReportFormat::Csv, whole.to_csv(), rollback.to_csv()),
                (ReportFormat::Table { all_rows: false }, whole.to_table(false), rollback.to_table(false)),
                (ReportFormat::Table { all_rows: true }, whole.to_table(true), rollback.to_table(true)),
            ];
            for (format, apply_text, rollback_text) in forms {
                let mut streamed = Vec::new();
                let tally = write_apply_report(&plan_path, &journal, format, &mut streamed).unwrap();
                prop_assert_eq!(String::from_utf8(streamed).unwrap(), apply_text, "{:?}", format);
                prop_assert_eq!(&tally, &whole.tally());
                prop_assert_eq!(&tally_apply(&plan_path, &journal).unwrap(), &whole.tally());
                let mut streamed = Vec::new();
                let tally = write_rollback_report(&journal, format, &mut streamed).unwrap();
                prop_assert_eq!(String::from_utf8(streamed).unwrap(), rollback_text, "{:?}", format);
                prop_assert_eq!(&tally, &rollback.tally());
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
