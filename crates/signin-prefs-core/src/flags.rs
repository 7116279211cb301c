//! Flag enums (`x-ms-enum-flags`): a value is a set of members, written comma-separated.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::{OpenEnum, parse_strict};

/// A set of flag-enum members, as Graph writes them: `"a,b"`. Order and unknown members are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlagSet<E>(pub Vec<E>);

impl<E> Default for FlagSet<E> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<E: OpenEnum> FlagSet<E> {
    /// Whether `member` is in the set.
    pub fn contains(&self, member: &E) -> bool {
        self.0
            .iter()
            .any(|present| present.as_str() == member.as_str())
    }

    /// The wire form: members joined by `,`.
    pub fn to_wire(&self) -> String {
        self.0
            .iter()
            .map(OpenEnum::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Lenient parse of the wire form: every member is kept, known or not.
    pub fn from_wire(value: &str) -> Self {
        Self(split(value).map(E::from_wire).collect())
    }
}

fn split(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|member| !member.is_empty())
}

impl<E: OpenEnum> fmt::Display for FlagSet<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl<E: OpenEnum> Serialize for FlagSet<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de, E: OpenEnum> Deserialize<'de> for FlagSet<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FlagsVisitor::<E> {
            strict: false,
            target: std::marker::PhantomData,
        })
    }
}

/// A flag set read strictly: every member must be one the spec lists (for patch input).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StrictFlags<E>(pub FlagSet<E>);

impl<E> StrictFlags<E> {
    /// The checked set.
    pub fn into_inner(self) -> FlagSet<E> {
        self.0
    }
}

impl<'de, E: OpenEnum> Deserialize<'de> for StrictFlags<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_str(FlagsVisitor::<E> {
                strict: true,
                target: std::marker::PhantomData,
            })
            .map(StrictFlags)
    }
}

struct FlagsVisitor<E> {
    strict: bool,
    target: std::marker::PhantomData<E>,
}

impl<E: OpenEnum> Visitor<'_> for FlagsVisitor<E> {
    type Value = FlagSet<E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a comma-separated list of {} members", E::SPEC_NAME)
    }

    fn visit_str<Er: de::Error>(self, value: &str) -> Result<FlagSet<E>, Er> {
        if self.strict {
            split(value)
                .map(parse_strict::<E>)
                .collect::<Result<Vec<_>, _>>()
                .map(FlagSet)
                .map_err(Er::custom)
        } else {
            Ok(FlagSet::from_wire(value))
        }
    }
}
