//! Ctrl-C and SIGTERM during `plan`, `apply` and `rollback`, and the command that resumes.
//!
//! The first signal fires the run's [`Stop`]: an apply or rollback sends nothing more, the
//! batches on the wire settle into the journal, and the command prints how to resume and exits
//! 130 (128 + SIGINT, as shells report an interrupted command); a plan stops where it is and
//! leaves no file. A second signal ends the process at once, as a kill would: the journal is
//! built for that too (users whose answers were not journaled are read back on resume).

use std::ffi::OsString;
use std::future::Future;
use std::path::Path;

use indicatif::ProgressBar;
use signin_prefs_bulk::stop::Stop;
use signin_prefs_client::ProfileName;

/// The exit code of a command stopped by a signal.
pub(crate) const INTERRUPTED: i32 = 130;

/// Runs `work` while listening for SIGINT and SIGTERM: the first fires `stop` (and says so on
/// `bar`), a second clears `bar` and exits [`INTERRUPTED`] at once. Without signal handling
/// (it could not be set up), `work` simply runs.
pub(crate) async fn on_signals<F: Future>(stop: &Stop, bar: &ProgressBar, work: F) -> F::Output {
    let mut work = std::pin::pin!(work);
    tokio::select! {
        done = &mut work => done,
        failed = listen(stop, bar) => {
            tracing::warn!(error = %failed, "cannot listen for Ctrl-C; it ends the process as a kill would");
            work.await
        }
    }
}

/// Waits for the signals; returns only if they cannot be listened for.
async fn listen(stop: &Stop, bar: &ProgressBar) -> std::io::Error {
    let mut signals = match Signals::new() {
        Ok(signals) => signals,
        Err(error) => return error,
    };
    signals.next().await;
    stop.stop();
    bar.set_message(
        "stopping: letting the batches on the wire answer (Ctrl-C again quits at once)",
    );
    signals.next().await;
    bar.finish_and_clear();
    eprintln!(
        "signin-prefs: stopped at once; users whose answers were not journaled are read back on resume"
    );
    std::process::exit(INTERRUPTED)
}

/// SIGINT, and on Unix SIGTERM.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The command line that resumes this one: the same arguments, with `--resume` and, when the
/// journal was left to its default path, `--journal` naming it, and the profile when the
/// environment named it (`SIGNIN_PREFS_PROFILE` may be gone from the shell that resumes), each
/// quoted for a POSIX shell.
pub(crate) fn resume_command(journal: &Path, profile: Option<&ProfileName>) -> String {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let given = |flag: &str| {
        args.iter().skip(1).any(|arg| {
            let arg = arg.to_string_lossy();
            arg == flag || arg.starts_with(&format!("{flag}="))
        })
    };
    let (has_journal, has_resume, has_profile) =
        (given("--journal"), given("--resume"), given("--profile"));
    if let Some(profile) = profile.filter(|_| !has_profile) {
        args.push("--profile".into());
        args.push(profile.as_str().into());
    }
    if !has_journal {
        args.push("--journal".into());
        args.push(journal.as_os_str().to_owned());
    }
    if !has_resume {
        args.push("--resume".into());
    }
    args.iter()
        .map(|arg| shell_quoted(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` as one word of a POSIX shell: as it is when nothing in it is special, else in single
/// quotes (a quote inside written `'\''`).
fn shell_quoted(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quoted;

    #[test]
    fn words_a_shell_reads_back_as_they_were() {
        for (text, quoted) in [
            ("plan.json", "plan.json"),
            ("/tmp/a b/plan.json", "'/tmp/a b/plan.json'"),
            ("o'brien.json", r"'o'\''brien.json'"),
            ("", "''"),
            ("$HOME", "'$HOME'"),
        ] {
            assert_eq!(shell_quoted(text), quoted);
            let echoed = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {quoted}")])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&echoed.stdout), text);
        }
    }
}
