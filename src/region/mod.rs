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
