//! The sending handle.

use std::fmt;
use std::future::poll_fn;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use zerocopy::KnownLayout;

use crate::channel::msg::{Claimed, SlotMut};
use crate::channel::shared::{AsyncWaits, RecordLayout, Shared};
use crate::channel::{
    Backpressure, MultiProducer, Pattern, ReserveError, SendBatchError, SendError, Spsc, Stats,
};
use crate::message::Message;
use crate::ring::{Alloc, Arena, Claim};
use crate::sync::Arc;
use crate::wait::{self, Blocker, Step};

/// The sending half of a channel.
///
/// Write a message in place with [`reserve`](Self::reserve) (or
/// [`reserve_len`](Self::reserve_len) for variable-size messages) and
/// [`commit`](SlotMut::commit) it, or copy one in with
/// [`send`](Self::send). Every waiting operation has an `async` form, a
/// `try_` form that never waits, and a `_blocking` form for plain threads.
/// `Sender` implements [`futures_sink::Sink`].
///
/// `Sender<T, Mpsc>` and `Sender<T, Mpmc>` are `Clone`; single-producer
/// senders are not. When every sender is dropped, receivers drain what was
/// committed and then end.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut tx, mut rx) = psyne::channel::<[u64; 4]>().capacity(8).spsc()?;
/// let mut slot = tx.reserve().await?; // points into the ring
/// slot[0] = 1;
/// slot[3] = 4;
/// slot.commit();
/// assert_eq!(*rx.recv().await.unwrap(), [1, 0, 0, 4]);
/// # Ok(())
/// # }
/// ```
pub struct Sender<T: Message + ?Sized, P: Pattern = Spsc> {
    shared: Arc<Shared>,
    local: Local,
    /// Where a pending async operation waits.
    waits: AsyncWaits,
    /// The record reserved by `Sink::poll_ready`, filled by `start_send`.
    sink_slot: Option<Claimed>,
    _marker: PhantomData<(fn() -> *const T, P)>,
}

/// What a sender keeps to itself between attempts.
#[derive(Debug)]
struct Local {
    /// The arena allocator of a single-producer variable-size channel.
    arena: Option<Arena>,
    /// Set once the current operation counted a full event.
    full_seen: bool,
}

/// What a claim asks for.
#[derive(Debug, Clone, Copy)]
struct Want {
    len: usize,
    elems: usize,
    /// Zero the record (reservations; copies overwrite it anyway).
    zero: bool,
}

impl<T: Message + ?Sized, P: Pattern> Sender<T, P> {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let arena = shared.local_arena();
        Self {
            shared,
            local: Local { arena, full_seen: false },
            waits: AsyncWaits::default(),
            sink_slot: None,
            _marker: PhantomData,
        }
    }
}

impl Local {
    /// One attempt to claim a record.
    fn attempt(
        &mut self,
        shared: &Shared,
        multi: bool,
        want: Want,
    ) -> Step<Result<Claimed, ReserveError>> {
        let Want { len, elems, .. } = want;
        if shared.receivers_closed() {
            return Step::Done(Err(ReserveError::Closed));
        }
        if shared.is_corrupted() {
            return Step::Done(Err(ReserveError::Corrupted));
        }
        loop {
            let blocker = match shared.layout {
                RecordLayout::Fixed { .. } => match shared.ring.try_claim(multi) {
                    Claim::Claimed(pos) => {
                        let offset = shared.record_offset(shared.ring.producer_slot(pos), 0);
                        let claimed = Claimed { pos, offset, len, elems, undo: 0 };
                        return self.claimed(shared, claimed, want.zero);
                    }
                    Claim::Full(pos) => Blocker::Producer(pos),
                    Claim::Corrupt => return Self::corrupt(shared),
                },
                RecordLayout::Variable { .. } => {
                    let alloc = match self.arena.as_mut() {
                        Some(arena) => arena.alloc(&shared.ring, len as u64),
                        None => shared
                            .with_shared_arena(|a| a.alloc(&shared.ring, len as u64))
                            .unwrap_or(Alloc::Corrupt),
                    };
                    match alloc {
                        Alloc::Claimed { pos, off, undo } => {
                            shared.ring.set_elems(pos, elems as u64);
                            let offset = shared.record_offset(0, off);
                            let claimed = Claimed { pos, offset, len, elems, undo };
                            return self.claimed(shared, claimed, want.zero);
                        }
                        Alloc::NoDescriptor(pos) => Blocker::Producer(pos),
                        Alloc::NoSpace(pos) => Blocker::Reclaim(pos),
                        Alloc::Corrupt => return Self::corrupt(shared),
                    }
                }
            };
            if !self.full_seen {
                self.full_seen = true;
                shared.stats.full(shared.ring.capacity());
            }
            match shared.cfg.backpressure {
                Backpressure::Wait => return Step::Wait(blocker),
                Backpressure::FailFast | Backpressure::DropNewest => {
                    self.full_seen = false;
                    return Step::Done(Err(ReserveError::Full));
                }
                Backpressure::OverwriteOldest => {
                    // Evict exactly the record in the way, if nobody holds it.
                    let in_the_way = match blocker {
                        Blocker::Producer(pos) => pos.checked_sub(shared.ring.capacity()),
                        Blocker::Reclaim(pos) => Some(pos),
                        Blocker::Consumer(_) => None,
                    };
                    if !in_the_way.is_some_and(|pos| shared.evict(pos)) {
                        return Step::Wait(blocker);
                    }
                }
            }
        }
    }

    #[cold]
    fn corrupt(shared: &Shared) -> Step<Result<Claimed, ReserveError>> {
        shared.corrupted();
        Step::Done(Err(ReserveError::Corrupted))
    }

    fn claimed(
        &mut self,
        shared: &Shared,
        claimed: Claimed,
        zero: bool,
    ) -> Step<Result<Claimed, ReserveError>> {
        self.full_seen = false;
        if let Some(owner) = shared.claim_owner() {
            shared.ring.set_owner(claimed.pos, owner, true);
        }
        if zero && shared.cfg.zero_on_reserve {
            let ptr = shared.record_ptr(claimed.offset);
            // SAFETY: the record `[offset, offset + len)` lies inside the
            // region (the ring placed it there) and belongs to this sender
            // alone between its claim and its commit, so no other access to
            // those bytes exists while they are zeroed.
            unsafe { ptr.write_bytes(0, claimed.len) };
        }
        Step::Done(Ok(claimed))
    }
}

impl<T: Message + ?Sized, P: Pattern> Sender<T, P> {
    /// Starts an operation: forgets what an earlier one, cancelled while it
    /// waited, may have left (its full-event mark and its registration).
    #[inline]
    fn begin(&mut self) {
        self.local.full_seen = false;
        self.waits.reset();
    }

    /// Checks a record size against the ring before any waiting.
    fn check_len(&self, len: usize) -> Result<(), ReserveError> {
        let capacity = self.shared.max_record();
        if len > capacity {
            return Err(ReserveError::TooLarge { requested: len, capacity });
        }
        Ok(())
    }

    fn poll_claim(
        &mut self,
        cx: &mut Context<'_>,
        want: Want,
    ) -> Poll<Result<Claimed, ReserveError>> {
        self.check_len(want.len)?;
        let Self { shared, local, waits, .. } = self;
        let waiter = shared.tx_waiter(P::MULTI_PRODUCER, waits);
        wait::poll(cx, shared.cfg.wait, &shared.ring, waiter, || {
            local.attempt(shared, P::MULTI_PRODUCER, want)
        })
    }

    fn try_claim(&mut self, want: Want) -> Result<Claimed, ReserveError> {
        self.begin();
        self.check_len(want.len)?;
        match self.local.attempt(&self.shared, P::MULTI_PRODUCER, want) {
            Step::Done(result) => result,
            Step::Wait(_) => {
                self.local.full_seen = false;
                Err(ReserveError::Full)
            }
        }
    }

    fn claim_blocking(&mut self, want: Want) -> Result<Claimed, ReserveError> {
        self.begin();
        self.claim_blocking_begun(want)
    }

    /// [`claim_blocking`](Self::claim_blocking) for an operation already
    /// begun.
    fn claim_blocking_begun(&mut self, want: Want) -> Result<Claimed, ReserveError> {
        self.check_len(want.len)?;
        let Self { shared, local, .. } = self;
        let result = wait::block(shared.cfg.wait, &shared.ring, shared.tx_park(), None, || {
            local.attempt(shared, P::MULTI_PRODUCER, want)
        });
        // No deadline was given, so `block` cannot time out.
        result.unwrap_or(Err(ReserveError::Full))
    }

    fn slot(&mut self, claimed: Claimed) -> SlotMut<'_, T> {
        SlotMut::new(&self.shared, self.local.arena.as_mut(), claimed)
    }

    /// A snapshot of the channel's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<u32>().capacity(4).spsc()?;
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.stats().sent, 1);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.shared.stats_snapshot()
    }

    /// The schema of the channel's messages, as the channel recorded it
    /// when it was built (what connecting peers are checked against).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::types::FloatVector;
    /// let (tx, _rx) = psyne::channel::<FloatVector>().bytes(4096).spsc()?;
    /// assert_eq!(tx.schema().name(), "psyne.FloatVector");
    /// assert_eq!(tx.schema().fingerprint(), <FloatVector as psyne::Message>::FINGERPRINT);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn schema(&self) -> &'static crate::message::Schema {
        self.shared.cfg.schema
    }

    /// Whether every receiver is gone (sends will fail).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = psyne::channel::<u32>().capacity(4).spsc()?;
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.receivers_closed()
    }

    /// The URI the channel was bound under, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = psyne::channel::<u32>().spsc()?;
    /// assert_eq!(tx.uri(), None);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn uri(&self) -> Option<&str> {
        self.shared.cfg.uri.as_deref()
    }

    /// Whether `self` and `other` send into the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = psyne::channel::<u32>().mpsc()?;
    /// assert!(tx.same_channel(&tx.clone()));
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// Fixed-size messages: reserve a record of `size_of::<T>()` bytes, or copy
/// a value in.
impl<T: Message, P: Pattern> Sender<T, P> {
    const RESERVE: Want = Want { len: size_of::<T>(), elems: 0, zero: true };
    const COPY: Want = Want { len: size_of::<T>(), elems: 0, zero: false };

    /// Reserves the next record and returns it for writing in place.
    ///
    /// The record is zeroed unless the channel was built with
    /// [`zero_on_reserve(false)`](crate::Builder::zero_on_reserve).
    /// [`commit`](SlotMut::commit) publishes it; dropping the slot aborts it
    /// and its space is reclaimed.
    ///
    /// # Errors
    ///
    /// [`ReserveError::Closed`] once every receiver is gone;
    /// [`ReserveError::Full`] under [`Backpressure::FailFast`] or
    /// [`Backpressure::DropNewest`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was
    /// reserved.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// let mut slot = tx.reserve().await?;
    /// *slot = 99;
    /// slot.commit();
    /// assert_eq!(*rx.recv().await.unwrap(), 99);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reserve(&mut self) -> Result<SlotMut<'_, T>, ReserveError> {
        self.begin();
        let claimed = poll_fn(|cx| self.poll_claim(cx, Self::RESERVE)).await?;
        Ok(self.slot(claimed))
    }

    /// Reserves the next record if there is room now.
    ///
    /// # Errors
    ///
    /// [`ReserveError::Full`] if the channel is full, [`ReserveError::Closed`]
    /// once every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<u64>().capacity(1).spsc()?;
    /// tx.try_reserve()?.commit();
    /// assert_eq!(tx.try_reserve().unwrap_err(), psyne::ReserveError::Full);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_reserve(&mut self) -> Result<SlotMut<'_, T>, ReserveError> {
        let claimed = self.try_claim(Self::RESERVE)?;
        Ok(self.slot(claimed))
    }

    /// Reserves the next record, blocking the thread while the channel is
    /// full.
    ///
    /// # Errors
    ///
    /// As [`reserve`](Self::reserve).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(1).spsc()?;
    /// let t = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         let mut slot = tx.reserve_blocking().unwrap();
    ///         *slot = i;
    ///         slot.commit();
    ///     }
    /// });
    /// for i in 0..3 {
    ///     assert_eq!(*rx.recv_blocking().unwrap(), i);
    /// }
    /// t.join().unwrap();
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn reserve_blocking(&mut self) -> Result<SlotMut<'_, T>, ReserveError> {
        let claimed = self.claim_blocking(Self::RESERVE)?;
        Ok(self.slot(claimed))
    }

    /// Copies `value` into the next record and commits it, waiting while the
    /// channel is full.
    ///
    /// Under [`Backpressure::DropNewest`] a full channel drops `value`
    /// (counted in [`Stats::dropped`]) and this returns `Ok`.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] with the value once every receiver is gone;
    /// [`SendError::Full`] under [`Backpressure::FailFast`].
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, `value` was not sent
    /// (and is dropped with the future).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// tx.send(1).await?;
    /// drop(rx);
    /// assert!(tx.send(2).await.unwrap_err().is_closed());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&mut self, value: T) -> Result<(), SendError<T>> {
        let value = match self.send_fast(value) {
            Ok(()) => return Ok(()),
            Err(value) => value,
        };
        self.begin();
        let claimed = poll_fn(|cx| self.poll_claim(cx, Self::COPY)).await;
        self.finish_send(claimed, value)
    }

    /// Copies `value` in if there is room now.
    ///
    /// # Errors
    ///
    /// [`SendError::Full`] if the channel is full (except under
    /// [`Backpressure::DropNewest`], which drops it), [`SendError::Closed`]
    /// once every receiver is gone; both give the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<u64>().capacity(1).spsc()?;
    /// tx.try_send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    #[inline]
    pub fn try_send(&mut self, value: T) -> Result<(), SendError<T>> {
        match self.send_fast(value) {
            Ok(()) => Ok(()),
            Err(value) => self.try_send_slow(value),
        }
    }

    #[inline(never)]
    fn try_send_slow(&mut self, value: T) -> Result<(), SendError<T>> {
        let claimed = self.try_claim(Self::COPY);
        self.finish_send(claimed, value)
    }

    /// Copies `value` in, blocking the thread while the channel is full.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// tx.send_blocking(5).unwrap();
    /// assert_eq!(*rx.recv_blocking().unwrap(), 5);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    #[inline]
    pub fn send_blocking(&mut self, value: T) -> Result<(), SendError<T>> {
        match self.send_fast(value) {
            Ok(()) => Ok(()),
            Err(value) => self.send_blocking_slow(value),
        }
    }

    #[inline(never)]
    fn send_blocking_slow(&mut self, value: T) -> Result<(), SendError<T>> {
        let claimed = self.claim_blocking(Self::COPY);
        self.finish_send(claimed, value)
    }

    /// The fast path of a copy into a fixed-size ring: claim, write, commit.
    /// Gives the value back, having changed nothing, when the ring is full or
    /// closed or not fixed-size; the general path then handles it.
    #[inline(always)]
    fn send_fast(&mut self, value: T) -> Result<(), T> {
        let shared = &*self.shared;
        let RecordLayout::Fixed { stride, .. } = shared.layout else {
            return Err(value);
        };
        if shared.receivers_closed() {
            return Err(value);
        }
        let Some((pos, offset)) = Self::claim_fixed(shared, stride) else {
            return Err(value);
        };
        self.write_at(pos, offset, value);
        Ok(())
    }

    /// Claims the next record of a fixed-size ring (of record `stride`) for
    /// the copy-in fast paths: its position and offset. Between processes,
    /// with several producers, it records this process as the owner first,
    /// so that the record of a sender killed while it writes is reaped (a
    /// single producer's claims are found from the cursors).
    #[inline(always)]
    fn claim_fixed(shared: &Shared, stride: usize) -> Option<(u64, usize)> {
        let Claim::Claimed(pos) = shared.ring.try_claim(P::MULTI_PRODUCER) else {
            return None;
        };
        if let Some(owner) = shared.claim_owner() {
            shared.ring.set_owner(pos, owner, true);
        }
        Some((pos, shared.ring.producer_slot(pos) * stride))
    }

    fn finish_send(
        &mut self,
        claimed: Result<Claimed, ReserveError>,
        value: T,
    ) -> Result<(), SendError<T>> {
        match claimed {
            Ok(claimed) => {
                self.write(claimed, value);
                Ok(())
            }
            Err(ReserveError::Full) if self.shared.cfg.backpressure == Backpressure::DropNewest => {
                self.shared.stats.dropped();
                Ok(())
            }
            Err(ReserveError::Full) => Err(SendError::Full(value)),
            Err(_) => Err(SendError::Closed(value)),
        }
    }

    /// Moves `value` into a claimed record and commits it.
    #[inline]
    fn write(&self, claimed: Claimed, value: T) {
        self.write_at(claimed.pos, claimed.offset, value);
    }

    /// Moves `value` into the record at `offset` that this sender claimed
    /// for position `pos`, and commits it.
    #[inline(always)]
    fn write_at(&self, pos: u64, offset: usize, value: T) {
        let dst = self.shared.record_ptr(offset).cast::<T>();
        // SAFETY: `dst` is the claimed record: inside the region, owned by
        // this sender alone until the commit below, and aligned for `T`
        // (records are 64-byte aligned and the builder rejected types
        // aligned to more). `T: IntoBytes` has no padding, so every byte of
        // the record stays initialised.
        unsafe { dst.as_ptr().write(value) };
        self.shared.publish(pos, size_of::<T>(), false);
    }

    /// Copies as many of `values` in as there is room for now and commits
    /// them in runs, each with one wake-up check of the receiving side (one
    /// run unless the receiver frees room while it is written). Returns
    /// how many were sent (`0` if the channel is full). Under
    /// [`Backpressure::OverwriteOldest`] every value is sent, evicting the
    /// oldest records.
    ///
    /// # Errors
    ///
    /// Only when nothing was sent: [`ReserveError::Closed`] once every
    /// receiver is gone, [`ReserveError::Corrupted`] once the channel's
    /// shared memory failed its checks.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(4).spsc()?;
    /// assert_eq!(tx.try_send_batch(&[1, 2, 3, 4, 5, 6])?, 4);
    /// let mut got = Vec::new();
    /// rx.try_recv_many(&mut got, 10);
    /// assert_eq!(got.iter().map(|m| **m).collect::<Vec<_>>(), [1, 2, 3, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_send_batch(&mut self, values: &[T]) -> Result<usize, ReserveError> {
        self.local.full_seen = false;
        self.send_now(&mut Copied::new(values))
    }

    /// Sends up to `n` values that `fill` makes, as many as there is room
    /// for now, each written straight into its record, and commits them as
    /// [`try_send_batch`](Self::try_send_batch) does: the batch send
    /// without a buffer to copy from (`fill(i)` makes the `i`-th value,
    /// `i` from 0; it is called only for the values that are sent). Returns
    /// how many were sent (`0` if the channel is full).
    ///
    /// `fill` runs while the records of its run are claimed and not yet
    /// visible to receivers (the run is committed once it is written), so
    /// it must not wait for a receiver to take the values it made before:
    /// that never happens. If `fill` panics, the values it made before are
    /// sent, the records claimed for the rest are given back (or, where
    /// another producer claimed records after them, committed as aborted:
    /// receivers skip them), the batch counts as one aborted reservation,
    /// and the panic goes on.
    ///
    /// # Errors
    ///
    /// As [`try_send_batch`](Self::try_send_batch).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<[u64; 2]>().capacity(4).spsc()?;
    /// assert_eq!(tx.try_send_batch_with(6, |i| [i as u64, 2 * i as u64])?, 4);
    /// let batch = rx.try_recv_batch(8)?;
    /// assert_eq!(batch.iter().map(|m| m[1]).collect::<Vec<_>>(), [0, 2, 4, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_send_batch_with(
        &mut self,
        n: usize,
        fill: impl FnMut(usize) -> T,
    ) -> Result<usize, ReserveError> {
        self.local.full_seen = false;
        self.send_now(&mut Filled { next: 0, n, fill })
    }

    /// The body of [`try_send_batch`](Self::try_send_batch) and
    /// [`try_send_batch_with`](Self::try_send_batch_with): runs while
    /// there is room (the receiver may free some while a run is written),
    /// and, under overwrite-oldest, evictions.
    fn send_now(&mut self, values: &mut impl Values<T>) -> Result<usize, ReserveError> {
        let mut sent = 0;
        while values.left() > 0 {
            match self.send_run(values) {
                Ok(0) => break,
                Ok(n) => sent += n,
                Err(e) if sent == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(sent)
    }

    /// One run of a batch send, inside an operation (a full channel is
    /// counted once per operation, not once per run: see
    /// `Local::full_seen`): the fast path's run, or, where there is none
    /// (a variable-size ring; a full, closed or corrupt one), records
    /// claimed one by one. Returns how many were sent.
    fn send_run(&mut self, values: &mut impl Values<T>) -> Result<usize, ReserveError> {
        let len = size_of::<T>();
        let mut claims = self.send_run_fast(values);
        // A fixed-size ring's fast path took all the room there was when
        // it claimed: the loop below only finds out why it took none, or
        // takes the one record freed (or, under overwrite-oldest, evicted)
        // since, so that the next call claims its run as a run again, not
        // record by record while the receiver frees them.
        let fixed = matches!(self.shared.layout, RecordLayout::Fixed { .. });
        while values.left() > 0 && !(fixed && claims > 0) {
            let claimed = match self.local.attempt(&self.shared, P::MULTI_PRODUCER, Self::COPY) {
                Step::Done(Ok(c)) => c,
                // Full (a lossy or fail-fast policy): the caller decides.
                Step::Done(Err(ReserveError::Full)) | Step::Wait(_) => break,
                Step::Done(Err(e)) if claims == 0 => return Err(e),
                Step::Done(Err(_)) => break,
            };
            self.fill_in(claimed, values);
            // No wake-up check per record: one for the batch, below.
            self.shared.ring.commit(claimed.pos, false, false);
            self.shared.stats.sent(self.shared.variable_len(len), self.shared.tally.0);
            claims += 1;
        }
        if claims > 0 {
            if self.shared.cfg.parks && self.shared.ring.must_notify_consumers() {
                self.shared.wake();
            }
            self.shared.sample_depth();
        }
        Ok(claims)
    }

    /// The fast path of [`try_send_batch`](Self::try_send_batch) for a
    /// fixed-size ring that is open and sound: claims as many leading
    /// values as fit with one claim (the only producer's cursor store, or
    /// one CAS of several producers'), writes them, counts them, then
    /// commits them without a wake-up check. Returns how many; if none,
    /// the general loop finds out why.
    ///
    /// Counted before the commits: a receiver never counts more of a run
    /// than was counted as sent, and a process killed while `fill` makes a
    /// value has committed and counted nothing of the run (a reaper voids
    /// its claims).
    fn send_run_fast(&mut self, values: &mut impl Values<T>) -> usize {
        let shared = &*self.shared;
        if !matches!(shared.layout, RecordLayout::Fixed { .. })
            || shared.receivers_closed()
            || shared.is_corrupted()
        {
            return 0;
        }
        let n = values.left() as u64;
        let (start, got) = if P::MULTI_PRODUCER {
            shared.ring.claim_run_shared(n)
        } else {
            shared.ring.claim_run(n)
        };
        if got == 0 {
            return 0;
        }
        if let Some(owner) = shared.claim_owner() {
            for i in 0..got {
                shared.ring.set_owner(start.wrapping_add(i), owner, true);
            }
        }
        let mut slots = shared.slots(shared.ring.producer_slot(start));
        for i in 0..got {
            // SAFETY: `start + i` is claimed, by this sender alone, and its
            // record is the slot at `slots.step()`.
            if let Err(panic) = unsafe { values.put(shared.record_ptr(slots.step())) } {
                self.abandon(start, i, (start.wrapping_add(i), start.wrapping_add(got)), panic);
            }
        }
        shared.stats.sent_n(got, shared.tally.0);
        self.commit_written(start, got);
        got as usize
    }

    /// Commits the `n` records from `start` that a batch claimed and wrote:
    /// with one commit where the ring takes runs (the only producer and
    /// consumer, see `Ring::commit_run`), else each on its own.
    fn commit_written(&self, start: u64, n: u64) {
        let ring = &self.shared.ring;
        if !P::MULTI_PRODUCER && !self.shared.cfg.take_multi {
            ring.commit_run(start, n);
        } else {
            for i in 0..n {
                ring.commit(start.wrapping_add(i), false, false);
            }
        }
    }

    /// Writes the next of `values` into `claimed` (not committing it); if
    /// the value's `fill` closure panics, gives the record back and lets
    /// the panic go on.
    fn fill_in(&mut self, claimed: Claimed, values: &mut impl Values<T>) {
        // SAFETY: `claimed` is a record of this sender's, claimed and not
        // committed.
        if let Err(panic) = unsafe { values.put(self.shared.record_ptr(claimed.offset)) } {
            self.shared.abort(claimed, self.local.arena.as_mut());
            self.unwind(panic);
        }
    }

    /// A batch send's `fill` closure panicked, on the fast path of a
    /// fixed-size ring, with records `[open.0, open.1)` claimed and not
    /// written: gives those back (newest first, so that each is the newest
    /// claim when it is undone, unless another producer claimed after
    /// them: then each is committed as aborted; counted as one aborted
    /// reservation), commits and counts the `written` records from `start`
    /// before them, and lets the panic go on. No claim is left open, so the
    /// receiver never waits on one.
    #[cold]
    #[inline(never)]
    fn abandon(
        &self,
        start: u64,
        written: u64,
        open: (u64, u64),
        panic: Box<dyn std::any::Any + Send>,
    ) -> ! {
        let shared = &*self.shared;
        let mut pos = open.1;
        let (mut undone, mut rewinding) = (false, true);
        while pos != open.0 {
            pos = pos.wrapping_sub(1);
            if rewinding && shared.unclaim(pos) {
                undone = true;
            } else {
                // Another claim followed (or, for the only producer, a
                // peer process wrote `tail`): close it, as a position that
                // carries no message. `tail` never comes back to it, so
                // the older ones are closed too, without trying.
                rewinding = false;
                shared.ring.commit(pos, true, false);
                shared.stats.voided(1);
            }
        }
        shared.stats.aborted();
        if undone {
            shared.gave_back();
        }
        shared.stats.sent_n(written, shared.tally.0);
        self.commit_written(start, written);
        self.unwind(panic)
    }

    /// Ends a batch send whose `fill` closure panicked, its claims settled:
    /// wakes the receiving side for what the batch committed (its wake-up
    /// check comes after the last record otherwise), and lets the panic go
    /// on.
    #[cold]
    fn unwind(&self, panic: Box<dyn std::any::Any + Send>) -> ! {
        if self.shared.cfg.parks && self.shared.ring.must_notify_consumers() {
            self.shared.wake();
        }
        std::panic::resume_unwind(panic)
    }

    /// Sends every value of `values` in order, committing each run that fits
    /// with one wake-up, and waiting for room in between.
    ///
    /// # Errors
    ///
    /// A [`SendBatchError`] that says how many leading values were sent and
    /// why the rest were not: [`ReserveError::Closed`] once every receiver
    /// is gone, [`ReserveError::Corrupted`], or, under
    /// [`Backpressure::FailFast`], [`ReserveError::Full`] when the channel
    /// fills. Under [`Backpressure::DropNewest`] a full channel drops the
    /// rest (counted in [`Stats::dropped`]) and this returns `Ok`.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped, a prefix of `values` may
    /// have been sent (see [`Stats::sent`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(64).spsc()?;
    /// tx.send_batch(&[1, 2, 3]).await?;
    /// assert_eq!(*rx.recv().await.unwrap(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_batch(&mut self, values: &[T]) -> Result<(), SendBatchError> {
        self.send_all(&mut Copied::new(values)).await
    }

    /// Sends the `n` values that `fill` makes, in order, each written
    /// straight into its record, committing each run that fits with one
    /// wake-up and waiting for room in between: [`send_batch`](Self::send_batch)
    /// without a buffer to copy from. `fill(i)` makes the `i`-th value (`i`
    /// from 0 to `n - 1`), and is called only for values that are sent.
    ///
    /// As for [`try_send_batch_with`](Self::try_send_batch_with), `fill`
    /// must not wait for a receiver to take earlier values, and if it
    /// panics, the values it made before are sent, the records claimed for
    /// the rest are given back (or skipped), and the panic goes on.
    ///
    /// # Errors
    ///
    /// As [`send_batch`](Self::send_batch).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped, the values `fill` made
    /// so far have been sent (see [`Stats::sent`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<[u64; 8]>().capacity(64).spsc()?;
    /// // 100 ticks through a ring of 64, no buffer in between.
    /// let producer = tokio::spawn(async move { tx.send_batch_with(100, |i| [i as u64; 8]).await });
    /// let mut sum = 0;
    /// while let Some(batch) = rx.recv_batch(64).await {
    ///     sum += batch.iter().map(|m| m[0]).sum::<u64>();
    /// }
    /// producer.await??;
    /// assert_eq!(sum, (0..100).sum());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_batch_with(
        &mut self,
        n: usize,
        fill: impl FnMut(usize) -> T,
    ) -> Result<(), SendBatchError> {
        self.send_all(&mut Filled { next: 0, n, fill }).await
    }

    /// The body of [`send_batch`](Self::send_batch) and
    /// [`send_batch_with`](Self::send_batch_with).
    async fn send_all(&mut self, values: &mut impl Values<T>) -> Result<(), SendBatchError> {
        self.local.full_seen = false;
        let total = values.left();
        let stop = |left: usize, e| SendBatchError::new(total - left, e);
        while values.left() > 0 {
            let sent = self.send_run(values).map_err(|e| stop(values.left(), e))?;
            if sent == 0 {
                if let Some(end) = self.batch_blocked(values.left()) {
                    return end.map_err(|e| stop(values.left(), e));
                }
                // Wait for room, then use the claim for the next value.
                self.begin_after_full();
                let claimed = poll_fn(|cx| self.poll_claim(cx, Self::COPY))
                    .await
                    .map_err(|e| stop(values.left(), e))?;
                self.send_first(claimed, values);
            }
        }
        Ok(())
    }

    /// Sends every value of `values` in order like
    /// [`send_batch`](Self::send_batch), blocking the thread while the
    /// channel is full.
    ///
    /// # Errors
    ///
    /// As [`send_batch`](Self::send_batch).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(2).spsc()?;
    /// let t = std::thread::spawn(move || tx.send_batch_blocking(&[1, 2, 3, 4, 5]));
    /// let mut got = Vec::new();
    /// while let Some(batch) = rx.recv_batch_blocking(8) {
    ///     got.extend(batch.iter().copied());
    /// }
    /// t.join().unwrap()?;
    /// assert_eq!(got, [1, 2, 3, 4, 5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_batch_blocking(&mut self, values: &[T]) -> Result<(), SendBatchError> {
        self.send_all_blocking(&mut Copied::new(values))
    }

    /// Sends the `n` values that `fill` makes like
    /// [`send_batch_with`](Self::send_batch_with), blocking the thread
    /// while the channel is full.
    ///
    /// # Errors
    ///
    /// As [`send_batch`](Self::send_batch).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(16).spsc()?;
    /// let t = std::thread::spawn(move || tx.send_batch_with_blocking(1000, |i| i as u64 * 3));
    /// let mut sum = 0;
    /// while let Some(batch) = rx.recv_batch_blocking(16) {
    ///     sum += batch.iter().sum::<u64>();
    /// }
    /// t.join().unwrap()?;
    /// assert_eq!(sum, 3 * (0..1000).sum::<u64>());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_batch_with_blocking(
        &mut self,
        n: usize,
        fill: impl FnMut(usize) -> T,
    ) -> Result<(), SendBatchError> {
        self.send_all_blocking(&mut Filled { next: 0, n, fill })
    }

    /// The body of [`send_batch_blocking`](Self::send_batch_blocking) and
    /// [`send_batch_with_blocking`](Self::send_batch_with_blocking).
    fn send_all_blocking(&mut self, values: &mut impl Values<T>) -> Result<(), SendBatchError> {
        self.local.full_seen = false;
        let total = values.left();
        let stop = |left: usize, e| SendBatchError::new(total - left, e);
        while values.left() > 0 {
            let sent = self.send_run(values).map_err(|e| stop(values.left(), e))?;
            if sent == 0 {
                if let Some(end) = self.batch_blocked(values.left()) {
                    return end.map_err(|e| stop(values.left(), e));
                }
                // Wait for room, then use the claim for the next value.
                self.begin_after_full();
                let claimed =
                    self.claim_blocking_begun(Self::COPY).map_err(|e| stop(values.left(), e))?;
                self.send_first(claimed, values);
            }
        }
        Ok(())
    }

    /// Begins the wait of a batch send whose run just found the channel
    /// full and counted that: forgets an old registration, keeps the mark,
    /// so the wait does not count the same full channel again.
    fn begin_after_full(&mut self) {
        self.waits.reset();
    }

    /// What a batch send does when none of the `left` values it has fits:
    /// `Some` ends it (the fail-fast and drop-newest policies), `None`
    /// waits for room.
    fn batch_blocked(&self, left: usize) -> Option<Result<(), ReserveError>> {
        match self.shared.cfg.backpressure {
            Backpressure::FailFast => Some(Err(ReserveError::Full)),
            Backpressure::DropNewest => {
                self.shared.stats.dropped_n(left as u64);
                Some(Ok(()))
            }
            Backpressure::Wait | Backpressure::OverwriteOldest => None,
        }
    }

    /// Sends the next of `values` into `claimed` (made after a wait).
    fn send_first(&mut self, claimed: Claimed, values: &mut impl Values<T>) {
        self.fill_in(claimed, values);
        self.shared.publish(claimed.pos, claimed.len, false);
    }

    /// Waits until a record can be reserved and keeps it for the next
    /// `start_send`: the poll-based core of the [`Sink`](futures_sink::Sink)
    /// implementation, for hand-written futures.
    ///
    /// # Errors
    ///
    /// As [`reserve`](Self::reserve). Under [`Backpressure::DropNewest`] a
    /// full channel is ready (the next value will be dropped and counted).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use futures::SinkExt;
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// std::future::poll_fn(|cx| tx.poll_reserve(cx)).await?;
    /// tx.start_send_unpin(5)?;
    /// assert_eq!(*rx.recv().await.unwrap(), 5);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        if self.sink_slot.is_some() {
            return Poll::Ready(Ok(()));
        }
        match self.poll_claim(cx, Self::COPY) {
            Poll::Ready(Ok(claimed)) => {
                // Not sent yet, whatever this sender claims meanwhile.
                self.shared.stats.hold(Some(claimed.pos));
                self.sink_slot = Some(claimed);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(ReserveError::Full))
                if self.shared.cfg.backpressure == Backpressure::DropNewest =>
            {
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Variable-size messages (ending in a slice): reserve a record for a given
/// number of trailing elements.
impl<T, P> Sender<T, P>
where
    T: Message + KnownLayout<PointerMetadata = usize> + ?Sized,
    P: Pattern,
{
    fn want(elems: usize) -> Result<Want, ReserveError> {
        if elems > T::MAX_ELEMS {
            return Err(ReserveError::TooManyElems { elems, max: T::MAX_ELEMS });
        }
        let len = T::size_for_metadata(elems).ok_or(ReserveError::LengthOverflow { elems })?;
        Ok(Want { len, elems, zero: true })
    }

    /// Reserves a record with `elems` trailing elements and returns it for
    /// writing in place (zeroed unless the channel was built with
    /// [`zero_on_reserve(false)`](crate::Builder::zero_on_reserve)).
    ///
    /// # Errors
    ///
    /// [`ReserveError::TooLarge`] at once if the record can never fit the
    /// ring; [`ReserveError::TooManyElems`] if the message allows fewer
    /// elements; [`ReserveError::LengthOverflow`] if its size overflows; the rest
    /// as [`reserve`](Self::reserve).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was
    /// reserved.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<[f32]>().bytes(1 << 16).spsc()?;
    /// let mut v = tx.reserve_len(4096).await?;
    /// v.fill(0.5);
    /// v.commit();
    /// let m = rx.recv().await.unwrap();
    /// assert_eq!(m.len(), 4096);
    /// assert_eq!(m.iter().sum::<f32>(), 2048.0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reserve_len(&mut self, elems: usize) -> Result<SlotMut<'_, T>, ReserveError> {
        let want = Self::want(elems)?;
        self.begin();
        let claimed = poll_fn(|cx| self.poll_claim(cx, want)).await?;
        Ok(self.len_slot(claimed))
    }

    /// The slot of a variable-size record, with the message's
    /// `#[psyne(len)]` field (if any) set to its element count.
    fn len_slot(&mut self, claimed: Claimed) -> SlotMut<'_, T> {
        let mut slot = self.slot(claimed);
        T::__init_len(&mut slot, claimed.elems);
        slot
    }

    /// Reserves a record with `elems` trailing elements if there is room now.
    ///
    /// # Errors
    ///
    /// As [`reserve_len`](Self::reserve_len), plus [`ReserveError::Full`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<[u16]>().bytes(128).spsc()?;
    /// tx.try_reserve_len(64)?.commit(); // 128 bytes: the whole ring
    /// assert_eq!(tx.try_reserve_len(1).unwrap_err(), psyne::ReserveError::Full);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_reserve_len(&mut self, elems: usize) -> Result<SlotMut<'_, T>, ReserveError> {
        let claimed = self.try_claim(Self::want(elems)?)?;
        Ok(self.len_slot(claimed))
    }

    /// Reserves a record with `elems` trailing elements, blocking the thread
    /// while the channel is full.
    ///
    /// # Errors
    ///
    /// As [`reserve_len`](Self::reserve_len).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(1024).spsc()?;
    /// let mut rec = tx.reserve_len_blocking(5)?;
    /// rec.copy_from_slice(b"hello");
    /// rec.commit();
    /// assert_eq!(&*rx.recv_blocking().unwrap(), b"hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_len_blocking(&mut self, elems: usize) -> Result<SlotMut<'_, T>, ReserveError> {
        let claimed = self.claim_blocking(Self::want(elems)?)?;
        Ok(self.len_slot(claimed))
    }
}

/// Raw byte records.
impl<P: Pattern> Sender<[u8], P> {
    /// Reserves a record of `len` raw bytes; the same as
    /// [`reserve_len`](Self::reserve_len) for a `[u8]` channel.
    ///
    /// # Errors
    ///
    /// As [`reserve_len`](Self::reserve_len).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`reserve_len`](Self::reserve_len).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(4096).spsc()?;
    /// let mut rec = tx.reserve_bytes(5).await?;
    /// rec.copy_from_slice(b"hello");
    /// rec.commit();
    /// assert_eq!(&*rx.recv().await.unwrap(), b"hello");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reserve_bytes(&mut self, len: usize) -> Result<SlotMut<'_, [u8]>, ReserveError> {
        self.reserve_len(len).await
    }

    /// Reserves a record of `len` raw bytes if there is room now.
    ///
    /// # Errors
    ///
    /// As [`try_reserve_len`](Self::try_reserve_len).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<[u8]>().bytes(4096).spsc()?;
    /// let mut rec = tx.try_reserve_bytes(3)?;
    /// rec.copy_from_slice(b"abc");
    /// rec.commit();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_reserve_bytes(&mut self, len: usize) -> Result<SlotMut<'_, [u8]>, ReserveError> {
        self.try_reserve_len(len)
    }

    /// Reserves a record of `len` raw bytes, blocking while full.
    ///
    /// # Errors
    ///
    /// As [`reserve_len_blocking`](Self::reserve_len_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<[u8]>().bytes(4096).spsc()?;
    /// let mut rec = tx.reserve_bytes_blocking(3)?;
    /// rec.copy_from_slice(b"abc");
    /// rec.commit();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_bytes_blocking(
        &mut self,
        len: usize,
    ) -> Result<SlotMut<'_, [u8]>, ReserveError> {
        self.reserve_len_blocking(len)
    }
}

impl<T: Message, P: Pattern> futures_sink::Sink<T> for Sender<T, P> {
    type Error = ReserveError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_reserve(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        match this.sink_slot.take() {
            Some(claimed) => {
                this.write(claimed, item);
                // After the commit: until then it is not sent.
                this.shared.stats.hold(None);
                Ok(())
            }
            None if this.shared.cfg.backpressure == Backpressure::DropNewest => {
                this.shared.stats.dropped();
                Ok(())
            }
            // `start_send` without a successful `poll_ready`: a caller bug;
            // report it instead of panicking.
            None => Err(ReserveError::Full),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Every `start_send` commits at once: nothing is buffered.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The channel closes when the last sender is dropped.
        Poll::Ready(Ok(()))
    }
}

impl<T: Message + ?Sized, P: MultiProducer> Clone for Sender<T, P> {
    fn clone(&self) -> Self {
        // A live sender keeps the side open, so attaching cannot fail; if it
        // ever did, the clone would simply see a closed channel.
        let _ = self.shared.attach_sender(None);
        Self::new(self.shared.clone())
    }
}

impl<T: Message + ?Sized, P: Pattern> Drop for Sender<T, P> {
    fn drop(&mut self) {
        // Before `shared` (which may keep its memory mapped) goes.
        self.waits.shared = None;
        if let Some(claimed) = self.sink_slot.take() {
            self.shared.abort(claimed, self.local.arena.as_mut());
            self.shared.stats.hold(None);
        }
        self.shared.detach_sender();
    }
}

impl<T: Message + ?Sized, P: Pattern> fmt::Debug for Sender<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("type", &self.shared.cfg.type_name)
            .field("pattern", &P::NAME)
            .field("uri", &self.shared.cfg.uri)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Where a batch send's values come from: a slice, copied in
/// ([`Copied`]), or a closure whose values are written in place
/// ([`Filled`]).
trait Values<T> {
    /// How many are left to send.
    fn left(&self) -> usize;

    /// Writes the next value into the record at `dst`. `Err` carries the
    /// panic of the closure that was making it: nothing was written, and
    /// the value is still left.
    ///
    /// # Safety
    ///
    /// `left() > 0`, and `dst` is a record the caller claimed and has not
    /// committed: `size_of::<T>()` bytes inside the region, aligned for
    /// `T`, that nobody else reads or writes meanwhile.
    unsafe fn put(&mut self, dst: NonNull<u8>) -> std::thread::Result<()>;
}

/// The values of a slice, copied in, from `next` on.
struct Copied<'v, T> {
    values: &'v [T],
    next: usize,
}

impl<'v, T> Copied<'v, T> {
    fn new(values: &'v [T]) -> Self {
        Self { values, next: 0 }
    }
}

impl<T: Message> Values<T> for Copied<'_, T> {
    #[inline(always)]
    fn left(&self) -> usize {
        self.values.len() - self.next
    }

    #[inline(always)]
    unsafe fn put(&mut self, dst: NonNull<u8>) -> std::thread::Result<()> {
        debug_assert!(self.next < self.values.len(), "a value put with none left");
        // SAFETY: `next < values.len()`: a value is left (the caller's
        // contract).
        let bytes = unsafe { self.values.get_unchecked(self.next) }.as_bytes();
        // SAFETY: `dst` is a claimed record of `size_of::<T>() ==
        // bytes.len()` bytes (the caller's contract); `bytes` is the
        // caller's value, another allocation, so the ranges do not overlap.
        unsafe { dst.as_ptr().copy_from_nonoverlapping(bytes.as_ptr(), bytes.len()) };
        self.next += 1;
        Ok(())
    }
}

/// The `n` values a closure makes, `fill(next)` first, each written
/// straight into its record.
struct Filled<F> {
    next: usize,
    n: usize,
    fill: F,
}

impl<T: Message, F: FnMut(usize) -> T> Values<T> for Filled<F> {
    #[inline(always)]
    fn left(&self) -> usize {
        self.n - self.next
    }

    #[inline(always)]
    unsafe fn put(&mut self, dst: NonNull<u8>) -> std::thread::Result<()> {
        let (i, fill) = (self.next, &mut self.fill);
        // A panic must not leave the record claimed: the caller gives it
        // back (see `Sender::abandon`).
        let value = std::panic::catch_unwind(AssertUnwindSafe(|| fill(i)))?;
        // SAFETY: `dst` is a claimed record, aligned for `T` and
        // `size_of::<T>()` bytes long (the caller's contract).
        unsafe { dst.cast::<T>().write(value) };
        self.next += 1;
        Ok(())
    }
}
