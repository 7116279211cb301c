//! Tests of slicing and diffing, on Microsoft's real files and on small specs written here.

use std::path::{Path, PathBuf};

use super::diff::{Finding, diff};
use super::slice;
use crate::codegen::read_spec;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn api(path: &Path) -> crate::codegen::ir::Api {
    read_spec(&path.display().to_string(), &std::fs::read(path).unwrap()).unwrap()
}

fn summary(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                if f.breaking { "BREAKING" } else { "additive" },
                f.change,
                f.subject
            )
        })
        .collect()
}

#[test]
fn the_committed_slice_is_what_the_config_gives() {
    let report = slice::run(&repo(), &repo().join("spec/slice.yaml"), &[], None, true).unwrap();
    assert!(report.ends_with("is up to date"), "{report}");
}

#[test]
fn slicing_is_deterministic_and_self_contained() {
    let dir = std::env::temp_dir().join(format!("signin-prefs-slice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (first, second) = (dir.join("a.yaml"), dir.join("b.yaml"));
    let config = repo().join("spec/slice.yaml");
    slice::run(&repo(), &config, &[], Some(&first), false).unwrap();
    slice::run(&repo(), &config, &[], Some(&second), false).unwrap();
    let text = std::fs::read_to_string(&first).unwrap();
    assert_eq!(text, std::fs::read_to_string(&second).unwrap());
    // Every reference resolves inside the slice: the generator reads it without complaint.
    let sliced = api(&first);
    assert!(
        sliced
            .operations
            .iter()
            .any(|op| op.operation_id == "user.authentication_UpdateSignInPreference")
    );
    // Huge schemas keep only the configured properties.
    let user = sliced
        .types
        .iter()
        .find(|def| def.rust_name() == "User")
        .unwrap();
    let crate::codegen::ir::TypeDef::Object(user) = user else {
        panic!("user is an object")
    };
    let names: Vec<&str> = user
        .properties
        .iter()
        .map(|p| p.json_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "deletedDateTime",
            "accountEnabled",
            "displayName",
            "mail",
            "userPrincipalName",
            "userType"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn slicing_accepts_modules_given_on_the_command_line_gzipped_or_not() {
    let dir = std::env::temp_dir().join(format!("signin-prefs-slice-plain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut modules = Vec::new();
    for name in ["Identity.SignIns", "Users", "Groups", "Reports"] {
        let gz = repo().join(format!("spec/upstream/{name}.beta.297822af.yml.gz"));
        let mut text = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
            &mut text,
        )
        .unwrap();
        let plain = dir.join(format!("{name}.yml"));
        std::fs::write(&plain, text).unwrap();
        modules.push(plain);
    }
    let out = dir.join("out.yaml");
    slice::run(
        &repo(),
        &repo().join("spec/slice.yaml"),
        &modules,
        Some(&out),
        false,
    )
    .unwrap();
    let from_plain = std::fs::read_to_string(&out).unwrap();
    let committed = std::fs::read_to_string(repo().join("spec/graph-beta.openapi.yaml")).unwrap();
    // Same content; only the provenance header names other files.
    let body = |text: &str| {
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&from_plain), body(&committed));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn slicing_errors_name_what_is_wrong() {
    let dir =
        std::env::temp_dir().join(format!("signin-prefs-slice-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("module.yaml");
    std::fs::write(
        &module,
        "openapi: 3.0.1\ninfo: {title: m, version: v}\nservers: [{url: 'https://example.test/v1/'}]\npaths:\n  /a:\n    get:\n      operationId: a_Get\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/missing'}\ncomponents:\n  schemas:\n    big:\n      type: object\n      properties:\n        x: {type: string}\n",
    )
    .unwrap();
    let run = |config: &str| {
        let path = dir.join("slice.yaml");
        std::fs::write(&path, config).unwrap();
        slice::run(
            &dir,
            &path,
            std::slice::from_ref(&module),
            Some(&dir.join("out.yaml")),
            false,
        )
        .unwrap_err()
        .to_string()
    };
    let missing_op = run("output: out.yaml\nmodules: []\noperations: [GET /nowhere]\n");
    assert!(
        missing_op.starts_with("operation `GET /nowhere` is in none of the modules: module.yaml"),
        "{missing_op}"
    );
    let dangling = run("output: out.yaml\nmodules: []\noperations: [GET /a]\n");
    assert!(
        dangling.contains("\"#/components/schemas/missing\" does not resolve"),
        "{dangling}"
    );
    let typo = run("output: out.yaml\nmodules: []\noperations: [GET /a]\nkeep_propertie: {}\n");
    assert!(typo.contains("unknown field `keep_propertie`"), "{typo}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diff_of_the_real_sign_in_preferences_history() {
    let history = repo().join("xtask/fixtures/signin-preferences-history");
    let (feb, aug, oct) = (
        api(&history.join("2024-02-08.openapi.yaml")),
        api(&history.join("2024-08-13.openapi.yaml")),
        api(&history.join("2024-10-01.openapi.yaml")),
    );
    let path = "/users/{user-id}/authentication/signInPreferences";
    assert_eq!(
        summary(&diff(&feb, &aug)),
        [
            format!("additive operation-summary-changed GET {path}"),
            format!("additive operation-summary-changed PATCH {path}"),
            format!("additive parameter-values-opened GET {path}"),
            format!("additive parameter-values-opened GET {path}"),
        ]
    );
    let aug_to_oct = diff(&aug, &oct);
    assert_eq!(
        summary(&aug_to_oct),
        [
            format!("additive operation-deprecated GET {path}"),
            format!("additive operation-deprecated PATCH {path}")
        ]
    );
    assert!(
        aug_to_oct[0].detail.contains("removal 2025-07-02"),
        "{}",
        aug_to_oct[0].detail
    );
    assert!(diff(&oct, &oct).is_empty());
    // Going back in time undoes each finding.
    assert_eq!(
        summary(&diff(&oct, &aug)),
        [
            format!("additive operation-undeprecated GET {path}"),
            format!("additive operation-undeprecated PATCH {path}")
        ]
    );
    assert_eq!(
        summary(&diff(&aug, &feb))
            .iter()
            .filter(|line| line.contains("restricted"))
            .count(),
        2,
        "restricting a parameter's values again is breaking"
    );
}

const BASE: &str =
    "openapi: 3.0.1\ninfo: {title: t, version: v}\nservers: [{url: 'https://example.test/v1/'}]\n";

fn small(rest: &str) -> crate::codegen::ir::Api {
    read_spec("inline", format!("{BASE}{rest}").as_bytes()).unwrap()
}

#[test]
fn diff_classifies_what_breaks_callers() {
    let old = small(
        "paths:\n  /things/{id}:\n    get:\n      operationId: t_Get\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/thing'}}}}}\n    patch:\n      operationId: t_Update\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/thing'}}}}\n      responses: {'204': {description: ok}}\n  /old:\n    get:\n      operationId: o_Get\n      responses: {'204': {description: ok}}\ncomponents:\n  schemas:\n    thing:\n      type: object\n      properties:\n        a: {type: string, nullable: true}\n        b: {type: string}\n        c: {type: integer}\n        kind: {$ref: '#/components/schemas/kind'}\n    kind:\n      type: string\n      enum: [x, y]\n",
    );
    let new = small(
        "paths:\n  /things/{id}:\n    get:\n      operationId: t_Get\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}, {name: $top, in: query, schema: {type: integer}}]\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/thing'}}}}}\n    patch:\n      operationId: t_Update\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/thing'}}}}\n      responses: {'204': {description: ok}}\n  /new:\n    get:\n      operationId: n_Get\n      responses: {'204': {description: ok}}\ncomponents:\n  schemas:\n    thing:\n      type: object\n      properties:\n        a: {type: string}\n        c: {type: string}\n        d: {type: boolean}\n        kind: {$ref: '#/components/schemas/kind'}\n    kind:\n      type: string\n      enum: [y, z]\n",
    );
    assert_eq!(
        summary(&diff(&old, &new)),
        [
            "BREAKING enum-member-removed kind",
            "BREAKING operation-removed GET /old",
            "BREAKING property-nullability-changed thing.a",
            "BREAKING property-removed thing.b",
            "BREAKING property-retyped thing.c",
            "additive enum-member-added kind",
            "additive operation-added GET /new",
            "additive parameter-added GET /things/{id}",
            "additive property-added thing.d",
        ]
    );
}
