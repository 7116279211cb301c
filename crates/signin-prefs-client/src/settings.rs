//! Where a client's connection comes from: a TOML file's keys, then the environment over them
//! (`SIGNIN_PREFS_*` first, then the Azure SDKs' `AZURE_*` names), read here once for the CLI and
//! Python alike. Secrets are read from the environment or files only, never from a config key
//! that would hold them in clear.

use std::path::PathBuf;

use serde::Deserialize;

use crate::Secret;

/// Every connection setting. Deserializes from the TOML keys; [`Settings::with_environment`]
/// lays the environment over them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// `cloud`: global, usgov, usgovdod, china (any spelling [`Cloud`](crate::Cloud) parses).
    pub cloud: Option<String>,
    /// `base_url`: an explicit Graph origin (an emulator).
    pub base_url: Option<String>,
    /// `login_authority`: the login host's origin (`AZURE_AUTHORITY_HOST`).
    pub login_authority: Option<String>,
    /// `tenant_id`.
    pub tenant_id: Option<String>,
    /// `client_id`: the app registration (or the user-assigned managed identity).
    pub client_id: Option<String>,
    /// `credential`: which kind to use instead of detecting one ([`CredentialKind`](crate::CredentialKind)).
    pub credential: Option<String>,
    /// `client_secret_file`.
    pub client_secret_file: Option<PathBuf>,
    /// `client_certificate_path`: PEM (certificate and key) or PKCS#12 (`.pfx`, `.p12`).
    pub client_certificate_path: Option<PathBuf>,
    /// `client_certificate_password_file`: the PKCS#12 password, in a file.
    pub client_certificate_password_file: Option<PathBuf>,
    /// `federated_token_file`: workload identity's token file.
    pub federated_token_file: Option<PathBuf>,
    /// `token_file`: a bearer token to send as it is.
    pub token_file: Option<PathBuf>,
    /// `token_cache`: where `signin-prefs login` keeps its sign-in.
    pub token_cache: Option<PathBuf>,
    /// `ca_file`: extra certificate authorities to trust (an emulator's `--tls` CA).
    pub ca_file: Option<PathBuf>,
    /// `imds_origin`: where IMDS answers (default `http://169.254.169.254`).
    pub imds_origin: Option<String>,
    /// `write_budget`.
    pub write_budget: Option<String>,
    /// `tenant_write_budget`.
    pub tenant_write_budget: Option<String>,
    /// `read_budget`.
    pub read_budget: Option<String>,
    /// `reports_budget`.
    pub reports_budget: Option<String>,
    /// Secrets, from the environment only.
    #[serde(skip)]
    pub(crate) secrets: EnvironmentSecrets,
}

/// What only the environment gives: secret values and the managed-identity host's endpoint.
#[derive(Debug, Default, Clone)]
pub(crate) struct EnvironmentSecrets {
    pub(crate) token: Option<(&'static str, Secret)>,
    pub(crate) client_secret: Option<(&'static str, Secret)>,
    // Read only by a build that opens PKCS#12 archives.
    #[cfg_attr(not(feature = "pkcs12"), allow(dead_code))]
    pub(crate) certificate_password: Option<(&'static str, Secret)>,
    pub(crate) identity_endpoint: Option<String>,
    pub(crate) identity_header: Option<Secret>,
}

/// One setting's field.
enum Slot<'a> {
    Text(&'a mut Option<String>),
    Path(&'a mut Option<PathBuf>),
}

impl Slot<'_> {
    fn set(self, value: String) {
        match self {
            Slot::Text(field) => *field = Some(value),
            Slot::Path(field) => *field = Some(PathBuf::from(value)),
        }
    }

    fn get(self) -> Option<String> {
        match self {
            Slot::Text(field) => field.clone(),
            Slot::Path(field) => field.as_ref().map(|path| path.display().to_string()),
        }
    }
}

/// Each variable and the key it sets; for one key, the first variable set wins.
pub const VARIABLES: &[(&str, &str)] = &[
    ("SIGNIN_PREFS_CLOUD", "cloud"),
    ("SIGNIN_PREFS_BASE_URL", "base_url"),
    ("SIGNIN_PREFS_LOGIN_AUTHORITY", "login_authority"),
    ("AZURE_AUTHORITY_HOST", "login_authority"),
    ("SIGNIN_PREFS_TENANT_ID", "tenant_id"),
    ("AZURE_TENANT_ID", "tenant_id"),
    ("SIGNIN_PREFS_CLIENT_ID", "client_id"),
    ("AZURE_CLIENT_ID", "client_id"),
    ("SIGNIN_PREFS_CREDENTIAL", "credential"),
    ("SIGNIN_PREFS_CLIENT_SECRET_FILE", "client_secret_file"),
    (
        "SIGNIN_PREFS_CLIENT_CERTIFICATE_PATH",
        "client_certificate_path",
    ),
    ("AZURE_CLIENT_CERTIFICATE_PATH", "client_certificate_path"),
    (
        "SIGNIN_PREFS_CLIENT_CERTIFICATE_PASSWORD_FILE",
        "client_certificate_password_file",
    ),
    ("SIGNIN_PREFS_FEDERATED_TOKEN_FILE", "federated_token_file"),
    ("AZURE_FEDERATED_TOKEN_FILE", "federated_token_file"),
    ("SIGNIN_PREFS_TOKEN_FILE", "token_file"),
    ("SIGNIN_PREFS_TOKEN_CACHE", "token_cache"),
    ("SIGNIN_PREFS_CA_FILE", "ca_file"),
    ("AZURE_POD_IDENTITY_AUTHORITY_HOST", "imds_origin"),
    ("SIGNIN_PREFS_WRITE_BUDGET", "write_budget"),
    ("SIGNIN_PREFS_TENANT_WRITE_BUDGET", "tenant_write_budget"),
    ("SIGNIN_PREFS_READ_BUDGET", "read_budget"),
    ("SIGNIN_PREFS_REPORTS_BUDGET", "reports_budget"),
];

/// Variables whose values are secrets, read from the environment only.
pub const SECRET_VARIABLES: &[&str] = &[
    "SIGNIN_PREFS_TOKEN",
    "SIGNIN_PREFS_CLIENT_SECRET",
    "AZURE_CLIENT_SECRET",
    "SIGNIN_PREFS_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
];

fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn secret(names: [&'static str; 2]) -> Option<(&'static str, Secret)> {
    names
        .into_iter()
        .find_map(|name| variable(name).map(|value| (name, Secret::new(value.trim().to_owned()))))
}

impl Settings {
    /// The environment alone.
    pub fn from_env() -> Self {
        Self::default().with_environment()
    }

    /// These settings with the environment laid over them.
    pub fn with_environment(mut self) -> Self {
        // Backwards, so that the first variable of a key is the last written: it wins.
        for (name, key) in VARIABLES.iter().rev() {
            if let (Some(value), Some(slot)) = (variable(name), self.slot(key)) {
                slot.set(value);
            }
        }
        self.secrets = EnvironmentSecrets {
            token: secret(["SIGNIN_PREFS_TOKEN", "SIGNIN_PREFS_TOKEN"]),
            client_secret: secret(["SIGNIN_PREFS_CLIENT_SECRET", "AZURE_CLIENT_SECRET"]),
            certificate_password: secret([
                "SIGNIN_PREFS_CLIENT_CERTIFICATE_PASSWORD",
                "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            ]),
            identity_endpoint: variable("IDENTITY_ENDPOINT"),
            identity_header: variable("IDENTITY_HEADER").map(Secret::new),
        };
        self
    }

    /// The settings a TOML table's keys give (an unknown key is named in the error).
    pub(crate) fn deserialize_table(table: toml::Table) -> Result<Self, String> {
        toml::Value::Table(table)
            .try_into()
            .map_err(|error: toml::de::Error| error.message().to_owned())
    }

    /// The field a TOML key names (`None` for a key that is not a setting).
    fn slot(&mut self, key: &str) -> Option<Slot<'_>> {
        Some(match key {
            "cloud" => Slot::Text(&mut self.cloud),
            "base_url" => Slot::Text(&mut self.base_url),
            "login_authority" => Slot::Text(&mut self.login_authority),
            "tenant_id" => Slot::Text(&mut self.tenant_id),
            "client_id" => Slot::Text(&mut self.client_id),
            "credential" => Slot::Text(&mut self.credential),
            "client_secret_file" => Slot::Path(&mut self.client_secret_file),
            "client_certificate_path" => Slot::Path(&mut self.client_certificate_path),
            "client_certificate_password_file" => {
                Slot::Path(&mut self.client_certificate_password_file)
            }
            "federated_token_file" => Slot::Path(&mut self.federated_token_file),
            "token_file" => Slot::Path(&mut self.token_file),
            "token_cache" => Slot::Path(&mut self.token_cache),
            "ca_file" => Slot::Path(&mut self.ca_file),
            "imds_origin" => Slot::Text(&mut self.imds_origin),
            "write_budget" => Slot::Text(&mut self.write_budget),
            "tenant_write_budget" => Slot::Text(&mut self.tenant_write_budget),
            "read_budget" => Slot::Text(&mut self.read_budget),
            "reports_budget" => Slot::Text(&mut self.reports_budget),
            _ => return None,
        })
    }

    /// The value of the setting a TOML key names, as text.
    pub(crate) fn value(&self, key: &str) -> Option<String> {
        self.clone().slot(key).and_then(|slot| slot.get())
    }

    /// Which secrets the environment gave (the variables' names, never the values).
    pub(crate) fn secret_variables(&self) -> [(&'static str, Option<&'static str>); 3] {
        let name = |secret: &Option<(&'static str, Secret)>| secret.as_ref().map(|(name, _)| *name);
        [
            ("token_file", name(&self.secrets.token)),
            ("client_secret_file", name(&self.secrets.client_secret)),
            (
                "client_certificate_password_file",
                name(&self.secrets.certificate_password),
            ),
        ]
    }

    /// Whether anything says which service or credential to use.
    pub fn is_configured(&self) -> bool {
        self.tenant_id.is_some()
            || self.base_url.is_some()
            || self.token_file.is_some()
            || self.credential.is_some()
            || self.secrets.token.is_some()
            || self.secrets.identity_endpoint.is_some()
    }
}
