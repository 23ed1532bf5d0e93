//! `DoubleMatrix` and the fixed-size geometry types.

use super::invalid;

/// A dense row-major matrix of `f64`, 64-byte aligned in a ring record.
///
/// The record's element count is `rows * cols`; the checked views reject a
/// matrix whose dimensions disagree with it.
///
/// # Examples
///
/// ```
/// use psyne::message::types::DoubleMatrix;
///
/// let (mut tx, mut rx) = psyne::channel::<DoubleMatrix>().bytes(1 << 16).spsc()?;
/// let mut m = tx.try_reserve_len(6)?;
/// m.set_shape(2, 3)?;
/// m.row_mut(1).unwrap().copy_from_slice(&[4.0, 5.0, 6.0]);
/// m.commit();
/// let m = rx.try_recv()?;
/// assert_eq!((m.rows, m.cols, m.get(1, 2)), (2, 3, Some(6.0)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(
    crate = "crate",
    name = "psyne.DoubleMatrix",
    version = 1,
    validate = DoubleMatrix::check
)]
#[derive(Debug)]
pub struct DoubleMatrix {
    /// Number of rows.
    pub rows: u64,
    /// Number of columns.
    pub cols: u64,
    /// Reserved, zero.
    pub _reserved: [u64; 6],
    /// The elements, row after row.
    pub data: [f64],
}

impl DoubleMatrix {
    fn check(&self) -> Result<(), &'static str> {
        match self.rows.checked_mul(self.cols) {
            Some(n) if n == self.data.len() as u64 => Ok(()),
            _ => Err("`rows * cols` differs from the number of elements"),
        }
    }

    /// Sets the dimensions.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`](crate::message::ViewError::Invalid) if
    /// `rows * cols` is not the number of elements; nothing is changed then.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::DoubleMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let m = DoubleMatrix::init_in(&mut buf.0, 4)?;
    /// m.set_shape(2, 2)?;
    /// assert!(m.set_shape(3, 2).is_err());
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn set_shape(&mut self, rows: u64, cols: u64) -> Result<(), crate::message::ViewError> {
        match rows.checked_mul(cols) {
            Some(n) if n == self.data.len() as u64 => {
                (self.rows, self.cols) = (rows, cols);
                Ok(())
            }
            _ => Err(invalid("`rows * cols` differs from the number of elements")),
        }
    }

    /// The element at `(row, col)`, if inside the matrix.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::DoubleMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let m = DoubleMatrix::init_in(&mut buf.0, 4)?;
    /// m.set_shape(2, 2)?;
    /// m.data[3] = 1.0;
    /// assert_eq!((m.get(1, 1), m.get(2, 0)), (Some(1.0), None));
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn get(&self, row: u64, col: u64) -> Option<f64> {
        if row >= self.rows || col >= self.cols {
            return None;
        }
        let i = row.checked_mul(self.cols)?.checked_add(col)?;
        self.data.get(usize::try_from(i).ok()?).copied()
    }

    /// Row `i` as a slice; `None` if `i` is not below `rows` or the row
    /// lies outside the elements (dimensions that disagree with the element
    /// count, which the checked views rule out).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::DoubleMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let m = DoubleMatrix::init_in(&mut buf.0, 4)?;
    /// m.set_shape(2, 2)?;
    /// m.data.copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!(m.row(1), Some(&[3.0, 4.0][..]));
    /// assert_eq!(m.row(2), None);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn row(&self, i: u64) -> Option<&[f64]> {
        let range = self.row_range(i)?;
        self.data.get(range)
    }

    /// Row `i` as a slice, for writing; `None` as for [`row`](Self::row).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::DoubleMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let m = DoubleMatrix::init_in(&mut buf.0, 4)?;
    /// m.set_shape(2, 2)?;
    /// m.row_mut(0).unwrap().fill(7.0);
    /// assert_eq!(m.data, [7.0, 7.0, 0.0, 0.0]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn row_mut(&mut self, i: u64) -> Option<&mut [f64]> {
        let range = self.row_range(i)?;
        self.data.get_mut(range)
    }

    fn row_range(&self, i: u64) -> Option<std::ops::Range<usize>> {
        if i >= self.rows {
            return None;
        }
        let start = i.checked_mul(self.cols)?;
        let end = start.checked_add(self.cols)?;
        Some(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }

    /// An `ndarray` view of the matrix.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`](crate::message::ViewError::Invalid) if the
    /// dimensions disagree with the element count.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::DoubleMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let m = DoubleMatrix::init_in(&mut buf.0, 6)?;
    /// m.set_shape(2, 3)?;
    /// m.data[5] = 9.0;
    /// let a = m.as_array()?;
    /// assert_eq!(a[[1, 2]], 9.0);
    /// assert_eq!(a.shape(), [2, 3]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    #[cfg(feature = "ndarray")]
    pub fn as_array(&self) -> Result<ndarray::ArrayView2<'_, f64>, crate::message::ViewError> {
        let (rows, cols) = self.dims()?;
        ndarray::ArrayView2::from_shape((rows, cols), &self.data)
            .map_err(|_| invalid("`rows * cols` differs from the number of elements"))
    }

    /// A mutable `ndarray` view of the matrix.
    ///
    /// # Errors
    ///
    /// As [`as_array`](Self::as_array).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::DoubleMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 256]);
    /// let mut buf = Buf([0; 256]);
    /// let m = DoubleMatrix::init_in(&mut buf.0, 4)?;
    /// m.set_shape(2, 2)?;
    /// m.as_array_mut()?.fill(1.0);
    /// assert_eq!(m.data, [1.0; 4]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    #[cfg(feature = "ndarray")]
    pub fn as_array_mut(
        &mut self,
    ) -> Result<ndarray::ArrayViewMut2<'_, f64>, crate::message::ViewError> {
        let (rows, cols) = self.dims()?;
        ndarray::ArrayViewMut2::from_shape((rows, cols), &mut self.data)
            .map_err(|_| invalid("`rows * cols` differs from the number of elements"))
    }

    #[cfg(feature = "ndarray")]
    fn dims(&self) -> Result<(usize, usize), crate::message::ViewError> {
        let too_big = || invalid("matrix dimensions exceed the address space");
        Ok((
            usize::try_from(self.rows).map_err(|_| too_big())?,
            usize::try_from(self.cols).map_err(|_| too_big())?,
        ))
    }
}

/// A 3-vector of `f32`.
///
/// # Examples
///
/// ```
/// use psyne::message::types::Vec3f;
/// let (mut tx, mut rx) = psyne::channel::<Vec3f>().capacity(4).spsc()?;
/// tx.try_send(Vec3f { x: 1.0, y: 2.0, z: 3.0 })?;
/// assert_eq!(rx.try_recv()?.z, 3.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Vec3f", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec3f {
    /// x
    pub x: f32,
    /// y
    pub y: f32,
    /// z
    pub z: f32,
}

/// A 4-vector of `f32` (e.g. homogeneous coordinates).
///
/// # Examples
///
/// ```
/// use psyne::message::types::Vec4f;
/// let v = Vec4f { x: 1.0, y: 2.0, z: 3.0, w: 1.0 };
/// assert_eq!(v.w, 1.0);
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Vec4f", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec4f {
    /// x
    pub x: f32,
    /// y
    pub y: f32,
    /// z
    pub z: f32,
    /// w
    pub w: f32,
}

/// A row-major 3×3 matrix of `f32`.
///
/// # Examples
///
/// ```
/// use psyne::message::types::{Matrix3x3f, Vec3f};
/// let v = Vec3f { x: 1.0, y: 2.0, z: 3.0 };
/// assert_eq!(Matrix3x3f::IDENTITY.transform(v), v);
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Matrix3x3f", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Matrix3x3f {
    /// Rows.
    pub m: [[f32; 3]; 3],
}

impl Matrix3x3f {
    /// The identity matrix.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::message::types::Matrix3x3f::IDENTITY.m[1], [0.0, 1.0, 0.0]);
    /// ```
    pub const IDENTITY: Self = Self { m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] };

    /// `self * v`.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::{Matrix3x3f, Vec3f};
    /// let double = Matrix3x3f { m: [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]] };
    /// assert_eq!(double.transform(Vec3f { x: 1.0, y: 0.0, z: -1.0 }).z, -2.0);
    /// ```
    pub fn transform(&self, v: Vec3f) -> Vec3f {
        let r = |i: usize| self.m[i][0] * v.x + self.m[i][1] * v.y + self.m[i][2] * v.z;
        Vec3f { x: r(0), y: r(1), z: r(2) }
    }
}

/// A row-major 4×4 matrix of `f32` (e.g. a transform).
///
/// # Examples
///
/// ```
/// use psyne::message::types::{Matrix4x4f, Vec4f};
/// let mut t = Matrix4x4f::IDENTITY;
/// t.m[0][3] = 5.0; // translate x by 5
/// let p = t.transform(Vec4f { x: 1.0, y: 0.0, z: 0.0, w: 1.0 });
/// assert_eq!(p.x, 6.0);
/// ```
#[psyne_macros::message(crate = "crate", name = "psyne.Matrix4x4f", version = 1)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Matrix4x4f {
    /// Rows.
    pub m: [[f32; 4]; 4],
}

impl Matrix4x4f {
    /// The identity matrix.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::message::types::Matrix4x4f::IDENTITY.m[3], [0.0, 0.0, 0.0, 1.0]);
    /// ```
    pub const IDENTITY: Self = Self {
        m: [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
    };

    /// `self * v`.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::{Matrix4x4f, Vec4f};
    /// let v = Vec4f { x: 1.0, y: 2.0, z: 3.0, w: 1.0 };
    /// assert_eq!(Matrix4x4f::IDENTITY.transform(v), v);
    /// ```
    pub fn transform(&self, v: Vec4f) -> Vec4f {
        let r = |i: usize| {
            self.m[i][0] * v.x + self.m[i][1] * v.y + self.m[i][2] * v.z + self.m[i][3] * v.w
        };
        Vec4f { x: r(0), y: r(1), z: r(2), w: r(3) }
    }
}
