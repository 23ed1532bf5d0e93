//! Deterministic tests of ring internals that need a specific interleaving.

use super::{
    Alloc, Arena, CONSUMERS_WAIT, Claim, Layout, PRODUCERS_FENCED, PRODUCERS_WAIT, Register, Ring,
    Sole, Take, WAIT_GENERATION, round_up,
};
use crate::sync::{Barrier, Ordering};

/// A consumer releasing the oldest record between the arena's `reclaim` and
/// its claim must not let the claim overwrite that record's extent before it
/// is reclaimed (found in review: the arena then handed out bytes that live
/// records still used).
#[test]
fn release_between_reclaim_and_claim_keeps_live_bytes() {
    let ring = Ring::new(4).unwrap();
    let size = 1024;
    let mut arena = Arena::new(size);
    for len in [640, 64, 64, 64] {
        let Alloc::Claimed { pos, .. } = arena.alloc(&ring, len) else { panic!("setup") };
        ring.commit(pos, false, true);
    }
    for pos in 0..4 {
        assert_eq!(ring.try_take(false), Take::Taken { pos, aborted: false });
    }
    // Record 0 is released after `reclaim` looked at it.
    arena.reclaim(&ring, ring.tail());
    ring.release(0, true);
    let first = arena.claim_reclaimed(&ring, 64);
    assert!(matches!(first, Alloc::NoSpace(0)), "must not reuse record 0's descriptor: {first:?}");
    // The next allocation sees the release and may now proceed; every record
    // it places must avoid the bytes of records 1..=3, which are still held.
    ring.release(1, true);
    let mut placed = Vec::new();
    while let Alloc::Claimed { pos, off, .. } = arena.alloc(&ring, 64) {
        ring.commit(pos, false, true);
        placed.push((off % size, off % size + 64));
    }
    assert!(!placed.is_empty());
    let live: Vec<(u64, u64)> = (2..4)
        .map(|pos| {
            let (off, len) = ring.extent(pos);
            (off % size, off % size + round_up(len, 64))
        })
        .collect();
    for (s, e) in placed {
        for &(ls, le) in &live {
            assert!(e <= ls || s >= le, "new record [{s},{e}) overlaps live [{ls},{le})");
        }
    }
}

/// A side pays for a wake-up only when somebody asked for one: a commit
/// reports "notify" once after a consumer registered, a release once after a
/// producer registered (the bit is lowered then), never without a waiter,
/// and a release never for a parked consumer (nor a commit for nobody).
#[test]
fn notifications_only_for_the_side_that_waits() {
    let ring = Ring::new(2).unwrap();
    let claim = |ring: &Ring| match ring.try_claim(false) {
        Claim::Claimed(pos) => pos,
        other => panic!("claim: {other:?}"),
    };
    // Nobody waits: no notification.
    let p = claim(&ring);
    assert!(!ring.commit(p, false, true));
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });

    // A consumer parks on position 1. Releasing record 0 does not concern
    // it; the commit at 1 notifies, once.
    assert_eq!(ring.register_consumer(1), Register::Parked);
    assert!(!ring.release(0, true), "a release must not wake a parked consumer");
    let p = claim(&ring);
    assert!(ring.commit(p, false, true));
    let p = claim(&ring);
    assert!(!ring.commit(p, false, true), "the bit was lowered by the first notification");

    // A producer parks on the full ring: the release notifies, once.
    let Claim::Full(blocked) = ring.try_claim(false) else { panic!("the ring must be full") };
    assert_eq!(ring.register_producer(blocked), Register::Parked);
    assert_eq!(ring.try_take(false), Take::Taken { pos: 1, aborted: false });
    assert!(ring.release(1, true));
    assert_eq!(ring.try_take(false), Take::Taken { pos: 2, aborted: false });
    assert!(!ring.release(2, true));

    // Registering on a state that already changed answers `Changed` and
    // leaves the bit raised: one needless notification, then none.
    assert_eq!(ring.register_consumer(2), Register::Changed);
    let p = claim(&ring);
    assert!(ring.commit(p, false, true));
    let p = claim(&ring);
    // A channel that never parks does not even look at the bits.
    assert_eq!(ring.register_consumer(p + 1), Register::Parked);
    assert!(!ring.commit(p, false, false));
    // A batch committer asks once, after its last commit.
    assert!(ring.must_notify_consumers());
    assert!(!ring.must_notify_consumers());
}

/// A waiter whose barrier was refused is told so (`Unfenced`), never
/// `Parked`: a commit after it may notify nobody. The bit is raised all the
/// same (a needless notification at worst).
#[test]
fn a_refused_barrier_says_unfenced() {
    let ring = Ring::with_barrier(2, Barrier::Refused);
    assert_eq!(ring.register_consumer(0), Register::Unfenced);
    // The last look still comes first: a state that changed is `Changed`.
    let Claim::Full(full) = ({
        let mut claim = ring.try_claim(false);
        while let Claim::Claimed(pos) = claim {
            ring.commit(pos, false, false);
            claim = ring.try_claim(false);
        }
        claim
    }) else {
        panic!("the ring must fill")
    };
    assert_eq!(ring.register_consumer(0), Register::Changed);
    assert_eq!(ring.register_producer(full), Register::Unfenced);
    let ring = Ring::with_barrier(2, Barrier::Refused);
    assert_eq!(ring.register_consumer(0), Register::Unfenced);
    let Claim::Claimed(pos) = ring.try_claim(false) else { panic!("claim") };
    assert!(ring.commit(pos, false, true), "the raised bit still asks for a notification");
}

/// The only consumer asks for a record further on only while the producer
/// is well past it, by `tail` as read once every 256 positions (while the
/// last read found the producer well ahead, every quarter of a smaller
/// ring, rounded down to a power of two), and never in a small ring.
#[test]
fn a_consumer_prefetches_ahead_only_behind_a_producer_well_ahead() {
    let ring = Ring::new(1024).unwrap();
    assert_eq!(ring.claim_run(100), (0, 100));
    assert_eq!(ring.prefetch_ahead(0), Some(16), "tail read at 0: 100 claimed");
    assert_eq!(ring.prefetch_ahead(67), Some(83), "67 + 32 < 100");
    assert_eq!(ring.prefetch_ahead(68), None, "too close to the tail it saw");
    assert_eq!(ring.claim_run(500), (100, 500));
    assert_eq!(ring.prefetch_ahead(70), None, "tail is read again only at 256");
    assert_eq!(ring.prefetch_ahead(256), Some(272), "read again: 600 claimed");
    assert_eq!(ring.prefetch_ahead(300), Some(316));
    // A ring of 100: after a look at 0 that found the producer well
    // ahead, looks every 16 positions; after one that did not, at 256.
    let ring = Ring::new(100).unwrap();
    assert_eq!(ring.claim_run(90), (0, 90));
    assert_eq!(ring.prefetch_ahead(0), Some(16));
    assert_eq!((ring.prefetch_ahead(1), ring.prefetch_ahead(60)), (Some(17), None));
    assert_eq!(ring.prefetch_ahead(64), None, "a look at 64: 90 claimed, too close");
    let ring = Ring::new(100).unwrap();
    assert_eq!(ring.prefetch_ahead(0), None, "nothing claimed: not eager");
    assert_eq!(ring.claim_run(90), (0, 90));
    assert_eq!(ring.prefetch_ahead(16), None, "the next look is at 256");
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.claim_run(8), (0, 8));
    assert_eq!(ring.prefetch_ahead(0), None);
}

/// Several producers' runs: each claims the free positions from `tail` with
/// one CAS, stopping at the first that is not free; a run given back
/// newest first leaves `tail` where it was, and once another claim
/// followed, none of it can be given back.
#[test]
fn shared_runs_claim_what_is_free() {
    let ring = Ring::new(4).unwrap();
    assert_eq!(ring.claim_run_shared(3), (0, 3));
    assert!(ring.try_unclaim(2, true) && ring.try_unclaim(1, true), "newest first");
    assert_eq!(ring.tail(), 1);
    assert_eq!(ring.claim_run_shared(2), (1, 2), "the run given back, claimed again");
    assert_eq!(ring.try_claim(true), Claim::Claimed(3));
    assert!(!ring.try_unclaim(2, true), "another claim followed");
    assert_eq!(ring.claim_run_shared(2), (4, 0), "full");
    ring.commit(0, false, false);
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    ring.release(0, false);
    assert_eq!(ring.claim_run_shared(9), (4, 1), "the one position freed");
    assert_eq!(ring.tail(), 5);
}

/// A run claims the free positions from `tail` and takes the committed,
/// unaborted ones from `head`, each moving its cursor once; both stop at the
/// first position that does not qualify.
#[test]
fn runs_stop_where_the_ring_does() {
    let ring = Ring::new(4).unwrap();
    assert_eq!(ring.claim_run(3), (0, 3));
    assert_eq!(ring.tail(), 3);
    ring.commit(0, false, false);
    ring.commit(1, true, false);
    ring.commit(2, false, false);
    assert_eq!(ring.claim_run(9), (3, 1), "one position left, at most the capacity");
    assert_eq!(ring.claim_run(1), (4, 0), "full");
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    assert_eq!(ring.take_run(1, 3), 0, "stops at the aborted record");
    assert_eq!(ring.try_take(false), Take::Taken { pos: 1, aborted: true });
    assert_eq!(ring.take_run(2, 3), 1, "stops at the claimed, uncommitted position 3");
    assert_eq!(ring.head(), 3);
}

/// The claims of a sole producer are not recorded one by one: a reaper
/// finds them from the cursors, single claims and runs alike, and leaves
/// alone what the live consumer holds.
#[test]
fn a_dead_sole_producers_claims_are_found_from_the_cursors() {
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.try_claim(false), Claim::Claimed(0));
    assert_eq!(ring.claim_run(3), (1, 3));
    ring.commit(0, false, false);
    ring.commit(2, false, false);
    // The consumer holds 0 when the producer dies with 1 and 3 open.
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    assert_eq!(ring.reap(1, Sole { producer: true, consumer: false }), 2);
    assert!(!ring.is_released(0), "the live consumer's record stays its own");
    let takes: Vec<_> = (0..4).map(|_| ring.try_take(false)).collect();
    let aborted = |pos| Take::Taken { pos, aborted: true };
    let fine = |pos| Take::Taken { pos, aborted: false };
    assert_eq!(takes, [aborted(1), fine(2), aborted(3), Take::Empty(4)]);
}

/// The takes of a sole consumer are not recorded one by one either: a
/// reaper releases what it held, single takes and runs alike, and leaves
/// alone what the live producer claimed or committed since, in the lap
/// below the consumer's cursor too.
#[test]
fn a_dead_sole_consumers_takes_are_found_from_the_cursors() {
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.claim_run(8), (0, 8));
    (0..8).for_each(|pos| _ = ring.commit(pos, false, false));
    // It takes 0 alone and 1 to 5 as a run, and releases 0 and 1.
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    assert_eq!(ring.take_run(1, 5), 5);
    [0, 1].into_iter().for_each(|pos| _ = ring.release(pos, false));
    // The producer's next lap: 8 committed (the descriptor of 0), 9 open.
    assert_eq!(ring.claim_run(2), (8, 2));
    ring.commit(8, false, false);
    // The consumer dies holding 2 to 5.
    assert_eq!(ring.reap(2, Sole { producer: false, consumer: true }), 0);
    let released: Vec<_> = (2..8).filter(|&pos| ring.is_released(pos)).collect();
    assert_eq!(released, [2, 3, 4, 5], "6 and 7 were never taken");
    assert!(ring.is_ready(8), "the next lap's commit stays");
    assert!(ring.is_unpublished(9), "the open claim stays");
}

/// Nothing is found for a process that held no side alone, nor from
/// cursors that cannot be (a peer wrote them).
#[test]
fn reaping_finds_nothing_without_a_sole_side_or_with_impossible_cursors() {
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.claim_run(2), (0, 2));
    let both = Sole { producer: true, consumer: true };
    assert_eq!(ring.reap(1, Sole::default()), 0);
    // Relaxed: a test in one thread.
    ring.cursors.head.store(5, super::Ordering::Relaxed);
    assert_eq!(ring.reap(1, both), 0, "head ahead of tail");
    assert!(ring.is_unpublished(0) && ring.is_unpublished(1));
}

/// An overwrite-oldest producer that dies between evicting a record and
/// releasing it has recorded itself as the record's taker: the reaper
/// releases it, so the ring does not stay full at that descriptor.
#[test]
fn an_eviction_is_recorded_until_its_release() {
    let ring = Ring::new(2).unwrap();
    assert_eq!(ring.claim_run(2), (0, 2));
    (0..2).for_each(|pos| _ = ring.commit(pos, false, false));
    assert_eq!(ring.try_take_at(1, Some(3)), None, "only the record at head");
    assert_eq!(ring.try_take_at(0, Some(3)), Some(false));
    assert_eq!(ring.try_claim(true), Claim::Full(2), "evicted, not yet released");
    // Its process dies here; another process (owner 4) reaps nothing of it.
    assert_eq!(ring.reap(4, Sole::default()), 0);
    assert!(!ring.is_released(0));
    assert_eq!(ring.reap(3, Sole::default()), 0);
    assert!(ring.is_released(0));
    assert_eq!(ring.try_claim(true), Claim::Claimed(2));
}

/// A run is published with one commit: its first descriptor carries the
/// run (the ones between stay free for their positions), the only consumer
/// takes it one by one or as a run, releases go in any order, and the
/// statistics see nothing still being written.
#[test]
fn a_run_is_committed_with_one_word_and_taken_whole() {
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.claim_run(4), (0, 4));
    ring.commit_run(0, 4);
    assert!(ring.is_unpublished(1) && ring.is_unpublished(2), "not written");
    assert_eq!(ring.unpublished(4, 4), 0, "the run's last record stops the walk");
    assert_eq!(ring.try_claim(false), Claim::Claimed(4));
    ring.commit(4, false, false);
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    assert_eq!(ring.try_take(false), Take::Taken { pos: 1, aborted: false });
    assert_eq!(ring.take_run(2, 8), 3, "the rest of the run and the single record");
    assert_eq!(ring.try_take(false), Take::Empty(5));
    [3, 0, 2, 4, 1].into_iter().for_each(|pos| _ = ring.release(pos, false));
    assert!((0..5).all(|pos| ring.is_released(pos)));
    assert_eq!(ring.claim_run(8), (5, 8), "every descriptor free again");
}

/// A run's length comes from the ring's words: one that is too short,
/// longer than the ring or than what was claimed is corruption, and so is
/// a run where consumers take by CAS (no producer makes one there).
#[test]
fn impossible_runs_are_corruption() {
    for (len, claimed) in [(1, 4), (9, 8), (5, 4)] {
        let ring = Ring::new(8).unwrap();
        assert_eq!(ring.claim_run(claimed), (0, claimed));
        ring.commit_run(0, 4);
        ring.field(0, super::Field::Len).store(len, super::Ordering::Relaxed);
        assert_eq!(ring.try_take(false), Take::Corrupt, "length {len} of {claimed}");
        assert_eq!(ring.take_run(0, 4), 0, "length {len} of {claimed}");
    }
    // The run's end in the shared cursors is for reapers; the consumer
    // goes by its own copy, so a peer's scribble there hands out nothing.
    let ring = Ring::new(8).unwrap();
    ring.cursors.runs.end.store(5, super::Ordering::Relaxed);
    assert_eq!(ring.try_take(false), Take::Empty(0));
    assert_eq!(ring.take_run(0, 4), 0);
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.claim_run(2), (0, 2));
    ring.commit_run(0, 2);
    assert_eq!(ring.try_take(true), Take::Corrupt);
    assert!(!ring.try_take_next(0, true));
    assert_eq!(ring.try_take_at(0, None), None);
}

/// A dead sole producer's open claims are found past runs: the one the
/// consumer is in (from where it ends) and the ones not taken yet (from
/// their first word), whose positions read free but are committed.
#[test]
fn a_dead_sole_producers_claims_are_found_past_runs() {
    let ring = Ring::new(16).unwrap();
    assert_eq!(ring.claim_run(3), (0, 3));
    ring.commit_run(0, 3);
    assert_eq!(ring.claim_run(4), (3, 4));
    ring.commit_run(3, 4);
    assert_eq!(ring.claim_run(2), (7, 2));
    // The consumer is inside the first run when the producer dies with
    // 7 and 8 open.
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    assert_eq!(ring.reap(1, Sole { producer: true, consumer: false }), 2);
    let takes: Vec<_> = (0..9).map(|_| ring.try_take(false)).collect();
    let fine = |pos| Take::Taken { pos, aborted: false };
    let aborted = |pos| Take::Taken { pos, aborted: true };
    let expected = [1, 2, 3, 4, 5, 6].map(fine).into_iter().chain([aborted(7), aborted(8)]);
    assert_eq!(takes[..8], expected.collect::<Vec<_>>()[..]);
    assert_eq!(takes[8], Take::Empty(9));
}

/// A dead sole consumer's takes inside a run read free for themselves
/// until released: the reaper releases them with the rest, and leaves the
/// run's records it never took to whoever consumes next.
#[test]
fn a_dead_sole_consumers_takes_inside_a_run_are_released() {
    let ring = Ring::new(8).unwrap();
    assert_eq!(ring.claim_run(5), (0, 5));
    ring.commit_run(0, 5);
    assert_eq!(ring.take_run(0, 3), 3);
    ring.release(1, false);
    // It dies holding 0 and 2.
    assert_eq!(ring.reap(2, Sole { producer: false, consumer: true }), 0);
    let released: Vec<_> = (0..5).filter(|&pos| ring.is_released(pos)).collect();
    assert_eq!(released, [0, 1, 2]);
    assert_eq!(ring.try_take(false), Take::Taken { pos: 3, aborted: false });
    assert_eq!(ring.try_take(false), Take::Taken { pos: 4, aborted: false });
}

/// A run released through the freed cursor leaves its words as they were
/// and frees the whole next lap of its positions for claims; a run
/// released while an earlier record is held writes its words and leaves
/// the cursor, which the next run released walks up over what they say.
#[test]
fn runs_released_through_the_freed_cursor() {
    let ring = Ring::new(8).unwrap();
    let word = |pos: u64| ring.seq(pos).load(Ordering::Relaxed);
    assert_eq!(ring.claim_run(4), (0, 4));
    ring.commit_run(0, 4);
    assert_eq!(ring.take_run(0, 4), 4);
    let before: Vec<u64> = (0..4).map(word).collect();
    ring.release_run(0, 4, true);
    assert_eq!((0..4).map(word).collect::<Vec<_>>(), before, "no word written");
    assert!(!ring.is_released(0), "is_released reads words only");
    // 4..8 are free in their first lap, 8..12 through the cursor.
    assert_eq!(ring.claim_run(9), (4, 8));
    (4..12).for_each(|pos| _ = ring.commit(pos, false, false));
    assert_eq!(ring.take_run(4, 8), 8);
    // 4 is held as a message; the run 5..8 goes first: by its words.
    ring.release_run(5, 3, true);
    assert!((5..8).all(|pos| ring.is_released(pos)));
    assert_eq!(ring.claim_run(1), (12, 0), "12 waits for 4");
    assert_eq!(ring.try_claim(false), Claim::Full(12));
    ring.release(4, false);
    // The run 8..12 walks the cursor over 4..8 (their words) and frees
    // itself with the cursor too.
    ring.release_run(8, 4, true);
    assert!(!ring.is_released(8), "8..12 went through the cursor");
    assert_eq!(ring.claim_run(8), (12, 8), "the whole next lap is free");
    // Without `sole` (consumers that take by CAS) releases write words.
    let ring = Ring::new(4).unwrap();
    assert_eq!(ring.claim_run(2), (0, 2));
    ring.commit_run(0, 2);
    assert_eq!(ring.take_run(0, 2), 2);
    ring.release_run(0, 2, false);
    assert!(ring.is_released(0) && ring.is_released(1));
}

/// A cursor left more than a lap behind (a lap of records released one by
/// one) is walked up from a lap below the run that releases next: the
/// take of the run's first record proves everything before that lap
/// released.
#[test]
fn a_cursor_a_lap_behind_catches_up() {
    let ring = Ring::new(4).unwrap();
    for pos in 0..6 {
        assert_eq!(ring.try_claim(false), Claim::Claimed(pos));
        ring.commit(pos, false, false);
        assert_eq!(ring.try_take(false), Take::Taken { pos, aborted: false });
        ring.release(pos, false);
    }
    assert_eq!(ring.claim_run(2), (6, 2));
    ring.commit_run(6, 2);
    assert_eq!(ring.take_run(6, 2), 2);
    ring.release_run(6, 2, true);
    assert!(!ring.is_released(6), "through the cursor, from 0 to 8");
    assert_eq!(ring.claim_run(4), (8, 4), "the next lap is free");

    // The same with a record of that lap still held: the walk meets it,
    // and the run writes its words.
    let ring = Ring::new(4).unwrap();
    for pos in 0..6 {
        assert_eq!(ring.try_claim(false), Claim::Claimed(pos));
        ring.commit(pos, false, false);
        assert_eq!(ring.try_take(false), Take::Taken { pos, aborted: false });
        if pos != 5 {
            ring.release(pos, false);
        }
    }
    assert_eq!(ring.claim_run(3), (6, 3));
    ring.commit_run(6, 3);
    assert_eq!(ring.take_run(6, 3), 3);
    ring.release_run(6, 3, true);
    assert!((6..9).all(|pos| ring.is_released(pos)), "by their words");
    assert_eq!(ring.try_claim(false), Claim::Full(9), "9 waits for the held 5");
    ring.release(5, false);
    assert_eq!(ring.claim_run(4), (9, 4));
}

/// A producer waiting for a position the freed cursor frees is woken by
/// it: its last look reads the cursor, not only the stale word.
#[test]
fn a_producer_waiting_for_a_freed_position_sees_the_cursor() {
    let ring = Ring::new(2).unwrap();
    assert_eq!(ring.claim_run(2), (0, 2));
    ring.commit_run(0, 2);
    assert_eq!(ring.take_run(0, 2), 2);
    assert_eq!(ring.try_claim(false), Claim::Full(2));
    assert_eq!(ring.register_producer(2), Register::Parked);
    ring.release_run(0, 2, true);
    assert!(ring.must_notify_producers(), "the parked producer is told");
    assert_eq!(ring.register_producer(2), Register::Changed, "its last look sees the cursor");
    assert_eq!(ring.try_claim(false), Claim::Claimed(2));
}

/// A dead sole consumer whose earlier runs went through the freed cursor:
/// the reaper releases what it held (a run whose inner words are stale,
/// from the lap before) and leaves the positions below the cursor, whose
/// descriptors the live producer already reuses, as they are.
#[test]
fn a_dead_sole_consumers_takes_beside_the_freed_cursor_are_released() {
    let ring = Ring::new(8).unwrap();
    let word = |pos: u64| ring.seq(pos).load(Ordering::Relaxed);
    assert_eq!(ring.claim_run(4), (0, 4));
    ring.commit_run(0, 4);
    assert_eq!(ring.take_run(0, 4), 4);
    ring.release_run(0, 4, true);
    assert_eq!(ring.claim_run(4), (4, 4));
    ring.commit_run(4, 4);
    assert_eq!(ring.take_run(4, 4), 4);
    // The producer's next lap: 8 committed, 9 to 11 open (stale words).
    assert_eq!(ring.claim_run(4), (8, 4));
    ring.commit(8, false, false);
    let below: Vec<u64> = (1..4).map(word).collect();
    // The consumer dies holding 4 to 7.
    assert_eq!(ring.reap(2, Sole { producer: false, consumer: true }), 0);
    assert!((4..8).all(|pos| ring.is_released(pos)), "what it held came back");
    assert_eq!((1..4).map(word).collect::<Vec<_>>(), below, "below the cursor: untouched");
    assert!(ring.is_ready(8), "the next lap's commit stays");
    assert!((9..12).all(|pos| ring.is_unpublished(pos)), "the open claims stay");
}

/// A dead sole producer's claims of positions the freed cursor freed read
/// the words of the lap before (stale): the reaper finds them all the same.
#[test]
fn a_dead_sole_producers_claims_beside_the_freed_cursor_are_found() {
    let ring = Ring::new(4).unwrap();
    assert_eq!(ring.claim_run(4), (0, 4));
    ring.commit_run(0, 4);
    assert_eq!(ring.take_run(0, 4), 4);
    ring.release_run(0, 4, true);
    // 4 committed alone, 5 and 6 open when the producer dies.
    assert_eq!(ring.claim_run(3), (4, 3));
    ring.commit(4, false, false);
    assert_eq!(ring.reap(1, Sole { producer: true, consumer: false }), 2);
    let takes: Vec<_> = (0..4).map(|_| ring.try_take(false)).collect();
    let aborted = |pos| Take::Taken { pos, aborted: true };
    assert_eq!(
        takes,
        [Take::Taken { pos: 4, aborted: false }, aborted(5), aborted(6), Take::Empty(7)]
    );
}

/// Hot slots: a claim starts a new epoch (slot 0) only when every earlier
/// record is released, and the consumer follows the epoch it is told of,
/// one by one and in runs.
#[test]
fn hot_slots_restart_only_when_everything_is_released() {
    let ring = Ring::with_layout(4, Layout::Packed).unwrap();
    let send = |n: u64| {
        let (start, got) = ring.claim_run(n);
        assert_eq!(got, n);
        let slots: Vec<_> = (start..start + n).map(|p| ring.producer_slot(p)).collect();
        ring.commit_run(start, n);
        slots
    };
    let take = || match ring.try_take(false) {
        Take::Taken { pos, aborted: false } => (pos, ring.consumer_slot(pos)),
        other => panic!("nothing to take: {other:?}"),
    };
    assert_eq!(send(1), [0]);
    let (p0, s0) = take();
    assert_eq!(send(1), [1], "record 0 is held: no new epoch");
    let (p1, s1) = take();
    assert_eq!((s0, s1), (0, 1));
    ring.release(p1, true);
    // 1 is released but 0 is not: slot 0 is still in use.
    assert_eq!(send(1), [2]);
    let (p2, s2) = take();
    assert_eq!(s2, 2);
    ring.release(p0, true);
    ring.release(p2, true);
    // Everything released: a run starts a new epoch in slot 0.
    assert_eq!(send(3), [0, 1, 2]);
    let (p3, s3) = take();
    assert_eq!((p3, s3), (3, 0));
    assert_eq!(ring.take_run(4, 2), 2);
    assert_eq!((ring.consumer_slot(4), ring.consumer_slot(5)), (1, 2));
    for p in 3..6 {
        ring.release(p, true);
    }
    // Hot slots need the packed layout; without them positions map as
    // they are.
    let cold = Ring::new(4).unwrap();
    assert!(!cold.hot_slots());
    for p in 0..6 {
        let Claim::Claimed(pos) = cold.try_claim(false) else { panic!("full") };
        assert_eq!(cold.producer_slot(pos), pos as usize % 4);
        cold.commit(pos, false, true);
        assert_eq!(cold.try_take(false), Take::Taken { pos: p, aborted: false });
        assert_eq!(cold.consumer_slot(pos), pos as usize % 4);
        cold.release(pos, true);
    }
}

/// Hot slots and a dead producer: a run whose claim started an epoch, of
/// which only the last record was committed before the producer died. The
/// reaper voids the run's first position with the epoch's flag (from the
/// shared cursors), so the consumer still finds the committed record
/// where the producer wrote it.
#[test]
fn a_voided_claim_that_started_an_epoch_says_so() {
    let mut ring = Ring::with_layout(4, Layout::Packed).unwrap();
    let Claim::Claimed(0) = ring.try_claim(false) else { panic!("setup") };
    ring.commit(0, false, true);
    assert_eq!(ring.try_take(false), Take::Taken { pos: 0, aborted: false });
    ring.release(0, true);
    // Drained: the run starts a new epoch at 1, in slot 0.
    assert_eq!(ring.claim_run(2), (1, 2));
    let written = ring.producer_slot(2);
    assert_eq!((ring.producer_slot(1), written), (0, 1));
    // The producer dies between the last record's commit and the first's.
    ring.commit(2, false, true);
    // A reaper's view of the ring (another process's) has no hot slots of
    // its own: the packed layout and the shared cursors are what it reads.
    ring.hot = false;
    assert_eq!(ring.reap(1, Sole { producer: true, consumer: false }), 1);
    ring.hot = true;
    assert_eq!(ring.try_take(false), Take::Taken { pos: 1, aborted: true });
    ring.release(1, true);
    assert_eq!(ring.try_take(false), Take::Taken { pos: 2, aborted: false });
    assert_eq!(ring.consumer_slot(2), written, "the consumer follows the voided epoch");
}

/// A full ring whose records are all taken (held), and the position a
/// producer waits on.
fn full_and_held(ring: &Ring) -> u64 {
    loop {
        match ring.try_claim(true) {
            Claim::Claimed(pos) => {
                ring.commit(pos, false, true);
                assert_eq!(ring.try_take(false), Take::Taken { pos, aborted: false });
            }
            Claim::Full(pos) => return pos,
            Claim::Corrupt => panic!("corrupt"),
        }
    }
}

/// Producers wait for releases only, unless they evict (overwrite-oldest):
/// a commit then concerns them too.
#[test]
fn only_evicting_producers_wait_for_commits() {
    for evicts in [false, true] {
        let mut ring = Ring::new(2).unwrap();
        ring.set_evicts(evicts);
        let full = full_and_held(&ring);
        assert_ne!(ring.register_producer(full), Register::Changed);
        assert_eq!(ring.must_notify_consumers(), evicts, "evicts: {evicts}");
        assert!(ring.must_notify_producers());
    }
}

/// In one process, producers that park on a full ring together share one
/// barrier: the first runs it and marks the wait fenced, the next joins it
/// without one; a release lowers the bit and the mark and starts a new
/// generation, and a mark made for a wait that was lowered (and raised
/// again) while its barrier ran is not made.
#[test]
fn producers_share_a_fenced_wait_of_one_generation() {
    let ring = Ring::with_barrier(2, Barrier::Counted);
    let word = || ring.cursors.waiting.load(Ordering::Relaxed);
    let full = full_and_held(&ring);
    let heavies = Barrier::heavies();
    assert_eq!(ring.register_producer(full), Register::Parked);
    assert_eq!(Barrier::heavies(), heavies + 1, "the first producer runs the barrier");
    assert_eq!(word(), PRODUCERS_WAIT | PRODUCERS_FENCED, "and marks its wait");
    assert_eq!(ring.register_producer(full), Register::Parked, "the next one joins it");
    assert_eq!(Barrier::heavies(), heavies + 1, "without a barrier of its own");
    assert!(ring.release(full - 2, true), "the release wakes them");
    assert_eq!(word(), WAIT_GENERATION, "lowered, with the mark, in a new generation");
    assert!(!ring.release(full - 1, true), "once");

    // A producer raises the bit (generation 1) and its barrier runs; a
    // release lowers it meanwhile (generation 2) and another producer
    // raises it again: the first one's mark would vouch for a barrier that
    // ran before the second's raise, so it is not made.
    let full = full_and_held(&ring);
    let before = ring.cursors.waiting.fetch_or(PRODUCERS_WAIT, Ordering::AcqRel);
    assert!(ring.must_notify_producers());
    ring.cursors.waiting.fetch_or(PRODUCERS_WAIT, Ordering::AcqRel);
    ring.mark_fenced(before);
    assert_eq!(word(), (2 * WAIT_GENERATION) | PRODUCERS_WAIT, "no mark across generations");
    // So the next producer runs its own barrier (and marks).
    let heavies = Barrier::heavies();
    assert_eq!(ring.register_producer(full), Register::Parked);
    assert_eq!(Barrier::heavies(), heavies + 1);
    assert_eq!(word(), (2 * WAIT_GENERATION) | PRODUCERS_WAIT | PRODUCERS_FENCED);
    // A consumer's bit is lowered alone: the producers' wait and its mark
    // stay, and so does the generation.
    assert_eq!(ring.register_consumer(ring.tail()), Register::Parked);
    assert!(ring.must_notify_consumers());
    assert_eq!(word() & CONSUMERS_WAIT, 0);
    assert_eq!(word(), (2 * WAIT_GENERATION) | PRODUCERS_WAIT | PRODUCERS_FENCED);
}

/// Where waiters do not share barriers (between processes, whose waiting
/// word other processes write too), every producer runs its own, nothing
/// marks the word, and lowering the bit leaves the generation alone.
#[test]
fn unshared_barriers_are_neither_marked_nor_counted_in_generations() {
    let ring = Ring::with_barrier(2, Barrier::Full);
    let full = full_and_held(&ring);
    assert_eq!(ring.register_producer(full), Register::Parked);
    assert_eq!(ring.register_producer(full), Register::Parked);
    assert_eq!(ring.cursors.waiting.load(Ordering::Relaxed), PRODUCERS_WAIT);
    assert!(ring.release(full - 2, true));
    assert_eq!(ring.cursors.waiting.load(Ordering::Relaxed), 0);
}

/// A position's descriptor is its remainder by the capacity, whether the
/// capacity is a power of two (masked, 1 included) or not (divided), up to
/// the last positions before the counter wraps.
#[test]
fn descriptors_are_positions_modulo_the_capacity() {
    for cap in [1u64, 2, 3, 5, 8, 1000, 1024] {
        let ring = Ring::new(cap as usize).unwrap();
        for pos in (0..3 * cap).chain(u64::MAX - 3 * cap..=u64::MAX) {
            assert_eq!(ring.index(pos) as u64, pos % cap, "cap {cap}, pos {pos}");
        }
    }
}
