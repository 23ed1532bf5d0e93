//! `memory://` named channels and the URI parser every transport uses.

use psyne::{ConnectError, Mpmc, Mpsc, Scheme, Spmc, Spsc, Uri, UriError};

#[tokio::test]
async fn bind_connect_send_receive() {
    let mut rx = psyne::channel::<u32>().capacity(8).bind("memory://mem-basic").await.unwrap();
    let mut tx = psyne::channel::<u32>().connect("memory://mem-basic").await.unwrap();
    assert_eq!(rx.uri(), Some("memory://mem-basic"));
    assert_eq!(tx.uri(), Some("memory://mem-basic"));
    tx.send(5).await.unwrap();
    assert_eq!(*rx.recv().await.unwrap(), 5);
    // The receiver does not end before a sender came, and ends after the
    // last one left.
    drop(tx);
    assert!(rx.recv().await.is_none());
    // The name is free again.
    let err = psyne::channel::<u32>().connect("memory://mem-basic").await.unwrap_err();
    assert!(matches!(err, ConnectError::NotFound { .. }), "{err}");
    let _again = psyne::channel::<u32>().bind("memory://mem-basic").await.unwrap();
}

#[tokio::test]
async fn a_bound_channel_waits_for_its_first_sender() {
    let mut rx = psyne::channel::<u32>().bind("memory://mem-wait").await.unwrap();
    assert_eq!(rx.try_recv().unwrap_err(), psyne::TryRecvError::Empty);
    assert!(!rx.is_closed());
}

#[tokio::test]
async fn mismatches_are_errors_that_name_both_sides() {
    let _rx =
        psyne::channel::<u32>().pattern::<Mpsc>().bind("memory://mem-mismatch").await.unwrap();
    let err = psyne::channel::<u64>()
        .pattern::<Mpsc>()
        .connect("memory://mem-mismatch")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConnectError::SchemaMismatch { .. }));
    assert!(text.contains("`u64`") && text.contains("`u32`"), "{text}");
    let err = psyne::channel::<u32>().connect("memory://mem-mismatch").await.unwrap_err();
    assert!(matches!(err, ConnectError::PatternMismatch { bound: "mpsc", requested: "spsc", .. }));
}

#[tokio::test]
async fn single_sides_take_one_handle() {
    let _rx = psyne::channel::<u8>().bind("memory://mem-single").await.unwrap();
    let err = psyne::channel::<u8>().bind("memory://mem-single").await.unwrap_err();
    assert!(matches!(err, ConnectError::ReceiverTaken { .. }), "{err}");
    let _tx = psyne::channel::<u8>().connect("memory://mem-single").await.unwrap();
    let err = psyne::channel::<u8>().connect("memory://mem-single").await.unwrap_err();
    assert!(matches!(err, ConnectError::SenderTaken { .. }), "{err}");
}

#[tokio::test]
async fn multi_sides_join_by_name() {
    let mut rx1 =
        psyne::channel::<u8>().pattern::<Mpmc>().bind("memory://mem-multi").await.unwrap();
    let mut rx2 =
        psyne::channel::<u8>().pattern::<Mpmc>().bind("memory://mem-multi").await.unwrap();
    let mut tx1 =
        psyne::channel::<u8>().pattern::<Mpmc>().connect("memory://mem-multi").await.unwrap();
    let mut tx2 =
        psyne::channel::<u8>().pattern::<Mpmc>().connect("memory://mem-multi").await.unwrap();
    tx1.send(1).await.unwrap();
    tx2.send(2).await.unwrap();
    let a = *rx1.recv().await.unwrap();
    let b = *rx2.recv().await.unwrap();
    assert_eq!(a + b, 3);
    let _spmc = psyne::channel::<u8>().pattern::<Spmc>().bind("memory://mem-spmc").await.unwrap();
    let _spmc2 = psyne::channel::<u8>().pattern::<Spmc>().bind("memory://mem-spmc").await.unwrap();
}

#[tokio::test]
async fn a_channel_with_no_receiver_left_is_not_found() {
    let rx = psyne::channel::<u8>().bind("memory://mem-gone").await.unwrap();
    let tx = psyne::channel::<u8>().connect("memory://mem-gone").await.unwrap();
    drop(rx);
    assert!(tx.is_closed());
    let err = psyne::channel::<u8>().connect("memory://mem-gone").await.unwrap_err();
    assert!(matches!(err, ConnectError::NotFound { .. }));
}

/// Once every sender left, the channel is closing for good: its name is
/// free (a new sender is told nothing is bound there, a new binder gets a
/// new channel), while the old receiver drains and ends.
#[tokio::test]
async fn a_channel_whose_senders_left_frees_its_name() {
    let uri = format!("memory://closed-senders-{}", std::process::id());
    let mut rx = psyne::channel::<u64>().pattern::<Mpsc>().bind(&uri).await.unwrap();
    let mut tx = psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri).await.unwrap();
    tx.send(1).await.unwrap();
    drop(tx);
    let err = psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri).await.unwrap_err();
    assert!(matches!(err, ConnectError::NotFound { .. }), "{err}");
    let mut new_rx = psyne::channel::<u64>().pattern::<Mpsc>().bind(&uri).await.unwrap();
    let mut new_tx = psyne::channel::<u64>().pattern::<Mpsc>().connect(&uri).await.unwrap();
    new_tx.send(2).await.unwrap();
    assert_eq!(rx.recv().await.map(|m| *m), Some(1));
    assert!(rx.recv().await.is_none());
    assert_eq!(new_rx.recv().await.map(|m| *m), Some(2));
}

#[tokio::test]
async fn other_schemes_are_reported_as_not_built() {
    let mut unbuilt = vec!["tcp://127.0.0.1:7777"];
    if cfg!(not(all(feature = "ipc", target_os = "linux"))) {
        unbuilt.push("ipc://camera");
    }
    for uri in unbuilt {
        let err = psyne::channel::<u8>().bind(uri).await.unwrap_err();
        assert!(matches!(err, ConnectError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("not part of this build"));
    }
}

#[test]
fn uri_parsing() {
    let uri: Uri = "memory://a.b-c_9".parse().unwrap();
    assert_eq!((uri.scheme(), uri.address()), (Scheme::Memory, "a.b-c_9"));
    assert_eq!("ipc://x".parse::<Uri>().unwrap().scheme(), Scheme::Ipc);
    assert_eq!("tcp://[::1]:80".parse::<Uri>().unwrap().address(), "[::1]:80");
    let bad = [
        ("camera", "MissingScheme"),
        ("udp://x", "UnknownScheme"),
        ("memory://", "InvalidName"),
        ("memory://a/b", "InvalidName"),
        ("memory://a b", "InvalidName"),
        ("memory://.hidden", "InvalidName"),
        ("ipc://é", "InvalidName"),
        ("tcp://localhost", "InvalidAddress"),
        ("tcp://:80", "InvalidAddress"),
        ("tcp://h:99999", "InvalidAddress"),
    ];
    for (input, kind) in bad {
        let err = input.parse::<Uri>().unwrap_err();
        let got = format!("{err:?}");
        assert!(got.starts_with(kind), "{input}: {got}");
        assert!(err.to_string().contains(input), "error names the input: {err}");
    }
    let long = format!("memory://{}", "a".repeat(201));
    assert!(matches!(long.parse::<Uri>(), Err(UriError::InvalidName { .. })));
    let ok = format!("memory://{}", "a".repeat(200));
    assert!(ok.parse::<Uri>().is_ok());
}

#[test]
fn uri_errors_surface_from_bind() {
    let err = futures::executor::block_on(psyne::channel::<u8>().bind("nonsense")).unwrap_err();
    assert!(matches!(err, ConnectError::Uri(UriError::MissingScheme { .. })));
    assert!(std::error::Error::source(&err).is_some());
    use psyne::Pattern;
    assert_eq!(Spsc::NAME, "spsc");
}

#[cfg(feature = "macros")]
mod v1 {
    #[psyne::message(name = "test.Reading", version = 1)]
    pub(crate) struct Reading {
        pub(crate) sensor: u32,
        pub(crate) value: f32,
    }
}
#[cfg(feature = "macros")]
mod v2 {
    #[psyne::message(name = "test.Reading", version = 1)]
    pub(crate) struct Reading {
        pub(crate) sensor: u32,
        pub(crate) celsius: f32,
    }
}
#[cfg(feature = "macros")]
mod twin {
    #[psyne::message(name = "test.Reading", version = 1)]
    pub(crate) struct Reading {
        pub(crate) sensor: u32,
        pub(crate) value: f32,
    }
}

#[cfg(feature = "macros")]
#[tokio::test]
async fn schema_mismatches_name_the_field_that_differs() {
    let _rx = psyne::channel::<v1::Reading>().bind("memory://mem-schema").await.unwrap();
    let err = psyne::channel::<v2::Reading>().connect("memory://mem-schema").await.unwrap_err();
    let text = err.to_string();
    let ConnectError::SchemaMismatch { local, peer, difference, .. } = err else {
        panic!("expected a schema mismatch, got {text}");
    };
    assert_eq!((local.name(), peer.name()), ("test.Reading", "test.Reading"));
    assert_ne!(local.fingerprint(), peer.fingerprint());
    assert_eq!(
        difference.as_deref(),
        Some("field 1: `celsius: f32` at offset 4 here, `value: f32` at offset 4 there")
    );
    assert!(text.starts_with("schema mismatch for `test.Reading`"), "{text}");

    // The same schema under another Rust type: the bytes agree, the types
    // do not, so it is a type mismatch.
    let err = psyne::channel::<twin::Reading>().connect("memory://mem-schema").await.unwrap_err();
    assert!(matches!(err, ConnectError::TypeMismatch { .. }), "{err}");
}
