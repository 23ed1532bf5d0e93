//! `#[psyne::message]`: checks the input and assembles the output.
//!
//! Pure `proc_macro2` in and out, so the expansion snapshot tests can call
//! [`message`] directly.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Fields, Ident, Item, ItemStruct, LitStr, Path, Type, Visibility};

use crate::Errors;
use crate::attrs::{self, Container, FieldArgs};
use crate::{repr, schema, views};

/// One field of the sized part.
pub(crate) struct Field {
    /// The field's attributes but the `#[psyne(...)]` helpers (copied to
    /// the header twin).
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// The name hashed into the fingerprint (`rename`, or the identifier).
    pub(crate) schema_name: String,
    pub(crate) args: FieldArgs,
}

/// Everything code generation needs, checked.
pub(crate) struct Model {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    pub(crate) krate: Path,
    pub(crate) name: String,
    pub(crate) version: u32,
    pub(crate) id: Option<u32>,
    pub(crate) fields: Vec<Field>,
    /// The trailing array: field name and element type.
    pub(crate) tail: Option<(Ident, Type)>,
    /// The `#[psyne(len)]` field: name and type.
    pub(crate) len: Option<(Ident, Type)>,
    pub(crate) container: Container,
    /// The struct's attributes other than docs and `repr` (copied to the
    /// header twin, so its derives see the same helper attributes).
    pub(crate) twin_attrs: Vec<syn::Attribute>,
}

/// Expands `#[psyne::message(attr)]` on `item`: the message and its
/// generated items, or the item (helpers stripped, so IDEs keep working)
/// followed by every error found.
pub(crate) fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#item #e);
        }
    };
    let Item::Struct(mut s) = item else {
        let span = keyword_span(&item);
        let e = syn::Error::new(span, "`#[psyne::message]` can only be applied to a struct");
        let e = e.to_compile_error();
        return quote!(#item #e);
    };
    match expand(attr, &s) {
        Ok(tokens) => tokens,
        Err(e) => {
            strip_helpers(&mut s);
            let e = e.to_compile_error();
            quote!(#s #e)
        }
    }
}

fn keyword_span(item: &Item) -> Span {
    match item {
        Item::Enum(i) => i.enum_token.span,
        Item::Union(i) => i.union_token.span,
        Item::Fn(i) => i.sig.fn_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(i) => i.trait_token.span,
        Item::Type(i) => i.type_token.span,
        other => other.span(),
    }
}

/// Removes the `#[psyne(...)]` field helpers, which only this macro knows.
pub(crate) fn strip_helpers(s: &mut ItemStruct) {
    for f in s.fields.iter_mut() {
        f.attrs.retain(|a| !attrs::is_helper(a));
    }
}

fn expand(attr: TokenStream, s: &ItemStruct) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let container = Container::parse(attr, &mut errors);
    let model = model(s, container, &mut errors);
    errors.finish()?;
    let Some(model) = model else { unreachable!("a model is built whenever no error was found") };
    let has_repr = repr::check(&s.attrs, &mut Errors::default());
    let mut out = s.clone();
    strip_helpers(&mut out);
    if !has_repr {
        out.attrs.insert(0, syn::parse_quote!(#[repr(C)]));
    }
    // The derives go last, so they see every attribute of the item,
    // including what attribute macros after this one add (a `repr(align)`
    // that zerocopy must know of).
    out.attrs.extend(zerocopy_derives(&model.krate));
    let message_impl = schema::message_impl(&model);
    let assertions = schema::assertions(&model);
    let views = views::generate(&model);
    Ok(quote! {
        #out
        #message_impl
        #assertions
        #views
    })
}

/// The zerocopy derives, pointed at `<krate>::__private::zerocopy`.
pub(crate) fn zerocopy_derives(krate: &Path) -> [syn::Attribute; 2] {
    let zc_path = format!("{}::__private::zerocopy", krate.to_token_stream()).replace(' ', "");
    [
        syn::parse_quote! {
            #[derive(
                #krate::__private::zerocopy::FromBytes,
                #krate::__private::zerocopy::IntoBytes,
                #krate::__private::zerocopy::KnownLayout,
                #krate::__private::zerocopy::Immutable,
            )]
        },
        syn::parse_quote!(#[zerocopy(crate = #zc_path)]),
    ]
}

fn model(s: &ItemStruct, container: Container, errors: &mut Errors) -> Option<Model> {
    repr::check(&s.attrs, errors);
    if let Some(lt) = s.generics.lifetimes().next() {
        errors.push(syn::Error::new_spanned(
            lt,
            "message types cannot borrow: messages must be self-contained bytes",
        ));
    } else if !s.generics.params.is_empty() || s.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &s.generics,
            "message types cannot be generic: the schema fingerprint must be one compile-time \
             constant",
        ));
    }
    let named = match &s.fields {
        Fields::Named(named) => named,
        Fields::Unnamed(f) => {
            errors.push(syn::Error::new_spanned(
                f,
                "message fields must be named: field names are part of the schema",
            ));
            return None;
        }
        Fields::Unit => {
            errors.push(syn::Error::new_spanned(
                &s.ident,
                "message fields must be named: field names are part of the schema",
            ));
            return None;
        }
    };
    let count = named.named.len();
    let mut fields = Vec::new();
    let mut tail = None;
    let mut len: Option<(Ident, Type, Span)> = None;
    for (i, f) in named.named.iter().enumerate() {
        let ident = f.ident.clone().expect("named fields have identifiers");
        let args = FieldArgs::parse(&f.attrs, errors);
        let last = i + 1 == count;
        match unsized_kind(&f.ty) {
            Some(Unsized::Slice(elem)) if last => {
                check_wire_literal(elem, errors);
                if let Some(span) = args.len {
                    errors.push(len_error(span));
                }
                if args.rename.is_some() || args.offset.is_some() {
                    errors.push(syn::Error::new_spanned(
                        &f.ty,
                        "`rename` and `offset` apply to header fields, not the trailing array",
                    ));
                }
                tail = Some((ident, elem.clone()));
                continue;
            }
            Some(Unsized::Slice(_)) => {
                errors.push(syn::Error::new_spanned(
                    &f.ty,
                    "only the last field may be a variable-length array `[T]`",
                ));
                continue;
            }
            Some(Unsized::Other) => {
                errors.push(syn::Error::new_spanned(
                    &f.ty,
                    "the trailing field must be a slice `[T]` of a wire type",
                ));
                continue;
            }
            None => check_wire_literal(&f.ty, errors),
        }
        if let Some(span) = args.len {
            if len.is_some() || !is_len_type(&f.ty) {
                errors.push(len_error(span));
            } else {
                len = Some((ident.clone(), f.ty.clone(), span));
            }
        }
        let schema_name = args.rename.as_ref().map_or_else(|| ident.to_string(), LitStr::value);
        let attrs = f.attrs.iter().filter(|a| !attrs::is_helper(a)).cloned().collect();
        fields.push(Field {
            attrs,
            vis: f.vis.clone(),
            ident,
            ty: f.ty.clone(),
            schema_name,
            args,
        });
    }
    if let (Some((_, _, span)), None) = (&len, &tail) {
        errors.push(len_error(*span));
    }
    if let (Some(header), None) = (&container.header, &tail) {
        errors.push(syn::Error::new_spanned(
            header,
            "`header` names the header twin of a message with a trailing array `[T]`; this \
             message has none",
        ));
    }
    if let (Some((_, span)), None) = (&container.max_elems, &tail) {
        errors.push(syn::Error::new(
            *span,
            "`max_elems` applies only to a message with a trailing array `[T]`",
        ));
    }
    let krate = container.krate.clone().unwrap_or_else(|| syn::parse_quote!(::psyne));
    let name = container.name.as_ref().map_or_else(|| s.ident.to_string(), LitStr::value);
    let twin_attrs = s
        .attrs
        .iter()
        .filter(|a| !a.path().is_ident("doc") && !a.path().is_ident("repr"))
        .cloned()
        .collect();
    if let (true, Some((_, elem))) = (repr::is_transparent(&s.attrs), &tail) {
        errors.push(syn::Error::new_spanned(
            elem,
            "`repr(transparent)` cannot have a trailing array; drop `repr(transparent)` (the \
             message is `repr(C)` by default)",
        ));
    }
    Some(Model {
        ident: s.ident.clone(),
        vis: s.vis.clone(),
        krate,
        name,
        version: container.version.map_or(0, |(v, _)| v),
        id: container.id.map(|(v, _)| v),
        fields,
        tail,
        len: len.map(|(i, t, _)| (i, t)),
        container,
        twin_attrs,
    })
}

fn len_error(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "`len` must be one `u16`/`u32`/`u64` field of a message with a trailing array",
    )
}

fn is_len_type(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            s.arguments.is_none() && ["u16", "u32", "u64"].iter().any(|n| s.ident == n)
        }),
        Type::Group(g) => is_len_type(&g.elem),
        Type::Paren(p) => is_len_type(&p.elem),
        _ => false,
    }
}

enum Unsized<'a> {
    Slice(&'a Type),
    Other,
}

/// Whether a field type is (literally) dynamically sized.
fn unsized_kind(ty: &Type) -> Option<Unsized<'_>> {
    match ty {
        Type::Slice(s) => match unsized_kind(&s.elem) {
            Some(_) => Some(Unsized::Other),
            None => Some(Unsized::Slice(&s.elem)),
        },
        Type::TraitObject(_) => Some(Unsized::Other),
        Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => Some(Unsized::Other),
        Type::Group(g) => unsized_kind(&g.elem),
        Type::Paren(p) => unsized_kind(&p.elem),
        _ => None,
    }
}

/// Rejects, with a specific hint, the non-wire types one can recognise by
/// their spelling. Anything else is left to the `Wire` bound.
fn check_wire_literal(ty: &Type, errors: &mut Errors) {
    let hint = match ty {
        Type::Reference(_) | Type::Ptr(_) => Some(
            "references and pointers are process-local; messages must be self-contained bytes"
                .to_owned(),
        ),
        Type::Tuple(t) if !t.elems.is_empty() => Some(
            "tuples have no guaranteed layout; use a nested `#[psyne::message]` struct".to_owned(),
        ),
        Type::BareFn(_) => Some("function pointers are process-local; use an id field".to_owned()),
        Type::Array(a) => return check_wire_literal(&a.elem, errors),
        Type::Group(g) => return check_wire_literal(&g.elem, errors),
        Type::Paren(p) => return check_wire_literal(&p.elem, errors),
        Type::Path(p) if p.qself.is_none() => {
            let Some(seg) = p.path.segments.last() else { return };
            let last = seg.ident.to_string();
            // Containers only when written with their type argument: a
            // user's own message may well be called `Box`.
            let generic = !seg.arguments.is_none();
            match last.as_str() {
                "usize" | "isize" => Some(format!(
                    "`{last}` has a platform-dependent size; use `{}32` or `{}64`",
                    &last[..1],
                    &last[..1]
                )),
                "bool" => Some("`bool` has invalid bit patterns; use `u8` (0 or 1)".to_owned()),
                "char" => Some("`char` has invalid bit patterns; use `u32`".to_owned()),
                "Vec" if generic => Some(
                    "`Vec` points into process-local heap; use a trailing array `[T]`".to_owned(),
                ),
                "String" => Some(
                    "`String` points into process-local heap; use a fixed `[u8; N]` or a \
                     trailing `[u8]`"
                        .to_owned(),
                ),
                "Box" | "Rc" | "Arc" if generic => {
                    Some(format!("`{last}` points into process-local heap; store the value itself"))
                }
                "Option" if generic => Some(
                    "`Option` has no fixed wire layout; use a flag field or a sentinel value"
                        .to_owned(),
                ),
                _ => None,
            }
        }
        _ => None,
    };
    if let Some(hint) = hint {
        errors.push(syn::Error::new_spanned(ty, hint));
    }
}

/// A type as the schema records it: its tokens, spaced like rustfmt.
pub(crate) fn type_string(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    let mut s = raw
        .replace(" ;", ";")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",");
    s.retain(|c| c != '\n');
    s
}
