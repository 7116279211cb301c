//! Writing the engine's files: owner-only, because they name users and their MFA setup.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::Error;

/// Opens `path` for writing with owner-only permissions: `create_new` refuses to overwrite.
pub fn open_private(path: &Path, create_new: bool) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    if create_new {
        options.write(true).create_new(true);
    } else {
        options.append(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|source| Error::io(path, source))
}

/// Writes a whole file (replacing it) with owner-only permissions, through a temporary file and a
/// rename so a reader never sees half of it. Every file the tool writes goes through here or
/// [`open_private`].
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let temporary = path.with_extension("tmp-signin-prefs");
    let _ = std::fs::remove_file(&temporary);
    let mut file = open_private(&temporary, true)?;
    file.write_all(bytes)
        .map_err(|source| Error::io(&temporary, source))?;
    file.sync_all()
        .map_err(|source| Error::io(&temporary, source))?;
    std::fs::rename(&temporary, path).map_err(|source| Error::io(path, source))
}
