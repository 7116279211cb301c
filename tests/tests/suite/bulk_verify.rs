//! `--verify` accounts for every user it reads back (issue 18, item 2): a read-back is retried like
//! any read, and one that still fails is an outcome of its own, `unverified`, counted in the
//! report and making the run partial, never a silent gap.

use std::path::{Path, PathBuf};

use signin_prefs_bulk::apply::{MAX_BATCH, Progress, RunOptions, apply};
use signin_prefs_bulk::journal::{self, JournalState};
use signin_prefs_bulk::plan::{Action, Plan};
use signin_prefs_bulk::report::Verdict;
use signin_prefs_emulator::{FaultKind, FaultRoute, FaultRule};

use crate::bulk_scenarios::{Setup, apply_report, planned, quiet, setup, sms_to_push};

/// `apply --resume --verify`.
async fn resume_verified(setup: &Setup, plan: &Path, journal: &Path) -> JournalState {
    let options = RunOptions {
        verify: true,
        ..RunOptions::default()
    };
    apply(&setup.client, plan, journal, true, &options, &mut |_| {})
        .await
        .unwrap()
}

/// A plan applied without verification, for a resume to verify.
async fn applied(setup: &Setup) -> (Plan, PathBuf, PathBuf) {
    let (plan, plan_path) = planned(setup, &sms_to_push(Vec::new())).await;
    let journal_path = setup.dir.join("journal.jsonl");
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(apply_report(&plan, &state).verdict(), Verdict::Success);
    (plan, plan_path, journal_path)
}

#[tokio::test]
async fn a_garbled_read_back_is_read_again() {
    let setup = setup("verify-again", quiet()).await;
    let (plan, plan_path, journal_path) = applied(&setup).await;
    // The resume's first `$batch` is a read-back: its answer is garbled, once.
    setup
        .emulator
        .add_fault(FaultRule::always(FaultRoute::Batch, FaultKind::MalformedBody).times(1));
    let state = resume_verified(&setup, &plan_path, &journal_path).await;
    let report = apply_report(&plan, &state);
    let changed = plan
        .entries
        .iter()
        .filter(|entry| entry.action == Action::Change)
        .count();
    assert_eq!(
        report.counts.get("applied"),
        Some(&changed),
        "{:?}",
        report.counts
    );
    assert!(
        report
            .rows
            .iter()
            .filter(|row| row.outcome == "applied")
            .all(|row| row.verified == Some(true)),
        "every changed user read back"
    );
    assert_eq!(report.verdict(), Verdict::Success);
}

#[tokio::test]
async fn a_read_back_that_keeps_failing_is_unverified() {
    let setup = setup("verify-fails", quiet()).await;
    let (plan, plan_path, journal_path) = applied(&setup).await;
    let unreadable = plan
        .entries
        .iter()
        .find(|entry| entry.action == Action::Change)
        .unwrap()
        .user
        .clone();
    setup.emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::GatewayTimeout {
                retry_after_seconds: 0,
            },
        )
        .for_user(&unreadable),
    );
    let state = resume_verified(&setup, &plan_path, &journal_path).await;
    assert_eq!(state, journal::read(&journal_path).unwrap());
    let report = apply_report(&plan, &state);
    let changed = plan.summary.change;
    assert_eq!(
        report.counts.get("unverified"),
        Some(&1),
        "{:?}",
        report.counts
    );
    assert_eq!(report.counts.get("applied"), Some(&(changed - 1)));
    let row = report
        .rows
        .iter()
        .find(|row| row.user == unreadable)
        .unwrap();
    assert_eq!(row.verified, None);
    assert!(
        row.detail.contains("could not be read back"),
        "{}",
        row.detail
    );
    assert_eq!(report.verdict(), Verdict::Partial);
    assert!(report.to_table(false).contains(&unreadable));
    assert!(report.to_csv().contains(",unverified,"));

    // Once the user can be read, a resume with verification settles it.
    setup.emulator.clear_faults();
    let state = resume_verified(&setup, &plan_path, &journal_path).await;
    let report = apply_report(&plan, &state);
    assert_eq!(report.counts.get("applied"), Some(&changed));
    assert_eq!(report.verdict(), Verdict::Success);
}

/// The progress a verification announces counts the users it reads back, no more (a last
/// read-back batch that is not full counts as what it holds).
#[tokio::test]
async fn verifying_announces_the_users_it_reads_back() {
    let setup = setup("verify-count", quiet()).await;
    // Three of the users to change are excluded, so that the read-backs end on a batch not full.
    let (everyone, _) = planned(&setup, &sms_to_push(Vec::new())).await;
    let excluded: Vec<String> = everyone
        .entries
        .iter()
        .filter(|entry| entry.action == Action::Change)
        .take(3)
        .map(|entry| entry.user.clone())
        .collect();
    let (plan, plan_path) = planned(&setup, &sms_to_push(excluded)).await;
    let changed = plan
        .entries
        .iter()
        .filter(|entry| entry.action == Action::Change)
        .count();
    assert!(
        changed % MAX_BATCH != 0,
        "a last batch that is not full: {changed}"
    );
    let options = RunOptions {
        verify: true,
        ..RunOptions::default()
    };
    let mut announced = Vec::new();
    apply(
        &setup.client,
        &plan_path,
        &setup.dir.join("journal.jsonl"),
        false,
        &options,
        &mut |event| {
            if let Progress::Verifying { users } = event {
                announced.push(users);
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(announced, [changed]);
}
