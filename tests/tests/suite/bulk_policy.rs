//! Plans under the tenant's authentication methods policy: a method the policy disables, or whose
//! include/exclude groups leave a user out, is not eligible, the fallback list goes on, a token
//! without `Policy.Read.All` stops the plan with a message naming it, and `--ignore-policy` plans
//! as if there were no policy.

use signin_prefs_bulk::plan::{Action, PlanOptions, make_plan};
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::targets::{Target, TargetList};
use signin_prefs_client::{Client, Secret, StaticToken};
use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, GroupMembers, GroupSpec, MethodConfiguration,
    TokenRequest, UserSpec, permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

const PILOT: &str = "0b5c6f55-0000-4000-8000-00000000a001";

fn users() -> Vec<UserSpec> {
    (0..4)
        .map(|index| UserSpec {
            id: None,
            user_principal_name: format!("user{index}@contoso.com"),
            methods: vec![
                AuthMethod::MobilePhone,
                AuthMethod::MicrosoftAuthenticator,
                AuthMethod::SoftwareOath,
            ],
            user_preferred_method_for_secondary_authentication: Some("sms".into()),
            is_system_preferred_authentication_method_enabled: Some(false),
            is_admin: false,
            account_enabled: true,
        })
        .collect()
}

async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder
        .user_specs(users())
        // The pilot group: the first two users.
        .groups(vec![GroupSpec::new(
            PILOT,
            "Authenticator pilot",
            GroupMembers::Indices(vec![0, 1]),
        )])
        .start()
        .await
        .unwrap()
}

fn client(emulator: &EmulatorHandle, roles: &[&str]) -> Client {
    let token = emulator.mint_token(TokenRequest::app_only(roles)).unwrap();
    Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token)))
        .build()
        .unwrap()
}

fn targets() -> TargetList {
    let mut list = TargetList::new();
    for index in 0..4 {
        list.push(Target {
            user: format!("user{index}@contoso.com"),
            line: index + 2,
            method: None,
            system_preferred: None,
        })
        .unwrap();
    }
    list
}

fn push_or_oath(policy: PolicySetting) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: None,
        source: "policy.csv".into(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy,
        include_disabled: false,
        flag_precedence: Default::default(),
    }
}

const ROLES: [&str; 3] = [
    permissions::READ_WRITE_ALL,
    permissions::USER_READ_ALL,
    permissions::POLICY_READ_ALL,
];

#[tokio::test]
async fn push_disabled_by_the_policy_falls_through_to_oath_and_says_why() {
    let emulator = start(
        EmulatorBuilder::new()
            .method_configuration(MethodConfiguration::disabled("MicrosoftAuthenticator")),
    )
    .await;
    let plan = make_plan(
        &client(&emulator, &ROLES),
        &targets(),
        &push_or_oath(PolicySetting::Apply),
    )
    .await
    .unwrap();
    for entry in &plan.entries {
        assert_eq!(entry.action, Action::Change, "{entry:?}");
        assert_eq!(
            entry.target.as_ref().unwrap().method.as_deref(),
            Some("oath")
        );
        assert!(
            entry.reason.contains(
                "push is not allowed for this user by the authentication methods policy (Microsoft Authenticator: disabled)"
            ),
            "{}",
            entry.reason
        );
    }
    // --ignore-policy: push for everyone.
    let ignored = make_plan(
        &client(&emulator, &ROLES),
        &targets(),
        &push_or_oath(PolicySetting::Ignore),
    )
    .await
    .unwrap();
    assert!(
        ignored
            .entries
            .iter()
            .all(|entry| entry.target.as_ref().unwrap().method.as_deref() == Some("push"))
    );
}

#[tokio::test]
async fn include_and_exclude_groups_decide_per_user() {
    // Authenticator only for the pilot group; software OATH for everyone but the pilot group.
    let emulator = start(
        EmulatorBuilder::new()
            .method_configuration(
                MethodConfiguration::enabled_for_all("MicrosoftAuthenticator").including(&[PILOT]),
            )
            .method_configuration(
                MethodConfiguration::enabled_for_all("SoftwareOath").excluding(&[PILOT]),
            ),
    )
    .await;
    let plan = make_plan(
        &client(&emulator, &ROLES),
        &targets(),
        &push_or_oath(PolicySetting::Apply),
    )
    .await
    .unwrap();
    let chosen: Vec<_> = plan
        .entries
        .iter()
        .map(|entry| entry.target.as_ref().and_then(|t| t.method.clone()))
        .collect();
    assert_eq!(
        chosen,
        [
            Some("push".into()),
            Some("push".into()),
            Some("oath".into()),
            Some("oath".into())
        ]
    );
    assert!(
        plan.entries[2]
            .reason
            .contains("Microsoft Authenticator: the user is in none of its included groups"),
        "{}",
        plan.entries[2].reason
    );

    // Only oath asked: the pilot users are kept from it by the exclusion.
    let oath_only = PlanOptions {
        methods: vec![Method::Oath],
        ..push_or_oath(PolicySetting::Apply)
    };
    let plan = make_plan(&client(&emulator, &ROLES), &targets(), &oath_only)
        .await
        .unwrap();
    assert_eq!(plan.entries[0].action, Action::Ineligible);
    assert!(
        plan.entries[0]
            .reason
            .contains("Third-party software OATH tokens: the user is in an excluded group"),
        "{}",
        plan.entries[0].reason
    );
    assert_eq!(plan.entries[3].action, Action::Change);
}

/// Whether a refusal names the permission that reads the policy and the flag that goes without.
pub(crate) fn names_the_policy_permission(refusal: &str) -> bool {
    refusal.contains("Policy.Read.All") && refusal.contains("--ignore-policy")
}

#[tokio::test]
async fn without_policy_read_the_plan_stops_naming_the_permission() {
    let emulator = start(EmulatorBuilder::new()).await;
    let client = client(&emulator, &[permissions::READ_WRITE_ALL]);
    let error = make_plan(&client, &targets(), &push_or_oath(PolicySetting::Apply))
        .await
        .unwrap_err()
        .to_string();
    assert!(names_the_policy_permission(&error), "{error}");
    // And the policy is not needed with --ignore-policy.
    make_plan(&client, &targets(), &push_or_oath(PolicySetting::Ignore))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_policy_is_set_from_the_handle_and_served_as_graph_sends_it() {
    let emulator = start(EmulatorBuilder::new()).await;
    let mut policy = emulator.authentication_methods_policy().unwrap();
    policy["authenticationMethodConfigurations"][0]["state"] = "disabled".into();
    emulator.set_authentication_methods_policy(policy).unwrap();
    let served: signin_prefs_model::AuthenticationMethodsPolicy = client(&emulator, &ROLES)
        .send(&signin_prefs_request::GetAuthenticationMethodsPolicy::new())
        .await
        .unwrap();
    let first = &served.authentication_method_configurations.unwrap()[0];
    assert_eq!(first.id.as_deref(), Some("MicrosoftAuthenticator"));
    assert_eq!(
        first.state,
        Some(signin_prefs_model::AuthenticationMethodState::Disabled)
    );
    assert!(
        emulator
            .set_authentication_methods_policy(serde_json::json!([]))
            .is_err()
    );
}
