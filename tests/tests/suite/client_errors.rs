//! Every error kind of the client, produced by the emulator (or, for transport and configuration,
//! by what is not there), with the status, Graph code, correlation ids and retry history each carries.

use std::time::Duration;

use signin_prefs_client::{
    Client, ClientSecretCredential, ErrorKind, RetryPolicy, RetryReason, Secret, StaticToken,
};
use signin_prefs_emulator::{
    FaultKind, FaultRoute, FaultRule, TokenRequest, permissions, unknown_object_id,
};
use signin_prefs_request::{GraphRequest, Method};

use crate::client_support::{client_for, client_with_token, quick_retries, quiet, start};

#[tokio::test]
async fn unauthorized_after_one_token_refresh() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(0).unwrap();
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(
            "not-a-token-the-emulator-issued",
        )))
        .build()
        .unwrap();
    let error = client.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.code(), Some("InvalidAuthenticationToken"));
    assert!(error.request_id().is_some() && error.date().is_some());
    // One refresh and one retry, no more: a static token cannot get better.
    let statuses: Vec<_> = error
        .retry_history()
        .attempts()
        .iter()
        .map(|attempt| attempt.status)
        .collect();
    assert_eq!(statuses, [Some(401), Some(401)]);
    assert_eq!(
        error.client_request_id(),
        Some(
            error.retry_history().attempts()[1]
                .client_request_id
                .as_str()
        )
    );
}

#[tokio::test]
async fn forbidden_without_the_write_permission() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(1).unwrap();
    let client = client_with_token(&emulator, TokenRequest::app_only(&[permissions::READ_ALL]))
        .build()
        .unwrap();
    client.get_sign_in_preferences(&user.id).await.unwrap();
    let error = client
        .update_sign_in_preferences_json(
            &user.id,
            &serde_json::json!({"isSystemPreferredAuthenticationMethodEnabled": true}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    assert_eq!(
        (error.status(), error.code()),
        (Some(403), Some("accessDenied"))
    );
    assert_eq!(error.message(), Some("Request Authorization failed"));
    assert_eq!(
        error.retry_history().attempts().len(),
        1,
        "a 403 is not retried"
    );
}

#[tokio::test]
async fn not_found_for_an_unknown_user_with_correlation_ids() {
    let emulator = start(quiet()).await;
    let client = client_for(&emulator).build().unwrap();
    let missing = unknown_object_id(5);
    let error = client.get_sign_in_preferences(&missing).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.code(), Some("Request_ResourceNotFound"));
    assert!(error.message().unwrap().contains(&missing));
    let sent = &error.retry_history().attempts()[0].client_request_id;
    assert_eq!(
        error.client_request_id(),
        Some(sent.as_str()),
        "the service echoes our id"
    );
    assert!(error.request_id().is_some_and(|id| id.len() == 36));
    assert!(error.date().is_some_and(|date| date.len() == 19));
    let display = error.to_string();
    assert!(
        display.contains("Request_ResourceNotFound") && display.contains(sent),
        "{display}"
    );
}

#[tokio::test]
async fn validation_for_an_invalid_enum_value() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(2).unwrap();
    let client = client_for(&emulator).build().unwrap();
    let error = client
        .update_sign_in_preferences_json(
            &user.user_principal_name,
            &serde_json::json!({"userPreferredMethodForSecondaryAuthentication": "foo"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.status(), Some(400));
    assert!(error.message().is_some());
}

#[tokio::test]
async fn throttled_after_the_retries_run_out_keeps_the_history() {
    let emulator = start(quiet()).await;
    emulator.add_fault(FaultRule::always(
        FaultRoute::GetSignInPreferences,
        FaultKind::ServiceUnavailable {
            retry_after_seconds: 0,
        },
    ));
    let user = emulator.user_at(3).unwrap();
    // A 503 with `Retry-After` is the service asking for a wait: it spends throttled attempts,
    // however many failed attempts the policy allows.
    let client = client_for(&emulator)
        .retry_policy(
            quick_retries()
                .with_max_attempts(1)
                .with_max_throttled_attempts(3),
        )
        .build()
        .unwrap();
    let error = client.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.code(), Some("serviceNotAvailable"));
    let history = error.retry_history();
    assert_eq!(history.attempts().len(), 3);
    assert_eq!(history.retries(), 2);
    assert!(
        history
            .attempts()
            .iter()
            .all(|attempt| attempt.status == Some(503)
                && attempt.retry_reason == Some(RetryReason::Unavailable)
                && attempt.retry_after == Some(Duration::ZERO))
    );
    let ids: std::collections::HashSet<_> = history
        .attempts()
        .iter()
        .map(|a| a.client_request_id.clone())
        .collect();
    assert_eq!(ids.len(), 3, "a fresh client-request-id per attempt");
}

#[tokio::test]
async fn timeout_when_every_response_is_too_slow() {
    let emulator = start(quiet()).await;
    emulator.add_fault(FaultRule::always(
        FaultRoute::GetSignInPreferences,
        FaultKind::Delay(Duration::from_secs(5)),
    ));
    let user = emulator.user_at(4).unwrap();
    let client = client_for(&emulator)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(quick_retries().with_max_attempts(2))
        .build()
        .unwrap();
    let error = client.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    let reasons: Vec<_> = error
        .retry_history()
        .attempts()
        .iter()
        .map(|attempt| attempt.retry_reason)
        .collect();
    assert_eq!(
        reasons,
        [
            Some(RetryReason::SlowResponse),
            Some(RetryReason::SlowResponse)
        ]
    );
}

#[tokio::test]
async fn the_overall_deadline_wins_over_a_long_retry_after() {
    let emulator = start(quiet()).await;
    emulator.add_fault(FaultRule::always(
        FaultRoute::GetSignInPreferences,
        FaultKind::ServiceUnavailable {
            retry_after_seconds: 30,
        },
    ));
    let user = emulator.user_at(5).unwrap();
    let client = client_for(&emulator)
        .overall_deadline(Some(Duration::from_secs(3)))
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    let error = client.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    // The last answer is kept: the caller sees why there was no time left.
    assert_eq!(error.status(), Some(503));
    let attempts = error.retry_history().attempts();
    assert_eq!(
        attempts.len(),
        1,
        "no attempt after a wait that would pass the deadline"
    );
    assert_eq!(attempts[0].retry_after, Some(Duration::from_secs(30)));
    assert_eq!(attempts[0].waited, None);
}

#[tokio::test]
async fn transport_error_when_nothing_listens() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .base_url(&format!("http://{address}"))
        .credential(StaticToken::new(Secret::new("t")))
        .retry_policy(quick_retries().with_max_attempts(2))
        .build()
        .unwrap();
    let error = client
        .get_sign_in_preferences("someone@contoso.com")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert_eq!(error.status(), None);
    let reasons: Vec<_> = error
        .retry_history()
        .attempts()
        .iter()
        .map(|attempt| attempt.retry_reason)
        .collect();
    assert_eq!(
        reasons,
        [Some(RetryReason::Connection), Some(RetryReason::Connection)]
    );
}

#[tokio::test]
async fn transport_error_when_every_connection_is_reset() {
    let emulator = start(quiet()).await;
    emulator.add_fault(FaultRule::always(
        FaultRoute::GetSignInPreferences,
        FaultKind::ConnectionReset,
    ));
    let user = emulator.user_at(6).unwrap();
    let client = client_for(&emulator)
        .retry_policy(quick_retries().with_max_attempts(3))
        .build()
        .unwrap();
    let error = client.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert_eq!(error.retry_history().attempts().len(), 3);
}

#[tokio::test]
async fn credential_error_for_a_wrong_secret_never_shows_it() {
    let emulator = start(quiet()).await;
    let wrong = "wrong-secret-value-7f3a";
    let credential = ClientSecretCredential::with_authority(
        &emulator.base_url(),
        emulator.tenant_id(),
        &emulator.apps()[0].client_id,
        Secret::new(wrong),
    )
    .unwrap();
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(credential)
        .build()
        .unwrap();
    let error = client
        .get_sign_in_preferences(&emulator.user_at(0).unwrap().id)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    let display = error.to_string();
    assert!(display.contains("invalid_client"), "{display}");
    assert!(!display.contains(wrong) && !format!("{error:?}").contains(wrong));
}

#[tokio::test]
async fn decode_error_for_a_malformed_success_body() {
    let emulator = start(quiet()).await;
    emulator.add_fault(FaultRule::always(
        FaultRoute::GetSignInPreferences,
        FaultKind::MalformedBody,
    ));
    let user = emulator.user_at(7).unwrap();
    let client = client_for(&emulator).build().unwrap();
    let error = client.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.status(), Some(200));
    assert!(error.client_request_id().is_some());
}

#[tokio::test]
async fn service_error_for_other_statuses() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(8).unwrap();
    let client = client_for(&emulator).build().unwrap();
    let request = GraphRequest::new(
        Method::DELETE,
        format!("/beta/users/{}/authentication/signInPreferences", user.id),
    );
    let error = client.send_raw(&request).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service);
    assert_eq!(error.status(), Some(405));
}

#[tokio::test]
async fn configuration_errors_for_plain_http_and_a_missing_credential() {
    let refused = Client::builder()
        .base_url("http://graph.example.com")
        .credential(StaticToken::new(Secret::new("t")))
        .build()
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    let missing = Client::builder().build().unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn invalid_request_for_an_empty_user_key() {
    let emulator = start(quiet()).await;
    let client = client_for(&emulator).build().unwrap();
    let error = client.get_sign_in_preferences("").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(
        error.retry_history().attempts().is_empty(),
        "nothing was sent"
    );
}
