//! Following `@odata.nextLink`: the next page of a collection, as an operation of its own.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::{Error, GraphRequest, Method, Operation};

/// The request for the page an `@odata.nextLink` points to.
///
/// The link is absolute and opaque (it carries Graph's skip token); it is sent as given. The caller
/// must check [`NextPage::origin`] against the service it trusts before sending a token there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPage<P> {
    origin: String,
    path_and_query: String,
    page: PhantomData<fn() -> P>,
}

impl<P> NextPage<P> {
    /// Reads a next link; fails unless it is an absolute `http` or `https` URL with a path.
    pub fn new(next_link: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidNextLink {
            link: next_link.to_owned(),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = next_link
            .split_once("://")
            .ok_or_else(|| invalid("not an absolute URL"))?;
        if scheme != "https" && scheme != "http" {
            return Err(invalid("the scheme is neither https nor http"));
        }
        let path_start = rest.find('/').ok_or_else(|| invalid("it has no path"))?;
        let (authority, path_and_query) = rest.split_at(path_start);
        if authority.is_empty() || authority.contains(['@', '?', '#']) {
            return Err(invalid("the host part is malformed"));
        }
        if path_and_query.contains('#') || path_and_query.chars().any(char::is_whitespace) {
            return Err(invalid("it contains a fragment or whitespace"));
        }
        Ok(Self {
            origin: format!("{scheme}://{authority}"),
            path_and_query: path_and_query.to_owned(),
            page: PhantomData,
        })
    }

    /// Scheme and host of the link, e.g. `https://graph.microsoft.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl<P: DeserializeOwned> Operation for NextPage<P> {
    type Output = P;

    const OPERATION_ID: &'static str = "@odata.nextLink";
    const METHOD: Method = Method::GET;
    const PATH_TEMPLATE: &'static str = "{@odata.nextLink}";

    fn to_request(&self) -> Result<GraphRequest, Error> {
        // The link's query (skip token and all) is already encoded: it goes out as it came.
        Ok(GraphRequest::new(Method::GET, self.path_and_query.clone()))
    }

    fn decode_response(status: u16, body: &[u8]) -> Result<P, Error> {
        crate::decode::json(Self::OPERATION_ID, status, body)
    }
}
