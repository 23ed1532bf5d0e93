//! The cross-process park/wake protocol of `ipc://` channels
//! (`wait::shared`), model-checked: the ring's waiting bits decide
//! whether anybody may sleep; a waiter reads the epoch before its last look and sleeps
//! on it with a futex; a waker bumps the epoch and calls `FUTEX_WAKE` only
//! if the sleeper count says somebody sleeps.
//!
//! The futex is modelled as the kernel implements it: the compare and the
//! sleep happen under the bucket lock that the wake also takes, and the
//! waker changes the word before it enters the kernel, without that lock.
//! The protocol steps are the ones `SharedWake::{prepare, sleep, wake}`
//! run, in the same order and with the same orderings.

use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::{Condvar, Mutex};
use loom::thread;

use crate::ring::{Claim, Register, Ring, Take};
use crate::sync::Arc;

/// The shared words and a model of the kernel's futex.
#[derive(Default)]
struct Futex {
    epoch: AtomicU64,
    sleepers: AtomicU64,
    bucket: Mutex<()>,
    queue: Condvar,
}

impl Futex {
    /// `SharedWake::prepare`.
    fn prepare(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// `SharedWake::announce`.
    fn announce(&self) {
        self.sleepers.fetch_add(1, Ordering::Relaxed);
    }

    /// `SharedWake::retract`.
    fn retract(&self) {
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
    }

    /// `SharedWake::sleep`: `FUTEX_WAIT` compares under the bucket lock and
    /// returns at once if the word moved.
    fn sleep(&self, seen: u64) {
        let guard = self.bucket.lock().unwrap();
        if self.epoch.load(Ordering::Relaxed) == seen {
            drop(self.queue.wait(guard).unwrap());
        }
    }

    /// `SharedWake::wake`: `FUTEX_WAKE` takes the bucket lock.
    fn wake(&self) {
        self.epoch.fetch_add(1, Ordering::Relaxed);
        if self.sleepers.load(Ordering::Relaxed) != 0 {
            let _bucket = self.bucket.lock().unwrap();
            self.queue.notify_all();
        }
    }
}

struct Chan {
    ring: Ring,
    futex: Futex,
}

impl Chan {
    /// The blocking wait of `wait::block` over the futex: `attempt` is
    /// `Err(pos)` while blocked on `pos`, `register` raises the waiting bit
    /// and looks at it once more.
    fn park_until(
        &self,
        mut attempt: impl FnMut() -> Result<(), u64>,
        register: impl Fn(u64) -> Register,
    ) {
        loop {
            let seen = self.futex.prepare();
            let Err(pos) = attempt() else { return };
            self.futex.announce();
            if register(pos) == Register::Changed {
                self.futex.retract();
                continue;
            }
            self.futex.sleep(seen);
            self.futex.retract();
        }
    }

    /// A consumer's wait for the next record (`multi`: one of several).
    fn take_waiting(&self, multi: bool) {
        self.park_until(
            || match self.ring.try_take(multi) {
                Take::Taken { .. } => Ok(()),
                Take::Empty(pos) => Err(pos),
                Take::Corrupt => panic!("an honest ring read as corrupt"),
            },
            |pos| self.ring.register_consumer(pos),
        );
    }

    /// A producer's wait for room (`multi`: one of several).
    fn claim_waiting(&self, multi: bool) {
        self.park_until(
            || match self.ring.try_claim(multi) {
                Claim::Claimed(_) => Ok(()),
                Claim::Full(pos) => Err(pos),
                Claim::Corrupt => panic!("an honest ring read as corrupt"),
            },
            |pos| self.ring.register_producer(pos),
        );
    }
}

/// A consumer in one "process" blocks on an empty one-slot ring; a
/// producer in another commits. The consumer always wakes (loom reports a
/// deadlock otherwise).
#[test]
fn a_parked_consumer_is_always_woken_across_processes() {
    loom::model(|| {
        let ch = Arc::new(Chan { ring: Ring::new(1).unwrap(), futex: Futex::default() });
        let p = ch.clone();
        let producer = thread::spawn(move || {
            let Claim::Claimed(pos) = p.ring.try_claim(false) else { panic!("ring full") };
            if p.ring.commit(pos, false, true) {
                p.futex.wake();
            }
        });
        ch.take_waiting(false);
        producer.join().unwrap();
    });
}

/// A producer blocks on a full one-slot ring; a consumer in another
/// process releases the record. The producer always wakes.
#[test]
fn a_parked_producer_is_always_woken_across_processes() {
    loom::model(|| {
        let ch = Arc::new(Chan { ring: Ring::new(1).unwrap(), futex: Futex::default() });
        let Claim::Claimed(pos) = ch.ring.try_claim(false) else { panic!("ring full") };
        ch.ring.commit(pos, false, true);
        let c = ch.clone();
        let consumer = thread::spawn(move || {
            let Take::Taken { pos, .. } = c.ring.try_take(false) else { panic!("no record") };
            if c.ring.release(pos, true) {
                c.futex.wake();
            }
        });
        ch.claim_waiting(false);
        consumer.join().unwrap();
    });
}

/// Two consumers park on the same record (the second finds the bit
/// raised by the first); both are woken as the producer commits two
/// records.
#[test]
fn consumers_sharing_the_waiting_flag_are_all_woken() {
    loom::model(|| {
        let ch = Arc::new(Chan { ring: Ring::new(2).unwrap(), futex: Futex::default() });
        let consumer = |ch: Arc<Chan>| move || ch.take_waiting(true);
        let a = thread::spawn(consumer(ch.clone()));
        let b = thread::spawn(consumer(ch.clone()));
        for _ in 0..2 {
            let Claim::Claimed(pos) = ch.ring.try_claim(false) else { panic!("ring full") };
            if ch.ring.commit(pos, false, true) {
                ch.futex.wake();
            }
        }
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// Two producers park on a full two-slot ring: the second may join the
/// first's fenced wait without a barrier of its own (see the ring's
/// "Wake-ups"). The consumer releases both records; both producers claim.
///
/// Not a protocol `ipc://` runs (its waiters share no barrier): under loom
/// every ring shares them, with fences on both sides, so this model checks
/// the mark and the generation with the futex model of this module; the
/// in-process pair (`membarrier` against a compiler fence) rests on the
/// argument in the ring's docs.
#[test]
fn producers_sharing_a_fenced_wait_are_all_woken() {
    loom::model(|| {
        let ch = Arc::new(Chan { ring: Ring::new(2).unwrap(), futex: Futex::default() });
        let mut held = Vec::new();
        for _ in 0..2 {
            let Claim::Claimed(pos) = ch.ring.try_claim(true) else { panic!("ring full") };
            ch.ring.commit(pos, false, true);
            let Take::Taken { pos, .. } = ch.ring.try_take(false) else { panic!("no record") };
            held.push(pos);
        }
        let producer = |ch: Arc<Chan>| move || ch.claim_waiting(true);
        let a = thread::spawn(producer(ch.clone()));
        let b = thread::spawn(producer(ch.clone()));
        for pos in held {
            if ch.ring.release(pos, true) {
                ch.futex.wake();
            }
        }
        a.join().unwrap();
        b.join().unwrap();
    });
}
