//! One user's resources (`signInPreferences`, `authentication/methods`): the gates in Graph's order
//! (faults, token, permission, budget, then the user), and the handlers behind them.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use signin_prefs_model::{SignInPreferences, UserDefaultAuthenticationMethodType};

use super::patch::parse_patch;
use super::response::{Correlation, GRAPH_ROOT, GraphResponse, header_str};
use super::route::{GraphRequest, Resource, UserRef, Version, key_literal};
use super::service::Graph;
use crate::auth::{Access, TokenClaims, permits_operation, permits_target};
use crate::faults::{FaultRoute, FaultTarget};
use crate::gates::Validated;
use crate::ids::{SplitMix64, format_guid};
use crate::tenant::StoreUnavailable;
use crate::users::AuthMethod;

enum Resolved {
    Found {
        position: usize,
        id: String,
        upn: String,
    },
    Unknown {
        key: String,
    },
    MeWithoutUser,
}

impl Graph {
    /// Faults, auth, throttling, then the resource handler: the one path of a direct request and
    /// of a `$batch` item.
    pub(crate) async fn resource(
        &self,
        version: Version,
        resource: Resource,
        request: GraphRequest<'_>,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        let (user, fault_route, access) = match (&resource, request.method) {
            (Resource::List(kind), &Method::GET) => {
                return self
                    .list(version, kind.clone(), &request, claims, correlation)
                    .await;
            }
            (Resource::MethodsPolicy, &Method::GET) => {
                return self.methods_policy(version, claims, correlation).await;
            }
            (Resource::Count(kind), &Method::GET) => {
                return self
                    .count(kind.clone(), &request, claims, correlation)
                    .await;
            }
            (Resource::SignInPreferences(user), &Method::GET) => {
                (user, FaultRoute::GetSignInPreferences, Access::Read)
            }
            (Resource::SignInPreferences(user), &Method::PATCH) => {
                (user, FaultRoute::PatchSignInPreferences, Access::Write)
            }
            (Resource::Methods(user), &Method::GET) => {
                (user, FaultRoute::ListMethods, Access::Read)
            }
            _ => return GraphResponse::method_not_allowed(correlation),
        };
        let claims = claims.clone();
        let resolved = match self.resolve(user, claims.as_deref().ok()) {
            Ok(resolved) => resolved,
            Err(unavailable) => return GraphResponse::internal(unavailable, correlation),
        };

        let keys: Vec<&str> = match &resolved {
            Resolved::Found { id, upn, .. } => vec![id.as_str(), upn.as_str()],
            Resolved::Unknown { key } => vec![key.as_str()],
            Resolved::MeWithoutUser => Vec::new(),
        };
        let transport_fault = match self
            .fault_gate(
                &FaultTarget {
                    route: fault_route,
                    user_keys: &keys,
                },
                correlation,
            )
            .await
        {
            Ok(fault) => fault,
            Err(response) => return response,
        };
        drop(keys);

        let mut response = self
            .authorized(
                version,
                resource,
                &request,
                claims,
                resolved,
                access,
                correlation,
            )
            .unwrap_or_else(|unavailable| GraphResponse::internal(unavailable, correlation));
        response.fault = transport_fault;
        response
    }

    fn resolve(
        &self,
        user: &UserRef,
        claims: Option<&TokenClaims>,
    ) -> Result<Resolved, StoreUnavailable> {
        let key = match user {
            UserRef::Key(key) => key.as_str(),
            UserRef::Me => match claims.and_then(|claims| claims.user.as_deref()) {
                Some(key) => key,
                None => return Ok(Resolved::MeWithoutUser),
            },
        };
        Ok(match self.tenant.find(key)? {
            Some(record) => Resolved::Found {
                position: record.index,
                id: record.id,
                upn: record.user_principal_name,
            },
            None => Resolved::Unknown {
                key: key.to_owned(),
            },
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn authorized(
        &self,
        version: Version,
        resource: Resource,
        request: &GraphRequest<'_>,
        claims: Validated,
        resolved: Resolved,
        access: Access,
        correlation: &Correlation,
    ) -> Result<GraphResponse, StoreUnavailable> {
        let claims = match claims {
            Ok(claims) => claims,
            Err(rejection) => return Ok(GraphResponse::unauthorized(rejection, correlation)),
        };
        if !permits_operation(&claims, access) {
            return Ok(GraphResponse::access_denied(correlation));
        }
        if let Some(throttled) = self.throttle_gate(&claims, access == Access::Write, correlation) {
            return Ok(throttled);
        }
        let (position, key) = match resolved {
            Resolved::Found { position, id, upn } => {
                let key = match &resource {
                    Resource::SignInPreferences(UserRef::Key(key))
                    | Resource::Methods(UserRef::Key(key)) => key.clone(),
                    _ => id.clone(),
                };
                let acting_on_self = claims.user.as_deref().is_some_and(|user| {
                    user.eq_ignore_ascii_case(&id) || user.eq_ignore_ascii_case(&upn)
                });
                let target_is_admin = self.tenant.users()?.is_admin(position);
                if !permits_target(&claims, access, acting_on_self, target_is_admin) {
                    return Ok(GraphResponse::access_denied(correlation));
                }
                (position, key)
            }
            Resolved::Unknown { key } => {
                return Ok(self.no_such_user(&key, correlation));
            }
            Resolved::MeWithoutUser => {
                return Ok(GraphResponse::bad_request(
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                    correlation,
                ));
            }
        };
        match (resource, request.method) {
            (Resource::SignInPreferences(_), &Method::PATCH) => {
                self.patch(position, &key, request, correlation)
            }
            (Resource::SignInPreferences(_), _) => self.get(version, position, &key, correlation),
            (_, _) => self.list_methods(version, position, &key, correlation),
        }
    }

    fn get(
        &self,
        version: Version,
        position: usize,
        key: &str,
        correlation: &Correlation,
    ) -> Result<GraphResponse, StoreUnavailable> {
        let Some(state) = self.tenant.users()?.state(position) else {
            return Ok(self.no_such_user(key, correlation));
        };
        let body = json!({
            "@odata.context": format!(
                "{GRAPH_ROOT}/{}/$metadata#users('{}')/authentication/signInPreferences",
                version.segment(),
                key_literal(key)
            ),
            "isSystemPreferredAuthenticationMethodEnabled": state.system_preferred_enabled,
            "userPreferredMethodForSecondaryAuthentication": state.preferred.as_ref().map(UserDefaultAuthenticationMethodType::as_str),
            "systemPreferredAuthenticationMethod": state.system_preferred_method(),
        });
        Ok(GraphResponse::json(StatusCode::OK, body))
    }

    fn patch(
        &self,
        position: usize,
        key: &str,
        request: &GraphRequest<'_>,
        correlation: &Correlation,
    ) -> Result<GraphResponse, StoreUnavailable> {
        let content_type = header_str(request.headers, "content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !media_type.eq_ignore_ascii_case("application/json") {
            // Status and wording unconfirmed; Graph documents 415 for unsupported media types.
            return Ok(GraphResponse::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                &format!("Content-Type '{content_type}' is not supported; use application/json."),
                correlation,
            ));
        }
        let patch = match parse_patch(request.body, self.patch_leniency) {
            Ok(patch) => patch,
            Err(message) => {
                return Ok(GraphResponse::bad_request(
                    "BadRequest",
                    &message,
                    correlation,
                ));
            }
        };
        let sets_preferred = !patch
            .user_preferred_method_for_secondary_authentication
            .is_absent();
        let outcome = self.tenant.users()?.update(position, |mut state| {
            let mut current = SignInPreferences::default();
            current.is_system_preferred_authentication_method_enabled =
                state.system_preferred_enabled;
            current.user_preferred_method_for_secondary_authentication = state.preferred.clone();
            let merged = signin_prefs_core::apply(current, &patch);
            if sets_preferred
                && let Some(preferred) = &merged.user_preferred_method_for_secondary_authentication
                && !state.methods.supports(preferred)
            {
                return Err(preferred.as_str().to_owned());
            }
            state.system_preferred_enabled =
                merged.is_system_preferred_authentication_method_enabled;
            state.preferred = merged.user_preferred_method_for_secondary_authentication;
            Ok(state)
        });
        Ok(match outcome {
            Some(Ok(_)) => GraphResponse::no_content(),
            Some(Err(method)) => {
                GraphResponse::configured(&self.unregistered_method, key, &method, correlation)
            }
            None => self.no_such_user(key, correlation),
        })
    }

    fn list_methods(
        &self,
        version: Version,
        position: usize,
        key: &str,
        correlation: &Correlation,
    ) -> Result<GraphResponse, StoreUnavailable> {
        let Some(record) = self.tenant.users()?.record(position) else {
            return Ok(self.no_such_user(key, correlation));
        };
        let mut generator = SplitMix64::for_item(self.tenant.seed, 3, record.index as u64);
        let mut value = vec![json!({
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            // Graph uses this fixed id for every user's password method.
            "id": "28c10230-6103-485e-b985-444c60001490",
            "password": null,
            "createdDateTime": null,
        })];
        let phone_digits = 5_550_000 + record.index as u64 % 10_000;
        for method in record.state.methods.methods() {
            let id = format_guid(generator.guid());
            value.push(match method {
                AuthMethod::MobilePhone => phone_method("3179e48a-750b-4051-897c-87b9720928f7", "mobile", phone_digits),
                AuthMethod::AlternateMobilePhone => {
                    phone_method("b6332ec1-7057-4abe-9331-3d72feddfe41", "alternateMobile", phone_digits + 1)
                }
                AuthMethod::OfficePhone => phone_method("e37fc753-ff3b-4958-9484-eaa9425c82bc", "office", phone_digits + 2),
                AuthMethod::MicrosoftAuthenticator => json!({
                    "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
                    "id": id, "displayName": "Contoso Phone", "deviceTag": "SoftwareTokenActivated",
                    "phoneAppVersion": "6.2401.0119", "createdDateTime": "2024-01-15T09:30:00Z",
                }),
                AuthMethod::SoftwareOath => json!({
                    "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
                    "id": id, "secretKey": null,
                }),
                AuthMethod::HardwareOath => json!({
                    "@odata.type": "#microsoft.graph.hardwareOathAuthenticationMethod",
                    "id": id, "displayName": "Token", "serialNumber": format!("{:08}", record.index),
                }),
                AuthMethod::Fido2 => json!({
                    "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
                    "id": id, "displayName": "Security key", "model": "YubiKey 5 NFC",
                    "attestationLevel": "attested", "createdDateTime": "2024-03-01T12:00:00Z",
                }),
                AuthMethod::Email => json!({
                    "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
                    "id": id, "emailAddress": format!("user{}@example.com", record.index),
                }),
                AuthMethod::WindowsHelloForBusiness => json!({
                    "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
                    "id": id, "displayName": "DESKTOP", "keyStrength": "normal",
                }),
                AuthMethod::TemporaryAccessPass => json!({
                    "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
                    "id": id, "lifetimeInMinutes": 60, "isUsableOnce": true,
                }),
            });
        }
        Ok(GraphResponse::json(
            StatusCode::OK,
            json!({
                "@odata.context": format!(
                    "{GRAPH_ROOT}/{}/$metadata#users('{}')/authentication/methods",
                    version.segment(),
                    key_literal(key)
                ),
                "value": value,
            }),
        ))
    }

    fn no_such_user(&self, key: &str, correlation: &Correlation) -> GraphResponse {
        GraphResponse::configured(&self.unknown_user, key, "", correlation)
    }
}

fn phone_method(id: &str, phone_type: &str, digits: u64) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
        "id": id,
        "phoneNumber": format!("+1 425{digits:07}"),
        "phoneType": phone_type,
        "smsSignInState": "notAllowedByPolicy",
    })
}
