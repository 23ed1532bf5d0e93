#[psyne::message]
struct SignedLen {
    #[psyne(len)]
    n: i32,
    data: [u32],
}

#[psyne::message]
struct TwoLens {
    #[psyne(len)]
    n: u32,
    #[psyne(len)]
    m: u32,
    data: [u32],
}

#[psyne::message]
struct NoTail {
    #[psyne(len)]
    n: u32,
}

fn main() {}
