//! Regions: stable, aligned, zero-initialised byte ranges that rings live in.
//!
//! A region knows nothing of records or patterns. Today there is the heap
//! region behind `memory://` channels; shared-memory and GPU-visible regions
//! follow with their transports.

#[cfg(all(feature = "ipc", target_os = "linux"))]
pub(crate) mod shm;

use std::alloc::{self, Layout};
use std::fmt;
use std::ptr::NonNull;

/// Alignment of every region: two cache lines, so that no record straddles a
/// prefetch pair and every 64-byte payload boundary is a real cache-line
/// boundary.
pub(crate) const REGION_ALIGN: usize = 128;

/// A zero-initialised heap allocation of a fixed size, freed on drop.
///
/// Every byte of the region is initialised at all times: it starts zeroed and
/// is only ever written with the bytes of `IntoBytes` values (which have no
/// padding) or zeroes. This is what lets the channel hand out `&mut T` over a
/// recycled record without zeroing it first.
pub(crate) struct HeapRegion {
    ptr: NonNull<u8>,
    len: usize,
}

impl HeapRegion {
    /// Allocates `len` zeroed bytes aligned to [`REGION_ALIGN`].
    ///
    /// Returns `None` if `len` is too large for the allocator's layout rules or
    /// the allocation fails (so an absurd size is an error, not an abort).
    pub(crate) fn zeroed(len: usize) -> Option<Self> {
        let layout = Layout::from_size_align(len.max(1), REGION_ALIGN).ok()?;
        // SAFETY: `layout` has a non-zero size (`len.max(1)`), which is the only
        // precondition of `alloc_zeroed`.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        NonNull::new(raw).map(|ptr| Self { ptr, len })
    }

    /// The first byte of the region.
    #[inline]
    pub(crate) fn base(&self) -> NonNull<u8> {
        self.ptr
    }

    /// The region's usable length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn layout(&self) -> Layout {
        // Cannot fail: the same arguments succeeded in `zeroed`.
        Layout::from_size_align(self.len.max(1), REGION_ALIGN).unwrap_or(Layout::new::<u8>())
    }
}

impl Drop for HeapRegion {
    fn drop(&mut self) {
        let layout = self.layout();
        // SAFETY: `ptr` was returned by `alloc_zeroed` with exactly this layout
        // (same size and alignment, recomputed from the same `len`), and it is
        // deallocated only here, once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), layout) };
    }
}

// SAFETY: the region is a plain owned allocation; access to its bytes is
// synchronised by the ring that lives in it (each record is accessed by one
// side at a time, handed over through the slot's sequence word).
unsafe impl Send for HeapRegion {}
// SAFETY: as above; `&HeapRegion` only exposes the base pointer and length.
unsafe impl Sync for HeapRegion {}

impl fmt::Debug for HeapRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapRegion").field("len", &self.len).finish()
    }
}

/// A `T` that lives either in its own heap allocation or at a fixed place
/// inside a region (shared memory), behind one pointer either way, so that
/// the code that uses it does not branch on where it is.
pub(crate) struct Place<T: ?Sized> {
    ptr: NonNull<T>,
    /// Whether `ptr` came from `Box::into_raw` (and is freed on drop).
    owned: bool,
}

impl<T: ?Sized> Place<T> {
    /// A `T` in its own allocation.
    pub(crate) fn boxed(value: Box<T>) -> Self {
        Self { ptr: NonNull::from(Box::leak(value)), owned: true }
    }

    /// A `T` inside memory somebody else owns.
    ///
    /// # Safety
    ///
    /// `ptr` points to a valid, initialised `T` that stays mapped for the
    /// life of the `Place`, and every access to it, in every process, goes
    /// through shared references (atomics or never-written fields).
    #[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
    pub(crate) unsafe fn at(ptr: NonNull<T>) -> Self {
        Self { ptr, owned: false }
    }
}

impl<T: ?Sized> std::ops::Deref for Place<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: `ptr` is valid for the life of `self`: it came from a live
        // `Box` we own, or `at`'s caller guaranteed it; only `&T` is handed
        // out.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> Drop for Place<T> {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: `ptr` came from `Box::leak` in `boxed` and is freed
            // only here, once.
            drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
        }
    }
}

// SAFETY: a `Place<T>` only hands out `&T`, like `&T` or `Box<T>` would: it is
// `Send` and `Sync` when `T` is `Sync` (and `Send`, for the owned case).
unsafe impl<T: ?Sized + Sync + Send> Send for Place<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync + Send> Sync for Place<T> {}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Place<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
