//! The receiving handle.

use std::fmt;
use std::future::poll_fn;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::channel::msg::Taken;
use crate::channel::shared::{AsyncWaits, RecordLayout, Shared};
use crate::channel::{
    Batch, Msg, MsgRef, MultiConsumer, Pattern, RecvTimeoutError, Spsc, Stats, TryRecvError,
};
use crate::message::{self, Message};
use crate::ring::{PAYLOAD_ALIGN, Take};
use crate::sync::{Arc, spin_loop};
use crate::wait::{self, Blocker, Step};

/// The receiving half of a channel.
///
/// Yields [`Msg`]s that point into the ring (or, from the `recv_ref`
/// family, [`MsgRef`]s that borrow the receiver; from the `recv_batch`
/// family, [`Batch`]es of consecutive records). Every waiting operation has
/// an `async` form, a `try_` form and a `_blocking` form. `Receiver` implements
/// [`futures_core::Stream`]; the stream ends once every sender is gone and
/// every committed message was received.
///
/// `Receiver<T, Spmc>` and `Receiver<T, Mpmc>` are `Clone`; each message goes
/// to exactly one receiver.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures::StreamExt;
/// let (mut tx, rx) = psyne::channel::<u32>().capacity(8).spsc()?;
/// tx.send(1).await?;
/// tx.send(2).await?;
/// drop(tx);
/// let all: Vec<u32> = rx.map(|m| *m).collect().await;
/// assert_eq!(all, [1, 2]);
/// # Ok(())
/// # }
/// ```
pub struct Receiver<T: Message + ?Sized, P: Pattern = Spsc> {
    shared: Arc<Shared>,
    /// Where a pending async receive waits.
    waits: AsyncWaits,
    _marker: PhantomData<(fn() -> *const T, P)>,
}

/// What a take makes of the record it took ([`Receiver::msg`] or
/// [`Receiver::bare`]). Generic, not a `fn` pointer, so that every path is
/// compiled with its wrapper inlined, the out-of-line wait loops included.
/// Measured on the project machine: through a `fn` pointer, busy-spin
/// ping-pong round trips took 0.22–0.25 µs; generic, 0.17–0.20 (the bare
/// protocol: 0.14–0.17), with unchanged throughput.
trait Wrap<R>: Fn(&Arc<Shared>, Taken) -> R + Copy {}

impl<R, W: Fn(&Arc<Shared>, Taken) -> R + Copy> Wrap<R> for W {}

impl<T: Message + ?Sized, P: Pattern> Receiver<T, P> {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared, waits: AsyncWaits::default(), _marker: PhantomData }
    }

    fn attempt(&self) -> Step<Result<Msg<T>, TryRecvError>> {
        Self::take(&self.shared, Self::msg)
    }

    /// Wraps a taken record as a [`Msg`] (one reference count).
    #[inline(always)]
    fn msg(shared: &Arc<Shared>, rec: Taken) -> Msg<T> {
        Msg::new(shared.clone(), rec)
    }

    /// Hands a taken record over bare (for a [`MsgRef`] or a [`Batch`],
    /// which the caller builds).
    #[inline(always)]
    fn bare(_: &Arc<Shared>, rec: Taken) -> Taken {
        rec
    }

    /// The fast path of a take from a fixed-size ring. `None`, having taken
    /// nothing, when the ring is empty or not fixed-size; the general path
    /// then handles it (including closing).
    ///
    /// `wrap` turns the record into what the caller gets (a `Msg`, or the
    /// bare record), right where it is taken. Measured on the project
    /// machine: building the `Msg` only after the bare record had come back
    /// through the callers made blocking SPSC 2.7× slower.
    #[inline(always)]
    fn take_fast<R>(shared: &Arc<Shared>, wrap: impl Wrap<R>) -> Option<R> {
        let RecordLayout::Fixed { stride, size } = shared.layout else {
            return None;
        };
        match shared.ring.try_take(shared.cfg.take_multi) {
            Take::Taken { pos, aborted: false } => {
                if let Some(owner) = shared.take_owner() {
                    shared.ring.set_owner(pos, owner, false);
                }
                shared.stats.received(None, shared.tally.1);
                let offset = shared.ring.consumer_slot(pos) * stride;
                // A consumer that takes in order asks early for the lines of
                // a record further on, when the producer is well ahead.
                if !shared.cfg.take_multi
                    && let Some(ahead) = shared.ring.prefetch_ahead(pos)
                {
                    shared.prefetch(shared.ring.consumer_slot(ahead) * stride);
                }
                Some(wrap(shared, Taken { pos, offset, len: size, elems: 0 }))
            }
            Take::Taken { pos, aborted: true } => {
                shared.stats.skipped();
                shared.release(pos);
                None
            }
            Take::Empty(pos) => {
                shared.prefetch(shared.ring.consumer_slot(pos) * stride);
                if !shared.cfg.take_multi {
                    shared.ring.waiting_after_run(pos);
                }
                if shared.ring.hot_slots() {
                    // Once every record is released, the next one goes to
                    // slot 0 (see `ring`'s "Hot slots").
                    shared.prefetch(0);
                }
                None
            }
            Take::Corrupt => None,
        }
    }

    /// One attempt to take the next message (made into an `R` by `wrap`).
    fn take<R>(shared: &Arc<Shared>, wrap: impl Wrap<R>) -> Step<Result<R, TryRecvError>> {
        if let Some(r) = Self::take_fast(shared, wrap) {
            return Step::Done(Ok(r));
        }
        let multi = shared.cfg.take_multi;
        let mut rechecked = false;
        if shared.is_corrupted() {
            return Step::Done(Err(TryRecvError::Corrupted));
        }
        loop {
            match shared.ring.try_take(multi) {
                Take::Taken { pos, aborted: true } => {
                    shared.stats.skipped();
                    shared.release(pos);
                }
                Take::Taken { pos, aborted: false } => {
                    if let Some(owner) = shared.take_owner() {
                        shared.ring.set_owner(pos, owner, false);
                    }
                    let (offset, len, elems) = match shared.layout {
                        RecordLayout::Fixed { size, .. } => {
                            (shared.record_offset(shared.ring.consumer_slot(pos), 0), size, 0)
                        }
                        RecordLayout::Variable { arena } => {
                            let (off, len) = shared.ring.extent(pos);
                            let elems = shared.ring.elems(pos);
                            // Another process wrote these: check them before
                            // they make a reference (in-process, they always
                            // pass).
                            let fits = off.is_multiple_of(PAYLOAD_ALIGN as u64)
                                && (off % arena).checked_add(len).is_some_and(|end| end <= arena);
                            let agrees = usize::try_from(elems)
                                .ok()
                                .and_then(message::byte_len::<T>)
                                .is_some_and(|n| n as u64 == len);
                            if !(fits && agrees) {
                                shared.corrupted();
                                shared.release(pos);
                                return Step::Done(Err(TryRecvError::Corrupted));
                            }
                            (shared.record_offset(0, off), len as usize, elems as usize)
                        }
                    };
                    shared.stats.received(shared.variable_len(len), shared.tally.1);
                    return Step::Done(Ok(wrap(shared, Taken { pos, offset, len, elems })));
                }
                Take::Corrupt => {
                    shared.corrupted();
                    return Step::Done(Err(TryRecvError::Corrupted));
                }
                Take::Empty(pos) => {
                    // Closed means: no sender can commit any more. Look once
                    // more after seeing it, since a commit that happened
                    // before the close may not have been visible above.
                    if rechecked {
                        return Step::Done(Err(TryRecvError::Closed));
                    }
                    if !shared.senders_closed() {
                        return Step::Wait(Blocker::Consumer(pos));
                    }
                    rechecked = true;
                }
            }
        }
    }

    /// Polls for the next message: the poll-based core of
    /// [`recv`](Self::recv) and of the [`Stream`](futures_core::Stream)
    /// implementation. `Ready(None)` once the channel is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u8>().capacity(2).spsc()?;
    /// tx.send(4).await?;
    /// let m = std::future::poll_fn(|cx| rx.poll_recv(cx)).await;
    /// assert_eq!(m.map(|m| *m), Some(4));
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Msg<T>>> {
        self.poll_take(cx, Self::msg)
    }

    /// Polls for the next record, made into an `R` by `wrap`: the core of
    /// `poll_recv`, `recv_ref` and `poll_recv_batch`.
    #[inline]
    fn poll_take<R>(&mut self, cx: &mut Context<'_>, wrap: impl Wrap<R>) -> Poll<Option<R>> {
        let Self { shared, waits, .. } = self;
        if let Some(r) = Self::take_fast(shared, wrap) {
            waits.reset();
            return Poll::Ready(Some(r));
        }
        let waiter = shared.rx_waiter(P::MULTI_CONSUMER, waits);
        let poll =
            wait::poll(cx, shared.cfg.wait, &shared.ring, waiter, || Self::take(shared, wrap));
        poll.map(Result::ok)
    }

    /// Receives the next message, waiting for one. `None` once every sender
    /// is gone and every committed message was received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no message
    /// was taken from the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// tokio::spawn(async move { tx.send(10).await });
    /// assert_eq!(rx.recv().await.map(|m| *m), Some(10));
    /// assert!(rx.recv().await.is_none()); // the sender task ended
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<Msg<T>> {
        // Forget the registration of an earlier receive that was cancelled
        // while it waited: this one starts afresh (and spins first).
        self.waits.reset();
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Receives the next message if one is ready now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if none is ready, [`TryRecvError::Closed`] once
    /// every sender is gone and the channel is drained.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// assert!(rx.try_recv().is_err());
    /// tx.try_send(1)?;
    /// assert_eq!(*rx.try_recv()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_recv(&mut self) -> Result<Msg<T>, TryRecvError> {
        self.try_take(Self::msg)
    }

    /// The core of `try_recv`, `try_recv_ref` and `try_recv_batch`.
    #[inline]
    fn try_take<R>(&mut self, wrap: impl Wrap<R>) -> Result<R, TryRecvError> {
        match Self::take_fast(&self.shared, wrap) {
            Some(r) => Ok(r),
            None => self.try_take_slow(wrap),
        }
    }

    #[inline(never)]
    fn try_take_slow<R>(&mut self, wrap: impl Wrap<R>) -> Result<R, TryRecvError> {
        match Self::take(&self.shared, wrap) {
            Step::Done(result) => result,
            Step::Wait(_) => Err(TryRecvError::Empty),
        }
    }

    /// Receives the next message, blocking the thread while the channel is
    /// empty. `None` once closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// std::thread::spawn(move || tx.send_blocking(3));
    /// assert_eq!(rx.recv_blocking().map(|m| *m), Some(3));
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    #[inline]
    pub fn recv_blocking(&mut self) -> Option<Msg<T>> {
        self.take_blocking(Self::msg)
    }

    /// The core of `recv_blocking`, `recv_ref_blocking` and
    /// `recv_batch_blocking`.
    #[inline]
    fn take_blocking<R>(&mut self, wrap: impl Wrap<R>) -> Option<R> {
        match Self::take_fast(&self.shared, wrap) {
            Some(r) => Some(r),
            None => self.take_blocking_slow(wrap),
        }
    }

    #[inline(never)]
    fn take_blocking_slow<R>(&mut self, wrap: impl Wrap<R>) -> Option<R> {
        // The first polls of the spin phase, on the fast path alone: see
        // `WaitStrategy::fast_polls`.
        for _ in 0..self.shared.fast_polls() {
            spin_loop();
            if let Some(r) = Self::take_fast(&self.shared, wrap) {
                return Some(r);
            }
        }
        let shared = &self.shared;
        let attempt = || Self::take(shared, wrap);
        wait::block(shared.cfg.wait, &shared.ring, shared.rx_park(), None, attempt)
            .ok()
            .and_then(Result::ok)
    }

    /// Receives the next message as a [`MsgRef`], borrowed from this
    /// receiver, waiting for one: like [`recv`](Self::recv), but without the
    /// reference count that lets a [`Msg`] outlive the receiver. `None` once
    /// every sender is gone and every committed message was received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no message
    /// was taken from the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// tokio::spawn(async move { tx.send_batch(&[1, 2, 3]).await });
    /// let mut sum = 0;
    /// while let Some(m) = rx.recv_ref().await {
    ///     sum += *m;
    /// }
    /// assert_eq!(sum, 6);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_ref(&mut self) -> Option<MsgRef<'_, T>> {
        self.waits.reset();
        let rec = poll_fn(|cx| self.poll_take(cx, Self::bare)).await?;
        Some(MsgRef::new(&self.shared, rec))
    }

    /// Receives the next message as a [`MsgRef`] if one is ready now.
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::TryRecvError;
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// assert_eq!(rx.try_recv_ref().unwrap_err(), TryRecvError::Empty);
    /// tx.try_send(1)?;
    /// assert_eq!(*rx.try_recv_ref()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_recv_ref(&mut self) -> Result<MsgRef<'_, T>, TryRecvError> {
        let rec = self.try_take(Self::bare)?;
        Ok(MsgRef::new(&self.shared, rec))
    }

    /// Receives the next message as a [`MsgRef`], blocking the thread while
    /// the channel is empty. `None` once closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// std::thread::spawn(move || tx.send_blocking(3));
    /// assert_eq!(rx.recv_ref_blocking().map(|m| *m), Some(3));
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    #[inline]
    pub fn recv_ref_blocking(&mut self) -> Option<MsgRef<'_, T>> {
        let rec = self.take_blocking(Self::bare)?;
        Some(MsgRef::new(&self.shared, rec))
    }

    /// Receives the next message, blocking the thread for at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing arrived in time,
    /// [`RecvTimeoutError::Closed`] once closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// tx.try_send(1)?;
    /// assert_eq!(*rx.recv_timeout(Duration::from_secs(1))?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Msg<T>, RecvTimeoutError> {
        let shared = &self.shared;
        let deadline = Instant::now().checked_add(timeout);
        // A timeout too large for `Instant` is no timeout at all.
        match wait::block(shared.cfg.wait, &shared.ring, shared.rx_park(), deadline, || {
            Self::take(shared, Self::msg)
        }) {
            Ok(Ok(msg)) => Ok(msg),
            Ok(Err(TryRecvError::Corrupted)) => Err(RecvTimeoutError::Corrupted),
            Ok(Err(_)) => Err(RecvTimeoutError::Closed),
            Err(_) => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Appends up to `limit` messages that are ready now to `buf`, and
    /// returns how many. Taking several at once costs one look at the ring
    /// per message and nothing else.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(8).spsc()?;
    /// tx.try_send_batch(&[1, 2, 3])?;
    /// let mut buf = Vec::with_capacity(8);
    /// assert_eq!(rx.try_recv_many(&mut buf, 8), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv_many(&mut self, buf: &mut Vec<Msg<T>>, limit: usize) -> usize {
        let mut n = 0;
        while n < limit {
            match self.attempt() {
                Step::Done(Ok(msg)) => buf.push(msg),
                Step::Done(Err(_)) | Step::Wait(_) => break,
            }
            n += 1;
        }
        n
    }

    /// Waits for at least one message, then appends up to `limit` ready
    /// messages to `buf`. Returns how many; `0` once closed and drained (or
    /// if `limit` is 0).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no message
    /// was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(8).spsc()?;
    /// tx.send_batch(&[1, 2]).await?;
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_many(&mut self, buf: &mut Vec<Msg<T>>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        match self.recv().await {
            Some(first) => {
                buf.push(first);
                1 + self.try_recv_many(buf, limit - 1)
            }
            None => 0,
        }
    }

    /// Blocks the thread until at least one message is ready, then appends
    /// up to `limit` ready messages to `buf`. Returns how many; `0` once
    /// closed and drained (or if `limit` is 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(8).spsc()?;
    /// std::thread::spawn(move || tx.send_batch_blocking(&[1, 2, 3]));
    /// let mut buf = Vec::new();
    /// while rx.recv_many_blocking(&mut buf, 2) > 0 {}
    /// assert_eq!(buf.iter().map(|m| **m).collect::<Vec<_>>(), [1, 2, 3]);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn recv_many_blocking(&mut self, buf: &mut Vec<Msg<T>>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        match self.recv_blocking() {
            Some(first) => {
                buf.push(first);
                1 + self.try_recv_many(buf, limit - 1)
            }
            None => 0,
        }
    }

    /// A snapshot of the channel's counters (the same for every handle).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = psyne::channel::<u32>().capacity(4).spsc()?;
    /// assert_eq!(rx.stats().capacity, 4);
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
    /// let (_tx, rx) = psyne::channel::<FloatVector>().bytes(4096).spsc()?;
    /// assert_eq!(rx.schema().name(), "psyne.FloatVector");
    /// assert_eq!(rx.schema().fingerprint(), <FloatVector as psyne::Message>::FINGERPRINT);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn schema(&self) -> &'static crate::message::Schema {
        self.shared.cfg.schema
    }

    /// Whether every sender is gone (the channel ends once drained).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = psyne::channel::<u32>().capacity(4).spsc()?;
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.senders_closed()
    }

    /// The URI the channel was bound under, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = psyne::channel::<u32>().spsc()?;
    /// assert!(rx.uri().is_none());
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn uri(&self) -> Option<&str> {
        self.shared.cfg.uri.as_deref()
    }
}

/// Receiving in runs: one reference count and one wake-up check per run
/// instead of per message (messages of a known size).
impl<T: Message, P: Pattern> Receiver<T, P> {
    /// Receives the next message and up to `limit - 1` more that are
    /// committed right behind it, as one [`Batch`]; waits for the first.
    /// `None` once every sender is gone and every committed message was
    /// received. A `limit` of 0 counts as 1.
    ///
    /// Cheaper per message than [`recv_many`](Self::recv_many), whose
    /// [`Msg`]s each hold a reference count and are released one by one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no message
    /// was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(64).spsc()?;
    /// tokio::spawn(async move { tx.send_batch(&[1, 2, 3, 4]).await });
    /// let mut sum = 0;
    /// while let Some(batch) = rx.recv_batch(16).await {
    ///     sum += batch.iter().sum::<u64>();
    /// }
    /// assert_eq!(sum, 10);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_batch(&mut self, limit: usize) -> Option<Batch<T>> {
        self.waits.reset();
        poll_fn(|cx| self.poll_recv_batch(cx, limit)).await
    }

    /// Polls for the next [`Batch`] of up to `limit` messages (a `limit` of
    /// 0 counts as 1): the poll-based core of
    /// [`recv_batch`](Self::recv_batch), for hand-written futures.
    /// `Ready(None)` once the channel is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut tx, mut rx) = psyne::channel::<u8>().capacity(4).spsc()?;
    /// tx.send_batch(&[1, 2]).await?;
    /// let batch = std::future::poll_fn(|cx| rx.poll_recv_batch(cx, 4)).await.unwrap();
    /// assert_eq!(batch.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv_batch(
        &mut self,
        cx: &mut Context<'_>,
        limit: usize,
    ) -> Poll<Option<Batch<T>>> {
        let first = std::task::ready!(self.poll_take(cx, Self::bare));
        Poll::Ready(first.map(|rec| Batch::starting_with(self.shared.clone(), rec, limit)))
    }

    /// Receives a [`Batch`] of up to `limit` messages that are ready now
    /// (a `limit` of 0 counts as 1).
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Self::try_recv): [`TryRecvError::Empty`] if none is
    /// ready, [`TryRecvError::Closed`] once closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(8).spsc()?;
    /// assert!(rx.try_recv_batch(8).is_err());
    /// tx.try_send_batch(&[5, 6])?;
    /// assert_eq!(rx.try_recv_batch(8)?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv_batch(&mut self, limit: usize) -> Result<Batch<T>, TryRecvError> {
        let first = self.try_take(Self::bare)?;
        Ok(Batch::starting_with(self.shared.clone(), first, limit))
    }

    /// Receives a [`Batch`] of up to `limit` messages, blocking the thread
    /// for the first. `None` once closed and drained. A `limit` of 0 counts
    /// as 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc()?;
    /// std::thread::spawn(move || tx.send_blocking(9));
    /// let batch = rx.recv_batch_blocking(8).unwrap();
    /// assert_eq!(batch.get(0), Some(&9));
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn recv_batch_blocking(&mut self, limit: usize) -> Option<Batch<T>> {
        let first = self.take_blocking(Self::bare)?;
        Some(Batch::starting_with(self.shared.clone(), first, limit))
    }
}

impl<T: Message + ?Sized, P: Pattern> futures_core::Stream for Receiver<T, P> {
    type Item = Msg<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Msg<T>>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<T: Message + ?Sized, P: MultiConsumer> Clone for Receiver<T, P> {
    fn clone(&self) -> Self {
        // A live receiver keeps the side open, so attaching cannot fail.
        let _ = self.shared.attach_receiver(None);
        Self::new(self.shared.clone())
    }
}

impl<T: Message + ?Sized, P: Pattern> Drop for Receiver<T, P> {
    fn drop(&mut self) {
        // Before `shared` (which may keep its memory mapped) goes.
        self.waits.shared = None;
        self.shared.detach_receiver();
    }
}

impl<T: Message + ?Sized, P: Pattern> fmt::Debug for Receiver<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("type", &self.shared.cfg.type_name)
            .field("pattern", &P::NAME)
            .field("uri", &self.shared.cfg.uri)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::WaitStrategy;

    /// Rings sized in bytes have no fast path: a blocking receive must look
    /// at the ring at once, not pause 64 times first. Fixed-size rings poll
    /// as their strategy says.
    #[test]
    fn only_fixed_size_rings_poll_the_fast_path_first() {
        let spin = WaitStrategy::BusySpin;
        let (_tx, rx) = crate::channel::<[u8]>().bytes(4096).wait_strategy(spin).spsc().unwrap();
        assert_eq!(rx.shared.fast_polls(), 0);
        let (_tx, rx) = crate::channel::<u64>().bytes(4096).wait_strategy(spin).spsc().unwrap();
        assert_eq!(rx.shared.fast_polls(), 0, "a sized type in a ring sized in bytes");
        let (_tx, rx) = crate::channel::<u64>().capacity(8).wait_strategy(spin).spsc().unwrap();
        assert_eq!(rx.shared.fast_polls(), spin.fast_polls());
        assert!(spin.fast_polls() > 0);
    }
}
