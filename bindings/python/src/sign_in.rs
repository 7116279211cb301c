//! `login` and `logout`: an administrator's own sign-in by device code, kept for later runs, by the
//! client crate's one sequence (`Settings::sign_in`), the settings chosen as `from_env` chooses them.

use std::path::PathBuf;

use pyo3::prelude::*;
use signin_prefs_client::DeviceCodePrompt;

use crate::client::chosen_settings;
use crate::errors;

/// Signs in by device code, calling `show(user_code, verification_uri, message, expires_in)` with
/// the page and the code; where the sign-in is kept (`None`: no token cache, so not kept).
#[pyfunction]
#[pyo3(signature = (profile, config, show))]
pub(crate) fn login(
    py: Python<'_>,
    profile: Option<&str>,
    config: Option<PathBuf>,
    show: Py<PyAny>,
) -> PyResult<Option<String>> {
    let settings = chosen_settings(profile, config)?;
    let prompt = Box::new(move |prompt: &DeviceCodePrompt| {
        Python::attach(|py| {
            let shown = show.call1(
                py,
                (
                    prompt.user_code.as_str(),
                    prompt.verification_uri.as_str(),
                    prompt.message.as_str(),
                    prompt.expires_in.as_secs_f64(),
                ),
            );
            // The sign-in goes on waiting for the code: it is shown some way whatever happens.
            if let Err(error) = shown {
                error.write_unraisable(py, None);
                eprintln!("{}", prompt.message);
            }
        });
    });
    let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
    crate::block_on(py, settings.sign_in(prompt))
        .map(|kept| kept.map(|path| path.display().to_string()))
        .map_err(|error| errors::client_error(py, &error, None))
}

/// Forgets the sign-in kept for the settings' tenant and app (without both: every one); whether
/// one was kept.
#[pyfunction]
#[pyo3(signature = (profile, config))]
pub(crate) fn logout(
    py: Python<'_>,
    profile: Option<&str>,
    config: Option<PathBuf>,
) -> PyResult<bool> {
    let settings = chosen_settings(profile, config)?;
    settings
        .sign_out()
        .map(|kept| kept.is_some_and(|(_, removed)| removed))
        .map_err(|error| errors::client_error(py, &error, None))
}
