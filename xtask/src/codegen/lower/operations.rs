//! Paths to operations: parameters (path, query, header) resolved and typed, the path split into
//! literal, key and template segments, the body and the success response typed.

use std::collections::BTreeSet;

use openapiv3::{
    MediaType, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, StatusCode,
    Type,
};

use super::names::{field_ident, operation_names};
use super::{
    DEPRECATION, JSON, Lowerer, PARAMETER_REF, REQUEST_BODY_REF, RESPONSE_REF, TEXT,
    deprecation_note,
};
use crate::codegen::ir::*;
use crate::codegen::markdown;
use crate::error::Error;

impl Lowerer<'_> {
    /// Every operation of every path, in the document's order, named.
    pub(super) fn operations(&self, paths: &openapiv3::Paths) -> Result<Vec<Operation>, Error> {
        let mut found = Vec::new();
        for (path, item) in &paths.paths {
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
            operations.push(self.operation(
                path,
                *method,
                operation,
                &item.parameters,
                operation_id,
                rust_name,
            )?);
        }
        Ok(operations)
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
                description: data.description.as_deref().map(markdown::escape),
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
            title: operation.summary.as_deref().map(markdown::escape),
            description: operation.description.as_deref().map(markdown::escape),
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
