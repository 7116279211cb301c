//! How spec names become Rust names: types, operations, fields and variants, each checked to be
//! a usable identifier and unique where it must be.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::error::Error;

/// Rust names for every schema: the last dotted segment, unless two schemas share it.
pub(super) fn type_names<'a>(
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

/// Operation names: the part of the operationId after its last `_` (Graph's ids look like
/// `application_ListOwner`, named `ListOwner`), or the whole id where that would collide.
pub(super) fn operation_names(ids: &[&str]) -> Result<Vec<String>, Error> {
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

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "yield", "abstract", "become", "do", "final",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual",
];

/// A snake_case field name for a JSON name such as `isEnabled`, `@odata.type` or `$select`.
pub(super) fn field_ident(json_name: &str, location: &str) -> Result<String, Error> {
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
pub(super) fn type_ident(name: &str, location: &str) -> Result<String, Error> {
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
