//! Microsoft Graph types for sign-in preferences, generated from the OpenAPI description in `spec/`.
//!
//! Every schema becomes a struct whose properties are all optional on read (Graph leaves properties
//! out, sends `null`, and adds properties over time) and which keeps what it does not know in
//! `additional_properties`. A schema that a PATCH operation takes also gets a patch type holding only
//! the writable properties, each a [`Patch`] or
//! [`NonNullPatch`] as the spec's nullability says, with
//! [`Patchable`](signin_prefs_core::Patchable) implementing the service's sparse merge. Enums are open:
//! unknown members are kept and written back unchanged.
//!
//! The code under `src/generated/` is written by `cargo xtask codegen`; this file and the `*_ext.rs`
//! files beside it are written by hand.

#[rustfmt::skip]
mod generated;
mod authentication_method_configuration_ext;
mod error;
mod odata_error_ext;
pub mod text;
mod user_default_authentication_method_type_ext;

pub use error::{Error, MethodListProblem};
pub use generated::*;
/// The patch field types the generated patch structs are made of.
pub use signin_prefs_core::{NonNullPatch, Patch};
