//! Where a run's own files go (plans, journals, reports, readiness CSVs): with a named profile, a
//! relative path leads into the profile's folder, so that two tenants' runs never share a file;
//! without one, paths are taken as given.

use std::path::{Path, PathBuf};

use signin_prefs_client::{Profile, ProfileName};

use crate::error::Error;

/// The profile whose folder relative paths lead into, if any.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunFolder(Option<(ProfileName, PathBuf)>);

impl RunFolder {
    /// The folder of `profile` (none: paths as given).
    pub(crate) fn new(profile: Option<&Profile>) -> Self {
        Self(profile.map(|profile| (profile.name.clone(), profile.folder.clone())))
    }

    /// Where `path` leads: inside the profile's folder when it is relative.
    pub(crate) fn place(&self, path: &Path) -> PathBuf {
        match &self.0 {
            Some((_, folder)) if path.is_relative() => folder.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Where a file about to be written at `path` goes, its folder made (owner-only) if it is
    /// the profile's and does not exist yet.
    pub(crate) fn place_new(&self, path: &Path) -> Result<PathBuf, Error> {
        let placed = self.place(path);
        if let (Some((name, _)), Some(parent)) = (&self.0, placed.parent())
            && !parent.as_os_str().is_empty()
            && path.is_relative()
        {
            make_private_folder(parent).map_err(|error| {
                Error::Input(format!(
                    "cannot make profile {name:?}'s folder {}: {error}",
                    parent.display()
                ))
            })?;
        }
        Ok(placed)
    }

    /// The `--profile NAME` words a printed command needs to reach the same tenant ("" without
    /// a profile).
    pub(crate) fn flag(&self) -> String {
        self.0
            .as_ref()
            .map_or_else(String::new, |(name, _)| format!(" --profile {name}"))
    }

    /// The profile's name, if any.
    pub(crate) fn profile(&self) -> Option<&ProfileName> {
        self.0.as_ref().map(|(name, _)| name)
    }

    /// The profile's name and folder, if any.
    pub(crate) fn named(&self) -> Option<(&ProfileName, &Path)> {
        self.0
            .as_ref()
            .map(|(name, folder)| (name, folder.as_path()))
    }
}

/// Makes `folder` and its missing parents, each new one readable by its owner alone.
fn make_private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(folder)
}
