//! Any credential of the Azure SDK for Rust (`azure_identity`'s and others implementing
//! `azure_core::credentials::TokenCredential`) as a credential of this client.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{AccessToken, TokenCredential, TokenFuture};
use crate::{Error, Secret};

/// Wraps an `azure_core` credential, such as `azure_identity::ManagedIdentityCredential` or
/// `azure_identity::ClientSecretCredential`.
#[derive(Debug, Clone)]
pub struct AzureCredential {
    inner: Arc<dyn azure_core::credentials::TokenCredential>,
}

impl AzureCredential {
    /// Wraps `credential`.
    pub fn new(credential: Arc<dyn azure_core::credentials::TokenCredential>) -> Self {
        Self { inner: credential }
    }
}

impl TokenCredential for AzureCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let token = self.inner.get_token(scopes, None).await.map_err(|cause| {
                Error::credential("the Azure SDK credential could not get a token")
                    .with_cause(cause)
            })?;
            let seconds = token.expires_on.unix_timestamp();
            let expires_at = u64::try_from(seconds)
                .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            Ok(AccessToken::new(
                Secret::new(token.token.secret()),
                expires_at,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::{AccessToken as AzureToken, TokenRequestOptions};
    use azure_core::time::OffsetDateTime;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Mutex;

    /// A credential written against `azure_core`'s trait as `azure_identity` writes its own (the
    /// `async_trait` expansion by hand, to spare a dependency).
    #[derive(Debug, Default)]
    struct FakeAzureCredential {
        scopes_seen: Mutex<Vec<String>>,
    }

    impl azure_core::credentials::TokenCredential for FakeAzureCredential {
        fn get_token<'life0, 'life1, 'life2, 'life3, 'async_trait>(
            &'life0 self,
            scopes: &'life1 [&'life2 str],
            _options: Option<TokenRequestOptions<'life3>>,
        ) -> Pin<Box<dyn Future<Output = azure_core::Result<AzureToken>> + Send + 'async_trait>>
        where
            'life0: 'async_trait,
            'life1: 'async_trait,
            'life2: 'async_trait,
            'life3: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(async move {
                self.scopes_seen
                    .lock()
                    .unwrap()
                    .extend(scopes.iter().map(|s| s.to_string()));
                Ok(AzureToken::new(
                    "azure-sdk-token",
                    OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
                ))
            })
        }
    }

    #[tokio::test]
    async fn an_azure_core_credential_plugs_in() {
        let fake = Arc::new(FakeAzureCredential::default());
        let credential = AzureCredential::new(fake.clone());
        let token = credential
            .get_token(&["https://graph.microsoft.us/.default"])
            .await
            .unwrap();
        assert_eq!(token.secret().expose(), "azure-sdk-token");
        assert_eq!(
            token.expires_at(),
            UNIX_EPOCH + Duration::from_secs(4_000_000_000)
        );
        assert_eq!(
            *fake.scopes_seen.lock().unwrap(),
            ["https://graph.microsoft.us/.default"]
        );
    }
}
