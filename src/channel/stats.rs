//! Channel statistics.

use crossbeam_utils::CachePadded;

use crate::ring::Ring;
use crate::sync::{AtomicU64, Ordering};

/// A snapshot of a channel's counters, from [`Sender::stats`] or
/// [`Receiver::stats`]; every handle sees the same channel-wide numbers (on
/// an `ipc://` channel, in every process: the counters live in the shared
/// segment).
///
/// Counters are read one by one while the channel runs, so a snapshot of a
/// busy channel is not atomic as a whole.
///
/// [`Sender::stats`]: crate::Sender::stats
/// [`Receiver::stats`]: crate::Receiver::stats
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
/// tx.try_send(7).unwrap();
/// tx.try_send(8).unwrap();
/// drop(rx.try_recv().unwrap());
/// let s = tx.stats();
/// assert_eq!((s.sent, s.received, s.depth, s.capacity), (2, 1, 1, 8));
/// assert_eq!(s.bytes_sent, 16);
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Messages committed.
    pub sent: u64,
    /// Messages received.
    pub received: u64,
    /// Payload bytes committed.
    pub bytes_sent: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// Messages dropped by a lossy [`Backpressure`](crate::Backpressure)
    /// policy (drop-newest or overwrite-oldest).
    pub dropped: u64,
    /// Send or reserve operations that found the channel full.
    pub full_events: u64,
    /// Reservations dropped without commit.
    pub aborted: u64,
    /// Records claimed and not yet received (in flight, or being written).
    pub depth: u64,
    /// Highest depth seen. Sampled every 64 messages and on every full event,
    /// so a short burst between samples can be missed.
    pub high_water_mark: u64,
    /// How many records the ring holds at most.
    pub capacity: usize,
    /// Size of the ring's record memory in bytes.
    pub capacity_bytes: usize,
}

// `repr(C)` (with `Counters`): a channel between processes keeps its
// counters in shared memory, laid out the same by every process.
#[derive(Debug, Default)]
#[repr(C)]
struct Side {
    count: AtomicU64,
    bytes: AtomicU64,
    /// Positions of the ring that carried no message: on the producing
    /// side, records committed as aborted (by their producer, or by the
    /// reaper of a dead one); on the consuming side, such records skipped.
    /// What turns a cursor into a message count (see [`Tally::Cursor`]).
    voids: AtomicU64,
    /// Producing side: 1 + the position of the claim a sender's `Sink` half
    /// holds between `poll_ready` and `start_send` (0 for none). Later
    /// claims of the same sender may pass it, so it is not always among the
    /// newest claims that [`Ring::unpublished`] finds.
    held: AtomicU64,
}

impl Side {
    /// Counts one message (and its bytes, for variable-size rings).
    #[inline(always)]
    fn add(&self, bytes: Option<usize>, tally: Tally) {
        self.add_n(1, tally);
        if let Some(bytes) = bytes {
            bump(&self.bytes, bytes as u64, tally);
        }
    }

    /// Counts `n` messages without bytes (fixed-size rings).
    #[inline(always)]
    fn add_n(&self, n: u64, tally: Tally) {
        bump(&self.count, n, tally);
    }

    /// The side's message count, kept as `tally` says; `cursor` gives the
    /// side's cursor for a [`Tally::Cursor`] side (read only then).
    fn total(&self, tally: Tally, cursor: impl FnOnce() -> u64) -> u64 {
        match tally {
            Tally::Cursor => cursor().wrapping_sub(self.voids.load(Ordering::Relaxed)),
            Tally::Single | Tally::Multi => self.count.load(Ordering::Relaxed),
        }
    }
}

/// How one side of a channel keeps its message count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tally {
    /// Not counted per message: the side's cursor is the count, less the
    /// positions that carried no message (`Side::voids`). For the only
    /// producer, or the only consumer, of a fixed-size ring: one more store
    /// per message cost about a fifth of busy-spin SPSC throughput on the
    /// project machine (the producer's stores are its bottleneck).
    Cursor,
    /// Counted by the side's only handle: load + store.
    Single,
    /// Counted by several handles: `fetch_add`.
    Multi,
}

impl Tally {
    /// The tallies of a channel's producing and consuming sides; `fixed`:
    /// its ring holds fixed-size records.
    pub(crate) fn of(
        fixed: bool,
        multi_producer: bool,
        multi_consumer: bool,
        take_multi: bool,
    ) -> (Self, Self) {
        (Self::producers(fixed, multi_producer), Self::consumers(fixed, multi_consumer, take_multi))
    }

    /// The producing side's tally.
    fn producers(fixed: bool, multi_producer: bool) -> Self {
        match (fixed, multi_producer) {
            (_, true) => Self::Multi,
            (true, false) => Self::Cursor,
            (false, false) => Self::Single,
        }
    }

    /// The consuming side's tally. `take_multi`: consumers advance `head`
    /// by CAS (several of them, or an overwrite-oldest producer evicting),
    /// so `head` also counts evicted records.
    fn consumers(fixed: bool, multi_consumer: bool, take_multi: bool) -> Self {
        match (fixed && !take_multi, multi_consumer) {
            (true, _) => Self::Cursor,
            (false, true) => Self::Multi,
            (false, false) => Self::Single,
        }
    }
}

/// Adds `n` to a counter kept as `tally` says.
#[inline(always)]
fn bump(word: &AtomicU64, n: u64, tally: Tally) {
    match tally {
        Tally::Cursor => {}
        // Relaxed: a statistic; no other memory depends on it.
        Tally::Multi => {
            word.fetch_add(n, Ordering::Relaxed);
        }
        // Relaxed: single writer (the only producer or consumer), so a load
        // + store cannot lose an update and avoids a locked RMW. Wrapping,
        // like `fetch_add`: on a channel between processes another process
        // may have written anything here.
        Tally::Single => {
            word.store(word.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        }
    }
}

/// The live counters of a channel: in the `Shared` of an in-process
/// channel, in the shared segment of a channel between processes (so every
/// process reads the same numbers).
///
/// Part of the `ipc://` segment layout (`segment::Control`): any change to
/// its fields, their order or their types needs a new `LAYOUT_VERSION`, or
/// two builds would read each other's counters wrongly. (A field added in
/// the padding after `high_water` would not even change the segment's
/// size.) The positions below are pinned.
///
/// The single-writer path of `bump` stays correct between processes: a
/// single side has at most one handle in all processes together, a side
/// that closed never reopens (a dead single producer has no successor), and
/// reapers touch only `voids`, which every writer adds to with `fetch_add`.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Counters {
    tx: CachePadded<Side>,
    rx: CachePadded<Side>,
    dropped: AtomicU64,
    full_events: AtomicU64,
    aborted: AtomicU64,
    high_water: AtomicU64,
}

// The shared layout of `Counters` (see above).
const _: () = {
    use std::mem::{offset_of, size_of};
    let side = size_of::<CachePadded<Side>>();
    assert!(size_of::<Side>() == 32);
    assert!(offset_of!(Counters, tx) == 0);
    assert!(offset_of!(Counters, rx) == side);
    assert!(offset_of!(Counters, dropped) == 2 * side);
    assert!(offset_of!(Counters, full_events) == 2 * side + 8);
    assert!(offset_of!(Counters, aborted) == 2 * side + 16);
    assert!(offset_of!(Counters, high_water) == 2 * side + 24);
};

// Relaxed throughout: statistics order nothing else.
impl Counters {
    /// Counts a sent message; `bytes` is `None` for fixed-size rings, whose
    /// byte totals [`Counters::snapshot`] derives from the count.
    #[inline(always)]
    pub(crate) fn sent(&self, bytes: Option<usize>, tally: Tally) {
        self.tx.add(bytes, tally);
    }

    /// Counts `n` sent messages of a fixed-size ring at once.
    #[inline]
    pub(crate) fn sent_n(&self, n: u64, tally: Tally) {
        self.tx.add_n(n, tally);
    }

    /// Counts `n` received messages of a fixed-size ring at once.
    #[inline]
    pub(crate) fn received_n(&self, n: u64, tally: Tally) {
        self.rx.add_n(n, tally);
    }

    /// Counts a received message; `bytes` as for [`Counters::sent`].
    #[inline(always)]
    pub(crate) fn received(&self, bytes: Option<usize>, tally: Tally) {
        self.rx.add(bytes, tally);
    }

    /// Counts `n` positions committed as aborted (by a producer, or by the
    /// reaper of a dead one).
    pub(crate) fn voided(&self, n: u64) {
        self.tx.voids.fetch_add(n, Ordering::Relaxed);
    }

    /// Records the claim a `Sink` holds for its next item (`None`: it holds
    /// none now). Written by the only producer of a `Tally::Cursor` side,
    /// or by any producer (and then unused).
    pub(crate) fn hold(&self, pos: Option<u64>) {
        self.tx.held.store(pos.map_or(0, |p| p.wrapping_add(1)), Ordering::Relaxed);
    }

    /// Counts an aborted record a consumer skipped.
    pub(crate) fn skipped(&self) {
        self.rx.voids.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self) {
        self.dropped_n(1);
    }

    pub(crate) fn dropped_n(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn aborted(&self) {
        self.aborted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn full(&self, capacity: u64) {
        self.full_events.fetch_add(1, Ordering::Relaxed);
        self.observe_depth(capacity);
    }

    pub(crate) fn observe_depth(&self, depth: u64) {
        // A locked RMW only for a new maximum: `fetch_max` alone is a
        // locked compare-exchange every time (it drains the store buffer of
        // a producer that samples every 64 records).
        if depth > self.high_water.load(Ordering::Relaxed) {
            self.high_water.fetch_max(depth, Ordering::Relaxed);
        }
    }

    /// Claims of a single producer not committed yet, of the `depth` behind
    /// `tail`: the newest ones (records being written), and the one its
    /// `Sink` holds if newer claims passed it.
    fn unpublished(&self, ring: &Ring, tail: u64, depth: u64) -> u64 {
        let newest = ring.unpublished(tail, depth);
        let held = self.tx.held.load(Ordering::Relaxed).wrapping_sub(1);
        let behind = tail.wrapping_sub(held);
        let passed = behind > newest && behind <= depth && ring.is_unpublished(held);
        newest + u64::from(passed)
    }

    /// The counters now, with the cursors of `ring`; `fixed_size` is the
    /// record size of a fixed-size ring (whose byte totals are counted as
    /// messages × size), `tx` and `rx` say how its sides keep their counts.
    pub(crate) fn snapshot(
        &self,
        ring: &Ring,
        (tx, rx): (Tally, Tally),
        capacity_bytes: usize,
        fixed_size: Option<usize>,
    ) -> Stats {
        // Wrapping and capped throughout: the cursors and counters may come
        // from shared memory, where a faulty peer may have written anything.
        // `head` first: for cursor tallies, a message counted as received
        // was sent before (Relaxed loads: on x86 at least).
        let head = ring.head();
        let tail = ring.tail();
        let capacity = ring.capacity();
        let depth = tail.saturating_sub(head).min(capacity);
        let sent = self.tx.total(tx, || tail.wrapping_sub(self.unpublished(ring, tail, depth)));
        let received = self.rx.total(rx, || head);
        let (bytes_sent, bytes_received) = match fixed_size {
            Some(size) => (sent.saturating_mul(size as u64), received.saturating_mul(size as u64)),
            None => (self.tx.bytes.load(Ordering::Relaxed), self.rx.bytes.load(Ordering::Relaxed)),
        };
        Stats {
            sent,
            received,
            bytes_sent,
            bytes_received,
            dropped: self.dropped.load(Ordering::Relaxed),
            full_events: self.full_events.load(Ordering::Relaxed),
            aborted: self.aborted.load(Ordering::Relaxed),
            depth,
            high_water_mark: self.high_water.load(Ordering::Relaxed).max(depth),
            capacity: capacity as usize,
            capacity_bytes,
        }
    }
}
