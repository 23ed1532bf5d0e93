#[derive(Clone, Copy)]
struct NotAMessage {
    x: u32,
}

type Alias = NotAMessage;

#[psyne::message]
struct Holder {
    a: Alias,
}

fn main() {}
