//! The per-message hot path on its own, for instruction counts: `n` times,
//! one 64-byte message sent and received on a busy-spinning SPSC channel,
//! in one thread (so every message also drains the ring, as a round trip
//! does).
//!
//! Instructions per send + receive are the difference of two runs under
//! callgrind divided by the difference of their counts, which cancels
//! start-up:
//!
//! ```sh
//! cargo build --release --example hot_path
//! for n in 100000 200000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/hot_path $n msg 2>&1 | grep refs
//! done
//! ```
//!
//! The second argument picks the receive: `msg` (`recv_blocking`, an
//! owned `Msg`) or `ref` (`recv_ref_blocking`, a borrowed `MsgRef`); or
//! `batch`: runs of 64 messages sent with `send_batch_blocking` and taken
//! with `recv_batch_blocking`, on a channel with the default wait strategy
//! (whose descriptors are laid out as a parking `ipc://` channel's), where
//! the count includes writing the 64 values into an array first; or
//! `batch-with`: the same runs, each value made in its record
//! (`send_batch_with_blocking`).

use psyne::WaitStrategy;

type M = [u64; 8];

#[inline(never)]
fn run(n: u64, by_ref: bool, tx: &mut psyne::Sender<M>, rx: &mut psyne::Receiver<M>) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        tx.send_blocking([i; 8]).expect("the receiver is alive");
        let first = if by_ref {
            rx.recv_ref_blocking().expect("the sender is alive")[0]
        } else {
            rx.recv_blocking().expect("the sender is alive")[0]
        };
        sum = sum.wrapping_add(first);
    }
    sum
}

/// Runs of 64: `send_batch_blocking` (or, `in_place`,
/// `send_batch_with_blocking`), then `recv_batch_blocking(64)`.
#[inline(never)]
fn run_batched(
    n: u64,
    in_place: bool,
    tx: &mut psyne::Sender<M>,
    rx: &mut psyne::Receiver<M>,
) -> u64 {
    let mut values = [[0u64; 8]; 64];
    let (mut sum, mut sent) = (0u64, 0);
    while sent < n {
        let k = 64.min(n - sent) as usize;
        if in_place {
            tx.send_batch_with_blocking(k, |j| [sent + j as u64; 8])
                .expect("the receiver is alive");
        } else {
            for (j, v) in values[..k].iter_mut().enumerate() {
                *v = [sent + j as u64; 8];
            }
            tx.send_batch_blocking(&values[..k]).expect("the receiver is alive");
        }
        let batch = rx.recv_batch_blocking(64).expect("the sender is alive");
        sum = batch.iter().fold(sum, |s, m| s.wrapping_add(m[0]));
        sent += k as u64;
    }
    sum
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).map_or(Ok(100_000), |s| s.parse())?;
    let mode = args.get(2).map_or("msg", String::as_str);
    if !matches!(mode, "msg" | "ref" | "batch" | "batch-with") {
        return Err(format!("mode `msg`, `ref`, `batch` or `batch-with`, not `{mode}`").into());
    }
    let batched = mode.starts_with("batch");
    let wait = if batched { WaitStrategy::default() } else { WaitStrategy::BusySpin };
    let (mut tx, mut rx) = psyne::channel::<M>().capacity(1024).wait_strategy(wait).spsc()?;
    let sum = if batched {
        run_batched(n, mode == "batch-with", &mut tx, &mut rx)
    } else {
        run(n, mode == "ref", &mut tx, &mut rx)
    };
    assert_eq!(sum, (0..n).fold(0u64, u64::wrapping_add));
    println!("{n} messages sent and received");
    Ok(())
}
