#[psyne::message]
struct Borrowed<'a> {
    name: &'a [u8; 4],
}

fn main() {}
