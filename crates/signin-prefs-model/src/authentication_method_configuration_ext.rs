//! A method configuration's include targets, which the sliced module does not describe.
//!
//! Learn gives `includeTargets` to each subtype of `authenticationMethodConfiguration`
//! (`smsAuthenticationMethodConfiguration`: "includeTargets | smsAuthenticationMethodTarget
//! collection | A collection of groups that are enabled to use the authentication method",
//! <https://learn.microsoft.com/graph/api/resources/smsauthenticationmethodconfiguration>), not to
//! the base, and Microsoft's Identity.SignIns module (`spec/upstream/`) carries the base alone: no
//! subtype schema is in it, so the slice cannot keep one. The service still sends the property
//! inline on `GET /policies/authenticationMethodsPolicy`, and the generated base keeps it in
//! `additional_properties`; this reads it there with the shape every subtype's target shares
//! (`id`, `targetType`), which is `includeTarget`'s. When a module with the subtypes is sliced, the
//! generated subtypes take over and this stays correct for the base.

use serde::Deserialize;

use crate::{AuthenticationMethodConfiguration, IncludeTarget};

impl AuthenticationMethodConfiguration {
    /// The JSON name of the property read by [`Self::include_targets`].
    pub const INCLUDE_TARGETS: &'static str = "includeTargets";

    /// The groups (or users) the configuration enables the method for: `None` when the service
    /// sent no `includeTargets`, and an error naming the property when they are not a list of
    /// targets.
    pub fn include_targets(&self) -> Result<Option<Vec<IncludeTarget>>, serde_json::Error> {
        match self.additional_properties.get(Self::INCLUDE_TARGETS) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => Vec::<IncludeTarget>::deserialize(value).map(Some),
        }
    }

    /// The `@odata.type` the service gave this configuration, e.g.
    /// `#microsoft.graph.smsAuthenticationMethodConfiguration`, if any.
    pub fn odata_type(&self) -> Option<&str> {
        self.additional_properties
            .get("@odata.type")
            .and_then(serde_json::Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use crate::{AuthenticationMethodConfiguration, AuthenticationMethodTargetType};

    #[test]
    fn include_targets_are_read_from_what_the_service_sends() {
        let configuration: AuthenticationMethodConfiguration = serde_json::from_str(
            r##"{"@odata.type":"#microsoft.graph.smsAuthenticationMethodConfiguration",
                 "id":"Sms","state":"enabled","excludeTargets":[],
                 "includeTargets":[{"targetType":"group","id":"all_users","isUsableForSignIn":true}]}"##,
        )
        .expect("a configuration as Learn shows it");
        let targets = configuration
            .include_targets()
            .expect("targets")
            .expect("present");
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].id.as_deref(), Some("all_users"));
        assert_eq!(
            targets[0].target_type,
            Some(AuthenticationMethodTargetType::Group)
        );
        assert_eq!(
            configuration.odata_type(),
            Some("#microsoft.graph.smsAuthenticationMethodConfiguration")
        );
        let bare: AuthenticationMethodConfiguration =
            serde_json::from_str(r#"{"id":"Email","state":"disabled"}"#).expect("bare");
        assert_eq!(bare.include_targets().expect("absent"), None);
        let broken: AuthenticationMethodConfiguration =
            serde_json::from_str(r#"{"id":"Sms","includeTargets":"all"}"#).expect("broken");
        assert!(broken.include_targets().is_err());
    }
}
