//! The command line's conventions: completions and man pages made from the same definitions that
//! parse it, `--version` with the commit, `--color` and NO_COLOR, `-q` and `-v`, and progress as
//! plain lines off a terminal. The subcommands are read from `--help`, never listed here.

use std::process::Command;

use signin_prefs_emulator::{EmulatorBuilder, ThrottleConfig};

use crate::cli_interrupt::started;
use crate::cli_scenarios::{cli, emulator, scratch, text};

/// The visible subcommands, as `signin-prefs --help` lists them.
fn subcommands() -> Vec<String> {
    let output = cli("http://127.0.0.1:9", "t")
        .arg("--help")
        .output()
        .unwrap();
    let (help, _) = text(&output);
    let listed = help
        .split("Commands:")
        .nth(1)
        .expect("the help lists its commands");
    listed
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn completions_cover_every_subcommand_for_every_shell() {
    let names = subcommands();
    assert!(names.len() > 5, "{names:?}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = cli("http://127.0.0.1:9", "t")
            .args(["completions", shell])
            .output()
            .unwrap();
        let (script, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{shell}: {stderr}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell} lacks {name}");
        }
    }
    let output = cli("http://127.0.0.1:9", "t")
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_pages_are_written_owner_only_for_the_command_and_each_subcommand() {
    let dir = scratch("man");
    let out = dir.join("man1");
    let output = cli("http://127.0.0.1:9", "t")
        .args(["manpages", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|name| format!("signin-prefs-{name}.1"))
        .collect();
    expected.push("signin-prefs.1".to_owned());
    expected.sort();
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, expected);
    for page in &written {
        let path = out.join(page);
        let roff = std::fs::read_to_string(&path).unwrap();
        assert!(roff.contains(".TH "), "{page} is a man page");
        // The options every command takes are on every page.
        assert!(roff.contains("color"), "{page} lacks --color");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{page}");
        }
    }
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let output = cli("http://127.0.0.1:9", "t")
        .arg("--version")
        .output()
        .unwrap();
    let (version, _) = text(&output);
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    let expected = match head {
        Some(head) => format!("signin-prefs {} (commit {head})", env!("CARGO_PKG_VERSION")),
        None => format!("signin-prefs {}", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(version.trim(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn color_verbosity_and_quiet_shape_standard_error() {
    let (emulator, token) = emulator().await;
    let base = emulator.base_url();
    let get = |extra: &[&str], env: &[(&str, &str)]| {
        let mut command = cli(&base, &token);
        command.args(["get", "adele@contoso.com"]).args(extra);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{extra:?}: {}",
            text(&output).1
        );
        text(&output).1
    };
    let escape = '\u{1b}';
    // -vv logs the client's requests; without it, nothing is logged for a read that succeeds.
    assert!(get(&[], &[]).is_empty());
    let debug = get(&["-vv"], &[]);
    assert!(debug.contains("DEBUG"), "{debug}");
    assert!(!debug.contains(escape), "no colour into a pipe by default");
    assert!(get(&["-vv", "--color", "always"], &[]).contains(escape));
    assert!(!get(&["-vv", "--color", "never"], &[]).contains(escape));
    // NO_COLOR turns `auto` off; an explicit --color wins over it.
    assert!(!get(&["-vv"], &[("NO_COLOR", "1")]).contains(escape));
    assert!(get(&["-vv", "--color", "always"], &[("NO_COLOR", "1")]).contains(escape));
    // The global options go before or after the subcommand alike.
    let output = cli(&base, &token)
        .args(["-vv", "get", "adele@contoso.com"])
        .output()
        .unwrap();
    assert!(text(&output).1.contains("DEBUG"));
    let output = cli(&base, &token)
        .args(["get", "adele@contoso.com", "-q", "-v"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "-q and -v conflict");
    emulator.shutdown().await;
}

/// Off a terminal, the reads of `plan` and `readiness` and the writes of `apply` say how far they
/// are in plain lines; `-q` leaves progress out and the results in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_plain_lines_off_a_terminal_and_quiet_leaves_it_out() {
    let (emulator, token) = started(
        EmulatorBuilder::new()
            .users(60)
            .seed(41)
            .throttle(ThrottleConfig::disabled()),
    )
    .await;
    let base = emulator.base_url();
    let dir = scratch("progress-lines");
    let run = |args: &[&str]| {
        let output = cli(&base, &token).args(args).output().unwrap();
        let (stdout, stderr) = text(&output);
        assert!(
            matches!(output.status.code(), Some(0 | 3)),
            "{args:?}: {stderr}"
        );
        (stdout, stderr)
    };
    let (_, stderr) = run(&["readiness"]);
    assert!(stderr.contains("counted 60/60 users"), "{stderr}");
    let (stdout, stderr) = run(&["readiness", "-q"]);
    assert!(!stderr.contains("counted"), "{stderr}");
    assert!(
        stdout.contains("users"),
        "the result still prints: {stdout}"
    );

    let group = "0a11c0de-0000-4000-8000-000000000001";
    let plan = |name: &str, quiet: &[&str]| {
        let out = dir.join(name).to_string_lossy().into_owned();
        let args = ["plan", "--group", group, "--method", "push,oath"];
        let read = ["--read-path", "per-user", "--out", &out];
        let (_, stderr) = run(&[&args[..], &read, quiet].concat());
        (out, stderr)
    };
    let (plan_text, stderr) = plan("plan.json", &[]);
    assert!(stderr.contains("read the state of 60/60 users"), "{stderr}");
    let (_, stderr) = plan("quiet.json", &["-q"]);
    assert!(!stderr.contains("read the state of"), "{stderr}");

    let (_, stderr) = run(&["apply", &plan_text]);
    assert!(stderr.contains("sending "), "{stderr}");
    let sent = stderr
        .lines()
        .rfind(|line| line.starts_with("sent "))
        .expect("a line of how many were sent");
    let (done, total) = sent
        .trim_start_matches("sent ")
        .trim_end_matches(" users")
        .split_once('/')
        .unwrap();
    assert_eq!(done, total, "the last line counts them all: {stderr}");
    emulator.shutdown().await;
}

/// `demo --output json` gives the run as one document on standard output (its walk-through on
/// standard error), whose parts agree with one another.
#[test]
fn the_demo_as_json_is_one_document_that_adds_up() {
    let dir = scratch("demo-json");
    let output = cli("http://127.0.0.1:9", "t")
        .args(["demo", "--users", "60", "--output", "json", "--dir"])
        .arg(dir.join("demo"))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("apply, with verification"), "{stderr}");
    let demo: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let users = demo["tenant"]["users"].as_u64().unwrap();
    assert_eq!(demo["readiness"]["users"].as_u64(), Some(users));
    let counts = demo["report"]["counts"].as_object().unwrap();
    let accounted: u64 = counts.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(accounted, users, "every user has one outcome: {counts:?}");
    assert_eq!(
        counts.get("applied").and_then(serde_json::Value::as_u64),
        demo["plan"]["change"].as_u64(),
        "the plan's changes are the report's applied"
    );
    for file in demo["files"].as_array().unwrap() {
        assert!(
            dir.join("demo").join(file.as_str().unwrap()).exists(),
            "{file}"
        );
    }
}
