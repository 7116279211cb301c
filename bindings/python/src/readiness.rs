//! Readiness from Python: the CLI's `readiness`, the same library function underneath, with the
//! GIL released for the whole read.

use std::path::PathBuf;

use pyo3::prelude::*;
use signin_prefs_bulk::html::{TableRows, check_html_path, readiness_html, utc, write_html};
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::readiness_csv::read_readiness_to_csv;

use crate::client::NativeClient;
use crate::errors;

/// Reads the tenant's authentication methods policy (unless `ignore_policy`: the CLI's
/// `--ignore-policy`) and its registration report, writing one row per user to a new owner-only
/// CSV at `users_csv` (an existing file is refused before anything is sent). Returns the counts as
/// JSON text, as the CLI prints them with `--output json`. Sends no write. Every request carries
/// `x-ms-throttle-priority: priority` (`low` by default, as the CLI's). With `html`, also writes
/// the CLI's `--output html` page there (a new owner-only file, refused before anything is sent
/// when one is there).
#[pyfunction]
#[pyo3(signature = (client, users_csv, *, ignore_policy=false, priority="low", html=None))]
pub(crate) fn readiness(
    py: Python<'_>,
    client: &NativeClient,
    users_csv: PathBuf,
    ignore_policy: bool,
    priority: &str,
    html: Option<PathBuf>,
) -> PyResult<String> {
    if let Some(page) = &html {
        check_html_path(page).map_err(|error| errors::bulk_error(py, &error))?;
    }
    let client = crate::bulk::with_priority(py, client, priority)?;
    let policy = if ignore_policy {
        PolicySetting::Ignore
    } else {
        PolicySetting::Apply
    };
    // The page's per-user rows, kept as compact JSON as the users are counted.
    let mut rows = html.as_ref().map(|_| TableRows::readiness());
    let read = crate::block_on(
        py,
        read_readiness_to_csv(&client, policy, &users_csv, &mut |user| {
            if let Some(rows) = &mut rows {
                rows.push_user(user);
            }
        }),
    );
    let written = read.and_then(|readiness| {
        if let Some(page) = &html {
            let generated_at = utc(signin_prefs_bulk::journal::now());
            write_html(
                page,
                &readiness_html(&readiness, rows.as_ref(), &generated_at)?,
            )?;
        }
        Ok(readiness)
    });
    match written {
        // A struct of counts always serializes.
        Ok(readiness) => Ok(serde_json::to_string(&readiness).unwrap_or_default()),
        Err(error) => Err(errors::bulk_error(py, &error)),
    }
}
