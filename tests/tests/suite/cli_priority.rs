//! `x-ms-throttle-priority` through the binary: the bulk commands send `low` unless `--priority`
//! says otherwise, a single get sends none, and a value Graph does not know is refused before
//! anything is sent.

use signin_prefs_emulator::{EmulatorHandle, PriorityCounts};

use crate::cli_scenarios::{emulator, plan_adele_to_push, run_cli};

/// What the emulator counted since `before`, by priority.
fn since(emulator: &EmulatorHandle, before: PriorityCounts) -> [(&'static str, u64); 4] {
    let now = emulator.priorities();
    [
        ("absent", now.absent - before.absent),
        ("low", now.low - before.low),
        ("normal", now.normal - before.normal),
        ("high", now.high - before.high),
    ]
}

/// Only `wanted` was sent, at least once.
fn only(counts: [(&'static str, u64); 4], wanted: &str) {
    for (name, count) in counts {
        if name == wanted {
            assert!(count > 0, "no request with {wanted}: {counts:?}");
        } else {
            assert_eq!(count, 0, "{name} sent: {counts:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_commands_send_low_priority_and_priority_changes_it() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let run = |args: &[&str]| {
        let (code, _, stderr) = run_cli(&base, &token, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    };

    let before = emulator.priorities();
    let plan = plan_adele_to_push(&base, &token, "priority");
    let dir = plan.parent().unwrap();
    let plan_text = plan.to_str().unwrap();
    run(&["apply", plan_text]);
    run(&["readiness"]);
    only(since(&emulator, before), "low");

    let before = emulator.priorities();
    let journal = dir.join("plan.json.journal.jsonl");
    run(&["rollback", journal.to_str().unwrap(), "--priority", "high"]);
    only(since(&emulator, before), "high");

    let before = emulator.priorities();
    run(&["get", "adele@contoso.com"]);
    only(since(&emulator, before), "absent");

    // A value Graph would silently take as normal is the operator's mistake: exit 2, nothing sent.
    let before = emulator.priorities();
    let (code, _, stderr) = run_cli(
        &base,
        &token,
        &["apply", plan_text, "--resume", "--priority", "urgent"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("low, normal or high"), "{stderr}");
    assert_eq!(since(&emulator, before).map(|(_, count)| count), [0; 4]);
}
