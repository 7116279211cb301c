//! Lowering: an OpenAPI document (openapiv3) to the generator's IR.
//!
//! Everything endpoint-specific comes from the document; the only knowledge here is about OpenAPI
//! and the conventions Microsoft's Graph descriptions follow (`x-ms-deprecation`, nullable `$ref`s
//! written as `anyOf: [$ref, {type: object, nullable: true}]`, writes answering 204).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    AdditionalProperties, IntegerFormat, MediaType, OpenAPI, Parameter, ParameterSchemaOrContent,
    ReferenceOr, Schema, SchemaKind, StatusCode, Type, VariantOrUnknownOrEmpty,
};

use super::Error;
use super::ir::*;

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
        type_names: type_names(components.schemas.keys())?,
        hoisted: RefCell::new(BTreeMap::new()),
    };

    let mut found = Vec::new();
    for (path, item) in &spec.paths.paths {
        let location = format!("paths.{path}");
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                return Err(Error::unsupported(location, "a `$ref`'d path item"));
            }
        };
        for (method, operation) in methods(item, &location)? {
            let operation_id = operation.operation_id.clone().ok_or_else(|| {
                Error::invalid(
                    format!("{location}.{}", method.as_str().to_lowercase()),
                    "the operation has no operationId",
                )
            })?;
            found.push((path, item, method, operation, operation_id));
        }
    }
    let ids: Vec<&str> = found.iter().map(|(.., id)| id.as_str()).collect();
    let names = operation_names(&ids)?;
    let mut operations = Vec::new();
    for ((path, item, method, operation, operation_id), rust_name) in found.iter().zip(names) {
        operations.push(lowerer.operation(
            path,
            *method,
            operation,
            &item.parameters,
            operation_id,
            rust_name,
        )?);
    }

    let patch_targets: BTreeSet<String> = operations
        .iter()
        .filter(|operation| operation.method == Method::Patch)
        .filter_map(|operation| operation.body.as_ref().map(|body| body.rust_type.clone()))
        .collect();

    let mut types = Vec::new();
    for (spec_name, schema) in &components.schemas {
        let location = format!("components.schemas.{spec_name}");
        let schema = match schema {
            ReferenceOr::Item(schema) => schema,
            ReferenceOr::Reference { .. } => {
                return Err(Error::unsupported(
                    location,
                    "a schema that is only a `$ref`",
                ));
            }
        };
        types.push(lowerer.type_def(spec_name, schema, &location)?);
    }
    let hoisted = lowerer.hoisted.into_inner();
    for (name, def) in hoisted {
        if types.iter().any(|existing| existing.rust_name() == name) {
            return Err(Error::invalid(
                format!("inline schema `{name}`"),
                "its generated name is taken by a named schema",
            ));
        }
        types.push(def);
    }

    for def in &mut types {
        if let TypeDef::Object(object) = def
            && patch_targets.contains(&object.rust_name)
        {
            object.patch_name = Some(format!("{}Patch", object.rust_name));
        }
    }
    let all_names: BTreeSet<String> = types.iter().map(|def| def.rust_name().to_owned()).collect();
    for def in &types {
        if let TypeDef::Object(ObjectDef {
            patch_name: Some(patch),
            spec_name,
            ..
        }) = def
            && all_names.contains(patch)
        {
            return Err(Error::invalid(
                format!("components.schemas.{spec_name}"),
                format!("the patch type name `{patch}` is taken by another schema"),
            ));
        }
    }

    // Bodies of PATCH operations are the patch types, now that they are named.
    for operation in &mut operations {
        if operation.method != Method::Patch {
            continue;
        }
        if let Some(body) = &mut operation.body {
            let patch = types.iter().find_map(|def| match def {
                TypeDef::Object(object) if object.rust_name == body.rust_type => {
                    object.patch_name.clone()
                }
                _ => None,
            });
            match patch {
                Some(patch) => body.rust_type = patch,
                None => {
                    return Err(Error::unsupported(
                        format!("paths.{}.patch.requestBody", operation.path_template),
                        "a PATCH body that is not a named object schema",
                    ));
                }
            }
        }
    }

    resolve_polymorphism(&mut types, &mut operations)?;
    mark_pages(&mut types);
    box_cycles(&mut types);
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

/// Rust names for every schema: the last dotted segment, unless two schemas share it.
fn type_names<'a>(
    spec_names: impl Iterator<Item = &'a String>,
) -> Result<BTreeMap<String, String>, Error> {
    let spec_names: Vec<&String> = spec_names.collect();
    let short = |name: &str| {
        name.rsplit('.')
            .next()
            .unwrap_or(name)
            .to_upper_camel_case()
    };
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for name in &spec_names {
        *uses.entry(short(name)).or_default() += 1;
    }
    let mut names = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for name in spec_names {
        let short_name = short(name);
        let rust_name = if uses.get(&short_name).copied().unwrap_or(0) > 1 {
            name.to_upper_camel_case()
        } else {
            short_name
        };
        let rust_name = type_ident(&rust_name, &format!("components.schemas.{name}"))?;
        if !taken.insert(rust_name.clone()) {
            return Err(Error::invalid(
                format!("components.schemas.{name}"),
                format!("two schemas map to the Rust name `{rust_name}`"),
            ));
        }
        names.insert(name.clone(), rust_name);
    }
    Ok(names)
}

fn methods<'a>(
    item: &'a openapiv3::PathItem,
    location: &str,
) -> Result<Vec<(Method, &'a openapiv3::Operation)>, Error> {
    for (name, present) in [
        ("options", item.options.is_some()),
        ("head", item.head.is_some()),
        ("trace", item.trace.is_some()),
    ] {
        if present {
            return Err(Error::unsupported(
                format!("{location}.{name}"),
                "this HTTP method",
            ));
        }
    }
    Ok([
        (Method::Get, &item.get),
        (Method::Put, &item.put),
        (Method::Post, &item.post),
        (Method::Delete, &item.delete),
        (Method::Patch, &item.patch),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|operation| (method, operation)))
    .collect())
}

/// Operation names: the part of the operationId after its last `_` (Graph's ids look like
/// `user.authentication_GetSignInPreference`), or the whole id where that would collide.
fn operation_names(ids: &[&str]) -> Result<Vec<String>, Error> {
    let short = |id: &str| id.rsplit('_').next().unwrap_or(id).to_upper_camel_case();
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for id in ids {
        *uses.entry(short(id)).or_default() += 1;
    }
    let mut taken = BTreeSet::new();
    let mut names = Vec::new();
    for id in ids {
        let short_name = short(id);
        let name = if uses.get(&short_name).copied().unwrap_or(0) > 1 {
            id.to_upper_camel_case()
        } else {
            short_name
        };
        let location = format!("operationId {id}");
        let name = type_ident(&name, &location)?;
        if !taken.insert(name.clone()) {
            return Err(Error::invalid(
                location,
                format!("two operations map to `{name}`"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// Where a base type is read, read it through an enum of its subtypes, chosen by `@odata.type`.
fn resolve_polymorphism(types: &mut [TypeDef], operations: &mut [Operation]) -> Result<(), Error> {
    let parents: BTreeMap<String, String> = types
        .iter()
        .filter_map(|def| match def {
            TypeDef::Object(object) => object.parent.clone().map(|p| (object.rust_name.clone(), p)),
            TypeDef::Enum(_) | TypeDef::Alias(_) => None,
        })
        .collect();
    let descends_from = |name: &str, base: &str| {
        let mut current = parents.get(name);
        let mut steps = 0;
        while let Some(parent) = current {
            if parent == base {
                return true;
            }
            steps += 1;
            if steps > 64 {
                return false;
            }
            current = parents.get(parent);
        }
        false
    };

    let mut referenced = BTreeSet::new();
    let mut note = |ty: &TypeRef| {
        visit_named(ty, &mut |name, kind| {
            if kind == NamedKind::Object {
                referenced.insert(name.to_owned());
            }
        })
    };
    for def in types.iter() {
        if let TypeDef::Object(object) = def {
            object.properties.iter().for_each(|p| note(&p.ty));
        }
    }
    for operation in operations.iter() {
        if let Success::Json(ty) | Success::OptionalJson(ty) = &operation.success {
            note(ty);
        }
    }

    let objects: Vec<(String, String)> = types
        .iter()
        .filter_map(|def| match def {
            TypeDef::Object(object) => Some((object.rust_name.clone(), object.spec_name.clone())),
            TypeDef::Enum(_) | TypeDef::Alias(_) => None,
        })
        .collect();
    let all_names: BTreeSet<String> = types.iter().map(|def| def.rust_name().to_owned()).collect();
    let mut polymorphic: BTreeMap<String, String> = BTreeMap::new();
    for def in types.iter_mut() {
        let TypeDef::Object(object) = def else {
            continue;
        };
        if !referenced.contains(&object.rust_name) {
            continue;
        }
        let mut variants: Vec<(String, String)> = objects
            .iter()
            .filter(|(name, _)| descends_from(name, &object.rust_name))
            .map(|(name, spec_name)| (format!("#{spec_name}"), name.clone()))
            .collect();
        if variants.is_empty() {
            continue;
        }
        variants.push((format!("#{}", object.spec_name), object.rust_name.clone()));
        variants.sort_by(|a, b| a.1.cmp(&b.1));
        let rust_name = format!("Any{}", object.rust_name);
        if all_names.contains(&rust_name) {
            return Err(Error::invalid(
                format!("components.schemas.{}", object.spec_name),
                format!("the polymorphic type name `{rust_name}` is taken by another schema"),
            ));
        }
        let fallback_variant = ["Unknown", "UnknownSubtype", "UnrecognizedSubtype"]
            .into_iter()
            .find(|candidate| !variants.iter().any(|(_, name)| name == candidate))
            .unwrap_or("OtherSubtype")
            .to_owned();
        polymorphic.insert(object.rust_name.clone(), rust_name.clone());
        object.polymorphic = Some(Polymorphic {
            rust_name,
            variants,
            fallback_variant,
        });
    }

    let rewrite = |ty: &mut TypeRef| rewrite_named(ty, &polymorphic);
    for def in types.iter_mut() {
        if let TypeDef::Object(object) = def {
            object
                .properties
                .iter_mut()
                .for_each(|p| rewrite(&mut p.ty));
        }
    }
    for operation in operations.iter_mut() {
        if let Success::Json(ty) | Success::OptionalJson(ty) = &mut operation.success {
            rewrite(ty);
        }
    }
    Ok(())
}

fn visit_named(ty: &TypeRef, visit: &mut impl FnMut(&str, NamedKind)) {
    match ty {
        TypeRef::Array(item) => visit_named(item, visit),
        TypeRef::Named { rust_name, kind } => visit(rust_name, *kind),
        _ => {}
    }
}

fn rewrite_named(ty: &mut TypeRef, polymorphic: &BTreeMap<String, String>) {
    match ty {
        TypeRef::Array(item) => rewrite_named(item, polymorphic),
        TypeRef::Named { rust_name, kind } if *kind == NamedKind::Object => {
            if let Some(any) = polymorphic.get(rust_name) {
                *rust_name = any.clone();
                *kind = NamedKind::Polymorphic;
            }
        }
        _ => {}
    }
}

/// A schema with a `value` list and an `@odata.nextLink` is one page of a collection.
fn mark_pages(types: &mut [TypeDef]) {
    for def in types {
        let TypeDef::Object(object) = def else {
            continue;
        };
        let value = object.properties.iter().find(|p| p.json_name == "value");
        let next = object
            .properties
            .iter()
            .find(|p| p.json_name == "@odata.nextLink");
        if let (Some(value), Some(next)) = (value, next)
            && let (TypeRef::Array(item), TypeRef::String) = (&value.ty, &next.ty)
        {
            object.page = Some(PageDef {
                item: (**item).clone(),
                value_field: value.rust_name.clone(),
                next_link_field: next.rust_name.clone(),
            });
        }
    }
}

/// Types that contain each other (not through a `Vec`) need a `Box` to have a size.
fn box_cycles(types: &mut [TypeDef]) {
    let mut variants_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for def in types.iter() {
        if let TypeDef::Object(object) = def
            && let Some(polymorphic) = &object.polymorphic
        {
            variants_of.insert(
                polymorphic.rust_name.clone(),
                polymorphic
                    .variants
                    .iter()
                    .map(|(_, name)| name.clone())
                    .collect(),
            );
        }
    }
    let targets = |ty: &TypeRef| -> Vec<String> {
        match ty {
            TypeRef::Named {
                rust_name,
                kind: NamedKind::Object,
            } => vec![rust_name.clone()],
            TypeRef::Named {
                rust_name,
                kind: NamedKind::Polymorphic,
            } => variants_of.get(rust_name).cloned().unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    for def in types.iter() {
        if let TypeDef::Object(object) = def {
            let entry = edges.entry(object.rust_name.clone()).or_default();
            for property in &object.properties {
                entry.extend(targets(&property.ty));
            }
        }
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut pending = vec![from.to_owned()];
        while let Some(current) = pending.pop() {
            if current == to {
                return true;
            }
            if seen.insert(current.clone()) {
                pending.extend(edges.get(&current).into_iter().flatten().cloned());
            }
        }
        false
    };
    for def in types.iter_mut() {
        if let TypeDef::Object(object) = def {
            let owner = object.rust_name.clone();
            for property in &mut object.properties {
                property.boxed = targets(&property.ty)
                    .iter()
                    .any(|target| reaches(target, &owner));
            }
        }
    }
}

struct Lowerer<'a> {
    components: &'a openapiv3::Components,
    /// Spec schema name -> Rust type name.
    type_names: BTreeMap<String, String>,
    /// Inline object and enum schemas given names of their own, by name.
    hoisted: RefCell<BTreeMap<String, TypeDef>>,
}

impl Lowerer<'_> {
    fn type_def(&self, spec_name: &str, schema: &Schema, location: &str) -> Result<TypeDef, Error> {
        let rust_name = self
            .type_names
            .get(spec_name)
            .cloned()
            .ok_or_else(|| Error::invalid(location, "schema missing from the name table"))?;
        if let Some(members) = enum_members(schema) {
            return self
                .enum_def(spec_name, &rust_name, schema, members, location)
                .map(TypeDef::Enum);
        }
        if let SchemaKind::Type(
            Type::String(_)
            | Type::Integer(_)
            | Type::Number(_)
            | Type::Boolean(_)
            | Type::Array(_),
        ) = &schema.schema_kind
        {
            let (ty, _) = self.inline_type(schema, location, &format!("{rust_name}Item"))?;
            return Ok(TypeDef::Alias(AliasDef {
                spec_name: spec_name.to_owned(),
                rust_name,
                docs: docs_of(schema, location)?,
                ty,
            }));
        }
        self.object_def(spec_name, &rust_name, schema, location)
            .map(TypeDef::Object)
    }

    fn enum_def(
        &self,
        spec_name: &str,
        rust_name: &str,
        schema: &Schema,
        members: Vec<Option<String>>,
        location: &str,
    ) -> Result<EnumDef, Error> {
        let mut lowered = Vec::new();
        let mut names = BTreeSet::new();
        for (index, member) in members.into_iter().enumerate() {
            let member_location = format!("{location}.enum[{index}]");
            let wire =
                member.ok_or_else(|| Error::unsupported(&member_location, "a null enum member"))?;
            let camel = match wire.strip_prefix('-') {
                Some(rest) => format!("Negative{}", rest.to_upper_camel_case()),
                None => wire.to_upper_camel_case(),
            };
            let member_name = type_ident(&camel, &member_location)?;
            if !names.insert(member_name.clone()) {
                return Err(Error::invalid(
                    member_location,
                    format!("two members of the enum map to the Rust name `{member_name}`"),
                ));
            }
            lowered.push(EnumMember {
                wire,
                rust_name: member_name,
            });
        }
        let unknown_variant = ["Unknown", "Unrecognized", "UnrecognizedValue"]
            .into_iter()
            .find(|candidate| !names.contains(*candidate))
            .unwrap_or("UnrecognizedMember")
            .to_owned();
        let flags = schema
            .schema_data
            .extensions
            .get("x-ms-enum-flags")
            .and_then(|flags| flags.get("isFlags"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        Ok(EnumDef {
            spec_name: spec_name.to_owned(),
            rust_name: rust_name.to_owned(),
            docs: docs_of(schema, location)?,
            members: lowered,
            unknown_variant,
            flags,
        })
    }

    fn object_def(
        &self,
        spec_name: &str,
        rust_name: &str,
        schema: &Schema,
        location: &str,
    ) -> Result<ObjectDef, Error> {
        let (raw, parent, open) = self.flatten(rust_name, schema, location, 0)?;
        let mut properties = Vec::new();
        let mut rust_names = BTreeSet::from(["additional_properties".to_owned()]);
        for (json_name, ty, nullable, read_only, docs, property_location) in raw {
            let field = field_ident(&json_name, &property_location)?;
            if !rust_names.insert(field.clone()) {
                return Err(Error::invalid(
                    property_location,
                    format!("two properties map to the Rust field `{field}`"),
                ));
            }
            properties.push(Property {
                json_name,
                rust_name: field,
                ty,
                nullable,
                read_only,
                boxed: false,
                docs,
            });
        }
        Ok(ObjectDef {
            spec_name: spec_name.to_owned(),
            rust_name: rust_name.to_owned(),
            docs: docs_of(schema, location)?,
            properties,
            parent,
            polymorphic: None,
            page: None,
            open,
            patch_name: None,
        })
    }

    /// An object's properties, inherited ones first, its parent, and whether it is open.
    #[allow(clippy::type_complexity)]
    fn flatten(
        &self,
        owner: &str,
        schema: &Schema,
        location: &str,
        depth: usize,
    ) -> Result<
        (
            Vec<(String, TypeRef, bool, bool, Docs, String)>,
            Option<String>,
            bool,
        ),
        Error,
    > {
        if depth > 32 {
            return Err(Error::invalid(
                location,
                "`allOf` inheritance deeper than 32 levels (a cycle?)",
            ));
        }
        let mut properties: Vec<(String, TypeRef, bool, bool, Docs, String)> = Vec::new();
        let mut merge = |new: Vec<(String, TypeRef, bool, bool, Docs, String)>| {
            for property in new {
                match properties
                    .iter_mut()
                    .find(|existing| existing.0 == property.0)
                {
                    Some(existing) => *existing = property,
                    None => properties.push(property),
                }
            }
        };
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                let own = self.own_properties(owner, &object.properties, location)?;
                merge(own);
                let open = !matches!(
                    object.additional_properties,
                    Some(AdditionalProperties::Any(false))
                );
                Ok((properties, None, open))
            }
            SchemaKind::Any(any)
                if any.typ.as_deref().is_none_or(|t| t == "object")
                    && any.one_of.is_empty()
                    && any.any_of.is_empty()
                    && any.all_of.is_empty()
                    && any.not.is_none()
                    && any.enumeration.is_empty() =>
            {
                merge(self.own_properties(owner, &any.properties, location)?);
                let open = !matches!(
                    any.additional_properties,
                    Some(AdditionalProperties::Any(false))
                );
                Ok((properties, None, open))
            }
            SchemaKind::AllOf { all_of } => {
                let mut parent = None;
                let mut open = true;
                for (index, part) in all_of.iter().enumerate() {
                    let part_location = format!("{location}.allOf[{index}]");
                    match part {
                        ReferenceOr::Reference { reference } => {
                            let name = reference.strip_prefix(SCHEMA_REF).ok_or_else(|| {
                                Error::unsupported(
                                    &part_location,
                                    format!("the reference {reference:?}"),
                                )
                            })?;
                            let Some(ReferenceOr::Item(base)) = self.components.schemas.get(name)
                            else {
                                return Err(Error::invalid(
                                    part_location,
                                    format!("{reference:?} does not resolve"),
                                ));
                            };
                            let base_rust = self.type_names.get(name).cloned().unwrap_or_default();
                            let (inherited, _, base_open) = self.flatten(
                                &base_rust,
                                base,
                                &format!("components.schemas.{name}"),
                                depth + 1,
                            )?;
                            merge(inherited);
                            open &= base_open;
                            parent.get_or_insert(base_rust);
                        }
                        ReferenceOr::Item(inline) => {
                            let (own, _, part_open) =
                                self.flatten(owner, inline, &part_location, depth + 1)?;
                            merge(own);
                            open &= part_open;
                        }
                    }
                }
                Ok((properties, parent, open))
            }
            SchemaKind::OneOf { .. } => Err(Error::unsupported(location, "`oneOf`")),
            SchemaKind::AnyOf { .. } => Err(Error::unsupported(location, "`anyOf`")),
            SchemaKind::Not { .. } => Err(Error::unsupported(location, "`not`")),
            SchemaKind::Type(_) | SchemaKind::Any(_) => Err(Error::unsupported(
                location,
                "a named schema that is neither an object, an `allOf` of objects, nor a string enum",
            )),
        }
    }

    #[allow(clippy::type_complexity)]
    fn own_properties(
        &self,
        owner: &str,
        properties: &indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        location: &str,
    ) -> Result<Vec<(String, TypeRef, bool, bool, Docs, String)>, Error> {
        let mut lowered = Vec::new();
        for (json_name, property) in properties {
            let property_location = format!("{location}.properties.{json_name}");
            let hoist_name = format!("{owner}{}", json_name.to_upper_camel_case());
            let (ty, nullable) = self.type_ref(property, &property_location, &hoist_name)?;
            let (read_only, mut docs) = match property {
                ReferenceOr::Item(schema) => (
                    schema.schema_data.read_only,
                    docs_of(schema, &property_location)?,
                ),
                ReferenceOr::Reference { .. } => (false, Docs::default()),
            };
            if let ReferenceOr::Item(schema) = property
                && let SchemaKind::Type(Type::String(string)) = &schema.schema_kind
                && let Some(format) = string_format(&string.format)
            {
                // Kept as text: Graph's date-times carry up to seven fractional digits, and a
                // parsed value would not write back byte for byte.
                let note = format!("Format `{format}`, kept exactly as sent.");
                docs.description = Some(match docs.description.take() {
                    Some(description) => format!("{description}\n\n{note}"),
                    None => note,
                });
            }
            lowered.push((
                json_name.clone(),
                ty,
                nullable,
                read_only,
                docs,
                property_location,
            ));
        }
        Ok(lowered)
    }

    /// A property's type and whether it is nullable; inline objects and enums get `hoist_name`.
    fn type_ref(
        &self,
        schema: &ReferenceOr<Box<Schema>>,
        location: &str,
        hoist_name: &str,
    ) -> Result<(TypeRef, bool), Error> {
        match schema {
            ReferenceOr::Reference { reference } => Ok((self.named(reference, location)?, false)),
            ReferenceOr::Item(schema) => self.inline_type(schema, location, hoist_name),
        }
    }

    fn named(&self, reference: &str, location: &str) -> Result<TypeRef, Error> {
        let spec_name = reference.strip_prefix(SCHEMA_REF).ok_or_else(|| {
            Error::unsupported(
                location,
                format!("the reference {reference:?} (only {SCHEMA_REF}…)"),
            )
        })?;
        let rust_name =
            self.type_names.get(spec_name).cloned().ok_or_else(|| {
                Error::invalid(location, format!("{reference:?} does not resolve"))
            })?;
        let kind = match self.components.schemas.get(spec_name) {
            Some(ReferenceOr::Item(schema)) if enum_members(schema).is_some() => {
                let flags = schema
                    .schema_data
                    .extensions
                    .get("x-ms-enum-flags")
                    .and_then(|flags| flags.get("isFlags"))
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                if flags {
                    NamedKind::Flags
                } else {
                    NamedKind::Enum
                }
            }
            _ => NamedKind::Object,
        };
        Ok(TypeRef::Named { rust_name, kind })
    }

    fn inline_type(
        &self,
        schema: &Schema,
        location: &str,
        hoist_name: &str,
    ) -> Result<(TypeRef, bool), Error> {
        let nullable = schema.schema_data.nullable;
        if let Some(members) = enum_members(schema) {
            let name = type_ident(hoist_name, location)?;
            let def = self.enum_def(location, &name, schema, members, location)?;
            let kind = if def.flags {
                NamedKind::Flags
            } else {
                NamedKind::Enum
            };
            self.hoist(name.clone(), TypeDef::Enum(def), location)?;
            return Ok((
                TypeRef::Named {
                    rust_name: name,
                    kind,
                },
                nullable,
            ));
        }
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Bool,
            SchemaKind::Type(Type::String(_)) => TypeRef::String,
            SchemaKind::Type(Type::Integer(integer)) => match integer.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => TypeRef::I32,
                _ => TypeRef::I64,
            },
            SchemaKind::Type(Type::Number(_)) => TypeRef::F64,
            SchemaKind::Type(Type::Array(array)) => match &array.items {
                Some(items) => TypeRef::Array(Box::new(
                    self.type_ref(
                        items,
                        &format!("{location}.items"),
                        &format!("{hoist_name}Item"),
                    )?
                    .0,
                )),
                None => TypeRef::Array(Box::new(TypeRef::Json)),
            },
            SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => TypeRef::Json,
            SchemaKind::Type(Type::Object(_)) => self.hoist_object(schema, location, hoist_name)?,
            SchemaKind::AnyOf { any_of } => return self.nullable_reference(any_of, location),
            SchemaKind::OneOf { one_of } => {
                if self.is_number_or_string(one_of) {
                    // Graph's doubles: a number, or a string for INF, -INF and NaN. JSON keeps both.
                    TypeRef::Json
                } else {
                    return Err(Error::unsupported(
                        location,
                        "`oneOf` other than Graph's number-or-string",
                    ));
                }
            }
            SchemaKind::AllOf { .. } => {
                return Err(Error::unsupported(location, "an inline `allOf`"));
            }
            SchemaKind::Not { .. } => return Err(Error::unsupported(location, "`not`")),
            SchemaKind::Any(any) => {
                let composite = !any.one_of.is_empty()
                    || !any.all_of.is_empty()
                    || !any.any_of.is_empty()
                    || any.not.is_some();
                if composite {
                    return Err(Error::unsupported(
                        location,
                        "a schema mixing `type`, `properties` and composition keywords",
                    ));
                }
                if any.properties.is_empty() {
                    TypeRef::Json
                } else {
                    self.hoist_object(schema, location, hoist_name)?
                }
            }
        };
        Ok((ty, nullable))
    }

    fn hoist_object(
        &self,
        schema: &Schema,
        location: &str,
        hoist_name: &str,
    ) -> Result<TypeRef, Error> {
        let name = type_ident(hoist_name, location)?;
        let def = self.object_def(location, &name, schema, location)?;
        self.hoist(name.clone(), TypeDef::Object(def), location)?;
        Ok(TypeRef::Named {
            rust_name: name,
            kind: NamedKind::Object,
        })
    }

    /// Registers an inline schema under its generated name; the same name twice must mean the same type.
    fn hoist(&self, name: String, def: TypeDef, location: &str) -> Result<(), Error> {
        if self.type_names.values().any(|existing| *existing == name) {
            return Err(Error::invalid(
                location,
                format!("the inline schema's generated name `{name}` is taken by a named schema"),
            ));
        }
        let mut hoisted = self.hoisted.borrow_mut();
        match hoisted.get(&name) {
            Some(existing) if !same_shape(existing, &def) => Err(Error::invalid(
                location,
                format!("two different inline schemas would both be named `{name}`"),
            )),
            Some(_) => Ok(()),
            None => {
                hoisted.insert(name, def);
                Ok(())
            }
        }
    }

    fn is_number_or_string(&self, one_of: &[ReferenceOr<Schema>]) -> bool {
        let mut has_number = false;
        let all_fit = one_of.iter().all(|part| match part {
            ReferenceOr::Item(Schema { schema_kind: SchemaKind::Type(Type::Number(_) | Type::Integer(_)), .. }) => {
                has_number = true;
                true
            }
            ReferenceOr::Item(Schema { schema_kind: SchemaKind::Type(Type::String(_)), .. }) => true,
            ReferenceOr::Reference { reference } => reference
                .strip_prefix(SCHEMA_REF)
                .and_then(|name| self.components.schemas.get(name))
                .is_some_and(|schema| matches!(schema, ReferenceOr::Item(schema) if enum_members(schema).is_some())),
            _ => false,
        });
        all_fit && has_number
    }

    /// Graph's way of making a `$ref` nullable: `anyOf: [$ref, {type: object, nullable: true}]`.
    fn nullable_reference(
        &self,
        any_of: &[ReferenceOr<Schema>],
        location: &str,
    ) -> Result<(TypeRef, bool), Error> {
        let is_null_object = |schema: &ReferenceOr<Schema>| {
            matches!(schema, ReferenceOr::Item(Schema {
                schema_data,
                schema_kind: SchemaKind::Type(Type::Object(object)),
            }) if schema_data.nullable && object.properties.is_empty())
        };
        match any_of {
            [ReferenceOr::Reference { reference }, other]
            | [other, ReferenceOr::Reference { reference }]
                if is_null_object(other) =>
            {
                Ok((self.named(reference, location)?, true))
            }
            _ => Err(Error::unsupported(
                location,
                "`anyOf` other than a nullable `$ref` ([$ref, {type: object, nullable: true}])",
            )),
        }
    }

    fn operation(
        &self,
        path: &str,
        method: Method,
        operation: &openapiv3::Operation,
        path_item_parameters: &[ReferenceOr<Parameter>],
        operation_id: &str,
        rust_name: String,
    ) -> Result<Operation, Error> {
        let location = format!("paths.{path}.{}", method.as_str().to_lowercase());

        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let mut header_params = Vec::new();
        let mut rust_names = BTreeSet::from(["body".to_owned()]);
        for (index, parameter) in path_item_parameters
            .iter()
            .chain(&operation.parameters)
            .enumerate()
        {
            let parameter_location = format!("{location}.parameters[{index}]");
            let parameter = self.resolve_parameter(parameter, &parameter_location)?;
            let data = parameter.parameter_data_ref();
            let kind = param_kind(data, &parameter_location)?;
            let param = Param {
                wire_name: data.name.clone(),
                rust_name: field_ident(&data.name, &parameter_location)?,
                kind,
                required: data.required,
                description: data.description.clone(),
                allowed_values: allowed_values(data),
            };
            if !rust_names.insert(param.rust_name.clone()) {
                return Err(Error::invalid(
                    parameter_location,
                    format!("two parameters map to the Rust field `{}`", param.rust_name),
                ));
            }
            match parameter {
                Parameter::Path { .. } if kind != ParamKind::StringList => path_params.push(param),
                Parameter::Path { .. } => {
                    return Err(Error::unsupported(
                        parameter_location,
                        "a list-valued path parameter",
                    ));
                }
                Parameter::Query { .. } => query_params.push(param),
                Parameter::Header { .. } if kind == ParamKind::String => header_params.push(param),
                Parameter::Header { .. } => {
                    return Err(Error::unsupported(
                        parameter_location,
                        "a header parameter that is not a string",
                    ));
                }
                Parameter::Cookie { .. } => {
                    return Err(Error::unsupported(parameter_location, "a cookie parameter"));
                }
            }
        }

        // OData parameter aliases: a function call written `f(x=@x)` takes `x` from the query as
        // `@x`, and cannot be called without it.
        for param in &mut query_params {
            let alias = format!("=@{}", param.wire_name);
            if path.contains(&format!("{alias})")) || path.contains(&format!("{alias},")) {
                param.wire_name = format!("@{}", param.wire_name);
                param.required = true;
            }
        }

        let mut segments = Vec::new();
        let mut used = BTreeSet::new();
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            segments.push(parse_segment(segment, &path_params, &location, &mut used)?);
        }
        if let Some(unused) = path_params
            .iter()
            .find(|param| !used.contains(&param.wire_name))
        {
            return Err(Error::invalid(
                location,
                format!(
                    "path parameter `{}` is declared but not used in the path",
                    unused.wire_name
                ),
            ));
        }

        let body = match &operation.request_body {
            None => None,
            Some(body) => Some(self.body(
                body,
                &format!("{location}.requestBody"),
                &format!("{rust_name}Body"),
            )?),
        };
        let success = self.success(
            operation,
            method,
            &location,
            &format!("{rust_name}Response"),
        )?;

        let docs = Docs {
            title: operation.summary.clone(),
            description: operation.description.clone(),
            deprecation: deprecation_note(
                operation.deprecated,
                operation.extensions.get(DEPRECATION),
                &location,
            )?,
        };

        Ok(Operation {
            operation_id: operation_id.to_owned(),
            rust_name,
            method,
            path_template: path.to_owned(),
            segments,
            docs,
            path_params,
            query_params,
            header_params,
            body,
            success,
        })
    }

    fn resolve_parameter<'p>(
        &'p self,
        parameter: &'p ReferenceOr<Parameter>,
        location: &str,
    ) -> Result<&'p Parameter, Error> {
        match parameter {
            ReferenceOr::Item(parameter) => Ok(parameter),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix(PARAMETER_REF).ok_or_else(|| {
                    Error::unsupported(location, format!("the reference {reference:?}"))
                })?;
                match self.components.parameters.get(name) {
                    Some(ReferenceOr::Item(parameter)) => Ok(parameter),
                    Some(ReferenceOr::Reference { .. }) => Err(Error::unsupported(
                        location,
                        "a parameter reference to a reference",
                    )),
                    None => Err(Error::invalid(
                        location,
                        format!("{reference:?} does not resolve"),
                    )),
                }
            }
        }
    }

    fn body(
        &self,
        body: &ReferenceOr<openapiv3::RequestBody>,
        location: &str,
        hoist_name: &str,
    ) -> Result<Body, Error> {
        let body = match body {
            ReferenceOr::Item(body) => body,
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix(REQUEST_BODY_REF).ok_or_else(|| {
                    Error::unsupported(location, format!("the reference {reference:?}"))
                })?;
                match self.components.request_bodies.get(name) {
                    Some(ReferenceOr::Item(body)) => body,
                    _ => {
                        return Err(Error::invalid(
                            location,
                            format!("{reference:?} does not resolve"),
                        ));
                    }
                }
            }
        };
        let media = json_media(&body.content, location)?.ok_or_else(|| {
            Error::unsupported(location, "a request body that is not application/json")
        })?;
        let ty = match &media.schema {
            Some(ReferenceOr::Reference { reference }) => self.named(reference, location)?,
            Some(ReferenceOr::Item(schema)) => self.inline_type(schema, location, hoist_name)?.0,
            None => return Err(Error::invalid(location, "the request body has no schema")),
        };
        match ty {
            TypeRef::Named {
                rust_name,
                kind: NamedKind::Object,
            } => Ok(Body {
                rust_type: rust_name,
                required: body.required,
            }),
            _ => Err(Error::unsupported(
                location,
                "a request body that is not an object schema",
            )),
        }
    }

    fn success(
        &self,
        operation: &openapiv3::Operation,
        method: Method,
        location: &str,
        hoist_name: &str,
    ) -> Result<Success, Error> {
        let Some((code, response)) =
            operation
                .responses
                .responses
                .iter()
                .find(|(code, _)| match code {
                    StatusCode::Code(code) => (200..300).contains(code),
                    StatusCode::Range(range) => *range == 2,
                })
        else {
            return Ok(Success::Empty);
        };
        let location = format!("{location}.responses.{code}");
        let response = match response {
            ReferenceOr::Item(response) => response,
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix(RESPONSE_REF).ok_or_else(|| {
                    Error::unsupported(&location, format!("the reference {reference:?}"))
                })?;
                match self.components.responses.get(name) {
                    Some(ReferenceOr::Item(response)) => response,
                    _ => {
                        return Err(Error::invalid(
                            location,
                            format!("{reference:?} does not resolve"),
                        ));
                    }
                }
            }
        };
        if response.content.len() == 1 && response.content.contains_key(TEXT) {
            return Ok(Success::Text);
        }
        let Some(media) = json_media(&response.content, &location)? else {
            return Ok(Success::Empty);
        };
        let ty = match &media.schema {
            None => return Ok(Success::Empty),
            Some(ReferenceOr::Reference { reference }) => self.named(reference, &location)?,
            Some(ReferenceOr::Item(schema)) => self.inline_type(schema, &location, hoist_name)?.0,
        };
        // Graph answers writes with 204 No Content even where the description declares a body.
        Ok(if method == Method::Get {
            Success::Json(ty)
        } else {
            Success::OptionalJson(ty)
        })
    }
}

fn string_format(format: &VariantOrUnknownOrEmpty<openapiv3::StringFormat>) -> Option<String> {
    match format {
        VariantOrUnknownOrEmpty::Item(format) => Some(
            match format {
                openapiv3::StringFormat::Date => "date",
                openapiv3::StringFormat::DateTime => "date-time",
                openapiv3::StringFormat::Password => "password",
                openapiv3::StringFormat::Byte => "byte (base64)",
                openapiv3::StringFormat::Binary => "binary",
            }
            .to_owned(),
        ),
        VariantOrUnknownOrEmpty::Unknown(format) => Some(format.clone()),
        VariantOrUnknownOrEmpty::Empty => None,
    }
}

/// The members of an enum schema (`type: string` or untyped, with `enum`), if it is one.
fn enum_members(schema: &Schema) -> Option<Vec<Option<String>>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
            Some(string.enumeration.clone())
        }
        SchemaKind::Any(any) if !any.enumeration.is_empty() && any.properties.is_empty() => Some(
            any.enumeration
                .iter()
                .map(|value| value.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// Two hoisted definitions describe the same type (the name they were found under aside).
fn same_shape(a: &TypeDef, b: &TypeDef) -> bool {
    match (a, b) {
        (TypeDef::Object(a), TypeDef::Object(b)) => {
            a.properties == b.properties && a.open == b.open
        }
        (TypeDef::Enum(a), TypeDef::Enum(b)) => a.members == b.members && a.flags == b.flags,
        _ => false,
    }
}

/// One path segment: a literal, a key, or a template mixing text and parameters.
fn parse_segment(
    segment: &str,
    path_params: &[Param],
    location: &str,
    used: &mut BTreeSet<String>,
) -> Result<Segment, Error> {
    let find = |name: &str, used: &mut BTreeSet<String>| {
        used.insert(name.to_owned());
        path_params
            .iter()
            .find(|param| param.wire_name == name)
            .ok_or_else(|| {
                Error::invalid(location, format!("path parameter `{name}` is not declared"))
            })
    };
    if let Some(name) = segment
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        && !name.contains(['{', '}'])
    {
        let param = find(name, used)?;
        if param.kind != ParamKind::String {
            return Err(Error::unsupported(
                location,
                format!("a key segment `{{{name}}}` that is not a string"),
            ));
        }
        return Ok(Segment::Param {
            wire_name: param.wire_name.clone(),
            rust_name: param.rust_name.clone(),
        });
    }
    if !segment.contains(['{', '}']) {
        return Ok(Segment::Literal(segment.to_owned()));
    }
    let mut parts = Vec::new();
    let mut rest = segment;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|at| open + at).ok_or_else(|| {
            Error::invalid(
                location,
                format!("unbalanced `{{` in the path segment {segment:?}"),
            )
        })?;
        let before = &rest[..open];
        let name = &rest[open + 1..close];
        let after = &rest[close + 1..];
        if name.is_empty() || name.contains('{') {
            return Err(Error::invalid(
                location,
                format!("malformed parameter in the path segment {segment:?}"),
            ));
        }
        if !before.is_empty() {
            parts.push(TemplatePart::Literal(before.to_owned()));
        }
        let param = find(name, used)?;
        parts.push(TemplatePart::Param {
            wire_name: param.wire_name.clone(),
            rust_name: param.rust_name.clone(),
            quoted: before.ends_with('\'') && after.starts_with('\''),
        });
        rest = after;
    }
    if rest.contains('}') {
        return Err(Error::invalid(
            location,
            format!("unbalanced `}}` in the path segment {segment:?}"),
        ));
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Literal(rest.to_owned()));
    }
    Ok(Segment::Template(parts))
}

fn json_media<'m>(
    content: &'m openapiv3::Content,
    location: &str,
) -> Result<Option<&'m MediaType>, Error> {
    match content.get(JSON) {
        Some(media) => Ok(Some(media)),
        None if content.is_empty() => Ok(None),
        None => Err(Error::unsupported(
            location,
            format!(
                "content types other than {JSON} ({})",
                content.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The `enum` on a parameter's schema, or on its items for a list.
fn allowed_values(data: &openapiv3::ParameterData) -> Vec<String> {
    let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &data.format else {
        return Vec::new();
    };
    let strings = |schema: &Schema| match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            string.enumeration.iter().flatten().cloned().collect()
        }
        _ => Vec::new(),
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => match array.items.as_ref() {
            Some(ReferenceOr::Item(item)) => strings(item),
            _ => Vec::new(),
        },
        _ => strings(schema),
    }
}

fn param_kind(data: &openapiv3::ParameterData, location: &str) -> Result<ParamKind, Error> {
    let schema = match &data.format {
        ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => schema,
        ParameterSchemaOrContent::Schema(ReferenceOr::Reference { .. }) => {
            return Err(Error::unsupported(
                location,
                "a parameter whose schema is a `$ref`",
            ));
        }
        ParameterSchemaOrContent::Content(_) => {
            return Err(Error::unsupported(
                location,
                "a parameter described by `content`",
            ));
        }
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => Ok(ParamKind::String),
        SchemaKind::Type(Type::Integer(_)) => Ok(ParamKind::Integer),
        SchemaKind::Type(Type::Boolean(_)) => Ok(ParamKind::Bool),
        SchemaKind::Type(Type::Array(array)) => match array.items.as_ref() {
            Some(ReferenceOr::Item(item))
                if matches!(item.schema_kind, SchemaKind::Type(Type::String(_))) =>
            {
                if data.explode == Some(true) {
                    return Err(Error::unsupported(location, "an exploded list parameter"));
                }
                Ok(ParamKind::StringList)
            }
            _ => Err(Error::unsupported(
                location,
                "a list parameter whose items are not strings",
            )),
        },
        _ => Err(Error::unsupported(
            location,
            "a parameter that is not a string, integer, boolean or list of strings",
        )),
    }
}

fn docs_of(schema: &Schema, location: &str) -> Result<Docs, Error> {
    Ok(Docs {
        title: schema.schema_data.title.clone(),
        description: schema.schema_data.description.clone(),
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
        .filter_map(|(key, label)| field(key).map(|value| format!("{label} {value}")))
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

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "yield", "abstract", "become", "do", "final",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual",
];

/// A snake_case field name for a JSON name such as `isSystemPreferred…`, `@odata.type` or `$select`.
fn field_ident(json_name: &str, location: &str) -> Result<String, Error> {
    let mut name = json_name.to_snake_case();
    if name.is_empty() {
        return Err(Error::invalid(
            location,
            format!("{json_name:?} gives no usable Rust name"),
        ));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if RUST_KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    check_ident(&name, json_name, location)?;
    Ok(name)
}

/// An UpperCamelCase type or variant name.
fn type_ident(name: &str, location: &str) -> Result<String, Error> {
    let mut name = name.to_owned();
    if name.is_empty() {
        return Err(Error::invalid(
            location,
            "the name gives no usable Rust identifier",
        ));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Self" {
        name.push('_');
    }
    check_ident(&name, &name, location)?;
    Ok(name)
}

fn check_ident(name: &str, from: &str, location: &str) -> Result<(), Error> {
    if name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) && name.chars().any(|c| c != '_')
    {
        Ok(())
    } else {
        Err(Error::invalid(
            location,
            format!("{from:?} gives no usable Rust identifier"),
        ))
    }
}
