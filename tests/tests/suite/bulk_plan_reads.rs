//! Planning's per-user reads against the emulator: `$batch`es in flight side by side still give
//! one answer per target, in target order (unknown users as errors); progress counts up to the
//! total; and under a read budget that binds, every user is read with few refusals, the client's
//! pacing holding the window of batches to the budget.
//!
//! The throttled case runs the emulator's clock `SCALE` times faster than real time and tells the
//! client the read budget on the real clock, as `signin-prefs emulator` tells an operator.

use std::time::Duration;

use signin_prefs_bulk::plan::{
    Action, Plan, PlanOptions, PlanProgress, decide_under_policy, make_plan,
    make_plan_with_progress, write_plan_of_listed_users,
};
use signin_prefs_bulk::policy::MethodsPolicy;
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::state::read_states;
use signin_prefs_bulk::targets::{Target, TargetList};
use signin_prefs_client::{Budgets, Client, PacingConfig, Quota, RetryPolicy};
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, Limit, RetryAfterFormat, ThrottleConfig, TokenRequest,
    permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::bulk_throttled::on_the_real_clock;
use crate::client_support::client_with_token;

/// Emulated seconds per real second in the throttled case.
const SCALE: f64 = 20.0;

async fn connect(emulator: &EmulatorHandle, pacing: PacingConfig) -> Client {
    client_with_token(
        emulator,
        TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL]),
    )
    .retry_policy(
        RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(50)),
    )
    .pacing(pacing)
    .build()
    .unwrap()
}

/// 200 reads per 10 s on a clock `SCALE` times faster than real time, fractional `Retry-After`.
fn binding_reads() -> ThrottleConfig {
    ThrottleConfig {
        reads_per_app_tenant: Limit::new(200, 10),
        retry_after: RetryAfterFormat::Fractional,
        ..ThrottleConfig::default()
    }
}

async fn throttled_emulator(users: usize, seed: u64) -> EmulatorHandle {
    EmulatorBuilder::new()
        .users(users)
        .seed(seed)
        .throttle(binding_reads())
        .time_scale(SCALE)
        .start()
        .await
        .unwrap()
}

fn options(exclude: Vec<String>) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: Some(true),
        source: "test".into(),
        exclude,
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    }
}

fn target(user: String, line: usize) -> Target {
    Target {
        user,
        line,
        method: None,
        system_preferred: None,
    }
}

/// Plans `targets`, recording every progress event.
async fn plan_recording(
    client: &Client,
    targets: &[Target],
    options: &PlanOptions,
) -> (Plan, Vec<PlanProgress>) {
    let mut events = Vec::new();
    let mut record = |event| events.push(event);
    // The CLI and the Python package run it on a multi-threaded runtime: it must be `Send`.
    fn send<F: Send>(future: F) -> F {
        future
    }
    let targets = TargetList::try_from(targets.to_vec()).unwrap();
    let planning = make_plan_with_progress(client, &targets, options, &mut record);
    let plan = send(planning).await.unwrap();
    (plan, events)
}

/// The progress of per-user reads, once the read path is said: from 0, never backwards, ending
/// at `total`.
fn assert_reading_progress(events: &[PlanProgress], total: usize) {
    let Some((PlanProgress::ReadPath(decision), events)) = events.split_first() else {
        panic!("the read path is said first: {events:?}");
    };
    assert_eq!(decision.path, ReadPath::PerUser, "{decision}");
    let reading: Vec<(usize, usize)> = events
        .iter()
        .map(|event| match event {
            PlanProgress::Reading { done, total } => (*done, *total),
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(reading.first(), Some(&(0, total)), "{reading:?}");
    assert_eq!(reading.last(), Some(&(total, total)), "{reading:?}");
    assert!(
        reading
            .windows(2)
            .all(|pair| pair[0].0 <= pair[1].0 && pair[1].1 == total),
        "{reading:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_read_in_flight_answers_each_target_in_order_with_unknown_users_as_errors() {
    let emulator = EmulatorBuilder::new()
        .users(430)
        .seed(21)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let client = connect(&emulator, PacingConfig::default()).await;
    // Known users by id and by UPN, with an unknown user every seventh target, in no order the
    // batches could reproduce by accident.
    let mut targets = Vec::new();
    for index in 0..emulator.user_count() {
        let record = emulator
            .user_at((index * 37) % emulator.user_count())
            .unwrap();
        let key = if index % 2 == 0 {
            record.id
        } else {
            record.user_principal_name
        };
        targets.push(target(key, targets.len() + 2));
        if index % 7 == 3 {
            targets.push(target(
                format!("nobody{index}@contoso.com"),
                targets.len() + 2,
            ));
        }
    }
    let excluded = targets[5].user.clone();
    let options = options(vec![excluded.clone()]);

    let (plan, events) = plan_recording(&client, &targets, &options).await;

    assert_reading_progress(&events, targets.len() - 1);
    // Without throttling, one event per group of 20, plus the first, after the read path's.
    assert_eq!(events.len(), 2 + (targets.len() - 1).div_ceil(20));
    assert_eq!(plan.entries.len(), targets.len());
    let mut unknown = 0;
    for (entry, target) in plan.entries.iter().zip(&targets) {
        assert_eq!(entry.user, target.user);
        assert_eq!(entry.source_line, target.line);
        if entry.user == excluded {
            assert_eq!(entry.action, Action::Excluded);
        } else if entry.user.starts_with("nobody") {
            unknown += 1;
            assert_eq!(entry.action, Action::Error, "{entry:?}");
            assert!(
                entry.reason.starts_with("cannot read the user's state"),
                "{entry:?}"
            );
        } else {
            assert_ne!(entry.action, Action::Error, "{entry:?}");
            // What the emulator holds for that very user, not for a neighbour in its batch.
            let held = emulator.user(&entry.user).unwrap().state;
            assert_eq!(
                entry.current.method.as_deref(),
                held.preferred.as_ref().map(|method| method.as_str()),
                "{}",
                entry.user
            );
            assert_eq!(
                entry.current.system_preferred, held.system_preferred_enabled,
                "{}",
                entry.user
            );
        }
    }
    assert_eq!(unknown, targets.len() - emulator.user_count());

    // The same decisions as reading each user on its own, one at a time, under the same policy.
    let policy = MethodsPolicy::read(&client).await.unwrap();
    for (entry, target) in plan.entries.iter().zip(&targets).step_by(3) {
        if entry.action == Action::Excluded {
            continue;
        }
        let alone = read_states(&client, std::slice::from_ref(&target.user))
            .await
            .pop()
            .unwrap();
        match alone {
            Ok(state) => assert_eq!(
                *entry,
                decide_under_policy(target, &state, &options, &policy),
                "{}",
                target.user
            ),
            Err(_) => assert_eq!(entry.action, Action::Error, "{}", target.user),
        }
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_no_one_to_read_reports_zero_of_zero() {
    let emulator = EmulatorBuilder::new()
        .users(3)
        .seed(21)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let client = connect(&emulator, PacingConfig::default()).await;
    let user = emulator.user_at(0).unwrap().id;
    let targets = vec![target(user.clone(), 2)];

    let (plan, events) = plan_recording(&client, &targets, &options(vec![user])).await;

    assert!(
        matches!(events.first(), Some(PlanProgress::ReadPath(decision)) if decision.path == ReadPath::PerUser),
        "{events:?}"
    );
    assert_eq!(events[1..], [PlanProgress::Reading { done: 0, total: 0 }]);
    assert_eq!(plan.summary.excluded, 1);
    // The one page listing disabled users, and no user read.
    assert_eq!(emulator.traffic().reads, 1);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_under_a_binding_read_budget_reads_everyone_with_few_refusals() {
    // 200 reads per 10 s: 1,200 users (2,400 reads) are twelve buckets, so most of the reading
    // waits on the budget's refill, with every batch of the window queued on the pacer.
    let emulator = throttled_emulator(1_200, 22).await;
    let told = on_the_real_clock(&binding_reads(), SCALE);
    let client = connect(&emulator, PacingConfig::default().with_budgets(told)).await;
    let targets: Vec<Target> = (0..emulator.user_count())
        .map(|index| target(emulator.user_at(index).unwrap().id, index + 2))
        .collect();

    let (plan, events) = plan_recording(&client, &targets, &options(Vec::new())).await;

    assert_reading_progress(&events, targets.len());
    assert_eq!(plan.entries.len(), targets.len());
    for (entry, target) in plan.entries.iter().zip(&targets) {
        assert_eq!(entry.user, target.user);
        assert_ne!(entry.action, Action::Error, "{entry:?}");
    }
    let traffic = emulator.traffic();
    let users = targets.len() as u64;
    // Two reads a user at least (a refused read goes again).
    assert!(traffic.reads >= 2 * users, "{traffic:?}");
    // The pacing kept the window of batches to the budget: at most one read in a hundred refused.
    assert!(
        traffic.throttled_reads * 100 <= traffic.reads,
        "{traffic:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_the_client_stopped_waiting_on_goes_again_rather_than_failing_the_user() {
    // The client is told no read budget and gives up on an item at its first 429: every refusal
    // comes back to the plan as throttled, and the plan reads the user again.
    let emulator = throttled_emulator(500, 23).await;
    let client = client_with_token(
        &emulator,
        TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL]),
    )
    .retry_policy(
        RetryPolicy::default()
            .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
            .with_max_throttled_attempts(1),
    )
    .pacing(PacingConfig::default().with_budgets(Budgets::unknown()))
    .build()
    .unwrap();
    let targets: Vec<Target> = (0..emulator.user_count())
        .map(|index| {
            target(
                emulator.user_at(index).unwrap().user_principal_name,
                index + 2,
            )
        })
        .collect();

    let (plan, events) = plan_recording(&client, &targets, &options(Vec::new())).await;

    let traffic = emulator.traffic();
    assert!(
        traffic.throttled_reads > 0,
        "the test must reach the budget: {traffic:?}"
    );
    assert_reading_progress(&events, targets.len());
    assert_eq!(plan.entries.len(), targets.len());
    for (entry, target) in plan.entries.iter().zip(&targets) {
        assert_eq!(entry.user, target.user);
        assert_ne!(entry.action, Action::Error, "{entry:?}");
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_listed_users_streamed_window_by_window_is_the_plan_of_the_same_list() {
    use futures_util::StreamExt as _;
    // More users than one window of the planner holds, most found in the registration report,
    // some read one by one (unknown to it), some excluded: window boundaries change nothing.
    let emulator = EmulatorBuilder::new()
        .users(9_000)
        .seed(23)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    // The emulator throttles nothing here: the client need not pace the report's ten pages.
    let unpaced_report = Budgets::documented().with(Quota::Reports, None);
    let client = connect(
        &emulator,
        PacingConfig::default().with_budgets(unpaced_report),
    )
    .await;
    let mut keys: Vec<String> = (0..emulator.user_count())
        .map(|index| emulator.user_at(index).unwrap().user_principal_name)
        .collect();
    for at in [5, 4_000, 8_191, 8_192, 8_999] {
        keys.insert(at, format!("nobody{at}@contoso.com"));
    }
    let excluded = vec![keys[17].clone(), keys[8_500].clone()];
    let options = PlanOptions {
        read_path: ReadPathSetting::Fixed(ReadPath::Report),
        ..options(excluded)
    };
    let targets: Vec<Target> = keys
        .iter()
        .enumerate()
        .map(|(index, key)| target(key.clone(), index + 1))
        .collect();
    let whole = make_plan(&client, &targets.try_into().unwrap(), &options)
        .await
        .unwrap();

    let dir = std::env::temp_dir().join(format!("signin-prefs-listed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The listing is read while the report is. Listed at once, it is all read ahead; listed
    // slower than the report (its later keys held back until every report page is served), the
    // reading ahead stops with the report, mid-list, and the rest arrives window by window.
    let report_pages = (emulator.user_count() as u64).div_ceil(999);
    let report_read = || emulator.traffic().report_reads >= report_pages;
    let held_back = keys
        .clone()
        .into_iter()
        .enumerate()
        .map(|(index, key)| (index, Ok(key)));
    let slow_listing = futures_util::stream::iter(held_back).then(|(index, key)| async move {
        if index == 2_500 {
            while !report_read() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        key
    });
    let path = dir.join("slow.json");
    let _ = std::fs::remove_file(&path);
    write_plan_of_listed_users(
        &client,
        slow_listing,
        &options,
        &path,
        &mut |_| {},
        &mut |_| {},
    )
    .await
    .unwrap();
    let (slow, _) = Plan::read(&path).unwrap();

    // A listing that fails midway, read ahead or not, fails the plan, which leaves no file.
    for failing_at in [3_000, keys.len()] {
        let failing = futures_util::stream::iter(keys.clone().into_iter().map(Ok))
            .take(failing_at)
            .chain(futures_util::stream::once(async {
                Err(signin_prefs_bulk::Error::Guard("the listing broke".into()))
            }));
        let path = dir.join(format!("failing-{failing_at}.json"));
        let error =
            write_plan_of_listed_users(&client, failing, &options, &path, &mut |_| {}, &mut |_| {})
                .await
                .unwrap_err();
        assert!(error.to_string().contains("the listing broke"), "{error}");
        assert!(!path.exists());
    }

    let path = dir.join("plan.json");
    let _ = std::fs::remove_file(&path);
    let mut events = Vec::new();
    let listed = futures_util::stream::iter(keys.clone().into_iter().map(Ok));
    let summary = write_plan_of_listed_users(
        &client,
        listed,
        &options,
        &path,
        &mut |event| events.push(event),
        &mut |_| {},
    )
    .await
    .unwrap()
    .summary;

    let (streamed, _) = Plan::read(&path).unwrap();
    assert_eq!(slow.summary, whole.summary);
    assert_eq!(
        slow.entries
            .iter()
            .map(|entry| (&entry.user, entry.source_line, entry.action))
            .collect::<Vec<_>>(),
        whole
            .entries
            .iter()
            .map(|entry| (&entry.user, entry.source_line, entry.action))
            .collect::<Vec<_>>(),
    );
    assert_eq!(summary, whole.summary);
    assert_eq!(streamed.entries.len(), whole.entries.len());
    // An unreadable user's reason carries the request's ids, which differ between the two reads.
    let without_ids = |entry: &signin_prefs_bulk::plan::PlanEntry| {
        let mut entry = entry.clone();
        if entry.action == Action::Error {
            entry
                .reason
                .truncate(entry.reason.find('[').unwrap_or(entry.reason.len()));
        }
        entry
    };
    let differing: Vec<_> = streamed
        .entries
        .iter()
        .zip(&whole.entries)
        .filter(|(streamed, whole)| without_ids(streamed) != without_ids(whole))
        .map(|(streamed, _)| streamed.source_line)
        .collect();
    assert!(
        differing.is_empty(),
        "entries at lines {differing:?} differ"
    );
    assert_eq!(whole.summary.error, 5);
    assert_eq!(whole.summary.excluded, 2);
    // The users read one by one are counted as the list arrives, ending at all of them.
    let reading: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|event| match event {
            PlanProgress::Reading { done, total } => Some((*done, *total)),
            PlanProgress::ReadingReport | PlanProgress::ReadPath(_) => None,
        })
        .collect();
    assert_eq!(reading.last(), Some(&(5, 5)), "{reading:?}");
    assert!(
        reading
            .windows(2)
            .all(|pair| pair[0].0 <= pair[1].0 && pair[0].1 <= pair[1].1)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    emulator.shutdown().await;
}
