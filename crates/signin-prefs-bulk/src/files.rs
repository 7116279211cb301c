//! Writing the engine's files: owner-only, because they name users and their MFA setup.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
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
    open_owner_only(path, options)
}

/// Creates `path` (refusing to overwrite) owner-only, for writing and then reading back.
pub(crate) fn create_private_scratch(path: &Path) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    open_owner_only(path, options)
}

fn open_owner_only(path: &Path, mut options: OpenOptions) -> Result<File, Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|source| Error::io(path, source))
}

/// Writes a whole file (replacing it) with owner-only permissions, through a temporary file and a
/// rename so a reader never sees half of it. Every file the tool writes goes through here,
/// `write_private_with` or [`open_private`].
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_private_with(path, |file| {
        file.write_all(bytes)
            .map_err(|source| Error::io(path, source))
    })
}

/// [`write_private`] for a file whose bytes `write` produces as it goes.
pub(crate) fn write_private_with<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, Error>,
) -> Result<T, Error> {
    let temporary = path.with_extension("tmp-signin-prefs");
    let _ = std::fs::remove_file(&temporary);
    let mut file = BufWriter::new(open_private(&temporary, true)?);
    let written = write(&mut file).and_then(|value| {
        let file = file
            .into_inner()
            .map_err(|error| Error::io(&temporary, error.into_error()))?;
        file.sync_all()
            .map_err(|source| Error::io(&temporary, source))?;
        Ok(value)
    });
    match written {
        Ok(value) => {
            std::fs::rename(&temporary, path).map_err(|source| Error::io(path, source))?;
            Ok(value)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Lower-case hex SHA-256 of the first `len` bytes of the file at `path`, read a piece at a time.
pub(crate) fn sha256_of_prefix(path: &Path, len: u64) -> Result<String, Error> {
    use std::io::Read as _;
    let file = File::open(path).map_err(|source| Error::io(path, source))?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut piece = vec![0; 1 << 16];
    let mut reader = file.take(len);
    loop {
        let read = reader
            .read(&mut piece)
            .map_err(|source| Error::io(path, source))?;
        if read == 0 {
            break;
        }
        context.update(piece.get(..read).unwrap_or_default());
    }
    Ok(crate::plan::hex(context.finish().as_ref()))
}
