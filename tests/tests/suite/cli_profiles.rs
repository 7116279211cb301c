//! Profiles for people who run many tenants: two emulators stand for two tenants, one profile
//! each in the default config file; each tenant's plans, journals and reports go to its own
//! owner-only folder, so the same relative names never meet, and the environment never silently
//! overrides what a named profile says.

use std::path::{Path, PathBuf};
use std::process::Command;

use signin_prefs_emulator::EmulatorHandle;
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::cli_scenarios::{emulator, scratch, text};

/// The binary in `work`, with `home` as its home and nothing else of this process's environment
/// but `PATH`.
fn cli(home: &Path, work: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(crate::cli_binary::binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .current_dir(work);
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn run(command: &mut Command, args: &[&str]) -> (Option<i32>, String, String) {
    let output = command.args(args).output().unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code(), stdout, stderr)
}

/// A profile reaching `emulator` with `token` (kept in a file beside the config).
fn profile(name: &str, emulator: &EmulatorHandle, token: &str, config_dir: &Path) -> String {
    let token_file = config_dir.join(format!("{name}.token"));
    std::fs::write(&token_file, token).unwrap();
    format!(
        "[profiles.{name}]\ntenant_id = \"{}\"\nbase_url = \"{}\"\ntoken_file = \"{}\"\n",
        emulator.tenant_id(),
        emulator.base_url(),
        token_file.display()
    )
}

/// A home whose default config file holds `profiles`; its path and the config file's.
fn home_with(name: &str, profiles: &str) -> (PathBuf, PathBuf) {
    let home = scratch(name).join("home");
    let config_dir = home.join(".config/signin-prefs");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("config.toml");
    std::fs::write(&config, profiles).unwrap();
    (home, config)
}

fn adele(emulator: &EmulatorHandle) -> Option<Method> {
    emulator.user("adele@contoso.com").unwrap().state.preferred
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_runs_never_share_a_file() {
    let ((contoso, contoso_token), (fabrikam, fabrikam_token)) =
        (emulator().await, emulator().await);
    let home = scratch("profiles-two").join("home");
    let config_dir = home.join(".config/signin-prefs");
    std::fs::create_dir_all(&config_dir).unwrap();
    let profiles = profile("contoso", &contoso, &contoso_token, &config_dir)
        + &profile("fabrikam", &fabrikam, &fabrikam_token, &config_dir);
    std::fs::write(config_dir.join("config.toml"), profiles).unwrap();
    let work = home.parent().unwrap().to_path_buf();
    std::fs::write(work.join("targets.json"), r#"["adele@contoso.com"]"#).unwrap();
    let folder = |name: &str| home.join(".local/share/signin-prefs/profiles").join(name);
    let plan = [
        "plan",
        "--targets",
        "targets.json",
        "--method",
        "push",
        "--out",
        "plan.json",
    ];

    // The same relative names, once per tenant: by flag, then by the environment.
    let (code, stdout, stderr) = run(
        &mut cli(&home, &work, &[]),
        &[&plan[..], &["--profile", "contoso"]].concat(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("signin-prefs apply --profile contoso "),
        "{stdout}"
    );
    let (code, _, stderr) = run(
        &mut cli(&home, &work, &[("SIGNIN_PREFS_PROFILE", "fabrikam")]),
        &plan,
    );
    assert_eq!(
        code,
        Some(0),
        "the second tenant's plan.json is its own: {stderr}"
    );
    assert!(
        !work.join("plan.json").exists(),
        "a profile's plan went to the working folder"
    );
    for name in ["contoso", "fabrikam"] {
        assert!(
            folder(name).join("plan.json").is_file(),
            "{name}'s plan is in its folder"
        );
    }

    // Each apply reads its own tenant's plan and changes that tenant alone.
    let (code, _, stderr) = run(
        &mut cli(&home, &work, &[]),
        &["apply", "plan.json", "--profile", "contoso"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        (adele(&contoso), adele(&fabrikam)),
        (Some(Method::Push), Some(Method::Sms))
    );
    let (code, stdout, stderr) = run(
        &mut cli(&home, &work, &[]),
        &[
            "report",
            "plan.json.journal.jsonl",
            "--profile",
            "contoso",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("\"applied\""), "{stdout}");
    let (code, _, stderr) = run(
        &mut cli(&home, &work, &[("SIGNIN_PREFS_PROFILE", "fabrikam")]),
        &["apply", "plan.json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(adele(&fabrikam), Some(Method::Push));

    #[cfg(unix)]
    for name in ["contoso", "fabrikam"] {
        assert_eq!(mode(&folder(name)), 0o700, "{name}'s folder is owner-only");
        for file in ["plan.json", "plan.json.journal.jsonl"] {
            assert_eq!(mode(&folder(name).join(file)), 0o600, "{name}/{file}");
        }
    }

    // `profiles` lists both, their tenants and folders, and which the environment selects.
    let (code, stdout, stderr) = run(
        &mut cli(&home, &work, &[("SIGNIN_PREFS_PROFILE", "fabrikam")]),
        &["profiles", "--output", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let listing: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let listed = listing["profiles"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for (entry, (name, emulator)) in listed
        .iter()
        .zip([("contoso", &contoso), ("fabrikam", &fabrikam)])
    {
        assert_eq!(entry["name"], name);
        assert_eq!(entry["tenantId"], emulator.tenant_id());
        assert_eq!(entry["credential"], "token");
        assert_eq!(entry["folder"], folder(name).display().to_string());
        assert_eq!(entry["selected"], name == "fabrikam");
    }
    let (_, table, _) = run(&mut cli(&home, &work, &[]), &["profiles"]);
    assert!(
        table.contains("  contoso  tenant ") && table.contains("  fabrikam  tenant "),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_never_silently_overrides_a_named_profile() {
    let (contoso, token) = emulator().await;
    let dir = scratch("profiles-env");
    let config_dir = dir.join("home/.config/signin-prefs");
    std::fs::create_dir_all(&config_dir).unwrap();
    let certificate = "client_certificate_path = \"/etc/signin-prefs/app.pem\"\n";
    let profiles = profile("contoso", &contoso, &token, &config_dir)
        + "[profiles.certified]\ntenant_id = \"t\"\nclient_id = \"c\"\n"
        + certificate;
    std::fs::write(config_dir.join("config.toml"), profiles).unwrap();
    let home = dir.join("home");
    let get = ["get", "adele@contoso.com", "--profile", "contoso"];

    let (code, stdout, stderr) = run(&mut cli(&home, &dir, &[]), &get);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("sms"), "{stdout}");
    for (env, named) in [
        (("AZURE_TENANT_ID", "someone-else"), "sets tenant_id"),
        (
            ("SIGNIN_PREFS_BASE_URL", "http://127.0.0.1:9"),
            "sets base_url",
        ),
        (
            ("SIGNIN_PREFS_TOKEN", "another-token"),
            "sets token_file, but SIGNIN_PREFS_TOKEN",
        ),
    ] {
        let (code, _, stderr) = run(&mut cli(&home, &dir, &[env]), &get);
        assert_eq!(code, Some(2), "{env:?} must be refused: {stderr}");
        assert!(
            stderr.contains(named) && stderr.contains(env.0),
            "{env:?}: {stderr}"
        );
        assert!(
            !stderr.contains("another-token"),
            "a secret in an error: {stderr}"
        );
    }
    // A secret for another kind of credential would be chosen before the profile's certificate.
    let (code, _, stderr) = run(
        &mut cli(
            &home,
            &dir,
            &[("AZURE_CLIENT_SECRET", "ambient-secret-value")],
        ),
        &["doctor", "--profile", "certified"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("signs in with certificate, but secret would be used"),
        "{stderr}"
    );
    assert!(!stderr.contains("ambient-secret-value"), "{stderr}");

    // A profile the file does not define, or a name that is not one, is refused naming it.
    let (code, _, stderr) = run(
        &mut cli(&home, &dir, &[]),
        &["get", "adele@contoso.com", "--profile", "northwind"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("\"northwind\" is not defined") && stderr.contains("certified, contoso"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &mut cli(&home, &dir, &[("SIGNIN_PREFS_PROFILE", "../up")]),
        &["get", "adele@contoso.com"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("SIGNIN_PREFS_PROFILE: profile name \"../up\""),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &mut cli(&home, &dir, &[]),
        &["get", "adele@contoso.com", "--profile", "a/b"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("profile name \"a/b\""), "{stderr}");
}

#[test]
fn without_profiles_profiles_says_where_it_looked() {
    let (home, config) = home_with("profiles-none", "tenant_id = \"t\"\n");
    let (code, stdout, stderr) = run(&mut cli(&home, &home, &[]), &["profiles"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!("{} has no profiles", config.display())),
        "{stdout}"
    );
    std::fs::remove_file(&config).unwrap();
    let (_, stdout, _) = run(&mut cli(&home, &home, &[]), &["profiles"]);
    assert!(
        stdout.contains(&format!(
            "no config file ({} is looked for)",
            config.display()
        )),
        "{stdout}"
    );
}
