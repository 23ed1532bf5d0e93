//! The ring: record states, reserve / commit / consume / release, and the
//! byte arena of variable-size channels. All of psyne's atomics live here.
//!
//! # Protocol
//!
//! The ring has `cap` descriptors. Positions are monotonic `u64`s; position
//! `p` uses descriptor `p % cap`. Each descriptor has one sequence word whose
//! upper bits hold a *tag* and whose three low bits hold flags:
//!
//! | tag           | meaning                                                   |
//! |---------------|-----------------------------------------------------------|
//! | `2p`          | free: a producer may claim position `p`                   |
//! | `2p + 1`      | committed at `p`: a consumer may take it                   |
//!
//! A producer claims `p` (advancing `tail`) when the tag is `2p`, writes the
//! record, and *commits* by storing `2p + 1`. A consumer takes `p`
//! (advancing `head`) when the tag is `2p + 1`; the record stays committed
//! while the `Msg` that reads it lives, and *release* stores `2(p + cap)`,
//! which frees the descriptor for the producer one lap later. Because every
//! descriptor can be released on its own, messages may be dropped in any
//! order (runs released in order may instead move one cursor: see "The
//! freed cursor").
//! This is D. Vyukov's bounded queue with the consume split in two (take and
//! release) and the tag doubled so that a one-slot ring works.
//!
//! # Runs
//!
//! Where one producer and one consumer (which takes without CAS) share a
//! fixed-size ring, the producer may publish a batch `[p, p + n)` with one
//! commit: it commits `p + n - 1` as usual, writes `n` into the `len` word
//! of `p`'s descriptor and stores `2p + 1` with the [`RUN`] flag there. The
//! descriptors between stay free for their own positions. The consumer
//! that takes `p` records where the run ends (`run_end`, a cursor of its
//! own) and takes the positions before it without looking at their
//! descriptors: the Acquire of `p`'s word made all their bytes visible.
//! Releases stay one per record, in any order (a release of a position
//! inside a run stores the same word as any release), but for the one
//! below. So a position below `head`, and not below that cursor, that still
//! reads free for itself (or older) was taken inside a run and not released
//! yet, and one at or above `run_end`
//! that reads free was claimed and not committed: what [`Ring::reap`]
//! relies on. The last record of a run is committed on its own so that
//! [`Ring::unpublished`], which walks back from `tail` over positions that
//! read free, stops at a run.
//!
//! # The freed cursor
//!
//! A consumer that takes without CAS (so takes in position order) may
//! release a run of records `[start, start + n)` with one store instead
//! of `n`: when every position below `start` is released, it moves the
//! `freed` cursor (every position below it is released, whatever its word
//! says) to `start + n`, and leaves the words as they were. Their stale
//! tags belong to positions a lap or more back, below every tag the words
//! take for the positions the producer claims next, so no word is misread;
//! what changes is that a position `p` is free for a claim when its word
//! reads free for it *or* when its word reads older and `p - cap` lies
//! below `freed` ([`Ring::free_for`]). In a ring that drains in runs the
//! producer so learns about a whole run from one line, not from one line
//! per record (the descriptor lines of the spread layout), which is what
//! a cross-core stream of small records pays for.
//!
//! A releaser moves `freed` with a plain store, and only once every
//! position from it up to its run is released; the only releaser that
//! finds so without a walk is the one whose run starts at `freed` (runs
//! are disjoint). A run released while an earlier record is still held
//! writes its words instead; the next run released after that walks the
//! positions between `freed` and itself and moves `freed` if they all read
//! released, so one record released late slows down one run, not every
//! run after it (while a record stays held, every run released after it
//! walks up to it again: at most a lap of loads per run). The walk covers
//! one lap below the run at most: the take of `start` proves every
//! position up to `start - cap` released (the lap after each of them was
//! claimed).
//!
//! Why the cursor only moves up, and never past a record still held:
//! - Each walk covers every record still held below its run (those lie
//!   within a lap of it), and a run released through the cursor reads
//!   released only once the cursor covers it (its words are stale until
//!   the producer reuses its positions), so a releaser whose walk crosses
//!   another's run comes after that one's store.
//! - A run that lies wholly below a walk (a lap or more below the
//!   releaser's run) was released before the claim of the lap after it,
//!   which came before the claim of the releaser's run (claims by CAS are
//!   AcqRel, so each follows the ones before it), which came before the
//!   releaser's take. The releaser loads the cursor with Acquire after
//!   that take, so it reads that run's store, or a later one, and stores
//!   after it.
//! - Each store comes after the load of the store it replaces (Acquire),
//!   so it carries the releases before it on to producers.
//!
//! # Hot slots
//!
//! A fixed-size ring maps position `p` to payload slot `(p - epoch) % cap`.
//! The epoch is 0 unless the ring has hot slots (one producer and one
//! consumer that takes without CAS, packed [`Layout`]):
//! then the producer starts a new epoch at every claim that finds every
//! earlier record released, so that a ring that drains (a request and its
//! reply, a consumer that keeps up) writes its next record into slot 0,
//! whose line is still in cache, instead of walking all `cap` slots. Slots
//! of one epoch are contiguous, and a new epoch starts only when no record
//! is outstanding, so no slot is handed out twice.
//!
//! The producer learns what is released from the sequence words: a claim
//! of `p` proves `p - cap` released, and only when `p - 1` reads released
//! (one load, on the line the claim just read) does it walk its `oldest`
//! cursor up over positions that read released, a few per claim. It
//! commits the record that starts an epoch with the [`RESTART`] flag; the
//! consumer, which sees every position in order (one by one, in runs,
//! aborted ones too), starts its own epoch there.
//!
//! Hot slots pay only together with the packed layout: measured on the
//! project machine, either alone left a spinning round trip where it
//! was, both together brought it from 1.5× to about 1.2× two bare atomics.
//! What the packed layout costs elsewhere is why only busy-spinning
//! channels between processes get them (see [`Layout::Packed`]; since the
//! room wait and the receivers' fast polls, in-process rings round-trip
//! faster spread, see `Shared::new`). Between processes, the
//! producer also writes where its epoch started into the shared cursors:
//! a reaper that voids a dead producer's claim that started one flags the
//! aborted record with [`RESTART`] too, so that the consumer finds the
//! records committed after it where they were written.
//!
//! # Wake-ups
//!
//! A side that wants to sleep raises the ring's waiting bit for what it
//! waits for and then looks at its descriptor once more; a side that commits
//! or releases stores the descriptor's new word and then reads the bits.
//! This is a store→load (Dekker) handshake, so each side puts a sequentially
//! consistent fence between its store and its load: then either the
//! waiter's last look sees the change, or the changing side sees the bit
//! and wakes everyone (lowering the bit; a woken waiter that must sleep
//! again raises it again).
//!
//! There are two bits, so that consumers parked on an empty ring are not
//! woken by every release of a record they hold, nor producers by commits:
//! a commit looks at [`CONSUMERS_WAIT`], a release at [`PRODUCERS_WAIT`].
//! Consumers raise the first, producers the second; a producer that evicts
//! (overwrite-oldest) raises both, since it can also be unblocked by a
//! commit (it evicts a record only once it is committed). A bit left
//! raised by a waiter that did not sleep after all costs one needless
//! wake-up.
//!
//! Raising is an RMW, not a store: a raise by another waiter that follows
//! ours then continues our release sequence, so a notifier whose Acquire
//! RMW reads the later raise still synchronises with us. (With plain stores
//! the loom model `consumers_sharing_the_waiting_flag_are_all_woken` finds a
//! lost wake-up.)
//!
//! A commit or release is so a plain store, a fence and the load of a word
//! that sits, unwritten, in its reader's cache while nobody waits. (An
//! earlier design set a wait bit on the descriptor itself and committed
//! with a swap; the swap, a locked instruction on the line the other side
//! spins on, made a commit about three times as expensive.)
//!
//! In a ring whose sides all live in one process the two fences are an
//! asymmetric pair ([`Barrier`]): the committing or releasing side only
//! keeps the compiler from moving its load before its store, and a waiter
//! about to sleep has the kernel run a full barrier on every thread of the
//! process (`membarrier(2)`). The fence of every commit becomes the cost of
//! every sleep, which comes after a spin phase anyway.
//!
//! Producers that find a full ring together (several of them, parking while
//! the consumer is descheduled) share one such barrier: once a producer's
//! barrier has run with [`PRODUCERS_WAIT`] raised, it marks the wait
//! [`PRODUCERS_FENCED`] (a Release CAS, after the barrier returned), and a
//! producer whose raise finds the bit and the mark raised runs no barrier
//! of its own: its raise (Acquire) reads the mark, so its last look comes
//! after the marking producer's barrier. That look sees every release
//! that read the bit lowered: such a release read the word before the
//! marking producer raised the bit (the bit stayed raised since: the mark
//! is lowered with it, and a generation count in the word keeps a producer
//! from marking a wait that was lowered and raised again while its barrier
//! ran), so the kernel's barrier on the releasing thread came after that
//! read and after the release's store before it, which it made visible
//! before the marking producer's barrier returned. Only producers that
//! wait for releases alone share barriers: one that evicts
//! (overwrite-oldest) also waits for commits, and raises
//! [`CONSUMERS_WAIT`] too. Between processes nobody shares (the word is
//! written by other processes, and the barrier is a plain fence anyway).
//!
//! # Variable-size records
//!
//! Variable-size channels keep payloads in a separate byte arena. Space is
//! allocated in position order by the producer side (alone for single-producer
//! channels, under a mutex for multi-producer ones), so the arena is freed in
//! the same order: the producer walks released descriptors from the oldest and
//! advances its reclaim cursor. A record never wraps: if it does not fit before
//! the end of the arena, the allocator skips to the start.

use crate::region::Place;
use crate::sync::{AtomicU64, AtomicUsize, Barrier, Ordering};
use crossbeam_utils::CachePadded;

#[cfg(all(test, loom))]
mod tests;

#[cfg(all(test, not(loom)))]
mod unit_tests;

/// Waiting bit (of the ring's waiting word): a consumer may sleep until the
/// next commit.
pub(crate) const CONSUMERS_WAIT: u64 = 0b01;
/// Waiting bit (of the ring's waiting word): a producer may sleep until the
/// next release (or, one that evicts, commit).
pub(crate) const PRODUCERS_WAIT: u64 = 0b10;
/// Flag of the waiting word: since [`PRODUCERS_WAIT`] was last raised from
/// lowered, a producer that raised it has had the waiting side's barrier
/// run, so later producers that join the wait need not (see "Wake-ups").
/// Lowered with the bit.
const PRODUCERS_FENCED: u64 = 0b100;
/// The waiting word counts, from this bit up, how often [`PRODUCERS_WAIT`]
/// was lowered: a producer marks the wait [`PRODUCERS_FENCED`] only if it
/// was not lowered (and raised again) while its barrier ran.
const WAIT_GENERATION: u64 = 1 << 8;

// Flags of a sequence word.
/// Flag (committed state only): this descriptor heads a run of records
/// committed together, whose length is in its `len` word; see "Runs".
/// (Bit 0b01 was a per-descriptor wait flag before layout version 2 of
/// shared rings, and reserved until version 7.)
const RUN: u64 = 0b01;
/// Flag (committed state only): the producer aborted this record; consumers
/// skip it.
pub(crate) const ABORT: u64 = 0b10;
/// Flag (committed state only): this record starts a new epoch of payload
/// slots, in slot 0 (see "Hot slots"). Since layout version 8.
const RESTART: u64 = 0b100;
const FLAG_BITS: u32 = 3;

/// Alignment (and size granule) of every payload in the ring.
pub(crate) const PAYLOAD_ALIGN: usize = 64;

#[inline]
const fn free_word(pos: u64) -> u64 {
    free_tag(pos) << FLAG_BITS
}

#[inline]
const fn committed_word(pos: u64) -> u64 {
    committed_tag(pos) << FLAG_BITS
}

// Position arithmetic wraps: positions in shared memory may have been
// written by a faulty peer, and must give wrong answers, never overflow
// panics. Honest positions stay far below 2^60.

/// The tag of a descriptor free for `pos`.
#[inline]
const fn free_tag(pos: u64) -> u64 {
    pos.wrapping_mul(2)
}

/// The tag of a descriptor committed at `pos`.
#[inline]
const fn committed_tag(pos: u64) -> u64 {
    pos.wrapping_mul(2).wrapping_add(1)
}

/// The position after `pos`.
#[inline]
const fn next(pos: u64) -> u64 {
    pos.wrapping_add(1)
}

#[inline]
const fn tag(word: u64) -> u64 {
    word >> FLAG_BITS
}

/// Which sides a dead process held the only handle of (see [`Ring::reap`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
pub(crate) struct Sole {
    /// It held the sender of a single-producer channel: its claims are the
    /// positions between the cursors that read free, outside runs.
    pub(crate) producer: bool,
    /// It held the receiver of a single-consumer channel (whose producers
    /// never take, so not overwrite-oldest): its takes are the positions of
    /// the lap below `head`, and not below the freed cursor, that read
    /// committed, or free for themselves or older (inside a run).
    pub(crate) consumer: bool,
}

/// One cache line of descriptor words. A ring's descriptors are an array
/// of these, in one of two [`Layout`]s.
#[repr(C, align(64))]
#[derive(Debug)]
pub(crate) struct DescLine([AtomicU64; WORDS_PER_LINE]);

/// How many positions ahead of the one it takes the only consumer asks for
/// the lines of a record ([`Ring::prefetch_ahead`]): 8 and 16 read alike
/// in async SPSC, 4 slower.
const AHEAD: u64 = 16;

/// How often, less one, the only consumer reads `tail` for
/// [`Ring::prefetch_ahead`] while its last read found the producer close.
const LOOK_MASK_IDLE: u64 = 255;

const WORDS_PER_LINE: usize = 8;

use desc::Desc;

/// [`Desc`] in a module of its own, so that nothing else can build one.
mod desc {
    /// A descriptor's index, below the ring's `cap` (so its words lie
    /// inside the ring's lines): [`Desc::of`], which computes it, is the
    /// only way to make one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Desc(usize);

    /// [`Ring::mask`](super::Ring)'s value for a capacity that is not a
    /// power of two: then positions are divided.
    pub(super) const DIVIDE: u64 = u64::MAX;

    impl Desc {
        /// The descriptor of `pos` in `ring` (whose `mask` is `cap - 1`
        /// for a power of two, [`DIVIDE`] otherwise: see `Ring::with`).
        #[inline(always)]
        pub(super) fn of(ring: &super::Ring, pos: u64) -> Self {
            if ring.mask == DIVIDE {
                return Self(divided(pos, ring.cap));
            }
            Self((pos & ring.mask) as usize)
        }

        /// The index, below the ring's `cap`.
        #[inline(always)]
        pub(super) fn get(self) -> usize {
            self.0
        }
    }

    /// The sequence words of consecutive positions, from one on, by index
    /// into the ring's lines: a [`Cycle`](super::Cycle) from a [`Desc`]'s
    /// word, made only here, so that its indices are always those of
    /// sequence words of descriptors below the ring's `cap`.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct SeqWalk(super::Cycle);

    impl SeqWalk {
        /// The walk from `pos` on in `ring`.
        #[inline(always)]
        pub(super) fn from(ring: &super::Ring, pos: u64) -> Self {
            let shift = ring.seq_shift;
            let end = (ring.cap as usize) << shift;
            Self(super::Cycle::new(Desc::of(ring, pos).0 << shift, 1 << shift, end))
        }

        /// The index of the current position's sequence word; the walk
        /// moves on to the next position (after the last descriptor, the
        /// first).
        #[inline(always)]
        pub(super) fn step(&mut self) -> usize {
            self.0.step()
        }
    }

    /// `pos % cap`, out of line, so that the masked path of [`Desc::of`]
    /// falls through (a division costs far more than the call).
    #[cold]
    #[inline(never)]
    fn divided(pos: u64, cap: u64) -> usize {
        (pos % cap) as usize
    }
}

/// Offsets that advance by a fixed step and go back to 0 at an end (a
/// multiple of the step): the sequence words of consecutive positions
/// ([`desc::SeqWalk`]), the payload slots of consecutive records (the
/// channel's runs and batches). Stepping is an addition and a compare,
/// where computing each from its position is a mask (or a division) and a
/// multiplication.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cycle {
    at: usize,
    step: usize,
    end: usize,
}

impl Cycle {
    /// From `at` on, `step` apart, wrapping at `end` (a step of 0 stays
    /// at `at`).
    #[inline(always)]
    pub(crate) const fn new(at: usize, step: usize, end: usize) -> Self {
        Self { at, step, end }
    }

    /// The current offset; moves on to the next.
    #[inline(always)]
    pub(crate) fn step(&mut self) -> usize {
        let at = self.at;
        let next = at + self.step;
        self.at = if next == self.end { 0 } else { next };
        at
    }
}

/// Word `w` of `lines`, unchecked (see [`Ring::word`]).
///
/// # Safety
///
/// `w` is a word of a descriptor below the `cap` of the ring whose lines
/// these are, in its layout.
#[inline(always)]
unsafe fn word_in(lines: &[DescLine], w: usize) -> &AtomicU64 {
    debug_assert!(w / WORDS_PER_LINE < lines.len());
    if size_of::<DescLine>() != size_of::<[AtomicU64; WORDS_PER_LINE]>() {
        // Padded lines (an atomic type of another size, as loom's on
        // 32-bit targets): word by word.
        // SAFETY: as below.
        let line = unsafe { lines.get_unchecked(w / WORDS_PER_LINE) };
        // SAFETY: below `WORDS_PER_LINE`.
        return unsafe { line.0.get_unchecked(w % WORDS_PER_LINE) };
    }
    // The lines are one array of words (no padding): one addition.
    let words = lines.as_ptr().cast::<AtomicU64>();
    // SAFETY: the words of descriptors below `cap` lie inside the
    // lines: `Layout::lines` counts them, and `Ring::with` places them
    // (packed: `cap` sequence words in the first `seq_lines`, then
    // four words per descriptor; spread: one line per descriptor).
    let word = unsafe { words.add(w) };
    // SAFETY: in bounds (above), aligned, and initialised: an atomic,
    // only ever accessed through shared references.
    unsafe { &*word }
}

/// Most positions the only producer looks at per claim to find that every
/// earlier record is released (see "Hot slots").
const HOT_WALK: u32 = 16;

/// The words of a descriptor besides its sequence word, by index. Read and
/// written only between an Acquire of the sequence word and the Release
/// store that follows, so Relaxed accesses suffice.
#[derive(Debug, Clone, Copy)]
#[repr(usize)]
enum Field {
    /// Arena position (monotonic) of the payload; variable-size rings only.
    /// Written by the producer before its commit, read by consumers after
    /// their Acquire of the sequence word.
    Off = 0,
    /// Payload length in bytes; same synchronisation as `Off`. In a
    /// fixed-size ring, the length of the run the descriptor heads (see
    /// "Runs").
    Len = 1,
    /// Trailing-slice element count of the record; same synchronisation.
    Elems = 2,
    /// Who holds the record, where that is recorded (channels between
    /// processes, sides with several handles), so that the holdings of a
    /// process that died can be given back: see [`Ring::set_owner`].
    Owner = 3,
}

/// How descriptors lie in their lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Sequence words eight to a line, then the other words, two
    /// descriptors to a line: a ring that drains (a request and its reply)
    /// keeps touching the same line instead of walking `cap` of them,
    /// which, with hot payload slots, takes a round trip close to two bare
    /// atomics. Only for rings with hot slots, and only for busy-spinning
    /// ones between processes, because a consumer's release then stores
    /// into a line the producer is writing, and the next locked
    /// instruction or full fence waits for that line. Measured on the
    /// project machine:
    /// - busy-spinning threads in one process: slower, since the room
    ///   wait and the receivers' fast polls (see `Shared::new`), in round
    ///   trips and in throughput;
    /// - async send/recv (a `Msg`'s reference count is such an
    ///   instruction): about a quarter slower (16–17 → 11–13 M msg/s);
    /// - between processes with sleepers, where every commit's wake-up
    ///   check is a full fence: 64-byte `ipc://` throughput halved (a
    ///   busy-spinning `ipc://` channel checks for no sleeper, and is
    ///   packed);
    /// - several producers committing into one line: async MPSC about a
    ///   tenth slower.
    Packed,
    /// One descriptor per line, its sequence word first: a producer
    /// committing `p + 1` never contends with a consumer releasing `p`.
    Spread,
}

impl Layout {
    /// Lines of sequence words before the other words (`Packed`).
    const fn seq_lines(self, cap: usize) -> usize {
        match self {
            Self::Packed => cap.div_ceil(WORDS_PER_LINE),
            Self::Spread => 0,
        }
    }

    /// Lines for `cap` descriptors.
    const fn lines(self, cap: usize) -> usize {
        match self {
            Self::Packed => self.seq_lines(cap).saturating_add(cap.div_ceil(2)),
            Self::Spread => cap,
        }
    }
}

/// The cursors (and where the only consumer's run ends) and the waiting
/// bits, each on its own cache-line pair.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Cursors {
    /// Next position to claim. SYNC: only a hint for producers; the
    /// descriptor's `seq` carries all happens-before edges.
    tail: CachePadded<AtomicU64>,
    /// Next position to take. A hint for consumers, as `tail` is for
    /// producers; the only consumer stores it with Release, for reapers
    /// (see `RunCursors::end`).
    head: CachePadded<AtomicU64>,
    /// The only consumer's run cursors, written by it at each run.
    runs: CachePadded<RunCursors>,
    /// Where the only producer's current epoch of payload slots started
    /// (see "Hot slots"): written at the claim that starts it, read by
    /// reapers only.
    epoch: CachePadded<AtomicU64>,
    /// [`CONSUMERS_WAIT`] and [`PRODUCERS_WAIT`], and, where producers
    /// share barriers, [`PRODUCERS_FENCED`] and a generation count: see
    /// "Wake-ups". Read by every commit and release, written only by
    /// waiters and by the wake-ups they ask for.
    waiting: CachePadded<AtomicU64>,
}

/// The cursors that consumers of runs write once per run, on one line:
/// reapers read `end`, producers `freed` (once per run too).
#[repr(C)]
#[derive(Debug)]
struct RunCursors {
    /// Where the run the only consumer is in ends (see "Runs"): positions
    /// from `head` up to it are committed. Written by that consumer before
    /// the `head` store that moves into the run (Release, so a reaper that
    /// reads `head` with Acquire sees the run it points into).
    end: AtomicU64,
    /// Every position below it is released (see "The freed cursor"). Moved
    /// up, with Release, by whoever drops a run (a `Batch`, on any thread)
    /// once everything before the run reads released; loaded with Acquire
    /// by producers and by those releasers.
    freed: AtomicU64,
}

impl Cursors {
    fn new() -> Self {
        Self {
            tail: CachePadded::new(AtomicU64::new(0)),
            head: CachePadded::new(AtomicU64::new(0)),
            runs: CachePadded::new(RunCursors { end: AtomicU64::new(0), freed: AtomicU64::new(0) }),
            epoch: CachePadded::new(AtomicU64::new(0)),
            waiting: CachePadded::new(AtomicU64::new(0)),
        }
    }
}

/// Role bit of an owner word: the record is claimed (being written); clear
/// means taken (being read).
const OWNER_CLAIM: u64 = 1 << 7;
/// Owner slots are numbered `1..=MAX_OWNERS` (0, the word of a descriptor
/// nobody ever owned, names nobody).
#[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
pub(crate) const MAX_OWNERS: usize = 127;

/// Result of a claim attempt by a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The position now belongs to the caller, who must commit or abort it.
    Claimed(u64),
    /// The descriptor for this position still holds the record of the previous
    /// lap; the caller may wait on it.
    Full(u64),
    /// The ring's words contradict each other: shared memory was written
    /// over.
    Corrupt,
}

/// Result of a take attempt by a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// The record at this position now belongs to the caller until released.
    Taken { pos: u64, aborted: bool },
    /// Nothing committed at this position yet; the caller may wait on it.
    Empty(u64),
    /// The ring's words contradict each other (see [`Claim::Corrupt`]).
    Corrupt,
}

/// Outcome of a wait registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Register {
    /// The waiting bit is raised: the next state change will notify.
    Parked,
    /// The descriptor already changed state: retry instead of sleeping.
    Changed,
    /// The bit is raised, but the waiting side's barrier could not be had
    /// (see [`Barrier::heavy`]): a change may go unnoticed, so the caller
    /// must not sleep without a timeout; it polls.
    Unfenced,
}

/// The lock-free core of a channel: cursors and descriptors.
#[derive(Debug)]
pub(crate) struct Ring {
    cursors: Place<Cursors>,
    lines: Place<[DescLine]>,
    layout: Layout,
    /// Word of descriptor `i`'s sequence word: `i << seq_shift`.
    seq_shift: u32,
    /// Word of descriptor `i`'s other words: `rest_base + (i << rest_shift)`
    /// plus the [`Field`].
    rest_base: usize,
    rest_shift: u32,
    cap: u64,
    /// `cap - 1` when `cap` is a power of two, else [`desc::DIVIDE`].
    mask: u64,
    /// How often the only consumer reads `tail` for
    /// [`prefetch_ahead`](Self::prefetch_ahead) while it found the producer
    /// well ahead, less one (the largest power of two not above a quarter
    /// of `cap`, at most 256); 0 where it never looks (rings of fewer than
    /// `4 * AHEAD` records).
    look_mask: u64,
    /// The fences of the wake-up handshake.
    barrier: Barrier,
    /// Whether payload slots start new epochs (see "Hot slots"): exactly
    /// the packed rings, which only one producer and one consumer that
    /// takes without CAS share, for fixed-size records (the channel's
    /// builder, and between processes the header's checks, see to it).
    hot: bool,
    /// Whether this process's producers evict (overwrite-oldest), and so
    /// also wait for commits (see "Wake-ups").
    evicts: bool,
    /// The only consumer's state, in this process: on its own line, away
    /// from the fields every send reads.
    consumer: CachePadded<ConsumerLocal>,
    /// The only producer's slot state, in this process (see "Hot slots").
    producer: CachePadded<ProducerLocal>,
}

/// What the only consumer keeps to itself. Atomics only so that the ring
/// is `Sync`: one consumer at a time reads and writes them (Relaxed).
#[derive(Debug, Default)]
struct ConsumerLocal {
    /// This process's copy of `RunCursors::end`, the one `in_run` trusts:
    /// the only consumer writes both, and a peer scribbling on the shared
    /// one cannot make it take positions nobody committed.
    run_end: AtomicU64,
    /// Where the epoch of the positions it takes started (see "Hot slots").
    epoch: AtomicU64,
    /// `tail` as it last read it, for [`Ring::prefetch_ahead`].
    tail_seen: AtomicU64,
    /// Whether that read found the producer well ahead: it then reads
    /// `tail` again every `look_mask + 1` positions, else every 256 (1 or
    /// 0: the atomics facade has no boolean).
    eager: AtomicU64,
}

/// What the only producer of a ring with hot slots keeps to itself; one
/// producer at a time reads and writes it (Relaxed).
#[derive(Debug, Default)]
struct ProducerLocal {
    /// Where the epoch of the positions it claims started.
    epoch: AtomicU64,
    /// No position below it is outstanding (taken or committed and not
    /// released yet, or claimed).
    oldest: AtomicU64,
}

impl Ring {
    /// Bytes of descriptor memory a ring of `cap` descriptors needs, in
    /// `layout`.
    pub(crate) const fn desc_bytes(cap: usize, layout: Layout) -> usize {
        layout.lines(cap).saturating_mul(size_of::<DescLine>())
    }

    /// A ring of `cap` descriptors in the spread layout (tests).
    #[cfg(test)]
    pub(crate) fn new(cap: usize) -> Option<Self> {
        Self::with_layout(cap, Layout::Spread)
    }

    /// A ring of `cap` descriptors in `layout`, all free for their first
    /// lap; `None` if the descriptors cannot be allocated.
    ///
    /// `cap` must be at least 1; callers validate user input before this.
    pub(crate) fn with_layout(cap: usize, layout: Layout) -> Option<Self> {
        let cap = cap.max(1);
        let n = layout.lines(cap);
        let mut lines = Vec::new();
        lines.try_reserve_exact(n).ok()?;
        lines.extend((0..n).map(|_| DescLine(Default::default())));
        let ring = Self::with(
            Place::boxed(Box::new(Cursors::new())),
            Place::boxed(lines.into_boxed_slice()),
            layout,
            cap,
            Barrier::for_process(),
        );
        ring.init();
        Some(ring)
    }

    /// A ring as [`Ring::new`] makes it, with the given wake-up fences.
    #[cfg(test)]
    #[cfg_attr(loom, allow(dead_code))] // the unit tests that use it are not loom's
    pub(crate) fn with_barrier(cap: usize, barrier: Barrier) -> Self {
        Self { barrier, ..Self::new(cap).expect("a small ring") }
    }

    fn with(
        cursors: Place<Cursors>,
        lines: Place<[DescLine]>,
        layout: Layout,
        cap: usize,
        barrier: Barrier,
    ) -> Self {
        debug_assert_eq!(lines.len(), layout.lines(cap));
        let (seq_shift, rest_base, rest_shift) = match layout {
            Layout::Packed => (0, layout.seq_lines(cap) * WORDS_PER_LINE, 2),
            Layout::Spread => (3, 1, 3),
        };
        let cap = cap as u64;
        let mask = if cap.is_power_of_two() { cap - 1 } else { desc::DIVIDE };
        Self {
            cursors,
            lines,
            layout,
            seq_shift,
            rest_base,
            rest_shift,
            cap,
            mask,
            look_mask: if cap < 4 * AHEAD { 0 } else { prev_power_of_two((cap / 4).min(256)) - 1 },
            barrier,
            hot: layout == Layout::Packed,
            evicts: false,
            consumer: CachePadded::default(),
            producer: CachePadded::default(),
        }
    }

    /// Sets every sequence word free for its first lap.
    fn init(&self) {
        for i in 0..self.cap {
            // Relaxed: the ring is published to other threads (or
            // processes) by whatever hands it over (an `Arc`, a system
            // call).
            self.seq(i).store(free_word(i), Ordering::Relaxed);
        }
    }

    /// A ring whose cursors and `cap >= 1` descriptors live in memory that
    /// somebody else owns (a shared mapping), in `layout`. With `init`,
    /// they are set to the state of a new, empty ring first.
    ///
    /// # Safety
    ///
    /// `cursors` and `descs..descs + desc_bytes(cap, layout)` point
    /// to initialised (e.g. zeroed) memory, aligned for their types, that
    /// stays mapped for the life of the ring, and every access to it, in
    /// every process, is atomic.
    #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
    pub(crate) unsafe fn at(
        cursors: std::ptr::NonNull<Cursors>,
        descs: std::ptr::NonNull<DescLine>,
        cap: usize,
        layout: Layout,
        init: bool,
    ) -> Self {
        let lines = std::ptr::NonNull::slice_from_raw_parts(descs, layout.lines(cap));
        // SAFETY: the caller guarantees validity, alignment, lifetime and
        // atomic-only access; every field is an atomic, for which any
        // initialised bit pattern is a valid value.
        let cursors = unsafe { Place::at(cursors) };
        // SAFETY: as above.
        let lines = unsafe { Place::at(lines) };
        // `Full`: the other sides run in other processes, which a
        // process-wide barrier does not reach.
        let ring = Self::with(cursors, lines, layout, cap, Barrier::Full);
        if init {
            ring.init();
        }
        ring
    }

    /// The only consumer, finding `pos` not committed yet: if the record
    /// before it ended a run, asks the CPU for the producer's cursor's line
    /// while it waits, since the run that likely comes next is checked
    /// against that cursor ([`enter_run`](Self::enter_run)): a read of a
    /// line the producer wrote, from the other core, at every run. A
    /// consumer of records sent one by one never reads the cursor, and
    /// never asks for it (its prefetch would take the line from the
    /// producer, whose next claim stores into it).
    #[inline(always)]
    pub(crate) fn waiting_after_run(&self, pos: u64) {
        // Relaxed: this process's copy, the only consumer's own.
        if self.consumer.run_end.load(Ordering::Relaxed) == pos {
            crate::sync::prefetch(std::ptr::from_ref(&*self.cursors.tail));
        }
    }

    /// The only consumer, having taken `pos`: asks the CPU for the
    /// sequence word of the position [`AHEAD`] further on, and returns
    /// that position for the caller to ask for its payload too, if the
    /// producer has claimed well past it: by `tail` as this consumer last
    /// read it, once every 256 positions, or, while the last read found
    /// the producer well ahead, once every `look_mask + 1` (a quarter of a
    /// ring smaller than 1024, rounded down to a power of two). A read of
    /// `tail` is a read of a line the producer stores into at every claim:
    /// once every 64 positions, it showed in a ping-pong's p99. Rings of
    /// fewer than `4 * AHEAD` records never look.
    ///
    /// A consumer that stays a stretch behind the producer (a ring that
    /// fills) otherwise meets two lines from the other core, the word and
    /// the payload, at every record, one after the other; asked for early,
    /// they come while it reads the records before. One that keeps up
    /// (the producer a record or two ahead) asks for nothing: a prefetch
    /// of a record the producer is writing would take its line away.
    /// Measured on the project machine (`compare --only async-spsc` and
    /// `--only blocking-spsc`, builds alternated 2×): async `send`/`recv`
    /// 17.4–18.6 → 24.7–25.3 M msg/s, blocking with the default strategy
    /// 43.0–44.2 → 57.1–57.9, busy-spinning `recv_ref` 49.3–55.4 →
    /// 67.8–71.8; `--only ipc`, one run each, one by one 37.7 → 42.5
    /// (`recv_ref` 38.9 → 54.0); ping-pong round trips unchanged. A
    /// prototype that always asked (no look at `tail`) read alike, except
    /// that busy-spinning `recv_ref`, a consumer that keeps up, fell from
    /// 49–50 to 16–18 asking 8 ahead. 18–19 more instructions per message
    /// where it asks (`examples/hot_path`: 196 → 215, `ref` 158 → 176).
    #[inline(always)]
    pub(crate) fn prefetch_ahead(&self, pos: u64) -> Option<u64> {
        if self.look_mask == 0 {
            return None;
        }
        let ahead = pos.wrapping_add(AHEAD);
        // The margin: `ahead` was claimed `AHEAD` claims ago, and is
        // written by now, unless the producer stalled.
        let far = ahead.wrapping_add(AHEAD);
        // Relaxed: the consumer's own copy; only a hint.
        if !self.below(far, self.consumer.tail_seen.load(Ordering::Relaxed)) {
            // Relaxed: the consumer's own state.
            let eager = self.consumer.eager.load(Ordering::Relaxed) != 0;
            if pos & if eager { self.look_mask } else { LOOK_MASK_IDLE } != 0 {
                return None;
            }
            // Relaxed: only a hint of how far the producer is.
            let tail = self.cursors.tail.load(Ordering::Relaxed);
            self.consumer.tail_seen.store(tail, Ordering::Relaxed);
            let ahead_well = self.below(far, tail);
            // Relaxed: as above.
            self.consumer.eager.store(u64::from(ahead_well), Ordering::Relaxed);
            if !ahead_well {
                return None;
            }
        }
        crate::sync::prefetch(std::ptr::from_ref(self.seq(ahead)));
        Some(ahead)
    }

    /// Whether `pos` reads free for a claim now: a hint for a waiting
    /// producer (a claim decides, with its own Acquire).
    #[inline]
    pub(crate) fn reads_free(&self, pos: u64) -> bool {
        // Relaxed: only a hint.
        self.free_for(pos, self.seq(pos).load(Ordering::Relaxed))
    }

    /// Number of descriptors.
    #[inline]
    pub(crate) fn capacity(&self) -> u64 {
        self.cap
    }

    /// Index of the descriptor used by `pos`.
    #[inline(always)]
    pub(crate) fn index(&self, pos: u64) -> usize {
        self.desc(pos).get()
    }

    /// The descriptor of `pos`.
    #[inline(always)]
    fn desc(&self, pos: u64) -> Desc {
        Desc::of(self, pos)
    }

    /// Word `w` of the descriptor lines, unchecked: the hot paths read a
    /// few of these per message, and a bounds check each was a tenth of a
    /// send and receive's instructions.
    ///
    /// # Safety
    ///
    /// `w` is a word of a descriptor below `cap` in this ring's layout
    /// (as `seq_at` and `field_at` compute it from a [`Desc`]).
    #[inline(always)]
    unsafe fn word(&self, w: usize) -> &AtomicU64 {
        // SAFETY: as the caller guarantees.
        unsafe { word_in(&self.lines, w) }
    }

    /// The sequence words of `n` positions from `start` on (at most `cap`
    /// of them: no position twice), each with its position.
    #[inline(always)]
    fn seqs(&self, start: u64, n: u64) -> impl Iterator<Item = (u64, &AtomicU64)> {
        let lines = &*self.lines;
        let mut walk = desc::SeqWalk::from(self, start);
        (0..n.min(self.cap)).map(move |i| {
            // SAFETY: the walk's words are sequence words of descriptors
            // below `cap`.
            let word = unsafe { word_in(lines, walk.step()) };
            (start.wrapping_add(i), word)
        })
    }

    /// The sequence word of `pos`.
    #[inline(always)]
    fn seq(&self, pos: u64) -> &AtomicU64 {
        self.seq_at(self.desc(pos))
    }

    /// Sequence word of descriptor `d`.
    #[inline(always)]
    fn seq_at(&self, d: Desc) -> &AtomicU64 {
        // SAFETY: `d` is below `cap`, and so is its sequence word's
        // descriptor.
        unsafe { self.word(d.get() << self.seq_shift) }
    }

    /// Word `field` of the descriptor of `pos`.
    #[inline(always)]
    fn field(&self, pos: u64, field: Field) -> &AtomicU64 {
        self.field_at(self.desc(pos), field)
    }

    /// Word `field` of descriptor `d`.
    #[inline(always)]
    fn field_at(&self, d: Desc, field: Field) -> &AtomicU64 {
        // SAFETY: `d` is below `cap`, and a field is one of its words.
        unsafe { self.word(self.rest_base + (d.get() << self.rest_shift) + field as usize) }
    }

    /// Payload slot of `pos`, claimed by the only producer (or by any
    /// producer of a ring without hot slots): see "Hot slots".
    #[inline(always)]
    pub(crate) fn producer_slot(&self, pos: u64) -> usize {
        self.slot(pos, &self.producer.epoch)
    }

    /// Payload slot of `pos`, taken by the only consumer (or by any
    /// consumer of a ring without hot slots): see "Hot slots". Always
    /// below `cap`, whatever a peer wrote.
    #[inline(always)]
    pub(crate) fn consumer_slot(&self, pos: u64) -> usize {
        self.slot(pos, &self.consumer.epoch)
    }

    /// Payload slot of `pos` in the epoch that started at `epoch` (one
    /// side's own record of it), or at position 0 without hot slots.
    #[inline(always)]
    fn slot(&self, pos: u64, epoch: &AtomicU64) -> usize {
        if !self.hot {
            return self.index(pos);
        }
        // Relaxed: the side's own state.
        self.index(pos.wrapping_sub(epoch.load(Ordering::Relaxed)))
    }

    /// Whether payload slots start new epochs (see "Hot slots").
    #[inline(always)]
    pub(crate) fn hot_slots(&self) -> bool {
        self.hot
    }

    /// Declares that this process's producers evict (overwrite-oldest):
    /// waiting, they also wait for commits.
    pub(crate) fn set_evicts(&mut self, evicts: bool) {
        self.evicts = evicts;
    }

    /// The only producer, having claimed `pos`: starts a new epoch of
    /// payload slots there if no earlier record is outstanding (see "Hot
    /// slots"). While the ring does not drain, `pos - 1` (committed a
    /// moment ago) is not released, and this is one load of a word on the
    /// line the claim just read.
    #[inline(always)]
    fn claimed_hot(&self, pos: u64) {
        let prev = pos.wrapping_sub(1);
        if self.is_released(prev) {
            // Relaxed: the producer's own state.
            if self.producer.oldest.load(Ordering::Relaxed) == prev {
                // Nothing below `prev` was outstanding, and `prev` is
                // released: a ring drained between two messages (a
                // request and its reply) starts over without the walk.
                self.restart(pos);
            } else {
                self.restart_if_drained(pos);
            }
        }
    }

    /// The rest of [`claimed_hot`](Self::claimed_hot), once `pos - 1` reads
    /// released: walks `oldest` up to `pos` if every position between
    /// reads released too (a few steps per claim: in a ring that did not
    /// drain they are lines the consumer wrote, each a miss).
    #[inline(never)]
    fn restart_if_drained(&self, pos: u64) {
        let p = &self.producer;
        // Relaxed: the producer's own state.
        let mut oldest = p.oldest.load(Ordering::Relaxed);
        if pos.wrapping_sub(oldest) >= self.cap {
            // The claim of `pos` found `pos - cap` released.
            oldest = pos.wrapping_sub(self.cap).wrapping_add(1);
        }
        // SYNC POINT (release → claim): `is_released` Acquires every
        // release it sees, so the slots of an epoch are read out before a
        // new one writes them.
        let mut budget = HOT_WALK;
        while oldest != pos && budget > 0 && self.is_released(oldest) {
            oldest = next(oldest);
            budget -= 1;
        }
        if oldest == pos {
            self.restart(pos);
        } else {
            p.oldest.store(oldest, Ordering::Relaxed);
        }
    }

    /// The only producer starts an epoch of payload slots at `pos`, every
    /// position below it released.
    #[inline(always)]
    fn restart(&self, pos: u64) {
        let p = &self.producer;
        // Relaxed: the producer's own state.
        p.oldest.store(pos, Ordering::Relaxed);
        // Relaxed: as above.
        p.epoch.store(pos, Ordering::Relaxed);
        // Relaxed: read by a reaper after this process died.
        self.cursors.epoch.store(pos, Ordering::Relaxed);
    }

    /// The flags of a commit of `pos` by the producer: [`RESTART`] where
    /// it started an epoch.
    #[inline(always)]
    fn restart_flag(&self, pos: u64) -> u64 {
        // Relaxed: the producer's own state.
        if self.hot && self.producer.epoch.load(Ordering::Relaxed) == pos { RESTART } else { 0 }
    }

    /// The only consumer, having read `word` committed at `pos`: starts the
    /// epoch it flags (see "Hot slots").
    #[inline(always)]
    fn taken_hot(&self, pos: u64, word: u64) {
        if self.hot && word & RESTART != 0 {
            // Relaxed: the consumer's own state.
            self.consumer.epoch.store(pos, Ordering::Relaxed);
        }
    }

    /// How many positions from `pos` on are free for a claim through the
    /// freed cursor: those whose previous lap lies below it (see "The
    /// freed cursor").
    #[inline(always)]
    fn freed_from(&self, pos: u64) -> u64 {
        // SYNC POINT (release → claim): Acquire pairs with the Release
        // store of `freed` in `release_run`, so the consumer is done with
        // the records below it before their slots are written again.
        let end = self.cursors.runs.freed.load(Ordering::Acquire).wrapping_add(self.cap);
        if self.below(pos, end) { end.wrapping_sub(pos) } else { 0 }
    }

    /// Whether `pos - cap` lies below the freed cursor: released, whatever
    /// the word of `pos` says.
    #[inline(always)]
    fn freed_for(&self, pos: u64) -> bool {
        self.freed_from(pos) > 0
    }

    /// Whether `word`, read at `pos`, leaves `pos` free for a claim: it
    /// reads free for `pos`, or older, with `pos - cap` freed by the
    /// cursor. A claimed position reads so until it is committed; and so
    /// does a position inside a run, where only the run's ends are.
    #[inline(always)]
    fn free_for(&self, pos: u64, word: u64) -> bool {
        let t = tag(word);
        t == free_tag(pos) || (t < free_tag(pos) && self.freed_for(pos))
    }

    /// Producer: claims the next position.
    ///
    /// With `multi == false` the caller guarantees it is the only producer
    /// (or holds the producers' lock), so the cursor is advanced with a plain
    /// store.
    #[inline(always)]
    pub(crate) fn try_claim(&self, multi: bool) -> Claim {
        // Relaxed: `tail` is only a hint of where to look; ownership of a
        // position is decided by the CAS below (MP) or by being the only
        // producer (SP), and data visibility by `seq`.
        let mut pos = self.cursors.tail.load(Ordering::Relaxed);
        loop {
            // SYNC POINT (release → claim): Acquire pairs with the Release
            // store in `release`, so the previous lap's reader is done with the
            // bytes before we overwrite them (or, for a word older than
            // that, `free_for` Acquires the freed cursor).
            let word = self.seq(pos).load(Ordering::Acquire);
            let t = tag(word);
            if self.free_for(pos, word) {
                if !multi {
                    // Relaxed: read by stats and by the next claim of this
                    // same producer only.
                    self.cursors.tail.store(next(pos), Ordering::Relaxed);
                    if self.hot {
                        self.claimed_hot(pos);
                    }
                    return Claim::Claimed(pos);
                }
                // Strong CAS (same code as weak on x86; loom would explore
                // spurious failures of a weak one forever). The CAS decides
                // ownership of `pos`; the record's visibility is published
                // later through `seq`. SYNC POINT (claim → claim): AcqRel
                // (the same instruction as Relaxed on x86), so that each
                // claim comes after what the claims before it read: a
                // consumer that takes `p` then knows every release that
                // let `p - cap` and the positions before it be claimed,
                // which the freed cursor's walk relies on (see
                // `try_free`). Relaxed on failure: nothing is claimed.
                match self.cursors.tail.compare_exchange(
                    pos,
                    next(pos),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Claim::Claimed(pos),
                    Err(now) => pos = now,
                }
            } else if t < free_tag(pos) {
                return Claim::Full(pos);
            } else {
                // Another producer claimed `pos` and the ring moved on.
                let now = latest(&self.cursors.tail);
                if now == pos {
                    // Impossible honestly: the claim that moved the
                    // descriptor on advanced `tail` first, and our Acquire
                    // of `seq` makes that visible. A peer wrote garbage.
                    return Claim::Corrupt;
                }
                pos = now;
            }
        }
    }

    /// The only producer claims up to `n` positions at once: those from
    /// `tail` on that read free, with one store of the cursor for all of
    /// them (a store per message is what a busy producer pays for). Returns
    /// the first position and how many were claimed; the caller commits
    /// every one of them, in order (as [`Ring::unpublished`] expects) or
    /// as one run ([`Ring::commit_run`]).
    ///
    /// Its claims need no owner records: a reaper finds those of a single
    /// producer between the cursors ([`Sole::producer`]).
    #[inline]
    pub(crate) fn claim_run(&self, n: u64) -> (u64, u64) {
        // Relaxed: the only producer's own cursor (see `try_claim`).
        let start = self.cursors.tail.load(Ordering::Relaxed);
        let got = self.free_run(start, n);
        if got > 0 {
            // Relaxed: as in `try_claim`.
            self.cursors.tail.store(start.wrapping_add(got), Ordering::Relaxed);
            if self.hot {
                self.claimed_hot(start);
            }
        }
        (start, got)
    }

    /// One of several producers claims up to `n` positions at once: those
    /// from `tail` on that read free, with one CAS of the cursor for all of
    /// them (the CAS per message is what several busy producers wait on).
    /// Returns the first position and how many were claimed (`0`: the
    /// position at `tail` is not free, and [`try_claim`](Self::try_claim)
    /// says why: the ring is full, or a peer wrote garbage). The caller
    /// commits every one of them, each on its own: runs are for the only
    /// producer ([`commit_run`](Self::commit_run)).
    #[inline]
    pub(crate) fn claim_run_shared(&self, n: u64) -> (u64, u64) {
        // Relaxed: a hint of where to look, as in `try_claim`.
        let mut start = self.cursors.tail.load(Ordering::Relaxed);
        loop {
            // Positions from a stale `tail` on may be claimed by others
            // (and read free until committed): then the CAS fails. It
            // succeeds only where `tail` still (or, after other claims
            // were given back, again) reads `start`, and then no position
            // of the run was claimed in between.
            let got = self.free_run(start, n);
            if got == 0 {
                // A stale `tail`, whose position others claimed (and
                // committed) since: look again from where it is now, as
                // `try_claim` does. Where it has not moved, the position
                // is not free.
                let now = latest(&self.cursors.tail);
                if now == start {
                    return (start, 0);
                }
                start = now;
                continue;
            }
            // SYNC POINT (claim → claim): AcqRel, as in `try_claim`.
            // Relaxed on failure: nothing is claimed.
            match self.cursors.tail.compare_exchange(
                start,
                start.wrapping_add(got),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return (start, got),
                Err(now) => start = now,
            }
        }
    }

    /// How many of the `n` positions from `start` on read free for a claim,
    /// counted up to the first that does not: those whose previous lap the
    /// consumer freed with the cursor first (one line for all of them),
    /// then word by word.
    #[inline(always)]
    fn free_run(&self, start: u64, n: u64) -> u64 {
        let mut got = self.freed_from(start).min(n);
        for (pos, seq) in self.seqs(start.wrapping_add(got), n - got) {
            // SYNC POINT (release → claim): Acquire, as in `try_claim`.
            if tag(seq.load(Ordering::Acquire)) != free_tag(pos) {
                break;
            }
            got += 1;
        }
        got
    }

    /// Producer: gives back the claim of `pos` if it is the newest claim, so
    /// that the next claim reuses it at once. Returns `false` (and changes
    /// nothing) if another claim followed; the caller then commits it as
    /// aborted for consumers to skip.
    ///
    /// With `multi == false` the caller is the only producer or holds the
    /// producers' lock.
    pub(crate) fn try_unclaim(&self, pos: u64, multi: bool) -> bool {
        // Nothing was published for `pos`: its descriptor still reads free
        // for `pos` (or older, freed by the cursor: see `free_for`), so after
        // the rewind the next claim of `pos` finds it
        // exactly as the first one did. Relaxed as in `try_claim`.
        if multi {
            // SYNC POINT (unclaim → claim): Release, so that what the
            // rewinding producer wrote before (the cleared owner record,
            // see `Shared::give_back`) comes before whatever the producer whose
            // claim (AcqRel) reads the rewind writes. Relaxed on failure:
            // nothing changed.
            self.cursors
                .tail
                .compare_exchange(next(pos), pos, Ordering::Release, Ordering::Relaxed)
                .is_ok()
        } else if self.cursors.tail.load(Ordering::Relaxed) == next(pos) {
            // Relaxed: single writer (see `try_claim`).
            self.cursors.tail.store(pos, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// Producer: publishes (or, with `abort`, withdraws) the record at `pos`.
    ///
    /// Returns `true` if a consumer may sleep and must be notified. With
    /// `parks == false` nothing is checked: either no waiter can ever sleep,
    /// or the caller commits a batch and calls
    /// [`must_notify_consumers`](Self::must_notify_consumers) after the last.
    #[inline(always)]
    pub(crate) fn commit(&self, pos: u64, abort: bool, parks: bool) -> bool {
        self.store_committed(pos, self.restart_flag(pos) | if abort { ABORT } else { 0 }, parks)
    }

    /// Stores `pos`'s word committed, with `flags`; then, with `parks`,
    /// whether a consumer may sleep and must be notified.
    #[inline(always)]
    fn store_committed(&self, pos: u64, flags: u64, parks: bool) -> bool {
        // SYNC POINT (commit → take): Release publishes the record (or, for
        // a run's first word, every record of the run) written since the
        // claim; pairs with the consumer's Acquire of this word.
        //
        // The word is found again here, not kept from the claim: kept (16
        // fewer instructions per message), a busy-spinning SPSC stream read
        // 49–50 M msg/s against 63–65 on the project machine; the store's
        // address known early, its line, which the consumer's releases
        // share in the packed layout, is perhaps asked for early.
        self.seq(pos).store(committed_word(pos) | flags, Ordering::Release);
        parks && self.must_notify_consumers()
    }

    /// The only producer publishes the run `[start, start + n)` it claimed
    /// with [`claim_run`](Self::claim_run) and wrote, for the only consumer,
    /// with one commit (see "Runs"). Checks for no waiter: the caller calls
    /// [`must_notify_consumers`](Self::must_notify_consumers) after it.
    ///
    /// Only where the ring has one producer and one consumer that takes
    /// without CAS: consumers that take by CAS treat a run as corruption.
    #[inline]
    pub(crate) fn commit_run(&self, start: u64, n: u64) {
        if n == 0 {
            return;
        }
        // The last record on its own first, for `unpublished` (see "Runs").
        self.commit(start.wrapping_add(n - 1), false, false);
        if n > 1 {
            // Relaxed: published by the Release store below.
            self.field(start, Field::Len).store(n, Ordering::Relaxed);
            self.store_committed(start, RUN | self.restart_flag(start), false);
        }
    }

    /// Whether `pos` lies inside the run the only consumer is in (below
    /// `run_end`, less than a lap from it): committed, and made visible by
    /// the Acquire of the run's first word.
    #[inline(always)]
    fn in_run(&self, pos: u64) -> bool {
        // Relaxed: the only consumer's own cursor, this process's copy.
        self.below(pos, self.consumer.run_end.load(Ordering::Relaxed))
    }

    /// Whether `pos` comes before `end`, less than a lap before it (wrapping
    /// arithmetic: positions may come from shared memory).
    #[inline(always)]
    fn below(&self, pos: u64, end: u64) -> bool {
        end.wrapping_sub(pos).wrapping_sub(1) < self.cap
    }

    /// The only consumer enters the run that `pos` (just found committed
    /// with [`RUN`]) heads: records where it ends. `false` if its length is
    /// impossible (a peer wrote it): not two or more positions that were
    /// all claimed.
    #[cold]
    fn enter_run(&self, pos: u64) -> bool {
        // Relaxed: ordered after the Acquire of the run's word, which the
        // producer stored after its claim moved `tail` past the run.
        let n = self.field(pos, Field::Len).load(Ordering::Relaxed);
        let claimed = self.cursors.tail.load(Ordering::Relaxed).wrapping_sub(pos);
        if n < 2 || n > self.cap || n > claimed {
            return false;
        }
        let end = pos.wrapping_add(n);
        // Relaxed: this process's copy, read by this consumer only.
        self.consumer.run_end.store(end, Ordering::Relaxed);
        // Relaxed: the `head` store that follows (Release) publishes it.
        self.cursors.runs.end.store(end, Ordering::Relaxed);
        true
    }

    /// The committing side of the wake-up handshake, after its store(s):
    /// whether a consumer may sleep (the bit is then lowered; the caller
    /// wakes everyone). The barrier orders every earlier store of the caller
    /// before the load (together with the waiters' half of it, see
    /// `Barrier`), so one call serves a whole batch of commits.
    #[inline]
    pub(crate) fn must_notify_consumers(&self) -> bool {
        self.must_notify(CONSUMERS_WAIT)
    }

    /// The releasing side of the wake-up handshake, after its store(s): as
    /// [`must_notify_consumers`](Self::must_notify_consumers), for a run of
    /// releases made with `parks == false`.
    #[inline]
    pub(crate) fn must_notify_producers(&self) -> bool {
        self.must_notify(PRODUCERS_WAIT)
    }

    /// The changing side of the wake-up handshake for `bit`; see "Wake-ups".
    #[inline]
    fn must_notify(&self, bit: u64) -> bool {
        // SYNC POINT (change → wait): store, fence, load; pairs with the
        // fence in `register` (the light half of an asymmetric pair, see
        // `Barrier`).
        self.barrier.light();
        let waiting = &self.cursors.waiting;
        // Relaxed: the barrier orders the load; the word's line stays shared
        // in both caches while nobody waits, so this costs no miss.
        if waiting.load(Ordering::Relaxed) & bit == 0 {
            return false;
        }
        if bit == CONSUMERS_WAIT || !self.barrier.shared_by_waiters() {
            // Acquire on the RMW: the waiters' announcements (sleeper
            // counts, registrations) made before they raised the bit are
            // visible to the wake-up that follows. One RMW, whatever
            // another process writes into the word.
            return waiting.fetch_and(!bit, Ordering::Acquire) & bit != 0;
        }
        self.lower_producers_wait()
    }

    /// Lowers [`PRODUCERS_WAIT`] with its mark, in a new generation, where
    /// producers share barriers (see "Wake-ups"): whether it was raised.
    #[cold]
    #[inline(never)]
    fn lower_producers_wait(&self) -> bool {
        let waiting = &self.cursors.waiting;
        // Relaxed load: the CAS decides. Acquire on the CAS, as on the
        // consumers' RMW above.
        let mut word = waiting.load(Ordering::Relaxed);
        while word & PRODUCERS_WAIT != 0 {
            let lowered =
                (word & !(PRODUCERS_WAIT | PRODUCERS_FENCED)).wrapping_add(WAIT_GENERATION);
            match waiting.compare_exchange_weak(word, lowered, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => word = now,
            }
        }
        false
    }

    /// Consumer: takes the next committed record.
    ///
    /// With `multi == false` the caller guarantees it is the only consumer
    /// and that nobody else advances `head` (no overwrite-oldest producer).
    #[inline(always)]
    pub(crate) fn try_take(&self, multi: bool) -> Take {
        // Relaxed: a hint, as in `try_claim`.
        let mut pos = self.cursors.head.load(Ordering::Relaxed);
        loop {
            // SYNC POINT (commit → take): Acquire pairs with the Release of
            // `commit`, making the producer's writes of the record visible.
            let word = self.seq(pos).load(Ordering::Acquire);
            let t = tag(word);
            if t == committed_tag(pos) {
                let aborted = word & ABORT != 0;
                if word & RUN != 0 && (multi || aborted || !self.enter_run(pos)) {
                    return Take::Corrupt;
                }
                if !multi {
                    self.taken_hot(pos, word);
                    // Release: this consumer's own cursor (others read it
                    // for statistics, a reaper after an Acquire of it, see
                    // `RunCursors::end`).
                    self.cursors.head.store(next(pos), Ordering::Release);
                    return Take::Taken { pos, aborted };
                }
                // Relaxed: the CAS decides which consumer owns `pos`; the data
                // was already acquired through `seq` above.
                match self.cursors.head.compare_exchange(
                    pos,
                    next(pos),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Take::Taken { pos, aborted },
                    Err(now) => pos = now,
                }
            } else if t < committed_tag(pos) {
                if !multi {
                    // Inside a run its descriptor reads free for itself
                    // (see "Runs"); looked at only here, so that records
                    // sent one by one pay nothing for runs.
                    if self.in_run(pos) {
                        // Release: see `RunCursors::end`.
                        self.cursors.head.store(next(pos), Ordering::Release);
                        return Take::Taken { pos, aborted: false };
                    }
                    return Take::Empty(pos);
                }
                // Only to see whether another consumer moved on.
                let now = latest(&self.cursors.head);
                if now == pos {
                    return Take::Empty(pos);
                }
                pos = now;
            } else {
                // Taken, released and re-used by a later lap: `head` moved.
                let now = latest(&self.cursors.head);
                if now == pos {
                    // Impossible honestly, as in `try_claim`.
                    return Take::Corrupt;
                }
                pos = now;
            }
        }
    }

    /// Consumer: takes the record at `pos`, the one right after the caller's
    /// last take, if it is committed and not aborted (a receive of several
    /// records in one run). `false`, having taken nothing, otherwise; the
    /// caller then ends its run.
    ///
    /// With `multi == false` the caller is the only consumer (and `head` is
    /// `pos`); otherwise `head` must still be `pos`, checked by CAS.
    #[inline]
    pub(crate) fn try_take_next(&self, pos: u64, multi: bool) -> bool {
        if !multi {
            return self.take_run(pos, 1) == 1;
        }
        // Relaxed: as in `try_take`; fails if another consumer took it.
        self.is_ready(pos)
            && self
                .cursors
                .head
                .compare_exchange(pos, next(pos), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// The only consumer takes the records from `pos` on (`pos` is `head`)
    /// that are committed and not aborted, up to `n`, with one store of the
    /// cursor for all of them, and without a look at the descriptors
    /// inside a run (see "Runs"). Returns how many. Only with nobody else
    /// advancing `head` (no overwrite-oldest producer); as for
    /// [`Ring::claim_run`], no owner records ([`Sole::consumer`]).
    #[inline]
    pub(crate) fn take_run(&self, pos: u64, n: u64) -> u64 {
        let n = n.min(self.cap);
        let mut got = 0;
        while got < n {
            let at = pos.wrapping_add(got);
            // Relaxed: this process's copy, the only consumer's own.
            let end = self.consumer.run_end.load(Ordering::Relaxed);
            if self.below(at, end) {
                // Inside a run: every position up to its end at once.
                got += end.wrapping_sub(at).min(n - got);
            } else if self.is_ready_sole(at) {
                got += 1;
            } else {
                break;
            }
        }
        if got > 0 {
            // Release: as in `try_take` (the only consumer's own cursor).
            self.cursors.head.store(pos.wrapping_add(got), Ordering::Release);
        }
        got
    }

    /// Whether the record at `pos` is committed and not aborted: one a run
    /// of takes by CAS may include (a run is not: see "Runs").
    #[inline(always)]
    fn is_ready(&self, pos: u64) -> bool {
        // SYNC POINT (commit → take): Acquire, as in `try_take`: the record's
        // bytes are visible to the take that follows.
        let word = self.seq(pos).load(Ordering::Acquire);
        tag(word) == committed_tag(pos) && word & (ABORT | RUN) == 0
    }

    /// As [`is_ready`](Self::is_ready), for the only consumer: positions
    /// inside its run are ready, and a run's first record enters the run.
    #[inline(always)]
    fn is_ready_sole(&self, pos: u64) -> bool {
        if self.in_run(pos) {
            return true;
        }
        // SYNC POINT (commit → take): Acquire, as in `is_ready`.
        let word = self.seq(pos).load(Ordering::Acquire);
        let ready = tag(word) == committed_tag(pos)
            && word & ABORT == 0
            && (word & RUN == 0 || self.enter_run(pos));
        if ready {
            self.taken_hot(pos, word);
        }
        ready
    }

    /// Takes the record at exactly `pos` if it is committed and nobody has
    /// taken it yet (the overwrite-oldest producer evicting the record that
    /// blocks it), recording `owner` as its taker where given (see
    /// [`set_owner`](Self::set_owner)), so that the record of a process
    /// that dies before it releases it is reaped. Returns whether it was
    /// aborted, or `None` if it could not be taken.
    pub(crate) fn try_take_at(&self, pos: u64, owner: Option<usize>) -> Option<bool> {
        // SYNC POINT (commit → take): as in `try_take`.
        let word = self.seq(pos).load(Ordering::Acquire);
        if tag(word) != committed_tag(pos) || word & RUN != 0 {
            return None;
        }
        // Relaxed: as in `try_take`; fails if a consumer took `pos` first.
        self.cursors
            .head
            .compare_exchange(pos, next(pos), Ordering::Relaxed, Ordering::Relaxed)
            .ok()?;
        if let Some(owner) = owner {
            self.set_owner(pos, owner, false);
        }
        Some(word & ABORT != 0)
    }

    /// Consumer: gives the descriptor of a taken record back to producers.
    ///
    /// Returns `true` if a producer may sleep and must be notified.
    #[inline(always)]
    pub(crate) fn release(&self, pos: u64, parks: bool) -> bool {
        let word = free_word(pos.wrapping_add(self.cap));
        // SYNC POINT (release → claim): Release orders every read of the
        // record before the descriptor is handed back; pairs with the
        // Acquire load in `try_claim` (and in `Arena::reclaim`).
        self.seq(pos).store(word, Ordering::Release);
        parks && self.must_notify_producers()
    }

    /// Consumer: [`release`](Self::release)s the `n` records from `start`
    /// on, with no wake-up check: the caller calls
    /// [`must_notify_producers`](Self::must_notify_producers) after it.
    /// With `sole` (the caller's consumers take without CAS, in position
    /// order), through the freed cursor where it can (see "The freed
    /// cursor").
    #[inline]
    pub(crate) fn release_run(&self, start: u64, n: u64, sole: bool) {
        debug_assert!(n <= self.cap);
        if sole && self.try_free(start, n) {
            return;
        }
        let cap = self.cap;
        for (pos, seq) in self.seqs(start, n) {
            // SYNC POINT (release → claim): as in `release`.
            seq.store(free_word(pos.wrapping_add(cap)), Ordering::Release);
        }
    }

    /// Moves the freed cursor past `[start, start + n)` (taken, in a ring
    /// whose consumers take in order) if every position from it up to
    /// `start` reads released: whether it did (see "The freed cursor").
    /// A cursor more than a lap behind `start` (positions released one by
    /// one for a lap) is walked up from a lap below `start`; so is one a
    /// peer wrote ahead of it.
    #[inline]
    fn try_free(&self, start: u64, n: u64) -> bool {
        // SYNC POINT (release → release): Acquire, so that the store below
        // carries the release that moved the cursor here on to producers.
        let freed = self.cursors.runs.freed.load(Ordering::Acquire);
        if freed != start {
            // The take of `start` proves `start - cap` and every position
            // before it released.
            let from = if self.below(freed, start) {
                freed
            } else {
                start.wrapping_sub(self.cap).wrapping_add(1)
            };
            let released = |(pos, seq): (u64, &AtomicU64)| {
                // SYNC POINT (release → release): Acquire, as above, for
                // the releases of the walked words.
                self.reads_released(pos, seq.load(Ordering::Acquire))
            };
            if !self.seqs(from, start.wrapping_sub(from)).all(released) {
                return false;
            }
        }
        // SYNC POINT (release → claim): Release orders every read of the
        // run (and, through the walk, of the records before it) before
        // producers reuse their slots; pairs with the Acquire in
        // `freed_from`.
        self.cursors.runs.freed.store(start.wrapping_add(n), Ordering::Release);
        true
    }

    /// Raises the waiting `bits`, then looks at the descriptor of `pos` once
    /// more: `Parked` if `blocked(word)` still holds.
    ///
    /// Called after the caller registered its listener (or announced its
    /// sleep), so a state change after a `Parked` answer is guaranteed to
    /// notify it.
    fn register(&self, pos: u64, bits: u64, blocked: impl Fn(u64) -> bool) -> Register {
        let waiting = &self.cursors.waiting;
        // SYNC POINT (wait → change): raise, fence, load; pairs with the
        // fence in `must_notify`. Release: what the waiter did before
        // (announcing itself as a futex sleeper, registering its eventfd)
        // is visible to a notifier whose Acquire RMW lowers the bit. An
        // RMW, not a store: see "Wake-ups". Acquire: a producer that joins
        // a wait marked fenced sees what the marking producer saw.
        let before = waiting.fetch_or(bits, Ordering::AcqRel);
        // Producers that wait for releases alone share the barrier of an
        // asymmetric pair (see "Wake-ups"); elsewhere a barrier is a fence.
        let shares = bits == PRODUCERS_WAIT && self.barrier.shared_by_waiters();
        let joined = shares
            && before & (PRODUCERS_WAIT | PRODUCERS_FENCED) == PRODUCERS_WAIT | PRODUCERS_FENCED;
        // A joining producer's last look comes after the marking
        // producer's barrier (its Acquire read the mark), and the bit was
        // raised without a break since that producer raised it: no
        // barrier of its own (see "Wake-ups").
        let fenced = joined || self.barrier.heavy();
        // Relaxed: only the state is read; a caller told `Changed` retries
        // with an Acquire load.
        let changed = !blocked(self.seq(pos).load(Ordering::Relaxed));
        if shares && fenced && !joined {
            self.mark_fenced(before);
        }
        if changed {
            Register::Changed
        } else if fenced {
            Register::Parked
        } else {
            Register::Unfenced
        }
    }

    /// A producer whose barrier ran marks the wait it raised
    /// [`PRODUCERS_FENCED`], unless the bit was lowered since its raise
    /// (`before` is the word its raise read: the generation to match).
    #[cold]
    fn mark_fenced(&self, before: u64) {
        let waiting = &self.cursors.waiting;
        let generation = before / WAIT_GENERATION;
        // Relaxed: the CAS decides.
        let mut word = waiting.load(Ordering::Relaxed);
        while word / WAIT_GENERATION == generation
            && word & (PRODUCERS_WAIT | PRODUCERS_FENCED) == PRODUCERS_WAIT
        {
            // Release: a producer whose raise reads the mark (Acquire)
            // sees this one's barrier and last look done.
            match waiting.compare_exchange_weak(
                word,
                word | PRODUCERS_FENCED,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => word = now,
            }
        }
    }

    /// Consumer side: parks on `pos` while nothing is committed there.
    pub(crate) fn register_consumer(&self, pos: u64) -> Register {
        self.register(pos, CONSUMERS_WAIT, |w| tag(w) < committed_tag(pos))
    }

    /// Producer side: parks on `pos` while the previous lap still holds it.
    pub(crate) fn register_producer(&self, pos: u64) -> Register {
        self.register(pos, self.producers_wait(), |w| {
            tag(w) < free_tag(pos) && !self.freed_for(pos)
        })
    }

    /// The bits a producer raises: see "Wake-ups".
    fn producers_wait(&self) -> u64 {
        if self.evicts { CONSUMERS_WAIT | PRODUCERS_WAIT } else { PRODUCERS_WAIT }
    }

    /// Producer side of a variable-size ring: parks on the oldest record
    /// until it is released (its descriptor becomes free for `pos + cap`).
    pub(crate) fn register_reclaim(&self, pos: u64) -> Register {
        let next = free_tag(pos.wrapping_add(self.cap));
        self.register(pos, self.producers_wait(), move |w| tag(w) < next)
    }

    /// Whether the record at `pos` has been released (its descriptor is free
    /// for the next lap), as its word says: a run released through the
    /// freed cursor leaves its words as they were (see "The freed cursor").
    /// Rings with an arena never release through the cursor (their
    /// channel's `release_run` says so), since the arena frees only what
    /// this reports; hot slots then merely start no new epoch.
    #[inline]
    pub(crate) fn is_released(&self, pos: u64) -> bool {
        // SYNC POINT (release → reclaim): Acquire pairs with `release`, so the
        // reader is done with the record's bytes before the arena reuses them.
        self.reads_released(pos, self.seq(pos).load(Ordering::Acquire))
    }

    /// Whether `word`, read at `pos`, says the record at `pos` was released:
    /// free for the next lap, or claimed or committed in it.
    #[inline(always)]
    fn reads_released(&self, pos: u64, word: u64) -> bool {
        tag(word) >= free_tag(pos.wrapping_add(self.cap))
    }

    /// Records where a variable-size record's payload is. Producer only,
    /// between its claim and its commit.
    #[inline]
    pub(crate) fn set_extent(&self, pos: u64, off: u64, len: u64) {
        // Relaxed: published by the Release in `commit`.
        self.field(pos, Field::Off).store(off, Ordering::Relaxed);
        // Relaxed: as above.
        self.field(pos, Field::Len).store(len, Ordering::Relaxed);
    }

    /// Records the trailing-slice element count of the record at `pos`.
    /// Producer only, between its claim and its commit.
    #[inline]
    pub(crate) fn set_elems(&self, pos: u64, elems: u64) {
        // Relaxed: published by the Release in `commit`.
        self.field(pos, Field::Elems).store(elems, Ordering::Relaxed);
    }

    /// Where a variable-size record's payload is: `(arena position, length)`.
    /// Valid for the owner of `pos` (after claim or take).
    #[inline]
    pub(crate) fn extent(&self, pos: u64) -> (u64, u64) {
        // Relaxed: ordered after the Acquire of `seq` that gave us `pos`.
        let off = self.field(pos, Field::Off).load(Ordering::Relaxed);
        // Relaxed: as above.
        (off, self.field(pos, Field::Len).load(Ordering::Relaxed))
    }

    /// The trailing-slice element count of the record at `pos`; valid for its
    /// owner, like [`Ring::extent`].
    #[inline]
    pub(crate) fn elems(&self, pos: u64) -> u64 {
        // Relaxed: ordered after the Acquire of `seq` that gave us `pos`.
        self.field(pos, Field::Elems).load(Ordering::Relaxed)
    }

    /// Records that owner `slot` (`1..=MAX_OWNERS`) holds `pos`, claimed
    /// (`claim`) or taken, so that [`Ring::reap`] gives it back if its
    /// process dies. Channels between processes only, and there only for
    /// claims with several producers and for takes by CAS (several
    /// consumers, or overwrite-oldest): the rest is found from the cursors.
    #[inline]
    pub(crate) fn set_owner(&self, pos: u64, slot: usize, claim: bool) {
        let word = pos << 8 | if claim { OWNER_CLAIM } else { 0 } | (slot as u64 & 0x7f);
        // Relaxed: read by a reaper only once the owner's process is dead,
        // after the kernel saw it die (which orders everything it wrote).
        self.field(pos, Field::Owner).store(word, Ordering::Relaxed);
    }

    /// Gives back what owner `slot` held when its process died: records it
    /// claimed and never committed are committed as aborted, records it took
    /// and never released are released. Returns how many records were
    /// committed as aborted (positions that carry no message, for the
    /// statistics).
    ///
    /// The claims of the only producer, and the takes of the only consumer
    /// where producers never take, are not recorded ([`Ring::set_owner`]):
    /// `sole` says which of those sides the process held, and they are
    /// found from the cursors. That relies on the side having had no other
    /// handle, and on nobody joining it while this runs or after (the
    /// caller's side closes for good when it is detached, after this).
    /// Cursors that cannot be (more than a lap apart: a peer wrote them)
    /// find nothing.
    #[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
    pub(crate) fn reap(&self, slot: usize, sole: Sole) -> u64 {
        // SYNC POINT (take → reap): Acquire pairs with the Release of the
        // consumer's `head` store, so the run it points into is visible.
        let head = self.cursors.head.load(Ordering::Acquire);
        let tail = self.tail();
        let mut voided = 0;
        let sound = tail.wrapping_sub(head) <= self.cap;
        if sole.producer && sound {
            voided += self.void_open_claims(head, tail);
        }
        if sole.consumer && sound {
            // Every position of the lap below `head` and not below the
            // freed cursor that still reads committed, or free for itself
            // (inside a run, see "Runs"), was taken (it is below `head`),
            // by the only consumer, and never released. Producers cannot
            // change such a descriptor.
            // Relaxed: written by the dead consumer before it died.
            let freed = self.cursors.runs.freed.load(Ordering::Relaxed);
            for n in 1..=head.min(self.cap) {
                let pos = head.wrapping_sub(n);
                if self.below(pos, freed) {
                    break;
                }
                // SYNC POINT (commit → reap): Acquire, as in `try_take`.
                let word = self.seq(pos).load(Ordering::Acquire);
                if tag(word) == committed_tag(pos) || self.free_for(pos, word) {
                    self.release(pos, true);
                }
            }
        }
        for i in 0..self.cap {
            let d = self.desc(i);
            // Relaxed: see `set_owner`.
            let owner = self.field_at(d, Field::Owner).load(Ordering::Relaxed);
            let pos = owner >> 8;
            if slot == 0 || owner & 0x7f != slot as u64 & 0x7f || self.desc(pos) != d {
                continue;
            }
            // SYNC POINT (commit/release → reap): Acquire, as in `try_take`.
            let word = self.seq_at(d).load(Ordering::Acquire);
            let t = tag(word);
            if owner & OWNER_CLAIM != 0 && self.free_for(pos, word) && pos < tail {
                self.commit(pos, true, true);
                voided += 1;
            } else if owner & OWNER_CLAIM == 0 && t == committed_tag(pos) && pos < head {
                self.release(pos, true);
            }
        }
        voided
    }

    /// Commits the claim of a dead sole producer at `pos` as aborted. If the
    /// claim started an epoch of hot slots (the shared cursors say where
    /// the producer's last one started), the aborted record says so, or
    /// the consumer would look for the records after it in the wrong slots.
    fn void_claim(&self, pos: u64) {
        // Relaxed: written by the dead producer before it died.
        let restart =
            self.layout == Layout::Packed && self.cursors.epoch.load(Ordering::Relaxed) == pos;
        // The caller wakes everyone once it is done.
        let _ = self.store_committed(pos, ABORT | if restart { RESTART } else { 0 }, true);
    }

    /// For a dead sole producer: commits as aborted every position from
    /// `head` to `tail` that was claimed and never committed, and returns
    /// how many. Those are the positions that read free for themselves,
    /// except the ones inside runs (see "Runs"), which the walk steps over:
    /// the run the live consumer is in (from `run_end`), and the runs whose
    /// first word it meets. A released descriptor on the way means the
    /// consumer moved on meanwhile; the walk then starts again from where
    /// the consumer is. Every step moves on, so it ends within a lap,
    /// whatever the words say.
    fn void_open_claims(&self, head: u64, tail: u64) -> u64 {
        let past_run = |head: u64| {
            // Relaxed: ordered after the Acquire of `head` (`RunCursors::end`).
            let end = self.cursors.runs.end.load(Ordering::Relaxed);
            if self.below(head, end) { end } else { head }
        };
        let mut voided = 0;
        let mut pos = past_run(head);
        while self.below(pos, tail) {
            // SYNC POINT (release → reap): Acquire, as in `try_claim`.
            let word = self.seq(pos).load(Ordering::Acquire);
            let t = tag(word);
            pos = if self.free_for(pos, word) {
                self.void_claim(pos);
                voided += 1;
                next(pos)
            } else if t == committed_tag(pos) && word & RUN != 0 {
                // Relaxed: ordered after the Acquire of the run's word.
                let n = self.field(pos, Field::Len).load(Ordering::Relaxed);
                pos.wrapping_add(n.clamp(1, self.cap))
            } else if t == committed_tag(pos) {
                next(pos)
            } else {
                // SYNC POINT (release → reap): the Acquire above saw the
                // consumer's release, which follows its take: `head` (and
                // `run_end`) have moved past `pos`.
                let ahead = past_run(self.cursors.head.load(Ordering::Acquire));
                if self.below(pos, ahead) { ahead } else { next(pos) }
            };
        }
        voided
    }

    /// How many of the newest claims, right behind `tail`, are not
    /// committed yet (looking at `limit` at most): records still being
    /// written. Statistics only, and exact only for a single producer, whose
    /// commits follow its claims in order.
    pub(crate) fn unpublished(&self, tail: u64, limit: u64) -> u64 {
        (0..limit.min(self.cap))
            .take_while(|n| self.is_unpublished(tail.wrapping_sub(n + 1)))
            .count() as u64
    }

    /// Whether the descriptor of `pos` still reads free for `pos` (for a
    /// claimed position: not committed yet). Statistics only.
    pub(crate) fn is_unpublished(&self, pos: u64) -> bool {
        // Relaxed: statistics only.
        self.free_for(pos, self.seq(pos).load(Ordering::Relaxed))
    }

    /// Producer cursor (positions claimed so far).
    #[inline]
    pub(crate) fn tail(&self) -> u64 {
        // Relaxed: statistics, the arena's reclaim (its own producer's
        // cursor) and reapers (which read the cursor of a dead process, or
        // one that only grows; see `reap`).
        self.cursors.tail.load(Ordering::Relaxed)
    }

    /// Consumer cursor (positions taken so far).
    #[inline]
    pub(crate) fn head(&self) -> u64 {
        // Relaxed: as `tail`.
        self.cursors.head.load(Ordering::Relaxed)
    }
}

/// The producer-side allocator of a variable-size ring's byte arena.
///
/// Owned by the single producer, or kept under the producers' mutex.
#[derive(Debug, Clone)]
pub(crate) struct Arena {
    /// Arena size in bytes (a multiple of [`PAYLOAD_ALIGN`]).
    size: u64,
    /// Next free arena position (monotonic).
    write: u64,
    /// Everything before this arena position is free.
    reclaim: u64,
    /// Oldest descriptor position not yet reclaimed.
    oldest: u64,
}

/// Result of an arena allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alloc {
    /// Position claimed, payload at this arena position (offset `off % len`);
    /// `undo` is the write cursor to restore if the record is aborted while
    /// it is still the newest.
    Claimed { pos: u64, off: u64, undo: u64 },
    /// No descriptor free at this position: wait on it.
    NoDescriptor(u64),
    /// Not enough bytes until the record at this position is released.
    NoSpace(u64),
    /// The ring's or the arena's words contradict each other (see
    /// [`Claim::Corrupt`]).
    Corrupt,
}

impl Arena {
    /// An empty arena of `size` bytes.
    pub(crate) fn new(size: u64) -> Self {
        Self { size, write: 0, reclaim: 0, oldest: 0 }
    }

    /// Frees the arena space of every released record, oldest first.
    /// Returns `false` if the cursors are impossible (more records
    /// outstanding than descriptors: shared memory was written over).
    fn reclaim(&mut self, ring: &Ring, tail: u64) -> bool {
        if tail.wrapping_sub(self.oldest) > ring.capacity() {
            return false;
        }
        while self.oldest != tail && ring.is_released(self.oldest) {
            let (off, len) = ring.extent(self.oldest);
            // Wrapping: extents may come from shared memory.
            self.reclaim = off.wrapping_add(round_up(len, PAYLOAD_ALIGN as u64));
            self.oldest = next(self.oldest);
        }
        if self.oldest == tail {
            // Nothing outstanding: restart at the beginning of the arena, so
            // the most recently used (cache-hot) bytes are handed out again.
            self.write = self.write.checked_next_multiple_of(self.size).unwrap_or(0);
            self.reclaim = self.write;
        }
        true
    }

    /// Claims a position and `len` bytes of the arena.
    ///
    /// The caller must be the only producer (or hold the producers' lock) and
    /// must have checked `round_up(len) <= size`.
    pub(crate) fn alloc(&mut self, ring: &Ring, len: u64) -> Alloc {
        if !self.reclaim(ring, ring.tail()) {
            return Alloc::Corrupt;
        }
        self.claim_reclaimed(ring, len)
    }

    /// The second half of [`Arena::alloc`]: claims with what `reclaim` found.
    /// Records may be released meanwhile; that is only seen by the next
    /// `reclaim`.
    fn claim_reclaimed(&mut self, ring: &Ring, len: u64) -> Alloc {
        // Every descriptor from `oldest` on still holds an extent that
        // `reclaim` must read. If all of them are taken, the next claim would
        // reuse the descriptor of `oldest` (released after `reclaim` looked,
        // or the claim would fail anyway) and overwrite its extent before it
        // was reclaimed, so the arena would lose track of live bytes.
        if ring.tail().wrapping_sub(self.oldest) >= ring.capacity() {
            return Alloc::NoSpace(self.oldest);
        }
        // Wrapping (all): a multi-producer arena's cursors live in shared
        // memory, where a faulty peer may have written anything. Wrong
        // cursors then give wrong, but in-bounds, records: `off % size`
        // plus `len` never passes the arena's end.
        let size = self.size;
        let need = round_up(len, PAYLOAD_ALIGN as u64);
        let mut start = self.write;
        let in_lap = start % size;
        if in_lap + need > size {
            start = start.wrapping_add(size - in_lap);
        }
        if start.wrapping_add(need).wrapping_sub(self.reclaim) > size {
            return Alloc::NoSpace(self.oldest);
        }
        match ring.try_claim(false) {
            Claim::Claimed(pos) => {
                ring.set_extent(pos, start, len);
                let undo = self.write;
                self.write = start.wrapping_add(need);
                Alloc::Claimed { pos, off: start, undo }
            }
            Claim::Full(pos) => Alloc::NoDescriptor(pos),
            Claim::Corrupt => Alloc::Corrupt,
        }
    }
}

/// The largest power of two not above `n` (`n > 0`).
const fn prev_power_of_two(n: u64) -> u64 {
    1 << (63 - n.leading_zeros())
}

/// The newest value of a cursor, for retry paths that must not spin on a
/// stale one. Under loom a read-modify-write, which reads the latest value in
/// the modification order, where a plain load may return an older one (and
/// under loom may do so forever). Relaxed: the cursor is a hint; `seq`
/// carries the ordering.
#[inline]
fn latest(cursor: &AtomicU64) -> u64 {
    // On hardware a plain load sees the new value soon enough, and idle
    // consumers must not hammer the cursor's line with locked operations.
    #[cfg(not(all(loom, test)))]
    {
        cursor.load(Ordering::Relaxed)
    }
    #[cfg(all(loom, test))]
    {
        cursor.fetch_add(0, Ordering::Relaxed)
    }
}

/// The arena allocator of a multi-producer variable-size channel between
/// processes: its state in shared memory, under a lock word that names its
/// holder, so that the lock of a process that died can be broken.
/// How long a producer waits for the shared arena lock before it checks
/// that the holder's number belongs to an attached process: holders keep
/// it for a few hundred nanoseconds, and the lock of a dead holder is
/// broken within a monitor tick.
#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
#[repr(C)]
#[derive(Debug)]
pub(crate) struct SharedArena {
    /// 0, or the owner number of the process inside.
    lock: AtomicU64,
    write: AtomicU64,
    reclaim: AtomicU64,
    oldest: AtomicU64,
}

#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
impl SharedArena {
    /// Runs `f` on the allocator (of an arena of `size` bytes) under the
    /// lock, as owner `owner` (`1..=MAX_OWNERS`). `None` if the lock word
    /// is impossible (no owner can have that number, or after
    /// [`LOCK_PATIENCE`] `alive` says no attached process has it) or the
    /// cursors are misaligned: a faulty peer wrote them.
    ///
    /// The state is stored back cursor by cursor, each only ever growing, so
    /// a process that dies in the middle leaves an older, more cautious
    /// state, never one that hands out live bytes.
    pub(crate) fn with<R>(
        &self,
        size: u64,
        owner: usize,
        alive: impl Fn(usize) -> bool,
        f: impl FnOnce(&mut Arena) -> R,
    ) -> Option<R> {
        let mut spins = 0u32;
        let mut since = None;
        loop {
            // SYNC POINT (arena lock): Acquire pairs with the Release of the
            // unlock below, so the state stored there is seen here.
            match self.lock.compare_exchange_weak(
                0,
                owner as u64,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(holder) if holder > MAX_OWNERS as u64 => return None,
                Err(_) => {}
            }
            spins = spins.wrapping_add(1);
            if spins < 64 {
                crate::sync::spin_loop();
                continue;
            }
            // The holder was preempted (or died, and its reaper breaks the
            // lock soon): give it the CPU.
            crate::sync::yield_now();
            let start = *since.get_or_insert_with(std::time::Instant::now);
            if spins.is_multiple_of(256) && start.elapsed() > LOCK_PATIENCE {
                // Relaxed: only the number matters.
                let holder = self.lock.load(Ordering::Relaxed);
                if holder != 0 && !alive(holder as usize) {
                    // No attached process has that number: a scribble.
                    return None;
                }
                // A live holder that is stopped (SIGSTOP, a debugger) or
                // slow: keep waiting; its death breaks the lock.
                since = None;
            }
        }
        // Relaxed (all): ordered by the lock.
        let mut arena = Arena {
            size,
            write: self.write.load(Ordering::Relaxed),
            reclaim: self.reclaim.load(Ordering::Relaxed),
            oldest: self.oldest.load(Ordering::Relaxed),
        };
        let aligned = |v: u64| v.is_multiple_of(PAYLOAD_ALIGN as u64);
        if !(aligned(arena.write) && aligned(arena.reclaim)) {
            // Records must start 64-byte aligned: a peer wrote these.
            self.lock.store(0, Ordering::Release);
            return None;
        }
        let r = f(&mut arena);
        // Relaxed (all): published by the unlock.
        self.oldest.store(arena.oldest, Ordering::Relaxed);
        self.reclaim.store(arena.reclaim, Ordering::Relaxed);
        self.write.store(arena.write, Ordering::Relaxed);
        // SYNC POINT (arena lock): see above.
        self.lock.store(0, Ordering::Release);
        Some(r)
    }

    /// Breaks the lock if owner `owner` (whose process died) holds it.
    pub(crate) fn break_lock(&self, owner: usize) -> bool {
        // Release: nothing the dead owner wrote needs publishing, but the
        // next holder must see the state as it is.
        self.lock.compare_exchange(owner as u64, 0, Ordering::Release, Ordering::Relaxed).is_ok()
    }
}

impl Arena {
    /// Gives back the newest allocation (position `pos`, write cursor before
    /// it `undo`) of an aborted record; `false` if it is not the newest.
    pub(crate) fn try_unalloc(&mut self, ring: &Ring, pos: u64, undo: u64) -> bool {
        if ring.try_unclaim(pos, false) {
            self.write = undo;
            true
        } else {
            false
        }
    }
}

/// Rounds `n` up to a multiple of `align` (a power of two).
#[inline]
pub(crate) const fn round_up(n: u64, align: u64) -> u64 {
    n.wrapping_add(align - 1) & !(align - 1)
}

/// Set in a handle count once the count dropped to zero: the side is gone
/// for good and nobody may attach again.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// The number of live handles on one side of a channel (senders or
/// receivers), and whether that side closed for good.
///
/// The close handshake: the last handle's `detach` sets `CLOSED` with
/// Release after its last commit; a consumer that finds the ring empty and
/// then reads `CLOSED` with Acquire looks at the ring once more, and is then
/// guaranteed to see every commit made before the close.
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct Handles(CachePadded<AtomicUsize>);

/// Why a handle could not attach to a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attach {
    /// That side is closed for good.
    Closed,
    /// The pattern allows no more handles on that side.
    Taken,
}

impl Handles {
    /// `count` live handles; none is not closed (a bound channel waiting for
    /// its first sender).
    pub(crate) fn new(count: usize) -> Self {
        Self(CachePadded::new(AtomicUsize::new(count)))
    }

    /// Adds a handle unless the side closed or `limit` handles exist.
    pub(crate) fn attach(&self, limit: Option<usize>) -> Result<(), Attach> {
        // Relaxed: the CAS validates; attaching publishes nothing.
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            if cur & CLOSED != 0 {
                return Err(Attach::Closed);
            }
            if limit.is_some_and(|l| cur >= l) {
                return Err(Attach::Taken);
            }
            // Relaxed: as above.
            match self.0.compare_exchange(cur, cur + 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => cur = now,
            }
        }
    }

    /// Removes a handle; returns `true` if it was the last (the side closed).
    pub(crate) fn detach(&self) -> bool {
        // Relaxed: re-validated by the CAS.
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let last = cur & !CLOSED <= 1;
            let next = if last { CLOSED } else { cur - 1 };
            // SYNC POINT (close): Release publishes every commit this handle
            // made before the side reads as closed; pairs with the Acquire in
            // `is_closed`. Acquire so the last handle also sees the others'.
            match self.0.compare_exchange(cur, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return last,
                Err(now) => cur = now,
            }
        }
    }

    /// Whether the side closed for good.
    #[inline(always)]
    pub(crate) fn is_closed(&self) -> bool {
        // SYNC POINT (close): pairs with the Release in `detach`.
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }
}
