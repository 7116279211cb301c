//! The crate's one error type.

/// What can go wrong when building or validating a patch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A string is not one of the members the spec lists for an enum.
    #[error("{value:?} is not a valid {enum_name} (expected one of: {})", expected.join(", "))]
    UnknownEnumMember {
        /// The enum's name in the spec, e.g. `userDefaultAuthenticationMethodType`.
        enum_name: &'static str,
        /// The value that was refused, exactly as given.
        value: String,
        /// The members the spec lists, in spec order.
        expected: &'static [&'static str],
    },
    /// The desired state clears a property that the spec marks non-nullable, which no PATCH can do.
    #[error(
        "cannot clear `{property}`: the spec marks it non-nullable, so a PATCH cannot set it to null"
    )]
    CannotClearNonNullable {
        /// The property's JSON name.
        property: &'static str,
    },
}
