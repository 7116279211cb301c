//! The Python package as it is published, checked once per `cargo xtask test`: its sdist, the
//! wheel built from that sdist alone, and that wheel installed in a fresh virtual environment.
//!
//! One release build serves every check: the wheel built from the sdist is the one measured
//! against its size budget and installed. The sdist is unpacked to the same folder each time and
//! built with the workspace's `target/`, so a run rebuilds only what changed; git is kept from
//! looking above that folder, so the build sees what a machine with only the sdist would. Then
//! `bindings/python/dist_tests` checks the files and the installed package, and the CLI
//! scenarios that depend on the process hosting the command (signals, a closed pipe, the README's
//! quick start) run against the installed `signin-prefs` script instead of the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// The CLI scenarios run again against the installed command (test name filters).
const HOSTED_SCENARIOS: &[&str] = &["cli_interrupt::", "readme_examples::the_quick_start"];

/// Builds the sdist and the wheel from it, installs the wheel in a fresh venv and tests them.
/// `python` is the tools' venv interpreter (maturin, pip and pytest are installed there).
pub(crate) fn check(root: &Path, python: &Path) -> Result<(), Error> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dist = target.join("python-dist");
    let package = root.join("bindings").join("python");
    let unpacked = dist.join("src");
    let out = dist.join("out");
    for stale in [&out, &unpacked] {
        remove(stale)?;
    }
    let bin = python.parent().unwrap_or(root);
    super::run(
        &package,
        Command::new(bin.join("maturin"))
            .args(["sdist", "--out"])
            .arg(&out),
    )?;
    let sdist = only_file(&out, ".tar.gz")?;
    create_dir(&unpacked)?;
    super::run(
        &unpacked,
        // `-m`: the files dated now, not as the archive dates them, so that cargo rebuilds what
        // changed since the last run (an archive's fixed dates would pass for unchanged files).
        Command::new("tar").arg("-xmzf").arg(&sdist),
    )?;
    let tree = only_dir(&unpacked)?;
    // pip's own route from a source tree to a wheel (the sdist's build backend, as its
    // pyproject.toml names it), with the maturin already installed rather than fetched.
    super::run(
        &tree,
        Command::new(python)
            .args([
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
            ])
            .arg("--wheel-dir")
            .arg(&out)
            .arg(".")
            .env("CARGO_TARGET_DIR", &target)
            .env("GIT_CEILING_DIRECTORIES", &unpacked)
            // The build backend runs `maturin` by name.
            .env("PATH", with_first_on_path(bin)),
    )?;
    let wheel = only_file(&out, ".whl")?;
    let venv = out.join("venv");
    let host = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    super::run(root, Command::new(host).args(["-m", "venv"]).arg(&venv))?;
    let fresh = venv.join("bin").join("python");
    super::run(
        root,
        Command::new(&fresh)
            .args(["-m", "pip", "install", "--quiet", "--no-deps", "--no-index"])
            .args(["--disable-pip-version-check"])
            .arg(&wheel),
    )?;
    // The binary the installed command must mirror, current (a no-op after `cargo xtask test`'s
    // own build of it).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    super::run(
        root,
        Command::new(&cargo).args(["build", "--locked", "-p", "signin-prefs-cli"]),
    )?;
    let binary = target.join("debug").join("signin-prefs");
    super::run(
        &package,
        Command::new(python)
            .args([
                "-m",
                "pytest",
                "--quiet",
                "-p",
                "no:cacheprovider",
                "dist_tests",
            ])
            .env("SIGNIN_PREFS_DIST", &out)
            .env("SIGNIN_PREFS_BINARY", &binary),
    )?;
    super::run(
        root,
        Command::new(cargo)
            .args([
                "test",
                "--locked",
                "-p",
                "signin-prefs-tests",
                "--test",
                "suite",
            ])
            .arg("--")
            .args(HOSTED_SCENARIOS)
            .env(
                "SIGNIN_PREFS_CLI_UNDER_TEST",
                venv.join("bin").join("signin-prefs"),
            ),
    )
}

/// `PATH` with `dir` searched first.
fn with_first_on_path(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)))
        .unwrap_or(rest)
}

fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_dir_all(path) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::write(path)(source))
        }
        _ => Ok(()),
    }
}

fn create_dir(path: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(path).map_err(Error::write(path))
}

/// The one entry of `dir` that `keep` accepts (`what` names such entries in the error).
fn only_entry(dir: &Path, keep: impl Fn(&Path) -> bool, what: &str) -> Result<PathBuf, Error> {
    let entries = std::fs::read_dir(dir).map_err(Error::read(dir))?;
    let found: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| keep(path))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(Error::NotOne {
            folder: dir.to_path_buf(),
            count: found.len(),
            what: what.to_owned(),
        }),
    }
}

fn only_file(dir: &Path, suffix: &str) -> Result<PathBuf, Error> {
    only_entry(
        dir,
        |path| path.is_file() && path.to_string_lossy().ends_with(suffix),
        &format!("`*{suffix}` files"),
    )
}

fn only_dir(dir: &Path) -> Result<PathBuf, Error> {
    only_entry(dir, Path::is_dir, "folders")
}
