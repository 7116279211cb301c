//! `readiness` against the emulator: the report's answer per user is what per-user reads find, the
//! counts are those users', the authentication methods policy keeps users from push or OATH as
//! `plan` decides, and the CLI prints the counts and writes the per-user CSV owner-only.

use signin_prefs_bulk::plan::{Action, PlanOptions, make_plan};
use signin_prefs_bulk::policy::{MethodsPolicy, PolicySetting};
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::readiness::{PolicyVerdict, Readiness, UserReadiness, read_readiness};
use signin_prefs_bulk::readiness_csv::USERS_CSV_HEADER;
use signin_prefs_bulk::state::read_states;
use signin_prefs_bulk::system_preferred::{Coverage, FlagPrecedence};
use signin_prefs_bulk::targets::{Target, TargetList};
use signin_prefs_client::{Client, Secret, StaticToken};
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, GroupMembers, GroupSpec, MethodConfiguration, ThrottleConfig,
    TokenRequest, permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::bulk_policy::names_the_policy_permission;
use crate::cli_scenarios::{cli, scratch, text};

/// What readiness needs: the report, the policy, and the members of the groups it names.
const ROLES: [&str; 3] = [
    permissions::READ_WRITE_ALL,
    permissions::POLICY_READ_ALL,
    permissions::USER_READ_ALL,
];

/// Microsoft Authenticator's pilot: every third user.
const PILOT: &str = "0b5c6f55-0000-4000-8000-00000000b001";
/// Kept from software OATH: every fifth user, from the second.
const NO_OATH: &str = "0b5c6f55-0000-4000-8000-00000000b002";

fn seeded() -> EmulatorBuilder {
    EmulatorBuilder::new()
        .users(300)
        .seed(11)
        .throttle(ThrottleConfig::disabled())
}

/// A tenant whose policy gives Authenticator to the pilot group only and software OATH to all
/// but the `NO_OATH` group (the seeded policy leaves hardware OATH disabled).
fn with_policy() -> EmulatorBuilder {
    seeded()
        .groups(vec![
            GroupSpec::new(
                PILOT,
                "Authenticator pilot",
                GroupMembers::Modulo {
                    modulus: 3,
                    remainder: 0,
                },
            ),
            GroupSpec::new(
                NO_OATH,
                "No OATH",
                GroupMembers::Modulo {
                    modulus: 5,
                    remainder: 1,
                },
            ),
        ])
        .method_configuration(
            MethodConfiguration::enabled_for_all("MicrosoftAuthenticator").including(&[PILOT]),
        )
        .method_configuration(
            MethodConfiguration::enabled_for_all("SoftwareOath").excluding(&[NO_OATH]),
        )
}

async fn start(builder: EmulatorBuilder) -> (EmulatorHandle, String) {
    let emulator = builder.start().await.unwrap();
    let token = emulator.mint_token(TokenRequest::app_only(&ROLES)).unwrap();
    (emulator, token)
}

fn client(emulator: &EmulatorHandle, token: &str) -> Client {
    Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token.to_owned())))
        .build()
        .unwrap()
}

/// What readiness says of a user, whichever way the user was read.
fn verdict(user: &UserReadiness) -> (Option<String>, [bool; 7]) {
    (
        user.default_method
            .as_ref()
            .map(|method| method.as_str().to_owned()),
        [
            user.system_preferred(),
            user.phone_default(),
            user.must_register(),
            user.only_phone_methods(),
            user.movable(),
            user.policy_keeps_from(&Method::Push),
            user.policy_keeps_from(&Method::Oath),
        ],
    )
}

/// The tenant [`with_policy`], a client that may read all readiness needs, and what readiness
/// says of it: the counts and each user.
async fn read_under_policy() -> (EmulatorHandle, Client, Readiness, Vec<UserReadiness>) {
    let (emulator, token) = start(with_policy()).await;
    let client = client(&emulator, &token);
    let mut users = Vec::new();
    let readiness = read_readiness(&client, PolicySetting::Apply, &mut |user| {
        users.push(user.clone())
    })
    .await
    .unwrap();
    (emulator, client, readiness, users)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_from_the_report_matches_per_user_reads() {
    let (emulator, client, readiness, from_report) = read_under_policy().await;
    assert_eq!(from_report.len(), emulator.user_count());
    let policy = MethodsPolicy::read(&client).await.unwrap();

    let keys: Vec<String> = from_report.iter().map(|user| user.user.clone()).collect();
    let per_user: Vec<UserReadiness> = read_states(&client, &keys)
        .await
        .into_iter()
        .map(|state| {
            let state = state.unwrap();
            let user = state.user;
            UserReadiness {
                user: user.clone(),
                id: None,
                default_method: state
                    .preferences
                    .user_preferred_method_for_secondary_authentication,
                system_preferred: state
                    .preferences
                    .is_system_preferred_authentication_method_enabled,
                system_preferred_applies: Coverage::for_user(
                    Some(&policy),
                    &user,
                    state
                        .preferences
                        .is_system_preferred_authentication_method_enabled,
                    FlagPrecedence::default(),
                )
                .applies(),
                registered: state.registered,
                // Known by principal name here, by object id in the report.
                policy: Some(PolicyVerdict::of(&policy, &user)),
            }
        })
        .collect();
    for (reported, read) in from_report.iter().zip(&per_user) {
        assert_eq!(verdict(reported), verdict(read), "{}", reported.user);
    }
    let mut counted = Readiness::new(true);
    per_user.iter().for_each(|user| counted.add(user));
    assert_eq!(readiness, counted);
    // The seeded tenant has users of every kind the retirement asks about.
    assert!(readiness.phone_default > 0 && readiness.phone_default_movable > 0);
    assert!(readiness.must_register > 0 && readiness.only_phone_methods > 0);
    assert!(readiness.policy_keeps_from_both.unwrap() > 0);
}

/// The seeded users by report key (object id), with their positions.
fn positions(emulator: &EmulatorHandle) -> std::collections::HashMap<String, usize> {
    (0..emulator.user_count())
        .filter_map(|index| emulator.user_at(index))
        .map(|record| (record.id, record.index))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_keeps_users_from_push_or_oath_as_plan_decides() {
    let (emulator, client, readiness, users) = read_under_policy().await;
    let positions = positions(&emulator);

    // Per user, the groups decide: push for the pilot only, OATH for all but NO_OATH.
    for user in &users {
        let index = positions[user.id.as_deref().unwrap()];
        let policy = user.policy.as_ref().unwrap();
        assert_eq!(
            policy.push.is_some(),
            !index.is_multiple_of(3),
            "{}",
            user.user
        );
        assert_eq!(policy.oath.is_some(), index % 5 == 1, "{}", user.user);
        if let Some(push) = &policy.push {
            assert_eq!(
                push.reasons(),
                ["Microsoft Authenticator: the user is in none of its included groups"]
            );
        }
        if let Some(oath) = &policy.oath {
            assert!(
                oath.reasons()[0]
                    .contains("software OATH tokens: the user is in an excluded group"),
                "{oath}"
            );
        }
    }
    let count = |test: &dyn Fn(&UserReadiness) -> bool| {
        Some(u64::try_from(users.iter().filter(|user| test(user)).count()).unwrap())
    };
    assert_eq!(
        readiness.policy_keeps_from_push,
        count(&|user| user.policy_keeps_from(&Method::Push))
    );
    assert_eq!(
        readiness.policy_keeps_from_oath,
        count(&|user| user.policy_keeps_from(&Method::Oath))
    );

    // A phone default is movable now exactly when the planner, under the same policy, would
    // change it to push or OATH.
    let mut targets = TargetList::new();
    for (line, user) in users.iter().enumerate() {
        targets
            .push(Target {
                user: user.id.clone().unwrap(),
                line: line + 2,
                method: None,
                system_preferred: None,
            })
            .unwrap();
    }
    let options = PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: None,
        source: "readiness.csv".into(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    };
    let plan = make_plan(&client, &targets, &options).await.unwrap();
    let mut kept_movable = 0;
    for (user, entry) in users.iter().zip(&plan.entries) {
        if user.phone_default() {
            assert_eq!(
                user.movable(),
                entry.action == Action::Change,
                "{}: {}",
                user.user,
                entry.reason
            );
            kept_movable += u64::from(!user.movable() && !user.must_register());
        }
    }
    // The policy, not registration, keeps some phone users where they are.
    assert!(kept_movable > 0);
    assert_eq!(
        readiness.phone_default_movable,
        u64::try_from(
            plan.entries
                .iter()
                .zip(&users)
                .filter(|(entry, user)| user.phone_default() && entry.action == Action::Change)
                .count()
        )
        .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_policy_read_readiness_stops_naming_the_permission_unless_ignored() {
    let (emulator, _) = start(with_policy()).await;
    let token = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap();
    let client = client(&emulator, &token);
    let mut seen = 0;
    let error = read_readiness(&client, PolicySetting::Apply, &mut |_| seen += 1)
        .await
        .unwrap_err()
        .to_string();
    assert!(names_the_policy_permission(&error), "{error}");
    assert_eq!(seen, 0, "no user is read before the policy");

    let ignored = read_readiness(&client, PolicySetting::Ignore, &mut |user| {
        assert_eq!(user.policy, None);
    })
    .await
    .unwrap();
    assert!(!ignored.policy_read);
    assert_eq!(ignored.policy_keeps_from_push, None);
    // Without the policy, movable means registered: more users than under this policy, and
    // nothing else differs.
    let token = emulator.mint_token(TokenRequest::app_only(&ROLES)).unwrap();
    let honoured = read_readiness(
        &self::client(&emulator, &token),
        PolicySetting::Apply,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(honoured.phone_default_movable < ignored.phone_default_movable);
    assert_eq!(
        Readiness {
            phone_default_movable: 0,
            policy_read: false,
            policy_keeps_from_push: None,
            policy_keeps_from_oath: None,
            policy_keeps_from_both: None,
            system_preferred_applies: None,
            ..honoured
        },
        Readiness {
            phone_default_movable: 0,
            ..ignored
        }
    );
}

/// The per-user CSV's rows as maps from column to value (no test value holds a comma).
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<&'static str, String>> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(USERS_CSV_HEADER.join(",").as_str()));
    lines
        .map(|line| {
            let values: Vec<&str> = line.split(',').collect();
            assert_eq!(values.len(), USERS_CSV_HEADER.len(), "{line}");
            USERS_CSV_HEADER
                .iter()
                .zip(values)
                .map(|(column, value)| (*column, value.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_the_counts_and_writes_the_users_csv_owner_only() {
    let (emulator, token) = start(with_policy()).await;
    let dir = scratch("readiness");
    let csv_path = dir.join("users.csv");
    let output = cli(&emulator.base_url(), &token)
        .args(["readiness", "--output", "json", "--users-csv"])
        .arg(&csv_path)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let expected = read_readiness(
        &client(&emulator, &token),
        PolicySetting::Apply,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(printed, serde_json::to_value(&expected).unwrap());

    let text_rows = std::fs::read_to_string(&csv_path).unwrap();
    let rows = csv_rows(&text_rows);
    assert_eq!(rows.len(), emulator.user_count());
    let yes = |column: &str| {
        Some(u64::try_from(rows.iter().filter(|row| row[column] == "yes").count()).unwrap())
    };
    assert_eq!(yes("mustRegister"), Some(expected.must_register));
    assert_eq!(yes("policyKeepsFromPush"), expected.policy_keeps_from_push);
    assert_eq!(yes("policyKeepsFromOath"), expected.policy_keeps_from_oath);
    for row in &rows {
        let kept = row["policyKeepsFromPush"] == "yes" || row["policyKeepsFromOath"] == "yes";
        assert_eq!(!row["policyReason"].is_empty(), kept, "{row:?}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&csv_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A file already there is never replaced, and nothing is read.
    let again = cli(&emulator.base_url(), &token)
        .args(["readiness", "--users-csv"])
        .arg(&csv_path)
        .output()
        .unwrap();
    let (_, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&csv_path).unwrap(), text_rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_stops_without_the_policy_permission_and_ignores_the_policy_when_told() {
    let (emulator, _) = start(with_policy()).await;
    let token = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap();
    let dir = scratch("readiness-policy");
    let csv_path = dir.join("users.csv");
    let refused = cli(&emulator.base_url(), &token)
        .args(["readiness", "--users-csv"])
        .arg(&csv_path)
        .output()
        .unwrap();
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(names_the_policy_permission(&stderr), "{stderr}");
    assert!(!csv_path.exists(), "no file is left by a refused run");

    let ignored = cli(&emulator.base_url(), &token)
        .args([
            "readiness",
            "--ignore-policy",
            "--output",
            "csv",
            "--users-csv",
        ])
        .arg(&csv_path)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&ignored);
    assert!(ignored.status.success(), "{stderr}");
    assert!(stdout.starts_with("measure,count\nusers,300\n"), "{stdout}");
    assert!(!stdout.contains("policy"), "{stdout}");
    let rows = std::fs::read_to_string(&csv_path).unwrap();
    for row in csv_rows(&rows) {
        for column in ["policyKeepsFromPush", "policyKeepsFromOath", "policyReason"] {
            assert_eq!(row[column], "", "{row:?}");
        }
    }
    let table = cli(&emulator.base_url(), &token)
        .args(["readiness", "--ignore-policy"])
        .output()
        .unwrap();
    let (stdout, _) = text(&table);
    assert!(
        stdout.contains("policy not read: --ignore-policy"),
        "{stdout}"
    );
}
