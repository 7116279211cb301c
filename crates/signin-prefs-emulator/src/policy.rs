//! The tenant's authentication methods policy (`GET /policies/authenticationMethodsPolicy`): seeded
//! with a realistic default, replaced whole or a method at a time from the builder, the handle and
//! the admin API.
//!
//! The policy is held as the JSON the service sends, so whatever a test sets (properties this
//! build's model does not know included) is served back verbatim. Learn's sample response
//! (<https://learn.microsoft.com/graph/api/authenticationmethodspolicy-get?view=graph-rest-beta>)
//! lists the method configurations inline, each with its `@odata.type`, its `id` (`Fido2`,
//! `MicrosoftAuthenticator`, `Sms`, `Voice`, `SoftwareOath`, …), `state`, `excludeTargets` and
//! `includeTargets` (the group `all_users` standing for every user), and the system-preferred
//! settings in `systemCredentialPreferences`.

use serde_json::{Value, json};

use crate::error::Error;

/// The id of a method's configuration in the policy, and the `@odata.type` the service gives it.
const CONFIGURATION_TYPES: [(&str, &str); 9] = [
    (
        "MicrosoftAuthenticator",
        "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
    ),
    (
        "SoftwareOath",
        "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
    ),
    (
        "HardwareOath",
        "#microsoft.graph.hardwareOathAuthenticationMethodConfiguration",
    ),
    (
        "Sms",
        "#microsoft.graph.smsAuthenticationMethodConfiguration",
    ),
    (
        "Voice",
        "#microsoft.graph.voiceAuthenticationMethodConfiguration",
    ),
    (
        "Fido2",
        "#microsoft.graph.fido2AuthenticationMethodConfiguration",
    ),
    (
        "Email",
        "#microsoft.graph.emailAuthenticationMethodConfiguration",
    ),
    (
        "TemporaryAccessPass",
        "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    ),
    (
        "X509Certificate",
        "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
    ),
];

/// The include target that stands for every user of the tenant (Learn's samples: `all_users`).
pub const ALL_USERS: &str = "all_users";

/// One method's configuration in the policy, built for a test or a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodConfiguration {
    /// The configuration's id: `MicrosoftAuthenticator`, `SoftwareOath`, `HardwareOath`, `Sms`,
    /// `Voice`, `Fido2`, `Email`, `TemporaryAccessPass` or `X509Certificate`.
    pub id: String,
    /// Whether the method is enabled in the tenant.
    pub enabled: bool,
    /// Groups enabled for the method ([`ALL_USERS`] for everyone).
    pub include_groups: Vec<String>,
    /// Groups kept from the method.
    pub exclude_groups: Vec<String>,
}

impl MethodConfiguration {
    /// The configuration `id`, enabled for every user.
    pub fn enabled_for_all(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            enabled: true,
            include_groups: vec![ALL_USERS.to_owned()],
            exclude_groups: Vec::new(),
        }
    }

    /// The configuration `id`, disabled (its targets kept as the default's).
    pub fn disabled(id: &str) -> Self {
        Self {
            enabled: false,
            ..Self::enabled_for_all(id)
        }
    }

    /// Enabled only for the members of `groups`.
    pub fn including(mut self, groups: &[&str]) -> Self {
        self.include_groups = groups.iter().map(|&group| group.to_owned()).collect();
        self
    }

    /// Keeps the members of `groups` from the method.
    pub fn excluding(mut self, groups: &[&str]) -> Self {
        self.exclude_groups = groups.iter().map(|&group| group.to_owned()).collect();
        self
    }

    /// The configuration as the service sends it.
    pub fn to_json(&self) -> Value {
        let odata_type = CONFIGURATION_TYPES
            .iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(&self.id))
            .map_or(
                "#microsoft.graph.authenticationMethodConfiguration",
                |&(_, t)| t,
            );
        let target = |id: &String| json!({ "targetType": "group", "id": id });
        json!({
            "@odata.type": odata_type,
            "id": self.id,
            "state": if self.enabled { "enabled" } else { "disabled" },
            "excludeTargets": self.exclude_groups.iter().map(target).collect::<Vec<_>>(),
            "includeTargets": self.include_groups.iter().map(|id| {
                let mut value = target(id);
                if let Some(object) = value.as_object_mut() {
                    object.insert("isRegistrationRequired".into(), Value::Bool(false));
                }
                value
            }).collect::<Vec<_>>(),
        })
    }
}

/// The policy a new tenant is seeded with: Microsoft Authenticator, software OATH, SMS and voice
/// enabled for all users (the methods a migration off SMS and voice moves between), the others as
/// a tenant that has not touched them (FIDO2, email, Temporary Access Pass and certificates
/// disabled, hardware OATH disabled), and system-preferred MFA in its Microsoft-managed `default`
/// state for all users.
pub fn default_policy() -> Value {
    let configurations: Vec<Value> = [
        MethodConfiguration::enabled_for_all("MicrosoftAuthenticator"),
        MethodConfiguration::enabled_for_all("SoftwareOath"),
        MethodConfiguration::disabled("HardwareOath"),
        MethodConfiguration::enabled_for_all("Sms"),
        MethodConfiguration::enabled_for_all("Voice"),
        MethodConfiguration::disabled("Fido2"),
        MethodConfiguration::disabled("Email"),
        MethodConfiguration::disabled("TemporaryAccessPass"),
        MethodConfiguration::disabled("X509Certificate"),
    ]
    .iter()
    .map(MethodConfiguration::to_json)
    .collect();
    json!({
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
        "lastModifiedDateTime": "2026-01-01T00:00:00Z",
        "policyVersion": "1.5",
        "policyMigrationState": "migrationComplete",
        "systemCredentialPreferences": {
            "state": "default",
            "excludeTargets": [],
            "includeTargets": [{ "targetType": "group", "id": ALL_USERS }],
        },
        "authenticationMethodConfigurations": configurations,
    })
}

/// Checks that `policy` is a policy this emulator can serve: an object whose
/// `authenticationMethodConfigurations`, if given, is a list of objects each with an `id`.
pub(crate) fn check(policy: &Value) -> Result<(), Error> {
    let refuse = |message: &str| Err(Error::Policy(message.to_owned()));
    let Some(object) = policy.as_object() else {
        return refuse("the policy must be a JSON object");
    };
    match object.get("authenticationMethodConfigurations") {
        None => Ok(()),
        Some(Value::Array(configurations)) => {
            for configuration in configurations {
                if configuration.get("id").and_then(Value::as_str).is_none() {
                    return refuse(
                        "every entry of authenticationMethodConfigurations needs a string `id`",
                    );
                }
            }
            Ok(())
        }
        Some(_) => refuse("authenticationMethodConfigurations must be a list"),
    }
}

/// `policy` with the configuration of `configuration.id` replaced (or added).
pub(crate) fn with_configuration(mut policy: Value, configuration: &MethodConfiguration) -> Value {
    let new = configuration.to_json();
    if let Some(object) = policy.as_object_mut() {
        let list = object
            .entry("authenticationMethodConfigurations")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = list.as_array_mut() {
            match list.iter_mut().find(|existing| {
                existing
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| id.eq_ignore_ascii_case(&configuration.id))
            }) {
                Some(existing) => *existing = new,
                None => list.push(new),
            }
        }
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::*;
    use signin_prefs_model::AuthenticationMethodsPolicy;

    #[test]
    fn the_default_policy_reads_as_the_model_and_enables_the_migration_methods() {
        let policy: AuthenticationMethodsPolicy =
            serde_json::from_value(default_policy()).expect("the model reads the seed");
        let configurations = policy
            .authentication_method_configurations
            .expect("configurations");
        let authenticator = configurations
            .iter()
            .find(|c| c.id.as_deref() == Some("MicrosoftAuthenticator"))
            .expect("authenticator");
        assert_eq!(
            authenticator.state,
            Some(signin_prefs_model::AuthenticationMethodState::Enabled)
        );
        let include = authenticator
            .include_targets()
            .expect("targets")
            .expect("present");
        assert_eq!(include[0].id.as_deref(), Some(ALL_USERS));
        assert!(check(&default_policy()).is_ok());
    }

    #[test]
    fn a_configuration_is_replaced_by_its_id() {
        let policy = with_configuration(
            default_policy(),
            &MethodConfiguration::disabled("microsoftAuthenticator"),
        );
        let list = policy["authenticationMethodConfigurations"]
            .as_array()
            .expect("list");
        assert_eq!(list.len(), 9);
        assert_eq!(list[0]["state"], "disabled");
        assert!(check(&json!([])).is_err());
        assert!(check(&json!({"authenticationMethodConfigurations": [{}]})).is_err());
    }
}
