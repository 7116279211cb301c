//! The report: every targeted user accounted for, as a table, JSON or CSV.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::apply::describe;
use crate::journal::{JournalState, Status};
use crate::plan::{Action, Plan, Preferences};

/// How many users the table lists before it says how many more there are.
const TABLE_LIMIT: usize = 20;

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
    /// What happened: applied, recovered, failed, skipped, notRun, compliant, ineligible, excluded, error.
    pub outcome: String,
    /// The read-back, when one was made.
    pub verified: Option<bool>,
    /// Why, when there is more to say.
    pub detail: String,
    /// Graph's request-id of a failure.
    pub request_id: Option<String>,
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
    /// Some users failed or could not be checked.
    Partial,
    /// Changes were planned and none was made.
    NothingDone,
}

impl Report {
    /// The report of an apply run: the plan's users, with the journal's outcomes.
    pub fn for_apply(plan: &Plan, journal: &JournalState) -> Self {
        let rows = plan
            .entries
            .iter()
            .map(|entry| {
                let mut row = ReportRow {
                    user: entry.user.clone(),
                    planned: entry.action.name().to_owned(),
                    before: Some(entry.current.clone()),
                    target: entry.target.clone(),
                    outcome: String::new(),
                    verified: None,
                    detail: entry.reason.clone(),
                    request_id: None,
                };
                match entry.action {
                    Action::Change => fill_from_journal(&mut row, journal),
                    Action::AlreadyCompliant => row.outcome = "compliant".into(),
                    Action::Ineligible => row.outcome = "ineligible".into(),
                    Action::Error => row.outcome = "error".into(),
                    Action::Excluded => row.outcome = "excluded".into(),
                }
                row
            })
            .collect();
        Self::from_rows(rows, journal.finished)
    }

    /// The report of a rollback run, from its journal alone.
    pub fn for_rollback(journal: &JournalState) -> Self {
        let rows = journal
            .users()
            .map(|(user, entry)| {
                let mut row = ReportRow {
                    user: user.to_owned(),
                    planned: "rollback".into(),
                    before: entry.attempt.as_ref().map(|(before, _)| before.clone()),
                    target: entry.attempt.as_ref().map(|(_, after)| after.clone()),
                    outcome: String::new(),
                    verified: None,
                    detail: String::new(),
                    request_id: None,
                };
                fill_from_journal(&mut row, journal);
                row
            })
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
        let count = |outcome: &str| self.counts.get(outcome).copied().unwrap_or(0);
        let made = count("applied") + count("recovered");
        let missed = count("failed")
            + count("notRun")
            + count("error")
            + self
                .rows
                .iter()
                .filter(|r| r.verified == Some(false))
                .count();
        if missed == 0 && self.finished {
            Verdict::Success
        } else if made == 0 && count("failed") + count("notRun") > 0 {
            Verdict::NothingDone
        } else {
            Verdict::Partial
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        crate::layout::to_text(self).unwrap_or_default()
    }

    /// CSV, one row per user.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record([
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
        ]);
        for row in &self.rows {
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
            let _ = writer.write_record([
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
            ]);
        }
        writer
            .into_inner()
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// A table for people: counts, then the users that need attention (failed, not run, skipped,
    /// ineligible, unverified); every user with `all_rows`.
    pub fn to_table(&self, all_rows: bool) -> String {
        let mut text = String::new();
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(outcome, n)| format!("{outcome} {n}"))
            .collect();
        let _ = writeln!(
            text,
            "{} users: {}{}",
            self.rows.len(),
            counts.join(", "),
            if self.finished {
                ""
            } else {
                " (run not finished: resume it)"
            }
        );
        let needs_attention = |row: &&ReportRow| {
            all_rows
                || row.verified == Some(false)
                || matches!(
                    row.outcome.as_str(),
                    "failed" | "notRun" | "skipped" | "error" | "ineligible"
                )
        };
        let shown: Vec<&ReportRow> = self.rows.iter().filter(needs_attention).collect();
        if shown.is_empty() {
            return text;
        }
        let limit = if all_rows { shown.len() } else { TABLE_LIMIT };
        let hidden = shown.len().saturating_sub(limit);
        let shown: Vec<&ReportRow> = shown.into_iter().take(limit).collect();
        let width = shown
            .iter()
            .map(|row| row.user.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 48);
        let _ = writeln!(
            text,
            "{:<width$}  {:<10}  {:<48}  DETAIL",
            "USER", "OUTCOME", "BEFORE -> TARGET"
        );
        for row in shown {
            let change = match (&row.before, &row.target) {
                (Some(before), Some(target)) => format!("{} -> {}", short(before), short(target)),
                (Some(before), None) => short(before),
                _ => String::new(),
            };
            let outcome = match row.verified {
                Some(false) => format!("{} (unverified)", row.outcome),
                _ => row.outcome.clone(),
            };
            let _ = writeln!(
                text,
                "{:<width$}  {:<10}  {:<48}  {}",
                row.user, outcome, change, row.detail
            );
        }
        if hidden > 0 {
            let _ = writeln!(
                text,
                "… and {hidden} more; all of them with --all, or --output csv"
            );
        }
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

fn fill_from_journal(row: &mut ReportRow, journal: &JournalState) {
    match journal.user(&row.user) {
        Some(entry) => {
            if let Some((status, detail, request_id)) = &entry.outcome {
                row.outcome = match status {
                    Status::Applied => "applied",
                    Status::Recovered => "recovered",
                    Status::Failed => "failed",
                    Status::Skipped => "skipped",
                }
                .into();
                if let Some(detail) = detail {
                    row.detail = detail.clone();
                }
                row.request_id = request_id.clone();
            } else {
                row.outcome = "notRun".into();
                row.detail = "sent, outcome unknown (interrupted): resume to settle it".into();
            }
            if let Some((ok, observed)) = &entry.verified {
                row.verified = Some(*ok);
                if !ok {
                    row.detail = format!("read back {}", describe(observed));
                }
            }
        }
        None => {
            row.outcome = "notRun".into();
            row.detail = "not reached (interrupted): resume to finish".into();
        }
    }
}
