//! Readiness's per-user CSV: one row per user of the registration report, written as its pages
//! arrive, to a new owner-only file, so a million-user tenant's list never sits in memory.

use std::io::Write as _;
use std::path::Path;

use signin_prefs_client::Client;
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::Error;
use crate::policy::PolicySetting;
use crate::readiness::{MOVE_TARGETS, Readiness, UserReadiness, read_policy, read_report};
use crate::state::Registered;

/// The columns of the per-user CSV. `policyKeepsFromPush` and `policyKeepsFromOath` are `yes`
/// when the authentication methods policy keeps the user from that method (`policyReason` says
/// which configuration and why), `no` when it allows it, and empty when the policy was not read.
/// `systemPreferredApplies` is `yes` when system-preferred MFA applies to the user (the tenant's
/// policy and the user's flag: the default then matters only to NPS and AD FS), empty when that
/// cannot be told.
pub const USERS_CSV_HEADER: [&str; 12] = [
    "user",
    "id",
    "defaultMethod",
    "systemPreferred",
    "methodsRegistered",
    "phoneDefault",
    "mustRegister",
    "onlyPhoneMethods",
    "policyKeepsFromPush",
    "policyKeepsFromOath",
    "policyReason",
    "systemPreferredApplies",
];

/// [`read_readiness`](crate::readiness::read_readiness), also writing one row per user to a new
/// owner-only CSV file at `users_csv` as the report's pages arrive. A file already at `users_csv`
/// is refused before anything is sent, and never replaced; a read that fails leaves no file.
/// `each` sees every user as it is counted (for progress).
pub async fn read_readiness_to_csv(
    client: &Client,
    policy: PolicySetting,
    users_csv: &Path,
    each: &mut (dyn FnMut(&UserReadiness) + Send),
) -> Result<Readiness, Error> {
    let file = crate::files::open_private(users_csv, true).map_err(|error| match error {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            Error::Guard(format!(
                "{} already exists; readiness never replaces a file",
                users_csv.display()
            ))
        }
        other => other,
    })?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let mut failed = writer.write_record(USERS_CSV_HEADER).err();
    let read = match read_policy(client, policy).await {
        Ok(policy) => {
            read_report(client, policy.as_ref(), &mut |user| {
                each(user);
                if failed.is_none() {
                    failed = writer.write_record(users_csv_row(user)).err();
                }
            })
            .await
        }
        Err(error) => Err(error),
    };
    let written = match (read, failed) {
        (Err(error), _) => Err(error),
        (Ok(_), Some(error)) => Err(Error::io(users_csv, std::io::Error::other(error))),
        (Ok(readiness), None) => writer
            .into_inner()
            .map_err(|error| error.into_error())
            .and_then(|mut file| file.flush().map(|()| file))
            .and_then(|file| file.get_ref().sync_all())
            .map(|()| readiness)
            .map_err(|error| Error::io(users_csv, error)),
    };
    if written.is_err() {
        // Half a list of users would read as the whole tenant.
        let _ = std::fs::remove_file(users_csv);
    }
    written
}

/// A user's row of the per-user CSV, in [`USERS_CSV_HEADER`]'s order.
pub(crate) fn users_csv_row(user: &UserReadiness) -> [String; USERS_CSV_HEADER.len()] {
    let flag = |yes: bool| if yes { "yes" } else { "no" }.to_owned();
    let kept = |method: &Method| {
        user.policy.as_ref().map_or_else(String::new, |verdict| {
            flag(verdict.keeps_from(method).is_some())
        })
    };
    let reason = user.policy.as_ref().map_or_else(String::new, |verdict| {
        MOVE_TARGETS
            .iter()
            .filter_map(|method| {
                verdict.keeps_from(method).map(|not_allowed| {
                    format!("{} ({})", method.as_str(), not_allowed.reasons().join("; "))
                })
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    [
        user.user.clone(),
        user.id.clone().unwrap_or_default(),
        user.default_method
            .as_ref()
            .map_or_else(String::new, |method| method.as_str().to_owned()),
        user.system_preferred.map_or_else(String::new, &flag),
        user.registered
            .iter()
            .map(Registered::name)
            .collect::<Vec<_>>()
            .join(";"),
        flag(user.phone_default()),
        flag(user.must_register()),
        flag(user.only_phone_methods()),
        kept(&Method::Push),
        kept(&Method::Oath),
        reason,
        user.system_preferred_applies
            .map_or_else(String::new, &flag),
    ]
}
