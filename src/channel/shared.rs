//! The state every handle of one channel shares.

use std::ptr::NonNull;

use atomic_waker::AtomicWaker;
use event_listener::Event;

use crate::channel::msg::Claimed;
use crate::channel::stats::{Counters, Stats};
use crate::channel::{Backpressure, BuildError};
use crate::message::Schema;
use crate::region::HeapRegion;
pub(crate) use crate::ring::Attach;
use crate::ring::{Arena, Handles, PAYLOAD_ALIGN, Ring, round_up};
use crate::sync::{Mutex, lock};
use crate::wait::WaitStrategy;

/// Most descriptors a byte-sized ring gets (bounds its metadata to 2 MiB).
const MAX_DESCS: u64 = 1 << 16;

/// Where records live in the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordLayout {
    /// One record of `size` bytes per descriptor, `stride` bytes apart.
    Fixed { stride: usize, size: usize },
    /// Records of any size in an arena of `arena` bytes.
    Variable { arena: u64 },
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

/// The shared state of one channel.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) ring: Ring,
    region: HeapRegion,
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
    senders: Handles,
    receivers: Handles,
    pub(crate) cfg: Config,
    pub(crate) stats: Counters,
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
        let (layout, descs, bytes) = match (size, message) {
            (Size::Records(0) | Size::Bytes(0), _) => return Err(BuildError::ZeroCapacity),
            (Size::Records(_), None) => {
                return Err(BuildError::NeedsBytes { type_name: cfg.type_name });
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
        let desc_bytes = Ring::desc_bytes(descs as usize);
        let total = bytes as u128 + desc_bytes as u128;
        if total > isize::MAX as u128 {
            return Err(BuildError::TooLarge { bytes: total });
        }
        let region = HeapRegion::zeroed(bytes).ok_or(BuildError::OutOfMemory { bytes })?;
        let ring =
            Ring::new(descs as usize).ok_or(BuildError::OutOfMemory { bytes: desc_bytes })?;
        let arena_size = match layout {
            RecordLayout::Variable { arena } => arena,
            RecordLayout::Fixed { .. } => 0,
        };
        Ok(Self {
            ring,
            region,
            layout,
            arena: Mutex::new(Arena::new(arena_size)),
            rx_event: Event::new(),
            tx_event: Event::new(),
            rx_waker: AtomicWaker::new(),
            tx_waker: AtomicWaker::new(),
            senders: Handles::new(senders),
            receivers: Handles::new(receivers),
            cfg,
            stats: Counters::default(),
        })
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

    /// Address of the record at `pos`, whose arena position is `off`
    /// (ignored for fixed-size rings).
    #[inline]
    pub(crate) fn record_offset(&self, pos: u64, off: u64) -> usize {
        match self.layout {
            RecordLayout::Fixed { stride, .. } => self.ring.index(pos) * stride,
            RecordLayout::Variable { arena } => (off % arena) as usize,
        }
    }

    /// The record bytes `[offset, offset + len)`.
    ///
    /// Callers pass an offset and length that the ring handed to them (so the
    /// range is inside the region) and own the record, so nobody else writes
    /// it while they read.
    #[inline]
    pub(crate) fn record_ptr(&self, offset: usize) -> NonNull<u8> {
        debug_assert!(offset <= self.region.len());
        // SAFETY: `offset` is at most the region's length (it is the offset of
        // a record inside the region), so the result stays inside the same
        // allocation or one past its end, as `NonNull::add` requires.
        unsafe { self.region.base().add(offset) }
    }

    /// Wakes every sleeper of both sides. Called only when a `WAIT` bit was
    /// seen, or on close.
    #[cold]
    pub(crate) fn wake(&self) {
        self.rx_event.notify(usize::MAX);
        self.tx_event.notify(usize::MAX);
        self.rx_waker.wake();
        self.tx_waker.wake();
    }

    /// Producer: publishes or aborts a claimed record and accounts for it.
    #[inline]
    pub(crate) fn publish(&self, pos: u64, len: usize, abort: bool) {
        if self.ring.commit(pos, abort, self.cfg.parks) {
            self.wake();
        }
        if abort {
            self.stats.aborted();
        } else {
            self.stats.sent(self.variable_len(len), self.cfg.multi_producer);
            if pos.is_multiple_of(64) {
                // Several producers: consumers may already be past `pos`.
                self.stats.observe_depth((pos + 1).saturating_sub(self.ring.head()));
            }
        }
    }

    /// Producer: withdraws a claimed record. The newest claim is simply given
    /// back; an older one is committed as aborted, for consumers to skip.
    /// `arena` is the sender's own allocator (single-producer variable-size
    /// channels).
    pub(crate) fn abort(&self, claimed: Claimed, arena: Option<&mut Arena>) {
        let multi = self.cfg.multi_producer;
        let undone = match (self.layout, arena) {
            (RecordLayout::Fixed { .. }, _) => self.ring.try_unclaim(claimed.pos, multi),
            (RecordLayout::Variable { .. }, Some(arena)) => {
                arena.try_unalloc(&self.ring, claimed.pos, claimed.undo)
            }
            (RecordLayout::Variable { .. }, None) => {
                lock(&self.arena).try_unalloc(&self.ring, claimed.pos, claimed.undo)
            }
        };
        if undone {
            self.stats.aborted();
            if multi {
                // The rewind changed no descriptor word, so a producer that
                // parked on the claimed position (or on arena space) would
                // not hear of it: tell them.
                self.tx_event.notify(usize::MAX);
            }
        } else {
            self.publish(claimed.pos, claimed.len, true);
        }
    }

    /// The record size of a fixed-size ring; `None` for a variable-size one.
    #[inline]
    pub(crate) fn fixed_size(&self) -> Option<usize> {
        match self.layout {
            RecordLayout::Fixed { size, .. } => Some(size),
            RecordLayout::Variable { .. } => None,
        }
    }

    /// `Some(len)` for a variable-size ring, whose byte counts are kept;
    /// `None` for a fixed-size one, whose byte counts follow from the counts.
    #[inline]
    pub(crate) fn variable_len(&self, len: usize) -> Option<usize> {
        self.fixed_size().is_none().then_some(len)
    }

    /// Consumer: hands a taken record's space back.
    #[inline]
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
        match self.ring.try_take_at(pos) {
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
    pub(crate) fn with_shared_arena<R>(&self, f: impl FnOnce(&mut Arena) -> R) -> R {
        f(&mut lock(&self.arena))
    }

    pub(crate) fn stats_snapshot(&self) -> Stats {
        let capacity = self.ring.capacity() as usize;
        let capacity_bytes = self.region.len();
        self.stats.snapshot(
            self.ring.tail(),
            self.ring.head(),
            capacity,
            capacity_bytes,
            self.fixed_size(),
        )
    }

    // ---- handle counts and closing -------------------------------------

    pub(crate) fn attach_sender(&self, limit: Option<usize>) -> Result<(), Attach> {
        self.senders.attach(limit)
    }

    pub(crate) fn attach_receiver(&self, limit: Option<usize>) -> Result<(), Attach> {
        self.receivers.attach(limit)
    }

    pub(crate) fn detach_sender(&self) {
        if self.senders.detach() {
            self.wake();
        }
    }

    pub(crate) fn detach_receiver(&self) {
        if self.receivers.detach() {
            self.wake();
        }
    }

    /// Whether every sender is gone for good.
    #[inline]
    pub(crate) fn senders_closed(&self) -> bool {
        self.senders.is_closed()
    }

    /// Whether every receiver is gone for good.
    #[inline]
    pub(crate) fn receivers_closed(&self) -> bool {
        self.receivers.is_closed()
    }
}
