#[psyne::message]
struct Samples {
    timestamp: u64,
    data: [[f32; 3]],
}

fn main() {}
