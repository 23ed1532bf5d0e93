//! Garbage injection: another process writes over the shared ring. The
//! survivor gets errors, never an out-of-bounds access, a panic or a hang.

#![allow(clippy::disallowed_types)] // raw scribbles, not the ring's atomics

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use futures::executor::block_on;

use super::*;
use crate::ring::Ring;
use crate::{Mpmc, ReserveError, Spsc, TryRecvError, WaitStrategy};

fn unique(tag: &str) -> Uri {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("ipc://garbage-{tag}-{}-{n}", std::process::id()).parse().unwrap()
}

/// A second mapping of the channel at `uri`, as a scribbling peer has it.
fn scribbler(uri: &Uri) -> Segment {
    receive(uri, &IpcAccess::SameUser).unwrap().0
}

/// Writes `v` at byte `off` of the segment.
fn poke(seg: &Segment, off: u64, v: u64) {
    assert!(off.is_multiple_of(8) && off + 8 <= seg.header.total);
    let p = seg.at(off).as_ptr().cast::<u64>();
    // SAFETY: 8-byte aligned, inside the mapping, which lives as long as
    // `seg`; accessed atomically here (the ring's words are atomics too).
    unsafe { AtomicU64::from_ptr(p) }.store(v, Ordering::SeqCst);
}

/// Byte offset of word `word` of descriptor `i` (`seq`, `off`, `len`,
/// `elems`, `owner`), one descriptor per line.
fn desc_word(seg: &Segment, i: u64, word: u64) -> u64 {
    seg.header.descs_off + i * 64 + word * 8
}

#[test]
fn impossible_extents_fail_the_receiver_not_the_process() {
    // (word, value): a length past the arena, an offset whose record would
    // cross its end, an element count that disagrees with the length.
    // A misaligned offset, too: a record must start 64-byte aligned.
    for (word, value) in [(2, 1 << 40), (1, 4096 - 8), (3, 3), (1, 9)] {
        let uri = unique("extent");
        let mut rx =
            block_on(crate::channel::<[u32]>().bytes(4096).bind(&uri.to_string())).unwrap();
        let mut tx = block_on(crate::channel::<[u32]>().connect(&uri.to_string())).unwrap();
        let seg = scribbler(&uri);
        let mut slot = tx.try_reserve_len(4).unwrap();
        slot.copy_from_slice(&[1, 2, 3, 4]);
        slot.commit();
        poke(&seg, desc_word(&seg, 0, word), value);
        assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Corrupted, "word {word}");
        // For good: the channel is unusable from then on, on both sides.
        assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Corrupted);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)).unwrap_err(),
            crate::RecvTimeoutError::Corrupted
        );
        assert!(block_on(rx.recv()).is_none());
        assert!(matches!(tx.try_reserve_len(1), Err(ReserveError::Corrupted)), "word {word}");
        assert!(TryRecvError::Corrupted.to_string().contains("corrupted"));
    }
}

#[test]
fn a_batch_send_stopped_by_corruption_says_how_many_went() {
    let uri = unique("batch");
    let mut rx = block_on(crate::channel::<u64>().capacity(4).bind(&uri.to_string())).unwrap();
    let mut tx = block_on(crate::channel::<u64>().connect(&uri.to_string())).unwrap();
    let seg = scribbler(&uri);
    // A lap sent and received one by one: its releases write words, so the
    // next lap's claims read them (a lap released through the freed
    // cursor, as the first one counts, is claimed without them).
    for v in 0..4 {
        tx.try_send(v).unwrap();
        assert_eq!(*rx.try_recv().unwrap(), v);
    }
    // Descriptor 2 claims to be free for a lap that never came.
    poke(&seg, desc_word(&seg, 2, 0), (2 * (2 + 4 * 10)) << 3);
    let err = tx.send_batch_blocking(&[1, 2, 3, 4]).unwrap_err();
    assert_eq!((err.sent(), err.error()), (2, ReserveError::Corrupted));
    // The two that went are received; then the receiver meets the damage.
    assert_eq!((*rx.try_recv().unwrap(), *rx.try_recv().unwrap()), (1, 2));
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Corrupted);
}

#[test]
fn scribbled_counters_wrap_instead_of_panicking() {
    let counters = (4096 + std::mem::offset_of!(segment::Control, stats)) as u64;
    // A ring sized in bytes counts its messages: the sent count (the first
    // word of the counters) at its maximum.
    let uri = unique("counters");
    let mut rx = block_on(crate::channel::<[u32]>().bytes(4096).bind(&uri.to_string())).unwrap();
    let mut tx = block_on(crate::channel::<[u32]>().connect(&uri.to_string())).unwrap();
    let seg = scribbler(&uri);
    poke(&seg, counters, u64::MAX);
    tx.try_reserve_len(1).unwrap().commit();
    assert_eq!(rx.stats().sent, 0, "wrapped, as a fetch_add would");
    assert_eq!(rx.try_recv().unwrap().len(), 1);
    // A fixed-size ring's sent count is its cursor less the voided
    // positions (the third word): at their maximum.
    let uri = unique("voids");
    let mut rx = block_on(crate::channel::<u64>().capacity(4).bind(&uri.to_string())).unwrap();
    let mut tx = block_on(crate::channel::<u64>().connect(&uri.to_string())).unwrap();
    let seg = scribbler(&uri);
    poke(&seg, counters + 16, u64::MAX);
    tx.try_send(1).unwrap();
    assert_eq!(rx.stats().sent, 2, "1 - u64::MAX, wrapped");
    assert_eq!(*rx.try_recv().unwrap(), 1);
}

#[test]
fn a_misaligned_shared_arena_cursor_fails_the_sender() {
    let uri = unique("arena");
    let s = uri.to_string();
    let _rx = block_on(crate::channel::<[u32]>().bytes(4096).pattern::<Mpmc>().bind(&s)).unwrap();
    let mut tx = block_on(crate::channel::<[u32]>().pattern::<Mpmc>().connect(&s)).unwrap();
    let seg = scribbler(&uri);
    tx.try_reserve_len(4).unwrap().commit();
    // The arena's `write` cursor (after its lock word), one record held.
    let arena = (4096 + std::mem::offset_of!(segment::Control, arena)) as u64;
    poke(&seg, arena + 8, 67);
    assert!(matches!(tx.try_reserve_len(4), Err(ReserveError::Corrupted)));
}

#[test]
fn a_foreign_or_damaged_header_is_refused_at_connect() {
    let uri = unique("header");
    let _rx = block_on(crate::channel::<u64>().bind(&uri.to_string())).unwrap();
    let seg = scribbler(&uri);
    poke(&seg, 8, 0xdead); // layout version and pattern
    let err = block_on(crate::channel::<u64>().connect(&uri.to_string())).unwrap_err();
    assert!(matches!(err, ConnectError::Incompatible { .. }), "{err}");
    assert!(err.to_string().contains("layout version"), "{err}");
    poke(&seg, 8, u64::from(segment::LAYOUT_VERSION));
    poke(&seg, 8 * 5, 1 << 50); // `descs`
    let err = block_on(crate::channel::<u64>().connect(&uri.to_string())).unwrap_err();
    assert!(err.to_string().contains("corrupt"), "{err}");
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Random words written over the control block (handle counts, wake words,
/// counters), cursors, descriptors and the arena's words, then the
/// non-waiting operations and a receive with a deadline, many times: the
/// process survives and every call returns.
fn scribble_rounds<P: Pattern>(seed: u64) {
    let mut rng = Rng(seed);
    for round in 0..40 {
        let fixed = round % 3 == 0;
        let words = round % 3 == 1;
        let uri = unique("random");
        let s = uri.to_string();
        let seg;
        let mut ops: Box<dyn FnMut(&mut Rng) + Send>;
        if fixed {
            // Every other time busy-spinning: an spsc ring is then packed,
            // with hot slots and the producer's epoch in the cursors.
            let wait =
                if round % 2 == 0 { WaitStrategy::BusySpin } else { WaitStrategy::default() };
            let rx = block_on(
                crate::channel::<u64>().capacity(8).wait_strategy(wait).pattern::<P>().bind(&s),
            );
            let mut tx =
                block_on(crate::channel::<u64>().wait_strategy(wait).pattern::<P>().connect(&s))
                    .unwrap();
            let mut rx = rx.unwrap();
            seg = scribbler(&uri);
            ops = Box::new(move |rng: &mut Rng| match rng.next() % 6 {
                0 => drop(tx.try_send(rng.next())),
                1 => drop(rx.try_recv()),
                // A waiting form too: it must end by its deadline.
                2 => drop(rx.recv_timeout(Duration::from_millis(1))),
                3 => drop(tx.try_send_batch(&[1, 2, 3])),
                4 => {
                    if let Ok(batch) = rx.try_recv_batch(4) {
                        std::hint::black_box(batch.iter().fold(0u64, |a, v| a.wrapping_add(*v)));
                    }
                }
                _ => drop(tx.try_reserve().map(|s| s.commit())),
            });
        } else if words {
            // Elements wider than a byte: a misaligned record would panic
            // on deref if it got through.
            let rx = block_on(crate::channel::<[u32]>().bytes(2048).pattern::<P>().bind(&s));
            let mut tx = block_on(crate::channel::<[u32]>().pattern::<P>().connect(&s)).unwrap();
            let mut rx = rx.unwrap();
            seg = scribbler(&uri);
            ops = Box::new(move |rng: &mut Rng| match rng.next() % 2 {
                0 => drop(tx.try_reserve_len((rng.next() % 100) as usize).map(|s| s.commit())),
                _ => {
                    if let Ok(m) = rx.try_recv() {
                        std::hint::black_box(m.iter().map(|w| u64::from(*w)).sum::<u64>());
                    }
                }
            });
        } else {
            let rx = block_on(crate::channel::<[u8]>().bytes(2048).pattern::<P>().bind(&s));
            let mut tx = block_on(crate::channel::<[u8]>().pattern::<P>().connect(&s)).unwrap();
            let mut rx = rx.unwrap();
            seg = scribbler(&uri);
            ops = Box::new(move |rng: &mut Rng| match rng.next() % 3 {
                0 => drop(tx.try_reserve_bytes((rng.next() % 300) as usize).map(|s| s.commit())),
                1 => {
                    if let Ok(m) = rx.try_recv() {
                        // Reading the record must stay inside the mapping.
                        std::hint::black_box(m.iter().map(|b| u64::from(*b)).sum::<u64>());
                    }
                }
                _ => drop(tx.try_reserve_bytes(3).map(|mut s| {
                    s.copy_from_slice(&[1, 2, 3]);
                    s.commit();
                })),
            });
        }
        // Some honest traffic first.
        for _ in 0..20 {
            ops(&mut rng);
        }
        let h = seg.header;
        let ring_start = h.cursors_off;
        let ring_end = h.descs_off + Ring::desc_bytes(h.descs as usize, h.layout()) as u64;
        let arena = (4096 + std::mem::offset_of!(segment::Control, arena)) as u64;
        // The control block up to the peers' slots: handle counts, wake
        // words, the corruption flag and the counters. (A scribbled peer
        // slot makes the monitors reap live handles at moments that depend
        // on scheduling, so a failing seed would not reproduce.)
        let control = 4096u64;
        let peers = (4096 + std::mem::offset_of!(segment::Control, peers)) as u64;
        for _ in 0..(1 + rng.next() % 8) {
            let off = match rng.next() % 8 {
                0 | 1 => arena + (rng.next() % 4) * 8,
                2 => control + (rng.next() % ((peers - control) / 8)) * 8,
                _ => ring_start + (rng.next() % ((ring_end - ring_start) / 8)) * 8,
            };
            let v = match rng.next() % 4 {
                0 => rng.next(),
                1 => rng.next() % 64,
                2 => u64::MAX - rng.next() % 4,
                _ => (rng.next() % 64) << 3 | 1,
            };
            poke(&seg, off, v);
        }
        let (done, finished) = mpsc::channel();
        let mut rng2 = Rng(rng.next() | 1);
        std::thread::spawn(move || {
            for _ in 0..200 {
                ops(&mut rng2);
            }
            drop(ops);
            let _ = done.send(());
        });
        finished
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{}: round {round} hung or panicked", P::NAME));
    }
}

#[test]
fn random_scribbles_never_panic_or_hang_spsc() {
    scribble_rounds::<Spsc>(0x9e37_79b9_7f4a_7c15);
}

#[test]
fn random_scribbles_never_panic_or_hang_mpmc() {
    scribble_rounds::<Mpmc>(0xd1b5_4a32_d192_ed03);
}

#[test]
fn random_scribbles_never_panic_or_hang_mpsc() {
    scribble_rounds::<crate::Mpsc>(0x2545_f491_4f6c_dd1d);
}

#[test]
fn random_scribbles_never_panic_or_hang_spmc() {
    scribble_rounds::<crate::Spmc>(0x94d0_49bb_1331_11eb);
}
