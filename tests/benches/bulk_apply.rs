//! Bulk apply of a 10,000-user plan against the emulator: wall time, and the CPU of the applying
//! process and of the emulator per user, by number of `$batch`es in flight, journal included.
//!
//! `cargo bench -p signin-prefs-tests --bench bulk_apply [-- USERS [CONCURRENCY,...]]`. The binary
//! re-executes itself with `serve` to host the emulator in a process of its own, as a real tenant
//! would be, so the CPU measured here is the engine's alone. Not a criterion bench: one run of the
//! engine is a whole program's work (plan file, journal, fsyncs, HTTP), measured end to end.

// A benchmark's setup checks are allowed to stop the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::plan::{PlanOptions, make_plan};
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::report::{Report, Verdict};
use signin_prefs_bulk::targets::{Target, TargetList};
use signin_prefs_client::{Client, Secret, StaticToken};
use signin_prefs_emulator::{EmulatorBuilder, ThrottleConfig, TokenRequest, permissions};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.first().map(String::as_str) == Some("serve") {
        let users = args.get(1).and_then(|count| count.parse().ok()).unwrap();
        runtime.block_on(serve(users));
        return;
    }
    let users: usize = args
        .first()
        .and_then(|count| count.parse().ok())
        .unwrap_or(10_000);
    let concurrency: Vec<usize> = args.get(1).map_or_else(
        || vec![1, 4, 8, 16],
        |list| {
            list.split(',')
                .map(|value| value.parse().unwrap())
                .collect()
        },
    );
    // On a worker, as the Python package runs a bulk operation.
    runtime
        .block_on(runtime.spawn(async move { measure(users, &concurrency).await }))
        .unwrap();
}

/// Hosts an emulator (throttling off) and prints its base URL, a token and every user's UPN.
async fn serve(users: usize) {
    let emulator = EmulatorBuilder::new()
        .users(users)
        .seed(7)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap();
    let names: Vec<String> = (0..users)
        .map(|index| emulator.user_at(index).unwrap().id)
        .collect();
    println!("{}", emulator.base_url());
    println!("{token}");
    println!("{}", names.join(","));
    std::future::pending::<()>().await;
}

struct Emulator(Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The CPU time of a process's live threads, from `/proc/PID/task/*/schedstat` (nanoseconds; the
/// clock-tick figures of `/proc/PID/stat` are too coarse for a run of a fraction of a second).
fn cpu_seconds(pid: &str) -> f64 {
    let mut nanos = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let path = task.unwrap().path().join("schedstat");
        if let Ok(text) = std::fs::read_to_string(path) {
            nanos += text
                .split_whitespace()
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap();
        }
    }
    nanos as f64 / 1e9
}

async fn run(
    client: &Client,
    emulator_pid: &str,
    dir: &Path,
    targets: &TargetList,
    flag: bool,
    concurrency: usize,
) {
    let options = PlanOptions {
        methods: Vec::new(),
        system_preferred: Some(flag),
        source: "bench".into(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    };
    let plan = make_plan(client, targets, &options).await.unwrap();
    let plan_path = dir.join("plan.json");
    let journal_path = dir.join("journal.jsonl");
    let _ = std::fs::remove_file(&journal_path);
    plan.write(&plan_path).unwrap();
    let changes = plan.summary.change;
    let run_options = RunOptions {
        concurrency,
        ..RunOptions::default()
    };
    let (wall, cpu, server_cpu) = (
        Instant::now(),
        cpu_seconds("self"),
        cpu_seconds(emulator_pid),
    );
    let state = apply(
        client,
        &plan_path,
        &journal_path,
        false,
        &run_options,
        &mut |_| {},
    )
    .await
    .unwrap();
    let (wall, cpu, server_cpu) = (
        wall.elapsed(),
        cpu_seconds("self") - cpu,
        cpu_seconds(emulator_pid) - server_cpu,
    );
    assert_eq!(Report::for_apply(&plan, &state).verdict(), Verdict::Success);
    if flag {
        println!(
            "| {concurrency} | {changes} | {:.3} s | {:.1} µs | {:.1} µs |",
            wall.as_secs_f64(),
            cpu * 1e6 / changes as f64,
            server_cpu * 1e6 / changes as f64
        );
    }
}

async fn measure(users: usize, concurrency: &[usize]) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["serve", &users.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let pid = child.id().to_string();
    let _emulator = Emulator(child);
    let mut next = || lines.next().unwrap().unwrap();
    let (base_url, token, names) = (next(), next(), next());
    let targets = TargetList::try_from(
        names
            .split(',')
            .enumerate()
            .map(|(index, user)| Target {
                user: user.to_owned(),
                line: index + 2,
                method: None,
                system_preferred: None,
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let client = Client::builder()
        .base_url(&base_url)
        .credential(StaticToken::new(Secret::new(token)))
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("signin-prefs-bulk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "| `$batch`es in flight | users changed | apply wall time | apply CPU per user | emulator CPU per user |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for &concurrency in concurrency {
        // Every user to off (untimed), then every user to on (timed): each timed run changes all.
        run(&client, &pid, &dir, &targets, false, concurrency).await;
        run(&client, &pid, &dir, &targets, true, concurrency).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
