//! Passes over the whole IR, once every schema and operation is lowered: PATCH bodies become patch
//! types, bases read somewhere become polymorphic, collection pages are marked, and properties that
//! close a reference cycle are boxed.

use std::collections::{BTreeMap, BTreeSet};

use crate::codegen::ir::*;
use crate::error::Error;

/// Objects taken by a PATCH get a patch type, `<Name>Patch`, and those PATCH bodies become it.
pub(super) fn name_patches(
    types: &mut [TypeDef],
    operations: &mut [Operation],
) -> Result<(), Error> {
    let patch_targets: BTreeSet<String> = operations
        .iter()
        .filter(|operation| operation.method == Method::Patch)
        .filter_map(|operation| operation.body.as_ref().map(|body| body.rust_type.clone()))
        .collect();
    for def in types.iter_mut() {
        if let TypeDef::Object(object) = def
            && patch_targets.contains(&object.rust_name)
        {
            object.patch_name = Some(format!("{}Patch", object.rust_name));
        }
    }
    let all_names: BTreeSet<String> = types.iter().map(|def| def.rust_name().to_owned()).collect();
    for def in types.iter() {
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
    for operation in operations.iter_mut() {
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
    Ok(())
}

/// Where a base type is read, read it through an enum of its subtypes, chosen by `@odata.type`.
pub(super) fn resolve_polymorphism(
    types: &mut [TypeDef],
    operations: &mut [Operation],
) -> Result<(), Error> {
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
pub(super) fn mark_pages(types: &mut [TypeDef]) {
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
pub(super) fn box_cycles(types: &mut [TypeDef]) {
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
