//! The built-in message types: through every pattern, round trips over
//! random contents and sizes, and the checked views' rejections of broken
//! or random bytes.

mod common;

use proptest::prelude::*;
use psyne::__private::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
use psyne::message::types::{
    Complex32, Complex32Vector, Complex64, Complex64Vector, DType, DoubleMatrix, FloatVector,
    Int8Vector, Matrix3x3f, Matrix4x4f, SparseMatrix, Tensor, UInt8Vector, Vec3f, Vec4f,
};
use psyne::message::{SchemaTable, ViewError, view};
use psyne::{Message, Pattern};

/// One 64-byte line: a buffer of these is aligned as ring records are.
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[zerocopy(crate = "psyne::__private::zerocopy")]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// A zeroed, 64-byte-aligned buffer of at least `len` bytes.
fn buffer(len: usize) -> Vec<Line> {
    vec![Line([0; 64]); len.div_ceil(64).max(1)]
}

/// Sends one variable-size `T` of `elems` elements through a channel of
/// pattern `P`, written by `fill`, and checks what arrives with `check`,
/// in place and through a checked view of the record's bytes (what a
/// receiver in another process would do).
fn through<T, P>(elems: usize, fill: impl FnOnce(&mut T), check: impl Fn(&T))
where
    T: Message + KnownLayout<PointerMetadata = usize> + ?Sized,
    P: Pattern,
{
    let (mut tx, mut rx) = psyne::channel::<T>().bytes(1 << 16).pattern::<P>().build().unwrap();
    let mut slot = tx.try_reserve_len(elems).unwrap();
    fill(&mut slot);
    slot.commit();
    let msg = rx.try_recv().unwrap();
    check(&msg);
    let bytes = msg.into_bytes();
    check(view::<T>(&bytes, elems).expect("a committed record passes the checked view"));
}

/// The same for a fixed-size `T`.
fn through_sized<T, P>(value: T)
where
    T: Message + PartialEq + std::fmt::Debug + Copy,
    P: Pattern,
{
    let (mut tx, mut rx) = psyne::channel::<T>().capacity(4).pattern::<P>().build().unwrap();
    tx.try_send(value).unwrap();
    let msg = rx.try_recv().unwrap();
    assert_eq!(*msg, value);
    assert_eq!(*view::<T>(&msg.into_bytes(), 0).unwrap(), value);
}

for_each_pattern!(every_builtin_type_crosses_the_channel);

fn every_builtin_type_crosses_the_channel<P: Pattern>() {
    through::<FloatVector, P>(
        100,
        |v| v.iter_mut().enumerate().for_each(|(i, x)| *x = i as f32),
        |v| {
            assert_eq!((v.len, v.as_slice()[99]), (100, 99.0));
            assert_eq!(v.as_slice().as_ptr() as usize % 64, 0, "payload 64-byte aligned");
        },
    );
    through::<DoubleMatrix, P>(
        6,
        |m| {
            m.set_shape(2, 3).unwrap();
            m.row_mut(1).unwrap().copy_from_slice(&[1.0, 2.0, 3.0]);
        },
        |m| assert_eq!((m.rows, m.cols, m.row(1)), (2, 3, Some(&[1.0, 2.0, 3.0][..]))),
    );
    through::<Int8Vector, P>(
        4,
        |v| {
            v.set_params(0.5, 0).unwrap();
            v.quantize_from(&[1.0, -1.0, 0.0, 100.0]);
        },
        |v| assert_eq!(v.data, [2, -2, 0, 127]),
    );
    through::<UInt8Vector, P>(
        3,
        |v| {
            v.set_params(1.0, 10).unwrap();
            v.quantize_from(&[-20.0, 0.0, 1.0]);
        },
        |v| assert_eq!((v.data.to_vec(), v.get(2)), (vec![0, 10, 11], Some(1.0))),
    );
    through::<Complex32Vector, P>(
        2,
        |v| v.data[1] = Complex32 { re: 3.0, im: 4.0 },
        |v| assert_eq!((v.len, v.data[1].norm()), (2, 5.0)),
    );
    through::<Complex64Vector, P>(
        1,
        |v| v.data[0] = Complex64 { re: -1.0, im: 0.0 },
        |v| assert_eq!((v.len, v.data[0].re), (1, -1.0)),
    );
    through::<Tensor, P>(
        2 * 2 * 8,
        |t| {
            t.set_layout(DType::F64, &[2, 2]).unwrap();
            t.as_mut_slice::<f64>().unwrap().copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
        },
        |t| {
            assert_eq!((&*t.shape(), t.as_slice::<f64>().unwrap()[3]), (&[2, 2][..], 4.0));
            assert_eq!(t.data.as_ptr() as usize % 64, 0, "tensor data 64-byte aligned");
        },
    );
    through::<SparseMatrix, P>(
        SparseMatrix::words(2, 2).unwrap(),
        |m| {
            m.set_dims(2, 2, 2).unwrap();
            let (row_ptr, col_idx, values) = m.parts_mut();
            row_ptr.copy_from_slice(&[0, 1, 2]);
            col_idx.copy_from_slice(&[1, 0]);
            values.copy_from_slice(&[5.0, 6.0]);
        },
        |m| {
            let mut y = [0.0; 2];
            m.mul_vec(&[1.0, 2.0], &mut y).unwrap();
            assert_eq!(y, [10.0, 6.0]);
        },
    );
    through_sized::<Vec3f, P>(Vec3f { x: 1.0, y: 2.0, z: 3.0 });
    through_sized::<Vec4f, P>(Vec4f { x: 1.0, y: 2.0, z: 3.0, w: 4.0 });
    through_sized::<Matrix3x3f, P>(Matrix3x3f::IDENTITY);
    through_sized::<Matrix4x4f, P>(Matrix4x4f::IDENTITY);
    through_sized::<Complex64, P>(Complex64 { re: 1.0, im: 2.0 });
}

/// Element counts worth trying: 0, 1, odd ones, and up to `max`.
fn counts(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![Just(0), Just(1), (0..=max / 2).prop_map(|n| 2 * n + 1), Just(max)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn float_vector_round_trips(data in counts(300).prop_flat_map(|n| prop::collection::vec(any::<f32>(), n))) {
        let mut buf = buffer(FloatVector::byte_len(data.len()));
        let bytes = buf.as_mut_bytes();
        FloatVector::init_in(bytes, data.len()).unwrap().as_mut_slice().copy_from_slice(&data);
        let v = FloatVector::view(bytes, data.len()).unwrap();
        prop_assert_eq!(v.len as usize, data.len());
        prop_assert_eq!(v.as_slice().as_bytes(), data.as_bytes());
    }

    #[test]
    fn double_matrix_round_trips(rows in 0u64..12, cols in 0u64..12, seed in any::<u64>()) {
        let n = (rows * cols) as usize;
        let mut buf = buffer(DoubleMatrix::byte_len(n));
        let bytes = buf.as_mut_bytes();
        let m = DoubleMatrix::init_in(bytes, n).unwrap();
        m.set_shape(rows, cols).unwrap();
        for (i, x) in m.data.iter_mut().enumerate() {
            *x = (seed.wrapping_mul(i as u64 + 1) % 1000) as f64;
        }
        let m = DoubleMatrix::view(bytes, n).unwrap();
        for r in 0..rows {
            for c in 0..cols {
                let want = (seed.wrapping_mul(r * cols + c + 1) % 1000) as f64;
                prop_assert_eq!(m.get(r, c), Some(want));
            }
        }
        prop_assert_eq!(m.get(rows, 0), None);
    }

    #[test]
    fn quantized_round_trips(
        src in counts(200).prop_flat_map(|n| prop::collection::vec(-1.0e3f32..1.0e3, n)),
    ) {
        let n = src.len();
        let mut buf = buffer(Int8Vector::byte_len(n));
        let bytes = buf.as_mut_bytes();
        let (scale, zp) = Int8Vector::fit(&src);
        let q = Int8Vector::init_in(bytes, n).unwrap();
        q.set_params(scale, zp).unwrap();
        q.quantize_from(&src);
        let q = Int8Vector::view(bytes, n).unwrap();
        let mut back = vec![0.0; n];
        q.dequantize_into(&mut back);
        for (a, b) in src.iter().zip(&back) {
            prop_assert!((a - b).abs() <= scale * 0.5001, "{a} vs {b} at scale {scale}");
        }

        let mut buf = buffer(UInt8Vector::byte_len(n));
        let bytes = buf.as_mut_bytes();
        let (scale, zp) = UInt8Vector::fit(&src);
        let q = UInt8Vector::init_in(bytes, n).unwrap();
        q.set_params(scale, zp).unwrap();
        q.quantize_from(&src);
        let q = UInt8Vector::view(bytes, n).unwrap();
        for (i, a) in src.iter().enumerate() {
            let b = q.get(i).unwrap();
            prop_assert!((a - b).abs() <= scale * 1.0001, "{a} vs {b} at scale {scale}");
        }
    }

    #[test]
    fn complex_vectors_round_trip(parts in counts(100).prop_flat_map(|n| prop::collection::vec(any::<(f64, f64)>(), n))) {
        let n = parts.len();
        let mut buf = buffer(Complex64Vector::byte_len(n));
        let bytes = buf.as_mut_bytes();
        let v = Complex64Vector::init_in(bytes, n).unwrap();
        for (z, &(re, im)) in v.data.iter_mut().zip(&parts) {
            *z = Complex64 { re, im };
        }
        let v = Complex64Vector::view(bytes, n).unwrap();
        prop_assert_eq!(v.len as usize, n);
        for (z, &(re, im)) in v.data.iter().zip(&parts) {
            prop_assert_eq!((z.re.to_bits(), z.im.to_bits()), (re.to_bits(), im.to_bits()));
        }

        let mut buf = buffer(Complex32Vector::byte_len(n));
        let bytes = buf.as_mut_bytes();
        let v = Complex32Vector::init_in(bytes, n).unwrap();
        for (z, &(re, im)) in v.data.iter_mut().zip(&parts) {
            *z = Complex32 { re: re as f32, im: im as f32 };
        }
        let v = Complex32Vector::view(bytes, n).unwrap();
        prop_assert_eq!(v.data.len(), n);
    }

    #[test]
    fn tensors_round_trip(shape in prop::collection::vec(0u64..5, 0..=8), dtype in 0usize..6) {
        let dtype = [DType::F32, DType::F64, DType::I8, DType::U8, DType::I32, DType::I64][dtype];
        let bytes_len = Tensor::data_len(dtype, &shape).unwrap();
        let mut buf = buffer(Tensor::byte_len(bytes_len));
        let bytes = buf.as_mut_bytes();
        let t = Tensor::init_in(bytes, bytes_len).unwrap();
        t.set_layout(dtype, &shape).unwrap();
        t.data.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let t = Tensor::view(bytes, bytes_len).unwrap();
        prop_assert_eq!(&*t.shape(), &shape[..]);
        prop_assert_eq!((t.dtype().unwrap(), t.rank()), (dtype, shape.len()));
        // Contiguous row-major strides.
        let mut stride = 1i64;
        for (s, d) in t.strides().iter().rev().zip(shape.iter().rev()) {
            prop_assert_eq!(*s, stride);
            stride *= *d as i64;
        }
        match dtype {
            DType::F32 => prop_assert_eq!(t.as_slice::<f32>().unwrap().len() * 4, bytes_len),
            DType::I64 => prop_assert_eq!(t.as_slice::<i64>().unwrap().len() * 8, bytes_len),
            _ => prop_assert!(t.as_slice::<f32>().is_err()),
        }
    }

    #[test]
    fn sparse_matrices_round_trip(rows in 0u32..10, cols in 1u32..10, density in 0u32..=100) {
        // Entries (i, j) where a hash says so.
        let entries: Vec<(u32, u32)> = (0..rows)
            .flat_map(|i| (0..cols).map(move |j| (i, j)))
            .filter(|&(i, j)| (i * 31 + j * 17) % 100 < density)
            .collect();
        let nnz = entries.len() as u32;
        let words = SparseMatrix::words(rows, nnz).unwrap();
        let mut buf = buffer(SparseMatrix::byte_len(words));
        let bytes = buf.as_mut_bytes();
        let m = SparseMatrix::init_in(bytes, words).unwrap();
        m.set_dims(rows, cols, nnz).unwrap();
        let (row_ptr, col_idx, values) = m.parts_mut();
        for (k, &(i, j)) in entries.iter().enumerate() {
            row_ptr[i as usize + 1] += 1;
            col_idx[k] = j;
            values[k] = (i * cols + j) as f32;
        }
        for i in 0..rows as usize {
            row_ptr[i + 1] += row_ptr[i];
        }
        let m = SparseMatrix::view(bytes, words).unwrap();
        let x: Vec<f32> = (0..cols).map(|j| j as f32).collect();
        let mut y = vec![0.0; rows as usize];
        m.mul_vec(&x, &mut y).unwrap();
        for i in 0..rows {
            let want: f32 = entries.iter().filter(|e| e.0 == i).map(|&(_, j)| (i * cols + j) as f32 * j as f32).sum();
            prop_assert_eq!(y[i as usize], want);
        }
    }

    /// Random bytes never decode into a panic, and a valid table with any
    /// byte flipped either decodes or is an error.
    #[test]
    fn schema_tables_decode_garbage_without_panicking(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        flip in any::<(usize, u8)>(),
    ) {
        let _ = SchemaTable::decode(&bytes);
        let mut table = SchemaTable::from(<Tensor as Message>::SCHEMA).encode();
        let i = flip.0 % table.len();
        table[i] ^= flip.1 | 1;
        if let Ok(t) = SchemaTable::decode(&table) {
            prop_assert!(t.fields().len() <= 1024);
        }
    }

    /// Random bytes and element counts: every checked view answers, none
    /// panics.
    #[test]
    fn checked_views_never_panic_on_garbage(
        bytes in prop::collection::vec(any::<u8>(), 0..700),
        elems in prop_oneof![0usize..200, Just(usize::MAX), any::<usize>()],
        offset in 0usize..8,
    ) {
        let mut buf = buffer(bytes.len() + 8);
        let all = buf.as_mut_bytes();
        all[offset..offset + bytes.len()].copy_from_slice(&bytes);
        let b = &all[offset..offset + bytes.len()];
        let _ = FloatVector::view(b, elems);
        let _ = DoubleMatrix::view(b, elems);
        let _ = Int8Vector::view(b, elems);
        let _ = UInt8Vector::view(b, elems);
        let _ = Complex32Vector::view(b, elems);
        let _ = Complex64Vector::view(b, elems);
        let _ = SparseMatrix::view(b, elems).map(|m| (m.row_ptr().len(), m.values().len()));
        if let Ok(t) = Tensor::view(b, elems) {
            let _ = (t.shape(), t.strides(), t.as_slice::<f32>(), t.as_slice::<u8>());
        }
        let _ = Matrix4x4f::view(b);
        let _ = Vec3f::view(b);
    }
}

fn reason(e: ViewError) -> &'static str {
    match e {
        ViewError::Invalid { reason } => reason,
        other => panic!("expected an invalid message, got {other}"),
    }
}

/// `&mut T` over `bytes` without the checked view's validation, to break
/// a message on purpose (what a faulty or hostile writer could do).
fn raw_mut<T>(bytes: &mut [u8], elems: usize) -> &mut T
where
    T: Message + KnownLayout<PointerMetadata = usize> + ?Sized,
{
    let len = psyne::message::byte_len::<T>(elems).unwrap();
    T::mut_from_bytes_with_elems(&mut bytes[..len], elems).unwrap()
}

#[test]
fn broken_sparse_matrices_are_rejected() {
    let words = SparseMatrix::words(2, 2).unwrap();
    let mut buf = buffer(SparseMatrix::byte_len(words));
    let bytes = buf.as_mut_bytes();
    let build = |bytes: &mut [u8], row_ptr: [u32; 3], col_idx: [u32; 2]| {
        let m = SparseMatrix::init_in(bytes, words).unwrap();
        m.set_dims(2, 3, 2).unwrap();
        let (r, c, _) = m.parts_mut();
        r.copy_from_slice(&row_ptr);
        c.copy_from_slice(&col_idx);
    };
    build(bytes, [0, 1, 2], [0, 2]);
    assert!(SparseMatrix::view(bytes, words).is_ok());
    build(bytes, [0, 2, 1], [0, 2]);
    assert_eq!(
        reason(SparseMatrix::view(bytes, words).unwrap_err()),
        "sparse matrix `row_ptr` must start at 0 and end at `nnz`"
    );
    build(bytes, [0, 3, 2], [0, 2]);
    assert_eq!(
        reason(SparseMatrix::view(bytes, words).unwrap_err()),
        "sparse matrix `row_ptr` decreases"
    );
    build(bytes, [0, 1, 2], [0, 3]);
    assert_eq!(
        reason(SparseMatrix::view(bytes, words).unwrap_err()),
        "sparse matrix column index out of range"
    );
    // Dimensions that do not fit the record's length.
    build(bytes, [0, 1, 2], [0, 2]);
    let m = raw_mut::<SparseMatrix>(bytes, words);
    m.nnz = 40;
    assert!(m.row_ptr().is_empty() && m.values().is_empty(), "accessors stay in bounds");
    assert!(m.mul_vec(&[0.0; 3], &mut [0.0; 2]).is_err());
    assert_eq!(
        reason(SparseMatrix::view(bytes, words).unwrap_err()),
        "sparse matrix sections do not fit its length"
    );
}

#[test]
fn broken_tensors_are_rejected() {
    let mut buf = buffer(Tensor::byte_len(24));
    let bytes = buf.as_mut_bytes();
    Tensor::init_in(bytes, 24).unwrap();
    assert_eq!(reason(Tensor::view(bytes, 24).unwrap_err()), "unknown tensor dtype");
    let cases: [(&dyn Fn(&mut Tensor), &str); 7] = [
        (&|t| t.shape_raw[1].set(4), "tensor shape disagrees with its byte length"),
        (&|t| t.strides_raw[0].set(4), "tensor strides reach outside its data"),
        (&|t| t.strides_raw[0].set(-3), "tensor strides must be non-negative"),
        (&|t| t.rank = 9, "tensor rank above 8"),
        (&|t| t.shape_raw[5].set(1), "tensor dimensions past `rank` must be zero"),
        (&|t| t.shape_raw[0].set(u64::MAX), "tensor shape overflows"),
        (&|t| t.dtype = 200, "unknown tensor dtype"),
    ];
    for (breaks, why) in cases {
        Tensor::init_in(bytes, 24).unwrap().set_layout(DType::F32, &[2, 3]).unwrap();
        assert!(Tensor::view(bytes, 24).is_ok());
        breaks(raw_mut::<Tensor>(bytes, 24));
        assert_eq!(reason(Tensor::view(bytes, 24).unwrap_err()), why);
    }
    let t = Tensor::init_in(bytes, 24).unwrap();
    assert!(t.set_layout(DType::F32, &[1; 9]).is_err());
    assert!(t.set_layout(DType::F32, &[5]).is_err());
}

#[test]
fn broken_quantized_vectors_and_matrices_are_rejected() {
    let mut buf = buffer(Int8Vector::byte_len(4));
    let bytes = buf.as_mut_bytes();
    let q = Int8Vector::init_in(bytes, 4).unwrap();
    for bad in [f32::NAN, f32::INFINITY, 0.0, -1.0] {
        assert!(q.set_params(bad, 0).is_err(), "scale {bad}");
    }
    // A zeroed vector has scale 0: not a valid quantized vector yet.
    assert_eq!(
        reason(Int8Vector::view(bytes, 4).unwrap_err()),
        "the quantization scale must be finite and positive"
    );
    Int8Vector::init_in(bytes, 4).unwrap().set_params(0.1, 3).unwrap();
    assert!(Int8Vector::view(bytes, 4).is_ok());
    raw_mut::<Int8Vector>(bytes, 4).scale.set(f32::NAN);
    assert!(Int8Vector::view(bytes, 4).is_err());
    raw_mut::<UInt8Vector>(bytes, 4).scale.set(f32::NEG_INFINITY);
    assert!(UInt8Vector::view(bytes, 4).is_err());

    let mut buf = buffer(DoubleMatrix::byte_len(6));
    let bytes = buf.as_mut_bytes();
    let m = DoubleMatrix::init_in(bytes, 6).unwrap();
    assert!(m.set_shape(4, 2).is_err());
    (m.rows, m.cols) = (3, 3);
    assert_eq!(
        reason(DoubleMatrix::view(bytes, 6).unwrap_err()),
        "`rows * cols` differs from the number of elements"
    );
    raw_mut::<DoubleMatrix>(bytes, 6).rows = u64::MAX;
    assert!(DoubleMatrix::view(bytes, 6).is_err());
}

#[test]
fn element_counts_at_and_past_the_limits() {
    let mut buf = buffer(256);
    let bytes = buf.as_mut_bytes();
    FloatVector::init_in(bytes, 3).unwrap();
    assert_eq!(
        FloatVector::view(bytes, 2).unwrap_err(),
        ViewError::LenMismatch { field: 3, frame: 2 }
    );
    // The `len` field is a u32: the most elements it can count.
    let max = FloatVector::MAX_ELEMS;
    assert_eq!(max, u32::MAX as usize);
    assert!(matches!(FloatVector::view(bytes, max), Err(ViewError::TooShort { .. })));
    assert_eq!(
        FloatVector::view(bytes, max + 1).unwrap_err(),
        ViewError::TooManyElems { elems: max + 1, max }
    );
    // No `len` field: bounded by the address space.
    assert!(matches!(Tensor::view(bytes, usize::MAX), Err(ViewError::TooManyElems { .. })));
    assert!(matches!(
        Complex64Vector::view(bytes, usize::MAX / 8),
        Err(ViewError::TooManyElems { .. })
    ));
    let (mut tx, _rx) = psyne::channel::<FloatVector>().bytes(1024).spsc().unwrap();
    assert_eq!(
        tx.try_reserve_len(max + 1).unwrap_err(),
        psyne::ReserveError::TooManyElems { elems: max + 1, max }
    );
}

/// Every built-in schema survives encoding and decoding; every truncation
/// of an encoding is an error.
#[test]
fn schema_tables_round_trip_and_reject_truncation() {
    let schemas = [
        FloatVector::SCHEMA,
        DoubleMatrix::SCHEMA,
        Int8Vector::SCHEMA,
        Complex64Vector::SCHEMA,
        Tensor::SCHEMA,
        SparseMatrix::SCHEMA,
        Matrix4x4f::SCHEMA,
        <u8 as Message>::SCHEMA,
        <[f32] as Message>::SCHEMA,
    ];
    for schema in schemas {
        let table = SchemaTable::from(schema);
        let bytes = table.encode();
        let back = SchemaTable::decode(&bytes).unwrap();
        assert_eq!(back, table);
        assert_eq!(back.fingerprint(), schema.fingerprint());
        for cut in 0..bytes.len() {
            assert!(SchemaTable::decode(&bytes[..cut]).is_err(), "{} cut at {cut}", schema.name());
        }
    }
    // A peer's decoded table names the first differing field, as the
    // local comparison does.
    let local = SchemaTable::from(FloatVector::SCHEMA);
    let peer = SchemaTable::decode(&SchemaTable::from(Complex32Vector::SCHEMA).encode()).unwrap();
    assert_eq!(
        local.first_difference(&peer),
        Some("name: `psyne.FloatVector` here, `psyne.Complex32Vector` there".to_owned())
    );
    assert_eq!(
        local.first_difference(&peer),
        FloatVector::SCHEMA.first_difference(Complex32Vector::SCHEMA)
    );
}

/// Accessors on messages whose fields were set to extremes by a faulty or
/// hostile writer (the checked views need not have run, as for records a
/// channel's own senders wrote): values or `None`, never a panic.
#[test]
fn accessors_survive_extreme_fields() {
    let mut buf = buffer(Int8Vector::byte_len(3));
    let bytes = buf.as_mut_bytes();
    Int8Vector::init_in(bytes, 3).unwrap().data.copy_from_slice(&[1, -128, 127]);
    for zp in [i32::MIN, i32::MAX] {
        let q = raw_mut::<Int8Vector>(bytes, 3);
        q.zero_point.set(zp);
        q.scale.set(1.0);
        let mut out = [0.0; 3];
        q.dequantize_into(&mut out);
        assert_eq!(q.get(0), Some(out[0]));
        assert!(out.iter().all(|x| x.is_finite()));
        let q = raw_mut::<UInt8Vector>(bytes, 3);
        assert!(q.get(2).unwrap().is_finite());
    }

    let mut buf = buffer(DoubleMatrix::byte_len(4));
    let bytes = buf.as_mut_bytes();
    DoubleMatrix::init_in(bytes, 4).unwrap();
    let m = raw_mut::<DoubleMatrix>(bytes, 4);
    (m.rows, m.cols) = (u64::MAX, u64::MAX);
    assert_eq!((m.get(3, 3), m.row(3)), (None, None));
    assert!(m.row_mut(u64::MAX - 1).is_none());
    (m.rows, m.cols) = (4, 2); // 8 elements claimed, 4 present
    assert_eq!((m.get(1, 1), m.get(2, 0)), (Some(0.0), None));
    assert_eq!((m.row(1).map(<[f64]>::len), m.row(2)), (Some(2), None));
}

/// Every variable-size built-in type at its largest element count and one
/// past it: an error value, never a panic or an overflow.
#[test]
fn every_variable_type_at_its_maximum_count() {
    fn at_max<T>()
    where
        T: Message + KnownLayout<PointerMetadata = usize> + ?Sized,
    {
        let mut buf = buffer(256);
        let bytes = buf.as_mut_bytes();
        let max = T::MAX_ELEMS;
        match view::<T>(bytes, max) {
            Err(ViewError::TooShort { needed, available: 256 }) => {
                assert_eq!(Some(needed), psyne::message::byte_len::<T>(max));
            }
            Err(ViewError::TooManyElems { elems, .. }) => assert_eq!(elems, max),
            other => panic!("{}: {:?}", T::NAME, other.map(|_| ())),
        }
        if let Some(past) = max.checked_add(1) {
            assert_eq!(
                view::<T>(bytes, past).map(|_| ()),
                Err(ViewError::TooManyElems { elems: past, max })
            );
            assert!(psyne::message::init_in::<T>(bytes, past).is_err());
        }
    }
    at_max::<FloatVector>();
    at_max::<DoubleMatrix>();
    at_max::<Int8Vector>();
    at_max::<UInt8Vector>();
    at_max::<Complex32Vector>();
    at_max::<Complex64Vector>();
    at_max::<Tensor>();
    at_max::<SparseMatrix>();
    at_max::<[u8]>();
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_views() {
    let mut buf = buffer(Tensor::byte_len(24));
    let bytes = buf.as_mut_bytes();
    let t = Tensor::init_in(bytes, 24).unwrap();
    t.set_layout(DType::I32, &[3, 2]).unwrap();
    t.as_mut_slice::<i32>().unwrap().copy_from_slice(&[1, 2, 3, 4, 5, 6]);
    let a = t.as_array::<i32>().unwrap();
    assert_eq!((a.shape(), a[[2, 1]]), (&[3, 2][..], 6));
    assert!(t.as_array::<f32>().is_err());

    let mut buf = buffer(DoubleMatrix::byte_len(4));
    let bytes = buf.as_mut_bytes();
    let m = DoubleMatrix::init_in(bytes, 4).unwrap();
    m.set_shape(2, 2).unwrap();
    m.as_array_mut().unwrap()[[1, 0]] = 7.0;
    assert_eq!(m.get(1, 0), Some(7.0));
}

#[cfg(feature = "half")]
#[test]
fn half_precision_tensors() {
    use half::{bf16, f16};
    let mut buf = buffer(Tensor::byte_len(8));
    let bytes = buf.as_mut_bytes();
    let t = Tensor::init_in(bytes, 8).unwrap();
    t.set_layout(DType::F16, &[4]).unwrap();
    t.as_mut_slice::<f16>().unwrap()[2] = f16::from_f32(1.5);
    assert_eq!(t.as_slice::<f16>().unwrap()[2].to_f32(), 1.5);
    assert!(t.as_slice::<bf16>().is_err());
    assert_ne!(
        <f16 as psyne::message::Wire>::TYPE_FINGERPRINT,
        <u16 as psyne::message::Wire>::TYPE_FINGERPRINT
    );
}
