//! Deterministic tests of ring internals that need a specific interleaving.

use super::{Alloc, Arena, Ring, Take, round_up};

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
