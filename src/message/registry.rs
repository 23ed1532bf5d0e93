//! `psyne::registry!`: a set of message schemas with distinct ids and
//! names, for multiplexed streams.

use std::fmt;

use super::Schema;

/// A set of message schemas whose ids and names are pairwise distinct.
///
/// Build one at compile time with [`psyne::registry!`](crate::registry),
/// which rejects duplicates during compilation, or at run time with
/// [`Registry::new`]. A multiplexed stream looks a frame's id up to find
/// its schema.
///
/// # Examples
///
/// ```
/// #[psyne::message(name = "demo.A")]
/// struct A { x: u32 }
/// #[psyne::message(name = "demo.B")]
/// struct B { y: f64 }
///
/// use psyne::Message;
/// const MESSAGES: psyne::message::Registry = psyne::registry!(A, B);
/// assert_eq!(MESSAGES.by_id(B::ID).unwrap().name(), "demo.B");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    schemas: &'static [&'static Schema],
}

/// Two schemas in one registry share an id or a name.
///
/// # Examples
///
/// ```
/// use psyne::Message;
/// let err = psyne::message::Registry::new(&[u8::SCHEMA, u8::SCHEMA]).unwrap_err();
/// assert!(err.to_string().contains("`u8`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two schemas have the same dispatch id.
    DuplicateId {
        /// The id.
        id: u32,
        /// The first schema's name.
        first: &'static str,
        /// The second schema's name.
        second: &'static str,
    },
    /// Two schemas have the same name.
    DuplicateName {
        /// The name.
        name: &'static str,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateId { id, first, second } => write!(
                f,
                "messages `{first}` and `{second}` share the id {id}; give one an explicit \
                 `id = N`"
            ),
            Self::DuplicateName { name } => {
                write!(f, "two messages are named `{name}`; give each a distinct `name = \"...\"`")
            }
        }
    }
}

impl std::error::Error for RegistryError {}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The first pair `(i, j)` with `i < j` that shares an id (`true`) or a
/// name (`false`).
const fn first_duplicate(schemas: &[&Schema]) -> Option<(usize, usize, bool)> {
    let mut i = 0;
    while i < schemas.len() {
        let mut j = i + 1;
        while j < schemas.len() {
            if str_eq(schemas[i].name(), schemas[j].name()) {
                return Some((i, j, false));
            }
            if schemas[i].id() == schemas[j].id() {
                return Some((i, j, true));
            }
            j += 1;
        }
        i += 1;
    }
    None
}

impl Registry {
    /// A registry of `schemas`, checked at run time.
    ///
    /// # Errors
    ///
    /// [`RegistryError`] naming the first two schemas that share an id or
    /// a name.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// let reg = psyne::message::Registry::new(&[u8::SCHEMA, f32::SCHEMA])?;
    /// assert_eq!(reg.len(), 2);
    /// # Ok::<(), psyne::message::RegistryError>(())
    /// ```
    pub fn new(schemas: &'static [&'static Schema]) -> Result<Self, RegistryError> {
        match first_duplicate(schemas) {
            None => Ok(Self { schemas }),
            Some((i, j, true)) => Err(RegistryError::DuplicateId {
                id: schemas[i].id(),
                first: schemas[i].name(),
                second: schemas[j].name(),
            }),
            Some((i, _, false)) => Err(RegistryError::DuplicateName { name: schemas[i].name() }),
        }
    }

    /// A registry checked at compile time; used by `psyne::registry!`.
    ///
    /// # Panics
    ///
    /// If two schemas share an id or a name (in a `const`, that is a
    /// compile error).
    #[doc(hidden)]
    pub const fn checked(schemas: &'static [&'static Schema]) -> Self {
        match first_duplicate(schemas) {
            None => Self { schemas },
            Some((_, _, true)) => panic!(
                "two messages in `psyne::registry!` share an id; give one an explicit `id = N`"
            ),
            Some((_, _, false)) => {
                panic!(
                    "two messages in `psyne::registry!` share a name; give each a distinct `name`"
                )
            }
        }
    }

    /// The schema with dispatch id `id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// const REG: psyne::message::Registry = psyne::registry!(u16, u32);
    /// assert_eq!(REG.by_id(u32::ID).unwrap().name(), "u32");
    /// ```
    pub fn by_id(&self, id: u32) -> Option<&'static Schema> {
        self.schemas.iter().copied().find(|s| s.id() == id)
    }

    /// The schema named `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// const REG: psyne::message::Registry = psyne::registry!(u16, u32);
    /// assert!(REG.by_name("u16").is_some());
    /// assert!(REG.by_name("u64").is_none());
    /// ```
    pub fn by_name(&self, name: &str) -> Option<&'static Schema> {
        self.schemas.iter().copied().find(|s| s.name() == name)
    }

    /// The schemas, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// const REG: psyne::message::Registry = psyne::registry!(u8);
    /// assert_eq!(REG.schemas()[0].name(), "u8");
    /// ```
    pub fn schemas(&self) -> &'static [&'static Schema] {
        self.schemas
    }

    /// How many schemas there are.
    ///
    /// # Examples
    ///
    /// ```
    /// const REG: psyne::message::Registry = psyne::registry!(u8, i8);
    /// assert_eq!(REG.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    /// Whether there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(psyne::message::Registry::new(&[])?.is_empty());
    /// # Ok::<(), psyne::message::RegistryError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

/// A [`Registry`](crate::message::Registry) of message types whose ids and
/// names are checked to be pairwise distinct at compile time.
///
/// The check runs during compilation wherever the macro is used.
///
/// # Examples
///
/// ```
/// #[psyne::message(name = "demo.Ping")]
/// struct Ping { seq: u64 }
/// #[psyne::message(name = "demo.Pong")]
/// struct Pong { seq: u64 }
///
/// const PROTOCOL: psyne::message::Registry = psyne::registry!(Ping, Pong);
/// assert_eq!(PROTOCOL.len(), 2);
/// ```
///
/// A duplicate does not compile:
///
/// ```compile_fail
/// #[psyne::message(name = "demo.Ping")]
/// struct Ping { seq: u64 }
/// mod again {
///     #[psyne::message(name = "demo.Ping")]
///     pub struct Ping { seq: u32 }
/// }
/// let protocol = psyne::registry!(Ping, again::Ping);
/// ```
#[macro_export]
macro_rules! registry {
    ($($ty:ty),+ $(,)?) => {
        // An inline `const` block: the check runs at compile time wherever
        // the macro is used, in a `let` as in a `const`.
        const { $crate::message::Registry::checked(&[$(<$ty as $crate::Message>::SCHEMA),+]) }
    };
}
