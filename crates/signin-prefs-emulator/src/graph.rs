//! The Graph surface: routing, authorization, validation, the resource handlers and `$batch`.
//!
//! Everything here is independent of HTTP plumbing: [`Service::handle`] takes a method, a raw path,
//! headers and a body and returns a [`GraphResponse`], so a `$batch` item goes through exactly the
//! same code as a direct request.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::{Value, json};
use signin_prefs_model::{
    SignInPreferences, SignInPreferencesPatch, UserDefaultAuthenticationMethodType,
};

use crate::auth::{
    Access, TokenClaims, TokenRejection, TokenStore, permits_operation, permits_target,
};
use crate::config::ConfiguredError;
use crate::faults::{FaultKind, FaultRoute, FaultTarget, Faults};
use crate::groups::Groups;
use crate::ids::{SplitMix64, graph_date_now, random_guid};
use crate::lists::ListKind;
use crate::throttle::{Clock, Throttle, format_retry_after};
use crate::users::{AuthMethod, UserStore};

/// The content type Graph sends with OData JSON.
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
pub(crate) const GRAPH_ROOT: &str = "https://graph.microsoft.com";
const MAX_BATCH_REQUESTS: usize = 20;
/// The `WWW-Authenticate` challenge Graph sends with a 401 (graph-behaviors.md §5.6).
pub(crate) const WWW_AUTHENTICATE: &str = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";

/// Ids of one exchange, echoed in headers and in `innerError`.
#[derive(Debug, Clone)]
pub(crate) struct Correlation {
    pub(crate) request_id: String,
    pub(crate) client_request_id: String,
}

impl Correlation {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = random_guid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map_or_else(|| request_id.clone(), str::to_owned);
        Self {
            request_id,
            client_request_id,
        }
    }
}

/// A response before it is put on the wire.
#[derive(Debug)]
pub(crate) struct GraphResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<ResponseBody>,
    /// A transport-level fault to apply when sending.
    pub(crate) fault: Option<FaultKind>,
}

/// A response body.
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// A document, serialized when sent.
    Json(Value),
    /// A document already serialized (a `$batch` answer, written straight from its items).
    Serialized(Vec<u8>),
}

impl ResponseBody {
    /// The body as bytes on the wire.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            ResponseBody::Json(value) => serde_json::to_vec(&value).unwrap_or_default(),
            ResponseBody::Serialized(bytes) => bytes,
        }
    }

    /// The body as a document, to embed in a `$batch` answer.
    fn into_value(self) -> Value {
        match self {
            ResponseBody::Json(value) => value,
            ResponseBody::Serialized(bytes) => {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            }
        }
    }
}

impl GraphResponse {
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", ODATA_JSON.to_owned())],
            body: Some(ResponseBody::Json(body)),
            fault: None,
        }
    }

    fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: None,
            fault: None,
        }
    }

    pub(crate) fn error(
        status: StatusCode,
        code: &str,
        message: &str,
        correlation: &Correlation,
    ) -> Self {
        let body = json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": graph_date_now(),
                    "request-id": correlation.request_id,
                    "client-request-id": correlation.client_request_id,
                }
            }
        });
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Some(ResponseBody::Json(body)),
            fault: None,
        }
    }

    fn configured(
        error: &ConfiguredError,
        key: &str,
        method: &str,
        correlation: &Correlation,
    ) -> Self {
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
        Self::error(status, &error.code, &error.render(key, method), correlation)
    }

    fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// The API version segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Beta,
    V1,
}

impl Version {
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Version::Beta => "beta",
            Version::V1 => "v1.0",
        }
    }
}

/// Who the request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UserRef {
    Key(String),
    Me,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    SignInPreferences(UserRef),
    Methods(UserRef),
    Batch,
    /// A paged collection (`/users`, a group's transitive users, the registration report).
    List(ListKind),
}

/// Splits `/{version}/...` into a resource, or the error Graph gives for the path.
fn route(path: &str, correlation: &Correlation) -> Result<(Version, Resource), GraphResponse> {
    let mut raw_segments = path.trim_start_matches('/').split('/').collect::<Vec<_>>();
    if raw_segments.last().is_some_and(|last| last.is_empty()) && raw_segments.len() > 1 {
        raw_segments.pop();
    }
    let segments: Vec<String> = raw_segments
        .iter()
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let not_found = |segment: &str| {
        GraphResponse::error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!("Resource not found for the segment '{segment}'."),
            correlation,
        )
    };
    let (version, rest) = match segments.split_first() {
        Some((first, rest)) if first == "beta" => (Version::Beta, rest),
        Some((first, rest)) if first == "v1.0" => (Version::V1, rest),
        _ => {
            return Err(GraphResponse::error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "Invalid version: the path must start with /v1.0 or /beta.",
                correlation,
            ));
        }
    };
    let (user, tail) = match rest {
        [batch] if batch == "$batch" => return Ok((version, Resource::Batch)),
        [users] if users == "users" => return Ok((version, Resource::List(ListKind::Users))),
        [groups, id, members, cast]
            if groups == "groups"
                && members == "transitiveMembers"
                && cast == "microsoft.graph.user" =>
        {
            return Ok((version, Resource::List(ListKind::GroupMembers(id.clone()))));
        }
        [reports, methods, details]
            if reports == "reports"
                && methods == "authenticationMethods"
                && details == "userRegistrationDetails" =>
        {
            return Ok((version, Resource::List(ListKind::RegistrationDetails)));
        }
        [me, tail @ ..] if me == "me" => (UserRef::Me, tail),
        [users, key, tail @ ..] if users == "users" => {
            // `/users/$x` is not valid OData: keys starting with `$` need the `users('…')` form.
            if key.starts_with('$') {
                return Err(GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    "The request URI is not valid. Since the segment 'users' refers to a collection, this must be the last segment in the request URI or it must be followed by an function or action that can be bound to it otherwise all intermediate segments must refer to a single resource.",
                    correlation,
                ));
            }
            (UserRef::Key(key.clone()), tail)
        }
        [keyed, tail @ ..] if keyed.starts_with("users(") => match parse_key_literal(keyed) {
            Some(key) => (UserRef::Key(key), tail),
            None => return Err(not_found(keyed)),
        },
        [first, ..] => return Err(not_found(first)),
        [] => return Err(not_found(version.segment())),
    };
    match tail {
        [authentication, resource]
            if authentication == "authentication" && resource == "signInPreferences" =>
        {
            if version == Version::V1 {
                // signInPreferences is beta-only (graph-behaviors.md §1.1); message unconfirmed.
                return Err(not_found(resource));
            }
            Ok((version, Resource::SignInPreferences(user)))
        }
        [authentication, resource]
            if authentication == "authentication" && resource == "methods" =>
        {
            Ok((version, Resource::Methods(user)))
        }
        [] => Err(not_found("users")),
        [first, ..] if first != "authentication" => Err(not_found(first)),
        [_, second, ..] => Err(not_found(second)),
        [only] => Err(not_found(only)),
    }
}

/// The key inside `users('…')`, with OData's doubled quotes undone.
fn parse_key_literal(segment: &str) -> Option<String> {
    let inner = segment.strip_prefix("users('")?.strip_suffix("')")?;
    let mut key = String::with_capacity(inner.len());
    let mut characters = inner.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\'' {
            // A lone quote would end the literal early: not a valid key.
            if characters.next() != Some('\'') {
                return None;
            }
        }
        key.push(character);
    }
    Some(key)
}

/// The user key as an OData string literal, for `@odata.context`.
fn key_literal(key: &str) -> String {
    key.replace('\'', "''")
}

/// The tenant-wide state the handlers work on.
#[derive(Debug)]
pub(crate) struct Service {
    pub(crate) users: RwLock<UserStore>,
    pub(crate) tokens: TokenStore,
    pub(crate) throttle: Throttle,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) tenant_id: String,
    pub(crate) unknown_user: ConfiguredError,
    pub(crate) unregistered_method: ConfiguredError,
    pub(crate) shuffle_batch_responses: bool,
    pub(crate) patch_leniency: PatchLeniency,
    pub(crate) seed: u64,
    pub(crate) batches: AtomicU64,
    pub(crate) groups: Groups,
    /// Whether the tenant has the registration report (an Entra ID P1/P2 feature).
    pub(crate) registration_report: bool,
    /// `http://127.0.0.1:PORT`, for next links; set once the server listens.
    pub(crate) base_url: OnceLock<String>,
}

/// A request's token, validated once where the request arrived (a `$batch` item has none of its
/// own: it is the batch's).
pub(crate) type Validated = Result<Arc<TokenClaims>, TokenRejection>;

/// One request, from the wire or from a `$batch` item.
pub(crate) struct GraphRequest<'a> {
    pub(crate) method: &'a Method,
    /// Path with its query, percent-encoded as received.
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

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

impl Service {
    /// Handles a request that arrived on the wire (may be a `$batch`).
    pub(crate) async fn handle(
        &self,
        request: GraphRequest<'_>,
        correlation: &Correlation,
    ) -> GraphResponse {
        let path = request
            .path
            .split_once('?')
            .map_or(request.path, |(path, _)| path);
        let (version, resource) = match route(path, correlation) {
            Ok(routed) => routed,
            Err(response) => return response,
        };
        if resource == Resource::Batch {
            return self.batch(version, request, correlation).await;
        }
        let claims = self
            .tokens
            .validate(header_str(request.headers, "authorization"));
        self.resource(version, resource, request, &claims, correlation)
            .await
    }

    fn resolve(&self, user: &UserRef, claims: Option<&TokenClaims>) -> Resolved {
        let key = match user {
            UserRef::Key(key) => key.as_str(),
            UserRef::Me => match claims.and_then(|claims| claims.user.as_deref()) {
                Some(key) => key,
                None => return Resolved::MeWithoutUser,
            },
        };
        let Ok(users) = self.users.read() else {
            return Resolved::Unknown {
                key: key.to_owned(),
            };
        };
        match users.find(key).and_then(|position| users.record(position)) {
            Some(record) => Resolved::Found {
                position: record.index,
                id: record.id,
                upn: record.user_principal_name,
            },
            None => Resolved::Unknown {
                key: key.to_owned(),
            },
        }
    }

    /// Faults, auth, throttling, then the resource handler.
    async fn resource(
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
            (Resource::SignInPreferences(user), &Method::GET) => {
                (user, FaultRoute::GetSignInPreferences, Access::Read)
            }
            (Resource::SignInPreferences(user), &Method::PATCH) => {
                (user, FaultRoute::PatchSignInPreferences, Access::Write)
            }
            (Resource::Methods(user), &Method::GET) => {
                (user, FaultRoute::ListMethods, Access::Read)
            }
            _ => {
                return GraphResponse::error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Request_BadRequest",
                    "Specified HTTP method is not allowed for the request target.",
                    correlation,
                );
            }
        };
        let claims = claims.clone();
        let resolved = self.resolve(user, claims.as_deref().ok());

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

        let mut response = self.authorized(
            version,
            resource,
            &request,
            claims,
            resolved,
            access,
            correlation,
        );
        response.fault = transport_fault;
        response
    }

    /// The fault decided for a request: `Err` with the answer that replaces the resource's, or
    /// `Ok` with a transport fault to apply when sending (after any delay has been served).
    pub(crate) async fn fault_gate(
        &self,
        target: &FaultTarget<'_>,
        correlation: &Correlation,
    ) -> Result<Option<FaultKind>, GraphResponse> {
        match self.faults.decide(target) {
            Some(FaultKind::ServiceUnavailable {
                retry_after_seconds,
            }) => Err(GraphResponse::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
                correlation,
            )
            .with_header("retry-after", retry_after_seconds.to_string())),
            Some(FaultKind::GatewayTimeout {
                retry_after_seconds,
            }) => Err(GraphResponse::error(
                StatusCode::GATEWAY_TIMEOUT,
                "gatewayTimeout",
                "The gateway did not receive a timely response from the backend.",
                correlation,
            )
            .with_header("retry-after", retry_after_seconds.to_string())),
            Some(FaultKind::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(None)
            }
            Some(other) => Ok(Some(other)),
            None => Ok(None),
        }
    }

    /// The 429 answer when the caller's app and tenant are over their budget (reads or writes).
    pub(crate) fn throttled(
        &self,
        claims: &TokenClaims,
        write: bool,
        correlation: &Correlation,
    ) -> Option<GraphResponse> {
        let throttled = self
            .throttle
            .charge(&self.clock, &claims.app_id, &claims.tenant_id, write)
            .err()?;
        let config = self.throttle.config();
        Some(
            throttled_response(correlation)
                .with_header(
                    "retry-after",
                    format_retry_after(throttled.retry_after_seconds, config.retry_after),
                )
                .with_header("x-ms-throttle-scope", throttled.scope)
                .with_header(
                    "x-ms-throttle-information",
                    throttled.information.to_owned(),
                ),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn authorized(
        &self,
        version: Version,
        resource: Resource,
        request: &GraphRequest<'_>,
        claims: Result<Arc<TokenClaims>, TokenRejection>,
        resolved: Resolved,
        access: Access,
        correlation: &Correlation,
    ) -> GraphResponse {
        let claims = match claims {
            Ok(claims) => claims,
            Err(rejection) => return unauthorized(rejection, correlation),
        };
        if !permits_operation(&claims, access) {
            return access_denied(correlation);
        }
        if let Some(throttled) = self.throttled(&claims, access == Access::Write, correlation) {
            return throttled;
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
                let target_is_admin = self
                    .users
                    .read()
                    .is_ok_and(|users| users.is_admin(position));
                if !permits_target(&claims, access, acting_on_self, target_is_admin) {
                    return access_denied(correlation);
                }
                (position, key)
            }
            Resolved::Unknown { key } => {
                return GraphResponse::configured(&self.unknown_user, &key, "", correlation);
            }
            Resolved::MeWithoutUser => {
                return GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                    correlation,
                );
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
    ) -> GraphResponse {
        let Some(state) = self
            .users
            .read()
            .ok()
            .and_then(|users| users.state(position))
        else {
            return GraphResponse::configured(&self.unknown_user, key, "", correlation);
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
        GraphResponse::json(StatusCode::OK, body)
    }

    fn patch(
        &self,
        position: usize,
        key: &str,
        request: &GraphRequest<'_>,
        correlation: &Correlation,
    ) -> GraphResponse {
        let content_type = header_str(request.headers, "content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !media_type.eq_ignore_ascii_case("application/json") {
            // Status and wording unconfirmed; Graph documents 415 for unsupported media types.
            return GraphResponse::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                &format!("Content-Type '{content_type}' is not supported; use application/json."),
                correlation,
            );
        }
        let patch = match parse_patch(request.body, self.patch_leniency) {
            Ok(patch) => patch,
            Err(message) => {
                return GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &message,
                    correlation,
                );
            }
        };
        let sets_preferred = !patch
            .user_preferred_method_for_secondary_authentication
            .is_absent();
        let outcome = self.users.read().ok().and_then(|users| {
            users.update(position, |mut state| {
                let mut current = SignInPreferences::default();
                current.is_system_preferred_authentication_method_enabled =
                    state.system_preferred_enabled;
                current.user_preferred_method_for_secondary_authentication =
                    state.preferred.clone();
                let merged = signin_prefs_core::apply(current, &patch);
                if sets_preferred
                    && let Some(preferred) =
                        &merged.user_preferred_method_for_secondary_authentication
                    && !state.methods.supports(preferred)
                {
                    return Err(preferred.as_str().to_owned());
                }
                state.system_preferred_enabled =
                    merged.is_system_preferred_authentication_method_enabled;
                state.preferred = merged.user_preferred_method_for_secondary_authentication;
                Ok(state)
            })
        });
        match outcome {
            Some(Ok(_)) => GraphResponse::no_content(),
            Some(Err(method)) => {
                GraphResponse::configured(&self.unregistered_method, key, &method, correlation)
            }
            None => GraphResponse::configured(&self.unknown_user, key, "", correlation),
        }
    }

    fn list_methods(
        &self,
        version: Version,
        position: usize,
        key: &str,
        correlation: &Correlation,
    ) -> GraphResponse {
        let Some(record) = self
            .users
            .read()
            .ok()
            .and_then(|users| users.record(position))
        else {
            return GraphResponse::configured(&self.unknown_user, key, "", correlation);
        };
        let mut generator = SplitMix64::for_item(self.seed, 3, record.index as u64);
        let mut value = vec![json!({
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            // Graph uses this fixed id for every user's password method.
            "id": "28c10230-6103-485e-b985-444c60001490",
            "password": null,
            "createdDateTime": null,
        })];
        let phone_digits = 5_550_000 + record.index as u64 % 10_000;
        for method in record.state.methods.methods() {
            let id = crate::ids::format_guid(generator.guid());
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
        GraphResponse::json(
            StatusCode::OK,
            json!({
                "@odata.context": format!(
                    "{GRAPH_ROOT}/{}/$metadata#users('{}')/authentication/methods",
                    version.segment(),
                    key_literal(key)
                ),
                "value": value,
            }),
        )
    }

    /// `POST /$batch` (graph-behaviors.md §4).
    async fn batch(
        &self,
        version: Version,
        request: GraphRequest<'_>,
        correlation: &Correlation,
    ) -> GraphResponse {
        if request.method != Method::POST {
            return GraphResponse::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
                correlation,
            );
        }
        let mut transport_fault = None;
        match self.faults.decide(&FaultTarget {
            route: FaultRoute::Batch,
            user_keys: &[],
        }) {
            Some(FaultKind::ServiceUnavailable {
                retry_after_seconds,
            }) => {
                return GraphResponse::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable. Please retry later.",
                    correlation,
                )
                .with_header("retry-after", retry_after_seconds.to_string());
            }
            Some(FaultKind::GatewayTimeout {
                retry_after_seconds,
            }) => {
                return GraphResponse::error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "gatewayTimeout",
                    "The gateway did not receive a timely response from the backend.",
                    correlation,
                )
                .with_header("retry-after", retry_after_seconds.to_string());
            }
            Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
            Some(other) => transport_fault = Some(other),
            None => {}
        }
        // Validated once for the whole batch: its items carry no token of their own.
        let claims = self
            .tokens
            .validate(header_str(request.headers, "authorization"));
        if let Err(rejection) = &claims {
            return unauthorized(*rejection, correlation);
        }
        let items = match parse_batch(request.body) {
            Ok(items) => items,
            Err(message) => {
                return GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &message,
                    correlation,
                );
            }
        };
        let order = match execution_order(&items) {
            Ok(order) => order,
            Err(message) => {
                return GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &message,
                    correlation,
                );
            }
        };
        let mut results: Vec<Option<BatchAnswer>> = (0..items.len()).map(|_| None).collect();
        let mut succeeded: HashMap<String, bool> = HashMap::new();
        for index in order {
            let Some(item) = items.get(index) else {
                continue;
            };
            let item_correlation = Correlation {
                request_id: random_guid(),
                client_request_id: item
                    .headers
                    .get("client-request-id")
                    .cloned()
                    .unwrap_or_else(|| correlation.client_request_id.clone()),
            };
            let failed_dependency = item.depends_on.iter().any(|dependency| {
                !succeeded
                    .get(&dependency.to_ascii_lowercase())
                    .copied()
                    .unwrap_or(false)
            });
            let response = if failed_dependency {
                GraphResponse::error(
                    StatusCode::FAILED_DEPENDENCY,
                    "FailedDependency",
                    "The request could not be executed because a request it depends on failed.",
                    &item_correlation,
                )
            } else {
                self.batch_item(version, item, &claims, &item_correlation)
                    .await
            };
            succeeded.insert(item.id.to_ascii_lowercase(), response.is_success());
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(batch_answer(&item.id, response, &item_correlation));
            }
        }
        let mut responses: Vec<BatchAnswer> = results.into_iter().flatten().collect();
        if self.shuffle_batch_responses {
            let batch_number = self.batches.fetch_add(1, Ordering::Relaxed);
            let mut generator = SplitMix64::for_item(self.seed, 4, batch_number);
            // Fisher–Yates with the seeded generator: same seed, same batch sequence, same order.
            for upper in (1..responses.len()).rev() {
                let other = generator.below(upper as u64 + 1) as usize;
                responses.swap(upper, other);
            }
        }
        #[derive(Serialize)]
        struct BatchResponse {
            responses: Vec<BatchAnswer>,
        }
        // Written straight from the answers: no document tree is built for the whole batch.
        let body = serde_json::to_vec(&BatchResponse { responses }).unwrap_or_default();
        GraphResponse {
            status: StatusCode::OK,
            headers: vec![("content-type", ODATA_JSON.to_owned())],
            body: Some(ResponseBody::Serialized(body)),
            fault: transport_fault,
        }
    }

    async fn batch_item(
        &self,
        version: Version,
        item: &BatchItem,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        if item.url.starts_with("http://") || item.url.starts_with("https://") {
            // Graph wants batch URLs relative to the version (observed: msgraph-sdk-python#1015).
            return GraphResponse::error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Invalid request URI: batch request URLs must be relative.",
                correlation,
            );
        }
        let method = match Method::from_bytes(item.method.to_ascii_uppercase().as_bytes()) {
            Ok(method) => method,
            Err(_) => {
                return GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!("Invalid method '{}'.", item.method),
                    correlation,
                );
            }
        };
        let relative = item.url.trim_start_matches('/');
        let path = format!("/{}/{relative}", version.segment());
        let path_only = path.split_once('?').map_or(path.as_str(), |(path, _)| path);
        let (version, resource) = match route(path_only, correlation) {
            Ok(routed) => routed,
            Err(response) => return response,
        };
        if resource == Resource::Batch {
            return GraphResponse::error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "A $batch request cannot contain another $batch.",
                correlation,
            );
        }
        let body = match &item.body {
            None => Vec::new(),
            Some(_) if !item.headers.contains_key("content-type") => {
                return GraphResponse::error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "Content-Type header must be specified for a request with a body.",
                    correlation,
                );
            }
            // A string body is base64 (URL-safe or standard), as the batching docs allow.
            Some(Value::String(encoded)) => match crate::ids::decode_base64(encoded) {
                Some(bytes) => bytes,
                None => {
                    return GraphResponse::error(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        "The request body is a string but not base64.",
                        correlation,
                    );
                }
            },
            Some(value) => serde_json::to_vec(value).unwrap_or_default(),
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &item.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        let inner = GraphRequest {
            method: &method,
            path: &path,
            headers: &headers,
            body: &body,
        };
        let mut response =
            Box::pin(self.resource(version, resource, inner, claims, correlation)).await;
        // Connection-level faults cannot hit one item of a batch response.
        response.fault = None;
        response
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

/// One answer of a `$batch` response, as the service writes it (members in its order).
#[derive(Serialize)]
struct BatchAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    headers: BTreeMap<&'static str, String>,
    id: String,
    status: u16,
}

fn batch_answer(id: &str, response: GraphResponse, correlation: &Correlation) -> BatchAnswer {
    let mut headers = BTreeMap::new();
    headers.insert("request-id", correlation.request_id.clone());
    headers.insert("client-request-id", correlation.client_request_id.clone());
    for (name, value) in response.headers {
        let name = match name {
            "content-type" => "Content-Type",
            "retry-after" => "Retry-After",
            other => other,
        };
        headers.insert(name, value);
    }
    BatchAnswer {
        body: response.body.map(ResponseBody::into_value),
        headers,
        id: id.to_owned(),
        status: response.status.as_u16(),
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub(crate) fn unauthorized(rejection: TokenRejection, correlation: &Correlation) -> GraphResponse {
    GraphResponse::error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        rejection.message(),
        correlation,
    )
    .with_header("www-authenticate", WWW_AUTHENTICATE.to_owned())
}

pub(crate) fn access_denied(correlation: &Correlation) -> GraphResponse {
    GraphResponse::error(
        StatusCode::FORBIDDEN,
        "accessDenied",
        "Request Authorization failed",
        correlation,
    )
}

fn throttled_response(correlation: &Correlation) -> GraphResponse {
    // The documented 429 body (graph-behaviors.md §3.1), with client-request-id as elsewhere.
    let body = json!({
        "error": {
            "code": "TooManyRequests",
            "message": "Please retry again later.",
            "innerError": {
                "code": "429",
                "date": graph_date_now(),
                "message": "Please retry after",
                "request-id": correlation.request_id,
                "client-request-id": correlation.client_request_id,
                "status": "429",
            }
        }
    });
    GraphResponse {
        status: StatusCode::TOO_MANY_REQUESTS,
        headers: vec![("content-type", "application/json".to_owned())],
        body: Some(ResponseBody::Json(body)),
        fault: None,
    }
}

/// Read-only properties the service returns; the generated patch type refuses them as unknown, and
/// the emulator names them as read-only.
const READ_ONLY_PROPERTIES: &[&str] = &["systemPreferredAuthenticationMethod"];

/// Parses a PATCH body with the model's strict deserializer, turning serde's errors into messages.
fn parse_patch(body: &[u8], leniency: PatchLeniency) -> Result<SignInPreferencesPatch, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("Empty Payload. JSON content expected.".to_owned());
    }
    let strict = serde_json::from_slice::<SignInPreferencesPatch>(body);
    let error = match strict {
        Ok(patch) => return Ok(patch),
        Err(error) => error,
    };
    if error.is_syntax() || error.is_eof() {
        return Err("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.".to_owned());
    }
    // Only on the error path: a second, lenient look, and read-only properties named as such.
    let object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    };
    if let Some(mut lenient) = object.clone().filter(|_| leniency.any()) {
        if leniency.ignore_read_only_properties {
            for property in READ_ONLY_PROPERTIES {
                lenient.remove(*property);
            }
        }
        if leniency.case_insensitive_enum_values
            && let Some(Value::String(value)) =
                lenient.get_mut("userPreferredMethodForSecondaryAuthentication")
            && let Some(member) = UserDefaultAuthenticationMethodType::MEMBERS
                .iter()
                .find(|member| member.eq_ignore_ascii_case(value))
        {
            *value = (*member).to_owned();
        }
        if let Ok(patch) = serde_json::from_value::<SignInPreferencesPatch>(Value::Object(lenient))
        {
            return Ok(patch);
        }
    }
    let read_only = object.as_ref().and_then(|object| {
        READ_ONLY_PROPERTIES
            .iter()
            .find(|property| object.contains_key(**property))
    });
    Err(match read_only {
        Some(property) => format!("Property '{property}' is read-only and cannot be set."),
        None => strip_position(&error.to_string()),
    })
}

/// Departures from the strict default that a user can switch on, because the real service's
/// behaviour is not published (graph-behaviors.md §1.2 and §7.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PatchLeniency {
    pub(crate) case_insensitive_enum_values: bool,
    pub(crate) ignore_read_only_properties: bool,
}

impl PatchLeniency {
    fn any(self) -> bool {
        self.case_insensitive_enum_values || self.ignore_read_only_properties
    }
}

/// serde_json appends " at line L column C"; Graph's messages have no position.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(position) => message.get(..position).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

#[derive(Debug)]
struct BatchItem {
    id: String,
    method: String,
    url: String,
    headers: HashMap<String, String>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse_batch(body: &[u8]) -> Result<Vec<BatchItem>, String> {
    const INVALID: &str = "Invalid batch payload format.";
    let mut document: Value = serde_json::from_slice(body).map_err(|_| INVALID.to_owned())?;
    let Some(requests) = document.get_mut("requests").and_then(Value::as_array_mut) else {
        return Err(format!("{INVALID} The 'requests' array is missing."));
    };
    if requests.len() > MAX_BATCH_REQUESTS {
        // Exact text unconfirmed (graph-behaviors.md §8.7).
        return Err(format!(
            "{INVALID} Number of requests exceeds the maximum of {MAX_BATCH_REQUESTS}."
        ));
    }
    let mut items = Vec::with_capacity(requests.len());
    for request in requests {
        // The body is moved out, not copied: it can be large, and the document is not used again.
        let body = request
            .get_mut("body")
            .map(Value::take)
            .filter(|body| !body.is_null());
        let text = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(id), Some(method), Some(url)) = (text("id"), text("method"), text("url")) else {
            return Err(format!(
                "{INVALID} Every request needs string 'id', 'method' and 'url'."
            ));
        };
        let headers = request
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| {
                headers
                    .iter()
                    .filter_map(|(name, value)| {
                        Some((name.to_ascii_lowercase(), value.as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let depends_on = match request.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(_) => return Err(format!("{INVALID} 'dependsOn' must be an array of ids.")),
        };
        items.push(BatchItem {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    Ok(items)
}

/// A topological order of the items (stable: request order among ready items), or why there is none.
fn execution_order(items: &[BatchItem]) -> Result<Vec<usize>, String> {
    let mut positions: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if positions
            .insert(item.id.to_ascii_lowercase(), index)
            .is_some()
        {
            return Err(format!(
                "Batch request ids must be unique; '{}' appears more than once.",
                item.id
            ));
        }
    }
    for item in items {
        for dependency in &item.depends_on {
            if !positions.contains_key(&dependency.to_ascii_lowercase()) {
                return Err(format!(
                    "Request '{}' depends on '{dependency}', which is not in the batch.",
                    item.id
                ));
            }
        }
    }
    let mut done = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    while order.len() < items.len() {
        let ready = items.iter().enumerate().find(|(index, item)| {
            !done.get(*index).copied().unwrap_or(true)
                && item.depends_on.iter().all(|dependency| {
                    positions
                        .get(&dependency.to_ascii_lowercase())
                        .is_some_and(|position| done.get(*position).copied().unwrap_or(false))
                })
        });
        match ready {
            Some((index, _)) => {
                if let Some(flag) = done.get_mut(index) {
                    *flag = true;
                }
                order.push(index);
            }
            None => return Err("The dependsOn references of the batch form a cycle.".to_owned()),
        }
    }
    Ok(order)
}
