#[psyne::message]
enum Side {
    Buy,
    Sell,
}

fn main() {}
