//! Secret hygiene of every credential kind: with tracing at TRACE, a certificate's private key and
//! PKCS#12 password, a federated token, the managed-identity header, a kept refresh token and the
//! access tokens they all give appear in no log line, error or `Debug` output, whether the
//! sign-in works or is refused.

use std::sync::Arc;

use signin_prefs_client::{
    ClientCertificateCredential, DeviceCodeCredential, ManagedIdentityCredential, Secret, Settings,
    TokenCacheFile, TokenCredential, WorkloadIdentityCredential,
};
use signin_prefs_emulator::DEFAULT_CLIENT_ID;

use crate::client_support::{quiet, start};
use crate::emulator_sign_ins::BUNDLE;

const PFX: &[u8] =
    include_bytes!("../../../crates/signin-prefs-client/testdata/test-only-cert-and-key.pfx");
const PFX_PASSWORD: &str = "test-only-password";
const SCOPES: [&str; 1] = ["https://graph.microsoft.com/.default"];

#[tokio::test(flavor = "current_thread")]
async fn no_credential_material_in_traces_errors_or_debug_for_any_kind() {
    let (captured, _guard) = crate::client_security::capture_traces();

    let emulator = start(
        quiet()
            .app_certificate(DEFAULT_CLIENT_ID, BUNDLE)
            .device_code_interval(0),
    )
    .await;
    let (base, tenant) = (emulator.base_url(), emulator.tenant_id().to_owned());
    let dir = crate::cli_scenarios::scratch("credential-secrets");
    let mut texts: Vec<String> = Vec::new();
    let mut secrets: Vec<String> = vec![
        PFX_PASSWORD.to_owned(),
        emulator.identity_header().to_owned(),
    ];
    // A line from the middle of the private key: any leak of the key would show it.
    let key_line = BUNDLE
        .split("PRIVATE KEY-----")
        .nth(1)
        .and_then(|key| key.lines().nth(5))
        .unwrap()
        .to_owned();
    secrets.push(key_line);
    let got =
        |texts: &mut Vec<String>,
         result: Result<signin_prefs_client::AccessToken, signin_prefs_client::Error>| {
            match result {
                Ok(token) => {
                    texts.push(format!("{token:?}"));
                    token.secret().expose().to_owned()
                }
                Err(error) => {
                    texts.push(format!("{error}"));
                    texts.push(format!("{error:?}"));
                    String::new()
                }
            }
        };
    let mut tokens = Vec::new();

    // Certificates: PEM, PKCS#12, a wrong password, and an app that does not know the key.
    let pem = ClientCertificateCredential::from_pem_with_authority(
        &base,
        &tenant,
        DEFAULT_CLIENT_ID,
        &Secret::new(BUNDLE),
    )
    .unwrap();
    texts.push(format!("{pem:?}"));
    tokens.push(got(&mut texts, pem.get_token(&SCOPES).await));
    let pfx = ClientCertificateCredential::from_pkcs12_with_authority(
        &base,
        &tenant,
        DEFAULT_CLIENT_ID,
        PFX,
        &Secret::new(PFX_PASSWORD),
    )
    .unwrap();
    texts.push(format!("{pfx:?}"));
    tokens.push(got(&mut texts, pfx.get_token(&SCOPES).await));
    let wrong = ClientCertificateCredential::from_pkcs12_with_authority(
        &base,
        &tenant,
        DEFAULT_CLIENT_ID,
        PFX,
        &Secret::new("x"),
    )
    .unwrap_err();
    texts.push(format!("{wrong} {wrong:?}"));
    let stranger = ClientCertificateCredential::from_pem_with_authority(
        &base,
        &tenant,
        "unknown-app",
        &Secret::new(BUNDLE),
    )
    .unwrap();
    got(&mut texts, stranger.get_token(&SCOPES).await);

    // Workload identity: a good and an expired federated token.
    for lifetime in [None, Some(std::time::Duration::ZERO)] {
        let federated = emulator
            .federated_token(DEFAULT_CLIENT_ID, lifetime)
            .unwrap();
        let file = dir.join("federated");
        std::fs::write(&file, &federated).unwrap();
        secrets.push(federated);
        let credential =
            WorkloadIdentityCredential::with_authority(&base, &tenant, DEFAULT_CLIENT_ID, &file)
                .unwrap();
        texts.push(format!("{credential:?}"));
        tokens.push(got(&mut texts, credential.get_token(&SCOPES).await));
    }

    // Managed identity: App Service with its header, and with a wrong one.
    for header in [emulator.identity_header(), "wrong-identity-header-value"] {
        let credential = ManagedIdentityCredential::app_service(
            &emulator.identity_endpoint(),
            Secret::new(header),
            None,
        )
        .unwrap();
        texts.push(format!("{credential:?}"));
        tokens.push(got(&mut texts, credential.get_token(&SCOPES).await));
    }
    secrets.push("wrong-identity-header-value".to_owned());

    // Device code with a token cache: the sign-in, a silent refresh, then a revoked refresh.
    let cache = TokenCacheFile::new(dir.join("cache.json"));
    let device = DeviceCodeCredential::with_authority(&base, &tenant, DEFAULT_CLIENT_ID, |_| {})
        .unwrap()
        .with_token_cache(cache.clone());
    tokens.push(got(&mut texts, device.get_token(&SCOPES).await));
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache.path()).unwrap()).unwrap();
    secrets.extend(
        kept["refresh_tokens"]
            .as_object()
            .unwrap()
            .values()
            .map(|token| token.as_str().unwrap().to_owned()),
    );
    let silent = DeviceCodeCredential::with_authority(&base, &tenant, DEFAULT_CLIENT_ID, |_| {})
        .unwrap()
        .with_token_cache(cache.clone())
        .non_interactive();
    texts.push(format!("{silent:?}"));
    tokens.push(got(&mut texts, silent.get_token(&SCOPES).await));
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache.path()).unwrap()).unwrap();
    secrets.extend(
        kept["refresh_tokens"]
            .as_object()
            .unwrap()
            .values()
            .map(|token| token.as_str().unwrap().to_owned()),
    );
    let admin = emulator
        .find_user(|user| user.is_admin && user.account_enabled)
        .unwrap_or_else(|| emulator.user_at(0).unwrap());
    emulator.revoke_sign_in_sessions(&admin.id).unwrap();
    let revoked = DeviceCodeCredential::with_authority(&base, &tenant, DEFAULT_CLIENT_ID, |_| {})
        .unwrap()
        .with_token_cache(cache)
        .non_interactive();
    let refused = got(&mut texts, revoked.get_token(&SCOPES).await);
    assert!(refused.is_empty(), "a revoked sign-in is refused");

    // The settings and the connection they make, with a client secret file.
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, &emulator.apps()[0].client_secret).unwrap();
    secrets.push(emulator.apps()[0].client_secret.clone());
    let mut settings = Settings::default();
    settings.base_url = Some(base.clone());
    settings.tenant_id = Some(tenant.clone());
    settings.client_id = Some(DEFAULT_CLIENT_ID.to_owned());
    settings.client_secret_file = Some(secret_file);
    let connection = settings.connect().unwrap();
    texts.push(format!("{settings:?} {connection:?}"));
    tokens.push(got(
        &mut texts,
        connection.credential.get_token(&SCOPES).await,
    ));
    let shared: Arc<dyn TokenCredential> = connection.credential;
    texts.push(format!("{shared:?}"));

    tokens.retain(|token| !token.is_empty());
    assert!(tokens.len() >= 6, "most sign-ins worked: {}", tokens.len());
    secrets.extend(tokens);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("calling the token endpoint"),
        "the capture sees the credentials' events"
    );
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        assert!(
            !log.contains(secret.as_str()),
            "a secret ({}…) is in the trace output",
            &secret[..4]
        );
        for text in &texts {
            assert!(
                !text.contains(secret.as_str()),
                "a secret ({}…) is in: {text}",
                &secret[..4]
            );
        }
    }
}
