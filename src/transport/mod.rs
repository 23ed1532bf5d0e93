//! Transports: how a URI becomes a channel.
//!
//! Each scheme sets up a region and a waker pair and hands the channel layer
//! ordinary handles. This build has `memory://` and, with feature `ipc` on
//! Linux, `ipc://` ([`ipc`]); `tcp://` is recognised by the URI parser and
//! reported as not built yet.
//!
//! # Examples
//!
//! ```
//! # futures::executor::block_on(async {
//! let err = psyne::channel::<u8>().bind("tcp://127.0.0.1:7777").await.unwrap_err();
//! assert!(matches!(err, psyne::transport::ConnectError::Unsupported { .. }));
//! # });
//! ```

use std::error::Error;
use std::fmt;

use crate::channel::{BuildError, Builder, Pattern, Receiver, Scheme, Sender, Uri, UriError};
use crate::message::{Message, SchemaId};

#[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
pub mod ipc;
pub(crate) mod memory;

/// Which users' processes may meet this one on an `ipc://` channel; set with
/// [`Builder::ipc_access`]. Both sides check: the binder refuses a
/// connecting process whose user it does not allow, and a connecting process
/// refuses a binder likewise (a channel's memory is then shared with that
/// user's process). Ignored by other transports.
///
/// # Examples
///
/// ```
/// use psyne::IpcAccess;
/// // A service run as another user (uid 1001) may connect too.
/// let builder = psyne::channel::<u64>().ipc_access(IpcAccess::Users(vec![1001]));
/// # let _ = builder;
/// assert!(IpcAccess::Users(vec![1001]).allows(1001, 0));
/// assert!(IpcAccess::default().allows(0, 0) && !IpcAccess::default().allows(1001, 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IpcAccess {
    /// Only processes of this process's own user (the default).
    #[default]
    SameUser,
    /// This process's user and the listed user ids.
    Users(Vec<u32>),
    /// Any user of the host.
    AnyUser,
}

impl IpcAccess {
    /// Whether a peer running as `peer` may meet a process running as `own`.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::IpcAccess;
    /// assert!(IpcAccess::SameUser.allows(1000, 1000));
    /// assert!(!IpcAccess::SameUser.allows(1001, 1000));
    /// assert!(IpcAccess::Users(vec![1001]).allows(1001, 1000));
    /// assert!(IpcAccess::AnyUser.allows(42, 1000));
    /// ```
    pub fn allows(&self, peer: u32, own: u32) -> bool {
        match self {
            Self::SameUser => peer == own,
            Self::Users(uids) => peer == own || uids.contains(&peer),
            Self::AnyUser => true,
        }
    }
}

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
    /// Another channel is bound under the name (in this or another
    /// process), and the pattern does not allow another receiver.
    AlreadyBound {
        /// The URI.
        uri: String,
    },
    /// The other process runs as a user this side's (or its)
    /// [`IpcAccess`] does not allow.
    PermissionDenied {
        /// The URI.
        uri: String,
        /// The other process's user id, where known.
        peer_uid: Option<u32>,
    },
    /// The channel exists but cannot be used as asked: its shared memory is
    /// not a psyne channel of this version, or it was built with options
    /// this side cannot follow.
    Incompatible {
        /// The URI.
        uri: String,
        /// What does not fit, in words.
        reason: String,
    },
    /// A system call failed while setting the channel up.
    Io {
        /// The URI.
        uri: String,
        /// The error.
        source: std::io::Error,
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
            Self::AlreadyBound { uri } => write!(
                f,
                "`{uri}` is already bound by another channel; choose another name, or bind it as \
                 spmc or mpmc to add receivers"
            ),
            Self::PermissionDenied { uri, peer_uid } => {
                write!(f, "permission denied for `{uri}`: ")?;
                match peer_uid {
                    Some(uid) => write!(f, "the other process runs as user {uid}")?,
                    None => f.write_str("the binding process refused this user")?,
                }
                f.write_str(
                    "; ipc:// channels connect processes of one user unless both sides allow \
                     more with `ipc_access`",
                )
            }
            Self::Incompatible { uri, reason } => {
                write!(f, "cannot use `{uri}`: {reason}")
            }
            Self::Io { uri, source } => write!(
                f,
                "setting up `{uri}` failed: {source}; check the process's limits on open files \
                 and locked or shared memory"
            ),
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Uri(e) => Some(e),
            Self::Build(e) => Some(e),
            Self::Io { source, .. } => Some(source),
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
        #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
        Scheme::Ipc => ipc::bind(builder, uri),
        scheme => Err(ConnectError::Unsupported { uri: uri.to_string(), scheme }),
    }
}

pub(crate) fn connect<T: Message + ?Sized, P: Pattern>(
    builder: Builder<T, P>,
    uri: Uri,
) -> Result<Sender<T, P>, ConnectError> {
    #[cfg(not(all(feature = "ipc", target_os = "linux", not(loom))))]
    let _ = builder;
    match uri.scheme() {
        Scheme::Memory => memory::connect::<T, P>(uri),
        #[cfg(all(feature = "ipc", target_os = "linux", not(loom)))]
        Scheme::Ipc => ipc::connect(builder, uri),
        scheme => Err(ConnectError::Unsupported { uri: uri.to_string(), scheme }),
    }
}
