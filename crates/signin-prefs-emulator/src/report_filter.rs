//! The `$filter` forms the registration report documents, evaluated on a report entry.
//!
//! Microsoft's list page (microsoft-graph-docs-contrib,
//! `api-reference/beta/api/authenticationmethodsroot-list-userregistrationdetails.md`, "Optional
//! query parameters") and the resource page (`resources/userregistrationdetails.md`) document:
//! `eq` on the `is…` flags, `eq` and `startswith()` on `userPrincipalName` and `userDisplayName`
//! (case-insensitive), and `any` with `eq` on `methodsRegistered` and
//! `systemPreferredAuthenticationMethods` (`methodsRegistered/any(x:x eq 'email')`). Neither page
//! lists `userPreferredMethodForSecondaryAuthentication` or `defaultMfaMethod` as filterable, so
//! they are refused here like every other property: 400 `Request_UnsupportedQuery` (the exact
//! wording of the real refusal is not published). Clauses join with `and`, as the list page's
//! "one or more of the following properties" allows; `or` and `not` are refused.

use serde_json::{Map, Value};

use crate::filter::{FilterError, Token, tokenize};

/// Deepest parenthesis nesting accepted (keeps recursion bounded on hostile input).
const MAX_DEPTH: usize = 32;

const TEXT_PROPERTIES: [&str; 2] = ["userPrincipalName", "userDisplayName"];
const FLAG_PROPERTIES: [&str; 7] = [
    "isMfaCapable",
    "isMfaRegistered",
    "isPasswordlessCapable",
    "isSsprCapable",
    "isSsprEnabled",
    "isSsprRegistered",
    "isSystemPreferredAuthenticationMethodEnabled",
];
const LIST_PROPERTIES: [&str; 2] = ["methodsRegistered", "systemPreferredAuthenticationMethods"];

/// A parsed report filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReportFilter {
    And(Vec<ReportFilter>),
    TextEquals(&'static str, String),
    StartsWith(&'static str, String),
    FlagEquals(&'static str, bool),
    /// `property/any(x:x eq 'value')`.
    AnyEquals(&'static str, String),
}

fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    }
}

impl ReportFilter {
    /// Whether the report entry `entry` matches.
    pub(crate) fn matches(&self, entry: &Map<String, Value>) -> bool {
        match self {
            ReportFilter::And(parts) => parts.iter().all(|part| part.matches(entry)),
            ReportFilter::TextEquals(property, value) => entry
                .get(*property)
                .and_then(Value::as_str)
                .is_some_and(|text| fold(text) == fold(value)),
            ReportFilter::StartsWith(property, prefix) => entry
                .get(*property)
                .and_then(Value::as_str)
                .is_some_and(|text| fold(text).starts_with(&fold(prefix))),
            ReportFilter::FlagEquals(property, value) => {
                entry.get(*property).and_then(Value::as_bool) == Some(*value)
            }
            ReportFilter::AnyEquals(property, value) => entry
                .get(*property)
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(|item| item.as_str() == Some(value))),
        }
    }
}

fn known(list: &[&'static str], name: &str) -> Option<&'static str> {
    list.iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .copied()
}

fn unsupported(name: &str) -> FilterError {
    FilterError::Unsupported(format!(
        "Unsupported or invalid query filter clause specified for property '{name}' of resource 'userRegistrationDetails'."
    ))
}

fn syntax(message: &str, found: Option<Token>) -> FilterError {
    FilterError::Syntax(format!(
        "Invalid filter clause: {message}, found '{}'.",
        found.map_or_else(|| "end of clause".to_owned(), |token| token.describe())
    ))
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        if token.is_some() {
            self.position += 1;
        }
        token
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn expect(&mut self, wanted: &Token, what: &str) -> Result<(), FilterError> {
        match self.next() {
            Some(token) if &token == wanted => Ok(()),
            other => Err(syntax(&format!("expected {what}"), other)),
        }
    }

    fn name(&mut self, what: &str) -> Result<String, FilterError> {
        match self.next() {
            Some(Token::Name(name)) => Ok(name),
            other => Err(syntax(&format!("expected {what}"), other)),
        }
    }

    fn text(&mut self, what: &str) -> Result<String, FilterError> {
        match self.next() {
            Some(Token::Text(text)) => Ok(text),
            other => Err(syntax(&format!("expected {what}"), other)),
        }
    }

    fn eq(&mut self) -> Result<(), FilterError> {
        match self.next() {
            Some(Token::Name(operator)) if operator.eq_ignore_ascii_case("eq") => Ok(()),
            Some(Token::Name(operator)) => Err(FilterError::Unsupported(format!(
                "Unsupported query: the operator '{operator}' is not supported; use 'eq'."
            ))),
            other => Err(syntax("expected an operator", other)),
        }
    }

    fn expression(&mut self, depth: usize) -> Result<ReportFilter, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::Syntax(
                "Invalid filter clause: parentheses nested too deeply.".to_owned(),
            ));
        }
        let mut parts = vec![self.term(depth)?];
        while let Some(Token::Name(word)) = self.peek() {
            if word.eq_ignore_ascii_case("and") {
                self.next();
                parts.push(self.term(depth)?);
            } else if word.eq_ignore_ascii_case("or") || word.eq_ignore_ascii_case("not") {
                return Err(FilterError::Unsupported(format!(
                    "Unsupported query: the operator '{word}' is not supported; only 'and' joins clauses."
                )));
            } else {
                break;
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(ReportFilter::And(Vec::new()))
        } else {
            ReportFilter::And(parts)
        })
    }

    fn term(&mut self, depth: usize) -> Result<ReportFilter, FilterError> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.expression(depth + 1)?;
                self.expect(&Token::Close, "')'")?;
                Ok(inner)
            }
            Some(Token::Name(name)) if self.peek() == Some(&Token::Open) => {
                if let Some((property, function)) = name.split_once('/') {
                    self.any(property, function)
                } else {
                    self.starts_with(&name)
                }
            }
            Some(Token::Name(name)) => self.comparison(&name),
            other => Err(syntax("expected a clause", other)),
        }
    }

    /// `startswith(property,'prefix')`.
    fn starts_with(&mut self, function: &str) -> Result<ReportFilter, FilterError> {
        if !function.eq_ignore_ascii_case("startswith") {
            return Err(FilterError::Unsupported(format!(
                "Unsupported query: the function '{function}' is not supported."
            )));
        }
        self.expect(&Token::Open, "'('")?;
        let name = self.name("a property name")?;
        self.expect(&Token::Comma, "','")?;
        let prefix = self.text("a string literal")?;
        self.expect(&Token::Close, "')'")?;
        let property = known(&TEXT_PROPERTIES, &name).ok_or_else(|| unsupported(&name))?;
        Ok(ReportFilter::StartsWith(property, prefix))
    }

    /// `property/any(x:x eq 'value')`.
    fn any(&mut self, name: &str, function: &str) -> Result<ReportFilter, FilterError> {
        let property = known(&LIST_PROPERTIES, name).ok_or_else(|| unsupported(name))?;
        if !function.eq_ignore_ascii_case("any") {
            return Err(FilterError::Unsupported(format!(
                "Unsupported query: the lambda operator '{function}' is not supported; use 'any'."
            )));
        }
        self.expect(&Token::Open, "'('")?;
        let variable = self.name("a range variable")?;
        self.expect(&Token::Other(":".to_owned()), "':'")?;
        let used = self.name("the range variable")?;
        if used != variable {
            return Err(FilterError::Syntax(format!(
                "Invalid filter clause: '{used}' is not the range variable '{variable}'."
            )));
        }
        self.eq()?;
        let value = self.text("a string literal")?;
        self.expect(&Token::Close, "')'")?;
        Ok(ReportFilter::AnyEquals(property, value))
    }

    /// `property eq 'text'` or `flag eq true|false`.
    fn comparison(&mut self, name: &str) -> Result<ReportFilter, FilterError> {
        let text = known(&TEXT_PROPERTIES, name);
        let flag = known(&FLAG_PROPERTIES, name);
        if text.is_none() && flag.is_none() {
            return Err(unsupported(name));
        }
        self.eq()?;
        match (text, flag, self.next()) {
            (Some(property), _, Some(Token::Text(value))) => {
                Ok(ReportFilter::TextEquals(property, value))
            }
            (_, Some(property), Some(Token::Name(value)))
                if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") =>
            {
                Ok(ReportFilter::FlagEquals(
                    property,
                    value.eq_ignore_ascii_case("true"),
                ))
            }
            (_, _, other) => Err(syntax(
                &format!("'{name}' compares with a literal of its type"),
                other,
            )),
        }
    }
}

/// Parses a `$filter` value on the registration report.
pub(crate) fn parse(input: &str) -> Result<ReportFilter, FilterError> {
    let mut parser = Parser {
        tokens: tokenize(input)?,
        position: 0,
    };
    let filter = parser.expression(0)?;
    match parser.next() {
        None => Ok(filter),
        Some(token) => Err(syntax("expected the end of the clause", Some(token))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn entry() -> Map<String, Value> {
        match json!({
            "userPrincipalName": "Adele@contoso.com",
            "userDisplayName": "Adele Vance",
            "isMfaRegistered": true,
            "methodsRegistered": ["mobilePhone", "microsoftAuthenticatorPush"],
        }) {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn check(filter: &str) -> bool {
        parse(filter).unwrap().matches(&entry())
    }

    #[test]
    fn the_documented_forms_match_as_documented() {
        assert!(check("methodsRegistered/any(x:x eq 'mobilePhone')"));
        assert!(check(
            "methodsRegistered/any(m: m eq 'microsoftAuthenticatorPush')"
        ));
        assert!(!check("methodsRegistered/any(x:x eq 'email')"));
        assert!(check("isMfaRegistered eq true"));
        assert!(!check("isMfaRegistered eq false"));
        assert!(check("userPrincipalName eq 'adele@contoso.com'"));
        assert!(check("startswith(userDisplayName,'adele')"));
        assert!(check(
            "(methodsRegistered/any(x:x eq 'mobilePhone')) and startswith(userPrincipalName,'A')"
        ));
        assert!(!check("isMfaCapable eq true"), "a property the entry lacks");
    }

    #[test]
    fn what_microsoft_does_not_document_is_refused_as_unsupported() {
        for filter in [
            "userPreferredMethodForSecondaryAuthentication eq 'sms'",
            "defaultMfaMethod eq 'mobilePhone'",
            "methodsRegistered/all(x:x eq 'email')",
            "isMfaRegistered eq true or isMfaCapable eq true",
            "endswith(userPrincipalName,'.com')",
            "isMfaRegistered ne true",
        ] {
            assert!(
                matches!(parse(filter), Err(FilterError::Unsupported(_))),
                "{filter}"
            );
        }
        for filter in [
            "methodsRegistered/any(x:y eq 'email')",
            "isMfaRegistered eq 'yes'",
            "(isMfaRegistered eq true",
            "",
        ] {
            assert!(
                matches!(parse(filter), Err(FilterError::Syntax(_))),
                "{filter}"
            );
        }
    }
}
