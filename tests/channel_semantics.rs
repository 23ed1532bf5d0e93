//! Channel behaviour, written once and run for every pattern.

mod common;

use common::pair;
use std::time::Duration;

use psyne::{Backpressure, Pattern, ReserveError, SendError, TryRecvError, WaitStrategy};

for_each_pattern!(
    fifo_then_end_after_senders_drop,
    senders_get_value_back_after_receivers_drop,
    capacity_is_exact_and_full_gives_value_back,
    aborted_reservations_are_skipped_and_reclaimed,
    out_of_order_release_reclaims_every_record,
    held_messages_do_not_block_later_receives,
    fail_fast_policy,
    drop_newest_policy_counts_drops,
    overwrite_oldest_keeps_the_newest,
    overwrite_oldest_waits_when_everything_is_held,
    stats_track_the_channel,
    batch_send_and_receive,
    batch_receive_runs,
    batch_messages_are_released_one_by_one,
    batches_wrap_around_the_ring,
    batch_sends_with_a_closure_write_what_fits,
    a_panicking_fill_sends_what_it_made_and_gives_back_the_rest,
);

fn fifo_then_end_after_senders_drop<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(128);
    for i in 0..100 {
        tx.try_send(i).unwrap();
    }
    drop(tx);
    for i in 0..100 {
        assert_eq!(*rx.try_recv().unwrap(), i);
    }
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Closed);
    assert!(rx.recv_blocking().is_none());
    assert!(rx.is_closed());
}

fn senders_get_value_back_after_receivers_drop<P: Pattern>() {
    let (mut tx, rx) = pair::<P>(4);
    tx.try_send(1).unwrap();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(2), Err(SendError::Closed(2)));
    assert_eq!(tx.send_blocking(3), Err(SendError::Closed(3)));
    assert_eq!(tx.try_reserve().unwrap_err(), ReserveError::Closed);
}

fn capacity_is_exact_and_full_gives_value_back<P: Pattern>() {
    for cap in [1, 3, 8] {
        let (mut tx, mut rx) = pair::<P>(cap);
        for i in 0..cap as u64 {
            tx.try_send(i).unwrap();
        }
        assert_eq!(tx.try_send(99), Err(SendError::Full(99)));
        assert_eq!(tx.stats().full_events, 1);
        drop(rx.try_recv().unwrap());
        tx.try_send(100).unwrap();
    }
}

fn aborted_reservations_are_skipped_and_reclaimed<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(2);
    for round in 0..10 {
        let mut slot = tx.try_reserve().unwrap();
        *slot = 1000 + round;
        drop(slot); // abort
    }
    tx.try_send(1).unwrap();
    let mut slot = tx.try_reserve().unwrap();
    assert_eq!(*slot, 0, "reserve hands out zeroed records");
    *slot = 2;
    slot.commit();
    assert_eq!(*rx.try_recv().unwrap(), 1);
    assert_eq!(*rx.try_recv().unwrap(), 2);
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
    assert_eq!(rx.stats().aborted, 10);
}

fn out_of_order_release_reclaims_every_record<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(4);
    for i in 0..4 {
        tx.try_send(i).unwrap();
    }
    let mut held: Vec<_> = (0..4).map(|_| rx.try_recv().unwrap()).collect();
    // Release the third first: the ring reuses records in order, so the
    // next send still needs the first record.
    drop(held.remove(2));
    assert!(tx.try_send(10).is_err());
    drop(held.remove(0)); // record 0
    tx.try_send(10).unwrap();
    drop(held); // records 1 and 3
    tx.try_send(11).unwrap();
    tx.try_send(12).unwrap();
    tx.try_send(13).unwrap();
    let got: Vec<u64> = (0..4).map(|_| *rx.try_recv().unwrap()).collect();
    assert_eq!(got, [10, 11, 12, 13]);
}

fn held_messages_do_not_block_later_receives<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(8);
    tx.try_send(1).unwrap();
    let first = rx.try_recv().unwrap();
    for i in 2..=8 {
        tx.try_send(i).unwrap();
    }
    for i in 2..=8 {
        assert_eq!(*rx.try_recv().unwrap(), i);
    }
    assert_eq!(*first, 1);
    // A `Msg` outlives its receiver and sender.
    drop((tx, rx));
    assert_eq!(*first, 1);
}

fn fail_fast_policy<P: Pattern>() {
    let (mut tx, _rx) = psyne::channel::<u64>()
        .capacity(1)
        .backpressure(Backpressure::FailFast)
        .pattern::<P>()
        .build()
        .unwrap();
    tx.send_blocking(1).unwrap();
    assert_eq!(tx.send_blocking(2), Err(SendError::Full(2)));
    assert_eq!(tx.reserve_blocking().unwrap_err(), ReserveError::Full);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(tx.send(3)), Err(SendError::Full(3)));
}

fn drop_newest_policy_counts_drops<P: Pattern>() {
    let (mut tx, mut rx) = psyne::channel::<u64>()
        .capacity(2)
        .backpressure(Backpressure::DropNewest)
        .pattern::<P>()
        .build()
        .unwrap();
    for i in 0..5 {
        tx.send_blocking(i).unwrap();
    }
    assert_eq!(tx.stats().dropped, 3);
    assert_eq!(*rx.try_recv().unwrap(), 0);
    assert_eq!(*rx.try_recv().unwrap(), 1);
    assert!(rx.try_recv().is_err());
}

fn overwrite_oldest_keeps_the_newest<P: Pattern>() {
    let (mut tx, mut rx) = psyne::channel::<u64>()
        .capacity(3)
        .backpressure(Backpressure::OverwriteOldest)
        .pattern::<P>()
        .build()
        .unwrap();
    for i in 0..10 {
        tx.send_blocking(i).unwrap();
    }
    let got: Vec<u64> = (0..3).map(|_| *rx.try_recv().unwrap()).collect();
    assert_eq!(got, [7, 8, 9]);
    assert_eq!(rx.stats().dropped, 7);
}

fn overwrite_oldest_waits_when_everything_is_held<P: Pattern>() {
    let (mut tx, mut rx) = psyne::channel::<u64>()
        .capacity(2)
        .backpressure(Backpressure::OverwriteOldest)
        .pattern::<P>()
        .build()
        .unwrap();
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let a = rx.try_recv().unwrap();
    let b = rx.try_recv().unwrap();
    // Both records are held by receivers: nothing may be overwritten.
    assert_eq!(tx.try_send(3), Err(SendError::Full(3)));
    assert_eq!((*a, *b), (1, 2));
    drop(a);
    tx.try_send(3).unwrap();
    assert_eq!(tx.stats().dropped, 0);
}

fn stats_track_the_channel<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    tx.try_send(3).unwrap();
    let m = rx.try_recv().unwrap();
    let s = rx.stats();
    assert_eq!(s.sent, 3);
    assert_eq!(s.received, 1);
    assert_eq!(s.bytes_sent, 24);
    assert_eq!(s.bytes_received, 8);
    assert_eq!(s.depth, 2);
    assert_eq!(s.capacity, 4);
    assert_eq!(s.capacity_bytes, 4 * 64);
    assert!(s.high_water_mark >= 2);
    drop(m);
    tx.try_send(4).unwrap();
    tx.try_send(5).unwrap();
    assert!(tx.try_send(6).is_err());
    assert_eq!(tx.stats().high_water_mark, 4);
    assert_eq!(tx.stats().full_events, 1);
}

fn batch_send_and_receive<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(8);
    let values: Vec<u64> = (0..20).collect();
    assert_eq!(tx.try_send_batch(&values).unwrap(), 8);
    // A batch counts whole, however it was committed (one run, one
    // descriptor at a time), before and while it is received.
    let s = tx.stats();
    assert_eq!((s.sent, s.received, s.depth), (8, 0, 8));
    let mut buf = Vec::new();
    assert_eq!(rx.try_recv_many(&mut buf, 5), 5);
    let s = rx.stats();
    assert_eq!((s.sent, s.received, s.depth), (8, 5, 3));
    assert_eq!(rx.try_recv_many(&mut buf, 100), 3);
    let got: Vec<u64> = buf.iter().map(|m| **m).collect();
    assert_eq!(got, values[..8]);
    drop(buf);
    // The blocking form: waits for the first, takes the ready ones, and
    // gives 0 for a limit of 0.
    let mut buf = Vec::new();
    assert_eq!(rx.recv_many_blocking(&mut buf, 0), 0);
    tx.try_send_batch(&[100, 101, 102]).unwrap();
    assert_eq!(rx.recv_many_blocking(&mut buf, 2), 2);
    assert_eq!(rx.recv_many_blocking(&mut buf, 8), 1);
    assert_eq!(buf.iter().map(|m| **m).collect::<Vec<_>>(), [100, 101, 102]);
    drop(buf);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let consumer = async {
            let mut all = Vec::new();
            let mut buf = Vec::with_capacity(8);
            while all.len() < 12 {
                let n = rx.recv_many(&mut buf, 8).await;
                assert!(n > 0);
                all.extend(buf.drain(..).map(|m| *m));
            }
            all
        };
        let producer = async { tx.send_batch(&values[8..]).await.unwrap() };
        let (all, ()) = tokio::join!(consumer, producer);
        assert_eq!(all, values[8..]);
    });
}

/// Batch sends and receives whose records cross the end of the ring, in
/// capacities that are and are not powers of two, in every layout of
/// `common::layouts` (for SPSC, with `ipc://` built, both descriptor
/// layouts and hot slots): every value arrives once and in order, read through the
/// batch's iterator and by index, and every record comes back. Each round
/// sends a run of three while the previous round's batch is still held, so
/// the ring never drains (which would start hot slots over at slot 0) and
/// runs start at every descriptor in turn.
fn batches_wrap_around_the_ring<P: Pattern>() {
    for cap in [8, 6] {
        for (_, mut tx, mut rx) in common::layouts::<P>(cap) {
            let mut held = None;
            for round in 0..3 * cap as u64 {
                let values: Vec<u64> = (3 * round..3 * round + 3).collect();
                assert_eq!(tx.try_send_batch(&values).unwrap(), 3, "cap {cap}, round {round}");
                let batch = rx.try_recv_batch(cap).unwrap();
                assert_eq!(batch.iter().copied().collect::<Vec<_>>(), values, "cap {cap}");
                let by_index: Vec<u64> = (0..batch.len()).map(|i| *batch.get(i).unwrap()).collect();
                assert_eq!(by_index, values);
                held = Some(batch);
            }
            drop(held);
            assert_eq!(rx.stats().depth, 0);
            // Every record came back: a whole ring's worth fits again.
            let fill: Vec<u64> = (0..cap as u64).collect();
            assert_eq!(tx.try_send_batch(&fill).unwrap(), cap, "cap {cap}");
            assert_eq!(rx.try_recv_batch(cap).unwrap().iter().copied().collect::<Vec<_>>(), fill);
        }
    }
}

/// `recv_batch` and friends: runs in order across the ring's wrap, limits,
/// errors, release on drop, and a parked sender woken by a batch dropped on
/// another thread.
fn batch_receive_runs<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(8);
    assert_eq!(rx.try_recv_batch(4).unwrap_err(), TryRecvError::Empty);
    let mut next = 0u64;
    let mut expect = 0u64;
    for limit in [1, 3, 8, 0, 5, 100, 2, 7] {
        // Five records a round in a ring of eight: each round starts five
        // positions on, and most of them cross the ring's end.
        for _ in 0..5 {
            tx.try_send(next).unwrap();
            next += 1;
        }
        let batch = rx.try_recv_batch(limit).unwrap();
        assert_eq!(batch.len(), limit.clamp(1, 5), "limit {limit}");
        for (i, m) in batch.iter().enumerate() {
            assert_eq!(*m, expect + i as u64);
        }
        assert_eq!(batch.get(batch.len()), None);
        expect += batch.len() as u64;
        drop(batch);
        // Drain the rest one by one.
        while let Ok(m) = rx.try_recv() {
            assert_eq!(*m, expect);
            expect += 1;
        }
    }
    assert_eq!(tx.stats().received, expect);
    assert_eq!(rx.stats().depth, 0);

    // A batch sent to another thread releases its records there; a sender
    // parked on the full ring wakes.
    while tx.try_send(7).is_ok() {}
    let batch = rx.try_recv_batch(8).unwrap();
    assert_eq!(batch.len(), 8);
    let (sent_tx, sent) = std::sync::mpsc::channel();
    let sender = std::thread::spawn(move || {
        tx.send_blocking(8).unwrap();
        sent_tx.send(()).unwrap();
        tx
    });
    // Parks (most likely) before the batch goes; a lost wake-up fails the
    // wait below instead of hanging.
    std::thread::sleep(Duration::from_millis(20));
    assert!(sent.try_recv().is_err(), "the ring was full: the send had to wait");
    std::thread::spawn(move || drop(batch)).join().unwrap();
    sent.recv_timeout(Duration::from_secs(5)).expect("the parked sender never woke");
    let tx = sender.join().unwrap();
    assert_eq!(*rx.recv_timeout(Duration::from_secs(5)).expect("the sent record"), 8);
    drop(tx);
    assert!(rx.recv_batch_blocking(4).is_none());
}

/// Batch sends under each backpressure policy, blocking and async: wait
/// for room, fail fast, or drop (and count) what does not fit.
#[test]
fn batch_sends_follow_the_backpressure_policy() {
    use futures::executor::block_on;
    for blocking in [true, false] {
        for closure in [false, true] {
            // The slice's values, or the same ones made by a closure.
            let send = move |tx: &mut psyne::Sender<u64>, v: &[u64]| match (blocking, closure) {
                (true, false) => tx.send_batch_blocking(v),
                (false, false) => block_on(tx.send_batch(v)),
                (true, true) => tx.send_batch_with_blocking(v.len(), |i| v[i]),
                (false, true) => block_on(tx.send_batch_with(v.len(), |i| v[i])),
            };
            let build = |policy| psyne::channel::<u64>().capacity(4).backpressure(policy).spsc();
            let (mut tx, mut rx) = build(Backpressure::FailFast).unwrap();
            let err = send(&mut tx, &[1, 2, 3, 4, 5, 6]).unwrap_err();
            assert_eq!((err.sent(), err.error()), (4, ReserveError::Full));
            assert_eq!(rx.try_recv_batch(8).unwrap().len(), 4);

            let (mut tx, mut rx) = build(Backpressure::DropNewest).unwrap();
            assert_eq!(send(&mut tx, &[1, 2, 3, 4, 5, 6]), Ok(()));
            assert_eq!(tx.stats().dropped, 2);
            assert_eq!(
                rx.try_recv_batch(8).unwrap().iter().copied().collect::<Vec<_>>(),
                [1, 2, 3, 4]
            );

            // Overwrite-oldest: every value is sent, the oldest make way.
            let (mut tx, mut rx) = build(Backpressure::OverwriteOldest).unwrap();
            assert_eq!(send(&mut tx, &[1, 2, 3, 4, 5, 6]), Ok(()));
            assert_eq!((tx.stats().sent, tx.stats().dropped), (6, 2));
            let got: Vec<u64> = rx.try_recv_batch(8).unwrap().iter().copied().collect();
            assert_eq!(got, [3, 4, 5, 6]);
            let (mut tx, mut rx) = build(Backpressure::OverwriteOldest).unwrap();
            let try_send = |tx: &mut psyne::Sender<u64>, v: &[u64]| {
                if closure {
                    tx.try_send_batch_with(v.len(), |i| v[i])
                } else {
                    tx.try_send_batch(v)
                }
            };
            assert_eq!(try_send(&mut tx, &[1, 2, 3, 4, 5, 6]), Ok(6));
            assert_eq!(try_send(&mut tx, &[7]), Ok(1));
            let got: Vec<u64> = rx.try_recv_batch(8).unwrap().iter().copied().collect();
            assert_eq!(got, [4, 5, 6, 7]);

            let (mut tx, mut rx) = build(Backpressure::Wait).unwrap();
            let sender = std::thread::spawn(move || send(&mut tx, &(0..100).collect::<Vec<_>>()));
            let mut got = Vec::new();
            while let Some(batch) = rx.recv_batch_blocking(3) {
                got.extend(batch.iter().copied());
            }
            sender.join().unwrap().unwrap();
            assert_eq!(got, (0..100).collect::<Vec<_>>());
        }
    }
}

/// A batch send that finds the channel full and waits counts one full
/// event, blocking or async.
#[test]
fn a_waiting_batch_send_counts_one_full_event() {
    use futures::executor::block_on;
    for blocking in [true, false] {
        let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc().unwrap();
        let sender = std::thread::spawn(move || {
            if blocking {
                tx.send_batch_blocking(&[1, 2, 3, 4, 5]).unwrap();
            } else {
                block_on(tx.send_batch(&[1, 2, 3, 4, 5])).unwrap();
            }
            tx
        });
        // Let the sender fill the ring and wait, then free one record.
        while rx.stats().depth < 4 {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(*rx.recv_timeout(Duration::from_secs(5)).unwrap(), 1);
        let tx = sender.join().unwrap();
        assert_eq!(tx.stats().full_events, 1, "blocking: {blocking}");
    }
}

/// An aborted record (a reservation dropped while a later one was
/// committed) ends a batch; the next receive skips it.
#[test]
fn an_aborted_record_ends_a_batch() {
    let (mut tx, mut rx) = pair::<psyne::Mpsc>(8);
    let mut tx2 = tx.clone();
    tx.try_send(1).unwrap();
    let aborted = tx.try_reserve().unwrap();
    let mut later = tx2.try_reserve().unwrap();
    *later = 3;
    later.commit();
    drop(aborted);
    tx.try_send(4).unwrap();
    let batch = rx.try_recv_batch(8).unwrap();
    assert_eq!(batch.iter().copied().collect::<Vec<_>>(), [1]);
    drop(batch);
    let batch = rx.try_recv_batch(8).unwrap();
    assert_eq!(batch.iter().copied().collect::<Vec<_>>(), [3, 4]);
    assert_eq!(tx.stats().aborted, 1);
}

/// A batch taken apart into `Msg`s (`into_iter`): each is released on its
/// own drop, in any order; those left in the iterator when it is dropped.
fn batch_messages_are_released_one_by_one<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(4);
    tx.try_send_batch(&[1, 2, 3, 4]).unwrap();
    let mut msgs = rx.try_recv_batch(4).unwrap().into_iter();
    assert_eq!(msgs.len(), 4);
    let (first, second) = (msgs.next().unwrap(), msgs.next().unwrap());
    assert_eq!((*first, *second, msgs.len()), (1, 2, 2));
    drop(msgs); // releases 3 and 4; 1 and 2 are still held
    assert_eq!(tx.try_send_batch(&[5, 6, 7]).unwrap(), 0, "the oldest record is held");
    drop(first);
    assert_eq!(tx.try_send_batch(&[5, 6, 7]).unwrap(), 1);
    let held: Vec<_> = rx.try_recv_batch(4).unwrap().into_iter().collect();
    drop(second);
    assert_eq!(tx.try_send_batch(&[6, 7]).unwrap(), 2);
    assert_eq!(held.iter().map(|m| **m).collect::<Vec<_>>(), [5]);
    assert_eq!((*rx.try_recv().unwrap(), *rx.try_recv().unwrap()), (6, 7));
    // Every record was freed exactly once: the ring takes a full lap.
    drop(held);
    assert_eq!(tx.try_send_batch(&[0; 8]).unwrap(), 4);
    assert_eq!(tx.stats().depth, 4);
}

/// A batch send that stops says how many values went: under fail-fast when
/// the channel fills, and when the receivers leave while it waits.
#[test]
fn a_batch_send_says_how_many_values_were_sent() {
    use futures::executor::block_on;
    use psyne::SendBatchError;
    for blocking in [true, false] {
        let send = move |tx: &mut psyne::Sender<u64>, v: &[u64]| {
            if blocking { tx.send_batch_blocking(v) } else { block_on(tx.send_batch(v)) }
        };
        let (mut tx, _rx) = psyne::channel::<u64>()
            .capacity(4)
            .backpressure(Backpressure::FailFast)
            .spsc()
            .unwrap();
        let err = send(&mut tx, &[1, 2, 3]).and_then(|()| send(&mut tx, &[4, 5, 6])).unwrap_err();
        assert_eq!((err.sent(), err.error()), (1, ReserveError::Full));
        assert!(err.to_string().contains("after 1 values"), "{err}");
        assert!(std::error::Error::source(&err).is_some());

        let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc().unwrap();
        let sender = std::thread::spawn(move || send(&mut tx, &[1, 2, 3, 4, 5, 6]));
        // Take one: the fifth value goes, the sixth waits; then leave.
        assert_eq!(*rx.recv_timeout(Duration::from_secs(5)).unwrap(), 1);
        let start = std::time::Instant::now();
        while rx.stats().sent < 5 {
            assert!(start.elapsed() < Duration::from_secs(5), "the fifth value never went");
            std::thread::yield_now();
        }
        drop(rx);
        let err: SendBatchError = sender.join().unwrap().unwrap_err();
        assert_eq!((err.sent(), err.error()), (5, ReserveError::Closed), "blocking: {blocking}");
    }
}

/// `recv_many_blocking` waits for the first message, then ends with 0 once
/// the channel is closed and drained.
#[test]
fn recv_many_blocking_waits_then_ends() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc().unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tx.send_blocking(7).unwrap();
    });
    let mut buf = Vec::new();
    assert_eq!(rx.recv_many_blocking(&mut buf, 4), 1);
    sender.join().unwrap();
    assert_eq!(rx.recv_many_blocking(&mut buf, 4), 0);
    assert_eq!(buf.iter().map(|m| **m).collect::<Vec<_>>(), [7]);
}

/// Batches of a ring sized in bytes hold one record each (their records are
/// found through descriptors, not by position), and give their space back
/// when dropped: the arena reads their descriptors to reclaim it, so the
/// ring keeps going for many laps.
#[test]
fn batches_of_a_byte_sized_ring_hold_one_record() {
    byte_sized_batches::<psyne::Spsc>();
    byte_sized_batches::<psyne::Mpsc>();
}

fn byte_sized_batches<P: Pattern>() {
    let build = psyne::channel::<u64>().bytes(1024).pattern::<P>();
    let (mut tx, mut rx) = build.build().unwrap();
    tx.try_send_batch(&[5, 6, 7]).unwrap();
    for v in [5, 6, 7] {
        let batch = rx.try_recv_batch(8).unwrap();
        assert_eq!((batch.len(), batch.get(0)), (1, Some(&v)));
    }
    for v in 0..1000u64 {
        tx.try_send(v).unwrap_or_else(|e| panic!("send {v}: {e}"));
        assert_eq!(rx.try_recv_batch(8).unwrap().get(0), Some(&v));
    }
}

#[test]
fn bad_sizes_are_errors() {
    use psyne::BuildError;
    assert_eq!(psyne::channel::<u64>().capacity(0).spsc().unwrap_err(), BuildError::ZeroCapacity);
    assert_eq!(psyne::channel::<[u8]>().bytes(0).spsc().unwrap_err(), BuildError::ZeroCapacity);
    assert!(matches!(
        psyne::channel::<[u8]>().capacity(8).spsc().unwrap_err(),
        BuildError::NeedsBytes { .. }
    ));
    assert!(matches!(
        psyne::channel::<[u8; 4096]>().bytes(1024).spsc().unwrap_err(),
        BuildError::MessageTooLarge { size: 4096, ring: 1024 }
    ));
    assert!(matches!(
        psyne::channel::<[u8; 1 << 20]>().capacity(usize::MAX / 2).spsc().unwrap_err(),
        BuildError::TooLarge { .. }
    ));
    let err = psyne::channel::<u64>().capacity(0).spsc().unwrap_err();
    assert!(err.to_string().contains("capacity"));
}

#[test]
fn over_aligned_messages_are_rejected() {
    use psyne::__private::zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    use psyne::message::{Schema, id_of};
    // `#[psyne::message]` rejects `repr(align)` at compile time; a
    // hand-written `Message` impl can still claim a large alignment.
    #[derive(FromBytes, IntoBytes, KnownLayout, Immutable)]
    #[zerocopy(crate = "psyne::__private::zerocopy")]
    #[repr(C, align(128))]
    struct Wide([u8; 128]);
    // SAFETY: the constants describe `Wide`: 128 bytes, aligned to 128, no
    // trailing array.
    unsafe impl psyne::Message for Wide {
        const NAME: &'static str = "Wide";
        const VERSION: u32 = 0;
        const ID: u32 = id_of("Wide");
        const FINGERPRINT: u64 = 1;
        const SCHEMA: &'static Schema = &Schema::new("Wide", 0, Self::ID, 1, 128, 128, &[], None);
        const HEADER_SIZE: usize = 128;
        const ALIGN: usize = 128;
        const MAX_ELEMS: usize = 0;
        type Elem = ();
    }
    let err = psyne::channel::<Wide>().spsc().unwrap_err();
    assert!(matches!(err, psyne::BuildError::AlignTooLarge { .. }), "{err}");
}

/// A producer parked on a full multi-producer ring wakes when another
/// producer aborts the reservation in its way (found in review: the rewind
/// changed no descriptor word, so nobody was told).
#[test]
fn aborting_the_newest_reservation_wakes_parked_producers() {
    use std::time::Duration;
    let (mut a, mut rx) = psyne::channel::<u64>().capacity(1).mpsc().unwrap();
    let mut b = a.clone();
    let slot = a.try_reserve().unwrap();
    let parked = std::thread::spawn(move || b.send_blocking(7));
    std::thread::sleep(Duration::from_millis(50)); // let it park
    drop(slot);
    assert_eq!(*rx.recv_timeout(Duration::from_secs(5)).expect("parked producer never woke"), 7);
    parked.join().unwrap().unwrap();

    // The same with variable-size records under the arena lock.
    let (mut a, mut rx) = psyne::channel::<[u8]>().bytes(256).mpsc().unwrap();
    let mut b = a.clone();
    let slot = a.try_reserve_bytes(256).unwrap();
    let parked = std::thread::spawn(move || b.reserve_bytes_blocking(100).map(|s| s.commit()));
    std::thread::sleep(Duration::from_millis(50));
    drop(slot);
    let m = rx.recv_timeout(Duration::from_secs(5)).expect("parked producer never woke");
    assert_eq!(m.len(), 100);
    parked.join().unwrap().unwrap();
}

/// Overwrite-oldest evicts only the record in the sender's way; when a
/// receiver holds that one, nothing is evicted (found in review: every
/// queued message was dropped and the send still failed).
#[test]
fn overwrite_oldest_never_drops_more_than_needed() {
    let (mut tx, mut rx) = psyne::channel::<u64>()
        .capacity(4)
        .backpressure(Backpressure::OverwriteOldest)
        .spsc()
        .unwrap();
    for i in 0..4 {
        tx.try_send(i).unwrap();
    }
    let held = rx.try_recv().unwrap(); // record 0, the one in the way
    assert!(tx.try_send(4).unwrap_err().is_full());
    assert_eq!(tx.stats().dropped, 0, "queued messages were dropped for nothing");
    drop(held);
    tx.try_send(4).unwrap();
    tx.try_send(5).unwrap(); // evicts record 1, exactly one
    assert_eq!(tx.stats().dropped, 1);
    let got: Vec<u64> = std::iter::from_fn(|| rx.try_recv().ok().map(|m| *m)).collect();
    assert_eq!(got, [2, 3, 4, 5]);
}

#[test]
fn absurd_byte_sizes_are_errors() {
    for n in [usize::MAX, usize::MAX - 62, isize::MAX as usize] {
        let err = psyne::channel::<[u8]>().bytes(n).spsc().unwrap_err();
        assert!(matches!(err, psyne::BuildError::TooLarge { .. }), "{n}: {err}");
    }
}

/// A busy-spinning `ipc://` SPSC channel reuses its payload slots from
/// slot 0 once it drains (hot slots, see the ring's docs). Every way
/// records come and go must agree on where each one is: runs sent and
/// taken as batches, batches taken apart and held, one-by-one receives
/// held across a drain, and a reservation given back. (In every layout of
/// `common::layouts`; without `ipc://` built, none has hot slots.)
#[test]
fn busy_spin_spsc_records_stay_put_across_drains() {
    for (channel, tx, rx) in common::layouts::<psyne::Spsc>(4) {
        records_stay_put_across_drains(&channel, tx, rx);
    }
}

fn records_stay_put_across_drains(
    channel: &str,
    mut tx: psyne::Sender<u64>,
    mut rx: psyne::Receiver<u64>,
) {
    for round in 0..3u64 {
        let base = round * 100;
        // A run, taken as a batch and taken apart; the oldest held last.
        assert_eq!(tx.try_send_batch(&[base + 1, base + 2, base + 3]).unwrap(), 3);
        let mut msgs = rx.try_recv_batch(4).unwrap().into_iter();
        let first = msgs.next().unwrap();
        let rest: Vec<_> = msgs.collect();
        assert_eq!(rest.iter().map(|m| **m).collect::<Vec<_>>(), [base + 2, base + 3]);
        drop(rest);
        // Not drained (the first is held): the next records go after it.
        tx.try_send(base + 4).unwrap();
        let fourth = rx.try_recv().unwrap();
        assert_eq!((*first, *fourth), (base + 1, base + 4));
        drop(first);
        drop(fourth);
        // Drained: a reservation given back, then two sends in its place.
        let mut given_back = tx.try_reserve().unwrap();
        *given_back = 7;
        drop(given_back);
        tx.try_send(base + 5).unwrap();
        tx.try_send(base + 6).unwrap();
        let batch = rx.try_recv_batch(4).unwrap();
        assert_eq!(batch.iter().copied().collect::<Vec<_>>(), [base + 5, base + 6], "{channel}");
        drop(batch);
    }
    assert_eq!(tx.stats().aborted, 3, "{channel}");
    assert!(rx.try_recv().is_err(), "{channel}");
}

/// An overwrite-oldest sender parked behind another sender's reservation
/// (the record in its way is not committed, so it cannot be evicted yet)
/// is woken by that commit, with no receiver doing anything: evicting
/// senders wait for commits as well as releases (see the ring's
/// "Wake-ups").
#[test]
fn an_evicting_sender_wakes_at_the_commit_in_its_way() {
    let (mut tx, rx) = psyne::channel::<u64>()
        .capacity(2)
        .backpressure(Backpressure::OverwriteOldest)
        .wait_strategy(WaitStrategy::SpinPark { spin: Duration::ZERO })
        .mpsc()
        .unwrap();
    let mut other = tx.clone();
    let mut slot = other.try_reserve().unwrap(); // position 0, not committed
    tx.try_send(1).unwrap();
    let (done_tx, done) = std::sync::mpsc::channel();
    let sender = std::thread::spawn(move || {
        let sent = tx.send_blocking(2); // waits for position 0
        done_tx.send(()).unwrap();
        sent.map(|()| tx.stats().dropped)
    });
    std::thread::sleep(Duration::from_millis(50));
    *slot = 0;
    slot.commit();
    // Bounded: on a lost wake-up, dropping the receiver closes the
    // channel, which wakes the sender with an error.
    let woke = done.recv_timeout(Duration::from_secs(10)).is_ok();
    let mut rx = rx;
    let got: Vec<u64> = std::iter::from_fn(|| rx.try_recv().ok().map(|m| *m)).collect();
    drop(rx);
    let sent = sender.join().unwrap();
    assert!(woke, "the commit did not wake the evicting sender");
    assert_eq!(sent, Ok(1), "it evicts the committed record");
    assert_eq!(got, [1, 2]);
}

/// `try_send_batch_with` writes as many values as fit, each made by the
/// closure in the record itself, calls the closure only for those, and
/// sends nothing (with the usual errors) into a full or closed channel;
/// across the end of the ring, every value arrives once and in order.
fn batch_sends_with_a_closure_write_what_fits<P: Pattern>() {
    let (mut tx, mut rx) = pair::<P>(7);
    let mut calls = Vec::new();
    let mut fill = |i: usize| {
        calls.push(i);
        100 + i as u64
    };
    assert_eq!(tx.try_send_batch_with(4, &mut fill).unwrap(), 4);
    assert_eq!(tx.try_send_batch_with(10, &mut fill).unwrap(), 3);
    assert_eq!(tx.try_send_batch_with(10, &mut fill).unwrap(), 0);
    assert_eq!(calls, [0, 1, 2, 3, 0, 1, 2], "called for exactly the values sent");
    assert_eq!(tx.stats().sent, 7);
    let got: Vec<u64> = rx.try_recv_batch(8).unwrap().iter().copied().collect();
    assert_eq!(got, [100, 101, 102, 103, 100, 101, 102]);
    // Rounds of three from position 7 of a ring of 7, while the previous
    // round is held: runs start at every descriptor in turn, and those
    // from 6 and 5 cross the ring's end.
    let mut held = None;
    for round in 0..10u64 {
        assert_eq!(tx.try_send_batch_with(3, |i| round * 10 + i as u64).unwrap(), 3);
        let batch = rx.try_recv_batch(8).unwrap();
        let got: Vec<u64> = batch.iter().copied().collect();
        assert_eq!(got, [round * 10, round * 10 + 1, round * 10 + 2], "round {round}");
        held = Some(batch);
    }
    drop(held);
    drop(rx);
    assert_eq!(tx.try_send_batch_with(2, |_| unreachable!()).unwrap_err(), ReserveError::Closed);
}

/// A `fill` closure that panics: the values it made before are sent, the
/// records claimed for the rest are given back (no claim is left open for
/// the receiver to wait on, and the ring's whole capacity is free again
/// once the sent ones are received), the batch counts one aborted
/// reservation, and the panic reaches the caller. Panics at each index of
/// a run, for the try, blocking and async forms, in every layout of
/// `common::layouts` (busy-spinning `ipc://` SPSC rings have hot slots).
fn a_panicking_fill_sends_what_it_made_and_gives_back_the_rest<P: Pattern>() {
    use futures::executor::block_on;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    const CAP: usize = 8;
    for (channel, mut tx, mut rx) in common::layouts::<P>(CAP) {
        for form in 0..3 {
            for at in 0..CAP {
                let case = format!("{channel}, form {form}, at {at}");
                let fill = |i: usize| {
                    assert!(i != at, "fill fails at {i}");
                    i as u64
                };
                let before = tx.stats();
                let panicked = catch_unwind(AssertUnwindSafe(|| match form {
                    0 => drop(tx.try_send_batch_with(CAP, fill)),
                    1 => drop(tx.send_batch_with_blocking(CAP, fill)),
                    _ => drop(block_on(tx.send_batch_with(CAP, fill))),
                }));
                assert!(panicked.is_err(), "{case}: the panic must go on");
                let after = tx.stats();
                assert_eq!(after.sent - before.sent, at as u64, "{case}: what was sent");
                assert_eq!(after.aborted - before.aborted, 1, "{case}: one aborted batch");
                let mut got = Vec::new();
                while let Ok(m) = rx.try_recv() {
                    got.push(*m);
                }
                assert_eq!(got, (0..at as u64).collect::<Vec<_>>(), "{case}");
                // Every record is free again: a full ring's worth fits.
                assert_eq!(tx.try_send_batch(&[7; CAP]).unwrap(), CAP, "{case}");
                assert_eq!(rx.try_recv_batch(CAP).unwrap().len(), CAP, "{case}");
                assert_eq!(tx.stats().depth, 0, "{case}");
            }
        }
    }
}

/// Several producers: a batch whose `fill` panics after another producer
/// claimed behind its run cannot give the rest of the run back (it is no
/// longer the newest claim), so it commits those records as aborted. The
/// receiver gets what the batch made and the other producer's value, and
/// every record comes back.
#[test]
fn a_panicking_fill_behind_another_producers_claim_skips_the_rest() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    // The run is claimed at once: while `fill` runs, a ring of four that a
    // batch of four fills has no room for another producer.
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).mpsc().unwrap();
    let mut other = tx.clone();
    let sent = tx.try_send_batch_with(4, |i| {
        assert!(matches!(other.try_send(99), Err(SendError::Full(99))), "at {i}");
        i as u64
    });
    assert_eq!(sent, Ok(4));
    assert_eq!(rx.try_recv_batch(8).unwrap().iter().copied().collect::<Vec<_>>(), [0, 1, 2, 3]);
    for at in [0, 2, 3] {
        let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).mpsc().unwrap();
        let mut other = tx.clone();
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            tx.try_send_batch_with(4, |i| {
                if i == at {
                    other.try_send(99).unwrap();
                    panic!("fill fails at {i}");
                }
                i as u64
            })
        }));
        assert!(panicked.is_err(), "at {at}");
        let mut got = Vec::new();
        while let Ok(m) = rx.try_recv() {
            got.push(*m);
        }
        let mut want: Vec<u64> = (0..at as u64).collect();
        want.push(99);
        assert_eq!(got, want, "at {at}");
        let s = tx.stats();
        assert_eq!((s.sent, s.received, s.aborted), (at as u64 + 1, at as u64 + 1, 1), "at {at}");
        assert_eq!(tx.try_send_batch(&[7; 8]).unwrap(), 8, "at {at}: every record free again");
        assert_eq!(rx.try_recv_batch(8).unwrap().len(), 8, "at {at}");
    }
}

/// A batch send that waits for room, then panics in `fill`: the one
/// value made after the wait (or none) and the ones before are sent, the
/// rest given back, and a receiver that drains the ring meanwhile gets
/// exactly those.
#[test]
fn a_fill_that_panics_after_a_wait_sends_what_it_made() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    for at in [0, 1, 5] {
        let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).mpsc().unwrap();
        tx.try_send_batch(&[100, 101, 102, 103]).unwrap();
        let receiver = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut got = Vec::new();
            while let Ok(m) = rx.recv_timeout(Duration::from_millis(300)) {
                got.push(*m);
            }
            (got, rx)
        });
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            tx.send_batch_with_blocking(8, |i| {
                assert!(i != at, "fill fails at {i}");
                i as u64
            })
        }));
        assert!(panicked.is_err(), "at {at}");
        let (got, mut rx) = receiver.join().unwrap();
        let mut want = vec![100, 101, 102, 103];
        want.extend(0..at as u64);
        assert_eq!(got, want, "at {at}");
        assert_eq!(tx.try_send_batch(&[7; 4]).unwrap(), 4, "at {at}: every record free again");
        assert_eq!(rx.try_recv_batch(4).unwrap().len(), 4);
    }
}

/// A batch send claims the room there is as one run, committed once it
/// is written, and the room the receiver frees while it writes as the
/// next run: here the closure itself frees room (dropping the batch the
/// receiver held, then taking the first run), and the receiver must see
/// nothing of the second run while it is written. (Claimed record by
/// record once the first run was, a send of more values than the ring
/// holds ran 3-6 times slower.)
#[test]
fn a_batch_send_claims_the_room_freed_while_it_writes_as_runs() {
    for wait in [WaitStrategy::default(), WaitStrategy::BusySpin] {
        let (mut tx, mut rx) =
            psyne::channel::<u64>().capacity(8).wait_strategy(wait).spsc().unwrap();
        tx.try_send_batch(&[0; 4]).unwrap();
        let mut held = Some(rx.try_recv_batch(8).unwrap());
        let (mut got, mut mid_run) = (Vec::new(), Vec::new());
        let sent = tx
            .try_send_batch_with(16, |i| {
                // Frees the 4 records before the first run's 4.
                held.take();
                if i == 4 {
                    // The second run started: the first is committed.
                    while let Ok(m) = rx.try_recv() {
                        got.push(*m);
                    }
                }
                if i == 5 || i == 6 {
                    mid_run.push(rx.try_recv().map(|m| *m).ok());
                }
                i as u64
            })
            .unwrap();
        // Runs of 4: the room at the start, the room the first value
        // freed, the room the fifth one freed; then the ring is full.
        assert_eq!(sent, 12, "{wait:?}");
        assert_eq!(got, [0, 1, 2, 3], "{wait:?}");
        assert_eq!(mid_run, [None, None], "{wait:?}: a run shows before it is written");
        while let Ok(m) = rx.try_recv() {
            got.push(*m);
        }
        assert_eq!(got, (0..12).collect::<Vec<_>>(), "{wait:?}");
    }
}

/// A byte-sized ring of a sized message takes batch sends record by
/// record, each from the arena: a panicking `fill` there, too, sends what
/// it made and gives the rest back, and the arena's space comes back.
#[test]
fn a_panicking_fill_in_a_byte_sized_ring_gives_its_space_back() {
    fn run<P: Pattern>() {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        let (mut tx, mut rx) = psyne::channel::<u64>().bytes(1024).pattern::<P>().build().unwrap();
        for round in 0..40u64 {
            let panicked = catch_unwind(AssertUnwindSafe(|| {
                tx.try_send_batch_with(4, |i| {
                    assert!(i != 3, "fill fails at 3");
                    round * 10 + i as u64
                })
            }));
            assert!(panicked.is_err(), "round {round}");
            let mut got = Vec::new();
            while let Ok(m) = rx.try_recv() {
                got.push(*m);
            }
            assert_eq!(got, [round * 10, round * 10 + 1, round * 10 + 2], "round {round}");
        }
    }
    run::<psyne::Spsc>();
    run::<psyne::Mpsc>();
}

/// A receiver parked on an empty channel wakes for the values a batch
/// send committed before its `fill` panicked (the batch's one wake-up
/// check would otherwise come after its last record, which never comes).
#[test]
fn a_panicking_fill_wakes_the_receiver_for_what_it_sent() {
    fn run<P: Pattern>() {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        let strategy = WaitStrategy::SpinPark { spin: Duration::ZERO };
        let (mut tx, mut rx) = psyne::channel::<u64>()
            .capacity(8)
            .wait_strategy(strategy)
            .pattern::<P>()
            .build()
            .unwrap();
        // Generous bounds: valgrind (in CI) runs this beside busy-spinning
        // tests, one thread at a time; a lost wake-up still shows, as a
        // receive that ends only at its deadline.
        let receiver =
            std::thread::spawn(move || rx.recv_timeout(Duration::from_secs(60)).map(|m| *m));
        // Let the receiver park.
        std::thread::sleep(Duration::from_millis(100));
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            tx.try_send_batch_with(4, |i| {
                assert!(i != 2, "fill fails at 2");
                40 + i as u64
            })
        }));
        assert!(panicked.is_err());
        let start = std::time::Instant::now();
        assert_eq!(receiver.join().unwrap(), Ok(40));
        assert!(start.elapsed() < Duration::from_secs(30), "woken only by its timeout");
    }
    run::<psyne::Spsc>();
    run::<psyne::Mpsc>();
    run::<psyne::Spmc>();
    run::<psyne::Mpmc>();
}

/// A producer that finds the ring full waits a little for a run of room
/// before it tries again (see `wait::await_room`), but never for room
/// that does not come: with every strategy, blocking and async, a sender
/// blocked on a full ring of 1024 sends as soon as the receiver frees one
/// record and stops.
#[test]
fn a_producer_on_a_full_ring_takes_a_single_freed_record() {
    use futures::executor::block_on;
    let strategies = [
        WaitStrategy::BusySpin,
        WaitStrategy::default(),
        WaitStrategy::SpinYield { spin: Duration::from_micros(50) },
    ];
    for wait in strategies {
        for blocking in [true, false] {
            let (mut tx, mut rx) =
                psyne::channel::<u64>().capacity(1024).wait_strategy(wait).spsc().unwrap();
            let values: Vec<u64> = (0..1024).collect();
            tx.try_send_batch(&values).unwrap();
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            let sender = std::thread::spawn(move || {
                let sent = if blocking { tx.send_blocking(1024) } else { block_on(tx.send(1024)) };
                done_tx.send(sent.is_ok()).unwrap();
                tx
            });
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(*rx.try_recv().unwrap(), 0);
            // One record free, and the receiver takes nothing more.
            // (Generous: valgrind runs this in CI one thread at a time.)
            let sent = done_rx.recv_timeout(Duration::from_secs(30));
            assert_eq!(sent, Ok(true), "{wait:?}, blocking {blocking}: the sender stayed blocked");
            let tx = sender.join().unwrap();
            assert_eq!(tx.stats().depth, 1024, "{wait:?}, blocking {blocking}");
        }
    }
}
