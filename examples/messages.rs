//! Messages in place: a custom `#[psyne::message]` with a trailing array and
//! a built-in `Tensor`, sent through channels and used where they lie.
//!
//! ```text
//! cargo run --example messages
//! ```

use psyne::Message;
use psyne::message::types::{DType, Tensor};

/// A camera frame's detections: a fixed header and one trailing array.
#[psyne::message(name = "demo.Detections", version = 1)]
#[derive(Debug)]
pub struct Detections {
    /// Frame number.
    pub frame: u64,
    /// Capture time.
    pub ts_ns: u64,
    /// Number of boxes; psyne writes it on `reserve_len` and checks it on
    /// checked views.
    #[psyne(len)]
    pub count: u32,
    /// Reserved, zero.
    pub _reserved: u32,
    /// One box per detection.
    pub boxes: [BoundingBox],
}

/// A detection box; a sized message nests in others.
#[psyne::message(name = "demo.BoundingBox", version = 1)]
#[derive(Debug, Clone, Copy)]
pub struct BoundingBox {
    /// Left, top, right, bottom in pixels.
    pub ltrb: [f32; 4],
    /// Class id.
    pub class: u32,
    /// Confidence in [0, 1].
    pub score: f32,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "{} v{}: fingerprint {:#018x}, header {} bytes, {} fields",
        Detections::NAME,
        Detections::VERSION,
        Detections::FINGERPRINT,
        Detections::HEADER_SIZE,
        Detections::SCHEMA.fields().len()
    );

    // A custom message, written in place.
    let (mut tx, mut rx) = psyne::channel::<Detections>().bytes(1 << 20).spsc()?;
    let producer = tokio::spawn(async move {
        for frame in 0..3u64 {
            let n = frame as usize + 1;
            let mut d = tx.reserve_len(n).await?;
            d.frame = frame;
            d.ts_ns = 1_000_000 * frame;
            for (i, b) in d.boxes.iter_mut().enumerate() {
                *b = BoundingBox {
                    ltrb: [i as f32, 0.0, i as f32 + 10.0, 10.0],
                    class: 7,
                    score: 0.9,
                };
            }
            d.commit();
        }
        Ok::<_, psyne::ReserveError>(())
    });
    while let Some(d) = rx.recv().await {
        // `d` derefs to `&Detections` inside the ring: no copy.
        let area: f32 =
            d.boxes.iter().map(|b| (b.ltrb[2] - b.ltrb[0]) * (b.ltrb[3] - b.ltrb[1])).sum();
        println!(
            "frame {}: {} boxes (count field {}), total area {area}",
            d.frame,
            d.elems(),
            d.count
        );
    }
    producer.await??;

    // A tensor: shape and dtype in the header, data 64-byte aligned.
    let (mut tx, mut rx) = psyne::channel::<Tensor>().bytes(1 << 20).spsc()?;
    let shape = [2, 3, 4];
    let len = Tensor::data_len(DType::F32, &shape).expect("small shape");
    let mut t = tx.reserve_len(len).await?;
    t.set_layout(DType::F32, &shape)?;
    for (i, x) in t.as_mut_slice::<f32>()?.iter_mut().enumerate() {
        *x = i as f32;
    }
    t.commit();
    drop(tx);

    let t = rx.recv().await.expect("one tensor");
    let data = t.as_slice::<f32>()?;
    println!(
        "tensor {} {:?} strides {:?}: sum {}, data at {:#x} (64-byte aligned: {})",
        t.dtype()?,
        &*t.shape(),
        &*t.strides(),
        data.iter().sum::<f32>(),
        data.as_ptr() as usize,
        (data.as_ptr() as usize).is_multiple_of(64)
    );
    // What a receiver in another process does with the record's bytes.
    let bytes = t.into_bytes();
    let checked = Tensor::view(&bytes, len)?;
    println!("checked view of the record's {} bytes: rank {}", bytes.len(), checked.rank());
    Ok(())
}
