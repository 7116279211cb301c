//! Project chores, run as `cargo xtask <command>` (the alias is in `.cargo/config.toml`).

mod browser;
mod codegen;
mod dist;
mod error;
#[cfg(test)]
mod regeneration_tests;
mod spec;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

use crate::error::Error;

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
    /// Build the Python package as it is published (its sdist, the wheel built from the sdist, that
    /// wheel installed in a fresh venv) and test it: part of `test`, alone for when only the
    /// packaging changed. Uses the `.venv` that `test` makes.
    Dist,
    /// Write the CLI's man pages (roff, one per subcommand), made from its clap definitions.
    Man {
        /// The folder to write them into.
        #[arg(long, default_value = "target/man/man1")]
        out: PathBuf,
    },
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
        Task::Codegen { check } => codegen::run(&root, check),
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
        .map(|report| println!("{report}")),
        Task::Spec {
            command:
                SpecTask::Diff {
                    old,
                    new,
                    json,
                    fail_on_breaking,
                },
        } => spec::diff::run(&old, &new, json, fail_on_breaking).map(|report| print!("{report}")),
        Task::Test => run_tests(&root),
        Task::Dist => dist::check(&root, &root.join(".venv").join("bin").join("python")),
        Task::Man { out } => write_man_pages(&root, &root.join(out)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The man pages come from the CLI itself (its hidden `manpages` command), so xtask needs no
/// dependency on the CLI crate and the pages always match the binary built from this tree.
fn write_man_pages(root: &Path, out: &Path) -> Result<(), Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(
        root,
        Command::new(cargo)
            .args(["run", "--quiet", "--locked", "-p", "signin-prefs-cli", "--"])
            .args(["manpages", "--out"])
            .arg(out),
    )?;
    eprintln!("man pages: {}", out.display());
    Ok(())
}

/// The repository root: xtask lives one level below it.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn run_tests(root: &Path) -> Result<(), Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    browser::ensure(root)?;
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
    run_python_tests(root)
}

/// The Python package (`bindings/python`): a venv at `.venv` (made once, then reused), the tools
/// it needs, the package built into it with maturin, the pytest suite against the emulator, the
/// stubs checked against the built module, and the package as published (`dist.rs`).
fn run_python_tests(root: &Path) -> Result<(), Error> {
    let venv = root.join(".venv");
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let python = bin.join(if cfg!(windows) {
        "python.exe"
    } else {
        "python"
    });
    if !python.exists() {
        let host = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        run(root, Command::new(host).args(["-m", "venv"]).arg(&venv))?;
    }
    let tools_present = Command::new(&python)
        .args([
            "-c",
            "import maturin, pytest, pytest_asyncio, mypy, azure.core, azure.identity",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !tools_present {
        run(
            root,
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "maturin>=1.10,<2",
                "pytest",
                "pytest-asyncio",
                "mypy",
                // For the test that feeds the client azure-identity's own AccessToken type, and
                // the README's example that signs in at the emulator with azure-identity.
                "azure-core",
                "azure-identity",
            ]),
        )?;
    }
    let package = root.join("bindings").join("python");
    run(
        &package,
        Command::new(bin.join("maturin"))
            .args(["develop", "--quiet"])
            .env("VIRTUAL_ENV", &venv),
    )?;
    run(
        &package,
        Command::new(&python).args(["-m", "pytest", "--quiet", "-p", "no:cacheprovider", "tests"]),
    )?;
    // The hand-written stubs of the native module against the module as built, and the package's
    // own annotations, strictly.
    run(
        &package,
        Command::new(&python).args([
            "-m",
            "mypy.stubtest",
            "signin_prefs",
            "--allowlist",
            "stubtest-allowlist.txt",
        ]),
    )?;
    run(
        &package,
        Command::new(&python).args([
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "python/signin_prefs",
        ]),
    )?;
    dist::check(root, &python)
}

fn run(root: &Path, command: &mut Command) -> Result<(), Error> {
    let shown = format!("{command:?}");
    eprintln!("$ {shown}");
    let status = command
        .current_dir(root)
        .status()
        .map_err(|source| Error::Start {
            command: shown.clone(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Failed {
            command: shown,
            status,
        })
    }
}
