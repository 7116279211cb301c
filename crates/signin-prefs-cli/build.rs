//! Records the commit the binary is built from, for `--version`: `SIGNIN_PREFS_COMMIT` is the
//! commit's short hash, or empty where the sources are not a git checkout (a packaged crate).

// Cargo reads a build script's instructions from its standard output.
#![allow(clippy::disallowed_macros)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = git(&manifest, &["rev-parse", "--short=12", "HEAD"]).unwrap_or_default();
    println!("cargo:rustc-env=SIGNIN_PREFS_COMMIT={commit}");
    // Built again when HEAD moves: the files that say where it points, those that exist (a
    // missing one would make cargo run this script on every build).
    let git_dir = git(&manifest, &["rev-parse", "--absolute-git-dir"]);
    let common_dir =
        git(&manifest, &["rev-parse", "--git-common-dir"]).map(|dir| manifest.join(dir));
    let branch = git(&manifest, &["symbolic-ref", "-q", "HEAD"]);
    let mut watched: Vec<PathBuf> = Vec::new();
    if let Some(git_dir) = &git_dir {
        watched.push(Path::new(git_dir).join("HEAD"));
    }
    if let Some(common_dir) = &common_dir {
        watched.push(common_dir.join("packed-refs"));
        if let Some(branch) = &branch {
            watched.push(common_dir.join(branch));
        }
    }
    for path in watched.iter().filter(|path| path.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// `git ARGS` run in `dir`: its first line of output, if it succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.lines().next()?.trim().to_owned();
    (!line.is_empty()).then_some(line)
}
