//! Property tests against a simple model: random interleavings of sends,
//! reservations, aborts, receives and out-of-order releases, checked against
//! a `VecDeque` and a set of held records. FIFO, no loss, no duplication,
//! every record freed exactly once, all space reclaimed, exact fullness.
//! For multi-producer patterns also two producers, one holding a
//! reservation while the other sends: receivers wait at the uncommitted
//! record, an abort is given back (the newest claim) or skipped.

mod common;

use std::collections::VecDeque;

use proptest::prelude::*;
use psyne::{
    Mpmc, Mpsc, Msg, MultiProducer, Pattern, Receiver, Sender, Spmc, Spsc, TryRecvError,
    WaitStrategy,
};

/// Drops the `i`-th (modulo) held message and checks, against the model's
/// set of live positions, that its record is released exactly once.
fn release_held<T>(
    held: &mut Vec<(u64, Msg<T>)>,
    live: &mut std::collections::BTreeSet<u64>,
    i: usize,
) where
    T: psyne::Message + ?Sized,
{
    if !held.is_empty() {
        let (pos, msg) = held.swap_remove(i % held.len());
        drop(msg);
        assert!(live.remove(&pos), "released twice");
    }
}

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
    let channel = psyne::channel::<u64>().capacity(cap).pattern::<P>().build().unwrap();
    run_on(cap, ops, channel);
}

/// [`run`] over a busy-spinning SPSC channel between two handles of this
/// process (`ipc://`): its ring packs its descriptors and has hot payload
/// slots (a drained ring writes slot 0 again; in-process rings never do),
/// so every held message is also checked after every step: a slot handed
/// out while a message in it is held would change its value.
#[cfg(all(feature = "ipc", target_os = "linux"))]
fn run_hot(cap: usize, ops: &[Op]) {
    run_on(cap, ops, common::busy_spin_ipc_pair::<Spsc>(cap));
}

fn run_on<P: Pattern>(cap: usize, ops: &[Op], channel: (Sender<u64, P>, Receiver<u64, P>)) {
    let (mut tx, mut rx) = channel;
    let mut model =
        Model { cap: cap as u64, tail: 0, queue: VecDeque::new(), live: Default::default() };
    let mut held: Vec<(u64, Msg<u64>)> = Vec::new();
    let mut values = std::collections::BTreeMap::new();
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
                    values.insert(model.tail, next_value);
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
            Op::Release(i) => release_held(&mut held, &mut model.live, *i),
        }
        let s = tx.stats();
        assert_eq!(s.sent - s.received, model.queue.len() as u64);
        for (pos, m) in &held {
            assert_eq!(Some(&**m), values.get(pos), "a held message changed");
        }
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

/// What the second producer and the receiver do while the first producer
/// holds a reservation.
#[derive(Debug, Clone)]
enum Inner {
    Send,
    Recv,
    Release(usize),
}

/// A step of the two-producer model: the second producer sends, the
/// receiver receives or releases, or the first producer reserves, lets
/// `inner` happen meanwhile, then commits or aborts.
#[derive(Debug, Clone)]
enum Step2 {
    Plain(Inner),
    Held { inner: Vec<Inner>, abort: bool },
}

fn inner() -> impl Strategy<Value = Inner> {
    prop_oneof![
        3 => Just(Inner::Send),
        3 => Just(Inner::Recv),
        2 => any::<usize>().prop_map(Inner::Release),
    ]
}

fn step2() -> impl Strategy<Value = Step2> {
    prop_oneof![
        3 => inner().prop_map(Step2::Plain),
        2 => (prop::collection::vec(inner(), 0..6), any::<bool>())
            .prop_map(|(inner, abort)| Step2::Held { inner, abort }),
    ]
}

/// A record position of the two-producer model.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rec {
    Claimed(u64),
    Committed(u64),
    Aborted,
}

/// The model of two producers over one fixed-size ring: positions are
/// handed out in claim order; receivers take them in position order, wait
/// at a claimed one, and skip (and free) aborted ones; an abort of the
/// newest claim gives the position back.
struct Model2 {
    cap: u64,
    head: u64,
    recs: std::collections::BTreeMap<u64, Rec>,
    /// Positions not yet released (queued, claimed, aborted or held).
    live: std::collections::BTreeSet<u64>,
    next: u64,
}

impl Model2 {
    fn tail(&self) -> u64 {
        self.recs.keys().next_back().map_or(self.head, |p| p + 1).max(self.head)
    }
    fn full(&self) -> bool {
        let tail = self.tail();
        tail >= self.cap && self.live.contains(&(tail - self.cap))
    }
    fn claim(&mut self) -> Option<(u64, u64)> {
        if self.full() {
            return None;
        }
        let pos = self.tail();
        self.next += 1;
        self.recs.insert(pos, Rec::Claimed(self.next));
        self.live.insert(pos);
        Some((pos, self.next))
    }
    /// What a receive gets: skips aborted records at the head.
    fn recv(&mut self) -> Option<(u64, u64)> {
        while let Some(&rec) = self.recs.get(&self.head) {
            match rec {
                Rec::Aborted => {
                    self.recs.remove(&self.head);
                    self.live.remove(&self.head);
                    self.head += 1;
                }
                Rec::Claimed(_) => return None,
                Rec::Committed(v) => {
                    self.recs.remove(&self.head);
                    self.head += 1;
                    return Some((self.head - 1, v));
                }
            }
        }
        None
    }
}

/// Two producers, one holding a reservation while the other sends and the
/// receiver works: per-position order, a receiver waiting at an
/// uncommitted record, aborts given back or skipped, nothing lost or
/// doubled, every record freed once, all space reclaimed.
fn run_two_producers<P: Pattern + MultiProducer>(cap: usize, steps: &[Step2]) {
    let (mut tx0, mut rx): (Sender<u64, P>, Receiver<u64, P>) =
        psyne::channel::<u64>().capacity(cap).pattern::<P>().build().unwrap();
    let mut tx1 = tx0.clone();
    let mut m = Model2 {
        cap: cap as u64,
        head: 0,
        recs: Default::default(),
        live: Default::default(),
        next: 0,
    };
    let mut held: Vec<(u64, Msg<u64>)> = Vec::new();
    let apply = |op: &Inner,
                 tx1: &mut Sender<u64, P>,
                 rx: &mut Receiver<u64, P>,
                 m: &mut Model2,
                 held: &mut Vec<(u64, Msg<u64>)>| match op {
        Inner::Send => {
            let want = m.claim();
            let got = tx1.try_send(want.map_or(0, |(_, v)| v));
            assert_eq!(got.is_ok(), want.is_some(), "fullness disagrees with the model");
            if let Some((pos, v)) = want {
                m.recs.insert(pos, Rec::Committed(v));
            }
        }
        Inner::Recv => match (rx.try_recv(), m.recv()) {
            (Ok(msg), Some((pos, v))) => {
                assert_eq!(*msg, v, "position order");
                held.push((pos, msg));
            }
            (Err(TryRecvError::Empty), None) => {}
            (got, want) => panic!("receive disagrees: {got:?} vs {want:?}"),
        },
        Inner::Release(i) => release_held(held, &mut m.live, *i),
    };
    for step in steps {
        match step {
            Step2::Plain(op) => apply(op, &mut tx1, &mut rx, &mut m, &mut held),
            Step2::Held { inner, abort } => {
                let want = m.claim();
                let slot = tx0.try_reserve();
                assert_eq!(slot.is_ok(), want.is_some(), "fullness disagrees with the model");
                let (Ok(mut slot), Some((pos, v))) = (slot, want) else { continue };
                *slot = v;
                for op in inner {
                    apply(op, &mut tx1, &mut rx, &mut m, &mut held);
                }
                if *abort {
                    drop(slot);
                    if m.tail() == pos + 1 {
                        // The newest claim: given back at once.
                        m.recs.remove(&pos);
                        m.live.remove(&pos);
                    } else {
                        m.recs.insert(pos, Rec::Aborted);
                    }
                } else {
                    slot.commit();
                    m.recs.insert(pos, Rec::Committed(v));
                }
            }
        }
    }
    // Drain and release everything: all space must be reclaimed.
    held.clear();
    while let Ok(msg) = rx.try_recv() {
        assert_eq!(Some(*msg), m.recv().map(|(_, v)| v));
    }
    assert!(m.recv().is_none(), "the model still had records");
    for i in 0..cap as u64 {
        tx1.try_send(i).unwrap_or_else(|_| panic!("space not reclaimed: {i} of {cap}"));
    }
    assert!(tx0.try_send(0).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 8 } else { 256 }, ..ProptestConfig::default() })]

    #[test]
    fn spsc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        run::<Spsc>(cap, &ops);
    }

    #[test]
    fn busy_spin_spsc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        let channel = psyne::channel::<u64>()
            .capacity(cap)
            .wait_strategy(WaitStrategy::BusySpin)
            .spsc()
            .unwrap();
        run_on(cap, &ops, channel);
    }

    #[cfg(all(feature = "ipc", target_os = "linux"))]
    #[test]
    fn hot_slot_spsc_matches_model(cap in 1usize..9, ops in prop::collection::vec(op(), 0..200)) {
        run_hot(cap, &ops);
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

    #[test]
    fn mpsc_two_producers_match_model(cap in 1usize..9, steps in prop::collection::vec(step2(), 0..100)) {
        run_two_producers::<Mpsc>(cap, &steps);
    }

    #[test]
    fn mpmc_two_producers_match_model(cap in 1usize..9, steps in prop::collection::vec(step2(), 0..100)) {
        run_two_producers::<Mpmc>(cap, &steps);
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
