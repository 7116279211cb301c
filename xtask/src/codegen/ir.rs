//! The generator's intermediate representation: what the emitters need, already named for Rust.
//!
//! Lowering (`lower/`) resolves references, chooses Rust names and rejects what the generator does
//! not support; the emitters then only translate this IR into tokens, one construct at a time.

/// Everything generated from one spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Api {
    /// The spec file, relative to the repository root, as named in generated headers.
    pub(crate) source: String,
    /// SHA-256 of the spec file's bytes, so a header goes stale when the spec changes.
    pub(crate) source_sha256: String,
    /// The first server URL, e.g. `https://graph.microsoft.com/beta/`.
    pub(crate) server_url: String,
    /// The server URL's path without a trailing slash, e.g. `/beta`.
    pub(crate) base_path: String,
    /// Named schemas, sorted by Rust name.
    pub(crate) types: Vec<TypeDef>,
    /// Operations, sorted by Rust name.
    pub(crate) operations: Vec<Operation>,
}

/// A named schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeDef {
    Object(ObjectDef),
    Enum(EnumDef),
    /// A named schema that is a plain type, such as an integer count.
    Alias(AliasDef),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AliasDef {
    pub(crate) spec_name: String,
    pub(crate) rust_name: String,
    pub(crate) docs: Docs,
    pub(crate) ty: TypeRef,
}

impl TypeDef {
    pub(crate) fn rust_name(&self) -> &str {
        match self {
            Self::Object(object) => &object.rust_name,
            Self::Enum(enumeration) => &enumeration.rust_name,
            Self::Alias(alias) => &alias.rust_name,
        }
    }
}

/// Notes carried to the generated documentation, as Markdown: the spec's plain text is escaped
/// where it enters (`lower`, through `markdown::escape`), the generator's own notes are written so.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Docs {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    /// Set when the spec marks the item deprecated: the text of the notice.
    pub(crate) deprecation: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectDef {
    pub(crate) spec_name: String,
    pub(crate) rust_name: String,
    pub(crate) docs: Docs,
    /// Inherited properties (through `allOf`) first, then the schema's own.
    pub(crate) properties: Vec<Property>,
    /// The `allOf` parent, by Rust name.
    pub(crate) parent: Option<String>,
    /// Set when the schema has subtypes and is referenced somewhere: the polymorphic enum.
    pub(crate) polymorphic: Option<Polymorphic>,
    /// Set when the schema is a page of a collection (`value` plus `@odata.nextLink`).
    pub(crate) page: Option<PageDef>,
    /// Whether the schema admits properties it does not list (Graph's schemas all do).
    pub(crate) open: bool,
    /// Set when a PATCH operation takes this schema as its body: the patch type's name.
    pub(crate) patch_name: Option<String>,
}

/// The enum that reads a base type or any of its subtypes, told apart by `@odata.type`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Polymorphic {
    pub(crate) rust_name: String,
    /// (`@odata.type` value, Rust type name) for the base and each subtype, sorted by Rust name.
    pub(crate) variants: Vec<(String, String)>,
    /// The variant holding a value whose `@odata.type` is missing or unknown, read as the base.
    pub(crate) fallback_variant: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageDef {
    pub(crate) item: TypeRef,
    pub(crate) value_field: String,
    pub(crate) next_link_field: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Property {
    pub(crate) json_name: String,
    pub(crate) rust_name: String,
    pub(crate) ty: TypeRef,
    pub(crate) nullable: bool,
    pub(crate) read_only: bool,
    /// Held in a `Box` because the types refer to each other.
    pub(crate) boxed: bool,
    pub(crate) docs: Docs,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnumDef {
    pub(crate) spec_name: String,
    pub(crate) rust_name: String,
    pub(crate) docs: Docs,
    pub(crate) members: Vec<EnumMember>,
    /// The catch-all variant holding values the spec does not list.
    pub(crate) unknown_variant: String,
    /// `x-ms-enum-flags`: values on the wire are comma-separated sets of members.
    pub(crate) flags: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnumMember {
    pub(crate) wire: String,
    pub(crate) rust_name: String,
}

/// A property's or body's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeRef {
    Bool,
    String,
    I32,
    I64,
    F64,
    /// Any JSON value: schemas without a usable type.
    Json,
    Array(Box<TypeRef>),
    /// A named schema.
    Named {
        rust_name: String,
        kind: NamedKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NamedKind {
    Object,
    /// A base type read through its polymorphic enum (`rust_name` is the enum's).
    Polymorphic,
    Enum,
    /// A flags enum: the Rust type is a `FlagSet` of it.
    Flags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Operation {
    pub(crate) operation_id: String,
    pub(crate) rust_name: String,
    pub(crate) method: Method,
    pub(crate) path_template: String,
    pub(crate) segments: Vec<Segment>,
    pub(crate) docs: Docs,
    pub(crate) path_params: Vec<Param>,
    pub(crate) query_params: Vec<Param>,
    pub(crate) header_params: Vec<Param>,
    pub(crate) body: Option<Body>,
    pub(crate) success: Success,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    Literal(String),
    /// A whole segment that is a key (also listed in `Operation::path_params`).
    Param {
        wire_name: String,
        rust_name: String,
    },
    /// A segment mixing text and parameters, as OData functions do: `f(x={x})`.
    Template(Vec<TemplatePart>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TemplatePart {
    Literal(String),
    /// A parameter; `quoted` when the template puts it inside `'…'` (an OData string literal).
    Param {
        wire_name: String,
        rust_name: String,
        quoted: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub(crate) wire_name: String,
    pub(crate) rust_name: String,
    pub(crate) kind: ParamKind,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    /// The values the spec allows (an `enum` on the parameter or its items); empty when open.
    pub(crate) allowed_values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    String,
    /// A list sent comma-separated (OpenAPI `style: form, explode: false`, or `simple`).
    StringList,
    Integer,
    Bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Body {
    /// The Rust type sent: the patch type for PATCH operations.
    pub(crate) rust_type: String,
    pub(crate) required: bool,
}

/// What a 2xx response carries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Success {
    /// No schema: any body is ignored.
    Empty,
    /// A body the caller needs (reads).
    Json(TypeRef),
    /// A declared body that the service may leave out (writes answer 204 No Content).
    OptionalJson(TypeRef),
    /// A `text/plain` body, such as the number `$count` answers with.
    Text,
}
