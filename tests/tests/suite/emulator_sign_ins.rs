//! The login host signs in the ways administrators do: a certificate's client assertion, a
//! federated token (workload identity), the device code approved at once or by hand, refresh
//! tokens (revocable), and the managed-identity endpoints in IMDS's and App Service's shapes.
//! Each issued token then reads a user from the Graph host.

use std::sync::Arc;
use std::time::Duration;

use signin_prefs_client::{
    AssertionAlgorithm, Client, ClientCertificateCredential, DeviceCodeCredential, Secret,
    StaticToken, TokenCredential,
};
use signin_prefs_emulator::{DEFAULT_CLIENT_ID, DeviceCodeApproval, DirectoryRole, EmulatorHandle};

use crate::client_support::{quick_retries, quiet, start};

pub(crate) const BUNDLE: &str =
    include_str!("../../../crates/signin-prefs-client/testdata/test-only-cert-and-key.pem");

const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";

/// Reads the first user with `credential`, through the Graph host.
async fn reads_a_user(emulator: &EmulatorHandle, credential: impl TokenCredential + 'static) {
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(credential)
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let user = emulator.user_at(0).unwrap().id;
    client.get_sign_in_preferences(&user).await.unwrap();
}

fn certificate_credential(
    emulator: &EmulatorHandle,
    client_id: &str,
) -> ClientCertificateCredential {
    ClientCertificateCredential::from_pem_with_authority(
        &emulator.base_url(),
        emulator.tenant_id(),
        client_id,
        &Secret::new(BUNDLE),
    )
    .unwrap()
}

#[tokio::test]
async fn a_registered_certificates_assertion_gets_a_token_and_an_unregistered_one_does_not() {
    let emulator = start(quiet().app_certificate(DEFAULT_CLIENT_ID, BUNDLE)).await;
    for algorithm in [AssertionAlgorithm::Ps256, AssertionAlgorithm::Rs256] {
        reads_a_user(
            &emulator,
            certificate_credential(&emulator, DEFAULT_CLIENT_ID).with_algorithm(algorithm),
        )
        .await;
    }
    // The same key for an app that registered no certificate: refused, naming the signature.
    let emulator = start(quiet()).await;
    let error = certificate_credential(&emulator, DEFAULT_CLIENT_ID)
        .get_token(&[GRAPH_DEFAULT])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("invalid_client") && error.contains("AADSTS700027"),
        "{error}"
    );
    // Registered through the handle (as through the admin API), it then works.
    emulator
        .register_certificate(DEFAULT_CLIENT_ID, BUNDLE)
        .unwrap();
    reads_a_user(
        &emulator,
        certificate_credential(&emulator, DEFAULT_CLIENT_ID),
    )
    .await;
}

#[tokio::test]
async fn an_assertion_for_another_audience_or_tampered_is_refused() {
    let emulator = start(quiet().app_certificate(DEFAULT_CLIENT_ID, BUNDLE)).await;
    // Signed for another tenant's token endpoint: the audience is not this one.
    let elsewhere = ClientCertificateCredential::from_pem_with_authority(
        &emulator.base_url(),
        "fabrikam.onmicrosoft.com",
        DEFAULT_CLIENT_ID,
        &Secret::new(BUNDLE),
    )
    .unwrap()
    .client_assertion(std::time::SystemTime::now())
    .unwrap();
    let credential = certificate_credential(&emulator, DEFAULT_CLIENT_ID);
    let good = credential
        .client_assertion(std::time::SystemTime::now())
        .unwrap();
    // One character in the middle of the signature changed: still base64, no longer its signature.
    let mut tampered = good.expose().to_owned().into_bytes();
    let middle = tampered.len() - 20;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (assertion, code) in [
        (elsewhere.expose().to_owned(), "AADSTS700212"),
        (tampered, "AADSTS700027"),
        ("not.a.jwt".to_owned(), "AADSTS50027"),
    ] {
        let answer = post_assertion(&emulator, DEFAULT_CLIENT_ID, &assertion).await;
        assert_eq!(answer.0, 401, "{answer:?}");
        assert!(answer.1.contains(code), "{code}: {answer:?}");
    }
    assert_eq!(
        post_assertion(&emulator, DEFAULT_CLIENT_ID, good.expose())
            .await
            .0,
        200
    );
}

/// Posts a client-credentials request with `assertion`; the status and body.
async fn post_assertion(
    emulator: &EmulatorHandle,
    client_id: &str,
    assertion: &str,
) -> (u16, String) {
    let answer = crate::emulator_support::client()
        .post(emulator.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", GRAPH_DEFAULT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn a_federated_token_is_its_apps_assertion_until_it_expires() {
    let emulator = start(quiet()).await;
    let token = emulator.federated_token(DEFAULT_CLIENT_ID, None).unwrap();
    let (status, body) = post_assertion(&emulator, DEFAULT_CLIENT_ID, &token).await;
    assert_eq!(status, 200, "{body}");
    let access_token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    reads_a_user(&emulator, StaticToken::new(Secret::new(access_token))).await;
    let expired = emulator
        .federated_token(DEFAULT_CLIENT_ID, Some(Duration::ZERO))
        .unwrap();
    let (status, body) = post_assertion(&emulator, DEFAULT_CLIENT_ID, &expired).await;
    assert!(
        status == 401 && body.contains("AADSTS700024"),
        "{status} {body}"
    );
    assert!(emulator.federated_token("no-such-app", None).is_err());
}

fn device_code_credential(emulator: &EmulatorHandle) -> DeviceCodeCredential {
    DeviceCodeCredential::with_authority(
        &emulator.base_url(),
        emulator.tenant_id(),
        DEFAULT_CLIENT_ID,
        |_| {},
    )
    .unwrap()
}

#[tokio::test]
async fn the_device_code_approved_at_once_signs_in_an_administrator_who_can_write_others() {
    let emulator = start(quiet().device_code_interval(0)).await;
    let credential = device_code_credential(&emulator);
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(credential)
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let someone = emulator.user_at(3).unwrap();
    let flipped = !someone.state.system_preferred_enabled.unwrap_or(false);
    let someone = someone.id;
    let mut patch = signin_prefs_model::SignInPreferencesPatch::default();
    patch.is_system_preferred_authentication_method_enabled =
        signin_prefs_core::Patch::Value(flipped);
    client
        .update_sign_in_preferences(&someone, patch)
        .await
        .unwrap();
    assert_eq!(
        emulator
            .user(&someone)
            .unwrap()
            .state
            .system_preferred_enabled,
        Some(flipped)
    );
}

#[tokio::test]
async fn a_device_code_waits_for_its_approval_or_decline_and_refresh_tokens_hold_until_revoked() {
    let emulator = Arc::new(
        start(
            quiet()
                .device_code_interval(0)
                .device_code_approval(DeviceCodeApproval::Manual),
        )
        .await,
    );
    let admin = emulator
        .find_user(|user| user.is_admin)
        .unwrap_or_else(|| emulator.user_at(0).unwrap());
    let approve = |decline: bool| {
        let emulator = Arc::clone(&emulator);
        let upn = admin.user_principal_name.clone();
        tokio::spawn(async move {
            loop {
                if let Some(code) = emulator.pending_device_codes().first() {
                    match decline {
                        true => emulator.decline_device_code(code).unwrap(),
                        false => emulator
                            .approve_device_code(
                                code,
                                &upn,
                                &[DirectoryRole::PrivilegedAuthenticationAdministrator],
                            )
                            .unwrap(),
                    }
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let credential = device_code_credential(&emulator);
    approve(true);
    let error = credential.get_token(&[GRAPH_DEFAULT]).await.unwrap_err();
    assert!(
        error.to_string().contains("authorization_declined"),
        "{error}"
    );
    approve(false);
    credential.get_token(&[GRAPH_DEFAULT]).await.unwrap();
    // The next token comes from the refresh token: nobody approves anything.
    let refreshed = tokio::time::timeout(
        Duration::from_secs(10),
        credential.get_token(&[GRAPH_DEFAULT]),
    )
    .await
    .expect("a refresh needs no user")
    .unwrap();
    reads_a_user(&emulator, StaticToken::new(refreshed.secret().clone())).await;
    // Revoked, the refresh token no longer works: the credential asks the user again.
    assert_eq!(emulator.revoke_sign_in_sessions(&admin.id).unwrap(), 2);
    approve(false);
    credential.get_token(&[GRAPH_DEFAULT]).await.unwrap();
}

#[tokio::test]
async fn managed_identity_answers_in_imds_and_app_service_shapes() {
    let emulator = start(quiet()).await;
    let http = crate::emulator_support::client();
    let query = [
        ("resource", "https://graph.microsoft.com"),
        ("api-version", "2018-02-01"),
    ];
    let refused = http
        .get(emulator.imds_url())
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "no Metadata header");
    let imds: serde_json::Value = http
        .get(emulator.imds_url())
        .query(&query)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap();
    // IMDS gives its times as strings.
    assert!(
        imds["expires_in"].is_string() && imds["expires_on"].is_string(),
        "{imds}"
    );
    assert_eq!(imds["client_id"], DEFAULT_CLIENT_ID);
    let token = imds["access_token"].as_str().unwrap().to_owned();
    reads_a_user(&emulator, StaticToken::new(Secret::new(token))).await;

    let app_service = |header: &str, client_id: &str| {
        http.get(emulator.identity_endpoint())
            .query(&[
                ("resource", "https://graph.microsoft.com"),
                ("api-version", "2019-08-01"),
                ("client_id", client_id),
            ])
            .header("X-IDENTITY-HEADER", header)
            .send()
    };
    assert_eq!(
        app_service("wrong", DEFAULT_CLIENT_ID)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        app_service(emulator.identity_header(), "no-such-identity")
            .await
            .unwrap()
            .status(),
        400
    );
    let answer: serde_json::Value = app_service(emulator.identity_header(), DEFAULT_CLIENT_ID)
        .await
        .unwrap()
        .text()
        .await
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap();
    let token = answer["access_token"].as_str().unwrap().to_owned();
    reads_a_user(&emulator, StaticToken::new(Secret::new(token))).await;
}

/// The OpenID Connect metadata MSAL reads first names this login host's own endpoints, for the
/// tenant by id or domain, and an unknown tenant is refused as the token endpoint refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openid_metadata_names_this_login_hosts_endpoints() {
    let emulator = start(quiet()).await;
    let http = reqwest::Client::new();
    let metadata = |tenant: String| {
        let url = format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            emulator.base_url()
        );
        let http = http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    let answer = metadata(emulator.tenant_id().to_owned()).await;
    let document: serde_json::Value =
        serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(document["token_endpoint"], emulator.token_url());
    assert_eq!(
        document["issuer"],
        format!("{}/{}/v2.0", emulator.base_url(), emulator.tenant_id())
    );
    assert_eq!(
        document["device_authorization_endpoint"],
        emulator.token_url().replace("/token", "/devicecode")
    );
    let refused = metadata("not-this-tenant".to_owned()).await;
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error_codes"][0], 90002);
}
