//! System-preferred MFA for one user: whether it applies, and so whether the user's default method
//! is what they are prompted for or matters only to the NPS extension and the AD FS adapter, and
//! which registered method it prompts for instead. Every front end (plan, explain, set, Python)
//! asks here.
//!
//! What Microsoft documents, and where:
//! - With system-preferred MFA on, Entra prompts for the most secure method the user registered,
//!   in a fixed order: Temporary Access Pass, passkey (FIDO2), external authentication methods,
//!   Microsoft Authenticator notifications, time-based one-time passwords (software or hardware
//!   OATH, Authenticator's codes), telephony (SMS and voice), certificate-based authentication
//!   (Learn, "System-preferred multifactor authentication", [`LEARN_PAGE`], "How does
//!   system-preferred MFA determine the most secure method?").
//! - The tenant's setting is `systemCredentialPreferences` in the authentication methods policy:
//!   `state` `enabled`, `disabled` or `default` (Microsoft-managed), with include and exclude
//!   targets, exclusion winning ("Excluded groups take precedence over include groups", same
//!   page). Microsoft-managed currently means enabled: "The Microsoft managed value of
//!   system-preferred MFA is Enabled" (same page), and the table of Microsoft-managed settings
//!   lists it as Enabled (<https://learn.microsoft.com/en-us/entra/identity/authentication/concept-authentication-default-enablement>).
//! - A user's default method (`userPreferredMethodForSecondaryAuthentication`) "is ignored except
//!   for a few scenarios where a user is authenticating via NPS extension or ADFS adapter" when the
//!   user is enabled for system-preferred authentication (Graph beta, signInPreferences resource,
//!   <https://learn.microsoft.com/graph/api/resources/signinpreferences?view=graph-rest-beta>);
//!   "System-preferred MFA doesn't affect users who sign in by using the NPS extension" ([`LEARN_PAGE`]).
//!
//! Assumptions, named and switchable:
//! - **The per-user flag against the tenant policy** ([`FlagPrecedence`]): Microsoft publishes no
//!   rule for a user whose `isSystemPreferredAuthenticationMethodEnabled` disagrees with the
//!   policy. The default, [`FlagPrecedence::PolicyAndUser`], takes system-preferred MFA to apply
//!   only where the policy applies it and the user's flag is not off (an unset flag follows the
//!   policy); `user-first` lets a set flag decide; `policy-only` ignores the flag.
//! - **A policy without `systemCredentialPreferences`** is taken as Microsoft-managed for all users:
//!   the state Graph documents for "when the configuration hasn't been explicitly set"
//!   (<https://learn.microsoft.com/graph/api/resources/systemcredentialpreferences?view=graph-rest-beta>).
//! - Certificate-based authentication is last in the order, but a user's certificate is not one of
//!   their registered methods (`…/authentication/methods`), so the prompt is never predicted to be a
//!   certificate: a user whose only second factor is one is reported as having none registered.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use signin_prefs_model::{AdvancedConfigState, UserDefaultAuthenticationMethodType as Method};

use crate::policy::MethodsPolicy;
use crate::state::Registered;

/// The Learn page the order of methods and the tenant states come from.
pub const LEARN_PAGE: &str = "https://learn.microsoft.com/en-us/entra/identity/authentication/concept-system-preferred-multifactor-authentication";

/// The tenant policy's `systemCredentialPreferences.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantState {
    /// `enabled`.
    Enabled,
    /// `disabled`.
    Disabled,
    /// `default`: Microsoft-managed, which Microsoft currently sets to enabled.
    MicrosoftManaged,
    /// A value this build does not know (`unknownFutureValue`, or newer).
    Unknown,
}

impl TenantState {
    /// The state as read; a policy that sends none is Microsoft-managed (see the module's
    /// assumptions).
    pub fn of(state: Option<&AdvancedConfigState>) -> Self {
        match state {
            Some(AdvancedConfigState::Enabled) => Self::Enabled,
            Some(AdvancedConfigState::Disabled) => Self::Disabled,
            Some(AdvancedConfigState::Default) | None => Self::MicrosoftManaged,
            Some(_) => Self::Unknown,
        }
    }
}

/// What the tenant's policy says about system-preferred MFA for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyScope {
    /// The policy turns it on for the user: enabled, or Microsoft-managed (`microsoft_managed`),
    /// with the user included and not excluded.
    Applies {
        /// The state is `default`, which Microsoft sets to enabled.
        microsoft_managed: bool,
    },
    /// The policy turns it off for everyone.
    Disabled,
    /// The user is in an excluded target (exclusion wins).
    Excluded,
    /// No included target names the user.
    NotIncluded,
    /// Not known: the policy was not read, its state is a value this build does not know, or a
    /// target this tool cannot resolve (a role, an administrative unit) could name the user.
    Unknown,
}

impl PolicyScope {
    /// The scope from the tenant's `state` and whether the user is in its excluded and included
    /// targets (`None`: a target that cannot be resolved might name the user). Exclusion wins;
    /// for a disabled or unknown state the targets do not matter.
    pub fn from_parts(state: TenantState, excluded: Option<bool>, included: Option<bool>) -> Self {
        let microsoft_managed = match state {
            TenantState::Disabled => return Self::Disabled,
            TenantState::Unknown => return Self::Unknown,
            TenantState::Enabled => false,
            TenantState::MicrosoftManaged => true,
        };
        match (excluded, included) {
            (Some(true), _) => Self::Excluded,
            (None, _) | (Some(false), None) => Self::Unknown,
            (Some(false), Some(true)) => Self::Applies { microsoft_managed },
            (Some(false), Some(false)) => Self::NotIncluded,
        }
    }

    /// Whether the policy applies system-preferred MFA to the user; `None` when not known.
    pub fn applies(self) -> Option<bool> {
        match self {
            Self::Applies { .. } => Some(true),
            Self::Disabled | Self::Excluded | Self::NotIncluded => Some(false),
            Self::Unknown => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Applies {
                microsoft_managed: true,
            } => {
                "the tenant's policy leaves system-preferred MFA Microsoft-managed (enabled by Microsoft) and includes the user"
            }
            Self::Applies {
                microsoft_managed: false,
            } => "the tenant's policy enables system-preferred MFA and includes the user",
            Self::Disabled => "the tenant's policy disables system-preferred MFA",
            Self::Excluded => "the tenant's policy excludes the user from system-preferred MFA",
            Self::NotIncluded => {
                "the tenant's policy includes none of the user's groups in system-preferred MFA"
            }
            Self::Unknown => "the tenant's system-preferred MFA setting for the user is not known",
        }
    }
}

/// How the user's `isSystemPreferredAuthenticationMethodEnabled` and the tenant's policy combine:
/// a named assumption, since Microsoft does not publish the rule (see the module's doc).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum FlagPrecedence {
    /// System-preferred MFA applies only where the policy applies it and the user's flag is not
    /// off; an unset flag follows the policy. The default.
    #[default]
    PolicyAndUser,
    /// The user's flag decides when set; an unset flag follows the policy.
    UserFirst,
    /// The policy alone decides; the flag is ignored.
    PolicyOnly,
}

impl FlagPrecedence {
    /// Every setting.
    pub const ALL: [FlagPrecedence; 3] = [Self::PolicyAndUser, Self::UserFirst, Self::PolicyOnly];

    /// The setting's name on the command line, in Python and in plan files.
    pub fn name(self) -> &'static str {
        match self {
            Self::PolicyAndUser => "policy-and-user",
            Self::UserFirst => "user-first",
            Self::PolicyOnly => "policy-only",
        }
    }

    /// Whether this is the default, which plan files leave out.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl FromStr for FlagPrecedence {
    type Err = String;

    /// The one parser of the setting, for the CLI, Python and plan files.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|setting| setting.name() == value)
            .ok_or_else(|| {
                format!(
                    "unknown flag precedence \"{}\": expected policy-and-user, user-first or policy-only",
                    signin_prefs_model::text::show_value(value)
                )
            })
    }
}

impl fmt::Display for FlagPrecedence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for FlagPrecedence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for FlagPrecedence {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether system-preferred MFA applies to a user the policy gives `scope` and whose own flag is
/// `user_flag`, under `precedence`; `None` when it cannot be told.
///
/// The laws (`tests::the_decision_follows_its_laws`): under every precedence, a known scope and a
/// flag that agree with each other give that answer; a flag set off is never overruled under
/// `policy-and-user` nor a set flag under `user-first`; `policy-only` never depends on the flag;
/// and an answer is unknown only when the scope is.
pub fn applies(
    scope: PolicyScope,
    user_flag: Option<bool>,
    precedence: FlagPrecedence,
) -> Option<bool> {
    match precedence {
        FlagPrecedence::PolicyOnly => scope.applies(),
        FlagPrecedence::UserFirst => user_flag.or(scope.applies()),
        FlagPrecedence::PolicyAndUser => match (scope.applies(), user_flag) {
            (_, Some(false)) | (Some(false), _) => Some(false),
            (Some(true), _) => Some(true),
            (None, _) => None,
        },
    }
}

/// Where a user's default method counts at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DefaultReach {
    /// System-preferred MFA does not apply: the default method is what the user is prompted for.
    TakesEffect,
    /// System-preferred MFA applies: the default method matters only to the NPS extension and the
    /// AD FS adapter.
    NpsAdfsOnly,
}

/// System-preferred MFA for one user: the policy's scope, the user's flag, the precedence
/// between them, and what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Coverage {
    /// What the tenant's policy says for the user.
    pub scope: PolicyScope,
    /// The user's `isSystemPreferredAuthenticationMethodEnabled`.
    pub user_flag: Option<bool>,
    /// How the two combine.
    pub precedence: FlagPrecedence,
}

impl Coverage {
    /// The coverage of `user` (object id or principal name) holding `user_flag`, under `policy`
    /// (`None`: not read, so the scope is unknown).
    pub fn for_user(
        policy: Option<&MethodsPolicy>,
        user: &str,
        user_flag: Option<bool>,
        precedence: FlagPrecedence,
    ) -> Self {
        Self {
            scope: policy.map_or(PolicyScope::Unknown, |policy| {
                policy.system_preferred_scope(user)
            }),
            user_flag,
            precedence,
        }
    }

    /// Whether system-preferred MFA applies ([`applies`]).
    pub fn applies(&self) -> Option<bool> {
        applies(self.scope, self.user_flag, self.precedence)
    }

    /// Where the user's default method counts; `None` when that cannot be told.
    pub fn default_reach(&self) -> Option<DefaultReach> {
        self.applies().map(|applies| {
            if applies {
                DefaultReach::NpsAdfsOnly
            } else {
                DefaultReach::TakesEffect
            }
        })
    }
}

impl fmt::Display for Coverage {
    /// The reasoning in a sentence: the policy, the flag, the verdict and the precedence assumed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = match self.user_flag {
            Some(true) => "on",
            Some(false) => "off",
            None => "unset",
        };
        let verdict = match self.applies() {
            Some(true) => "system-preferred MFA applies",
            Some(false) => "system-preferred MFA does not apply",
            None => "whether system-preferred MFA applies cannot be told",
        };
        write!(
            f,
            "{}, and the user's own flag is {flag}, so {verdict} (flag precedence {}: an assumption, Microsoft does not publish it)",
            self.scope.describe(),
            self.precedence
        )
    }
}

/// A kind of method system-preferred MFA prompts for, in Learn's order (most secure first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemMethod {
    /// Temporary Access Pass.
    TemporaryAccessPass,
    /// Passkey (FIDO2).
    Passkey,
    /// An external authentication method.
    External,
    /// Microsoft Authenticator notifications.
    AuthenticatorNotification,
    /// A time-based one-time password: software or hardware OATH, or Authenticator's codes.
    Totp,
    /// Telephony: SMS and voice calls.
    Telephony,
    /// Certificate-based authentication.
    Certificate,
}

/// `Registered::Other` names of the methods system-preferred MFA ranks that the crate's
/// [`Registered`] does not name: the short `@odata.type` of `…/authentication/methods` entries
/// (`#microsoft.graph.temporaryAccessPassAuthenticationMethod`,
/// `#microsoft.graph.externalAuthenticationMethod`:
/// <https://learn.microsoft.com/graph/api/resources/externalauthenticationmethod>) and the
/// registration report's `temporaryAccessPass`.
const TEMPORARY_ACCESS_PASS: &str = "temporaryAccessPass";
const EXTERNAL: &str = "external";

impl SystemMethod {
    /// Every kind, in Learn's order.
    pub const PRECEDENCE: [SystemMethod; 7] = [
        Self::TemporaryAccessPass,
        Self::Passkey,
        Self::External,
        Self::AuthenticatorNotification,
        Self::Totp,
        Self::Telephony,
        Self::Certificate,
    ];

    /// Its name as Learn gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::TemporaryAccessPass => "Temporary Access Pass",
            Self::Passkey => "passkey/FIDO2",
            Self::External => "external authentication method",
            Self::AuthenticatorNotification => "Microsoft Authenticator notification",
            Self::Totp => "time-based one-time password",
            Self::Telephony => "telephony",
            Self::Certificate => "certificate-based authentication",
        }
    }

    /// The kinds a registered method gives, best first: Authenticator sends notifications and
    /// makes codes. Windows Hello for Business and passwordless phone sign-in are first-factor
    /// credentials, not second factors system-preferred MFA prompts for.
    pub fn of(registered: &Registered) -> &'static [SystemMethod] {
        match registered {
            Registered::MicrosoftAuthenticator => &[Self::AuthenticatorNotification, Self::Totp],
            Registered::SoftwareOath | Registered::HardwareOath => &[Self::Totp],
            Registered::MobilePhone
            | Registered::AlternateMobilePhone
            | Registered::OfficePhone => &[Self::Telephony],
            Registered::Fido2 => &[Self::Passkey],
            Registered::Other(name) if name == TEMPORARY_ACCESS_PASS => {
                &[Self::TemporaryAccessPass]
            }
            Registered::Other(name) if name == EXTERNAL => &[Self::External],
            Registered::PasswordlessAuthenticator
            | Registered::WindowsHello
            | Registered::Other(_) => &[],
        }
    }
}

/// What system-preferred MFA prompts a user for: the kind, and the default method it amounts to
/// when there is one (`push`, `oath`, `sms`, a voice method).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prompt {
    /// The kind of method, in Learn's order.
    pub kind: SystemMethod,
    /// The default-method value that names the same prompt, if any.
    pub as_default: Option<Method>,
}

impl fmt::Display for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.as_default {
            Some(method) => write!(f, "{method} ({})", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

/// The configurations of the authentication methods policy that govern a registered method's
/// use, by id (Authenticator's notifications and codes alike).
fn governing(registered: &Registered) -> &'static [&'static str] {
    match registered {
        Registered::MicrosoftAuthenticator => &["MicrosoftAuthenticator"],
        Registered::SoftwareOath => &["SoftwareOath"],
        Registered::HardwareOath => &["HardwareOath"],
        Registered::Fido2 => &["Fido2"],
        Registered::Other(name) if name == TEMPORARY_ACCESS_PASS => &["TemporaryAccessPass"],
        _ => &[],
    }
}

/// The default methods a phone gives, in the order Learn's earlier list ranked telephony (SMS to
/// a mobile phone, then voice to the mobile, alternate and office phones), each with the
/// configuration that governs it.
fn phone_methods(registered: &Registered) -> &'static [(Method, &'static str)] {
    match registered {
        Registered::MobilePhone => &[(Method::Sms, "Sms"), (Method::VoiceMobile, "Voice")],
        Registered::AlternateMobilePhone => &[(Method::VoiceAlternateMobile, "Voice")],
        Registered::OfficePhone => &[(Method::VoiceOffice, "Voice")],
        _ => &[],
    }
}

/// What system-preferred MFA prompts `user` for: the first kind in Learn's order that one of
/// `registered` gives and that `policy` (when read) lets the user use. `None` when no registered
/// method qualifies.
pub fn prompt(
    registered: &[Registered],
    policy: Option<&MethodsPolicy>,
    user: &str,
) -> Option<Prompt> {
    let allowed = |ids: &[&str]| {
        policy.is_none_or(|policy| ids.iter().all(|id| policy.allows_configuration(user, id)))
    };
    // Phones in their own order, whatever order they were read in.
    let mut phones: Vec<&Registered> = registered
        .iter()
        .filter(|method| !phone_methods(method).is_empty())
        .collect();
    phones.sort();
    SystemMethod::PRECEDENCE.into_iter().find_map(|kind| {
        if kind == SystemMethod::Telephony {
            return phones.iter().find_map(|phone| {
                phone_methods(phone)
                    .iter()
                    .find(|(_, id)| allowed(&[*id]))
                    .map(|(method, _)| Prompt {
                        kind,
                        as_default: Some(method.clone()),
                    })
            });
        }
        registered
            .iter()
            .find(|method| SystemMethod::of(method).contains(&kind) && allowed(governing(method)))
            .map(|_| Prompt {
                kind,
                as_default: match kind {
                    SystemMethod::AuthenticatorNotification => Some(Method::Push),
                    SystemMethod::Totp => Some(Method::Oath),
                    _ => None,
                },
            })
    })
}

/// Whether `registered` holds a method system-preferred MFA could prompt for, or one that can be
/// a default method: the user can complete MFA.
pub fn has_second_factor(registered: &[Registered]) -> bool {
    registered.iter().any(|method| {
        !SystemMethod::of(method).is_empty() || !matches!(method, Registered::Other(_))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scopes() -> impl Strategy<Value = PolicyScope> {
        prop_oneof![
            any::<bool>().prop_map(|microsoft_managed| PolicyScope::Applies { microsoft_managed }),
            Just(PolicyScope::Disabled),
            Just(PolicyScope::Excluded),
            Just(PolicyScope::NotIncluded),
            Just(PolicyScope::Unknown),
        ]
    }

    fn registered_methods() -> impl Strategy<Value = Registered> {
        crate::state::any_registered(&[TEMPORARY_ACCESS_PASS, EXTERNAL, "email"])
    }

    fn precedences() -> impl Strategy<Value = FlagPrecedence> {
        proptest::sample::select(FlagPrecedence::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn the_decision_follows_its_laws(
            scope in scopes(),
            flag in proptest::option::of(any::<bool>()),
            precedence in precedences(),
        ) {
            let verdict = applies(scope, flag, precedence);
            // Agreement: a known scope and a flag that says the same (or nothing) give that answer
            // whatever the precedence.
            if let Some(policy) = scope.applies() && flag.is_none_or(|flag| flag == policy) {
                prop_assert_eq!(verdict, Some(policy));
            }
            match precedence {
                FlagPrecedence::PolicyAndUser => {
                    if flag == Some(false) {
                        prop_assert_eq!(verdict, Some(false));
                    }
                    // The flag never turns it on where the policy does not.
                    if verdict == Some(true) {
                        prop_assert_eq!(scope.applies(), Some(true));
                    }
                }
                FlagPrecedence::UserFirst => {
                    if flag.is_some() {
                        prop_assert_eq!(verdict, flag);
                    }
                }
                FlagPrecedence::PolicyOnly => {
                    prop_assert_eq!(verdict, scope.applies());
                }
            }
            // Unknown only when the policy's answer is.
            if verdict.is_none() {
                prop_assert_eq!(scope, PolicyScope::Unknown);
            }
            // The default's reach is the verdict's mirror.
            let coverage = Coverage { scope, user_flag: flag, precedence };
            prop_assert_eq!(
                coverage.default_reach(),
                verdict.map(|applies| if applies { DefaultReach::NpsAdfsOnly } else { DefaultReach::TakesEffect })
            );
        }

        #[test]
        fn exclusion_wins_and_a_disabled_state_ignores_the_targets(
            excluded in proptest::option::of(any::<bool>()),
            included in proptest::option::of(any::<bool>()),
        ) {
            for state in [TenantState::Enabled, TenantState::MicrosoftManaged] {
                let scope = PolicyScope::from_parts(state, excluded, included);
                if excluded == Some(true) {
                    prop_assert_eq!(scope, PolicyScope::Excluded);
                }
                if scope.applies() == Some(true) {
                    prop_assert_eq!((excluded, included), (Some(false), Some(true)));
                }
            }
            prop_assert_eq!(PolicyScope::from_parts(TenantState::Disabled, excluded, included), PolicyScope::Disabled);
            prop_assert_eq!(PolicyScope::from_parts(TenantState::Unknown, excluded, included), PolicyScope::Unknown);
        }

        #[test]
        fn the_prompt_is_the_first_kind_in_learns_order_that_a_registered_method_gives(
            registered in proptest::collection::vec(registered_methods(), 0..6),
        ) {
            let chosen = prompt(&registered, None, "adele@contoso.com");
            let given: Vec<SystemMethod> = registered.iter().flat_map(|method| SystemMethod::of(method).iter().copied()).collect();
            prop_assert_eq!(chosen.as_ref().map(|prompt| prompt.kind), given.iter().min().copied());
            if chosen.is_some() {
                prop_assert!(has_second_factor(&registered));
            }
        }
    }

    #[test]
    fn the_order_is_learns_and_the_precedence_names_parse_back() {
        let mut sorted = SystemMethod::PRECEDENCE;
        sorted.sort();
        assert_eq!(sorted, SystemMethod::PRECEDENCE);
        for setting in FlagPrecedence::ALL {
            assert_eq!(setting.name().parse::<FlagPrecedence>(), Ok(setting));
        }
        let refused = "both".parse::<FlagPrecedence>().expect_err("not a setting");
        // The message names every setting.
        for setting in FlagPrecedence::ALL {
            assert!(refused.contains(setting.name()), "{refused}");
        }
        assert_eq!(
            TenantState::of(Some(&AdvancedConfigState::from_wire("unknownFutureValue"))),
            TenantState::Unknown
        );
        assert_eq!(TenantState::of(None), TenantState::MicrosoftManaged);
    }

    #[test]
    fn a_mobile_phone_prompts_for_sms_and_authenticator_for_push() {
        let phone_only = prompt(
            &[Registered::OfficePhone, Registered::MobilePhone],
            None,
            "u",
        );
        assert_eq!(
            phone_only.map(|p| p.to_string()).as_deref(),
            Some("sms (telephony)")
        );
        let both = prompt(
            &[Registered::MobilePhone, Registered::MicrosoftAuthenticator],
            None,
            "u",
        );
        assert_eq!(both.and_then(|p| p.as_default), Some(Method::Push));
    }
}
