//! The generator's generality proof: code generated from whole fragments of Graph's description
//! (65 operations, 55 schemas, actions, a function) compiles, builds requests and round-trips
//! payloads.

use serde_json::{Value, json};
use signin_prefs_graph_fragments::generated::user_authentication::{model, request};
use signin_prefs_graph_fragments::generated::user_authentication_actions::request as actions;
use signin_prefs_graph_fragments::generated::user_authentication_functions::{
    model as function_model, request as functions,
};
use signin_prefs_request::Operation;

/// Reads `value` as `T` and writes it back; the JSON must come back unchanged.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value) -> T {
    let read: T = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), value);
    read
}

#[test]
fn sample_payloads_round_trip() {
    let authentication: model::Authentication = round_trip(json!({
        "id": "auth",
        "signInPreferences": {"isSystemPreferredAuthenticationMethodEnabled": true, "userPreferredMethodForSecondaryAuthentication": "push"},
        "methods": [
            {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "f", "displayName": "YubiKey 5",
             "aaGuid": "cb69481e-8ff7-4039-93ec-0a2729a154a8", "attestationCertificates": ["abc"], "attestationLevel": "attested",
             "model": "YubiKey 5 NFC", "createdDateTime": "2024-01-02T03:04:05Z"},
            {"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod", "id": "t", "isUsableOnce": true,
             "lifetimeInMinutes": 60, "methodUsabilityReason": "EnabledByPolicy", "startDateTime": "2024-01-02T03:04:05Z"},
            {"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": "e", "emailAddress": "kim@contoso.com"}
        ],
        "operations": [{"id": "op", "status": "running", "createdDateTime": "2024-01-02T03:04:05Z"}]
    }));
    let methods = authentication.methods.unwrap();
    assert!(matches!(
        methods[0],
        model::AnyAuthenticationMethod::Fido2AuthenticationMethod(_)
    ));
    assert!(matches!(
        methods[1],
        model::AnyAuthenticationMethod::TemporaryAccessPassAuthenticationMethod(_)
    ));
    assert!(matches!(
        methods[2],
        model::AnyAuthenticationMethod::EmailAuthenticationMethod(_)
    ));

    let options: function_model::WebauthnCredentialCreationOptions = round_trip(json!({
        "challengeTimeoutDateTime": "2024-01-02T03:14:05Z",
        "publicKey": {
            "challenge": "Y2hhbGxlbmdl", "timeout": 300000, "attestation": "direct",
            "rp": {"id": "login.microsoft.com", "name": "Microsoft"},
            "user": {"id": "dXNlcg", "name": "kim@contoso.com", "displayName": "Kim"},
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
            "excludeCredentials": [],
            "authenticatorSelection": {"authenticatorAttachment": "cross-platform", "requireResidentKey": true, "userVerification": "required"},
            "extensions": {"hmacCreateSecret": true}
        }
    }));
    assert!(options.public_key.is_some());
}

#[test]
fn every_kind_of_operation_builds_its_request() {
    let user = "kim@contoso.com";
    let get = request::GetPhoneMethod::new(user, "3179e48a-750b-4051-897c-87b9720928f7")
        .to_request()
        .unwrap();
    assert_eq!(
        get.path_and_query(),
        "/beta/users/kim@contoso.com/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7"
    );

    let count = request::UserAuthenticationMethodGetCount::new(user)
        .to_request()
        .unwrap();
    assert_eq!(
        count.path_and_query(),
        "/beta/users/kim@contoso.com/authentication/methods/$count"
    );
    assert_eq!(
        request::UserAuthenticationMethodGetCount::decode_response(200, b"7").unwrap(),
        "7"
    );

    let mut delete = request::DeleteEmailMethod::new(user, "e");
    delete.if_match = Some("W/\"1\"".into());
    let delete = delete.to_request().unwrap();
    assert_eq!(delete.method, http::Method::DELETE);
    assert_eq!(delete.headers["if-match"], "W/\"1\"");

    let action = actions::EnableSmsSignIn::new(user, "3179e48a")
        .to_request()
        .unwrap();
    assert_eq!(action.method, http::Method::POST);
    assert_eq!(
        action.path_and_query(),
        "/beta/users/kim@contoso.com/authentication/methods/3179e48a/microsoft.graph.enableSmsSignIn"
    );

    let function = functions::CreationOption::new(user, 10)
        .to_request()
        .unwrap();
    assert_eq!(
        function.path_and_query(),
        "/beta/users/kim@contoso.com/authentication/fido2Methods/microsoft.graph.creationOptions(challengeTimeoutInMinutes=@challengeTimeoutInMinutes)?@challengeTimeoutInMinutes=10"
    );
}
