//! Replays the fuzzers' committed inputs on stable: every file of `fuzz/corpus/<target>/` and
//! `fuzz/artifacts/<target>/` (crash reproducers) through the very checks the fuzz targets run
//! (`fuzz/src/checks.rs`, included below), so CI keeps checking them without nightly.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/checks.rs"]
mod checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files directly in `dir`, sorted; none when it does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_corpus_and_crash_input_passes_its_checks() {
    let mut failures = Vec::new();
    for (target, check) in checks::TARGETS {
        let corpus = files_in(&fuzz_dir().join("corpus").join(target));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{target} is empty: the corpus is committed with the fuzz target"
        );
        let artifacts = files_in(&fuzz_dir().join("artifacts").join(target));
        for file in corpus.iter().chain(&artifacts) {
            let bytes = std::fs::read(file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "inputs failing their fuzz checks (the panic messages are above): {failures:#?}"
    );
}
