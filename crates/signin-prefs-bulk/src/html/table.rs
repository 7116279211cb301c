//! The per-user table's data: column names and rows, kept as compact JSON (an array of arrays)
//! as the rows are made, for the page's script to page, filter and sort. A hundred thousand rows
//! become a few megabytes of JSON, not a hundred thousand DOM rows.

use crate::readiness::UserReadiness;
use crate::readiness_csv::{USERS_CSV_HEADER, users_csv_row};
use crate::report::{CSV_HEADER, ReportRow, csv_record};

/// A table's columns and rows, as the JSON the page embeds.
#[derive(Debug, Clone)]
pub struct TableRows {
    columns: Vec<String>,
    /// `[[…],[…],…` so far; the closing `]` is added when read.
    json: String,
    rows: usize,
}

impl TableRows {
    /// An empty table with these columns.
    pub fn new(columns: &[&str]) -> Self {
        Self {
            columns: columns.iter().map(|column| (*column).to_owned()).collect(),
            json: String::from("["),
            rows: 0,
        }
    }

    /// The run report's table: the report's CSV columns.
    pub fn report() -> Self {
        Self::new(&CSV_HEADER)
    }

    /// Readiness's table: the per-user CSV's columns.
    pub fn readiness() -> Self {
        Self::new(&USERS_CSV_HEADER)
    }

    /// Adds a row of cells, in the columns' order.
    pub fn push(&mut self, cells: &[String]) {
        if self.rows > 0 {
            self.json.push(',');
        }
        // A list of strings always serializes.
        self.json
            .push_str(&serde_json::to_string(cells).unwrap_or_else(|_| "[]".into()));
        self.rows += 1;
    }

    /// Adds a report row.
    pub fn push_report_row(&mut self, row: &ReportRow) {
        self.push(&csv_record(row));
    }

    /// Adds a readiness user.
    pub fn push_user(&mut self, user: &UserReadiness) {
        self.push(&users_csv_row(user));
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The columns.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// `{"columns":[…],"rows":[[…],…]}`, not yet escaped for a script element.
    pub(crate) fn to_json(&self) -> String {
        let columns = serde_json::to_string(&self.columns).unwrap_or_else(|_| "[]".into());
        format!("{{\"columns\":{columns},\"rows\":{}]}}", self.json)
    }
}
