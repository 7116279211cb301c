//! One field of a PATCH body: absent, null, or a value.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{self, Serialize, Serializer};

use crate::Error;

/// A patch field for a property the spec marks nullable.
///
/// Serialize it inside a struct with `#[serde(default, skip_serializing_if = "Patch::is_absent")]`:
/// `Absent` then leaves the property out, `Null` writes `null` and `Value` writes the value. Reading
/// `null` gives `Null`; a missing property gives `Absent` through `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Patch<T> {
    /// Not sent: the service keeps the current value.
    #[default]
    Absent,
    /// Sent as `null`: the service clears the value.
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the field is left out of the body (the `skip_serializing_if` predicate).
    pub const fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Borrows the value, if any.
    pub const fn as_ref(&self) -> Patch<&T> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(value),
        }
    }

    /// Converts the value, keeping the state.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(f(value)),
        }
    }

    /// The field that sets a property to `desired`: `None` becomes `Null`.
    pub fn set(desired: Option<T>) -> Self {
        desired.map_or(Self::Null, Self::Value)
    }

    /// What the service stores after this field is applied to a property holding `current`.
    pub fn apply_to(&self, current: &mut Option<T>)
    where
        T: Clone,
    {
        match self {
            Self::Absent => {}
            Self::Null => *current = None,
            Self::Value(value) => *current = Some(value.clone()),
        }
    }

    /// The smallest field that turns `current` into `desired`: `Absent` when they are already equal.
    pub fn diff(current: &Option<T>, desired: &Option<T>) -> Self
    where
        T: Clone + PartialEq,
    {
        if current == desired {
            Self::Absent
        } else {
            Self::set(desired.clone())
        }
    }
}

impl<T> From<T> for Patch<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

/// A patch field for a property the spec marks non-nullable: it can be left out or set, never cleared.
///
/// Reading `null` into it is an error, so a body that tries to clear such a property is refused
/// instead of being silently taken as "keep".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NonNullPatch<T> {
    /// Not sent: the service keeps the current value.
    #[default]
    Absent,
    /// Sent with this value.
    Value(T),
}

impl<T> NonNullPatch<T> {
    /// Whether the field is left out of the body (the `skip_serializing_if` predicate).
    pub const fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Borrows the value, if any.
    pub const fn as_ref(&self) -> NonNullPatch<&T> {
        match self {
            Self::Absent => NonNullPatch::Absent,
            Self::Value(value) => NonNullPatch::Value(value),
        }
    }

    /// Converts the value, keeping the state.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> NonNullPatch<U> {
        match self {
            Self::Absent => NonNullPatch::Absent,
            Self::Value(value) => NonNullPatch::Value(f(value)),
        }
    }

    /// The value, if the field is sent.
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Absent => None,
            Self::Value(value) => Some(value),
        }
    }

    /// What the service stores after this field is applied to a property holding `current`.
    pub fn apply_to(&self, current: &mut Option<T>)
    where
        T: Clone,
    {
        if let Self::Value(value) = self {
            *current = Some(value.clone());
        }
    }

    /// The smallest field that turns `current` into `desired`.
    ///
    /// Fails when `desired` is `None` but `current` is not: no PATCH can clear the property.
    pub fn diff(
        current: &Option<T>,
        desired: &Option<T>,
        property: &'static str,
    ) -> Result<Self, Error>
    where
        T: Clone + PartialEq,
    {
        match desired {
            _ if current == desired => Ok(Self::Absent),
            Some(value) => Ok(Self::Value(value.clone())),
            None => Err(Error::CannotClearNonNullable { property }),
        }
    }
}

impl<T> From<T> for NonNullPatch<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

const ABSENT_ALONE: &str = "an absent patch field has no JSON form; \
     skip it with `skip_serializing_if = \"is_absent\"`";

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Absent => Err(ser::Error::custom(ABSENT_ALONE)),
            Self::Null => serializer.serialize_none(),
            Self::Value(value) => serializer.serialize_some(value),
        }
    }
}

impl<T: Serialize> Serialize for NonNullPatch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Absent => Err(ser::Error::custom(ABSENT_ALONE)),
            Self::Value(value) => value.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Self::set)
    }
}

const NULL_REFUSED: &str = "null is not allowed: the spec marks this property non-nullable";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NonNullPatch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Option::<T>::deserialize(deserializer)? {
            Some(value) => Ok(Self::Value(value)),
            None => Err(de::Error::custom(NULL_REFUSED)),
        }
    }
}

impl<T: fmt::Display> fmt::Display for Patch<T> {
    /// Human form for plans and reports: `(unchanged)`, `null`, or the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("(unchanged)"),
            Self::Null => f.write_str("null"),
            Self::Value(value) => value.fmt(f),
        }
    }
}

impl<T: fmt::Display> fmt::Display for NonNullPatch<T> {
    /// Human form for plans and reports: `(unchanged)` or the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("(unchanged)"),
            Self::Value(value) => value.fmt(f),
        }
    }
}
