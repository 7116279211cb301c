//! `--tls`: the emulator serves HTTPS with a CA made at start, written owner-only where the user
//! says; a client told to trust it (and only then) reaches Graph and the login host over HTTPS.

use std::process::Command;

use signin_prefs_client::{CaCertificates, Client, ErrorKind};

use crate::client_support::{quick_retries, quiet, secret_credential, start};
use crate::emulator_tooling::{export_pair, print_env};

#[tokio::test]
async fn a_client_trusting_the_emulators_ca_works_over_https_and_one_that_does_not_is_refused() {
    let dir = crate::cli_scenarios::scratch("tls-ca");
    let ca_file = dir.join("emulator-ca.pem");
    let emulator = start(quiet().tls_ca_file(&ca_file)).await;
    assert!(emulator.base_url().starts_with("https://127.0.0.1:"));
    let written = std::fs::read_to_string(&ca_file).unwrap();
    assert_eq!(Some(written.as_str()), emulator.ca_certificate_pem());
    assert!(
        written.starts_with("-----BEGIN CERTIFICATE-----"),
        "{written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&ca_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the CA file is owner-only: {mode:o}");
    }
    let user = emulator.user_at(0).unwrap().user_principal_name;

    let ca = CaCertificates::from_file(&ca_file).unwrap();
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(
            secret_credential(&emulator)
                .with_ca_certificates(&ca)
                .unwrap(),
        )
        .ca_certificates(ca.clone())
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    client.get_sign_in_preferences(&user).await.unwrap();

    // Without the CA, the login host is not trusted: the token is never sent anywhere.
    let untrusting = Client::builder()
        .base_url(&emulator.base_url())
        .credential(secret_credential(&emulator))
        .ca_certificates(ca)
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let error = untrusting.get_sign_in_preferences(&user).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential, "{error}");
    // Nor is Graph, whatever the credential.
    let token = emulator
        .mint_token(signin_prefs_emulator::TokenRequest::app_only(&[
            signin_prefs_emulator::permissions::READ_WRITE_ALL,
        ]))
        .unwrap();
    let untrusting = Client::builder()
        .base_url(&emulator.base_url())
        .credential(signin_prefs_client::StaticToken::new(
            signin_prefs_client::Secret::new(token),
        ))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let error = untrusting.get_sign_in_preferences(&user).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
}

#[test]
fn a_ca_file_that_is_not_pem_is_refused_naming_the_file() {
    let dir = crate::cli_scenarios::scratch("tls-bad-ca");
    let path = dir.join("not-a-ca.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let error = CaCertificates::from_file(&path).unwrap_err().to_string();
    assert!(error.contains("not-a-ca.pem"), "{error}");
}

#[test]
fn the_cli_reaches_an_emulator_serving_tls_through_the_exported_ca_file() {
    let dir = crate::cli_scenarios::scratch("tls-cli");
    let ca_file = dir.join("ca.pem");
    let (_emulator, exports, banner) =
        print_env(&["--users", "20", "--tls", ca_file.to_str().unwrap()], &[]);
    let pairs: Vec<(String, String)> = exports
        .iter()
        .filter_map(|line| export_pair(line))
        .collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(variable, _)| variable == name)
            .map(|(_, value)| value.clone())
    };
    assert!(
        value("SIGNIN_PREFS_BASE_URL")
            .unwrap()
            .starts_with("https://127.0.0.1:"),
        "{exports:?}"
    );
    assert_eq!(
        value("SIGNIN_PREFS_CA_FILE").map(std::path::PathBuf::from),
        Some(std::path::absolute(&ca_file).unwrap())
    );
    let user = banner
        .iter()
        .find_map(|line| line.strip_prefix("user:"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let run = |with_ca: bool| {
        Command::new(crate::cli_binary::binary())
            .args(["get", &user])
            .env_clear()
            .envs(
                pairs
                    .iter()
                    .filter(|(name, _)| with_ca || name != "SIGNIN_PREFS_CA_FILE")
                    .map(|(name, value)| (name, value)),
            )
            .output()
            .unwrap()
    };
    let output = run(true);
    assert!(output.status.success(), "{output:?}");
    let output = run(false);
    assert!(!output.status.success(), "{output:?}");
}
