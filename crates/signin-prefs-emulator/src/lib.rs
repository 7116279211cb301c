//! A local Microsoft Graph for `signInPreferences`, the way Azurite stands in for Azure Storage.
//!
//! It serves `GET`/`PATCH /beta/users/{id | upn}/authentication/signInPreferences` (and the
//! `users('…')` and `/me` forms), `GET …/authentication/methods` and `POST /beta/$batch`, with its
//! own client-credentials token endpoint, Graph's error envelope, throttling on an emulated clock
//! and seeded fault injection. Behaviour follows graph-behaviors.md; answers the real service does
//! not publish are configurable ([`ConfiguredError`]).
//!
//! It also serves the paged reads a bulk job takes its users from:
//!
//! - `GET /users` (beta and v1.0): `id`, `userPrincipalName`, `displayName`, `accountEnabled`,
//!   `userType` (`Guest` for `#EXT#` UPNs) and `mail`, derived from the UPN. `$top` (1–999, default
//!   100), `$select`, `$skiptoken` in `@odata.nextLink`, and `$count=true` with
//!   `ConsistencyLevel: eventual` (400 `Request_BadRequest` without it). `$filter`: `startswith` on
//!   `userPrincipalName`, `displayName`, `mail`; `endswith` on `userPrincipalName`, `mail` (needs
//!   `ConsistencyLevel: eventual` and `$count=true`); `eq` on `id`, `userPrincipalName`,
//!   `displayName`, `mail`, `userType`, `accountEnabled`; joined by `and`, case-insensitive. Any
//!   other filter: 400 `Request_UnsupportedQuery` naming the part.
//! - `GET /groups/{id}/transitiveMembers/microsoft.graph.user`: the same paging and options; an
//!   unknown group is 404 `Request_ResourceNotFound`. Groups are [`GroupSpec`]s
//!   ([`EmulatorBuilder::groups`]); nested groups are flattened. Unless replaced, every emulator
//!   has these ([`seeded_groups`], the same for every seed, printed by `signin-prefs emulator`):
//!
//!   | id | name | members |
//!   |----|------|---------|
//!   | `0a11c0de-0000-4000-8000-000000000001` | All users | everyone |
//!   | `0a11c0de-0000-4000-8000-000000000002` | Even positions | users 0, 2, 4, … |
//!   | `0a11c0de-0000-4000-8000-000000000003` | Every tenth user | users 0, 10, 20, … |
//!   | `0a11c0de-0000-4000-8000-000000000004` | Authenticator users | Microsoft Authenticator registered (live) |
//!   | `0a11c0de-0000-4000-8000-000000000005` | Guests | `#EXT#` UPNs |
//!   | `0a11c0de-0000-4000-8000-000000000006` | MFA pilot | nests "Every tenth user" and "Guests" |
//!
//! - `GET /reports/authenticationMethods/userRegistrationDetails`: one entry per user, derived from
//!   its current methods and preferences (`methodsRegistered` as the report names them: an
//!   Authenticator user lists `microsoftAuthenticatorPush` and `softwareOneTimePasscode`, a FIDO2
//!   key `fido2SecurityKey`; `defaultMfaMethod`, `userPreferredMethodForSecondaryAuthentication`
//!   with `""` when unset as in Microsoft's sample, or `none` with
//!   [`EmulatorBuilder::report_unset_default`]), paged with `$top`, `$select` and `$count`, and
//!   without disabled users ("This method doesn't work for disabled users"). `$filter` takes the
//!   list page's documented forms: `methodsRegistered/any(x:x eq '…')`, `eq` and `startswith` on
//!   `userPrincipalName` and `userDisplayName`, `eq` on the `is…` flags, joined by `and`; anything
//!   else is 400 `Request_UnsupportedQuery`. The real report needs an Entra ID P1/P2 licence;
//!   [`EmulatorBuilder::registration_report`]`(false)` answers as a tenant without one (403
//!   `Authentication_RequestFromNonPremiumTenantOrB2CTenant`).
//!
//! Reading users and groups needs `User.Read.All` or `Directory.Read.All` (the emulator also
//! accepts the `UserAuthenticationMethod.*.All` roles); the report `AuditLog.Read.All` or
//! `UserAuthenticationMethod.Read(Write).All` (the real service wants `AuditLog.Read.All` and
//! `UserAuthenticationMethod.Read.All`). The default app holds `UserAuthenticationMethod.ReadWrite.All`
//! and `User.Read.All`. The lists are throttled as reads, take faults ([`FaultRoute::ListUsers`],
//! [`FaultRoute::ListGroupMembers`], [`FaultRoute::RegistrationReport`]) and work inside `$batch`.
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
//! [`EmulatorBuilder::log_requests`] appends one JSON line per request to a file (owner-only;
//! never a body, a token or a secret), and [`RetryAfterFormat`] picks the shape of a 429's
//! `Retry-After` (seconds, fractional, an HTTP-date, or none), so a client can be tested against
//! each.
//!
//! The server binds 127.0.0.1 only.

mod admin;
mod admin_sign_ins;
mod assertion;
mod auth;
mod builder;
mod config;
mod device_code;
mod error;
mod faults;
mod filter;
mod gates;
mod graph;
mod groups;
mod handle;
mod ids;
mod login;
mod managed_identity;
mod openid_configuration;
mod owner_only;
mod policy;
mod priority;
mod report_filter;
mod request_log;
mod server;
mod sign_ins;
mod tenant;
mod throttle;
mod tls;
mod users;
mod wire;

pub use auth::{AppRegistration, DirectoryRole, TokenClaims, TokenRequest, permissions};
pub use builder::EmulatorBuilder;
pub use config::{
    ConfiguredError, DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID, EmulatorConfig, ReportUnsetDefault,
    UsersSource,
};
pub use error::Error;
pub use faults::{FaultKind, FaultRoute, FaultRule};
pub use groups::{GroupMembers, GroupSpec, MemberPredicate, seeded_groups};
pub use handle::EmulatorHandle;
pub use ids::unknown_object_id;
pub use policy::{ALL_USERS, MethodConfiguration, default_policy};
pub use priority::PriorityCounts;
pub use sign_ins::DeviceCodeApproval;
pub use throttle::{Limit, RetryAfterFormat, ThrottleConfig, TrafficStats};
pub use users::{AuthMethod, MethodSet, UserRecord, UserSpec, UserState};
