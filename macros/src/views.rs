//! Code generation: checked views, and the header twin of a message with a
//! trailing array.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::expand::{Model, zerocopy_derives};

pub(crate) fn generate(model: &Model) -> TokenStream {
    match &model.tail {
        None => sized(model),
        Some(_) => trailing(model),
    }
}

fn sized(model: &Model) -> TokenStream {
    let Model { ident, vis, krate, .. } = model;
    let err = quote!(#krate::message::ViewError);
    quote! {
        #[allow(dead_code)]
        impl #ident {
            /// A checked view of the first bytes of `bytes` as this message.
            ///
            /// # Errors
            ///
            /// `ViewError::Misaligned` or `ViewError::TooShort` if the bytes
            /// cannot hold it, `ViewError::Invalid` if its `validate` hook
            /// rejects it.
            #vis fn view(bytes: &[::core::primitive::u8]) -> ::core::result::Result<&Self, #err> {
                #krate::message::view::<Self>(bytes, 0)
            }

            /// A checked mutable view of the first bytes of `bytes`.
            ///
            /// # Errors
            ///
            /// As `view`.
            #vis fn view_mut(bytes: &mut [::core::primitive::u8]) -> ::core::result::Result<&mut Self, #err> {
                #krate::message::view_mut::<Self>(bytes, 0)
            }
        }
    }
}

fn trailing(model: &Model) -> TokenStream {
    let Model { ident, vis, krate, .. } = model;
    let (tail, elem) = model.tail.as_ref().expect("trailing() is called for a trailing array");
    let err = quote!(#krate::message::ViewError);
    let header = model.container.header.clone().unwrap_or_else(|| format_ident!("{}Header", ident));
    let header_doc = format!(
        "The sized header of [`{ident}`]: every field but the trailing array, at the same \
         offsets. Read it before the element count is trusted, or upload it on its own."
    );
    let fields = model.fields.iter().map(|f| {
        let (fvis, name, ty) = (&f.vis, &f.ident, &f.ty);
        let attrs = f.attrs.iter();
        quote!(#(#attrs)* #fvis #name: #ty)
    });
    let offset_checks = model.fields.iter().map(|f| {
        let name = &f.ident;
        quote! {
            ::core::assert!(
                ::core::mem::offset_of!(#header, #name) == ::core::mem::offset_of!(#ident, #name),
                "psyne internal error: a header twin's field moved"
            );
        }
    });
    let zc = zerocopy_derives(krate);
    let twin_attrs = &model.twin_attrs;
    let p = quote!(#krate::__private);
    quote! {
        #[doc = #header_doc]
        #[repr(C)]
        #[allow(dead_code)]
        #(#twin_attrs)*
        #(#zc)*
        #vis struct #header {
            #(#fields),*
        }

        const _: () = {
            #(#offset_checks)*
            ::core::assert!(
                ::core::mem::size_of::<#header>() == <#ident as #krate::Message>::HEADER_SIZE,
                "psyne internal error: a header twin's size differs"
            );
        };

        #[allow(dead_code)]
        impl #ident {
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
            #vis fn view(bytes: &[::core::primitive::u8], elems: ::core::primitive::usize) -> ::core::result::Result<&Self, #err> {
                #krate::message::view::<Self>(bytes, elems)
            }

            /// A checked mutable view; see `view`.
            ///
            /// # Errors
            ///
            /// As `view`.
            #vis fn view_mut(
                bytes: &mut [::core::primitive::u8],
                elems: ::core::primitive::usize,
            ) -> ::core::result::Result<&mut Self, #err> {
                #krate::message::view_mut::<Self>(bytes, elems)
            }

            /// Zero-fills the first `byte_len(elems)` bytes of `bytes`,
            /// writes the `len` field (if any) and returns the message for
            /// writing.
            ///
            /// # Errors
            ///
            /// As `view`, except `LenMismatch` and `Invalid`.
            #vis fn init_in(
                bytes: &mut [::core::primitive::u8],
                elems: ::core::primitive::usize,
            ) -> ::core::result::Result<&mut Self, #err> {
                #krate::message::init_in::<Self>(bytes, elems)
            }

            /// Size in bytes of this message with `elems` trailing elements
            /// (saturating at `usize::MAX`).
            #vis const fn byte_len(elems: ::core::primitive::usize) -> ::core::primitive::usize {
                let tail = elems.saturating_mul(::core::mem::size_of::<#elem>());
                <Self as #krate::Message>::HEADER_SIZE.saturating_add(tail)
            }

            /// The number of trailing elements.
            #vis fn elems(&self) -> ::core::primitive::usize {
                self.#tail.len()
            }

            /// The sized header, in place.
            #vis fn header(&self) -> &#header {
                #p::header::<Self, #header>(self)
            }

            /// The sized header, in place, for writing.
            #vis fn header_mut(&mut self) -> &mut #header {
                #p::header_mut::<Self, #header>(self)
            }
        }
    }
}
