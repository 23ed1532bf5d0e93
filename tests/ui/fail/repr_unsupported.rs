#[psyne::message]
#[repr(u8)]
struct Hinted {
    a: u8,
}

#[psyne::message]
#[repr(C)]
#[repr(transparent)]
struct Conflicting {
    a: u8,
}

fn main() {}
