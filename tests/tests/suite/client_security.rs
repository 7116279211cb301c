//! Security: no token or secret in any tracing output (captured at TRACE), error, or Debug; plain
//! HTTP refused except to loopback.

use std::io::Write;
use std::sync::{Arc, Mutex};

use signin_prefs_client::{Client, ClientSecretCredential, Cloud, ErrorKind, Secret, StaticToken};
use signin_prefs_emulator::{FaultKind, FaultRoute, FaultRule, unknown_object_id};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::client_support::{Recording, quick_retries, quiet, secret_credential, start};

/// A tracing writer that keeps everything written, for searching afterwards.
#[derive(Clone, Default)]
pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every event and span at TRACE on this thread, captured until the guard drops.
pub(crate) fn capture_traces() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

// Current-thread runtime: every task (client, connection pool, emulator) runs on this thread, so
// the thread-local subscriber sees every event.
#[tokio::test(flavor = "current_thread")]
async fn no_token_or_secret_in_traces_errors_or_debug() {
    let (captured, _guard) = capture_traces();

    let emulator = start(quiet()).await;
    let client_secret = emulator.apps()[0].client_secret.clone();
    let credential = Recording::new(secret_credential(&emulator), None);
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .shared_credential(credential.clone())
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let user = emulator.user_at(0).unwrap();
    let mut texts = Vec::new();

    // Success, a retried 503, a 404, a 401 with a token refresh.
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::GetSignInPreferences,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
        )
        .times(1),
    );
    client.get_sign_in_preferences(&user.id).await.unwrap();
    let not_found = client
        .get_sign_in_preferences(&unknown_object_id(1))
        .await
        .unwrap_err();
    let stale_token = "emu1.0000000000000000deadbeefdeadbeef";
    let stale = Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(stale_token)))
        .build()
        .unwrap();
    let unauthorized = stale.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(unauthorized.kind(), ErrorKind::Unauthorized);
    // A wrong client secret: the token endpoint refuses it.
    let wrong_secret = "wrong-but-still-a-secret-91c2";
    let wrong = Client::builder()
        .base_url(&emulator.base_url())
        .credential(
            ClientSecretCredential::with_authority(
                &emulator.base_url(),
                emulator.tenant_id(),
                &emulator.apps()[0].client_id,
                Secret::new(wrong_secret),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let refused = wrong.get_sign_in_preferences(&user.id).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Credential);

    for error in [&not_found, &unauthorized, &refused] {
        texts.push(format!("{error}"));
        texts.push(format!("{error:?}"));
        texts.push(format!("{:#?}", error.retry_history()));
    }
    texts.push(format!("{client:?}"));
    texts.push(format!("{stale:?}"));
    texts.push(format!("{wrong:?}"));
    texts.push(format!("{credential:?}"));

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("retrying"),
        "the capture sees the client's events:\n{log}"
    );
    assert!(log.contains("graph_request"), "and its spans");
    // Every retry is an event naming why, after which status, and how long the client waits.
    let retry_event = log.lines().find(|line| line.contains("retrying")).unwrap();
    for field in [
        "WARN",
        "reason=Unavailable",
        "status=Some(503)",
        "delay_ms=",
        "client_request_id=",
    ] {
        assert!(
            retry_event.contains(field),
            "{field} missing from: {retry_event}"
        );
    }
    let issued = credential.issued.lock().unwrap().clone();
    assert!(!issued.is_empty());
    let mut secrets: Vec<&str> = vec![&client_secret, stale_token, wrong_secret];
    secrets.extend(issued.iter().map(String::as_str));
    for secret in secrets {
        assert!(!log.contains(secret), "a secret is in the trace output");
        for text in &texts {
            assert!(
                !text.contains(secret),
                "a secret is in an error or Debug output: {text}"
            );
        }
    }
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    let token = || StaticToken::new(Secret::new("t"));
    for refused in [
        "http://graph.microsoft.com",
        "http://192.168.1.10:8080",
        "http://localhost.example.com",
    ] {
        let error = Client::builder()
            .base_url(refused)
            .credential(token())
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{refused}");
        let error = ClientSecretCredential::with_authority(refused, "t", "a", Secret::new("s"))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{refused}");
    }
    for allowed in [
        "http://127.0.0.1:1",
        "http://[::1]:1",
        "http://localhost:1",
        "https://graph.microsoft.com",
    ] {
        Client::builder()
            .base_url(allowed)
            .credential(token())
            .build()
            .unwrap();
    }
    Client::builder()
        .cloud(Cloud::China)
        .credential(token())
        .build()
        .unwrap();
}

#[test]
fn secrets_from_the_environment_or_a_file_never_print() {
    let path = std::env::temp_dir().join(format!("signin-prefs-secret-{}", std::process::id()));
    std::fs::write(&path, "file-secret-value\n").unwrap();
    let secret = Secret::from_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(secret.expose(), "file-secret-value");
    assert!(!format!("{secret:?}{secret}").contains("file-secret"));
    let missing = Secret::from_env("SIGNIN_PREFS_TEST_VARIABLE_THAT_IS_NOT_SET").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Configuration);
}
