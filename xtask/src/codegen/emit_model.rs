//! Emits the model crate: one file per schema (struct or open enum), plus patch types and merge impls.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ir::{
    Api, EnumDef, NamedKind, ObjectDef, PageDef, Polymorphic, Property, TypeDef, TypeRef,
};
use super::render::{GeneratedModule, doc_attrs, file_header, module_name};

/// Every file of the model crate's `src/generated/`, as (module name, tokens).
pub(crate) fn emit(api: &Api) -> Vec<GeneratedModule> {
    let mut modules: Vec<GeneratedModule> = api
        .types
        .iter()
        .map(|def| {
            let (summary, body) = match def {
                TypeDef::Object(object) => (
                    format!("The `{}` schema.", object.spec_name),
                    object_tokens(object),
                ),
                TypeDef::Enum(enumeration) => (
                    format!("The `{}` enum.", enumeration.spec_name),
                    enum_tokens(enumeration),
                ),
                TypeDef::Alias(alias) => (
                    format!("The `{}` schema.", alias.spec_name),
                    alias_tokens(alias),
                ),
            };
            let header = file_header(api, &summary);
            GeneratedModule {
                name: module_name(def.rust_name()),
                tokens: quote! { #header #body },
            }
        })
        .collect();
    modules.push(super::render::mod_rs(
        api,
        "Types generated from the spec's schemas.",
        &modules,
        TokenStream::new(),
    ));
    modules
}

/// A type as the model crate's own modules name it: named types through `super::`.
fn rust_type(ty: &TypeRef) -> TokenStream {
    super::render::rust_type(ty, &quote!(super))
}

fn object_tokens(object: &ObjectDef) -> TokenStream {
    let name = format_ident!("{}", object.rust_name);
    let docs = type_docs(&object.docs, &object.spec_name, &[]);
    let spec_name = &object.spec_name;
    let fields = object.properties.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let ty = field_type(property);
        let docs = property_docs(property);
        quote! { #docs pub #field: ::core::option::Option<#ty>, }
    });
    let json_names: Vec<&str> = object
        .properties
        .iter()
        .map(|p| p.json_name.as_str())
        .collect();
    let additional_field = object.open.then(|| {
        quote! {
            /// Properties the spec does not list, such as `@odata.*` annotations or properties newer
            /// than this build, kept verbatim so nothing read is lost.
            pub additional_properties: ::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>,
        }
    });

    let serialize_fields = object.properties.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let json = &property.json_name;
        quote! {
            if let ::core::option::Option::Some(value) = &self.#field {
                map.serialize_entry(#json, value)?;
            }
        }
    });
    let serialize_additional = object.open.then(|| {
        quote! {
            for (key, value) in &self.additional_properties {
                // A listed property wins over a same-named entry here, so no key is written twice.
                if !Self::PROPERTIES.contains(&key.as_str()) {
                    map.serialize_entry(key, value)?;
                }
            }
        }
    });
    let read_fields = object.properties.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let json = &property.json_name;
        quote! { #json => value.#field = map.next_value()?, }
    });
    let read_other = if object.open {
        quote! {
            let other = map.next_value()?;
            value.additional_properties.insert(key.into_owned(), other);
        }
    } else {
        quote! { map.next_value::<::serde::de::IgnoredAny>()?; }
    };
    // A schema without listed properties has nothing to match on.
    let read_entry = if object.properties.is_empty() {
        read_other
    } else {
        quote! {
            match key.as_str() {
                #(#read_fields)*
                _ => { #read_other }
            }
        }
    };
    let expecting = format!("a `{}` object", object.spec_name);

    let patch = object
        .patch_name
        .as_ref()
        .map(|patch_name| patch_tokens(object, patch_name));
    let odata_type = format!("#{}", object.spec_name);
    let polymorphic = object
        .polymorphic
        .as_ref()
        .map(|p| polymorphic_tokens(object, p));
    let page = object.page.as_ref().map(|page| page_tokens(object, page));
    let serde = map_serde(
        &name,
        quote! { #(#serialize_fields)* #serialize_additional },
        (
            quote! {
                /// Lenient, as reads must be: `null` reads as `None`, unknown properties are kept.
            },
            format_ident!("ObjectVisitor"),
            &expecting,
        ),
        read_entry,
    );

    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Default)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            #additional_field
        }

        impl #name {
            /// The schema's name in the spec.
            pub const SPEC_NAME: &'static str = #spec_name;
            /// The JSON names of the properties the spec lists, inherited ones first.
            pub const PROPERTIES: &'static [&'static str] = &[#(#json_names),*];
            /// The `@odata.type` the service gives this type.
            pub const ODATA_TYPE: &'static str = #odata_type;
        }

        #serde

        #patch
        #polymorphic
        #page
    }
}

/// `Serialize` as a map of `serialize_fields`, and `Deserialize` by a map visitor (`visitor`,
/// expecting `expecting`) that fills a `Default` value key by key with `read_entry`: what objects
/// and their patch types share; `read_docs` says how lenient the read is.
fn map_serde(
    name: &proc_macro2::Ident,
    serialize_fields: TokenStream,
    (read_docs, visitor, expecting): (TokenStream, proc_macro2::Ident, &str),
    read_entry: TokenStream,
) -> TokenStream {
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::core::option::Option::None)?;
                #serialize_fields
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            #read_docs
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                struct #visitor;

                impl<'de> ::serde::de::Visitor<'de> for #visitor {
                    type Value = #name;

                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(#expecting)
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<#name, A::Error> {
                        let mut value = #name::default();
                        while let ::core::option::Option::Some(key) = map.next_key::<::signin_prefs_core::MapKey<'de>>()? {
                            #read_entry
                        }
                        ::core::result::Result::Ok(value)
                    }
                }

                deserializer.deserialize_map(#visitor)
            }
        }
    }
}

fn alias_tokens(alias: &super::ir::AliasDef) -> TokenStream {
    let name = format_ident!("{}", alias.rust_name);
    let docs = type_docs(&alias.docs, &alias.spec_name, &[]);
    let ty = rust_type(&alias.ty);
    quote! {
        #docs
        pub type #name = #ty;
    }
}

/// The enum reading a base type or any subtype, chosen by `@odata.type`.
fn polymorphic_tokens(base: &ObjectDef, polymorphic: &Polymorphic) -> TokenStream {
    let name = format_ident!("{}", polymorphic.rust_name);
    let base_type = format_ident!("{}", base.rust_name);
    let fallback = format_ident!("{}", polymorphic.fallback_variant);
    let odata_types: Vec<&str> = polymorphic
        .variants
        .iter()
        .map(|(odata, _)| odata.as_str())
        .collect();
    let variants: Vec<_> = polymorphic
        .variants
        .iter()
        .map(|(_, rust)| format_ident!("{}", rust))
        .collect();
    let variant_docs = polymorphic
        .variants
        .iter()
        .map(|(odata, _)| format!(" `@odata.type` `{odata}`."));
    let doc = format!(
        " A `{}` or any of its subtypes, told apart by `@odata.type`. A value whose `@odata.type` is \
         missing or unknown to this build is read as the base type, with everything it carries kept.",
        base.spec_name
    );
    let expecting = format!("a `{}` object", base.spec_name);
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        #[allow(
            clippy::large_enum_variant,
            reason = "values are read once and matched on; boxing every subtype would cost more than it saves"
        )]
        pub enum #name {
            #( #[doc = #variant_docs] #variants(super::#variants), )*
            /// `@odata.type` missing or not one this build knows.
            #fallback(#base_type),
        }

        impl #name {
            /// The `@odata.type` values this build reads into their own variant.
            pub const ODATA_TYPES: &'static [&'static str] = &[#(#odata_types),*];
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                match self {
                    #( Self::#variants(value) => ::serde::Serialize::serialize(value, serializer), )*
                    Self::#fallback(value) => ::serde::Serialize::serialize(value, serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                // `@odata.type` may come after other properties, so the object is read first.
                let object = <::serde_json::Map<::std::string::String, ::serde_json::Value> as ::serde::Deserialize>::deserialize(deserializer)
                    .map_err(|error| <D::Error as ::serde::de::Error>::custom(::core::format_args!("{}: {}", #expecting, error)))?;
                let odata_type = object.get("@odata.type").and_then(::serde_json::Value::as_str).map(::std::borrow::ToOwned::to_owned);
                let value = ::serde_json::Value::Object(object);
                let read = match odata_type.as_deref() {
                    #( ::core::option::Option::Some(#odata_types) => ::serde_json::from_value(value).map(Self::#variants), )*
                    _ => ::serde_json::from_value(value).map(Self::#fallback),
                };
                read.map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    }
}

/// One page of a collection: its items and the link to the next page.
fn page_tokens(object: &ObjectDef, page: &PageDef) -> TokenStream {
    let name = format_ident!("{}", object.rust_name);
    let item = rust_type(&page.item);
    let value = format_ident!("{}", page.value_field);
    let next = format_ident!("{}", page.next_link_field);
    quote! {
        impl ::signin_prefs_core::CollectionPage for #name {
            type Item = #item;

            fn next_link(&self) -> ::core::option::Option<&str> {
                self.#next.as_deref()
            }

            fn into_items(self) -> ::std::vec::Vec<Self::Item> {
                self.#value.unwrap_or_default()
            }
        }
    }
}

/// A type's docs: the spec's description (its title only when it adds to the name), then where
/// the type comes from, then `extra`.
fn type_docs(docs: &super::ir::Docs, spec_name: &str, extra: &[String]) -> TokenStream {
    let short_name = spec_name.rsplit('.').next().unwrap_or(spec_name);
    let docs = super::ir::Docs {
        title: docs.title.clone().filter(|title| title != short_name),
        ..docs.clone()
    };
    let mut notes = vec![format!("Generated from the spec's `{spec_name}` schema.")];
    notes.extend(extra.iter().cloned());
    doc_attrs(&docs, &notes)
}

fn property_docs(property: &Property) -> TokenStream {
    let mut notes = vec![format!(
        "JSON `{}`{}{}.",
        property.json_name,
        if property.nullable {
            ", nullable"
        } else {
            ", not nullable"
        },
        if property.read_only {
            ", read-only"
        } else {
            ""
        },
    )];
    notes.push("`None` when the response leaves it out or sends `null`.".to_owned());
    doc_attrs(&property.docs, &notes)
}

/// Whether a property's patch field is tri-state (`Patch`) or cannot be cleared (`NonNullPatch`).
fn patch_field_type(property: &Property) -> (TokenStream, TokenStream) {
    let wrapper = if property.nullable {
        quote!(::signin_prefs_core::Patch)
    } else {
        quote!(::signin_prefs_core::NonNullPatch)
    };
    let ty = field_type(property);
    (quote!(#wrapper<#ty>), wrapper)
}

/// A property's Rust type, boxed where the types refer to each other.
fn field_type(property: &Property) -> TokenStream {
    let ty = rust_type(&property.ty);
    if property.boxed {
        quote!(::std::boxed::Box<#ty>)
    } else {
        ty
    }
}

fn patch_tokens(object: &ObjectDef, patch_name: &str) -> TokenStream {
    let resource = format_ident!("{}", object.rust_name);
    let patch = format_ident!("{}", patch_name);
    let writable: Vec<&Property> = object.properties.iter().filter(|p| !p.read_only).collect();
    let read_only: Vec<&str> = object
        .properties
        .iter()
        .filter(|p| p.read_only)
        .map(|p| p.json_name.as_str())
        .collect();
    let writable_names: Vec<&str> = writable.iter().map(|p| p.json_name.as_str()).collect();
    let doc = format!(
        " A sparse update of [`{}`]: each writable property is left out (kept), set, or, where the \
         spec allows `null`, cleared.",
        object.rust_name
    );

    let fields = writable.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let (ty, _) = patch_field_type(property);
        let docs = doc_attrs(
            &property.docs,
            &[format!(
                "JSON `{}`: {}",
                property.json_name,
                if property.nullable {
                    "absent, `null` (clears) or a value."
                } else {
                    "absent or a value; the spec does not allow `null`."
                }
            )],
        );
        quote! { #docs pub #field: #ty, }
    });
    let is_empty = if writable.is_empty() {
        quote!(true)
    } else {
        let checks = writable.iter().map(|property| {
            let field = format_ident!("{}", property.rust_name);
            quote! { self.#field.is_absent() }
        });
        quote! { #(#checks)&&* }
    };
    let serialize_fields = writable.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let json = &property.json_name;
        quote! {
            if !self.#field.is_absent() {
                map.serialize_entry(#json, &self.#field)?;
            }
        }
    });
    let read_fields = writable.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let json = &property.json_name;
        let (_, wrapper) = patch_field_type(property);
        match &property.ty {
            // Enum values (and flag sets) in a patch are input, so they are checked against the
            // spec's members.
            TypeRef::Named {
                rust_name,
                kind: kind @ (NamedKind::Enum | NamedKind::Flags),
            } => {
                let member = format_ident!("{}", rust_name);
                let strict = if *kind == NamedKind::Enum {
                    format_ident!("Strict")
                } else {
                    format_ident!("StrictFlags")
                };
                quote! {
                    #json => {
                        value.#field = map
                            .next_value::<#wrapper<::signin_prefs_core::#strict<super::#member>>>()?
                            .map(::signin_prefs_core::#strict::into_inner);
                    }
                }
            }
            _ => quote! { #json => value.#field = map.next_value()?, },
        }
    });
    let read_only_arm = (!read_only.is_empty()).then(|| {
        quote! {
            #(#read_only)|* => {
                return ::core::result::Result::Err(::serde::de::Error::custom(::core::format_args!(
                    "property `{}` is read-only and cannot be sent in a PATCH",
                    key.as_str()
                )));
            }
        }
    });
    let unknown_message = format!(
        "unknown property `{{}}` for a `{}` PATCH (writable: {})",
        object.spec_name,
        if writable_names.is_empty() {
            "none".to_owned()
        } else {
            writable_names.join(", ")
        }
    );
    let expecting = format!("a `{}` PATCH body", object.spec_name);
    let apply = writable.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        quote! { patch.#field.apply_to(&mut self.#field); }
    });
    let diff = writable.iter().map(|property| {
        let field = format_ident!("{}", property.rust_name);
        let json = &property.json_name;
        if property.nullable {
            quote! { #field: ::signin_prefs_core::Patch::diff(&self.#field, &desired.#field), }
        } else {
            quote! { #field: ::signin_prefs_core::NonNullPatch::diff(&self.#field, &desired.#field, #json)?, }
        }
    });

    let serde = map_serde(
        &patch,
        quote! { #(#serialize_fields)* },
        (
            quote! {
                /// Strict, as input must be: unknown and read-only properties, `null` for a non-nullable
                /// property and enum values outside the spec are errors. OData annotations
                /// (`@odata.type` and the like) are accepted and ignored, as the service does.
            },
            format_ident!("PatchVisitor"),
            &expecting,
        ),
        quote! {
            match key.as_str() {
                #(#read_fields)*
                #read_only_arm
                annotation if annotation.contains('@') => {
                    map.next_value::<::serde::de::IgnoredAny>()?;
                }
                other => {
                    return ::core::result::Result::Err(::serde::de::Error::custom(
                        ::core::format_args!(#unknown_message, other),
                    ));
                }
            }
        },
    );

    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Default)]
        #[non_exhaustive]
        pub struct #patch {
            #(#fields)*
        }

        impl #patch {
            /// The JSON names of the properties a patch can send.
            pub const WRITABLE: &'static [&'static str] = &[#(#writable_names),*];
            /// The JSON names of the properties the spec marks read-only.
            pub const READ_ONLY: &'static [&'static str] = &[#(#read_only),*];
        }

        impl ::signin_prefs_core::SparsePatch for #patch {
            fn is_empty(&self) -> bool {
                #is_empty
            }
        }

        #serde

        impl ::signin_prefs_core::Patchable for #resource {
            type Patch = #patch;

            fn apply_patch(&mut self, patch: &#patch) {
                #(#apply)*
            }

            fn diff_to(&self, desired: &Self) -> ::core::result::Result<#patch, ::signin_prefs_core::Error> {
                ::core::result::Result::Ok(#patch {
                    #(#diff)*
                })
            }
        }
    }
}

fn enum_tokens(enumeration: &EnumDef) -> TokenStream {
    let name = format_ident!("{}", enumeration.rust_name);
    let unknown = format_ident!("{}", enumeration.unknown_variant);
    let docs = type_docs(
        &enumeration.docs,
        &enumeration.spec_name,
        &[
            "Open: a value the spec does not list is kept in the catch-all variant and written back \
             unchanged. `FromStr` is the strict parse for input; `from_wire` the lenient one for reads."
                .to_owned(),
        ],
    );
    let spec_name = &enumeration.spec_name;
    let wires: Vec<&str> = enumeration
        .members
        .iter()
        .map(|m| m.wire.as_str())
        .collect();
    let variants: Vec<_> = enumeration
        .members
        .iter()
        .map(|m| format_ident!("{}", m.rust_name))
        .collect();
    let variant_docs = enumeration.members.iter().map(|m| format!(" `{}`", m.wire));
    let unknown_doc =
        format!(" A value the spec does not list for `{spec_name}`, exactly as it was read.");

    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #variants, )*
            #[doc = #unknown_doc]
            #unknown(::std::string::String),
        }

        impl #name {
            /// The enum's name in the spec.
            pub const SPEC_NAME: &'static str = #spec_name;
            /// Every member the spec lists, in spec order, spelled as on the wire.
            pub const MEMBERS: &'static [&'static str] = &[#(#wires),*];

            /// The wire spelling; for an unknown value, exactly the string that was read.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #wires, )*
                    Self::#unknown(value) => value,
                }
            }

            /// Lenient conversion for data read from the service: unknown strings are kept.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #( #wires => Self::#variants, )*
                    other => Self::#unknown(::std::borrow::ToOwned::to_owned(other)),
                }
            }

            /// Whether the value is one of the spec's members.
            pub fn is_known(&self) -> bool {
                !::core::matches!(self, Self::#unknown(_))
            }
        }

        impl ::signin_prefs_core::OpenEnum for #name {
            const SPEC_NAME: &'static str = #spec_name;
            const MEMBERS: &'static [&'static str] = #name::MEMBERS;

            fn as_str(&self) -> &str {
                #name::as_str(self)
            }

            fn from_wire(value: &str) -> Self {
                #name::from_wire(value)
            }

            fn is_known(&self) -> bool {
                #name::is_known(self)
            }
        }

        impl ::core::str::FromStr for #name {
            type Err = ::signin_prefs_core::Error;

            /// Strict: accepts exactly the spec's members, case-sensitively.
            fn from_str(value: &str) -> ::core::result::Result<Self, Self::Err> {
                ::signin_prefs_core::parse_strict(value)
            }
        }

        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            /// Lenient: never fails on a string, so a new member cannot break a read.
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                ::signin_prefs_core::deserialize_open_enum(deserializer)
            }
        }
    }
}
