//! `--output html` of `report` and `readiness`: where the page goes, and writing it once its
//! content is read, the path printed on standard output.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use signin_prefs_bulk::html::{
    TableRows, apply_report_html, check_html_path, readiness_html, rollback_report_html, write_html,
};
use signin_prefs_bulk::journal::{self, JournalKind, JournalState};
use signin_prefs_bulk::readiness::Readiness;
use signin_prefs_bulk::report::Tally;

use super::stdout::UntilClosed;
use crate::error::Error;

/// The HTML report of the run `journal` records, written to `out` (default: beside the journal,
/// its name with `.html` added); returns the run's tally, for the exit code.
pub(crate) fn report(
    journal_path: &Path,
    state: &JournalState,
    plan: Option<&Path>,
    out: Option<&Path>,
) -> Result<Tally, Error> {
    let out = out.map_or_else(|| beside(journal_path), Path::to_path_buf);
    check_html_path(&out)?;
    let generated_at = signin_prefs_bulk::html::utc(journal::now());
    let (html, tally) = match state.kind {
        JournalKind::Apply => {
            let plan_path = plan.map_or_else(|| state.source_path(journal_path), Path::to_path_buf);
            apply_report_html(&plan_path, state, &generated_at)?
        }
        JournalKind::Rollback => rollback_report_html(state, &generated_at)?,
    };
    write_html(&out, &html)?;
    say_where(&out)?;
    Ok(tally)
}

/// Refuses a readiness page's file before anything is read: `--out` is needed (readiness has no
/// file to put it beside) and must not be there.
pub(crate) fn readiness_path(out: Option<&Path>) -> Result<PathBuf, Error> {
    let out = out.ok_or_else(|| {
        Error::Input("--output html needs --out FILE: the page's new file".into())
    })?;
    check_html_path(out)?;
    Ok(out.to_path_buf())
}

/// Writes readiness's page, with its per-user rows, to `out`.
pub(crate) fn readiness(readiness: &Readiness, users: &TableRows, out: &Path) -> Result<(), Error> {
    let generated_at = signin_prefs_bulk::html::utc(journal::now());
    let html = readiness_html(readiness, Some(users), &generated_at)?;
    write_html(out, &html)?;
    say_where(out)
}

/// `JOURNAL.html`.
fn beside(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".html");
    PathBuf::from(name)
}

/// The page's path, alone on standard output, for scripts to open.
fn say_where(out: &Path) -> Result<(), Error> {
    let mut stdout = UntilClosed::stdout();
    writeln!(stdout, "{}", out.display()).and_then(|()| stdout.flush())?;
    Ok(())
}
