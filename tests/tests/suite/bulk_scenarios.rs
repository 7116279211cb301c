//! The bulk engine end to end against the emulator: plan, apply, verify, faults and throttling,
//! kill and resume, rollback, and every kind of bad input refused before anything is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use signin_prefs_bulk::apply::{RunOptions, apply, rollback};
use signin_prefs_bulk::journal::{self, JournalState, Record, Status};
use signin_prefs_bulk::plan::{Action, Plan, PlanOptions, make_plan};
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::report::{Report, Tally, Verdict};
use signin_prefs_bulk::targets::{Target, TargetList, read_targets};
use signin_prefs_client::{Client, RetryPolicy, Secret, StaticToken};
use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, FaultKind, FaultRoute, FaultRule, Limit,
    ThrottleConfig, TokenRequest, UserSpec, permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

/// A tenant whose users cover every planning case, in groups of ten.
fn tenant() -> Vec<UserSpec> {
    let mut users = Vec::new();
    let mut add =
        |prefix: &str, methods: &[AuthMethod], preferred: Option<&str>, system: Option<bool>| {
            for index in 0..10 {
                users.push(UserSpec {
                    id: None,
                    user_principal_name: format!("{prefix}{index}@contoso.com"),
                    methods: methods.to_vec(),
                    user_preferred_method_for_secondary_authentication: preferred
                        .map(str::to_owned),
                    is_system_preferred_authentication_method_enabled: system,
                    is_admin: false,
                    account_enabled: true,
                });
            }
        };
    add(
        "sms-authenticator",
        &[AuthMethod::MobilePhone, AuthMethod::MicrosoftAuthenticator],
        Some("sms"),
        Some(false),
    );
    add(
        "sms-oath",
        &[AuthMethod::MobilePhone, AuthMethod::SoftwareOath],
        Some("sms"),
        Some(true),
    );
    add("sms-only", &[AuthMethod::MobilePhone], Some("sms"), None);
    add(
        "already-push",
        &[AuthMethod::MicrosoftAuthenticator],
        Some("push"),
        Some(false),
    );
    add(
        "voice",
        &[AuthMethod::MobilePhone, AuthMethod::MicrosoftAuthenticator],
        Some("voiceMobile"),
        Some(false),
    );
    users
}

pub(crate) struct Setup {
    pub(crate) emulator: EmulatorHandle,
    pub(crate) client: Client,
    pub(crate) dir: PathBuf,
}

pub(crate) async fn setup(name: &str, builder: EmulatorBuilder) -> Setup {
    let emulator = builder.user_specs(tenant()).seed(5).start().await.unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token)))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(6)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("signin-prefs-bulk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Setup {
        emulator,
        client,
        dir,
    }
}

pub(crate) fn quiet() -> EmulatorBuilder {
    EmulatorBuilder::new().throttle(ThrottleConfig::disabled())
}

fn all_targets(setup: &Setup) -> TargetList {
    let path = setup.dir.join("targets.csv");
    let mut csv = String::from("user\n");
    for index in 0..setup.emulator.user_count() {
        csv.push_str(&setup.emulator.user_at(index).unwrap().user_principal_name);
        csv.push('\n');
    }
    std::fs::write(&path, csv).unwrap();
    read_targets(&path).unwrap()
}

pub(crate) fn sms_to_push(exclude: Vec<String>) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: None,
        source: "test".into(),
        exclude,
        only_from: vec![Method::Sms],
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    }
}

pub(crate) async fn planned(setup: &Setup, options: &PlanOptions) -> (Plan, PathBuf) {
    let plan = make_plan(&setup.client, &all_targets(setup), options)
        .await
        .unwrap();
    let path = setup.dir.join("plan.json");
    plan.write(&path).unwrap();
    (plan, path)
}

pub(crate) fn method_of(emulator: &EmulatorHandle, user: &str) -> Option<String> {
    emulator
        .user(user)
        .unwrap()
        .state
        .preferred
        .map(|method| method.as_str().to_owned())
}

/// Every seeded user of `emulator`, by object id or UPN, as a targets file would list them.
pub(crate) fn every_seeded_user(emulator: &EmulatorHandle, by_upn: bool) -> Vec<Target> {
    (0..emulator.user_count())
        .map(|index| {
            let record = emulator.user_at(index).unwrap();
            Target {
                user: if by_upn {
                    record.user_principal_name
                } else {
                    record.id
                },
                line: index + 2,
                method: None,
                system_preferred: None,
            }
        })
        .collect()
}

/// The main job's plan: push, else OATH, with system-preferred on, for every user.
pub(crate) fn push_or_oath_system_preferred(source: &str) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: Some(true),
        source: source.into(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    }
}

/// Every `change` entry holds its target in the emulator, every other user what it held before.
pub(crate) fn assert_state_matches_plan(emulator: &EmulatorHandle, plan: &Plan) {
    // Users on the exclude list were never read, so the plan holds no state for them.
    for entry in plan
        .entries
        .iter()
        .filter(|entry| entry.reason != "on the exclude list")
    {
        let record = emulator.user(&entry.user).unwrap();
        let now = (
            record
                .state
                .preferred
                .as_ref()
                .map(|method| method.as_str().to_owned()),
            record.state.system_preferred_enabled,
        );
        let expected = match (&entry.action, &entry.target) {
            (Action::Change, Some(target)) => (target.method.clone(), target.system_preferred),
            _ => (entry.current.method.clone(), entry.current.system_preferred),
        };
        assert_eq!(now, expected, "{}", entry.user);
    }
}

/// Every changed user has exactly one final outcome, and never an attempt after it.
pub(crate) fn assert_journal_accounts_once(path: &Path, plan: &Plan) {
    let text = std::fs::read_to_string(path).unwrap();
    let records: Vec<Record> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for entry in plan
        .entries
        .iter()
        .filter(|entry| entry.action == Action::Change)
    {
        let mut finished = false;
        for record in &records {
            match record {
                Record::Attempt { user, .. } if *user == entry.user => {
                    assert!(
                        !finished,
                        "{} attempted again after it was done",
                        entry.user
                    );
                }
                Record::Outcome { user, status, .. }
                    if *user == entry.user && status.is_final() =>
                {
                    assert!(!finished, "{} finished twice", entry.user);
                    finished = true;
                }
                _ => {}
            }
        }
        assert!(finished, "{} has no final outcome", entry.user);
    }
}

#[tokio::test]
async fn plan_apply_verify_and_report() {
    let setup = setup("e2e", quiet()).await;
    let (plan, plan_path) = planned(
        &setup,
        &sms_to_push(vec!["SMS-AUTHENTICATOR0@contoso.com".into()]),
    )
    .await;
    let s = &plan.summary;
    assert_eq!(
        (
            s.change,
            s.ineligible,
            s.excluded,
            s.not_from,
            s.already_compliant,
            s.error
        ),
        // One user on the exclude list, and the users whose method is not --from sms, apart.
        (19, 10, 1, 20, 0, 0),
        "{s:?}"
    );
    let entry = |user: &str| {
        plan.entries
            .iter()
            .find(|entry| entry.user == user)
            .unwrap()
    };
    assert_eq!(
        entry("sms-oath3@contoso.com")
            .target
            .as_ref()
            .unwrap()
            .method
            .as_deref(),
        Some("oath")
    );
    assert!(entry("sms-oath3@contoso.com").reason.contains("fallback"));
    assert!(
        entry("sms-only1@contoso.com")
            .reason
            .contains("none of push, oath is registered")
    );
    assert_eq!(
        entry("sms-authenticator0@contoso.com").action,
        Action::Excluded
    );
    // Planning sends no write.
    assert_eq!(
        method_of(&setup.emulator, "sms-authenticator5@contoso.com").as_deref(),
        Some("sms")
    );

    let journal_path = setup.dir.join("journal.jsonl");
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions {
            verify: true,
            ..RunOptions::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_state_matches_plan(&setup.emulator, &plan);
    assert_journal_accounts_once(&journal_path, &plan);
    // The state the run kept as it wrote is the state the file reads back as.
    assert_eq!(state, journal::read(&journal_path).unwrap());
    let report = apply_report(&plan, &state);
    assert_eq!(report.counts.get("applied"), Some(&19));
    assert_eq!(
        (report.counts.get("excluded"), report.counts.get("notFrom")),
        (Some(&1), Some(&20))
    );
    assert!(
        report
            .rows
            .iter()
            .filter(|row| row.outcome == "applied")
            .all(|row| row.verified == Some(true))
    );
    assert_eq!(report.verdict(), Verdict::Success);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&plan_path, &journal_path] {
            assert_eq!(
                std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                file.display()
            );
        }
    }

    // Reusing a journal without --resume is refused: it would mix two runs.
    let again = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("already exists"));
}

#[tokio::test]
async fn faults_and_throttling_do_not_lose_anyone() {
    let throttle = ThrottleConfig {
        writes_per_app_tenant: Limit::new(12, 2),
        ..ThrottleConfig::default()
    };
    let builder = EmulatorBuilder::new()
        .throttle(throttle)
        .time_scale(1.0)
        .fault(
            FaultRule::always(
                FaultRoute::Batch,
                FaultKind::ServiceUnavailable {
                    retry_after_seconds: 0,
                },
            )
            .with_probability(0.2),
        )
        .fault(
            FaultRule::always(FaultRoute::Batch, FaultKind::ConnectionReset).with_probability(0.1),
        )
        .fault(
            FaultRule::always(FaultRoute::Batch, FaultKind::TruncatedBody).with_probability(0.05),
        );
    let setup = setup("faults", builder).await;
    let (plan, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    assert_eq!(plan.summary.change, 20);
    let journal_path = setup.dir.join("journal.jsonl");
    let mut state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions {
            batch_size: 5,
            ..RunOptions::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    // Whatever failed after retries is finished by resuming, never by starting over.
    for _ in 0..5 {
        if apply_report(&plan, &state).verdict() == Verdict::Success {
            break;
        }
        state = apply(
            &setup.client,
            &plan_path,
            &journal_path,
            true,
            &RunOptions {
                batch_size: 5,
                ..RunOptions::default()
            },
            &mut |_| {},
        )
        .await
        .unwrap();
    }
    assert_eq!(apply_report(&plan, &state).verdict(), Verdict::Success);
    assert_state_matches_plan(&setup.emulator, &plan);
    assert_journal_accounts_once(&journal_path, &plan);
}

#[tokio::test]
async fn rollback_restores_what_was_there_and_spares_later_changes() {
    let setup = setup("rollback", quiet()).await;
    let options = PlanOptions {
        system_preferred: Some(true),
        ..sms_to_push(Vec::new())
    };
    let (plan, plan_path) = planned(&setup, &options).await;
    let journal_path = setup.dir.join("journal.jsonl");
    apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        method_of(&setup.emulator, "sms-authenticator2@contoso.com").as_deref(),
        Some("push")
    );

    // Someone changes one user after the apply: the rollback must leave that user alone.
    let touched = "sms-authenticator7@contoso.com";
    let mut state = setup.emulator.user(touched).unwrap().state;
    state.preferred = Some(Method::VoiceMobile);
    setup.emulator.set_user_state(touched, state).unwrap();

    let rollback_path = setup.dir.join("rollback.jsonl");
    let rolled = rollback(
        &setup.client,
        &journal_path,
        &rollback_path,
        false,
        &RunOptions {
            verify: true,
            ..RunOptions::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    for entry in plan
        .entries
        .iter()
        .filter(|entry| entry.action == Action::Change && entry.user != touched)
    {
        let record = setup.emulator.user(&entry.user).unwrap();
        assert_eq!(
            record.state.preferred.map(|m| m.as_str().to_owned()),
            entry.current.method,
            "{}",
            entry.user
        );
        assert_eq!(
            record.state.system_preferred_enabled, entry.current.system_preferred,
            "{}",
            entry.user
        );
    }
    assert_eq!(
        method_of(&setup.emulator, touched).as_deref(),
        Some("voiceMobile")
    );
    let report = rollback_report(&rolled);
    assert_eq!(report.counts.get("skipped"), Some(&1));
    // A rollback restores: its report says so, never "applied".
    assert_eq!(
        report.counts.get("restored"),
        Some(&(plan.summary.change - 1))
    );
    assert_eq!(report.counts.get("applied"), None);
    assert!(
        report
            .rows
            .iter()
            .any(|row| row.user == touched && row.detail.contains("changed since"))
    );
}

#[tokio::test]
async fn resuming_needs_the_same_plan() {
    let setup = setup("mismatch", quiet()).await;
    let (_, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    let journal_path = setup.dir.join("journal.jsonl");
    apply(
        &setup.client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    let other_plan = setup.dir.join("other.json");
    let mut plan = Plan::read(&plan_path).unwrap().0;
    plan.created_at += 1;
    plan.write(&other_plan).unwrap();
    let error = apply(
        &setup.client,
        &other_plan,
        &journal_path,
        true,
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("belongs to"), "{error}");
}

/// A change an operator might make to a plan file by hand.
type PlanEdit = Box<dyn Fn(&mut Plan)>;

#[tokio::test]
async fn hand_edited_plans_are_refused_before_anything_is_sent() {
    let setup = setup("edited", quiet()).await;
    let (plan, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    let edits: Vec<(&str, PlanEdit)> = vec![
        (
            "the summary",
            Box::new(|plan: &mut Plan| plan.summary.change += 1),
        ),
        (
            "twice",
            Box::new(|plan: &mut Plan| {
                let copy = plan.entries[0].clone();
                plan.entries.push(copy);
                plan.summary = signin_prefs_bulk::plan::summarize(&plan.entries);
            }),
        ),
        (
            "not enabled by the registered methods",
            Box::new(|plan: &mut Plan| {
                let entry = plan
                    .entries
                    .iter_mut()
                    .find(|e| e.user == "sms-authenticator1@contoso.com")
                    .unwrap();
                entry.target.as_mut().unwrap().method = Some("voiceOffice".into());
            }),
        ),
        (
            "is not a valid",
            Box::new(|plan: &mut Plan| {
                let entry = plan
                    .entries
                    .iter_mut()
                    .find(|e| e.user == "sms-authenticator1@contoso.com")
                    .unwrap();
                entry.target.as_mut().unwrap().method = Some("authenticator".into());
            }),
        ),
        (
            "equals the current state",
            Box::new(|plan: &mut Plan| {
                let entry = plan
                    .entries
                    .iter_mut()
                    .find(|e| e.user == "sms-authenticator1@contoso.com")
                    .unwrap();
                entry.target = Some(entry.current.clone());
            }),
        ),
    ];
    for (expected, edit) in edits {
        let mut edited = plan.clone();
        edit(&mut edited);
        let path = setup.dir.join("edited.json");
        std::fs::write(&path, serde_json::to_string_pretty(&edited).unwrap()).unwrap();
        let journal_path = setup.dir.join("edited.jsonl");
        let error = apply(
            &setup.client,
            &path,
            &journal_path,
            false,
            &RunOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "expected {expected:?} in {error}"
        );
        assert!(
            !journal_path.exists(),
            "nothing may start for a refused plan"
        );
    }
    // And nothing was sent for any of them.
    assert_eq!(
        method_of(&setup.emulator, "sms-authenticator1@contoso.com").as_deref(),
        Some("sms")
    );
    let _ = plan_path;
}

#[tokio::test]
async fn the_change_cap_refuses_a_plan() {
    let setup = setup("cap", quiet()).await;
    let options = PlanOptions {
        max_changes: Some(5),
        ..sms_to_push(Vec::new())
    };
    let error = make_plan(&setup.client, &all_targets(&setup), &options)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("would change 20 users, more than --max-changes 5"),
        "{error}"
    );
}

/// Runs an apply in a child process that the test kills, then resumes it, many times over.
#[tokio::test]
async fn killed_at_random_moments_and_resumed() {
    let setup = setup(
        "kill",
        EmulatorBuilder::new()
            .throttle(ThrottleConfig::disabled())
            .fault(
                // Slow enough that the kill lands mid-run.
                FaultRule::always(
                    FaultRoute::Batch,
                    FaultKind::Delay(Duration::from_millis(15)),
                ),
            ),
    )
    .await;
    let options = PlanOptions {
        system_preferred: Some(true),
        ..sms_to_push(Vec::new())
    };
    let (plan, plan_path) = planned(&setup, &options).await;
    let journal_path = setup.dir.join("journal.jsonl");
    let token = setup
        .emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let mut kills = 0;
    for round in 0..12u64 {
        let child = spawn_child_apply(
            &setup.emulator.base_url(),
            &token,
            &plan_path,
            &journal_path,
            2,
            None,
        );
        // Kill at a different point each round: after the journal grew by a round-dependent amount.
        kills += usize::from(kill_when_grown(child, &journal_path, 150 + (round * 97) % 600).await);
        if journal::read(&journal_path)
            .map(|state| state.finished)
            .unwrap_or(false)
        {
            break;
        }
    }
    assert!(kills >= 3, "the kills must land mid-run ({kills})");
    // Whatever the kills left, a final resume in-process finishes the job.
    let state = apply(
        &setup.client,
        &plan_path,
        &journal_path,
        journal_path.exists(),
        &RunOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(state.finished);
    assert_eq!(state, journal::read(&journal_path).unwrap());
    assert_eq!(apply_report(&plan, &state).verdict(), Verdict::Success);
    assert_state_matches_plan(&setup.emulator, &plan);
    assert_journal_accounts_once(&journal_path, &plan);
}

/// Kills `child` (SIGKILL on Unix) once `journal` has grown by `grow_by` bytes from now, or after
/// 20 s; returns whether it was killed rather than finishing first.
pub(crate) async fn kill_when_grown(
    mut child: std::process::Child,
    journal: &Path,
    grow_by: u64,
) -> bool {
    let size = || std::fs::metadata(journal).map_or(0, |meta| meta.len());
    let start = size();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut killed = false;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if size() >= start + grow_by || std::time::Instant::now() > deadline {
            child.kill().unwrap();
            killed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = child.wait();
    killed
}

/// Starts this test binary again as a child that applies `plan` with `journal` (resuming when the
/// journal exists); the caller kills it when it likes.
pub(crate) fn spawn_child_apply(
    base_url: &str,
    token: &str,
    plan: &Path,
    journal: &Path,
    batch_size: usize,
    request_timeout: Option<Duration>,
) -> std::process::Child {
    spawn_child_run(
        base_url,
        token,
        (plan, journal, false),
        batch_size,
        request_timeout,
    )
}

/// [`spawn_child_apply`] for a rollback of the apply journal `applied`, journaling to `journal`.
pub(crate) fn spawn_child_rollback(
    base_url: &str,
    token: &str,
    applied: &Path,
    journal: &Path,
    batch_size: usize,
) -> std::process::Child {
    spawn_child_run(base_url, token, (applied, journal, true), batch_size, None)
}

/// Starts the child: an apply of the plan `source`, or with `rollback` a rollback of the apply
/// journal `source`.
fn spawn_child_run(
    base_url: &str,
    token: &str,
    (source, journal, rollback): (&Path, &Path, bool),
    batch_size: usize,
    request_timeout: Option<Duration>,
) -> std::process::Child {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "bulk_scenarios::child_apply",
            "--test-threads",
            "1",
        ])
        .env("SIGNIN_PREFS_CHILD_APPLY", "1")
        .env("CHILD_BASE_URL", base_url)
        .env("CHILD_TOKEN", token)
        .env("CHILD_PLAN", source)
        .env("CHILD_JOURNAL", journal)
        .env("CHILD_RESUME", if journal.exists() { "1" } else { "0" })
        .env("CHILD_BATCH_SIZE", batch_size.to_string())
        .env("CHILD_ROLLBACK", if rollback { "1" } else { "0" })
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(timeout) = request_timeout {
        command.env("CHILD_REQUEST_TIMEOUT_MS", timeout.as_millis().to_string());
    }
    command.spawn().unwrap()
}

/// The child side of `killed_at_random_moments_and_resumed` (and of the rollback law's kills);
/// does nothing in a normal test run.
#[test]
fn child_apply() {
    if std::env::var_os("SIGNIN_PREFS_CHILD_APPLY").is_none() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut builder = Client::builder()
            .base_url(&var("CHILD_BASE_URL"))
            .credential(StaticToken::new(Secret::new(var("CHILD_TOKEN"))));
        if let Ok(millis) = std::env::var("CHILD_REQUEST_TIMEOUT_MS") {
            builder = builder.request_timeout(Duration::from_millis(millis.parse().unwrap()));
        }
        let client = builder.build().unwrap();
        let (source, journal) = (
            Path::new(&var("CHILD_PLAN")).to_owned(),
            Path::new(&var("CHILD_JOURNAL")).to_owned(),
        );
        let resume = var("CHILD_RESUME") == "1";
        let options = RunOptions {
            verify: false,
            batch_size: std::env::var("CHILD_BATCH_SIZE")
                .ok()
                .and_then(|size| size.parse().ok())
                .unwrap_or(2),
            concurrency: 2,
            ..RunOptions::default()
        };
        let _ = if var("CHILD_ROLLBACK") == "1" {
            rollback(&client, &source, &journal, resume, &options, &mut |_| {}).await
        } else {
            apply(&client, &source, &journal, resume, &options, &mut |_| {}).await
        };
    });
}

#[test]
fn a_torn_journal_line_is_tolerated_and_other_damage_is_not() {
    let dir = std::env::temp_dir().join(format!("signin-prefs-torn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal.jsonl");
    let header = r#"{"record":"header","format":1,"kind":"apply","source":"p","sourceSha256":"x","service":"http://127.0.0.1:1","startedAt":0}"#;
    let attempt = r#"{"record":"attempt","user":"a@contoso.com","batch":1,"before":{"method":"sms","systemPreferred":null},"after":{"method":"push","systemPreferred":null}}"#;
    std::fs::write(&path, format!("{header}\n{attempt}\n{{\"record\":\"outco")).unwrap();
    let state = journal::read(&path).unwrap();
    assert!(state.torn_tail);
    assert!(state.user("a@contoso.com").unwrap().in_doubt());

    std::fs::write(&path, format!("{header}\nnot json\n{attempt}\n")).unwrap();
    let error = journal::read(&path).unwrap_err().to_string();
    assert!(error.contains("journal.jsonl:2:"), "{error}");
    std::fs::write(&path, format!("{attempt}\n")).unwrap();
    assert!(
        journal::read(&path)
            .unwrap_err()
            .to_string()
            .contains("does not start with a header")
    );
    let _ = Status::Applied;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The report of an apply, checked against the tally that is built without rows.
pub(crate) fn apply_report(plan: &Plan, state: &JournalState) -> Report {
    let report = Report::for_apply(plan, state);
    assert_eq!(Tally::for_apply(plan, state), report.tally());
    report
}

/// Rolls back the apply journal `applied` into `journal` (resuming it if it exists), then resumes
/// it until it succeeds, as an operator would, at most ten times; returns the last state.
pub(crate) async fn rollback_until_done(
    client: &Client,
    applied: &Path,
    journal: &Path,
    options: &RunOptions,
) -> JournalState {
    let mut rolled = rollback(
        client,
        applied,
        journal,
        journal.exists(),
        options,
        &mut |_| {},
    )
    .await
    .unwrap();
    for _ in 0..10 {
        if rollback_report(&rolled).verdict() == Verdict::Success {
            break;
        }
        rolled = rollback(client, applied, journal, true, options, &mut |_| {})
            .await
            .unwrap();
    }
    rolled
}

/// The report of a rollback, checked against the tally that is built without rows.
pub(crate) fn rollback_report(state: &JournalState) -> Report {
    let report = Report::for_rollback(state);
    assert_eq!(Tally::for_rollback(state), report.tally());
    report
}
