//! Records in the ring as the handles see them: `SlotMut` (being written) and
//! `Msg` (received).

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::channel::shared::Shared;
use crate::message::{self, Message};
use crate::ring::Arena;
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
/// dropped in any order.
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
    pos: u64,
    offset: usize,
    len: usize,
    elems: usize,
    _marker: PhantomData<fn() -> *const T>,
}

impl<T: Message + ?Sized> Msg<T> {
    pub(crate) fn new(
        shared: Arc<Shared>,
        pos: u64,
        offset: usize,
        len: usize,
        elems: usize,
    ) -> Self {
        Self { shared, pos, offset, len, elems, _marker: PhantomData }
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
        let ptr = self.shared.record_ptr(self.offset);
        // SAFETY: the record `[offset, offset + len)` is inside the region,
        // initialised, and committed: no producer writes it until this `Msg`
        // releases it in `drop`, and the region lives as long as `shared`.
        unsafe { std::slice::from_raw_parts(ptr.as_ptr(), self.len) }
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
        message::record(self.as_bytes(), self.elems)
    }
}

impl<T: Message + ?Sized> Drop for Msg<T> {
    #[inline]
    fn drop(&mut self) {
        self.shared.release(self.pos);
    }
}

impl<T: Message + ?Sized + fmt::Debug> fmt::Debug for Msg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Msg").field(&&**self).finish()
    }
}
