#[psyne::message]
struct Huge {
    frame: [u8; 1 << 27],
}

fn main() {}
