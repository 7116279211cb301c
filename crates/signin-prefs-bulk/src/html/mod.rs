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

/// `seconds` since the Unix epoch as a UTC time, `2026-11-29 16:36:06 UTC`.
pub fn utc(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    // Days to a civil date (Howard Hinnant's algorithm), so no date crate is needed for one line.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_reads_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_969_566), "2026-11-29 16:26:06 UTC");
    }
}
