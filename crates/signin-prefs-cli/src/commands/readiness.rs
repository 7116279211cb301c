//! `readiness`: how many users the SMS and voice retirement concerns, who must register
//! something before they can be moved, and whom the authentication methods policy keeps from push
//! or OATH, from one read of the policy and of the tenant's registration report.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use signin_prefs_bulk::html::TableRows;
use signin_prefs_bulk::policy::PolicySetting;
use signin_prefs_bulk::readiness::{Readiness, UserReadiness, read_readiness};
use signin_prefs_bulk::readiness_csv::read_readiness_to_csv;

use super::connection::CliSettings as _;
use super::output::{ConfigArg, Output, PageOutputArg, PriorityArg, block_on};
use super::progress::Display;
use super::stdout::UntilClosed;
use crate::error::Error;

/// `signin-prefs readiness`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Reads the tenant's authentication methods policy (GET /policies/authenticationMethodsPolicy: \
Policy.Read.All or Policy.Read.AuthenticationMethod), each group its targets name (transitive members, once), \
then /reports/authenticationMethods/userRegistrationDetails (Entra ID P1 or P2, AuditLog.Read.All) page by page; \
sends no change.\n\n\"Must register\": no registered method allows Authenticator push or OATH, so the user \
cannot be moved off SMS or voice until they register one. \"Policy keeps from push\" (or OATH): the policy \
disables Microsoft Authenticator (or both OATH token methods), excludes the user, or includes only others; \
\"from both\": the user cannot be moved whatever they register until the policy changes. \"Movable now\": push \
or OATH is registered and allowed, the users `plan --method push,oath` would change.\n\n\
The per-user CSV (--users-csv) has the columns user, id, defaultMethod, systemPreferred, methodsRegistered \
(;-separated), phoneDefault, mustRegister, onlyPhoneMethods (yes/no), policyKeepsFromPush and \
policyKeepsFromOath (yes/no; empty with --ignore-policy), policyReason (the configuration and why) and \
systemPreferredApplies (yes/no: the tenant's systemCredentialPreferences and the user's flag, under the \
default flag precedence; empty when that cannot be told)."
)]
pub(crate) struct Args {
    /// Also write one row per user to this new CSV file (owner-only; an existing file is never
    /// replaced, and nothing is read then).
    #[arg(long, value_name = "FILE")]
    users_csv: Option<PathBuf>,
    /// Count without the tenant's authentication methods policy. By default readiness reads it,
    /// as `plan` does, and stops with a message naming Policy.Read.All (or
    /// Policy.Read.AuthenticationMethod) when the token may not; with this flag the policy's
    /// counts and CSV columns are left out and "movable now" counts registered methods only.
    #[arg(long)]
    ignore_policy: bool,
    #[command(flatten)]
    priority: PriorityArg,
    #[command(flatten)]
    output: PageOutputArg,
    #[command(flatten)]
    config: ConfigArg,
}

pub(crate) fn run(mut args: Args) -> Result<i32, Error> {
    // The output is checked before anything is read: an HTML page's file must be new.
    let printed = args.output.printed()?;
    let loaded = args.config.load()?;
    args.users_csv = args
        .users_csv
        .map(|path| loaded.folder.place_new(&path))
        .transpose()?;
    let page = match printed {
        Some(_) => None,
        None => Some(super::html::readiness_path(
            args.output
                .out
                .as_deref()
                .map(|path| loaded.folder.place_new(path))
                .transpose()?
                .as_deref(),
        )?),
    };
    let client = args.priority.apply_to(&loaded.settings.client()?);
    let policy = if args.ignore_policy {
        PolicySetting::Ignore
    } else {
        PolicySetting::Apply
    };
    let mut display = Display::new();
    display.stage("reading the registration report");
    let mut counted = 0_usize;
    // The page's per-user table, kept as compact JSON as the users are counted.
    let mut users = page.as_ref().map(|_| TableRows::readiness());
    let each = &mut |user: &UserReadiness| {
        counted += 1;
        display.count("counted", counted, None);
        if let Some(users) = &mut users {
            users.push_user(user);
        }
    };
    let read = match &args.users_csv {
        Some(path) => block_on(read_readiness_to_csv(&client, policy, path, each)),
        None => block_on(read_readiness(&client, policy, each)),
    };
    if matches!(read, Ok(Ok(_))) {
        display.count("counted", counted, Some(counted));
    }
    // Whatever the outcome, no bar is left on the terminal.
    display.finish();
    let readiness = read??;
    let Some(printed) = printed else {
        if let (Some(page), Some(users)) = (&page, &users) {
            super::html::readiness(&readiness, users, page)?;
        }
        if let Some(path) = &args.users_csv {
            eprintln!("one row per user: {}", path.display());
        }
        return Ok(0);
    };
    let text = match printed {
        Output::Table => table(&readiness),
        // A struct of counts always serializes.
        Output::Json => serde_json::to_string_pretty(&readiness).unwrap_or_default() + "\n",
        Output::Csv => csv(&readiness),
    };
    // A reader that stops early (`| head`) is not an error.
    let mut out = UntilClosed::stdout();
    out.write_all(text.as_bytes()).and_then(|()| out.flush())?;
    if let Some(path) = &args.users_csv {
        eprintln!("one row per user: {}", path.display());
    }
    Ok(0)
}

fn table(readiness: &Readiness) -> String {
    let rows = readiness.measures();
    let width = rows
        .iter()
        .map(|measure| measure.label.len())
        .max()
        .unwrap_or(0);
    let mut text: String = rows
        .iter()
        .map(|measure| format!("{:<width$}  {:>9}\n", measure.label, measure.count))
        .collect();
    if !readiness.policy_read {
        text.push_str("(authentication methods policy not read: --ignore-policy)\n");
    }
    text
}

fn csv(readiness: &Readiness) -> String {
    let mut text = String::from("measure,count\n");
    for measure in readiness.measures() {
        text.push_str(&format!("{},{}\n", measure.name, measure.count));
    }
    text
}
