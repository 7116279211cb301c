//! The keys an operator names things by: [`UserKey`] (an object id or a user principal name) and
//! [`GroupId`] (a group's object id). Their `parse` is the one place their rules live: the CLI, the
//! bulk engine's targets files and the Python package all go through it, so they accept and refuse
//! the same keys with the same words.
//!
//! A checked key converts into the `String` the generated operations' constructors take
//! (`GetSignInPreference::new(key)`), and [`PathBuilder`](crate::PathBuilder) still encodes any key
//! as exactly one segment: the check is about what can name a user or group, not URL safety.

use std::fmt;
use std::str::FromStr;

use signin_prefs_model::text::{describe_char, is_invisible, show_value};

use crate::Error;

/// The longest user key accepted, in characters.
pub const MAX_USER_KEY_CHARS: usize = 1024;

/// RFC 5322's "specials" other than `.` and `@`: never part of an Entra user principal name.
const RESERVED_CHARS: &[char] = &['"', ',', ';', ':', '<', '>', '(', ')', '[', ']', '\\'];

/// What is wrong with a key, as a sentence (callers say which key and where it came from).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The user key is empty.
    EmptyUser,
    /// Longer than [`MAX_USER_KEY_CHARS`].
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// A whitespace character.
    Whitespace(char),
    /// A control character.
    Control(char),
    /// A zero-width or direction mark, a soft hyphen, a stray byte order mark.
    Invisible(char),
    /// One of RFC 5322's specials, which no Entra user principal name holds.
    Reserved(char),
    /// Neither a GUID nor anything with an `@`.
    NeitherIdNorUpn,
    /// More than one `@`.
    AtSigns(usize),
    /// Nothing before the `@`.
    NothingBeforeAt,
    /// Nothing after the `@`.
    NoDomain,
    /// A domain without a dot.
    DomainWithoutDot(String),
    /// A domain with an empty label.
    EmptyDomainLabel(String),
    /// The group id is empty.
    EmptyGroup,
    /// A group id that is not a GUID.
    NotAGroupId {
        /// Whether it looks like a user principal name or a mail address (holds an `@`).
        has_at_sign: bool,
    },
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyUser => f.write_str("the user is empty"),
            Self::TooLong { chars } => write!(
                f,
                "the user is {chars} characters long; at most {MAX_USER_KEY_CHARS} are allowed"
            ),
            Self::Whitespace(c) => write!(
                f,
                "a user cannot contain whitespace (found {})",
                describe_char(*c)
            ),
            Self::Control(c) => write!(
                f,
                "a user cannot contain control characters (found {})",
                describe_char(*c)
            ),
            Self::Invisible(c) => write!(
                f,
                "a user cannot contain invisible characters (found {}); retype the value instead of pasting it",
                describe_char(*c)
            ),
            Self::Reserved(c) => {
                let hint = if *c == '"' {
                    " (if the file quotes values, the quote must come right after the comma, with no space before it)"
                } else {
                    ""
                };
                write!(f, "a user cannot contain {}{hint}", describe_char(*c))
            }
            Self::NeitherIdNorUpn => f.write_str(
                "this is neither an object id (a GUID like 00000000-0000-0000-0000-000000000000) nor a user principal name (name@domain)",
            ),
            Self::AtSigns(count) => write!(
                f,
                "a user principal name has exactly one '@' (found {count})"
            ),
            Self::NothingBeforeAt => {
                f.write_str("the user principal name has nothing before the '@'")
            }
            Self::NoDomain => f.write_str("the user principal name has no domain after the '@'"),
            Self::DomainWithoutDot(domain) => write!(
                f,
                "the domain \"{}\" has no dot (expected something like contoso.com)",
                show_value(domain)
            ),
            Self::EmptyDomainLabel(domain) => write!(
                f,
                "the domain \"{}\" has an empty label (a leading, trailing or doubled dot)",
                show_value(domain)
            ),
            Self::EmptyGroup => f.write_str("the group is empty"),
            Self::NotAGroupId { has_at_sign } => {
                f.write_str(
                    "a group is named by its object id (a GUID like 00000000-0000-0000-0000-000000000000)",
                )?;
                if *has_at_sign {
                    f.write_str(
                        "; this looks like a user principal name or a mail address, which Graph does not find groups by",
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// A user's object id or user principal name, checked.
///
/// A user principal name has exactly one `@`, a non-empty part before it and a domain after it
/// with a dot and no empty labels. Neither form may hold whitespace, control or invisible
/// characters or the characters RFC 5322 reserves (`" , ; : < > ( ) [ ] \`), which no Entra UPN
/// contains and which usually mean a CSV was split or quoted wrongly. Guest UPNs
/// (`name_domain#EXT#@tenant`), apostrophes and non-ASCII letters are valid. At most
/// [`MAX_USER_KEY_CHARS`] characters. The key is kept as written (not trimmed, not lowercased),
/// except that OData's key form `users('…')`, as Graph writes it in URLs and `@odata.context`, is
/// read as the key inside it (`'` doubled within it undone), so that both spellings of one user
/// are one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserKey(String);

impl UserKey {
    /// Checks `key`; the error ([`Error::InvalidUserKey`]) names it and says what is wrong.
    pub fn parse(key: &str) -> Result<Self, Error> {
        let inner = odata_key_literal(key);
        let checked = inner.as_deref().unwrap_or(key);
        match user_key_problem(checked) {
            None => Ok(Self(checked.to_owned())),
            Some(problem) => Err(Error::InvalidUserKey {
                value: key.to_owned(),
                problem,
            }),
        }
    }

    /// The key as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the key is an object id (a GUID) rather than a user principal name.
    pub fn is_object_id(&self) -> bool {
        is_guid(&self.0)
    }
}

/// A group's object id (a GUID, any case), checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(String);

impl GroupId {
    /// Checks `id`; the error ([`Error::InvalidGroupId`]) names it and says what is wrong.
    pub fn parse(id: &str) -> Result<Self, Error> {
        let problem = if id.is_empty() {
            KeyProblem::EmptyGroup
        } else if is_guid(id) {
            return Ok(Self(id.to_owned()));
        } else {
            KeyProblem::NotAGroupId {
                has_at_sign: id.contains('@'),
            }
        };
        Err(Error::InvalidGroupId {
            value: id.to_owned(),
            problem,
        })
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key inside OData's key form `users('…')` (the entity set's name in any case, as Graph
/// matches paths), with its doubled quotes undone; `None` for any other text, a quote inside that
/// is not doubled included, which then meets the usual rules (and their refusal of `(`).
fn odata_key_literal(key: &str) -> Option<String> {
    const OPENING: &str = "users('";
    if !key.get(..OPENING.len())?.eq_ignore_ascii_case(OPENING) {
        return None;
    }
    let literal = key.get(OPENING.len()..)?.strip_suffix("')")?;
    let mut inner = String::with_capacity(literal.len());
    let mut chars = literal.chars();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        inner.push(c);
    }
    Some(inner)
}

/// The first rule `key` breaks, if any.
fn user_key_problem(key: &str) -> Option<KeyProblem> {
    if key.is_empty() {
        return Some(KeyProblem::EmptyUser);
    }
    let length = key.chars().count();
    if length > MAX_USER_KEY_CHARS {
        return Some(KeyProblem::TooLong { chars: length });
    }
    if let Some(bad) = key.chars().find(|c| c.is_whitespace()) {
        return Some(KeyProblem::Whitespace(bad));
    }
    if let Some(bad) = key.chars().find(|c| c.is_control()) {
        return Some(KeyProblem::Control(bad));
    }
    if let Some(bad) = key.chars().find(|c| is_invisible(*c)) {
        return Some(KeyProblem::Invisible(bad));
    }
    if let Some(bad) = key.chars().find(|c| RESERVED_CHARS.contains(c)) {
        return Some(KeyProblem::Reserved(bad));
    }
    if is_guid(key) {
        return None;
    }
    let at_signs = key.matches('@').count();
    if at_signs == 0 {
        return Some(KeyProblem::NeitherIdNorUpn);
    }
    if at_signs > 1 {
        return Some(KeyProblem::AtSigns(at_signs));
    }
    let (local, domain) = key.split_once('@').unwrap_or((key, ""));
    if local.is_empty() {
        return Some(KeyProblem::NothingBeforeAt);
    }
    if domain.is_empty() {
        return Some(KeyProblem::NoDomain);
    }
    if !domain.contains('.') {
        return Some(KeyProblem::DomainWithoutDot(domain.to_owned()));
    }
    if domain.split('.').any(str::is_empty) {
        return Some(KeyProblem::EmptyDomainLabel(domain.to_owned()));
    }
    None
}

/// Whether `key` is a GUID in its 8-4-4-4-12 form, any case.
fn is_guid(key: &str) -> bool {
    const DASH_POSITIONS: [usize; 4] = [8, 13, 18, 23];
    key.len() == 36
        && key.chars().enumerate().all(|(index, c)| {
            if DASH_POSITIONS.contains(&index) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

macro_rules! key_traits {
    ($key:ident) => {
        impl FromStr for $key {
            type Err = Error;

            fn from_str(value: &str) -> Result<Self, Error> {
                Self::parse(value)
            }
        }

        impl fmt::Display for $key {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $key {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $key {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$key> for String {
            fn from(key: $key) -> String {
                key.0
            }
        }
    };
}

key_traits!(UserKey);
key_traits!(GroupId);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const GUID_UPPER: &str = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";

    /// The rule check as the targets file reports it: the bare problem.
    fn check_user_key(key: &str) -> Result<(), String> {
        UserKey::parse(key)
            .map(|_| ())
            .map_err(|error| error.key_problem().unwrap().to_string())
    }

    #[test]
    fn check_user_key_accepts_guids_and_upns() {
        for key in [
            GUID_UPPER,
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "adele@contoso.com",
            "adele_adatum.com#EXT#@contoso.onmicrosoft.com",
            "o'brien@contoso.com",
            "first.last-2@sub.contoso.co.uk",
            "josé@bücher.de",
            "a!b^c~d@x.io",
        ] {
            assert_eq!(check_user_key(key), Ok(()), "{key}");
        }
        let longest = format!(
            "{}@contoso.com",
            "a".repeat(MAX_USER_KEY_CHARS - "@contoso.com".len())
        );
        assert_eq!(check_user_key(&longest), Ok(()));
    }

    #[test]
    fn check_user_key_refuses_what_cannot_name_a_user() {
        let too_long = format!("{}@contoso.com", "a".repeat(MAX_USER_KEY_CHARS));
        for (key, fragment) in [
            ("", "empty"),
            ("adele", "neither an object id"),
            (
                "3f2504e0-4f89-11d3-9a0c-0305e82c330",
                "neither an object id",
            ),
            (
                "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
                "neither an object id",
            ),
            ("3f2504e04f8911d39a0c0305e82c3301", "neither an object id"),
            (
                "3f2504e0-4f89-11d3-9a0c-0305e82c330g",
                "neither an object id",
            ),
            ("a@b@c.com", "exactly one '@' (found 2)"),
            ("@contoso.com", "nothing before the '@'"),
            ("adele@", "no domain after the '@'"),
            ("adele@contoso", "has no dot"),
            ("adele@.contoso.com", "empty label"),
            ("adele@contoso.com.", "empty label"),
            ("ade le@contoso.com", "whitespace (found a space)"),
            ("adele@contoso.com\t", "whitespace (found a tab)"),
            ("adele@contoso\u{a0}.com", "whitespace (found U+00A0)"),
            (
                "adele\u{0}@contoso.com",
                "control characters (found U+0000)",
            ),
            (
                "\u{200B}adele@contoso.com",
                "invisible characters (found U+200B)",
            ),
            (
                "\u{FEFF}adele@contoso.com",
                "invisible characters (found U+FEFF)",
            ),
            (
                "adele@contoso.com\u{200E}",
                "invisible characters (found U+200E)",
            ),
            ("\"adele@contoso.com\"", "'\"'"),
            ("adele;bob@contoso.com", "';'"),
            ("Adele Vance <adele@contoso.com>", "whitespace"),
            (too_long.as_str(), "at most 1024"),
        ] {
            let message = check_user_key(key).unwrap_err();
            assert!(message.contains(fragment), "{key:?}: {message}");
        }
    }

    #[test]
    fn a_user_key_error_names_the_key() {
        let error = "adele".parse::<UserKey>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "user \"adele\": this is neither an object id (a GUID like 00000000-0000-0000-0000-000000000000) nor a user principal name (name@domain)"
        );
        let key = UserKey::parse("Adele@Contoso.com").unwrap();
        assert_eq!(key.as_str(), "Adele@Contoso.com");
        assert!(!key.is_object_id());
        assert!(UserKey::parse(GUID_UPPER).unwrap().is_object_id());
        assert_eq!(String::from(key), "Adele@Contoso.com");
    }

    #[test]
    fn the_odata_key_form_is_the_key_inside_it() {
        for (written, key) in [
            ("users('adele@contoso.com')", "adele@contoso.com"),
            ("Users('Adele@Contoso.com')", "Adele@Contoso.com"),
            ("users('o''brien@contoso.com')", "o'brien@contoso.com"),
            (&format!("users('{GUID_UPPER}')"), GUID_UPPER),
        ] {
            assert_eq!(UserKey::parse(written).unwrap().as_str(), key, "{written}");
        }
        // What is not one literal, or holds no valid key, is refused naming what was written.
        for (written, fragment) in [
            ("users('o'brien@contoso.com')", "'('"),
            ("users(adele@contoso.com)", "'('"),
            ("users('adele@contoso.com'", "'('"),
            ("users('')", "empty"),
            ("users('adele')", "neither an object id"),
        ] {
            let error = UserKey::parse(written).unwrap_err();
            assert!(error.to_string().contains(written), "{error}");
            assert!(error.to_string().contains(fragment), "{written}: {error}");
        }
    }

    #[test]
    fn a_group_is_named_by_its_object_id_only() {
        assert_eq!(GroupId::parse(GUID_UPPER).unwrap().as_str(), GUID_UPPER);
        assert!(GroupId::parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301").is_ok());
        let error = GroupId::parse("pilot@contoso.com").unwrap_err();
        assert_eq!(
            error.to_string(),
            "group \"pilot@contoso.com\": a group is named by its object id (a GUID like 00000000-0000-0000-0000-000000000000); this looks like a user principal name or a mail address, which Graph does not find groups by"
        );
        assert_eq!(
            GroupId::parse("").unwrap_err().key_problem(),
            Some(&KeyProblem::EmptyGroup)
        );
        assert_eq!(
            GroupId::parse("pilot").unwrap_err().key_problem(),
            Some(&KeyProblem::NotAGroupId { has_at_sign: false })
        );
    }
}
