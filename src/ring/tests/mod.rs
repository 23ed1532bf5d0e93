//! Loom models of the ring's protocols. Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release --lib`.

mod loom_ring;
mod loom_shared_wake;
