//! In-process ping-pong: two tokio tasks bounce a message over two SPSC
//! channels, writing each reply in place.
//!
//! ```text
//! cargo run --release --example inproc_pingpong
//! ```

use std::time::Instant;

#[psyne::message]
#[derive(Debug)]
struct Ball {
    hits: u64,
    sent_at_ns: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    const ROUNDS: u64 = 100_000;
    let (mut ping_tx, mut ping_rx) = psyne::channel::<Ball>().capacity(64).spsc()?;
    let (mut pong_tx, mut pong_rx) = psyne::channel::<Ball>().capacity(64).spsc()?;
    let epoch = Instant::now();

    let ponger = tokio::spawn(async move {
        while let Some(ball) = ping_rx.recv().await {
            // Zero-copy reply: reserve, write in place, commit.
            let mut reply = pong_tx.reserve().await?;
            reply.hits = ball.hits + 1;
            reply.sent_at_ns = ball.sent_at_ns;
            reply.commit();
        }
        Ok::<_, psyne::ReserveError>(())
    });

    let start = Instant::now();
    for i in 0..ROUNDS {
        ping_tx.send(Ball { hits: i, sent_at_ns: epoch.elapsed().as_nanos() as u64 }).await?;
        let ball = pong_rx.recv().await.ok_or("ponger ended early")?;
        assert_eq!(ball.hits, i + 1);
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    ponger.await??;
    println!(
        "{ROUNDS} round trips in {elapsed:?}: {:.2} µs per round trip",
        elapsed.as_secs_f64() * 1e6 / ROUNDS as f64
    );
    println!("stats: {:?}", pong_rx.stats());
    Ok(())
}
