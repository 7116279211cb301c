//! Files the emulator writes for its user (the request log, the TLS CA certificate): created
//! readable by their owner alone, whatever the umask.

use std::fs::File;
use std::path::Path;

/// How an owner-only file is opened.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// Kept, written at its end (a log).
    Append,
    /// Emptied first (a file replaced at each start).
    Replace,
}

/// Opens `path` for writing, mode 0600 on Unix, narrowing the mode of a file already there.
pub(crate) fn open(path: &Path, mode: Mode) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    match mode {
        Mode::Append => options.append(true),
        Mode::Replace => options.write(true).truncate(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let file = options.open(path)?;
        // A file that was already there keeps its mode on open: narrow it too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}
