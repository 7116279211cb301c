//! An async Microsoft Graph client for sign-in preferences: the hand-written transport that sends
//! the generated requests of `signin-prefs-request`.
//!
//! - **Any operation**: [`Client::send`] takes any [`Operation`](signin_prefs_request::Operation),
//!   so newly generated operations need no client change; [`Client::get_sign_in_preferences`] and
//!   [`Client::update_sign_in_preferences`] are the typed shortcuts, [`Client::send_raw`] and
//!   [`Client::update_sign_in_preferences_json`] the escape hatch for what the spec does not know.
//! - **Clouds**: [`Cloud`] pairs each Graph host with its login host; [`ClientBuilder::base_url`]
//!   points at an emulator (plain HTTP is refused except to loopback).
//! - **Auth**: one [`TokenCredential`] trait (an `azure_core` credential plugs in with the `azure`
//!   feature); tokens are cached and refreshed ahead of expiry, once for all concurrent requests.
//! - **Retries**: 429, 503, 504, connection failures and slow responses, after `Retry-After` or an
//!   exponential backoff with jitter; bounded attempts; the overall deadline wins. Each retry is a
//!   `tracing` event.
//! - **Budgets**: a [`Pacer`] shared by every clone of the client books each request's cost
//!   ([`Charge`]) against a token bucket per Graph quota ([`Quota`], [`Budgets`]), so what is sent
//!   is what the budget accepts; a 429 pauses and corrects its own quota only (AIMD).
//! - **Priority**: [`Client::with_priority`] sends `x-ms-throttle-priority` ([`Priority`]) on
//!   every request of a clone; none by default.
//! - **`$batch`**: [`Client::batch`] packs 20 operations per request and retries only failed items.
//! - **Errors**: one [`Error`] with an [`ErrorKind`], Graph's code and message, correlation ids and
//!   the [`RetryHistory`]. Tokens and secrets ([`Secret`]) never appear in Debug, Display, logs or
//!   errors.
//!
//! ```no_run
//! # async fn run() -> Result<(), signin_prefs_client::Error> {
//! use signin_prefs_client::{Client, ClientSecretCredential, Cloud, Secret};
//!
//! let credential = ClientSecretCredential::new(
//!     Cloud::Global,
//!     "contoso.onmicrosoft.com",
//!     "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
//!     Secret::from_env("SIGNIN_PREFS_CLIENT_SECRET")?,
//! )?;
//! let client = Client::builder().cloud(Cloud::Global).credential(credential).build()?;
//! let preferences = client.get_sign_in_preferences("adele@contoso.com").await?;
//! println!("{:?}", preferences.user_preferred_method_for_secondary_authentication);
//! # Ok(())
//! # }
//! ```

/// `User-Agent`: the product and its version, nothing about the host. (Never `SdkVersion`, which
/// is reserved for Microsoft's SDKs.)
pub(crate) const USER_AGENT: &str = concat!("signin-prefs/", env!("CARGO_PKG_VERSION"));

mod auth;
mod batch;
mod budget;
mod ca;
mod client;
mod cloud;
mod config_file;
mod error;
mod from_env;
mod pacing;
mod paging;
mod priority;
mod response;
mod retry;
mod secret;
mod settings;

#[cfg(feature = "azure")]
pub use auth::AzureCredential;
pub use auth::{
    AccessToken, AssertionAlgorithm, AzureCliCredential, ClientCertificateCredential,
    ClientSecretCredential, DeviceCodeCredential, DeviceCodePrompt, IMDS_ORIGIN,
    ManagedIdentityCredential, StaticToken, TokenCache, TokenCacheFile, TokenCredential,
    TokenFuture, WorkloadIdentityCredential,
};
pub use batch::{BatchItemResult, BatchResponseItem, MAX_BATCH_SIZE, parse_batch_response};
pub use budget::{Budget, BudgetParseError, Budgets, Charge, Quota};
pub use ca::CaCertificates;
pub use client::{Client, ClientBuilder};
pub use cloud::{Cloud, Endpoints};
pub use config_file::{
    CONFIG_VARIABLE, Chosen, ConfigFile, PROFILE_VARIABLE, Profile, ProfileName,
};
pub use error::{Error, ErrorKind, ServiceResponse};
pub use from_env::{Connection, CredentialChoice, CredentialKind, ShowPrompt};
pub use pacing::{Pacer, PacingConfig, PacingSnapshot};
pub use priority::Priority;
pub use response::RawResponse;
pub use retry::{Attempt, RetryHistory, RetryPolicy, RetryReason, parse_retry_after};
pub use secret::Secret;
pub use settings::{SECRET_VARIABLES, Settings, VARIABLES};
