//! Waiting across processes: the wake-up words of a channel in shared
//! memory, futex sleeps for blocking callers, and an eventfd that async
//! callers register with tokio's reactor.
//!
//! # Protocol
//!
//! Whether anybody may sleep is decided by the ring's waiting bits, as
//! in-process (see the ring's "Wake-ups"). A side that sees a raised bit
//! calls [`SharedWake::wake`], which bumps the channel's epoch word, and
//! only then pays for a system call: `FUTEX_WAKE` if a blocking waiter
//! announced itself, an eventfd write if an async waiter registered
//! anywhere.
//!
//! A blocking waiter reads the epoch *before* its last look at the ring,
//! announces itself (the sleeper count) *before* it raises its waiting bit,
//! and then sleeps only while the epoch still holds the value it read (the
//! kernel compares and queues under the lock that `FUTEX_WAKE` takes).
//! Raising the bit is a Release RMW (an RMW so that later raises continue
//! its release sequence; see the ring) and the notifier's RMW that lowers
//! it is Acquire, and both sides' fences are sequentially consistent, so a
//! notifier that sees the bit also sees the announcement (or the eventfd
//! registration, made before the first park): it bumps the epoch and wakes,
//! and the sleep either finds the epoch moved or is woken. The loom model in
//! `ring::tests::loom_shared_wake` checks exactly these steps.

use std::io;
use std::os::fd::OwnedFd;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::sync::{Ordering, fence};
use crate::wait::eventfd::EventFd;
use crate::wait::futex::FutexWord;

/// The wake-up words of one channel, in its shared header.
#[repr(C)]
#[derive(Debug, Default)]
pub(crate) struct WakeWords {
    /// Bumped by every wake-up; blocking waiters sleep on it.
    epoch: AtomicU32,
    /// Blocking waiters asleep on `epoch`, in every process.
    sleepers: AtomicU32,
    /// Async handles, in every process, whose eventfd registration exists.
    async_handles: AtomicU32,
    _reserved: u32,
}

/// A channel's cross-process wake-up: its words in shared memory and its
/// eventfd.
#[derive(Debug)]
pub(crate) struct SharedWake {
    words: NonNull<WakeWords>,
    eventfd: EventFd,
}

// SAFETY: `words` points into a shared mapping that outlives the value (see
// `new`) and is only accessed through atomics; the eventfd is a descriptor.
unsafe impl Send for SharedWake {}
// SAFETY: as above.
unsafe impl Sync for SharedWake {}

impl SharedWake {
    /// # Safety
    ///
    /// `words` is aligned, stays mapped for the life of the value, and is
    /// only ever accessed atomically, in every process.
    pub(crate) unsafe fn new(words: NonNull<WakeWords>, eventfd: EventFd) -> Self {
        Self { words, eventfd }
    }

    fn words(&self) -> &WakeWords {
        // SAFETY: see `new`.
        unsafe { self.words.as_ref() }
    }

    fn futex(&self) -> FutexWord<'_> {
        let epoch = &self.words().epoch;
        // SAFETY: the epoch is an aligned `AtomicU32` in the mapping (see
        // `new`), accessed only atomically.
        unsafe { FutexWord::from_ptr(epoch.as_ptr()) }
    }

    /// The eventfd, to hand to a connecting process.
    pub(crate) fn eventfd_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.eventfd.fd()
    }

    /// Wakes every waiter of the channel, in every process. Called after an
    /// Acquire read of a raised waiting bit (see "Protocol"), or
    /// unconditionally (close, corruption, a dead peer's records given
    /// back).
    #[cold]
    pub(crate) fn wake(&self) {
        // SYNC POINT (change → wait): the unconditional callers changed
        // state without the ring's handshake; this fence orders their
        // stores before the loads of the waiter counts below, as the
        // ring's fence does for commits and releases.
        fence(Ordering::SeqCst);
        let w = self.words();
        // Relaxed: the kernel's bucket lock orders this before a sleeper's
        // compare that follows the wake-up.
        w.epoch.fetch_add(1, Ordering::Relaxed);
        // Relaxed (both): ordered after the announcements by the Acquire
        // that read the bit, and by the fences (see "Protocol").
        if w.sleepers.load(Ordering::Relaxed) != 0 {
            self.futex().wake(u32::MAX);
        }
        if w.async_handles.load(Ordering::Relaxed) != 0 {
            // A failing write (not an eventfd any more?) leaves futex
            // sleepers woken; async ones notice at their next poll.
            let _ = self.eventfd.signal();
        }
    }

    /// The epoch to sleep on: read before the last look at the ring.
    pub(crate) fn prepare(&self) -> u32 {
        // Acquire: a stale value only makes the sleep return at once.
        self.words().epoch.load(Ordering::Acquire)
    }

    /// Announces a blocking waiter: before it raises its waiting bit.
    pub(crate) fn announce(&self) {
        // Relaxed: published by the Release RMW that raises the bit.
        self.words().sleepers.fetch_add(1, Ordering::Relaxed);
    }

    /// Withdraws an announcement (after the sleep, or instead of it).
    pub(crate) fn retract(&self) {
        // Relaxed: a stale count costs a wake-up call, nothing else.
        self.words().sleepers.fetch_sub(1, Ordering::Relaxed);
    }

    /// Sleeps while the epoch is still `seen`, at most `timeout`; between
    /// [`announce`](Self::announce) and [`retract`](Self::retract).
    pub(crate) fn sleep(&self, seen: u32, timeout: Option<Duration>) {
        self.futex().wait(seen, timeout);
    }

    /// Registers the channel's eventfd with the current tokio runtime, for
    /// one handle's async waits. Fails outside a tokio runtime, or in one
    /// built without its IO driver.
    pub(crate) fn async_wait(&self) -> io::Result<AsyncWait> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(io::Error::other("not inside a tokio runtime"));
        }
        let fd: OwnedFd = self.eventfd.fd().try_clone_to_owned()?;
        // tokio panics (rather than failing) when the runtime has no IO
        // driver, and offers no way to ask first. The panic is caught and
        // the handle falls back to polling; the default panic hook still
        // prints its message, once per handle.
        let registered = std::panic::catch_unwind(move || {
            // SAFETY: `fd` is a valid descriptor the `AsyncFd` owns, and an
            // `OwnedFd` always returns that same descriptor until dropped.
            unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
                .map_err(|e| io::Error::other(e.to_string()))
        });
        let fd = registered.map_err(|_| {
            io::Error::other("the tokio runtime has no IO driver (build it with `enable_io`)")
        })??;
        // Relaxed: published by the Release RMW that raises the waiting
        // bit at the first park (see "Protocol").
        self.words().async_handles.fetch_add(1, Ordering::Relaxed);
        Ok(AsyncWait { fd, words: self.words })
    }
}

/// Whether the caller runs inside a tokio runtime.
pub(crate) fn in_runtime() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// The outcome of [`AsyncWait::register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registered {
    /// The task's waker will be woken by the next wake-up.
    Yes,
    /// A wake-up came since the last registration: look at the ring again,
    /// then register anew.
    WokenSince,
    /// The reactor cannot watch the descriptor: poll again later.
    Failed,
}

/// One handle's registration of the channel's eventfd with tokio.
#[derive(Debug)]
pub(crate) struct AsyncWait {
    fd: AsyncFd<OwnedFd>,
    words: NonNull<WakeWords>,
}

// SAFETY: as for `SharedWake`: the handle that owns this also keeps the
// mapping alive.
unsafe impl Send for AsyncWait {}
// SAFETY: as above.
unsafe impl Sync for AsyncWait {}

impl AsyncWait {
    /// Registers `cx` for the next wake-up.
    pub(crate) fn register(&self, cx: &mut Context<'_>) -> Registered {
        match self.fd.poll_read_ready(cx) {
            Poll::Pending => Registered::Yes,
            Poll::Ready(Ok(mut guard)) => {
                // Forget the readiness tokio cached. The counter is never
                // reset: epoll re-checks a descriptor's state before it
                // reports an edge, so a reader that reset it would swallow
                // the edges other waiters (in this or other processes) are
                // owed. Edge-triggered, every write is an edge anyway.
                guard.clear_ready();
                Registered::WokenSince
            }
            Poll::Ready(Err(_)) => Registered::Failed,
        }
    }
}

impl Drop for AsyncWait {
    fn drop(&mut self) {
        // SAFETY: the handle owning this keeps the mapping alive (see
        // `SharedWake::new`); the word is accessed atomically.
        let words = unsafe { self.words.as_ref() };
        // Relaxed: a stale count costs an eventfd write, nothing else.
        words.async_handles.fetch_sub(1, Ordering::Relaxed);
    }
}
