//! Auto traits of every public type, asserted at compile time.
#![allow(dead_code)]

use psyne::*;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn stat<T: 'static>() {}

macro_rules! all {
    ($($t:ty),* $(,)?) => {
        $( send::<$t>(); sync::<$t>(); unpin::<$t>(); )*
    };
}

#[test]
fn auto_traits() {
    all!(
        Sender<u64, Spsc>, Sender<u64, Mpsc>, Sender<[f32], Spmc>, Sender<[u8], Mpmc>,
        Receiver<u64, Spsc>, Receiver<u64, Mpsc>, Receiver<[f32], Spmc>, Receiver<[u8], Mpmc>,
        Msg<u64>, Msg<[f32]>, MsgRef<'static, u64>, MsgRef<'static, [u8]>, SlotMut<'static, u64>, SlotMut<'static, [u8]>,
        Batch<u64>, BatchIter<'static, u64>, BatchIntoIter<u64>,
        Builder<u64>, Builder<[u8], Mpmc>, Stats, Backpressure, WaitStrategy, Uri, Scheme,
        BuildError, ReserveError, SendBatchError, SendError<u64>, TryRecvError, RecvTimeoutError,
        ConnectError, UriError, IpcAccess, Spsc, Mpsc, Spmc, Mpmc,
        psyne::message::Schema, psyne::message::SchemaId, psyne::message::Registry,
    );
    #[cfg(all(feature = "ipc", target_os = "linux"))]
    all!(psyne::transport::ipc::ChannelInfo);
    stat::<Msg<u64>>();
    stat::<Msg<[u8]>>();
    stat::<Batch<u64>>();
    stat::<BatchIntoIter<u64>>();
}

/// Futures of every async method are `Send`, so they run in `tokio::spawn`.
#[test]
fn futures_are_send() {
    fn is_send<F: std::future::Future + Send>(_: F) {}
    let (mut tx, mut rx) = channel::<u64>().mpsc().unwrap();
    is_send(tx.send(1));
    is_send(tx.reserve());
    is_send(tx.send_batch(&[1]));
    is_send(tx.send_batch_with(1, |i| i as u64));
    is_send(rx.recv());
    let mut v = Vec::new();
    is_send(rx.recv_many(&mut v, 1));
    is_send(rx.recv_batch(1));
    is_send(rx.recv_ref());
    let (mut tx, _rx) = channel::<[u8]>().bytes(64).spsc().unwrap();
    is_send(tx.reserve_len(1));
    is_send(tx.reserve_bytes(1));
    is_send(channel::<u8>().bind("memory://x"));
    is_send(channel::<u8>().connect("memory://x"));
}
