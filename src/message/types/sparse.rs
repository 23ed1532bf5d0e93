//! `SparseMatrix`: compressed sparse rows in one record.

use zerocopy::{FromBytes, IntoBytes};

use super::invalid;
use crate::message::ViewError;

/// Words per 64-byte line: each section starts on a line of its own.
const LINE_WORDS: usize = 16;

fn round_up(n: usize) -> Option<usize> {
    n.checked_next_multiple_of(LINE_WORDS)
}

/// Where the three sections start, in words, and the total word count.
fn sections(rows: u32, nnz: u32) -> Option<(usize, usize, usize)> {
    let row_ptr_words = usize::try_from(rows).ok()?.checked_add(1)?;
    let nnz = usize::try_from(nnz).ok()?;
    let col_idx = round_up(row_ptr_words)?;
    let values = col_idx.checked_add(round_up(nnz)?)?;
    Some((col_idx, values, values.checked_add(nnz)?))
}

/// A CSR sparse matrix of `f32` (`u32` indices): `row_ptr`, `col_idx` and
/// `values` in one record, each section 64-byte aligned.
///
/// Reserve it with [`SparseMatrix::words`]`(rows, nnz)` elements, then set
/// the dimensions with [`set_dims`](Self::set_dims) and fill the sections
/// from [`parts_mut`](Self::parts_mut). The checked views reject a matrix
/// whose sections do not fit its length, whose `row_ptr` does not start at
/// 0, decreases, or does not end at `nnz`, or with a column index out of
/// range.
///
/// # Examples
///
/// ```
/// use psyne::message::types::SparseMatrix;
///
/// // [[1, 0, 2],
/// //  [0, 0, 3]]
/// let (mut tx, mut rx) = psyne::channel::<SparseMatrix>().bytes(1 << 12).spsc()?;
/// let mut m = tx.try_reserve_len(SparseMatrix::words(2, 3).unwrap())?;
/// m.set_dims(2, 3, 3)?;
/// let (row_ptr, col_idx, values) = m.parts_mut();
/// row_ptr.copy_from_slice(&[0, 2, 3]);
/// col_idx.copy_from_slice(&[0, 2, 2]);
/// values.copy_from_slice(&[1.0, 2.0, 3.0]);
/// m.commit();
///
/// let m = rx.try_recv()?;
/// let mut y = [0.0; 2];
/// m.mul_vec(&[1.0, 1.0, 1.0], &mut y)?;
/// assert_eq!(y, [3.0, 3.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[psyne_macros::message(
    crate = "crate",
    name = "psyne.SparseMatrix",
    version = 1,
    validate = SparseMatrix::check
)]
#[derive(Debug)]
pub struct SparseMatrix {
    /// Number of rows.
    pub rows: u32,
    /// Number of columns.
    pub cols: u32,
    /// Number of stored (non-zero) entries.
    pub nnz: u32,
    /// Reserved, zero.
    pub _reserved: [u32; 13],
    /// `row_ptr`, `col_idx` and the bits of `values`, each section padded
    /// to 16 words.
    pub data: [u32],
}

impl SparseMatrix {
    /// The element count (words) of a record for `rows` rows and `nnz`
    /// entries, or `None` if it overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// // row_ptr 3 words -> 16, col_idx 3 -> 16, values 3.
    /// assert_eq!(psyne::message::types::SparseMatrix::words(2, 3), Some(35));
    /// ```
    pub fn words(rows: u32, nnz: u32) -> Option<usize> {
        sections(rows, nnz).map(|(_, _, total)| total)
    }

    fn check(&self) -> Result<(), &'static str> {
        let Some((c, _, total)) = sections(self.rows, self.nnz) else {
            return Err("sparse matrix dimensions overflow");
        };
        if total != self.data.len() {
            return Err("sparse matrix sections do not fit its length");
        }
        let row_ptr = &self.data[..self.rows as usize + 1];
        if row_ptr[0] != 0 || row_ptr[self.rows as usize] != self.nnz {
            return Err("sparse matrix `row_ptr` must start at 0 and end at `nnz`");
        }
        if row_ptr.windows(2).any(|w| w[0] > w[1]) {
            return Err("sparse matrix `row_ptr` decreases");
        }
        if self.data[c..c + self.nnz as usize].iter().any(|&j| j >= self.cols) {
            return Err("sparse matrix column index out of range");
        }
        Ok(())
    }

    /// Sets the dimensions.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`] if a record of this length cannot hold
    /// `rows` rows and `nnz` entries exactly; nothing is changed then.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::SparseMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 512]);
    /// let mut buf = Buf([0; 512]);
    /// let m = SparseMatrix::init_in(&mut buf.0, SparseMatrix::words(4, 2).unwrap())?;
    /// m.set_dims(4, 4, 2)?;
    /// assert!(m.set_dims(4, 4, 3).is_err());
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn set_dims(&mut self, rows: u32, cols: u32, nnz: u32) -> Result<(), ViewError> {
        if Self::words(rows, nnz) != Some(self.data.len()) {
            return Err(invalid("sparse matrix sections do not fit its length"));
        }
        (self.rows, self.cols, self.nnz) = (rows, cols, nnz);
        Ok(())
    }

    /// Section bounds for the current dimensions, if they fit.
    fn bounds(&self) -> (usize, usize, usize) {
        match sections(self.rows, self.nnz) {
            Some((c, v, total)) if total == self.data.len() => (self.rows as usize + 1, c, v),
            // Dimensions that do not fit (a record not yet set up): empty
            // sections rather than a panic.
            _ => (0, 0, 0),
        }
    }

    /// `row_ptr`: `rows + 1` offsets into `col_idx` and `values`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::SparseMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 512]);
    /// let mut buf = Buf([0; 512]);
    /// let m = SparseMatrix::init_in(&mut buf.0, SparseMatrix::words(2, 0).unwrap())?;
    /// m.set_dims(2, 2, 0)?;
    /// assert_eq!(m.row_ptr(), [0, 0, 0]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn row_ptr(&self) -> &[u32] {
        &self.data[..self.bounds().0]
    }

    /// `col_idx`: the column of each entry.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::SparseMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 512]);
    /// let mut buf = Buf([0; 512]);
    /// let m = SparseMatrix::init_in(&mut buf.0, SparseMatrix::words(1, 2).unwrap())?;
    /// m.set_dims(1, 5, 2)?;
    /// m.parts_mut().1.copy_from_slice(&[1, 4]);
    /// assert_eq!(m.col_idx(), [1, 4]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn col_idx(&self) -> &[u32] {
        let (_, c, _) = self.bounds();
        &self.data[c..c + if c == 0 { 0 } else { self.nnz as usize }]
    }

    /// `values`: each entry's value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::SparseMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 512]);
    /// let mut buf = Buf([0; 512]);
    /// let m = SparseMatrix::init_in(&mut buf.0, SparseMatrix::words(1, 1).unwrap())?;
    /// m.set_dims(1, 1, 1)?;
    /// m.parts_mut().2[0] = 2.5;
    /// assert_eq!(m.values(), [2.5]);
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn values(&self) -> &[f32] {
        let (_, c, v) = self.bounds();
        let words = &self.data[v..v + if c == 0 { 0 } else { self.nnz as usize }];
        match <[f32]>::ref_from_bytes(words.as_bytes()) {
            Ok(values) => values,
            // `u32` and `f32` have the same size and alignment.
            Err(_) => &[],
        }
    }

    /// The three sections for writing: `(row_ptr, col_idx, values)`.
    /// All three are empty until [`set_dims`](Self::set_dims) succeeded.
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::SparseMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 512]);
    /// let mut buf = Buf([0; 512]);
    /// let m = SparseMatrix::init_in(&mut buf.0, SparseMatrix::words(1, 1).unwrap())?;
    /// m.set_dims(1, 1, 1)?;
    /// let (row_ptr, col_idx, values) = m.parts_mut();
    /// assert_eq!((row_ptr.len(), col_idx.len(), values.len()), (2, 1, 1));
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn parts_mut(&mut self) -> (&mut [u32], &mut [u32], &mut [f32]) {
        let (r, c, v) = self.bounds();
        let nnz = if c == 0 { 0 } else { self.nnz as usize };
        let (head, values) = self.data.split_at_mut(v);
        let (row_ptr, col_idx) = head.split_at_mut(c);
        let values = <[f32]>::mut_from_bytes(values[..nnz].as_mut_bytes()).unwrap_or_default();
        (&mut row_ptr[..r], &mut col_idx[..nnz], values)
    }

    /// `y = self * x`.
    ///
    /// # Errors
    ///
    /// [`ViewError::Invalid`] if `x` is shorter than `cols`, `y` shorter
    /// than `rows`, or the matrix breaks its invariant (which the checked
    /// views rule out).
    ///
    /// # Examples
    ///
    /// ```
    /// # use psyne::message::types::SparseMatrix;
    /// #[repr(C, align(64))]
    /// struct Buf([u8; 512]);
    /// let mut buf = Buf([0; 512]);
    /// let m = SparseMatrix::init_in(&mut buf.0, SparseMatrix::words(1, 1).unwrap())?;
    /// m.set_dims(1, 2, 1)?;
    /// let (row_ptr, col_idx, values) = m.parts_mut();
    /// (row_ptr[1], col_idx[0], values[0]) = (1, 1, 3.0);
    /// let mut y = [0.0];
    /// m.mul_vec(&[10.0, 2.0], &mut y)?;
    /// assert_eq!(y, [6.0]);
    /// assert!(m.mul_vec(&[1.0], &mut y).is_err()); // `x` shorter than `cols`
    /// # Ok::<(), psyne::message::ViewError>(())
    /// ```
    pub fn mul_vec(&self, x: &[f32], y: &mut [f32]) -> Result<(), ViewError> {
        self.check().map_err(invalid)?;
        if x.len() < self.cols as usize || y.len() < self.rows as usize {
            return Err(invalid("vector shorter than the matrix dimension"));
        }
        let (row_ptr, col_idx, values) = (self.row_ptr(), self.col_idx(), self.values());
        for (i, out) in y[..self.rows as usize].iter_mut().enumerate() {
            let (start, end) = (row_ptr[i] as usize, row_ptr[i + 1] as usize);
            *out = col_idx[start..end]
                .iter()
                .zip(&values[start..end])
                .map(|(&j, &a)| a * x[j as usize])
                .sum();
        }
        Ok(())
    }
}
