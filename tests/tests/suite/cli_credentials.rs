//! Every credential kind through the CLI against the emulator, chosen from the environment by
//! the Azure SDK conventions: `doctor` names the kind chosen and why, `get` reads a user with it,
//! a refused or expired one names the kind and what to do, and no credential material appears in
//! anything the CLI prints, at any log level (trace included).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signin_prefs_emulator::{DEFAULT_CLIENT_ID, EmulatorHandle};

use crate::cli_scenarios::{scratch, text};
use crate::client_support::{quiet, start};
use crate::emulator_sign_ins::BUNDLE;

const PFX: &[u8] =
    include_bytes!("../../../crates/signin-prefs-client/testdata/test-only-cert-and-key.pfx");
const PFX_PASSWORD: &str = "test-only-password";

/// The binary with nothing from this process's environment but `PATH`, pointed at `emulator`.
fn cli(emulator: &EmulatorHandle, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(crate::cli_binary::binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SIGNIN_PREFS_LOG", "trace")
        .env("SIGNIN_PREFS_BASE_URL", emulator.base_url())
        .env("AZURE_TENANT_ID", emulator.tenant_id())
        .env("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID)
        .env(
            "SIGNIN_PREFS_TOKEN_CACHE",
            "/nonexistent/signin-prefs-test/cache.json",
        );
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs `args`; the output, after checking that none of `secrets` is in it.
fn run(command: &mut Command, args: &[&str], secrets: &[&str]) -> Output {
    let output = command.args(args).output().unwrap();
    let (stdout, stderr) = text(&output);
    for secret in secrets.iter().filter(|secret| secret.len() > 8) {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a secret ({}…) leaked into the output of {args:?}:\n{stdout}\n{stderr}",
            &secret[..6]
        );
    }
    output
}

/// `doctor` says this kind was chosen, and `get` reads a user with it.
fn works_as(emulator: &EmulatorHandle, env: &[(&str, &str)], kind: &str, secrets: &[&str]) {
    let doctor = run(&mut cli(emulator, env), &["doctor"], secrets);
    let (stdout, _) = text(&doctor);
    assert!(
        stdout.contains(&format!("credential:  {kind}, because")),
        "{kind}: {doctor:?}"
    );
    let user = emulator.user_at(1).unwrap().id;
    let get = run(&mut cli(emulator, env), &["get", &user], secrets);
    assert!(get.status.success(), "{kind}: {get:?}");
}

/// Fails, naming the kind and `remedy` on standard error.
fn refused_as(
    emulator: &EmulatorHandle,
    env: &[(&str, &str)],
    kind: &str,
    remedy: &str,
    secrets: &[&str],
) {
    let user = emulator.user_at(1).unwrap().id;
    let output = run(&mut cli(emulator, env), &["get", &user], secrets);
    let (_, stderr) = text(&output);
    assert!(!output.status.success(), "{kind}: {output:?}");
    assert!(
        stderr.contains(&format!("{kind} credential")) && stderr.contains(remedy),
        "{kind} should name itself and say `{remedy}`: {stderr}"
    );
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_secret_and_a_certificate_in_pem_or_pkcs12_sign_in() {
    let emulator = start(quiet().app_certificate(DEFAULT_CLIENT_ID, BUNDLE)).await;
    let dir = scratch("credentials-app");
    let secret = emulator.apps()[0].client_secret.clone();
    works_as(
        &emulator,
        &[("AZURE_CLIENT_SECRET", &secret)],
        "secret",
        &[&secret],
    );
    refused_as(
        &emulator,
        &[("AZURE_CLIENT_SECRET", "wrong-secret-value-123456")],
        "secret",
        "create a new one",
        &["wrong-secret-value-123456"],
    );
    let pem = write(&dir, "app.pem", BUNDLE.as_bytes());
    let pem = pem.to_str().unwrap();
    works_as(
        &emulator,
        &[("AZURE_CLIENT_CERTIFICATE_PATH", pem)],
        "certificate",
        &[],
    );
    let pfx = write(&dir, "app.pfx", PFX);
    let pfx = pfx.to_str().unwrap();
    works_as(
        &emulator,
        &[
            ("AZURE_CLIENT_CERTIFICATE_PATH", pfx),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", PFX_PASSWORD),
        ],
        "certificate",
        &[PFX_PASSWORD],
    );
    let password_file = write(&dir, "password", PFX_PASSWORD.as_bytes());
    works_as(
        &emulator,
        &[
            ("SIGNIN_PREFS_CLIENT_CERTIFICATE_PATH", pfx),
            (
                "SIGNIN_PREFS_CLIENT_CERTIFICATE_PASSWORD_FILE",
                password_file.to_str().unwrap(),
            ),
        ],
        "certificate",
        &[PFX_PASSWORD],
    );
    // A wrong password is named as such, before anything is sent.
    let output = run(
        &mut cli(
            &emulator,
            &[
                ("AZURE_CLIENT_CERTIFICATE_PATH", pfx),
                ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "not-the-password"),
            ],
        ),
        &["get", "x@y.z"],
        &["not-the-password"],
    );
    assert!(text(&output).1.contains("wrong password"), "{output:?}");
    // A certificate the app does not know: refused, saying to upload it.
    let other = start(quiet()).await;
    refused_as(
        &other,
        &[("AZURE_CLIENT_CERTIFICATE_PATH", pem)],
        "certificate",
        "uploaded to the app registration",
        &[],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn workload_identity_reads_its_token_file_and_an_expired_token_is_named() {
    let emulator = start(quiet()).await;
    let dir = scratch("credentials-workload");
    let token = emulator.federated_token(DEFAULT_CLIENT_ID, None).unwrap();
    let file = write(&dir, "token", token.as_bytes());
    let env = [
        ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
        ("AZURE_AUTHORITY_HOST", &emulator.base_url() as &str),
    ];
    works_as(&emulator, &env, "workload-identity", &[&token]);
    let expired = emulator
        .federated_token(DEFAULT_CLIENT_ID, Some(std::time::Duration::ZERO))
        .unwrap();
    std::fs::write(&file, &expired).unwrap();
    refused_as(
        &emulator,
        &env,
        "workload-identity",
        "token file is fresh",
        &[&expired],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_identity_in_app_service_and_imds_shapes_over_https() {
    let dir = scratch("credentials-managed");
    let ca_file = dir.join("ca.pem");
    let emulator = start(quiet().tls_ca_file(&ca_file)).await;
    let ca = ca_file.to_str().unwrap();
    let header = emulator.identity_header().to_owned();
    let endpoint = emulator.identity_endpoint();
    let app_service = [
        ("IDENTITY_ENDPOINT", endpoint.as_str()),
        ("IDENTITY_HEADER", header.as_str()),
        ("SIGNIN_PREFS_CA_FILE", ca),
    ];
    works_as(&emulator, &app_service, "managed-identity", &[&header]);
    let base = emulator.base_url();
    let imds = [
        ("SIGNIN_PREFS_CREDENTIAL", "managed-identity"),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.as_str()),
        ("SIGNIN_PREFS_CA_FILE", ca),
    ];
    works_as(&emulator, &imds, "managed-identity", &[]);
    // A user-assigned identity the host does not have.
    let mut unknown = imds.to_vec();
    unknown.push(("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000beef"));
    refused_as(
        &emulator,
        &unknown,
        "managed-identity",
        "assigned to this host",
        &[],
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_azure_cli_credential_runs_az_and_says_to_az_login_when_it_fails() {
    use signin_prefs_emulator::{TokenRequest, permissions};
    let emulator = start(quiet()).await;
    let dir = scratch("credentials-az");
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let script = |body: &str| {
        let path = dir.join("az");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    };
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    // The fake `az` checks it is asked for Graph, as the real one would be.
    script(&format!(
        "case \"$*\" in *'get-access-token'*'--resource https://graph.microsoft.com'*) ;; *) echo \"unexpected: $*\" >&2; exit 2;; esac\n\
         echo '{{\"accessToken\": \"{token}\", \"expires_on\": {expires}, \"tokenType\": \"Bearer\"}}'"
    ));
    let env = [
        ("PATH", path.as_str()),
        ("SIGNIN_PREFS_CREDENTIAL", "azure-cli"),
    ];
    works_as(&emulator, &env, "azure-cli", &[&token]);
    script("echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1");
    refused_as(&emulator, &env, "azure-cli", "az login", &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_keeps_an_owner_only_sign_in_that_later_commands_use_until_it_is_revoked() {
    let emulator = start(quiet().device_code_interval(0)).await;
    let dir = scratch("credentials-login");
    let cache = dir.join("cache").join("tokens.json");
    let env = [("SIGNIN_PREFS_TOKEN_CACHE", cache.to_str().unwrap())];
    let login = run(&mut cli(&emulator, &env), &["login"], &[]);
    assert!(login.status.success(), "{login:?}");
    assert!(
        text(&login).1.contains("enter the code"),
        "the prompt is shown: {login:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the token cache is owner-only: {mode:o}");
    }
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    let refresh_tokens: Vec<String> = kept["refresh_tokens"]
        .as_object()
        .unwrap()
        .values()
        .map(|token| token.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(refresh_tokens.len(), 1);
    let secrets: Vec<&str> = refresh_tokens.iter().map(String::as_str).collect();
    // Twice: each run refreshes silently and keeps the new refresh token.
    works_as(&emulator, &env, "device-code", &secrets);
    works_as(&emulator, &env, "device-code", &secrets);
    let admin = emulator
        .find_user(|user| user.is_admin && user.account_enabled)
        .unwrap_or_else(|| emulator.user_at(0).unwrap());
    assert!(emulator.revoke_sign_in_sessions(&admin.id).unwrap() > 0);
    refused_as(
        &emulator,
        &[
            ("SIGNIN_PREFS_TOKEN_CACHE", cache.to_str().unwrap()),
            ("SIGNIN_PREFS_CREDENTIAL", "device-code"),
        ],
        "device-code",
        "signin-prefs login",
        &secrets,
    );
    let logout = run(&mut cli(&emulator, &env), &["logout"], &[]);
    assert!(logout.status.success() && !cache.exists(), "{logout:?}");
    // Nothing kept and nothing else configured: the error lists what to set.
    let output = run(&mut cli(&emulator, &env), &["get", "x@y.z"], &[]);
    assert!(
        text(&output).1.contains("no credential configured"),
        "{output:?}"
    );
}
