//! Schema tables as data: what peers in other processes or hosts exchange
//! so that a mismatch can say which field differs.

use std::fmt;

use super::Schema;

/// Format tag and version of an encoded table.
const MAGIC: [u8; 4] = *b"PSCH";
const FORMAT: u32 = 1;
/// Longest name or type string accepted, in bytes.
const MAX_STR: usize = 256;
/// Most fields accepted.
const MAX_FIELDS: usize = 1024;

/// One field of a [`SchemaTable`].
///
/// # Examples
///
/// ```
/// #[psyne::message]
/// struct P { x: f32 }
/// let table = psyne::message::SchemaTable::from(<P as psyne::Message>::SCHEMA);
/// assert_eq!(table.fields()[0].name, "x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldEntry {
    /// Schema name of the field.
    pub name: String,
    /// Its type as written in the source.
    pub ty: String,
    /// The type's fingerprint.
    pub fingerprint: u64,
    /// Byte offset (for the trailing array: where it starts).
    pub offset: u64,
    /// Size in bytes (for the trailing array: one element's).
    pub size: u64,
}

/// A message schema as owned data: what a [`Schema`] says, in a form that
/// can be encoded, sent to a peer, and decoded from untrusted bytes.
///
/// # Examples
///
/// ```
/// use psyne::message::SchemaTable;
///
/// #[psyne::message(name = "demo.P", version = 2)]
/// struct P { x: f32, y: f32 }
///
/// let local = SchemaTable::from(<P as psyne::Message>::SCHEMA);
/// let bytes = local.encode();
/// let peer = SchemaTable::decode(&bytes)?;
/// assert_eq!(peer, local);
/// assert_eq!(local.first_difference(&peer), None);
/// # Ok::<(), psyne::message::SchemaDecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaTable {
    name: String,
    version: u32,
    id: u32,
    fingerprint: u64,
    header_size: u64,
    align: u64,
    fields: Vec<FieldEntry>,
    tail: Option<FieldEntry>,
}

/// Bytes that are not an encoded [`SchemaTable`].
///
/// # Examples
///
/// ```
/// let err = psyne::message::SchemaTable::decode(b"PSCH").unwrap_err();
/// assert!(err.to_string().starts_with("malformed schema table"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDecodeError {
    at: usize,
    what: &'static str,
}

impl fmt::Display for SchemaDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed schema table at byte {}: {}", self.at, self.what)
    }
}

impl std::error::Error for SchemaDecodeError {}

impl From<&crate::message::Field> for FieldEntry {
    fn from(f: &crate::message::Field) -> Self {
        Self {
            name: f.name().to_owned(),
            ty: f.ty().to_owned(),
            fingerprint: f.fingerprint(),
            offset: f.offset() as u64,
            size: f.size() as u64,
        }
    }
}

impl From<&Schema> for SchemaTable {
    fn from(s: &Schema) -> Self {
        Self {
            name: s.name().to_owned(),
            version: s.version(),
            id: s.id(),
            fingerprint: s.fingerprint(),
            header_size: s.header_size() as u64,
            align: s.align() as u64,
            fields: s.fields().iter().map(FieldEntry::from).collect(),
            tail: s.tail().as_ref().map(FieldEntry::from),
        }
    }
}

/// A bounds-checked reader over untrusted bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn fail<T>(&self, what: &'static str) -> Result<T, SchemaDecodeError> {
        Err(SchemaDecodeError { at: self.at, what })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SchemaDecodeError> {
        match self.bytes.get(self.at..self.at.saturating_add(n)) {
            Some(b) if b.len() == n => {
                self.at += n;
                Ok(b)
            }
            _ => self.fail("truncated"),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SchemaDecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, SchemaDecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, SchemaDecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, SchemaDecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, SchemaDecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn str(&mut self) -> Result<String, SchemaDecodeError> {
        let len = usize::from(self.u16()?);
        if len > MAX_STR {
            return self.fail("string longer than 256 bytes");
        }
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => self.fail("string is not UTF-8"),
        }
    }

    fn field(&mut self) -> Result<FieldEntry, SchemaDecodeError> {
        Ok(FieldEntry {
            name: self.str()?,
            ty: self.str()?,
            fingerprint: self.u64()?,
            offset: self.u64()?,
            size: self.u64()?,
        })
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Names come from `#[psyne::message]` (identifiers, types, short
    // names); longer ones are cut at a character boundary rather than
    // producing a table the peer must reject.
    let mut end = s.len().min(MAX_STR);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out.extend_from_slice(&(end as u16).to_le_bytes());
    out.extend_from_slice(&s.as_bytes()[..end]);
}

fn put_field(out: &mut Vec<u8>, f: &FieldEntry) {
    put_str(out, &f.name);
    put_str(out, &f.ty);
    out.extend_from_slice(&f.fingerprint.to_le_bytes());
    out.extend_from_slice(&f.offset.to_le_bytes());
    out.extend_from_slice(&f.size.to_le_bytes());
}

impl SchemaTable {
    /// The encoded table (little-endian, self-describing, a few hundred
    /// bytes for a typical message).
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// let bytes = psyne::message::SchemaTable::from(u32::SCHEMA).encode();
    /// assert_eq!(&bytes[..4], b"PSCH");
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 48 * self.fields.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.fingerprint.to_le_bytes());
        out.extend_from_slice(&self.header_size.to_le_bytes());
        out.extend_from_slice(&self.align.to_le_bytes());
        put_str(&mut out, &self.name);
        let n = self.fields.len().min(MAX_FIELDS);
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for f in &self.fields[..n] {
            put_field(&mut out, f);
        }
        match &self.tail {
            Some(t) => {
                out.push(1);
                put_field(&mut out, t);
            }
            None => out.push(0),
        }
        out
    }

    /// Decodes a table from untrusted bytes: every length is checked, and
    /// the whole input must be one table.
    ///
    /// # Errors
    ///
    /// [`SchemaDecodeError`] saying where and what is wrong; never a panic
    /// and never an allocation beyond the input's size.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// use psyne::message::SchemaTable;
    /// let mut bytes = SchemaTable::from(f64::SCHEMA).encode();
    /// assert!(SchemaTable::decode(&bytes).is_ok());
    /// bytes.push(0);
    /// assert!(SchemaTable::decode(&bytes).is_err()); // trailing garbage
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, SchemaDecodeError> {
        let mut r = Reader { bytes, at: 0 };
        if r.array::<4>()? != MAGIC {
            return Err(SchemaDecodeError { at: 0, what: "not a psyne schema table" });
        }
        if r.u32()? != FORMAT {
            return r.fail("unknown schema table format");
        }
        let (version, id, fingerprint) = (r.u32()?, r.u32()?, r.u64()?);
        let (header_size, align) = (r.u64()?, r.u64()?);
        let name = r.str()?;
        let n = usize::from(r.u16()?);
        if n > MAX_FIELDS {
            return r.fail("more than 1024 fields");
        }
        // Each field takes at least 28 bytes, so `n` is bounded by the
        // input before anything is allocated for it.
        if n.saturating_mul(28) > bytes.len() {
            return r.fail("truncated");
        }
        let fields = (0..n).map(|_| r.field()).collect::<Result<Vec<_>, _>>()?;
        let tail = match r.u8()? {
            0 => None,
            1 => Some(r.field()?),
            _ => return r.fail("bad trailing-array flag"),
        };
        if r.at != bytes.len() {
            return r.fail("bytes after the table");
        }
        Ok(Self { name, version, id, fingerprint, header_size, align, fields, tail })
    }

    /// The schema name.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(psyne::message::SchemaTable::from(u8::SCHEMA).name(), "u8");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fingerprint.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert_eq!(psyne::message::SchemaTable::from(u8::SCHEMA).fingerprint(), u8::FINGERPRINT);
    /// ```
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The fields of the sized part.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// assert!(psyne::message::SchemaTable::from(u8::SCHEMA).fields().is_empty());
    /// ```
    pub fn fields(&self) -> &[FieldEntry] {
        &self.fields
    }

    /// The short identity, for errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// let id = psyne::message::SchemaTable::from(u16::SCHEMA).schema_id();
    /// assert_eq!(id.name(), "u16");
    /// ```
    pub fn schema_id(&self) -> super::SchemaId {
        super::SchemaId::new(self.name.clone(), self.version, self.fingerprint)
    }

    /// What first differs between this table and `other`, in words, or
    /// `None` if they describe the same message.
    ///
    /// # Examples
    ///
    /// ```
    /// use psyne::Message;
    /// use psyne::message::SchemaTable;
    /// let diff = SchemaTable::from(u32::SCHEMA).first_difference(&SchemaTable::from(i32::SCHEMA));
    /// assert_eq!(diff.as_deref(), Some("name: `u32` here, `i32` there"));
    /// ```
    pub fn first_difference(&self, other: &SchemaTable) -> Option<String> {
        if self.name != other.name {
            return Some(format!("name: `{}` here, `{}` there", self.name, other.name));
        }
        if self.version != other.version {
            return Some(format!("version: {} here, {} there", self.version, other.version));
        }
        for (i, (a, b)) in self.fields.iter().zip(&other.fields).enumerate() {
            if a != b {
                return Some(format!(
                    "field {i}: `{}: {}` at offset {} here, `{}: {}` at offset {} there",
                    a.name, a.ty, a.offset, b.name, b.ty, b.offset
                ));
            }
        }
        if self.fields.len() != other.fields.len() {
            return Some(format!(
                "{} fields here, {} there",
                self.fields.len(),
                other.fields.len()
            ));
        }
        match (&self.tail, &other.tail) {
            (Some(a), Some(b)) if a != b => Some(format!(
                "trailing array: `[{}]` ({} bytes) here, `[{}]` ({} bytes) there",
                a.ty, a.size, b.ty, b.size
            )),
            (Some(a), None) => Some(format!("trailing array `[{}]` here, none there", a.ty)),
            (None, Some(b)) => Some(format!("no trailing array here, `[{}]` there", b.ty)),
            _ if self.fingerprint != other.fingerprint => Some(format!(
                "fingerprint: {:#018x} here, {:#018x} there",
                self.fingerprint, other.fingerprint
            )),
            _ => None,
        }
    }
}
