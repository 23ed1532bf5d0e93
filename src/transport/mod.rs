//! Transports: how a URI becomes a channel.
//!
//! Each scheme sets up a region and a waker pair and hands the channel layer
//! ordinary handles. This build has `memory://`; `ipc://` and `tcp://` are
//! recognised by the URI parser and reported as not built yet.
//!
//! # Examples
//!
//! ```
//! # futures::executor::block_on(async {
//! let err = psyne::channel::<u8>().bind("ipc://later").await.unwrap_err();
//! assert!(matches!(err, psyne::transport::ConnectError::Unsupported { .. }));
//! # });
//! ```

use std::error::Error;
use std::fmt;

use crate::channel::{BuildError, Builder, Pattern, Receiver, Scheme, Sender, Uri, UriError};
use crate::message::{Message, SchemaId};

#[cfg(all(feature = "ipc", target_os = "linux"))]
pub(crate) mod ipc;
pub(crate) mod memory;

/// Binding or connecting a channel by URI failed.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use psyne::ConnectError;
/// let _rx = psyne::channel::<u32>().bind("memory://doc-connect-error").await?;
/// let err = psyne::channel::<u64>().connect("memory://doc-connect-error").await.unwrap_err();
/// assert!(matches!(err, ConnectError::SchemaMismatch { .. }));
/// assert!(err.to_string().contains("u32"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URI could not be parsed.
    Uri(UriError),
    /// The channel could not be built.
    Build(BuildError),
    /// This build has no transport for the scheme.
    Unsupported {
        /// The URI.
        uri: String,
        /// The scheme.
        scheme: Scheme,
    },
    /// Nothing is bound under this URI.
    NotFound {
        /// The URI.
        uri: String,
    },
    /// The channel carries a message with another schema (a different
    /// name, version or layout).
    SchemaMismatch {
        /// The URI.
        uri: String,
        /// The schema of the message type asked for.
        local: Box<SchemaId>,
        /// The schema the channel was bound with.
        peer: Box<SchemaId>,
        /// The first field that differs, in words, when the peer's field
        /// table is known.
        difference: Option<String>,
    },
    /// The channel was bound for another Rust type with the same schema.
    TypeMismatch {
        /// The URI.
        uri: String,
        /// The type it was bound with.
        bound: &'static str,
        /// The type asked for.
        requested: &'static str,
    },
    /// The channel was bound with another pattern.
    PatternMismatch {
        /// The URI.
        uri: String,
        /// The pattern it was bound with.
        bound: &'static str,
        /// The pattern asked for.
        requested: &'static str,
    },
    /// The pattern allows one sender and it is connected already.
    SenderTaken {
        /// The URI.
        uri: String,
    },
    /// The pattern allows one receiver and it exists already.
    ReceiverTaken {
        /// The URI.
        uri: String,
    },
    /// The channel is closing: its last sender or receiver left.
    Closed {
        /// The URI.
        uri: String,
    },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uri(e) => e.fmt(f),
            Self::Build(e) => e.fmt(f),
            Self::Unsupported { uri, scheme } => write!(
                f,
                "cannot open `{uri}`: the `{}://` transport is not part of this build of psyne; \
                 use `memory://` for now",
                scheme.as_str()
            ),
            Self::NotFound { uri } => {
                write!(f, "no channel is bound at `{uri}`; `bind` it before connecting")
            }
            Self::SchemaMismatch { uri, local, peer, difference } => {
                write!(
                    f,
                    "schema mismatch for `{}` at `{uri}`: local v{} (fingerprint {:#018x}), \
                     peer `{}` v{} (fingerprint {:#018x})",
                    local.name(),
                    local.version(),
                    local.fingerprint(),
                    peer.name(),
                    peer.version(),
                    peer.fingerprint()
                )?;
                if let Some(difference) = difference {
                    write!(f, "; first difference: {difference}")?;
                }
                f.write_str("; both sides must use the same message definition")
            }
            Self::TypeMismatch { uri, bound, requested } => write!(
                f,
                "`{uri}` carries `{bound}`, not `{requested}`; connect with the same message type"
            ),
            Self::PatternMismatch { uri, bound, requested } => write!(
                f,
                "`{uri}` is an {bound} channel, not {requested}; connect with `.pattern::<...>()` \
                 matching the binder"
            ),
            Self::SenderTaken { uri } => write!(
                f,
                "`{uri}` is single-producer and already has its sender; bind it as mpsc or mpmc \
                 for several senders"
            ),
            Self::ReceiverTaken { uri } => write!(
                f,
                "`{uri}` is single-consumer and already has its receiver; bind it as spmc or mpmc \
                 for several receivers"
            ),
            Self::Closed { uri } => {
                write!(f, "`{uri}` is closing; bind a new channel under the name once it is gone")
            }
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Uri(e) => Some(e),
            Self::Build(e) => Some(e),
            _ => None,
        }
    }
}

impl From<UriError> for ConnectError {
    fn from(e: UriError) -> Self {
        Self::Uri(e)
    }
}

impl From<BuildError> for ConnectError {
    fn from(e: BuildError) -> Self {
        Self::Build(e)
    }
}

pub(crate) fn bind<T: Message + ?Sized, P: Pattern>(
    builder: Builder<T, P>,
    uri: Uri,
) -> Result<Receiver<T, P>, ConnectError> {
    match uri.scheme() {
        Scheme::Memory => memory::bind(builder, uri),
        scheme => Err(ConnectError::Unsupported { uri: uri.to_string(), scheme }),
    }
}

pub(crate) fn connect<T: Message + ?Sized, P: Pattern>(
    _builder: Builder<T, P>,
    uri: Uri,
) -> Result<Sender<T, P>, ConnectError> {
    match uri.scheme() {
        Scheme::Memory => memory::connect::<T, P>(uri),
        scheme => Err(ConnectError::Unsupported { uri: uri.to_string(), scheme }),
    }
}
