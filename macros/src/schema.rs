//! Code generation: the `Message` (and `Wire`) impls, the fingerprint and
//! the compile-time layout assertions.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::expand::{Model, type_string};

/// `size_of` of every header field, summed (`0usize` if none).
fn sum_of_sizes(model: &Model) -> TokenStream {
    let tys = model.fields.iter().map(|f| &f.ty);
    quote!(0usize #( + ::core::mem::size_of::<#tys>() )*)
}

/// Where the sized part ends: the end of its last field.
fn header_end(model: &Model) -> TokenStream {
    let ident = &model.ident;
    match model.fields.last() {
        Some(f) => {
            let (name, ty) = (&f.ident, &f.ty);
            quote!(::core::mem::offset_of!(#ident, #name) + ::core::mem::size_of::<#ty>())
        }
        None => quote!(0usize),
    }
}

/// The message's alignment as a const expression.
fn align(model: &Model) -> TokenStream {
    let Model { ident, krate, .. } = model;
    match &model.tail {
        None => quote!(::core::mem::align_of::<#ident>()),
        Some((_, elem)) => {
            let tys = model.fields.iter().map(|f| &f.ty);
            quote! {
                #krate::__private::max_of(&[
                    ::core::mem::align_of::<#elem>(),
                    #( ::core::mem::align_of::<#tys>() ),*
                ])
            }
        }
    }
}

pub(crate) fn message_impl(model: &Model) -> TokenStream {
    let Model { ident, krate, name, version, .. } = model;
    let id = match model.id {
        Some(id) => quote!(#id),
        None => quote!(#krate::message::id_of(#name)),
    };
    let n_fields = model.fields.len() as u64;
    let len_index = model.len.as_ref().map_or(u64::MAX, |(len, _)| {
        model.fields.iter().position(|f| f.ident == *len).map_or(u64::MAX, |i| i as u64)
    });
    let steps = model.fields.iter().map(|f| {
        let (field, ty, schema_name) = (&f.ident, &f.ty, &f.schema_name);
        quote! {
            .str(#schema_name)
            .u64(<#ty as #krate::message::Wire>::TYPE_FINGERPRINT)
            .u64(::core::mem::offset_of!(#ident, #field) as ::core::primitive::u64)
            .u64(::core::mem::size_of::<#ty>() as ::core::primitive::u64)
        }
    });
    let table = model.fields.iter().map(|f| {
        let (field, ty, schema_name) = (&f.ident, &f.ty, &f.schema_name);
        let ty_name = type_string(ty);
        quote! {
            #krate::message::Field::new(
                #schema_name,
                #ty_name,
                <#ty as #krate::message::Wire>::TYPE_FINGERPRINT,
                ::core::mem::offset_of!(#ident, #field),
                ::core::mem::size_of::<#ty>(),
            )
        }
    });
    let (tail_step, tail_entry, elem, max_elems, header_size) = match &model.tail {
        Some((field, elem)) => {
            let field_name = field.to_string();
            let elem_name = type_string(elem);
            let user_max = match model.container.max_elems {
                Some((n, _)) => quote!(#n as ::core::primitive::usize),
                None => quote!(::core::primitive::usize::MAX),
            };
            let max = match &model.len {
                Some((_, len_ty)) => {
                    quote!(#krate::__private::min_of(&[#user_max, <#len_ty>::MAX as ::core::primitive::usize]))
                }
                None => user_max,
            };
            (
                quote! {
                    .str("tail")
                    .u64(<#elem as #krate::message::Wire>::TYPE_FINGERPRINT)
                    .u64(::core::mem::size_of::<#elem>() as ::core::primitive::u64)
                },
                quote! {
                    ::core::option::Option::Some(#krate::message::Field::new(
                        #field_name,
                        #elem_name,
                        <#elem as #krate::message::Wire>::TYPE_FINGERPRINT,
                        <#ident as #krate::Message>::HEADER_SIZE,
                        ::core::mem::size_of::<#elem>(),
                    ))
                },
                quote!(#elem),
                max,
                header_end(model),
            )
        }
        None => (
            quote!(),
            quote!(::core::option::Option::None),
            quote!(()),
            quote!(0usize),
            quote!(::core::mem::size_of::<#ident>()),
        ),
    };
    let align = align(model);
    let init_len = model.len.as_ref().map(|(field, ty)| {
        quote! {
            #[inline]
            fn __init_len(&mut self, __psyne_elems: ::core::primitive::usize) {
                // `reserve_len` and `init_in` check `elems <= MAX_ELEMS`,
                // which is at most the field type's maximum.
                self.#field = __psyne_elems as #ty;
            }
        }
    });
    let check = check_fn(model);
    let wire_impl = model.tail.is_none().then(|| {
        quote! {
            // SAFETY: a sized message is a `repr(C)` struct of wire fields
            // without padding (asserted below), so it is a wire type; its
            // fingerprint is its schema's.
            unsafe impl #krate::message::Wire for #ident {
                const TYPE_FINGERPRINT: ::core::primitive::u64 = <#ident as #krate::Message>::FINGERPRINT;
            }
        }
    });
    quote! {
        // SAFETY: the constants are computed from the type itself
        // (`size_of`, `align_of`, `offset_of!`), and the assertions below
        // prove that it has no padding, so a record of `n` elements is
        // `HEADER_SIZE + n * size_of::<Elem>()` bytes.
        unsafe impl #krate::Message for #ident {
            const NAME: &'static ::core::primitive::str = #name;
            const VERSION: ::core::primitive::u32 = #version;
            const ID: ::core::primitive::u32 = #id;
            const FINGERPRINT: ::core::primitive::u64 = #krate::message::Fingerprint::new()
                .str("message")
                .str(#name)
                .u64(#version as ::core::primitive::u64)
                .u64(#n_fields)
                #(#steps)*
                #tail_step
                // Which field mirrors the element count, and how many
                // elements a record may have: peers must agree on both.
                .u64(#len_index)
                .u64((#max_elems) as ::core::primitive::u64)
                .finish();
            const SCHEMA: &'static #krate::message::Schema = &#krate::message::Schema::new(
                #name,
                #version,
                <#ident as #krate::Message>::ID,
                <#ident as #krate::Message>::FINGERPRINT,
                <#ident as #krate::Message>::HEADER_SIZE,
                <#ident as #krate::Message>::ALIGN,
                &[#(#table),*],
                #tail_entry,
            );
            const HEADER_SIZE: ::core::primitive::usize = #header_size;
            const ALIGN: ::core::primitive::usize = #align;
            const MAX_ELEMS: ::core::primitive::usize = #max_elems;
            type Elem = #elem;
            #init_len
            #check
        }
        #wire_impl
    }
}

fn check_fn(model: &Model) -> Option<TokenStream> {
    let krate = &model.krate;
    let len = model.len.as_ref().map(|(field, _)| {
        quote! {
            if self.#field as ::core::primitive::u64 != __psyne_elems as ::core::primitive::u64 {
                return ::core::result::Result::Err(#krate::message::ViewError::LenMismatch {
                    field: self.#field as ::core::primitive::u64,
                    frame: __psyne_elems as ::core::primitive::u64,
                });
            }
        }
    });
    let validate = model.container.validate.as_ref().map(|path| {
        let reason = format!(
            "the `validate` hook `{}` rejected the message",
            quote!(#path).to_string().replace(' ', "")
        );
        quote! {
            #krate::__private::Validation::into_view_result((#path)(self), #reason)?;
        }
    });
    if len.is_none() && validate.is_none() {
        return None;
    }
    let unused = len.is_none().then(|| quote!(let _ = __psyne_elems;));
    Some(quote! {
        #[inline]
        fn __check(
            &self,
            __psyne_elems: ::core::primitive::usize,
        ) -> ::core::result::Result<(), #krate::message::ViewError> {
            #unused
            #len
            #validate
            ::core::result::Result::Ok(())
        }
    })
}

/// The `const _: () = { ... };` block of layout assertions.
///
/// The layout checks compute sizes and alignment from the type itself, not
/// through the `Message` impl: when zerocopy rejects the type, that impl
/// does not hold, and these checks must still run to say why.
pub(crate) fn assertions(model: &Model) -> TokenStream {
    let Model { ident, krate, .. } = model;
    let p = quote!(#krate::__private);
    // The type's name carrying `span`, so an error lands on the user's
    // attribute value rather than on the struct.
    let at = |span: Span| syn::Ident::new(&ident.to_string(), span);
    let mut checks = Vec::new();
    for f in &model.fields {
        let ty = &f.ty;
        checks.push(quote_spanned!(ty.span()=> #p::assert_wire::<#ty>();));
        if f.args.len.is_some() {
            checks.push(quote_spanned!(ty.span()=> #p::assert_len_field::<#ty>();));
        }
        if let Some((offset, span)) = f.args.offset {
            let field = &f.ident;
            let offset = offset as usize;
            let ident = at(span);
            checks.push(quote_spanned! {span=>
                #p::assert_offset::<#ident, #offset, { ::core::mem::offset_of!(#ident, #field) }>();
            });
        }
    }
    let sum = sum_of_sizes(model);
    let align = align(model);
    let header_size = match &model.tail {
        None => quote!(::core::mem::size_of::<#ident>()),
        Some(_) => header_end(model),
    };
    // Named once, used by several checks.
    let locals = quote! {
        const __PSYNE_ALIGN: ::core::primitive::usize = #align;
        const __PSYNE_HEADER_SIZE: ::core::primitive::usize = #header_size;
        const __PSYNE_FIELD_BYTES: ::core::primitive::usize = #sum;
    };
    checks.push(quote_spanned! {ident.span()=>
        #p::assert_no_padding::<#ident, { __PSYNE_HEADER_SIZE - __PSYNE_FIELD_BYTES }>();
    });
    if let Some((_, elem)) = &model.tail {
        checks.push(quote_spanned!(elem.span()=> #p::assert_wire::<#elem>();));
        let ident = at(elem.span());
        checks.push(quote_spanned! {elem.span()=>
            #p::assert_tail::<
                #ident,
                #elem,
                { ::core::mem::size_of::<#elem>() },
                __PSYNE_ALIGN,
                {
                    ::core::mem::size_of::<#elem>().is_multiple_of(__PSYNE_ALIGN)
                        && __PSYNE_HEADER_SIZE.is_multiple_of(__PSYNE_ALIGN)
                },
            >();
        });
    }
    checks.push(quote_spanned! {ident.span()=>
        #p::assert_align::<#ident, __PSYNE_ALIGN, { __PSYNE_ALIGN <= #krate::message::MAX_ALIGN }>();
        #p::assert_header::<#ident, __PSYNE_HEADER_SIZE, { __PSYNE_HEADER_SIZE <= #krate::message::MAX_INLINE }>();
    });
    if let Some((size, span)) = model.container.size {
        let size = size as usize;
        let ident = at(span);
        checks
            .push(quote_spanned!(span=> #p::assert_size::<#ident, #size, __PSYNE_HEADER_SIZE>();));
    }
    if let Some((lock, span)) = model.container.fingerprint {
        let ident = at(span);
        checks.push(quote_spanned! {span=>
            #p::assert_fingerprint::<#ident, #lock, { <#ident as #krate::Message>::FINGERPRINT }>();
        });
    }
    let endian = quote_spanned! {Span::call_site()=>
        ::core::assert!(
            ::core::cfg!(target_endian = "little"),
            "psyne messages need a little-endian target"
        );
    };
    quote! {
        const _: () = {
            #locals
            #(#checks)*
            #endian
        };
    }
}
