//! Errors of checked message views.

use std::fmt;

/// Why bytes could not be viewed as a message.
///
/// Returned by the checked views that `#[psyne::message]` generates
/// (`T::view`, `T::view_mut`, `T::init_in`) and by
/// [`message::view`](super::view). Never a panic, whatever the bytes.
///
/// # Examples
///
/// ```
/// use psyne::message::ViewError;
///
/// #[psyne::message]
/// #[derive(Debug)]
/// struct Pair { a: u32, b: u32 }
///
/// #[repr(C, align(64))]
/// struct Buf([u8; 64]);
/// let buf = Buf([0; 64]);
/// assert!(Pair::view(&buf.0).is_ok());
/// assert_eq!(Pair::view(&buf.0[..4]).unwrap_err(), ViewError::TooShort { needed: 8, available: 4 });
/// assert_eq!(Pair::view(&buf.0[1..]).unwrap_err(), ViewError::Misaligned { align: 4 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewError {
    /// The bytes do not start at a multiple of the message's alignment.
    Misaligned {
        /// The alignment the message needs.
        align: usize,
    },
    /// Fewer bytes than the message (with its element count) needs.
    TooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// More trailing elements than the message allows (its `max_elems`, or
    /// what its `len` field can count, or what fits the address space).
    TooManyElems {
        /// Elements asked for.
        elems: usize,
        /// The most the message allows.
        max: usize,
    },
    /// The message's `#[psyne(len)]` field disagrees with the element count
    /// of the record or frame.
    LenMismatch {
        /// The value of the `len` field.
        field: u64,
        /// The element count of the record or frame.
        frame: u64,
    },
    /// The message's invariant does not hold (its `validate` hook, or a
    /// built-in type's own check, rejected it).
    Invalid {
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Misaligned { align } => write!(
                f,
                "bytes are not aligned to the message's {align} bytes; \
                 place messages at {align}-byte boundaries (ring records are 64-byte aligned)"
            ),
            Self::TooShort { needed, available } => {
                write!(
                    f,
                    "message needs {needed} bytes but only {available} were given; pass the whole \
                     record, or the element count it was written with"
                )
            }
            Self::TooManyElems { elems, max } => {
                write!(
                    f,
                    "{elems} trailing elements requested, but the message allows at most {max}"
                )
            }
            Self::LenMismatch { field, frame } => write!(
                f,
                "the message's `len` field says {field} elements but the record holds {frame}; \
                 the writer did not set `len` (use `reserve_len` or `init_in`) or the bytes are \
                 corrupt"
            ),
            Self::Invalid { reason } => write!(f, "invalid message: {reason}"),
        }
    }
}

impl std::error::Error for ViewError {}
