#[repr(C)]
#[derive(
    ::psyne::__private::zerocopy::FromBytes,
    ::psyne::__private::zerocopy::IntoBytes,
    ::psyne::__private::zerocopy::KnownLayout,
    ::psyne::__private::zerocopy::Immutable,
)]
#[zerocopy(crate = "::psyne::__private::zerocopy")]
pub struct Embedding {
    /// Batch index.
    pub batch: u32,
    pub len: u32,
    pub data: [f32],
}
unsafe impl ::psyne::Message for Embedding {
    const NAME: &'static ::core::primitive::str = "ml.Embedding";
    const VERSION: ::core::primitive::u32 = 1u32;
    const ID: ::core::primitive::u32 = ::psyne::message::id_of("ml.Embedding");
    const FINGERPRINT: ::core::primitive::u64 = ::psyne::message::Fingerprint::new()
        .str("message")
        .str("ml.Embedding")
        .u64(1u32 as ::core::primitive::u64)
        .u64(2u64)
        .str("batch")
        .u64(<u32 as ::psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::offset_of!(Embedding, batch) as ::core::primitive::u64)
        .u64(::core::mem::size_of::<u32>() as ::core::primitive::u64)
        .str("len")
        .u64(<u32 as ::psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::offset_of!(Embedding, len) as ::core::primitive::u64)
        .u64(::core::mem::size_of::<u32>() as ::core::primitive::u64)
        .str("tail")
        .u64(<f32 as ::psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::size_of::<f32>() as ::core::primitive::u64)
        .u64(1u64)
        .u64(
            (::psyne::__private::min_of(
                &[
                    1024u64 as ::core::primitive::usize,
                    <u32>::MAX as ::core::primitive::usize,
                ],
            )) as ::core::primitive::u64,
        )
        .finish();
    const SCHEMA: &'static ::psyne::message::Schema = &::psyne::message::Schema::new(
        "ml.Embedding",
        1u32,
        <Embedding as ::psyne::Message>::ID,
        <Embedding as ::psyne::Message>::FINGERPRINT,
        <Embedding as ::psyne::Message>::HEADER_SIZE,
        <Embedding as ::psyne::Message>::ALIGN,
        &[
            ::psyne::message::Field::new(
                "batch",
                "u32",
                <u32 as ::psyne::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(Embedding, batch),
                ::core::mem::size_of::<u32>(),
            ),
            ::psyne::message::Field::new(
                "len",
                "u32",
                <u32 as ::psyne::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(Embedding, len),
                ::core::mem::size_of::<u32>(),
            ),
        ],
        ::core::option::Option::Some(
            ::psyne::message::Field::new(
                "data",
                "f32",
                <f32 as ::psyne::message::Wire>::TYPE_FINGERPRINT,
                <Embedding as ::psyne::Message>::HEADER_SIZE,
                ::core::mem::size_of::<f32>(),
            ),
        ),
    );
    const HEADER_SIZE: ::core::primitive::usize = ::core::mem::offset_of!(Embedding, len)
        + ::core::mem::size_of::<u32>();
    const ALIGN: ::core::primitive::usize = ::psyne::__private::max_of(
        &[
            ::core::mem::align_of::<f32>(),
            ::core::mem::align_of::<u32>(),
            ::core::mem::align_of::<u32>(),
        ],
    );
    const MAX_ELEMS: ::core::primitive::usize = ::psyne::__private::min_of(
        &[1024u64 as ::core::primitive::usize, <u32>::MAX as ::core::primitive::usize],
    );
    type Elem = f32;
    #[inline]
    fn __init_len(&mut self, __psyne_elems: ::core::primitive::usize) {
        self.len = __psyne_elems as u32;
    }
    #[inline]
    fn __check(
        &self,
        __psyne_elems: ::core::primitive::usize,
    ) -> ::core::result::Result<(), ::psyne::message::ViewError> {
        if self.len as ::core::primitive::u64 != __psyne_elems as ::core::primitive::u64
        {
            return ::core::result::Result::Err(::psyne::message::ViewError::LenMismatch {
                field: self.len as ::core::primitive::u64,
                frame: __psyne_elems as ::core::primitive::u64,
            });
        }
        ::psyne::__private::Validation::into_view_result(
            (check)(self),
            "the `validate` hook `check` rejected the message",
        )?;
        ::core::result::Result::Ok(())
    }
}
const _: () = {
    const __PSYNE_ALIGN: ::core::primitive::usize = ::psyne::__private::max_of(
        &[
            ::core::mem::align_of::<f32>(),
            ::core::mem::align_of::<u32>(),
            ::core::mem::align_of::<u32>(),
        ],
    );
    const __PSYNE_HEADER_SIZE: ::core::primitive::usize = ::core::mem::offset_of!(
        Embedding, len
    ) + ::core::mem::size_of::<u32>();
    const __PSYNE_FIELD_BYTES: ::core::primitive::usize = 0usize
        + ::core::mem::size_of::<u32>() + ::core::mem::size_of::<u32>();
    ::psyne::__private::assert_wire::<u32>();
    ::psyne::__private::assert_wire::<u32>();
    ::psyne::__private::assert_len_field::<u32>();
    ::psyne::__private::assert_no_padding::<
        Embedding,
        { __PSYNE_HEADER_SIZE - __PSYNE_FIELD_BYTES },
    >();
    ::psyne::__private::assert_wire::<f32>();
    ::psyne::__private::assert_tail::<
        Embedding,
        f32,
        { ::core::mem::size_of::<f32>() },
        __PSYNE_ALIGN,
        {
            ::core::mem::size_of::<f32>().is_multiple_of(__PSYNE_ALIGN)
                && __PSYNE_HEADER_SIZE.is_multiple_of(__PSYNE_ALIGN)
        },
    >();
    ::psyne::__private::assert_align::<
        Embedding,
        __PSYNE_ALIGN,
        { __PSYNE_ALIGN <= ::psyne::message::MAX_ALIGN },
    >();
    ::psyne::__private::assert_header::<
        Embedding,
        __PSYNE_HEADER_SIZE,
        { __PSYNE_HEADER_SIZE <= ::psyne::message::MAX_INLINE },
    >();
    ::core::assert!(
        ::core::cfg!(target_endian = "little"),
        "psyne messages need a little-endian target"
    );
};
///The sized header of [`Embedding`]: every field but the trailing array, at the same offsets. Read it before the element count is trusted, or upload it on its own.
#[repr(C)]
#[allow(dead_code)]
#[derive(
    ::psyne::__private::zerocopy::FromBytes,
    ::psyne::__private::zerocopy::IntoBytes,
    ::psyne::__private::zerocopy::KnownLayout,
    ::psyne::__private::zerocopy::Immutable,
)]
#[zerocopy(crate = "::psyne::__private::zerocopy")]
pub struct EmbeddingHeader {
    /// Batch index.
    pub batch: u32,
    pub len: u32,
}
const _: () = {
    ::core::assert!(
        ::core::mem::offset_of!(EmbeddingHeader, batch) ==
        ::core::mem::offset_of!(Embedding, batch),
        "psyne internal error: a header twin's field moved"
    );
    ::core::assert!(
        ::core::mem::offset_of!(EmbeddingHeader, len) ==
        ::core::mem::offset_of!(Embedding, len),
        "psyne internal error: a header twin's field moved"
    );
    ::core::assert!(
        ::core::mem::size_of:: < EmbeddingHeader > () == < Embedding as ::psyne::Message
        > ::HEADER_SIZE, "psyne internal error: a header twin's size differs"
    );
};
#[allow(dead_code)]
impl Embedding {
    /// A checked view of the first bytes of `bytes` as this message
    /// with `elems` trailing elements.
    ///
    /// # Errors
    ///
    /// `ViewError::TooManyElems` past the message's bound,
    /// `ViewError::Misaligned` or `ViewError::TooShort` if the bytes
    /// cannot hold it, `ViewError::LenMismatch` if its `len` field
    /// disagrees with `elems`, `ViewError::Invalid` if its invariant
    /// does not hold.
    pub fn view(
        bytes: &[::core::primitive::u8],
        elems: ::core::primitive::usize,
    ) -> ::core::result::Result<&Self, ::psyne::message::ViewError> {
        ::psyne::message::view::<Self>(bytes, elems)
    }
    /// A checked mutable view; see `view`.
    ///
    /// # Errors
    ///
    /// As `view`.
    pub fn view_mut(
        bytes: &mut [::core::primitive::u8],
        elems: ::core::primitive::usize,
    ) -> ::core::result::Result<&mut Self, ::psyne::message::ViewError> {
        ::psyne::message::view_mut::<Self>(bytes, elems)
    }
    /// Zero-fills the first `byte_len(elems)` bytes of `bytes`,
    /// writes the `len` field (if any) and returns the message for
    /// writing.
    ///
    /// # Errors
    ///
    /// As `view`, except `LenMismatch` and `Invalid`.
    pub fn init_in(
        bytes: &mut [::core::primitive::u8],
        elems: ::core::primitive::usize,
    ) -> ::core::result::Result<&mut Self, ::psyne::message::ViewError> {
        ::psyne::message::init_in::<Self>(bytes, elems)
    }
    /// Size in bytes of this message with `elems` trailing elements
    /// (saturating at `usize::MAX`).
    pub const fn byte_len(elems: ::core::primitive::usize) -> ::core::primitive::usize {
        let tail = elems.saturating_mul(::core::mem::size_of::<f32>());
        <Self as ::psyne::Message>::HEADER_SIZE.saturating_add(tail)
    }
    /// The number of trailing elements.
    pub fn elems(&self) -> ::core::primitive::usize {
        self.data.len()
    }
    /// The sized header, in place.
    pub fn header(&self) -> &EmbeddingHeader {
        ::psyne::__private::header::<Self, EmbeddingHeader>(self)
    }
    /// The sized header, in place, for writing.
    pub fn header_mut(&mut self) -> &mut EmbeddingHeader {
        ::psyne::__private::header_mut::<Self, EmbeddingHeader>(self)
    }
}
