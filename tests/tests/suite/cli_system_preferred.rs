//! System-preferred MFA through the binary: `explain` says whether a user's default method takes
//! effect or matters only to the NPS extension and the AD FS adapter, and what the user is
//! prompted for, in Learn's order and within what the policy allows; `--flag-precedence` switches
//! the unpublished rule; without the permission to read the policy the answer is "cannot be told"
//! where it depends on it; `set` warns on stderr when the default it sets will not take effect;
//! `plan` prints and writes the counts.

use serde_json::Value;
use signin_prefs_bulk::system_preferred::SystemMethod;
use signin_prefs_emulator::{EmulatorHandle, MethodConfiguration, TokenRequest, permissions};

use crate::bulk_system_preferred::{OPTED_OUT, system_preferred, tenant, user_principal_name};
use crate::cli_scenarios::{cli, scratch, text};

fn mint(emulator: &EmulatorHandle, roles: &[&str]) -> String {
    emulator.mint_token(TokenRequest::app_only(roles)).unwrap()
}

const WITH_POLICY: [&str; 3] = [
    permissions::READ_WRITE_ALL,
    permissions::USER_READ_ALL,
    permissions::POLICY_READ_ALL,
];

fn explain_json(emulator: &EmulatorHandle, token: &str, user: usize, extra: &[&str]) -> Value {
    let output = cli(&emulator.base_url(), token)
        .args(["explain", &user_principal_name(user), "--output", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_where_the_default_counts_and_what_is_prompted() {
    // Enabled for all but OPTED_OUT (users 0 and 1); users 0, 2 and 5 have their flag on, 1 and 3
    // off, 4 unset; all registered a mobile phone and Authenticator, default sms.
    let emulator = tenant(system_preferred("enabled", &[OPTED_OUT])).await;
    let token = mint(&emulator, &WITH_POLICY);

    // Covered: Authenticator notifications come before telephony, and the default is moot.
    let covered = explain_json(&emulator, &token, 2, &[]);
    assert_eq!(covered["systemPreferredApplies"], true, "{covered}");
    assert_eq!(covered["defaultReach"], "npsAdfsOnly", "{covered}");
    assert_eq!(
        covered["prompt"],
        format!("push ({})", SystemMethod::AuthenticatorNotification.name())
    );
    let order: Vec<&str> = SystemMethod::PRECEDENCE
        .iter()
        .map(|kind| kind.name())
        .collect();
    let reasons = covered["reasons"].to_string();
    assert!(reasons.contains(&order.join(", ")), "{reasons}");
    assert!(reasons.contains("NPS extension"), "{reasons}");

    // Excluded, flag on: the default is what the user is prompted for.
    let output = cli(&emulator.base_url(), &token)
        .args(["explain", &user_principal_name(0)])
        .output()
        .unwrap();
    let (stdout, _) = text(&output);
    assert!(
        stdout.starts_with(&format!(
            "{} will be prompted for: sms\n",
            user_principal_name(0)
        )),
        "{stdout}"
    );
    assert!(stdout.contains("excludes the user"), "{stdout}");
    assert!(
        stdout.contains("default method:        sms (takes effect)"),
        "{stdout}"
    );
    // The unpublished rule is a switch: with the flag first, user 0's flag wins.
    let user_first = explain_json(&emulator, &token, 0, &["--flag-precedence", "user-first"]);
    assert_eq!(user_first["systemPreferredApplies"], true, "{user_first}");
    assert_eq!(user_first["flagPrecedence"], "user-first");
    // Covered but flag off (user 3): the default counts.
    let opted_out = explain_json(&emulator, &token, 3, &[]);
    assert_eq!(opted_out["defaultReach"], "takesEffect", "{opted_out}");

    // A method the policy keeps from the user is passed over: without Authenticator, telephony.
    emulator
        .set_method_configuration(&MethodConfiguration::disabled("MicrosoftAuthenticator"))
        .unwrap();
    let without_authenticator = explain_json(&emulator, &token, 2, &[]);
    assert_eq!(
        without_authenticator["prompt"],
        format!("sms ({})", SystemMethod::Telephony.name()),
        "{without_authenticator}"
    );

    // Without Policy.Read.All the policy's side is unknown: said, not guessed; a flag set off
    // still settles it under the default precedence.
    let unprivileged = mint(&emulator, &[permissions::READ_WRITE_ALL]);
    let unknown = explain_json(&emulator, &unprivileged, 2, &[]);
    assert_eq!(unknown["systemPreferredApplies"], Value::Null, "{unknown}");
    assert_eq!(unknown["defaultReach"], Value::Null, "{unknown}");
    assert!(
        unknown["policyNotRead"]
            .as_str()
            .unwrap()
            .contains("Policy.Read.All"),
        "{unknown}"
    );
    assert!(
        unknown["prompt"]
            .as_str()
            .unwrap()
            .contains("if system-preferred MFA applies, otherwise sms"),
        "{unknown}"
    );
    let settled = explain_json(&emulator, &unprivileged, 3, &[]);
    assert_eq!(settled["defaultReach"], "takesEffect", "{settled}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_warns_when_the_default_it_sets_will_not_take_effect() {
    let emulator = tenant(system_preferred("enabled", &[OPTED_OUT])).await;
    let token = mint(&emulator, &WITH_POLICY);
    let set = |user: usize, extra: &[&str]| {
        let output = cli(&emulator.base_url(), &token)
            .args(["set", &user_principal_name(user), "--method", "push"])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{:?}", text(&output));
        text(&output).1
    };
    // Covered by the policy, flag on: written, with a warning.
    let stderr = set(2, &[]);
    assert!(
        stderr.starts_with("warning: ") && stderr.contains("will not take effect"),
        "{stderr}"
    );
    assert!(stderr.contains("NPS extension"), "{stderr}");
    assert_eq!(
        emulator
            .user(&user_principal_name(2))
            .unwrap()
            .state
            .preferred
            .unwrap()
            .as_str(),
        "push"
    );
    // Excluded by the policy, or the flag turned off in the same call: no warning.
    assert_eq!(set(0, &[]), "");
    assert_eq!(set(4, &["--system-preferred", "off"]), "");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_prints_and_writes_where_the_new_defaults_count() {
    let emulator = tenant(system_preferred("enabled", &[OPTED_OUT])).await;
    let token = mint(&emulator, &WITH_POLICY);
    let dir = scratch("system-preferred-plan");
    let targets = dir.join("targets.csv");
    let users: Vec<String> = (0..6).map(user_principal_name).collect();
    std::fs::write(&targets, format!("user\n{}\n", users.join("\n"))).unwrap();
    let plan = |out: &str, extra: &[&str]| {
        let output = cli(&emulator.base_url(), &token)
            .args(["plan", "--method", "push", "--targets"])
            .arg(&targets)
            .arg("--out")
            .arg(dir.join(out))
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
        text(&output).0
    };
    // Users 2, 4 and 5 are covered; 0 and 1 excluded; 3 has turned it off.
    let stdout = plan("plan.json", &[]);
    assert!(
        stdout.contains("of the new default methods, 3 take effect and 3 matter only to the NPS extension and the AD FS adapter"),
        "{stdout}"
    );
    let summary: Value = serde_json::from_str(&plan("plan2.json", &["--output", "json"])).unwrap();
    assert_eq!(
        (&summary["takesEffect"], &summary["npsAdfsOnly"]),
        (&Value::from(3), &Value::from(3)),
        "{summary}"
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    assert_eq!(written["summary"]["npsAdfsOnly"], 3, "{written}");
    assert_eq!(written["entries"][2]["defaultReach"], "npsAdfsOnly");
    assert_eq!(written["entries"][3]["defaultReach"], "takesEffect");
    emulator.shutdown().await;
}
