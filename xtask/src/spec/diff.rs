//! `cargo xtask spec diff OLD NEW`: what changed between two specs, and whether it breaks callers.

use std::path::Path;

pub(crate) fn run(_old: &Path, _new: &Path, _json: bool) -> Result<String, String> {
    Err("not yet".to_owned())
}
