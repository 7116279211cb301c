//! The one place the generator touches the file system: write generated files, or check them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A generated file: its path relative to the repository root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GeneratedFile {
    pub(crate) path: PathBuf,
    pub(crate) contents: String,
}

/// Brings the directories in `owned` to exactly `files` (or, with `check`, reports what differs
/// and fails). Files in an owned directory that the generator no longer produces are removed.
pub(crate) fn sync(
    root: &Path,
    owned: &[PathBuf],
    files: &[GeneratedFile],
    check: bool,
) -> Result<Vec<String>, Error> {
    let mut stale = Vec::new();
    let expected: BTreeSet<&Path> = files.iter().map(|file| file.path.as_path()).collect();
    for file in files {
        let path = root.join(&file.path);
        match std::fs::read_to_string(&path) {
            Ok(current) if current == file.contents => {}
            Ok(_) => stale.push((file, "changed")),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                stale.push((file, "missing"))
            }
            Err(source) => return Err(Error::read(&path)(source)),
        }
    }
    let mut extra = Vec::new();
    let mut pending: Vec<PathBuf> = owned.to_vec();
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(root.join(&dir)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(Error::read(&root.join(&dir))(source)),
        };
        for entry in entries {
            let entry = entry.map_err(Error::read(&root.join(&dir)))?;
            let relative = dir.join(entry.file_name());
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                pending.push(relative);
            } else if !expected.contains(relative.as_path()) {
                extra.push(relative);
            }
        }
    }
    extra.sort();

    if check {
        if stale.is_empty() && extra.is_empty() {
            return Ok(vec![format!(
                "{} generated files are up to date",
                files.len()
            )]);
        }
        let mut lines: Vec<String> = stale
            .iter()
            .map(|(file, why)| format!("{} ({why})", file.path.display()))
            .collect();
        lines.extend(
            extra
                .iter()
                .map(|path| format!("{} (no longer generated)", path.display())),
        );
        return Err(Error::StaleGenerated { stale: lines });
    }

    let mut report = Vec::new();
    for (file, why) in &stale {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::write(parent))?;
        }
        std::fs::write(&path, &file.contents).map_err(Error::write(&path))?;
        report.push(format!("wrote {} ({why})", file.path.display()));
    }
    for path in &extra {
        std::fs::remove_file(root.join(path)).map_err(Error::write(path))?;
        report.push(format!("removed {} (no longer generated)", path.display()));
    }
    if report.is_empty() {
        report.push(format!(
            "{} generated files already up to date",
            files.len()
        ));
    }
    Ok(report)
}
