//! Quantized vectors: `Int8Vector` and `UInt8Vector`.
//!
//! A value `x` is stored as `q = round(x / scale) + zero_point`, clamped to
//! the element type, and read back as `(q - zero_point) * scale`. The
//! header fields are align-1 little-endian numbers, so the byte elements
//! follow the 64-byte header without padding.

// zerocopy's `KnownLayout` derive emits a helper struct with the fields'
// visibility; expanded from this file's `macro_rules!`, the lint sees it as
// a public type of this crate. Every public type here derives `Debug`.
#![allow(missing_debug_implementations)]

use crate::message::le;

fn finite_scale(scale: f32) -> Result<(), &'static str> {
    if scale.is_finite() && scale > 0.0 {
        Ok(())
    } else {
        Err("the quantization scale must be finite and positive")
    }
}

macro_rules! quantized {
    (
        $(#[$doc:meta])*
        $name:ident, $schema:literal, $elem:ty, $min:expr, $max:expr
    ) => {
        $(#[$doc])*
        #[psyne_macros::message(crate = "crate", name = $schema, version = 1, validate = $name::check)]
        #[derive(Debug)]
        pub struct $name {
            /// Quantization step (finite, positive).
            pub scale: le::F32,
            /// The stored value of 0.0.
            pub zero_point: le::I32,
            /// Reserved, zero.
            pub _reserved: [u8; 56],
            /// The quantized values.
            pub data: [$elem],
        }

        impl $name {
            fn check(&self) -> Result<(), &'static str> {
                finite_scale(self.scale.get())
            }

            /// Sets the quantization parameters.
            ///
            /// # Errors
            ///
            /// [`ViewError::Invalid`](crate::message::ViewError::Invalid) if
            /// `scale` is not finite and positive; nothing is changed then.
            ///
            /// # Examples
            ///
            /// ```
            /// #[repr(C, align(64))]
            /// struct Buf([u8; 128]);
            /// let mut buf = Buf([0; 128]);
            #[doc = concat!("let v = psyne::message::types::", stringify!($name), "::init_in(&mut buf.0, 2)?;")]
            /// assert!(v.set_params(f32::NAN, 0).is_err());
            /// v.set_params(0.5, 1)?;
            /// assert_eq!((v.scale.get(), v.zero_point.get()), (0.5, 1));
            /// # Ok::<(), psyne::message::ViewError>(())
            /// ```
            pub fn set_params(
                &mut self,
                scale: f32,
                zero_point: i32,
            ) -> Result<(), crate::message::ViewError> {
                finite_scale(scale).map_err(super::invalid)?;
                self.scale = le::F32::new(scale);
                self.zero_point = le::I32::new(zero_point);
                Ok(())
            }

            /// Quantizes `src` into the elements (over the shorter length)
            /// with the current parameters. NaN becomes the zero point.
            ///
            /// # Examples
            ///
            /// ```
            /// #[repr(C, align(64))]
            /// struct Buf([u8; 128]);
            /// let mut buf = Buf([0; 128]);
            #[doc = concat!("let v = psyne::message::types::", stringify!($name), "::init_in(&mut buf.0, 2)?;")]
            /// v.set_params(0.5, 0)?;
            /// v.quantize_from(&[1.0, f32::NAN]);
            /// assert_eq!(v.data, [2, 0]);
            /// # Ok::<(), psyne::message::ViewError>(())
            /// ```
            pub fn quantize_from(&mut self, src: &[f32]) {
                let (scale, zp) = (self.scale.get(), self.zero_point.get() as f32);
                for (q, &x) in self.data.iter_mut().zip(src) {
                    let v = (x / scale).round() + zp;
                    let v = if v.is_nan() { zp } else { v };
                    *q = v.clamp($min as f32, $max as f32) as $elem;
                }
            }

            /// Dequantizes the elements into `dst` (over the shorter length).
            ///
            /// # Examples
            ///
            /// ```
            /// #[repr(C, align(64))]
            /// struct Buf([u8; 128]);
            /// let mut buf = Buf([0; 128]);
            #[doc = concat!("let v = psyne::message::types::", stringify!($name), "::init_in(&mut buf.0, 2)?;")]
            /// v.set_params(0.25, 0)?;
            /// v.data.copy_from_slice(&[4, 8]);
            /// let mut out = [0.0; 2];
            /// v.dequantize_into(&mut out);
            /// assert_eq!(out, [1.0, 2.0]);
            /// # Ok::<(), psyne::message::ViewError>(())
            /// ```
            pub fn dequantize_into(&self, dst: &mut [f32]) {
                for (x, &q) in dst.iter_mut().zip(&self.data) {
                    *x = self.dequantize(q);
                }
            }

            /// The element at `i`, dequantized.
            ///
            /// # Examples
            ///
            /// ```
            /// #[repr(C, align(64))]
            /// struct Buf([u8; 128]);
            /// let mut buf = Buf([0; 128]);
            #[doc = concat!("let v = psyne::message::types::", stringify!($name), "::init_in(&mut buf.0, 2)?;")]
            /// v.set_params(2.0, 1)?;
            /// v.data[1] = 3;
            /// assert_eq!((v.get(1), v.get(2)), (Some(4.0), None));
            /// # Ok::<(), psyne::message::ViewError>(())
            /// ```
            pub fn get(&self, i: usize) -> Option<f32> {
                Some(self.dequantize(*self.data.get(i)?))
            }

            /// `(q - zero_point) * scale`, in `i64` so that no zero point
            /// (they come from other processes too) can overflow it.
            fn dequantize(&self, q: $elem) -> f32 {
                (i64::from(q) - i64::from(self.zero_point.get())) as f32 * self.scale.get()
            }
        }
    };
}

quantized! {
    /// A vector of `i8` with a scale and a zero point (symmetric or affine
    /// int8 quantization).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::Int8Vector;
    ///
    /// let (mut tx, mut rx) = psyne::channel::<Int8Vector>().bytes(4096).spsc()?;
    /// let src = [0.5f32, -1.0, 0.25];
    /// let (scale, zero_point) = Int8Vector::fit(&src);
    /// let mut v = tx.try_reserve_len(src.len())?;
    /// v.set_params(scale, zero_point)?;
    /// v.quantize_from(&src);
    /// v.commit();
    ///
    /// let v = rx.try_recv()?;
    /// let mut back = [0.0f32; 3];
    /// v.dequantize_into(&mut back);
    /// for (a, b) in src.iter().zip(back) {
    ///     assert!((a - b).abs() <= scale / 2.0);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Int8Vector, "psyne.Int8Vector", i8, i8::MIN, i8::MAX
}

quantized! {
    /// A vector of `u8` with a scale and a zero point (affine uint8
    /// quantization).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::UInt8Vector;
    ///
    /// let (mut tx, mut rx) = psyne::channel::<UInt8Vector>().bytes(4096).spsc()?;
    /// let src = [0.0f32, 1.0, 2.0, 4.0];
    /// let (scale, zero_point) = UInt8Vector::fit(&src);
    /// let mut v = tx.try_reserve_len(src.len())?;
    /// v.set_params(scale, zero_point)?;
    /// v.quantize_from(&src);
    /// v.commit();
    ///
    /// let v = rx.try_recv()?;
    /// assert_eq!(v.data[3], 255);
    /// assert!((v.get(2).unwrap() - 2.0).abs() <= scale / 2.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    UInt8Vector, "psyne.UInt8Vector", u8, u8::MIN, u8::MAX
}

impl Int8Vector {
    /// Symmetric parameters for `src`: `scale = max|x| / 127`, zero point 0
    /// (scale 1 for an empty or all-zero input).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::Int8Vector;
    /// assert_eq!(Int8Vector::fit(&[-2.54, 1.0]), (0.02, 0));
    /// ```
    pub fn fit(src: &[f32]) -> (f32, i32) {
        let max = src.iter().filter(|x| x.is_finite()).fold(0.0f32, |m, x| m.max(x.abs()));
        if max > 0.0 { (max / 127.0, 0) } else { (1.0, 0) }
    }
}

impl UInt8Vector {
    /// Affine parameters covering `[min(src, 0), max(src, 0)]` in 0..=255.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::UInt8Vector;
    /// let (scale, zp) = UInt8Vector::fit(&[-1.0, 3.0]);
    /// assert_eq!(zp, 64); // round(1 / (4 / 255)) = round(63.75)
    /// assert!((scale - 4.0 / 255.0).abs() < 1e-7);
    /// ```
    pub fn fit(src: &[f32]) -> (f32, i32) {
        let finite = src.iter().copied().filter(|x| x.is_finite());
        let (lo, hi) = finite.fold((0.0f32, 0.0f32), |(lo, hi), x| (lo.min(x), hi.max(x)));
        if hi > lo {
            let scale = (hi - lo) / 255.0;
            (scale, (-lo / scale).round() as i32)
        } else {
            (1.0, 0)
        }
    }
}
