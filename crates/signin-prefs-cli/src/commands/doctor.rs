//! `doctor`: before a run, check that the configured credential can do what the run needs.

use base64::Engine as _;
use clap::Args as ClapArgs;
use signin_prefs_model::SignInPreferencesPatch;
use signin_prefs_request::{GetAuthenticationMethodsPolicy, UserKey};

use super::connection::CliSettings as _;
use super::output::{ConfigArg, block_on};
use super::stdout::say;
use crate::error::Error;

/// Entra role template ids that may manage other users' authentication methods.
const AUTHENTICATION_ADMINISTRATOR: &str = "c4e39bd9-1100-46d3-8c65-fb160da0071f";
const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: &str = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";
const READ_WRITE_ALL: &str = "UserAuthenticationMethod.ReadWrite.All";
const READ_ALL: &str = "UserAuthenticationMethod.Read.All";
/// What `plan` needs to read the authentication methods policy. Learn's "Get
/// authenticationMethodsPolicy" lists `Policy.Read.AuthenticationMethod` as least privileged and
/// `Policy.ReadWrite.AuthenticationMethod` and `Policy.Read.All` as higher.
const POLICY_READERS: [&str; 3] = [
    "Policy.Read.All",
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
];

/// `signin-prefs doctor`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Also probe this user: a read, and an empty PATCH (which changes nothing) to test writing.
    #[arg(long)]
    user: Option<String>,
    #[command(flatten)]
    config: ConfigArg,
}

pub(crate) fn run(mut args: Args) -> Result<i32, Error> {
    // `users('…')` is probed as the key inside it.
    if let Some(user) = &args.user {
        let key = UserKey::parse(user).map_err(|error| match error.key_problem() {
            Some(problem) => Error::Input(format!("--user {user:?}: {problem}")),
            None => Error::from(error),
        })?;
        args.user = Some(key.into());
    }
    let settings = args.config.settings()?;
    let connection = settings.connection()?;
    let (client, credential) = (connection.client, connection.credential);
    let mut problems = 0;
    say!("service:     {}", client.endpoints().graph_origin);
    say!(
        "credential:  {}, because {}",
        connection.choice.kind,
        connection.choice.reason
    );

    let scopes: Vec<&str> = client.scopes().iter().map(String::as_str).collect();
    match block_on(credential.get_token(&scopes))? {
        Err(error) => {
            say!("token:       FAILED: {error}");
            return Ok(1);
        }
        Ok(token) => {
            say!("token:       obtained");
            match claims(token.secret().expose()) {
                Some(claims) => problems += check_claims(&claims),
                None => say!(
                    "permissions: the token is not a JWT, so its claims cannot be read; use --user to probe"
                ),
            }
        }
    }

    // Whatever the token's claims say, one read of the policy is the proof `plan` needs.
    match block_on(client.send(&GetAuthenticationMethodsPolicy::new()))? {
        Ok(_) => say!("policy:      ok: the authentication methods policy can be read"),
        Err(error) => {
            problems += 1;
            if error.kind() == signin_prefs_client::ErrorKind::Forbidden {
                say!(
                    "policy:      PROBLEM: cannot read the authentication methods policy; grant Policy.Read.All \
                     (or Policy.Read.AuthenticationMethod), or run plan and readiness with --ignore-policy ({error})"
                );
            } else {
                say!("policy:      FAILED: {error}");
            }
        }
    }

    if let Some(user) = &args.user {
        let (read, write) = block_on(async {
            let read = client.get_sign_in_preferences(user).await;
            let write = client
                .update_sign_in_preferences(user, SignInPreferencesPatch::default())
                .await;
            (read, write)
        })?;
        match read {
            Ok(_) => say!("read probe:  ok ({user})"),
            Err(error) => {
                problems += 1;
                say!("read probe:  FAILED: {error}");
            }
        }
        match write {
            Ok(()) => say!("write probe: ok (an empty PATCH, which changes nothing)"),
            Err(error) => {
                problems += 1;
                say!("write probe: FAILED: {error}");
            }
        }
    }
    if problems == 0 {
        say!("ready");
        Ok(0)
    } else {
        say!("{problems} problem(s): fix them before a run");
        Ok(1)
    }
}

/// The claims of a JWT, read without checking its signature: this only inspects our own token.
fn claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(text)) => text.split(' ').map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// Prints what the claims allow and returns how many problems there are.
fn check_claims(claims: &serde_json::Value) -> usize {
    let roles = strings(claims.get("roles"));
    let scopes = strings(claims.get("scp"));
    let directory_roles = strings(claims.get("wids"));
    let has = |list: &[String], wanted: &str| list.iter().any(|item| item == wanted);
    let granted = if scopes.is_empty() { &roles } else { &scopes };
    // Said here, counted once by the policy probe that follows.
    if POLICY_READERS.iter().any(|wanted| has(granted, wanted)) {
        say!("permissions: ok: the token may read the authentication methods policy");
    } else {
        say!(
            "permissions: missing Policy.Read.All (or Policy.Read.AuthenticationMethod): plan and readiness \
             read the authentication methods policy and stop without it, unless --ignore-policy"
        );
    }
    if scopes.is_empty() {
        say!(
            "identity:    app-only, roles: {}",
            if roles.is_empty() {
                "none".into()
            } else {
                roles.join(", ")
            }
        );
        if has(&roles, READ_WRITE_ALL) {
            say!(
                "permissions: ok: {READ_WRITE_ALL} allows reading and setting any user's preferences"
            );
            0
        } else if has(&roles, READ_ALL) {
            say!(
                "permissions: PROBLEM: {READ_ALL} reads but cannot write; grant {READ_WRITE_ALL} (application) and admin consent"
            );
            1
        } else {
            say!(
                "permissions: PROBLEM: missing the application permission {READ_WRITE_ALL}; grant it and admin consent"
            );
            1
        }
    } else {
        say!("identity:    delegated, scopes: {}", scopes.join(", "));
        let mut problems = 0;
        if !has(&scopes, READ_WRITE_ALL) {
            say!("permissions: PROBLEM: missing the delegated permission {READ_WRITE_ALL}");
            problems += 1;
        }
        if has(&directory_roles, AUTHENTICATION_ADMINISTRATOR)
            || has(&directory_roles, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR)
        {
            say!("role:        ok: an authentication administrator role is active");
        } else {
            say!(
                "role:        PROBLEM: acting on other users needs the Authentication Administrator or \
                 Privileged Authentication Administrator role (none active in the token)"
            );
            problems += 1;
        }
        problems
    }
}
