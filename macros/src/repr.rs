//! `#[repr(...)]` of a message: `C` (added when absent) or `transparent`.

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

use crate::Errors;

const UNSUPPORTED: &str = "unsupported `repr` for a message: use `repr(C)` (added automatically) \
                           or `repr(transparent)`";

/// Checks the struct's `repr` attributes; returns whether one of `C` or
/// `transparent` is present (so `repr(C)` need not be added).
pub(crate) fn check(attrs: &[Attribute], errors: &mut Errors) -> bool {
    let mut kinds: Vec<(String, proc_macro2::Span)> = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let metas = match attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(m) => m,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for meta in metas {
            let name = meta.path().get_ident().map(ToString::to_string).unwrap_or_default();
            let span = syn::spanned::Spanned::span(&meta);
            match name.as_str() {
                "C" | "transparent" => kinds.push((name, span)),
                "packed" => errors.push(syn::Error::new(
                    span,
                    "`repr(packed)` is not supported: fields would be unaligned; reorder fields \
                     or add explicit `_reserved` bytes",
                )),
                "align" => errors.push(syn::Error::new(
                    span,
                    "`repr(align)` is not supported on messages: slot alignment is set by the \
                     channel; it would add trailing padding",
                )),
                _ => errors.push(syn::Error::new(span, UNSUPPORTED)),
            }
        }
    }
    if kinds.len() > 1 {
        let (_, span) = &kinds[1];
        errors.push(syn::Error::new(*span, format!("{UNSUPPORTED} (conflicting reprs)")));
    }
    !kinds.is_empty()
}

/// Whether the struct is `repr(transparent)`.
pub(crate) fn is_transparent(attrs: &[Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("repr")).any(|a| {
        a.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .is_ok_and(|metas| metas.iter().any(|m| m.path().is_ident("transparent")))
    })
}
