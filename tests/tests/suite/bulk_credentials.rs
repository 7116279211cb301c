//! A credential refused in the middle of a run (a static token past its hour, a revoked sign-in)
//! says nothing about the users it could not reach: they are failed as retryable, and `--resume`
//! with a working credential takes every one of them.

use std::time::Duration;

use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::journal::Status;
use signin_prefs_bulk::report::Verdict;
use signin_prefs_client::{Client, RetryPolicy, Secret, StaticToken};
use signin_prefs_emulator::{TokenRequest, permissions};

use crate::bulk_scenarios::{apply_report, planned, quiet, setup, sms_to_push};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_a_refused_credential_could_not_reach_are_taken_by_resume() {
    let setup = setup("refused-credential", quiet()).await;
    let (plan, plan_path) = planned(&setup, &sms_to_push(Vec::new())).await;
    let expired = setup
        .emulator
        .mint_token(TokenRequest {
            expires_in_seconds: Some(0),
            ..TokenRequest::app_only(&[permissions::READ_WRITE_ALL])
        })
        .unwrap();
    let refused = Client::builder()
        .base_url(&setup.emulator.base_url())
        .credential(StaticToken::new(Secret::new(expired)))
        .retry_policy(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let journal = setup.dir.join("journal.jsonl");
    let options = RunOptions::default();
    let state = apply(&refused, &plan_path, &journal, false, &options, &mut |_| {})
        .await
        .unwrap();
    let changes: Vec<&str> = plan
        .entries
        .iter()
        .filter(|entry| entry.target.is_some())
        .map(|entry| entry.user.as_str())
        .collect();
    assert!(!changes.is_empty());
    for user in &changes {
        let entry = state.user(user).unwrap();
        assert!(
            matches!(entry.outcome, Some((Status::Failed, _, _))) && entry.retryable == Some(true),
            "{user}: {entry:?}"
        );
    }
    assert_eq!(apply_report(&plan, &state).verdict(), Verdict::NothingDone);

    let resumed = apply(
        &setup.client,
        &plan_path,
        &journal,
        true,
        &options,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(apply_report(&plan, &resumed).verdict(), Verdict::Success);
    for user in &changes {
        assert!(
            matches!(
                resumed.user(user).unwrap().outcome,
                Some((Status::Applied, _, _))
            ),
            "{user}"
        );
    }
}
