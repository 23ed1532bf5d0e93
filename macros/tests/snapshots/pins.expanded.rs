#[repr(C)]
#[derive(
    my_psyne::__private::zerocopy::FromBytes,
    my_psyne::__private::zerocopy::IntoBytes,
    my_psyne::__private::zerocopy::KnownLayout,
    my_psyne::__private::zerocopy::Immutable,
)]
#[zerocopy(crate = "my_psyne::__private::zerocopy")]
struct Pinned {
    a: u32,
    b: u32,
}
unsafe impl my_psyne::Message for Pinned {
    const NAME: &'static ::core::primitive::str = "Pinned";
    const VERSION: ::core::primitive::u32 = 0u32;
    const ID: ::core::primitive::u32 = 7u32;
    const FINGERPRINT: ::core::primitive::u64 = my_psyne::message::Fingerprint::new()
        .str("message")
        .str("Pinned")
        .u64(0u32 as ::core::primitive::u64)
        .u64(2u64)
        .str("a")
        .u64(<u32 as my_psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::offset_of!(Pinned, a) as ::core::primitive::u64)
        .u64(::core::mem::size_of::<u32>() as ::core::primitive::u64)
        .str("b")
        .u64(<u32 as my_psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::offset_of!(Pinned, b) as ::core::primitive::u64)
        .u64(::core::mem::size_of::<u32>() as ::core::primitive::u64)
        .u64(18446744073709551615u64)
        .u64((0usize) as ::core::primitive::u64)
        .finish();
    const SCHEMA: &'static my_psyne::message::Schema = &my_psyne::message::Schema::new(
        "Pinned",
        0u32,
        <Pinned as my_psyne::Message>::ID,
        <Pinned as my_psyne::Message>::FINGERPRINT,
        <Pinned as my_psyne::Message>::HEADER_SIZE,
        <Pinned as my_psyne::Message>::ALIGN,
        &[
            my_psyne::message::Field::new(
                "a",
                "u32",
                <u32 as my_psyne::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(Pinned, a),
                ::core::mem::size_of::<u32>(),
            ),
            my_psyne::message::Field::new(
                "b",
                "u32",
                <u32 as my_psyne::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(Pinned, b),
                ::core::mem::size_of::<u32>(),
            ),
        ],
        ::core::option::Option::None,
    );
    const HEADER_SIZE: ::core::primitive::usize = ::core::mem::size_of::<Pinned>();
    const ALIGN: ::core::primitive::usize = ::core::mem::align_of::<Pinned>();
    const MAX_ELEMS: ::core::primitive::usize = 0usize;
    type Elem = ();
}
unsafe impl my_psyne::message::Wire for Pinned {
    const TYPE_FINGERPRINT: ::core::primitive::u64 = <Pinned as my_psyne::Message>::FINGERPRINT;
}
const _: () = {
    const __PSYNE_ALIGN: ::core::primitive::usize = ::core::mem::align_of::<Pinned>();
    const __PSYNE_HEADER_SIZE: ::core::primitive::usize = ::core::mem::size_of::<
        Pinned,
    >();
    const __PSYNE_FIELD_BYTES: ::core::primitive::usize = 0usize
        + ::core::mem::size_of::<u32>() + ::core::mem::size_of::<u32>();
    my_psyne::__private::assert_wire::<u32>();
    my_psyne::__private::assert_wire::<u32>();
    my_psyne::__private::assert_offset::<
        Pinned,
        4usize,
        { ::core::mem::offset_of!(Pinned, b) },
    >();
    my_psyne::__private::assert_no_padding::<
        Pinned,
        { __PSYNE_HEADER_SIZE - __PSYNE_FIELD_BYTES },
    >();
    my_psyne::__private::assert_align::<
        Pinned,
        __PSYNE_ALIGN,
        { __PSYNE_ALIGN <= my_psyne::message::MAX_ALIGN },
    >();
    my_psyne::__private::assert_header::<
        Pinned,
        __PSYNE_HEADER_SIZE,
        { __PSYNE_HEADER_SIZE <= my_psyne::message::MAX_INLINE },
    >();
    my_psyne::__private::assert_size::<Pinned, 8usize, __PSYNE_HEADER_SIZE>();
    my_psyne::__private::assert_fingerprint::<
        Pinned,
        4660u64,
        { <Pinned as my_psyne::Message>::FINGERPRINT },
    >();
    ::core::assert!(
        ::core::cfg!(target_endian = "little"),
        "psyne messages need a little-endian target"
    );
};
#[allow(dead_code)]
impl Pinned {
    /// A checked view of the first bytes of `bytes` as this message.
    ///
    /// # Errors
    ///
    /// `ViewError::Misaligned` or `ViewError::TooShort` if the bytes
    /// cannot hold it, `ViewError::Invalid` if its `validate` hook
    /// rejects it.
    fn view(
        bytes: &[::core::primitive::u8],
    ) -> ::core::result::Result<&Self, my_psyne::message::ViewError> {
        my_psyne::message::view::<Self>(bytes, 0)
    }
    /// A checked mutable view of the first bytes of `bytes`.
    ///
    /// # Errors
    ///
    /// As `view`.
    fn view_mut(
        bytes: &mut [::core::primitive::u8],
    ) -> ::core::result::Result<&mut Self, my_psyne::message::ViewError> {
        my_psyne::message::view_mut::<Self>(bytes, 0)
    }
}
