//! Graph's evolvable enums: closed for what we send, open for what we read.
//!
//! Graph adds enum members over time (its enums end in `unknownFutureValue` for that reason), so a
//! response must never fail, nor lose data, because of a member this build does not know. Input from
//! a person, on the other hand, is checked strictly against the spec's list.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::Error;

/// An enum generated from the spec, with a catch-all variant that keeps unknown values verbatim.
pub trait OpenEnum: Sized {
    /// The enum's name in the spec.
    const SPEC_NAME: &'static str;
    /// Every member the spec lists, in spec order, spelled as on the wire.
    const MEMBERS: &'static [&'static str];

    /// The wire spelling; for an unknown value, exactly the string that was read.
    fn as_str(&self) -> &str;

    /// Lenient conversion for data read from the service: never fails, unknown strings are kept.
    fn from_wire(value: &str) -> Self;

    /// Whether the value is one of the spec's members.
    fn is_known(&self) -> bool {
        Self::MEMBERS.contains(&self.as_str())
    }
}

/// Strict conversion for input: accepts exactly the spec's members (case-sensitive, as Graph is).
pub fn parse_strict<E: OpenEnum>(value: &str) -> Result<E, Error> {
    if E::MEMBERS.contains(&value) {
        Ok(E::from_wire(value))
    } else {
        Err(Error::UnknownEnumMember {
            enum_name: E::SPEC_NAME,
            value: value.to_owned(),
            expected: E::MEMBERS,
        })
    }
}

/// Lenient `Deserialize` for an open enum: any string is accepted, unknown ones are kept.
pub fn deserialize_open_enum<'de, D, E>(deserializer: D) -> Result<E, D::Error>
where
    D: Deserializer<'de>,
    E: OpenEnum,
{
    deserializer.deserialize_str(MemberVisitor {
        strict: false,
        target: PhantomData,
    })
}

/// An enum value read strictly: a string outside the spec's members is a deserialization error.
///
/// Generated patch types read enum fields through it, because a patch is input (from a person, a
/// file, or a client talking to the emulator), while a response must keep what it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Strict<E>(pub E);

impl<E> Strict<E> {
    /// The checked value.
    pub fn into_inner(self) -> E {
        self.0
    }
}

impl<'de, E: OpenEnum> Deserialize<'de> for Strict<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_str(MemberVisitor {
                strict: true,
                target: PhantomData,
            })
            .map(Strict)
    }
}

struct MemberVisitor<E> {
    strict: bool,
    target: PhantomData<E>,
}

impl<E: OpenEnum> Visitor<'_> for MemberVisitor<E> {
    type Value = E;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} string", E::SPEC_NAME)
    }

    fn visit_str<Er: de::Error>(self, value: &str) -> Result<E, Er> {
        if self.strict {
            parse_strict(value).map_err(Er::custom)
        } else {
            Ok(E::from_wire(value))
        }
    }
}
