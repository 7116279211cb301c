//! Readiness from Python: the CLI's `readiness`, the same library function underneath, with the
//! GIL released for the whole read.

use std::path::PathBuf;

use pyo3::prelude::*;
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::readiness_csv::read_readiness_to_csv;

use crate::client::NativeClient;
use crate::errors;

/// Reads the tenant's authentication methods policy (unless `ignore_policy`: the CLI's
/// `--ignore-policy`) and its registration report, writing one row per user to a new owner-only
/// CSV at `users_csv` (an existing file is refused before anything is sent). Returns the counts as
/// JSON text, as the CLI prints them with `--output json`. Sends no write. Every request carries
/// `x-ms-throttle-priority: priority` (`low` by default, as the CLI's).
#[pyfunction]
#[pyo3(signature = (client, users_csv, *, ignore_policy=false, priority="low"))]
pub(crate) fn readiness(
    py: Python<'_>,
    client: &NativeClient,
    users_csv: PathBuf,
    ignore_policy: bool,
    priority: &str,
) -> PyResult<String> {
    let client = crate::bulk::with_priority(py, client, priority)?;
    let policy = if ignore_policy {
        PolicySetting::Ignore
    } else {
        PolicySetting::Apply
    };
    let read = crate::block_on(
        py,
        read_readiness_to_csv(&client, policy, &users_csv, &mut |_| {}),
    );
    match read {
        // A struct of counts always serializes.
        Ok(readiness) => Ok(serde_json::to_string(&readiness).unwrap_or_default()),
        Err(error) => Err(errors::bulk_error(py, &error)),
    }
}
