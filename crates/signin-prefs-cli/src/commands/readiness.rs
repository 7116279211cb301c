//! `readiness`: how many users the SMS and voice retirement concerns, and who must register
//! something before they can be moved, from one read of the tenant's registration report.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use signin_prefs_bulk::readiness::{Readiness, read_readiness, read_readiness_to_csv};

use super::output::{CommonArgs, Output, PriorityArg, block_on};
use crate::error::Error;

/// `signin-prefs readiness`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Reads /reports/authenticationMethods/userRegistrationDetails (Entra ID P1 or P2, AuditLog.Read.All) \
page by page; sends no change. \"Must register\": no registered method allows Authenticator push or OATH, \
so the user cannot be moved off SMS or voice until they register one."
)]
pub(crate) struct Args {
    /// Also write one row per user to this new CSV file (owner-only; an existing file is never
    /// replaced).
    #[arg(long, value_name = "FILE")]
    users_csv: Option<PathBuf>,
    #[command(flatten)]
    priority: PriorityArg,
    #[command(flatten)]
    common: CommonArgs,
}

pub(crate) fn run(args: Args) -> Result<i32, Error> {
    if let Some(path) = &args.users_csv
        && path.exists()
    {
        return Err(Error::Input(format!(
            "{} already exists; readiness never replaces a file",
            path.display()
        )));
    }
    let client = args.priority.apply_to(&args.common.settings()?.client()?);
    let readiness = match &args.users_csv {
        Some(path) => block_on(read_readiness_to_csv(&client, path))??,
        None => block_on(read_readiness(&client, &mut |_| {}))?.map_err(|error| {
            signin_prefs_bulk::Error::Service {
                context: "cannot read the registration report".into(),
                source: Box::new(error),
            }
        })?,
    };
    let text = match args.common.output() {
        Output::Table => table(&readiness),
        // A struct of counts always serializes.
        Output::Json => serde_json::to_string_pretty(&readiness).unwrap_or_default() + "\n",
        Output::Csv => csv(&readiness),
    };
    print!("{text}");
    if let Some(path) = &args.users_csv {
        eprintln!("one row per user: {}", path.display());
    }
    Ok(0)
}

/// The measures, in the order they are printed, with their names in CSV and JSON.
fn measures(readiness: &Readiness) -> Vec<(String, String, u64)> {
    let mut rows = vec![("users".to_owned(), "users".to_owned(), readiness.users)];
    for (method, count) in &readiness.by_default_method {
        rows.push((
            format!("  default {method}"),
            format!("defaultMethod.{method}"),
            *count,
        ));
    }
    rows.extend([
        (
            "default is SMS or voice".to_owned(),
            "phoneDefault".to_owned(),
            readiness.phone_default,
        ),
        (
            "  of them, movable now".to_owned(),
            "phoneDefaultMovable".to_owned(),
            readiness.phone_default_movable,
        ),
        (
            "must register first".to_owned(),
            "mustRegister".to_owned(),
            readiness.must_register,
        ),
        (
            "only phone methods".to_owned(),
            "onlyPhoneMethods".to_owned(),
            readiness.only_phone_methods,
        ),
        (
            "system-preferred MFA on".to_owned(),
            "systemPreferred".to_owned(),
            readiness.system_preferred,
        ),
    ]);
    rows
}

fn table(readiness: &Readiness) -> String {
    let rows = measures(readiness);
    let width = rows
        .iter()
        .map(|(label, _, _)| label.len())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(label, _, count)| format!("{label:<width$}  {count:>9}\n"))
        .collect()
}

fn csv(readiness: &Readiness) -> String {
    let mut text = String::from("measure,count\n");
    for (_, name, count) in measures(readiness) {
        text.push_str(&format!("{name},{count}\n"));
    }
    text
}
