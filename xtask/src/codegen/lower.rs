//! Lowering: an OpenAPI document (openapiv3) to the generator's IR.
//!
//! Everything endpoint-specific comes from the document; the only knowledge here is about OpenAPI
//! and the conventions Microsoft's Graph descriptions follow (`x-ms-deprecation`, nullable `$ref`s
//! written as `anyOf: [$ref, {type: object, nullable: true}]`, writes answering 204).

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
    let mut lowerer = Lowerer {
        components,
        type_names: type_names(components.schemas.keys())?,
    };

    let mut operations = Vec::new();
    for (path, item) in &spec.paths.paths {
        let location = format!("paths.{path}");
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                return Err(Error::unsupported(location, "a `$ref`'d path item"));
            }
        };
        for (method, operation) in methods(item, &location)? {
            operations.push(lowerer.operation(path, method, operation, &item.parameters)?);
        }
    }
    name_operations(&mut operations)?;

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
        let mut def = lowerer.type_def(spec_name, schema, &location)?;
        if let TypeDef::Object(object) = &mut def
            && patch_targets.contains(&object.rust_name)
        {
            let patch_name = format!("{}Patch", object.rust_name);
            if lowerer.type_names.values().any(|name| *name == patch_name) {
                return Err(Error::invalid(
                    location,
                    format!("the patch type name `{patch_name}` is taken by another schema"),
                ));
            }
            object.patch_name = Some(patch_name);
        }
        types.push(def);
    }
    types.sort_by(|a, b| a.rust_name().cmp(b.rust_name()));

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
fn name_operations(operations: &mut [Operation]) -> Result<(), Error> {
    let short = |id: &str| id.rsplit('_').next().unwrap_or(id).to_upper_camel_case();
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for operation in operations.iter() {
        *uses.entry(short(&operation.operation_id)).or_default() += 1;
    }
    let mut taken = BTreeSet::new();
    for operation in operations.iter_mut() {
        let short_name = short(&operation.operation_id);
        let name = if uses.get(&short_name).copied().unwrap_or(0) > 1 {
            operation.operation_id.to_upper_camel_case()
        } else {
            short_name
        };
        let location = format!("operationId {}", operation.operation_id);
        let name = type_ident(&name, &location)?;
        if !taken.insert(name.clone()) {
            return Err(Error::invalid(
                location,
                format!("two operations map to `{name}`"),
            ));
        }
        operation.rust_name = name;
    }
    Ok(())
}

struct Lowerer<'a> {
    components: &'a openapiv3::Components,
    /// Spec schema name -> Rust type name.
    type_names: BTreeMap<String, String>,
}

impl Lowerer<'_> {
    fn type_def(&self, spec_name: &str, schema: &Schema, location: &str) -> Result<TypeDef, Error> {
        let rust_name = self
            .type_names
            .get(spec_name)
            .cloned()
            .ok_or_else(|| Error::invalid(location, "schema missing from the name table"))?;
        let docs = docs_of(schema, location)?;
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let mut members = Vec::new();
                let mut names = BTreeSet::new();
                for (index, member) in string.enumeration.iter().enumerate() {
                    let member_location = format!("{location}.enum[{index}]");
                    let wire = member.clone().ok_or_else(|| {
                        Error::unsupported(&member_location, "a null enum member")
                    })?;
                    let rust_name = type_ident(&wire.to_upper_camel_case(), &member_location)?;
                    if !names.insert(rust_name.clone()) {
                        return Err(Error::invalid(
                            member_location,
                            format!("two members of the enum map to the Rust name `{rust_name}`"),
                        ));
                    }
                    members.push(EnumMember { wire, rust_name });
                }
                let unknown_variant = ["Unknown", "Unrecognized", "UnrecognizedValue"]
                    .into_iter()
                    .find(|candidate| !names.contains(*candidate))
                    .unwrap_or("UnrecognizedMember")
                    .to_owned();
                Ok(TypeDef::Enum(EnumDef {
                    spec_name: spec_name.to_owned(),
                    rust_name,
                    docs,
                    members,
                    unknown_variant,
                }))
            }
            SchemaKind::Type(Type::Object(object)) => {
                let mut properties = Vec::new();
                let mut rust_names = BTreeSet::from(["additional_properties".to_owned()]);
                for (json_name, property) in &object.properties {
                    let property_location = format!("{location}.properties.{json_name}");
                    let (ty, nullable) = self.type_ref(property, &property_location)?;
                    let (read_only, docs) = match property {
                        ReferenceOr::Item(schema) => (
                            schema.schema_data.read_only,
                            docs_of(schema, &property_location)?,
                        ),
                        ReferenceOr::Reference { .. } => (false, Docs::default()),
                    };
                    let rust_name = field_ident(json_name, &property_location)?;
                    if !rust_names.insert(rust_name.clone()) {
                        return Err(Error::invalid(
                            property_location,
                            format!("two properties map to the Rust field `{rust_name}`"),
                        ));
                    }
                    properties.push(Property {
                        json_name: json_name.clone(),
                        rust_name,
                        ty,
                        nullable,
                        read_only,
                        docs,
                    });
                }
                let open = !matches!(
                    object.additional_properties,
                    Some(AdditionalProperties::Any(false))
                );
                Ok(TypeDef::Object(ObjectDef {
                    spec_name: spec_name.to_owned(),
                    rust_name,
                    docs,
                    properties,
                    open,
                    patch_name: None,
                }))
            }
            SchemaKind::AllOf { .. } => Err(Error::unsupported(location, "`allOf`")),
            SchemaKind::OneOf { .. } => Err(Error::unsupported(location, "`oneOf`")),
            SchemaKind::AnyOf { .. } => Err(Error::unsupported(location, "`anyOf`")),
            SchemaKind::Not { .. } => Err(Error::unsupported(location, "`not`")),
            SchemaKind::Type(_) | SchemaKind::Any(_) => Err(Error::unsupported(
                location,
                "a named schema that is neither an object nor a string enum",
            )),
        }
    }

    /// A property's type and whether it is nullable.
    fn type_ref(
        &self,
        schema: &ReferenceOr<Box<Schema>>,
        location: &str,
    ) -> Result<(TypeRef, bool), Error> {
        match schema {
            ReferenceOr::Reference { reference } => Ok((self.named(reference, location)?, false)),
            ReferenceOr::Item(schema) => self.inline_type(schema, location),
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
        let is_enum = matches!(
            self.components.schemas.get(spec_name),
            Some(ReferenceOr::Item(Schema {
                schema_kind: SchemaKind::Type(Type::String(_)),
                ..
            }))
        );
        Ok(TypeRef::Named { rust_name, is_enum })
    }

    fn inline_type(&self, schema: &Schema, location: &str) -> Result<(TypeRef, bool), Error> {
        let nullable = schema.schema_data.nullable;
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Bool,
            SchemaKind::Type(Type::String(string)) => {
                if !string.enumeration.is_empty() {
                    return Err(Error::unsupported(
                        location,
                        "an inline enum (name it under components.schemas)",
                    ));
                }
                TypeRef::String
            }
            SchemaKind::Type(Type::Integer(integer)) => match integer.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => TypeRef::I32,
                _ => TypeRef::I64,
            },
            SchemaKind::Type(Type::Number(_)) => TypeRef::F64,
            SchemaKind::Type(Type::Array(array)) => match &array.items {
                Some(items) => TypeRef::Array(Box::new(
                    self.type_ref(items, &format!("{location}.items"))?.0,
                )),
                None => TypeRef::Array(Box::new(TypeRef::Json)),
            },
            SchemaKind::Type(Type::Object(object)) => {
                if !object.properties.is_empty() {
                    return Err(Error::unsupported(
                        location,
                        "an inline object with properties (name it under components.schemas)",
                    ));
                }
                TypeRef::Json
            }
            SchemaKind::AnyOf { any_of } => return self.nullable_reference(any_of, location),
            SchemaKind::AllOf { .. } => return Err(Error::unsupported(location, "`allOf`")),
            SchemaKind::OneOf { .. } => return Err(Error::unsupported(location, "`oneOf`")),
            SchemaKind::Not { .. } => return Err(Error::unsupported(location, "`not`")),
            SchemaKind::Any(any) => {
                let composite = !any.one_of.is_empty()
                    || !any.all_of.is_empty()
                    || !any.any_of.is_empty()
                    || any.not.is_some();
                if composite || !any.properties.is_empty() {
                    return Err(Error::unsupported(
                        location,
                        "a schema mixing `type`, `properties` and composition keywords",
                    ));
                }
                TypeRef::Json
            }
        };
        Ok((ty, nullable))
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
        &mut self,
        path: &str,
        method: Method,
        operation: &openapiv3::Operation,
        path_item_parameters: &[ReferenceOr<Parameter>],
    ) -> Result<Operation, Error> {
        let location = format!("paths.{path}.{}", method.as_str().to_lowercase());
        let operation_id = operation
            .operation_id
            .clone()
            .ok_or_else(|| Error::invalid(&location, "the operation has no operationId"))?;

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
            };
            if !rust_names.insert(param.rust_name.clone()) {
                return Err(Error::invalid(
                    parameter_location,
                    format!("two parameters map to the Rust field `{}`", param.rust_name),
                ));
            }
            match parameter {
                Parameter::Path { .. } if kind == ParamKind::String => path_params.push(param),
                Parameter::Path { .. } => {
                    return Err(Error::unsupported(
                        parameter_location,
                        "a path parameter that is not a string",
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

        let mut segments = Vec::new();
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            match segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
            {
                Some(name) if !name.contains(['{', '}']) => {
                    let param = path_params
                        .iter()
                        .find(|param: &&Param| param.wire_name == name)
                        .ok_or_else(|| {
                            Error::invalid(
                                &location,
                                format!("path parameter `{name}` is not declared"),
                            )
                        })?;
                    segments.push(Segment::Param {
                        wire_name: param.wire_name.clone(),
                        rust_name: param.rust_name.clone(),
                    });
                }
                _ if segment.contains(['{', '}']) => {
                    return Err(Error::unsupported(
                        location,
                        format!("a parameter inside the path segment {segment:?}"),
                    ));
                }
                _ => segments.push(Segment::Literal(segment.to_owned())),
            }
        }
        if path_params.len()
            != segments
                .iter()
                .filter(|s| matches!(s, Segment::Param { .. }))
                .count()
        {
            return Err(Error::invalid(
                location,
                "a path parameter is declared but not used in the path",
            ));
        }

        let body = match &operation.request_body {
            None => None,
            Some(body) => Some(self.body(body, &format!("{location}.requestBody"))?),
        };
        let success = self.success(operation, method, &location)?;

        let mut docs = Docs {
            title: operation.summary.clone(),
            description: operation.description.clone(),
            deprecation: None,
        };
        docs.deprecation = deprecation_note(
            operation.deprecated,
            operation.extensions.get(DEPRECATION),
            &location,
        )?;

        Ok(Operation {
            operation_id,
            rust_name: String::new(),
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
        match &media.schema {
            Some(ReferenceOr::Reference { reference }) => match self.named(reference, location)? {
                TypeRef::Named {
                    rust_name,
                    is_enum: false,
                } => Ok(Body {
                    rust_type: rust_name,
                    required: body.required,
                }),
                _ => Err(Error::unsupported(
                    location,
                    "a request body that is not an object schema",
                )),
            },
            _ => Err(Error::unsupported(
                location,
                "an inline request body schema (name it under components.schemas)",
            )),
        }
    }

    fn success(
        &self,
        operation: &openapiv3::Operation,
        method: Method,
        location: &str,
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
        let Some(media) = json_media(&response.content, &location)? else {
            return Ok(Success::Empty);
        };
        let ty = match &media.schema {
            None => return Ok(Success::Empty),
            Some(ReferenceOr::Reference { reference }) => self.named(reference, &location)?,
            Some(ReferenceOr::Item(schema)) => self.inline_type(schema, &location)?.0,
        };
        // Graph answers writes with 204 No Content even where the description declares a body.
        Ok(if method == Method::Get {
            Success::Json(ty)
        } else {
            Success::OptionalJson(ty)
        })
    }
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
