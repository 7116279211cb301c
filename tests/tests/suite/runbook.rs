//! The migration runbook (`docs/migration-runbook.md`) runs as written: every `sh` block, in the
//! order written, in one shell against the emulator its first block starts, so that no command in
//! it can drift from the tool.

use std::path::Path;

use crate::readme_examples::{run_in_sh, scratch};

fn runbook() -> String {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(workspace.join("docs/migration-runbook.md")).unwrap()
}

/// The bodies of every fenced block tagged `language`, in order.
fn blocks(text: &str, language: &str) -> Vec<String> {
    let fence = format!("```{language}\n");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("a fenced block is closed");
        found.push(body[..end].to_owned());
        rest = &body[end + 3..];
    }
    found
}

#[cfg(unix)]
#[test]
fn every_command_of_the_runbook_runs_as_written() {
    let text = runbook();
    let blocks = blocks(&text, "sh");
    let script = blocks.concat();
    // The steps it promises, each a command that runs.
    for step in [
        "signin-prefs doctor",
        "signin-prefs readiness",
        "signin-prefs plan",
        "signin-prefs apply",
        "--resume",
        "signin-prefs report",
        "signin-prefs rollback",
    ] {
        assert!(script.contains(step), "the runbook runs no `{step}`");
    }
    let folder = scratch("runbook");
    let (stdout, _) = run_in_sh(&script, &folder);
    assert!(
        stdout.contains("ready"),
        "doctor found the credential ready: {stdout}"
    );
    // The files each step is said to leave.
    for kept in [
        "readiness.csv",
        "plan.json",
        "plan-review.csv",
        "plan.json.journal.jsonl",
        "report.csv",
        "report.json",
        "plan.json.journal.jsonl.rollback.jsonl",
    ] {
        assert!(folder.join(kept).exists(), "no {kept}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["finished"], true, "{report}");
    assert!(
        report["counts"]["applied"].as_u64().is_some_and(|n| n > 0),
        "the runbook moved someone: {report}"
    );
    assert!(report["counts"].get("failed").is_none(), "{report}");
    std::fs::remove_dir_all(&folder).unwrap();
}
