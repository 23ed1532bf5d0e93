//! The channel conformance suite: every behaviour written once, generic over
//! the substrate the channel runs on (an in-process pair, a `memory://`
//! name, an `ipc://` name in shared memory) and over the pattern, and
//! instantiated for each.

#[allow(clippy::disallowed_types)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::executor::block_on;
use psyne::message::types::FloatVector;
use psyne::{
    Backpressure, MultiConsumer, MultiProducer, Pattern, Receiver, ReserveError, SendError, Sender,
    TryRecvError,
};

/// Where a channel under test lives.
trait Substrate {
    /// A channel of `u64` with `cap` records.
    fn fixed<P: Pattern>(cap: usize) -> (Sender<u64, P>, Receiver<u64, P>) {
        Self::with_policy(cap, Backpressure::Wait)
    }
    /// A channel of `u64` with `cap` records whose sender follows `policy`.
    fn with_policy<P: Pattern>(
        cap: usize,
        policy: Backpressure,
    ) -> (Sender<u64, P>, Receiver<u64, P>);
    /// A channel of byte records with `bytes` of ring.
    fn bytes<P: Pattern>(bytes: usize) -> (Sender<[u8], P>, Receiver<[u8], P>);
    /// A channel of `FloatVector`s (a header and a trailing slice) with
    /// `bytes` of ring.
    fn vectors<P: Pattern>(bytes: usize) -> (Sender<FloatVector, P>, Receiver<FloatVector, P>);
    /// Another sender of the channel `tx` belongs to, attached the way a
    /// second producer would attach.
    fn another<P: MultiProducer>(tx: &Sender<u64, P>) -> Sender<u64, P>;
}

// Not the ring's atomics (which must come from `psyne::sync` for loom): a
// plain counter for unique names.
#[allow(clippy::disallowed_types)]
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique(scheme: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{scheme}://conformance-{}-{n}", std::process::id())
}

struct Inproc;

impl Substrate for Inproc {
    fn with_policy<P: Pattern>(
        cap: usize,
        policy: Backpressure,
    ) -> (Sender<u64, P>, Receiver<u64, P>) {
        psyne::channel::<u64>().capacity(cap).backpressure(policy).pattern::<P>().build().unwrap()
    }
    fn bytes<P: Pattern>(bytes: usize) -> (Sender<[u8], P>, Receiver<[u8], P>) {
        psyne::channel::<[u8]>().bytes(bytes).pattern::<P>().build().unwrap()
    }
    fn vectors<P: Pattern>(bytes: usize) -> (Sender<FloatVector, P>, Receiver<FloatVector, P>) {
        psyne::channel::<FloatVector>().bytes(bytes).pattern::<P>().build().unwrap()
    }
    fn another<P: MultiProducer>(tx: &Sender<u64, P>) -> Sender<u64, P> {
        tx.clone()
    }
}

/// Named channels: bind, then connect by URI.
struct Named<const IPC: bool>;
type Memory = Named<false>;
#[cfg(all(feature = "ipc", target_os = "linux"))]
type Ipc = Named<true>;

impl<const IPC: bool> Named<IPC> {
    fn uri() -> String {
        unique(if IPC { "ipc" } else { "memory" })
    }
}

impl<const IPC: bool> Substrate for Named<IPC> {
    fn with_policy<P: Pattern>(
        cap: usize,
        policy: Backpressure,
    ) -> (Sender<u64, P>, Receiver<u64, P>) {
        let uri = Self::uri();
        let builder = || psyne::channel::<u64>().backpressure(policy).pattern::<P>();
        let rx = block_on(builder().capacity(cap).bind(&uri));
        let tx = block_on(builder().connect(&uri));
        (tx.unwrap(), rx.unwrap())
    }
    fn bytes<P: Pattern>(bytes: usize) -> (Sender<[u8], P>, Receiver<[u8], P>) {
        let uri = Self::uri();
        let rx = block_on(psyne::channel::<[u8]>().bytes(bytes).pattern::<P>().bind(&uri));
        let tx = block_on(psyne::channel::<[u8]>().pattern::<P>().connect(&uri));
        (tx.unwrap(), rx.unwrap())
    }
    fn vectors<P: Pattern>(bytes: usize) -> (Sender<FloatVector, P>, Receiver<FloatVector, P>) {
        let uri = Self::uri();
        let rx = block_on(psyne::channel::<FloatVector>().bytes(bytes).pattern::<P>().bind(&uri));
        let tx = block_on(psyne::channel::<FloatVector>().pattern::<P>().connect(&uri));
        (tx.unwrap(), rx.unwrap())
    }
    fn another<P: MultiProducer>(tx: &Sender<u64, P>) -> Sender<u64, P> {
        let uri = tx.uri().expect("a named channel").to_owned();
        block_on(psyne::channel::<u64>().pattern::<P>().connect(&uri)).unwrap()
    }
}

/// Sends 0..n from a thread; receives them in order; then the channel ends.
fn fifo_then_end<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(8);
    let n = 2000;
    let sender = std::thread::spawn(move || {
        for i in 0..n {
            tx.send_blocking(i).unwrap();
        }
    });
    for i in 0..n {
        assert_eq!(*rx.recv_blocking().expect("message"), i);
    }
    sender.join().unwrap();
    assert!(rx.recv_blocking().is_none(), "ends once the sender is gone");
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Closed);
}

/// Receives in runs (`recv_batch_blocking`) while a thread sends 0..n: in
/// order, nothing lost; dropping each run (or each of its messages, taken
/// apart with `into_iter`) frees its records for the sender; then the
/// channel ends.
fn batches_in_order<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(8);
    let n = 2000;
    let sender = std::thread::spawn(move || {
        for i in 0..n {
            tx.send_blocking(i).unwrap();
        }
    });
    let (mut next, mut limit) = (0, 0);
    while let Some(batch) = rx.recv_batch_blocking(limit % 9 + 1) {
        if limit % 3 == 0 {
            // Taken apart: each message released on its own, newest first.
            let mut msgs: Vec<_> = batch.into_iter().collect();
            for m in &msgs {
                assert_eq!(**m, next);
                next += 1;
            }
            while msgs.pop().is_some() {}
        } else {
            for m in &batch {
                assert_eq!(*m, next);
                next += 1;
            }
        }
        limit += 1;
    }
    sender.join().unwrap();
    assert_eq!(next, n, "every message once");
}

/// Once every receiver is gone, sends fail and give the value back.
fn sends_fail_without_receivers<S: Substrate, P: Pattern>() {
    let (mut tx, rx) = S::fixed::<P>(4);
    tx.try_send(1).unwrap();
    drop(rx);
    assert!(tx.is_closed());
    match tx.try_send(7) {
        Err(SendError::Closed(v)) => assert_eq!(v, 7),
        other => panic!("expected Closed(7), got {other:?}"),
    }
    assert!(matches!(tx.try_reserve(), Err(ReserveError::Closed)));
}

/// A dropped reservation is never received; its space comes back.
fn aborted_reservations_vanish<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(2);
    for round in 0..5u64 {
        let mut slot = tx.try_reserve().unwrap();
        *slot = 100 + round;
        drop(slot);
        let mut slot = tx.try_reserve().unwrap();
        *slot = round;
        slot.commit();
        assert_eq!(*rx.try_recv().unwrap(), round);
        assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
    }
    assert_eq!(tx.stats().aborted, 5);
}

/// Messages held and dropped in any order free their records.
fn release_in_any_order<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(4);
    for lap in 0..3u64 {
        for i in 0..4 {
            tx.try_send(lap * 10 + i).unwrap();
        }
        assert!(matches!(tx.try_send(99), Err(SendError::Full(99))));
        let mut held: Vec<_> = (0..4).map(|_| rx.try_recv().unwrap()).collect();
        let values: Vec<u64> = held.iter().map(|m| **m).collect();
        assert_eq!(values, (0..4).map(|i| lap * 10 + i).collect::<Vec<_>>());
        // Drop 2, 0, 3, 1.
        for i in [2, 0, 1, 0] {
            drop(held.remove(i));
        }
    }
    assert_eq!(rx.stats().received, 12);
}

/// Records of many sizes, wrapping round the arena, arrive intact.
fn variable_records_wrap<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::bytes::<P>(4096);
    let n = 600usize;
    let len = |i: usize| (i * 37) % 700 + 1;
    let sender = std::thread::spawn(move || {
        for i in 0..n {
            let mut slot = tx.reserve_bytes_blocking(len(i)).unwrap();
            slot.fill(i as u8);
            slot.commit();
        }
    });
    for i in 0..n {
        let m = rx.recv_blocking().expect("record");
        assert_eq!(m.len(), len(i), "record {i}");
        assert!(m.iter().all(|b| *b == i as u8), "record {i} intact");
        assert_eq!(m.as_ptr() as usize % 64, 0, "payloads are 64-byte aligned");
    }
    sender.join().unwrap();
    assert!(rx.recv_blocking().is_none());
    // A record larger than the ring is an error at once.
    let (mut tx, _rx) = S::bytes::<P>(256);
    assert!(matches!(tx.try_reserve_bytes(257), Err(ReserveError::TooLarge { .. })));
}

/// Borrowed receives (`try_recv_ref`, `recv_ref_blocking`, `recv_ref`):
/// in order through a tiny ring whose sender parks, each record released
/// when its `MsgRef` drops, the end of the channel seen, and `into_msg`
/// keeping a message past its receiver.
fn borrowed_receives<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(2);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    {
        let held = rx.try_recv_ref().unwrap();
        assert_eq!(*held, 0);
        assert!(matches!(tx.try_send(9), Err(SendError::Full(9))), "the MsgRef holds its record");
    }
    tx.try_send(2).unwrap();
    let n = 1000u64;
    let sender = std::thread::spawn(move || {
        for i in 3..n {
            tx.send_blocking(i).unwrap();
        }
    });
    let mut next = 1;
    while next < n / 2 {
        assert_eq!(*rx.recv_ref_blocking().unwrap(), next);
        next += 1;
    }
    block_on(async {
        while let Some(m) = rx.recv_ref().await {
            assert_eq!(*m, next);
            next += 1;
        }
    });
    sender.join().unwrap();
    assert_eq!(next, n, "every message once");
    assert!(rx.recv_ref_blocking().is_none());
    assert_eq!(rx.try_recv_ref().unwrap_err(), TryRecvError::Closed);

    let (mut tx, mut rx) = S::fixed::<P>(2);
    tx.try_send(7).unwrap();
    let kept = rx.try_recv_ref().unwrap().into_msg();
    drop(rx);
    assert_eq!(*kept, 7);
}

/// The backpressure policies, the counters of `stats()`, and `into_bytes`
/// behave the same on every substrate.
fn policies_stats_and_bytes<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::with_policy::<P>(2, Backpressure::FailFast);
    tx.send_blocking(1).unwrap();
    tx.send_blocking(2).unwrap();
    assert_eq!(tx.send_blocking(3), Err(SendError::Full(3)));
    assert_eq!(tx.reserve_blocking().unwrap_err(), ReserveError::Full);
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.depth, s.capacity, s.full_events), (2, 0, 2, 2, 2));
    let m = rx.try_recv().unwrap();
    let addr = m.as_bytes().as_ptr();
    let bytes = m.into_bytes();
    assert_eq!((&bytes[..], bytes.as_ptr()), (&1u64.to_ne_bytes()[..], addr), "in place");
    tx.try_send(3).unwrap_err(); // the `Bytes` still holds its record
    drop(bytes);
    tx.try_send(3).unwrap();
    assert_eq!(tx.stats().received, 1);

    let (mut tx, mut rx) = S::with_policy::<P>(2, Backpressure::DropNewest);
    for i in 0..5 {
        tx.send_blocking(i).unwrap();
    }
    assert_eq!(tx.stats().dropped, 3);
    assert_eq!((*rx.try_recv().unwrap(), *rx.try_recv().unwrap()), (0, 1));
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);

    let (mut tx, mut rx) = S::with_policy::<P>(3, Backpressure::OverwriteOldest);
    for i in 0..10 {
        tx.send_blocking(i).unwrap();
    }
    let got: Vec<u64> = (0..3).map(|_| *rx.try_recv().unwrap()).collect();
    assert_eq!(got, [7, 8, 9]);
    assert_eq!(rx.stats().dropped, 7);
}

/// `Sender` as a `Sink` (`send_all`, through a tiny ring so that it waits
/// for room) and `Receiver` as a `Stream` (ending once the sender is gone),
/// on tokio tasks.
fn sink_and_stream<S: Substrate, P: Pattern>() {
    use futures::{SinkExt, StreamExt};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (mut tx, rx) = S::fixed::<P>(2);
    rt.block_on(async move {
        let sender = tokio::spawn(async move {
            let mut items = futures::stream::iter(0..500u64).map(Ok);
            tx.send_all(&mut items).await.unwrap();
            tx.close().await.unwrap();
        });
        let all = async { rx.map(|m| *m).collect::<Vec<_>>().await };
        let got = tokio::time::timeout(Duration::from_secs(30), all).await.expect("no hang");
        sender.await.unwrap();
        assert_eq!(got, (0..500).collect::<Vec<_>>());
    });
}

/// Messages with a trailing slice (`reserve_len`): the length field and the
/// elements written in place arrive intact, across wrap-arounds, with
/// lengths from empty to most of the ring.
fn trailing_slices_round_trip<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::vectors::<P>(4096);
    for (i, n) in
        [0usize, 1, 15, 16, 17, 500, 3, 900, 64, 7].into_iter().cycle().take(60).enumerate()
    {
        let mut v = tx.try_reserve_len(n).unwrap();
        for (j, x) in v.data.iter_mut().enumerate() {
            *x = (i * 1000 + j) as f32;
        }
        v.commit();
        let m = rx.try_recv().unwrap();
        assert_eq!((m.len as usize, m.data.len()), (n, n), "message {i}");
        assert!(m.data.iter().enumerate().all(|(j, x)| *x == (i * 1000 + j) as f32));
    }
    assert!(matches!(tx.try_reserve_len(100_000), Err(ReserveError::TooLarge { .. })));
}

/// Async tasks on a multi-threaded runtime park and wake each other
/// through a tiny ring.
fn async_tasks_park_and_wake<S: Substrate, P: Pattern>() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (mut tx, mut rx) = S::fixed::<P>(2);
    let n = 3000u64;
    rt.block_on(async move {
        let sender = tokio::spawn(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let receiver = tokio::spawn(async move {
            let mut next = 0;
            while let Some(m) = rx.recv().await {
                assert_eq!(*m, next);
                next += 1;
            }
            next
        });
        sender.await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(30), receiver).await;
        assert_eq!(got.expect("no lost wake-up").unwrap(), n);
    });
}

/// Same-runtime tasks on one thread: both sides park in one reactor.
fn async_tasks_on_one_thread<S: Substrate, P: Pattern>() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (mut tx, mut rx) = S::fixed::<P>(2);
    rt.block_on(async move {
        let sender = tokio::spawn(async move {
            for i in 0..2000u64 {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0;
        let all = async {
            while let Some(m) = rx.recv().await {
                sum += *m;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), all).await.expect("no lost wake-up");
        sender.await.unwrap();
        assert_eq!(sum, 1999 * 2000 / 2);
    });
}

/// A blocked receive with a timeout times out, and gets a later message.
fn timeouts_and_try_forms<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(2);
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
    let t0 = std::time::Instant::now();
    assert!(rx.recv_timeout(Duration::from_millis(30)).is_err());
    assert!(t0.elapsed() >= Duration::from_millis(30));
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert!(matches!(tx.try_send(3), Err(SendError::Full(3))));
    assert_eq!(*rx.recv_timeout(Duration::from_secs(5)).unwrap(), 1);
    assert_eq!(*rx.try_recv().unwrap(), 2);
    let stats = tx.stats();
    assert_eq!((stats.sent, stats.capacity), (2, 2));
}

/// Cloned receivers: each message goes to exactly one of them, in ring
/// order within each, and all end once the sender is gone.
fn cloned_receivers_share_the_stream<S: Substrate, P: Pattern + MultiConsumer>() {
    let (mut tx, rx) = S::fixed::<P>(4);
    let n = 2000u64;
    let sender = std::thread::spawn(move || {
        for i in 0..n {
            tx.send_blocking(i).unwrap();
        }
    });
    let take = |mut rx: Receiver<u64, P>| {
        std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(m) = rx.recv_blocking() {
                got.push(*m);
            }
            got
        })
    };
    let (a, b) = (take(rx.clone()), take(rx));
    sender.join().unwrap();
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert!(a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]));
    let mut all: Vec<u64> = a.into_iter().chain(b).collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>(), "every message exactly once");
}

/// Several producers: per-producer order, nothing lost or doubled.
fn producers_keep_their_order<S: Substrate, P: Pattern + MultiProducer>() {
    let (tx, mut rx) = S::fixed::<P>(4);
    let senders: Vec<_> = (0..3u64)
        .map(|p| {
            let mut tx = S::another(&tx);
            std::thread::spawn(move || {
                for i in 0..500u64 {
                    tx.send_blocking(p << 32 | i).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u64; 3];
    while let Some(m) = rx.recv_blocking() {
        let (p, i) = ((*m >> 32) as usize, *m & 0xffff_ffff);
        assert_eq!(i, next[p], "producer {p} out of order");
        next[p] += 1;
    }
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(next, [500; 3]);
}

/// A producer parked on a full ring wakes when another producer aborts the
/// reservation in its way (a rewind that changes no descriptor word).
fn an_abort_wakes_a_parked_producer<S: Substrate, P: Pattern + MultiProducer>() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let rt = rt.unwrap();
    let (mut a, mut rx) = S::fixed::<P>(1);
    let mut b = S::another(&a);
    rt.block_on(async move {
        let slot = a.try_reserve().unwrap();
        let parked = tokio::spawn(async move { b.send(7).await.map_err(|_| ()) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!parked.is_finished(), "the ring is full");
        drop(slot);
        let sent = tokio::time::timeout(Duration::from_secs(10), parked).await;
        assert_eq!(sent.expect("the parked producer woke").unwrap(), Ok(()));
        assert_eq!(*rx.try_recv().unwrap(), 7);
    });
}

/// `sent` and `received` count messages, not ring positions: a record
/// still being written is not sent yet, a reservation given back or
/// aborted counts nowhere, and batches count each of their messages.
fn counts_are_messages_not_positions<S: Substrate, P: Pattern>() {
    let (mut tx, mut rx) = S::fixed::<P>(4);
    tx.try_send(1).unwrap();
    let slot = tx.try_reserve().unwrap();
    let s = rx.stats();
    assert_eq!((s.sent, s.depth), (1, 2), "claimed, not sent");
    drop(slot);
    let s = rx.stats();
    assert_eq!((s.sent, s.aborted, s.depth), (1, 1, 1));
    assert_eq!(tx.try_send_batch(&[2, 3, 4]).unwrap(), 3);
    let mut buf = Vec::new();
    assert_eq!(rx.try_recv_many(&mut buf, 8), 4);
    let s = tx.stats();
    assert_eq!((s.sent, s.received, s.depth, s.bytes_received), (4, 4, 0, 32));
    drop(buf);
    let mut slot = tx.try_reserve().unwrap();
    *slot = 5;
    slot.commit();
    assert_eq!(*rx.try_recv().unwrap(), 5);
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.aborted), (5, 5, 1));
    // The claim the `Sink` half holds is not sent, even once a later send
    // passed it; receivers wait at it.
    block_on(std::future::poll_fn(|cx| tx.poll_reserve(cx))).unwrap();
    tx.try_send(7).unwrap();
    let s = rx.stats();
    assert_eq!((s.sent, s.depth), (6, 2));
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
    futures::SinkExt::start_send_unpin(&mut tx, 6).unwrap();
    assert_eq!((*rx.try_recv().unwrap(), *rx.try_recv().unwrap()), (6, 7));
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.depth), (7, 7, 0));
}

/// An older reservation aborted after a newer commit leaves a position that
/// receivers skip: counted as aborted, not as sent or received.
fn skipped_aborts_count_nowhere<S: Substrate, P: Pattern + MultiProducer>() {
    let (mut a, mut rx) = S::fixed::<P>(4);
    let mut b = S::another(&a);
    let slot = a.try_reserve().unwrap();
    b.try_send(7).unwrap();
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.depth), (1, 0, 2));
    drop(slot);
    assert_eq!(*rx.try_recv().unwrap(), 7);
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.aborted, s.depth), (1, 1, 1, 0));
}

/// Instantiates every case for one substrate and every pattern.
macro_rules! suite {
    ($module:ident = $sub:ident: $($case:ident),* ; multi_producer: $($mp:ident),* ;
     multi_consumer: $($mc:ident),*) => {
        mod $module {
            $(
                mod $case {
                    #[test]
                    fn spsc() { super::super::$case::<super::super::$sub, psyne::Spsc>() }
                    #[test]
                    fn mpsc() { super::super::$case::<super::super::$sub, psyne::Mpsc>() }
                    #[test]
                    fn spmc() { super::super::$case::<super::super::$sub, psyne::Spmc>() }
                    #[test]
                    fn mpmc() { super::super::$case::<super::super::$sub, psyne::Mpmc>() }
                }
            )*
            $(
                mod $mp {
                    #[test]
                    fn mpsc() { super::super::$mp::<super::super::$sub, psyne::Mpsc>() }
                    #[test]
                    fn mpmc() { super::super::$mp::<super::super::$sub, psyne::Mpmc>() }
                }
            )*
            $(
                mod $mc {
                    #[test]
                    fn spmc() { super::super::$mc::<super::super::$sub, psyne::Spmc>() }
                    #[test]
                    fn mpmc() { super::super::$mc::<super::super::$sub, psyne::Mpmc>() }
                }
            )*
        }
    };
}

macro_rules! substrates {
    ($($module:ident = $sub:ident),*) => {$(
        suite!($module = $sub:
            fifo_then_end,
            batches_in_order,
            borrowed_receives,
            policies_stats_and_bytes,
            counts_are_messages_not_positions,
            sink_and_stream,
            trailing_slices_round_trip,
            sends_fail_without_receivers,
            aborted_reservations_vanish,
            release_in_any_order,
            variable_records_wrap,
            async_tasks_park_and_wake,
            async_tasks_on_one_thread,
            timeouts_and_try_forms;
            multi_producer: producers_keep_their_order, an_abort_wakes_a_parked_producer,
                skipped_aborts_count_nowhere;
            multi_consumer: cloned_receivers_share_the_stream
        );
    )*};
}

substrates!(inproc = Inproc, memory = Memory);
#[cfg(all(feature = "ipc", target_os = "linux"))]
substrates!(ipc = Ipc);
