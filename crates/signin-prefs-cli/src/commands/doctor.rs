//! `doctor`: before a run, check that the configured credential can do what the run needs.

use base64::Engine as _;
use clap::Args as ClapArgs;
use signin_prefs_model::SignInPreferencesPatch;
use signin_prefs_request::{GetAuthenticationMethodsPolicy, UserKey};

use super::connection::CliSettings as _;
use super::doctor_findings::Findings;
use super::output::{ConfigArg, OutputArg, block_on};
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
    output: OutputArg,
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
    let loaded = args.config.load()?;
    let connection = loaded.settings.connection()?;
    let (client, credential) = (connection.client, connection.credential);
    let mut found = Findings::new(args.output.output);
    let mut problems = 0;
    if let Some((profile, folder)) = loaded.folder.named() {
        found.info(
            "profile",
            format!("{profile}, its files in {}", folder.display()),
        );
    }
    found.info("service", client.endpoints().graph_origin.to_string());
    found.info(
        "credential",
        format!(
            "{}, because {}",
            connection.choice.kind, connection.choice.reason
        ),
    );

    let scopes: Vec<&str> = client.scopes().iter().map(String::as_str).collect();
    match block_on(credential.get_token(&scopes))? {
        Err(error) => {
            found.failed("token", error.to_string());
            return Ok(found.finish(1));
        }
        Ok(token) => {
            found.info("token", "obtained".to_owned());
            match claims(token.secret().expose()) {
                Some(claims) => problems += check_claims(&claims, &mut found),
                None => found.info(
                    "permissions",
                    "the token is not a JWT, so its claims cannot be read; use --user to probe"
                        .to_owned(),
                ),
            }
        }
    }

    // Whatever the token's claims say, one read of the policy is the proof `plan` needs.
    match block_on(client.send(&GetAuthenticationMethodsPolicy::new()))? {
        Ok(_) => found.ok(
            "policy",
            "the authentication methods policy can be read".to_owned(),
        ),
        Err(error) => {
            problems += 1;
            if error.kind() == signin_prefs_client::ErrorKind::Forbidden {
                found.problem(
                    "policy",
                    format!(
                        "cannot read the authentication methods policy; grant Policy.Read.All \
                         (or Policy.Read.AuthenticationMethod), or run plan and readiness with --ignore-policy ({error})"
                    ),
                );
            } else {
                found.failed("policy", error.to_string());
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
            Ok(_) => found.ok("read probe", format!("({user})")),
            Err(error) => {
                problems += 1;
                found.failed("read probe", error.to_string());
            }
        }
        match write {
            Ok(()) => found.ok(
                "write probe",
                "(an empty PATCH, which changes nothing)".to_owned(),
            ),
            Err(error) => {
                problems += 1;
                found.failed("write probe", error.to_string());
            }
        }
    }
    Ok(found.finish(problems))
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

/// Says what the claims allow and returns how many problems there are.
fn check_claims(claims: &serde_json::Value, found: &mut Findings) -> usize {
    let roles = strings(claims.get("roles"));
    let scopes = strings(claims.get("scp"));
    let directory_roles = strings(claims.get("wids"));
    let has = |list: &[String], wanted: &str| list.iter().any(|item| item == wanted);
    let granted = if scopes.is_empty() { &roles } else { &scopes };
    // Said here, counted once by the policy probe that follows.
    if POLICY_READERS.iter().any(|wanted| has(granted, wanted)) {
        found.ok(
            "permissions",
            "the token may read the authentication methods policy".to_owned(),
        );
    } else {
        found.info(
            "permissions",
            "missing Policy.Read.All (or Policy.Read.AuthenticationMethod): plan and readiness \
             read the authentication methods policy and stop without it, unless --ignore-policy"
                .to_owned(),
        );
    }
    if scopes.is_empty() {
        found.info(
            "identity",
            format!(
                "app-only, roles: {}",
                if roles.is_empty() {
                    "none".into()
                } else {
                    roles.join(", ")
                }
            ),
        );
        if has(&roles, READ_WRITE_ALL) {
            found.ok(
                "permissions",
                format!("{READ_WRITE_ALL} allows reading and setting any user's preferences"),
            );
            0
        } else if has(&roles, READ_ALL) {
            found.problem(
                "permissions",
                format!(
                    "{READ_ALL} reads but cannot write; grant {READ_WRITE_ALL} (application) and admin consent"
                ),
            );
            1
        } else {
            found.problem(
                "permissions",
                format!(
                    "missing the application permission {READ_WRITE_ALL}; grant it and admin consent"
                ),
            );
            1
        }
    } else {
        found.info(
            "identity",
            format!("delegated, scopes: {}", scopes.join(", ")),
        );
        let mut problems = 0;
        if !has(&scopes, READ_WRITE_ALL) {
            found.problem(
                "permissions",
                format!("missing the delegated permission {READ_WRITE_ALL}"),
            );
            problems += 1;
        }
        if has(&directory_roles, AUTHENTICATION_ADMINISTRATOR)
            || has(&directory_roles, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR)
        {
            found.ok(
                "role",
                "an authentication administrator role is active".to_owned(),
            );
        } else {
            found.problem(
                "role",
                "acting on other users needs the Authentication Administrator or \
                 Privileged Authentication Administrator role (none active in the token)"
                    .to_owned(),
            );
            problems += 1;
        }
        problems
    }
}
