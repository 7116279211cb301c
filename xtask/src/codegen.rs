//! `cargo xtask codegen [--check]`: spec -> IR -> tokens -> text, then write or check the files.
//!
//! The stages never touch the file system; only [`files::sync`] reads or writes, so `--check`
//! and a normal run share every step but the last.

mod emit_model;
mod emit_python;
mod emit_request;
mod files;
#[cfg(test)]
mod golden_tests;
pub(crate) mod ir;
mod lower;
mod markdown;
mod render;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;

pub(crate) use files::GeneratedFile;

/// What the generator reads and where its output goes.
pub(crate) struct Target {
    /// The spec, relative to the repository root.
    pub(crate) spec: &'static str,
    /// The directories receiving the model and request modules, relative to the repository root.
    pub(crate) model_out: &'static str,
    pub(crate) request_out: &'static str,
    /// How request modules name the model types, and the request runtime, as Rust paths.
    pub(crate) model_path: &'static str,
    pub(crate) runtime_path: &'static str,
    /// The Python module receiving the enums a PATCH takes (`emit_python`), relative to the
    /// repository root; `None` for targets no Python package reads.
    pub(crate) python_out: Option<&'static str>,
}

/// Every generation target: the product crates, and the generality proof built from whole
/// fragments of Graph's description (compiled and exercised by the workspace tests).
pub(crate) const TARGETS: &[Target] = &[
    Target {
        spec: "spec/graph-beta.openapi.yaml",
        model_out: "crates/signin-prefs-model/src/generated",
        request_out: "crates/signin-prefs-request/src/generated",
        model_path: "::signin_prefs_model",
        runtime_path: "crate",
        python_out: Some("bindings/python/python/signin_prefs/_generated_models.py"),
    },
    Target {
        spec: "xtask/fixtures/graph/graph-beta-user-authentication.openapi.yaml",
        model_out: "tests/graph-fragments/src/generated/user_authentication/model",
        request_out: "tests/graph-fragments/src/generated/user_authentication/request",
        model_path: "crate::generated::user_authentication::model",
        runtime_path: "::signin_prefs_request",
        python_out: None,
    },
    Target {
        spec: "xtask/fixtures/graph/graph-beta-user-authentication-actions.openapi.yaml",
        model_out: "tests/graph-fragments/src/generated/user_authentication_actions/model",
        request_out: "tests/graph-fragments/src/generated/user_authentication_actions/request",
        model_path: "crate::generated::user_authentication_actions::model",
        runtime_path: "::signin_prefs_request",
        python_out: None,
    },
    Target {
        spec: "xtask/fixtures/graph/graph-beta-user-authentication-functions.openapi.yaml",
        model_out: "tests/graph-fragments/src/generated/user_authentication_functions/model",
        request_out: "tests/graph-fragments/src/generated/user_authentication_functions/request",
        model_path: "crate::generated::user_authentication_functions::model",
        runtime_path: "::signin_prefs_request",
        python_out: None,
    },
];

/// The directories the generator owns entirely: anything else found there is removed.
const OWNED: &[&str] = &[
    "crates/signin-prefs-model/src/generated",
    "crates/signin-prefs-request/src/generated",
    "tests/graph-fragments/src/generated",
];

/// Regenerates (or, with `check`, verifies) every generated file.
pub(crate) fn run(root: &Path, check: bool) -> Result<(), Error> {
    let mut files = Vec::new();
    for target in TARGETS {
        let spec_path = root.join(target.spec);
        let bytes = std::fs::read(&spec_path).map_err(Error::read(&spec_path))?;
        files.extend(generate(target, &bytes)?);
    }
    files.extend(container_modules(&files, OWNED));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let owned: Vec<PathBuf> = OWNED.iter().map(PathBuf::from).collect();
    for line in files::sync(root, &owned, &files, check)? {
        println!("{line}");
    }
    Ok(())
}

/// Parses and lowers a spec; `label` names it in errors and generated headers.
pub(crate) fn read_spec(label: &str, spec_bytes: &[u8]) -> Result<ir::Api, Error> {
    let spec: openapiv3::OpenAPI =
        serde_yaml_ng::from_slice(spec_bytes).map_err(|error| Error::NotOpenApi {
            path: label.to_owned(),
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
    lower::lower(&spec, label, &sha256)
}

/// Generates every file for `target` from the spec's bytes. Pure: no file system access.
pub(crate) fn generate(target: &Target, spec_bytes: &[u8]) -> Result<Vec<GeneratedFile>, Error> {
    let api = read_spec(target.spec, spec_bytes)?;
    let path = |text: &str| -> Result<proc_macro2::TokenStream, Error> {
        syn::parse_str::<syn::Path>(text)
            .map(|path| quote::quote!(#path))
            .map_err(|error| {
                Error::invalid(
                    format!("target {}", target.spec),
                    format!("{text:?} is not a Rust path: {error}"),
                )
            })
    };
    let model_path = path(target.model_path)?;
    let runtime_path = path(target.runtime_path)?;

    let mut files = Vec::new();
    for (dir, modules) in [
        (target.model_out, emit_model::emit(&api)),
        (
            target.request_out,
            emit_request::emit(&api, &model_path, &runtime_path),
        ),
    ] {
        for module in modules {
            files.push(GeneratedFile {
                path: PathBuf::from(dir).join(format!("{}.rs", module.name)),
                contents: render::render(&module)?,
            });
        }
    }
    if let Some(python_out) = target.python_out {
        files.push(GeneratedFile {
            path: PathBuf::from(python_out),
            contents: emit_python::emit(&api)?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// `mod.rs` files for the directories between an owned root and the generated modules, each
/// declaring its subdirectories, so nested targets need no hand-written glue.
fn container_modules(files: &[GeneratedFile], owned: &[&str]) -> Vec<GeneratedFile> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut children: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(root) = owned
            .iter()
            .map(Path::new)
            .find(|root| file.path.starts_with(root))
        else {
            continue;
        };
        let mut dir = file.path.parent().map(Path::to_path_buf);
        while let Some(current) = dir {
            if current == root {
                break;
            }
            let Some(parent) = current.parent().map(Path::to_path_buf) else {
                break;
            };
            if let Some(name) = current.file_name().and_then(|name| name.to_str()) {
                children
                    .entry(parent.clone())
                    .or_default()
                    .insert(name.to_owned());
            }
            dir = Some(parent);
        }
    }
    children
        .into_iter()
        .map(|(dir, names)| {
            let mut contents = String::from(
                "//! Generated modules, one per spec fragment or layer.\n//!\n\
                 //! @generated by `cargo xtask codegen`. Do not edit.\n",
            );
            for name in names {
                contents.push_str(&format!("pub mod {name};\n"));
            }
            GeneratedFile {
                path: dir.join("mod.rs"),
                contents,
            }
        })
        .collect()
}
