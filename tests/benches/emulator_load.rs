//! Emulator throughput and server CPU per request for GET and PATCH signInPreferences, next to the
//! peer's aiohttp mock (`mock_graph.py`) under the same load generator in the same run.
//!
//! Run with `bench/emulator_vs_mock.sh` (see `BENCHMARKS.md`). The binary re-executes itself with
//! `serve` to host the emulator in a process of its own, so the server's CPU time can be read from
//! `/proc/PID/stat` apart from the load generator's. Not a criterion bench: it measures servers.

// A benchmark's setup checks are allowed to stop the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signin_prefs_emulator::{
    AuthMethod, EmulatorBuilder, ThrottleConfig, TokenRequest, permissions,
};

/// Linux's USER_HZ: /proc reports CPU time in these ticks.
const TICKS_PER_SECOND: f64 = 100.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.get(1).map(String::as_str) == Some("serve") {
        let users: usize = args
            .get(2)
            .and_then(|count| count.parse().ok())
            .unwrap_or(10_000);
        runtime.block_on(serve(users));
        return;
    }
    runtime.block_on(compare());
}

/// Hosts an emulator (throttling off) and prints its base URL, a token and eligible user ids.
async fn serve(users: usize) {
    let started = Instant::now();
    let emulator = EmulatorBuilder::new()
        .users(users)
        .seed(1)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let startup = started.elapsed();
    let token = emulator
        .mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))
        .unwrap();
    let ids: Vec<String> = (0..emulator.user_count().min(1000))
        .filter_map(|index| emulator.user_at(index))
        .filter(|user| user.state.methods.contains(AuthMethod::MobilePhone))
        .map(|user| user.id)
        .take(200)
        .collect();
    println!("{}", emulator.base_url());
    println!("{token}");
    println!("{}", ids.join(","));
    println!("{}", startup.as_millis());
    std::future::pending::<()>().await;
}

struct Server {
    name: &'static str,
    child: Child,
    base_url: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_emulator(users: usize) -> (Server, Vec<String>, u64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["serve", &users.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let base_url = next();
    let token = next();
    let ids = next().split(',').map(str::to_owned).collect();
    let startup_ms = next().parse().unwrap();
    (
        Server {
            name: "signin-prefs emulator",
            child,
            base_url,
            token,
        },
        ids,
        startup_ms,
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_mock(python: &str, peer_dir: &str) -> Server {
    let port = free_port();
    let child = Command::new(python)
        .args([
            &format!("{peer_dir}/mock_graph.py"),
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by `Server` from here on, so it is killed and waited for on every path.
    let server = Server {
        name: "peer mock_graph.py (aiohttp)",
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        token: "dummy-token".to_owned(),
    };
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..200 {
        if client
            .get(format!("{}/_mock/stats", server.base_url))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    panic!("mock_graph.py did not start");
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

#[derive(Clone, Copy, PartialEq)]
enum Operation {
    Get,
    Patch,
}

struct Measurement {
    requests_per_second: f64,
    server_cpu_us_per_request: f64,
}

async fn measure(
    server: &Server,
    ids: &Arc<Vec<String>>,
    operation: Operation,
    requests: usize,
    concurrency: usize,
) -> Measurement {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let cpu_before = cpu_ticks(server.child.id());
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let ids = Arc::clone(ids);
        let base = format!("{}/beta/users", server.base_url);
        let authorization = format!("Bearer {}", server.token);
        let share = requests / concurrency;
        workers.push(tokio::spawn(async move {
            for round in 0..share {
                let id = &ids[(worker * share + round) % ids.len()];
                let url = format!("{base}/{id}/authentication/signInPreferences");
                let request = match operation {
                    Operation::Get => client.get(url),
                    Operation::Patch => client
                        .patch(url)
                        .header("Content-Type", "application/json")
                        .body(r#"{"userPreferredMethodForSecondaryAuthentication":"sms"}"#),
                };
                let response = request
                    .header("Authorization", &authorization)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let _ = response.bytes().await.unwrap();
                assert!(status == 200 || status == 204, "unexpected status {status}");
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_seconds = (cpu_ticks(server.child.id()) - cpu_before) as f64 / TICKS_PER_SECOND;
    let done = (requests / concurrency * concurrency) as f64;
    Measurement {
        requests_per_second: done / elapsed,
        server_cpu_us_per_request: cpu_seconds * 1e6 / done,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn compare() {
    let venv = std::env::var("PEER_VENV").unwrap_or_else(|_| "/work/peer-venv".to_owned());
    let peer_dir = std::env::var("PEER_DIR")
        .unwrap_or_else(|_| "/work/shared/bench/peer-msgraph-python".to_owned());
    let requests: usize = std::env::var("EMU_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let runs: usize = std::env::var("EMU_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let concurrencies: Vec<usize> = std::env::var("EMU_CONC")
        .unwrap_or_else(|_| "1,32".to_owned())
        .split(',')
        .map(|value| value.parse().unwrap())
        .collect();
    let python = format!("{venv}/bin/python");

    let (emulator, ids, _) = start_emulator(10_000);
    let ids = Arc::new(ids);
    let mock = start_mock(&python, &peer_dir).await;
    println!(
        "requests per run: {requests}, runs: {runs} (median shown), users: 10,000 seeded, throttling off"
    );
    println!();
    println!("| operation | concurrency | server | requests/s | server CPU µs/request |");
    println!("| --- | --- | --- | --- | --- |");
    let mut ratios = Vec::new();
    for operation in [Operation::Get, Operation::Patch] {
        for &concurrency in &concurrencies {
            let mut results = Vec::new();
            for server in [&emulator, &mock] {
                // Warm-up: connections, caches, the mock's JIT-less interpreter paths.
                measure(server, &ids, operation, requests / 10, concurrency).await;
                let mut rates = Vec::new();
                let mut cpu = Vec::new();
                for _ in 0..runs {
                    let measurement = measure(server, &ids, operation, requests, concurrency).await;
                    rates.push(measurement.requests_per_second);
                    cpu.push(measurement.server_cpu_us_per_request);
                }
                let (rate, cpu) = (median(rates), median(cpu));
                let name = if operation == Operation::Get {
                    "GET"
                } else {
                    "PATCH"
                };
                println!(
                    "| {name} | {concurrency} | {} | {rate:.0} | {cpu:.1} |",
                    server.name
                );
                results.push((rate, cpu));
            }
            ratios.push((
                operation,
                concurrency,
                results[0].0 / results[1].0,
                results[1].1 / results[0].1,
            ));
        }
    }
    println!();
    println!(
        "| operation | concurrency | throughput emulator/mock | server CPU per request mock/emulator |"
    );
    println!("| --- | --- | --- | --- |");
    for (operation, concurrency, throughput, cpu) in ratios {
        let name = if operation == Operation::Get {
            "GET"
        } else {
            "PATCH"
        };
        println!("| {name} | {concurrency} | {throughput:.1}x | {cpu:.1}x |");
    }
    drop(emulator);
    drop(mock);

    let users = std::env::var("EMU_MEMORY_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let (big, _, startup_ms) = start_emulator(users);
    let rss = rss_kib(big.child.id());
    println!();
    println!(
        "memory: {users} seeded users: RSS {:.0} MiB ({:.0} bytes per user), started in {startup_ms} ms",
        rss as f64 / 1024.0,
        rss as f64 * 1024.0 / users as f64
    );
}
