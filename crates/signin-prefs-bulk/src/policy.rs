//! The tenant's authentication methods policy, compiled once per plan into who may use which
//! default method.
//!
//! A method the policy disables, or whose include and exclude targets leave a user out, cannot be
//! used by that user even when registered ("authenticationMethodConfiguration: … whether a specific
//! authentication method is enabled or disabled for the tenant and which users and groups can
//! register and use that method",
//! <https://learn.microsoft.com/graph/api/resources/authenticationmethodconfiguration>), so the
//! planner must not make it the user's default. Which configuration governs which default method
//! follows the configurations' own pages: Microsoft Authenticator (`MicrosoftAuthenticator`) governs
//! `push`; software and hardware OATH tokens (`SoftwareOath`, `HardwareOath`) govern `oath`; text
//! message (`Sms`) governs `sms`; voice call (`Voice`) governs `voiceMobile`, `voiceAlternateMobile`
//! and `voiceOffice` (<https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods-manage>).
//!
//! The policy is read once (`GET /policies/authenticationMethodsPolicy`, which needs
//! `Policy.Read.All` or the narrower `Policy.Read.AuthenticationMethod`), and each group its
//! targets name is listed once through its transitive members. A group's members are held as
//! sorted 128-bit key digests of both object id and principal name (32 bytes a member), so a plan
//! can match a user named either way: a million-member group costs 32 MB, not a million strings.
//!
//! Assumptions, each stated where it is used: a method with no configuration in the policy is not
//! restricted by it (tenants whose policy migration is incomplete still govern it in the legacy
//! MFA and SSPR policies, which Graph does not expose here); a method with several configurations
//! (`oath`) is allowed when any of them allows the user; exclude targets win over include targets,
//! as Learn states for every configuration's `excludeTargets` ("Groups of users that are excluded
//! from the policy").

use std::collections::BTreeMap;
use std::fmt;

use futures_util::StreamExt as _;
use signin_prefs_client::{Client, ErrorKind};
use signin_prefs_model::{
    AuthenticationMethodConfiguration, AuthenticationMethodState, AuthenticationMethodTargetType,
    AuthenticationMethodsPolicy, UserDefaultAuthenticationMethodType as Method,
};
use signin_prefs_request::{GetAuthenticationMethodsPolicy, ListTransitiveMemberAsUser};

use crate::Error;
use crate::decide::decide_on;
use crate::front_end::{PolicyCommand, Refusal};
use crate::key_digest::KeyDigest;
use crate::plan::{PlanEntry, PlanOptions};
use crate::state::{Registered, UserState, supports};
use crate::system_preferred::{PolicyScope, TenantState};
use crate::targets::Target;

/// Whether a plan honours the tenant's authentication methods policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PolicySetting {
    /// Read the policy and leave out methods it keeps from a user (the default). A caller without
    /// the permission to read it gets an error saying so, before any user is read.
    #[default]
    Apply,
    /// Do not read the policy (`--ignore-policy`): every registered method is eligible.
    Ignore,
}

/// The include target that stands for every user (Learn's samples: `"id": "all_users"`).
const ALL_USERS: &str = "all_users";

/// The configurations that govern each default method, with the name an administrator sees in
/// the Entra admin center.
fn governing(method: &Method) -> &'static [(&'static str, &'static str)] {
    match method {
        Method::Push => &[("MicrosoftAuthenticator", "Microsoft Authenticator")],
        Method::Oath => &[
            ("SoftwareOath", "Third-party software OATH tokens"),
            ("HardwareOath", "Hardware OATH tokens"),
        ],
        Method::Sms => &[("Sms", "SMS")],
        Method::VoiceMobile | Method::VoiceAlternateMobile | Method::VoiceOffice => {
            &[("Voice", "Voice call")]
        }
        _ => &[],
    }
}

/// Who a configuration's targets name.
#[derive(Debug, Default)]
struct Audience {
    all_users: bool,
    /// Indexes into [`MethodsPolicy::groups`].
    groups: Vec<usize>,
    /// Users named directly (`targetType: user`), by digest of their object id.
    users: Vec<KeyDigest>,
}

/// One method configuration, compiled.
#[derive(Debug)]
struct Rule {
    id: String,
    enabled: bool,
    include: Audience,
    exclude: Audience,
}

/// The policy's `systemCredentialPreferences`, compiled; what it means for a user is
/// [`PolicyScope::from_parts`]'s to say.
#[derive(Debug)]
struct SystemPreferredRule {
    state: TenantState,
    include: Audience,
    exclude: Audience,
    /// Targets of a kind whose members this tool cannot list (a role, an administrative unit:
    /// Learn's `featureTargetType`), included and excluded.
    unresolved_include: bool,
    unresolved_exclude: bool,
}

impl Default for SystemPreferredRule {
    /// A policy that sends no `systemCredentialPreferences`: Microsoft-managed for all users (see
    /// [`crate::system_preferred`]'s assumptions).
    fn default() -> Self {
        Self {
            state: TenantState::MicrosoftManaged,
            include: Audience {
                all_users: true,
                ..Audience::default()
            },
            exclude: Audience::default(),
            unresolved_include: false,
            unresolved_exclude: false,
        }
    }
}

/// The policy, compiled: per configuration its state and targets, the system-preferred MFA
/// setting, and each referenced group's members as sorted digests.
#[derive(Debug, Default)]
pub struct MethodsPolicy {
    rules: Vec<Rule>,
    system_preferred: SystemPreferredRule,
    /// Each referenced group's members, digests of object ids and principal names, sorted.
    groups: Vec<Vec<KeyDigest>>,
}

/// Why the policy keeps a user from a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAllowed {
    method: String,
    why: Vec<String>,
}

impl NotAllowed {
    /// `method` kept from a user for `why`, as tests elsewhere in the crate need one.
    #[cfg(test)]
    pub(crate) fn new(method: &Method, why: &[&str]) -> Self {
        Self {
            method: method.as_str().to_owned(),
            why: why.iter().map(|&reason| reason.to_owned()).collect(),
        }
    }

    /// Why, per configuration that governs the method ("Microsoft Authenticator: disabled").
    pub fn reasons(&self) -> &[String] {
        &self.why
    }
}

impl fmt::Display for NotAllowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not allowed for this user by the authentication methods policy ({})",
            self.method,
            self.why.join("; ")
        )
    }
}

impl MethodsPolicy {
    /// Reads the policy and the members of every group it targets, once. A 403 is a refusal
    /// naming the permission and how to plan without the policy.
    pub async fn read(client: &Client) -> Result<Self, Error> {
        Self::read_for(client, PolicyCommand::Plan).await
    }

    /// [`read`](Self::read) for `command`, which a refusal tells the operator to run without the
    /// policy instead (each front end naming its own setting for that).
    pub async fn read_for(client: &Client, command: PolicyCommand) -> Result<Self, Error> {
        let policy = client
            .send(&GetAuthenticationMethodsPolicy::new())
            .await
            .map_err(|error| {
                if error.kind() == ErrorKind::Forbidden {
                    Error::Refused(Refusal::PolicyUnreadable {
                        command,
                        cause: error.to_string(),
                    })
                } else {
                    Error::Service {
                        context: "reading the authentication methods policy".into(),
                        source: Box::new(error),
                    }
                }
            })?;
        let mut compiled = Self::compile(&policy, command)?;
        let mut names: Vec<(String, usize)> = std::mem::take(&mut compiled.group_names)
            .into_iter()
            .collect();
        names.sort_by_key(|(_, index)| *index);
        for (group, _) in names {
            compiled
                .policy
                .groups
                .push(group_members(client, &group).await?);
        }
        Ok(compiled.policy)
    }

    /// The policy with its group targets numbered but not yet listed.
    fn compile(
        policy: &AuthenticationMethodsPolicy,
        command: PolicyCommand,
    ) -> Result<Compiled, Error> {
        let mut group_names: BTreeMap<String, usize> = BTreeMap::new();
        let mut audience = |targets: TargetRefs| {
            let mut audience = Audience::default();
            for (id, kind) in targets {
                let Some(id) = id else { continue };
                if id.eq_ignore_ascii_case(ALL_USERS) {
                    audience.all_users = true;
                } else if kind == Some(AuthenticationMethodTargetType::User) {
                    audience.users.push(KeyDigest::of(&id));
                } else {
                    // Groups, and target types newer than this build, which Graph has so far
                    // only added for groups.
                    let next = group_names.len();
                    audience
                        .groups
                        .push(*group_names.entry(id.to_lowercase()).or_insert(next));
                }
            }
            audience.users.sort_unstable();
            audience
        };
        let mut rules = Vec::new();
        for configuration in policy.authentication_method_configurations.iter().flatten() {
            let Some(id) = configuration.id.clone() else {
                continue;
            };
            let include = include_targets(configuration, &id, command)?;
            let exclude = configuration
                .exclude_targets
                .iter()
                .flatten()
                .map(|target| (target.id.clone(), target.target_type.clone()))
                .collect();
            rules.push(Rule {
                enabled: configuration.state == Some(AuthenticationMethodState::Enabled),
                include: audience(include),
                exclude: audience(exclude),
                id,
            });
        }
        let system_preferred = match &policy.system_credential_preferences {
            None => SystemPreferredRule::default(),
            Some(preferences) => {
                let (include, unresolved_include) = resolvable(
                    preferences
                        .include_targets
                        .iter()
                        .flatten()
                        .map(|target| (target.id.clone(), target.target_type.clone())),
                );
                let (exclude, unresolved_exclude) = resolvable(
                    preferences
                        .exclude_targets
                        .iter()
                        .flatten()
                        .map(|target| (target.id.clone(), target.target_type.clone())),
                );
                SystemPreferredRule {
                    state: TenantState::of(preferences.state.as_ref()),
                    include: audience(include),
                    exclude: audience(exclude),
                    unresolved_include,
                    unresolved_exclude,
                }
            }
        };
        Ok(Compiled {
            policy: MethodsPolicy {
                rules,
                system_preferred,
                groups: Vec::new(),
            },
            group_names,
        })
    }

    /// What the policy's system-preferred MFA setting says for `user` (an object id or principal
    /// name).
    pub fn system_preferred_scope(&self, user: &str) -> PolicyScope {
        let rule = &self.system_preferred;
        let digest = KeyDigest::of(user);
        let membership = |audience: &Audience, unresolved: bool| {
            if self.names(audience, digest) {
                Some(true)
            } else if unresolved {
                None
            } else {
                Some(false)
            }
        };
        PolicyScope::from_parts(
            rule.state,
            membership(&rule.exclude, rule.unresolved_exclude),
            membership(&rule.include, rule.unresolved_include),
        )
    }

    /// Whether the configuration `id` (`Fido2`, `TemporaryAccessPass`, `Sms`, …) lets `user` use
    /// its method: enabled, the user included and not excluded; a configuration the policy does
    /// not hold does not restrict (see the module's assumptions).
    pub fn allows_configuration(&self, user: &str, id: &str) -> bool {
        self.rules
            .iter()
            .find(|rule| rule.id.eq_ignore_ascii_case(id))
            .is_none_or(|rule| self.why_not(rule, "", KeyDigest::of(user)).is_none())
    }

    /// Why `rule` (the configuration an administrator knows as `name`) keeps `user` from its
    /// method, or `None` when it does not.
    fn why_not(&self, rule: &Rule, name: &str, user: KeyDigest) -> Option<String> {
        if !rule.enabled {
            Some(format!("{name}: disabled"))
        } else if self.names(&rule.exclude, user) {
            Some(format!("{name}: the user is in an excluded group"))
        } else if !self.names(&rule.include, user) {
            Some(format!(
                "{name}: the user is in none of its included groups"
            ))
        } else {
            None
        }
    }

    /// Whether the policy lets `user` (an object id or principal name) use `method` as a default.
    pub fn allows(&self, user: &str, method: &Method) -> Result<(), NotAllowed> {
        let governing = governing(method);
        let rules: Vec<(&Rule, &str)> = governing
            .iter()
            .filter_map(|(id, name)| {
                self.rules
                    .iter()
                    .find(|rule| rule.id.eq_ignore_ascii_case(id))
                    .map(|rule| (rule, *name))
            })
            .collect();
        // No configuration for the method: the policy does not govern it (see the module's
        // assumptions).
        if rules.is_empty() {
            return Ok(());
        }
        let digest = KeyDigest::of(user);
        let mut why = Vec::new();
        for (rule, name) in rules {
            match self.why_not(rule, name, digest) {
                Some(reason) => why.push(reason),
                None => return Ok(()),
            }
        }
        Err(NotAllowed {
            method: method.as_str().to_owned(),
            why,
        })
    }

    fn names(&self, audience: &Audience, user: KeyDigest) -> bool {
        audience.all_users
            || audience.users.binary_search(&user).is_ok()
            || audience.groups.iter().any(|&group| {
                self.groups
                    .get(group)
                    .is_some_and(|members| members.binary_search(&user).is_ok())
            })
    }

    /// How many group members the policy holds (each counted once per group), for logs.
    pub fn member_digests(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }
}

/// Targets as read from the policy: an id and its type, either possibly missing.
type TargetRefs = Vec<(Option<String>, Option<AuthenticationMethodTargetType>)>;

/// The system-preferred setting's targets this tool can resolve (users and groups), and whether
/// any other kind was left out: Learn's `featureTargetType` also names roles and administrative
/// units (<https://learn.microsoft.com/en-us/entra/identity/authentication/concept-system-preferred-multifactor-authentication>),
/// whose members the slice has no read for.
fn resolvable(
    targets: impl Iterator<Item = (Option<String>, Option<AuthenticationMethodTargetType>)>,
) -> (TargetRefs, bool) {
    let mut unresolved = false;
    let kept = targets
        .filter(|(_, kind)| {
            let known = matches!(
                kind,
                None | Some(
                    AuthenticationMethodTargetType::User | AuthenticationMethodTargetType::Group
                )
            );
            unresolved |= !known;
            known
        })
        .collect();
    (kept, unresolved)
}

struct Compiled {
    policy: MethodsPolicy,
    /// Lower-cased group id -> index into `policy.groups`.
    group_names: BTreeMap<String, usize>,
}

/// A configuration's include targets, read where the slice leaves them (see the model's
/// `include_targets`); a configuration that sends malformed ones stops the plan rather than
/// being guessed at.
fn include_targets(
    configuration: &AuthenticationMethodConfiguration,
    id: &str,
    command: PolicyCommand,
) -> Result<TargetRefs, Error> {
    let targets = configuration.include_targets().map_err(|error| {
        Error::Refused(Refusal::PolicyTargetsUnreadable {
            command,
            configuration: id.to_owned(),
            cause: error.to_string(),
        })
    })?;
    Ok(targets
        .into_iter()
        .flatten()
        .map(|target| (target.id, target.target_type))
        .collect())
}

/// The digests of the object ids and principal names of a group's transitive user members.
async fn group_members(client: &Client, group: &str) -> Result<Vec<KeyDigest>, Error> {
    let mut list = ListTransitiveMemberAsUser::new(group.to_owned());
    list.top = Some(999);
    list.select = vec!["id".into(), "userPrincipalName".into()];
    let mut members = Vec::new();
    let mut pages = std::pin::pin!(client.pages(list));
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| Error::Service {
            context: format!(
                "listing the members of group {group}, which the authentication methods policy targets"
            ),
            source: Box::new(error),
        })?;
        for user in signin_prefs_core::CollectionPage::into_items(page) {
            members.extend(user.id.as_deref().map(KeyDigest::of));
            members.extend(user.user_principal_name.as_deref().map(KeyDigest::of));
        }
    }
    members.sort_unstable();
    members.dedup();
    members.shrink_to_fit();
    Ok(members)
}

/// The policy a plan decides under: read once, before any other read so that a caller without the
/// permission is stopped at once, and only by a plan that applies it, names a method (in `options`
/// or, `per_user_values`, in its targets) and `decides_someone`: a list whose every user is
/// excluded sends nothing. `None` otherwise.
pub(crate) async fn read_for_plan(
    client: &Client,
    options: &PlanOptions,
    per_user_values: bool,
    decides_someone: bool,
) -> Result<Option<MethodsPolicy>, Error> {
    if options.policy != PolicySetting::Apply
        || (options.methods.is_empty() && !per_user_values)
        || !decides_someone
    {
        return Ok(None);
    }
    let policy = MethodsPolicy::read(client).await?;
    tracing::info!(
        group_members = policy.member_digests(),
        "read the authentication methods policy"
    );
    Ok(Some(policy))
}

/// [`decide`](crate::plan::decide) under the tenant's authentication methods `policy`.
pub fn decide_under_policy(
    target: &Target,
    state: &UserState,
    options: &PlanOptions,
    policy: &MethodsPolicy,
) -> PlanEntry {
    decide_on(
        target,
        &state.preferences,
        &state.registered,
        options,
        Some(policy),
    )
}

/// The first of a plan's methods that a user has registered and the policy allows, with why the
/// ones before it were passed over.
pub(crate) struct MethodChoice<'m> {
    /// The method chosen, if any is both registered and allowed.
    pub(crate) chosen: Option<&'m Method>,
    passed_over: Vec<String>,
    kept_by_policy: bool,
}

impl<'m> MethodChoice<'m> {
    /// Each of `methods` in turn: registered, then allowed by `policy`; the first that is both
    /// wins, and the ones passed over say why.
    pub(crate) fn make(
        methods: &'m [Method],
        registered: &[Registered],
        user: &str,
        policy: Option<&MethodsPolicy>,
    ) -> Self {
        let mut passed_over = Vec::new();
        let chosen = methods.iter().find(|method| {
            if !supports(registered, method) {
                passed_over.push(format!("{} is not registered", method.as_str()));
                return false;
            }
            match policy.map(|policy| policy.allows(user, method)) {
                Some(Err(not_allowed)) => {
                    passed_over.push(not_allowed.to_string());
                    false
                }
                _ => true,
            }
        });
        let kept_by_policy = passed_over
            .iter()
            .any(|reason| reason.contains("authentication methods policy"));
        Self {
            chosen,
            passed_over,
            kept_by_policy,
        }
    }

    /// Why none of `wanted` can be set for a user who registered `have`.
    pub(crate) fn ineligible_reason(&self, wanted: &str, have: &str) -> String {
        if self.kept_by_policy {
            format!(
                "none of {wanted} can be set: {} (registered: {have})",
                self.passed_over.join("; ")
            )
        } else {
            format!("none of {wanted} is registered (registered: {have})")
        }
    }

    /// The note on a change to the chosen method when it is not `first`, the list's first.
    pub(crate) fn fallback_note(&self, first: Option<&Method>) -> String {
        match self.chosen {
            Some(method) if first != Some(method) && self.kept_by_policy => {
                format!(" (fallback: {})", self.passed_over.join("; "))
            }
            Some(method) if first != Some(method) => {
                " (first registered of the fallback list)".to_owned()
            }
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: serde_json::Value) -> MethodsPolicy {
        let policy: AuthenticationMethodsPolicy = serde_json::from_value(json).expect("policy");
        let mut compiled = MethodsPolicy::compile(&policy, PolicyCommand::Plan).expect("compiled");
        // Group "g1" holds adele, by object id and principal name.
        for _ in 0..compiled.group_names.len() {
            let mut members = vec![
                KeyDigest::of("adele@contoso.com"),
                KeyDigest::of("id-adele"),
            ];
            members.sort_unstable();
            compiled.policy.groups.push(members);
        }
        compiled.policy
    }

    fn configuration(id: &str, state: &str, include: &str, exclude: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "id": id, "state": state,
            "includeTargets": [{"targetType": "group", "id": include}],
            "excludeTargets": exclude.iter().map(|g| serde_json::json!({"targetType": "group", "id": g})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn the_policy_decides_per_method_and_user() {
        let policy = policy(serde_json::json!({"authenticationMethodConfigurations": [
            configuration("MicrosoftAuthenticator", "disabled", "all_users", &[]),
            configuration("SoftwareOath", "enabled", "g1", &[]),
            configuration("HardwareOath", "disabled", "all_users", &[]),
            configuration("Sms", "enabled", "all_users", &["G1"]),
        ]}));
        let push = policy
            .allows("adele@contoso.com", &Method::Push)
            .expect_err("disabled");
        assert_eq!(
            push.to_string(),
            "push is not allowed for this user by the authentication methods policy (Microsoft Authenticator: disabled)"
        );
        assert!(policy.allows("ADELE@contoso.com", &Method::Oath).is_ok());
        assert!(policy.allows("id-adele", &Method::Oath).is_ok());
        let oath = policy
            .allows("alex@contoso.com", &Method::Oath)
            .expect_err("not included");
        assert!(oath.to_string().contains("Third-party software OATH tokens: the user is in none of its included groups; Hardware OATH tokens: disabled"), "{oath}");
        assert!(policy.allows("alex@contoso.com", &Method::Sms).is_ok());
        let sms = policy
            .allows("adele@contoso.com", &Method::Sms)
            .expect_err("excluded");
        assert!(
            sms.to_string()
                .contains("SMS: the user is in an excluded group"),
            "{sms}"
        );
        // Voice has no configuration: not governed.
        assert!(
            policy
                .allows("adele@contoso.com", &Method::VoiceMobile)
                .is_ok()
        );
        assert_eq!(
            policy.groups.len(),
            1,
            "g1 and G1 are one group, listed once"
        );
    }

    #[test]
    fn the_system_preferred_setting_decides_per_user() {
        use crate::system_preferred::PolicyScope;
        let with = |preferences: serde_json::Value| {
            policy(serde_json::json!({
                "authenticationMethodConfigurations": [configuration("Fido2", "disabled", "all_users", &[])],
                "systemCredentialPreferences": preferences,
            }))
        };
        // Enabled for all but group g1 (adele): exclusion wins.
        let excluding = with(serde_json::json!({"state": "enabled",
            "includeTargets": [{"targetType": "group", "id": "all_users"}],
            "excludeTargets": [{"targetType": "group", "id": "g1"}]}));
        assert_eq!(
            excluding.system_preferred_scope("id-adele"),
            PolicyScope::Excluded
        );
        assert_eq!(
            excluding.system_preferred_scope("alex@contoso.com"),
            PolicyScope::Applies {
                microsoft_managed: false
            }
        );
        // Microsoft-managed for g1 only.
        let managed = with(serde_json::json!({"state": "default",
            "includeTargets": [{"targetType": "group", "id": "g1"}], "excludeTargets": []}));
        assert_eq!(
            managed.system_preferred_scope("adele@contoso.com"),
            PolicyScope::Applies {
                microsoft_managed: true
            }
        );
        assert_eq!(
            managed.system_preferred_scope("alex@contoso.com"),
            PolicyScope::NotIncluded
        );
        // Disabled: the targets do not matter.
        let disabled = with(serde_json::json!({"state": "disabled",
            "includeTargets": [{"targetType": "group", "id": "all_users"}]}));
        assert_eq!(
            disabled.system_preferred_scope("adele@contoso.com"),
            PolicyScope::Disabled
        );
        // A role target cannot be resolved: who it might name is unknown, not guessed.
        let role = with(serde_json::json!({"state": "enabled",
            "includeTargets": [{"targetType": "group", "id": "g1"}],
            "excludeTargets": [{"targetType": "role", "id": "62e90394-69f5-4237-9190-012177145e10"}]}));
        assert_eq!(
            role.system_preferred_scope("adele@contoso.com"),
            PolicyScope::Unknown
        );
        // No setting at all: Microsoft-managed for everyone.
        let unset = policy(serde_json::json!({"authenticationMethodConfigurations": []}));
        assert_eq!(
            unset.system_preferred_scope("anyone@contoso.com"),
            PolicyScope::Applies {
                microsoft_managed: true
            }
        );
        // Configurations by id: disabled, or absent (unrestricted).
        assert!(!excluding.allows_configuration("alex@contoso.com", "fido2"));
        assert!(excluding.allows_configuration("alex@contoso.com", "TemporaryAccessPass"));
    }
}
