#[psyne::message]
struct TwoSlices {
    a: [u32],
    b: [u32],
}

fn main() {}
