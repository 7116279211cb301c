//! A local Microsoft Graph for `signInPreferences`, the way Azurite stands in for Azure Storage.
//!
//! It serves `GET`/`PATCH /beta/users/{id | upn}/authentication/signInPreferences` (and the
//! `users('…')` and `/me` forms), `GET …/authentication/methods` and `POST /beta/$batch`, with its
//! own client-credentials token endpoint, Graph's error envelope, throttling on an emulated clock
//! and seeded fault injection. Behaviour follows graph-behaviors.md; answers the real service does
//! not publish are configurable ([`ConfiguredError`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), signin_prefs_emulator::Error> {
//! use signin_prefs_emulator::{EmulatorBuilder, TokenRequest, permissions};
//! let emulator = EmulatorBuilder::new().users(1_000).seed(7).start().await?;
//! let token = emulator.mint_token(TokenRequest::app_only(&[permissions::READ_WRITE_ALL]))?;
//! println!("{} {token}", emulator.graph_url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The server binds 127.0.0.1 only.

mod auth;
mod config;
mod error;
mod faults;
mod graph;
mod ids;
mod server;
mod throttle;
mod users;

pub use auth::{AppRegistration, DirectoryRole, TokenClaims, TokenRequest, permissions};
pub use config::{
    ConfiguredError, DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID, EmulatorConfig, UsersSource,
};
pub use error::Error;
pub use faults::{FaultKind, FaultRoute, FaultRule};
pub use server::{EmulatorBuilder, EmulatorHandle, unknown_object_id};
pub use throttle::{Limit, RetryAfterFormat, ThrottleConfig};
pub use users::{AuthMethod, MethodSet, UserRecord, UserSpec, UserState};
