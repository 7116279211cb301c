//! The arguments, output formats and async runtime the commands share.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::connection::Settings;
use crate::error::Error;

/// `--output`, declared once for every command that prints a result.
#[derive(Debug, Args)]
pub(crate) struct OutputArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) output: Output,
}

/// `--config`, declared once for every command that reaches Graph.
#[derive(Debug, Args)]
pub(crate) struct ConfigArg {
    /// A config file (TOML) with the connection settings.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

impl ConfigArg {
    /// The connection settings: the config file, then the environment over it.
    pub(crate) fn settings(&self) -> Result<Settings, Error> {
        Settings::load(self.config.as_deref())
    }
}

/// The arguments of every command that reaches Graph and prints a result, flattened into each.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    #[command(flatten)]
    output: OutputArg,
    #[command(flatten)]
    config: ConfigArg,
}

impl CommonArgs {
    /// How to print the result.
    pub(crate) fn output(&self) -> Output {
        self.output.output
    }

    /// The connection settings.
    pub(crate) fn settings(&self) -> Result<Settings, Error> {
        self.config.settings()
    }
}

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
