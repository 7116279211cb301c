//! Regeneration needs no hand edit. A newer Microsoft description is simulated on a scratch copy
//! of `spec/`: a member added to the enum the product reads and writes (before
//! `unknownFutureValue`, where Microsoft adds them) in every module that carries it, and a property
//! added to the product's resource. `spec slice` and `codegen` then run on the copy, in process.
//!
//! - [`a_newer_description_regenerates_without_a_hand_edit`] (about a second) checks that the
//!   generated code has the member and the property and that every generated file parses (`syn`).
//! - [`the_regenerated_python_models_have_the_new_member`] imports the regenerated Python enums with
//!   the package's hand-written models (`_models.py`, as committed) in `python3`: the enum they
//!   export lists the new member, and so does its `Literal` of the values callers write.
//! - [`the_regenerated_crates_pass_the_laws_unchanged`] goes further: core, model and request with
//!   the regenerated code, and the workspace's law files as they are committed, are copied to a
//!   scratch workspace and `cargo test`ed there (offline, with the committed lockfile), in a target
//!   directory of their own under the workspace's (`target/regeneration`, kept between runs and
//!   synced, so cargo rebuilds only what changed: seconds; the first run also builds the crates'
//!   few dependencies, under a minute). A whole-workspace `cargo test` of a scratch copy would
//!   rebuild every crate above the model, many minutes on a small machine; ARCHITECTURE.md says
//!   what that leaves out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::codegen::ir::{Api, TypeDef};
use crate::codegen::{GeneratedFile, TARGETS, generate, read_spec};
use crate::spec::slice;

/// The enum that gains a member, and the member (Microsoft's own, from a later description).
const ENUM: &str = "microsoft.graph.userDefaultAuthenticationMethodType";
/// The schema that gains a property, and the property: read-only, as the service already sends it.
const RESOURCE: &str = "microsoft.graph.signInPreferences";

/// The member added: `passkey`, or, once Microsoft's own modules have it, a name they do not.
fn new_member() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| unused_name("passkey", |name| format!("        - {name}\n")))
}

/// The property added: `systemPreferredAuthenticationMethod`, or, once the modules declare it, a
/// name they do not.
fn new_property() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        unused_name("systemPreferredAuthenticationMethod", |name| {
            format!("        {name}:\n")
        })
    })
}

/// `wanted`, or `wanted` with the first number that makes it appear nowhere in Microsoft's modules
/// (as `written` spells it there), so the mutation is new whatever a later description holds.
fn unused_name(wanted: &str, written: impl Fn(&str) -> String) -> String {
    let modules: Vec<String> = std::fs::read_dir(repo().join("spec/upstream"))
        .unwrap()
        .map(|entry| {
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(
                    std::fs::File::open(entry.unwrap().path()).unwrap(),
                ),
                &mut text,
            )
            .unwrap();
            text
        })
        .collect();
    std::iter::once(wanted.to_owned())
        .chain((2..).map(|number| format!("{wanted}{number}")))
        .find(|name| !modules.iter().any(|text| text.contains(&written(name))))
        .unwrap()
}

/// The workspace's laws that concern generated code, run again on the regenerated crates.
const LAWS: &[&str] = &[
    "enum_laws",
    "graph_examples",
    "merge_laws",
    "serde_laws",
    "strategies",
];

fn repo() -> PathBuf {
    crate::project_root()
}

/// The byte range of the schema `name` in a module's YAML text (`components.schemas`, indented
/// four spaces), up to the next schema.
fn schema_block(text: &str, name: &str) -> Option<std::ops::Range<usize>> {
    let start = text.find(&format!("\n    {name}:\n"))? + 1;
    let mut end = start + name.len() + 6;
    for line in text[end..].split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent <= 4 && !line.trim().is_empty() {
            break;
        }
        end += line.len();
    }
    Some(start..end)
}

/// Inserts `insertion` before the line `anchor` inside the schema `name`; false if either is absent.
fn insert_in_schema(text: &mut String, name: &str, anchor: &str, insertion: &str) -> bool {
    let Some(block) = schema_block(text, name) else {
        return false;
    };
    let Some(at) = text[block.clone()].find(anchor) else {
        return false;
    };
    text.insert_str(block.start + at, insertion);
    true
}

/// `spec/slice.yaml` and Microsoft's modules copied under `scratch`, the modules changed as a
/// newer description would be; the slice and the product's generated files made from them.
fn regenerate(scratch: &Path) -> (Api, Vec<GeneratedFile>) {
    let spec_dir = scratch.join("spec");
    std::fs::create_dir_all(spec_dir.join("upstream")).unwrap();
    std::fs::copy(repo().join("spec/slice.yaml"), spec_dir.join("slice.yaml")).unwrap();
    let (mut members_added, mut properties_added) = (0, 0);
    for entry in std::fs::read_dir(repo().join("spec/upstream")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()),
            &mut text,
        )
        .unwrap();
        let member = format!("        - {}\n", new_member());
        members_added += usize::from(insert_in_schema(
            &mut text,
            ENUM,
            "        - unknownFutureValue\n",
            &member,
        ));
        properties_added += usize::from(insert_in_schema(
            &mut text,
            RESOURCE,
            "      additionalProperties:",
            &format!(
                "        {}:\n          type: string\n          nullable: true\n          readOnly: true\n",
                new_property()
            ),
        ));
        let out = std::fs::File::create(spec_dir.join("upstream").join(path.file_name().unwrap()))
            .unwrap();
        let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, text.as_bytes()).unwrap();
        encoder.finish().unwrap();
    }
    assert!(members_added > 0 && properties_added > 0, "nothing mutated");

    slice::run(scratch, &spec_dir.join("slice.yaml"), &[], None, false).unwrap();
    let target = &TARGETS[0];
    let spec = std::fs::read(scratch.join(target.spec)).unwrap();
    (
        read_spec(target.spec, &spec).unwrap(),
        generate(target, &spec).unwrap(),
    )
}

fn find_type<'a>(api: &'a Api, spec_name: &str) -> &'a TypeDef {
    api.types
        .iter()
        .find(|def| match def {
            TypeDef::Object(object) => object.spec_name == spec_name,
            TypeDef::Enum(enumeration) => enumeration.spec_name == spec_name,
            TypeDef::Alias(alias) => alias.spec_name == spec_name,
        })
        .unwrap_or_else(|| panic!("{spec_name} is not in the slice"))
}

fn members(api: &Api) -> Vec<String> {
    let TypeDef::Enum(enumeration) = find_type(api, ENUM) else {
        panic!("{ENUM} is an enum")
    };
    enumeration
        .members
        .iter()
        .map(|member| member.wire.clone())
        .collect()
}

#[test]
fn a_newer_description_regenerates_without_a_hand_edit() {
    let scratch = tempfile::tempdir().unwrap();
    let (api, files) = regenerate(scratch.path());

    let committed = read_spec(
        "committed",
        &std::fs::read(repo().join(TARGETS[0].spec)).unwrap(),
    )
    .unwrap();
    let mut expected = members(&committed);
    let sentinel = expected.iter().position(|m| m == "unknownFutureValue");
    expected.insert(sentinel.unwrap(), new_member().to_owned());
    assert_eq!(members(&api), expected);

    let TypeDef::Object(resource) = find_type(&api, RESOURCE) else {
        panic!("{RESOURCE} is an object")
    };
    let property = resource
        .properties
        .iter()
        .find(|property| property.json_name == new_property())
        .unwrap();
    assert!(property.read_only && property.nullable);
    assert!(resource.patch_name.is_some());

    // The same files as committed (no new module to declare by hand), each valid Rust, the new
    // member and property in them.
    let committed_files = generate(
        &TARGETS[0],
        &std::fs::read(repo().join(TARGETS[0].spec)).unwrap(),
    )
    .unwrap();
    let paths = |files: &[GeneratedFile]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert_eq!(paths(&files), paths(&committed_files));
    // Every Rust file parses; the Python one is imported by the next test.
    for file in files
        .iter()
        .filter(|file| file.path.extension().is_some_and(|ext| ext == "rs"))
    {
        if let Err(error) = syn::parse_file(&file.contents) {
            panic!("{} does not parse: {error}", file.path.display());
        }
    }
    let all: String = files.iter().map(|file| file.contents.as_str()).collect();
    assert!(all.contains(&format!("\"{}\"", new_member())));
    assert!(all.contains(&format!("\"{}\"", new_property())));
    let python = files
        .iter()
        .find(|file| Some(file.path.as_path()) == TARGETS[0].python_out.map(Path::new))
        .expect("the product target emits its Python enums");
    assert!(
        python
            .contents
            .contains(&format!(" = \"{}\"\n", new_member()))
    );
}

/// The regenerated Python enums, with the package's hand-written models as committed: the enum
/// `_models` exports has the new member, known, in spec order. The native module is not built
/// (maturin would rebuild every crate above the model); `_models` and what it imports need none.
#[test]
fn the_regenerated_python_models_have_the_new_member() {
    let scratch = tempfile::tempdir().unwrap();
    let (api, files) = regenerate(scratch.path());
    let python_out = Path::new(TARGETS[0].python_out.unwrap());
    let generated = files
        .iter()
        .find(|file| file.path == python_out)
        .expect("the product target emits its Python enums");

    let package = scratch.path().join("python").join("regenerated");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(package.join("__init__.py"), "").unwrap();
    std::fs::write(
        package.join(python_out.file_name().unwrap()),
        &generated.contents,
    )
    .unwrap();
    let committed = repo().join(python_out.parent().unwrap());
    for module in ["_open_enum.py", "_deferred.py", "_models.py"] {
        std::fs::copy(committed.join(module), package.join(module)).unwrap();
    }

    let TypeDef::Enum(enumeration) = find_type(&api, ENUM) else {
        panic!("{ENUM} is an enum")
    };
    // The enum's members, and the values its `Literal` offers callers to write.
    let script = format!(
        "import json, typing\n\
         from regenerated._models import {name} as E\n\
         from regenerated._generated_models import {name}Literal as L\n\
         assert E({new:?}).is_known, 'the new member is not known'\n\
         writable = [typing.get_args(one)[0] for one in typing.get_args(L)]\n\
         print(json.dumps([[member.value for member in E], writable]))\n",
        name = enumeration.rust_name,
        new = new_member(),
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let output = Command::new(&python)
        .args(["-c", &script])
        .current_dir(scratch.path().join("python"))
        .output()
        .unwrap_or_else(|error| panic!("cannot run {python} (set PYTHON): {error}"));
    assert!(
        output.status.success(),
        "the regenerated Python models fail:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (listed, writable): (Vec<String>, Vec<String>) =
        serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed, members(&api));
    let mut expected = members(&api);
    expected.retain(|member| member != "unknownFutureValue");
    assert_eq!(writable, expected);
}

/// Every file below `dir`, relative to it.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found
}

/// Makes `dir` hold exactly `files` (its `target/` and `Cargo.lock` aside), writing only what
/// differs, so that cargo, which goes by modification times, rebuilds only what changed.
fn sync(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) {
    std::fs::create_dir_all(dir).unwrap();
    for path in files_in(dir) {
        let kept = path.starts_with("target") || path == Path::new("Cargo.lock");
        if !kept && !files.contains_key(&path) {
            std::fs::remove_file(dir.join(path)).unwrap();
        }
    }
    for (path, contents) in files {
        let path = dir.join(path);
        if std::fs::read(&path).ok().as_ref() != Some(contents) {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
    }
}

/// The scratch workspace: core, model and request with the regenerated code, the regenerated
/// slice, and the workspace's laws, as committed, at the same places (their `include_str!` of the
/// spec reads the regenerated slice) in a test crate of their own.
fn scratch_workspace(slice: Vec<u8>, generated: &[GeneratedFile]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for krate in [
        "signin-prefs-core",
        "signin-prefs-model",
        "signin-prefs-request",
    ] {
        let dir = Path::new("crates").join(krate);
        for path in files_in(&repo().join(&dir)) {
            if !path.starts_with("src/generated") {
                let contents = std::fs::read(repo().join(&dir).join(&path)).unwrap();
                files.insert(dir.join(path), contents);
            }
        }
    }
    for file in generated {
        files.insert(file.path.clone(), file.contents.clone().into_bytes());
    }
    files.insert(PathBuf::from(TARGETS[0].spec), slice);

    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let manifest: String = manifest
        .lines()
        .filter(|line| !line.starts_with("default-members") && !line.starts_with("exclude"))
        .map(|line| {
            if line.starts_with("members") {
                "members = [\"crates/*\", \"tests\"]\n".to_owned()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    files.insert(PathBuf::from("Cargo.toml"), manifest.into_bytes());

    let mut main = String::from(
        "//! The workspace's laws, run on regenerated crates.\n\
         #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, dead_code)]\n",
    );
    for law in LAWS {
        let path = format!("tests/tests/suite/{law}.rs");
        files.insert(
            PathBuf::from(&path),
            std::fs::read(repo().join(&path)).unwrap(),
        );
        main.push_str(&format!("mod {law};\n"));
    }
    files.insert(
        PathBuf::from("tests/tests/suite/main.rs"),
        main.into_bytes(),
    );
    files.insert(
        PathBuf::from("tests/Cargo.toml"),
        "[package]\nname = \"regenerated-laws\"\nversion.workspace = true\nedition.workspace = true\npublish = false\n\n\
         [dev-dependencies]\nsignin-prefs-core.workspace = true\nsignin-prefs-model.workspace = true\n\
         signin-prefs-request.workspace = true\nserde_json = { workspace = true, features = [\"float_roundtrip\"] }\n\
         http.workspace = true\nproptest.workspace = true\n\n\
         [[test]]\nname = \"laws\"\npath = \"tests/suite/main.rs\"\n"
            .as_bytes()
            .to_vec(),
    );
    files
}

#[test]
fn the_regenerated_crates_pass_the_laws_unchanged() {
    let scratch = tempfile::tempdir().unwrap();
    let (_, generated) = regenerate(scratch.path());
    let slice = std::fs::read(scratch.path().join(TARGETS[0].spec)).unwrap();

    // A fixed place under the workspace's target directory, synced rather than rewritten: the
    // crates' build artifacts (keyed by their path) are reused, not piled up run after run.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo().join("target"), PathBuf::from)
        .join("regeneration");
    let workspace = target.join("workspace");
    sync(&workspace, &scratch_workspace(slice, &generated));
    // The committed lockfile, so nothing newer is resolved (cargo then drops what is unused).
    std::fs::copy(repo().join("Cargo.lock"), workspace.join("Cargo.lock")).unwrap();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["test", "--offline", "--workspace", "--quiet"])
        .current_dir(&workspace)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_MANIFEST_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the regenerated crates fail:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("test result: ok"), "{stdout}");
}
