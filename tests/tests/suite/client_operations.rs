//! Typed operations by object id and UPN, the raw escape hatch, and an operation the client has
//! never heard of, sent through the same generic path.

use signin_prefs_client::ErrorKind;
use signin_prefs_model::{
    NonNullPatch, Patch, SignInPreferencesPatch, UserDefaultAuthenticationMethodType,
};
use signin_prefs_request::{GraphRequest, Method, Operation, PathBuilder};

use crate::client_support::{client_for, quiet, start};

#[tokio::test]
async fn get_and_update_by_object_id_and_by_upn() {
    let emulator = start(quiet()).await;
    let user = emulator
        .find_user(|record| record.state.methods.methods().len() >= 2)
        .expect("a user with two methods");
    let client = client_for(&emulator).build().unwrap();
    let by_id = client.get_sign_in_preferences(&user.id).await.unwrap();
    let by_upn = client
        .get_sign_in_preferences(&user.user_principal_name)
        .await
        .unwrap();
    assert_eq!(
        by_id.user_preferred_method_for_secondary_authentication,
        by_upn.user_preferred_method_for_secondary_authentication
    );
    let mut patch = SignInPreferencesPatch::default();
    let flipped = !user.state.system_preferred_enabled.unwrap_or(false);
    patch.is_system_preferred_authentication_method_enabled = Patch::Value(flipped);
    client
        .update_sign_in_preferences(&user.user_principal_name, patch)
        .await
        .unwrap();
    let after = client.get_sign_in_preferences(&user.id).await.unwrap();
    assert_eq!(
        after.is_system_preferred_authentication_method_enabled,
        Some(flipped)
    );
}

#[tokio::test]
async fn an_unregistered_default_method_is_a_validation_error() {
    let emulator = start(quiet()).await;
    let oath = "oath"
        .parse::<UserDefaultAuthenticationMethodType>()
        .unwrap();
    let user = emulator
        .find_user(|record| !record.state.methods.supports(&oath))
        .expect("a seeded user without an OATH-capable method");
    let client = client_for(&emulator).build().unwrap();
    let mut patch = SignInPreferencesPatch::default();
    patch.user_preferred_method_for_secondary_authentication = NonNullPatch::Value(oath);
    let error = client
        .update_sign_in_preferences(&user.id, patch)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation, "{error}");
    assert_eq!(error.code(), Some("BadRequest"));
}

#[tokio::test]
async fn the_raw_escape_hatch_sends_any_json_body() {
    let emulator = start(quiet()).await;
    let user = emulator.user_at(0).unwrap();
    let client = client_for(&emulator).build().unwrap();
    let response = client
        .update_sign_in_preferences_json(
            &user.user_principal_name,
            &serde_json::json!({"isSystemPreferredAuthenticationMethodEnabled": true}),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(
        emulator
            .user(&user.id)
            .unwrap()
            .state
            .system_preferred_enabled,
        Some(true)
    );
    // A property this build does not know reaches the service, which judges it.
    let error = client
        .update_sign_in_preferences_json(&user.id, &serde_json::json!({"someFutureProperty": "x"}))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(
        error
            .message()
            .unwrap_or_default()
            .contains("someFutureProperty"),
        "{error}"
    );
}

/// An operation defined outside the generated crate, as a newer generator would emit it.
struct ListMethods {
    user: String,
}

impl Operation for ListMethods {
    type Output = serde_json::Value;
    const OPERATION_ID: &'static str = "test.listMethods";
    const METHOD: Method = Method::GET;
    const PATH_TEMPLATE: &'static str = "/users/{user-id}/authentication/methods";

    fn to_request(&self) -> Result<GraphRequest, signin_prefs_request::Error> {
        let mut path = PathBuilder::new(signin_prefs_request::API_BASE_PATH);
        path.push_literal("users");
        path.push_key("user-id", &self.user)?;
        path.push_literal("authentication");
        path.push_literal("methods");
        Ok(GraphRequest::new(Self::METHOD, path.finish()))
    }

    fn decode_response(
        status: u16,
        body: &[u8],
    ) -> Result<Self::Output, signin_prefs_request::Error> {
        signin_prefs_request::decode::json(Self::OPERATION_ID, status, body)
    }
}

#[tokio::test]
async fn any_operation_goes_through_the_generic_send_and_batch() {
    let emulator = start(quiet()).await;
    let client = client_for(&emulator).build().unwrap();
    let user = emulator.user_at(3).unwrap();
    let methods = client
        .send(&ListMethods {
            user: user.id.clone(),
        })
        .await
        .unwrap();
    assert!(methods["value"].is_array(), "{methods}");
    let batch = client
        .batch(&[
            ListMethods {
                user: user.id.clone(),
            },
            ListMethods {
                user: user.user_principal_name.clone(),
            },
        ])
        .await;
    // By id and by UPN: the same methods (the context URL echoes the key, so it differs).
    assert_eq!(batch[0].result.as_ref().unwrap()["value"], methods["value"]);
    assert_eq!(batch[1].result.as_ref().unwrap()["value"], methods["value"]);
}
