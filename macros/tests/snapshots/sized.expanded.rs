#[repr(C)]
#[derive(Debug)]
#[derive(
    ::psyne::__private::zerocopy::FromBytes,
    ::psyne::__private::zerocopy::IntoBytes,
    ::psyne::__private::zerocopy::KnownLayout,
    ::psyne::__private::zerocopy::Immutable,
)]
#[zerocopy(crate = "::psyne::__private::zerocopy")]
pub struct Tick {
    pub ts_ns: u64,
    pub price: f64,
}
unsafe impl ::psyne::Message for Tick {
    const NAME: &'static ::core::primitive::str = "demo.Tick";
    const VERSION: ::core::primitive::u32 = 2u32;
    const ID: ::core::primitive::u32 = ::psyne::message::id_of("demo.Tick");
    const FINGERPRINT: ::core::primitive::u64 = ::psyne::message::Fingerprint::new()
        .str("message")
        .str("demo.Tick")
        .u64(2u32 as ::core::primitive::u64)
        .u64(2u64)
        .str("ts_ns")
        .u64(<u64 as ::psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::offset_of!(Tick, ts_ns) as ::core::primitive::u64)
        .u64(::core::mem::size_of::<u64>() as ::core::primitive::u64)
        .str("px")
        .u64(<f64 as ::psyne::message::Wire>::TYPE_FINGERPRINT)
        .u64(::core::mem::offset_of!(Tick, price) as ::core::primitive::u64)
        .u64(::core::mem::size_of::<f64>() as ::core::primitive::u64)
        .u64(18446744073709551615u64)
        .u64((0usize) as ::core::primitive::u64)
        .finish();
    const SCHEMA: &'static ::psyne::message::Schema = &::psyne::message::Schema::new(
        "demo.Tick",
        2u32,
        <Tick as ::psyne::Message>::ID,
        <Tick as ::psyne::Message>::FINGERPRINT,
        <Tick as ::psyne::Message>::HEADER_SIZE,
        <Tick as ::psyne::Message>::ALIGN,
        &[
            ::psyne::message::Field::new(
                "ts_ns",
                "u64",
                <u64 as ::psyne::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(Tick, ts_ns),
                ::core::mem::size_of::<u64>(),
            ),
            ::psyne::message::Field::new(
                "px",
                "f64",
                <f64 as ::psyne::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(Tick, price),
                ::core::mem::size_of::<f64>(),
            ),
        ],
        ::core::option::Option::None,
    );
    const HEADER_SIZE: ::core::primitive::usize = ::core::mem::size_of::<Tick>();
    const ALIGN: ::core::primitive::usize = ::core::mem::align_of::<Tick>();
    const MAX_ELEMS: ::core::primitive::usize = 0usize;
    type Elem = ();
}
unsafe impl ::psyne::message::Wire for Tick {
    const TYPE_FINGERPRINT: ::core::primitive::u64 = <Tick as ::psyne::Message>::FINGERPRINT;
}
const _: () = {
    const __PSYNE_ALIGN: ::core::primitive::usize = ::core::mem::align_of::<Tick>();
    const __PSYNE_HEADER_SIZE: ::core::primitive::usize = ::core::mem::size_of::<Tick>();
    const __PSYNE_FIELD_BYTES: ::core::primitive::usize = 0usize
        + ::core::mem::size_of::<u64>() + ::core::mem::size_of::<f64>();
    ::psyne::__private::assert_wire::<u64>();
    ::psyne::__private::assert_wire::<f64>();
    ::psyne::__private::assert_no_padding::<
        Tick,
        { __PSYNE_HEADER_SIZE - __PSYNE_FIELD_BYTES },
    >();
    ::psyne::__private::assert_align::<
        Tick,
        __PSYNE_ALIGN,
        { __PSYNE_ALIGN <= ::psyne::message::MAX_ALIGN },
    >();
    ::psyne::__private::assert_header::<
        Tick,
        __PSYNE_HEADER_SIZE,
        { __PSYNE_HEADER_SIZE <= ::psyne::message::MAX_INLINE },
    >();
    ::core::assert!(
        ::core::cfg!(target_endian = "little"),
        "psyne messages need a little-endian target"
    );
};
#[allow(dead_code)]
impl Tick {
    /// A checked view of the first bytes of `bytes` as this message.
    ///
    /// # Errors
    ///
    /// `ViewError::Misaligned` or `ViewError::TooShort` if the bytes
    /// cannot hold it, `ViewError::Invalid` if its `validate` hook
    /// rejects it.
    pub fn view(
        bytes: &[::core::primitive::u8],
    ) -> ::core::result::Result<&Self, ::psyne::message::ViewError> {
        ::psyne::message::view::<Self>(bytes, 0)
    }
    /// A checked mutable view of the first bytes of `bytes`.
    ///
    /// # Errors
    ///
    /// As `view`.
    pub fn view_mut(
        bytes: &mut [::core::primitive::u8],
    ) -> ::core::result::Result<&mut Self, ::psyne::message::ViewError> {
        ::psyne::message::view_mut::<Self>(bytes, 0)
    }
}
