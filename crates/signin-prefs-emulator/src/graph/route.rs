//! A request, and which resource its path names: `/{version}/…` split into a [`Resource`], or
//! the answer Graph gives for a path it does not serve.

use http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;

use super::response::{Correlation, GraphResponse};
use crate::auth::Access;
use crate::faults::FaultRoute;

/// One request, from the wire or from a `$batch` item.
pub(crate) struct GraphRequest<'a> {
    pub(crate) method: &'a Method,
    /// Path with its query, percent-encoded as received.
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
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
pub(crate) enum UserRef {
    Key(String),
    Me,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    SignInPreferences(UserRef),
    Methods(UserRef),
    Batch,
    /// A paged collection (`/users`, a group's transitive users, the registration report).
    List(ListKind),
    /// The `$count` segment of a directory list (`/users/$count`, a group's users').
    Count(ListKind),
    /// `/policies/authenticationMethodsPolicy`.
    MethodsPolicy,
}

/// Which paged collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListKind {
    Users,
    GroupMembers(String),
    RegistrationDetails,
}

impl ListKind {
    pub(crate) fn fault_route(&self) -> FaultRoute {
        match self {
            ListKind::Users => FaultRoute::ListUsers,
            ListKind::GroupMembers(_) => FaultRoute::ListGroupMembers,
            ListKind::RegistrationDetails => FaultRoute::RegistrationReport,
        }
    }

    pub(crate) fn access(&self) -> Access {
        match self {
            ListKind::RegistrationDetails => Access::ReadReport,
            _ => Access::ReadDirectory,
        }
    }

    /// Whether it lists directory objects (users), where `$count` and `endswith` are advanced
    /// queries and `$filter` applies.
    pub(crate) fn is_directory(&self) -> bool {
        !matches!(self, ListKind::RegistrationDetails)
    }
}

/// Splits `/{version}/...` into a resource, or the error Graph gives for the path.
pub(crate) fn route(
    path: &str,
    correlation: &Correlation,
) -> Result<(Version, Resource), GraphResponse> {
    let mut raw_segments = path.trim_start_matches('/').split('/').collect::<Vec<_>>();
    if raw_segments.last().is_some_and(|last| last.is_empty()) && raw_segments.len() > 1 {
        raw_segments.pop();
    }
    let segments: Vec<String> = raw_segments
        .iter()
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    // Graph answers an unknown segment with code `BadRequest` (microsoftgraph/msgraph-beta-sdk-python#764
    // shows `code='BadRequest'` for "Resource not found for the segment 'partner'";
    // microsoftgraph/microsoft-graph-docs#4900 and #21648 report the same answer).
    let not_found = |segment: &str| {
        GraphResponse::bad_request(
            "BadRequest",
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
        [policies, policy] if policies == "policies" && policy == "authenticationMethodsPolicy" => {
            return Ok((version, Resource::MethodsPolicy));
        }
        [users] if users == "users" => return Ok((version, Resource::List(ListKind::Users))),
        [users, count] if users == "users" && count == "$count" => {
            return Ok((version, Resource::Count(ListKind::Users)));
        }
        [groups, id, members, cast, count]
            if groups == "groups"
                && members == "transitiveMembers"
                && cast == "microsoft.graph.user"
                && count == "$count" =>
        {
            return Ok((version, Resource::Count(ListKind::GroupMembers(id.clone()))));
        }
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
                return Err(GraphResponse::bad_request(
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
pub(crate) fn key_literal(key: &str) -> String {
    key.replace('\'', "''")
}
