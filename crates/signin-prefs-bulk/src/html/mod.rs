//! The HTML reports: one self-contained file per report (inline style, inline SVG charts, an
//! inline script for the per-user table; no request of any kind), rendered from templates with
//! every value escaped.
//!
//! `report_page` is the run report (apply or rollback), `readiness_page` readiness's;
//! `charts` computes the SVG geometry, `table` keeps the per-user rows as JSON for the page's
//! script, and `render` holds the templates and the escaping into a script element.

mod charts;
mod readiness_page;
mod render;
mod report_page;
mod table;

use std::path::Path;

pub use readiness_page::readiness_html;
pub use report_page::{apply_report_html, rollback_report_html};
pub use table::TableRows;

use crate::Error;

/// Refuses `path` when a file is there (an HTML report never replaces one), before anything is
/// read; the front ends call it first, then [`write_html`].
pub fn check_html_path(path: &Path) -> Result<(), Error> {
    if path.exists() {
        return Err(exists(path));
    }
    Ok(())
}

/// Writes `html` to a new owner-only file at `path` (it names users and their MFA set-up),
/// refusing to replace one that is there.
pub fn write_html(path: &Path, html: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut file = crate::files::open_private(path, true).map_err(|error| match error {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            exists(path)
        }
        other => other,
    })?;
    let written = file
        .write_all(html.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| Error::io(path, source));
    if written.is_err() {
        // Half a page would read as the whole report.
        let _ = std::fs::remove_file(path);
    }
    written
}

fn exists(path: &Path) -> Error {
    Error::Guard(format!(
        "{} already exists; an HTML report never replaces a file: remove it or choose another path",
        path.display()
    ))
}

/// `seconds` since the Unix epoch as a UTC time, `2026-11-29T16:36:06Z` (RFC 3339).
pub fn utc(seconds: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_reads_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_969_566), "2026-11-29T16:26:06Z");
    }
}
