//! Secrets (tokens, client secrets, refresh tokens) that never print themselves.

use std::fmt;
use std::path::Path;

use crate::Error;

/// A secret string. `Debug` and `Display` print `<redacted>`; the value is read only through
/// [`Secret::expose`], at the one place it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret already in memory (from a credential store, a prompt, a test).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Reads a secret from an environment variable, so it never appears on a command line that `ps`
    /// would show.
    pub fn from_env(variable: &str) -> Result<Self, Error> {
        match std::env::var(variable) {
            Ok(value) if !value.trim().is_empty() => Ok(Self(value.trim().to_owned())),
            Ok(_) => Err(Error::configuration(format!(
                "environment variable {variable} is empty"
            ))),
            Err(cause) => Err(Error::configuration(format!(
                "cannot read environment variable {variable}: {cause}"
            ))),
        }
    }

    /// Reads a secret from a file (trailing whitespace and newlines removed).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|cause| {
            Error::configuration(format!(
                "cannot read secret file {}: {cause}",
                path.display()
            ))
        })?;
        let value = text.trim();
        if value.is_empty() {
            return Err(Error::configuration(format!(
                "secret file {} is empty",
                path.display()
            )));
        }
        Ok(Self(value.to_owned()))
    }

    /// The secret itself, for the request that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
        assert!(!format!("{:#?}", Some(&secret)).contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }
}
