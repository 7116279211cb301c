//! Emulator auth: the client-credentials token endpoint, 401 forms with `WWW-Authenticate`, and
//! 403 for missing scopes, roles, and delegated callers without the admin role.

use reqwest::Method;
use signin_prefs_emulator::{
    AppRegistration, DirectoryRole, EmulatorHandle, TokenRequest, permissions,
};

use crate::emulator_support::*;

/// (tenant in the URL, form fields, expected status, expected `error`)
type TokenCase<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
/// (scopes, directory roles, target user, GET status, PATCH status)
type DelegatedCase<'a> = (&'a [&'a str], &'a [DirectoryRole], &'a str, u16, u16);

async fn token_request(emulator: &EmulatorHandle, tenant: &str, form: &[(&str, &str)]) -> Answer {
    let url = format!("{}/{tenant}/oauth2/v2.0/token", emulator.base_url());
    let body: String = form
        .iter()
        .map(|(name, value)| format!("{name}={}", segment(value)))
        .collect::<Vec<_>>()
        .join("&");
    send(
        Method::POST,
        &url,
        None,
        Some(("application/x-www-form-urlencoded", &body)),
        &[],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_issue_a_working_token() {
    let emulator = start(quiet().app(AppRegistration {
        client_id: "11111111-2222-3333-4444-555555555555".to_owned(),
        client_secret: "reader-secret".to_owned(),
        app_roles: vec![permissions::READ_ALL.to_owned()],
    }))
    .await;
    let default_app = emulator.apps()[0].clone();
    assert!(
        !default_app.client_secret.is_empty(),
        "a random secret is generated"
    );
    assert!(
        !format!("{default_app:?}").contains(&default_app.client_secret),
        "Debug redacts the secret"
    );
    let scope = "https://graph.microsoft.com/.default";
    let tenant = emulator.tenant_id().to_owned();
    let answer = token_request(
        &emulator,
        &tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &default_app.client_id),
            ("client_secret", &default_app.client_secret),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let body = answer.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 3000);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let user = emulator.user_at(0).unwrap();
    assert_eq!(
        get(&prefs_url(&emulator, &user.id), &token).await.status,
        200
    );
    assert_eq!(
        patch(
            &prefs_url(&emulator, &user.id),
            &token,
            r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#
        )
        .await
        .status,
        204
    );

    // The domain works as the tenant too; the second app's token carries only its Read.All role.
    let answer = token_request(
        &emulator,
        "contoso.onmicrosoft.com",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "11111111-2222-3333-4444-555555555555"),
            ("client_secret", "reader-secret"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);
    let reader = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&prefs_url(&emulator, &user.id), &reader).await.status,
        200
    );
    let refused = patch(
        &prefs_url(&emulator, &user.id),
        &reader,
        r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
    )
    .await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (403, "accessDenied".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_refuses_bad_requests_like_the_identity_platform() {
    let emulator = start(quiet()).await;
    let app = emulator.apps()[0].clone();
    let tenant = emulator.tenant_id().to_owned();
    let scope = "https://graph.microsoft.com/.default";
    let cases: Vec<TokenCase<'_>> = vec![
        (
            tenant.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &app.client_id),
                ("client_secret", "wrong"),
                ("scope", scope),
            ],
            401,
            "invalid_client",
        ),
        (
            tenant.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &app.client_id),
                ("scope", scope),
            ],
            401,
            "invalid_client",
        ),
        (
            tenant.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", "x"),
                ("scope", scope),
            ],
            400,
            "unauthorized_client",
        ),
        (
            tenant.clone(),
            vec![
                ("grant_type", "password"),
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("scope", scope),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            tenant.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("scope", "User.Read"),
            ],
            400,
            "invalid_scope",
        ),
        (
            "fabrikam.com".to_owned(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("scope", scope),
            ],
            400,
            "invalid_request",
        ),
    ];
    for (tenant, form, status, error) in cases {
        let answer = token_request(&emulator, &tenant, &form).await;
        assert_eq!(answer.status, status, "{form:?}");
        let body = answer.json();
        assert_eq!(body["error"], error);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS")
        );
        assert!(body["error_codes"].is_array());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_malformed_unknown_and_expired_tokens_get_401_with_a_challenge() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(0).unwrap();
    let url = prefs_url(&emulator, &user.id);
    let expired = emulator
        .mint_token(
            TokenRequest::app_only(&[permissions::READ_WRITE_ALL])
                .expiring_in(std::time::Duration::ZERO),
        )
        .unwrap();
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "Access token is empty."),
        (Some("Bearer ".to_owned()), "Access token is empty."),
        (
            Some("Bearer not-a-token".to_owned()),
            "CompactToken parsing failed",
        ),
        (
            Some("Basic dXNlcjpwYXNz".to_owned()),
            "CompactToken parsing failed",
        ),
        (
            // Well formed, but never issued.
            Some(format!(
                "Bearer eyJ0eXAiOiJKV1QifQ.eyJ0aWQiOiJ4In0.{}",
                "0".repeat(32)
            )),
            "validation failure",
        ),
        (Some(format!("Bearer {expired}")), "expired"),
    ];
    for (authorization, message) in cases {
        let extra: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        for method in [Method::GET, Method::PATCH] {
            let body = (method == Method::PATCH).then_some((
                "application/json",
                r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
            ));
            let answer = send(method.clone(), &url, None, body, &extra).await;
            assert_eq!(answer.status, 401, "{authorization:?}");
            assert_eq!(answer.error_code(), "InvalidAuthenticationToken");
            assert!(
                answer.error_message().contains(message),
                "{authorization:?}: {}",
                answer.error_message()
            );
            let challenge = answer.header("www-authenticate").expect("WWW-Authenticate");
            assert!(challenge.starts_with("Bearer realm=\"\""), "{challenge}");
            assert!(challenge.contains("client_id=\"00000003-0000-0000-c000-000000000000\""));
            answer.assert_correlated();
        }
    }
    // A batch without a token is refused as a whole.
    let answer = send(
        Method::POST,
        &format!("{}/$batch", emulator.graph_url()),
        None,
        Some(("application/json", r#"{"requests":[]}"#)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 401);
    assert!(answer.header("www-authenticate").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_tokens_need_the_all_roles() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(0).unwrap();
    let url = prefs_url(&emulator, &user.id);
    let body = r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#;
    let cases: [(&[&str], u16, u16); 5] = [
        (&[], 403, 403),
        (&["User.Read.All"], 403, 403),
        (&[permissions::READ_ALL], 200, 403),
        (&[permissions::READ_WRITE], 403, 403),
        (&[permissions::READ_WRITE_ALL], 200, 204),
    ];
    for (roles, get_status, patch_status) in cases {
        let token = emulator.mint_token(TokenRequest::app_only(roles)).unwrap();
        let read = get(&url, &token).await;
        assert_eq!(read.status, get_status, "GET with {roles:?}");
        let write = patch(&url, &token, body).await;
        assert_eq!(write.status, patch_status, "PATCH with {roles:?}");
        for answer in [read, write].iter().filter(|answer| answer.status == 403) {
            assert_eq!(answer.error_code(), "accessDenied");
            assert_eq!(answer.error_message(), "Request Authorization failed");
            answer.assert_correlated();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegated_callers_need_the_admin_role_for_others() {
    let emulator = start(quiet()).await;
    let caller = emulator.user_at(0).unwrap();
    let other = emulator
        .find_user(|user| !user.is_admin && user.index != 0)
        .unwrap();
    let admin = emulator
        .add_user(&serde_json::from_value(serde_json::json!({"userPrincipalName": "global.admin@contoso.onmicrosoft.com", "isAdmin": true, "methods": ["mobilePhone"]})).unwrap())
        .unwrap();
    let body = r#"{"isSystemPreferredAuthenticationMethodEnabled":false}"#;
    use DirectoryRole::*;
    use permissions::*;
    // (scopes, roles, target, GET status, PATCH status)
    let cases: Vec<DelegatedCase<'_>> = vec![
        (&[READ], &[], &caller.id, 200, 403),
        (&[READ_WRITE], &[], &caller.user_principal_name, 200, 204),
        (&[READ_WRITE], &[], &other.id, 403, 403),
        (&[READ_WRITE_ALL], &[], &other.id, 403, 403),
        (&[READ_ALL], &[GlobalReader], &other.id, 200, 403),
        (&[READ_WRITE_ALL], &[GlobalReader], &other.id, 200, 403),
        (
            &[READ_WRITE_ALL],
            &[AuthenticationAdministrator],
            &other.id,
            200,
            204,
        ),
        (
            &[READ_WRITE_ALL],
            &[AuthenticationAdministrator],
            &admin.id,
            403,
            403,
        ),
        (
            &[READ_WRITE_ALL],
            &[PrivilegedAuthenticationAdministrator],
            &admin.id,
            200,
            204,
        ),
        (
            &[READ_WRITE],
            &[PrivilegedAuthenticationAdministrator],
            &admin.id,
            403,
            403,
        ),
    ];
    for (scopes, roles, target, get_status, patch_status) in cases {
        let token = emulator
            .mint_token(TokenRequest::delegated(&caller.id, scopes, roles))
            .unwrap();
        let url = prefs_url(&emulator, target);
        assert_eq!(
            get(&url, &token).await.status,
            get_status,
            "GET {scopes:?} {roles:?} on {target}"
        );
        assert_eq!(
            patch(&url, &token, body).await.status,
            patch_status,
            "PATCH {scopes:?} {roles:?} on {target}"
        );
    }

    // /me acts on the signed-in user, and needs a delegated token.
    let me = format!(
        "{}/me/authentication/signInPreferences",
        emulator.graph_url()
    );
    let token = emulator
        .mint_token(TokenRequest::delegated(
            &caller.user_principal_name,
            &[READ_WRITE],
            &[],
        ))
        .unwrap();
    assert_eq!(
        patch(
            &me,
            &token,
            r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#
        )
        .await
        .status,
        204
    );
    assert_eq!(
        emulator
            .user(&caller.id)
            .unwrap()
            .state
            .system_preferred_enabled,
        Some(true)
    );
    let answer = get(&me, &admin_token(&emulator)).await;
    assert_eq!(answer.status, 400);
    assert!(answer.error_message().contains("delegated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_accepts_basic_authentication() {
    let emulator = start(quiet()).await;
    let app = emulator.apps()[0].clone();
    // base64 by hand, to keep the test free of another dependency.
    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let block = chunk
                .iter()
                .fold(0u32, |acc, byte| (acc << 8) | u32::from(*byte))
                << (8 * (3 - chunk.len()));
            for index in 0..=chunk.len() {
                out.push(ALPHABET[((block >> (18 - 6 * index)) & 63) as usize] as char);
            }
        }
        let padding = (4 - out.len() % 4) % 4;
        out + &"=".repeat(padding)
    }
    let basic = format!(
        "Basic {}",
        base64(format!("{}:{}", app.client_id, segment(&app.client_secret)).as_bytes())
    );
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        emulator.base_url(),
        emulator.tenant_id()
    );
    let form = "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
    let answer = send(
        Method::POST,
        &url,
        None,
        Some(("application/x-www-form-urlencoded", form)),
        &[("Authorization", &basic)],
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let wrong = format!(
        "Basic {}",
        base64(format!("{}:wrong", app.client_id).as_bytes())
    );
    let answer = send(
        Method::POST,
        &url,
        None,
        Some(("application/x-www-form-urlencoded", form)),
        &[("Authorization", &wrong)],
    )
    .await;
    assert_eq!(answer.status, 401);
}
