//! Property tests against a simple model: random interleavings of sends,
//! reservations, aborts, receives and out-of-order releases, checked against
//! a `VecDeque` and a set of held records. FIFO, no loss, no duplication,
//! every record freed exactly once, all space reclaimed, exact fullness.

use std::collections::VecDeque;

use proptest::prelude::*;
use psyne::{Mpmc, Mpsc, Msg, Pattern, Receiver, Sender, Spmc, Spsc, TryRecvError};

#[derive(Debug, Clone)]
enum Op {
    Send,
    ReserveCommit,
    ReserveAbort,
    Recv,
    /// Release the held message at this index (modulo the number held).
    Release(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Send),
        2 => Just(Op::ReserveCommit),
        1 => Just(Op::ReserveAbort),
        4 => Just(Op::Recv),
        3 => any::<usize>().prop_map(Op::Release),
    ]
}

/// The model of a fixed-size ring: positions are reused in order, a position
/// is free once the record a lap earlier was released.
struct Model {
    cap: u64,
    tail: u64,
    queue: VecDeque<(u64, u64)>,
    /// Positions not yet released (queued or held).
    live: std::collections::BTreeSet<u64>,
}

impl Model {
    fn full(&self) -> bool {
        self.tail >= self.cap && self.live.contains(&(self.tail - self.cap))
    }
}

fn run<P: Pattern>(cap: usize, ops: &[Op]) {
    let (mut tx, mut rx): (Sender<u64, P>, Receiver<u64, P>) =
        psyne::channel::<u64>().capacity(cap).pattern::<P>().build().unwrap();
    let mut model =
        Model { cap: cap as u64, tail: 0, queue: VecDeque::new(), live: Default::default() };
    let mut held: Vec<(u64, Msg<u64>)> = Vec::new();
    let mut next_value = 0u64;
    for op in ops {
        match op {
            Op::Send | Op::ReserveCommit | Op::ReserveAbort => {
                let full = model.full();
                next_value += 1;
                let result = match op {
                    Op::Send => tx.try_send(next_value).map_err(|_| ()),
                    _ => match tx.try_reserve() {
                        Ok(mut slot) => {
                            assert_eq!(*slot, 0, "records are zeroed");
                            *slot = next_value;
                            if matches!(op, Op::ReserveCommit) {
                                slot.commit();
                            }
                            Ok(())
                        }
                        Err(_) => Err(()),
                    },
                };
                assert_eq!(result.is_err(), full, "fullness disagrees with the model");
                if !full && !matches!(op, Op::ReserveAbort) {
                    model.queue.push_back((model.tail, next_value));
                    model.live.insert(model.tail);
                    model.tail += 1;
                }
            }
            Op::Recv => match (rx.try_recv(), model.queue.pop_front()) {
                (Ok(m), Some((pos, v))) => {
                    assert_eq!(*m, v, "FIFO order");
                    held.push((pos, m));
                }
                (Err(TryRecvError::Empty), None) => {}
                (got, want) => panic!("receive disagrees: {got:?} vs {want:?}"),
            },
            Op::Release(i) => {
                if !held.is_empty() {
                    let (pos, m) = held.swap_remove(i % held.len());
                    drop(m);
                    assert!(model.live.remove(&pos), "released twice");
                }
            }
        }
        let s = tx.stats();
        assert_eq!(s.sent - s.received, model.queue.len() as u64);
    }
    // Drain and release everything: all space must be reclaimed.
    held.clear();
    while let Ok(m) = rx.try_recv() {
        assert_eq!(*m, model.queue.pop_front().unwrap().1);
    }
    assert!(model.queue.is_empty());
    for i in 0..cap as u64 {
        tx.try_send(i).unwrap_or_else(|_| panic!("space not reclaimed: {i} of {cap}"));
    }
    assert!(tx.try_send(0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 8 } else { 256 }, ..ProptestConfig::default() })]

    #[test]
    fn spsc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        run::<Spsc>(cap, &ops);
    }

    #[test]
    fn mpsc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        run::<Mpsc>(cap, &ops);
    }

    #[test]
    fn spmc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        run::<Spmc>(cap, &ops);
    }

    #[test]
    fn mpmc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        run::<Mpmc>(cap, &ops);
    }

    /// Variable-size records: contents intact, and after releasing
    /// everything one record can fill the whole ring again.
    #[test]
    fn variable_records_round_trip(
        lens in prop::collection::vec(0usize..700, 1..100),
        hold in prop::collection::vec(any::<bool>(), 1..100),
    ) {
        let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(2048).mpsc().unwrap();
        let mut held = VecDeque::new();
        for (i, &len) in lens.iter().enumerate() {
            if tx.try_reserve_bytes(len).is_err() {
                // Full (that attempt reserved nothing): release everything
                // held; then it must fit.
                held.clear();
            }
            let mut rec = tx.try_reserve_bytes(len).unwrap();
            rec.fill(i as u8);
            rec.commit();
            let m = rx.try_recv().unwrap();
            prop_assert_eq!(m.len(), len);
            prop_assert!(m.iter().all(|&b| b == i as u8));
            if hold[i % hold.len()] {
                held.push_back(m);
                if held.len() > 3 {
                    held.remove(1);
                }
            }
        }
        held.clear();
        tx.try_reserve_bytes(2048).unwrap().commit();
    }
}
