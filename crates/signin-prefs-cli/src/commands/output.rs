//! The arguments, output formats and async runtime the commands share.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use signin_prefs_client::{Client, Priority, ProfileName};

use super::connection::{Loaded, Settings};
use super::run_folder::RunFolder;
use crate::error::Error;

/// `--output`, declared once for every command that prints a result.
#[derive(Debug, Args)]
pub(crate) struct OutputArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) output: Output,
}

/// `--output` and `--out` of the commands that can also make an HTML page (`report`,
/// `readiness`).
#[derive(Debug, Args)]
pub(crate) struct PageOutputArg {
    /// Output format; `html` writes one self-contained page (inline style, charts and table
    /// script: it loads nothing when opened) to a new file, and prints where.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) output: PageOutput,
    /// With `--output html`: the page's file, owner-only; an existing file is never replaced.
    /// `report` writes beside the journal by default (its name with `.html` added); `readiness`
    /// needs it.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

impl PageOutputArg {
    /// The printed format, or `None` for an HTML page; `--out` without `--output html` is refused.
    pub(crate) fn printed(&self) -> Result<Option<Output>, Error> {
        let printed = match self.output {
            PageOutput::Table => Output::Table,
            PageOutput::Json => Output::Json,
            PageOutput::Csv => Output::Csv,
            PageOutput::Html => return Ok(None),
        };
        if self.out.is_some() {
            return Err(Error::Input(
                "--out names the HTML page's file: give it with --output html".into(),
            ));
        }
        Ok(Some(printed))
    }
}

/// How the results of `report` and `readiness` are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum PageOutput {
    /// Aligned text for people.
    #[default]
    Table,
    /// JSON for programs.
    Json,
    /// CSV for spreadsheets and programs.
    Csv,
    /// One self-contained HTML page, written to `--out`.
    Html,
}

/// `--config` and `--profile`, declared once for every command that reaches Graph or reads a
/// run's files.
#[derive(Debug, Args)]
pub(crate) struct ConfigArg {
    /// A config file (TOML) with the connection settings (default: SIGNIN_PREFS_CONFIG, else
    /// ~/.config/signin-prefs/config.toml when it exists).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// A named profile of the config file ([profiles.NAME]: tenant, cloud, credential); relative
    /// paths of plans, journals and reports then lead into its folder (default: SIGNIN_PREFS_PROFILE).
    #[arg(long, value_name = "NAME", value_parser = parse_profile)]
    pub(crate) profile: Option<ProfileName>,
}

fn parse_profile(text: &str) -> Result<ProfileName, String> {
    text.parse()
        .map_err(|error: signin_prefs_client::Error| error.to_string())
}

impl ConfigArg {
    /// The connection settings: the config file or its profile, then the environment over them.
    pub(crate) fn settings(&self) -> Result<Settings, Error> {
        self.load().map(|loaded| loaded.settings)
    }

    /// The settings and the folder a run's files go to.
    pub(crate) fn load(&self) -> Result<Loaded, Error> {
        super::connection::load(self.config.as_deref(), self.profile.as_ref())
    }

    /// Only the folder a run's files go to (reads the config file, connects nowhere).
    pub(crate) fn folder(&self) -> Result<RunFolder, Error> {
        super::connection::folder(self.config.as_deref(), self.profile.as_ref())
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

    /// The connection settings and the folder a run's files go to.
    pub(crate) fn load(&self) -> Result<Loaded, Error> {
        self.config.load()
    }
}

/// `--priority`, declared once for the bulk commands (plan, apply, rollback, readiness).
#[derive(Debug, Args)]
pub(crate) struct PriorityArg {
    /// The `x-ms-throttle-priority` every request carries: `low` (the default: Graph throttles
    /// low-priority requests first when it must shed load, and a bulk run can wait), `normal` or
    /// `high` (Microsoft recommends it only for requests a person is waiting on). It changes no
    /// limit.
    #[arg(long, default_value = "low", value_parser = parse_priority)]
    priority: Priority,
}

impl PriorityArg {
    /// `client`, sending this priority.
    pub(crate) fn apply_to(&self, client: &Client) -> Client {
        client.with_priority(Some(self.priority))
    }
}

fn parse_priority(text: &str) -> Result<Priority, String> {
    text.parse()
        .map_err(|error: signin_prefs_client::Error| error.to_string())
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
