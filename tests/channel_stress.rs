//! Many producers and consumers, OS threads and tokio tasks, for every
//! pattern: no message lost or duplicated, each producer's messages in order
//! per consumer, held messages released out of order. Bounded in count; each
//! case runs well under a second.

// Outside the library: std atomics are fine here (clippy.toml guards the
// library's loom facade).
#![allow(clippy::disallowed_types)]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::executor::block_on;
use psyne::{Msg, Pattern, Receiver, Sender, TryRecvError};

const PER_PRODUCER: u64 = if cfg!(miri) { 100 } else { 20_000 };

for_each_pattern!(threads, tokio_tasks, batches);

/// `(producer << 32) | sequence`.
fn tag(producer: u64, seq: u64) -> u64 {
    (producer << 32) | seq
}

/// A fresh name per case, so parallel tests never meet.
fn name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("memory://stress-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Every handle of one channel: a sender per producer, a receiver per
/// consumer (several only where the pattern allows).
fn handles<P: Pattern>() -> (Vec<Sender<u64, P>>, Vec<Receiver<u64, P>>) {
    let producers = if P::MULTI_PRODUCER { 3 } else { 1 };
    let consumers = if P::MULTI_CONSUMER { 3 } else { 1 };
    let uri = name();
    let builder = || psyne::channel::<u64>().capacity(64).pattern::<P>();
    let rxs = (0..consumers).map(|_| block_on(builder().bind(&uri)).unwrap()).collect();
    let txs = (0..producers).map(|_| block_on(builder().connect(&uri)).unwrap()).collect();
    (txs, rxs)
}

/// Every message exactly once, and each consumer saw each producer's
/// messages in increasing order.
fn verify(producers: usize, per_consumer: Vec<Vec<u64>>) {
    let mut all = HashSet::new();
    for seen in &per_consumer {
        let mut last = vec![None::<u64>; producers];
        for &v in seen {
            assert!(all.insert(v), "duplicate {v:#x}");
            let (p, s) = ((v >> 32) as usize, v & 0xffff_ffff);
            assert!(last[p].is_none_or(|l| l < s), "producer {p} out of order");
            last[p] = Some(s);
        }
    }
    assert_eq!(all.len() as u64, producers as u64 * PER_PRODUCER, "messages lost");
}

/// Keeps up to three messages and releases them out of order.
fn hold(held: &mut Vec<Msg<u64>>, m: Msg<u64>) {
    held.push(m);
    if held.len() == 3 {
        held.swap(0, 2);
        held.clear();
    }
}

fn threads<P: Pattern>() {
    let (txs, rxs) = handles::<P>();
    let producers = txs.len();
    std::thread::scope(|s| {
        for (p, mut tx) in txs.into_iter().enumerate() {
            s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    let v = tag(p as u64, i);
                    if i % 2 == 0 {
                        tx.send_blocking(v).unwrap();
                    } else {
                        let mut slot = tx.reserve_blocking().unwrap();
                        *slot = v;
                        slot.commit();
                    }
                }
            });
        }
        let consumers: Vec<_> = rxs
            .into_iter()
            .map(|mut rx| {
                s.spawn(move || {
                    let (mut seen, mut held) = (Vec::new(), Vec::new());
                    loop {
                        let m = match rx.try_recv() {
                            Ok(m) => m,
                            Err(TryRecvError::Closed) => break,
                            Err(TryRecvError::Empty) => {
                                // Records are reused in ring order: never
                                // hold one while waiting (see `Msg`).
                                held.clear();
                                match rx.recv_blocking() {
                                    Some(m) => m,
                                    None => break,
                                }
                            }
                            Err(e) => panic!("in-process channel failed: {e}"),
                        };
                        seen.push(*m);
                        hold(&mut held, m);
                    }
                    seen
                })
            })
            .collect();
        verify(producers, consumers.into_iter().map(|h| h.join().unwrap()).collect());
    });
}

fn tokio_tasks<P: Pattern>() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let (txs, rxs) = handles::<P>();
    let producers = txs.len();
    rt.block_on(async move {
        for (p, mut tx) in txs.into_iter().enumerate() {
            tokio::spawn(async move {
                for i in 0..PER_PRODUCER {
                    let v = tag(p as u64, i);
                    match i % 3 {
                        0 => tx.send(v).await.unwrap(),
                        1 => {
                            let mut slot = tx.reserve().await.unwrap();
                            *slot = v;
                            slot.commit();
                        }
                        _ => tx.send_batch(&[v]).await.unwrap(),
                    }
                }
            });
        }
        let consumers: Vec<_> = rxs
            .into_iter()
            .map(|mut rx| {
                tokio::spawn(async move {
                    let (mut seen, mut held) = (Vec::new(), Vec::new());
                    let mut batch = Vec::with_capacity(16);
                    while rx.recv_many(&mut batch, 16).await > 0 {
                        for m in batch.drain(..) {
                            seen.push(*m);
                            hold(&mut held, m);
                        }
                        // Never hold records while waiting (see `Msg`).
                        held.clear();
                    }
                    seen
                })
            })
            .collect();
        let mut seen = Vec::new();
        for c in consumers {
            seen.push(c.await.unwrap());
        }
        verify(producers, seen);
    });
}

/// Consumers receive in runs (`recv_batch` / `recv_batch_blocking`, limits
/// 1..=16) while producers send one by one and in batches of 1 to 100
/// values, more than the ring holds among them (`send_batch`,
/// `send_batch_blocking`, `send_batch_with`, `send_batch_with_blocking`;
/// several producers claim each run with one CAS, so their runs race):
/// every message once, in order per producer.
fn batches<P: Pattern>() {
    let (txs, rxs) = handles::<P>();
    let producers = txs.len();
    std::thread::scope(|s| {
        for (p, mut tx) in txs.into_iter().enumerate() {
            s.spawn(move || {
                let mut i = 0;
                let mut round = 0u64;
                while i < PER_PRODUCER {
                    if i % 5 == 0 {
                        round += 1;
                        let k = (round * 37 % 100 + 1).min(PER_PRODUCER - i);
                        let run: Vec<u64> = (i..i + k).map(|j| tag(p as u64, j)).collect();
                        let make = |j: usize| run[j];
                        match (round + p as u64) % 4 {
                            0 => tx.send_batch_blocking(&run).unwrap(),
                            1 => block_on(tx.send_batch(&run)).unwrap(),
                            2 => tx.send_batch_with_blocking(run.len(), make).unwrap(),
                            _ => block_on(tx.send_batch_with(run.len(), make)).unwrap(),
                        }
                        i += k;
                    } else {
                        tx.send_blocking(tag(p as u64, i)).unwrap();
                        i += 1;
                    }
                }
            });
        }
        let consumers: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(c, mut rx)| {
                s.spawn(move || {
                    let mut seen = Vec::new();
                    let mut limit = c + 1;
                    loop {
                        limit = limit % 16 + 1;
                        let batch = if c % 2 == 0 {
                            rx.recv_batch_blocking(limit)
                        } else {
                            block_on(rx.recv_batch(limit))
                        };
                        let Some(batch) = batch else { break };
                        assert!((1..=limit).contains(&batch.len()));
                        seen.extend(batch.iter().copied());
                    }
                    seen
                })
            })
            .collect();
        verify(producers, consumers.into_iter().map(|h| h.join().unwrap()).collect());
    });
}

#[test]
fn variable_size_mpmc_threads() {
    // Variable-size records through the multi-producer arena lock.
    let (tx, rx) = psyne::channel::<[u32]>().bytes(16 << 10).mpmc().unwrap();
    std::thread::scope(|s| {
        for p in 0..3u32 {
            let mut tx = tx.clone();
            s.spawn(move || {
                for i in 0..5_000u32 {
                    let len = (i % 97) as usize + 1;
                    let mut rec = tx.reserve_len_blocking(len).unwrap();
                    rec.fill(p << 16 | i);
                    rec.commit();
                }
            });
        }
        drop(tx);
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let mut rx = rx.clone();
                s.spawn(move || {
                    let mut n = 0;
                    while let Some(m) = rx.recv_blocking() {
                        let i = m[0] & 0xffff;
                        assert_eq!(m.len(), (i % 97) as usize + 1);
                        assert!(m.iter().all(|&x| x == m[0]), "torn record");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let total: usize = consumers.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 15_000);
    });
    drop(rx);
}
