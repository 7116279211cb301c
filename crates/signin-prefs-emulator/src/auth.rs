//! Apps, tokens and the authorization rules of graph-behaviors.md §1.5 and §7.2–7.3.
//!
//! Tokens are opaque random strings mapped in memory to their claims: real clients never parse a
//! Graph token, so nothing is gained by signing JWTs.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The app role (application permission) or scope (delegated permission) names this API checks.
pub mod permissions {
    /// Read one's own methods (delegated).
    pub const READ: &str = "UserAuthenticationMethod.Read";
    /// Read anyone's methods.
    pub const READ_ALL: &str = "UserAuthenticationMethod.Read.All";
    /// Read and write one's own methods (delegated).
    pub const READ_WRITE: &str = "UserAuthenticationMethod.ReadWrite";
    /// Read and write anyone's methods.
    pub const READ_WRITE_ALL: &str = "UserAuthenticationMethod.ReadWrite.All";
    /// Read all users' profiles (`GET /users`, group members).
    pub const USER_READ_ALL: &str = "User.Read.All";
    /// Read and write all users' profiles (includes reading them).
    pub const USER_READ_WRITE_ALL: &str = "User.ReadWrite.All";
    /// Read the directory (users, groups, memberships).
    pub const DIRECTORY_READ_ALL: &str = "Directory.Read.All";
    /// Read audit logs and reports (with [`READ_ALL`], what the registration report needs).
    pub const AUDIT_LOG_READ_ALL: &str = "AuditLog.Read.All";
    /// Read the organization's policies, the authentication methods policy among them.
    pub const POLICY_READ_ALL: &str = "Policy.Read.All";
    /// Read the authentication methods policy alone (the least privileged permission for it).
    pub const POLICY_READ_AUTHENTICATION_METHOD: &str = "Policy.Read.AuthenticationMethod";
}

/// An Entra directory role held by a delegated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum DirectoryRole {
    /// Reads everything, writes nothing.
    GlobalReader,
    /// Manages the methods of non-admin users.
    AuthenticationAdministrator,
    /// Manages the methods of any user.
    PrivilegedAuthenticationAdministrator,
}

impl DirectoryRole {
    /// The role's template id, as tokens carry it in `wids`.
    pub fn template_id(self) -> &'static str {
        match self {
            DirectoryRole::GlobalReader => "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
            DirectoryRole::AuthenticationAdministrator => "c4e39bd9-1100-46d3-8c65-fb160da0071f",
            DirectoryRole::PrivilegedAuthenticationAdministrator => {
                "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
            }
        }
    }
}

/// An app registration that may use the token endpoint's client-credentials flow.
#[derive(Clone, PartialEq, Eq)]
pub struct AppRegistration {
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// App roles granted to the app (application permissions), put in its tokens.
    pub app_roles: Vec<String>,
}

impl std::fmt::Debug for AppRegistration {
    // The secret never appears in Debug output (logs, panics, test failures).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRegistration")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("app_roles", &self.app_roles)
            .finish()
    }
}

/// What a token says about its caller.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TokenClaims {
    /// The app the token was issued to.
    pub app_id: String,
    /// The tenant id.
    pub tenant_id: String,
    /// App roles (application permissions); for app-only tokens.
    pub roles: Vec<String>,
    /// Scopes (delegated permissions); for delegated tokens.
    pub scopes: Vec<String>,
    /// The signed-in user (object id or UPN) for a delegated token; `None` for app-only.
    pub user: Option<String>,
    /// Directory roles of the signed-in user.
    pub directory_roles: Vec<DirectoryRole>,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: u64,
}

/// Why a token was refused (each maps to a 401 message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRejection {
    Missing,
    Malformed,
    Unknown,
    Expired,
    /// Not the token's fault: a thread panicked while holding the token store.
    Unavailable,
}

impl TokenRejection {
    /// The message Graph is observed to send (graph-behaviors.md §1.6).
    pub(crate) fn message(self) -> &'static str {
        match self {
            TokenRejection::Missing => "Access token is empty.",
            TokenRejection::Malformed => "CompactToken parsing failed with error code: 80049217",
            TokenRejection::Unknown => "Access token validation failure. Invalid audience.",
            TokenRejection::Expired => "Lifetime validation failed, the token is expired.",
            TokenRejection::Unavailable => "The token store is unavailable.",
        }
    }
}

/// A JWT-shaped token with `payload` readable and a random last part instead of a signature: the
/// emulator trusts only what it handed out, by looking it up.
pub(crate) fn opaque_jwt(payload: &serde_json::Value) -> String {
    let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let header = serde_json::json!({"typ": "JWT", "alg": "none", "kid": "signin-prefs-emulator"});
    format!(
        "{}.{}.{:016x}{:016x}",
        encode(&header),
        encode(payload),
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Issued tokens and registered apps.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    apps: RwLock<Vec<AppRegistration>>,
    /// Shared, so that validating a token (once per request and per `$batch` item) copies a
    /// pointer, not the claims.
    tokens: RwLock<HashMap<String, Arc<TokenClaims>>>,
}

impl TokenStore {
    pub(crate) fn new(apps: Vec<AppRegistration>) -> Self {
        Self {
            apps: RwLock::new(apps),
            tokens: RwLock::default(),
        }
    }

    /// The first registered app: the default one.
    pub(crate) fn default_app(&self) -> Option<AppRegistration> {
        self.apps.read().ok()?.first().cloned()
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<AppRegistration> {
        self.apps
            .read()
            .ok()?
            .iter()
            .find(|app| app.client_id.eq_ignore_ascii_case(client_id))
            .cloned()
    }

    /// Issues a token carrying `claims`.
    ///
    /// Shaped like the service's: a JWT whose payload carries the claims a client may read
    /// (`roles`, `scp`, `wids`, `tid`, `appid`, `exp`), so tools such as `signin-prefs doctor` can
    /// inspect their own token. The last part is random instead of a signature; the emulator trusts
    /// only tokens it issued, by looking them up.
    pub(crate) fn mint(&self, claims: TokenClaims) -> String {
        let mut payload = serde_json::Map::new();
        let mut claim = |name: &str, value: serde_json::Value| {
            payload.insert(name.to_owned(), value);
        };
        claim("aud", "https://graph.microsoft.com".into());
        claim(
            "iss",
            format!("https://sts.windows.net/{}/", claims.tenant_id).into(),
        );
        claim("tid", claims.tenant_id.clone().into());
        claim("appid", claims.app_id.clone().into());
        claim("iat", now_unix().into());
        claim("exp", claims.expires_at.into());
        if claims.user.is_none() {
            claim("roles", serde_json::json!(claims.roles));
        } else {
            claim("scp", claims.scopes.join(" ").into());
            claim("upn", serde_json::json!(claims.user));
            let wids: Vec<&str> = claims
                .directory_roles
                .iter()
                .map(|role| role.template_id())
                .collect();
            claim("wids", serde_json::json!(wids));
        }
        let token = opaque_jwt(&serde_json::Value::Object(payload));
        if let Ok(mut tokens) = self.tokens.write() {
            tokens.insert(token.clone(), Arc::new(claims));
        }
        token
    }

    /// Poisons the token store, as a writer panicking would.
    #[cfg(test)]
    pub(crate) fn poison(&self) {
        let _ = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _guard = self.tokens.write();
                    std::panic::resume_unwind(Box::new("poisoning the token store on purpose"));
                })
                .join()
        });
    }

    /// The claims of the bearer token in an `Authorization` header value.
    pub(crate) fn validate(
        &self,
        authorization: Option<&str>,
    ) -> Result<Arc<TokenClaims>, TokenRejection> {
        let value = authorization.map(str::trim).unwrap_or_default();
        // "Bearer " arrives as "Bearer": trailing whitespace does not survive HTTP.
        if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
            return Err(TokenRejection::Missing);
        }
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(TokenRejection::Malformed),
        };
        if token.is_empty() {
            return Err(TokenRejection::Missing);
        }
        // A compact JWT: three non-empty base64url parts.
        let parts: Vec<&str> = token.split('.').collect();
        let well_formed = parts.len() == 3
            && parts.iter().all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
            });
        if !well_formed {
            return Err(TokenRejection::Malformed);
        }
        let claims = self
            .tokens
            .read()
            .map_err(|_| TokenRejection::Unavailable)?
            .get(token)
            .cloned()
            .ok_or(TokenRejection::Unknown)?;
        if now_unix() >= claims.expires_at {
            return Err(TokenRejection::Expired);
        }
        Ok(claims)
    }
}

/// The kind of access an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    /// Reading users and group memberships (`GET /users`, `transitiveMembers`).
    ReadDirectory,
    /// Reading `/reports/authenticationMethods/userRegistrationDetails`.
    ReadReport,
    /// Reading `/policies/authenticationMethodsPolicy`.
    ReadPolicy,
}

/// Who may read the authentication methods policy: Learn's "Get authenticationMethodsPolicy"
/// (<https://learn.microsoft.com/graph/api/authenticationmethodspolicy-get?view=graph-rest-beta>)
/// gives `Policy.Read.AuthenticationMethod` as least privileged and `Policy.ReadWrite.AuthenticationMethod`
/// and `Policy.Read.All` as higher, for both delegated and application callers.
const POLICY_READERS: [&str; 3] = [
    permissions::POLICY_READ_AUTHENTICATION_METHOD,
    "Policy.ReadWrite.AuthenticationMethod",
    permissions::POLICY_READ_ALL,
];

/// Who may read users and memberships: the directory permissions, and (an emulator allowance, so
/// an app set up for this tool alone works) the authentication-method ones.
const DIRECTORY_READERS: [&str; 6] = [
    permissions::USER_READ_ALL,
    permissions::USER_READ_WRITE_ALL,
    permissions::DIRECTORY_READ_ALL,
    "Directory.ReadWrite.All",
    permissions::READ_ALL,
    permissions::READ_WRITE_ALL,
];

/// Who may read the registration report. The real service documents `AuditLog.Read.All` and
/// `UserAuthenticationMethod.Read.All` together; the emulator accepts either (or `.ReadWrite.All`).
const REPORT_READERS: [&str; 3] = [
    permissions::AUDIT_LOG_READ_ALL,
    permissions::READ_ALL,
    permissions::READ_WRITE_ALL,
];

fn has_any(granted: &[String], wanted: &[&str]) -> bool {
    granted
        .iter()
        .any(|have| wanted.iter().any(|want| have.eq_ignore_ascii_case(want)))
}

/// Whether the token may use the API at all, before the target is known (app-only: roles;
/// delegated: scopes). Refusing early mirrors the gateway's scope check.
pub(crate) fn permits_operation(claims: &TokenClaims, access: Access) -> bool {
    use permissions::*;
    match (&claims.user, access) {
        (None, Access::ReadDirectory) => has_any(&claims.roles, &DIRECTORY_READERS),
        (Some(_), Access::ReadDirectory) => {
            has_any(&claims.scopes, &DIRECTORY_READERS)
                || has_any(&claims.scopes, &["User.ReadBasic.All"])
        }
        (None, Access::ReadReport) => has_any(&claims.roles, &REPORT_READERS),
        (None, Access::ReadPolicy) => has_any(&claims.roles, &POLICY_READERS),
        (Some(_), Access::ReadPolicy) => has_any(&claims.scopes, &POLICY_READERS),
        (Some(_), Access::ReadReport) => has_any(&claims.scopes, &REPORT_READERS),
        // The docs' "Application: UserAuthenticationMethod.Read" is a doc error (graph-behaviors §1.5):
        // application permissions in this family are the `.All` roles.
        (None, Access::Read) => has_any(&claims.roles, &[READ_ALL, READ_WRITE_ALL]),
        (None, Access::Write) => has_any(&claims.roles, &[READ_WRITE_ALL]),
        (Some(_), Access::Read) => has_any(
            &claims.scopes,
            &[READ, READ_ALL, READ_WRITE, READ_WRITE_ALL],
        ),
        (Some(_), Access::Write) => has_any(&claims.scopes, &[READ_WRITE, READ_WRITE_ALL]),
    }
}

/// Whether a delegated caller may act on a target user: on oneself with the plain scopes; on others
/// with the `.All` scopes and a directory role, and an Authentication Administrator only on non-admins.
pub(crate) fn permits_target(
    claims: &TokenClaims,
    access: Access,
    acting_on_self: bool,
    target_is_admin: bool,
) -> bool {
    use permissions::*;
    if claims.user.is_none() || acting_on_self {
        return permits_operation(claims, access);
    }
    let scoped = match access {
        Access::Read => has_any(&claims.scopes, &[READ_ALL, READ_WRITE_ALL]),
        Access::Write => has_any(&claims.scopes, &[READ_WRITE_ALL]),
        // Not per-target: the operation check is the whole rule.
        Access::ReadDirectory | Access::ReadReport | Access::ReadPolicy => {
            return permits_operation(claims, access);
        }
    };
    let privileged = claims
        .directory_roles
        .contains(&DirectoryRole::PrivilegedAuthenticationAdministrator);
    let authentication_admin = claims
        .directory_roles
        .contains(&DirectoryRole::AuthenticationAdministrator)
        && !target_is_admin;
    let reader = access == Access::Read
        && claims
            .directory_roles
            .contains(&DirectoryRole::GlobalReader);
    scoped && (privileged || authentication_admin || reader)
}

/// A token request handed to [`EmulatorHandle::mint_token`](crate::EmulatorHandle::mint_token).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TokenRequest {
    /// App roles for an app-only token.
    pub roles: Vec<String>,
    /// Scopes for a delegated token (ignored when `user` is `None`).
    pub scopes: Vec<String>,
    /// The signed-in user (object id or UPN); makes the token delegated.
    pub user: Option<String>,
    /// Directory roles of the signed-in user.
    pub directory_roles: Vec<DirectoryRole>,
    /// Lifetime in seconds; `0` gives an already expired token. Default: 3599.
    pub expires_in_seconds: Option<u64>,
    /// Issuing app; default: the emulator's default app.
    pub app_id: Option<String>,
}

impl TokenRequest {
    /// An app-only token with these app roles.
    pub fn app_only(roles: &[&str]) -> Self {
        Self {
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// A delegated token for `user` with these scopes and directory roles.
    pub fn delegated(user: &str, scopes: &[&str], directory_roles: &[DirectoryRole]) -> Self {
        Self {
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            user: Some(user.to_owned()),
            directory_roles: directory_roles.to_vec(),
            ..Self::default()
        }
    }

    /// The same token, expiring after `lifetime` (zero: already expired).
    pub fn expiring_in(mut self, lifetime: Duration) -> Self {
        self.expires_in_seconds = Some(lifetime.as_secs());
        self
    }
}
