//! Configuration: tenant, users, apps, and the answers that the real service does not publish.

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::{AppRegistration, permissions};
use crate::faults::FaultRule;
use crate::groups::GroupSpec;
use crate::throttle::ThrottleConfig;
use crate::users::UserSpec;

/// An error answer whose real status, code or message is not published, so callers can match what
/// they see in their tenant. `{key}` and `{method}` in the message are replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredError {
    /// HTTP status.
    pub status: u16,
    /// `error.code`.
    pub code: String,
    /// `error.message`, with `{key}` (the user key from the path) and `{method}` (the refused
    /// method) replaced.
    pub message: String,
}

impl ConfiguredError {
    /// An error answer.
    pub fn new(status: u16, code: &str, message: &str) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    pub(crate) fn render(&self, key: &str, method: &str) -> String {
        self.message
            .replace("{key}", key)
            .replace("{method}", method)
    }
}

/// How the registration report spells a user without a default method, in
/// `userPreferredMethodForSecondaryAuthentication` and `defaultMfaMethod`.
///
/// Microsoft's documented sample answers `""` (microsoft-graph-docs-contrib,
/// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`, the guest
/// "AllanD"), while both properties' enums list `none` (`resources/userregistrationdetails.md`) and
/// other tenants show it. Which a given tenant sends is not published: readers must take both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportUnsetDefault {
    /// `""`, as the documented sample (the default).
    #[default]
    Empty,
    /// `"none"`, the enums' member.
    None,
}

impl ReportUnsetDefault {
    /// The value written.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportUnsetDefault::Empty => "",
            ReportUnsetDefault::None => "none",
        }
    }
}

/// Where the users come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsersSource {
    /// `count` users generated from the seed.
    Seeded {
        /// How many.
        count: usize,
    },
    /// Users given in full.
    Listed(Vec<UserSpec>),
    /// A JSON file holding an array of users (see [`UserSpec`]).
    File(PathBuf),
}

/// Everything the emulator is started with.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed for users, ids and fault decisions.
    pub seed: u64,
    /// The users.
    pub users: UsersSource,
    /// Tenant id (a GUID).
    pub tenant_id: String,
    /// The tenant's initial domain, used in seeded UPNs and accepted as a tenant in token URLs.
    pub tenant_domain: String,
    /// Apps that may get tokens from the token endpoint; the first is the default app, granted
    /// `UserAuthenticationMethod.ReadWrite.All`, `User.Read.All` and `Policy.Read.All` (the last
    /// because `plan` reads the authentication methods policy; a test of the stop without it mints
    /// a token without that role).
    pub apps: Vec<AppRegistration>,
    /// Token lifetime.
    pub token_lifetime: Duration,
    /// Throttling.
    pub throttle: ThrottleConfig,
    /// Emulated seconds per real second for throttling windows (1.0: real time; 0: time moves only
    /// when advanced by hand).
    pub time_scale: f64,
    /// Fault rules.
    pub faults: Vec<FaultRule>,
    /// Answer for an unknown user. Default: the directory's 404 `Request_ResourceNotFound`
    /// (observed on `/users/{key}`; unconfirmed for this resource).
    pub unknown_user: ConfiguredError,
    /// Answer for a default method the user has not registered. Default: 400 `BadRequest`
    /// (the real body is not published; the code is spelled as the emulator's other `BadRequest`
    /// answers, which follow the casing Graph is observed to send, so one code has one casing).
    pub unregistered_method: ConfiguredError,
    /// Return `$batch` responses in a seeded shuffled order, as the service may.
    pub shuffle_batch_responses: bool,
    /// Accept enum values in any letter case (`"Push"`), as the real service may; the default
    /// accepts only the spec's spelling (unconfirmed either way).
    pub case_insensitive_enum_values: bool,
    /// Ignore read-only properties such as `systemPreferredAuthenticationMethod` in a PATCH body
    /// instead of answering 400 (unconfirmed either way).
    pub ignore_read_only_properties: bool,
    /// Serve `/_emulator/...` (state read/write, token minting) for out-of-process tests.
    pub admin_api: bool,
    /// The tenant's groups (`/groups/{id}/transitiveMembers/microsoft.graph.user`). Default:
    /// [`GroupSpec::defaults`], with the ids in [`seeded_groups`](crate::seeded_groups).
    pub groups: Vec<GroupSpec>,
    /// Whether `/reports/authenticationMethods/userRegistrationDetails` is available. The real
    /// report needs an Entra ID P1 or P2 licence; `false` answers as a tenant without one does:
    /// 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    pub registration_report: bool,
    /// The tenant's authentication methods policy, as the service sends it. Default:
    /// [`default_policy`](crate::default_policy).
    pub authentication_methods_policy: serde_json::Value,
    /// How the registration report spells "no default method" (default `""`, as documented).
    pub report_unset_default: ReportUnsetDefault,
    /// Percentage (0–100) of seeded users created with `accountEnabled: false` (default 0, so
    /// seeded tenants stay as they were; users files and [`UserSpec`] set it per user).
    pub disabled_users_percent: u8,
    /// Where to append one JSON line per request (`--log-requests`); `None` (the default): no log.
    /// Bodies and credentials are never written.
    pub request_log: Option<PathBuf>,
    /// Serve HTTPS with a certificate made at start by a CA made at start (`--tls`), instead of
    /// plain HTTP.
    pub tls: bool,
    /// With [`tls`](Self::tls): where the CA's certificate (PEM) is written, owner-only.
    pub tls_ca_file: Option<PathBuf>,
    /// Certificates (client id, PEM) whose keys may sign an app's client assertions.
    pub app_certificates: Vec<(String, String)>,
    /// How device codes are approved (default: at once, as the first administrator).
    pub device_code_approval: crate::DeviceCodeApproval,
    /// Seconds a device-code client is told to wait between polls (`interval`; default 5, what
    /// the identity platform answers).
    pub device_code_interval: u64,
}

/// The default app's client id (the seed does not change it, so scripts can hard-code it).
pub const DEFAULT_CLIENT_ID: &str = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346";
/// The default tenant id.
pub const DEFAULT_TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            seed: 1,
            users: UsersSource::Seeded { count: 100 },
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            tenant_domain: "contoso.onmicrosoft.com".to_owned(),
            apps: vec![AppRegistration {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                // Replaced by a random secret in `EmulatorBuilder::new`; never a fixed default.
                client_secret: String::new(),
                app_roles: vec![
                    permissions::READ_WRITE_ALL.to_owned(),
                    permissions::USER_READ_ALL.to_owned(),
                    // Plans read the authentication methods policy.
                    permissions::POLICY_READ_ALL.to_owned(),
                ],
            }],
            token_lifetime: Duration::from_secs(3599),
            throttle: ThrottleConfig::default(),
            time_scale: 1.0,
            faults: Vec::new(),
            unknown_user: ConfiguredError::new(
                404,
                "Request_ResourceNotFound",
                "Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
            ),
            unregistered_method: ConfiguredError::new(
                400,
                "BadRequest",
                "{method} is not a registered method for the user.",
            ),
            shuffle_batch_responses: true,
            case_insensitive_enum_values: false,
            ignore_read_only_properties: false,
            admin_api: true,
            groups: GroupSpec::defaults(),
            registration_report: true,
            authentication_methods_policy: crate::policy::default_policy(),
            report_unset_default: ReportUnsetDefault::default(),
            disabled_users_percent: 0,
            request_log: None,
            tls: false,
            tls_ca_file: None,
            app_certificates: Vec::new(),
            device_code_approval: crate::DeviceCodeApproval::default(),
            device_code_interval: 5,
        }
    }
}
