//! Deciding one user's plan entry from the state read: the method to set (the first of the list
//! the user registered and the policy allows), the system-preferred flag, the action and its reason,
//! and where the new default counts at sign-in ([`crate::system_preferred`]).

use signin_prefs_model::{SignInPreferences, UserDefaultAuthenticationMethodType as Method};

use crate::plan::{Action, PlanEntry, PlanOptions, Preferences};
use crate::policy::{MethodChoice, MethodsPolicy};
use crate::state::{Registered, UserState};
use crate::system_preferred::Coverage;
use crate::targets::Target;

/// What to do with one user whose state was read, the policy aside (as `--ignore-policy`).
pub fn decide(target: &Target, state: &UserState, options: &PlanOptions) -> PlanEntry {
    decide_on(target, &state.preferences, &state.registered, options, None)
}

/// [`decide`] for a user holding `preferences` with `registered_methods`.
pub(crate) fn decide_on(
    target: &Target,
    preferences: &SignInPreferences,
    registered_methods: &[Registered],
    options: &PlanOptions,
    policy: Option<&MethodsPolicy>,
) -> PlanEntry {
    let current = Preferences::of(preferences);
    let registered: Vec<String> = registered_methods.iter().map(Registered::name).collect();
    let methods: Vec<Method> = match &target.method {
        Some(method) => vec![method.clone()],
        None => options.methods.clone(),
    };
    let system_preferred = target.system_preferred.or(options.system_preferred);
    let entry = |action, desired: Option<Preferences>, reason: String| PlanEntry {
        user: target.user.clone(),
        source_line: target.line,
        current: current.clone(),
        target: desired,
        registered: registered.clone(),
        action,
        reason,
        default_reach: None,
    };

    if !options.only_from.is_empty() {
        let from_listed = current
            .method
            .as_deref()
            .is_some_and(|method| options.only_from.iter().any(|from| from.as_str() == method));
        if !from_listed {
            let from = options
                .only_from
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            return entry(
                Action::NotFrom,
                None,
                format!(
                    "current method {} is not one of those to change from ({from})",
                    current.method.as_deref().unwrap_or("(unset)")
                ),
            );
        }
    }
    let choice = MethodChoice::make(&methods, registered_methods, &target.user, policy);
    let method = match (methods.is_empty(), choice.chosen) {
        (true, _) => current.method.clone(),
        (false, Some(method)) => Some(method.as_str().to_owned()),
        (false, None) => {
            let wanted = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let have = if registered.is_empty() {
                "none".to_owned()
            } else {
                registered.join(", ")
            };
            let reason = choice.ineligible_reason(&wanted, &have);
            return entry(Action::Ineligible, None, reason);
        }
    };
    let desired = Preferences {
        method,
        system_preferred: system_preferred.or(current.system_preferred),
    };
    if desired == current {
        return entry(
            Action::AlreadyCompliant,
            Some(desired),
            "already as desired".into(),
        );
    }
    let mut changes = Vec::new();
    if desired.method != current.method {
        let fallback = choice.fallback_note(methods.first());
        changes.push(format!(
            "method {} -> {}{fallback}",
            current.method.as_deref().unwrap_or("(unset)"),
            desired.method.as_deref().unwrap_or("(unset)")
        ));
    }
    if desired.system_preferred != current.system_preferred {
        changes.push(format!(
            "system-preferred {} -> {}",
            on_off(current.system_preferred),
            on_off(desired.system_preferred)
        ));
    }
    // Where the new default counts, once system-preferred MFA is settled as the change leaves it;
    // told only when the policy was read, since its setting decides.
    let default_reach = policy
        .filter(|_| desired.method != current.method)
        .and_then(|policy| {
            Coverage::for_user(
                Some(policy),
                &target.user,
                desired.system_preferred,
                options.flag_precedence,
            )
            .default_reach()
        });
    PlanEntry {
        default_reach,
        ..entry(Action::Change, Some(desired), changes.join("; "))
    }
}

fn on_off(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "on",
        Some(false) => "off",
        None => "(unset)",
    }
}
