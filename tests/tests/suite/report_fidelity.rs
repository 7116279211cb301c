//! The registration report as Microsoft documents it, and the planner reading it so: `""` and
//! `none` both mean "no default", disabled users are missing from the report and left out of plans
//! unless asked, Authenticator users list both of its names, and `--from` reads only the pages of
//! users who registered what a default of `--from` needs, through the report's documented
//! `methodsRegistered/any(…)` filter. Also the small fidelity fixes of the error answers: an
//! unknown segment is `BadRequest`, one casing per code, `unknownFutureValue` refused as a value.

use signin_prefs_bulk::plan::{Action, Plan, PlanOptions, make_plan};
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::targets::{Target, TargetList};
use signin_prefs_client::Client;
use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, ReportUnsetDefault, ThrottleConfig, TokenRequest,
    UserSpec, permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::cli_scenarios::scratch;
use crate::client_support::client_with_token;
use crate::emulator_support::{admin_token, get, patch, prefs_url, quiet, start};

fn user(
    name: &str,
    methods: &[AuthMethod],
    preferred: Option<&str>,
    account_enabled: bool,
) -> UserSpec {
    UserSpec {
        id: None,
        user_principal_name: format!("{name}@contoso.com"),
        methods: methods.to_vec(),
        user_preferred_method_for_secondary_authentication: preferred.map(str::to_owned),
        is_system_preferred_authentication_method_enabled: Some(false),
        is_admin: false,
        account_enabled,
    }
}

/// Many Authenticator users on push, a few on SMS or voice, some without a default, and some
/// disabled users of each kind.
fn tenant() -> Vec<UserSpec> {
    let mut users = Vec::new();
    for index in 0..2_100 {
        users.push(user(
            &format!("push{index}"),
            &[AuthMethod::MicrosoftAuthenticator],
            Some("push"),
            true,
        ));
    }
    for index in 0..60 {
        users.push(user(
            &format!("sms{index}"),
            &[AuthMethod::MobilePhone, AuthMethod::MicrosoftAuthenticator],
            Some("sms"),
            index % 10 != 0,
        ));
        users.push(user(
            &format!("phoneonly{index}"),
            &[AuthMethod::MobilePhone],
            Some("voiceMobile"),
            true,
        ));
        users.push(user(
            &format!("office{index}"),
            &[AuthMethod::OfficePhone, AuthMethod::SoftwareOath],
            Some("voiceOffice"),
            index % 20 != 0,
        ));
        users.push(user(
            &format!("unset{index}"),
            &[AuthMethod::MicrosoftAuthenticator],
            None,
            true,
        ));
    }
    users
}

async fn emulator(unset: ReportUnsetDefault) -> EmulatorHandle {
    EmulatorBuilder::new()
        .user_specs(tenant())
        .seed(3)
        .throttle(ThrottleConfig::disabled())
        .report_unset_default(unset)
        .start()
        .await
        .unwrap()
}

fn connect(emulator: &EmulatorHandle) -> Client {
    client_with_token(
        emulator,
        TokenRequest::app_only(&[permissions::READ_WRITE_ALL, permissions::POLICY_READ_ALL]),
    )
    .build()
    .unwrap()
}

fn options(read_path: ReadPath, only_from: Vec<Method>, include_disabled: bool) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: None,
        source: "test".into(),
        exclude: Vec::new(),
        only_from,
        max_changes: None,
        read_path: ReadPathSetting::Fixed(read_path),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled,
        flag_precedence: Default::default(),
    }
}

fn everyone() -> TargetList {
    let targets: Vec<Target> = tenant()
        .iter()
        .enumerate()
        .map(|(index, spec)| Target {
            user: spec.user_principal_name.clone(),
            line: index + 1,
            method: None,
            system_preferred: None,
        })
        .collect();
    TargetList::try_from(targets).unwrap()
}

async fn plan(emulator: &EmulatorHandle, options: &PlanOptions) -> Plan {
    make_plan(&connect(emulator), &everyone(), options)
        .await
        .unwrap()
}

/// Each user's action and, for those planned, the entry's facts (reasons differ by read path).
fn decisions(plan: &Plan) -> Vec<(String, Action, Option<String>, Option<String>)> {
    plan.entries
        .iter()
        .map(|entry| {
            let planned = !matches!(
                entry.action,
                Action::Excluded | Action::NotFrom | Action::Disabled
            );
            (
                entry.user.clone(),
                entry.action,
                planned.then(|| format!("{:?}", entry.current)),
                planned.then(|| format!("{:?}", entry.target)),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_report_says_no_default_as_configured_and_the_plan_reads_both_alike() {
    let per_user = plan(
        &emulator(ReportUnsetDefault::Empty).await,
        &options(ReadPath::PerUser, Vec::new(), false),
    )
    .await;
    for unset in [ReportUnsetDefault::Empty, ReportUnsetDefault::None] {
        let emulator = emulator(unset).await;
        let url = format!(
            "{}/reports/authenticationMethods/userRegistrationDetails?$filter=userPrincipalName eq 'unset0@contoso.com'",
            emulator.graph_url()
        );
        let answer = get(&url, &admin_token(&emulator)).await;
        assert_eq!(answer.status, 200);
        let entry = &answer.json()["value"][0];
        assert_eq!(
            entry["userPreferredMethodForSecondaryAuthentication"],
            unset.as_str()
        );
        assert_eq!(entry["defaultMfaMethod"], unset.as_str());
        // An Authenticator user lists both of the app's names, as Microsoft's sample does.
        assert_eq!(
            entry["methodsRegistered"],
            serde_json::json!(["microsoftAuthenticatorPush", "softwareOneTimePasscode"])
        );

        let by_report = plan(&emulator, &options(ReadPath::Report, Vec::new(), false)).await;
        assert_eq!(decisions(&by_report), decisions(&per_user), "{unset:?}");
        let unset_users = by_report
            .entries
            .iter()
            .filter(|entry| entry.user.starts_with("unset"));
        for entry in unset_users {
            assert_eq!(entry.current.method, None, "{unset:?}: {entry:?}");
            assert_eq!(entry.action, Action::Change);
        }
    }
}

#[tokio::test]
async fn disabled_users_are_missing_from_the_report_and_left_out_of_plans_unless_asked() {
    let emulator = emulator(ReportUnsetDefault::Empty).await;
    let token = admin_token(&emulator);
    let disabled: Vec<String> = tenant()
        .into_iter()
        .filter(|spec| !spec.account_enabled)
        .map(|spec| spec.user_principal_name)
        .collect();
    assert_eq!(disabled.len(), 9);

    let report = format!(
        "{}/reports/authenticationMethods/userRegistrationDetails?$top=999&$select=userPrincipalName",
        emulator.graph_url()
    );
    let mut listed = Vec::new();
    let mut next = Some(report);
    while let Some(url) = next {
        let page = get(&url, &token).await.json();
        listed.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["userPrincipalName"].as_str().unwrap().to_owned()),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(listed.len(), tenant().len() - disabled.len());
    assert!(disabled.iter().all(|user| !listed.contains(user)));
    let users = format!(
        "{}/users?$filter=accountEnabled eq false&$select=userPrincipalName,accountEnabled",
        emulator.graph_url()
    );
    let answer = get(&users, &token).await.json();
    let found: Vec<&str> = answer["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["userPrincipalName"].as_str().unwrap())
        .collect();
    assert_eq!(found, disabled);

    for read_path in [ReadPath::Report, ReadPath::PerUser] {
        let left_out = plan(&emulator, &options(read_path, Vec::new(), false)).await;
        assert_eq!(left_out.summary.disabled, disabled.len(), "{read_path:?}");
        for entry in &left_out.entries {
            assert_eq!(
                entry.action == Action::Disabled,
                disabled.contains(&entry.user),
                "{read_path:?}: {entry:?}"
            );
        }
        assert!(!left_out.request.include_disabled);
        // A plan file with disabled users reads back, checked, as the same plan.
        let path = scratch("report-disabled").join(format!("{read_path:?}.json"));
        left_out.write(&path).unwrap();
        assert_eq!(Plan::read(&path).unwrap().0, left_out);

        let included = plan(&emulator, &options(read_path, Vec::new(), true)).await;
        assert_eq!(included.summary.disabled, 0);
        assert!(included.request.include_disabled);
        let sms0 = included
            .entries
            .iter()
            .find(|entry| entry.user == "sms0@contoso.com")
            .unwrap();
        assert_eq!(sms0.action, Action::Change, "{read_path:?}: {sms0:?}");
        assert_eq!(sms0.current.method.as_deref(), Some("sms"));
    }
}

#[tokio::test]
async fn plan_from_sms_reads_only_the_report_pages_of_users_with_a_mobile_phone() {
    let emulator = emulator(ReportUnsetDefault::Empty).await;
    let from = vec![Method::Sms, Method::VoiceMobile];

    let before = emulator.traffic().report_reads;
    let whole = plan(&emulator, &options(ReadPath::Report, Vec::new(), false)).await;
    let whole_pages = emulator.traffic().report_reads - before;
    // 2,391 enabled users in pages of 999.
    assert_eq!(whole_pages, 3);

    let before = emulator.traffic().report_reads;
    let reads_before = emulator.traffic().reads;
    let filtered = plan(&emulator, &options(ReadPath::Report, from.clone(), false)).await;
    let filtered_pages = emulator.traffic().report_reads - before;
    // 54 enabled SMS users and 60 on voiceMobile have a mobile phone: one page.
    assert_eq!(filtered_pages, 1);
    // Besides that page, only the authentication methods policy and the listing of disabled
    // users: no user is read on its own.
    assert_eq!(emulator.traffic().reads - reads_before, 3);

    // The same decisions as reading every user's live state.
    let per_user = plan(&emulator, &options(ReadPath::PerUser, from, false)).await;
    assert_eq!(decisions(&filtered), decisions(&per_user));
    assert_eq!(filtered.summary, per_user.summary);
    assert_eq!(filtered.summary.change, 54);
    assert_eq!(filtered.summary.ineligible, 60);
    assert_eq!(whole.summary.disabled, 9);
}

#[tokio::test]
async fn the_report_takes_its_documented_filters_and_refuses_the_rest() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let url = |filter: &str| {
        format!(
            "{}/reports/authenticationMethods/userRegistrationDetails?$top=999&$filter={filter}",
            emulator.graph_url()
        )
    };
    let answer = get(&url("methodsRegistered/any(x:x eq 'officePhone')"), &token).await;
    assert_eq!(answer.status, 200);
    let listed = answer.json()["value"].as_array().unwrap().len();
    let expected = (0..emulator.user_count())
        .filter_map(|index| emulator.user_at(index))
        .filter(|user| user.state.methods.contains(AuthMethod::OfficePhone))
        .count();
    assert!(expected > 0);
    assert_eq!(listed, expected);

    let answer = get(
        &url("userPreferredMethodForSecondaryAuthentication eq 'sms'"),
        &token,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "Request_UnsupportedQuery");
}

#[tokio::test]
async fn an_unknown_segment_is_bad_request_and_the_sentinel_is_no_method() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    // As real Graph answers (msgraph-beta-sdk-python#764: `code='BadRequest'`).
    let answer = get(&format!("{}/nosuchsegment", emulator.graph_url()), &token).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "BadRequest");
    assert_eq!(
        answer.error_message(),
        "Resource not found for the segment 'nosuchsegment'."
    );
    answer.assert_correlated();

    let user = emulator.user_at(5).unwrap();
    let answer = patch(
        &prefs_url(&emulator, &user.id),
        &token,
        r#"{"userPreferredMethodForSecondaryAuthentication":"unknownFutureValue"}"#,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "BadRequest");
    assert!(
        answer
            .error_message()
            .contains("Invalid value 'unknownFutureValue'")
            && answer.error_message().contains("not a method"),
        "{}",
        answer.error_message()
    );
    assert_eq!(emulator.user_at(5).unwrap().state, user.state);
}
