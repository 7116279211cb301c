//! Emulator throttling: token buckets on the emulated clock, refused requests charged as Graph's
//! guidance says (and not, with the switch off), `Retry-After` forms, and per-item 429s inside a
//! `$batch` that itself succeeds. No assertion depends on how long anything took.

use std::time::Duration;

use serde_json::{Value, json};
use signin_prefs_emulator::{Limit, RetryAfterFormat, ThrottleConfig};

use crate::emulator_support::*;

fn limited(reads: u32, writes: u32, retry_after: RetryAfterFormat) -> ThrottleConfig {
    ThrottleConfig {
        enabled: true,
        reads_per_app_tenant: Limit::new(reads, 10),
        writes_per_app_tenant: Limit::new(writes, 150),
        writes_per_tenant: Limit::new(1_000_000, 300),
        reports_per_app_tenant: None,
        retry_after,
        refused_requests_count: true,
    }
}

/// Emulated seconds between two tokens of `limit`.
fn interval(limit: Limit) -> f64 {
    limit.per.as_secs_f64() / f64::from(limit.requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_limited_per_app_and_tenant_on_the_emulated_clock() {
    // Scale 0: time moves only when the test advances it.
    let throttle = limited(1000, 3, RetryAfterFormat::Integer);
    let step = interval(throttle.writes_per_app_tenant);
    let emulator = start(quiet().time_scale(0.0).throttle(throttle.clone())).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let url = prefs_url(&emulator, &user.id);
    let body = r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#;
    for _ in 0..throttle.writes_per_app_tenant.requests {
        assert_eq!(patch(&url, &token, body).await.status, 204);
    }
    let throttled = patch(&url, &token, body).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.error_code(), "TooManyRequests");
    assert_eq!(throttled.json()["error"]["innerError"]["status"], "429");
    throttled.assert_correlated();
    // The refused write is charged too: the bucket owes one, so the wait is two refills.
    let retry_after = 2.0 * step;
    assert_eq!(
        throttled.header("retry-after"),
        Some(format!("{retry_after}"))
    );
    assert!(
        throttled
            .header("x-ms-throttle-scope")
            .unwrap()
            .starts_with("Tenant_Application/Write/")
    );
    assert_eq!(
        throttled.header("x-ms-throttle-information").as_deref(),
        Some("WriteLimitExceeded")
    );
    // Reads have their own bucket.
    assert_eq!(get(&url, &token).await.status, 200);
    // Another app has its own bucket too.
    let other_app = emulator
        .mint_token(signin_prefs_emulator::TokenRequest {
            app_id: Some("another-app".to_owned()),
            ..signin_prefs_emulator::TokenRequest::app_only(&[
                signin_prefs_emulator::permissions::READ_WRITE_ALL,
            ])
        })
        .unwrap();
    assert_eq!(patch(&url, &other_app, body).await.status, 204);

    emulator.advance_time(Duration::from_secs_f64(retry_after - 1.0));
    assert_eq!(
        patch(&url, &token, body).await.status,
        429,
        "not yet refilled"
    );
    // That early retry was charged as well: honouring the first Retry-After is no longer enough,
    // the one it was given is.
    emulator.advance_time(Duration::from_secs(1));
    let again = patch(&url, &token, body).await;
    assert_eq!(again.status, 429, "an early retry owes a write of its own");
    let wait: f64 = again.header("retry-after").unwrap().parse().unwrap();
    emulator.advance_time(Duration::from_secs_f64(wait));
    assert_eq!(
        patch(&url, &token, body).await.status,
        204,
        "refilled after the Retry-After it was given"
    );
    assert_eq!(patch(&url, &token, body).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_switch_off_a_refused_request_costs_nothing() {
    let throttle = limited(1000, 3, RetryAfterFormat::Integer);
    let step = interval(throttle.writes_per_app_tenant);
    let emulator = start(
        quiet()
            .time_scale(0.0)
            .throttle(throttle.clone())
            .refused_requests_count(false),
    )
    .await;
    let token = admin_token(&emulator);
    let url = prefs_url(&emulator, &emulator.user_at(0).unwrap().id);
    let body = r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#;
    for _ in 0..throttle.writes_per_app_tenant.requests {
        assert_eq!(patch(&url, &token, body).await.status, 204);
    }
    // However often the client hammers, the wait is one refill, counted from the last success.
    for _ in 0..5 {
        let throttled = patch(&url, &token, body).await;
        assert_eq!(throttled.status, 429);
        assert_eq!(throttled.header("retry-after"), Some(format!("{step}")));
    }
    emulator.advance_time(Duration::from_secs_f64(step));
    assert_eq!(patch(&url, &token, body).await.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_limited_and_retry_after_can_be_fractional() {
    let throttle = limited(4, 100, RetryAfterFormat::Fractional);
    let step = interval(throttle.reads_per_app_tenant);
    let emulator = start(quiet().time_scale(0.0).throttle(throttle)).await;
    let token = admin_token(&emulator);
    let url = prefs_url(&emulator, &emulator.user_at(0).unwrap().id);
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(get(&url, &token).await.status);
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    // Two refusals owed, and this third one: four refills away.
    let throttled = get(&url, &token).await;
    assert_eq!(
        throttled.header("retry-after"),
        Some(format!("{:.3}", 4.0 * step)),
        "4 per 10 s: one every 2.5 s"
    );
    assert_eq!(
        throttled.header("x-ms-throttle-information").as_deref(),
        Some("ResourceUnitLimitExceeded")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_scale_shrinks_the_real_wait() {
    // 150 emulated seconds pass in 1.5 real seconds.
    let emulator = start(quiet().time_scale(100.0).throttle(limited(
        1000,
        1,
        RetryAfterFormat::Fractional,
    )))
    .await;
    let token = admin_token(&emulator);
    let url = prefs_url(&emulator, &emulator.user_at(0).unwrap().id);
    let body = r#"{"isSystemPreferredAuthenticationMethodEnabled":false}"#;
    assert_eq!(patch(&url, &token, body).await.status, 204);
    let mut throttled = None;
    // The bucket refills in 1.5 s real time; a very loaded machine could let that pass between
    // two requests, so look for the 429 over a few tries instead of expecting it on the second.
    for _ in 0..50 {
        let answer = patch(&url, &token, body).await;
        if answer.status == 429 {
            throttled = Some(answer);
            break;
        }
    }
    let throttled = throttled.expect("a 429 within 50 immediate writes");
    let retry_after: f64 = throttled.header("retry-after").unwrap().parse().unwrap();
    // At most two refills (the refusal is charged): 300 emulated seconds, 3 real ones.
    assert!(
        retry_after > 0.0 && retry_after <= 3.0 + 1e-9,
        "Retry-After is in real seconds: {retry_after}"
    );
    tokio::time::sleep(Duration::from_secs_f64(retry_after)).await;
    assert_eq!(
        patch(&url, &token, body).await.status,
        204,
        "honouring Retry-After is enough"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_items_are_throttled_individually_while_the_batch_succeeds() {
    let throttle = limited(1000, 5, RetryAfterFormat::Integer);
    let step = interval(throttle.writes_per_app_tenant);
    let emulator = start(quiet().time_scale(0.0).throttle(throttle)).await;
    let token = admin_token(&emulator);
    let users: Vec<_> = (0..8)
        .map(|index| emulator.user_at(index).unwrap())
        .collect();
    let requests: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(index, user)| {
            json!({
                "id": index.to_string(),
                "method": "PATCH",
                "url": format!("/users/{}/authentication/signInPreferences", user.id),
                "headers": {"Content-Type": "application/json"},
                "body": {"isSystemPreferredAuthenticationMethodEnabled": true},
            })
        })
        .collect();
    let answer = batch(&emulator, &token, &json!({ "requests": requests })).await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let statuses: Vec<u64> = (0..8)
        .map(|index| item(&body, &index.to_string())["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [204, 204, 204, 204, 204, 429, 429, 429]);
    // 5 per 150 s, one every 30 s; each refused item is charged in turn, so each waits one refill
    // longer than the one before it.
    for (owed, index) in (1..).zip(5..8) {
        let throttled = item(&body, &index.to_string());
        assert_eq!(
            throttled["headers"]["Retry-After"],
            format!("{}", f64::from(owed + 1) * step),
        );
        assert_eq!(throttled["body"]["error"]["code"], "TooManyRequests");
    }
}
