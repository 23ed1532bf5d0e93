#[psyne::message(size = 12)]
struct Pinned {
    a: u32,
    #[psyne(offset = 8)]
    b: u32,
}

fn main() {}
