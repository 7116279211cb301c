//! `demo`: the whole bulk job on an embedded emulator, so anyone can see it work without a tenant.
//!
//! It seeds a tenant, writes the targets file an administrator would, plans the move of every SMS
//! user to Authenticator push (falling back to OATH codes), applies the plan with verification and
//! prints the report, leaving every file of the run behind for inspection.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use signin_prefs_bulk::apply::{Progress, RunOptions, apply};
use signin_prefs_bulk::plan::{PlanOptions, make_plan};
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::read_path::{ReadPath, ReadPathSetting};
use signin_prefs_bulk::readiness::read_readiness;
use signin_prefs_bulk::report::Report;
use signin_prefs_bulk::system_preferred::FlagPrecedence;
use signin_prefs_bulk::targets::read_targets;
use signin_prefs_client::{Client, Priority, Secret, StaticToken};
use signin_prefs_emulator::{EmulatorBuilder, TokenRequest, permissions};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use super::output::{Output, OutputArg, block_on};
use super::stdout::{print, say};
use crate::error::Error;

/// `signin-prefs demo`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// How many users to seed.
    #[arg(long, default_value_t = 2_000)]
    users: usize,
    /// The seed for the emulated tenant (the same seed gives the same tenant).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to leave the targets, plan, journal and report (default: a new temporary folder).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// `table`: the walk-through and the report for people. `json`: one document (the tenant,
    /// readiness, the plan's counts, the report and the files) on standard output, the
    /// walk-through on standard error; `csv`: the report's rows, the walk-through on standard error.
    #[command(flatten)]
    output: OutputArg,
}

pub(crate) fn run(args: Args) -> Result<i32, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("signin-prefs-demo-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)
        .map_err(|error| Error::Input(format!("{}: {error}", dir.display())))?;
    // An earlier demo's files are never overwritten: its plan, journal and report stay one run's.
    let present: Vec<&str> = DEMO_FILES
        .iter()
        .copied()
        .filter(|name| dir.join(name).exists())
        .collect();
    if !present.is_empty() {
        return Err(Error::Input(format!(
            "{} already holds {}: give another --dir, or remove them",
            dir.display(),
            present.join(", ")
        )));
    }
    block_on(demo(args, dir))?
}

/// The files a demo leaves in its folder.
const DEMO_FILES: [&str; 4] = [
    "targets.csv",
    "plan.json",
    "plan.json.journal.jsonl",
    "report.csv",
];

async fn demo(args: Args, dir: PathBuf) -> Result<i32, Error> {
    let output = args.output.output;
    // The walk-through is the result for people; for programs it goes to standard error.
    let narrate = |line: String| match output {
        Output::Table => say!("{line}"),
        Output::Json | Output::Csv => eprintln!("{line}"),
    };
    let emulator = EmulatorBuilder::new()
        .users(args.users)
        .seed(args.seed)
        .start()
        .await?;
    narrate(format!(
        "emulated tenant: {} users at {}",
        emulator.user_count(),
        emulator.graph_url()
    ));
    // The plan reads the authentication methods policy, as a real run's app must be granted to.
    let token = emulator.mint_token(TokenRequest::app_only(&[
        permissions::READ_WRITE_ALL,
        permissions::POLICY_READ_ALL,
    ]))?;
    // The whole job is bulk work: low priority, as the bulk commands send by default.
    let client = Client::builder()
        .base_url(&emulator.base_url())
        .credential(StaticToken::new(Secret::new(token)))
        .build()?
        .with_priority(Some(Priority::Low));

    // The targets file an administrator would export: every user, by UPN.
    let targets_path = dir.join("targets.csv");
    let mut csv = String::from("userPrincipalName\n");
    for index in 0..emulator.user_count() {
        if let Some(user) = emulator.user_at(index) {
            csv.push_str(&format!(
                "\"{}\"\n",
                user.user_principal_name.replace('"', "\"\"")
            ));
        }
    }
    // Owner-only, as every file the tool writes: it lists the tenant's users.
    signin_prefs_bulk::files::write_private(&targets_path, csv.as_bytes())?;
    let targets = read_targets(&targets_path)?;

    narrate(
        "readiness: who the SMS and voice retirement concerns (from the authentication methods policy and the registration report)"
            .to_owned(),
    );
    let readiness = read_readiness(&client, PolicySetting::Apply, &mut |_| {}).await?;
    narrate(format!(
        "  {} users: {} default to SMS or voice ({} movable now), {} must register Authenticator or OATH first ({} have only phone methods), {} have system-preferred MFA on",
        readiness.users,
        readiness.phone_default,
        readiness.phone_default_movable,
        readiness.must_register,
        readiness.only_phone_methods,
        readiness.system_preferred
    ));
    narrate(format!(
        "  the authentication methods policy keeps {} from push, {} from OATH, {} from both",
        readiness.policy_keeps_from_push.unwrap_or_default(),
        readiness.policy_keeps_from_oath.unwrap_or_default(),
        readiness.policy_keeps_from_both.unwrap_or_default()
    ));

    narrate("plan: move every SMS user to push, falling back to oath".to_owned());
    let options = PlanOptions {
        methods: vec![Method::Push, Method::Oath],
        system_preferred: None,
        source: targets_path.display().to_string(),
        exclude: Vec::new(),
        only_from: vec![Method::Sms],
        max_changes: None,
        // The demo's tenant is small: per-user reads, as it has always shown.
        read_path: ReadPathSetting::Fixed(ReadPath::PerUser),
        listing: None,
        policy: PolicySetting::Apply,
        include_disabled: false,
        flag_precedence: FlagPrecedence::default(),
    };
    let plan = make_plan(&client, &targets, &options).await?;
    let plan_path = dir.join("plan.json");
    plan.write(&plan_path)?;
    let s = &plan.summary;
    narrate(format!(
        "  {} to change, {} already compliant, {} ineligible (no Authenticator or OATH), {} not on SMS, {} unreadable",
        s.change, s.already_compliant, s.ineligible, s.not_from, s.error
    ));
    narrate(format!(
        "  of the changes, {} take effect at sign-in and {} matter only to the NPS extension and AD FS adapter (system-preferred MFA applies to those users)",
        s.takes_effect, s.nps_adfs_only
    ));

    narrate("apply, with verification:".to_owned());
    let journal_path = dir.join("plan.json.journal.jsonl");
    let state = apply(
        &client,
        &plan_path,
        &journal_path,
        false,
        &RunOptions {
            verify: true,
            ..RunOptions::default()
        },
        &mut |event| {
            if let Progress::Batch { done, pending, .. } = event
                && (done == pending || done % 200 == 0)
            {
                narrate(format!("  {done}/{pending} users"));
            }
        },
    )
    .await?;
    let report = Report::for_apply(&plan, &state);
    let report_path = dir.join("report.csv");
    report.write(&report_path, "csv")?;
    match output {
        Output::Table => print(&report.to_table(false)),
        Output::Csv => print(&report.to_csv()),
        Output::Json => {
            let report: serde_json::Value =
                serde_json::from_str(&report.to_json()).unwrap_or_default();
            print(&format!(
                "{}\n",
                serde_json::json!({
                    "tenant": {"users": emulator.user_count(), "graphUrl": emulator.graph_url()},
                    "readiness": readiness,
                    "plan": plan.summary,
                    "report": report,
                    "dir": dir.display().to_string(),
                    "files": DEMO_FILES,
                })
            ));
        }
    }
    narrate(format!(
        "files: {} ({})",
        dir.display(),
        DEMO_FILES.join(", ")
    ));
    emulator.shutdown().await;
    Ok(super::bulk::exit_code(&report.tally()))
}
