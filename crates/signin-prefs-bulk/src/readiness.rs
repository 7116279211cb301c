//! Readiness for the SMS and voice retirement, from the registration report: who defaults to a
//! phone method, who must register something before they can be moved, who system-preferred MFA
//! covers.
//!
//! Microsoft stops delivering its own SMS and voice codes on 1 February 2027 (Learn, Entra
//! authentication, "SMS and voice retirement"). Before planning the move, an administrator asks
//! how many users it concerns and how many cannot be moved yet. One paged read of the report
//! answers it for the whole tenant; each user is classified as its page arrives and only counts are
//! kept, so a tenant of a million users costs the same memory as one of ten.
//!
//! A user can be moved only to a method the tenant's authentication methods policy lets them use,
//! so readiness reads the policy first, as `plan` does and through the same [`MethodsPolicy`]
//! (its groups listed once, through their transitive members), and says per user whether it keeps
//! them from Authenticator push or from OATH: the same verdict `plan` would reach.
//! [`PolicySetting::Ignore`] (`--ignore-policy`) skips it, and those counts are then absent.

use std::collections::BTreeMap;

use serde::Serialize;
use signin_prefs_client::Client;
use signin_prefs_model::UserDefaultAuthenticationMethodType as Method;

use crate::Error;
use crate::front_end::PolicyCommand;
use crate::policy::{MethodsPolicy, NotAllowed, PolicySetting};
use crate::registration_report::{ReportedState, report_list};
use crate::state::Registered;
use crate::system_preferred::{Coverage, FlagPrecedence};

/// The methods users are moved to, off SMS and voice.
pub(crate) const MOVE_TARGETS: [Method; 2] = [Method::Push, Method::Oath];

/// Methods a user can hold that are not second factors: the password is the first factor, and
/// Learn's "authentication methods" page says email and security questions serve self-service
/// password reset only.
const NOT_SECOND_FACTORS: [&str; 3] = ["password", "email", "securityQuestion"];

/// One user, as the report gives it and as readiness classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReadiness {
    /// The user principal name (or, without one, the object id).
    pub user: String,
    /// The object id.
    pub id: Option<String>,
    /// The default method, `None` when unset.
    pub default_method: Option<Method>,
    /// `isSystemPreferredAuthenticationMethodEnabled`.
    pub system_preferred: Option<bool>,
    /// Whether system-preferred MFA applies to the user, from the tenant's
    /// `systemCredentialPreferences` and the flag under the default [`FlagPrecedence`]
    /// ([`Coverage`], as `explain` and `plan` decide); `None` when that cannot be told (the policy
    /// was not read, or targets the user through a role).
    pub system_preferred_applies: Option<bool>,
    /// The registered methods, sorted, without repeats.
    pub registered: Vec<Registered>,
    /// What the authentication methods policy says of the methods users move to; `None` when it
    /// was not read (`--ignore-policy`).
    pub policy: Option<PolicyVerdict>,
}

/// Whether the tenant's authentication methods policy keeps a user from each method users are
/// moved to, and why ([`MethodsPolicy::allows`], as `plan` decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyVerdict {
    /// Why the policy keeps the user from Authenticator push, if it does.
    pub push: Option<NotAllowed>,
    /// Why the policy keeps the user from OATH (software and hardware tokens alike), if it does.
    pub oath: Option<NotAllowed>,
}

impl PolicyVerdict {
    /// The policy's verdict on `user` (an object id, or a principal name when the report gives
    /// none: group members are known by both, users named directly by their object id).
    pub fn of(policy: &MethodsPolicy, user: &str) -> Self {
        Self {
            push: policy.allows(user, &Method::Push).err(),
            oath: policy.allows(user, &Method::Oath).err(),
        }
    }

    /// Why the policy keeps the user from `method` (push or OATH), if it does.
    pub fn keeps_from(&self, method: &Method) -> Option<&NotAllowed> {
        match method {
            Method::Push => self.push.as_ref(),
            Method::Oath => self.oath.as_ref(),
            _ => None,
        }
    }
}

impl UserReadiness {
    /// The user's default is SMS or a voice call: what the retirement ends.
    pub fn phone_default(&self) -> bool {
        self.default_method.as_ref().is_some_and(is_phone_method)
    }

    /// No registered method makes Authenticator push or OATH possible: the user must register one
    /// before a default can be moved off the phone. (Whether the policy then allows it is
    /// [`policy_keeps_from`](Self::policy_keeps_from)'s answer.)
    pub fn must_register(&self) -> bool {
        !self
            .registered
            .iter()
            .any(|method| MOVE_TARGETS.iter().any(|target| method.enables(target)))
    }

    /// The user's default could be moved now: it is SMS or voice, and push or OATH is both
    /// registered and allowed by the policy (when it was read). These are the users `plan
    /// --method push,oath` would change.
    pub fn movable(&self) -> bool {
        self.phone_default()
            && MOVE_TARGETS.iter().any(|target| {
                self.registered.iter().any(|method| method.enables(target))
                    && !self.policy_keeps_from(target)
            })
    }

    /// The policy keeps the user from `method`: `false` when the policy was not read.
    pub fn policy_keeps_from(&self, method: &Method) -> bool {
        self.policy
            .as_ref()
            .is_some_and(|verdict| verdict.keeps_from(method).is_some())
    }

    /// The user's second factors are phone numbers and nothing else.
    pub fn only_phone_methods(&self) -> bool {
        let second_factors: Vec<&Registered> = self
            .registered
            .iter()
            .filter(|method| match method {
                Registered::Other(name) => !NOT_SECOND_FACTORS.contains(&name.as_str()),
                _ => true,
            })
            .collect();
        !second_factors.is_empty() && second_factors.iter().all(|method| is_phone(method))
    }

    /// System-preferred MFA is on for the user.
    pub fn system_preferred(&self) -> bool {
        self.system_preferred == Some(true)
    }
}

/// Whether `method` is delivered by Microsoft's own SMS or voice service.
fn is_phone_method(method: &Method) -> bool {
    [
        Registered::MobilePhone,
        Registered::AlternateMobilePhone,
        Registered::OfficePhone,
    ]
    .iter()
    .any(|phone| phone.enables(method))
}

fn is_phone(method: &Registered) -> bool {
    matches!(
        method,
        Registered::MobilePhone | Registered::AlternateMobilePhone | Registered::OfficePhone
    )
}

/// The tenant's counts. Every user is in exactly one `by_default_method` entry; the other counts
/// are of users with that property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Users the report lists.
    pub users: u64,
    /// Users per default method (`none` for no default).
    pub by_default_method: BTreeMap<String, u64>,
    /// Users whose default is SMS or a voice call.
    pub phone_default: u64,
    /// Of those, users who could be moved now (Authenticator or OATH is registered and, when the
    /// policy was read, allowed).
    pub phone_default_movable: u64,
    /// Users with no method that allows Authenticator push or OATH: they must register first.
    pub must_register: u64,
    /// Users whose only second factors are phone numbers.
    pub only_phone_methods: u64,
    /// Users with system-preferred MFA on (their flag).
    pub system_preferred: u64,
    /// Users system-preferred MFA applies to, the tenant's policy and their flag together (see
    /// [`UserReadiness::system_preferred_applies`]): their default method matters only to the NPS
    /// extension and the AD FS adapter. `None` when the policy was not read.
    pub system_preferred_applies: Option<u64>,
    /// Whether the authentication methods policy was read (not with `--ignore-policy`); the
    /// counts below are `None` when it was not.
    pub policy_read: bool,
    /// Users the policy keeps from Authenticator push (it disables the method, excludes them, or
    /// includes only others).
    pub policy_keeps_from_push: Option<u64>,
    /// Users the policy keeps from OATH (software and hardware tokens).
    pub policy_keeps_from_oath: Option<u64>,
    /// Users the policy keeps from both: whatever they register, they cannot be moved off SMS or
    /// voice until the policy changes.
    pub policy_keeps_from_both: Option<u64>,
}

impl Readiness {
    /// No users yet; `policy_read` says whether the policy's counts are kept.
    pub fn new(policy_read: bool) -> Self {
        let start = policy_read.then_some(0);
        Self {
            policy_read,
            policy_keeps_from_push: start,
            policy_keeps_from_oath: start,
            policy_keeps_from_both: start,
            system_preferred_applies: start,
            ..Self::default()
        }
    }

    /// Counts `user` in.
    pub fn add(&mut self, user: &UserReadiness) {
        self.users += 1;
        let method = user
            .default_method
            .as_ref()
            .map_or("none", |method| method.as_str());
        *self.by_default_method.entry(method.to_owned()).or_default() += 1;
        let count = |yes: bool| u64::from(yes);
        self.phone_default += count(user.phone_default());
        self.phone_default_movable += count(user.movable());
        self.must_register += count(user.must_register());
        self.only_phone_methods += count(user.only_phone_methods());
        self.system_preferred += count(user.system_preferred());
        let push = user.policy_keeps_from(&Method::Push);
        let oath = user.policy_keeps_from(&Method::Oath);
        for (total, kept) in [
            (&mut self.policy_keeps_from_push, push),
            (&mut self.policy_keeps_from_oath, oath),
            (&mut self.policy_keeps_from_both, push && oath),
            (
                &mut self.system_preferred_applies,
                user.system_preferred_applies == Some(true),
            ),
        ] {
            if let Some(total) = total {
                *total += count(kept);
            }
        }
    }
}

/// One of readiness's counts, as every form of it names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    /// Its label for people, indented by two spaces when it is a part of the one before.
    pub label: String,
    /// Its name in CSV and JSON (`phoneDefault`, `defaultMethod.sms`, …).
    pub name: String,
    /// How many users.
    pub count: u64,
}

impl Readiness {
    /// The counts, in the order they are shown; those of the policy are left out, rather than
    /// shown as 0, when it was not read.
    pub fn measures(&self) -> Vec<Measure> {
        let measure = |label: &str, name: &str, count: u64| Measure {
            label: label.to_owned(),
            name: name.to_owned(),
            count,
        };
        let mut rows = vec![measure("users", "users", self.users)];
        for (method, count) in &self.by_default_method {
            rows.push(measure(
                &format!("  default {method}"),
                &format!("defaultMethod.{method}"),
                *count,
            ));
        }
        rows.extend([
            measure(
                "default is SMS or voice",
                "phoneDefault",
                self.phone_default,
            ),
            measure(
                "  of them, movable now",
                "phoneDefaultMovable",
                self.phone_default_movable,
            ),
            measure("must register first", "mustRegister", self.must_register),
            measure(
                "only phone methods",
                "onlyPhoneMethods",
                self.only_phone_methods,
            ),
            measure(
                "system-preferred MFA on",
                "systemPreferred",
                self.system_preferred,
            ),
        ]);
        for (label, name, count) in [
            (
                "policy keeps from push",
                "policyKeepsFromPush",
                self.policy_keeps_from_push,
            ),
            (
                "policy keeps from OATH",
                "policyKeepsFromOath",
                self.policy_keeps_from_oath,
            ),
            (
                "  from both",
                "policyKeepsFromBoth",
                self.policy_keeps_from_both,
            ),
            (
                "system-preferred MFA applies (policy and flag)",
                "systemPreferredApplies",
                self.system_preferred_applies,
            ),
        ] {
            if let Some(count) = count {
                rows.push(measure(label, name, count));
            }
        }
        rows
    }
}

/// Reads the tenant's authentication methods policy (unless `policy` says to ignore it: a token
/// that may not read it is refused, naming the permission and `--ignore-policy`, before the report
/// is read), then the registration report page by page, handing each user to `each` as it is
/// classified, and returns the tenant's counts. The report needs Entra ID P1 or P2 and
/// `AuditLog.Read.All`.
pub async fn read_readiness(
    client: &Client,
    policy: PolicySetting,
    each: &mut (dyn FnMut(&UserReadiness) + Send),
) -> Result<Readiness, Error> {
    let policy = read_policy(client, policy).await?;
    read_report(client, policy.as_ref(), each).await
}

/// The policy readiness decides under, read once; `None` when it is ignored.
pub(crate) async fn read_policy(
    client: &Client,
    setting: PolicySetting,
) -> Result<Option<MethodsPolicy>, Error> {
    match setting {
        PolicySetting::Ignore => Ok(None),
        PolicySetting::Apply => {
            let policy = MethodsPolicy::read_for(client, PolicyCommand::Readiness).await?;
            tracing::info!(
                group_members = policy.member_digests(),
                "read the authentication methods policy"
            );
            Ok(Some(policy))
        }
    }
}

/// The report's users, classified under `policy` as their pages arrive.
pub(crate) async fn read_report(
    client: &Client,
    policy: Option<&MethodsPolicy>,
    each: &mut (dyn FnMut(&UserReadiness) + Send),
) -> Result<Readiness, Error> {
    let mut readiness = Readiness::new(policy.is_some());
    client
        .for_each_item(report_list(None), |detail| {
            let state = ReportedState::of(&detail);
            let key = detail
                .id
                .as_deref()
                .or(detail.user_principal_name.as_deref())
                .unwrap_or_default();
            let user = UserReadiness {
                policy: policy.map(|policy| PolicyVerdict::of(policy, key)),
                user: detail
                    .user_principal_name
                    .clone()
                    .or_else(|| detail.id.clone())
                    .unwrap_or_default(),
                id: detail.id.clone(),
                default_method: state.method,
                system_preferred: state.system_preferred,
                system_preferred_applies: Coverage::for_user(
                    policy,
                    key,
                    state.system_preferred,
                    FlagPrecedence::default(),
                )
                .applies(),
                registered: state.registered,
            };
            readiness.add(&user);
            each(&user);
        })
        .await
        .map_err(|error| Error::Service {
            context: "cannot read the registration report".into(),
            source: Box::new(error),
        })?;
    Ok(readiness)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn registered() -> impl Strategy<Value = Registered> {
        crate::state::any_registered(&["email", "passKeySynced"])
    }

    fn verdict() -> impl Strategy<Value = PolicyVerdict> {
        let kept = |method: Method| {
            proptest::option::of(Just(NotAllowed::new(
                &method,
                &["Some configuration: disabled"],
            )))
        };
        (kept(Method::Push), kept(Method::Oath))
            .prop_map(|(push, oath)| PolicyVerdict { push, oath })
    }

    fn user() -> impl Strategy<Value = UserReadiness> {
        let methods: Vec<Method> = Method::MEMBERS
            .iter()
            .map(|name| Method::from_wire(name))
            .collect();
        (
            proptest::option::of(prop::sample::select(methods)),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            prop::collection::vec(registered(), 0..5),
            verdict(),
        )
            .prop_map(
                |(default_method, system_preferred, applies, registered, policy)| UserReadiness {
                    user: "a@contoso.com".into(),
                    id: None,
                    default_method,
                    system_preferred,
                    system_preferred_applies: applies,
                    registered,
                    policy: Some(policy),
                },
            )
    }

    /// A tenant's users, read with the policy or (`--ignore-policy`) without it.
    fn tenant() -> impl Strategy<Value = (bool, Vec<UserReadiness>)> {
        (any::<bool>(), prop::collection::vec(user(), 0..40)).prop_map(
            |(policy_read, mut users)| {
                if !policy_read {
                    users.iter_mut().for_each(|user| user.policy = None);
                }
                (policy_read, users)
            },
        )
    }

    proptest! {
        /// Every user is counted once by default method; each other count is the users with that
        /// property; the movable phone defaults are those with push or OATH registered and allowed,
        /// which without the policy are the phone defaults that need nothing new.
        #[test]
        fn the_counts_are_the_users_with_each_property((policy_read, users) in tenant()) {
            let mut readiness = Readiness::new(policy_read);
            users.iter().for_each(|user| readiness.add(user));
            let count = |test: &dyn Fn(&UserReadiness) -> bool| {
                u64::try_from(users.iter().filter(|user| test(user)).count()).unwrap_or(u64::MAX)
            };
            prop_assert_eq!(readiness.users, count(&|_| true));
            prop_assert_eq!(readiness.by_default_method.values().sum::<u64>(), readiness.users);
            prop_assert_eq!(readiness.phone_default, count(&UserReadiness::phone_default));
            prop_assert_eq!(readiness.must_register, count(&UserReadiness::must_register));
            prop_assert_eq!(readiness.only_phone_methods, count(&UserReadiness::only_phone_methods));
            prop_assert_eq!(readiness.system_preferred, count(&UserReadiness::system_preferred));
            prop_assert_eq!(readiness.phone_default_movable, count(&UserReadiness::movable));
            prop_assert!(users.iter().all(|user| !user.movable() || !user.must_register()));
            // Only phones registered means nothing allows push or OATH.
            prop_assert!(users.iter().all(|user| !user.only_phone_methods() || user.must_register()));

            let kept = |method: Method| move |user: &UserReadiness| user.policy_keeps_from(&method);
            prop_assert_eq!(readiness.policy_read, policy_read);
            if policy_read {
                prop_assert_eq!(readiness.policy_keeps_from_push, Some(count(&kept(Method::Push))));
                prop_assert_eq!(readiness.policy_keeps_from_oath, Some(count(&kept(Method::Oath))));
                prop_assert_eq!(
                    readiness.policy_keeps_from_both,
                    Some(count(&|user| kept(Method::Push)(user) && kept(Method::Oath)(user)))
                );
                // Kept from both, a user cannot be moved whatever they registered.
                let kept_from_both = |user: &UserReadiness| kept(Method::Push)(user) && kept(Method::Oath)(user);
                prop_assert!(users.iter().all(|user| !kept_from_both(user) || !user.movable()));
                prop_assert_eq!(
                    readiness.system_preferred_applies,
                    Some(count(&|user| user.system_preferred_applies == Some(true)))
                );
            } else {
                prop_assert_eq!(
                    (readiness.policy_keeps_from_push, readiness.policy_keeps_from_oath, readiness.policy_keeps_from_both),
                    (None, None, None)
                );
                prop_assert_eq!(readiness.system_preferred_applies, None);
                prop_assert_eq!(
                    readiness.phone_default_movable,
                    readiness.phone_default - count(&|user| user.phone_default() && user.must_register())
                );
            }
        }
    }

    #[test]
    fn a_phone_default_is_sms_or_a_voice_call_and_only_those() {
        for name in Method::MEMBERS {
            let method = Method::from_wire(name);
            let phone = method.as_str().starts_with("sms") || method.as_str().starts_with("voice");
            assert_eq!(is_phone_method(&method), phone, "{name}");
        }
    }

    #[test]
    fn email_and_security_questions_are_not_second_factors() {
        let user = UserReadiness {
            user: "a@contoso.com".into(),
            id: None,
            default_method: Some(Method::Sms),
            system_preferred: None,
            system_preferred_applies: None,
            registered: vec![
                Registered::MobilePhone,
                Registered::Other("email".into()),
                Registered::Other("securityQuestion".into()),
            ],
            policy: None,
        };
        assert!(user.only_phone_methods() && user.must_register() && user.phone_default());
        let with_passkey = UserReadiness {
            registered: vec![
                Registered::MobilePhone,
                Registered::Other("passKeySynced".into()),
            ],
            ..user
        };
        assert!(!with_passkey.only_phone_methods());
    }
}
