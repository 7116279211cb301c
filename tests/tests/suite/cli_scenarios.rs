//! The `signin-prefs` binary as an operator uses it: configuration from the environment, bad input
//! refused with file, line and value before anything is sent, exit codes, and the human output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli_binary::binary;
use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, EmulatorHandle, ThrottleConfig, TokenRequest, UserSpec,
    permissions,
};

pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("signin-prefs-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A command with a clean environment pointing at `base_url` with `token`.
pub(crate) fn cli(base_url: &str, token: &str) -> Command {
    let mut command = Command::new(binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNIN_PREFS_") {
            command.env_remove(name);
        }
    }
    command
        .env("SIGNIN_PREFS_BASE_URL", base_url)
        .env("SIGNIN_PREFS_TOKEN", token);
    command
}

pub(crate) fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs the binary against `base_url` with `token`: its exit code, stdout and stderr.
pub(crate) fn run_cli(base_url: &str, token: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = cli(base_url, token).args(args).output().unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code(), stdout, stderr)
}

/// `plan` of adele (of [`emulator`]'s users) to push through the binary, into a fresh scratch
/// directory `name`: the plan's path.
pub(crate) fn plan_adele_to_push(base_url: &str, token: &str, name: &str) -> PathBuf {
    let dir = scratch(name);
    let targets = dir.join("targets.json");
    std::fs::write(&targets, r#"["adele@contoso.com"]"#).unwrap();
    let plan = dir.join("plan.json");
    let (code, _, stderr) = plan_to_push(base_url, token, &targets, &plan);
    assert_eq!(code, Some(0), "{stderr}");
    plan
}

/// `plan --targets TARGETS --method push --out PLAN` through the binary: its exit code, stdout
/// and stderr.
pub(crate) fn plan_to_push(
    base_url: &str,
    token: &str,
    targets: &Path,
    plan: &Path,
) -> (Option<i32>, String, String) {
    let (targets, plan) = (targets.to_str().unwrap(), plan.to_str().unwrap());
    let args = [
        "plan",
        "--targets",
        targets,
        "--method",
        "push",
        "--out",
        plan,
    ];
    run_cli(base_url, token, &args)
}

pub(crate) async fn emulator() -> (EmulatorHandle, String) {
    let users = vec![
        UserSpec {
            id: Some("071cc716-8147-4397-a5ba-b2105951cc0b".into()),
            user_principal_name: "adele@contoso.com".into(),
            methods: vec![AuthMethod::MobilePhone, AuthMethod::MicrosoftAuthenticator],
            user_preferred_method_for_secondary_authentication: Some("sms".into()),
            is_system_preferred_authentication_method_enabled: Some(false),
            is_admin: false,
            account_enabled: true,
        },
        UserSpec {
            id: None,
            user_principal_name: "o'brien@contoso.com".into(),
            methods: vec![AuthMethod::MobilePhone],
            user_preferred_method_for_secondary_authentication: Some("sms".into()),
            is_system_preferred_authentication_method_enabled: None,
            is_admin: false,
            account_enabled: true,
        },
    ];
    let emulator = EmulatorBuilder::new()
        .user_specs(users)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    (emulator, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_set_and_explain_one_user() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let output = cli(&base, &token)
        .args(["get", "adele@contoso.com"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(
        text(&output).0,
        "adele@contoso.com: method sms, system-preferred off\n"
    );

    let output = cli(&base, &token)
        .args([
            "set",
            "adele@contoso.com",
            "--method",
            "push",
            "--system-preferred",
            "on",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(
        text(&output).0,
        "adele@contoso.com\n  before: method sms, system-preferred off\n  after:  method push, system-preferred on\n"
    );
    assert_eq!(
        emulator
            .user("adele@contoso.com")
            .unwrap()
            .state
            .preferred
            .unwrap()
            .as_str(),
        "push"
    );

    let output = cli(&base, &token)
        .args(["explain", "o'brien@contoso.com"])
        .output()
        .unwrap();
    let (stdout, _) = text(&output);
    assert!(
        stdout.starts_with("o'brien@contoso.com will be prompted for: sms"),
        "{stdout}"
    );
    assert!(
        stdout.contains("registered methods:    mobilePhone"),
        "{stdout}"
    );

    let output = cli(&base, &token)
        .args(["set", "o'brien@contoso.com", "--method", "push"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("HTTP 400") || text(&output).1.contains("not a registered method"),
        "{:?}",
        text(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_before_anything_is_sent() {
    // Nothing listens on the discard port: any request would fail with a connection error instead.
    let base = "http://127.0.0.1:9";
    let dir = scratch("bad-input");
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown-method.csv",
            "user,method\nadele@contoso.com,phone\n",
            &["unknown-method.csv:2", "\"phone\"", "sms"],
        ),
        (
            "malformed.csv",
            "user\nadele@contoso.com\nnot a upn\n",
            &["malformed.csv:3", "\"not a upn\""],
        ),
        (
            "duplicates.csv",
            "user\nadele@contoso.com\nADELE@contoso.com\n",
            &["duplicates.csv:3", "line 2"],
        ),
        ("empty.csv", "", &["empty.csv", "no users"]),
        (
            "typo.csv",
            "user,methdo\nadele@contoso.com,push\n",
            &["typo.csv:1", "methdo"],
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let output = cli(base, "token")
            .args(["plan", "--targets"])
            .arg(&path)
            .args(["--method", "push", "--out"])
            .arg(dir.join("plan.json"))
            .output()
            .unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        for part in *expected {
            assert!(
                stderr.contains(part),
                "{name}: expected {part:?} in {stderr}"
            );
        }
        assert!(!dir.join("plan.json").exists());
    }
    let good = dir.join("good.csv");
    std::fs::write(&good, "\u{feff}user\r\nadele@contoso.com\r\n").unwrap();
    // A plan in a folder that does not exist: said of the plan, before anything is sent.
    let nowhere = dir.join("no-such-folder").join("plan.json");
    let output = cli(base, "token")
        .args(["plan", "--targets"])
        .arg(&good)
        .args(["--method", "push", "--out"])
        .arg(&nowhere)
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&nowhere.display().to_string()) && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!stderr.contains(".entries-"), "{stderr}");
    let output = cli(base, "token")
        .args(["plan", "--targets"])
        .arg(&good)
        .args(["--method", "voice", "--out"])
        .arg(dir.join("plan.json"))
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--method") && stderr.contains("voiceMobile"),
        "{stderr}"
    );
}

/// The issue's regression through the binary: `plan`, then `set USER --method voiceMobile`,
/// then `apply` leaves the user as it is (drifted, exit 3); `apply --resume --allow-drift` writes
/// it, and `rollback` restores voiceMobile, the later edit, not the plan's sms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_edited_after_planning_is_drifted_and_rollback_restores_the_edit() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let plan = plan_adele_to_push(&base, &token, "drift");
    let dir = plan.parent().unwrap();
    let run = |args: &[&str]| run_cli(&base, &token, args);
    let plan_text = plan.to_str().unwrap();
    let (code, _, stderr) = run(&["set", "adele@contoso.com", "--method", "voiceMobile"]);
    assert_eq!(code, Some(0), "{stderr}");

    let (code, stdout, stderr) = run(&["apply", plan_text, "--output", "json"]);
    assert_eq!(code, Some(3), "partial: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["counts"]["drifted"], 1);
    assert_eq!(report["rows"][0]["before"]["method"], "sms");
    assert_eq!(report["rows"][0]["now"]["method"], "voiceMobile");
    let method = |emulator: &EmulatorHandle| {
        emulator
            .user("adele@contoso.com")
            .unwrap()
            .state
            .preferred
            .unwrap()
            .as_str()
            .to_owned()
    };
    assert_eq!(method(&emulator), "voiceMobile", "not overwritten");

    let (code, _, stderr) = run(&["apply", plan_text, "--resume", "--allow-drift"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(method(&emulator), "push");

    let journal = dir.join("plan.json.journal.jsonl");
    let (code, stdout, stderr) = run(&["rollback", journal.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        method(&emulator),
        "voiceMobile",
        "the later edit restored, not the plan's sms"
    );
    // The rollback's report names what it did: restored, in the table, CSV and JSON alike.
    assert!(stdout.starts_with("1 users: restored 1"), "{stdout}");
    let rollback_journal = format!("{}.rollback.jsonl", journal.display());
    let (_, csv, _) = run(&["report", &rollback_journal, "--output", "csv"]);
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|row| row.contains(",restored,")),
        "{csv}"
    );
    let (_, json, _) = run(&["report", &rollback_journal, "--output", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["counts"], serde_json::json!({"restored": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_report_through_the_binary() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let dir = scratch("flow");
    let targets = dir.join("targets.json");
    std::fs::write(&targets, r#"["adele@contoso.com", "o'brien@contoso.com"]"#).unwrap();
    let plan = dir.join("plan.json");
    let output = cli(&base, &token)
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push,oath", "--out"])
        .arg(&plan)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("1 to change, 0 already compliant, 1 ineligible"),
        "{stdout}"
    );

    let report_file = dir.join("report.json");
    let output = cli(&base, &token)
        .arg("apply")
        .arg(&plan)
        .args(["--verify", "--output", "json", "--report"])
        .arg(&report_file)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["counts"]["applied"], 1);
    assert_eq!(report["counts"]["ineligible"], 1);
    assert_eq!(report["rows"][0]["run"], 1, "the run that settled the user");
    // The report file names users and their MFA set-up: owner-only, like plans and journals.
    assert_eq!(std::fs::read_to_string(&report_file).unwrap(), stdout);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&report_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let journal = dir.join("plan.json.journal.jsonl");
    let output = cli(&base, &token)
        .arg("report")
        .arg(&journal)
        .args(["--output", "csv"])
        .output()
        .unwrap();
    let (stdout, _) = text(&output);
    assert!(stdout.starts_with("user,planned,beforeMethod"), "{stdout}");
    // A reader that stops early (`| head`) ends the report quietly, not with a panic.
    let mut reader = cli(&base, &token)
        .arg("report")
        .arg(&journal)
        .args(["--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(reader.stdout.take());
    let closed = reader.wait_with_output().unwrap();
    let (_, stderr) = text(&closed);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(closed.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("adele@contoso.com,change,sms,false,push,false,applied,true"),
        "{stdout}"
    );

    let output = cli(&base, &token)
        .arg("rollback")
        .arg(&journal)
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(
        emulator
            .user("adele@contoso.com")
            .unwrap()
            .state
            .preferred
            .unwrap()
            .as_str(),
        "sms"
    );

    // A journal records its plan as it was given: a run started in the plan's folder with
    // relative paths is reported on from anywhere, the plan found beside the journal.
    let in_dir = |args: &[&str]| {
        cli(&base, &token)
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    let output = in_dir(&[
        "plan",
        "--targets",
        "targets.json",
        "--method",
        "push",
        "--out",
        "relative.json",
    ]);
    assert!(output.status.success(), "{:?}", text(&output));
    let output = in_dir(&["apply", "relative.json"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let output = cli(&base, &token)
        .current_dir(std::env::temp_dir())
        .arg("report")
        .arg(dir.join("relative.json.journal.jsonl"))
        .args(["--output", "csv"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("adele@contoso.com,change"), "{stdout}");

    // A plan where a journal is expected, a damaged journal, a missing one: bad input (exit 2),
    // each said as what it is.
    let damaged = dir.join("damaged.jsonl");
    std::fs::write(&damaged, "{\"record\":\n").unwrap();
    let cases = [
        (plan.clone(), "a plan"),
        (damaged, "not a journal record"),
        (dir.join("missing.jsonl"), "missing.jsonl"),
    ];
    for (given, said) in cases {
        for command in ["rollback", "report"] {
            let output = cli(&base, &token)
                .arg(command)
                .arg(&given)
                .output()
                .unwrap();
            let (_, stderr) = text(&output);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command} {}: {stderr}",
                given.display()
            );
            assert!(stderr.contains(said), "{command}: {stderr}");
        }
    }
}

#[test]
fn without_a_tenant_the_cli_says_how_to_configure_one() {
    let mut command = Command::new(binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNIN_PREFS_")
            || name.starts_with("AZURE_")
            || name.starts_with("IDENTITY_")
        {
            command.env_remove(name);
        }
    }
    let output = command.args(["get", "adele@contoso.com"]).output().unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("no credential configured")
            && stderr.contains("SIGNIN_PREFS_TENANT_ID")
            && stderr.contains("signin-prefs demo"),
        "{stderr}"
    );
}

/// The demo's human output, compared with a committed snapshot (`UPDATE_SNAPSHOTS=1` rewrites it).
#[test]
fn demo_output_snapshot() {
    let dir = scratch("demo");
    let output = Command::new(binary())
        .args(["demo", "--users", "300", "--seed", "7", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    // The port and the folder differ from run to run.
    let port = regex_free_port(&stdout);
    let normalized = stdout
        .replace(&port, "127.0.0.1:PORT")
        .replace(&dir.display().to_string(), "DIR");
    let snapshot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/suite/snapshots/demo.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, &normalized).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        normalized, expected,
        "the demo's output changed; rerun with UPDATE_SNAPSHOTS=1 and review"
    );
    // Run again in the same folder: refused before anything is written, the first run's files
    // as they were.
    let plan_before = std::fs::read(dir.join("plan.json")).unwrap();
    let output = Command::new(binary())
        .args(["demo", "--users", "300", "--seed", "8", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("already holds") && stderr.contains("plan.json"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(dir.join("plan.json")).unwrap(), plan_before);
}

fn regex_free_port(text: &str) -> String {
    let start = text.find("127.0.0.1:").unwrap();
    let rest = &text[start..];
    let end = rest.find('/').unwrap();
    rest[..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reads_the_tokens_permissions_and_roles() {
    use signin_prefs_emulator::DirectoryRole;
    let (emulator, good) = emulator().await;
    let base = emulator.base_url();
    let output = cli(&base, &good).arg("doctor").output().unwrap();
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("app-only") && stdout.contains("ready"),
        "{stdout}"
    );

    let read_only = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_ALL]))
        .unwrap();
    let output = cli(&base, &read_only)
        .args(["doctor", "--user", "adele@contoso.com"])
        .output()
        .unwrap();
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("reads but cannot write"), "{stdout}");
    assert!(
        stdout.contains("read probe:  ok") && stdout.contains("write probe: FAILED"),
        "{stdout}"
    );
    // The same findings for programs: each check with its status, and the verdict.
    let output = cli(&base, &read_only)
        .args(["doctor", "--user", "adele@contoso.com", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found["ready"], false);
    let status = |check: &str| {
        found["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["check"] == check)
            .map(|finding| finding["status"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(status("read probe"), ["ok"]);
    assert_eq!(status("write probe"), ["failed"]);
    assert!(
        status("permissions").contains(&"problem".to_owned()),
        "{found}"
    );
    let counted = found["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["status"] == "problem" || finding["status"] == "failed")
        .count();
    assert_eq!(found["problems"].as_u64(), Some(counted as u64), "{found}");

    let delegated = emulator
        .mint_token(TokenRequest::delegated(
            "o'brien@contoso.com",
            &[permissions::READ_WRITE_ALL],
            &[],
        ))
        .unwrap();
    let output = cli(&base, &delegated).arg("doctor").output().unwrap();
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Authentication Administrator"), "{stdout}");

    // An administrator whose token may not read the authentication methods policy is told that
    // plan needs it; with it, doctor finds nothing to fix.
    let admin_without_policy = emulator
        .mint_token(TokenRequest::delegated(
            "o'brien@contoso.com",
            &[permissions::READ_WRITE_ALL],
            &[DirectoryRole::AuthenticationAdministrator],
        ))
        .unwrap();
    let output = cli(&base, &admin_without_policy)
        .arg("doctor")
        .output()
        .unwrap();
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("policy:      PROBLEM")
            && stdout.contains("Policy.Read.All")
            && stdout.contains("--ignore-policy"),
        "{stdout}"
    );
    let admin = emulator
        .mint_token(TokenRequest::delegated(
            "o'brien@contoso.com",
            &[
                permissions::READ_WRITE_ALL,
                permissions::POLICY_READ_AUTHENTICATION_METHOD,
            ],
            &[DirectoryRole::AuthenticationAdministrator],
        ))
        .unwrap();
    let output = cli(&base, &admin).arg("doctor").output().unwrap();
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("policy:      ok"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_early_ends_the_output_quietly_and_the_plan_is_whole() {
    use std::io::{BufRead, BufReader};
    // Three thousand CSV rows are far more than a pipe holds: the plan is still writing rows when
    // the reader goes, as with `| head -1`.
    let emulator = EmulatorBuilder::new()
        .users(3_000)
        .seed(9)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let dir = scratch("closed-pipe");
    let plan = dir.join("plan.json");
    let mut child = cli(&emulator.base_url(), &token)
        .args([
            "plan",
            "--group",
            "0a11c0de-0000-4000-8000-000000000001",
            "--method",
            "push,oath",
            "--output",
            "csv",
            "--out",
        ])
        .arg(&plan)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(
        first.trim_end(),
        "user,action,currentMethod,targetMethod,reason"
    );
    // The pipe's reading end is closed here.
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (whole, _) = signin_prefs_bulk::plan::Plan::read(&plan).unwrap();
    assert_eq!(whole.entries.len(), 3_000);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_honours_the_policy_ignores_it_when_told_and_stops_without_the_permission() {
    use signin_prefs_emulator::MethodConfiguration;
    let emulator = EmulatorBuilder::new()
        .user_specs(vec![UserSpec {
            id: None,
            user_principal_name: "adele@contoso.com".into(),
            methods: vec![
                AuthMethod::MobilePhone,
                AuthMethod::MicrosoftAuthenticator,
                AuthMethod::SoftwareOath,
            ],
            user_preferred_method_for_secondary_authentication: Some("sms".into()),
            is_system_preferred_authentication_method_enabled: Some(false),
            is_admin: false,
            account_enabled: true,
        }])
        .method_configuration(MethodConfiguration::disabled("MicrosoftAuthenticator"))
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let base = emulator.base_url();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
        ]))
        .unwrap();
    let dir = scratch("policy");
    let targets = dir.join("targets.json");
    std::fs::write(&targets, r#"["adele@contoso.com"]"#).unwrap();
    let plan_with = |token: &str, extra: &[&str], out: &str| {
        cli(&base, token)
            .args(["plan", "--targets"])
            .arg(&targets)
            .args(["--method", "push,oath", "--out"])
            .arg(dir.join(out))
            .args(extra)
            .output()
            .unwrap()
    };
    let entry = |out: &str| -> serde_json::Value {
        let plan: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(out)).unwrap()).unwrap();
        plan["entries"][0].clone()
    };

    // The policy disables Authenticator: push is passed over for oath, and the reason says why.
    let output = plan_with(&token, &[], "plan.json");
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let honoured = entry("plan.json");
    assert_eq!(honoured["action"], "change", "{honoured}");
    assert_eq!(honoured["target"]["method"], "oath", "{honoured}");
    let reason = honoured["reason"].as_str().unwrap();
    assert!(
        reason.contains("authentication methods policy")
            && reason.contains("Microsoft Authenticator: disabled"),
        "{reason}"
    );

    // --ignore-policy: the first registered method wins, as before the policy was read.
    let output = plan_with(&token, &["--ignore-policy"], "ignored.json");
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let ignored = entry("ignored.json");
    assert_eq!(ignored["target"]["method"], "push", "{ignored}");
    assert!(!ignored["reason"].as_str().unwrap().contains("policy"));

    // Without a policy permission the plan stops, naming what to grant and --ignore-policy, with
    // the exit code of a run refused before anything was written (no plan file), and with the
    // flag the same token plans.
    let unprivileged = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap();
    let output = plan_with(&unprivileged, &[], "refused.json");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Policy.Read.All")
            && stderr.contains("Policy.Read.AuthenticationMethod")
            && stderr.contains("--ignore-policy"),
        "{stderr}"
    );
    assert!(!dir.join("refused.json").exists());
    let output = plan_with(&unprivileged, &["--ignore-policy"], "unprivileged.json");
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert_eq!(entry("unprivileged.json")["target"]["method"], "push");
    emulator.shutdown().await;
}

/// `plan` exits 0 when every user planned for was read, 3 when some could not be, 1 when none
/// could; a garbled answer to a read is read again rather than left unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_says_by_its_exit_code_whether_users_could_not_be_read() {
    let (emulator, token) = emulator().await;
    let dir = scratch("plan-unreadable");
    let plan = |name: &str, users: &[&str]| {
        let targets = dir.join(format!("{name}.csv"));
        std::fs::write(&targets, format!("user\n{}\n", users.join("\n"))).unwrap();
        cli(&emulator.base_url(), &token)
            .env("SIGNIN_PREFS_LOG", "info")
            .args(["plan", "--targets"])
            .arg(&targets)
            .args(["--method", "push", "--read-path", "per-user", "--out"])
            .arg(dir.join(format!("{name}.json")))
            .output()
            .unwrap()
    };
    let output = plan("some", &["adele@contoso.com", "nobody@contoso.com"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("1 of the users planned for could not be read"),
        "{stderr}"
    );
    assert!(
        dir.join("some.json").exists(),
        "the plan is written all the same"
    );
    // None read: 25 unknown users, 20 named and the rest counted; logs to a pipe are plain.
    let nobody: Vec<String> = (0..25)
        .map(|at| format!("nobody{at}@contoso.com"))
        .collect();
    let nobody: Vec<&str> = nobody.iter().map(String::as_str).collect();
    let output = plan("none", &nobody);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("… and 5 more"), "{stdout}");
    assert!(
        stderr.contains("WARN") || stderr.contains("INFO"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "colour codes in {stderr}");

    // The next three `$batch` answers garbled (both reads of the first round, one of the
    // second): each read is sent again, and every user is read.
    emulator.add_fault(
        signin_prefs_emulator::FaultRule::always(
            signin_prefs_emulator::FaultRoute::Batch,
            signin_prefs_emulator::FaultKind::MalformedBody,
        )
        .times(3),
    );
    let output = plan("garbled", &["adele@contoso.com", "o'brien@contoso.com"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 unreadable"), "{stdout}");
    emulator.shutdown().await;
}

/// A token file others can read is used, with a warning naming it; an owner-only one quietly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_others_can_read_is_warned_of() {
    use std::os::unix::fs::PermissionsExt as _;
    let (emulator, token) = emulator().await;
    let dir = scratch("token-file");
    let file = dir.join("token");
    std::fs::write(&file, &token).unwrap();
    for (mode, warned) in [(0o644, true), (0o600, false)] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = cli(&emulator.base_url(), "unused")
            .env_remove("SIGNIN_PREFS_TOKEN")
            .env("SIGNIN_PREFS_TOKEN_FILE", &file)
            .args(["get", "adele@contoso.com"])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{mode:o}: {stderr}");
        assert!(stdout.contains("adele@contoso.com"), "{stdout}");
        assert_eq!(
            stderr.contains("can be read by others"),
            warned,
            "{mode:o}: {stderr}"
        );
        assert!(
            !stderr.contains(&token),
            "the token itself is never printed"
        );
    }
    emulator.shutdown().await;
}
