//! Generators for the property tests: resources, patches, enum values, JSON, user keys.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use signin_prefs_core::{NonNullPatch, Patch};
use signin_prefs_model::{
    SignInPreferences, SignInPreferencesPatch, UserDefaultAuthenticationMethodType as Method,
};

/// A spec member, most of the time; otherwise any string (which may happen to be a member).
pub(crate) fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        3 => known_method(),
        1 => any::<String>().prop_map(|s| Method::from_wire(&s)),
        1 => "[a-zA-Z]{1,12}".prop_map(|s| Method::from_wire(&s)),
    ]
}

/// One of the spec's members.
pub(crate) fn known_method() -> impl Strategy<Value = Method> {
    proptest::sample::select(Method::MEMBERS).prop_map(Method::from_wire)
}

/// Any JSON value, floats and unicode included.
pub(crate) fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Properties the spec does not list: OData annotations, the real service's read-only extra, and
/// arbitrary names.
pub(crate) fn additional_properties() -> impl Strategy<Value = BTreeMap<String, Value>> {
    let key = prop_oneof![
        Just("@odata.context".to_owned()),
        Just("@odata.type".to_owned()),
        Just("systemPreferredAuthenticationMethod".to_owned()),
        any::<String>(),
    ]
    .prop_filter(
        "listed properties are fields, not additional properties",
        |key| !SignInPreferences::PROPERTIES.contains(&key.as_str()),
    );
    prop::collection::btree_map(key, json(), 0..4)
}

pub(crate) fn resource() -> impl Strategy<Value = SignInPreferences> {
    (
        any::<Option<bool>>(),
        proptest::option::of(method()),
        additional_properties(),
    )
        .prop_map(|(system_preferred, preferred_method, additional)| {
            let mut resource = SignInPreferences::default();
            resource.is_system_preferred_authentication_method_enabled = system_preferred;
            resource.user_preferred_method_for_secondary_authentication = preferred_method;
            resource.additional_properties = additional;
            resource
        })
}

pub(crate) fn patch_field<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Patch<T>> {
    prop_oneof![
        Just(Patch::Absent),
        Just(Patch::Null),
        value.prop_map(Patch::Value)
    ]
}

pub(crate) fn non_null_patch_field<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = NonNullPatch<T>> {
    prop_oneof![
        Just(NonNullPatch::Absent),
        value.prop_map(NonNullPatch::Value)
    ]
}

/// A patch whose enum values may be unknown to this build (as a caller may send on purpose).
pub(crate) fn patch() -> impl Strategy<Value = SignInPreferencesPatch> {
    patch_with(method())
}

/// A patch holding only spec members: what strict deserialization accepts.
pub(crate) fn valid_patch() -> impl Strategy<Value = SignInPreferencesPatch> {
    patch_with(known_method())
}

fn patch_with(
    method: impl Strategy<Value = Method>,
) -> impl Strategy<Value = SignInPreferencesPatch> {
    (patch_field(any::<bool>()), non_null_patch_field(method)).prop_map(
        |(system_preferred, preferred_method)| {
            let mut patch = SignInPreferencesPatch::default();
            patch.is_system_preferred_authentication_method_enabled = system_preferred;
            patch.user_preferred_method_for_secondary_authentication = preferred_method;
            patch
        },
    )
}

/// User keys: object ids, ordinary and guest UPNs, and hostile strings.
pub(crate) fn user_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[a-z.']{1,10}@[a-z]{1,8}\\.com",
        "[a-z]{1,8}_[a-z]{1,8}\\.com#EXT#@[a-z]{1,8}\\.onmicrosoft\\.com",
        "\\$[a-z]{1,8}@[a-z]{1,8}\\.com",
        Just(".".to_owned()),
        Just("..".to_owned()),
        "[/?#%&=+ '$().\\\\@:;,\\[\\]]{1,8}",
        any::<String>(),
    ]
    .prop_filter("a key is not empty", |key| !key.is_empty())
}
