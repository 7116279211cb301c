//! The report: every targeted user accounted for, as a table, JSON or CSV.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::journal::{JournalState, Status, UserEntry};
use crate::outcome::Outcome;
use crate::plan::{Action, Plan, PlanEntry, Preferences};
use crate::prepare::describe;

/// How many users the table lists before it says how many more there are.
pub(crate) const TABLE_LIMIT: usize = 20;

/// One user's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRow {
    /// The user's key.
    pub user: String,
    /// What the plan said to do (`change`, `alreadyCompliant`, …); `rollback` for rollbacks.
    pub planned: String,
    /// The values before.
    pub before: Option<Preferences>,
    /// The values aimed at.
    pub target: Option<Preferences>,
    /// What happened: applied (rollback: restored), recovered, unverified (changed, but its
    /// read-back could not be made), failed, skipped, drifted, notRun, compliant, ineligible,
    /// excluded, notFrom, disabled, error.
    pub outcome: String,
    /// The read-back, when one was made.
    pub verified: Option<bool>,
    /// Why, when there is more to say.
    pub detail: String,
    /// Graph's request-id of a failure.
    pub request_id: Option<String>,
    /// Which run settled the user: 1 for the first, one more for each resume.
    pub run: Option<u32>,
    /// For a drifted user, the values read just before the write, which differ from `before`,
    /// those the plan was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<Preferences>,
}

/// Every user of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// One row per user, in plan order.
    pub rows: Vec<ReportRow>,
    /// Rows per outcome.
    pub counts: BTreeMap<String, usize>,
    /// Whether the run reached its end (a killed run can be resumed).
    pub finished: bool,
}

/// How a run ended, for exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every change made (or nothing needed changing).
    Success,
    /// Some users failed, were not reached, drifted since planning, or could not be checked
    /// (a read-back that differs, or one that could not be made).
    Partial,
    /// Changes were planned and none was made.
    NothingDone,
}

/// A run's counts per outcome, and what else its verdict needs: the report without its rows,
/// which a large run can have without building a row per user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Users per outcome, as the report's rows would count them.
    pub counts: BTreeMap<String, usize>,
    /// Users whose read-back did not hold the values set.
    pub verify_failed: usize,
    /// Whether the run reached its end.
    pub finished: bool,
}

impl Tally {
    /// The tally of [`Report::for_apply`].
    pub fn for_apply(plan: &Plan, journal: &JournalState) -> Self {
        let mut tally = Self::new(journal.finished);
        for entry in &plan.entries {
            match unsent_outcome(entry.action) {
                Some(outcome) => tally.add(outcome.name(), None),
                None => {
                    let (outcome, verified) = journal_outcome(journal.user(&entry.user).as_ref());
                    tally.add(outcome.name(), verified);
                }
            }
        }
        tally
    }

    /// The tally of [`Report::for_rollback`].
    pub fn for_rollback(journal: &JournalState) -> Self {
        let mut tally = Self::new(journal.finished);
        for (_, entry) in journal.users() {
            let (outcome, verified) = journal_outcome(Some(&entry));
            tally.add(restored(outcome).name(), verified);
        }
        tally
    }

    pub(crate) fn new(finished: bool) -> Self {
        Self {
            counts: BTreeMap::new(),
            verify_failed: 0,
            finished,
        }
    }

    /// Counts one more user, with its row's outcome and read-back.
    pub(crate) fn add(&mut self, outcome: &str, verified: Option<bool>) {
        match self.counts.get_mut(outcome) {
            Some(count) => *count += 1,
            None => {
                self.counts.insert(outcome.to_owned(), 1);
            }
        }
        self.verify_failed += usize::from(verified == Some(false));
    }

    /// Success, partial failure, or nothing done.
    pub fn verdict(&self) -> Verdict {
        let count = |outcome: Outcome| self.counts.get(outcome.name()).copied().unwrap_or(0);
        let made: usize = Outcome::ALL
            .into_iter()
            .filter(|outcome| outcome.changed())
            .map(count)
            .sum();
        // A drifted user was left as someone else set it: the plan's change was not made. An
        // unverified one was changed, but whether it holds is not known.
        let missed = count(Outcome::Failed)
            + count(Outcome::NotRun)
            + count(Outcome::Error)
            + count(Outcome::Drifted)
            + count(Outcome::Unverified)
            + self.verify_failed;
        if missed == 0 && self.finished {
            Verdict::Success
        } else if made == 0 && count(Outcome::Failed) + count(Outcome::NotRun) > 0 {
            Verdict::NothingDone
        } else {
            Verdict::Partial
        }
    }
}

impl Report {
    /// The report of an apply run: the plan's users, with the journal's outcomes.
    pub fn for_apply(plan: &Plan, journal: &JournalState) -> Self {
        let rows = plan
            .entries
            .iter()
            .map(|entry| apply_row(entry, journal))
            .collect();
        Self::from_rows(rows, journal.finished)
    }

    /// The report of a rollback run, from its journal alone.
    pub fn for_rollback(journal: &JournalState) -> Self {
        let rows = journal
            .users()
            .map(|(user, entry)| rollback_row(user, &entry, journal))
            .collect();
        Self::from_rows(rows, journal.finished)
    }

    fn from_rows(rows: Vec<ReportRow>, finished: bool) -> Self {
        let mut counts = BTreeMap::new();
        for row in &rows {
            *counts.entry(row.outcome.clone()).or_insert(0) += 1;
        }
        Self {
            rows,
            counts,
            finished,
        }
    }

    /// Success, partial failure, or nothing done.
    pub fn verdict(&self) -> Verdict {
        self.tally().verdict()
    }

    /// What the verdict is made of.
    pub fn tally(&self) -> Tally {
        Tally {
            counts: self.counts.clone(),
            verify_failed: self
                .rows
                .iter()
                .filter(|row| row.verified == Some(false))
                .count(),
            finished: self.finished,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        crate::layout::to_text(self).unwrap_or_default()
    }

    /// CSV, one row per user.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(CSV_HEADER);
        for row in &self.rows {
            let _ = writer.write_record(csv_record(row));
        }
        writer
            .into_inner()
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// A table for people: counts, then the users that need attention (failed, not run, skipped, drifted,
    /// ineligible, unverified, read back differing); every user with `all_rows`.
    pub fn to_table(&self, all_rows: bool) -> String {
        let mut text = table_header(self.rows.len(), &self.counts, self.finished);
        let shown: Vec<&ReportRow> = self
            .rows
            .iter()
            .filter(|row| needs_attention(row, all_rows))
            .collect();
        if shown.is_empty() {
            return text;
        }
        let limit = if all_rows { shown.len() } else { TABLE_LIMIT };
        let hidden = shown.len().saturating_sub(limit);
        let shown: Vec<&ReportRow> = shown.into_iter().take(limit).collect();
        let width = table_width(shown.iter().copied());
        text.push_str(&table_columns(width));
        for row in shown {
            text.push_str(&table_line(row, width));
        }
        text.push_str(&table_more(hidden));
        text
    }

    /// Writes the report in `format` (`json`, `csv` or `table`) with owner-only permissions: it
    /// names users and their MFA setup.
    pub fn write(&self, path: &std::path::Path, format: &str) -> Result<(), crate::Error> {
        let text = match format {
            "json" => self.to_json(),
            "csv" => self.to_csv(),
            _ => self.to_table(true),
        };
        crate::files::write_private(path, text.as_bytes())
    }
}

/// The columns of the CSV form.
pub(crate) const CSV_HEADER: [&str; 13] = [
    "user",
    "planned",
    "beforeMethod",
    "beforeSystemPreferred",
    "targetMethod",
    "targetSystemPreferred",
    "outcome",
    "verified",
    "detail",
    "requestId",
    "run",
    "nowMethod",
    "nowSystemPreferred",
];

/// A row in the CSV form.
pub(crate) fn csv_record(row: &ReportRow) -> [String; 13] {
    let method = |p: &Option<Preferences>| {
        p.as_ref()
            .and_then(|p| p.method.clone())
            .unwrap_or_default()
    };
    let flag = |p: &Option<Preferences>| {
        p.as_ref()
            .and_then(|p| p.system_preferred)
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    [
        row.user.clone(),
        row.planned.clone(),
        method(&row.before),
        flag(&row.before),
        method(&row.target),
        flag(&row.target),
        row.outcome.clone(),
        row.verified.map(|v| v.to_string()).unwrap_or_default(),
        row.detail.clone(),
        row.request_id.clone().unwrap_or_default(),
        row.run.map(|run| run.to_string()).unwrap_or_default(),
        method(&row.now),
        flag(&row.now),
    ]
}

/// The table's first line: how many users, per outcome.
pub(crate) fn table_header(
    users: usize,
    counts: &BTreeMap<String, usize>,
    finished: bool,
) -> String {
    let counts: Vec<String> = counts
        .iter()
        .map(|(outcome, n)| format!("{outcome} {n}"))
        .collect();
    format!(
        "{users} users: {}{}\n",
        counts.join(", "),
        if finished {
            ""
        } else {
            " (run not finished: resume it)"
        }
    )
}

/// Whether the table lists `row`: users that need attention (failed, not run, skipped, drifted, ineligible,
/// unverified, read back differing), or everyone with `all_rows`.
pub(crate) fn needs_attention(row: &ReportRow, all_rows: bool) -> bool {
    all_rows
        || row.verified == Some(false)
        || Outcome::from_name(&row.outcome).is_some_and(Outcome::needs_attention)
}

/// The width of the table's user column for the rows it shows.
pub(crate) fn table_width<'a>(shown: impl Iterator<Item = &'a ReportRow>) -> usize {
    shown
        .map(|row| row.user.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 48)
}

/// The table's column headings.
pub(crate) fn table_columns(width: usize) -> String {
    format!(
        "{:<width$}  {:<10}  {:<48}  DETAIL\n",
        "USER", "OUTCOME", "BEFORE -> TARGET"
    )
}

/// One user's line of the table.
pub(crate) fn table_line(row: &ReportRow, width: usize) -> String {
    let change = match (&row.before, &row.target) {
        (Some(before), Some(target)) => format!("{} -> {}", short(before), short(target)),
        (Some(before), None) => short(before),
        _ => String::new(),
    };
    let outcome = match row.verified {
        // The read-back differs; "unverified" is the outcome of one that could not be made.
        Some(false) => format!("{} (differs)", row.outcome),
        _ => row.outcome.clone(),
    };
    format!(
        "{:<width$}  {:<10}  {:<48}  {}\n",
        row.user, outcome, change, row.detail
    )
}

/// The table's last line, when it leaves rows out.
pub(crate) fn table_more(hidden: usize) -> String {
    if hidden == 0 {
        return String::new();
    }
    format!("… and {hidden} more; all of them with --all, or --output csv\n")
}

/// An apply report's row for one plan entry.
pub(crate) fn apply_row(entry: &PlanEntry, journal: &JournalState) -> ReportRow {
    let mut row = ReportRow {
        user: entry.user.clone(),
        planned: entry.action.name().to_owned(),
        before: Some(entry.current.clone()),
        target: entry.target.clone(),
        outcome: String::new(),
        verified: None,
        detail: entry.reason.clone(),
        request_id: None,
        run: None,
        now: None,
    };
    match unsent_outcome(entry.action) {
        Some(outcome) => row.outcome = outcome.name().into(),
        None => {
            fill_from_journal(&mut row, journal);
        }
    }
    row
}

/// A rollback report's row for one user of its journal.
pub(crate) fn rollback_row(user: &str, entry: &UserEntry, journal: &JournalState) -> ReportRow {
    let mut row = ReportRow {
        user: user.to_owned(),
        planned: "rollback".into(),
        before: entry.attempt.as_ref().map(|(before, _)| before.clone()),
        target: entry.attempt.as_ref().map(|(_, after)| after.clone()),
        outcome: String::new(),
        verified: None,
        detail: String::new(),
        request_id: None,
        run: None,
        now: None,
    };
    let outcome = fill_from_journal(&mut row, journal);
    row.outcome = restored(outcome).name().to_owned();
    row
}

/// A rollback's outcome: what an apply calls `applied`, a PATCH that landed, a rollback calls
/// `restored` (the journal records both as `applied`, so journals of every age read alike).
fn restored(outcome: Outcome) -> Outcome {
    if outcome == Outcome::Applied {
        Outcome::Restored
    } else {
        outcome
    }
}

fn short(preferences: &Preferences) -> String {
    format!(
        "{}/{}",
        preferences.method.as_deref().unwrap_or("-"),
        match preferences.system_preferred {
            Some(true) => "on",
            Some(false) => "off",
            None => "-",
        }
    )
}

/// The outcome of a user the plan did not send a PATCH for; `None` for a change.
fn unsent_outcome(action: Action) -> Option<Outcome> {
    match action {
        Action::Change => None,
        Action::AlreadyCompliant => Some(Outcome::Compliant),
        Action::Ineligible => Some(Outcome::Ineligible),
        Action::Error => Some(Outcome::Error),
        Action::Excluded => Some(Outcome::Excluded),
        Action::NotFrom => Some(Outcome::NotFrom),
        Action::Disabled => Some(Outcome::Disabled),
    }
}

/// The outcome a user's journal entry records, and its read-back.
fn journal_outcome(entry: Option<&UserEntry>) -> (Outcome, Option<bool>) {
    let Some(entry) = entry else {
        return (Outcome::NotRun, None);
    };
    let outcome = match &entry.outcome {
        // Changed, but the read-back asked for could not be made.
        Some((Status::Applied | Status::Recovered, _, _))
            if entry.verified.is_none() && entry.unverified.is_some() =>
        {
            Outcome::Unverified
        }
        Some((Status::Applied, _, _)) => Outcome::Applied,
        Some((Status::Recovered, _, _)) => Outcome::Recovered,
        Some((Status::Failed, _, _)) => Outcome::Failed,
        Some((Status::Skipped, _, _)) => Outcome::Skipped,
        Some((Status::NotReached, _, _)) => Outcome::NotRun,
        Some((Status::Drifted, _, _)) => Outcome::Drifted,
        None => Outcome::NotRun,
    };
    (outcome, entry.verified.as_ref().map(|(ok, _)| *ok))
}

/// Fills `row` from the journal's entry of its user; returns its outcome.
fn fill_from_journal(row: &mut ReportRow, journal: &JournalState) -> Outcome {
    let entry = journal.user(&row.user);
    let (outcome, verified) = journal_outcome(entry.as_ref());
    row.outcome = outcome.name().into();
    row.verified = verified;
    match entry {
        Some(entry) => {
            if let (Some((Status::Drifted, _, _)), Some((now, _))) =
                (&entry.outcome, &entry.attempt)
            {
                // The attempt of a drifted user carries the values read just before the write.
                row.now = Some(now.clone());
            }
            if let Some((_, detail, request_id)) = &entry.outcome {
                if let Some(detail) = detail {
                    row.detail = detail.clone();
                }
                row.request_id = request_id.clone();
                row.run = Some(entry.run);
            } else {
                row.detail = "sent, outcome unknown (interrupted, or its answer and its read-back both failed): resume to settle it".into();
            }
            if let Some((false, observed)) = &entry.verified {
                row.detail = format!("read back {}", describe(observed));
            }
            if let (None, Some(reason)) = (&entry.verified, &entry.unverified) {
                row.detail = reason.clone();
            }
        }
        None => row.detail = "not reached (interrupted): resume to finish".into(),
    }
    outcome
}
