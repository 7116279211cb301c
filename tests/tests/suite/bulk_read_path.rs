//! How `plan` reads users' state: `$count` as Graph serves it, the reports budget the emulator
//! models, and the planner's choice between the registration report and per-user reads, made by
//! the floors the client's budgets give and said on stderr.

use std::path::Path;

use signin_prefs_bulk::read_path::{
    LISTING_PAGE_SIZE, ReadJob, ReadPath, ReadPathSetting, choose, per_user_floor, report_floor,
};
use signin_prefs_client::{Budgets, Client, ErrorKind, PacingConfig};
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, FaultKind, FaultRoute, FaultRule, Limit, RetryAfterFormat,
    ThrottleConfig, TokenRequest, permissions, seeded_groups,
};
use signin_prefs_request::{GraphRequest, GroupId, ListTransitiveMemberAsUser, ListUser, Method};

use crate::bulk_throttled::on_the_real_clock;
use crate::cli_scenarios::{cli, scratch, text};
use crate::client_support::{client_with_token, quick_retries};

/// A large-ish tenant, for a test: big enough that its report spans pages beyond the reports
/// bucket, small enough to read in seconds on the sped-up clock.
const USERS: usize = 3_000;

/// Emulated seconds per real second.
const SCALE: f64 = 20.0;

/// Budgets scaled down with the tenant, keeping Graph's shape (resource units many times the
/// report pages): 300 reads per 10 s and 3 report pages per 30 s, so that per-user reads of the
/// whole tenant take many times the report's pages, while a few users fit in the read bucket at
/// once. The reports bucket holds more than one page: a bucket of one is full whenever a page may
/// go, so the refill lost while a paced page is on its way makes the next one early.
fn scaled_budgets() -> ThrottleConfig {
    ThrottleConfig {
        reads_per_app_tenant: Limit::new(300, 10),
        reports_per_app_tenant: Some(Limit::new(3, 30)),
        retry_after: RetryAfterFormat::Fractional,
        ..ThrottleConfig::default()
    }
}

async fn tenant() -> (EmulatorHandle, String) {
    let emulator = EmulatorBuilder::new()
        .users(USERS)
        .seed(41)
        .throttle(scaled_budgets())
        .time_scale(SCALE)
        .start()
        .await
        .unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::USER_READ_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    (emulator, token)
}

/// The budgets on the real clock, as the CLI's settings.
fn budget_settings(budgets: &Budgets) -> Vec<(&'static str, String)> {
    let setting = |budget: Option<signin_prefs_client::Budget>| {
        budget.map_or_else(|| "unknown".to_owned(), |budget| budget.to_string())
    };
    vec![
        ("SIGNIN_PREFS_READ_BUDGET", setting(budgets.resource_units)),
        ("SIGNIN_PREFS_REPORTS_BUDGET", setting(budgets.reports)),
    ]
}

fn plan_entries(plan: &Path) -> Vec<serde_json::Value> {
    let plan: serde_json::Value = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    plan["entries"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_reads_the_report_for_most_of_a_tenant_and_each_user_for_a_few() {
    let (emulator, token) = tenant().await;
    let budgets = on_the_real_clock(&scaled_budgets(), SCALE);
    let members = emulator
        .group_members(seeded_groups::ALL_USERS)
        .unwrap()
        .len() as u64;
    let few: Vec<String> = (0..30)
        .map(|index| emulator.user_at(index * 97).unwrap().user_principal_name)
        .collect();
    // What the floors say, derived from the budgets: the setup means something only if they
    // disagree between the two jobs.
    let group_job = ReadJob {
        tenant_users: Some(USERS as u64),
        targets: Some(members),
        listing_pages: members.div_ceil(LISTING_PAGE_SIZE),
        report_available: true,
    };
    let few_job = ReadJob {
        targets: Some(few.len() as u64),
        listing_pages: 0,
        ..group_job
    };
    let for_group = choose(ReadPathSetting::Auto, group_job, &budgets);
    let for_few = choose(ReadPathSetting::Auto, few_job, &budgets);
    assert_eq!(
        (for_group.path, for_few.path),
        (ReadPath::Report, ReadPath::PerUser),
        "the scaled budgets must make the choice flip: {for_group} / {for_few}"
    );
    assert!(
        report_floor(&budgets, USERS as u64, members, group_job.listing_pages)
            < per_user_floor(&budgets, members, group_job.listing_pages)
    );

    let dir = scratch("read-path");
    let settings = budget_settings(&budgets);
    let before = emulator.traffic();
    let group_plan = dir.join("group.json");
    let output = cli(&emulator.base_url(), &token)
        .envs(settings.iter().map(|(name, value)| (*name, value.as_str())))
        .args([
            "plan",
            "--group",
            seeded_groups::ALL_USERS,
            "--method",
            "push,oath",
            "--out",
        ])
        .arg(&group_plan)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("reading users' state by the registration report"),
        "{stderr}"
    );
    // The table says it too.
    assert!(stdout.contains("by the registration report"), "{stdout}");
    let after_group = emulator.traffic();
    let pages = (USERS as u64).div_ceil(999);
    assert_eq!(after_group.report_reads - before.report_reads, pages);
    // Under the reports budget the report's pages meet few refusals, and no user fails.
    assert!(
        after_group.throttled_report_reads - before.throttled_report_reads <= 1,
        "{after_group:?}"
    );
    // Besides the report: the listing's pages, the two counts, the one page listing disabled
    // users and the authentication methods policy (read once; the seeded one targets all users,
    // so no group is listed for it), no per-user read.
    let other_reads =
        (after_group.reads - after_group.report_reads) - (before.reads - before.report_reads);
    assert!(
        other_reads <= group_job.listing_pages + 2 + 1 + 1,
        "{other_reads} reads besides the report"
    );
    let entries = plan_entries(&group_plan);
    assert_eq!(entries.len() as u64, members);
    assert!(entries.iter().all(|entry| entry["action"] != "error"));

    // A few users of the same tenant: per-user reads, and the report is never asked for.
    let targets = dir.join("few.csv");
    std::fs::write(&targets, format!("user\n{}\n", few.join("\n"))).unwrap();
    let few_plan = dir.join("few.json");
    let output = cli(&emulator.base_url(), &token)
        .envs(settings.iter().map(|(name, value)| (*name, value.as_str())))
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push,oath", "--out"])
        .arg(&few_plan)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("reading users' state by per-user reads"),
        "{stderr}"
    );
    let after_few = emulator.traffic();
    assert_eq!(after_few.report_reads, after_group.report_reads);
    assert_eq!(plan_entries(&few_plan).len(), few.len());

    // Asked for by name (or by the old flag), a way is taken whatever the floors say.
    let output = cli(&emulator.base_url(), &token)
        .envs(settings.iter().map(|(name, value)| (*name, value.as_str())))
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push,oath", "--from-report", "--out"])
        .arg(dir.join("few-report.json"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("by the registration report, as asked"),
        "{stderr}"
    );
    let output = cli(&emulator.base_url(), &token)
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push", "--read-path", "sideways", "--out"])
        .arg(dir.join("never.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("auto, report or per-user"));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_counts_auto_takes_per_user_reads_and_says_so() {
    let (emulator, token) = tenant().await;
    // The tenant's users cannot be counted: the `$count` answer is garbled.
    emulator.add_fault(FaultRule::always(
        FaultRoute::ListUsers,
        FaultKind::MalformedBody,
    ));
    let budgets = on_the_real_clock(&scaled_budgets(), SCALE);
    let dir = scratch("read-path-uncounted");
    let targets = dir.join("few.csv");
    let users: Vec<String> = (0..5)
        .map(|index| emulator.user_at(index).unwrap().user_principal_name)
        .collect();
    std::fs::write(&targets, format!("user\n{}\n", users.join("\n"))).unwrap();
    let output = cli(&emulator.base_url(), &token)
        .envs(
            budget_settings(&budgets)
                .iter()
                .map(|(name, value)| (*name, value.clone())),
        )
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push,oath", "--out"])
        .arg(dir.join("plan.json"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("by per-user reads, the default: the users could not be counted"),
        "{stderr}"
    );
    emulator.shutdown().await;
}

async fn counting_client(emulator: &EmulatorHandle) -> Client {
    client_with_token(
        emulator,
        TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::USER_READ_ALL,
            permissions::POLICY_READ_ALL,
        ]),
    )
    .retry_policy(quick_retries())
    .pacing(PacingConfig::disabled())
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_is_an_advanced_query_answered_in_plain_text() {
    let emulator = EmulatorBuilder::new()
        .users(1_234)
        .seed(5)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let client = counting_client(&emulator).await;
    assert_eq!(client.count_items(&ListUser::new()).await.unwrap(), 1_234);
    let group = GroupId::parse(seeded_groups::EVERY_TENTH).unwrap();
    let members = emulator
        .group_members(seeded_groups::EVERY_TENTH)
        .unwrap()
        .len() as u64;
    assert_eq!(
        client
            .count_items(&ListTransitiveMemberAsUser::new(group))
            .await
            .unwrap(),
        members
    );
    let mut filtered = ListUser::new();
    filtered.filter = Some("startswith(userPrincipalName,'a')".into());
    filtered.top = Some(5);
    let expected = (0..emulator.user_count())
        .filter(|index| {
            emulator
                .user_at(*index)
                .unwrap()
                .user_principal_name
                .to_lowercase()
                .starts_with('a')
        })
        .count() as u64;
    assert_eq!(client.count_items(&filtered).await.unwrap(), expected);

    // Without `ConsistencyLevel: eventual`, Graph's documented refusal
    // (microsoft-graph-docs-contrib, concepts/aad-advanced-queries.md).
    for path in [
        "/beta/users/$count".to_owned(),
        format!(
            "/beta/groups/{}/transitiveMembers/microsoft.graph.user/$count",
            seeded_groups::ALL_USERS
        ),
    ] {
        let error = client
            .send_raw(&GraphRequest::new(Method::GET, path.clone()))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation, "{path}: {error}");
        assert_eq!(error.status(), Some(400));
        assert_eq!(error.code(), Some("Request_BadRequest"));
        assert_eq!(error.message(), Some("$count is not currently supported."));
    }
    // The answer is text, not JSON.
    let mut request = GraphRequest::new(Method::GET, "/beta/users/$count".into());
    request.push_header("ConsistencyLevel", "eventual").unwrap();
    let answer = client.send_raw(&request).await.unwrap();
    assert_eq!(answer.body, b"1234");
    assert!(
        answer
            .headers
            .get("content-type")
            .is_some_and(|value| value.to_str().unwrap().starts_with("text/plain"))
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_pages_have_a_budget_of_their_own_with_retry_after() {
    let emulator = EmulatorBuilder::new()
        .users(10)
        .throttle(ThrottleConfig {
            reads_per_app_tenant: Limit::new(1, 10),
            ..ThrottleConfig::default()
        })
        .time_scale(0.0)
        .start()
        .await
        .unwrap();
    let client = client_with_token(
        &emulator,
        TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::USER_READ_ALL,
            permissions::POLICY_READ_ALL,
        ]),
    )
    .retry_policy(signin_prefs_client::RetryPolicy::never())
    .pacing(PacingConfig::disabled())
    .build()
    .unwrap();
    let page = || {
        GraphRequest::new(
            Method::GET,
            "/beta/reports/authenticationMethods/userRegistrationDetails".into(),
        )
    };
    // Five pages per 10 s by default, whatever the resource units (one per 10 s here) allow.
    for _ in 0..5 {
        client.send_raw(&page()).await.unwrap();
    }
    let refused = client.send_raw(&page()).await.unwrap_err();
    assert_eq!(refused.status(), Some(429));
    let retry_after = refused
        .response()
        .and_then(|response| response.retry_after)
        .unwrap_or_else(|| panic!("no Retry-After: {refused}"));
    // The resource units are untouched by the pages.
    client
        .send_raw(&GraphRequest::new(
            Method::GET,
            format!(
                "/beta/users/{}/authentication/signInPreferences",
                emulator.user_at(0).unwrap().id
            ),
        ))
        .await
        .unwrap();
    // Honouring the Retry-After (which counts the refused page, as Graph counts usage while it
    // throttles) is enough.
    emulator.advance_time(retry_after);
    client.send_raw(&page()).await.unwrap();
    let traffic = emulator.traffic();
    assert_eq!(
        (traffic.report_reads, traffic.throttled_report_reads),
        (6, 1)
    );
    emulator.shutdown().await;
}
