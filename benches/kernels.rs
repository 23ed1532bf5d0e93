//! In-place numeric kernels over a received message: psyne's lane-parallel
//! `dot` (packed SIMD) against a strict scalar loop, and `scale`.
//!
//! `cargo bench --bench kernels`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use psyne::message::types::{FloatVector, dot, dot_scalar};

fn kernels(c: &mut Criterion) {
    const ELEMS: usize = 4096;
    let (mut tx, mut rx) = psyne::channel::<FloatVector>().bytes(1 << 16).spsc().unwrap();
    let mut v = tx.try_reserve_len(ELEMS).unwrap();
    v.iter_mut().enumerate().for_each(|(i, x)| *x = (i % 7) as f32 * 0.25);
    v.commit();
    let msg = rx.try_recv().unwrap();

    let mut g = c.benchmark_group("received FloatVector, 4096 f32");
    g.throughput(Throughput::Elements(ELEMS as u64));
    g.bench_function("dot (16 lanes)", |b| b.iter(|| dot(black_box(&msg), black_box(&msg))));
    g.bench_function("dot scalar loop", |b| {
        b.iter(|| dot_scalar(black_box(&msg), black_box(&msg)))
    });
    drop(msg);
    g.bench_function("scale in place (reserve, scale, commit, receive)", |b| {
        b.iter(|| {
            let mut v = tx.try_reserve_len(ELEMS).unwrap();
            v.scale(black_box(0.5));
            v.commit();
            black_box(rx.try_recv().unwrap().len);
        })
    });
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
