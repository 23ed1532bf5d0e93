//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use psyne::{Pattern, Receiver, Sender};

/// A pair of pattern `P` with `cap` records of `u64`.
pub fn pair<P: Pattern>(cap: usize) -> (Sender<u64, P>, Receiver<u64, P>) {
    psyne::channel::<u64>().capacity(cap).pattern::<P>().build().unwrap()
}

/// Instantiates `fn $name<P: Pattern>()` once per pattern, as a module of
/// four tests: the channel conformance suite over patterns.
#[macro_export]
macro_rules! for_each_pattern {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn spsc() { super::$name::<psyne::Spsc>() }
                #[test]
                fn mpsc() { super::$name::<psyne::Mpsc>() }
                #[test]
                fn spmc() { super::$name::<psyne::Spmc>() }
                #[test]
                fn mpmc() { super::$name::<psyne::Mpmc>() }
            }
        )*
    };
}
