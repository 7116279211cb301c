//! Access as whoever is signed in to the Azure CLI on this workstation: `az account
//! get-access-token --resource … --output json` (Learn: "az account get-access-token"), its
//! `expires_on` (seconds since the epoch) giving the lifetime. The administrator signs in with
//! `az login` as they already do; no secret is configured here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{AccessToken, TokenCredential, TokenFuture};
use crate::{Error, Secret};

/// How long a token is assumed valid when `az` is too old to say (`expires_on` came in 2.54).
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// Tokens from the Azure CLI (`az`, found on `PATH`).
#[derive(Debug, Clone)]
pub struct AzureCliCredential {
    program: String,
    tenant: Option<String>,
}

impl AzureCliCredential {
    /// Tokens of the `az` on `PATH`, for `tenant` when given (else the CLI's current account).
    pub fn new(tenant: Option<&str>) -> Self {
        Self {
            program: "az".to_owned(),
            tenant: tenant.map(str::to_owned),
        }
    }
}

impl TokenCredential for AzureCliCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let scope = scopes.first().copied().unwrap_or_default();
            let resource = scope.strip_suffix("/.default").unwrap_or(scope);
            let mut command = tokio::process::Command::new(&self.program);
            command.args([
                "account",
                "get-access-token",
                "--output",
                "json",
                "--resource",
                resource,
            ]);
            if let Some(tenant) = &self.tenant {
                command.args(["--tenant", tenant]);
            }
            let output = command.output().await.map_err(|cause| {
                Error::credential(
                    "Azure CLI: cannot run `az` (is the Azure CLI installed and on PATH?)",
                )
                .with_cause(cause)
            })?;
            if !output.status.success() {
                let said = String::from_utf8_lossy(&output.stderr);
                let first = said
                    .lines()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or_default();
                return Err(Error::credential(format!(
                    "Azure CLI: `az account get-access-token` failed ({}): {}; sign in with `az login`{}",
                    output.status,
                    first.chars().take(300).collect::<String>(),
                    self.tenant
                        .as_deref()
                        .map(|tenant| format!(" --tenant {tenant}"))
                        .unwrap_or_default()
                )));
            }
            let answer: serde_json::Value =
                serde_json::from_slice(&output.stdout).map_err(|cause| {
                    Error::credential("Azure CLI: `az account get-access-token` did not print JSON")
                        .with_cause(cause)
                })?;
            let token = answer
                .get("accessToken")
                .and_then(serde_json::Value::as_str)
                .filter(|token| !token.is_empty())
                .ok_or_else(|| Error::credential("Azure CLI: the answer has no accessToken"))?;
            let expires_at = answer
                .get("expires_on")
                .and_then(|value| value.as_u64().or_else(|| value.as_str()?.parse().ok()))
                .map_or_else(
                    || SystemTime::now() + ASSUMED_LIFETIME,
                    |seconds| UNIX_EPOCH + Duration::from_secs(seconds),
                );
            Ok(AccessToken::new(Secret::new(token), expires_at))
        })
    }
}
