//! Sparse merge and minimal diff between a resource and its patch type.

use crate::Error;

/// A patch body: a struct of [`Patch`](crate::Patch) and [`NonNullPatch`](crate::NonNullPatch) fields.
pub trait SparsePatch: Default {
    /// Whether every field is absent, so sending it would change nothing.
    fn is_empty(&self) -> bool;
}

/// A resource that Graph updates with sparse PATCH semantics.
///
/// Laws (checked by the workspace's property tests for every generated resource):
/// - an empty patch changes nothing;
/// - applying a patch twice equals applying it once;
/// - `apply(a, diff(a, b))` equals `b` on every writable property, and `diff(a, b)` sends exactly the
///   writable properties where `a` and `b` differ;
/// - a `Null` field clears the property.
pub trait Patchable {
    /// The patch type: the writable properties only.
    type Patch: SparsePatch;

    /// Merges `patch` into `self` the way the service does. Read-only and unknown properties are kept.
    fn apply_patch(&mut self, patch: &Self::Patch);

    /// The smallest patch that makes `self` equal `desired` on every writable property.
    fn diff_to(&self, desired: &Self) -> Result<Self::Patch, Error>;
}

/// `resource` as the service stores it after receiving `patch`.
pub fn apply<R: Patchable>(mut resource: R, patch: &R::Patch) -> R {
    resource.apply_patch(patch);
    resource
}

/// The smallest patch that turns `current` into `desired` on the writable properties.
///
/// Fails only when `desired` clears a property that no PATCH can clear (a non-nullable one).
pub fn diff<R: Patchable>(current: &R, desired: &R) -> Result<R::Patch, Error> {
    current.diff_to(desired)
}
