//! `signin_prefs._native`: the Rust side of the Python package. The public API is the pure-Python
//! `signin_prefs` package, which wraps these classes and functions; nothing here is imported by
//! users directly.

mod bulk;
mod cli;
mod client;
mod credential;
mod emulator;
mod errors;
mod progress;
mod readiness;
mod sign_in;
mod task;

use pyo3::prelude::*;

/// The native module. Everything it exports is re-exported (or wrapped) by `signin_prefs`.
#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use crate::bulk::{NativeReport, plan, report, run_journaled};
    #[pymodule_export]
    use crate::cli::cli_main;
    #[pymodule_export]
    use crate::client::NativeClient;
    #[pymodule_export]
    use crate::emulator::NativeEmulator;
    #[pymodule_export]
    use crate::readiness::readiness;
    #[pymodule_export]
    use crate::sign_in::{login, logout};
    #[pymodule_export]
    use crate::task::{NativeStop, NativeTask};

    use pyo3::prelude::*;

    /// Module constants: the spec's enum members, the bulk engine's run defaults and the crate
    /// version.
    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        let run = signin_prefs_bulk::apply::RunOptions::default();
        module.add("DEFAULT_BATCH_SIZE", run.batch_size)?;
        module.add("DEFAULT_CONCURRENCY", run.concurrency)?;
        module.add(
            "USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS",
            signin_prefs_model::UserDefaultAuthenticationMethodType::MEMBERS.to_vec(),
        )?;
        module.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}

/// Runs `future` to completion on the shared tokio runtime with the GIL released, so other Python
/// threads run while this one waits for the network.
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    py.detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(future))
}
