//! Emulator routes: GET/PATCH signInPreferences by id, UPN and `users('…')`, the methods list,
//! validation errors in Graph's envelope, unknown users, v1.0, and correlation headers.

use reqwest::Method;
use serde_json::Value;
use signin_prefs_emulator::{AuthMethod, ConfiguredError, MethodSet, UserState};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Preferred;

use crate::emulator_support::*;

fn sms_only() -> UserState {
    UserState {
        methods: MethodSet::of(&[AuthMethod::MobilePhone]),
        preferred: Some(Preferred::Sms),
        system_preferred_enabled: Some(false),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_by_id_returns_context_and_read_only_property() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    emulator
        .set_user_state(
            &user.id,
            UserState {
                methods: MethodSet::of(&[AuthMethod::Fido2, AuthMethod::MobilePhone]),
                preferred: Some(Preferred::Sms),
                system_preferred_enabled: Some(true),
            },
        )
        .unwrap();
    let answer = get(&prefs_url(&emulator, &user.id), &token).await;
    assert_eq!(answer.status, 200);
    answer.assert_correlated();
    assert_eq!(answer.header("odata-version").as_deref(), Some("4.0"));
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = answer.json();
    assert_eq!(
        body["@odata.context"],
        format!(
            "https://graph.microsoft.com/beta/$metadata#users('{}')/authentication/signInPreferences",
            user.id
        )
    );
    assert_eq!(body["isSystemPreferredAuthenticationMethodEnabled"], true);
    assert_eq!(body["userPreferredMethodForSecondaryAuthentication"], "sms");
    assert_eq!(body["systemPreferredAuthenticationMethod"], "Fido2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_is_a_sparse_merge_answering_204_without_body() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(4).unwrap();
    emulator
        .set_user_state(
            &user.id,
            UserState {
                methods: MethodSet::of(&[AuthMethod::MobilePhone, AuthMethod::SoftwareOath]),
                preferred: Some(Preferred::Sms),
                system_preferred_enabled: Some(true),
            },
        )
        .unwrap();
    let url = prefs_url(&emulator, &user.id);

    let answer = patch(
        &url,
        &token,
        r#"{"userPreferredMethodForSecondaryAuthentication":"oath"}"#,
    )
    .await;
    assert_eq!(answer.status, 204);
    assert!(answer.body.is_empty());
    answer.assert_correlated();
    let state = emulator.user(&user.id).unwrap().state;
    assert_eq!(state.preferred, Some(Preferred::Oath));
    assert_eq!(
        state.system_preferred_enabled,
        Some(true),
        "absent property kept"
    );

    let answer = patch(
        &url,
        &token,
        r#"{"isSystemPreferredAuthenticationMethodEnabled":null}"#,
    )
    .await;
    assert_eq!(answer.status, 204);
    let state = emulator.user(&user.id).unwrap().state;
    assert_eq!(
        state.system_preferred_enabled, None,
        "null clears a nullable property"
    );
    assert_eq!(state.preferred, Some(Preferred::Oath));

    // OData annotations are accepted and ignored, as by the service.
    let answer = patch(&url, &token, r##"{"@odata.type":"#microsoft.graph.signInPreferences","isSystemPreferredAuthenticationMethodEnabled":false}"##).await;
    assert_eq!(answer.status, 204);
    let body = get(&url, &token).await.json();
    assert_eq!(body["isSystemPreferredAuthenticationMethodEnabled"], false);
    assert_eq!(
        body["userPreferredMethodForSecondaryAuthentication"],
        "oath"
    );
    assert_eq!(body["systemPreferredAuthenticationMethod"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upn_forms_reach_the_same_user() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let guest = emulator.user_at(1).unwrap();
    assert!(guest.user_principal_name.contains("#EXT#"));
    let apostrophe = emulator.user_at(2).unwrap();
    assert!(apostrophe.user_principal_name.contains('\''));
    let non_ascii = emulator.user_at(3).unwrap();
    assert!(!non_ascii.user_principal_name.is_ascii());

    for user in [&guest, &apostrophe, &non_ascii] {
        emulator.set_user_state(&user.id, sms_only()).unwrap();
        let upn = &user.user_principal_name;
        // Percent-encoded path segment, upper-cased UPN (UPNs compare case-insensitively).
        let answer = get(&prefs_url(&emulator, &upn.to_uppercase()), &token).await;
        assert_eq!(
            answer.status,
            200,
            "{upn}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(
            answer.json()["userPreferredMethodForSecondaryAuthentication"],
            "sms"
        );
        // OData key form with doubled quotes.
        let keyed = format!(
            "{}/users('{}')/authentication/signInPreferences",
            emulator.graph_url(),
            segment(&upn.replace('\'', "''"))
        );
        let answer = patch(
            &keyed,
            &token,
            r#"{"userPreferredMethodForSecondaryAuthentication":"voiceMobile"}"#,
        )
        .await;
        assert_eq!(
            answer.status,
            204,
            "{upn}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(
            emulator.user(&user.id).unwrap().state.preferred,
            Some(Preferred::VoiceMobile)
        );
    }
    // The context echoes the key as the caller wrote it, as an OData literal.
    let body = get(
        &prefs_url(&emulator, &apostrophe.user_principal_name),
        &token,
    )
    .await
    .json();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .contains(&apostrophe.user_principal_name.replace('\'', "''"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_are_a_polymorphic_list() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(5).unwrap();
    emulator
        .set_user_state(
            &user.id,
            UserState {
                methods: MethodSet::of(&[
                    AuthMethod::MobilePhone,
                    AuthMethod::OfficePhone,
                    AuthMethod::MicrosoftAuthenticator,
                    AuthMethod::HardwareOath,
                    AuthMethod::Fido2,
                ]),
                preferred: Some(Preferred::Push),
                system_preferred_enabled: Some(false),
            },
        )
        .unwrap();
    let answer = get(
        &format!(
            "{}/users/{}/authentication/methods",
            emulator.graph_url(),
            user.id
        ),
        &token,
    )
    .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/authentication/methods")
    );
    let types: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|method| method["@odata.type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "#microsoft.graph.passwordAuthenticationMethod",
            "#microsoft.graph.phoneAuthenticationMethod",
            "#microsoft.graph.phoneAuthenticationMethod",
            "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "#microsoft.graph.hardwareOathAuthenticationMethod",
            "#microsoft.graph.fido2AuthenticationMethod",
        ]
    );
    let phone_types: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|method| method["phoneType"].as_str())
        .collect();
    assert_eq!(phone_types, ["mobile", "office"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_method_is_refused_with_the_configured_answer() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(6).unwrap();
    emulator.set_user_state(&user.id, sms_only()).unwrap();
    let url = prefs_url(&emulator, &user.id);
    for method in ["push", "oath", "voiceOffice", "voiceAlternateMobile"] {
        let answer = patch(
            &url,
            &token,
            &format!(r#"{{"userPreferredMethodForSecondaryAuthentication":"{method}"}}"#),
        )
        .await;
        assert_eq!(answer.status, 400, "{method}");
        assert_eq!(answer.error_code(), "BadRequest");
        assert!(answer.error_message().contains(method));
        answer.assert_correlated();
    }
    assert_eq!(
        emulator.user(&user.id).unwrap().state,
        sms_only(),
        "refused PATCH changes nothing"
    );
    // The flag alone can still be changed: the registered check applies to the method only.
    assert_eq!(
        patch(
            &url,
            &token,
            r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#
        )
        .await
        .status,
        204
    );

    let configured = start(quiet().unregistered_method(ConfiguredError::new(
        409,
        "methodNotRegistered",
        "Method {method} missing for {key}",
    )))
    .await;
    let token = admin_token(&configured);
    let user = configured.user_at(6).unwrap();
    configured.set_user_state(&user.id, sms_only()).unwrap();
    let answer = patch(
        &prefs_url(&configured, &user.id),
        &token,
        r#"{"userPreferredMethodForSecondaryAuthentication":"push"}"#,
    )
    .await;
    assert_eq!(answer.status, 409);
    assert_eq!(answer.error_code(), "methodNotRegistered");
    assert_eq!(
        answer.error_message(),
        format!("Method push missing for {}", user.id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_bodies_get_400_naming_the_problem() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(7).unwrap();
    let before = emulator.user(&user.id).unwrap().state;
    let url = prefs_url(&emulator, &user.id);
    let cases: [(&str, &str); 9] = [
        (
            r#"{"userPreferredMethodForSecondaryAuthentication":"carrierPigeon"}"#,
            "carrierPigeon",
        ),
        (
            r#"{"userPreferredMethodForSecondaryAuthentication":"Push"}"#,
            "Push",
        ),
        (
            r#"{"userPreferredMethodForSecondaryAuthentication":null}"#,
            "null",
        ),
        (
            r#"{"isSystemPreferredAuthenticationMethodEnabled":"yes"}"#,
            "boolean",
        ),
        (
            r#"{"userPreferredMethodForSecondaryAuthentication":3}"#,
            "integer",
        ),
        (r#"{"favouriteColour":"blue"}"#, "favouriteColour"),
        (
            r#"{"systemPreferredAuthenticationMethod":"Sms"}"#,
            "read-only",
        ),
        (
            r#"{"userPreferredMethodForSecondaryAuthentication":"sms""#,
            "Unable to read JSON",
        ),
        ("", "Empty Payload"),
    ];
    for (body, expected) in cases {
        let answer = patch(&url, &token, body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.error_code(), "BadRequest", "{body}");
        assert!(
            answer.error_message().contains(expected),
            "{body}: {}",
            answer.error_message()
        );
        assert!(
            !answer.error_message().contains(" at line "),
            "no serde positions: {}",
            answer.error_message()
        );
        answer.assert_correlated();
    }
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let answer = send(
            Method::PATCH,
            &url,
            Some(&token),
            Some((
                content_type,
                r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
            )),
            &[],
        )
        .await;
        assert_eq!(answer.status, 415, "{content_type}");
        answer.assert_correlated();
    }
    let answer = send(Method::PATCH, &url, Some(&token), None, &[]).await;
    assert_eq!(answer.status, 415, "no content type at all");
    assert_eq!(
        emulator.user(&user.id).unwrap().state,
        before,
        "no refused PATCH changed anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_paths_and_methods() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let missing = signin_prefs_emulator::unknown_object_id(1);
    for key in [missing.as_str(), "nobody@contoso.onmicrosoft.com"] {
        let answer = get(&prefs_url(&emulator, key), &token).await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.error_code(), "Request_ResourceNotFound");
        assert!(answer.error_message().contains(key));
        answer.assert_correlated();
        let answer = patch(
            &prefs_url(&emulator, key),
            &token,
            r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
        )
        .await;
        assert_eq!(answer.status, 404);
    }
    let user = emulator.user_at(0).unwrap();
    let v1 = format!(
        "{}/v1.0/users/{}/authentication/signInPreferences",
        emulator.base_url(),
        user.id
    );
    let answer = get(&v1, &token).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "BadRequest");
    assert!(answer.error_message().contains("signInPreferences"));
    answer.assert_correlated();

    let dollar = format!(
        "{}/users/$adele@contoso.onmicrosoft.com/authentication/signInPreferences",
        emulator.graph_url()
    );
    assert_eq!(get(&dollar, &token).await.status, 400);

    let answer = send(
        Method::DELETE,
        &prefs_url(&emulator, &user.id),
        Some(&token),
        None,
        &[],
    )
    .await;
    assert_eq!(answer.status, 405);
    answer.assert_correlated();
    let answer = get(
        &format!(
            "{}/users/{}/authentication/nothingHere",
            emulator.graph_url(),
            user.id
        ),
        &token,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.error_message().contains("nothingHere"));

    let configured =
        start(quiet().unknown_user(ConfiguredError::new(404, "itemNotFound", "No user {key}.")))
            .await;
    let answer = get(
        &prefs_url(&configured, "ghost@x"),
        &admin_token(&configured),
    )
    .await;
    assert_eq!(
        (answer.status, answer.error_code(), answer.error_message()),
        (
            404,
            "itemNotFound".to_owned(),
            "No user ghost@x.".to_owned()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_request_id_is_echoed_on_every_answer() {
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(0).unwrap();
    let ours = "0f3b6a4e-2d6e-4c1d-9a2b-7f4e8c9d1a2b";
    let cases = [
        (Method::GET, prefs_url(&emulator, &user.id), None),
        (
            Method::PATCH,
            prefs_url(&emulator, &user.id),
            Some((
                "application/json",
                r#"{"isSystemPreferredAuthenticationMethodEnabled":true}"#,
            )),
        ),
        (
            Method::PATCH,
            prefs_url(&emulator, &user.id),
            Some(("application/json", "{")),
        ),
        (Method::GET, prefs_url(&emulator, "ghost@x"), None),
    ];
    let mut request_ids = Vec::new();
    for (method, url, body) in cases {
        let answer = send(
            method,
            &url,
            Some(&token),
            body,
            &[("client-request-id", ours)],
        )
        .await;
        assert_eq!(answer.header("client-request-id").as_deref(), Some(ours));
        if answer.status >= 400 {
            assert_eq!(
                answer.json()["error"]["innerError"]["client-request-id"],
                ours
            );
        }
        request_ids.push(answer.header("request-id").unwrap());
    }
    let unauthenticated = send(
        Method::GET,
        &prefs_url(&emulator, &user.id),
        None,
        None,
        &[("client-request-id", ours)],
    )
    .await;
    assert_eq!(
        unauthenticated.header("client-request-id").as_deref(),
        Some(ours)
    );
    request_ids.sort();
    request_ids.dedup();
    assert_eq!(request_ids.len(), 4, "each answer has its own request-id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_reads_and_sets_state_and_mints_tokens() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(2).unwrap();
    let admin = format!("{}/_emulator", emulator.base_url());
    let by_upn = format!("{admin}/users/{}", segment(&user.user_principal_name));
    let read = send(Method::GET, &by_upn, None, None, &[]).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["id"], user.id.as_str());
    assert_eq!(
        send(
            Method::GET,
            &format!("{admin}/users?index=2"),
            None,
            None,
            &[]
        )
        .await
        .json()["id"],
        user.id.as_str()
    );

    let change = r#"{"methods":["officePhone"],"userPreferredMethodForSecondaryAuthentication":"voiceOffice","isSystemPreferredAuthenticationMethodEnabled":null}"#;
    let set = send(
        Method::PATCH,
        &by_upn,
        None,
        Some(("application/json", change)),
        &[],
    )
    .await;
    assert_eq!(set.status, 200, "{}", String::from_utf8_lossy(&set.body));
    let state = emulator.user(&user.id).unwrap().state;
    assert_eq!(state.methods.methods(), [AuthMethod::OfficePhone]);
    assert_eq!(state.preferred, Some(Preferred::VoiceOffice));
    assert_eq!(state.system_preferred_enabled, None);
    let refused = send(
        Method::PATCH,
        &by_upn,
        None,
        Some(("application/json", r#"{"methods":["fax"]}"#)),
        &[],
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        send(
            Method::GET,
            &format!("{admin}/users/nobody"),
            None,
            None,
            &[]
        )
        .await
        .status,
        404
    );

    let minted = send(
        Method::POST,
        &format!("{admin}/tokens"),
        None,
        Some((
            "application/json",
            r#"{"roles":["UserAuthenticationMethod.Read.All"]}"#,
        )),
        &[],
    )
    .await;
    let token = minted.json()["access_token"].as_str().unwrap().to_owned();
    let body = get(&prefs_url(&emulator, &user.id), &token).await.json();
    assert_eq!(
        body["userPreferredMethodForSecondaryAuthentication"],
        "voiceOffice"
    );
    assert_eq!(
        patch(&prefs_url(&emulator, &user.id), &token, "{}")
            .await
            .status,
        403,
        "a read role cannot write"
    );

    let added = send(
        Method::POST,
        &format!("{admin}/users"),
        None,
        Some((
            "application/json",
            r#"{"userPrincipalName":"new.user@contoso.onmicrosoft.com","methods":["mobilePhone"]}"#,
        )),
        &[],
    )
    .await;
    assert_eq!(added.status, 201);
    assert!(emulator.user("NEW.USER@contoso.onmicrosoft.com").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpublished_validation_choices_are_configurable() {
    let emulator = start(
        quiet()
            .case_insensitive_enum_values(true)
            .ignore_read_only_properties(true),
    )
    .await;
    let token = admin_token(&emulator);
    let user = emulator.user_at(8).unwrap();
    emulator.set_user_state(&user.id, sms_only()).unwrap();
    let url = prefs_url(&emulator, &user.id);
    let answer = patch(
        &url,
        &token,
        r#"{"userPreferredMethodForSecondaryAuthentication":"VOICEMOBILE","systemPreferredAuthenticationMethod":"Sms"}"#,
    )
    .await;
    assert_eq!(
        answer.status,
        204,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(
        emulator.user(&user.id).unwrap().state.preferred,
        Some(Preferred::VoiceMobile)
    );
    // Still strict about what no setting makes valid.
    let answer = patch(
        &url,
        &token,
        r#"{"userPreferredMethodForSecondaryAuthentication":"fax"}"#,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.error_message().contains("fax"));
}
