//! Laws of request building: a user key is exactly one path segment and changes nothing else.

use proptest::prelude::*;
use signin_prefs_request::{GetSignInPreference, Operation, UpdateSignInPreference};
use url::Url;

use crate::strategies::*;

const ORIGIN: &str = "https://graph.microsoft.com";

fn decode(text: &str) -> String {
    percent_decode(text)
}

fn percent_decode(text: &str) -> String {
    // Url gives segments still encoded; decode them the way the service does.
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match (bytes[index], bytes.get(index + 1..index + 3)) {
            (b'%', Some(hex))
                if std::str::from_utf8(hex).is_ok_and(|h| u8::from_str_radix(h, 16).is_ok()) =>
            {
                out.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap(), 16).unwrap());
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// Reads the user key back out of a parsed URL, whichever form the path uses.
fn key_from(url: &Url) -> String {
    let segments: Vec<&str> = url.path_segments().unwrap().collect();
    match segments.as_slice() {
        ["beta", "users", key, "authentication", "signInPreferences"] => decode(key),
        ["beta", keyed, "authentication", "signInPreferences"] => {
            let literal = keyed
                .strip_prefix("users('")
                .and_then(|rest| rest.strip_suffix("')"))
                .unwrap();
            decode(literal).replace("''", "'")
        }
        other => panic!("unexpected path shape {other:?} in {url}"),
    }
}

proptest! {
    #[test]
    fn a_user_key_is_one_segment_and_alters_nothing_else(key in user_key(), select in proptest::option::of("[a-zA-Z]{1,12}")) {
        let mut operation = GetSignInPreference::new(key.clone());
        if let Some(select) = &select {
            operation.select = vec![select.clone(), "userPreferredMethodForSecondaryAuthentication".into()];
        }
        let request = operation.to_request().unwrap();
        let url = Url::parse(&request.url(ORIGIN)).unwrap();
        prop_assert_eq!(url.host_str(), Some("graph.microsoft.com"));
        prop_assert_eq!(url.fragment(), None);
        prop_assert!(url.path().starts_with("/beta/users"));
        prop_assert_eq!(key_from(&url), key.clone());
        let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let expected: Vec<(String, String)> = select
            .iter()
            .map(|s| ("$select".to_owned(), format!("{s},userPreferredMethodForSecondaryAuthentication")))
            .collect();
        prop_assert_eq!(pairs, expected);

        // The same key in the PATCH gives the same path.
        let patch = UpdateSignInPreference::new(key, Default::default()).to_request().unwrap();
        prop_assert_eq!(patch.path, request.path);
    }
}

fn get_path(key: &str) -> String {
    GetSignInPreference::new(key).to_request().unwrap().path
}

#[test]
fn keys_are_encoded_as_graph_documents() {
    assert_eq!(
        get_path("AdeleVance_adatum.com#EXT#@contoso.com"),
        "/beta/users/AdeleVance_adatum.com%23EXT%23@contoso.com/authentication/signInPreferences"
    );
    assert_eq!(
        get_path("o'brien@contoso.com"),
        "/beta/users/o%27brien@contoso.com/authentication/signInPreferences"
    );
    assert_eq!(
        get_path("$AdeleVance@contoso.com"),
        "/beta/users('%24AdeleVance@contoso.com')/authentication/signInPreferences"
    );
    assert_eq!(
        get_path("$o'neil@contoso.com"),
        "/beta/users('%24o%27%27neil@contoso.com')/authentication/signInPreferences"
    );
    assert_eq!(
        get_path("a/b?c=d#e f%"),
        "/beta/users/a%2Fb%3Fc%3Dd%23e%20f%25/authentication/signInPreferences"
    );
    assert_eq!(
        get_path("zoë@contoso.com"),
        "/beta/users/zo%C3%AB@contoso.com/authentication/signInPreferences"
    );
    assert_eq!(
        get_path(".."),
        "/beta/users('..')/authentication/signInPreferences"
    );
}

#[test]
fn an_empty_key_is_refused() {
    let error = GetSignInPreference::new("").to_request().unwrap_err();
    assert_eq!(error.to_string(), "path parameter `user-id` is empty");
}

#[test]
fn get_request_shape() {
    let request = GetSignInPreference::new("071cc716-8147-4397-a5ba-b2105951cc0b")
        .to_request()
        .unwrap();
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(request.headers["accept"], "application/json");
    assert!(request.body.is_none());
    assert!(request.headers.get("content-type").is_none());
    assert_eq!(
        GetSignInPreference::OPERATION_ID,
        "user.authentication_GetSignInPreference"
    );
    assert_eq!(
        GetSignInPreference::PATH_TEMPLATE,
        "/users/{user-id}/authentication/signInPreferences"
    );
}
