#[psyne::message]
struct Padded {
    a: u8,
    b: u64,
}

fn main() {}
