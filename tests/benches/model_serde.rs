//! Model (de)serialization cost: the generated `SignInPreferences`/`SignInPreferencesPatch` against hand-written serde structs (the floor).
//!
//! Run with `cargo bench -p signin-prefs-tests --bench model_serde`, or `bench/peer_serde.sh` to
//! run it next to Microsoft's Python SDK on the same work (see `BENCHMARKS.md`).

// A benchmark's setup checks are allowed to stop the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use serde::{Deserialize, Serialize};
use signin_prefs_core::{NonNullPatch, Patch};
use signin_prefs_model::{
    SignInPreferences, SignInPreferencesPatch, UserDefaultAuthenticationMethodType,
};

/// The GET body the peer (`bench_serde.py`) parses, byte for byte as Python's `json.dumps` writes it.
const GET_JSON: &[u8] = b"{\"@odata.context\": \"https://graph.microsoft.com/beta/$metadata#users('0b2c5e8e-2a3b-4e7b-9a35-7c1b5f0a1d11')/authentication/signInPreferences\", \"isSystemPreferredAuthenticationMethodEnabled\": true, \"userPreferredMethodForSecondaryAuthentication\": \"push\"}";

/// The PATCH body both patch types must produce.
const PATCH_JSON: &str = r#"{"isSystemPreferredAuthenticationMethodEnabled":true,"userPreferredMethodForSecondaryAuthentication":"push"}"#;

/// Floor for parsing: the least a hand-written client would do (unknown properties dropped).
#[derive(Debug, Deserialize)]
struct FloorRead {
    #[serde(rename = "isSystemPreferredAuthenticationMethodEnabled")]
    is_system_preferred_authentication_method_enabled: Option<bool>,
    #[serde(rename = "userPreferredMethodForSecondaryAuthentication")]
    user_preferred_method_for_secondary_authentication: Option<String>,
}

/// Fairer floor for parsing: also keeps unknown properties (`@odata.context`), as the model does.
#[derive(Debug, Deserialize)]
struct FloorReadKeep {
    #[serde(rename = "isSystemPreferredAuthenticationMethodEnabled")]
    is_system_preferred_authentication_method_enabled: Option<bool>,
    #[serde(rename = "userPreferredMethodForSecondaryAuthentication")]
    user_preferred_method_for_secondary_authentication: Option<String>,
    #[serde(flatten)]
    additional_properties: BTreeMap<String, serde_json::Value>,
}

/// Floor for the method enum on the write side.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
enum FloorMethod {
    Push,
}

/// Floor for building and serializing a patch: a plain struct with the two fields.
#[derive(Debug, Clone, Serialize)]
struct FloorPatch {
    #[serde(rename = "isSystemPreferredAuthenticationMethodEnabled")]
    is_system_preferred_authentication_method_enabled: bool,
    #[serde(rename = "userPreferredMethodForSecondaryAuthentication")]
    user_preferred_method_for_secondary_authentication: FloorMethod,
}

fn build_patch(
    enabled: bool,
    method: UserDefaultAuthenticationMethodType,
) -> SignInPreferencesPatch {
    let mut patch = SignInPreferencesPatch::default();
    patch.is_system_preferred_authentication_method_enabled = Patch::Value(enabled);
    patch.user_preferred_method_for_secondary_authentication = NonNullPatch::Value(method);
    patch
}

fn build_floor(enabled: bool, method: FloorMethod) -> FloorPatch {
    FloorPatch {
        is_system_preferred_authentication_method_enabled: enabled,
        user_preferred_method_for_secondary_authentication: method,
    }
}

/// Both sides must do the same work before their times mean anything.
fn check_equivalence() {
    let model: SignInPreferences = serde_json::from_slice(GET_JSON).unwrap();
    assert_eq!(
        model.is_system_preferred_authentication_method_enabled,
        Some(true)
    );
    assert_eq!(
        model.user_preferred_method_for_secondary_authentication,
        Some(UserDefaultAuthenticationMethodType::Push)
    );
    assert_eq!(model.additional_properties.len(), 1);

    let floor: FloorRead = serde_json::from_slice(GET_JSON).unwrap();
    assert_eq!(
        floor.is_system_preferred_authentication_method_enabled,
        Some(true)
    );
    assert_eq!(
        floor
            .user_preferred_method_for_secondary_authentication
            .as_deref(),
        Some("push")
    );

    let keep: FloorReadKeep = serde_json::from_slice(GET_JSON).unwrap();
    assert_eq!(
        keep.is_system_preferred_authentication_method_enabled,
        Some(true)
    );
    assert_eq!(
        keep.user_preferred_method_for_secondary_authentication
            .as_deref(),
        Some("push")
    );
    assert_eq!(keep.additional_properties, model.additional_properties);

    let patch = serde_json::to_vec(&build_patch(
        true,
        UserDefaultAuthenticationMethodType::Push,
    ))
    .unwrap();
    let floor = serde_json::to_vec(&build_floor(true, FloorMethod::Push)).unwrap();
    assert_eq!(String::from_utf8(patch).unwrap(), PATCH_JSON);
    assert_eq!(String::from_utf8(floor).unwrap(), PATCH_JSON);
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::from_slice::<SignInPreferences>(black_box(GET_JSON)).unwrap());
    });
    group.bench_function("floor", |b| {
        b.iter(|| serde_json::from_slice::<FloorRead>(black_box(GET_JSON)).unwrap());
    });
    group.bench_function("floor_keep_unknown", |b| {
        b.iter(|| serde_json::from_slice::<FloorReadKeep>(black_box(GET_JSON)).unwrap());
    });
    group.finish();
}

fn build_serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("build_serialize");
    group.bench_function("generated", |b| {
        b.iter(|| {
            let patch = build_patch(
                black_box(true),
                black_box(UserDefaultAuthenticationMethodType::Push),
            );
            serde_json::to_vec(&patch).unwrap()
        });
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let patch = build_floor(black_box(true), black_box(FloorMethod::Push));
            serde_json::to_vec(&patch).unwrap()
        });
    });
    group.finish();
}

fn serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("serialize");
    let patch = build_patch(true, UserDefaultAuthenticationMethodType::Push);
    let floor = build_floor(true, FloorMethod::Push);
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::to_vec(black_box(&patch)).unwrap());
    });
    group.bench_function("floor", |b| {
        b.iter(|| serde_json::to_vec(black_box(&floor)).unwrap());
    });
    group.finish();
}

fn config() -> Criterion {
    check_equivalence();
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

fn main() {
    // What `criterion_group!`/`criterion_main!` expand to, written out so the lints see a private `fn`.
    let mut c = config().configure_from_args();
    parse(&mut c);
    build_serialize(&mut c);
    serialize(&mut c);
    c.final_summary();
}
