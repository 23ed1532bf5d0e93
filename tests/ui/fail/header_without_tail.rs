#[psyne::message(header = "PointHead")]
struct Point {
    x: f32,
}

#[psyne::message(header = "not a name")]
struct Bad {
    n: u32,
    data: [u32],
}

fn main() {}
