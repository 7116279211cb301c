//! App-only access by workload identity federation: the token a workload's identity provider
//! writes to a file (AKS's projected service-account token, GitHub Actions' OIDC token), sent as
//! the client assertion of the client-credentials grant (Learn: "Workload identity federation").
//! The file is read at every token request, since the provider rotates it.

use std::path::{Path, PathBuf};

use super::token_endpoint::TokenEndpoint;
use super::{TokenCredential, TokenFuture};
use crate::{CaCertificates, Cloud, Error, Secret};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// App-only access with a federated token file (`AZURE_FEDERATED_TOKEN_FILE`).
#[derive(Debug, Clone)]
pub struct WorkloadIdentityCredential {
    endpoint: TokenEndpoint,
    client_id: String,
    token_file: PathBuf,
}

impl WorkloadIdentityCredential {
    /// For `tenant` in `cloud`.
    pub fn new(
        cloud: Cloud,
        tenant: &str,
        client_id: &str,
        token_file: &Path,
    ) -> Result<Self, Error> {
        Self::with_authority(cloud.login_authority(), tenant, client_id, token_file)
    }

    /// For `tenant` at an explicit authority.
    pub fn with_authority(
        authority: &str,
        tenant: &str,
        client_id: &str,
        token_file: &Path,
    ) -> Result<Self, Error> {
        Ok(Self {
            endpoint: TokenEndpoint::new(authority, tenant)?,
            client_id: client_id.to_owned(),
            token_file: token_file.to_path_buf(),
        })
    }

    /// Trusts `certificates` too when calling the login host (an emulator's `--tls` CA).
    pub fn with_ca_certificates(mut self, certificates: &CaCertificates) -> Result<Self, Error> {
        self.endpoint = self.endpoint.trusting(certificates)?;
        Ok(self)
    }

    /// The token file.
    pub fn token_file(&self) -> &Path {
        &self.token_file
    }
}

impl TokenCredential for WorkloadIdentityCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let assertion = Secret::from_file(&self.token_file).map_err(|error| {
                Error::credential(format!(
                    "workload identity: {error} (AZURE_FEDERATED_TOKEN_FILE)"
                ))
            })?;
            let scope = scopes.join(" ");
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("scope", scope.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion.expose()),
            ];
            let grant = self
                .endpoint
                .request_token(&form, &[assertion.expose()])
                .await?;
            Ok(grant.access_token)
        })
    }
}
