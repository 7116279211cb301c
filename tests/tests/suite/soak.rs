//! The fault soak: a bulk apply under throttling and injected faults on a quarter of the requests
//! (garbled answers among them, `SOAK_MALFORMED` of them), killed with SIGKILL at random moments
//! and resumed each time, then rolled back under the same faults, killed and resumed too. The
//! final state must equal the plan for every user, the journal must account for every user exactly
//! once, and after the rollback every user must hold exactly its state before the apply.
//!
//! `soak_in_the_suite` runs a small soak with every test run. The full soak of the reliability
//! campaign is the same code, larger: `SOAK_USERS=50000 SOAK_KILLS=20 SOAK_MALFORMED=0.05 cargo
//! test --release -p signin-prefs-tests soak_full -- --ignored --nocapture` (figures in
//! RELIABILITY.md).

use std::path::Path;
use std::time::{Duration, Instant};

use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::journal;
use signin_prefs_bulk::plan::make_plan;
use signin_prefs_bulk::report::Verdict;
use signin_prefs_client::{Client, RetryPolicy, Secret, StaticToken};
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, FaultKind, FaultRoute, FaultRule, Limit, ThrottleConfig,
    TokenRequest, UserState, permissions,
};

use crate::bulk_scenarios::{
    apply_report, assert_journal_accounts_once, assert_state_matches_plan, every_seeded_user,
    push_or_oath_system_preferred, rollback_report, rollback_until_done, spawn_child_apply,
    spawn_child_rollback,
};

struct Figures {
    users: usize,
    changes: usize,
    kills: usize,
    resumes: usize,
    journal_lines: usize,
    rollback_kills: usize,
}

/// The share of `$batch` answers garbled (`malformed@batch%…`): `SOAK_MALFORMED`, by default 5%,
/// the rate at which the issue that made garbled answers an outcome of their own found a rollback
/// leaving users changed.
fn garbled_share() -> f64 {
    std::env::var("SOAK_MALFORMED")
        .ok()
        .and_then(|share| share.parse().ok())
        .unwrap_or(0.05)
}

fn faults() -> Vec<FaultRule> {
    let rule = |kind, probability| {
        FaultRule::always(FaultRoute::Batch, kind).with_probability(probability)
    };
    vec![
        rule(
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
            0.06,
        ),
        rule(
            FaultKind::GatewayTimeout {
                retry_after_seconds: 0,
            },
            0.04,
        ),
        rule(FaultKind::ConnectionReset, 0.04),
        rule(FaultKind::TruncatedBody, 0.03),
        rule(FaultKind::MalformedBody, garbled_share()),
        // Longer than the client's request timeout: a timeout, then a retry.
        rule(FaultKind::Delay(Duration::from_millis(900)), 0.02),
    ]
}

/// How long the soak's token lasts: more than its longest run (a 50,000-user apply and rollback
/// take about 80 minutes at Graph's pace).
const SOAK_TOKEN_LIFETIME: Duration = Duration::from_secs(6 * 3600);

fn client(emulator: &EmulatorHandle, token: &str) -> Client {
    Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token.to_owned())))
        .request_timeout(Duration::from_millis(600))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(8)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(100)),
        )
        .build()
        .unwrap()
}

async fn soak(users: usize, kills_wanted: usize, dir: &Path) -> Figures {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let emulator = EmulatorBuilder::new()
        .users(users)
        .seed(2026)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let original: Vec<UserState> = (0..users)
        .map(|index| emulator.user_at(index).unwrap().state)
        .collect();
    // One token for the whole soak, the child runs included: at Graph's pace a 50,000-user apply
    // and its rollback take longer than a token's usual hour, and what is soaked here is the
    // engine, not the sign-in (a refreshing credential is `cli_credentials`' and
    // `emulator_sign_ins`' to prove).
    let token = emulator
        .mint_token(TokenRequest {
            expires_in_seconds: Some(SOAK_TOKEN_LIFETIME.as_secs()),
            ..TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL])
        })
        .unwrap();
    let client = client(&emulator, &token);

    // Plan on a quiet service, then turn on throttling and faults for the apply.
    let targets = every_seeded_user(&emulator, true);
    let options = push_or_oath_system_preferred("soak");
    let plan = make_plan(&client, &targets.try_into().unwrap(), &options)
        .await
        .unwrap();
    assert_eq!(plan.summary.error, 0);
    let plan_path = dir.join("plan.json");
    plan.write(&plan_path).unwrap();
    emulator.set_throttle(ThrottleConfig {
        // Tight enough that an apply of the small soak takes a second or more, so a kill lands
        // mid-run even on a loaded machine, where the watcher polls late.
        writes_per_app_tenant: Limit::new(60, 1),
        ..ThrottleConfig::default()
    });
    for rule in faults() {
        emulator.add_fault(rule);
    }

    let journal_path = dir.join("journal.jsonl");
    let mut random = 0x9e37_79b9_7f4a_7c15_u64;
    // A journal writes at least 100 bytes per change: kill points past half of that would let a
    // small run finish untouched.
    let within_run = u64::try_from(plan.summary.change).unwrap_or(u64::MAX) * 50;
    let (kills, mut resumes) =
        kill_at_random_moments(kills_wanted, &journal_path, within_run, &mut random, || {
            spawn_child_apply(
                &emulator.base_url(),
                &token,
                &plan_path,
                &journal_path,
                20,
                Some(Duration::from_millis(600)),
            )
        })
        .await;
    // Finish in-process, resuming as often as failures after retries require.
    let mut state = apply(
        &client,
        &plan_path,
        &journal_path,
        journal_path.exists(),
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    resumes += 1;
    for _ in 0..10 {
        if apply_report(&plan, &state).verdict() == Verdict::Success {
            break;
        }
        state = apply(
            &client,
            &plan_path,
            &journal_path,
            true,
            &RunOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
        resumes += 1;
    }
    assert_eq!(apply_report(&plan, &state).verdict(), Verdict::Success);
    assert_state_matches_plan(&emulator, &plan);
    assert_journal_accounts_once(&journal_path, &plan);

    // Roll back (faults still on), killed at random moments and resumed like the apply, then
    // resumed until done: every user is exactly as before.
    let rollback_path = dir.join("rollback.jsonl");
    let (rollback_kills, _) = kill_at_random_moments(
        kills_wanted.div_ceil(2),
        &rollback_path,
        within_run,
        &mut random,
        || {
            spawn_child_rollback(
                &emulator.base_url(),
                &token,
                &journal_path,
                &rollback_path,
                20,
            )
        },
    )
    .await;
    let rolled = rollback_until_done(
        &client,
        &journal_path,
        &rollback_path,
        &RunOptions::default(),
    )
    .await;
    assert_eq!(rollback_report(&rolled).verdict(), Verdict::Success);
    for (index, before) in original.iter().enumerate() {
        let now = emulator.user_at(index).unwrap();
        assert_eq!(
            &now.state, before,
            "{} after rollback",
            now.user_principal_name
        );
    }
    let journal_lines = std::fs::read_to_string(&journal_path)
        .unwrap()
        .lines()
        .count();
    emulator.shutdown().await;
    Figures {
        users,
        changes: plan.summary.change,
        kills,
        resumes,
        journal_lines,
        rollback_kills,
    }
}

/// Starts a run with `spawn` (which resumes when `journal` exists) and kills it with SIGKILL at a
/// pseudo-random moment once its journal has grown (by 1 KiB to 64 KiB, at most `within_run`
/// bytes), `kills_wanted` times or until the journal says the run finished, giving up after 20
/// minutes: the kills landed and the resumes started.
async fn kill_at_random_moments(
    kills_wanted: usize,
    journal_path: &Path,
    within_run: u64,
    random: &mut u64,
    mut spawn: impl FnMut() -> std::process::Child,
) -> (usize, usize) {
    let (mut kills, mut resumes) = (0, 0);
    let started = Instant::now();
    while kills < kills_wanted && started.elapsed() < Duration::from_secs(1_200) {
        resumes += usize::from(journal_path.exists());
        let mut child = spawn();
        *random ^= *random << 13;
        *random ^= *random >> 7;
        *random ^= *random << 17;
        let grow_by = 1_024 + *random % (64 * 1_024).min(within_run.max(1));
        let start = std::fs::metadata(journal_path).map_or(0, |meta| meta.len());
        let give_up = Instant::now() + Duration::from_secs(120);
        let mut exited = false;
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                exited = true;
                break;
            }
            let now = std::fs::metadata(journal_path).map_or(0, |meta| meta.len());
            if now >= start + grow_by || Instant::now() > give_up {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if !exited {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = child.wait();
        if journal::read(journal_path)
            .map(|state| state.finished)
            .unwrap_or(false)
        {
            // Finished before the kills ran out: resuming again is pointless.
            break;
        }
    }
    (kills, resumes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_in_the_suite() {
    let dir = std::env::temp_dir().join(format!("signin-prefs-soak-small-{}", std::process::id()));
    let figures = soak(300, 3, &dir).await;
    assert!(
        figures.changes > 50,
        "the seeded tenant must give real work ({})",
        figures.changes
    );
    assert!(figures.kills >= 1, "at least one kill must land mid-run");
    assert!(
        figures.rollback_kills >= 1,
        "at least one kill must land mid-rollback"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full soak takes minutes; run it for RELIABILITY.md"]
async fn soak_full() {
    let users = std::env::var("SOAK_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let kills = std::env::var("SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("signin-prefs-soak-full-{}", std::process::id()));
    let started = Instant::now();
    let figures = soak(users, kills, &dir).await;
    println!(
        "soak: {} users, {} changes, {} SIGKILLs, {} resumes, {} journal lines, {:.0}% of $batch answers garbled, {} SIGKILLs of the rollback, {:.0?}; final state = plan for every user; rollback restored every user",
        figures.users,
        figures.changes,
        figures.kills,
        figures.resumes,
        figures.journal_lines,
        garbled_share() * 100.0,
        figures.rollback_kills,
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
