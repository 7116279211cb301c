//! What `doctor` found, check by check: printed as it is found for people (`check:  text`), or as
//! one JSON document at the end with `--output json` (CSV: a `check,status,detail` row each).

use serde::Serialize;

use super::output::Output;
use super::stdout::{print, say};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Status {
    /// What was found, neither good nor bad (the service, the credential chosen).
    Info,
    /// The check passed.
    Ok,
    /// Something a run needs is missing; the detail says what to grant or do.
    Problem,
    /// The check could not be made (the service refused or could not be reached).
    Failed,
}

/// One check's finding.
#[derive(Debug, Serialize)]
struct Finding {
    check: &'static str,
    status: Status,
    detail: String,
}

/// The findings so far, and how they are shown.
pub(crate) struct Findings {
    output: Output,
    found: Vec<Finding>,
}

impl Findings {
    pub(crate) fn new(output: Output) -> Self {
        if output == Output::Csv {
            say!("check,status,detail");
        }
        Self {
            output,
            found: Vec::new(),
        }
    }

    pub(crate) fn info(&mut self, check: &'static str, detail: String) {
        self.add(check, Status::Info, detail);
    }

    pub(crate) fn ok(&mut self, check: &'static str, detail: String) {
        self.add(check, Status::Ok, detail);
    }

    pub(crate) fn problem(&mut self, check: &'static str, detail: String) {
        self.add(check, Status::Problem, detail);
    }

    pub(crate) fn failed(&mut self, check: &'static str, detail: String) {
        self.add(check, Status::Failed, detail);
    }

    fn add(&mut self, check: &'static str, status: Status, detail: String) {
        match self.output {
            Output::Table => {
                let prefix = match status {
                    Status::Info => "",
                    Status::Ok => "ok: ",
                    Status::Problem => "PROBLEM: ",
                    Status::Failed => "FAILED: ",
                };
                say!("{:<13}{prefix}{detail}", format!("{check}:"));
            }
            Output::Csv => say!(
                "{},{},\"{}\"",
                check,
                serde_json::to_value(status)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                detail.replace('"', "\"\"")
            ),
            Output::Json => {}
        }
        self.found.push(Finding {
            check,
            status,
            detail,
        });
    }

    /// Ends the report with the verdict (`problems` of them, and whether a check failed); the
    /// exit code: 0 ready, 1 not.
    pub(crate) fn finish(self, problems: usize) -> i32 {
        let failed = self.found.iter().any(|f| f.status == Status::Failed);
        let ready = problems == 0 && !failed;
        match self.output {
            Output::Table if ready => say!("ready"),
            Output::Table if problems > 0 => say!("{problems} problem(s): fix them before a run"),
            Output::Table | Output::Csv => {}
            Output::Json => print(&format!(
                "{}\n",
                serde_json::json!({
                    "ready": ready,
                    "problems": problems,
                    "checks": self.found,
                })
            )),
        }
        i32::from(!ready)
    }
}
