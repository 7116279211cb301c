//! Percent-encoded request paths, where a key is always exactly one segment.
//!
//! A user key is an object id or a user principal name, and UPNs carry characters that mean
//! something in a URL: `#` in guests' `…#EXT#@…`, `/`, `?`, `%`, spaces, apostrophes, non-ASCII.
//! Every byte outside RFC 3986's unreserved set and `@` is percent-encoded, so no key can change the
//! host, the path above it, or the query. Keys that a URL parser or OData would still read as
//! something else, those starting with `$` (OData's system segments) and the dot segments `.` and
//! `..`, use OData's key form `users('…')` instead, with `'` doubled inside the literal.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// What stays literal in a path segment: RFC 3986 unreserved characters and `@` (as in UPNs).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// What stays literal in text from the spec (literal segments, a template's fixed text): every
/// character RFC 3986 allows in a segment, so `$count` and `f(x=1)` go out as written.
const SPEC_TEXT: &AsciiSet = &SEGMENT
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':');

/// A piece of a path segment template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplatePart<'a> {
    /// Fixed text from the spec.
    Literal(&'a str),
    /// A parameter's value; `quoted` when the template puts it inside `'…'`.
    Param {
        /// The parameter's name in the spec.
        name: &'static str,
        /// The value, not yet encoded.
        value: &'a str,
        /// Whether the value sits inside an OData string literal.
        quoted: bool,
    },
}

/// Builds a path one segment at a time.
#[derive(Debug, Clone)]
pub struct PathBuilder {
    path: String,
    /// Where the last segment starts, if it is a literal (a collection a key may follow).
    last_literal: Option<usize>,
}

impl PathBuilder {
    /// Starts at `base_path` (e.g. `/beta`), which is taken as already encoded.
    pub fn new(base_path: &str) -> Self {
        Self {
            path: base_path.trim_end_matches('/').to_owned(),
            last_literal: None,
        }
    }

    /// Appends a fixed segment from the spec, such as `users`, `authentication` or `$count`.
    pub fn push_literal(&mut self, literal: &str) {
        self.last_literal = Some(self.path.len());
        self.path.push('/');
        self.path.extend(utf8_percent_encode(literal, SPEC_TEXT));
    }

    /// Appends a key (e.g. `user-id`) as exactly one segment, or in the key form
    /// `collection('key')` when the plain form would be misread.
    pub fn push_key(&mut self, name: &'static str, key: &str) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error::EmptyPathParameter { name });
        }
        let previous_literal = self.last_literal.take();
        if needs_key_form(key) {
            if previous_literal.is_none() {
                return Err(Error::KeyWithoutCollection {
                    name,
                    value: key.to_owned(),
                });
            }
            self.path.push_str("('");
            self.path
                .extend(utf8_percent_encode(&key.replace('\'', "''"), SEGMENT));
            self.path.push_str("')");
        } else {
            self.path.push('/');
            self.path.extend(utf8_percent_encode(key, SEGMENT));
        }
        Ok(())
    }

    /// Appends a segment mixing fixed text and parameters, as OData function calls do:
    /// `creationOptions(challengeTimeoutInMinutes={challengeTimeoutInMinutes})`. Each parameter is
    /// percent-encoded, with `'` doubled when the template quotes it, so it stays inside its slot.
    pub fn push_template(&mut self, parts: &[TemplatePart<'_>]) -> Result<(), Error> {
        self.last_literal = None;
        self.path.push('/');
        for part in parts {
            match part {
                TemplatePart::Literal(text) => {
                    self.path.extend(utf8_percent_encode(text, SPEC_TEXT))
                }
                TemplatePart::Param {
                    name,
                    value,
                    quoted,
                } => {
                    if value.is_empty() && !quoted {
                        return Err(Error::EmptyPathParameter { name });
                    }
                    let value = if *quoted {
                        value.replace('\'', "''")
                    } else {
                        (*value).to_owned()
                    };
                    self.path.extend(utf8_percent_encode(&value, SEGMENT));
                }
            }
        }
        Ok(())
    }

    /// The encoded path.
    pub fn finish(self) -> String {
        self.path
    }
}

fn needs_key_form(key: &str) -> bool {
    key.starts_with('$') || key == "." || key == ".."
}
