//! `cargo xtask spec slice`: the product's OpenAPI, cut from Microsoft's whole modules.
//!
//! Microsoft publishes Graph's description as modules of several megabytes each. The product needs a
//! handful of operations, the transitive closure of what they reference, the subtypes of the
//! polymorphic types it reads, and, for huge schemas such as `microsoft.graph.user`, only the
//! properties it uses (the rest still reach callers as additional properties). `spec/slice.yaml`
//! names all of that; this module applies it, deterministically, and records where the result came
//! from.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// `spec/slice.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// Where the slice is written, relative to the config file.
    output: String,
    /// Microsoft's module files, relative to the config file; YAML or JSON, gzipped or not.
    modules: Vec<String>,
    /// `METHOD /path` of every operation to keep, e.g. `GET /users`.
    operations: Vec<String>,
    /// Polymorphic base schemas whose subtypes (through `allOf`) are kept, so reads of a base
    /// collection decode each member as its own type.
    #[serde(default)]
    subtypes: Vec<String>,
    /// Schema -> the only properties to keep (huge schemas, or ones that would pull in most of Graph).
    #[serde(default)]
    keep_properties: BTreeMap<String, Vec<String>>,
}

/// One module, parsed, with what identifies it.
pub(crate) struct Module {
    label: String,
    sha256: String,
    document: Value,
}

/// Slices per `config_path` (modules overridden by `module_overrides` when given), then writes the
/// output or, with `check`, fails if the committed output differs.
pub(crate) fn run(
    root: &Path,
    config_path: &Path,
    module_overrides: &[PathBuf],
    output_override: Option<&Path>,
    check: bool,
) -> Result<String, Error> {
    let config_text = std::fs::read(config_path).map_err(Error::read(config_path))?;
    let config: Config =
        serde_yaml_ng::from_slice(&config_text).map_err(|error| Error::Config {
            path: config_path.to_owned(),
            message: error.to_string(),
        })?;
    let base = config_path.parent().unwrap_or(Path::new("."));
    let module_paths: Vec<PathBuf> = if module_overrides.is_empty() {
        config
            .modules
            .iter()
            .map(|module| base.join(module))
            .collect()
    } else {
        module_overrides.to_vec()
    };
    let modules = module_paths
        .iter()
        .map(|path| read_module(path))
        .collect::<Result<Vec<_>, _>>()?;
    // The label goes into the slice's header, so it must not depend on where the checkout is.
    let config_label = config_path
        .strip_prefix(root)
        .unwrap_or(config_path)
        .display()
        .to_string();
    let sliced = slice(
        &config,
        &modules,
        &config_label,
        &hex(&Sha256::digest(&config_text)),
    )?;

    let output = output_override.map_or_else(|| base.join(&config.output), Path::to_path_buf);
    if check {
        let current = std::fs::read_to_string(&output).unwrap_or_default();
        return if current == sliced {
            Ok(format!("{} is up to date", output.display()))
        } else {
            Err(Error::StaleSlice { path: output })
        };
    }
    std::fs::write(&output, &sliced).map_err(Error::write(&output))?;
    Ok(format!("wrote {}", output.display()))
}

fn read_module(path: &Path) -> Result<Module, Error> {
    let raw = std::fs::read(path).map_err(Error::read(path))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut text)
            .map_err(Error::read(path))?;
        text
    } else {
        raw.clone()
    };
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    let document: Value =
        serde_yaml_ng::from_slice(&text).map_err(|error| Error::NotYamlOrJson {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
    let label = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok(Module {
        label,
        sha256: hex(&Sha256::digest(&raw)),
        document,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

const COMPONENT_KINDS: &[&str] = &["schemas", "parameters", "responses", "requestBodies"];

/// The slice as YAML text, with its provenance header. Pure: no file access.
pub(crate) fn slice(
    config: &Config,
    modules: &[Module],
    config_label: &str,
    config_sha256: &str,
) -> Result<String, Error> {
    let module_names = || {
        modules
            .iter()
            .map(|module| module.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // path -> method -> operation; and per component kind, name -> (module label, value).
    let mut paths: BTreeMap<String, Mapping> = BTreeMap::new();
    let mut path_parameters: BTreeMap<String, Value> = BTreeMap::new();
    let mut components: BTreeMap<&str, BTreeMap<String, (String, Value)>> = BTreeMap::new();

    let mut wanted_by_module: Vec<Vec<(String, String)>> = vec![Vec::new(); modules.len()];
    for operation in &config.operations {
        let (method, path) = operation.split_once(' ').ok_or_else(|| Error::Config {
            path: PathBuf::from(config_label),
            message: format!("operation {operation:?} is not `METHOD /path`"),
        })?;
        let method = method.to_ascii_lowercase();
        let found = modules
            .iter()
            .position(|module| lookup(&module.document, &["paths", path, &method]).is_some());
        match found {
            Some(index) => {
                if let Some(list) = wanted_by_module.get_mut(index) {
                    list.push((path.to_owned(), method));
                }
            }
            None => {
                return Err(Error::OperationNotFound {
                    operation: operation.clone(),
                    modules: module_names(),
                });
            }
        }
    }

    for (module, wanted) in modules.iter().zip(&wanted_by_module) {
        let mut roots = BTreeSet::new();
        for (path, method) in wanted {
            let item = lookup(&module.document, &["paths", path.as_str()])
                .cloned()
                .unwrap_or(Value::Null);
            let operation = lookup(&item, &[method.as_str()])
                .cloned()
                .unwrap_or(Value::Null);
            collect_refs(&operation, &mut roots);
            if let Some(parameters) = lookup(&item, &["parameters"]) {
                collect_refs(parameters, &mut roots);
                path_parameters.insert(path.clone(), parameters.clone());
            }
            paths
                .entry(path.clone())
                .or_default()
                .insert(Value::from(method.as_str()), operation);
        }
        if roots.is_empty() && wanted.is_empty() {
            continue;
        }
        for (reference, value) in closure(module, roots, config)? {
            let (kind, name) =
                split_reference(&reference).unwrap_or(("schemas", reference.as_str()));
            let kind = COMPONENT_KINDS
                .iter()
                .copied()
                .find(|k| *k == kind)
                .unwrap_or("schemas");
            let entries = components.entry(kind).or_default();
            match entries.get(name) {
                Some((first, existing)) if *existing != value => {
                    return Err(Error::Conflict {
                        name: name.to_owned(),
                        first: first.clone(),
                        second: module.label.clone(),
                    });
                }
                Some(_) => {}
                None => {
                    entries.insert(name.to_owned(), (module.label.clone(), value));
                }
            }
        }
    }
    for schema in config.keep_properties.keys().chain(&config.subtypes) {
        if !components
            .get("schemas")
            .is_some_and(|schemas| schemas.contains_key(schema))
        {
            return Err(Error::Config {
                path: PathBuf::from(config_label),
                message: format!(
                    "schema `{schema}` is named in the config but no kept operation reaches it"
                ),
            });
        }
    }

    let first = modules.first().map(|module| &module.document);
    let mut document = Mapping::new();
    document.insert(
        "openapi".into(),
        first
            .and_then(|d| lookup(d, &["openapi"]))
            .cloned()
            .unwrap_or_else(|| "3.0.1".into()),
    );
    let mut info = Mapping::new();
    info.insert(
        "title".into(),
        "signin-prefs product slice of Microsoft Graph".into(),
    );
    info.insert(
        "version".into(),
        first
            .and_then(|d| lookup(d, &["info", "version"]))
            .cloned()
            .unwrap_or_else(|| "unknown".into()),
    );
    document.insert("info".into(), Value::Mapping(info));
    if let Some(servers) = first.and_then(|d| lookup(d, &["servers"])) {
        document.insert("servers".into(), servers.clone());
    }
    let mut path_map = Mapping::new();
    for (path, mut operations) in paths {
        if let Some(parameters) = path_parameters.remove(&path) {
            operations.insert("parameters".into(), parameters);
        }
        path_map.insert(Value::from(path), Value::Mapping(operations));
    }
    document.insert("paths".into(), Value::Mapping(path_map));
    let mut component_map = Mapping::new();
    for kind in COMPONENT_KINDS {
        if let Some(entries) = components.remove(kind) {
            let mut entry_map = Mapping::new();
            for (name, (_, value)) in entries {
                entry_map.insert(Value::from(name), value);
            }
            component_map.insert(Value::from(*kind), Value::Mapping(entry_map));
        }
    }
    document.insert("components".into(), Value::Mapping(component_map));

    let body = serde_yaml_ng::to_string(&Value::Mapping(document)).map_err(|error| {
        Error::NotYamlOrJson {
            path: PathBuf::from("(slice output)"),
            message: error.to_string(),
        }
    })?;
    let mut header = String::from(
        "# The product's slice of Microsoft Graph's OpenAPI description (beta).\n\
         # Written by `cargo xtask spec slice`; do not edit. Change spec/slice.yaml and rerun.\n",
    );
    header.push_str(&format!(
        "# config: {config_label} (sha256 {config_sha256})\n"
    ));
    for module in modules {
        header.push_str(&format!(
            "# module: {} (sha256 {})\n",
            module.label, module.sha256
        ));
    }
    Ok(header + &body)
}

/// Every component the roots reach, pruned per the config, with the configured subtypes added.
fn closure(
    module: &Module,
    roots: BTreeSet<String>,
    config: &Config,
) -> Result<BTreeMap<String, Value>, Error> {
    let mut reached: BTreeMap<String, Value> = BTreeMap::new();
    let mut pending: Vec<(String, String)> = roots
        .into_iter()
        .map(|r| (r, "an operation".to_owned()))
        .collect();
    loop {
        while let Some((reference, from)) = pending.pop() {
            if reached.contains_key(&reference) {
                continue;
            }
            let (kind, name) = split_reference(&reference).ok_or_else(|| Error::Dangling {
                module: module.label.clone(),
                reference: reference.clone(),
                from: from.clone(),
            })?;
            let mut value = lookup(&module.document, &["components", kind, name])
                .cloned()
                .ok_or_else(|| Error::Dangling {
                    module: module.label.clone(),
                    reference: reference.clone(),
                    from: from.clone(),
                })?;
            if kind == "schemas"
                && let Some(keep) = config.keep_properties.get(name)
            {
                prune_properties(name, &mut value, keep)?;
            }
            let mut next = BTreeSet::new();
            collect_refs(&value, &mut next);
            pending.extend(next.into_iter().map(|r| (r, reference.clone())));
            reached.insert(reference, value);
        }
        // Subtypes of the configured bases: schemas whose `allOf` names a reached base.
        let Some(schemas) =
            lookup(&module.document, &["components", "schemas"]).and_then(Value::as_mapping)
        else {
            break;
        };
        for (name, schema) in schemas {
            let Some(name) = name.as_str() else { continue };
            let reference = format!("#/components/schemas/{name}");
            if reached.contains_key(&reference) {
                continue;
            }
            let parents = lookup(schema, &["allOf"])
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten();
            let is_subtype = parents
                .filter_map(|parent| lookup(parent, &["$ref"]).and_then(Value::as_str))
                .any(|parent| {
                    reached.contains_key(parent)
                        && split_reference(parent).is_some_and(|(_, base)| {
                            is_or_descends_from(module, base, &config.subtypes)
                        })
                });
            if is_subtype {
                pending.push((reference, "a configured subtype".to_owned()));
            }
        }
        if pending.is_empty() {
            break;
        }
    }
    Ok(reached)
}

/// Whether `schema` is one of `bases` or inherits (through `allOf`) from one of them.
fn is_or_descends_from(module: &Module, schema: &str, bases: &[String]) -> bool {
    let mut current = schema.to_owned();
    for _ in 0..64 {
        if bases.contains(&current) {
            return true;
        }
        let parent = lookup(
            &module.document,
            &["components", "schemas", current.as_str(), "allOf"],
        )
        .and_then(Value::as_sequence)
        .and_then(|parts| {
            parts
                .iter()
                .find_map(|part| lookup(part, &["$ref"]).and_then(Value::as_str))
        })
        .and_then(split_reference)
        .map(|(_, name)| name.to_owned());
        match parent {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

fn prune_properties(schema: &str, value: &mut Value, keep: &[String]) -> Result<(), Error> {
    let mut found: BTreeSet<&str> = BTreeSet::new();
    let mut prune = |object: &mut Mapping| {
        if let Some(Value::Mapping(properties)) = object.get_mut("properties") {
            properties.retain(|name, _| {
                let kept = name
                    .as_str()
                    .is_some_and(|name| keep.iter().any(|k| k == name));
                if kept && let Some(name) = name.as_str() {
                    found.insert(keep.iter().find(|k| *k == name).map_or("", String::as_str));
                }
                kept
            });
        }
        if let Some(Value::Sequence(required)) = object.get_mut("required") {
            required.retain(|name| {
                name.as_str()
                    .is_some_and(|name| keep.iter().any(|k| k == name))
            });
        }
    };
    match value {
        Value::Mapping(object) => {
            if let Some(Value::Sequence(parts)) = object.get_mut("allOf") {
                for part in parts {
                    if let Value::Mapping(part) = part {
                        prune(part);
                    }
                }
            } else {
                prune(object);
            }
        }
        _ => {
            return Err(Error::NoSuchProperty {
                schema: schema.to_owned(),
                property: "(not an object)".to_owned(),
            });
        }
    }
    match keep
        .iter()
        .find(|property| !found.contains(property.as_str()))
    {
        Some(missing) => Err(Error::NoSuchProperty {
            schema: schema.to_owned(),
            property: missing.clone(),
        }),
        None => Ok(()),
    }
}

fn split_reference(reference: &str) -> Option<(&str, &str)> {
    let rest = reference.strip_prefix("#/components/")?;
    let (kind, name) = rest.split_once('/')?;
    COMPONENT_KINDS.contains(&kind).then_some((kind, name))
}

fn lookup<'v>(value: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter()
        .try_fold(value, |current, key| current.as_mapping()?.get(*key))
}

fn collect_refs(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    (Some("$ref"), Value::String(reference)) => {
                        into.insert(reference.clone());
                    }
                    _ => collect_refs(child, into),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect_refs(item, into)),
        Value::Tagged(tagged) => collect_refs(&tagged.value, into),
        _ => {}
    }
}
