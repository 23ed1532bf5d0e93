//! Parsing `#[psyne::message(...)]` and the `#[psyne(...)]` field helpers.

use proc_macro2::{Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitInt, LitStr, Meta, MetaNameValue, Path, Token};

use crate::Errors;

const CONTAINER_KEYS: &str =
    "`name`, `version`, `id`, `crate`, `max_elems`, `fingerprint`, `size`, `validate`, `header`";
const FIELD_KEYS: &str = "`len`, `rename`, `offset`";

/// The container arguments, each with the span of its value for errors.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) name: Option<LitStr>,
    pub(crate) version: Option<(u32, Span)>,
    pub(crate) id: Option<(u32, Span)>,
    pub(crate) krate: Option<Path>,
    pub(crate) max_elems: Option<(u64, Span)>,
    pub(crate) fingerprint: Option<(u64, Span)>,
    pub(crate) size: Option<(u64, Span)>,
    pub(crate) validate: Option<Path>,
    /// The name of the header twin (default `<Name>Header`).
    pub(crate) header: Option<syn::Ident>,
}

/// What a field's `#[psyne(...)]` attributes say.
#[derive(Default)]
pub(crate) struct FieldArgs {
    /// The span of `len`, if present.
    pub(crate) len: Option<Span>,
    pub(crate) rename: Option<LitStr>,
    pub(crate) offset: Option<(u64, Span)>,
}

fn duplicate(key: &Path) -> syn::Error {
    let name = key.get_ident().map(ToString::to_string).unwrap_or_default();
    syn::Error::new_spanned(key, format!("duplicate `psyne` argument `{name}`; give it once"))
}

/// Looks through the invisible groups that `macro_rules!` fragments
/// arrive in.
fn ungroup(value: &Expr) -> &Expr {
    match value {
        Expr::Group(g) => ungroup(&g.expr),
        other => other,
    }
}

fn lit_str(value: &Expr, key: &str) -> syn::Result<LitStr> {
    match ungroup(value) {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects a string literal, e.g. `{key} = \"...\"`"),
        )),
    }
}

fn lit_int<N>(value: &Expr, key: &str) -> syn::Result<(N, Span)>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    match ungroup(value) {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => int(i, key),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects an integer literal, e.g. `{key} = 1`"),
        )),
    }
}

fn int<N>(i: &LitInt, key: &str) -> syn::Result<(N, Span)>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    match i.base10_parse::<N>() {
        Ok(n) => Ok((n, i.span())),
        Err(e) => Err(syn::Error::new_spanned(i, format!("`{key}`: {e}"))),
    }
}

fn path(value: &Expr, key: &str) -> syn::Result<Path> {
    match ungroup(value) {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path.clone()),
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => s.parse::<Path>(),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects a path, e.g. `{key} = my_check` or `{key} = \"my_check\"`"),
        )),
    }
}

impl Container {
    /// Parses the attribute's arguments, collecting every error.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut out = Self::default();
        if tokens.is_empty() {
            return out;
        }
        let parser = Punctuated::<MetaNameValue, Token![,]>::parse_terminated;
        let args = match syn::parse::Parser::parse2(parser, tokens) {
            Ok(args) => args,
            Err(e) => {
                errors.push(syn::Error::new(
                    e.span(),
                    format!(
                        "expected `key = value` arguments ({e}); accepted keys: {CONTAINER_KEYS}"
                    ),
                ));
                return out;
            }
        };
        for arg in args {
            if let Err(e) = out.arg(&arg) {
                errors.push(e);
            }
        }
        out
    }

    fn arg(&mut self, arg: &MetaNameValue) -> syn::Result<()> {
        let key = &arg.path;
        let v = &arg.value;
        let dup = |taken: bool| if taken { Err(duplicate(key)) } else { Ok(()) };
        match key.get_ident().map(ToString::to_string).as_deref() {
            Some("name") => {
                dup(self.name.is_some())?;
                let s = lit_str(v, "name")?;
                if s.value().is_empty() {
                    return Err(syn::Error::new_spanned(s, "`name` must not be empty"));
                }
                self.name = Some(s);
            }
            Some("version") => {
                dup(self.version.is_some())?;
                self.version = Some(lit_int(v, "version")?);
            }
            Some("id") => {
                dup(self.id.is_some())?;
                self.id = Some(lit_int(v, "id")?);
            }
            Some("crate") => {
                dup(self.krate.is_some())?;
                self.krate = Some(lit_str(v, "crate")?.parse::<Path>()?);
            }
            Some("max_elems") => {
                dup(self.max_elems.is_some())?;
                self.max_elems = Some(lit_int(v, "max_elems")?);
            }
            Some("fingerprint") => {
                dup(self.fingerprint.is_some())?;
                self.fingerprint = Some(lit_int(v, "fingerprint")?);
            }
            Some("size") => {
                dup(self.size.is_some())?;
                self.size = Some(lit_int(v, "size")?);
            }
            Some("validate") => {
                dup(self.validate.is_some())?;
                self.validate = Some(path(v, "validate")?);
            }
            Some("header") => {
                dup(self.header.is_some())?;
                let s = lit_str(v, "header")?;
                self.header = Some(s.parse::<syn::Ident>().map_err(|_| {
                    syn::Error::new_spanned(
                        &s,
                        "`header` expects a type name, e.g. `header = \"FrameHead\"`",
                    )
                })?);
            }
            _ => {
                let shown = quote::quote!(#key).to_string().replace(' ', "");
                return Err(syn::Error::new_spanned(
                    key,
                    format!(
                        "unknown `psyne` argument `{shown}`; expected one of: {CONTAINER_KEYS}"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Whether an attribute is a `#[psyne(...)]` field helper.
pub(crate) fn is_helper(attr: &Attribute) -> bool {
    attr.path().is_ident("psyne")
}

impl FieldArgs {
    /// Parses the `#[psyne(...)]` attributes of one field.
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = Self::default();
        for attr in attrs.iter().filter(|a| is_helper(a)) {
            let metas = match attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            {
                Ok(m) => m,
                Err(e) => {
                    errors.push(syn::Error::new(
                        e.span(),
                        format!("malformed `#[psyne(...)]` ({e}); accepted keys: {FIELD_KEYS}"),
                    ));
                    continue;
                }
            };
            for meta in metas {
                if let Err(e) = out.meta(&meta) {
                    errors.push(e);
                }
            }
        }
        out
    }

    fn meta(&mut self, meta: &Meta) -> syn::Result<()> {
        let key = meta.path();
        let dup = |taken: bool| if taken { Err(duplicate(key)) } else { Ok(()) };
        match (key.get_ident().map(ToString::to_string).as_deref(), meta) {
            (Some("len"), Meta::Path(p)) => {
                dup(self.len.is_some())?;
                self.len = Some(p.span());
            }
            (Some("rename"), Meta::NameValue(nv)) => {
                dup(self.rename.is_some())?;
                self.rename = Some(lit_str(&nv.value, "rename")?);
            }
            (Some("offset"), Meta::NameValue(nv)) => {
                dup(self.offset.is_some())?;
                self.offset = Some(lit_int(&nv.value, "offset")?);
            }
            (Some("len"), other) => {
                return Err(syn::Error::new_spanned(
                    other,
                    "`len` takes no value: write `#[psyne(len)]`",
                ));
            }
            (Some(k @ ("rename" | "offset")), other) => {
                return Err(syn::Error::new_spanned(
                    other,
                    format!("`{k}` needs a value, e.g. `#[psyne({k} = ...)]`"),
                ));
            }
            _ => {
                let shown = quote::quote!(#key).to_string().replace(' ', "");
                return Err(syn::Error::new_spanned(
                    key,
                    format!(
                        "unknown `psyne` field argument `{shown}`; expected one of: {FIELD_KEYS}"
                    ),
                ));
            }
        }
        Ok(())
    }
}
