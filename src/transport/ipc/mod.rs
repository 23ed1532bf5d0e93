//! `ipc://name`: zero-copy channels between processes of one host, over
//! shared memory.
//!
//! ```no_run
//! # pub async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Process A: binds and receives.
//! let mut rx = psyne::channel::<[u8]>().bytes(64 << 20).bind("ipc://camera").await?;
//! // Process B: connects and sends.
//! let mut tx = psyne::channel::<[u8]>().connect("ipc://camera").await?;
//! let mut frame = tx.reserve_bytes(1 << 20).await?;
//! frame.fill(7);
//! frame.commit();
//! // Process A, again: in place.
//! let frame = rx.recv().await.expect("a frame");
//! assert_eq!(frame.len(), 1 << 20);
//! # Ok(()) }
//! # fn main() {}
//! ```
//!
//! The ring lives in a shared mapping, and `Msg` / `SlotMut` point into it
//! exactly as in-process: a record is written once by the sender and read in
//! place by the receiver.
//!
//! # Setup and lifetime
//!
//! The binder creates a sealed memfd with the ring, and a listening
//! abstract Unix socket named `psyne/<name>`. A connecting process receives
//! the memfd (and the channel's eventfd) over that socket (`SCM_RIGHTS`),
//! checks the header (magic, layout version, pattern, geometry, schema
//! fingerprint) and maps it. Abstract sockets and memfds live in no
//! filesystem: whatever crashes, nothing is left in `/dev/shm` or anywhere
//! else, and the memory goes with its last user. A second binder of a
//! name gets [`AlreadyBound`](crate::ConnectError::AlreadyBound) (or, for
//! spmc and mpmc, joins as another receiver). The name is free again once
//! the binder's handles are gone; processes already connected keep the
//! channel.
//!
//! # Access
//!
//! Abstract sockets have no permission bits, so both ends check the other's
//! credentials (`SO_PEERCRED`): only processes of the same user connect.
//!
//! # Wake-ups
//!
//! Blocking waits sleep on a futex word in the shared header, async waits
//! on the channel's eventfd registered with tokio's reactor (outside a tokio
//! runtime, async waits poll). Either is woken only when the ring's waiting
//! bits say somebody may sleep; see `wait::shared`.
//!
//! # Crashes
//!
//! Every process attached to a channel runs a monitor thread that watches
//! the others through pidfds. When one dies, the first monitor to notice
//! gives back what it held: records it had reserved are aborted (receivers
//! skip them), records it had received are released, the arena lock of
//! variable-size multi-producer channels is broken, and its senders or
//! receivers stop counting, so receivers drain and end, or senders get
//! `Closed`. Processes must share a PID namespace (a connecting process in
//! another one is refused), since liveness is tracked by pid.
//!
//! The claims of a channel's only producer, and the takes of its only
//! consumer (unless the policy is overwrite-oldest, whose producers take
//! too), are found from the ring's cursors; the others are recorded per
//! record (its owner slot).
//!
//! Known gaps, each a window of a few instructions unless said otherwise:
//! where takes or claims are recorded, a process killed between claiming
//! (or taking, evictions by an overwrite-oldest producer included) a
//! record and recording itself as its owner leaves that record for nobody
//! to reap (for a batch send's run, the window is one store per record of
//! the run), and so does one killed between clearing that record to give
//! its claim back and restoring it when the give-back fails; one of
//! several producers killed after a batch counted its run as sent and
//! before it committed every record of it leaves `sent` counting the
//! records the reaper voids; one killed between counting itself on a side
//! and marking that in its slot (at connect), or between clearing the mark
//! and uncounting (when it leaves), leaves the side's count one too high,
//! so that side never closes; a monitor killed in the middle of reaping
//! leaves the slot half reaped. Not a window: the messages a process still
//! holds after its only receiver was dropped (a `Msg` outlives its
//! receiver) are not given back if it dies; the channel has no receiver
//! left to want them. A live process stopped while it holds the shared
//! arena lock (SIGSTOP, a debugger) stalls the other producers of a
//! variable-size multi-producer channel until it runs again.
//!
//! # Corruption
//!
//! Another process can write anything into the shared memory. The header is
//! checked and copied at connect time; record offsets and lengths are
//! checked as records are taken, and an impossible one makes the receiver
//! fail with [`TryRecvError::Corrupted`](crate::TryRecvError::Corrupted).
//! Indices into the ring are always reduced modulo its size, so no scribble
//! makes psyne read or write outside the mapping.

use std::fmt;
use std::os::fd::AsFd;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Duration;

use crate::channel::shared::{
    Config, Geometry, HOLDS_RECEIVERS, HOLDS_SENDERS, RecordLayout, Remote, Shared,
};
use crate::channel::stats::Tally;
use crate::channel::{Backpressure, Builder, Pattern, Receiver, Sender, Uri};
use crate::message::{Message, SchemaId, SchemaTable};
use crate::region::Place;
use crate::region::shm::ShmRegion;
use crate::ring::{Attach, Layout, MAX_OWNERS};
use crate::sync::Ordering;
use crate::transport::{ConnectError, IpcAccess};
use crate::wait::SharedWake;
use crate::wait::eventfd::EventFd;

pub(crate) mod handshake;
mod monitor;
mod segment;
#[cfg(test)]
pub(crate) mod test_child;

use handshake::{HandshakeError, Listener};
use monitor::{Attachment, HELLO, start_time};
use segment::{Options, PATTERNS, SLOT_ALIVE, SLOT_JOINING, Segment};

/// How long a connecting process waits for the binder's answer.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

fn pattern_index(name: &str) -> u32 {
    PATTERNS.iter().position(|p| *p == name).unwrap_or(0) as u32
}

fn handshake_error(uri: &Uri, e: HandshakeError) -> ConnectError {
    let uri = uri.to_string();
    match e {
        HandshakeError::NotFound => ConnectError::NotFound { uri },
        HandshakeError::AlreadyBound => ConnectError::AlreadyBound { uri },
        HandshakeError::PermissionDenied { peer_uid } => {
            ConnectError::PermissionDenied { uri, peer_uid: Some(peer_uid) }
        }
        // The binder closes the socket of a process it refuses.
        HandshakeError::Protocol("the peer closed the connection") => {
            ConnectError::PermissionDenied { uri, peer_uid: None }
        }
        HandshakeError::Protocol(what) => {
            ConnectError::Incompatible { uri, reason: format!("handshake failed: {what}") }
        }
        HandshakeError::NameTooLong { len } => ConnectError::Incompatible {
            uri,
            reason: format!("the name is {len} bytes, more than an ipc:// name may have"),
        },
        HandshakeError::Io(source) => ConnectError::Io { uri, source },
    }
}

fn io_error(uri: &Uri) -> impl Fn(std::io::Error) -> ConnectError + '_ {
    move |source| ConnectError::Io { uri: uri.to_string(), source }
}

/// Takes a free slot of the table for this process; its index.
fn join_table(segment: &Segment) -> Option<usize> {
    let pid = u64::from(std::process::id());
    let start = start_time(std::process::id()).unwrap_or(0);
    let control = segment.control();
    control.peers.iter().position(|peer| {
        // Relaxed: the slot is published by the Release store below.
        let joining = pid << 2 | SLOT_JOINING;
        if peer.word.compare_exchange(0, joining, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return false;
        }
        // Relaxed: published by the Release store of the word.
        peer.start.store(start, Ordering::Relaxed);
        peer.held.store(0, Ordering::Relaxed);
        // Release: monitors that read the word alive see the start time.
        peer.word.store(pid << 2 | SLOT_ALIVE, Ordering::Release);
        true
    })
}

/// The process-side state of an attached channel.
struct Attached {
    segment: Arc<Segment>,
    slot: usize,
    eventfd: EventFd,
}

impl Attached {
    /// Attaches this process (in `slot`, already joined) on one side,
    /// builds the channel state and starts the monitor. On error the slot
    /// is freed.
    fn finish(
        self,
        uri: &Uri,
        cfg: Config,
        sender: bool,
        limit: Option<usize>,
        listener: Option<(Listener, IpcAccess)>,
    ) -> Result<Arc<Shared>, ConnectError> {
        let Self { segment, slot, eventfd } = self;
        let control = segment.control();
        let peer = &control.peers[slot];
        let (side, bit) = if sender {
            (&control.senders, HOLDS_SENDERS)
        } else {
            (&control.receivers, HOLDS_RECEIVERS)
        };
        let free_slot = || peer.word.store(0, Ordering::Release);
        if let Err(e) = side.attach(limit) {
            free_slot();
            let uri = uri.to_string();
            return Err(match (e, sender) {
                (Attach::Taken, true) => ConnectError::SenderTaken { uri },
                (Attach::Taken, false) => ConnectError::ReceiverTaken { uri },
                (Attach::Closed, _) => ConnectError::Closed { uri },
            });
        }
        // AcqRel: the token of `Remote::leave`.
        peer.held.fetch_or(bit, Ordering::AcqRel);
        let undo = || {
            if peer.held.fetch_and(!bit, Ordering::AcqRel) & bit != 0 && side.detach() {
                // Nothing to wake: nobody could have waited on us yet.
            }
            free_slot();
        };
        let copy = match eventfd.fd().try_clone_to_owned().and_then(EventFd::from_fd) {
            Ok(copy) => copy,
            Err(e) => {
                undo();
                return Err(io_error(uri)(e));
            }
        };
        let attachment = match Attachment::start(segment.clone(), slot, listener, copy) {
            Ok(a) => a,
            Err(e) => {
                undo();
                return Err(io_error(uri)(e));
            }
        };
        let geometry = segment.header.geometry();
        let multi_producer_arena =
            matches!(geometry.layout, RecordLayout::Variable { .. }) && cfg.multi_producer;
        // The control block is inside the mapping that `attachment` (the
        // remote's `keep`, dropped last) keeps alive; its words are aligned
        // and accessed only atomically, by every process.
        // SAFETY: as just said.
        let senders = unsafe { Place::at(NonNull::from(&control.senders)) };
        // SAFETY: as just said.
        let receivers = unsafe { Place::at(NonNull::from(&control.receivers)) };
        // SAFETY: as just said.
        let held = unsafe { Place::at(NonNull::from(&peer.held)) };
        // SAFETY: as just said.
        let wake = unsafe { SharedWake::new(NonNull::from(&*control.wake), eventfd) };
        // SAFETY: as just said.
        let corrupt = unsafe { Place::at(NonNull::from(&*control.corrupt)) };
        // SAFETY: as just said (every field of the counters is an atomic).
        let stats = unsafe { Place::at(NonNull::from(&control.stats)) };
        let arena = multi_producer_arena.then(|| {
            // SAFETY: as just said.
            unsafe { Place::at(NonNull::from(&*control.arena)) }
        });
        let table = segment.clone();
        let alive = Box::new(move |n: usize| {
            // Acquire: as the monitor reads slot words.
            (1..=MAX_OWNERS).contains(&n)
                && table.control().peers[n - 1].word.load(Ordering::Acquire) != 0
        });
        let remote = Remote {
            alive,
            senders,
            receivers,
            held,
            wake,
            owner: slot + 1,
            arena,
            corrupt: Some(corrupt),
            stats: Some(stats),
            keep: Box::new(attachment),
        };
        // SAFETY: the ring is dropped with the `Shared`, before `remote`'s
        // `keep` unmaps (field order of `Shared`).
        let ring = unsafe { segment.ring(false) };
        let (senders, receivers) = if sender { (1, 0) } else { (0, 1) };
        // SAFETY: the records lie at `data()`, `geometry.bytes` long, in
        // the mapping that `remote.keep` keeps alive.
        let shared = unsafe {
            Shared::mapped(geometry, ring, segment.data(), cfg, remote, senders, receivers)
        };
        Ok(Arc::new(shared))
    }
}

/// `bind("ipc://name")`: creates the channel, or joins it as another
/// receiver where the pattern allows.
pub(crate) fn bind<T: Message + ?Sized, P: Pattern>(
    builder: Builder<T, P>,
    uri: Uri,
) -> Result<Receiver<T, P>, ConnectError> {
    let name = uri.address();
    let listener = match Listener::bind(name) {
        Ok(l) => l,
        Err(HandshakeError::AlreadyBound) if P::MULTI_CONSUMER => {
            return Ok(Receiver::new(open::<T, P>(&builder, &uri, false)?));
        }
        Err(e) => return Err(handshake_error(&uri, e)),
    };
    let (cfg, size, msg) = builder.config::<P>(Some(&uri))?;
    let geometry = Geometry::new(size, msg, cfg.type_name)?;
    let options = Options {
        pattern: pattern_index(P::NAME),
        parks: cfg.parks,
        take_multi: cfg.take_multi,
        packed: geometry.ring_layout(&cfg) == Layout::Packed,
        fingerprint: T::FINGERPRINT,
    };
    let schema = SchemaTable::from(T::SCHEMA).encode();
    let segment = Segment::create(name, &geometry, options, &schema).map_err(io_error(&uri))?;
    // SAFETY: initialises the fresh ring; nobody else has the segment yet,
    // and this temporary view is dropped at once.
    drop(unsafe { segment.ring(true) });
    let segment = Arc::new(segment);
    let slot = join_table(&segment).ok_or_else(|| table_full(&uri))?;
    let eventfd = EventFd::new().map_err(io_error(&uri))?;
    let attached = Attached { segment, slot, eventfd };
    let access = builder.access().clone();
    let shared = attached.finish(&uri, cfg, false, None, Some((listener, access)))?;
    Ok(Receiver::new(shared))
}

/// `connect("ipc://name")`: attaches a sender to a bound channel.
pub(crate) fn connect<T: Message + ?Sized, P: Pattern>(
    builder: Builder<T, P>,
    uri: Uri,
) -> Result<Sender<T, P>, ConnectError> {
    Ok(Sender::new(open::<T, P>(&builder, &uri, true)?))
}

fn table_full(uri: &Uri) -> ConnectError {
    ConnectError::Incompatible {
        uri: uri.to_string(),
        reason: format!("{MAX_OWNERS} processes are attached already, the most a channel takes"),
    }
}

/// Receives the segment of a bound channel from its binder, if `access`
/// allows the binder's user.
fn receive(uri: &Uri, access: &IpcAccess) -> Result<(Segment, EventFd), ConnectError> {
    let peer = handshake::connect(uri.address(), access).map_err(|e| handshake_error(uri, e))?;
    let answered = crate::wait::eventfd::poll_readable(peer.sock.as_fd(), HANDSHAKE_TIMEOUT)
        .map_err(io_error(uri))?;
    if !answered {
        return Err(ConnectError::Incompatible {
            uri: uri.to_string(),
            reason: format!("the binder did not answer within {HANDSHAKE_TIMEOUT:?}"),
        });
    }
    let mut hello = [0u8; 32];
    let ([region, eventfd], n) = handshake::recv_fds::<2>(peer.sock.as_fd(), &mut hello)
        .map_err(|e| handshake_error(uri, e))?;
    let Some(seen) = hello[..n].strip_prefix(HELLO).and_then(|p| <[u8; 4]>::try_from(p).ok())
    else {
        return Err(ConnectError::Incompatible {
            uri: uri.to_string(),
            reason: "the binder speaks another handshake (another psyne version?)".into(),
        });
    };
    // Liveness is tracked by pid: both processes must see the same pids.
    if u32::from_le_bytes(seen) != std::process::id() {
        return Err(ConnectError::Incompatible {
            uri: uri.to_string(),
            reason: "the binder runs in another PID namespace; ipc:// peers must share one".into(),
        });
    }
    let incompatible = |reason: String| ConnectError::Incompatible { uri: uri.to_string(), reason };
    let region =
        ShmRegion::open(region, 1, isize::MAX as usize).map_err(|e| incompatible(e.to_string()))?;
    let segment = Segment::open(region).map_err(|e| incompatible(e.to_string()))?;
    let eventfd = EventFd::from_fd(eventfd).map_err(io_error(uri))?;
    Ok((segment, eventfd))
}

/// Attaches to a bound channel as a sender or as another receiver, after
/// checking that it carries `T` in pattern `P` with options this side can
/// follow.
fn open<T: Message + ?Sized, P: Pattern>(
    builder: &Builder<T, P>,
    uri: &Uri,
    sender: bool,
) -> Result<Arc<Shared>, ConnectError> {
    let (segment, eventfd) = receive(uri, builder.access())?;
    let header = segment.header;
    let bound = PATTERNS[header.pattern as usize];
    if bound != P::NAME {
        return Err(ConnectError::PatternMismatch {
            uri: uri.to_string(),
            bound,
            requested: P::NAME,
        });
    }
    if header.fingerprint != T::FINGERPRINT {
        let table = SchemaTable::decode(&segment.schema_bytes()).ok();
        let peer = match &table {
            Some(t) => t.schema_id(),
            None => SchemaId::new("<unreadable schema table>", 0, header.fingerprint),
        };
        let difference = table.and_then(|t| SchemaTable::from(T::SCHEMA).first_difference(&t));
        return Err(ConnectError::SchemaMismatch {
            uri: uri.to_string(),
            local: Box::new(T::SCHEMA.schema_id()),
            peer: Box::new(peer),
            difference,
        });
    }
    let (mut cfg, _, msg) = builder.config::<P>(Some(uri))?;
    let incompatible = |reason: &str| ConnectError::Incompatible {
        uri: uri.to_string(),
        reason: reason.to_owned(),
    };
    // Same fingerprint, so the same layout; this guards the header's
    // geometry against a lying binder.
    match (header.geometry().layout, msg) {
        (RecordLayout::Fixed { size, .. }, Some((msg_size, _))) if size == msg_size => {}
        (RecordLayout::Variable { arena }, msg) if msg.is_none_or(|(m, _)| m as u64 <= arena) => {}
        _ => return Err(incompatible("the channel's record geometry does not fit the message")),
    }
    if !header.parks() && cfg.wait.parks() {
        return Err(incompatible(
            "the binder never wakes sleepers (it was built with a spinning wait strategy); \
             connect with `WaitStrategy::BusySpin` or `SpinYield`",
        ));
    }
    if !header.take_multi() && cfg.backpressure == Backpressure::OverwriteOldest {
        return Err(incompatible(
            "overwrite-oldest senders need a channel bound with `Backpressure::OverwriteOldest`",
        ));
    }
    cfg.parks = header.parks();
    cfg.take_multi = header.take_multi();
    let segment = Arc::new(segment);
    let slot = join_table(&segment).ok_or_else(|| table_full(uri))?;
    let limit = match (sender, P::MULTI_PRODUCER, P::MULTI_CONSUMER) {
        (true, false, _) | (false, _, false) => Some(1),
        _ => None,
    };
    Attached { segment, slot, eventfd }.finish(uri, cfg, sender, limit, None)
}

/// An `ipc://` channel bound on this host, as [`list`] reports it.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let uri = format!("ipc://doc-info-{}", std::process::id());
/// let _rx = psyne::channel::<[u8]>().bytes(4096).bind(&uri).await?;
/// for channel in psyne::transport::ipc::list()? {
///     println!("{channel}"); // ipc://name pattern schema (sizes, depth, processes)
/// }
/// let info = psyne::transport::ipc::list()?.into_iter().find(|c| uri.ends_with(&c.name));
/// assert_eq!(info.map(|c| c.bytes), Some(4096));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The name (the URI is `ipc://<name>`).
    pub name: String,
    /// The pattern: `"spsc"`, `"mpsc"`, `"spmc"` or `"mpmc"`.
    pub pattern: &'static str,
    /// The message's schema.
    pub schema: SchemaId,
    /// Bytes of record storage.
    pub bytes: usize,
    /// Number of record descriptors (the most records in flight).
    pub capacity: usize,
    /// Records committed or in flight and not yet released (approximate).
    pub depth: u64,
    /// Processes holding senders.
    pub sender_processes: usize,
    /// Processes holding receivers.
    pub receiver_processes: usize,
    /// The pids of the attached processes.
    pub pids: Vec<u32>,
    /// The channel's counters, as its handles' `stats()` give them.
    pub stats: crate::Stats,
}

impl fmt::Display for ChannelInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ipc://{} {} {} v{} ({} bytes, {} records, depth {}, {} sending / {} receiving \
             processes)",
            self.name,
            self.pattern,
            self.schema.name(),
            self.schema.version(),
            self.bytes,
            self.capacity,
            self.depth,
            self.sender_processes,
            self.receiver_processes
        )
    }
}

/// Lists the `ipc://` channels bound on this host (in this network
/// namespace) that this user may open: name, pattern, schema, size, depth
/// and attached processes. Channels of other users, and channels that go
/// away while they are being read, are left out.
///
/// # Errors
///
/// The kernel's table of Unix sockets (`/proc/net/unix`) cannot be read.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let name = format!("doc-list-{}", std::process::id());
/// let _rx = psyne::channel::<u64>().bind(&format!("ipc://{name}")).await?;
/// let mut tx = psyne::channel::<u64>().connect(&format!("ipc://{name}")).await?;
/// tx.send(7).await?;
/// let found = psyne::transport::ipc::list()?;
/// let info = found.iter().find(|c| c.name == name).expect("listed");
/// assert_eq!(info.pattern, "spsc");
/// assert_eq!(info.schema.name(), "u64");
/// assert_eq!(info.receiver_processes, 1);
/// assert_eq!((info.stats.sent, info.depth), (1, 1));
/// # Ok(())
/// # }
/// ```
pub fn list() -> std::io::Result<Vec<ChannelInfo>> {
    let mut out = Vec::new();
    for name in handshake::bound_names()? {
        let Ok(uri) = format!("ipc://{name}").parse::<Uri>() else { continue };
        let Ok((segment, _)) = receive(&uri, &IpcAccess::SameUser) else { continue };
        let header = segment.header;
        let Ok(table) = SchemaTable::decode(&segment.schema_bytes()) else { continue };
        let control = segment.control();
        // SAFETY: a temporary view, dropped before `segment`.
        let ring = unsafe { segment.ring(false) };
        let pids = control
            .peers
            .iter()
            .map(|p| p.word.load(Ordering::Acquire))
            .filter(|w| *w != 0)
            .map(|w| (w >> 2) as u32)
            .collect();
        let count = |bits: usize| {
            control
                .peers
                .iter()
                .filter(|p| p.word.load(Ordering::Acquire) != 0)
                .filter(|p| p.held.load(Ordering::Acquire) & bits != 0)
                .count()
        };
        // One look at the cursors for both depths.
        let fixed_size = match header.geometry().layout {
            RecordLayout::Fixed { size, .. } => Some(size),
            RecordLayout::Variable { .. } => None,
        };
        let pattern = PATTERNS[header.pattern as usize];
        let tally = Tally::of(
            fixed_size.is_some(),
            header.multi_producer(),
            header.multi_consumer(),
            header.take_multi(),
        );
        let stats = control.stats.snapshot(&ring, tally, header.data_len as usize, fixed_size);
        out.push(ChannelInfo {
            name,
            pattern,
            schema: table.schema_id(),
            bytes: header.data_len as usize,
            capacity: header.descs as usize,
            depth: stats.depth,
            sender_processes: count(HOLDS_SENDERS),
            receiver_processes: count(HOLDS_RECEIVERS),
            pids,
            stats,
        });
        drop(ring);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
