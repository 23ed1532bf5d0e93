//! `Tensor`: an n-dimensional array of one of eight element types.

use std::fmt;
use std::ops::Deref;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::invalid;
use crate::message::{ViewError, le};

/// Most dimensions a [`Tensor`] can have.
const MAX_RANK: usize = 8;

/// The element type of a [`Tensor`].
///
/// # Examples
///
/// ```
/// use psyne::message::types::DType;
/// assert_eq!(DType::F32.size(), 4);
/// assert_eq!(DType::from_code(DType::BF16.code()), Some(DType::BF16));
/// assert_eq!(DType::from_code(0), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// IEEE half precision (`half::f16` with feature `half`)
    F16,
    /// bfloat16 (`half::bf16` with feature `half`)
    BF16,
    /// `i8`
    I8,
    /// `u8`
    U8,
    /// `i32`
    I32,
    /// `i64`
    I64,
}

impl DType {
    const ALL: [DType; 8] = [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::I8,
        DType::U8,
        DType::I32,
        DType::I64,
    ];

    /// The code stored in a tensor's `dtype` byte.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::message::types::DType::F32.code(), 1);
    /// ```
    pub const fn code(self) -> u8 {
        match self {
            DType::F32 => 1,
            DType::F64 => 2,
            DType::F16 => 3,
            DType::BF16 => 4,
            DType::I8 => 5,
            DType::U8 => 6,
            DType::I32 => 7,
            DType::I64 => 8,
        }
    }

    /// The element type with `code`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::DType;
    /// assert_eq!(DType::from_code(2), Some(DType::F64));
    /// ```
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// Size of one element in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::message::types::DType::I64.size(), 8);
    /// ```
    pub const fn size(self) -> usize {
        match self {
            DType::I8 | DType::U8 => 1,
            DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
            DType::F64 | DType::I64 => 8,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::I8 => "i8",
            DType::U8 => "u8",
            DType::I32 => "i32",
            DType::I64 => "i64",
        };
        f.write_str(name)
    }
}

/// A Rust type a [`Tensor`]'s data can be viewed as.
///
/// # Examples
///
/// ```
/// use psyne::message::types::{DType, TensorElem};
/// assert_eq!(<f32 as TensorElem>::DTYPE, DType::F32);
/// ```
pub trait TensorElem: FromBytes + IntoBytes + Immutable + KnownLayout + Copy {
    /// The matching element type.
    const DTYPE: DType;
}

macro_rules! tensor_elem {
    ($($ty:ty => $dtype:ident),* $(,)?) => {$(
        impl TensorElem for $ty {
            const DTYPE: DType = DType::$dtype;
        }
    )*};
}

tensor_elem!(f32 => F32, f64 => F64, i8 => I8, u8 => U8, i32 => I32, i64 => I64);
#[cfg(feature = "half")]
tensor_elem!(half::f16 => F16, half::bf16 => BF16);

/// Up to eight dimensions (a tensor's shape or strides), by value.
///
/// # Examples
///
/// ```
/// # use psyne::message::types::{DType, Tensor};
/// #[repr(C, align(64))]
/// struct Buf([u8; 256]);
/// let mut buf = Buf([0; 256]);
/// let t = Tensor::init_in(&mut buf.0, 24)?;
/// t.set_layout(DType::F32, &[2, 3])?;
/// assert_eq!(*t.shape(), [2, 3]);
/// assert_eq!(*t.strides(), [3, 1]);
/// # Ok::<(), psyne::message::ViewError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims<T> {
    len: usize,
    dims: [T; MAX_RANK],
}

impl<T> Deref for Dims<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.dims[..self.len]
    }
}

/// A dense n-dimensional array (rank ≤ 8) of one [`DType`], with its data
/// 64-byte aligned in a ring record.
///
/// The trailing array holds the raw bytes; typed views ([`as_slice`]) check
/// the dtype. Shape and strides are in elements (strides non-negative);
/// the checked views reject a tensor whose shape disagrees with its byte
/// length, an unknown dtype, a rank above 8, or strides that reach outside
/// the data.
///
/// [`as_slice`]: Tensor::as_slice
///
/// # Examples
///
/// ```
/// use psyne::message::types::{DType, Tensor};
///
/// let (mut tx, mut rx) = psyne::channel::<Tensor>().bytes(1 << 16).spsc()?;
/// let mut t = tx.try_reserve_len(2 * 3 * 4)?; // bytes
/// t.set_layout(DType::F32, &[2, 3])?;
/// t.as_mut_slice::<f32>()?.copy_from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// t.commit();
///
/// let t = rx.try_recv()?;
/// assert_eq!((t.dtype()?, t.rank()), (DType::F32, 2));
/// assert_eq!(t.as_slice::<f32>()?[4], 5.0);
/// assert!(t.as_slice::<i32>().is_err()); // wrong dtype
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Tensor", version = 1, validate = Tensor::check)]
#[derive(Debug)]
pub struct Tensor {
    /// The element type's [code](DType::code).
    pub dtype: u8,
    /// Number of dimensions (at most 8).
    pub rank: u8,
    /// Reserved, zero.
    pub _reserved0: [u8; 6],
    /// Dimensions; those past `rank` are zero.
    pub shape_raw: [le::U64; 8],
    /// Strides in elements; those past `rank` are zero.
    pub strides_raw: [le::I64; 8],
    /// Reserved, zero (pads the header to 192 bytes).
    pub _reserved: [u8; 56],
    /// The elements' bytes.
    pub data: [u8],
}

impl Tensor {
    fn check(&self) -> Result<(), &'static str> {
        let dtype = DType::from_code(self.dtype).ok_or("unknown tensor dtype")?;
        let rank = usize::from(self.rank);
        if rank > MAX_RANK {
            return Err("tensor rank above 8");
        }
        let mut elems: u64 = 1;
        for d in &self.shape_raw[..rank] {
            elems = elems.checked_mul(d.get()).ok_or("tensor shape overflows")?;
        }
        let bytes = elems.checked_mul(dtype.size() as u64).ok_or("tensor shape overflows")?;
        if bytes != self.data.len() as u64 {
            return Err("tensor shape disagrees with its byte length");
        }
        if self.shape_raw[rank..].iter().any(|d| d.get() != 0)
            || self.strides_raw[rank..].iter().any(|s| s.get() != 0)
        {
            return Err("tensor dimensions past `rank` must be zero");
        }
        if elems == 0 {
            return Ok(());
        }
        // The farthest element: every index at its maximum.
        let mut last: u64 = 0;
        for (d, s) in self.shape_raw[..rank].iter().zip(&self.strides_raw[..rank]) {
            let s = u64::try_from(s.get()).map_err(|_| "tensor strides must be non-negative")?;
            let reach = (d.get() - 1).checked_mul(s).ok_or("tensor strides overflow")?;
            last = last.checked_add(reach).ok_or("tensor strides overflow")?;
        }
        if last >= elems {
            return Err("tensor strides reach outside its data");
        }
        Ok(())
    }

    /// Byte length of a tensor of `dtype` with `shape` (the `elems` to pass
    /// to `reserve_len`), or `None` if it overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::{DType, Tensor};
    /// assert_eq!(Tensor::data_len(DType::F64, &[2, 5]), Some(80));
    /// ```
    pub fn data_len(dtype: DType, shape: &[u64]) -> Option<usize> {
        let elems = shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d))?;
        usize::try_from(elems).ok()?.checked_mul(dtype.size())
    }

    /// Sets dtype, shape and contiguous row-major strides.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`] if the rank is above 8 or the shape does not
    /// fill the tensor's bytes exactly; nothing is changed then.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 16)?;
    /// assert!(t.set_layout(DType::F32, &[3]).is_err()); // 12 bytes, not 16
    /// t.set_layout(DType::F32, &[2, 2])?;
    /// assert_eq!(*t.shape(), [2, 2]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn set_layout(&mut self, dtype: DType, shape: &[u64]) -> Result<(), ViewError> {
        if shape.len() > MAX_RANK {
            return Err(invalid("tensor rank above 8"));
        }
        if Self::data_len(dtype, shape) != Some(self.data.len()) {
            return Err(invalid("tensor shape disagrees with its byte length"));
        }
        self.dtype = dtype.code();
        self.rank = shape.len() as u8;
        self.shape_raw = [le::U64::ZERO; MAX_RANK];
        self.strides_raw = [le::I64::ZERO; MAX_RANK];
        let mut stride: u64 = 1;
        for i in (0..shape.len()).rev() {
            self.shape_raw[i] = le::U64::new(shape[i]);
            // `stride` is at most the element count, which fits `usize`.
            self.strides_raw[i] = le::I64::new(stride as i64);
            stride = stride.saturating_mul(shape[i]);
        }
        Ok(())
    }

    /// The element type.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`] for an unknown dtype code.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 8)?;
    /// assert!(t.dtype().is_err()); // zeroed: no dtype yet
    /// t.set_layout(DType::I64, &[1])?;
    /// assert_eq!(t.dtype()?, DType::I64);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn dtype(&self) -> Result<DType, ViewError> {
        DType::from_code(self.dtype).ok_or(invalid("unknown tensor dtype"))
    }

    /// Number of dimensions.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 8)?;
    /// t.set_layout(DType::U8, &[2, 2, 2])?;
    /// assert_eq!(t.rank(), 3);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn rank(&self) -> usize {
        usize::from(self.rank).min(MAX_RANK)
    }

    /// The shape (`rank` dimensions).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 6)?;
    /// t.set_layout(DType::U8, &[3, 2])?;
    /// assert_eq!(*t.shape(), [3, 2]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn shape(&self) -> Dims<u64> {
        Dims { len: self.rank(), dims: self.shape_raw.map(|d| d.get()) }
    }

    /// The strides in elements (`rank` of them).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 24)?;
    /// t.set_layout(DType::U8, &[2, 3, 4])?;
    /// assert_eq!(*t.strides(), [12, 4, 1]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn strides(&self) -> Dims<i64> {
        Dims { len: self.rank(), dims: self.strides_raw.map(|s| s.get()) }
    }

    fn typed_check<E: TensorElem>(&self) -> Result<(), ViewError> {
        if self.dtype()? != E::DTYPE {
            return Err(invalid("the tensor's dtype is not the requested element type"));
        }
        Ok(())
    }

    /// The data as a slice of `E`, which must match the dtype.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`] if the dtype differs; [`ViewError::Misaligned`]
    /// if the data is not aligned for `E` (it always is in a ring record).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 8)?;
    /// t.set_layout(DType::I32, &[2])?;
    /// t.as_mut_slice::<i32>()?[1] = -7;
    /// assert_eq!(t.as_slice::<i32>()?, [0, -7]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn as_slice<E: TensorElem>(&self) -> Result<&[E], ViewError> {
        self.typed_check::<E>()?;
        <[E]>::ref_from_bytes(&self.data)
            .map_err(|_| ViewError::Misaligned { align: align_of::<E>() })
    }

    /// The data as a mutable slice of `E`; see [`as_slice`](Self::as_slice).
    ///
    /// # Errors
    ///
    /// As [`as_slice`](Self::as_slice).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 16)?;
    /// t.set_layout(DType::F64, &[2])?;
    /// t.as_mut_slice::<f64>()?.fill(0.5);
    /// assert_eq!(t.as_slice::<f64>()?.iter().sum::<f64>(), 1.0);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn as_mut_slice<E: TensorElem>(&mut self) -> Result<&mut [E], ViewError> {
        self.typed_check::<E>()?;
        <[E]>::mut_from_bytes(&mut self.data)
            .map_err(|_| ViewError::Misaligned { align: align_of::<E>() })
    }

    /// An `ndarray` view with the tensor's shape and strides.
    ///
    /// # Errors
    ///
    /// As [`as_slice`](Self::as_slice), and [`ViewError::Invalid`] if the
    /// shape and strides do not describe the data (the checked views rule
    /// that out).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::{DType, Tensor};
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let t = Tensor::init_in(&mut buf.0, 24)?;
    /// t.set_layout(DType::F32, &[2, 3])?;
    /// t.as_mut_slice::<f32>()?[5] = 1.0;
    /// let a = t.as_array::<f32>()?;
    /// assert_eq!(a[[1, 2]], 1.0);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    #[cfg(feature = "ndarray")]
    pub fn as_array<E: TensorElem>(&self) -> Result<ndarray::ArrayViewD<'_, E>, ViewError> {
        let (shape, strides) = self.nd_layout()?;
        let data = self.as_slice::<E>()?;
        ndarray::ArrayViewD::from_shape(
            ndarray::IxDyn(&shape).strides(ndarray::IxDyn(&strides)),
            data,
        )
        .map_err(|_| invalid("tensor shape and strides do not describe its data"))
    }

    #[cfg(feature = "ndarray")]
    fn nd_layout(&self) -> Result<(Vec<usize>, Vec<usize>), ViewError> {
        let too_big = || invalid("tensor dimensions exceed the address space");
        let (shape, strides) = (self.shape(), self.strides());
        let shape = shape.iter().map(|&d| usize::try_from(d).map_err(|_| too_big()));
        let strides = strides.iter().map(|&s| usize::try_from(s).map_err(|_| too_big()));
        Ok((shape.collect::<Result<_, _>>()?, strides.collect::<Result<_, _>>()?))
    }
}

#[cfg(feature = "ndarray")]
use ndarray::ShapeBuilder;
