//! Procedural macros for [psyne](https://docs.rs/psyne): `#[psyne::message]`.
//!
//! Use them through `psyne` (`#[psyne::message]`); the generated code refers
//! to the runtime only through `psyne::__private` and `psyne::message`.
//! The full specification is psyne's `MESSAGE.md`; in short, the macro:
//!
//! - adds `#[repr(C)]` and zerocopy's `FromBytes`, `IntoBytes`,
//!   `KnownLayout` and `Immutable` derives (padding and interior mutability
//!   are rejected);
//! - implements `psyne::Message` (and `psyne::message::Wire` for sized
//!   messages, so they nest) with the schema name, version, id, fingerprint
//!   and field table;
//! - asserts the layout at compile time (wire field types, no padding,
//!   alignment at most 64, a trailing array that never needs padding, and
//!   any `offset`, `size` and `fingerprint` pins);
//! - generates checked views (`view`, `view_mut`; for a trailing array also
//!   `init_in`, `byte_len`, `elems` and a `<Name>Header` twin with
//!   `header()`/`header_mut()`; `header = "Other"` names the twin when
//!   `<Name>Header` is taken).
//!
//! Errors point at the offending tokens and the item is re-emitted, so IDEs
//! keep working.

mod attrs;
mod expand;
#[cfg(test)]
mod output_tests;
mod repr;
mod schema;
mod views;

use proc_macro::TokenStream;

/// Makes a struct a psyne message. See the [crate docs](crate) and psyne's
/// `message` module.
///
/// ```
/// #[psyne::message(name = "demo.Tick", version = 1)]
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
    expand::message(attr.into(), item.into()).into()
}

/// Errors collected while checking one item, so the user sees all of them.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
