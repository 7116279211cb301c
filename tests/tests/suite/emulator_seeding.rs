//! Emulator users: deterministic seeding, a realistic mix, users files, and the CLI entry point.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use signin_prefs_emulator::{AuthMethod, EmulatorBuilder, UserRecord};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Preferred;

use crate::emulator_support::*;

async fn records(seed: u64, count: usize) -> Vec<UserRecord> {
    let emulator = start(EmulatorBuilder::new().users(count).seed(seed)).await;
    (0..count)
        .map(|index| emulator.user_at(index).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_tenant() {
    let first = records(42, 300).await;
    assert_eq!(first, records(42, 300).await);
    let other = records(43, 300).await;
    assert!(
        first.iter().zip(&other).all(|(a, b)| a.id != b.id),
        "another seed, other ids"
    );
    // A user does not depend on how many come after it.
    assert_eq!(first[..50], records(42, 50).await[..]);
    let ids: HashSet<_> = first.iter().map(|user| user.id.clone()).collect();
    let upns: HashSet<_> = first
        .iter()
        .map(|user| user.user_principal_name.to_lowercase())
        .collect();
    assert_eq!(
        (ids.len(), upns.len()),
        (300, 300),
        "ids and UPNs are unique"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_looks_like_a_real_one() {
    let users = records(1, 2000).await;
    let count = |predicate: &dyn Fn(&UserRecord) -> bool| {
        users.iter().filter(|user| predicate(user)).count()
    };
    assert!(
        count(&|user| user.user_principal_name.contains("#EXT#")) > 50,
        "guests"
    );
    assert!(
        count(&|user| user.user_principal_name.contains('\'')) > 10,
        "apostrophes"
    );
    assert!(
        count(&|user| !user.user_principal_name.is_ascii()) > 10,
        "non-ASCII"
    );
    let methods = |user: &UserRecord| user.state.methods.methods();
    assert!(
        count(&|user| methods(user) == [AuthMethod::MobilePhone]) > 200,
        "SMS only"
    );
    assert!(
        count(&|user| user
            .state
            .methods
            .contains(AuthMethod::MicrosoftAuthenticator))
            > 500,
        "Authenticator"
    );
    assert!(
        count(
            &|user| user.state.methods.contains(AuthMethod::SoftwareOath)
                || user.state.methods.contains(AuthMethod::HardwareOath)
        ) > 100,
        "OATH"
    );
    assert!(
        count(&|user| user.state.preferred == Some(Preferred::VoiceMobile)) > 20,
        "voice"
    );
    assert!(
        count(&|user| user.state.preferred.is_none()) > 100,
        "no MFA method yet"
    );
    assert!(count(&|user| user.state.system_preferred_enabled == Some(true)) > 800);
    assert!(count(&|user| user.state.system_preferred_enabled == Some(false)) > 500);
    assert!(count(&|user| user.is_admin) > 2);
    // Every seeded default is one the user has registered.
    assert!(users.iter().all(|user| {
        user.state
            .preferred
            .as_ref()
            .is_none_or(|preferred| user.state.methods.supports(preferred))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_can_come_from_a_file() {
    let path = std::env::temp_dir().join(format!("signin-prefs-users-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"[
            {"id": "071cc716-8147-4397-a5ba-b2105951cc0b", "userPrincipalName": "AdeleV@contoso.com", "methods": ["microsoftAuthenticator", "mobilePhone"], "userPreferredMethodForSecondaryAuthentication": "push", "isSystemPreferredAuthenticationMethodEnabled": false},
            {"userPrincipalName": "o'neil_fabrikam.com#EXT#@contoso.com", "methods": ["mobilePhone"]}
        ]"#,
    )
    .unwrap();
    let emulator = start(quiet().users_file(&path)).await;
    let token = admin_token(&emulator);
    assert_eq!(emulator.user_count(), 2);
    let body = get(&prefs_url(&emulator, "adelev@CONTOSO.com"), &token)
        .await
        .json();
    assert_eq!(
        body["userPreferredMethodForSecondaryAuthentication"],
        "push"
    );
    let guest = emulator
        .user("o'neil_fabrikam.com#EXT#@contoso.com")
        .unwrap();
    assert_eq!(guest.state.preferred, None);
    assert_eq!(
        get(&prefs_url(&emulator, &guest.user_principal_name), &token)
            .await
            .json()["userPreferredMethodForSecondaryAuthentication"],
        serde_json::Value::Null
    );

    std::fs::write(
        &path,
        r#"[{"userPrincipalName": "x@y", "methods": ["carrierPigeon"]}]"#,
    )
    .unwrap();
    let error = quiet().users_file(&path).start().await.unwrap_err();
    assert!(error.to_string().contains("carrierPigeon"), "{error}");
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_starts_the_emulator_and_prints_its_base_url() {
    let mut child = Command::new(crate::cli_binary::binary())
        .args(["emulator", "--port", "0", "--users", "7", "--seed", "9"])
        .env("SIGNIN_PREFS_EMULATOR_CLIENT_SECRET", "cli-test-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base_url = lines.next().unwrap().unwrap();
    let printed: Vec<String> = lines.by_ref().take(6).map(Result::unwrap).collect();
    let outcome = async move {
        assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
        assert!(
            printed
                .iter()
                .any(|line| line.contains("users:") && line.ends_with(" 7")),
            "{printed:?}"
        );
        assert!(
            !printed.iter().any(|line| line.contains("cli-test-secret")),
            "a given secret is not echoed"
        );
        let token_url = printed
            .iter()
            .find_map(|line| line.strip_prefix("token:"))
            .unwrap()
            .trim()
            .to_owned();
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret=cli-test-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
            signin_prefs_emulator::DEFAULT_CLIENT_ID
        );
        let answer = send(
            reqwest::Method::POST,
            &token_url,
            None,
            Some(("application/x-www-form-urlencoded", &form)),
            &[],
        )
        .await;
        assert_eq!(answer.status, 200);
        let token = answer.json()["access_token"].as_str().unwrap().to_owned();
        let user = send(
            reqwest::Method::GET,
            &format!("{base_url}/_emulator/users?index=6"),
            None,
            None,
            &[],
        )
        .await
        .json();
        let url = format!(
            "{base_url}/beta/users/{}/authentication/signInPreferences",
            user["id"].as_str().unwrap()
        );
        assert_eq!(get(&url, &token).await.status, 200);
    };
    // Stop the child whatever the assertions say.
    let result = tokio::spawn(outcome).await;
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic.into_panic());
    }
}
