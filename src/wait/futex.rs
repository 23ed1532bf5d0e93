//! Futex words: how a process parks on a 32-bit word in shared memory and
//! another process wakes it, with the shared (non-private) futex
//! operations that work across address spaces.
//!
//! The protocol on top (who sets which bit before sleeping, who wakes whom)
//! is the ring's; this module only sleeps and wakes. Used by `ipc://` as it
//! is wired up (issue #4).

#![cfg_attr(not(test), allow(dead_code))]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rustix::thread::futex;

/// How a [`FutexWord::wait`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woke {
    /// Woken by a `wake`, or spuriously: re-check the condition.
    Woken,
    /// The word no longer held the expected value when the call began.
    Changed,
    /// The timeout passed.
    TimedOut,
}

/// A 32-bit word, usually in a shared mapping, to park on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FutexWord<'a>(&'a AtomicU32);

impl<'a> FutexWord<'a> {
    /// The word at `ptr`.
    ///
    /// # Safety
    ///
    /// - `ptr` is 4-byte aligned and points into memory that stays mapped
    ///   for `'a`;
    /// - every access to those 4 bytes, in every process, is atomic.
    pub(crate) unsafe fn from_ptr(ptr: *mut u32) -> Self {
        // SAFETY: the caller guarantees alignment, validity for `'a` and
        // atomic-only access, the preconditions of `AtomicU32::from_ptr`.
        Self(unsafe { AtomicU32::from_ptr(ptr) })
    }

    /// The atomic itself, for the protocol's loads, stores and RMWs.
    pub(crate) fn atomic(&self) -> &'a AtomicU32 {
        self.0
    }

    /// Sleeps while the word holds `expected`, up to `timeout` (forever if
    /// `None`). The kernel compares and sleeps atomically with respect to
    /// [`wake`](Self::wake), so a store followed by a wake is never missed.
    pub(crate) fn wait(&self, expected: u32, timeout: Option<Duration>) -> Woke {
        // A timeout too large for the kernel waits without limit.
        let ts = timeout.and_then(|d| futex::Timespec::try_from(d).ok());
        // Shared, not `PRIVATE`: the waker may be another process.
        match futex::wait(self.0, futex::Flags::empty(), expected, ts.as_ref()) {
            Ok(()) => Woke::Woken,
            Err(rustix::io::Errno::AGAIN) => Woke::Changed,
            Err(rustix::io::Errno::TIMEDOUT) => Woke::TimedOut,
            // EINTR (a signal) and anything unexpected: the caller re-checks.
            Err(_) => Woke::Woken,
        }
    }

    /// Wakes up to `n` sleepers; returns how many woke.
    pub(crate) fn wake(&self, n: u32) -> usize {
        futex::wake(self.0, futex::Flags::empty(), n).unwrap_or(0)
    }

    /// Stores `value` (Release: publishes what was written before) and wakes
    /// every sleeper.
    pub(crate) fn set_and_wake_all(&self, value: u32) -> usize {
        self.0.store(value, Ordering::Release);
        self.wake(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;
    use std::time::Instant;

    use super::*;
    use crate::region::shm::ShmRegion;
    use crate::transport::IpcAccess;
    use crate::transport::ipc::handshake::{Listener, connect, recv_region, send_region};
    use crate::transport::ipc::test_child;

    fn word(region: &ShmRegion) -> FutexWord<'_> {
        // SAFETY: the mapping is page-aligned and at least 4 bytes long, it
        // outlives the borrow of `region`, and the tests touch the word only
        // through the atomic.
        unsafe { FutexWord::from_ptr(region.base().as_ptr().cast::<u32>()) }
    }

    #[test]
    fn waits_return_at_once_on_a_changed_word_and_time_out_otherwise() {
        let region = ShmRegion::create("futex", 4096).unwrap();
        let w = word(&region);
        w.atomic().store(5, Ordering::Relaxed);
        assert_eq!(w.wait(4, None), Woke::Changed);
        let start = Instant::now();
        assert_eq!(w.wait(5, Some(Duration::from_millis(20))), Woke::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(w.wake(1), 0, "nobody sleeps");
    }

    #[test]
    fn a_thread_parked_on_a_shared_word_is_woken() {
        let region = ShmRegion::create("futex", 4096).unwrap();
        let w = word(&region);
        std::thread::scope(|s| {
            let sleeper = s.spawn(move || {
                while w.atomic().load(Ordering::Acquire) == 0 {
                    w.wait(0, Some(Duration::from_secs(10)));
                }
            });
            std::thread::sleep(Duration::from_millis(10));
            w.set_and_wake_all(1);
            sleeper.join().unwrap();
        });
    }

    /// A re-executed child parks on a word of a region received from the
    /// parent; the parent sets the word and wakes it across processes.
    #[test]
    fn a_process_parked_on_a_shared_word_is_woken() {
        const TEST: &str = "wait::futex::tests::a_process_parked_on_a_shared_word_is_woken";
        if let Some(name) = test_child::role(TEST) {
            let binder = connect(&name, &IpcAccess::SameUser).unwrap();
            let (fd, _) = recv_region(binder.sock.as_fd(), &mut [0u8; 1]).unwrap();
            let region = ShmRegion::open(fd, 4096, 4096).unwrap();
            let w = word(&region);
            // Tell the parent we are about to sleep, then sleep until 2.
            w.atomic().store(1, Ordering::Release);
            w.wake(u32::MAX);
            let deadline = Instant::now() + Duration::from_secs(20);
            while w.atomic().load(Ordering::Acquire) != 2 {
                assert!(Instant::now() < deadline, "never woken");
                w.wait(1, Some(Duration::from_secs(10)));
            }
            return;
        }
        let name = format!("test-futex-{}", std::process::id());
        let listener = Listener::bind(&name).unwrap();
        let region = ShmRegion::create("futex-cross", 4096).unwrap();
        let child = test_child::spawn(TEST, &name);
        let peer = listener.accept_timeout(Duration::from_secs(20)).unwrap();
        send_region(peer.sock.as_fd(), region.fd(), &[0]).unwrap();
        let w = word(&region);
        let deadline = Instant::now() + Duration::from_secs(20);
        while w.atomic().load(Ordering::Acquire) != 1 {
            assert!(Instant::now() < deadline, "child never started waiting");
            w.wait(0, Some(Duration::from_millis(100)));
        }
        std::thread::sleep(Duration::from_millis(20)); // let it park
        w.set_and_wake_all(2);
        child.join();
    }
}
