//! Variable-size records: byte rings, trailing-slice messages, wrap-around,
//! reclamation, and the errors of impossible records.

mod common;

use psyne::{Backpressure, Pattern, ReserveError, Sender, TryRecvError};

#[cfg(feature = "macros")]
#[psyne::message]
#[derive(Debug)]
struct FloatVector {
    #[psyne(len)]
    len: u32,
    scale: f32,
    data: [f32],
}

for_each_pattern!(
    records_of_every_size_round_trip,
    space_is_reclaimed_out_of_order,
    backpressure_policies_hold_for_byte_rings,
);

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

/// Every backpressure policy on a ring sized in bytes, where "full" means
/// the arena has no room (four 64-byte records fill 256 bytes): fail fast,
/// drop the newest (a reservation reports `Full`), overwrite the oldest
/// (counted; the arena reclaims the evicted record's bytes), and wait.
fn backpressure_policies_hold_for_byte_rings<P: Pattern>() {
    let build = |policy| {
        psyne::channel::<[u8]>().bytes(256).backpressure(policy).pattern::<P>().build().unwrap()
    };
    let send = |tx: &mut Sender<[u8], P>, v: u8| -> Result<(), ReserveError> {
        let mut rec = tx.reserve_bytes_blocking(64)?;
        rec.fill(v);
        rec.commit();
        Ok(())
    };

    let (mut tx, mut rx) = build(Backpressure::FailFast);
    for v in 0..4 {
        send(&mut tx, v).unwrap();
    }
    assert_eq!(send(&mut tx, 4), Err(ReserveError::Full));
    assert_eq!(rx.try_recv().unwrap()[0], 0);
    send(&mut tx, 4).unwrap();

    // Reservations cannot be dropped silently: they report `Full`, and
    // nothing is counted as dropped.
    let (mut tx, mut rx) = build(Backpressure::DropNewest);
    for v in 0..4 {
        send(&mut tx, v).unwrap();
    }
    assert_eq!(send(&mut tx, 4), Err(ReserveError::Full));
    assert_eq!(tx.try_reserve_bytes(64).unwrap_err(), ReserveError::Full);
    let got: Vec<u8> = std::iter::from_fn(|| rx.try_recv().ok().map(|m| m[0])).collect();
    assert_eq!(got, [0, 1, 2, 3]);
    assert_eq!(tx.stats().dropped, 0);

    let (mut tx, mut rx) = build(Backpressure::OverwriteOldest);
    for v in 0..10 {
        send(&mut tx, v).unwrap();
    }
    let got: Vec<u8> = std::iter::from_fn(|| rx.try_recv().ok().map(|m| m[0])).collect();
    assert_eq!(got, [6, 7, 8, 9]);
    assert_eq!(rx.stats().dropped, 6);

    let (mut tx, mut rx) = build(Backpressure::Wait);
    let sender = std::thread::spawn(move || {
        for v in 0..50 {
            send(&mut tx, v).unwrap();
        }
    });
    let mut next = 0;
    while let Some(m) = rx.recv_blocking() {
        assert!(m.len() == 64 && m.iter().all(|&b| b == next), "record {next}");
        next += 1;
    }
    sender.join().unwrap();
    assert_eq!(next, 50);
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
