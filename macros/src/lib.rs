//! Procedural macros for [psyne](https://docs.rs/psyne).
//!
//! `#[psyne::message]` turns a plain struct into a message that can be viewed
//! in place in a ring record. This first version adds `#[repr(C)]` when
//! missing and derives zerocopy's `FromBytes`, `IntoBytes`, `KnownLayout` and
//! `Immutable` through `psyne::__private`, so users never depend on zerocopy
//! themselves; the schema fingerprint and checked views follow.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Item, parse_macro_input};

/// Makes a struct a psyne message.
///
/// ```
/// #[psyne::message]
/// #[derive(Debug)]
/// pub struct Tick {
///     pub ts_ns: u64,
///     pub price: f64,
/// }
///
/// let (mut tx, mut rx) = psyne::channel::<Tick>().capacity(8).spsc().unwrap();
/// tx.try_send(Tick { ts_ns: 1, price: 2.0 }).unwrap();
/// assert_eq!(rx.try_recv().unwrap().price, 2.0);
/// ```
#[proc_macro_attribute]
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    let item = parse_macro_input!(item as Item);
    match expand(attr, item) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(attr: proc_macro2::TokenStream, item: Item) -> syn::Result<proc_macro2::TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[psyne::message]` takes no arguments in this version",
        ));
    }
    let Item::Struct(mut s) = item else {
        return Err(syn::Error::new_spanned(
            item,
            "`#[psyne::message]` can only be applied to a struct",
        ));
    };
    let has_repr = s.attrs.iter().any(|a| a.path().is_ident("repr"));
    if !has_repr {
        s.attrs.push(syn::parse_quote!(#[repr(C)]));
    }
    Ok(quote! {
        #[derive(
            ::psyne::__private::zerocopy::FromBytes,
            ::psyne::__private::zerocopy::IntoBytes,
            ::psyne::__private::zerocopy::KnownLayout,
            ::psyne::__private::zerocopy::Immutable,
        )]
        #[zerocopy(crate = "::psyne::__private::zerocopy")]
        #s
    })
}
