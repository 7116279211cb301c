//! `signin-prefs plan --group` and `plan --filter` end to end: the binary reads the users from the
//! emulator's `/groups/{id}/transitiveMembers/microsoft.graph.user` and `/users?$filter=…`
//! (following next links), and the plan holds exactly those users.

use std::collections::BTreeSet;
use std::path::Path;

use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, ThrottleConfig, TokenRequest, UserSpec,
    permissions, seeded_groups,
};

use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};

use crate::cli_scenarios::{cli, scratch, text};

/// 250 seeded users (so a group spans pages of 100) and a few more named Adele.
async fn emulator() -> (EmulatorHandle, String) {
    let emulator = EmulatorBuilder::new()
        .users(250)
        .seed(23)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    for upn in [
        "adele.extra@contoso.onmicrosoft.com",
        "ADELE.upper@contoso.onmicrosoft.com",
        "adele.guest_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "madeleine@contoso.onmicrosoft.com",
    ] {
        emulator
            .add_user(&UserSpec {
                id: None,
                user_principal_name: upn.into(),
                methods: vec![AuthMethod::MicrosoftAuthenticator],
                user_preferred_method_for_secondary_authentication: Some("push".into()),
                is_system_preferred_authentication_method_enabled: Some(false),
                is_admin: false,
                account_enabled: true,
            })
            .unwrap();
    }
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::USER_READ_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    (emulator, token)
}

fn planned_users(plan: &Path) -> Vec<String> {
    let plan: serde_json::Value = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["user"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_same_users(planned: &[String], expected: &[String]) {
    let planned_set: BTreeSet<String> = planned.iter().map(|user| user.to_lowercase()).collect();
    let expected_set: BTreeSet<String> = expected.iter().map(|user| user.to_lowercase()).collect();
    assert_eq!(planned.len(), planned_set.len(), "a user planned twice");
    assert_eq!(planned_set, expected_set);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_for_a_group_holds_exactly_its_members() {
    let (emulator, token) = emulator().await;
    let dir = scratch("group");
    let plan = dir.join("plan.json");
    let group = seeded_groups::EVEN_POSITIONS;
    let output = cli(&emulator.base_url(), &token)
        .args(["plan", "--group", group, "--method", "push,oath", "--out"])
        .arg(&plan)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let expected: Vec<String> = emulator
        .group_members(group)
        .unwrap()
        .into_iter()
        .map(|user| user.user_principal_name)
        .collect();
    // More than one page of 100: the binary followed the next link.
    assert!(expected.len() > 100, "{}", expected.len());
    assert_same_users(&planned_users(&plan), &expected);

    // A nested group is flattened.
    let plan = dir.join("pilot.json");
    let output = cli(&emulator.base_url(), &token)
        .args([
            "plan",
            "--group",
            seeded_groups::PILOT,
            "--method",
            "push,oath",
            "--out",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let expected: Vec<String> = emulator
        .group_members(seeded_groups::PILOT)
        .unwrap()
        .into_iter()
        .map(|user| user.user_principal_name)
        .collect();
    assert_same_users(&planned_users(&plan), &expected);

    // An unknown group: the plan is refused and nothing is written.
    let plan = dir.join("unknown.json");
    let output = cli(&emulator.base_url(), &token)
        .args([
            "plan",
            "--group",
            "99999999-9999-4999-8999-999999999999",
            "--method",
            "push",
            "--out",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{:?}", text(&output));
    assert!(!plan.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_for_a_filter_holds_exactly_the_matching_users() {
    let (emulator, token) = emulator().await;
    let dir = scratch("filter");
    let plan = dir.join("plan.json");
    let output = cli(&emulator.base_url(), &token)
        .args([
            "plan",
            "--filter",
            "startswith(userPrincipalName,'adele')",
            "--method",
            "push,oath",
            "--out",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let expected: Vec<String> = (0..emulator.user_count())
        .filter_map(|index| emulator.user_at(index))
        .map(|user| user.user_principal_name)
        .filter(|upn| upn.to_lowercase().starts_with("adele"))
        .collect();
    assert!(expected.len() >= 3, "{expected:?}");
    assert!(!expected.iter().any(|upn| upn.starts_with("madeleine")));
    assert_same_users(&planned_users(&plan), &expected);

    // An unsupported filter is refused by the service and no plan is written.
    let plan = dir.join("unsupported.json");
    let output = cli(&emulator.base_url(), &token)
        .args([
            "plan",
            "--filter",
            "contains(userPrincipalName,'adele')",
            "--method",
            "push",
            "--out",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stderr.contains("Request_UnsupportedQuery") || stderr.contains("contains"),
        "{stderr}"
    );
    assert!(!plan.exists());
}

/// `plan --from-report` reads the registration report instead of two requests per user, and
/// decides exactly as the per-user reads do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_from_the_registration_report_matches_per_user_reads() {
    use signin_prefs_bulk::plan::{PlanOptions, make_plan};
    use signin_prefs_bulk::targets::{Target, TargetList};
    use signin_prefs_client::{Client, Secret, StaticToken};
    use signin_prefs_emulator::{EmulatorBuilder, ThrottleConfig, TokenRequest, permissions};
    use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

    let emulator = EmulatorBuilder::new()
        .users(150)
        .seed(9)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token)))
        .build()
        .unwrap();
    let targets = TargetList::try_from(
        (0..150)
            .map(|index| Target {
                user: emulator.user_at(index).unwrap().user_principal_name,
                line: index + 2,
                method: None,
                system_preferred: None,
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let options = |read_path| PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: Some(true),
        source: "report".into(),
        exclude: Vec::new(),
        only_from: vec![Method::Sms, Method::VoiceMobile],
        max_changes: None,
        read_path: ReadPathSetting::Fixed(read_path),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    };
    let per_user = make_plan(&client, &targets, &options(ReadPath::PerUser))
        .await
        .unwrap();
    let from_report = make_plan(&client, &targets, &options(ReadPath::Report))
        .await
        .unwrap();
    let decisions = |plan: &signin_prefs_bulk::plan::Plan| {
        plan.entries
            .iter()
            .map(|entry| (entry.user.clone(), entry.action, entry.target.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(decisions(&from_report), decisions(&per_user));
    assert_eq!(from_report.summary, per_user.summary);
    assert!(per_user.summary.change > 10);
}
