//! Retries: 429 with each `Retry-After` form, 503 and 504, connection resets, cut bodies and slow
//! responses, each retried and then succeeding; the headers every attempt carries.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use signin_prefs_client::{Client, PacingConfig, RetryPolicy, RetryReason, Secret, StaticToken};
use signin_prefs_emulator::{
    FaultKind, FaultRoute, FaultRule, Limit, RetryAfterFormat, ThrottleConfig,
};
use signin_prefs_request::{GetSignInPreference, Operation};

use crate::client_support::{
    Scripted, ScriptedServer, client_for, graph_error, quick_retries, quiet, start,
};

fn statuses(response: &signin_prefs_client::RawResponse) -> Vec<Option<u16>> {
    response
        .retry_history
        .attempts()
        .iter()
        .map(|attempt| attempt.status)
        .collect()
}

fn one_read_per(seconds: u64, format: RetryAfterFormat) -> ThrottleConfig {
    ThrottleConfig {
        reads_per_app_tenant: Limit::new(1, seconds),
        retry_after: format,
        ..ThrottleConfig::default()
    }
}

#[tokio::test]
async fn a_429_with_integer_seconds_is_waited_out() {
    let emulator = start(quiet().throttle(one_read_per(1, RetryAfterFormat::Integer))).await;
    let user = emulator.user_at(0).unwrap();
    let client = client_for(&emulator)
        .pacing(PacingConfig::disabled())
        .build()
        .unwrap();
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    client.send_raw(&request).await.unwrap();
    let started = Instant::now();
    let response = client.send_raw(&request).await.unwrap();
    assert_eq!(statuses(&response), [Some(429), Some(200)]);
    let throttled = &response.retry_history.attempts()[0];
    assert_eq!(throttled.retry_reason, Some(RetryReason::Throttled));
    // One read a second, and the refused read is charged too (as Graph counts usage while it
    // throttles): two refills to wait, which the client waits exactly.
    let wait = Duration::from_secs(2);
    assert_eq!(throttled.retry_after, Some(wait));
    assert_eq!(throttled.waited, Some(wait));
    assert!(started.elapsed() >= wait);
}

#[tokio::test]
async fn a_429_with_fractional_seconds_is_waited_out() {
    let emulator = start(quiet().throttle(one_read_per(2, RetryAfterFormat::Fractional))).await;
    let user = emulator.user_at(1).unwrap();
    let client = client_for(&emulator)
        .pacing(PacingConfig::disabled())
        .build()
        .unwrap();
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    client.send_raw(&request).await.unwrap();
    let started = Instant::now();
    let response = client.send_raw(&request).await.unwrap();
    assert_eq!(statuses(&response), [Some(429), Some(200)]);
    let throttled = &response.retry_history.attempts()[0];
    let wait = throttled.retry_after.unwrap();
    // At most two refills of two seconds: the refused read is charged too.
    assert!(
        wait > Duration::from_millis(500) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert_eq!(
        throttled.waited,
        Some(wait),
        "fractional seconds are honoured to the millisecond"
    );
    assert!(started.elapsed() >= wait);
}

#[tokio::test]
async fn a_429_with_an_http_date_is_waited_out() {
    let emulator = start(quiet().throttle(one_read_per(1, RetryAfterFormat::HttpDate))).await;
    let user = emulator.user_at(2).unwrap();
    let client = client_for(&emulator)
        .pacing(PacingConfig::disabled())
        .build()
        .unwrap();
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    client.send_raw(&request).await.unwrap();
    let started = Instant::now();
    let response = client.send_raw(&request).await.unwrap();
    assert_eq!(statuses(&response), [Some(429), Some(200)]);
    // The emulator owes two refills of a second and dates the retry whole seconds later, one
    // added so it is never early: the date is between two and four seconds away when read.
    let throttled = &response.retry_history.attempts()[0];
    assert_eq!(throttled.retry_reason, Some(RetryReason::Throttled));
    let wait = throttled.retry_after.unwrap();
    assert!(
        wait >= Duration::from_millis(1900) && wait <= Duration::from_secs(4),
        "{wait:?}"
    );
    assert!(started.elapsed() >= wait);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_on_its_own() {
    // Refusals cost nothing here, so the read goes through a second after the first one, within
    // the backoff's first four waits (at least 0.1 + 0.2 + 0.4 + 0.8 s), none of them at the cap.
    let throttle = ThrottleConfig {
        refused_requests_count: false,
        ..one_read_per(1, RetryAfterFormat::Absent)
    };
    let emulator = start(quiet().throttle(throttle)).await;
    let user = emulator.user_at(3).unwrap();
    let client = client_for(&emulator)
        .pacing(PacingConfig::disabled())
        .retry_policy(
            quick_retries()
                .with_max_throttled_attempts(12)
                .with_backoff(Duration::from_millis(200), Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    client.send_raw(&request).await.unwrap();
    let response = client.send_raw(&request).await.unwrap();
    let attempts = response.retry_history.attempts();
    assert_eq!(statuses(&response).last(), Some(&Some(200)));
    assert!(attempts.len() >= 2, "{attempts:?}");
    for refused in &attempts[..attempts.len() - 1] {
        assert_eq!(refused.status, Some(429));
        assert_eq!(
            refused.retry_after, None,
            "the emulator sent no Retry-After"
        );
        assert!(refused.waited.is_some_and(|waited| waited > Duration::ZERO));
    }
    // Each wait at least as long as the one before: the backoff grows.
    let waits: Vec<Duration> = attempts[..attempts.len() - 1]
        .iter()
        .filter_map(|attempt| attempt.waited)
        .collect();
    assert!(waits.windows(2).all(|pair| pair[1] >= pair[0]), "{waits:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_cut_to_the_cap() {
    let server = ScriptedServer::start(|position, _| {
        if position == 0 {
            Scripted::json(429, graph_error("TooManyRequests", "later"))
                .with_header("Retry-After", "3600")
        } else {
            Scripted::json(200, serde_json::json!({}))
        }
    })
    .await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credential(StaticToken::new(Secret::new("scripted-token")))
        .retry_policy(RetryPolicy::default().with_max_retry_after(Duration::from_millis(300)))
        .pacing(PacingConfig::disabled())
        .build()
        .unwrap();
    let response = client
        .send_raw(
            &GetSignInPreference::new("adele@contoso.com")
                .to_request()
                .unwrap(),
        )
        .await
        .unwrap();
    let first = &response.retry_history.attempts()[0];
    assert_eq!(first.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(first.waited, Some(Duration::from_millis(300)));
}

#[tokio::test]
async fn service_unavailable_and_gateway_timeout_are_retried() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(2).unwrap();
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
        )
        .times(2),
    );
    let client = client_for(&emulator).build().unwrap();
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    let response = client.send_raw(&request).await.unwrap();
    assert_eq!(statuses(&response), [Some(503), Some(503), Some(200)]);
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::GatewayTimeout {
                retry_after_seconds: 0,
            },
        )
        .times(1),
    );
    let response = client.send_raw(&request).await.unwrap();
    assert_eq!(statuses(&response), [Some(504), Some(200)]);
}

#[tokio::test]
async fn connection_resets_and_cut_bodies_are_retried() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(3).unwrap();
    emulator.add_fault(
        FaultRule::always(FaultRoute::GetSignInPreferences, FaultKind::ConnectionReset).times(2),
    );
    let client = client_for(&emulator).build().unwrap();
    let preferences = client.get_sign_in_preferences(&user.id).await.unwrap();
    assert_eq!(
        preferences.is_system_preferred_authentication_method_enabled,
        user.state.system_preferred_enabled
    );

    emulator.add_fault(
        FaultRule::always(FaultRoute::GetSignInPreferences, FaultKind::TruncatedBody).times(1),
    );
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    let response = client.send_raw(&request).await.unwrap();
    let reasons: Vec<_> = response
        .retry_history
        .attempts()
        .iter()
        .map(|attempt| attempt.retry_reason)
        .collect();
    assert_eq!(reasons, [Some(RetryReason::Connection), None]);
}

#[tokio::test]
async fn slow_responses_are_retried() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(4).unwrap();
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::Delay(Duration::from_secs(5)),
        )
        .times(1),
    );
    let client = client_for(&emulator)
        .request_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let response = client
        .send_raw(
            &GetSignInPreference::new(user.id.clone())
                .to_request()
                .unwrap(),
        )
        .await
        .unwrap();
    let reasons: Vec<_> = response
        .retry_history
        .attempts()
        .iter()
        .map(|attempt| attempt.retry_reason)
        .collect();
    assert_eq!(reasons, [Some(RetryReason::SlowResponse), None]);
}

#[tokio::test]
async fn a_patch_is_retried_after_a_503() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(5).unwrap();
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::PatchSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
        )
        .times(1),
    );
    let client = client_for(&emulator).build().unwrap();
    let desired = !user.state.system_preferred_enabled.unwrap_or(false);
    let mut patch = signin_prefs_model::SignInPreferencesPatch::default();
    patch.is_system_preferred_authentication_method_enabled =
        signin_prefs_model::Patch::Value(desired);
    client
        .update_sign_in_preferences(&user.id, patch)
        .await
        .unwrap();
    assert_eq!(
        emulator
            .user(&user.id)
            .unwrap()
            .state
            .system_preferred_enabled,
        Some(desired)
    );
}

#[tokio::test]
async fn every_attempt_carries_a_fresh_id_and_the_client_headers() {
    let server = ScriptedServer::start(|position, _| {
        if position < 2 {
            Scripted::json(503, graph_error("serviceNotAvailable", "later"))
                .with_header("Retry-After", "0")
        } else {
            Scripted::json(
                200,
                serde_json::json!({"userPreferredMethodForSecondaryAuthentication": "push"}),
            )
        }
    })
    .await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credential(StaticToken::new(Secret::new("scripted-token")))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    client
        .get_sign_in_preferences("adele@contoso.com")
        .await
        .unwrap();
    let requests = server.recorded();
    assert_eq!(requests.len(), 3);
    let ids: HashSet<_> = requests
        .iter()
        .map(|request| request.header("client-request-id").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| uuid_like(id)), "{ids:?}");
    for (position, request) in requests.iter().enumerate() {
        assert_eq!(
            request.path,
            "/beta/users/adele@contoso.com/authentication/signInPreferences"
        );
        assert_eq!(
            request.header("authorization"),
            Some("Bearer scripted-token")
        );
        let user_agent = request.header("user-agent").unwrap();
        assert!(
            user_agent.starts_with(&format!("signin-prefs/{}", env!("CARGO_PKG_VERSION"))),
            "{user_agent}"
        );
        assert_eq!(
            request.header("prefer"),
            Some("include-unknown-enum-members")
        );
        assert_eq!(
            request.header("sdkversion"),
            None,
            "SdkVersion is Microsoft's"
        );
        let expected_retry = (position > 0).then(|| position.to_string());
        assert_eq!(
            request.header("retry-attempt").map(str::to_owned),
            expected_retry
        );
    }
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}
