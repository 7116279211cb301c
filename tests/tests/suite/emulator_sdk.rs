//! Microsoft's Python SDK (msgraph-beta-sdk), unchanged, against the emulator: GET, PATCH, an
//! error, and a `$batch` of PATCHes. Skipped, saying why, when the peer venv is absent.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use signin_prefs_emulator::{AuthMethod, MethodSet, UserState};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Preferred;

use crate::emulator_support::*;

fn peer_python() -> Option<PathBuf> {
    let venv = std::env::var_os("SIGNIN_PREFS_PEER_VENV")
        .map_or_else(|| PathBuf::from("/work/peer-venv"), PathBuf::from);
    let python = venv.join("bin").join("python");
    python.exists().then_some(python)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msgraph_beta_sdk_works_unchanged() {
    let Some(python) = peer_python() else {
        println!(
            "SKIPPED msgraph_beta_sdk_works_unchanged: no peer venv with msgraph-beta-sdk (set SIGNIN_PREFS_PEER_VENV or create /work/peer-venv)"
        );
        return;
    };
    let emulator = start(quiet()).await;
    let token = admin_token(&emulator);
    let all = UserState {
        methods: MethodSet::of(&[
            AuthMethod::MobilePhone,
            AuthMethod::MicrosoftAuthenticator,
            AuthMethod::SoftwareOath,
        ]),
        preferred: Some(Preferred::Push),
        system_preferred_enabled: Some(false),
    };
    let users: Vec<String> = (0..4)
        .map(|index| emulator.user_at(index).unwrap().id)
        .collect();
    for user in &users {
        emulator.set_user_state(user, all.clone()).unwrap();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join("msgraph_sdk_scenario.py");
    let graph_url = emulator.graph_url();
    let mut arguments = vec![script.display().to_string(), graph_url, token];
    arguments.extend(users.iter().cloned());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(arguments)
            .env("NO_PROXY", "127.0.0.1")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "SDK scenario failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let step = |name: &str| {
        steps
            .iter()
            .find(|step| step["step"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {stdout}"))
            .clone()
    };

    let got = step("get");
    assert_eq!(got["preferred"], "push");
    assert_eq!(got["system"], false);
    assert!(
        got["extra"]
            .as_array()
            .unwrap()
            .contains(&Value::from("systemPreferredAuthenticationMethod"))
    );
    assert_eq!(step("patch-then-get")["preferred"], "sms");
    let refused = step("unregistered");
    assert_eq!(refused["raised"], "ODataError");
    assert_eq!(refused["status"], 400);
    assert_eq!(refused["code"], "BadRequest");
    let statuses = step("batch")["statuses"].clone();
    assert_eq!(statuses, serde_json::json!({"1": 204, "2": 204, "3": 204}));
    assert_eq!(
        emulator.user(&users[0]).unwrap().state.preferred,
        Some(Preferred::Sms)
    );
    assert_eq!(
        emulator.user(&users[1]).unwrap().state.preferred,
        Some(Preferred::Push)
    );
    assert_eq!(
        emulator.user(&users[2]).unwrap().state.preferred,
        Some(Preferred::Oath)
    );
    assert_eq!(
        emulator.user(&users[3]).unwrap().state.preferred,
        Some(Preferred::Sms)
    );
}
