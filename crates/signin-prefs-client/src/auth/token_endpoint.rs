//! The Entra ID token endpoint (OAuth 2.0 v2), shared by the built-in credentials, and the
//! client-secret credential.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::Url;
use serde::Deserialize;

use super::{AccessToken, TokenCredential, TokenFuture};
use crate::cloud::{checked_origin, is_loopback_origin};
use crate::{CaCertificates, Cloud, Error, Secret};

/// Token requests are small; a login host that takes longer than this is not answering.
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const TOKEN_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `{authority}/{tenant}/oauth2/v2.0/…` for one tenant, and an HTTP client to call it.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    http: reqwest::Client,
    origin: String,
    token_url: Url,
    device_code_url: Url,
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("token_url", &self.token_url.as_str())
            .finish_non_exhaustive()
    }
}

/// A successful token response.
pub(crate) struct TokenGrant {
    pub(crate) access_token: AccessToken,
    pub(crate) refresh_token: Option<Secret>,
}

/// An OAuth error response (`error`, `error_description`, …).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OAuthError {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
    #[serde(default)]
    pub(crate) correlation_id: Option<String>,
}

impl TokenEndpoint {
    /// The endpoint of `tenant` (a GUID or a domain) at `authority` (scheme, host and port).
    pub(crate) fn new(authority: &str, tenant: &str) -> Result<Self, Error> {
        let origin = checked_origin(authority)?;
        if tenant.trim().is_empty() {
            return Err(Error::configuration("the tenant is empty"));
        }
        let url_for = |last: &str| -> Result<Url, Error> {
            let mut url = Url::parse(&origin).map_err(|cause| {
                Error::configuration(format!("invalid authority {origin:?}: {cause}"))
            })?;
            url.path_segments_mut()
                .map_err(|()| {
                    Error::configuration(format!("authority {origin:?} cannot have a path"))
                })?
                .clear()
                // One segment whatever the tenant contains: it cannot change the path or host.
                .extend([tenant, "oauth2", "v2.0", last]);
            Ok(url)
        };
        Ok(Self {
            http: http_client(&origin, &CaCertificates::default())?,
            token_url: url_for("token")?,
            device_code_url: url_for("devicecode")?,
            origin,
        })
    }

    /// The same endpoint, trusting `certificates` too.
    pub(crate) fn trusting(mut self, certificates: &CaCertificates) -> Result<Self, Error> {
        self.http = http_client(&self.origin, certificates)?;
        Ok(self)
    }

    pub(crate) fn token_url(&self) -> &Url {
        &self.token_url
    }

    pub(crate) fn device_code_url(&self) -> &Url {
        &self.device_code_url
    }

    /// Posts a form; returns the JSON reply of a 2xx, or the OAuth error of a 4xx. `secrets` are
    /// removed from any text that ends up in an error.
    pub(crate) async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<Result<serde_json::Value, OAuthError>, Error> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let client_request_id = uuid::Uuid::new_v4().to_string();
        tracing::debug!(url = %url, %client_request_id, "calling the token endpoint");
        let response = self
            .http
            .post(url.clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .header("client-request-id", &client_request_id)
            .body(body)
            .send()
            .await
            .map_err(|cause| {
                Error::credential(format!("cannot reach the token endpoint {url}"))
                    .with_cause(cause)
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|cause| {
            Error::credential(format!("the token endpoint {url} broke off its answer"))
                .with_cause(cause)
        })?;
        let redact = |text: &str| {
            secrets
                .iter()
                .filter(|secret| !secret.is_empty())
                .fold(text.to_owned(), |text, secret| {
                    text.replace(secret, "<redacted>")
                })
        };
        if status.is_success() {
            return serde_json::from_slice(&bytes).map(Ok).map_err(|cause| {
                Error::credential(format!("the token endpoint {url} answered HTTP {status} with a body that is not JSON: {cause}"))
            });
        }
        match serde_json::from_slice::<OAuthError>(&bytes) {
            Ok(mut error) if status.is_client_error() => {
                error.error_description = error.error_description.as_deref().map(redact);
                Ok(Err(error))
            }
            _ => Err(Error::credential(format!(
                "the token endpoint {url} answered HTTP {status}: {}",
                redact(
                    &String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(300)
                        .collect::<String>()
                )
            ))),
        }
    }

    /// Posts a token request and reads the grant, turning OAuth errors into credential errors.
    pub(crate) async fn request_token(
        &self,
        form: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<TokenGrant, Error> {
        match self.post_form(&self.token_url, form, secrets).await? {
            Ok(reply) => read_grant(&reply),
            Err(error) => Err(refused(&error)),
        }
    }
}

/// The HTTP client for a login host.
pub(crate) fn http_client(
    origin: &str,
    certificates: &CaCertificates,
) -> Result<reqwest::Client, Error> {
    let mut http = reqwest::Client::builder();
    if is_loopback_origin(origin) {
        http = http.no_proxy();
    }
    certificates
        .apply(http)
        .connect_timeout(TOKEN_CONNECT_TIMEOUT)
        .timeout(TOKEN_REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(crate::USER_AGENT)
        .build()
        .map_err(|cause| Error::configuration("cannot build the HTTP client").with_cause(cause))
}

/// The error for a refused token request.
pub(crate) fn refused(error: &OAuthError) -> Error {
    let mut text = format!("the token endpoint refused: {}", error.error);
    if let Some(description) = &error.error_description {
        text.push_str(&format!(": {description}"));
    }
    if let Some(correlation_id) = &error.correlation_id {
        text.push_str(&format!(" (correlation-id {correlation_id})"));
    }
    Error::credential(text)
}

/// Reads `access_token`, `expires_in` (a number, or a string in older endpoints) and
/// `refresh_token`.
pub(crate) fn read_grant(reply: &serde_json::Value) -> Result<TokenGrant, Error> {
    let access_token = reply
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| Error::credential("the token endpoint answered without an access_token"))?;
    let expires_in = match reply.get("expires_in") {
        Some(serde_json::Value::Number(number)) => number.as_u64(),
        Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| Error::credential("the token endpoint answered without a valid expires_in"))?;
    let refresh_token = reply
        .get("refresh_token")
        .and_then(serde_json::Value::as_str)
        .map(Secret::new);
    Ok(TokenGrant {
        access_token: AccessToken::new(
            Secret::new(access_token),
            SystemTime::now() + Duration::from_secs(expires_in),
        ),
        refresh_token,
    })
}

/// App-only access with a client secret (OAuth client credentials).
#[derive(Debug, Clone)]
pub struct ClientSecretCredential {
    endpoint: TokenEndpoint,
    client_id: String,
    secret: Secret,
}

impl ClientSecretCredential {
    /// For `tenant` in `cloud`.
    pub fn new(cloud: Cloud, tenant: &str, client_id: &str, secret: Secret) -> Result<Self, Error> {
        Self::with_authority(cloud.login_authority(), tenant, client_id, secret)
    }

    /// For `tenant` at an explicit authority (an emulator, or a host the [`Cloud`]s do not list).
    pub fn with_authority(
        authority: &str,
        tenant: &str,
        client_id: &str,
        secret: Secret,
    ) -> Result<Self, Error> {
        Ok(Self {
            endpoint: TokenEndpoint::new(authority, tenant)?,
            client_id: client_id.to_owned(),
            secret,
        })
    }

    /// Where tokens are requested.
    pub fn token_url(&self) -> &str {
        self.endpoint.token_url().as_str()
    }

    /// Trusts `certificates` too when calling the login host (an emulator's `--tls` CA).
    pub fn with_ca_certificates(mut self, certificates: &CaCertificates) -> Result<Self, Error> {
        self.endpoint = self.endpoint.trusting(certificates)?;
        Ok(self)
    }
}

impl TokenCredential for ClientSecretCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let scope = scopes.join(" ");
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("scope", scope.as_str()),
                ("client_secret", self.secret.expose()),
            ];
            let grant = self
                .endpoint
                .request_token(&form, &[self.secret.expose()])
                .await?;
            Ok(grant.access_token)
        })
    }
}
