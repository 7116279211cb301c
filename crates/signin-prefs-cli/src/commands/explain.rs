//! `explain USER`: what the user will be prompted for at sign-in, and why.
//!
//! Whether system-preferred MFA applies (the tenant's policy, the user's flag, and the precedence
//! assumed between them) and what it prompts for are the library's to say
//! (`signin_prefs_bulk::system_preferred`, after Learn's "System-preferred multifactor
//! authentication",
//! <https://learn.microsoft.com/en-us/entra/identity/authentication/concept-system-preferred-multifactor-authentication>);
//! this command reads the user and the policy and puts the answer into words.

use clap::Args as ClapArgs;
use signin_prefs_bulk::plan::Preferences;
use signin_prefs_bulk::policy::MethodsPolicy;
use signin_prefs_bulk::state::{Registered, read_states, supports};
use signin_prefs_bulk::system_preferred::{DefaultReach, SystemMethod, has_second_factor, prompt};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;
use signin_prefs_request::UserKey;

use super::connection::CliSettings as _;
use super::output::{CommonArgs, Output, block_on};
use super::stdout::{print, say};
use super::system_preferred::{FlagPrecedenceArg, coverage, read_policy};
use crate::error::Error;

/// `signin-prefs explain USER` (its help is the subcommand's, in `mod.rs`).
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The user: object id or user principal name.
    user: String,
    #[command(flatten)]
    precedence: FlagPrecedenceArg,
    #[command(flatten)]
    common: CommonArgs,
}

pub(crate) fn run(mut args: Args) -> Result<i32, Error> {
    // `users('…')` is read as the key inside it.
    args.user = UserKey::parse(&args.user)?.into();
    let client = args.common.settings()?.client()?;
    let (states, policy) = block_on(async {
        futures_util::future::join(
            read_states(&client, std::slice::from_ref(&args.user)),
            read_policy(&client),
        )
        .await
    })?;
    let state = states
        .into_iter()
        .next()
        .ok_or_else(|| Error::Input("no state read".into()))??;
    let user = args.user.as_str();
    let current = Preferences::of(&state.preferences);
    let system_choice = state
        .preferences
        .additional_properties
        .get("systemPreferredAuthenticationMethod")
        .and_then(|value| value.as_str())
        .map(str::to_owned);
    let default: Option<Method> = state
        .preferences
        .user_preferred_method_for_secondary_authentication
        .clone();
    let read = policy.as_ref().ok();
    let coverage = coverage(
        &policy,
        user,
        current.system_preferred,
        args.precedence.flag_precedence,
    );

    let mut reasons = Vec::new();
    let prompt = if has_second_factor(&state.registered) {
        reasons.push(coverage.to_string());
        match coverage.applies() {
            Some(true) => {
                let chosen = system_preferred_prompt(&state.registered, read, user, &mut reasons);
                if let Some(method) = &default {
                    reasons.push(format!(
                        "the default method {method} then matters only to the NPS extension and the AD FS adapter"
                    ));
                }
                chosen
            }
            Some(false) => default_prompt(
                default.as_ref(),
                &state.registered,
                read,
                user,
                &mut reasons,
            ),
            None => {
                let mut ignored = Vec::new();
                let system = system_preferred_prompt(&state.registered, read, user, &mut ignored);
                let otherwise = default_prompt(
                    default.as_ref(),
                    &state.registered,
                    read,
                    user,
                    &mut reasons,
                );
                format!("{system} if system-preferred MFA applies, otherwise {otherwise}")
            }
        }
    } else {
        reasons.push("no MFA method is registered".to_owned());
        "registration of an MFA method (the user cannot complete MFA yet)".to_owned()
    };
    let policy_note = policy.as_ref().err();

    let registered: Vec<String> = state.registered.iter().map(Registered::name).collect();
    let reach = coverage.default_reach();
    let explained = serde_json::json!({
        "user": args.user,
        "prompt": prompt,
        "reasons": reasons,
        "defaultMethod": current.method,
        "defaultReach": reach,
        "systemPreferredEnabled": current.system_preferred,
        "systemPreferredApplies": coverage.applies(),
        "flagPrecedence": coverage.precedence.name(),
        "systemPreferredMethod": system_choice,
        "policyNotRead": policy_note,
        "registered": registered,
    });
    match args.common.output() {
        Output::Json => say!("{explained}"),
        Output::Csv => print(&csv_of(&explained)?),
        Output::Table => {
            say!("{} will be prompted for: {prompt}", args.user);
            for reason in &reasons {
                say!("  because {reason}");
            }
            say!(
                "  default method:        {}{}",
                current.method.as_deref().unwrap_or("(unset)"),
                match (reach, &current.method) {
                    (_, None) => "",
                    (Some(DefaultReach::TakesEffect), _) => " (takes effect)",
                    (Some(DefaultReach::NpsAdfsOnly), _) =>
                        " (matters only to the NPS extension and the AD FS adapter)",
                    (None, _) => " (whether it takes effect cannot be told)",
                }
            );
            say!(
                "  system-preferred MFA:  user flag {}{}",
                match current.system_preferred {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "(unset)",
                },
                system_choice
                    .map(|choice| format!(" (the service's choice: {choice})"))
                    .unwrap_or_default()
            );
            say!(
                "  registered methods:    {}",
                if registered.is_empty() {
                    "none".into()
                } else {
                    registered.join(", ")
                }
            );
            if let Some(note) = policy_note {
                say!("  note: {note}");
            }
        }
    }
    Ok(0)
}

/// What system-preferred MFA prompts the user for, with the reason.
fn system_preferred_prompt(
    registered: &[Registered],
    policy: Option<&MethodsPolicy>,
    user: &str,
    reasons: &mut Vec<String>,
) -> String {
    let order: Vec<&str> = SystemMethod::PRECEDENCE
        .iter()
        .map(|kind| kind.name())
        .collect();
    let allowed = if policy.is_some() {
        " that the policy allows"
    } else {
        ""
    };
    reasons.push(format!(
        "Entra then prompts for the most secure registered method{allowed}, in this order: {}",
        order.join(", ")
    ));
    match prompt(registered, policy, user) {
        Some(chosen) => chosen.to_string(),
        None => {
            reasons.push("no registered method is in that order".into());
            "a registered method of Entra's choice".into()
        }
    }
}

/// What the user is prompted for where the default method counts, with the reason.
fn default_prompt(
    default: Option<&Method>,
    registered: &[Registered],
    policy: Option<&MethodsPolicy>,
    user: &str,
    reasons: &mut Vec<String>,
) -> String {
    let Some(method) = default else {
        reasons
            .push("no default method is set, so Entra chooses among the registered methods".into());
        return "a registered method of Entra's choice".into();
    };
    if !supports(registered, method) {
        reasons.push(format!("the default method {method} is not registered, so Entra falls back to another registered method"));
        return "another registered method".into();
    }
    match policy.map(|policy| policy.allows(user, method)) {
        Some(Err(not_allowed)) => {
            reasons.push(format!(
                "{not_allowed}, so Entra falls back to another registered method"
            ));
            "another registered method".into()
        }
        _ => {
            reasons.push(format!("the default method {method} is registered"));
            method.to_string()
        }
    }
}

/// `explained` as a CSV header and one row, its properties by name; lists joined by "; ".
fn csv_of(explained: &serde_json::Value) -> Result<String, Error> {
    let fields = explained
        .as_object()
        .map(|object| object.iter())
        .into_iter()
        .flatten();
    let (header, row): (Vec<&str>, Vec<String>) = fields
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_owned)
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            (name.as_str(), text)
        })
        .unzip();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let written = writer
        .write_record(&header)
        .and_then(|()| writer.write_record(&row))
        .map_err(|error| Error::Runtime(error.into()));
    written?;
    let bytes = writer
        .into_inner()
        .map_err(|error| Error::Runtime(error.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
