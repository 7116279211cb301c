//! Emulator fault injection: 503/504 with `Retry-After`, connection reset, delay, truncated and
//! malformed bodies; per route and per user; deterministic under a seed.

use std::time::{Duration, Instant};

use serde_json::json;
use signin_prefs_emulator::{EmulatorBuilder, FaultKind, FaultRoute, FaultRule};

use crate::emulator_support::*;

async fn raw_get(
    url: &str,
    token: &str,
) -> Result<(u16, Result<Vec<u8>, reqwest::Error>), reqwest::Error> {
    let response = client().get(url).bearer_auth(token).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.bytes().await.map(|bytes| bytes.to_vec())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_and_gateway_timeout_carry_retry_after() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let other = emulator.user_at(1).unwrap();
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 7,
            },
        )
        .for_user(&user.user_principal_name)
        .times(2),
    );
    emulator.add_fault(FaultRule::always(
        FaultRoute::PatchSignInPreferences,
        FaultKind::GatewayTimeout {
            retry_after_seconds: 3,
        },
    ));

    for _ in 0..2 {
        let answer = get(&prefs_url(&emulator, &user.id), &token).await;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.header("retry-after").as_deref(), Some("7"));
        assert_eq!(answer.error_code(), "serviceNotAvailable");
        answer.assert_correlated();
    }
    assert_eq!(
        get(&prefs_url(&emulator, &user.id), &token).await.status,
        200,
        "the rule fired its two times"
    );
    assert_eq!(
        get(&prefs_url(&emulator, &other.id), &token).await.status,
        200,
        "other users are untouched"
    );

    let answer = patch(
        &prefs_url(&emulator, &other.id),
        &token,
        r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
    )
    .await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.header("retry-after").as_deref(), Some("3"));
    answer.assert_correlated();

    // Inside a batch, status faults hit the matching items only.
    let requests = json!([
        {"id": "w", "method": "PATCH", "url": format!("/users/{}/authentication/signInPreferences", other.id), "headers": {"content-type": "application/json"}, "body": {"isSystemPreferredAuthenticationMethodEnabled": true}},
        {"id": "r", "method": "GET", "url": format!("/users/{}/authentication/signInPreferences", other.id)},
    ]);
    let answer = batch(&emulator, &token, &json!({ "requests": requests })).await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(item(&body, "w")["status"], 504);
    assert_eq!(item(&body, "w")["headers"]["Retry-After"], "3");
    assert_eq!(item(&body, "r")["status"], 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reset_gives_no_response_but_the_server_lives_on() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    emulator.add_fault(
        FaultRule::always(FaultRoute::GetSignInPreferences, FaultKind::ConnectionReset).times(1),
    );
    let outcome = raw_get(&prefs_url(&emulator, &user.id), &token).await;
    assert!(outcome.is_err(), "no HTTP response: {outcome:?}");
    assert_eq!(
        get(&prefs_url(&emulator, &user.id), &token).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_malformed_bodies() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let url = prefs_url(&emulator, &user.id);

    emulator.add_fault(
        FaultRule::always(FaultRoute::GetSignInPreferences, FaultKind::TruncatedBody).times(1),
    );
    let (status, body) = raw_get(&url, &token).await.expect("headers arrive");
    assert_eq!(status, 200);
    assert!(
        body.is_err(),
        "the body ends before its Content-Length: {body:?}"
    );

    emulator.clear_faults();
    emulator.add_fault(
        FaultRule::always(FaultRoute::GetSignInPreferences, FaultKind::MalformedBody).times(1),
    );
    let (status, body) = raw_get(&url, &token).await.expect("a response");
    assert_eq!(status, 200);
    let body = body.expect("complete body");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_err(),
        "not JSON: {}",
        String::from_utf8_lossy(&body)
    );

    // A malformed answer to a PATCH: the change is made, the answer is unreadable.
    emulator.add_fault(
        FaultRule::always(FaultRoute::PatchSignInPreferences, FaultKind::MalformedBody).times(1),
    );
    let answer = patch(
        &url,
        &token,
        r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_err());
    assert_eq!(
        emulator
            .user(&user.id)
            .unwrap()
            .state
            .system_preferred_enabled,
        Some(true)
    );

    assert_eq!(get(&url, &token).await.status, 200, "faults were used up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_holds_the_answer_back() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let delay = Duration::from_millis(300);
    emulator
        .add_fault(FaultRule::always(FaultRoute::Any, FaultKind::Delay(delay)).for_user(&user.id));
    let started = Instant::now();
    let answer = get(&prefs_url(&emulator, &user.id), &token).await;
    // A lower bound only: a loaded machine can make this slower, never faster.
    assert!(started.elapsed() >= delay);
    assert_eq!(
        answer.status, 200,
        "a delayed answer is still the right answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probabilistic_faults_are_deterministic_under_a_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let emulator = start(
            quiet().seed(seed).fault(
                FaultRule::always(
                    FaultRoute::Any,
                    FaultKind::ServiceUnavailable {
                        retry_after_seconds: 1,
                    },
                )
                .with_probability(0.5),
            ),
        )
        .await;
        let token = admin_token(&emulator);
        let url = prefs_url(&emulator, &emulator.user_at(0).unwrap().id);
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(get(&url, &token).await.status);
        }
        statuses
    }
    let first = statuses(21).await;
    assert_eq!(first, statuses(21).await);
    assert_ne!(first, statuses(22).await);
    let failures = first.iter().filter(|status| **status == 503).count();
    assert!((5..=35).contains(&failures), "about half fail: {failures}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_route_faults_hit_the_whole_batch() {
    let emulator = start(
        EmulatorBuilder::new()
            .users(5)
            .throttle(signin_prefs_emulator::ThrottleConfig::disabled()),
    )
    .await;
    let token = admin_token(&emulator);
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::Batch,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 2,
            },
        )
        .times(1),
    );
    let answer = batch(&emulator, &token, &json!({"requests": []})).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after").as_deref(), Some("2"));
    assert_eq!(
        batch(&emulator, &token, &json!({"requests": []}))
            .await
            .status,
        200
    );
}
