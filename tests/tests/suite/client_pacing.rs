//! Shared pacing: a 429 seen by one task pauses every task of the tenant and app, and many workers
//! hold the allowed rate with few 429s instead of a retry storm.

use std::time::Duration;

use signin_prefs_client::{Client, PacingConfig, PacingSnapshot, Quota, RetryPolicy};
use signin_prefs_emulator::{Limit, RetryAfterFormat, ThrottleConfig};
use signin_prefs_request::{GetSignInPreference, Operation};

use crate::client_support::{client_for, quiet, start};

fn reads(limit: Limit) -> ThrottleConfig {
    ThrottleConfig {
        reads_per_app_tenant: limit,
        retry_after: RetryAfterFormat::Integer,
        ..ThrottleConfig::default()
    }
}

#[tokio::test]
async fn a_429_seen_by_one_task_pauses_the_others() {
    // One read per two seconds.
    let emulator = start(quiet().throttle(reads(Limit::new(1, 2)))).await;
    let users: Vec<String> = (0..3)
        .map(|index| emulator.user_at(index).unwrap().id)
        .collect();
    let client = client_for(&emulator).build().unwrap();
    let impatient = client_for(&emulator)
        .retry_policy(RetryPolicy::never())
        .shared_pacer(client.pacer().clone())
        .build()
        .unwrap();
    client.get_sign_in_preferences(&users[0]).await.unwrap();
    // The bucket is empty: this caller, who does not retry, gets the 429 and its Retry-After...
    let throttled = impatient
        .get_sign_in_preferences(&users[1])
        .await
        .unwrap_err();
    assert_eq!(throttled.status(), Some(429));
    let snapshot = client.pacer().snapshot();
    assert_eq!(snapshot.throttle_signals, 1);
    assert!(snapshot.paused_for > Duration::ZERO);
    // ...and the other client, sharing the pacer, waits it out instead of spending a request on a
    // second 429: its first attempt succeeds.
    let response = client
        .send_raw(
            &signin_prefs_request::Operation::to_request(
                &signin_prefs_request::GetSignInPreference::new(users[2].clone()),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let statuses: Vec<_> = response
        .retry_history
        .attempts()
        .iter()
        .map(|attempt| attempt.status)
        .collect();
    assert_eq!(statuses, [Some(200)]);
    assert_eq!(client.pacer().snapshot().throttle_signals, 1);
}

/// Runs `workers` tasks of `per_worker` reads each; returns how many 429s they met in all.
async fn run_workers(
    client: &Client,
    users: &[String],
    workers: usize,
    per_worker: usize,
) -> usize {
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let client = client.clone();
            let users = users.to_vec();
            tokio::spawn(async move {
                let mut throttled = 0;
                for step in 0..per_worker {
                    let user = &users[(worker * per_worker + step) % users.len()];
                    let request = GetSignInPreference::new(user.clone()).to_request().unwrap();
                    let response = client.send_raw(&request).await.unwrap();
                    throttled += response
                        .retry_history
                        .attempts()
                        .iter()
                        .filter(|attempt| attempt.status == Some(429))
                        .count();
                }
                throttled
            })
        })
        .collect();
    let mut throttled = 0;
    for task in tasks {
        throttled += task.await.unwrap();
    }
    throttled
}

/// 429s met, the pacer's snapshot, and the read rate it paced to in the end.
async fn count_429s(pacing: PacingConfig) -> (usize, PacingSnapshot, Option<f64>) {
    // 20 reads per second; 10 workers want 150 reads as fast as they can.
    let emulator = start(quiet().throttle(reads(Limit::new(20, 1)))).await;
    let users: Vec<String> = (0..50)
        .map(|index| emulator.user_at(index).unwrap().id)
        .collect();
    let client = client_for(&emulator)
        .retry_policy(RetryPolicy::default().with_max_attempts(10))
        .pacing(pacing)
        .build()
        .unwrap();
    let throttled = run_workers(&client, &users, 10, 15).await;
    let read_rate = client
        .pacer()
        .paced(Quota::ResourceUnits)
        .map(|(_, rate)| rate);
    (throttled, client.pacer().snapshot(), read_rate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_workers_hold_the_allowed_rate_with_few_429s() {
    let (paced, snapshot, read_rate) = count_429s(PacingConfig::default()).await;
    let (unpaced, _, _) = count_429s(PacingConfig::disabled()).await;
    eprintln!(
        "150 reads, 10 workers, 20 reads/s allowed: {paced} 429s paced ({snapshot:?}, reads paced to {read_rate:?}/s), {unpaced} unpaced"
    );
    assert!(paced >= 1, "the test must actually reach the limit");
    assert_eq!(paced as u64, snapshot.throttle_signals);
    // Paced, the bursts that teach the pacer the service's rate meet the limit, then hardly
    // anything; unpaced, every worker meets it again each time the bucket runs dry.
    assert!(paced * 2 <= unpaced, "paced {paced}, unpaced {unpaced}");
    // The pacer started from Graph's documented 800 reads per second and learned the 20 allowed.
    let learned = read_rate.expect("reads are paced after the 429s");
    assert!(learned < 40.0, "{learned} reads/s");
}
