//! The emulator as a tool for others: `--print-env`'s export lines configure the CLI (and name
//! the Azure SDKs' variables) without echoing a given secret, and the request log records every
//! request without a token or a secret in it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use signin_prefs_client::{PacingConfig, Priority};
use signin_prefs_request::{GetSignInPreference, Operation};

use crate::client_support::{client_for, quiet, start};

/// A running `signin-prefs emulator`, stopped when dropped.
pub(crate) struct EmulatorProcess(pub(crate) Child);

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `export NAME='value'` lines as pairs (the quoting `--print-env` writes undone); `None` for a
/// line that is not one.
pub(crate) fn export_pair(line: &str) -> Option<(String, String)> {
    let (name, value) = line.strip_prefix("export ")?.split_once('=')?;
    let value = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(quoted) => quoted.replace(r"'\''", "'"),
        None => value.to_owned(),
    };
    Some((name.to_owned(), value))
}

/// Starts `signin-prefs emulator --print-env ARGS` and reads its export lines (up to the last,
/// `AZURE_AUTHORITY_HOST`) and its banner's `user:`/`guest:` lines from standard error.
pub(crate) fn print_env(
    args: &[&str],
    env: &[(&str, &str)],
) -> (EmulatorProcess, Vec<String>, Vec<String>) {
    let mut command = Command::new(crate::cli_binary::binary());
    command
        .args(["emulator", "--print-env"])
        .args(args)
        .env_remove("SIGNIN_PREFS_EMULATOR_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut process = EmulatorProcess(command.spawn().unwrap());
    let stdout = BufReader::new(process.0.stdout.take().unwrap());
    let mut exports = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let last = line.starts_with("export AZURE_AUTHORITY_HOST=");
        exports.push(line);
        if last {
            break;
        }
    }
    let stderr = BufReader::new(process.0.stderr.take().unwrap());
    let mut banner = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let last = line.starts_with("env:");
        banner.push(line);
        if last {
            break;
        }
    }
    (process, exports, banner)
}

#[test]
fn print_env_prints_export_lines_alone_and_they_configure_the_cli() {
    let (_emulator, exports, banner) = print_env(&["--users", "40"], &[]);
    // First what would override the lines, then the lines.
    let unset = exports[0]
        .strip_prefix("unset ")
        .expect("an unset line first");
    let pairs: Vec<(String, String)> = exports[1..]
        .iter()
        .map(|line| export_pair(line).unwrap_or_else(|| panic!("not an export line: {line}")))
        .collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(variable, _)| variable == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no {name} in {exports:?}"))
    };
    let origin = value("SIGNIN_PREFS_BASE_URL");
    assert!(
        origin.starts_with("http://127.0.0.1:") && !origin.contains("/beta"),
        "{origin}"
    );
    assert_eq!(value("SIGNIN_PREFS_LOGIN_AUTHORITY"), origin);
    assert_eq!(value("AZURE_AUTHORITY_HOST"), origin);
    assert_eq!(value("AZURE_TENANT_ID"), value("SIGNIN_PREFS_TENANT_ID"));
    assert_eq!(value("AZURE_CLIENT_ID"), value("SIGNIN_PREFS_CLIENT_ID"));
    assert_eq!(
        value("AZURE_CLIENT_SECRET"),
        value("SIGNIN_PREFS_CLIENT_SECRET")
    );
    for budget in ["WRITE", "TENANT_WRITE", "READ", "REPORTS"] {
        value(&format!("SIGNIN_PREFS_{budget}_BUDGET"));
    }
    // The banner, on standard error, names a plain user and a guest with their object ids.
    let user = |prefix: &str| -> Vec<String> {
        banner
            .iter()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in {banner:?}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let (plain, guest) = (user("user:"), user("guest:"));
    assert!(
        !plain[0].contains("#EXT#") && plain[0].is_ascii(),
        "{plain:?}"
    );
    assert!(guest[0].contains("#EXT#"), "{guest:?}");
    for id in [&plain[1], &guest[1]] {
        assert_eq!(id.len(), 36, "an object id: {id}");
    }

    // The lines alone configure the CLI: a user read by UPN and by object id.
    for key in [&plain[0], &guest[1]] {
        let output = Command::new(crate::cli_binary::binary())
            .args(["get", key])
            .env_clear()
            .envs(pairs.iter().map(|(name, value)| (name, value)))
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    }

    // Sourced over a shell an earlier tenant left settings in, they still reach this emulator.
    #[cfg(unix)]
    {
        let binary = crate::cli_binary::binary();
        let script = format!("{}\n\"$0\" get \"$1\"", exports.join("\n"));
        let mut command = Command::new("sh");
        command
            .args(["-e", "-c", &script])
            .arg(&binary)
            .arg(&plain[0]);
        for stale in unset.split_whitespace() {
            command.env(stale, "/stale/setting/of/another/tenant");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_given_secret_is_referred_to_never_printed() {
    let secret = "given-secret-with-'quote";
    let folder =
        std::env::temp_dir().join(format!("signin-prefs-secret-file-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("secret");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let file_argument = file.display().to_string();
    for (args, env) in [
        (
            vec!["--users", "5"],
            vec![("SIGNIN_PREFS_EMULATOR_CLIENT_SECRET", secret)],
        ),
        (
            vec!["--users", "5", "--client-secret-file", &file_argument],
            vec![],
        ),
    ] {
        let (_emulator, exports, banner) = print_env(&args, &env);
        let everything = format!("{exports:?}{banner:?}");
        assert!(!everything.contains("given-secret"), "{everything}");
        // Sourced by a shell, the reference gives the secret to both families of settings.
        let script = format!(
            "{}\nprintf '%s\\n%s' \"${{SIGNIN_PREFS_CLIENT_SECRET:-$(cat \"$SIGNIN_PREFS_CLIENT_SECRET_FILE\")}}\" \"$AZURE_CLIENT_SECRET\"",
            exports.join("\n")
        );
        let output = Command::new("sh")
            .args(["-e", "-c", &script])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("{secret}\n{secret}"),
            "{args:?} {output:?}"
        );
    }
    std::fs::remove_dir_all(&folder).unwrap();
}

#[tokio::test]
async fn the_request_log_records_each_request_without_tokens_or_secrets() {
    let folder =
        std::env::temp_dir().join(format!("signin-prefs-request-log-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("requests.jsonl");
    let _ = std::fs::remove_file(&path);
    let emulator = start(quiet().log_requests(&path)).await;
    let user = emulator.user_at(4).unwrap();
    let client = client_for(&emulator)
        .pacing(PacingConfig::disabled())
        .build()
        .unwrap()
        .with_priority(Some(Priority::Low));
    let request = GetSignInPreference::new(user.id.clone())
        .to_request()
        .unwrap();
    client.send_raw(&request).await.unwrap();
    let secret = emulator.apps()[0].client_secret.clone();
    emulator.shutdown().await;

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(&secret),
        "the client secret is never written"
    );
    assert!(!text.to_ascii_lowercase().contains("bearer "), "no token");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let [login, read] = lines.as_slice() else {
        panic!("one line per request: {text}")
    };
    assert_eq!(login["method"], "POST");
    assert!(
        login["path"]
            .as_str()
            .unwrap()
            .ends_with("/oauth2/v2.0/token")
    );
    assert_eq!(login["status"], 200);
    assert_eq!(read["method"], "GET");
    assert_eq!(
        read["path"],
        format!("/beta/users/{}/authentication/signInPreferences", user.id)
    );
    assert_eq!(read["status"], 200);
    assert_eq!(read["auth"], "Bearer");
    assert_eq!(read["throttlePriority"], "low");
    assert!(
        read["clientRequestId"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{read}"
    );
    assert!(
        read["time"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z')),
        "{read}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only");
    }
    std::fs::remove_dir_all(&folder).unwrap();
}
