//! Variable-size records: byte rings, trailing-slice messages, wrap-around,
//! reclamation, and the errors of impossible records.

mod common;

use psyne::{Pattern, ReserveError, TryRecvError};

#[cfg(feature = "macros")]
#[psyne::message]
#[derive(Debug)]
struct FloatVector {
    #[psyne(len)]
    len: u32,
    scale: f32,
    data: [f32],
}

for_each_pattern!(records_of_every_size_round_trip, space_is_reclaimed_out_of_order);

/// Deterministic pseudo-random lengths.
fn lengths(n: usize, max: usize) -> Vec<usize> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % (max as u64 + 1)) as usize
        })
        .collect()
}

fn records_of_every_size_round_trip<P: Pattern>() {
    let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(4096).pattern::<P>().build().unwrap();
    // Many laps around a small ring, with lengths that force skips at the end.
    for (i, len) in lengths(2000, 1500).into_iter().enumerate() {
        let mut rec = tx.try_reserve_bytes(len).unwrap();
        assert!(rec.iter().all(|&b| b == 0), "records are zeroed");
        assert_eq!(rec.as_ptr() as usize % 64, 0, "payloads are 64-byte aligned");
        rec.fill(i as u8);
        let at = rec.as_ptr();
        rec.commit();
        // Owned and borrowed receives see the same record.
        let check = |msg: &[u8]| msg.len() == len && msg.iter().all(|&b| b == i as u8);
        if i % 2 == 0 {
            assert!(check(&rx.try_recv().unwrap()), "record {i}");
        } else {
            let msg = rx.try_recv_ref().unwrap();
            assert_eq!(msg.as_bytes().as_ptr(), at, "read in place");
            assert!(check(&msg), "record {i}");
        }
    }
    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
}

fn space_is_reclaimed_out_of_order<P: Pattern>() {
    let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(1024).pattern::<P>().build().unwrap();
    for i in 0..4 {
        let mut rec = tx.try_reserve_bytes(256).unwrap();
        rec.fill(i);
        rec.commit();
    }
    assert_eq!(tx.try_reserve_bytes(1).unwrap_err(), ReserveError::Full);
    let mut held: Vec<_> = (0..4).map(|_| rx.try_recv().unwrap()).collect();
    drop(held.remove(1)); // not the oldest: no space yet
    assert_eq!(tx.try_reserve_bytes(64).unwrap_err(), ReserveError::Full);
    drop(held.remove(0)); // the two oldest are free now
    tx.try_reserve_bytes(512).unwrap().commit();
    drop(held);
    tx.try_reserve_bytes(512).unwrap().commit();
    assert_eq!(rx.try_recv().unwrap().len(), 512);
    assert_eq!(rx.try_recv().unwrap().len(), 512);
}

#[cfg(feature = "macros")]
#[test]
fn trailing_slice_messages() {
    let (mut tx, mut rx) = psyne::channel::<FloatVector>().bytes(1 << 16).mpsc().unwrap();
    let mut v = tx.try_reserve_len(1000).unwrap();
    assert_eq!(v.len, 1000, "`reserve_len` writes the `len` field");
    v.scale = 0.5;
    for (i, x) in v.data.iter_mut().enumerate() {
        *x = i as f32;
    }
    v.commit();
    tx.try_reserve_len(0).unwrap().commit();
    let m = rx.try_recv().unwrap();
    assert_eq!(m.data.len(), 1000);
    assert_eq!(m.scale, 0.5);
    assert_eq!(m.data[999], 999.0);
    assert_eq!(m.data.as_ptr() as usize % 4, 0);
    let empty = rx.try_recv().unwrap();
    assert_eq!(empty.data.len(), 0);
}

#[test]
fn impossible_records_fail_at_once() {
    let (mut tx, _rx) = psyne::channel::<[u64]>().bytes(1024).spsc().unwrap();
    assert_eq!(
        tx.try_reserve_len(129).unwrap_err(),
        ReserveError::TooLarge { requested: 1032, capacity: 1024 }
    );
    assert_eq!(
        tx.try_reserve_len(usize::MAX).unwrap_err(),
        ReserveError::LengthOverflow { elems: usize::MAX }
    );
    // The async and blocking forms fail as fast instead of waiting forever.
    assert!(matches!(tx.reserve_len_blocking(1 << 20), Err(ReserveError::TooLarge { .. })));
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert!(matches!(rt.block_on(tx.reserve_len(1 << 20)), Err(ReserveError::TooLarge { .. })));
    // A record that fills the whole ring is fine.
    tx.try_reserve_len(128).unwrap().commit();
}

#[test]
fn aborted_variable_records_free_their_space_at_once() {
    let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(1024).mpsc().unwrap();
    for _ in 0..100 {
        drop(tx.try_reserve_bytes(1024).unwrap());
    }
    let mut rec = tx.try_reserve_bytes(1024).unwrap();
    rec.fill(1);
    rec.commit();
    assert_eq!(rx.try_recv().unwrap().len(), 1024);
    assert_eq!(rx.stats().aborted, 100);
}

#[test]
fn hot_space_is_reused_first() {
    // With the consumer keeping up, every record lands at the start of the
    // arena: the most recently freed bytes, still in cache.
    let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(8 << 20).spsc().unwrap();
    let mut addrs = std::collections::HashSet::new();
    for _ in 0..16 {
        let mut rec = tx.try_reserve_bytes(1 << 20).unwrap();
        addrs.insert(rec.as_mut_ptr() as usize);
        rec.commit();
        drop(rx.try_recv().unwrap());
    }
    assert_eq!(addrs.len(), 1, "one hot record reused: {addrs:?}");
}

#[test]
fn into_bytes_shares_the_record() {
    let (mut tx, mut rx) = psyne::channel::<[u8]>().bytes(256).spsc().unwrap();
    let mut rec = tx.try_reserve_bytes(256).unwrap();
    rec.copy_from_slice(&[7; 256]);
    rec.commit();
    let msg = rx.try_recv().unwrap();
    let addr = msg.as_ptr();
    let bytes = msg.into_bytes();
    assert_eq!(bytes.as_ptr(), addr);
    // The record stays held while the `Bytes` lives...
    assert_eq!(tx.try_reserve_bytes(64).unwrap_err(), ReserveError::Full);
    let clone = bytes.clone();
    drop(bytes);
    assert_eq!(tx.try_reserve_bytes(64).unwrap_err(), ReserveError::Full);
    assert_eq!(clone[255], 7);
    // ...and is freed with the last clone.
    drop(clone);
    tx.try_reserve_bytes(64).unwrap().commit();
}
