#[psyne::message]
#[repr(transparent)]
struct Wrapped {
    data: [u32],
}

fn main() {}
