//! `Error`: xtask's one error type, for every chore (codegen, the slicer, the spec diff, the tests).
//!
//! Each variant names what was wrong and where: the file not read or written, the place in a spec
//! or in `spec/slice.yaml`, the stale output, the command that failed.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;

/// Why a chore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    /// A file (or directory) that could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file (or directory) that could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    /// codegen: the spec is not an OpenAPI 3.0 document.
    #[error("{path} is not a valid OpenAPI 3.0 document: {message}")]
    NotOpenApi { path: String, message: String },
    /// codegen: a construct the generator does not support, at its location in the spec.
    #[error("{location}: unsupported construct: {construct}")]
    Unsupported { location: String, construct: String },
    /// codegen: a spec (or target) that contradicts itself, at its location.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
    /// codegen: the generator's own output does not parse (a bug in the generator).
    #[error("internal error: generated module `{module}` does not parse: {message}")]
    Emit { module: String, message: String },
    /// `codegen --check`: the generated files that differ from what the spec gives.
    #[error(
        "{} generated file(s) out of date:\n{}\nrun `cargo xtask codegen` and commit the result",
        stale.len(),
        stale.iter().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n")
    )]
    StaleGenerated { stale: Vec<String> },

    /// spec slice: a module (or the slice itself) that is not YAML or JSON.
    #[error("{path} is not valid YAML or JSON: {message}")]
    NotYamlOrJson { path: PathBuf, message: String },
    /// spec slice: `spec/slice.yaml` refused.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("operation `{operation}` is in none of the modules: {modules}")]
    OperationNotFound { operation: String, modules: String },
    #[error("{module}: {reference:?} does not resolve (referenced from {from})")]
    Dangling {
        module: String,
        reference: String,
        from: String,
    },
    #[error(
        "schema `{schema}` has no property `{property}` to keep (spec/slice.yaml keep_properties)"
    )]
    NoSuchProperty { schema: String, property: String },
    #[error(
        "`{name}` differs between {first} and {second}; the modules must come from one Graph version"
    )]
    Conflict {
        name: String,
        first: String,
        second: String,
    },
    /// `spec slice --check`: the committed slice differs from what the modules give.
    #[error("{path} is out of date; run `cargo xtask spec slice` and commit the result")]
    StaleSlice { path: PathBuf },

    /// `spec diff --fail-on-breaking`: the report, and that it found changes that break callers.
    #[error("{report}breaking changes found")]
    Breaking { report: String },

    /// `test`: a command that could not be started.
    #[error("cannot start {command}: {source}")]
    Start {
        command: String,
        source: std::io::Error,
    },
    /// `test`: a command that ran and failed.
    #[error("{command} failed ({status})")]
    Failed { command: String, status: ExitStatus },
    /// `test`: the Python package's build left other files than the one sdist and one wheel.
    #[error("{folder} holds {count} {what}, not one")]
    NotOne {
        folder: PathBuf,
        count: usize,
        what: String,
    },
}

impl Error {
    /// For `map_err`: an I/O error reading `path`.
    pub(crate) fn read(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Read {
            path: path.to_owned(),
            source,
        }
    }

    /// For `map_err`: an I/O error writing `path`.
    pub(crate) fn write(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Write {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn unsupported(location: impl Into<String>, construct: impl Into<String>) -> Self {
        Self::Unsupported {
            location: location.into(),
            construct: construct.into(),
        }
    }

    pub(crate) fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }
}
