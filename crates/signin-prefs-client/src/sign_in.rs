//! An administrator's own sign-in by device code, kept for later runs (`signin-prefs login` and
//! Python's `signin_prefs.login`), and forgetting it (`logout`): one sequence for both front ends.

use std::path::PathBuf;

use crate::auth::TokenCredential as _;
use crate::{CredentialKind, Error, Settings, ShowPrompt};

/// What a sign-in asks for: Graph's `.default` (what the app was consented) and a refresh token.
const SCOPES: [&str; 2] = ["https://graph.microsoft.com/.default", "offline_access"];

impl Settings {
    /// Signs in by device code (`prompt` shows the user the page and the code), replacing any
    /// sign-in kept for this tenant and app; where the sign-in is kept.
    pub async fn sign_in(&self, prompt: ShowPrompt) -> Result<Option<PathBuf>, Error> {
        // The error keeps its kind (a refusal, a timeout…); its summary says what failed.
        let context = format!("{} sign-in failed", CredentialKind::DeviceCode);
        let failed = |error: Error| error.in_context(&context);
        let credential = self.device_code_credential(Some(prompt)).map_err(failed)?;
        // A sign-in asked for is a new one: the kept one (perhaps of another user) goes first.
        let cache = self.token_cache_file();
        if let Some(cache) = &cache {
            cache.remove(Some(&credential.cache_key()))?;
        }
        credential.get_token(&SCOPES).await.map_err(failed)?;
        Ok(cache.map(|cache| cache.path().to_path_buf()))
    }

    /// Forgets the sign-in kept for this tenant and app (without both: every one); where it was
    /// kept and whether anything was, `None` when there is no token cache at all.
    pub fn sign_out(&self) -> Result<Option<(PathBuf, bool)>, Error> {
        let Some(cache) = self.token_cache_file() else {
            return Ok(None);
        };
        let key = self
            .device_code_credential(None)
            .ok()
            .map(|credential| credential.cache_key());
        let removed = cache.remove(key.as_deref())?;
        Ok(Some((cache.path().to_path_buf(), removed)))
    }
}
