//! The run report's page: what an apply or rollback did, gathered from its rows in one pass
//! (counts, methods before and after, ineligibility reasons, the table) and from the journal's
//! pace, for `report.html`.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Value, context};

use super::charts::{BarChart, PaceChart};
use super::render::{render, script_json};
use super::table::TableRows;
use crate::Error;
use crate::journal::{JournalKind, JournalState};
use crate::outcome::Outcome;
use crate::plan::Preferences;
use crate::report::{ReportRow, Tally};
use crate::report_stream::{check_executed, each_apply_row, each_rollback_row};

/// How many ineligibility reasons the page lists, most common first.
const REASONS_SHOWN: usize = 12;
/// The name a missing default method goes by in the charts.
const NO_METHOD: &str = "none";

/// The HTML report of the apply run `journal` records, reading its plan at `plan_path` entry by
/// entry (refused when it is not the plan the journal executed), and the run's tally.
pub fn apply_report_html(
    plan_path: &Path,
    journal: &JournalState,
    generated_at: &str,
) -> Result<(String, Tally), Error> {
    check_executed(plan_path, journal)?;
    let mut gathered = Gathered::new(journal.finished);
    each_apply_row(plan_path, journal, &mut |row| {
        gathered.add(&row);
        Ok(())
    })?;
    gathered.render(journal, generated_at)
}

/// The HTML report of the rollback run `journal` records, and the run's tally.
pub fn rollback_report_html(
    journal: &JournalState,
    generated_at: &str,
) -> Result<(String, Tally), Error> {
    let mut gathered = Gathered::new(journal.finished);
    each_rollback_row(journal, &mut |row| {
        gathered.add(&row);
        Ok(())
    })?;
    gathered.render(journal, generated_at)
}

/// What the page shows of the rows, gathered as they pass.
struct Gathered {
    tally: Tally,
    before: BTreeMap<String, u64>,
    after: BTreeMap<String, u64>,
    ineligible: BTreeMap<String, u64>,
    table: TableRows,
}

impl Gathered {
    fn new(finished: bool) -> Self {
        Self {
            tally: Tally::new(finished),
            before: BTreeMap::new(),
            after: BTreeMap::new(),
            ineligible: BTreeMap::new(),
            table: TableRows::report(),
        }
    }

    fn add(&mut self, row: &ReportRow) {
        self.tally.add(&row.outcome, row.verified);
        let outcome = Outcome::from_name(&row.outcome);
        if let Some(before) = &row.before {
            *self.before.entry(method(before)).or_default() += 1;
            // Where the user stands after the run, as the journal tells it: the target when the
            // change landed, the values read when someone else had changed the user, and the
            // values before otherwise.
            let after = match (outcome, &row.target, &row.now) {
                (Some(outcome), Some(target), _) if outcome.changed() => target,
                (Some(Outcome::Drifted), _, Some(now)) => now,
                _ => before,
            };
            *self.after.entry(method(after)).or_default() += 1;
        }
        if outcome == Some(Outcome::Ineligible) {
            *self.ineligible.entry(row.detail.clone()).or_default() += 1;
        }
        self.table.push_report_row(row);
    }

    fn render(self, journal: &JournalState, generated_at: &str) -> Result<(String, Tally), Error> {
        let users = self.table.len();
        let outcomes: Vec<_> = Outcome::ALL
            .into_iter()
            .map(|outcome| {
                let count = self.tally.counts.get(outcome.name()).copied().unwrap_or(0);
                context! {
                    name => outcome.name(),
                    meaning => outcome.meaning(),
                    count => count,
                    attention => outcome.needs_attention() && count > 0,
                }
            })
            .collect();
        let outcome_rows: Vec<(String, Vec<u64>)> = Outcome::ALL
            .into_iter()
            .filter_map(|outcome| {
                let count = self.tally.counts.get(outcome.name()).copied()?;
                Some((outcome.name().to_owned(), vec![count as u64]))
            })
            .collect();
        let mut methods: Vec<&String> = self.before.keys().chain(self.after.keys()).collect();
        methods.sort_unstable();
        methods.dedup();
        let method_rows: Vec<(String, Vec<u64>)> = methods
            .into_iter()
            .map(|name| {
                let count = |map: &BTreeMap<String, u64>| map.get(name).copied().unwrap_or(0);
                (name.clone(), vec![count(&self.before), count(&self.after)])
            })
            .collect();
        let mut reasons: Vec<(String, u64)> = self.ineligible.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let reasons_hidden = reasons.len().saturating_sub(REASONS_SHOWN);
        reasons.truncate(REASONS_SHOWN);
        let counts_json = serde_json::to_string(&self.tally.counts).unwrap_or_default();
        let rollback = journal.kind == JournalKind::Rollback;
        let html = render(
            "report.html",
            context! {
                title => if rollback { "Rollback report" } else { "Apply report" },
                rollback => rollback,
                source => &journal.source,
                service => &journal.service,
                generated_at => generated_at,
                started_at => super::utc(journal.run_starts.first().copied().unwrap_or(0)),
                runs => journal.runs,
                finished => journal.finished,
                users => users,
                has_rows => true,
                outcomes => outcomes,
                outcome_chart => Value::from(Serde(BarChart::new(&["users"], &outcome_rows))),
                method_chart => Value::from(Serde(BarChart::new(&["before", "after"], &method_rows))),
                reasons => reasons,
                reasons_hidden => reasons_hidden,
                pace => PaceChart::new(&journal.pace).map(|chart| Value::from(Serde(&chart))),
                counts_json => script_json(&counts_json),
                table_json => script_json(&self.table.to_json()),
            },
        )?;
        Ok((html, self.tally))
    }
}

/// A user's default method as the charts name it.
fn method(preferences: &Preferences) -> String {
    preferences
        .method
        .clone()
        .filter(|method| !method.is_empty())
        .unwrap_or_else(|| NO_METHOD.to_owned())
}
