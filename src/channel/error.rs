//! Error types of the channel API: one per operation.

use std::error::Error;
use std::fmt;

/// Why a channel could not be built.
///
/// # Examples
///
/// ```
/// let err = psyne::channel::<u64>().capacity(0).spsc().unwrap_err();
/// assert_eq!(err, psyne::BuildError::ZeroCapacity);
/// assert!(err.to_string().contains("at least 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// `capacity(0)` or `bytes(0)`.
    ZeroCapacity,
    /// The ring would need more memory than can be allocated.
    TooLarge {
        /// Bytes the ring would need.
        bytes: u128,
    },
    /// The allocator refused the ring's memory.
    OutOfMemory {
        /// Bytes requested.
        bytes: usize,
    },
    /// The message type is aligned to more than the ring's 64-byte records.
    AlignTooLarge {
        /// The message type.
        type_name: &'static str,
    },
    /// A variable-size message type was given a record count; its channel is
    /// sized in bytes.
    NeedsBytes {
        /// The message type.
        type_name: &'static str,
    },
    /// A fixed-size message is larger than the byte ring it was given.
    MessageTooLarge {
        /// Size of one message in bytes.
        size: usize,
        /// The ring's size in bytes.
        ring: usize,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroCapacity => f.write_str(
                "channel capacity must be at least 1 (give `capacity(n)` records or `bytes(n)` bytes)",
            ),
            Self::TooLarge { bytes } => {
                write!(f, "channel would need {bytes} bytes of memory; choose a smaller capacity")
            }
            Self::OutOfMemory { bytes } => {
                write!(f, "could not allocate {bytes} bytes for the channel's ring")
            }
            Self::AlignTooLarge { type_name } => write!(
                f,
                "`{type_name}` is aligned to more than the 64 bytes that ring records guarantee; \
                 lower its alignment"
            ),
            Self::NeedsBytes { type_name } => write!(
                f,
                "`{type_name}` has a variable size; size its channel in bytes with `bytes(n)` \
                 instead of `capacity(n)`"
            ),
            Self::MessageTooLarge { size, ring } => write!(
                f,
                "a {size}-byte message can never fit a {ring}-byte ring; give `bytes(n)` at least \
                 the message size"
            ),
        }
    }
}

impl Error for BuildError {}

/// A send failed; the value is given back.
///
/// Returned by `send`, `try_send` and `send_blocking`. `Full` only comes from
/// `try_send` or from a channel built with
/// [`Backpressure::FailFast`](crate::Backpressure::FailFast).
///
/// # Examples
///
/// ```
/// use psyne::SendError;
///
/// let (mut tx, rx) = psyne::channel::<u64>().capacity(1).spsc()?;
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(SendError::Full(2)));
/// drop(rx);
/// let err = tx.try_send(3).unwrap_err();
/// assert!(err.is_closed());
/// assert_eq!(err.into_inner(), 3);
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendError<T> {
    /// The channel is full and the operation does not wait.
    Full(T),
    /// Every receiver was dropped: nobody would ever read the value.
    Closed(T),
}

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<u8>().capacity(1).spsc()?;
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.try_send(2).unwrap_err().into_inner(), 2);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(v) | Self::Closed(v) => v,
        }
    }

    /// Whether the channel is closed (as opposed to full).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = psyne::channel::<u8>().capacity(1).spsc()?;
    /// drop(rx);
    /// assert!(tx.try_send(1).unwrap_err().is_closed());
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }

    /// Whether the channel was full.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<u8>().capacity(1).spsc()?;
    /// tx.try_send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("channel full; retry later or wait with `send`"),
            Self::Closed(_) => f.write_str("channel closed: every receiver was dropped"),
        }
    }
}

impl<T> Error for SendError<T> {}

/// A reservation of space in the ring failed.
///
/// # Examples
///
/// ```
/// use psyne::ReserveError;
///
/// let (mut tx, _rx) = psyne::channel::<[u8]>().bytes(256).spsc()?;
/// assert_eq!(
///     tx.try_reserve_len(1000).unwrap_err(),
///     ReserveError::TooLarge { requested: 1000, capacity: 256 }
/// );
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReserveError {
    /// The channel is full and the operation does not wait.
    Full,
    /// Every receiver was dropped.
    Closed,
    /// The record can never fit in this ring, however long one waits.
    TooLarge {
        /// Bytes the record needs.
        requested: usize,
        /// The most one record can have in this ring.
        capacity: usize,
    },
    /// The element count overflows the address space.
    LengthOverflow {
        /// The requested element count.
        elems: usize,
    },
    /// The message allows fewer trailing elements (its `max_elems`, or what
    /// its `#[psyne(len)]` field can count).
    TooManyElems {
        /// The requested element count.
        elems: usize,
        /// The most the message allows.
        max: usize,
    },
    /// A channel between processes whose shared ring was written over
    /// (see [`TryRecvError::Corrupted`]).
    Corrupted,
}

impl fmt::Display for ReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("channel full; retry later or wait with `reserve`"),
            Self::Closed => f.write_str("channel closed: every receiver was dropped"),
            Self::TooLarge { requested, capacity } => write!(
                f,
                "a {requested}-byte record can never fit this channel (at most {capacity} bytes); \
                 build it with a larger `bytes(n)`"
            ),
            Self::LengthOverflow { elems } => {
                write!(f, "a record of {elems} elements would overflow the address space")
            }
            Self::TooManyElems { elems, max } => write!(
                f,
                "{elems} trailing elements requested, but the message allows at most {max}; \
                 split the payload or raise the message's `max_elems`"
            ),
            Self::Corrupted => f.write_str(CORRUPTED),
        }
    }
}

impl Error for ReserveError {}

/// A batch send ([`send_batch`](crate::Sender::send_batch),
/// [`send_batch_blocking`](crate::Sender::send_batch_blocking),
/// [`send_batch_with`](crate::Sender::send_batch_with),
/// [`send_batch_with_blocking`](crate::Sender::send_batch_with_blocking))
/// stopped before its last value.
///
/// The first [`sent`](Self::sent) values were committed, in order; the rest
/// were not, and are still the caller's to retry or account for.
///
/// # Examples
///
/// ```
/// use psyne::{Backpressure, ReserveError};
///
/// let (mut tx, _rx) =
///     psyne::channel::<u32>().capacity(4).backpressure(Backpressure::FailFast).spsc()?;
/// let values = [1, 2, 3, 4, 5, 6];
/// let err = tx.send_batch_blocking(&values).unwrap_err();
/// assert_eq!((err.sent(), err.error()), (4, ReserveError::Full));
/// assert_eq!(&values[err.sent()..], [5, 6]); // not sent
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendBatchError {
    sent: usize,
    error: ReserveError,
}

impl SendBatchError {
    pub(crate) fn new(sent: usize, error: ReserveError) -> Self {
        Self { sent, error }
    }

    /// How many leading values of the batch were sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = psyne::channel::<u8>().capacity(4).spsc()?;
    /// drop(rx);
    /// assert_eq!(tx.send_batch_blocking(&[1, 2]).unwrap_err().sent(), 0);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// Why the send stopped: [`ReserveError::Full`] (a channel built with
    /// [`Backpressure::FailFast`](crate::Backpressure::FailFast)),
    /// [`ReserveError::Closed`] or [`ReserveError::Corrupted`].
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::ReserveError;
    ///
    /// let (mut tx, rx) = psyne::channel::<u8>().capacity(4).spsc()?;
    /// drop(rx);
    /// assert_eq!(tx.send_batch_blocking(&[1]).unwrap_err().error(), ReserveError::Closed);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn error(&self) -> ReserveError {
        self.error
    }
}

impl fmt::Display for SendBatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "batch send stopped after {} values: {}", self.sent, self.error)
    }
}

impl Error for SendBatchError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

const CORRUPTED: &str = "channel corrupted: another process wrote impossible values into the \
    shared ring; the channel is unusable, bind a new one";

/// `try_recv` found nothing.
///
/// # Examples
///
/// ```
/// use psyne::TryRecvError;
///
/// let (tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc()?;
/// assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
/// drop(tx);
/// assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Closed);
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryRecvError {
    /// No message is ready now, but senders remain.
    Empty,
    /// Every sender was dropped and every message was received.
    Closed,
    /// A channel between processes holds a record whose place or length is
    /// impossible: another process wrote over the shared ring. The channel
    /// is unusable from then on.
    Corrupted,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("channel empty; retry later or wait with `recv`"),
            Self::Closed => {
                f.write_str("channel closed: every sender was dropped and every message received")
            }
            Self::Corrupted => f.write_str(CORRUPTED),
        }
    }
}

impl Error for TryRecvError {}

/// `recv_timeout` did not get a message.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use psyne::RecvTimeoutError;
///
/// let (_tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc()?;
/// let err = rx.recv_timeout(Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err, RecvTimeoutError::Timeout);
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvTimeoutError {
    /// Nothing arrived in time; senders remain.
    Timeout,
    /// Every sender was dropped and every message was received.
    Closed,
    /// The shared ring was written over; see [`TryRecvError::Corrupted`].
    Corrupted,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out waiting on channel"),
            Self::Closed => {
                f.write_str("channel closed: every sender was dropped and every message received")
            }
            Self::Corrupted => f.write_str(CORRUPTED),
        }
    }
}

impl Error for RecvTimeoutError {}
