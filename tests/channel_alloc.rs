//! The steady-state send/receive path allocates nothing: a counting global
//! allocator, 1,000,000 send + receive per pattern, copy path and reserve
//! path, fixed and variable size.

// Outside the library: std atomics are fine here (clippy.toml guards the
// library's loom facade).
#![allow(clippy::disallowed_types)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use psyne::{Pattern, Receiver, Sender};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's allocations count: only the threads a test
    /// enrols (its own and the ones it spawns), never the test harness's.
    static ENROLLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Counts this thread's allocations from now on.
fn enroll() {
    ENROLLED.with(|e| e.set(true));
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: thread-locals may already be gone while a thread exits.
        if ENROLLED.try_with(|e| e.get()).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which
        // is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above, for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: u64 = if cfg!(miri) { 1_000 } else { 1_000_000 };

/// Allocations made by enrolled threads while `f` runs.
fn allocations(f: impl FnOnce()) -> (u64, u64) {
    let (a, b) = (ALLOCATIONS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    f();
    (ALLOCATIONS.load(Ordering::SeqCst) - a, BYTES.load(Ordering::SeqCst) - b)
}

fn fixed<P: Pattern>() -> (u64, u64) {
    let (mut tx, mut rx): (Sender<[u64; 8], P>, Receiver<[u64; 8], P>) =
        psyne::channel::<[u64; 8]>().capacity(1024).pattern::<P>().build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut batch = Vec::with_capacity(64);
    // Every path of the measured loop: copy and reserve, try and async.
    let mut step = |i: u64| {
        match i % 4 {
            0 => tx.try_send([i; 8]).unwrap(),
            1 => {
                let mut slot = tx.try_reserve().unwrap();
                slot[0] = i;
                slot.commit();
            }
            2 => rt.block_on(tx.send([i; 8])).unwrap(),
            _ => {
                let mut slot = rt.block_on(tx.reserve()).unwrap();
                slot[7] = i;
                slot.commit();
            }
        }
        // Every receive form, owned and borrowed, with every send form.
        let ok = |m: &[u64; 8]| m[0] == i || m[7] == i;
        match (i >> 2) % 4 {
            0 => assert!(ok(&rx.try_recv().unwrap())),
            1 => assert!(ok(&rt.block_on(rx.recv()).unwrap())),
            2 => assert!(ok(&rx.try_recv_ref().unwrap())),
            _ => assert!(ok(&rt.block_on(rx.recv_ref()).unwrap())),
        }
        if i.is_multiple_of(1000) {
            tx.try_send_batch(&[[i; 8]; 32]).unwrap();
            rx.try_recv_many(&mut batch, 64);
            batch.clear();
            tx.try_send_batch(&[[i; 8]; 32]).unwrap();
            let run = rx.try_recv_batch(64).unwrap();
            assert_eq!(run.iter().filter(|m| m[0] == i).count(), run.len());
            drop(run);
            while rx.try_recv_batch(64).is_ok() {}
            // Made in place, blocking and async.
            tx.send_batch_with_blocking(16, |_| [i; 8]).unwrap();
            rt.block_on(tx.send_batch_with(16, |_| [i; 8])).unwrap();
            let run = rx.try_recv_batch(64).unwrap();
            assert_eq!(run.iter().filter(|m| m[0] == i).count(), 32);
        }
    };
    // Warm up with the very same steps: the runtime's thread-local state is
    // set up lazily on its first `block_on` in this thread, which allocates
    // once and must not land in the measured window.
    (0..4096).for_each(&mut step);
    allocations(|| (0..N).for_each(&mut step))
}

fn variable<P: Pattern>() -> (u64, u64) {
    let (mut tx, mut rx): (Sender<[u8], P>, Receiver<[u8], P>) =
        psyne::channel::<[u8]>().bytes(1 << 16).pattern::<P>().build().unwrap();
    for _ in 0..2048 {
        tx.try_reserve_bytes(100).unwrap().commit();
        drop(rx.try_recv().unwrap());
    }
    allocations(|| {
        for i in 0..N / 4 {
            let len = (i % 1000) as usize;
            let mut rec = tx.try_reserve_bytes(len).unwrap();
            rec.fill(i as u8);
            rec.commit();
            assert_eq!(rx.try_recv().unwrap().len(), len);
        }
    })
}

/// A wait strategy that parks at once: (almost) every wait sleeps.
const PARK_AT_ONCE: psyne::WaitStrategy =
    psyne::WaitStrategy::SpinPark { spin: std::time::Duration::ZERO };

/// Parks this thread once, on a channel of its own. A thread's first park
/// sets up its thread-local parker (event-listener's, one allocation): that
/// belongs to the thread's start-up, not to the steady state.
fn park_once() {
    let (_tx, mut rx) =
        psyne::channel::<u64>().capacity(4).wait_strategy(PARK_AT_ONCE).spsc().unwrap();
    assert!(rx.recv_timeout(std::time::Duration::from_millis(1)).is_err());
}

/// Two threads bouncing messages with a spin of zero, so that (almost) every
/// wait parks: blocking parks allocate nothing either.
///
/// The pinging thread parks on `pong` for the first time inside the
/// measured window: whatever a channel sets up on its first park or
/// wake-up must have been set up when it was built.
fn parking_ping_pong() -> (u64, u64) {
    let build = || psyne::channel::<u64>().capacity(4).wait_strategy(PARK_AT_ONCE).spsc().unwrap();
    let ((mut ping_tx, mut ping_rx), (mut pong_tx, mut pong_rx)) = (build(), build());
    let rounds = if cfg!(miri) { 100 } else { 20_000 };
    let echo = std::thread::spawn(move || {
        enroll();
        park_once();
        while let Some(m) = ping_rx.recv_blocking() {
            pong_tx.send_blocking(*m + 1).unwrap();
        }
    });
    park_once();
    // One round trip without parking on `pong`: the echo thread's start-up
    // is over once it answers.
    ping_tx.try_send(0).unwrap();
    let start = std::time::Instant::now();
    let first = loop {
        match pong_rx.try_recv() {
            Ok(m) => break *m,
            Err(_) => assert!(start.elapsed().as_secs() < 10, "the echo thread never answered"),
        }
    };
    assert_eq!(first, 1);
    let counted = allocations(|| {
        for i in 0..rounds {
            ping_tx.send_blocking(i).unwrap();
            assert_eq!(*pong_rx.recv_blocking().unwrap(), i + 1);
        }
    });
    drop(ping_tx);
    echo.join().unwrap();
    counted
}

/// Two tokio tasks on one thread bouncing messages: each receive finds the
/// channel empty and parks its task, so this measures async parking.
fn async_parking_ping_pong() -> (u64, u64) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let ((mut ping_tx, mut ping_rx), (mut pong_tx, mut pong_rx)) = (
        psyne::channel::<u64>().capacity(4).spsc().unwrap(),
        psyne::channel::<u64>().capacity(4).spsc().unwrap(),
    );
    let rounds = if cfg!(miri) { 100 } else { 10_000 };
    rt.block_on(async {
        let echo = tokio::spawn(async move {
            while let Some(m) = ping_rx.recv().await {
                pong_tx.send(*m + 1).await.unwrap();
            }
        });
        for i in 0..100 {
            ping_tx.send(i).await.unwrap();
            drop(pong_rx.recv().await.unwrap());
        }
        let (a, b) = (ALLOCATIONS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
        for i in 0..rounds {
            ping_tx.send(i).await.unwrap();
            assert_eq!(*pong_rx.recv().await.unwrap(), i + 1);
        }
        let counted = (ALLOCATIONS.load(Ordering::SeqCst) - a, BYTES.load(Ordering::SeqCst) - b);
        drop(ping_tx);
        echo.await.unwrap();
        counted
    })
}

/// One test function: the counter is global, and a second test running in
/// parallel would allocate inside the measured windows.
#[test]
fn steady_state_allocates_nothing() {
    enroll();
    // The harness itself: a Vec must be counted, or the rest proves nothing.
    let (count, bytes) = allocations(|| drop(std::hint::black_box(vec![0u8; 100])));
    assert!(count >= 1 && bytes >= 100, "the counting allocator sees nothing");
    let results = [
        ("spsc fixed", fixed::<psyne::Spsc>()),
        ("mpsc fixed", fixed::<psyne::Mpsc>()),
        ("spmc fixed", fixed::<psyne::Spmc>()),
        ("mpmc fixed", fixed::<psyne::Mpmc>()),
        ("spsc variable", variable::<psyne::Spsc>()),
        ("mpsc variable", variable::<psyne::Mpsc>()),
        ("spmc variable", variable::<psyne::Spmc>()),
        ("mpmc variable", variable::<psyne::Mpmc>()),
        ("parking ping-pong, two threads", parking_ping_pong()),
        ("async parking ping-pong, single-sided channels", async_parking_ping_pong()),
    ];
    for (name, (count, bytes)) in results {
        assert_eq!((count, bytes), (0, 0), "{name}: {count} allocations, {bytes} bytes");
    }
}
