//! Secret hygiene of a whole bulk run: with tracing at TRACE and every kind of per-user failure, the
//! token and the client secret appear in no log line, journal, plan, report or error text, and the
//! run's files are readable by their owner only.

use signin_prefs_bulk::apply::{RunOptions, apply};
use signin_prefs_bulk::plan::{PlanOptions, make_plan};
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::report::Report;
use signin_prefs_bulk::targets::Target;
use signin_prefs_client::{Client, ClientSecretCredential, Secret};
use signin_prefs_emulator::{EmulatorBuilder, FaultKind, FaultRoute, FaultRule, ThrottleConfig};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

// Current-thread runtime, so the thread-local subscriber sees every event of client and emulator.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_logs_journals_reports_or_errors() {
    let (captured, _guard) = crate::client_security::capture_traces();

    let emulator = EmulatorBuilder::new()
        .users(120)
        .seed(11)
        .throttle(ThrottleConfig::disabled())
        .start()
        .await
        .unwrap();
    let app = &emulator.apps()[0];
    let secret = app.client_secret.clone();
    let credential = ClientSecretCredential::with_authority(
        &emulator.base_url(),
        emulator.tenant_id(),
        &app.client_id,
        Secret::new(secret.clone()),
    )
    .unwrap();
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(credential)
        .build()
        .unwrap();

    let dir = std::env::temp_dir().join(format!("signin-prefs-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut targets: Vec<Target> = (0..120)
        .map(|index| Target {
            user: emulator.user_at(index).unwrap().user_principal_name,
            line: index + 2,
            method: None,
            system_preferred: None,
        })
        .collect();
    // A user who does not exist: a 404 in the plan.
    targets.push(Target {
        user: "nobody@contoso.onmicrosoft.com".into(),
        line: 200,
        method: None,
        system_preferred: None,
    });
    let options = PlanOptions {
        methods: vec![Method::Push, Method::Sms],
        system_preferred: Some(false),
        source: "secrets".into(),
        exclude: Vec::new(),
        only_from: Vec::new(),
        max_changes: None,
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: signin_prefs_bulk::policy::PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: Default::default(),
    };
    let plan = make_plan(&client, &targets.try_into().unwrap(), &options)
        .await
        .unwrap();
    let plan_path = dir.join("plan.json");
    plan.write(&plan_path).unwrap();
    // Failures on the way: batches refused and connections reset, some after retries.
    emulator.add_fault(
        FaultRule::always(
            FaultRoute::Batch,
            FaultKind::ServiceUnavailable {
                retry_after_seconds: 0,
            },
        )
        .with_probability(0.3),
    );
    emulator.add_fault(
        FaultRule::always(FaultRoute::Batch, FaultKind::ConnectionReset).with_probability(0.2),
    );
    let journal_path = dir.join("journal.jsonl");
    let state = apply(
        &client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions {
            verify: true,
            batch_size: 7,
            concurrency: 3,
            ..RunOptions::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    let report = Report::for_apply(&plan, &state);
    let report_path = dir.join("report.json");
    report.write(&report_path, "json").unwrap();

    // A token the service handed out, read from the token endpoint with the same secret.
    let token = {
        use signin_prefs_client::TokenCredential as _;
        let credential = ClientSecretCredential::with_authority(
            &emulator.base_url(),
            emulator.tenant_id(),
            &app.client_id,
            Secret::new(secret.clone()),
        )
        .unwrap();
        credential
            .get_token(&["https://graph.microsoft.com/.default"])
            .await
            .unwrap()
            .secret()
            .expose()
            .to_owned()
    };
    let failure = Client::builder()
        .base_url(&emulator.base_url())
        .credential(
            ClientSecretCredential::with_authority(
                &emulator.base_url(),
                emulator.tenant_id(),
                &app.client_id,
                Secret::new(format!("{secret}-wrong")),
            )
            .unwrap(),
        )
        .build()
        .unwrap()
        .get_sign_in_preferences("nobody@contoso.onmicrosoft.com")
        .await
        .unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.len() > 1_000, "tracing must have captured the run");
    let texts = [
        ("logs", logs),
        ("plan", std::fs::read_to_string(&plan_path).unwrap()),
        ("journal", std::fs::read_to_string(&journal_path).unwrap()),
        ("report", std::fs::read_to_string(&report_path).unwrap()),
        ("report table", report.to_table(true)),
        ("report csv", report.to_csv()),
        ("error", format!("{failure} {failure:?}")),
        ("client", format!("{client:?}")),
    ];
    for (name, text) in &texts {
        assert!(
            !text.contains(&secret),
            "the client secret leaked into the {name}"
        );
        assert!(!text.contains(&token), "a token leaked into the {name}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&plan_path, &journal_path, &report_path] {
            assert_eq!(
                std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                file.display()
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
