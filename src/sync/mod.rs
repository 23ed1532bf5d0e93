//! The one place psyne takes its synchronisation primitives from.
//!
//! Under `--cfg loom` (for the model-checking tests) the atomics and locks
//! come from `loom`, so that loom can explore every interleaving of the ring
//! protocols; otherwise from `std`. `clippy.toml` forbids naming the std
//! atomics anywhere else.

#[cfg(all(loom, test))]
mod imp {
    pub(crate) use loom::hint::spin_loop;
    pub(crate) use loom::sync::Mutex;
    pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
    pub(crate) use loom::thread::yield_now;
    // std's `Arc` (loom's has no `Weak`): loom runs every model thread on one
    // OS thread, so the count needs no modelling; what the `Arc` holds is.
    pub(crate) use std::sync::Arc;
}

#[cfg(not(all(loom, test)))]
mod imp {
    #![allow(clippy::disallowed_types)] // the one place that may name them

    pub(crate) use std::hint::spin_loop;
    pub(crate) use std::sync::atomic::{Ordering, fence};
    pub(crate) use std::sync::{Arc, Mutex};
    pub(crate) use std::thread::yield_now;

    macro_rules! atomic {
        ($name:ident, $int:ty) => {
            /// The std atomic, behind a name that loom's replaces in models.
            #[derive(Debug, Default)]
            #[repr(transparent)]
            pub(crate) struct $name(std::sync::atomic::$name);

            impl $name {
                pub(crate) const fn new(v: $int) -> Self {
                    Self(std::sync::atomic::$name::new(v))
                }
            }

            impl std::ops::Deref for $name {
                type Target = std::sync::atomic::$name;

                #[inline(always)]
                fn deref(&self) -> &Self::Target {
                    &self.0
                }
            }
        };
    }

    atomic!(AtomicU64, u64);
    atomic!(AtomicUsize, usize);
}

pub(crate) use imp::*;

/// Locks `m`, ignoring poisoning: every critical section in psyne leaves its
/// data consistent before anything in it can panic, so a poisoned lock holds
/// valid data.
pub(crate) fn lock<T>(m: &Mutex<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    #[cfg(all(loom, test))]
    {
        m.lock().unwrap()
    }
    #[cfg(not(all(loom, test)))]
    {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Asks the CPU to bring the cache line of `p` into this core's cache
/// (x86-64; elsewhere nothing). A prefetch is no memory access: it races
/// with nobody's writes, and cannot fault, whatever `p` points at.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no effect on memory and cannot fault.
    unsafe {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The fences of the wake-up handshake (see the ring's "Wake-ups"): a
/// side that changes the ring stores, fences, then loads the waiting bits;
/// a side that wants to sleep raises its bit, fences, then looks at the
/// ring once more.
///
/// `Full` puts a sequentially consistent fence on both sides. `Process`
/// makes the pair asymmetric, as the Linux kernel's and folly's
/// asymmetric barriers do: the changing side, which runs on every commit
/// and release, only keeps the compiler from reordering its store and its
/// load; the waiting side, which runs once per sleep, has the kernel make
/// every running thread of the process execute a full memory barrier
/// (`membarrier(2)`, private expedited). Either a changing thread's load
/// comes after its barrier, and so sees the raised bit, or its store came
/// before it, and so is seen by the waiter's last look. Measured on the
/// project machine: the fence was a third of a default (spin-then-park)
/// channel's blocking SPSC throughput; a `membarrier` call costs about
/// 0.4 µs when no other CPU runs a thread of the process and 9–12 µs
/// (median) when one does and must take the interrupt (up to milliseconds
/// when the host has that virtual CPU descheduled), after a spin phase of
/// 5 µs (async) or 20 µs (blocking).
///
/// Only for rings whose every side lives in this process: the threads of
/// another process are not reached (`ipc://` rings use `Full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Barrier {
    Full,
    #[cfg_attr(not(all(target_os = "linux", not(all(loom, test)), not(miri))), allow(dead_code))]
    Process,
    /// Tests: full fences, but the waiting side's barrier is refused (as
    /// `membarrier(2)` would be under a seccomp filter installed late).
    #[cfg(test)]
    #[cfg_attr(loom, allow(dead_code))] // as `heavies`
    Refused,
    /// Tests: full fences, shared by waiters as `Process`, each waiting
    /// side's barrier counted (per thread, [`Barrier::heavies`]).
    #[cfg(test)]
    Counted,
}

#[cfg(test)]
thread_local! {
    static HEAVIES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Barrier {
    /// `Process` where this process could register for private expedited
    /// `membarrier(2)` (Linux 4.14 and later, unless a seccomp filter
    /// forbids it), `Full` elsewhere, and under loom (which models fences,
    /// not system calls) and Miri (which knows no `membarrier`).
    pub(crate) fn for_process() -> Self {
        #[cfg(all(target_os = "linux", not(all(loom, test)), not(miri)))]
        if membarrier::registered() {
            return Self::Process;
        }
        Self::Full
    }

    /// The changing side's fence, between its store and its load.
    #[inline(always)]
    pub(crate) fn light(self) {
        match self {
            Self::Full => fence(Ordering::SeqCst),
            Self::Process => std::sync::atomic::compiler_fence(Ordering::SeqCst),
            #[cfg(test)]
            Self::Refused | Self::Counted => fence(Ordering::SeqCst),
        }
    }

    /// Tests: how many waiting-side barriers of [`Barrier::Counted`] rings
    /// this thread has run.
    #[cfg(test)]
    #[cfg_attr(loom, allow(dead_code))] // the unit tests that read it are not loom's
    pub(crate) fn heavies() -> u64 {
        HEAVIES.with(std::cell::Cell::get)
    }

    /// Whether waiters may share the waiting side's barrier (see the
    /// ring's "Wake-ups"): where it is the expensive half of the
    /// asymmetric pair, in one process, whose waiting word no other
    /// process writes; under loom too, which models it as a fence, so that
    /// the models check the sharing.
    pub(crate) fn shared_by_waiters(self) -> bool {
        #[cfg(test)]
        if self == Self::Counted {
            return true;
        }
        cfg!(loom) || matches!(self, Self::Process)
    }

    /// The waiting side's fence, between raising its bit and its last look.
    /// `false` if no barrier could be had (a seccomp filter installed after
    /// the channel was built, say): the caller must then not sleep on a
    /// notification, and polls instead.
    pub(crate) fn heavy(self) -> bool {
        fence(Ordering::SeqCst);
        match self {
            Self::Full => true,
            #[cfg(all(target_os = "linux", not(all(loom, test)), not(miri)))]
            Self::Process => membarrier::process_wide(),
            #[cfg(not(all(target_os = "linux", not(all(loom, test)), not(miri))))]
            Self::Process => false,
            #[cfg(test)]
            Self::Refused => false,
            #[cfg(test)]
            Self::Counted => {
                HEAVIES.with(|n| n.set(n.get() + 1));
                true
            }
        }
    }
}

#[cfg(all(test, target_os = "linux", not(loom), not(miri)))]
mod tests {
    use super::Ordering::{Acquire, Relaxed, Release};
    use super::{AtomicU64, Barrier};

    /// Both threads spin until the other arrived at `round` (no sleeping:
    /// they must run their rounds at the same time).
    fn meet(mine: &AtomicU64, theirs: &AtomicU64, round: u64) {
        // Release, with the Acquire below: a thread that sees the other
        // arrive sees what it wrote before (the other's `seen_y`).
        mine.store(round, Release);
        let mut spins = 0u32;
        while theirs.load(Acquire) < round {
            spins += 1;
            if spins.is_multiple_of(1024) {
                // Sharing a core with the other thread (a busy test run).
                std::thread::yield_now();
            }
            std::hint::spin_loop();
        }
    }

    /// The store-buffering litmus test (Dekker's handshake) with the
    /// asymmetric pair: one thread stores, `light()`, loads; the other
    /// raises (an RMW, as the ring's waiters do), `heavy()`, loads. At
    /// least one of them must see the other's write. With the heavy side
    /// reduced to its own fence, x86 lets both loads miss (the light side's
    /// store waits in its store buffer), which this test sees within its
    /// rounds on the project machine.
    #[test]
    fn the_asymmetric_pair_forbids_store_buffering() {
        let barrier = Barrier::for_process();
        assert_eq!(barrier, Barrier::Process, "membarrier(2) is available on Linux CI");
        const ROUNDS: u64 = 20_000;
        let (x, y) = (AtomicU64::new(0), AtomicU64::new(0));
        let (a, b) = (AtomicU64::new(0), AtomicU64::new(0));
        let seen_y = AtomicU64::new(0);
        let (mut missed, mut refused) = (0, 0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for round in 1..=ROUNDS {
                    meet(&a, &b, 2 * round);
                    x.store(round, Relaxed);
                    barrier.light();
                    seen_y.store(y.load(Relaxed), Relaxed);
                    meet(&a, &b, 2 * round + 1);
                }
            });
            for round in 1..=ROUNDS {
                meet(&b, &a, 2 * round);
                y.fetch_max(round, Relaxed);
                // (Counted, not asserted: a panic here would leave the other
                // thread waiting in `meet` for ever.)
                refused += u64::from(!barrier.heavy());
                let x_now = x.load(Relaxed);
                meet(&b, &a, 2 * round + 1);
                if x_now < round && seen_y.load(Relaxed) < round {
                    missed += 1;
                }
            }
        });
        assert_eq!(refused, 0, "rounds whose barrier was refused");
        assert_eq!(missed, 0, "rounds in which both sides missed each other's write");
    }
}

#[cfg(all(target_os = "linux", not(all(loom, test)), not(miri)))]
mod membarrier {
    use std::sync::OnceLock;

    use rustix::thread::{MembarrierCommand, membarrier};

    /// Whether this process registered for private expedited barriers
    /// (tried once, with one barrier to prove it works).
    pub(super) fn registered() -> bool {
        static REGISTERED: OnceLock<bool> = OnceLock::new();
        *REGISTERED.get_or_init(|| {
            membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok()
                && membarrier(MembarrierCommand::PrivateExpedited).is_ok()
        })
    }

    /// A full memory barrier on every running thread of this process.
    pub(super) fn process_wide() -> bool {
        membarrier(MembarrierCommand::PrivateExpedited).is_ok()
            // Registration belongs to the address space: a child forked
            // after it has none, and registers now. (Not the global,
            // unregistered form: it waits for a grace period of every CPU,
            // milliseconds per sleep; a refused barrier makes waiters poll.)
            || (membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok()
                && membarrier(MembarrierCommand::PrivateExpedited).is_ok())
    }
}
