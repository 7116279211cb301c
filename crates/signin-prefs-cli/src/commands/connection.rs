//! How the CLI reaches Graph: settings from the environment or a config file, never from the
//! command line (where `ps` and shell history would show a secret).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use std::sync::Arc;

use signin_prefs_client::{
    Budgets, CaCertificates, Client, ClientSecretCredential, Cloud, PacingConfig, Quota, Secret,
    StaticToken, TokenCredential,
};

use crate::error::Error;

/// Every setting, with the environment variable that gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// `SIGNIN_PREFS_CLOUD`: global, usgov, usgovdod or china (or another spelling `Cloud`'s
    /// `FromStr` accepts).
    pub(crate) cloud: Option<String>,
    /// `SIGNIN_PREFS_BASE_URL`: an explicit Graph origin (an emulator, for instance).
    pub(crate) base_url: Option<String>,
    /// `SIGNIN_PREFS_LOGIN_AUTHORITY`: the token authority to go with `base_url`.
    pub(crate) login_authority: Option<String>,
    /// `SIGNIN_PREFS_TENANT_ID`.
    pub(crate) tenant_id: Option<String>,
    /// `SIGNIN_PREFS_CLIENT_ID`.
    pub(crate) client_id: Option<String>,
    /// `SIGNIN_PREFS_CLIENT_SECRET_FILE` (the secret itself only through `SIGNIN_PREFS_CLIENT_SECRET`).
    pub(crate) client_secret_file: Option<PathBuf>,
    /// `SIGNIN_PREFS_TOKEN_FILE` (or the token through `SIGNIN_PREFS_TOKEN`): a bearer token.
    pub(crate) token_file: Option<PathBuf>,
    /// `SIGNIN_PREFS_CA_FILE`: PEM certificates of certificate authorities to trust besides the
    /// public ones (an emulator's `--tls` CA), for Graph and the login host alike.
    pub(crate) ca_file: Option<PathBuf>,
    /// `SIGNIN_PREFS_WRITE_BUDGET`: writes per app and tenant, `3000/150s` (documented), or
    /// `unknown` to learn it from 429s alone.
    pub(crate) write_budget: Option<String>,
    /// `SIGNIN_PREFS_TENANT_WRITE_BUDGET`: writes per tenant across apps, `18000/300s` (documented).
    pub(crate) tenant_write_budget: Option<String>,
    /// `SIGNIN_PREFS_READ_BUDGET`: resource units per app and tenant, `8000/10s` (documented for
    /// tenants over 500 users).
    pub(crate) read_budget: Option<String>,
    /// `SIGNIN_PREFS_REPORTS_BUDGET`: registration-report pages per app and tenant, `5/10s`
    /// (documented for the identity-and-access reports; assumed to cover this one), or `unknown`.
    pub(crate) reports_budget: Option<String>,
}

/// What to do when nothing says which service to talk to.
fn no_tenant() -> String {
    let mut message = String::from(
        "no tenant configured: set SIGNIN_PREFS_TENANT_ID, SIGNIN_PREFS_CLIENT_ID and \
         SIGNIN_PREFS_CLIENT_SECRET (or _FILE), or SIGNIN_PREFS_BASE_URL and SIGNIN_PREFS_TOKEN for an \
         emulator",
    );
    // Only a build with the emulator can offer to run one.
    if cfg!(feature = "emulator") {
        message.push_str("; `signin-prefs demo` runs a whole job on an embedded emulator");
    }
    message
}

const ENVIRONMENT: &[(&str, &str)] = &[
    ("SIGNIN_PREFS_CLOUD", "cloud"),
    ("SIGNIN_PREFS_BASE_URL", "base_url"),
    ("SIGNIN_PREFS_LOGIN_AUTHORITY", "login_authority"),
    ("SIGNIN_PREFS_TENANT_ID", "tenant_id"),
    ("SIGNIN_PREFS_CLIENT_ID", "client_id"),
    ("SIGNIN_PREFS_CLIENT_SECRET_FILE", "client_secret_file"),
    ("SIGNIN_PREFS_TOKEN_FILE", "token_file"),
    ("SIGNIN_PREFS_CA_FILE", "ca_file"),
    ("SIGNIN_PREFS_WRITE_BUDGET", "write_budget"),
    ("SIGNIN_PREFS_TENANT_WRITE_BUDGET", "tenant_write_budget"),
    ("SIGNIN_PREFS_READ_BUDGET", "read_budget"),
    ("SIGNIN_PREFS_REPORTS_BUDGET", "reports_budget"),
];

impl Settings {
    /// The config file (`--config`, else `SIGNIN_PREFS_CONFIG`), then the environment over it.
    pub(crate) fn load(config: Option<&Path>) -> Result<Self, Error> {
        let config = config
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("SIGNIN_PREFS_CONFIG").map(PathBuf::from));
        let mut settings = match &config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| Error::Input(format!("{}: {error}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|error| Error::Input(format!("{}: {error}", path.display())))?
            }
            None => Settings::default(),
        };
        for (variable, field) in ENVIRONMENT {
            if let Ok(value) = std::env::var(variable)
                && !value.is_empty()
            {
                match *field {
                    "cloud" => settings.cloud = Some(value),
                    "base_url" => settings.base_url = Some(value),
                    "login_authority" => settings.login_authority = Some(value),
                    "tenant_id" => settings.tenant_id = Some(value),
                    "client_id" => settings.client_id = Some(value),
                    "write_budget" => settings.write_budget = Some(value),
                    "tenant_write_budget" => settings.tenant_write_budget = Some(value),
                    "read_budget" => settings.read_budget = Some(value),
                    "reports_budget" => settings.reports_budget = Some(value),
                    "ca_file" => settings.ca_file = Some(PathBuf::from(value)),
                    "client_secret_file" => {
                        settings.client_secret_file = Some(PathBuf::from(value))
                    }
                    _ => settings.token_file = Some(PathBuf::from(value)),
                }
            }
        }
        Ok(settings)
    }

    /// Whether a service to talk to is configured at all.
    pub(crate) fn is_configured(&self) -> bool {
        self.tenant_id.is_some()
            || self.base_url.is_some()
            || self.token_file.is_some()
            || std::env::var_os("SIGNIN_PREFS_TOKEN").is_some()
    }

    /// A client for the configured service.
    pub(crate) fn client(&self) -> Result<Client, Error> {
        let (cloud, credential) = self.credential()?;
        let mut builder = Client::builder()
            .cloud(cloud)
            .shared_credential(credential)
            .ca_certificates(self.ca_certificates()?);
        if let Some(base_url) = &self.base_url {
            builder = builder.base_url(base_url);
        }
        builder
            .pacing(PacingConfig::default().with_budgets(self.budgets()?))
            .build()
            .map_err(Error::from)
    }

    /// Graph's budgets as configured: the documented ones unless replaced.
    pub(crate) fn budgets(&self) -> Result<Budgets, Error> {
        let mut budgets = Budgets::documented();
        for (value, quota, variable) in [
            (
                &self.write_budget,
                Quota::AppWrites,
                "SIGNIN_PREFS_WRITE_BUDGET",
            ),
            (
                &self.tenant_write_budget,
                Quota::TenantWrites,
                "SIGNIN_PREFS_TENANT_WRITE_BUDGET",
            ),
            (
                &self.read_budget,
                Quota::ResourceUnits,
                "SIGNIN_PREFS_READ_BUDGET",
            ),
            (
                &self.reports_budget,
                Quota::Reports,
                "SIGNIN_PREFS_REPORTS_BUDGET",
            ),
        ] {
            let Some(value) = value else { continue };
            budgets = budgets
                .with_setting(quota, value)
                .map_err(|error| Error::Input(format!("{variable}: {error}")))?;
        }
        Ok(budgets)
    }

    /// The cloud and the credential the settings describe.
    pub(crate) fn credential(&self) -> Result<(Cloud, Arc<dyn TokenCredential>), Error> {
        if !self.is_configured() {
            return Err(Error::Input(no_tenant()));
        }
        let cloud = match self.cloud.as_deref() {
            None => Cloud::Global,
            Some(name) => name
                .parse::<Cloud>()
                .map_err(|error| Error::Input(format!("SIGNIN_PREFS_CLOUD: {error}")))?,
        };
        if let Some(token) = self.token()? {
            return Ok((cloud, Arc::new(StaticToken::new(token))));
        }
        let tenant = self.require(&self.tenant_id, "SIGNIN_PREFS_TENANT_ID")?;
        let client_id = self.require(&self.client_id, "SIGNIN_PREFS_CLIENT_ID")?;
        let secret = match (
            &self.client_secret_file,
            std::env::var("SIGNIN_PREFS_CLIENT_SECRET"),
        ) {
            (_, Ok(secret)) if !secret.is_empty() => Secret::new(secret),
            (Some(path), _) => {
                Secret::from_file(path).map_err(|error| Error::Input(error.to_string()))?
            }
            _ => {
                return Err(Error::Input(
                    "no client secret: set SIGNIN_PREFS_CLIENT_SECRET or SIGNIN_PREFS_CLIENT_SECRET_FILE".into(),
                ));
            }
        };
        let authority = self
            .login_authority
            .clone()
            .or_else(|| self.base_url.clone());
        let ca = self.ca_certificates()?;
        let credential = match authority {
            Some(authority) => {
                ClientSecretCredential::with_authority(&authority, tenant, client_id, secret)
            }
            None => ClientSecretCredential::new(cloud, tenant, client_id, secret),
        }
        .and_then(|credential| credential.with_ca_certificates(&ca))
        .map_err(|error| Error::Input(error.to_string()))?;
        Ok((cloud, Arc::new(credential)))
    }

    /// The extra certificate authorities to trust (none unless `ca_file` is set).
    pub(crate) fn ca_certificates(&self) -> Result<CaCertificates, Error> {
        match &self.ca_file {
            Some(path) => CaCertificates::from_file(path)
                .map_err(|error| Error::Input(format!("SIGNIN_PREFS_CA_FILE: {error}"))),
            None => Ok(CaCertificates::default()),
        }
    }

    fn token(&self) -> Result<Option<Secret>, Error> {
        if let Ok(token) = std::env::var("SIGNIN_PREFS_TOKEN")
            && !token.is_empty()
        {
            return Ok(Some(Secret::new(token)));
        }
        match &self.token_file {
            Some(path) => {
                warn_if_others_can_read(path);
                Secret::from_file(path)
                    .map(Some)
                    .map_err(|error| Error::Input(error.to_string()))
            }
            None => Ok(None),
        }
    }

    fn require<'a>(&self, value: &'a Option<String>, variable: &str) -> Result<&'a str, Error> {
        value
            .as_deref()
            .ok_or_else(|| Error::Input(format!("{variable} is not set")))
    }
}

/// Says on stderr when a file holding a secret can be read by others than its owner: it is still
/// used (refusing would stop a run over a setting), as ssh warns of a key file.
fn warn_if_others_can_read(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "signin-prefs: warning: {} holds a token and can be read by others than its owner; chmod 600 it",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::ENVIRONMENT;

    /// The README's settings table, where users look them up.
    const README: &str = include_str!("../../../../README.md");

    #[test]
    fn the_readme_documents_every_variable_and_config_key() {
        let documented = |name: &str| README.contains(&format!("`{name}`"));
        let mut missing: Vec<&str> = ENVIRONMENT
            .iter()
            .flat_map(|(variable, key)| [*variable, *key])
            .chain([
                "SIGNIN_PREFS_CLIENT_SECRET",
                "SIGNIN_PREFS_TOKEN",
                "SIGNIN_PREFS_CONFIG",
                "SIGNIN_PREFS_LOG",
            ])
            .filter(|name| !documented(name))
            .collect();
        missing.dedup();
        assert!(missing.is_empty(), "README.md does not name {missing:?}");
    }
}
