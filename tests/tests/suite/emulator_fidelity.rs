//! The emulator's fidelity ledger (`crates/signin-prefs-emulator/FIDELITY.md`) against the code:
//! every switch it names exists on `signin-prefs emulator`'s command line and on the builder,
//! every assumption names one, every source is of a kind the ledger defines, and every option of
//! the command is in the ledger.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_binary::binary;

/// The header of the ledger's tables.
const COLUMNS: [&str; 4] = ["Behaviour", "Emulator", "Source", "Switch"];
/// How a row without a switch says so.
const NO_SWITCH: &str = "—";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The cells of a table row (`| a | b |`), or `None` for a line that is not one.
fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// The code spans (`` `…` ``) of a cell.
fn code_spans(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('`').skip(1).step_by(2)
}

/// What the ledger's switch cells name: long options and builder methods.
#[derive(Debug, Default)]
struct Named {
    flags: BTreeSet<String>,
    methods: BTreeSet<String>,
}

/// Every problem of `ledger`, given the command's long options and the builder's methods; also
/// what it names.
fn check(
    ledger: &str,
    flags: &BTreeSet<String>,
    methods: &BTreeSet<String>,
) -> (Vec<String>, Named, usize) {
    let mut problems = Vec::new();
    let mut named = Named::default();
    let mut rows = 0;
    let mut in_table = false;
    for (number, line) in ledger.lines().enumerate() {
        let at = number + 1;
        let Some(row) = cells(line) else {
            in_table = false;
            continue;
        };
        if row == COLUMNS {
            in_table = true;
            continue;
        }
        if !in_table
            || row
                .iter()
                .all(|cell| cell.chars().all(|c| c == '-' || c == ':'))
        {
            continue;
        }
        let [behaviour, _, source, switch] = row.as_slice() else {
            problems.push(format!(
                "line {at}: {} cells, not 4 (a `|` inside a cell?)",
                row.len()
            ));
            continue;
        };
        rows += 1;
        let sourced = source.contains("](https://");
        let assumption = source.contains("Assumption");
        let unpublished = source.starts_with("Unpublished");
        let emulator = source.starts_with("Emulator");
        if !(sourced || assumption || unpublished || emulator) {
            problems.push(format!(
                "line {at} ({behaviour}): the source is no link, Assumption, Unpublished or Emulator"
            ));
        }
        if unpublished && !source.contains("the product never sends") {
            problems.push(format!(
                "line {at} ({behaviour}): Unpublished rows are for input the product never sends, and say so"
            ));
        }
        if *switch == NO_SWITCH {
            if assumption {
                problems.push(format!(
                    "line {at} ({behaviour}): an Assumption without a switch"
                ));
            }
            continue;
        }
        let mut row_flags = 0;
        let mut row_methods = 0;
        for span in code_spans(switch) {
            if let Some(flag) = span.strip_prefix("--") {
                row_flags += 1;
                named.flags.insert(flag.to_owned());
                if !flags.contains(flag) {
                    problems.push(format!(
                        "line {at} ({behaviour}): `--{flag}` is not an option of `signin-prefs emulator`"
                    ));
                }
            } else if let Some(method) = span.strip_prefix("EmulatorBuilder::") {
                row_methods += 1;
                named.methods.insert(method.to_owned());
                if !methods.contains(method) {
                    problems.push(format!(
                        "line {at} ({behaviour}): `EmulatorBuilder::{method}` is not a method of the builder"
                    ));
                }
            } else {
                problems.push(format!(
                    "line {at} ({behaviour}): `{span}` is neither `--flag` nor `EmulatorBuilder::method`"
                ));
            }
        }
        if row_flags == 0 || row_methods == 0 {
            problems.push(format!(
                "line {at} ({behaviour}): a switch names both its option and its builder method"
            ));
        }
    }
    (problems, named, rows)
}

/// The emulator's own long options: those `signin-prefs emulator --help` lists, less those every
/// command takes.
fn emulator_options() -> BTreeSet<String> {
    // The options every command takes (`--color`, `-v`…) are not the emulator's.
    let every_command = long_options(&[]);
    long_options(&["emulator"])
        .difference(&every_command)
        .cloned()
        .collect()
}

/// The long options `signin-prefs ARGS --help` lists, `--help` aside.
fn long_options(args: &[&str]) -> BTreeSet<String> {
    let output = Command::new(binary())
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| {
            let option = &line[line.find("--")? + 2..];
            let end = option.find([' ', '<', '=', ',']).unwrap_or(option.len());
            Some(option[..end].to_owned())
        })
        .filter(|option| option != "help")
        .collect()
}

/// The public methods of `EmulatorBuilder` (`builder.rs` holds the builder alone).
fn builder_methods() -> BTreeSet<String> {
    let source =
        std::fs::read_to_string(workspace().join("crates/signin-prefs-emulator/src/builder.rs"))
            .unwrap();
    // `start` is async; it is a method of the builder all the same.
    source
        .replace("pub async fn ", "pub fn ")
        .split("pub fn ")
        .skip(1)
        .filter_map(|rest| Some(rest[..rest.find(['(', '<'])?].to_owned()))
        .collect()
}

#[test]
fn every_switch_the_ledger_names_exists_on_the_command_line_and_the_builder() {
    let ledger =
        std::fs::read_to_string(workspace().join("crates/signin-prefs-emulator/FIDELITY.md"))
            .unwrap();
    let (flags, methods) = (emulator_options(), builder_methods());
    assert!(
        flags.contains("port") && methods.contains("port"),
        "{flags:?} {methods:?}"
    );
    let (mut problems, named, rows) = check(&ledger, &flags, &methods);
    assert!(rows > 0, "no table with the columns {COLUMNS:?}");
    for flag in flags.difference(&named.flags) {
        problems.push(format!(
            "`--{flag}` of `signin-prefs emulator` is in no row of the ledger"
        ));
    }
    assert!(problems.is_empty(), "FIDELITY.md:\n{}", problems.join("\n"));
}

#[test]
fn the_ledger_check_refuses_what_it_should() {
    let flags: BTreeSet<String> = ["port".to_owned()].into();
    let methods: BTreeSet<String> = ["port".to_owned()].into();
    let table = |rows: &str| {
        format!("| Behaviour | Emulator | Source | Switch |\n|---|---|---|---|\n{rows}\n")
    };
    let good = table("| a | b | Emulator | `--port` · `EmulatorBuilder::port` |");
    assert_eq!(check(&good, &flags, &methods).0, Vec::<String>::new());
    for bad in [
        "| a | b | Emulator | `--nowhere` · `EmulatorBuilder::port` |",
        "| a | b | Emulator | `--port` · `EmulatorBuilder::nowhere` |",
        "| a | b | Emulator | `--port` |",
        "| a | b | Assumption: a guess | — |",
        "| a | b | a hunch | — |",
        "| a | b | Unpublished: nobody knows | — |",
        "| a | b | c | — | extra |",
    ] {
        let (problems, _, _) = check(&table(bad), &flags, &methods);
        assert!(!problems.is_empty(), "{bad} passed");
    }
}
