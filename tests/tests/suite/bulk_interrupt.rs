//! A run stopped from outside (`RunOptions::stop`): nothing more is sent, the batches on the wire
//! settle into the journal, the rest is not reached, and a resume finishes the job exactly; a
//! stopped plan leaves no file.

use std::time::Duration;

use signin_prefs_bulk::Error;
use signin_prefs_bulk::apply::{Progress, RunOptions, apply, rollback};
use signin_prefs_bulk::journal::{self, Status};
use signin_prefs_bulk::plan::{Plan, PlanOptions, PlanProgress, write_plan_with_progress};
use signin_prefs_bulk::report::Verdict;
use signin_prefs_bulk::stop::Stop;
use signin_prefs_bulk::targets::read_targets;
use signin_prefs_client::{Budget, Budgets, PacingConfig, Quota};
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, FaultKind, FaultRoute, FaultRule, Limit, RetryAfterFormat,
    ThrottleConfig, TokenRequest, permissions,
};

use crate::bulk_scenarios::{
    apply_report, assert_journal_accounts_once, assert_state_matches_plan, planned, quiet,
    rollback_report, setup, sms_to_push,
};
use crate::client_support::client_with_token;

/// Users with a final outcome in the journal at `path`.
pub(crate) fn settled(path: &std::path::Path) -> usize {
    let state = journal::read(path).unwrap();
    state
        .users()
        .filter(|(_, entry)| {
            entry
                .outcome
                .as_ref()
                .is_some_and(|(status, _, _)| status.is_final())
        })
        .count()
}

/// Users whose last outcome in `state` is `status`.
fn with_status(state: &journal::JournalState, status: Status) -> usize {
    state
        .users()
        .filter(|(_, entry)| {
            entry
                .outcome
                .as_ref()
                .is_some_and(|(had, _, _)| *had == status)
        })
        .count()
}

/// Options of `batch_size` and `concurrency` with a stop, and the stop.
fn stoppable(batch_size: usize, concurrency: usize) -> (Stop, RunOptions) {
    let stop = Stop::new();
    let run = RunOptions {
        batch_size,
        concurrency,
        stop: stop.clone(),
        ..RunOptions::default()
    };
    (stop, run)
}

/// A progress hook that fires `stop` as the first batch answers: only the batches then on the
/// wire may still land.
fn stop_at_first_batch(stop: &Stop) -> impl FnMut(Progress) + Send + '_ {
    |event| {
        if let Progress::Batch { .. } = event {
            stop.stop();
        }
    }
}

/// Every user of `plan` holds what it held when planned.
pub(crate) fn assert_everyone_holds_what_they_held(emulator: &EmulatorHandle, plan: &Plan) {
    for entry in &plan.entries {
        let record = emulator.user(&entry.user).unwrap();
        let now = (
            record
                .state
                .preferred
                .map(|method| method.as_str().to_owned()),
            record.state.system_preferred_enabled,
        );
        let before = (entry.current.method.clone(), entry.current.system_preferred);
        assert_eq!(now, before, "{}", entry.user);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_apply_settles_its_window_and_a_resume_finishes_it() {
    let setup = setup(
        "interrupt",
        EmulatorBuilder::new()
            .throttle(ThrottleConfig::disabled())
            .fault(FaultRule::always(
                FaultRoute::Batch,
                FaultKind::Delay(Duration::from_millis(10)),
            )),
    )
    .await;
    let options = PlanOptions {
        system_preferred: Some(true),
        ..sms_to_push(Vec::new())
    };
    let (plan, plan_path) = planned(&setup, &options).await;
    let changes = plan.summary.change;
    let journal_path = setup.dir.join("journal.jsonl");
    let (batch_size, concurrency) = (2, 2);
    let (stop, run) = stoppable(batch_size, concurrency);
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &run,
        &mut stop_at_first_batch(&stop),
    )
    .await
    .unwrap();
    assert!(stop.interrupted(&state));
    assert_eq!(state, journal::read(&journal_path).unwrap());
    let applied = with_status(&state, Status::Applied);
    assert!(applied > 0);
    assert!(
        applied <= concurrency * batch_size,
        "{applied} applied after the stop, beyond one window of {concurrency} batches of {batch_size}"
    );
    assert!(with_status(&state, Status::NotReached) > 0);
    assert!(settled(&journal_path) < changes);
    let report = apply_report(&plan, &state);
    assert!(!report.finished);
    assert!(
        report
            .rows
            .iter()
            .filter(|row| row.outcome == "notReached")
            .all(|row| row.detail.contains("interrupted")),
        "every user not reached says why"
    );

    let resumed = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        true,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(resumed.finished);
    assert_eq!(apply_report(&plan, &resumed).verdict(), Verdict::Success);
    assert_state_matches_plan(&setup.emulator, &plan);
    assert_journal_accounts_once(&journal_path, &plan);

    // A rollback stopped alike, then resumed, restores everyone.
    let undo_path = setup.dir.join("rollback.jsonl");
    let (stop, run) = stoppable(batch_size, concurrency);
    let stopped = rollback(
        &setup.client,
        &journal_path,
        &undo_path,
        false,
        &run,
        &mut stop_at_first_batch(&stop),
    )
    .await
    .unwrap();
    assert!(stop.interrupted(&stopped));
    let undone = rollback(
        &setup.client,
        &journal_path,
        &undo_path,
        true,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(undone.finished);
    assert_eq!(rollback_report(&undone).verdict(), Verdict::Success);
    assert_everyone_holds_what_they_held(&setup.emulator, &plan);
}

/// A batch waiting for the write budget is not sent once the run is stopped, however long the
/// wait: the stop does not wait for the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waiting_for_the_write_budget_is_not_sent_after_a_stop() {
    // Four writes per ten minutes: after the first batch, the next would wait minutes.
    let throttle = ThrottleConfig {
        writes_per_app_tenant: Limit::new(4, 600),
        retry_after: RetryAfterFormat::Fractional,
        ..ThrottleConfig::default()
    };
    let emulator = EmulatorBuilder::new()
        .users(60)
        .seed(17)
        .throttle(throttle)
        .start()
        .await
        .unwrap();
    let client = client_with_token(
        &emulator,
        TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL]),
    )
    .pacing(
        PacingConfig::default().with_budgets(Budgets::documented().with(
            Quota::AppWrites,
            Some(Budget::new(4, Duration::from_secs(600))),
        )),
    )
    .build()
    .unwrap();
    let dir = crate::cli_scenarios::scratch("budget-stop");
    let targets = crate::bulk_scenarios::every_seeded_user(&emulator, false);
    let plan = signin_prefs_bulk::plan::make_plan(
        &client,
        &targets.try_into().unwrap(),
        &crate::bulk_scenarios::push_or_oath_system_preferred("test"),
    )
    .await
    .unwrap();
    assert!(plan.summary.change > 8);
    let plan_path = dir.join("plan.json");
    plan.write(&plan_path).unwrap();
    let journal_path = dir.join("journal.jsonl");
    let (stop, run) = stoppable(4, 1);
    // Fired a little after the first batch answers, while the second waits for the budget.
    let mut on_progress = |event| {
        if let Progress::Batch { .. } = event {
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                stop.stop();
            });
        }
    };
    // The bound fails the test rather than waiting out the budget (ten minutes).
    let state = tokio::time::timeout(
        Duration::from_secs(120),
        apply(
            &client,
            &plan_path,
            &journal_path,
            false,
            &run,
            &mut on_progress,
        ),
    )
    .await
    .expect("the stop waited for the write budget")
    .unwrap();
    assert!(stop.interrupted(&state));
    assert_eq!(
        with_status(&state, Status::Applied),
        4,
        "one batch fitted the budget, and no other was sent"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_plan_leaves_neither_plan_nor_spool() {
    // Enough users, read slowly enough, that the plan is still reading when it is stopped.
    let emulator = quiet()
        .users(400)
        .seed(23)
        .fault(FaultRule::always(
            FaultRoute::Batch,
            FaultKind::Delay(Duration::from_millis(50)),
        ))
        .start()
        .await
        .unwrap();
    let client = client_with_token(
        &emulator,
        TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL]),
    )
    .build()
    .unwrap();
    let dir = crate::cli_scenarios::scratch("plan-stop");
    let targets_path = dir.join("targets.csv");
    let mut csv = String::from("user\n");
    for index in 0..emulator.user_count() {
        csv.push_str(&emulator.user_at(index).unwrap().user_principal_name);
        csv.push('\n');
    }
    std::fs::write(&targets_path, csv).unwrap();
    let targets = read_targets(&targets_path).unwrap();
    let options = PlanOptions {
        read_path: signin_prefs_bulk::read_path::ReadPathSetting::Fixed(
            signin_prefs_bulk::read_path::ReadPath::PerUser,
        ),
        ..sms_to_push(Vec::new())
    };
    let plan_path = dir.join("plan.json");
    let stop = Stop::new();
    let mut entries = 0;
    // Stopped once the reading has started and entries are being spooled.
    let mut on_progress = |event| {
        if let PlanProgress::Reading { done, .. } = event
            && done > 0
        {
            stop.stop();
        }
    };
    let stopped = stop
        .or_stopped(
            "the plan",
            write_plan_with_progress(
                &client,
                &targets,
                &options,
                &plan_path,
                &mut on_progress,
                &mut |_| entries += 1,
            ),
        )
        .await;
    assert!(matches!(stopped, Err(Error::Interrupted(_))), "{stopped:?}");
    assert!(!plan_path.exists());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "targets.csv")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(Plan::read(&plan_path).is_err());
    emulator.shutdown().await;
}
