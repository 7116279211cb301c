//! `login` and `logout`: an administrator's own delegated sign-in by device code, kept (as a
//! refresh token) in an owner-only token cache that later commands use silently.

use clap::Args as ClapArgs;
use signin_prefs_client::CredentialKind;

use super::output::{ConfigArg, block_on};
use crate::error::Error;

/// `signin-prefs login` / `logout`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArg,
}

/// The scope of the sign-in: Graph's `.default` (what the app was consented) and a refresh token.
const SCOPES: [&str; 2] = ["https://graph.microsoft.com/.default", "offline_access"];

pub(crate) fn login(args: Args) -> Result<i32, Error> {
    let settings = args.config.settings()?;
    let credential = settings
        .device_code_credential(Some(Box::new(|prompt| {
            eprintln!("{}", prompt.message);
        })))
        .map_err(|error| Error::Input(format!("login: {error}")))?;
    // A sign-in asked for is a new one: the kept one (perhaps of another user) is dropped first.
    if let Some(cache) = settings.token_cache_file() {
        cache
            .remove(Some(&credential.cache_key()))
            .map_err(|error| Error::Input(error.to_string()))?;
    }
    let scopes: Vec<&str> = SCOPES.to_vec();
    block_on(signin_prefs_client::TokenCredential::get_token(
        &credential,
        &scopes,
    ))?
    .map_err(|error| {
        Error::Input(format!(
            "{} sign-in failed: {error}",
            CredentialKind::DeviceCode
        ))
    })?;
    let kept = settings
        .token_cache_file()
        .map(|cache| cache.path().display().to_string())
        .unwrap_or_default();
    eprintln!(
        "signed in; the sign-in is kept in {kept} (owner-only) and refreshed silently; `signin-prefs logout` forgets it"
    );
    Ok(0)
}

pub(crate) fn logout(args: Args) -> Result<i32, Error> {
    let settings = args.config.settings()?;
    let Some(cache) = settings.token_cache_file() else {
        eprintln!("no token cache: nothing to forget");
        return Ok(0);
    };
    // With a tenant and app, that sign-in alone; otherwise every one.
    let key = settings
        .device_code_credential(None)
        .ok()
        .map(|credential| credential.cache_key());
    let removed = cache
        .remove(key.as_deref())
        .map_err(|error| Error::Input(error.to_string()))?;
    eprintln!(
        "{} {}",
        if removed {
            "forgot the sign-in kept in"
        } else {
            "no sign-in was kept in"
        },
        cache.path().display()
    );
    Ok(0)
}
