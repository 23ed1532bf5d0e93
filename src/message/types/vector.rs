//! `FloatVector`, complex vectors, and the in-place kernels.

use std::ops::{Deref, DerefMut};

/// A vector of `f32`, 64-byte aligned in a ring record.
///
/// The 64-byte header holds the element count (`len`, written by
/// `reserve_len` and checked by the checked views); the rest is reserved
/// and zero.
///
/// # Examples
///
/// ```
/// use psyne::message::types::FloatVector;
///
/// let (mut tx, mut rx) = psyne::channel::<FloatVector>().bytes(1 << 16).spsc()?;
/// let mut v = tx.try_reserve_len(3)?;
/// v.as_mut_slice().copy_from_slice(&[1.0, 2.0, 3.0]);
/// v.scale(2.0);
/// v.commit();
/// let v = rx.try_recv()?;
/// assert_eq!(v.as_slice(), [2.0, 4.0, 6.0]);
/// assert_eq!(v.iter().sum::<f32>(), 12.0); // derefs to `[f32]`
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.FloatVector", version = 1)]
#[derive(Debug)]
pub struct FloatVector {
    /// Number of elements (mirrors the record's element count).
    #[psyne(len)]
    pub len: u32,
    /// Reserved, zero.
    pub _reserved: [u32; 15],
    /// The elements.
    pub data: [f32],
}

impl FloatVector {
    /// The elements.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::FloatVector;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 128]);
    /// let mut buf = Buf([0; 128]);
    /// let v = FloatVector::init_in(&mut buf.0, 4)?;
    /// assert_eq!(v.as_slice(), [0.0; 4]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// The elements, for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::FloatVector;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 128]);
    /// let mut buf = Buf([0; 128]);
    /// let v = FloatVector::init_in(&mut buf.0, 2)?;
    /// v.as_mut_slice().fill(1.5);
    /// assert_eq!(v.data, [1.5, 1.5]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The dot product with `other` (over the shorter length); see [`dot`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::FloatVector;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 128]);
    /// let mut buf = Buf([0; 128]);
    /// let v = FloatVector::init_in(&mut buf.0, 3)?;
    /// v.as_mut_slice().copy_from_slice(&[1.0, 2.0, 3.0]);
    /// assert_eq!(v.dot(&[1.0, 1.0, 1.0]), 6.0);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn dot(&self, other: &[f32]) -> f32 {
        dot(&self.data, other)
    }

    /// Multiplies every element by `k`, in place; see [`scale`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::FloatVector;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 128]);
    /// let mut buf = Buf([0; 128]);
    /// let v = FloatVector::init_in(&mut buf.0, 2)?;
    /// v.as_mut_slice().copy_from_slice(&[1.0, -2.0]);
    /// v.scale(-0.5);
    /// assert_eq!(v.data, [-0.5, 1.0]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn scale(&mut self, k: f32) {
        scale(&mut self.data, k);
    }
}

impl Deref for FloatVector {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        &self.data
    }
}

impl DerefMut for FloatVector {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

impl AsRef<[f32]> for FloatVector {
    fn as_ref(&self) -> &[f32] {
        &self.data
    }
}

impl AsMut<[f32]> for FloatVector {
    fn as_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

/// Lanes of the dot product's accumulators: 16 `f32`s, one 64-byte line,
/// so the compiler keeps them in vector registers (four SSE or two AVX
/// registers) and the loop vectorizes.
const LANES: usize = 16;

/// The dot product of `a` and `b` over the shorter length.
///
/// Accumulates in 16 independent lanes and sums them at the end. This
/// reassociates the additions (so results can differ from a strict
/// left-to-right sum in the last bits) and lets the loop run on packed
/// SIMD instructions; `benches/kernels.rs` measures it against the strict
/// [`dot_scalar`].
///
/// # Examples
///
/// ```
/// let a = [1.0f32; 100];
/// let b = [2.0f32; 100];
/// assert_eq!(psyne::message::types::dot(&a, &b), 200.0);
/// ```
// Not `#[inline]`: one out-of-line copy, compiled with this crate, is what
// `.ci/run` disassembles to check that it vectorizes.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    // Pairwise reduction of the lanes.
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            acc[i] += acc[i + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

/// The dot product as a strict left-to-right sum: the scalar baseline that
/// [`dot`] is benchmarked against (it cannot vectorize, because float
/// addition is not associative).
///
/// # Examples
///
/// ```
/// use psyne::message::types::{dot, dot_scalar};
/// let a: Vec<f32> = (0..64).map(|i| i as f32).collect();
/// assert_eq!(dot_scalar(&a, &a), dot(&a, &a));
/// ```
pub fn dot_scalar(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(0.0, |s, (x, y)| s + x * y)
}

/// Multiplies every element of `v` by `k`, in place.
///
/// # Examples
///
/// ```
/// let mut v = [1.0f32, 2.0, 3.0];
/// psyne::message::types::scale(&mut v, 2.0);
/// assert_eq!(v, [2.0, 4.0, 6.0]);
/// ```
#[inline]
pub fn scale(v: &mut [f32], k: f32) {
    for x in v {
        *x *= k;
    }
}

/// A complex number of two `f32`s.
///
/// # Examples
///
/// ```
/// use psyne::message::types::Complex32;
/// let z = Complex32 { re: 3.0, im: 4.0 };
/// assert_eq!(z.norm(), 5.0);
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Complex32", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Complex32 {
    /// Real part.
    pub re: f32,
    /// Imaginary part.
    pub im: f32,
}

impl Complex32 {
    /// The absolute value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::message::types::Complex32 { re: 0.0, im: -2.0 }.norm(), 2.0);
    /// ```
    pub fn norm(self) -> f32 {
        self.re.hypot(self.im)
    }
}

/// A complex number of two `f64`s.
///
/// # Examples
///
/// ```
/// use psyne::message::types::Complex64;
/// assert_eq!(Complex64 { re: 3.0, im: 4.0 }.norm(), 5.0);
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Complex64", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Complex64 {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex64 {
    /// The absolute value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::message::types::Complex64 { re: 0.0, im: 2.0 }.norm(), 2.0);
    /// ```
    pub fn norm(self) -> f64 {
        self.re.hypot(self.im)
    }
}

/// A vector of [`Complex32`], 64-byte aligned in a ring record.
///
/// # Examples
///
/// ```
/// use psyne::message::types::{Complex32, Complex32Vector};
///
/// let (mut tx, mut rx) = psyne::channel::<Complex32Vector>().bytes(4096).spsc()?;
/// let mut v = tx.try_reserve_len(2)?;
/// v.data[1] = Complex32 { re: 1.0, im: -1.0 };
/// v.commit();
/// assert_eq!(rx.try_recv()?.data[1].im, -1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Complex32Vector", version = 1)]
#[derive(Debug)]
pub struct Complex32Vector {
    /// Number of elements.
    #[psyne(len)]
    pub len: u32,
    /// Reserved, zero.
    pub _reserved: [u32; 15],
    /// The elements.
    pub data: [Complex32],
}

/// A vector of [`Complex64`], 64-byte aligned in a ring record.
///
/// # Examples
///
/// ```
/// use psyne::message::types::{Complex64, Complex64Vector};
///
/// let (mut tx, mut rx) = psyne::channel::<Complex64Vector>().bytes(4096).spsc()?;
/// let mut v = tx.try_reserve_len(1)?;
/// v.data[0] = Complex64 { re: 2.0, im: 0.5 };
/// v.commit();
/// assert_eq!(rx.try_recv()?.data[0].re, 2.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Complex64Vector", version = 1)]
#[derive(Debug)]
pub struct Complex64Vector {
    /// Number of elements.
    #[psyne(len)]
    pub len: u64,
    /// Reserved, zero.
    pub _reserved: [u64; 7],
    /// The elements.
    pub data: [Complex64],
}
