//! Microsoft Graph requests for sign-in preferences, as plain values: no HTTP client, no I/O.
//!
//! Each operation in the spec is a struct (generated under `src/generated/`) implementing
//! [`Operation`]: [`Operation::to_request`] turns it into a [`GraphRequest`] (method, percent-encoded
//! path, query, headers, JSON body) and [`Operation::decode_response`] turns a status and body back
//! into the typed result or an [`Error`] carrying Graph's error envelope. Any HTTP stack can send
//! them; `signin-prefs-client` does, with auth, retries and pacing.
//!
//! User keys (object ids or UPNs) always become exactly one path segment: see [`PathBuilder`].
//! What can name a user or a group at all is checked by [`UserKey`] and [`GroupId`].
//!
//! ```
//! use signin_prefs_model::{NonNullPatch, SignInPreferencesPatch, UserDefaultAuthenticationMethodType};
//! use signin_prefs_request::{Operation, UpdateSignInPreference};
//!
//! let mut patch = SignInPreferencesPatch::default();
//! patch.user_preferred_method_for_secondary_authentication =
//!     NonNullPatch::Value("oath".parse::<UserDefaultAuthenticationMethodType>()?);
//! let request = UpdateSignInPreference::new("071cc716-8147-4397-a5ba-b2105951cc0b", patch).to_request()?;
//! assert_eq!(
//!     request.url("https://graph.microsoft.com"),
//!     "https://graph.microsoft.com/beta/users/071cc716-8147-4397-a5ba-b2105951cc0b/authentication/signInPreferences"
//! );
//! assert_eq!(request.body.as_deref(), Some(&br#"{"userPreferredMethodForSecondaryAuthentication":"oath"}"#[..]));
//!
//! // Send it with any HTTP client; Graph answers 204 No Content, which decodes as success.
//! assert_eq!(UpdateSignInPreference::decode_response(204, b"")?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod decode;
mod error;
#[rustfmt::skip]
mod generated;
mod keys;
mod next_page;
mod operation;
mod path;
mod request;

pub use error::Error;
pub use generated::*;
pub use http::Method;
pub use keys::{GroupId, KeyProblem, MAX_USER_KEY_CHARS, UserKey};
pub use next_page::NextPage;
pub use operation::Operation;
pub use path::{PathBuilder, TemplatePart};
pub use request::GraphRequest;
