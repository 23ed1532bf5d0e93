//! Every lock-free protocol of the ring, model-checked: publish/consume for
//! each pattern, wrap-around, abort, out-of-order release, the park/wake
//! handshake in both directions, and the close handshake.
//!
//! Payloads live in loom `UnsafeCell`s, so loom reports a data race if a
//! record could be read before it is published or overwritten before it is
//! released.

use loom::cell::UnsafeCell;
use loom::thread;

use crate::ring::{Claim, Handles, Layout, Register, Ring, Sole, Take};
use crate::sync::Arc;

struct Chan {
    ring: Ring,
    cells: Vec<UnsafeCell<u64>>,
}

impl Chan {
    fn new(cap: usize) -> Arc<Self> {
        Self::with(cap, false)
    }

    /// A ring with hot payload slots (one producer, one consumer that
    /// takes without CAS): a cell is reused only once every earlier record
    /// is released, or the cells report a race.
    fn hot(cap: usize) -> Arc<Self> {
        Self::with(cap, true)
    }

    fn with(cap: usize, hot: bool) -> Arc<Self> {
        Arc::new(Self {
            ring: Ring::with_layout(cap, if hot { Layout::Packed } else { Layout::Spread })
                .unwrap(),
            cells: (0..cap).map(|_| UnsafeCell::new(0)).collect(),
        })
    }

    /// Claims, writes `v`, commits (or aborts). Spins (yielding) while full.
    fn send(&self, multi: bool, v: u64, abort: bool) -> bool {
        loop {
            match self.ring.try_claim(multi) {
                Claim::Claimed(pos) => {
                    // SAFETY: the claim makes this cell ours until commit.
                    self.cells[self.ring.producer_slot(pos)].with_mut(|c| unsafe { *c = v });
                    return self.ring.commit(pos, abort, true);
                }
                Claim::Full(_) => thread::yield_now(),
                Claim::Corrupt => panic!("an honest ring read as corrupt"),
            }
        }
    }

    /// Takes the next non-aborted record, returning `(pos, value)`, without
    /// releasing it. `None` if the ring is empty.
    fn try_take(&self, multi: bool) -> Option<(u64, u64)> {
        loop {
            match self.ring.try_take(multi) {
                Take::Taken { pos, aborted: true } => {
                    self.ring.release(pos, true);
                }
                Take::Taken { pos, aborted: false } => {
                    // SAFETY: taking the record makes this cell ours (shared
                    // read) until release.
                    let v = self.cells[self.ring.consumer_slot(pos)].with(|c| unsafe { *c });
                    return Some((pos, v));
                }
                Take::Empty(_) => return None,
                Take::Corrupt => panic!("an honest ring read as corrupt"),
            }
        }
    }

    fn recv(&self, multi: bool) -> u64 {
        loop {
            if let Some((pos, v)) = self.try_take(multi) {
                self.ring.release(pos, true);
                return v;
            }
            thread::yield_now();
        }
    }
}

#[test]
fn spsc_wraps_in_order() {
    loom::model(|| {
        let ch = Chan::new(1);
        let p = ch.clone();
        let producer = thread::spawn(move || {
            p.send(false, 1, false);
            p.send(false, 2, false);
        });
        assert_eq!(ch.recv(false), 1);
        assert_eq!(ch.recv(false), 2);
        producer.join().unwrap();
    });
}

/// Drains every committed record after the concurrent phase of a model.
fn drain(ch: &Chan, multi: bool, into: &mut Vec<u64>) {
    while let Some((pos, v)) = ch.try_take(multi) {
        ch.ring.release(pos, true);
        into.push(v);
    }
}

/// Producers of the values `1..=n` (multi-producer claims).
fn spawn_producers(ch: &Arc<Chan>, n: u64) -> Vec<thread::JoinHandle<()>> {
    (1..=n)
        .map(|v| {
            let p = ch.clone();
            thread::spawn(move || {
                p.send(true, v, false);
            })
        })
        .collect()
}

/// A consumer that takes at most one record (multi-consumer) and releases it.
fn spawn_take_once(ch: &Arc<Chan>) -> thread::JoinHandle<Option<u64>> {
    let c = ch.clone();
    thread::spawn(move || {
        let taken = c.try_take(true);
        if let Some((pos, _)) = taken {
            c.ring.release(pos, true);
        }
        taken.map(|(_, v)| v)
    })
}

// The multi-thread models below make one bounded attempt per thread in the
// concurrent phase (loom cannot bound spin-waits across three threads) and
// drain after joining; loom still explores every interleaving of the racing
// claims, commits, takes and releases.

#[test]
fn mpsc_no_loss_no_duplicate() {
    loom::model(|| {
        let ch = Chan::new(2);
        let producers = spawn_producers(&ch, 2);
        let mut got = Vec::new();
        if let Some((pos, v)) = ch.try_take(false) {
            ch.ring.release(pos, true);
            got.push(v);
        }
        producers.into_iter().for_each(|h| h.join().unwrap());
        drain(&ch, false, &mut got);
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn spmc_out_of_order_release() {
    loom::model(|| {
        let ch = Chan::new(2);
        ch.send(false, 1, false);
        ch.send(false, 2, false);
        // Two consumers take concurrently and release in whatever order they
        // finish, while the producer tries to reuse the first record's space.
        let consumers: Vec<_> = (0..2).map(|_| spawn_take_once(&ch)).collect();
        let sent_early = match ch.ring.try_claim(false) {
            Claim::Claimed(pos) => {
                // SAFETY: claimed: ours until commit.
                ch.cells[ch.ring.index(pos)].with_mut(|c| unsafe { *c = 3 });
                ch.ring.commit(pos, false, true);
                true
            }
            Claim::Full(_) => false,
            Claim::Corrupt => panic!("an honest ring read as corrupt"),
        };
        let mut got: Vec<u64> = consumers.into_iter().filter_map(|h| h.join().unwrap()).collect();
        if !sent_early {
            ch.send(false, 3, false);
        }
        drain(&ch, true, &mut got);
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
    });
}

#[test]
fn mpmc_two_by_two() {
    loom::model(|| {
        let ch = Chan::new(2);
        let producers = spawn_producers(&ch, 2);
        let consumer = spawn_take_once(&ch);
        let mut got = Vec::new();
        if let Some((pos, v)) = ch.try_take(true) {
            ch.ring.release(pos, true);
            got.push(v);
        }
        got.extend(consumer.join().unwrap());
        producers.into_iter().for_each(|h| h.join().unwrap());
        drain(&ch, true, &mut got);
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn aborted_records_are_skipped_and_reclaimed() {
    loom::model(|| {
        let ch = Chan::new(1);
        let p = ch.clone();
        let producer = thread::spawn(move || {
            p.send(false, 1, true); // aborted
            p.send(false, 2, false); // needs the aborted record's space
        });
        assert_eq!(ch.recv(false), 2);
        producer.join().unwrap();
        assert!(ch.try_take(false).is_none());
    });
}

/// Multi-producer aborts: a claim is given back with `try_unclaim` while it
/// is the newest, or committed as aborted once another claim followed.
/// Either way the consumer sees only the other producer's record, once, and
/// both descriptors come back.
#[test]
fn multi_producer_aborts_unclaim_or_skip() {
    loom::model(|| {
        let ch = Chan::new(2);
        let a = ch.clone();
        let aborter = thread::spawn(move || {
            loop {
                match a.ring.try_claim(true) {
                    Claim::Claimed(pos) => {
                        if !a.ring.try_unclaim(pos, true) {
                            a.ring.commit(pos, true, true);
                        }
                        return;
                    }
                    Claim::Full(_) => thread::yield_now(),
                    Claim::Corrupt => panic!("an honest ring read as corrupt"),
                }
            }
        });
        let p = ch.clone();
        let producer = thread::spawn(move || {
            p.send(true, 7, false);
        });
        assert_eq!(ch.recv(false), 7);
        aborter.join().unwrap();
        producer.join().unwrap();
        // An aborted record committed behind the 7 is skipped and released.
        assert!(ch.try_take(false).is_none());
        for _ in 0..2 {
            assert!(matches!(ch.ring.try_claim(true), Claim::Claimed(_)), "space came back");
        }
    });
}

/// Runs claimed with one CAS each by several producers
/// (`claim_run_shared`, the batch sends of MPSC and MPMC): two producers
/// each claim a run of up to two positions in a ring of three, write it
/// and commit each record, while the consumer takes one record and
/// releases it. No position is claimed twice (the cells would report a
/// race), each producer's values arrive in order, and what each claimed
/// arrives, once.
#[test]
fn runs_claimed_by_cas_among_producers() {
    loom::model(|| {
        let ch = Chan::new(3);
        let producers: Vec<_> = [10, 20]
            .into_iter()
            .map(|base| {
                let p = ch.clone();
                thread::spawn(move || {
                    let (start, got) = p.ring.claim_run_shared(2);
                    for i in 0..got {
                        let cell = &p.cells[p.ring.producer_slot(start + i)];
                        // SAFETY: the run's claim makes these cells ours
                        // until commit.
                        cell.with_mut(|c| unsafe { *c = base + i });
                    }
                    for i in 0..got {
                        p.ring.commit(start + i, false, true);
                    }
                    (base..base + got).collect::<Vec<u64>>()
                })
            })
            .collect();
        let mut got = Vec::new();
        if let Some((pos, v)) = ch.try_take(false) {
            ch.ring.release(pos, true);
            got.push(v);
        }
        let mut sent: Vec<u64> = producers.into_iter().flat_map(|p| p.join().unwrap()).collect();
        assert!(sent.len() >= 3, "a ring of three had room for {sent:?}");
        drain(&ch, false, &mut got);
        for base in [10, 20] {
            let mine: Vec<u64> = got.iter().copied().filter(|v| v / 10 * 10 == base).collect();
            assert!(mine.is_sorted(), "producer {base} out of order: {got:?}");
        }
        got.sort_unstable();
        sent.sort_unstable();
        assert_eq!(got, sent);
    });
}

/// A run of several producers' given back (a batch's `fill` panicked):
/// newest first, each position is unclaimed while it is the newest claim,
/// or committed as aborted once the other producer claimed after it. The
/// consumer sees only the other producer's records, and every position
/// comes back.
#[test]
fn a_shared_run_given_back_beside_another_producer() {
    loom::model(|| {
        let ch = Chan::new(3);
        let a = ch.clone();
        let aborter = thread::spawn(move || {
            let (start, got) = a.ring.claim_run_shared(2);
            for pos in (start..start + got).rev() {
                if !a.ring.try_unclaim(pos, true) {
                    a.ring.commit(pos, true, true);
                }
            }
        });
        let p = ch.clone();
        let producer = thread::spawn(move || {
            let (start, got) = p.ring.claim_run_shared(2);
            for pos in start..start + got {
                // SAFETY: the run's claim makes these cells ours until commit.
                p.cells[p.ring.producer_slot(pos)].with_mut(|c| unsafe { *c = 7 + pos - start });
                p.ring.commit(pos, false, true);
            }
            got
        });
        aborter.join().unwrap();
        let sent = producer.join().unwrap();
        assert!(sent >= 1, "the ring had room");
        let mut got = Vec::new();
        drain(&ch, false, &mut got);
        assert_eq!(got, (7..7 + sent).collect::<Vec<_>>());
        assert_eq!(ch.ring.claim_run_shared(3).1, 3, "space came back");
    });
}

/// Multi-producer records released out of order (newest first) while the
/// producers still run: every descriptor comes back.
#[test]
fn mpsc_out_of_order_release() {
    loom::model(|| {
        let ch = Chan::new(2);
        let producers = spawn_producers(&ch, 2);
        let mut held = Vec::new();
        while held.len() < 2 {
            match ch.try_take(false) {
                Some(taken) => held.push(taken),
                None => thread::yield_now(),
            }
        }
        let mut values: Vec<u64> = held.iter().map(|(_, v)| *v).collect();
        values.sort_unstable();
        assert_eq!(values, [1, 2]);
        for (pos, _) in held.into_iter().rev() {
            ch.ring.release(pos, true);
        }
        for p in producers {
            p.join().unwrap();
        }
        for _ in 0..2 {
            assert!(matches!(ch.ring.try_claim(true), Claim::Claimed(_)), "space came back");
        }
    });
}

/// A consumer's try-then-park: `(took a record, parked)`.
fn take_or_park(ch: &Chan) -> (bool, bool) {
    match ch.ring.try_take(false) {
        Take::Taken { .. } => (true, false),
        Take::Empty(pos) => match ch.ring.register_consumer(pos) {
            Register::Parked => (false, true),
            // The state changed: the record is there now.
            Register::Changed => (matches!(ch.ring.try_take(false), Take::Taken { .. }), false),
            Register::Unfenced => panic!("loom rings use full fences"),
        },
        Take::Corrupt => panic!("an honest ring read as corrupt"),
    }
}

/// A producer's try-then-park: `(claimed a position, parked)`.
fn claim_or_park(ch: &Chan) -> (bool, bool) {
    match ch.ring.try_claim(false) {
        Claim::Claimed(_) => (true, false),
        Claim::Full(pos) => match ch.ring.register_producer(pos) {
            Register::Parked => (false, true),
            Register::Changed => (matches!(ch.ring.try_claim(false), Claim::Claimed(_)), false),
            Register::Unfenced => panic!("loom rings use full fences"),
        },
        Claim::Corrupt => panic!("an honest ring read as corrupt"),
    }
}

/// A consumer that parks is always notified by the commit it waits for.
#[test]
fn consumer_wakeup_is_never_lost() {
    loom::model(|| {
        let ch = Chan::new(1);
        let p = ch.clone();
        let producer = thread::spawn(move || p.send(false, 7, false));
        let (got, parked) = take_or_park(&ch);
        let woke = producer.join().unwrap();
        assert!(got || (parked && woke), "lost wake-up: got={got} parked={parked} woke={woke}");
    });
}

/// A producer that parks on a full ring is always notified by the release.
#[test]
fn producer_wakeup_is_never_lost() {
    loom::model(|| {
        let ch = Chan::new(1);
        ch.send(false, 1, false);
        let Some((pos, _)) = ch.try_take(false) else { panic!("record missing") };
        let c = ch.clone();
        let releaser = thread::spawn(move || c.ring.release(pos, true));
        let (claimed, parked) = claim_or_park(&ch);
        let woke = releaser.join().unwrap();
        assert!(claimed || (parked && woke), "lost wake-up: claimed={claimed} parked={parked}");
    });
}

/// Runs of commits and releases with one wake-up check each (`send_batch`,
/// `Batch` drop): a producer parked on a full two-slot ring is woken by a
/// consumer that takes both records as a run and releases them with plain
/// stores and one check, and a consumer parked on the empty ring is woken
/// by a producer that commits two records the same way.
#[test]
fn runs_with_one_check_never_lose_a_wakeup() {
    loom::model(|| {
        let ch = Chan::new(2);
        ch.send(false, 1, false);
        ch.send(false, 2, false);
        let c = ch.clone();
        let releaser = thread::spawn(move || {
            let Take::Taken { pos, .. } = c.ring.try_take(false) else { panic!("record missing") };
            assert!(c.ring.try_take_next(pos + 1, false), "second record missing");
            c.ring.release(pos, false);
            c.ring.release(pos + 1, false);
            c.ring.must_notify_producers()
        });
        let (claimed, parked) = claim_or_park(&ch);
        let woke = releaser.join().unwrap();
        assert!(claimed || (parked && woke), "lost wake-up: claimed={claimed} parked={parked}");
    });
    loom::model(|| {
        let ch = Chan::new(2);
        let p = ch.clone();
        let committer = thread::spawn(move || {
            for _ in 0..2 {
                let Claim::Claimed(pos) = p.ring.try_claim(false) else { panic!("ring full") };
                p.ring.commit(pos, false, false);
            }
            p.ring.must_notify_consumers()
        });
        let (got, parked) = take_or_park(&ch);
        let woke = committer.join().unwrap();
        assert!(got || (parked && woke), "lost wake-up: got={got} parked={parked} woke={woke}");
    });
}

/// A consumer that sees the senders closed, after one more look, has seen
/// every record committed before the close.
#[test]
fn close_never_loses_a_committed_record() {
    loom::model(|| {
        let ch = Chan::new(2);
        let senders = Arc::new(Handles::new(1));
        let (p, s) = (ch.clone(), senders.clone());
        let producer = thread::spawn(move || {
            p.send(false, 5, false);
            s.detach();
        });
        let mut got = Vec::new();
        loop {
            if let Some((pos, v)) = ch.try_take(false) {
                ch.ring.release(pos, true);
                got.push(v);
                continue;
            }
            if senders.is_closed() {
                // The one more look that `Receiver` takes after a close.
                if let Some((pos, v)) = ch.try_take(false) {
                    ch.ring.release(pos, true);
                    got.push(v);
                    continue;
                }
                break;
            }
            thread::yield_now();
        }
        producer.join().unwrap();
        assert_eq!(got, [5]);
    });
}

/// The byte arena of variable-size rings: space is reused only after the
/// record that used it was released, in any lap, with records of different
/// sizes (one of which needs the whole arena, so the allocator must skip to
/// its start). The arena is modelled as 64-byte granules in `UnsafeCell`s, so
/// loom reports a race if the producer could write bytes a consumer still
/// reads.
#[test]
fn arena_reuses_space_only_after_release() {
    use crate::ring::{Alloc, Arena, PAYLOAD_ALIGN};

    const GRANULES: usize = 2;
    struct Bytes {
        ring: Ring,
        granules: Vec<UnsafeCell<u64>>,
    }
    let size = (GRANULES * PAYLOAD_ALIGN) as u64;
    let lens = [64u64, 128, 64];
    loom::model(move || {
        let ch = Arc::new(Bytes {
            ring: Ring::new(2).unwrap(),
            granules: (0..GRANULES).map(|_| UnsafeCell::new(0)).collect(),
        });
        let c = ch.clone();
        let consumer = thread::spawn(move || {
            let mut got = Vec::new();
            while got.len() < lens.len() {
                match c.ring.try_take(false) {
                    Take::Taken { pos, .. } => {
                        let (off, len) = c.ring.extent(pos);
                        let first = (off % size) as usize / PAYLOAD_ALIGN;
                        let n = len as usize / PAYLOAD_ALIGN;
                        // SAFETY: taken: these granules are ours to read.
                        let v: Vec<u64> = (first..first + n)
                            .map(|g| c.granules[g].with(|p| unsafe { *p }))
                            .collect();
                        c.ring.release(pos, true);
                        assert!(v.iter().all(|&x| x == pos + 1), "record {pos} torn: {v:?}");
                        got.push(len);
                    }
                    Take::Empty(_) => thread::yield_now(),
                    Take::Corrupt => panic!("an honest ring read as corrupt"),
                }
            }
            got
        });
        let mut arena = Arena::new(size);
        for len in lens {
            loop {
                match arena.alloc(&ch.ring, len) {
                    Alloc::Claimed { pos, off, .. } => {
                        let first = (off % size) as usize / PAYLOAD_ALIGN;
                        for g in first..first + len as usize / PAYLOAD_ALIGN {
                            // SAFETY: allocated: these granules are ours.
                            ch.granules[g].with_mut(|p| unsafe { *p = pos + 1 });
                        }
                        ch.ring.commit(pos, false, true);
                        break;
                    }
                    Alloc::NoDescriptor(_) | Alloc::NoSpace(_) => thread::yield_now(),
                    Alloc::Corrupt => panic!("an honest ring read as corrupt"),
                }
            }
        }
        assert_eq!(consumer.join().unwrap(), lens);
    });
}

/// Takes four values in runs of up to two (a record, then `take_run`),
/// reading each, and hands every run to `release` as `(first, n)`.
fn take_in_runs(ch: &Chan, release: impl Fn(u64, u64)) -> Vec<u64> {
    let mut got = Vec::new();
    while got.len() < 4 {
        let Some((first, v)) = ch.try_take(false) else {
            thread::yield_now();
            continue;
        };
        got.push(v);
        let more = ch.ring.take_run(first + 1, 1);
        for pos in first + 1..first + 1 + more {
            // SAFETY: taken by the run: ours (shared read) until release.
            got.push(ch.cells[ch.ring.consumer_slot(pos)].with(|c| unsafe { *c }));
        }
        release(first, 1 + more);
    }
    got
}

/// Runs claimed and taken with one cursor store each (`claim_run`,
/// `take_run`): a producer writes runs of two into a ring of two while the
/// consumer takes whatever run is committed and releases it. No record is
/// read before it is written or overwritten before it is released (the
/// cells would report a race), and the values arrive in order.
#[test]
fn runs_claimed_and_taken_with_one_cursor_store() {
    loom::model(|| {
        let ch = Chan::new(2);
        let p = ch.clone();
        let producer = thread::spawn(move || {
            let mut next = 1;
            while next <= 4 {
                let (start, got) = p.ring.claim_run((5 - next).min(2));
                for pos in start..start + got {
                    // SAFETY: the run's claim makes these cells ours until
                    // their commits.
                    p.cells[p.ring.producer_slot(pos)].with_mut(|c| unsafe { *c = next });
                    p.ring.commit(pos, false, true);
                    next += 1;
                }
                if got == 0 {
                    thread::yield_now();
                }
            }
        });
        let got = take_in_runs(&ch, |first, n| {
            for pos in first..first + n {
                ch.ring.release(pos, true);
            }
        });
        producer.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
    });
}

/// A producer that writes the values 1 to 4 in runs of up to `most`, each
/// claimed with one cursor store and committed with one word.
fn spawn_runs(ch: &Arc<Chan>, most: u64) -> thread::JoinHandle<()> {
    let p = ch.clone();
    thread::spawn(move || {
        let mut next = 1;
        while next <= 4 {
            let (start, got) = p.ring.claim_run((5 - next).min(most));
            for pos in start..start + got {
                // SAFETY: the run's claim makes these cells ours until the
                // run is committed.
                p.cells[p.ring.producer_slot(pos)].with_mut(|c| unsafe { *c = next });
                next += 1;
            }
            p.ring.commit_run(start, got);
            if got == 0 {
                thread::yield_now();
            }
        }
    })
}

/// Runs committed with one word (`commit_run`): the producer publishes runs
/// of up to three into a ring of three, the consumer takes them one by one
/// or as a run and releases them newest first. Positions inside a run are taken
/// without looking at their descriptors, so the cells report a race if the
/// run's first word did not make all of them visible, and the next lap
/// would overwrite a record still held if a release went missing.
#[test]
fn runs_committed_with_one_word() {
    loom::model(|| {
        let ch = Chan::hot(3);
        let producer = spawn_runs(&ch, 3);
        let mut got = Vec::new();
        let mut one_by_one = false;
        while got.len() < 4 {
            let Some((first, v)) = ch.try_take(false) else {
                thread::yield_now();
                continue;
            };
            got.push(v);
            // Alternate: the rest of a run by `take_run`, or by `try_take`.
            one_by_one = !one_by_one;
            let more = if one_by_one {
                let mut more = 0;
                while let Some((_, v)) = ch.try_take(false) {
                    got.push(v);
                    more += 1;
                }
                more
            } else {
                let more = ch.ring.take_run(first + 1, 2);
                for pos in first + 1..first + 1 + more {
                    // SAFETY: taken by the run: ours (shared read) until
                    // release.
                    got.push(ch.cells[ch.ring.consumer_slot(pos)].with(|c| unsafe { *c }));
                }
                more
            };
            for pos in (first..first + 1 + more).rev() {
                ch.ring.release(pos, true);
            }
        }
        producer.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
    });
}

/// A reaper of a dead sole producer, beside the live consumer: the
/// producer committed a run of three and died with the next position
/// claimed. Whatever the consumer takes and releases meanwhile (it
/// releases the run's first record and holds the second), the reaper voids
/// exactly the open claim, never the run's middle record (which reads free
/// for itself), and the consumer gets the run and then the voided record.
#[test]
fn a_reaper_beside_a_live_consumer_voids_only_open_claims() {
    loom::model(|| {
        let ch = Chan::new(4);
        assert_eq!(ch.ring.claim_run(3), (0, 3));
        for pos in 0..3 {
            // SAFETY: claimed, and no other thread runs yet.
            ch.cells[pos].with_mut(|c| unsafe { *c = 10 + pos as u64 });
        }
        ch.ring.commit_run(0, 3);
        assert_eq!(ch.ring.claim_run(1), (3, 1));
        let c = ch.clone();
        let consumer = thread::spawn(move || {
            // A walk that saw `head` at 0 may meet a released descriptor,
            // then the middle one, reading free for itself.
            let (first, a) = loop {
                match c.try_take(false) {
                    Some(taken) => break taken,
                    None => thread::yield_now(),
                }
            };
            let (_, b) = c.try_take(false).expect("the run's second record");
            c.ring.release(first, true);
            let values = [a, b, c.recv(false)];
            let end = loop {
                match c.ring.try_take(false) {
                    Take::Empty(_) => thread::yield_now(),
                    other => break other,
                }
            };
            (values, end)
        });
        // Yielding first lets loom run the consumer ahead of the reaper.
        thread::yield_now();
        let voided = ch.ring.reap(1, Sole { producer: true, consumer: false });
        let (values, end) = consumer.join().unwrap();
        ch.ring.release(1, true);
        assert_eq!(voided, 1);
        assert_eq!(values, [10, 11, 12]);
        assert_eq!(end, Take::Taken { pos: 3, aborted: true });
    });
}

/// Hot payload slots: a producer sends four records one by one into a ring
/// of three with hot slots, and the consumer takes what is committed and
/// releases it newest first, the oldest record last. A new epoch (slot 0
/// again) may start only once every earlier record is released: the cells
/// report a race if a slot were written while a record in it is still
/// held, and the values arrive in order only if both sides agree on every
/// record's slot.
#[test]
fn hot_slots_are_reused_only_once_released() {
    loom::model(|| {
        let ch = Chan::hot(3);
        let p = ch.clone();
        let producer = thread::spawn(move || {
            for v in 1..=4 {
                p.send(false, v, false);
            }
        });
        let mut got = Vec::new();
        while got.len() < 4 {
            let mut held = Vec::new();
            while let Some((pos, v)) = ch.try_take(false) {
                held.push((pos, v));
                got.push(v);
            }
            if held.is_empty() {
                thread::yield_now();
            }
            for (pos, v) in held.into_iter().rev() {
                // Read again just before the release: still ours.
                // SAFETY: taken and not released: ours (shared read).
                let now = ch.cells[ch.ring.consumer_slot(pos)].with(|c| unsafe { *c });
                assert_eq!(now, v, "a held record was overwritten");
                ch.ring.release(pos, true);
            }
        }
        producer.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
    });
}

/// Hot payload slots, the release that matters: the consumer holds records
/// 0 and 1 and releases 1 first, while the producer claims 2. Record 0 is
/// still held, so the claim must not start a new epoch in slot 0 (its
/// cell reports a race, or its value changes, if it did), whatever order
/// the releases and the claim's loads meet in.
#[test]
fn hot_slots_wait_for_the_oldest_release() {
    loom::model(|| {
        let ch = Chan::hot(3);
        ch.send(false, 1, false);
        ch.send(false, 2, false);
        let (first, a) = ch.try_take(false).unwrap();
        let (second, b) = ch.try_take(false).unwrap();
        let p = ch.clone();
        let producer = thread::spawn(move || p.send(false, 3, false));
        ch.ring.release(second, true);
        // SAFETY: taken and not released: ours (shared read).
        let again = ch.cells[ch.ring.consumer_slot(first)].with(|c| unsafe { *c });
        ch.ring.release(first, true);
        producer.join().unwrap();
        assert_eq!((a, b, again), (1, 2, 1));
        assert_eq!(ch.recv(false), 3);
    });
}

/// Runs released through the freed cursor (`Batch` drop in a channel whose
/// consumers take without CAS): the producer writes runs of up to two into
/// a ring of two, the consumer takes what is committed as a run and
/// releases it with one store of the cursor, whose Acquire by the next
/// claim is all that orders the consumer's reads before the producer's
/// writes of the same cells (the cells report a race otherwise).
#[test]
fn runs_released_through_the_freed_cursor() {
    loom::model(|| {
        let ch = Chan::new(2);
        let producer = spawn_runs(&ch, 2);
        let got = take_in_runs(&ch, |first, n| ch.ring.release_run(first, n, true));
        producer.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
    });
}

/// The freed cursor with releases out of order, from two threads, while a
/// producer waits for room: records 0, 1 and 2 fill a ring of three; one
/// thread releases record 1 as a run, another record 0. Record 0 goes
/// through the cursor; record 1 too if record 0 went first, and by its
/// word if it went first (record 0 still held). The parked producer is
/// woken, whichever went first; a
/// third release (record 2) walks the cursor over what the words say, so
/// the whole next lap is free through it; and no cell is written while
/// its record is held.
#[test]
fn freed_cursor_out_of_order_releases_wake_and_catch_up() {
    loom::model(|| {
        let ch = Chan::new(3);
        for v in 1..=3 {
            ch.send(false, v, false);
        }
        let held: Vec<_> = (0..3).map(|_| ch.try_take(false).unwrap()).collect();
        assert_eq!(held.iter().map(|h| h.1).collect::<Vec<_>>(), [1, 2, 3]);
        let release = |ch: &Arc<Chan>, pos: u64| {
            let c = ch.clone();
            thread::spawn(move || {
                // SAFETY: taken and not released: ours (shared read).
                let v = c.cells[c.ring.consumer_slot(pos)].with(|c| unsafe { *c });
                assert_eq!(v, pos + 1, "a held record was overwritten");
                c.ring.release_run(pos, 1, true);
                c.ring.must_notify_producers()
            })
        };
        let late = release(&ch, 1);
        let early = release(&ch, 0);
        let (claimed, parked) = claim_or_park(&ch);
        if claimed {
            // SAFETY: claimed: the cell is ours until its commit.
            ch.cells[ch.ring.producer_slot(3)].with_mut(|c| unsafe { *c = 4 });
        }
        let woke = late.join().unwrap() | early.join().unwrap();
        assert!(claimed || (parked && woke), "lost wake-up: claimed={claimed} parked={parked}");
        ch.ring.release_run(2, 1, true);
        // Whatever the claim above took, the rest of the lap is free, with
        // no word of it written: through the cursor.
        let from = if claimed { 4 } else { 3 };
        assert_eq!(ch.ring.claim_run(3), (from, 6 - from));
    });
}

/// The freed cursor beside several producers, which claim by CAS on
/// `tail` (MPSC): in a one-slot ring the consumer releases the record it
/// holds as a run, through the cursor, while two producers each try one
/// claim of the next position (one bounded attempt each, as the models
/// above). A claim must see the slot freed before it writes (the cell
/// reports a race otherwise), at most one of them gets it, and what was
/// sent arrives.
#[test]
fn freed_cursor_with_producers_that_claim_by_cas() {
    loom::model(|| {
        let ch = Chan::new(1);
        ch.send(true, 1, false);
        let (pos, v) = ch.try_take(false).unwrap();
        assert_eq!(v, 1);
        let producers: Vec<_> = [2, 3]
            .into_iter()
            .map(|v| {
                let p = ch.clone();
                thread::spawn(move || match p.ring.try_claim(true) {
                    Claim::Claimed(pos) => {
                        // SAFETY: the claim makes this cell ours until commit.
                        p.cells[p.ring.producer_slot(pos)].with_mut(|c| unsafe { *c = v });
                        p.ring.commit(pos, false, true);
                        Some(v)
                    }
                    Claim::Full(_) => None,
                    Claim::Corrupt => panic!("an honest ring read as corrupt"),
                })
            })
            .collect();
        // SAFETY: taken and not released: ours (shared read).
        let again = ch.cells[ch.ring.consumer_slot(pos)].with(|c| unsafe { *c });
        assert_eq!(again, 1, "a held record was overwritten");
        ch.ring.release_run(pos, 1, true);
        let sent: Vec<u64> = producers.into_iter().filter_map(|p| p.join().unwrap()).collect();
        assert!(sent.len() <= 1, "two claims of one slot: {sent:?}");
        let mut got = Vec::new();
        drain(&ch, false, &mut got);
        assert_eq!(got, sent);
    });
}

/// Two runs released through the freed cursor from two threads, in either
/// order, and a producer that claims both slots again at once: whatever
/// the producer claims was read out first (the cells report a race
/// otherwise). The second release's store carries the first one's reads
/// on to the producer because its load of the cursor is an Acquire; loom
/// cannot check that part (its atomics hand the clocks of a location's
/// earlier Release stores on with later ones), the C++/Rust model needs it.
#[test]
fn the_freed_cursor_carries_every_release_before_it() {
    loom::model(|| {
        let ch = Chan::new(2);
        ch.send(false, 1, false);
        ch.send(false, 2, false);
        let held = [ch.try_take(false).unwrap().0, ch.try_take(false).unwrap().0];
        let releasers: Vec<_> = held
            .into_iter()
            .map(|pos| {
                let c = ch.clone();
                thread::spawn(move || {
                    // SAFETY: taken and not released: ours (shared read).
                    let v = c.cells[c.ring.consumer_slot(pos)].with(|c| unsafe { *c });
                    assert_eq!(v, pos + 1, "a held record was overwritten");
                    c.ring.release_run(pos, 1, true);
                })
            })
            .collect();
        let (start, got) = ch.ring.claim_run(2);
        for pos in start..start + got {
            // SAFETY: the run's claim makes these cells ours until commit.
            ch.cells[ch.ring.producer_slot(pos)].with_mut(|c| unsafe { *c = 0 });
        }
        releasers.into_iter().for_each(|r| r.join().unwrap());
        // Both releases are in: the slots not claimed above are free now,
        // through the cursor or the words.
        assert_eq!(ch.ring.claim_run(2), (start + got, 2 - got));
    });
}
