//! What `signin-prefs emulator` prints once it listens: how to reach it, a few users, and the
//! settings a client needs, as `export` lines a shell can source (`--print-env`).
//!
//! With `--print-env`, standard output holds the export lines alone (so
//! `signin-prefs emulator --print-env > emulator.env &` then `. ./emulator.env` works while the
//! emulator keeps serving) and the rest goes to standard error. Without it, the banner goes to
//! standard output, its first line the base URL alone (scripts read it with `head -n1`).

use std::io::Write;
use std::path::{Path, PathBuf};

use signin_prefs_emulator::{AuthMethod, EmulatorHandle, ThrottleConfig, UserRecord};
use signin_prefs_model::UserDefaultAuthenticationMethodType;

/// Where the default app's secret came from, which decides how the export lines hand it over.
#[derive(Debug)]
pub(crate) enum SecretSource {
    /// Generated for this run: printed, the only way to hand it over.
    Generated,
    /// From `SIGNIN_PREFS_EMULATOR_CLIENT_SECRET`: referred to, never printed.
    Environment(&'static str),
    /// From `--client-secret-file`: referred to by path, never printed.
    File(PathBuf),
}

/// The budgets on the real clock, as the client's settings: on a sped-up clock the documented
/// defaults the client assumes are too slow by the time scale. Empty when nothing throttles.
pub(crate) fn budgets(throttle: &ThrottleConfig, time_scale: f64) -> Vec<(&'static str, String)> {
    if !throttle.enabled || time_scale <= 0.0 {
        return Vec::new();
    }
    let real = |requests: u32, per: std::time::Duration| {
        format!("{requests}/{}s", per.as_secs_f64() / time_scale)
    };
    let mut budgets: Vec<(&'static str, String)> = [
        ("SIGNIN_PREFS_WRITE_BUDGET", throttle.writes_per_app_tenant),
        (
            "SIGNIN_PREFS_TENANT_WRITE_BUDGET",
            throttle.writes_per_tenant,
        ),
        ("SIGNIN_PREFS_READ_BUDGET", throttle.reads_per_app_tenant),
    ]
    .into_iter()
    .map(|(variable, limit)| (variable, real(limit.requests, limit.per)))
    .collect();
    budgets.push((
        "SIGNIN_PREFS_REPORTS_BUDGET",
        throttle.reports_per_app_tenant.map_or_else(
            || "unknown".to_owned(),
            |limit| real(limit.requests, limit.per),
        ),
    ));
    budgets
}

/// Settings the export lines unset before setting their own.
const STALE: [&str; 9] = [
    "SIGNIN_PREFS_TOKEN",
    "SIGNIN_PREFS_TOKEN_FILE",
    "SIGNIN_PREFS_CLIENT_SECRET",
    "SIGNIN_PREFS_CLIENT_SECRET_FILE",
    "SIGNIN_PREFS_CONFIG",
    "SIGNIN_PREFS_PROFILE",
    "SIGNIN_PREFS_CLOUD",
    "SIGNIN_PREFS_CA_FILE",
    "SIGNIN_PREFS_CREDENTIAL",
];

/// Single-quotes `text` for a POSIX shell.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The lines for this emulator: an `unset` of what would override them, then `export` lines for
/// the CLI's own settings and the Azure SDKs' ones.
pub(crate) fn export_lines(
    emulator: &EmulatorHandle,
    secret: &SecretSource,
    budgets: &[(&'static str, String)],
    ca_file: Option<&Path>,
) -> Vec<String> {
    let origin = quoted(&emulator.base_url());
    let tenant = quoted(emulator.tenant_id());
    let client_id = emulator
        .apps()
        .first()
        .map(|app| quoted(&app.client_id))
        .unwrap_or_default();
    // The secret as a shell word: a reference where it was given, so it is never printed.
    let secret_word = match secret {
        SecretSource::Generated => emulator
            .apps()
            .first()
            .map(|app| quoted(&app.client_secret))
            .unwrap_or_default(),
        SecretSource::Environment(variable) => format!("\"${variable}\""),
        SecretSource::File(path) => format!("\"$(cat {})\"", quoted(&absolute(path))),
    };
    let mut lines = vec![
        // What an earlier tenant or run left in the shell would win over the lines below (a token
        // over a secret, a config file's token file, a secret over a secret file, another cloud).
        format!("unset {}", STALE.join(" ")),
        // The Graph origin without `/beta`: the client adds the version to every path.
        format!("export SIGNIN_PREFS_BASE_URL={origin}"),
        format!("export SIGNIN_PREFS_LOGIN_AUTHORITY={origin}"),
        format!("export SIGNIN_PREFS_TENANT_ID={tenant}"),
        format!("export SIGNIN_PREFS_CLIENT_ID={client_id}"),
    ];
    lines.push(match secret {
        SecretSource::File(path) => {
            format!(
                "export SIGNIN_PREFS_CLIENT_SECRET_FILE={}",
                quoted(&absolute(path))
            )
        }
        _ => format!("export SIGNIN_PREFS_CLIENT_SECRET={secret_word}"),
    });
    if let Some(path) = ca_file {
        lines.push(format!(
            "export SIGNIN_PREFS_CA_FILE={}",
            quoted(&absolute(path))
        ));
    }
    for (variable, value) in budgets {
        lines.push(format!("export {variable}={}", quoted(value)));
    }
    lines.extend([
        format!("export AZURE_TENANT_ID={tenant}"),
        format!("export AZURE_CLIENT_ID={client_id}"),
        format!("export AZURE_CLIENT_SECRET={secret_word}"),
        format!("export AZURE_AUTHORITY_HOST={origin}"),
    ]);
    lines
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// A user whose UPN is plain ASCII, a member, whose default is SMS with Authenticator registered
/// (the case the SMS retirement is about, so `set --method push` works on them).
fn plain_user(emulator: &EmulatorHandle) -> Option<UserRecord> {
    let plain = |user: &UserRecord| {
        user.account_enabled
            && !user.is_admin
            && user.user_principal_name.bytes().all(|byte| {
                byte.is_ascii_lowercase() || byte.is_ascii_digit() || b".@-".contains(&byte)
            })
    };
    let authenticator = |user: &UserRecord| {
        user.state
            .methods
            .contains(AuthMethod::MicrosoftAuthenticator)
    };
    emulator
        .find_user(|user| {
            plain(user)
                && authenticator(user)
                && user.state.preferred == Some(UserDefaultAuthenticationMethodType::Sms)
        })
        .or_else(|| emulator.find_user(|user| plain(user) && authenticator(user)))
        .or_else(|| emulator.find_user(plain))
}

/// The human-readable banner.
pub(crate) fn banner(
    out: &mut impl Write,
    emulator: &EmulatorHandle,
    secret: &SecretSource,
    budgets: &[(&'static str, String)],
    ca_file: Option<&Path>,
) -> std::io::Result<()> {
    writeln!(out, "{}", emulator.base_url())?;
    writeln!(out, "graph:     {}", emulator.graph_url())?;
    writeln!(out, "token:     {}", emulator.token_url())?;
    writeln!(out, "tenant:    {}", emulator.tenant_id())?;
    writeln!(out, "users:     {}", emulator.user_count())?;
    if let Some(app) = emulator.apps().first() {
        writeln!(out, "client id: {}", app.client_id)?;
        match secret {
            SecretSource::Generated => writeln!(out, "secret:    {}", app.client_secret)?,
            _ => writeln!(out, "secret:    (as given)")?,
        }
    }
    // Groups after the lines above, so those keep their places for scripts.
    for (id, name) in emulator.groups() {
        let members = emulator
            .group_members(&id)
            .map_or(0, |members| members.len());
        writeln!(out, "group:     {id}  {name} ({members} users)")?;
    }
    for (variable, value) in budgets {
        writeln!(out, "budget:    {variable}={value}")?;
    }
    if let Some(user) = plain_user(emulator) {
        writeln!(out, "user:      {}  {}", user.user_principal_name, user.id)?;
    }
    if let Some(guest) = emulator.find_user(|user| user.is_guest() && user.account_enabled) {
        writeln!(
            out,
            "guest:     {}  {}",
            guest.user_principal_name, guest.id
        )?;
    }
    writeln!(
        out,
        "all users: GET {}/v1.0/users?$top=999 with a token (README: \"Test your scripts against the emulator\"), \
         or GET {}/_emulator/users?index=N",
        emulator.base_url(),
        emulator.base_url()
    )?;
    writeln!(
        out,
        "env:       signin-prefs emulator --print-env prints the export lines for the CLI and Azure SDKs"
    )?;
    writeln!(
        out,
        "identity:  IMDS {} (Metadata: true); IDENTITY_ENDPOINT={} IDENTITY_HEADER={}",
        emulator.imds_url(),
        emulator.identity_endpoint(),
        emulator.identity_header()
    )?;
    if let Some(path) = ca_file {
        writeln!(
            out,
            "ca file:   {} (the CA of this run's HTTPS: SIGNIN_PREFS_CA_FILE, curl --cacert)",
            absolute(path)
        )?;
    }
    Ok(())
}
