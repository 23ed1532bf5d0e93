//! `#[psyne::message]` layouts and fingerprints: goldens, distinctness,
//! schema tables, views.

#![cfg(feature = "macros")]
#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]

use psyne::Message;
use psyne::message::{ViewError, Wire};

#[psyne::message(name = "test.Tick", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    pub ts_ns: u64,
    pub price: f64,
    pub qty: u32,
    pub side: u32,
}

#[psyne::message(name = "ml.Embedding", version = 1)]
#[derive(Debug)]
pub struct Embedding {
    pub batch: u32,
    pub layer: u32,
    #[psyne(len)]
    pub len: u32,
    pub _reserved: u32,
    pub data: [f32],
}

fn tensor_shape_ok(t: &TensorF32) -> bool {
    let rank = t.rank as usize;
    rank <= 8 && t.shape[..rank].iter().map(|&d| d as u64).product::<u64>() == t.data.len() as u64
}

#[psyne::message(name = "ml.TensorF32", version = 1, validate = tensor_shape_ok, max_elems = 1024)]
#[derive(Debug)]
pub struct TensorF32 {
    pub rank: u32,
    pub shape: [u32; 8],
    #[psyne(len)]
    pub len: u32,
    pub _reserved: [u32; 6],
    pub data: [f32],
}

#[psyne::message(name = "test.Nested")]
pub struct Nested {
    pub tick: Tick,
    pub points: [[f32; 2]; 4],
}

#[test]
fn fingerprints_are_pinned() {
    // Goldens: if one of these changes, the fingerprint algorithm or the
    // layout rules changed, and every peer would disagree. Bump
    // `WIRE_FORMAT` when that is intended.
    let got = [
        <u8 as Wire>::TYPE_FINGERPRINT,
        <u32 as Wire>::TYPE_FINGERPRINT,
        <[f32; 4] as Wire>::TYPE_FINGERPRINT,
        <Tick as Message>::FINGERPRINT,
        Embedding::FINGERPRINT,
        TensorF32::FINGERPRINT,
        Nested::FINGERPRINT,
    ];
    let want: [u64; 7] = [
        0xb2ea_6293_f010_556c,
        0x8ed6_1c9b_6a72_2b04,
        0xe7c5_55de_065c_e929,
        0xfaa6_73aa_647b_c1bb,
        0x7e90_842c_f641_780a,
        0x8cfb_8d76_6dae_2656,
        0x3ff4_0c47_5b0b_edea,
    ];
    assert_eq!(got, want);
}

/// Pairs of schemas that differ in one respect each.
mod variants {
    #[psyne::message(name = "v.P")]
    pub struct Base {
        pub a: u32,
        pub b: f32,
    }
    pub mod order {
        #[psyne::message(name = "v.P")]
        pub struct Base {
            pub b: f32,
            pub a: u32,
        }
    }
    pub mod swap {
        // Same size, other type.
        #[psyne::message(name = "v.P")]
        pub struct Base {
            pub a: u32,
            pub b: i32,
        }
    }
    pub mod field_name {
        #[psyne::message(name = "v.P")]
        pub struct Base {
            pub a: u32,
            pub c: f32,
        }
    }
    pub mod renamed {
        // A Rust rename kept out of the schema: equal to `Base`.
        #[psyne::message(name = "v.P")]
        pub struct Base {
            pub a: u32,
            #[psyne(rename = "b")]
            pub bee: f32,
        }
    }
    pub mod name {
        #[psyne::message(name = "v.Q")]
        pub struct Base {
            pub a: u32,
            pub b: f32,
        }
    }
    pub mod version {
        #[psyne::message(name = "v.P", version = 1)]
        pub struct Base {
            pub a: u32,
            pub b: f32,
        }
    }
    pub mod same {
        // The same schema declared elsewhere, under another Rust name.
        #[psyne::message(name = "v.P")]
        pub struct Other {
            pub a: u32,
            pub b: f32,
        }
    }
    pub mod default_name {
        // Without `name`, the schema name is the identifier, not the path.
        #[psyne::message]
        pub struct Base {
            pub a: u32,
            pub b: f32,
        }
    }
    #[psyne::message(name = "v.T")]
    pub struct TailF32 {
        pub n: u32,
        pub data: [f32],
    }
    pub mod tail {
        #[psyne::message(name = "v.T")]
        pub struct TailF32 {
            pub n: u32,
            pub data: [u32],
        }
    }
    pub mod tail_elem_size {
        #[psyne::message(name = "v.T")]
        pub struct TailF32 {
            pub n: u32,
            pub data: [[f32; 2]],
        }
    }
}

/// The built-in types' wire identities, pinned like the goldens above.
#[test]
fn builtin_fingerprints_are_pinned() {
    use psyne::message::le;
    use psyne::message::types::*;
    let got = [
        FloatVector::FINGERPRINT,
        DoubleMatrix::FINGERPRINT,
        Vec3f::FINGERPRINT,
        Vec4f::FINGERPRINT,
        Matrix3x3f::FINGERPRINT,
        Matrix4x4f::FINGERPRINT,
        Int8Vector::FINGERPRINT,
        UInt8Vector::FINGERPRINT,
        Complex32Vector::FINGERPRINT,
        Complex64Vector::FINGERPRINT,
        Tensor::FINGERPRINT,
        SparseMatrix::FINGERPRINT,
        <le::U32 as Wire>::TYPE_FINGERPRINT,
        <le::F64 as Wire>::TYPE_FINGERPRINT,
    ];
    let want: [u64; 14] = [
        0x5dba_48ba_20f9_dd51,
        0x3e5d_7780_9d79_4bc6,
        0xf92d_c0ab_f270_0918,
        0xa7e5_c5e3_c842_a873,
        0xa845_7c49_c10b_a658,
        0xa7fb_7247_fd6d_a0d2,
        0x0f9c_f5b4_a34e_e1de,
        0xb86e_1c2f_c2af_ec34,
        0x128f_6d83_cf1f_735d,
        0x9bd3_2bd5_619d_a3e4,
        0xdfbf_a8c3_00d7_96de,
        0x367d_1246_75ee_5d3e,
        0x4f4d_ea5a_f58d_b544,
        0x1d5a_fb10_e0fb_c323,
    ];
    assert_eq!(got, want);
}

mod nesting {
    #[psyne::message(name = "n.Inner")]
    pub struct Inner {
        pub a: u32,
    }
    #[psyne::message(name = "n.Outer")]
    pub struct Outer {
        pub inner: Inner,
    }
    pub mod changed {
        #[psyne::message(name = "n.Inner")]
        pub struct Inner {
            pub a: i32,
        }
        #[psyne::message(name = "n.Outer")]
        pub struct Outer {
            pub inner: Inner,
        }
    }
    #[psyne::message(name = "n.Tail")]
    pub struct WithTail {
        pub n: u32,
        pub data: [u32],
    }
    pub mod no_tail {
        #[psyne::message(name = "n.Tail")]
        pub struct WithTail {
            pub n: u32,
        }
    }
    pub mod len_marked {
        #[psyne::message(name = "n.Tail")]
        pub struct WithTail {
            #[psyne(len)]
            pub n: u32,
            pub data: [u32],
        }
    }
    pub mod bounded {
        #[psyne::message(name = "n.Tail", max_elems = 16)]
        pub struct WithTail {
            pub n: u32,
            pub data: [u32],
        }
    }
}

#[test]
fn fingerprints_follow_nested_types_and_the_tail() {
    use nesting::*;
    assert_ne!(Outer::FINGERPRINT, changed::Outer::FINGERPRINT, "a nested field's type changed");
    assert_ne!(WithTail::FINGERPRINT, no_tail::WithTail::FINGERPRINT, "trailing array vs none");
    assert_ne!(WithTail::FINGERPRINT, len_marked::WithTail::FINGERPRINT, "`len` mirror");
    assert_ne!(WithTail::FINGERPRINT, bounded::WithTail::FINGERPRINT, "`max_elems`");
}

#[test]
fn fingerprints_tell_schemas_apart() {
    use variants::*;
    let base = Base::FINGERPRINT;
    for (what, fp) in [
        ("field order", order::Base::FINGERPRINT),
        ("same-size type swap", swap::Base::FINGERPRINT),
        ("field name", field_name::Base::FINGERPRINT),
        ("schema name", name::Base::FINGERPRINT),
        ("version", version::Base::FINGERPRINT),
        ("default name", default_name::Base::FINGERPRINT),
    ] {
        assert_ne!(fp, base, "{what} must change the fingerprint");
    }
    assert_ne!(TailF32::FINGERPRINT, tail::TailF32::FINGERPRINT, "trailing element type");
    assert_ne!(TailF32::FINGERPRINT, tail_elem_size::TailF32::FINGERPRINT, "trailing element size");
    assert_eq!(same::Other::FINGERPRINT, base, "the same schema in another module");
    assert_eq!(renamed::Base::FINGERPRINT, base, "`rename` keeps the schema name");
    assert_eq!(default_name::Base::NAME, "Base");
    assert_eq!(Base::ID, psyne::message::id_of("v.P"));
}

#[test]
fn first_difference_names_the_field() {
    use variants::*;
    let diff = Base::SCHEMA.first_difference(swap::Base::SCHEMA).unwrap();
    assert_eq!(diff, "field 1: `b: f32` at offset 4 here, `b: i32` at offset 4 there");
    let diff = TailF32::SCHEMA.first_difference(tail::TailF32::SCHEMA).unwrap();
    assert!(diff.starts_with("trailing array: `[f32]`"), "{diff}");
    let diff = Base::SCHEMA.first_difference(version::Base::SCHEMA).unwrap();
    assert_eq!(diff, "version: 0 here, 1 there");
    assert_eq!(Base::SCHEMA.first_difference(same::Other::SCHEMA), None);
}

#[test]
fn schema_tables_match_the_layout() {
    use std::mem::offset_of;
    let s = Tick::SCHEMA;
    let offsets: Vec<_> = s.fields().iter().map(|f| (f.name(), f.offset(), f.size())).collect();
    assert_eq!(
        offsets,
        [
            ("ts_ns", offset_of!(Tick, ts_ns), 8),
            ("price", offset_of!(Tick, price), 8),
            ("qty", offset_of!(Tick, qty), 4),
            ("side", offset_of!(Tick, side), 4),
        ]
    );
    assert_eq!((Tick::HEADER_SIZE, Tick::ALIGN, Tick::MAX_ELEMS), (24, 8, 0));
    assert_eq!((s.name(), s.version(), s.id()), ("test.Tick", 1, Tick::ID));

    let e = Embedding::SCHEMA;
    assert_eq!(e.fields()[3].offset(), offset_of!(Embedding, _reserved));
    assert_eq!(e.fields()[3].name(), "_reserved");
    assert_eq!((Embedding::HEADER_SIZE, Embedding::ALIGN), (16, 4));
    assert_eq!(Embedding::MAX_ELEMS, u32::MAX as usize);
    assert_eq!(TensorF32::MAX_ELEMS, 1024);
    let tail = e.tail().unwrap();
    assert_eq!((tail.name(), tail.ty(), tail.size()), ("data", "f32", 4));
    assert_eq!(Embedding::byte_len(3), 28);
    assert_eq!(Embedding::byte_len(usize::MAX), usize::MAX);

    // Nested messages compose by fingerprint.
    let n = Nested::SCHEMA;
    assert_eq!(n.fields()[0].fingerprint(), Tick::FINGERPRINT);
    assert_eq!(n.fields()[1].ty(), "[[f32; 2]; 4]");
    assert_eq!(Nested::HEADER_SIZE, 24 + 32);
}

/// A 64-byte-aligned buffer, as ring records are.
#[repr(C, align(64))]
struct Aligned([u8; 256]);

#[test]
fn views_check_everything() {
    let mut buf = Aligned([0; 256]);
    {
        let e = Embedding::init_in(&mut buf.0, 3).unwrap();
        assert_eq!(e.len, 3);
        e.batch = 7;
        e.data.copy_from_slice(&[1.0, 2.0, 3.0]);
        assert_eq!(e.elems(), 3);
        assert_eq!(e.header().batch, 7);
        e.header_mut().layer = 2;
        assert_eq!(e.layer, 2);
    }
    let e = Embedding::view(&buf.0, 3).unwrap();
    assert_eq!((e.batch, e.layer, &e.data[..]), (7, 2, &[1.0, 2.0, 3.0][..]));

    assert_eq!(
        Embedding::view(&buf.0, 2).unwrap_err(),
        ViewError::LenMismatch { field: 3, frame: 2 }
    );
    let text = Embedding::view(&buf.0, 2).unwrap_err().to_string();
    assert!(
        text.contains("says 3 elements but the record holds 2") && text.contains("reserve_len")
    );
    let text = Embedding::view(&buf.0[..20], 3).unwrap_err().to_string();
    assert!(text.starts_with("message needs 28 bytes but only 20 were given"), "{text}");
    assert_eq!(Embedding::view(&buf.0[1..], 3).unwrap_err(), ViewError::Misaligned { align: 4 });
    assert_eq!(
        Embedding::view(&buf.0[..27], 3).unwrap_err(),
        ViewError::TooShort { needed: 28, available: 27 }
    );
    assert_eq!(
        Embedding::view(&buf.0, u32::MAX as usize + 1).unwrap_err(),
        ViewError::TooManyElems { elems: u32::MAX as usize + 1, max: u32::MAX as usize }
    );
    assert!(matches!(
        <[u64]>::SCHEMA.tail().map(|_| psyne::message::view::<[u64]>(&buf.0, usize::MAX)),
        Some(Err(ViewError::TooManyElems { .. }))
    ));

    let tick = Tick::view_mut(&mut buf.0[..]).unwrap();
    *tick = Tick { ts_ns: 1, price: 2.0, qty: 3, side: 4 };
    assert_eq!(*Tick::view(&buf.0).unwrap(), Tick { ts_ns: 1, price: 2.0, qty: 3, side: 4 });
    assert_eq!(
        Tick::view(&buf.0[8..20]).unwrap_err(),
        ViewError::TooShort { needed: 24, available: 12 }
    );
}

#[test]
fn validate_hook_runs_on_checked_views() {
    let mut buf = Aligned([0; 256]);
    {
        let t = TensorF32::init_in(&mut buf.0, 6).unwrap();
        t.rank = 2;
        t.shape[..2].copy_from_slice(&[2, 3]);
    }
    assert_eq!(TensorF32::view(&buf.0, 6).unwrap().data.len(), 6);
    TensorF32::view_mut(&mut buf.0, 6).unwrap().shape[1] = 4;
    let err = TensorF32::view(&buf.0, 6).unwrap_err();
    assert_eq!(
        err,
        ViewError::Invalid { reason: "the `validate` hook `tensor_shape_ok` rejected the message" }
    );
    assert_eq!(
        TensorF32::view(&buf.0, 1025).unwrap_err(),
        ViewError::TooManyElems { elems: 1025, max: 1024 }
    );
}

#[test]
fn reserve_len_writes_the_len_field_and_enforces_max_elems() {
    let (mut tx, mut rx) = psyne::channel::<TensorF32>().bytes(1 << 14).spsc().unwrap();
    let mut t = tx.try_reserve_len(4).unwrap();
    assert_eq!(t.len, 4);
    t.rank = 1;
    t.shape[0] = 4;
    t.data.fill(0.5);
    t.commit();
    let err = tx.try_reserve_len(1025).unwrap_err();
    assert_eq!(err, psyne::ReserveError::TooManyElems { elems: 1025, max: 1024 });
    let m = rx.try_recv().unwrap();
    assert_eq!((m.len, m.data.iter().sum::<f32>()), (4, 2.0));
    // What a receiver in another process would do with the record's bytes.
    assert!(TensorF32::view(psyne::__private::zerocopy::IntoBytes::as_bytes(&*m), 4).is_ok());
}

#[test]
fn registry_checks_ids_and_names() {
    use psyne::message::{Registry, RegistryError};
    const REG: Registry = psyne::registry!(Tick, Embedding, TensorF32);
    assert_eq!(REG.len(), 3);
    assert_eq!(REG.by_id(Embedding::ID).map(|s| s.name()), Some("ml.Embedding"));
    assert_eq!(REG.by_name("test.Tick").map(|s| s.fingerprint()), Some(Tick::FINGERPRINT));
    assert!(REG.by_id(Tick::ID ^ 1).is_none() || Tick::ID ^ 1 == Embedding::ID);

    // The same check at run time, for registries built from data.
    let err = Registry::new(&[Tick::SCHEMA, variants::Base::SCHEMA, variants::same::Other::SCHEMA])
        .unwrap_err();
    assert!(matches!(err, RegistryError::DuplicateName { .. }), "{err}");
    assert!(err.to_string().contains("v.P"), "{err}");
}

/// Messages declared where `core`, `std`, `Option` and `Result` mean
/// something else: the generated code must not care.
mod hygiene {
    #![allow(dead_code, non_camel_case_types)]
    mod core {}
    mod std {}
    struct Option;
    struct Result;

    struct usize;
    struct u64;
    struct str;

    #[psyne::message]
    pub struct Shadowed {
        pub a: ::core::primitive::u32,
        #[psyne(len)]
        pub n: ::core::primitive::u32,
        pub b: ::core::primitive::u32,
        pub data: [::core::primitive::u32],
    }

    #[test]
    fn shadowed_names_do_not_leak_into_generated_code() {
        use psyne::Message;
        assert_eq!(Shadowed::HEADER_SIZE, 12);
        assert_eq!(Shadowed::byte_len(2), 20);
        assert_eq!(Shadowed::SCHEMA.fields()[0].ty(), "::core::primitive::u32");
    }
}

/// A `validate` hook called `elems`, a user message called `Box`, a `len`
/// field whose type is in parentheses: names the generated code must not
/// trip over.
mod awkward_names {
    #![allow(dead_code, unused_parens)]

    fn elems(m: &Counted) -> bool {
        m.n as usize == m.data.len()
    }

    #[psyne::message(validate = elems)]
    pub struct Counted {
        #[psyne(len)]
        pub n: (u32),
        pub data: [u32],
    }

    #[psyne::message]
    #[derive(Clone, Copy)]
    pub struct Box {
        pub ltrb: [f32; 4],
    }

    #[psyne::message]
    pub struct Boxes {
        pub first: Box,
    }

    /// Already taken: the twin of `Frame` needs another name.
    pub struct FrameHeader;

    #[psyne::message(header = "FrameHead")]
    pub struct Frame {
        pub seq: u64,
        pub pixels: [u8; 0],
        pub data: [u64],
    }

    #[test]
    fn awkward_names_compile_and_work() {
        use psyne::Message;
        assert_eq!(Counted::MAX_ELEMS, u32::MAX as usize);
        assert_eq!(Boxes::HEADER_SIZE, 16);
        let head: FrameHead = FrameHead { seq: 3, pixels: [] };
        assert_eq!(head.seq, 3);
    }
}

#[test]
fn message_inside_a_function() {
    #[psyne::message]
    struct Local {
        x: u16,
        y: u16,
    }
    let (mut tx, mut rx) = psyne::channel::<Local>().capacity(2).spsc().unwrap();
    tx.try_send(Local { x: 1, y: 2 }).unwrap();
    let m = rx.try_recv().unwrap();
    assert_eq!((m.x, m.y), (1, 2));
}

// The crate under another name: the generated code's paths resolve through
// `crate = "psyne_renamed"`. (`::psyne` would resolve here too, so this
// cannot catch a macro that ignores `crate`; the `pins` expansion snapshot
// and psyne's own built-in types, generated with `crate = "crate"`, do.)
extern crate psyne as psyne_renamed;

#[test]
fn renamed_crate() {
    #[psyne_renamed::message(crate = "psyne_renamed")]
    struct ViaRename {
        a: u32,
        data: [u32],
    }
    assert_eq!(<ViaRename as psyne_renamed::Message>::HEADER_SIZE, 4);
    assert_eq!(ViaRename::byte_len(2), 12);
}
