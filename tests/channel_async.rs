//! The async API with tokio and futures combinators: Sink, Stream, select,
//! timeouts, cancellation.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use psyne::{Backpressure, ReserveError};

#[tokio::test]
async fn forward_moves_a_stream_into_a_sink() {
    let (mut tx1, rx1) = psyne::channel::<u64>().capacity(16).spsc().unwrap();
    let (tx2, mut rx2) = psyne::channel::<u64>().capacity(16).spsc().unwrap();
    let relay = tokio::spawn(async move {
        // Msg<u64> -> u64 on the way.
        rx1.map(|m| Ok::<_, ReserveError>(*m)).forward(tx2).await
    });
    let producer = tokio::spawn(async move {
        for i in 0..100 {
            tx1.send(i).await.unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(*rx2.recv().await.unwrap(), i);
    }
    producer.await.unwrap();
    relay.await.unwrap().unwrap();
    assert!(rx2.recv().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_all_waits_for_room() {
    let (mut tx, rx) = psyne::channel::<u32>().capacity(4).mpsc().unwrap();
    let producer = tokio::spawn(async move {
        let mut items = futures::stream::iter((0..1000u32).map(Ok));
        tx.send_all(&mut items).await.unwrap();
    });
    let got: Vec<u32> = rx.map(|m| *m).collect().await;
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    producer.await.unwrap();
}

#[tokio::test]
async fn select_merges_two_channels() {
    let (mut a_tx, a_rx) = psyne::channel::<u64>().capacity(8).spsc().unwrap();
    let (mut b_tx, b_rx) = psyne::channel::<u64>().capacity(8).spsc().unwrap();
    for i in 0..5 {
        a_tx.send(i).await.unwrap();
        b_tx.send(100 + i).await.unwrap();
    }
    drop((a_tx, b_tx));
    let mut all: Vec<u64> = futures::stream::select(a_rx, b_rx).map(|m| *m).collect().await;
    all.sort_unstable();
    assert_eq!(all, [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffer_unordered_processes_messages_concurrently() {
    let (mut tx, rx) = psyne::channel::<u64>().capacity(64).spmc().unwrap();
    for i in 1..=50 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    // Each Msg is Send + 'static: it can move into spawned work.
    let sum: u64 = rx
        .map(|m| tokio::spawn(async move { *m * 2 }))
        .buffer_unordered(8)
        .map(|r| r.unwrap())
        .fold(0, |acc, x| async move { acc + x })
        .await;
    assert_eq!(sum, 2 * (50 * 51 / 2));
}

#[tokio::test]
async fn tokio_select_is_cancel_safe_for_recv() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(8).spsc().unwrap();
    let mut ticks = 0;
    // `recv` loses the race many times; no message may be lost by that.
    let sender = async {
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tx.send(i).await.unwrap();
        }
    };
    let receiver = async {
        let mut got = Vec::new();
        while got.len() < 20 {
            tokio::select! {
                m = rx.recv() => got.push(*m.unwrap()),
                _ = tokio::task::yield_now() => ticks += 1,
            }
        }
        got
    };
    let ((), got) = tokio::join!(sender, receiver);
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    assert!(ticks > 0, "the other branch should win sometimes");
}

#[tokio::test]
async fn tokio_stream_timeout_reports_silence() {
    use tokio_stream::StreamExt as _;
    let (mut tx, rx) = psyne::channel::<u64>().capacity(8).spsc().unwrap();
    tx.send(1).await.unwrap();
    let mut timed = std::pin::pin!(rx.timeout(Duration::from_millis(20)));
    let next = tokio_stream::StreamExt::next;
    assert_eq!(*next(&mut timed).await.unwrap().unwrap(), 1);
    assert!(next(&mut timed).await.unwrap().is_err(), "silence must time out");
    tx.send(2).await.unwrap();
    assert_eq!(*next(&mut timed).await.unwrap().unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_senders_wake_when_space_frees_and_when_closed() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(1).spsc().unwrap();
    tx.send(1).await.unwrap();
    let waiter = tokio::spawn(async move {
        tx.send(2).await.unwrap();
        tx.send(3).await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(*rx.recv().await.unwrap(), 1); // frees the record: wakes the sender
    assert_eq!(*rx.recv().await.unwrap(), 2);
    // The sender now waits to send 3 unless it got in already; closing the
    // receiver must wake it with its value.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let kept = rx.try_recv().ok().map(|m| *m);
    drop(rx);
    match waiter.await.unwrap() {
        Ok(()) => assert_eq!(kept, Some(3)),
        Err(e) => assert_eq!(e.into_inner(), 3),
    }
}

#[tokio::test]
async fn cancelled_reserve_reserves_nothing() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(1).spsc().unwrap();
    tx.send(1).await.unwrap();
    // Full: the reservation waits and is cancelled by the timeout.
    assert!(tokio::time::timeout(Duration::from_millis(10), tx.reserve()).await.is_err());
    assert_eq!(*rx.recv().await.unwrap(), 1);
    tx.send(2).await.unwrap();
    assert_eq!(*rx.recv().await.unwrap(), 2);
}

#[tokio::test]
async fn sink_under_drop_newest_never_blocks() {
    let (mut tx, mut rx) =
        psyne::channel::<u64>().capacity(2).backpressure(Backpressure::DropNewest).spsc().unwrap();
    for i in 0..10 {
        tx.feed(i).await.unwrap();
    }
    tx.flush().await.unwrap();
    assert_eq!(tx.stats().dropped, 8);
    assert_eq!(*rx.recv().await.unwrap(), 0);
}

#[test]
fn busy_spin_and_spin_yield_strategies_deliver() {
    use psyne::WaitStrategy;
    for strategy in [
        WaitStrategy::BusySpin,
        WaitStrategy::SpinYield { spin: Duration::from_micros(5) },
        WaitStrategy::SpinPark { spin: Duration::ZERO },
    ] {
        let (mut tx, mut rx) =
            psyne::channel::<u64>().capacity(4).wait_strategy(strategy).spsc().unwrap();
        let producer = std::thread::spawn(move || {
            for i in 0..10_000 {
                tx.send_blocking(i).unwrap();
            }
        });
        for i in 0..10_000 {
            assert_eq!(*rx.recv_blocking().unwrap(), i, "{strategy:?}");
        }
        assert!(rx.recv_blocking().is_none());
        producer.join().unwrap();
        // Async with the same strategy (BusySpin re-polls through the waker).
        let (mut tx, mut rx) =
            psyne::channel::<u64>().capacity(4).wait_strategy(strategy).spsc().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async move {
            let p = tokio::spawn(async move {
                for i in 0..1000 {
                    tx.send(i).await.unwrap();
                }
            });
            for i in 0..1000 {
                assert_eq!(*rx.recv().await.unwrap(), i);
            }
            p.await.unwrap();
        });
    }
}

#[test]
fn recv_timeout_times_out_then_receives() {
    use psyne::RecvTimeoutError;
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc().unwrap();
    let start = std::time::Instant::now();
    assert_eq!(rx.recv_timeout(Duration::from_millis(30)).unwrap_err(), RecvTimeoutError::Timeout);
    assert!(start.elapsed() >= Duration::from_millis(30));
    tx.try_send(1).unwrap();
    assert_eq!(*rx.recv_timeout(Duration::from_millis(30)).unwrap(), 1);
    drop(tx);
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap_err(), RecvTimeoutError::Closed);
}

/// A send cancelled while it waited on a full channel must not hide the
/// next operation's full event from the statistics (found in review).
#[tokio::test]
async fn full_events_are_counted_after_a_cancelled_send() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(1).spsc().unwrap();
    tx.try_send(1).unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(5), tx.send(2)).await.is_err());
    assert_eq!(tx.stats().full_events, 1);
    drop(rx.try_recv().unwrap());
    tx.try_send(3).unwrap();
    assert!(tx.try_send(4).unwrap_err().is_full());
    assert_eq!(tx.stats().full_events, 2);
}
