//! The public channel API: builder, patterns, handles.
//!
//! A channel is a ring of records. [`channel`] starts a [`Builder`]; a pattern
//! method ([`spsc`](Builder::spsc), [`mpsc`](Builder::mpsc),
//! [`spmc`](Builder::spmc), [`mpmc`](Builder::mpmc)) builds an in-process
//! pair, and [`bind`](Builder::bind) / [`connect`](Builder::connect) meet by
//! URI. The pattern is a type parameter of the handles: `Sender<T, Mpsc>` is
//! `Clone`, `Sender<T, Spsc>` is not.
//!
//! # Examples
//!
//! ```
//! use psyne::channel::{Receiver, Sender, Spsc};
//! let (mut tx, mut rx): (Sender<u32, Spsc>, Receiver<u32, Spsc>) =
//!     psyne::channel::channel::<u32>().capacity(4).spsc()?;
//! tx.try_send(1).unwrap();
//! assert_eq!(*rx.try_recv().unwrap(), 1);
//! # Ok::<(), psyne::BuildError>(())
//! ```

mod builder;
pub(crate) mod error;
mod msg;
mod receiver;
mod sender;
pub(crate) mod shared;
pub(crate) mod stats;
mod uri;

pub use builder::{Builder, channel};
pub use error::{
    BuildError, RecvTimeoutError, ReserveError, SendBatchError, SendError, TryRecvError,
};
pub use msg::{Batch, BatchIntoIter, BatchIter, Msg, MsgRef, SlotMut};
pub use receiver::Receiver;
pub use sender::Sender;
pub use stats::Stats;
pub use uri::{Scheme, Uri, UriError};

/// What a sender does when the channel is full.
///
/// Chosen when the channel is built, with
/// [`Builder::backpressure`]. Every message a lossy policy drops is counted
/// in [`Stats::dropped`].
///
/// # Examples
///
/// ```
/// use psyne::Backpressure;
///
/// let (mut tx, mut rx) = psyne::channel::<u64>()
///     .capacity(2)
///     .backpressure(Backpressure::OverwriteOldest)
///     .spsc()?;
/// for i in 0..5 {
///     tx.try_send(i).unwrap(); // never full: the oldest is overwritten
/// }
/// assert_eq!(*rx.try_recv().unwrap(), 3);
/// assert_eq!(*rx.try_recv().unwrap(), 4);
/// assert_eq!(tx.stats().dropped, 3);
/// # Ok::<(), psyne::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backpressure {
    /// Wait for space (async and blocking forms); `try_*` forms report
    /// `Full`. The default.
    #[default]
    Wait,
    /// Never wait: every form reports `Full` at once.
    FailFast,
    /// Sends of a full channel succeed but drop the new message (counted).
    /// Reservations, which cannot be dropped silently, report `Full`.
    DropNewest,
    /// Sends of a full channel drop the oldest message not yet received
    /// (counted) to make room. If every queued message is held by a receiver,
    /// the sender waits as with `Wait`.
    OverwriteOldest,
}

mod sealed {
    pub trait Sealed {}
}

/// A channel pattern: how many senders and receivers it allows.
///
/// Implemented by the type-state markers [`Spsc`], [`Mpsc`], [`Spmc`] and
/// [`Mpmc`]; sealed.
///
/// # Examples
///
/// ```
/// use psyne::{Mpsc, Pattern, Spsc};
/// assert!(Mpsc::MULTI_PRODUCER && !Mpsc::MULTI_CONSUMER);
/// assert_eq!(Spsc::NAME, "spsc");
/// ```
pub trait Pattern: sealed::Sealed + Send + Sync + Unpin + 'static {
    /// Senders may be cloned.
    const MULTI_PRODUCER: bool;
    /// Receivers may be cloned; each message goes to exactly one of them.
    const MULTI_CONSUMER: bool;
    /// Lower-case name, as in error messages.
    const NAME: &'static str;
}

/// Patterns with any number of senders: [`Sender`] is `Clone`.
///
/// # Examples
///
/// ```
/// fn fan_in<P: psyne::MultiProducer>(tx: &psyne::Sender<u64, P>) -> [psyne::Sender<u64, P>; 2] {
///     [tx.clone(), tx.clone()]
/// }
/// let (tx, _rx) = psyne::channel::<u64>().mpsc()?;
/// let [_a, _b] = fan_in(&tx);
/// # Ok::<(), psyne::BuildError>(())
/// ```
pub trait MultiProducer: Pattern {}
/// Patterns with any number of receivers: [`Receiver`] is `Clone`.
///
/// # Examples
///
/// ```
/// fn workers<P: psyne::MultiConsumer>(rx: &psyne::Receiver<u64, P>) -> [psyne::Receiver<u64, P>; 2] {
///     [rx.clone(), rx.clone()]
/// }
/// let (_tx, rx) = psyne::channel::<u64>().spmc()?;
/// let [_a, _b] = workers(&rx);
/// # Ok::<(), psyne::BuildError>(())
/// ```
pub trait MultiConsumer: Pattern {}

macro_rules! pattern {
    ($(#[$doc:meta])* $name:ident, $mp:literal, $mc:literal, $lit:literal) => {
        $(#[$doc])*
        ///
        /// A type-state marker (it has no values): name it with
        /// [`Builder::pattern`] or let a pattern method pick it.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("use psyne::{Pattern, ", stringify!($name), "};")]
        #[doc = concat!("assert_eq!(", stringify!($name), "::NAME, \"", $lit, "\");")]
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {}
        impl sealed::Sealed for $name {}
        impl Pattern for $name {
            const MULTI_PRODUCER: bool = $mp;
            const MULTI_CONSUMER: bool = $mc;
            const NAME: &'static str = $lit;
        }
    };
}

pattern!(
    /// One sender, one receiver: the fastest pattern. Neither handle can be
    /// cloned, so there is never a second one:
    ///
    /// ```compile_fail
    /// let (tx, _rx) = psyne::channel::<u64>().spsc().unwrap();
    /// let second = tx.clone(); // `Sender<u64, Spsc>` is not `Clone`
    /// ```
    ///
    /// ```compile_fail
    /// let (_tx, rx) = psyne::channel::<u64>().spsc().unwrap();
    /// let second = rx.clone(); // `Receiver<u64, Spsc>` is not `Clone`
    /// ```
    Spsc, false, false, "spsc"
);
pattern!(
    /// Many senders (the `Sender` is `Clone`), one receiver.
    Mpsc, true, false, "mpsc"
);
pattern!(
    /// One sender, many receivers (the `Receiver` is `Clone`); each message
    /// is received once, by whichever receiver takes it first.
    Spmc, false, true, "spmc"
);
pattern!(
    /// Many senders and many receivers; each message is received once.
    Mpmc, true, true, "mpmc"
);

impl MultiProducer for Mpsc {}
impl MultiProducer for Mpmc {}
impl MultiConsumer for Spmc {}
impl MultiConsumer for Mpmc {}
