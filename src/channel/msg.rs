//! Records in the ring as the handles see them: `SlotMut` (being written) and
//! `Msg` (received).

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::channel::shared::{RecordLayout, Shared};
use crate::message::{self, Message};
use crate::ring::{Arena, Cycle};
use crate::sync::Arc;

/// A record claimed by a producer: where it is and how big.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claimed {
    pub(crate) pos: u64,
    /// Byte offset of the record in the region.
    pub(crate) offset: usize,
    pub(crate) len: usize,
    pub(crate) elems: usize,
    /// Variable-size rings: the arena write cursor before this record.
    pub(crate) undo: u64,
}

/// A record reserved in the ring, being written in place.
///
/// Derefs to `&mut T` inside the ring. [`commit`](Self::commit) publishes it
/// to receivers; dropping it without commit aborts it, and its space is
/// reclaimed (receivers skip it). Borrowing the sender mutably, it keeps the
/// sender alive while it exists.
///
/// Receivers take records in order, so while a slot is outstanding, records
/// committed after it (by other senders of a multi-producer channel) wait for
/// it too: commit or drop slots promptly, and do not hold one across a long
/// `.await`. A `SlotMut` that is leaked (`mem::forget`) is never committed nor
/// aborted: receivers wait for it while senders remain, and once every sender
/// is gone they end at it, so records committed after it are never received.
/// Do not leak slots.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<[u32; 2]>().capacity(4).spsc()?;
/// let mut slot = tx.try_reserve()?;
/// slot[1] = 7;
/// drop(slot); // aborted: never received
/// let mut slot = tx.try_reserve()?;
/// slot[0] = 1;
/// slot.commit();
/// assert_eq!(*rx.try_recv()?, [1, 0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SlotMut<'a, T: Message + ?Sized> {
    shared: &'a Shared,
    /// The sender's own arena allocator (single-producer variable-size
    /// channels), to give the space back on abort.
    arena: Option<&'a mut Arena>,
    claimed: Claimed,
    _marker: PhantomData<fn() -> *const T>,
}

impl<'a, T: Message + ?Sized> SlotMut<'a, T> {
    pub(crate) fn new(shared: &'a Shared, arena: Option<&'a mut Arena>, claimed: Claimed) -> Self {
        Self { shared, arena, claimed, _marker: PhantomData }
    }

    /// Publishes the record: receivers can take it from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u8>().capacity(4).spsc()?;
    /// let mut slot = tx.try_reserve()?;
    /// *slot = 3;
    /// slot.commit();
    /// assert_eq!(*rx.try_recv()?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(self) {
        let (shared, claimed) = (self.shared, self.claimed);
        // Skip the abort in `Drop`; the slot owns nothing else to drop
        // (`arena` is a borrow).
        std::mem::forget(self);
        shared.publish(claimed.pos, claimed.len, false);
    }

    /// The record's bytes, for writing a payload that is not a `T` field by
    /// field (e.g. a network read straight into the ring).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(4).spsc()?;
    /// let mut slot = tx.try_reserve()?;
    /// slot.as_bytes_mut().copy_from_slice(&7u32.to_ne_bytes());
    /// slot.commit();
    /// assert_eq!(*rx.try_recv()?, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        let ptr = self.shared.record_ptr(self.claimed.offset);
        // SAFETY: the record `[offset, offset + len)` is inside the region
        // (placed there by the ring), initialised (regions are always
        // initialised, see `HeapRegion`), and owned exclusively by this slot
        // until commit or abort; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), self.claimed.len) }
    }

    fn bytes(&self) -> &[u8] {
        let ptr = self.shared.record_ptr(self.claimed.offset);
        // SAFETY: as in `as_bytes_mut`; shared access through `&self`.
        unsafe { std::slice::from_raw_parts(ptr.as_ptr(), self.claimed.len) }
    }
}

impl<T: Message + ?Sized> Deref for SlotMut<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        message::record(self.bytes(), self.claimed.elems)
    }
}

impl<T: Message + ?Sized> DerefMut for SlotMut<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        let elems = self.claimed.elems;
        message::record_mut(self.as_bytes_mut(), elems)
    }
}

impl<T: Message + ?Sized> Drop for SlotMut<'_, T> {
    fn drop(&mut self) {
        self.shared.abort(self.claimed, self.arena.as_deref_mut());
    }
}

impl<T: Message + ?Sized + fmt::Debug> fmt::Debug for SlotMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SlotMut").field(&&**self).finish()
    }
}

/// A received message, read in place in the ring.
///
/// Derefs to `&T` inside the ring; dropping it frees the record's space.
/// `Msg` is `Send + 'static` (it keeps the ring alive), so it can be moved to
/// another task or thread, held while later messages are received, and
/// dropped in any order. For the "take, read, drop" loop, a [`MsgRef`]
/// (`recv_ref`) borrows the receiver instead and skips the reference count.
///
/// # Holding messages
///
/// Records are reused in ring order: the sender writes record `n + capacity`
/// where record `n` was. A `Msg` held for longer than one lap of the ring
/// therefore makes senders wait (or, under a lossy policy, drop) when they
/// come round to it, even if later records were freed. Copy out what must
/// live long, or size the ring for what is held; in particular, a receiver
/// that waits for more messages while holding old ones can wait forever if
/// the sender is blocked on what it holds.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(2).spsc()?;
/// tx.try_send(1)?;
/// tx.try_send(2)?;
/// let first = rx.try_recv()?;
/// let second = rx.try_recv()?;
/// drop(second); // release order is free
/// assert_eq!(*first, 1);
/// let t = std::thread::spawn(move || *first + 1);
/// assert_eq!(t.join().unwrap(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Msg<T: Message + ?Sized> {
    shared: Arc<Shared>,
    rec: Taken,
    _marker: PhantomData<fn() -> *const T>,
}

/// A record a consumer took and holds until it releases it: what a [`Msg`]
/// or [`MsgRef`] holds besides the channel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Taken {
    pub(crate) pos: u64,
    /// Byte offset of the record in the region.
    pub(crate) offset: usize,
    pub(crate) len: usize,
    pub(crate) elems: usize,
}

impl Taken {
    /// The record's bytes in `shared`, the channel it was taken from.
    #[inline]
    fn bytes(self, shared: &Shared) -> &[u8] {
        let ptr = shared.record_ptr(self.offset);
        // SAFETY: only a `Msg`, `MsgRef` or `Batch` calls this, on a record
        // taken from `shared` that it holds until its drop releases it (a
        // `Msg` or `MsgRef` gets it from a receive or from a `Batch` giving
        // its records out one by one): the record `[offset, offset + len)`
        // is inside the region, initialised and committed, and no producer
        // writes it meanwhile; the region lives as long as `shared`, which
        // the holder keeps (an `Arc`, or a borrow of the receiver's).
        unsafe { std::slice::from_raw_parts(ptr.as_ptr(), self.len) }
    }
}

impl<T: Message + ?Sized> Msg<T> {
    pub(crate) fn new(shared: Arc<Shared>, rec: Taken) -> Self {
        Self { shared, rec, _marker: PhantomData }
    }

    /// The message's bytes in the ring.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u16>().capacity(2).spsc()?;
    /// tx.try_send(0x0102)?;
    /// assert_eq!(rx.try_recv()?.as_bytes(), &0x0102u16.to_ne_bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.rec.bytes(&self.shared)
    }

    /// Turns the message into [`bytes::Bytes`] over the same memory, without
    /// copying the payload. The record is freed when the last clone of the
    /// `Bytes` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(1024).spsc()?;
    /// let mut slot = tx.try_reserve_bytes(5)?;
    /// slot.copy_from_slice(b"hello");
    /// slot.commit();
    /// let msg = rx.try_recv()?;
    /// let addr = msg.as_bytes().as_ptr();
    /// let bytes = msg.into_bytes();
    /// assert_eq!(&bytes[..], b"hello");
    /// assert_eq!(bytes.as_ptr(), addr); // same memory
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_bytes(self) -> bytes::Bytes {
        bytes::Bytes::from_owner(self)
    }
}

impl<T: Message + ?Sized> AsRef<[u8]> for Msg<T> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<T: Message + ?Sized> Deref for Msg<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        message::record(self.as_bytes(), self.rec.elems)
    }
}

impl<T: Message + ?Sized> Drop for Msg<T> {
    #[inline]
    fn drop(&mut self) {
        self.shared.release(self.rec.pos);
    }
}

impl<T: Message + ?Sized + fmt::Debug> fmt::Debug for Msg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Msg").field(&&**self).finish()
    }
}

/// A received message borrowed from its [`Receiver`](crate::Receiver):
/// like [`Msg`], read in place and released on drop, but without the
/// reference count (an atomic increment and decrement per message) that
/// lets a `Msg` outlive the receiver.
///
/// From [`Receiver::recv_ref`](crate::Receiver::recv_ref),
/// [`try_recv_ref`](crate::Receiver::try_recv_ref) and
/// [`recv_ref_blocking`](crate::Receiver::recv_ref_blocking). Borrowing
/// the receiver mutably, one is held at a time, for the "take, read,
/// drop" loop; [`into_msg`](Self::into_msg) turns it into a `Msg` to keep
/// it longer or send it elsewhere.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<[u32; 4]>().capacity(8).spsc()?;
/// tx.try_send([1, 2, 3, 4])?;
/// let m = rx.try_recv_ref()?;
/// assert_eq!(m.iter().sum::<u32>(), 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MsgRef<'a, T: Message + ?Sized> {
    shared: &'a Arc<Shared>,
    rec: Taken,
    _marker: PhantomData<fn() -> *const T>,
}

impl<'a, T: Message + ?Sized> MsgRef<'a, T> {
    pub(crate) fn new(shared: &'a Arc<Shared>, rec: Taken) -> Self {
        Self { shared, rec, _marker: PhantomData }
    }

    /// The message's bytes in the ring.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u16>().capacity(2).spsc()?;
    /// tx.try_send(0x0102)?;
    /// assert_eq!(rx.try_recv_ref()?.as_bytes(), &0x0102u16.to_ne_bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.rec.bytes(self.shared)
    }

    /// The same message as an owned [`Msg`] (`Send + 'static`), still in
    /// place: it takes one reference count.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(2).spsc()?;
    /// tx.try_send(5)?;
    /// let kept: psyne::Msg<u64> = rx.try_recv_ref()?.into_msg();
    /// drop(rx);
    /// assert_eq!(*kept, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_msg(self) -> Msg<T> {
        let this = std::mem::ManuallyDrop::new(self);
        // The record moves to the `Msg`, which releases it.
        Msg::new(this.shared.clone(), this.rec)
    }
}

impl<T: Message + ?Sized> AsRef<[u8]> for MsgRef<'_, T> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<T: Message + ?Sized> Deref for MsgRef<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        message::record(self.as_bytes(), self.rec.elems)
    }
}

impl<T: Message + ?Sized> Drop for MsgRef<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.shared.release(self.rec.pos);
    }
}

impl<T: Message + ?Sized + fmt::Debug> fmt::Debug for MsgRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MsgRef").field(&&**self).finish()
    }
}

/// Several messages received in one run, read in place like [`Msg`]s and
/// released together when the batch is dropped: one reference count and one
/// wake-up check for the whole run instead of one per message, and, in a
/// channel of fixed-size records whose receivers take in order (SPSC,
/// MPSC), with no earlier message still held, one store that frees the
/// whole run for senders.
/// (Taken apart with `into_iter`, its messages become separate `Msg`s, each
/// with its own.)
///
/// From [`Receiver::recv_batch`](crate::Receiver::recv_batch),
/// [`try_recv_batch`](crate::Receiver::try_recv_batch) and
/// [`recv_batch_blocking`](crate::Receiver::recv_batch_blocking). A batch
/// holds consecutive records of the ring (of a fixed-size ring; a ring sized
/// in bytes gives batches of one), is `Send + 'static` like `Msg`, and
/// holding it holds every record in it (see [`Msg`], "Holding messages").
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(8).spsc()?;
/// tx.try_send_batch(&[1, 2, 3])?;
/// let batch = rx.try_recv_batch(8)?;
/// assert_eq!(batch.len(), 3);
/// assert_eq!(batch.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
/// assert_eq!(batch.get(1), Some(&2));
/// assert_eq!(tx.try_send_batch(&[0; 8])?, 5); // three records still held
/// drop(batch); // frees all three
/// assert_eq!(tx.try_send_batch(&[0; 8])?, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping a batch releases its messages unread"]
pub struct Batch<T: Message> {
    shared: Arc<Shared>,
    /// Position of the first record.
    start: u64,
    /// Records in the run, at least one.
    count: u64,
    /// Where the first record is: in a fixed-size ring, its payload slot,
    /// and the others follow it; in a ring sized in bytes, its offset (a
    /// batch of it holds one record).
    first: usize,
    /// Payload length of the first record.
    first_len: usize,
    _marker: PhantomData<fn() -> *const T>,
}

impl<T: Message> Batch<T> {
    /// A batch that starts with `first`, a record taken from `shared`, and
    /// takes up to `limit - 1` more records that are committed now, right
    /// behind it.
    pub(crate) fn starting_with(shared: Arc<Shared>, first: Taken, limit: usize) -> Self {
        let Taken { pos: start, offset, len: first_len, .. } = first;
        let mut count = 1u64;
        let mut first = offset;
        if let RecordLayout::Fixed { stride, .. } = shared.layout {
            // Once per batch: the slot, not a division per record.
            first = offset / stride;
            let multi = shared.cfg.take_multi;
            let owner = shared.take_owner();
            // Never more than the ring holds, whatever its words say.
            let limit = (limit as u64).min(shared.ring.capacity());
            if !multi {
                // The only consumer: take the run with one cursor store.
                count += shared.ring.take_run(start.wrapping_add(1), limit.saturating_sub(1));
            } else {
                while count < limit {
                    let pos = start.wrapping_add(count);
                    if !shared.ring.try_take_next(pos, multi) {
                        break;
                    }
                    if let Some(owner) = owner {
                        shared.ring.set_owner(pos, owner, false);
                    }
                    count += 1;
                }
            }
            shared.stats.received_n(count - 1, shared.tally.1);
        }
        Self { shared, start, count, first, first_len, _marker: PhantomData }
    }

    /// How many messages the batch holds (at least one).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u8>().capacity(4).spsc()?;
    /// tx.try_send_batch(&[7, 8])?;
    /// assert_eq!(rx.try_recv_batch(1)?.len(), 1);
    /// assert_eq!(rx.try_recv_batch(4)?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Always `false`: a batch holds at least one message.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u8>().capacity(4).spsc()?;
    /// tx.try_send(1)?;
    /// assert!(!rx.try_recv_batch(4)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `i`-th message, in place; `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc()?;
    /// tx.try_send_batch(&[10, 20])?;
    /// let batch = rx.try_recv_batch(4)?;
    /// assert_eq!((batch.get(0), batch.get(1), batch.get(2)), (Some(&10), Some(&20), None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        if i as u64 >= self.count {
            return None;
        }
        let rec = self.record(i as u64);
        Some(self.message_at(rec.pos, rec.offset))
    }

    /// The message at position `pos`, one of the batch's, whose record
    /// starts at `offset`.
    #[inline(always)]
    fn message_at(&self, pos: u64, offset: usize) -> &T {
        let len = match self.shared.layout {
            RecordLayout::Fixed { size, .. } => size,
            RecordLayout::Variable { .. } => self.first_len,
        };
        let rec = Taken { pos, offset, len, elems: 0 };
        message::record(rec.bytes(&self.shared), 0)
    }

    /// Where record `i` (`< count`) of the batch is.
    #[inline]
    fn record(&self, i: u64) -> Taken {
        let pos = self.start.wrapping_add(i);
        let (offset, len) = match self.shared.layout {
            // The slots of a batch follow each other (see `ring`'s "Hot
            // slots": no epoch starts while a record is outstanding).
            RecordLayout::Fixed { size, .. } => {
                let slot = self.shared.ring.index(self.first as u64 + i);
                (self.shared.record_offset(slot, 0), size)
            }
            RecordLayout::Variable { .. } => (self.first, self.first_len),
        };
        Taken { pos, offset, len, elems: 0 }
    }

    /// The messages in order, in place.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u16>().capacity(4).spsc()?;
    /// tx.try_send_batch(&[1, 2, 3])?;
    /// let sum: u16 = rx.try_recv_batch(4)?.iter().sum();
    /// assert_eq!(sum, 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> BatchIter<'_, T> {
        BatchIter { batch: self, next: 0, slots: self.shared.slots(self.first) }
    }
}

/// The messages of a [`Batch`], in order; from [`Batch::iter`].
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<u8>().capacity(4).spsc()?;
/// tx.try_send_batch(&[1, 2])?;
/// let batch = rx.try_recv_batch(4)?;
/// let mut it: psyne::BatchIter<'_, u8> = batch.iter();
/// assert_eq!(it.len(), 2);
/// assert_eq!(it.next(), Some(&1));
/// let rest = it.clone();
/// assert_eq!((it.next(), it.next(), it.next()), (Some(&2), None, None)); // fused
/// assert_eq!(rest.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BatchIter<'a, T: Message> {
    batch: &'a Batch<T>,
    next: usize,
    /// Where record `next` is, and those after it.
    slots: Cycle,
}

impl<'a, T: Message> Iterator for BatchIter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        if self.next as u64 >= self.batch.count {
            return None;
        }
        let pos = self.batch.start.wrapping_add(self.next as u64);
        self.next += 1;
        Some(self.batch.message_at(pos, self.slots.step()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.batch.len() - self.next;
        (left, Some(left))
    }
}

impl<T: Message> ExactSizeIterator for BatchIter<'_, T> {}

impl<T: Message> std::iter::FusedIterator for BatchIter<'_, T> {}

impl<T: Message> Clone for BatchIter<'_, T> {
    fn clone(&self) -> Self {
        Self { batch: self.batch, next: self.next, slots: self.slots }
    }
}

impl<T: Message> fmt::Debug for BatchIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchIter").field("left", &(self.batch.len() - self.next)).finish()
    }
}

impl<'a, T: Message> IntoIterator for &'a Batch<T> {
    type Item = &'a T;
    type IntoIter = BatchIter<'a, T>;

    fn into_iter(self) -> BatchIter<'a, T> {
        self.iter()
    }
}

impl<T: Message> IntoIterator for Batch<T> {
    type Item = Msg<T>;
    type IntoIter = BatchIntoIter<T>;

    /// The messages as separate [`Msg`]s, each released when it is dropped
    /// (those never taken from the iterator when it is).
    fn into_iter(self) -> BatchIntoIter<T> {
        BatchIntoIter { batch: self }
    }
}

/// The messages of a [`Batch`] as separate [`Msg`]s, in order; from the
/// batch's `into_iter`.
///
/// Each `Msg` is released on its own drop, in any order, so some messages of
/// a batch can be kept (or sent to other tasks) while the rest are freed.
/// Messages not taken from the iterator are released when it is dropped.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = psyne::channel::<u32>().capacity(4).spsc()?;
/// tx.try_send_batch(&[1, 2, 3, 4])?;
/// let msgs: psyne::BatchIntoIter<u32> = rx.try_recv_batch(4)?.into_iter();
/// assert_eq!(msgs.len(), 4);
/// let mut msgs: Vec<psyne::Msg<u32>> = msgs.collect();
/// let last = msgs.pop().unwrap();
/// drop(msgs); // releases 1, 2 and 3
/// assert_eq!(tx.try_send_batch(&[5, 6, 7, 8])?, 3); // 4 is still held
/// assert_eq!(*last, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "iterators are lazy; dropping this releases the messages left in it"]
pub struct BatchIntoIter<T: Message> {
    /// The records not yet handed out: `start`, `first` and `count` move
    /// as they are (so `count` may reach zero here, unlike in a `Batch` a
    /// user holds).
    batch: Batch<T>,
}

impl<T: Message> Iterator for BatchIntoIter<T> {
    type Item = Msg<T>;

    fn next(&mut self) -> Option<Msg<T>> {
        let b = &mut self.batch;
        if b.count == 0 {
            return None;
        }
        // The record moves from the batch to the `Msg`, which releases it.
        let msg = Msg::new(b.shared.clone(), b.record(0));
        if b.count > 1 {
            // Fixed-size (a batch of a ring sized in bytes holds one
            // record): the next record's slot.
            b.first = b.shared.ring.index(b.first as u64 + 1);
        }
        b.start = b.start.wrapping_add(1);
        b.count -= 1;
        Some(msg)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.batch.count as usize;
        (left, Some(left))
    }
}

impl<T: Message> ExactSizeIterator for BatchIntoIter<T> {}

impl<T: Message> std::iter::FusedIterator for BatchIntoIter<T> {}

impl<T: Message> fmt::Debug for BatchIntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchIntoIter").field("left", &self.batch.count).finish()
    }
}

impl<T: Message> Drop for Batch<T> {
    fn drop(&mut self) {
        if self.count > 0 {
            self.shared.release_run(self.start, self.count);
        }
    }
}

impl<T: Message + fmt::Debug> fmt::Debug for Batch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
