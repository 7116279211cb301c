//! The one place a credential is chosen from the settings ([`Settings`]): the CLI, Python's
//! `Client.from_env()` and [`Client::from_env`] all come here, and `doctor` reports the choice.
//!
//! Unless `credential` (`SIGNIN_PREFS_CREDENTIAL`) names one, the first that is configured wins,
//! in the Azure SDKs' order (environment, workload identity, managed identity, then the user's
//! own sign-in): a bearer token; a client secret; a client certificate; a federated token file;
//! App Service's managed identity (`IDENTITY_ENDPOINT` and `IDENTITY_HEADER`); a sign-in kept by
//! `signin-prefs login`. A VM's managed identity and the Azure CLI are never guessed (neither
//! can be seen from the environment): `credential = "managed-identity"` or `"azure-cli"`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use crate::auth::{
    AzureCliCredential, ClientCertificateCredential, ClientSecretCredential, DeviceCodeCredential,
    IMDS_ORIGIN, ManagedIdentityCredential, StaticToken, TokenCacheFile, TokenCredential,
    TokenFuture, WorkloadIdentityCredential,
};
use crate::{Budgets, CaCertificates, Client, Cloud, Error, PacingConfig, Quota, Secret, Settings};

/// A kind of credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A bearer token given as is (`token`).
    Token,
    /// An app's client secret (`secret`).
    ClientSecret,
    /// An app's certificate, PEM or PKCS#12 (`certificate`).
    Certificate,
    /// Workload identity federation's token file (`workload-identity`).
    WorkloadIdentity,
    /// The Azure host's managed identity, IMDS or App Service (`managed-identity`).
    ManagedIdentity,
    /// The Azure CLI's signed-in account (`azure-cli`).
    AzureCli,
    /// An administrator's own sign-in by device code, kept by `signin-prefs login` (`device-code`).
    DeviceCode,
}

const KINDS: [(CredentialKind, &str); 7] = [
    (CredentialKind::Token, "token"),
    (CredentialKind::ClientSecret, "secret"),
    (CredentialKind::Certificate, "certificate"),
    (CredentialKind::WorkloadIdentity, "workload-identity"),
    (CredentialKind::ManagedIdentity, "managed-identity"),
    (CredentialKind::AzureCli, "azure-cli"),
    (CredentialKind::DeviceCode, "device-code"),
];

impl CredentialKind {
    /// The setting's spelling.
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("token", |(_, name)| name)
    }

    /// What to do when this credential is refused.
    fn remedy(self) -> &'static str {
        match self {
            CredentialKind::Token => "get a fresh token",
            CredentialKind::ClientSecret => {
                "check the client secret; if it expired, create a new one under the app registration's Certificates & secrets"
            }
            CredentialKind::Certificate => {
                "check that this certificate is uploaded to the app registration and has not expired"
            }
            CredentialKind::WorkloadIdentity => {
                "check the app's federated identity credential (issuer, subject, audience) and that the token file is fresh"
            }
            CredentialKind::ManagedIdentity => {
                "check that the identity is assigned to this host (and the client id, for a user-assigned one)"
            }
            CredentialKind::AzureCli => "sign in with `az login`",
            CredentialKind::DeviceCode => "sign in again with `signin-prefs login`",
        }
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CredentialKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        KINDS
            .iter()
            .find(|(_, name)| *name == wanted)
            .map(|(kind, _)| *kind)
            .ok_or_else(|| {
                let names: Vec<&str> = KINDS.iter().map(|(_, name)| *name).collect();
                Error::configuration(format!(
                    "unknown credential {text:?}: expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// Which credential was chosen, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialChoice {
    /// The kind.
    pub kind: CredentialKind,
    /// Why it (what setting chose it), for `doctor`.
    pub reason: String,
}

/// Shows a device-code prompt to the user.
pub type ShowPrompt = Box<dyn Fn(&crate::DeviceCodePrompt) + Send + Sync>;

/// A client and what it signs in with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Connection {
    /// The client.
    pub client: Client,
    /// Its credential (for `doctor`, which reads the token's claims).
    pub credential: Arc<dyn TokenCredential>,
    /// Which credential, and why.
    pub choice: CredentialChoice,
}

/// A credential whose refusals name its kind and what to do.
#[derive(Debug)]
struct Named {
    kind: CredentialKind,
    inner: Arc<dyn TokenCredential>,
}

impl TokenCredential for Named {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            self.inner.get_token(scopes).await.map_err(|error| {
                let text = error.to_string();
                // A device-code refusal already says to sign in again.
                let remedy = if text.contains("signin-prefs login") {
                    String::new()
                } else {
                    format!("; {}", self.kind.remedy())
                };
                Error::credential(format!("{} credential: {text}{remedy}", self.kind))
            })
        })
    }
}

impl Client {
    /// A client configured by the environment alone (see [`Settings`]).
    pub fn from_env() -> Result<Client, Error> {
        Settings::from_env()
            .connect()
            .map(|connection| connection.client)
    }
}

/// Not set: which variables would set it.
fn missing(what: &str, variables: &str) -> Error {
    Error::configuration(format!("{what} is not set ({variables})"))
}

impl Settings {
    /// The cloud the settings name (global by default).
    pub fn cloud(&self) -> Result<Cloud, Error> {
        match self.cloud.as_deref() {
            None => Ok(Cloud::Global),
            Some(name) => name
                .parse::<Cloud>()
                .map_err(|error| Error::configuration(format!("SIGNIN_PREFS_CLOUD: {error}"))),
        }
    }

    /// The extra certificate authorities to trust (none unless `ca_file` is set).
    pub fn ca_certificates(&self) -> Result<CaCertificates, Error> {
        match &self.ca_file {
            Some(path) => CaCertificates::from_file(path),
            None => Ok(CaCertificates::default()),
        }
    }

    /// The token cache `signin-prefs login` keeps its sign-in in.
    pub fn token_cache_file(&self) -> Option<TokenCacheFile> {
        self.token_cache
            .clone()
            .or_else(TokenCacheFile::default_location)
            .map(TokenCacheFile::new)
    }

    /// Graph's budgets: the documented ones unless replaced.
    pub fn budgets(&self) -> Result<Budgets, Error> {
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
                .map_err(|error| Error::configuration(format!("{variable}: {error}")))?;
        }
        Ok(budgets)
    }

    /// Where tokens are asked for: the login authority, else the base URL (an emulator serves
    /// both), else the cloud's login host.
    fn authority(&self) -> Result<String, Error> {
        Ok(self
            .login_authority
            .clone()
            .or_else(|| self.base_url.clone())
            .unwrap_or_else(|| {
                Cloud::login_authority(self.cloud().unwrap_or(Cloud::Global)).to_owned()
            }))
    }

    fn tenant(&self) -> Result<&str, Error> {
        self.tenant_id
            .as_deref()
            .ok_or_else(|| missing("the tenant", "SIGNIN_PREFS_TENANT_ID or AZURE_TENANT_ID"))
    }

    fn client_id(&self) -> Result<&str, Error> {
        self.client_id
            .as_deref()
            .ok_or_else(|| missing("the client id", "SIGNIN_PREFS_CLIENT_ID or AZURE_CLIENT_ID"))
    }

    /// The device-code credential of these settings, keeping its sign-in in the token cache;
    /// `prompt` shows the user what to do (`None`: never ask, use the kept sign-in only).
    pub fn device_code_credential(
        &self,
        prompt: Option<ShowPrompt>,
    ) -> Result<DeviceCodeCredential, Error> {
        let interactive = prompt.is_some();
        let prompt = prompt.unwrap_or_else(|| Box::new(|_| {}));
        let mut credential = DeviceCodeCredential::with_authority(
            &self.authority()?,
            self.tenant()?,
            self.client_id()?,
            move |shown| prompt(shown),
        )?
        .with_ca_certificates(&self.ca_certificates()?)?;
        if let Some(cache) = self.token_cache_file() {
            credential = credential.with_token_cache(cache);
        }
        Ok(if interactive {
            credential
        } else {
            credential.non_interactive()
        })
    }

    /// Which credential the settings call for, and why.
    pub fn choose(&self) -> Result<CredentialChoice, Error> {
        let chosen = |kind, reason: &str| {
            Ok(CredentialChoice {
                kind,
                reason: reason.to_owned(),
            })
        };
        if let Some(name) = &self.credential {
            let kind: CredentialKind = name.parse()?;
            return chosen(
                kind,
                "SIGNIN_PREFS_CREDENTIAL (or the config's `credential`) names it",
            );
        }
        if let Some((variable, _)) = &self.secrets.token {
            return chosen(CredentialKind::Token, &format!("{variable} is set"));
        }
        if self.token_file.is_some() {
            return chosen(
                CredentialKind::Token,
                "a token file is set (SIGNIN_PREFS_TOKEN_FILE or token_file)",
            );
        }
        if let Some((variable, _)) = &self.secrets.client_secret {
            return chosen(CredentialKind::ClientSecret, &format!("{variable} is set"));
        }
        if self.client_secret_file.is_some() {
            return chosen(
                CredentialKind::ClientSecret,
                "a client secret file is set (SIGNIN_PREFS_CLIENT_SECRET_FILE or client_secret_file)",
            );
        }
        if self.client_certificate_path.is_some() {
            return chosen(
                CredentialKind::Certificate,
                "a client certificate is set (AZURE_CLIENT_CERTIFICATE_PATH, SIGNIN_PREFS_CLIENT_CERTIFICATE_PATH or client_certificate_path)",
            );
        }
        if self.federated_token_file.is_some() {
            return chosen(
                CredentialKind::WorkloadIdentity,
                "a federated token file is set (AZURE_FEDERATED_TOKEN_FILE or federated_token_file)",
            );
        }
        if self.secrets.identity_endpoint.is_some() && self.secrets.identity_header.is_some() {
            return chosen(
                CredentialKind::ManagedIdentity,
                "IDENTITY_ENDPOINT and IDENTITY_HEADER are set (App Service, Functions)",
            );
        }
        if self.tenant_id.is_some()
            && self.client_id.is_some()
            && self
                .device_code_credential(None)
                .is_ok_and(|credential| credential.has_kept_sign_in())
        {
            return chosen(
                CredentialKind::DeviceCode,
                "a sign-in is kept by `signin-prefs login` for this tenant and app",
            );
        }
        Err(Error::configuration(
            "no credential configured: set SIGNIN_PREFS_TENANT_ID and SIGNIN_PREFS_CLIENT_ID (or AZURE_TENANT_ID and \
             AZURE_CLIENT_ID) with a client secret (SIGNIN_PREFS_CLIENT_SECRET, AZURE_CLIENT_SECRET or _FILE), a \
             certificate (AZURE_CLIENT_CERTIFICATE_PATH) or a federated token file (AZURE_FEDERATED_TOKEN_FILE); or run \
             `signin-prefs login`; or set SIGNIN_PREFS_CREDENTIAL to managed-identity or azure-cli; or \
             SIGNIN_PREFS_BASE_URL and SIGNIN_PREFS_TOKEN for an emulator",
        ))
    }

    /// The credential the settings call for, and why.
    pub fn credential(&self) -> Result<(Arc<dyn TokenCredential>, CredentialChoice), Error> {
        let choice = self.choose()?;
        let ca = self.ca_certificates()?;
        let authority = self.authority()?;
        let inner: Arc<dyn TokenCredential> = match choice.kind {
            CredentialKind::Token => Arc::new(StaticToken::new(self.token()?)),
            CredentialKind::ClientSecret => Arc::new(
                ClientSecretCredential::with_authority(
                    &authority,
                    self.tenant()?,
                    self.client_id()?,
                    self.client_secret()?,
                )?
                .with_ca_certificates(&ca)?,
            ),
            CredentialKind::Certificate => {
                Arc::new(self.certificate(&authority)?.with_ca_certificates(&ca)?)
            }
            CredentialKind::WorkloadIdentity => {
                let file = self.federated_token_file.as_deref().ok_or_else(|| {
                    missing("the federated token file", "AZURE_FEDERATED_TOKEN_FILE")
                })?;
                Arc::new(
                    WorkloadIdentityCredential::with_authority(
                        &authority,
                        self.tenant()?,
                        self.client_id()?,
                        file,
                    )?
                    .with_ca_certificates(&ca)?,
                )
            }
            CredentialKind::ManagedIdentity => {
                let client_id = self.client_id.as_deref();
                let credential = match (
                    &self.secrets.identity_endpoint,
                    &self.secrets.identity_header,
                ) {
                    (Some(endpoint), Some(header)) => {
                        ManagedIdentityCredential::app_service(endpoint, header.clone(), client_id)?
                    }
                    _ => ManagedIdentityCredential::imds(
                        self.imds_origin.as_deref().unwrap_or(IMDS_ORIGIN),
                        client_id,
                    )?,
                };
                Arc::new(credential.with_ca_certificates(&ca)?)
            }
            CredentialKind::AzureCli => {
                Arc::new(AzureCliCredential::new(self.tenant_id.as_deref()))
            }
            CredentialKind::DeviceCode => Arc::new(self.device_code_credential(None)?),
        };
        Ok((
            Arc::new(Named {
                kind: choice.kind,
                inner,
            }),
            choice,
        ))
    }

    /// The client, its credential and why that one.
    pub fn connect(&self) -> Result<Connection, Error> {
        let (credential, choice) = self.credential()?;
        let mut builder = Client::builder()
            .cloud(self.cloud()?)
            .shared_credential(Arc::clone(&credential))
            .ca_certificates(self.ca_certificates()?);
        if let Some(base_url) = &self.base_url {
            builder = builder.base_url(base_url);
        }
        let client = builder
            .pacing(PacingConfig::default().with_budgets(self.budgets()?))
            .build()?;
        Ok(Connection {
            client,
            credential,
            choice,
        })
    }

    fn token(&self) -> Result<Secret, Error> {
        if let Some((_, token)) = &self.secrets.token {
            return Ok(token.clone());
        }
        let path = self
            .token_file
            .as_deref()
            .ok_or_else(|| missing("the token", "SIGNIN_PREFS_TOKEN or SIGNIN_PREFS_TOKEN_FILE"))?;
        warn_if_others_can_read(path);
        Secret::from_file(path)
    }

    fn client_secret(&self) -> Result<Secret, Error> {
        if let Some((_, secret)) = &self.secrets.client_secret {
            return Ok(secret.clone());
        }
        match &self.client_secret_file {
            Some(path) => {
                warn_if_others_can_read(path);
                Secret::from_file(path)
            }
            None => Err(missing(
                "the client secret",
                "SIGNIN_PREFS_CLIENT_SECRET, AZURE_CLIENT_SECRET or SIGNIN_PREFS_CLIENT_SECRET_FILE",
            )),
        }
    }

    fn certificate(&self, authority: &str) -> Result<ClientCertificateCredential, Error> {
        let path = self.client_certificate_path.as_deref().ok_or_else(|| {
            missing(
                "the client certificate",
                "AZURE_CLIENT_CERTIFICATE_PATH or SIGNIN_PREFS_CLIENT_CERTIFICATE_PATH",
            )
        })?;
        warn_if_others_can_read(path);
        let bytes = std::fs::read(path).map_err(|cause| {
            Error::configuration(format!(
                "cannot read the client certificate {}: {cause}",
                path.display()
            ))
        })?;
        let (tenant, client_id) = (self.tenant()?, self.client_id()?);
        if bytes.starts_with(b"-----")
            || std::str::from_utf8(&bytes).is_ok_and(|text| text.contains("-----BEGIN"))
        {
            let text = Secret::new(String::from_utf8_lossy(&bytes).into_owned());
            return ClientCertificateCredential::from_pem_with_authority(
                authority, tenant, client_id, &text,
            )
            .map_err(|error| Error::configuration(format!("{}: {error}", path.display())));
        }
        self.pkcs12(authority, tenant, client_id, path, &bytes)
    }

    #[cfg(feature = "pkcs12")]
    fn pkcs12(
        &self,
        authority: &str,
        tenant: &str,
        client_id: &str,
        path: &Path,
        archive: &[u8],
    ) -> Result<ClientCertificateCredential, Error> {
        let password = match (
            &self.secrets.certificate_password,
            &self.client_certificate_password_file,
        ) {
            (Some((_, password)), _) => password.clone(),
            (None, Some(file)) => Secret::from_file(file)?,
            (None, None) => Secret::new(""),
        };
        ClientCertificateCredential::from_pkcs12_with_authority(
            authority, tenant, client_id, archive, &password,
        )
        .map_err(|error| Error::configuration(format!("{}: {error}", path.display())))
    }

    #[cfg(not(feature = "pkcs12"))]
    fn pkcs12(
        &self,
        _authority: &str,
        _tenant: &str,
        _client_id: &str,
        path: &Path,
        _archive: &[u8],
    ) -> Result<ClientCertificateCredential, Error> {
        Err(Error::configuration(format!(
            "{} is not PEM, and this build reads no PKCS#12 (the client crate's `pkcs12` feature)",
            path.display()
        )))
    }
}

/// Says (as a warning) when a file holding a secret can be read by others than its owner: it is
/// still used (refusing would stop a run over a setting), as ssh warns of a key file.
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "{} holds a secret and can be read by others than its owner; chmod 600 it",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
