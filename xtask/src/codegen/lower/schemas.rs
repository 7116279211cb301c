//! Named schemas to type definitions: enums, aliases and objects (with `allOf` inheritance
//! flattened), and the inline object and enum schemas they contain, hoisted under names of their own.

use std::collections::BTreeSet;

use heck::ToUpperCamelCase;
use openapiv3::{
    AdditionalProperties, IntegerFormat, ReferenceOr, Schema, SchemaKind, Type,
    VariantOrUnknownOrEmpty,
};

use super::names::{field_ident, type_ident};
use super::{Lowerer, SCHEMA_REF, docs_of};
use crate::codegen::ir::*;
use crate::error::Error;

/// A property as an object schema (or a part of its `allOf`) declares it, before it is given its
/// Rust field name.
struct RawProperty {
    json_name: String,
    ty: TypeRef,
    nullable: bool,
    read_only: bool,
    docs: Docs,
    /// Where the property is declared, for errors.
    location: String,
}

/// An object schema with its inheritance flattened.
struct Flattened {
    /// Its properties, inherited ones first; a redeclared property keeps its first place.
    properties: Vec<RawProperty>,
    /// The Rust name of the first schema it inherits from through `allOf`, if any.
    parent: Option<String>,
    /// Whether it allows properties it does not list (no `additionalProperties: false`).
    open: bool,
}

impl Lowerer<'_> {
    /// Every named schema, then every inline schema hoisted along the way (by operations too).
    pub(super) fn types(self) -> Result<Vec<TypeDef>, Error> {
        let mut types = Vec::new();
        for (spec_name, schema) in &self.components.schemas {
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
            types.push(self.type_def(spec_name, schema, &location)?);
        }
        let hoisted = self.hoisted.into_inner();
        for (name, def) in hoisted {
            if types.iter().any(|existing| existing.rust_name() == name) {
                return Err(Error::invalid(
                    format!("inline schema `{name}`"),
                    "its generated name is taken by a named schema",
                ));
            }
            types.push(def);
        }
        Ok(types)
    }

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
        let Flattened {
            properties: raw,
            parent,
            open,
        } = self.flatten(rust_name, schema, location, 0)?;
        let mut properties = Vec::new();
        let mut rust_names = BTreeSet::from(["additional_properties".to_owned()]);
        for raw in raw {
            let field = field_ident(&raw.json_name, &raw.location)?;
            if !rust_names.insert(field.clone()) {
                return Err(Error::invalid(
                    raw.location,
                    format!("two properties map to the Rust field `{field}`"),
                ));
            }
            properties.push(Property {
                json_name: raw.json_name,
                rust_name: field,
                ty: raw.ty,
                nullable: raw.nullable,
                read_only: raw.read_only,
                boxed: false,
                docs: raw.docs,
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
    fn flatten(
        &self,
        owner: &str,
        schema: &Schema,
        location: &str,
        depth: usize,
    ) -> Result<Flattened, Error> {
        if depth > 32 {
            return Err(Error::invalid(
                location,
                "`allOf` inheritance deeper than 32 levels (a cycle?)",
            ));
        }
        let mut properties: Vec<RawProperty> = Vec::new();
        let mut merge = |new: Vec<RawProperty>| {
            for property in new {
                match properties
                    .iter_mut()
                    .find(|existing| existing.json_name == property.json_name)
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
                Ok(Flattened {
                    properties,
                    parent: None,
                    open,
                })
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
                Ok(Flattened {
                    properties,
                    parent: None,
                    open,
                })
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
                            let inherited = self.flatten(
                                &base_rust,
                                base,
                                &format!("components.schemas.{name}"),
                                depth + 1,
                            )?;
                            merge(inherited.properties);
                            open &= inherited.open;
                            parent.get_or_insert(base_rust);
                        }
                        ReferenceOr::Item(inline) => {
                            let own = self.flatten(owner, inline, &part_location, depth + 1)?;
                            merge(own.properties);
                            open &= own.open;
                        }
                    }
                }
                Ok(Flattened {
                    properties,
                    parent,
                    open,
                })
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

    fn own_properties(
        &self,
        owner: &str,
        properties: &indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        location: &str,
    ) -> Result<Vec<RawProperty>, Error> {
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
            lowered.push(RawProperty {
                json_name: json_name.clone(),
                ty,
                nullable,
                read_only,
                docs,
                location: property_location,
            });
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

    pub(super) fn named(&self, reference: &str, location: &str) -> Result<TypeRef, Error> {
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

    pub(super) fn inline_type(
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
