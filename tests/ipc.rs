//! `ipc://` between real processes: every pattern, variable-size frames,
//! processes killed mid-reserve, mid-send, inside a batch send and while
//! holding messages (in every pattern), the errors a user can run into,
//! discovery, and what is left behind (in this process and in `/dev/shm`).
#![cfg(all(feature = "ipc", target_os = "linux"))]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::child::{self, role, say};
use futures::executor::block_on;
use psyne::{
    Backpressure, ConnectError, IpcAccess, Mpmc, Mpsc, Pattern, RecvTimeoutError, SendError, Spmc,
    Spsc, TryRecvError, WaitStrategy,
};

fn unique(tag: &str) -> String {
    format!("ipc://t-{tag}-{}", std::process::id())
}

/// Values a producer sends: its id in the high half.
fn value(producer: u64, i: u64) -> u64 {
    producer << 32 | i
}

const SENT: u64 = 3000;

/// The child side of `every_pattern_between_processes`: `send:<pattern>:
/// <producer>:<uri>` sends `SENT` values; `recv:<pattern>:<uri>` joins as a
/// receiver and reports what it got.
fn pattern_child(arg: &str) {
    let mut parts = arg.splitn(4, ':');
    let (what, pattern) = (parts.next().unwrap(), parts.next().unwrap());
    let rest: Vec<&str> = parts.collect();
    match pattern {
        "spsc" => pattern_child_as::<Spsc>(what, &rest),
        "mpsc" => pattern_child_as::<Mpsc>(what, &rest),
        "spmc" => pattern_child_as::<Spmc>(what, &rest),
        _ => pattern_child_as::<Mpmc>(what, &rest),
    }
}

fn pattern_child_as<P: Pattern>(what: &str, rest: &[&str]) {
    if what == "send" {
        let producer: u64 = rest[0].parse().unwrap();
        let uri = format!("ipc://{}", rest[1]);
        let mut tx = block_on(psyne::channel::<u64>().pattern::<P>().connect(&uri)).unwrap();
        for i in 0..SENT {
            tx.send_blocking(value(producer, i)).unwrap();
        }
        say("sent");
    } else {
        let uri = format!("ipc://{}", rest[0]);
        let mut rx = block_on(psyne::channel::<u64>().pattern::<P>().bind(&uri)).unwrap();
        say("joined");
        let (mut count, mut sum) = (0u64, 0u64);
        while let Some(m) = rx.recv_blocking() {
            count += 1;
            sum = sum.wrapping_add(*m);
        }
        say(&format!("{count} {sum}"));
    }
}

fn every_pattern<P: Pattern>() {
    const TEST: &str = "every_pattern_between_processes";
    let uri = unique(&format!("pattern-{}", P::NAME));
    let name = uri.strip_prefix("ipc://").unwrap();
    let mut rx = block_on(psyne::channel::<u64>().capacity(16).pattern::<P>().bind(&uri)).unwrap();
    let other_receiver = P::MULTI_CONSUMER.then(|| {
        let c = child::spawn(TEST, &format!("recv:{}:{name}", P::NAME));
        assert_eq!(c.heard(), "joined");
        c
    });
    let producers = if P::MULTI_PRODUCER { 2 } else { 1 };
    // Held until the children are done: a channel whose every sender left
    // is closed for good, and the children may come and go in any order.
    let keep = P::MULTI_PRODUCER
        .then(|| block_on(psyne::channel::<u64>().pattern::<P>().connect(&uri)).unwrap());
    let senders: Vec<_> = (0..producers)
        .map(|p| child::spawn(TEST, &format!("send:{}:{p}:{name}", P::NAME)))
        .collect();
    let receiver = std::thread::spawn(move || {
        let mut next = vec![0u64; producers as usize];
        let (mut count, mut sum) = (0u64, 0u64);
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(m) => {
                    let (p, i) = ((*m >> 32) as usize, *m & 0xffff_ffff);
                    // Per-producer order holds for what one receiver sees.
                    assert!(i >= next[p], "producer {p}: {i} after {}", next[p]);
                    next[p] = i + 1;
                    count += 1;
                    sum = sum.wrapping_add(*m);
                }
                Err(RecvTimeoutError::Closed) => return (count, sum),
                Err(e) => panic!("{}: {e}", P::NAME),
            }
        }
    });
    for s in senders {
        s.join();
    }
    drop(keep);
    let (mut count, mut sum) = receiver.join().unwrap();
    if let Some(c) = other_receiver {
        let report = c.heard();
        let (n, s) = report.split_once(' ').unwrap();
        count += n.parse::<u64>().unwrap();
        sum = sum.wrapping_add(s.parse::<u64>().unwrap());
        c.join();
    }
    let expected: u64 = (0..producers).flat_map(|p| (0..SENT).map(move |i| value(p, i))).sum();
    assert_eq!(count, producers * SENT, "{}: every message exactly once", P::NAME);
    assert_eq!(sum, expected, "{}: every message exactly once", P::NAME);
}

#[test]
fn every_pattern_between_processes() {
    if let Some(arg) = role("every_pattern_between_processes") {
        return pattern_child(&arg);
    }
    every_pattern::<Spsc>();
    every_pattern::<Mpsc>();
    every_pattern::<Spmc>();
    every_pattern::<Mpmc>();
}

#[test]
fn frames_written_in_place_cross_processes_async() {
    const TEST: &str = "frames_written_in_place_cross_processes_async";
    let len = |i: usize| (i * 7919) % 65536 + 1;
    if let Some(uri) = role(TEST) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        return rt.block_on(async {
            let mut tx = psyne::channel::<[u8]>().connect(&uri).await.unwrap();
            for i in 0..400 {
                let mut frame = tx.reserve_bytes(len(i)).await.unwrap();
                for (j, b) in frame.iter_mut().enumerate() {
                    *b = (i + j) as u8;
                }
                frame.commit();
            }
        });
    }
    let uri = unique("frames");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    rt.unwrap().block_on(async {
        let mut rx = psyne::channel::<[u8]>().bytes(256 << 10).bind(&uri).await.unwrap();
        let sender = child::spawn(TEST, &uri);
        for i in 0..400 {
            let frame = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("frame in time")
                .expect("frame");
            assert_eq!(frame.len(), len(i));
            assert!(frame.iter().enumerate().all(|(j, b)| *b == (i + j) as u8), "frame {i}");
        }
        assert!(rx.recv().await.is_none());
        sender.join();
    });
}

/// Receives until the channel ends, bounded in time; the values received.
fn drain(rx: &mut psyne::Receiver<u64, impl Pattern>, limit: Duration) -> Vec<u64> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(m) => got.push(*m),
            Err(RecvTimeoutError::Closed) => return got,
            Err(e) => panic!("the survivor did not see the end in time: {e} after {got:?}"),
        }
    }
}

#[test]
fn sender_killed_mid_reserve_ends_the_stream() {
    const TEST: &str = "sender_killed_mid_reserve_ends_the_stream";
    if let Some(uri) = role(TEST) {
        let mut tx = block_on(psyne::channel::<u64>().connect(&uri)).unwrap();
        for i in 0..10 {
            tx.send_blocking(i).unwrap();
        }
        let mut slot = tx.try_reserve().unwrap();
        *slot = 99;
        say("reserved");
        std::thread::sleep(Duration::from_secs(60));
        slot.commit();
        return;
    }
    let uri = unique("kill-reserve");
    let mut rx = block_on(psyne::channel::<u64>().capacity(16).bind(&uri)).unwrap();
    let mut sender = child::spawn(TEST, &uri);
    assert_eq!(sender.heard(), "reserved");
    sender.kill();
    // Within 10 s (`drain` fails otherwise): the committed ten, then the end.
    assert_eq!(drain(&mut rx, Duration::from_secs(10)), (0..10).collect::<Vec<_>>());
    // The reservation the reaper aborted counts as neither sent nor received.
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.depth), (10, 10, 0));
    // Nothing of the channel outlives the survivor's handle, and the name
    // is free again.
    drop(rx);
    assert_eq!(traces(uri.strip_prefix("ipc://").unwrap()), 0, "leftovers after a kill");
    let _again = block_on(psyne::channel::<u64>().bind(&uri)).unwrap();
}

#[test]
fn sender_killed_mid_send_loses_nothing_committed() {
    killed_mid_send("sender_killed_mid_send_loses_nothing_committed", false);
}

/// As above, the sender sending batches: the only producer claims each run
/// with one cursor store, and records no owner; the reaper finds what it
/// left open from the cursors. (The kill lands inside a claimed run only by
/// chance, rarely; `ring::unit_tests` reaps open runs deterministically.)
#[test]
fn sender_killed_mid_batch_loses_nothing_committed() {
    killed_mid_send("sender_killed_mid_batch_loses_nothing_committed", true);
}

/// As above, busy-spinning: the ring is packed and has hot slots, so the
/// reaper must also tell the receiver where an epoch it voided started.
#[test]
fn busy_spin_sender_killed_mid_batch_loses_nothing_committed() {
    killed_mid_send("busy_spin_sender_killed_mid_batch_loses_nothing_committed", true);
}

/// A child sender (spsc) sends 0, 1, 2, … one by one or in batches of 16
/// and is killed while it sends (mid-reserve, mid-write or mid-commit):
/// the receiver gets an unbroken prefix, then the end, and the counts
/// agree with it. Both sides busy-spin where the test's name says so.
fn killed_mid_send(test: &str, batch: bool) {
    let wait = if test.starts_with("busy_spin") {
        WaitStrategy::BusySpin
    } else {
        WaitStrategy::default()
    };
    if let Some(uri) = role(test) {
        let mut tx = block_on(psyne::channel::<u64>().wait_strategy(wait).connect(&uri)).unwrap();
        for i in (0..100_000_000u64).step_by(16) {
            if batch {
                let run: Vec<u64> = (i..i + 16).collect();
                tx.send_batch_blocking(&run).unwrap();
            } else {
                (i..i + 16).for_each(|v| tx.send_blocking(v).unwrap());
            }
            if i == 16 {
                say("sending");
            }
        }
        return;
    }
    let uri = unique(if batch { "kill-batch" } else { "kill-send" });
    let mut rx =
        block_on(psyne::channel::<u64>().capacity(64).wait_strategy(wait).bind(&uri)).unwrap();
    let mut sender = child::spawn(test, &uri);
    assert_eq!(sender.heard(), "sending");
    // Kill it while this thread keeps receiving, so that it is killed
    // while it sends, not while it waits for room.
    let got = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            sender.kill();
        });
        drain(&mut rx, Duration::from_secs(10))
    });
    assert!(got.len() > 16, "the sender was killed before it sent");
    let expected: Vec<u64> = (0..got.len() as u64).collect();
    assert!(got == expected, "a gap or a duplicate in {} received values", got.len());
    let s = rx.stats();
    assert_eq!((s.sent, s.received), (got.len() as u64, got.len() as u64));
}

#[test]
fn one_dead_sender_does_not_stall_the_others() {
    const TEST: &str = "one_dead_sender_does_not_stall_the_others";
    if let Some(uri) = role(TEST) {
        let mut tx = block_on(psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri)).unwrap();
        for i in 0..5 {
            tx.send_blocking(value(1, i)).unwrap();
        }
        // Holds a reservation: every record after it waits for it.
        let _slot = tx.try_reserve().unwrap();
        say("reserved");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let uri = unique("kill-mpsc");
    let mut rx =
        block_on(psyne::channel::<u64>().capacity(32).pattern::<Mpsc>().bind(&uri)).unwrap();
    let mut doomed = child::spawn(TEST, &uri);
    assert_eq!(doomed.heard(), "reserved");
    let mut tx = block_on(psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri)).unwrap();
    let survivor = std::thread::spawn(move || {
        for i in 0..200 {
            tx.send_blocking(value(2, i)).unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(50));
    doomed.kill();
    let got = drain(&mut rx, Duration::from_secs(10));
    survivor.join().unwrap();
    let from = |p: u64| got.iter().filter(move |v| *v >> 32 == p).map(|v| v & 0xffff_ffff);
    assert_eq!(from(1).collect::<Vec<_>>(), (0..5).collect::<Vec<_>>());
    assert_eq!(from(2).collect::<Vec<_>>(), (0..200).collect::<Vec<_>>());
}

#[test]
fn receiver_killed_while_holding_gives_its_records_back() {
    killed_holder("receiver_killed_while_holding_gives_its_records_back", false);
}

/// As above, with the records held in one `Batch` (its records past the
/// first are taken by `Batch`'s own path, which must record ownership too).
#[test]
fn receiver_killed_while_holding_a_batch_gives_its_records_back() {
    killed_holder("receiver_killed_while_holding_a_batch_gives_its_records_back", true);
}

/// A child receiver (spmc) takes all 4 records of a full ring, as messages
/// or as batches, and is killed holding them: they come back.
fn killed_holder(test: &str, batch: bool) {
    if let Some(uri) = role(test) {
        let mut rx = block_on(psyne::channel::<u64>().pattern::<Spmc>().bind(&uri)).unwrap();
        say("joined");
        let (mut msgs, mut batches) = (Vec::new(), Vec::new());
        if batch {
            // Let the parent commit all four first: one run.
            std::thread::sleep(Duration::from_millis(200));
            while batches.iter().map(psyne::Batch::len).sum::<usize>() < 4 {
                batches.push(rx.recv_batch_blocking(4).unwrap());
            }
        } else {
            msgs = (0..4).map(|_| rx.recv_blocking().unwrap()).collect();
        }
        say(&format!(
            "holding {}",
            msgs.len() + batches.iter().map(psyne::Batch::len).sum::<usize>()
        ));
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let uri = unique("kill-holder");
    let mut rx =
        block_on(psyne::channel::<u64>().capacity(4).pattern::<Spmc>().bind(&uri)).unwrap();
    let mut holder = child::spawn(test, &uri);
    assert_eq!(holder.heard(), "joined");
    let mut tx = block_on(psyne::channel::<u64>().pattern::<Spmc>().connect(&uri)).unwrap();
    tx.send_batch_blocking(&[0, 1, 2, 3]).unwrap();
    assert_eq!(holder.heard(), "holding 4");
    assert!(matches!(tx.try_send(4), Err(SendError::Full(4))), "the holder holds the ring");
    holder.kill();
    // The records it held come back: the sender goes on.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut next = 4;
    while next < 8 {
        match tx.try_send(next) {
            Ok(()) => next += 1,
            Err(SendError::Full(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("records of the dead receiver were not given back: {e}"),
        }
    }
    let got: Vec<u64> =
        (0..4).map(|_| *rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
    assert_eq!(got, [4, 5, 6, 7]);
}

/// Once every sender left an `ipc://` channel, it is closing for good: a
/// new sender gets `ConnectError::Closed`, and the receiver drains and ends.
#[test]
fn connecting_after_the_senders_left_is_closed() {
    let uri = unique("closed-senders");
    let mut rx = block_on(psyne::channel::<u64>().pattern::<Mpsc>().bind(&uri)).unwrap();
    let mut tx = block_on(psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri)).unwrap();
    tx.send_blocking(1).unwrap();
    drop(tx);
    let err = block_on(psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri)).unwrap_err();
    assert!(matches!(err, psyne::ConnectError::Closed { .. }), "{err}");
    assert!(err.to_string().contains("closing"), "{err}");
    assert_eq!(rx.recv_blocking().map(|m| *m), Some(1));
    assert!(rx.recv_blocking().is_none());
}

#[test]
fn sender_gets_closed_when_the_receiver_dies() {
    const TEST: &str = "sender_gets_closed_when_the_receiver_dies";
    if let Some(uri) = role(TEST) {
        let _rx = block_on(psyne::channel::<u64>().capacity(2).bind(&uri)).unwrap();
        say("bound");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let uri = unique("kill-receiver");
    let mut receiver = child::spawn(TEST, &uri);
    assert_eq!(receiver.heard(), "bound");
    let mut tx = block_on(psyne::channel::<u64>().connect(&uri)).unwrap();
    tx.send_blocking(1).unwrap();
    tx.send_blocking(2).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        // The ring is full: this send parks until the receiver's death is
        // noticed.
        let pending = tokio::spawn(async move { tx.send(3).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        receiver.kill();
        let sent = tokio::time::timeout(Duration::from_secs(10), pending).await;
        let sent = sent.expect("the parked sender woke").unwrap();
        assert!(matches!(sent, Err(SendError::Closed(3))), "{sent:?}");
    });
    // The binder died: its name is free for a new binder, and once the
    // survivor's handle is gone nothing of the old channel is left here.
    assert_eq!(traces(uri.strip_prefix("ipc://").unwrap()), 0, "leftovers after a kill");
    let _again = block_on(psyne::channel::<u64>().bind(&uri)).unwrap();
}

#[test]
fn a_blocked_receiver_uses_no_cpu_across_processes() {
    const TEST: &str = "a_blocked_receiver_uses_no_cpu_across_processes";
    if let Some(uri) = role(TEST) {
        let mut tx = block_on(psyne::channel::<u64>().connect(&uri)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        tx.send_blocking(42).unwrap();
        return;
    }
    let uri = unique("cpu");
    let mut rx = block_on(psyne::channel::<u64>().bind(&uri)).unwrap();
    let sender = child::spawn(TEST, &uri);
    let cpu_ns = thread_cpu_ns(|| {
        assert_eq!(*rx.recv_timeout(Duration::from_secs(30)).unwrap(), 42);
    });
    assert!(cpu_ns < 30_000_000, "a parked receiver used {cpu_ns} ns of CPU in ~300 ms");
    sender.join();
}

/// Thread CPU time spent by `f`, in nanoseconds.
fn thread_cpu_ns(f: impl FnOnce()) -> i64 {
    let before = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    f();
    let after = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (after.tv_sec - before.tv_sec) * 1_000_000_000 + (after.tv_nsec - before.tv_nsec)
}

/// An async receiver parked in tokio (on the channel's eventfd) and a
/// blocking sender parked on a full ring use no CPU while they wait for
/// the other process (about 300 ms each).
#[test]
fn an_async_receiver_and_a_blocked_sender_use_no_cpu_across_processes() {
    const TEST: &str = "an_async_receiver_and_a_blocked_sender_use_no_cpu_across_processes";
    if let Some(arg) = role(TEST) {
        let (mode, uri) = arg.split_once(',').unwrap();
        if mode == "send" {
            let mut tx = block_on(psyne::channel::<u64>().connect(uri)).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            tx.send_blocking(42).unwrap();
        } else {
            let mut rx = block_on(psyne::channel::<u64>().capacity(1).bind(uri)).unwrap();
            say("bound");
            std::thread::sleep(Duration::from_millis(300));
            for want in [1, 2] {
                assert_eq!(*rx.recv_timeout(Duration::from_secs(30)).unwrap(), want);
            }
        }
        return;
    }
    let uri = unique("cpu-async");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut rx = rt.block_on(psyne::channel::<u64>().bind(&uri)).unwrap();
    let sender = child::spawn(TEST, &format!("send,{uri}"));
    let cpu_ns = thread_cpu_ns(|| {
        let got = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap()
        });
        assert_eq!(got.map(|m| *m), Some(42));
    });
    assert!(cpu_ns < 30_000_000, "a parked async receiver used {cpu_ns} ns of CPU in ~300 ms");
    sender.join();

    let uri = unique("cpu-sender");
    let receiver = child::spawn(TEST, &format!("recv,{uri}"));
    assert_eq!(receiver.heard(), "bound");
    let mut tx = block_on(psyne::channel::<u64>().connect(&uri)).unwrap();
    tx.send_blocking(1).unwrap();
    // The ring is full (the receiver sleeps 300 ms first): the send parks.
    assert!(matches!(tx.try_send(2), Err(SendError::Full(2))));
    let cpu_ns = thread_cpu_ns(|| tx.send_blocking(2).unwrap());
    assert!(cpu_ns < 30_000_000, "a parked sender used {cpu_ns} ns of CPU in ~300 ms");
    receiver.join();
}

#[test]
fn permission_is_refused_to_other_users_unless_both_allow() {
    const TEST: &str = "permission_is_refused_to_other_users_unless_both_allow";
    if let Some(arg) = role(TEST) {
        let (mode, uri) = arg.split_once(',').unwrap();
        // Become user `nobody` on this (the only) thread: the socket's
        // credentials are the creating thread's.
        rustix::thread::set_thread_uid(rustix::process::Uid::from_raw(65534)).unwrap();
        let access = if mode == "allow" { IpcAccess::Users(vec![0]) } else { IpcAccess::SameUser };
        match block_on(psyne::channel::<u64>().ipc_access(access).connect(uri)) {
            Ok(mut tx) => {
                tx.send_blocking(7).unwrap();
                say("sent");
            }
            // The variant, then the message: both are checked.
            Err(err) => say(&format!("{}: {err}", variant(&err))),
        }
        return;
    }
    if !rustix::process::getuid().is_root() {
        // Switching users needs root; `IpcAccess::allows` has its doc test.
        eprintln!("skipped: switching to another user needs root");
        return;
    }
    // The default: only the binder's own user.
    let uri = unique("perm");
    let _rx = block_on(psyne::channel::<u64>().bind(&uri)).unwrap();
    let other = child::spawn(TEST, &format!("allow,{uri}"));
    let said = other.heard();
    assert!(said.starts_with("PermissionDenied:"), "{said}");
    assert!(said.contains("permission denied") && said.contains("refused"), "{said}");
    other.join();
    // Both sides allow each other: the other user's process sends.
    let uri = unique("perm-allow");
    let access = IpcAccess::Users(vec![65534]);
    let mut rx = block_on(psyne::channel::<u64>().ipc_access(access).bind(&uri)).unwrap();
    let other = child::spawn(TEST, &format!("allow,{uri}"));
    assert_eq!(other.heard(), "sent");
    assert_eq!(*rx.recv_timeout(Duration::from_secs(10)).unwrap(), 7);
    other.join();
    // The binder allows, the connecting side does not allow the binder.
    let uri = unique("perm-one-sided");
    let _rx = block_on(psyne::channel::<u64>().ipc_access(IpcAccess::AnyUser).bind(&uri)).unwrap();
    let other = child::spawn(TEST, &format!("deny,{uri}"));
    let said = other.heard();
    assert!(said.starts_with("PermissionDenied:"), "{said}");
    assert!(said.contains("runs as user 0"), "{said}");
    other.join();
}

/// The name of `err`'s variant.
fn variant(err: &ConnectError) -> String {
    let debug = format!("{err:?}");
    debug.split([' ', '{', '(']).next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn errors_say_what_is_wrong() {
    let uri = unique("errors");
    let _rx = psyne::channel::<u64>().bind(&uri).await.unwrap();
    // A second receiver of a single-consumer name.
    let err = psyne::channel::<u64>().bind(&uri).await.unwrap_err();
    assert!(matches!(err, ConnectError::AlreadyBound { .. }), "{err}");
    assert!(err.to_string().contains("already bound"));
    // Pattern and schema mismatches name both sides.
    let err = psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri).await.unwrap_err();
    assert!(matches!(err, ConnectError::PatternMismatch { bound: "spsc", .. }), "{err}");
    let err = psyne::channel::<u32>().connect(&uri).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConnectError::SchemaMismatch { .. }), "{text}");
    assert!(text.contains("`u32`") && text.contains("`u64`"), "{text}");
    // One sender for spsc.
    let _tx = psyne::channel::<u64>().connect(&uri).await.unwrap();
    let err = psyne::channel::<u64>().connect(&uri).await.unwrap_err();
    assert!(matches!(err, ConnectError::SenderTaken { .. }), "{err}");
    // Nobody there.
    let err = psyne::channel::<u64>().connect(&unique("nobody")).await.unwrap_err();
    assert!(matches!(err, ConnectError::NotFound { .. }), "{err}");
    // Names: too long, or with `/`.
    let long = format!("ipc://{}", "x".repeat(102));
    let err = psyne::channel::<u64>().bind(&long).await.unwrap_err();
    assert!(err.to_string().contains("101 bytes"), "{err}");
    let err = psyne::channel::<u64>().bind("ipc://a/b").await.unwrap_err();
    assert!(err.to_string().contains("`/`"), "{err}");
    let longest = format!("ipc://{}", "y".repeat(101));
    let _ok = psyne::channel::<u64>().bind(&longest).await.unwrap();
    // Too small for one record.
    let err = psyne::channel::<[u64; 32]>().bytes(64).bind(&unique("small")).await.unwrap_err();
    assert!(matches!(err, ConnectError::Build(psyne::BuildError::MessageTooLarge { .. })));
    // Options the binder's channel cannot follow.
    let spin = unique("spin");
    let _spinning =
        psyne::channel::<u64>().wait_strategy(WaitStrategy::BusySpin).bind(&spin).await.unwrap();
    let err = psyne::channel::<u64>().connect(&spin).await.unwrap_err();
    assert!(matches!(err, ConnectError::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("BusySpin"), "{err}");
    let _ok =
        psyne::channel::<u64>().wait_strategy(WaitStrategy::BusySpin).connect(&spin).await.unwrap();
    let err = psyne::channel::<u64>()
        .pattern::<Mpsc>()
        .backpressure(Backpressure::OverwriteOldest)
        .connect(&{
            let u = unique("overwrite");
            std::mem::forget(psyne::channel::<u64>().pattern::<Mpsc>().bind(&u).await.unwrap());
            u
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("OverwriteOldest"), "{err}");
}

mod v1 {
    #[psyne::message(name = "test.Reading", version = 1)]
    pub(crate) struct Reading {
        pub at: u64,
        pub celsius: f32,
        pub sensor: u32,
    }
}

mod v2 {
    #[psyne::message(name = "test.Reading", version = 1)]
    pub(crate) struct Reading {
        pub at: u64,
        pub kelvin: f32,
        pub sensor: u32,
    }
}

#[tokio::test]
async fn schema_mismatches_name_the_first_differing_field() {
    let uri = unique("schema");
    let _rx = psyne::channel::<v1::Reading>().bind(&uri).await.unwrap();
    let err = psyne::channel::<v2::Reading>().connect(&uri).await.unwrap_err();
    let ConnectError::SchemaMismatch { difference, .. } = &err else { panic!("{err}") };
    let difference = difference.as_deref().expect("the binder's field table was read");
    assert!(difference.contains("celsius") && difference.contains("kelvin"), "{difference}");
}

#[tokio::test]
async fn multi_consumer_names_take_more_receivers() {
    let uri = unique("join");
    let mut rx1 = psyne::channel::<u64>().pattern::<Mpmc>().bind(&uri).await.unwrap();
    let mut rx2 = psyne::channel::<u64>().pattern::<Mpmc>().bind(&uri).await.unwrap();
    let mut tx = psyne::channel::<u64>().pattern::<Mpmc>().connect(&uri).await.unwrap();
    for i in 0..10 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    let mut all = HashSet::new();
    while let Ok(m) = rx1.try_recv() {
        all.insert(*m);
        if let Ok(m) = rx2.try_recv() {
            all.insert(*m);
        }
    }
    while let Some(m) = rx2.recv().await {
        all.insert(*m);
    }
    assert_eq!(all, (0..10).collect());
    assert!(rx1.recv().await.is_none());
}

#[tokio::test]
async fn list_reports_bound_channels() {
    let uri = unique("list");
    let name = uri.strip_prefix("ipc://").unwrap();
    let _rx = psyne::channel::<u64>().capacity(8).pattern::<Mpsc>().bind(&uri).await.unwrap();
    let mut tx = psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri).await.unwrap();
    for i in 0..3 {
        tx.send(i).await.unwrap();
    }
    let all = psyne::transport::ipc::list().unwrap();
    let info = all.iter().find(|c| c.name == name).expect("listed");
    assert_eq!((info.pattern, info.capacity, info.depth), ("mpsc", 8, 3));
    assert_eq!(info.schema.name(), "u64");
    assert_eq!((info.sender_processes, info.receiver_processes), (1, 1));
    assert!(info.pids.contains(&std::process::id()));
    assert!(info.to_string().contains(&uri), "{info}");
}

/// Every memfd mapping and descriptor of this process named after `name`.
fn traces(name: &str) -> usize {
    let needle = format!("psyne:{name}");
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mapped = maps.lines().filter(|l| l.contains(&needle)).count();
    let fds = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().contains(&needle))
        .count();
    mapped + fds
}

#[tokio::test]
async fn nothing_is_left_behind() {
    let uri = unique("leftovers");
    let name = uri.strip_prefix("ipc://").unwrap().to_owned();
    let mut rx = psyne::channel::<[u8]>().bytes(1 << 16).bind(&uri).await.unwrap();
    let mut tx = psyne::channel::<[u8]>().connect(&uri).await.unwrap();
    tx.send_bytes_blocking_for_test();
    let msg = rx.recv().await.unwrap();
    assert!(traces(&name) >= 2, "the channel is mapped while in use");
    drop((tx, rx));
    assert!(traces(&name) >= 1, "a held message keeps its memory");
    drop(msg);
    // The memfd had no name in any filesystem, so with the last mapping and
    // descriptor gone, nothing of the channel is left anywhere.
    assert_eq!(traces(&name), 0, "no mapping or descriptor outlives the channel");
    // The name is free again.
    let _again = psyne::channel::<[u8]>().bind(&uri).await.unwrap();
}

trait SendOne {
    fn send_bytes_blocking_for_test(&mut self);
}

impl SendOne for psyne::Sender<[u8]> {
    fn send_bytes_blocking_for_test(&mut self) {
        let mut slot = self.reserve_bytes_blocking(100).unwrap();
        slot.fill(1);
        slot.commit();
    }
}

#[test]
fn async_waits_without_an_io_driver_still_work() {
    // A runtime without `enable_io`: psyne cannot register with its
    // reactor and polls instead.
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let uri = unique("no-io");
    rt.block_on(async {
        let mut rx = psyne::channel::<u64>().capacity(2).bind(&uri).await.unwrap();
        let mut tx = psyne::channel::<u64>().connect(&uri).await.unwrap();
        let sender = tokio::spawn(async move {
            for i in 0..500 {
                tx.send(i).await.unwrap();
            }
        });
        for i in 0..500 {
            assert_eq!(*rx.recv().await.unwrap(), i);
        }
        sender.await.unwrap();
        assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Closed);
    });
}

#[test]
fn a_dead_sender_of_variable_records_does_not_stall_the_others() {
    const TEST: &str = "a_dead_sender_of_variable_records_does_not_stall_the_others";
    if let Some(uri) = role(TEST) {
        let mut tx = block_on(psyne::channel::<[u8]>().pattern::<Mpsc>().connect(&uri)).unwrap();
        for i in 0..5u8 {
            let mut slot = tx.reserve_bytes_blocking(100).unwrap();
            slot.fill(i);
            slot.commit();
        }
        // Holds a reservation (and once held the shared arena's lock).
        let _slot = tx.try_reserve_bytes(300).unwrap();
        say("reserved");
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let uri = unique("kill-mpsc-bytes");
    let mut rx =
        block_on(psyne::channel::<[u8]>().bytes(4096).pattern::<Mpsc>().bind(&uri)).unwrap();
    let mut doomed = child::spawn(TEST, &uri);
    assert_eq!(doomed.heard(), "reserved");
    let mut tx = block_on(psyne::channel::<[u8]>().pattern::<Mpsc>().connect(&uri)).unwrap();
    let survivor = std::thread::spawn(move || {
        for i in 0..300usize {
            let mut slot = tx.reserve_bytes_blocking(i % 200 + 1).unwrap();
            slot.fill(200);
            slot.commit();
        }
    });
    std::thread::sleep(Duration::from_millis(50));
    doomed.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut theirs, mut ours) = (Vec::new(), 0);
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(m) if m.iter().all(|b| *b == 200) => ours += 1,
            Ok(m) => theirs.push((m[0], m.len())),
            Err(RecvTimeoutError::Closed) => break,
            Err(e) => panic!("the survivor stalled: {e} after {ours} of its records"),
        }
    }
    survivor.join().unwrap();
    assert_eq!(theirs, (0..5).map(|i| (i, 100)).collect::<Vec<_>>());
    assert_eq!(ours, 300);
}

/// A busy-spinning SPSC channel between processes packs its descriptors
/// and reuses hot payload slots (in-process ones never do): messages held
/// across a drain, runs, batches and a reservation given back all keep
/// their contents (here both ends in one process; the layout is the
/// segment's).
#[tokio::test]
async fn busy_spin_spsc_records_stay_put_across_drains() {
    let uri = unique("hot");
    let spin = WaitStrategy::BusySpin;
    let mut rx = psyne::channel::<u64>().capacity(4).wait_strategy(spin).bind(&uri).await.unwrap();
    let mut tx =
        psyne::channel::<u64>().capacity(4).wait_strategy(spin).connect(&uri).await.unwrap();
    for round in 0..3u64 {
        let base = round * 100;
        assert_eq!(tx.try_send_batch(&[base + 1, base + 2, base + 3]).unwrap(), 3);
        let mut msgs = rx.try_recv_batch(4).unwrap().into_iter();
        let first = msgs.next().unwrap();
        assert_eq!(msgs.map(|m| *m).collect::<Vec<_>>(), [base + 2, base + 3]);
        tx.try_send(base + 4).unwrap();
        let fourth = rx.try_recv().unwrap();
        assert_eq!((*first, *fourth), (base + 1, base + 4));
        drop((first, fourth));
        let mut given_back = tx.try_reserve().unwrap();
        *given_back = 7;
        drop(given_back);
        tx.try_send(base + 5).unwrap();
        let fifth = rx.try_recv().unwrap();
        tx.try_send(base + 6).unwrap();
        assert_eq!((*fifth, *rx.try_recv().unwrap()), (base + 5, base + 6));
    }
    assert!(rx.try_recv().is_err());
}

/// Runs `$f::<P>($args)` for the pattern named `$name`.
macro_rules! as_pattern {
    ($name:expr, $f:ident($($args:expr),*)) => {
        match $name {
            "spsc" => $f::<Spsc>($($args),*),
            "mpsc" => $f::<Mpsc>($($args),*),
            "spmc" => $f::<Spmc>($($args),*),
            "mpmc" => $f::<Mpmc>($($args),*),
            other => panic!("no pattern {other}"),
        }
    };
}

/// Entries of `/dev/shm` whose name contains `name` (a channel that used a
/// named POSIX shared-memory object would leave one there).
fn dev_shm(name: &str) -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|f| f.contains(name))
                .collect()
        })
        .unwrap_or_default()
}

/// A child sender of each pattern sends 10 values, then is killed with a
/// record reserved and written but not committed (`reserve`), or in the
/// middle of a batch send whose `fill` it is in (`run`): it has claimed the
/// whole run and committed (and counted) none of it. Within a bounded
/// time the receiver gets every committed value, in order, then the end;
/// the counts agree; nothing of the channel is left, in this process or
/// in `/dev/shm`, once the receiver is gone; and the name binds again.
#[test]
fn a_sender_killed_mid_reserve_or_mid_run_ends_the_stream_in_every_pattern() {
    const TEST: &str = "a_sender_killed_mid_reserve_or_mid_run_ends_the_stream_in_every_pattern";
    if let Some(arg) = role(TEST) {
        let mut parts = arg.splitn(3, ',');
        let (pattern, mode, uri) =
            (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        as_pattern!(pattern, killed_sender_child(mode, uri));
        return;
    }
    for pattern in ["spsc", "mpsc", "spmc", "mpmc"] {
        for mode in ["reserve", "run"] {
            as_pattern!(pattern, killed_sender_parent(TEST, mode));
        }
    }
}

fn killed_sender_child<P: Pattern>(mode: &str, uri: &str) {
    let mut tx = block_on(psyne::channel::<u64>().pattern::<P>().connect(uri)).unwrap();
    for i in 0..10 {
        tx.send_blocking(i).unwrap();
    }
    if mode == "reserve" {
        let mut slot = tx.try_reserve().unwrap();
        *slot = 99;
        say("open");
        std::thread::sleep(Duration::from_secs(60));
        slot.commit();
    } else {
        tx.send_batch_with_blocking(16, |i| {
            if i == 8 {
                say("open");
                std::thread::sleep(Duration::from_secs(60));
            }
            10 + i as u64
        })
        .unwrap();
    }
}

fn killed_sender_parent<P: Pattern>(test: &str, mode: &str) {
    let uri = unique(&format!("kill-{mode}-{}", P::NAME));
    let name = uri.strip_prefix("ipc://").unwrap().to_owned();
    let mut rx = block_on(psyne::channel::<u64>().capacity(64).pattern::<P>().bind(&uri)).unwrap();
    let mut sender = child::spawn(test, &format!("{},{mode},{uri}", P::NAME));
    assert_eq!(sender.heard(), "open", "{} {mode}", P::NAME);
    sender.kill();
    let got = drain(&mut rx, Duration::from_secs(10));
    // A batch's run is committed once all of it is written, in every
    // pattern: nothing of the run the child was killed in arrives, and
    // nothing of it is counted.
    assert_eq!(got, (0..10).collect::<Vec<_>>(), "{} {mode}", P::NAME);
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.depth), (10, 10, 0), "{} {mode}", P::NAME);
    drop(rx);
    assert_eq!(traces(&name), 0, "{} {mode}: leftovers after a kill", P::NAME);
    assert_eq!(dev_shm(&name), Vec::<String>::new(), "{} {mode}", P::NAME);
    let _again = block_on(psyne::channel::<u64>().pattern::<P>().bind(&uri)).unwrap();
}

/// A child receiver of each pattern takes all 4 records of a full ring
/// and is killed holding them. Where it was one of several receivers
/// (spmc, mpmc), its records come back and the sender goes on to the
/// other receiver; where it was the only one (spsc, mpsc), the sender gets
/// `Closed` within a bounded time. Either way nothing is left once the
/// survivors are gone.
#[test]
fn a_receiver_killed_holding_messages_in_every_pattern() {
    const TEST: &str = "a_receiver_killed_holding_messages_in_every_pattern";
    if let Some(arg) = role(TEST) {
        let (pattern, uri) = arg.split_once(',').unwrap();
        as_pattern!(pattern, killed_receiver_child(uri));
        return;
    }
    for pattern in ["spsc", "mpsc", "spmc", "mpmc"] {
        as_pattern!(pattern, killed_receiver_parent(TEST));
    }
}

fn killed_receiver_child<P: Pattern>(uri: &str) {
    let mut rx = block_on(psyne::channel::<u64>().capacity(4).pattern::<P>().bind(uri)).unwrap();
    say("joined");
    let held: Vec<_> = (0..4).map(|_| rx.recv_blocking().unwrap()).collect();
    say(&format!("holding {}", held.len()));
    std::thread::sleep(Duration::from_secs(60));
}

fn killed_receiver_parent<P: Pattern>(test: &str) {
    let uri = unique(&format!("kill-holder-{}", P::NAME));
    let name = uri.strip_prefix("ipc://").unwrap().to_owned();
    let several = P::NAME.ends_with("mc");
    // With several receivers this process binds first and the child
    // joins; with one, the child is the receiver.
    let mut rx = several
        .then(|| block_on(psyne::channel::<u64>().capacity(4).pattern::<P>().bind(&uri)).unwrap());
    let mut holder = child::spawn(test, &format!("{},{uri}", P::NAME));
    assert_eq!(holder.heard(), "joined", "{}", P::NAME);
    let mut tx = block_on(psyne::channel::<u64>().pattern::<P>().connect(&uri)).unwrap();
    tx.send_batch_blocking(&[0, 1, 2, 3]).unwrap();
    assert_eq!(holder.heard(), "holding 4", "{}", P::NAME);
    assert!(matches!(tx.try_send(4), Err(SendError::Full(4))), "{}: the ring is held", P::NAME);
    holder.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut next = 4;
    loop {
        match tx.try_send(next) {
            Ok(()) if several => {
                next += 1;
                if next == 8 {
                    break;
                }
            }
            Err(SendError::Closed(_)) if !several => break,
            Err(SendError::Full(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => panic!("{}: after the receiver's death: {other:?}", P::NAME),
        }
    }
    if let Some(rx) = rx.as_mut() {
        let got: Vec<u64> =
            (0..4).map(|_| *rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(got, [4, 5, 6, 7], "{}", P::NAME);
    }
    drop((tx, rx));
    assert_eq!(traces(&name), 0, "{}: leftovers after a kill", P::NAME);
    assert_eq!(dev_shm(&name), Vec::<String>::new(), "{}", P::NAME);
}
