//! Project chores, run as `cargo xtask <command>` (the alias is in `.cargo/config.toml`).

mod codegen;
mod spec;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "signin-prefs project chores")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate the model and request crates from spec/.
    Codegen {
        /// Write nothing; fail, naming each stale file, if the generated code is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Maintain spec/: cut the product's slice from Microsoft's modules, or compare two specs.
    Spec {
        #[command(subcommand)]
        command: SpecTask,
    },
    /// Run the whole test suite: every test of every crate, the CLI's included.
    Test,
}

#[derive(Subcommand)]
enum SpecTask {
    /// Rebuild the product's spec from Microsoft's modules, as spec/slice.yaml says.
    Slice {
        /// The slice config.
        #[arg(long, default_value = "spec/slice.yaml")]
        config: PathBuf,
        /// Slice these module files (YAML or JSON, gzipped or not) instead of the config's.
        #[arg(long = "module")]
        modules: Vec<PathBuf>,
        /// Write here instead of the config's output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Write nothing; fail if the committed slice is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Report what changed between two specs and whether it breaks callers of the generated crates.
    Diff {
        /// The older spec.
        old: PathBuf,
        /// The newer spec.
        new: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Exit with failure when any change breaks callers.
        #[arg(long)]
        fail_on_breaking: bool,
    },
}

fn main() -> ExitCode {
    let root = project_root();
    let result = match Cli::parse().command {
        Task::Codegen { check } => codegen::run(&root, check).map_err(|error| error.to_string()),
        Task::Spec {
            command:
                SpecTask::Slice {
                    config,
                    modules,
                    output,
                    check,
                },
        } => spec::slice::run(
            &root,
            &root.join(config),
            &modules,
            output.as_deref(),
            check,
        )
        .map(|report| println!("{report}"))
        .map_err(|error| error.to_string()),
        Task::Spec {
            command:
                SpecTask::Diff {
                    old,
                    new,
                    json,
                    fail_on_breaking,
                },
        } => spec::diff::run(&old, &new, json, fail_on_breaking)
            .map(|report| print!("{report}"))
            .map_err(|error| error.to_string()),
        Task::Test => run_tests(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: xtask lives one level below it.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn run_tests(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // The CLI tests run the real binary, which `cargo test` does not build for another package.
    run(
        root,
        Command::new(&cargo).args(["build", "--locked", "-p", "signin-prefs-cli"]),
    )?;
    // Unit, integration and doc tests of every crate (benches are built by clippy, run by hand).
    run(
        root,
        Command::new(&cargo).args(["test", "--workspace", "--locked"]),
    )?;
    // The azure_identity adapter sits behind a feature; its tests run too.
    run(
        root,
        Command::new(&cargo).args([
            "test",
            "--locked",
            "-p",
            "signin-prefs-client",
            "--features",
            "azure",
        ]),
    )?;
    Ok(())
}

fn run(root: &Path, command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    eprintln!("$ {shown}");
    let status = command
        .current_dir(root)
        .status()
        .map_err(|error| format!("cannot start {shown}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}
