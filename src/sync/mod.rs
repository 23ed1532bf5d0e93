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
