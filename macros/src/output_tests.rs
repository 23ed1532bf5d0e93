//! Expansion snapshots: `expand::message` on sample inputs, formatted with
//! prettyplease and compared with `tests/snapshots/*.expanded.rs`.
//!
//! Fast and independent of the toolchain's diagnostics (the trybuild tests
//! in the root crate cover those). After an intended change, bless the
//! files with `PSYNE_BLESS=1 cargo test -p psyne-macros`.
//!
//! The snapshot is parsed and printed again before the comparison:
//! prettyplease prints macro calls differently when another crate in the
//! build enables its `verbatim` feature (bindgen does, in a workspace build
//! with all features), and that must not read as a change of the expansion.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

fn snapshot(name: &str, attr: TokenStream, item: TokenStream) {
    let out = crate::expand::message(attr, item);
    let file: syn::File = syn::parse2(out).expect("the expansion parses as a file");
    let pretty = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.expanded.rs"));
    if std::env::var_os("PSYNE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &pretty).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; bless with PSYNE_BLESS=1", path.display()));
    // Both sides through the same prettyplease build.
    let snapshot: syn::File = syn::parse_str(&expected).expect("a snapshot parses as a file");
    let expected = prettyplease::unparse(&snapshot);
    if expected != pretty {
        let first = expected
            .lines()
            .zip(pretty.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(pretty.lines().count()));
        panic!(
            "expansion of `{name}` changed at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             bless with PSYNE_BLESS=1 if intended",
            first + 1,
            expected.lines().nth(first),
            pretty.lines().nth(first),
        );
    }
}

#[test]
fn sized() {
    snapshot(
        "sized",
        quote!(name = "demo.Tick", version = 2),
        quote! {
            #[derive(Debug)]
            pub struct Tick {
                pub ts_ns: u64,
                #[psyne(rename = "px")]
                pub price: f64,
            }
        },
    );
}

#[test]
fn trailing_array() {
    snapshot(
        "trailing_array",
        quote!(name = "ml.Embedding", version = 1, max_elems = 1024, validate = check),
        quote! {
            pub struct Embedding {
                /// Batch index.
                pub batch: u32,
                #[psyne(len)]
                pub len: u32,
                pub data: [f32],
            }
        },
    );
}

#[test]
fn pins_lock_and_renamed_crate() {
    snapshot(
        "pins",
        quote!(crate = "my_psyne", size = 8, fingerprint = 0x1234, id = 7),
        quote! {
            struct Pinned {
                a: u32,
                #[psyne(offset = 4)]
                b: u32,
            }
        },
    );
}

#[test]
fn errors_reemit_the_item() {
    snapshot(
        "errors",
        quote!(nmae = "x"),
        quote! {
            struct Bad {
                #[psyne(len)]
                a: usize,
            }
        },
    );
}

#[test]
fn non_structs_are_reemitted_too() {
    snapshot(
        "enum",
        quote!(),
        quote! {
            enum Side { Buy, Sell }
        },
    );
}
