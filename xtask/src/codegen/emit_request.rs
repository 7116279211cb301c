//! Emits the request crate: one file per operation, each a value that builds its HTTP request and
//! decodes its response, with no HTTP client.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ir::{Api, Docs, Operation, Param, ParamKind, Segment, Success, TemplatePart, TypeRef};
use super::render::{GeneratedModule, doc_attrs, file_header, module_name};

/// Every file of the request crate's `src/generated/`. `model` is the Rust path of the model
/// types (e.g. `::signin_prefs_model`) and `runtime` that of the request runtime (`crate` in the
/// request crate itself).
pub(crate) fn emit(api: &Api, model: &TokenStream, runtime: &TokenStream) -> Vec<GeneratedModule> {
    let mut modules: Vec<GeneratedModule> = api
        .operations
        .iter()
        .map(|operation| {
            let summary = format!(
                "`{} {}` (operationId `{}`).",
                operation.method.as_str(),
                operation.path_template,
                operation.operation_id
            );
            let header = file_header(api, &summary);
            let body = operation_tokens(operation, model, runtime);
            GeneratedModule {
                name: module_name(&operation.rust_name),
                tokens: quote! { #header #body },
            }
        })
        .collect();
    let server_url = &api.server_url;
    let base_path = &api.base_path;
    let constants = quote! {
        /// The server URL the spec names.
        pub const DEFAULT_SERVER_URL: &str = #server_url;
        /// The path every operation's path starts with (the server URL's path, without a trailing `/`).
        pub const API_BASE_PATH: &str = #base_path;
    };
    modules.push(super::render::mod_rs(
        api,
        "Requests generated from the spec's operations.",
        &modules,
        constants,
    ));
    modules
}

/// A type as the request crate names it: named types through the model crate.
fn rust_type(ty: &TypeRef, model: &TokenStream) -> TokenStream {
    super::render::rust_type(ty, model)
}

fn param_type(param: &Param) -> TokenStream {
    let inner = match param.kind {
        ParamKind::String => quote!(::std::string::String),
        ParamKind::StringList => return quote!(::std::vec::Vec<::std::string::String>),
        ParamKind::Integer => quote!(i64),
        ParamKind::Bool => quote!(bool),
    };
    if param.required {
        inner
    } else {
        quote!(::core::option::Option<#inner>)
    }
}

fn param_doc(param: &Param, place: &str) -> TokenStream {
    let docs = Docs {
        title: Some(format!("{place} parameter `{}`.", param.wire_name)),
        description: param.description.clone(),
        deprecation: None,
    };
    let extra = match (param.kind, param.required) {
        (ParamKind::StringList, _) => vec!["Sent comma-separated; not sent when empty.".to_owned()],
        (_, false) => vec!["Not sent when `None`.".to_owned()],
        (_, true) => vec![],
    };
    doc_attrs(&docs, &extra)
}

fn operation_tokens(
    operation: &Operation,
    model: &TokenStream,
    runtime: &TokenStream,
) -> TokenStream {
    let name = format_ident!("{}", operation.rust_name);
    let operation_id = &operation.operation_id;
    let method = format_ident!("{}", operation.method.as_str());
    let path_template = &operation.path_template;
    let location = format!(
        "`{} {}` (operationId `{}`).",
        operation.method.as_str(),
        path_template,
        operation_id
    );
    let docs = doc_attrs(&operation.docs, &[location]);

    let mut fields = Vec::new();
    let mut new_params = Vec::new();
    let mut new_inits = Vec::new();
    for param in &operation.path_params {
        let field = format_ident!("{}", param.rust_name);
        let doc = param_doc(param, "Path");
        if param.kind == ParamKind::String {
            fields.push(quote! { #doc pub #field: ::std::string::String, });
            new_params.push(quote! { #field: impl ::core::convert::Into<::std::string::String> });
            new_inits.push(quote! { #field: #field.into(), });
        } else {
            let ty = param_type(&Param {
                required: true,
                ..param.clone()
            });
            fields.push(quote! { #doc pub #field: #ty, });
            new_params.push(quote! { #field: #ty });
            new_inits.push(quote! { #field, });
        }
    }
    for (params, place) in [
        (&operation.query_params, "Query"),
        (&operation.header_params, "Header"),
    ] {
        for param in params {
            let field = format_ident!("{}", param.rust_name);
            let doc = param_doc(param, place);
            let ty = param_type(param);
            fields.push(quote! { #doc pub #field: #ty, });
            if param.required && param.kind != ParamKind::StringList {
                new_params.push(quote! { #field: #ty });
                new_inits.push(quote! { #field, });
            } else {
                new_inits.push(quote! { #field: ::core::default::Default::default(), });
            }
        }
    }
    if let Some(body) = &operation.body {
        let body_type = format_ident!("{}", body.rust_type);
        let ty = if body.required {
            quote!(#model::#body_type)
        } else {
            quote!(::core::option::Option<#model::#body_type>)
        };
        fields.push(quote! { /// The request body.
        pub body: #ty, });
        new_params.push(quote! { body: #ty });
        new_inits.push(quote! { body, });
    }

    let segments = operation.segments.iter().map(|segment| match segment {
        Segment::Literal(literal) => quote! { path.push_literal(#literal); },
        Segment::Param {
            wire_name,
            rust_name,
        } => {
            let field = format_ident!("{}", rust_name);
            quote! { path.push_key(#wire_name, &self.#field)?; }
        }
        Segment::Template(parts) => {
            let parts = parts.iter().map(|part| match part {
                TemplatePart::Literal(text) => quote! { #runtime::TemplatePart::Literal(#text) },
                TemplatePart::Param {
                    wire_name,
                    rust_name,
                    quoted,
                } => {
                    let field = format_ident!("{}", rust_name);
                    quote! {
                        #runtime::TemplatePart::Param {
                            name: #wire_name,
                            value: &::std::string::ToString::to_string(&self.#field),
                            quoted: #quoted,
                        }
                    }
                }
            });
            quote! { path.push_template(&[#(#parts),*])?; }
        }
    });
    let query = operation.query_params.iter().map(|param| {
        let field = format_ident!("{}", param.rust_name);
        let wire = &param.wire_name;
        match (param.kind, param.required) {
            (ParamKind::StringList, _) => quote! { request.push_query_list(#wire, &self.#field); },
            (ParamKind::String, true) => quote! { request.push_query(#wire, &self.#field); },
            (_, true) => quote! { request.push_query(#wire, &self.#field.to_string()); },
            (ParamKind::String, false) => quote! {
                if let ::core::option::Option::Some(value) = &self.#field {
                    request.push_query(#wire, value);
                }
            },
            (_, false) => quote! {
                if let ::core::option::Option::Some(value) = &self.#field {
                    request.push_query(#wire, &value.to_string());
                }
            },
        }
    });
    let headers = operation.header_params.iter().map(|param| {
        let field = format_ident!("{}", param.rust_name);
        let wire = &param.wire_name;
        if param.required {
            quote! { request.push_header(#wire, &self.#field)?; }
        } else {
            quote! {
                if let ::core::option::Option::Some(value) = &self.#field {
                    request.push_header(#wire, value)?;
                }
            }
        }
    });
    let body = operation.body.as_ref().map(|body| {
        if body.required {
            quote! { request.set_json_body(Self::OPERATION_ID, &self.body)?; }
        } else {
            quote! {
                if let ::core::option::Option::Some(body) = &self.body {
                    request.set_json_body(Self::OPERATION_ID, body)?;
                }
            }
        }
    });
    let (output, decode) = match &operation.success {
        Success::Empty => (
            quote!(()),
            quote! { #runtime::decode::empty(Self::OPERATION_ID, status, body) },
        ),
        Success::Text => (
            quote!(::std::string::String),
            quote! { #runtime::decode::text(Self::OPERATION_ID, status, body) },
        ),
        Success::Json(ty) => {
            let ty = rust_type(ty, model);
            (
                ty,
                quote! { #runtime::decode::json(Self::OPERATION_ID, status, body) },
            )
        }
        Success::OptionalJson(ty) => {
            let ty = rust_type(ty, model);
            (
                quote!(::core::option::Option<#ty>),
                quote! { #runtime::decode::optional_json(Self::OPERATION_ID, status, body) },
            )
        }
    };
    let default_impl = new_params.is_empty().then(|| {
        quote! {
            impl ::core::default::Default for #name {
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    });
    // Only requests that add a query, a header or a body need a mutable binding.
    let request_binding = if operation.query_params.is_empty()
        && operation.header_params.is_empty()
        && operation.body.is_none()
    {
        quote!(request)
    } else {
        quote!(mut request)
    };
    let output_doc = match &operation.success {
        Success::Empty => " A 2xx response carries nothing the caller needs.",
        Success::Json(_) => " The 2xx response body.",
        Success::Text => " The 2xx response body, as text.",
        Success::OptionalJson(_) => {
            " The 2xx response body, if any: Graph answers writes with `204 No Content`, so `None` is success."
        }
    };
    let new_doc = if operation.body.is_some() {
        " The request with its required parameters and body; optional parameters start unset."
    } else {
        " The request with its required parameters; optional parameters start unset."
    };

    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            #[doc = #new_doc]
            pub fn new(#(#new_params),*) -> Self {
                Self { #(#new_inits)* }
            }
        }

        #default_impl

        impl #runtime::Operation for #name {
            #[doc = #output_doc]
            type Output = #output;

            const OPERATION_ID: &'static str = #operation_id;
            const METHOD: #runtime::Method = #runtime::Method::#method;
            const PATH_TEMPLATE: &'static str = #path_template;

            fn to_request(&self) -> ::core::result::Result<#runtime::GraphRequest, #runtime::Error> {
                let mut path = #runtime::PathBuilder::new(super::API_BASE_PATH);
                #(#segments)*
                let #request_binding = #runtime::GraphRequest::new(Self::METHOD, path.finish());
                #(#query)*
                #(#headers)*
                #body
                ::core::result::Result::Ok(request)
            }

            fn decode_response(status: u16, body: &[u8]) -> ::core::result::Result<Self::Output, #runtime::Error> {
                #decode
            }
        }
    }
}
