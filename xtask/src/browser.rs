//! The browser the HTML report's tests drive (Debian's `chromium` and `chromium-driver`),
//! installed with apt-get before the suite runs when either is missing, so that `cargo xtask
//! test` sets up a fresh machine by itself, as `.ci/run` relies on.

use std::path::Path;
use std::process::Command;

use crate::error::Error;

/// The programs the browser tests start, and the Debian packages that give them.
const PROGRAMS: [&str; 2] = ["chromium", "chromedriver"];
const PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];

/// Whether `program` is on the `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|folder| folder.join(program).is_file())
    })
}

/// Installs Chromium and ChromeDriver unless both are there (or the browser tests are skipped by
/// `SIGNIN_PREFS_SKIP_BROWSER_TESTS=1`): with apt-get, through sudo when not root.
pub(crate) fn ensure(root: &Path) -> Result<(), Error> {
    let skipped = std::env::var("SIGNIN_PREFS_SKIP_BROWSER_TESTS").is_ok_and(|value| value == "1");
    if skipped || PROGRAMS.iter().all(|program| on_path(program)) {
        return Ok(());
    }
    eprintln!(
        "the HTML report's browser tests need {}: installing them with apt-get",
        PACKAGES.join(" and ")
    );
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    // apt-get with `args`, as root: directly, or through sudo.
    let as_root = |args: &[&str]| {
        let mut command = Command::new(if root_user { "apt-get" } else { "sudo" });
        if !root_user {
            // sudo passes on only the environment its command line names.
            command.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    crate::run(root, &mut as_root(&["update", "-q"]))?;
    let mut install = vec!["install", "-y", "-q"];
    install.extend(PACKAGES);
    crate::run(root, &mut as_root(&install))
}
