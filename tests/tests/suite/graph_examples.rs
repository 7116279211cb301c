//! Graph's documented examples, reproduced exactly, and the response shapes the service sends.

use serde_json::json;
use signin_prefs_core::NonNullPatch;
use signin_prefs_model::{
    SignInPreferences, SignInPreferencesPatch, UserDefaultAuthenticationMethodType as Method,
};
use signin_prefs_request::{Error, GetSignInPreference, Operation, UpdateSignInPreference};

const USER: &str = "071cc716-8147-4397-a5ba-b2105951cc0b";

#[test]
fn documented_patch_example_holds_exactly() {
    // https://learn.microsoft.com/graph/api/authentication-update?view=graph-rest-beta, example 1.
    let mut patch = SignInPreferencesPatch::default();
    patch.user_preferred_method_for_secondary_authentication = NonNullPatch::Value(Method::Oath);
    let request = UpdateSignInPreference::new(USER, patch)
        .to_request()
        .unwrap();

    assert_eq!(request.method, http::Method::PATCH);
    assert_eq!(
        request.path_and_query(),
        format!("/beta/users/{USER}/authentication/signInPreferences")
    );
    assert_eq!(
        request.url("https://graph.microsoft.com"),
        format!("https://graph.microsoft.com/beta/users/{USER}/authentication/signInPreferences")
    );
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(
        std::str::from_utf8(request.body.as_deref().unwrap()).unwrap(),
        r#"{"userPreferredMethodForSecondaryAuthentication":"oath"}"#
    );

    // HTTP/1.1 204 No Content, no body: success.
    assert_eq!(
        UpdateSignInPreference::decode_response(204, b"").unwrap(),
        None
    );
}

#[test]
fn documented_get_example_decodes() {
    // https://learn.microsoft.com/graph/api/authentication-get?view=graph-rest-beta, example 1.
    let request = GetSignInPreference::new(USER).to_request().unwrap();
    assert_eq!(
        request.url("https://graph.microsoft.com/"),
        format!("https://graph.microsoft.com/beta/users/{USER}/authentication/signInPreferences")
    );
    let body = br#"{
        "isSystemPreferredAuthenticationMethodEnabled": false,
        "userPreferredMethodForSecondaryAuthentication": "push"
    }"#;
    let read = GetSignInPreference::decode_response(200, body).unwrap();
    assert_eq!(
        read.is_system_preferred_authentication_method_enabled,
        Some(false)
    );
    assert_eq!(
        read.user_preferred_method_for_secondary_authentication,
        Some(Method::Push)
    );
}

#[test]
fn a_write_that_answers_with_a_body_still_decodes() {
    let body = serde_json::to_vec(&json!({"userPreferredMethodForSecondaryAuthentication": "sms"}))
        .unwrap();
    let read = UpdateSignInPreference::decode_response(200, &body)
        .unwrap()
        .unwrap();
    assert_eq!(
        read.user_preferred_method_for_secondary_authentication,
        Some(Method::Sms)
    );
}

#[test]
fn a_read_with_unknown_member_and_properties_succeeds() {
    // A member and a property Microsoft can never add (Graph's names are identifiers: no dashes),
    // so the read stays unknown whatever the next description lists.
    let body = br#"{"userPreferredMethodForSecondaryAuthentication":"not-a-member","systemPreferredAuthenticationMethod":"Fido2","not-a-property":{"a":1}}"#;
    let read: SignInPreferences = GetSignInPreference::decode_response(200, body).unwrap();
    let method = read
        .user_preferred_method_for_secondary_authentication
        .unwrap();
    assert!(!method.is_known());
    assert_eq!(method, Method::from_wire("not-a-member"));
    assert_eq!(method.as_str(), "not-a-member");
    assert_eq!(
        read.additional_properties["not-a-property"],
        json!({"a": 1})
    );
}

#[test]
fn error_statuses_decode_into_the_graph_envelope() {
    let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'nobody@contoso.com' does not exist.","innerError":{"date":"2024-10-01T12:00:00","request-id":"r-1","client-request-id":"c-1"}}}"#;
    let error = GetSignInPreference::decode_response(404, body).unwrap_err();
    assert_eq!(error.status(), Some(404));
    let envelope = error.graph_error().unwrap();
    assert_eq!(envelope.code(), Some("Request_ResourceNotFound"));
    assert_eq!(envelope.request_id(), Some("r-1"));
    assert_eq!(envelope.client_request_id(), Some("c-1"));
    assert!(
        error
            .to_string()
            .contains("HTTP 404: Request_ResourceNotFound: Resource"),
        "{error}"
    );

    // A PATCH error decodes the same way.
    let error = UpdateSignInPreference::decode_response(400, br#"{"error":{"code":"badRequest"}}"#)
        .unwrap_err();
    assert_eq!(error.graph_error().unwrap().code(), Some("badRequest"));
}

#[test]
fn error_statuses_without_an_envelope_keep_the_body() {
    let error = GetSignInPreference::decode_response(502, b"<html>Bad Gateway</html>").unwrap_err();
    assert!(matches!(error, Error::UnexpectedStatus { status: 502, .. }));
    assert!(
        error.to_string().contains("<html>Bad Gateway</html>"),
        "{error}"
    );

    let long = vec![b'x'; 10_000];
    let message = GetSignInPreference::decode_response(500, &long)
        .unwrap_err()
        .to_string();
    assert!(
        message.len() < 700,
        "an unexpected body is cut short, not copied whole"
    );
    assert!(message.contains("10000 bytes in all"), "{message}");

    let error = GetSignInPreference::decode_response(503, b"").unwrap_err();
    assert_eq!(error.status(), Some(503));
}

#[test]
fn a_read_without_its_body_or_with_a_bad_one_fails_clearly() {
    let missing = GetSignInPreference::decode_response(204, b"").unwrap_err();
    assert!(
        matches!(missing, Error::MissingBody { status: 204, .. }),
        "{missing}"
    );

    let bad = GetSignInPreference::decode_response(
        200,
        br#"{"isSystemPreferredAuthenticationMethodEnabled":"yes"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(bad, Error::DecodeBody { status: 200, .. }),
        "{bad}"
    );
    assert!(bad.to_string().contains("invalid type"), "{bad}");
}
