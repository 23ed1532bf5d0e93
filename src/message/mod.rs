//! Messages: the types a channel carries, viewed in place in ring records.
//!
//! A message is a plain, pointer-free, padding-free value whose every bit
//! pattern is valid. psyne proves that with [`zerocopy`]'s derives, so it can
//! hand out `&T` and `&mut T` straight into the ring, and later into shared
//! memory, network buffers and GPU memory.
//!
//! Until `#[psyne::message]` grows its schema fingerprint, [`Message`] is
//! implemented for every type with zerocopy's `FromBytes + IntoBytes +
//! KnownLayout + Immutable` (sized types, and slice-based dynamically sized
//! types such as `[f32]` or a struct with a trailing `[f32]`).
//!
//! # Examples
//!
//! ```
//! use psyne::__private::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! #[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug)]
//! #[zerocopy(crate = "psyne::__private::zerocopy")]
//! #[repr(C)]
//! struct Tick {
//!     ts_ns: u64,
//!     price: f64,
//! }
//!
//! fn assert_message<T: psyne::Message + ?Sized>() {}
//! assert_message::<Tick>();
//! assert_message::<[f32]>();
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A type that can travel through a psyne channel, viewed in place.
///
/// Implemented automatically for every `FromBytes + IntoBytes + KnownLayout +
/// Immutable` type whose layout is sized or ends in a slice. Destructors of
/// messages never run: a message is its bytes, and releasing a record only
/// frees the space.
///
/// # Examples
///
/// ```
/// fn ring_of<T: psyne::Message + ?Sized>() -> psyne::Builder<T> {
///     psyne::channel::<T>()
/// }
/// let (_tx, _rx) = ring_of::<[u8; 16]>().capacity(8).spsc()?;
/// let (_tx, _rx) = ring_of::<[u16]>().bytes(1024).spsc()?;
/// # Ok::<(), psyne::BuildError>(())
/// ```
pub trait Message:
    FromBytes + IntoBytes + Immutable + KnownLayout<PointerMetadata: ElemCount> + Send + Sync + 'static
{
}

impl<T> Message for T where
    T: ?Sized
        + FromBytes
        + IntoBytes
        + Immutable
        + KnownLayout<PointerMetadata: ElemCount>
        + Send
        + Sync
        + 'static
{
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

    /// Size of the message with no trailing elements (`None` on overflow).
    #[doc(hidden)]
    fn base_size<T>() -> Option<usize>
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

    fn base_size<T>() -> Option<usize>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self>,
    {
        T::size_for_metadata(())
    }

    fn view<T>(bytes: &[u8], _elems: usize) -> Option<&T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + Immutable,
    {
        T::ref_from_bytes(bytes).ok()
    }

    fn view_mut<T>(bytes: &mut [u8], _elems: usize) -> Option<&mut T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + IntoBytes + Immutable,
    {
        T::mut_from_bytes(bytes).ok()
    }
}

impl ElemCount for usize {
    const IS_SLICE: bool = true;

    fn base_size<T>() -> Option<usize>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self>,
    {
        T::size_for_metadata(0)
    }

    fn view<T>(bytes: &[u8], elems: usize) -> Option<&T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + Immutable,
    {
        T::ref_from_bytes_with_elems(bytes, elems).ok()
    }

    fn view_mut<T>(bytes: &mut [u8], elems: usize) -> Option<&mut T>
    where
        T: ?Sized + KnownLayout<PointerMetadata = Self> + FromBytes + IntoBytes + Immutable,
    {
        T::mut_from_bytes_with_elems(bytes, elems).ok()
    }
}

/// `&T` over a record's bytes.
///
/// The channel computed `bytes.len()` from `elems` with
/// `KnownLayout::size_for_metadata` and placed the record at a
/// 64-byte-aligned address, so the conversion cannot fail for a record the
/// channel wrote itself.
#[inline]
pub(crate) fn view<T: Message + ?Sized>(bytes: &[u8], elems: usize) -> &T {
    match <T::PointerMetadata as ElemCount>::view::<T>(bytes, elems) {
        Some(v) => v,
        None => layout_bug::<T>(bytes.len(), elems),
    }
}

/// `&mut T` over a record's bytes; see [`view`].
#[inline]
pub(crate) fn view_mut<T: Message + ?Sized>(bytes: &mut [u8], elems: usize) -> &mut T {
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
    <T::PointerMetadata as ElemCount>::base_size::<T>().unwrap_or(usize::MAX)
}

/// Whether `T` ends in a slice (a variable-size message).
pub(crate) fn is_variable<T: Message + ?Sized>() -> bool {
    <T::PointerMetadata as ElemCount>::IS_SLICE
}

/// The alignment of `T` if it is at most 64 bytes, found by probing where
/// zerocopy's checked cast accepts a `T` in a 128-byte-aligned buffer (there
/// is no `align_of` for a type that may be unsized). `None` if `T` needs more
/// than 64 or its base size cannot be allocated.
pub(crate) fn align_up_to_64<T: Message + ?Sized>() -> Option<usize> {
    let size = base_size::<T>();
    let region = crate::region::HeapRegion::zeroed(size.checked_add(128)?)?;
    // SAFETY: the region is `size + 128` bytes long, zero-initialised and
    // owned here alone, so it is valid for reads of that many bytes for the
    // lifetime of `bytes`, which ends before `region` is dropped.
    let bytes = unsafe { std::slice::from_raw_parts(region.base().as_ptr(), size + 128) };
    // A `T` is accepted at offset `k` of a 128-aligned buffer iff `k` is a
    // multiple of its alignment, so the smallest accepted power of two is it.
    [1, 2, 4, 8, 16, 32, 64].into_iter().find(|&offset| {
        <T::PointerMetadata as ElemCount>::view::<T>(&bytes[offset..offset + size], 0).is_some()
    })
}
