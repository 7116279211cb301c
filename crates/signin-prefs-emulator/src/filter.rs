//! The `$filter` subset the emulator understands on users, parsed by hand (recursive descent).
//!
//! Supported, joined by `and` and grouped by parentheses: `startswith(p,'x')` for
//! `userPrincipalName`, `displayName` and `mail`; `endswith(p,'x')` for `userPrincipalName` and
//! `mail` (an advanced query in Graph: it needs `ConsistencyLevel: eventual` and `$count=true`);
//! `p eq 'x'` for `id`, `userPrincipalName`, `displayName`, `mail` and `userType`; and
//! `accountEnabled eq true|false`. String literals double their quotes (`'o''brien'`); function,
//! keyword and property names and string comparisons are case-insensitive, as in Graph. Anything
//! else is refused naming the part, never with a panic, whatever the input.

use std::fmt;

/// Deepest parenthesis nesting accepted (keeps recursion bounded on hostile input).
const MAX_DEPTH: usize = 32;

/// A property a filter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Property {
    Id,
    UserPrincipalName,
    DisplayName,
    Mail,
    UserType,
    AccountEnabled,
}

impl Property {
    fn parse(name: &str) -> Option<Self> {
        const NAMES: [(&str, Property); 6] = [
            ("id", Property::Id),
            ("userPrincipalName", Property::UserPrincipalName),
            ("displayName", Property::DisplayName),
            ("mail", Property::Mail),
            ("userType", Property::UserType),
            ("accountEnabled", Property::AccountEnabled),
        ];
        NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, property)| *property)
    }

    fn name(self) -> &'static str {
        match self {
            Property::Id => "id",
            Property::UserPrincipalName => "userPrincipalName",
            Property::DisplayName => "displayName",
            Property::Mail => "mail",
            Property::UserType => "userType",
            Property::AccountEnabled => "accountEnabled",
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    StartsWith(Property, String),
    EndsWith(Property, String),
    EqualsText(Property, String),
    EqualsBool(Property, bool),
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FilterError {
    /// Not well-formed OData (Graph: 400 `BadRequest`, "Invalid filter clause").
    Syntax(String),
    /// Well-formed but outside the supported subset (Graph: 400 `Request_UnsupportedQuery`).
    Unsupported(String),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Syntax(message) | FilterError::Unsupported(message) => {
                f.write_str(message)
            }
        }
    }
}

/// The facts about one user a filter is evaluated on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub(crate) id: &'a str,
    pub(crate) user_principal_name: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) mail: &'a str,
    pub(crate) user_type: &'a str,
    pub(crate) account_enabled: bool,
}

fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    }
}

impl Filter {
    /// Whether the filter uses a construct that Graph serves only as an advanced query.
    pub(crate) fn needs_advanced_query(&self) -> bool {
        match self {
            Filter::And(parts) => parts.iter().any(Filter::needs_advanced_query),
            Filter::EndsWith(..) => true,
            _ => false,
        }
    }

    /// Whether `subject` matches.
    pub(crate) fn matches(&self, subject: &Subject<'_>) -> bool {
        let text = |property: Property| match property {
            Property::Id => subject.id,
            Property::UserPrincipalName => subject.user_principal_name,
            Property::DisplayName => subject.display_name,
            Property::Mail => subject.mail,
            Property::UserType => subject.user_type,
            Property::AccountEnabled => "",
        };
        match self {
            Filter::And(parts) => parts.iter().all(|part| part.matches(subject)),
            Filter::StartsWith(property, prefix) => {
                fold(text(*property)).starts_with(&fold(prefix))
            }
            Filter::EndsWith(property, suffix) => fold(text(*property)).ends_with(&fold(suffix)),
            Filter::EqualsText(property, value) => fold(text(*property)) == fold(value),
            Filter::EqualsBool(_, value) => subject.account_enabled == *value,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Name(String),
    Text(String),
    Open,
    Close,
    Comma,
    Other(String),
}

impl Token {
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Name(name) | Token::Other(name) => name.clone(),
            Token::Text(text) => format!("'{}'", text.replace('\'', "''")),
            Token::Open => "(".to_owned(),
            Token::Close => ")".to_owned(),
            Token::Comma => ",".to_owned(),
        }
    }
}

pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut characters = input.char_indices().peekable();
    while let Some((position, character)) = characters.next() {
        match character {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            '\'' => {
                let mut text = String::new();
                loop {
                    match characters.next() {
                        Some((_, '\'')) => {
                            if characters.peek().is_some_and(|(_, next)| *next == '\'') {
                                characters.next();
                                text.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, other)) => text.push(other),
                        None => {
                            return Err(FilterError::Syntax(format!(
                                "Invalid filter clause: unterminated string literal at position {position}."
                            )));
                        }
                    }
                }
                tokens.push(Token::Text(text));
            }
            c if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '/' => {
                let mut name = String::from(c);
                while let Some((_, next)) = characters.peek().copied() {
                    if next.is_alphanumeric() || matches!(next, '_' | '.' | '-' | '/') {
                        name.push(next);
                        characters.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Name(name));
            }
            other => tokens.push(Token::Other(other.to_string())),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        if token.is_some() {
            self.position += 1;
        }
        token
    }

    fn expect(&mut self, wanted: &Token, what: &str) -> Result<(), FilterError> {
        match self.next() {
            Some(token) if &token == wanted => Ok(()),
            Some(token) => Err(FilterError::Syntax(format!(
                "Invalid filter clause: expected {what}, found '{}'.",
                token.describe()
            ))),
            None => Err(FilterError::Syntax(format!(
                "Invalid filter clause: expected {what} at the end of the clause."
            ))),
        }
    }

    fn expression(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::Syntax(
                "Invalid filter clause: parentheses nested too deeply.".to_owned(),
            ));
        }
        let mut parts = vec![self.term(depth)?];
        loop {
            match self.peek() {
                Some(Token::Name(word)) if word.eq_ignore_ascii_case("and") => {
                    self.next();
                    parts.push(self.term(depth)?);
                }
                Some(Token::Name(word))
                    if word.eq_ignore_ascii_case("or") || word.eq_ignore_ascii_case("not") =>
                {
                    return Err(FilterError::Unsupported(format!(
                        "Unsupported query: the operator '{word}' is not supported; only 'and' joins clauses."
                    )));
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Filter::And(Vec::new()))
        } else {
            Filter::And(parts)
        })
    }

    fn term(&mut self, depth: usize) -> Result<Filter, FilterError> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.expression(depth + 1)?;
                self.expect(&Token::Close, "')'")?;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                if self.peek() == Some(&Token::Open) {
                    self.function(&name)
                } else {
                    self.comparison(&name)
                }
            }
            Some(token) => Err(FilterError::Syntax(format!(
                "Invalid filter clause: unexpected '{}'.",
                token.describe()
            ))),
            None => Err(FilterError::Syntax(
                "Invalid filter clause: the clause is empty or ends early.".to_owned(),
            )),
        }
    }

    fn function(&mut self, name: &str) -> Result<Filter, FilterError> {
        let starts = name.eq_ignore_ascii_case("startswith");
        let ends = name.eq_ignore_ascii_case("endswith");
        if !starts && !ends {
            return Err(FilterError::Unsupported(format!(
                "Unsupported query: the function '{name}' is not supported."
            )));
        }
        self.expect(&Token::Open, "'('")?;
        let property_name = match self.next() {
            Some(Token::Name(property)) => property,
            other => {
                return Err(FilterError::Syntax(format!(
                    "Invalid filter clause: '{name}' needs a property name, found '{}'.",
                    other.map_or_else(|| "end of clause".to_owned(), |token| token.describe())
                )));
            }
        };
        self.expect(&Token::Comma, "','")?;
        let literal = match self.next() {
            Some(Token::Text(text)) => text,
            other => {
                return Err(FilterError::Syntax(format!(
                    "Invalid filter clause: '{name}' needs a string literal, found '{}'.",
                    other.map_or_else(|| "end of clause".to_owned(), |token| token.describe())
                )));
            }
        };
        self.expect(&Token::Close, "')'")?;
        let property = Property::parse(&property_name);
        let supported = match property {
            Some(Property::UserPrincipalName | Property::Mail) => true,
            Some(Property::DisplayName) => starts,
            _ => false,
        };
        match property {
            Some(property) if supported => Ok(if starts {
                Filter::StartsWith(property, literal)
            } else {
                Filter::EndsWith(property, literal)
            }),
            _ => Err(unsupported_property(&property_name)),
        }
    }

    fn comparison(&mut self, name: &str) -> Result<Filter, FilterError> {
        let operator = match self.next() {
            Some(Token::Name(operator)) => operator,
            other => {
                return Err(FilterError::Syntax(format!(
                    "Invalid filter clause: expected an operator after '{name}', found '{}'.",
                    other.map_or_else(|| "end of clause".to_owned(), |token| token.describe())
                )));
            }
        };
        if !operator.eq_ignore_ascii_case("eq") {
            return Err(FilterError::Unsupported(format!(
                "Unsupported query: the operator '{operator}' is not supported; use 'eq'."
            )));
        }
        let Some(property) = Property::parse(name) else {
            return Err(unsupported_property(name));
        };
        match (property, self.next()) {
            (Property::AccountEnabled, Some(Token::Name(value)))
                if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") =>
            {
                Ok(Filter::EqualsBool(
                    property,
                    value.eq_ignore_ascii_case("true"),
                ))
            }
            (Property::AccountEnabled, _) => Err(FilterError::Syntax(
                "Invalid filter clause: 'accountEnabled' compares with true or false.".to_owned(),
            )),
            (_, Some(Token::Text(text))) => Ok(Filter::EqualsText(property, text)),
            (_, other) => Err(FilterError::Syntax(format!(
                "Invalid filter clause: '{}' compares with a string literal, found '{}'.",
                property.name(),
                other.map_or_else(|| "end of clause".to_owned(), |token| token.describe())
            ))),
        }
    }
}

fn unsupported_property(name: &str) -> FilterError {
    // Graph's wording for a property outside the filterable set.
    FilterError::Unsupported(format!(
        "Unsupported or invalid query filter clause specified for property '{name}' of resource 'User'."
    ))
}

/// Parses a `$filter` value.
pub(crate) fn parse(input: &str) -> Result<Filter, FilterError> {
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        position: 0,
    };
    let filter = parser.expression(0)?;
    match parser.next() {
        None => Ok(filter),
        Some(token) => Err(FilterError::Syntax(format!(
            "Invalid filter clause: unexpected '{}' after the end of the clause.",
            token.describe()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    fn subject<'a>(upn: &'a str, display_name: &'a str, guest: bool) -> Subject<'a> {
        Subject {
            id: "0b1c8c4e-5e43-4c5e-9f0a-1f2e3d4c5b6a",
            user_principal_name: upn,
            display_name,
            mail: upn,
            user_type: if guest { "Guest" } else { "Member" },
            account_enabled: true,
        }
    }

    #[test]
    fn parses_the_supported_subset() {
        assert_eq!(
            parse("startswith(userPrincipalName,'adele')").unwrap(),
            Filter::StartsWith(Property::UserPrincipalName, "adele".into())
        );
        assert_eq!(
            parse("startsWith(displayName, 'Ad') and userType eq 'Guest'").unwrap(),
            Filter::And(vec![
                Filter::StartsWith(Property::DisplayName, "Ad".into()),
                Filter::EqualsText(Property::UserType, "Guest".into()),
            ])
        );
        assert_eq!(
            parse("(accountEnabled eq false)").unwrap(),
            Filter::EqualsBool(Property::AccountEnabled, false)
        );
        assert_eq!(
            parse("startswith(userPrincipalName,'o''brien')").unwrap(),
            Filter::StartsWith(Property::UserPrincipalName, "o'brien".into())
        );
        assert!(
            parse("endswith(userPrincipalName,'@contoso.com')")
                .unwrap()
                .needs_advanced_query()
        );
        assert!(
            !parse("startswith(mail,'a')")
                .unwrap()
                .needs_advanced_query()
        );
    }

    #[test]
    fn matches_case_insensitively() {
        let adele = subject("Adele.Vance@contoso.com", "Adele Vance", false);
        let guest = subject("zoë_fabrikam.com#EXT#@contoso.com", "Zoë", true);
        let check = |filter: &str, who: &Subject<'_>| parse(filter).unwrap().matches(who);
        assert!(check("startswith(userPrincipalName,'adele')", &adele));
        assert!(check("startswith(displayName,'ADELE v')", &adele));
        assert!(check("endswith(userPrincipalName,'CONTOSO.COM')", &adele));
        assert!(check("userType eq 'member'", &adele));
        assert!(!check("userType eq 'Guest'", &adele));
        assert!(check(
            "userType eq 'Guest' and startswith(displayName,'ZOË')",
            &guest
        ));
        assert!(check("accountEnabled eq true", &adele));
        assert!(!check("accountEnabled eq false", &adele));
        assert!(!check(
            "startswith(userPrincipalName,'adele') and userType eq 'Guest'",
            &adele
        ));
    }

    #[test]
    fn refuses_what_it_does_not_support_naming_it() {
        let unsupported = |filter: &str| match parse(filter) {
            Err(FilterError::Unsupported(message)) => message,
            other => panic!("{filter}: {other:?}"),
        };
        assert!(unsupported("startswith(jobTitle,'x')").contains("jobTitle"));
        assert!(unsupported("contains(displayName,'x')").contains("contains"));
        assert!(unsupported("userType eq 'Guest' or userType eq 'Member'").contains("or"));
        assert!(unsupported("userType ne 'Guest'").contains("ne"));
        assert!(unsupported("endswith(displayName,'x')").contains("displayName"));
        let syntax = |filter: &str| matches!(parse(filter), Err(FilterError::Syntax(_)));
        assert!(syntax(""));
        assert!(syntax("startswith(userPrincipalName,'x'"));
        assert!(syntax("startswith(userPrincipalName,'x)"));
        assert!(syntax("accountEnabled eq 'yes'"));
        assert!(syntax("userType eq 'Guest' and"));
        assert!(syntax(&"(".repeat(10_000)));
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(input in any::<String>()) {
            let _ = parse(&input);
        }

        #[test]
        fn filter_shaped_strings_never_panic(
            input in "[()',a-zA-Z ]{0,40}|(startswith|endswith|and|eq|or|'|\\(|\\)|,| |userType|accountEnabled|true|'x''y'){0,12}"
        ) {
            if let Ok(filter) = parse(&input) {
                let _ = filter.matches(&subject("a@b", "A", false));
            }
        }
    }
}
