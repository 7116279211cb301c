//! The main job when Graph's write budget binds: `readiness` (one read of the registration report),
//! `plan --read-path auto` (the report where the budgets favour it) then `apply --verify` of the
//! release CLI against a throttling emulator, timed as whole processes and set against the floor
//! the budgets alone allow (`Budgets::floor` of readiness's and the plan's reads, then of the
//! apply's reads and writes, from full buckets).
//!
//! ```text
//! cargo build --release -p signin-prefs-cli
//! cargo bench -p signin-prefs-tests --bench throttled_migration -- \
//!     [--users 100000] [--time-scale 20] [--seed 5] [--writes-per-150s 3000] \
//!     [--peer-venv /work/peer-venv] [--two-apps] [--plan-only]
//! ```
//!
//! * `--plan-only`: no apply; `plan` of every user (the "All users" group) by the registration
//!   report, by per-user reads and by `auto`, then of a tenth of them (a group of every tenth user)
//!   by `auto` and by the report, each on a fresh emulator (full buckets), each set against its own
//!   floor (`read_path::report_floor` / `per_user_floor` of the budgets), with the way `auto` took.
//!
//! Printed for each run: the floor, the time of `readiness` and `plan` (together in the table's
//! plan column), of `apply` and of the whole job, the ratio
//! whole/floor, the 429s the emulator answered (its `/_emulator/stats`), and the users lost (no
//! outcome), failed, repeated (writes accepted beyond one per changed user) and left unchanged (the
//! emulator's state of every planned change, read through its admin API, against the plan's target).
//!
//! * `--peer-venv PATH`: the same plan applied by Microsoft's `msgraph-beta-sdk`
//!   (`bindings/python/bench/throttled_peer.py`), one PATCH per user (`single`) then `$batch`es of
//!   20 (`batch`), each on a fresh emulator with the same seed, hence the same users.
//! * `--two-apps`: a fresh emulator, the users split in two halves, each planned and applied by its
//!   own app registration (its own per-app write budget; the tenant's writes shared), both applies
//!   at once.
//!
//! Everything runs on 127.0.0.1; files go to `target/bench-throttled/`. Not a criterion bench, and
//! no timed assertion: one run is minutes of a whole program's work, measured end to end.

// A benchmark's setup checks are allowed to stop the run, with the reason.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde::Deserialize;
use signin_prefs_bulk::read_path::{LISTING_PAGE_SIZE, per_user_floor, report_floor};
use signin_prefs_client::{Budget, Budgets, Charge, Quota};
use signin_prefs_emulator::permissions;

/// The seeded tenant's "All users" group.
const ALL_USERS_GROUP: &str = "0a11c0de-0000-4000-8000-000000000001";
/// The seeded tenant's group of every tenth user (positions 0, 10, 20, …).
const EVERY_TENTH_GROUP: &str = "0a11c0de-0000-4000-8000-000000000003";
/// The second app registration of `--two-apps` (the emulator's admin API mints its tokens).
const SECOND_APP_ID: &str = "0b5e55ed-0000-4000-8000-00000000a002";
/// Admin API requests in flight when reading every changed user's state.
const ADMIN_CONCURRENCY: usize = 16;
/// A peer mode's run is stopped after this long (the script's own default).
const PEER_TIMEOUT_SECONDS: u32 = 600;

const USAGE: &str = "options: [--users N] [--time-scale X] [--seed S] [--writes-per-150s W] \
                     [--peer-venv PATH] [--two-apps] [--plan-only]";

/// The command line.
#[derive(Debug)]
struct Options {
    users: usize,
    time_scale: f64,
    seed: u64,
    writes_per_150s: Option<u32>,
    peer_venv: Option<PathBuf>,
    two_apps: bool,
    plan_only: bool,
}

impl Options {
    fn parse() -> Self {
        let mut options = Options {
            users: 100_000,
            time_scale: 20.0,
            seed: 5,
            writes_per_150s: None,
            peer_venv: None,
            two_apps: false,
            plan_only: false,
        };
        let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .unwrap_or_else(|| panic!("{flag} needs a value; {USAGE}"))
            };
            match flag.as_str() {
                "--users" => options.users = parse_number(&flag, &value()),
                "--time-scale" => options.time_scale = parse_number(&flag, &value()),
                "--seed" => options.seed = parse_number(&flag, &value()),
                "--writes-per-150s" => {
                    options.writes_per_150s = Some(parse_number(&flag, &value()));
                }
                "--peer-venv" => options.peer_venv = Some(PathBuf::from(value())),
                "--two-apps" => options.two_apps = true,
                "--plan-only" => options.plan_only = true,
                other => panic!("unknown option {other:?}; {USAGE}"),
            }
        }
        assert!(
            options.time_scale > 0.0,
            "--time-scale must be above 0 (the emulated clock must run)"
        );
        options
    }
}

fn parse_number<T: std::str::FromStr>(flag: &str, text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("{flag}: {text:?} is not a valid number; {USAGE}"))
}

/// Where things are: the workspace, the release CLI, the peer script, the bench's files.
struct Paths {
    cli: PathBuf,
    peer_script: PathBuf,
    work: PathBuf,
}

impl Paths {
    fn find() -> Self {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the tests crate lies inside the workspace")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
        let cli = target.join("release/signin-prefs");
        assert!(
            cli.is_file(),
            "{} is missing: build it first with `cargo build --release -p signin-prefs-cli`",
            cli.display()
        );
        Paths {
            cli,
            peer_script: workspace.join("bindings/python/bench/throttled_peer.py"),
            work: target.join("bench-throttled"),
        }
    }

    /// A fresh directory for one run's files.
    fn run_dir(&self, name: &str) -> PathBuf {
        let dir = self.work.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .unwrap_or_else(|error| panic!("cannot empty {}: {error}", dir.display()));
        }
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        dir
    }
}

/// A child process killed and reaped when dropped, on every path, panics included.
struct ChildGuard {
    child: Child,
    name: String,
}

impl ChildGuard {
    fn spawn(command: &mut Command, name: &str) -> Self {
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        ChildGuard {
            child,
            name: name.to_owned(),
        }
    }

    fn wait(&mut self) -> ExitStatus {
        self.child
            .wait()
            .unwrap_or_else(|error| panic!("cannot wait for {}: {error}", self.name))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Once reaped, std neither signals nor waits again.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to its end: its wall time and exit status.
fn run_timed(command: &mut Command, name: &str) -> (Duration, ExitStatus) {
    let started = Instant::now();
    let status = ChildGuard::spawn(command, name).wait();
    (started.elapsed(), status)
}

fn create_file(path: &Path) -> File {
    File::create(path).unwrap_or_else(|error| panic!("cannot create {}: {error}", path.display()))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("{} is not what was expected: {error}", path.display()))
}

/// The last lines of a log, for a failure message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let skipped = lines.len().saturating_sub(15);
    lines
        .into_iter()
        .skip(skipped)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `signin-prefs emulator` in a process of its own, and what it printed.
struct Emulator {
    /// Held so that dropping the emulator stops its process.
    _process: ChildGuard,
    base_url: String,
    token_url: String,
    client_id: String,
    client_secret: String,
    /// The budgets on the real clock, as `SIGNIN_PREFS_*_BUDGET` settings for the CLI.
    budget_settings: Vec<(String, String)>,
    budgets: Budgets,
    startup: Duration,
}

impl Emulator {
    fn start(paths: &Paths, options: &Options, log: &Path) -> Self {
        let mut command = Command::new(&paths.cli);
        command
            .args(["emulator", "--port", "0", "--fractional-retry-after"])
            .args(["--users", &options.users.to_string()])
            .args(["--seed", &options.seed.to_string()])
            .args(["--time-scale", &options.time_scale.to_string()])
            .env_remove("SIGNIN_PREFS_EMULATOR_CLIENT_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(create_file(log));
        if let Some(writes) = options.writes_per_150s {
            command.args(["--writes-per-150s", &writes.to_string()]);
        }
        let started = Instant::now();
        let mut process = ChildGuard::spawn(&mut command, "the emulator");
        let stdout = process
            .child
            .stdout
            .take()
            .expect("the emulator's stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut next_line = || match lines.next() {
            Some(Ok(line)) => line,
            _ => panic!(
                "the emulator stopped before printing its settings; its log ({}):\n{}",
                log.display(),
                log_tail(log)
            ),
        };
        let base_url = next_line();
        let (mut token_url, mut client_id, mut client_secret) = (None, None, None);
        let mut budget_settings = Vec::new();
        let mut budgets = Budgets::documented();
        // The four budget lines come last.
        while budget_settings.len() < 4 {
            let line = next_line();
            let Some((label, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim().to_owned();
            match label {
                "token" => token_url = Some(value),
                "client id" => client_id = Some(value),
                "secret" => client_secret = Some(value),
                "budget" => {
                    let (variable, budget) = value
                        .split_once('=')
                        .unwrap_or_else(|| panic!("budget line without `=`: {line}"));
                    let quota = match variable {
                        "SIGNIN_PREFS_WRITE_BUDGET" => Quota::AppWrites,
                        "SIGNIN_PREFS_TENANT_WRITE_BUDGET" => Quota::TenantWrites,
                        "SIGNIN_PREFS_READ_BUDGET" => Quota::ResourceUnits,
                        "SIGNIN_PREFS_REPORTS_BUDGET" => Quota::Reports,
                        other => panic!("the emulator printed an unknown budget {other}"),
                    };
                    let parsed: Option<Budget> = (budget != "unknown").then(|| {
                        budget
                            .parse()
                            .unwrap_or_else(|error| panic!("{variable}: {error}"))
                    });
                    budgets = budgets.with(quota, parsed);
                    budget_settings.push((variable.to_owned(), budget.to_owned()));
                }
                _ => {}
            }
        }
        let missing = |what: &str| panic!("the emulator printed no {what} line");
        Emulator {
            _process: process,
            base_url,
            token_url: token_url.unwrap_or_else(|| missing("token")),
            client_id: client_id.unwrap_or_else(|| missing("client id")),
            client_secret: client_secret.unwrap_or_else(|| missing("secret")),
            budget_settings,
            budgets,
            startup: started.elapsed(),
        }
    }

    fn admin_url(&self, path: &str) -> String {
        format!("{}/_emulator/{path}", self.base_url)
    }

    /// The admin API's URL of one user, the key percent-encoded (UPNs hold `#`, `'` and `ü`).
    fn user_url(&self, key: &str) -> String {
        let mut url = url::Url::parse(&self.admin_url("users")).expect("the base URL is a URL");
        url.path_segments_mut()
            .expect("an http URL has a path")
            .push(key);
        url.to_string()
    }
}

/// What the emulator's throttling model let through and refused (`GET /_emulator/stats`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Traffic {
    reads: u64,
    writes: u64,
    throttled_reads: u64,
    throttled_writes: u64,
    /// Report pages let through (also in `reads`).
    #[serde(default)]
    report_reads: u64,
    /// Report pages refused (also in `throttled_reads`).
    #[serde(default)]
    throttled_report_reads: u64,
}

impl Traffic {
    fn since(self, before: Traffic) -> Traffic {
        Traffic {
            reads: self.reads - before.reads,
            writes: self.writes - before.writes,
            throttled_reads: self.throttled_reads - before.throttled_reads,
            throttled_writes: self.throttled_writes - before.throttled_writes,
            report_reads: self.report_reads - before.report_reads,
            throttled_report_reads: self.throttled_report_reads - before.throttled_report_reads,
        }
    }

    fn throttled(self) -> u64 {
        self.throttled_reads + self.throttled_writes
    }

    fn requests(self) -> u64 {
        self.reads + self.writes + self.throttled()
    }

    fn describe_429s(self) -> String {
        format!(
            "{} ({:.2} % of {} requests; {} reads, {} writes)",
            self.throttled(),
            percent(self.throttled(), self.requests()),
            self.requests(),
            self.throttled_reads,
            self.throttled_writes
        )
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// HTTP to the emulator's token endpoint and admin API (never to Graph routes: those are the
/// measured programs' business).
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    fn new() -> Self {
        Http {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the admin requests"),
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
        }
    }

    fn send(&self, request: reqwest::RequestBuilder, what: &str) -> serde_json::Value {
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .unwrap_or_else(|error| panic!("{what}: {error}"));
            let status = response.status();
            let body = response
                .bytes()
                .await
                .unwrap_or_else(|error| panic!("{what}: {error}"));
            assert!(
                status.is_success(),
                "{what}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            );
            serde_json::from_slice(&body).unwrap_or_else(|error| panic!("{what}: {error}"))
        })
    }

    fn stats(&self, emulator: &Emulator) -> Traffic {
        let stats = self.send(
            self.client.get(emulator.admin_url("stats")),
            "GET /_emulator/stats",
        );
        serde_json::from_value(stats).expect("the emulator's stats have four counters")
    }

    /// A token of the emulator's default app, the way a real admin gets one: client credentials.
    fn client_credentials_token(&self, emulator: &Emulator) -> String {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &emulator.client_id)
            .append_pair("client_secret", &emulator.client_secret)
            .append_pair("scope", "https://graph.microsoft.com/.default")
            .finish();
        let request = self
            .client
            .post(&emulator.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        access_token(&self.send(request, "the client-credentials token request"))
    }

    /// A token for another app id, with the default app's roles (`POST /_emulator/tokens`; the
    /// emulator mints for any app id, and its throttling buckets are kept per app id).
    fn app_token(&self, emulator: &Emulator, app_id: &str) -> String {
        let body = serde_json::json!({
            "roles": [permissions::READ_WRITE_ALL, permissions::USER_READ_ALL],
            "appId": app_id,
        });
        let request = self
            .client
            .post(emulator.admin_url("tokens"))
            .header("content-type", "application/json")
            .body(body.to_string());
        access_token(&self.send(request, "POST /_emulator/tokens"))
    }

    /// How many of `changes` the emulator's state does not show at their target values.
    fn left_unchanged(&self, emulator: &Emulator, changes: &[PlannedChange]) -> u64 {
        self.runtime.block_on(async {
            let held: Vec<bool> = futures_util::stream::iter(changes)
                .map(|change| async move {
                    let url = emulator.user_url(&change.user);
                    let what = format!("GET /_emulator/users/{}", change.user);
                    let response = self
                        .client
                        .get(&url)
                        .send()
                        .await
                        .unwrap_or_else(|error| panic!("{what}: {error}"));
                    assert!(
                        response.status().is_success(),
                        "{what}: HTTP {}",
                        response.status()
                    );
                    let body = response
                        .bytes()
                        .await
                        .unwrap_or_else(|error| panic!("{what}: {error}"));
                    let state: UserState = serde_json::from_slice(&body)
                        .unwrap_or_else(|error| panic!("{what}: {error}"));
                    change.is_held_by(&state)
                })
                .buffer_unordered(ADMIN_CONCURRENCY)
                .collect()
                .await;
            held.iter().filter(|held| !**held).count() as u64
        })
    }
}

fn access_token(answer: &serde_json::Value) -> String {
    answer
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .expect("the token answer has an access_token")
        .to_owned()
}

/// A user's state as the admin API shows it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserState {
    user_preferred_method_for_secondary_authentication: Option<String>,
    is_system_preferred_authentication_method_enabled: Option<bool>,
}

/// The parts of a plan file read here.
#[derive(Debug, Deserialize)]
struct PlanFile {
    entries: Vec<PlanEntry>,
}

#[derive(Debug, Deserialize)]
struct PlanEntry {
    user: String,
    action: String,
    target: Option<TargetValues>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetValues {
    method: Option<String>,
    system_preferred: Option<bool>,
}

/// A planned change: the user and the values it should end with.
#[derive(Debug, Clone)]
struct PlannedChange {
    user: String,
    target: TargetValues,
}

impl PlannedChange {
    fn is_held_by(&self, state: &UserState) -> bool {
        let method_held = self.target.method.is_none()
            || state.user_preferred_method_for_secondary_authentication == self.target.method;
        let flag_held = self.target.system_preferred.is_none()
            || state.is_system_preferred_authentication_method_enabled
                == self.target.system_preferred;
        method_held && flag_held
    }
}

impl PlanFile {
    fn changes(&self) -> Vec<PlannedChange> {
        self.entries
            .iter()
            .filter(|entry| entry.action == "change")
            .map(|entry| PlannedChange {
                user: entry.user.clone(),
                target: entry
                    .target
                    .clone()
                    .expect("a planned change has target values"),
            })
            .collect()
    }
}

/// The parts of `signin-prefs report --output json` read here.
#[derive(Debug, Deserialize)]
struct ReportFile {
    counts: BTreeMap<String, u64>,
    finished: bool,
    rows: Vec<ReportRow>,
}

#[derive(Debug, Deserialize)]
struct ReportRow {
    verified: Option<bool>,
}

impl ReportFile {
    fn count(&self, outcome: &str) -> u64 {
        self.counts.get(outcome).copied().unwrap_or(0)
    }
}

/// What became of the planned users.
#[derive(Debug, Clone, Copy, Default)]
struct UserOutcomes {
    /// Outcome `failed` in the report.
    failed: u64,
    /// Planned changes without a final outcome (not applied, recovered nor failed).
    lost: Option<u64>,
    /// Writes accepted beyond one per user now at its target (`None`: not separable per app).
    repeated: Option<u64>,
    /// Planned changes whose state in the emulator misses a target value.
    left_unchanged: u64,
}

impl UserOutcomes {
    /// Whether every planned user ended at its target: else the run's time is not the job's.
    fn is_complete(&self) -> bool {
        self.left_unchanged == 0 && self.lost.unwrap_or(0) == 0
    }
}

/// The release CLI, pointed at one emulator with one token.
struct CliRun<'a> {
    paths: &'a Paths,
    emulator: &'a Emulator,
    token: String,
    dir: PathBuf,
}

impl CliRun<'_> {
    fn command(&self, log_name: &str) -> Command {
        let mut command = Command::new(&self.paths.cli);
        for (variable, _) in std::env::vars_os() {
            if variable.to_string_lossy().starts_with("SIGNIN_PREFS_") {
                command.env_remove(variable);
            }
        }
        command
            .current_dir(&self.dir)
            .env("SIGNIN_PREFS_BASE_URL", &self.emulator.base_url)
            .env("SIGNIN_PREFS_TOKEN", &self.token)
            .envs(self.emulator.budget_settings.iter().cloned())
            .stdin(Stdio::null())
            .stdout(create_file(&self.dir.join(format!("{log_name}.out"))))
            .stderr(create_file(&self.dir.join(format!("{log_name}.err"))));
        command
    }

    fn check(&self, status: ExitStatus, log_name: &str, allowed: &[i32]) -> i32 {
        let code = status.code().unwrap_or(-1);
        assert!(
            allowed.contains(&code),
            "`signin-prefs {log_name}` exited with {status}; its stderr:\n{}",
            log_tail(&self.dir.join(format!("{log_name}.err")))
        );
        code
    }

    /// `readiness` of the tenant (one read of the registration report); its time.
    fn readiness(&self) -> Duration {
        let mut command = self.command("readiness");
        command.args(["readiness", "--output", "json"]);
        let (time, status) = run_timed(&mut command, "signin-prefs readiness");
        self.check(status, "readiness", &[0]);
        time
    }

    /// `plan` of `source` (`--group ID` or `--targets FILE`), its state read by `read_path`; its
    /// time and the plan.
    fn plan(&self, source: [&str; 2], read_path: &str) -> (Duration, PlanFile) {
        let mut command = self.command("plan");
        command
            .arg("plan")
            .args(source)
            .args(["--method", "push,oath", "--system-preferred", "on"])
            .args(["--read-path", read_path])
            .args(["--out", "plan.json", "--output", "json"]);
        let (time, status) = run_timed(&mut command, "signin-prefs plan");
        self.check(status, "plan", &[0]);
        (time, read_json(&self.dir.join("plan.json")))
    }

    /// The way `plan` said it read users' state (its stderr line).
    fn read_path_taken(&self) -> String {
        let stderr = std::fs::read_to_string(self.dir.join("plan.err")).unwrap_or_default();
        stderr
            .lines()
            .find(|line| line.starts_with("reading users' state by"))
            .unwrap_or("(not said)")
            .to_owned()
    }

    fn apply_command(&self) -> Command {
        let mut command = self.command("apply");
        command.args(["apply", "plan.json", "--verify", "--output", "json"]);
        command
    }

    /// `report` of the apply journal.
    fn report(&self) -> ReportFile {
        let mut command = self.command("report");
        command.args(["report", "plan.json.journal.jsonl", "--output", "json"]);
        let (_, status) = run_timed(&mut command, "signin-prefs report");
        // 3: the report of a partial run.
        self.check(status, "report", &[0, 3]);
        read_json(&self.dir.join("report.out"))
    }
}

/// The least time for `charge` under `budgets`, and the quota that sets it.
fn floor_of(budgets: &Budgets, charge: &Charge) -> (Duration, Option<Quota>) {
    let binding = Quota::ALL
        .iter()
        .filter_map(|quota| Some((budgets.get(*quota)?.floor(charge.get(*quota)), *quota)))
        .max_by_key(|(floor, _)| *floor)
        .filter(|(floor, _)| !floor.is_zero())
        .map(|(_, quota)| quota);
    (budgets.floor(charge), binding)
}

fn describe_floor(floor: Duration, binding: Option<Quota>) -> String {
    match binding {
        Some(quota) => format!("{} (set by {quota})", seconds(floor)),
        None => format!("{} (no quota binds)", seconds(floor)),
    }
}

fn seconds(time: Duration) -> String {
    format!("{:.2} s", time.as_secs_f64())
}

fn ratio(time: Duration, floor: Duration) -> Option<f64> {
    (!floor.is_zero()).then(|| time.as_secs_f64() / floor.as_secs_f64())
}

/// One line of the final table.
struct Row {
    run: String,
    changes: u64,
    floor: Duration,
    plan: Option<Duration>,
    apply: Duration,
    whole: Duration,
    traffic: Option<Traffic>,
    outcomes: UserOutcomes,
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| run | changes | floor | plan | apply | whole | whole/floor | 429s | failed | lost | repeated | left unchanged |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    for row in rows {
        let mut line = String::new();
        let _ = write!(
            line,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.run,
            row.changes,
            seconds(row.floor),
            or_dash(row.plan.map(seconds)),
            seconds(row.apply),
            seconds(row.whole),
            or_dash(ratio(row.whole, row.floor).map(|ratio| format!(
                "{ratio:.3}{}",
                if row.outcomes.is_complete() {
                    ""
                } else {
                    " (incomplete)"
                }
            ))),
            or_dash(row.traffic.map(|traffic| format!(
                "{} ({:.2} %)",
                traffic.throttled(),
                percent(traffic.throttled(), traffic.requests())
            ))),
            row.outcomes.failed,
            or_dash(row.outcomes.lost.map(|lost| lost.to_string())),
            or_dash(row.outcomes.repeated.map(|repeated| repeated.to_string())),
            row.outcomes.left_unchanged,
        );
        println!("{line}");
    }
}

/// The outcomes the report and the emulator's state give for one apply.
fn outcomes_of(
    report: &ReportFile,
    changes: &[PlannedChange],
    left_unchanged: u64,
    writes_accepted: Option<u64>,
) -> UserOutcomes {
    let planned = changes.len() as u64;
    let settled = report.count("applied") + report.count("recovered") + report.count("failed");
    UserOutcomes {
        failed: report.count("failed"),
        lost: Some(planned.saturating_sub(settled)),
        repeated: writes_accepted.map(|writes| writes.saturating_sub(planned - left_unchanged)),
        left_unchanged,
    }
}

fn print_outcomes(report: &ReportFile, outcomes: &UserOutcomes) {
    let verify_failed = report
        .rows
        .iter()
        .filter(|row| row.verified == Some(false))
        .count();
    println!(
        "  report: {:?}, finished {}, read back wrong {verify_failed}",
        report.counts, report.finished
    );
    println!(
        "  users: failed {}, lost {}, repeated {}, left unchanged {}",
        outcomes.failed,
        outcomes
            .lost
            .map_or("—".to_owned(), |lost| lost.to_string()),
        outcomes
            .repeated
            .map_or("—".to_owned(), |repeated| repeated.to_string()),
        outcomes.left_unchanged
    );
}

/// The main job on a fresh emulator: plan, then apply with verification.
struct MainJob {
    dir: PathBuf,
    plan: PlanFile,
    changes: Vec<PlannedChange>,
    apply_time: Duration,
    row: Row,
}

fn main_job(paths: &Paths, options: &Options, http: &Http) -> MainJob {
    let dir = paths.run_dir("main");
    let emulator = Emulator::start(paths, options, &dir.join("emulator.log"));
    println!(
        "emulator: {} users, seed {}, time scale {}, started in {}; budgets on the real clock: {}",
        options.users,
        options.seed,
        options.time_scale,
        seconds(emulator.startup),
        emulator
            .budget_settings
            .iter()
            .map(|(variable, budget)| format!("{variable}={budget}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let run = CliRun {
        paths,
        emulator: &emulator,
        token: http.client_credentials_token(&emulator),
        dir: dir.clone(),
    };
    let before_readiness = http.stats(&emulator);
    let job_started = Instant::now();
    // The job as an administrator runs it: readiness first, then the plan and the apply.
    let readiness_time = run.readiness();
    let before_plan = http.stats(&emulator);
    let readiness_traffic = before_plan.since(before_readiness);
    let (plan_time, plan) = run.plan(["--group", ALL_USERS_GROUP], "auto");
    println!("  plan: {}", run.read_path_taken());
    let after_plan = http.stats(&emulator);
    let (apply_time, apply_status) = run_timed(&mut run.apply_command(), "signin-prefs apply");
    let whole_time = job_started.elapsed();
    let after_apply = http.stats(&emulator);
    let apply_code = run.check(apply_status, "apply", &[0, 3]);

    let changes = plan.changes();
    let planned = changes.len() as u64;
    let plan_traffic = after_plan.since(before_plan);
    let apply_traffic = after_apply.since(after_plan);
    let job_traffic = after_apply.since(before_readiness);
    // Readiness's and the plan's reads (report pages on their own budget, the rest on the
    // resource units) come before any write; then one write and one read-back per change.
    let read_traffic = after_plan.since(before_readiness);
    let plan_charge = Charge::reads_and_writes(read_traffic.reads - read_traffic.report_reads, 0)
        .plus(Quota::Reports, read_traffic.report_reads);
    let (plan_floor, _) = floor_of(&emulator.budgets, &plan_charge);
    let charge = Charge::reads_and_writes(planned, planned);
    let (apply_floor, binding) = floor_of(&emulator.budgets, &charge);
    let floor = plan_floor + apply_floor;
    let report = run.report();
    let left_unchanged = http.left_unchanged(&emulator, &changes);
    let outcomes = outcomes_of(
        &report,
        &changes,
        left_unchanged,
        Some(apply_traffic.writes),
    );

    println!(
        "main job: {} users planned, {planned} changes ({:.1} %), {} report pages for readiness, \
         {} reads for the plan ({} report pages), {} for the apply; floor {} = readiness and \
         plan {} + apply {}",
        plan.entries.len(),
        percent(planned, options.users as u64),
        readiness_traffic.report_reads,
        plan_traffic.reads,
        plan_traffic.report_reads,
        apply_traffic.reads,
        seconds(floor),
        seconds(plan_floor),
        describe_floor(apply_floor, binding)
    );
    println!(
        "  readiness {}, plan {}, apply {} (exit {apply_code}), whole {}, whole/floor {} (apply/floor {})",
        seconds(readiness_time),
        seconds(plan_time),
        seconds(apply_time),
        seconds(whole_time),
        ratio(whole_time, floor).map_or("—".to_owned(), |ratio| format!("{ratio:.3}")),
        ratio(apply_time, apply_floor).map_or("—".to_owned(), |ratio| format!("{ratio:.3}"))
    );
    println!(
        "  429s: {} (readiness {}, plan {}, apply {}); writes accepted {}",
        job_traffic.describe_429s(),
        readiness_traffic.throttled(),
        plan_traffic.throttled(),
        apply_traffic.throttled(),
        apply_traffic.writes
    );
    print_outcomes(&report, &outcomes);
    MainJob {
        dir,
        plan,
        changes,
        apply_time,
        row: Row {
            run: "signin-prefs readiness + plan + apply --verify".to_owned(),
            changes: planned,
            floor,
            plan: Some(readiness_time + plan_time),
            apply: apply_time,
            whole: whole_time,
            traffic: Some(job_traffic),
            outcomes,
        },
    }
}

/// The peer's result for one mode (one object of `throttled_peer.py --out`).
#[derive(Debug, Deserialize)]
struct PeerResult {
    users: u64,
    elapsed_s: f64,
    failed: u64,
    failed_statuses: BTreeMap<String, u64>,
    unfinished: u64,
    timed_out: bool,
    http_429: u64,
    writes_accepted: u64,
    left_unchanged: u64,
}

/// `throttled_peer.py --mode MODE` with our plan on a fresh emulator.
fn peer_run(
    paths: &Paths,
    options: &Options,
    http: &Http,
    venv: &Path,
    main: &MainJob,
    mode: &str,
) -> Row {
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "{} is missing: make the venv as throttled_peer.py's docstring says (cargo runs benches \
         from tests/, so give --peer-venv as an absolute path)",
        std::path::absolute(&python)
            .unwrap_or_else(|_| python.clone())
            .display()
    );
    let dir = paths.run_dir(&format!("peer-{mode}"));
    let emulator = Emulator::start(paths, options, &dir.join("emulator.log"));
    let token = http.client_credentials_token(&emulator);
    let plan_path = main.dir.join("plan.json");
    let out = dir.join("result.json");
    let mut command = Command::new(&python);
    command
        .arg(&paths.peer_script)
        .args(["--base-url", &emulator.base_url, "--token", &token])
        .arg("--plan")
        .arg(&plan_path)
        .args([
            "--mode",
            mode,
            "--timeout",
            &PEER_TIMEOUT_SECONDS.to_string(),
        ])
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(create_file(&dir.join("peer.out")))
        .stderr(create_file(&dir.join("peer.err")));
    let before = http.stats(&emulator);
    let (process_time, status) = run_timed(&mut command, "throttled_peer.py");
    let traffic = http.stats(&emulator).since(before);
    assert!(
        status.success(),
        "throttled_peer.py --mode {mode} exited with {status}; its stderr:\n{}",
        log_tail(&dir.join("peer.err"))
    );
    let results: Vec<PeerResult> = read_json(&out);
    let result = results
        .first()
        .expect("throttled_peer.py wrote one result per mode");
    let elapsed = Duration::from_secs_f64(result.elapsed_s);
    let (floor, binding) = floor_of(
        &emulator.budgets,
        &Charge::reads_and_writes(0, result.users),
    );
    let outcomes = UserOutcomes {
        failed: result.failed,
        lost: Some(result.unfinished),
        repeated: Some(
            result
                .writes_accepted
                .saturating_sub(result.users - result.left_unchanged),
        ),
        left_unchanged: result.left_unchanged,
    };
    println!(
        "peer msgraph-beta-sdk --mode {mode}: {} changes, floor {}",
        result.users,
        describe_floor(floor, binding)
    );
    println!(
        "  run {} (process {}, with Python's start, resetting the users and the check), \
         run/floor {}, peer/ours (apply) {:.2}x{}",
        seconds(elapsed),
        seconds(process_time),
        ratio(elapsed, floor).map_or("—".to_owned(), |ratio| format!("{ratio:.3}")),
        elapsed.as_secs_f64() / main.apply_time.as_secs_f64(),
        if result.timed_out {
            " — stopped by its timeout"
        } else if !outcomes.is_complete() {
            " — incomplete: users left unchanged, so not the job's time"
        } else {
            ""
        }
    );
    println!(
        "  429s: {} (the script counted {}); writes accepted {}",
        traffic.describe_429s(),
        result.http_429,
        result.writes_accepted
    );
    println!(
        "  users: failed {} {:?}, unfinished {}, repeated {}, left unchanged {}",
        result.failed,
        result.failed_statuses,
        result.unfinished,
        outcomes.repeated.unwrap_or(0),
        result.left_unchanged
    );
    if result.users != main.changes.len() as u64 {
        println!(
            "  (the peer read {} changes from the plan, ours has {})",
            result.users,
            main.changes.len()
        );
    }
    Row {
        run: format!("msgraph-beta-sdk {mode}"),
        changes: result.users,
        floor,
        plan: None,
        apply: elapsed,
        whole: elapsed,
        traffic: Some(traffic),
        outcomes,
    }
}

/// One app's half of `--two-apps`.
struct AppHalf {
    name: &'static str,
    dir: PathBuf,
    token: String,
    plan_time: Duration,
    plan_reads: u64,
    changes: Vec<PlannedChange>,
}

/// Two apps, each planning then applying half the users, the applies at once.
fn two_apps(paths: &Paths, options: &Options, http: &Http, main: &MainJob) -> Vec<Row> {
    let root = paths.run_dir("two-apps");
    let emulator = Emulator::start(paths, options, &root.join("emulator.log"));
    let apps = [
        (
            "app A (default app)",
            "app-a",
            http.client_credentials_token(&emulator),
        ),
        (
            "app B (second app id)",
            "app-b",
            http.app_token(&emulator, SECOND_APP_ID),
        ),
    ];
    // Every user the main plan covered (the whole tenant), alternately to each app.
    let mut halves = Vec::new();
    for (index, (name, dir_name, token)) in apps.into_iter().enumerate() {
        let dir = root.join(dir_name);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        let users: Vec<&str> = main
            .plan
            .entries
            .iter()
            .skip(index)
            .step_by(2)
            .map(|entry| entry.user.as_str())
            .collect();
        let targets = dir.join("users.json");
        std::fs::write(
            &targets,
            serde_json::to_string(&users).expect("user keys serialize"),
        )
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", targets.display()));
        let run = CliRun {
            paths,
            emulator: &emulator,
            token,
            dir: dir.clone(),
        };
        // The plans one after the other, so the stats tell each one's reads apart.
        let before = http.stats(&emulator);
        let (plan_time, plan) = run.plan(["--targets", "users.json"], "report");
        let plan_reads = http.stats(&emulator).since(before).reads;
        halves.push(AppHalf {
            name,
            dir,
            token: run.token,
            plan_time,
            plan_reads,
            changes: plan.changes(),
        });
    }

    let before = http.stats(&emulator);
    let started = Instant::now();
    let apply_times: Vec<(Duration, ExitStatus)> = std::thread::scope(|scope| {
        let workers: Vec<_> = halves
            .iter()
            .map(|half| {
                let run = CliRun {
                    paths,
                    emulator: &emulator,
                    token: half.token.clone(),
                    dir: half.dir.clone(),
                };
                let mut command = run.apply_command();
                let mut process = ChildGuard::spawn(&mut command, "signin-prefs apply");
                scope.spawn(move || {
                    let status = process.wait();
                    (started.elapsed(), status)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("the waiting thread does not panic"))
            .collect()
    });
    let span = started.elapsed();
    let traffic = http.stats(&emulator).since(before);

    let mut rows = Vec::new();
    let mut total_writes = 0u64;
    let mut total_left = 0u64;
    let mut pair_floor = Duration::ZERO;
    let mut pair_outcomes = UserOutcomes::default();
    for (half, (apply_time, status)) in halves.iter().zip(apply_times) {
        let run = CliRun {
            paths,
            emulator: &emulator,
            token: half.token.clone(),
            dir: half.dir.clone(),
        };
        let code = run.check(status, "apply", &[0, 3]);
        let planned = half.changes.len() as u64;
        let charge = Charge::reads_and_writes(half.plan_reads + planned, planned);
        let (floor, binding) = floor_of(&emulator.budgets, &charge);
        let report = run.report();
        let left_unchanged = http.left_unchanged(&emulator, &half.changes);
        let outcomes = outcomes_of(&report, &half.changes, left_unchanged, None);
        let whole = half.plan_time + apply_time;
        println!(
            "{}: {planned} changes, floor {}; plan {}, apply {} (exit {code}), plan + apply {}, \
             ratio {}",
            half.name,
            describe_floor(floor, binding),
            seconds(half.plan_time),
            seconds(apply_time),
            seconds(whole),
            ratio(whole, floor).map_or("—".to_owned(), |ratio| format!("{ratio:.3}"))
        );
        print_outcomes(&report, &outcomes);
        total_writes += planned;
        total_left += left_unchanged;
        pair_floor = pair_floor.max(floor);
        pair_outcomes.failed += outcomes.failed;
        pair_outcomes.lost = Some(pair_outcomes.lost.unwrap_or(0) + outcomes.lost.unwrap_or(0));
        rows.push(Row {
            run: format!("two apps: {}", half.name),
            changes: planned,
            floor,
            plan: Some(half.plan_time),
            apply: apply_time,
            whole,
            traffic: None,
            outcomes,
        });
    }
    // The tenant's write budget is shared: both halves' writes draw on one bucket.
    if let Some(tenant) = emulator.budgets.get(Quota::TenantWrites) {
        let tenant_floor = tenant.floor(total_writes);
        if tenant_floor > pair_floor {
            println!(
                "  the tenant's shared write budget binds the pair ({} for {total_writes} \
                 writes): neither app can reach its own floor while the other runs",
                seconds(tenant_floor)
            );
            pair_floor = tenant_floor;
        }
    }
    pair_outcomes.left_unchanged = total_left;
    pair_outcomes.repeated = Some(traffic.writes.saturating_sub(total_writes - total_left));
    println!(
        "two apps, both applies: {} from the first start to the last end, floor of the pair {}; \
         429s {}; repeated {}",
        seconds(span),
        seconds(pair_floor),
        traffic.describe_429s(),
        pair_outcomes.repeated.unwrap_or(0)
    );
    rows.push(Row {
        run: "two apps: both applies at once".to_owned(),
        changes: total_writes,
        floor: pair_floor,
        plan: None,
        apply: span,
        whole: span,
        traffic: Some(traffic),
        outcomes: pair_outcomes,
    });
    rows
}

/// One `plan` of `--plan-only`: the job, the way asked for, and what came of it.
struct PlanRun {
    run: String,
    targets: u64,
    floor: Duration,
    time: Duration,
    traffic: Traffic,
    taken: String,
    errors: usize,
}

/// `plan` of `group` by `read_path` on a fresh emulator: its time against the floor of the way it
/// took (the lower of the two for `auto`, which is what it is held to).
fn plan_run(
    paths: &Paths,
    options: &Options,
    http: &Http,
    group: &str,
    label: &str,
    read_path: &str,
) -> PlanRun {
    let dir = paths.run_dir(&format!("plan-{label}-{read_path}"));
    let emulator = Emulator::start(paths, options, &dir.join("emulator.log"));
    let run = CliRun {
        paths,
        emulator: &emulator,
        token: http.client_credentials_token(&emulator),
        dir: dir.clone(),
    };
    let before = http.stats(&emulator);
    let (time, plan) = run.plan(["--group", group], read_path);
    let traffic = http.stats(&emulator).since(before);
    let targets = plan.entries.len() as u64;
    let tenant = options.users as u64;
    let listing_pages = targets.div_ceil(LISTING_PAGE_SIZE);
    let budgets = &emulator.budgets;
    let report = report_floor(budgets, tenant, targets, listing_pages);
    let per_user = per_user_floor(budgets, targets, listing_pages);
    let taken = run.read_path_taken();
    let floor = if taken.contains("by the registration report") {
        report
    } else {
        per_user
    };
    let errors = plan
        .entries
        .iter()
        .filter(|entry| entry.action == "error")
        .count();
    println!(
        "  {label}, --read-path {read_path}: {targets} targets, floors report {} / per user {}; \
         {} ({}), 429s {} ({} of {} report pages); {taken}",
        seconds(report),
        seconds(per_user),
        seconds(time),
        ratio(time, floor).map_or("—".to_owned(), |ratio| format!("{ratio:.3} of its floor")),
        traffic.throttled(),
        traffic.throttled_report_reads,
        traffic.report_reads + traffic.throttled_report_reads,
    );
    PlanRun {
        run: format!("{label}, `--read-path {read_path}`"),
        targets,
        floor,
        time,
        traffic,
        taken,
        errors,
    }
}

/// `--plan-only`: the read paths of `plan` against their floors, and the way `auto` takes.
fn plan_only(paths: &Paths, options: &Options, http: &Http) {
    let mut runs = Vec::new();
    for read_path in ["report", "per-user", "auto"] {
        runs.push(plan_run(
            paths,
            options,
            http,
            ALL_USERS_GROUP,
            "every user",
            read_path,
        ));
    }
    for read_path in ["auto", "report"] {
        runs.push(plan_run(
            paths,
            options,
            http,
            EVERY_TENTH_GROUP,
            "a tenth of them",
            read_path,
        ));
    }
    println!();
    println!("| run | targets | floor | time | time/floor | 429s | errors | way taken |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for run in &runs {
        println!(
            "| {} | {} | {} | {} | {} | {} of {} requests ({} report pages) | {} | {} |",
            run.run,
            run.targets,
            seconds(run.floor),
            seconds(run.time),
            ratio(run.time, run.floor).map_or("—".to_owned(), |ratio| format!("{ratio:.3}")),
            run.traffic.throttled(),
            run.traffic.requests(),
            run.traffic.throttled_report_reads,
            run.errors,
            run.taken
                .trim_start_matches("reading users' state by ")
                .split(':')
                .next()
                .unwrap_or_default(),
        );
    }
}

fn main() {
    let options = Options::parse();
    let paths = Paths::find();
    let http = Http::new();
    if options.plan_only {
        println!(
            "plan read paths: {} users, time scale {}, seed {}",
            options.users, options.time_scale, options.seed
        );
        plan_only(&paths, &options, &http);
        return;
    }
    println!(
        "throttled migration: {} users, time scale {}, seed {}, writes per 150 s per app {}",
        options.users,
        options.time_scale,
        options.seed,
        options
            .writes_per_150s
            .map_or("3000 (default)".to_owned(), |writes| writes.to_string())
    );
    let main_job = main_job(&paths, &options, &http);
    let mut rows = Vec::new();
    if let Some(venv) = &options.peer_venv {
        for mode in ["single", "batch"] {
            rows.push(peer_run(&paths, &options, &http, venv, &main_job, mode));
        }
    }
    if options.two_apps {
        rows.extend(two_apps(&paths, &options, &http, &main_job));
    }
    rows.insert(0, main_job.row);
    print_table(&rows);
}
