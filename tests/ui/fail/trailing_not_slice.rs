#[psyne::message]
struct Text {
    len: u32,
    text: str,
}

#[psyne::message]
struct Nested {
    len: u32,
    rows: [[u32]],
}

fn main() {}
