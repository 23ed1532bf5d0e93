//! Compile-time layout assertions used by `#[psyne::message]`.
//!
//! Each is a `const fn` whose where-clause holds only when a check passes.
//! A failing check is a trait-bound error whose message interpolates the
//! const parameters, so it can print numbers (a stable `const` panic
//! cannot). zerocopy's `PaddingFree<T, N>` works the same way.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{Message, ViewError, Wire};

/// What a `validate` hook may return: `bool`, or `Result<(), &'static str>`
/// with a reason.
pub trait Validation {
    fn into_view_result(self, hook: &'static str) -> Result<(), ViewError>;
}

impl Validation for bool {
    #[inline]
    fn into_view_result(self, hook: &'static str) -> Result<(), ViewError> {
        if self { Ok(()) } else { Err(ViewError::Invalid { reason: hook }) }
    }
}

impl Validation for Result<(), &'static str> {
    #[inline]
    fn into_view_result(self, _hook: &'static str) -> Result<(), ViewError> {
        self.map_err(|reason| ViewError::Invalid { reason })
    }
}

/// The largest of `xs` (0 for none).
pub const fn max_of(xs: &[usize]) -> usize {
    let (mut i, mut max) = (0, 0);
    while i < xs.len() {
        if xs[i] > max {
            max = xs[i];
        }
        i += 1;
    }
    max
}

/// The smallest of `xs` (`usize::MAX` for none).
pub const fn min_of(xs: &[usize]) -> usize {
    let (mut i, mut min) = (0, usize::MAX);
    while i < xs.len() {
        if xs[i] < min {
            min = xs[i];
        }
        i += 1;
    }
    min
}

#[diagnostic::on_unimplemented(
    message = "`len` must be one `u16`/`u32`/`u64` field of a message with a trailing array; \
               `{Self}` is not one of those",
    label = "not `u16`, `u32` or `u64`"
)]
pub trait LenField {}
impl LenField for u16 {}
impl LenField for u32 {}
impl LenField for u64 {}
pub const fn assert_len_field<T: LenField>() {}

/// Holds for wire types; the `Wire` trait's own diagnostic explains.
pub const fn assert_wire<T: Wire>() {}

#[diagnostic::on_unimplemented(
    message = "`{T}` has {PADDING} byte(s) of padding; add explicit `_reserved` fields or reorder \
               fields by decreasing alignment",
    label = "messages cannot have padding"
)]
pub trait NoPadding<T: ?Sized, const PADDING: usize> {}
impl<T: ?Sized> NoPadding<T, 0> for () {}
pub const fn assert_no_padding<T: ?Sized, const PADDING: usize>()
where
    (): NoPadding<T, PADDING>,
{
}

#[diagnostic::on_unimplemented(
    message = "trailing array of `{E}` ({SIZE} bytes) in a {ALIGN}-aligned message `{T}` would \
               need length-dependent padding; use header fields no wider than the element, \
               align-1 little-endian integers (`psyne::message::le`), or a wider element type, \
               and make the header a multiple of {ALIGN} bytes",
    label = "the trailing array must start and end at the message's alignment"
)]
pub trait TailFits<T: ?Sized, E, const SIZE: usize, const ALIGN: usize, const OK: bool> {}
impl<T: ?Sized, E, const SIZE: usize, const ALIGN: usize> TailFits<T, E, SIZE, ALIGN, true> for () {}
pub const fn assert_tail<T: ?Sized, E, const SIZE: usize, const ALIGN: usize, const OK: bool>()
where
    (): TailFits<T, E, SIZE, ALIGN, OK>,
{
}

#[diagnostic::on_unimplemented(
    message = "`{T}` is aligned to {ALIGN} bytes, but message records are aligned to 64; use \
               narrower fields",
    label = "alignment above 64"
)]
pub trait AlignFits<T: ?Sized, const ALIGN: usize, const OK: bool> {}
impl<T: ?Sized, const ALIGN: usize> AlignFits<T, ALIGN, true> for () {}
pub const fn assert_align<T: ?Sized, const ALIGN: usize, const OK: bool>()
where
    (): AlignFits<T, ALIGN, OK>,
{
}

#[diagnostic::on_unimplemented(
    message = "the sized part of `{T}` is {SIZE} bytes, more than `psyne::message::MAX_INLINE`; \
               move the bulk into a trailing array `[T]`",
    label = "header too large"
)]
pub trait HeaderFits<T: ?Sized, const SIZE: usize, const OK: bool> {}
impl<T: ?Sized, const SIZE: usize> HeaderFits<T, SIZE, true> for () {}
pub const fn assert_header<T: ?Sized, const SIZE: usize, const OK: bool>()
where
    (): HeaderFits<T, SIZE, OK>,
{
}

#[diagnostic::on_unimplemented(
    message = "a field of `{T}` is pinned to offset {EXPECTED}, but it is at {ACTUAL}",
    label = "offset pin"
)]
pub trait OffsetPin<T: ?Sized, const EXPECTED: usize, const ACTUAL: usize> {}
impl<T: ?Sized, const N: usize> OffsetPin<T, N, N> for () {}
pub const fn assert_offset<T: ?Sized, const EXPECTED: usize, const ACTUAL: usize>()
where
    (): OffsetPin<T, EXPECTED, ACTUAL>,
{
}

#[diagnostic::on_unimplemented(
    message = "the sized part of `{T}` is pinned to {EXPECTED} bytes, but it is {ACTUAL}",
    label = "size pin"
)]
pub trait SizePin<T: ?Sized, const EXPECTED: usize, const ACTUAL: usize> {}
impl<T: ?Sized, const N: usize> SizePin<T, N, N> for () {}
pub const fn assert_size<T: ?Sized, const EXPECTED: usize, const ACTUAL: usize>()
where
    (): SizePin<T, EXPECTED, ACTUAL>,
{
}

#[diagnostic::on_unimplemented(
    message = "schema of `{T}` changed: locked fingerprint {LOCKED}, computed {COMPUTED}; bump \
               `version` and update the lock",
    label = "fingerprint lock"
)]
pub trait FingerprintLock<T: ?Sized, const LOCKED: u64, const COMPUTED: u64> {}
impl<T: ?Sized, const N: u64> FingerprintLock<T, N, N> for () {}
pub const fn assert_fingerprint<T: ?Sized, const LOCKED: u64, const COMPUTED: u64>()
where
    (): FingerprintLock<T, LOCKED, COMPUTED>,
{
}

/// The header twin `H` of a message with a trailing array, in place.
pub fn header<T, H>(msg: &T) -> &H
where
    T: Message + ?Sized,
    H: FromBytes + KnownLayout + Immutable,
{
    match H::ref_from_prefix(msg.as_bytes()) {
        Ok((h, _)) => h,
        Err(_) => twin_bug::<T>(),
    }
}

/// The header twin `H`, in place, for writing.
pub fn header_mut<T, H>(msg: &mut T) -> &mut H
where
    T: Message + ?Sized,
    H: FromBytes + IntoBytes + KnownLayout + Immutable,
{
    match H::mut_from_prefix(msg.as_mut_bytes()) {
        Ok((h, _)) => h,
        Err(_) => twin_bug::<T>(),
    }
}

#[cold]
#[inline(never)]
fn twin_bug<T: ?Sized>() -> ! {
    panic!(
        "psyne internal error: the header twin of `{}` does not fit its prefix; please report this bug",
        std::any::type_name::<T>()
    )
}
