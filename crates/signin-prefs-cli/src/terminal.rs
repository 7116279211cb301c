//! How the command talks to the person at the terminal, set once for the whole process: colour
//! (`--color`, `NO_COLOR`), how much is logged (`-q`, `-v`, `SIGNIN_PREFS_LOG`) and whether
//! progress is shown.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{ArgAction, Args, ValueEnum};

/// The options every command takes, before or after its name.
#[derive(Debug, Args)]
pub(crate) struct TerminalArgs {
    /// Colour in what is written to standard error: `auto` (on a terminal, unless the NO_COLOR
    /// environment variable is set and not empty), `always` or `never`.
    #[arg(long, value_enum, default_value_t, global = true)]
    color: ColorChoice,
    /// Log more: -v informational lines, -vv debugging, -vvv everything. SIGNIN_PREFS_LOG (a
    /// tracing filter such as `signin_prefs_client=debug`) wins over it.
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "quiet")]
    verbose: u8,
    /// Errors only: no warnings and no progress (results and the final summary still print).
    #[arg(short, long, global = true)]
    quiet: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always, even into a file or a pipe.
    Always,
    /// Never.
    Never,
}

/// Whether `-q` was given, for the progress displays.
static QUIET: AtomicBool = AtomicBool::new(false);

impl TerminalArgs {
    /// Sets up logging to standard error and records the progress setting. A host process (Python)
    /// may already have a logger, or run a second command line: the first logger set stays.
    pub(crate) fn init(&self) {
        QUIET.store(self.quiet, Ordering::Relaxed);
        let level = match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            (false, 2) => "debug",
            (false, _) => "trace",
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("SIGNIN_PREFS_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
            )
            .with_writer(std::io::stderr)
            .with_ansi(self.colour())
            .try_init();
    }

    /// Whether standard error gets colour codes: a terminal shows them, a log file or a pipe
    /// would keep them as noise; NO_COLOR (<https://no-color.org>) turns them off, and an explicit
    /// `--color` wins over it.
    fn colour(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }
}

/// Whether progress (the bar on a terminal, the periodic lines elsewhere) is to be left out.
pub(crate) fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}
