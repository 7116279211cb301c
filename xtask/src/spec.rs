//! `cargo xtask spec …`: cut the product's spec out of Microsoft's modules, and compare two specs.

pub(crate) mod diff;
pub(crate) mod slice;
#[cfg(test)]
mod tests;
