//! # psyne
//!
//! Async-first, zero-copy messaging. A channel is a ring of records in one
//! contiguous region: a sender reserves a record and writes the message in
//! place, committing publishes it, the receiver reads it in place, and
//! dropping the received message frees its space. No message object exists
//! anywhere else, and the steady state allocates nothing.
//!
//! ## Quick start
//!
//! ```
//! #[psyne::message(name = "demo.Tick", version = 1)]
//! struct Tick {
//!     ts_ns: u64,
//!     price: f64,
//!     qty: u32,
//!     side: u32,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (mut tx, mut rx) = psyne::channel::<Tick>().capacity(1024).spsc()?;
//!
//! // Zero-copy: write straight into the ring, then publish.
//! let mut slot = tx.reserve().await?;
//! slot.price = 1.5;
//! slot.qty = 10;
//! slot.commit();
//!
//! // Or copy a value in.
//! tx.send(Tick { ts_ns: 2, price: 1.6, qty: 5, side: 1 }).await?;
//! drop(tx);
//!
//! // The receiver reads in place; the stream ends when every sender is gone.
//! while let Some(tick) = rx.recv().await {
//!     println!("{} @ {}", tick.qty, tick.price);
//! }
//!
//! // Variable-size records: a ring sized in bytes.
//! let (mut tx, mut rx) = psyne::channel::<[f32]>().bytes(1 << 20).mpsc()?;
//! let mut v = tx.reserve_len(4096).await?;
//! v.fill(0.5);
//! v.commit();
//! assert_eq!(rx.recv().await.unwrap().len(), 4096);
//! # Ok(())
//! # }
//! ```
//!
//! ## Messages
//!
//! `#[psyne::message]` makes a plain struct a message: a layout proven safe
//! to view in place (no padding, every bit pattern valid), a schema
//! fingerprint that peers compare before exchanging bytes, and checked views
//! over bytes from elsewhere. One trailing array `[T]` makes a variable-size
//! message, sized per record with `reserve_len`. See [`message`](mod@message) for the
//! rules and [`message::types`] for the built-in vectors, matrices,
//! quantized and complex vectors, tensors and sparse matrices.
//!
//! ## Patterns
//!
//! | builder method | sender | receiver | each message goes to |
//! |---|---|---|---|
//! | [`spsc`](Builder::spsc) | one | one | the receiver |
//! | [`mpsc`](Builder::mpsc) | `Clone` | one | the receiver |
//! | [`spmc`](Builder::spmc) | one | `Clone` | exactly one receiver |
//! | [`mpmc`](Builder::mpmc) | `Clone` | `Clone` | exactly one receiver |
//!
//! Every waiting operation comes as `async fn` (the primary form), `try_*`
//! (never waits) and `*_blocking` (plain threads). [`Sender`] is a
//! `futures::Sink`, [`Receiver`] a `futures::Stream`.
//!
//! ## Semantics
//!
//! - **Closing.** When every sender is dropped, receivers drain what was
//!   committed and then end (`None`). When every receiver is dropped, sends
//!   fail with [`SendError::Closed`], which gives the value back.
//! - **Backpressure** is a channel option ([`Backpressure`]): wait (default),
//!   fail fast, drop newest, overwrite oldest. Every drop is counted in
//!   [`Stats`].
//! - **Waiting** ([`WaitStrategy`]): busy-spin, spin-then-yield, or
//!   spin-then-park (default). A side pays for a wake-up only when the other
//!   side really sleeps, and a sleeping side uses no CPU.
//!
//! ## Transports
//!
//! | URI | where | status |
//! |---|---|---|
//! | `memory://name` | inside this process | built |
//! | `ipc://name` | shared memory between processes | in progress (not usable yet) |
//! | `tcp://host:port` | between hosts | planned |
//!
//! ## Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `macros` | yes | `#[psyne::message]` (re-exported from `psyne-macros`) |
//! | `ipc` | yes (Linux) | groundwork of `ipc://` (not usable yet) |
//! | `half` | no | `f16`/`bf16` message fields and [`Tensor`](message::types::Tensor) views |
//! | `ndarray` | no | `ndarray` views of [`DoubleMatrix`](message::types::DoubleMatrix) and [`Tensor`](message::types::Tensor) |

#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod channel;
pub mod message;
mod region;
mod ring;
mod sync;
pub mod transport;
pub mod wait;

pub use channel::{
    Backpressure, Batch, BatchIntoIter, BatchIter, BuildError, Builder, Mpmc, Mpsc, Msg, MsgRef,
    MultiConsumer, MultiProducer, Pattern, Receiver, RecvTimeoutError, ReserveError, Scheme,
    SendBatchError, SendError, Sender, SlotMut, Spmc, Spsc, Stats, TryRecvError, Uri, UriError,
    channel,
};
pub use message::Message;
pub use transport::{ConnectError, IpcAccess};
pub use wait::WaitStrategy;

#[cfg(feature = "macros")]
pub use psyne_macros::message;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Items used by code that `#[psyne::message]` generates. Not public API.
#[doc(hidden)]
pub mod __private {
    #![allow(missing_docs, missing_debug_implementations, unreachable_pub)]
    pub use crate::message::assert::*;
    pub use zerocopy;
}
