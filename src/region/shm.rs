//! Shared-memory regions: a sealed `memfd`, mapped into each process that
//! holds its descriptor.
//!
//! Why `memfd` rather than a named `/dev/shm` object: a memfd has no name
//! in any filesystem, so nothing can outlive the processes that use it. It
//! disappears with its last descriptor and mapping, whichever process
//! crashes. Peers receive the descriptor over a Unix socket (`SCM_RIGHTS`;
//! see `transport::ipc::handshake`).
//!
//! A peer could shrink a shared file under a mapping and make the other
//! side fault (`SIGBUS`) on access. The creator therefore seals the memfd's
//! size (`F_SEAL_SHRINK | F_SEAL_GROW`, then `F_SEAL_SEAL`), and
//! [`ShmRegion::open`] refuses a descriptor without those seals.

// Used by the `ipc://` transport as it is wired up (issue #4).
#![cfg_attr(not(test), allow(dead_code))]

use std::ffi::c_void;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;

use rustix::fs::{MemfdFlags, SealFlags};
use rustix::mm::{MapFlags, ProtFlags};

/// The seals every shared region carries.
const SIZE_SEALS: SealFlags = SealFlags::SHRINK.union(SealFlags::GROW);

/// Why a received descriptor cannot be mapped.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The descriptor is not a memfd whose size is sealed.
    NotSealed,
    /// Its size is outside what the caller accepts.
    BadSize { len: u64 },
    /// A system call failed.
    Io(io::Error),
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSealed => f.write_str("the shared region's size is not sealed"),
            Self::BadSize { len } => {
                write!(f, "the shared region has an unexpected size of {len} bytes")
            }
            Self::Io(e) => write!(f, "mapping the shared region failed: {e}"),
        }
    }
}

impl From<rustix::io::Errno> for OpenError {
    fn from(e: rustix::io::Errno) -> Self {
        Self::Io(e.into())
    }
}

/// A shared, writable mapping of a sealed memfd, unmapped on drop.
///
/// Other processes may write the bytes at any time, so the region hands
/// out raw pointers only: readers use atomics or copy out and validate.
pub(crate) struct ShmRegion {
    base: NonNull<u8>,
    len: usize,
    fd: OwnedFd,
}

impl ShmRegion {
    /// Creates a zero-filled region of `len` bytes (rounded up by the kernel
    /// to whole pages for the mapping) named `name` for diagnostics.
    pub(crate) fn create(name: &str, len: usize) -> io::Result<Self> {
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty shared region"));
        }
        let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
        let fd = rustix::fs::memfd_create(format!("psyne:{name}"), flags)?;
        rustix::fs::ftruncate(&fd, len as u64)?;
        rustix::fs::fcntl_add_seals(&fd, SIZE_SEALS | SealFlags::SEAL)?;
        Self::map(fd, len)
    }

    /// Maps a region received from a peer, after checking that its size is
    /// sealed and within `min..=max` bytes.
    pub(crate) fn open(fd: OwnedFd, min: usize, max: usize) -> Result<Self, OpenError> {
        let seals = rustix::fs::fcntl_get_seals(&fd).map_err(|_| OpenError::NotSealed)?;
        if !seals.contains(SIZE_SEALS) {
            return Err(OpenError::NotSealed);
        }
        let len = rustix::fs::fstat(&fd)?.st_size as u64;
        match usize::try_from(len) {
            Ok(n) if (min..=max).contains(&n) && n > 0 => Ok(Self::map(fd, n)?),
            _ => Err(OpenError::BadSize { len }),
        }
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Self> {
        // SAFETY: a fresh shared mapping chosen by the kernel (null hint)
        // aliases no Rust allocation; `fd` is a valid open memfd of at
        // least `len` bytes whose size is sealed, so every mapped page is
        // backed for the mapping's whole life.
        let raw = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &fd,
                0,
            )
        }?;
        let base = NonNull::new(raw.cast::<u8>())
            .ok_or_else(|| io::Error::other("mmap returned a null mapping"))?;
        Ok(Self { base, len, fd })
    }

    /// The first byte (page-aligned).
    pub(crate) fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The memfd, to hand to a peer.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for ShmRegion {
    fn drop(&mut self) {
        // SAFETY: `base..base + len` is exactly the mapping made in `map`,
        // unmapped once, here; the region lends out no references into it.
        let unmapped = unsafe { rustix::mm::munmap(self.base.as_ptr().cast::<c_void>(), self.len) };
        debug_assert!(unmapped.is_ok(), "munmap of a mapping psyne made failed");
    }
}

// SAFETY: the region is a pointer to a shared mapping plus a descriptor;
// both may be used from any thread (access to the bytes is synchronised by
// whoever reads them, with atomics).
unsafe impl Send for ShmRegion {}
// SAFETY: as above; `&ShmRegion` only hands out the base pointer and fd.
unsafe impl Sync for ShmRegion {}

impl fmt::Debug for ShmRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShmRegion").field("len", &self.len).field("fd", &self.fd).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(r: &ShmRegion, i: usize) -> u8 {
        assert!(i < r.len());
        // SAFETY: `i` is inside the mapping; no other thread writes it.
        unsafe { r.base().as_ptr().wrapping_add(i).read_volatile() }
    }

    fn write(r: &ShmRegion, i: usize, v: u8) {
        assert!(i < r.len());
        // SAFETY: as in `read`.
        unsafe { r.base().as_ptr().wrapping_add(i).write_volatile(v) }
    }

    #[test]
    fn two_mappings_of_one_memfd_share_bytes() {
        let a = ShmRegion::create("test", 8192).unwrap();
        assert_eq!(read(&a, 4095), 0, "zero-filled");
        let fd = a.fd().try_clone_to_owned().unwrap();
        let b = ShmRegion::open(fd, 4096, 1 << 20).unwrap();
        assert_eq!(b.len(), 8192);
        write(&a, 100, 42);
        assert_eq!(read(&b, 100), 42);
        assert_eq!(b.base().as_ptr() as usize % 4096, 0, "page-aligned");
    }

    #[test]
    fn open_errors_say_what_is_wrong() {
        assert_eq!(
            OpenError::BadSize { len: 3 }.to_string(),
            "the shared region has an unexpected size of 3 bytes"
        );
        let io = OpenError::from(rustix::io::Errno::NOMEM);
        assert!(io.to_string().starts_with("mapping the shared region failed"), "{io}");
    }

    #[test]
    fn unsealed_or_odd_sized_descriptors_are_refused() {
        // A memfd without seals: a peer could shrink it under us.
        let raw = rustix::fs::memfd_create("unsealed", MemfdFlags::CLOEXEC).unwrap();
        rustix::fs::ftruncate(&raw, 4096).unwrap();
        assert!(matches!(ShmRegion::open(raw, 1, 1 << 20), Err(OpenError::NotSealed)));
        // Sealed, but not the size the caller expects.
        let r = ShmRegion::create("small", 4096).unwrap();
        let fd = r.fd().try_clone_to_owned().unwrap();
        assert!(matches!(
            ShmRegion::open(fd, 8192, 1 << 20),
            Err(OpenError::BadSize { len: 4096 })
        ));
        // The seals hold: nobody can resize it.
        assert!(rustix::fs::ftruncate(r.fd(), 1).is_err());
        assert!(rustix::fs::ftruncate(r.fd(), 1 << 20).is_err());
        // Not a memfd at all.
        let (pipe, _w) = rustix::pipe::pipe().unwrap();
        assert!(matches!(ShmRegion::open(pipe, 1, 1 << 20), Err(OpenError::NotSealed)));
        assert!(ShmRegion::create("empty", 0).is_err());
    }
}
