//! Built-in message types: vectors, matrices, quantized and complex
//! vectors, tensors and sparse matrices.
//!
//! Each is a `#[psyne::message]`, so it has a schema fingerprint, checked
//! views and a header twin like any user message. Variable-size types have
//! a header that is a multiple of 64 bytes, so their payload starts 64-byte
//! aligned in a ring record (records are 64-byte aligned), ready for SIMD
//! and GPU uploads.
//!
//! | type | header | payload |
//! |---|---|---|
//! | [`FloatVector`] | `len` | `[f32]` |
//! | [`DoubleMatrix`] | `rows`, `cols` | `[f64]`, row-major |
//! | [`Vec3f`], [`Vec4f`], [`Matrix3x3f`], [`Matrix4x4f`] | — | fixed size |
//! | [`Int8Vector`], [`UInt8Vector`] | `scale`, `zero_point` | `[i8]` / `[u8]` |
//! | [`Complex32Vector`], [`Complex64Vector`] | `len` | `[Complex32]` / `[Complex64]` |
//! | [`Tensor`] | dtype, rank ≤ 8, shape, strides | bytes, typed views |
//! | [`SparseMatrix`] | `rows`, `cols`, `nnz` | CSR `row_ptr`, `col_idx`, `values` |
//!
//! # Examples
//!
//! ```
//! use psyne::message::types::FloatVector;
//!
//! let (mut tx, mut rx) = psyne::channel::<FloatVector>().bytes(1 << 16).spsc()?;
//! let mut v = tx.try_reserve_len(1000)?;
//! v.as_mut_slice().fill(0.5);
//! v.commit();
//! let v = rx.try_recv()?;
//! assert_eq!((v.len, v.as_slice().len()), (1000, 1000));
//! assert_eq!(v.dot(&v), 250.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod matrix;
mod quantized;
mod sparse;
mod tensor;
mod vector;

pub use matrix::{DoubleMatrix, DoubleMatrixHeader, Matrix3x3f, Matrix4x4f, Vec3f, Vec4f};
pub use quantized::{Int8Vector, Int8VectorHeader, UInt8Vector, UInt8VectorHeader};
pub use sparse::{SparseMatrix, SparseMatrixHeader};
pub use tensor::{DType, Dims, Tensor, TensorElem, TensorHeader};
pub use vector::{
    Complex32, Complex32Vector, Complex32VectorHeader, Complex64, Complex64Vector,
    Complex64VectorHeader, FloatVector, FloatVectorHeader, dot, dot_scalar, scale,
};

use super::ViewError;

/// An [`ViewError::Invalid`] with `reason`.
const fn invalid(reason: &'static str) -> ViewError {
    ViewError::Invalid { reason }
}
