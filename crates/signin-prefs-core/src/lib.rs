//! PATCH semantics for Microsoft Graph resources, shared by the generated model, the client and the emulator.
//!
//! Graph updates are sparse: a property left out of a PATCH body keeps its value, a property sent as
//! `null` is cleared, and a property sent with a value takes it. This crate gives that rule a type and
//! laws:
//!
//! - [`Patch<T>`] is one field of a patch for a *nullable* property: [`Patch::Absent`] (not sent),
//!   [`Patch::Null`] (sent as `null`) or [`Patch::Value`].
//! - [`NonNullPatch<T>`] is the same for a property the spec marks non-nullable: it has no `Null`
//!   state, so a typed patch cannot ask the service to store `null` where the spec forbids it.
//! - [`Patchable`] ties a resource type to its patch type; [`apply`] merges a patch into a resource and
//!   [`diff`] computes the smallest patch that turns one resource into another.
//! - [`OpenEnum`] describes Graph's evolvable enums, which must keep values they do not know, and
//!   [`FlagSet`] the flag enums whose values are comma-separated sets of members.
//! - [`CollectionPage`] is one page of a paged collection.
//!
//! The crate does no I/O and never panics: every function is total over its inputs.

mod error;
mod flags;
mod map_key;
mod merge;
mod open_enum;
mod page;
mod patch;

pub use error::Error;
pub use flags::{FlagSet, StrictFlags};
pub use map_key::MapKey;
pub use merge::{Patchable, SparsePatch, apply, diff};
pub use open_enum::{OpenEnum, Strict, deserialize_open_enum, parse_strict};
pub use page::CollectionPage;
pub use patch::{NonNullPatch, Patch};
