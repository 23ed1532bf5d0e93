//! The state every handle of one channel shares.

use std::ptr::NonNull;

use atomic_waker::AtomicWaker;
use event_listener::Event;

use crate::channel::msg::Claimed;
use crate::channel::stats::{Counters, Stats, Tally};
use crate::channel::{Backpressure, BuildError};
use crate::message::Schema;
use crate::region::{HeapRegion, Place};
pub(crate) use crate::ring::Attach;
use crate::ring::{Arena, Cycle, Handles, Layout, PAYLOAD_ALIGN, Ring, round_up};
use crate::sync::{AtomicUsize, Mutex, Ordering, lock};
use crate::wait::{AsyncWait, Park, SharedWake, WaitStrategy, Waiter};

/// Most descriptors a byte-sized ring gets (bounds its metadata to 4 MiB).
pub(crate) const MAX_DESCS: u64 = 1 << 16;

/// Where records live in the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordLayout {
    /// One record of `size` bytes per descriptor, `stride` bytes apart.
    Fixed { stride: usize, size: usize },
    /// Records of any size in an arena of `arena` bytes.
    Variable { arena: u64 },
}

/// A handle's async registrations: where its pending operation waits
/// between polls.
#[derive(Debug, Default)]
pub(crate) struct AsyncWaits {
    /// Registration of a pending operation (several handles on the side).
    pub(crate) listener: Option<event_listener::EventListener>,
    /// Whether a pending operation registered (one handle on the side, or a
    /// channel between processes).
    pub(crate) parked: bool,
    /// The handle's registration with tokio (channels between processes):
    /// `Some(None)` once it turned out impossible.
    pub(crate) shared: Option<Option<AsyncWait>>,
}

impl AsyncWaits {
    /// Forgets a pending operation's registration (kept: the one with
    /// tokio, which outlives operations).
    ///
    /// Inline, and the listener's (out-of-line) drop only when there is
    /// one: this runs on every completed receive, and a call here made the
    /// compiler spill the message handle to the stack and reload it with
    /// wider loads (a store-forwarding stall): 7 % of a 64-byte
    /// `send().await` + `recv().await` pair in `benches/channel.rs`.
    #[inline]
    pub(crate) fn reset(&mut self) {
        if self.listener.is_some() {
            self.listener = None;
        }
        self.parked = false;
    }
}

/// Everything fixed when the channel is built.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) backpressure: Backpressure,
    pub(crate) wait: WaitStrategy,
    pub(crate) zero_on_reserve: bool,
    pub(crate) multi_producer: bool,
    pub(crate) multi_consumer: bool,
    pub(crate) pattern: &'static str,
    /// Whether consumers must advance `head` by CAS: several consumers, or a
    /// producer that evicts the oldest record.
    pub(crate) take_multi: bool,
    /// Whether waiters may sleep (so commits and releases must look for
    /// them).
    pub(crate) parks: bool,
    pub(crate) type_name: &'static str,
    /// The message schema, recorded in the channel so connecting peers can
    /// compare fingerprints.
    pub(crate) schema: &'static Schema,
    pub(crate) uri: Option<String>,
}

/// How big a channel is, as the user asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    Records(usize),
    Bytes(usize),
}

/// The sizes a channel's ring is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) layout: RecordLayout,
    /// Number of descriptors.
    pub(crate) descs: u64,
    /// Bytes of record storage.
    pub(crate) bytes: usize,
}

impl Geometry {
    /// The geometry for messages of `(size, align)` (`None`: variable size)
    /// in a channel of `size`.
    pub(crate) fn new(
        size: Size,
        message: Option<(usize, usize)>,
        type_name: &'static str,
    ) -> Result<Self, BuildError> {
        let (layout, descs, bytes) = match (size, message) {
            (Size::Records(0) | Size::Bytes(0), _) => return Err(BuildError::ZeroCapacity),
            (Size::Records(_), None) => {
                return Err(BuildError::NeedsBytes { type_name });
            }
            (Size::Records(n), Some((msg, _))) => {
                let stride = round_up(msg.max(1) as u64, PAYLOAD_ALIGN as u64);
                let bytes = u128::from(stride) * n as u128;
                let bytes = usize::try_from(bytes)
                    .ok()
                    .filter(|b| *b <= isize::MAX as usize)
                    .ok_or(BuildError::TooLarge { bytes })?;
                (RecordLayout::Fixed { stride: stride as usize, size: msg }, n as u64, bytes)
            }
            (Size::Bytes(n), message) => {
                let arena = (n as u64)
                    .checked_next_multiple_of(PAYLOAD_ALIGN as u64)
                    .filter(|a| *a <= isize::MAX as u64 / 2)
                    .ok_or(BuildError::TooLarge { bytes: n as u128 })?;
                let per_record = match message {
                    Some((msg, _)) => {
                        if msg as u64 > arena {
                            return Err(BuildError::MessageTooLarge { size: msg, ring: n });
                        }
                        round_up(msg.max(1) as u64, PAYLOAD_ALIGN as u64)
                    }
                    None => PAYLOAD_ALIGN as u64,
                };
                let descs = (arena / per_record).clamp(1, MAX_DESCS);
                (RecordLayout::Variable { arena }, descs, arena as usize)
            }
        };
        // Whichever layout the ring gets (see `Geometry::ring_layout`).
        let desc_bytes = Ring::desc_bytes(descs as usize, Layout::Spread)
            .max(Ring::desc_bytes(descs as usize, Layout::Packed));
        let total = bytes as u128 + desc_bytes as u128;
        if total > isize::MAX as u128 {
            return Err(BuildError::TooLarge { bytes: total });
        }
        Ok(Self { layout, descs, bytes })
    }

    /// How a ring of these records between processes, built with `cfg`,
    /// lays out its descriptors. Packed, which gives the ring hot slots
    /// (see `ring`'s "Hot slots"), for the latency-first channels:
    /// busy-spinning (no commit or release looks for sleepers, so no fence
    /// waits for a line), one producer and one consumer that takes without
    /// CAS, fixed-size records. Measured on the project machine, the
    /// packed layout once took a spinning round trip from 1.5× to about
    /// 1.2× two bare atomics, and costs async send/recv about a quarter: a
    /// consumer's release then stores into a line the producer is
    /// writing, and the next locked instruction (the `Msg`'s reference
    /// count) waits for it. Between processes it still reads no worse
    /// (`compare --only ipc`, spin round trip 0.33 µs packed against 0.35
    /// spread); in-process rings are always spread (see [`Shared::new`]).
    #[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
    pub(crate) fn ring_layout(&self, cfg: &Config) -> Layout {
        let latency_first = matches!(cfg.wait, WaitStrategy::BusySpin)
            && !cfg.parks
            && !cfg.multi_producer
            && !cfg.take_multi
            && matches!(self.layout, RecordLayout::Fixed { .. });
        if latency_first { Layout::Packed } else { Layout::Spread }
    }
}

/// Where a channel's records are.
#[derive(Debug)]
enum Region {
    /// A heap allocation of the channel's own.
    Heap(HeapRegion),
    /// Memory that [`Remote::keep`] keeps mapped.
    #[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
    Mapped { base: NonNull<u8>, len: usize },
}

impl Region {
    #[inline]
    fn base(&self) -> NonNull<u8> {
        match self {
            Self::Heap(r) => r.base(),
            Self::Mapped { base, .. } => *base,
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Heap(r) => r.len(),
            Self::Mapped { len, .. } => *len,
        }
    }
}

// SAFETY: a `Mapped` region is a pointer into a shared mapping that
// `Remote::keep` owns; like `HeapRegion`, access to the bytes is
// synchronised by the ring.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

/// Holding bits of a process (see [`Remote::held`]).
pub(crate) const HOLDS_SENDERS: usize = 1;
/// See [`HOLDS_SENDERS`].
pub(crate) const HOLDS_RECEIVERS: usize = 2;

/// What a channel between processes adds: the handle counts of every
/// process, in shared memory, the wake-up words, and whatever the transport
/// keeps alive for as long as the channel lives (its mapping, its monitor).
pub(crate) struct Remote {
    /// Processes holding senders (each counted once), in shared memory.
    pub(crate) senders: Place<Handles>,
    /// Processes holding receivers, in shared memory.
    pub(crate) receivers: Place<Handles>,
    /// Which sides this process is counted on ([`HOLDS_SENDERS`],
    /// [`HOLDS_RECEIVERS`]), in shared memory: whoever clears a bit (this
    /// process leaving, or a reaper after it died) detaches that side.
    pub(crate) held: Place<AtomicUsize>,
    pub(crate) wake: SharedWake,
    /// This process's owner number in the ring (`1..=MAX_OWNERS`).
    pub(crate) owner: usize,
    /// The arena allocator of a multi-producer variable-size channel.
    #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
    pub(crate) arena: Option<Place<crate::ring::SharedArena>>,
    /// Whether owner number `n` belongs to an attached process.
    #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
    pub(crate) alive: Box<dyn Fn(usize) -> bool + Send + Sync>,
    /// The channel's corruption flag (moved into the `Shared` on build).
    pub(crate) corrupt: Option<Place<AtomicUsize>>,
    /// The channel's counters (moved into the `Shared` on build).
    pub(crate) stats: Option<Place<Counters>>,
    /// Dropped last: keeps the memory above mapped.
    #[allow(dead_code, reason = "held for its `Drop`")]
    pub(crate) keep: Box<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("owner", &self.owner).finish_non_exhaustive()
    }
}

impl Remote {
    /// Stops counting this process on the side of `bit`, if it still is.
    fn leave(&self, bit: usize, side: &Handles) -> bool {
        // AcqRel: the bit is a token; whoever clears it detaches once.
        self.held.fetch_and(!bit, Ordering::AcqRel) & bit != 0 && side.detach()
    }
}

/// The shared state of one channel.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) ring: Ring,
    region: Region,
    pub(crate) layout: RecordLayout,
    /// The arena allocator of multi-producer variable-size channels.
    pub(crate) arena: Mutex<Arena>,
    /// Notified when a record is committed, a record some producer waits on
    /// is released, or the last sender leaves. Consumers listen here.
    pub(crate) rx_event: Event,
    /// Notified like `rx_event`, and when the last receiver leaves.
    /// Producers listen here.
    pub(crate) tx_event: Event,
    /// The async waiter of a single-consumer side (woken with `rx_event`).
    pub(crate) rx_waker: AtomicWaker,
    /// The async waiter of a single-producer side (woken with `tx_event`).
    pub(crate) tx_waker: AtomicWaker,
    /// Live senders (of this process, for a channel between processes).
    senders: Handles,
    /// Live receivers, likewise.
    receivers: Handles,
    pub(crate) cfg: Config,
    /// The channel's counters (in shared memory for a channel between
    /// processes).
    pub(crate) stats: Place<Counters>,
    /// How the producing and the consuming side keep their message counts.
    pub(crate) tally: (Tally, Tally),
    /// Non-zero once a record from another process failed its checks (in
    /// shared memory for a channel between processes, so every process
    /// learns it).
    corrupt: Place<AtomicUsize>,
    /// Set for a channel between processes. Last: see [`Remote::keep`].
    remote: Option<Remote>,
}

impl Shared {
    /// Builds the ring for messages of `(size, align)` (`None`: variable
    /// size), with the given handle counts.
    pub(crate) fn new(
        size: Size,
        message: Option<(usize, usize)>,
        cfg: Config,
        senders: usize,
        receivers: usize,
    ) -> Result<Self, BuildError> {
        let geometry = Geometry::new(size, message, cfg.type_name)?;
        let bytes = geometry.bytes;
        let region = HeapRegion::zeroed(bytes).ok_or(BuildError::OutOfMemory { bytes })?;
        // Spread, whatever the strategy: in-process, since the room wait
        // and the receivers' fast polls, the packed layout of
        // `Geometry::ring_layout` only costs. Busy-spinning SPSC, both
        // layouts alternated in one process 10×: ping-pong round trip
        // 1.24–1.75× two bare atomics packed against 1.10–1.40× spread,
        // one-way throughput 36.4–37.5 against 38.2–44.1 M msg/s.
        let layout = Layout::Spread;
        let ring =
            Ring::with_layout(geometry.descs as usize, layout).ok_or(BuildError::OutOfMemory {
                bytes: Ring::desc_bytes(geometry.descs as usize, layout),
            })?;
        Ok(Self::with(geometry.layout, ring, Region::Heap(region), cfg, senders, receivers, None))
    }

    /// The state of a channel between processes: its ring and records in
    /// memory that `remote.keep` keeps mapped, with this process's first
    /// handles.
    ///
    /// # Safety
    ///
    /// `base..base + geometry.bytes` is mapped for as long as `remote.keep`
    /// lives, and holds the records `ring` describes.
    #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
    pub(crate) unsafe fn mapped(
        geometry: Geometry,
        ring: Ring,
        base: NonNull<u8>,
        cfg: Config,
        remote: Remote,
        senders: usize,
        receivers: usize,
    ) -> Self {
        let region = Region::Mapped { base, len: geometry.bytes };
        Self::with(geometry.layout, ring, region, cfg, senders, receivers, Some(remote))
    }

    fn with(
        layout: RecordLayout,
        mut ring: Ring,
        region: Region,
        cfg: Config,
        senders: usize,
        receivers: usize,
        mut remote: Option<Remote>,
    ) -> Self {
        let arena_size = match layout {
            RecordLayout::Variable { arena } => arena,
            RecordLayout::Fixed { .. } => 0,
        };
        ring.set_evicts(matches!(cfg.backpressure, Backpressure::OverwriteOldest));
        let fixed = matches!(layout, RecordLayout::Fixed { .. });
        let tally = Tally::of(fixed, cfg.multi_producer, cfg.multi_consumer, cfg.take_multi);
        let (rx_event, tx_event) = (Event::new(), Event::new());
        // An `Event` allocates its list on first use, which would be the
        // first park or wake-up, in the middle of traffic: allocate it now,
        // with the channel (a listener needs the list, whatever version of
        // event-listener this builds with).
        drop(rx_event.listen());
        drop(tx_event.listen());
        Self {
            ring,
            region,
            layout,
            arena: Mutex::new(Arena::new(arena_size)),
            rx_event,
            tx_event,
            rx_waker: AtomicWaker::new(),
            tx_waker: AtomicWaker::new(),
            senders: Handles::new(senders),
            receivers: Handles::new(receivers),
            cfg,
            stats: remote
                .as_mut()
                .and_then(|r| r.stats.take())
                .unwrap_or_else(|| Place::boxed(Box::new(Counters::default()))),
            tally,
            corrupt: remote
                .as_mut()
                .and_then(|r| r.corrupt.take())
                .unwrap_or_else(|| Place::boxed(Box::new(AtomicUsize::new(0)))),
            remote,
        }
    }

    /// This process's owner number for the records its senders claim, if
    /// claims are recorded: between processes, with several producers (a
    /// reaper finds a single producer's claims from the cursors, see
    /// `Ring::reap`).
    #[inline(always)]
    pub(crate) fn claim_owner(&self) -> Option<usize> {
        self.remote.as_ref().filter(|_| self.cfg.multi_producer).map(|r| r.owner)
    }

    /// As [`claim_owner`](Self::claim_owner), for the records its receivers
    /// take: recorded where consumers take by CAS (several consumers, or an
    /// overwrite-oldest producer that takes too).
    #[inline(always)]
    pub(crate) fn take_owner(&self) -> Option<usize> {
        self.remote.as_ref().filter(|_| self.cfg.take_multi).map(|r| r.owner)
    }

    /// Marks the channel unusable: a record from another process failed its
    /// checks. Wakes everybody, so every waiter sees it.
    #[cold]
    pub(crate) fn corrupted(&self) {
        // Relaxed: a flag; nothing is published with it.
        self.corrupt.store(1, Ordering::Relaxed);
        self.wake();
    }

    /// Whether [`corrupted`](Self::corrupted) was called.
    #[inline]
    pub(crate) fn is_corrupted(&self) -> bool {
        // Relaxed: see `corrupted`.
        self.corrupt.load(Ordering::Relaxed) != 0
    }

    /// Where a blocking producer sleeps.
    pub(crate) fn tx_park(&self) -> Park<'_> {
        match &self.remote {
            Some(r) => Park::Shared(&r.wake),
            None => Park::Event(&self.tx_event),
        }
    }

    /// Where a blocking consumer sleeps.
    pub(crate) fn rx_park(&self) -> Park<'_> {
        match &self.remote {
            Some(r) => Park::Shared(&r.wake),
            None => Park::Event(&self.rx_event),
        }
    }

    /// Where an async producer (`multi`: one of several) registers.
    pub(crate) fn tx_waiter<'a>(&'a self, multi: bool, w: &'a mut AsyncWaits) -> Waiter<'a> {
        match &self.remote {
            Some(r) => Waiter::Shared(&r.wake, &mut w.shared, &mut w.parked),
            None if multi => Waiter::Event(&self.tx_event, &mut w.listener),
            None => Waiter::Single(&self.tx_waker, &mut w.parked),
        }
    }

    /// Where an async consumer (`multi`: one of several) registers.
    pub(crate) fn rx_waiter<'a>(&'a self, multi: bool, w: &'a mut AsyncWaits) -> Waiter<'a> {
        match &self.remote {
            Some(r) => Waiter::Shared(&r.wake, &mut w.shared, &mut w.parked),
            None if multi => Waiter::Event(&self.rx_event, &mut w.listener),
            None => Waiter::Single(&self.rx_waker, &mut w.parked),
        }
    }

    /// Largest record in bytes this channel can ever hold.
    pub(crate) fn max_record(&self) -> usize {
        match self.layout {
            RecordLayout::Fixed { size, .. } => size,
            RecordLayout::Variable { arena } => arena as usize,
        }
    }

    /// A fresh single-producer arena allocator, for a variable-size channel.
    pub(crate) fn local_arena(&self) -> Option<Arena> {
        match self.layout {
            RecordLayout::Variable { arena } if !self.cfg.multi_producer => Some(Arena::new(arena)),
            _ => None,
        }
    }

    /// The byte offsets of the records from payload `slot` (below the
    /// ring's capacity) on, of a fixed-size ring: those of a run a producer
    /// claimed, or of a batch a consumer took, follow each other (see
    /// `ring`'s "Hot slots": no epoch starts while a record is
    /// outstanding). Of a variable-size ring, `slot` is the offset of its
    /// one record, and stepping stays there.
    #[inline]
    pub(crate) fn slots(&self, slot: usize) -> Cycle {
        match self.layout {
            RecordLayout::Fixed { stride, .. } => {
                Cycle::new(slot * stride, stride, self.ring.capacity() as usize * stride)
            }
            RecordLayout::Variable { .. } => Cycle::new(slot, 0, usize::MAX),
        }
    }

    /// Offset of the record at arena position `off` of a variable-size
    /// ring, or in payload `slot` of a fixed-size one (a producer's
    /// [`Ring::producer_slot`] or a consumer's [`Ring::consumer_slot`]).
    #[inline(always)]
    pub(crate) fn record_offset(&self, slot: usize, off: u64) -> usize {
        match self.layout {
            RecordLayout::Fixed { stride, .. } => slot * stride,
            RecordLayout::Variable { arena } => (off % arena) as usize,
        }
    }

    /// The record bytes `[offset, offset + len)`.
    ///
    /// Callers pass an offset and length that the ring handed to them (so the
    /// range is inside the region) and own the record, so nobody else writes
    /// it while they read.
    #[inline(always)]
    pub(crate) fn record_ptr(&self, offset: usize) -> NonNull<u8> {
        debug_assert!(offset <= self.region.len());
        // SAFETY: `offset` is at most the region's length (it is the offset of
        // a record inside the region), so the result stays inside the same
        // allocation or one past its end, as `NonNull::add` requires.
        unsafe { self.region.base().add(offset) }
    }

    /// Asks the CPU to bring the line at `offset` into this core's cache:
    /// a consumer that finds its next record not yet committed pulls the
    /// payload's line while it waits, so that the commit it then sees finds
    /// the payload already on its way (a prefetch is no memory access: it
    /// races with nobody's writes).
    #[inline(always)]
    pub(crate) fn prefetch(&self, offset: usize) {
        crate::sync::prefetch(self.record_ptr(offset).as_ptr());
    }

    /// Wakes every sleeper of both sides. Called when one of the ring's
    /// waiting bits was seen raised, and unconditionally on close, abort of
    /// an older claim, and corruption.
    #[cold]
    pub(crate) fn wake(&self) {
        self.rx_event.notify(usize::MAX);
        self.tx_event.notify(usize::MAX);
        self.rx_waker.wake();
        self.tx_waker.wake();
        if let Some(remote) = &self.remote {
            remote.wake.wake();
        }
    }

    /// Producer: publishes or aborts a claimed record and accounts for it.
    #[inline(always)]
    pub(crate) fn publish(&self, pos: u64, len: usize, abort: bool) {
        if self.ring.commit(pos, abort, self.cfg.parks) {
            self.wake();
        }
        if abort {
            self.stats.aborted();
            self.stats.voided(1);
        } else {
            self.stats.sent(self.variable_len(len), self.tally.0);
            if pos.is_multiple_of(64) {
                self.sample_depth();
            }
        }
    }

    /// Records the ring's depth now in the high-water mark (a sample: the
    /// per-record paths call it every 64 records, batch sends once per
    /// batch).
    pub(crate) fn sample_depth(&self) {
        // Wrapping: the cursors may come from shared memory. Several
        // producers: consumers may already be past this producer's claims.
        self.stats.observe_depth(
            self.ring.tail().wrapping_sub(self.ring.head()).min(self.ring.capacity()),
        );
    }

    /// Producer: withdraws a claimed record. The newest claim is simply given
    /// back; an older one is committed as aborted, for consumers to skip.
    /// `arena` is the sender's own allocator (single-producer variable-size
    /// channels).
    pub(crate) fn abort(&self, claimed: Claimed, arena: Option<&mut Arena>) {
        let undone = match (self.layout, arena) {
            (RecordLayout::Fixed { .. }, _) => self.unclaim(claimed.pos),
            (RecordLayout::Variable { .. }, Some(arena)) => self.give_back(claimed.pos, || {
                arena.try_unalloc(&self.ring, claimed.pos, claimed.undo)
            }),
            (RecordLayout::Variable { .. }, None) => self.give_back(claimed.pos, || {
                self.with_shared_arena(|a| a.try_unalloc(&self.ring, claimed.pos, claimed.undo))
                    .unwrap_or(false)
            }),
        };
        if undone {
            self.stats.aborted();
            self.gave_back();
        } else {
            self.publish(claimed.pos, claimed.len, true);
        }
    }

    /// Producer: gives back the claim of `pos` in a fixed-size ring if it
    /// is the newest claim ([`Ring::try_unclaim`]). Returns whether it did;
    /// if not, the record is still this process's claim, to commit as
    /// aborted. The caller then calls [`gave_back`](Self::gave_back).
    pub(crate) fn unclaim(&self, pos: u64) -> bool {
        self.give_back(pos, || self.ring.try_unclaim(pos, self.cfg.multi_producer))
    }

    /// Gives back the claim of `pos` with `rewind` (which says whether it
    /// could), clearing its owner record first, if claims are recorded,
    /// and restoring it if the claim could not be given back (it is then
    /// this process's until it is committed). Nobody owns the position
    /// once it is given back (a reaper must not mistake a later claim of
    /// it for this one). Cleared before the rewind: after it, another
    /// process may claim the position and record itself, which a later
    /// clear would wipe (and a reaper would then never give that claim
    /// back). The rewind publishes the clear (Release, or the arena's
    /// lock).
    fn give_back(&self, pos: u64, rewind: impl FnOnce() -> bool) -> bool {
        let owner = self.claim_owner();
        if owner.is_some() {
            self.ring.set_owner(pos, 0, true);
        }
        let undone = rewind();
        if let Some(owner) = owner.filter(|_| !undone) {
            self.ring.set_owner(pos, owner, true);
        }
        undone
    }

    /// After claims were given back by several producers' channel: a rewind
    /// changes no descriptor word, so a producer that parked on a claimed
    /// position (or on arena space) would not hear of it. Tells them, in
    /// every process.
    pub(crate) fn gave_back(&self) {
        if self.cfg.multi_producer {
            self.tx_event.notify(usize::MAX);
            if let Some(remote) = &self.remote {
                remote.wake.wake();
            }
        }
    }

    /// How often a blocking receive polls the fast path before its wait
    /// loop ([`WaitStrategy::fast_polls`]): never on a ring sized in bytes,
    /// which has no fast path (each poll would only be a pause before the
    /// first real look).
    ///
    /// [`WaitStrategy::fast_polls`]: crate::WaitStrategy
    pub(crate) fn fast_polls(&self) -> u32 {
        match self.layout {
            RecordLayout::Fixed { .. } => self.cfg.wait.fast_polls(),
            RecordLayout::Variable { .. } => 0,
        }
    }

    /// The record size of a fixed-size ring; `None` for a variable-size one.
    #[inline(always)]
    pub(crate) fn fixed_size(&self) -> Option<usize> {
        match self.layout {
            RecordLayout::Fixed { size, .. } => Some(size),
            RecordLayout::Variable { .. } => None,
        }
    }

    /// `Some(len)` for a variable-size ring, whose byte counts are kept;
    /// `None` for a fixed-size one, whose byte counts follow from the counts.
    #[inline(always)]
    pub(crate) fn variable_len(&self, len: usize) -> Option<usize> {
        self.fixed_size().is_none().then_some(len)
    }

    /// Consumer: hands the taken records `start..start + n` back, with one
    /// wake-up check for all of them.
    pub(crate) fn release_run(&self, start: u64, n: u64) {
        // Through the freed cursor where consumers take in order, and
        // where no arena frees space by reading the words.
        let sole = !self.cfg.take_multi && self.fixed_size().is_some();
        self.ring.release_run(start, n, sole);
        if self.cfg.parks && self.ring.must_notify_producers() {
            self.wake();
        }
    }

    /// Consumer: hands a taken record's space back.
    #[inline(always)]
    pub(crate) fn release(&self, pos: u64) {
        if self.ring.release(pos, self.cfg.parks) {
            self.wake();
        }
    }

    /// Producer (overwrite-oldest policy): drops the record at `pos`, the one
    /// that blocks the producer, if nobody has received it yet. Returns
    /// `false` if a receiver holds it (evicting another record would free
    /// nothing the producer needs).
    pub(crate) fn evict(&self, pos: u64) -> bool {
        match self.ring.try_take_at(pos, self.take_owner()) {
            Some(aborted) => {
                self.release(pos);
                if !aborted {
                    self.stats.dropped();
                }
                true
            }
            None => false,
        }
    }

    /// Runs `f` with the multi-producer arena allocator, under its lock.
    /// `None` if the arena of a channel between processes is corrupt.
    pub(crate) fn with_shared_arena<R>(&self, f: impl FnOnce(&mut Arena) -> R) -> Option<R> {
        #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
        if let (Some(remote), RecordLayout::Variable { arena: size }) = (&self.remote, self.layout)
            && let Some(arena) = &remote.arena
        {
            return arena.with(size, remote.owner, |o| (remote.alive)(o), f);
        }
        Some(f(&mut lock(&self.arena)))
    }

    pub(crate) fn stats_snapshot(&self) -> Stats {
        let capacity_bytes = self.region.len();
        self.stats.snapshot(&self.ring, self.tally, capacity_bytes, self.fixed_size())
    }

    // ---- handle counts and closing -------------------------------------

    pub(crate) fn attach_sender(&self, limit: Option<usize>) -> Result<(), Attach> {
        self.senders.attach(limit)
    }

    pub(crate) fn attach_receiver(&self, limit: Option<usize>) -> Result<(), Attach> {
        self.receivers.attach(limit)
    }

    pub(crate) fn detach_sender(&self) {
        let closed = self.senders.detach()
            && self.remote.as_ref().is_none_or(|r| r.leave(HOLDS_SENDERS, &r.senders));
        if closed {
            self.wake();
        }
    }

    pub(crate) fn detach_receiver(&self) {
        let closed = self.receivers.detach()
            && self.remote.as_ref().is_none_or(|r| r.leave(HOLDS_RECEIVERS, &r.receivers));
        if closed {
            self.wake();
        }
    }

    /// Whether every sender (in every process) is gone for good.
    #[inline]
    pub(crate) fn senders_closed(&self) -> bool {
        match &self.remote {
            None => self.senders.is_closed(),
            Some(r) => r.senders.is_closed(),
        }
    }

    /// Whether every receiver (in every process) is gone for good.
    #[inline(always)]
    pub(crate) fn receivers_closed(&self) -> bool {
        match &self.remote {
            None => self.receivers.is_closed(),
            Some(r) => r.receivers.is_closed(),
        }
    }
}
