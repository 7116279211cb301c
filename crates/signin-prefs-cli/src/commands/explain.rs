//! `explain USER`: what the user will be prompted for at sign-in, and why.

use clap::Args as ClapArgs;
use signin_prefs_bulk::plan::Preferences;
use signin_prefs_bulk::state::{Registered, read_states, supports};
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;
use signin_prefs_request::UserKey;

use super::output::{CommonArgs, Output, block_on};
use crate::error::Error;

/// `signin-prefs explain USER`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The user: object id or user principal name.
    user: String,
    #[command(flatten)]
    common: CommonArgs,
}

pub(crate) fn run(args: Args) -> Result<i32, Error> {
    UserKey::parse(&args.user)?;
    let client = args.common.settings()?.client()?;
    let state = block_on(read_states(&client, std::slice::from_ref(&args.user)))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Input("no state read".into()))??;
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
    let default_usable = default
        .as_ref()
        .is_some_and(|method| supports(&state.registered, method));
    let mfa_capable: Vec<&Registered> = state
        .registered
        .iter()
        .filter(|method| !matches!(method, Registered::Other(_)))
        .collect();

    let mut reasons = Vec::new();
    let prompt = if mfa_capable.is_empty() {
        reasons.push("no MFA method is registered".to_owned());
        "registration of an MFA method (the user cannot complete MFA yet)".to_owned()
    } else if current.system_preferred == Some(true) {
        reasons.push(
            "system-preferred MFA is on for the user: Entra picks the strongest registered method"
                .into(),
        );
        if default.is_some() {
            reasons.push("the default method is then ignored, except by the NPS extension and the AD FS adapter".into());
        }
        system_choice
            .clone()
            .unwrap_or_else(|| "the strongest registered method".into())
    } else if let (Some(method), true) = (&default, default_usable) {
        reasons.push(format!(
            "system-preferred MFA is off, and the default method {method} is registered"
        ));
        method.to_string()
    } else if let Some(method) = &default {
        reasons.push(format!("the default method {method} is not registered, so Entra falls back to another registered method"));
        "another registered method".into()
    } else {
        reasons
            .push("no default method is set, so Entra chooses among the registered methods".into());
        "a registered method of Entra's choice".into()
    };

    let registered: Vec<String> = state.registered.iter().map(Registered::name).collect();
    match args.common.output() {
        Output::Json | Output::Csv => println!(
            "{}",
            serde_json::json!({
                "user": args.user,
                "prompt": prompt,
                "reasons": reasons,
                "defaultMethod": current.method,
                "systemPreferredEnabled": current.system_preferred,
                "systemPreferredMethod": system_choice,
                "registered": registered,
            })
        ),
        Output::Table => {
            println!("{} will be prompted for: {prompt}", args.user);
            for reason in &reasons {
                println!("  because {reason}");
            }
            println!(
                "  default method:        {}",
                current.method.as_deref().unwrap_or("(unset)")
            );
            println!(
                "  system-preferred MFA:  {}{}",
                match current.system_preferred {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "(unset)",
                },
                system_choice
                    .map(|choice| format!(" (the system's choice: {choice})"))
                    .unwrap_or_default()
            );
            println!(
                "  registered methods:    {}",
                if registered.is_empty() {
                    "none".into()
                } else {
                    registered.join(", ")
                }
            );
        }
    }
    Ok(0)
}
