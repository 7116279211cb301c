//! Laws of the JSON forms: resources and patches round-trip, reads are lenient, patch input is strict.

use proptest::prelude::*;
use serde_json::{Value, json};
use signin_prefs_core::{NonNullPatch, Patch};
use signin_prefs_model::{
    ODataError, SignInPreferences, SignInPreferencesPatch,
    UserDefaultAuthenticationMethodType as Method,
};

use crate::strategies::*;

proptest! {
    #[test]
    fn resource_round_trips_as_struct_and_as_value(resource in resource()) {
        let value = serde_json::to_value(&resource).unwrap();
        let read: SignInPreferences = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(&read, &resource);
        prop_assert_eq!(serde_json::to_value(&read).unwrap(), value);
        // Text and value paths agree.
        let text = serde_json::to_string(&resource).unwrap();
        prop_assert_eq!(serde_json::from_str::<SignInPreferences>(&text).unwrap(), resource);
    }

    #[test]
    fn patch_round_trips_as_struct_and_as_value(patch in valid_patch()) {
        let value = serde_json::to_value(&patch).unwrap();
        let read: SignInPreferencesPatch = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(&read, &patch);
        prop_assert_eq!(serde_json::to_value(&read).unwrap(), value);
    }

    #[test]
    fn patch_sends_exactly_the_present_fields(patch in patch()) {
        let value = serde_json::to_value(&patch).unwrap();
        let object = value.as_object().unwrap();
        let system = &patch.is_system_preferred_authentication_method_enabled;
        let method = &patch.user_preferred_method_for_secondary_authentication;
        prop_assert_eq!(object.contains_key("isSystemPreferredAuthenticationMethodEnabled"), !system.is_absent());
        prop_assert_eq!(object.contains_key("userPreferredMethodForSecondaryAuthentication"), !method.is_absent());
        if let Patch::Null = system {
            prop_assert_eq!(&object["isSystemPreferredAuthenticationMethodEnabled"], &Value::Null);
        }
        prop_assert!(object.keys().all(|key| !key.starts_with('@')), "no annotation is ever sent");
    }

    #[test]
    fn json_object_round_trips_through_the_resource(
        system in proptest::option::of(any::<bool>()),
        method in proptest::option::of(any::<String>()),
        additional in additional_properties(),
    ) {
        let mut object: serde_json::Map<String, Value> = additional.into_iter().collect();
        if let Some(system) = system {
            object.insert("isSystemPreferredAuthenticationMethodEnabled".into(), system.into());
        }
        if let Some(method) = method {
            object.insert("userPreferredMethodForSecondaryAuthentication".into(), method.into());
        }
        let value = Value::Object(object);
        let resource: SignInPreferences = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&resource).unwrap(), value);
    }

    #[test]
    fn arbitrary_json_never_panics_the_readers(value in json()) {
        let text = value.to_string();
        let _ = serde_json::from_str::<SignInPreferences>(&text);
        let _ = serde_json::from_str::<SignInPreferencesPatch>(&text);
        let _ = serde_json::from_str::<ODataError>(&text);
        let _ = serde_json::from_str::<Method>(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_readers(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = serde_json::from_slice::<SignInPreferences>(&bytes);
        let _ = serde_json::from_slice::<SignInPreferencesPatch>(&bytes);
        let _ = serde_json::from_slice::<ODataError>(&bytes);
    }
}

#[test]
fn null_on_a_listed_property_reads_as_none() {
    let resource: SignInPreferences = serde_json::from_value(json!({
        "isSystemPreferredAuthenticationMethodEnabled": null,
        "userPreferredMethodForSecondaryAuthentication": null,
    }))
    .unwrap();
    assert_eq!(resource, SignInPreferences::default());
}

#[test]
fn read_keeps_annotations_and_the_services_read_only_extra() {
    let body = json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#users('071cc716-8147-4397-a5ba-b2105951cc0b')/authentication/signInPreferences",
        "isSystemPreferredAuthenticationMethodEnabled": true,
        "userPreferredMethodForSecondaryAuthentication": "push",
        "systemPreferredAuthenticationMethod": "Fido2",
    });
    let resource: SignInPreferences = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(
        resource.is_system_preferred_authentication_method_enabled,
        Some(true)
    );
    assert_eq!(
        resource.user_preferred_method_for_secondary_authentication,
        Some(Method::Push)
    );
    // The service's read-only extra is kept: as an additional property while the spec does not
    // list it, as its own field once it does; written back unchanged either way.
    let extra = "systemPreferredAuthenticationMethod";
    if SignInPreferences::PROPERTIES.contains(&extra) {
        assert!(!resource.additional_properties.contains_key(extra));
    } else {
        assert_eq!(resource.additional_properties[extra], "Fido2");
    }
    assert!(
        resource
            .additional_properties
            .contains_key("@odata.context")
    );
    assert_eq!(serde_json::to_value(&resource).unwrap(), body);
}

#[test]
fn a_patch_never_carries_what_was_read() {
    // Read-modify-write: the annotation and the read-only extra must not be echoed back.
    let current: SignInPreferences = serde_json::from_value(json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#users('x')/authentication/signInPreferences",
        "userPreferredMethodForSecondaryAuthentication": "sms",
        "systemPreferredAuthenticationMethod": "Sms",
    }))
    .unwrap();
    let mut desired = current.clone();
    desired.user_preferred_method_for_secondary_authentication = Some(Method::Push);
    let patch = signin_prefs_core::diff(&current, &desired).unwrap();
    assert_eq!(
        serde_json::to_string(&patch).unwrap(),
        r#"{"userPreferredMethodForSecondaryAuthentication":"push"}"#
    );
}

#[test]
fn patch_input_errors_name_what_is_wrong() {
    let error = |body: Value| {
        serde_json::from_value::<SignInPreferencesPatch>(body)
            .unwrap_err()
            .to_string()
    };

    let unknown_property = error(json!({"userPreferredMethod": "push"}));
    assert!(
        unknown_property.contains("unknown property `userPreferredMethod`"),
        "{unknown_property}"
    );
    assert!(
        unknown_property.contains("isSystemPreferredAuthenticationMethodEnabled"),
        "{unknown_property}"
    );

    let null_method = error(json!({"userPreferredMethodForSecondaryAuthentication": null}));
    assert!(null_method.contains("null is not allowed"), "{null_method}");

    let bad_member = error(json!({"userPreferredMethodForSecondaryAuthentication": "voice"}));
    assert!(bad_member.contains("\"voice\""), "{bad_member}");
    assert!(bad_member.contains("voiceMobile"), "{bad_member}");

    let wrong_case = error(json!({"userPreferredMethodForSecondaryAuthentication": "Push"}));
    assert!(wrong_case.contains("\"Push\""), "{wrong_case}");

    let wrong_type = error(json!({"isSystemPreferredAuthenticationMethodEnabled": "yes"}));
    assert!(wrong_type.contains("invalid type"), "{wrong_type}");
}

#[test]
fn patch_input_accepts_annotations_and_null_where_allowed() {
    let patch: SignInPreferencesPatch = serde_json::from_value(json!({
        "@odata.type": "#microsoft.graph.signInPreferences",
        "isSystemPreferredAuthenticationMethodEnabled": null,
    }))
    .unwrap();
    assert_eq!(
        patch.is_system_preferred_authentication_method_enabled,
        Patch::Null
    );
    assert_eq!(
        patch.user_preferred_method_for_secondary_authentication,
        NonNullPatch::Absent
    );
    assert_eq!(
        serde_json::to_string(&patch).unwrap(),
        r#"{"isSystemPreferredAuthenticationMethodEnabled":null}"#
    );
}

#[test]
fn an_absent_field_alone_has_no_json_form() {
    assert!(serde_json::to_string(&Patch::<bool>::Absent).is_err());
    assert!(serde_json::to_string(&NonNullPatch::<bool>::Absent).is_err());
    assert_eq!(serde_json::to_string(&Patch::<bool>::Null).unwrap(), "null");
    assert_eq!(serde_json::to_string(&Patch::Value(true)).unwrap(), "true");
}

#[test]
fn error_envelope_reads_with_or_without_its_parts() {
    let full: ODataError = serde_json::from_value(json!({
        "error": {
            "code": "Request_ResourceNotFound",
            "message": "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
            "innerError": {
                "date": "2024-10-01T12:00:00",
                "request-id": "5e4d3a2b-1c0f-4e9d-8c7b-6a5f4e3d2c1b",
                "client-request-id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
            }
        }
    }))
    .unwrap();
    assert_eq!(full.code(), Some("Request_ResourceNotFound"));
    assert_eq!(
        full.request_id(),
        Some("5e4d3a2b-1c0f-4e9d-8c7b-6a5f4e3d2c1b")
    );
    assert_eq!(
        full.client_request_id(),
        Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    );
    assert_eq!(full.date(), Some("2024-10-01T12:00:00"));

    let partial: ODataError =
        serde_json::from_value(json!({"error": {"code": "accessDenied"}})).unwrap();
    assert_eq!(partial.code(), Some("accessDenied"));
    assert_eq!(partial.message(), None);
    assert_eq!(partial.request_id(), None);
    assert_eq!(partial.to_string(), "accessDenied");
}
