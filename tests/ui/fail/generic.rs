#[psyne::message]
struct Wrapper<T> {
    value: T,
}

#[psyne::message]
struct Sized<const N: usize> {
    bytes: [u8; N],
}

fn main() {}
