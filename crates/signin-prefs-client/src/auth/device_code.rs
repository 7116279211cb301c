//! Delegated access with the device code flow (RFC 8628): the user signs in on another device.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::token_endpoint::{TokenEndpoint, read_grant, refused};
use super::token_file_cache::TokenCacheFile;
use super::{AccessToken, TokenCredential, TokenFuture};
use crate::{CaCertificates, Cloud, Error, Secret};

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What to show the user: where to go and which code to type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodePrompt {
    /// The code the user types.
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// The service's own instruction, ready to print.
    pub message: String,
    /// How long the code is valid.
    pub expires_in: Duration,
}

type Prompt = dyn Fn(&DeviceCodePrompt) + Send + Sync;

/// Delegated access for a signed-in user. The first token needs the user (through `prompt`); later
/// ones come from the refresh token, without the user, while it lasts.
#[derive(Clone)]
pub struct DeviceCodeCredential {
    endpoint: TokenEndpoint,
    client_id: String,
    prompt: Arc<Prompt>,
    refresh_token: Arc<tokio::sync::Mutex<Option<Secret>>>,
    /// Where the refresh token is kept between runs, if anywhere.
    cache: Option<TokenCacheFile>,
    /// Whether the user may be asked to sign in (`false`: only a kept sign-in is used).
    interactive: bool,
}

impl fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeCredential {
    /// For `tenant` (or `organizations`) in `cloud`; `prompt` shows the user what to do.
    pub fn new(
        cloud: Cloud,
        tenant: &str,
        client_id: &str,
        prompt: impl Fn(&DeviceCodePrompt) + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        Self::with_authority(cloud.login_authority(), tenant, client_id, prompt)
    }

    /// For `tenant` at an explicit authority.
    pub fn with_authority(
        authority: &str,
        tenant: &str,
        client_id: &str,
        prompt: impl Fn(&DeviceCodePrompt) + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        Ok(Self {
            endpoint: TokenEndpoint::new(authority, tenant)?,
            client_id: client_id.to_owned(),
            prompt: Arc::new(prompt),
            refresh_token: Arc::new(tokio::sync::Mutex::new(None)),
            cache: None,
            interactive: true,
        })
    }

    /// Keeps the refresh token in `cache` between runs, and starts from the one kept there.
    pub fn with_token_cache(mut self, cache: TokenCacheFile) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Never asks the user: only the kept sign-in ([`Self::with_token_cache`]) is used, and a
    /// missing, expired or revoked one is an error saying to sign in again.
    pub fn non_interactive(mut self) -> Self {
        self.interactive = false;
        self
    }

    /// The key of this login host, tenant and app in a token cache.
    pub fn cache_key(&self) -> String {
        format!("{} {}", self.endpoint.token_url(), self.client_id)
    }

    /// Whether a sign-in is kept in the cache for this login host, tenant and app.
    pub fn has_kept_sign_in(&self) -> bool {
        self.cache
            .as_ref()
            .and_then(|cache| cache.load(&self.cache_key()).ok().flatten())
            .is_some()
    }

    fn keep(&self, refresh_token: Option<&Secret>) -> Result<(), Error> {
        match (&self.cache, refresh_token) {
            (Some(cache), Some(token)) => cache.store(&self.cache_key(), token),
            _ => Ok(()),
        }
    }

    /// Trusts `certificates` too when calling the login host (an emulator's `--tls` CA).
    pub fn with_ca_certificates(mut self, certificates: &CaCertificates) -> Result<Self, Error> {
        self.endpoint = self.endpoint.trusting(certificates)?;
        Ok(self)
    }

    async fn refresh(
        &self,
        refresh_token: &Secret,
        scope: &str,
    ) -> Result<(AccessToken, Option<Secret>), Error> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("scope", scope),
            ("refresh_token", refresh_token.expose()),
        ];
        let grant = self
            .endpoint
            .request_token(&form, &[refresh_token.expose()])
            .await?;
        Ok((grant.access_token, grant.refresh_token))
    }

    async fn sign_in(&self, scope: &str) -> Result<(AccessToken, Option<Secret>), Error> {
        let form = [("client_id", self.client_id.as_str()), ("scope", scope)];
        let reply = match self
            .endpoint
            .post_form(self.endpoint.device_code_url(), &form, &[])
            .await?
        {
            Ok(reply) => reply,
            Err(error) => return Err(refused(&error)),
        };
        let text = |name: &str| {
            reply
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let seconds = |name: &str| reply.get(name).and_then(serde_json::Value::as_u64);
        let device_code = text("device_code")
            .map(Secret::new)
            .ok_or_else(|| Error::credential("the device code answer has no device_code"))?;
        let prompt = DeviceCodePrompt {
            user_code: text("user_code").unwrap_or_default(),
            verification_uri: text("verification_uri").unwrap_or_default(),
            message: text("message").unwrap_or_default(),
            expires_in: Duration::from_secs(seconds("expires_in").unwrap_or(900)),
        };
        let mut interval = Duration::from_secs(seconds("interval").unwrap_or(5));
        let gives_up_at = Instant::now() + prompt.expires_in;
        (self.prompt)(&prompt);
        let poll = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", self.client_id.as_str()),
            ("device_code", device_code.expose()),
        ];
        loop {
            if Instant::now() + interval > gives_up_at {
                return Err(Error::credential(
                    "the device code expired before the user signed in",
                ));
            }
            tokio::time::sleep(interval).await;
            match self
                .endpoint
                .post_form(self.endpoint.token_url(), &poll, &[device_code.expose()])
                .await?
            {
                Ok(reply) => {
                    let grant = read_grant(&reply)?;
                    return Ok((grant.access_token, grant.refresh_token));
                }
                Err(error) if error.error == "authorization_pending" => {}
                // RFC 8628 §3.5: slow down by five seconds.
                Err(error) if error.error == "slow_down" => interval += Duration::from_secs(5),
                Err(error) => return Err(refused(&error)),
            }
        }
    }
}

impl TokenCredential for DeviceCodeCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            // offline_access brings the refresh token that spares the user a second sign-in.
            let mut scope = scopes.join(" ");
            if !scopes.contains(&"offline_access") {
                scope.push_str(" offline_access");
            }
            let mut stored = self.refresh_token.lock().await;
            if stored.is_none()
                && let Some(cache) = &self.cache
            {
                *stored = cache.load(&self.cache_key())?;
            }
            let mut refused = None;
            if let Some(refresh_token) = stored.clone() {
                match self.refresh(&refresh_token, &scope).await {
                    Ok((token, rotated)) => {
                        *stored = rotated.or(Some(refresh_token));
                        self.keep(stored.as_ref())?;
                        return Ok(token);
                    }
                    Err(error) => {
                        tracing::info!(%error, "refresh token refused");
                        *stored = None;
                        refused = Some(error);
                    }
                }
            }
            if !self.interactive {
                return Err(Error::credential(match refused {
                    Some(error) => format!(
                        "device code sign-in: the kept sign-in was refused (expired or revoked): {error}; sign in again with `signin-prefs login`"
                    ),
                    None => "device code sign-in: no sign-in is kept for this tenant and app; sign in with `signin-prefs login`".to_owned(),
                }));
            }
            let (token, refresh_token) = self.sign_in(&scope).await?;
            self.keep(refresh_token.as_ref())?;
            *stored = refresh_token;
            Ok(token)
        })
    }
}
