//! Schema identity: the compile-time fingerprint of a message layout and the
//! field table peers compare before they exchange a byte.

use std::borrow::Cow;
use std::fmt;

/// Version of the fingerprint algorithm and of psyne's wire layout rules.
/// Part of every fingerprint, so changing either changes every fingerprint.
///
/// # Examples
///
/// ```
/// assert_eq!(psyne::message::WIRE_FORMAT, 1);
/// ```
pub const WIRE_FORMAT: u64 = 1;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a over `bytes`.
///
/// # Examples
///
/// ```
/// // The published FNV-1a test vectors.
/// assert_eq!(psyne::message::fnv1a(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(psyne::message::fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = FNV_OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// The splitmix64 finaliser: a strong 64-bit mixer.
const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A fingerprint under construction, fed strings and integers in order.
///
/// Every step is a `const fn`, so a message's fingerprint is a compile-time
/// constant. The hash detects accidents (a reordered field, a changed type),
/// not attacks.
///
/// # Examples
///
/// ```
/// use psyne::message::Fingerprint;
/// const A: u64 = Fingerprint::new().str("x").u64(1).finish();
/// const B: u64 = Fingerprint::new().str("x").u64(2).finish();
/// assert_ne!(A, B);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// Starts a fingerprint (seeded with [`WIRE_FORMAT`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let fp = psyne::message::Fingerprint::new().finish();
    /// assert_ne!(fp, 0);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self(mix(FNV_OFFSET ^ WIRE_FORMAT))
    }

    /// Feeds an integer.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::Fingerprint;
    /// assert_ne!(Fingerprint::new().u64(1).finish(), Fingerprint::new().u64(2).finish());
    /// ```
    #[must_use]
    pub const fn u64(self, x: u64) -> Self {
        Self(mix(self.0.rotate_left(23) ^ mix(x ^ FNV_PRIME)))
    }

    /// Feeds a string (its length, then its FNV-1a hash, so `("ab", "c")`
    /// and `("a", "bc")` differ).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::Fingerprint;
    /// let ab_c = Fingerprint::new().str("ab").str("c").finish();
    /// let a_bc = Fingerprint::new().str("a").str("bc").finish();
    /// assert_ne!(ab_c, a_bc);
    /// ```
    #[must_use]
    pub const fn str(self, s: &str) -> Self {
        self.u64(s.len() as u64).u64(fnv1a(s.as_bytes()))
    }

    /// The fingerprint.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::Fingerprint;
    /// assert_eq!(Fingerprint::new().str("u8").finish(), <u8 as psyne::message::Wire>::TYPE_FINGERPRINT);
    /// ```
    #[must_use]
    pub const fn finish(self) -> u64 {
        self.0
    }
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

/// The default dispatch id of a message named `name`: the low 32 bits of
/// its FNV-1a hash.
///
/// # Examples
///
/// ```
/// assert_eq!(psyne::message::id_of("ml.Embedding"), psyne::message::fnv1a(b"ml.Embedding") as u32);
/// ```
pub const fn id_of(name: &str) -> u32 {
    fnv1a(name.as_bytes()) as u32
}

/// One field of a message, as the schema records it: a field of the sized
/// part, or the trailing array (whose [`offset`](Self::offset) is where the
/// array starts and whose [`size`](Self::size) is one element's).
///
/// # Examples
///
/// ```
/// #[psyne::message]
/// struct Point { x: f32, y: f32 }
///
/// use psyne::Message;
/// let y = &Point::SCHEMA.fields()[1];
/// assert_eq!((y.name(), y.ty(), y.offset(), y.size()), ("y", "f32", 4, 4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    name: &'static str,
    ty: &'static str,
    fingerprint: u64,
    offset: usize,
    size: usize,
}

impl Field {
    /// Describes a field; used by `#[psyne::message]`.
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        ty: &'static str,
        fingerprint: u64,
        offset: usize,
        size: usize,
    ) -> Self {
        Self { name, ty, fingerprint, offset, size }
    }

    /// The field's schema name (its `rename`, or its Rust name).
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct P { #[psyne(rename = "px")] x: f32 }
    /// assert_eq!(<P as psyne::Message>::SCHEMA.fields()[0].name(), "px");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The field's type as written in the source (for messages only).
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct P { x: [u16; 4] }
    /// assert_eq!(<P as psyne::Message>::SCHEMA.fields()[0].ty(), "[u16; 4]");
    /// ```
    pub const fn ty(&self) -> &'static str {
        self.ty
    }

    /// The fingerprint of the field's type ([`Wire::TYPE_FINGERPRINT`](super::Wire::TYPE_FINGERPRINT)).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::message::Wire;
    /// #[psyne::message]
    /// struct P { x: u32 }
    /// assert_eq!(<P as psyne::Message>::SCHEMA.fields()[0].fingerprint(), u32::TYPE_FINGERPRINT);
    /// ```
    pub const fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Byte offset of the field in the message.
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct P { a: u64, b: u32, c: u32 }
    /// assert_eq!(<P as psyne::Message>::SCHEMA.fields()[2].offset(), 12);
    /// ```
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Size of the field in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct P { a: [u8; 3], b: u8 }
    /// assert_eq!(<P as psyne::Message>::SCHEMA.fields()[0].size(), 3);
    /// ```
    pub const fn size(&self) -> usize {
        self.size
    }
}

/// A message's schema: its identity and field table.
///
/// Every [`Message`](super::Message) has one (`T::SCHEMA`). Peers in other
/// processes or hosts compare [`fingerprint`](Self::fingerprint)s before
/// exchanging bytes; on a mismatch, [`first_difference`](Self::first_difference)
/// says which field differs.
///
/// # Examples
///
/// ```
/// #[psyne::message(name = "demo.Tick", version = 2)]
/// struct Tick { ts_ns: u64, price: f64 }
///
/// use psyne::Message;
/// let s = Tick::SCHEMA;
/// assert_eq!((s.name(), s.version(), s.header_size(), s.fields().len()), ("demo.Tick", 2, 16, 2));
/// assert_eq!(s.fingerprint(), Tick::FINGERPRINT);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schema {
    name: &'static str,
    version: u32,
    id: u32,
    fingerprint: u64,
    header_size: usize,
    align: usize,
    fields: &'static [Field],
    tail: Option<Field>,
}

impl Schema {
    /// Describes a message; used by `#[psyne::message]` and psyne's own
    /// implementations.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        name: &'static str,
        version: u32,
        id: u32,
        fingerprint: u64,
        header_size: usize,
        align: usize,
        fields: &'static [Field],
        tail: Option<Field>,
    ) -> Self {
        Self { name, version, id, fingerprint, header_size, align, fields, tail }
    }

    /// The schema name.
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct Plain { a: u8 }
    /// assert_eq!(<Plain as psyne::Message>::SCHEMA.name(), "Plain");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The schema version.
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message(version = 3)]
    /// struct V3 { a: u8 }
    /// assert_eq!(<V3 as psyne::Message>::SCHEMA.version(), 3);
    /// ```
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// The dispatch id for multiplexed streams.
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message(id = 7)]
    /// struct Seven { a: u8 }
    /// assert_eq!(<Seven as psyne::Message>::SCHEMA.id(), 7);
    /// ```
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The schema fingerprint.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(u32::SCHEMA.fingerprint(), u32::FINGERPRINT);
    /// ```
    pub const fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Size of the sized part (the header of a variable-size message).
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct V { a: u32, b: u32, data: [u32] }
    /// assert_eq!(<V as psyne::Message>::SCHEMA.header_size(), 8);
    /// ```
    pub const fn header_size(&self) -> usize {
        self.header_size
    }

    /// Alignment of the message in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(<[u64; 2]>::SCHEMA.align(), 8);
    /// ```
    pub const fn align(&self) -> usize {
        self.align
    }

    /// The fields of the sized part, in order (empty for primitive and
    /// array messages).
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct P { x: f32, y: f32 }
    /// let names: Vec<_> = <P as psyne::Message>::SCHEMA.fields().iter().map(|f| f.name()).collect();
    /// assert_eq!(names, ["x", "y"]);
    /// ```
    pub const fn fields(&self) -> &'static [Field] {
        self.fields
    }

    /// The trailing array, if the message has one: its name, element type
    /// and fingerprint, where it starts, and one element's size.
    ///
    /// # Examples
    ///
    /// ```
    /// #[psyne::message]
    /// struct V { n: u16, samples: [i16] }
    /// let tail = <V as psyne::Message>::SCHEMA.tail().unwrap();
    /// assert_eq!((tail.name(), tail.ty(), tail.offset(), tail.size()), ("samples", "i16", 2, 2));
    ///
    /// use psyne::Message;
    /// assert!(<[f32]>::SCHEMA.tail().is_some());
    /// assert!(f32::SCHEMA.tail().is_none());
    /// ```
    pub const fn tail(&self) -> Option<Field> {
        self.tail
    }

    /// The short identity used in errors and handshakes.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// let id = u64::SCHEMA.schema_id();
    /// assert_eq!((id.name(), id.fingerprint()), ("u64", u64::FINGERPRINT));
    /// ```
    pub fn schema_id(&self) -> SchemaId {
        SchemaId {
            name: Cow::Borrowed(self.name),
            version: self.version,
            fingerprint: self.fingerprint,
        }
    }

    /// What first differs between this schema and `other`, in words, or
    /// `None` if they describe the same layout under the same name and
    /// version.
    ///
    /// # Examples
    ///
    /// ```
    /// mod v1 {
    ///     #[psyne::message(name = "demo.P")]
    ///     pub struct P { pub x: f32, pub y: f32 }
    /// }
    /// mod v2 {
    ///     #[psyne::message(name = "demo.P")]
    ///     pub struct P { pub x: f32, pub z: f32 }
    /// }
    /// use psyne::Message;
    /// let diff = v1::P::SCHEMA.first_difference(v2::P::SCHEMA).unwrap();
    /// assert_eq!(diff, "field 1: `y: f32` at offset 4 here, `z: f32` at offset 4 there");
    /// assert_eq!(v1::P::SCHEMA.first_difference(v1::P::SCHEMA), None);
    /// ```
    pub fn first_difference(&self, other: &Schema) -> Option<String> {
        super::SchemaTable::from(self).first_difference(&super::SchemaTable::from(other))
    }
}

/// A schema's identity: name, version and fingerprint.
///
/// Carried by [`ConnectError::SchemaMismatch`](crate::ConnectError::SchemaMismatch).
///
/// # Examples
///
/// ```
/// #[psyne::message(name = "ml.Embedding", version = 1)]
/// struct Embedding { batch: u32, data: [f32] }
///
/// use psyne::Message;
/// let id = Embedding::SCHEMA.schema_id();
/// assert!(id.to_string().starts_with("`ml.Embedding` v1 (fingerprint 0x"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaId {
    name: Cow<'static, str>,
    version: u32,
    fingerprint: u64,
}

impl SchemaId {
    /// An identity read from elsewhere (a peer's handshake).
    ///
    /// # Examples
    ///
    /// ```
    /// let id = psyne::message::SchemaId::new("x.Y".to_string(), 1, 0xabc);
    /// assert_eq!(id.version(), 1);
    /// ```
    pub fn new(name: impl Into<Cow<'static, str>>, version: u32, fingerprint: u64) -> Self {
        Self { name: name.into(), version, fingerprint }
    }

    /// The schema name.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(f32::SCHEMA.schema_id().name(), "f32");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema version.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(f32::SCHEMA.schema_id().version(), 0);
    /// ```
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The fingerprint.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(f32::SCHEMA.schema_id().fingerprint(), f32::FINGERPRINT);
    /// ```
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` v{} (fingerprint {:#018x})", self.name, self.version, self.fingerprint)
    }
}
