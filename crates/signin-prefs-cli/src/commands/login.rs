//! `login` and `logout`: an administrator's own delegated sign-in by device code, kept (as a
//! refresh token) in an owner-only token cache that later commands use silently.

use clap::Args as ClapArgs;

use super::output::{ConfigArg, block_on};
use crate::error::Error;

/// `signin-prefs login` / `logout`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArg,
}

pub(crate) fn login(args: Args) -> Result<i32, Error> {
    let settings = args.config.settings()?;
    let show = Box::new(|prompt: &signin_prefs_client::DeviceCodePrompt| {
        eprintln!("{}", prompt.message);
    });
    let kept = block_on(settings.sign_in(show))?
        .map_err(|error| Error::Input(error.to_string()))?
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    eprintln!(
        "signed in; the sign-in is kept in {kept} (owner-only) and refreshed silently; `signin-prefs logout` forgets it"
    );
    Ok(0)
}

pub(crate) fn logout(args: Args) -> Result<i32, Error> {
    let settings = args.config.settings()?;
    match settings
        .sign_out()
        .map_err(|error| Error::Input(error.to_string()))?
    {
        None => eprintln!("no token cache: nothing to forget"),
        Some((path, removed)) => eprintln!(
            "{} {}",
            if removed {
                "forgot the sign-in kept in"
            } else {
                "no sign-in was kept in"
            },
            path.display()
        ),
    }
    Ok(0)
}
