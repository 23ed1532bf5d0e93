//! `psyne::channel::<T>()` and its builder.

use std::fmt;
use std::marker::PhantomData;

use crate::channel::shared::{Config, Shared, Size};
use crate::channel::{Backpressure, BuildError, Mpmc, Mpsc, Pattern, Spmc, Spsc};
use crate::channel::{Receiver, Sender, Uri};
use crate::message::{self, Message};
use crate::sync::Arc;
use crate::transport::{self, ConnectError, IpcAccess};
use crate::wait::WaitStrategy;

/// Records of a fixed-size channel when neither `capacity` nor `bytes` is
/// given.
const DEFAULT_RECORDS: usize = 1024;
/// Bytes of a variable-size channel when neither is given.
const DEFAULT_BYTES: usize = 1 << 20;

/// Starts building a channel of messages of type `T`.
///
/// `T` is a fixed-size message (a struct, an integer, an array) or a
/// variable-size one ending in a slice (`[u8]`, `[f32]`, a struct with a
/// trailing slice).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(1024).spsc()?;
/// tx.send(42).await?;
/// assert_eq!(*rx.recv().await.unwrap(), 42);
/// # Ok(())
/// # }
/// ```
pub fn channel<T: Message + ?Sized>() -> Builder<T> {
    Builder {
        size: None,
        backpressure: Backpressure::Wait,
        wait: WaitStrategy::default(),
        zero_on_reserve: true,
        access: IpcAccess::SameUser,
        _marker: PhantomData,
    }
}

/// Configures a channel; made by [`channel`].
///
/// Sizing: [`capacity`](Self::capacity) (records, for fixed-size messages,
/// default 1024) or [`bytes`](Self::bytes) (ring bytes, for variable-size
/// messages, default 1 MiB). Then a pattern method builds an in-process pair,
/// or [`bind`](Self::bind) / [`connect`](Self::connect) use a URI with the
/// pattern chosen by [`pattern`](Self::pattern).
///
/// # Examples
///
/// ```
/// use psyne::{Backpressure, WaitStrategy};
///
/// let (tx, _rx) = psyne::channel::<[f32]>()
///     .bytes(1 << 20)
///     .backpressure(Backpressure::FailFast)
///     .wait_strategy(WaitStrategy::BusySpin)
///     .mpsc()?;
/// let _tx2 = tx.clone();
/// # Ok::<(), psyne::BuildError>(())
/// ```
pub struct Builder<T: ?Sized, P = Spsc> {
    size: Option<Size>,
    backpressure: Backpressure,
    wait: WaitStrategy,
    zero_on_reserve: bool,
    access: IpcAccess,
    _marker: PhantomData<(fn() -> *const T, P)>,
}

impl<T: ?Sized, P> fmt::Debug for Builder<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("type", &std::any::type_name::<T>())
            .field("size", &self.size)
            .field("backpressure", &self.backpressure)
            .field("wait", &self.wait)
            .field("zero_on_reserve", &self.zero_on_reserve)
            .field("ipc_access", &self.access)
            .finish()
    }
}

impl<T: Message + ?Sized, P: Pattern> Builder<T, P> {
    /// Sizes the ring in records (fixed-size messages). It is exact: the
    /// channel holds at most `n` records in flight, counting those being
    /// written and those received but still held as [`Msg`](crate::Msg).
    /// Records are reused in ring order, so a record held longer than one lap
    /// makes senders wait for it (see [`Msg`](crate::Msg#holding-messages)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = psyne::channel::<u32>().capacity(100).spsc()?;
    /// assert_eq!(tx.stats().capacity, 100);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn capacity(mut self, records: usize) -> Self {
        self.size = Some(Size::Records(records));
        self
    }

    /// Sizes the ring in bytes; records then have their own lengths
    /// (`reserve_len`, `reserve_bytes`). Rounded up to a multiple of 64.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<[u8]>().bytes(4096).spsc()?;
    /// tx.try_reserve_bytes(3)?.commit();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bytes(mut self, bytes: usize) -> Self {
        self.size = Some(Size::Bytes(bytes));
        self
    }

    /// What a full channel does to senders; see [`Backpressure`].
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Backpressure;
    /// let (mut tx, _rx) = psyne::channel::<u8>()
    ///     .capacity(1)
    ///     .backpressure(Backpressure::DropNewest)
    ///     .spsc()?;
    /// tx.try_send(1).unwrap();
    /// tx.try_send(2).unwrap(); // dropped, counted
    /// assert_eq!(tx.stats().dropped, 1);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn backpressure(mut self, policy: Backpressure) -> Self {
        self.backpressure = policy;
        self
    }

    /// How waiting operations wait; see [`WaitStrategy`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, _rx) = psyne::channel::<u64>()
    ///     .wait_strategy(psyne::WaitStrategy::BusySpin)
    ///     .spsc()?;
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn wait_strategy(mut self, strategy: WaitStrategy) -> Self {
        self.wait = strategy;
        self
    }

    /// Whether reservations hand out zeroed records (the default) or the
    /// bytes a previous message left there. Turn it off for large payloads
    /// the producer overwrites completely anyway: zeroing a 1 MiB record
    /// costs as much as writing it. Either way the record's bytes are
    /// initialised and every bit pattern is a valid `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = psyne::channel::<[u8]>()
    ///     .bytes(1 << 20)
    ///     .zero_on_reserve(false)
    ///     .spsc()?;
    /// let mut slot = tx.try_reserve_bytes(4096)?;
    /// slot.fill(7); // every byte written, so stale bytes never show
    /// slot.commit();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn zero_on_reserve(mut self, zero: bool) -> Self {
        self.zero_on_reserve = zero;
        self
    }

    /// Which users' processes may meet this one on an `ipc://` channel
    /// (default: this process's user only); see [`IpcAccess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::IpcAccess;
    /// let builder = psyne::channel::<u64>().ipc_access(IpcAccess::AnyUser);
    /// # let _ = builder;
    /// ```
    pub fn ipc_access(mut self, access: IpcAccess) -> Self {
        self.access = access;
        self
    }

    /// The `ipc://` access policy.
    #[cfg_attr(not(all(feature = "ipc", target_os = "linux", not(loom))), allow(dead_code))]
    pub(crate) fn access(&self) -> &IpcAccess {
        &self.access
    }

    /// Chooses the pattern that [`bind`](Self::bind) and
    /// [`connect`](Self::connect) use (default [`Spsc`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use psyne::Mpsc;
    /// let _rx = psyne::channel::<u64>().pattern::<Mpsc>().bind("memory://doc-pattern").await?;
    /// let tx1 = psyne::channel::<u64>().pattern::<Mpsc>().connect("memory://doc-pattern").await?;
    /// let _tx2 = tx1.clone();
    /// # Ok(())
    /// # }
    /// ```
    pub fn pattern<Q: Pattern>(self) -> Builder<T, Q> {
        Builder {
            size: self.size,
            backpressure: self.backpressure,
            wait: self.wait,
            zero_on_reserve: self.zero_on_reserve,
            access: self.access,
            _marker: PhantomData,
        }
    }

    /// Builds an in-process pair of the pattern chosen with
    /// [`pattern`](Self::pattern) (default [`Spsc`]), for code generic over
    /// patterns.
    ///
    /// # Errors
    ///
    /// As [`spsc`](Self::spsc).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::{Pattern, Receiver, Sender};
    ///
    /// fn roundtrip<P: Pattern>() -> u64 {
    ///     let (mut tx, mut rx): (Sender<u64, P>, Receiver<u64, P>) =
    ///         psyne::channel::<u64>().capacity(4).pattern::<P>().build().unwrap();
    ///     tx.try_send(7).unwrap();
    ///     *rx.try_recv().unwrap()
    /// }
    /// assert_eq!(roundtrip::<psyne::Mpmc>(), 7);
    /// ```
    pub fn build(self) -> Result<(Sender<T, P>, Receiver<T, P>), BuildError> {
        self.pair()
    }

    /// Builds the in-process pair of pattern `Q`.
    fn pair<Q: Pattern>(&self) -> Result<(Sender<T, Q>, Receiver<T, Q>), BuildError> {
        let shared = Arc::new(self.shared::<Q>(None, 1, 1)?);
        Ok((Sender::new(shared.clone()), Receiver::new(shared)))
    }

    /// The shared state of a new channel of pattern `Q`.
    pub(crate) fn shared<Q: Pattern>(
        &self,
        uri: Option<&Uri>,
        senders: usize,
        receivers: usize,
    ) -> Result<Shared, BuildError> {
        let (cfg, size, message) = self.config::<Q>(uri)?;
        Shared::new(size, message, cfg, senders, receivers)
    }

    /// What a channel of pattern `Q` is built with: its configuration, its
    /// size, and the message's `(size, align)` (`None`: variable size).
    pub(crate) fn config<Q: Pattern>(
        &self,
        uri: Option<&Uri>,
    ) -> Result<(Config, Size, Option<(usize, usize)>), BuildError> {
        let type_name = std::any::type_name::<T>();
        let align = T::ALIGN;
        if align > message::MAX_ALIGN {
            return Err(BuildError::AlignTooLarge { type_name });
        }
        let message = (!message::is_variable::<T>()).then(|| (message::base_size::<T>(), align));
        let size = self.size.unwrap_or(match message {
            Some(_) => Size::Records(DEFAULT_RECORDS),
            None => Size::Bytes(DEFAULT_BYTES),
        });
        let cfg = Config {
            backpressure: self.backpressure,
            wait: self.wait,
            zero_on_reserve: self.zero_on_reserve,
            multi_producer: Q::MULTI_PRODUCER,
            multi_consumer: Q::MULTI_CONSUMER,
            pattern: Q::NAME,
            take_multi: Q::MULTI_CONSUMER || self.backpressure == Backpressure::OverwriteOldest,
            parks: self.wait.parks(),
            type_name,
            schema: T::SCHEMA,
            uri: uri.map(ToString::to_string),
        };
        Ok((cfg, size, message))
    }

    /// Builds a single-producer, single-consumer pair.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] if the size is 0, too large, or does not suit `T`
    /// (e.g. `capacity` for a variable-size `T`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = psyne::channel::<u64>().capacity(16).spsc()?;
    /// tx.send_blocking(1).unwrap();
    /// assert_eq!(*rx.recv_blocking().unwrap(), 1);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn spsc(self) -> Result<(Sender<T, Spsc>, Receiver<T, Spsc>), BuildError> {
        self.pair()
    }

    /// Builds a multi-producer, single-consumer pair (clone the sender).
    ///
    /// # Errors
    ///
    /// As [`spsc`](Self::spsc).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = psyne::channel::<u64>().capacity(16).mpsc()?;
    /// let handles: Vec<_> = (0..4u64)
    ///     .map(|i| {
    ///         let mut tx = tx.clone();
    ///         std::thread::spawn(move || tx.send_blocking(i).unwrap())
    ///     })
    ///     .collect();
    /// drop(tx);
    /// handles.into_iter().for_each(|h| h.join().unwrap());
    /// let mut sum = 0;
    /// while let Some(m) = rx.recv_blocking() {
    ///     sum += *m;
    /// }
    /// assert_eq!(sum, 6);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn mpsc(self) -> Result<(Sender<T, Mpsc>, Receiver<T, Mpsc>), BuildError> {
        self.pair()
    }

    /// Builds a single-producer, multi-consumer pair (clone the receiver;
    /// each message goes to one receiver).
    ///
    /// # Errors
    ///
    /// As [`spsc`](Self::spsc).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = psyne::channel::<u64>().capacity(16).spmc()?;
    /// let mut rx2 = rx.clone();
    /// tx.try_send(5).unwrap();
    /// assert_eq!(*rx2.try_recv().unwrap(), 5);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn spmc(self) -> Result<(Sender<T, Spmc>, Receiver<T, Spmc>), BuildError> {
        self.pair()
    }

    /// Builds a multi-producer, multi-consumer pair.
    ///
    /// # Errors
    ///
    /// As [`spsc`](Self::spsc).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = psyne::channel::<u64>().capacity(16).mpmc()?;
    /// let (mut tx2, mut rx2) = (tx.clone(), rx.clone());
    /// tx2.try_send(9).unwrap();
    /// assert_eq!(*rx2.try_recv().unwrap(), 9);
    /// # Ok::<(), psyne::BuildError>(())
    /// ```
    pub fn mpmc(self) -> Result<(Sender<T, Mpmc>, Receiver<T, Mpmc>), BuildError> {
        self.pair()
    }

    /// Creates the channel named by `uri` and returns its receiving end.
    ///
    /// `memory://name` channels live in this process; other parts of the
    /// program reach them with [`connect`](Self::connect). A second `bind`
    /// of a live name joins as another receiver where the pattern allows it.
    /// The name is free again once the channel closes.
    ///
    /// # Errors
    ///
    /// [`ConnectError`] for a malformed URI, a scheme this build does not
    /// support, a name bound with another type or pattern, or a second
    /// receiver of a single-consumer channel.
    ///
    /// # Cancel safety
    ///
    /// Binding completes without waiting; dropping the future before it is
    /// polled binds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut rx = psyne::channel::<u64>().bind("memory://doc-bind").await?;
    /// let mut tx = psyne::channel::<u64>().connect("memory://doc-bind").await?;
    /// tx.send(3).await?;
    /// assert_eq!(*rx.recv().await.unwrap(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind(self, uri: &str) -> Result<Receiver<T, P>, ConnectError> {
        let uri: Uri = uri.parse()?;
        transport::bind(self, uri)
    }

    /// Connects to the channel named by `uri` and returns a sending end.
    ///
    /// # Errors
    ///
    /// [`ConnectError`] for a malformed URI, an unsupported scheme, no channel
    /// bound under the name, a type or pattern mismatch, or a second sender
    /// of a single-producer channel.
    ///
    /// # Cancel safety
    ///
    /// Connecting completes without waiting; dropping the future before it is
    /// polled connects nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = psyne::channel::<u64>().connect("memory://doc-nobody").await.unwrap_err();
    /// assert!(matches!(err, psyne::ConnectError::NotFound { .. }));
    /// # }
    /// ```
    pub async fn connect(self, uri: &str) -> Result<Sender<T, P>, ConnectError> {
        let uri: Uri = uri.parse()?;
        transport::connect(self, uri)
    }
}
