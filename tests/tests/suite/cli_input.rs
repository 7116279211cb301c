//! What the binary refuses before sending anything, and what it leaves on disk: the input cases it
//! shares with the Python package, `--group`, owner-only files and the exit code of a run whose
//! report cannot be written.

use std::path::Path;
use std::process::Output;

use crate::cli_scenarios::{cli, emulator, scratch, text};

/// The case table the Python package's `test_input_parity.py` runs too.
fn input_cases() -> Vec<(String, String, Option<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("input_cases.json");
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    table["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            (
                case["kind"].as_str().unwrap().to_owned(),
                case["value"].as_str().unwrap().to_owned(),
                case["refused"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_refuses_exactly_the_shared_input_cases() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    for (kind, value, refused) in input_cases() {
        let mut command = cli(&base, &token);
        match kind.as_str() {
            "user" => command.args(["get", &value]),
            "method" => command.args(["set", "adele@contoso.com", "--method", &value]),
            "flag precedence" => {
                command.args(["explain", "adele@contoso.com", "--flag-precedence", &value])
            }
            "cloud" => command
                .env("SIGNIN_PREFS_CLOUD", &value)
                .args(["get", "adele@contoso.com"]),
            other => panic!("unknown case kind {other}"),
        };
        let output = command.output().unwrap();
        let (_, stderr) = text(&output);
        match refused {
            Some(message) => {
                assert_eq!(output.status.code(), Some(2), "{kind} {value:?}: {stderr}");
                assert!(
                    stderr.contains(&message),
                    "{kind} {value:?}: expected {message:?} in {stderr}"
                );
            }
            // Accepted: whatever the service then says (an unknown user, an unregistered method),
            // it is not refused as input.
            None => assert_ne!(output.status.code(), Some(2), "{kind} {value:?}: {stderr}"),
        }
    }
}

#[test]
fn a_group_is_checked_as_a_group_id_not_a_user() {
    // Nothing listens on the discard port: any request would fail with a connection error instead.
    let dir = scratch("group-id");
    let plan = dir.join("plan.json");
    let output = cli("http://127.0.0.1:9", "token")
        .args([
            "plan",
            "--group",
            "pilot@contoso.com",
            "--method",
            "push",
            "--out",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--group \"pilot@contoso.com\": a group is named by its object id"),
        "{stderr}"
    );
    assert!(!plan.exists());
}

#[cfg(unix)]
fn assert_owner_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "{} is {:o}",
        path.display(),
        mode & 0o777
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_the_cli_writes_is_owner_only() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let dir = scratch("owner-only");
    let targets = dir.join("targets.csv");
    std::fs::write(&targets, "user\nadele@contoso.com\n").unwrap();
    let plan = dir.join("plan.json");
    let report = dir.join("report.csv");
    let ok = |output: Output| assert!(output.status.success(), "{:?}", text(&output));
    ok(cli(&base, &token)
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push", "--out"])
        .arg(&plan)
        .output()
        .unwrap());
    ok(cli(&base, &token)
        .arg("apply")
        .arg(&plan)
        .args(["--output", "csv", "--report"])
        .arg(&report)
        .output()
        .unwrap());
    // A report file that already exists, readable by all, is replaced by an owner-only one.
    let old_report = dir.join("old-report.json");
    std::fs::write(&old_report, "{}").unwrap();
    let journal = dir.join("plan.json.journal.jsonl");
    ok(cli(&base, &token)
        .arg("rollback")
        .arg(&journal)
        .output()
        .unwrap());
    ok(cli(&base, &token)
        .arg("apply")
        .arg(&plan)
        .args(["--resume", "--output", "json", "--report"])
        .arg(&old_report)
        .output()
        .unwrap());
    for written in [
        &plan,
        &journal,
        &report,
        &old_report,
        &dir.join("plan.json.journal.jsonl.rollback.jsonl"),
    ] {
        assert_owner_only(written);
    }

    let demo = dir.join("demo");
    ok(cli(&base, &token)
        .args(["demo", "--users", "20", "--seed", "3", "--dir"])
        .arg(&demo)
        .output()
        .unwrap());
    let mut files = 0;
    for entry in std::fs::read_dir(&demo).unwrap() {
        assert_owner_only(&entry.unwrap().path());
        files += 1;
    }
    assert_eq!(files, 4, "targets, plan, journal and report");
}

/// Applies a one-change plan with `--report` at `report`, stdout going to `stdout`.
async fn apply_with_report(
    name: &str,
    report: impl Fn(&Path) -> std::path::PathBuf,
    stdout: impl Fn() -> std::process::Stdio,
) -> (Output, std::path::PathBuf) {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let dir = scratch(name);
    let targets = dir.join("targets.json");
    std::fs::write(&targets, r#"["adele@contoso.com"]"#).unwrap();
    let plan = dir.join("plan.json");
    let output = cli(&base, &token)
        .args(["plan", "--targets"])
        .arg(&targets)
        .args(["--method", "push", "--out"])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let output = cli(&base, &token)
        .arg("apply")
        .arg(&plan)
        .args(["--output", "json", "--report"])
        .arg(report(&dir))
        .stdout(stdout())
        .output()
        .unwrap();
    // The change was made whatever happened to the report afterwards.
    let user = emulator.user("adele@contoso.com").unwrap();
    assert_eq!(user.state.preferred.unwrap().as_str(), "push");
    (output, dir.join("plan.json.journal.jsonl"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_cannot_be_written_after_the_run_is_not_called_bad_input() {
    let (output, journal) = apply_with_report(
        "late-report",
        |dir| dir.join("no-such-folder").join("report.json"),
        std::process::Stdio::piped,
    )
    .await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no-such-folder"), "{stderr}");
    assert!(
        stderr.contains(&journal.display().to_string()) && stderr.contains("signin-prefs report"),
        "{stderr}"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_cannot_be_printed_after_the_run_is_not_called_bad_input() {
    // Writing to /dev/full fails with "no space left on device", as a full disk would.
    let (output, journal) = apply_with_report(
        "late-print",
        |dir| dir.join("report.json"),
        || {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap()
                .into()
        },
    )
    .await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot print the report"), "{stderr}");
    assert!(stderr.contains(&journal.display().to_string()), "{stderr}");
}
