//! Microsoft Graph requests for sign-in preferences, as plain values: no HTTP client, no I/O.
//!
//! Each operation in the spec is a struct (generated under `src/generated/`) implementing
//! [`Operation`]: [`Operation::to_request`] turns it into a [`GraphRequest`] (method, percent-encoded
//! path, query, headers, JSON body) and [`Operation::decode_response`] turns a status and body back
//! into the typed result or an [`Error`] carrying Graph's error envelope. Any HTTP stack can send
//! them; `signin-prefs-client` does, with auth, retries and pacing.
//!
//! User keys (object ids or UPNs) always become exactly one path segment: see [`PathBuilder`].

pub mod decode;
mod error;
#[rustfmt::skip]
mod generated;
mod operation;
mod path;
mod request;

pub use error::Error;
pub use generated::*;
pub use http::Method;
pub use operation::Operation;
pub use path::PathBuilder;
pub use request::GraphRequest;
