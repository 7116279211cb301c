//! `readiness` against the emulator: the report's answer per user is what per-user reads find, the
//! counts are those users', and the CLI prints them and writes the per-user CSV owner-only.

use signin_prefs_bulk::readiness::{Readiness, UserReadiness, read_readiness};
use signin_prefs_bulk::state::read_states;
use signin_prefs_client::{Client, Secret, StaticToken};
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, ThrottleConfig, TokenRequest, permissions,
};

use crate::cli_scenarios::{cli, scratch, text};

async fn emulator() -> (EmulatorHandle, String) {
    let emulator = EmulatorBuilder::new()
        .users(300)
        .seed(11)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap();
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
fn verdict(user: &UserReadiness) -> (Option<String>, bool, bool, bool, bool) {
    (
        user.default_method
            .as_ref()
            .map(|method| method.as_str().to_owned()),
        user.system_preferred(),
        user.phone_default(),
        user.must_register(),
        user.only_phone_methods(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_from_the_report_matches_per_user_reads() {
    let (emulator, token) = emulator().await;
    let client = client(&emulator, &token);
    let mut from_report = Vec::new();
    let readiness = read_readiness(&client, &mut |user| from_report.push(user.clone()))
        .await
        .unwrap();
    assert_eq!(from_report.len(), emulator.user_count());

    let keys: Vec<String> = from_report.iter().map(|user| user.user.clone()).collect();
    let per_user: Vec<UserReadiness> = read_states(&client, &keys)
        .await
        .into_iter()
        .map(|state| {
            let state = state.unwrap();
            UserReadiness {
                user: state.user,
                id: None,
                default_method: state
                    .preferences
                    .user_preferred_method_for_secondary_authentication,
                system_preferred: state
                    .preferences
                    .is_system_preferred_authentication_method_enabled,
                registered: state.registered,
            }
        })
        .collect();
    for (reported, read) in from_report.iter().zip(&per_user) {
        assert_eq!(verdict(reported), verdict(read), "{}", reported.user);
    }
    let mut counted = Readiness::default();
    per_user.iter().for_each(|user| counted.add(user));
    assert_eq!(readiness, counted);
    // The seeded tenant has users of every kind the retirement asks about.
    assert!(readiness.phone_default > 0 && readiness.phone_default_movable > 0);
    assert!(readiness.must_register > 0 && readiness.only_phone_methods > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_the_counts_and_writes_the_users_csv_owner_only() {
    let (emulator, token) = emulator().await;
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
    let expected = read_readiness(&client(&emulator, &token), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(printed, serde_json::to_value(&expected).unwrap());

    let rows = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(rows.lines().count(), emulator.user_count() + 1);
    let must_register = rows
        .lines()
        .skip(1)
        .filter(|row| row.split(',').nth(6) == Some("yes"))
        .count();
    assert_eq!(
        u64::try_from(must_register).unwrap(),
        expected.must_register
    );
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
    assert_eq!(std::fs::read_to_string(&csv_path).unwrap(), rows);
}
