#[psyne::message]
struct Pair(u32, u32);

#[psyne::message]
struct Unit;

fn main() {}
