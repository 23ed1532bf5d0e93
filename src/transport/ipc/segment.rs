//! The layout of an `ipc://` channel's shared memory, and the checks a
//! connecting process runs on it before it trusts one byte.
//!
//! ```text
//! 0        Header: magic, layout version, pattern, options, geometry,
//!          offsets, schema fingerprint          (read once, then copied)
//! 4096     Control: handle counts, wake-up words, arena lock and cursors,
//!          the table of attached processes      (atomics only)
//! cursors  the ring's cursors (claims, takes, the end of the consumer's
//!          run, where the producer's epoch of hot slots started) and
//!          waiting bits
//! descs    the ring's descriptors (`Layout`: one per line, or packed)
//! schema   the message's schema table (`SchemaTable::encode`)
//! data     the records, page-aligned
//! ```
//!
//! Everything a peer could have written is validated: the header once, at
//! connect time (and copied, so later scribbles do not matter); offsets and
//! lengths of records as they are taken (see the receiver).

use std::fmt;
use std::mem::{align_of, offset_of, size_of};
use std::ptr::NonNull;

use crossbeam_utils::CachePadded;

use crate::channel::shared::{Geometry, MAX_DESCS, RecordLayout};
use crate::channel::stats::Counters;
use crate::region::shm::ShmRegion;
use crate::ring::{
    Cursors, DescLine, Handles, Layout, MAX_OWNERS, PAYLOAD_ALIGN, Ring, SharedArena,
};
use crate::sync::{AtomicU64, AtomicUsize};
use crate::wait::shared::WakeWords;

/// First bytes of every segment.
pub(crate) const MAGIC: [u8; 8] = *b"PSYNEIPC";
/// Version of this layout; a peer with another one is refused. Version 2:
/// waiting bits beside the cursors instead of a wait bit per descriptor.
/// Version 3: the channel's counters in the control block. Version 4: the
/// counters' `voids`; a single producer or consumer of a fixed-size ring
/// no longer counts its messages (its cursor does). Version 5: the
/// counters' `held`. Version 6: the only producer and the only consumer
/// (where producers never take) record no owners; reapers find their
/// records from the cursors. Version 7: runs committed with one word
/// (the flag bit 0b01 of a sequence word, the cursors' `run_end`).
/// Version 8: packed descriptors and hot payload slots for busy-spinning
/// channels with one producer and one consumer (the header's `PACKED`, a
/// third flag bit of sequence words, so tags start at bit 3, and the
/// cursors' `epoch`). Version 9: runs released with one store (the
/// cursors' `freed`).
pub(crate) const LAYOUT_VERSION: u32 = 9;

const PAGE: usize = 4096;
/// Longest schema table a segment may carry (psyne's own are a few hundred
/// bytes); bounds what a reader allocates for it.
const MAX_SCHEMA: u64 = 64 << 10;

/// Header flag: variable-size records (an arena).
const VARIABLE: u32 = 1;
/// Header flag: waiters may sleep, so commits and releases look for them.
const PARKS: u32 = 2;
/// Header flag: consumers advance `head` by CAS (several consumers, or an
/// overwrite-oldest producer).
const TAKE_MULTI: u32 = 4;
/// Header flag: the descriptors are packed and the ring has hot payload
/// slots (`Layout::Packed`): a busy-spinning channel with one producer and
/// one consumer of fixed-size records.
const PACKED: u32 = 8;

/// The immutable part of the segment, written by the binder before any peer
/// sees it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) magic: [u8; 8],
    pub(crate) layout_version: u32,
    /// Index into [`PATTERNS`].
    pub(crate) pattern: u32,
    pub(crate) flags: u32,
    _pad: u32,
    pub(crate) fingerprint: u64,
    pub(crate) total: u64,
    pub(crate) descs: u64,
    /// Fixed size: record stride; variable size: arena bytes.
    pub(crate) record: u64,
    /// Fixed size: message size; variable size: 0.
    pub(crate) msg_size: u64,
    pub(crate) cursors_off: u64,
    pub(crate) descs_off: u64,
    pub(crate) schema_off: u64,
    pub(crate) schema_len: u64,
    pub(crate) data_off: u64,
    pub(crate) data_len: u64,
}

/// One attached process.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct PeerSlot {
    /// 0 when free, else `pid << 2 | state`.
    pub(crate) word: AtomicU64,
    /// The process's start time (clock ticks after boot, from
    /// `/proc/<pid>/stat`), to tell it from a later process with its pid.
    pub(crate) start: AtomicU64,
    /// `HOLDS_SENDERS | HOLDS_RECEIVERS` bits.
    pub(crate) held: AtomicUsize,
    _pad: AtomicU64,
}

/// Slot state: being filled in by its process.
pub(crate) const SLOT_JOINING: u64 = 1;
/// Slot state: the process is attached.
pub(crate) const SLOT_ALIVE: u64 = 2;
/// Slot state: a reaper is giving back what the dead process held.
pub(crate) const SLOT_REAPING: u64 = 3;

/// The mutable part: atomics only.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) senders: Handles,
    pub(crate) receivers: Handles,
    pub(crate) wake: CachePadded<WakeWords>,
    /// Set once any process found the ring corrupt.
    pub(crate) corrupt: CachePadded<AtomicUsize>,
    pub(crate) arena: CachePadded<SharedArena>,
    /// The channel's counters, kept by every process's handles.
    pub(crate) stats: Counters,
    pub(crate) peers: [PeerSlot; MAX_OWNERS],
}

/// The channel patterns, by their header index.
pub(crate) const PATTERNS: [&str; 4] = ["spsc", "mpsc", "spmc", "mpmc"];

/// Why a segment cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Not a psyne segment, or one of another layout version.
    Foreign { magic: [u8; 8], version: u32 },
    /// The header contradicts itself or the mapping.
    Corrupt(&'static str),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Foreign { magic, version } => write!(
                f,
                "the shared region is not a psyne channel of layout version {LAYOUT_VERSION} \
                 (magic {magic:02x?}, version {version}); are both sides built with the same \
                 psyne?"
            ),
            Self::Corrupt(what) => write!(f, "the shared region's header is corrupt: {what}"),
        }
    }
}

/// What the binder decides, besides the geometry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) pattern: u32,
    pub(crate) parks: bool,
    pub(crate) take_multi: bool,
    /// The ring's descriptors are packed (see [`Layout`]).
    pub(crate) packed: bool,
    pub(crate) fingerprint: u64,
}

impl Header {
    /// The header of a new segment for `geometry`, with a schema table of
    /// `schema_len` bytes. `None` if the sizes overflow.
    pub(crate) fn new(geometry: &Geometry, options: Options, schema_len: usize) -> Option<Self> {
        let descs = geometry.descs;
        let (flags, record, msg_size) = match geometry.layout {
            RecordLayout::Fixed { stride, size } => (0, stride as u64, size as u64),
            RecordLayout::Variable { arena } => (VARIABLE, arena, 0),
        };
        let flags = flags
            | if options.parks { PARKS } else { 0 }
            | if options.take_multi { TAKE_MULTI } else { 0 }
            | if options.packed { PACKED } else { 0 };
        let layout = if options.packed { Layout::Packed } else { Layout::Spread };
        let control_off = PAGE as u64;
        let cursors_off = (control_off + size_of::<Control>() as u64)
            .checked_next_multiple_of(align_of::<Cursors>() as u64)?;
        let descs_off = (cursors_off + size_of::<Cursors>() as u64)
            .checked_next_multiple_of(align_of::<DescLine>() as u64)?;
        let schema_off = descs_off.checked_add(Ring::desc_bytes(descs as usize, layout) as u64)?;
        let data_off =
            schema_off.checked_add(schema_len as u64)?.checked_next_multiple_of(PAGE as u64)?;
        if schema_len as u64 > MAX_SCHEMA {
            return None;
        }
        let data_len = geometry.bytes as u64;
        let total = data_off.checked_add(data_len)?;
        (total <= isize::MAX as u64).then_some(Self {
            magic: MAGIC,
            layout_version: LAYOUT_VERSION,
            pattern: options.pattern,
            flags,
            _pad: 0,
            fingerprint: options.fingerprint,
            total,
            descs,
            record,
            msg_size,
            cursors_off,
            descs_off,
            schema_off,
            schema_len: schema_len as u64,
            data_off,
            data_len,
        })
    }

    /// Whether waiters park (see [`PARKS`]).
    pub(crate) fn parks(&self) -> bool {
        self.flags & PARKS != 0
    }

    /// Whether the pattern has several producers (`mpsc`, `mpmc`).
    pub(crate) fn multi_producer(&self) -> bool {
        matches!(PATTERNS.get(self.pattern as usize), Some(&("mpsc" | "mpmc")))
    }

    /// Whether the pattern has several consumers (`spmc`, `mpmc`).
    pub(crate) fn multi_consumer(&self) -> bool {
        matches!(PATTERNS.get(self.pattern as usize), Some(&("spmc" | "mpmc")))
    }

    /// Whether consumers take by CAS (see [`TAKE_MULTI`]).
    pub(crate) fn take_multi(&self) -> bool {
        self.flags & TAKE_MULTI != 0
    }

    /// How the ring's descriptors lie.
    pub(crate) fn layout(&self) -> Layout {
        if self.flags & PACKED != 0 { Layout::Packed } else { Layout::Spread }
    }

    /// The geometry the header describes (after [`check`](Self::check)).
    pub(crate) fn geometry(&self) -> Geometry {
        let layout = if self.flags & VARIABLE != 0 {
            RecordLayout::Variable { arena: self.record }
        } else {
            RecordLayout::Fixed { stride: self.record as usize, size: self.msg_size as usize }
        };
        Geometry { layout, descs: self.descs, bytes: self.data_len as usize }
    }

    /// Checks everything a reader relies on against itself and the mapping
    /// of `len` bytes.
    pub(crate) fn check(&self, len: usize) -> Result<(), Invalid> {
        use Invalid::Corrupt;
        if self.magic != MAGIC || self.layout_version != LAYOUT_VERSION {
            return Err(Invalid::Foreign { magic: self.magic, version: self.layout_version });
        }
        if self.total != len as u64 {
            return Err(Corrupt("its size disagrees with the region's"));
        }
        if self.pattern as usize >= PATTERNS.len() {
            return Err(Corrupt("unknown pattern"));
        }
        if self.flags & !(VARIABLE | PARKS | TAKE_MULTI | PACKED) != 0 {
            return Err(Corrupt("unknown flags"));
        }
        if self.layout() == Layout::Packed {
            let sole = !self.multi_producer() && !self.multi_consumer() && !self.take_multi();
            if !sole || self.parks() || self.flags & VARIABLE != 0 {
                // Hot slots need one producer and one consumer of fixed-size
                // records; packed words, commits that look for no sleeper.
                return Err(Corrupt("packed descriptors for a channel that cannot have them"));
            }
        }
        if self.multi_consumer() && !self.take_multi() {
            // Consumers would take with plain stores, and a reaper would
            // take a dead one for the only one.
            return Err(Corrupt("several consumers that do not take by CAS"));
        }
        if self.descs == 0 {
            return Err(Corrupt("no descriptors"));
        }
        let pa = PAYLOAD_ALIGN as u64;
        if self.flags & VARIABLE != 0 {
            if self.record == 0 || !self.record.is_multiple_of(pa) || self.data_len != self.record {
                return Err(Corrupt("arena size"));
            }
            if self.descs > MAX_DESCS || self.msg_size != 0 {
                return Err(Corrupt("variable-size geometry"));
            }
        } else {
            let fits = self.msg_size <= self.record
                && self.record.is_multiple_of(pa)
                && self.record > 0
                && self.descs.checked_mul(self.record) == Some(self.data_len);
            if !fits {
                return Err(Corrupt("fixed-size geometry"));
            }
        }
        // The offsets the binder would have computed, and nothing else.
        let geometry = self.geometry();
        let options = Options {
            pattern: self.pattern,
            parks: self.parks(),
            take_multi: self.take_multi(),
            packed: self.layout() == Layout::Packed,
            fingerprint: self.fingerprint,
        };
        if self.schema_len > MAX_SCHEMA {
            return Err(Corrupt("schema table longer than 64 KiB"));
        }
        let schema_len = self.schema_len as usize;
        if Self::new(&geometry, options, schema_len).as_ref() != Some(self) {
            return Err(Corrupt("offsets"));
        }
        Ok(())
    }
}

/// A mapped segment whose header has been checked (or written): where its
/// parts are. Keeps the mapping alive.
#[derive(Debug)]
pub(crate) struct Segment {
    region: ShmRegion,
    pub(crate) header: Header,
}

// Layout facts the offsets above rely on.
const _: () = {
    assert!(size_of::<Header>() <= PAGE);
    assert!(align_of::<Control>() <= PAGE);
    assert!(offset_of!(Header, data_len) + 8 == size_of::<Header>());
};

impl Segment {
    /// Creates the segment of a new channel: sizes, header, control block,
    /// ring and schema table.
    pub(crate) fn create(
        name: &str,
        geometry: &Geometry,
        options: Options,
        schema: &[u8],
    ) -> std::io::Result<Self> {
        let header = Header::new(geometry, options, schema.len())
            .ok_or_else(|| std::io::Error::other("the channel is too large"))?;
        let region = ShmRegion::create(name, header.total as usize)?;
        let segment = Self { region, header };
        // SAFETY: the region is fresh and zeroed, `total` bytes long, and no
        // other process has it yet: plain writes race with nothing. The
        // header fits the first page, page-aligned.
        unsafe { segment.region.base().cast::<Header>().write(header) };
        let schema_at = segment.at(header.schema_off).as_ptr();
        // SAFETY: as above; `schema_off + schema.len()` is inside the region
        // (the header was sized for it), and `schema` is another allocation.
        unsafe { std::ptr::copy_nonoverlapping(schema.as_ptr(), schema_at, schema.len()) };
        // The handle counts start at zero (a zeroed `Handles`): the
        // creating process attaches like any other.
        Ok(segment)
    }

    /// Checks the header of a region received from a peer.
    pub(crate) fn open(region: ShmRegion) -> Result<Self, Invalid> {
        if region.len() < PAGE {
            return Err(Invalid::Corrupt("the region is smaller than a header"));
        }
        // SAFETY: the mapping holds at least one page and a `Header` of
        // plain integers is valid for any bytes. Volatile: another process
        // may write the bytes; the copy is checked before use.
        let header = unsafe { region.base().cast::<Header>().read_volatile() };
        header.check(region.len())?;
        Ok(Self { region, header })
    }

    /// The address `off` bytes into the region (`off` within it).
    pub(crate) fn at(&self, off: u64) -> NonNull<u8> {
        debug_assert!(off <= self.region.len() as u64);
        // SAFETY: every offset passed here comes from a checked header, so
        // it is inside the mapping.
        unsafe { self.region.base().add(off as usize) }
    }

    /// The control block.
    pub(crate) fn control(&self) -> &Control {
        // SAFETY: the control block lies at `PAGE`, page-aligned, inside
        // the region (the checked offsets put it before the cursors); it is
        // all atomics, valid for any bytes (zeroed at creation), and lives
        // as long as `self`.
        unsafe { self.at(PAGE as u64).cast::<Control>().as_ref() }
    }

    /// The ring, over this segment's cursors and descriptors.
    ///
    /// # Safety
    ///
    /// The ring must not outlive `self`. With `init`, nobody else uses the
    /// ring yet.
    pub(crate) unsafe fn ring(&self, init: bool) -> Ring {
        let cursors = self.at(self.header.cursors_off).cast::<Cursors>();
        let descs = self.at(self.header.descs_off).cast::<DescLine>();
        // SAFETY: the checked header puts both inside the region, aligned
        // for their types; the caller keeps `self` (and so the mapping)
        // alive; every process touches them only with atomics.
        unsafe { Ring::at(cursors, descs, self.header.descs as usize, self.header.layout(), init) }
    }

    /// The schema table bytes. Another process could change them; callers
    /// decode them with bounds checks.
    pub(crate) fn schema_bytes(&self) -> Vec<u8> {
        let mut out = vec![0; self.header.schema_len as usize];
        let from = self.at(self.header.schema_off);
        for (i, b) in out.iter_mut().enumerate() {
            // `schema_off + schema_len` is inside the region (checked header).
            let at = from.as_ptr().wrapping_add(i);
            // SAFETY: `at` is inside the mapping. Volatile: another process
            // may write the bytes.
            *b = unsafe { at.read_volatile() };
        }
        out
    }

    /// The first record byte.
    pub(crate) fn data(&self) -> NonNull<u8> {
        self.at(self.header.data_off)
    }

    /// The memfd, to hand to a peer.
    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.region.fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::shared::Size;

    fn options() -> Options {
        Options { pattern: 1, parks: true, take_multi: false, packed: false, fingerprint: 42 }
    }

    #[test]
    fn headers_check_against_themselves() {
        for size in [Size::Records(1), Size::Records(1000), Size::Bytes(1 << 20)] {
            let msg = matches!(size, Size::Records(_)).then_some((24, 8));
            let g = Geometry::new(size, msg, "t").unwrap();
            let h = Header::new(&g, options(), 100).unwrap();
            assert_eq!(h.check(h.total as usize), Ok(()));
            assert_eq!(h.geometry(), g);
            assert_eq!(h.data_off % PAGE as u64, 0);
            assert!(h.check(h.total as usize + 1).is_err());
        }
    }

    #[test]
    fn every_corruption_of_a_header_field_is_refused() {
        let g = Geometry::new(Size::Records(64), Some((24, 8)), "t").unwrap();
        let good = Header::new(&g, options(), 100).unwrap();
        let len = good.total as usize;
        let mut cases: Vec<Header> = Vec::new();
        let mut h = good;
        h.magic[0] ^= 1;
        cases.push(h);
        let mut h = good;
        h.layout_version += 1;
        cases.push(h);
        let mut h = good;
        h.pattern = 4;
        cases.push(h);
        let mut h = good;
        h.pattern = 3; // mpmc, without TAKE_MULTI
        cases.push(h);
        let mut h = good;
        h.flags |= 64;
        cases.push(h);
        // Packed descriptors where they cannot be: a sound packed spsc
        // header made to park, to take by CAS, to hold variable-size
        // records, or multi-producer.
        let packed = Options { pattern: 0, parks: false, packed: true, ..options() };
        let sound = Header::new(&g, packed, 100).unwrap();
        assert_eq!(sound.check(sound.total as usize), Ok(()), "a packed spsc header is sound");
        assert_eq!(sound.layout(), Layout::Packed);
        for flag in [PARKS, TAKE_MULTI, VARIABLE] {
            let mut h = sound;
            h.flags |= flag;
            assert!(h.check(h.total as usize).is_err(), "packed with flag {flag}");
        }
        let mut h = sound;
        h.pattern = 1; // mpsc
        assert!(h.check(h.total as usize).is_err(), "packed mpsc");
        fn field(h: &mut Header, i: usize) -> &mut u64 {
            match i {
                0 => &mut h.descs,
                1 => &mut h.record,
                2 => &mut h.msg_size,
                3 => &mut h.cursors_off,
                4 => &mut h.descs_off,
                5 => &mut h.schema_off,
                6 => &mut h.schema_len,
                7 => &mut h.data_off,
                8 => &mut h.data_len,
                _ => &mut h.total,
            }
        }
        for i in 0..10 {
            let before = *field(&mut good.clone(), i);
            for v in [0, 1, 63, u64::MAX, before + 64, before.wrapping_sub(64)] {
                let mut c = good;
                *field(&mut c, i) = v;
                // Consistent headers, caught elsewhere: a smaller message
                // size (zero-sized messages included) still fits the stride
                // (the connecting side checks its message's size); a shorter
                // schema table still ends before the data (its decoder
                // checks it).
                let same_page = good
                    .schema_off
                    .checked_add(v)
                    .is_some_and(|end| end.div_ceil(PAGE as u64) * PAGE as u64 == good.data_off);
                let benign = (i == 2 && v <= good.record) || (i == 6 && same_page);
                if v != before && !benign {
                    cases.push(c);
                }
            }
        }
        for (i, c) in cases.iter().enumerate() {
            assert!(c.check(len).is_err(), "case {i} passed: {c:?}");
        }
        assert!(Invalid::Corrupt("x").to_string().contains("corrupt"));
        let foreign = Invalid::Foreign { magic: [0; 8], version: 9 };
        assert!(foreign.to_string().contains("same psyne"), "{foreign}");
    }

    #[test]
    fn segments_round_trip_through_open() {
        let g = Geometry::new(Size::Bytes(1 << 16), None, "t").unwrap();
        let seg = Segment::create("seg-test", &g, options(), b"schema").unwrap();
        let fd = seg.fd().try_clone_to_owned().unwrap();
        let region = ShmRegion::open(fd, 1, 1 << 40).unwrap();
        let peer = Segment::open(region).unwrap();
        assert_eq!(peer.header, seg.header);
        assert_eq!(peer.schema_bytes(), b"schema");
        assert_eq!(peer.data().as_ptr() as usize % PAGE, 0);
    }
}
