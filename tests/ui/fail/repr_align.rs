#[psyne::message]
#[repr(C, align(64))]
struct Aligned {
    a: u64,
}

fn main() {}
