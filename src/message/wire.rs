//! `Wire`: the types a message's fields may have.

use zerocopy::byteorder::LittleEndian;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::schema::Fingerprint;

/// A type that may be a field of a psyne message: fixed size on every
/// platform, no pointers, every bit pattern valid, and a stable
/// [fingerprint](Self::TYPE_FINGERPRINT).
///
/// Implemented for `u8`..`u64`, `i8`..`i64`, `f32`, `f64`, `[T; N]` of wire
/// types, the align-1 little-endian wrappers in [`le`](super::le), `f16` and
/// `bf16` (feature `half`), and every sized `#[psyne::message]` type (so
/// messages nest).
///
/// # Safety
///
/// Implementors promise that:
/// - the type's size and layout are the same on every little-endian target
///   psyne supports (no `usize`, no pointers, no references);
/// - its bytes mean the same value in any process that reads them (no
///   process-local handles such as file descriptors or heap pointers);
/// - [`TYPE_FINGERPRINT`](Self::TYPE_FINGERPRINT) changes whenever the meaning of
///   the bytes changes.
///
/// `#[psyne::message]` upholds these for the types it accepts.
///
/// # Examples
///
/// ```
/// use psyne::message::Wire;
/// assert_ne!(u32::TYPE_FINGERPRINT, i32::TYPE_FINGERPRINT);
/// assert_ne!(<[u8; 4]>::TYPE_FINGERPRINT, u32::TYPE_FINGERPRINT);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a psyne message",
    label = "not a wire type",
    note = "message fields may be `u8`..`u64`, `i8`..`i64`, `f32`, `f64`, `[T; N]` of those, \
            the little-endian wrappers in `psyne::message::le`, or other `#[psyne::message]` \
            structs without a trailing array"
)]
pub unsafe trait Wire:
    FromBytes + IntoBytes + Immutable + KnownLayout + Send + Sync + 'static
{
    /// The type's fingerprint: its canonical name hashed, or its schema's
    /// fingerprint for a message.
    const TYPE_FINGERPRINT: u64;
}

macro_rules! wire {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        // SAFETY: a fixed-width primitive (or an `#[repr(transparent)]`
        // little-endian byte array) with the same size and layout on every
        // supported target; its bytes are a plain value.
        unsafe impl Wire for $ty {
            const TYPE_FINGERPRINT: u64 = Fingerprint::new().str($name).finish();
        }
    )*};
}

wire! {
    u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64",
    i8 => "i8", i16 => "i16", i32 => "i32", i64 => "i64",
    f32 => "f32", f64 => "f64",
    le::U16 => "u16le", le::U32 => "u32le", le::U64 => "u64le",
    le::I16 => "i16le", le::I32 => "i32le", le::I64 => "i64le",
    le::F32 => "f32le", le::F64 => "f64le",
}

#[cfg(feature = "half")]
wire! { half::f16 => "f16", half::bf16 => "bf16" }

// SAFETY: an array of wire types has no padding (`[T; N]` is `N`
// consecutive `T`s, Reference "Array layout") and inherits their
// guarantees; the fingerprint hashes the element's and the length.
unsafe impl<T: Wire, const N: usize> Wire for [T; N] {
    const TYPE_FINGERPRINT: u64 =
        Fingerprint::new().str("array").u64(T::TYPE_FINGERPRINT).u64(N as u64).finish();
}

/// Align-1 little-endian numbers (zerocopy's byte-order types, fixed to
/// little-endian). Use them as header fields of a message whose trailing
/// array has narrow elements (`[u8]`, `[i16]`), so that no padding is ever
/// needed between the header and the array.
///
/// # Examples
///
/// ```
/// use psyne::message::le;
/// let n = le::U32::new(7);
/// assert_eq!(n.get(), 7);
/// assert_eq!(align_of::<le::U32>(), 1);
/// ```
pub mod le {
    use super::LittleEndian;

    /// A little-endian `u16` with alignment 1.
    pub type U16 = zerocopy::byteorder::U16<LittleEndian>;
    /// A little-endian `u32` with alignment 1.
    pub type U32 = zerocopy::byteorder::U32<LittleEndian>;
    /// A little-endian `u64` with alignment 1.
    pub type U64 = zerocopy::byteorder::U64<LittleEndian>;
    /// A little-endian `i16` with alignment 1.
    pub type I16 = zerocopy::byteorder::I16<LittleEndian>;
    /// A little-endian `i32` with alignment 1.
    pub type I32 = zerocopy::byteorder::I32<LittleEndian>;
    /// A little-endian `i64` with alignment 1.
    pub type I64 = zerocopy::byteorder::I64<LittleEndian>;
    /// A little-endian `f32` with alignment 1.
    pub type F32 = zerocopy::byteorder::F32<LittleEndian>;
    /// A little-endian `f64` with alignment 1.
    pub type F64 = zerocopy::byteorder::F64<LittleEndian>;
}
