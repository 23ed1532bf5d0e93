//! The `ipc` section: psyne's `ipc://` between two processes against
//! iceoryx2 publish-subscribe, Unix domain sockets (std and tokio) and raw
//! shared-memory floors. The other process is this program again, started
//! with `--ipc-child <role> <arg>`.
//!
//! Workloads, each between a parent and a child process:
//! - spinning ping-pong round trip, 64-byte messages: psyne busy-spin,
//!   iceoryx2 polled, and two atomics in shared memory (the floor);
//! - parked ping-pong: psyne async (tokio) and blocking (futex), against
//!   tokio's and std's Unix sockets and iceoryx2 publish-subscribe woken
//!   through its event service, every side asleep between messages;
//! - one-way throughput of 64-byte messages: psyne, iceoryx2, a buffered
//!   Unix socket, and a hand-written shared-memory ring published in runs
//!   (the floor);
//! - one-way throughput of 1 MiB messages, written in full by the sender
//!   and read one byte per cache line by the receiver: psyne, iceoryx2, a
//!   Unix socket, and a hand-written shared-memory ring (the floor).

use std::io::{BufReader, BufWriter, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use iceoryx2::prelude::*;
use psyne::WaitStrategy;

use crate::{Cfg, M, median, percentiles, table, verdict};

const BIG: usize = 1 << 20;
const WARMUP: usize = 200;

/// A child process of this benchmark, killed and reaped when dropped.
struct Peer(Child);

impl Peer {
    fn start(role: &str, arg: &str) -> Self {
        let exe = std::env::current_exe().expect("own executable");
        Self(Command::new(exe).args(["--ipc-child", role, arg]).spawn().expect("spawn child"))
    }

    fn finish(mut self) {
        let status = self.0.wait().expect("wait for child");
        assert!(status.success(), "benchmark child failed: {status}");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tag(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("bench-{what}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Connects to `uri`, retrying while the other process has not bound it.
fn connect<T: psyne::Message + ?Sized>(uri: &str, wait: WaitStrategy) -> psyne::Sender<T> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // Senders write every byte of what they reserve: no zeroing first.
        let builder = psyne::channel::<T>().wait_strategy(wait).zero_on_reserve(false);
        match futures::executor::block_on(builder.connect(uri)) {
            Ok(tx) => return tx,
            Err(psyne::ConnectError::NotFound { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("connect {uri}: {e}"),
        }
    }
}

fn bind<T: psyne::Message + ?Sized>(
    uri: &str,
    wait: WaitStrategy,
    bytes: Option<usize>,
) -> psyne::Receiver<T> {
    let b = psyne::channel::<T>().wait_strategy(wait);
    let b = match bytes {
        Some(n) => b.bytes(n).zero_on_reserve(false),
        None => b.capacity(1024),
    };
    futures::executor::block_on(b.bind(uri)).unwrap_or_else(|e| panic!("bind {uri}: {e}"))
}

/// `spin`: busy-spin; `park`: sleep at once (no spin phase), so every
/// message is a real wake-up; anything else: the default spin-then-park.
fn strategy(name: &str) -> WaitStrategy {
    match name {
        "spin" => WaitStrategy::BusySpin,
        "park" => WaitStrategy::SpinPark { spin: Duration::ZERO },
        _ => WaitStrategy::default(),
    }
}

// ---------------------------------------------------------------------------
// Raw shared memory for the floors

/// A shared anonymous file mapped in both processes (the descriptor is
/// inherited by the child: no close-on-exec).
struct Shm {
    ptr: *mut u8,
    len: usize,
    _fd: OwnedFd,
}

impl Shm {
    fn create(len: usize) -> Self {
        let fd = rustix::fs::memfd_create("psyne-bench-floor", rustix::fs::MemfdFlags::empty())
            .expect("memfd");
        rustix::fs::ftruncate(&fd, len as u64).expect("ftruncate");
        Self::map(fd, len)
    }

    fn inherit(raw: i32, len: usize) -> Self {
        // SAFETY: the parent passed this descriptor number, open and
        // inherited, for this child alone.
        Self::map(unsafe { OwnedFd::from_raw_fd(raw) }, len)
    }

    fn map(fd: OwnedFd, len: usize) -> Self {
        // SAFETY: a fresh shared mapping of a file of `len` bytes.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::SHARED,
                &fd,
                0,
            )
        }
        .expect("mmap");
        Self { ptr: ptr.cast(), len, _fd: fd }
    }

    fn word(&self, i: usize) -> &AtomicU64 {
        assert!(i * 128 + 8 <= self.len);
        let at = self.ptr.wrapping_add(i * 128).cast::<u64>();
        // SAFETY: inside the mapping, 8-byte aligned, only accessed
        // atomically by both processes.
        unsafe { AtomicU64::from_ptr(at) }
    }

    /// Bytes `[off, off + len)` of the mapping.
    #[allow(clippy::mut_from_ref)]
    fn bytes(&self, off: usize, len: usize) -> &mut [u8] {
        assert!(off + len <= self.len);
        let at = self.ptr.wrapping_add(off);
        // SAFETY: inside the mapping; the floor protocol hands each slot to
        // one process at a time.
        unsafe { std::slice::from_raw_parts_mut(at, len) }
    }

    fn fd(&self) -> i32 {
        self._fd.as_raw_fd()
    }
}

fn spin_until(w: &AtomicU64, v: u64) {
    while w.load(Ordering::Acquire) != v {
        std::hint::spin_loop();
    }
}

// ---------------------------------------------------------------------------
// Child roles

/// Runs the child role named in `args`, if this process is a child.
pub(crate) fn child(args: &[String]) -> bool {
    let Some(i) = args.iter().position(|a| a == "--ipc-child") else { return false };
    quiet_iceoryx2();
    let role = args[i + 1].as_str();
    let arg = args[i + 2].as_str();
    let mut parts = arg.split(',');
    let mut next = || parts.next().unwrap_or_default().to_owned();
    match role {
        "floor-echo" => {
            let (fd, n): (i32, usize) = (next().parse().unwrap(), next().parse().unwrap());
            let shm = Shm::inherit(fd, 4096);
            for i in 1..=n as u64 {
                spin_until(shm.word(0), i);
                shm.word(1).store(i, Ordering::Release);
            }
        }
        "psyne-echo" => {
            let (name, wait, n) = (next(), strategy(&next()), next().parse::<usize>().unwrap());
            let by_ref = next() == "ref";
            let mut rx = bind::<M>(&format!("ipc://{name}-ping"), wait, None);
            let mut tx = connect::<M>(&format!("ipc://{name}-pong"), wait);
            for _ in 0..n {
                let m = if by_ref {
                    *rx.recv_ref_blocking().expect("ping")
                } else {
                    *rx.recv_blocking().expect("ping")
                };
                tx.send_blocking(m).unwrap();
            }
        }
        "psyne-echo-async" => {
            let (name, wait, n) = (next(), strategy(&next()), next().parse::<usize>().unwrap());
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut rx = bind::<M>(&format!("ipc://{name}-ping"), wait, None);
                let mut tx = connect::<M>(&format!("ipc://{name}-pong"), wait);
                for _ in 0..n {
                    let m = rx.recv().await.expect("ping");
                    tx.send(*m).await.unwrap();
                }
            });
        }
        "iceoryx2-echo" => {
            let (name, n) = (next(), next().parse::<usize>().unwrap());
            let node = NodeBuilder::new().create::<ipc::Service>().unwrap();
            let ping = ice_service(&node, &format!("{name}/ping"), 16);
            let pong = ice_service(&node, &format!("{name}/pong"), 16);
            let sub = ping.subscriber_builder().create().unwrap();
            let publisher = pong.publisher_builder().create().unwrap();
            for _ in 0..n {
                let v = loop {
                    if let Some(s) = sub.receive().unwrap() {
                        break *s;
                    }
                    std::hint::spin_loop();
                };
                publisher.send_copy(v).unwrap();
            }
        }
        "iceoryx2-echo-parked" => {
            let (name, n) = (next(), next().parse::<usize>().unwrap());
            let node = NodeBuilder::new().create::<ipc::Service>().unwrap();
            let ends = IceParked::open(&node, &name, "ping", "pong");
            for _ in 0..n {
                let v = ends.wait(None);
                ends.send(v);
            }
        }
        "uds-echo" => {
            let (path, n) = (next(), next().parse::<usize>().unwrap());
            let mut s = UnixStream::connect(&path).unwrap();
            let mut buf = [0u8; 64];
            for _ in 0..n {
                s.read_exact(&mut buf).unwrap();
                s.write_all(&buf).unwrap();
            }
        }
        "tokio-uds-echo" => {
            let (path, n) = (next(), next().parse::<usize>().unwrap());
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
                let mut buf = [0u8; 64];
                for _ in 0..n {
                    s.read_exact(&mut buf).await.unwrap();
                    s.write_all(&buf).await.unwrap();
                }
            });
        }
        "psyne-send" => {
            let (uri, size, n) =
                (next(), next().parse::<usize>().unwrap(), next().parse().unwrap());
            psyne_send(&uri, size, n);
        }
        "psyne-send-batch" => {
            let (uri, n, how) = (next(), next().parse::<u64>().unwrap(), next());
            let mut tx = connect::<M>(&uri, WaitStrategy::default());
            let mut batch = [[0u64; 8]; 64];
            let mut i = 0;
            if how == "one-call" {
                // The whole stream with one call: runs as long as the room.
                tx.send_batch_with_blocking(n as usize, |j| [j as u64; 8]).unwrap();
                i = n;
            }
            while i < n {
                let k = 64.min(n - i) as usize;
                if how == "in-place" {
                    // Each value made in its record.
                    tx.send_batch_with_blocking(k, |j| [i + j as u64; 8]).unwrap();
                } else {
                    // Made in a buffer, then copied in.
                    for (j, m) in batch[..k].iter_mut().enumerate() {
                        *m = [i + j as u64; 8];
                    }
                    tx.send_batch_blocking(&batch[..k]).unwrap();
                }
                i += k as u64;
            }
        }
        "iceoryx2-send" => {
            let (name, size, n) =
                (next(), next().parse::<usize>().unwrap(), next().parse().unwrap());
            iceoryx2_send(&name, size, n);
        }
        "uds-send" => {
            let (path, size, n) =
                (next(), next().parse::<usize>().unwrap(), next().parse::<usize>().unwrap());
            let s = UnixStream::connect(&path).unwrap();
            let mut w = BufWriter::with_capacity(64 << 10, s);
            let mut buf = vec![0u8; size];
            for i in 0..n {
                crate::fill(&mut buf, i);
                w.write_all(&buf).unwrap();
            }
            w.flush().unwrap();
        }
        "floor-send-small" => {
            let (fd, n): (i32, u64) = (next().parse().unwrap(), next().parse().unwrap());
            if let Ok(cpu) = next().parse() {
                pin(cpu);
            }
            let shm = Shm::inherit(fd, SMALL_FLOOR_LEN);
            let mut i = 0;
            while i < n {
                let end = (i + RUN).min(n);
                // Wait until the consumer freed the slots' previous lap.
                let free = end.saturating_sub(SMALL_FLOOR_SLOTS);
                spin_then_yield(|| shm.word(1).load(Ordering::Acquire) >= free);
                for j in i..end {
                    let at = FLOOR_DATA + (j % SMALL_FLOOR_SLOTS) as usize * 64;
                    shm.bytes(at, 64).copy_from_slice(message_bytes(&[j; 8]));
                }
                shm.word(0).store(end, Ordering::Release);
                i = end;
            }
        }
        "floor-send" => {
            let (fd, n): (i32, usize) = (next().parse().unwrap(), next().parse().unwrap());
            let shm = Shm::inherit(fd, FLOOR_LEN);
            for i in 0..n {
                let slot = i % FLOOR_SLOTS;
                // Wait until the consumer freed this slot's previous lap.
                spin_until_at_least(shm.word(1), (i + 1).saturating_sub(FLOOR_SLOTS) as u64);
                crate::fill(shm.bytes(FLOOR_DATA + slot * BIG, BIG), i);
                shm.word(0).store(i as u64 + 1, Ordering::Release);
            }
        }
        other => panic!("unknown child role {other}"),
    }
    true
}

/// Spins until `ready()`, yielding the CPU every 65536 polls: with both
/// processes spinning on two cores, a third runnable thread would
/// otherwise leave one of them waiting a whole time slice for a CPU the
/// other spins on.
fn spin_then_yield(mut ready: impl FnMut() -> bool) {
    let mut polls = 0u32;
    while !ready() {
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(1 << 16) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

fn spin_until_at_least(w: &AtomicU64, v: u64) {
    while w.load(Ordering::Acquire) < v {
        std::hint::spin_loop();
    }
}

/// How many 1 MiB frames every 1 MiB row holds in flight: four, as
/// iceoryx2's subscriber buffer (`ice_bytes_service`) and the in-process
/// 1 MiB table. Two deep, the writer of a frame waits for the reader often
/// enough that psyne and the floor read about 21 k msg/s on the project
/// machine, as iceoryx2 does at any depth from 2 to 8; four deep they read
/// 45–65 k.
const BIG_DEPTH: usize = 4;
const FLOOR_SLOTS: usize = BIG_DEPTH;
const FLOOR_DATA: usize = 4096;
const FLOOR_LEN: usize = FLOOR_DATA + FLOOR_SLOTS * BIG;
/// The 64-byte floor: as many 64-byte slots as psyne's ring has records,
/// published and freed in runs of [`RUN`], as psyne's batched row does.
const SMALL_FLOOR_SLOTS: u64 = 1024;
const SMALL_FLOOR_LEN: usize = FLOOR_DATA + SMALL_FLOOR_SLOTS as usize * 64;
const RUN: u64 = 64;

/// A message's bytes, as the other rows write them.
fn message_bytes(m: &M) -> &[u8] {
    // SAFETY: `[u64; 8]` is 64 initialised bytes without padding.
    unsafe { std::slice::from_raw_parts(m.as_ptr().cast::<u8>(), 64) }
}

/// One side of an iceoryx2 ping-pong whose waits sleep: a publisher and
/// a notifier for what it sends, a subscriber and a listener for what it
/// receives (iceoryx2 has no async API; its event service wakes a
/// listener blocked in `blocking_wait_one`).
struct IceParked {
    publisher: iceoryx2::port::publisher::Publisher<ipc::Service, M, ()>,
    notifier: iceoryx2::port::notifier::Notifier<ipc::Service>,
    sub: iceoryx2::port::subscriber::Subscriber<ipc::Service, M, ()>,
    listener: iceoryx2::port::listener::Listener<ipc::Service>,
}

impl IceParked {
    /// Sends on `{name}/{out}` and receives on `{name}/{inn}`.
    fn open(node: &Node<ipc::Service>, name: &str, inn: &str, out: &str) -> Self {
        let event = |dir: &str| {
            let service: ServiceName = format!("{name}/{dir}-event").as_str().try_into().unwrap();
            node.service_builder(&service).event().open_or_create().unwrap()
        };
        Self {
            publisher: ice_service(node, &format!("{name}/{out}"), 16)
                .publisher_builder()
                .create()
                .unwrap(),
            notifier: event(out).notifier_builder().create().unwrap(),
            sub: ice_service(node, &format!("{name}/{inn}"), 16)
                .subscriber_builder()
                .create()
                .unwrap(),
            listener: event(inn).listener_builder().create().unwrap(),
        }
    }

    fn send(&self, v: M) {
        self.publisher.send_copy(v).unwrap();
        self.notifier.notify().unwrap();
    }

    /// The next sample, sleeping until a notification while there is none
    /// (at most `timeout` at a time, if given: then `None` after one).
    fn wait(&self, timeout: Option<Duration>) -> M {
        loop {
            if let Some(s) = self.sub.receive().unwrap() {
                return *s;
            }
            match timeout {
                None => drop(self.listener.blocking_wait_one().unwrap()),
                Some(t) => {
                    if self.listener.timed_wait_one(t).unwrap().is_none()
                        && self.sub.receive().unwrap().is_none()
                    {
                        return [u64::MAX; 8];
                    }
                }
            }
        }
    }
}

/// iceoryx2 publish-subscribe ping-pong, each side asleep in its event
/// listener until the other notifies.
fn iceoryx2_ping_parked(n: usize) -> (f64, f64) {
    let name = tag("ice-parked");
    let node = NodeBuilder::new().create::<ipc::Service>().unwrap();
    let ends = IceParked::open(&node, &name, "pong", "ping");
    let peer = Peer::start("iceoryx2-echo-parked", &format!("{name},{n}"));
    // The child's ports may not exist yet: resend the first ping until an
    // answer comes.
    loop {
        ends.send([0; 8]);
        if ends.wait(Some(Duration::from_millis(20))) != [u64::MAX; 8] {
            break;
        }
    }
    let r = time_pings(n - 1, |i| {
        ends.send([i; 8]);
        std::hint::black_box(ends.wait(None));
    });
    peer.finish();
    r
}

fn ice_service(
    node: &Node<ipc::Service>,
    name: &str,
    buffer: usize,
) -> iceoryx2::service::port_factory::publish_subscribe::PortFactory<ipc::Service, M, ()> {
    node.service_builder(&name.try_into().unwrap())
        .publish_subscribe::<M>()
        .enable_safe_overflow(false)
        .subscriber_max_buffer_size(buffer)
        .history_size(0)
        .open_or_create()
        .unwrap()
}

/// The 1 MiB byte-slice service, four samples deep, as both sides open it.
fn ice_bytes_service(
    node: &Node<ipc::Service>,
    name: &str,
) -> iceoryx2::service::port_factory::publish_subscribe::PortFactory<ipc::Service, [u8], ()> {
    node.service_builder(&name.try_into().unwrap())
        .publish_subscribe::<[u8]>()
        .enable_safe_overflow(false)
        .subscriber_max_buffer_size(BIG_DEPTH)
        .history_size(0)
        .open_or_create()
        .unwrap()
}

fn psyne_send(uri: &str, size: usize, n: usize) {
    if size == 64 {
        let mut tx = connect::<M>(uri, WaitStrategy::default());
        for i in 0..n as u64 {
            tx.send_blocking([i; 8]).unwrap();
        }
    } else {
        let mut tx = connect::<[u8]>(uri, WaitStrategy::default());
        for i in 0..n {
            let mut slot = tx.reserve_bytes_blocking(size).unwrap();
            crate::fill(&mut slot, i);
            slot.commit();
        }
    }
}

fn iceoryx2_send(name: &str, size: usize, n: usize) {
    let node = NodeBuilder::new().create::<ipc::Service>().unwrap();
    if size == 64 {
        let service = ice_service(&node, name, 1024);
        let publisher = service
            .publisher_builder()
            .unable_to_deliver_strategy(UnableToDeliverStrategy::Block)
            .create()
            .unwrap();
        for i in 0..n as u64 {
            publisher.send_copy([i; 8]).unwrap();
        }
    } else {
        let service = ice_bytes_service(&node, name);
        let publisher = service
            .publisher_builder()
            .initial_max_slice_len(size)
            .unable_to_deliver_strategy(UnableToDeliverStrategy::Block)
            .create()
            .unwrap();
        for i in 0..n {
            let sample = loop {
                // All samples in flight: wait for the subscriber to return one.
                match publisher.loan_slice_uninit(size) {
                    Ok(s) => break s,
                    Err(_) => std::hint::spin_loop(),
                }
            };
            // Every byte written once, as `fill` does for the others.
            let sample = sample.write_from_fn(|_| i as u8);
            sample.send().unwrap();
        }
    }
    // Let the subscriber take the last samples before the node goes.
    std::thread::sleep(Duration::from_millis(100));
}

// ---------------------------------------------------------------------------
// The section

/// iceoryx2 warns on stderr that it found no config file; the defaults are
/// what this comparison wants.
fn quiet_iceoryx2() {
    set_log_level(LogLevel::Error);
}

pub(crate) fn section(cfg: &Cfg) {
    quiet_iceoryx2();
    let pings = cfg.pings;
    let n = pings + WARMUP;
    // Spinning round trips.
    let mut spin = Vec::new();
    let mut parked = Vec::new();
    for _ in 0..cfg.runs {
        spin.push(("raw shared-memory spin floor", floor_ping(n)));
        spin.push(("psyne ipc busy-spin", psyne_ping(n, "spin", false)));
        spin.push(("psyne ipc busy-spin (recv_ref)", psyne_ping(n, "spin", true)));
        spin.push(("iceoryx2 pub-sub (polled)", iceoryx2_ping(n)));
        parked.push(("psyne ipc async (tokio, parked)", psyne_ping_async(n, "park")));
        parked.push(("psyne ipc blocking (futex, parked)", psyne_ping(n, "park", false)));
        parked.push(("psyne ipc async (default spin-then-park)", psyne_ping_async(n, "default")));
        parked.push(("tokio UnixStream", tokio_uds_ping(n)));
        parked.push(("std UnixStream", uds_ping(n)));
        parked.push(("iceoryx2 pub-sub + event (parked)", iceoryx2_ping_parked(n)));
    }
    let spin = summarize(spin);
    let parked = summarize(parked);
    latency_table(
        "ipc ping-pong round trip, spinning (64 B, µs)",
        &spin,
        "raw shared-memory spin floor",
    );
    let floor = lookup_p50(&spin, "raw shared-memory spin floor");
    // As in-process: the better of the owned and the borrowed receive.
    let ours = lookup_p50(&spin, "psyne ipc busy-spin")
        .min(lookup_p50(&spin, "psyne ipc busy-spin (recv_ref)"));
    verdict("psyne ipc spin RTT vs raw floor", ours / floor, "target ≤ 1.3×", ours / floor <= 1.3);
    latency_table("ipc ping-pong round trip, parked (64 B, µs)", &parked, "tokio UnixStream");
    let tokio_uds = lookup_p50(&parked, "tokio UnixStream");
    let ours = lookup_p50(&parked, "psyne ipc async (tokio, parked)");
    verdict(
        "psyne ipc async parked RTT vs tokio UnixStream",
        ours / tokio_uds,
        "target ≤ 1×",
        ours <= tokio_uds,
    );

    // One-way throughput.
    let msgs = cfg.msgs as usize;
    let mut small = Vec::new();
    let mut big = Vec::new();
    let big_n = cfg.big_msgs;
    for _ in 0..cfg.runs {
        small.push(("psyne ipc", psyne_stream(64, msgs)));
        small.push(("psyne ipc (recv_ref)", psyne_stream_by_ref(msgs)));
        small.push((BATCHED_COPY, psyne_stream_batched(msgs, "copied")));
        small.push((BATCHED_IN_PLACE, psyne_stream_batched(msgs, "in-place")));
        small.push((BATCHED_ONE_CALL, psyne_stream_batched(msgs, "one-call")));
        small.push(("iceoryx2 pub-sub", iceoryx2_stream(64, msgs)));
        small.push(("std UnixStream (buffered)", uds_stream(64, msgs)));
        small.push(("raw shared-memory ring floor (runs of 64)", floor_stream_small(msgs)));
        big.push(("psyne ipc", psyne_stream(BIG, big_n)));
        big.push(("iceoryx2 pub-sub", iceoryx2_stream(BIG, big_n)));
        big.push(("std UnixStream", uds_stream(BIG, big_n)));
        big.push(("raw shared-memory ring floor", floor_stream(big_n)));
    }
    let small = rate(small, msgs as f64 / 1e6);
    let big = rate(big, big_n as f64 / 1e3);
    table(
        "ipc one-way throughput, 64-byte messages",
        "M msg/s",
        true,
        &small,
        "std UnixStream (buffered)",
    );
    // The socket writes 64 KiB per system call; psyne's rows are one message
    // at a time and in runs of 64: the best one counts.
    let ours = lookup(&small, "psyne ipc")
        .max(lookup(&small, "psyne ipc (recv_ref)"))
        .max(lookup(&small, BATCHED_COPY))
        .max(lookup(&small, BATCHED_IN_PLACE))
        .max(lookup(&small, BATCHED_ONE_CALL));
    let r = ours / lookup(&small, "std UnixStream (buffered)");
    verdict("psyne ipc 64 B throughput vs buffered Unix socket", r, "target ≥ 2×", r >= 2.0);
    // Not a target: how much of what the machine allows psyne reaches, and
    // the socket ratio the floor itself would have.
    let floor = lookup(&small, "raw shared-memory ring floor (runs of 64)");
    println!(
        "psyne ipc 64 B batched in place vs the raw floor: {:.2}×; the floor vs the socket: {:.2}×\n",
        lookup(&small, BATCHED_IN_PLACE) / floor,
        floor / lookup(&small, "std UnixStream (buffered)"),
    );
    table(
        "ipc one-way throughput, 1 MiB messages",
        "k msg/s",
        true,
        &big,
        "raw shared-memory ring floor",
    );
    let ours = lookup(&big, "psyne ipc");
    let r = ours / lookup(&big, "iceoryx2 pub-sub");
    verdict("psyne ipc 1 MiB throughput vs iceoryx2", r, "target ≥ 1×", r >= 1.0);
    let r = ours / lookup(&big, "raw shared-memory ring floor");
    verdict("psyne ipc 1 MiB throughput vs raw floor", r, "target ≥ 0.9×", r >= 0.9);
}

fn lookup(rows: &[(&'static str, f64)], name: &str) -> f64 {
    rows.iter().find(|(n, _)| *n == name).map_or(f64::NAN, |r| r.1)
}

/// The median round trip of `name`.
fn lookup_p50(rows: &[(&'static str, (f64, f64))], name: &str) -> f64 {
    rows.iter().find(|(n, _)| *n == name).map_or(f64::NAN, |r| r.1.0)
}

/// The distinct names of `samples`, in first-seen order.
fn names<V>(samples: &[(&'static str, V)]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for (n, _) in samples {
        if !names.contains(n) {
            names.push(n);
        }
    }
    names
}

/// Medians over runs of (median, p99) latencies, in µs; keyed by name.
fn summarize(samples: Vec<(&'static str, (f64, f64))>) -> Vec<(&'static str, (f64, f64))> {
    names(&samples)
        .into_iter()
        .map(|name| {
            let of = |f: fn(&(f64, f64)) -> f64| {
                median(samples.iter().filter(|(n, _)| *n == name).map(|(_, v)| f(v)).collect())
            };
            (name, (of(|v| v.0), of(|v| v.1)))
        })
        .collect()
}

fn latency_table(title: &str, rows: &[(&'static str, (f64, f64))], reference: &str) {
    let base = rows.iter().find(|(n, _)| *n == reference).map_or(1.0, |r| r.1.0);
    println!("## {title}\n");
    println!("| implementation | median | p99 | median vs {reference} |");
    println!("|---|---:|---:|---:|");
    for (name, (p50, p99)) in rows {
        println!("| {name} | {p50:.2} | {p99:.2} | {:.2}× |", p50 / base);
    }
    println!();
}

/// Medians of `work / seconds` per name.
fn rate(samples: Vec<(&'static str, Duration)>, work: f64) -> Vec<(&'static str, f64)> {
    names(&samples)
        .into_iter()
        .map(|name| {
            let xs = samples.iter().filter(|(n, _)| *n == name);
            (name, median(xs.map(|(_, d)| work / d.as_secs_f64()).collect()))
        })
        .collect()
}

/// Round trips `0..n`, timing all but the warm-up; (median, p99) in µs.
fn time_pings(n: usize, mut round_trip: impl FnMut(u64)) -> (f64, f64) {
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        round_trip(i as u64);
        if i >= WARMUP {
            lat.push(t.elapsed().as_nanos() as u64);
        }
    }
    percentiles(lat)
}

fn floor_ping(n: usize) -> (f64, f64) {
    let shm = Shm::create(4096);
    let peer = Peer::start("floor-echo", &format!("{},{n}", shm.fd()));
    let r = time_pings(n, |i| {
        shm.word(0).store(i + 1, Ordering::Release);
        spin_until(shm.word(1), i + 1);
    });
    peer.finish();
    r
}

/// Blocking round trips; `by_ref`: both sides receive borrowed `MsgRef`s
/// (no reference count per message) instead of `Msg`s.
fn psyne_ping(n: usize, wait: &str, by_ref: bool) -> (f64, f64) {
    let name = tag("ping");
    let mut rx = bind::<M>(&format!("ipc://{name}-pong"), strategy(wait), None);
    let how = if by_ref { "ref" } else { "msg" };
    let peer = Peer::start("psyne-echo", &format!("{name},{wait},{n},{how}"));
    let mut tx = connect::<M>(&format!("ipc://{name}-ping"), strategy(wait));
    let r = time_pings(n, |i| {
        tx.send_blocking([i; 8]).unwrap();
        if by_ref {
            std::hint::black_box(*rx.recv_ref_blocking().unwrap());
        } else {
            std::hint::black_box(rx.recv_blocking().unwrap());
        }
    });
    peer.finish();
    r
}

fn psyne_ping_async(n: usize, wait: &str) -> (f64, f64) {
    let name = tag("aping");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut rx = bind::<M>(&format!("ipc://{name}-pong"), strategy(wait), None);
        let peer = Peer::start("psyne-echo-async", &format!("{name},{wait},{n}"));
        let mut tx = connect::<M>(&format!("ipc://{name}-ping"), strategy(wait));
        let mut lat = Vec::with_capacity(n);
        for i in 0..n {
            let t = Instant::now();
            tx.send([i as u64; 8]).await.unwrap();
            std::hint::black_box(rx.recv().await.unwrap());
            if i >= WARMUP {
                lat.push(t.elapsed().as_nanos() as u64);
            }
        }
        peer.finish();
        percentiles(lat)
    })
}

fn iceoryx2_ping(n: usize) -> (f64, f64) {
    let name = tag("ice");
    let node = NodeBuilder::new().create::<ipc::Service>().unwrap();
    let ping = ice_service(&node, &format!("{name}/ping"), 16);
    let pong = ice_service(&node, &format!("{name}/pong"), 16);
    let publisher = ping.publisher_builder().create().unwrap();
    let sub = pong.subscriber_builder().create().unwrap();
    let peer = Peer::start("iceoryx2-echo", &format!("{name},{n}"));
    // Wait until the child's subscriber exists: resend the first ping
    // until an answer comes.
    let mut first = true;
    let r = time_pings(n, |i| {
        let mut sent = Instant::now();
        publisher.send_copy([i; 8]).unwrap();
        loop {
            if let Some(s) = sub.receive().unwrap() {
                std::hint::black_box(*s);
                break;
            }
            if first && sent.elapsed() > Duration::from_millis(20) {
                publisher.send_copy([i; 8]).unwrap();
                sent = Instant::now();
            }
            std::hint::spin_loop();
        }
        first = false;
    });
    peer.finish();
    r
}

fn uds_listener() -> (UnixListener, String) {
    let path = std::env::temp_dir().join(format!("{}.sock", tag("uds")));
    let path = path.to_string_lossy().into_owned();
    (UnixListener::bind(&path).unwrap(), path)
}

fn uds_ping(n: usize) -> (f64, f64) {
    let (listener, path) = uds_listener();
    let peer = Peer::start("uds-echo", &format!("{path},{n}"));
    let (mut s, _) = listener.accept().unwrap();
    let _ = std::fs::remove_file(&path);
    let mut buf = [0u8; 64];
    let r = time_pings(n, |i| {
        buf[..8].copy_from_slice(&i.to_ne_bytes());
        s.write_all(&buf).unwrap();
        s.read_exact(&mut buf).unwrap();
    });
    peer.finish();
    r
}

fn tokio_uds_ping(n: usize) -> (f64, f64) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let path = std::env::temp_dir().join(format!("{}.sock", tag("tuds")));
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let peer = Peer::start("tokio-uds-echo", &format!("{},{n}", path.to_string_lossy()));
        let (mut s, _) = listener.accept().await.unwrap();
        let _ = std::fs::remove_file(&path);
        let mut buf = [0u8; 64];
        let mut lat = Vec::with_capacity(n);
        for i in 0..n {
            let t = Instant::now();
            buf[..8].copy_from_slice(&(i as u64).to_ne_bytes());
            s.write_all(&buf).await.unwrap();
            s.read_exact(&mut buf).await.unwrap();
            if i >= WARMUP {
                lat.push(t.elapsed().as_nanos() as u64);
            }
        }
        peer.finish();
        percentiles(lat)
    })
}

fn psyne_stream(size: usize, n: usize) -> Duration {
    let uri = format!("ipc://{}", tag("stream"));
    if size == 64 {
        let mut rx = bind::<M>(&uri, WaitStrategy::default(), None);
        let peer = Peer::start("psyne-send", &format!("{uri},{size},{n}"));
        let m = rx.recv_blocking().unwrap();
        let start = Instant::now();
        let mut sum = m[0];
        drop(m);
        for _ in 1..n {
            sum = sum.wrapping_add(rx.recv_blocking().unwrap()[0]);
        }
        let t = start.elapsed();
        std::hint::black_box(sum);
        peer.finish();
        t
    } else {
        // Four records deep, as the floor's four slots, iceoryx2's
        // subscriber buffer and the in-process 1 MiB table.
        let mut rx = bind::<[u8]>(&uri, WaitStrategy::default(), Some(BIG_DEPTH * BIG));
        let peer = Peer::start("psyne-send", &format!("{uri},{size},{n}"));
        let m = rx.recv_blocking().unwrap();
        let start = Instant::now();
        let mut sum = crate::touch(&m);
        drop(m);
        for _ in 1..n {
            sum = sum.wrapping_add(crate::touch(&rx.recv_blocking().unwrap()));
        }
        let t = start.elapsed();
        std::hint::black_box(sum);
        peer.finish();
        t
    }
}

/// 64-byte messages one at a time, received as borrowed `MsgRef`s (no
/// reference count taken and given back per message).
fn psyne_stream_by_ref(n: usize) -> Duration {
    let uri = format!("ipc://{}", tag("stream-ref"));
    let mut rx = bind::<M>(&uri, WaitStrategy::default(), None);
    let peer = Peer::start("psyne-send", &format!("{uri},64,{n}"));
    let mut sum = rx.recv_ref_blocking().unwrap()[0];
    let start = Instant::now();
    for _ in 1..n {
        sum = sum.wrapping_add(rx.recv_ref_blocking().unwrap()[0]);
    }
    let t = start.elapsed();
    std::hint::black_box(sum);
    peer.finish();
    t
}

/// Row names of the batched 64-byte streams.
const BATCHED_COPY: &str = "psyne ipc batched, copied in (send_batch / recv_batch, 64)";
const BATCHED_IN_PLACE: &str = "psyne ipc batched, in place (send_batch_with / recv_batch, 64)";
const BATCHED_ONE_CALL: &str =
    "psyne ipc batched, in place, one call (send_batch_with of all / recv_batch, 64)";

/// 64-byte messages in runs, sent `how`: 64 at a time, made in a buffer
/// and copied in (`copied`: `send_batch_blocking`) or each made in its
/// record (`in-place`: `send_batch_with_blocking`), or the whole stream
/// with one `send_batch_with_blocking` call, whose runs are as long as the
/// room the sender finds (`one-call`, as the socket's writer fills 64 KiB
/// before each system call); the receiver takes runs of up to 64
/// (`recv_batch_blocking`).
fn psyne_stream_batched(n: usize, how: &str) -> Duration {
    let uri = format!("ipc://{}", tag("stream-batch"));
    let mut rx = bind::<M>(&uri, WaitStrategy::default(), None);
    let peer = Peer::start("psyne-send-batch", &format!("{uri},{n},{how}"));
    let first = rx.recv_batch_blocking(64).unwrap();
    let start = Instant::now();
    let mut got = first.len();
    let mut sum = first.iter().fold(0u64, |s, m| s.wrapping_add(m[0]));
    drop(first);
    while got < n {
        let batch = rx.recv_batch_blocking(64).unwrap();
        got += batch.len();
        sum = batch.iter().fold(sum, |s, m| s.wrapping_add(m[0]));
    }
    let t = start.elapsed();
    std::hint::black_box(sum);
    peer.finish();
    t
}

fn iceoryx2_stream(size: usize, n: usize) -> Duration {
    let name = tag("ice-stream");
    let node = NodeBuilder::new().create::<ipc::Service>().unwrap();
    let start_sender = || Peer::start("iceoryx2-send", &format!("{name},{size},{n}"));
    if size == 64 {
        let service = ice_service(&node, &name, 1024);
        let sub = service.subscriber_builder().create().unwrap();
        let peer = start_sender();
        let t = time_receipts(n, || sub.receive().unwrap().map(|s| s[0]));
        peer.finish();
        t
    } else {
        let service = ice_bytes_service(&node, &name);
        let sub = service.subscriber_builder().create().unwrap();
        let peer = start_sender();
        let t = time_receipts(n, || sub.receive().unwrap().map(|s| crate::touch(s.payload())));
        peer.finish();
        t
    }
}

/// Polls `receive` (which reads what it got and returns a checksum) until
/// `n` messages came; the time from the first to the last.
fn time_receipts(n: usize, mut receive: impl FnMut() -> Option<u64>) -> Duration {
    let (mut got, mut start, mut sum) = (0, None, 0u64);
    while got < n {
        match receive() {
            Some(v) => {
                start.get_or_insert_with(Instant::now);
                sum = sum.wrapping_add(v);
                got += 1;
            }
            None => std::hint::spin_loop(),
        }
    }
    std::hint::black_box(sum);
    start.map_or(Duration::ZERO, |s| s.elapsed())
}

fn uds_stream(size: usize, n: usize) -> Duration {
    let (listener, path) = uds_listener();
    let peer = Peer::start("uds-send", &format!("{path},{size},{n}"));
    let (s, _) = listener.accept().unwrap();
    let _ = std::fs::remove_file(&path);
    let mut r = BufReader::with_capacity(64 << 10, s);
    let mut buf = vec![0u8; size];
    r.read_exact(&mut buf).unwrap();
    let start = Instant::now();
    let mut sum = crate::touch(&buf);
    for _ in 1..n {
        r.read_exact(&mut buf).unwrap();
        sum = sum.wrapping_add(crate::touch(&buf));
    }
    let t = start.elapsed();
    std::hint::black_box(sum);
    peer.finish();
    t
}

/// 64-byte messages through a hand-written ring of 1024 slots: the
/// producer writes a run of 64 and publishes it with one store of its
/// cursor; the consumer reads the first word of each and frees the run
/// with one store of its own. No descriptors, no wake-up checks: what the
/// cores' caches allow for psyne's batched row.
fn floor_stream_small(n: usize) -> Duration {
    let shm = Shm::create(SMALL_FLOOR_LEN);
    // Both sides spin and never sleep: on one CPU together, until the
    // scheduler moves one (milliseconds), they would take turns. Each gets
    // a CPU of its own (psyne's sides find theirs by parking).
    let ours = rustix::thread::sched_getaffinity(None).expect("sched_getaffinity");
    let cpus: Vec<usize> =
        (0..rustix::thread::CpuSet::MAX_CPU).filter(|&c| ours.is_set(c)).collect();
    let child_cpu = match cpus[..] {
        [a, b, ..] => {
            pin(a);
            b.to_string()
        }
        _ => String::new(),
    };
    let peer = Peer::start("floor-send-small", &format!("{},{n},{child_cpu}", shm.fd()));
    let (mut head, mut start, mut sum) = (0u64, None, 0u64);
    while head < n as u64 {
        let mut tail = head;
        spin_then_yield(|| {
            tail = shm.word(0).load(Ordering::Acquire).min(head + RUN);
            tail > head
        });
        start.get_or_insert_with(Instant::now);
        for j in head..tail {
            let at = FLOOR_DATA + (j % SMALL_FLOOR_SLOTS) as usize * 64;
            sum = sum.wrapping_add(u64::from_ne_bytes(shm.bytes(at, 8)[..8].try_into().unwrap()));
        }
        head = tail;
        shm.word(1).store(head, Ordering::Release);
    }
    let t = start.map_or(Duration::ZERO, |s| s.elapsed());
    std::hint::black_box(sum);
    peer.finish();
    rustix::thread::sched_setaffinity(None, &ours).expect("sched_setaffinity");
    t
}

/// Pins this thread to `cpu`.
fn pin(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).expect("sched_setaffinity");
}

fn floor_stream(n: usize) -> Duration {
    let shm = Shm::create(FLOOR_LEN);
    let peer = Peer::start("floor-send", &format!("{},{n}", shm.fd()));
    let mut start = None;
    let mut sum = 0u64;
    for i in 0..n {
        spin_until_at_least(shm.word(0), i as u64 + 1);
        start.get_or_insert_with(Instant::now);
        sum = sum.wrapping_add(crate::touch(shm.bytes(FLOOR_DATA + (i % FLOOR_SLOTS) * BIG, BIG)));
        shm.word(1).store(i as u64 + 1, Ordering::Release);
    }
    let t = start.map_or(Duration::ZERO, |s| s.elapsed());
    std::hint::black_box(sum);
    peer.finish();
    t
}
