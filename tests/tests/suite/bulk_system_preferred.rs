//! Where a new default method counts, against the emulator's policy: the tenant's
//! system-preferred MFA setting (enabled with a group excluded, disabled, Microsoft-managed) and
//! each user's own flag decide, per user, whether a planned change of default takes effect or
//! matters only to the NPS extension and the AD FS adapter; the plan counts both, writes them so
//! its file reads back checked, and says nothing of it when the policy was not read.

use signin_prefs_bulk::plan::{Plan, PlanOptions, make_plan};
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::system_preferred::{DefaultReach, FlagPrecedence};
use signin_prefs_bulk::targets::{Target, TargetList};
use signin_prefs_client::{Client, Secret, StaticToken};
use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, GroupMembers, GroupSpec, TokenRequest, UserSpec,
    default_policy, permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::cli_scenarios::scratch;
use DefaultReach::{NpsAdfsOnly as Nps, TakesEffect as Takes};

/// The group the tenant's system-preferred setting excludes: users 0 and 1.
pub(crate) const OPTED_OUT: &str = "0b5c6f55-0000-4000-8000-00000000b001";

/// Each user's own `isSystemPreferredAuthenticationMethodEnabled`, by position.
const FLAGS: [Option<bool>; 6] = [
    Some(true),
    Some(false),
    Some(true),
    Some(false),
    None,
    Some(true),
];

pub(crate) fn user_principal_name(index: usize) -> String {
    format!("user{index}@contoso.com")
}

/// Six SMS users who also registered Authenticator, holding [`FLAGS`], and the group
/// [`OPTED_OUT`], under `policy`.
pub(crate) async fn tenant(policy: serde_json::Value) -> EmulatorHandle {
    let users = FLAGS
        .iter()
        .enumerate()
        .map(|(index, flag)| UserSpec {
            id: None,
            user_principal_name: user_principal_name(index),
            methods: vec![AuthMethod::MobilePhone, AuthMethod::MicrosoftAuthenticator],
            user_preferred_method_for_secondary_authentication: Some("sms".into()),
            is_system_preferred_authentication_method_enabled: *flag,
            is_admin: false,
            account_enabled: true,
        })
        .collect();
    EmulatorBuilder::new()
        .user_specs(users)
        .groups(vec![GroupSpec::new(
            OPTED_OUT,
            "Opted out of system-preferred MFA",
            GroupMembers::Indices(vec![0, 1]),
        )])
        .authentication_methods_policy(policy)
        .start()
        .await
        .unwrap()
}

/// The seeded policy with its `systemCredentialPreferences` set to `state`, for all users but
/// the members of `excluded`.
pub(crate) fn system_preferred(state: &str, excluded: &[&str]) -> serde_json::Value {
    let mut policy = default_policy();
    policy["systemCredentialPreferences"] = serde_json::json!({
        "state": state,
        "includeTargets": [{"targetType": "group", "id": "all_users"}],
        "excludeTargets": excluded
            .iter()
            .map(|group| serde_json::json!({"targetType": "group", "id": group}))
            .collect::<Vec<_>>(),
    });
    policy
}

fn client(emulator: &EmulatorHandle) -> Client {
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::USER_READ_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token)))
        .build()
        .unwrap()
}

fn to_push(policy: PolicySetting, flag_precedence: FlagPrecedence) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push],
        system_preferred: None,
        source: "system-preferred.csv".into(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy,
        include_disabled: false,
        flag_precedence,
    }
}

async fn plan(emulator: &EmulatorHandle, options: &PlanOptions) -> Plan {
    let mut targets = TargetList::new();
    for index in 0..FLAGS.len() {
        targets
            .push(Target {
                user: user_principal_name(index),
                line: index + 2,
                method: None,
                system_preferred: None,
            })
            .unwrap();
    }
    let plan = make_plan(&client(emulator), &targets, options)
        .await
        .unwrap();
    // Every user moves from sms to push; what differs is where the new default counts.
    assert_eq!(plan.summary.change, FLAGS.len(), "{:?}", plan.summary);
    plan
}

fn reaches(plan: &Plan) -> Vec<Option<DefaultReach>> {
    plan.entries
        .iter()
        .map(|entry| entry.default_reach)
        .collect()
}

#[tokio::test]
async fn the_tenant_setting_and_each_users_flag_decide_where_the_new_default_counts() {
    let cases: [(&str, serde_json::Value, [DefaultReach; 6]); 3] = [
        (
            // Enabled for all but OPTED_OUT (users 0 and 1): the excluded keep their default
            // whatever their flag; among the others, only a flag set off (user 3) does.
            "enabled, a group excluded",
            system_preferred("enabled", &[OPTED_OUT]),
            [Takes, Takes, Nps, Takes, Nps, Nps],
        ),
        ("disabled", system_preferred("disabled", &[]), [Takes; 6]),
        (
            // The emulator's seed: Microsoft-managed, which Microsoft sets to enabled.
            "Microsoft-managed",
            default_policy(),
            [Nps, Takes, Nps, Takes, Nps, Nps],
        ),
    ];
    for (name, policy, expected) in cases {
        let emulator = tenant(policy).await;
        let planned = plan(
            &emulator,
            &to_push(PolicySetting::Apply, FlagPrecedence::default()),
        )
        .await;
        assert_eq!(reaches(&planned), expected.map(Some), "{name}");
        let nps = expected.iter().filter(|reach| **reach == Nps).count();
        assert_eq!(
            (planned.summary.takes_effect, planned.summary.nps_adfs_only),
            (FLAGS.len() - nps, nps),
            "{name}"
        );
        // The counts travel in the plan file, which reads back checked against its entries.
        let path = scratch("system-preferred").join(format!("{}.json", nps));
        planned.write(&path).unwrap();
        let (read, _) = Plan::read(&path).unwrap();
        assert_eq!(read, planned, "{name}");
        // Readiness counts the users system-preferred MFA covers as plan decides it.
        let mut covered = std::collections::BTreeMap::new();
        let readiness = signin_prefs_bulk::readiness::read_readiness(
            &client(&emulator),
            PolicySetting::Apply,
            &mut |user| {
                covered.insert(user.user.clone(), user.system_preferred_applies);
            },
        )
        .await
        .unwrap();
        // The report gives a flag never set as false (the emulator's rendering of a Boolean
        // property; see FIDELITY.md), so only users whose flag is set are compared.
        for (index, reach) in expected.iter().enumerate() {
            if FLAGS[index].is_none() {
                continue;
            }
            assert_eq!(
                covered.get(&user_principal_name(index)),
                Some(&Some(*reach == Nps)),
                "{name}: user {index}"
            );
        }
        assert_eq!(
            readiness.system_preferred_applies,
            Some(
                covered
                    .values()
                    .filter(|applies| **applies == Some(true))
                    .count() as u64
            ),
            "{name}"
        );
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn the_flag_precedence_is_a_switch_and_an_unread_policy_tells_nothing() {
    let emulator = tenant(system_preferred("enabled", &[OPTED_OUT])).await;
    // The user's flag first: user 0 (excluded, flag on) is covered, user 3 (flag off) is not,
    // user 4 (unset) follows the policy.
    let user_first = plan(
        &emulator,
        &to_push(PolicySetting::Apply, FlagPrecedence::UserFirst),
    )
    .await;
    assert_eq!(
        reaches(&user_first),
        [Nps, Takes, Nps, Takes, Nps, Nps].map(Some)
    );
    assert_eq!(
        user_first.request.flag_precedence,
        FlagPrecedence::UserFirst
    );
    // The policy alone: the flag set off by user 3 is ignored.
    let policy_only = plan(
        &emulator,
        &to_push(PolicySetting::Apply, FlagPrecedence::PolicyOnly),
    )
    .await;
    assert_eq!(
        reaches(&policy_only),
        [Takes, Takes, Nps, Nps, Nps, Nps].map(Some)
    );
    // Without the policy nothing is claimed, and the plan file is as it was before the counts.
    let ignored = plan(
        &emulator,
        &to_push(PolicySetting::Ignore, FlagPrecedence::default()),
    )
    .await;
    assert_eq!(reaches(&ignored), [None; 6]);
    assert_eq!(
        (ignored.summary.takes_effect, ignored.summary.nps_adfs_only),
        (0, 0)
    );
    let text = ignored.to_json();
    for absent in [
        "defaultReach",
        "takesEffect",
        "npsAdfsOnly",
        "flagPrecedence",
    ] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
    emulator.shutdown().await;
}
