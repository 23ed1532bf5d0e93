#[psyne::message(name = "ui.Locked", version = 1, fingerprint = 0x1234)]
struct Locked {
    a: u32,
}

fn main() {}
