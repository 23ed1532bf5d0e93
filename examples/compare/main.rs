//! psyne's demo and comparison benchmark: runs psyne and its peers side by
//! side, in one process and one run, and prints markdown tables with ratios.
//!
//! ```text
//! cargo run --release --example compare            # full run (~1 minute)
//! cargo run --release --example compare -- --quick # smoke run (a few seconds)
//! cargo run --release --example compare -- --only ping   # one section
//! ```
//!
//! Sections: `async-spsc`, `blocking-spsc`, `ping`, `mpsc`, `big`, `kernel`,
//! and `ipc` (between two processes; see `ipc.rs`).
//!
//! Workloads (64-byte messages, capacity 1024 unless noted):
//! async SPSC throughput (tokio, 2 workers); blocking SPSC between two
//! threads; ping-pong round trip (threads and async) with a two-atomic spin
//! floor; async MPSC 4 → 1; 1 MiB messages written in full and read one byte
//! per cache line, against per-message `Vec`s, thingbuf's recycled slots and
//! a hand-written buffer pool; a dot product over a received `FloatVector`
//! in place, the SIMD-friendly kernel against a strict scalar loop.
//!
//! Each cell is the median of several short runs; ratios compare numbers
//! from the same run, which is what is meaningful on a shared, noisy machine.

// Outside the library: std atomics are fine here (clippy.toml guards the
// library's loom facade).
#![allow(clippy::disallowed_types)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use psyne::{Backpressure, WaitStrategy};

#[cfg(all(target_os = "linux", feature = "ipc"))]
mod ipc;

type M = [u64; 8];
const CAP: usize = 1024;
const BIG: usize = 1 << 20;

struct Cfg {
    msgs: u64,
    pings: usize,
    big_msgs: usize,
    runs: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(all(target_os = "linux", feature = "ipc"))]
    if ipc::child(&std::env::args().collect::<Vec<_>>()) {
        return Ok(());
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let cfg = if quick {
        Cfg { msgs: 20_000, pings: 2_000, big_msgs: 50, runs: 1 }
    } else {
        Cfg { msgs: 1_000_000, pings: 50_000, big_msgs: 1_000, runs: 5 }
    };
    let args: Vec<String> = std::env::args().collect();
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let run = |section: &str| only.as_deref().is_none_or(|o| o == section);
    if only.is_none() {
        demo()?;
    }
    println!(
        "# psyne comparison ({} mode, {} runs per cell, median)\n",
        if quick { "quick" } else { "full" },
        cfg.runs
    );
    println!(
        "machine: {} cores; 64-byte messages, capacity {CAP}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if run("async-spsc") {
        async_spsc(&cfg);
    }
    if run("blocking-spsc") {
        blocking_spsc(&cfg);
    }
    if run("ping") {
        ping_pong(&cfg);
    }
    if run("mpsc") {
        async_mpsc(&cfg);
    }
    if run("big") {
        big_messages(&cfg);
    }
    if run("kernel") {
        kernel(&cfg);
    }
    #[cfg(all(target_os = "linux", feature = "ipc"))]
    if run("ipc") {
        ipc::section(&cfg);
    }
    Ok(())
}

/// The demo: a named in-process channel, zero-copy both ways.
fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let rt = runtime();
    rt.block_on(async {
        let mut rx = psyne::channel::<[f32]>().bytes(1 << 20).bind("memory://demo").await?;
        let mut tx = psyne::channel::<[f32]>().connect("memory://demo").await?;
        let producer = tokio::spawn(async move {
            for i in 0..4 {
                let mut v = tx.reserve_len(1024).await?;
                v.iter_mut().enumerate().for_each(|(j, x)| *x = (i * 1024 + j) as f32);
                v.commit();
            }
            Ok::<_, psyne::ReserveError>(())
        });
        let mut sums = Vec::new();
        while let Some(v) = rx.recv().await {
            sums.push(v.iter().sum::<f32>());
        }
        producer.await??;
        println!(
            "demo: memory://demo carried {} vectors of 1024 f32 in place; sums {sums:?}\n",
            sums.len()
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// One implementation under test: a name and a run that returns its time.
type Case<'a> = (&'static str, Box<dyn FnMut() -> Duration + 'a>);

/// Runs every case `cfg.runs` times, round-robin (so that the machine's
/// drift hits every case alike), and returns `work / time` per case, median
/// over the runs.
fn interleave(cfg: &Cfg, work: f64, mut cases: Vec<Case<'_>>) -> Vec<(&'static str, f64)> {
    let mut samples = vec![Vec::new(); cases.len()];
    for _ in 0..cfg.runs {
        for (i, (_, run)) in cases.iter_mut().enumerate() {
            samples[i].push(work / run().as_secs_f64());
        }
    }
    cases.iter().zip(samples).map(|((name, _), s)| (*name, median(s))).collect()
}

fn table(title: &str, unit: &str, higher_is_better: bool, rows: &[(&str, f64)], reference: &str) {
    let base = rows.iter().find(|(n, _)| *n == reference).map_or(1.0, |r| r.1);
    println!("## {title}\n");
    println!("| implementation | {unit} | vs {reference} |");
    println!("|---|---:|---:|");
    for (name, v) in rows {
        let ratio = if higher_is_better { v / base } else { base / v };
        println!("| {name} | {v:.2} | {ratio:.2}× |");
    }
    println!();
}

/// Best peer's value among `rows` whose name does not start with "psyne".
fn best_peer(rows: &[(&str, f64)], higher_is_better: bool) -> (&'static str, f64) {
    let mut best: Option<(&str, f64)> = None;
    for &(n, v) in rows.iter().filter(|(n, _)| !n.starts_with("psyne")) {
        let better = best.is_none_or(|(_, b)| if higher_is_better { v > b } else { v < b });
        if better {
            best = Some((n, v));
        }
    }
    let (n, v) = best.unwrap_or(("none", 1.0));
    (Box::leak(n.to_owned().into_boxed_str()), v)
}

fn verdict(what: &str, ours: f64, target: &str, ok: bool) {
    println!("target — {what}: {ours:.2}× ({target}): {}\n", if ok { "met" } else { "MISSED" });
}

// ---------------------------------------------------------------------------
// Async SPSC throughput

macro_rules! async_pair {
    ($rt:expr, $n:expr, $tx:ident, $rx:ident, $send:expr, $recv:expr) => {{
        let n = $n;
        $rt.block_on(async move {
            let start = Instant::now();
            let p = tokio::spawn(async move {
                #[allow(unused_mut)]
                let mut $tx = $tx;
                for i in 0..n {
                    let v: M = [i; 8];
                    $send(&mut $tx, v).await;
                }
            });
            let c = tokio::spawn(async move {
                #[allow(unused_mut)]
                let mut $rx = $rx;
                let mut sum = 0u64;
                for _ in 0..n {
                    sum = sum.wrapping_add($recv(&mut $rx).await);
                }
                sum
            });
            p.await.unwrap();
            black_box(c.await.unwrap());
            start.elapsed()
        })
    }};
}

/// psyne's async SPSC stream in runs: the producer sends 64 at a time,
/// made in a buffer and copied in (`send_batch`) or, `in_place`, each made
/// in its record (`send_batch_with`); the consumer takes runs of up to 64
/// (`recv_batch`).
fn async_batched(rt: &tokio::runtime::Runtime, n: u64, in_place: bool) -> Duration {
    let (mut tx, mut rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
    rt.block_on(async move {
        let start = Instant::now();
        let p = tokio::spawn(async move {
            let mut batch = [[0u64; 8]; 64];
            let mut i = 0;
            while i < n {
                let k = 64.min(n - i) as usize;
                if in_place {
                    let make = |j: usize| {
                        let mut m = [0u64; 8];
                        m[0] = i + j as u64;
                        m
                    };
                    tx.send_batch_with(k, make).await.unwrap();
                } else {
                    for (j, m) in batch[..k].iter_mut().enumerate() {
                        m[0] = i + j as u64;
                    }
                    tx.send_batch(&batch[..k]).await.unwrap();
                }
                i += k as u64;
            }
        });
        let c = tokio::spawn(async move {
            let (mut sum, mut got) = (0u64, 0u64);
            while got < n {
                let batch = rx.recv_batch(64).await.unwrap();
                got += batch.len() as u64;
                sum = batch.iter().fold(sum, |s, m| s.wrapping_add(m[0]));
            }
            sum
        });
        p.await.unwrap();
        black_box(c.await.unwrap());
        start.elapsed()
    })
}

fn async_spsc(cfg: &Cfg) {
    let rt = runtime();
    let n = cfg.msgs;
    let cases: Vec<Case<'_>> = vec![
        (
            "psyne send/recv",
            Box::new(|| {
                let (tx, rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut psyne::Sender<M>, v| { t.send(v).await.unwrap() },
                    async |r: &mut psyne::Receiver<M>| { r.recv().await.unwrap()[0] }
                )
            }),
        ),
        (
            "psyne send/recv_ref",
            Box::new(|| {
                let (tx, rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut psyne::Sender<M>, v| { t.send(v).await.unwrap() },
                    async |r: &mut psyne::Receiver<M>| { r.recv_ref().await.unwrap()[0] }
                )
            }),
        ),
        (
            "psyne reserve/commit",
            Box::new(|| {
                let (tx, rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut psyne::Sender<M>, v: M| {
                        let mut s = t.reserve().await.unwrap();
                        s[0] = v[0];
                        s.commit()
                    },
                    async |r: &mut psyne::Receiver<M>| { r.recv().await.unwrap()[0] }
                )
            }),
        ),
        (
            "psyne batched, copied in (send_batch / recv_batch, 64)",
            Box::new(|| async_batched(&rt, n, false)),
        ),
        (
            "psyne batched, in place (send_batch_with / recv_batch, 64)",
            Box::new(|| async_batched(&rt, n, true)),
        ),
        (
            "tokio::mpsc",
            Box::new(|| {
                let (tx, rx) = tokio::sync::mpsc::channel::<M>(CAP);
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut tokio::sync::mpsc::Sender<M>, v| { t.send(v).await.unwrap() },
                    async |r: &mut tokio::sync::mpsc::Receiver<M>| { r.recv().await.unwrap()[0] }
                )
            }),
        ),
        (
            "flume",
            Box::new(|| {
                let (tx, rx) = flume::bounded::<M>(CAP);
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut flume::Sender<M>, v| { t.send_async(v).await.unwrap() },
                    async |r: &mut flume::Receiver<M>| { r.recv_async().await.unwrap()[0] }
                )
            }),
        ),
        (
            "kanal",
            Box::new(|| {
                let (tx, rx) = kanal::bounded_async::<M>(CAP);
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut kanal::AsyncSender<M>, v| { t.send(v).await.unwrap() },
                    async |r: &mut kanal::AsyncReceiver<M>| { r.recv().await.unwrap()[0] }
                )
            }),
        ),
        (
            "async-channel",
            Box::new(|| {
                let (tx, rx) = async_channel::bounded::<M>(CAP);
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut async_channel::Sender<M>, v| { t.send(v).await.unwrap() },
                    async |r: &mut async_channel::Receiver<M>| { r.recv().await.unwrap()[0] }
                )
            }),
        ),
        (
            "thingbuf",
            Box::new(|| {
                let (tx, rx) = thingbuf::mpsc::channel::<M>(CAP);
                async_pair!(
                    rt,
                    n,
                    tx,
                    rx,
                    async |t: &mut thingbuf::mpsc::Sender<M>, v| { t.send(v).await.unwrap() },
                    async |r: &mut thingbuf::mpsc::Receiver<M>| { r.recv().await.unwrap()[0] }
                )
            }),
        ),
    ];
    let mut rows = interleave(cfg, n as f64 / 1e6, cases);
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (peer, best) = best_peer(&rows, true);
    table("async SPSC throughput (tokio, 2 workers)", "M msg/s", true, &rows, peer);
    let ours = rows.iter().filter(|(n, _)| n.starts_with("psyne")).map(|r| r.1).fold(0.0, f64::max);
    verdict("async SPSC vs best async peer", ours / best, "target ≥ 2×", ours / best >= 2.0);
}

// ---------------------------------------------------------------------------
// Blocking SPSC between two threads

fn threads(
    n: u64,
    produce: impl FnOnce() + Send,
    consume: impl FnOnce() -> u64 + Send,
) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(produce);
        black_box(consume());
    });
    let _ = n;
    start.elapsed()
}

fn blocking_spsc(cfg: &Cfg) {
    let n = cfg.msgs;
    let psyne_with = |strategy: WaitStrategy, by_ref: bool| -> Box<dyn FnMut() -> Duration> {
        Box::new(move || {
            let (mut tx, mut rx) =
                psyne::channel::<M>().capacity(CAP).wait_strategy(strategy).spsc().unwrap();
            threads(
                n,
                move || (0..n).for_each(|i| tx.send_blocking([i; 8]).unwrap()),
                move || {
                    (0..n).fold(0u64, |s, _| {
                        s.wrapping_add(if by_ref {
                            rx.recv_ref_blocking().unwrap()[0]
                        } else {
                            rx.recv_blocking().unwrap()[0]
                        })
                    })
                },
            )
        })
    };
    let cases: Vec<Case<'_>> = vec![
        ("psyne busy-spin", psyne_with(WaitStrategy::BusySpin, false)),
        ("psyne busy-spin (recv_ref)", psyne_with(WaitStrategy::BusySpin, true)),
        ("psyne spin-park (default)", psyne_with(WaitStrategy::default(), false)),
        (
            // Not a target row (the target is one message at a time): the
            // whole stream in one batch call, made in place, taken in runs.
            "psyne batched, in place, one call (send_batch_with_blocking / recv_batch_blocking, 64)",
            Box::new(|| {
                let (mut tx, mut rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
                threads(
                    n,
                    move || tx.send_batch_with_blocking(n as usize, |i| [i as u64; 8]).unwrap(),
                    move || {
                        let (mut sum, mut got) = (0u64, 0);
                        while got < n {
                            let batch = rx.recv_batch_blocking(64).unwrap();
                            got += batch.len() as u64;
                            sum = batch.iter().fold(sum, |s, m| s.wrapping_add(m[0]));
                        }
                        sum
                    },
                )
            }),
        ),
        (
            "crossbeam-channel",
            Box::new(|| {
                let (tx, rx) = crossbeam_channel::bounded::<M>(CAP);
                threads(
                    n,
                    move || (0..n).for_each(|i| tx.send([i; 8]).unwrap()),
                    move || (0..n).fold(0u64, |s, _| s.wrapping_add(rx.recv().unwrap()[0])),
                )
            }),
        ),
        ("sequence-ring floor (psyne's spread layout, bare)", Box::new(|| sequence_floor(n))),
        (
            "rtrb (spin)",
            Box::new(|| {
                let (mut tx, mut rx) = rtrb::RingBuffer::<M>::new(CAP);
                threads(
                    n,
                    move || {
                        for i in 0..n {
                            let mut v = [i; 8];
                            while let Err(rtrb::PushError::Full(back)) = tx.push(v) {
                                v = back;
                                std::hint::spin_loop();
                            }
                        }
                    },
                    move || {
                        (0..n).fold(0u64, |s, _| {
                            loop {
                                if let Ok(v) = rx.pop() {
                                    break s.wrapping_add(v[0]);
                                }
                                std::hint::spin_loop();
                            }
                        })
                    },
                )
            }),
        ),
    ];
    let mut rows = interleave(cfg, n as f64 / 1e6, cases);
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    table("blocking SPSC throughput (two threads)", "M msg/s", true, &rows, "rtrb (spin)");
    let rtrb = rows.iter().find(|r| r.0 == "rtrb (spin)").map_or(1.0, |r| r.1);
    let ours =
        rows.iter().filter(|r| r.0.starts_with("psyne busy-spin")).map(|r| r.1).fold(0.0, f64::max);
    verdict("busy-spin SPSC vs rtrb", ours / rtrb, "target ≥ 1×", ours >= rtrb);
}

/// psyne's ring protocol in its spread layout, with nothing around it:
/// per-slot sequence words (tag `2p` free, `2p + 1` committed), one slot
/// per cache line, payloads in a separate array of 64-byte cells, both
/// sides spinning: what psyne's in-process channels use. (Busy-spinning
/// SPSC channels between processes pack their sequence words and reuse a
/// hot payload slot instead; see the ring's "Hot slots".)
struct SeqRing {
    seq: Vec<SeqSlot>,
    data: Vec<SeqCell>,
}

#[repr(align(64))]
struct SeqSlot(AtomicU64);

#[repr(align(64))]
struct SeqCell(std::cell::UnsafeCell<M>);

// SAFETY: each cell is written by the producer only while its slot reads
// free and read by the consumer only while it reads committed; the
// Release/Acquire pairs on the slot order those accesses.
unsafe impl Sync for SeqCell {}

impl SeqRing {
    fn new() -> Self {
        Self {
            seq: (0..CAP as u64).map(|i| SeqSlot(AtomicU64::new(2 * i))).collect(),
            data: (0..CAP).map(|_| SeqCell(std::cell::UnsafeCell::new([0; 8]))).collect(),
        }
    }

    /// Producer: writes `[v; 8]` at position `p`.
    ///
    /// # Safety
    ///
    /// The caller is the ring's only producer, and sends positions 0, 1, …
    /// in order.
    unsafe fn send(&self, p: u64, v: u64) {
        let i = p as usize & (CAP - 1);
        while self.seq[i].0.load(Ordering::Acquire) != 2 * p {
            std::hint::spin_loop();
        }
        // SAFETY: slot `i` reads free for `p`: the cell is ours.
        unsafe { *self.data[i].0.get() = [v; 8] };
        self.seq[i].0.store(2 * p + 1, Ordering::Release);
    }

    /// Consumer: reads the first word at position `p` and frees the slot.
    ///
    /// # Safety
    ///
    /// The caller is the ring's only consumer, and receives positions 0, 1,
    /// … in order.
    unsafe fn recv(&self, p: u64) -> u64 {
        let i = p as usize & (CAP - 1);
        while self.seq[i].0.load(Ordering::Acquire) != 2 * p + 1 {
            // As psyne's receivers do: pull the payload's line while waiting.
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a prefetch has no effect on memory and cannot fault.
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T0>(self.data[i].0.get().cast::<i8>());
            }
            std::hint::spin_loop();
        }
        // SAFETY: slot `i` reads committed for `p`: the cell is ours.
        let v = unsafe { (*self.data[i].0.get())[0] };
        self.seq[i].0.store(2 * (p + CAP as u64), Ordering::Release);
        v
    }
}

fn sequence_floor(n: u64) -> Duration {
    let ring = SeqRing::new();
    let ring = &ring;
    threads(
        n,
        // SAFETY: one producer thread and one consumer thread, each in
        // position order.
        move || (0..n).for_each(|p| unsafe { ring.send(p, p) }),
        // SAFETY: as above.
        move || (0..n).fold(0u64, |sum, p| sum.wrapping_add(unsafe { ring.recv(p) })),
    )
}

// ---------------------------------------------------------------------------
// Ping-pong round trip

/// Median and p99 of round trips in microseconds.
fn percentiles(mut ns: Vec<u64>) -> (f64, f64) {
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize] as f64 / 1e3;
    (at(0.5), at(0.99))
}

/// A round trip `pings + 100` times between this thread (`ping`, then
/// `pong` waits for the answer) and an echoing one (`wait`, then `echo`);
/// returns the median and p99 of the last `pings`. The closures should
/// own what they write (`move`): a value that one side writes at every
/// hop, kept on this thread's stack next to the other side's, puts a
/// cache line between the two sides at every hop (captured by reference,
/// the bare sequence ring's position counters read 1.3–1.9× the floor,
/// and slower than psyne's channels).
fn thread_ping_pong(
    pings: usize,
    mut ping: impl FnMut(u64) + Send,
    mut pong: impl FnMut() -> u64 + Send,
    mut echo: impl FnMut(u64) + Send,
    mut wait: impl FnMut() -> u64 + Send,
) -> (f64, f64) {
    std::thread::scope(|s| {
        s.spawn(move || {
            for _ in 0..pings + 100 {
                let v = wait();
                echo(v);
            }
        });
        let mut lat = Vec::with_capacity(pings);
        for i in 0..pings + 100 {
            let t = Instant::now();
            ping(i as u64);
            black_box(pong());
            if i >= 100 {
                lat.push(t.elapsed().as_nanos() as u64);
            }
        }
        percentiles(lat)
    })
}

/// The two-thread ping-pong's floor row, and the rows beside it.
const FLOOR: &str = "two-atomic spin floor (a line each)";
const ONE_LINE: &str = "two atomics on one line (not the floor)";
const SEQ_FLOOR: &str = "sequence-ring floor (psyne's spread layout, bare)";

/// The floor's atomics: `a` and `b` on one cache line, `far` on a line (and
/// a pair of lines, for the adjacent-line prefetcher) of its own.
#[derive(Default)]
#[repr(C, align(128))]
struct AtomicPair {
    a: AtomicU64,
    b: AtomicU64,
    far: Padded,
}

#[derive(Default)]
#[repr(align(128))]
struct Padded(AtomicU64);

/// One ping-pong row: a name and a run that returns (median, p99) in µs.
type PingCase<'a> = (&'static str, Box<dyn FnMut() -> (f64, f64) + 'a>);

fn ping_pong(cfg: &Cfg) {
    let pings = cfg.pings;
    let mut cases: Vec<PingCase<'_>> = Vec::new();
    // The floor: two atomics, each side spinning on the other's, each on
    // a line of its own (as the `ipc` section's floor, two words 128 bytes
    // apart). Beside it, both on one line: one line that moves back and
    // forth, which a record of 64 bytes and its sequence word cannot be.
    for (name, padded) in [(FLOOR, true), (ONE_LINE, false)] {
        cases.push((
            name,
            Box::new(move || {
                let pair = AtomicPair::default();
                let (a, b) = (&pair.a, if padded { &pair.far.0 } else { &pair.b });
                let (mut expect, mut seen) = (0u64, 0u64);
                // `move`: each side's state goes with its closure, onto its
                // own thread (see `thread_ping_pong`).
                thread_ping_pong(
                    pings,
                    move |i| a.store(i + 1, Ordering::Release),
                    move || loop {
                        let v = b.load(Ordering::Acquire);
                        if v != expect {
                            expect = v;
                            break v;
                        }
                        std::hint::spin_loop();
                    },
                    move |v| b.store(v, Ordering::Release),
                    move || loop {
                        let v = a.load(Ordering::Acquire);
                        if v != seen {
                            seen = v;
                            break v;
                        }
                        std::hint::spin_loop();
                    },
                )
            }),
        ));
    }
    // The per-record protocol alone, 64-byte payloads: what the handles
    // could reach at best.
    cases.push((
        SEQ_FLOOR,
        Box::new(|| {
            let rings = (SeqRing::new(), SeqRing::new());
            let (ping, pong) = (&rings.0, &rings.1);
            let (mut sent, mut got, mut echoed, mut seen) = (0, 0, 0, 0);
            thread_ping_pong(
                pings,
                // The pinging thread is the only producer of `ping` and
                // consumer of `pong`, the echoing thread the other way
                // round, and each counts its positions from 0 (`move`: in
                // a counter of its own, see `thread_ping_pong`).
                move |i| {
                    // SAFETY: see above.
                    unsafe { ping.send(sent, i) };
                    sent += 1;
                },
                move || {
                    got += 1;
                    // SAFETY: see above.
                    unsafe { pong.recv(got - 1) }
                },
                move |v| {
                    // SAFETY: see above.
                    unsafe { pong.send(echoed, v) };
                    echoed += 1;
                },
                move || {
                    seen += 1;
                    // SAFETY: see above.
                    unsafe { ping.recv(seen - 1) }
                },
            )
        }),
    ));
    for (name, strategy, by_ref) in [
        ("psyne busy-spin", WaitStrategy::BusySpin, false),
        ("psyne busy-spin (recv_ref)", WaitStrategy::BusySpin, true),
        ("psyne spin-park (default)", WaitStrategy::default(), false),
    ] {
        cases.push((
            name,
            Box::new(move || {
                let channel =
                    || psyne::channel::<M>().capacity(CAP).wait_strategy(strategy).spsc().unwrap();
                let ((mut tx1, mut rx1), (mut tx2, mut rx2)) = (channel(), channel());
                let recv = move |rx: &mut psyne::Receiver<M>| {
                    if by_ref {
                        rx.recv_ref_blocking().unwrap()[0]
                    } else {
                        rx.recv_blocking().unwrap()[0]
                    }
                };
                thread_ping_pong(
                    pings,
                    move |i| tx1.send_blocking([i; 8]).unwrap(),
                    move || recv(&mut rx2),
                    move |v| tx2.send_blocking([v; 8]).unwrap(),
                    move || recv(&mut rx1),
                )
            }),
        ));
    }
    cases.push((
        "crossbeam-channel",
        Box::new(|| {
            let (tx1, rx1) = crossbeam_channel::bounded::<M>(CAP);
            let (tx2, rx2) = crossbeam_channel::bounded::<M>(CAP);
            thread_ping_pong(
                pings,
                move |i| tx1.send([i; 8]).unwrap(),
                move || rx2.recv().unwrap()[0],
                move |v| tx2.send([v; 8]).unwrap(),
                move || rx1.recv().unwrap()[0],
            )
        }),
    ));
    // Round-robin over the rows, as `interleave` does: the machine's drift
    // hits every row alike; each cell is the median over the rounds.
    let mut samples = vec![Vec::new(); cases.len()];
    for _ in 0..cfg.runs {
        for (i, (_, run)) in cases.iter_mut().enumerate() {
            samples[i].push(run());
        }
    }
    let thread_rows: Vec<(&str, (f64, f64))> = cases
        .iter()
        .zip(samples)
        .map(|((name, _), s)| {
            let (med, p99): (Vec<f64>, Vec<f64>) = s.into_iter().unzip();
            (*name, (median(med), median(p99)))
        })
        .collect();
    println!("## ping-pong round trip, two threads\n");
    println!("| implementation | median µs | p99 µs | median vs floor |");
    println!("|---|---:|---:|---:|");
    let row = |name: &str| thread_rows.iter().find(|r| r.0 == name).map_or(f64::NAN, |r| r.1.0);
    let floor = row(FLOOR);
    for (name, (med, p99)) in &thread_rows {
        println!("| {name} | {med:.3} | {p99:.3} | {:.2}× |", med / floor);
    }
    println!();
    let spin = thread_rows
        .iter()
        .filter(|r| r.0.starts_with("psyne busy-spin"))
        .map(|r| r.1.0)
        .fold(f64::MAX, f64::min);
    verdict(
        "busy-spin ping-pong vs two-atomic floor",
        spin / floor,
        "target ≤ 1.3×",
        spin / floor <= 1.3,
    );
    println!(
        "note — psyne busy-spin against one line moving back and forth: {:.2}×; \
         against the bare sequence ring: {:.2}×\n",
        spin / row(ONE_LINE),
        spin / row(SEQ_FLOOR)
    );

    // Async ping-pong: two tasks on a 2-worker runtime.
    let rt = runtime();
    macro_rules! async_pp {
        ($name:expr, $mk:expr, $send:expr, $recv:expr) => {{
            let ((mut tx1, mut rx1), (mut tx2, mut rx2)) = ($mk, $mk);
            let r = rt.block_on(async move {
                let echo = tokio::spawn(async move {
                    for _ in 0..pings + 100 {
                        let v = $recv(&mut rx1).await;
                        $send(&mut tx2, [v; 8]).await;
                    }
                });
                let mut lat = Vec::with_capacity(pings);
                for i in 0..pings + 100 {
                    let t = Instant::now();
                    $send(&mut tx1, [i as u64; 8]).await;
                    black_box($recv(&mut rx2).await);
                    if i >= 100 {
                        lat.push(t.elapsed().as_nanos() as u64);
                    }
                }
                echo.await.unwrap();
                percentiles(lat)
            });
            ($name, r)
        }};
    }
    let mut rows = vec![
        async_pp!(
            "psyne",
            psyne::channel::<M>().capacity(CAP).spsc().unwrap(),
            async |t: &mut psyne::Sender<M>, v| { t.send(v).await.unwrap() },
            async |r: &mut psyne::Receiver<M>| { r.recv().await.unwrap()[0] }
        ),
        async_pp!(
            "tokio::mpsc",
            tokio::sync::mpsc::channel::<M>(CAP),
            async |t: &mut tokio::sync::mpsc::Sender<M>, v| { t.send(v).await.unwrap() },
            async |r: &mut tokio::sync::mpsc::Receiver<M>| { r.recv().await.unwrap()[0] }
        ),
        async_pp!(
            "flume",
            flume::bounded::<M>(CAP),
            async |t: &mut flume::Sender<M>, v| { t.send_async(v).await.unwrap() },
            async |r: &mut flume::Receiver<M>| { r.recv_async().await.unwrap()[0] }
        ),
        async_pp!(
            "kanal",
            kanal::bounded_async::<M>(CAP),
            async |t: &mut kanal::AsyncSender<M>, v| { t.send(v).await.unwrap() },
            async |r: &mut kanal::AsyncReceiver<M>| { r.recv().await.unwrap()[0] }
        ),
        async_pp!(
            "async-channel",
            async_channel::bounded::<M>(CAP),
            async |t: &mut async_channel::Sender<M>, v| { t.send(v).await.unwrap() },
            async |r: &mut async_channel::Receiver<M>| { r.recv().await.unwrap()[0] }
        ),
        async_pp!(
            "thingbuf",
            thingbuf::mpsc::channel::<M>(CAP),
            async |t: &mut thingbuf::mpsc::Sender<M>, v| { t.send(v).await.unwrap() },
            async |r: &mut thingbuf::mpsc::Receiver<M>| { r.recv().await.unwrap()[0] }
        ),
    ];
    rows.sort_by(|a, b| a.1.0.total_cmp(&b.1.0));
    let best_peer = rows.iter().find(|r| r.0 != "psyne").map_or(1.0, |r| r.1.0);
    println!("## ping-pong round trip, async (tokio, 2 workers)\n");
    println!("| implementation | median µs | p99 µs | median vs best peer |");
    println!("|---|---:|---:|---:|");
    for (name, (med, p99)) in &rows {
        println!("| {name} | {med:.3} | {p99:.3} | {:.2}× |", med / best_peer);
    }
    println!();
    let ours = rows.iter().find(|r| r.0 == "psyne").map_or(0.0, |r| r.1.0);
    verdict(
        "async ping-pong median vs best async peer",
        ours / best_peer,
        "target ≤ 1×",
        ours <= best_peer,
    );
}

// ---------------------------------------------------------------------------
// Async MPSC, 4 producers -> 1 consumer

/// psyne's async MPSC stream in runs: each of four producers sends 64 at a
/// time, copied in (`send_batch`) or made in place (`send_batch_with`); the
/// consumer takes runs of up to 64 (`recv_batch`).
fn async_mpsc_batched(rt: &tokio::runtime::Runtime, per: u64, in_place: bool) -> Duration {
    let (tx, mut rx) = psyne::channel::<M>().capacity(CAP).mpsc().unwrap();
    rt.block_on(async move {
        let start = Instant::now();
        let producers: Vec<_> = (0..4)
            .map(|p| {
                let mut tx = tx.clone();
                tokio::spawn(async move {
                    let mut batch = [[0u64; 8]; 64];
                    let mut i = 0;
                    while i < per {
                        let k = 64.min(per - i) as usize;
                        let first = p * per + i;
                        if in_place {
                            tx.send_batch_with(k, |j| [first + j as u64; 8]).await.unwrap();
                        } else {
                            for (j, m) in batch[..k].iter_mut().enumerate() {
                                *m = [first + j as u64; 8];
                            }
                            tx.send_batch(&batch[..k]).await.unwrap();
                        }
                        i += k as u64;
                    }
                })
            })
            .collect();
        drop(tx);
        let (mut sum, mut got) = (0u64, 0u64);
        while got < per * 4 {
            let batch = rx.recv_batch(64).await.unwrap();
            got += batch.len() as u64;
            sum = batch.iter().fold(sum, |s, m| s.wrapping_add(m[0]));
        }
        for p in producers {
            p.await.unwrap();
        }
        black_box(sum);
        start.elapsed()
    })
}

fn async_mpsc(cfg: &Cfg) {
    let rt = runtime();
    let n = cfg.msgs;
    let per = n / 4;
    macro_rules! mpsc_case {
        ($mk:expr, $clone:expr, $send:expr, $recv:expr) => {
            Box::new(|| {
                let (tx, mut rx) = $mk;
                rt.block_on(async move {
                    let start = Instant::now();
                    let producers: Vec<_> = (0..4)
                        .map(|p| {
                            let mut tx = $clone(&tx);
                            tokio::spawn(async move {
                                for i in 0..per {
                                    $send(&mut tx, [p * per + i; 8]).await;
                                }
                            })
                        })
                        .collect();
                    drop(tx);
                    let mut sum = 0u64;
                    for _ in 0..per * 4 {
                        sum = sum.wrapping_add($recv(&mut rx).await);
                    }
                    for p in producers {
                        p.await.unwrap();
                    }
                    black_box(sum);
                    start.elapsed()
                })
            })
        };
    }
    let cases: Vec<Case<'_>> = vec![
        (
            "psyne",
            mpsc_case!(
                psyne::channel::<M>().capacity(CAP).mpsc().unwrap(),
                |t: &psyne::Sender<M, psyne::Mpsc>| t.clone(),
                async |t: &mut psyne::Sender<M, psyne::Mpsc>, v| { t.send(v).await.unwrap() },
                async |r: &mut psyne::Receiver<M, psyne::Mpsc>| { r.recv().await.unwrap()[0] }
            ),
        ),
        (
            "psyne batched, copied in (send_batch / recv_batch, 64)",
            Box::new(|| async_mpsc_batched(&rt, per, false)),
        ),
        (
            "psyne batched, in place (send_batch_with / recv_batch, 64)",
            Box::new(|| async_mpsc_batched(&rt, per, true)),
        ),
        (
            "tokio::mpsc",
            mpsc_case!(
                tokio::sync::mpsc::channel::<M>(CAP),
                |t: &tokio::sync::mpsc::Sender<M>| t.clone(),
                async |t: &mut tokio::sync::mpsc::Sender<M>, v| { t.send(v).await.unwrap() },
                async |r: &mut tokio::sync::mpsc::Receiver<M>| { r.recv().await.unwrap()[0] }
            ),
        ),
        (
            "flume",
            mpsc_case!(
                flume::bounded::<M>(CAP),
                |t: &flume::Sender<M>| t.clone(),
                async |t: &mut flume::Sender<M>, v| { t.send_async(v).await.unwrap() },
                async |r: &mut flume::Receiver<M>| { r.recv_async().await.unwrap()[0] }
            ),
        ),
        (
            "kanal",
            mpsc_case!(
                kanal::bounded_async::<M>(CAP),
                |t: &kanal::AsyncSender<M>| t.clone(),
                async |t: &mut kanal::AsyncSender<M>, v| { t.send(v).await.unwrap() },
                async |r: &mut kanal::AsyncReceiver<M>| { r.recv().await.unwrap()[0] }
            ),
        ),
        (
            "async-channel",
            mpsc_case!(
                async_channel::bounded::<M>(CAP),
                |t: &async_channel::Sender<M>| t.clone(),
                async |t: &mut async_channel::Sender<M>, v| { t.send(v).await.unwrap() },
                async |r: &mut async_channel::Receiver<M>| { r.recv().await.unwrap()[0] }
            ),
        ),
        (
            "thingbuf",
            mpsc_case!(
                thingbuf::mpsc::channel::<M>(CAP),
                |t: &thingbuf::mpsc::Sender<M>| t.clone(),
                async |t: &mut thingbuf::mpsc::Sender<M>, v| { t.send(v).await.unwrap() },
                async |r: &mut thingbuf::mpsc::Receiver<M>| { r.recv().await.unwrap()[0] }
            ),
        ),
    ];
    let mut rows = interleave(cfg, (per * 4) as f64 / 1e6, cases);
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (peer, best) = best_peer(&rows, true);
    table("async MPSC throughput, 4 producers → 1 consumer", "M msg/s", true, &rows, peer);
    let ours = rows.iter().filter(|(n, _)| n.starts_with("psyne")).map(|r| r.1).fold(0.0, f64::max);
    verdict("async MPSC vs best async peer", ours / best, "target ≥ 1.5×", ours / best >= 1.5);
}

// ---------------------------------------------------------------------------
// 1 MiB messages

/// Producer work: write every byte.
fn fill(buf: &mut [u8], i: usize) {
    buf.fill(i as u8);
}

/// Consumer work: read one byte per cache line.
fn touch(buf: &[u8]) -> u64 {
    buf.iter().step_by(64).map(|&b| b as u64).sum()
}

fn big_messages(cfg: &Cfg) {
    let n = cfg.big_msgs;
    let mut cases: Vec<Case<'_>> = Vec::new();
    cases.push((
        "psyne reserve_bytes (in place)",
        Box::new(|| {
            let (mut tx, mut rx) = psyne::channel::<[u8]>()
                .bytes(4 * BIG)
                .zero_on_reserve(false)
                .backpressure(Backpressure::Wait)
                .spsc()
                .unwrap();
            threads(
                n as u64,
                move || {
                    for i in 0..n {
                        let mut rec = tx.reserve_bytes_blocking(BIG).unwrap();
                        fill(&mut rec, i);
                        rec.commit();
                    }
                },
                move || (0..n).fold(0, |s, _| s + touch(&rx.recv_blocking().unwrap())),
            )
        }),
    ));
    cases.push((
        "crossbeam-channel + Vec per message",
        Box::new(|| {
            let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(4);
            threads(
                n as u64,
                move || {
                    for i in 0..n {
                        let mut v = vec![0u8; BIG];
                        fill(&mut v, i);
                        tx.send(v).unwrap();
                    }
                },
                move || (0..n).fold(0, |s, _| s + touch(&rx.recv().unwrap())),
            )
        }),
    ));
    cases.push((
        "thingbuf blocking send_ref (recycled)",
        Box::new(|| {
            let (tx, rx) = thingbuf::mpsc::blocking::with_recycle::<Vec<u8>, _>(
                4,
                thingbuf::recycling::WithCapacity::new().with_min_capacity(BIG),
            );
            threads(
                n as u64,
                move || {
                    for i in 0..n {
                        let mut slot = tx.send_ref().unwrap();
                        slot.resize(BIG, 0);
                        fill(&mut slot, i);
                    }
                },
                move || (0..n).fold(0, |s, _| s + touch(&rx.recv_ref().unwrap())),
            )
        }),
    ));
    cases.push((
        "reuse-pool floor (two rtrb rings of Box<[u8]>)",
        Box::new(|| {
            let (mut full_tx, mut full_rx) = rtrb::RingBuffer::<Box<[u8]>>::new(4);
            let (mut free_tx, mut free_rx) = rtrb::RingBuffer::<Box<[u8]>>::new(4);
            for _ in 0..2 {
                free_tx.push(vec![0u8; BIG].into_boxed_slice()).unwrap();
            }
            threads(
                n as u64,
                move || {
                    for i in 0..n {
                        let mut buf = loop {
                            if let Ok(b) = free_rx.pop() {
                                break b;
                            }
                            std::hint::spin_loop();
                        };
                        fill(&mut buf, i);
                        full_tx.push(buf).unwrap();
                    }
                },
                move || {
                    (0..n).fold(0, |s, _| {
                        let buf = loop {
                            if let Ok(b) = full_rx.pop() {
                                break b;
                            }
                            std::hint::spin_loop();
                        };
                        let t = touch(&buf);
                        free_tx.push(buf).unwrap();
                        s + t
                    })
                },
            )
        }),
    ));
    let mut rows = interleave(cfg, (n * BIG) as f64 / 1e9, cases);
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let floor_name = "reuse-pool floor (two rtrb rings of Box<[u8]>)";
    table(
        "1 MiB messages, producer writes all, consumer reads 1 byte per line",
        "GB/s",
        true,
        &rows,
        floor_name,
    );
    let floor = rows.iter().find(|r| r.0 == floor_name).map_or(1.0, |r| r.1);
    let ours = rows.iter().find(|r| r.0.starts_with("psyne")).map_or(0.0, |r| r.1);
    verdict("1 MiB vs reuse-pool floor", ours / floor, "target ≥ 0.9×", ours / floor >= 0.9);
}

// ---------------------------------------------------------------------------
// In-place kernel over a received message

/// A dot product over a `FloatVector` read in place from the ring, with
/// psyne's lane-parallel kernel (which the compiler turns into packed SIMD)
/// and a strict left-to-right scalar loop (which it cannot).
fn kernel(cfg: &Cfg) {
    use psyne::message::types::{FloatVector, dot, dot_scalar};
    const ELEMS: usize = 4096;
    let (mut tx, mut rx) = psyne::channel::<FloatVector>().bytes(1 << 16).spsc().unwrap();
    let mut v = tx.try_reserve_len(ELEMS).unwrap();
    v.iter_mut().enumerate().for_each(|(i, x)| *x = (i % 7) as f32 * 0.25);
    v.commit();
    let msg = rx.try_recv().unwrap();
    let reps = (cfg.msgs / 100).max(100) as usize;
    let work = (reps * ELEMS) as f64 / 1e9;
    let (a, b) = (msg.as_slice(), msg.as_slice());
    assert_eq!(dot(a, b), dot_scalar(a, b), "exact for these small integers");
    let cases: Vec<Case<'_>> = vec![
        (
            "psyne::message::types::dot (16 lanes)",
            Box::new(|| {
                let start = Instant::now();
                for _ in 0..reps {
                    black_box(dot(black_box(a), black_box(b)));
                }
                start.elapsed()
            }),
        ),
        (
            "scalar loop (strict order)",
            Box::new(|| {
                let start = Instant::now();
                for _ in 0..reps {
                    black_box(dot_scalar(black_box(a), black_box(b)));
                }
                start.elapsed()
            }),
        ),
    ];
    let rows = interleave(cfg, work, cases);
    table(
        "dot product over a received FloatVector (4096 f32, in place)",
        "G elem/s",
        true,
        &rows,
        "scalar loop (strict order)",
    );
    let ratio = rows[0].1 / rows[1].1;
    verdict("in-place dot vs scalar loop", ratio, "vectorized: expect ≥ 2×", ratio >= 2.0);
}
