//! `cargo xtask codegen [--check]`: spec -> IR -> tokens -> text, then write or check the files.
//!
//! The stages never touch the file system; only [`files::sync`] reads or writes, so `--check`
//! and a normal run share every step but the last.

mod emit_model;
mod emit_request;
mod files;
#[cfg(test)]
mod golden_tests;
mod ir;
mod lower;
mod render;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub(crate) use files::GeneratedFile;

/// What the generator reads and where its output goes.
pub(crate) struct Target {
    /// The spec, relative to the repository root.
    pub(crate) spec: &'static str,
    /// The model crate's directory and its name as a Rust path.
    pub(crate) model_dir: &'static str,
    pub(crate) model_crate: &'static str,
    /// The request crate's directory.
    pub(crate) request_dir: &'static str,
}

/// The product's one target.
pub(crate) const PRODUCT: Target = Target {
    spec: "spec/signin-preferences.openapi.yaml",
    model_dir: "crates/signin-prefs-model",
    model_crate: "signin_prefs_model",
    request_dir: "crates/signin-prefs-request",
};

/// Why generation failed. Every variant names where in the spec or output the problem is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid OpenAPI 3.0 document: {message}")]
    Parse { path: String, message: String },
    #[error("{location}: unsupported construct: {construct}")]
    Unsupported { location: String, construct: String },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
    #[error("internal error: generated module `{module}` does not parse: {message}")]
    Emit { module: String, message: String },
    #[error(
        "{} generated file(s) out of date:\n{}\nrun `cargo xtask codegen` and commit the result",
        stale.len(),
        stale.iter().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n")
    )]
    Stale { stale: Vec<String> },
}

impl Error {
    fn unsupported(location: impl Into<String>, construct: impl Into<String>) -> Self {
        Self::Unsupported {
            location: location.into(),
            construct: construct.into(),
        }
    }

    fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }
}

/// Regenerates (or, with `check`, verifies) every generated file of the product.
pub(crate) fn run(root: &Path, check: bool) -> Result<(), Error> {
    let spec_path = root.join(PRODUCT.spec);
    let bytes = std::fs::read(&spec_path).map_err(|source| Error::Read {
        path: spec_path,
        source,
    })?;
    let files = generate(&PRODUCT, &bytes)?;
    let owned = [
        PathBuf::from(PRODUCT.model_dir).join("src/generated"),
        PathBuf::from(PRODUCT.request_dir).join("src/generated"),
    ];
    let report = files::sync(root, &owned, &files, check)?;
    for line in report {
        println!("{line}");
    }
    Ok(())
}

/// Generates every file for `target` from the spec's bytes. Pure: no file system access.
pub(crate) fn generate(target: &Target, spec_bytes: &[u8]) -> Result<Vec<GeneratedFile>, Error> {
    let spec: openapiv3::OpenAPI =
        serde_yaml_ng::from_slice(spec_bytes).map_err(|error| Error::Parse {
            path: target.spec.to_owned(),
            message: error.to_string(),
        })?;
    if !spec.openapi.starts_with("3.0") {
        return Err(Error::unsupported(
            "openapi",
            format!(
                "OpenAPI version {} (the generator reads 3.0.x)",
                spec.openapi
            ),
        ));
    }
    let sha256: String = Sha256::digest(spec_bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let api = lower::lower(&spec, target.spec, &sha256)?;

    let mut files = Vec::new();
    for (dir, modules) in [
        (target.model_dir, emit_model::emit(&api)),
        (
            target.request_dir,
            emit_request::emit(&api, target.model_crate),
        ),
    ] {
        for module in modules {
            files.push(GeneratedFile {
                path: PathBuf::from(dir)
                    .join("src/generated")
                    .join(format!("{}.rs", module.name)),
                contents: render::render(&module)?,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
