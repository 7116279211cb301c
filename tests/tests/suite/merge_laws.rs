//! Laws of sparse merge and minimal diff, for the generated resource and its patch.

use proptest::prelude::*;
use serde_json::Value;
use signin_prefs_core::{Error, NonNullPatch, Patch, SparsePatch, apply, diff};
use signin_prefs_model::{SignInPreferences, SignInPreferencesPatch};

use crate::strategies::*;

/// The writable properties, the part of a resource a PATCH can reach.
fn writable(resource: &SignInPreferences) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        &resource.is_system_preferred_authentication_method_enabled,
        &resource.user_preferred_method_for_secondary_authentication,
    )
}

/// The service's rule on the wire: each key of the body replaces the stored value, `null` removes it.
fn merge_on_the_wire(resource: &SignInPreferences, patch: &SignInPreferencesPatch) -> Value {
    let mut stored = serde_json::to_value(resource).unwrap();
    let body = serde_json::to_value(patch).unwrap();
    let stored_object = stored.as_object_mut().unwrap();
    for (key, value) in body.as_object().unwrap() {
        if value.is_null() {
            stored_object.remove(key);
        } else {
            stored_object.insert(key.clone(), value.clone());
        }
    }
    stored
}

proptest! {
    #[test]
    fn an_empty_patch_changes_nothing(resource in resource()) {
        let empty = SignInPreferencesPatch::default();
        prop_assert!(empty.is_empty());
        prop_assert_eq!(apply(resource.clone(), &empty), resource);
    }

    #[test]
    fn applying_twice_equals_applying_once(resource in resource(), patch in patch()) {
        let once = apply(resource, &patch);
        prop_assert_eq!(apply(once.clone(), &patch), once);
    }

    #[test]
    fn typed_merge_equals_the_wire_rule(resource in resource(), patch in patch()) {
        let merged = apply(resource.clone(), &patch);
        prop_assert_eq!(serde_json::to_value(&merged).unwrap(), merge_on_the_wire(&resource, &patch));
    }

    #[test]
    fn merge_keeps_what_a_patch_cannot_reach(resource in resource(), patch in patch()) {
        let merged = apply(resource.clone(), &patch);
        prop_assert_eq!(merged.additional_properties, resource.additional_properties);
    }

    #[test]
    fn diff_then_apply_reaches_the_target(current in resource(), desired in resource()) {
        let clears_method = desired.user_preferred_method_for_secondary_authentication.is_none()
            && current.user_preferred_method_for_secondary_authentication.is_some();
        match diff(&current, &desired) {
            Ok(patch) => {
                prop_assert!(!clears_method);
                let reached = apply(current.clone(), &patch);
                prop_assert_eq!(writable(&reached), writable(&desired));
                prop_assert!(diff(&reached, &desired).unwrap().is_empty());
                // Smallest: a field is sent exactly when it differs.
                prop_assert_eq!(
                    !patch.is_system_preferred_authentication_method_enabled.is_absent(),
                    current.is_system_preferred_authentication_method_enabled
                        != desired.is_system_preferred_authentication_method_enabled
                );
                prop_assert_eq!(
                    !patch.user_preferred_method_for_secondary_authentication.is_absent(),
                    current.user_preferred_method_for_secondary_authentication
                        != desired.user_preferred_method_for_secondary_authentication
                );
            }
            Err(error) => {
                prop_assert!(clears_method);
                prop_assert_eq!(
                    error,
                    Error::CannotClearNonNullable { property: "userPreferredMethodForSecondaryAuthentication" }
                );
            }
        }
    }

    #[test]
    fn diff_of_a_resource_with_itself_is_empty(resource in resource()) {
        prop_assert!(diff(&resource, &resource).unwrap().is_empty());
    }

    #[test]
    fn null_clears(resource in resource()) {
        let mut patch = SignInPreferencesPatch::default();
        patch.is_system_preferred_authentication_method_enabled = Patch::Null;
        let merged = apply(resource, &patch);
        prop_assert_eq!(merged.is_system_preferred_authentication_method_enabled, None);
    }

    #[test]
    fn a_value_sets(resource in resource(), flag in any::<bool>(), method in method()) {
        let mut patch = SignInPreferencesPatch::default();
        patch.is_system_preferred_authentication_method_enabled = Patch::Value(flag);
        patch.user_preferred_method_for_secondary_authentication = NonNullPatch::Value(method.clone());
        let merged = apply(resource, &patch);
        prop_assert_eq!(merged.is_system_preferred_authentication_method_enabled, Some(flag));
        prop_assert_eq!(merged.user_preferred_method_for_secondary_authentication, Some(method));
    }
}

#[test]
fn clearing_a_non_nullable_property_is_refused_with_its_name() {
    let mut current = SignInPreferences::default();
    current.user_preferred_method_for_secondary_authentication = Some("sms".parse().unwrap());
    let error = diff(&current, &SignInPreferences::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("userPreferredMethodForSecondaryAuthentication"),
        "{error}"
    );
}
