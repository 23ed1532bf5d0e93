//! trybuild UI tests of `#[psyne::message]`: what it accepts
//! (`tests/ui/pass`) and every rejection of MESSAGE.md, one file each, with
//! the compiler's output pinned in a `.stderr` beside it (`tests/ui/fail`).
//!
//! The `.stderr` files are the output of this repository's toolchain (the
//! one `rust-version` and CI use); bless them after a toolchain change with
//! `TRYBUILD=overwrite cargo test --test ui`.
#![cfg(feature = "macros")]

use std::collections::BTreeSet;
use std::path::Path;

#[test]
#[cfg_attr(miri, ignore)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}

fn stems(dir: &Path, ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Every failing case has its expected output and no expected output is
/// stale (zerocopy's `check_stale_stderr.sh`).
#[test]
fn every_fail_case_has_exactly_one_stderr() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/fail");
    let cases = stems(&dir, "rs");
    let outputs = stems(&dir, "stderr");
    assert!(cases.len() >= 15, "expected a case per rejection, found {cases:?}");
    let missing: Vec<_> = cases.difference(&outputs).collect();
    let stale: Vec<_> = outputs.difference(&cases).collect();
    assert!(missing.is_empty() && stale.is_empty(), "missing {missing:?}, stale {stale:?}");
    let pass = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/pass");
    assert!(stems(&pass, "stderr").is_empty(), "passing cases have no .stderr");
}
