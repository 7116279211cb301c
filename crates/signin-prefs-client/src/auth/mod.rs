//! Credentials: one trait, shaped like the Azure SDK's `TokenCredential`, and a cache in front of it.
//!
//! Built in: [`StaticToken`], [`ClientSecretCredential`], [`ClientCertificateCredential`] and
//! [`DeviceCodeCredential`]; with the `azure` feature, any `azure_core` credential (such as those of
//! `azure_identity`) through [`AzureCredential`]. The client asks its [`TokenCache`] for a token on
//! every attempt; the cache calls the credential once for all concurrent requests, and again a
//! little before the token expires.

#[cfg(feature = "azure")]
mod azure;
mod azure_cli;
mod certificate;
mod device_code;
mod managed_identity;
mod token_endpoint;
mod token_file_cache;
mod workload_identity;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[cfg(feature = "azure")]
pub use azure::AzureCredential;
pub use azure_cli::AzureCliCredential;
pub use certificate::{AssertionAlgorithm, ClientCertificateCredential};
pub use device_code::{DeviceCodeCredential, DeviceCodePrompt};
pub use managed_identity::{IMDS_ORIGIN, ManagedIdentityCredential};
pub use token_endpoint::ClientSecretCredential;
pub use token_file_cache::TokenCacheFile;
pub use workload_identity::WorkloadIdentityCredential;

use crate::{Error, Secret};

/// A bearer token and when it expires. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    token: Secret,
    expires_at: SystemTime,
}

impl AccessToken {
    /// A token valid until `expires_at`.
    pub fn new(token: Secret, expires_at: SystemTime) -> Self {
        Self { token, expires_at }
    }

    /// The token, for the `Authorization` header.
    pub fn secret(&self) -> &Secret {
        &self.token
    }

    /// When it stops being accepted.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The future a credential returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, Error>> + Send + 'a>>;

/// Something that can get an access token for a set of scopes, like `azure_core`'s
/// `TokenCredential`. Implementations need not cache: the client does.
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A fresh token for `scopes` (for Graph app-only access, the cloud's `…/.default` scope).
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a>;
}

impl<T: TokenCredential + ?Sized> TokenCredential for Arc<T> {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        (**self).get_token(scopes)
    }
}

/// A token given as is (from another tool, or for tests); it is never refreshed.
#[derive(Debug, Clone)]
pub struct StaticToken {
    token: AccessToken,
}

impl StaticToken {
    /// A token assumed valid for an hour from now.
    pub fn new(token: Secret) -> Self {
        Self::expiring_at(token, SystemTime::now() + Duration::from_secs(3600))
    }

    /// A token valid until `expires_at`.
    pub fn expiring_at(token: Secret, expires_at: SystemTime) -> Self {
        Self {
            token: AccessToken::new(token, expires_at),
        }
    }
}

impl TokenCredential for StaticToken {
    fn get_token<'a>(&'a self, _scopes: &'a [&'a str]) -> TokenFuture<'a> {
        let token = self.token.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// The longest a token is refreshed ahead of its expiry.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Caches the token of one credential for one set of scopes, refreshing it ahead of expiry, once
/// for all concurrent callers.
pub struct TokenCache {
    credential: Arc<dyn TokenCredential>,
    scopes: Vec<String>,
    current: tokio::sync::Mutex<Option<CachedToken>>,
}

#[derive(Clone)]
struct CachedToken {
    token: AccessToken,
    refresh_at: SystemTime,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("credential", &self.credential)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache for `credential`'s tokens for `scopes`.
    pub fn new(credential: Arc<dyn TokenCredential>, scopes: Vec<String>) -> Self {
        Self {
            credential,
            scopes,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// The scopes tokens are asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// A valid token: the cached one, or a new one. Callers arriving while a token is being fetched
    /// wait for that fetch instead of starting their own.
    pub async fn token(&self) -> Result<AccessToken, Error> {
        let mut current = self.current.lock().await;
        if let Some(cached) = current.as_ref()
            && SystemTime::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let fetched_at = SystemTime::now();
        tracing::debug!(scopes = ?self.scopes, "fetching an access token");
        let token = self.credential.get_token(&scopes).await?;
        let lifetime = token
            .expires_at()
            .duration_since(fetched_at)
            .unwrap_or(Duration::ZERO);
        // Refresh at 90% of the lifetime, and at most five minutes early: long-lived tokens are
        // renewed before clock skew or a slow request can make them fail, short ones still get used.
        let margin = (lifetime / 10).min(MAX_REFRESH_MARGIN);
        let refresh_at = token.expires_at().checked_sub(margin).unwrap_or(fetched_at);
        tracing::debug!(lifetime_s = lifetime.as_secs(), "access token obtained");
        *current = Some(CachedToken {
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }

    /// Drops `rejected` (refused with a 401) so the next call fetches a new token; a token that
    /// another caller already replaced is left alone.
    pub async fn invalidate(&self, rejected: &AccessToken) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|cached| &cached.token == rejected)
        {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
    }

    impl TokenCredential for Counting {
        fn get_token<'a>(&'a self, _scopes: &'a [&'a str]) -> TokenFuture<'a> {
            Box::pin(async move {
                let call = self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(AccessToken::new(
                    Secret::new(format!("token-{call}")),
                    SystemTime::now() + self.lifetime,
                ))
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_fetch() {
        let credential = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(3600),
        });
        let cache = Arc::new(TokenCache::new(
            credential.clone(),
            vec!["s/.default".into()],
        ));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(
                    async move { cache.token().await.map(|t| t.secret().expose().to_owned()) },
                )
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "token-0");
        }
        assert_eq!(credential.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn expiring_tokens_are_refreshed_and_rejected_ones_dropped() {
        let credential = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Duration::ZERO,
        });
        let cache = TokenCache::new(credential.clone(), vec![]);
        let first = cache.token().await.unwrap();
        let second = cache.token().await.unwrap();
        assert_ne!(first, second, "an expired token is never reused");
        cache.invalidate(&first).await; // already replaced: no effect
        assert_eq!(credential.calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn debug_hides_the_token() {
        let token = AccessToken::new(Secret::new("eyJ-secret"), SystemTime::UNIX_EPOCH);
        assert!(!format!("{token:?}").contains("eyJ"));
        assert!(!format!("{:?}", StaticToken::new(Secret::new("eyJ-secret"))).contains("eyJ"));
    }
}
