//! The paged read collections: `GET /users`, `GET /groups/{id}/transitiveMembers/microsoft.graph.user`
//! and `GET /reports/authenticationMethods/userRegistrationDetails`.
//!
//! Paging follows Graph: `$top` (1–999, default 100), an opaque `$skiptoken` in
//! `@odata.nextLink` (base64 of the next store position), `$select`, and `$count=true` giving
//! `@odata.count`. On users and group members, `$count` and `endswith` are advanced queries: they
//! need `ConsistencyLevel: eventual` (and `endswith` also `$count=true`) on the first page; the skip
//! token remembers it, because a client following a next link sends no extra headers. Their
//! `$count` segments (`/users/$count`, a group's `…/microsoft.graph.user/$count`) answer the number
//! as plain text, and only as an advanced query.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use signin_prefs_model::{User, UserDefaultAuthenticationMethodType, UserRegistrationDetails};

use super::response::{Correlation, GRAPH_ROOT, GraphResponse, header_str};
use super::route::{GraphRequest, ListKind, Version};
use super::service::Graph;
use crate::auth::permits_operation;
use crate::faults::FaultTarget;
use crate::filter::{self, Filter, FilterError, Subject};
use crate::gates::Validated;
use crate::groups::{GroupMembers, GroupSpec};
use crate::ids::decode_base64;
use crate::report_filter::{self, ReportFilter};
use crate::users::{AuthMethod, MethodSet, UserRecord};

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 999;
const SKIP_TOKEN_PREFIX: &str = "emu1:";

/// Characters escaped in next-link query values (quotes, parentheses and commas stay readable).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b'$');

impl ListKind {
    fn properties(&self) -> (&'static [&'static str], &'static str) {
        match self {
            ListKind::RegistrationDetails => (
                UserRegistrationDetails::PROPERTIES,
                "microsoft.graph.userRegistrationDetails",
            ),
            _ => (User::PROPERTIES, "microsoft.graph.user"),
        }
    }

    fn context(&self) -> &'static str {
        match self {
            ListKind::RegistrationDetails => {
                "reports/authenticationMethods/userRegistrationDetails"
            }
            _ => "users",
        }
    }
}

/// A validated query.
#[derive(Debug)]
struct ListQuery {
    top: usize,
    select: Option<Vec<&'static str>>,
    count: bool,
    filter: Option<Filter>,
    /// A `$filter` on the registration report, in its own documented vocabulary.
    report_filter: Option<ReportFilter>,
    start: usize,
    advanced: bool,
    /// The query's pairs without `$skiptoken`, as given, for the next link.
    carried: Vec<(String, String)>,
}

fn encode_skip_token(position: usize, advanced: bool) -> String {
    let text = format!("{SKIP_TOKEN_PREFIX}{position}:{}", u8::from(advanced));
    encode_base64_url(text.as_bytes())
}

/// URL-safe base64 without padding: what skip tokens have always been, so tokens already handed
/// out stay valid.
fn encode_base64_url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_skip_token(token: &str) -> Option<(usize, bool)> {
    let bytes = decode_base64(token)?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix(SKIP_TOKEN_PREFIX)?;
    let (position, advanced) = rest.split_once(':')?;
    let advanced = match advanced {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    Some((position.parse().ok()?, advanced))
}

/// The query of a list, or of its `$count` segment (`count_segment`: always a count).
fn parse_query(
    kind: &ListKind,
    query: &str,
    headers: &HeaderMap,
    count_segment: bool,
    correlation: &Correlation,
) -> Result<ListQuery, GraphResponse> {
    let mut parsed = ListQuery {
        top: DEFAULT_PAGE_SIZE,
        select: None,
        count: count_segment,
        filter: None,
        report_filter: None,
        start: 0,
        advanced: header_str(headers, "consistencylevel")
            .is_some_and(|level| level.trim().eq_ignore_ascii_case("eventual")),
        carried: Vec::new(),
    };
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let option = name.to_ascii_lowercase();
        if option == "$skiptoken" {
            let Some((start, advanced)) = decode_skip_token(&value) else {
                // Graph's answer to a page token it cannot use.
                return Err(GraphResponse::bad_request(
                    "Directory_ExpiredPageToken",
                    "The specified page token value has expired and can no longer be included in your request.",
                    correlation,
                ));
            };
            parsed.start = start;
            parsed.advanced |= advanced;
            continue;
        }
        parsed.carried.push((name.to_string(), value.to_string()));
        match option.as_str() {
            "$top" => match value.trim().parse::<usize>() {
                Ok(top) if (1..=MAX_PAGE_SIZE).contains(&top) => parsed.top = top,
                _ => {
                    return Err(GraphResponse::bad_request(
                        "Request_BadRequest",
                        &format!(
                            "Invalid page size specified: '{value}'. Must be between 1 and {MAX_PAGE_SIZE} inclusive."
                        ),
                        correlation,
                    ));
                }
            },
            "$count" => match value.trim().to_ascii_lowercase().as_str() {
                "true" => parsed.count = true,
                "false" => parsed.count = false,
                _ => {
                    return Err(GraphResponse::bad_request(
                        "Request_BadRequest",
                        &format!("Invalid value '{value}' for $count: use true or false."),
                        correlation,
                    ));
                }
            },
            "$select" => {
                let (known, type_name) = kind.properties();
                let mut selected = Vec::new();
                for wanted in value
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                {
                    let Some(property) = known
                        .iter()
                        .find(|property| property.eq_ignore_ascii_case(wanted))
                    else {
                        return Err(GraphResponse::bad_request(
                            "Request_BadRequest",
                            &format!(
                                "Could not find a property named '{wanted}' on type '{type_name}'."
                            ),
                            correlation,
                        ));
                    };
                    if !selected.contains(property) {
                        selected.push(*property);
                    }
                }
                parsed.select = Some(selected);
            }
            "$filter" if kind.is_directory() => match filter::parse(&value) {
                Ok(filter) => parsed.filter = Some(filter),
                Err(error) => return Err(filter_refused(error, correlation)),
            },
            "$filter" => match report_filter::parse(&value) {
                Ok(filter) => parsed.report_filter = Some(filter),
                Err(error) => return Err(filter_refused(error, correlation)),
            },
            "$search" | "$orderby" | "$expand" | "$skip" => {
                return Err(GraphResponse::bad_request(
                    "Request_UnsupportedQuery",
                    &format!(
                        "Unsupported query: the emulator does not support '{name}' on this collection."
                    ),
                    correlation,
                ));
            }
            other if other.starts_with('$') => {
                return Err(GraphResponse::bad_request(
                    "BadRequest",
                    &format!("The query parameter '{name}' is not supported."),
                    correlation,
                ));
            }
            _ => {}
        }
    }
    if kind.is_directory() {
        if parsed.count && !parsed.advanced {
            // Graph serves $count on directory objects only as an advanced query.
            return Err(GraphResponse::bad_request(
                "Request_BadRequest",
                "$count is not currently supported without the ConsistencyLevel header set to 'eventual'. Refer to https://aka.ms/graph-docs/advanced-queries for more information.",
                correlation,
            ));
        }
        if parsed
            .filter
            .as_ref()
            .is_some_and(Filter::needs_advanced_query)
            && !(parsed.advanced && parsed.count)
        {
            return Err(GraphResponse::bad_request(
                "Request_UnsupportedQuery",
                "Operator 'endsWith' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
                correlation,
            ));
        }
    }
    Ok(parsed)
}

/// A user as `GET /users` lists it by default.
pub(crate) fn user_json(record: &UserRecord) -> Map<String, Value> {
    let mut user = Map::new();
    user.insert("id".to_owned(), Value::String(record.id.clone()));
    user.insert(
        "userPrincipalName".to_owned(),
        Value::String(record.user_principal_name.clone()),
    );
    user.insert(
        "displayName".to_owned(),
        Value::String(record.display_name()),
    );
    user.insert(
        "accountEnabled".to_owned(),
        Value::Bool(record.account_enabled),
    );
    user.insert(
        "userType".to_owned(),
        Value::String(record.user_type().to_owned()),
    );
    user.insert("mail".to_owned(), Value::String(record.mail()));
    user
}

/// The report's name for a registered method.
pub(crate) fn registered_method_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::MobilePhone => "mobilePhone",
        AuthMethod::AlternateMobilePhone => "alternateMobilePhone",
        AuthMethod::OfficePhone => "officePhone",
        AuthMethod::MicrosoftAuthenticator => "microsoftAuthenticatorPush",
        AuthMethod::SoftwareOath => "softwareOneTimePasscode",
        AuthMethod::HardwareOath => "hardwareOneTimePasscode",
        // The report's observed name for a FIDO2 security key (tenant-realities.md; Microsoft's
        // pages name only `passKeyDeviceBound` as an example).
        AuthMethod::Fido2 => "fido2SecurityKey",
        AuthMethod::Email => "email",
        AuthMethod::WindowsHelloForBusiness => "windowsHelloForBusiness",
        AuthMethod::TemporaryAccessPass => "temporaryAccessPass",
    }
}

/// `defaultMfaMethod` (a `defaultMfaMethodType`) for a default method.
fn default_mfa_method(
    preferred: Option<&UserDefaultAuthenticationMethodType>,
    unset: &'static str,
) -> &'static str {
    use UserDefaultAuthenticationMethodType as Preferred;
    match preferred {
        Some(Preferred::Push) => "microsoftAuthenticatorPush",
        Some(Preferred::Oath) => "softwareOneTimePasscode",
        Some(Preferred::Sms | Preferred::VoiceMobile) => "mobilePhone",
        Some(Preferred::VoiceAlternateMobile) => "alternateMobilePhone",
        Some(Preferred::VoiceOffice) => "officePhone",
        _ => unset,
    }
}

/// `methodsRegistered`: each registered method by the report's name. Microsoft Authenticator is
/// listed as both `microsoftAuthenticatorPush` and `softwareOneTimePasscode`, as in Microsoft's
/// sample (microsoft-graph-docs-contrib,
/// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`: AlexW and
/// BiancaP), since the app also gives one-time codes; a name is listed once.
fn methods_registered(methods: MethodSet) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for method in methods.methods() {
        let implied = match method {
            AuthMethod::MicrosoftAuthenticator => Some(AuthMethod::SoftwareOath),
            _ => None,
        };
        for method in std::iter::once(method).chain(implied) {
            let name = registered_method_name(method);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// `systemPreferredAuthenticationMethods`: the strongest registered second factor, in the
/// report's `userDefaultAuthenticationMethod` vocabulary (empty when there is none).
fn system_preferred_methods(methods: MethodSet) -> Vec<&'static str> {
    let strongest = if methods.contains(AuthMethod::MicrosoftAuthenticator) {
        Some("push")
    } else if methods.contains(AuthMethod::HardwareOath)
        || methods.contains(AuthMethod::SoftwareOath)
    {
        Some("oath")
    } else if methods.contains(AuthMethod::MobilePhone) {
        Some("sms")
    } else if methods.contains(AuthMethod::AlternateMobilePhone) {
        Some("voiceAlternateMobile")
    } else if methods.contains(AuthMethod::OfficePhone) {
        Some("voiceOffice")
    } else {
        None
    };
    strongest.into_iter().collect()
}

/// One entry of the registration report, derived from the user's current state.
///
/// Derivations (the service's exact rules are not published): MFA-registered when any method
/// other than email and a Temporary Access Pass is registered; SSPR-registered with a phone,
/// email, Authenticator or a software token; passwordless-capable with FIDO2 or Windows Hello;
/// SSPR is enabled for everyone.
///
/// `unset` is how a user without a default method is spelled (`""` or `none`, see
/// [`ReportUnsetDefault`](crate::config::ReportUnsetDefault)).
pub(crate) fn registration_json(record: &UserRecord, unset: &'static str) -> Map<String, Value> {
    let methods = record.state.methods;
    let mfa_registered = methods
        .methods()
        .into_iter()
        .any(|method| !matches!(method, AuthMethod::Email | AuthMethod::TemporaryAccessPass));
    let sspr_registered = [
        AuthMethod::MobilePhone,
        AuthMethod::AlternateMobilePhone,
        AuthMethod::OfficePhone,
        AuthMethod::Email,
        AuthMethod::MicrosoftAuthenticator,
        AuthMethod::SoftwareOath,
    ]
    .into_iter()
    .any(|method| methods.contains(method));
    let passwordless = methods.contains(AuthMethod::Fido2)
        || methods.contains(AuthMethod::WindowsHelloForBusiness);
    let preferred = record.state.preferred.as_ref();
    let day = record.index % 28 + 1;
    let entry = json!({
        "id": record.id,
        "userPrincipalName": record.user_principal_name,
        "userDisplayName": record.display_name(),
        "userType": if record.is_guest() { "guest" } else { "member" },
        "isAdmin": record.is_admin,
        "isSsprRegistered": sspr_registered,
        "isSsprEnabled": true,
        "isSsprCapable": sspr_registered,
        "isMfaRegistered": mfa_registered,
        "isMfaCapable": mfa_registered,
        "isPasswordlessCapable": passwordless,
        "isSystemPreferredAuthenticationMethodEnabled": record.state.system_preferred_enabled.unwrap_or(false),
        "methodsRegistered": methods_registered(methods),
        "defaultMfaMethod": default_mfa_method(preferred, unset),
        "userPreferredMethodForSecondaryAuthentication": preferred.map_or(unset, UserDefaultAuthenticationMethodType::as_str),
        "systemPreferredAuthenticationMethods": system_preferred_methods(methods),
        "lastUpdatedDateTime": format!("2024-06-{day:02}T08:00:00Z"),
    });
    match entry {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The 400 for a `$filter` that does not parse (`BadRequest`) or that Graph does not support on
/// this list (`Request_UnsupportedQuery`).
fn filter_refused(error: FilterError, correlation: &Correlation) -> GraphResponse {
    let (code, message) = match error {
        FilterError::Syntax(message) => ("BadRequest", message),
        FilterError::Unsupported(message) => ("Request_UnsupportedQuery", message),
    };
    GraphResponse::bad_request(code, &message, correlation)
}

fn project(mut item: Map<String, Value>, select: Option<&[&'static str]>) -> Value {
    match select {
        None => Value::Object(item),
        Some(properties) => Value::Object(
            properties
                .iter()
                .map(|property| {
                    (
                        (*property).to_owned(),
                        item.remove(*property).unwrap_or(Value::Null),
                    )
                })
                .collect(),
        ),
    }
}

impl Graph {
    /// `GET` on one of the collections: faults, auth, throttling, then the page.
    pub(crate) async fn list(
        &self,
        version: Version,
        kind: ListKind,
        request: &GraphRequest<'_>,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        self.behind_faults(&kind, correlation, || {
            self.list_authorized(version, &kind, request, claims, correlation)
        })
        .await
    }

    /// The answer `answer` makes, once the fault rules for `kind`'s route have had their say: a
    /// fault may answer instead, or ride along with the answer (a transport fault).
    async fn behind_faults(
        &self,
        kind: &ListKind,
        correlation: &Correlation,
        answer: impl FnOnce() -> GraphResponse,
    ) -> GraphResponse {
        let transport_fault = match self
            .fault_gate(
                &FaultTarget {
                    route: kind.fault_route(),
                    user_keys: &[],
                },
                correlation,
            )
            .await
        {
            Ok(fault) => fault,
            Err(response) => return response,
        };
        let mut response = answer();
        response.fault = transport_fault;
        response
    }

    fn list_authorized(
        &self,
        version: Version,
        kind: &ListKind,
        request: &GraphRequest<'_>,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        let claims = match claims {
            Ok(claims) => claims,
            Err(rejection) => return GraphResponse::unauthorized(*rejection, correlation),
        };
        if !permits_operation(claims, kind.access()) {
            return GraphResponse::access_denied(correlation);
        }
        if *kind == ListKind::RegistrationDetails && !self.tenant.registration_report {
            return GraphResponse::error(
                StatusCode::FORBIDDEN,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
                correlation,
            );
        }
        let throttled = if *kind == ListKind::RegistrationDetails {
            self.report_gate(claims, correlation)
        } else {
            self.throttle_gate(claims, false, correlation)
        };
        if let Some(throttled) = throttled {
            return throttled;
        }
        let (path, query) = request.path.split_once('?').unwrap_or((request.path, ""));
        let query = match parse_query(kind, query, request.headers, false, correlation) {
            Ok(query) => query,
            Err(response) => return response,
        };
        let group = match self.listed_group(kind, correlation) {
            Ok(group) => group,
            Err(response) => return response,
        };
        self.page(version, kind, path, &query, group, correlation)
    }

    /// `GET …/$count` on a directory list: the number of users it holds, as plain text.
    ///
    /// Graph serves `$count` on directory objects only as an advanced query: without
    /// `ConsistencyLevel: eventual` the segment is refused with 400 `Request_BadRequest`, "$count
    /// is not currently supported." (microsoftgraph/microsoft-graph-docs-contrib,
    /// `concepts/aad-advanced-queries.md`, "Error handling for advanced queries on directory
    /// objects"). It costs a read like any directory read.
    pub(crate) async fn count(
        &self,
        kind: ListKind,
        request: &GraphRequest<'_>,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        self.behind_faults(&kind, correlation, || {
            self.count_authorized(&kind, request, claims, correlation)
        })
        .await
    }

    fn count_authorized(
        &self,
        kind: &ListKind,
        request: &GraphRequest<'_>,
        claims: &Validated,
        correlation: &Correlation,
    ) -> GraphResponse {
        let claims = match claims {
            Ok(claims) => claims,
            Err(rejection) => return GraphResponse::unauthorized(*rejection, correlation),
        };
        if !permits_operation(claims, kind.access()) {
            return GraphResponse::access_denied(correlation);
        }
        if let Some(throttled) = self.throttle_gate(claims, false, correlation) {
            return throttled;
        }
        let advanced = header_str(request.headers, "consistencylevel")
            .is_some_and(|level| level.trim().eq_ignore_ascii_case("eventual"));
        if !advanced {
            return GraphResponse::bad_request(
                "Request_BadRequest",
                "$count is not currently supported.",
                correlation,
            );
        }
        let query = request.path.split_once('?').map_or("", |(_, query)| query);
        let query = match parse_query(kind, query, request.headers, true, correlation) {
            Ok(query) => query,
            Err(response) => return response,
        };
        let group = match self.listed_group(kind, correlation) {
            Ok(group) => group,
            Err(response) => return response,
        };
        let users = match self.tenant.users() {
            Ok(users) => users,
            Err(unavailable) => return GraphResponse::internal(unavailable, correlation),
        };
        // Every user, unfiltered: counted without reading each one, as Graph keeps the count.
        let everyone = query.filter.is_none()
            && group.is_none_or(|group| matches!(group.members, GroupMembers::All));
        let count = if everyone {
            users.len()
        } else {
            (0..users.len())
                .filter_map(|position| users.record(position))
                .filter(|record| self.lists(record, group, query.filter.as_ref()))
                .count()
        };
        GraphResponse::plain_text(StatusCode::OK, count.to_string())
    }

    /// The group whose members `kind` lists (none for a list of users), or the 404 Graph answers
    /// for a group id it does not know.
    fn listed_group(
        &self,
        kind: &ListKind,
        correlation: &Correlation,
    ) -> Result<Option<&GroupSpec>, GraphResponse> {
        match kind {
            ListKind::GroupMembers(id) => match self.tenant.groups.find(id) {
                Some(group) => Ok(Some(group)),
                None => Err(GraphResponse::error(
                    StatusCode::NOT_FOUND,
                    "Request_ResourceNotFound",
                    &format!(
                        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                    ),
                    correlation,
                )),
            },
            _ => Ok(None),
        }
    }

    /// Whether a list (a group's users, or all of them) under `filter` holds `record`.
    fn lists(
        &self,
        record: &UserRecord,
        group: Option<&GroupSpec>,
        filter: Option<&Filter>,
    ) -> bool {
        if group.is_some_and(|group| !self.tenant.groups.contains(group, record)) {
            return false;
        }
        let Some(filter) = filter else {
            return true;
        };
        let display_name = record.display_name();
        let mail = record.mail();
        filter.matches(&Subject {
            id: &record.id,
            user_principal_name: &record.user_principal_name,
            display_name: &display_name,
            mail: &mail,
            user_type: record.user_type(),
            account_enabled: record.account_enabled,
        })
    }

    /// The registration report's entry for `record`, if the report lists it under `filter`:
    /// disabled users are left out ("This method doesn't work for disabled users":
    /// microsoft-graph-docs-contrib,
    /// `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`).
    fn report_entry(
        &self,
        record: &UserRecord,
        filter: Option<&ReportFilter>,
    ) -> Option<Map<String, Value>> {
        if !record.account_enabled {
            return None;
        }
        let entry = registration_json(record, self.tenant.report_unset_default.as_str());
        filter
            .is_none_or(|filter| filter.matches(&entry))
            .then_some(entry)
    }

    fn page(
        &self,
        version: Version,
        kind: &ListKind,
        path: &str,
        query: &ListQuery,
        group: Option<&GroupSpec>,
        correlation: &Correlation,
    ) -> GraphResponse {
        let users = match self.tenant.users() {
            Ok(users) => users,
            Err(unavailable) => return GraphResponse::internal(unavailable, correlation),
        };
        // A listed user's item: the report's entry, or the user as `/users` gives it.
        let item = |record: &UserRecord| match kind {
            ListKind::RegistrationDetails => {
                self.report_entry(record, query.report_filter.as_ref())
            }
            _ => self
                .lists(record, group, query.filter.as_ref())
                .then(|| user_json(record)),
        };
        let matches = |record: &UserRecord| item(record).is_some();
        let mut value = Vec::new();
        let mut next = None;
        for position in query.start..users.len() {
            let Some(record) = users.record(position) else {
                continue;
            };
            let Some(listed) = item(&record) else {
                continue;
            };
            if value.len() == query.top {
                next = Some(position);
                break;
            }
            value.push(project(listed, query.select.as_deref()));
        }
        let count = query.count.then(|| {
            (0..users.len())
                .filter_map(|position| users.record(position))
                .filter(|record| matches(record))
                .count()
        });
        drop(users);
        let mut context = format!(
            "{GRAPH_ROOT}/{}/$metadata#{}",
            version.segment(),
            kind.context()
        );
        if let Some(select) = &query.select {
            context.push('(');
            context.push_str(&select.join(","));
            context.push(')');
        }
        let mut body = Map::new();
        body.insert("@odata.context".to_owned(), Value::String(context));
        if let Some(count) = count {
            body.insert("@odata.count".to_owned(), Value::from(count));
        }
        if let Some(position) = next {
            body.insert(
                "@odata.nextLink".to_owned(),
                Value::String(self.next_link(path, query, position)),
            );
        }
        body.insert("value".to_owned(), Value::Array(value));
        GraphResponse::json(StatusCode::OK, Value::Object(body))
    }

    fn next_link(&self, path: &str, query: &ListQuery, position: usize) -> String {
        let base = self
            .base_url
            .get()
            .map_or(GRAPH_ROOT, String::as_str)
            .trim_end_matches('/');
        let mut link = format!("{base}{path}?");
        for (name, value) in &query.carried {
            link.push_str(&utf8_percent_encode(name, QUERY_VALUE).to_string());
            link.push('=');
            link.push_str(&utf8_percent_encode(value, QUERY_VALUE).to_string());
            link.push('&');
        }
        link.push_str("$skiptoken=");
        link.push_str(&encode_skip_token(position, query.advanced));
        link
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn skip_tokens_round_trip() {
        for position in [0, 1, 2, 99, 100, 12_345, 999_999] {
            for advanced in [false, true] {
                let token = encode_skip_token(position, advanced);
                assert!(
                    token
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || b"-_".contains(&byte))
                );
                assert_eq!(decode_skip_token(&token), Some((position, advanced)));
            }
        }
        assert_eq!(decode_skip_token("bm90IG91cnM"), None);
        assert_eq!(decode_skip_token("!!"), None);
    }

    #[test]
    fn skip_tokens_are_unchanged_from_the_hand_written_encoder() {
        // Tokens handed out before the switch to the base64 crate must be the same bytes.
        assert_eq!(encode_skip_token(0, false), "ZW11MTowOjA");
        assert_eq!(encode_skip_token(100, true), "ZW11MToxMDA6MQ");
        assert_eq!(encode_skip_token(12_345, false), "ZW11MToxMjM0NTow");
    }

    #[test]
    fn base64_matches_the_standard_encoding() {
        assert_eq!(encode_base64_url(b""), "");
        assert_eq!(encode_base64_url(b"f"), "Zg");
        assert_eq!(encode_base64_url(b"fo"), "Zm8");
        assert_eq!(encode_base64_url(b"foo"), "Zm9v");
        assert_eq!(encode_base64_url(b"foob"), "Zm9vYg");
        assert_eq!(encode_base64_url(&[0xFB, 0xFF]), "-_8");
    }
}
