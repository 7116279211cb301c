//! The sign-in kept on disk between runs (`signin-prefs login`): refresh tokens, one per login
//! host, tenant and client id, in a JSON file readable by its owner alone, replaced whole (written
//! beside, then renamed) so a crash never leaves half a file.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Secret};

/// A token cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCacheFile {
    path: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    /// `{token url} {client id}` → refresh token.
    #[serde(default)]
    refresh_tokens: BTreeMap<String, String>,
}

impl TokenCacheFile {
    /// The cache at `path` (created on the first sign-in).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `$SIGNIN_PREFS_TOKEN_CACHE`, else `$XDG_CACHE_HOME/signin-prefs/token-cache.json`, else
    /// `~/.cache/signin-prefs/token-cache.json`; `None` without a home.
    pub fn default_location() -> Option<PathBuf> {
        if let Some(path) =
            std::env::var_os("SIGNIN_PREFS_TOKEN_CACHE").filter(|path| !path.is_empty())
        {
            return Some(PathBuf::from(path));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
        Some(base.join("signin-prefs").join("token-cache.json"))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<Contents, Error> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|cause| {
                Error::configuration(format!(
                    "the token cache {} is damaged ({cause}); `signin-prefs logout` removes it",
                    self.path.display()
                ))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Contents::default()),
            Err(cause) => Err(Error::configuration(format!(
                "cannot read the token cache {}: {cause}",
                self.path.display()
            ))),
        }
    }

    fn write(&self, contents: &Contents) -> Result<(), Error> {
        let failed = |cause: std::io::Error| {
            Error::configuration(format!(
                "cannot write the token cache {}: {cause}",
                self.path.display()
            ))
        };
        if let Some(folder) = self
            .path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(failed)?;
        }
        let spool = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&spool).map_err(failed)?;
        let text = serde_json::to_vec_pretty(contents)
            .map_err(|cause| failed(std::io::Error::other(cause)))?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .map_err(failed)?;
        std::fs::rename(&spool, &self.path).map_err(failed)
    }

    /// The refresh token kept for `key`.
    pub(crate) fn load(&self, key: &str) -> Result<Option<Secret>, Error> {
        Ok(self.read()?.refresh_tokens.get(key).map(Secret::new))
    }

    /// Keeps `token` for `key`.
    pub(crate) fn store(&self, key: &str, token: &Secret) -> Result<(), Error> {
        let mut contents = self.read()?;
        contents
            .refresh_tokens
            .insert(key.to_owned(), token.expose().to_owned());
        self.write(&contents)
    }

    /// Forgets `key` (`None`: every sign-in, and the file); whether anything was kept.
    pub fn remove(&self, key: Option<&str>) -> Result<bool, Error> {
        let mut contents = self.read()?;
        let removed = match key {
            Some(key) => contents.refresh_tokens.remove(key).is_some(),
            None => !contents.refresh_tokens.is_empty(),
        };
        if key.is_none() || contents.refresh_tokens.is_empty() {
            match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(cause) => {
                    return Err(Error::configuration(format!(
                        "cannot remove the token cache {}: {cause}",
                        self.path.display()
                    )));
                }
            }
            return Ok(removed);
        }
        self.write(&contents)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_sign_in_is_owner_only_and_forgotten_on_removal() {
        let dir =
            std::env::temp_dir().join(format!("signin-prefs-token-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = TokenCacheFile::new(dir.join("nested").join("cache.json"));
        assert_eq!(cache.load("a").unwrap(), None);
        cache.store("a", &Secret::new("refresh-a")).unwrap();
        cache.store("b", &Secret::new("refresh-b")).unwrap();
        assert_eq!(cache.load("a").unwrap(), Some(Secret::new("refresh-a")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(cache.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        assert!(cache.remove(Some("a")).unwrap());
        assert_eq!(cache.load("a").unwrap(), None);
        assert_eq!(cache.load("b").unwrap(), Some(Secret::new("refresh-b")));
        assert!(cache.remove(None).unwrap());
        assert!(!cache.path().exists());
        assert!(!cache.remove(None).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
