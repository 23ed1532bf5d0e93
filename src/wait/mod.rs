//! How a blocked side waits and is woken.
//!
//! Three strategies, chosen per channel with
//! [`Builder::wait_strategy`](crate::Builder::wait_strategy):
//! busy-spin, spin-then-yield, and spin-then-park (the default). Parking uses
//! [`event_listener`]: async callers get a future, blocking callers sleep on
//! the thread. Whether a sleeper may exist is decided through the ring's
//! waiting bits (see the ring's module docs), so the other side pays for a
//! notification only when somebody may sleep.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use psyne::wait::WaitStrategy;
//!
//! // A latency-critical thread pair: spin 100 µs before sleeping.
//! let (_tx, _rx) = psyne::channel::<u64>()
//!     .wait_strategy(WaitStrategy::SpinPark { spin: Duration::from_micros(100) })
//!     .spsc()?;
//! # Ok::<(), psyne::BuildError>(())
//! ```

#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
pub(crate) mod eventfd;
#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
pub(crate) mod futex;
#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
pub(crate) mod shared;

#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
pub(crate) use shared::{AsyncWait, SharedWake};

/// One handle's async registration with a cross-process channel's wake-up
/// (none in this build).
#[cfg(not(all(feature = "ipc", target_os = "linux", not(loom))))]
#[derive(Debug)]
pub(crate) enum AsyncWait {}
/// A cross-process channel's wake-up (none in this build).
#[cfg(not(all(feature = "ipc", target_os = "linux", not(loom))))]
#[derive(Debug)]
pub(crate) enum SharedWake {}

#[cfg(not(all(feature = "ipc", target_os = "linux", not(loom))))]
impl SharedWake {
    pub(crate) fn wake(&self) {
        match *self {}
    }
}

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use atomic_waker::AtomicWaker;
use event_listener::{Event, EventListener, Listener};

use crate::ring::{Register, Ring};
use crate::sync::{spin_loop, yield_now};

/// How a blocking or async operation waits when the channel is full (sender)
/// or empty (receiver).
///
/// The spin phase is bounded in *time*, not only in iterations: on a busy
/// machine a spinner that loses its core costs a whole scheduler slice, so
/// spinning longer than the other side's typical response time only burns
/// CPU.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use psyne::WaitStrategy;
///
/// // Lowest latency, one core fully busy while waiting:
/// let (_tx, _rx) = psyne::channel::<u64>()
///     .capacity(64)
///     .wait_strategy(WaitStrategy::BusySpin)
///     .spsc()?;
///
/// // The default: spin 20 µs, then sleep until woken.
/// assert_eq!(
///     WaitStrategy::default(),
///     WaitStrategy::SpinPark { spin: Duration::from_micros(20) }
/// );
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitStrategy {
    /// Poll in a tight loop and never give up the CPU. Async operations wake
    /// their own task and return `Pending`, so the executor keeps polling.
    ///
    /// The latency-first choice: an SPSC channel of fixed-size messages
    /// bound with it over `ipc://` (not overwrite-oldest) also lays its
    /// ring out for round trips: descriptors packed eight to a cache line,
    /// and a drained ring's next message written where the last one was,
    /// while its line is still in cache. That would cost async
    /// one-at-a-time throughput about a quarter, which is why other
    /// strategies keep the default layout; in-process channels keep it
    /// too, as on the project machine it now round-trips faster there
    /// (1.10–1.40× two bare atomics, against 1.24–1.75× packed).
    BusySpin,
    /// Spin for `spin`, then call `yield_now` between polls; never sleeps.
    SpinYield {
        /// How long to spin before yielding.
        spin: Duration,
    },
    /// Spin for `spin`, then sleep until the other side commits or releases a
    /// record (or the channel closes). A sleeping side uses no CPU.
    ///
    /// On Linux, a side of an in-process channel that goes to sleep first
    /// has the kernel put a memory barrier on every running thread of the
    /// process (`membarrier(2)`: an interrupt for each other CPU that runs
    /// one of them, about 10 µs on the project machine's virtual CPUs, and
    /// 0.4 µs when none does), so that commits and releases need no fence
    /// of their own. Producers that park on a full ring together (but
    /// for overwrite-oldest ones) share one such barrier.
    SpinPark {
        /// How long blocking calls spin before sleeping. Async calls spin
        /// for at most 5 µs of it, then register their waker.
        spin: Duration,
    },
}

impl Default for WaitStrategy {
    fn default() -> Self {
        Self::SpinPark { spin: Duration::from_micros(20) }
    }
}

impl WaitStrategy {
    /// Whether waiters of this strategy ever sleep (and so must be notified).
    #[inline]
    pub(crate) fn parks(self) -> bool {
        matches!(self, Self::SpinPark { .. })
    }

    /// How often a blocking receive polls the ring's fast path alone (a
    /// pause between polls, about 25 ns each on the project machine) before
    /// it goes into [`block`], where every poll is a full attempt, when the
    /// strategy spins that long anyway. Measured in `compare`, builds
    /// alternated: busy-spin ping-pong round trips 0.30–0.31 → 0.25–0.26 µs
    /// in-process, 0.28 → 0.21–0.22 µs between processes; two-thread
    /// throughput unchanged. (The same polls inlined into the caller made
    /// round trips faster still, 0.20–0.23 µs, but cut the throughput of
    /// `recv_blocking` from 44–59 to 18 M msg/s: a consumer that answers
    /// every commit at once keeps the ring empty and fights the producer
    /// for each line.)
    #[inline]
    pub(crate) fn fast_polls(self) -> u32 {
        match self {
            Self::BusySpin => FAST_POLLS,
            Self::SpinYield { spin } | Self::SpinPark { spin } if spin >= FAST_POLL_SPIN => {
                FAST_POLLS
            }
            Self::SpinYield { .. } | Self::SpinPark { .. } => 0,
        }
    }

    fn spin(self) -> Duration {
        match self {
            Self::BusySpin => Duration::MAX,
            Self::SpinYield { spin } | Self::SpinPark { spin } => spin,
        }
    }
}

/// What an operation's attempt says when it cannot complete now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocker {
    /// A consumer waits for a commit at this position.
    Consumer(u64),
    /// A producer waits for this position's previous lap to be released.
    Producer(u64),
    /// A producer waits for the record at this position to be released so
    /// that arena space is reclaimed.
    Reclaim(u64),
}

impl Blocker {
    fn register(self, ring: &Ring) -> Register {
        match self {
            Self::Consumer(pos) => ring.register_consumer(pos),
            Self::Producer(pos) => ring.register_producer(pos),
            Self::Reclaim(pos) => ring.register_reclaim(pos),
        }
    }
}

/// See [`WaitStrategy::fast_polls`].
const FAST_POLLS: u32 = 64;

/// Shortest spin phase that the fast polls fit in (64 pauses of about
/// 25 ns, plus the polls).
const FAST_POLL_SPIN: Duration = Duration::from_micros(4);

/// Most an async operation spins before it registers its waker: long enough
/// to catch a prompt answer, short enough not to hold up the executor.
const ASYNC_SPIN: Duration = Duration::from_micros(5);

/// How many records past the one it waits for a producer that found the
/// ring full lets the consumer free before it tries again, in rings of at
/// least 8× as many (smaller rings wait for an eighth of theirs); see
/// [`await_room`].
const ROOM_AHEAD: u64 = 128;

/// Longest a producer waits in [`await_room`] at a time.
const ROOM_WAIT: Duration = Duration::from_micros(5);

/// A producer that found the ring full (blocked on `pos`, whose previous
/// lap the consumer has not freed yet) waits, spinning, until the record
/// [`ROOM_AHEAD`] (or an eighth of the ring) further on reads free too, at
/// most [`ROOM_WAIT`] and not past `until`, before it tries again.
///
/// Retrying `pos` itself reads, at every record, the line that the
/// consumer is about to write to free it: each of the consumer's releases
/// then waits for that line to come back from the producer's core (and a
/// `Msg`'s reference count, decremented with a locked instruction right
/// after the release, waits for that store). Waiting for a run of room
/// keeps the producer out of those lines while the consumer frees them,
/// and then claims the run with misses that no longer collide. Measured on
/// the project machine (`compare --only blocking-spsc` and `async-spsc`;
/// the build before alternated 2× with a switchable prototype of this
/// wait, then this build twice): two-thread SPSC throughput, one message
/// at a time with owned `Msg`s, 13.5–13.7 → 36.3–37.0 M msg/s
/// busy-spinning and 20.4–22.3 → 40.3–40.6 with the default strategy;
/// async SPSC `send`/`recv` 10.9–12.6 → 15.2–15.9.
///
/// Only the spin phase waits so: the registration that parks a producer
/// looks at `pos` itself, so a consumer that frees fewer records and
/// stops costs a waiting producer at most `ROOM_WAIT`, never a lost
/// wake-up.
#[inline]
fn await_room(ring: &Ring, blocker: Blocker, until: Option<Instant>) {
    let Blocker::Producer(pos) = blocker else { return };
    let ahead = (ring.capacity() / 8).min(ROOM_AHEAD);
    if ahead == 0 {
        return;
    }
    let start = Instant::now();
    let end = until.map_or(start + ROOM_WAIT, |u| u.min(start + ROOM_WAIT));
    if start >= end {
        return;
    }
    let mut spins: u32 = 0;
    while !ring.reads_free(pos.wrapping_add(ahead)) {
        spin_loop();
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(16) && Instant::now() >= end {
            return;
        }
    }
}

/// How long a blocking waiter sleeps between looks when its side's barrier
/// could not be had ([`Register::Unfenced`]).
const UNFENCED_POLL: Duration = Duration::from_millis(1);

/// One attempt of a waiting operation.
pub(crate) enum Step<R> {
    /// The operation finished (successfully or not).
    Done(R),
    /// It must wait for this.
    Wait(Blocker),
}

/// The operation did not finish before its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// Where a blocking waiter sleeps.
#[derive(Clone, Copy)]
pub(crate) enum Park<'a> {
    /// An in-process channel: the event the other side notifies.
    Event(&'a Event),
    /// A channel between processes: its futex epoch.
    Shared(&'a SharedWake),
}

/// Longest a blocking waiter of a channel between processes sleeps before
/// it looks at the ring again; bounds how late it notices an error that
/// woke nobody.
#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
const SHARED_TICK: Duration = Duration::from_millis(100);

/// Runs `attempt` until it is done, waiting between attempts as `strategy`
/// says. `park` is where it sleeps.
pub(crate) fn block<R>(
    strategy: WaitStrategy,
    ring: &Ring,
    park: Park<'_>,
    deadline: Option<Instant>,
    mut attempt: impl FnMut() -> Step<R>,
) -> Result<R, Elapsed> {
    // The fast path (done at once) reads no clock.
    if let Step::Done(r) = attempt() {
        return Ok(r);
    }
    let spin = strategy.spin();
    let mut start = None;
    // A zero spin phase parks at once (after the one retry below).
    let mut spinning = !spin.is_zero();
    let mut spins: u32 = 0;
    loop {
        let blocker = match attempt() {
            Step::Done(r) => return Ok(r),
            Step::Wait(b) => b,
        };
        if spinning {
            await_room(ring, blocker, deadline);
        }
        spins = spins.wrapping_add(1);
        // Reading the clock costs ~25 ns: not for the first few spins (most
        // waits end there), then every 16th.
        if spins >= 64 && spins.is_multiple_of(16) {
            let now = Instant::now();
            let start = *start.get_or_insert(now);
            if deadline.is_some_and(|d| now >= d) {
                return Err(Elapsed);
            }
            spinning = now.duration_since(start) < spin;
        }
        if matches!(strategy, WaitStrategy::BusySpin) || spinning {
            spin_loop();
            continue;
        }
        if !strategy.parks() {
            yield_now();
            continue;
        }
        match park {
            Park::Event(event) => {
                // Park: listen first, then retry, then raise the waiting
                // bit and look once more, then sleep. A state change after
                // `register` returned `Parked` notifies `event`, and the
                // listener already exists then, so the wake-up cannot be
                // lost. On the stack: a blocking wait allocates nothing.
                event_listener::listener!(event => listener);
                let blocker = match attempt() {
                    Step::Done(r) => return Ok(r),
                    Step::Wait(b) => b,
                };
                match (blocker.register(ring), deadline) {
                    (Register::Changed, _) => continue,
                    (Register::Parked, None) => {
                        listener.wait();
                    }
                    (Register::Parked, Some(d)) => {
                        listener.wait_deadline(d);
                    }
                    // A change may not notify: look again after a while.
                    (Register::Unfenced, d) => {
                        let poll = Instant::now() + UNFENCED_POLL;
                        listener.wait_deadline(d.map_or(poll, |d| d.min(poll)));
                    }
                }
            }
            #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
            Park::Shared(wake) => {
                // The same order with the epoch as the listener: see
                // `wait::shared`.
                let seen = wake.prepare();
                let blocker = match attempt() {
                    Step::Done(r) => return Ok(r),
                    Step::Wait(b) => b,
                };
                wake.announce();
                // `Unfenced` sleeps like `Parked`: this sleep is bounded
                // anyway (`SHARED_TICK`).
                if blocker.register(ring) == Register::Changed {
                    wake.retract();
                    continue;
                }
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                wake.sleep(seen, Some(left.map_or(SHARED_TICK, |l| l.min(SHARED_TICK))));
                wake.retract();
            }
            #[cfg(not(all(feature = "ipc", target_os = "linux", not(loom))))]
            Park::Shared(never) => match *never {},
        }
        // Woken or not, a passed deadline ends the wait after one last look
        // (constant wake-ups must not stretch it).
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return match attempt() {
                Step::Done(r) => Ok(r),
                Step::Wait(_) => Err(Elapsed),
            };
        }
        spins = 0;
    }
}

/// Where an async waiter registers.
pub(crate) enum Waiter<'a> {
    /// A side with several possible waiters: an event-listener registration,
    /// kept in the handle between polls (one boxed listener per park).
    Event(&'a Event, &'a mut Option<EventListener>),
    /// The one waiter of a single-producer or single-consumer side: the
    /// task's waker in an `AtomicWaker`, with `parked` set once the current
    /// operation registered (no allocation).
    Single(&'a AtomicWaker, &'a mut bool),
    /// A channel between processes: the handle's registration of the
    /// channel's eventfd with tokio (made at its first park), with `parked`
    /// as for `Single`.
    /// `None` until the first park tries to register, then `Some(None)` if
    /// it could not (no tokio runtime with IO: the handle polls).
    #[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
    Shared(&'a SharedWake, &'a mut Option<Option<AsyncWait>>, &'a mut bool),
}

impl Waiter<'_> {
    /// Whether the current operation registered already (a later poll, after
    /// a wake-up).
    fn registered(&self) -> bool {
        match self {
            Self::Event(_, listener) => listener.is_some(),
            Self::Single(_, parked) | Self::Shared(_, _, parked) => **parked,
        }
    }

    /// Forgets the current operation's registration (it completed).
    fn done(&mut self) {
        match self {
            Self::Event(_, listener) => **listener = None,
            Self::Single(_, parked) | Self::Shared(_, _, parked) => **parked = false,
        }
    }
}

/// The async counterpart of [`block`]: one poll.
///
/// The registration persists between polls (it lives in the handle), so a
/// pending operation keeps it.
pub(crate) fn poll<R>(
    cx: &mut Context<'_>,
    strategy: WaitStrategy,
    ring: &Ring,
    mut waiter: Waiter<'_>,
    mut attempt: impl FnMut() -> Step<R>,
) -> Poll<R> {
    // Spin only on an operation's first poll: a task polled again after a
    // wake-up (every waiter of a side is woken) goes straight back to sleep
    // if it lost the race, instead of holding its executor thread again.
    let mut spun = waiter.registered();
    loop {
        if let Step::Done(r) = attempt() {
            waiter.done();
            return Poll::Ready(r);
        }
        match &mut waiter {
            Waiter::Event(_, listener) => {
                if let Some(l) = listener.as_mut() {
                    if Pin::new(l).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // Notified: something changed; look again.
                    **listener = None;
                    continue;
                }
            }
            // Polled again after a wake-up (or spuriously): the attempt above
            // looked; register afresh below.
            Waiter::Single(..) | Waiter::Shared(..) => {}
        }
        if !strategy.parks() {
            // Busy-poll through the executor: other tasks still run.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if !spun {
            spun = true;
            // A short spin first: a cross-thread wake-up costs tens of
            // microseconds on a virtual machine, an answer that comes within
            // the spin costs none.
            let spin = strategy.spin().min(ASYNC_SPIN);
            if !spin.is_zero() {
                let start = Instant::now();
                let mut spins: u32 = 0;
                loop {
                    let blocker = match attempt() {
                        Step::Done(r) => {
                            waiter.done();
                            return Poll::Ready(r);
                        }
                        Step::Wait(b) => b,
                    };
                    await_room(ring, blocker, Some(start + spin));
                    spin_loop();
                    spins = spins.wrapping_add(1);
                    if spins.is_multiple_of(16) && start.elapsed() >= spin {
                        break;
                    }
                }
            }
        }
        // Same order as in `block`: register, retry, raise the waiting bit
        // and look once more, sleep. A state change that the last look
        // missed sees the bit and wakes the registration made before it.
        match &mut waiter {
            Waiter::Event(event, listener) => **listener = Some(event.listen()),
            Waiter::Single(slot, parked) => {
                slot.register(cx.waker());
                **parked = true;
            }
            #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
            Waiter::Shared(wake, registration, parked) => {
                if registration.is_none() {
                    match wake.async_wait() {
                        Ok(w) => **registration = Some(Some(w)),
                        // In a runtime that cannot take it (no IO driver):
                        // remember, so it is not tried (and its panic
                        // caught) on every poll.
                        Err(_) if shared::in_runtime() => **registration = Some(None),
                        // Outside any runtime: try again next time.
                        Err(_) => {}
                    }
                }
                let Some(Some(reg)) = registration.as_ref() else {
                    // Outside a tokio runtime there is no reactor to sleep
                    // in: poll through the executor instead.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                };
                match reg.register(cx) {
                    shared::Registered::Yes => **parked = true,
                    shared::Registered::WokenSince => continue,
                    shared::Registered::Failed => {
                        // Its runtime is gone, say: register afresh later.
                        **registration = None;
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
            }
            #[cfg(not(all(feature = "ipc", target_os = "linux", not(loom))))]
            Waiter::Shared(never, ..) => match **never {},
        }
        match attempt() {
            Step::Done(r) => {
                waiter.done();
                return Poll::Ready(r);
            }
            Step::Wait(b) => {
                match b.register(ring) {
                    Register::Parked => {}
                    Register::Changed => {
                        if let Waiter::Event(_, listener) = &mut waiter {
                            **listener = None;
                        }
                        continue;
                    }
                    // A change may not notify: poll through the executor
                    // (without the listener, which the next poll would
                    // otherwise wait on).
                    Register::Unfenced => {
                        if let Waiter::Event(_, listener) = &mut waiter {
                            **listener = None;
                        }
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                if let Waiter::Single(..) | Waiter::Shared(..) = waiter {
                    // Registered, bit raised: the next state change wakes us.
                    return Poll::Pending;
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ring::{Claim, Take};
    use crate::sync::Barrier;

    fn take(ring: &Ring) -> Step<u64> {
        match ring.try_take(false) {
            Take::Taken { pos, .. } => Step::Done(pos),
            Take::Empty(pos) => Step::Wait(Blocker::Consumer(pos)),
            Take::Corrupt => panic!("an honest ring read as corrupt"),
        }
    }

    /// Commits position 0 after a while and notifies nobody, as a committer
    /// whose light fence raced with an unfenced waiter may.
    fn commit_silently_later(ring: &Ring) {
        std::thread::sleep(Duration::from_millis(30));
        let Claim::Claimed(pos) = ring.try_claim(false) else { panic!("claim") };
        ring.commit(pos, false, false);
    }

    /// The fast polls before the wait loop belong to the spin phase: none
    /// where it is shorter than they take (a zero spin parks at once).
    #[test]
    fn fast_polls_only_where_the_strategy_spins_that_long() {
        let park = |us| WaitStrategy::SpinPark { spin: Duration::from_micros(us) };
        let yields = |us| WaitStrategy::SpinYield { spin: Duration::from_micros(us) };
        assert_eq!(WaitStrategy::BusySpin.fast_polls(), FAST_POLLS);
        assert_eq!(WaitStrategy::default().fast_polls(), FAST_POLLS);
        assert_eq!((park(0).fast_polls(), park(1).fast_polls(), yields(3).fast_polls()), (0, 0, 0));
        assert_eq!((park(4).fast_polls(), yields(50).fast_polls()), (FAST_POLLS, FAST_POLLS));
    }

    /// Waiters whose barrier was refused poll instead of sleeping until a
    /// notification: blocking ones wake up now and then, async ones have
    /// their task polled again. Treated as parked, both would miss the
    /// silent commit (the blocking one until its deadline, the async one
    /// until the timeout).
    #[test]
    fn unfenced_waiters_poll_instead_of_sleeping() {
        let strategy = WaitStrategy::SpinPark { spin: Duration::ZERO };
        let ring = Ring::with_barrier(2, Barrier::Refused);
        let event = Event::new();
        std::thread::scope(|s| {
            s.spawn(|| commit_silently_later(&ring));
            let start = Instant::now();
            let deadline = start + Duration::from_secs(10);
            let got = block(strategy, &ring, Park::Event(&event), Some(deadline), || take(&ring));
            // (A waiter that slept through it still finds the record in its
            // last look at the deadline.)
            let late = start.elapsed() > Duration::from_secs(5);
            assert!(matches!(got, Ok(0)) && !late, "the blocking waiter missed the commit");
        });

        // Async, both kinds of registration.
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let waker = AtomicWaker::new();
        let (mut parked, mut listener) = (false, None);
        for single in [true, false] {
            let ring = Ring::with_barrier(2, Barrier::Refused);
            std::thread::scope(|s| {
                s.spawn(|| commit_silently_later(&ring));
                let wait = std::future::poll_fn(|cx| {
                    let waiter = if single {
                        Waiter::Single(&waker, &mut parked)
                    } else {
                        Waiter::Event(&event, &mut listener)
                    };
                    poll(cx, strategy, &ring, waiter, || take(&ring))
                });
                let start = Instant::now();
                let got = rt
                    .block_on(async { tokio::time::timeout(Duration::from_secs(10), wait).await });
                // (The timeout polls the wait once more when it fires.)
                let late = start.elapsed() > Duration::from_secs(5);
                assert!(got.ok() == Some(0) && !late, "async waiter (single: {single}) missed it");
            });
        }
    }
}
