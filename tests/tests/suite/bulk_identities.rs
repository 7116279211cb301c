//! One identity is one user: a targets file naming a user once by object id and once by user
//! principal name is refused before anything is planned, naming both lines, through the library
//! and the binary alike; only the smaller kind of key is looked up, a file of one kind sends no
//! lookup, and without the permission to look users up the plan stops saying which it needs.

use std::path::Path;

use signin_prefs_bulk::Error;
use signin_prefs_bulk::plan::{Plan, PlanOptions, write_plan_with_progress};
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::targets::{Format, LineKind, TargetList, parse_targets};
use signin_prefs_client::Client;
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, ThrottleConfig, TokenRequest, permissions,
};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::cli_scenarios::{plan_to_push, scratch};
use crate::client_support::client_with_token;

async fn tenant() -> EmulatorHandle {
    EmulatorBuilder::new()
        .users(12)
        .seed(5)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap()
}

const LOOKS_USERS_UP: &[&str] = &[
    permissions::READ_WRITE_ALL,
    permissions::POLICY_READ_ALL,
    permissions::USER_READ_ALL,
];

fn client(emulator: &EmulatorHandle, roles: &[&str]) -> Client {
    client_with_token(emulator, TokenRequest::app_only(roles))
        .build()
        .unwrap()
}

fn options(source: &Path) -> PlanOptions {
    PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: None,
        source: source.display().to_string(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Ignore,
        include_disabled: true,
        flag_precedence: Default::default(),
    }
}

/// The users' keys: user `i`'s principal name, or its object id when `by_id` says so.
fn keys(emulator: &EmulatorHandle, users: &[(usize, bool)]) -> Vec<String> {
    users
        .iter()
        .map(|(index, by_id)| {
            let user = emulator.user_at(*index).unwrap();
            if *by_id {
                user.id.to_uppercase()
            } else {
                user.user_principal_name
            }
        })
        .collect()
}

/// Writes `users` as a targets file `name` (CSV, or JSON by its extension) and plans it into
/// `plan.json` beside it.
async fn plan_file(
    client: &Client,
    dir: &Path,
    name: &str,
    users: &[String],
) -> (Result<Plan, Error>, TargetList) {
    let path = dir.join(name);
    let (text, format) = if name.ends_with(".json") {
        (serde_json::to_string(users).unwrap(), Format::Json)
    } else {
        (format!("user\n{}\n", users.join("\n")), Format::Csv)
    };
    std::fs::write(&path, &text).unwrap();
    let targets = parse_targets(&path.display().to_string(), text.as_bytes(), format).unwrap();
    let planned = write_plan_with_progress(
        client,
        &targets,
        &options(&path),
        &dir.join("plan.json"),
        &mut |_| {},
        &mut |_| {},
    )
    .await;
    (planned, targets)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_named_by_object_id_and_principal_name_is_refused_naming_both_lines() {
    let emulator = tenant().await;
    let client = client(&emulator, LOOKS_USERS_UP);
    let dir = scratch("identities-lib");

    // CSV: two object ids among four principal names; the second names user 0 again.
    let users = keys(
        &emulator,
        &[
            (0, false),
            (1, false),
            (2, true),
            (0, true),
            (3, false),
            (4, false),
        ],
    );
    let (planned, targets) = plan_file(&client, &dir, "users.csv", &users).await;
    let Err(Error::Input(errors)) = planned else {
        panic!("refused as input: {planned:?}");
    };
    assert_eq!(errors.problems.len(), 1, "{errors}");
    let problem = &errors.problems[0];
    assert_eq!((problem.line, problem.line_kind), (5, LineKind::FileLine));
    assert_eq!(problem.value.as_deref(), Some(users[3].as_str()));
    let said = errors.to_string();
    assert!(
        said.starts_with(&format!("{}:5: user", dir.join("users.csv").display())),
        "{said}"
    );
    assert!(
        said.contains(&format!("on line 2 (\"{}\")", users[0])),
        "{said}"
    );
    // Only the two object ids were looked up, and nothing else was read or written; no file left.
    let traffic = emulator.traffic();
    assert_eq!((traffic.reads, traffic.writes), (2, 0));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only the targets file"
    );
    assert_eq!(targets.len(), users.len());

    // JSON: one principal name among object ids, the same user as item 1; looked up alone.
    let users = keys(&emulator, &[(5, true), (6, true), (7, true), (5, false)]);
    let before = emulator.traffic().reads;
    let (planned, _) = plan_file(&client, &dir, "users.json", &users).await;
    let Err(Error::Input(errors)) = planned else {
        panic!("refused as input: {planned:?}");
    };
    let said = errors.to_string();
    assert!(said.contains("users.json: item 4: user"), "{said}");
    assert!(said.contains("on item 1"), "{said}");
    assert_eq!(emulator.traffic().reads - before, 1);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_users_of_both_kinds_are_planned_and_one_kind_sends_no_lookup() {
    let emulator = tenant().await;
    let dir = scratch("identities-distinct");

    // Both kinds, no one twice: planned, every user read.
    let client = client(&emulator, LOOKS_USERS_UP);
    let users = keys(&emulator, &[(0, true), (1, false), (2, false), (3, true)]);
    let (planned, _) = plan_file(&client, &dir, "users.csv", &users).await;
    assert_eq!(planned.unwrap().summary.users(), users.len());
    std::fs::remove_file(dir.join("plan.json")).unwrap();

    // One kind only: no lookup.
    let users = keys(&emulator, &[(4, false), (5, false)]);
    let before = emulator.traffic().reads;
    let (planned, _) = plan_file(&client, &dir, "names.csv", &users).await;
    assert_eq!(planned.unwrap().summary.users(), 2);
    assert_eq!(
        emulator.traffic().reads - before,
        4,
        "two reads per user, no lookup"
    );
    std::fs::remove_file(dir.join("plan.json")).unwrap();

    // Both kinds, and a token that cannot list users (the emulator lets the authentication-method
    // roles list them too): the plan stops, saying what it needs and how to do without.
    let client = self::client(&emulator, &[permissions::POLICY_READ_ALL]);
    let users = keys(&emulator, &[(6, true), (7, false)]);
    let (planned, _) = plan_file(&client, &dir, "mixed.csv", &users).await;
    let Err(Error::Guard(message)) = planned else {
        panic!("a stop: {planned:?}");
    };
    assert!(message.contains("User.Read.All"), "{message}");
    assert!(message.contains("one kind of key"), "{message}");
    assert!(!dir.join("plan.json").exists());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_one_user_under_two_keys_with_exit_code_2() {
    let emulator = tenant().await;
    let token = emulator
        .mint_token(TokenRequest::app_only(LOOKS_USERS_UP))
        .unwrap();
    let dir = scratch("identities-cli");
    let base = emulator.base_url();
    let user = emulator.user_at(0).unwrap();
    let other = emulator.user_at(1).unwrap();
    let cases = [
        // An object id and the principal name of one user: found by looking up the id.
        (
            "by-id.csv",
            format!(
                "user\n{}\n{}\n{}\n",
                user.user_principal_name, other.id, user.id
            ),
            "by-id.csv:4: user",
            "on line 2",
        ),
        // OData's key form and a case variant: found as the file is read.
        (
            "odata.csv",
            format!(
                "user\n{}\nusers('{}')\n",
                user.user_principal_name,
                user.user_principal_name.to_uppercase()
            ),
            "odata.csv:3: user",
            "also on line 2",
        ),
    ];
    for (name, text, place, first) in cases {
        let targets = dir.join(name);
        std::fs::write(&targets, text).unwrap();
        let plan = dir.join("plan.json");
        let (code, _, stderr) = plan_to_push(&base, &token, &targets, &plan);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains(place), "{name}: {stderr}");
        assert!(stderr.contains(first), "{name}: {stderr}");
        assert!(!plan.exists(), "{name}");
    }
    assert_eq!(emulator.traffic().writes, 0);
    emulator.shutdown().await;
}
