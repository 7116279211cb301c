//! Output formats and the async runtime the commands share.

use clap::ValueEnum;

use crate::error::Error;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum Output {
    /// Aligned text for people.
    #[default]
    Table,
    /// JSON for programs.
    Json,
    /// CSV for spreadsheets and programs.
    Csv,
}

/// `on` / `off` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl Switch {
    pub(crate) fn enabled(self) -> bool {
        self == Switch::On
    }
}

/// Runs a future to completion on a fresh multi-threaded runtime.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}
