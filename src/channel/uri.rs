//! Channel URIs: `scheme://address`, parsed once for every transport.

use std::error::Error;
use std::fmt;
use std::str::FromStr;

/// Longest channel name accepted by `memory://` and `ipc://`.
pub(crate) const MAX_NAME_LEN: usize = 200;
/// Longest `ipc://` name: what fits an abstract Unix socket address after
/// psyne's `psyne/` prefix (107 - 6 bytes).
pub(crate) const MAX_IPC_NAME_LEN: usize = 101;

/// The transport a URI names.
///
/// # Examples
///
/// ```
/// let uri: psyne::Uri = "ipc://camera".parse()?;
/// assert_eq!(uri.scheme(), psyne::Scheme::Ipc);
/// # Ok::<(), psyne::UriError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `memory://name`: a named channel inside this process.
    Memory,
    /// `ipc://name`: shared memory between processes on this host.
    Ipc,
    /// `tcp://host:port`: between hosts.
    Tcp,
}

impl Scheme {
    /// The scheme as written in URIs.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(psyne::Scheme::Memory.as_str(), "memory");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Ipc => "ipc",
            Self::Tcp => "tcp",
        }
    }
}

/// A parsed channel URI.
///
/// # Examples
///
/// ```
/// use psyne::{Scheme, Uri};
///
/// let uri: Uri = "memory://camera.left".parse()?;
/// assert_eq!(uri.scheme(), Scheme::Memory);
/// assert_eq!(uri.address(), "camera.left");
/// assert_eq!(uri.to_string(), "memory://camera.left");
///
/// let tcp: Uri = "tcp://127.0.0.1:7777".parse()?;
/// assert_eq!(tcp.scheme(), Scheme::Tcp);
/// # Ok::<(), psyne::UriError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uri {
    scheme: Scheme,
    address: String,
}

impl Uri {
    /// The transport.
    ///
    /// # Examples
    ///
    /// ```
    /// let uri: psyne::Uri = "tcp://127.0.0.1:7777".parse()?;
    /// assert_eq!(uri.scheme(), psyne::Scheme::Tcp);
    /// # Ok::<(), psyne::UriError>(())
    /// ```
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Everything after `scheme://`: a channel name, or `host:port`.
    ///
    /// # Examples
    ///
    /// ```
    /// let uri: psyne::Uri = "memory://ticks".parse()?;
    /// assert_eq!(uri.address(), "ticks");
    /// # Ok::<(), psyne::UriError>(())
    /// ```
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.address)
    }
}

/// A URI could not be parsed.
///
/// # Examples
///
/// ```
/// let err = "carrier-pigeon://x".parse::<psyne::Uri>().unwrap_err();
/// assert!(matches!(err, psyne::UriError::UnknownScheme { .. }));
/// assert!(err.to_string().contains("memory://"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// No `scheme://` prefix.
    MissingScheme {
        /// The input.
        uri: String,
    },
    /// A scheme psyne does not know.
    UnknownScheme {
        /// The input.
        uri: String,
        /// The scheme found.
        scheme: String,
    },
    /// The channel name is empty, too long, or has a character outside
    /// `A-Z a-z 0-9 . _ -`.
    InvalidName {
        /// The input.
        uri: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `tcp://` address is not `host:port`.
    InvalidAddress {
        /// The input.
        uri: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingScheme { uri } => write!(
                f,
                "`{uri}` is not a channel URI; write `memory://name`, `ipc://name` or \
                 `tcp://host:port`"
            ),
            Self::UnknownScheme { uri, scheme } => write!(
                f,
                "unknown scheme `{scheme}` in `{uri}`; psyne knows `memory://`, `ipc://` and \
                 `tcp://`"
            ),
            Self::InvalidName { uri, reason } => {
                write!(f, "invalid channel name in `{uri}`: {reason}")
            }
            Self::InvalidAddress { uri, reason } => {
                write!(f, "invalid address in `{uri}`: {reason}")
            }
        }
    }
}

impl Error for UriError {}

impl FromStr for Uri {
    type Err = UriError;

    fn from_str(uri: &str) -> Result<Self, UriError> {
        let Some((scheme, address)) = uri.split_once("://") else {
            return Err(UriError::MissingScheme { uri: uri.to_owned() });
        };
        let scheme = match scheme {
            "memory" => Scheme::Memory,
            "ipc" => Scheme::Ipc,
            "tcp" => Scheme::Tcp,
            other => {
                return Err(UriError::UnknownScheme {
                    uri: uri.to_owned(),
                    scheme: other.to_owned(),
                });
            }
        };
        let invalid_name = |reason| UriError::InvalidName { uri: uri.to_owned(), reason };
        match scheme {
            Scheme::Memory | Scheme::Ipc => {
                if address.is_empty() {
                    return Err(invalid_name("the name is empty"));
                }
                if address.len() > MAX_NAME_LEN {
                    return Err(invalid_name("the name is longer than 200 bytes"));
                }
                if scheme == Scheme::Ipc && address.len() > MAX_IPC_NAME_LEN {
                    return Err(invalid_name("an `ipc://` name is longer than 101 bytes"));
                }
                if address.contains('/') {
                    return Err(invalid_name("`/` is not allowed in a channel name"));
                }
                if !address.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
                    return Err(invalid_name("only `A-Z a-z 0-9 . _ -` are allowed"));
                }
                if address.starts_with('.') {
                    return Err(invalid_name("a name may not start with `.`"));
                }
            }
            Scheme::Tcp => {
                let invalid = |reason| UriError::InvalidAddress { uri: uri.to_owned(), reason };
                let Some((host, port)) = address.rsplit_once(':') else {
                    return Err(invalid("expected `host:port`"));
                };
                if host.is_empty() {
                    return Err(invalid("the host is empty"));
                }
                if port.parse::<u16>().is_err() {
                    return Err(invalid("the port is not a number from 0 to 65535"));
                }
            }
        }
        Ok(Self { scheme, address: address.to_owned() })
    }
}
