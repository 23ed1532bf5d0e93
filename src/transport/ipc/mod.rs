//! `ipc://name`: channels between processes over shared memory.
//!
//! Built in steps (issue #4). In place so far: the shared-memory region
//! (`region::shm`, a sealed memfd), the rendezvous that hands it to a peer
//! ([`handshake`]), the listing of bound names (`handshake::bound_names`),
//! the schema tables peers exchange (`message::SchemaTable`), futex words
//! for parking across processes (`wait::futex`), and eventfds for waking a
//! poller in another process (`wait::eventfd`), which the async side will
//! register with its reactor. The ring in shared memory, cross-process wake-ups
//! and the public `bind`/`connect` follow; until then `ipc://` URIs answer
//! `ConnectError::Unsupported`.
//!
//! Lifecycle, as chosen: the binder owns an abstract Unix socket named
//! `psyne/<name>` and a memfd; a connecting process receives the memfd over
//! the socket (`SCM_RIGHTS`). Abstract sockets and memfds live in no
//! filesystem, so whatever crashes, nothing is left behind in `/dev/shm`
//! or elsewhere, and a second binder of the same name gets `EADDRINUSE`.
//! Abstract sockets have no permission bits, so both ends check the peer's
//! credentials (`SO_PEERCRED`) instead.

// The pieces are tested on their own and wired into `bind`/`connect` next.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod handshake;
#[cfg(test)]
pub(crate) mod test_child;
