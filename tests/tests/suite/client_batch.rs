//! `$batch`: more than 20 operations split, shuffled answers matched by id, only failed items
//! retried (with their own `Retry-After`), garbled answers asked again for reads only, and per-item
//! results.

use std::time::Duration;

use signin_prefs_client::{ErrorKind, PacingConfig, RetryReason};
use signin_prefs_emulator::{
    FaultKind, FaultRoute, FaultRule, Limit, ThrottleConfig, unknown_object_id,
};
use signin_prefs_model::{Patch, SignInPreferencesPatch};
use signin_prefs_request::{GetSignInPreference, UpdateSignInPreference};

use crate::client_support::{client_for, quiet, start};

fn flag_for(index: usize) -> bool {
    index.is_multiple_of(3)
}

#[tokio::test]
async fn forty_five_patches_and_gets_in_shuffled_batches_land_on_the_right_users() {
    let emulator = start(quiet().shuffle_batch_responses(true)).await;
    let client = client_for(&emulator).build().unwrap();
    let users: Vec<_> = (0..45)
        .map(|index| emulator.user_at(index).unwrap())
        .collect();
    let patches: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(index, user)| {
            let mut patch = SignInPreferencesPatch::default();
            patch.is_system_preferred_authentication_method_enabled = Patch::Value(flag_for(index));
            // Half by object id, half by UPN.
            let key = if index % 2 == 0 {
                &user.id
            } else {
                &user.user_principal_name
            };
            UpdateSignInPreference::new(key.clone(), patch)
        })
        .collect();
    let results = client.batch(&patches).await;
    assert_eq!(results.len(), 45);
    for (position, result) in results.iter().enumerate() {
        assert_eq!(result.index, position);
        assert!(
            matches!(result.result, Ok(None)),
            "{position}: {:?}",
            result.result
        );
    }
    for (index, user) in users.iter().enumerate() {
        assert_eq!(
            emulator
                .user(&user.id)
                .unwrap()
                .state
                .system_preferred_enabled,
            Some(flag_for(index))
        );
    }
    let gets: Vec<_> = users
        .iter()
        .map(|user| GetSignInPreference::new(user.id.clone()))
        .collect();
    for (index, result) in client.batch(&gets).await.into_iter().enumerate() {
        let preferences = result.result.unwrap();
        assert_eq!(
            preferences.is_system_preferred_authentication_method_enabled,
            Some(flag_for(index)),
            "{index}"
        );
    }
}

#[tokio::test]
async fn only_the_failed_item_is_sent_again() {
    let emulator = start(quiet().shuffle_batch_responses(true)).await;
    let flaky = emulator.user_at(4).unwrap();
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 1,
            },
        )
        .for_user(&flaky.id)
        .times(1),
    );
    let client = client_for(&emulator).build().unwrap();
    let gets: Vec<_> = (0..10)
        .map(|index| GetSignInPreference::new(emulator.user_at(index).unwrap().id))
        .collect();
    let started = std::time::Instant::now();
    let results = client.batch(&gets).await;
    for result in &results {
        assert!(
            result.result.is_ok(),
            "{}: {:?}",
            result.index,
            result.result
        );
        let statuses: Vec<_> = result
            .retry_history
            .attempts()
            .iter()
            .map(|attempt| attempt.status)
            .collect();
        if result.index == 4 {
            assert_eq!(statuses, [Some(503), Some(200)]);
            let first = &result.retry_history.attempts()[0];
            assert_eq!(first.retry_after, Some(Duration::from_secs(1)));
            assert_eq!(
                first.waited,
                Some(Duration::from_secs(1)),
                "the item's own Retry-After"
            );
        } else {
            assert_eq!(
                statuses,
                [Some(200)],
                "item {} was not sent again",
                result.index
            );
        }
    }
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn an_item_that_keeps_failing_is_throttled_after_the_retries() {
    let emulator = start(quiet()).await;
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
        )
        .for_user(&emulator.user_at(4).unwrap().id),
    );
    let client = client_for(&emulator).build().unwrap();
    let gets: Vec<_> = (0..10)
        .map(|index| GetSignInPreference::new(emulator.user_at(index).unwrap().id))
        .collect();
    let attempts: Vec<usize> = client
        .batch(&gets)
        .await
        .iter()
        .map(|result| {
            if let Err(error) = &result.result {
                assert_eq!(error.kind(), ErrorKind::Throttled);
                assert_eq!(error.code(), Some("serviceNotAvailable"));
                assert!(
                    error
                        .retry_history()
                        .attempts()
                        .iter()
                        .all(|attempt| attempt.status == Some(503))
                );
            }
            result.retry_history.attempts().len()
        })
        .collect();
    let mut expected = vec![1; 10];
    expected[4] = 4; // quick_retries: four attempts in all
    assert_eq!(attempts, expected);
}

#[tokio::test]
async fn throttled_items_wait_for_their_retry_after_and_all_succeed() {
    // A plain token bucket (refusals cost nothing), so that every throttled item is told the same
    // wait and the test can name it; charged refusals are the emulator's own tests' subject.
    let throttle = ThrottleConfig {
        writes_per_app_tenant: Limit::new(5, 10),
        refused_requests_count: false,
        ..ThrottleConfig::default()
    };
    // Ten emulated seconds per real second: a token every 0.2 s, announced as `Retry-After: 1`.
    let emulator = start(quiet().throttle(throttle).time_scale(10.0)).await;
    let client = client_for(&emulator)
        .retry_policy(crate::client_support::quick_retries().with_max_attempts(8))
        .pacing(PacingConfig::disabled())
        .build()
        .unwrap();
    let patches: Vec<_> = (0..12)
        .map(|index| {
            let mut patch = SignInPreferencesPatch::default();
            patch.is_system_preferred_authentication_method_enabled = Patch::Value(true);
            UpdateSignInPreference::new(emulator.user_at(index).unwrap().id, patch)
        })
        .collect();
    let started = std::time::Instant::now();
    let results = client.batch(&patches).await;
    assert!(
        results.iter().all(|result| result.result.is_ok()),
        "{results:?}"
    );
    for index in 0..12 {
        assert_eq!(
            emulator
                .user_at(index)
                .unwrap()
                .state
                .system_preferred_enabled,
            Some(true)
        );
    }
    // Seven of twelve could not fit in the first round's bucket of five: they were answered 429
    // inside a 200 batch and sent again after their own Retry-After; the five others were not.
    let mut retried = 0;
    for result in &results {
        let attempts = result.retry_history.attempts();
        assert_eq!(attempts.last().unwrap().status, Some(204));
        for throttled in &attempts[..attempts.len() - 1] {
            assert_eq!(throttled.status, Some(429));
            assert_eq!(throttled.retry_after, Some(Duration::from_secs(1)));
            assert_eq!(throttled.waited, Some(Duration::from_secs(1)));
        }
        if attempts.len() > 1 {
            retried += 1;
        }
    }
    assert_eq!(retried, 7, "{results:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn per_item_failures_are_reported_per_item() {
    let emulator = start(quiet()).await;
    let client = client_for(&emulator).build().unwrap();
    let known = emulator.user_at(0).unwrap();
    let gets = vec![
        GetSignInPreference::new(known.id.clone()),
        GetSignInPreference::new(unknown_object_id(9)),
        GetSignInPreference::new(""),
        GetSignInPreference::new(known.user_principal_name.clone()),
    ];
    let results = client.batch(&gets).await;
    assert!(results[0].result.is_ok());
    let missing = results[1].result.as_ref().unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert_eq!(missing.code(), Some("Request_ResourceNotFound"));
    let sent = &missing.retry_history().attempts()[0].client_request_id;
    assert_eq!(
        missing.client_request_id(),
        Some(sent.as_str()),
        "each item has its own client-request-id"
    );
    assert_eq!(
        results[2].result.as_ref().unwrap_err().kind(),
        ErrorKind::InvalidRequest
    );
    assert!(results[3].result.is_ok());
}

#[tokio::test]
async fn a_batch_that_fails_as_a_whole_fails_each_item() {
    let emulator = start(quiet()).await;
    emulator.add_fault(FaultRule::always(
        FaultRoute::Batch,
        FaultKind::ServiceUnavailable {
            retry_after_seconds: 0,
        },
    ));
    let client = client_for(&emulator).build().unwrap();
    let gets: Vec<_> = (0..3)
        .map(|index| GetSignInPreference::new(emulator.user_at(index).unwrap().id))
        .collect();
    for result in client.batch(&gets).await {
        let error = result.result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Throttled);
        assert_eq!(error.status(), Some(503));
        assert_eq!(
            error.retry_history().attempts()[0].retry_reason,
            Some(RetryReason::Unavailable)
        );
    }
}

/// A `$batch` of reads whose answer comes back garbled is sent again, as a lone GET would be: a
/// read changes nothing. A `$batch` of writes is not re-sent blind: its items fail as unreadable
/// (for the caller to read back), and each write reached the tenant once.
#[tokio::test]
async fn a_garbled_answer_is_asked_again_for_reads_and_never_for_writes() {
    let emulator = start(quiet()).await;
    let users: Vec<_> = (0..5)
        .map(|index| emulator.user_at(index).unwrap())
        .collect();
    let garbled_once = FaultRule::always(FaultRoute::Batch, FaultKind::MalformedBody).times(1);
    let client = client_for(&emulator).build().unwrap();

    emulator.add_fault(garbled_once.clone());
    let gets: Vec<_> = users
        .iter()
        .map(|user| GetSignInPreference::new(user.id.clone()))
        .collect();
    for result in client.batch(&gets).await {
        assert!(
            result.result.is_ok(),
            "{}: {:?}",
            result.index,
            result.result
        );
        let attempts = result.retry_history.attempts();
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert_eq!(attempts[0].retry_reason, Some(RetryReason::Connection));
    }

    emulator.add_fault(garbled_once);
    let writes_before = emulator.traffic().writes;
    let patches: Vec<_> = users
        .iter()
        .map(|user| {
            let mut patch = SignInPreferencesPatch::default();
            patch.is_system_preferred_authentication_method_enabled = Patch::Value(true);
            UpdateSignInPreference::new(user.id.clone(), patch)
        })
        .collect();
    for result in client.batch(&patches).await {
        let error = result.result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
        assert!(error.answer_was_lost());
    }
    assert_eq!(
        emulator.traffic().writes - writes_before,
        5,
        "each write sent once"
    );
    for user in &users {
        let now = emulator.user(&user.id).unwrap();
        assert_eq!(
            now.state.system_preferred_enabled,
            Some(true),
            "the unanswered write landed"
        );
    }
}
