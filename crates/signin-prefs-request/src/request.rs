//! A request as a value: what to send, encoded, but not how.

use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::{Error, Method};

/// What stays literal in a query name or value: unreserved characters and the OData punctuation
/// Graph's own examples leave bare (`$select=a,b`, `$filter=startswith(x,'y')`).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b',')
    .remove(b'@')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b':');

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// An HTTP request for one Graph operation, relative to the service's origin.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GraphRequest {
    /// The HTTP method.
    pub method: Method,
    /// The percent-encoded path, starting with the API base path, e.g. `/beta/users/…`.
    pub path: String,
    /// Query parameters as (name, value) pairs, not yet encoded, in the order they were added.
    pub query: Vec<(String, String)>,
    /// Headers: `Accept`, `Content-Type` when there is a body, and header parameters.
    pub headers: HeaderMap,
    /// The body, as JSON bytes.
    pub body: Option<Vec<u8>>,
}

impl GraphRequest {
    /// A request accepting JSON, with no query, no body and no other headers.
    pub fn new(method: Method, path: String) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, JSON);
        Self {
            method,
            path,
            query: Vec::new(),
            headers,
            body: None,
        }
    }

    /// Adds a query parameter.
    pub fn push_query(&mut self, name: &str, value: &str) {
        self.query.push((name.to_owned(), value.to_owned()));
    }

    /// Adds a list parameter, comma-separated; an empty list is not sent.
    pub fn push_query_list(&mut self, name: &str, values: &[String]) {
        if !values.is_empty() {
            self.push_query(name, &values.join(","));
        }
    }

    /// Adds a header, refusing values HTTP cannot carry (line breaks, other control characters).
    pub fn push_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let invalid = |reason: String| Error::InvalidHeader {
            name: name.to_owned(),
            value: value.to_owned(),
            reason,
        };
        let header_name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let header_value = HeaderValue::from_str(value).map_err(|e| invalid(e.to_string()))?;
        self.headers.append(header_name, header_value);
        Ok(())
    }

    /// Sets `body` as the JSON body, with its content type.
    pub fn set_json_body<T: Serialize>(
        &mut self,
        operation: &'static str,
        body: &T,
    ) -> Result<(), Error> {
        let bytes =
            serde_json::to_vec(body).map_err(|source| Error::EncodeBody { operation, source })?;
        self.body = Some(bytes);
        self.headers.insert(CONTENT_TYPE, JSON);
        Ok(())
    }

    /// The request target: the path, then the encoded query if there is one.
    pub fn path_and_query(&self) -> String {
        let mut target = self.path.clone();
        for (index, (name, value)) in self.query.iter().enumerate() {
            target.push(if index == 0 { '?' } else { '&' });
            target.extend(utf8_percent_encode(name, QUERY));
            target.push('=');
            target.extend(utf8_percent_encode(value, QUERY));
        }
        target
    }

    /// The absolute URL on `origin` (scheme and host, e.g. `https://graph.microsoft.com`).
    pub fn url(&self, origin: &str) -> String {
        format!("{}{}", origin.trim_end_matches('/'), self.path_and_query())
    }
}
