//! How the CLI reaches Graph: the settings of a config file (`--config`, else
//! `SIGNIN_PREFS_CONFIG`, else the default location) or of one of its profiles (`--profile`),
//! with the environment over them, never the command line (where `ps` and
//! shell history would show a secret). The credential is chosen by the client crate's
//! `Settings`, the one place the CLI and Python share.

use std::path::Path;

use signin_prefs_client::{Client, ConfigFile, Connection, ProfileName};

use super::run_folder::RunFolder;
use crate::error::Error;

pub(crate) use signin_prefs_client::Settings;

/// What to do when nothing says which service to talk to.
fn no_tenant(error: &signin_prefs_client::Error) -> String {
    let mut message = error.to_string();
    // Only a build with the emulator can offer to run one.
    if cfg!(feature = "emulator") {
        message.push_str("; `signin-prefs demo` runs a whole job on an embedded emulator");
    }
    message
}

/// The settings to connect with (a profile's, else the config file's top-level keys, the
/// environment over them) and the folder a run's files go to.
pub(crate) fn load(config: Option<&Path>, profile: Option<&ProfileName>) -> Result<Loaded, Error> {
    let chosen = ConfigFile::locate(config)
        .and_then(|file| file.choose(profile))
        .map_err(|error| Error::Input(error.to_string()))?;
    Ok(Loaded {
        folder: RunFolder::new(chosen.profile.as_ref()),
        settings: chosen.settings,
    })
}

/// Only the folder a profile keeps its files in (for commands that never connect, such as `report`).
pub(crate) fn folder(
    config: Option<&Path>,
    profile: Option<&ProfileName>,
) -> Result<RunFolder, Error> {
    let file = ConfigFile::locate(config).map_err(|error| Error::Input(error.to_string()))?;
    let named = file
        .named(profile)
        .map_err(|error| Error::Input(error.to_string()))?;
    Ok(RunFolder::new(named))
}

/// What a command connects with, and where its files go.
pub(crate) struct Loaded {
    /// The connection settings.
    pub(crate) settings: Settings,
    /// Where relative paths of plans, journals and reports lead.
    pub(crate) folder: RunFolder,
}

/// The CLI's view of the settings: its errors for what is not configured.
pub(crate) trait CliSettings {
    /// The client, its credential and why that one.
    fn connection(&self) -> Result<Connection, Error>;

    /// A client for the configured service.
    fn client(&self) -> Result<Client, Error> {
        self.connection().map(|connection| connection.client)
    }
}

impl CliSettings for Settings {
    fn connection(&self) -> Result<Connection, Error> {
        self.connect().map_err(|error| match error.kind() {
            signin_prefs_client::ErrorKind::Configuration if !self.is_configured() => {
                Error::Input(no_tenant(&error))
            }
            signin_prefs_client::ErrorKind::Configuration => Error::Input(error.to_string()),
            _ => Error::from(error),
        })
    }
}

#[cfg(test)]
mod tests {
    use signin_prefs_client::{SECRET_VARIABLES, VARIABLES};

    /// The README's settings table, where users look them up.
    const README: &str = include_str!("../../../../README.md");

    #[test]
    fn the_readme_documents_every_variable_and_config_key() {
        let documented = |name: &str| README.contains(&format!("`{name}`"));
        let mut missing: Vec<&str> = VARIABLES
            .iter()
            .flat_map(|(variable, key)| [*variable, *key])
            .chain(SECRET_VARIABLES.iter().copied())
            .chain([
                signin_prefs_client::CONFIG_VARIABLE,
                signin_prefs_client::PROFILE_VARIABLE,
                "SIGNIN_PREFS_LOG",
                "folder",
            ])
            .filter(|name| !documented(name))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        assert!(missing.is_empty(), "README.md does not name {missing:?}");
    }
}
