//! Lowering: an OpenAPI document (openapiv3) to the generator's IR.
//!
//! Everything endpoint-specific comes from the document; the only knowledge here is about OpenAPI
//! and the conventions Microsoft's Graph descriptions follow (`x-ms-deprecation`, nullable `$ref`s
//! written as `anyOf: [$ref, {type: object, nullable: true}]`, writes answering 204).
//!
//! Three sub-stages, in this order: [`operations`] (paths to operations; their inline bodies and
//! responses are hoisted first), [`schemas`] (named schemas: inheritance flattened, inline schemas
//! named) and [`passes`] (whole-IR passes: patch types, polymorphism, pages, reference cycles).
//! [`names`] is how spec names become Rust names.

mod names;
mod operations;
mod passes;
mod schemas;

use std::cell::RefCell;
use std::collections::BTreeMap;

use openapiv3::{OpenAPI, Schema};

use super::ir::{Api, Docs, TypeDef};
use super::markdown;
use crate::error::Error;

const SCHEMA_REF: &str = "#/components/schemas/";
const PARAMETER_REF: &str = "#/components/parameters/";
const RESPONSE_REF: &str = "#/components/responses/";
const REQUEST_BODY_REF: &str = "#/components/requestBodies/";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain";
const DEPRECATION: &str = "x-ms-deprecation";

/// Lowers a parsed spec. `source` and `source_sha256` only label the output.
pub(crate) fn lower(spec: &OpenAPI, source: &str, source_sha256: &str) -> Result<Api, Error> {
    let server_url = spec
        .servers
        .first()
        .map(|server| server.url.clone())
        .ok_or_else(|| Error::invalid("servers", "the spec names no server URL"))?;
    let base_path = base_path_of(&server_url)?;

    let empty = openapiv3::Components::default();
    let components = spec.components.as_ref().unwrap_or(&empty);
    let lowerer = Lowerer {
        components,
        type_names: names::type_names(components.schemas.keys())?,
        hoisted: RefCell::new(BTreeMap::new()),
    };

    // Operations first: the inline schemas of their bodies and responses are hoisted before the
    // named schemas are lowered.
    let mut operations = lowerer.operations(&spec.paths)?;
    let mut types = lowerer.types()?;

    passes::name_patches(&mut types, &mut operations)?;
    passes::resolve_polymorphism(&mut types, &mut operations)?;
    passes::mark_pages(&mut types);
    passes::box_cycles(&mut types);
    types.sort_by(|a, b| a.rust_name().cmp(b.rust_name()));
    operations.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));

    Ok(Api {
        source: source.to_owned(),
        source_sha256: source_sha256.to_owned(),
        server_url,
        base_path,
        types,
        operations,
    })
}

fn base_path_of(server_url: &str) -> Result<String, Error> {
    let after_scheme = server_url
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| {
            Error::invalid(
                "servers[0].url",
                format!("{server_url:?} is not an absolute URL"),
            )
        })?;
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    Ok(path.trim_end_matches('/').to_owned())
}

struct Lowerer<'a> {
    components: &'a openapiv3::Components,
    /// Spec schema name -> Rust type name.
    type_names: BTreeMap<String, String>,
    /// Inline object and enum schemas given names of their own, by name.
    hoisted: RefCell<BTreeMap<String, TypeDef>>,
}

fn docs_of(schema: &Schema, location: &str) -> Result<Docs, Error> {
    Ok(Docs {
        title: schema.schema_data.title.as_deref().map(markdown::escape),
        description: schema
            .schema_data
            .description
            .as_deref()
            .map(markdown::escape),
        deprecation: deprecation_note(
            schema.schema_data.deprecated,
            schema.schema_data.extensions.get(DEPRECATION),
            location,
        )?,
    })
}

/// The text of a deprecation notice: `deprecated: true`, with Graph's `x-ms-deprecation` details.
fn deprecation_note(
    deprecated: bool,
    details: Option<&serde_json::Value>,
    location: &str,
) -> Result<Option<String>, Error> {
    if !deprecated && details.is_none() {
        return Ok(None);
    }
    let mut note = String::from("The spec marks this deprecated");
    if let Some(details) = details {
        let field = |name: &str| details.get(name).and_then(serde_json::Value::as_str);
        if !details.is_object() {
            return Err(Error::invalid(
                location,
                "`x-ms-deprecation` is not an object",
            ));
        }
        let parts: Vec<String> = [
            ("date", "since"),
            ("removalDate", "removal"),
            ("version", "version"),
            ("description", "note"),
        ]
        .into_iter()
        .filter_map(|(key, label)| {
            field(key).map(|value| format!("{label} {}", markdown::escape(value)))
        })
        .collect();
        if !parts.is_empty() {
            note.push_str(" (");
            note.push_str(&parts.join("; "));
            note.push(')');
        }
    }
    note.push('.');
    Ok(Some(note))
}
