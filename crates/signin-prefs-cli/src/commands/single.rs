//! `get` and `set`: one user, showing the before and the after.

use clap::Args as ClapArgs;
use signin_prefs_bulk::apply::describe;
use signin_prefs_bulk::plan::Preferences;
use signin_prefs_core::{NonNullPatch, Patch, SparsePatch};
use signin_prefs_model::{SignInPreferencesPatch, UserDefaultAuthenticationMethodType as Method};
use signin_prefs_request::UserKey;

use super::connection::CliSettings as _;
use super::output::{CommonArgs, Output, Switch, block_on};
use super::stdout::say;
use super::system_preferred::{FlagPrecedenceArg, coverage, read_policy};
use crate::error::Error;

/// `signin-prefs get USER`.
#[derive(Debug, ClapArgs)]
pub(crate) struct GetArgs {
    /// The user: object id or user principal name.
    user: String,
    #[command(flatten)]
    common: CommonArgs,
}

/// `signin-prefs set USER`.
#[derive(Debug, ClapArgs)]
pub(crate) struct SetArgs {
    /// The user: object id or user principal name.
    user: String,
    // The help lists the members of the generated enum, so a member Microsoft adds appears
    // without a hand edit; the value stays a string, parsed by `parse_target` for its hints.
    #[arg(long, help = method_help())]
    method: Option<String>,
    /// Whether system-preferred MFA applies to the user.
    #[arg(long, value_enum)]
    system_preferred: Option<Switch>,
    #[command(flatten)]
    precedence: FlagPrecedenceArg,
    #[command(flatten)]
    common: CommonArgs,
}

/// `The default MFA method: push, oath, … or sms`: the methods a user can be set to (no final
/// period, as clap leaves none after a doc comment).
fn method_help() -> String {
    let members: Vec<&str> = Method::target_members().collect();
    let listed = match members.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!("The default MFA method: {listed}")
}

pub(crate) fn get(mut args: GetArgs) -> Result<(), Error> {
    // `users('…')` is sent as the key inside it.
    args.user = UserKey::parse(&args.user)?.into();
    let client = args.common.settings()?.client()?;
    let read = block_on(client.get_sign_in_preferences(&args.user))??;
    let current = Preferences::of(&read);
    match args.common.output() {
        Output::Json => say!(
            "{}",
            serde_json::to_string_pretty(&read).unwrap_or_default()
        ),
        Output::Csv => say!(
            "user,method,systemPreferred\n{},{},{}",
            args.user,
            current.method.unwrap_or_default(),
            current
                .system_preferred
                .map(|v| v.to_string())
                .unwrap_or_default()
        ),
        Output::Table => {
            say!("{}: {}", args.user, describe(&current));
            if let Some(system) = read
                .additional_properties
                .get("systemPreferredAuthenticationMethod")
                .and_then(|v| v.as_str())
            {
                say!("  system-preferred method (read-only): {system}");
            }
        }
    }
    Ok(())
}

pub(crate) fn set(mut args: SetArgs) -> Result<(), Error> {
    args.user = UserKey::parse(&args.user)?.into();
    let mut patch = SignInPreferencesPatch::default();
    if let Some(method) = &args.method {
        let method = Method::parse_target(method)
            .map_err(|problem| Error::Input(format!("--method: {problem}")))?;
        patch.user_preferred_method_for_secondary_authentication = NonNullPatch::Value(method);
    }
    if let Some(switch) = args.system_preferred {
        patch.is_system_preferred_authentication_method_enabled = Patch::Value(switch.enabled());
    }
    if patch.is_empty() {
        return Err(Error::Input(
            "nothing to set: give --method and/or --system-preferred".into(),
        ));
    }
    let client = args.common.settings()?.client()?;
    let (before, after, policy) = block_on(async {
        let before = client.get_sign_in_preferences(&args.user).await?;
        client
            .update_sign_in_preferences(&args.user, patch.clone())
            .await?;
        let after = client.get_sign_in_preferences(&args.user).await?;
        // Only a new default method can fail to take effect.
        let policy = match &args.method {
            Some(_) => Some(read_policy(&client).await),
            None => None,
        };
        Ok::<_, signin_prefs_client::Error>((before, after, policy))
    })??;
    let (before, after) = (Preferences::of(&before), Preferences::of(&after));
    if let (Some(policy), Some(method)) = (&policy, &after.method) {
        let coverage = coverage(
            policy,
            &args.user,
            after.system_preferred,
            args.precedence.flag_precedence,
        );
        match coverage.applies() {
            Some(true) => eprintln!(
                "warning: {}'s default method {method} will not take effect at sign-in, where system-preferred MFA prompts for the most secure registered method; it matters only to the NPS extension and the AD FS adapter ({coverage})",
                args.user
            ),
            None => eprintln!(
                "note: whether {}'s default method {method} takes effect cannot be told ({coverage}{})",
                args.user,
                policy
                    .as_ref()
                    .err()
                    .map(|why| format!("; {why}"))
                    .unwrap_or_default()
            ),
            Some(false) => {}
        }
    }
    match args.common.output() {
        Output::Json => say!(
            "{}",
            serde_json::json!({"user": args.user, "before": before, "after": after})
        ),
        Output::Csv => say!(
            "user,beforeMethod,beforeSystemPreferred,afterMethod,afterSystemPreferred\n{},{},{},{},{}",
            args.user,
            before.method.unwrap_or_default(),
            before
                .system_preferred
                .map(|v| v.to_string())
                .unwrap_or_default(),
            after.method.unwrap_or_default(),
            after
                .system_preferred
                .map(|v| v.to_string())
                .unwrap_or_default()
        ),
        Output::Table => {
            say!("{}", args.user);
            say!("  before: {}", describe(&before));
            say!("  after:  {}", describe(&after));
        }
    }
    Ok(())
}
