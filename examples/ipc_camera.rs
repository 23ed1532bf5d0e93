//! Two processes, one camera: frames written in place by a camera process
//! into shared memory and processed in place by this one, over `ipc://`.
//!
//! ```text
//! cargo run --release --example ipc_camera            # 300 frames of 640×480
//! cargo run --release --example ipc_camera -- 1000    # as many as you like
//! ```
//!
//! This process binds `ipc://camera-<pid>` and starts itself again as the
//! camera (`--camera <uri> <frames>`). The camera reserves each frame in the
//! ring, renders its pixels straight into it and commits; the processor
//! computes the frame's mean brightness where the frame lies. No frame is
//! copied on the way, and no socket is in the data path.

use std::process::Command;
use std::time::{Duration, Instant};

use psyne::message::le;

/// One grayscale frame: a fixed header and its pixels. The header uses
/// psyne's align-1 little-endian fields, so that a `[u8]` tail needs no
/// padding after it (a message's size must be a multiple of its alignment).
#[psyne::message(name = "demo.Frame", version = 1)]
#[derive(Debug)]
pub struct Frame {
    /// Frame number.
    pub seq: le::U64,
    /// Capture time, nanoseconds since the camera started.
    pub ts_ns: le::U64,
    /// Width in pixels.
    pub width: le::U32,
    /// Height in pixels.
    pub height: le::U32,
    /// `width * height` pixels, row by row.
    pub pixels: [u8],
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    if let Some(i) = args.iter().position(|a| a == "--camera") {
        let (uri, frames) = (&args[i + 1], args[i + 2].parse()?);
        return rt.block_on(camera(uri, frames));
    }
    let frames: u64 = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(300);
    rt.block_on(processor(frames))
}

/// The camera process: renders frames in place.
async fn camera(uri: &str, frames: u64) -> Result<(), Box<dyn std::error::Error>> {
    // Every pixel is written, so the ring need not zero reservations.
    let mut tx = psyne::channel::<Frame>().zero_on_reserve(false).connect(uri).await?;
    let start = Instant::now();
    for seq in 0..frames {
        let mut frame = tx.reserve_len((WIDTH * HEIGHT) as usize).await?;
        frame.seq = le::U64::new(seq);
        frame.ts_ns = le::U64::new(start.elapsed().as_nanos() as u64);
        frame.width = le::U32::new(WIDTH);
        frame.height = le::U32::new(HEIGHT);
        // A diagonal gradient that moves one pixel per frame.
        for (y, row) in frame.pixels.chunks_exact_mut(WIDTH as usize).enumerate() {
            for (x, px) in row.iter_mut().enumerate() {
                *px = (x + y + seq as usize) as u8;
            }
        }
        frame.commit();
    }
    Ok(())
}

/// This process: binds the channel, starts the camera, processes frames.
async fn processor(frames: u64) -> Result<(), Box<dyn std::error::Error>> {
    let uri = format!("ipc://camera-{}", std::process::id());
    // Four frames in flight, about 1.2 MiB of shared memory.
    let frame_bytes = psyne::message::byte_len::<Frame>((WIDTH * HEIGHT) as usize).unwrap_or(0);
    let mut rx = psyne::channel::<Frame>().bytes(4 * frame_bytes).bind(&uri).await?;
    let camera = Command::new(std::env::current_exe()?)
        .args(["--camera", &uri, &frames.to_string()])
        .spawn()?;
    println!("processor: bound {uri}; camera process {} started", camera.id());
    // Killed and reaped on every way out of this function.
    let mut camera = Reaped(camera);

    let mut received = 0u64;
    let mut first = None;
    while let Some(frame) =
        tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.ok().flatten()
    {
        let start = *first.get_or_insert_with(Instant::now);
        // In place: `frame` points into the shared ring.
        let sum: u64 = frame.pixels.iter().map(|&p| u64::from(p)).sum();
        let mean = sum as f64 / frame.pixels.len() as f64;
        let seq = frame.seq.get();
        assert_eq!(seq, received, "frames arrive in order");
        if seq % 100 == 0 {
            println!(
                "frame {seq:>5}: {}×{}, mean brightness {mean:6.2}, at {:?}",
                frame.width.get(),
                frame.height.get(),
                start.elapsed()
            );
        }
        received += 1;
    }
    let status = camera.0.wait()?;
    let elapsed = first.map_or(Duration::ZERO, |s| s.elapsed());
    let mb = received as f64 * frame_bytes as f64 / 1e6;
    println!(
        "processor: {received} frames ({mb:.1} MB) in {elapsed:.2?}: {:.0} frames/s, {:.0} MB/s; \
         camera exited with {status}",
        received as f64 / elapsed.as_secs_f64(),
        mb / elapsed.as_secs_f64()
    );
    if received != frames || !status.success() {
        return Err(format!("expected {frames} frames from a successful camera").into());
    }
    Ok(())
}

/// A child process killed and reaped when dropped.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
