//! Criterion benchmarks of the in-process channels, with peers in the same
//! groups so that their ratios come from one run. `examples/compare.rs`
//! prints the full comparison table; these give statistically careful
//! numbers for single operations and short bursts.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

type M = [u64; 8];
const CAP: usize = 1024;
const BURST: u64 = 512;

/// One thread: a burst of sends, then the burst of receives.
fn same_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("burst of 512 x 64 B, one thread");
    g.throughput(Throughput::Elements(BURST));
    g.bench_function("psyne try_send/try_recv", |b| {
        let (mut tx, mut rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
        b.iter(|| {
            for i in 0..BURST {
                tx.try_send([i; 8]).unwrap();
            }
            for _ in 0..BURST {
                black_box(rx.try_recv().unwrap()[0]);
            }
        })
    });
    g.bench_function("psyne reserve/commit", |b| {
        let (mut tx, mut rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
        b.iter(|| {
            for i in 0..BURST {
                let mut slot = tx.try_reserve().unwrap();
                slot[0] = i;
                slot.commit();
            }
            for _ in 0..BURST {
                black_box(rx.try_recv().unwrap()[0]);
            }
        })
    });
    g.bench_function("psyne send().await/recv().await, current-thread runtime", |b| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (mut tx, mut rx) = psyne::channel::<M>().capacity(CAP).spsc().unwrap();
        b.iter(|| {
            rt.block_on(async {
                for i in 0..BURST {
                    tx.send([i; 8]).await.unwrap();
                }
                for _ in 0..BURST {
                    black_box(rx.recv().await.unwrap()[0]);
                }
            })
        })
    });
    g.bench_function("tokio::mpsc send().await/recv().await, current-thread runtime", |b| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<M>(CAP);
        b.iter(|| {
            rt.block_on(async {
                for i in 0..BURST {
                    tx.send([i; 8]).await.unwrap();
                }
                for _ in 0..BURST {
                    black_box(rx.recv().await.unwrap()[0]);
                }
            })
        })
    });
    g.bench_function("rtrb push/pop", |b| {
        let (mut tx, mut rx) = rtrb::RingBuffer::<M>::new(CAP);
        b.iter(|| {
            for i in 0..BURST {
                tx.push([i; 8]).unwrap();
            }
            for _ in 0..BURST {
                black_box(rx.pop().unwrap()[0]);
            }
        })
    });
    g.bench_function("crossbeam-channel try_send/try_recv", |b| {
        let (tx, rx) = crossbeam_channel::bounded::<M>(CAP);
        b.iter(|| {
            for i in 0..BURST {
                tx.try_send([i; 8]).unwrap();
            }
            for _ in 0..BURST {
                black_box(rx.try_recv().unwrap()[0]);
            }
        })
    });
    g.bench_function("tokio::mpsc try_send/try_recv", |b| {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<M>(CAP);
        b.iter(|| {
            for i in 0..BURST {
                tx.try_send([i; 8]).unwrap();
            }
            for _ in 0..BURST {
                black_box(rx.try_recv().unwrap()[0]);
            }
        })
    });
    g.finish();
}

/// Two tokio tasks on a 2-worker runtime, 64 Ki messages.
fn async_spsc(c: &mut Criterion) {
    const N: u64 = 1 << 16;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let mut g = c.benchmark_group("async SPSC 64 Ki x 64 B");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    g.bench_function("psyne", |b| {
        b.to_async(&rt).iter_batched(
            || psyne::channel::<M>().capacity(CAP).spsc().unwrap(),
            |(mut tx, mut rx)| async move {
                let p = tokio::spawn(async move {
                    for i in 0..N {
                        tx.send([i; 8]).await.unwrap();
                    }
                });
                while let Some(m) = rx.recv().await {
                    black_box(m[0]);
                }
                p.await.unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("tokio::mpsc", |b| {
        b.to_async(&rt).iter_batched(
            || tokio::sync::mpsc::channel::<M>(CAP),
            |(tx, mut rx)| async move {
                let p = tokio::spawn(async move {
                    for i in 0..N {
                        tx.send([i; 8]).await.unwrap();
                    }
                });
                while let Some(m) = rx.recv().await {
                    black_box(m[0]);
                }
                p.await.unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, same_thread, async_spsc);
criterion_main!(benches);
