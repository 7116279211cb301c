//! The crate's one hand-written error type: a value an operator typed that the model refuses.
//!
//! Generated code reports strict enum parsing with `signin_prefs_core::Error`; this type carries
//! the richer refusals of the hand-written `*_ext.rs` parsers, each naming the value and, where it
//! helps, the likely intended one. Messages are sentences an operator reads; callers prefix where
//! the value came from (`--method: …`, `users.csv:3: method "…": …`).

use std::fmt;

use crate::UserDefaultAuthenticationMethodType as Method;
use crate::text::show_value;

/// Why a value is not one the model accepts as input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No method was given (an empty or blank value).
    #[error("no method given; {}", Method::valid_targets_sentence())]
    NoMethod,
    /// Graph's placeholder for future members, which no user can be set to.
    #[error(
        "\"{}\" is Graph's placeholder for methods added in the future, not a method a user can be set to; {}",
        show_value(.value),
        Method::valid_targets_sentence()
    )]
    PlaceholderMethod {
        /// The value as given, trimmed.
        value: String,
    },
    /// A comma-separated list where one method is expected.
    #[error(
        "\"{}\" is a list; give exactly one method here. {}",
        show_value(.value),
        Method::valid_targets_sentence()
    )]
    ListInsteadOfMethod {
        /// The value as given, trimmed.
        value: String,
    },
    /// A member spelled in the wrong case (Graph's members are case-sensitive).
    #[error(
        "\"{}\" is not a method (method names are case-sensitive); did you mean \"{member}\"? {}",
        show_value(.value),
        Method::valid_targets_sentence()
    )]
    MethodCase {
        /// The value as given, trimmed.
        value: String,
        /// The member it stands for.
        member: &'static str,
    },
    /// Not a method; `hint` says what was probably meant, when the mistake is a common one.
    #[error("{}", not_a_method(.value, *.hint))]
    NotAMethod {
        /// The value as given, trimmed.
        value: String,
        /// The likely intended method, or why the value cannot be one.
        hint: Option<&'static str>,
    },
    /// An empty list of methods.
    #[error("no methods given; {}", Method::valid_targets_sentence())]
    NoMethods,
    /// A list of methods with problems, each naming its position.
    #[error("{}", join(.problems))]
    MethodList {
        /// The list as given.
        value: String,
        /// Every problem, in list order.
        problems: Vec<MethodListProblem>,
    },
}

/// One problem in a comma-separated list of methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MethodListProblem {
    /// An empty item (a stray comma).
    Empty {
        /// The 1-based position in the list.
        position: usize,
    },
    /// A method listed twice.
    Repeated {
        /// The 1-based position of the repeat.
        position: usize,
        /// The method.
        method: Method,
    },
    /// An item that is not a method.
    Invalid {
        /// The 1-based position in the list.
        position: usize,
        /// Why it is not one.
        error: Error,
    },
}

impl fmt::Display for MethodListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty { position } => {
                write!(f, "method {position} of the list is empty (a stray comma?)")
            }
            Self::Repeated { position, method } => write!(
                f,
                "\"{method}\" is listed more than once (method {position})"
            ),
            Self::Invalid { position, error } => write!(f, "method {position}: {error}"),
        }
    }
}

fn not_a_method(value: &str, hint: Option<&str>) -> String {
    let shown = show_value(value);
    let valid = Method::valid_targets_sentence();
    match hint {
        None => format!("\"{shown}\" is not a method; {valid}"),
        Some(hint) => {
            let end = if hint.ends_with('?') { "" } else { "." };
            format!("\"{shown}\" is not a method; {hint}{end} {valid}")
        }
    }
}

fn join(problems: &[MethodListProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
