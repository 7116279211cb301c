//! The README's examples run as written: its quick start (a shell block, run by `sh`) against the
//! emulator the block itself starts, and its curl walk-through (the same requests, read from the
//! README's text and sent with reqwest, so the test needs no curl).

use std::collections::HashMap;
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
pub(crate) fn scratch(name: &str) -> PathBuf {
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
    let folder = scratch("readme-quick-start");
    let (stdout, stderr) = run_in_sh(&block, &folder);
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

/// Runs `script` with `sh -e` in `folder`, the `signin-prefs` binary this tree builds first on the
/// `PATH` and no `SIGNIN_PREFS_*` setting from the calling environment; stops the emulator it
/// starts (`EMULATOR=$!`) whatever happens. Its stdout and stderr, once it has succeeded.
pub(crate) fn run_in_sh(script: &str, folder: &Path) -> (String, String) {
    let binary = crate::cli_binary::binary();
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Stop the emulator the script starts even when a command fails (`-e` ends the script).
    let script = format!("trap 'kill \"$EMULATOR\" 2>/dev/null' EXIT\n{script}");
    let mut command = Command::new("sh");
    command
        .args(["-e", "-c", &script])
        .current_dir(folder)
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
            panic!("the script took over 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// A shell line's words, with `$NAME` expanded from `variables` outside single quotes; a `|`
/// outside quotes ends the command (what is piped to only reshapes the output).
fn words(line: &str, variables: &HashMap<String, String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let (mut single, mut double) = (false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let current = word.get_or_insert_with(String::new);
        match c {
            '\'' if !double => single = !single,
            _ if single => current.push(c),
            '"' => double = !double,
            '\\' => current.extend(chars.next()),
            '$' => {
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    if !(next.is_ascii_alphanumeric() || next == '_') {
                        break;
                    }
                    name.push(next);
                    chars.next();
                }
                let value = variables.get(&name);
                current.push_str(value.unwrap_or_else(|| panic!("${name} is not set")));
            }
            '|' if !double => break,
            ' ' if !double => {
                words.extend(word.take().filter(|word| !word.is_empty()));
            }
            _ => current.push(c),
        }
    }
    words.extend(word.filter(|word| !word.is_empty()));
    words
}

/// Sends what one `curl` command line asks for; returns the status and the body.
async fn curl(words: &[String]) -> (u16, String) {
    assert_eq!(words.first().map(String::as_str), Some("curl"), "{words:?}");
    let (mut method, mut url) = (None, None);
    let (mut headers, mut data) = (Vec::new(), Vec::new());
    let mut rest = words[1..].iter();
    while let Some(word) = rest.next() {
        let mut value = || rest.next().unwrap().clone();
        match word.as_str() {
            "-s" => {}
            "-X" => method = Some(value()),
            "-H" => headers.push(value()),
            "-d" => data.push(value()),
            "--data-urlencode" => {
                let text = value();
                let (name, content) = text.split_once('=').unwrap();
                let encoded: String =
                    url::form_urlencoded::byte_serialize(content.as_bytes()).collect();
                data.push(format!("{name}={encoded}"));
            }
            option if option.starts_with('-') => panic!("the test reads no curl option {option}"),
            _ => url = Some(word.clone()),
        }
    }
    // As curl: data makes a POST unless -X says otherwise, a form unless a header says otherwise.
    let method = method.unwrap_or_else(|| if data.is_empty() { "GET" } else { "POST" }.to_owned());
    let mut request = crate::emulator_support::client().request(
        method.parse().unwrap(),
        url.expect("a curl line names a URL"),
    );
    if !data.is_empty() {
        if !headers
            .iter()
            .any(|header| header.to_ascii_lowercase().starts_with("content-type:"))
        {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        request = request.body(data.join("&"));
    }
    for header in &headers {
        let (name, value) = header.split_once(':').unwrap();
        request = request.header(name.trim(), value.trim());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_curl_walk_through_runs_as_written() {
    let readme = readme();
    let me = block_after(&readme, "### Quick start on the emulator", "sh")
        .lines()
        .find_map(|line| {
            line.strip_prefix("ME=")?
                .split_whitespace()
                .next()
                .map(str::to_owned)
        })
        .unwrap();
    let block = block_after(&readme, "### Test your scripts against the emulator", "sh");
    let (_emulator, exports, _) = crate::emulator_tooling::print_env(&[], &[]);
    let mut variables: HashMap<String, String> = exports
        .iter()
        .filter_map(|line| crate::emulator_tooling::export_pair(line))
        .collect();
    variables.insert("ME".to_owned(), me);
    let mut answers = Vec::new();
    for line in block.lines().filter(|line| !line.trim().is_empty()) {
        match line.split_once("=$(") {
            // `NAME=$(curl … | …)`: the token request, its access token kept as NAME.
            Some((name, command)) => {
                let (status, body) = curl(&words(command, &variables)).await;
                assert_eq!(status, 200, "{line}: {body}");
                let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
                let token = answer["access_token"].as_str().unwrap().to_owned();
                variables.insert(name.to_owned(), token);
            }
            None => {
                let words = words(line, &variables);
                let (status, body) = curl(&words).await;
                assert!((200..300).contains(&status), "{line}: {status} {body}");
                answers.push((words, status, body));
            }
        }
    }
    // The PATCH answers 204, and the read after it shows what it sent.
    let patch = answers
        .iter()
        .position(|(words, _, _)| words.iter().any(|word| word == "PATCH"))
        .expect("the walk-through changes a user");
    let (words, status, _) = &answers[patch];
    assert_eq!(*status, 204);
    let sent: serde_json::Value =
        serde_json::from_str(&words[words.iter().position(|word| word == "-d").unwrap() + 1])
            .unwrap();
    let (_, _, after) = answers.get(patch + 1).expect("a read after the PATCH");
    let after: serde_json::Value = serde_json::from_str(after).unwrap();
    for (property, value) in sent.as_object().unwrap() {
        assert_eq!(&after[property], value, "{property}");
    }
    assert!(
        answers.len() >= 3,
        "a list, a read, a change, a read: {answers:?}"
    );
}
