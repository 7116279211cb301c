//! Drift-safe apply: a user someone changed after planning is never overwritten without
//! `allow_drift`, and the journal records the values really overwritten, so a rollback restores
//! them (issue 14, item 3).

use std::collections::BTreeMap;

use proptest::prelude::*;
use signin_prefs_bulk::apply::{Progress, RunOptions, apply, rollback};
use signin_prefs_bulk::journal::{self, Status};
use signin_prefs_bulk::plan::{Action, Plan, PlanEntry, Preferences};
use signin_prefs_bulk::report::Verdict;
use signin_prefs_emulator::EmulatorHandle;
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::bulk_scenarios::{
    apply_report, method_of, planned, quiet, rollback_report, setup, sms_to_push,
};

/// What the emulator holds for `user`, as a plan writes values.
pub(crate) fn live(emulator: &EmulatorHandle, user: &str) -> Preferences {
    let state = emulator.user(user).unwrap().state;
    Preferences {
        method: state.preferred.map(|method| method.as_str().to_owned()),
        system_preferred: state.system_preferred_enabled,
    }
}

/// Sets `user` to `values`, as an administrator in the portal would.
pub(crate) fn set(emulator: &EmulatorHandle, user: &str, values: &Preferences) {
    let mut state = emulator.user(user).unwrap().state;
    state.preferred = values
        .method
        .as_deref()
        .map(|method| method.parse::<Method>().unwrap());
    state.system_preferred_enabled = values.system_preferred;
    emulator.set_user_state(user, state).unwrap();
}

fn voice_mobile(from: &Preferences) -> Preferences {
    Preferences {
        method: Some("voiceMobile".into()),
        ..from.clone()
    }
}

/// The regression: plan, then `set USER --method voiceMobile`, then apply, then rollback
/// used to leave the user on the plan's old `sms`, the later edit lost twice. Now the apply leaves
/// the user as it is (drifted, the run partial); `allow_drift` writes it, from the values read;
/// and the rollback restores voiceMobile.
#[tokio::test]
async fn a_user_changed_after_planning_is_drifted_and_a_rollback_restores_the_later_edit() {
    let setup = setup("drift-regression", quiet()).await;
    let (plan, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    let touched = "sms-authenticator3@contoso.com";
    let planned_before = plan_entry(&plan, touched).current.clone();
    assert_eq!(planned_before.method.as_deref(), Some("sms"));
    let edited = voice_mobile(&planned_before);
    set(&setup.emulator, touched, &edited);

    let journal_path = setup.dir.join("journal.jsonl");
    let options = RunOptions::default();
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &options,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        method_of(&setup.emulator, touched).as_deref(),
        Some("voiceMobile")
    );
    let report = apply_report(&plan, &state);
    assert_eq!(report.counts.get("drifted"), Some(&1));
    assert_eq!(
        report.counts.get("applied"),
        Some(&(plan.summary.change - 1))
    );
    assert_eq!(
        report.verdict(),
        Verdict::Partial,
        "exit 3: the run was partial"
    );
    let row = report.rows.iter().find(|row| row.user == touched).unwrap();
    assert_eq!(row.outcome, "drifted");
    assert_eq!(row.before.as_ref(), Some(&planned_before));
    assert_eq!(row.now.as_ref(), Some(&edited));
    assert!(
        row.detail.contains("changed since planning"),
        "{}",
        row.detail
    );
    assert!(report.to_csv().contains("voiceMobile"));
    assert!(report.to_json().contains("\"now\""));

    // A resume without allow_drift leaves the drifted user alone.
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        true,
        &options,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        method_of(&setup.emulator, touched).as_deref(),
        Some("voiceMobile")
    );
    assert_eq!(apply_report(&plan, &state).counts.get("drifted"), Some(&1));

    // With allow_drift it is written, and its attempt carries the values read.
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        true,
        &RunOptions {
            allow_drift: true,
            ..RunOptions::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(method_of(&setup.emulator, touched).as_deref(), Some("push"));
    let report = apply_report(&plan, &state);
    assert_eq!(report.counts.get("applied"), Some(&plan.summary.change));
    assert_eq!(report.verdict(), Verdict::Success);
    assert_eq!(
        state
            .user(touched)
            .unwrap()
            .attempt
            .map(|(before, _)| before),
        Some(edited.clone())
    );

    // The rollback restores what was really there: voiceMobile for the edited user.
    let rollback_path = setup.dir.join("rollback.jsonl");
    let rolled = rollback(
        &setup.client,
        &journal_path,
        &rollback_path,
        false,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(rollback_report(&rolled).verdict(), Verdict::Success);
    assert_eq!(live(&setup.emulator, touched), edited);
    for entry in changes(&plan).filter(|entry| entry.user != touched) {
        assert_eq!(
            live(&setup.emulator, &entry.user),
            entry.current,
            "{}",
            entry.user
        );
    }
}

fn plan_entry<'a>(plan: &'a Plan, user: &str) -> &'a PlanEntry {
    plan.entries
        .iter()
        .find(|entry| entry.user == user)
        .unwrap()
}

fn changes(plan: &Plan) -> impl Iterator<Item = &PlanEntry> {
    plan.entries
        .iter()
        .filter(|entry| entry.action == Action::Change)
}

/// How someone else changes a user.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Another method: drift.
    VoiceMobile,
    /// The system-preferred flag turned over: drift.
    FlipSystemPreferred,
    /// Exactly the plan's target: nothing left to write.
    ToTarget,
    /// The values the plan recorded, set again: no drift at all.
    Same,
}

/// When someone else changes a user, relative to the apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// After planning, before the apply starts.
    BeforeTheApply,
    /// While the apply runs, before it reads the user.
    AheadOfTheApply,
    /// While the apply runs, after it wrote the user.
    AfterTheWrite,
}

/// Users the apply may have taken in hand when `done` users are settled: with batches of one and
/// one in flight, at most the two windows of batches staged ahead; a margin on top.
const IN_HAND: usize = 5;

fn edited(edit: Edit, entry: &PlanEntry) -> Preferences {
    let current = &entry.current;
    match edit {
        Edit::VoiceMobile => voice_mobile(current),
        Edit::FlipSystemPreferred => Preferences {
            system_preferred: Some(current.system_preferred != Some(true)),
            ..current.clone()
        },
        Edit::ToTarget => entry.target.clone().unwrap(),
        Edit::Same => current.clone(),
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop::sample::select(vec![
        Edit::VoiceMobile,
        Edit::FlipSystemPreferred,
        Edit::ToTarget,
        Edit::Same,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// The law: no user changed by someone else after planning is ever overwritten without
    /// `allow_drift`, whether the change came before the apply or while it ran (from its
    /// progress hook, between batches, to users it has not yet read); users written before
    /// someone changed them are spared by the rollback, and everyone else is restored exactly.
    #[test]
    fn no_user_changed_after_planning_is_overwritten(
        before_the_apply in prop::collection::vec((0..20usize, edit()), 0..4),
        while_it_runs in prop::collection::vec((1..20usize, 0..20usize, edit()), 0..8),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(drift_law(before_the_apply, while_it_runs));
    }
}

async fn drift_law(before_the_apply: Vec<(usize, Edit)>, while_it_runs: Vec<(usize, usize, Edit)>) {
    let setup = setup("drift-law", quiet()).await;
    let (plan, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    let work: Vec<&PlanEntry> = changes(&plan).collect();
    assert_eq!(work.len(), 20);
    // Each user is edited at most once: user -> (when, the values set).
    let mut edits: BTreeMap<String, (When, Preferences)> = BTreeMap::new();
    for (index, edit) in before_the_apply {
        let entry = work[index];
        let values = edited(edit, entry);
        set(&setup.emulator, &entry.user, &values);
        edits.insert(entry.user.clone(), (When::BeforeTheApply, values));
    }
    // While it runs: after `done` users are settled, edit the user at `index` if the apply
    // surely has not taken it in hand yet, or surely has written it already.
    let mut schedule: BTreeMap<usize, Vec<(usize, Edit)>> = BTreeMap::new();
    for (done, index, edit) in while_it_runs {
        schedule.entry(done).or_default().push((index, edit));
    }
    let journal_path = setup.dir.join("journal.jsonl");
    let emulator = &setup.emulator;
    let during = std::sync::Mutex::new(Vec::new());
    let mut hook = |event: Progress| {
        let Progress::Batch { done, .. } = event else {
            return;
        };
        for &(index, edit) in schedule.get(&done).into_iter().flatten() {
            let when = if index >= done + IN_HAND {
                When::AheadOfTheApply
            } else if index < done
                && matches!(edit, Edit::VoiceMobile | Edit::FlipSystemPreferred)
                && Some(&live(emulator, &work[index].user)) == work[index].target.as_ref()
            {
                // Only a real change (setting what the apply wrote changes nothing to spare), and
                // only once the write has surely landed: `done` counts users settled, and a user
                // found drifted settles from its read, ahead of the writes before it, so a user
                // below `done` may still be between its read and its write. An edit landing there
                // is the read-then-write window no client closes (Graph's PATCH of this resource
                // takes no precondition); the law is about edits after the write or before the
                // read.
                When::AfterTheWrite
            } else {
                continue;
            };
            let entry = work[index];
            let mut during = during.lock().unwrap();
            let seen = |user: &str| {
                edits.contains_key(user) || during.iter().any(|(edited, _)| edited == user)
            };
            if seen(&entry.user) {
                // Each user is edited once, so what it should hold is plain.
                continue;
            }
            let values = edited(edit, entry);
            set(emulator, &entry.user, &values);
            during.push((entry.user.clone(), (when, values)));
        }
    };
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions {
            batch_size: 1,
            concurrency: 1,
            ..RunOptions::default()
        },
        &mut hook,
    )
    .await
    .unwrap();
    edits.extend(during.into_inner().unwrap());

    let mut drifted = 0;
    for entry in &work {
        let user = entry.user.as_str();
        let now = live(&setup.emulator, user);
        let outcome = state
            .user(user)
            .and_then(|entry| entry.outcome)
            .map(|(status, _, _)| status);
        match edits.get(user) {
            Some((When::AfterTheWrite, values)) => {
                assert_eq!(&now, values, "{user}: edited after its write");
                assert_eq!(outcome, Some(Status::Applied), "{user}");
            }
            Some((_, values)) if values == &entry.current => {
                assert_eq!(
                    Some(&now),
                    entry.target.as_ref(),
                    "{user}: not drifted, written"
                );
                assert_eq!(outcome, Some(Status::Applied), "{user}");
            }
            Some((_, values)) => {
                assert_eq!(&now, values, "{user}: changed after planning, overwritten");
                if Some(values) == entry.target.as_ref() {
                    assert_eq!(outcome, Some(Status::Recovered), "{user}");
                } else {
                    assert_eq!(outcome, Some(Status::Drifted), "{user}");
                    drifted += 1;
                }
            }
            None => {
                assert_eq!(Some(&now), entry.target.as_ref(), "{user}");
                assert_eq!(outcome, Some(Status::Applied), "{user}");
            }
        }
    }
    let report = apply_report(&plan, &state);
    assert_eq!(report.counts.get("drifted").copied().unwrap_or(0), drifted);
    assert_eq!(
        report.verdict(),
        if drifted == 0 {
            Verdict::Success
        } else {
            Verdict::Partial
        }
    );
    // The journal read back is what the run held.
    assert_eq!(journal::read(&journal_path).unwrap(), state);

    // The rollback restores exactly what the apply overwrote, and spares whoever changed since.
    let after_apply: Vec<Preferences> = work
        .iter()
        .map(|entry| live(&setup.emulator, &entry.user))
        .collect();
    rollback(
        &setup.client,
        &journal_path,
        &setup.dir.join("rollback.jsonl"),
        false,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    for (entry, after_apply) in work.iter().zip(after_apply) {
        let user = entry.user.as_str();
        let now = live(&setup.emulator, user);
        let applied = state
            .user(user)
            .and_then(|entry| entry.outcome)
            .map(|(status, _, _)| status)
            == Some(Status::Applied);
        match edits.get(user) {
            Some((When::AfterTheWrite, values)) => assert_eq!(&now, values, "{user}"),
            _ if applied => assert_eq!(now, entry.current, "{user}: restored"),
            _ => assert_eq!(now, after_apply, "{user}: left as it was"),
        }
    }
    std::fs::remove_dir_all(&setup.dir).unwrap();
}
