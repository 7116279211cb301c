//! App-only access as the managed identity of the Azure host the code runs on: a VM's Instance
//! Metadata Service (`GET /metadata/identity/oauth2/token` with `Metadata: true`; Learn: "How to
//! use managed identities for Azure resources on an Azure VM to acquire an access token") or App
//! Service's and Functions' `IDENTITY_ENDPOINT` with `X-IDENTITY-HEADER` (Learn: "How to use
//! managed identities for App Service and Azure Functions", REST endpoint reference). No secret
//! is configured: the host vouches for the code.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;

use super::token_endpoint::http_client;
use super::{AccessToken, TokenCredential, TokenFuture};
use crate::{CaCertificates, Error, Secret};

/// Where IMDS answers on every Azure VM: a link-local address, plain HTTP, never routed.
pub const IMDS_ORIGIN: &str = "http://169.254.169.254";
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
const IMDS_API_VERSION: &str = "2018-02-01";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";

/// Which shape of managed-identity endpoint.
#[derive(Clone)]
enum Source {
    Imds { url: Url },
    AppService { url: Url, header: Secret },
}

/// App-only access as the host's managed identity: system-assigned, or user-assigned when a client
/// id is given.
#[derive(Clone)]
pub struct ManagedIdentityCredential {
    http: reqwest::Client,
    source: Source,
    client_id: Option<String>,
}

impl fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (shape, url) = match &self.source {
            Source::Imds { url } => ("IMDS", url),
            Source::AppService { url, .. } => ("App Service", url),
        };
        f.debug_struct("ManagedIdentityCredential")
            .field("source", &shape)
            .field("url", &url.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn parse_url(text: &str, what: &str) -> Result<Url, Error> {
    let url = Url::parse(text)
        .map_err(|cause| Error::configuration(format!("{what} {text:?} is not a URL: {cause}")))?;
    // Plain HTTP is how IMDS answers (link-local) and how App Service's local endpoint is often
    // given; anywhere else a token would cross a network in the clear.
    let host = url.host_str().unwrap_or_default();
    let local = host == "169.254.169.254"
        || crate::cloud::is_loopback_origin(&format!("http://{host}"))
        || host == "localhost";
    if url.scheme() != "https" && !(url.scheme() == "http" && local) {
        return Err(Error::configuration(format!(
            "{what} {text:?} must be HTTPS, or plain HTTP to the link-local IMDS address or loopback"
        )));
    }
    Ok(url)
}

impl ManagedIdentityCredential {
    /// The VM's IMDS at `origin` ([`IMDS_ORIGIN`] on Azure; an emulator's for tests), as the
    /// user-assigned identity `client_id` or the system-assigned one.
    pub fn imds(origin: &str, client_id: Option<&str>) -> Result<Self, Error> {
        let url = parse_url(
            &format!("{}{IMDS_PATH}", origin.trim_end_matches('/')),
            "the IMDS origin",
        )?;
        Ok(Self {
            http: http_client(url.as_str(), &CaCertificates::default())?,
            source: Source::Imds { url },
            client_id: client_id.map(str::to_owned),
        })
    }

    /// App Service's endpoint (`IDENTITY_ENDPOINT`) with its header secret (`IDENTITY_HEADER`).
    pub fn app_service(
        endpoint: &str,
        header: Secret,
        client_id: Option<&str>,
    ) -> Result<Self, Error> {
        let url = parse_url(endpoint, "IDENTITY_ENDPOINT")?;
        Ok(Self {
            http: http_client(url.as_str(), &CaCertificates::default())?,
            source: Source::AppService { url, header },
            client_id: client_id.map(str::to_owned),
        })
    }

    /// Trusts `certificates` too (an emulator's `--tls` CA).
    pub fn with_ca_certificates(mut self, certificates: &CaCertificates) -> Result<Self, Error> {
        let url = match &self.source {
            Source::Imds { url } | Source::AppService { url, .. } => url.as_str().to_owned(),
        };
        self.http = http_client(&url, certificates)?;
        Ok(self)
    }

    /// Which endpoint shape, for `doctor`: `IMDS` or `App Service`.
    pub fn shape(&self) -> &'static str {
        match self.source {
            Source::Imds { .. } => "IMDS",
            Source::AppService { .. } => "App Service",
        }
    }
}

/// The resource a `…/.default` scope names (`https://graph.microsoft.com/.default` →
/// `https://graph.microsoft.com`): managed identity takes resources, not scopes.
fn resource_of(scopes: &[&str]) -> String {
    let scope = scopes.first().copied().unwrap_or_default();
    scope.strip_suffix("/.default").unwrap_or(scope).to_owned()
}

/// A number of seconds given as a number or, as IMDS does, a string.
fn seconds(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(number) => number.as_u64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

impl TokenCredential for ManagedIdentityCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let resource = resource_of(scopes);
            let (url, api_version) = match &self.source {
                Source::Imds { url } => (url, IMDS_API_VERSION),
                Source::AppService { url, .. } => (url, APP_SERVICE_API_VERSION),
            };
            let mut query = vec![
                ("api-version", api_version),
                ("resource", resource.as_str()),
            ];
            if let Some(client_id) = &self.client_id {
                query.push(("client_id", client_id));
            }
            let mut request = self.http.get(url.clone()).query(&query);
            request = match &self.source {
                Source::Imds { .. } => request.header("Metadata", "true"),
                Source::AppService { header, .. } => {
                    request.header("X-IDENTITY-HEADER", header.expose())
                }
            };
            let response = request.send().await.map_err(|cause| {
                Error::credential(format!(
                    "managed identity: cannot reach the {} endpoint {url}: is this an Azure host with a managed identity?",
                    self.shape()
                ))
                .with_cause(cause)
            })?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|cause| {
                Error::credential(format!(
                    "managed identity: the {} endpoint broke off its answer",
                    self.shape()
                ))
                .with_cause(cause)
            })?;
            let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|cause| {
                Error::credential(format!(
                    "managed identity: the {} endpoint answered HTTP {status} without JSON",
                    self.shape()
                ))
                .with_cause(cause)
            })?;
            let text = |name: &str| body.get(name).and_then(serde_json::Value::as_str);
            if !status.is_success() {
                return Err(Error::credential(format!(
                    "managed identity: the {} endpoint refused (HTTP {status}): {} {}",
                    self.shape(),
                    text("error").unwrap_or_default(),
                    text("error_description")
                        .or(text("message"))
                        .unwrap_or_default()
                )));
            }
            let token = text("access_token")
                .filter(|token| !token.is_empty())
                .ok_or_else(|| {
                    Error::credential("managed identity: the answer has no access_token")
                })?;
            let expires_at = match (
                seconds(body.get("expires_on")),
                seconds(body.get("expires_in")),
            ) {
                (Some(on), _) => UNIX_EPOCH + Duration::from_secs(on),
                (None, Some(within)) => SystemTime::now() + Duration::from_secs(within),
                (None, None) => {
                    return Err(Error::credential(
                        "managed identity: the answer has no expires_on",
                    ));
                }
            };
            Ok(AccessToken::new(Secret::new(token), expires_at))
        })
    }
}
