//! The README's examples run as written: its quick start (a shell block, run by `sh`) against the
//! emulator the block itself starts, and its curl walk-through (the same requests, read from the
//! README's text and sent with reqwest, so the test needs no curl).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn readme() -> String {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(workspace.join("README.md")).unwrap()
}

/// The body of the first fenced block tagged `language` after the heading `heading`.
pub(crate) fn block_after(readme: &str, heading: &str, language: &str) -> String {
    let section = &readme[readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no `{heading}`"))..];
    let fence = format!("```{language}\n");
    let body = &section[section
        .find(&fence)
        .unwrap_or_else(|| panic!("no {language} block after `{heading}`"))
        + fence.len()..];
    body[..body.find("```").unwrap()].to_owned()
}

/// A fresh empty folder under the system's temporary folder.
fn scratch(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("signin-prefs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

#[cfg(unix)]
#[test]
fn the_quick_start_runs_as_written() {
    let block = block_after(&readme(), "### Quick start on the emulator", "sh");
    assert!(
        block.contains("--print-env") && block.contains("signin-prefs apply"),
        "{block}"
    );
    let me = block
        .lines()
        .find_map(|line| line.strip_prefix("ME="))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the block names its user as ME=…")
        .to_owned();
    let binary = crate::cli_binary::binary();
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let folder = scratch("readme-quick-start");
    // Stop the emulator the block starts even when a command fails (`-e` ends the script).
    let script = format!("trap 'kill \"$EMULATOR\" 2>/dev/null' EXIT\n{block}");
    let mut command = Command::new("sh");
    command
        .args(["-e", "-c", &script])
        .current_dir(&folder)
        .env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SIGNIN_PREFS_") {
            command.env_remove(name);
        }
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the quick start took over 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // The user the README names is the one the banner offers, as the README says.
    assert!(
        stderr.lines().any(|line| line
            .strip_prefix("user:")
            .is_some_and(|rest| rest.trim_start().starts_with(&format!("{me} ")))),
        "the banner's user is not {me}:\n{stderr}"
    );
    assert!(stdout.contains("applied"), "{stdout}");
    std::fs::remove_dir_all(&folder).unwrap();
}
