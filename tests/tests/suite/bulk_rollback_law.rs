//! Apply, then rollback, under garbled answers, failures and kills: every user ends as it was
//! before the apply, except users someone else changed in between, whom the rollback spares and
//! reports (issue 18, item 1). An answer that cannot be read leaves its users in doubt until they
//! are read back, never failed, so the rollback knows everyone the apply changed.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::plan::Preferences;
use signin_prefs_bulk::report::Verdict;
use signin_prefs_emulator::{
    FaultKind, FaultRoute, FaultRule, TokenRequest, UserState, permissions,
};

use crate::bulk_drift::{live, set};
use crate::bulk_scenarios::{
    kill_when_grown, planned, push_or_oath_system_preferred, quiet, rollback_report,
    rollback_until_done, setup, spawn_child_apply, spawn_child_rollback,
};

/// A fault on `$batch` answers: garbled (unreadable, cut short, reset after processing) or
/// refused (503, 504).
fn fault() -> impl Strategy<Value = FaultKind> {
    prop::sample::select(vec![
        FaultKind::MalformedBody,
        FaultKind::TruncatedBody,
        FaultKind::ConnectionReset,
        FaultKind::ServiceUnavailable {
            retry_after_seconds: 0,
        },
        FaultKind::GatewayTimeout {
            retry_after_seconds: 0,
        },
    ])
}

/// Garbled answers always, at 5 to 20%, and up to three more faults beside them.
fn faults() -> impl Strategy<Value = Vec<(FaultKind, f64)>> {
    (
        0.05..0.2f64,
        prop::collection::vec((fault(), 0.02..0.12f64), 0..4),
    )
        .prop_map(|(garbled, mut others)| {
            others.insert(0, (FaultKind::MalformedBody, garbled));
            others
        })
}

/// Kills: of the apply, then of the rollback.
#[derive(Debug, Clone, Copy)]
struct Kills {
    apply: u64,
    rollback: u64,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// The law: after apply then rollback (each killed and resumed, each resumed until it stops,
    /// as an operator would), under any mix of garbled and refused answers, every user holds
    /// what it held before the apply, except users someone else changed after the apply: those
    /// the rollback leaves as they are and reports as skipped.
    #[test]
    fn apply_then_rollback_restores_everyone_the_run_changed(
        faults in faults(),
        kills in (0..3u64, 0..3u64).prop_map(|(apply, rollback)| Kills { apply, rollback }),
        edits in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(rollback_law(faults, kills, edits));
    }
}

async fn rollback_law(
    faults: Vec<(FaultKind, f64)>,
    kills: Kills,
    edits: Vec<prop::sample::Index>,
) {
    let setup = setup("rollback-law", quiet()).await;
    let emulator = &setup.emulator;
    let (plan, plan_path) = planned(&setup, &push_or_oath_system_preferred("law")).await;
    assert!(plan.summary.change >= 30, "{:?}", plan.summary);
    let before: Vec<(String, UserState)> = (0..emulator.user_count())
        .map(|index| {
            let record = emulator.user_at(index).unwrap();
            (record.user_principal_name, record.state)
        })
        .collect();
    // Planned on a quiet service; applied and rolled back under the faults, every `$batch` (the
    // reads before the writes and the read-backs included) slow enough for a kill to land mid-run.
    for (kind, probability) in faults {
        emulator
            .add_fault(FaultRule::always(FaultRoute::Batch, kind).with_probability(probability));
    }
    emulator.add_fault(FaultRule::always(
        FaultRoute::Batch,
        FaultKind::Delay(Duration::from_millis(10)),
    ));
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let options = RunOptions {
        batch_size: 5,
        concurrency: 2,
        ..RunOptions::default()
    };

    let journal_path = setup.dir.join("journal.jsonl");
    for round in 0..kills.apply {
        let child = spawn_child_apply(
            &emulator.base_url(),
            &token,
            &plan_path,
            &journal_path,
            2,
            None,
        );
        kill_when_grown(child, &journal_path, 200 + (round * 211) % 700).await;
    }
    // One more run settles what it can; whether everyone got through does not matter here.
    apply(
        &setup.client,
        &plan_path,
        &journal_path,
        journal_path.exists(),
        &options,
        &mut |_| {},
    )
    .await
    .unwrap();

    // Someone else changes some of the users the apply changed, to values neither the apply's
    // nor those before it.
    let changed: Vec<&(String, UserState)> = before
        .iter()
        .filter(|(user, state)| emulator.user(user).unwrap().state != *state)
        .collect();
    let mut edited: BTreeMap<String, Preferences> = BTreeMap::new();
    for index in edits {
        if changed.is_empty() {
            break;
        }
        let (user, _) = index.get(&changed);
        let values = Preferences {
            method: Some("voiceMobile".into()),
            ..live(emulator, user)
        };
        set(emulator, user, &values);
        edited.insert(user.clone(), values);
    }

    let rollback_path = setup.dir.join("rollback.jsonl");
    for round in 0..kills.rollback {
        let child = spawn_child_rollback(
            &emulator.base_url(),
            &token,
            &journal_path,
            &rollback_path,
            2,
        );
        kill_when_grown(child, &rollback_path, 200 + (round * 173) % 600).await;
    }
    // As the operator would: `rollback`, then `rollback --resume` until it stops.
    let rolled = rollback_until_done(&setup.client, &journal_path, &rollback_path, &options).await;
    let report = rollback_report(&rolled);
    assert_eq!(report.verdict(), Verdict::Success, "{:?}", report.counts);

    for (user, was) in &before {
        match edited.get(user) {
            Some(values) => {
                assert_eq!(
                    &live(emulator, user),
                    values,
                    "{user}: changed since, spared"
                );
                let row = report
                    .rows
                    .iter()
                    .find(|row| row.user.eq_ignore_ascii_case(user));
                assert!(
                    row.is_some_and(
                        |row| row.outcome == "skipped" && row.detail.contains("changed since")
                    ),
                    "{user}: spared but not reported: {row:?}"
                );
            }
            None => assert_eq!(
                &emulator.user(user).unwrap().state,
                was,
                "{user}: not as before the apply"
            ),
        }
    }
    assert_eq!(
        report.counts.get("skipped").copied().unwrap_or(0),
        edited.len(),
        "{:?}",
        report.counts
    );
    std::fs::remove_dir_all(&setup.dir).unwrap();
}
