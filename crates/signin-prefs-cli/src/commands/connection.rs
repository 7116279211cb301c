//! How the CLI reaches Graph: the settings of a config file (`--config`, else
//! `SIGNIN_PREFS_CONFIG`) with the environment over them, never the command line (where `ps` and
//! shell history would show a secret). The credential is chosen by the client crate's
//! `Settings`, the one place the CLI and Python share.

use std::path::{Path, PathBuf};

use signin_prefs_client::{Client, Connection};

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

/// The config file (`--config`, else `SIGNIN_PREFS_CONFIG`), then the environment over it.
pub(crate) fn load(config: Option<&Path>) -> Result<Settings, Error> {
    let config = config
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SIGNIN_PREFS_CONFIG").map(PathBuf::from));
    let settings = match &config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| Error::Input(format!("{}: {error}", path.display())))?;
            toml::from_str(&text)
                .map_err(|error| Error::Input(format!("{}: {error}", path.display())))?
        }
        None => Settings::default(),
    };
    Ok(settings.with_environment())
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
            .chain(["SIGNIN_PREFS_CONFIG", "SIGNIN_PREFS_LOG"])
            .filter(|name| !documented(name))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        assert!(missing.is_empty(), "README.md does not name {missing:?}");
    }
}
