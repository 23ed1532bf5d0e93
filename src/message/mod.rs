//! Messages: the types a channel carries, viewed in place in ring records.
//!
//! A message is a plain, pointer-free, padding-free value whose every bit
//! pattern is valid, with a schema identity. Write one with
//! `#[psyne::message]`: the macro proves the layout with [`zerocopy`]'s
//! derives (so psyne can hand out `&T` and `&mut T` straight into the ring,
//! and later into shared memory, network buffers and GPU memory), computes
//! the schema [fingerprint](Message::FINGERPRINT) that peers compare before
//! exchanging bytes, and generates checked views over foreign bytes.
//!
//! Checked views are for bytes from elsewhere: another process, a socket, a
//! file. Records that a channel's own senders wrote in this process reach
//! receivers without being checked again (their layout is proven by the
//! types); the `len` mirror and `validate` hooks run on checked views.
//! Accessors of the built-in types never panic on inconsistent contents.
//!
//! Primitive numbers, arrays of them and slices of them (`[f32]`, raw
//! `[u8]`) are messages too, and [`types`] has the built-in vectors,
//! matrices, quantized and complex vectors, tensors and sparse matrices.
//!
//! # Examples
//!
//! ```
//! #[psyne::message(name = "ml.Embedding", version = 1)]
//! pub struct Embedding {
//!     pub batch: u32,
//!     #[psyne(len)]
//!     pub len: u32,
//!     pub data: [f32],
//! }
//!
//! // A checked view over bytes from elsewhere (another process, a socket):
//! #[repr(C, align(64))]
//! struct Buf([u8; 64]);
//! let mut buf = Buf([0; 64]);
//! let e = Embedding::init_in(&mut buf.0, 3)?;
//! e.data.copy_from_slice(&[1.0, 2.0, 3.0]);
//! let e = Embedding::view(&buf.0, 3)?;
//! assert_eq!((e.len, e.data.len()), (3, 3));
//! # Ok::<(), psyne::message::ViewError>(())
//! ```

#[doc(hidden)]
pub mod assert;
mod error;
mod registry;
mod schema;
mod table;
pub mod types;
mod wire;

pub use error::ViewError;
pub use registry::{Registry, RegistryError};
pub use schema::{Field, Fingerprint, Schema, SchemaId, WIRE_FORMAT, fnv1a, id_of};
pub use table::{FieldEntry, SchemaDecodeError, SchemaTable};
pub use wire::{Wire, le};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Largest alignment a message may have: ring records (and shared-memory
/// and GPU records) start at 64-byte boundaries.
///
/// # Examples
///
/// ```
/// use psyne::Message;
/// assert!(<psyne::message::types::Matrix4x4f as Message>::ALIGN <= psyne::message::MAX_ALIGN);
/// ```
pub const MAX_ALIGN: usize = 64;

/// Largest sized part (header) a message may have, 64 MiB. Larger payloads
/// belong in a trailing array, whose length is chosen per record.
///
/// # Examples
///
/// ```
/// use psyne::Message;
/// assert!(<[u8; 1 << 20] as Message>::HEADER_SIZE <= psyne::message::MAX_INLINE);
/// ```
pub const MAX_INLINE: usize = 64 << 20;

/// A type that can travel through a psyne channel, viewed in place, with a
/// schema identity.
///
/// Write `#[psyne::message]` on a struct to implement it. psyne implements
/// it for the primitive numbers, `[T; N]` of [`Wire`] types, slices `[E]`
/// of wire types (variable-size records of plain elements, such as `[u8]`
/// for raw bytes) and the built-in [`types`]. Destructors of messages never
/// run: a message is its bytes, and releasing a record only frees the space.
///
/// # Safety
///
/// Implementors promise that the constants describe the type exactly:
/// - [`ALIGN`](Self::ALIGN) is its alignment, [`HEADER_SIZE`](Self::HEADER_SIZE)
///   the size of its sized part (`size_of` for a sized type; for a type
///   ending in a slice, the size with zero elements), and the size with `n`
///   elements is `HEADER_SIZE + n * size_of::<Elem>()` (no trailing padding);
/// - [`Elem`](Self::Elem) is the trailing element type (`()` if sized);
/// - [`SCHEMA`](Self::SCHEMA) lists the fields at their real offsets and
///   sizes, and [`FINGERPRINT`](Self::FINGERPRINT) equals its fingerprint.
///
/// psyne places records and sizes shared-memory segments and network frames
/// from these constants. `#[psyne::message]` derives them from the type
/// itself and asserts them at compile time.
///
/// # Examples
///
/// ```
/// fn ring_of<T: psyne::Message + ?Sized>() -> psyne::Builder<T> {
///     psyne::channel::<T>()
/// }
/// let (_tx, _rx) = ring_of::<[u8; 16]>().capacity(8).spsc()?;
/// let (_tx, _rx) = ring_of::<[u16]>().bytes(1024).spsc()?;
///
/// use psyne::Message;
/// assert_eq!(<[u16]>::HEADER_SIZE, 0);
/// assert_eq!(<[u8; 16]>::ALIGN, 1);
/// # Ok::<(), psyne::BuildError>(())
/// ```
pub unsafe trait Message:
    FromBytes + IntoBytes + Immutable + KnownLayout<PointerMetadata: ElemCount> + Send + Sync + 'static
{
    /// The schema name (`name = "..."`, or the Rust identifier).
    const NAME: &'static str;
    /// The schema version (`version = N`, default 0).
    const VERSION: u32;
    /// The dispatch id for multiplexed streams (`id = N`, default the low 32
    /// bits of the hash of [`NAME`](Self::NAME)).
    const ID: u32;
    /// The schema fingerprint: name, version, and every field's name, type
    /// fingerprint, offset and size, hashed at compile time.
    const FINGERPRINT: u64;
    /// The field table, for error messages that say which field differs.
    const SCHEMA: &'static Schema;
    /// Size of the sized part in bytes (the whole size of a sized message).
    const HEADER_SIZE: usize;
    /// Alignment in bytes (at most [`MAX_ALIGN`]).
    const ALIGN: usize;
    /// Most trailing elements a record may have (`usize::MAX` if unbounded,
    /// 0 for sized messages).
    const MAX_ELEMS: usize;
    /// The trailing element type; `()` for sized messages.
    type Elem: FromBytes + IntoBytes + Immutable + Send + Sync + 'static;

    /// Writes the `#[psyne(len)]` mirror of the element count, if any.
    #[doc(hidden)]
    #[inline]
    fn __init_len(&mut self, elems: usize) {
        let _ = elems;
    }

    /// Checks the `len` mirror and the message's invariant.
    #[doc(hidden)]
    #[inline]
    fn __check(&self, elems: usize) -> Result<(), ViewError> {
        let _ = elems;
        Ok(())
    }
}

macro_rules! primitive_message {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        // SAFETY: a sized primitive: `HEADER_SIZE` and `ALIGN` are its
        // `size_of` and `align_of`, `Elem` is `()`, and the schema has no
        // fields and its own wire fingerprint.
        unsafe impl Message for $ty {
            const NAME: &'static str = $name;
            const VERSION: u32 = 0;
            const ID: u32 = id_of($name);
            const FINGERPRINT: u64 = <$ty as Wire>::TYPE_FINGERPRINT;
            const SCHEMA: &'static Schema = &Schema::new(
                $name, 0, Self::ID, <Self as Message>::FINGERPRINT, size_of::<$ty>(), align_of::<$ty>(), &[], None,
            );
            const HEADER_SIZE: usize = size_of::<$ty>();
            const ALIGN: usize = align_of::<$ty>();
            const MAX_ELEMS: usize = 0;
            type Elem = ();
        }
    )*};
}

primitive_message! {
    u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64",
    i8 => "i8", i16 => "i16", i32 => "i32", i64 => "i64",
    f32 => "f32", f64 => "f64",
}

#[cfg(feature = "half")]
primitive_message! { half::f16 => "f16", half::bf16 => "bf16" }

// SAFETY: `[T; N]` is sized with `T`'s alignment and `N * size_of::<T>()`
// bytes; `Elem` is `()`; the schema's fingerprint is the array's wire one.
unsafe impl<T: Wire, const N: usize> Message for [T; N] {
    const NAME: &'static str = "array";
    const VERSION: u32 = 0;
    const ID: u32 = id_of("array");
    const FINGERPRINT: u64 = <Self as Wire>::TYPE_FINGERPRINT;
    const SCHEMA: &'static Schema = &Schema::new(
        "array",
        0,
        Self::ID,
        <Self as Message>::FINGERPRINT,
        size_of::<Self>(),
        align_of::<T>(),
        &[],
        None,
    );
    const HEADER_SIZE: usize = size_of::<Self>();
    const ALIGN: usize = align_of::<T>();
    const MAX_ELEMS: usize = 0;
    type Elem = ();
}

// SAFETY: a slice `[E]` has no header (`HEADER_SIZE` 0), `E`'s alignment,
// and `n * size_of::<E>()` bytes for `n` elements (Reference "Slice
// layout"); `Elem` is `E`.
unsafe impl<E: Wire> Message for [E] {
    const NAME: &'static str = "slice";
    const VERSION: u32 = 0;
    const ID: u32 = id_of("slice");
    const FINGERPRINT: u64 = Fingerprint::new()
        .str("message")
        .str("slice")
        .u64(0)
        .u64(0)
        .str("tail")
        .u64(E::TYPE_FINGERPRINT)
        .u64(size_of::<E>() as u64)
        .finish();
    const SCHEMA: &'static Schema = &Schema::new(
        "slice",
        0,
        Self::ID,
        <Self as Message>::FINGERPRINT,
        0,
        align_of::<E>(),
        &[],
        Some(Field::new("", "E", E::TYPE_FINGERPRINT, 0, size_of::<E>())),
    );
    const HEADER_SIZE: usize = 0;
    const ALIGN: usize = align_of::<E>();
    const MAX_ELEMS: usize = usize::MAX;
    type Elem = E;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for () {}
    impl Sealed for usize {}
}

/// The pointer metadata of a message type: `()` for sized messages, `usize`
/// (the trailing element count) for messages that end in a slice.
///
/// Sealed; it lets psyne build `&T` from a record's bytes and element count
/// for both kinds with zerocopy's checked conversions.
///
/// # Examples
///
/// ```
/// use psyne::message::ElemCount;
/// assert!(!<() as ElemCount>::IS_SLICE);
/// assert!(<usize as ElemCount>::IS_SLICE);
/// ```
pub trait ElemCount: sealed::Sealed + Copy {
    /// Whether messages with this metadata end in a slice.
    #[doc(hidden)]
    const IS_SLICE: bool;

    /// Size of the message with `elems` trailing elements (`None` on
    /// overflow); `elems` is ignored for sized messages.
    #[doc(hidden)]
    fn size<T>(elems: usize) -> Option<usize>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self>;

    #[doc(hidden)]
    fn view<T>(bytes: &[u8], elems: usize) -> Option<&T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + Immutable;

    #[doc(hidden)]
    fn view_mut<T>(bytes: &mut [u8], elems: usize) -> Option<&mut T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + IntoBytes + Immutable;
}

impl ElemCount for () {
    const IS_SLICE: bool = false;

    #[inline]
    fn size<T>(_elems: usize) -> Option<usize>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self>,
    {
        T::size_for_metadata(())
    }

    #[inline]
    fn view<T>(bytes: &[u8], _elems: usize) -> Option<&T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + Immutable,
    {
        T::ref_from_bytes(bytes).ok()
    }

    #[inline]
    fn view_mut<T>(bytes: &mut [u8], _elems: usize) -> Option<&mut T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + IntoBytes + Immutable,
    {
        T::mut_from_bytes(bytes).ok()
    }
}

impl ElemCount for usize {
    const IS_SLICE: bool = true;

    #[inline]
    fn size<T>(elems: usize) -> Option<usize>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self>,
    {
        T::size_for_metadata(elems)
    }

    #[inline]
    fn view<T>(bytes: &[u8], elems: usize) -> Option<&T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + Immutable,
    {
        T::ref_from_bytes_with_elems(bytes, elems).ok()
    }

    #[inline]
    fn view_mut<T>(bytes: &mut [u8], elems: usize) -> Option<&mut T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + IntoBytes + Immutable,
    {
        T::mut_from_bytes_with_elems(bytes, elems).ok()
    }
}

/// Size in bytes of a `T` with `elems` trailing elements (`elems` is
/// ignored for sized messages), or `None` if that overflows `usize`.
///
/// # Examples
///
/// ```
/// assert_eq!(psyne::message::byte_len::<[f32]>(10), Some(40));
/// assert_eq!(psyne::message::byte_len::<u64>(10), Some(8));
/// assert_eq!(psyne::message::byte_len::<[f32]>(usize::MAX), None);
/// ```
#[inline]
pub fn byte_len<T: Message + ?Sized>(elems: usize) -> Option<usize> {
    <T::PointerMetadata as ElemCount>::size::<T>(elems)
}

/// Checks `elems` against the message's bounds and returns the byte length
/// of such a record.
fn checked_len<T: Message + ?Sized>(elems: usize) -> Result<usize, ViewError> {
    let is_slice = <T::PointerMetadata as ElemCount>::IS_SLICE;
    if is_slice && elems > T::MAX_ELEMS {
        return Err(ViewError::TooManyElems { elems, max: T::MAX_ELEMS });
    }
    byte_len::<T>(elems).ok_or_else(|| {
        let max = (usize::MAX - T::HEADER_SIZE) / size_of::<T::Elem>().max(1);
        ViewError::TooManyElems { elems, max: max.min(T::MAX_ELEMS) }
    })
}

/// Checks where `bytes` start and how many there are.
fn check_place<T: Message + ?Sized>(bytes: &[u8], needed: usize) -> Result<(), ViewError> {
    if !(bytes.as_ptr() as usize).is_multiple_of(T::ALIGN) {
        return Err(ViewError::Misaligned { align: T::ALIGN });
    }
    if bytes.len() < needed {
        return Err(ViewError::TooShort { needed, available: bytes.len() });
    }
    Ok(())
}

const LAYOUT_REJECTED: ViewError =
    ViewError::Invalid { reason: "the bytes do not form the message's layout" };

/// A checked view of the first bytes of `bytes` as a `T` with `elems`
/// trailing elements (`elems` is ignored for sized messages).
///
/// Checks the element count against the message's bounds, the alignment,
/// the length, the `#[psyne(len)]` mirror and the message's invariant
/// (`validate`, or a built-in type's own check). Bytes beyond the message
/// are ignored. `#[psyne::message]` types also have this as `T::view`.
///
/// # Errors
///
/// A [`ViewError`] saying which check failed; never a panic.
///
/// # Examples
///
/// ```
/// use psyne::message::{self, ViewError};
///
/// let words = [1u32, 2, 3, 4];
/// let bytes: &[u8] = psyne::__private::zerocopy::IntoBytes::as_bytes(&words[..]);
/// let v: &[u32] = message::view(bytes, 3)?;
/// assert_eq!(v, [1, 2, 3]);
/// assert_eq!(
///     message::view::<[u32]>(bytes, 5).unwrap_err(),
///     ViewError::TooShort { needed: 20, available: 16 }
/// );
/// # Ok::<(), ViewError>(())
/// ```
pub fn view<T: Message + ?Sized>(bytes: &[u8], elems: usize) -> Result<&T, ViewError> {
    let needed = checked_len::<T>(elems)?;
    check_place::<T>(bytes, needed)?;
    let v = <T::PointerMetadata as ElemCount>::view::<T>(&bytes[..needed], elems)
        .ok_or(LAYOUT_REJECTED)?;
    v.__check(elems)?;
    Ok(v)
}

/// A checked mutable view; see [`view`].
///
/// # Errors
///
/// As [`view`].
///
/// # Examples
///
/// ```
/// let mut words = [0u64; 2];
/// let bytes = psyne::__private::zerocopy::IntoBytes::as_mut_bytes(&mut words);
/// let v: &mut [u64; 2] = psyne::message::view_mut(bytes, 0)?;
/// v[1] = 9;
/// assert_eq!(words, [0, 9]);
/// # Ok::<(), psyne::message::ViewError>(())
/// ```
pub fn view_mut<T: Message + ?Sized>(bytes: &mut [u8], elems: usize) -> Result<&mut T, ViewError> {
    let needed = checked_len::<T>(elems)?;
    check_place::<T>(bytes, needed)?;
    let v = <T::PointerMetadata as ElemCount>::view_mut::<T>(&mut bytes[..needed], elems)
        .ok_or(LAYOUT_REJECTED)?;
    v.__check(elems)?;
    Ok(v)
}

/// Zero-fills the first bytes of `bytes` for a `T` with `elems` trailing
/// elements, writes its `#[psyne(len)]` mirror, and returns it for writing.
///
/// The message's invariant is not checked (a zeroed message need not
/// satisfy it yet); the receiver's [`view`] checks it.
///
/// # Errors
///
/// As [`view`], except [`ViewError::LenMismatch`] and
/// [`ViewError::Invalid`].
///
/// # Examples
///
/// ```
/// #[repr(C, align(8))]
/// struct Buf([u8; 32]);
/// let mut buf = Buf([0xff; 32]);
/// let v: &mut [u16] = psyne::message::init_in(&mut buf.0, 4)?;
/// assert_eq!(v, [0, 0, 0, 0]);
/// assert_eq!(buf.0[8], 0xff); // beyond the message: untouched
/// # Ok::<(), psyne::message::ViewError>(())
/// ```
pub fn init_in<T: Message + ?Sized>(bytes: &mut [u8], elems: usize) -> Result<&mut T, ViewError> {
    let needed = checked_len::<T>(elems)?;
    check_place::<T>(bytes, needed)?;
    let bytes = &mut bytes[..needed];
    bytes.fill(0);
    let v =
        <T::PointerMetadata as ElemCount>::view_mut::<T>(bytes, elems).ok_or(LAYOUT_REJECTED)?;
    v.__init_len(elems);
    Ok(v)
}

/// A view without the checks of [`view`], for the hot path after a
/// channel-level handshake has established what the bytes are.
///
/// # Panics
///
/// If the caller's guarantees do not hold and the bytes cannot hold a `T`
/// (psyne still lets zerocopy check size and alignment; the contract
/// reserves the right to skip that in a future version).
///
/// # Safety
///
/// The caller guarantees that:
/// - `bytes` starts at a multiple of `T::ALIGN`;
/// - `bytes.len()` is at least [`byte_len::<T>(elems)`](byte_len), which is
///   not `None`;
/// - `elems <= T::MAX_ELEMS` for a message with a trailing array.
///
/// The `len` mirror and the message's invariant are not checked; a message
/// that breaks them is still memory-safe to read (every bit pattern is a
/// valid value), just not meaningful.
///
/// # Examples
///
/// ```
/// let words = [5u32, 6];
/// let bytes = psyne::__private::zerocopy::IntoBytes::as_bytes(&words[..]);
/// // SAFETY: `bytes` come from a `[u32]`, so they are aligned, and hold 2 elements.
/// let v: &[u32] = unsafe { psyne::message::view_unchecked(bytes, 2) };
/// assert_eq!(v, [5, 6]);
/// ```
pub unsafe fn view_unchecked<T: Message + ?Sized>(bytes: &[u8], elems: usize) -> &T {
    // zerocopy's conversion still checks size and alignment (cheap, and the
    // only thing between a wrong `Message::ALIGN` and undefined behaviour);
    // what this skips is the element bound, the `len` mirror and the
    // message's invariant.
    let needed = byte_len::<T>(elems).unwrap_or(usize::MAX);
    match bytes.get(..needed).and_then(|b| <T::PointerMetadata as ElemCount>::view::<T>(b, elems)) {
        Some(v) => v,
        None => layout_bug::<T>(bytes.len(), elems),
    }
}

/// A mutable view without checks; see [`view_unchecked`].
///
/// # Safety
///
/// As [`view_unchecked`].
///
/// # Examples
///
/// ```
/// let mut words = [0u32; 2];
/// let bytes = psyne::__private::zerocopy::IntoBytes::as_mut_bytes(&mut words[..]);
/// // SAFETY: the bytes come from a `[u32; 2]`: aligned, and 8 bytes long.
/// let v: &mut [u32; 2] = unsafe { psyne::message::view_mut_unchecked(bytes, 0) };
/// v[0] = 1;
/// assert_eq!(words, [1, 0]);
/// ```
pub unsafe fn view_mut_unchecked<T: Message + ?Sized>(bytes: &mut [u8], elems: usize) -> &mut T {
    let (len, needed) = (bytes.len(), byte_len::<T>(elems).unwrap_or(usize::MAX));
    match bytes
        .get_mut(..needed)
        .and_then(|b| <T::PointerMetadata as ElemCount>::view_mut::<T>(b, elems))
    {
        Some(v) => v,
        None => layout_bug::<T>(len, elems),
    }
}

/// `&T` over a record's bytes.
///
/// The channel computed `bytes.len()` from `elems` with
/// `KnownLayout::size_for_metadata` and placed the record at a
/// 64-byte-aligned address, so the conversion cannot fail for a record the
/// channel wrote itself.
#[inline]
pub(crate) fn record<T: Message + ?Sized>(bytes: &[u8], elems: usize) -> &T {
    match <T::PointerMetadata as ElemCount>::view::<T>(bytes, elems) {
        Some(v) => v,
        None => layout_bug::<T>(bytes.len(), elems),
    }
}

/// `&mut T` over a record's bytes; see [`record`].
#[inline]
pub(crate) fn record_mut<T: Message + ?Sized>(bytes: &mut [u8], elems: usize) -> &mut T {
    let len = bytes.len();
    match <T::PointerMetadata as ElemCount>::view_mut::<T>(bytes, elems) {
        Some(v) => v,
        None => layout_bug::<T>(len, elems),
    }
}

#[cold]
#[inline(never)]
fn layout_bug<T: ?Sized>(len: usize, elems: usize) -> ! {
    panic!(
        "psyne internal error: a {len}-byte record with {elems} elements is not a valid `{}`; \
         please report this bug",
        std::any::type_name::<T>()
    )
}

/// Size in bytes of `T` with no trailing elements (its whole size if sized).
pub(crate) fn base_size<T: Message + ?Sized>() -> usize {
    byte_len::<T>(0).unwrap_or(usize::MAX)
}

/// Whether `T` ends in a slice (a variable-size message).
pub(crate) fn is_variable<T: Message + ?Sized>() -> bool {
    <T::PointerMetadata as ElemCount>::IS_SLICE
}
