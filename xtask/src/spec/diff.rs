//! `cargo xtask spec diff OLD NEW`: what changed between two specs, and whether it breaks callers.
//!
//! Both specs are read the way the generator reads them (inheritance flattened, names chosen), so
//! the findings speak of what callers of the generated crates see. "Breaking" means code that
//! compiled and worked against the old crates may not against the new ones.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::codegen::ir::{
    Api, EnumDef, ObjectDef, Operation, Param, Property, Success, TypeDef, TypeRef,
};
use crate::codegen::read_spec;
use crate::error::Error;

/// One change, for people and for machines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Finding {
    /// Whether callers may break.
    pub(crate) breaking: bool,
    /// A stable slug, e.g. `operation-deprecated`.
    pub(crate) change: &'static str,
    /// What changed: an operation (`GET /users`), a schema, or `schema.property`.
    pub(crate) subject: String,
    /// The particulars.
    pub(crate) detail: String,
}

/// Reads both specs and reports, as text or JSON; fails when `fail_on_breaking` and any change breaks.
pub(crate) fn run(
    old: &Path,
    new: &Path,
    json: bool,
    fail_on_breaking: bool,
) -> Result<String, Error> {
    let read = |path: &Path| -> Result<Api, Error> {
        let bytes = std::fs::read(path).map_err(Error::read(path))?;
        read_spec(&path.display().to_string(), &bytes)
    };
    let findings = diff(&read(old)?, &read(new)?);
    let report = if json {
        to_json(old, new, &findings)
    } else {
        to_text(old, new, &findings)
    };
    if fail_on_breaking && findings.iter().any(|finding| finding.breaking) {
        return Err(Error::Breaking { report });
    }
    Ok(report)
}

/// Every change from `old` to `new`, breaking ones first, each group sorted.
pub(crate) fn diff(old: &Api, new: &Api) -> Vec<Finding> {
    let mut findings = Vec::new();
    diff_operations(old, new, &mut findings);
    diff_types(old, new, &mut findings);
    findings.sort_by(|a, b| {
        (!a.breaking, a.change, &a.subject, &a.detail).cmp(&(
            !b.breaking,
            b.change,
            &b.subject,
            &b.detail,
        ))
    });
    findings
}

fn finding(
    breaking: bool,
    change: &'static str,
    subject: impl Into<String>,
    detail: impl Into<String>,
) -> Finding {
    Finding {
        breaking,
        change,
        subject: subject.into(),
        detail: detail.into(),
    }
}

fn operation_key(operation: &Operation) -> String {
    format!("{} {}", operation.method.as_str(), operation.path_template)
}

fn diff_operations(old: &Api, new: &Api, findings: &mut Vec<Finding>) {
    let index = |api: &Api| -> BTreeMap<String, Operation> {
        api.operations
            .iter()
            .map(|operation| (operation_key(operation), operation.clone()))
            .collect()
    };
    let (old_ops, new_ops) = (index(old), index(new));
    for (key, operation) in &old_ops {
        if !new_ops.contains_key(key) {
            findings.push(finding(
                true,
                "operation-removed",
                key,
                format!("operationId {}", operation.operation_id),
            ));
        }
    }
    for (key, new_op) in &new_ops {
        let Some(old_op) = old_ops.get(key) else {
            findings.push(finding(
                false,
                "operation-added",
                key,
                format!("operationId {}", new_op.operation_id),
            ));
            continue;
        };
        match (&old_op.docs.deprecation, &new_op.docs.deprecation) {
            (None, Some(note)) => {
                findings.push(finding(false, "operation-deprecated", key, note.clone()))
            }
            (Some(_), None) => findings.push(finding(
                false,
                "operation-undeprecated",
                key,
                "no longer marked deprecated",
            )),
            _ => {}
        }
        if old_op.operation_id != new_op.operation_id {
            let breaking = old_op.rust_name != new_op.rust_name;
            findings.push(finding(
                breaking,
                "operation-renamed",
                key,
                format!(
                    "operationId {} -> {} (Rust `{}` -> `{}`)",
                    old_op.operation_id, new_op.operation_id, old_op.rust_name, new_op.rust_name
                ),
            ));
        }
        if old_op.docs.title != new_op.docs.title {
            findings.push(finding(
                false,
                "operation-summary-changed",
                key,
                format!(
                    "{:?} -> {:?}",
                    old_op.docs.title.as_deref().unwrap_or(""),
                    new_op.docs.title.as_deref().unwrap_or("")
                ),
            ));
        }
        let params = |op: &Operation| -> BTreeMap<String, Param> {
            op.path_params
                .iter()
                .chain(&op.query_params)
                .chain(&op.header_params)
                .map(|p| (p.wire_name.clone(), p.clone()))
                .collect()
        };
        let (old_params, new_params) = (params(old_op), params(new_op));
        for name in old_params
            .keys()
            .filter(|name| !new_params.contains_key(*name))
        {
            findings.push(finding(true, "parameter-removed", key, format!("`{name}`")));
        }
        for (name, param) in &new_params {
            let Some(old_param) = old_params.get(name) else {
                let change = if param.required {
                    "required-parameter-added"
                } else {
                    "parameter-added"
                };
                findings.push(finding(param.required, change, key, format!("`{name}`")));
                continue;
            };
            if old_param.kind != param.kind || (!old_param.required && param.required) {
                findings.push(finding(
                    true,
                    "parameter-changed",
                    key,
                    format!(
                        "`{name}`: {:?}{} -> {:?}{}",
                        old_param.kind,
                        if old_param.required {
                            " (required)"
                        } else {
                            ""
                        },
                        param.kind,
                        if param.required { " (required)" } else { "" }
                    ),
                ));
            }
            diff_allowed_values(key, name, old_param, param, findings);
        }
        if body_type(old_op) != body_type(new_op) {
            findings.push(finding(
                true,
                "request-body-changed",
                key,
                format!("{} -> {}", body_type(old_op), body_type(new_op)),
            ));
        }
        if success_type(&old_op.success) != success_type(&new_op.success) {
            findings.push(finding(
                true,
                "response-changed",
                key,
                format!(
                    "{} -> {}",
                    success_type(&old_op.success),
                    success_type(&new_op.success)
                ),
            ));
        }
    }
}

fn diff_allowed_values(
    key: &str,
    name: &str,
    old: &Param,
    new: &Param,
    findings: &mut Vec<Finding>,
) {
    match (old.allowed_values.is_empty(), new.allowed_values.is_empty()) {
        (true, true) => {}
        (false, true) => findings.push(finding(
            false,
            "parameter-values-opened",
            key,
            format!(
                "`{name}` no longer restricts its values (was: {})",
                old.allowed_values.join(", ")
            ),
        )),
        (true, false) => findings.push(finding(
            true,
            "parameter-values-restricted",
            key,
            format!(
                "`{name}` now accepts only: {}",
                new.allowed_values.join(", ")
            ),
        )),
        (false, false) => {
            let removed: Vec<&String> = old
                .allowed_values
                .iter()
                .filter(|v| !new.allowed_values.contains(v))
                .collect();
            let added: Vec<&String> = new
                .allowed_values
                .iter()
                .filter(|v| !old.allowed_values.contains(v))
                .collect();
            if !removed.is_empty() {
                findings.push(finding(
                    true,
                    "parameter-values-removed",
                    key,
                    format!("`{name}`: {}", join(&removed)),
                ));
            }
            if !added.is_empty() {
                findings.push(finding(
                    false,
                    "parameter-values-added",
                    key,
                    format!("`{name}`: {}", join(&added)),
                ));
            }
        }
    }
}

fn join(values: &[&String]) -> String {
    values
        .iter()
        .map(|value| value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn body_type(operation: &Operation) -> String {
    operation
        .body
        .as_ref()
        .map_or_else(|| "(none)".to_owned(), |body| body.rust_type.clone())
}

fn success_type(success: &Success) -> String {
    match success {
        Success::Empty => "(no body)".to_owned(),
        Success::Text => "text".to_owned(),
        Success::Json(ty) | Success::OptionalJson(ty) => type_name(ty),
    }
}

fn type_name(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Bool => "boolean".to_owned(),
        TypeRef::String => "string".to_owned(),
        TypeRef::I32 => "int32".to_owned(),
        TypeRef::I64 => "int64".to_owned(),
        TypeRef::F64 => "double".to_owned(),
        TypeRef::Json => "any JSON".to_owned(),
        TypeRef::Array(item) => format!("array of {}", type_name(item)),
        TypeRef::Named { rust_name, .. } => rust_name.clone(),
    }
}

fn diff_types(old: &Api, new: &Api, findings: &mut Vec<Finding>) {
    let index = |api: &Api| -> BTreeMap<String, TypeDef> {
        api.types
            .iter()
            .map(|def| {
                let spec_name = match def {
                    TypeDef::Object(object) => &object.spec_name,
                    TypeDef::Enum(enumeration) => &enumeration.spec_name,
                    TypeDef::Alias(alias) => &alias.spec_name,
                };
                (spec_name.clone(), def.clone())
            })
            .collect()
    };
    let (old_types, new_types) = (index(old), index(new));
    for name in old_types
        .keys()
        .filter(|name| !new_types.contains_key(*name))
    {
        findings.push(finding(true, "schema-removed", name, ""));
    }
    for (name, new_def) in &new_types {
        match (old_types.get(name), new_def) {
            (None, _) => findings.push(finding(false, "schema-added", name, "")),
            (Some(TypeDef::Object(old_object)), TypeDef::Object(new_object)) => {
                diff_objects(old_object, new_object, findings)
            }
            (Some(TypeDef::Enum(old_enum)), TypeDef::Enum(new_enum)) => {
                diff_enums(old_enum, new_enum, findings)
            }
            (Some(TypeDef::Alias(old_alias)), TypeDef::Alias(new_alias))
                if old_alias.ty == new_alias.ty => {}
            (Some(_), _) => findings.push(finding(
                true,
                "schema-kind-changed",
                name,
                "the schema changed kind (object, enum or plain type)",
            )),
        }
    }
}

fn diff_objects(old: &ObjectDef, new: &ObjectDef, findings: &mut Vec<Finding>) {
    let index = |object: &ObjectDef| -> BTreeMap<String, Property> {
        object
            .properties
            .iter()
            .map(|p| (p.json_name.clone(), p.clone()))
            .collect()
    };
    let (old_props, new_props) = (index(old), index(new));
    let subject = |property: &str| format!("{}.{property}", new.spec_name);
    // In a patch type, nullability decides the field's Rust type (Patch or NonNullPatch).
    let in_patch = old.patch_name.is_some() || new.patch_name.is_some();
    for name in old_props
        .keys()
        .filter(|name| !new_props.contains_key(*name))
    {
        findings.push(finding(true, "property-removed", subject(name), ""));
    }
    for (name, property) in &new_props {
        let Some(old_property) = old_props.get(name) else {
            findings.push(finding(
                false,
                "property-added",
                subject(name),
                type_name(&property.ty),
            ));
            continue;
        };
        if old_property.ty != property.ty {
            findings.push(finding(
                true,
                "property-retyped",
                subject(name),
                format!(
                    "{} -> {}",
                    type_name(&old_property.ty),
                    type_name(&property.ty)
                ),
            ));
        }
        if old_property.nullable != property.nullable {
            let direction = if property.nullable {
                "now nullable"
            } else {
                "no longer nullable"
            };
            findings.push(finding(
                in_patch,
                "property-nullability-changed",
                subject(name),
                direction,
            ));
        }
        if old_property.read_only != property.read_only {
            let direction = if property.read_only {
                "now read-only"
            } else {
                "now writable"
            };
            findings.push(finding(
                property.read_only && in_patch,
                "property-writability-changed",
                subject(name),
                direction,
            ));
        }
    }
}

fn diff_enums(old: &EnumDef, new: &EnumDef, findings: &mut Vec<Finding>) {
    let wires = |def: &EnumDef| {
        def.members
            .iter()
            .map(|m| m.wire.clone())
            .collect::<Vec<_>>()
    };
    let (old_members, new_members) = (wires(old), wires(new));
    for member in old_members.iter().filter(|m| !new_members.contains(m)) {
        findings.push(finding(
            true,
            "enum-member-removed",
            &new.spec_name,
            format!("`{member}`"),
        ));
    }
    for member in new_members.iter().filter(|m| !old_members.contains(m)) {
        // Additive: the enums are open, so old builds keep the new value instead of failing.
        findings.push(finding(
            false,
            "enum-member-added",
            &new.spec_name,
            format!("`{member}`"),
        ));
    }
    if old.flags != new.flags {
        findings.push(finding(
            true,
            "enum-flags-changed",
            &new.spec_name,
            if new.flags {
                "now a flags enum"
            } else {
                "no longer a flags enum"
            },
        ));
    }
}

fn to_text(old: &Path, new: &Path, findings: &[Finding]) -> String {
    let mut text = format!("spec diff {} -> {}\n", old.display(), new.display());
    let breaking: Vec<&Finding> = findings.iter().filter(|f| f.breaking).collect();
    let additive: Vec<&Finding> = findings.iter().filter(|f| !f.breaking).collect();
    if findings.is_empty() {
        text.push_str("no changes that callers of the generated crates can see\n");
    }
    for (title, group) in [("breaking", breaking), ("additive", additive)] {
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(text, "{title} ({}):", group.len());
        for finding in group {
            let _ = write!(text, "  {}: {}", finding.change, finding.subject);
            if !finding.detail.is_empty() {
                let _ = write!(text, " — {}", finding.detail);
            }
            text.push('\n');
        }
    }
    text
}

fn to_json(old: &Path, new: &Path, findings: &[Finding]) -> String {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| serde_json::json!({"change": f.change, "subject": f.subject, "detail": f.detail, "breaking": f.breaking}))
        .collect();
    let report = serde_json::json!({
        "old": old.display().to_string(),
        "new": new.display().to_string(),
        "breaking": findings.iter().any(|f| f.breaking),
        "findings": items,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    )
}
