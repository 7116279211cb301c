//! Real SIGINT and SIGTERM sent to the binary mid-run: `apply` and `rollback` journal what they
//! sent, print the command that resumes and exit 130, and that command finishes the job exactly;
//! `plan` stops leaving no file. And a reader that closes the pipe early ends the output quietly.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use signin_prefs_bulk::journal;
use signin_prefs_bulk::plan::Plan;
use signin_prefs_emulator::{
    EmulatorBuilder, EmulatorHandle, FaultKind, FaultRoute, FaultRule, Limit, RetryAfterFormat,
    ThrottleConfig, TokenRequest, permissions,
};

use crate::bulk_interrupt::{assert_everyone_holds_what_they_held, settled};
use crate::bulk_scenarios::{assert_journal_accounts_once, assert_state_matches_plan};
use crate::cli_scenarios::{cli, scratch, text};

/// Exit code of a command stopped by a signal (128 + SIGINT).
const INTERRUPTED: i32 = 130;

/// Starts `builder`'s emulator, with a token that may do all the bulk commands do.
pub(crate) async fn started(builder: EmulatorBuilder) -> (EmulatorHandle, String) {
    let emulator = builder.start().await.unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[
            permissions::READ_WRITE_ALL,
            permissions::POLICY_READ_ALL,
            permissions::AUDIT_LOG_READ_ALL,
        ]))
        .unwrap();
    (emulator, token)
}

/// A tenant whose write budget makes an apply of it take many seconds: 40 writes per 150 s on a
/// clock 50 times faster, 40 writes every 3 s.
async fn throttled_tenant() -> (EmulatorHandle, String) {
    started(
        EmulatorBuilder::new()
            .users(300)
            .seed(31)
            .throttle(ThrottleConfig {
                writes_per_app_tenant: Limit::new(40, 150),
                retry_after: RetryAfterFormat::Fractional,
                ..ThrottleConfig::default()
            })
            .time_scale(50.0),
    )
    .await
}

/// `plan` of every user of the tenant to push, else OATH, written to `plan_path`.
fn plan_everyone(base: &str, token: &str, plan_path: &Path) -> Command {
    let mut command = cli(base, token);
    command
        .args(["plan", "--group", "0a11c0de-0000-4000-8000-000000000001"])
        .args(["--method", "push,oath", "--out"])
        .arg(plan_path);
    command
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the journal at `path` records `outcomes` outcomes (the run is under way).
async fn until_outcomes(path: &Path, outcomes: usize) {
    loop {
        let written = std::fs::read_to_string(path)
            .unwrap_or_default()
            .matches(r#""record":"outcome""#)
            .count();
        if written >= outcomes {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn finished(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// The command the interrupted run printed, run through the shell as an operator would paste it.
async fn resume_as_told(stderr: &str, base: &str, token: &str) -> Output {
    let (_, told) = stderr
        .split_once("Resume with:\n")
        .unwrap_or_else(|| panic!("no resume command: {stderr}"));
    let line = told.lines().next().unwrap().trim().to_owned();
    // The binary the test ran, and its environment, lent to the shell.
    let binary = cli(base, token);
    assert!(
        line.starts_with(&*binary.get_program().to_string_lossy()),
        "{line}"
    );
    let mut command = Command::new("sh");
    command.args(["-c", &line]);
    for (name, value) in binary.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_and_sigterm_stop_apply_and_rollback_and_the_printed_command_resumes() {
    let (emulator, token) = throttled_tenant().await;
    let base = emulator.base_url();
    let dir = scratch("interrupt");
    let plan_path = dir.join("plan.json");
    let output = plan_everyone(&base, &token, &plan_path)
        .args(["--system-preferred", "on"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let (plan, _) = Plan::read(&plan_path).unwrap();
    let changes = plan.summary.change;
    assert!(
        changes > 80,
        "{changes} changes: too few to be stopped mid-run"
    );

    for (signal, rollback) in [("-INT", false), ("-TERM", true)] {
        let journal_path = if rollback {
            dir.join("plan.json.journal.jsonl.rollback.jsonl")
        } else {
            dir.join("plan.json.journal.jsonl")
        };
        let mut command = cli(&base, &token);
        if rollback {
            command
                .arg("rollback")
                .arg(dir.join("plan.json.journal.jsonl"));
        } else {
            command.arg("apply").arg(&plan_path);
        }
        let child = command
            .args(["--batch-size", "5", "--concurrency", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        until_outcomes(&journal_path, 1).await;
        send(&child, signal);
        let output = finished(child).await;
        let (_, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(INTERRUPTED),
            "{signal}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        let state = journal::read(&journal_path).unwrap();
        assert!(!state.finished, "{signal}: the run had not reached its end");
        assert!(
            settled(&journal_path) < changes,
            "{signal}: stopped before everyone was done"
        );

        let resumed = resume_as_told(&stderr, &base, &token).await;
        assert_eq!(resumed.status.code(), Some(0), "{:?}", text(&resumed));
        assert!(journal::read(&journal_path).unwrap().finished);
        if rollback {
            assert_everyone_holds_what_they_held(&emulator, &plan);
        } else {
            assert_state_matches_plan(&emulator, &plan);
            assert_journal_accounts_once(&journal_path, &plan);
        }
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_plan_leaving_no_file() {
    // Each read $batch answers after a second: the plan is reading when the signal comes.
    let (emulator, token) = started(
        EmulatorBuilder::new()
            .users(400)
            .seed(32)
            .throttle(ThrottleConfig::disabled())
            .fault(FaultRule::always(
                FaultRoute::Batch,
                FaultKind::Delay(Duration::from_secs(1)),
            )),
    )
    .await;
    let dir = scratch("interrupt-plan");
    let plan_path = dir.join("plan.json");
    let mut child = plan_everyone(&emulator.base_url(), &token, &plan_path)
        .args(["--read-path", "per-user"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Off a terminal, the plan says when the reading starts.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("read the state of 0/") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{said}");
        said.push_str(&line);
    }
    send(&child, "-INT");
    let rest = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        (child.wait().unwrap(), rest)
    });
    let (status, rest) = rest.await.unwrap();
    assert_eq!(status.code(), Some(INTERRUPTED), "{said}{rest}");
    assert!(rest.contains("no plan file was written"), "{rest}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "neither the plan nor its spool is left: {left:?}"
    );
    emulator.shutdown().await;
}

/// Commands that print results end quietly when the reader has gone (`| head`): no panic, exit 0,
/// the work done all the same. Every command that prints to standard output is here (the CLI
/// crate's clippy.toml refuses `println!`, which would panic).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_every_printing_command_quietly() {
    let (emulator, token) = started(
        EmulatorBuilder::new()
            .users(50)
            .throttle(ThrottleConfig::disabled()),
    )
    .await;
    let dir = scratch("closed-pipe-bulk");
    let mut readiness = cli(&emulator.base_url(), &token);
    readiness.args(["readiness", "--output", "json"]);
    let mut demo = cli(&emulator.base_url(), &token);
    demo.args(["demo", "--users", "40", "--dir"])
        .arg(dir.join("demo"));
    let user = emulator.user_at(0).unwrap().id;
    let single = |args: &[&str]| {
        let mut command = cli(&emulator.base_url(), &token);
        command.args(args);
        command
    };
    let commands = [
        readiness,
        demo,
        single(&["get", &user]),
        single(&["get", &user, "--output", "json"]),
        single(&["set", &user, "--system-preferred", "on"]),
        single(&["explain", &user]),
        single(&["explain", &user, "--output", "csv"]),
    ];
    for mut command in commands {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes before the first byte is written.
        drop(child.stdout.take());
        let output = finished(child).await;
        let (_, stderr) = text(&output);
        assert!(!stderr.contains("panicked"), "{command:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{command:?}: {stderr}");
    }
    emulator.shutdown().await;
}
