//! Throttle-bound bulk runs against the emulator: Graph's write budget binds, and still nobody
//! fails, nobody is lost, nobody is written twice; a time limit leaves users not reached for a
//! resume; a resume takes retryable failures again and leaves refusals alone.
//!
//! The emulator's clock runs `SCALE` times faster than real time and writes `Retry-After` with
//! decimals, so the sped-up waits are the real ones, scaled; the client is told the budget on the
//! real clock, as an operator would be by `signin-prefs emulator`.

use std::path::PathBuf;
use std::time::Duration;

use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::journal::{self, Status};
use signin_prefs_bulk::plan::{Action, Plan, make_plan};
use signin_prefs_bulk::report::{Report, Tally, Verdict};
use signin_prefs_client::{Budget, Budgets, Client, PacingConfig, Quota, RetryPolicy};
use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, FaultKind, FaultRoute, FaultRule, Limit,
    MethodSet, RetryAfterFormat, ThrottleConfig, TokenRequest, TrafficStats, permissions,
};

use crate::bulk_scenarios::{
    assert_state_matches_plan, every_seeded_user, push_or_oath_system_preferred,
};
use crate::client_support::client_with_token;

/// Emulated seconds per real second.
const SCALE: f64 = 100.0;

/// 300 writes per 150 s: a tenth of Graph's, so 1,500 changes are throttle-bound.
fn budget() -> ThrottleConfig {
    ThrottleConfig {
        writes_per_app_tenant: Limit::new(300, 150),
        retry_after: RetryAfterFormat::Fractional,
        ..ThrottleConfig::default()
    }
}

/// The emulator's budgets on the real clock.
fn told(throttle: &ThrottleConfig) -> Budgets {
    on_the_real_clock(throttle, SCALE)
}

/// The budgets of an emulator throttled by `throttle` on a clock `scale` times faster than real
/// time, as the client must be told them (what `signin-prefs emulator` prints).
pub(crate) fn on_the_real_clock(throttle: &ThrottleConfig, scale: f64) -> Budgets {
    let real = |limit: Limit| Budget::new(limit.requests, limit.per.div_f64(scale));
    Budgets::documented()
        .with(Quota::AppWrites, Some(real(throttle.writes_per_app_tenant)))
        .with(Quota::TenantWrites, Some(real(throttle.writes_per_tenant)))
        .with(
            Quota::ResourceUnits,
            Some(real(throttle.reads_per_app_tenant)),
        )
        .with(Quota::Reports, throttle.reports_per_app_tenant.map(real))
}

struct Run {
    emulator: EmulatorHandle,
    client: Client,
    dir: PathBuf,
    plan: Plan,
    plan_path: PathBuf,
}

impl Run {
    fn journal(&self) -> PathBuf {
        self.dir.join("plan.json.journal.jsonl")
    }

    async fn apply(&self, resume: bool, options: &RunOptions) -> journal::JournalState {
        apply(
            &self.client,
            &self.plan_path,
            &self.journal(),
            resume,
            options,
            &mut |_| {},
        )
        .await
        .unwrap()
    }

    fn changes(&self) -> impl Iterator<Item = &signin_prefs_bulk::plan::PlanEntry> {
        self.plan
            .entries
            .iter()
            .filter(|entry| entry.action == Action::Change)
    }

    /// Every planned change holds its target in the emulator, and everyone else what they held.
    fn assert_everyone_changed(&self) {
        assert_state_matches_plan(&self.emulator, &self.plan);
    }
}

/// `users` seeded users, all targeted: push (else OATH) and system-preferred on, planned with
/// the budgets `budgets` and the retry policy `retry`.
async fn planned(
    name: &str,
    users: usize,
    throttle: ThrottleConfig,
    budgets: Budgets,
    retry: RetryPolicy,
) -> Run {
    let emulator = EmulatorBuilder::new()
        .users(users)
        .seed(12)
        .throttle(throttle)
        .time_scale(SCALE)
        .start()
        .await
        .unwrap();
    let client = client_with_token(
        &emulator,
        TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL]),
    )
    .retry_policy(retry)
    .pacing(PacingConfig::default().with_budgets(budgets))
    .build()
    .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "signin-prefs-throttled-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let targets = every_seeded_user(&emulator, false);
    let options = push_or_oath_system_preferred("test");
    let plan = make_plan(&client, &targets.try_into().unwrap(), &options)
        .await
        .unwrap();
    let plan_path = dir.join("plan.json");
    plan.write(&plan_path).unwrap();
    Run {
        emulator,
        client,
        dir,
        plan,
        plan_path,
    }
}

fn quick() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(50))
}

fn since(before: TrafficStats, after: TrafficStats) -> (u64, u64) {
    (
        after.writes - before.writes,
        after.throttled_writes - before.throttled_writes,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_bound_migration_changes_everyone_exactly_once_with_few_429s() {
    let throttle = budget();
    let run = planned("bound", 4_600, throttle.clone(), told(&throttle), quick()).await;
    let changes = run.changes().count() as u64;
    // Five times the bucket: most of the run waits on the budget's refill.
    assert!(changes >= 1_400, "{changes} changes");
    let before = run.emulator.traffic();
    let state = run
        .apply(
            false,
            &RunOptions {
                verify: true,
                ..RunOptions::default()
            },
        )
        .await;
    let (writes, throttled) = since(before, run.emulator.traffic());
    let tally = Tally::for_apply(&run.plan, &state);
    assert_eq!(tally.verdict(), Verdict::Success, "{:?}", tally.counts);
    assert_eq!(tally.counts.get("applied").copied(), Some(changes as usize));
    assert_eq!(tally.verify_failed, 0);
    // Everyone holds the target, with exactly one accepted write each: nobody written twice.
    run.assert_everyone_changed();
    assert_eq!(writes, changes);
    // Sending what the budget accepts, the service refuses next to nothing (target: under 0.5%).
    assert!(
        throttled * 200 <= changes,
        "{throttled} writes refused for {changes} changes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_budget_is_learned_and_throttling_fails_nobody() {
    let throttle = ThrottleConfig {
        writes_per_app_tenant: Limit::new(100, 150),
        ..budget()
    };
    // Told nothing about writes: the first burst runs into the bucket, and the rest is learned.
    let budgets = told(&throttle)
        .with(Quota::AppWrites, None)
        .with(Quota::TenantWrites, None);
    let run = planned("learned", 1_200, throttle, budgets, quick()).await;
    let changes = run.changes().count() as u64;
    let before = run.emulator.traffic();
    let state = run.apply(false, &RunOptions::default()).await;
    let (writes, throttled) = since(before, run.emulator.traffic());
    let tally = Tally::for_apply(&run.plan, &state);
    assert_eq!(tally.verdict(), Verdict::Success, "{:?}", tally.counts);
    run.assert_everyone_changed();
    assert_eq!(writes, changes, "nobody written twice");
    assert!(throttled > 0, "the test must reach the budget");
    eprintln!("{changes} changes, {throttled} writes refused while learning the budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_limit_leaves_users_not_reached_and_a_resume_finishes_them_once() {
    // 100 writes per 150 s: some 700 changes take ten seconds; the limit stops them after one.
    let throttle = ThrottleConfig {
        writes_per_app_tenant: Limit::new(100, 150),
        ..budget()
    };
    let run = planned("limit", 2_000, throttle.clone(), told(&throttle), quick()).await;
    let changes = run.changes().count();
    let before = run.emulator.traffic();
    let first = run
        .apply(
            false,
            &RunOptions {
                max_duration: Some(Duration::from_secs(1)),
                ..RunOptions::default()
            },
        )
        .await;
    let tally = Tally::for_apply(&run.plan, &first);
    assert!(!first.finished, "a run cut short has not finished");
    assert_eq!(tally.verdict(), Verdict::Partial);
    let applied = tally.counts.get("applied").copied().unwrap_or(0);
    let not_run = tally.counts.get("notRun").copied().unwrap_or(0);
    assert!(applied > 0 && not_run > 0, "{:?}", tally.counts);
    assert_eq!(applied + not_run, changes, "{:?}", tally.counts);
    assert!(
        run.changes()
            .filter_map(|entry| first.user(&entry.user))
            .any(|entry| matches!(entry.outcome, Some((Status::NotReached, _, _)))),
        "journaled but unsent users are recorded as not reached"
    );
    let resumed = run.apply(true, &RunOptions::default()).await;
    let (writes, _) = since(before, run.emulator.traffic());
    assert!(resumed.finished);
    assert_eq!(
        Tally::for_apply(&run.plan, &resumed).verdict(),
        Verdict::Success
    );
    run.assert_everyone_changed();
    assert_eq!(
        writes, changes as u64,
        "nobody written twice across the runs"
    );
    // The report says which run changed whom.
    let report = Report::for_apply(&run.plan, &resumed);
    let runs: Vec<Option<u32>> = report
        .rows
        .iter()
        .filter(|row| row.outcome == "applied")
        .map(|row| row.run)
        .collect();
    assert_eq!(runs.len(), changes);
    assert!(
        runs.contains(&Some(1)) && runs.contains(&Some(2)) && !runs.contains(&None),
        "{runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_retries_transient_failures_and_leaves_refusals_alone() {
    let throttle = ThrottleConfig::disabled();
    let run = planned(
        "retry",
        300,
        throttle.clone(),
        told(&budget()),
        quick().with_max_attempts(2),
    )
    .await;
    let unavailable = run.changes().next().unwrap().user.clone();
    // A user whose change sets the method, which the service refuses once it is not registered.
    let refused = run
        .changes()
        .find(|entry| {
            entry.user != unavailable
                && entry.target.as_ref().unwrap().method != entry.current.method
        })
        .unwrap()
        .user
        .clone();
    // One user's PATCHes time out at the gateway; another lost the method planned for them.
    run.emulator.add_fault(
        FaultRule::always(
            FaultRoute::PatchSignInPreferences,
            FaultKind::GatewayTimeout {
                retry_after_seconds: 0,
            },
        )
        .for_user(&unavailable),
    );
    let mut state = run.emulator.user(&refused).unwrap().state;
    state.methods = MethodSet::of(&[AuthMethod::MobilePhone]);
    run.emulator.set_user_state(&refused, state).unwrap();

    let first = run.apply(false, &RunOptions::default()).await;
    let entry = |journal: &journal::JournalState, user: &str| journal.user(user).unwrap().clone();
    assert!(matches!(
        entry(&first, &unavailable).outcome,
        Some((Status::Failed, _, _))
    ));
    assert_eq!(entry(&first, &unavailable).retryable, Some(true));
    assert_eq!(entry(&first, &refused).retryable, Some(false));

    run.emulator.clear_faults();
    let before = run.emulator.traffic();
    let second = run.apply(true, &RunOptions::default()).await;
    let (writes, _) = since(before, run.emulator.traffic());
    // Only the transient failure went again; the refusal was not sent a second time.
    assert_eq!(writes, 1);
    let retried = entry(&second, &unavailable);
    assert!(matches!(retried.outcome, Some((Status::Applied, _, _))));
    assert_eq!(retried.run, 2);
    let left = entry(&second, &refused);
    assert!(matches!(left.outcome, Some((Status::Failed, _, _))));
    assert_eq!(left.run, 1);
}
