//! Credentials: the token fetched once for many concurrent requests and refreshed before expiry,
//! national cloud host pairs, the certificate assertion and the device code flow on the wire.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use signin_prefs_client::{
    Client, ClientCertificateCredential, ClientSecretCredential, Cloud, DeviceCodeCredential,
    DeviceCodePrompt, ErrorKind, Secret, StaticToken, TokenCredential,
};

use crate::client_support::{
    Recording, Scripted, ScriptedServer, quick_retries, quiet, secret_credential, start,
};

async fn get_all_concurrently(client: &Client, users: &[String]) {
    let tasks: Vec<_> = users
        .iter()
        .cloned()
        .map(|user| {
            let client = client.clone();
            tokio::spawn(async move { client.get_sign_in_preferences(&user).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_for_concurrent_requests_then_one_refresh_before_expiry() {
    let emulator = start(quiet()).await;
    // Tokens reported as living three seconds: refreshed at 90% of that.
    let credential = Recording::new(secret_credential(&emulator), Some(Duration::from_secs(3)));
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .shared_credential(credential.clone())
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let users: Vec<String> = (0..40)
        .map(|index| emulator.user_at(index).unwrap().id)
        .collect();
    get_all_concurrently(&client, &users).await;
    assert_eq!(
        credential.calls(),
        1,
        "forty concurrent requests, one token request"
    );
    get_all_concurrently(&client, &users).await;
    assert_eq!(credential.calls(), 1, "a valid token is reused");
    tokio::time::sleep(Duration::from_secs(3)).await;
    get_all_concurrently(&client.clone(), &users).await;
    assert_eq!(
        credential.calls(),
        2,
        "the expiring token was replaced once, for everyone"
    );
    let issued = credential.issued.lock().unwrap().clone();
    assert_ne!(issued[0], issued[1]);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_after_a_401() {
    let emulator = start(quiet()).await;
    // The first token is one the emulator never issued (as if revoked); the next is real.
    #[derive(Debug)]
    struct RevokedThenReal {
        real: ClientSecretCredential,
        calls: Mutex<usize>,
    }
    impl TokenCredential for RevokedThenReal {
        fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> signin_prefs_client::TokenFuture<'a> {
            Box::pin(async move {
                let first = {
                    let mut calls = self.calls.lock().unwrap();
                    *calls += 1;
                    *calls == 1
                };
                if first {
                    StaticToken::new(Secret::new("emu1.revoked"))
                        .get_token(scopes)
                        .await
                } else {
                    self.real.get_token(scopes).await
                }
            })
        }
    }
    let credential = Arc::new(RevokedThenReal {
        real: secret_credential(&emulator),
        calls: Mutex::new(0),
    });
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .shared_credential(credential.clone())
        .build()
        .unwrap();
    let user = emulator.user_at(0).unwrap();
    client.get_sign_in_preferences(&user.id).await.unwrap();
    assert_eq!(*credential.calls.lock().unwrap(), 2);
}

#[test]
fn national_clouds_pair_graph_and_login_hosts() {
    let expected = [
        (
            Cloud::Global,
            "https://graph.microsoft.com",
            "https://login.microsoftonline.com",
        ),
        (
            Cloud::UsGovL4,
            "https://graph.microsoft.us",
            "https://login.microsoftonline.us",
        ),
        (
            Cloud::UsGovL5Dod,
            "https://dod-graph.microsoft.us",
            "https://login.microsoftonline.us",
        ),
        (
            Cloud::China,
            "https://microsoftgraph.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
        ),
    ];
    for (cloud, graph, login) in expected {
        let credential =
            ClientSecretCredential::new(cloud, "contoso.onmicrosoft.com", "app", Secret::new("s"))
                .unwrap();
        assert_eq!(
            credential.token_url(),
            format!("{login}/contoso.onmicrosoft.com/oauth2/v2.0/token")
        );
        let client = Client::builder()
            .cloud(cloud)
            .credential(credential)
            .build()
            .unwrap();
        assert_eq!(client.endpoints().graph_origin, graph);
        assert_eq!(client.endpoints().login_authority, login);
        assert_eq!(
            client.scopes(),
            [format!("{graph}/.default")],
            "the .default scope names the cloud's own Graph"
        );
        let device = DeviceCodeCredential::new(cloud, "organizations", "app", |_| {}).unwrap();
        assert!(format!("{device:?}").contains(login));
    }
}

#[test]
fn a_tenant_cannot_change_the_token_url() {
    let credential =
        ClientSecretCredential::new(Cloud::Global, "evil.com/x?y=#", "app", Secret::new("s"))
            .unwrap();
    assert_eq!(
        credential.token_url(),
        "https://login.microsoftonline.com/evil.com%2Fx%3Fy=%23/oauth2/v2.0/token"
    );
}

const BUNDLE: &str =
    include_str!("../../../crates/signin-prefs-client/testdata/test-only-cert-and-key.pem");

#[tokio::test]
async fn the_certificate_credential_sends_a_signed_assertion_and_no_secret() {
    let server = ScriptedServer::start(|_, request| {
        if request.path.ends_with("/oauth2/v2.0/token") {
            Scripted::json(200, serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "cert-token"}))
        } else {
            Scripted::json(200, serde_json::json!({"isSystemPreferredAuthenticationMethodEnabled": false}))
        }
    })
    .await;
    let credential = ClientCertificateCredential::from_pem_with_authority(
        &server.base_url,
        "contoso.onmicrosoft.com",
        "app-7",
        &Secret::new(BUNDLE),
    )
    .unwrap();
    let client = Client::builder()
        .base_url(&server.base_url)
        .credential(credential)
        .build()
        .unwrap();
    client
        .get_sign_in_preferences("adele@contoso.com")
        .await
        .unwrap();
    let requests = server.recorded();
    assert_eq!(requests.len(), 2);
    let token_request = &requests[0];
    assert_eq!(token_request.method, "POST");
    assert_eq!(
        token_request.path,
        "/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(
        token_request.form("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(token_request.form("client_id").as_deref(), Some("app-7"));
    assert_eq!(
        token_request.form("scope").as_deref(),
        Some("https://graph.microsoft.com/.default")
    );
    assert_eq!(
        token_request.form("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let assertion = token_request.form("client_assertion").unwrap();
    assert_eq!(assertion.split('.').count(), 3, "a compact JWS");
    assert_eq!(token_request.form("client_secret"), None);
    assert_eq!(
        requests[1].header("authorization"),
        Some("Bearer cert-token")
    );
}

#[tokio::test]
async fn the_device_code_flow_polls_until_the_user_signs_in_then_refreshes_silently() {
    let server = ScriptedServer::start(|_, request| {
        if request.path.ends_with("/devicecode") {
            return Scripted::json(200, serde_json::json!({
                "device_code": "device-code-secret", "user_code": "ABCD-EFGH",
                "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 0,
                "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate."
            }));
        }
        match (request.form("grant_type").as_deref(), request.form("device_code").as_deref(), request.form("refresh_token").as_deref()) {
            (Some("urn:ietf:params:oauth:grant-type:device_code"), Some("device-code-secret"), _) => {
                // The first poll finds the user still signing in.
                static POLLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                if POLLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    Scripted::json(400, serde_json::json!({"error": "authorization_pending", "error_description": "AADSTS70016: pending"}))
                } else {
                    Scripted::json(200, serde_json::json!({"token_type": "Bearer", "expires_in": 3599,
                        "access_token": "delegated-1", "refresh_token": "refresh-1"}))
                }
            }
            (Some("refresh_token"), _, Some("refresh-1")) => Scripted::json(200, serde_json::json!({
                "token_type": "Bearer", "expires_in": 3599, "access_token": "delegated-2", "refresh_token": "refresh-2"})),
            _ => Scripted::json(400, serde_json::json!({"error": "invalid_grant"})),
        }
    })
    .await;
    let prompts: Arc<Mutex<Vec<DeviceCodePrompt>>> = Arc::default();
    let seen = prompts.clone();
    let credential = DeviceCodeCredential::with_authority(
        &server.base_url,
        "organizations",
        "public-app",
        move |prompt| {
            seen.lock().unwrap().push(prompt.clone());
        },
    )
    .unwrap();
    let scopes = ["https://graph.microsoft.com/.default"];
    let first = credential.get_token(&scopes).await.unwrap();
    assert_eq!(first.secret().expose(), "delegated-1");
    let prompts = prompts.lock().unwrap().clone();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].user_code, "ABCD-EFGH");
    assert!(prompts[0].message.contains("ABCD-EFGH"));
    let second = credential.get_token(&scopes).await.unwrap();
    assert_eq!(
        second.secret().expose(),
        "delegated-2",
        "refreshed without the user"
    );
    let requests = server.recorded();
    let paths: Vec<_> = requests
        .iter()
        .map(|request| request.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "/organizations/oauth2/v2.0/devicecode",
            "/organizations/oauth2/v2.0/token",
            "/organizations/oauth2/v2.0/token",
            "/organizations/oauth2/v2.0/token"
        ]
    );
    assert_eq!(
        requests[0].form("scope").as_deref(),
        Some("https://graph.microsoft.com/.default offline_access")
    );
    assert!(!format!("{credential:?}").contains("refresh-"));
}

#[tokio::test]
async fn a_refused_device_code_is_a_credential_error() {
    let server = ScriptedServer::start(|_, request| {
        if request.path.ends_with("/devicecode") {
            Scripted::json(200, serde_json::json!({"device_code": "d", "user_code": "U", "verification_uri": "v",
                "expires_in": 900, "interval": 0, "message": "m"}))
        } else {
            Scripted::json(400, serde_json::json!({"error": "authorization_declined", "error_description": "AADSTS70000: declined"}))
        }
    })
    .await;
    let credential =
        DeviceCodeCredential::with_authority(&server.base_url, "organizations", "app", |_| {})
            .unwrap();
    let error = credential
        .get_token(&["https://graph.microsoft.com/.default"])
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential);
    assert!(error.to_string().contains("authorization_declined"));
}
