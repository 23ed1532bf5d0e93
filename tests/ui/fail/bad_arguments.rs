#[psyne::message(nmae = "x.Y")]
struct Unknown {
    a: u32,
}

#[psyne::message(version = 1, version = 2)]
struct Duplicate {
    a: u32,
}

#[psyne::message(name = 7, version = "one")]
struct Mistyped {
    #[psyne(offest = 0)]
    a: u32,
}

fn main() {}
